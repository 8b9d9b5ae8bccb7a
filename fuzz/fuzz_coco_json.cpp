// libFuzzer target: the JSON adapters (COCO ground truth, results against a fixed ground truth, parameters;
// a production mix, validated against and applied to an audit of the fixed ground truth; BDD100K/Scalabel
// ground truth, written back and read again, and predictions; format recognition). The first byte picks the
// reader. Every input must either parse or throw stratum::input_error: any other
// exception, a crash, a hang or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include <stratum/audit/audit.hpp>
#include <stratum/audit/production.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/io/label_formats.hpp>
#include <stratum/io/production_json.hpp>

namespace {
const stratum::coco::ground_truth& fixed_gt() {
  static const auto gt = stratum::io::parse_coco_ground_truth(
      simdjson::padded_string(std::string(
          R"({"images": [{"id": 1, "width": 640, "height": 480, "attributes": {"weather": "rain", "timeofday": "day"}},)"
          R"({"id": 2, "attributes": {"weather": "clear", "timeofday": "day"}}], "categories": [{"id": 1}, {"id": 3}],)"
          R"("annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 30, 40], "area": 1200}]})")),
      "gt.json");
  return gt;
}
const stratum::audit::audit_result& fixed_audit() {
  static const auto r = stratum::audit::run_audit(fixed_gt(), {}, {}, {});
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const simdjson::padded_string json(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 8) {
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
      case 2: {
        const auto p = stratum::io::parse_coco_params(json, "params.json");
        (void)p.iou_thrs.size();
        break;
      }
      case 4: {  // Scalabel ground truth with its own categories or a class list; written back, read again
        const auto gt = stratum::io::parse_scalabel_ground_truth(
            json, "s.json",
            (data[0] & 8) ? std::vector<std::string>{"car", "person"} : std::vector<std::string>{});
        std::string text;
        stratum::io::append_scalabel(text, gt, nullptr);
        const auto back = stratum::io::parse_scalabel_ground_truth(simdjson::padded_string(text), "rt.json");
        if (back.size() != gt.size() || back.images.size() != gt.images.size() || back.crowd != gt.crowd ||
            back.category_id != gt.category_id || back.x != gt.x || back.y != gt.y)
          __builtin_trap();  // what the writer writes reads back
        break;
      }
      case 5: {
        static const auto sgt = stratum::io::parse_scalabel_ground_truth(
            simdjson::padded_string(std::string(
                R"([{"name": "a.jpg", "labels": [{"category": "car", "box2d": {"x1": 1, "y1": 2, "x2": 3, "y2": 4}}]},)"
                R"({"name": "b", "url": "u/b"}])")),
            "gt.json", {"car", "person"});
        std::optional<stratum::coco::detection_set> whole;
        try {
          whole = stratum::io::parse_scalabel_results(json, "p.json", sgt, false);
        } catch (const stratum::input_error&) {
        }
        std::optional<stratum::coco::detection_set> split;
        try {
          split = stratum::io::parse_scalabel_results(json, "p.json", sgt);
        } catch (const stratum::input_error&) {
        }
        if (whole.has_value() != split.has_value() ||
            (split &&
             (whole->score != split->score || whole->x != split->x || whole->image_id != split->image_id)))
          __builtin_trap();  // frame by frame or the whole document: the same detections, or both refuse
        break;
      }
      case 6: {
        (void)stratum::io::detect_json_format(std::string_view(json.data(), json.size()), "f.json",
                                              (data[0] & 8) != 0);
        break;
      }
      default: {
        const auto mix = stratum::io::parse_production_mix(json, "mix.json");
        stratum::audit::validate(mix, fixed_audit(), "mix.json");
        const auto est = stratum::audit::estimate_production(fixed_audit(), fixed_audit().points.at(0), mix);
        (void)est.miss_rate.measured_share;
      }
    }
  } catch (const stratum::input_error&) {
  }
  return 0;
}
