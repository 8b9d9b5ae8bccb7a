// Differential tests of <stratum/stats/chi_square.hpp> against scipy 1.10.1 chi2_contingency
// (tests/oracles/chi_square.py).
#include <stratum/stats/chi_square.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace stratum::stats;

namespace {
bool close(double got, double want, double rel = 1e-10, double abs = 1e-12) {
  if (got == want) return true;
  if (!std::isfinite(got) || !std::isfinite(want)) return false;
  const double diff = std::abs(got - want);
  return diff <= abs || diff <= rel * std::abs(want);
}
double rel_err(double got, double want) {
  if (got == want) return 0.0;
  if (std::abs(want) <= 1e-12 && std::abs(got - want) <= 1e-12) return 0.0;
  return std::abs(got - want) / std::max(std::abs(want), std::numeric_limits<double>::min());
}
}  // namespace

TEST_CASE("chi_square_homogeneity matches scipy.stats.chi2_contingency") {
  const std::string path = std::string(STRATUM_ORACLE_DIR) + "/chi2.txt";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "missing oracle file " << path);
  std::size_t n = 0, dropped = 0;
  double worst_stat = 0, worst_p = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    std::istringstream s(line);
    std::size_t rows, cols, dof, dr, dc;
    int yates;
    std::string stat_s, p_s;
    s >> rows >> cols >> yates >> stat_s >> p_s >> dof >> dr >> dc;
    std::vector<double> o(rows * cols);
    for (auto& v : o) s >> v;
    REQUIRE_MESSAGE(!s.fail(), "chi2.txt line " << n << " is malformed");
    const double stat = std::strtod(stat_s.c_str(), nullptr), p = std::strtod(p_s.c_str(), nullptr);
    const auto r = chi_square_homogeneity(o, rows, cols, yates != 0);
    if (dr + dc > 0) ++dropped;
    worst_stat = std::max(worst_stat, rel_err(r.statistic, stat));
    worst_p = std::max(worst_p, rel_err(r.pvalue, p));
    if (!close(r.statistic, stat) || !close(r.pvalue, p) || r.dof != dof || r.dropped_rows != dr ||
        r.dropped_columns != dc)
      FAIL_CHECK("chi2.txt line " << n << " (" << rows << "x" << cols << "): got X2 " << r.statistic << " p "
                                  << r.pvalue << " dof " << r.dof << ", want " << stat << " " << p << " "
                                  << dof);
  }
  REQUIRE(n >= 10000);
  MESSAGE("chi2_contingency: " << n << " tables (" << dropped
                               << " with all-zero rows/columns), max rel err X2 " << worst_stat << ", p "
                               << worst_p);
}

TEST_CASE("chi_square_homogeneity edge cases and bad input") {
  // a table with one nonzero column: nothing to compare
  const std::vector<double> one_col{3, 0, 5, 0};
  const auto r = chi_square_homogeneity(one_col, 2, 2);
  CHECK(r.statistic == 0.0);
  CHECK(r.pvalue == 1.0);
  CHECK(r.dof == 0);
  CHECK(r.dropped_columns == 1);
  const std::vector<double> zeros(6, 0.0);
  CHECK(chi_square_homogeneity(zeros, 3, 2).pvalue == 1.0);
  const std::vector<double> neg{1, -1, 2, 3}, nan{1, std::nan(""), 2, 3};
  CHECK_THROWS_WITH_AS((void)chi_square_homogeneity(neg, 2, 2),
                       "chi_square_homogeneity: observed[0][1] is negative or not finite",
                       std::invalid_argument);
  CHECK_THROWS_AS((void)chi_square_homogeneity(nan, 2, 2), std::invalid_argument);
  CHECK_THROWS_AS((void)chi_square_homogeneity(neg, 3, 2), std::invalid_argument);
  CHECK_THROWS_AS((void)chi_square_homogeneity({}, 0, 2), std::invalid_argument);
}
