// numpy arithmetic reproduced exactly, where our results must equal numpy's to the bit.
#pragma once

#include <algorithm>
#include <cstddef>

namespace stratum::detail {

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
  for (std::size_t i = 0; i < n; i += numpy_bufsize) res += numpy_pairwise_sum(a + i, std::min(numpy_bufsize, n - i));
  return res;
}

}  // namespace stratum::detail
