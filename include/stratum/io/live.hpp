// Live inference: a program runs its own model frame by frame and feeds the streaming evaluator or the audit
// directly, with no files in between.
//
// Two parts, each a plain callable:
// - a labelled source: bool(Input& input, frame& f) fills the model's input for the next frame (pixels, a
//   tensor, a path: whatever the model consumes) and the frame's labels (id, attributes, provenance, size,
//   ground truth; the frame it is given may hold the previous one: clear it); false at the end;
// - a detector: void(const Input& input, frame_dts& out) appends its detections for that input (boxes
//   [x, y, w, h] in pixels, core/box.hpp converts other encodings; categories of the run; any finite scores).
//   It sees the input only, never the labels.
// live_frames(source, detector) joins them into the frame source of coco::run_stream: the frames carry the
// detector's detections, are validated by the evaluator (input_error naming the frame and the field) and
// matched as any stream's, so the result equals the evaluation of the same frames written to a file.
//
//   auto frames = stratum::io::live_frames<image>(camera_with_labels, model);
//   stratum::audit::audit_stream au(categories);
//   stratum::coco::run_stream(frames, au, threads);   // the detector runs in the calling thread
//   auto result = au.finalize(slices, options);
//
// With threads >= 2 the source and the detector run in the calling thread while workers match, so matching
// overlaps inference; a detector that batches or runs on an accelerator of its own keeps doing so inside the
// call. From another language, write the JSONL frame stream (docs/stream_format.md) to `stratum stream -` or
// `stratum audit --stream -` (docs/adapters.md has a Python example).
#pragma once

#include <concepts>
#include <utility>

#include "../core/frame.hpp"

namespace stratum::io {

/// bool(Input&, frame&): fills the next input and its frame's labels; false at the end.
template <class S, class Input>
concept labelled_source = requires(S& s, Input& in, frame& f) {
  { s(in, f) } -> std::convertible_to<bool>;
};

/// void(const Input&, frame_dts&): appends the detections for an input.
template <class D, class Input>
concept detector = requires(D& d, const Input& in, frame_dts& out) {
  d(in, out);
};

/// The frame source of a labelled source and a detector (see the file comment): a callable bool(frame&).
template <class Input, class Source, class Detector>
requires labelled_source<Source, Input> && detector<Detector, Input>
class live_frame_source {
 public:
  live_frame_source(Source source, Detector detector)
      : source_(std::move(source)), detector_(std::move(detector)) {}

  bool operator()(frame& f) {
    f.clear();
    if (!source_(input_, f)) return false;
    f.dt.clear();  // the detector's detections only
    detector_(std::as_const(input_), f.dt);
    return true;
  }

  /// The last input read (for a program that also keeps or shows it).
  [[nodiscard]] const Input& input() const noexcept { return input_; }

 private:
  Source source_;
  Detector detector_;
  Input input_{};
};

/// live_frame_source<Input>(source, detector).
template <class Input, class Source, class Detector>
requires labelled_source<Source, Input> && detector<Detector, Input>
[[nodiscard]] live_frame_source<Input, Source, Detector> live_frames(Source source, Detector detector) {
  return {std::move(source), std::move(detector)};
}

}  // namespace stratum::io
