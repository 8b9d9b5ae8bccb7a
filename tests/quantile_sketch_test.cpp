// Tests of <stratum/stats/quantile_sketch.hpp>: the documented rank and value error bounds against exact
// quantiles (numpy's 'inverted_cdf' definition, computed here by sorting), merge invariance, checked
// serialization, and the KS / Wasserstein bounds against the exact statistics of ks.hpp / divergence.hpp
// (which are themselves checked against scipy in ks_test.cpp and divergence_test.cpp).
#include <stratum/stats/quantile_sketch.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace stratum::stats;

namespace {

std::vector<double> draw(std::mt19937_64& rng, std::size_t n, int kind) {
  std::vector<double> v(n);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::lognormal_distribution<double> ln(0.0, 2.5);
  std::uniform_int_distribution<int> ui(-5, 5);
  for (auto& x : v) {
    switch (kind) {
      case 0:
        x = nd(rng) * 3 + 1;
        break;
      case 1:
        x = ln(rng);
        break;  // heavy tail, 10+ octaves
      case 2:
        x = ui(rng);
        break;  // ties and zeros
      case 3:
        x = (rng() % 2 ? -1 : 1) * ln(rng) * 1e-3;
        break;  // both signs
      default:
        x = std::ldexp(1.0, static_cast<int>(rng() % 200) - 100) * (1 + nd(rng) * 1e-3);
    }
  }
  return v;
}

// Exact ECDF F(x) = #(v <= x) / n on sorted v.
double ecdf(const std::vector<double>& sorted, double x) {
  return static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin()) /
         static_cast<double>(sorted.size());
}

}  // namespace

TEST_CASE("quantiles: value error <= 2^-(p+1) |x_q| and rank error <= bucket mass / n") {
  std::mt19937_64 rng(2024);
  double worst_rank = 0, worst_rank_ratio = 0, worst_value = 0;
  std::size_t checks = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int p = std::array<int, 5>{1, 3, 5, 7, 10}[static_cast<std::size_t>(trial % 5)];
    const std::size_t n = 1 + static_cast<std::size_t>(rng() % (trial < 250 ? 3000 : 100000));
    auto v = draw(rng, n, trial % 5);
    quantile_sketch s(p);
    s.add(v);
    std::sort(v.begin(), v.end());
    const double rel = std::ldexp(1.0, -(p + 1));
    std::uniform_real_distribution<double> uq(0, 1);
    for (int i = 0; i <= 200; ++i) {
      const double q = i <= 100 ? i / 100.0 : uq(rng);
      const auto r =
          std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * static_cast<double>(n))));
      const double exact = v[std::min(r, n) - 1];  // inverted_cdf
      const double est = s.quantile(q);
      const double bound = s.rank_error_bound(q);
      const double rank_err = std::abs(ecdf(v, est) - q);
      ++checks;
      REQUIRE_MESSAGE(rank_err <= bound + 1e-15, "trial " << trial << " p=" << p << " q=" << q);
      REQUIRE_MESSAGE(std::abs(est - exact) <= rel * std::abs(exact),
                      "trial " << trial << " p=" << p << " q=" << q << " est " << est << " exact " << exact);
      worst_rank = std::max(worst_rank, rank_err);
      if (bound > 0) worst_rank_ratio = std::max(worst_rank_ratio, rank_err / bound);
      if (exact != 0) worst_value = std::max(worst_value, std::abs(est - exact) / std::abs(exact) / rel);
    }
    CHECK(s.quantile(0) == v.front());
    CHECK(s.quantile(1) == v.back());
  }
  MESSAGE(checks << " quantile checks: max rank error " << worst_rank << ", max rank error / bound "
                 << worst_rank_ratio << ", max value error / 2^-(p+1)|x_q| " << worst_value);
}

TEST_CASE("any split merged in any order gives the same sketch, bit for bit") {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 100; ++trial) {
    const auto v = draw(rng, 1 + rng() % 5000, trial % 5);
    quantile_sketch whole(5);
    whole.add(v);
    const auto bytes = whole.serialize();
    for (std::size_t parts : {2u, 5u, 17u}) {
      std::vector<quantile_sketch> shards(parts, quantile_sketch(5));
      for (double x : v) shards[rng() % parts].add(x);
      shards.emplace_back(5);  // an empty shard: the identity
      while (shards.size() > 1) {
        std::shuffle(shards.begin(), shards.end(), rng);
        auto b = shards.back();
        shards.pop_back();
        shards.back() += b;
      }
      REQUIRE(shards.front() == whole);
      REQUIRE(shards.front().serialize() == bytes);
    }
  }
  // -0 and +0 arriving in either order
  quantile_sketch a(4), b(4);
  a.add(-0.0), a.add(0.0), b.add(0.0), b.add(-0.0);
  CHECK(a.serialize() == b.serialize());
}

TEST_CASE("an empty sketch is the identity whatever its precision") {
  quantile_sketch a(12);
  for (double x : {0.25, -3.0, 7.5, 1e-9}) a.add(x);
  const auto bytes = a.serialize();
  quantile_sketch id;  // default precision
  REQUIRE(id.precision() != a.precision());
  id += a;  // the default state takes the other's precision
  CHECK(id == a);
  a += quantile_sketch{};
  a += quantile_sketch(3);
  CHECK(a.serialize() == bytes);
  quantile_sketch b(4);
  b.add(1.0);
  CHECK_THROWS_AS(a += b, stratum::usage_error);  // two non-empty sketches of different precision
}

TEST_CASE("memory is bounded by the buckets spanned, not by the stream length") {
  quantile_sketch s(7);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> nd(0, 1);
  for (int i = 0; i < 2000000; ++i) s.add(nd(rng));
  // |x| in [2^-20, 2^3) spans ~23 octaves per sign, 128 buckets each; a few values land lower
  CHECK(s.count() == 2000000);
  CHECK(s.bucket_count() < 2 * 30 * 128);
  MESSAGE("2e6 normal values: " << s.bucket_count() << " buckets, " << s.serialize().size()
                                << " bytes serialized");
}

TEST_CASE("KS between sketches brackets the exact statistic") {
  std::mt19937_64 rng(99);
  double worst_gap = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int p = 2 + trial % 8;
    const int kind = trial % 5;
    auto x = draw(rng, 1 + rng() % 2000, kind), y = draw(rng, 1 + rng() % 2000, kind);
    const double shift = (trial % 3) * 0.05;
    for (auto& v : y) v = v * (1 + shift) + shift;
    quantile_sketch a(p), b(p);
    a.add(x);
    b.add(y);
    const auto est = ks_2samp(a, b);
    const auto exact = ks_2samp(x, y, ks_alternative::two_sided, ks_method::asymptotic);
    REQUIRE_MESSAGE(est.statistic <= exact.statistic + 1e-15, "trial " << trial);
    REQUIRE_MESSAGE(exact.statistic <= est.upper_bound + 1e-15, "trial " << trial);
    CHECK(est.p_value_at_upper <= est.p_value);
    // the lower bound is the exact KS statistic of the bucketised samples
    std::vector<double> xb, yb;
    for (double v : x) xb.push_back(static_cast<double>(a.key(v)));
    for (double v : y) yb.push_back(static_cast<double>(b.key(v)));
    CHECK(est.statistic ==
          doctest::Approx(ks_2samp(xb, yb, ks_alternative::two_sided, ks_method::asymptotic).statistic)
              .epsilon(1e-14));
    worst_gap = std::max(worst_gap, est.upper_bound - est.statistic);
  }
  MESSAGE("max D_upper - D_lower over 400 pairs: " << worst_gap);
}

TEST_CASE("Wasserstein between sketches is within its error bound of the exact distance") {
  std::mt19937_64 rng(5);
  double worst_ratio = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int p = 1 + trial % 10;
    const int kind = trial % 5;
    auto x = draw(rng, 1 + rng() % 2000, kind), y = draw(rng, 1 + rng() % 2000, kind);
    for (auto& v : y) v = v * 1.1 + 0.01;
    quantile_sketch a(p), b(p);
    a.add(x);
    b.add(y);
    const auto est = wasserstein_distance(a, b);
    const double exact = wasserstein_distance(x, y);
    const double err = std::abs(est.distance - exact);
    REQUIRE_MESSAGE(err <= est.error_bound * (1 + 1e-9) + 1e-300,
                    "trial " << trial << " err " << err << " bound " << est.error_bound);
    double m1 = 0, m2 = 0;
    for (double v : x) m1 += std::abs(v);
    for (double v : y) m2 += std::abs(v);
    m1 /= static_cast<double>(x.size()), m2 /= static_cast<double>(y.size());
    CHECK(est.error_bound <= std::ldexp(1.0, -(p + 1)) * (m1 + m2) * (1 + 1e-9));
    if (est.error_bound > 0) worst_ratio = std::max(worst_ratio, err / est.error_bound);
  }
  MESSAGE("max |W^ - W| / error_bound over 400 pairs: " << worst_ratio);
}

TEST_CASE("serialization round-trips and rejects every truncation and bit flip") {
  quantile_sketch s(6);
  for (double x : {-3.5, -1e-300, 0.0, 1.0, 1.0, 2.5, 1e300, 7.0}) s.add(x, 2);
  const auto bytes = s.serialize();
  CHECK(quantile_sketch::deserialize(bytes) == s);
  CHECK(quantile_sketch::deserialize(quantile_sketch{}.serialize()) == quantile_sketch{});
  for (std::size_t len = 0; len < bytes.size(); ++len)
    CHECK_THROWS_AS((void)quantile_sketch::deserialize(std::span(bytes.data(), len)), stratum::input_error);
  std::size_t rejected = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = bytes;
      bad[i] ^= std::byte(1u << bit);
      try {
        (void)quantile_sketch::deserialize(bad);
      } catch (const stratum::input_error&) {
        ++rejected;
      }
    }
  CHECK(rejected == bytes.size() * 8);
  // a histogram's bytes are not a sketch
  CHECK_THROWS_WITH_AS((void)quantile_sketch::deserialize(histogram::uniform(0, 1, 3).serialize()),
                       doctest::Contains("expected"), stratum::input_error);
}

TEST_CASE("bad input") {
  quantile_sketch s(3);
  CHECK_THROWS_AS(s.add(std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(s.add(INFINITY), std::invalid_argument);
  CHECK_THROWS_AS((void)s.quantile(0.5), std::invalid_argument);
  s.add(1.0);
  CHECK_THROWS_AS((void)s.quantile(1.5), std::invalid_argument);
  quantile_sketch other(4);
  other.add(2.0);
  CHECK_THROWS_AS(s += other, std::invalid_argument);  // an empty one of any precision is the identity
  CHECK_THROWS_AS(quantile_sketch(17), std::invalid_argument);
  CHECK_THROWS_AS((void)ks_2samp(s, quantile_sketch(3)), std::invalid_argument);
}
