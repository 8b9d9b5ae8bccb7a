// The writers of stratum convert --to, each read back by its reader, on every COCO conformance case:
// COCO -> COCO is the identity bit for bit; COCO -> YOLO -> COCO keeps every image (size, file name), class
// and box within the rounding of dividing by the image size (YOLO has no crowd regions: the writer refuses
// them, and the round trip runs on the other boxes). Scalabel's round trip is in scalabel_test.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <string>

#include <stratum/io/coco_json.hpp>
#include <stratum/io/yolo.hpp>

#include "coco_cases.hpp"
#include "error_of.hpp"

using namespace stratum;
using stratum::test::error_of;

TEST_CASE("COCO writer: ground truth and results read back bit for bit") {
  for (const auto& dir : stratum_test::coco_case_dirs()) {
    CAPTURE(dir.string());
    const auto gt = io::load_coco_ground_truth((dir / "gt.json").string());
    const auto dt = io::load_coco_results((dir / "dt.json").string(), gt);
    std::string g, d;
    io::append_coco_ground_truth(g, gt);
    io::append_coco_results(d, dt);
    const auto gt2 = io::parse_coco_ground_truth(simdjson::padded_string(g), "rt.json");
    const auto dt2 = io::parse_coco_results(simdjson::padded_string(d), "rt_dt.json", gt2);
    REQUIRE(gt2.images.size() == gt.images.size());
    for (std::size_t i = 0; i < gt.images.size(); ++i) {
      CHECK(gt2.images[i].id == gt.images[i].id);
      CHECK(gt2.images[i].file_name == gt.images[i].file_name);
      CHECK(gt2.images[i].width == gt.images[i].width);
      CHECK(gt2.images[i].height == gt.images[i].height);
      CHECK(gt2.images[i].attrs == gt.images[i].attrs);
      CHECK(gt2.images[i].provenance == gt.images[i].provenance);
    }
    REQUIRE(gt2.categories.size() == gt.categories.size());
    for (std::size_t c = 0; c < gt.categories.size(); ++c) {
      CHECK(gt2.categories[c].id == gt.categories[c].id);
      CHECK(gt2.categories[c].name == gt.categories[c].name);
    }
    CHECK(gt2.id == gt.id);
    CHECK(gt2.image_id == gt.image_id);
    CHECK(gt2.category_id == gt.category_id);
    CHECK(gt2.x == gt.x);
    CHECK(gt2.y == gt.y);
    CHECK(gt2.w == gt.w);
    CHECK(gt2.h == gt.h);
    CHECK(gt2.area == gt.area);
    CHECK(gt2.crowd == gt.crowd);
    CHECK(dt2.image_id == dt.image_id);
    CHECK(dt2.category_id == dt.category_id);
    CHECK(dt2.x == dt.x);
    CHECK(dt2.y == dt.y);
    CHECK(dt2.w == dt.w);
    CHECK(dt2.h == dt.h);
    CHECK(dt2.score == dt.score);
  }
}

TEST_CASE("YOLO writer: COCO -> YOLO files -> COCO keeps images, classes and boxes") {
  namespace fs = std::filesystem;
  std::size_t cases = 0, boxes = 0, detections = 0, crowd_refused = 0;
  for (const auto& dir : stratum_test::coco_case_dirs()) {
    CAPTURE(dir.string());
    auto gt = io::load_coco_ground_truth((dir / "gt.json").string());
    const auto dt = io::load_coco_results((dir / "dt.json").string(), gt);
    for (auto& c : gt.categories)
      if (c.name.empty()) c.name = "category " + std::to_string(c.id);
    // YOLO has no crowd region: refused by name, then the round trip runs on the other boxes
    coco::ground_truth plain;
    plain.images = gt.images;
    plain.categories = gt.categories;
    for (std::size_t r = 0; r < gt.size(); ++r)
      if (!gt.crowd[r])
        plain.add(gt.id[r], gt.image_id[r], gt.category_id[r], gt.x[r], gt.y[r], gt.w[r], gt.h[r], gt.area[r],
                  false);
    if (plain.size() != gt.size()) {
      const auto e = error_of([&] { (void)io::yolo_text_of(gt, nullptr); });
      CHECK(e.find("is a crowd region, which YOLO labels cannot hold") != std::string::npos);
      ++crowd_refused;
    }
    // detections whose normalised centre and size lie in [0, 1]: what YOLO can hold
    std::map<std::int64_t, const coco::image_info*> image;
    for (const auto& im : gt.images) image[im.id] = &im;
    coco::detection_set inside;
    for (std::size_t r = 0; r < dt.size(); ++r) {
      const auto& im = *image.at(dt.image_id[r]);
      const double v[4] = {(dt.x[r] + dt.w[r] / 2) / im.width, (dt.y[r] + dt.h[r] / 2) / im.height,
                           dt.w[r] / im.width, dt.h[r] / im.height};
      bool ok = true;
      for (double e : v) ok = ok && e >= 0 && e <= 1;
      if (ok)
        inside.add(dt.image_id[r], dt.category_id[r], dt.x[r], dt.y[r], dt.w[r], dt.h[r], dt.score[r]);
      else if (detections == 0 && inside.size() == 0)
        CHECK(error_of([&] {
                coco::detection_set one;
                one.add(dt.image_id[r], dt.category_id[r], dt.x[r], dt.y[r], dt.w[r], dt.h[r], dt.score[r]);
                (void)io::yolo_text_of(gt, &one);
              }).find("reaches outside image") != std::string::npos);
    }
    const fs::path out = fs::temp_directory_path() / ("stratum_yolo_rt_" + dir.filename().string());
    fs::remove_all(out);
    const auto labels = io::yolo_text_of(plain, nullptr);
    io::write_label_files((out / "labels").string(), labels.files);
    io::write_label_files((out / "predictions").string(), io::yolo_text_of(plain, &inside).files);
    io::detail::write_text_file((out / "classes.txt").string(), labels.classes);
    io::detail::write_text_file((out / "sizes.csv").string(), labels.sizes);
    const auto back = io::load_yolo_ground_truth(
        {(out / "labels").string(), (out / "classes.txt").string(), (out / "sizes.csv").string(), ""});
    const auto dback = io::load_yolo_results((out / "predictions").string(), back);
    fs::remove_all(out);

    REQUIRE(back.images.size() == plain.images.size());
    REQUIRE(back.size() == plain.size());
    REQUIRE(dback.size() == inside.size());
    std::map<std::string, const coco::image_info*> by_name;
    for (const auto& im : back.images) by_name[im.file_name] = &im;
    std::map<std::int64_t, std::int64_t> id_of;
    for (const auto& im : plain.images) {
      const std::string name = im.file_name.empty() ? std::to_string(im.id) : im.file_name;
      const auto it = by_name.find(name);
      REQUIRE(it != by_name.end());
      CHECK(it->second->width == im.width);
      CHECK(it->second->height == im.height);
      id_of[im.id] = it->second->id;
    }
    std::map<std::int64_t, std::int64_t> cat_of;
    for (std::size_t c = 0; c < plain.categories.size(); ++c) {
      CHECK(back.categories[c].name == plain.categories[c].name);
      cat_of[plain.categories[c].id] = back.categories[c].id;
    }
    // rows of each image in order; coordinates within a few ulps of the image size
    const auto compare = [&](const auto& a, const auto& b, bool scored) {
      std::map<std::int64_t, std::vector<std::size_t>> ra, rb;
      for (std::size_t r = 0; r < a.size(); ++r) ra[id_of.at(a.image_id[r])].push_back(r);
      for (std::size_t r = 0; r < b.size(); ++r) rb[b.image_id[r]].push_back(r);
      REQUIRE(ra.size() == rb.size());
      for (const auto& [img, rows] : ra) {
        const auto& other = rb.at(img);
        REQUIRE(rows.size() == other.size());
        for (std::size_t k = 0; k < rows.size(); ++k) {
          const std::size_t i = rows[k], j = other[k];
          const double scale = 8 * std::numeric_limits<double>::epsilon() * 4096;
          CHECK(b.category_id[j] == cat_of.at(a.category_id[i]));
          CHECK(std::fabs(b.x[j] - a.x[i]) <= scale);
          CHECK(std::fabs(b.y[j] - a.y[i]) <= scale);
          CHECK(std::fabs(b.w[j] - a.w[i]) <= scale);
          CHECK(std::fabs(b.h[j] - a.h[i]) <= scale);
          if constexpr (requires { a.score; }) {
            if (scored) CHECK(b.score[j] == a.score[i]);
          }
        }
      }
    };
    compare(plain, back, false);
    compare(inside, dback, true);
    boxes += plain.size();
    detections += inside.size();
    ++cases;
  }
  MESSAGE(cases << " cases, " << boxes << " boxes and " << detections << " detections through YOLO files; "
                << crowd_refused << " cases with crowd regions refused whole");
  CHECK(cases >= 10);
  CHECK(crowd_refused >= 1);
}

TEST_CASE("YOLO writer: refusals name the image, the category or the box") {
  coco::ground_truth gt;
  coco::image_info a;
  a.id = 1;
  a.file_name = "x/a.jpg";
  a.width = 100;
  a.height = 50;
  gt.images.push_back(a);
  gt.categories.push_back({7, "car"});
  gt.add(1, 1, 7, 10, 10, 20, 20, 400, false);
  const auto t = io::yolo_text_of(gt, nullptr);
  CHECK(t.files.at("a") == "0 0.2 0.4 0.2 0.4\n");  // the folder part of the file name is dropped
  CHECK(t.classes == "car\n");
  CHECK(t.sizes == "file_name,width,height\na.jpg,100,50\n");
  auto b = a;
  b.id = 2;
  b.file_name = "y/a.png";
  gt.images.push_back(b);
  CHECK(error_of([&] { (void)io::yolo_text_of(gt, nullptr); }) ==
        "YOLO output: image 2: another image has the stem 'a'");
  gt.images.pop_back();
  b.file_name = "b,\"1\".jpg";
  b.width = 0;
  gt.images.push_back(b);
  CHECK(error_of([&] { (void)io::yolo_text_of(gt, nullptr); }) ==
        "YOLO output: image 2 has no size (YOLO boxes are fractions of it)");
  gt.images.back().width = 10;
  CHECK(io::yolo_text_of(gt, nullptr).sizes ==
        "file_name,width,height\na.jpg,100,50\n\"b,\"\"1\"\".jpg\",10,50\n");
  gt.categories[0].name = "";
  CHECK(error_of([&] { (void)io::yolo_text_of(gt, nullptr); }) ==
        "YOLO output: category 7 needs a name on one line (the class list is names)");
  gt.categories[0].name = "car";
  gt.add(2, 1, 7, 95, 10, 20, 20, 400, false);  // centre 105 of 100
  CHECK(error_of([&] { (void)io::yolo_text_of(gt, nullptr); }) ==
        "YOLO output: annotation 2 reaches outside image 1 (YOLO's centre and size are fractions of the "
        "image, in "
        "[0, 1])");
}
