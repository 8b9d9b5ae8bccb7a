// libFuzzer target: the COCO JSON adapters (ground truth, results against a fixed ground truth, parameters).
// The first byte picks the reader. Every input must either parse or throw stratum::input_error: any other
// exception, a crash, a hang or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include <stratum/io/coco_json.hpp>

namespace {
const stratum::coco::ground_truth& fixed_gt() {
  static const auto gt = stratum::io::parse_coco_ground_truth(
      simdjson::padded_string(std::string(
          R"({"images": [{"id": 1, "width": 640, "height": 480}, {"id": 2}], "categories": [{"id": 1}, {"id": 3}],)"
          R"("annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 30, 40], "area": 1200}]})")),
      "gt.json");
  return gt;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const simdjson::padded_string json(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 3) {
      case 0: {
        const auto gt = stratum::io::parse_coco_ground_truth(json, "gt.json");
        (void)gt.size();
        break;
      }
      case 1: {
        const auto dt = stratum::io::parse_coco_results(json, "dt.json", fixed_gt());
        (void)dt.size();
        break;
      }
      default: {
        const auto p = stratum::io::parse_coco_params(json, "params.json");
        (void)p.iou_thrs.size();
      }
    }
  } catch (const stratum::input_error&) {
  }
  return 0;
}
