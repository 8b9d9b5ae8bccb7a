// Batch COCO evaluation (pycocotools COCOeval for iouType='bbox': evaluate + accumulate + summarize) over an
// in-memory ground truth and detection set, optionally on several threads with identical results.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <thread>
#include <vector>

#include "../core/error.hpp"
#include "accumulator.hpp"
#include "dataset.hpp"
#include "matcher.hpp"
#include "params.hpp"
#include "summary.hpp"

namespace stratum::coco {

struct evaluation {
  params p;  // as resolved: img_ids and cat_ids sorted, the evaluated ones
  eval_arrays arrays;
  std::array<double, 12> stats{};
  [[nodiscard]] category_summary category(std::size_t k) const { return summarize_category(arrays, p, k); }
};

/// Resolves the image and category ids (sorted, unique; defaults: all of the ground truth) as pycocotools does.
[[nodiscard]] inline params resolve_params(const ground_truth& gt, params p) {
  p.validate();
  if (p.img_ids.empty())
    for (const auto& im : gt.images) p.img_ids.push_back(im.id);
  if (p.cat_ids.empty())
    for (const auto& c : gt.categories) p.cat_ids.push_back(c.id);
  for (auto* v : {&p.img_ids, &p.cat_ids}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return p;
}

/// Ground truths and detections regrouped by (image, category) for matching: a counting sort that keeps the
/// input order within each group, which is the order pycocotools sees them in.
class grouped_data {
 public:
  grouped_data(const ground_truth& gt, const detection_set& dt, const params& p)
      : n_img_(p.img_ids.size()), n_cat_(p.cat_ids.size()) {
    const detail::id_index img(p.img_ids), cat(p.cat_ids);
    auto key_of = [&](std::int64_t im, std::int64_t c) -> std::size_t {
      const auto i = img.find(im), k = cat.find(c);
      if (i == detail::id_index::npos || k == detail::id_index::npos) return npos;
      return i * n_cat_ + k;
    };
    const std::size_t groups = n_img_ * n_cat_;
    // ground truth
    {
      std::vector<std::size_t> key(gt.size());
      goff_.assign(groups + 1, 0);
      for (std::size_t i = 0; i < gt.size(); ++i) {
        key[i] = key_of(gt.image_id[i], gt.category_id[i]);
        if (key[i] != npos) ++goff_[key[i] + 1];
      }
      for (std::size_t g = 0; g < groups; ++g) goff_[g + 1] += goff_[g];
      const std::size_t n = goff_[groups];
      for (auto* v : {&gx_, &gy_, &gw_, &gh_, &garea_}) v->resize(n);
      gcrowd_.resize(n);
      gid_.resize(n);
      std::vector<std::size_t> fill(goff_.begin(), goff_.end() - 1);
      for (std::size_t i = 0; i < gt.size(); ++i) {
        if (key[i] == npos) continue;
        const auto j = fill[key[i]]++;
        gx_[j] = gt.x[i], gy_[j] = gt.y[i], gw_[j] = gt.w[i], gh_[j] = gt.h[i], garea_[j] = gt.area[i];
        gcrowd_[j] = gt.crowd[i];
        gid_[j] = gt.id[i];
      }
    }
    // detections
    {
      std::vector<std::size_t> key(dt.size());
      doff_.assign(groups + 1, 0);
      for (std::size_t i = 0; i < dt.size(); ++i) {
        key[i] = key_of(dt.image_id[i], dt.category_id[i]);
        if (key[i] != npos) ++doff_[key[i] + 1];
      }
      for (std::size_t g = 0; g < groups; ++g) doff_[g + 1] += doff_[g];
      const std::size_t n = doff_[groups];
      for (auto* v : {&dx_, &dy_, &dw_, &dh_, &dscore_}) v->resize(n);
      std::vector<std::size_t> fill(doff_.begin(), doff_.end() - 1);
      for (std::size_t i = 0; i < dt.size(); ++i) {
        if (key[i] == npos) continue;
        const auto j = fill[key[i]]++;
        dx_[j] = dt.x[i], dy_[j] = dt.y[i], dw_[j] = dt.w[i], dh_[j] = dt.h[i], dscore_[j] = dt.score[i];
      }
    }
  }

  [[nodiscard]] std::size_t images() const noexcept { return n_img_; }
  [[nodiscard]] std::size_t categories() const noexcept { return n_cat_; }

  /// Ground truths of groups [g0, g1) (consecutive groups are consecutive categories of one image).
  [[nodiscard]] gt_span gts(std::size_t g0, std::size_t g1) const noexcept {
    const auto b = goff_[g0];
    return {goff_[g1] - b, gx_.data() + b, gy_.data() + b, gw_.data() + b, gh_.data() + b, garea_.data() + b,
            gcrowd_.data() + b, gid_.data() + b};
  }
  [[nodiscard]] dt_span dts(std::size_t g0, std::size_t g1) const noexcept {
    const auto b = doff_[g0];
    return {doff_[g1] - b, dx_.data() + b, dy_.data() + b, dw_.data() + b, dh_.data() + b, dscore_.data() + b};
  }

 private:
  static constexpr std::size_t npos = detail::id_index::npos;
  std::size_t n_img_, n_cat_;
  std::vector<std::size_t> goff_, doff_;
  std::vector<double> gx_, gy_, gw_, gh_, garea_, dx_, dy_, dw_, dh_, dscore_;
  std::vector<unsigned char> gcrowd_;
  std::vector<std::int64_t> gid_;
};

/// Matches images [i0, i1) of `data` into `acc`.
inline void match_images(const grouped_data& data, const params& p, std::size_t i0, std::size_t i1,
                         exact_accumulator& acc, matcher& mt) {
  const std::size_t K = data.categories();
  for (std::size_t i = i0; i < i1; ++i) {
    const auto image_id = p.img_ids[i];
    if (p.use_cats) {
      for (std::size_t k = 0; k < K; ++k)
        mt.match(data.gts(i * K + k, i * K + k + 1), data.dts(i * K + k, i * K + k + 1), image_id, k, acc);
    } else {
      mt.match(data.gts(i * K, (i + 1) * K), data.dts(i * K, (i + 1) * K), image_id, 0, acc);
    }
  }
}

inline void match_images(const grouped_data& data, const params& p, std::size_t i0, std::size_t i1,
                         exact_accumulator& acc) {
  matcher mt(p);
  match_images(data, p, i0, i1, acc, mt);
}

/// Number of worker threads for `threads` (0 = all hardware threads).
[[nodiscard]] inline unsigned resolve_threads(unsigned threads) noexcept {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  return threads;
}

/// The exact accumulator of a batch evaluation; images are split into contiguous chunks over `threads` workers
/// whose states are merged (the result does not depend on the number of threads).
[[nodiscard]] inline exact_accumulator accumulate(const ground_truth& gt, const detection_set& dt, const params& p,
                                                  unsigned threads = 1) {
  const grouped_data data(gt, dt, p);
  const acc_dims dims{p.iou_thrs.size(), p.use_cats ? p.cat_ids.size() : 1, p.area_rngs.size()};
  const std::size_t n = data.images();
  threads = std::min<unsigned>(resolve_threads(threads), static_cast<unsigned>(std::max<std::size_t>(1, n)));
  if (threads <= 1) {
    exact_accumulator acc(dims);
    match_images(data, p, 0, n, acc);
    return acc;
  }
  std::vector<exact_accumulator> parts(threads, exact_accumulator(dims));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { match_images(data, p, n * t / threads, n * (t + 1) / threads, parts[t]); });
  for (auto& th : pool) th.join();
  for (unsigned t = 1; t < threads; ++t) parts[0].merge(parts[t]);
  return std::move(parts[0]);
}

/// evaluate + accumulate + summarize.
[[nodiscard]] inline evaluation evaluate(const ground_truth& gt, const detection_set& dt, params p,
                                         unsigned threads = 1) {
  evaluation ev;
  ev.p = resolve_params(gt, std::move(p));
  ev.arrays = accumulate(gt, dt, ev.p, threads).finalize(ev.p);
  ev.stats = summarize(ev.arrays, ev.p);
  return ev;
}

}  // namespace stratum::coco
