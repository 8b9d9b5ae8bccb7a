// Tests for <stratum/stats/multiple_testing.hpp> against statsmodels 0.13.5 multipletests (reference values
// written by tests/oracles/multiple_testing.py into STRATUM_ORACLE_DIR), plus properties and bad input.
#include <doctest/doctest.h>

#include <stratum/stats/multiple_testing.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "oracle_file.hpp"

namespace ss = stratum::stats;
using stratum_test::read_oracle;
using stratum_test::rel_diff;

namespace {

ss::p_value_adjustment method_of(const std::string& s) {
  if (s == "bonferroni") return ss::p_value_adjustment::bonferroni;
  if (s == "holm") return ss::p_value_adjustment::holm;
  REQUIRE_MESSAGE(s == "fdr_bh", "unknown method " << s);
  return ss::p_value_adjustment::benjamini_hochberg;
}

}  // namespace

TEST_CASE("adjusted p-values and decisions match statsmodels multipletests") {
  const auto lines = read_oracle("multipletests.txt", 10000);
  std::map<std::string, std::int64_t> families, values;
  std::map<std::string, double> worst;
  std::int64_t rejections = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto t = lines.fields(i);
    const std::string name = t.word();
    const double alpha = t.num();
    const auto m = t.u64();
    const auto p = t.nums(m), adjusted = t.nums(m);
    std::vector<int> reject(m);
    for (auto& v : reject) v = static_cast<int>(t.u64());
    const auto got = ss::adjust_p_values(p, method_of(name), stratum::confidence::from_alpha(alpha));
    REQUIRE(got.adjusted.size() == m);
    REQUIRE(got.reject.size() == m);
    ++families[name];
    values[name] += static_cast<std::int64_t>(m);
    for (std::size_t j = 0; j < m; ++j) {
      INFO("multipletests.txt line " << i + 1 << ": " << name << " alpha=" << alpha << " m=" << m << " index "
                                     << j << " p=" << p[j] << " got " << got.adjusted[j] << "/"
                                     << got.reject[j] << " statsmodels " << adjusted[j] << "/" << reject[j]);
      // The same operations in the same order: equal to rounding (1e-15 relative leaves room for none but
      // the last bit; 1e-10 is the project-wide bar).
      CHECK(rel_diff(got.adjusted[j], adjusted[j]) <= 1e-15);
      CHECK(got.reject[j] == (reject[j] == 1));
      worst[name] = std::max(worst[name], rel_diff(got.adjusted[j], adjusted[j]));
      rejections += reject[j];
    }
  }
  for (const auto& [name, count] : families) {
    MESSAGE(name << ": " << count << " families, " << values[name] << " p-values, worst relative difference "
                 << worst[name]);
    CHECK(count >= 10000);
  }
  CHECK(rejections > 1000);  // the decisions are exercised both ways
}

TEST_CASE("textbook example and the ordering of the three methods") {
  // Benjamini & Hochberg (1995), section 4: 15 p-values; at q = 0.05 BH rejects the 4 smallest,
  // Bonferroni (0.05 / 15) and Holm reject 3.
  const std::vector<double> p = {0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
                                 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000};
  const auto bh = ss::benjamini_hochberg(p, stratum::confidence::from_alpha(0.05));
  const auto holm = ss::holm(p, stratum::confidence::from_alpha(0.05));
  const auto bonf = ss::bonferroni(p, stratum::confidence::from_alpha(0.05));
  CHECK(std::count(bh.reject.begin(), bh.reject.end(), true) == 4);
  CHECK(std::count(holm.reject.begin(), holm.reject.end(), true) == 3);
  CHECK(std::count(bonf.reject.begin(), bonf.reject.end(), true) == 3);
  CHECK(bonf.adjusted[0] == doctest::Approx(0.0015));
  CHECK(holm.adjusted[2] == doctest::Approx(0.0019 * 13));
  CHECK(bh.adjusted[3] == doctest::Approx(0.0095 * 15 / 4));
  CHECK(bh.adjusted[14] == 1.0);

  // Random families: BH adjusted <= Holm adjusted <= Bonferroni adjusted, all >= p, and the rejected sets
  // nest (Bonferroni within Holm within BH); ties get equal adjusted values.
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::size_t m = 1 + gen() % 40;
    std::vector<double> q(m);
    for (auto& v : q) v = trial % 3 == 0 ? std::floor(u(gen) * 10) / 100 : std::pow(u(gen), 4);
    const double alpha = 0.01 + 0.2 * u(gen);
    const auto a = ss::benjamini_hochberg(q, stratum::confidence::from_alpha(alpha));
    const auto b = ss::holm(q, stratum::confidence::from_alpha(alpha));
    const auto c = ss::bonferroni(q, stratum::confidence::from_alpha(alpha));
    for (std::size_t j = 0; j < m; ++j) {
      INFO("trial " << trial << " index " << j);
      CHECK(a.adjusted[j] >= q[j]);
      CHECK(a.adjusted[j] <= b.adjusted[j] * (1 + 1e-15));
      CHECK(b.adjusted[j] <= c.adjusted[j]);
      CHECK(c.adjusted[j] <= 1.0);
      if (c.reject[j]) CHECK(b.reject[j]);
      if (b.reject[j]) CHECK(a.reject[j]);
      for (std::size_t k = 0; k < m; ++k)
        if (q[k] == q[j]) {
          CHECK(a.adjusted[k] == a.adjusted[j]);
          CHECK(b.adjusted[k] == b.adjusted[j]);
          CHECK(a.reject[k] == a.reject[j]);
          CHECK(b.reject[k] == b.reject[j]);
        }
    }
  }
}

TEST_CASE("a single test is not adjusted") {
  const std::vector<double> one = {0.03};
  for (auto method : {ss::p_value_adjustment::bonferroni, ss::p_value_adjustment::holm,
                      ss::p_value_adjustment::benjamini_hochberg}) {
    const auto r = ss::adjust_p_values(one, method, stratum::confidence::from_alpha(0.05));
    CHECK(r.adjusted[0] == 0.03);
    CHECK(r.reject[0]);
    CHECK_FALSE(ss::adjust_p_values(one, method, stratum::confidence::from_alpha(0.02)).reject[0]);
  }
}

TEST_CASE("bad input throws, naming the argument") {
  const std::vector<double> empty;
  CHECK_THROWS_WITH_AS((void)ss::holm(empty), doctest::Contains("empty"), std::invalid_argument);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double bad : {nan, -0.1, 1.5, std::numeric_limits<double>::infinity()}) {
    const std::vector<double> p = {0.01, bad, 0.2};
    INFO("bad=" << bad);
    CHECK_THROWS_WITH_AS((void)ss::benjamini_hochberg(p), doctest::Contains("p_values[1]"),
                         std::invalid_argument);
    CHECK_THROWS_AS((void)ss::bonferroni(p), std::invalid_argument);
  }
  const std::vector<double> ok = {0.01, 0.2};
  for (double alpha : {0.0, 1.0, -1.0, nan}) {
    INFO("alpha=" << alpha);
    CHECK_THROWS_WITH_AS((void)ss::holm(ok, stratum::confidence::from_alpha(alpha)),
                         doctest::Contains("alpha"), std::invalid_argument);
  }
}
