// Embedding drift: how far a window of embedding vectors has moved from a baseline set.
//
// Inputs are matrices with one observation per row (n x d), as Eigen::MatrixXd (or anything Eigen::Ref
// accepts).
//
// 1. Centroid shift (centroid_shift). With baseline mean mu_b, sample covariance S (ddof = 1, numpy.cov) and
// the
//    window mean mu_w, delta = mu_w - mu_b:
//      ridge       lambda = ridge * tr(S) / d  (ridge * 1 when tr(S) = 0); default ridge = 1e-6
//      z_j         = delta_j / sqrt(S_jj + lambda)             per-dimension shift in baseline standard
//      deviations mahalanobis = sqrt(delta^T (S + lambda I)^-1 delta)
//      scipy.spatial.distance.mahalanobis(mu_w, mu_b, VI)
//                                                              with VI = inv(S + lambda I)
//    The ridge makes S + lambda I positive definite when S is singular (d >= n, collinear or constant
//    dimensions), and is relative to the average variance so that it does not depend on the units; with ridge
//    = 0 and a singular S, std::domain_error is thrown. The solve uses Eigen's LDLT of S + lambda I.
//
// 2. Maximum mean discrepancy (mmd) with the Gaussian RBF kernel k(x, y) = exp(-||x - y||^2 / (2 sigma^2))
//    (Gretton et al. 2012, "A kernel two-sample test", JMLR 13). For X (m rows) and Y (n rows):
//      biased    MMD^2_b = 1/m^2 sum_ij k(x_i, x_j) + 1/n^2 sum_ij k(y_i, y_j) - 2/(mn) sum_ij k(x_i, y_j)
//      unbiased  MMD^2_u = 1/(m(m-1)) sum_{i!=j} k(x_i, x_j) + 1/(n(n-1)) sum_{i!=j} k(y_i, y_j)
//                          - 2/(mn) sum_ij k(x_i, y_j)                       (needs m, n >= 2; may be
//                          negative)
//    Bandwidth (median heuristic): sigma = median of the pairwise Euclidean distances ||z_i - z_j||, i < j,
//    of the pooled sample Z = [X; Y] (numpy.median: mean of the two middle values for an even count). If that
//    median is 0 (more than half of the pairs coincide) the median of the nonzero distances is used; if every
//    point coincides sigma = 1 (then MMD^2 = 0). A positive `bandwidth` argument overrides the heuristic.
//    Permutation p-value: B permutations of the pooled sample, p = (1 + #{b : MMD^2(perm_b) >= MMD^2}) / (1 +
//    B) (Phipson & Smyth 2010: never 0). The bandwidth stays fixed across permutations. Randomness:
//    std::mt19937_64 seeded with the caller's seed (the engine is fully specified by the C++ standard, so the
//    draws are the same on every platform); permutation b is a Fisher-Yates shuffle of the identity 0..N-1 (i
//    = N-1 down to 1, swap i with j uniform in [0, i]), with j drawn by rejection: u = next 64-bit output,
//    redrawn while u >= 2^64 - (2^64 mod (i + 1)), then j = u mod (i + 1) (std::uniform_int_distribution is
//    not specified exactly, so it is not used). Rows perm[0..m-1] form the permuted X. The N x N kernel
//    matrix is built once (N = m + n; 8 N^2 bytes); permutations are evaluated 32 at a time as one matrix
//    product K A with A the N x 32 matrix of their X-indicators.
#pragma once

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>
#include "../core/error.hpp"

namespace stratum::stats {

struct centroid_shift_result {
  Eigen::VectorXd z;        ///< per-dimension shift in baseline standard deviations
  double max_abs_z = 0;     ///< max_j |z_j|
  double mahalanobis = 0;   ///< sqrt(delta^T (S + lambda I)^-1 delta)
  double ridge_lambda = 0;  ///< the lambda actually added to the diagonal
};

enum class mmd_estimator { unbiased, biased };

struct mmd_options {
  mmd_estimator estimator = mmd_estimator::unbiased;
  double bandwidth = 0;          ///< sigma; <= 0 selects the median heuristic
  std::size_t permutations = 0;  ///< 0: no p-value
  std::uint64_t seed = 0;        ///< seed of std::mt19937_64 for the permutations
};

struct mmd_result {
  double mmd2 = 0;
  double bandwidth = 0;  ///< sigma used
  double p_value = 1;    ///< permutation p-value (1 when permutations = 0)
  std::size_t permutations = 0;
};

/// Centroid shift of `window` from `baseline` (rows = observations). Throws std::invalid_argument when the
/// baseline has fewer than 2 rows, the window is empty, the dimensions differ, a value is not finite, or
/// ridge < 0; std::domain_error when S + lambda I is not positive definite.
[[nodiscard]] centroid_shift_result centroid_shift(const Eigen::Ref<const Eigen::MatrixXd>& baseline,
                                                   const Eigen::Ref<const Eigen::MatrixXd>& window,
                                                   double ridge = 1e-6);

/// MMD^2 between x and y (rows = observations) with the RBF kernel; see the header comment.
[[nodiscard]] mmd_result mmd(const Eigen::Ref<const Eigen::MatrixXd>& x,
                             const Eigen::Ref<const Eigen::MatrixXd>& y, const mmd_options& options = {});

/// Median of the pairwise Euclidean distances of the rows of z (the median heuristic, as in mmd).
[[nodiscard]] double median_heuristic_bandwidth(const Eigen::Ref<const Eigen::MatrixXd>& z);

// ---------------------------------------------------------------------------------------------------------------
// Implementation

namespace detail::embedding {

inline void check_finite(const Eigen::Ref<const Eigen::MatrixXd>& m, const char* fn, const char* name) {
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      if (!std::isfinite(m(i, j)))
        throw ::stratum::usage_error(std::string(fn) + ": " + name + "(" + std::to_string(i) + ", " +
                                     std::to_string(j) + ") is not finite");
}

/// Squared distances between all pairs of columns of zt (d x N), by explicit differences (no cancellation,
/// and exactly 0 for coinciding points).
inline Eigen::MatrixXd pairwise_sq_dist(const Eigen::MatrixXd& zt) {
  const Eigen::Index n = zt.cols();
  Eigen::MatrixXd d2(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    d2(j, j) = 0;
    const auto cj = zt.col(j);
    for (Eigen::Index i = j + 1; i < n; ++i) d2(i, j) = (zt.col(i) - cj).squaredNorm();
  }
  d2.triangularView<Eigen::StrictlyUpper>() = d2.transpose();
  return d2;
}

inline double median_of_upper(const Eigen::MatrixXd& d2) {
  const Eigen::Index n = d2.rows();
  std::vector<double> v;
  v.reserve(static_cast<std::size_t>(n * (n - 1) / 2));
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i + 1; j < n; ++j) v.push_back(std::sqrt(d2(i, j)));
  auto median = [](std::vector<double>& a) {
    const std::size_t k = a.size() / 2;
    std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(k), a.end());
    const double hi = a[k];
    if (a.size() % 2) return hi;
    const double lo = *std::max_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(k));
    return lo + (hi - lo) / 2;  // numpy.median: mean of the two middle values
  };
  if (v.empty()) return 1.0;
  double med = median(v);
  if (med > 0) return med;
  v.erase(std::remove(v.begin(), v.end(), 0.0), v.end());
  if (v.empty()) return 1.0;
  return median(v);
}

/// Uniform integer in [0, bound) from a 64-bit engine by rejection (exactly specified, see the header
/// comment).
inline std::uint64_t bounded(std::mt19937_64& g, std::uint64_t bound) {
  // 2^64 mod bound, computed without 128-bit arithmetic: (2^64 - bound) mod bound
  const std::uint64_t rem = (0 - bound) % bound;
  const std::uint64_t limit = 0 - rem;  // 2^64 - rem (0 means 2^64, i.e. no rejection)
  for (;;) {
    const std::uint64_t u = g();
    if (limit == 0 || u < limit) return u % bound;
  }
}

}  // namespace detail::embedding

inline centroid_shift_result centroid_shift(const Eigen::Ref<const Eigen::MatrixXd>& baseline,
                                            const Eigen::Ref<const Eigen::MatrixXd>& window, double ridge) {
  if (baseline.rows() < 2) throw ::stratum::usage_error("centroid_shift: baseline needs at least 2 rows");
  if (window.rows() < 1) throw ::stratum::usage_error("centroid_shift: window is empty");
  if (baseline.cols() < 1 || baseline.cols() != window.cols())
    throw ::stratum::usage_error("centroid_shift: baseline has " + std::to_string(baseline.cols()) +
                                 " columns, window " + std::to_string(window.cols()));
  if (!(ridge >= 0) || !std::isfinite(ridge))
    throw ::stratum::usage_error("centroid_shift: ridge must be >= 0");
  detail::embedding::check_finite(baseline, "centroid_shift", "baseline");
  detail::embedding::check_finite(window, "centroid_shift", "window");
  const Eigen::Index d = baseline.cols();
  const Eigen::RowVectorXd mb = baseline.colwise().mean(), mw = window.colwise().mean();
  const Eigen::MatrixXd centered = baseline.rowwise() - mb;
  const Eigen::MatrixXd s = (centered.transpose() * centered) / static_cast<double>(baseline.rows() - 1);
  const double tr = s.trace();
  centroid_shift_result r;
  r.ridge_lambda = ridge * (tr > 0 ? tr / static_cast<double>(d) : 1.0);
  const Eigen::VectorXd delta = (mw - mb).transpose();
  r.z.resize(d);
  for (Eigen::Index j = 0; j < d; ++j) {
    const double var = s(j, j) + r.ridge_lambda;
    r.z(j) = var > 0 ? delta(j) / std::sqrt(var) : (delta(j) == 0 ? 0.0 : std::copysign(INFINITY, delta(j)));
    r.max_abs_z = std::max(r.max_abs_z, std::abs(r.z(j)));
  }
  Eigen::MatrixXd a = s;
  a.diagonal().array() += r.ridge_lambda;
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(a);
  if (ldlt.info() != Eigen::Success || !ldlt.isPositive() || (ldlt.vectorD().array() <= 0).any())
    throw std::domain_error(
        "centroid_shift: the baseline covariance plus ridge is not positive definite "
        "(use ridge > 0)");
  const Eigen::VectorXd sol = ldlt.solve(delta);
  r.mahalanobis = std::sqrt(std::max(0.0, delta.dot(sol)));
  return r;
}

inline double median_heuristic_bandwidth(const Eigen::Ref<const Eigen::MatrixXd>& z) {
  if (z.rows() < 2) throw ::stratum::usage_error("median_heuristic_bandwidth: need at least 2 rows");
  detail::embedding::check_finite(z, "median_heuristic_bandwidth", "z");
  const Eigen::MatrixXd zt = z.transpose();
  return detail::embedding::median_of_upper(detail::embedding::pairwise_sq_dist(zt));
}

inline mmd_result mmd(const Eigen::Ref<const Eigen::MatrixXd>& x, const Eigen::Ref<const Eigen::MatrixXd>& y,
                      const mmd_options& options) {
  const bool unbiased = options.estimator == mmd_estimator::unbiased;
  const Eigen::Index m = x.rows(), n = y.rows();
  if (m < (unbiased ? 2 : 1) || n < (unbiased ? 2 : 1))
    throw ::stratum::usage_error(std::string("mmd: each sample needs at least ") + (unbiased ? "2" : "1") +
                                 " rows, got " + std::to_string(m) + " and " + std::to_string(n));
  if (x.cols() < 1 || x.cols() != y.cols())
    throw ::stratum::usage_error("mmd: x has " + std::to_string(x.cols()) + " columns, y " +
                                 std::to_string(y.cols()));
  if (std::isnan(options.bandwidth) || std::isinf(options.bandwidth))
    throw ::stratum::usage_error("mmd: bandwidth must be finite");
  detail::embedding::check_finite(x, "mmd", "x");
  detail::embedding::check_finite(y, "mmd", "y");
  const Eigen::Index nn = m + n;
  Eigen::MatrixXd zt(x.cols(), nn);
  zt.leftCols(m) = x.transpose();
  zt.rightCols(n) = y.transpose();
  Eigen::MatrixXd k = detail::embedding::pairwise_sq_dist(zt);
  mmd_result r;
  r.bandwidth = options.bandwidth > 0 ? options.bandwidth : detail::embedding::median_of_upper(k);
  const double inv2s2 = 1.0 / (2.0 * r.bandwidth * r.bandwidth);
  k = (-k.array() * inv2s2).exp().matrix();  // k(i, i) = exp(0) = 1 exactly
  const double dm = static_cast<double>(m), dn = static_cast<double>(n);
  auto statistic = [&](double sxx, double syy, double sxy) {
    if (unbiased) return (sxx - dm) / (dm * (dm - 1)) + (syy - dn) / (dn * (dn - 1)) - 2.0 * sxy / (dm * dn);
    return sxx / (dm * dm) + syy / (dn * dn) - 2.0 * sxy / (dm * dn);
  };
  r.mmd2 =
      statistic(k.topLeftCorner(m, m).sum(), k.bottomRightCorner(n, n).sum(), k.topRightCorner(m, n).sum());
  r.permutations = options.permutations;
  if (options.permutations == 0) return r;
  // Permutation statistics from a = indicator of the permuted X: Sxx = a'Ka, Sxy = a'r - Sxx, Syy = T - Sxx -
  // 2 Sxy, with r = K 1 and T = 1'r. Indicators are processed in blocks of a fixed width (one matrix product
  // K A per block, padded with zero columns), so every column goes through the same arithmetic: the observed
  // split is column 0 of the first block, and a permutation that reproduces it gives the same bits.
  const Eigen::VectorXd rowsum = k.rowwise().sum();
  const double total = rowsum.sum();
  constexpr Eigen::Index block = 32;
  std::mt19937_64 gen(options.seed);
  std::vector<Eigen::Index> perm(static_cast<std::size_t>(nn));
  Eigen::MatrixXd a(nn, block), ka(nn, block);
  const std::size_t columns = options.permutations + 1;  // column 0: the observed split
  double observed = 0;
  std::size_t at_least = 0;
  for (std::size_t start = 0; start < columns; start += static_cast<std::size_t>(block)) {
    a.setZero();
    const auto width =
        static_cast<Eigen::Index>(std::min<std::size_t>(static_cast<std::size_t>(block), columns - start));
    for (Eigen::Index c = 0; c < width; ++c) {
      if (start + static_cast<std::size_t>(c) == 0) {
        a.col(c).head(m).setOnes();
        continue;
      }
      for (Eigen::Index i = 0; i < nn; ++i) perm[static_cast<std::size_t>(i)] = i;
      for (Eigen::Index i = nn - 1; i >= 1; --i) {
        const auto j =
            static_cast<std::size_t>(detail::embedding::bounded(gen, static_cast<std::uint64_t>(i) + 1));
        std::swap(perm[static_cast<std::size_t>(i)], perm[j]);
      }
      for (Eigen::Index i = 0; i < m; ++i) a(perm[static_cast<std::size_t>(i)], c) = 1.0;
    }
    ka.noalias() = k * a;  // K is symmetric
    for (Eigen::Index c = 0; c < width; ++c) {
      const double sxx = a.col(c).dot(ka.col(c));
      const double sxy = a.col(c).dot(rowsum) - sxx;
      const double syy = total - sxx - 2.0 * sxy;
      const double v = statistic(sxx, syy, sxy);
      if (start + static_cast<std::size_t>(c) == 0)
        observed = v;
      else if (v >= observed)
        ++at_least;
    }
  }
  r.p_value = static_cast<double>(1 + at_least) / static_cast<double>(1 + options.permutations);
  return r;
}

}  // namespace stratum::stats
