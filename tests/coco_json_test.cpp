// Bad input to the COCO JSON adapter: a clear error naming the file, the record and the field, never a crash
// or a silently wrong number.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
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
    "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12}, {)" +
         fields + "}]}";
}

}  // namespace

TEST_CASE("valid files parse") {
  const auto gt = io::parse_coco_ground_truth(simdjson::padded_string(std::string(kGt)), "gt.json");
  CHECK(gt.images.size() == 2);
  CHECK(gt.size() == 1);
  CHECK(gt.area[0] == 12);
  const auto dt = io::parse_coco_results(
      simdjson::padded_string(
          std::string(R"([{"image_id": 2, "category_id": 5, "bbox": [0.5, 1, 2, 3], "score": 1}])")),
      "dt.json", gt);
  CHECK(dt.size() == 1);
  CHECK(dt.w[0] == 2);
}

TEST_CASE("malformed and truncated JSON") {
  CHECK(gt_error("{\"images\": [").find("gt.json: invalid JSON") == 0);
  CHECK(gt_error("").find("gt.json: invalid JSON") == 0);
  CHECK(dt_error("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": 0.5}")
            .find("dt.json: invalid JSON") == 0);
  CHECK(gt_error("[]") == "gt.json: (document): expected an object");
  CHECK(dt_error("{}") == "dt.json: (document): expected a JSON array of detections");
}

TEST_CASE("missing required fields") {
  CHECK(gt_error(R"({"categories": []})") == "gt.json: images: missing field");
  CHECK(gt_error(R"({"images": []})") == "gt.json: categories: missing field");
  CHECK(gt_error(R"({"images": [{"width": 3}], "categories": []})") ==
        "gt.json: images[0].id: missing field");
  CHECK(gt_error(ann(R"("id": 2, "image_id": 1, "category_id": 1, "area": 3)")) ==
        "gt.json: annotations[1].bbox: missing field");
  CHECK(gt_error(ann(R"("id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4])")) ==
        "gt.json: annotations[1].area: missing field");
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}])") ==
        "dt.json: [0].score: missing field");
  CHECK(dt_error(R"([{"image_id": 1, "bbox": [1, 2, 3, 4], "score": 0.3}])") ==
        "dt.json: [0].category_id: missing field");
}

TEST_CASE("non-finite, negative and ill-typed values") {
  // JSON has no NaN literal; simdjson rejects it as invalid JSON, which is what we want to report
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, NaN, 4], "score": 0.3}])")
            .find("dt.json: invalid JSON") == 0);
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 1e999, 4], "score": 0.3}])")
            .find("dt.json: invalid JSON") == 0);
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
  // Any finite score is accepted (pycocotools only ranks by it): 1.5, a logit, a 0-100 scale.
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1.5}])") == "no error");
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": -7.25}])") ==
        "no error");
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 87}])") == "no error");
  // Not a finite number: JSON has no NaN or infinity, and a number beyond the double range is refused.
  CHECK(dt_error(R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1e999}])")
            .find("invalid JSON") != std::string::npos);
  CHECK(dt_error(R"([{"image_id": 1.5, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}])") ==
        "dt.json: [0].image_id: expected an integer");
  CHECK(gt_error(ann(
            R"("id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 3, "iscrowd": 2)")) ==
        "gt.json: annotations[1].iscrowd: expected 0 or 1");
}

TEST_CASE("a ground truth without annotations has none (found by fuzzing: the missing array was read)") {
  const auto gt = io::parse_coco_ground_truth(
      simdjson::padded_string(
          std::string(R"({"images": [{"id": 1}, {"id": 2}], "categories": [{"id": 1}]})")),
      "gt.json");
  CHECK(gt.size() == 0);
  CHECK(gt.images.size() == 2);
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
  CHECK(gt_error(R"({"images": [{"id": 1}, {"id": 1}], "categories": []})") ==
        "gt.json: images[1].id: duplicate image id 1");
  CHECK(gt_error(R"({"images": [], "categories": [{"id": 1}, {"id": 1}]})") ==
        "gt.json: categories[1].id: duplicate category id 1");
  CHECK(gt_error(R"({"images": [{"id": 1, "attributes": {"weather": 3}}], "categories": []})") ==
        "gt.json: images[0].attributes.weather: expected a string");
}

TEST_CASE("missing file") {
  CHECK_THROWS_WITH_AS((void)io::load_coco_ground_truth("/nonexistent/gt.json"),
                       doctest::Contains("/nonexistent/gt.json: cannot read file"), input_error);
}

TEST_CASE("block-wise reading of results files equals one parse, errors keep their record index") {
  namespace fs = std::filesystem;
  std::size_t files = 0;
  for (const auto& d : fs::directory_iterator(STRATUM_TEST_DATA_DIR "/coco")) {
    const auto gt = io::load_coco_ground_truth((d.path() / "gt.json").string());
    const auto path = (d.path() / "dt.json").string();
    const auto whole = io::parse_coco_results(simdjson::padded_string::load(path).value(), path, gt);
    for (std::size_t block : {64, 333, 4096, 1 << 20}) {
      const auto dt = io::load_coco_results(path, gt, block);
      INFO(path, " block ", block);
      CHECK(dt.score == whole.score);
      CHECK(dt.x == whole.x);
      CHECK(dt.h == whole.h);
      CHECK(dt.image_id == whole.image_id);
      CHECK(dt.category_id == whole.category_id);
    }
    ++files;
  }
  CHECK(files >= 11);

  // a bad record deep in a pretty-printed file: the error names it, whatever the block size
  const auto gt = io::parse_coco_ground_truth(simdjson::padded_string(std::string(kGt)), "gt.json");
  const auto tmp = (fs::temp_directory_path() / "stratum_block_test.json").string();
  for (const char* bad : {R"("score": "7")", R"("score": 0.5, "bbox": [1, 2, -3, 4])", R"("score": 0.5}})"}) {
    std::string text = "[\n";
    for (int i = 0; i < 2000; ++i) {
      text +=
          std::string(i ? ",\n" : "") + "  {\"image_id\": 1, \"category_id\": 5, \"bbox\": [1, 2, 3, 4], ";
      text += i == 1234 ? bad : R"("score": 0.5)";
      text += "}";
    }
    text += "\n]\n";
    {
      std::ofstream out(tmp);
      out << text;
    }
    for (std::size_t block : {64, 1000, 1 << 20}) {
      try {
        (void)io::load_coco_results(tmp, gt, block);
        FAIL("no error for ", bad);
      } catch (const input_error& e) {
        const std::string msg = e.what();
        INFO(msg);
        CHECK((msg.find("[1234]") != std::string::npos || msg.find("invalid JSON") != std::string::npos));
      }
    }
  }
  // a truncated file
  {
    std::ofstream out(tmp);
    out << "[{\"image_id\": 1, \"category_id\": 5, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}, {\"image_id\": "
           "1, ";
  }
  CHECK_THROWS_WITH_AS((void)io::load_coco_results(tmp, gt, 64), doctest::Contains("invalid JSON"),
                       input_error);
  fs::remove(tmp);
}
