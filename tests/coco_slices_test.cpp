// Sliced evaluation: each slice equals the evaluation restricted to its images (pycocotools' imgIds), checked
// against pycocotools' own per-slice numbers on real BDD100K boxes when ../shared/data is present, and on
// every generated conformance case (whose images carry weather / timeofday / rig attributes) against the
// batch evaluator restricted to the slice's images (itself checked against pycocotools in
// coco_conformance_test).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include <stratum/coco/slices.hpp>
#include <stratum/io/coco_json.hpp>

namespace fs = std::filesystem;
using namespace stratum;

TEST_CASE("slices of BDD100K val200 equal pycocotools per-slice numbers") {
  const fs::path dir = STRATUM_SHARED_DIR "/data/bdd100k_val200";
  if (!fs::exists(dir / "gt_coco.json")) {
    MESSAGE("shared/data/bdd100k_val200 not present: nothing to compare");
    return;
  }
  const auto gt = io::load_coco_ground_truth((dir / "gt_coco.json").string());
  const auto dt = io::load_coco_results((dir / "dt_synthetic_seed20240601.json").string(), gt);
  const auto res = coco::evaluate_sliced(gt, dt, {}, {{{"weather"}}, {{"timeofday"}}, {{"scene"}}}, 2);
  simdjson::dom::parser parser;
  const auto json =
      simdjson::padded_string::load((dir / "reference_slices_pycocotools.json").string()).value();
  simdjson::dom::object ref = parser.parse(json).get_object().value();
  std::size_t checked = 0;
  for (auto [key, val] : ref) {
    const std::string name(key);
    const coco::evaluation* ev = nullptr;
    std::size_t n_images = 0;
    if (name == "ALL") {
      ev = &res.all;
      n_images = res.all.p->img_ids.size();
    } else {
      for (std::size_t s = 0; s < res.slices.size(); ++s)
        if (res.slices[s].name == name) ev = &res.slices[s].eval, n_images = res.slices[s].images.size();
    }
    REQUIRE_MESSAGE(ev != nullptr, "slice " << name << " missing");
    CHECK_MESSAGE(n_images == val["n_images"].get_uint64().value(), "slice " << name);
    std::size_t i = 0;
    simdjson::dom::array stats = val["stats"].get_array().value();
    for (auto x : stats) {
      const double want = x.get_double().value();
      CHECK_MESSAGE(std::fabs(ev->stats[i] - want) <= 1e-12,
                    "slice " << name << " stats[" << i << "]: got " << ev->stats[i] << " expected " << want);
      ++i;
    }
    ++checked;
  }
  CHECK(checked == 18);
  CHECK(res.slices.size() == 17);
}

TEST_CASE("slices and joint cells of the conformance cases equal restricted evaluations") {
  std::size_t cells = 0, cases = 0;
  for (const auto& d : fs::directory_iterator(STRATUM_TEST_DATA_DIR "/coco")) {
    const auto params = io::load_coco_params((d.path() / "params.json").string());
    const auto gt = io::load_coco_ground_truth((d.path() / "gt.json").string());
    const auto dt = io::load_coco_results((d.path() / "dt.json").string(), gt);
    const std::vector<coco::slice_spec> specs{{{"weather"}},
                                              {{"timeofday"}},
                                              {{"rig"}},
                                              {{"weather", "timeofday"}},
                                              {{"weather", "timeofday", "rig"}}};
    const auto res = coco::evaluate_sliced(gt, dt, params, specs, 2);
    if (res.slices.empty()) continue;  // a case whose images carry no attributes (iou_exact)
    ++cases;
    for (std::size_t s = 0; s < res.slices.size(); ++s) {
      auto p = params;
      p.img_ids = res.slices[s].eval.p->img_ids;
      const auto ref = coco::evaluate(gt, dt, p, 1);
      INFO(d.path().filename().string(), " slice ", res.slices[s].name);
      REQUIRE(ref.arrays.precision.size() == res.slices[s].eval.arrays.precision.size());
      // bit-identical: the same records reach the same accumulator
      CHECK(ref.arrays.precision == res.slices[s].eval.arrays.precision);
      CHECK(ref.arrays.recall == res.slices[s].eval.arrays.recall);
      CHECK(ref.arrays.scores == res.slices[s].eval.arrays.scores);
      for (std::size_t i = 0; i < 12; ++i)
        CHECK((ref.stats[i] == res.slices[s].eval.stats[i] ||
               (std::isnan(ref.stats[i]) && std::isnan(res.slices[s].eval.stats[i]))));
      ++cells;
    }
    // the pooled result of a sliced run equals the plain run
    const auto plain = coco::evaluate(gt, dt, params, 1);
    CHECK(plain.arrays.precision == res.all.arrays.precision);
  }
  CHECK(cases >= 10);
  CHECK(cells > 100);
}
