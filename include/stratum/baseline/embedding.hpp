// Embedding drift inside the drift profile (docs/drift.md, "Embeddings"): the frames' embedding vectors as
// exact, mergeable moments, and their comparison.
//
// The shape (fixed when the baseline is frozen, from a first pass over its frames: embedding_scan):
//   - d dimensions; dimension j is counted in units of 2^-e_j, e_j chosen so that the baseline's largest
//     |x_j| is below 2^20 units (q_j = round(x_j 2^e_j), half away from zero: a step of at most 2^-19 of the
//     largest value); a window value beyond 2^30 units (1024 times the baseline's largest) is clamped there
//     and counted;
//   - D random Fourier features of the standardised embedding z_j = (x_j - c_j) / s_j (c, s: the baseline's
//     mean and standard deviation, s = 1 for a constant dimension): phi_k = sqrt(2) cos(w_k . z + b_k), the
//     w_kj standard normal / sigma and b_k uniform in [0, 2 pi) (Philox streams of seed 0, Box-Muller), so
//     that E[phi(z) . phi(z')] / D approximates the Gaussian kernel exp(-|z - z'|^2 / (2 sigma^2)) (Rahimi &
//     Recht 2007); sigma^2 = 2 d, the median heuristic's value for standardised data (E|z - z'|^2 = 2 d);
//     the features are counted in units of 2^-20. The frequencies and phases are stored, not re-drawn.
// Per set of frames, over the frames with an embedding, with v = (q, q_phi) of width L = d + D: the number of
// frames, the clamped values, sum v and the upper triangle of sum v v^T, as signed 128-bit integers. Sums of
// integers: merging adds, so any split of the frames gives the same bits.
//
// The comparison of a window with the baseline (per set, compare_embeddings), frames being independent:
//   centroid: delta = mean_w - mean_b of x; per dimension z_j = delta_j / s_bj (the baseline's standard
//     deviation), the largest |z_j| with the interval (delta_j +- z_{1-a/2} sqrt(S_bjj / n_b + S_wjj / n_w))
//     / s_bj; Mahalanobis distance sqrt(delta^T S_b^+ delta) in baseline standard deviations; the test:
//     Hotelling's two-sample T^2 = delta^T (S_p (1/n_b + 1/n_w))^+ delta with the pooled covariance S_p =
//     ((n_b - 1) S_b + (n_w - 1) S_w) / (n_b + n_w - 2), F = T^2 (n - q - 1) / (q (n - 2)) ~ F(q, n - q - 1),
//     n = n_b + n_w, q the rank (Hotelling 1931; Anderson, An Introduction to Multivariate Statistical
//     Analysis, 5.3);
//   distribution: the same test and distance on the random features (a test of the kernel mean embeddings,
//     as Chwialkowski et al. 2015 test analytic representations of the distributions with Hotelling's
//     statistic), and MMD^2 ~= |mean phi_w - mean phi_b|^2 / D.
// Covariances are computed from the integer sums exactly (n sum q_a q_b - sum q_a sum q_b in 128 bits, when
// it fits; else in doubles) and rounded once. Pseudo-inverses take the eigenvalues of the correlation-scaled
// matrix above 1e-9 of the largest; a dimension constant on both sides leaves the rank, one constant at two
// different values makes the test's p-value 0.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <boost/math/distributions/fisher_f.hpp>

#include "../core/error.hpp"
#include "../core/frame.hpp"
#include "../detail/binary.hpp"
#include "../stats/rng.hpp"

namespace stratum::baseline {

__extension__ typedef __int128 int128;

inline constexpr std::size_t max_embedding_dims = 256;
inline constexpr std::size_t max_random_features = 256;
inline constexpr std::size_t default_random_features = 32;
inline constexpr int embedding_unit_bits = 20;                       // the baseline's largest |x| < 2^20
inline constexpr double embedding_clamp = 1073741824.0;              // 2^30 units
inline constexpr std::uint32_t random_feature_domain = 0x52464653u;  // "RFFS"

/// The shape of a profile's embedding moments (see the top of this file); empty: no embeddings.
struct embedding_shape {
  std::vector<std::int32_t> exponent;  // per dimension
  std::vector<double> centre, scale;   // the standardisation of the random features
  std::uint32_t features = 0;          // D
  std::vector<double> freq;            // D x d, row-major (already divided by sigma)
  std::vector<double> phase;           // D

  [[nodiscard]] std::size_t dims() const noexcept { return exponent.size(); }
  [[nodiscard]] bool empty() const noexcept { return exponent.empty(); }
  [[nodiscard]] std::size_t width() const noexcept { return dims() + features; }
  friend bool operator==(const embedding_shape&, const embedding_shape&) = default;

  void write(detail::byte_writer& w) const {
    w.u64(dims());
    for (const auto e : exponent) w.i64(e);
    for (const auto c : centre) w.f64(c);
    for (const auto s : scale) w.f64(s);
    w.u64(features);
    for (const auto f : freq) w.f64(f);
    for (const auto p : phase) w.f64(p);
  }
  /// The shape write() wrote; input_error naming the offset and the field when it is not a valid shape.
  [[nodiscard]] static embedding_shape read(detail::byte_reader& r) {
    embedding_shape s;
    const auto d = r.u64();
    if (d == 0 || d > max_embedding_dims)
      r.fail("embedding dimensions " + std::to_string(d) + " not in [1, " +
             std::to_string(max_embedding_dims) + "]");
    r.need_array(d, 24, "the embedding's exponents, centres and scales");
    for (std::uint64_t j = 0; j < d; ++j) {
      const auto e = r.i64();
      if (e < -1100 || e > 1100) r.fail("an embedding exponent out of [-1100, 1100]");
      s.exponent.push_back(static_cast<std::int32_t>(e));
    }
    for (std::uint64_t j = 0; j < d; ++j) {
      s.centre.push_back(r.f64());
      if (!std::isfinite(s.centre.back())) r.fail("an embedding centre is not finite");
    }
    for (std::uint64_t j = 0; j < d; ++j) {
      s.scale.push_back(r.f64());
      if (!(s.scale.back() > 0) || !std::isfinite(s.scale.back())) r.fail("an embedding scale is not > 0");
    }
    const auto D = r.u64();
    if (D == 0 || D > max_random_features)
      r.fail("random features " + std::to_string(D) + " not in [1, " + std::to_string(max_random_features) +
             "]");
    s.features = static_cast<std::uint32_t>(D);
    r.need_array(D * (d + 1), 8, "the random features' frequencies and phases");
    for (std::uint64_t i = 0; i < D * d + D; ++i) {
      const double v = r.f64();
      if (!std::isfinite(v)) r.fail("a random feature's frequency or phase is not finite");
      (i < D * d ? s.freq : s.phase).push_back(v);
    }
    return s;
  }
};

/// The embedding moments of one set of frames. The sums of products are held in two parts, 128-bit totals
/// and 64-bit sums added since (the frame loop adds 64-bit integers, which vectorise; they move into the
/// totals before they could overflow): the value is their sum, cross(i).
class embedding_sums {
 public:
  std::uint64_t frames = 0;   // frames with an embedding
  std::uint64_t clamped = 0;  // values beyond 2^30 units, clamped
  std::vector<int128> sum;    // L

  [[nodiscard]] bool empty() const noexcept { return frames == 0; }
  [[nodiscard]] std::size_t products() const noexcept { return total_.size(); }
  /// Sum over the frames of v_a v_b, entry i of the upper triangle (row by row).
  [[nodiscard]] int128 cross(std::size_t i) const noexcept { return total_[i] + pending_[i]; }
  void init(std::size_t width) {
    sum.assign(width, 0);
    total_.assign(width * (width + 1) / 2, 0);
    pending_.assign(total_.size(), 0);
    budget_ = 0;
  }
  /// Sets entry i of the sums of products (a reader's).
  void set_cross(std::size_t i, int128 v) noexcept {
    total_[i] = v;
    pending_[i] = 0;
  }
  /// Adds a frame: v (`width` values) and its products (the upper triangle), every |product| at most
  /// `bound` (<= 2^62).
  void add_frame(const std::int64_t* v, std::size_t width, const std::int64_t* prods, std::uint64_t bound,
                 std::uint64_t clamps) {
    if (sum.empty()) init(width);
    if (budget_ > limit - bound) flush();  // |pending| <= budget <= 2^63 - 1
    budget_ += bound;
    ++frames;
    clamped += clamps;
    for (std::size_t a = 0; a < sum.size(); ++a) sum[a] += v[a];
    std::int64_t* p = pending_.data();
    const std::size_t n = pending_.size();
    for (std::size_t i = 0; i < n; ++i) p[i] += prods[i];
  }
  void add(const embedding_sums& o) {
    if (o.empty()) return;
    if (sum.empty()) init(o.sum.size());
    frames += o.frames;
    clamped += o.clamped;
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += o.sum[i];
    for (std::size_t i = 0; i < total_.size(); ++i) total_[i] += o.cross(i);
  }
  friend bool operator==(const embedding_sums& a, const embedding_sums& b) {
    if (a.frames != b.frames || a.clamped != b.clamped || a.sum != b.sum || a.products() != b.products())
      return false;
    for (std::size_t i = 0; i < a.products(); ++i)
      if (a.cross(i) != b.cross(i)) return false;
    return true;
  }

 private:
  static constexpr std::uint64_t limit = 0x7fffffffffffffffULL;  // |pending| stays at most 2^63 - 1
  std::vector<int128> total_;
  std::vector<std::int64_t> pending_;
  std::uint64_t budget_ = 0;
  void flush() noexcept {
    for (std::size_t i = 0; i < total_.size(); ++i) {
      total_[i] += pending_[i];
      pending_[i] = 0;
    }
    budget_ = 0;
  }
};

inline void put_int128(detail::byte_writer& w, int128 v) {
  w.i64(static_cast<std::int64_t>(v >> 64));
  w.u64(static_cast<std::uint64_t>(v));
}
[[nodiscard]] inline int128 get_int128(detail::byte_reader& r) {
  const auto hi = r.i64();
  const auto lo = r.u64();
  return static_cast<int128>((static_cast<int128>(hi) << 64) | static_cast<int128>(lo));
}

/// The first pass of a freeze over the frames' embeddings: the largest magnitude, mean and variance of each
/// dimension (Welford), from which shape() fixes the units and the random features.
class embedding_scan {
 public:
  /// Adds a frame's embedding (none: nothing). input_error naming the frame on a dimension count other than
  /// the first embedding's, or on a value that is not finite.
  void add(const frame& f) {
    const auto& x = f.embedding;
    if (x.empty()) return;
    if (x.size() > max_embedding_dims)
      throw input_error("frame " + std::to_string(f.id) + ": embedding has " + std::to_string(x.size()) +
                        " values, at most " + std::to_string(max_embedding_dims));
    if (n_ == 0) {
      max_.assign(x.size(), 0), mean_.assign(x.size(), 0), m2_.assign(x.size(), 0);
    } else if (x.size() != max_.size()) {
      throw input_error("frame " + std::to_string(f.id) + ": embedding has " + std::to_string(x.size()) +
                        " values, the first frame with one had " + std::to_string(max_.size()));
    }
    for (std::size_t j = 0; j < x.size(); ++j)
      if (!std::isfinite(x[j]))
        throw input_error("frame " + std::to_string(f.id) + ": embedding[" + std::to_string(j) +
                          "] is not finite");
    ++n_;
    for (std::size_t j = 0; j < x.size(); ++j) {
      max_[j] = std::max(max_[j], std::fabs(x[j]));
      const double d = x[j] - mean_[j];
      mean_[j] += d / static_cast<double>(n_);
      m2_[j] += d * (x[j] - mean_[j]);
    }
  }
  [[nodiscard]] std::uint64_t frames() const noexcept { return n_; }
  /// The shape (empty when no frame had an embedding) with `features` random features.
  [[nodiscard]] embedding_shape shape(std::size_t features = default_random_features) const {
    embedding_shape s;
    if (n_ == 0) return s;
    if (features < 1 || features > max_random_features)
      throw usage_error("embedding drift: random features must be in [1, " +
                        std::to_string(max_random_features) + "]");
    const std::size_t d = max_.size();
    for (std::size_t j = 0; j < d; ++j) {
      int k = 0;
      (void)std::frexp(max_[j], &k);  // max = m 2^k, m in [0.5, 1): max 2^(20 - k) < 2^20
      s.exponent.push_back(max_[j] > 0 ? std::clamp(embedding_unit_bits - k, -1100, 1100) : 0);
      s.centre.push_back(mean_[j]);
      const double sd = n_ > 1 ? std::sqrt(m2_[j] / static_cast<double>(n_ - 1)) : 0.0;
      s.scale.push_back(sd > 0 && std::isfinite(sd) ? sd : 1.0);
    }
    s.features = static_cast<std::uint32_t>(features);
    const double inv_sigma = 1.0 / std::sqrt(2.0 * static_cast<double>(d));
    for (std::size_t k = 0; k < features; ++k) {
      for (std::size_t j = 0; j < d; ++j) {
        const double u1 = stats::stream_uniform(0, k, 2 * j, random_feature_domain);
        const double u2 = stats::stream_uniform(0, k, 2 * j + 1, random_feature_domain);
        s.freq.push_back(std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2 * std::numbers::pi * u2) * inv_sigma);
      }
      s.phase.push_back(2 * std::numbers::pi * stats::stream_uniform(0, k, 2 * d, random_feature_domain));
    }
    return s;
  }

 private:
  std::uint64_t n_ = 0;
  std::vector<double> max_, mean_, m2_;
};

/// The integer vector v of a frame's embedding x (see the top of this file) into q (width()); returns the
/// number of clamped values. x must have dims() finite values.
inline std::uint64_t encode_embedding(const embedding_shape& s, std::span<const double> x, std::int64_t* q) {
  std::uint64_t clamped = 0;
  const std::size_t d = s.dims();
  for (std::size_t j = 0; j < d; ++j) {
    double v = std::ldexp(x[j], s.exponent[j]);
    if (std::fabs(v) > embedding_clamp) {
      v = std::copysign(embedding_clamp, v);
      ++clamped;
    }
    q[j] = std::llround(v);
  }
  for (std::size_t k = 0; k < s.features; ++k) {
    double a = s.phase[k];
    const double* w = s.freq.data() + k * d;
    for (std::size_t j = 0; j < d; ++j) a += w[j] * ((x[j] - s.centre[j]) / s.scale[j]);
    const double phi = std::numbers::sqrt2 * std::cos(a);
    q[d + k] = std::llround(std::ldexp(phi, embedding_unit_bits));
  }
  return clamped;
}

/// The mean and the covariance (ddof 1) of a block of v (first .. first + count - 1), in the values' units.
struct embedding_moments {
  double n = 0;
  Eigen::VectorXd mean;
  Eigen::MatrixXd cov;
};

[[nodiscard]] inline embedding_moments moments_of(const embedding_sums& e, const embedding_shape& s,
                                                  std::size_t first, std::size_t count) {
  embedding_moments m;
  m.n = static_cast<double>(e.frames);
  const auto n = static_cast<int128>(e.frames);
  const std::size_t L = e.sum.size();
  const auto unit = [&](std::size_t i) { return i < s.dims() ? s.exponent[i] : embedding_unit_bits; };
  m.mean.resize(static_cast<Eigen::Index>(count));
  m.cov.resize(static_cast<Eigen::Index>(count), static_cast<Eigen::Index>(count));
  for (std::size_t a = 0; a < count; ++a)
    m.mean[static_cast<Eigen::Index>(a)] =
        std::ldexp(static_cast<double>(e.sum[first + a]) / m.n, -unit(first + a));
  for (std::size_t a = 0; a < count; ++a)
    for (std::size_t b = a; b < count; ++b) {
      const std::size_t i = first + a, j = first + b;
      const int128 sij = e.cross(i * L - i * (i - 1) / 2 + (j - i));
      double c = 0;
      int128 p1 = 0, p2 = 0, diff = 0;
      if (!__builtin_mul_overflow(n, sij, &p1) && !__builtin_mul_overflow(e.sum[i], e.sum[j], &p2) &&
          !__builtin_sub_overflow(p1, p2, &diff))
        c = static_cast<double>(diff) / (m.n * (m.n - 1));  // exact, rounded once (twice with the division)
      else
        c = (static_cast<double>(sij) - static_cast<double>(e.sum[i]) * static_cast<double>(e.sum[j]) / m.n) /
            (m.n - 1);
      c = std::ldexp(c, -unit(i) - unit(j));
      m.cov(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = c;
      m.cov(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(a)) = c;
    }
  return m;
}

/// d^T V^+ d over the eigenvalues of V above 1e-9 of the largest (the pseudo-inverse); the rank in q. The
/// drift tests' Wald statistic and the embeddings' Hotelling statistic.
inline double pseudo_quadratic(const Eigen::VectorXd& d, const Eigen::MatrixXd& v, std::size_t& q) {
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(v);
  const auto& ev = es.eigenvalues();
  const double top = ev.size() ? ev.maxCoeff() : 0.0;
  double t2 = 0;
  q = 0;
  if (!(top > 0)) return 0;
  const Eigen::VectorXd proj = es.eigenvectors().transpose() * d;
  for (Eigen::Index i = 0; i < ev.size(); ++i)
    if (ev[i] > top * 1e-9) {
      t2 += proj[i] * proj[i] / ev[i];
      ++q;
    }
  return t2;
}

namespace embedding_detail {

/// d^T V^+ d and the rank of V, on V scaled to unit diagonal (dimensions of zero variance left out; `jump`
/// set when one of them differs in d).
inline double quadratic(const Eigen::VectorXd& d, const Eigen::MatrixXd& v, std::size_t& rank, bool& jump) {
  std::vector<Eigen::Index> keep;
  jump = false;
  for (Eigen::Index i = 0; i < d.size(); ++i) {
    if (v(i, i) > 0)
      keep.push_back(i);
    else if (d[i] != 0)
      jump = true;
  }
  const auto k = static_cast<Eigen::Index>(keep.size());
  rank = 0;
  if (k == 0) return 0;
  Eigen::MatrixXd c(k, k);
  Eigen::VectorXd y(k);
  for (Eigen::Index a = 0; a < k; ++a) {
    const double sa = std::sqrt(v(keep[a], keep[a]));
    y[a] = d[keep[a]] / sa;
    for (Eigen::Index b = 0; b < k; ++b)
      c(a, b) = v(keep[a], keep[b]) / (sa * std::sqrt(v(keep[b], keep[b])));
  }
  return pseudo_quadratic(y, c, rank);
}

}  // namespace embedding_detail

/// Hotelling's two-sample test and the Mahalanobis distance of one block of the embedding moments.
struct hotelling_result {
  double mahalanobis = 0;  // sqrt(delta^T S_b^+ delta)
  double t2 = 0, f = 0, df1 = 0, df2 = 0;
  double p_value = 1;
  bool tested = false;  // false: too few frames for the rank (n - q - 1 < 1)
};

[[nodiscard]] inline hotelling_result hotelling(const embedding_moments& b, const embedding_moments& w) {
  hotelling_result r;
  const Eigen::VectorXd delta = w.mean - b.mean;
  std::size_t q = 0;
  bool jump = false;
  r.mahalanobis = std::sqrt(embedding_detail::quadratic(delta, b.cov, q, jump));
  if (jump) r.mahalanobis = INFINITY;
  const double n = b.n + w.n;
  const Eigen::MatrixXd pooled = ((b.n - 1) * b.cov + (w.n - 1) * w.cov) / (n - 2);
  r.t2 = embedding_detail::quadratic(delta, pooled * (1 / b.n + 1 / w.n), q, jump);
  r.df1 = static_cast<double>(q);
  r.df2 = n - r.df1 - 1;
  if (jump) {
    r.tested = true, r.t2 = INFINITY, r.f = INFINITY, r.p_value = 0;
    return r;
  }
  if (q == 0) {
    r.tested = true, r.p_value = 1;
    return r;
  }
  if (!(r.df2 >= 1)) return r;
  r.tested = true;
  r.f = r.t2 * r.df2 / (r.df1 * (n - 2));
  r.p_value = r.f > 0 ? boost::math::cdf(boost::math::complement(
                            boost::math::fisher_f_distribution<double>(r.df1, r.df2), r.f))
                      : 1.0;
  return r;
}

/// A window's embeddings against the baseline's, for one set of frames (see the top of this file).
struct embedding_comparison {
  hotelling_result centroid, distribution;
  std::size_t dimension = 0;               // the dimension of the largest |z_j|
  double z = 0, z_lower = 0, z_upper = 0;  // its shift in baseline standard deviations, with the interval
  double mmd2 = 0;                         // |mean phi_w - mean phi_b|^2 / D
};

/// Compares two sets' embedding moments of the same shape; `zq` the normal quantile of the interval. Needs at
/// least 2 frames with an embedding on each side.
[[nodiscard]] inline embedding_comparison compare_embeddings(const embedding_sums& base,
                                                             const embedding_sums& window,
                                                             const embedding_shape& s, double zq) {
  if (base.frames < 2 || window.frames < 2)
    throw usage_error("embedding drift: fewer than 2 frames on a side");
  embedding_comparison c;
  const std::size_t d = s.dims(), D = s.features;
  const auto bx = moments_of(base, s, 0, d), wx = moments_of(window, s, 0, d);
  c.centroid = hotelling(bx, wx);
  double best = -1;
  for (std::size_t j = 0; j < d; ++j) {
    const auto i = static_cast<Eigen::Index>(j);
    const double delta = wx.mean[i] - bx.mean[i], vb = bx.cov(i, i), vw = wx.cov(i, i);
    const double sd = std::sqrt(vb);
    const double z = sd > 0 ? delta / sd : (delta == 0 ? 0.0 : std::copysign(INFINITY, delta));
    if (std::fabs(z) > best) {
      best = std::fabs(z);
      c.dimension = j, c.z = z;
      const double half = sd > 0 ? zq * std::sqrt(vb / bx.n + vw / wx.n) / sd : 0.0;
      c.z_lower = z - half, c.z_upper = z + half;
    }
  }
  const auto bf = moments_of(base, s, d, D), wf = moments_of(window, s, d, D);
  c.distribution = hotelling(bf, wf);
  c.mmd2 = (wf.mean - bf.mean).squaredNorm() / static_cast<double>(D);
  return c;
}

}  // namespace stratum::baseline
