// Bad input to the COCO JSON adapter: a clear error naming the file, the record and the field, never a crash
// or a silently wrong number.
#include <doctest/doctest.h>

#include <string>

#include <stratum/io/coco_json.hpp>

using namespace stratum;

namespace {

const char* const kGt = R"({"images": [{"id": 1, "width": 100, "height": 100}, {"id": 2}],
  "categories": [{"id": 1, "name": "car"}, {"id": 5, "name": "person"}],
  "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12, "iscrowd": 0}]})";

std::string gt_error(const std::string& json) {
  try {
    (void)io::parse_coco_ground_truth(simdjson::padded_string(json), "gt.json");
  } catch (const input_error& e) {
    return e.what();
  }
  return "no error";
}

std::string dt_error(const std::string& json) {
  const auto gt = io::parse_coco_ground_truth(simdjson::padded_string(std::string(kGt)), "gt.json");
  try {
    (void)io::parse_coco_results(simdjson::padded_string(json), "dt.json", gt);
  } catch (const input_error& e) {
    return e.what();
  }
  return "no error";
}

std::string ann(const std::string& fields) {
  return R"({"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1,
    "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12}, {)" + fields + "}]}";
}

}  // namespace

TEST_CASE("valid files parse") {
  const auto gt = io::parse_coco_ground_truth(simdjson::padded_string(std::string(kGt)), "gt.json");
  CHECK(gt.images.size() == 2);
  CHECK(gt.size() == 1);
  CHECK(gt.area[0] == 12);
  const auto dt = io::parse_coco_results(
      simdjson::padded_string(std::string(R"([{"image_id": 2, "category_id": 5, "bbox": [0.5, 1, 2, 3], "score": 1}])")),
      "dt.json", gt);
  CHECK(dt.size() == 1);
  CHECK(dt.w[0] == 2);
}

TEST_CASE("malformed and truncated JSON") {
  CHECK(gt_error("{\"images\": [").find("gt.json: invalid JSON") == 0);
  CHECK(gt_error("").find("gt.json: invalid JSON") == 0);
  CHECK(dt_error("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": 0.5}").find("dt.json: invalid JSON") == 0);
  CHECK(gt_error("[]") == "gt.json: (document): expected an object");
  CHECK(dt_error("{}") == "dt.json: (document): expected a JSON array of detections");
}

TEST_CASE("missing required fields") {
  CHECK(gt_error(R"({"categories": []})") == "gt.json: images: missing field");
  CHECK(gt_error(R"({"images": []})") == "gt.json: categories: missing field");
  CHECK(gt_error(R"({"images": [{"width": 3}], "categories": []})") == "gt.json: images[0].id: missing field");
  CHECK(gt_error(ann(R"("id": 2, "image_id": 1, "category_id": 1, "area": 3)")) == "gt.json: annotations[1].bbox: missing field");
  CHECK(gt_error(ann(R"("id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4])")) ==
        "gt.json: annotations[1].area: missing field");
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}])") == "dt.json: [0].score: missing field");
  CHECK(dt_error(R"([{"image_id": 1, "bbox": [1, 2, 3, 4], "score": 0.3}])") == "dt.json: [0].category_id: missing field");
}

TEST_CASE("non-finite, negative and ill-typed values") {
  // JSON has no NaN literal; simdjson rejects it as invalid JSON, which is what we want to report
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, NaN, 4], "score": 0.3}])").find("dt.json: invalid JSON") == 0);
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 1e999, 4], "score": 0.3}])").find("dt.json: invalid JSON") == 0);
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, -3, 4], "score": 0.3}])") ==
        "dt.json: [0].bbox[2]: negative width -3.000000");
  CHECK(gt_error(ann(R"("id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, -4], "area": 3)")) ==
        "gt.json: annotations[1].bbox[3]: negative height -4.000000");
  CHECK(gt_error(ann(R"("id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": -3)")) ==
        "gt.json: annotations[1].area: negative area");
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "score": 0.3}])") ==
        "dt.json: [0].bbox: expected an array of 4 numbers [x, y, w, h]");
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, "2", 3, 4], "score": 0.3}])") ==
        "dt.json: [0].bbox[1]: expected a number");
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": "high"}])") ==
        "dt.json: [0].score: expected a number");
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1.5}])") ==
        "dt.json: [0].score: score 1.500000 is outside [0, 1]");
  CHECK(dt_error(R"([{"image_id": 1.5, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}])") ==
        "dt.json: [0].image_id: expected an integer");
  CHECK(gt_error(ann(R"("id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 3, "iscrowd": 2)")) ==
        "gt.json: annotations[1].iscrowd: expected 0 or 1");
}

TEST_CASE("unknown references and duplicates") {
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.3},
                     {"image_id": 7, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.3}])") ==
        "dt.json: [1].image_id: image 7 is not in the ground truth");
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.3}])") ==
        "dt.json: [0].category_id: category 3 is not in the ground truth's categories");
  CHECK(gt_error(ann(R"("id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 3)")) ==
        "gt.json: annotations[1].id: duplicate annotation id 1");
  CHECK(gt_error(ann(R"("id": 2, "image_id": 9, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 3)")) ==
        "gt.json: annotations[1].image_id: image 9 is not in images");
  CHECK(gt_error(ann(R"("id": 2, "image_id": 1, "category_id": 4, "bbox": [1, 2, 3, 4], "area": 3)")) ==
        "gt.json: annotations[1].category_id: category 4 is not in categories");
  CHECK(gt_error(R"({"images": [{"id": 1}, {"id": 1}], "categories": []})") == "gt.json: images[1].id: duplicate image id 1");
  CHECK(gt_error(R"({"images": [], "categories": [{"id": 1}, {"id": 1}]})") ==
        "gt.json: categories[1].id: duplicate category id 1");
  CHECK(gt_error(R"({"images": [{"id": 1, "attributes": {"weather": 3}}], "categories": []})") ==
        "gt.json: images[0].attributes.weather: expected a string");
}

TEST_CASE("missing file") {
  CHECK_THROWS_WITH_AS((void)io::load_coco_ground_truth("/nonexistent/gt.json"),
                       doctest::Contains("/nonexistent/gt.json: cannot read file"), input_error);
}
