// Boxes. The canonical form is COCO's [x, y, w, h] in absolute pixels (top-left corner, width, height), the
// form the reference evaluator (pycocotools) computes IoU on. Adapters convert other encodings with the
// functions below; the conversions are exact wherever the arithmetic allows (xywh is stored as given).
#pragma once

#include <cmath>

namespace stratum {

struct box {
  double x = 0, y = 0, w = 0, h = 0;

  [[nodiscard]] double area() const noexcept { return w * h; }
  [[nodiscard]] bool finite() const noexcept {
    return std::isfinite(x) && std::isfinite(y) && std::isfinite(w) && std::isfinite(h);
  }
  friend bool operator==(const box&, const box&) = default;

  /// From corners [x1, y1, x2, y2].
  [[nodiscard]] static box from_xyxy(double x1, double y1, double x2, double y2) noexcept {
    return {x1, y1, x2 - x1, y2 - y1};
  }
  /// From centre and size [cx, cy, w, h].
  [[nodiscard]] static box from_cxcywh(double cx, double cy, double w, double h) noexcept {
    return {cx - w / 2, cy - h / 2, w, h};
  }
  /// From [x, y, w, h] normalised to the image size.
  [[nodiscard]] static box from_normalized_xywh(double x, double y, double w, double h, double image_w,
                                                double image_h) noexcept {
    return {x * image_w, y * image_h, w * image_w, h * image_h};
  }
};

}  // namespace stratum
