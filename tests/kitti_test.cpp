// KITTI object labels (io/kitti.hpp): the line reader (15 fields, 16 with a score; DontCare; truncation and
// occlusion checked), a folder read into COCO's model (stems in order, [x1, y1, x2 - x1, y2 - y1], DontCare
// as a crowd region of every class), predictions, the refusals, and COCO -> KITTI -> COCO on the conformance
// cases.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include <stratum/coco/evaluator.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/io/kitti.hpp>
#include <stratum/io/label_formats.hpp>

#include "coco_cases.hpp"
#include "error_of.hpp"

using namespace stratum;
using stratum::test::error_of;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const auto d = fs::temp_directory_path() / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST_CASE("KITTI lines: objects, DontCare, scores; every refusal names the file, the line and the field") {
  const auto& cls = io::kitti_classes();
  const auto o = io::parse_kitti_lines(
      "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\r\n\n"
      "Pedestrian 0.5 2 0.2 10 20 30.5 80 1.8 0.6 0.8 1 1 10 0.1\n"
      "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10",
      "000001.txt", cls, false);
  REQUIRE(o.size() == 3);
  CHECK(o[0].cls == 0);
  CHECK(o[0].x1 == 587.01);
  CHECK(o[0].y2 == 200.12);
  CHECK(o[1].cls == 3);
  CHECK(o[1].truncated == 0.5);
  CHECK(o[1].occluded == 2);
  CHECK(o[2].cls == -1);
  const auto p = io::parse_kitti_lines("Cyclist 0 0 0 1 2 3 4 0 0 0 0 0 0 0 0.875\n", "p.txt", cls, true);
  REQUIRE(p.size() == 1);
  CHECK(p[0].cls == 5);
  CHECK(p[0].score == 0.875);
  const auto err = [&](const char* text, bool scored = false) {
    return error_of([&] { (void)io::parse_kitti_lines(text, "a.txt", cls, scored); });
  };
  CHECK(err("Car 0 0 0 1 2 3 4 0 0 0 0 0 0") ==
        "a.txt: line 1: 14 fields, expected 15 (type truncated occluded alpha x1 y1 x2 y2 h w l x y z ry)");
  CHECK(err("Car 0 0 0 1 2 3 4 0 0 0 0 0 0 0", true) ==
        "a.txt: line 1: 15 fields, expected 16 (type truncated occluded alpha x1 y1 x2 y2 h w l x y z ry "
        "score)");
  CHECK(err("\ncar 0 0 0 1 2 3 4 0 0 0 0 0 0 0") == "a.txt: line 2: type: 'car' is not in the class list");
  CHECK(err("Car 1.5 0 0 1 2 3 4 0 0 0 0 0 0 0") == "a.txt: line 1: truncated: 1.5 is outside [0, 1]");
  CHECK(err("Car 0 4 0 1 2 3 4 0 0 0 0 0 0 0") ==
        "a.txt: line 1: occluded: 4 is not 0, 1, 2 or 3 (visible, partly, largely occluded, unknown)");
  CHECK(err("Car 0 0 0 5 2 3 4 0 0 0 0 0 0 0") == "a.txt: line 1: x2: 3 < x1 5");
  CHECK(err("Car 0 0 0 1 5 3 4 0 0 0 0 0 0 0") == "a.txt: line 1: y2: 4 < y1 5");
  CHECK(err("Car 0 0 0 1 2 3 nan 0 0 0 0 0 0 0") == "a.txt: line 1: y2: 'nan' is not a finite number");
  CHECK(err("Car 0 0 0 1 2 3 4 0 0 0 0 0 0 x") == "a.txt: line 1: rotation_y: 'x' is not a finite number");
  CHECK(err("DontCare -1 -1 -10 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10 0.5", true) ==
        "a.txt: line 1: type: DontCare is not a prediction");
}

TEST_CASE(
    "KITTI folders: images by stem, boxes as [x1, y1, x2 - x1, y2 - y1], DontCare a crowd region of every "
    "class") {
  const auto d = fresh_dir("stratum_kitti_folder");
  fs::create_directories(d / "label_2");
  io::detail::write_text_file((d / "label_2" / "000010.txt").string(),
                              "Van 0 1 0 10 20 60 50 0 0 0 0 0 0 0\n"
                              "DontCare -1 -1 -10 100 100 150.5 120 -1 -1 -1 -1000 -1000 -1000 -10\n");
  io::detail::write_text_file((d / "label_2" / "000002.txt").string(),
                              "Tram 0.25 3 0 0 0 1 1 0 0 0 0 0 0 0\n");
  io::detail::write_text_file((d / "label_2" / "000005.txt").string(), "");
  io::kitti_report r;
  const auto gt = io::load_kitti_ground_truth({(d / "label_2").string(), ""}, &r);
  REQUIRE(gt.images.size() == 3);
  CHECK(gt.images[0].file_name == "000002");
  CHECK(gt.images[2].file_name == "000010");
  REQUIRE(gt.categories.size() == 8);
  CHECK(gt.categories[6].name == "Tram");
  REQUIRE(gt.size() == 2 + 8);
  CHECK(gt.image_id[0] == 1);
  CHECK(gt.category_id[0] == 7);
  CHECK(gt.image_id[1] == 3);
  CHECK(gt.category_id[1] == 2);  // Van
  CHECK(gt.x[1] == 10);
  CHECK(gt.y[1] == 20);
  CHECK(gt.w[1] == 50);
  CHECK(gt.h[1] == 30);
  CHECK(gt.area[1] == 1500);
  CHECK(gt.crowd[1] == 0);
  for (std::size_t k = 2; k < 10; ++k) {  // the DontCare region, once per class
    CHECK(gt.crowd[k] == 1);
    CHECK(gt.category_id[k] == static_cast<std::int64_t>(k - 1));
    CHECK(gt.w[k] == 50.5);
    CHECK(gt.h[k] == 20);
  }
  CHECK(r.summary("label_2") ==
        "label_2: 3 label files, 2 objects (0 fully visible, 1 partly, 0 largely occluded, 1 unknown; 1 "
        "truncated), "
        "1 DontCare regions (crowd regions of every class)");
  // the folder is recognised as KITTI, not YOLO
  CHECK(io::detect_folder_format((d / "label_2").string()) == io::label_format::kitti);
  std::string note;
  const auto again = io::load_labels((d / "label_2").string(), {}, &note);
  CHECK(again.size() == gt.size());
  CHECK(note == r.summary((d / "label_2").string()));
  io::label_options named;
  named.format = io::parse_label_format("kitti");
  CHECK(io::load_labels((d / "label_2").string(), named).size() == gt.size());
  CHECK(error_of([&] { (void)io::load_labels((d / "label_2" / "000002.txt").string(), named); }) ==
        (d / "label_2" / "000002.txt").string() +
            " is a file: --format kitti reads a directory of label files");
  named.format = io::label_format::coco;
  CHECK(error_of([&] { (void)io::load_labels((d / "label_2").string(), named); }) ==
        (d / "label_2").string() + " is a directory: --format coco reads a file");
  // predictions, by stem, types by the ground truth's names
  fs::create_directories(d / "pred");
  io::detail::write_text_file(
      (d / "pred" / "000010.txt").string(),
      "Van -1 -1 0 11 21 59 49 0 0 0 0 0 0 0 0.9\nCar -1 -1 0 0 0 5 5 0 0 0 0 0 0 0 0.2\n");
  const auto dt = io::load_detections((d / "pred").string(), gt);
  REQUIRE(dt.size() == 2);
  CHECK(dt.image_id[0] == 3);
  CHECK(dt.category_id[0] == 2);
  CHECK(dt.w[0] == 48);
  CHECK(dt.score[1] == 0.2);
  io::detail::write_text_file((d / "pred" / "000099.txt").string(), "");
  CHECK(error_of([&] { (void)io::load_kitti_results((d / "pred").string(), gt); }) ==
        (d / "pred" / "000099.txt").string() + ": the ground truth has no image '000099'");
  // a folder neither YOLO nor KITTI
  io::detail::write_text_file((d / "label_2" / "000001.txt").string(), "Car 1 2 3\n");
  CHECK(
      error_of([&] { (void)io::detect_folder_format((d / "label_2").string()); }) ==
      (d / "label_2" / "000001.txt").string() +
          ": line 1: 4 fields: neither YOLO (5, or 6 with a score) nor KITTI (15, or 16 with a score); give "
          "--format");
  fs::remove_all(d);
}

TEST_CASE(
    "KITTI round trip: COCO -> KITTI files -> COCO keeps images, classes and boxes; crowd regions for all") {
  std::size_t cases = 0, boxes = 0, crowd = 0;
  for (const auto& dir : stratum_test::coco_case_dirs()) {
    CAPTURE(dir.string());
    auto gt = io::load_coco_ground_truth((dir / "gt.json").string());
    const auto dt = io::load_coco_results((dir / "dt.json").string(), gt);
    for (auto& c : gt.categories)
      if (c.name.empty()) c.name = "category_" + std::to_string(c.id);
    const auto d = fresh_dir("stratum_kitti_rt_" + dir.filename().string());
    std::string classes;
    for (const auto& c : gt.categories) classes += c.name + "\n";
    io::detail::write_text_file((d / "classes.txt").string(), classes);
    for (const auto& [sub, files] : {std::pair{"labels", io::kitti_text_of(gt, nullptr)},
                                     std::pair{"predictions", io::kitti_text_of(gt, &dt)}}) {
      io::write_label_files((d / sub).string(), files);
    }
    const auto back = io::load_kitti_ground_truth({(d / "labels").string(), (d / "classes.txt").string()});
    const auto dback = io::load_kitti_results((d / "predictions").string(), back);
    fs::remove_all(d);
    REQUIRE(back.images.size() == gt.images.size());
    std::map<std::string, std::int64_t> id_by_stem;
    for (const auto& im : back.images) id_by_stem[im.file_name] = im.id;
    std::map<std::int64_t, std::int64_t> id_of;
    for (const auto& im : gt.images) {
      const std::string name = im.file_name.empty() ? std::to_string(im.id) : im.file_name;
      id_of[im.id] = id_by_stem.at(io::detail::stem_of(name));
    }
    const auto near = [](double a, double b, double scale) {
      return std::fabs(a - b) <= 4 * std::numeric_limits<double>::epsilon() * std::max(1.0, scale);
    };
    std::map<std::int64_t, std::int64_t> cat_of;  // KITTI's types are names: ids 1, 2, ... in list order
    for (std::size_t c = 0; c < gt.categories.size(); ++c)
      cat_of[gt.categories[c].id] = static_cast<std::int64_t>(c + 1);
    // objects: the same, in order, per image; crowd regions: each original one is among the crowd regions of
    // its image and category (DontCare reads back for every class)
    std::map<std::int64_t, std::vector<std::size_t>> objects_a, objects_b;
    for (std::size_t r = 0; r < gt.size(); ++r)
      if (!gt.crowd[r]) objects_a[id_of.at(gt.image_id[r])].push_back(r);
    for (std::size_t r = 0; r < back.size(); ++r)
      if (!back.crowd[r]) objects_b[back.image_id[r]].push_back(r);
    REQUIRE(objects_a.size() == objects_b.size());
    for (const auto& [img, ra] : objects_a) {
      const auto& rb = objects_b.at(img);
      REQUIRE(ra.size() == rb.size());
      for (std::size_t k = 0; k < ra.size(); ++k) {
        const std::size_t i = ra[k], j = rb[k];
        CHECK(back.category_id[j] == cat_of.at(gt.category_id[i]));
        CHECK(back.x[j] == gt.x[i]);
        CHECK(back.y[j] == gt.y[i]);
        CHECK(near(back.w[j], gt.w[i], std::fabs(gt.x[i]) + gt.w[i]));
        CHECK(near(back.h[j], gt.h[i], std::fabs(gt.y[i]) + gt.h[i]));
        ++boxes;
      }
    }
    for (std::size_t r = 0; r < gt.size(); ++r) {
      if (!gt.crowd[r]) continue;
      ++crowd;
      bool found = false;
      for (std::size_t j = 0; j < back.size() && !found; ++j)
        found = back.crowd[j] && back.image_id[j] == id_of.at(gt.image_id[r]) && back.x[j] == gt.x[r] &&
                back.y[j] == gt.y[r] && near(back.w[j], gt.w[r], std::fabs(gt.x[r]) + gt.w[r]);
      CHECK(found);
    }
    REQUIRE(dback.size() == dt.size());
    // one file per image: the detections come back grouped by image, each with its box and score
    std::multiset<std::tuple<std::int64_t, double, double>> da, db;
    for (std::size_t r = 0; r < dt.size(); ++r) da.emplace(id_of.at(dt.image_id[r]), dt.x[r], dt.score[r]);
    for (std::size_t r = 0; r < dback.size(); ++r) db.emplace(dback.image_id[r], dback.x[r], dback.score[r]);
    CHECK(da == db);
    ++cases;
  }
  MESSAGE(cases << " cases: " << boxes << " objects through KITTI files, " << crowd
                << " crowd regions read back as DontCare");
  CHECK(cases >= 10);
  CHECK(crowd > 0);
}

TEST_CASE("KITTI difficulty: the devkit's ground-truth rules as ignore flags, neighbouring classes") {
  const auto d = fresh_dir("stratum_kitti_difficulty");
  // truncation, occlusion, box (height = y2 - y1) per object; the comments give the first level that counts
  // it
  io::detail::write_text_file((d / "000001.txt").string(),
                              "Car 0 0 0 0 0 10 50 0 0 0 0 0 0 0\n"            // h 50: easy
                              "Car 0.15 0 0 0 0 10 40 0 0 0 0 0 0 0\n"         // h 40 <= 40: moderate
                              "Car 0.16 0 0 0 0 10 50 0 0 0 0 0 0 0\n"         // trunc 0.16 > 0.15: moderate
                              "Car 0 1 0 0 0 10 50 0 0 0 0 0 0 0\n"            // occluded 1: moderate
                              "Car 0.5 2 0 0 0 10 26 0 0 0 0 0 0 0\n"          // occluded 2, trunc 0.5: hard
                              "Car 0.3 1 0 0 0 10 25 0 0 0 0 0 0 0\n"          // h 25 <= 25: never
                              "Car 0 3 0 0 0 10 50 0 0 0 0 0 0 0\n"            // occluded 3 (unknown): never
                              "Van 0 0 0 100 100 140 160 0 0 0 0 0 0 0\n"      // and an ignored Car
                              "Person_sitting 0 0 0 0 0 5 99 0 0 0 0 0 0 0\n"  // and an ignored Pedestrian
                              "Cyclist 0 0 0 0 0 5 99 0 0 0 0 0 0 0\n");
  const auto ignored_at = [&](io::kitti_difficulty level, io::kitti_report* r = nullptr) {
    io::kitti_source src;
    src.labels = d.string();
    src.difficulty = level;
    const auto gt = io::load_kitti_ground_truth(src, r);
    std::string out;  // per annotation: category id, then i (ignored) or c (counted), t when truncated
    for (std::size_t i = 0; i < gt.size(); ++i)
      out += std::to_string(gt.category_id[i]) + ((gt.flags[i] & gt_flag::ignored) ? "i" : "c") +
             ((gt.flags[i] & gt_flag::truncated) ? "t " : " ");
    return out;
  };
  CHECK(ignored_at(io::kitti_difficulty::none) == "1c 1ct 1ct 1c 1ct 1ct 1c 2c 5c 6c ");
  CHECK(ignored_at(io::kitti_difficulty::easy) == "1c 1it 1it 1i 1it 1it 1i 2c 1i 5c 4i 6c ");
  CHECK(ignored_at(io::kitti_difficulty::moderate) == "1c 1ct 1ct 1c 1it 1it 1i 2c 1i 5c 4i 6c ");
  io::kitti_report r;
  CHECK(ignored_at(io::kitti_difficulty::hard, &r) == "1c 1ct 1ct 1c 1ct 1it 1i 2c 1i 5c 4i 6c ");
  CHECK(r.ignored == 2);
  CHECK(r.neighbours == 2);
  CHECK(r.summary("K").find("; hard: 2 objects ignored, 2 Van/Person_sitting objects also ignored as "
                            "Car/Pedestrian") != std::string::npos);
  CHECK(io::parse_kitti_difficulty("all") == io::kitti_difficulty::none);
  CHECK(error_of([] { (void)io::parse_kitti_difficulty("medium"); }) ==
        "--kitti-difficulty: expected easy, moderate, hard or all (got 'medium')");
  // a Car detection on the Van is neither right nor wrong at a difficulty, a false alarm without one
  io::kitti_source src;
  src.labels = d.string();
  src.difficulty = io::kitti_difficulty::moderate;
  const auto gt = io::load_kitti_ground_truth(src);
  coco::detection_set dt, with_van;
  dt.add(1, 1, 0, 0, 10, 50, 0.5);
  with_van = dt;
  with_van.add(1, 1, 100, 100, 40, 60, 0.9);
  const auto a = coco::evaluate(gt, with_van, {}).stats, b = coco::evaluate(gt, dt, {}).stats;
  for (std::size_t k = 0; k < 12; ++k) {
    CAPTURE(k);
    if (k != static_cast<std::size_t>(coco::stat::ar1))
      CHECK(a[k] == b[k]);  // AR@1: the ignored detection takes the one slot, as in COCO
  }
  src.difficulty = io::kitti_difficulty::none;
  const auto all = io::load_kitti_ground_truth(src);
  CHECK(coco::evaluate(all, with_van, {}).stats[0] < coco::evaluate(all, dt, {}).stats[0]);
  fs::remove_all(d);
}
