// Calibration of object detectors.
//
// D-ECE (Küppers, Kronenberger, Shantia, Haselhoff 2020, "Multivariate confidence calibration for object
// detection", CVPR workshops): detections are binned jointly over confidence and a subset of the box
// features (centre cx, cy and size w, h, normalised by the image size to [0, 1]); the target of a detection
// is 1 if it is a true positive (matched at the evaluation's IoU threshold), else 0; then
//     D-ECE = sum_b (n_b / N) |prec_b - conf_b|,   prec_b = fraction of true positives in bin b,
// i.e. the ECE of calibration_bins with one equal-width axis per dimension (bin rule: bins.hpp; netcal bins
// left-closed instead, see there). Confidence-only D-ECE is the case without features.
//
// LaECE (Oksuz, Joy, Dokania 2023, "Towards building self-aware object detectors via reliable uncertainty
// quantification and calibration", CVPR): per class c, equal-width bins on confidence (25 in the paper), and
//     LaECE_c = sum_b (n_b / N_c) |conf_b - prec_b * IoU_b|,
// prec_b the fraction of true positives in bin b and IoU_b the mean IoU of those true positives; since
// prec_b * IoU_b = (sum over the bin's true positives of IoU) / n_b, this is the ECE of class c with the
// target tp * IoU per detection. LaECE = mean of LaECE_c over the classes with at least one detection (the
// reference code skips classes without detections).
//
// Detections enter as calibration_detection records; the matching (which detections are true positives, and
// their IoUs) is the evaluator's. Values outside [0, 1] (NaN included) are rejected with
// std::invalid_argument naming the record index and field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "calibration.hpp"

namespace stratum::calibration {

/// One detection, as calibration sees it.
struct calibration_detection {
  std::int64_t category = 0;
  double confidence = 0;
  bool true_positive = false;
  double iou = 0;     ///< IoU with the matched ground truth (used only when true_positive)
  double cx = 0;      ///< box centre x / image width
  double cy = 0;      ///< box centre y / image height
  double width = 0;   ///< box width / image width
  double height = 0;  ///< box height / image height
};

/// The box features D-ECE can bin over.
enum class box_feature { cx, cy, width, height };

namespace detail {
[[nodiscard]] inline double feature_value(const calibration_detection& d, box_feature f) noexcept {
  switch (f) {
    case box_feature::cx:
      return d.cx;
    case box_feature::cy:
      return d.cy;
    case box_feature::width:
      return d.width;
    case box_feature::height:
      return d.height;
  }
  return 0;
}
[[nodiscard]] inline const char* feature_name(box_feature f) noexcept {
  switch (f) {
    case box_feature::cx:
      return "cx";
    case box_feature::cy:
      return "cy";
    case box_feature::width:
      return "width";
    case box_feature::height:
      return "height";
  }
  return "?";
}
}  // namespace detail

/// An empty D-ECE state: `confidence_bins` equal-width bins on confidence and `feature_bins` equal-width bins
/// on each listed feature (in the order given).
[[nodiscard]] inline calibration_bins dece_bins(std::size_t confidence_bins = 20,
                                                std::span<const box_feature> features = {},
                                                std::size_t feature_bins = 5) {
  std::vector<bin_edges> axes{bin_edges::equal_width(confidence_bins)};
  for (std::size_t f = 0; f < features.size(); ++f) axes.push_back(bin_edges::equal_width(feature_bins));
  return calibration_bins(std::move(axes));
}

/// Adds a detection to a D-ECE state built by dece_bins with the same `features`.
inline void add_dece(calibration_bins& s, const calibration_detection& d,
                     std::span<const box_feature> features, std::uint64_t record = 0) {
  double v[4];
  if (features.size() > 4) throw ::stratum::usage_error("add_dece: at most 4 box features");
  for (std::size_t f = 0; f < features.size(); ++f) {
    v[f] = detail::feature_value(d, features[f]);
    detail::check_unit(v[f], "add_dece: record " + std::to_string(record), detail::feature_name(features[f]));
  }
  s.add(d.confidence, d.true_positive ? 1.0 : 0.0, std::span<const double>(v, features.size()), record);
}

/// D-ECE of a set of detections (all classes together, as Küppers et al.). Throws std::invalid_argument on an
/// empty input or a bad record.
[[nodiscard]] inline double d_ece(std::span<const calibration_detection> detections,
                                  std::span<const box_feature> features = {},
                                  std::size_t confidence_bins = 20, std::size_t feature_bins = 5) {
  if (detections.empty()) throw ::stratum::usage_error("d_ece: no detections (empty input)");
  auto s = dece_bins(confidence_bins, features, feature_bins);
  for (std::size_t i = 0; i < detections.size(); ++i) add_dece(s, detections[i], features, i);
  return ece(s);
}

/// An empty LaECE state: per class, `bins` equal-width confidence bins (25 in Oksuz et al.).
[[nodiscard]] inline class_calibration_bins laece_bins(std::size_t bins = 25) {
  return class_calibration_bins({bin_edges::equal_width(bins)});
}

/// Adds a detection to a LaECE state: target tp * IoU in its class.
inline void add_laece(class_calibration_bins& s, const calibration_detection& d, std::uint64_t record = 0) {
  detail::check_unit(d.iou, "add_laece: record " + std::to_string(record), "iou");
  s.add(d.category, d.confidence, d.true_positive ? d.iou : 0.0, {}, record);
}

/// LaECE: the mean over classes with detections of the per-class ECE with target tp * IoU. Throws
/// std::domain_error when no class has detections.
[[nodiscard]] inline double laece(const class_calibration_bins& s) {
  double sum = 0;
  std::size_t classes = 0;
  for (const auto& [c, bins] : s.classes()) {
    if (bins.count() == 0) continue;
    sum += ece(bins);
    ++classes;
  }
  if (classes == 0) throw std::domain_error("laece: no detections in any class");
  return sum / static_cast<double>(classes);
}

/// Per-class LaECE values (class id -> LaECE_c) for classes with detections.
[[nodiscard]] inline std::vector<std::pair<std::int64_t, double>> laece_per_class(
    const class_calibration_bins& s) {
  std::vector<std::pair<std::int64_t, double>> out;
  for (const auto& [c, bins] : s.classes())
    if (bins.count() != 0) out.emplace_back(c, ece(bins));
  return out;
}

[[nodiscard]] inline double laece(std::span<const calibration_detection> detections, std::size_t bins = 25) {
  if (detections.empty()) throw ::stratum::usage_error("laece: no detections (empty input)");
  auto s = laece_bins(bins);
  for (std::size_t i = 0; i < detections.size(); ++i) add_laece(s, detections[i], i);
  return laece(s);
}

}  // namespace stratum::calibration
