// The pipeline's unit of input: one frame (image) with its scene attributes, provenance, size, ground truths,
// detections and optional embedding. Adapters (io/) produce frames; the evaluators (coco/, audit/) consume
// them. Plain data: structure of arrays, in input order (the order breaks score ties, as in pycocotools).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stratum {

/// Scene attributes of a frame (key -> value, e.g. weather -> rain), in input order.
using attributes = std::vector<std::pair<std::string, std::string>>;

/// Bits of a ground truth's `flags`. Only `ignored` changes the evaluation: the object is matched like any
/// other (by IoU, once) but counts neither way, and a detection matched to it is ignored, as pycocotools
/// treats an object outside the area range (Pascal VOC's rule for `difficult` objects). `difficult` and
/// `truncated` record what the label said.
namespace gt_flag {
inline constexpr unsigned char ignored = 1;
inline constexpr unsigned char difficult = 2;
inline constexpr unsigned char truncated = 4;
inline constexpr unsigned char all = 7;
}  // namespace gt_flag

/// Ground truths of one frame, structure of arrays, in input order. `flags` holds gt_flag bits, one entry per
/// ground truth like every other column (add() keeps them in step; the evaluators refuse a frame whose
/// columns differ in length).
struct frame_gts {
  std::vector<std::int64_t> id, category_id;
  std::vector<double> x, y, w, h, area;
  std::vector<unsigned char> crowd, flags;

  [[nodiscard]] std::size_t size() const noexcept { return id.size(); }
  void clear() noexcept {
    id.clear(), category_id.clear(), x.clear(), y.clear(), w.clear(), h.clear(), area.clear(), crowd.clear();
    flags.clear();
  }
  void add(std::int64_t ann_id, std::int64_t cat, double bx, double by, double bw, double bh, double a,
           bool is_crowd, unsigned char gt_flags = 0) {
    id.push_back(ann_id);
    category_id.push_back(cat);
    x.push_back(bx), y.push_back(by), w.push_back(bw), h.push_back(bh), area.push_back(a);
    crowd.push_back(is_crowd ? 1 : 0);
    flags.push_back(gt_flags);
  }
  friend bool operator==(const frame_gts&, const frame_gts&) = default;
};

/// Detections of one frame, structure of arrays, in input order (the order breaks score ties).
struct frame_dts {
  std::vector<std::int64_t> category_id;
  std::vector<double> x, y, w, h, score;

  [[nodiscard]] std::size_t size() const noexcept { return category_id.size(); }
  void clear() noexcept { category_id.clear(), x.clear(), y.clear(), w.clear(), h.clear(), score.clear(); }
  void add(std::int64_t cat, double bx, double by, double bw, double bh, double s) {
    category_id.push_back(cat);
    x.push_back(bx), y.push_back(by), w.push_back(bw), h.push_back(bh), score.push_back(s);
  }
  friend bool operator==(const frame_dts&, const frame_dts&) = default;
};

/// One image: id, scene attributes, provenance, size, ground truths, detections, optional embedding.
struct frame {
  std::int64_t id = 0;
  attributes attrs;              // key -> value, input order
  std::string provenance;        // "real", "synthetic", "augmented" or empty when not given
  double width = 0, height = 0;  // 0 when not given
  frame_gts gt;
  frame_dts dt;
  std::vector<double> embedding;  // empty when not given

  /// Empties the frame, keeping the memory of its arrays.
  void clear() noexcept {
    id = 0;
    attrs.clear();
    provenance.clear();
    width = height = 0;
    gt.clear();
    dt.clear();
    embedding.clear();
  }
  /// The value of attribute `key`, or nullptr.
  [[nodiscard]] const std::string* attribute(std::string_view key) const noexcept {
    for (const auto& [k, v] : attrs)
      if (k == key) return &v;
    return nullptr;
  }
  friend bool operator==(const frame&, const frame&) = default;
};

}  // namespace stratum
