// The exact (Garwood) confidence interval of a Poisson rate: k events over an exposure E (frames, images,
// hours). With alpha = conf.alpha():
//   lower = G^-1(alpha/2; k) / E              (0 when k = 0)
//   upper = G^-1(1 - alpha/2; k + 1) / E
// G^-1(q; a) the quantile of the standard Gamma(a) distribution, i.e. chi2.ppf(q, 2a) / 2: Garwood (1936),
// "Fiducial limits for the Poisson distribution", Biometrika 28:437-442; the same as scipy
// stats.chi2.ppf(alpha/2, 2k)/2 and chi2.ppf(1 - alpha/2, 2k + 2)/2 (tests/oracles/poisson.py). The upper
// quantile is computed from its tail alpha/2 directly (gamma_q_inv), so tiny alphas keep full precision.
// Its coverage is at least 1 - alpha for every rate.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include <boost/math/special_functions/gamma.hpp>

#include "../core/confidence.hpp"
#include "../core/error.hpp"

namespace stratum::stats {

struct poisson_interval {
  double lower = 0, upper = 0;
};

/// The exact interval of the rate k / exposure. Throws usage_error on k < 0 or an exposure that is not a
/// positive finite number.
[[nodiscard]] inline poisson_interval poisson_rate_interval(std::int64_t k, double exposure,
                                                            ::stratum::confidence conf = {}) {
  if (k < 0)
    throw ::stratum::usage_error("poisson_rate_interval: k (= " + std::to_string(k) + ") must be >= 0");
  if (!(std::isfinite(exposure) && exposure > 0))
    throw ::stratum::usage_error("poisson_rate_interval: exposure must be a positive finite number");
  const double tail = 0.5 * conf.alpha();
  const double kd = static_cast<double>(k);
  poisson_interval r;
  r.lower = k == 0 ? 0.0 : boost::math::gamma_p_inv(kd, tail) / exposure;
  r.upper = boost::math::gamma_q_inv(kd + 1.0, tail) / exposure;
  return r;
}

}  // namespace stratum::stats
