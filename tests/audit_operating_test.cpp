// Tests for <stratum/audit/operating.hpp>: on every case of ../shared/conformance/operating/ (references
// computed from pycocotools' own per-image matching), every count equals the reference, pooled, per category
// and per slice, at both operating points, and the F1-optimal thresholds are the same doubles; a mismatch
// names the case, the slice, the category and the field. Plus the threshold rules and merging.
#include <doctest/doctest.h>

#include <stratum/audit/findings.hpp>
#include <stratum/audit/operating.hpp>
#include <stratum/audit/production.hpp>
#include <stratum/audit/rates.hpp>
#include <stratum/coco/slices.hpp>
#include <stratum/io/coco_json.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <simdjson.h>

#include "audit_cases.hpp"

namespace fs = std::filesystem;
using namespace stratum;

namespace {

std::string compare(const audit::operating_counts& got, simdjson::dom::element want,
                    const std::string& where) {
  const std::pair<const char*, std::uint64_t> fields[] = {{"tp", got.tp},
                                                          {"fp", got.fp},
                                                          {"fn", got.fn},
                                                          {"n_gt", got.n_gt},
                                                          {"n_images", got.n_images},
                                                          {"negative_images", got.negative_images},
                                                          {"false_alarm_images", got.false_alarm_images},
                                                          {"positive_images", got.positive_images},
                                                          {"miss_images", got.miss_images}};
  for (const auto& [name, v] : fields) {
    const auto w = want[name].get_uint64().value();
    if (v != w) return where + ": " + name + " = " + std::to_string(v) + ", reference " + std::to_string(w);
  }
  return {};
}

}  // namespace

TEST_CASE(
    "operating-point counts equal the references from pycocotools' matching, pooled, per category, per "
    "slice") {
  const fs::path root = STRATUM_SHARED_DIR "/conformance/operating";
  REQUIRE_MESSAGE(fs::exists(root), "missing " << root);
  std::size_t files = 0, blocks = 0, f1_checked = 0;
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    const std::string name = dir.path().filename().string();
    if (name == "bdd100k_val200" && !fs::exists(STRATUM_SHARED_DIR "/data/bdd100k_val200/gt_coco.json"))
      continue;
    const auto src = stratum_test::load_audit_source(name);
    const auto rp = coco::resolve_params(src.gt, src.p);
    for (unsigned threads : {1u, 2u}) {
      const auto rec = audit::collect(src.gt, src.dt, rp, threads);
      for (const auto& file : fs::directory_iterator(dir.path())) {
        if (file.path().extension() != ".json") continue;
        simdjson::dom::parser parser;
        const simdjson::dom::element ref = parser.load(file.path().string()).value();
        const double iou = ref["iou"].get_double().value(), s = ref["score_threshold"].get_double().value();
        std::size_t t = 0;
        while (t < rp->iou_thrs.size() && std::abs(rp->iou_thrs[t] - iou) > 1e-9) ++t;
        REQUIRE_MESSAGE(t < rp->iou_thrs.size(), name << ": IoU " << iou << " not among the thresholds");
        const std::string ctx =
            name + "/" + file.path().filename().string() + " threads=" + std::to_string(threads);
        const std::vector<double> thr(rec.categories(), s);
        auto check_block = [&](const audit::operating_point_counts& got, simdjson::dom::element want,
                               const std::string& where) {
          const auto msg = compare(got.all, want["all"], where + " all");
          REQUIRE_MESSAGE(msg.empty(), msg);
          simdjson::dom::object pc = want["per_category"].get_object().value();
          REQUIRE(pc.size() == got.per_category.size());
          for (std::size_t k = 0; k < got.per_category.size(); ++k) {
            const auto m = compare(got.per_category[k], pc[stratum_test::reference_key(rp, k)].value(),
                                   where + " category " + stratum_test::reference_key(rp, k));
            REQUIRE_MESSAGE(m.empty(), m);
          }
          ++blocks;
        };
        check_block(audit::count(rec, t, thr, rp->img_ids), ref["ALL"].value(), ctx + ": ALL");
        simdjson::dom::object slices = ref["slices"].get_object().value();
        const auto defs = coco::make_slices(src.gt, rp, stratum_test::reference_specs(slices));
        REQUIRE_MESSAGE(defs.size() == slices.size(),
                        ctx << ": " << defs.size() << " slices, reference " << slices.size());
        for (const auto& d : defs) {
          simdjson::dom::element want;
          REQUIRE_MESSAGE(!slices[d.name].get(want), ctx << ": slice " << d.name << " not in the reference");
          std::vector<std::int64_t> ids;
          for (auto i : d.images) ids.push_back(rp->img_ids[i]);
          check_block(audit::count(rec, t, thr, ids), want, ctx + ": slice " + d.name);
        }
        simdjson::dom::object f1 = ref["best_f1"].get_object().value();
        for (std::size_t k = 0; k < rec.categories(); ++k) {
          const auto got = audit::choose(rec, k, t, {});
          simdjson::dom::element want = f1[stratum_test::reference_key(rp, k)].value();
          const std::string where = ctx + ": best_f1 category " + stratum_test::reference_key(rp, k);
          if (want.is_null()) {
            CHECK_MESSAGE(!got.has_value(), where << ": expected none");
            continue;
          }
          REQUIRE_MESSAGE(got.has_value(), where << ": none found");
          CHECK_MESSAGE(got->threshold == want["threshold"].get_double().value(), where << " threshold");
          CHECK_MESSAGE(got->f1 == want["f1"].get_double().value(), where << " f1");
          CHECK_MESSAGE(got->tp == want["tp"].get_uint64().value(), where << " tp");
          CHECK_MESSAGE(got->fp == want["fp"].get_uint64().value(), where << " fp");
          CHECK_MESSAGE(got->fn == want["fn"].get_uint64().value(), where << " fn");
          ++f1_checked;
        }
        ++files;
      }
    }
  }
  CHECK(files >= 2 * 2 * 12);
  MESSAGE(files << " reference files (x2 thread counts), " << blocks << " count blocks, " << f1_checked
                << " F1-optimal thresholds, all equal");
}

TEST_CASE("threshold rules: precision>=P takes the lowest, recall>=R the highest satisfying threshold") {
  // one image, category 0: scores 0.9 (tp), 0.8 (fp), 0.7 (tp), 0.6 (fp), 0.5 (tp); 4 ground truths
  coco::params q;
  q.iou_thrs = {0.5};
  q.cat_ids = {1};
  const auto p = coco::resolve_params(q);
  audit::operating_records r(p);
  r.begin_group(7, 0);
  for (std::size_t a = 0; a < 4; ++a) r.add_ground_truths(0, a, 4);
  const std::uint64_t one = 1, none = 0;
  const double scores[] = {0.9, 0.8, 0.7, 0.6, 0.5};
  const bool tp[] = {true, false, true, false, true};
  for (int i = 0; i < 5; ++i) {
    const std::uint64_t t[4] = {tp[i] ? one : none, 0, 0, 0}, f[4] = {tp[i] ? none : one, 0, 0, 0};
    r.add_detection(0, scores[i], 7, static_cast<std::uint32_t>(i), t, f);
  }
  const auto f1 = audit::choose(r, 0, 0, audit::choice_rule::parse("f1"));
  REQUIRE(f1);
  // F1 at 0.9: 2/(2+0+3) = 0.4; 0.8: 0.333; 0.7: 4/(4+1+2) = 0.571; 0.6: 0.5; 0.5: 6/(6+2+1) = 0.667
  CHECK(f1->threshold == 0.5);
  CHECK(f1->f1 == 6.0 / 9.0);
  const auto p67 = audit::choose(r, 0, 0, audit::choice_rule::parse("precision>=0.6"));
  REQUIRE(p67);
  CHECK(p67->threshold == 0.5);  // precision 3/5 = 0.6 at 0.5, the lowest
  const auto p70 = audit::choose(r, 0, 0, audit::choice_rule::parse("precision>=0.7"));
  REQUIRE(p70);
  CHECK(p70->threshold == 0.9);  // 1.0 at 0.9; 0.5 at 0.8; 0.667 at 0.7; 0.5 at 0.6; 0.6 at 0.5
  const auto r50 = audit::choose(r, 0, 0, audit::choice_rule::parse("recall>=0.5"));
  REQUIRE(r50);
  CHECK(r50->threshold == 0.7);  // recall 2/4 first reached at 0.7, the highest
  CHECK_FALSE(audit::choose(r, 0, 0, audit::choice_rule::parse("recall>=0.9")).has_value());
  CHECK_THROWS_AS((void)audit::choice_rule::parse("precision>0.5"), usage_error);
  CHECK_THROWS_AS((void)audit::choice_rule::parse("recall>=1.5"), usage_error);
  // counts at a threshold: +inf keeps nothing, every ground truth missed
  const std::vector<std::int64_t> img = {7};
  const auto at = audit::count(r, 0, std::vector<double>{0.7}, img);
  CHECK(at.all.tp == 2);
  CHECK(at.all.fp == 1);
  CHECK(at.all.fn == 2);
  CHECK(at.all.miss_images == 1);
  const auto inf = audit::count(r, 0, std::vector<double>{std::numeric_limits<double>::infinity()}, img);
  CHECK(inf.all.tp == 0);
  CHECK(inf.all.fn == 4);
  // merging concatenates; a += a doubles
  auto twice = r;
  twice += r;
  CHECK(audit::count(twice, 0, std::vector<double>{0.7}, img).all.tp == 4);
  twice += twice;
  CHECK(audit::count(twice, 0, std::vector<double>{0.7}, img).all.fp == 4);
  CHECK_THROWS_AS(audit::operating_records(coco::resolved_params{}), usage_error);
}

TEST_CASE("rates are the stats functions applied to the counts") {
  std::uint64_t state = 12345;
  auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % n;
  };
  std::size_t zero_failure = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    audit::operating_counts c;
    c.n_gt = next(50);
    c.tp = c.n_gt ? next(c.n_gt + 1) : 0;
    c.fn = c.n_gt - c.tp;
    c.fp = next(4) == 0 ? 0 : next(40);
    c.n_images = 1 + next(30);
    c.positive_images = next(c.n_images + 1);
    c.negative_images = c.n_images - c.positive_images;
    c.miss_images = c.positive_images ? next(c.positive_images + 1) : 0;
    c.false_alarm_images = c.negative_images ? next(c.negative_images + 1) : 0;
    const auto m = static_cast<audit::interval_method>(trial % 3);
    const auto conf = trial % 2 ? confidence{0.9} : confidence{};
    const auto r = audit::rates_of(c, m, conf);
    auto binom = [&](std::uint64_t x, std::uint64_t n) {
      const auto xi = static_cast<std::int64_t>(x), ni = static_cast<std::int64_t>(n);
      return m == audit::interval_method::wilson     ? stats::wilson_interval(xi, ni, conf)
             : m == audit::interval_method::jeffreys ? stats::jeffreys_interval(xi, ni, conf)
                                                     : stats::clopper_pearson_interval(xi, ni, conf);
    };
    auto check_failure = [&](const audit::estimate& e, std::uint64_t x, std::uint64_t n, const char* what) {
      INFO(what << " x=" << x << " n=" << n);
      if (n == 0) {
        CHECK(!e.defined());
        return;
      }
      CHECK(e.value == static_cast<double>(x) / static_cast<double>(n));
      if (x == 0) {
        CHECK(e.lower == 0);
        CHECK(e.upper == stats::zero_failure_upper_bound(static_cast<std::int64_t>(n), conf));
        CHECK(std::string(e.method) == "zero-failure");
        ++zero_failure;
      } else {
        const auto iv = binom(x, n);
        CHECK(e.lower == iv.lower);
        CHECK(e.upper == iv.upper);
      }
    };
    check_failure(r.miss_rate, c.fn, c.n_gt, "miss rate");
    check_failure(r.image_false_alarm_rate, c.false_alarm_images, c.negative_images,
                  "image false-alarm rate");
    check_failure(r.image_miss_rate, c.miss_images, c.positive_images, "image miss rate");
    if (c.n_gt > 0 && c.fn > 0) {
      const auto iv = binom(c.tp, c.n_gt);
      CHECK(r.recall.lower == iv.lower);
      CHECK(r.recall.upper == iv.upper);
    } else if (c.n_gt > 0) {
      CHECK(r.recall.lower == 1 - stats::zero_failure_upper_bound(static_cast<std::int64_t>(c.n_gt), conf));
    }
    if (c.tp + c.fp > 0 && c.fp > 0) {
      const auto iv = binom(c.tp, c.tp + c.fp);
      CHECK(r.precision.lower == iv.lower);
      CHECK(r.precision.upper == iv.upper);
    }
    const auto pi =
        stats::poisson_rate_interval(static_cast<std::int64_t>(c.fp), static_cast<double>(c.n_images), conf);
    CHECK(r.fppi.value == static_cast<double>(c.fp) / static_cast<double>(c.n_images));
    CHECK(r.fppi.lower == pi.lower);
    CHECK(r.fppi.upper == pi.upper);
    if (2 * c.tp + c.fp + c.fn > 0)
      CHECK(r.f1.value == static_cast<double>(2 * c.tp) / static_cast<double>(2 * c.tp + c.fp + c.fn));
  }
  CHECK(zero_failure > 100);
}

TEST_CASE("findings: cliffs against the rest, provenance, real-only counts, unmeasured cells") {
  const fs::path d = STRATUM_SHARED_DIR "/conformance/coco/basic";
  const auto gt = io::load_coco_ground_truth((d / "gt.json").string());
  const auto dt = io::load_coco_results((d / "dt.json").string(), gt);
  const std::vector<coco::slice_spec> specs = {{{"weather"}}, {{"rig"}}, {{"weather", "timeofday"}}};
  const auto r = audit::run_audit(gt, dt, io::load_coco_params((d / "params.json").string()), specs);
  const auto& op = r.points.at(0);
  const auto f = audit::find(r, op, 0.05, stats::p_value_adjustment::holm);
  REQUIRE(f.slices.size() == op.slices.size());
  const std::vector<double> thr(r.records.categories(), 0.5);
  std::vector<double> p;
  std::size_t checked = 0;
  for (const auto& c : f.cliffs) {
    // the rest, counted independently on the complement image set
    const auto& sl = op.slices[c.slice];
    std::vector<std::int64_t> rest;
    std::vector<char> in(r.p->img_ids.size(), 0);
    for (auto i : sl.images) in[i] = 1;
    for (std::size_t i = 0; i < in.size(); ++i)
      if (!in[i]) rest.push_back(r.p->img_ids[i]);
    const auto rc = audit::count(r.records, op.t, thr, rest).all;
    const auto& sc = sl.counts.all;
    const bool miss = std::string(c.rate) == "miss_rate";
    const auto x1 = static_cast<std::int64_t>(miss ? sc.fn : sc.false_alarm_images);
    const auto n1 = static_cast<std::int64_t>(miss ? sc.n_gt : sc.negative_images);
    const auto x2 = static_cast<std::int64_t>(miss ? rc.fn : rc.false_alarm_images);
    const auto n2 = static_cast<std::int64_t>(miss ? rc.n_gt : rc.negative_images);
    INFO(sl.name << " " << c.rate);
    CHECK(c.p_value == stats::fisher_exact(x1, n1 - x1, x2, n2 - x2).p_value);
    CHECK(c.difference == stats::newcombe_interval(x1, n1, x2, n2));
    CHECK(c.rest_rate == static_cast<double>(x2) / static_cast<double>(n2));
    p.push_back(c.p_value);
    ++checked;
  }
  REQUIRE(checked > 10);
  const auto holm = stats::holm(p);
  for (std::size_t i = 0; i < f.cliffs.size(); ++i) {
    CHECK(f.cliffs[i].p_adjusted == holm.adjusted[i]);
    CHECK(f.cliffs[i].flagged == (holm.reject[i] && f.cliffs[i].difference.estimate > 0));
    if (i) CHECK(f.cliffs[i - 1].difference.estimate >= f.cliffs[i].difference.estimate);
  }
  // provenance mix and the real-only counts
  for (std::size_t s = 0; s < op.slices.size(); ++s) {
    std::uint64_t images[4] = {0, 0, 0, 0};
    std::vector<std::int64_t> real;
    for (auto i : op.slices[s].images) {
      const auto id = r.p->img_ids[i];
      for (const auto& im : gt.images)
        if (im.id == id) {
          const int k = im.provenance == "real"        ? 0
                        : im.provenance == "synthetic" ? 1
                        : im.provenance == "augmented" ? 2
                                                       : 3;
          ++images[k];
          if (k == 0) real.push_back(id);
        }
    }
    for (int k = 0; k < 4; ++k) CHECK(f.slices[s].mix.images[k] == images[k]);
    CHECK(f.slices[s].real_only.all == audit::count(r.records, op.t, thr, real).all);
    CHECK(f.slices[s].mostly_not_real == (2 * images[0] < images[0] + images[1] + images[2] + images[3]));
  }
  // a joint cell no image has is listed
  coco::ground_truth g;
  g.categories = {{1, "a"}};
  auto image = [&](std::int64_t id, const char* w, const char* t) {
    coco::image_info im;
    im.id = id;
    im.attrs = {{"weather", w}, {"timeofday", t}};
    g.images.push_back(im);
  };
  image(1, "rain", "day");
  image(2, "clear", "night");
  image(3, "clear", "day");
  const coco::detection_set none;
  const auto r2 = audit::run_audit(g, none, {}, {{{"weather", "timeofday"}}});
  const auto f2 = audit::find(r2, r2.points[0]);
  REQUIRE(f2.unmeasured.size() == 1);
  CHECK(f2.unmeasured[0].name == "weather=rain&timeofday=night");
}

TEST_CASE(
    "production mix: post-stratified rates from the cells' counts, unmeasured shares, PPV at a prevalence") {
  const fs::path d = STRATUM_SHARED_DIR "/conformance/coco/basic";
  auto gt = io::load_coco_ground_truth((d / "gt.json").string());
  const auto dt = io::load_coco_results((d / "dt.json").string(), gt);
  // every weather x timeofday cell occurs in this case: move the fog-at-night images to dusk, so that one
  // combination of known values has no image (attributes do not change the counts)
  for (auto& im : gt.images) {
    const auto *w = im.attribute("weather"), *t = im.attribute("timeofday");
    if (w && t && *w == "fog" && *t == "night")
      for (auto& kv : im.attrs)
        if (kv.first == "timeofday") kv.second = "dusk";
  }
  const auto r = audit::run_audit(gt, dt, io::load_coco_params((d / "params.json").string()), {});
  const auto& op = r.points.at(0);
  // the cells of weather x timeofday present in the data, plus the absent one
  std::map<std::string, std::vector<std::int64_t>> cells;
  std::map<std::string, std::vector<std::string>> values;
  for (const auto& im : gt.images) {
    const auto *w = im.attribute("weather"), *t = im.attribute("timeofday");
    if (!w || !t) continue;
    const std::string name = "weather=" + *w + "&timeofday=" + *t;
    cells[name].push_back(im.id);
    values[name] = {*w, *t};
  }
  REQUIRE(cells.size() >= 4);
  audit::production_mix mix;
  mix.keys = {"weather", "timeofday"};
  double left = 1;
  for (const auto& [name, ids] : cells) {
    const double share = left / 2;
    mix.cells.push_back({values[name], share, audit::cell_name(mix.keys, values[name])});
    left -= share;
  }
  mix.cells.back().share += left / 2;
  left /= 2;
  // an absent combination of known values carries the rest
  std::string absent;
  for (const char* w : {"clear", "fog", "rain", "snow"})
    for (const char* t : {"day", "dusk", "night"}) {
      const std::string n = audit::cell_name(mix.keys, {w, t});
      if (!cells.count(n) && absent.empty()) {
        absent = n;
        mix.cells.push_back({{w, t}, left, n});
      }
    }
  REQUIRE(!absent.empty());
  mix.prevalence[r.category_id(0)] = 0.2;
  audit::validate(mix, r, "mix.json");
  const auto est = audit::estimate_production(r, op, mix);
  // independently: the weighted mean of the cells' miss rates over the measured share
  const std::vector<double> thr(r.records.categories(), 0.5);
  double w = 0, num = 0;
  for (const auto& c : mix.cells) {
    auto ids = cells[c.name];
    std::sort(ids.begin(), ids.end());
    const auto cc = audit::count(r.records, op.t, thr, ids).all;
    if (cc.n_gt == 0) continue;
    w += c.share;
    num += c.share * static_cast<double>(cc.fn) / static_cast<double>(cc.n_gt);
  }
  CHECK(est.miss_rate.measured_share == doctest::Approx(w).epsilon(1e-15));
  CHECK(est.miss_rate.rate.value == doctest::Approx(num / w).epsilon(1e-14));
  CHECK(est.miss_rate.rate.lower <= est.miss_rate.rate.value);
  CHECK(est.miss_rate.rate.value <= est.miss_rate.rate.upper);
  REQUIRE(est.miss_rate.unmeasured.size() == 1);
  CHECK(est.miss_rate.unmeasured[0].name == absent);
  CHECK(est.miss_rate.unmeasured[0].share == left);
  // PPV at pi = 0.2 from the class's image-level rates
  REQUIRE(est.classes.size() == 1);
  const auto& cp = est.classes[0];
  const auto rt = r.rates(op.all.per_category[0]);
  const double tpr = 1 - rt.image_miss_rate.value, far = rt.image_false_alarm_rate.value;
  CHECK(cp.ppv.value == doctest::Approx(tpr * 0.2 / (tpr * 0.2 + far * 0.8)).epsilon(1e-14));
  CHECK(cp.ppv.lower <= cp.ppv.value);
  CHECK(cp.ppv.value <= cp.ppv.upper);
  CHECK(cp.false_alarms_per_1000.value == doctest::Approx(1000 * 0.8 * far).epsilon(1e-14));
  // bad mixes
  auto bad = mix;
  bad.cells[0].share += 0.1;
  CHECK_THROWS_WITH_AS(audit::validate(bad, r, "mix.json"), doctest::Contains("the shares sum to"),
                       input_error);
  bad = mix;
  bad.cells[0].values = {"hail", "day"};
  bad.cells[0].name = audit::cell_name(bad.keys, bad.cells[0].values);
  CHECK_THROWS_WITH_AS(audit::validate(bad, r, "mix.json"),
                       doctest::Contains("unknown value 'hail' of attribute 'weather'"), input_error);
  bad = mix;
  bad.prevalence[r.category_id(0)] = 1.0;
  CHECK_THROWS_WITH_AS(audit::validate(bad, r, "mix.json"), doctest::Contains("pi must lie in (0, 1)"),
                       input_error);
  bad = mix;
  bad.prevalence[424242] = 0.5;
  CHECK_THROWS_WITH_AS(audit::validate(bad, r, "mix.json"),
                       doctest::Contains("category 424242 is not evaluated"), input_error);
}
