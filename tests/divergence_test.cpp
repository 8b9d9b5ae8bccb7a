// Differential tests of <stratum/stats/divergence.hpp> against scipy 1.10.1 / numpy
// (tests/oracles/divergence.py).
#include <stratum/stats/divergence.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "oracle_file.hpp"

namespace {

using namespace stratum::stats;
using stratum_test::close;
using stratum_test::read_oracle;
using stratum_test::rel_err;
using stratum_test::tokens;

// Runs `fn` on each line, compares with the reference it returns, reports the worst relative error.
template <class F>
void differential(const std::string& file, F fn) {
  const auto lines = read_oracle(file, 10000);
  double worst = 0;
  std::size_t worst_line = 0, n_inf = 0;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    auto t = lines.fields(l);
    const auto [got, want] = fn(t);
    if (std::isinf(want)) ++n_inf;
    const double e = rel_err(got, want);
    if (e > worst) worst = e, worst_line = l;
    if (!close(got, want)) FAIL_CHECK(file << " line " << l + 1 << ": got " << got << " want " << want);
  }
  MESSAGE(file << ": " << lines.size() << " cases (" << n_inf << " infinite), max rel err " << worst
               << " (line " << worst_line + 1 << ")");
}

}  // namespace

TEST_CASE("wasserstein_distance matches scipy.stats.wasserstein_distance") {
  differential("wasserstein.txt", [](tokens& t) {
    const auto nu = static_cast<std::size_t>(t.num()), nv = static_cast<std::size_t>(t.num());
    const bool weighted = t.num() != 0;
    const double want = t.num();
    const auto u = t.nums(nu), v = t.nums(nv);
    if (!weighted) return std::pair{wasserstein_distance(u, v), want};
    const auto uw = t.nums(nu), vw = t.nums(nv);
    return std::pair{wasserstein_distance(u, v, uw, vw), want};
  });
}

TEST_CASE("entropy and kl_divergence match scipy.stats.entropy") {
  differential("entropy.txt", [](tokens& t) {
    const auto k = static_cast<std::size_t>(t.num());
    const double base = t.num(), want = t.num();
    return std::pair{entropy(t.nums(k), base), want};
  });
  differential("kl.txt", [](tokens& t) {
    const auto k = static_cast<std::size_t>(t.num());
    const double base = t.num(), want = t.num();
    const auto p = t.nums(k), q = t.nums(k);
    return std::pair{kl_divergence(p, q, base), want};
  });
}

TEST_CASE("js_distance matches scipy.spatial.distance.jensenshannon") {
  differential("js.txt", [](tokens& t) {
    const auto k = static_cast<std::size_t>(t.num());
    const double base = t.num(), want = t.num();
    const auto p = t.nums(k), q = t.nums(k);
    return std::pair{js_distance(p, q, base), want};
  });
}

TEST_CASE("hellinger_distance matches the numpy formula") {
  differential("hellinger.txt", [](tokens& t) {
    const auto k = static_cast<std::size_t>(t.num());
    const double want = t.num();
    const auto p = t.nums(k), q = t.nums(k);
    return std::pair{hellinger_distance(p, q), want};
  });
}

TEST_CASE("psi matches the numpy formula (additive smoothing)") {
  differential("psi.txt", [](tokens& t) {
    const auto k = static_cast<std::size_t>(t.num());
    const double eps = t.num(), want = t.num();
    const auto e = t.nums(k), a = t.nums(k);
    return std::pair{psi(e, a, eps), want};
  });
}

TEST_CASE("histogram overloads compare the cells underflow, bins, overflow") {
  histogram a(std::vector<double>{0.0, 1.0, 2.0, 3.0}), b(std::vector<double>{0.0, 1.0, 2.0, 3.0});
  for (double x : {-1.0, 0.5, 0.5, 1.5, 2.0, 3.0, 3.0, 9.0}) a.add(x);
  for (double x : {0.1, 1.1, 1.2, 2.5, 2.6, 2.7}) b.add(x);
  const auto ca = a.cells(), cb = b.cells();
  REQUIRE(ca == std::vector<double>{1, 2, 1, 3, 1});
  REQUIRE(cb == std::vector<double>{0, 1, 2, 3, 0});
  CHECK(psi(a, b) == psi(ca, cb, 1e-4));
  CHECK(std::isinf(psi(a, b, 0.0)));
  CHECK(std::isinf(kl_divergence(a, b)));
  CHECK(kl_divergence(b, a) == kl_divergence(cb, ca));
  CHECK(js_distance(a, b, 0.0, 2.0) == js_distance(ca, cb, 2.0));
  CHECK(hellinger_distance(a, b) == hellinger_distance(ca, cb));
  // identical distributions: every divergence is 0
  CHECK(psi(a, a) == 0.0);
  CHECK(kl_divergence(a, a) == 0.0);
  CHECK(js_distance(a, a) == 0.0);
  CHECK(hellinger_distance(a, a) == 0.0);
  histogram c(std::vector<double>{0.0, 1.0, 2.5, 3.0});
  c.add(1.0);
  CHECK_THROWS_AS((void)psi(a, c), std::invalid_argument);
  CHECK_THROWS_AS((void)psi(a, histogram{}), std::invalid_argument);
}

TEST_CASE("js_distance refuses a base that is not > 1, in both overloads") {
  // With base in (0, 1) ln(base) < 0: the divergence turned negative and the square root clamped it to 0, so
  // p = {1, 0}, q = {0, 1} (maximally different) read as distance 0. scipy gives NaN there.
  const std::vector<double> p{1, 0}, q{0, 1};
  CHECK(js_distance(p, q, 2.0) == 1.0);
  for (double b : {0.5, 0.999, 1.0, -2.0, std::numeric_limits<double>::infinity(), std::nan("")})
    CHECK_THROWS_WITH_AS((void)js_distance(p, q, b), doctest::Contains("base must be > 1"),
                         stratum::usage_error);
  histogram a(std::vector<double>{0.0, 1.0, 2.0}), c(std::vector<double>{0.0, 1.0, 2.0});
  a.add(0.5), c.add(1.5);
  CHECK(js_distance(a, c, 0.0, 2.0) == 1.0);
  CHECK_THROWS_AS((void)js_distance(a, c, 0.0, 0.5), stratum::usage_error);
}

TEST_CASE("divergences reject bad input") {
  const std::vector<double> p{1, 2}, q3{1, 2, 3}, neg{1, -1}, zero{0, 0}, nan{1, std::nan("")}, empty{};
  CHECK_THROWS_AS((void)kl_divergence(p, q3), std::invalid_argument);
  CHECK_THROWS_AS((void)kl_divergence(p, neg), std::invalid_argument);
  CHECK_THROWS_AS((void)js_distance(zero, p), std::invalid_argument);
  CHECK_THROWS_AS((void)hellinger_distance(nan, p), std::invalid_argument);
  CHECK_THROWS_AS((void)psi(p, p, -1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)entropy(empty), std::invalid_argument);
  CHECK_THROWS_AS((void)kl_divergence(p, p, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)wasserstein_distance(empty, p), std::invalid_argument);
  CHECK_THROWS_AS((void)wasserstein_distance(nan, p), std::invalid_argument);
  CHECK_THROWS_AS((void)wasserstein_distance(p, p, neg), std::invalid_argument);
  CHECK_THROWS_AS((void)wasserstein_distance(p, p, zero), std::invalid_argument);
  CHECK_THROWS_AS((void)wasserstein_distance(p, p, q3), std::invalid_argument);
}
