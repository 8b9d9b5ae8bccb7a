// Distances and divergences between two distributions for drift: Wasserstein-1 between samples, and the
// binned PSI, Kullback-Leibler, Jensen-Shannon and Hellinger measures between histograms or count vectors.
//
// References (formulas in each function's comment):
//   wasserstein_distance   scipy 1.10.1 scipy.stats.wasserstein_distance (optionally weighted)
//   entropy / kl_divergence scipy 1.10.1 scipy.stats.entropy(pk[, qk], base)
//   js_distance            scipy 1.10.1 scipy.spatial.distance.jensenshannon(p, q, base): the DISTANCE, i.e.
//                          the square root of the Jensen-Shannon divergence
//   hellinger_distance     (1/sqrt 2) || sqrt p - sqrt q ||_2 (Hellinger 1909; no scipy function: checked
//                          against a numpy oracle written from this formula)
//   psi                    sum_i (a_i - e_i) ln(a_i / e_i) (population stability index; no single reference:
//                          binning and the zero rule below are this library's choice, see
//                          docs/statistics/drift.md)
//
// Count vectors are normalised to proportions, as scipy does. The histogram overloads compare the k + 1 cells
// underflow, bins..., overflow of two histograms with identical edges (std::invalid_argument otherwise).
//
// Zero cells. PSI and KL are infinite when a cell is empty on one side only. The smoothed forms use additive
// smoothing of the proportions,
//   p_i = (c_i / n + eps) / (1 + K eps),   K = number of cells,
// which keeps a probability vector and leaves cells with equal counts equal. psi() defaults to eps = 1e-4;
// the KL / JS / Hellinger histogram overloads default to eps = 0 (scipy's unsmoothed definitions: KL = inf
// when q_i = 0 < p_i; JS and Hellinger are always finite).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "histogram.hpp"

namespace stratum::stats {

/// Wasserstein-1 distance between the empirical distributions of u and v (optionally weighted):
///   W1 = integral |U(t) - V(t)| dt = sum_i |U(x_i) - V(x_i)| (x_{i+1} - x_i)
/// over the sorted pooled values x_i, with U, V the (weighted) right-continuous CDFs. Matches
/// scipy.stats.wasserstein_distance(u, v, u_weights, v_weights). Empty weights = equal weights. Throws
/// std::invalid_argument for an empty sample, a non-finite value, a size mismatch with the weights, a
/// negative or non-finite weight or a weight sum that is not positive and finite.
[[nodiscard]] double wasserstein_distance(std::span<const double> u, std::span<const double> v,
                                          std::span<const double> u_weights = {},
                                          std::span<const double> v_weights = {});

/// Shannon entropy H(p) = -sum p_i ln p_i of the normalised p, divided by ln(base) when base > 0
/// (scipy.stats.entropy(pk, base)). Throws for an empty, negative, non-finite or all-zero p.
[[nodiscard]] double entropy(std::span<const double> p, double base = 0);

/// Kullback-Leibler divergence D(p || q) = sum_i p_i ln(p_i / q_i) of the normalised p, q (terms with p_i = 0
/// are 0; +inf when q_i = 0 < p_i), divided by ln(base) when base > 0 (scipy.stats.entropy(pk, qk, base)).
[[nodiscard]] double kl_divergence(std::span<const double> p, std::span<const double> q, double base = 0);

/// Jensen-Shannon distance sqrt(JSD), JSD = (D(p || m) + D(q || m)) / 2, m = (p + q) / 2, natural logarithm,
/// or log base `base` when base > 0 (scipy.spatial.distance.jensenshannon(p, q, base)). In [0, sqrt(ln 2)],
/// or [0, 1] with base 2.
[[nodiscard]] double js_distance(std::span<const double> p, std::span<const double> q, double base = 0);

/// Hellinger distance H = (1/sqrt 2) sqrt(sum_i (sqrt p_i - sqrt q_i)^2) of the normalised p, q; in [0, 1].
[[nodiscard]] double hellinger_distance(std::span<const double> p, std::span<const double> q);

/// Population stability index sum_i (a_i - e_i) ln(a_i / e_i) between expected (baseline) counts and actual
/// (window) counts, proportions smoothed with `eps` as in the header comment (eps = 0: no smoothing, +inf
/// when a cell is empty on exactly one side, cells empty on both sides contribute 0).
[[nodiscard]] double psi(std::span<const double> expected, std::span<const double> actual, double eps = 1e-4);

/// The same on the cells (underflow, bins, overflow) of two histograms with identical edges.
[[nodiscard]] double psi(const histogram& expected, const histogram& actual, double eps = 1e-4);
[[nodiscard]] double kl_divergence(const histogram& p, const histogram& q, double eps = 0, double base = 0);
[[nodiscard]] double js_distance(const histogram& p, const histogram& q, double eps = 0, double base = 0);
[[nodiscard]] double hellinger_distance(const histogram& p, const histogram& q, double eps = 0);

/// Proportions c_i / n smoothed as (c_i / n + eps) / (1 + K eps); validates the counts (name used in
/// messages).
[[nodiscard]] std::vector<double> smoothed_proportions(std::span<const double> counts, double eps,
                                                       const char* name);

// ---------------------------------------------------------------------------------------------------------------
// Implementation

namespace detail::divergence {

inline void check_weights(std::span<const double> w, std::size_t n, const char* name) {
  if (w.size() != n)
    throw ::stratum::usage_error(std::string("wasserstein_distance: ") + name + " has " +
                                 std::to_string(w.size()) + " values for " + std::to_string(n) +
                                 " observations");
  double sum = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!(w[i] >= 0) || !std::isfinite(w[i]))
      throw ::stratum::usage_error(std::string("wasserstein_distance: ") + name + "[" + std::to_string(i) +
                                   "] is negative or not finite");
    sum += w[i];
  }
  if (!(sum > 0) || !std::isfinite(sum))
    throw ::stratum::usage_error(std::string("wasserstein_distance: ") + name +
                                 " must have a positive finite sum");
}

/// Sorted (value, cumulative weight up to and including it) for a sample; cumulative weights end at `total`.
struct weighted_sample {
  std::vector<double> x;
  std::vector<double> cum;  // cum[i] = weight of x[0..i]
  double total = 0;
};

inline weighted_sample sorted_sample(std::span<const double> v, std::span<const double> w, const char* name) {
  weighted_sample s;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw ::stratum::usage_error(std::string("wasserstein_distance: ") + name + "[" + std::to_string(i) +
                                   "] is not finite");
  std::vector<std::size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  s.x.resize(v.size());
  s.cum.resize(v.size());
  double c = 0;
  for (std::size_t i = 0; i < idx.size(); ++i) {
    s.x[i] = v[idx[i]];
    c += w.empty() ? 1.0 : w[idx[i]];
    s.cum[i] = c;
  }
  s.total = w.empty() ? static_cast<double>(v.size()) : c;
  return s;
}

inline std::vector<double> checked_counts(std::span<const double> c, const char* fn, const char* name) {
  if (c.empty()) throw ::stratum::usage_error(std::string(fn) + ": " + name + " is empty");
  double sum = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!(c[i] >= 0) || !std::isfinite(c[i]))
      throw ::stratum::usage_error(std::string(fn) + ": " + name + "[" + std::to_string(i) +
                                   "] is negative or not finite");
    sum += c[i];
  }
  if (!(sum > 0)) throw ::stratum::usage_error(std::string(fn) + ": " + name + " sums to 0");
  std::vector<double> p(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) p[i] = c[i] / sum;  // scipy: 1.0 * pk / np.sum(pk)
  return p;
}

inline void check_same_size(std::span<const double> p, std::span<const double> q, const char* fn) {
  if (p.size() != q.size())
    throw ::stratum::usage_error(std::string(fn) + ": the two distributions have " +
                                 std::to_string(p.size()) + " and " + std::to_string(q.size()) + " cells");
}

/// scipy.special.rel_entr: x ln(x/y) for x, y > 0; 0 for x = 0, y >= 0; +inf otherwise.
inline double rel_entr(double x, double y) noexcept {
  if (x > 0 && y > 0) return x * std::log(x / y);
  if (x == 0 && y >= 0) return 0.0;
  return std::numeric_limits<double>::infinity();
}

inline double log_base(double base, const char* fn) {
  if (base == 0) return 1.0;
  if (!(base > 0) || base == 1.0 || !std::isfinite(base))
    throw ::stratum::usage_error(std::string(fn) +
                                 ": base must be positive, finite and not 1 (0 = natural log)");
  return std::log(base);
}

inline void check_histograms(const histogram& a, const histogram& b, const char* fn) {
  if (a.edges().empty() || b.edges().empty())
    throw ::stratum::usage_error(std::string(fn) + ": a histogram has no edges");
  if (a.edges() != b.edges())
    throw ::stratum::usage_error(std::string(fn) + ": the histograms have different edges");
}

}  // namespace detail::divergence

inline double wasserstein_distance(std::span<const double> u, std::span<const double> v,
                                   std::span<const double> u_weights, std::span<const double> v_weights) {
  using namespace detail::divergence;
  if (u.empty()) throw ::stratum::usage_error("wasserstein_distance: u is empty");
  if (v.empty()) throw ::stratum::usage_error("wasserstein_distance: v is empty");
  if (!u_weights.empty()) check_weights(u_weights, u.size(), "u_weights");
  if (!v_weights.empty()) check_weights(v_weights, v.size(), "v_weights");
  const auto a = sorted_sample(u, u_weights, "u");
  const auto b = sorted_sample(v, v_weights, "v");
  // Walk the pooled sorted values; between consecutive pooled values x_k < x_{k+1} both CDFs are constant.
  std::size_t i = 0, j = 0;
  double sum = 0;
  double prev = std::min(a.x.front(), b.x.front());
  while (i < a.x.size() || j < b.x.size()) {
    // advance past every value equal to prev (right-continuous CDFs at prev)
    while (i < a.x.size() && a.x[i] <= prev) ++i;
    while (j < b.x.size() && b.x[j] <= prev) ++j;
    if (i == a.x.size() && j == b.x.size()) break;
    const double next = (i == a.x.size()) ? b.x[j] : (j == b.x.size()) ? a.x[i] : std::min(a.x[i], b.x[j]);
    const double fa = (i == 0) ? 0.0 : (i == a.x.size() ? 1.0 : a.cum[i - 1] / a.total);
    const double fb = (j == 0) ? 0.0 : (j == b.x.size() ? 1.0 : b.cum[j - 1] / b.total);
    sum += std::abs(fa - fb) * (next - prev);
    prev = next;
  }
  return sum;
}

inline double entropy(std::span<const double> p, double base) {
  using namespace detail::divergence;
  const double lb = log_base(base, "entropy");
  const auto pn = checked_counts(p, "entropy", "p");
  double s = 0;
  for (double x : pn) s += x > 0 ? -x * std::log(x) : 0.0;  // scipy.special.entr
  return s / lb;
}

inline double kl_divergence(std::span<const double> p, std::span<const double> q, double base) {
  using namespace detail::divergence;
  check_same_size(p, q, "kl_divergence");
  const double lb = log_base(base, "kl_divergence");
  const auto pn = checked_counts(p, "kl_divergence", "p"), qn = checked_counts(q, "kl_divergence", "q");
  double s = 0;
  for (std::size_t i = 0; i < pn.size(); ++i) s += rel_entr(pn[i], qn[i]);
  return s / lb;
}

inline double js_distance(std::span<const double> p, std::span<const double> q, double base) {
  using namespace detail::divergence;
  check_same_size(p, q, "js_distance");
  // A base in (0, 1) makes ln(base) < 0 and the divergence negative, which the square root would clamp to 0:
  // the most different distributions would read as "no drift" (scipy returns NaN there). Only base > 1 or 0.
  if (base != 0 && !(base > 1 && std::isfinite(base)))
    throw usage_error("js_distance: base must be > 1 and finite (0 = natural log), got " +
                      std::to_string(base));
  const double lb = log_base(base, "js_distance");
  const auto pn = checked_counts(p, "js_distance", "p"), qn = checked_counts(q, "js_distance", "q");
  double left = 0, right = 0;
  for (std::size_t i = 0; i < pn.size(); ++i) {
    const double m = (pn[i] + qn[i]) / 2.0;
    left += rel_entr(pn[i], m);
    right += rel_entr(qn[i], m);
  }
  double js = left + right;
  if (base != 0) js /= lb;
  return std::sqrt(std::max(0.0, js / 2.0));
}

inline double hellinger_distance(std::span<const double> p, std::span<const double> q) {
  using namespace detail::divergence;
  check_same_size(p, q, "hellinger_distance");
  const auto pn = checked_counts(p, "hellinger_distance", "p"),
             qn = checked_counts(q, "hellinger_distance", "q");
  double s = 0;
  for (std::size_t i = 0; i < pn.size(); ++i) {
    const double d = std::sqrt(pn[i]) - std::sqrt(qn[i]);
    s += d * d;
  }
  return std::min(1.0, std::sqrt(s / 2.0));
}

inline std::vector<double> smoothed_proportions(std::span<const double> counts, double eps,
                                                const char* name) {
  if (!(eps >= 0) || !std::isfinite(eps))
    throw ::stratum::usage_error("smoothing eps must be finite and >= 0");
  auto p = detail::divergence::checked_counts(counts, "psi", name);
  if (eps > 0) {
    const double norm = 1.0 + static_cast<double>(p.size()) * eps;
    for (auto& x : p) x = (x + eps) / norm;
  }
  return p;
}

inline double psi(std::span<const double> expected, std::span<const double> actual, double eps) {
  detail::divergence::check_same_size(expected, actual, "psi");
  const auto e = smoothed_proportions(expected, eps, "expected");
  const auto a = smoothed_proportions(actual, eps, "actual");
  double s = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (a[i] == e[i]) continue;  // includes both zero
    if (a[i] == 0 || e[i] == 0) return std::numeric_limits<double>::infinity();
    s += (a[i] - e[i]) * std::log(a[i] / e[i]);
  }
  return s;
}

inline double psi(const histogram& expected, const histogram& actual, double eps) {
  detail::divergence::check_histograms(expected, actual, "psi");
  return psi(expected.cells(), actual.cells(), eps);
}

inline double kl_divergence(const histogram& p, const histogram& q, double eps, double base) {
  detail::divergence::check_histograms(p, q, "kl_divergence");
  return kl_divergence(smoothed_proportions(p.cells(), eps, "p"), smoothed_proportions(q.cells(), eps, "q"),
                       base);
}

inline double js_distance(const histogram& p, const histogram& q, double eps, double base) {
  detail::divergence::check_histograms(p, q, "js_distance");
  return js_distance(smoothed_proportions(p.cells(), eps, "p"), smoothed_proportions(q.cells(), eps, "q"),
                     base);
}

inline double hellinger_distance(const histogram& p, const histogram& q, double eps) {
  detail::divergence::check_histograms(p, q, "hellinger_distance");
  return hellinger_distance(smoothed_proportions(p.cells(), eps, "p"),
                            smoothed_proportions(q.cells(), eps, "q"));
}

}  // namespace stratum::stats
