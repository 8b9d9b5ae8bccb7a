// Exact summation of doubles: a fixed-point superaccumulator whose sums are correctly rounded when read and
// whose merge is associative and commutative bit for bit. Used by the bootstrap sums and the calibration
// states; the limb codec below is how such a sum travels in the common wire format (detail/binary.hpp).
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../detail/binary.hpp"

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

/// Writes canonical limbs: u8 first non-zero limb index, u8 count, then the limbs as i64 (zero: 0, 0).
inline void write_limbs(::stratum::detail::byte_writer& w, const std::array<std::int64_t, exact_limbs>& a) {
  int lo = 0, hi = exact_limbs - 1;
  while (lo < exact_limbs && a[static_cast<std::size_t>(lo)] == 0) ++lo;
  while (hi >= lo && a[static_cast<std::size_t>(hi)] == 0) --hi;
  const int n = hi - lo + 1;
  w.u8(static_cast<std::uint8_t>(n > 0 ? lo : 0));
  w.u8(static_cast<std::uint8_t>(n));
  for (int i = lo; i <= hi; ++i) w.i64(a[static_cast<std::size_t>(i)]);
}

/// Reads limbs written by write_limbs; throws input_error (naming the offset) unless they are canonical.
[[nodiscard]] inline std::array<std::int64_t, exact_limbs> read_limbs(::stratum::detail::byte_reader& in) {
  std::array<std::int64_t, exact_limbs> a{};
  const auto at = in.offset();
  const int lo = in.u8(), n = in.u8();
  if (n == 0) {
    if (lo != 0)
      throw input_error("serialized state: non-canonical exact sum at offset " + std::to_string(at));
    return a;
  }
  if (lo + n > exact_limbs)
    throw input_error("serialized state: exact sum limb range out of bounds at offset " + std::to_string(at));
  for (int i = 0; i < n; ++i) a[static_cast<std::size_t>(lo + i)] = in.i64();
  bool ok = a[static_cast<std::size_t>(lo)] != 0 && a[static_cast<std::size_t>(lo + n - 1)] != 0;
  for (int i = 0; i < exact_limbs - 1; ++i)
    ok = ok && a[static_cast<std::size_t>(i)] >= 0 && a[static_cast<std::size_t>(i)] <= 0xffffffff;
  if (!ok) throw input_error("serialized state: non-canonical exact sum at offset " + std::to_string(at));
  return a;
}

}  // namespace detail

}  // namespace stratum::stats
