// Where the errors come from (docs/audit.md, "Errors"): at an operating point's IoU threshold, per category
// and per slice,
//
//  * the TIDE decomposition (Bolya et al. 2020, tidecv): every false positive of COCO's matching (area range
//    "all", the kept maxDets[-1] detections per image and category) typed classification, localisation,
//    both, duplicate or background, and the ground truths missed, with TIDE's background threshold 0.1 and
//    the operating point's IoU threshold as its foreground threshold (operating.hpp, errors_of_image, gives
//    the rules); and the AP each type costs: the COCO AP (101 recall points, pycocotools' accumulate, means
//    as numpy takes them) with that type's errors corrected, minus the AP as it is. The corrections are
//    TIDE's: a classification error becomes a true positive of the category of the ground truth it lies on,
//    a localisation error one of its own category (each only when it is `fixed`: the highest-scored error
//    aiming at a ground truth that no true positive took; the others are removed); duplicate, background
//    and both errors are removed; missed ground truths are removed from the ground-truth count. Two more:
//    "false_positives" removes every false positive, "false_negatives" every ground truth no true positive
//    took. A corrected detection keeps its score, so it takes its place among the detections of its new
//    category by score, then image (after that category's own detections of equal score in the image);
//    it is not truncated again at maxDets.
//  * the confusion matrix at the operating point (IoU and score thresholds): rows the true category plus
//    "background", columns the predicted category plus "missed". Cell (c, c): the true positives of c;
//    (c, p), c != p: the false positives of p (score at or above p's threshold) whose most overlapping
//    ground truth of another category is of c with IoU at or above the threshold; (background, p): the other
//    false positives of p; (c, missed): the false negatives of c. Column p sums to tp + fp of p; row c less
//    its off-diagonal cells sums to n_gt of c (an object detected as the wrong class is also missed).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "../coco/accumulator.hpp"
#include "../coco/summary.hpp"
#include "../core/error.hpp"
#include "audit.hpp"
#include "operating.hpp"

namespace stratum::audit {

/// The six TIDE error types, then the two special corrections.
inline constexpr std::size_t n_error_types = 6, n_corrections = 8;
inline constexpr std::array<const char*, n_corrections> correction_names = {
    "classification", "localisation",    "both",           "duplicate", "background",
    "missed",         "false_positives", "false_negatives"};

/// The TIDE figures of one category (or pooled) over one set of images.
struct tide_block {
  std::uint64_t n_gt = 0, tp = 0;
  /// False positives of each type (classification, localisation, both, duplicate, background) and the
  /// missed ground truths (index 5).
  std::array<std::uint64_t, n_error_types> counts{};
  /// COCO AP at the threshold (pooled: the mean over categories with ground truths); none without any.
  std::optional<double> ap;
  /// The AP with each correction of correction_names applied.
  std::array<std::optional<double>, n_corrections> corrected{};
  /// What correction f gains: corrected[f] - ap (none when either is none).
  [[nodiscard]] std::optional<double> cost(std::size_t f) const {
    if (!ap || !corrected.at(f)) return std::nullopt;
    return *corrected[f] - *ap;
  }
};

/// (K + 1) x (K + 1) counts, row-major: row c the true category (K: background), column p the predicted
/// category (K: missed).
struct confusion_matrix {
  std::size_t K = 0;
  std::vector<std::uint64_t> cells;
  [[nodiscard]] std::uint64_t at(std::size_t row, std::size_t col) const {
    return cells.at(row * (K + 1) + col);
  }
};

struct error_analysis {
  by_category<tide_block> tide;
  confusion_matrix confusion;
};

/// The error analysis of an operating point: over all evaluated images and per slice (as op.slices).
using operating_errors = by_slice<error_analysis>;

namespace detail {

/// One detection in a category's evaluation order at one threshold.
struct ranked_item {
  double score;
  std::int64_t image;
  std::uint32_t moved;  // 0: the category's own detection; 1: a classification error corrected into it
  std::uint32_t rank;
  std::uint32_t pos;  // the image's index among the evaluated images
  std::uint8_t code;  // 0: a true positive, else error_code | error_fixed
};

/// The AP correction variants along one list, walk v: 0 as it is, 1-5 error code v corrected (corrections
/// 0-4), 6 every false positive removed. Walks 0-2 are walked; 3-6 only remove false positives, so their
/// events are walk 0's true positives with the removed false positives subtracted.
inline constexpr std::size_t n_walks = 7;

/// Mean precision over the recall thresholds of one category (numpy.mean of its row of precision).
inline double category_ap(coco::pr_events& ev, double npig, const std::vector<double>& rec_thrs,
                          std::vector<double>& q, std::vector<double>& s) {
  q.assign(rec_thrs.size(), 0);
  s.assign(rec_thrs.size(), 0);
  coco::precision_at_recall(ev, npig, rec_thrs, q.data(), s.data(), 1);
  return coco::detail::mean_valid(q);
}

}  // namespace detail

/// The error analysis of operating point `op` of `r` (see the header comment).
[[nodiscard]] inline operating_errors errors(const audit_result& r, const operating_point& op) {
  const auto& rec = r.records;
  const std::size_t K = rec.categories(), t = op.t, S = 1 + op.slices.size();
  const auto& ids = r.p->img_ids;
  const std::size_t N = ids.size();
  const auto& rec_thrs = r.p->rec_thrs;
  const std::size_t R = rec_thrs.size();
  if (op.thresholds.size() != K) throw usage_error("audit::errors: thresholds do not match the records");
  if (!std::is_sorted(ids.begin(), ids.end())) throw usage_error("audit::errors: img_ids are not sorted");
  constexpr auto npos = coco::detail::id_index::npos;
  // the image sets (0: all, 1 + s: slice s) each image belongs to, as offsets into one list
  std::vector<std::uint32_t> set_begin(N + 1, 0), set_list;
  {
    std::vector<std::vector<std::uint32_t>> per(N, std::vector<std::uint32_t>{0});
    for (std::size_t s = 1; s < S; ++s)
      for (const auto i : op.slices[s - 1].images) per.at(i).push_back(static_cast<std::uint32_t>(s));
    for (std::size_t i = 0; i < N; ++i) {
      set_begin[i + 1] = set_begin[i] + static_cast<std::uint32_t>(per[i].size());
      set_list.insert(set_list.end(), per[i].begin(), per[i].end());
    }
  }
  auto sets_of = [&](std::size_t i) {
    return std::span<const std::uint32_t>(set_list.data() + set_begin[i], set_begin[i + 1] - set_begin[i]);
  };
  const std::uint64_t bit = std::uint64_t{1} << t;

  operating_errors out;
  std::vector<error_analysis*> sets;
  out.slices.resize(op.slices.size());
  sets.push_back(&out.all);
  for (auto& e : out.slices) sets.push_back(&e);
  for (auto* e : sets) {
    e->tide.per_category.assign(K, {});
    e->confusion.K = K;
    e->confusion.cells.assign((K + 1) * (K + 1), 0);
  }
  // per image set, slot (0: as it is, 1 + f: correction f) and category: precision at the recall
  // thresholds, [R x K] in C order as pycocotools' precision[t, :, :, all, -1] (-1: no ground truth)
  constexpr std::size_t slots = 1 + n_corrections;
  std::vector<double> prec(S * slots * R * K, -1.0);
  auto prec_of = [&](std::size_t s, std::size_t slot) { return prec.data() + (s * slots + slot) * R * K; };

  // classification errors corrected into each category
  std::vector<std::vector<detail::ranked_item>> moved(K);
  {
    detail::position_cache pos(ids);
    for (std::size_t k = 0; k < K; ++k)
      for (const auto& e : rec.of(k).errors) {
        const auto code = e.code(t);
        if (code == (static_cast<std::uint8_t>(error_code::classification) | error_fixed)) {
          const auto i = pos(e.image);
          if (i != npos && e.other < K)
            moved[e.other].push_back({e.score, e.image, 1, e.rank, static_cast<std::uint32_t>(i), 0});
        }
      }
  }

  std::vector<detail::ranked_item> items;
  // per image set and walk: the events, the running true- and false-positive counts
  std::vector<coco::pr_events> ev(S * detail::n_walks);
  std::vector<double> tsum(S * detail::n_walks), fsum(S * detail::n_walks), removed(S * detail::n_walks);
  std::vector<double> q, sc, ngt(S), nmissed(S);
  for (std::size_t k = 0; k < K; ++k) {
    const auto& c = rec.of(k);
    const double thr = op.thresholds[k].value_or(std::numeric_limits<double>::infinity());
    detail::position_cache pos(ids);
    items.clear();
    for (const auto& x : c.records) {
      if (!(x.tp & bit)) continue;
      const auto i = pos(x.image);
      if (i == npos) continue;
      items.push_back({x.score, x.image, 0, x.rank, static_cast<std::uint32_t>(i), 0});
      if (x.score >= thr)
        for (const auto s : sets_of(i)) ++sets[s]->confusion.cells[k * (K + 1) + k];
    }
    for (const auto& e : c.errors) {
      const auto code = e.code(t);
      if (!code) continue;
      const auto i = pos(e.image);
      if (i == npos) continue;
      items.push_back({e.score, e.image, 0, e.rank, static_cast<std::uint32_t>(i), code});
      const auto type = static_cast<std::size_t>(code & 7u) - 1;
      const std::size_t row = (e.overlap & bit) && e.other < K ? e.other : K;
      for (const auto s : sets_of(i)) {
        ++sets[s]->tide.per_category[k].counts[type];
        if (e.score >= thr) ++sets[s]->confusion.cells[row * (K + 1) + k];
      }
    }
    items.insert(items.end(), moved[k].begin(), moved[k].end());
    std::sort(items.begin(), items.end(), [](const detail::ranked_item& a, const detail::ranked_item& b) {
      if (a.score != b.score) return a.score > b.score;
      if (a.image != b.image) return a.image < b.image;
      if (a.moved != b.moved) return a.moved < b.moved;
      return a.rank < b.rank;
    });
    std::fill(ngt.begin(), ngt.end(), 0.0);
    std::fill(nmissed.begin(), nmissed.end(), 0.0);
    for (const auto& g : c.gts) {
      const auto i = pos(g.image);
      if (i == npos) continue;
      for (const auto s : sets_of(i)) ngt[s] += static_cast<double>(g.n);
    }
    for (const auto& m : c.missed) {
      if (!(m.mask & bit)) continue;
      const auto i = pos(m.image);
      if (i == npos) continue;
      for (const auto s : sets_of(i)) nmissed[s] += 1;
    }
    for (auto& e : ev) e.clear();
    std::fill(tsum.begin(), tsum.end(), 0.0);
    std::fill(fsum.begin(), fsum.end(), 0.0);
    std::fill(removed.begin(), removed.end(), 0.0);
    constexpr std::size_t W = detail::n_walks;
    for (const auto& it : items)
      for (const auto s : sets_of(it.pos)) {
        const std::size_t w0 = s * W;
        auto tp = [&](std::size_t v) {
          auto& e = ev[w0 + v];
          if (e.nd++ == 0) e.first_score = it.score;
          e.tp.push_back(tsum[w0 + v] += 1);
          e.fp.push_back(fsum[w0 + v]);
          e.score.push_back(it.score);
        };
        auto fp = [&](std::size_t v) {
          auto& e = ev[w0 + v];
          if (e.nd++ == 0) e.first_score = it.score;
          fsum[w0 + v] += 1;
        };
        if (it.moved) {
          tp(1);
        } else if (it.code == 0) {
          tp(0), tp(1), tp(2);
          for (std::size_t v = 3; v < W; ++v) {  // walk 0's event, the removed false positives taken out
            auto& e = ev[w0 + v];
            if (e.nd++ == 0) e.first_score = it.score;
            e.tp.push_back(tsum[w0]);
            e.fp.push_back(v == 6 ? 0.0 : fsum[w0] - removed[w0 + v]);
            e.score.push_back(it.score);
          }
        } else {
          const std::size_t type = it.code & 7u;
          fp(0);
          removed[w0 + type] += 1;
          if (type != 1) fp(1);
          if (type != 2)
            fp(2);
          else if (it.code & error_fixed)
            tp(2);
          for (std::size_t v = 3; v < W; ++v)
            if (v != type && v != 6) ev[w0 + v].nd++;
        }
      }
    for (std::size_t s = 0; s < S; ++s) {
      auto& b = sets[s]->tide.per_category[k];
      const std::size_t w0 = s * detail::n_walks;
      b.n_gt = static_cast<std::uint64_t>(ngt[s]);
      b.tp = static_cast<std::uint64_t>(tsum[w0]);
      b.counts[5] = static_cast<std::uint64_t>(nmissed[s]);
      auto ap = [&](std::size_t slot, std::size_t walk, double npig) -> std::optional<double> {
        if (npig <= 0) return std::nullopt;
        const double v = detail::category_ap(ev[w0 + walk], npig, rec_thrs, q, sc);
        double* pr = prec_of(s, slot);
        for (std::size_t rr = 0; rr < R; ++rr) pr[rr * K + k] = q[rr];
        return v;
      };
      b.ap = ap(0, 0, ngt[s]);
      for (std::size_t f = 0; f < 5; ++f) b.corrected[f] = ap(1 + f, 1 + f, ngt[s]);
      b.corrected[5] = ap(6, 0, ngt[s] - nmissed[s]);
      b.corrected[6] = ap(7, 6, ngt[s]);
      b.corrected[7] = ap(8, 0, tsum[w0]);
      auto& cm = sets[s]->confusion.cells;
      cm[k * (K + 1) + K] = b.n_gt - cm[k * (K + 1) + k];  // the false negatives at the operating point
    }
  }
  for (std::size_t s = 0; s < S; ++s) {
    auto& all = sets[s]->tide.all;
    for (const auto& b : sets[s]->tide.per_category) {
      all.n_gt += b.n_gt, all.tp += b.tp;
      for (std::size_t j = 0; j < n_error_types; ++j) all.counts[j] += b.counts[j];
    }
    auto mean = [&](std::size_t slot) -> std::optional<double> {
      const double* pr = prec_of(s, slot);
      const double m = coco::detail::mean_valid(std::vector<double>(pr, pr + R * K));
      return m > -1 ? std::optional<double>(m) : std::nullopt;
    };
    all.ap = mean(0);
    for (std::size_t f = 0; f < n_corrections; ++f) all.corrected[f] = mean(1 + f);
  }
  return out;
}

}  // namespace stratum::audit
