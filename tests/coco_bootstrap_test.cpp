// The image-level bootstrap of COCO metrics reproduces literal resampling exactly: for replicate weights w(id),
// evaluating the data set in which every image is repeated w(id) times (copies right after the image) gives
// the same precision / recall / scores arrays, bit for bit, as the weighted accumulation.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include <stratum/coco/bootstrap.hpp>
#include <stratum/io/coco_json.hpp>

namespace fs = std::filesystem;
using namespace stratum;

namespace {

// The literal resample: image at position r (ascending id) with weight w becomes w images with ids
// r * 32 + c (c < w <= 18), keeping annotation and detection order.
template <class WeightFn>
std::pair<coco::ground_truth, coco::detection_set> resample(const coco::ground_truth& gt, const coco::detection_set& dt,
                                                            WeightFn&& weight) {
  std::vector<std::int64_t> ids;
  for (const auto& im : gt.images) ids.push_back(im.id);
  std::sort(ids.begin(), ids.end());
  const coco::detail::id_index pos(ids);
  coco::ground_truth out;
  out.categories = gt.categories;
  for (std::size_t r = 0; r < ids.size(); ++r)
    for (std::uint32_t c = 0; c < weight(ids[r]); ++c) {
      coco::image_info im;
      im.id = static_cast<std::int64_t>(r) * 32 + c;
      out.images.push_back(im);
    }
  std::int64_t ann_id = 1;
  for (std::size_t i = 0; i < gt.size(); ++i) {
    const auto r = static_cast<std::int64_t>(pos.find(gt.image_id[i]));
    for (std::uint32_t c = 0; c < weight(gt.image_id[i]); ++c)
      out.add(ann_id++, r * 32 + c, gt.category_id[i], gt.x[i], gt.y[i], gt.w[i], gt.h[i], gt.area[i], gt.crowd[i]);
  }
  coco::detection_set od;
  for (std::size_t i = 0; i < dt.size(); ++i) {
    const auto r = static_cast<std::int64_t>(pos.find(dt.image_id[i]));
    for (std::uint32_t c = 0; c < weight(dt.image_id[i]); ++c)
      od.add(r * 32 + c, dt.category_id[i], dt.x[i], dt.y[i], dt.w[i], dt.h[i], dt.score[i]);
  }
  return {std::move(out), std::move(od)};
}

}  // namespace

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
      auto w = [b](std::int64_t id) { return stats::poisson_weight(2026, static_cast<std::uint64_t>(id), b); };
      const auto weighted = coco::weighted_arrays(sr, gp, p, w);
      const auto [rgt, rdt] = resample(gt, dt, w);
      auto lp = params;  // the literal data set has its own image ids
      lp.img_ids.clear();
      const auto literal = coco::evaluate(rgt, rdt, lp);
      INFO(d.path().filename().string(), " replicate ", b);
      REQUIRE(literal.arrays.precision.size() == weighted.precision.size());
      for (std::size_t i = 0; i < weighted.precision.size(); ++i)
        if (weighted.precision[i] != literal.arrays.precision[i] || weighted.scores[i] != literal.arrays.scores[i]) {
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
  const auto a = coco::bootstrap(gt, dt, {}, 40, 7, 1);
  const auto b = coco::bootstrap(gt, dt, {}, 40, 7, 3);
  CHECK(a.replicates == b.replicates);
  CHECK(a.point.stats == coco::evaluate(gt, dt, {}).stats);
  const auto ci = a.percentile(0, 0.95);
  CHECK(ci.lower < a.point.stats[0]);
  CHECK(ci.upper > a.point.stats[0]);
  const auto c = coco::bootstrap(gt, dt, {}, 40, 8, 1);
  CHECK(c.replicates != a.replicates);  // another seed, other weights
}
