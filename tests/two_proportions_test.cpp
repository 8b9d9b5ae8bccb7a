// Tests for <stratum/stats/two_proportions.hpp> against statsmodels 0.13.5 and scipy 1.10.1 (reference values
// written by tests/oracles/two_proportions.py into STRATUM_ORACLE_DIR), plus properties and bad input.
#include <doctest/doctest.h>

#include <stratum/stats/two_proportions.hpp>

#include <algorithm>
#include <array>
#include <boost/math/distributions/hypergeometric.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "oracle_file.hpp"

namespace ss = stratum::stats;
using stratum_test::read_oracle;
using stratum_test::rel_diff;
using stratum_test::to_double;

namespace {

ss::proportion_alternative alternative_of(const std::string& s) {
  if (s == "two_sided") return ss::proportion_alternative::two_sided;
  if (s == "less") return ss::proportion_alternative::less;
  REQUIRE_MESSAGE(s == "greater", "unknown alternative " << s);
  return ss::proportion_alternative::greater;
}

}  // namespace

TEST_CASE("Newcombe hybrid score interval matches statsmodels confint_proportions_2indep(method='newcomb')") {
  const auto lines = read_oracle("newcombe.txt", 10000);
  CHECK(lines.size() >= 10000);
  double worst_rel = 0.0;
  double worst_abs = 0.0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::istringstream is(lines[i]);
    std::int64_t x1 = 0, n1 = 0, x2 = 0, n2 = 0;
    double alpha = 0, lo = 0, up = 0;
    REQUIRE(static_cast<bool>(is >> x1 >> n1 >> x2 >> n2 >> alpha >> lo >> up));
    const auto got = ss::newcombe_interval(x1, n1, x2, n2, stratum::confidence::from_alpha(alpha));
    INFO("newcombe.txt line " << i + 1 << ": x1=" << x1 << " n1=" << n1 << " x2=" << x2 << " n2=" << n2
                              << " alpha=" << alpha << " got [" << got.lower << ", " << got.upper
                              << "] statsmodels [" << lo << ", " << up << "]");
    // Relative 1e-10, or 1e-12 absolute: the ends are differences d -+ sqrt(...) that cancel near 0.
    CHECK((rel_diff(got.lower, lo) <= 1e-10 || std::abs(got.lower - lo) <= 1e-12));
    CHECK((rel_diff(got.upper, up) <= 1e-10 || std::abs(got.upper - up) <= 1e-12));
    CHECK(got.lower <= got.estimate);
    CHECK(got.estimate <= got.upper);
    CHECK(got.lower >= -1.0);
    CHECK(got.upper <= 1.0);
    if (std::abs(lo) > 1e-12) worst_rel = std::max(worst_rel, rel_diff(got.lower, lo));
    if (std::abs(up) > 1e-12) worst_rel = std::max(worst_rel, rel_diff(got.upper, up));
    worst_abs = std::max({worst_abs, std::abs(got.lower - lo), std::abs(got.upper - up)});
  }
  MESSAGE("newcombe: " << lines.size() << " cases, worst relative difference " << worst_rel
                       << " (ends beyond 1e-12), worst absolute " << worst_abs);
}

TEST_CASE("Newcombe interval: swapping the samples mirrors it") {
  for (auto [x1, n1, x2, n2] : std::vector<std::array<std::int64_t, 4>>{
           {0, 10, 0, 10}, {3, 10, 7, 12}, {0, 1000000000, 5, 1000}, {1, 1, 0, 1}}) {
    const auto a = ss::newcombe_interval(x1, n1, x2, n2);
    const auto b = ss::newcombe_interval(x2, n2, x1, n1);
    CHECK(a.estimate == -b.estimate);
    CHECK(a.lower == -b.upper);
    CHECK(a.upper == -b.lower);
  }
}

TEST_CASE("pooled two-proportion z-test matches statsmodels proportions_ztest") {
  const auto lines = read_oracle("ztest.txt", 10000);
  CHECK(lines.size() >= 3 * 10000);
  double worst_z = 0.0;
  double worst_p = 0.0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::istringstream is(lines[i]);
    std::int64_t x1 = 0, n1 = 0, x2 = 0, n2 = 0;
    std::string alt, zs, ps;
    REQUIRE(static_cast<bool>(is >> x1 >> n1 >> x2 >> n2 >> alt >> zs >> ps));
    const double z = to_double(zs);
    const double p = to_double(ps);
    const auto got = ss::two_proportion_z_test(x1, n1, x2, n2, alternative_of(alt));
    INFO("ztest.txt line " << i + 1 << ": x1=" << x1 << " n1=" << n1 << " x2=" << x2 << " n2=" << n2 << " "
                           << alt << " got z=" << got.statistic << " p=" << got.p_value
                           << ", statsmodels z=" << z << " p=" << p);
    // z: relative 1e-10 (z = 0 exactly when p1 = p2 in double; both then give exactly 0). p: relative 1e-10
    // down to the smallest normal doubles (both sides compute the normal tail directly, not as 1 - cdf).
    CHECK((rel_diff(got.statistic, z) <= 1e-10 || std::abs(got.statistic - z) <= 1e-12));
    CHECK((rel_diff(got.p_value, p) <= 1e-10 || std::abs(got.p_value - p) <= 1e-300));
    worst_z = std::max(worst_z, rel_diff(got.statistic, z));
    if (p > 1e-300) worst_p = std::max(worst_p, rel_diff(got.p_value, p));
  }
  MESSAGE("z-test: " << lines.size() << " cases, worst relative difference z " << worst_z << ", p "
                     << worst_p);
}

TEST_CASE("z-test: a pooled proportion of 0 or 1 throws instead of returning 0/0") {
  CHECK_THROWS_WITH_AS((void)ss::two_proportion_z_test(0, 10, 0, 20),
                       doctest::Contains("pooled proportion is 0"), std::domain_error);
  CHECK_THROWS_WITH_AS((void)ss::two_proportion_z_test(10, 10, 20, 20),
                       doctest::Contains("pooled proportion is 1"), std::domain_error);
  // The three alternatives partition: p(less) + p(greater) = 1, p(two-sided) = 2 min(less, greater).
  const auto less = ss::two_proportion_z_test(3, 100, 9, 120, ss::proportion_alternative::less);
  const auto greater = ss::two_proportion_z_test(3, 100, 9, 120, ss::proportion_alternative::greater);
  const auto two = ss::two_proportion_z_test(3, 100, 9, 120);
  CHECK(less.p_value + greater.p_value == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(two.p_value == doctest::Approx(2.0 * std::min(less.p_value, greater.p_value)).epsilon(1e-15));
  CHECK(less.statistic < 0.0);
}

TEST_CASE("Fisher's exact test matches scipy.stats.fisher_exact (and a high-precision sum on large tables)") {
  const auto lines = read_oracle("fisher.txt", 10000);
  CHECK(lines.size() >= 3 * 10000);
  std::map<std::string, double> worst_p;  // by reference kind
  std::map<std::string, std::int64_t> kinds;
  double worst_or = 0.0;
  double scipy_vs_mp = 0.0;
  std::int64_t zeros = 0, nan_or = 0, inf_or = 0, tiny = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::istringstream is(lines[i]);
    std::int64_t a = 0, b = 0, c = 0, d = 0;
    std::string alt, ors, ps, refs, kind;
    REQUIRE(static_cast<bool>(is >> a >> b >> c >> d >> alt >> ors >> ps >> refs >> kind));
    const double odds = to_double(ors);
    const double p_scipy = to_double(ps);
    const double p = to_double(refs);
    ++kinds[kind];
    const auto got = ss::fisher_exact(a, b, c, d, alternative_of(alt));
    INFO("fisher.txt line " << i + 1 << ": [[" << a << ", " << b << "], [" << c << ", " << d << "]] " << alt
                            << " got OR=" << got.odds_ratio << " p=" << got.p_value << ", scipy OR=" << odds
                            << " p=" << p_scipy << ", reference (" << kind << ") p=" << p);
    if (std::isnan(odds)) {
      ++nan_or;
      CHECK(std::isnan(got.odds_ratio));
    } else {
      if (std::isinf(odds)) ++inf_or;
      CHECK(rel_diff(got.odds_ratio, odds) <= 1e-15);  // same correctly rounded products and quotient
      if (std::isfinite(odds)) worst_or = std::max(worst_or, rel_diff(got.odds_ratio, odds));
    }
    const double sor = ss::sample_odds_ratio(a, b, c, d);
    CHECK(((std::isnan(sor) && std::isnan(got.odds_ratio)) || sor == got.odds_ratio));
    // Relative 1e-10 down to the normal range; below 1e-300 (subnormal results) an absolute 1e-300.
    CHECK((rel_diff(got.p_value, p) <= 1e-10 || std::abs(got.p_value - p) <= 1e-300));
    if (p == 0.0) ++zeros;
    if (p > 0.0 && p < 1e-100) ++tiny;
    if (p > 1e-300) worst_p[kind] = std::max(worst_p[kind], rel_diff(got.p_value, p));
    if (kind == "mp" && p > 1e-300) scipy_vs_mp = std::max(scipy_vs_mp, rel_diff(p_scipy, p));
    CHECK(got.p_value >= 0.0);
    CHECK(got.p_value <= 1.0);
  }
  MESSAGE("fisher: " << lines.size() << " cases (" << kinds["sm"] << " against scipy, " << kinds["mp"]
                     << " against the high-precision sum; " << nan_or << " NaN odds ratios, " << inf_or
                     << " infinite, " << tiny << " p-values below 1e-100, " << zeros
                     << " underflowing to 0), worst relative difference p: vs scipy " << worst_p["sm"]
                     << ", vs high precision " << worst_p["mp"] << "; odds ratio " << worst_or
                     << "; scipy itself vs high precision " << scipy_vs_mp);
}

namespace {

// Independent of the scipy-shaped implementation: the two-sided p-value as a direct sum over the whole
// support of the probabilities that do not exceed the observed one (with the same 1e-14 relative slack).
double fisher_two_sided_by_enumeration(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d) {
  const auto n1 = static_cast<unsigned>(a + b);
  const auto n = static_cast<unsigned>(a + c);
  const auto total = static_cast<unsigned>(a + b + c + d);
  const boost::math::hypergeometric_distribution<double> h(n1, n, total);
  const std::int64_t lo = std::max<std::int64_t>(0, a + c - (c + d));
  const std::int64_t hi = std::min(a + b, a + c);
  const double pobs = boost::math::pdf(h, static_cast<unsigned>(a));
  double p = 0.0;
  for (std::int64_t k = lo; k <= hi; ++k) {
    const double pk = boost::math::pdf(h, static_cast<unsigned>(k));
    if (pk <= pobs * (1.0 + 1e-14)) p += pk;
  }
  return std::min(p, 1.0);
}

}  // namespace

TEST_CASE("Fisher two-sided p-value equals the direct sum over all tables no more probable") {
  int checked = 0;
  for (std::int64_t a = 0; a <= 12; ++a)
    for (std::int64_t b = 0; b <= 12; b += 3)
      for (std::int64_t c = 0; c <= 12; c += 2)
        for (std::int64_t d = 0; d <= 12; ++d) {
          if (a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0) continue;
          const double got = ss::fisher_exact(a, b, c, d).p_value;
          const double want = fisher_two_sided_by_enumeration(a, b, c, d);
          INFO("[[" << a << ", " << b << "], [" << c << ", " << d << "]]");
          CHECK(got == doctest::Approx(want).epsilon(1e-12));
          ++checked;
        }
  // Fisher's tea-tasting tables (rows of equal totals): the mirror-image table is exactly as probable as the
  // observed one and must be counted by the 1e-14 rule. [[3, 1], [1, 3]]: (1 + 16 + 16 + 1) / 70; [[4, 0],
  // [0, 4]]: 2 / 70 two-sided, 1 / 70 one-sided.
  CHECK(ss::fisher_exact(3, 1, 1, 3).p_value == doctest::Approx(0.48571428571428565).epsilon(1e-14));
  CHECK(ss::fisher_exact(4, 0, 0, 4).p_value == doctest::Approx(2.0 / 70.0).epsilon(1e-14));
  CHECK(ss::fisher_exact(4, 0, 0, 4, ss::proportion_alternative::greater).p_value ==
        doctest::Approx(1.0 / 70.0).epsilon(1e-14));
  CHECK(checked > 500);
}

TEST_CASE("Fisher: degenerate tables and bad input") {
  const auto r = ss::fisher_exact(0, 0, 3, 4);
  CHECK(std::isnan(r.odds_ratio));
  CHECK(r.p_value == 1.0);
  CHECK(ss::sample_odds_ratio(2, 0, 0, 3) == std::numeric_limits<double>::infinity());
  CHECK(ss::sample_odds_ratio(0, 2, 3, 0) == 0.0);
  CHECK(ss::sample_odds_ratio(2, 3, 4, 5) == 10.0 / 12.0);
  CHECK_THROWS_WITH_AS((void)ss::fisher_exact(-1, 2, 3, 4), doctest::Contains("a (row 1, column 1)"),
                       std::invalid_argument);
  CHECK_THROWS_AS((void)ss::fisher_exact(1, 2, 3, std::int64_t{1} << 30), std::domain_error);
  CHECK_THROWS_AS((void)ss::fisher_exact(std::int64_t{1} << 29, std::int64_t{1} << 29, 3, 4),
                  std::domain_error);
  CHECK_THROWS_AS((void)ss::sample_odds_ratio(1, -2, 3, 4), std::invalid_argument);
  // The largest supported table works.
  const std::int64_t m = ((std::int64_t{1} << 30) - 1) / 4;
  const auto big = ss::fisher_exact(m, m, m, m + 2);
  CHECK(big.p_value > 0.5);
  CHECK(big.p_value <= 1.0);
}

TEST_CASE("two-sample arguments are validated like the one-sample ones") {
  CHECK_THROWS_AS((void)ss::newcombe_interval(0, 0, 1, 2), std::domain_error);
  CHECK_THROWS_AS((void)ss::newcombe_interval(3, 2, 1, 2), std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)ss::newcombe_interval(1, 2, 1, 2, stratum::confidence::from_alpha(1.0)),
                       doctest::Contains("alpha"), std::invalid_argument);
  CHECK_THROWS_AS((void)ss::two_proportion_z_test(1, 2, -1, 2), std::invalid_argument);
  CHECK_THROWS_AS((void)ss::two_proportion_z_test(1, 2, 1, 0), std::domain_error);
}

TEST_CASE(
    "from 171 to 104,729 the log-factorial pmf and its tail sums agree with Boost's prime factorisation") {
  // Boost's hypergeometric pdf factorises into primes in this range (exact, but O(primes below N) per call);
  // fisher_exact uses log-factorials and ratio-recurrence tail sums there instead. Differential check over
  // random laws and points, every tail included.
  std::mt19937_64 g(2);
  double worst = 0;
  std::size_t checked = 0;
  for (int i = 0; i < 120; ++i) {
    const std::int64_t N = 171 + static_cast<std::int64_t>(g() % 104559);
    const std::int64_t K = static_cast<std::int64_t>(g() % static_cast<std::uint64_t>(N + 1));
    const std::int64_t n = static_cast<std::int64_t>(g() % static_cast<std::uint64_t>(N + 1));
    const ss::proportion_detail::hypergeometric h(N, K, n);
    const boost::math::hypergeometric_distribution<double> d(
        static_cast<unsigned>(K), static_cast<unsigned>(n), static_cast<unsigned>(N));
    const std::int64_t lo = std::max<std::int64_t>(0, n + K - N), hi = std::min(K, n);
    for (int j = 0; j < 3; ++j) {
      const std::int64_t k = lo + static_cast<std::int64_t>(g() % static_cast<std::uint64_t>(hi - lo + 1));
      const auto u = static_cast<unsigned>(k);
      const double want[3] = {boost::math::pdf(d, u), boost::math::cdf(d, u),
                              boost::math::cdf(boost::math::complement(d, u))};
      const double got[3] = {h.pmf(k), h.cdf(k), h.sf(k)};
      for (int q = 0; q < 3; ++q) {
        INFO("N=" << N << " K=" << K << " n=" << n << " k=" << k << " quantity " << q);
        if (want[q] < 1e-290) {
          CHECK(got[q] <= 1e-280);
          continue;
        }
        const double rel = std::abs(got[q] - want[q]) / want[q];
        CHECK(rel <= 1e-12);
        worst = std::max(worst, rel);
        ++checked;
      }
    }
  }
  MESSAGE("hypergeometric, populations 171..104729: " << checked << " values, worst relative difference "
                                                      << worst);
  CHECK(checked > 600);
}
