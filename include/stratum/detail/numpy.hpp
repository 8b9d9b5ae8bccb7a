// numpy arithmetic reproduced exactly, where our results must equal numpy's to the bit.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "fp_barrier.hpp"

namespace stratum::detail {

/// numpy.linspace(start, stop, num) for num >= 1, to the bit (numpy 1.24: step = (stop - start) / (num - 1),
/// y = arange(num) * step + start, then y[-1] = stop; num == 1 gives [start]). The product is rounded before
/// the sum (a barrier), so no build flag can fuse them into one fma and change the last bit: COCO's IoU
/// threshold 0.8999999999999999, the histogram's and the calibration bins' equal-width edges all come from
/// here.
[[nodiscard]] inline std::vector<double> numpy_linspace(double start, double stop, std::size_t num) {
  std::vector<double> y(num);
  if (num == 0) return y;
  if (num == 1) {
    y[0] = start;
    return y;
  }
  const double step = (stop - start) / static_cast<double>(num - 1);
  for (std::size_t i = 0; i < num; ++i) y[i] = rounded(static_cast<double>(i) * step) + start;
  y[num - 1] = stop;
  return y;
}

/// numpy.quantile (method 'linear', numpy 1.24) of an ascending, non-empty, NaN-free sequence of n values
/// given by at(i), q in [0, 1]: v = (n - 1) q, i = floor(v), g = v - i, and numpy's _lerp: x_i + (x_(i+1) -
/// x_i) g, or x_(i+1) - (x_(i+1) - x_i)(1 - g) when g >= 0.5; v >= n - 1 gives x_(n-1). Products are rounded
/// (barriers).
template <class At>
[[nodiscard]] inline double numpy_quantile_at(std::size_t n, double q, At&& at) {
  const double v = rounded(static_cast<double>(n - 1) * q);
  double prev_index, a, b;
  if (v >= static_cast<double>(n - 1)) {  // numpy takes the last element (index -1) for both neighbours
    prev_index = -1.0;
    a = b = at(n - 1);
  } else if (v < 0) {
    prev_index = 0.0;
    a = b = at(0);
  } else {
    prev_index = std::floor(v);
    const auto i = static_cast<std::size_t>(prev_index);
    a = at(i);
    b = at(i + 1);
  }
  const double g = v - prev_index;
  const double diff = b - a;
  if (g >= 0.5) return b - rounded(diff * (1 - g));
  return a + rounded(diff * g);
}

/// numpy.quantile(x, q) of an ascending, non-empty, NaN-free array (numpy_quantile_at).
[[nodiscard]] inline double numpy_quantile_sorted(std::span<const double> x, double q) noexcept {
  return numpy_quantile_at(x.size(), q, [&x](std::size_t i) { return x[i]; });
}

/// numpy.percentile(x, q_percent): numpy divides by 100 first, then takes the quantile.
[[nodiscard]] inline double numpy_percentile_sorted(std::span<const double> x, double q_percent) noexcept {
  return numpy_quantile_sorted(x, q_percent / 100.0);
}

/// numpy's pairwise summation of float64 (numpy 1.24 pairwise_sum_DOUBLE in
/// numpy/core/src/umath/loops_utils.h.src: blocks of at most 128, 8 accumulators): the kernel that one call
/// of the add loop applies to the elements it is handed. np.sum over more than a buffer's worth of elements
/// is not one such call; see numpy_sum.
[[nodiscard]] inline double numpy_pairwise_sum(const double* a, std::size_t n) noexcept {
  if (n < 8) {
    double res = 0.;
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_pairwise_sum(a, n2) + numpy_pairwise_sum(a + n2, n - n2);
}

/// numpy's default ufunc buffer size (numpy.getbufsize(), NPY_BUFSIZE = 8192 elements).
inline constexpr std::size_t numpy_bufsize = 8192;

/// np.sum (and the sum inside np.mean) of a contiguous 1-D float64 array, to the bit: the reduction starts
/// from the identity 0 and its iterator hands the add loop at most numpy_bufsize elements at a time, so the
/// result is ((0 + P(x[0:8192])) + P(x[8192:16384])) + ..., P the pairwise kernel above. Up to 8192 elements
/// this is the pairwise sum itself; beyond it the block boundaries show in the last bits (COCO's AP is a mean
/// over T*R*K precision entries, 80,800 at COCO's defaults). Checked against np.sum up to 100,000 elements in
/// tests/bootstrap_test.cpp (oracle tests/oracles/bootstrap.py, sums_blocked.txt).
[[nodiscard]] inline double numpy_sum(const double* a, std::size_t n) noexcept {
  double res = 0.;
  for (std::size_t i = 0; i < n; i += numpy_bufsize)
    res += numpy_pairwise_sum(a + i, std::min(numpy_bufsize, n - i));
  return res;
}

}  // namespace stratum::detail
