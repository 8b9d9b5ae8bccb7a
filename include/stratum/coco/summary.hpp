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

/// The 12 numbers of pycocotools' summarize(), in its order.
enum class stat : std::size_t {
  ap,
  ap50,
  ap75,
  ap_small,
  ap_medium,
  ap_large,
  ar1,
  ar10,
  ar100,
  ar_small,
  ar_medium,
  ar_large
};
inline constexpr std::size_t stat_count = 12;

/// How each number is selected (pycocotools' _summarizeDets): AP or AR, one IoU threshold or all (iou < 0),
/// the area range's label, and the maxDets value: `max_dets_slot` 0, 1, 2 is p.max_dets[min(slot, M - 1)],
/// and -1 is the literal 100 (the reference's AP line, whatever maxDets holds).
struct stat_info {
  stat id;
  const char* name;  // "AP", "AP50", ..., "ARl": the names the CLI, the JSON and the docs use
  bool ap;
  double iou;
  const char* area;
  int max_dets_slot;
};

/// The one table of the 12 numbers, read by summarize(), the CLI's summary, the JSON and the examples.
inline constexpr std::array<stat_info, stat_count> stat_table = {{
    {stat::ap, "AP", true, -1, "all", -1},
    {stat::ap50, "AP50", true, 0.5, "all", 2},
    {stat::ap75, "AP75", true, 0.75, "all", 2},
    {stat::ap_small, "APs", true, -1, "small", 2},
    {stat::ap_medium, "APm", true, -1, "medium", 2},
    {stat::ap_large, "APl", true, -1, "large", 2},
    {stat::ar1, "AR1", false, -1, "all", 0},
    {stat::ar10, "AR10", false, -1, "all", 1},
    {stat::ar100, "AR100", false, -1, "all", 2},
    {stat::ar_small, "ARs", false, -1, "small", 2},
    {stat::ar_medium, "ARm", false, -1, "medium", 2},
    {stat::ar_large, "ARl", false, -1, "large", 2},
}};

[[nodiscard]] constexpr std::size_t index(stat s) noexcept {
  return static_cast<std::size_t>(s);
}
[[nodiscard]] constexpr const char* name(stat s) noexcept {
  return stat_table[index(s)].name;
}

/// The maxDets value of a number under parameters p (see stat_info::max_dets_slot).
[[nodiscard]] inline int max_dets_of(const stat_info& si, const params& p) noexcept {
  if (si.max_dets_slot < 0) return 100;
  return p.max_dets[std::min<std::size_t>(static_cast<std::size_t>(si.max_dets_slot), p.max_dets.size() - 1)];
}

/// The 12 numbers, indexed by position (pycocotools' order) or by name: stats[stat::ap50].
struct summary_stats : std::array<double, stat_count> {
  using std::array<double, stat_count>::operator[];
  [[nodiscard]] double& operator[](stat s) noexcept { return (*this)[index(s)]; }
  [[nodiscard]] const double& operator[](stat s) const noexcept { return (*this)[index(s)]; }
};

/// The 12 numbers of pycocotools' summarize(), in its order (stat_table). As in the reference, AP uses
/// maxDets 100 and the others maxDets[2] (or the last one when there are fewer than 3 values); a selection
/// that does not exist (e.g. no 0.5 threshold) gives -1.
[[nodiscard]] inline summary_stats summarize(const eval_arrays& e, const params& p) {
  summary_stats out{};
  for (const auto& si : stat_table)
    out[si.id] = summarize_one(e, p, si.ap, si.iou, si.area, max_dets_of(si, p));
  return out;
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
