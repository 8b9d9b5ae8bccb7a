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

/// The slices of the evaluated images (params resolved), in spec order then by name.
[[nodiscard]] inline std::vector<slice_def> make_slices(const ground_truth& gt, const params& p,
                                                        const std::vector<slice_spec>& specs) {
  std::vector<slice_def> out;
  std::vector<std::int64_t> ids;
  for (const auto& im : gt.images) ids.push_back(im.id);
  const detail::id_index by_id(ids);
  for (const auto& spec : specs) {
    if (spec.keys.empty()) throw usage_error("slice: empty list of attribute keys");
    std::map<std::string, std::vector<std::size_t>> cells;
    for (std::size_t i = 0; i < p.img_ids.size(); ++i) {
      const auto& im = gt.images[by_id.find(p.img_ids[i])];
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

struct sliced_evaluation {
  evaluation all;
  std::vector<slice_def> slices;
  std::vector<evaluation> per_slice;  // parallel to slices
};

/// Evaluates all images and every slice; frames are matched once. `threads` as in accumulate().
[[nodiscard]] inline sliced_evaluation evaluate_sliced(const ground_truth& gt, const detection_set& dt,
                                                       params p, const std::vector<slice_spec>& specs,
                                                       unsigned threads = 1) {
  sliced_evaluation out;
  out.all.p = resolve_params(gt, std::move(p));
  const auto& rp = out.all.p;
  out.slices = make_slices(gt, rp, specs);
  const std::size_t S = out.slices.size(), n = rp.img_ids.size();
  std::vector<std::vector<std::uint32_t>> member(n);
  for (std::size_t s = 0; s < S; ++s)
    for (auto i : out.slices[s].images) member[i].push_back(static_cast<std::uint32_t>(s));

  const grouped_data data(gt, dt, rp);
  const acc_dims dims{rp.iou_thrs.size(), rp.use_cats ? rp.cat_ids.size() : 1, rp.area_rngs.size()};
  threads = std::min<unsigned>(resolve_threads(threads), static_cast<unsigned>(std::max<std::size_t>(1, n)));
  // accs[t][0] = all images, accs[t][1 + s] = slice s
  std::vector<std::vector<exact_accumulator>> accs(
      threads, std::vector<exact_accumulator>(S + 1, exact_accumulator(dims)));
  auto work = [&](unsigned t) {
    exact_accumulator frame(dims);
    matcher mt(rp);
    const std::size_t i0 = n * t / threads, i1 = n * (t + 1) / threads;
    if (S == 0) {  // no slices: straight into the pooled state
      match_images(data, rp, i0, i1, accs[t][0]);
      return;
    }
    for (std::size_t i = i0; i < i1; ++i) {
      frame.clear();
      match_images(data, rp, i, i + 1, frame, mt);
      accs[t][0].merge(frame);
      for (auto s : member[i]) accs[t][1 + s].merge(frame);
    }
  };
  stratum::detail::run_workers(threads, work);
  for (unsigned t = 1; t < threads; ++t)
    for (std::size_t s = 0; s <= S; ++s) accs[0][s].merge(accs[t][s]);
  out.all.arrays = accs[0][0].finalize(rp);
  out.all.stats = summarize(out.all.arrays, rp);
  for (std::size_t s = 0; s < S; ++s) {
    evaluation ev;
    ev.p = rp;
    ev.p.img_ids.clear();
    for (auto i : out.slices[s].images) ev.p.img_ids.push_back(rp.img_ids[i]);
    ev.arrays = accs[0][1 + s].finalize(rp);
    ev.stats = summarize(ev.arrays, rp);
    out.per_slice.push_back(std::move(ev));
  }
  return out;
}

}  // namespace stratum::coco
