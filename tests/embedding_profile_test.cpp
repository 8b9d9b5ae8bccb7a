// The embedding moments of the drift profile and their comparison (baseline/embedding.hpp):
//   - on 60 random cases of tests/oracles/embedding_profile.py (correlated dimensions of unequal scales,
//     shifted and unshifted windows, 1 to 12 dimensions, 1 to 16 random features): the centroid's and the
//     random features' Mahalanobis distance, Hotelling's F, degrees of freedom and p-value, the largest
//     per-dimension shift with its interval and MMD^2 equal the oracle's (numpy, scipy.stats.f) to 1e-9
//     relative, or the pseudo-inverse's condition number times 1e-15 where that is larger;
//   - the counts are integers: any split of the frames merges to the same bits, and serialize round-trips;
//   - a constant dimension, one that jumps, a clamped value, bad embeddings named by frame.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <stratum/baseline/drift.hpp>
#include <stratum/baseline/embedding.hpp>
#include <stratum/baseline/profile.hpp>

#include "oracle_file.hpp"

using namespace stratum;
using stratum_test::close;

namespace {

frame embedded(std::int64_t id, std::vector<double> x, const char* weather = nullptr) {
  frame f;
  f.id = id;
  f.embedding = std::move(x);
  if (weather) f.attrs.push_back({"weather", weather});
  return f;
}

const baseline::drift_test& row(const baseline::drift_result& r, const std::string& set,
                                const std::string& feature) {
  for (const auto& t : r.tests)
    if (t.set == set && t.feature == feature) return t;
  FAIL("no test " << set << " / " << feature);
  return r.tests.front();
}

}  // namespace

TEST_CASE("embedding drift: every number equals the oracle's on 60 random cases") {
  const auto file = stratum_test::read_oracle("embedding_profile.txt", 100);
  std::size_t line = 0, cases = 0, numbers = 0;
  double worst = 0;
  baseline::drift_options o;
  o.min_frames = 2;
  while (line < file.size()) {
    auto head = file.fields(line++);
    REQUIRE(head.word() == "case");
    const auto d = head.u64(), D = head.u64(), nb = head.u64(), nw = head.u64();
    CAPTURE(cases);
    auto sh = file.fields(line++);
    REQUIRE(sh.word() == "shape");
    const auto centre = sh.nums(d), scale = sh.nums(d), freq = sh.nums(D * d), phase = sh.nums(D);
    std::vector<frame> sides[2];
    baseline::embedding_scan scan;
    for (std::uint64_t i = 0; i < nb + nw; ++i) {
      auto t = file.fields(line++);
      REQUIRE(t.word() == "x");
      const auto side = t.u64();
      sides[side].push_back(embedded(static_cast<std::int64_t>(i), t.nums(d)));
      if (side == 0) scan.add(sides[0].back());
    }
    REQUIRE(sides[0].size() == nb);
    REQUIRE(sides[1].size() == nw);
    auto shape = scan.shape(D);  // the units from the scan; the random features as the oracle drew them
    for (std::size_t j = 0; j < d; ++j) CHECK(shape.exponent[j] >= 10);  // multiples of 2^-10 count exactly
    shape.centre = centre, shape.scale = scale, shape.freq = freq, shape.phase = phase;
    baseline::profile base({1}, {}, {}, shape), window = base.empty_like();
    for (const auto& f : sides[0]) base.add(f);
    for (const auto& f : sides[1]) window.add(f);
    const auto r = baseline::compare(base, window, {{1, "a"}}, o);
    auto c = file.fields(line++);
    REQUIRE(c.word() == "centroid");
    auto g = file.fields(line++);
    REQUIRE(g.word() == "distribution");
    REQUIRE(file.fields(line++).word() == "end");
    const auto& tc = row(r, "all", "embedding centroid");
    const auto& td = row(r, "all", "embedding distribution");
    // The pseudo-inverse amplifies rounding by the condition number kappa of its kept spectrum (nearly
    // collinear random features of few dimensions reach 1e8): compared to 1e-9, or kappa times 1e-15.
    double kappa = 1;
    const auto check = [&](double got, double want, const std::string& what) {
      ++numbers;
      const double tol = std::max(1e-9, kappa * 1e-15);
      worst = std::max(worst, stratum_test::rel_err(got, want) / tol);
      if (!close(got, want, tol, 1e-12))
        FAIL_CHECK(what << ": got " << got << " want " << want << " (kappa " << kappa << ")");
    };
    kappa = c.num();
    check(tc.second, c.num(), "centroid Mahalanobis");
    check(tc.statistic, c.num(), "centroid F");
    check(tc.df1, c.num(), "centroid df1");
    check(tc.df2, c.num(), "centroid df2");
    check(tc.p_value, c.num(), "centroid p");
    CHECK(tc.shift_name == "mean of dimension " + std::to_string(c.u64()) + " (baseline sd)");
    check(tc.shift, c.num(), "centroid z");
    check(tc.shift_lower, c.num(), "centroid z lower");
    check(tc.shift_upper, c.num(), "centroid z upper");
    kappa = g.num();
    check(td.second, g.num(), "distribution Mahalanobis");
    check(td.statistic, g.num(), "distribution F");
    check(td.df1, g.num(), "distribution df1");
    check(td.df2, g.num(), "distribution df2");
    check(td.p_value, g.num(), "distribution p");
    check(td.shift, g.num(), "MMD^2");
    CHECK(tc.base_n == nb);
    CHECK(td.window_frames == nw);
    ++cases;
  }
  CHECK(cases == 60);
  MESSAGE("embedding drift: " << cases << " cases, " << numbers
                              << " numbers, largest relative error as a share of its tolerance " << worst);
}

TEST_CASE(
    "embedding moments: any split merges to the same bits; serialize round-trips; no embedding: version 1") {
  baseline::embedding_scan scan;
  std::vector<frame> frames;
  std::uint64_t s = 12345;
  const auto next = [&s] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) * 0x1p-53;
  };
  for (int i = 0; i < 300; ++i) {
    frames.push_back(
        embedded(i, {next() * 3 - 1, next() * 1e-4, 1e6 * next(), -2.5}, i % 3 == 0 ? "rain" : "clear"));
    if (i % 7 == 0) frames.back().embedding.clear();  // frames without an embedding
    frames.back().dt.add(1, 0, 0, 10, 10, next());
    scan.add(frames.back());
  }
  const auto shape = scan.shape(5);
  CHECK(shape.dims() == 4);
  CHECK(shape.scale[3] == 1.0);  // constant dimension
  baseline::profile whole({1}, {{{"weather"}}}, {}, shape);
  for (const auto& f : frames) whole.add(f);
  for (const std::size_t cut : {0, 1, 150, 299}) {
    baseline::profile a = whole.empty_like(), b = whole.empty_like();
    for (std::size_t i = 0; i < frames.size(); ++i) (i < cut ? a : b).add(frames[frames.size() - 1 - i]);
    b += a;
    CHECK(b == whole);
    CHECK(b.serialize() == whole.serialize());
  }
  const auto bytes = whole.serialize();
  CHECK(detail::read_state_header(bytes.data(), bytes.size(), baseline::profile::kind, 2).version == 2);
  CHECK(baseline::profile::deserialize(bytes) == whole);
  CHECK(whole.sets().at("all").embedding.frames == 300 - 43);
  CHECK(whole.sets().at("weather=rain").embedding.frames == 100 - 15);
  // without a shape: embeddings are counted as not profiled, and the bytes are version 1
  baseline::profile plain({1}, {{{"weather"}}});
  for (const auto& f : frames) plain.add(f);
  CHECK(plain.unprofiled_embeddings() == 257);
  const auto pb = plain.serialize();
  CHECK(detail::read_state_header(pb.data(), pb.size(), baseline::profile::kind, 2).version == 1);
  CHECK(plain.sets().at("all").embedding.empty());
  // the profile against itself: nothing moves
  baseline::drift_options o;
  const auto r = baseline::compare(whole, whole, {{1, "a"}}, o);
  const auto& t = row(r, "all", "embedding centroid");
  CHECK(t.second == 0);
  CHECK(t.p_value == 1);
  CHECK(r.base_embeddings == 257);
}

TEST_CASE(
    "embedding drift: a constant dimension leaves the rank, one that jumps is certain; clamping is counted") {
  baseline::embedding_scan scan;
  std::vector<frame> base, window;
  for (int i = 0; i < 100; ++i) {
    const double u = std::sin(i * 1.7), v = std::cos(i * 0.3);
    base.push_back(embedded(i, {u, v, 4.0}));
    window.push_back(embedded(1000 + i, {u + 0.01 * v, v, 4.0}));
    scan.add(base.back());
  }
  baseline::profile b({1}, {}, {}, scan.shape(3)), w = b.empty_like();
  for (const auto& f : base) b.add(f);
  for (const auto& f : window) w.add(f);
  auto r = baseline::compare(b, w, {{1, "a"}});
  const auto& t = row(r, "all", "embedding centroid");
  CHECK(t.df1 == 2);  // the constant third dimension is left out
  CHECK(t.p_value > 0);
  // the constant dimension moves: the test is certain
  baseline::profile w2 = b.empty_like();
  for (auto f : window) {
    f.embedding[2] = 4.5;
    w2.add(f);
  }
  r = baseline::compare(b, w2, {{1, "a"}});
  CHECK(row(r, "all", "embedding centroid").p_value == 0);
  CHECK(row(r, "all", "embedding centroid").status == "alarm");
  // a value 2000 times the baseline's largest is clamped and noted
  baseline::profile w3 = b.empty_like();
  for (auto f : window) {
    f.embedding[0] = 2000.0;
    w3.add(f);
  }
  CHECK(w3.sets().at("all").embedding.clamped == 100);
  r = baseline::compare(b, w3, {{1, "a"}});
  CHECK(row(r, "all", "embedding centroid").note.find("100 window values beyond 1024 times") !=
        std::string::npos);
}

TEST_CASE("embedding drift: bad embeddings are named by frame and leave the profile as it was") {
  baseline::embedding_scan scan;
  scan.add(embedded(1, {1.0, 2.0}));
  CHECK_THROWS_WITH_AS(scan.add(embedded(2, {1.0})),
                       doctest::Contains("frame 2: embedding has 1 values, the first frame with one had 2"),
                       input_error);
  CHECK_THROWS_WITH_AS(scan.add(embedded(3, {1.0, NAN})),
                       doctest::Contains("frame 3: embedding[1] is not finite"), input_error);
  scan.add(embedded(4, {0.5, -2.0}));
  baseline::profile p({1}, {}, {}, scan.shape());
  frame f = embedded(9, {1.0, 2.0, 3.0});
  f.dt.add(1, 0, 0, 10, 10, 0.5);
  const auto before = p;
  CHECK_THROWS_WITH_AS(p.add(f), doctest::Contains("frame 9: embedding has 3 values, the baseline's 2"),
                       input_error);
  f.embedding = {INFINITY, 1.0};
  CHECK_THROWS_WITH_AS(p.add(f), doctest::Contains("frame 9: embedding[0] is not finite"), input_error);
  CHECK(p == before);
  // other shapes do not merge
  baseline::profile q({1}, {});
  CHECK_THROWS_AS(p += q, usage_error);
}

TEST_CASE("embedding moments: the sums of products equal a direct 128-bit sum, through many carries") {
  // values 1024 times the baseline's largest are clamped at 2^30 units: products near 2^60, so the 64-bit
  // partial sums move into the 128-bit totals every few frames
  baseline::embedding_scan scan;
  scan.add(embedded(0, {1.0, -1.0, 0.5}));
  scan.add(embedded(1, {-0.5, 0.25, 1.0}));
  const auto shape = scan.shape(2);
  baseline::profile p({1}, {}, {}, shape);
  std::vector<baseline::int128> sum(5, 0), cross(15, 0);
  std::vector<std::int64_t> q(5);
  for (int i = 0; i < 1000; ++i) {
    const double big = (i % 3 == 0 ? -1 : 1) * (i % 2 ? 5000.0 : 0.001 * i);
    const auto f = embedded(i, {big, -big * 0.7, std::sin(i)});
    p.add(f);
    baseline::encode_embedding(shape, f.embedding, q.data());
    std::size_t at = 0;
    for (std::size_t a = 0; a < 5; ++a) {
      sum[a] += q[a];
      for (std::size_t b = a; b < 5; ++b) cross[at++] += static_cast<baseline::int128>(q[a]) * q[b];
    }
  }
  const auto& e = p.sets().at("all").embedding;
  CHECK(e.frames == 1000);
  CHECK(e.clamped == 1000);  // the odd frames' first two values
  CHECK(e.sum == sum);
  bool same = e.products() == 15;
  for (std::size_t i = 0; i < e.products() && same; ++i) same = e.cross(i) == cross[i];
  CHECK(same);
  CHECK(cross[0] > baseline::int128{1} << 64);  // beyond 64 bits: the carries were needed
  CHECK(baseline::profile::deserialize(p.serialize()) == p);
}
