// pycocotools' `summarize` (the 12 numbers) and per-category figures from the `eval` arrays.
//
// Each number is the mean of the selected array entries that are > -1 (entries of -1 mark a category without
// ground truth), or -1 when there is none. Means are computed with numpy's pairwise summation in the
// reference's element order (C order of the selected sub-array), so they match numpy.mean to the bit.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "../detail/numpy.hpp"
#include "accumulator.hpp"
#include "params.hpp"

namespace stratum::coco {

namespace detail {
using stratum::detail::numpy_sum;

/// numpy.mean(v[v > -1]) or -1 when empty.
inline double mean_valid(const std::vector<double>& v) {
  std::vector<double> kept;
  kept.reserve(v.size());
  for (double x : v)
    if (x > -1) kept.push_back(x);
  if (kept.empty()) return -1;
  return numpy_sum(kept.data(), kept.size()) / static_cast<double>(kept.size());
}
}  // namespace detail

/// Index of value `x` in `v`, or -1 (exact comparison, as numpy.where(x == v)).
template <class T>
[[nodiscard]] inline std::ptrdiff_t index_of(const std::vector<T>& v, T x) noexcept {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] == x) return static_cast<std::ptrdiff_t>(i);
  return -1;
}

/// One summary number: mean precision (ap=true) or recall over the selected IoU threshold (all when
/// iou_thr < 0), area-range label, maxDets value and categories (all when k < 0).
[[nodiscard]] inline double summarize_one(const eval_arrays& e, const params& p, bool ap, double iou_thr,
                                          const std::string& area_lbl, int max_det, std::ptrdiff_t k = -1) {
  std::ptrdiff_t a = -1;
  for (std::size_t i = 0; i < p.area_rngs.size(); ++i)
    if (p.area_rngs[i].label == area_lbl) {
      a = static_cast<std::ptrdiff_t>(i);
      break;
    }
  const std::ptrdiff_t m = index_of(p.max_dets, max_det);
  const std::ptrdiff_t t_sel = iou_thr < 0 ? -1 : index_of(p.iou_thrs, iou_thr);
  if (a < 0 || m < 0 || (iou_thr >= 0 && t_sel < 0)) return -1;
  std::vector<double> sel;
  for (std::size_t t = 0; t < e.T; ++t) {
    if (t_sel >= 0 && t != static_cast<std::size_t>(t_sel)) continue;
    if (ap) {
      for (std::size_t r = 0; r < e.R; ++r)
        for (std::size_t kk = 0; kk < e.K; ++kk)
          if (k < 0 || kk == static_cast<std::size_t>(k))
            sel.push_back(
                e.precision[e.p_index(t, r, kk, static_cast<std::size_t>(a), static_cast<std::size_t>(m))]);
    } else {
      for (std::size_t kk = 0; kk < e.K; ++kk)
        if (k < 0 || kk == static_cast<std::size_t>(k))
          sel.push_back(e.recall[e.r_index(t, kk, static_cast<std::size_t>(a), static_cast<std::size_t>(m))]);
    }
  }
  return detail::mean_valid(sel);
}

/// The 12 numbers of pycocotools' summarize(), in its order: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100,
/// ARs, ARm, ARl. As in the reference, AP uses maxDets 100 and the others maxDets[2] (or the last one when
/// there are fewer than 3 values); a selection that does not exist (e.g. no 0.5 threshold) gives -1.
[[nodiscard]] inline std::array<double, 12> summarize(const eval_arrays& e, const params& p) {
  const auto& md = p.max_dets;
  const int m0 = md[0], m1 = md[std::min<std::size_t>(1, md.size() - 1)],
            m2 = md[std::min<std::size_t>(2, md.size() - 1)];
  return {summarize_one(e, p, true, -1, "all", 100),    summarize_one(e, p, true, 0.5, "all", m2),
          summarize_one(e, p, true, 0.75, "all", m2),   summarize_one(e, p, true, -1, "small", m2),
          summarize_one(e, p, true, -1, "medium", m2),  summarize_one(e, p, true, -1, "large", m2),
          summarize_one(e, p, false, -1, "all", m0),    summarize_one(e, p, false, -1, "all", m1),
          summarize_one(e, p, false, -1, "all", m2),    summarize_one(e, p, false, -1, "small", m2),
          summarize_one(e, p, false, -1, "medium", m2), summarize_one(e, p, false, -1, "large", m2)};
}

/// Per-category figures (area "all", largest maxDets unless stated).
struct category_summary {
  double ap = -1;     // mean precision over IoU and recall thresholds
  double ap50 = -1;   // at IoU 0.5
  double ap75 = -1;   // at IoU 0.75
  double ar100 = -1;  // mean recall over IoU thresholds at maxDets 100
  std::vector<double> ap_per_iou, recall_per_iou;
};

[[nodiscard]] inline category_summary summarize_category(const eval_arrays& e, const params& p,
                                                         std::size_t k) {
  category_summary c;
  const auto kk = static_cast<std::ptrdiff_t>(k);
  const int mlast = p.max_dets.back();
  const std::string all = p.area_rngs.front().label;
  c.ap = summarize_one(e, p, true, -1, all, mlast, kk);
  c.ap50 = summarize_one(e, p, true, 0.5, all, mlast, kk);
  c.ap75 = summarize_one(e, p, true, 0.75, all, mlast, kk);
  c.ar100 = summarize_one(e, p, false, -1, all, 100, kk);
  for (double t : p.iou_thrs) {
    c.ap_per_iou.push_back(summarize_one(e, p, true, t, all, mlast, kk));
    c.recall_per_iou.push_back(summarize_one(e, p, false, t, all, mlast, kk));
  }
  return c;
}

}  // namespace stratum::coco
