// Sample-size planning per slice: how many observations a scenario slice needs before its failure rate can be
// stated with the precision a release review asks for.
//
//   wald_sample_size(rate, h, alpha)      ceil(rate (1 - rate) / (h / z)^2): the Wald interval's
//                                         half-width at the anticipated rate is <= h. statsmodels 0.13.5
//                                         samplesize_confint_proportion(rate, h, alpha, method='normal')
//                                         returns the same number before rounding up.
//   wilson_sample_size(rate, h, alpha)    the smallest n whose Wilson interval, at the anticipated rate, has
//                                         half-width <= h (wilson_half_width below).
//   zero_failure_sample_size(p, alpha)    the smallest n such that observing 0 failures in n trials shows the
//                                         rate is below p at confidence 1 - alpha: (1 - p)^n <= alpha, i.e.
//                                         the one-sided Clopper-Pearson bound 1 - alpha^(1/n) <= p.
//   rule_of_three_sample_size(p, alpha)   ceil(-ln(alpha) / p), i.e. 3/p at 95% (Hanley & Lippman-Hand 1983);
//                                         never smaller than the exact zero_failure_sample_size.
//
// z = Phi^{-1}(1 - alpha/2). Planning uses the anticipated rate as if it were observed (x = rate n, not
// rounded to an integer), the usual convention (e.g. Newcombe 1998 and statsmodels). Every function returns
// n >= 1, validates its arguments (std::invalid_argument naming the argument) and throws std::domain_error
// when the answer would exceed 2^53. docs/statistics/sample_size.md compares the methods.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <stratum/stats/proportion.hpp>
#include "../core/confidence.hpp"
#include "../core/error.hpp"

namespace stratum::stats {

namespace sample_size_detail {

inline void check_rate(const char* fn, const char* name, double rate) {
  if (!(rate >= 0.0 && rate <= 1.0))
    throw ::stratum::usage_error(proportion_detail::where(fn) + name + " (= " + std::to_string(rate) +
                                 ") must lie in [0, 1]");
}

inline void check_positive(const char* fn, const char* name, double v) {
  if (!(v > 0.0) || !std::isfinite(v))
    throw ::stratum::usage_error(proportion_detail::where(fn) + name + " (= " + std::to_string(v) +
                                 ") must be positive and finite");
}

/// ceil(v) as a count >= 1, or std::domain_error when v exceeds 2^53.
inline std::int64_t to_count(const char* fn, double v) {
  if (!(v <= static_cast<double>(proportion_detail::max_exact_count)))
    throw std::domain_error(proportion_detail::where(fn) + "the required n (~" + std::to_string(v) +
                            ") exceeds 2^53");
  return v < 1.0 ? 1 : static_cast<std::int64_t>(std::ceil(v));
}

}  // namespace sample_size_detail

/// The Wilson interval's half-width for an anticipated rate observed in n trials:
///   z sqrt(rate (1 - rate) / n + z^2 / (4 n^2)) / (1 + z^2 / n),
/// the same expression as statsmodels 0.13.5's 'wilson' branch of proportion_confint (half the interval's
/// width, before any rounding of x). Decreasing in n (derivative sign: a (z^2 - n)/2 - z^2/4 < 0 with
/// a = rate (1 - rate) <= 1/4), from 1/2 at n -> 0.
[[nodiscard]] inline double wilson_half_width(double rate, std::int64_t n, ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  sample_size_detail::check_rate("wilson_half_width", "rate", rate);
  proportion_detail::check_counts("wilson_half_width", 0, n);
  const double nd = static_cast<double>(n);
  const double crit = proportion_detail::normal_isf(0.5 * alpha);
  const double crit2 = crit * crit;
  const double denom = 1.0 + crit2 / nd;
  return crit * std::sqrt(rate * (1.0 - rate) / nd + crit2 / (4.0 * nd * nd)) / denom;
}

/// The number of observations for a Wald interval of half-width at most `half_width` at the anticipated
/// `rate`: ceil(rate (1 - rate) / (half_width / z)^2), at least 1 (statsmodels 0.13.5
/// samplesize_confint_proportion, rounded up; same operation order). At rate 0 or 1 the Wald half-width is 0
/// for every n and this returns 1: plan such slices with wilson_sample_size or zero_failure_sample_size.
[[nodiscard]] inline std::int64_t wald_sample_size(double rate, double half_width,
                                                   ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  sample_size_detail::check_rate("wald_sample_size", "rate", rate);
  sample_size_detail::check_positive("wald_sample_size", "half_width", half_width);
  const double ratio = half_width / proportion_detail::normal_isf(0.5 * alpha);
  return sample_size_detail::to_count("wald_sample_size", rate * (1.0 - rate) / (ratio * ratio));
}

/// The smallest n >= 1 with wilson_half_width(rate, n, alpha) <= half_width. Solved in closed form from
/// t^2 (n + z^2)^2 = z^2 (a n + z^2/4) (a = rate (1 - rate), t = half_width), the positive root of
///   t^2 n^2 + z^2 (2 t^2 - a) n + z^4 (t^2 - 1/4) = 0,
/// then corrected by stepping n so that the returned value is exactly the smallest n for which the
/// floating-point half-width (the expression above) is <= t. Any t >= 1/2 gives 1.
[[nodiscard]] inline std::int64_t wilson_sample_size(double rate, double half_width,
                                                     ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  constexpr const char* fn = "wilson_sample_size";
  sample_size_detail::check_rate(fn, "rate", rate);
  sample_size_detail::check_positive(fn, "half_width", half_width);
  if (half_width >= 0.5) return 1;
  const double z = proportion_detail::normal_isf(0.5 * alpha);
  const double z2 = z * z;
  const double t2 = half_width * half_width;
  const double qa = t2;
  const double qb = z2 * (2.0 * t2 - rate * (1.0 - rate));
  const double qc = z2 * z2 * (t2 - 0.25);  // < 0
  const double root_d = std::sqrt(qb * qb - 4.0 * qa * qc);
  // The positive root, in the form free of cancellation for either sign of qb.
  const double root = qb > 0.0 ? (-2.0 * qc) / (qb + root_d) : (root_d - qb) / (2.0 * qa);
  std::int64_t n = sample_size_detail::to_count(fn, root);
  auto half = [&](std::int64_t k) {
    const double kd = static_cast<double>(k);
    return z * std::sqrt(rate * (1.0 - rate) / kd + z2 / (4.0 * kd * kd)) / (1.0 + z2 / kd);
  };
  while (half(n) > half_width) {
    if (n >= proportion_detail::max_exact_count)
      throw std::domain_error(proportion_detail::where(fn) + "the required n exceeds 2^53");
    ++n;
  }
  while (n > 1 && half(n - 1) <= half_width) --n;
  return n;
}

/// The smallest n >= 1 such that zero failures in n trials bound the failure rate below `max_rate` at
/// confidence 1 - alpha: (1 - max_rate)^n <= alpha, evaluated as n log1p(-max_rate) <= ln(alpha) (exact for
/// the binomial; equivalently zero_failure_upper_bound(n, alpha) <= max_rate). max_rate in (0, 1] (1 gives
/// 1).
[[nodiscard]] inline std::int64_t zero_failure_sample_size(double max_rate, ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  constexpr const char* fn = "zero_failure_sample_size";
  if (!(max_rate > 0.0 && max_rate <= 1.0))
    throw ::stratum::usage_error(proportion_detail::where(fn) + "max_rate (= " + std::to_string(max_rate) +
                                 ") must lie in (0, 1]");
  const double log_alpha = std::log(alpha);
  const double log_keep = std::log1p(-max_rate);  // ln(1 - p) < 0, -inf at p = 1
  std::int64_t n = sample_size_detail::to_count(fn, log_alpha / log_keep);
  auto enough = [&](std::int64_t k) { return static_cast<double>(k) * log_keep <= log_alpha; };
  while (!enough(n)) {
    if (n >= proportion_detail::max_exact_count)
      throw std::domain_error(proportion_detail::where(fn) + "the required n exceeds 2^53");
    ++n;
  }
  while (n > 1 && enough(n - 1)) --n;
  return n;
}

/// The rule-of-three sample size ceil(-ln(alpha) / max_rate) (3/p at 95%). Since -ln(1 - p) > p it is never
/// below zero_failure_sample_size, and exceeds it by about -ln(alpha)/2 observations for small p.
/// Hanley & Lippman-Hand (1983), JAMA 249(13):1743-1745.
[[nodiscard]] inline std::int64_t rule_of_three_sample_size(double max_rate,
                                                            ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  constexpr const char* fn = "rule_of_three_sample_size";
  if (!(max_rate > 0.0 && max_rate <= 1.0))
    throw ::stratum::usage_error(proportion_detail::where(fn) + "max_rate (= " + std::to_string(max_rate) +
                                 ") must lie in (0, 1]");
  return sample_size_detail::to_count(fn, -std::log(alpha) / max_rate);
}

}  // namespace stratum::stats
