// The evidence pack's criteria (report/criteria.hpp, io/criteria_json.hpp) and the pack
// (report/evidence.hpp): verdicts at, just above and just below the limits, on slices without evidence, the
// sample size that would decide, measurements equal to the audit's own rates, bad criteria refused with their
// index and field, and the pack's JSON holding what the criteria say.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>

#include <simdjson.h>
#include <boost/math/special_functions/gamma.hpp>

#include <stratum/audit/audit.hpp>
#include <stratum/audit/bootstrap.hpp>
#include <stratum/audit/calibration.hpp>
#include <stratum/audit/curves.hpp>
#include <stratum/audit/errors.hpp>
#include <stratum/audit/findings.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/io/criteria_json.hpp>
#include <stratum/report/evidence.hpp>
#include <stratum/stats/proportion.hpp>
#include <stratum/stats/sample_size.hpp>

namespace fs = std::filesystem;
using namespace stratum;
using report::direction;
using report::verdict;

namespace {

report::measurement meas(double v, double lo, double hi, std::uint64_t n) {
  report::measurement m;
  m.value = v, m.lower = lo, m.upper = hi, m.n = n, m.interval = "test";
  return m;
}

report::criterion crit(report::metric what, double limit, direction d, std::uint64_t min_n = 0) {
  report::criterion c;
  c.what = what, c.limit = limit, c.dir = d, c.min_n = min_n;
  return c;
}

double up(double x) {
  return std::nextafter(x, std::numeric_limits<double>::infinity());
}
double down(double x) {
  return std::nextafter(x, -std::numeric_limits<double>::infinity());
}

report::criteria_set parse(const std::string& text) {
  const simdjson::padded_string json(text);
  return io::parse_criteria(json, "criteria.json");
}

std::string parse_error(const std::string& text) {
  try {
    (void)parse(text);
  } catch (const input_error& e) {
    return e.what();
  }
  return "(no error)";
}

struct basic_audit {
  coco::ground_truth gt;
  coco::detection_set dt;
  audit::audit_result r;
  std::vector<audit::findings> found;
  audit::audit_bootstrap bs;
  std::vector<audit::operating_curves> curves;
  std::vector<audit::operating_errors> errs;
  std::vector<audit::operating_calibration> cal;
};

const basic_audit& basic() {
  static const basic_audit b = [] {
    basic_audit x;
    const fs::path d = STRATUM_SHARED_DIR "/conformance/coco/basic";
    x.gt = io::load_coco_ground_truth((d / "gt.json").string());
    x.dt = io::load_coco_results((d / "dt.json").string(), x.gt);
    audit::audit_options ao;
    ao.calibration = true;
    x.r = audit::run_audit(x.gt, x.dt, io::load_coco_params((d / "params.json").string()),
                           {{{"weather"}}, {{"rig"}}, {{"weather", "timeofday"}}}, ao);
    x.found.push_back(audit::find(x.r, x.r.points[0], 0.05));
    x.bs = audit::bootstrap(x.r, {200, 3, ao.conf, 1});
    x.curves.push_back(audit::curves(x.r, x.r.points[0], 50));
    x.errs.push_back(audit::errors(x.r, x.r.points[0]));
    x.cal.push_back(audit::calibrate(x.r, x.r.points[0], {}));
    audit::bootstrap_calibration(x.r, x.r.points[0], x.cal.back(), {200, 3, ao.conf, 1});
    return x;
  }();
  return b;
}

}  // namespace

TEST_CASE("judge: at, just above and just below the limit, both directions") {
  using report::metric;
  const double L = 0.2;
  const auto at_most = crit(metric::miss_rate, L, direction::at_most);
  // upper on the limit passes (the interval is at or below it); one ulp above does not
  CHECK(report::judge(at_most, meas(0.1, 0.05, L, 100)).v == verdict::pass);
  CHECK(report::judge(at_most, meas(0.1, 0.05, up(L), 100)).v == verdict::inconclusive);
  // lower on the limit straddles; one ulp above fails
  CHECK(report::judge(at_most, meas(0.3, L, 0.4, 100)).v == verdict::inconclusive);
  CHECK(report::judge(at_most, meas(0.3, up(L), 0.4, 100)).v == verdict::fail);
  CHECK(report::judge(at_most, meas(0.2, 0.15, 0.25, 100)).v == verdict::inconclusive);

  const auto at_least = crit(metric::precision, L, direction::at_least);
  CHECK(report::judge(at_least, meas(0.3, L, 0.4, 100)).v == verdict::pass);
  CHECK(report::judge(at_least, meas(0.3, down(L), 0.4, 100)).v == verdict::inconclusive);
  CHECK(report::judge(at_least, meas(0.1, 0.05, L, 100)).v == verdict::inconclusive);
  CHECK(report::judge(at_least, meas(0.1, 0.05, down(L), 100)).v == verdict::fail);

  // a decided verdict carries no sample size; a straddling one does
  CHECK_FALSE(report::judge(at_most, meas(0.1, 0.05, L, 100)).needed_n);
  // the smallest n whose Wilson interval at the observed rate (x = 0.25 n) excludes 0.2
  const auto j = report::judge(at_most, meas(0.25, 0.15, 0.35, 100));
  REQUIRE(j.needed_n);
  auto wilson_lower = [](double p, double n) {
    const double z = 1.959963984540054, z2 = z * z;
    return ((p + z2 / (2 * n)) - z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  };
  CHECK(wilson_lower(0.25, static_cast<double>(*j.needed_n)) > 0.2);
  CHECK(wilson_lower(0.25, static_cast<double>(*j.needed_n - 1)) <= 0.2);
  CHECK(*j.needed_n ==
        246);  // statsmodels proportion_confint(0.25 n, n, method="wilson") lower > 0.2 from n = 246
  // an interval widened by the bootstrap: at least the observed width scaled, n (w / d)^2
  auto wide = meas(0.25, 0.1, 0.4, 100);
  wide.widened = true;
  const auto j2 = report::judge(at_most, wide);
  REQUIRE(j2.needed_n);
  CHECK(*j2.needed_n == 900);  // w = 0.15, d = 0.05 (0.4 - 0.1 is not exactly 0.3: the count is still 900)
  // on the limit: nothing decides
  const auto j3 = report::judge(at_most, meas(0.2, 0.15, 0.25, 100));
  CHECK(j3.v == verdict::inconclusive);
  CHECK_FALSE(j3.needed_n);
}

TEST_CASE("judge: a slice without evidence, below min_n, failure-free and without an interval") {
  using report::metric;
  const confidence conf{};
  // no object at all: inconclusive, with the zero-failure size of the limit
  auto j = report::judge(crit(metric::miss_rate, 0.05, direction::at_most), meas(NAN, NAN, NAN, 0));
  CHECK(j.v == verdict::inconclusive);
  REQUIRE(j.needed_n);
  CHECK(*j.needed_n == stats::zero_failure_sample_size(0.05, conf));
  CHECK(*j.needed_n == 59);  // 0.95^59 < 0.05 < 0.95^58
  // a success rate at least 0.9 on nothing: the zero-failure size of its complement 0.1
  j = report::judge(crit(metric::precision, 0.9, direction::at_least), meas(NAN, NAN, NAN, 0));
  CHECK(*j.needed_n == stats::zero_failure_sample_size(0.1, conf));
  // false positives per frame at most 0.5 on no frame: -ln(0.025) / 0.5 = 7.38 -> 8 frames
  j = report::judge(crit(metric::fppi, 0.5, direction::at_most), meas(NAN, NAN, NAN, 0));
  CHECK(*j.needed_n == 8);
  CHECK(stats::poisson_rate_interval(0, 8).upper <= 0.5);
  CHECK(stats::poisson_rate_interval(0, 7).upper > 0.5);
  // an unmeasured (declared) cell
  auto m = meas(NAN, NAN, NAN, 0);
  m.evidence = false;
  j = report::judge(crit(metric::miss_rate, 0.05, direction::at_most), m);
  CHECK(j.v == verdict::inconclusive);
  CHECK(j.reason.find("unmeasured") != std::string::npos);
  // an interval that passes on too few units is inconclusive, with min_n as the size
  j = report::judge(crit(metric::miss_rate, 0.9, direction::at_most, 50), meas(0.1, 0.02, 0.3, 20));
  CHECK(j.v == verdict::inconclusive);
  CHECK(j.needed_n == 50);
  CHECK(report::judge(crit(metric::miss_rate, 0.9, direction::at_most, 20), meas(0.1, 0.02, 0.3, 20)).v ==
        verdict::pass);
  // nothing failed in 20 objects: [0, U] straddles 0.05; the zero-failure size decides
  const double U = stats::zero_failure_upper_bound(20, conf);
  j = report::judge(crit(metric::miss_rate, 0.05, direction::at_most), meas(0, 0, U, 20));
  CHECK(j.v == verdict::inconclusive);
  CHECK(j.needed_n == 59);
  CHECK(stats::zero_failure_upper_bound(59, conf) <= 0.05);
  // ECE without its bootstrap interval
  j = report::judge(crit(metric::ece, 0.1, direction::at_most), meas(0.05, NAN, NAN, 300));
  CHECK(j.v == verdict::inconclusive);
  CHECK(j.reason.find("no interval") != std::string::npos);
}

TEST_CASE("judge: the sample size that would decide a straddling rate is the smallest that does") {
  // Over random rates and limits. Exactly: at the observed rate (x = p n continuous) the Wilson interval
  // (written out here) excludes the limit at the size named and not one below it. As counts: with x rounded
  // to a whole number, it excludes the limit at 1.25 times the size and not at 0.75 times it (rounding moves
  // the rate by up to 0.5 / n, a few percent of the size at these rates).
  const double z = 1.959963984540054, z2 = z * z;
  auto wilson = [&](double p, double n) {
    const double den = 1 + z2 / n, c = (p + z2 / (2 * n)) / den;
    const double h = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / den;
    return std::pair{c - h, c + h};
  };
  std::mt19937_64 rng(11);
  std::size_t tested = 0, counted = 0;
  for (int trial = 0; trial < 10000; ++trial) {
    const std::int64_t n = 20 + static_cast<std::int64_t>(rng() % 2000);
    const std::int64_t x = 1 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n - 1));
    const double p = static_cast<double>(x) / static_cast<double>(n);
    const double L = std::uniform_real_distribution<double>(0.01, 0.99)(rng);
    const auto w = stats::wilson_interval(x, n);
    const auto j = report::judge(crit(report::metric::miss_rate, L, direction::at_most),
                                 meas(p, w.lower, w.upper, static_cast<std::uint64_t>(n)));
    if (j.v != verdict::inconclusive) continue;
    REQUIRE(j.needed_n);
    const double need = static_cast<double>(*j.needed_n);
    INFO("x " << x << " n " << n << " L " << L << " needed " << need);
    auto excl = [&](std::pair<double, double> iv) { return iv.second < L || iv.first > L; };
    CHECK(excl(wilson(p, need)));
    CHECK_FALSE(excl(wilson(p, need - 1)));
    ++tested;
    if (p * (1 - p) * need < 50) continue;
    auto counts = [&](double size) {
      const auto xs = static_cast<std::int64_t>(std::llround(p * size));
      const auto iv = stats::wilson_interval(xs, static_cast<std::int64_t>(size));
      return excl({iv.lower, iv.upper});
    };
    CHECK(counts(std::ceil(1.25 * need)));
    if (0.75 * need > static_cast<double>(n)) CHECK_FALSE(counts(std::floor(0.75 * need)));
    ++counted;
  }
  CHECK(tested > 600);
  CHECK(counted > 300);
  // false positives per frame: the exact Poisson interval at k = v n
  for (const double v : {0.3, 1.7, 4.2})
    for (const double L : {0.5 * v, 0.9 * v, 1.2 * v, 3 * v}) {
      const auto iv0 = stats::poisson_rate_interval(static_cast<std::int64_t>(v * 10), 10);
      const auto j =
          report::judge(crit(report::metric::fppi, L, direction::at_most), meas(v, iv0.lower, iv0.upper, 10));
      if (j.v != verdict::inconclusive) continue;
      REQUIRE(j.needed_n);
      auto excl = [&](double n) {
        const double k = v * n;
        const double lo = boost::math::gamma_p_inv(k, 0.025) / n,
                     hi = boost::math::gamma_q_inv(k + 1, 0.025) / n;
        return hi < L || lo > L;
      };
      const double need = static_cast<double>(*j.needed_n);
      INFO("v " << v << " L " << L << " needed " << need);
      CHECK(excl(need));
      CHECK_FALSE(excl(need - 1));
    }
}

TEST_CASE("criteria file: parsed, and refused with the criterion's index and field") {
  const auto cs = parse(R"({"reviewer": "R", "notes": "n", "odd": {"weather": ["clear", "hail"]},
    "criteria": [{"metric": "miss_rate", "limit": 0.2, "direction": "at_most"},
                 {"id": "P", "metric": "precision", "class": 3, "slice": "weather=clear", "iou": 0.5,
                  "limit": 0.7, "direction": ">=", "min_n": 40, "note": "x"}]})");
  REQUIRE(cs.criteria.size() == 2);
  CHECK(cs.reviewer == "R");
  CHECK(cs.odd.at("weather") == std::vector<std::string>{"clear", "hail"});
  CHECK(cs.criteria[0].cls == "all");
  CHECK(cs.criteria[0].slice == "all");
  CHECK(cs.criteria[1].cls == "3");
  CHECK(cs.criteria[1].dir == direction::at_least);
  CHECK(cs.criteria[1].min_n == 40);
  CHECK(*cs.criteria[1].iou == 0.5);

  const std::string head =
      R"({"reviewer": "R", "criteria": [{"metric": "miss_rate", "limit": 0.2, "direction": "at_most"}, )";
  CHECK(parse_error(head + R"({"metric": "mAP", "limit": 0.2, "direction": "at_most"}]})") ==
        "criteria.json: criteria[1].metric: unknown metric 'mAP' (known: " + report::metric_names() + ")");
  CHECK(parse_error(head + R"({"metric": "recall", "direction": "at_most"}]})") ==
        "criteria.json: criteria[1].limit: missing field");
  CHECK(parse_error(head + R"({"metric": "recall", "limit": 1.5, "direction": "at_least"}]})") ==
        "criteria.json: criteria[1].limit: a rate's limit lies in [0, 1]");
  CHECK(parse_error(head + R"({"metric": "recall", "limit": 0.5, "direction": "below"}]})") ==
        "criteria.json: criteria[1].direction: expected at_most or at_least, got 'below'");
  CHECK(
      parse_error(head + R"({"metric": "recall", "limit": 0.5, "direction": "at_least", "clas": "car"}]})") ==
      "criteria.json: criteria[1].clas: unknown field (known: id, metric, class, slice, iou, limit, "
      "direction, "
      "min_n, note, feature)");
  CHECK(parse_error(head + R"({"metric": "recall", "limit": "high", "direction": "at_least"}]})") ==
        "criteria.json: criteria[1].limit: expected a number");
  CHECK(parse_error(R"({"criteria": []})") ==
        "criteria.json: reviewer: missing field (who reviews this pack)");
  CHECK(parse_error(R"({"reviewer": "R", "criteria": []})") == "criteria.json: criteria: no criterion");
  CHECK(parse_error(R"({"reviewer": "R", "odd": {"weather": []}, "criteria": []})") ==
        "criteria.json: odd.weather: no value declared");
  CHECK(parse_error(R"({"reviewer": "R", "criteria": [)").find("criteria.json: invalid JSON") == 0);
}

TEST_CASE("criteria against an audit: unknown class, slice and IoU refused; declared cells unmeasured") {
  const auto& b = basic();
  auto cs =
      parse(R"({"reviewer": "R", "odd": {"weather": ["clear", "rain", "hail"], "timeofday": ["day", "night"]},
    "criteria": [{"metric": "miss_rate", "limit": 0.2, "direction": "at_most"}]})");
  auto error_of = [&](report::criterion c) -> std::string {
    cs.criteria.push_back(std::move(c));
    try {
      (void)report::resolve(cs, cs.criteria.size() - 1, b.r, true);
    } catch (const input_error& e) {
      cs.criteria.pop_back();
      return e.what();
    }
    cs.criteria.pop_back();
    return "(no error)";
  };
  report::criterion c = crit(report::metric::miss_rate, 0.2, direction::at_most);
  c.cls = "zebra";
  CHECK(error_of(c) == "criteria[1].class: 'zebra' is not an evaluated class (a name or an id, or all)");
  c.cls = "all";
  c.slice = "weather=sandstorm";
  CHECK(error_of(c).rfind("criteria[1].slice: 'weather=sandstorm' is not a slice of the audit", 0) == 0);
  c.slice = "season=winter";
  CHECK(error_of(c).rfind("criteria[1].slice:", 0) == 0);
  c.slice = "all";
  c.iou = 0.55;
  CHECK(error_of(c).rfind("criteria[1].iou: 0.55 is not an operating point of the audit (0.5)", 0) == 0);
  c.iou.reset();
  c.what = report::metric::ece;
  c.cls = std::to_string(b.r.category_id(0));
  c.slice = b.r.points[0].slices[0].name;
  CHECK(error_of(c) ==
        "criteria[1].class: ece is per class over every frame or per slice over every class, not both");
  // a declared value never seen, and a declared joint cell: unmeasured, not refused
  for (const char* s : {"weather=hail", "weather=hail&timeofday=night"}) {
    report::criterion u = crit(report::metric::miss_rate, 0.2, direction::at_most);
    u.slice = s;
    cs.criteria.push_back(u);
    const auto t = report::resolve(cs, cs.criteria.size() - 1, b.r, true);
    CHECK(t.unmeasured);
    const auto m = report::measure(u, t, b.r, &b.bs, &b.cal[0]);
    CHECK_FALSE(m.evidence);
    CHECK(report::judge(u, m).v == verdict::inconclusive);
    cs.criteria.pop_back();
  }
}

TEST_CASE("measure: the audit's rates, united with the bootstrap's intervals") {
  const auto& b = basic();
  const auto& op = b.r.points[0];
  report::criteria_set cs;
  cs.reviewer = "R";
  std::size_t n = 0;
  for (std::size_t s = 0; s <= op.slices.size(); ++s)
    for (std::size_t k = 0; k <= b.r.category_names.size(); ++k) {
      report::criterion c = crit(report::metric::miss_rate, 0.5, direction::at_most);
      report::criterion_target t;
      if (s) t.slice = s - 1;
      if (k) t.k = k - 1;
      const auto& cnt = (k ? (s ? op.slices[s - 1].counts : op.all).per_category[k - 1]
                           : (s ? op.slices[s - 1].counts : op.all).all);
      const auto rt = b.r.rates(cnt);
      const auto& sb = s ? b.bs.points[0].slices[s - 1] : b.bs.points[0].all;
      const auto& rb = k ? sb.per_category[k - 1] : sb.all;
      auto expect = [&](report::metric m, const audit::estimate& e, audit::rate br, std::uint64_t units,
                        bool flip) {
        c.what = m;
        const auto got = report::measure(c, t, b.r, &b.bs, nullptr);
        const auto plain = report::measure(c, t, b.r, nullptr, nullptr);
        CHECK(got.n == units);
        if (!e.defined()) {
          CHECK(std::isnan(got.value));
          return;
        }
        const double v = flip ? 1 - e.value : e.value;
        CHECK(got.value == v);
        CHECK(plain.lower == (flip ? 1 - e.upper : e.lower));
        CHECK(plain.upper == (flip ? 1 - e.lower : e.upper));
        const auto& iv = rb.of(br);
        if (iv.defined()) {
          const double lo = std::min(e.lower, iv.lower), hi = std::max(e.upper, iv.upper);
          CHECK(got.lower == (flip ? 1 - hi : lo));
          CHECK(got.upper == (flip ? 1 - lo : hi));
        }
        ++n;
      };
      expect(report::metric::miss_rate, rt.miss_rate, audit::rate::miss_rate, cnt.n_gt, false);
      expect(report::metric::recall, rt.recall, audit::rate::recall, cnt.n_gt, false);
      expect(report::metric::precision, rt.precision, audit::rate::precision, cnt.tp + cnt.fp, false);
      expect(report::metric::false_discovery_rate, rt.precision, audit::rate::precision, cnt.tp + cnt.fp,
             true);
      expect(report::metric::fppi, rt.fppi, audit::rate::fppi, cnt.n_images, false);
      expect(report::metric::image_false_alarm_rate, rt.image_false_alarm_rate,
             audit::rate::image_false_alarm_rate, cnt.negative_images, false);
      expect(report::metric::image_miss_rate, rt.image_miss_rate, audit::rate::image_miss_rate,
             cnt.positive_images, false);
    }
  CHECK(n > 100);
  // ECE: the calibration's value and bootstrap interval, per class and per slice
  report::criterion e = crit(report::metric::ece, 0.1, direction::at_most);
  report::criterion_target t;
  auto m = report::measure(e, t, b.r, &b.bs, &b.cal[0]);
  CHECK(m.value == b.cal[0].all.all.above.ece);
  CHECK(m.lower == b.cal[0].all.all.above.lower[0]);
  CHECK(m.upper == b.cal[0].all.all.above.upper[0]);
  CHECK(m.n == b.cal[0].all.all.above.detections);
  t.slice = 1;
  m = report::measure(e, t, b.r, &b.bs, &b.cal[0]);
  CHECK(m.value == b.cal[0].slices[1].above.ece);
  CHECK(m.upper == b.cal[0].slices[1].above.upper[0]);
}

TEST_CASE(
    "the pack: every criterion's verdict in the JSON, every section, the same numbers in Markdown and HTML") {
  const auto& b = basic();
  const auto cs = parse(R"({"reviewer": "A. Reviewer", "odd": {"weather": ["clear", "rain", "hail"]},
    "criteria": [{"id": "loose", "metric": "miss_rate", "limit": 0.99, "direction": "at_most"},
                 {"id": "strict", "metric": "miss_rate", "limit": 0.0001, "direction": "at_most"},
                 {"id": "hail", "metric": "miss_rate", "slice": "weather=hail", "limit": 0.5, "direction": "at_most"},
                 {"id": "ece", "metric": "ece", "limit": 0.5, "direction": "at_most"}]})");
  report::evidence_inputs in;
  in.r = &b.r, in.found = &b.found, in.bootstrap = &b.bs, in.curves = &b.curves, in.errors = &b.errs;
  in.calibration = &b.cal, in.criteria = &cs;
  in.inputs.push_back({"ground truth", "gt.json", 10, {}});
  in.criteria_file = {"criteria", "criteria.json", 5, {}};
  in.command_line = "stratum report ...";
  in.created_utc = "2026-01-01T00:00:00Z";
  in.run_by = "tester@host";
  const auto pack = report::build_evidence(in);
  simdjson::dom::parser parser;
  const auto doc = parser.parse(pack.json).value();
  CHECK(doc["format"].get_string().value() == "stratum-evidence");
  CHECK(doc["schema_version"].get_int64().value() == report::evidence_schema_version);
  for (const char* s : {"summary", "criteria", "coverage", "failure_map", "classes", "calibration", "errors",
                        "synthetic_evidence", "drift", "weaknesses", "trail"})
    CHECK_MESSAGE(!doc[s].error(), s);
  const auto crits = doc["criteria"].get_array().value();
  REQUIRE(crits.size() == 4);
  std::size_t i = 0;
  for (auto c : crits) {
    report::criterion_target t = report::resolve(cs, i, b.r, true);
    const auto m = report::measure(cs.criteria[i], t, b.r, &b.bs, &b.cal[0]);
    const auto j = report::judge(cs.criteria[i], m);
    CHECK(c["verdict"].get_string().value() == report::name(j.v));
    if (!std::isnan(m.value)) CHECK(c["value"].get_double().value() == m.value);
    ++i;
  }
  CHECK(std::string(crits.at(0)["verdict"].get_string().value()) == "PASS");
  CHECK(std::string(crits.at(1)["verdict"].get_string().value()) == "FAIL");
  CHECK(std::string(crits.at(2)["verdict"].get_string().value()) == "INCONCLUSIVE");
  CHECK(pack.pass + pack.fail + pack.inconclusive == 4);
  // the weaknesses name the failed and the inconclusive criterion and the unmeasured value
  const std::string weak = simdjson::to_string(doc["weaknesses"]);
  CHECK(weak.find("strict") != std::string::npos);
  CHECK(weak.find("weather=hail") != std::string::npos);
  // the HTML is self-contained: no reference to anything outside it
  for (const char* bad : {"http://", "https://", "<link", "src=", "@import", "url("})
    CHECK_MESSAGE(pack.html.find(bad) == std::string::npos, bad);
  CHECK(pack.html.find("Content-Security-Policy") != std::string::npos);
  CHECK(pack.markdown.find("not a safety certification") != std::string::npos);
  CHECK(pack.html.find("not a safety certification") != std::string::npos);
  // bad criteria are refused before anything is built
  auto bad = cs;
  bad.criteria[1].cls = "zebra";
  in.criteria = &bad;
  CHECK_THROWS_WITH_AS(report::build_evidence(in),
                       "criteria[1].class: 'zebra' is not an evaluated class (a name or an id, or all)",
                       input_error);
}

TEST_CASE("drift criteria: the shift of the named test, judged per window, the worst window reported") {
  const auto& b = basic();
  auto window = [](std::uint64_t index, double shift, double lo, double hi) {
    report::drift_window w;
    w.index = index;
    baseline::drift_test t;
    t.set = "all", t.feature = "miss rate", t.cls = "", t.iou = 0.5, t.window_n = 400;
    t.shift = shift, t.shift_lower = lo, t.shift_upper = hi, t.shift_name = "difference";
    t.p_value = 0.5;
    w.r.tests.push_back(t);
    baseline::drift_test s = t;
    s.feature = "score", s.iou = NAN, s.set = "weather=rain", s.cls = "person";
    s.shift = s.shift_lower = s.shift_upper = NAN;  // too little data
    w.r.tests.push_back(s);
    return w;
  };
  const std::vector<report::drift_window> ws = {window(0, 0.01, -0.02, 0.04), window(1, 0.08, 0.06, 0.1),
                                                window(2, 0.03, 0.0, 0.06)};
  auto cs = parse(R"({"reviewer": "R", "criteria": [
    {"metric": "drift", "feature": "miss rate", "limit": 0.05, "direction": "at_most"},
    {"metric": "drift", "feature": "score", "slice": "weather=rain", "limit": 0.05, "direction": "at_most"}]})");
  // judged per window: PASS, FAIL, INCONCLUSIVE
  const auto t0 = report::resolve(cs, 0, b.r, true, &ws);
  std::vector<verdict> v;
  for (const auto& w : ws)
    v.push_back(report::judge(cs.criteria[0], report::measure_drift(cs.criteria[0], "", w)).v);
  CHECK(v == std::vector<verdict>{verdict::pass, verdict::fail, verdict::inconclusive});
  const auto m1 = report::measure_drift(cs.criteria[0], "", ws[1]);
  CHECK(m1.value == 0.08);
  CHECK(m1.lower == 0.06);
  CHECK(m1.n == 400);
  (void)t0;
  // a test with too little data: not measured
  const auto ms = report::measure_drift(cs.criteria[1], "", ws[0]);
  CHECK_FALSE(ms.evidence);
  CHECK(report::judge(cs.criteria[1], ms).v == verdict::inconclusive);
  // refused: a drift criterion without a baseline, a set the comparison does not have, an unknown feature
  CHECK_THROWS_WITH_AS(
      (void)report::resolve(cs, 0, b.r, true, nullptr),
      "criteria[0].metric: drift needs a baseline and a window (--baseline FILE --window FRAMES.jsonl)",
      input_error);
  cs.criteria[1].slice = "weather=hail";
  CHECK_THROWS_WITH_AS(
      (void)report::resolve(cs, 1, b.r, true, &ws),
      "criteria[1].slice: 'weather=hail' is not a set of the drift comparison (the baseline's slices, "
      "or an attribute key for the scenario mix)",
      input_error);
  CHECK(parse_error(R"({"reviewer": "R", "criteria": [{"metric": "drift", "feature": "colour", "limit": 0.1,
    "direction": "at_most"}]})")
            .find("criteria.json: criteria[0].feature: unknown feature 'colour' (known: score, ") == 0);
  CHECK(
      parse_error(
          R"({"reviewer": "R", "criteria": [{"metric": "drift", "limit": 0.1, "direction": "at_most"}]})") ==
      "criteria.json: criteria[0].feature: missing field (metric drift names the drift test's feature)");
  CHECK(parse_error(R"({"reviewer": "R", "criteria": [{"metric": "recall", "feature": "AP", "limit": 0.1,
    "direction": "at_least"}]})") ==
        "criteria.json: criteria[0].feature: only a drift criterion names a feature");
  // in the pack: the worst window's verdict and measurement
  cs.criteria[1].slice = "all";
  cs.criteria.pop_back();
  report::evidence_inputs in;
  in.r = &b.r, in.found = &b.found, in.bootstrap = &b.bs, in.curves = &b.curves, in.errors = &b.errs;
  in.calibration = &b.cal, in.criteria = &cs, in.drift = &ws;
  in.inputs.push_back({"ground truth", "gt.json", 10, {}});
  const auto pack = report::build_evidence(in);
  simdjson::dom::parser parser;
  const auto doc = parser.parse(pack.json).value();
  const auto c0 = doc["criteria"].at(0);
  CHECK(std::string(c0["verdict"].get_string().value()) == "FAIL");
  CHECK(c0["value"].get_double().value() == 0.08);
  CHECK(std::string(c0["reason"].get_string().value()).rfind("window 1: ", 0) == 0);
  CHECK(doc["drift"]["windows"].get_array().value().size() == 3);
}
