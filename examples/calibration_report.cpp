// Calibration report of a detector's confidences against whether each detection was correct: ECE with
// equal-width and equal-mass bins, MCE, RMS and debiased calibration error, Brier score, and the reliability
// curve with a Wilson 95% interval for the accuracy of every bin. Then the same ECE computed the streaming
// way: two workers bin their detections, serialise the states, and the merged state must equal the single
// pass bit for bit.
//
//   example_calibration_report
//
// The data are synthetic and fixed by the seed: confidences logistic(N(1, 1.2)), and a detection is correct
// with probability logistic(logit(confidence) / 1.5), i.e. the detector is overconfident (its scores need a
// temperature of 1.5). Exit status 1 if the merged state differs from the single pass.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include <stratum/calibration/calibration.hpp>

namespace cal = stratum::calibration;

namespace {

// std::mt19937_64's output is fixed by the C++ standard, its distributions are not: the conversions are
// spelled out so that every platform draws the same data.
double uniform(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1p-53;
}  // [0, 1)
double normal(std::mt19937_64& g) {  // Box-Muller
  const double pi = 3.14159265358979323846;
  const double r = std::sqrt(-2.0 * std::log(1.0 - uniform(g)));
  return r * std::cos(2.0 * pi * uniform(g));
}
double logistic(double t) {
  return 1.0 / (1.0 + std::exp(-t));
}

}  // namespace

int main() {
  std::mt19937_64 g(42);
  const std::size_t n = 4000;
  std::vector<double> confidence(n), correct(n);
  for (std::size_t i = 0; i < n; ++i) {
    confidence[i] = logistic(1.0 + 1.2 * normal(g));
    const double p_correct = logistic(std::log(confidence[i] / (1.0 - confidence[i])) / 1.5);
    correct[i] = uniform(g) < p_correct ? 1.0 : 0.0;
  }

  const double ece_width = cal::ece(confidence, correct, cal::binning::equal_width, 15);
  const double ece_mass = cal::ece(confidence, correct, cal::binning::equal_mass, 15);
  const double mce = cal::mce(confidence, correct, cal::binning::equal_width, 15);
  const double rms = cal::l2_error(confidence, correct);                // equal width, 15 bins
  const double debiased = cal::debiased_l2_error(confidence, correct);  // equal mass, 15 bins
  const double brier = cal::brier_score(confidence, correct);
  std::printf("%zu detections\n", n);
  std::printf("  ECE, 15 equal-width bins  %.4f\n", ece_width);
  std::printf("  ECE, 15 equal-mass bins   %.4f\n", ece_mass);
  std::printf("  MCE, 15 equal-width bins  %.4f\n", mce);
  std::printf("  RMS calibration error     %.4f\n", rms);
  std::printf("  debiased l2 (equal mass)  %.4f\n", debiased);
  std::printf("  Brier score               %.4f\n", brier);

  // Reliability diagram rows (bins are right-closed, the first one closed on both sides). "over" marks a bin
  // whose whole accuracy interval lies below its mean confidence, "under" one whose interval lies above it.
  std::printf("\n%-14s %6s %10s %9s %18s\n", "confidence", "n", "mean conf", "accuracy", "Wilson 95%");
  for (const cal::reliability_bin& b :
       cal::reliability_curve(confidence, correct, cal::binning::equal_width, 10)) {
    const char* verdict = b.accuracy_upper < b.mean_confidence   ? "  over"
                          : b.accuracy_lower > b.mean_confidence ? "  under"
                                                                 : "";
    std::printf("%c%.2f, %.2f] %6llu %10.4f %9.4f   [%.4f, %.4f]%s\n", b.bin == 0 ? '[' : '(', b.lower,
                b.upper, static_cast<unsigned long long>(b.count), b.mean_confidence, b.accuracy,
                b.accuracy_lower, b.accuracy_upper, verdict);
  }

  // Streaming: the edges are fixed up front (equal width here; equal-mass edges would be frozen from a
  // baseline), each worker fills its own state, and only the serialised states travel.
  const auto edges = cal::bin_edges::equal_width(15);
  cal::calibration_bins worker_a(edges), worker_b(edges);
  for (std::size_t i = 0; i < n; ++i)
    (i % 3 == 0 ? worker_a : worker_b).add(confidence[i], correct[i], {}, i);
  const std::vector<std::byte> bytes_a = worker_a.serialize(), bytes_b = worker_b.serialize();

  cal::calibration_bins merged;  // the identity of +=
  merged += cal::calibration_bins::deserialize(bytes_b);
  merged += cal::calibration_bins::deserialize(bytes_a);
  const cal::calibration_bins single = cal::make_bins(confidence, correct, cal::binning::equal_width, 15);
  const bool same = merged == single && cal::ece(merged) == cal::ece(single);
  std::printf("\nmerged from 2 workers (%zu + %zu bytes): ECE %.17g, %s the single pass\n", bytes_a.size(),
              bytes_b.size(), cal::ece(merged), same ? "identical to" : "DIFFERENT from");
  return same ? 0 : 1;
}
