// numpy arithmetic reproduced exactly, where our results must equal numpy's to the bit.
#pragma once

#include <cstddef>

namespace stratum::detail {

/// numpy's pairwise summation of float64 (numpy 1.24 pairwise_sum_DOUBLE in
/// numpy/core/src/umath/loops_utils.h.src: blocks of at most 128, 8 accumulators), which np.sum / np.mean use
/// along a contiguous axis.
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

}  // namespace stratum::detail
