// What the audit tests share: a conformance case's COCO files by name (a directory of
// ../shared/conformance/coco, or bdd100k_val200 from ../shared/data), as the operating references name them.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <simdjson.h>

#include <stratum/coco/dataset.hpp>
#include <stratum/coco/params.hpp>
#include <stratum/coco/slices.hpp>
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

/// Calls fn(name, dir) for every case folder of ../shared/conformance/operating (bdd100k_val200 only when its
/// data is there); returns how many.
template <class Fn>
std::size_t for_each_operating_case(Fn&& fn) {
  namespace fs = std::filesystem;
  const fs::path root = STRATUM_SHARED_DIR "/conformance/operating";
  std::size_t n = 0;
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    const std::string name = dir.path().filename().string();
    if (name == "bdd100k_val200" && !fs::exists(STRATUM_SHARED_DIR "/data/bdd100k_val200/gt_coco.json"))
      continue;
    fn(name, dir.path());
    ++n;
  }
  return n;
}

/// The slicings an operating-point reference uses, from its slice names: single keys, then joint cells, in
/// order of appearance.
inline std::vector<stratum::coco::slice_spec> reference_specs(simdjson::dom::object slices) {
  std::vector<stratum::coco::slice_spec> single, joint;
  for (auto [name, _] : slices) {
    std::vector<std::string> keys;
    const std::string n(name);
    for (std::size_t start = 0;;) {
      const auto amp = n.find('&', start);
      const auto part = n.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      keys.push_back(part.substr(0, part.find('=')));
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
    auto& into = keys.size() == 1 ? single : joint;
    if (std::none_of(into.begin(), into.end(),
                     [&](const stratum::coco::slice_spec& s) { return s.keys == keys; }))
      into.push_back({keys});
  }
  single.insert(single.end(), joint.begin(), joint.end());
  return single;
}

/// How the references name category index k: its id, or "all" for use_cats = 0.
inline std::string reference_key(const stratum::coco::resolved_params& p, std::size_t k) {
  return p->use_cats ? std::to_string(p->cat_ids[k]) : "all";
}

}  // namespace stratum_test
