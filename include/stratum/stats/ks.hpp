// Two-sample Kolmogorov-Smirnov test, and the Kolmogorov / Smirnov distributions it needs.
//
// Matches scipy 1.10.1 `scipy.stats.ks_2samp(x, y, alternative, method)` for method = 'exact', 'asymp' and
// 'auto' (statistic, p-value, location and sign), `scipy.stats.kstwo.sf(d, n)`, `scipy.stats.kstwobign.sf(x)`
// (= `scipy.special.kolmogorov`) and `scipy.special.smirnov(n, d)`. Boost 1.74 has no Kolmogorov-Smirnov
// distribution, so the distributions are implemented here from the papers cited at each function.
//
// Statistic. With F and G the right-continuous empirical CDFs of x (size n1) and y (size n2), evaluated at
// every pooled observation (so ties within and across samples are handled by counting every copy before
// comparing):
//   D+ = max_t (F(t) - G(t)),  D- = max(0, max_t (G(t) - F(t))),  D = max(D+, D-).
// alternative 'greater' tests with D+, 'less' with D-, 'two-sided' with D (D- is reported only when D- > D+).
//
// Exact p-values (lattice-path counting, Hodges 1958). With g = gcd(n1, n2) and L = n1 n2 / g, a path of n1
// x-steps and n2 y-steps at (i, j) has F - G = (i n2/g - j n1/g) / L, and D >= h / L with h = round(D L).
// Under H0 all C(n1+n2, n1) paths are equally likely. Let P(i, j) be the fraction of paths from (0,0) to
// (i,j) that touch the rejection region R = {|i n2/g - j n1/g| >= h} (one boundary for the one-sided tests).
// Since a fraction i/(i+j) of those paths arrive from (i-1, j):
//   P(i, j) = 1 on R,  P(i, j) = (i P(i-1, j) + j P(i, j-1)) / (i + j) elsewhere,  p = P(n1, n2).
// This recursion of probabilities (Viehmann 2021, arXiv:2102.08037) only adds and averages numbers in [0, 1],
// so it neither overflows nor cancels, and small p-values keep their relative accuracy. For n1 = n2 = n the
// reflection principle gives closed forms (Gnedenko-Korolyuk):
//   two-sided  p = 2 sum_{k>=1} (-1)^(k-1) C(2n, n-kh) / C(2n, n),   one-sided  p = C(2n, n-h) / C(2n, n),
// evaluated as nested products of ratios (no binomial coefficient is ever formed).
//
// Asymptotic p-values (as scipy 1.10.1): with m >= n the two sizes and en = m n / (m + n),
//   two-sided  p = kstwo.sf(D, round(en))  (the exact one-sample Kolmogorov distribution at n = round(en)),
//   one-sided  p = exp(-2 z^2 - 2 z (m + 2n) / (3 sqrt(m n (m + n)))),  z = sqrt(en) D   (Hodges 1958,
//   eq. 5.3).
//
// Method selection as scipy: 'auto' is exact when max(n1, n2) <= 10000, else asymptotic; 'exact' falls back
// to asymptotic when n1/g >= (2^31 - 1) / (n2/g). One documented difference: for one-sided tests with n1 !=
// n2, scipy's exact branch sums binomial coefficients in floating point, overflows when n1 + n2 exceeds about
// 1030 and then switches to the asymptotic formula (with a RuntimeWarning). Here the exact one-sided p-value
// is always computed with the stable recursion above; tests check it against exact rational arithmetic as
// well as against scipy where scipy's exact branch succeeds (see docs/statistics/drift.md).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>
#include "../core/error.hpp"

namespace stratum::stats {

enum class ks_alternative { two_sided, less, greater };
enum class ks_method { automatic, exact, asymptotic };

struct ks_result {
  double statistic = 0;  ///< D (two-sided), D+ ('greater') or D- ('less'); in exact mode h / lcm(n1, n2)
  double p_value = 1;
  double d_plus = 0;    ///< max (F - G)
  double d_minus = 0;   ///< max (G - F), clipped at 0
  double location = 0;  ///< the observation where the statistic is attained (scipy's statistic_location)
  int sign = 1;         ///< +1 when the statistic is D+, -1 when it is D- (scipy's statistic_sign)
  ks_method method = ks_method::exact;  ///< the method actually used (never `automatic`)
};

/// Survival function of Kolmogorov's limiting distribution, P(sqrt(n) D_n > x) as n -> inf
/// (scipy.special.kolmogorov = scipy.stats.kstwobign.sf). Two Jacobi theta series:
///   x >  0.82:  2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2)
///   x <= 0.82:  1 - sqrt(2 pi)/x sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 x^2))
[[nodiscard]] double kolmogorov_sf(double x);

/// Survival function of the one-sided one-sample statistic D+_n, P(D+_n >= d) (scipy.special.smirnov).
/// Smirnov (1944) / Birnbaum-Tingey (1951):
///   P(D+_n >= d) = d sum_{v=0}^{ceil(n(1-d))-1} C(n, v) (d + v/n)^(v-1) (1 - d - v/n)^(n-v),
/// a sum of positive terms, accumulated in long double from log-terms. As scipy: 0 when 2 n d^2 > 708.396,
/// and for n > 10^6 the approximation exp(-(6 n d + 1)^2 / (18 n)).
[[nodiscard]] double smirnov_sf(std::int64_t n, double d);

/// Survival function of the two-sided one-sample statistic D_n, P(D_n >= d) (scipy.stats.kstwo.sf(d, n)).
/// Method choice of Simard & L'Ecuyer (2011) as in scipy 1.10.1: Ruben-Gambino closed forms for n d <= 1 and
/// n d >= n - 1; 2 smirnov_sf for d >= 0.5 (exact) and in the far tail; the Durbin matrix (Marsaglia, Tsang &
/// Wang 2003) where exact; the Pelz-Good (1976) expansion for large n. (scipy uses Pomeranz's recursion for
/// n <= 140, 0.754693 < n d^2 <= 4; it is exact there, as is the Durbin matrix used here instead.)
[[nodiscard]] double kolmogorov_n_sf(std::int64_t n, double d);

/// Exact p-value of the two-sample test for sizes n1, n2 and lattice statistic h / lcm(n1, n2), h >= 0.
[[nodiscard]] double ks_2samp_exact_p_value(std::int64_t n1, std::int64_t n2, std::int64_t h,
                                            ks_alternative alt);

/// Asymptotic p-value of the two-sample test (scipy 1.10.1 'asymp').
[[nodiscard]] double ks_2samp_asymptotic_p_value(std::int64_t n1, std::int64_t n2, double d,
                                                 ks_alternative alt);

/// Two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp). Throws std::invalid_argument on an empty sample
/// or a NaN value. Infinite values are allowed (they order like any other value).
[[nodiscard]] ks_result ks_2samp(std::span<const double> x, std::span<const double> y,
                                 ks_alternative alternative = ks_alternative::two_sided,
                                 ks_method method = ks_method::automatic);

// ---------------------------------------------------------------------------------------------------------------
// Implementation

namespace detail::ks {

inline constexpr double pi = 3.14159265358979323846;

/// log(n!) - n log(n), exactly enough: lgammal in long double (64-bit significand on x86-64).
inline long double log_factorial_over_power(std::int64_t n) {
  const long double ln = static_cast<long double>(n);
  return std::lgamma(ln + 1.0L) - ln * std::log(ln);
}

/// P(D_n < d) by the Durbin matrix, Marsaglia-Tsang-Wang (2003) formulation. Write n d = k - h with k integer
/// and 0 <= h < 1, m = 2k - 1. H is m x m with H[i][j] = 1/(i-j+1)! for i - j + 1 >= 0 (0 otherwise), first
/// column and last row corrected by -h^(i+1)/(i+1)! and -h^(m-j)/(m-j)!, and H[m-1][0] += max(0, 2h-1)^m /
/// m!. Then P(D_n < d) = n!/n^n (H^n)[k-1][k-1]. Powers are rescaled by 2^-256 steps to stay in range.
inline double durbin_cdf(std::int64_t n, double d) {
  const double nd = static_cast<double>(n) * d;
  if (d >= 1.0) return 1.0;
  if (nd <= 0.5) return 0.0;
  const auto k = static_cast<std::int64_t>(std::ceil(nd));
  const double h = static_cast<double>(k) - nd;
  const auto m = static_cast<std::size_t>(2 * k - 1);
  using mat = std::vector<double>;
  auto mul = [m](const mat& a, const mat& b) {
    mat c(m * m, 0.0);
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t l = 0; l < m; ++l) {
        const double ail = a[i * m + l];
        if (ail == 0.0) continue;
        for (std::size_t j = 0; j < m; ++j) c[i * m + j] += ail * b[l * m + j];
      }
    return c;
  };
  std::vector<double> inv_fact(m + 1);
  inv_fact[0] = 1.0;
  for (std::size_t i = 1; i <= m; ++i) inv_fact[i] = inv_fact[i - 1] / static_cast<double>(i);
  mat hm(m * m, 0.0);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j <= std::min(i + 1, m - 1); ++j) hm[i * m + j] = inv_fact[i + 1 - j];
  for (std::size_t i = 0; i < m; ++i) hm[i * m] -= std::pow(h, static_cast<double>(i + 1)) * inv_fact[i + 1];
  for (std::size_t j = 0; j < m; ++j)
    hm[(m - 1) * m + j] -= std::pow(h, static_cast<double>(m - j)) * inv_fact[m - j];
  // The corner H[m-1][0] = (1 - 2 h^m + max(0, 2h - 1)^m) / m!: both corrections above subtracted h^m / m!.
  hm[(m - 1) * m] += std::pow(std::max(0.0, 2.0 * h - 1.0), static_cast<double>(m)) * inv_fact[m];
  mat result(m * m, 0.0);
  for (std::size_t i = 0; i < m; ++i) result[i * m + i] = 1.0;
  int result_exp = 0, base_exp = 0;
  constexpr double big = 0x1p256, small = 0x1p-256;
  const std::size_t c = static_cast<std::size_t>(k - 1) * m + static_cast<std::size_t>(k - 1);
  for (std::int64_t e = n; e > 0; e >>= 1) {
    if (e & 1) {
      result = mul(result, hm);
      result_exp += base_exp;
      if (std::abs(result[c]) > big) {
        for (auto& v : result) v *= small;
        result_exp += 256;
      }
    }
    if (e > 1) {
      hm = mul(hm, hm);
      base_exp *= 2;
      if (std::abs(hm[c]) > big) {
        for (auto& v : hm) v *= small;
        base_exp += 256;
      }
    }
  }
  // times n!/n^n = prod_{i=1}^{n} i/n, rescaled to stay in range.
  double p = result[c];
  const double dn = static_cast<double>(n);
  for (std::int64_t i = 1; i <= n; ++i) {
    p = p * static_cast<double>(i) / dn;
    if (std::abs(p) < small) {
      p *= big;
      result_exp -= 256;
    }
  }
  return std::ldexp(p, result_exp);
}

/// Pelz & Good (1976) expansion of P(D_n <= x) = K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^(3/2), z = x
/// sqrt(n), in the theta-function form of Simard & L'Ecuyer (2011), eq. (1.5)-(1.8). Sums run over k
/// = 1..ceil(16 z/pi).
inline double pelz_good_cdf(std::int64_t n, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double dn = static_cast<double>(n);
  const double z = std::sqrt(dn) * x;
  const double z2 = z * z, z4 = z2 * z2, z6 = z4 * z2, z8 = z4 * z4;
  if (-pi * pi / 8.0 / z2 < -708.0) return 0.0;
  const double pi2 = pi * pi, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
  const auto kmax = static_cast<std::int64_t>(std::ceil(16.0 * z / pi));
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0, t2 = 0, t3 = 0;
  for (std::int64_t k = kmax; k >= 1; --k) {  // smallest terms first
    const double mo = static_cast<double>(2 * k - 1);
    const double mo2 = mo * mo, mo4 = mo2 * mo2, mo6 = mo4 * mo2;
    const double e = std::exp(-mo2 * pi2 / (8.0 * z2));
    s0 += e;
    s1 += (pi2 * mo2 / 4.0 - z2) * e;
    s2 += (6.0 * z6 + 2.0 * z4 + (2.0 * z4 - 5.0 * z2) * pi2 * mo2 / 4.0 +
           pi4 * (1.0 - 2.0 * z2) * mo4 / 16.0) *
          e;
    s3 += (pi6 * mo6 * (5.0 - 30.0 * z2) / 64.0 + pi4 * mo4 * (-60.0 * z2 + 212.0 * z4) / 16.0 +
           pi2 * mo2 * (135.0 * z4 - 96.0 * z6) / 4.0 - 30.0 * z6 - 90.0 * z8) *
          e;
    const double kk = static_cast<double>(k), kk2 = kk * kk;
    const double f = std::exp(-pi2 * kk2 / (2.0 * z2));
    t2 += kk2 * f;
    t3 += (3.0 * z2 - pi2 * kk2) * kk2 * f;
  }
  const double r2pi = std::sqrt(2.0 * pi);
  const double k0 = r2pi / z * s0;
  const double k1 = r2pi / (6.0 * z4) * s1;
  const double k2 = r2pi / (72.0 * z6 * z) * s2 - pi2 * r2pi / (36.0 * z2 * z) * t2;
  const double k3 = r2pi / (6480.0 * z6 * z4) * s3 + pi2 * r2pi / (216.0 * z6) * t3;
  return k0 + k1 / std::sqrt(dn) + k2 / dn + k3 / (dn * std::sqrt(dn));
}

/// floor(n x) computed exactly (n x may not be representable): returns {floor, whether n x is an integer}.
inline std::pair<std::int64_t, bool> exact_floor_product(std::int64_t n, double x) {
  const double dn = static_cast<double>(n);
  const double p = dn * x;
  const double e = std::fma(dn, x, -p);  // n x = p + e exactly
  const double fl = std::floor(p);
  if (p != fl) return {static_cast<std::int64_t>(fl), false};
  if (e < 0) return {static_cast<std::int64_t>(fl) - 1, false};
  return {static_cast<std::int64_t>(fl), e == 0};
}

/// P(path touches the rejection region) by the probability recursion (see the header comment); h >= 1.
inline double lattice_p_value(std::int64_t n1, std::int64_t n2, std::int64_t h, bool two) {
  const std::int64_t g = std::gcd(n1, n2);
  const std::int64_t a = n2 / g, b = n1 / g;
  // Recursion over columns i = 0..n1 of probabilities P(i, j), j = 0..n2 (see the header comment). Entries
  // outside the band of column i are 1; the band [lo, hi] only moves up as i grows.
  auto floor_div = [](std::int64_t p, std::int64_t q) { return p >= 0 ? p / q : -((-p + q - 1) / q); };
  std::vector<double> col(static_cast<std::size_t>(n2 + 1), 1.0);
  std::int64_t prev_lo = 0;
  for (std::int64_t i = 0; i <= n1; ++i) {
    // inside: i a - j b < h (one-sided, D+ side) and, two-sided, i a - j b > -h
    const std::int64_t lo = std::max<std::int64_t>(0, floor_div(i * a - h, b) + 1);
    const std::int64_t hi = two ? std::min<std::int64_t>(n2, floor_div(i * a + h - 1, b)) : n2;
    if (lo > hi) return 1.0;  // every path leaves the band
    for (std::int64_t j = prev_lo; j < lo; ++j) col[static_cast<std::size_t>(j)] = 1.0;
    const double di = static_cast<double>(i);
    double left = 1.0;  // P(i, lo-1): outside (or absent when lo == 0, where its weight j = 0 vanishes)
    for (std::int64_t j = lo; j <= hi; ++j) {
      auto& cell = col[static_cast<std::size_t>(j)];
      const double dj = static_cast<double>(j);
      const double v = (i == 0) ? 0.0 : (di * cell + dj * left) / (di + dj);
      cell = v;
      left = v;
    }
    prev_lo = lo;
  }
  return std::clamp(col[static_cast<std::size_t>(n2)], 0.0, 1.0);
}

}  // namespace detail::ks

inline double kolmogorov_sf(double x) {
  using detail::ks::pi;
  if (std::isnan(x)) return x;
  if (x <= 0) return 1.0;
  if (x <= pi / std::sqrt(746.0 * 8.0)) return 1.0;  // the first theta term underflows
  double sf;
  if (x <= 0.82) {
    // cdf = sqrt(2 pi)/x (u + u^9 + u^25 + u^49 + ...), u = exp(-pi^2/(8 x^2)); 4 terms reach double
    // precision
    const double w = std::sqrt(2.0 * pi) / x;
    const double a = -pi * pi / (8.0 * x * x);
    double s = 0;
    for (int k = 4; k >= 1; --k) {
      const double mo = 2.0 * k - 1.0;
      s += std::exp(a * mo * mo);
    }
    sf = 1.0 - w * s;
  } else {
    // sf = 2 (v - v^4 + v^9 - v^16 + ...), v = exp(-2 x^2); 4 terms reach double precision for x > 0.82
    const double a = -2.0 * x * x;
    double s = 0;
    for (int k = 4; k >= 1; --k) s += ((k % 2) ? 1.0 : -1.0) * std::exp(a * k * k);
    sf = 2.0 * s;
  }
  return std::clamp(sf, 0.0, 1.0);
}

inline double smirnov_sf(std::int64_t n, double d) {
  if (n <= 0) throw ::stratum::usage_error("smirnov_sf: n must be positive, got " + std::to_string(n));
  if (std::isnan(d)) return d;
  if (d < 0.0 || d > 1.0) throw std::domain_error("smirnov_sf: d must lie in [0, 1]");
  if (n == 1) return 1.0 - d;
  if (d == 0.0) return 1.0;
  if (d == 1.0) return 0.0;
  const double dn = static_cast<double>(n);
  const auto [nd_floor, nd_integer] = detail::ks::exact_floor_product(n, d);
  if (nd_floor == 0 || (nd_floor == 1 && nd_integer)) {  // d <= 1/n: sf = 1 - d (1 + d)^(n-1)
    return 1.0 -
           static_cast<double>(static_cast<long double>(d) *
                               std::pow(1.0L + static_cast<long double>(d), static_cast<long double>(n - 1)));
  }
  if (-2.0 * dn * d * d < -7.08396418532264106224e2) return 0.0;  // below DBL_MIN, as cephes MINLOG
  if (nd_floor >= n - 1) {                                        // d >= 1 - 1/n: sf = (1 - d)^n
    return static_cast<double>(std::pow(1.0L - static_cast<long double>(d), static_cast<long double>(n)));
  }
  if (n > 1000000) {  // scipy's approximation for huge n
    const double t = 6.0 * dn * d + 1.0;
    const double logp = -t * t / 18.0 / dn;
    return logp < -std::log(2.0) ? std::exp(logp) : 1.0 - (-std::expm1(logp));
  }
  // Largest v with d + v/n < 1: v < n - n d.
  const std::int64_t vmax = n - nd_floor - 1;
  const long double ln = static_cast<long double>(n), ld = static_cast<long double>(d);
  const double pnd = dn * d, end = std::fma(dn, d, -pnd);  // n d = pnd + end exactly
  long double log_binom = 0;  // log C(n, v), updated by log((n - v)/(v + 1)): error ~ v eps_ld, negligible
  long double sum = 0, peak = 0;
  for (std::int64_t v = 0; v <= vmax; ++v) {
    const long double lv = static_cast<long double>(v);
    // 1 - d - v/n = ((n - v) - n d)/n, with n d as an unevaluated sum
    const long double rem = ((static_cast<long double>(n - v) - pnd) - end) / ln;
    const long double up = ld + lv / ln;
    long double lt = log_binom + static_cast<long double>(n - v) * std::log(rem);
    lt += (v == 0) ? -std::log(up) : (lv - 1.0L) * std::log(up);
    const long double term = std::exp(lt);
    sum += term;
    if (term > peak)
      peak = term;
    else if (term < sum * 1e-24L)
      break;  // past the peak and negligible (terms are unimodal in v)
    log_binom += std::log(static_cast<long double>(n - v) / (lv + 1.0L));
  }
  return std::clamp(static_cast<double>(ld * sum), 0.0, 1.0);
}

inline double kolmogorov_n_sf(std::int64_t n, double x) {
  if (n <= 0) throw ::stratum::usage_error("kolmogorov_n_sf: n must be positive, got " + std::to_string(n));
  if (std::isnan(x)) return x;
  if (x >= 1.0) return 0.0;
  if (x <= 0.0) return 1.0;
  const double dn = static_cast<double>(n);
  const double t = dn * x;
  if (t <= 1.0) {  // Ruben & Gambino (1982): P(D_n < x) = n!/n^n (2 t - 1)^n for 1/(2n) <= x <= 1/n
    if (t <= 0.5) return 1.0;
    long double logp = detail::ks::log_factorial_over_power(n) +
                       static_cast<long double>(n) * std::log(2.0L * static_cast<long double>(t) - 1.0L);
    return std::clamp(1.0 - static_cast<double>(std::exp(logp)), 0.0, 1.0);
  }
  if (t >= dn - 1.0) {  // Ruben & Gambino: P(D_n >= x) = 2 (1 - x)^n for x >= 1 - 1/n
    return std::clamp(
        static_cast<double>(2.0L * std::pow(1.0L - static_cast<long double>(x), static_cast<long double>(n))),
        0.0, 1.0);
  }
  if (x >= 0.5) return std::clamp(2.0 * smirnov_sf(n, x), 0.0, 1.0);  // exact: D+ and D- cannot both be >= x
  const double nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 4.0) return std::clamp(1.0 - detail::ks::durbin_cdf(n, x), 0.0, 1.0);
    return std::clamp(2.0 * smirnov_sf(n, x), 0.0, 1.0);  // Miller: the intersection term is negligible
  }
  if (nx2 >= 370.0) return 0.0;
  if (nx2 >= 2.2) return std::clamp(2.0 * smirnov_sf(n, x), 0.0, 1.0);
  double cdf;
  if (n <= 100000 && dn * std::pow(x, 1.5) <= 1.4)
    cdf = detail::ks::durbin_cdf(n, x);
  else
    cdf = detail::ks::pelz_good_cdf(n, x);
  return std::clamp(1.0 - cdf, 0.0, 1.0);
}

inline double ks_2samp_exact_p_value(std::int64_t n1, std::int64_t n2, std::int64_t h, ks_alternative alt) {
  if (n1 <= 0 || n2 <= 0)
    throw ::stratum::usage_error("ks_2samp_exact_p_value: sample sizes must be positive");
  if (h < 0) throw ::stratum::usage_error("ks_2samp_exact_p_value: h must be >= 0");
  if (h == 0) return 1.0;
  const std::int64_t g = std::gcd(n1, n2);
  if (h > n2 / g * n1) return 0.0;  // h / lcm > 1: impossible
  const bool two = alt == ks_alternative::two_sided;
  if (n1 == n2) {
    const std::int64_t n = n1;
    // r(k) = C(2n, n-kh)/C(2n, n-(k-1)h) = prod_{j=(k-1)h}^{kh-1} (n-j)/(n+j+1)
    auto ratio = [n, h](std::int64_t k) {
      double r = 1.0;
      for (std::int64_t j = (k - 1) * h; j < k * h; ++j)
        r = r * static_cast<double>(n - j) / static_cast<double>(n + j + 1);
      return r;
    };
    if (!two) return std::clamp(ratio(1), 0.0, 1.0);
    // 2 (r1 - r1 r2 + r1 r2 r3 - ...) = 2 r1 (1 - r2 (1 - r3 (1 - ...))), innermost first
    double p = 0.0;
    for (std::int64_t k = n / h; k >= 1; --k) p = ratio(k) * (1.0 - p);
    return std::clamp(2.0 * p, 0.0, 1.0);
  }
  return detail::ks::lattice_p_value(n1, n2, h, two);
}

inline double ks_2samp_asymptotic_p_value(std::int64_t n1, std::int64_t n2, double d, ks_alternative alt) {
  if (n1 <= 0 || n2 <= 0)
    throw ::stratum::usage_error("ks_2samp_asymptotic_p_value: sample sizes must be positive");
  const double m = static_cast<double>(std::max(n1, n2)), n = static_cast<double>(std::min(n1, n2));
  const double en = m * n / (m + n);
  double p;
  if (alt == ks_alternative::two_sided) {
    const double ne = std::nearbyint(en);  // round half to even, as numpy.round
    // ne = 0 only for n1 = n2 = 1 (en = 0.5), where scipy evaluates kstwo with n = 0 and returns NaN. D is
    // then 0 or 1 with certainty and the exact p-value is 1: that is returned.
    if (ne < 1.0 || d <= 0.5 / ne)
      p = 1.0;
    else
      p = kolmogorov_n_sf(static_cast<std::int64_t>(ne), d);
  } else {
    const double z = std::sqrt(en) * d;
    p = std::exp(-2.0 * z * z - 2.0 * z * (m + 2.0 * n) / std::sqrt(m * n * (m + n)) / 3.0);
  }
  return std::clamp(p, 0.0, 1.0);
}

inline ks_result ks_2samp(std::span<const double> x, std::span<const double> y, ks_alternative alternative,
                          ks_method method) {
  if (x.empty()) throw ::stratum::usage_error("ks_2samp: x must not be empty");
  if (y.empty()) throw ::stratum::usage_error("ks_2samp: y must not be empty");
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::isnan(x[i])) throw ::stratum::usage_error("ks_2samp: x[" + std::to_string(i) + "] is NaN");
  for (std::size_t i = 0; i < y.size(); ++i)
    if (std::isnan(y[i])) throw ::stratum::usage_error("ks_2samp: y[" + std::to_string(i) + "] is NaN");
  std::vector<double> xs(x.begin(), x.end()), ys(y.begin(), y.end());
  std::sort(xs.begin(), xs.end());
  std::sort(ys.begin(), ys.end());
  const auto n1 = static_cast<std::int64_t>(xs.size()), n2 = static_cast<std::int64_t>(ys.size());
  const std::int64_t g = std::gcd(n1, n2);
  const std::int64_t a = n2 / g, b = n1 / g;
  // Walk the distinct pooled values. At each, F - G = c1/n1 - c2/n2 (as scipy evaluates it, in double) and
  // the exact lattice value c1 a - c2 b. scipy's location is the first pooled index (sorted x, then sorted y)
  // where the extreme is reached: the smallest such value present in x, else the smallest present in y.
  struct extreme {
    double diff;
    std::int64_t lattice;
    double loc_x, loc_y;
    bool in_x, in_y;
  };
  extreme mx{-std::numeric_limits<double>::infinity(), 0, 0, 0, false, false};
  extreme mn{std::numeric_limits<double>::infinity(), 0, 0, 0, false, false};
  std::size_t i = 0, j = 0;
  while (i < xs.size() || j < ys.size()) {
    double v;
    if (j == ys.size() || (i < xs.size() && xs[i] <= ys[j]))
      v = xs[i];
    else
      v = ys[j];
    bool has_x = false, has_y = false;
    while (i < xs.size() && xs[i] == v) ++i, has_x = true;
    while (j < ys.size() && ys[j] == v) ++j, has_y = true;
    const double diff =
        static_cast<double>(i) / static_cast<double>(n1) - static_cast<double>(j) / static_cast<double>(n2);
    const std::int64_t lat = static_cast<std::int64_t>(i) * a - static_cast<std::int64_t>(j) * b;
    auto update = [&](extreme& e, bool better, bool equal) {
      if (better) e = extreme{diff, lat, 0, 0, false, false};
      if (better || equal) {
        if (has_x && !e.in_x) e.in_x = true, e.loc_x = v;
        if (has_y && !e.in_y) e.in_y = true, e.loc_y = v;
      }
    };
    update(mx, diff > mx.diff, diff == mx.diff);
    update(mn, diff < mn.diff, diff == mn.diff);
  }
  ks_result r;
  r.d_plus = mx.diff;
  r.d_minus = std::clamp(-mn.diff, 0.0, 1.0);
  const bool use_minus = alternative == ks_alternative::less ||
                         (alternative == ks_alternative::two_sided && r.d_minus > r.d_plus);
  const extreme& e = use_minus ? mn : mx;
  r.statistic = use_minus ? r.d_minus : r.d_plus;
  r.location = e.in_x ? e.loc_x : e.loc_y;
  r.sign = use_minus ? -1 : 1;
  const std::int64_t h = std::max<std::int64_t>(0, use_minus ? -e.lattice : e.lattice);

  ks_method m = method;
  if (m == ks_method::automatic)
    m = std::max(n1, n2) <= 10000 ? ks_method::exact : ks_method::asymptotic;
  else if (m == ks_method::exact && static_cast<double>(b) >= 2147483647.0 / static_cast<double>(a))
    m = ks_method::asymptotic;  // lcm too large (scipy's rule)
  r.method = m;
  if (m == ks_method::exact) {
    const std::int64_t lcm = b * n2;
    r.statistic = static_cast<double>(h) / static_cast<double>(lcm);
    r.p_value = ks_2samp_exact_p_value(n1, n2, h, alternative);
  } else {
    r.p_value = ks_2samp_asymptotic_p_value(n1, n2, r.statistic, alternative);
  }
  return r;
}

}  // namespace stratum::stats
