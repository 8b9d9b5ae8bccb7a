// What the audit tests share: a conformance case's COCO files by name (a directory of
// ../shared/conformance/coco, or bdd100k_val200 from ../shared/data), as the operating references name them.
#pragma once

#include <filesystem>
#include <string>

#include <stratum/coco/dataset.hpp>
#include <stratum/coco/params.hpp>
#include <stratum/io/coco_json.hpp>

namespace stratum_test {

struct audit_source {
  stratum::coco::ground_truth gt;
  stratum::coco::detection_set dt;
  stratum::coco::params p;
};

inline audit_source load_audit_source(const std::string& name) {
  namespace fs = std::filesystem;
  namespace io = stratum::io;
  audit_source s;
  if (name == "bdd100k_val200") {
    const fs::path d = STRATUM_SHARED_DIR "/data/bdd100k_val200";
    s.gt = io::load_coco_ground_truth((d / "gt_coco.json").string());
    s.dt = io::load_coco_results((d / "dt_synthetic_seed20240601.json").string(), s.gt);
    return s;
  }
  const fs::path d = fs::path(STRATUM_SHARED_DIR "/conformance/coco") / name;
  s.gt = io::load_coco_ground_truth((d / "gt.json").string());
  s.dt = io::load_coco_results((d / "dt.json").string(), s.gt);
  if (fs::exists(d / "params.json")) s.p = io::load_coco_params((d / "params.json").string());
  return s;
}

}  // namespace stratum_test
