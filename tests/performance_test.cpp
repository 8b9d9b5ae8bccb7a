// The comparison of a labelled window's rates with the baseline's and the label-free expected precision
// (baseline/performance.hpp):
//   - on 30 random cases of tests/oracles/performance.py (frames whose matching is evident, misses and false
//     positives clustered in frames, shifted and unshifted windows, slices and joint cells, tied and untied
//     scores): every rate test's counts, values, interval, statistic, degrees of freedom, p-value,
//     Holm-adjusted p-value and status, and every expected-precision estimate (isotonic calibration per set
//     and class, the measured precision, the gap and its interval) equal the oracle's (numpy transcription
//     frame by frame; scipy, statsmodels and scikit-learn for the tests and the calibration);
//   - the window folded in chunks of any size gives the same sums; the baseline's own frames as a window
//     change nothing.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <stratum/audit/stream.hpp>
#include <stratum/baseline/file.hpp>
#include <stratum/baseline/performance.hpp>
#include <stratum/report/drift.hpp>

#include "oracle_file.hpp"

using namespace stratum;
using stratum_test::same_or_nan;
using stratum_test::spaced;

namespace {

const std::vector<coco::category_info> categories = {{1, "1"}, {2, "2"}, {3, "3"}};
const std::vector<coco::slice_spec> specs = {{{"weather"}}, {{"weather", "rig"}}};

baseline::baseline_file freeze(const std::vector<frame>& frames, const std::map<std::int64_t, double>& thr) {
  audit::audit_stream au(categories, {});
  for (const auto& f : frames) au.add(f);
  audit::audit_options o;
  o.thresholds.what = audit::threshold_policy::kind::per_category;
  o.thresholds.per_category = thr;
  const auto r = au.finalize(specs, o);
  return baseline::freeze(au, {}, r, specs, o, {}, 0);
}

bool same_sums(const baseline::performance_sums& a, const baseline::performance_sums& b) {
  if (a.labelled != b.labelled || a.points.size() != b.points.size()) return false;
  for (std::size_t p = 0; p < a.points.size(); ++p) {
    if (a.points[p].size() != b.points[p].size()) return false;
    for (const auto& [name, s] : a.points[p]) {
      const auto it = b.points[p].find(name);
      if (it == b.points[p].end() || it->second.frames != s.frames) return false;
      for (std::size_t c = 0; c < s.classes.size(); ++c) {
        const auto &x = s.classes[c], &y = it->second.classes.at(c);
        if (std::tie(x.tp, x.fp, x.n_gt, x.frames_gt, x.frames_det, x.fn_sq, x.n_sq, x.fn_n, x.fp_sq, x.d_sq,
                     x.fp_d, x.positives, x.misses, x.false_alarms, x.est_n, x.est_tp, x.est_frames) !=
            std::tie(y.tp, y.fp, y.n_gt, y.frames_gt, y.frames_det, y.fn_sq, y.n_sq, y.fn_n, y.fp_sq, y.d_sq,
                     y.fp_d, y.positives, y.misses, y.false_alarms, y.est_n, y.est_tp, y.est_frames))
          return false;
        if (std::fabs(x.est_e - y.est_e) > 1e-9 * std::max(1.0, std::fabs(x.est_e))) return false;
      }
    }
  }
  return true;
}

}  // namespace

TEST_CASE("performance: every rate test and estimate equals the oracle's on 30 random cases") {
  const auto file = stratum_test::read_oracle("performance.txt", 100);
  std::size_t line = 0, cases = 0, rates = 0, tested = 0, flagged = 0, estimates = 0;
  while (line < file.size()) {
    auto head = file.fields(line++);
    REQUIRE(head.word() == "case");
    const auto index = head.u64();
    CAPTURE(index);
    std::map<std::int64_t, double> thr;
    for (std::int64_t c = 1; c <= 3; ++c) thr[c] = head.num();
    std::vector<frame> sides[2];
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<double>> want_rates;
    std::map<std::tuple<std::string, std::string, std::string>, std::string> want_status;
    std::map<std::pair<std::string, std::string>, std::vector<double>> want_est;
    for (;;) {
      auto t = file.fields(line++);
      const auto tag = t.word();
      if (tag == "end") break;
      if (tag == "frame") {
        frame f;
        const auto side = t.u64();
        f.id = static_cast<std::int64_t>(t.u64());
        f.width = 10000, f.height = 1000;
        const auto w = t.word(), r = t.word();
        if (w != "-") f.attrs.push_back({"weather", w});
        if (r != "-") f.attrs.push_back({"rig", r});
        const auto g = t.u64();
        for (std::uint64_t i = 0; i < g; ++i)
          f.gt.add(static_cast<std::int64_t>(i + 1), static_cast<std::int64_t>(t.u64()),
                   100.0 * static_cast<double>(i), 0, 40, 40, 1600, false);
        const auto d = t.u64();
        for (std::uint64_t i = 0; i < d; ++i) {
          const auto c = static_cast<std::int64_t>(t.u64());
          const double s = t.num();
          const double on = t.num();
          if (on >= 0)
            f.dt.add(c, 100.0 * on, 0, 40, 40, s);  // on its ground truth: IoU 1
          else
            f.dt.add(c, 100.0 * static_cast<double>(i), 500, 40, 40, s);  // on nothing: IoU 0
        }
        sides[side].push_back(std::move(f));
      } else if (tag == "rate") {
        const auto set = t.word(), feature = spaced(t.word()), cls = t.word();
        std::vector<double> v = {t.num(), t.num(), t.num(), t.num()};
        for (int j = 0; j < 9; ++j) v.push_back(t.num());
        want_rates[{set, feature, cls == "-" ? "" : cls}] = v;
        want_status[{set, feature, cls == "-" ? "" : cls}] = spaced(t.word());
      } else {
        REQUIRE(tag == "est");
        const auto set = t.word(), cls = t.word();
        want_est[{set, cls == "-" ? "" : cls}] = t.nums(10);
      }
    }
    const auto b = freeze(sides[0], thr);
    const auto setup = baseline::setup_of(b, 30);
    const auto base = baseline::sums_of(b, setup);
    baseline::performance_window pw(b, setup, 7);  // chunks of 7 frames
    for (const auto& f : sides[1]) pw.add(f);
    const auto& ws = pw.sums();
    // chunking changes nothing
    baseline::performance_window whole(b, setup, 1u << 20);
    for (const auto& f : sides[1]) whole.add(f);
    CHECK(same_sums(ws, whole.sums()));
    baseline::drift_result res;
    baseline::compare_performance(base, ws, setup, baseline::class_names(b), res);
    baseline::adjust(res);
    CHECK(res.labelled);
    REQUIRE(res.tests.size() == want_rates.size());
    for (const auto& g : res.tests) {
      const auto key = std::make_tuple(g.set, g.feature, g.cls);
      INFO(g.set << " / " << g.feature << " / " << g.cls);
      REQUIRE(want_rates.count(key));
      const auto& v = want_rates.at(key);
      CHECK(g.base_n == static_cast<std::uint64_t>(v[0]));
      CHECK(g.window_n == static_cast<std::uint64_t>(v[1]));
      CHECK(g.base_frames == static_cast<std::uint64_t>(v[2]));
      CHECK(g.window_frames == static_cast<std::uint64_t>(v[3]));
      const double got[9] = {g.base_value, g.window_value, g.shift,   g.shift_lower, g.shift_upper,
                             g.statistic,  g.df1,          g.p_value, g.p_adjusted};
      const char* what[9] = {"base",      "window", "shift", "lower",     "upper",
                             "statistic", "df",     "p",     "p adjusted"};
      for (int j = 0; j < 9; ++j)
        CHECK_MESSAGE(same_or_nan(got[j], v[4 + j]), std::string(what[j])
                                                         << ": " << doctest::toString(got[j]) << " vs "
                                                         << doctest::toString(v[4 + j]));
      CHECK(g.status == want_status.at(key));
      CHECK(g.iou == 0.5);
      ++rates;
      tested += !std::isnan(g.p_value);
      flagged += g.status != "ok" && g.status != "too little data";
    }
    REQUIRE(res.estimates.size() == want_est.size());
    for (const auto& e : res.estimates) {
      INFO("estimate " << e.set << " / " << e.cls);
      const auto key = std::make_pair(e.set, e.cls);
      REQUIRE(want_est.count(key));
      const auto& v = want_est.at(key);
      CHECK(e.base_detections == static_cast<std::uint64_t>(v[0]));
      CHECK(e.window_detections == static_cast<std::uint64_t>(v[1]));
      CHECK(e.window_uncovered == static_cast<std::uint64_t>(v[2]));
      CHECK(e.window_frames == static_cast<std::uint64_t>(v[3]));
      const double got[6] = {e.base_precision, e.expected, e.measured, e.gap, e.gap_lower, e.gap_upper};
      for (int j = 0; j < 6; ++j)
        CHECK_MESSAGE(same_or_nan(got[j], v[4 + j]),
                      j << ": " << doctest::toString(got[j]) << " vs " << doctest::toString(v[4 + j]));
      ++estimates;
    }
    // the baseline's own frames as a window: every rate unchanged, every test at p = 1
    if (index < 3) {
      baseline::performance_window self(b, setup, 64);
      for (const auto& f : sides[0]) self.add(f);
      const auto& ss = self.sums();
      CHECK(same_sums(ss, base));
      baseline::drift_result r2;
      baseline::compare_performance(base, ss, setup, baseline::class_names(b), r2);
      baseline::adjust(r2);
      for (const auto& t : r2.tests) {
        if (std::isnan(t.p_value)) continue;
        CHECK(t.shift == 0);
        CHECK(t.p_value == doctest::Approx(1.0));
        CHECK(t.status == "ok");
      }
    }
    const auto j = report::drift_json(res);
    CHECK(j.find("\"expected_precision\": [{") != std::string::npos);
    ++cases;
  }
  CHECK(cases == 30);
  MESSAGE(rates << " rate comparisons, " << tested << " tested, " << flagged << " flagged; " << estimates
                << " estimates");
  CHECK(tested > 1000);
  CHECK(flagged > 50);
}

TEST_CASE("performance: an unlabelled window compares no rate and still estimates") {
  std::vector<frame> frames;
  for (int i = 0; i < 60; ++i) {
    frame f;
    f.id = i + 1;
    f.attrs = {{"weather", i % 2 ? "rain" : "clear"}};
    f.gt.add(1, 1, 0, 0, 40, 40, 1600, false);
    f.dt.add(1, 0, 0, 40, 40, 0.9);                        // a true positive
    f.dt.add(1, 500, 500, 40, 40, 0.6 + 0.001 * (i % 7));  // a false positive
    frames.push_back(f);
  }
  const auto b = freeze(frames, {{1, 0.5}, {2, 0.5}, {3, 0.5}});
  const auto setup = baseline::setup_of(b, 30);
  const auto base = baseline::sums_of(b, setup);
  baseline::performance_window pw(b, setup);
  for (auto f : frames) {
    f.gt.clear();
    pw.add(f);
  }
  baseline::drift_result res;
  baseline::compare_performance(base, pw.sums(), setup, baseline::class_names(b), res);
  CHECK_FALSE(res.labelled);
  CHECK(res.tests.empty());
  REQUIRE_FALSE(res.estimates.empty());
  const auto& all = res.estimates.front();
  CHECK(all.set == "all");
  CHECK(all.cls == "");
  CHECK(all.base_precision == doctest::Approx(0.5));
  CHECK(all.expected == doctest::Approx(0.5));  // the isotonic fit: 1 at 0.9, 0 below
  CHECK(std::isnan(all.measured));
}
