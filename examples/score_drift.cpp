// Drift of a deployed detector against its frozen validation baseline, without labels: the confidence scores
// (KS, Wasserstein-1, PSI / Jensen-Shannon / Hellinger from mergeable histograms, the same distances from
// quantile sketches), the predicted-class frequencies (chi-square) and the detection embeddings (centroid
// shift, MMD).
//
//   example_score_drift
//
// The data are synthetic and fixed by the seed: baseline scores are logistic(N(1.2, 1)), deployed scores
// logistic(N(1.0, 1.1)) (a model a little less sure of itself, e.g. in haze), and the deployed window mixes
// the classes differently. The deployed window arrives as two shifts, each summarised on its own and merged.
// Exit status 1 if a merged state differs from the single-pass one or an exact statistic falls outside the
// bounds the sketches certify.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include <Eigen/Dense>

#include <stratum/stats/chi_square.hpp>
#include <stratum/stats/divergence.hpp>
#include <stratum/stats/embedding_drift.hpp>
#include <stratum/stats/histogram.hpp>
#include <stratum/stats/ks.hpp>
#include <stratum/stats/quantile_sketch.hpp>

namespace ss = stratum::stats;

namespace {

// std::mt19937_64's output is fixed by the C++ standard, its distributions are not: the conversions are
// spelled out so that every platform draws the same data.
class sampler {
 public:
  explicit sampler(std::uint64_t seed) : g_(seed) {}
  double uniform() { return static_cast<double>(g_() >> 11) * 0x1p-53; }  // [0, 1)
  double normal() {                                                       // Box-Muller, one draw per call
    const double pi = 3.14159265358979323846;
    const double r = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    return r * std::cos(2.0 * pi * uniform());
  }

 private:
  std::mt19937_64 g_;
};

struct detections {
  std::vector<double> scores;
  std::vector<double> class_counts;  // car, pedestrian, cyclist, truck
};

detections draw(sampler& s, std::size_t n, double mu, double sigma, const std::vector<double>& class_cdf) {
  detections d;
  d.class_counts.assign(class_cdf.size(), 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    d.scores.push_back(1.0 / (1.0 + std::exp(-(mu + sigma * s.normal()))));
    const double u = s.uniform();
    std::size_t k = 0;
    while (k + 1 < class_cdf.size() && u >= class_cdf[k]) ++k;
    d.class_counts[k] += 1;
  }
  return d;
}

}  // namespace

int main() {
  sampler rng(20240611);
  const detections base = draw(rng, 6000, 1.2, 1.0, {0.55, 0.80, 0.88, 1.0});
  const detections shift1 = draw(rng, 2000, 1.0, 1.1, {0.50, 0.80, 0.86, 1.0});
  const detections shift2 = draw(rng, 2000, 1.0, 1.1, {0.50, 0.80, 0.86, 1.0});
  std::vector<double> deployed = shift1.scores;
  deployed.insert(deployed.end(), shift2.scores.begin(), shift2.scores.end());
  int status = 0;

  // Exact two-sample statistics on the raw scores (needs both samples in memory).
  const ss::ks_result ks = ss::ks_2samp(base.scores, deployed);
  const double w1 = ss::wasserstein_distance(base.scores, deployed);
  std::printf("scores: baseline %zu, deployed %zu (two shifts of 2000)\n", base.scores.size(),
              deployed.size());
  std::printf("  KS D = %.4f, p = %.3g (%s), at score %.3f\n", ks.statistic, ks.p_value,
              ks.method == ss::ks_method::exact ? "exact" : "asymptotic", ks.location);
  std::printf("  Wasserstein-1 = %.5f\n", w1);

  // Mergeable histograms: each shift is binned where it runs, the states are merged. Two binnings: 20 equal-
  // width bins on [0, 1], and 10 bins at the baseline's deciles (equal mass under the baseline).
  struct binning {
    const char* name;
    std::vector<double> edges;
  };
  const binning binnings[] = {{"equal-width", ss::histogram::uniform(0.0, 1.0, 20).edges()},
                              {"decile", ss::quantile_edges(base.scores, 10)}};
  for (const auto& [name, edges] : binnings) {
    ss::histogram h_base(edges), h1(edges), h2(edges), h_once(edges);
    h_base.add(base.scores);
    h1.add(shift1.scores);
    h2.add(shift2.scores);
    h_once.add(deployed);
    const ss::histogram h_deployed = h1 + h2;  // one histogram per shift, merged
    if (!(h_deployed == h_once)) status = 1;
    const double psi = ss::psi(h_base, h_deployed);
    const double js = ss::js_distance(h_base, h_deployed, /*eps=*/0.0, /*base=*/2.0);
    const double hellinger = ss::hellinger_distance(h_base, h_deployed);
    std::printf("  %2zu %-11s bins: PSI = %.4f, JS distance (base 2) = %.4f, Hellinger = %.4f\n",
                h_base.bins(), name, psi, js, hellinger);
  }

  // Quantile sketches: bounded memory for unbounded streams. KS and W1 come with certified bounds, checked
  // here against the exact values above.
  ss::quantile_sketch q_base, q1, q2;
  q_base.add(base.scores);
  q1.add(shift1.scores);
  q2.add(shift2.scores);
  const ss::quantile_sketch q_deployed = q1 + q2;
  ss::quantile_sketch q_once;
  q_once.add(deployed);
  if (!(q_deployed == q_once)) status = 1;
  const ss::sketch_ks_result sks = ss::ks_2samp(q_base, q_deployed);
  const ss::sketch_wasserstein_result sw = ss::wasserstein_distance(q_base, q_deployed);
  std::printf("  sketches (%zu + %zu buckets): KS D in [%.4f, %.4f], p in [%.3g, %.3g]; W1 = %.5f +- %.5f\n",
              q_base.bucket_count(), q_deployed.bucket_count(), sks.statistic, sks.upper_bound,
              sks.p_value_at_upper, sks.p_value, sw.distance, sw.error_bound);
  std::printf("  median score: baseline %.3f, deployed %.3f\n", q_base.quantile(0.5),
              q_deployed.quantile(0.5));
  if (!(sks.statistic <= ks.statistic && ks.statistic <= sks.upper_bound)) status = 1;
  if (!(std::abs(sw.distance - w1) <= sw.error_bound)) status = 1;

  // Predicted-class frequencies: a 4 x 2 table (classes x {baseline, deployed}), row-major.
  std::vector<double> table;
  for (std::size_t k = 0; k < base.class_counts.size(); ++k)
    table.insert(table.end(), {base.class_counts[k], shift1.class_counts[k] + shift2.class_counts[k]});
  const ss::chi_square_result chi = ss::chi_square_homogeneity(table, base.class_counts.size(), 2);
  std::printf("classes (car, pedestrian, cyclist, truck): chi-square = %.2f, dof = %zu, p = %.3g\n",
              chi.statistic, chi.dof, chi.p_value);

  // Embeddings (rows = detections): 8 dimensions, the deployed window shifted by 0.3 sd in two of them.
  Eigen::MatrixXd emb_base(300, 8), emb_window(200, 8);
  for (Eigen::Index i = 0; i < emb_base.rows(); ++i)
    for (Eigen::Index j = 0; j < 8; ++j) emb_base(i, j) = rng.normal();
  for (Eigen::Index i = 0; i < emb_window.rows(); ++i)
    for (Eigen::Index j = 0; j < 8; ++j) emb_window(i, j) = rng.normal() + (j < 2 ? 0.3 : 0.0);
  const ss::centroid_shift_result cs = ss::centroid_shift(emb_base, emb_window);
  ss::mmd_options opt;
  opt.permutations = 200;
  opt.seed = 7;
  const ss::mmd_result m = ss::mmd(emb_base, emb_window, opt);
  std::printf(
      "embeddings: Mahalanobis = %.3f, max |z| = %.2f; MMD^2 = %.5f (sigma %.3f), permutation p = %.3g\n",
      cs.mahalanobis, cs.max_abs_z, m.mmd2, m.bandwidth, m.p_value);

  if (status != 0) std::fprintf(stderr, "error: merged or sketched state disagrees with the single pass\n");
  return status;
}
