// The audit's error analysis (audit/errors.hpp): TIDE's error types and missed ground truths on a hand-built
// case with one instance of each type and of each precedence between them; the AP each correction gives,
// against pycocotools' accumulate run by the exact accumulator on the corrected records and, for the
// hand-built case, against the whole evaluator on the corrected data sets; the confusion matrix.
#include <doctest/doctest.h>

#include <stratum/audit/errors.hpp>
#include <stratum/audit/stream.hpp>
#include <stratum/coco/evaluator.hpp>
#include <stratum/coco/summary.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "audit_cases.hpp"

using namespace stratum;

namespace {

constexpr std::int64_t A = 1, B = 2;

struct det {
  std::int64_t image, cat;
  double x, y, score;
};
struct obj {
  std::int64_t id, image, cat;
  double x, y;
  bool crowd = false;
};

coco::ground_truth make_gt(const std::vector<obj>& objs, int images) {
  coco::ground_truth gt;
  for (int i = 1; i <= images; ++i) gt.images.push_back({i, 640, 480, {}, {}});
  gt.categories = {{A, "car"}, {B, "person"}};
  for (const auto& o : objs) gt.add(o.id, o.image, o.cat, o.x, o.y, 10, 10, 100, o.crowd);
  return gt;
}
coco::detection_set make_dt(const std::vector<det>& dets) {
  coco::detection_set dt;
  for (const auto& d : dets) dt.add(d.image, d.cat, d.x, d.y, 10, 10, d.score);
  return dt;
}

// IoUs of 10 x 10 boxes shifted along x: 0 -> 1, 1 -> 0.818, 2 -> 0.667, 5 -> 0.333, 8 -> 0.111, 9 -> 0.053.
const std::vector<obj> kObjs = {{1, 1, A, 0, 0},     {2, 2, A, 0, 0}, {3, 3, A, 0, 0},
                                {4, 3, B, 100, 100}, {5, 4, A, 0, 0}, {6, 4, B, 5, 0},
                                {7, 5, A, 0, 0},     {8, 5, B, 1, 0}, {9, 7, A, 0, 0, true}};
// index: what TIDE makes of it at IoU 0.5
const std::vector<det> kDets = {
    {1, A, 0, 0, 0.9},      // 0 true positive
    {1, A, 2, 0, 0.8},      // 1 duplicate (its ground truth is taken)
    {1, B, 0, 0, 0.7},      // 2 classification, not fixed (the ground truth is taken)
    {2, B, 2, 0, 0.9},      // 3 classification, fixed (the highest-scored error on gt 2)
    {2, A, 5, 0, 0.6},      // 4 localisation, not fixed (gt 2 already claimed by 3)
    {3, A, 5, 0, 0.5},      // 5 localisation, fixed
    {3, A, 200, 200, 0.4},  // 6 background
    {3, B, 5, 0, 0.3},      // 7 both (IoU 0.333 with a car, no person near)
    {4, A, 5, 0, 0.55},     // 8 localisation before classification (IoU 1 with the person gt 6), fixed
    {5, A, 0, 0, 0.9},      // 9 true positive
    {5, A, 1, 0, 0.8},      // 10 classification before duplicate (IoU 1 with the person gt 8), fixed
    {6, A, 50, 50, 0.95},   // 11 background: no ground truth in the image
    {7, A, 0, 0, 0.5},      // 12 on a crowd region: ignored, no error
};

using code_key = std::tuple<std::int64_t, std::size_t, std::uint32_t>;  // image, category index, rank

/// Every error record's code at threshold t, keyed by (image, category index, rank).
std::map<code_key, std::uint8_t> codes_at(const audit::operating_records& r, std::size_t t) {
  std::map<code_key, std::uint8_t> out;
  for (std::size_t k = 0; k < r.categories(); ++k)
    for (const auto& e : r.of(k).errors)
      if (e.code(t)) out[{e.image, k, e.rank}] = e.code(t);
  return out;
}

/// pycocotools' AP at threshold t (area "all", no maxDets cut) of the records with correction f applied
/// (f = -1: none), through the exact accumulator: per category index, then the mean over categories.
std::pair<std::vector<double>, double> oracle_ap(const audit::operating_records& r, std::size_t t, int f,
                                                 const std::vector<std::int64_t>& images) {
  const std::size_t K = r.categories();
  coco::params p;
  p.iou_thrs = {0.5};
  p.area_rngs = {{0, 1e10, "all"}};
  p.max_dets = {1 << 30};
  p.img_ids = images;
  std::vector<std::int64_t> cats;
  for (std::size_t k = 0; k < K; ++k) cats.push_back(static_cast<std::int64_t>(k + 1));
  p.cat_ids = cats;
  const auto rp = coco::resolve_params(std::move(p));
  coco::exact_accumulator acc(rp.dims());
  const std::set<std::int64_t> in(images.begin(), images.end());
  const std::uint64_t bit = std::uint64_t{1} << t, one = 1, zero = 0;
  const auto codes = codes_at(r, t);
  for (std::size_t k = 0; k < K; ++k) {
    const auto& c = r.of(k);
    std::int64_t n = 0;
    for (const auto& g : c.gts)
      if (in.count(g.image)) n += g.n;
    for (const auto& m : c.missed)
      if (in.count(m.image) && (m.mask & bit) && f == 5) --n;
    std::int64_t tps = 0;
    for (const auto& x : c.records)
      if (in.count(x.image) && (x.tp & bit)) ++tps;
    if (f == 7) n = tps;
    acc.add_ground_truths(k, 0, n);
    for (const auto& x : c.records) {
      if (!in.count(x.image) || !((x.tp | x.fp) & bit)) continue;
      if (x.tp & bit) {
        acc.add_detection(k, x.score, x.image, x.rank, &one, &zero);
        continue;
      }
      const auto code = codes.at({x.image, k, x.rank});
      const int base = code & 7;
      const bool fixed = code & audit::error_fixed;
      if (f == 6 || base == f + 1) {
        if (f == 1 && fixed) acc.add_detection(k, x.score, x.image, x.rank, &one, &zero);
        continue;
      }
      acc.add_detection(k, x.score, x.image, x.rank, &zero, &one);
    }
  }
  if (f == 0)  // corrected classification errors join the category of the ground truth they lie on
    for (std::size_t k = 0; k < K; ++k)
      for (const auto& e : r.of(k).errors)
        if (in.count(e.image) && e.code(t) == (1 | audit::error_fixed))
          acc.add_detection(e.other, e.score, e.image, 1000000 + e.rank, &one, &zero);
  const auto ev = acc.finalize(rp);
  std::vector<double> per(K, -1), all;
  for (std::size_t rr = 0; rr < ev.R; ++rr)
    for (std::size_t k = 0; k < K; ++k) all.push_back(ev.precision[ev.p_index(0, rr, k, 0, 0)]);
  for (std::size_t k = 0; k < K; ++k) {
    std::vector<double> row;
    for (std::size_t rr = 0; rr < ev.R; ++rr) row.push_back(ev.precision[ev.p_index(0, rr, k, 0, 0)]);
    per[k] = coco::detail::mean_valid(row);
  }
  return {per, coco::detail::mean_valid(all)};
}

double value_or_minus1(const std::optional<double>& v) {
  return v ? *v : -1.0;
}

/// Every AP and cost of `e` equals the oracle's, for every correction, pooled and per category.
void check_against_oracle(const audit::audit_result& r, const audit::operating_point& op,
                          const audit::error_analysis& e, const std::vector<std::int64_t>& images,
                          const std::string& where) {
  const auto base = oracle_ap(r.records, op.t, -1, images);
  CHECK_MESSAGE(value_or_minus1(e.tide.all.ap) == base.second, where);
  for (std::size_t k = 0; k < r.records.categories(); ++k)
    CHECK_MESSAGE(value_or_minus1(e.tide.per_category[k].ap) == base.first[k], where << " category " << k);
  for (int f = 0; f < 8; ++f) {
    const auto want = oracle_ap(r.records, op.t, f, images);
    CHECK_MESSAGE(value_or_minus1(e.tide.all.corrected[static_cast<std::size_t>(f)]) == want.second,
                  where << " correction " << audit::correction_names[static_cast<std::size_t>(f)]);
    for (std::size_t k = 0; k < r.records.categories(); ++k)
      CHECK_MESSAGE(
          value_or_minus1(e.tide.per_category[k].corrected[static_cast<std::size_t>(f)]) == want.first[k],
          where << " correction " << audit::correction_names[static_cast<std::size_t>(f)] << " category "
                << k);
  }
}

/// AP at IoU 0.5 (area all, maxDets 100) of a data set, from the evaluator: per category index and pooled.
std::pair<std::vector<double>, double> evaluator_ap(const coco::ground_truth& gt,
                                                    const coco::detection_set& dt) {
  const auto ev = coco::evaluate(gt, dt, {});
  const auto& e = ev.arrays;
  std::vector<double> per(e.K), all;
  for (std::size_t rr = 0; rr < e.R; ++rr)
    for (std::size_t k = 0; k < e.K; ++k) all.push_back(e.precision[e.p_index(0, rr, k, 0, e.M - 1)]);
  for (std::size_t k = 0; k < e.K; ++k) {
    std::vector<double> row;
    for (std::size_t rr = 0; rr < e.R; ++rr) row.push_back(e.precision[e.p_index(0, rr, k, 0, e.M - 1)]);
    per[k] = coco::detail::mean_valid(row);
  }
  return {per, coco::detail::mean_valid(all)};
}

}  // namespace

TEST_CASE("TIDE error types, their precedence and the missed ground truths on a hand-built case") {
  const auto gt = make_gt(kObjs, 7);
  const auto dt = make_dt(kDets);
  const auto r = audit::run_audit(gt, dt, {}, {});
  const auto& op = r.points.at(0);
  REQUIRE(op.t == 0);
  // per detection: its code at IoU 0.5 (category index 0 = car, 1 = person; rank within its group)
  using audit::error_code;
  auto code = [](error_code c, bool fixed = false) {
    return static_cast<std::uint8_t>(static_cast<std::uint8_t>(c) | (fixed ? audit::error_fixed : 0));
  };
  const std::map<code_key, std::uint8_t> want = {
      {{1, 0, 1}, code(error_code::duplicate)},
      {{1, 1, 0}, code(error_code::classification)},
      {{2, 1, 0}, code(error_code::classification, true)},
      {{2, 0, 0}, code(error_code::localisation)},
      {{3, 0, 0}, code(error_code::localisation, true)},
      {{3, 0, 1}, code(error_code::background)},
      {{3, 1, 0}, code(error_code::both)},
      {{4, 0, 0}, code(error_code::localisation, true)},
      {{5, 0, 1}, code(error_code::classification, true)},
      {{6, 0, 0}, code(error_code::background)},
  };
  CHECK(codes_at(r.records, 0) == want);
  // missed: the person of image 3 (nothing near) and of image 4 (the car detection on it is a localisation
  // error of the car); the car of image 2 is the aim of a classification error, so not missed
  std::set<std::pair<std::int64_t, std::size_t>> missed;
  for (std::size_t k = 0; k < 2; ++k)
    for (const auto& m : r.records.of(k).missed)
      if (m.mask & 1u) missed.insert({m.image, k});
  CHECK(missed == std::set<std::pair<std::int64_t, std::size_t>>{{3, 1}, {4, 1}});

  const auto e = audit::errors(r, op);
  const auto& all = e.all.tide.all;
  CHECK(all.counts == std::array<std::uint64_t, 6>{3, 3, 1, 1, 2, 2});
  CHECK(e.all.tide.per_category[0].counts == std::array<std::uint64_t, 6>{1, 3, 0, 1, 2, 0});
  CHECK(e.all.tide.per_category[1].counts == std::array<std::uint64_t, 6>{2, 0, 1, 0, 0, 2});
  CHECK(all.n_gt == 8);
  CHECK(all.tp == 2);
  std::vector<std::int64_t> ids = {1, 2, 3, 4, 5, 6, 7};
  check_against_oracle(r, op, e.all, ids, "hand-built");

  // the corrections applied to the data sets themselves, evaluated from scratch
  const auto base = evaluator_ap(gt, dt);
  CHECK(value_or_minus1(all.ap) == base.second);
  auto without = [&](std::set<std::size_t> drop) {
    std::vector<det> v;
    for (std::size_t i = 0; i < kDets.size(); ++i)
      if (!drop.count(i)) v.push_back(kDets[i]);
    return v;
  };
  {  // classification: 3 becomes a car on gt 2, 10 a person on gt 8, 2 is removed
    auto v = without({2});
    v[2] = {2, A, 0, 0, 0.9};
    v[9] = {5, B, 1, 0, 0.8};
    CHECK(value_or_minus1(all.corrected[0]) == evaluator_ap(gt, make_dt(v)).second);
  }
  {  // localisation: 5 onto gt 3, 8 onto gt 5, 4 removed
    auto v = kDets;
    v[5] = {3, A, 0, 0, 0.5};
    v[8] = {4, A, 0, 0, 0.55};
    v.erase(v.begin() + 4);
    CHECK(value_or_minus1(all.corrected[1]) == evaluator_ap(gt, make_dt(v)).second);
  }
  CHECK(value_or_minus1(all.corrected[2]) == evaluator_ap(gt, make_dt(without({7}))).second);
  CHECK(value_or_minus1(all.corrected[3]) == evaluator_ap(gt, make_dt(without({1}))).second);
  CHECK(value_or_minus1(all.corrected[4]) == evaluator_ap(gt, make_dt(without({6, 11}))).second);
  {  // missed: the two missed persons removed from the ground truth
    std::vector<obj> o;
    for (const auto& x : kObjs)
      if (x.id != 4 && x.id != 6) o.push_back(x);
    CHECK(value_or_minus1(all.corrected[5]) == evaluator_ap(make_gt(o, 7), dt).second);
  }
  CHECK(value_or_minus1(all.corrected[6]) ==
        evaluator_ap(gt, make_dt(without({1, 2, 3, 4, 5, 6, 7, 8, 10, 11}))).second);
  for (std::size_t f = 0; f < 8; ++f) CHECK(*all.cost(f) >= 0);

  // confusion at score 0.5: rows car, person, background; columns car, person, missed
  const auto& cm = e.all.confusion;
  REQUIRE(cm.K == 2);
  // cars: true positives dets 0 and 9; detected as person: dets 2 (0.7) and 3 (0.9) lie on cars; 3 of
  // the 5 cars missed. Persons: detected as car: dets 8 (0.55) and 10 (0.8); none found; all 3 missed.
  CHECK(cm.at(0, 0) == 2);
  CHECK(cm.at(0, 1) == 2);
  CHECK(cm.at(0, 2) == 3);
  CHECK(cm.at(1, 0) == 2);
  CHECK(cm.at(1, 1) == 0);
  CHECK(cm.at(1, 2) == 3);
  // background row: car dets 1 (0.8, duplicate), 4 (0.6), 5 (0.5), 11 (0.95); 6 (0.4) is below 0.5
  CHECK(cm.at(2, 0) == 4);
  CHECK(cm.at(2, 1) == 0);  // det 7 (0.3) below the threshold
  for (std::size_t p = 0; p < 2; ++p) {
    const auto& c = op.all.per_category[p];
    CHECK(cm.at(0, p) + cm.at(1, p) + cm.at(2, p) == c.tp + c.fp);
    CHECK(cm.at(p, p) + cm.at(p, 2) == c.n_gt);
  }
}

TEST_CASE(
    "TIDE corrections on the operating conformance cases equal pycocotools' accumulate of the corrected "
    "records") {
  for (const char* name :
       {"area_boundaries", "basic", "category_without_gt", "class_agnostic", "crowd", "custom_params",
        "empty_and_missing", "iou_exact", "large", "maxdets", "score_ties", "bdd100k_val200"}) {
    auto src = stratum_test::load_audit_source(name);
    std::vector<coco::slice_spec> specs;
    if (std::string(name) == "bdd100k_val200") specs = {{{"weather"}}, {{"timeofday"}}};
    const auto r = audit::run_audit(src.gt, src.dt, src.p, specs);
    const auto& op = r.points.at(0);
    const auto e = audit::errors(r, op);
    check_against_oracle(r, op, e.all, r.p->img_ids, name);
    for (std::size_t s = 0; s < op.slices.size(); ++s) {  // a slice: the same on its images alone
      std::vector<std::int64_t> ids;
      for (const auto i : op.slices[s].images) ids.push_back(r.p->img_ids[i]);
      check_against_oracle(r, op, e.slices[s], ids, std::string(name) + " " + op.slices[s].name);
    }
    if (std::string(name) == "bdd100k_val200") CHECK(op.slices.size() >= 5);
    // every false positive has a type; tp + the false positives equal the operating counts at score -inf
    const std::vector<double> thr(r.records.categories(), -std::numeric_limits<double>::infinity());
    const auto c = audit::count(r.records, op.t, thr, r.p->img_ids);
    std::uint64_t fps = 0;
    for (std::size_t j = 0; j < 5; ++j) fps += e.all.tide.all.counts[j];
    CHECK_MESSAGE(fps == c.all.fp, name);
    CHECK_MESSAGE(e.all.tide.all.tp == c.all.tp, name);
    for (std::size_t f = 0; f < audit::n_corrections; ++f)  // no correction lowers COCO's AP
      if (const auto cost = e.all.tide.all.cost(f)) CHECK_MESSAGE(*cost >= 0, name << " " << f);
  }
}
