// Calibration from the evaluator's own matches: does the detector's confidence say how often it is right,
// at an operating point, pooled, per class and per slice (docs/calibration.md, "Calibration in the audit").
//
// Which detections enter, at the operating point's IoU threshold t (COCO's matching, area range "all", the
// kept top maxDets[-1] per image and category): every detection that is a true or a false positive at t
// (detections matched to a crowd region or unmatched outside the area range are ignored by COCO and are left
// out here too), in two scopes:
//   above      those with score >= their class's operating threshold (what the system acts on);
//   evaluated  all of them (what the model outputs down to its lowest kept score).
// Each detection has the confidence c = its score (which must lie in [0, 1]), the target y = 1 for a true
// positive at t, else 0, the IoU of its match (0 for a false positive) and its box over its image's size
// (centre x, centre y, width, height; clamped to [0, 1] for D-ECE's bins).
//
// Per set of detections (one scope; pooled, one class, or one slice's images), with the estimators of
// calibration/calibration.hpp and calibration/detection.hpp and B = options.bins:
//   ece          equal-width ECE (B bins)            ece_equal_mass   equal-mass ECE (B bins)
//   mce          equal-width MCE (B bins)            ace              Nixon et al.'s ACE: B equal-mass ranges
//                                                                     per class, unweighted mean of the gaps
//   brier        Brier score                         l2 / debiased_l2 plug-in and debiased (Kumar et al.) l2
//                                                                     calibration error, B equal-mass bins
//   d_ece        Küppers et al.'s D-ECE over confidence, cx, cy, w, h (options.dece_bins equal-width bins
//                per axis; undefined when an image's size is unknown)
//   laece        Oksuz et al.'s LaECE (options.laece_bins equal-width bins per class, target tp * IoU,
//                mean over the classes with detections)
//   overconfidence  mean confidence - precision (signed: > 0 means the detector claims more than it
//                achieves)
//   high-confidence false positives: false positives with c >= options.high_confidence, and their share of
//                the false positives
//   reliability  the equal-width reliability curve (per non-empty bin: count, mean confidence, precision and
//                its Wilson interval)
//   debiased_l2_squared  the debiased squared l2 error before its clipping at 0 (unbiased; its interval says
//                whether a set is measurably miscalibrated)
// A set without detections has every estimate undefined (NaN, null in JSON).
//
// Arithmetic: each bin is summed in double over the set's detections in one canonical order (by score, ties
// by the other fields), so the result depends only on the multiset of records: a stream, any split into
// merged shards and any thread count give the same bits. bootstrap_calibration adds image-bootstrap
// intervals with the rates' replicate weights; calibration_options::ood_key names out-of-distribution probe
// frames, whose detections are summarised apart (ood_probes_of).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "../calibration/calibration.hpp"
#include "../calibration/detection.hpp"
#include "../coco/bootstrap.hpp"
#include "../coco/slices.hpp"
#include "../core/confidence.hpp"
#include "../core/error.hpp"
#include "../detail/numpy.hpp"
#include "../detail/parallel.hpp"
#include "../stats/bootstrap_interval.hpp"
#include "../stats/proportion.hpp"
#include "../stats/rng.hpp"
#include "audit.hpp"
#include "operating.hpp"

namespace stratum::audit {

struct calibration_options {
  std::size_t bins = 15;         // ECE, MCE, ACE, l2 and the reliability curve
  std::size_t laece_bins = 25;   // per class, Oksuz et al.'s choice
  std::size_t dece_bins = 5;     // per axis of D-ECE (confidence and the four box features)
  double high_confidence = 0.9;  // a false positive at or above this confidence is a silent failure
  /// Out-of-distribution probes: the frames whose attribute ood_key (or "provenance") is ood_value should
  /// hold no object of a known class; every detection on them is a false positive (empty key: none).
  std::string ood_key, ood_value;

  /// usage_error unless every count of bins is in [1, 2^20] and high_confidence in [0, 1].
  void validate() const {
    for (const auto b : {bins, laece_bins, dece_bins})
      if (b < 1 || b > calibration::bin_edges::max_bins)
        throw usage_error("calibration: the number of bins must lie in [1, 2^20]");
    if (dece_bins > 10) throw usage_error("calibration: at most 10 D-ECE bins per axis (10^5 joint bins)");
    if (!(high_confidence >= 0 && high_confidence <= 1))
      throw usage_error("calibration: the high-confidence level must lie in [0, 1]");
  }
};

/// The estimators of a calibration summary that get intervals, in output order (JSON "estimates").
inline constexpr std::size_t n_calibration_estimators = 10;
inline constexpr std::array<const char*, n_calibration_estimators> calibration_estimator_names{
    "ece",         "ece_equal_mass",      "mce",   "ace",  "brier", "l2",
    "debiased_l2", "debiased_l2_squared", "d_ece", "laece"};

/// The position of debiased_l2_squared among them: its bootstrap interval is bias-corrected (see
/// bootstrap_calibration).
inline constexpr std::size_t debiased_squared_index = 7;

/// The calibration of one set of detections in one scope.
struct calibration_summary {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t detections = 0, true_positives = 0;
  double mean_confidence = nan, precision = nan, overconfidence = nan;
  double ece = nan, ece_equal_mass = nan, mce = nan, ace = nan, brier = nan, l2 = nan, debiased_l2 = nan,
         d_ece = nan, laece = nan;
  /// Kumar et al.'s debiased estimate of the squared l2 calibration error before the clipping at 0 and the
  /// square root: unbiased, so it is negative about half the time for a calibrated detector, and its interval
  /// is what says whether a set is measurably miscalibrated.
  double debiased_l2_squared = nan;
  std::uint64_t high_confidence_fp = 0;
  double high_confidence_fp_share = nan;  // of the false positives
  std::uint64_t unknown_boxes = 0;        // detections whose image size is unknown (then d_ece is undefined)
  std::vector<calibration::reliability_bin> reliability;
  /// With the image bootstrap (bootstrap_calibration): per estimator (calibration_estimator_names) the
  /// percentile interval; NaN without it, or when the estimator is undefined in the set or in a replicate.
  std::array<double, n_calibration_estimators> lower, upper;
  calibration_summary() { lower.fill(nan), upper.fill(nan); }
  [[nodiscard]] std::uint64_t false_positives() const noexcept { return detections - true_positives; }
  /// The estimators' values in the order of calibration_estimator_names.
  [[nodiscard]] std::array<double, n_calibration_estimators> values() const noexcept {
    return {ece, ece_equal_mass, mce, ace, brier, l2, debiased_l2, debiased_l2_squared, d_ece, laece};
  }
};

/// Both scopes of one set.
struct calibration_scopes {
  calibration_summary above, evaluated;
};

/// The calibration at one operating point: pooled and per category index over all images, and per slice
/// (pooled over categories) in the order of op.slices.
struct operating_calibration {
  double iou = 0;
  std::size_t t = 0;
  calibration_options options;
  by_category<calibration_scopes> all;
  std::vector<calibration_scopes> slices;
  /// With calibration_options::ood_key: what the detector does on the probe frames.
  struct ood_probes {
    std::uint64_t frames = 0;      // probe frames evaluated
    std::uint64_t objects = 0;     // non-ignored ground truths on them (0 for a clean probe set)
    std::uint64_t detections = 0;  // kept detections on them (the top maxDets per class), all false positives
    std::uint64_t above = 0;       // of those, at or above their class's operating threshold
    std::uint64_t high_confidence = 0;  // at or above options.high_confidence
    double mean_confidence = calibration_summary::nan, max_confidence = calibration_summary::nan;
    std::array<std::uint64_t, 10>
        histogram{};  // confidences in 10 equal-width bins (the bin rule of bins.hpp)
  };
  std::optional<ood_probes> ood;
  std::size_t replicates = 0;  // of the image bootstrap (0: no intervals)
  std::uint64_t seed = 0;
  confidence conf{};
};

namespace detail {

/// One detection as calibration sees it, with its bins precomputed.
struct calibration_entry {
  double score = 0, iou = 0;  // iou: of its match, 0 for a false positive
  std::uint32_t k = 0;        // category index
  std::uint32_t image = 0;    // index into the evaluated image ids
  std::uint32_t width_bin = 0, laece_bin = 0, dece_bin = 0;
  bool tp = false, above = false, box_known = false;
};

[[nodiscard]] inline double clamp_unit(double v) noexcept {
  return v < 0 ? 0.0 : v > 1 ? 1.0 : v;
}

/// The entries in canonical order, by column (the estimators' passes read only the columns they need).
struct calibration_columns {
  std::vector<double> score, iou;
  std::vector<std::uint32_t> k, width_bin, laece_bin, dece_bin, image;
  std::vector<std::uint8_t> flags;  // bit 0: true positive, bit 1: box known
  [[nodiscard]] bool tp(std::size_t j) const noexcept { return flags[j] & 1u; }
  [[nodiscard]] bool box_known(std::size_t j) const noexcept { return flags[j] & 2u; }
  [[nodiscard]] std::size_t size() const noexcept { return score.size(); }
};

/// Sorts `v` into the canonical order: by score, ties by every other field the estimators read (entries equal
/// in all of them are interchangeable), so that sums taken in this order do not depend on the order of the
/// records. A radix sort on the scores' bits (scores lie in [0, 1]; -0.0 sorts with 0.0), then each run of
/// equal scores by (score bits, true positive, IoU bits, class, D-ECE bin, box known).
inline void canonical_sort(std::vector<calibration_entry>& v) {
  const std::size_t n = v.size();
  std::vector<std::uint64_t> key(n), key2(n);
  std::vector<std::uint32_t> idx(n), idx2(n);
  for (std::size_t i = 0; i < n; ++i) {
    key[i] = v[i].score == 0 ? 0 : std::bit_cast<std::uint64_t>(v[i].score);
    idx[i] = static_cast<std::uint32_t>(i);
  }
  constexpr unsigned digit = 11;  // 6 passes of 2048 buckets (small enough to stay in cache)
  constexpr std::uint64_t mask = (1u << digit) - 1;
  std::vector<std::size_t> count(std::size_t{1} << digit);
  for (unsigned pass = 0; pass * digit < 64; ++pass) {
    const unsigned shift = digit * pass;
    std::fill(count.begin(), count.end(), 0);
    for (const auto x : key) ++count[(x >> shift) & mask];
    if (n && count[(key[0] >> shift) & mask] == n) continue;  // one digit: nothing moves
    std::size_t sum = 0;
    for (auto& c : count) {
      const auto here = c;
      c = sum;
      sum += here;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const auto at = count[(key[i] >> shift) & mask]++;
      key2[at] = key[i];
      idx2[at] = idx[i];
    }
    key.swap(key2);
    idx.swap(idx2);
  }
  struct tie {  // the order of two entries of equal score, as a tuple
    std::uint64_t score_bits, tp, iou_bits, k, dece, known;
    std::uint32_t idx;
  };
  std::vector<tie> run;
  for (std::size_t i = 0; i < n;) {  // runs of equal keys: the other fields decide
    std::size_t j = i + 1;
    while (j < n && key[j] == key[i]) ++j;
    if (j - i > 1) {
      run.clear();
      for (std::size_t q = i; q < j; ++q) {
        const auto& x = v[idx[q]];
        run.push_back({std::bit_cast<std::uint64_t>(x.score), x.tp, std::bit_cast<std::uint64_t>(x.iou), x.k,
                       x.dece_bin, x.box_known, idx[q]});
      }
      std::sort(run.begin(), run.end(), [](const tie& a, const tie& b) {
        return std::tie(a.score_bits, a.tp, a.iou_bits, a.k, a.dece, a.known) <
               std::tie(b.score_bits, b.tp, b.iou_bits, b.k, b.dece, b.known);
      });
      for (std::size_t q = i; q < j; ++q) idx[q] = run[q - i].idx;
    }
    i = j;
  }
  std::vector<calibration_entry> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = v[idx[i]];
  v.swap(out);
}

/// Per-bin sums (weighted counts; confidence, target and squared-error sums in the entries' canonical order).
struct bin_acc {
  double n = 0, conf = 0, target = 0, sq = 0;
  void add(double w, double c, double y) noexcept {
    n += w;
    conf += w * c;
    target += w * y;
    sq += w * ((y - c) * (y - c));
  }
  [[nodiscard]] double gap() const noexcept { return std::abs(target / n - conf / n); }
};

/// Reusable buffers for the estimators of many sets of entries.
struct calibration_workspace {
  std::vector<bin_acc> width, mass, laece, dece;
  std::vector<std::uint32_t> touched, laece_touched, by_class, class_start, fill;
  std::vector<double> class_weight;
  std::vector<std::uint64_t> cum;  // cumulative weights of a run
  std::vector<double> edges;
};

/// What the pool's ACE and LaECE are combined from: per class, the sum of the ACE gaps, their number and
/// the class's LaECE (classes with detections).
struct class_parts {
  double ace_gaps = 0, laece = 0;
  std::size_t ace_cells = 0;
  bool present = false;
};

/// Asks for the entry a few positions ahead of position q of a list (the lists skip through the entries, too
/// irregularly for the hardware prefetcher).
template <class T>
inline void prefetch(const std::vector<T>& column, std::span<const std::uint32_t> list,
                     std::size_t q) noexcept {
  constexpr std::size_t ahead = 16;
  if (q + ahead < list.size()) __builtin_prefetch(column.data() + list[q + ahead]);
}

/// The sums of B equal-mass bins of the entries `run` (ascending confidence), entry j counted w[j] times
/// (w null: once): the edges are numpy.percentile of the run's confidences repeated so (bins.hpp's
/// equal_mass and bin rule: bin(v) = #{0 < k < B : e_k < v}).
inline void mass_bins(const calibration_columns& e, std::span<const std::uint32_t> run,
                      const std::uint32_t* w, std::size_t B, calibration_workspace& ws,
                      std::vector<bin_acc>& out) {
  out.assign(B, {});
  std::uint64_t n = run.size();
  auto& cum = ws.cum;
  if (w) {
    cum.resize(run.size() + 1);
    cum[0] = 0;
    for (std::size_t j = 0; j < run.size(); ++j) cum[j + 1] = cum[j] + w[run[j]];
    n = cum[run.size()];
  }
  if (n == 0) return;
  // the value at rank r of the repeated run: the entry whose cumulative range holds r
  auto at = [&](std::size_t r) {
    if (!w) return e.score[run[r]];
    const auto it = std::upper_bound(cum.begin(), cum.end(), static_cast<std::uint64_t>(r));
    return e.score[run[static_cast<std::size_t>(it - cum.begin()) - 1]];
  };
  auto& edges = ws.edges;
  edges = ::stratum::detail::numpy_linspace(0.0, 1.0, B + 1);
  for (auto& q : edges)
    q = ::stratum::detail::numpy_quantile_at(static_cast<std::size_t>(n), (q * 100) / 100.0, at);
  std::size_t b = 0;
  for (std::size_t q = 0; q < run.size(); ++q) {
    const auto j = run[q];
    prefetch(e.score, run, q);
    prefetch(e.flags, run, q);
    const double wj = w ? static_cast<double>(w[j]) : 1.0;
    if (wj == 0) continue;
    const double c = e.score[j];
    while (b + 1 < B && edges[b + 1] < c) ++b;
    out[b].add(wj, c, e.tp(j) ? 1.0 : 0.0);
  }
}

/// The estimators over one set: `list` indexes `e` in canonical order; entry j counts w[j] times (an image
/// bootstrap replicate; w null: once). `single_class`: ACE and LaECE are computed without a partition by
/// class, right when every entry is of one class (the pool passes it too and replaces those two with
/// combine_classes). `parts` (optional) gets the class parts for the pool. See the header comment for the
/// definitions.
[[nodiscard]] inline calibration_summary summarize_calibration(
    const calibration_columns& e, std::span<const std::uint32_t> list, const std::uint32_t* w, std::size_t K,
    bool single_class, const calibration_options& o, calibration_workspace& ws, class_parts* parts = nullptr,
    bool reliability = true) {
  calibration_summary s;
  const std::size_t B = o.bins, L = o.laece_bins;
  ws.width.assign(B, {});
  if (ws.laece.size() < K * L) ws.laece.resize(K * L);
  ws.class_weight.assign(K, 0.0);
  double conf_sum = 0, fp = 0, high_fp = 0, Wd = 0;
  std::uint64_t unknown = 0;
  double tps = 0;
  auto& dece = ws.dece;
  ws.touched.clear();
  ws.laece_touched.clear();
  for (std::size_t q = 0; q < list.size(); ++q) {
    const auto j = list[q];
    for (const auto* col : {&e.score, &e.iou}) prefetch(*col, list, q);
    for (const auto* col : {&e.k, &e.width_bin, &e.laece_bin, &e.dece_bin}) prefetch(*col, list, q);
    prefetch(e.flags, list, q);
    const double wj = w ? static_cast<double>(w[j]) : 1.0;
    if (wj == 0) continue;
    const double c = e.score[j];
    const bool tp = e.tp(j);
    const double y = tp ? 1.0 : 0.0;
    const auto k = e.k[j];
    Wd += wj;
    ws.width[e.width_bin[j]].add(wj, c, y);
    conf_sum += wj * c;
    if (tp) {
      tps += wj;
    } else {
      fp += wj;
      if (c >= o.high_confidence) high_fp += wj;
    }
    const std::size_t li = k * L + e.laece_bin[j];
    if (ws.laece[li].n == 0) ws.laece_touched.push_back(static_cast<std::uint32_t>(li));
    ws.laece[li].add(wj, c, tp ? e.iou[j] : 0.0);
    ws.class_weight[k] += wj;
    if (!e.box_known(j)) {
      ++unknown;
    } else {
      auto& d = dece[e.dece_bin[j]];
      if (d.n == 0) ws.touched.push_back(e.dece_bin[j]);
      d.add(wj, c, y);
    }
  }
  auto clear = [&] {
    for (const auto b : ws.touched) dece[b] = {};
    for (const auto b : ws.laece_touched) ws.laece[b] = {};
  };
  s.detections = static_cast<std::uint64_t>(Wd);
  if (Wd == 0) {
    clear();
    return s;
  }
  s.true_positives = static_cast<std::uint64_t>(tps);
  s.unknown_boxes = unknown;
  s.mean_confidence = conf_sum / Wd;
  s.precision = tps / Wd;
  s.overconfidence = s.mean_confidence - s.precision;
  s.high_confidence_fp = static_cast<std::uint64_t>(high_fp);
  if (fp > 0) s.high_confidence_fp_share = high_fp / fp;
  {
    double ece = 0, mce = 0, sq = 0;
    const auto edges = ::stratum::detail::numpy_linspace(0.0, 1.0, B + 1);
    for (std::size_t b = 0; b < B; ++b) {
      const auto& a = ws.width[b];
      if (a.n == 0) continue;
      const double g = a.gap();
      ece += a.n / Wd * g;
      mce = std::max(mce, g);
      sq += a.sq;
      if (reliability) {
        calibration::reliability_bin r;
        r.bin = b, r.lower = edges[b], r.upper = edges[b + 1];
        r.count = static_cast<std::uint64_t>(a.n);
        r.mean_confidence = a.conf / a.n;
        r.accuracy = a.target / a.n;
        const auto iv =
            stats::wilson_interval(static_cast<std::int64_t>(a.target), static_cast<std::int64_t>(a.n), {});
        r.accuracy_lower = iv.lower, r.accuracy_upper = iv.upper;
        s.reliability.push_back(r);
      }
    }
    s.ece = ece, s.mce = mce, s.brier = sq / Wd;
  }
  if (unknown == 0) {
    double d = 0;
    for (const auto b : ws.touched) d += dece[b].n / Wd * dece[b].gap();
    s.d_ece = d;
  }
  // LaECE: per class, its bins in increasing index (the touched list sorted), then the mean over classes
  std::sort(ws.laece_touched.begin(), ws.laece_touched.end());
  std::vector<double> class_laece(K, 0.0);
  for (const auto li : ws.laece_touched) {
    const auto& a = ws.laece[li];
    const auto k = li / L;
    class_laece[k] += a.n / ws.class_weight[k] * a.gap();
  }
  clear();
  // equal mass over the whole set: ECE, plug-in and debiased l2; a single class's ACE ranges too
  mass_bins(e, list, w, B, ws, ws.mass);
  double ace = 0;
  std::size_t cells = 0;
  {
    double ece = 0, l2 = 0, dl2 = 0;
    for (const auto& a : ws.mass) {
      if (a.n == 0) continue;
      const double g = a.gap(), y = a.target / a.n;
      ece += a.n / Wd * g;
      l2 += a.n / Wd * (g * g);
      if (a.n >= 2) dl2 += a.n / Wd * (g * g - y * (1.0 - y) / (a.n - 1.0));
      if (single_class) ace += g, ++cells;
    }
    s.ece_equal_mass = ece, s.l2 = std::sqrt(l2), s.debiased_l2 = std::sqrt(std::max(dl2, 0.0));
    s.debiased_l2_squared = dl2;
  }
  double laece = 0;
  std::size_t classes = 0;
  for (std::size_t k = 0; k < K; ++k)
    if (ws.class_weight[k] > 0) laece += class_laece[k], ++classes;
  s.laece = laece / static_cast<double>(classes);
  if (single_class) {
    s.ace = ace / static_cast<double>(cells);
    if (parts) *parts = {ace, s.laece, cells, true};
    return s;
  }
  // several classes: a stable partition by class keeps each class's entries in canonical order
  auto& start = ws.class_start;
  start.assign(K + 1, 0);
  for (std::size_t q = 0; q < list.size(); ++q) {
    prefetch(e.k, list, q);
    ++start[e.k[list[q]] + 1];
  }
  for (std::size_t k = 0; k < K; ++k) start[k + 1] += start[k];
  auto& by = ws.by_class;
  by.resize(list.size());
  auto& fill = ws.fill;
  fill.assign(start.begin(), start.end() - 1);
  for (const auto j : list) by[fill[e.k[j]]++] = j;
  for (std::size_t k = 0; k < K; ++k) {
    if (!(ws.class_weight[k] > 0)) continue;
    mass_bins(e, std::span<const std::uint32_t>(by.data() + start[k], start[k + 1] - start[k]), w, B, ws,
              ws.mass);
    for (const auto& a : ws.mass)
      if (a.n > 0) ace += a.gap(), ++cells;
  }
  s.ace = ace / static_cast<double>(cells);
  return s;
}

/// The pool's ACE and LaECE from its classes' parts (the same definitions: the mean of every class's range
/// gaps; the mean of the classes' LaECE).
inline void combine_classes(calibration_summary& pool, const std::vector<class_parts>& parts) {
  if (pool.detections == 0) return;
  double gaps = 0, laece = 0;
  std::size_t cells = 0, classes = 0;
  for (const auto& p : parts)
    if (p.present) gaps += p.ace_gaps, cells += p.ace_cells, laece += p.laece, ++classes;
  pool.ace = gaps / static_cast<double>(cells);
  pool.laece = laece / static_cast<double>(classes);
}

/// The bin of v among m equal-width bins (bin_edges::equal_width(m).bin(v), without a search).
[[nodiscard]] inline std::uint32_t width_bin(const std::vector<double>& edges, double v) noexcept {
  const std::size_t m = edges.size() - 1;
  auto b = static_cast<std::size_t>(v * static_cast<double>(m));
  if (b >= m) b = m - 1;
  while (b > 0 && !(edges[b] < v)) --b;       // bin b needs e_b < v (b > 0)
  while (b + 1 < m && edges[b + 1] < v) ++b;  // and v <= e_(b+1)
  return static_cast<std::uint32_t>(b);
}

}  // namespace detail

/// The detections of operating point `op` that calibration sees, in canonical order, and the sets they
/// belong to: per scope (0 above the threshold, 1 evaluated), set 0 the pool, 1 + k category k, 1 + K + s
/// slice s; each set a list of entry indices in canonical order.
struct calibration_input {
  detail::calibration_columns entries;
  /// Per scope, the sets' lists one after the other: set q is items[offsets[q], offsets[q + 1]).
  std::array<std::vector<std::uint32_t>, 2> offsets, items;
  std::size_t K = 0, S = 0;
  [[nodiscard]] std::span<const std::uint32_t> set(std::size_t scope, std::size_t q) const {
    return {items[scope].data() + offsets[scope][q], offsets[scope][q + 1] - offsets[scope][q]};
  }
};

/// Builds the calibration input of `op` (see calibrate for the errors).
[[nodiscard]] inline calibration_input calibration_input_of(const audit_result& r, const operating_point& op,
                                                            const calibration_options& o) {
  o.validate();
  const auto& rec = r.records;
  const std::size_t slot = rec.calibration_slot(op.t), width = rec.calibration_width();
  calibration_input in;
  const std::size_t K = rec.categories(), S = op.slices.size();
  in.K = K, in.S = S;
  const auto& ids = r.p->img_ids;
  const std::uint64_t bit = std::uint64_t{1} << op.t;
  const auto wedges = ::stratum::detail::numpy_linspace(0.0, 1.0, o.bins + 1),
             ledges = ::stratum::detail::numpy_linspace(0.0, 1.0, o.laece_bins + 1),
             dedges = ::stratum::detail::numpy_linspace(0.0, 1.0, o.dece_bins + 1);
  const auto D = static_cast<std::uint32_t>(o.dece_bins);
  std::vector<detail::calibration_entry> entries;
  {
    std::size_t n = 0;
    for (std::size_t k = 0; k < K; ++k)
      for (const auto& x : rec.of(k).records) n += ((x.tp | x.fp) & bit) != 0;
    entries.reserve(n);
  }
  for (std::size_t k = 0; k < K; ++k) {
    const auto& c = rec.of(k);
    const double thr = op.thresholds[k].value_or(std::numeric_limits<double>::infinity());
    detail::position_cache pos(ids);
    for (std::size_t j = 0; j < c.records.size(); ++j) {
      const auto& x = c.records[j];
      if (!((x.tp | x.fp) & bit)) continue;
      const auto i = pos(x.image);
      if (i == detail::position_cache::npos) continue;
      if (!(x.score >= 0 && x.score <= 1)) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", x.score);
        const auto id = r.category_id(k);
        throw input_error("calibration: image " + std::to_string(x.image) + ", category " +
                          (id == class_agnostic_id ? std::string("all") : std::to_string(id)) +
                          ": a detection's score " + buf +
                          " is not in [0, 1] (calibration needs probabilities; the audit runs without it)");
      }
      detail::calibration_entry en;
      en.score = x.score;
      en.tp = (x.tp & bit) != 0;
      en.iou = c.ious[j * width + slot];
      en.k = static_cast<std::uint32_t>(k);
      en.image = static_cast<std::uint32_t>(i);
      en.above = x.score >= thr;
      en.width_bin = detail::width_bin(wedges, x.score);
      en.laece_bin = detail::width_bin(ledges, x.score);
      const auto& b = c.boxes[j];
      en.box_known = !std::isnan(b.cx);
      if (en.box_known) {
        auto d = detail::width_bin(dedges, x.score);
        for (const double v : {b.cx, b.cy, b.w, b.h})
          d = d * D + detail::width_bin(dedges, detail::clamp_unit(v));
        en.dece_bin = d;
      }
      entries.push_back(en);
    }
  }
  detail::canonical_sort(entries);
  {
    auto& c = in.entries;
    const std::size_t n = entries.size();
    c.score.resize(n), c.iou.resize(n), c.k.resize(n), c.width_bin.resize(n), c.laece_bin.resize(n),
        c.dece_bin.resize(n), c.image.resize(n), c.flags.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
      const auto& x = entries[j];
      c.score[j] = x.score, c.iou[j] = x.iou, c.k[j] = x.k, c.width_bin[j] = x.width_bin,
      c.laece_bin[j] = x.laece_bin, c.dece_bin[j] = x.dece_bin, c.image[j] = x.image;
      c.flags[j] = static_cast<std::uint8_t>((x.tp ? 1u : 0u) | (x.box_known ? 2u : 0u));
    }
  }
  std::vector<std::vector<std::uint32_t>> member(ids.size());  // per image index: its slices
  for (std::size_t s = 0; s < S; ++s)
    for (const auto i : op.slices[s].images) member.at(i).push_back(static_cast<std::uint32_t>(s));
  // two passes: the sizes of the sets, then their lists (in canonical order)
  for (std::size_t pass = 0; pass < 2; ++pass) {
    std::array<std::vector<std::uint32_t>, 2> fill;
    for (std::size_t scope = 0; scope < 2; ++scope) {
      auto& off = in.offsets[scope];
      if (pass == 0) {
        off.assign(1 + K + S + 1, 0);
      } else {
        for (std::size_t q = 0; q + 1 < off.size(); ++q) off[q + 1] += off[q];
        in.items[scope].resize(off.back());
        fill[scope].assign(off.begin(), off.end() - 1);
      }
    }
    for (std::size_t j = 0; j < entries.size(); ++j) {
      const auto& x = entries[j];
      const auto idx = static_cast<std::uint32_t>(j);
      for (std::size_t scope = x.above ? 0 : 1; scope < 2; ++scope) {
        auto put = [&](std::size_t q) {
          if (pass == 0)
            ++in.offsets[scope][q + 1];
          else
            in.items[scope][fill[scope][q]++] = idx;
        };
        put(0);
        put(1 + x.k);
        for (const auto s : member[x.image]) put(1 + K + s);
      }
    }
  }
  return in;
}

namespace detail {
/// Every set of `in` in both scopes (entry j weighted w[j], null: once): the pool (its ACE and LaECE from
/// its classes'), each category, each slice (into `slices`).
[[nodiscard]] inline by_category<calibration_scopes> summarize_sets(
    const calibration_input& in, const std::uint32_t* w, const calibration_options& o,
    calibration_workspace& ws, std::vector<calibration_scopes>& slices, bool reliability = true) {
  by_category<calibration_scopes> all;
  std::array<std::vector<class_parts>, 2> parts;
  for (auto& p : parts) p.assign(in.K, {});
  for (std::size_t k = 0; k < in.K; ++k) {
    calibration_scopes c;
    c.above =
        summarize_calibration(in.entries, in.set(0, 1 + k), w, in.K, true, o, ws, &parts[0][k], reliability);
    c.evaluated =
        summarize_calibration(in.entries, in.set(1, 1 + k), w, in.K, true, o, ws, &parts[1][k], reliability);
    all.per_category.push_back(std::move(c));
  }
  // the pool: every estimator but ACE and LaECE in one pass, those two from the classes
  all.all.above = summarize_calibration(in.entries, in.set(0, 0), w, in.K, true, o, ws, nullptr, reliability);
  all.all.evaluated =
      summarize_calibration(in.entries, in.set(1, 0), w, in.K, true, o, ws, nullptr, reliability);
  combine_classes(all.all.above, parts[0]);
  combine_classes(all.all.evaluated, parts[1]);
  slices.clear();
  for (std::size_t s = 0; s < in.S; ++s) {
    calibration_scopes c;
    c.above = summarize_calibration(in.entries, in.set(0, 1 + in.K + s), w, in.K, false, o, ws, nullptr,
                                    reliability);
    c.evaluated = summarize_calibration(in.entries, in.set(1, 1 + in.K + s), w, in.K, false, o, ws, nullptr,
                                        reliability);
    slices.push_back(std::move(c));
  }
  return all;
}
}  // namespace detail

/// What the detector does on the out-of-distribution probe frames of `o` at operating point `op`.
[[nodiscard]] inline operating_calibration::ood_probes ood_probes_of(const audit_result& r,
                                                                     const operating_point& op,
                                                                     const calibration_options& o) {
  operating_calibration::ood_probes out;
  const auto& ids = r.p->img_ids;
  std::vector<char> probe(ids.size(), 0);
  for (std::size_t i = 0; i < r.images.size(); ++i) {
    const auto* v = coco::detail::frame_value(r.images[i], o.ood_key);
    if (v && *v == o.ood_value) probe[i] = 1, ++out.frames;
  }
  const auto edges = ::stratum::detail::numpy_linspace(0.0, 1.0, 11);
  double sum = 0;
  for (std::size_t k = 0; k < r.records.categories(); ++k) {
    const auto& c = r.records.of(k);
    const double thr = op.thresholds[k].value_or(std::numeric_limits<double>::infinity());
    detail::position_cache pos(ids);
    for (const auto& g : c.gts)
      if (const auto i = pos(g.image); i != detail::position_cache::npos && probe[i])
        out.objects += static_cast<std::uint64_t>(g.n);
    for (const auto& x : c.records) {
      const auto i = pos(x.image);
      if (i == detail::position_cache::npos || !probe[i]) continue;
      ++out.detections;
      out.above += x.score >= thr;
      out.high_confidence += x.score >= o.high_confidence;
      sum += x.score;
      out.max_confidence = std::isnan(out.max_confidence) ? x.score : std::max(out.max_confidence, x.score);
      ++out.histogram[detail::width_bin(edges, detail::clamp_unit(x.score))];
    }
  }
  if (out.detections) out.mean_confidence = sum / static_cast<double>(out.detections);
  return out;
}

/// The calibration of operating point `op` of `r` (see the header comment). Throws usage_error when the
/// records carry no calibration data at op's IoU threshold (audit_options::calibration, or operating_records
/// built with a calibration mask) or on invalid options, input_error naming the image, the category and the
/// score when a detection that enters has a score outside [0, 1].
[[nodiscard]] inline operating_calibration calibrate(const audit_result& r, const operating_point& op,
                                                     const calibration_options& o = {}) {
  const auto in = calibration_input_of(r, op, o);
  operating_calibration out;
  out.iou = op.iou, out.t = op.t, out.options = o;
  detail::calibration_workspace ws;
  std::size_t dece_cells = 1;
  for (int a = 0; a < 5; ++a) dece_cells *= o.dece_bins;
  ws.dece.assign(dece_cells, {});
  out.all = detail::summarize_sets(in, nullptr, o, ws, out.slices);
  if (!o.ood_key.empty()) out.ood = ood_probes_of(r, op, o);
  return out;
}

/// Replicate b of the image bootstrap of `in` (built from `r` and `op`): image id counted
/// stats::poisson_weight(seed, id, b) times, as the rest of the audit's bootstrap (audit/bootstrap.hpp); the
/// summaries without reliability curves, the slices into `slices`.
[[nodiscard]] inline by_category<calibration_scopes> calibration_replicate(
    const audit_result& r, const calibration_input& in, std::uint64_t seed, std::uint32_t b,
    const calibration_options& o, std::vector<calibration_scopes>& slices) {
  detail::calibration_workspace ws;
  std::size_t dece_cells = 1;
  for (int a = 0; a < 5; ++a) dece_cells *= o.dece_bins;
  ws.dece.assign(dece_cells, {});
  const auto& ids = r.p->img_ids;
  std::vector<std::uint32_t> iw(ids.size()), w(in.entries.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    iw[i] = stats::poisson_weight(seed, static_cast<std::uint64_t>(ids[i]), b);
  for (std::size_t j = 0; j < w.size(); ++j) w[j] = iw[in.entries.image[j]];
  return detail::summarize_sets(in, w.data(), o, ws, slices, false);
}

/// The image bootstrap of calibration `c` of operating point `op` (calibrate(r, op, c.options)):
/// percentile intervals (stats::percentile_interval, as scipy.stats.bootstrap) of every estimator of every
/// set over bo.replicates replicates drawn with bo.seed, over bo.threads workers (the result does not depend
/// on it). The replicate weights are those of the rates' bootstrap, so a slice and the pool stay paired. An
/// estimator undefined in a replicate (a set drawn empty, say) gets no interval: dropping the replicate would
/// condition on the set existing. usage_error on zero replicates or more than 4 GB of replicate values.
inline void bootstrap_calibration(const audit_result& r, const operating_point& op, operating_calibration& c,
                                  const coco::bootstrap_options& bo) {
  if (bo.replicates == 0) throw usage_error("calibration bootstrap: replicates must be at least 1");
  if (bo.replicates > 0xffffffffu) throw usage_error("calibration bootstrap: at most 2^32 - 1 replicates");
  const auto in = calibration_input_of(r, op, c.options);
  const std::size_t B = bo.replicates, sets = 1 + in.K + in.S, E = n_calibration_estimators;
  const double bytes = 8.0 * static_cast<double>(sets) * 2 * E * static_cast<double>(B);
  if (bytes > 4e9) throw usage_error("calibration bootstrap: the replicate values would need more than 4 GB");
  // values[((set * 2 + scope) * E + estimator) * B + b]
  std::vector<double> values(sets * 2 * E * B);
  const unsigned threads = std::min<unsigned>(coco::resolve_threads(bo.threads), static_cast<unsigned>(B));
  std::atomic<std::size_t> done{0};
  stratum::detail::run_workers(threads, [&](unsigned t) {
    std::vector<calibration_scopes> slices;
    for (std::size_t b = t; b < B; b += threads) {
      const auto all =
          calibration_replicate(r, in, bo.seed, static_cast<std::uint32_t>(b), c.options, slices);
      auto put = [&](std::size_t set, const calibration_scopes& sc) {
        for (std::size_t scope = 0; scope < 2; ++scope) {
          const auto v = (scope ? sc.evaluated : sc.above).values();
          for (std::size_t q = 0; q < E; ++q) values[((set * 2 + scope) * E + q) * B + b] = v[q];
        }
      };
      put(0, all.all);
      for (std::size_t k = 0; k < in.K; ++k) put(1 + k, all.per_category[k]);
      for (std::size_t s = 0; s < in.S; ++s) put(1 + in.K + s, slices[s]);
      stratum::detail::count_done(bo.progress, done, t);
    }
  });
  if (bo.progress) bo.progress(B);
  auto fill = [&](std::size_t set, calibration_scopes& sc) {
    for (std::size_t scope = 0; scope < 2; ++scope) {
      auto& sum = scope ? sc.evaluated : sc.above;
      const auto point = sum.values();
      for (std::size_t q = 0; q < E; ++q) {
        const std::span<const double> v(values.data() + ((set * 2 + scope) * E + q) * B, B);
        if (std::isnan(point[q]) || std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); }))
          continue;
        const auto iv = stats::percentile_interval(v, bo.conf);
        sum.lower[q] = iv.lower, sum.upper[q] = iv.upper;
        if (q == debiased_squared_index) {  // centred on the estimate: minus the replicates' bias
          double mean = 0;
          for (const double x : v) mean += x;
          const double bias = mean / static_cast<double>(B) - point[q];
          sum.lower[q] -= bias, sum.upper[q] -= bias;
        }
      }
    }
  };
  fill(0, c.all.all);
  for (std::size_t k = 0; k < in.K; ++k) fill(1 + k, c.all.per_category[k]);
  for (std::size_t s = 0; s < in.S; ++s) fill(1 + in.K + s, c.slices[s]);
  c.replicates = B, c.seed = bo.seed, c.conf = bo.conf;
}

}  // namespace stratum::audit
