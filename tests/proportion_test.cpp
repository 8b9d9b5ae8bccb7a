// Tests for <stratum/stats/proportion.hpp> against statsmodels 0.13.5 / scipy 1.10.1 / mpmath (reference
// values written by tests/oracles/proportion.py into STRATUM_ORACLE_DIR), plus exact coverage and edge cases.
#include <doctest/doctest.h>

#include <stratum/stats/proportion.hpp>

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "oracle_file.hpp"

namespace ss = stratum::stats;
using stratum_test::read_oracle;
using stratum_test::rel_diff;

namespace {

// Relative 1e-10, or absolute 1e-12 (for the closed-form intervals whose reference cancels near 0 or 1).
bool close(double got, double want, double rel, double abs_tol) {
  return rel_diff(got, want) <= rel || std::abs(got - want) <= abs_tol;
}

ss::proportion_method method_of(const std::string& s) {
  static const std::map<std::string, ss::proportion_method> m = {
      {"normal", ss::proportion_method::wald},
      {"wilson", ss::proportion_method::wilson},
      {"agresti_coull", ss::proportion_method::agresti_coull},
      {"beta", ss::proportion_method::clopper_pearson},
      {"jeffreys", ss::proportion_method::jeffreys}};
  const auto it = m.find(s);
  REQUIRE_MESSAGE(it != m.end(), "unknown method " << s);
  return it->second;
}

struct worst {
  double rel = 0.0;
  std::int64_t cases = 0;
};

}  // namespace

TEST_CASE("two-sided intervals match statsmodels proportion_confint") {
  const auto lines = read_oracle("confint.txt", 10000);
  std::map<std::string, worst> stats;
  std::map<std::string, worst> vs_statsmodels_jeffreys;
  std::map<std::string, std::int64_t> per_method;
  double scipy_vs_cf = 0.0;
  worst scipy_vs_mp;  // how far scipy's own Clopper-Pearson ends are from the mpmath ones (kind "mp")
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::istringstream is(lines[i]);
    std::string name, kind;
    std::int64_t x = 0, n = 0;
    double alpha = 0, sm_lo = 0, sm_up = 0, ref_lo = 0, ref_up = 0;
    REQUIRE_MESSAGE(
        static_cast<bool>(is >> name >> x >> n >> alpha >> sm_lo >> sm_up >> ref_lo >> ref_up >> kind),
        "confint.txt line " << i + 1 << " malformed");
    ++per_method[name];
    if (kind == "cf") scipy_vs_cf = std::max({scipy_vs_cf, rel_diff(sm_lo, ref_lo), rel_diff(sm_up, ref_up)});
    if (kind == "mp") {
      ++scipy_vs_mp.cases;
      scipy_vs_mp.rel = std::max({scipy_vs_mp.rel, rel_diff(sm_lo, ref_lo), rel_diff(sm_up, ref_up)});
    }
    const auto method = method_of(name);
    const ss::proportion_interval got =
        ss::proportion_confint(x, n, stratum::confidence::from_alpha(alpha), method);
    INFO("confint.txt line " << i + 1 << ": " << name << " x=" << x << " n=" << n << " alpha=" << alpha);
    INFO("got [" << got.lower << ", " << got.upper << "], reference [" << ref_lo << ", " << ref_up << "]");
    // Clopper-Pearson and Jeffreys are quantiles: relative precision all the way down to 0. The closed forms
    // (Wald, Wilson, Agresti-Coull) are compared with an absolute floor of 1e-12 because statsmodels' own
    // evaluation cancels near 0 and 1 (e.g. Wilson at x = 0 returns +-1e-17 instead of 0).
    const bool quantile =
        method == ss::proportion_method::clopper_pearson || method == ss::proportion_method::jeffreys;
    const double abs_tol = quantile ? 0.0 : 1e-12;
    CHECK(close(got.lower, ref_lo, 1e-10, abs_tol));
    CHECK(close(got.upper, ref_up, 1e-10, abs_tol));
    CHECK(got.lower >= 0.0);
    CHECK(got.upper <= 1.0);
    CHECK(got.lower <= got.upper);
    auto& w = stats[name + " (reference " + kind + ")"];
    ++w.cases;
    if (std::abs(ref_lo) > 1e-12) w.rel = std::max(w.rel, rel_diff(got.lower, ref_lo));
    if (std::abs(ref_up) > 1e-12) w.rel = std::max(w.rel, rel_diff(got.upper, ref_up));
    if (method == ss::proportion_method::jeffreys && alpha >= 1e-6 && kind == "direct") {
      // statsmodels' own Jeffreys values, where its 1 - alpha round trip keeps 1e-10 and scipy's quantiles
      // are accurate (not at n = 2^53, kind "cf"; docs: proportions.md).
      CHECK(close(got.lower, sm_lo, 1e-10, 0.0));
      CHECK(close(got.upper, sm_up, 1e-10, 0.0));
      auto& v = vs_statsmodels_jeffreys["jeffreys"];
      ++v.cases;
      v.rel = std::max({v.rel, rel_diff(got.lower, sm_lo), rel_diff(got.upper, sm_up)});
    }
  }
  for (const auto& [name, w] : stats) {
    MESSAGE(name << ": " << w.cases << " cases, worst relative difference " << w.rel);
  }
  for (const auto& [name, count] : per_method) {
    INFO(name);
    CHECK(count >= 10000);
  }
  MESSAGE("jeffreys vs statsmodels itself (alpha >= 1e-6): " << vs_statsmodels_jeffreys["jeffreys"].cases
                                                             << " cases, worst relative difference "
                                                             << vs_statsmodels_jeffreys["jeffreys"].rel);

  MESSAGE("statsmodels/scipy Clopper-Pearson vs mpmath where the mpmath reference is used: "
          << scipy_vs_mp.cases << " cases, worst relative difference " << scipy_vs_mp.rel);
  MESSAGE("statsmodels/scipy Clopper-Pearson and Jeffreys vs the Cornish-Fisher reference (n >= 2e9): "
          << "worst relative difference " << scipy_vs_cf);
}

TEST_CASE("Clopper-Pearson and Jeffreys ends match 40-digit mpmath quantiles") {
  const auto lines = read_oracle("mp_quantile.txt");
  double worst_rel = 0.0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::istringstream is(lines[i]);
    std::string name;
    std::int64_t x = 0, n = 0;
    double alpha = 0, lo = 0, up = 0;
    REQUIRE(static_cast<bool>(is >> name >> x >> n >> alpha >> lo >> up));
    const auto got = ss::proportion_confint(x, n, stratum::confidence::from_alpha(alpha), method_of(name));
    INFO("mp_quantile.txt line " << i + 1 << ": " << name << " x=" << x << " n=" << n << " alpha=" << alpha
                                 << " got [" << got.lower << ", " << got.upper << "] mpmath [" << lo << ", "
                                 << up << "]");
    CHECK(rel_diff(got.lower, lo) <= 1e-12);
    CHECK(rel_diff(got.upper, up) <= 1e-12);
    worst_rel = std::max({worst_rel, rel_diff(got.lower, lo), rel_diff(got.upper, up)});
  }
  MESSAGE("beta quantiles vs mpmath: " << lines.size() << " cases, worst relative difference " << worst_rel);
}

TEST_CASE("one-sided Clopper-Pearson bounds match scipy beta.isf / beta.ppf") {
  const auto lines = read_oracle("one_sided.txt", 10000);
  CHECK(lines.size() >= 10000);
  double worst_rel = 0.0;
  std::map<std::string, std::int64_t> kinds;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::istringstream is(lines[i]);
    std::int64_t x = 0, n = 0;
    double alpha = 0, up = 0, lo = 0;
    std::string kind;
    REQUIRE(static_cast<bool>(is >> x >> n >> alpha >> up >> lo >> kind));
    ++kinds[kind];
    const double got_up = ss::clopper_pearson_upper_bound(x, n, stratum::confidence::from_alpha(alpha));
    const double got_lo = ss::clopper_pearson_lower_bound(x, n, stratum::confidence::from_alpha(alpha));
    INFO("one_sided.txt line " << i + 1 << ": x=" << x << " n=" << n << " alpha=" << alpha << " upper "
                               << got_up << " vs " << up << ", lower " << got_lo << " vs " << lo);
    CHECK(rel_diff(got_up, up) <= 1e-10);
    CHECK(rel_diff(got_lo, lo) <= 1e-10);
    worst_rel = std::max({worst_rel, rel_diff(got_up, up), rel_diff(got_lo, lo)});
  }
  MESSAGE("one-sided bounds: " << lines.size() << " cases (" << kinds["sm"] << " scipy, " << kinds["mp"]
                               << " mpmath), worst relative difference " << worst_rel);
  // Boost 1.74's ibeta_inv fails to converge at the median of a symmetric Beta (here Beta(5, 5), the
  // one-sided alpha = 0.5 bound for x = 5 of n = 9); the bisection fallback gives the exact 0.5.
  CHECK(ss::clopper_pearson_lower_bound(5, 9, stratum::confidence::from_alpha(0.5)) ==
        doctest::Approx(0.5).epsilon(1e-15));
  CHECK(ss::clopper_pearson_upper_bound(4, 9, stratum::confidence::from_alpha(0.5)) ==
        doctest::Approx(0.5).epsilon(1e-15));
}

TEST_CASE(
    "zero-failure bound 1 - alpha^(1/n) matches mpmath; the rule of three is its conservative version") {
  const auto lines = read_oracle("zero_fail.txt", 10000);
  CHECK(lines.size() >= 10000);
  double worst_rel = 0.0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::istringstream is(lines[i]);
    std::int64_t n = 0;
    double alpha = 0, exact = 0, rule3 = 0;
    REQUIRE(static_cast<bool>(is >> n >> alpha >> exact >> rule3));
    const double got = ss::zero_failure_upper_bound(n, stratum::confidence::from_alpha(alpha));
    const double got3 = ss::rule_of_three_upper_bound(n, stratum::confidence::from_alpha(alpha));
    INFO("zero_fail.txt line " << i + 1 << ": n=" << n << " alpha=" << alpha << " got " << got << " vs "
                               << exact << ", rule of three " << got3 << " vs " << rule3);
    CHECK(rel_diff(got, exact) <= 1e-13);
    worst_rel = std::max(worst_rel, rel_diff(got, exact));
    // The same bound through the Beta(1, n) quantile.
    CHECK(rel_diff(ss::clopper_pearson_upper_bound(0, n, stratum::confidence::from_alpha(alpha)), got) <=
          1e-10);
    CHECK(rel_diff(got3, std::min(1.0, rule3)) <= 1e-15);
    CHECK(got3 >= got);
  }
  MESSAGE("zero-failure bound vs mpmath: " << lines.size() << " cases, worst relative difference "
                                           << worst_rel);
  // 95%: -ln(0.05) = 2.9957..., "3/n".
  CHECK(ss::rule_of_three_upper_bound(1000) == doctest::Approx(2.995732273553991 / 1000).epsilon(1e-15));
  CHECK(ss::rule_of_three_upper_bound(1) == 1.0);
}

namespace {

// Exact coverage P_p(lower(X) <= p <= upper(X)) for X ~ Binomial(n, p): a finite sum, no simulation noise.
template <class Interval>
double exact_coverage(std::int64_t n, double p, Interval&& interval) {
  const boost::math::binomial_distribution<double> bin(static_cast<double>(n), p);
  double cov = 0.0;
  for (std::int64_t x = 0; x <= n; ++x) {
    const ss::proportion_interval ci = interval(x, n);
    if (ci.contains(p)) cov += boost::math::pdf(bin, static_cast<double>(x));
  }
  return cov;
}

}  // namespace

TEST_CASE("exact coverage of the 95% intervals over a grid of (n, p)") {
  const std::vector<std::int64_t> ns = {10, 30, 100, 1000};
  const std::vector<double> ps = {0.01, 0.05, 0.2, 0.5};

  // Cross-check against the oracle's coverage computed from statsmodels' intervals and scipy's binom.pmf.
  const auto lines = read_oracle("coverage.txt");
  std::map<std::string, std::vector<double>> by_method;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::istringstream is(lines[i]);
    std::string name;
    std::int64_t n = 0;
    double p = 0, cov = 0;
    REQUIRE(static_cast<bool>(is >> name >> n >> p >> cov));
    const auto method = method_of(name);
    const double got = exact_coverage(n, p, [&](std::int64_t x, std::int64_t nn) {
      return ss::proportion_confint(x, nn, stratum::confidence::from_alpha(0.05), method);
    });
    INFO("coverage.txt line " << i + 1 << ": " << name << " n=" << n << " p=" << p);
    CHECK(std::abs(got - cov) <= 1e-12);
    by_method[name].push_back(got);
  }
  REQUIRE(by_method["wilson"].size() == ns.size() * ps.size());

  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double c : v) s += c;
    return s / static_cast<double>(v.size());
  };
  // Clopper-Pearson is exact in the sense of guaranteed coverage: >= 1 - alpha for every p (Clopper & Pearson
  // 1934). Only rounding of the summed probabilities is allowed for.
  for (double c : by_method["beta"]) CHECK(c >= 0.95 - 1e-12);
  // Wilson and Jeffreys are not guaranteed: their coverage oscillates around 0.95 with n and p (the lattice
  // effect), dipping to (1 - p)^n when the x = 1 interval already excludes p -- here 0.99^10 = 0.904 at
  // n = 10, p = 0.01 -- and rising above 0.95 elsewhere. Brown, Cai & DasGupta (2001, sec. 4 and fig. 5-6)
  // show their mean coverage over p is close to the nominal level; over this coarse 16-point grid the mean is
  // 0.948 (Wilson) and 0.955 (Jeffreys), so we require |mean - 0.95| <= 0.01 -- the scale of the
  // oscillation's average over a handful of points, and well inside the gap to the Wald interval (mean 0.77
  // here).
  const double wilson = mean(by_method["wilson"]);
  const double jeffreys = mean(by_method["jeffreys"]);
  const double wald = mean(by_method["normal"]);
  MESSAGE("mean exact coverage over the grid: Wilson "
          << wilson << ", Jeffreys " << jeffreys << ", Clopper-Pearson " << mean(by_method["beta"])
          << ", Agresti-Coull " << mean(by_method["agresti_coull"]) << ", Wald " << wald);
  CHECK(std::abs(wilson - 0.95) <= 0.01);
  CHECK(std::abs(jeffreys - 0.95) <= 0.01);
  CHECK(wald < 0.9);  // the documented defect of the Wald interval near 0 and 1
  for (double c : by_method["wilson"]) CHECK(c >= std::pow(0.99, 10) - 1e-12);
  for (double c : by_method["jeffreys"]) CHECK(c >= std::pow(0.99, 10) - 1e-12);

  // Clopper-Pearson's guarantee holds for every p, not just the grid: check a dense set of p, including those
  // right at an interval end (where the coverage jumps).
  for (std::int64_t n : {1, 2, 5, 10, 30, 100}) {
    std::vector<double> dense;
    for (int k = 1; k < 400; ++k) dense.push_back(k / 400.0);
    for (std::int64_t x = 0; x <= n; ++x) {
      const auto ci = ss::clopper_pearson_interval(x, n, stratum::confidence::from_alpha(0.05));
      for (double e : {ci.lower, ci.upper})
        if (e > 0.0 && e < 1.0)
          dense.insert(dense.end(), {e, std::nextafter(e, 0.0), std::nextafter(e, 1.0)});
    }
    for (double p : dense) {
      const double c = exact_coverage(n, p, [](std::int64_t x, std::int64_t nn) {
        return ss::clopper_pearson_interval(x, nn, stratum::confidence::from_alpha(0.05));
      });
      INFO("Clopper-Pearson n=" << n << " p=" << p);
      CHECK(c >= 0.95 - 1e-12);
    }
  }
}

TEST_CASE("x = 0 and x = n conventions") {
  for (std::int64_t n : {1, 7, 1000000000}) {
    INFO("n=" << n);
    const auto wald0 = ss::wald_interval(0, n);
    CHECK(wald0.lower == 0.0);
    CHECK(wald0.upper == 0.0);
    const auto waldn = ss::wald_interval(n, n);
    CHECK(waldn.lower == 1.0);
    CHECK(waldn.upper == 1.0);
    CHECK(ss::wilson_interval(0, n).lower == 0.0);
    CHECK(ss::wilson_interval(n, n).upper == 1.0);
    CHECK(ss::agresti_coull_interval(0, n).lower == 0.0);
    CHECK(ss::agresti_coull_interval(n, n).upper == 1.0);
    CHECK(ss::clopper_pearson_interval(0, n).lower == 0.0);
    CHECK(ss::clopper_pearson_interval(n, n).upper == 1.0);
    // Clopper-Pearson at x = 0 spends alpha/2 only: upper = 1 - (alpha/2)^(1/n).
    CHECK(rel_diff(ss::clopper_pearson_interval(0, n).upper,
                   ss::zero_failure_upper_bound(n, stratum::confidence::from_alpha(0.025))) <= 1e-12);
    // Jeffreys: central by default (as statsmodels), Brown-Cai-DasGupta on request.
    const auto j0 = ss::jeffreys_interval(0, n);
    CHECK(j0.lower > 0.0);
    const auto j0b = ss::jeffreys_interval(0, n, stratum::confidence::from_alpha(0.05),
                                           ss::jeffreys_endpoints::brown_cai_dasgupta);
    CHECK(j0b.lower == 0.0);
    CHECK(j0b.upper == j0.upper);
    const auto jn = ss::jeffreys_interval(n, n);
    CHECK(jn.upper < 1.0);
    const auto jnb = ss::jeffreys_interval(n, n, stratum::confidence::from_alpha(0.05),
                                           ss::jeffreys_endpoints::brown_cai_dasgupta);
    CHECK(jnb.upper == 1.0);
    CHECK(jnb.lower == jn.lower);
  }
  // Between the ends the two Jeffreys variants are the same interval.
  CHECK(ss::jeffreys_interval(3, 10) == ss::jeffreys_interval(3, 10, stratum::confidence::from_alpha(0.05),
                                                              ss::jeffreys_endpoints::brown_cai_dasgupta));
}

TEST_CASE("symmetry: the interval for n - x is the mirror of the interval for x") {
  const std::vector<ss::proportion_method> methods = {
      ss::proportion_method::wald, ss::proportion_method::wilson, ss::proportion_method::agresti_coull,
      ss::proportion_method::clopper_pearson, ss::proportion_method::jeffreys};
  for (auto method : methods) {
    for (std::int64_t n : {1, 2, 9, 50, 12345}) {
      for (std::int64_t x : {std::int64_t{0}, std::int64_t{1}, n / 3, n / 2, n - 1, n}) {
        if (x < 0 || x > n) continue;
        for (double alpha : {1e-12, 0.05, 0.5}) {
          const auto a = ss::proportion_confint(x, n, stratum::confidence::from_alpha(alpha), method);
          const auto b = ss::proportion_confint(n - x, n, stratum::confidence::from_alpha(alpha), method);
          INFO("method " << static_cast<int>(method) << " x=" << x << " n=" << n << " alpha=" << alpha);
          CHECK(std::abs(a.lower - (1.0 - b.upper)) <= 1e-14);
          CHECK(std::abs(a.upper - (1.0 - b.lower)) <= 1e-14);
        }
      }
    }
  }
}

TEST_CASE("tiny and extreme alpha") {
  // Smaller alpha, wider interval, for every method, down to 1e-300 (quantiles from the tail directly).
  const std::vector<ss::proportion_method> methods = {
      ss::proportion_method::wald, ss::proportion_method::wilson, ss::proportion_method::agresti_coull,
      ss::proportion_method::clopper_pearson, ss::proportion_method::jeffreys};
  for (auto method : methods) {
    for (std::int64_t x : {0, 1, 17, 50}) {
      ss::proportion_interval prev =
          ss::proportion_confint(x, 50, stratum::confidence::from_alpha(0.5), method);
      for (double alpha : {0.05, 1e-6, 1e-12, 1e-50, 1e-300}) {
        const auto ci = ss::proportion_confint(x, 50, stratum::confidence::from_alpha(alpha), method);
        INFO("method " << static_cast<int>(method) << " x=" << x << " alpha=" << alpha);
        CHECK(std::isfinite(ci.lower));
        CHECK(std::isfinite(ci.upper));
        CHECK(ci.lower >= 0.0);
        CHECK(ci.upper <= 1.0);
        CHECK(ci.lower <= prev.lower);
        CHECK(ci.upper >= prev.upper);
        prev = ci;
      }
    }
  }
  // Rule of three at tiny alpha: -ln(1e-12) / n.
  CHECK(ss::rule_of_three_upper_bound(1000000, stratum::confidence::from_alpha(1e-12)) ==
        doctest::Approx(27.631021115928547 / 1e6).epsilon(1e-14));
}

TEST_CASE("bad arguments throw, naming the argument") {
  CHECK_THROWS_AS((void)ss::wilson_interval(0, 0), std::domain_error);
  CHECK_THROWS_AS((void)ss::clopper_pearson_interval(0, 0), std::domain_error);
  CHECK_THROWS_AS((void)ss::zero_failure_upper_bound(0), std::domain_error);
  CHECK_THROWS_AS((void)ss::rule_of_three_upper_bound(0), std::domain_error);
  CHECK_THROWS_AS((void)ss::wald_interval(0, (std::int64_t{1} << 53) + 1), std::domain_error);
  CHECK_THROWS_WITH_AS((void)ss::wilson_interval(-1, 10), doctest::Contains("x (= -1)"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)ss::wilson_interval(11, 10), doctest::Contains("must not exceed n"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS((void)ss::wilson_interval(1, -10), doctest::Contains("n (= -10)"),
                       std::invalid_argument);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double alpha : {0.0, 1.0, -0.1, 1.5, nan, std::numeric_limits<double>::infinity()}) {
    INFO("alpha=" << alpha);
    CHECK_THROWS_WITH_AS((void)ss::jeffreys_interval(1, 10, stratum::confidence::from_alpha(alpha)),
                         doctest::Contains("alpha"), std::invalid_argument);
    CHECK_THROWS_AS((void)ss::wald_interval(1, 10, stratum::confidence::from_alpha(alpha)),
                    std::invalid_argument);
    CHECK_THROWS_AS((void)ss::clopper_pearson_upper_bound(1, 10, stratum::confidence::from_alpha(alpha)),
                    std::invalid_argument);
    CHECK_THROWS_AS((void)ss::zero_failure_upper_bound(10, stratum::confidence::from_alpha(alpha)),
                    std::invalid_argument);
  }
}
