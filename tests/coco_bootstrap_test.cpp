// The image-level bootstrap of COCO metrics reproduces literal resampling exactly: for replicate weights
// w(id), evaluating the data set in which every image is repeated w(id) times (copies right after the image)
// gives the same precision / recall / scores arrays, bit for bit, as the weighted accumulation.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include <stratum/coco/bootstrap.hpp>
#include <stratum/io/coco_json.hpp>

#include "resample.hpp"

namespace fs = std::filesystem;
using namespace stratum;

TEST_CASE("weighted accumulation equals literal resampling of images, bit for bit") {
  std::size_t compared = 0;
  for (const auto& d : fs::directory_iterator(STRATUM_TEST_DATA_DIR "/coco")) {
    const auto params = io::load_coco_params((d.path() / "params.json").string());
    const auto gt = io::load_coco_ground_truth((d.path() / "gt.json").string());
    const auto dt = io::load_coco_results((d.path() / "dt.json").string(), gt);
    auto p = coco::resolve_params(gt, params);
    const auto sr = coco::accumulate(gt, dt, p).sorted();
    const auto gp = coco::ground_truth_presence(gt, p);
    for (std::uint32_t b = 0; b < 3; ++b) {
      auto w = [b](std::int64_t id) {
        return stats::poisson_weight(2026, static_cast<std::uint64_t>(id), b);
      };
      const auto weighted = coco::weighted_arrays(sr, gp, p, w);
      const auto [rgt, rdt] = stratum_test::resample(gt, dt, w);
      auto lp = params;  // the literal data set has its own image ids
      lp.img_ids.clear();
      const auto literal = coco::evaluate(rgt, rdt, lp);
      INFO(d.path().filename().string(), " replicate ", b);
      REQUIRE(literal.arrays.precision.size() == weighted.precision.size());
      for (std::size_t i = 0; i < weighted.precision.size(); ++i)
        if (weighted.precision[i] != literal.arrays.precision[i] ||
            weighted.scores[i] != literal.arrays.scores[i]) {
          FAIL_CHECK("precision/scores differ at flat index " << i << ": " << weighted.precision[i] << " vs "
                                                              << literal.arrays.precision[i]);
          break;
        }
      CHECK(weighted.recall == literal.arrays.recall);
      CHECK(coco::summarize(weighted, p) == literal.stats);
      ++compared;
    }
  }
  CHECK(compared >= 33);
}

TEST_CASE("bootstrap replicates are deterministic and independent of the thread count") {
  const fs::path d = STRATUM_TEST_DATA_DIR "/coco/basic";
  const auto gt = io::load_coco_ground_truth((d / "gt.json").string());
  const auto dt = io::load_coco_results((d / "dt.json").string(), gt);
  const auto a = coco::bootstrap(gt, dt, {}, {.replicates = 40, .seed = 7, .threads = 1});
  const auto b = coco::bootstrap(gt, dt, {}, {.replicates = 40, .seed = 7, .threads = 3});
  CHECK(a.replicates == b.replicates);
  CHECK(a.point.stats == coco::evaluate(gt, dt, {}).stats);
  const auto all = coco::percentile_intervals(a, confidence{0.9});
  for (std::size_t i = 0; i < 12; ++i) {  // the two interfaces agree, undefined numbers included
    const auto one = a.percentile(i, confidence{0.9});
    CHECK(((one.lower == all.lower[i] && one.upper == all.upper[i]) ||
           (std::isnan(one.lower) && std::isnan(all.lower[i]) && std::isnan(one.upper))));
  }
  const auto ci = a.percentile(0, confidence{0.95});
  CHECK(ci.lower < a.point.stats[0]);
  CHECK(ci.upper > a.point.stats[0]);
  const auto c = coco::bootstrap(gt, dt, {}, {.replicates = 40, .seed = 8});
  CHECK(c.replicates != a.replicates);  // another seed, other weights
}

namespace {

// The images of `ids` (ascending) with their annotations and detections, in file order.
std::pair<coco::ground_truth, coco::detection_set> subset(const coco::ground_truth& gt,
                                                          const coco::detection_set& dt,
                                                          const std::vector<std::int64_t>& ids) {
  auto in = [&](std::int64_t id) { return std::binary_search(ids.begin(), ids.end(), id); };
  coco::ground_truth out;
  out.categories = gt.categories;
  for (const auto& im : gt.images)
    if (in(im.id)) out.images.push_back(im);
  for (std::size_t i = 0; i < gt.size(); ++i)
    if (in(gt.image_id[i]))
      out.add(gt.id[i], gt.image_id[i], gt.category_id[i], gt.x[i], gt.y[i], gt.w[i], gt.h[i], gt.area[i],
              gt.crowd[i], gt.flags[i]);
  coco::detection_set od;
  for (std::size_t i = 0; i < dt.size(); ++i)
    if (in(dt.image_id[i]))
      od.add(dt.image_id[i], dt.category_id[i], dt.x[i], dt.y[i], dt.w[i], dt.h[i], dt.score[i]);
  return {std::move(out), std::move(od)};
}

}  // namespace

TEST_CASE("per-slice bootstrap intervals equal those of literally resampling each slice's images") {
  // For every slice: cut the slice's images out of the files, resample them literally with the same
  // per-image weights, evaluate each replicate from scratch, take percentile intervals (NaN when a
  // replicate leaves the number undefined): bootstrap_slices must give the same bits. The paired differences
  // slice - pool are checked the same way against the literal replicates of slice and pool.
  const std::size_t B = 12;
  const std::uint64_t seed = 99;
  std::size_t slices_checked = 0, undefined_seen = 0, deltas_checked = 0;
  for (const char* name : {"basic", "large"}) {
    const fs::path d = fs::path(STRATUM_TEST_DATA_DIR "/coco") / name;
    const auto params = io::load_coco_params((d / "params.json").string());
    const auto gt = io::load_coco_ground_truth((d / "gt.json").string());
    const auto dt = io::load_coco_results((d / "dt.json").string(), gt);
    const std::vector<coco::slice_spec> specs = {{{"weather"}}, {{"weather", "timeofday"}}};
    const auto res = coco::evaluate_sliced(gt, dt, params, specs, 1);
    const auto ci = coco::bootstrap_slices(
        gt, dt, res, {.replicates = B, .seed = seed, .conf = confidence{0.9}, .threads = 2});
    REQUIRE(ci.slices.size() == res.slices.size());
    CHECK(ci.conf.level() == 0.9);
    std::array<std::vector<double>, 12> pool_reps;
    std::array<double, 12> pool_point{};
    for (std::size_t k = 0; k <= res.slices.size(); ++k) {
      const std::size_t s = k == 0 ? res.slices.size() : k - 1;  // the pool first
      std::vector<std::int64_t> ids;
      if (s == res.slices.size()) {
        ids = res.all.p->img_ids;
      } else {
        for (auto i : res.slices[s].images) ids.push_back(res.all.p->img_ids[i]);
      }
      const auto& got = s == res.slices.size() ? ci.all : ci.slices[s].value;
      const auto [sgt, sdt] = subset(gt, dt, ids);
      std::array<std::vector<double>, 12> reps;
      for (std::uint32_t b = 0; b < B; ++b) {
        auto w = [b](std::int64_t id) {
          return stats::poisson_weight(seed, static_cast<std::uint64_t>(id), b);
        };
        const auto [rgt, rdt] = stratum_test::resample(sgt, sdt, w);
        auto lp = params;
        lp.img_ids.clear();
        const auto st = coco::evaluate(rgt, rdt, lp).stats;
        for (std::size_t i = 0; i < 12; ++i) reps[i].push_back(st[i]);
      }
      const auto point = coco::evaluate(sgt, sdt, params).stats;
      INFO(name, " slice ", s == res.slices.size() ? std::string("all") : res.slices[s].name);
      auto sp = params;  // the single-result interface on the same images
      sp.img_ids = ids;
      const auto single = coco::bootstrap(gt, dt, sp, {.replicates = B, .seed = seed});
      for (std::size_t i = 0; i < 12; ++i) {
        const auto one = single.percentile(i, confidence{0.9});
        CHECK(((one.lower == got.lower[i] && one.upper == got.upper[i]) ||
               (std::isnan(one.lower) && std::isnan(one.upper) && std::isnan(got.lower[i]))));
        if (s < res.slices.size()) {  // paired difference from the pool
          const auto& dg = ci.slices[s].delta;
          std::vector<double> diff;
          std::size_t undef = 0;
          for (std::size_t b = 0; b < B; ++b) {
            diff.push_back(reps[i][b] - pool_reps[i][b]);
            undef += reps[i][b] < 0 || pool_reps[i][b] < 0 ? 1u : 0u;
          }
          CHECK(dg.undefined[i] == undef);
          if (undef > 0 || point[i] < 0 || pool_point[i] < 0) {
            CHECK(std::isnan(dg.lower[i]));
          } else {
            const auto want = stats::percentile_interval(diff, stratum::confidence{0.9});
            CHECK(dg.lower[i] == want.lower);
            CHECK(dg.upper[i] == want.upper);
            ++deltas_checked;
          }
        }
        const auto undefined = static_cast<std::size_t>(
            std::count_if(reps[i].begin(), reps[i].end(), [](double v) { return v < 0; }));
        CHECK(got.undefined[i] == undefined);
        if (undefined > 0 || point[i] < 0) {
          CHECK(std::isnan(got.lower[i]));
          CHECK(std::isnan(got.upper[i]));
          ++undefined_seen;
        } else {
          const auto want = stats::percentile_interval(reps[i], stratum::confidence{0.9});
          CHECK(got.lower[i] == want.lower);
          CHECK(got.upper[i] == want.upper);
        }
      }
      if (s == res.slices.size()) {
        pool_reps = reps;
        pool_point = point;
      }
      ++slices_checked;
    }
  }
  CHECK(slices_checked >= 10);
  CHECK(deltas_checked > 50);
  CHECK(undefined_seen > 0);  // the rule for undefined numbers was exercised
}

TEST_CASE("bootstrap_slices rejects zero replicates and levels outside (0, 1)") {
  const fs::path d = STRATUM_TEST_DATA_DIR "/coco/basic";
  const auto gt = io::load_coco_ground_truth((d / "gt.json").string());
  const auto dt = io::load_coco_results((d / "dt.json").string(), gt);
  const auto res = coco::evaluate_sliced(gt, dt, {}, {}, 1);
  coco::bootstrap_options none;
  none.replicates = 0;
  CHECK_THROWS_AS((void)coco::bootstrap_slices(gt, dt, res, none), usage_error);
  CHECK_THROWS_AS((void)coco::bootstrap(gt, dt, {}, none), usage_error);
  CHECK_THROWS_WITH_AS((void)confidence{1.0}, doctest::Contains("confidence: level (= 1) must lie in (0, 1)"),
                       usage_error);
  CHECK_THROWS_AS((void)confidence{0.0}, usage_error);
  CHECK_THROWS_AS((void)confidence::from_alpha(std::nan("")), usage_error);
}
