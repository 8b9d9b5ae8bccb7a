// Batch COCO evaluation (pycocotools COCOeval for iouType='bbox': evaluate + accumulate + summarize) over an
// in-memory ground truth and detection set, optionally on several threads with identical results.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <thread>
#include <type_traits>
#include <vector>

#include "../core/error.hpp"
#include "../detail/parallel.hpp"
#include "accumulator.hpp"
#include "dataset.hpp"
#include "matcher.hpp"
#include "params.hpp"
#include "summary.hpp"

namespace stratum::coco {

struct evaluation {
  resolved_params p{};  // the evaluated images and categories
  eval_arrays arrays;
  summary_stats stats{};  // stats[stat::ap], or by position in pycocotools' order
  [[nodiscard]] category_summary category(std::size_t k) const { return summarize_category(arrays, p, k); }
};

/// Resolves the image and category ids (sorted, unique; defaults: all of the ground truth) as pycocotools
/// does. Throws usage_error on invalid parameters.
[[nodiscard]] inline resolved_params resolve_params(const ground_truth& gt, params p) {
  std::vector<std::int64_t> images, categories;
  if (p.img_ids.empty())
    for (const auto& im : gt.images) images.push_back(im.id);
  if (p.cat_ids.empty())
    for (const auto& c : gt.categories) categories.push_back(c.id);
  return resolved_params::resolve(std::move(p), images, categories);
}

/// Ground truths and detections grouped by image, and by category within an image, for matching: a stable
/// two-pass counting sort of row indices (no copy of the data), so each group keeps the input order, the
/// order pycocotools sees them in. Memory is proportional to the rows, not to images x categories. It refers
/// to the ground truth and detections, which must outlive it.
class grouped_data {
 public:
  grouped_data(const ground_truth& gt, const detection_set& dt, const params& p)
      : gt_(&gt), dt_(&dt), n_img_(p.img_ids.size()), n_cat_(p.cat_ids.size()) {
    if (gt.size() >= UINT32_MAX || dt.size() >= UINT32_MAX)
      throw usage_error("evaluate: 2^32 or more records");
    const detail::id_index img(p.img_ids), cat(p.cat_ids);
    group(img, cat, gt.image_id, gt.category_id, goff_, grow_, gk_);
    group(img, cat, dt.image_id, dt.category_id, doff_, drow_, dk_);
  }

  [[nodiscard]] std::size_t images() const noexcept { return n_img_; }
  [[nodiscard]] std::size_t categories() const noexcept { return n_cat_; }

  /// Detections per category index in images [i0, i1).
  [[nodiscard]] std::vector<std::size_t> detections_per_category(std::size_t i0, std::size_t i1) const {
    std::vector<std::size_t> n(n_cat_, 0);
    for (std::size_t r = doff_[i0]; r < doff_[i1]; ++r) ++n[dk_[r]];
    return n;
  }

  /// Calls f(k, gts, dts) for each category k with ground truths or detections in image i, ascending k.
  template <class F>
  void for_each_category(std::size_t i, F&& f) const {
    std::size_t g = goff_[i], d = doff_[i];
    const std::size_t g1 = goff_[i + 1], d1 = doff_[i + 1];
    while (g < g1 || d < d1) {
      const auto k = std::min(g < g1 ? gk_[g] : UINT32_MAX, d < d1 ? dk_[d] : UINT32_MAX);
      std::size_t ge = g, de = d;
      while (ge < g1 && gk_[ge] == k) ++ge;
      while (de < d1 && dk_[de] == k) ++de;
      f(static_cast<std::size_t>(k), gts(g, ge), dts(d, de));
      g = ge, d = de;
    }
  }
  /// Every ground truth and detection of image i (categories in ascending order).
  [[nodiscard]] gt_span image_gts(std::size_t i) const noexcept { return gts(goff_[i], goff_[i + 1]); }
  [[nodiscard]] dt_span image_dts(std::size_t i) const noexcept { return dts(doff_[i], doff_[i + 1]); }

 private:
  static constexpr std::size_t npos = detail::id_index::npos;

  [[nodiscard]] gt_span gts(std::size_t r0, std::size_t r1) const noexcept {
    const auto& g = *gt_;
    return {r1 - r0,       g.x.data(),     g.y.data(),  g.w.data(),        g.h.data(),
            g.area.data(), g.crowd.data(), g.id.data(), grow_.data() + r0, g.flags.data()};
  }
  [[nodiscard]] dt_span dts(std::size_t r0, std::size_t r1) const noexcept {
    const auto& d = *dt_;
    return {r1 - r0, d.x.data(), d.y.data(), d.w.data(), d.h.data(), d.score.data(), drow_.data() + r0};
  }

  void group(const detail::id_index& img, const detail::id_index& cat,
             const std::vector<std::int64_t>& image_id, const std::vector<std::int64_t>& category_id,
             std::vector<std::size_t>& off, std::vector<std::uint32_t>& rows,
             std::vector<std::uint32_t>& keys) const {
    const std::size_t n = image_id.size();
    std::vector<std::uint32_t> im(n), ct(n);
    std::vector<std::size_t> cat_off(n_cat_ + 1, 0);
    off.assign(n_img_ + 1, 0);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto a = img.find(image_id[i]), k = cat.find(category_id[i]);
      if (a == npos || k == npos) {
        im[i] = UINT32_MAX;
        continue;
      }
      im[i] = static_cast<std::uint32_t>(a), ct[i] = static_cast<std::uint32_t>(k);
      ++cat_off[k + 1], ++off[a + 1], ++kept;
    }
    // pass 1: stable by category
    for (std::size_t k = 0; k < n_cat_; ++k) cat_off[k + 1] += cat_off[k];
    std::vector<std::uint32_t> by_cat(kept);
    for (std::size_t i = 0; i < n; ++i)
      if (im[i] != UINT32_MAX) by_cat[cat_off[ct[i]]++] = static_cast<std::uint32_t>(i);
    // pass 2: stable by image
    for (std::size_t a = 0; a < n_img_; ++a) off[a + 1] += off[a];
    rows.resize(kept);
    keys.resize(kept);
    std::vector<std::size_t> fill(off.begin(), off.end() - 1);
    for (const auto r : by_cat) {
      const auto j = fill[im[r]]++;
      rows[j] = r;
      keys[j] = ct[r];
    }
  }

  const ground_truth* gt_;
  const detection_set* dt_;
  std::size_t n_img_, n_cat_;
  std::vector<std::size_t> goff_, doff_;
  std::vector<std::uint32_t> grow_, drow_, gk_, dk_;
};

/// Matches images [i0, i1) of `data` into `acc`.
template <class Accumulator>
inline void match_images(const grouped_data& data, const params& p, std::size_t i0, std::size_t i1,
                         Accumulator& acc, matcher& mt) {
  for (std::size_t i = i0; i < i1; ++i) {
    const auto image_id = p.img_ids[i];
    if (p.use_cats)
      data.for_each_category(
          i, [&](std::size_t k, const gt_span& g, const dt_span& d) { mt.match(g, d, image_id, k, acc); });
    else
      mt.match(data.image_gts(i), data.image_dts(i), image_id, 0, acc);
    // an accumulator that looks across the categories of an image (audit::operating_records) is told its end
    if constexpr (requires { acc.end_image(); }) acc.end_image();
  }
}

template <class Accumulator>
inline void match_images(const grouped_data& data, const params& p, std::size_t i0, std::size_t i1,
                         Accumulator& acc) {
  if constexpr (std::is_same_v<Accumulator, exact_accumulator>) {
    const auto n = data.detections_per_category(i0, i1);
    if (p.use_cats)
      for (std::size_t k = 0; k < n.size(); ++k) acc.reserve(k, n[k]);
    else
      acc.reserve(0, std::accumulate(n.begin(), n.end(), std::size_t{0}));
  }
  matcher mt(p);
  match_images(data, p, i0, i1, acc, mt);
}

/// Number of worker threads for `threads` (0 = all hardware threads).
[[nodiscard]] inline unsigned resolve_threads(unsigned threads) noexcept {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  return threads;
}

/// The exact accumulator of a batch evaluation; images are split into contiguous chunks over `threads`
/// workers whose states are merged (the result does not depend on the number of threads).
[[nodiscard]] inline exact_accumulator accumulate(const ground_truth& gt, const detection_set& dt,
                                                  const resolved_params& p, unsigned threads = 1) {
  p.require("accumulate");
  const grouped_data data(gt, dt, p);
  const acc_dims dims = p.dims();
  const std::size_t n = data.images();
  threads = std::min<unsigned>(resolve_threads(threads), static_cast<unsigned>(std::max<std::size_t>(1, n)));
  if (threads <= 1) {
    exact_accumulator acc(dims);
    match_images(data, p, 0, n, acc);
    return acc;
  }
  std::vector<exact_accumulator> parts(threads, exact_accumulator(dims));
  stratum::detail::run_workers(
      threads, [&](unsigned t) { match_images(data, p, n * t / threads, n * (t + 1) / threads, parts[t]); });
  for (unsigned t = 1; t < threads; ++t) parts[0].merge(parts[t]);
  return std::move(parts[0]);
}

/// evaluate + accumulate + summarize.
[[nodiscard]] inline evaluation evaluate(const ground_truth& gt, const detection_set& dt, params p,
                                         unsigned threads = 1) {
  evaluation ev{resolve_params(gt, std::move(p)), {}, {}};
  ev.arrays = accumulate(gt, dt, ev.p, threads).finalize(ev.p);
  ev.stats = summarize(ev.arrays, ev.p);
  return ev;
}

}  // namespace stratum::coco
