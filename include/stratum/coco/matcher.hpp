// Greedy COCO matching of one frame and one category (or of a whole frame when class-agnostic), exactly as
// pycocotools' COCOeval.evaluateImg (iouType='bbox'):
//
//  * detections are ordered by score, descending, ties in input order (a stable sort), and only the first
//    maxDets[-1] are kept;
//  * for each area range, a ground truth is ignored when it is a crowd region or its `area` lies outside the
//    closed range; ground truths are reordered with the non-ignored ones first (stable);
//  * for each IoU threshold t, each detection in order takes the ground truth of highest IoU >= min(t,
//  1-1e-10)
//    (the last one of equal IoU), skipping ground truths already taken unless they are crowd regions, and
//    never moving from a non-ignored to an ignored ground truth once it has a candidate;
//  * a detection matched to an ignored ground truth is ignored; an unmatched detection whose area w*h lies
//    outside the range is ignored; matched = true positive, unmatched = false positive, otherwise neither.
//    As in pycocotools, a match to a ground truth whose annotation id is 0 counts as unmatched (the reference
//    stores the matched id and tests it against 0).
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "../core/frame.hpp"
#include "accumulator.hpp"
#include "iou.hpp"
#include "params.hpp"

namespace stratum::coco {

/// Ground truths of one frame and category, structure of arrays, in input order: element i is at row i of
/// the arrays, or at row index[i] when `index` is given (a view into larger arrays, no copy).
struct gt_span {
  std::size_t n = 0;
  const double *x = nullptr, *y = nullptr, *w = nullptr, *h = nullptr, *area = nullptr;
  const unsigned char* crowd = nullptr;
  const std::int64_t* id = nullptr;
  const std::uint32_t* index = nullptr;
  const unsigned char* flags = nullptr;  // gt_flag bits, or none
};

/// Detections of one frame and category, structure of arrays, in input order (rows as in gt_span).
struct dt_span {
  std::size_t n = 0;
  const double *x = nullptr, *y = nullptr, *w = nullptr, *h = nullptr, *score = nullptr;
  const std::uint32_t* index = nullptr;
};

/// One matched group as an accumulator with an add_boxes member sees it (audit::operating_records: the error
/// analysis needs the boxes and which ground truth each detection took), at the area range the accumulator
/// names with boxes_area(). Pointers into the matcher's buffers, valid during the call.
struct group_boxes {
  std::size_t k = 0;
  std::int64_t image = 0;
  const gt_span* gt = nullptr;             // the group's ground truths, contiguous, input order
  const unsigned char* ignored = nullptr;  // per ground truth: ignored at the area range
  const std::uint64_t* used = nullptr;     // per ground truth: bit t when a true positive took it at t
  const dt_span* dt = nullptr;
  const std::size_t* order = nullptr;  // the kept detections, score order: detection d is row order[d]
  std::size_t D = 0;
  const std::uint64_t *tp = nullptr, *fp = nullptr;  // detection d: tp[d * stride], fp[d * stride]
  std::size_t stride = 1;
  const double* iou_thrs = nullptr;  // the evaluation's IoU thresholds (T of them)
  /// When the accumulator's wants_match_iou() is true: detection d's IoU with the ground truth it took at
  /// threshold t in match_iou[d * T + t] (0 where it is no true positive); otherwise nullptr.
  const double* match_iou = nullptr;
};

/// Reusable matching buffers (one per thread); no allocation per frame once warmed up.
class matcher {
 public:
  explicit matcher(const params& p) : p_(&p) {
    for (double t : p.iou_thrs) thr_.push_back(std::min(t, 1 - 1e-10));
    thr_min_ = *std::min_element(thr_.begin(), thr_.end());
  }

  /// Matches one group and adds its records to category k of `acc` (an exact_accumulator, a
  /// binned_accumulator, or any type with their add_ground_truths and add_detection members).
  template <class Accumulator>
  void match(const gt_span& gt_in, const dt_span& dt, std::int64_t image_id, std::size_t k,
             Accumulator& acc) {
    const gt_span gt = gt_in.index ? gather(gt_in) : gt_in;
    const std::size_t G = gt.n;
    if (G == 0 && dt.n == 0) return;
    // an accumulator that keeps per-image counts (audit::operating_records) is told the group first
    if constexpr (requires { acc.begin_group(image_id, k); }) acc.begin_group(image_id, k);
    const std::size_t T = thr_.size(), A = p_->area_rngs.size();
    const std::size_t D = std::min<std::size_t>(dt.n, static_cast<std::size_t>(p_->max_dets.back()));
    bool want_iou = false;  // an accumulator that calibrates (audit::operating_records) asks for match IoUs
    if constexpr (requires { acc.wants_match_iou(); }) want_iou = acc.wants_match_iou();

    // Detection order: score descending, stable.
    // dorder_ holds rows of the detection arrays
    dorder_.resize(dt.n);
    if (dt.index)
      for (std::size_t i = 0; i < dt.n; ++i) dorder_[i] = dt.index[i];
    else
      std::iota(dorder_.begin(), dorder_.end(), std::size_t{0});
    auto by_score = [&dt](std::size_t i, std::size_t j) { return dt.score[i] > dt.score[j]; };
    if (dt.n <= 32) {  // insertion sort: stable, and no temporary buffer for the common small groups
      for (std::size_t i = 1; i < dt.n; ++i) {
        const auto v = dorder_[i];
        std::size_t j = i;
        for (; j > 0 && by_score(v, dorder_[j - 1]); --j) dorder_[j] = dorder_[j - 1];
        dorder_[j] = v;
      }
    } else {
      std::stable_sort(dorder_.begin(), dorder_.end(), by_score);
    }

    // IoU matrix [D x G] in detection order, ground truths in input order.
    boxes_.assign(G, gt.x, gt.y, gt.w, gt.h, gt.crowd);
    ious_.resize(D * G);
    best_.resize(D);
    for (std::size_t d = 0; d < D; ++d) {
      const auto j = dorder_[d];
      double* row = ious_.data() + d * G;
      boxes_.iou_row(dt.x[j], dt.y[j], dt.w[j], dt.h[j], row);
      double mx = 0;
      for (std::size_t g = 0; g < G; ++g) mx = row[g] > mx ? row[g] : mx;
      best_[d] = mx;  // no ground truth can be taken at a threshold above this
    }

    // Detection areas (w * h, rounded as the reference rounds them).
    darea_.resize(D);
    for (std::size_t d = 0; d < D; ++d) {
      const auto j = dorder_[d];
      double da = dt.w[j] * dt.h[j];
      stratum::detail::fp_barrier(da);
      darea_[d] = da;
    }

    // Area ranges that ignore the same ground truths give the same matching (only the area check of
    // unmatched detections differs), so each distinct ignore pattern is matched once.
    tp_.assign(D * A, 0);
    fp_.assign(D * A, 0);
    patterns_.clear();
    n_patterns_ = 0;
    outcome_.resize(A);
    area_pattern_.resize(A);
    used_.clear();
    miou_.clear();
    for (std::size_t a = 0; a < A; ++a) {
      const auto& rng = p_->area_rngs[a];
      ign_.resize(G);
      for (std::size_t g = 0; g < G; ++g)
        ign_[g] = gt.crowd[g] || (gt.flags && (gt.flags[g] & gt_flag::ignored)) || gt.area[g] < rng.lo ||
                  gt.area[g] > rng.hi;
      std::size_t pat = 0;
      while (pat < n_patterns_ &&
             !std::equal(ign_.begin(), ign_.end(), patterns_.begin() + static_cast<std::ptrdiff_t>(pat * G)))
        ++pat;
      if (pat == n_patterns_) {
        patterns_.insert(patterns_.end(), ign_.begin(), ign_.end());
        ++n_patterns_;
        used_.resize(n_patterns_ * G, 0);
        if (want_iou) miou_.resize(n_patterns_ * D * T, 0.0);
        match_pattern(gt, D, G, T, outcome_[pat], used_.data() + pat * G,
                      want_iou ? miou_.data() + pat * D * T : nullptr);
      }
      area_pattern_[a] = pat;
      std::int64_t npig = 0;
      for (std::size_t g = 0; g < G; ++g) npig += !ign_[g];
      acc.add_ground_truths(k, a, npig);
      const auto& out = outcome_[pat];  // D pairs of masks: true positive, ignored by its match
      const std::uint64_t all = T == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << T) - 1;
      for (std::size_t d = 0; d < D; ++d) {
        const std::uint64_t tp = out[2 * d], ig = out[2 * d + 1];
        tp_[d * A + a] = tp;
        // unmatched (or matched to an annotation with id 0) and inside the range: false positive
        if (!(darea_[d] < rng.lo || darea_[d] > rng.hi)) fp_[d * A + a] = all & ~(tp | ig);
      }
    }
    if constexpr (requires { acc.add_boxes(group_boxes{}); }) {
      const std::size_t a = acc.boxes_area(), pat = area_pattern_.at(a);
      acc.add_boxes(group_boxes{k, image_id, &gt, patterns_.data() + pat * G, used_.data() + pat * G, &dt,
                                dorder_.data(), D, tp_.data() + a, fp_.data() + a, A, p_->iou_thrs.data(),
                                want_iou ? miou_.data() + pat * D * T : nullptr});
    }
    for (std::size_t d = 0; d < D; ++d)
      acc.add_detection(k, dt.score[dorder_[d]], image_id, static_cast<std::uint32_t>(d), &tp_[d * A],
                        &fp_[d * A]);
  }

 private:
  /// Copies the ground truths of an indexed view into contiguous buffers (they are few per group).
  gt_span gather(const gt_span& g) {
    for (auto* v : {&gx_, &gy_, &gw_, &gh_, &garea_}) v->resize(g.n);
    gcrowd_.resize(g.n);
    gflags_.resize(g.n);
    gid_.resize(g.n);
    for (std::size_t i = 0; i < g.n; ++i) {
      const auto r = g.index[i];
      gx_[i] = g.x[r], gy_[i] = g.y[r], gw_[i] = g.w[r], gh_[i] = g.h[r], garea_[i] = g.area[r];
      gcrowd_[i] = g.crowd[r];
      gflags_[i] = g.flags ? g.flags[r] : 0;
      gid_[i] = g.id[r];
    }
    return {g.n,           gx_.data(),     gy_.data(),  gw_.data(), gh_.data(),
            garea_.data(), gcrowd_.data(), gid_.data(), nullptr,    gflags_.data()};
  }

  /// Greedy matching at every IoU threshold for the ignore flags in ign_ (by input index). For detection d,
  /// out[2d] has bit t set when it is a true positive at threshold t, out[2d+1] when it matched an ignored
  /// ground truth (so it is ignored); neither bit: unmatched, or matched to an annotation with id 0, which
  /// the reference counts as unmatched. used[g] gets bit t when a true positive took ground truth g at t, and
  /// miou[d * T + t] (when miou is given) the IoU of that match.
  void match_pattern(const gt_span& gt, std::size_t D, std::size_t G, std::size_t T,
                     std::vector<std::uint64_t>& out, std::uint64_t* used, double* miou) {
    gorder_.resize(G);
    ig_.resize(G);
    taken_.resize(G);
    std::size_t pos = 0;
    for (std::size_t g = 0; g < G; ++g)
      if (!ign_[g]) gorder_[pos++] = g;
    const std::size_t npig = pos;
    for (std::size_t g = 0; g < G; ++g)
      if (ign_[g]) gorder_[pos++] = g;
    for (std::size_t s = 0; s < G; ++s) ig_[s] = s >= npig;
    out.assign(2 * D, 0);
    // only detections with an IoU reaching some threshold can match (others stay unmatched at every t)
    cand_.clear();
    double top = 0;
    for (std::size_t d = 0; d < D; ++d)
      if (best_[d] >= thr_min_) cand_.push_back(d), top = std::max(top, best_[d]);
    if (cand_.empty()) return;
    for (std::size_t t = 0; t < T; ++t) {
      if (thr_[t] > top) continue;  // nothing reaches this threshold
      std::fill(taken_.begin(), taken_.end(), 0);
      const std::uint64_t bit = std::uint64_t{1} << t;
      for (const std::size_t d : cand_) {
        const double* row = ious_.data() + d * G;
        double best = thr_[t];
        if (best_[d] < best) continue;  // nothing reaches the threshold
        std::ptrdiff_t m = -1;
        for (std::size_t s = 0; s < G; ++s) {
          const std::size_t g = gorder_[s];
          if (taken_[s] && !gt.crowd[g]) continue;
          if (m > -1 && !ig_[static_cast<std::size_t>(m)] && ig_[s]) break;
          if (row[g] < best) continue;
          best = row[g];
          m = static_cast<std::ptrdiff_t>(s);
        }
        if (m < 0) continue;
        const auto ms = static_cast<std::size_t>(m);
        taken_[ms] = 1;
        if (ig_[ms])
          out[2 * d + 1] |= bit;
        else if (gt.id[gorder_[ms]] != 0) {
          out[2 * d] |= bit, used[gorder_[ms]] |= bit;
          if (miou) miou[d * T + t] = row[gorder_[ms]];
        }
      }
    }
  }

  const params* p_;
  std::vector<double> thr_;
  double thr_min_ = 0;
  std::vector<std::size_t> cand_;
  std::vector<std::size_t> dorder_, gorder_;
  std::vector<unsigned char> ig_, taken_;
  std::vector<double> ious_, best_, darea_, gx_, gy_, gw_, gh_, garea_;
  std::vector<unsigned char> gcrowd_, gflags_;
  std::vector<std::int64_t> gid_;
  std::vector<unsigned char> ign_;
  std::vector<unsigned char> patterns_;  // n_patterns_ ignore patterns of G flags each
  std::size_t n_patterns_ = 0;
  std::vector<std::vector<std::uint64_t>> outcome_;
  std::vector<std::size_t> area_pattern_;  // per area range: the index of its ignore pattern
  std::vector<std::uint64_t> used_;        // per pattern, G masks: the ground truths true positives took
  std::vector<double> miou_;               // per pattern, D x T: the IoU of each true positive's match
  std::vector<std::uint64_t> tp_, fp_;
  gt_boxes boxes_;
};

}  // namespace stratum::coco
