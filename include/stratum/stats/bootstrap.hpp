// Poisson bootstrap as weights on units (frames or items), with mergeable per-replicate sums, and the
// percentile and BCa intervals of scipy.stats.bootstrap (scipy 1.10.1).
//
// Resampling scheme. Replicate b gives unit u the weight w_b(u) = poisson_weight(seed, u, b) (stratum/stats/
// rng.hpp): Poisson(1), a pure function of (seed, unit, replicate). This is the Poisson bootstrap
// (Hanley & MacGibbon 2006; Chamandy et al. 2012): it approximates the multinomial bootstrap of the units and
// needs no knowledge of the number of units, so shards need no coordination. A unit may contribute several
// rows (e.g. all detections of one frame): rows with the same unit id always share the weight, so the
// bootstrap resamples units, not rows (the cluster bootstrap).
//
// bootstrap_sums keeps, for every replicate b and column j, S_bj = sum over rows of w_b(unit) * x_j, and the
// full-sample totals T_j = sum over rows of x_j. Statistics that are functions of such sums (means, ratios,
// proportions, per-bin calibration sums) get their bootstrap distribution as f(S_b.) for b = 0..B-1.
// The sums are exact: each is an integer multiple of 2^-1074 held in 68 limbs of 32 bits (a fixed-point
// superaccumulator wide enough for every finite double; the product w * x is exact too, the weight multiplies
// the limbs), rounded to the nearest double (ties to even) only when read. Hence merge (+=) is associative
// and commutative bit for bit: any split of the rows, merged in any order, serialises to the same bytes as
// one pass.
//
// Intervals (scipy.stats.bootstrap, scipy 1.10.1, scipy/stats/_resampling.py), for confidence level c and
// alpha = (1 - c) / 2, from the replicate statistics theta*_1..theta*_B:
//   percentile: [P(alpha), P(1 - alpha)], P(a) = numpy.percentile(theta*, 100 a) with the default 'linear'
//               method (numpy 1.24: q = (100 a) / 100, v = (B - 1) q, i = floor(v), g = v - i,
//               lerp(x_(i), x_(i+1), g) = x_(i) + (x_(i+1) - x_(i)) g, or x_(i+1) - (x_(i+1) - x_(i))(1 - g)
//               when g >= 0.5; v >= B - 1 gives x_(B)).
//   BCa (Efron 1987, "Better bootstrap confidence intervals", JASA 82; Efron & Tibshirani 1993, 14.3):
//               z0 = Phi^-1(p), p = (#{theta* < theta^} + #{theta* <= theta^}) / (2B) (_percentile_of_score)
//               jackknife values theta_(i), i = 1..n: U_i = (n - 1)(mean(theta_(.)) - theta_(i)),
//               a = (1/6) (sum U_i^3 / n^3) / (sum U_i^2 / n^2)^(3/2)
//               a1 = Phi(z0 + (z0 + z_alpha) / (1 - a (z0 + z_alpha))), a2 likewise with z_(1-alpha) =
//               -z_alpha interval [P(a1), P(a2)].
//   Sums over the jackknife values use numpy's pairwise summation, so identical inputs give scipy's numbers
//   to the last bits. When a1 or a2 is NaN (degenerate distribution: z0 infinite with a != 0, or all
//   jackknife values equal so that a = 0/0), scipy warns and returns NaN; so do we, and set `degenerate`.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/math/distributions/normal.hpp>

#include "../core/error.hpp"
#include "../detail/fp_barrier.hpp"
#include "../detail/numpy.hpp"
#include "rng.hpp"

namespace stratum::stats {

namespace detail {

// ------------------------------------------------------------------------------------------------------------
// Exact summation of doubles (also used by the calibration states).
//
// A finite double is m * 2^(p - 1074) with an integer m < 2^53 and p = max(biased exponent, 1) - 1 in
// [0, 2045]. Limb i holds a signed count of units 2^(32 i - 1074); the value's 53-bit mantissa shifted by
// p mod 32 spans at most three limbs starting at p / 32 (<= 63). Limbs are int64 and absorb up to 2^24 adds
// of at most 2^37 each (a 32-bit chunk times a weight <= 31) before carries must be propagated; the two top
// limbs only receive carries. Canonical form: limbs 0..66 in [0, 2^32), limb 67 signed; it is unique per
// value.
// ------------------------------------------------------------------------------------------------------------

inline constexpr int exact_limbs = 68;
inline constexpr std::uint64_t exact_pending_limit = std::uint64_t{1} << 24;

struct exact_split {
  std::int64_t part[3] = {0, 0, 0};  // signed 32/32/21-bit pieces, lowest first
  std::uint32_t mag[3] = {0, 0, 0};  // their magnitudes
  bool negative = false;
  int chunk = 0;  // limb index of part[0]
};

/// x (finite) as three signed limb contributions.
[[nodiscard]] inline exact_split split_double(double x) noexcept {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  const int e = static_cast<int>((bits >> 52) & 0x7ff);
  std::uint64_t m = bits & ((std::uint64_t{1} << 52) - 1);
  int p = 0;
  if (e != 0) {
    m |= std::uint64_t{1} << 52;
    p = e - 1;
  }
  const int s = p & 31;
  const std::uint64_t lo = (m << s) & 0xffffffffu;  // low 32 bits of m * 2^s
  const std::uint64_t t = (m >> 1) >> (31 - s);     // (m * 2^s) >> 32, without overflow
  exact_split r;
  r.chunk = p >> 5;
  const std::int64_t sign = (bits >> 63) ? -1 : 1;
  r.negative = sign < 0;
  r.mag[0] = static_cast<std::uint32_t>(lo);
  r.mag[1] = static_cast<std::uint32_t>(t & 0xffffffffu);
  r.mag[2] = static_cast<std::uint32_t>(t >> 32);
  for (int q = 0; q < 3; ++q) r.part[q] = sign * static_cast<std::int64_t>(r.mag[q]);
  return r;
}

/// Propagates carries of the limbs at l[0], l[stride], ..., l[67 * stride] to canonical form.
inline void exact_normalize(std::int64_t* l, std::ptrdiff_t stride) noexcept {
  std::int64_t carry = 0;
  for (int i = 0; i < exact_limbs - 1; ++i) {
    const std::int64_t v = l[i * stride] + carry;
    carry = v >> 32;  // floor division (C++20 arithmetic shift)
    l[i * stride] = v & 0xffffffff;
  }
  l[(exact_limbs - 1) * stride] += carry;
}

/// Canonical limbs (any stride) copied into a contiguous array.
[[nodiscard]] inline std::array<std::int64_t, exact_limbs> exact_canonical(const std::int64_t* l,
                                                                           std::ptrdiff_t stride) noexcept {
  std::array<std::int64_t, exact_limbs> a{};
  for (int i = 0; i < exact_limbs; ++i) a[static_cast<std::size_t>(i)] = l[i * stride];
  exact_normalize(a.data(), 1);
  return a;
}

/// The canonical limbs rounded to the nearest double, ties to even (+-inf beyond the double range).
[[nodiscard]] inline double exact_to_double(std::array<std::int64_t, exact_limbs> a) noexcept {
  const bool neg = a[exact_limbs - 1] < 0;
  if (neg) {  // -V = ~V + 1 limb-wise (see the canonical form)
    for (int i = 0; i < exact_limbs - 1; ++i)
      a[static_cast<std::size_t>(i)] = 0xffffffff - a[static_cast<std::size_t>(i)];
    a[exact_limbs - 1] = -a[exact_limbs - 1] - 1;
    a[0] += 1;
    exact_normalize(a.data(), 1);
  }
  int h = exact_limbs - 1;
  while (h >= 0 && a[static_cast<std::size_t>(h)] == 0) --h;
  if (h < 0) return 0.0;
  if (a[static_cast<std::size_t>(h)] > 0xffffffff) return neg ? -HUGE_VAL : HUGE_VAL;  // >= 2^1102
  auto limb = [&](int i) -> std::uint64_t {
    return i >= 0 ? static_cast<std::uint64_t>(a[static_cast<std::size_t>(i)]) : 0;
  };
  const std::uint64_t hi = limb(h), mid = limb(h - 1), lo = limb(h - 2);
  const int k = static_cast<int>(std::bit_width(hi));  // 1..32
  // Top 64 bits of hi:mid:lo (k + 64 bits) and a sticky bit for everything below.
  const std::uint64_t top = (hi << (64 - k)) | (mid << (32 - k)) | (lo >> k);
  bool sticky = (lo & ((std::uint64_t{1} << k) - 1)) != 0;
  for (int i = h - 3; i >= 0 && !sticky; --i) sticky = a[static_cast<std::size_t>(i)] != 0;
  std::uint64_t r = top >> 11;
  const std::uint64_t rem = top & 0x7ff;
  if ((rem & 0x400) && ((rem & 0x3ff) != 0 || sticky || (r & 1))) ++r;  // r <= 2^53: exact as a double
  const double v = std::ldexp(static_cast<double>(r), 32 * (h - 2) + k + 11 - 1074);
  return neg ? -v : v;
}

/// An exact running sum of doubles: add, merge (+=), read rounded once.
class exact_sum {
 public:
  /// Adds x (finite; infinities and NaN are the caller's to reject).
  void add(double x) noexcept { add_split(split_double(x), 1); }
  /// Adds w * x, x given by its split and w in [-31, 31].
  void add_split(const exact_split& s, std::int64_t w) noexcept {
    for (int q = 0; q < 3; ++q) limb_[static_cast<std::size_t>(s.chunk + q)] += w * s.part[q];
    if (++pending_ >= exact_pending_limit) normalize();
  }
  exact_sum& operator+=(const exact_sum& o) noexcept {
    for (std::size_t i = 0; i < limb_.size(); ++i) limb_[i] += o.limb_[i];
    pending_ += o.pending_ + 1;
    if (pending_ >= exact_pending_limit) normalize();
    return *this;
  }
  [[nodiscard]] double value() const noexcept { return exact_to_double(canonical()); }
  [[nodiscard]] std::array<std::int64_t, exact_limbs> canonical() const noexcept {
    return exact_canonical(limb_.data(), 1);
  }
  /// Equal values (the canonical limbs are unique).
  [[nodiscard]] friend bool operator==(const exact_sum& a, const exact_sum& b) noexcept {
    return a.canonical() == b.canonical();
  }
  /// Replaces the state by canonical limbs (from deserialisation).
  void assign_canonical(const std::array<std::int64_t, exact_limbs>& c) noexcept {
    limb_ = c;
    pending_ = 0;
  }
  void normalize() noexcept {
    exact_normalize(limb_.data(), 1);
    pending_ = 0;
  }

 private:
  std::array<std::int64_t, exact_limbs> limb_{};
  std::uint64_t pending_ = 0;
};

// ------------------------------------------------------------------------------------------------------------
// Binary format helpers: little-endian fields, a 4-byte magic, a u32 version, and a trailing CRC-32
// (IEEE 802.3: reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF; the check value of
// "123456789" is 0xCBF43926) over everything before it. Readers check every length before reading or
// allocating and throw stratum::input_error naming the format, the offset and the problem.
// ------------------------------------------------------------------------------------------------------------

[[nodiscard]] constexpr std::array<std::uint32_t, 256> make_crc32_table() noexcept {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
    t[i] = c;
  }
  return t;
}
inline constexpr std::array<std::uint32_t, 256> crc32_table = make_crc32_table();

[[nodiscard]] inline std::uint32_t crc32(std::span<const std::byte> data) noexcept {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::byte b : data) c = crc32_table[(c ^ static_cast<std::uint32_t>(b)) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

class byte_writer {
 public:
  byte_writer(const char (&magic)[5], std::uint32_t version) {
    for (int i = 0; i < 4; ++i) buf_.push_back(static_cast<std::byte>(magic[i]));
    u32(version);
  }
  void u8(std::uint8_t v) { buf_.push_back(static_cast<std::byte>(v)); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v), 8); }
  void f64(double v) { put(std::bit_cast<std::uint64_t>(v), 8); }
  /// Canonical exact-sum limbs: first non-zero limb index, count, then the limbs (zero: count 0).
  void limbs(const std::array<std::int64_t, exact_limbs>& a) {
    int lo = 0, hi = exact_limbs - 1;
    while (lo < exact_limbs && a[static_cast<std::size_t>(lo)] == 0) ++lo;
    while (hi >= lo && a[static_cast<std::size_t>(hi)] == 0) --hi;
    const int n = hi - lo + 1;
    u8(static_cast<std::uint8_t>(n > 0 ? lo : 0));
    u8(static_cast<std::uint8_t>(n));
    for (int i = lo; i <= hi; ++i) i64(a[static_cast<std::size_t>(i)]);
  }
  /// Appends the CRC-32 and returns the bytes.
  [[nodiscard]] std::vector<std::byte> finish() && {
    u32(crc32(buf_));
    return std::move(buf_);
  }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) buf_.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
  }
  std::vector<std::byte> buf_;
};

class byte_reader {
 public:
  /// Checks size, magic, CRC and version; the reader then covers the payload (without the CRC).
  byte_reader(std::span<const std::byte> bytes, const char (&magic)[5], std::uint32_t version,
              std::string what)
      : what_(std::move(what)) {
    if (bytes.size() < 12)
      fail("truncated input: " + std::to_string(bytes.size()) + " bytes, a header and checksum need 12");
    for (int i = 0; i < 4; ++i)
      if (bytes[static_cast<std::size_t>(i)] != static_cast<std::byte>(magic[i]))
        fail(std::string("bad magic: not a serialized ") + what_);
    const auto body = bytes.first(bytes.size() - 4);
    std::uint32_t stored = 0;
    for (int i = 0; i < 4; ++i)
      stored |= static_cast<std::uint32_t>(bytes[bytes.size() - 4 + static_cast<std::size_t>(i)]) << (8 * i);
    if (crc32(body) != stored) fail("checksum mismatch: the data is corrupt or truncated");
    data_ = body;
    pos_ = 4;
    const std::uint32_t v = u32();
    if (v != version)
      fail("unsupported format version " + std::to_string(v) + " (this build reads version " +
           std::to_string(version) + ")");
  }
  [[nodiscard]] std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  [[nodiscard]] std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  [[nodiscard]] std::uint64_t u64() { return get(8); }
  [[nodiscard]] std::int64_t i64() { return static_cast<std::int64_t>(get(8)); }
  [[nodiscard]] double f64() { return std::bit_cast<double>(get(8)); }
  [[nodiscard]] std::array<std::int64_t, exact_limbs> limbs() {
    std::array<std::int64_t, exact_limbs> a{};
    const int lo = u8(), n = u8();
    if (n == 0) {
      if (lo != 0) fail("non-canonical exact sum at offset " + std::to_string(pos_ - 2));
      return a;
    }
    if (lo + n > exact_limbs)
      fail("exact sum limb range out of bounds at offset " + std::to_string(pos_ - 2));
    for (int i = 0; i < n; ++i) a[static_cast<std::size_t>(lo + i)] = i64();
    bool ok = a[static_cast<std::size_t>(lo)] != 0 && a[static_cast<std::size_t>(lo + n - 1)] != 0;
    for (int i = 0; i < exact_limbs - 1; ++i)
      ok = ok && a[static_cast<std::size_t>(i)] >= 0 && a[static_cast<std::size_t>(i)] <= 0xffffffff;
    if (!ok) fail("non-canonical exact sum ending at offset " + std::to_string(pos_));
    return a;
  }
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] std::size_t offset() const noexcept { return pos_; }
  /// Fails unless `count` items of at least `min_bytes` each can still be present.
  void expect(std::uint64_t count, std::uint64_t min_bytes, const char* items) {
    if (min_bytes != 0 && count > remaining() / min_bytes)
      fail("truncated or corrupt input: " + std::to_string(count) + " " + items + " declared at offset " +
           std::to_string(pos_) + " but only " + std::to_string(remaining()) + " bytes remain");
  }
  void finish() {
    if (pos_ != data_.size())
      fail(std::to_string(data_.size() - pos_) + " unexpected trailing bytes at offset " +
           std::to_string(pos_));
  }
  [[noreturn]] void fail(const std::string& msg) const {
    throw stratum::input_error(what_ + " deserialize: " + msg);
  }

 private:
  std::uint64_t get(int n) {
    if (remaining() < static_cast<std::size_t>(n))
      fail("truncated input: need " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) + ", " +
           std::to_string(remaining()) + " remain");
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= static_cast<std::uint64_t>(data_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  std::string what_;
  std::span<const std::byte> data_;
  std::size_t pos_ = 0;
};

// ------------------------------------------------------------------------------------------------------------
// numpy / scipy arithmetic reproduced exactly.
// ------------------------------------------------------------------------------------------------------------

using stratum::detail::numpy_sum;

/// numpy.percentile(x, q_percent) (method 'linear', numpy 1.24) of an ascending, non-empty, NaN-free array.
[[nodiscard]] inline double numpy_percentile_sorted(std::span<const double> x, double q_percent) noexcept {
  const double q = q_percent / 100.0;
  const std::size_t n = x.size();
  const double v = stratum::detail::rounded(static_cast<double>(n - 1) * q);
  double prev_index, a, b;
  if (v >= static_cast<double>(n - 1)) {  // numpy takes the last element (index -1) for both neighbours
    prev_index = -1.0;
    a = b = x[n - 1];
  } else if (v < 0) {
    prev_index = 0.0;
    a = b = x[0];
  } else {
    prev_index = std::floor(v);
    const auto i = static_cast<std::size_t>(prev_index);
    a = x[i];
    b = x[i + 1];
  }
  const double g = v - prev_index;
  const double diff = b - a;
  if (g >= 0.5) return b - stratum::detail::rounded(diff * (1 - g));
  return a + stratum::detail::rounded(diff * g);
}

/// scipy.special.ndtr: the standard normal CDF (Boost.Math), with Phi(-inf) = 0, Phi(inf) = 1, Phi(NaN) =
/// NaN.
[[nodiscard]] inline double ndtr(double x) {
  if (std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(x)) return x < 0 ? 0.0 : 1.0;
  return boost::math::cdf(boost::math::normal_distribution<double>(), x);
}

/// scipy.special.ndtri: the standard normal quantile, with ndtri(0) = -inf, ndtri(1) = inf, NaN outside [0,
/// 1].
[[nodiscard]] inline double ndtri(double p) {
  if (!(p >= 0.0 && p <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0.0) return -HUGE_VAL;
  if (p == 1.0) return HUGE_VAL;
  return boost::math::quantile(boost::math::normal_distribution<double>(), p);
}

inline void check_finite(std::span<const double> v, const char* fn, const char* name) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw std::invalid_argument(std::string(fn) + ": " + name + "[" + std::to_string(i) +
                                  "] is not finite (" + std::to_string(v[i]) + ")");
}

inline void check_confidence_level(double c, const char* fn) {
  if (!(c > 0.0 && c < 1.0))
    throw std::invalid_argument(std::string(fn) + ": confidence_level must lie in (0, 1), got " +
                                std::to_string(c));
}

}  // namespace detail

// ============================================================================================================
// Intervals
// ============================================================================================================

/// A two-sided bootstrap confidence interval and the percentile levels it used.
struct bootstrap_interval {
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  double level_lower = std::numeric_limits<double>::quiet_NaN();  ///< percentile level of `lower`, in [0, 1]
  double level_upper = std::numeric_limits<double>::quiet_NaN();  ///< percentile level of `upper`, in [0, 1]
  double z0 = 0.0;            ///< BCa bias correction (0 for the percentile interval)
  double acceleration = 0.0;  ///< BCa acceleration a (0 for the percentile interval)
  bool degenerate = false;    ///< BCa levels undefined: bounds are NaN (scipy warns DegenerateDataWarning)
};

/// Percentile interval: [P(alpha), P(1 - alpha)] of the replicate statistics, alpha = (1 -
/// confidence_level)/2, P = numpy.percentile (linear). Same as scipy.stats.bootstrap(method='percentile')
/// given the same bootstrap distribution. Throws std::invalid_argument on an empty or non-finite `replicates`
/// or a level outside (0, 1).
[[nodiscard]] inline bootstrap_interval percentile_interval(std::span<const double> replicates,
                                                            double confidence_level = 0.95) {
  constexpr const char* fn = "percentile_interval";
  detail::check_confidence_level(confidence_level, fn);
  if (replicates.empty()) throw std::invalid_argument("percentile_interval: replicates is empty");
  detail::check_finite(replicates, fn, "replicates");
  std::vector<double> sorted(replicates.begin(), replicates.end());
  std::sort(sorted.begin(), sorted.end());
  const double alpha = (1 - confidence_level) / 2;
  bootstrap_interval r;
  r.level_lower = alpha;
  r.level_upper = 1 - alpha;
  r.lower = detail::numpy_percentile_sorted(sorted, alpha * 100);
  r.upper = detail::numpy_percentile_sorted(sorted, (1 - alpha) * 100);
  return r;
}

/// BCa interval (Efron 1987) from the replicate statistics, the full-sample statistic `theta_hat` and the
/// jackknife (leave-one-unit-out) statistics, exactly as scipy.stats.bootstrap(method='BCa') computes it
/// (_bca_interval) for one sample. Throws std::invalid_argument on empty or non-finite inputs, fewer than 2
/// jackknife values or a level outside (0, 1). Degenerate cases give NaN bounds and `degenerate = true`.
[[nodiscard]] inline bootstrap_interval bca_interval(std::span<const double> replicates, double theta_hat,
                                                     std::span<const double> jackknife,
                                                     double confidence_level = 0.95) {
  constexpr const char* fn = "bca_interval";
  detail::check_confidence_level(confidence_level, fn);
  if (replicates.empty()) throw std::invalid_argument("bca_interval: replicates is empty");
  if (jackknife.size() < 2)
    throw std::invalid_argument("bca_interval: jackknife needs at least 2 values, got " +
                                std::to_string(jackknife.size()));
  detail::check_finite(replicates, fn, "replicates");
  detail::check_finite(jackknife, fn, "jackknife");
  if (!std::isfinite(theta_hat)) throw std::invalid_argument("bca_interval: theta_hat is not finite");
  using stratum::detail::rounded;

  std::vector<double> sorted(replicates.begin(), replicates.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t B = sorted.size();
  const auto less =
      static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), theta_hat) - sorted.begin());
  const auto less_eq =
      static_cast<std::size_t>(std::upper_bound(sorted.begin(), sorted.end(), theta_hat) - sorted.begin());
  const double p = static_cast<double>(less + less_eq) / static_cast<double>(2 * B);
  const double z0 = detail::ndtri(p);

  const std::size_t n = jackknife.size();
  const double nd = static_cast<double>(n);
  const double mean = detail::numpy_sum(jackknife.data(), n) / nd;
  std::vector<double> u2(n), u3(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double u = rounded((nd - 1) * rounded(mean - jackknife[i]));
    u2[i] = rounded(u * u);
    u3[i] = std::pow(u, 3.0);
  }
  const double num = detail::numpy_sum(u3.data(), n) / rounded(nd * nd * nd);
  const double den = detail::numpy_sum(u2.data(), n) / rounded(nd * nd);
  const double a = rounded(1.0 / 6 * num) / std::pow(den, 1.5);

  const double alpha = (1 - confidence_level) / 2;
  const double z_alpha = detail::ndtri(alpha);
  const double num1 = z0 + z_alpha;
  const double a1 = detail::ndtr(z0 + num1 / (1 - rounded(a * num1)));
  const double num2 = z0 + -z_alpha;
  const double a2 = detail::ndtr(z0 + num2 / (1 - rounded(a * num2)));

  bootstrap_interval r;
  r.z0 = z0;
  r.acceleration = a;
  r.level_lower = a1;
  r.level_upper = a2;
  if (std::isnan(a1) || std::isnan(a2)) {
    r.degenerate = true;
    if (!std::isnan(a1)) r.lower = detail::numpy_percentile_sorted(sorted, a1 * 100);
    if (!std::isnan(a2)) r.upper = detail::numpy_percentile_sorted(sorted, a2 * 100);
    return r;
  }
  r.lower = detail::numpy_percentile_sorted(sorted, a1 * 100);
  r.upper = detail::numpy_percentile_sorted(sorted, a2 * 100);
  return r;
}

// ============================================================================================================
// bootstrap_sums: mergeable per-replicate weighted sums
// ============================================================================================================

/// Per-replicate exact weighted sums of `width` columns over rows keyed by unit id, under a Poisson(1)
/// bootstrap with `replicates` replicates and seed `seed`. A regular value type: default-constructed is the
/// empty state (the identity of +=, which adopts the other operand's configuration); `add` feeds rows; `+=`
/// merges states of the same configuration; serialize/deserialize round-trip it exactly.
///
/// With keep_units = true the rows are also retained, so that jackknife (leave-one-unit-out) statistics can
/// be computed for BCa; this costs memory proportional to the rows.
class bootstrap_sums {
 public:
  static constexpr std::uint32_t format_version = 1;

  bootstrap_sums() = default;

  /// Throws std::invalid_argument when replicates or width is 0 (or replicates > 2^31).
  bootstrap_sums(std::uint64_t seed, std::uint32_t replicates, std::size_t width, bool keep_units = false)
      : seed_(seed), replicates_(replicates), width_(width), keep_units_(keep_units) {
    if (replicates == 0 || replicates > (std::uint32_t{1} << 31))
      throw std::invalid_argument("bootstrap_sums: replicates must lie in [1, 2^31], got " +
                                  std::to_string(replicates));
    if (width == 0) throw std::invalid_argument("bootstrap_sums: width must be at least 1");
    limbs_.assign(static_cast<std::size_t>(detail::exact_limbs) * width_ * rows_per_limb(), 0);
  }

  [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }
  [[nodiscard]] std::uint32_t replicates() const noexcept { return replicates_; }
  [[nodiscard]] std::size_t width() const noexcept { return width_; }
  [[nodiscard]] bool keeps_units() const noexcept { return keep_units_; }
  [[nodiscard]] bool empty() const noexcept { return width_ == 0; }
  /// Number of rows added (over all merged parts).
  [[nodiscard]] std::uint64_t rows() const noexcept { return rows_; }

  /// The weight of `unit` in replicate `b` (the same function every consumer of this bootstrap uses).
  [[nodiscard]] std::uint32_t weight(std::uint64_t unit, std::uint32_t b) const noexcept {
    return poisson_weight(seed_, unit, b);
  }

  /// Adds one row of `unit`: S_bj += w_b(unit) * values[j], T_j += values[j]. Throws std::invalid_argument on
  /// a size mismatch, a non-finite value, or an empty (default-constructed) state.
  void add(std::uint64_t unit, std::span<const double> values) {
    if (!empty() && values.size() != width_)
      throw std::invalid_argument("bootstrap_sums::add: unit " + std::to_string(unit) + ": values has " +
                                  std::to_string(values.size()) + " entries, width is " +
                                  std::to_string(width_));
    add_rows(unit, values);
  }

  /// Adds several rows of the same unit (values holds k rows of `width` values, row after row), drawing the
  /// unit's weights once: the same state as k calls of add(unit, row). Throws std::invalid_argument when
  /// values.size() is not a positive multiple of the width, on a non-finite value (nothing is added then), or
  /// on an empty state.
  void add_rows(std::uint64_t unit, std::span<const double> values) {
    if (empty())
      throw std::invalid_argument(
          "bootstrap_sums::add: the state has no configuration (default-constructed)");
    if (values.empty() || values.size() % width_ != 0)
      throw std::invalid_argument("bootstrap_sums::add_rows: unit " + std::to_string(unit) + ": values has " +
                                  std::to_string(values.size()) +
                                  " entries, not a positive multiple of the width " + std::to_string(width_));
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]))
        throw std::invalid_argument("bootstrap_sums::add: unit " + std::to_string(unit) + ": row " +
                                    std::to_string(i / width_) + " values[" + std::to_string(i % width_) +
                                    "] is not finite");
    const std::size_t R = rows_per_limb();
    weights_.resize(R);
    fill_poisson_weights(seed_, unit, 0, std::span<std::uint32_t>(weights_.data(), replicates_));
    weights_[replicates_] = 1;  // the full-sample row
    const std::uint32_t* w = weights_.data();
    for (std::size_t k = 0; k < values.size(); k += width_) {
      for (std::size_t j = 0; j < width_; ++j) {
        const auto s = detail::split_double(values[k + j]);
        for (int q = 0; q < 3; ++q) {
          const std::uint32_t mag = s.mag[q];
          if (mag == 0) continue;
          // The limbs are updated as uint64 (the same bits as int64 two's complement arithmetic, which never
          // overflows within the carry budget): a 32 x 32 -> 64-bit product the compiler vectorises.
          auto* row = reinterpret_cast<std::uint64_t*>(
              limbs_.data() + (static_cast<std::size_t>(s.chunk + q) * width_ + j) * R);
          if (s.negative)
            for (std::size_t r = 0; r < R; ++r) row[r] -= std::uint64_t{w[r]} * mag;
          else
            for (std::size_t r = 0; r < R; ++r) row[r] += std::uint64_t{w[r]} * mag;
        }
      }
      if (keep_units_) {
        units_.push_back(unit);
        unit_values_.insert(unit_values_.end(), values.begin() + static_cast<std::ptrdiff_t>(k),
                            values.begin() + static_cast<std::ptrdiff_t>(k + width_));
      }
      ++rows_;
      if (++pending_ >= detail::exact_pending_limit) normalize();
    }
  }
  void add(std::uint64_t unit, std::initializer_list<double> values) {
    add(unit, std::span<const double>(values.begin(), values.size()));
  }

  /// Merges `other` (same seed, replicates, width and keep_units; an empty operand is the identity).
  /// Throws std::invalid_argument on a configuration mismatch.
  bootstrap_sums& operator+=(const bootstrap_sums& other) {
    if (&other == this) {
      const bootstrap_sums copy = other;
      return *this += copy;
    }
    if (other.empty()) return *this;
    if (empty()) return *this = other;
    if (other.seed_ != seed_ || other.replicates_ != replicates_ || other.width_ != width_ ||
        other.keep_units_ != keep_units_)
      throw std::invalid_argument(
          "bootstrap_sums merge: configurations differ (seed, replicates, width or keep_units)");
    for (std::size_t i = 0; i < limbs_.size(); ++i) limbs_[i] += other.limbs_[i];
    units_.insert(units_.end(), other.units_.begin(), other.units_.end());
    unit_values_.insert(unit_values_.end(), other.unit_values_.begin(), other.unit_values_.end());
    rows_ += other.rows_;
    pending_ += other.pending_ + 1;
    if (pending_ >= detail::exact_pending_limit) normalize();
    return *this;
  }
  bootstrap_sums& merge(const bootstrap_sums& other) { return *this += other; }

  /// T_j: the full-sample (weight 1) sum of column j, correctly rounded.
  [[nodiscard]] double total(std::size_t j) const { return sum_at(j, replicates_); }
  /// S_bj: the replicate-b sum of column j, correctly rounded.
  [[nodiscard]] double replicate_sum(std::uint32_t b, std::size_t j) const {
    if (b >= replicates_) throw std::out_of_range("bootstrap_sums::replicate_sum: replicate out of range");
    return sum_at(j, b);
  }

  /// f(T) with T the totals (std::span<const double> of size width).
  template <class F>
  [[nodiscard]] double statistic(F&& f) const {
    std::vector<double> s(width_);
    for (std::size_t j = 0; j < width_; ++j) s[j] = total(j);
    return static_cast<double>(f(std::span<const double>(s)));
  }

  /// f(S_b) for b = 0..B-1: the bootstrap distribution of the statistic.
  template <class F>
  [[nodiscard]] std::vector<double> replicate_statistics(F&& f) const {
    std::vector<double> out(replicates_), s(width_);
    for (std::uint32_t b = 0; b < replicates_; ++b) {
      for (std::size_t j = 0; j < width_; ++j) s[j] = sum_at(j, b);
      out[b] = static_cast<double>(f(std::span<const double>(s)));
    }
    return out;
  }

  /// Number of distinct units (keep_units only).
  [[nodiscard]] std::size_t units() const {
    require_units("units");
    auto ids = units_;
    std::sort(ids.begin(), ids.end());
    return static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
  }

  /// Jackknife statistics f(T - contribution of unit u), one per distinct unit in ascending id order; the
  /// differences are exact before rounding. Requires keep_units (std::logic_error otherwise).
  template <class F>
  [[nodiscard]] std::vector<double> jackknife_statistics(F&& f) const {
    require_units("jackknife_statistics");
    const auto order = sorted_rows();
    std::vector<detail::exact_sum> totals(width_);
    for (std::size_t j = 0; j < width_; ++j) totals[j].assign_canonical(canonical_at(j, replicates_));
    std::vector<double> out, s(width_);
    for (std::size_t k = 0; k < order.size();) {
      auto left_out = totals;
      const std::uint64_t id = units_[order[k]];
      for (; k < order.size() && units_[order[k]] == id; ++k)
        for (std::size_t j = 0; j < width_; ++j)
          left_out[j].add_split(detail::split_double(unit_values_[order[k] * width_ + j]), -1);
      for (std::size_t j = 0; j < width_; ++j) s[j] = left_out[j].value();
      out.push_back(static_cast<double>(f(std::span<const double>(s))));
    }
    return out;
  }

  /// Serialized form: "STBS", u32 version, u64 seed, u32 replicates, u64 width, u8 keep_units, u64 rows,
  /// [keep_units: rows x (u64 unit, width x f64) sorted by unit then value bits], then for every column j and
  /// row r in 0..B (B = the totals) the canonical exact sum (u8 first limb, u8 count, count x i64), then the
  /// CRC-32. Equal states give equal bytes whatever the order rows were added and merged in.
  [[nodiscard]] std::vector<std::byte> serialize() const {
    detail::byte_writer w("STBS", format_version);
    w.u64(seed_);
    w.u32(replicates_);
    w.u64(width_);
    w.u8(keep_units_ ? 1 : 0);
    w.u64(rows_);
    if (keep_units_)
      for (std::size_t i : sorted_rows()) {
        w.u64(units_[i]);
        for (std::size_t j = 0; j < width_; ++j) w.f64(unit_values_[i * width_ + j]);
      }
    if (!empty())
      for (std::size_t j = 0; j < width_; ++j)
        for (std::size_t r = 0; r < rows_per_limb(); ++r) w.limbs(canonical_at(j, r));
    return std::move(w).finish();
  }

  /// Inverse of serialize. Throws stratum::input_error on truncated, corrupt, non-canonical or
  /// version-mismatched input.
  [[nodiscard]] static bootstrap_sums deserialize(std::span<const std::byte> bytes) {
    detail::byte_reader in(bytes, "STBS", format_version, "bootstrap_sums");
    const std::uint64_t seed = in.u64();
    const std::uint32_t reps = in.u32();
    const std::uint64_t width = in.u64();
    const std::uint8_t keep = in.u8();
    const std::uint64_t rows = in.u64();
    if (keep > 1) in.fail("keep_units flag is " + std::to_string(keep));
    bootstrap_sums s;
    if (width == 0 && reps == 0) {
      if (rows != 0 || keep != 0) in.fail("an empty state with rows or keep_units");
      in.finish();
      return s;
    }
    if (width == 0 || reps == 0 || reps > (std::uint32_t{1} << 31)) in.fail("bad replicates or width");
    const std::uint64_t R = std::uint64_t{reps} + 1;
    // Every exact sum takes at least 2 bytes: check the declared sizes against the input before allocating.
    in.expect(width, 2 * R, "columns of sums");
    if (keep) {
      in.expect(rows, 8 * (1 + width), "retained rows");
    }
    s = bootstrap_sums(seed, reps, static_cast<std::size_t>(width), keep != 0);
    s.rows_ = rows;
    if (keep) {
      s.units_.resize(static_cast<std::size_t>(rows));
      s.unit_values_.resize(static_cast<std::size_t>(rows * width));
      for (std::size_t i = 0; i < rows; ++i) {
        s.units_[i] = in.u64();
        for (std::size_t j = 0; j < width; ++j) {
          const double v = in.f64();
          if (!std::isfinite(v)) in.fail("retained row " + std::to_string(i) + " has a non-finite value");
          s.unit_values_[i * width + j] = v;
        }
      }
      if (!std::is_sorted(s.units_.begin(), s.units_.end()))
        in.fail("retained rows are not in canonical order");
    }
    for (std::size_t j = 0; j < width; ++j)
      for (std::size_t r = 0; r < R; ++r) {
        const auto a = in.limbs();
        for (int i = 0; i < detail::exact_limbs; ++i)
          s.limbs_[s.index(i, j, r)] = a[static_cast<std::size_t>(i)];
      }
    in.finish();
    return s;
  }

  /// Same configuration, same exact sums, same rows count and (keep_units) the same multiset of rows.
  [[nodiscard]] friend bool operator==(const bootstrap_sums& a, const bootstrap_sums& b) {
    return a.serialize() == b.serialize();
  }

 private:
  [[nodiscard]] std::size_t rows_per_limb() const noexcept {
    return static_cast<std::size_t>(replicates_) + 1;
  }
  [[nodiscard]] std::size_t index(int limb, std::size_t j, std::size_t r) const noexcept {
    return (static_cast<std::size_t>(limb) * width_ + j) * rows_per_limb() + r;
  }
  [[nodiscard]] std::array<std::int64_t, detail::exact_limbs> canonical_at(std::size_t j,
                                                                           std::size_t r) const {
    if (j >= width_) throw std::out_of_range("bootstrap_sums: column out of range");
    return detail::exact_canonical(limbs_.data() + index(0, j, r),
                                   static_cast<std::ptrdiff_t>(width_ * rows_per_limb()));
  }
  [[nodiscard]] double sum_at(std::size_t j, std::size_t r) const {
    return detail::exact_to_double(canonical_at(j, r));
  }
  void normalize() noexcept {
    const auto stride = static_cast<std::ptrdiff_t>(width_ * rows_per_limb());
    for (std::size_t j = 0; j < width_; ++j)
      for (std::size_t r = 0; r < rows_per_limb(); ++r)
        detail::exact_normalize(limbs_.data() + index(0, j, r), stride);
    pending_ = 0;
  }
  void require_units(const char* fn) const {
    if (!keep_units_)
      throw std::logic_error(std::string("bootstrap_sums::") + fn +
                             ": the state was built without keep_units");
  }
  /// Row indices in canonical order: by unit id, then by the bit patterns of the values.
  [[nodiscard]] std::vector<std::size_t> sorted_rows() const {
    std::vector<std::size_t> order(units_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      if (units_[x] != units_[y]) return units_[x] < units_[y];
      for (std::size_t j = 0; j < width_; ++j) {
        const auto bx = std::bit_cast<std::uint64_t>(unit_values_[x * width_ + j]);
        const auto by = std::bit_cast<std::uint64_t>(unit_values_[y * width_ + j]);
        if (bx != by) return bx < by;
      }
      return false;
    });
    return order;
  }

  std::uint64_t seed_ = 0;
  std::uint32_t replicates_ = 0;
  std::size_t width_ = 0;
  bool keep_units_ = false;
  std::uint64_t rows_ = 0;
  std::uint64_t pending_ = 0;
  std::vector<std::int64_t> limbs_;  // [limb][column][row r = 0..B], r == B the totals
  std::vector<std::uint64_t> units_;
  std::vector<double> unit_values_;     // rows x width
  std::vector<std::uint32_t> weights_;  // scratch: weights of the current unit
};

}  // namespace stratum::stats
