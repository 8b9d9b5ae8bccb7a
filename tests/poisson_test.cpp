// Tests for <stratum/stats/poisson.hpp>: the exact Poisson rate interval against scipy's chi-square quantiles
// (tests/oracles/poisson.py writes them into STRATUM_ORACLE_DIR), properties and bad input.
#include <doctest/doctest.h>

#include <stratum/stats/poisson.hpp>

#include <cmath>
#include <cstdint>
#include <sstream>

#include "oracle_file.hpp"

namespace ss = stratum::stats;
using stratum_test::read_oracle;
using stratum_test::rel_diff;

TEST_CASE("exact Poisson rate interval matches scipy chi2.ppf / chi2.isf") {
  const auto lines = read_oracle("poisson_rate.txt", 4000);
  double worst = 0;
  std::size_t identical = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::istringstream is(lines[i]);
    std::int64_t k = 0;
    double e = 0, alpha = 0, lo = 0, up = 0;
    REQUIRE(static_cast<bool>(is >> k >> e >> alpha >> lo >> up));
    const auto got = ss::poisson_rate_interval(k, e, stratum::confidence::from_alpha(alpha));
    INFO("poisson_rate.txt line " << i + 1 << ": k=" << k << " exposure=" << e << " alpha=" << alpha
                                  << " got [" << got.lower << ", " << got.upper << "] scipy [" << lo << ", "
                                  << up << "]");
    CHECK(rel_diff(got.lower, lo) <= 1e-10);
    CHECK(rel_diff(got.upper, up) <= 1e-10);
    CHECK(got.lower <= static_cast<double>(k) / e);
    CHECK(static_cast<double>(k) / e <= got.upper);
    worst = std::max({worst, rel_diff(got.lower, lo), rel_diff(got.upper, up)});
    identical += (got.lower == lo) + (got.upper == up);
  }
  MESSAGE("poisson: " << lines.size() << " cases, worst relative difference " << worst << ", " << identical
                      << " of " << 2 * lines.size() << " bounds bit-identical");
}

TEST_CASE("Poisson interval: zero events, monotone in k, bad input") {
  const auto z = ss::poisson_rate_interval(0, 100);
  CHECK(z.lower == 0);
  CHECK(std::abs(z.upper - -std::log(0.025) / 100) < 1e-15);  // Gamma(1) = exponential
  double prev_lo = -1, prev_up = 0;
  for (std::int64_t k = 0; k < 200; ++k) {
    const auto r = ss::poisson_rate_interval(k, 3.5);
    CHECK(r.lower > prev_lo);
    CHECK(r.upper > prev_up);
    prev_lo = r.lower, prev_up = r.upper;
  }
  CHECK_THROWS_AS((void)ss::poisson_rate_interval(-1, 1), stratum::usage_error);
  CHECK_THROWS_AS((void)ss::poisson_rate_interval(1, 0), stratum::usage_error);
  CHECK_THROWS_AS((void)ss::poisson_rate_interval(1, std::nan("")), stratum::usage_error);
}
