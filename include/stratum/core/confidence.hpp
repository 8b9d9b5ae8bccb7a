// One convention for confidence across the library: every function that returns an interval or a one-sided
// bound, plans a sample size or decides which of several hypotheses to reject takes a `stratum::confidence`
// (proportions, two proportions, sample sizes, multiple testing, bootstrap intervals, the COCO bootstrap).
#pragma once

#include <cstdio>
#include <string>

#include "error.hpp"

namespace stratum {

/// How sure an interval, a bound or a decision is: the level c (0.95) or its complement alpha = 1 - c (0.05),
/// the probability the procedure is allowed to be wrong (a two-sided interval misses the true value, a
/// one-sided bound lies on the wrong side of it, the family of decisions holds a false rejection or, for
/// Benjamini-Hochberg, the expected share of false rejections).
///
///   stratum::confidence{0.95}                  from the level
///   stratum::confidence::from_alpha(0.05)     from alpha
///   stratum::confidence{}                      95%, the default of every function
///
/// The value given is kept exactly and the other one is 1 minus it; each function reads the one its
/// reference reads (statsmodels and the closed forms take alpha, scipy.stats.bootstrap takes
/// confidence_level), so a value stated as the reference states it gives the reference's bits. The default
/// holds the literals 0.95 and 0.05, the defaults of both references.
class confidence {
 public:
  constexpr confidence() noexcept = default;
  /// Confidence level c in (0, 1). Throws usage_error otherwise (NaN included).
  explicit confidence(double level) : level_(level), alpha_(1.0 - level) { check(level, "level"); }
  /// alpha in (0, 1): confidence 1 - alpha. Any tiny positive alpha is accepted (1e-300: functions that read
  /// alpha keep it exactly). Throws usage_error otherwise.
  [[nodiscard]] static confidence from_alpha(double alpha) {
    check(alpha, "alpha");
    confidence c;
    c.alpha_ = alpha;
    c.level_ = 1.0 - alpha;
    return c;
  }

  [[nodiscard]] constexpr double level() const noexcept { return level_; }
  [[nodiscard]] constexpr double alpha() const noexcept { return alpha_; }

  /// "95%", "99.9%": the level as people read it.
  [[nodiscard]] std::string percent() const {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.10g%%", level_ * 100);
    return buf;
  }

  friend constexpr bool operator==(const confidence&, const confidence&) = default;

 private:
  static void check(double v, const char* what) {
    if (!(v > 0.0 && v < 1.0)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      throw usage_error(std::string("confidence: ") + what + " (= " + buf + ") must lie in (0, 1)");
    }
  }

  double level_ = 0.95;
  double alpha_ = 0.05;
};

}  // namespace stratum
