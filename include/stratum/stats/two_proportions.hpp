// Comparing two binomial proportions: a slice's failure rate p1 = x1 / n1 against another's p2 = x2 / n2.
//
//   newcombe_interval      interval for p1 - p2, Newcombe's hybrid score method (Wilson-based)
//                          = statsmodels 0.13.5 confint_proportions_2indep(x1, n1, x2, n2, method='newcomb',
//                            compare='diff')
//   two_proportion_z_test  pooled two-proportion z-test = statsmodels 0.13.5 proportions_ztest([x1, x2],
//                          [n1, n2], value=0, alternative=...)
//   fisher_exact           Fisher's exact test on the 2x2 table [[a, b], [c, d]] = scipy 1.10.1
//                          scipy.stats.fisher_exact(table, alternative=...)
//   sample_odds_ratio      (a d) / (b c) with scipy 1.10.1's conventions
//
// The alternatives are named as in scipy: `less` is H1: p1 < p2 (statsmodels alternative='smaller'; for a
// table whose rows are the two groups [[x1, n1 - x1], [x2, n2 - x2]], odds ratio < 1) and `greater` is
// H1: p1 > p2 (statsmodels 'larger'; odds ratio > 1).
//
// References: Newcombe (1998), "Interval estimation for the difference between independent proportions:
// comparison of eleven methods", Statistics in Medicine 17(8):873-890 (method 10); Fisher (1935), The Design
// of Experiments; Agresti (2002), Categorical Data Analysis, 2nd ed., sec. 3.5.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include <boost/math/distributions/complement.hpp>
#include <boost/math/distributions/hypergeometric.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/factorials.hpp>
#include <boost/math/special_functions/prime.hpp>

#include <stratum/stats/proportion.hpp>
#include "../core/confidence.hpp"
#include "../core/error.hpp"

namespace stratum::stats {

/// The alternative hypothesis of a two-sample test of proportions (scipy's names).
enum class proportion_alternative {
  two_sided,  ///< H1: p1 != p2
  less,       ///< H1: p1 < p2 (odds ratio < 1)
  greater,    ///< H1: p1 > p2 (odds ratio > 1)
};

/// An interval for the difference of two proportions, with the point estimate p1 - p2.
struct proportion_difference_interval {
  double estimate = 0.0;
  double lower = -1.0;
  double upper = 1.0;

  [[nodiscard]] bool contains(double d) const noexcept { return lower <= d && d <= upper; }
  friend bool operator==(const proportion_difference_interval&,
                         const proportion_difference_interval&) = default;
};

/// A test statistic and its p-value.
struct proportion_test_result {
  double statistic = 0.0;
  double p_value = 1.0;
};

/// Fisher's exact test: the sample odds ratio and the p-value.
struct fisher_exact_result {
  double odds_ratio = 0.0;
  double p_value = 1.0;
};

/// Newcombe's hybrid score interval for p1 - p2 at level 1 - alpha. With (l_i, u_i) the Wilson interval of
/// sample i at the same alpha and d = p1 - p2:
///   lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2),   upper = d + sqrt((p2 - l2)^2 + (u1 - p1)^2).
/// Newcombe (1998), method 10; statsmodels 0.13.5 confint_proportions_2indep(method='newcomb',
/// compare='diff'). Argument checks as wilson_interval (n1, n2 = 0 throw std::domain_error). The result lies
/// in [-1, 1].
[[nodiscard]] inline proportion_difference_interval newcombe_interval(std::int64_t x1, std::int64_t n1,
                                                                      std::int64_t x2, std::int64_t n2,
                                                                      ::stratum::confidence conf = {}) {
  proportion_detail::check_counts("newcombe_interval (sample 1)", x1, n1);
  proportion_detail::check_counts("newcombe_interval (sample 2)", x2, n2);
  const proportion_interval w1 = wilson_interval(x1, n1, conf);
  const proportion_interval w2 = wilson_interval(x2, n2, conf);
  const double p1 = static_cast<double>(x1) / static_cast<double>(n1);
  const double p2 = static_cast<double>(x2) / static_cast<double>(n2);
  const double d = p1 - p2;
  const double e1 = p1 - w1.lower;
  const double e2 = w2.upper - p2;
  const double e3 = p2 - w2.lower;
  const double e4 = w1.upper - p1;
  const double d_low = std::sqrt(e1 * e1 + e2 * e2);
  const double d_upp = std::sqrt(e3 * e3 + e4 * e4);
  return {d, d - d_low, d + d_upp};
}

/// Pooled two-proportion z-test of H0: p1 = p2. With p = (x1 + x2) / (n1 + n2):
///   z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)),
/// p-value 2 (1 - Phi(|z|)) (two_sided), 1 - Phi(z) (greater), Phi(z) (less), tails computed directly.
/// statsmodels 0.13.5 proportions_ztest(count=[x1, x2], nobs=[n1, n2]) with its default value=0,
/// prop_var=False. When the pooled proportion is 0 or 1 (no failure, or nothing but failures, in both
/// samples) the statistic is 0/0 (statsmodels returns NaN with a warning): this throws std::domain_error
/// instead; fisher_exact is defined there (p-value 1).
[[nodiscard]] inline proportion_test_result two_proportion_z_test(
    std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2,
    proportion_alternative alternative = proportion_alternative::two_sided) {
  proportion_detail::check_counts("two_proportion_z_test (sample 1)", x1, n1);
  proportion_detail::check_counts("two_proportion_z_test (sample 2)", x2, n2);
  if (x1 + x2 == 0 || x1 + x2 == n1 + n2)
    throw std::domain_error("stratum::stats::two_proportion_z_test: the pooled proportion is " +
                            std::string(x1 + x2 == 0 ? "0" : "1") +
                            ", so the z statistic is 0/0; use fisher_exact (p-value 1) for such slices");
  const double n1d = static_cast<double>(n1);
  const double n2d = static_cast<double>(n2);
  const double diff = static_cast<double>(x1) / n1d - static_cast<double>(x2) / n2d;
  const double pooled = static_cast<double>(x1 + x2) / static_cast<double>(n1 + n2);
  const double nobs_fact = 1.0 / n1d + 1.0 / n2d;
  const double z = diff / std::sqrt(pooled * (1.0 - pooled) * nobs_fact);
  const boost::math::normal_distribution<double> normal;
  double p = 1.0;
  switch (alternative) {
    case proportion_alternative::two_sided:
      p = 2.0 * boost::math::cdf(boost::math::complement(normal, std::abs(z)));
      break;
    case proportion_alternative::greater:
      p = boost::math::cdf(boost::math::complement(normal, z));
      break;
    case proportion_alternative::less:
      p = boost::math::cdf(normal, z);
      break;
  }
  return {z, p};
}

namespace proportion_detail {

/// Validates a 2x2 table of counts.
inline void check_table(const char* fn, std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d) {
  const std::int64_t cells[4] = {a, b, c, d};
  const char* names[4] = {"a (row 1, column 1)", "b (row 1, column 2)", "c (row 2, column 1)",
                          "d (row 2, column 2)"};
  // Boost 1.74's hypergeometric distribution takes unsigned parameters and forms the support's lower end as
  // int(n + r) - int(N): the total must stay below 2^30 so that n + r cannot exceed INT_MAX.
  constexpr std::int64_t max_total = (std::int64_t{1} << 30) - 1;
  std::int64_t total = 0;
  for (int i = 0; i < 4; ++i) {
    if (cells[i] < 0)
      throw ::stratum::usage_error(where(fn) + names[i] + " (= " + std::to_string(cells[i]) +
                                   ") must be >= 0");
    if (cells[i] > max_total)
      throw std::domain_error(where(fn) + names[i] + " (= " + std::to_string(cells[i]) +
                              ") exceeds the supported table total 2^30 - 1");
    total += cells[i];
  }
  if (total > max_total)
    throw std::domain_error(where(fn) + "the table total (= " + std::to_string(total) +
                            ") exceeds the supported 2^30 - 1");
}

/// The hypergeometric law of the top-left cell given the margins: population `total`, `successes` of them
/// marked, `draws` drawn. pmf/cdf/sf accept any integer k and return the values scipy.stats.hypergeom returns
/// outside the support (0, 0 or 1, 1 or 0) instead of raising.
class hypergeometric {
 public:
  hypergeometric(std::int64_t total, std::int64_t successes, std::int64_t draws)
      : dist_(static_cast<unsigned>(successes), static_cast<unsigned>(draws), static_cast<unsigned>(total)),
        lo_(std::max<std::int64_t>(0, draws + successes - total)),
        hi_(std::min(successes, draws)),
        total_(total),
        successes_(successes),
        draws_(draws) {}

  [[nodiscard]] double pmf(std::int64_t k) const {
    if (k < lo_ || k > hi_) return 0.0;
    if (prime_zone()) return static_cast<double>(log_factorial_pmf(k));
    return boost::math::pdf(dist_, static_cast<unsigned>(k));
  }
  /// P(X <= k).
  [[nodiscard]] double cdf(std::int64_t k) const {
    if (k < lo_) return 0.0;
    if (k >= hi_) return 1.0;
    if (prime_zone())  // summed away from the mode, where the terms fall: the other side as the complement
      return static_cast<double>(k <= mode() ? std::min(1.0L, tail_sum(k, -1)) : 1.0L - tail_sum(k + 1, +1));
    return boost::math::cdf(dist_, static_cast<unsigned>(k));
  }
  /// P(X > k).
  [[nodiscard]] double sf(std::int64_t k) const {
    if (k < lo_) return 1.0;
    if (k >= hi_) return 0.0;
    if (prime_zone())
      return static_cast<double>(k + 1 >= mode() ? std::min(1.0L, tail_sum(k + 1, +1))
                                                 : 1.0L - tail_sum(k, -1));
    return boost::math::cdf(boost::math::complement(dist_, static_cast<unsigned>(k)));
  }

 private:
  // Where Boost's pdf takes its prime-factorisation path (totals from max_factorial to max_prime), which
  // costs O(primes below the total) per call, the pmf is computed from log-factorials in long double instead:
  // K! (N-K)! n! (N-n)! / (N! k! (K-k)! (n-k)! (N-K-n+k)!), each side's terms summed in sorted order, so that
  // tables with the same factorial arguments (mirror images: the two-sided test's exact ties) get the same
  // bits. Error: about 9 x 1e6 x 2^-64, a relative 5e-13 at the largest total (tested against a
  // high-precision reference to 1e-10 with scipy's own tables).
  [[nodiscard]] bool prime_zone() const noexcept {
    return total_ > boost::math::max_factorial<double>::value &&
           total_ <= boost::math::prime(boost::math::max_prime - 1);
  }
  /// A mode of the law: floor((n + 1)(K + 1) / (N + 2)); the pmf falls on either side of it.
  [[nodiscard]] std::int64_t mode() const noexcept {
    return std::clamp<std::int64_t>((draws_ + 1) * (successes_ + 1) / (total_ + 2), lo_, hi_);
  }
  /// The sum of the pmf from k (in the support) towards the lower (dir -1) or upper (+1) end, by the ratio
  /// recurrence of consecutive probabilities, stopped once the terms no longer change the long double sum.
  /// Called only away from the mode, where the terms fall, so the stop is safe.
  [[nodiscard]] long double tail_sum(std::int64_t k, int dir) const {
    const long double N = static_cast<long double>(total_), K = static_cast<long double>(successes_),
                      n = static_cast<long double>(draws_);
    long double term = log_factorial_pmf(k), sum = term;
    if (dir < 0) {
      for (std::int64_t j = k; j > lo_;
           --j) {  // P(j - 1) / P(j) = j (N - K - n + j) / ((K - j + 1) (n - j + 1))
        const long double x = static_cast<long double>(j);
        term *= x * (N - K - n + x) / ((K - x + 1) * (n - x + 1));
        sum += term;
        if (term <= sum * 1e-21L) break;
      }
    } else {
      for (std::int64_t j = k; j < hi_;
           ++j) {  // P(j + 1) / P(j) = (K - j) (n - j) / ((j + 1) (N - K - n + j + 1))
        const long double x = static_cast<long double>(j);
        term *= (K - x) * (n - x) / ((x + 1) * (N - K - n + x + 1));
        sum += term;
        if (term <= sum * 1e-21L) break;
      }
    }
    return sum;
  }
  [[nodiscard]] long double log_factorial_pmf(std::int64_t k) const {
    const std::int64_t N = total_, K = successes_, n = draws_;
    auto lf = [](std::int64_t x) { return std::lgamma(static_cast<long double>(x) + 1.0L); };
    std::int64_t num[4] = {K, N - K, n, N - n}, den[4] = {k, K - k, n - k, N - K - n + k};
    std::sort(num, num + 4);
    std::sort(den, den + 4);
    long double top = 0, bottom = lf(N);
    for (auto v : num) top += lf(v);
    for (auto v : den) bottom += lf(v);
    return std::exp(top - bottom);
  }

  boost::math::hypergeometric_distribution<double> dist_;
  std::int64_t lo_;
  std::int64_t hi_;
  std::int64_t total_, successes_, draws_;
};

/// The index i in [lo - 1, hi] with f(i) <= target < f(i + 1), for f non-decreasing on [lo, hi] (the search
/// scipy 1.10.1 uses to find where the far tail of the two-sided Fisher test starts).
template <class F>
[[nodiscard]] std::int64_t last_at_most(F&& f, double target, std::int64_t lo, std::int64_t hi) {
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    const double v = f(mid);
    if (v < target) {
      lo = mid + 1;
    } else if (v > target) {
      hi = mid - 1;
    } else {
      return mid;
    }
  }
  return f(lo) <= target ? lo : lo - 1;
}

}  // namespace proportion_detail

/// The sample odds ratio of the table [[a, b], [c, d]] with scipy 1.10.1 fisher_exact's conventions:
/// (a d) / (b c) when b > 0 and c > 0; +infinity when b = 0 or c = 0 (with every margin positive);
/// NaN when a row or a column of the table sums to 0. Negative cells throw std::invalid_argument.
[[nodiscard]] inline double sample_odds_ratio(std::int64_t a, std::int64_t b, std::int64_t c,
                                              std::int64_t d) {
  proportion_detail::check_table("sample_odds_ratio", a, b, c, d);
  if (a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0) return std::numeric_limits<double>::quiet_NaN();
  if (b > 0 && c > 0)
    return static_cast<double>(a) * static_cast<double>(d) /
           (static_cast<double>(b) * static_cast<double>(c));
  return std::numeric_limits<double>::infinity();
}

/// Fisher's exact test on the 2x2 table [[a, b], [c, d]], conditional on its margins: under H0 (odds ratio 1)
/// the top-left cell X is hypergeometric with population N = a + b + c + d, a + b marked, a + c drawn.
///   less:      P(X <= a)
///   greater:   P(X >= a), computed as scipy does as the lower tail of the top-right cell
///   two_sided: the sum of P(X = k) over the tables no more probable than the observed one,
///              P(X = k) <= P(X = a) (1 + 1e-14) -- the relative tolerance scipy 1.10.1 uses so that
///              tables exactly as probable as the observed one are counted despite rounding.
/// scipy 1.10.1 scipy.stats.fisher_exact, which sums the tails from the mode outward with a binary search
/// for the far-side cut; this function follows the same steps (mode floor((n + 1)(n1 + 1) / (N + 2)), the
/// early exits, the min(p, 1) clip) with Boost.Math's hypergeometric distribution (which scipy 1.10.1 also
/// uses). A row or column summing to 0 gives odds ratio NaN and p-value 1 (as scipy). Cells must be >= 0
/// (std::invalid_argument) and the total at most 2^30 - 1 (std::domain_error).
[[nodiscard]] inline fisher_exact_result fisher_exact(
    std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d,
    proportion_alternative alternative = proportion_alternative::two_sided) {
  proportion_detail::check_table("fisher_exact", a, b, c, d);
  const double odds_ratio = sample_odds_ratio(a, b, c, d);
  if (a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0) return {odds_ratio, 1.0};

  const std::int64_t n1 = a + b;  // row 1 total
  const std::int64_t n2 = c + d;  // row 2 total
  const std::int64_t n = a + c;   // column 1 total
  const std::int64_t total = n1 + n2;
  const proportion_detail::hypergeometric h(total, n1, n);

  double p = 1.0;
  switch (alternative) {
    case proportion_alternative::less:
      p = h.cdf(a);
      break;
    case proportion_alternative::greater:
      p = proportion_detail::hypergeometric(total, n1, b + d).cdf(b);
      break;
    case proportion_alternative::two_sided: {
      // The mode as scipy computes it: the exact integer product, rounded to double, divided, truncated.
      const auto prod = static_cast<std::uint64_t>(n + 1) * static_cast<std::uint64_t>(n1 + 1);
      const auto mode = static_cast<std::int64_t>(static_cast<double>(prod) / static_cast<double>(total + 2));
      const double pexact = h.pmf(a);
      const double pmode = h.pmf(mode);
      constexpr double epsilon = 1e-14;
      constexpr double gamma = 1.0 + epsilon;
      if (std::abs(pexact - pmode) / std::max(pexact, pmode) <= epsilon) return {odds_ratio, 1.0};
      if (a < mode) {
        const double plower = h.cdf(a);
        if (h.pmf(n) > pexact * gamma) return {odds_ratio, plower};
        const std::int64_t guess = proportion_detail::last_at_most([&h](std::int64_t k) { return -h.pmf(k); },
                                                                   -pexact * gamma, mode, n);
        p = plower + h.sf(guess);
      } else {
        const double pupper = h.sf(a - 1);
        if (h.pmf(0) > pexact * gamma) return {odds_ratio, pupper};
        const std::int64_t guess = proportion_detail::last_at_most([&h](std::int64_t k) { return h.pmf(k); },
                                                                   pexact * gamma, 0, mode);
        p = pupper + h.cdf(guess);
      }
      break;
    }
  }
  return {odds_ratio, std::min(p, 1.0)};
}

}  // namespace stratum::stats
