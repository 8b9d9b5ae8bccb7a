// Tests of stratum/stats/rng.hpp: Philox4x32 against the Random123 known-answer vectors, the documented
// stream layout and uniform conversion, and the Poisson(1) inversion (table, boundaries, distribution).
#include <doctest/doctest.h>

#include <stratum/stats/rng.hpp>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/poisson.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace st = stratum::stats;

namespace {

struct kat {
  unsigned rounds;
  st::philox4x32_counter ctr;
  st::philox4x32_key key;
  st::philox4x32_counter expected;
};

// Random123 1.09, examples/kat_vectors, the "philox4x32" lines (name, rounds, CTR[4], KEY[2], EXPECTED[4]).
// The philox4x64 lines of the same file reproduce numpy.random.Philox (numpy 1.24) exactly, which confirms
// the copy; numpy has no 4x32 variant.
constexpr std::array<kat, 6> kat_vectors = {{
    {7,
     {0x00000000, 0x00000000, 0x00000000, 0x00000000},
     {0x00000000, 0x00000000},
     {0x5f6fb709, 0x0d893f64, 0x4f121f81, 0x4f730a48}},
    {7,
     {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x5207ddc2, 0x45165e59, 0x4d8ee751, 0x8c52f662}},
    {7,
     {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0x4dfccaba, 0x190a87f0, 0xc47362ba, 0xb6b5242a}},
    {10,
     {0x00000000, 0x00000000, 0x00000000, 0x00000000},
     {0x00000000, 0x00000000},
     {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {10,
     {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {10,
     {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
}};

double chi2_p_value(const std::vector<double>& observed, const std::vector<double>& expected) {
  double stat = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double d = observed[i] - expected[i];
    stat += d * d / expected[i];
  }
  boost::math::chi_squared dist(static_cast<double>(observed.size() - 1));
  return boost::math::cdf(boost::math::complement(dist, stat));
}

}  // namespace

TEST_CASE("philox4x32 reproduces the Random123 known-answer vectors") {
  for (const auto& v : kat_vectors) {
    const auto out = v.rounds == 7 ? st::philox4x32<7>(v.ctr, v.key) : st::philox4x32<10>(v.ctr, v.key);
    INFO("rounds " << v.rounds << " ctr[0] " << std::hex << v.ctr[0]);
    for (int i = 0; i < 4; ++i) CHECK(out[i] == v.expected[i]);
  }
  // The default is 10 rounds, and the function is usable at compile time.
  static_assert(st::philox4x32(st::philox4x32_counter{0, 0, 0, 0}, st::philox4x32_key{0, 0})[0] ==
                0x6627e8d5u);
}

TEST_CASE("stream layout: key = seed halves, counter = (block, unit halves, domain)") {
  const std::uint64_t seed = 0x0123456789abcdefull;
  const std::uint64_t unit = 0xfedcba9876543210ull;
  const auto b = st::stream_block(seed, unit, 7, 0xabcd0123u);
  const auto ref =
      st::philox4x32<10>({7u, 0x76543210u, 0xfedcba98u, 0xabcd0123u}, {0x89abcdefu, 0x01234567u});
  CHECK(b == ref);
  CHECK(st::stream_uniform(seed, unit, 14, 0xabcd0123u) == st::uniform_from_words(ref[0], ref[1]));
  CHECK(st::stream_uniform(seed, unit, 15, 0xabcd0123u) == st::uniform_from_words(ref[2], ref[3]));
  // Different seeds, units, blocks and domains give different blocks.
  CHECK(st::stream_block(seed + 1, unit, 7, 0xabcd0123u) != b);
  CHECK(st::stream_block(seed, unit + 1, 7, 0xabcd0123u) != b);
  CHECK(st::stream_block(seed, unit, 8, 0xabcd0123u) != b);
  CHECK(st::stream_block(seed, unit, 7, st::poisson_domain) != b);
}

TEST_CASE("uniform conversion: top 53 bits of hi:lo on the 2^-53 grid") {
  CHECK(st::uniform_from_words(0, 0) == 0.0);
  CHECK(st::uniform_from_words(0xffffffffu, 0xffffffffu) == 1.0 - 0x1p-53);
  CHECK(st::uniform_from_words(0x7ffu, 0) == 0.0);       // the low 11 bits are dropped
  CHECK(st::uniform_from_words(0x800u, 0) == 0x1p-53);   // bit 11 is the least significant kept bit
  CHECK(st::uniform_from_words(0, 0x80000000u) == 0.5);  // the top bit of hi is 1/2
  CHECK(st::uniform_from_words(0, 1) == 0x1p-32);
}

TEST_CASE("Poisson(1) CDF table: monotone, below 1, and equal to Boost.Math's CDF to 2 ulp") {
  const boost::math::poisson_distribution<double> pois(1.0);
  double prev = 0;
  for (std::size_t k = 0; k < st::detail::poisson1_cdf.size(); ++k) {
    const double f = st::detail::poisson1_cdf[k];
    INFO("k = " << k);
    CHECK(f > prev);
    CHECK(f < 1.0);
    const double ref = boost::math::cdf(pois, static_cast<double>(k));
    CHECK(std::abs(f - ref) <= 2 * std::numeric_limits<double>::epsilon() * ref);
    prev = f;
  }
  // F(18) rounds to 1: the table stops at 17 and the largest weight is 18.
  CHECK(boost::math::cdf(pois, 18.0) == 1.0);
  CHECK(st::poisson1_from_uniform(1.0 - 0x1p-53) == st::poisson_weight_max);
}

TEST_CASE("Poisson inversion boundaries: u == F(k) gives k + 1, the double below gives k") {
  CHECK(st::poisson1_from_uniform(0.0) == 0);
  for (std::size_t k = 0; k < st::detail::poisson1_cdf.size(); ++k) {
    const double f = st::detail::poisson1_cdf[k];
    INFO("k = " << k);
    CHECK(st::poisson1_from_uniform(f) == k + 1);
    CHECK(st::poisson1_from_uniform(std::nextafter(f, 0.0)) == k);
  }
}

TEST_CASE("integer thresholds: x >= T(k) exactly when x * 2^-53 >= F(k)") {
  for (std::size_t k = 0; k < st::detail::poisson1_thresholds.size(); ++k) {
    const std::uint64_t t = st::detail::poisson1_thresholds[k];
    for (std::uint64_t x : {t - 2, t - 1, t, t + 1}) {
      if (x >= (std::uint64_t{1} << 53)) continue;
      INFO("k = " << k << " x = " << x);
      CHECK((x >= t) == (static_cast<double>(x) * 0x1p-53 >= st::detail::poisson1_cdf[k]));
      CHECK(st::detail::poisson1_from_bits53(x) ==
            st::poisson1_from_uniform(static_cast<double>(x) * 0x1p-53));
    }
  }
  CHECK(st::detail::poisson1_from_bits53(0) == 0);
  // The lookup path equals the reference inversion on random 53-bit values and on every lookup range
  // boundary.
  std::mt19937_64 gen(1);
  std::size_t mismatches = 0;
  for (int i = 0; i < 1000000; ++i) {
    const std::uint64_t x = gen() >> 11;
    mismatches +=
        st::detail::poisson1_from_bits53(x) != st::poisson1_from_uniform(static_cast<double>(x) * 0x1p-53);
  }
  for (std::uint64_t j = 0; j <= 256; ++j)
    for (std::uint64_t x : {(j << 45) - 1, j << 45}) {
      if (x >= (std::uint64_t{1} << 53)) continue;
      mismatches +=
          st::detail::poisson1_from_bits53(x) != st::poisson1_from_uniform(static_cast<double>(x) * 0x1p-53);
    }
  CHECK(mismatches == 0);
  CHECK(st::detail::poisson1_from_bits53((std::uint64_t{1} << 53) - 1) == st::poisson_weight_max);
}

TEST_CASE("fill_poisson_weights equals the pure per-replicate function for any start and length") {
  const std::uint64_t seed = 42;
  for (std::uint64_t unit : {0ull, 1ull, 123456789ull, 0xffffffffffffffffull}) {
    for (std::uint32_t first : {0u, 1u, 2u, 7u, 1000u, 0xfffffff0u}) {
      for (std::size_t n : {0u, 1u, 2u, 3u, 10u, 15u, 16u, 17u, 33u, 100u}) {
        std::vector<std::uint8_t> w(n);
        st::fill_poisson_weights(seed, unit, first, std::span<std::uint8_t>(w));
        for (std::size_t i = 0; i < n; ++i) {
          INFO("unit " << unit << " first " << first << " i " << i);
          CHECK(w[i] == st::poisson_weight(seed, unit, static_cast<std::uint32_t>(first + i)));
        }
      }
    }
  }
  // Same weights whatever the element type.
  std::vector<double> wd(37);
  std::vector<std::uint32_t> wu(37);
  st::fill_poisson_weights(9, 5, 3, std::span<double>(wd));
  st::fill_poisson_weights(9, 5, 3, std::span<std::uint32_t>(wu));
  for (std::size_t i = 0; i < wd.size(); ++i) CHECK(wd[i] == static_cast<double>(wu[i]));
}

TEST_CASE("Poisson weights follow Poisson(1): chi-square goodness of fit over 2 million draws") {
  // 20,000 units x 100 replicates under one seed. Cells k = 0..6 and ">= 7"; the test is deterministic (fixed
  // seed); a wrong table, a wrong word order or correlated blocks would move the statistic far beyond the
  // 1e-6 level (the expected counts are in the thousands to hundreds of thousands).
  const boost::math::poisson_distribution<double> pois(1.0);
  std::vector<double> observed(8, 0.0), expected(8, 0.0);
  const std::size_t units = 20000, reps = 100;
  std::vector<std::uint32_t> w(reps);
  double sum = 0, sumsq = 0;
  for (std::uint64_t u = 0; u < units; ++u) {
    st::fill_poisson_weights(2024, u * 7919 + 3, 0, std::span<std::uint32_t>(w));
    for (auto k : w) {
      observed[std::min<std::size_t>(k, 7)] += 1;
      sum += k;
      sumsq += double(k) * k;
    }
  }
  const double n = double(units * reps);
  for (int k = 0; k < 7; ++k) expected[k] = n * boost::math::pdf(pois, double(k));
  expected[7] = n * boost::math::cdf(boost::math::complement(pois, 6.0));
  const double p = chi2_p_value(observed, expected);
  INFO("p-value " << p);
  CHECK(p > 1e-6);
  const double mean = sum / n, var = sumsq / n - mean * mean;
  // Mean and variance 1; standard errors are 1/sqrt(n) = 7e-4 and sqrt(3/n) = 1.2e-3.
  CHECK(std::abs(mean - 1.0) < 5e-3);
  CHECK(std::abs(var - 1.0) < 1e-2);
}

TEST_CASE("stream uniforms: uniform marginals and no visible pair structure") {
  // 1000 equal cells for single uniforms and 32 x 32 cells for consecutive pairs (within a block and across
  // blocks), 10^6 draws each.
  const std::size_t n = 1000000;
  std::vector<double> cells(1000, 0.0), pairs(1024, 0.0);
  std::size_t out_of_range = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const double u = st::stream_uniform(77, i / 64, i % 64, 0x1234u);
    const double v = st::stream_uniform(77, i / 64, (i % 64) + 1, 0x1234u);
    if (!(u >= 0.0 && u < 1.0) || !(v >= 0.0 && v < 1.0)) {
      ++out_of_range;
      continue;
    }
    cells[static_cast<std::size_t>(u * 1000)] += 1;
    pairs[static_cast<std::size_t>(u * 32) * 32 + static_cast<std::size_t>(v * 32)] += 1;
  }
  REQUIRE(out_of_range == 0);
  const double p1 = chi2_p_value(cells, std::vector<double>(1000, n / 1000.0));
  const double p2 = chi2_p_value(pairs, std::vector<double>(1024, n / 1024.0));
  INFO("p-values " << p1 << " " << p2);
  CHECK(p1 > 1e-6);
  CHECK(p2 > 1e-6);
}
