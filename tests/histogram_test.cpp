// Tests of <stratum/stats/histogram.hpp>: bin counts and quantile edges against numpy 1.24
// (tests/oracles/histogram.py); merge invariance under any split and order; checked serialization.
#include <stratum/stats/histogram.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "oracle_file.hpp"

using namespace stratum::stats;
using stratum_test::read_oracle;

namespace {
// Splits xs into `parts` random shards, fills one histogram per shard, merges them in a random order and
// tree.
histogram split_and_merge(const std::vector<double>& edges, const std::vector<double>& xs, std::size_t parts,
                          std::mt19937_64& rng) {
  std::vector<histogram> shards(parts, histogram(edges));
  std::uniform_int_distribution<std::size_t> pick(0, parts - 1);
  for (double x : xs) shards[pick(rng)].add(x);
  if (rng() % 3 == 0) shards.emplace_back();  // the identity anywhere in the merge
  while (shards.size() > 1) {
    std::shuffle(shards.begin(), shards.end(), rng);
    auto b = std::move(shards.back());
    shards.pop_back();
    shards.back() += b;
  }
  return shards.front();
}
}  // namespace

TEST_CASE("bin counts match numpy.histogram (last bin closed, under/overflow)") {
  const auto lines = read_oracle("hist.txt", 10000);
  for (std::size_t l = 0; l < lines.size(); ++l) {
    std::istringstream s(lines[l]);
    std::size_t k, n;
    std::uint64_t under, over;
    s >> k >> n >> under >> over;
    std::vector<std::uint64_t> counts(k - 1);
    for (auto& c : counts) s >> c;
    std::vector<double> edges(k), xs(n);
    for (auto& e : edges) s >> e;
    for (auto& x : xs) s >> x;
    REQUIRE_MESSAGE(!s.fail(), "hist.txt line " << l + 1 << " is malformed");
    histogram h(edges);
    h.add(xs);
    CHECK_MESSAGE(h.counts() == counts, "hist.txt line " << l + 1);
    CHECK_MESSAGE(h.underflow() == under, "hist.txt line " << l + 1);
    CHECK_MESSAGE(h.overflow() == over, "hist.txt line " << l + 1);
    CHECK(h.total() == n);
  }
}

TEST_CASE("quantile_edges match numpy.quantile (linear), ties dropped") {
  const auto lines = read_oracle("quantile_edges.txt", 10000);
  double worst = 0;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    std::istringstream s(lines[l]);
    std::size_t n, bins, k;
    s >> n >> bins >> k;
    std::vector<double> want(k), xs(n);
    for (auto& e : want) s >> e;
    for (auto& x : xs) s >> x;
    REQUIRE_MESSAGE(!s.fail(), "quantile_edges.txt line " << l + 1 << " is malformed");
    const auto got = quantile_edges(xs, bins);
    REQUIRE_MESSAGE(got.size() == want.size(), "quantile_edges.txt line " << l + 1 << ": " << got.size()
                                                                          << " edges, want " << want.size());
    for (std::size_t i = 0; i < k; ++i) {
      const double d = std::abs(got[i] - want[i]);
      worst = std::max(worst, d / std::max(1.0, std::abs(want[i])));
      CHECK_MESSAGE(d <= 1e-12 * std::max(1.0, std::abs(want[i])),
                    "quantile_edges.txt line " << l + 1 << " edge " << i);
    }
  }
  MESSAGE("quantile_edges: " << lines.size() << " cases, max rel err " << worst);
}

TEST_CASE("any split merged in any order gives the same histogram, bit for bit") {
  std::mt19937_64 rng(12345);
  std::normal_distribution<double> nd(0.0, 2.0);
  for (int trial = 0; trial < 200; ++trial) {
    const auto edges = histogram::uniform(-3.0, 3.0, 1 + trial % 17).edges();
    std::vector<double> xs(static_cast<std::size_t>(rng() % 2000));
    for (auto& x : xs) x = std::round(nd(rng) * 4) / 4;  // many values on edges
    histogram whole(edges);
    whole.add(xs);
    const auto bytes = whole.serialize();
    for (std::size_t parts : {1u, 2u, 3u, 7u, 31u}) {
      const auto merged = split_and_merge(edges, xs, parts, rng);
      REQUIRE(merged == whole);
      REQUIRE(merged.serialize() == bytes);
    }
  }
}

TEST_CASE("merge: identity, commutativity, mismatched edges") {
  histogram a = histogram::uniform(0, 1, 4), b = histogram::uniform(0, 1, 4), id;
  a.add(0.1);
  a.add(1.0);
  b.add(-5);
  CHECK(a + id == a);
  CHECK(id + a == a);
  CHECK(a + b == b + a);
  CHECK(id + id == histogram{});
  CHECK_THROWS_AS(a += histogram::uniform(0, 1, 5), std::invalid_argument);
  CHECK_THROWS_AS(a += histogram::uniform(0, 2, 4), std::invalid_argument);
  CHECK_THROWS_AS(id.add(1.0), std::invalid_argument);
  CHECK_THROWS_WITH_AS(a.add(std::nan("")), "histogram::add: x is NaN", std::invalid_argument);
  CHECK_THROWS_AS(histogram(std::vector<double>{1.0}), std::invalid_argument);
  CHECK_THROWS_AS(histogram(std::vector<double>{1.0, 1.0}), std::invalid_argument);
  CHECK_THROWS_AS(histogram(std::vector<double>{0.0, INFINITY}), std::invalid_argument);
}

TEST_CASE("serialization round-trips and rejects every truncation and bit flip") {
  histogram h(std::vector<double>{-1.0, -0.0, 0.5, 2.0});
  for (double x : {-2.0, -1.0, -0.5, 0.0, 0.7, 2.0, 3.0, 1e300}) h.add(x, 3);
  const auto bytes = h.serialize();
  CHECK(histogram::deserialize(bytes) == h);
  CHECK(histogram::deserialize(histogram{}.serialize()) == histogram{});
  for (std::size_t len = 0; len < bytes.size(); ++len)
    CHECK_THROWS_AS((void)histogram::deserialize(std::span(bytes.data(), len)), stratum::input_error);
  auto longer = bytes;
  longer.push_back(std::byte{0});
  CHECK_THROWS_AS((void)histogram::deserialize(longer), stratum::input_error);
  std::size_t rejected = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = bytes;
      bad[i] ^= std::byte(1u << bit);
      try {
        (void)histogram::deserialize(bad);
      } catch (const stratum::input_error&) {
        ++rejected;
      }
    }
  CHECK(rejected == bytes.size() * 8);
  try {
    auto bad = bytes;
    bad[100] ^= std::byte{4};
    (void)histogram::deserialize(bad);
  } catch (const stratum::input_error& e) {
    CHECK(std::string(e.what()).find("checksum mismatch") != std::string::npos);
  }
}
