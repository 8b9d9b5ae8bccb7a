// Isotonic (monotone increasing) regression of y on x by pool-adjacent-violators, and its prediction: the
// calibration map the label-free performance estimate applies to a window's scores (baseline/performance.hpp,
// docs/drift.md). Equal to scikit-learn 1.2.1's IsotonicRegression(increasing=True, out_of_bounds="clip"):
//
//   fit       equal x values are merged first (their y averaged with their weights, the weights summed), then
//             the weighted least-squares non-decreasing fit over the distinct x (pool adjacent violators:
//             a block that falls below its left neighbour merges with it into their weighted mean);
//   predict   linear interpolation between the fitted points (x_j, f_j), x clipped to [x_min, x_max].
//
// Reference: Barlow, Bartholomew, Bremner and Brunk (1972), Statistical Inference under Order Restrictions;
// Zadrozny and Elkan (2002), "Transforming classifier scores into accurate multiclass probability
// estimates", KDD (isotonic calibration).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "../core/error.hpp"

namespace stratum::stats {

/// A fitted non-decreasing step-and-ramp function: the distinct x (ascending) and the fitted values there.
class isotonic_fit {
 public:
  isotonic_fit() = default;

  /// Fits y on x with weights w (empty: all 1). usage_error on different lengths, no point, a non-finite
  /// x or y, or a weight that is not positive and finite.
  isotonic_fit(std::span<const double> x, std::span<const double> y, std::span<const double> w = {}) {
    const std::size_t n = x.size();
    if (y.size() != n || (!w.empty() && w.size() != n))
      throw usage_error("isotonic_fit: x, y and the weights differ in length");
    if (n == 0) throw usage_error("isotonic_fit: no point");
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(x[i]) || !std::isfinite(y[i]))
        throw usage_error("isotonic_fit: point " + std::to_string(i) + " is not finite");
      if (!w.empty() && !(w[i] > 0 && std::isfinite(w[i])))
        throw usage_error("isotonic_fit: weight " + std::to_string(i) + " is not positive and finite");
    }
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
    // merge equal x: weighted mean of y, summed weight
    std::vector<double> wy, ww;
    for (std::size_t i = 0; i < n;) {
      const double xv = x[order[i]];
      double sw = 0, swy = 0;
      for (; i < n && x[order[i]] == xv; ++i) {
        const double wi = w.empty() ? 1.0 : w[order[i]];
        sw += wi, swy += wi * y[order[i]];
      }
      x_.push_back(xv);
      wy.push_back(swy / sw);
      ww.push_back(sw);
    }
    // pool adjacent violators over blocks (value, weight, length)
    const std::size_t m = x_.size();
    std::vector<double> val, wt;
    std::vector<std::size_t> len;
    for (std::size_t j = 0; j < m; ++j) {
      val.push_back(wy[j]), wt.push_back(ww[j]), len.push_back(1);
      while (val.size() > 1 && val[val.size() - 2] > val.back()) {
        const std::size_t b = val.size() - 1;
        const double sw = wt[b - 1] + wt[b];
        val[b - 1] = (wt[b - 1] * val[b - 1] + wt[b] * val[b]) / sw;
        wt[b - 1] = sw;
        len[b - 1] += len[b];
        val.pop_back(), wt.pop_back(), len.pop_back();
      }
    }
    f_.reserve(m);
    for (std::size_t b = 0; b < val.size(); ++b) f_.insert(f_.end(), len[b], val[b]);
  }

  [[nodiscard]] bool empty() const noexcept { return x_.empty(); }
  /// The distinct x, ascending, and the fitted value at each.
  [[nodiscard]] const std::vector<double>& x() const noexcept { return x_; }
  [[nodiscard]] const std::vector<double>& fitted() const noexcept { return f_; }

  /// The fitted function at v: linear between the fitted points, constant beyond the ends (NaN for NaN).
  [[nodiscard]] double operator()(double v) const {
    if (x_.empty()) throw usage_error("isotonic_fit: predict before fit");
    if (std::isnan(v)) return v;
    if (v <= x_.front()) return f_.front();
    if (v >= x_.back()) return f_.back();
    const auto it = std::upper_bound(x_.begin(), x_.end(), v);
    const std::size_t j = static_cast<std::size_t>(it - x_.begin());  // x_[j - 1] <= v < x_[j]
    const double x0 = x_[j - 1], x1 = x_[j], f0 = f_[j - 1], f1 = f_[j];
    if (v == x0) return f0;
    return (f1 - f0) / (x1 - x0) * (v - x0) + f0;  // scipy's interp1d: slope first
  }

 private:
  std::vector<double> x_, f_;
};

}  // namespace stratum::stats
