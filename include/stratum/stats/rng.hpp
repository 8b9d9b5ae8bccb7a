// Counter-based random numbers for reproducible resampling.
//
// Philox4x32-R (Salmon, Moraes, Dror, Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
// keyed bijection of a 128-bit counter. One round, with the multipliers M0 = 0xD2511F53, M1 = 0xCD9E8D57:
//
//   (hi0, lo0) = M0 * c0,  (hi1, lo1) = M1 * c2          (32 x 32 -> 64-bit products)
//   c' = (hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0)
//
// and before every round but the first the key is bumped by the Weyl constants (k0 += 0x9E3779B9,
// k1 += 0xBB67AE85, mod 2^32). Philox4x32-10 (10 rounds) is the recommended variant; the tests check the
// known-answer vectors of the Random123 distribution (kat_vectors) for 7 and 10 rounds.
//
// Because the output is a pure function of (key, counter), any shard of the work can draw "the value for
// (seed, unit, index)" without sharing state: no sequence, no jump-ahead, no order dependence. Streams are
// addressed as
//
//   key     = (seed mod 2^32, seed >> 32)
//   counter = (block, unit mod 2^32, unit >> 32, domain)
//
// where `unit` is a frame (or item) id, `block` the index of a 4-word block within the unit's stream and
// `domain` a 32-bit tag that keeps unrelated uses of the same seed apart (e.g. poisson_domain below).
//
// Uniform doubles: words (lo, hi) of a block give the 64-bit integer x = hi * 2^32 + lo and
// u = floor(x / 2^11) * 2^-53, i.e. the top 53 bits of x on the grid {0, 2^-53, ..., 1 - 2^-53}: every value
// is exact, 0 is possible and 1 is not. Block j of a stream holds the uniforms with index 2j (words 0, 1) and
// 2j + 1 (words 2, 3).
//
// Poisson(1) weights by inversion (deterministic, one uniform per weight):
//
//   weight(u) = min { k >= 0 : u < F(k) },   F(k) = e^-1 * sum_{j<=k} 1/j!
//
// with F(k) rounded to the nearest double (the table below, computed with 80-digit decimal arithmetic and
// checked in the tests against scipy.stats.poisson.cdf and Boost.Math). F(18) rounds to 1, so weights lie in
// [0, 18]. weight(seed, unit, replicate) = weight(u) with u the uniform of index `replicate` in stream
// (seed, unit, poisson_domain); it is a pure function, so a bootstrap over frames gives the same replicates
// on any split of the frames.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include "../core/error.hpp"

namespace stratum::stats {

using philox4x32_counter = std::array<std::uint32_t, 4>;
using philox4x32_key = std::array<std::uint32_t, 2>;

/// Philox4x32 with `Rounds` rounds (Random123's philox4x32_R). Philox4x32-10 is `philox4x32<10>`.
template <unsigned Rounds = 10>
[[nodiscard]] constexpr philox4x32_counter philox4x32(philox4x32_counter ctr, philox4x32_key key) noexcept {
  constexpr std::uint64_t m0 = 0xD2511F53u;
  constexpr std::uint64_t m1 = 0xCD9E8D57u;
  constexpr std::uint32_t w0 = 0x9E3779B9u;
  constexpr std::uint32_t w1 = 0xBB67AE85u;
  for (unsigned r = 0; r < Rounds; ++r) {
    if (r != 0) {
      key[0] = static_cast<std::uint32_t>(key[0] + w0);
      key[1] = static_cast<std::uint32_t>(key[1] + w1);
    }
    const std::uint64_t p0 = m0 * ctr[0];
    const std::uint64_t p1 = m1 * ctr[2];
    ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<std::uint32_t>(p1),
           static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<std::uint32_t>(p0)};
  }
  return ctr;
}

/// Domain tag of the Poisson bootstrap weights ("POIS").
inline constexpr std::uint32_t poisson_domain = 0x504F4953u;

/// Block `block` (4 words) of the stream (seed, unit, domain): Philox4x32-10 with the layout above.
[[nodiscard]] constexpr philox4x32_counter stream_block(std::uint64_t seed, std::uint64_t unit,
                                                        std::uint32_t block, std::uint32_t domain) noexcept {
  return philox4x32<10>(
      {block, static_cast<std::uint32_t>(unit), static_cast<std::uint32_t>(unit >> 32), domain},
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
}

/// u = floor((hi * 2^32 + lo) / 2^11) * 2^-53, in [0, 1 - 2^-53].
[[nodiscard]] constexpr double uniform_from_words(std::uint32_t lo, std::uint32_t hi) noexcept {
  const std::uint64_t x = (std::uint64_t{hi} << 32) | lo;
  return static_cast<double>(x >> 11) * 0x1p-53;
}

/// Uniform number `index` of the stream (seed, unit, domain); index < 2^33.
[[nodiscard]] constexpr double stream_uniform(std::uint64_t seed, std::uint64_t unit, std::uint64_t index,
                                              std::uint32_t domain) noexcept {
  const auto b = stream_block(seed, unit, static_cast<std::uint32_t>(index >> 1), domain);
  return (index & 1) ? uniform_from_words(b[2], b[3]) : uniform_from_words(b[0], b[1]);
}

namespace detail {
/// F(k) = P(K <= k) for K ~ Poisson(1), k = 0..17, each the double nearest to the exact value (80-digit
/// decimal arithmetic: e^-1 * sum_{j<=k} 1/j!). F(18) rounds to 1.0.
inline constexpr std::array<double, 18> poisson1_cdf = {
    0x1.78b56362cef38p-2, 0x1.78b56362cef38p-1, 0x1.d6e2bc3b82b06p-1, 0x1.f6472f2e6944ap-1,
    0x1.fe204beb22e9cp-1, 0x1.ffb21e77480acp-1, 0x1.fff516e3f8e59p-1, 0x1.fffea81812296p-1,
    0x1.ffffda3e9551ep-1, 0x1.fffffc42dcc83p-1, 0x1.ffffffa9b0ba6p-1, 0x1.fffffff8db44cp-1,
    0x1.ffffffff7425ap-1, 0x1.fffffffff60f9p-1, 0x1.ffffffffff572p-1, 0x1.fffffffffff58p-1,
    0x1.ffffffffffff6p-1, 0x1.fffffffffffffp-1};
}  // namespace detail

/// Largest Poisson(1) weight the inversion can return.
inline constexpr std::uint32_t poisson_weight_max = 18;

/// Poisson(1) variate by inversion of the CDF table: min { k : u < F(k) } for u in [0, 1).
[[nodiscard]] constexpr std::uint32_t poisson1_from_uniform(double u) noexcept {
  std::uint32_t k = 0;
  while (k < detail::poisson1_cdf.size() && !(u < detail::poisson1_cdf[k])) ++k;
  return k;
}

/// Poisson(1) bootstrap weight of `unit` (frame or item id) in replicate `replicate` under `seed`.
/// A pure function: the same on every shard, thread and pass.
[[nodiscard]] constexpr std::uint32_t poisson_weight(std::uint64_t seed, std::uint64_t unit,
                                                     std::uint32_t replicate) noexcept {
  return poisson1_from_uniform(stream_uniform(seed, unit, replicate, poisson_domain));
}

namespace detail {
/// ceil(F(k) * 2^53): for the 53-bit integer x behind u = x * 2^-53, u >= F(k) exactly when x >= T(k)
/// (F(k) * 2^53 is an exact double), so the inversion can compare integers.
[[nodiscard]] constexpr std::array<std::uint64_t, 18> make_poisson1_thresholds() noexcept {
  std::array<std::uint64_t, 18> t{};
  for (std::size_t k = 0; k < t.size(); ++k) {
    const double scaled = poisson1_cdf[k] * 0x1p53;
    const auto floor_v = static_cast<std::uint64_t>(scaled);
    t[k] = static_cast<double>(floor_v) == scaled ? floor_v : floor_v + 1;
  }
  return t;
}
inline constexpr std::array<std::uint64_t, 18> poisson1_thresholds = make_poisson1_thresholds();

/// Lookup on the top 8 of the 53 bits: entry j is the weight shared by every x in [j 2^45, (j + 1) 2^45) when
/// no threshold falls inside that range, else 0x80 | (the weight at the range's start).
[[nodiscard]] constexpr std::array<std::uint8_t, 256> make_poisson1_lut() noexcept {
  std::array<std::uint8_t, 256> lut{};
  auto weight = [](std::uint64_t x) {
    std::uint8_t k = 0;
    while (k < poisson1_thresholds.size() && x >= poisson1_thresholds[k]) ++k;
    return k;
  };
  for (std::uint64_t j = 0; j < 256; ++j) {
    const std::uint8_t lo = weight(j << 45), hi = weight(((j + 1) << 45) - 1);
    lut[j] = lo == hi ? lo : static_cast<std::uint8_t>(0x80 | lo);
  }
  return lut;
}
inline constexpr std::array<std::uint8_t, 256> poisson1_lut = make_poisson1_lut();

/// poisson1_from_uniform(x * 2^-53) for the 53-bit integer x: a table lookup, with a threshold scan only in
/// the few ranges that contain a threshold (about 2% of draws).
[[nodiscard]] constexpr std::uint32_t poisson1_from_bits53(std::uint64_t x) noexcept {
  const std::uint8_t e = poisson1_lut[static_cast<std::size_t>(x >> 45)];
  if (!(e & 0x80)) return e;
  std::uint32_t k = e & 0x7f;
  while (k < poisson1_thresholds.size() && x >= poisson1_thresholds[k]) ++k;
  return k;
}
}  // namespace detail

/// Weights of `unit` in replicates first, first + 1, ..., first + out.size() - 1, written to `out`:
/// out[i] == poisson_weight(seed, unit, first + i). This is the replicate loop to reuse: one Philox block
/// serves two replicates and the inversion is a table lookup (detail::poisson1_from_bits53). Replicate
/// indices are taken modulo 2^32, as the uint32 argument of poisson_weight.
template <class T>
constexpr void fill_poisson_weights(std::uint64_t seed, std::uint64_t unit, std::uint32_t first,
                                    std::span<T> out) noexcept {
  std::size_t i = 0;
  const std::size_t n = out.size();
  if (n == 0) return;
  if (first & 1u) {  // odd start: the second half of a block
    out[0] = static_cast<T>(poisson_weight(seed, unit, first));
    i = 1;
  }
  for (; i + 1 < n; i += 2) {
    const auto b = stream_block(seed, unit, static_cast<std::uint32_t>(first + i) >> 1, poisson_domain);
    out[i] = static_cast<T>(detail::poisson1_from_bits53(((std::uint64_t{b[1]} << 32) | b[0]) >> 11));
    out[i + 1] = static_cast<T>(detail::poisson1_from_bits53(((std::uint64_t{b[3]} << 32) | b[2]) >> 11));
  }
  if (i < n) out[i] = static_cast<T>(poisson_weight(seed, unit, static_cast<std::uint32_t>(first + i)));
}

}  // namespace stratum::stats
