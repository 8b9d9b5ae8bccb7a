// Multiple testing across slices: adjusted p-values and reject decisions for m hypotheses tested at once
// (one per scenario slice, class, or slice x class cell), matching statsmodels 0.13.5
// `statsmodels.stats.multitest.multipletests(p, alpha, method)`:
//
//   bonferroni          method='bonferroni'  controls the family-wise error rate (FWER), any dependence
//   holm                method='holm'        step-down, controls the FWER, uniformly more powerful than
//                                            Bonferroni (Holm 1979)
//   benjamini_hochberg  method='fdr_bh'      step-up, controls the false discovery rate (FDR) for independent
//                                            or positively dependent tests (Benjamini & Hochberg 1995)
//
// With p_(1) <= ... <= p_(m) the sorted p-values (i = 1..m):
//   Bonferroni  adj_i = min(1, m p_i);                                   reject iff p_i <= alpha / m
//   Holm        adj_(i) = min(1, max_{j <= i} (m - j + 1) p_(j));        reject p_(1..k-1), k the first index
//                                                                        with p_(k) > alpha / (m - k + 1)
//   BH          adj_(i) = min(1, min_{j >= i} p_(j) m / j);              reject p_(1..k), k the last index
//                                                                        with p_(k) <= (k / m) alpha
// The reject decisions are taken, as in statsmodels, by comparing the raw p-values with the thresholds (not
// adj <= alpha, which can differ in the last bit); the arithmetic follows statsmodels' operation order so
// that the adjusted values agree to rounding. Ties get equal adjusted values and equal decisions whatever
// their order.
//
// References: Holm (1979), "A simple sequentially rejective multiple test procedure", Scandinavian Journal
// of Statistics 6(2):65-70; Benjamini & Hochberg (1995), "Controlling the false discovery rate: a practical
// and powerful approach to multiple testing", JRSS B 57(1):289-300.
#pragma once

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>
#include "../core/confidence.hpp"
#include "../core/error.hpp"

namespace stratum::stats {

/// The adjustment methods (statsmodels' names in the comments).
enum class p_value_adjustment {
  bonferroni,          ///< 'bonferroni'
  holm,                ///< 'holm'
  benjamini_hochberg,  ///< 'fdr_bh'
};

/// Adjusted p-values and reject decisions, in the order of the input.
struct multiple_testing_result {
  std::vector<double> adjusted;
  std::vector<bool> reject;
};

/// Adjusts `p_values` for multiple testing and decides which hypotheses to reject at level `alpha` (FWER for
/// Bonferroni and Holm, FDR for Benjamini-Hochberg). Throws std::invalid_argument on an empty input, on a
/// p-value that is NaN or outside [0, 1] (naming its index), and on alpha outside (0, 1).
[[nodiscard]] inline multiple_testing_result adjust_p_values(std::span<const double> p_values,
                                                             p_value_adjustment method,
                                                             ::stratum::confidence conf = {}) {
  const double alpha = conf.alpha();
  const std::string fn = "stratum::stats::adjust_p_values: ";
  if (p_values.empty()) throw ::stratum::usage_error(fn + "p_values is empty");
  for (std::size_t i = 0; i < p_values.size(); ++i) {
    if (!(p_values[i] >= 0.0 && p_values[i] <= 1.0))
      throw ::stratum::usage_error(fn + "p_values[" + std::to_string(i) +
                                   "] (= " + std::to_string(p_values[i]) + ") must lie in [0, 1]");
  }

  const std::size_t m = p_values.size();
  const double md = static_cast<double>(m);
  multiple_testing_result out;
  out.adjusted.resize(m);
  out.reject.resize(m);

  if (method == p_value_adjustment::bonferroni) {
    const double threshold = alpha / md;
    for (std::size_t i = 0; i < m; ++i) {
      out.adjusted[i] = std::min(1.0, p_values[i] * md);
      out.reject[i] = p_values[i] <= threshold;
    }
    return out;
  }

  // Holm and BH work on the sorted p-values; `order[r]` is the input index of the r-th smallest.
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return p_values[i] < p_values[j]; });

  if (method == p_value_adjustment::holm) {
    // Step-down: reject while p_(r) <= alpha / (m - r) (r = 0-based rank), stop at the first failure.
    bool stopped = false;
    double running_max = 0.0;
    for (std::size_t r = 0; r < m; ++r) {
      const double p = p_values[order[r]];
      const double factor = static_cast<double>(m - r);
      if (p > alpha / factor) stopped = true;
      out.reject[order[r]] = !stopped;
      running_max = std::max(running_max, p * factor);
      out.adjusted[order[r]] = std::min(1.0, running_max);
    }
    return out;
  }

  if (method == p_value_adjustment::benjamini_hochberg) {
    // Step-up: the largest rank r with p_(r) <= ((r + 1) / m) alpha, and all smaller ones, are rejected.
    std::size_t n_reject = 0;
    for (std::size_t r = 0; r < m; ++r) {
      const double ecdf = static_cast<double>(r + 1) / md;
      if (p_values[order[r]] <= ecdf * alpha) n_reject = r + 1;
    }
    double running_min = 1.0;
    for (std::size_t r = m; r-- > 0;) {
      const double ecdf = static_cast<double>(r + 1) / md;
      running_min = std::min(running_min, p_values[order[r]] / ecdf);
      out.adjusted[order[r]] = running_min;
      out.reject[order[r]] = r < n_reject;
    }
    return out;
  }
  throw ::stratum::usage_error(fn + "unknown method");
}

/// Bonferroni-adjusted p-values and decisions (statsmodels multipletests method='bonferroni').
[[nodiscard]] inline multiple_testing_result bonferroni(std::span<const double> p_values,
                                                        ::stratum::confidence conf = {}) {
  return adjust_p_values(p_values, p_value_adjustment::bonferroni, conf);
}

/// Holm step-down adjusted p-values and decisions (statsmodels multipletests method='holm').
[[nodiscard]] inline multiple_testing_result holm(std::span<const double> p_values,
                                                  ::stratum::confidence conf = {}) {
  return adjust_p_values(p_values, p_value_adjustment::holm, conf);
}

/// Benjamini-Hochberg adjusted p-values ("q-values") and decisions (statsmodels multipletests
/// method='fdr_bh').
[[nodiscard]] inline multiple_testing_result benjamini_hochberg(std::span<const double> p_values,
                                                                ::stratum::confidence conf = {}) {
  return adjust_p_values(p_values, p_value_adjustment::benjamini_hochberg, conf);
}

}  // namespace stratum::stats
