// Tests for <stratum/audit/curves.hpp>: on every case of ../shared/conformance/operating/, the points of
// every curve (per class, pooled, per slice; up to 12 per curve, thinned and not) have the counts
// audit::count gives at their thresholds on the same images; the operating point is kept and has the
// operating point's counts; the F1 optimum over all images is the one audit::choose picks (same threshold,
// F1, tp, fp); thinning keeps both ends, the thresholds strictly descending and at most max_points + 2
// points.
#include <doctest/doctest.h>

#include <stratum/audit/curves.hpp>
#include <stratum/io/coco_json.hpp>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "audit_cases.hpp"

namespace fs = std::filesystem;
using namespace stratum;

TEST_CASE("curve points are the counts at their thresholds; operating point and F1 optimum kept exactly") {
  std::size_t curves_checked = 0, points_checked = 0;
  for (const auto& dir : fs::directory_iterator(STRATUM_SHARED_DIR "/conformance/operating")) {
    const std::string name = dir.path().filename().string();
    if (!dir.is_directory() || name == "bdd100k_val200") continue;
    const auto src = stratum_test::load_audit_source(name);
    bool attrs = false;
    for (const auto& im : src.gt.images) attrs = attrs || !im.attrs.empty();
    const std::vector<coco::slice_spec> specs =
        attrs ? std::vector<coco::slice_spec>{{{"weather"}}, {{"weather", "timeofday"}}}
              : std::vector<coco::slice_spec>{};
    for (bool chosen : {false, true}) {
      audit::audit_options o;
      o.ious = {coco::resolve_params(src.gt, src.p)->iou_thrs.front()};
      if (chosen) {
        o.thresholds.what = audit::threshold_policy::kind::chosen;
        o.thresholds.rule = audit::choice_rule::parse("f1");
      }
      const auto r = audit::run_audit(src.gt, src.dt, src.p, specs, o);
      const auto& op = r.points.at(0);
      const std::size_t K = r.records.categories();
      for (const std::size_t max_points : {std::size_t{4}, std::size_t{100000}}) {
        const auto cv = audit::curves(r, op, max_points);
        REQUIRE(cv.slices.size() == op.slices.size());
        auto check_curve = [&](const audit::threshold_curve& c, const std::vector<std::int64_t>& ids,
                               std::optional<std::size_t> k, const audit::operating_counts& at_op,
                               bool has_op, const std::string& where) {
          INFO(name, " ", where, chosen ? " chosen" : " global", " max_points ", max_points);
          CHECK(c.points.size() <= max_points + 2);
          if (max_points >= c.distinct) CHECK(c.points.size() == c.distinct);
          for (std::size_t i = 1; i < c.points.size(); ++i)
            CHECK(c.points[i].threshold < c.points[i - 1].threshold);
          // audit::count at up to 12 points of the curve (evenly spread, the operating point and the optimum)
          std::set<std::size_t> at;
          for (std::size_t j = 0; j < 10 && !c.points.empty(); ++j) at.insert(j * (c.points.size() - 1) / 9);
          if (c.operating) at.insert(*c.operating);
          if (c.best_f1) at.insert(*c.best_f1);
          std::uint64_t n_gt = 0;
          for (const auto i : at) {
            const auto& p = c.points[i];
            std::vector<double> thr(K, std::numeric_limits<double>::infinity());
            for (std::size_t j = 0; j < K; ++j)
              if (!k || *k == j) thr[j] = p.threshold;
            const auto got = audit::count(r.records, op.t, thr, ids);
            const auto& want = k ? got.per_category[*k] : got.all;
            REQUIRE(p.tp == want.tp);
            REQUIRE(p.fp == want.fp);
            n_gt = want.n_gt;
            CHECK(p.precision == static_cast<double>(want.tp) / static_cast<double>(want.tp + want.fp));
            CHECK(p.f1 ==
                  static_cast<double>(2 * want.tp) / static_cast<double>(2 * want.tp + want.fp + want.fn));
            ++points_checked;
          }
          if (!c.points.empty()) CHECK(c.n_gt == n_gt);
          if (has_op) {
            if (at_op.tp + at_op.fp > 0) {
              REQUIRE(c.operating.has_value());
              CHECK(c.points[*c.operating].tp == at_op.tp);
              CHECK(c.points[*c.operating].fp == at_op.fp);
            } else {
              CHECK(!c.operating.has_value());
            }
          }
          if (c.n_gt > 0 && !c.points.empty()) {
            REQUIRE(c.best_f1.has_value());
            for (const auto& p : c.points) CHECK(p.f1 <= c.points[*c.best_f1].f1);
          }
          ++curves_checked;
        };
        const bool global = !chosen;
        check_curve(cv.all.all, r.p->img_ids, std::nullopt, op.all.all, global, "all");
        for (std::size_t k = 0; k < K; ++k) {
          check_curve(cv.all.per_category[k], r.p->img_ids, k, op.all.per_category[k],
                      op.thresholds[k].has_value(), "category " + std::to_string(k));
          const auto best = audit::choose(r.records, k, op.t, {});
          const auto& c = cv.all.per_category[k];
          REQUIRE(best.has_value() == c.best_f1.has_value());
          if (best) {
            const auto& p = c.points[*c.best_f1];
            CHECK(p.threshold == best->threshold);
            CHECK(p.f1 == best->f1);
            CHECK(p.tp == best->tp);
            CHECK(p.fp == best->fp);
          }
        }
        for (std::size_t s = 0; s < op.slices.size(); ++s) {
          std::vector<std::int64_t> ids;
          for (auto i : op.slices[s].images) ids.push_back(r.p->img_ids[i]);
          const auto& sl = op.slices[s];
          check_curve(cv.slices[s].all, ids, std::nullopt, sl.counts.all, global, sl.name + " all");
          for (std::size_t k = 0; k < K; ++k)
            check_curve(cv.slices[s].per_category[k], ids, k, sl.counts.per_category[k],
                        op.thresholds[k].has_value(), sl.name + " category " + std::to_string(k));
        }
      }
    }
  }
  CHECK(curves_checked > 500);
  CHECK(points_checked > 3000);
}

TEST_CASE("thinning: evenly spaced by rank, both ends kept") {
  std::vector<audit::detail::scored> c;
  for (int i = 0; i < 1000; ++i) c.push_back({1.0 - i / 1000.0, i % 3 != 0});
  const auto curve = audit::detail::make_curve(c, 800, 0.4005, 11);
  CHECK(curve.distinct == 1000);
  CHECK(curve.points.front().threshold == 1.0);
  CHECK(curve.points.back().threshold == c.back().score);
  REQUIRE(curve.operating.has_value());
  CHECK(curve.points[*curve.operating].threshold == c[599].score);  // the lowest score >= 0.4005
  CHECK(curve.points.size() <= 13);
  CHECK(curve.points.size() >= 11);
}
