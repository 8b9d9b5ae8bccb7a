// Per-slice failure-rate table for a release review: for each scenario slice, the failure rate with Wilson
// and Clopper-Pearson 95% intervals, a one-sided 95% upper bound (the zero-failure bound where nothing
// failed), Fisher's exact test of "this slice fails more often than the pooled rest" with Holm and
// Benjamini-Hochberg adjusted p-values, and the number of frames the slice needs for a +-1% Wilson interval.
//
//   example_failure_rates
//
// The counts are made up (failures = missed pedestrians within 30 m, trials = frames with such a pedestrian).
// Exit status 1 if a planned sample size does not reach its target half-width.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <stratum/stats/multiple_testing.hpp>
#include <stratum/stats/proportion.hpp>
#include <stratum/stats/sample_size.hpp>
#include <stratum/stats/two_proportions.hpp>

namespace ss = stratum::stats;

struct slice_counts {
  std::string name;
  std::int64_t failures;
  std::int64_t trials;
};

int main() {
  const std::vector<slice_counts> slices = {
      {"weather=clear&timeofday=day", 9, 2400}, {"weather=clear&timeofday=night", 11, 950},
      {"weather=rain&timeofday=day", 6, 610},   {"weather=rain&timeofday=night", 7, 180},
      {"weather=fog&timeofday=day", 0, 140},    {"weather=snow&timeofday=night", 4, 95},
      {"weather=snow&timeofday=day", 0, 410},
  };
  // 95% intervals, 5% family-wise error / false discovery rate: one confidence for every function
  const auto conf = stratum::confidence::from_alpha(0.05);
  const double half_width = 0.01;  // target precision of a slice's failure rate: +-1 percentage point
  const double max_rate = 0.01;    // a zero-failure slice must show its rate is below 1%

  std::int64_t all_x = 0, all_n = 0;
  for (const auto& s : slices) all_x += s.failures, all_n += s.trials;

  // Each slice against the pooled rest, one-sided (H1: the slice fails more often), on the 2x2 table
  // [[x, n - x], [X - x, (N - n) - (X - x)]]. Fisher's test stays exact for the small slices.
  std::vector<double> p_values;
  for (const auto& s : slices) {
    const std::int64_t rest_x = all_x - s.failures, rest_n = all_n - s.trials;
    p_values.push_back(ss::fisher_exact(s.failures, s.trials - s.failures, rest_x, rest_n - rest_x,
                                        ss::proportion_alternative::greater)
                           .p_value);
  }
  const auto holm = ss::holm(p_values, conf);              // release blockers: family-wise error <= 5%
  const auto bh = ss::benjamini_hochberg(p_values, conf);  // leads to investigate: false discoveries <= 5%

  std::printf("%-30s %8s %6s %16s %16s %7s %8s %9s %9s %6s %6s\n", "slice", "x/n", "rate", "Wilson 95%",
              "Clopper-Pearson", "upper", "Fisher p", "Holm", "BH", "need", "to go");
  int status = 0;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const auto& s = slices[i];
    const std::int64_t x = s.failures, n = s.trials;
    const double rate = static_cast<double>(x) / static_cast<double>(n);
    const auto wilson = ss::wilson_interval(x, n, conf);
    const auto cp = ss::clopper_pearson_interval(x, n, conf);
    // One-sided 95% upper bound; after zero failures it is 1 - alpha^(1/n), the exact zero-failure bound.
    const double upper =
        x == 0 ? ss::zero_failure_upper_bound(n, conf) : ss::clopper_pearson_upper_bound(x, n, conf);
    // Frames needed: a +-1% Wilson interval at the observed rate or, with no failure yet, enough clean frames
    // to show the rate is below 1%. The plan is checked against the bound it promises.
    std::int64_t need = 0;
    if (x == 0) {
      need = ss::zero_failure_sample_size(max_rate, conf);
      if (ss::zero_failure_upper_bound(need, conf) > max_rate) status = 1;
    } else {
      need = ss::wilson_sample_size(rate, half_width, conf);
      if (ss::wilson_half_width(rate, need, conf) > half_width) status = 1;
    }

    const std::string counts = std::to_string(x) + "/" + std::to_string(n);
    std::printf("%-30s %8s %6.4f [%.4f, %.4f] [%.4f, %.4f] %7.4f %8.2e %8.2e%s %8.2e%s %5lld%s %6lld\n",
                s.name.c_str(), counts.c_str(), rate, wilson.lower, wilson.upper, cp.lower, cp.upper, upper,
                p_values[i], holm.adjusted[i], holm.reject[i] ? "*" : " ", bh.adjusted[i],
                bh.reject[i] ? "*" : " ", static_cast<long long>(need), x == 0 ? "z" : " ",
                static_cast<long long>(need > n ? need - n : 0));
  }
  std::printf(
      "\nupper: one-sided 95%% Clopper-Pearson bound (the zero-failure bound 1 - 0.05^(1/n) at x = 0)\n");
  std::printf("*: rejected at 5%% (Holm: family-wise error; BH: false discovery rate)\n");
  std::printf(
      "need: frames for a +-%.0f%% Wilson interval at the observed rate; z: zero failures so far, so the\n"
      "      clean frames that show the rate is below %.0f%% (rule of three: %lld)\n",
      100 * half_width, 100 * max_rate,
      static_cast<long long>(ss::rule_of_three_sample_size(max_rate, conf)));
  if (status != 0) std::fprintf(stderr, "error: a planned sample size misses its target\n");
  return status;
}
