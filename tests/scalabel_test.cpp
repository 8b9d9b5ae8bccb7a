// BDD100K / Scalabel JSON (io/scalabel.hpp): each rule of Scalabel's own COCO conversion
// (scalabel2coco_detection) on hand-built frames, the refusals, predictions, and COCO -> Scalabel -> COCO on
// the conformance cases.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include <stratum/io/coco_json.hpp>
#include <stratum/io/label_formats.hpp>
#include <stratum/io/scalabel.hpp>

#include "coco_cases.hpp"
#include "error_of.hpp"

using namespace stratum;
using stratum::test::error_of;

namespace {

coco::ground_truth gt_of(const std::string& json, const std::vector<std::string>& classes = {},
                         io::scalabel_report* r = nullptr) {
  return io::parse_scalabel_ground_truth(simdjson::padded_string(json), "s.json", classes, r);
}

std::string err(const std::string& json, const std::vector<std::string>& classes = {"car", "person"}) {
  return error_of([&] { (void)gt_of(json, classes); });
}

std::string attr(const coco::image_info& im, const std::string& key) {
  const auto* v = im.attribute(key);
  return v ? *v : "(none)";
}

}  // namespace

TEST_CASE("Scalabel: frames sorted by name, url as file name, inclusive box2d, crowd and ignored") {
  io::scalabel_report r;
  const auto gt = gt_of(R"({"config": {"categories": [{"name": "vehicle", "subcategories": [{"name": "car"},
      {"name": "truck"}]}, {"name": "person"}]},
    "frames": [
    {"name": "c.jpg", "attributes": {"weather": "partly cloudy", "sun": 15.5, "wet": true, "x": null},
     "size": {"width": 1280, "height": 720},
     "labels": [{"id": "7", "category": "person", "box2d": {"x1": 10, "y1": 20, "x2": 19, "y2": 39}},
                {"id": "8", "category": "truck", "box2d": {"x1": 0.5, "y1": 0, "x2": 0.5, "y2": 0},
                 "attributes": {"crowd": true}},
                {"id": "9", "category": "car", "poly2d": [{"vertices": [[0, 0], [1, 1]], "types": "LL"}]}]},
    {"name": "a.jpg", "url": "https://host/a-full.jpg", "labels": [
                {"category": "car", "box2d": {"x1": 1, "y1": 2, "x2": 3, "y2": 4},
                 "attributes": {"ignored": 1, "crowd": false, "occluded": true}},
                {"category": "car", "box2d": {"x1": 1, "y1": 2, "x2": 3, "y2": 4},
                 "attributes": {"ignored": 0, "crowd": 0}},
                {"category": "car", "box2d": {"x1": 5, "y1": 6, "x2": 4, "y2": 5}}]},
    {"name": "b.jpg", "labels": null}]})",
                        {}, &r);
  // leaf categories in order, ids 1..
  REQUIRE(gt.categories.size() == 3);
  CHECK(gt.categories[0].name == "car");
  CHECK(gt.categories[1].name == "truck");
  CHECK(gt.categories[2].name == "person");
  CHECK(gt.categories[2].id == 3);
  // frames by name: a, b, c -> 1, 2, 3; the url names a.jpg's image
  REQUIRE(gt.images.size() == 3);
  CHECK(gt.images[0].id == 1);
  CHECK(gt.images[0].file_name == "https://host/a-full.jpg");
  CHECK(gt.images[1].file_name == "b.jpg");
  CHECK(gt.images[2].file_name == "c.jpg");
  CHECK(gt.images[0].width == 0);  // no size given: none
  CHECK(gt.images[2].width == 1280);
  CHECK(gt.images[2].height == 720);
  // the frame's attributes as written, null left out
  CHECK(attr(gt.images[2], "weather") == "partly cloudy");
  CHECK(attr(gt.images[2], "sun") == "15.5");
  CHECK(attr(gt.images[2], "wet") == "true");
  CHECK(attr(gt.images[2], "x") == "(none)");
  CHECK(gt.images[0].attrs.empty());
  // annotations in frame order (a.jpg's first), then label order
  REQUIRE(gt.size() == 5);
  for (std::size_t k = 0; k < 5; ++k) CHECK(gt.id[k] == static_cast<std::int64_t>(k + 1));
  CHECK(gt.image_id[0] == 1);
  CHECK(gt.crowd[0] == 1);  // ignored: 1
  CHECK(gt.crowd[1] == 0);  // both zero
  CHECK(gt.x[0] == 1);
  CHECK(gt.y[0] == 2);
  CHECK(gt.w[0] == 3);  // 3 - 1 + 1
  CHECK(gt.h[0] == 3);
  CHECK(gt.area[0] == 9);
  CHECK(gt.w[2] == 0);  // x2 = x1 - 1: an empty box, allowed
  CHECK(gt.h[2] == 0);
  CHECK(gt.image_id[3] == 3);
  CHECK(gt.category_id[3] == 3);  // person
  CHECK(gt.x[3] == 10);
  CHECK(gt.y[3] == 20);
  CHECK(gt.w[3] == 10);
  CHECK(gt.h[3] == 20);
  CHECK(gt.area[3] == 200);
  CHECK(gt.category_id[4] == 2);  // truck, a leaf of vehicle
  CHECK(gt.crowd[4] == 1);
  CHECK(gt.w[4] == 1);  // a one-pixel box: x2 == x1
  CHECK(gt.area[4] == 1);
  // the label without box2d is counted, not read
  CHECK(r.frames == 3);
  CHECK(r.labels == 6);
  CHECK(r.boxes == 5);
  CHECK(r.crowd == 2);
  CHECK(r.without_box == 1);
  CHECK(r.summary("s.json") ==
        "s.json: 3 frames, 5 boxes (2 crowd or ignored); 1 labels without box2d (not boxes) left out");
}

TEST_CASE("Scalabel: config.imageSize over the frame's size; a list of frames with a class list") {
  const auto gt =
      gt_of(R"({"config": {"imageSize": {"width": 640, "height": 480}, "categories": [{"name": "car"}]},
    "frames": [{"name": "x", "size": {"width": 10, "height": 10}}]})");
  CHECK(gt.images[0].width == 640);
  CHECK(gt.images[0].height == 480);
  const auto g2 =
      gt_of(R"([{"name": "z", "labels": [{"category": "b", "box2d": {"x1": 0, "y1": 0, "x2": 9, "y2": 9}}]},
    {"name": "y"}])",
            {"a", "b"});
  REQUIRE(g2.images.size() == 2);
  CHECK(g2.images[0].file_name == "y");
  CHECK(g2.category_id[0] == 2);
  CHECK(g2.image_id[0] == 2);
  // the class list replaces config.categories
  const auto g3 = gt_of(R"({"config": {"categories": [{"name": "car"}]}, "frames": []})", {"bus", "car"});
  CHECK(g3.categories.size() == 2);
  CHECK(g3.categories[1].name == "car");
}

TEST_CASE("Scalabel: every refusal names the file, the frame, the label and the field") {
  CHECK(err("[{\"name\": \"a\"}]", {}) ==
        "s.json: no category list: the file has no config.categories (give the class list, --classes FILE)");
  CHECK(err("[{\"name\": \"a\"}, {\"labels\": []}]") == "s.json: frames[1]: missing field name");
  CHECK(err("[{\"name\": \"\"}]") == "s.json: frames[0].name: the frame name is empty");
  CHECK(err("[{\"name\": 3}]") == "s.json: frames[0].name: expected a string");
  CHECK(err("[{\"name\": \"b\"}, {\"name\": \"a\"}, {\"name\": \"b\"}]") ==
        "s.json: frames[2] ('b').name: frames[0] has this name already");
  CHECK(
      err(R"([{"name": "a", "labels": [{"category": "car", "box2d": {"x1": 5, "y1": 0, "x2": 3.5, "y2": 0}}]}])") ==
      "s.json: frames[0] ('a').labels[0].box2d.x2: x2 3.5 < x1 - 1 (box2d is inclusive: the width x2 - x1 + "
      "1 "
      "would be negative)");
  CHECK(err(R"([{"name": "a", "labels": [{"category": "car", "box2d": {"x1": 0, "y1": 0, "x2": 1}}]}])") ==
        "s.json: frames[0] ('a').labels[0].box2d.y2: missing field");
  CHECK(
      err(R"([{"name": "a", "labels": [{"category": "car", "box2d": {"x1": "0", "y1": 0, "x2": 1, "y2": 1}}]}])") ==
      "s.json: frames[0] ('a').labels[0].box2d.x1: expected a number");
  CHECK(
      err(R"([{"name": "a", "labels": [{}, {"category": "bus", "box2d": {"x1": 0, "y1": 0, "x2": 1, "y2": 1}}]}])") ==
      "s.json: frames[0] ('a').labels[1].category: unknown category 'bus' (not in the class list)");
  CHECK(
      err(R"({"config": {"categories": [{"name": "car"}]}, "frames": [{"name": "a", "labels": [{"category": "bus",
        "box2d": {"x1": 0, "y1": 0, "x2": 1, "y2": 1}}]}]})",
          {}) ==
      "s.json: frames[0] ('a').labels[0].category: unknown category 'bus' (not in config.categories)");
  CHECK(err(R"([{"name": "a", "labels": [{"box2d": {"x1": 0, "y1": 0, "x2": 1, "y2": 1}}]}])") ==
        "s.json: frames[0] ('a').labels[0].category: missing field");
  CHECK(err(R"([{"name": "a", "labels": [{"category": "car", "box2d": {"x1": 0, "y1": 0, "x2": 1, "y2": 1},
        "attributes": {"crowd": "false"}}]}])") ==
        "s.json: frames[0] ('a').labels[0].attributes.crowd: expected true/false or a number");
  CHECK(err(R"([{"name": "a", "size": {"width": 0, "height": 5}}])") ==
        "s.json: frames[0] ('a').size.width: not a positive number");
  CHECK(err(R"({"config": {"imageSize": {"width": 5}, "categories": [{"name": "car"}]}, "frames": []})",
            {}) == "s.json: config.imageSize.height: missing field");
  CHECK(err(R"({"config": {"categories": [{"name": "car"}, {"name": "car"}]}, "frames": []})", {}) ==
        "s.json: config.categories[1].name: category 'car' is listed twice");
  CHECK(err(R"([{"name": "a", "attributes": {"w": [1]}}])") ==
        "s.json: frames[0] ('a').attributes.w: expected a string, a number or a boolean");
  CHECK(err(R"({"images": []})") ==
        "s.json: (document): expected a list of frames or an object with \"frames\"");
  CHECK(err("[{\"name\": \"a\"}").rfind("s.json: invalid JSON: ", 0) == 0);
  CHECK(err("[3]") == "s.json: frames[0]: expected an object");
}

TEST_CASE("Scalabel predictions: frames name the ground truth's images, labels carry scores") {
  const auto gt = gt_of(R"([{"name": "a.jpg"}, {"name": "b.jpg", "url": "u/b.jpg"}])", {"car", "person"});
  const auto dt = io::parse_scalabel_results(simdjson::padded_string(std::string(R"([
    {"name": "b.jpg", "url": "u/b.jpg", "labels": [{"category": "person", "score": 0.25,
      "box2d": {"x1": 1, "y1": 1, "x2": 10, "y2": 20}}]},
    {"name": "a.jpg", "labels": [{"category": "car", "score": 0.5, "box2d": {"x1": 0, "y1": 0, "x2": 0, "y2": 0}}]}])")),
                                             "p.json", gt);
  REQUIRE(dt.size() == 2);
  CHECK(dt.image_id[0] == 1);  // frames by name: a.jpg first
  CHECK(dt.category_id[0] == 1);
  CHECK(dt.score[0] == 0.5);
  CHECK(dt.w[0] == 1);
  CHECK(dt.image_id[1] == 2);
  CHECK(dt.category_id[1] == 2);
  CHECK(dt.w[1] == 10);
  CHECK(dt.h[1] == 20);
  const auto perr = [&](const char* json) {
    return error_of(
        [&] { (void)io::parse_scalabel_results(simdjson::padded_string(std::string(json)), "p.json", gt); });
  };
  CHECK(perr(R"([{"name": "b.jpg", "labels": []}])") ==
        "p.json: frames[0] ('b.jpg'): the ground truth has no image 'b.jpg'");
  CHECK(
      perr(
          R"([{"name": "a.jpg", "labels": [{"category": "car", "box2d": {"x1": 0, "y1": 0, "x2": 0, "y2": 0}}]}])") ==
      "p.json: frames[0] ('a.jpg').labels[0].score: missing field (a prediction needs a score)");
  CHECK(
      perr(
          R"([{"name": "a.jpg", "labels": [{"category": "car", "score": 1e999, "box2d": {"x1": 0, "y1": 0, "x2": 0, "y2": 0}}]}])")
          .rfind("p.json: ", 0) == 0);
  CHECK(perr(R"([{"name": "a.jpg", "labels": [{"category": "car", "score": 0.5}]}])") ==
        "p.json: frames[0] ('a.jpg').labels: a prediction without box2d");
}

TEST_CASE("Scalabel round trip: COCO -> Scalabel -> COCO keeps every image, box, class and crowd flag") {
  for (const auto& dir : stratum_test::coco_case_dirs()) {
    CAPTURE(dir.string());
    auto gt = io::load_coco_ground_truth((dir / "gt.json").string());
    const auto dt = io::load_coco_results((dir / "dt.json").string(), gt);
    for (auto& c : gt.categories)
      if (c.name.empty()) c.name = "category " + std::to_string(c.id);
    std::string text;
    io::append_scalabel(text, gt, nullptr);
    const auto back = io::parse_scalabel_ground_truth(simdjson::padded_string(text), "rt.json");
    std::string dtext;
    io::append_scalabel(dtext, gt, &dt);
    const auto dback = io::parse_scalabel_results(simdjson::padded_string(dtext), "rt_dt.json", back);
    REQUIRE(back.images.size() == gt.images.size());
    REQUIRE(back.categories.size() == gt.categories.size());
    REQUIRE(back.size() == gt.size());
    REQUIRE(dback.size() == dt.size());
    // images by name; categories by name
    std::map<std::string, const coco::image_info*> by_name;
    for (const auto& im : back.images) by_name[im.file_name] = &im;
    std::map<std::int64_t, std::int64_t> image_map, cat_map;
    for (const auto& im : gt.images) {
      const auto it = by_name.find(io::scalabel_name_of(im));
      REQUIRE(it != by_name.end());
      CHECK(it->second->width == im.width);
      CHECK(it->second->height == im.height);
      CHECK(it->second->attrs == im.attrs);
      image_map[im.id] = it->second->id;
    }
    for (std::size_t c = 0; c < gt.categories.size(); ++c) {
      CHECK(back.categories[c].name == gt.categories[c].name);
      cat_map[gt.categories[c].id] = back.categories[c].id;
    }
    // the boxes of each image in the same order, within the rounding of x2 = x + w - 1
    const auto near = [](double a, double b, double scale) {
      return std::fabs(a - b) <= 4 * std::numeric_limits<double>::epsilon() * std::max(1.0, scale);
    };
    const auto rows_by_image = [](const auto& set, auto&& map) {
      std::map<std::int64_t, std::vector<std::size_t>> out;
      for (std::size_t r = 0; r < set.size(); ++r) out[map(set.image_id[r])].push_back(r);
      return out;
    };
    const auto identity = [](std::int64_t v) { return v; };
    const auto mapped = [&](std::int64_t v) { return image_map.at(v); };
    for (int pass = 0; pass < 2; ++pass) {
      const auto a = pass ? rows_by_image(dt, mapped) : rows_by_image(gt, mapped);
      const auto b = pass ? rows_by_image(dback, identity) : rows_by_image(back, identity);
      REQUIRE(a.size() == b.size());
      for (const auto& [img, ra] : a) {
        const auto& rb = b.at(img);
        REQUIRE(ra.size() == rb.size());
        for (std::size_t k = 0; k < ra.size(); ++k) {
          const std::size_t i = ra[k], j = rb[k];
          const auto& sx = pass ? dt.x : gt.x;
          const auto& sy = pass ? dt.y : gt.y;
          const auto& sw = pass ? dt.w : gt.w;
          const auto& sh = pass ? dt.h : gt.h;
          const auto& tx = pass ? dback.x : back.x;
          const auto& ty = pass ? dback.y : back.y;
          const auto& tw = pass ? dback.w : back.w;
          const auto& th = pass ? dback.h : back.h;
          CHECK(tx[j] == sx[i]);
          CHECK(ty[j] == sy[i]);
          CHECK(near(tw[j], sw[i], std::fabs(sx[i]) + sw[i]));
          CHECK(near(th[j], sh[i], std::fabs(sy[i]) + sh[i]));
          if (pass) {
            CHECK(dback.score[j] == dt.score[i]);
            CHECK(dback.category_id[j] == cat_map.at(dt.category_id[i]));
          } else {
            CHECK(back.crowd[j] == gt.crowd[i]);
            CHECK(back.category_id[j] == cat_map.at(gt.category_id[i]));
            CHECK(near(back.area[j], back.w[j] * back.h[j], 0));  // the area the format carries: w * h
          }
        }
      }
    }
  }
}

TEST_CASE("Label formats: a JSON file is recognised from the keys of its first object") {
  const auto f = [](const char* text, bool results) {
    return io::format_name(io::detect_json_format(text, "f.json", results));
  };
  CHECK(std::string(
            f(R"({"info": {"images": 1, "x": "\"frames\""}, "licenses": [{"frames": 2}], "images": []})",
              false)) == "coco");
  CHECK(std::string(f(R"(  {"frames": [], "config": {}})", false)) == "scalabel");
  CHECK(std::string(f(R"([{"videoName": "v", "name": "a.jpg"}])", false)) == "scalabel");
  CHECK(std::string(f(R"([{"name": "a.jpg", "labels": []}])", true)) == "scalabel");
  CHECK(std::string(f(R"([ {"image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5}])", true)) ==
        "coco");
  CHECK(std::string(f(" [ \n] ", true)) == "coco");
  // a COCO results list is not a ground truth, a ground-truth object not results
  CHECK(error_of([&] { (void)f(R"([{"image_id": 1}])", false); }) ==
        "f.json: not a recognised ground-truth file (COCO or Scalabel JSON; keys: image_id); give --format");
  CHECK(error_of([&] { (void)f(R"({"images": []})", true); }) ==
        "f.json: not a recognised results file (COCO or Scalabel JSON; keys: images); give --format");
  CHECK(error_of([&] { (void)f("3", false); }) ==
        "f.json: not a recognised ground-truth file (COCO or Scalabel JSON; no object keys found); give "
        "--format");
  for (auto fmt : {io::label_format::automatic, io::label_format::coco, io::label_format::yolo,
                   io::label_format::scalabel, io::label_format::kitti, io::label_format::voc})
    CHECK(io::parse_label_format(io::format_name(fmt)) == fmt);  // every format has its own name
  CHECK(error_of([] { (void)io::parse_label_format("pascal"); }) ==
        "--format: expected coco, yolo, scalabel, kitti, voc or auto (got 'pascal')");
}

TEST_CASE("Scalabel: read frame by frame or whole, the same ground truth; the scan's shapes") {
  const char* docs[] = {
      // config after the frames, strings holding brackets, quotes and commas, escaped keys, odd spacing
      R"( { "frames" : [ {"name": "b]}", "attributes": {"w": "a,\"}{["}, "labels": [{"category": "car",
          "box2d": {"x1": 1, "y1": 2, "x2": 3, "y2": 4}}]} ,{"name":"a"} ] , "groups": [[{}]], "config": {"categories":
          [{"name": "car"}]}} )",
      R"({"fr\u0061mes": [{"name": "a"}], "config": {"categories": [{"name": "car"}]}})",  // the whole path
      R"([{"name": "x", "labels": [{"category": "car", "box2d": {"x1": 1e2, "y1": -0.5, "x2": 1E2, "y2": 7}}]}])",
      "[]",
  };
  for (const char* d : docs) {
    CAPTURE(d);
    const simdjson::padded_string json{std::string(d)};
    const auto a = io::parse_scalabel_ground_truth(json, "s.json", {"car"});
    const auto b = io::parse_scalabel_ground_truth(json, "s.json", {"car"}, nullptr, false);
    REQUIRE(a.images.size() == b.images.size());
    for (std::size_t i = 0; i < a.images.size(); ++i) {
      CHECK(a.images[i].file_name == b.images[i].file_name);
      CHECK(a.images[i].attrs == b.images[i].attrs);
    }
    CHECK(a.x == b.x);
    CHECK(a.w == b.w);
    CHECK(a.category_id == b.category_id);
  }
  const auto g = io::parse_scalabel_ground_truth(simdjson::padded_string(std::string(docs[0])), "s.json");
  REQUIRE(g.images.size() == 2);
  CHECK(g.images[0].file_name == "a");
  CHECK(attr(g.images[1], "w") == "a,\"}{[");
  // shapes the scan leaves to the whole-document parser, which names the problem
  CHECK(err("[{\"name\": \"a\"}] x").rfind("s.json: invalid JSON: ", 0) == 0);
  CHECK(err("[{\"name\": \"a\"} {\"name\": \"b\"}]").rfind("s.json: invalid JSON: ", 0) == 0);
  CHECK(err("[{\"name\": \"a\"}, tru]").rfind("s.json: invalid JSON: ", 0) == 0);
  CHECK(err("{\"frames\": [], \"frames\": [{\"name\": 1}]}") ==
        "(no error)");  // the first "frames", as simdjson
  CHECK(err(R"({"config": {"categories": [{"name": "car"}]}})", {}) ==
        "s.json: (document): expected a list of frames or an object with \"frames\"");
}
