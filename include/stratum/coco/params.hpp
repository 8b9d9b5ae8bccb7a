// Evaluation parameters, as pycocotools' `Params` (cocodataset/cocoapi PythonAPI/pycocotools/cocoeval.py,
// iouType='bbox'), with the same defaults and the same doubles: the IoU and recall thresholds are built the
// way numpy.linspace builds them (start + i * step, the last one set to stop), so that for example the
// ninth IoU threshold is 0.8999999999999999 and not 0.9.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../detail/numpy.hpp"

namespace stratum::coco {

/// numpy.linspace to the bit (detail/numpy.hpp).
[[nodiscard]] inline std::vector<double> linspace(double start, double stop, std::size_t num) {
  return stratum::detail::numpy_linspace(start, stop, num);
}

struct area_range {
  double lo = 0, hi = 1e10;
  std::string label;
  friend bool operator==(const area_range&, const area_range&) = default;
};

struct params {
  /// IoU thresholds (T <= 64); default linspace(0.5, 0.95, 10).
  std::vector<double> iou_thrs = linspace(0.5, 0.95, 10);
  /// Recall thresholds; default linspace(0, 1, 101).
  std::vector<double> rec_thrs = linspace(0.0, 1.0, 101);
  /// Detections kept per image (and per category when use_cats), ascending; default 1, 10, 100.
  std::vector<int> max_dets = {1, 10, 100};
  /// Object area ranges (closed at both ends, on the ground truth's `area` field and the detection's w*h).
  std::vector<area_range> area_rngs = {
      {0, 1e10, "all"}, {0, 1024, "small"}, {1024, 9216, "medium"}, {9216, 1e10, "large"}};
  /// Match per category (true) or class-agnostically (false: every category pooled as one, id -1).
  bool use_cats = true;
  /// Images to evaluate; empty = every image of the ground truth.
  std::vector<std::int64_t> img_ids;
  /// Categories to evaluate; empty = every category of the ground truth.
  std::vector<std::int64_t> cat_ids;

  /// Throws usage_error when the parameters cannot be evaluated.
  void validate() const {
    if (iou_thrs.empty() || iou_thrs.size() > 64)
      throw usage_error("params.iou_thrs: need 1 to 64 thresholds");
    for (double t : iou_thrs)
      if (!(t >= 0 && t <= 1)) throw usage_error("params.iou_thrs: thresholds must be in [0, 1]");
    if (rec_thrs.empty()) throw usage_error("params.rec_thrs: need at least one recall threshold");
    for (std::size_t i = 0; i < rec_thrs.size(); ++i)
      if (!(rec_thrs[i] >= 0 && rec_thrs[i] <= 1) || (i && rec_thrs[i] < rec_thrs[i - 1]))
        throw usage_error("params.rec_thrs: thresholds must be ascending in [0, 1]");
    if (max_dets.empty()) throw usage_error("params.max_dets: need at least one value");
    for (std::size_t i = 0; i < max_dets.size(); ++i)
      if (max_dets[i] < 1 || (i && max_dets[i] < max_dets[i - 1]))
        throw usage_error("params.max_dets: values must be positive and ascending");
    if (area_rngs.empty()) throw usage_error("params.area_rngs: need at least one area range");
    for (const auto& a : area_rngs)
      if (!(a.lo <= a.hi)) throw usage_error("params.area_rngs: range '" + a.label + "' has lo > hi");
  }
};

}  // namespace stratum::coco
