// Pearson's chi-square test of homogeneity for class-frequency tables: k categories (rows) x s >= 2 samples
// (columns), e.g. per-class detection counts of a baseline and of production windows.
//
// Matches scipy 1.10.1 scipy.stats.chi2_contingency(observed, correction) for 2-D tables:
//   E_ij = R_i C_j / N,   X^2 = sum_ij (O_ij - E_ij)^2 / E_ij,   dof = (r - 1)(c - 1),
//   p = P(chi2_dof >= X^2) (Boost.Math chi_squared complement cdf = regularized upper incomplete gamma
//   Q(dof/2, X^2/2), as scipy's chdtrc).
// With `yates` (scipy's correction=True) and dof = 1, each O_ij moves towards E_ij by min(0.5, |E_ij -
// O_ij|).
//
// All-zero rows and columns: scipy raises ValueError (an expected frequency is 0). Here a category never
// observed in any sample, or a sample with no observations, carries no information about homogeneity: such
// rows and columns are dropped and the test runs on the remaining r' x c' table (dof = (r' - 1)(c' - 1),
// reported with the counts of dropped rows and columns). When r' < 2 or c' < 2 (including an all-zero table)
// there is nothing to compare: statistic 0, dof 0, p-value 1 -- what scipy returns for a dof = 0 table.
#pragma once

#include <boost/math/distributions/chi_squared.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>
#include "../core/error.hpp"

namespace stratum::stats {

struct chi_square_result {
  double statistic = 0;
  double p_value = 1;
  std::size_t dof = 0;
  std::size_t dropped_rows = 0;     ///< all-zero categories left out
  std::size_t dropped_columns = 0;  ///< all-zero samples left out
  std::vector<double> expected;     ///< expected frequencies of the reduced table, row-major r' x c'
};

/// Chi-square test of homogeneity of the r x c table `observed` (row-major: observed[i * cols + j] is the
/// count of category i in sample j). Counts must be finite and >= 0 (std::invalid_argument naming the cell
/// otherwise).
[[nodiscard]] inline chi_square_result chi_square_homogeneity(std::span<const double> observed,
                                                              std::size_t rows, std::size_t cols,
                                                              bool yates = false) {
  if (rows == 0 || cols == 0) throw ::stratum::usage_error("chi_square_homogeneity: the table is empty");
  if (observed.size() != rows * cols)
    throw ::stratum::usage_error("chi_square_homogeneity: observed has " + std::to_string(observed.size()) +
                                 " cells, expected rows x cols = " + std::to_string(rows * cols));
  for (std::size_t k = 0; k < observed.size(); ++k)
    if (!(observed[k] >= 0) || !std::isfinite(observed[k]))
      throw ::stratum::usage_error("chi_square_homogeneity: observed[" + std::to_string(k / cols) + "][" +
                                   std::to_string(k % cols) + "] is negative or not finite");
  std::vector<double> rs(rows, 0.0), cs(cols, 0.0);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) rs[i] += observed[i * cols + j], cs[j] += observed[i * cols + j];
  std::vector<std::size_t> keep_r, keep_c;
  for (std::size_t i = 0; i < rows; ++i)
    if (rs[i] > 0) keep_r.push_back(i);
  for (std::size_t j = 0; j < cols; ++j)
    if (cs[j] > 0) keep_c.push_back(j);
  chi_square_result res;
  res.dropped_rows = rows - keep_r.size();
  res.dropped_columns = cols - keep_c.size();
  const std::size_t r = keep_r.size(), c = keep_c.size();
  // scipy: expected = outer(row sums, column sums) / total, summed in the same way (sum over the table)
  std::vector<double> o(r * c), rr(r, 0.0), cc(c, 0.0);
  for (std::size_t a = 0; a < r; ++a)
    for (std::size_t b = 0; b < c; ++b) o[a * c + b] = observed[keep_r[a] * cols + keep_c[b]];
  for (std::size_t a = 0; a < r; ++a) rr[a] = rs[keep_r[a]];
  for (std::size_t b = 0; b < c; ++b) cc[b] = cs[keep_c[b]];
  double total = 0;
  for (double v : o) total += v;
  res.expected.resize(r * c);
  for (std::size_t a = 0; a < r; ++a)
    for (std::size_t b = 0; b < c; ++b) res.expected[a * c + b] = rr[a] * cc[b] / total;
  if (r < 2 || c < 2) {
    res.statistic = 0;
    res.p_value = 1;
    res.dof = 0;
    return res;
  }
  res.dof = (r - 1) * (c - 1);
  double x2 = 0;
  for (std::size_t k = 0; k < o.size(); ++k) {
    double ok = o[k];
    const double e = res.expected[k];
    if (yates && res.dof == 1) {
      const double diff = e - ok;
      const double mag = std::min(0.5, std::abs(diff));
      ok += diff > 0 ? mag : (diff < 0 ? -mag : 0.0);
    }
    const double d = ok - e;
    x2 += d * d / e;
  }
  res.statistic = x2;
  const boost::math::chi_squared_distribution<double> dist(static_cast<double>(res.dof));
  res.p_value = boost::math::cdf(boost::math::complement(dist, x2));
  return res;
}

}  // namespace stratum::stats
