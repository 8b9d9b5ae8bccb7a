// Bootstrap confidence intervals from a bootstrap distribution: the percentile and BCa intervals of
// scipy.stats.bootstrap (scipy 1.10.1), to the bit given the same replicate values.
//
// Intervals (scipy.stats.bootstrap, scipy 1.10.1, scipy/stats/_resampling.py), for confidence level c and
// alpha = (1 - c) / 2, from the replicate statistics theta*_1..theta*_B:
//   percentile: [P(alpha), P(1 - alpha)], P(a) = numpy.percentile(theta*, 100 a) with the default 'linear'
//               method (numpy 1.24: q = (100 a) / 100, v = (B - 1) q, i = floor(v), g = v - i,
//               lerp(x_(i), x_(i+1), g) = x_(i) + (x_(i+1) - x_(i)) g, or x_(i+1) - (x_(i+1) - x_(i))(1 - g)
//               when g >= 0.5; v >= B - 1 gives x_(B)).
//   BCa (Efron 1987, "Better bootstrap confidence intervals", JASA 82; Efron & Tibshirani 1993, 14.3):
//               z0 = Phi^-1(p), p = (#{theta* < theta^} + #{theta* <= theta^}) / (2B) (_percentile_of_score)
//               jackknife values theta_(i), i = 1..n: U_i = (n - 1)(mean(theta_(.)) - theta_(i)),
//               a = (1/6) (sum U_i^3 / n^3) / (sum U_i^2 / n^2)^(3/2)
//               a1 = Phi(z0 + (z0 + z_alpha) / (1 - a (z0 + z_alpha))), a2 likewise with z_(1-alpha) =
//               -z_alpha interval [P(a1), P(a2)].
//   Sums over the jackknife values use numpy's pairwise summation, so identical inputs give scipy's numbers
//   to the last bits. When a1 or a2 is NaN (degenerate distribution: z0 infinite with a != 0, or all
//   jackknife values equal so that a = 0/0), scipy warns and returns NaN; so do we, and set `degenerate`.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/math/distributions/normal.hpp>

#include "../core/confidence.hpp"
#include "../core/error.hpp"
#include "../detail/fp_barrier.hpp"
#include "../detail/numpy.hpp"

namespace stratum::stats {

namespace detail {

using stratum::detail::numpy_percentile_sorted;
using stratum::detail::numpy_sum;

/// scipy.special.ndtr: the standard normal CDF (Boost.Math), with Phi(-inf) = 0, Phi(inf) = 1, Phi(NaN) =
/// NaN.
[[nodiscard]] inline double ndtr(double x) {
  if (std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(x)) return x < 0 ? 0.0 : 1.0;
  return boost::math::cdf(boost::math::normal_distribution<double>(), x);
}

/// scipy.special.ndtri: the standard normal quantile, with ndtri(0) = -inf, ndtri(1) = inf, NaN outside [0,
/// 1].
[[nodiscard]] inline double ndtri(double p) {
  if (!(p >= 0.0 && p <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0.0) return -HUGE_VAL;
  if (p == 1.0) return HUGE_VAL;
  return boost::math::quantile(boost::math::normal_distribution<double>(), p);
}

inline void check_finite(std::span<const double> v, const char* fn, const char* name) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw ::stratum::usage_error(std::string(fn) + ": " + name + "[" + std::to_string(i) +
                                   "] is not finite (" + std::to_string(v[i]) + ")");
}

}  // namespace detail

// ============================================================================================================
// Intervals
// ============================================================================================================

/// A two-sided bootstrap confidence interval and the percentile levels it used.
struct bootstrap_interval {
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  double level_lower = std::numeric_limits<double>::quiet_NaN();  ///< percentile level of `lower`, in [0, 1]
  double level_upper = std::numeric_limits<double>::quiet_NaN();  ///< percentile level of `upper`, in [0, 1]
  double z0 = 0.0;            ///< BCa bias correction (0 for the percentile interval)
  double acceleration = 0.0;  ///< BCa acceleration a (0 for the percentile interval)
  bool degenerate = false;    ///< BCa levels undefined: bounds are NaN (scipy warns DegenerateDataWarning)
};

/// Percentile interval: [P(alpha), P(1 - alpha)] of the replicate statistics, alpha = (1 -
/// confidence_level)/2, P = numpy.percentile (linear). Same as scipy.stats.bootstrap(method='percentile')
/// given the same bootstrap distribution. Throws std::invalid_argument on an empty or non-finite `replicates`
/// or a level outside (0, 1).
[[nodiscard]] inline bootstrap_interval percentile_interval(std::span<const double> replicates,
                                                            ::stratum::confidence conf = {}) {
  const double confidence_level = conf.level();
  constexpr const char* fn = "percentile_interval";
  if (replicates.empty()) throw ::stratum::usage_error("percentile_interval: replicates is empty");
  detail::check_finite(replicates, fn, "replicates");
  std::vector<double> sorted(replicates.begin(), replicates.end());
  std::sort(sorted.begin(), sorted.end());
  const double alpha = (1 - confidence_level) / 2;
  bootstrap_interval r;
  r.level_lower = alpha;
  r.level_upper = 1 - alpha;
  r.lower = detail::numpy_percentile_sorted(sorted, alpha * 100);
  r.upper = detail::numpy_percentile_sorted(sorted, (1 - alpha) * 100);
  return r;
}

/// BCa interval (Efron 1987) from the replicate statistics, the full-sample statistic `theta_hat` and the
/// jackknife (leave-one-unit-out) statistics, exactly as scipy.stats.bootstrap(method='BCa') computes it
/// (_bca_interval) for one sample. Throws std::invalid_argument on empty or non-finite inputs, fewer than 2
/// jackknife values or a level outside (0, 1). Degenerate cases give NaN bounds and `degenerate = true`.
[[nodiscard]] inline bootstrap_interval bca_interval(std::span<const double> replicates, double theta_hat,
                                                     std::span<const double> jackknife,
                                                     ::stratum::confidence conf = {}) {
  const double confidence_level = conf.level();
  constexpr const char* fn = "bca_interval";
  if (replicates.empty()) throw ::stratum::usage_error("bca_interval: replicates is empty");
  if (jackknife.size() < 2)
    throw ::stratum::usage_error("bca_interval: jackknife needs at least 2 values, got " +
                                 std::to_string(jackknife.size()));
  detail::check_finite(replicates, fn, "replicates");
  detail::check_finite(jackknife, fn, "jackknife");
  if (!std::isfinite(theta_hat)) throw ::stratum::usage_error("bca_interval: theta_hat is not finite");
  using stratum::detail::rounded;

  std::vector<double> sorted(replicates.begin(), replicates.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t B = sorted.size();
  const auto less =
      static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), theta_hat) - sorted.begin());
  const auto less_eq =
      static_cast<std::size_t>(std::upper_bound(sorted.begin(), sorted.end(), theta_hat) - sorted.begin());
  const double p = static_cast<double>(less + less_eq) / static_cast<double>(2 * B);
  const double z0 = detail::ndtri(p);

  const std::size_t n = jackknife.size();
  const double nd = static_cast<double>(n);
  const double mean = detail::numpy_sum(jackknife.data(), n) / nd;
  std::vector<double> u2(n), u3(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double u = rounded((nd - 1) * rounded(mean - jackknife[i]));
    u2[i] = rounded(u * u);
    u3[i] = std::pow(u, 3.0);
  }
  const double num = detail::numpy_sum(u3.data(), n) / rounded(nd * nd * nd);
  const double den = detail::numpy_sum(u2.data(), n) / rounded(nd * nd);
  const double a = rounded(1.0 / 6 * num) / std::pow(den, 1.5);

  const double alpha = (1 - confidence_level) / 2;
  const double z_alpha = detail::ndtri(alpha);
  const double num1 = z0 + z_alpha;
  const double a1 = detail::ndtr(z0 + num1 / (1 - rounded(a * num1)));
  const double num2 = z0 + -z_alpha;
  const double a2 = detail::ndtr(z0 + num2 / (1 - rounded(a * num2)));

  bootstrap_interval r;
  r.z0 = z0;
  r.acceleration = a;
  r.level_lower = a1;
  r.level_upper = a2;
  if (std::isnan(a1) || std::isnan(a2)) {
    r.degenerate = true;
    if (!std::isnan(a1)) r.lower = detail::numpy_percentile_sorted(sorted, a1 * 100);
    if (!std::isnan(a2)) r.upper = detail::numpy_percentile_sorted(sorted, a2 * 100);
    return r;
  }
  r.lower = detail::numpy_percentile_sorted(sorted, a1 * 100);
  r.upper = detail::numpy_percentile_sorted(sorted, a2 * 100);
  return r;
}

}  // namespace stratum::stats
