// Sliced evaluation: the same COCO metrics per scenario class (one slice per value of an attribute, e.g.
// "weather=rain"), per joint cell of several attributes ("weather=rain&timeofday=dusk") and per provenance
// ("provenance=synthetic"). Each frame is matched once, whatever the number of slices it belongs to; its
// records are then added to the accumulator of every slice it is in. A slice's numbers equal those of
// pycocotools run with imgIds restricted to the slice's images (matching never looks across images).
//
// A frame without a value for one of a slice's keys belongs to no slice of that key.
#pragma once

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "../detail/parallel.hpp"
#include "binned.hpp"
#include "evaluator.hpp"

namespace stratum::coco {

/// One slicing: a single attribute key (a slice per value) or several keys (a slice per joint cell).
/// The key "provenance" reads the frame's provenance.
struct slice_spec {
  std::vector<std::string> keys;
};

struct slice_def {
  std::string name;                 // "k1=v1&k2=v2"
  std::vector<std::size_t> images;  // indices into params.img_ids, ascending
};

namespace detail {
inline const std::string* frame_value(const image_info& im, const std::string& key) {
  if (key == "provenance") return im.provenance.empty() ? nullptr : &im.provenance;
  return im.attribute(key);
}
}  // namespace detail

/// The slices of the evaluated images (params resolved; `images` holds every one of p.img_ids, in any order),
/// in spec order then by name.
[[nodiscard]] inline std::vector<slice_def> make_slices(const std::vector<image_info>& images,
                                                        const params& p,
                                                        const std::vector<slice_spec>& specs) {
  std::vector<slice_def> out;
  std::vector<std::int64_t> ids;
  for (const auto& im : images) ids.push_back(im.id);
  const detail::id_index by_id(ids);
  for (const auto& spec : specs) {
    if (spec.keys.empty()) throw usage_error("slice: empty list of attribute keys");
    std::map<std::string, std::vector<std::size_t>> cells;
    for (std::size_t i = 0; i < p.img_ids.size(); ++i) {
      const auto at = by_id.find(p.img_ids[i]);
      if (at == detail::id_index::npos)
        throw usage_error("make_slices: image " + std::to_string(p.img_ids[i]) + " is not among the images");
      const auto& im = images[at];
      std::string name;
      bool complete = true;
      for (const auto& key : spec.keys) {
        const auto* v = detail::frame_value(im, key);
        if (!v) {
          complete = false;
          break;
        }
        if (!name.empty()) name += '&';
        name += key + "=" + *v;
      }
      if (complete) cells[name].push_back(i);
    }
    for (auto& [name, imgs] : cells) out.push_back({name, std::move(imgs)});
  }
  return out;
}

/// The slices of the evaluated images of a ground truth (as above, with its images).
[[nodiscard]] inline std::vector<slice_def> make_slices(const ground_truth& gt, const params& p,
                                                        const std::vector<slice_spec>& specs) {
  return make_slices(gt.images, p, specs);
}

/// One slice's results kept together: its name, its images and its evaluation (Eval: coco::evaluation, or
/// coco::binned_evaluation in the bounded-memory mode).
template <class Eval>
struct basic_slice_result {
  std::string name;                 // "k1=v1&k2=v2"
  std::vector<std::size_t> images;  // indices into the pooled evaluation's p->img_ids, ascending
  Eval eval;                        // eval.p->img_ids: the slice's image ids
};

/// The pooled evaluation and every slice's.
template <class Eval>
struct basic_sliced_evaluation {
  Eval all;
  std::vector<basic_slice_result<Eval>> slices;
};

using slice_result = basic_slice_result<evaluation>;
using sliced_evaluation = basic_sliced_evaluation<evaluation>;
using binned_slice_result = basic_slice_result<binned_evaluation>;
using sliced_binned_evaluation = basic_sliced_evaluation<binned_evaluation>;

namespace detail {

/// Adds one frame's exact records to a pooled or slice state.
inline void absorb(exact_accumulator& into, const exact_accumulator& frame) {
  into.merge(frame);
}
inline void absorb(binned_accumulator& into, const exact_accumulator& frame) {
  into.add(frame);
}

/// The evaluation of a finished state.
inline evaluation finish(const exact_accumulator& acc, resolved_params p, const resolved_params& shape,
                         std::size_t) {
  evaluation ev{std::move(p), acc.finalize(shape), {}};
  ev.stats = summarize(ev.arrays, shape);
  return ev;
}
inline binned_evaluation finish(const binned_accumulator& acc, resolved_params p,
                                const resolved_params& shape, std::size_t bins) {
  binned_evaluation ev{std::move(p), acc.finalize(shape), {}, bins};
  ev.stats = summarize(ev.arrays, shape);
  return ev;
}

template <class Acc, class Make>
[[nodiscard]] auto evaluate_sliced_with(const ground_truth& gt, const detection_set& dt, params p,
                                        const std::vector<slice_spec>& specs, unsigned threads,
                                        std::size_t bins, Make make) {
  const auto rp = resolve_params(gt, std::move(p));
  auto defs = make_slices(gt, rp, specs);
  const std::size_t S = defs.size(), n = rp->img_ids.size();
  std::vector<std::vector<std::uint32_t>> member(n);
  for (std::size_t s = 0; s < S; ++s)
    for (auto i : defs[s].images) member[i].push_back(static_cast<std::uint32_t>(s));

  const grouped_data data(gt, dt, rp);
  threads = std::min<unsigned>(resolve_threads(threads), static_cast<unsigned>(std::max<std::size_t>(1, n)));
  // accs[t][0] = all images, accs[t][1 + s] = slice s
  // built in place: a binned state can be large, so no temporary copies
  std::vector<std::vector<Acc>> accs(threads);
  for (auto& a : accs) {
    a.reserve(S + 1);
    for (std::size_t s = 0; s <= S; ++s) a.push_back(make(rp));
  }
  auto work = [&](unsigned t) {
    exact_accumulator frame(rp.dims());
    matcher mt(rp);
    const std::size_t i0 = n * t / threads, i1 = n * (t + 1) / threads;
    if (S == 0) {  // no slices: straight into the pooled state
      match_images(data, rp, i0, i1, accs[t][0]);
      return;
    }
    for (std::size_t i = i0; i < i1; ++i) {
      frame.clear();
      match_images(data, rp, i, i + 1, frame, mt);
      absorb(accs[t][0], frame);
      for (auto s : member[i]) absorb(accs[t][1 + s], frame);
    }
  };
  stratum::detail::run_workers(threads, work);
  for (unsigned t = 1; t < threads; ++t)
    for (std::size_t s = 0; s <= S; ++s) accs[0][s].merge(accs[t][s]);
  using eval_t = decltype(finish(accs[0][0], rp, rp, bins));
  basic_sliced_evaluation<eval_t> out{finish(accs[0][0], rp, rp, bins), {}};
  for (std::size_t s = 0; s < S; ++s) {
    std::vector<std::int64_t> ids;
    for (auto i : defs[s].images) ids.push_back(rp->img_ids[i]);
    out.slices.push_back({std::move(defs[s].name), std::move(defs[s].images),
                          finish(accs[0][1 + s], rp.with_images(ids), rp, bins)});
  }
  return out;
}

}  // namespace detail

/// Evaluates all images and every slice; frames are matched once. `threads` as in accumulate().
[[nodiscard]] inline sliced_evaluation evaluate_sliced(const ground_truth& gt, const detection_set& dt,
                                                       params p, const std::vector<slice_spec>& specs,
                                                       unsigned threads = 1) {
  return detail::evaluate_sliced_with<exact_accumulator>(
      gt, dt, std::move(p), specs, threads, 0,
      [](const resolved_params& rp) { return exact_accumulator(rp.dims()); });
}

/// The same in bounded memory: every state (pooled and per slice) is a binned accumulator of `bins` score
/// bins, so memory does not grow with the number of detections; the six AP numbers come as a proven bracket
/// [stats.lower, stats.upper] around pycocotools' value, the six AR numbers exactly (binned.hpp). Scores must
/// lie in [0, 1] (input_error naming the detection otherwise). Throws usage_error on bins outside [1, 2^24].
[[nodiscard]] inline sliced_binned_evaluation evaluate_sliced_binned(const ground_truth& gt,
                                                                     const detection_set& dt, params p,
                                                                     const std::vector<slice_spec>& specs,
                                                                     std::size_t bins, unsigned threads = 1) {
  for (std::size_t i = 0; i < dt.size(); ++i)
    if (!(dt.score[i] >= 0 && dt.score[i] <= 1))
      throw input_error("detections[" + std::to_string(i) +
                        "].score: " + binned_accumulator::score_message(dt.score[i]));
  return detail::evaluate_sliced_with<binned_accumulator>(
      gt, dt, std::move(p), specs, threads, bins,
      [bins](const resolved_params& rp) { return binned_accumulator(rp, bins); });
}

}  // namespace stratum::coco
