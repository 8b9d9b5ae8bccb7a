// Tests for <stratum/audit/bootstrap.hpp>: the weighted replicate counts equal the counts of literally
// resampling the images (every image repeated w times) and auditing that data set at the same thresholds,
// pooled, per category and per slice; the bootstrap intervals, undefined-replicate counts and design effects
// equal those computed from the literal replicates; unit weights give the audit's own counts on every
// operating conformance case; the result does not depend on the number of threads.
#include <doctest/doctest.h>

#include <stratum/audit/bootstrap.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/report/audit_json.hpp>
#include <stratum/stats/bootstrap_interval.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "audit_cases.hpp"
#include "coco_cases.hpp"
#include "resample.hpp"

namespace fs = std::filesystem;
using namespace stratum;

namespace {

std::vector<coco::slice_spec> specs_of(const coco::ground_truth& gt) {
  bool attrs = false;
  for (const auto& im : gt.images) attrs = attrs || !im.attrs.empty();
  if (!attrs) return {};
  return {{{"weather"}}, {{"rig"}}, {{"weather", "timeofday"}}};
}

audit::audit_options options(const coco::params& p, bool chosen) {
  audit::audit_options o;
  const auto iou = p.iou_thrs.empty() ? coco::params{}.iou_thrs : p.iou_thrs;
  o.ious = {iou.front()};
  if (chosen) {
    o.thresholds.what = audit::threshold_policy::kind::chosen;
    o.thresholds.rule = audit::choice_rule::parse("f1");
  }
  return o;
}

bool equal_or_both_nan(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

}  // namespace

TEST_CASE("unit weights give the audit's own counts, pooled, per category and per slice, on every case") {
  std::size_t sets = 0;
  for (const auto& dir : fs::directory_iterator(STRATUM_SHARED_DIR "/conformance/operating")) {
    const std::string name = dir.path().filename().string();
    if (!dir.is_directory() || name == "bdd100k_val200") continue;
    const auto src = stratum_test::load_audit_source(name);
    for (bool chosen : {false, true}) {
      const auto r = audit::run_audit(src.gt, src.dt, src.p, specs_of(src.gt), options(src.p, chosen));
      const auto& op = r.points.at(0);
      const audit::replicate_counter counter(r, op);
      std::vector<audit::operating_point_counts> c;
      counter.counts([](std::int64_t) { return 1u; }, c);
      REQUIRE(c.size() == 1 + op.slices.size());
      auto same = [&](const audit::operating_point_counts& got, const audit::operating_point_counts& want,
                      const std::string& where) {
        CHECK_MESSAGE(got.all == want.all, name << " " << where << " all");
        REQUIRE(got.per_category.size() == want.per_category.size());
        for (std::size_t k = 0; k < want.per_category.size(); ++k)
          CHECK_MESSAGE(got.per_category[k] == want.per_category[k],
                        name << " " << where << " category " << k);
        ++sets;
      };
      same(c[0], op.all, "pool");
      for (std::size_t s = 0; s < op.slices.size(); ++s)
        same(c[1 + s], op.slices[s].counts, op.slices[s].name);
    }
  }
  CHECK(sets > 50);
}

TEST_CASE("replicate counts, intervals and design effects equal those of literally resampling the images") {
  constexpr std::size_t B = 12;
  constexpr std::uint64_t seed = 11;
  std::size_t compared = 0;
  for (const std::string name : {"basic", "crowd", "large", "class_agnostic"}) {
    const auto src = stratum_test::load_audit_source(name);
    const auto specs = specs_of(src.gt);
    for (bool chosen : {false, true}) {
      INFO(name, chosen ? " chosen thresholds" : " global threshold");
      const auto o = options(src.p, chosen);
      const auto r = audit::run_audit(src.gt, src.dt, src.p, specs, o);
      const auto& op = r.points.at(0);
      const std::size_t K = r.records.categories(), S = 1 + op.slices.size();
      // the literal audits use the operating point's thresholds (none: above every score)
      audit::audit_options lo = o;
      lo.thresholds.what = audit::threshold_policy::kind::per_category;
      for (std::size_t k = 0; k < K; ++k)
        lo.thresholds.per_category[r.category_id(k)] = op.thresholds[k].value_or(1e300);
      // literal[set][kk][rate] over replicates
      std::vector<std::vector<std::array<std::vector<double>, audit::n_rates>>> literal(
          S, std::vector<std::array<std::vector<double>, audit::n_rates>>(K + 1));
      const audit::replicate_counter counter(r, op);
      std::vector<audit::operating_point_counts> weighted;
      for (std::uint32_t b = 0; b < B; ++b) {
        auto w = [&](std::int64_t id) {
          return stats::poisson_weight(seed, static_cast<std::uint64_t>(id), b);
        };
        const auto [rgt, rdt] = stratum_test::resample(src.gt, src.dt, w);
        const auto lr = audit::run_audit(rgt, rdt, src.p, specs, lo);
        const auto& lop = lr.points.at(0);
        counter.counts(w, weighted);
        std::map<std::string, const audit::operating_point_counts*> by_name;
        for (const auto& sl : lop.slices) by_name[sl.name] = &sl.counts;
        const audit::operating_point_counts empty{{}, std::vector<audit::operating_counts>(K)};
        for (std::size_t s = 0; s < S; ++s) {
          const audit::operating_point_counts* want = &lop.all;
          if (s > 0) {
            const auto it = by_name.find(op.slices[s - 1].name);
            want = it == by_name.end() ? &empty : it->second;  // no image of the slice drawn
          }
          const auto& got = weighted[s];
          REQUIRE_MESSAGE(got.all == want->all, "replicate " << b << " set " << s << " all");
          for (std::size_t k = 0; k < K; ++k)
            REQUIRE_MESSAGE(got.per_category[k] == want->per_category[k],
                            "replicate " << b << " set " << s << " category " << k);
          for (std::size_t kk = 0; kk <= K; ++kk) {
            const auto v = audit::rate_values(kk == 0 ? want->all : want->per_category[kk - 1]);
            for (std::size_t q = 0; q < audit::n_rates; ++q) literal[s][kk][q].push_back(v[q]);
          }
          ++compared;
        }
      }
      // the intervals and design effects from the literal replicates
      const auto bs = audit::bootstrap(r, {B, seed, confidence{0.9}, 1});
      const auto& pb = bs.points.at(0);
      for (std::size_t s = 0; s < S; ++s)
        for (std::size_t kk = 0; kk <= K; ++kk) {
          const auto& cb = s == 0 ? pb.all : pb.slices[s - 1];
          const auto& got = kk == 0 ? cb.all : cb.per_category[kk - 1];
          const auto& sc = s == 0 ? op.all : op.slices[s - 1].counts;
          const auto& point = kk == 0 ? sc.all : sc.per_category[kk - 1];
          const auto pv = audit::rate_values(point);
          std::array<double, audit::n_rates> var{};
          for (std::size_t q = 0; q < audit::n_rates; ++q) {
            const auto& v = literal[s][kk][q];
            std::size_t undefined = 0;
            for (double x : v) undefined += std::isnan(x) ? 1 : 0;
            CHECK(got.intervals[q].undefined == undefined);
            var[q] = std::numeric_limits<double>::quiet_NaN();
            if (undefined > 0 || std::isnan(pv[q])) {
              CHECK(!got.intervals[q].defined());
              continue;
            }
            const auto ci = stats::percentile_interval(v, confidence{0.9});
            CHECK(got.intervals[q].lower == ci.lower);
            CHECK(got.intervals[q].upper == ci.upper);
            double mean = 0, ss = 0;
            for (double x : v) mean += x;
            mean /= static_cast<double>(v.size());
            for (double x : v) ss += (x - mean) * (x - mean);
            var[q] = ss / static_cast<double>(v.size() - 1);
          }
          const double mr = pv[1], pr = pv[2];
          const double model_miss = point.n_gt ? mr * (1 - mr) / static_cast<double>(point.n_gt) : 0;
          const double model_prec =
              point.tp + point.fp ? pr * (1 - pr) / static_cast<double>(point.tp + point.fp) : 0;
          const double model_fppi = point.n_images ? static_cast<double>(point.fp) /
                                                         static_cast<double>(point.n_images * point.n_images)
                                                   : 0;
          const double nan = std::numeric_limits<double>::quiet_NaN();
          CHECK(equal_or_both_nan(got.deff_miss_rate,
                                  model_miss > 0 && !std::isnan(var[1]) ? var[1] / model_miss : nan));
          CHECK(equal_or_both_nan(got.deff_precision,
                                  model_prec > 0 && !std::isnan(var[2]) ? var[2] / model_prec : nan));
          CHECK(equal_or_both_nan(got.deff_fppi,
                                  model_fppi > 0 && !std::isnan(var[4]) ? var[4] / model_fppi : nan));
        }
    }
  }
  CHECK(compared > 500);
}

TEST_CASE(
    "the audit bootstrap does not depend on the number of threads; another seed gives other intervals") {
  const auto src = stratum_test::load_audit_source("large");
  const auto r = audit::run_audit(src.gt, src.dt, src.p, specs_of(src.gt), options(src.p, true));
  const auto one = audit::bootstrap(r, {64, 5, {}, 1});
  const auto two = audit::bootstrap(r, {64, 5, {}, 2});
  const auto other = audit::bootstrap(r, {64, 6, {}, 2});
  const auto j1 = report::audit_json(r, {.bootstrap = &one});
  CHECK(j1 == report::audit_json(r, {.bootstrap = &two}));
  CHECK(j1 != report::audit_json(r, {.bootstrap = &other}));
  CHECK(j1.find("\"design_effect\": {\"miss_rate\": ") != std::string::npos);
  CHECK_THROWS_AS((void)audit::bootstrap(r, {0, 5, {}, 1}), usage_error);
  // more replicate values than the memory limit: refused before anything is allocated
  CHECK_THROWS_WITH_AS((void)audit::bootstrap(r, {100000000, 5, {}, 1}),
                       doctest::Contains("use fewer replicates or slices"), usage_error);
}

TEST_CASE("rate_values are the values of rates_of") {
  stratum_test::splitmix64 g{3};
  for (int i = 0; i < 20000; ++i) {
    audit::operating_counts c;
    c.n_gt = g.below(6);
    c.tp = c.n_gt ? g.below(c.n_gt + 1) : 0;
    c.fn = c.n_gt - c.tp;
    c.fp = g.below(5);
    c.n_images = g.below(4);
    c.positive_images = c.n_images ? g.below(c.n_images + 1) : 0;
    c.negative_images = c.n_images - c.positive_images;
    c.miss_images = c.positive_images ? g.below(c.positive_images + 1) : 0;
    c.false_alarm_images = c.negative_images ? g.below(c.negative_images + 1) : 0;
    const auto r = audit::rates_of(c);
    const auto v = audit::rate_values(c);
    const double want[] = {r.recall.value,         r.miss_rate.value,
                           r.precision.value,      r.f1.value,
                           r.fppi.value,           r.image_false_alarm_rate.value,
                           r.image_miss_rate.value};
    for (std::size_t q = 0; q < audit::n_rates; ++q) REQUIRE(equal_or_both_nan(v[q], want[q]));
  }
}
