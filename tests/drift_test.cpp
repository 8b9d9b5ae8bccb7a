// The drift profile and the comparison of a window with a baseline (baseline/profile.hpp,
// baseline/drift.hpp):
//   - on 40 random cases of tests/oracles/drift.py (clustered frames, shifted and unshifted windows, slices
//     and joint cells, categories missing on one side, values the baseline never saw): the quantile binning,
//     and every test's counts, PSI, KS D or Wasserstein, shift with its interval, statistic, degrees of
//     freedom, p-value, Holm-adjusted p-value and status equal the oracle's (numpy transcription frame by
//     frame; scipy / statsmodels for the tests);
//   - the counts of a hand-built frame; the binning's thin-bin rule; bad detections named.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <stratum/baseline/drift.hpp>
#include <stratum/baseline/profile.hpp>
#include <stratum/report/drift.hpp>

#include "oracle_file.hpp"

using namespace stratum;
using stratum_test::same_or_nan;
using stratum_test::spaced;

namespace {

struct oracle_test {
  std::string set, feature, cls, status;
  std::uint64_t base_n = 0, window_n = 0, base_frames = 0, window_frames = 0;
  std::vector<double> v;  // psi second base window shift lower upper statistic df1 df2 p p_adj
};

}  // namespace

TEST_CASE("drift: every number equals the oracle's on 40 random cases") {
  const auto file = stratum_test::read_oracle("drift.txt", 100);
  std::size_t line = 0, cases = 0, compared = 0, tested = 0, flagged = 0;
  const std::vector<coco::slice_spec> specs = {{{"weather"}}, {{"weather", "rig"}}};
  while (line < file.size()) {
    auto head = file.fields(line++);
    REQUIRE(head.word() == "case");
    const auto index = head.u64();
    const auto K = head.u64();
    std::vector<std::int64_t> ids;
    std::vector<coco::category_info> cats;
    for (std::uint64_t k = 0; k < K; ++k) {
      ids.push_back(static_cast<std::int64_t>(head.u64()));
      cats.push_back({ids.back(), "c" + std::to_string(ids.back())});
    }
    CAPTURE(index);
    std::vector<frame> sides[2];
    std::map<std::pair<std::size_t, std::size_t>, std::vector<std::uint32_t>> cuts;
    std::vector<oracle_test> want;
    for (;;) {
      auto t = file.fields(line++);
      const auto tag = t.word();
      if (tag == "end") break;
      if (tag == "frame") {
        frame f;
        const auto side = t.u64();
        f.id = static_cast<std::int64_t>(t.u64());
        const auto w = t.word(), r = t.word();
        if (w != "-") f.attrs.push_back({"weather", w});
        if (r != "-") f.attrs.push_back({"rig", r});
        const auto n = t.u64();
        for (std::uint64_t i = 0; i < n; ++i) {
          const auto c = static_cast<std::int64_t>(t.u64());
          const double s = t.num(), bw = t.num(), bh = t.num();
          f.dt.add(c, 0, 0, bw, bh, s);
        }
        sides[side].push_back(std::move(f));
      } else if (tag == "cuts") {
        const auto k = t.u64(), f = t.u64(), n = t.u64();
        auto& c = cuts[{k, f}];
        for (std::uint64_t i = 0; i < n; ++i) c.push_back(static_cast<std::uint32_t>(t.u64()));
      } else {
        REQUIRE(tag == "test");
        oracle_test o;
        o.set = t.word(), o.feature = spaced(t.word()), o.cls = t.word();
        if (o.cls == "-") o.cls.clear();
        o.base_n = t.u64(), o.window_n = t.u64(), o.base_frames = t.u64(), o.window_frames = t.u64();
        o.v = t.nums(12);
        o.status = spaced(t.word());
        want.push_back(std::move(o));
      }
    }
    // the binning: the baseline's quantile cuts, as the oracle places them
    baseline::profile first(ids, specs);
    for (const auto& f : sides[0]) first.add(f);
    const auto bins = first.quantile_binning(10);
    for (std::size_t k = 0; k <= K; ++k)
      for (std::size_t f = 0; f < 3; ++f) {
        CAPTURE(k);
        CAPTURE(f);
        CHECK(bins.cuts[k][f] == cuts[{k, f}]);
      }
    baseline::profile base(ids, specs, bins), window(ids, specs, bins);
    for (const auto& f : sides[0]) base.add(f);
    for (const auto& f : sides[1]) window.add(f);
    const auto r = baseline::compare(base, window, cats);
    REQUIRE(r.tests.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      const auto& g = r.tests[i];
      const auto& o = want[i];
      INFO("test " << i << ": " << o.set << " / " << o.feature << " / " << o.cls);
      CHECK(g.set == o.set);
      CHECK(g.feature == o.feature);
      CHECK(g.cls == o.cls);
      CHECK(g.base_n == o.base_n);
      CHECK(g.window_n == o.window_n);
      CHECK(g.base_frames == o.base_frames);
      CHECK(g.window_frames == o.window_frames);
      const double got[12] = {g.psi,   g.second,      g.base_value,  g.window_value,
                              g.shift, g.shift_lower, g.shift_upper, g.statistic,
                              g.df1,   g.df2,         g.p_value,     g.p_adjusted};
      const char* what[12] = {"psi",   "second",    "base value", "window value", "shift", "lower",
                              "upper", "statistic", "df1",        "df2",          "p",     "p adjusted"};
      for (int j = 0; j < 12; ++j)
        CHECK_MESSAGE(same_or_nan(got[j], o.v[j]), std::string(what[j])
                                                       << ": " << doctest::toString(got[j]) << " vs "
                                                       << doctest::toString(o.v[j]) << " (relative "
                                                       << stratum_test::rel_err(got[j], o.v[j]) << ")");
      CHECK(g.status == o.status);
      ++compared;
      tested += !std::isnan(o.v[10]);
      flagged += o.status == "shift" || o.status == "warn" || o.status == "alarm";
    }
    // the report's JSON carries every test
    const auto j = report::drift_json(r);
    CHECK(j.find("\"tests\": [") != std::string::npos);
    ++cases;
  }
  CHECK(cases == 40);
  MESSAGE(compared << " comparisons, " << tested << " with a test, " << flagged << " flagged");
  CHECK(tested > 500);
  CHECK(flagged > 50);
}

TEST_CASE("drift profile: the counts of hand-built frames") {
  baseline::binning b;
  b.cuts.resize(3);
  b.cuts[0][0] = {100};  // score < 0.5 | >= 0.5, all classes
  b.cuts[1][0] = {};
  b.cuts[2][0] = {100};
  b.cuts[0][1] = {100};  // box size log2 < 5 | >= 5 (32 px)
  b.cuts[0][2] = {};
  baseline::profile p({4, 9}, {{{"weather"}}}, b);
  frame f;
  f.id = 1;
  f.attrs = {{"weather", "rain"}};
  f.dt.add(4, 0, 0, 64, 64, 0.75);  // score bin 150 (coarse 1), size log2 6 (bin 120, coarse 1), aspect 0
  f.dt.add(4, 0, 0, 8, 32, 0.25);   // score bin 50 (coarse 0), size log2 4 (bin 80), aspect -2 (bin 40)
  f.dt.add(9, 0, 0, 16, 16, 0.5);   // score bin 100 (coarse 1), size 4, aspect 0
  p.add(f);
  frame g;
  g.id = 2;  // no weather, no detections
  p.add(g);
  const auto& all = p.sets().at("all");
  CHECK(all.frames == 2);
  CHECK(all.detections == 3);
  CHECK(all.detections_sq.value() == 9);
  const auto& score = all.at(0);
  CHECK(score.frames == 1);
  CHECK(score.coarse == std::vector<std::uint64_t>{1, 2});
  CHECK(score.cross == std::vector<std::uint64_t>{1, 2, 4});  // x = (1, 2): 1, 1 * 2, 2 * 2
  CHECK(score.fine[150] == 1);
  CHECK(score.fine[50] == 1);
  CHECK(score.fine[100] == 1);
  CHECK(score.t2.value() == 300.0 * 300.0);
  CHECK(score.tm.value() == 300.0 * 3);
  CHECK(all.at(1).coarse == std::vector<std::uint64_t>{2});  // class 4: one bin
  CHECK(all.at(2).coarse == std::vector<std::uint64_t>{0, 1});
  const auto& size = all.at(3);
  CHECK(size.coarse == std::vector<std::uint64_t>{2, 1});
  CHECK(size.fine[120] == 1);
  CHECK(size.fine[80] == 2);
  CHECK(all.at(4).fine[40] == 1);
  CHECK(all.at(4).fine[80] == 2);
  const auto& mix = all.at(5);
  CHECK(mix.coarse == std::vector<std::uint64_t>{2, 1});
  CHECK(mix.cross == std::vector<std::uint64_t>{4, 2, 1});
  CHECK(p.sets().at("weather=rain").frames == 1);
  CHECK(p.sets().count("weather=") == 0);
  CHECK(p.scenario().at("weather").at("rain") == 1);
  CHECK(p.scenario().at("weather").at("") == 1);
}

TEST_CASE("drift profile: quantile binning leaves out thin bins") {
  baseline::profile p({1, 2}, {});
  frame f;
  f.id = 1;
  const auto put = [&f](std::int64_t c, int n, double score) {
    for (int i = 0; i < n; ++i) f.dt.add(c, 0, 0, 10, 10, score);
  };
  // class 1: 79 in bin 60 (deciles 1-7: a cut after it); 2 in bin 100 reach decile 8 with less than half a
  // decile since the cut (none there); 10 in bin 150 reach decile 9 (a cut); 9 in bin 180 above it
  put(1, 79, 0.3025), put(1, 2, 0.5025), put(1, 10, 0.7525), put(1, 9, 0.9025);
  // class 2: 70 in bin 60; one in each bin 100..109 (decile 8 at 109); 16 in bin 150 pass decile 9; the 4
  // in bin 180 are a last bin thinner than half a decile: its cut goes
  put(2, 70, 0.3025);
  for (int i = 0; i < 10; ++i) put(2, 1, 0.5025 + 0.005 * i);
  put(2, 16, 0.7525), put(2, 4, 0.9025);
  p.add(f);
  const auto b = p.quantile_binning(10);
  CHECK(b.cuts[1][0] == std::vector<std::uint32_t>{61, 151});
  CHECK(b.cuts[2][0] == std::vector<std::uint32_t>{61, 110});
  CHECK(b.cuts[1][1].empty());  // box features: class 0 only
}

TEST_CASE("drift profile: bad detections are named; other shapes do not merge or compare") {
  baseline::profile p({1, 2}, {{{"weather"}}});
  frame f;
  f.id = 77;
  f.dt.add(1, 0, 0, 10, 10, 1.5);
  CHECK_THROWS_WITH_AS(p.add(f), doctest::Contains("frame 77, detection 0: score 1.5"), input_error);
  f.dt.clear();
  f.dt.add(3, 0, 0, 10, 10, 0.5);
  CHECK_THROWS_WITH_AS(p.add(f), doctest::Contains("frame 77, detection 0: category_id 3"), input_error);
  f.dt.clear();
  f.dt.add(1, 0, 0, -1, 10, 0.5);
  CHECK_THROWS_WITH_AS(p.add(f), doctest::Contains("width and height"), input_error);
  // a refused frame leaves the profile as it was, however far its detections were read
  const auto before = p;
  f.dt.clear();
  f.dt.add(1, 0, 0, 10, 10, 0.5);
  f.dt.add(2, 0, 0, 10, 10, 0.7);
  f.dt.add(2, 0, 0, 10, 10, -0.1);
  CHECK_THROWS_WITH_AS(p.add(f), doctest::Contains("frame 77, detection 2: score"), input_error);
  CHECK(p == before);
  f.dt.score[2] = 0.1;
  p.add(f);
  CHECK(p.sets().at("all").detections == 3);
  CHECK(p.sets().at("all").at(0).count() == 3);
  baseline::profile q({1, 2}, {});
  CHECK_THROWS_AS(p += q, usage_error);
  CHECK_THROWS_AS((void)baseline::compare(p, q, {}), usage_error);
}
