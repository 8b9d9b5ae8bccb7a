// Calibration estimators, from (confidence, target) pairs or from mergeable per-bin sums (calibration_bins,
// stratum/calibration/bins.hpp, which also documents the bin-edge rule).
//
// Notation: bin b holds n_b samples out of N, mean confidence c_b = (sum c) / n_b and mean target
// y_b = (sum y) / n_b (the accuracy, for 0/1 targets); gap_b = |y_b - c_b|. Sums run over non-empty bins.
//
//   ece        sum_b (n_b / N) gap_b                         expected calibration error (Naeini et al. 2015;
//                                                            Guo et al. 2017), equal-width or equal-mass bins
//   mce        max_b gap_b                                    maximum calibration error (Naeini et al. 2015)
//   l2_error   sqrt( sum_b (n_b / N) gap_b^2 )                RMS calibration error, the plug-in l2-CE of
//                                                            Kumar, Liang & Ma 2019 (verified_calibration's
//                                                            plugin_ce with p = 2)
//   debiased_l2_error                                         Kumar, Liang & Ma 2019, "Verified uncertainty
//              sqrt( max(0, sum_b (n_b / N) d_b) ),          calibration" (NeurIPS), their
//              d_b = gap_b^2 - y_b (1 - y_b) / (n_b - 1)     unbiased_l2_ce: a bin with n_b < 2 contributes 0
//                    for n_b >= 2, else 0                    (their current code); 0/1 targets only
//   brier      (1 / N) sum_i (y_i - c_i)^2                    Brier score (sklearn 1.2.1 brier_score_loss)
//   ace        mean over non-empty (class, bin) of gap        adaptive calibration error (Nixon et al. 2019,
//                                                            "Measuring calibration in deep learning", CVPR
//                                                            workshops): every class's probability of every
//                                                            sample, equal-mass ranges per class, unweighted
//                                                            mean. Nixon et al. write 1/(K R) sum; with ties
//                                                            some ranges can be empty and are left out of the
//                                                            mean rather than counted as 0.
//   reliability_curve                                        per non-empty bin: count, c_b, y_b and the
//   Wilson
//                                                            95% interval of y_b (stats/proportion.hpp,
//                                                            statsmodels 0.13.5 proportion_confint('wilson'))
//
// The pair functions take confidences c_i and targets y_i in [0, 1] (targets 0/1 for classification; the
// LaECE target of stratum/calibration/detection.hpp is tp * IoU) and a binning (equal width or equal mass on
// the confidences themselves). Errors: size mismatch, empty input or values outside [0, 1] (NaN included):
// std::invalid_argument naming the index; estimators over a state without samples: std::domain_error;
// debiased_l2_error on non-binary targets: std::domain_error.
//
// References checked by tests/oracles/calibration.py: sklearn 1.2.1 calibration_curve (both strategies) for
// the per-bin means, brier_score_loss, statsmodels proportion_confint for the Wilson bounds, and independent
// numpy implementations of the formulas above for ece, mce, l2, debiased l2, ace, D-ECE and LaECE.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../stats/proportion.hpp"
#include "bins.hpp"

namespace stratum::calibration {

enum class binning {
  equal_width,  ///< m bins of width 1/m on [0, 1]
  equal_mass,   ///< m bins at the quantiles of the confidences ("adaptive")
};

namespace detail {
inline void require_samples(const calibration_bins& s, const char* fn) {
  if (s.count() == 0) throw std::domain_error(std::string(fn) + ": no samples (empty state)");
}
[[nodiscard]] inline double gap(const bin_sums& b) noexcept {
  return std::abs(b.mean_target() - b.mean_confidence());
}

inline void check_pairs(std::span<const double> confidence, std::span<const double> target, const char* fn) {
  if (confidence.size() != target.size())
    throw ::stratum::usage_error(std::string(fn) + ": confidence has " + std::to_string(confidence.size()) +
                                 " values, target " + std::to_string(target.size()));
  if (confidence.empty()) throw ::stratum::usage_error(std::string(fn) + ": no samples (empty input)");
  for (std::size_t i = 0; i < confidence.size(); ++i) {
    check_unit(confidence[i], std::string(fn) + ": index " + std::to_string(i), "confidence");
    check_unit(target[i], std::string(fn) + ": index " + std::to_string(i), "target");
  }
}
}  // namespace detail

// ---- estimators over a state
// --------------------------------------------------------------------------------

/// ECE: sum over non-empty bins of (n_b / N) |y_b - c_b|.
[[nodiscard]] inline double ece(const calibration_bins& s) {
  detail::require_samples(s, "ece");
  const double n = static_cast<double>(s.count());
  double sum = 0;
  for (const auto& [idx, b] : s.bins()) sum += static_cast<double>(b.count) / n * detail::gap(b);
  return sum;
}

/// MCE: the largest |y_b - c_b| over non-empty bins.
[[nodiscard]] inline double mce(const calibration_bins& s) {
  detail::require_samples(s, "mce");
  double m = 0;
  for (const auto& [idx, b] : s.bins()) m = std::max(m, detail::gap(b));
  return m;
}

/// Plug-in l2 (RMS) calibration error: sqrt(sum (n_b / N) gap_b^2).
[[nodiscard]] inline double l2_error(const calibration_bins& s) {
  detail::require_samples(s, "l2_error");
  const double n = static_cast<double>(s.count());
  double sum = 0;
  for (const auto& [idx, b] : s.bins()) {
    const double g = detail::gap(b);
    sum += static_cast<double>(b.count) / n * (g * g);
  }
  return std::sqrt(sum);
}

/// Debiased l2 calibration error (Kumar, Liang & Ma 2019): sqrt(max(0, sum (n_b / N) (gap_b^2 - y_b (1 - y_b)
/// / (n_b - 1)))), bins with n_b < 2 contributing 0. Throws std::domain_error unless every target is 0 or 1.
[[nodiscard]] inline double debiased_l2_error(const calibration_bins& s) {
  detail::require_samples(s, "debiased_l2_error");
  const double n = static_cast<double>(s.count());
  double sum = 0;
  for (const auto& [idx, b] : s.bins()) {
    if (!b.binary_targets())
      throw std::domain_error("debiased_l2_error: bin " + std::to_string(idx) +
                              " has targets other than 0 and 1 (the estimator assumes Bernoulli labels)");
    if (b.count < 2) continue;
    const double g = detail::gap(b);
    const double y = b.mean_target();
    const double var = y * (1.0 - y) / (static_cast<double>(b.count) - 1.0);
    sum += static_cast<double>(b.count) / n * (g * g - var);
  }
  return std::sqrt(std::max(sum, 0.0));
}

/// Brier score: (1 / N) sum (y_i - c_i)^2, from the exact per-bin sums of squares.
[[nodiscard]] inline double brier_score(const calibration_bins& s) {
  detail::require_samples(s, "brier_score");
  stats::detail::exact_sum total;
  for (const auto& [idx, b] : s.bins()) total += b.squared_error;
  return total.value() / static_cast<double>(s.count());
}

/// ACE over per-class states: the unweighted mean of |y_b - c_b| over every non-empty (class, bin).
/// Throws std::domain_error when no class has samples.
[[nodiscard]] inline double ace(const class_calibration_bins& per_class) {
  double sum = 0;
  std::size_t cells = 0;
  for (const auto& [c, s] : per_class.classes())
    for (const auto& [idx, b] : s.bins()) {
      sum += detail::gap(b);
      ++cells;
    }
  if (cells == 0) throw std::domain_error("ace: no samples in any class");
  return sum / static_cast<double>(cells);
}

/// One non-empty bin of a reliability diagram.
struct reliability_bin {
  std::uint64_t bin = 0;  ///< flattened bin index
  double lower = 0;       ///< confidence-axis edges of the bin
  double upper = 0;
  std::uint64_t count = 0;  ///< n_b
  double mean_confidence = 0;
  double accuracy = 0;  ///< mean target y_b
  /// Wilson interval (95% unless asked otherwise) of the accuracy (stats::wilson_interval with x = sum y, n =
  /// n_b); NaN when the bin's targets are not all 0 or 1.
  double accuracy_lower = std::numeric_limits<double>::quiet_NaN();
  double accuracy_upper = std::numeric_limits<double>::quiet_NaN();
};

/// The reliability curve: every non-empty bin in index order.
[[nodiscard]] inline std::vector<reliability_bin> reliability_curve(const calibration_bins& s,
                                                                    ::stratum::confidence conf = {}) {
  std::vector<reliability_bin> out;
  if (s.empty_configuration()) return out;
  std::uint64_t inner = 1;
  for (std::size_t a = 1; a < s.axes().size(); ++a) inner *= s.axes()[a].bins();
  for (const auto& [idx, b] : s.bins()) {
    reliability_bin r;
    r.bin = idx;
    const auto conf_bin = static_cast<std::size_t>(idx / inner);
    r.lower = s.axes()[0].lower(conf_bin);
    r.upper = s.axes()[0].upper(conf_bin);
    r.count = b.count;
    r.mean_confidence = b.mean_confidence();
    r.accuracy = b.mean_target();
    if (b.binary_targets() && b.count <= (std::uint64_t{1} << 53)) {
      const double x = b.target.value();  // an integer, exact
      const auto iv =
          stats::wilson_interval(static_cast<std::int64_t>(x), static_cast<std::int64_t>(b.count), conf);
      r.accuracy_lower = iv.lower;
      r.accuracy_upper = iv.upper;
    }
    out.push_back(r);
  }
  return out;
}

// ---- from (confidence, target) pairs ---------------------------------------------------------------------

/// The binned state of the pairs: `bins` bins of the given kind on the confidences.
[[nodiscard]] inline calibration_bins make_bins(std::span<const double> confidence,
                                                std::span<const double> target,
                                                binning kind = binning::equal_width, std::size_t bins = 15) {
  detail::check_pairs(confidence, target, "calibration");
  calibration_bins s(kind == binning::equal_width ? bin_edges::equal_width(bins)
                                                  : bin_edges::equal_mass(confidence, bins));
  for (std::size_t i = 0; i < confidence.size(); ++i) s.add(confidence[i], target[i], {}, i);
  return s;
}

[[nodiscard]] inline double ece(std::span<const double> confidence, std::span<const double> target,
                                binning kind = binning::equal_width, std::size_t bins = 15) {
  return ece(make_bins(confidence, target, kind, bins));
}
[[nodiscard]] inline double mce(std::span<const double> confidence, std::span<const double> target,
                                binning kind = binning::equal_width, std::size_t bins = 15) {
  return mce(make_bins(confidence, target, kind, bins));
}
[[nodiscard]] inline double l2_error(std::span<const double> confidence, std::span<const double> target,
                                     binning kind = binning::equal_width, std::size_t bins = 15) {
  return l2_error(make_bins(confidence, target, kind, bins));
}
/// Kumar et al. use equal-mass bins; the binning is the caller's choice here as for the other estimators.
[[nodiscard]] inline double debiased_l2_error(std::span<const double> confidence,
                                              std::span<const double> target,
                                              binning kind = binning::equal_mass, std::size_t bins = 15) {
  return debiased_l2_error(make_bins(confidence, target, kind, bins));
}
[[nodiscard]] inline double brier_score(std::span<const double> confidence, std::span<const double> target) {
  return brier_score(make_bins(confidence, target, binning::equal_width, 1));
}
[[nodiscard]] inline std::vector<reliability_bin> reliability_curve(std::span<const double> confidence,
                                                                    std::span<const double> target,
                                                                    binning kind = binning::equal_width,
                                                                    std::size_t bins = 15) {
  return reliability_curve(make_bins(confidence, target, kind, bins));
}

/// Per-class states for ACE from class probabilities: `probabilities` is row-major n x classes, `labels[i]`
/// in [0, classes). Class k gets the pairs (p_ik, [label_i == k]) binned into `ranges` equal-mass ranges of
/// its own probabilities.
[[nodiscard]] inline class_calibration_bins make_class_bins(std::span<const double> probabilities,
                                                            std::span<const std::int64_t> labels,
                                                            std::size_t classes, std::size_t ranges = 15) {
  if (classes == 0) throw ::stratum::usage_error("ace: classes must be at least 1");
  if (labels.empty()) throw ::stratum::usage_error("ace: no samples (empty input)");
  if (probabilities.size() != labels.size() * classes)
    throw ::stratum::usage_error(
        "ace: probabilities has " + std::to_string(probabilities.size()) +
        " values, expected labels.size() * classes = " + std::to_string(labels.size() * classes));
  const std::size_t n = labels.size();
  for (std::size_t i = 0; i < n; ++i)
    if (labels[i] < 0 || static_cast<std::uint64_t>(labels[i]) >= classes)
      throw ::stratum::usage_error("ace: labels[" + std::to_string(i) + "] = " + std::to_string(labels[i]) +
                                   " is not in [0, " + std::to_string(classes) + ")");
  class_calibration_bins out;
  std::vector<double> p(n);
  for (std::size_t k = 0; k < classes; ++k) {
    for (std::size_t i = 0; i < n; ++i) {
      p[i] = probabilities[i * classes + k];
      detail::check_unit(p[i], "ace: probabilities[" + std::to_string(i) + "][" + std::to_string(k) + "]",
                         "probability");
    }
    calibration_bins s(bin_edges::equal_mass(p, ranges));
    for (std::size_t i = 0; i < n; ++i)
      s.add(p[i], static_cast<std::size_t>(labels[i]) == k ? 1.0 : 0.0, {}, i);
    out.assign(static_cast<std::int64_t>(k), std::move(s));
  }
  return out;
}

/// ACE (Nixon et al. 2019) from class probabilities and labels; see make_class_bins.
[[nodiscard]] inline double ace(std::span<const double> probabilities, std::span<const std::int64_t> labels,
                                std::size_t classes, std::size_t ranges = 15) {
  return ace(make_class_bins(probabilities, labels, classes, ranges));
}

}  // namespace stratum::calibration
