// Box IoU exactly as pycocotools computes it for iouType='bbox' (maskApi.c, bbIou):
//
//   w = min(dx + dw, gx + gw) - max(dx, gx);  h = min(dy + dh, gy + gh) - max(dy, gy)
//   IoU = 0 if w <= 0 or h <= 0, else  i / u  with  i = w * h  and
//   u = dw * dh                      for a crowd ground truth (the detection's own area), else
//   u = (dw * dh + gw * gh) - i      (each product and sum rounded to double separately).
//
// The batch kernel uses xsimd over the ground truths of one frame and category and gives the same bits as the
// scalar path: every operation is a correctly rounded IEEE-754 double operation in the same order, and
// stratum::detail::fp_barrier stops the compiler from fusing the products into FMAs under -ffp-contract=fast.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "../detail/fp_barrier.hpp"

namespace stratum::coco {

/// Scalar IoU of detection box d and ground-truth box g ([x, y, w, h]), the reference formula.
[[nodiscard]] inline double bbox_iou(const double* d, const double* g, bool crowd) noexcept {
  double w = std::min(d[2] + d[0], g[2] + g[0]) - std::max(d[0], g[0]);
  if (w <= 0) return 0;
  double h = std::min(d[3] + d[1], g[3] + g[1]) - std::max(d[1], g[1]);
  if (h <= 0) return 0;
  double i = w * h;
  stratum::detail::fp_barrier(i);
  double da = d[2] * d[3];
  stratum::detail::fp_barrier(da);
  if (crowd) return i / da;
  double ga = g[2] * g[3];
  stratum::detail::fp_barrier(ga);
  return i / (da + ga - i);
}

/// Ground truths of one frame and category in structure-of-arrays form, with the derived quantities the
/// kernel needs, computed once and reused for every detection.
class gt_boxes {
 public:
  void assign(std::size_t n, const double* x, const double* y, const double* w, const double* h,
              const unsigned char* crowd) {
    n_ = n;
    for (auto* v : {&x_, &y_, &x2_, &y2_, &area_, &crowd_}) v->resize(n);
    for (std::size_t g = 0; g < n; ++g) {
      x_[g] = x[g];
      y_[g] = y[g];
      x2_[g] = w[g] + x[g];
      y2_[g] = h[g] + y[g];
      double a = w[g] * h[g];
      stratum::detail::fp_barrier(a);
      area_[g] = a;
      crowd_[g] = crowd[g] ? 1.0 : 0.0;
    }
  }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }

  /// out[g] = IoU(detection [dx, dy, dw, dh], ground truth g) for every g.
  void iou_row(double dx, double dy, double dw, double dh, double* out) const noexcept {
    const double dx2 = dw + dx, dy2 = dh + dy;
    double da = dw * dh;
    stratum::detail::fp_barrier(da);
    std::size_t g = 0;
    using batch = xsimd::batch<double>;
    constexpr std::size_t N = batch::size;
    if constexpr (N > 1) {
      const batch bdx(dx), bdy(dy), bdx2(dx2), bdy2(dy2), bda(da), zero(0.0);
      for (; g + N <= n_; g += N) {
        batch w =
            xsimd::min(bdx2, batch::load_unaligned(&x2_[g])) - xsimd::max(bdx, batch::load_unaligned(&x_[g]));
        batch h =
            xsimd::min(bdy2, batch::load_unaligned(&y2_[g])) - xsimd::max(bdy, batch::load_unaligned(&y_[g]));
        batch i = w * h;
        barrier(i);
        batch s = bda + batch::load_unaligned(&area_[g]);
        batch u = xsimd::select(batch::load_unaligned(&crowd_[g]) != zero, bda, s - i);
        batch o = xsimd::select((w > zero) & (h > zero), i / u, zero);
        o.store_unaligned(out + g);
      }
    }
    for (; g < n_; ++g) {
      double w = std::min(dx2, x2_[g]) - std::max(dx, x_[g]);
      double h = std::min(dy2, y2_[g]) - std::max(dy, y_[g]);
      if (w <= 0 || h <= 0) {
        out[g] = 0;
        continue;
      }
      double i = w * h;
      stratum::detail::fp_barrier(i);
      out[g] = i / (crowd_[g] != 0 ? da : da + area_[g] - i);
    }
  }

 private:
  template <class B>
  static void barrier(B& b) noexcept {
    auto r = static_cast<typename B::register_type>(b);
    stratum::detail::fp_barrier(r);
    b = B(r);
  }

  std::size_t n_ = 0;
  std::vector<double> x_, y_, x2_, y2_, area_, crowd_;
};

}  // namespace stratum::coco
