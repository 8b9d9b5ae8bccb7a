// Streaming COCO evaluation: frames (one image's ground truths and detections) arrive one at a time, in any
// order, and are matched at once; only the accumulators are kept, never the frames.
//
//   stream_evaluator ev(categories, params, slice_specs);
//   for each frame f:  ev.add(f);          // or run_stream(source, ev, threads)
//   sliced_evaluation res = ev.finalize();
//
// A frame is validated, grouped by category and matched by frame_matcher (frame_matcher.hpp) exactly as the
// batch evaluator (evaluator.hpp) matches each (image, category) group. The records go into an
// exact_accumulator (accumulator.hpp), whose finalize orders them by data alone (score, image id, rank), so
// the result equals the batch evaluator's to the bit whatever the arrival order, the number of threads or the
// number of processes whose states were merged.
//
// Slices (slices.hpp: one per attribute value, per joint cell, per provenance) are discovered as frames
// arrive: each frame is matched once, into a per-frame accumulator that is then merged into the pooled state
// and into the state of every slice the frame belongs to. Slice names and order are those of make_slices.
//
// Categories are declared up front (COCO semantics: K counts categories that have no ground truth); a frame
// that names an undeclared category is an input_error. Memory: the accumulators (one record per kept
// detection per state) plus one 8-byte id per frame (for n_images and the duplicate check).
#pragma once

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/frame.hpp"
#include "accumulator.hpp"
#include "binned.hpp"
#include "dataset.hpp"
#include "evaluator.hpp"
#include "frame_matcher.hpp"
#include "matcher.hpp"
#include "params.hpp"
#include "slices.hpp"
#include "stream_state.hpp"
#include "summary.hpp"

namespace stratum::coco {

// The frame and its parts are the pipeline's unit of input (core/frame.hpp); the stream state is in
// stream_state.hpp. Both are named here too, where the streaming evaluator has always had them.
using stratum::frame;
using stratum::frame_dts;
using stratum::frame_gts;

/// The streaming evaluator over accumulators Acc: exact_accumulator (stream_evaluator, pycocotools' numbers
/// exactly) or binned_accumulator (binned_stream_evaluator: memory independent of the number of detections,
/// AP as a proven bracket; binned.hpp).
template <class Acc>
class basic_stream_evaluator {
 public:
  static constexpr bool binned = std::is_same_v<Acc, binned_accumulator>;
  using state_type = basic_stream_state<Acc>;
  using evaluation_type = std::conditional_t<binned, binned_evaluation, evaluation>;
  using result_type = basic_sliced_evaluation<evaluation_type>;

  /// `categories`: every category of the stream (ids unique); `p`: evaluation parameters (p.cat_ids and
  /// p.img_ids, when given, restrict the evaluation as in pycocotools; frames not in p.img_ids are skipped);
  /// `specs`: slicings as in evaluate_sliced. Throws usage_error on invalid parameters or duplicate ids.
  explicit basic_stream_evaluator(std::vector<category_info> categories, params p = {},
                                  std::vector<slice_spec> specs = {}) requires(!binned)
      : basic_stream_evaluator(std::move(categories), std::move(p), std::move(specs), 0, 0) {}
  /// The bounded-memory evaluator: as above, with `bins` score bins (1 .. 2^24) in every state.
  basic_stream_evaluator(std::vector<category_info> categories, params p, std::vector<slice_spec> specs,
                         std::size_t bins) requires binned
      : basic_stream_evaluator(std::move(categories), std::move(p), std::move(specs), bins, 0) {}

  /// An evaluator with the same configuration and an empty state (the identity of merge).
  [[nodiscard]] basic_stream_evaluator fresh() const {
    basic_stream_evaluator e(*this);
    e.state_ = empty_state();
    return e;
  }

  [[nodiscard]] const std::vector<category_info>& categories() const noexcept { return cfg_->cats; }
  /// The parameters, resolved except for img_ids (which finalize fills with the frames seen when empty).
  [[nodiscard]] const resolved_params& parameters() const noexcept { return cfg_->p; }
  [[nodiscard]] const std::vector<slice_spec>& specs() const noexcept { return cfg_->specs; }
  [[nodiscard]] const acc_dims& dims() const noexcept { return cfg_->p.dims(); }
  /// Score bins of every state (0 for the exact evaluator).
  [[nodiscard]] std::size_t bins() const noexcept { return cfg_->bins; }
  [[nodiscard]] const state_type& state() const noexcept { return state_; }
  [[nodiscard]] std::size_t frames() const noexcept { return state_.frames.size(); }
  [[nodiscard]] std::uint64_t ground_truths() const noexcept { return state_.ground_truths; }
  [[nodiscard]] std::uint64_t detections() const noexcept { return state_.detections; }

  /// Validates, groups and matches one frame. Throws input_error naming the frame and the field on a category
  /// that was not declared, a non-finite or negative box, area or size, a non-finite score or arrays of
  /// different lengths; the state is left unchanged then.
  void add(const frame& f) {
    fm_.validate(f);
    const auto& c = *cfg_;
    state_.frames.push_back(f.id);
    state_.ground_truths += f.gt.size();
    state_.detections += f.dt.size();
    if (c.restrict_images && c.images.find(f.id) == detail::id_index::npos) return;
    if (c.specs.empty()) {
      fm_.match(f, state_.all);
      return;
    }
    frame_acc_.clear();
    fm_.match(f, frame_acc_);
    detail::absorb(state_.all, frame_acc_);
    for (std::size_t s = 0; s < c.specs.size(); ++s) {
      if (!slice_name(f, c.specs[s], name_)) continue;
      auto& cells = state_.slices[s];
      auto it = cells.find(std::string_view(name_));
      if (it == cells.end()) it = cells.emplace(name_, typename state_type::slice{{}, make_acc()}).first;
      it->second.frames.push_back(f.id);
      detail::absorb(it->second.acc, frame_acc_);
    }
  }

  /// Merges the state of another evaluator of the same configuration (throws usage_error otherwise).
  basic_stream_evaluator& merge(const basic_stream_evaluator& o) {
    if (!same_configuration(o))
      throw usage_error("stream_evaluator::merge: the two evaluators are configured differently");
    return merge(o.state_);
  }
  basic_stream_evaluator& operator+=(const basic_stream_evaluator& o) { return merge(o); }

  /// Merges a state produced by an evaluator of the same configuration (e.g. received from another process).
  /// Throws usage_error when its shape differs (number of slicings, accumulator dimensions).
  basic_stream_evaluator& merge(const state_type& o) {
    state_ += o;  // state_ has this evaluator's shape, so += checks o against it
    return *this;
  }

  /// Fingerprint of what shapes this evaluation's state: the resolved parameters (params_fingerprint) and the
  /// slicings' keys. States to merge across processes must carry the same.
  [[nodiscard]] std::uint64_t fingerprint() const {
    stratum::detail::byte_writer w;
    w.u64(cfg_->p.fingerprint());
    w.u64(cfg_->specs.size());
    for (const auto& sp : cfg_->specs) {
      w.u64(sp.keys.size());
      for (const auto& k : sp.keys) {
        w.u64(k.size());
        w.bytes(k.data(), k.size());
      }
    }
    if constexpr (binned) w.u64(cfg_->bins);  // the exact evaluator's fingerprint is that of version 0.2.0
    const auto h = stratum::detail::fnv1a64(w.data(), w.size());
    return h == 0 ? 1 : h;
  }
  /// The state in the common wire format (kind 3, or 4 when binned), carrying this evaluation's fingerprint.
  [[nodiscard]] std::vector<std::byte> serialize() const { return state_.serialize(fingerprint()); }
  /// Merges a state serialized by an evaluator of the same configuration (same fingerprint). Throws
  /// input_error on bad bytes or another fingerprint; the state is unchanged then.
  basic_stream_evaluator& merge_serialized(std::span<const std::byte> bytes) {
    return merge(state_type::deserialize(bytes, fingerprint()));
  }

  /// accumulate + summarize for all frames and every slice. Throws input_error when a frame id was added more
  /// than once (possible only across merged states or direct calls: the JSONL reader rejects duplicates).
  [[nodiscard]] result_type finalize() const {
    const auto& c = *cfg_;
    std::vector<std::int64_t> ids = state_.frames;
    std::sort(ids.begin(), ids.end());
    if (auto it = std::adjacent_find(ids.begin(), ids.end()); it != ids.end())
      throw input_error("stream: frame " + std::to_string(*it) + " was added more than once");
    const resolved_params rp = c.restrict_images ? c.p : c.p.with_images(std::move(ids));
    result_type out{detail::finish(state_.all, rp, rp, c.bins), {}};
    const detail::id_index position(rp->img_ids);
    for (std::size_t s = 0; s < c.specs.size(); ++s) {
      for (const auto& [name, sl] : state_.slices[s]) {
        auto sp = rp.with_images(sl.frames);
        std::vector<std::size_t> images;
        for (auto id : sp->img_ids) images.push_back(position.find(id));
        out.slices.push_back({name, std::move(images), detail::finish(sl.acc, std::move(sp), rp, c.bins)});
      }
    }
    return out;
  }

 private:
  struct config {
    std::vector<category_info> cats;
    resolved_params p;
    std::vector<slice_spec> specs;
    std::size_t bins = 0;
    bool restrict_images = false;
    detail::id_index images{std::vector<std::int64_t>{}};
  };

  basic_stream_evaluator(std::vector<category_info> categories, params p, std::vector<slice_spec> specs,
                         std::size_t bins, int)
      : fm_(categories, resolve_declared(categories, std::move(p)), binned,
            binned ? &binned_accumulator::score_message : nullptr) {
    const bool restrict_images = !fm_.parameters()->img_ids.empty();
    auto c = std::make_shared<config>(
        config{std::move(categories), fm_.parameters(), std::move(specs), bins, restrict_images});
    for (const auto& s : c->specs)
      if (s.keys.empty()) throw usage_error("slice: empty list of attribute keys");
    c->images = detail::id_index(c->p->img_ids);
    cfg_ = std::move(c);
    if constexpr (binned) (void)make_acc();  // checks the bin count
    state_ = empty_state();
    if (!cfg_->specs.empty()) frame_acc_ = exact_accumulator(cfg_->p.dims());
  }

  [[nodiscard]] Acc make_acc() const {
    if constexpr (binned)
      return binned_accumulator(cfg_->p, cfg_->bins);
    else
      return exact_accumulator(cfg_->p.dims());
  }

  [[nodiscard]] state_type empty_state() const {
    state_type s;
    s.all = make_acc();
    s.slices.resize(cfg_->specs.size());
    return s;
  }

  /// The frame's cell of `spec` ("k1=v1&k2=v2"), false when the frame lacks one of the keys (as make_slices).
  static bool slice_name(const frame& f, const slice_spec& spec, std::string& name) {
    name.clear();
    for (const auto& key : spec.keys) {
      const std::string* v =
          key == "provenance" ? (f.provenance.empty() ? nullptr : &f.provenance) : f.attribute(key);
      if (!v) return false;
      if (!name.empty()) name += '&';
      name += key;
      name += '=';
      name += *v;
    }
    return true;
  }

  [[nodiscard]] bool same_configuration(const basic_stream_evaluator& o) const {
    if (cfg_ == o.cfg_) return true;
    const auto& a = *cfg_;
    const auto& b = *o.cfg_;
    const params &pa = a.p, &pb = b.p;
    if (pa.iou_thrs != pb.iou_thrs || pa.rec_thrs != pb.rec_thrs || pa.max_dets != pb.max_dets ||
        pa.area_rngs != pb.area_rngs || pa.use_cats != pb.use_cats || pa.img_ids != pb.img_ids ||
        pa.cat_ids != pb.cat_ids || a.specs.size() != b.specs.size() || a.cats.size() != b.cats.size() ||
        a.bins != b.bins)
      return false;
    for (std::size_t s = 0; s < a.specs.size(); ++s)
      if (a.specs[s].keys != b.specs[s].keys) return false;
    for (std::size_t i = 0; i < a.cats.size(); ++i)
      if (a.cats[i].id != b.cats[i].id) return false;
    return true;
  }

  frame_matcher fm_;                   // validates, groups and matches frames
  std::shared_ptr<const config> cfg_;  // immutable once built, shared by copies
  state_type state_;
  exact_accumulator frame_acc_;
  std::string name_;
};

/// The streaming evaluator (exact: pycocotools' numbers to the bit).
using stream_evaluator = basic_stream_evaluator<exact_accumulator>;
/// The bounded-memory streaming evaluator (binned states; AP bracketed, AR exact).
using binned_stream_evaluator = basic_stream_evaluator<binned_accumulator>;

/// Feeds every frame from `next` into `ev` (a basic_stream_evaluator, an audit::audit_stream, or any
/// evaluator with add(frame), fresh() and merge(state())). `next` is a callable `bool(frame&)` that fills the
/// frame it is given (which may hold a previous frame: it must clear it) and returns false at the end of the
/// stream. threads == 1: one thread reads and matches. threads >= 2 (0 = all hardware threads): the calling
/// thread reads, `threads` workers match, each into its own evaluator, and the workers' states are merged
/// into `ev` at the end; at most 2 * threads + 2 frames are in flight. The result does not depend on
/// `threads`. An exception from `next` or from matching stops every thread and is rethrown (the first one);
/// `ev` then holds an unspecified part of the stream and should be discarded.
template <class Source, class Evaluator>
void run_stream(Source&& next, Evaluator& ev, unsigned threads = 1) {
  threads = resolve_threads(threads);
  if (threads <= 1) {
    frame f;
    while (next(f)) ev.add(f);
    return;
  }
  std::mutex m;
  std::condition_variable ready_cv, free_cv;
  std::vector<std::unique_ptr<frame>> pool;
  std::deque<frame*> ready, free_frames;
  for (unsigned i = 0; i < 2 * threads + 2; ++i) {
    pool.push_back(std::make_unique<frame>());
    free_frames.push_back(pool.back().get());
  }
  bool done = false, failed = false;
  std::exception_ptr worker_error;
  std::vector<Evaluator> parts;
  parts.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) parts.push_back(ev.fresh());
  auto work = [&](unsigned t) {
    for (;;) {
      frame* f = nullptr;
      {
        std::unique_lock lk(m);
        ready_cv.wait(lk, [&] { return !ready.empty() || done || failed; });
        if (failed || ready.empty()) return;
        f = ready.front();
        ready.pop_front();
      }
      try {
        parts[t].add(*f);
      } catch (...) {
        std::lock_guard lk(m);
        if (!failed) worker_error = std::current_exception();
        failed = true;
        ready_cv.notify_all();
        free_cv.notify_all();
        return;
      }
      {
        std::lock_guard lk(m);
        free_frames.push_back(f);
      }
      free_cv.notify_one();
    }
  };
  std::vector<std::thread> pool_threads;
  pool_threads.reserve(threads);
  auto stop = [&](bool error) {
    {
      std::lock_guard lk(m);
      (error ? failed : done) = true;
    }
    ready_cv.notify_all();
    for (auto& th : pool_threads) th.join();
  };
  try {
    for (unsigned t = 0; t < threads; ++t) pool_threads.emplace_back(work, t);
    for (;;) {
      frame* f = nullptr;
      {
        std::unique_lock lk(m);
        free_cv.wait(lk, [&] { return !free_frames.empty() || failed; });
        if (failed) break;
        f = free_frames.front();
        free_frames.pop_front();
      }
      if (!next(*f)) break;
      {
        std::lock_guard lk(m);
        ready.push_back(f);
      }
      ready_cv.notify_one();
    }
  } catch (...) {
    stop(true);
    throw;
  }
  stop(false);
  if (worker_error) std::rethrow_exception(worker_error);
  for (auto& part : parts) ev.merge(part.state());
}

/// Calls fn(const frame&) for every image of a COCO ground truth, in the order of gt.images, with the image's
/// annotations and detections in input order (one frame object, reused). Throws input_error on an annotation
/// or detection whose image is not in gt.images.
template <class Fn>
void for_each_coco_frame(const ground_truth& gt, const detection_set& dt, Fn&& fn) {
  std::vector<std::int64_t> ids;
  ids.reserve(gt.images.size());
  for (const auto& im : gt.images) ids.push_back(im.id);
  const detail::id_index index(ids);
  const std::size_t n = ids.size();
  auto group = [&](const std::vector<std::int64_t>& image_id, const char* what) {
    std::vector<std::size_t> off(n + 1, 0), order(image_id.size());
    for (std::size_t i = 0; i < image_id.size(); ++i) {
      const auto j = index.find(image_id[i]);
      if (j == detail::id_index::npos)
        throw input_error(std::string(what) + "[" + std::to_string(i) + "].image_id: image " +
                          std::to_string(image_id[i]) + " is not in the ground truth's images");
      ++off[j + 1];
    }
    for (std::size_t j = 0; j < n; ++j) off[j + 1] += off[j];
    std::vector<std::size_t> fill(off.begin(), off.end() - 1);
    for (std::size_t i = 0; i < image_id.size(); ++i) order[fill[index.find(image_id[i])]++] = i;
    return std::pair{std::move(off), std::move(order)};
  };
  const auto [goff, gorder] = group(gt.image_id, "annotations");
  const auto [doff, dorder] = group(dt.image_id, "detections");
  frame f;
  for (std::size_t j = 0; j < n; ++j) {
    f.clear();
    const auto& im = gt.images[j];
    f.id = im.id;
    f.attrs = im.attrs;
    f.provenance = im.provenance;
    f.width = im.width;
    f.height = im.height;
    for (std::size_t r = goff[j]; r < goff[j + 1]; ++r) {
      const auto i = gorder[r];
      f.gt.add(gt.id[i], gt.category_id[i], gt.x[i], gt.y[i], gt.w[i], gt.h[i], gt.area[i], gt.crowd[i] != 0,
               gt.flags[i]);
    }
    for (std::size_t r = doff[j]; r < doff[j + 1]; ++r) {
      const auto i = dorder[r];
      f.dt.add(dt.category_id[i], dt.x[i], dt.y[i], dt.w[i], dt.h[i], dt.score[i]);
    }
    fn(static_cast<const frame&>(f));
  }
}

/// The frames of a COCO ground truth and results (see for_each_coco_frame).
[[nodiscard]] inline std::vector<frame> frames_from_coco(const ground_truth& gt, const detection_set& dt) {
  std::vector<frame> out;
  out.reserve(gt.images.size());
  for_each_coco_frame(gt, dt, [&](const frame& f) { out.push_back(f); });
  return out;
}

}  // namespace stratum::coco
