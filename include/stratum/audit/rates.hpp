// Rates of an operating point with confidence intervals (docs/audit.md), from its counts:
//
//   recall                  tp / n_gt                              binomial
//   miss_rate               fn / n_gt          (1 - recall)        binomial
//   precision               tp / (tp + fp)                         binomial
//   f1                      2 tp / (2 tp + fp + fn)                no closed-form interval
//   fppi                    fp / n_images      false positives per image, exact Poisson (stats/poisson.hpp)
//   image_false_alarm_rate  false_alarm_images / negative_images   binomial
//   image_miss_rate         miss_images / positive_images          binomial
//
// Binomial intervals: Wilson (default), Jeffreys or Clopper-Pearson (stats/proportion.hpp), at the given
// confidence. When nothing failed (no miss, no false positive, no false-alarm or miss image) the failure
// rate's interval is [0, U] with U the exact one-sided zero-failure bound 1 - alpha^(1/n) at the same
// confidence (stats::zero_failure_upper_bound), and the complementary success rate's (recall for misses,
// precision for false positives) is [1 - U, 1]: "nothing failed in n trials" then reads as "the rate is below
// U". A rate whose denominator is 0 is undefined (NaN; null in JSON).
//
// These intervals treat objects as independent; objects of one image are not (a hard image hides several), so
// per-object intervals are too narrow when failures cluster in images: the image-level rates and the
// bootstrap (planned: `--bootstrap`) are the guard.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "../core/confidence.hpp"
#include "../core/error.hpp"
#include "../stats/poisson.hpp"
#include "../stats/proportion.hpp"
#include "operating.hpp"

namespace stratum::audit {

enum class interval_method { wilson, jeffreys, clopper_pearson };

[[nodiscard]] inline const char* name(interval_method m) noexcept {
  switch (m) {
    case interval_method::wilson:
      return "wilson";
    case interval_method::jeffreys:
      return "jeffreys";
    case interval_method::clopper_pearson:
      return "clopper-pearson";
  }
  return "?";
}

/// "wilson", "jeffreys" or "clopper-pearson"; usage_error otherwise.
[[nodiscard]] inline interval_method parse_interval_method(const std::string& s) {
  if (s == "wilson") return interval_method::wilson;
  if (s == "jeffreys") return interval_method::jeffreys;
  if (s == "clopper-pearson") return interval_method::clopper_pearson;
  throw usage_error("--interval: expected wilson, jeffreys or clopper-pearson, got '" + s + "'");
}

/// A rate and its interval; NaN where undefined. `method` names how the interval was made: the binomial
/// method, "zero-failure" (nothing failed: the exact one-sided bound), "poisson-exact", or "" (no interval).
struct estimate {
  double value = std::numeric_limits<double>::quiet_NaN();
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  const char* method = "";
  [[nodiscard]] bool defined() const noexcept { return !std::isnan(value); }
};

struct operating_rates {
  estimate recall, miss_rate, precision, f1, fppi, image_false_alarm_rate, image_miss_rate;
};

namespace detail {

inline stats::proportion_interval binomial(std::uint64_t x, std::uint64_t n, interval_method m,
                                           confidence conf) {
  const auto xi = static_cast<std::int64_t>(x), ni = static_cast<std::int64_t>(n);
  switch (m) {
    case interval_method::jeffreys:
      return stats::jeffreys_interval(xi, ni, conf);
    case interval_method::clopper_pearson:
      return stats::clopper_pearson_interval(xi, ni, conf);
    case interval_method::wilson:
      break;
  }
  return stats::wilson_interval(xi, ni, conf);
}

/// The failure rate f / n and the success rate (n - f) / n, each with its interval.
inline void rate_pair(std::uint64_t failures, std::uint64_t n, interval_method m, confidence conf,
                      estimate& failure, estimate& success) {
  if (n == 0) return;
  const double nd = static_cast<double>(n);
  failure.value = static_cast<double>(failures) / nd;
  success.value = static_cast<double>(n - failures) / nd;
  if (failures == 0) {
    const double u = stats::zero_failure_upper_bound(static_cast<std::int64_t>(n), conf);
    failure.lower = 0, failure.upper = u, failure.method = "zero-failure";
    success.lower = 1 - u, success.upper = 1, success.method = "zero-failure";
    return;
  }
  const auto fi = binomial(failures, n, m, conf), si = binomial(n - failures, n, m, conf);
  failure.lower = fi.lower, failure.upper = fi.upper, failure.method = name(m);
  success.lower = si.lower, success.upper = si.upper, success.method = name(m);
}

}  // namespace detail

/// The rates of `c` with their intervals.
[[nodiscard]] inline operating_rates rates_of(const operating_counts& c,
                                              interval_method m = interval_method::wilson,
                                              confidence conf = {}) {
  operating_rates r;
  detail::rate_pair(c.fn, c.n_gt, m, conf, r.miss_rate, r.recall);
  estimate false_discovery;
  detail::rate_pair(c.fp, c.tp + c.fp, m, conf, false_discovery, r.precision);
  if (2 * c.tp + c.fp + c.fn > 0)
    r.f1.value = static_cast<double>(2 * c.tp) / static_cast<double>(2 * c.tp + c.fp + c.fn);
  if (c.n_images > 0) {
    const auto iv =
        stats::poisson_rate_interval(static_cast<std::int64_t>(c.fp), static_cast<double>(c.n_images), conf);
    r.fppi = {static_cast<double>(c.fp) / static_cast<double>(c.n_images), iv.lower, iv.upper,
              "poisson-exact"};
  }
  estimate unused;
  detail::rate_pair(c.false_alarm_images, c.negative_images, m, conf, r.image_false_alarm_rate, unused);
  detail::rate_pair(c.miss_images, c.positive_images, m, conf, r.image_miss_rate, unused);
  return r;
}

/// The seven rates, in this order, as indices into rate_values' result.
enum class rate : std::size_t {
  recall,
  miss_rate,
  precision,
  f1,
  fppi,
  image_false_alarm_rate,
  image_miss_rate
};
inline constexpr std::size_t n_rates = 7;
inline constexpr const char* rate_names[n_rates] = {
    "recall", "miss_rate", "precision", "f1", "fppi", "image_false_alarm_rate", "image_miss_rate"};

/// The values of the seven rates of `c` without their intervals (NaN where undefined): the same divisions as
/// rates_of, at a fraction of its cost (the bootstrap evaluates them once per replicate).
[[nodiscard]] inline std::array<double, n_rates> rate_values(const operating_counts& c) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  auto ratio = [](std::uint64_t x, std::uint64_t n) {
    return n == 0 ? nan : static_cast<double>(x) / static_cast<double>(n);
  };
  return {ratio(c.tp, c.n_gt),
          ratio(c.fn, c.n_gt),
          ratio(c.tp, c.tp + c.fp),
          2 * c.tp + c.fp + c.fn > 0
              ? static_cast<double>(2 * c.tp) / static_cast<double>(2 * c.tp + c.fp + c.fn)
              : nan,
          ratio(c.fp, c.n_images),
          ratio(c.false_alarm_images, c.negative_images),
          ratio(c.miss_images, c.positive_images)};
}

}  // namespace stratum::audit
