// Differential tests of <stratum/stats/chi_square.hpp> against scipy 1.10.1 chi2_contingency
// (tests/oracles/chi_square.py).
#include <stratum/stats/chi_square.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "oracle_file.hpp"

using namespace stratum::stats;
using stratum_test::close;
using stratum_test::read_oracle;
using stratum_test::rel_err;

TEST_CASE("chi_square_homogeneity matches scipy.stats.chi2_contingency") {
  const auto lines = read_oracle("chi2.txt", 10000);
  std::size_t dropped = 0;
  double worst_stat = 0, worst_p = 0;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    auto t = lines.fields(l);
    const auto rows = t.u64(), cols = t.u64();
    const bool yates = t.u64() != 0;
    const double stat = t.num(), p = t.num();
    const auto dof = t.u64(), dr = t.u64(), dc = t.u64();
    const auto o = t.nums(rows * cols);
    const auto r = chi_square_homogeneity(o, rows, cols, yates);
    if (dr + dc > 0) ++dropped;
    worst_stat = std::max(worst_stat, rel_err(r.statistic, stat));
    worst_p = std::max(worst_p, rel_err(r.p_value, p));
    if (!close(r.statistic, stat) || !close(r.p_value, p) || r.dof != dof || r.dropped_rows != dr ||
        r.dropped_columns != dc)
      FAIL_CHECK("chi2.txt line " << l + 1 << " (" << rows << "x" << cols << "): got X2 " << r.statistic
                                  << " p " << r.p_value << " dof " << r.dof << ", want " << stat << " " << p
                                  << " " << dof);
  }
  MESSAGE("chi2_contingency: " << lines.size() << " tables (" << dropped
                               << " with all-zero rows/columns), max rel err X2 " << worst_stat << ", p "
                               << worst_p);
}

TEST_CASE("chi_square_homogeneity edge cases and bad input") {
  // a table with one nonzero column: nothing to compare
  const std::vector<double> one_col{3, 0, 5, 0};
  const auto r = chi_square_homogeneity(one_col, 2, 2);
  CHECK(r.statistic == 0.0);
  CHECK(r.p_value == 1.0);
  CHECK(r.dof == 0);
  CHECK(r.dropped_columns == 1);
  const std::vector<double> zeros(6, 0.0);
  CHECK(chi_square_homogeneity(zeros, 3, 2).p_value == 1.0);
  const std::vector<double> neg{1, -1, 2, 3}, nan{1, std::nan(""), 2, 3};
  CHECK_THROWS_WITH_AS((void)chi_square_homogeneity(neg, 2, 2),
                       "chi_square_homogeneity: observed[0][1] is negative or not finite",
                       std::invalid_argument);
  CHECK_THROWS_AS((void)chi_square_homogeneity(nan, 2, 2), std::invalid_argument);
  CHECK_THROWS_AS((void)chi_square_homogeneity(neg, 3, 2), std::invalid_argument);
  CHECK_THROWS_AS((void)chi_square_homogeneity({}, 0, 2), std::invalid_argument);
}
