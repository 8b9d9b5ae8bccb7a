// Tests for <stratum/audit/calibration.hpp>: on every case of ../shared/conformance/operating/ (references
// computed from pycocotools' own matching), the detections that calibration counts above the threshold are
// exactly the reference's true and false positives, pooled, per category and per slice; every true
// positive's IoU is the IoU of its box with a ground truth of its image and class that reaches the threshold,
// and its box features are its box over its image's size; every estimator equals the calibration functions
// of <stratum/calibration/> applied to those detections (up to the rounding of sums, 1e-12). Plus a
// hand-built case with values worked out by hand, the wire format and merging of calibrated records, and the
// refusal of scores outside [0, 1].
#include <doctest/doctest.h>

#include <stratum/audit/audit.hpp>
#include <stratum/audit/calibration.hpp>
#include <stratum/calibration/calibration.hpp>
#include <stratum/calibration/detection.hpp>
#include <stratum/coco/iou.hpp>
#include <stratum/coco/slices.hpp>
#include <stratum/stats/bootstrap_interval.hpp>
#include <stratum/stats/rng.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <simdjson.h>

#include "audit_cases.hpp"
#include "resample.hpp"
#include "wire.hpp"

namespace fs = std::filesystem;
using namespace stratum;

namespace {

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// Equal up to the rounding of sums: the audit sums each bin in double, in its canonical order; the functions
// of <stratum/calibration/> sum exactly. Every value compared lies in [0, 1].
bool close(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  return std::abs(got - want) <= 1e-12;
}

using stratum_test::reference_key;

// The estimators of one set of detections recomputed with the functions of <stratum/calibration/>.
void check_against_functions(const std::vector<calibration::calibration_detection>& d,
                             const audit::calibration_summary& got, const std::string& where) {
  namespace cal = stratum::calibration;
  INFO(where);
  REQUIRE(got.detections == d.size());
  if (d.empty()) {
    CHECK(std::isnan(got.ece));
    CHECK(std::isnan(got.laece));
    return;
  }
  std::vector<double> c, y;
  std::uint64_t tp = 0;
  for (const auto& x : d) {
    c.push_back(x.confidence);
    y.push_back(x.true_positive ? 1.0 : 0.0);
    tp += x.true_positive;
  }
  CHECK(got.true_positives == tp);
  CHECK(close(got.ece, cal::ece(c, y, cal::binning::equal_width, 15)));
  CHECK(close(got.ece_equal_mass, cal::ece(c, y, cal::binning::equal_mass, 15)));
  CHECK(close(got.mce, cal::mce(c, y, cal::binning::equal_width, 15)));
  CHECK(close(got.l2, cal::l2_error(c, y, cal::binning::equal_mass, 15)));
  CHECK(close(got.debiased_l2, cal::debiased_l2_error(c, y, cal::binning::equal_mass, 15)));
  CHECK(close(std::sqrt(std::max(0.0, got.debiased_l2_squared)), got.debiased_l2));
  CHECK(close(got.brier, cal::brier_score(c, y)));
  CHECK(close(got.laece, cal::laece(d, 25)));
  const auto rel = cal::reliability_curve(c, y, cal::binning::equal_width, 15);
  REQUIRE(rel.size() == got.reliability.size());
  for (std::size_t b = 0; b < rel.size(); ++b) {
    CHECK(rel[b].count == got.reliability[b].count);
    CHECK(close(rel[b].accuracy, got.reliability[b].accuracy));
  }
  // D-ECE over confidence and the four box features (clamped to [0, 1]), 5 bins per axis
  bool known = true;
  std::vector<cal::calibration_detection> clamped = d;
  for (auto& x : clamped) {
    known = known && !std::isnan(x.cx);
    for (double* v : {&x.cx, &x.cy, &x.width, &x.height}) *v = std::clamp(*v, 0.0, 1.0);
  }
  const cal::box_feature f[] = {cal::box_feature::cx, cal::box_feature::cy, cal::box_feature::width,
                                cal::box_feature::height};
  if (known)
    CHECK(close(got.d_ece, cal::d_ece(clamped, f, 5, 5)));
  else
    CHECK(std::isnan(got.d_ece));
  // ACE: per class, 15 equal-mass ranges of its own confidences; the unweighted mean of the gaps
  std::map<std::int64_t, std::pair<std::vector<double>, std::vector<double>>> per_class;
  for (const auto& x : d) {
    per_class[x.category].first.push_back(x.confidence);
    per_class[x.category].second.push_back(x.true_positive ? 1.0 : 0.0);
  }
  double gaps = 0;
  std::size_t cells = 0;
  for (const auto& [k, v] : per_class)
    for (const auto& b : cal::reliability_curve(v.first, v.second, cal::binning::equal_mass, 15)) {
      gaps += std::abs(b.accuracy - b.mean_confidence);
      ++cells;
    }
  CHECK(got.ace == doctest::Approx(gaps / static_cast<double>(cells)).epsilon(1e-12));
  // overconfidence and the confident false positives
  double sum = 0;
  std::uint64_t high = 0;
  for (const auto& x : d) {
    sum += x.confidence;
    high += !x.true_positive && x.confidence >= 0.9;
  }
  CHECK(got.overconfidence == doctest::Approx(sum / static_cast<double>(d.size()) -
                                              static_cast<double>(tp) / static_cast<double>(d.size()))
                                  .epsilon(1e-12));
  CHECK(got.high_confidence_fp == high);
}

}  // namespace

TEST_CASE(
    "calibration's detections are pycocotools' true and false positives; its IoUs and boxes are the "
    "detections'; its estimators are the calibration functions of those detections") {
  std::size_t files = 0, tps = 0, sets = 0;
  stratum_test::for_each_operating_case([&](const std::string& name, const fs::path& dir) {
    const auto src = stratum_test::load_audit_source(name);
    const auto rp = coco::resolve_params(src.gt, src.p);
    for (const auto& file : fs::directory_iterator(dir)) {
      if (file.path().extension() != ".json") continue;
      simdjson::dom::parser parser;
      const simdjson::dom::element ref = parser.load(file.path().string()).value();
      const double iou = ref["iou"].get_double().value(), s = ref["score_threshold"].get_double().value();
      simdjson::dom::object slices = ref["slices"].get_object().value();
      const auto specs = stratum_test::reference_specs(slices);
      audit::audit_options o;
      o.ious = {iou};
      o.thresholds.global = s;
      o.calibration = true;
      const std::string ctx = name + "/" + file.path().filename().string();
      INFO(ctx);
      const auto r = audit::run_audit(src.gt, src.dt, src.p, specs, o);
      const auto& op = r.points.at(0);
      const auto c = audit::calibrate(r, op);
      // the counts against the reference
      auto check_counts = [&](const audit::calibration_summary& got, simdjson::dom::element want,
                              const std::string& where) {
        const auto tp = want["tp"].get_uint64().value(), fp = want["fp"].get_uint64().value();
        CHECK_MESSAGE(got.detections == tp + fp, where);
        CHECK_MESSAGE(got.true_positives == tp, where);
      };
      check_counts(c.all.all.above, ref["ALL"]["all"].value(), "all");
      for (std::size_t k = 0; k < r.records.categories(); ++k)
        check_counts(c.all.per_category[k].above, ref["ALL"]["per_category"][reference_key(rp, k)].value(),
                     "category " + reference_key(rp, k));
      REQUIRE(op.slices.size() == slices.size());
      for (std::size_t sl = 0; sl < op.slices.size(); ++sl)
        check_counts(c.slices[sl].above, slices[op.slices[sl].name]["all"].value(), op.slices[sl].name);

      // every record's IoU and box, from the input boxes: detection `rank` of its (image, category) group
      // in score order (stable), as COCO keeps them
      std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::size_t>> dets, gts;
      for (std::size_t i = 0; i < src.dt.size(); ++i)
        dets[{src.dt.image_id[i], rp->use_cats ? src.dt.category_id[i] : 0}].push_back(i);
      for (auto& [key, v] : dets)
        std::stable_sort(v.begin(), v.end(),
                         [&](std::size_t a, std::size_t b) { return src.dt.score[a] > src.dt.score[b]; });
      for (std::size_t i = 0; i < src.gt.size(); ++i)
        gts[{src.gt.image_id[i], rp->use_cats ? src.gt.category_id[i] : 0}].push_back(i);
      std::map<std::int64_t, const coco::image_info*> images;
      for (const auto& im : src.gt.images) images[im.id] = &im;
      const std::size_t slot = r.records.calibration_slot(op.t);
      const std::uint64_t bit = std::uint64_t{1} << op.t;
      // the detections of each set, rebuilt from the records for the function check
      std::vector<calibration::calibration_detection> all_above, all_evaluated;
      std::vector<std::vector<calibration::calibration_detection>> cat_above(r.records.categories()),
          cat_evaluated(r.records.categories()), slice_above(op.slices.size()),
          slice_evaluated(op.slices.size());
      std::map<std::int64_t, std::vector<std::size_t>> slices_of;
      for (std::size_t sl = 0; sl < op.slices.size(); ++sl)
        for (const auto i : op.slices[sl].images) slices_of[rp->img_ids[i]].push_back(sl);
      for (std::size_t k = 0; k < r.records.categories(); ++k) {
        const auto& cat = r.records.of(k);
        REQUIRE(cat.boxes.size() == cat.records.size());
        for (std::size_t j = 0; j < cat.records.size(); ++j) {
          const auto& x = cat.records[j];
          const std::int64_t cid = rp->use_cats ? rp->cat_ids[k] : 0;
          const auto& group = dets.at({x.image, cid});
          REQUIRE(x.rank < group.size());
          const std::size_t di = group[x.rank];
          CHECK(same_bits(src.dt.score[di], x.score));
          const double d[4] = {src.dt.x[di], src.dt.y[di], src.dt.w[di], src.dt.h[di]};
          const auto* im = images.at(x.image);
          const auto& b = cat.boxes[j];
          if (im->width > 0 && im->height > 0) {
            CHECK(same_bits(b.cx, (d[0] + d[2] / 2) / im->width));
            CHECK(same_bits(b.h, d[3] / im->height));
          } else {
            CHECK(std::isnan(b.cx));
          }
          const double v = cat.ious[j * r.records.calibration_width() + slot];
          if (x.tp & bit) {
            bool found = false;
            for (const auto gi : gts[{x.image, cid}]) {
              const double g[4] = {src.gt.x[gi], src.gt.y[gi], src.gt.w[gi], src.gt.h[gi]};
              found = found || (!src.gt.crowd[gi] && same_bits(coco::bbox_iou(d, g, false), v));
            }
            CHECK_MESSAGE(found, "image " << x.image << " rank " << x.rank << ": IoU " << v);
            CHECK(v >= std::min(iou, 1 - 1e-10));
            ++tps;
          } else {
            CHECK(v == 0);
          }
          if (!((x.tp | x.fp) & bit)) continue;
          const calibration::calibration_detection e{cid, x.score, (x.tp & bit) != 0, v, b.cx, b.cy,
                                                     b.w, b.h};
          const bool above = x.score >= *op.thresholds[k];
          for (int scope = 0; scope < 2; ++scope) {
            if (scope == 0 && !above) continue;
            (scope ? all_evaluated : all_above).push_back(e);
            (scope ? cat_evaluated : cat_above)[k].push_back(e);
            for (const auto sl : slices_of[x.image]) (scope ? slice_evaluated : slice_above)[sl].push_back(e);
          }
        }
      }
      check_against_functions(all_above, c.all.all.above, ctx + " all above");
      check_against_functions(all_evaluated, c.all.all.evaluated, ctx + " all evaluated");
      for (std::size_t k = 0; k < r.records.categories(); ++k) {
        check_against_functions(cat_above[k], c.all.per_category[k].above, ctx + " " + reference_key(rp, k));
        check_against_functions(cat_evaluated[k], c.all.per_category[k].evaluated,
                                ctx + " " + reference_key(rp, k));
      }
      for (std::size_t sl = 0; sl < op.slices.size(); ++sl) {
        check_against_functions(slice_above[sl], c.slices[sl].above, ctx + " " + op.slices[sl].name);
        check_against_functions(slice_evaluated[sl], c.slices[sl].evaluated, ctx + " " + op.slices[sl].name);
      }
      sets += 2 * (1 + r.records.categories() + op.slices.size());
      // threads do not change the records
      audit::audit_options o2 = o;
      o2.threads = 2;
      CHECK(audit::run_audit(src.gt, src.dt, src.p, specs, o2).records == r.records);
      ++files;
    }
  });
  CHECK(files >= 20);
  CHECK(tps > 1000);
  CHECK(sets > 100);
}

namespace {

// One 100 x 100 image with one object of class 1 at [0, 0, 50, 50]: a detection of it at IoU 0.6 with score
// 0.9 (a true positive at 0.5), a background detection with score 0.95, and one of score 0.3 on the object
// (a duplicate: a false positive).
coco::ground_truth one_object(double width, double height) {
  coco::ground_truth gt;
  gt.images.push_back({1, width, height, {}, {}});
  gt.categories.push_back({1, "thing"});
  gt.add(1, 1, 1, 0, 0, 50, 50, 2500, false);
  return gt;
}

audit::audit_result hand_built(bool calibration, double top_score = 0.95) {
  const auto gt = one_object(100, 100);
  coco::detection_set dt;
  dt.add(1, 1, 0, 0, 50, 30, 0.9);
  dt.add(1, 1, 60, 60, 20, 20, top_score);
  dt.add(1, 1, 0, 0, 50, 50, 0.3);
  audit::audit_options o;
  o.calibration = calibration;
  return audit::run_audit(gt, dt, {}, {}, o);
}

}  // namespace

TEST_CASE("calibration of a hand-built image: the values worked out by hand") {
  const auto r = hand_built(true);
  const auto c = audit::calibrate(r, r.points.at(0));
  const auto& a = c.all.all.above;  // scores 0.95 (fp), 0.9 (tp, IoU 0.6)
  REQUIRE(a.detections == 2);
  CHECK(a.true_positives == 1);
  // equal width, 15 bins: 0.95 in (14/15, 1], 0.9 in (13/15, 14/15]
  CHECK(a.ece == doctest::Approx(0.5 * 0.95 + 0.5 * 0.1));
  CHECK(a.mce == doctest::Approx(0.95));
  CHECK(a.brier == doctest::Approx((0.95 * 0.95 + 0.1 * 0.1) / 2));
  // LaECE, 25 bins: 0.95 in (0.92, 0.96], 0.9 in (0.88, 0.92]: |0.95 - 0| and |0.9 - 0.6|, one class
  CHECK(a.laece == doctest::Approx(0.5 * 0.95 + 0.5 * 0.3));
  CHECK(a.overconfidence == doctest::Approx((0.95 + 0.9) / 2 - 0.5));
  CHECK(a.high_confidence_fp == 1);
  CHECK(a.high_confidence_fp_share == 1.0);
  CHECK(a.unknown_boxes == 0);
  // D-ECE, 5 bins per axis: both confidences in (0.8, 1]; the boxes' centres differ in bin (0.25 -> bin 1,
  // 0.7 -> bin 3), so each detection is alone in its bin: the same gaps as ECE
  CHECK(a.d_ece == doctest::Approx(0.5 * 0.95 + 0.5 * 0.1));
  REQUIRE(a.reliability.size() == 2);
  CHECK(a.reliability[0].count == 1);
  CHECK(a.reliability[0].accuracy == 1.0);
  CHECK(a.reliability[1].mean_confidence == 0.95);
  const auto& e = c.all.all.evaluated;  // plus 0.3 (fp duplicate)
  CHECK(e.detections == 3);
  CHECK(e.true_positives == 1);
  CHECK(e.ece == doctest::Approx((0.95 + 0.1 + 0.3) / 3));
  CHECK(e.high_confidence_fp == 1);
  CHECK(e.high_confidence_fp_share == 0.5);
  // the record of the true positive holds its IoU: 1500 / 2500
  const auto& cat = r.records.of(0);
  for (std::size_t j = 0; j < cat.records.size(); ++j)
    if (cat.records[j].tp & 1u) CHECK(cat.ious[j] == 0.6);

  // an image without a size: D-ECE is undefined, everything else is computed
  const auto gt = one_object(0, 0);
  coco::detection_set dt;
  dt.add(1, 1, 0, 0, 50, 30, 0.9);
  audit::audit_options o;
  o.calibration = true;
  const auto r2 = audit::run_audit(gt, dt, {}, {}, o);
  const auto c2 = audit::calibrate(r2, r2.points.at(0));
  CHECK(c2.all.all.above.unknown_boxes == 1);
  CHECK(std::isnan(c2.all.all.above.d_ece));
  CHECK(c2.all.all.above.ece == doctest::Approx(0.1));
}

TEST_CASE("calibration refuses scores outside [0, 1]; the audit without it still runs") {
  const auto bad = hand_built(true, 1.5);
  try {
    (void)audit::calibrate(bad, bad.points.at(0));
    FAIL("expected an input_error");
  } catch (const input_error& e) {
    const std::string m = e.what();
    CHECK(m.find("image 1, category 1") != std::string::npos);
    CHECK(m.find("score 1.5 is not in [0, 1]") != std::string::npos);
  }
  const auto plain = hand_built(false, 1.5);
  CHECK(plain.points.at(0).all.all.fp == 1);
  CHECK_THROWS_AS((void)audit::calibrate(plain, plain.points.at(0)), usage_error);  // no calibration data
  audit::calibration_options o;
  o.bins = 0;
  CHECK_THROWS_AS((void)audit::calibrate(hand_built(true), hand_built(true).points.at(0), o), usage_error);
}

TEST_CASE("calibrated records: the wire format, merging, and the refusal of corrupt calibration data") {
  const auto src = stratum_test::load_audit_source("basic");
  const auto rp = coco::resolve_params(src.gt, src.p);
  const std::uint64_t mask = audit::calibration_mask(*rp, {0.5, 0.75});
  const auto whole = audit::collect(src.gt, src.dt, rp, 1, mask);
  REQUIRE(whole.calibration_width() == 2);
  const auto bytes = whole.serialize();
  const auto back = audit::operating_records::deserialize(bytes);
  CHECK(back == whole);
  CHECK(back.serialize() == bytes);
  CHECK(back.calibration_mask() == mask);
  // without calibration the same records are another state
  const auto plain = audit::collect(src.gt, src.dt, rp, 1);
  CHECK(!(plain == whole));
  CHECK_THROWS_AS(audit::operating_records(plain) += whole, usage_error);
  // two halves of the images, merged in either order, are the whole
  coco::params half = src.p;
  std::vector<std::int64_t> a, b;
  for (std::size_t i = 0; i < rp->img_ids.size(); ++i) (i % 2 ? a : b).push_back(rp->img_ids[i]);
  auto part = [&](const std::vector<std::int64_t>& ids) {
    coco::params q = src.p;
    q.img_ids = ids;
    auto rq = coco::resolve_params(src.gt, q);
    auto out = audit::operating_records(rp, mask);
    auto got = audit::collect(src.gt, src.dt, rq, 1, mask);
    out += got;
    return out;
  };
  auto x = part(a), y = part(b);
  auto xy = x, yx = y;
  xy += y;
  yx += x;
  CHECK(xy == whole);
  CHECK(yx == whole);
  CHECK(xy.serialize() == bytes);
  // a true positive's IoU set to 2 (the payload resealed, so the checks behind the checksum are reached):
  // refused, naming the field
  std::size_t refused = 0;
  for (std::size_t at = 64; at + 8 <= bytes.size() && refused < 5; ++at) {
    double v;
    std::memcpy(&v, bytes.data() + at, 8);
    if (!(v > 0.5 && v < 1)) continue;  // an IoU, a score or a box feature
    auto bad = bytes;
    const double two = 2.0;
    std::memcpy(bad.data() + at, &two, 8);
    try {
      (void)audit::operating_records::deserialize(stratum_test::reseal(bad));
    } catch (const input_error& e) {
      if (std::string(e.what()).find("match IoU is not in [0, 1]") != std::string::npos) ++refused;
    }
  }
  CHECK(refused == 5);
}

TEST_CASE(
    "calibration's image bootstrap: each replicate is the calibration of the literally resampled images") {
  const bool bdd = fs::exists(STRATUM_SHARED_DIR "/data/bdd100k_val200/gt_coco.json");
  const auto src = stratum_test::load_audit_source(bdd ? "bdd100k_val200" : "basic");
  std::vector<coco::slice_spec> specs;
  if (bdd) specs = {{{"weather"}}, {{"timeofday"}}};
  audit::audit_options o;
  o.calibration = true;
  const auto r = audit::run_audit(src.gt, src.dt, src.p, specs, o);
  const auto& op = r.points.at(0);
  const auto in = audit::calibration_input_of(r, op, {});
  const std::uint64_t seed = 42;
  std::size_t compared = 0;
  auto same_summary = [&](const audit::calibration_summary& got, const audit::calibration_summary& want,
                          const std::string& where) {
    INFO(where);
    CHECK(got.detections == want.detections);
    CHECK(got.true_positives == want.true_positives);
    CHECK(got.high_confidence_fp == want.high_confidence_fp);
    const auto g = got.values(), w = want.values();
    for (std::size_t q = 0; q < g.size(); ++q) {
      CHECK_MESSAGE(close(g[q], w[q]),
                    audit::calibration_estimator_names[q] << ": " << g[q] << " vs " << w[q]);
      ++compared;
    }
  };
  for (std::uint32_t b = 0; b < 4; ++b) {
    std::vector<audit::calibration_scopes> slices;
    const auto rep = audit::calibration_replicate(r, in, seed, b, {}, slices);
    const auto [rgt, rdt] = stratum_test::resample(src.gt, src.dt, [&](std::int64_t id) {
      return stats::poisson_weight(seed, static_cast<std::uint64_t>(id), b);
    });
    const auto lr = audit::run_audit(rgt, rdt, src.p, specs, o);
    const auto lit = audit::calibrate(lr, lr.points.at(0));
    const std::string ctx = "replicate " + std::to_string(b);
    for (int scope = 0; scope < 2; ++scope) {
      auto pick = [&](const audit::calibration_scopes& s) -> const audit::calibration_summary& {
        return scope ? s.evaluated : s.above;
      };
      same_summary(pick(rep.all), pick(lit.all.all), ctx + " all");
      for (std::size_t k = 0; k < rep.per_category.size(); ++k)
        same_summary(pick(rep.per_category[k]), pick(lit.all.per_category[k]),
                     ctx + " category " + std::to_string(k));
      for (std::size_t s = 0; s < op.slices.size(); ++s) {
        const auto& name = op.slices[s].name;
        std::size_t at = 0;
        while (at < lr.points[0].slices.size() && lr.points[0].slices[at].name != name) ++at;
        if (at == lr.points[0].slices.size()) {  // no image of the slice drawn
          CHECK(pick(slices[s]).detections == 0);
          continue;
        }
        same_summary(pick(slices[s]), pick(lit.slices[at]), ctx + " slice " + name);
      }
    }
  }
  CHECK(compared > 100);
  // the intervals: percentile intervals of the replicate values, the same for any thread count
  auto c1 = audit::calibrate(r, op), c2 = c1;
  audit::bootstrap_calibration(r, op, c1, {30, seed, {}, 1});
  audit::bootstrap_calibration(r, op, c2, {30, seed, {}, 2});
  std::vector<double> ece;
  for (std::uint32_t b = 0; b < 30; ++b) {
    std::vector<audit::calibration_scopes> slices;
    ece.push_back(audit::calibration_replicate(r, in, seed, b, {}, slices).all.above.ece);
  }
  const auto iv = stats::percentile_interval(ece, {});
  CHECK(same_bits(c1.all.all.above.lower[0], iv.lower));
  CHECK(same_bits(c1.all.all.above.upper[0], iv.upper));
  CHECK(c1.all.all.above.lower[0] < c1.all.all.above.upper[0]);
  for (std::size_t q = 0; q < audit::n_calibration_estimators; ++q) {
    CHECK(same_bits(c1.all.all.evaluated.lower[q], c2.all.all.evaluated.lower[q]));
    CHECK(same_bits(c1.all.all.evaluated.upper[q], c2.all.all.evaluated.upper[q]));
  }
  CHECK(c1.replicates == 30);
}
