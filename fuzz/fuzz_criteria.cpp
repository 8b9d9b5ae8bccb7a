// libFuzzer target: a reviewer's criteria file (io/criteria_json.hpp), resolved, measured and judged against
// a fixed audit, then the whole evidence pack built from it (report/evidence.hpp: JSON, Markdown and HTML,
// with whatever names and notes the file holds). Every input must either give a pack or throw
// stratum::input_error: any other exception, a crash, a hang or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <stratum/audit/audit.hpp>
#include <stratum/audit/errors.hpp>
#include <stratum/audit/findings.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/io/criteria_json.hpp>
#include <stratum/report/evidence.hpp>

namespace {
struct fixed {
  stratum::coco::ground_truth gt;
  stratum::coco::detection_set dt;
  stratum::audit::audit_result r;
  std::vector<stratum::audit::findings> found;
  std::vector<stratum::audit::operating_errors> errs;
};
const fixed& fixed_audit() {
  static const fixed f = [] {
    fixed x;
    x.gt = stratum::io::parse_coco_ground_truth(
        simdjson::padded_string(std::string(
            R"({"images": [{"id": 1, "width": 640, "height": 480, "attributes": {"weather": "rain", "timeofday": "day"}},)"
            R"({"id": 2, "attributes": {"weather": "clear", "timeofday": "night"}, "provenance": "synthetic"}],)"
            R"("categories": [{"id": 1, "name": "person"}, {"id": 3, "name": "car"}],)"
            R"("annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 30, 40], "area": 1200}]})")),
        "gt.json");
    x.dt = stratum::io::parse_coco_results(
        simdjson::padded_string(
            std::string(R"([{"image_id": 1, "category_id": 1, "bbox": [2, 2, 30, 40], "score": 0.9},)"
                        R"({"image_id": 2, "category_id": 3, "bbox": [5, 5, 10, 10], "score": 0.6}])")),
        "dt.json", x.gt);
    x.r = stratum::audit::run_audit(x.gt, x.dt, {}, {{{"weather"}}, {{"weather", "timeofday"}}});
    x.found.push_back(stratum::audit::find(x.r, x.r.points[0], 0.05));
    x.errs.push_back(stratum::audit::errors(x.r, x.r.points[0]));
    return x;
  }();
  return f;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const simdjson::padded_string json(reinterpret_cast<const char*>(data), size);
  try {
    const auto cs = stratum::io::parse_criteria(json, "criteria.json");
    const auto& f = fixed_audit();
    stratum::report::evidence_inputs in;
    in.r = &f.r, in.found = &f.found, in.errors = &f.errs, in.criteria = &cs;
    in.inputs.push_back({"ground truth", "gt.json", 1, {}});
    const auto pack = stratum::report::build_evidence(in);
    if (pack.json.empty() || pack.html.empty() || pack.markdown.empty()) __builtin_trap();
    if (pack.pass + pack.fail + pack.inconclusive != cs.criteria.size()) __builtin_trap();
  } catch (const stratum::input_error&) {
  }
  return 0;
}
