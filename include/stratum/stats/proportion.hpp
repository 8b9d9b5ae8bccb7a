// Confidence intervals for a binomial proportion: x successes (failures, in an audit) in n independent
// trials.
//
// Two-sided intervals at level 1 - alpha, matching statsmodels 0.13.5
// `statsmodels.stats.proportion.proportion_confint(x, n, alpha, method)`:
//
//   wald_interval            method='normal'         p +- z sqrt(p(1-p)/n), clipped to [0, 1]
//   wilson_interval          method='wilson'         Wilson (1927) score interval
//   agresti_coull_interval   method='agresti_coull'  Agresti & Coull (1998), clipped to [0, 1]
//   clopper_pearson_interval method='beta'           Clopper & Pearson (1934), exact (beta quantiles)
//   jeffreys_interval        method='jeffreys'       equal-tailed Beta(x + 1/2, n - x + 1/2) interval
//
// where p = x / n and z = Phi^{-1}(1 - alpha / 2). References: Brown, Cai & DasGupta (2001), "Interval
// Estimation for a Binomial Proportion", Statistical Science 16(2):101-133, for the definitions and their
// coverage; Clopper & Pearson (1934), Biometrika 26(4):404-413.
//
// One-sided upper bounds, for "zero failures were observed in n trials, how high can the failure rate be":
//
//   clopper_pearson_upper_bound(x, n, alpha)  Beta quantile 1 - alpha of Beta(x + 1, n - x)
//   zero_failure_upper_bound(n, alpha)        the same at x = 0 in closed form: 1 - alpha^(1/n)
//   rule_of_three_upper_bound(n, alpha)       -ln(alpha) / n, i.e. 3/n at 95% (Hanley & Lippman-Hand 1983)
//
// Arguments and edge cases (docs/statistics/proportions.md has the full table):
//   - x and n are counts (std::int64_t so that a negative value is caught, not wrapped): 0 <= x <= n,
//     else std::invalid_argument; n = 0 throws std::domain_error (no trials, no estimate); n > 2^53 throws
//     std::domain_error (x / n would no longer be exact in double).
//   - alpha must lie in the open interval (0, 1), else std::invalid_argument (NaN included). Any tiny
//     positive alpha is accepted (1e-12, 1e-300): the quantiles are computed from the tail probability alpha
//     / 2 directly, never as 1 - alpha / 2.
//   - x = 0 and x = n: Wald collapses to [0, 0] / [1, 1] (a known defect, kept as in statsmodels); Wilson
//     gives exactly 0 / 1 at the closed end (statsmodels may return +-1e-17 there from rounding);
//     Agresti-Coull is clipped; Clopper-Pearson sets the closed end to exactly 0 / 1; Jeffreys keeps the
//     central quantile at the closed end like statsmodels unless jeffreys_endpoints::brown_cai_dasgupta is
//     requested (0 / 1 there).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/complement.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/policies/error_handling.hpp>
#include <boost/math/special_functions/beta.hpp>
#include "../core/confidence.hpp"
#include "../core/error.hpp"

namespace stratum::stats {

/// A closed interval [lower, upper] for a proportion (both ends in [0, 1]).
struct proportion_interval {
  double lower = 0.0;
  double upper = 1.0;

  [[nodiscard]] double width() const noexcept { return upper - lower; }
  [[nodiscard]] bool contains(double p) const noexcept { return lower <= p && p <= upper; }
  friend bool operator==(const proportion_interval&, const proportion_interval&) = default;
};

/// The two-sided interval methods, named after the method, with statsmodels' name in the comment.
enum class proportion_method {
  wald,             ///< statsmodels 'normal'
  wilson,           ///< statsmodels 'wilson'
  agresti_coull,    ///< statsmodels 'agresti_coull'
  clopper_pearson,  ///< statsmodels 'beta'
  jeffreys,         ///< statsmodels 'jeffreys'
};

/// What the Jeffreys interval does at x = 0 and x = n.
enum class jeffreys_endpoints {
  /// Both ends are the alpha/2 and 1 - alpha/2 Beta quantiles for every x, as statsmodels 0.13.5 does (the
  /// interval at x = 0 then excludes 0 itself).
  central,
  /// Lower end 0 at x = 0 and upper end 1 at x = n, the modification of Brown, Cai & DasGupta (2001, sec.
  /// 4.1.2), which keeps the coverage from tending to 0 as p -> 0 or 1.
  brown_cai_dasgupta,
};

namespace proportion_detail {

inline constexpr std::int64_t max_exact_count = std::int64_t{1} << 53;

inline std::string where(const char* fn) {
  return std::string("stratum::stats::") + fn + ": ";
}

/// Validates a count pair: 0 <= x <= n, 0 < n <= 2^53.
inline void check_counts(const char* fn, std::int64_t x, std::int64_t n) {
  if (n < 0) throw ::stratum::usage_error(where(fn) + "n (= " + std::to_string(n) + ") must be >= 0");
  if (n == 0) throw std::domain_error(where(fn) + "n = 0: no trials, the proportion is undefined");
  if (n > max_exact_count)
    throw std::domain_error(where(fn) + "n (= " + std::to_string(n) + ") exceeds 2^53, not exact in double");
  if (x < 0) throw ::stratum::usage_error(where(fn) + "x (= " + std::to_string(x) + ") must be >= 0");
  if (x > n)
    throw ::stratum::usage_error(where(fn) + "x (= " + std::to_string(x) +
                                 ") must not exceed n (= " + std::to_string(n) + ")");
}

/// z = Phi^{-1}(1 - tail), computed as the complement quantile so that tiny tails keep full precision
/// (scipy.stats.norm.isf).
[[nodiscard]] inline double normal_isf(double tail) {
  return boost::math::quantile(boost::math::complement(boost::math::normal_distribution<double>(), tail));
}

/// Inverts the regularized incomplete beta function by bisection over the bit patterns of the doubles in
/// [0, 1] (64 steps at most): the t where I_t(a, b) (upper = false) or 1 - I_t(a, b) (upper = true) crosses
/// q. A fallback only: Boost 1.74's Newton iteration in ibeta_inv stops with an evaluation_error at a few
/// points (e.g. the median of the symmetric Beta(5, 5), which the one-sided Clopper-Pearson bound at alpha =
/// 0.5 asks for).
[[nodiscard]] inline double beta_quantile_bisect(double q, double a, double b, bool upper) {
  const auto f = [&](double t) { return upper ? boost::math::ibetac(a, b, t) : boost::math::ibeta(a, b, t); };
  std::uint64_t lo = std::bit_cast<std::uint64_t>(0.0);
  std::uint64_t hi = std::bit_cast<std::uint64_t>(1.0);
  // Invariant: the crossing lies in [lo, hi]; "below" means t is still on the side of 0.
  while (hi - lo > 1) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    const double v = f(std::bit_cast<double>(mid));
    const bool below = upper ? v > q : v < q;
    (below ? lo : hi) = mid;
  }
  const double tl = std::bit_cast<double>(lo);
  const double th = std::bit_cast<double>(hi);
  return std::abs(f(tl) - q) <= std::abs(f(th) - q) ? tl : th;
}

/// The lower quantile of Beta(a, b) at probability q (scipy.stats.beta.ppf).
[[nodiscard]] inline double beta_ppf(double q, double a, double b) {
  try {
    return boost::math::quantile(boost::math::beta_distribution<double>(a, b), q);
  } catch (const boost::math::evaluation_error&) {
    return beta_quantile_bisect(q, a, b, false);
  }
}

/// The upper quantile of Beta(a, b) at tail probability q (scipy.stats.beta.isf), computed from the tail.
[[nodiscard]] inline double beta_isf(double q, double a, double b) {
  try {
    return boost::math::quantile(boost::math::complement(boost::math::beta_distribution<double>(a, b), q));
  } catch (const boost::math::evaluation_error&) {
    return beta_quantile_bisect(q, a, b, true);
  }
}

}  // namespace proportion_detail

/// Wald ("normal approximation") interval: p +- z sqrt(p (1 - p) / n), clipped to [0, 1].
/// statsmodels 0.13.5 proportion_confint(method='normal'). Degenerate ([0, 0] or [1, 1]) at x = 0 or x = n.
[[nodiscard]] inline proportion_interval wald_interval(std::int64_t x, std::int64_t n,
                                                       ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  proportion_detail::check_counts("wald_interval", x, n);
  const double nd = static_cast<double>(n);
  const double q = static_cast<double>(x) / nd;
  const double dist = proportion_detail::normal_isf(0.5 * alpha) * std::sqrt(q * (1.0 - q) / nd);
  return {std::clamp(q - dist, 0.0, 1.0), std::clamp(q + dist, 0.0, 1.0)};
}

/// Wilson score interval, the set of p whose score test |p_hat - p| / sqrt(p (1 - p) / n) <= z:
///   center = (p + z^2/(2n)) / (1 + z^2/n),  half = z sqrt(p (1 - p)/n + z^2/(4 n^2)) / (1 + z^2/n).
/// statsmodels 0.13.5 proportion_confint(method='wilson'). statsmodels evaluates center -+ half, which
/// cancels when the lower end is small; here, with k = z^2/(2n) and s = z sqrt(p(1-p)/n + z^2/(4n^2)),
/// the lower end is rewritten without cancellation as p^2 / (p + k + s) (multiply center - half by
/// (p + k + s) / (p + k + s) and use (p + k)^2 - s^2 = p^2 (1 + 2k)), and the upper end as
/// (p + k + s) / (1 + 2k) for p < 1/2 and 1 - q^2 / (q + k + s) with q = 1 - p otherwise. The two forms
/// agree with statsmodels to rounding, and give exactly 0 at x = 0 and exactly 1 at x = n.
[[nodiscard]] inline proportion_interval wilson_interval(std::int64_t x, std::int64_t n,
                                                         ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  proportion_detail::check_counts("wilson_interval", x, n);
  const double nd = static_cast<double>(n);
  const double p = static_cast<double>(x) / nd;
  const double q = static_cast<double>(n - x) / nd;
  const double z = proportion_detail::normal_isf(0.5 * alpha);
  const double z2 = z * z;
  const double k = z2 / (2.0 * nd);
  const double s = z * std::sqrt(p * q / nd + z2 / (4.0 * nd * nd));
  const double lower = p * p / (p + k + s);
  const double upper = p < 0.5 ? (p + k + s) / (1.0 + 2.0 * k) : 1.0 - q * q / (q + k + s);
  return {lower, upper};
}

/// Agresti-Coull interval: the Wald interval around the adjusted estimate p~ = (x + z^2/2) / (n + z^2) with
/// n~ = n + z^2: p~ +- z sqrt(p~ (1 - p~) / n~), clipped to [0, 1]. Agresti & Coull (1998), The American
/// Statistician 52(2):119-126; statsmodels 0.13.5 proportion_confint(method='agresti_coull').
[[nodiscard]] inline proportion_interval agresti_coull_interval(std::int64_t x, std::int64_t n,
                                                                ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  proportion_detail::check_counts("agresti_coull_interval", x, n);
  const double crit = proportion_detail::normal_isf(0.5 * alpha);
  const double crit2 = crit * crit;
  const double nobs_c = static_cast<double>(n) + crit2;
  const double q_c = (static_cast<double>(x) + crit2 / 2.0) / nobs_c;
  const double dist = crit * std::sqrt(q_c * (1.0 - q_c) / nobs_c);
  return {std::clamp(q_c - dist, 0.0, 1.0), std::clamp(q_c + dist, 0.0, 1.0)};
}

/// Clopper-Pearson ("exact") interval: lower = B^{-1}(alpha/2; x, n - x + 1), upper = B^{-1}(1 - alpha/2;
/// x + 1, n - x), where B^{-1}(.; a, b) is the Beta(a, b) quantile; lower = 0 at x = 0, upper = 1 at x = n.
/// Clopper & Pearson (1934); statsmodels 0.13.5 proportion_confint(method='beta'). Its coverage is at least
/// 1 - alpha for every p (at least 1 - alpha/2 on the closed side at x = 0 and x = n, as alpha is not
/// re-spent there, like statsmodels).
[[nodiscard]] inline proportion_interval clopper_pearson_interval(std::int64_t x, std::int64_t n,
                                                                  ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  proportion_detail::check_counts("clopper_pearson_interval", x, n);
  const double xd = static_cast<double>(x);
  const double rest = static_cast<double>(n - x);
  const double tail = 0.5 * alpha;
  const double lower = x == 0 ? 0.0 : proportion_detail::beta_ppf(tail, xd, rest + 1.0);
  const double upper = x == n ? 1.0 : proportion_detail::beta_isf(tail, xd + 1.0, rest);
  return {lower, upper};
}

/// Jeffreys interval: the equal-tailed 1 - alpha posterior interval of Beta(x + 1/2, n - x + 1/2), the
/// posterior under the Jeffreys prior Beta(1/2, 1/2). Brown, Cai & DasGupta (2001), sec. 4.1.2; statsmodels
/// 0.13.5 proportion_confint(method='jeffreys'), which calls scipy.stats.beta.interval(1 - alpha, ...) and so
/// passes the tail probabilities through 1 - alpha and (1 + (1 - alpha)) / 2: that loses ~1e-16 / alpha of
/// relative precision in the tail probability (1e-4 at alpha = 1e-12). Here both quantiles are computed from
/// alpha / 2 directly; the two agree to 1e-10 for alpha >= 1e-6 (docs/statistics/proportions.md).
[[nodiscard]] inline proportion_interval jeffreys_interval(
    std::int64_t x, std::int64_t n, ::stratum::confidence conf = {},
    jeffreys_endpoints endpoints = jeffreys_endpoints::central) {
  const double alpha = conf.alpha();
  proportion_detail::check_counts("jeffreys_interval", x, n);
  const double a = static_cast<double>(x) + 0.5;
  const double b = static_cast<double>(n - x) + 0.5;
  const double tail = 0.5 * alpha;
  const bool adjust = endpoints == jeffreys_endpoints::brown_cai_dasgupta;
  const double lower = (adjust && x == 0) ? 0.0 : proportion_detail::beta_ppf(tail, a, b);
  const double upper = (adjust && x == n) ? 1.0 : proportion_detail::beta_isf(tail, a, b);
  return {lower, upper};
}

/// Dispatches to the interval named by `method` (statsmodels proportion_confint(x, n, alpha, method)). The
/// Jeffreys interval is the central one, as in statsmodels.
[[nodiscard]] inline proportion_interval proportion_confint(std::int64_t x, std::int64_t n,
                                                            ::stratum::confidence conf,
                                                            proportion_method method) {
  switch (method) {
    case proportion_method::wald:
      return wald_interval(x, n, conf);
    case proportion_method::wilson:
      return wilson_interval(x, n, conf);
    case proportion_method::agresti_coull:
      return agresti_coull_interval(x, n, conf);
    case proportion_method::clopper_pearson:
      return clopper_pearson_interval(x, n, conf);
    case proportion_method::jeffreys:
      return jeffreys_interval(x, n, conf);
  }
  throw ::stratum::usage_error("stratum::stats::proportion_confint: unknown method");
}

/// One-sided Clopper-Pearson upper confidence bound at level 1 - alpha: the p at which P(X <= x | n, p) =
/// alpha, i.e. the Beta(x + 1, n - x) quantile 1 - alpha (scipy.stats.beta.isf(alpha, x + 1, n - x));
/// 1 at x = n. At x = 0 it is 1 - alpha^(1/n) (see zero_failure_upper_bound).
[[nodiscard]] inline double clopper_pearson_upper_bound(std::int64_t x, std::int64_t n,
                                                        ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  proportion_detail::check_counts("clopper_pearson_upper_bound", x, n);
  if (x == n) return 1.0;
  return proportion_detail::beta_isf(alpha, static_cast<double>(x) + 1.0, static_cast<double>(n - x));
}

/// One-sided Clopper-Pearson lower confidence bound at level 1 - alpha: the Beta(x, n - x + 1) quantile alpha
/// (scipy.stats.beta.ppf(alpha, x, n - x + 1)); 0 at x = 0.
[[nodiscard]] inline double clopper_pearson_lower_bound(std::int64_t x, std::int64_t n,
                                                        ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  proportion_detail::check_counts("clopper_pearson_lower_bound", x, n);
  if (x == 0) return 0.0;
  return proportion_detail::beta_ppf(alpha, static_cast<double>(x), static_cast<double>(n - x) + 1.0);
}

/// Exact one-sided upper bound on the rate after 0 events in n trials, at confidence 1 - alpha: the p with
/// (1 - p)^n = alpha, i.e. 1 - alpha^(1/n), evaluated as -expm1(ln(alpha) / n) to keep full relative
/// precision for large n. Equal to clopper_pearson_upper_bound(0, n, alpha). Clopper & Pearson (1934).
[[nodiscard]] inline double zero_failure_upper_bound(std::int64_t n, ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  proportion_detail::check_counts("zero_failure_upper_bound", 0, n);
  return -std::expm1(std::log(alpha) / static_cast<double>(n));
}

/// The "rule of three": after 0 events in n trials the rate is below 3/n with 95% confidence; in general
/// -ln(alpha) / n (2.996/n at alpha = 0.05), the first-order expansion of 1 - alpha^(1/n), which it always
/// exceeds (it is conservative; within a relative -ln(alpha)/(2n) for large n). Clipped to 1 for small n.
/// Hanley & Lippman-Hand (1983), "If nothing goes wrong, is everything all right?", JAMA 249(13):1743-1745.
[[nodiscard]] inline double rule_of_three_upper_bound(std::int64_t n, ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  proportion_detail::check_counts("rule_of_three_upper_bound", 0, n);
  return std::min(1.0, -std::log(alpha) / static_cast<double>(n));
}

}  // namespace stratum::stats
