// Threshold curves of an operating point (docs/audit.md, "Curves"): per category and per slice, at the
// operating point's IoU threshold, precision, recall and F1 against the score threshold, which is also the
// precision-recall curve (each point carries both). Counted from the same operating records as the counts
// (operating.hpp), so a point's tp and fp are exactly the counts of `count` at its threshold on the same
// images.
//
// A curve has one point per distinct score s of the non-ignored kept detections, in descending order: the
// detections with score >= s, tp and fp of them, precision tp / (tp + fp), recall tp / n_gt (NaN when n_gt is
// 0) and F1 2 tp / (2 tp + fp + fn). "all" pools the categories under one common threshold. Curves are
// thinned to at most max_points evenly spaced points (by rank among the distinct scores, both ends kept)
// plus, kept exactly, the operating point (the point whose counts are the operating point's: the lowest
// distinct score at or above its threshold) and the curve's own F1 optimum (the lowest threshold reaching the
// largest F1, as choose() picks it).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "audit.hpp"
#include "operating.hpp"

namespace stratum::audit {

struct curve_point {
  double threshold = 0;
  std::uint64_t tp = 0, fp = 0;
  double precision = 0, recall = 0, f1 = 0;
};

struct threshold_curve {
  std::uint64_t n_gt = 0;
  std::size_t distinct = 0;         // distinct scores before thinning
  std::vector<curve_point> points;  // thresholds descending
  /// The operating point's index in points (none: no detection at or above its threshold, or no threshold).
  std::optional<std::size_t> operating;
  /// The curve's own F1 optimum (none: no detection or no ground truth).
  std::optional<std::size_t> best_f1;
};

/// Pooled over categories ("all", one common threshold) and per category index; over all images and per
/// slice (as op.slices).
using curve_block = by_category<threshold_curve>;
using operating_curves = by_slice<curve_block>;

namespace detail {

struct scored {
  double score;
  bool tp;
};

/// The curve of `c` (sorted by score descending) with `n_gt` ground truths; `op_threshold` the operating
/// threshold (NaN: no operating point on this curve).
inline threshold_curve make_curve(const std::vector<scored>& c, std::uint64_t n_gt, double op_threshold,
                                  std::size_t max_points) {
  threshold_curve out;
  out.n_gt = n_gt;
  std::vector<curve_point> full;
  std::uint64_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < c.size();) {
    const double s = c[i].score;
    for (; i < c.size() && c[i].score == s; ++i) (c[i].tp ? tp : fp) += 1;
    const std::uint64_t fn = n_gt - tp;
    curve_point p;
    p.threshold = s;
    p.tp = tp, p.fp = fp;
    p.precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    p.recall =
        n_gt ? static_cast<double>(tp) / static_cast<double>(n_gt) : std::numeric_limits<double>::quiet_NaN();
    p.f1 = static_cast<double>(2 * tp) / static_cast<double>(2 * tp + fp + fn);
    full.push_back(p);
  }
  out.distinct = full.size();
  if (full.empty()) return out;
  std::optional<std::size_t> op, best;
  for (std::size_t i = 0; i < full.size() && full[i].threshold >= op_threshold; ++i) op = i;
  if (n_gt > 0)
    for (std::size_t i = 0; i < full.size(); ++i)
      if (!best || full[i].f1 >= full[*best].f1) best = i;  // descending: on a tie the lower threshold wins
  std::vector<std::size_t> keep;
  const std::size_t D = full.size(), M = std::max<std::size_t>(2, max_points);
  if (D <= M) {
    for (std::size_t i = 0; i < D; ++i) keep.push_back(i);
  } else {
    for (std::size_t j = 0; j < M; ++j) keep.push_back((j * (D - 1) + (M - 1) / 2) / (M - 1));
  }
  if (op) keep.push_back(*op);
  if (best) keep.push_back(*best);
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  for (const auto i : keep) {
    if (op && i == *op) out.operating = out.points.size();
    if (best && i == *best) out.best_f1 = out.points.size();
    out.points.push_back(full[i]);
  }
  return out;
}

}  // namespace detail

/// The curves of operating point `op` of `r`, each thinned to max_points (at least 2) plus the operating
/// point and the F1 optimum.
[[nodiscard]] inline operating_curves curves(const audit_result& r, const operating_point& op,
                                             std::size_t max_points = 101) {
  const auto& ids = r.p->img_ids;
  const std::size_t N = ids.size(), K = r.records.categories(), S = 1 + op.slices.size();
  const coco::detail::id_index pos(ids);
  constexpr auto npos = coco::detail::id_index::npos;
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const std::uint64_t bit = std::uint64_t{1} << op.t;
  std::vector<std::vector<std::uint32_t>> member(N);  // the sets (0: all images, 1 + s: slice s) of image i
  for (std::size_t i = 0; i < N; ++i) member[i].push_back(0);
  for (std::size_t s = 0; s < op.slices.size(); ++s)
    for (const auto i : op.slices[s].images) member.at(i).push_back(static_cast<std::uint32_t>(1 + s));

  std::vector<curve_block> blocks(S);
  std::vector<std::vector<detail::scored>> pooled(S);
  std::vector<std::uint64_t> pooled_gt(S, 0);
  std::vector<std::vector<detail::scored>> per_set(S);
  std::vector<std::uint64_t> n_gt(S);
  std::vector<std::pair<detail::scored, std::size_t>> cand;  // (detection, image index)
  for (std::size_t k = 0; k < K; ++k) {
    const auto& c = r.records.of(k);
    std::fill(n_gt.begin(), n_gt.end(), 0);
    for (const auto& g : c.gts)
      if (const auto i = pos.find(g.image); i != npos)
        for (const auto s : member[i]) n_gt[s] += static_cast<std::uint64_t>(g.n);
    cand.clear();
    for (const auto& rec : c.records) {
      if (!((rec.tp | rec.fp) & bit)) continue;
      if (const auto i = pos.find(rec.image); i != npos)
        cand.push_back({{rec.score, (rec.tp & bit) != 0}, i});
    }
    std::sort(cand.begin(), cand.end(),
              [](const auto& a, const auto& b) { return a.first.score > b.first.score; });
    for (auto& v : per_set) v.clear();
    for (const auto& [d, i] : cand)
      for (const auto s : member[i]) per_set[s].push_back(d);
    for (std::size_t s = 0; s < S; ++s) {
      blocks[s].per_category.push_back(
          detail::make_curve(per_set[s], n_gt[s], op.thresholds[k].value_or(nan), max_points));
      pooled[s].insert(pooled[s].end(), per_set[s].begin(), per_set[s].end());
      pooled_gt[s] += n_gt[s];
    }
  }
  // "all": one common threshold for every category; its operating point only when the policy is global
  const double common =
      r.options.thresholds.what == threshold_policy::kind::global ? r.options.thresholds.global : nan;
  for (std::size_t s = 0; s < S; ++s) {
    std::stable_sort(pooled[s].begin(), pooled[s].end(),
                     [](const detail::scored& a, const detail::scored& b) { return a.score > b.score; });
    blocks[s].all = detail::make_curve(pooled[s], pooled_gt[s], common, max_points);
  }
  operating_curves out;
  out.all = std::move(blocks[0]);
  for (std::size_t s = 1; s < S; ++s) out.slices.push_back(std::move(blocks[s]));
  return out;
}

}  // namespace stratum::audit
