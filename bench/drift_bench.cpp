// Benchmarks of the drift statistics: exact and asymptotic KS, MMD with permutations, Wasserstein, histogram
// and quantile-sketch fills and merges. Figures and the measuring setup are recorded in docs/bench_drift.md.
#include <stratum/stats/divergence.hpp>
#include <stratum/stats/embedding_drift.hpp>
#include <stratum/stats/histogram.hpp>
#include <stratum/stats/ks.hpp>
#include <stratum/stats/quantile_sketch.hpp>

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace {

using namespace stratum::stats;

std::vector<double> normal_sample(std::size_t n, double shift, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> nd(shift, 1.0);
  std::vector<double> v(n);
  for (auto& x : v) x = nd(g);
  return v;
}

// Exact two-sided KS on samples of sizes n and m (shift 0.1: a moderate statistic, so a realistic band
// width).
void BM_ks_exact_two_sided(benchmark::State& st) {
  const auto x = normal_sample(static_cast<std::size_t>(st.range(0)), 0.0, 1);
  const auto y = normal_sample(static_cast<std::size_t>(st.range(1)), 0.1, 2);
  for (auto _ : st)
    benchmark::DoNotOptimize(ks_2samp(x, y, ks_alternative::two_sided, ks_method::exact).p_value);
}
BENCHMARK(BM_ks_exact_two_sided)
    ->Args({1000, 1000})
    ->Args({1000, 999})
    ->Args({5000, 4999})
    ->Args({10000, 9999})
    ->Args({10000, 10000})
    ->Unit(benchmark::kMillisecond);

void BM_ks_exact_one_sided(benchmark::State& st) {
  const auto x = normal_sample(static_cast<std::size_t>(st.range(0)), 0.0, 1);
  const auto y = normal_sample(static_cast<std::size_t>(st.range(1)), 0.1, 2);
  for (auto _ : st)
    benchmark::DoNotOptimize(ks_2samp(x, y, ks_alternative::greater, ks_method::exact).p_value);
}
BENCHMARK(BM_ks_exact_one_sided)->Args({1000, 999})->Args({5000, 4999})->Unit(benchmark::kMillisecond);

void BM_ks_asymptotic(benchmark::State& st) {
  const auto x = normal_sample(static_cast<std::size_t>(st.range(0)), 0.0, 1);
  const auto y = normal_sample(static_cast<std::size_t>(st.range(0)), 0.01, 2);
  for (auto _ : st)
    benchmark::DoNotOptimize(ks_2samp(x, y, ks_alternative::two_sided, ks_method::asymptotic).p_value);
}
BENCHMARK(BM_ks_asymptotic)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

// The p-value alone (no sorting): kstwo.sf at n d^2 = 1 (Durbin matrix / Pelz-Good) and = 3 (Smirnov sum).
void BM_kolmogorov_n_sf(benchmark::State& st) {
  const auto n = st.range(0);
  const double d = std::sqrt(static_cast<double>(st.range(1)) / static_cast<double>(n));
  for (auto _ : st) benchmark::DoNotOptimize(kolmogorov_n_sf(n, d));
}
BENCHMARK(BM_kolmogorov_n_sf)
    ->Args({1000, 1})
    ->Args({100000, 1})
    ->Args({1000, 3})
    ->Args({100000, 3})
    ->Unit(benchmark::kMicrosecond);

Eigen::MatrixXd gaussian_points(Eigen::Index n, Eigen::Index d, double shift, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> nd(0.0, 1.0);
  Eigen::MatrixXd m(n, d);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < d; ++j) m(i, j) = nd(g) + shift;
  return m;
}

// MMD^2 (unbiased, median bandwidth) of 2 x n points of dimension d with B permutations.
void BM_mmd(benchmark::State& st) {
  const auto n = st.range(0), d = st.range(1);
  const auto x = gaussian_points(n, d, 0.0, 1), y = gaussian_points(n, d, 0.05, 2);
  mmd_options o;
  o.permutations = static_cast<std::size_t>(st.range(2));
  o.seed = 7;
  for (auto _ : st) benchmark::DoNotOptimize(mmd(x, y, o).p_value);
}
BENCHMARK(BM_mmd)
    ->Args({2000, 64, 0})
    ->Args({2000, 64, 200})
    ->Args({500, 64, 200})
    ->Unit(benchmark::kMillisecond);

void BM_centroid_shift(benchmark::State& st) {
  const auto b = gaussian_points(10000, st.range(0), 0.0, 1), w = gaussian_points(1000, st.range(0), 0.1, 2);
  for (auto _ : st) benchmark::DoNotOptimize(centroid_shift(b, w).mahalanobis);
}
BENCHMARK(BM_centroid_shift)->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);

void BM_wasserstein(benchmark::State& st) {
  const auto x = normal_sample(static_cast<std::size_t>(st.range(0)), 0.0, 1);
  const auto y = normal_sample(static_cast<std::size_t>(st.range(0)), 0.1, 2);
  for (auto _ : st) benchmark::DoNotOptimize(wasserstein_distance(x, y));
  st.SetItemsProcessed(st.iterations() * 2 * st.range(0));
}
BENCHMARK(BM_wasserstein)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_histogram_fill(benchmark::State& st) {
  const auto x = normal_sample(1000000, 0.0, 1);
  const auto edges = histogram::uniform(-4, 4, static_cast<std::size_t>(st.range(0))).edges();
  for (auto _ : st) {
    histogram h(edges);
    h.add(x);
    benchmark::DoNotOptimize(h.total());
  }
  st.SetItemsProcessed(st.iterations() * 1000000);
}
BENCHMARK(BM_histogram_fill)->Arg(10)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_sketch_fill(benchmark::State& st) {
  const auto x = normal_sample(1000000, 0.0, 1);
  for (auto _ : st) {
    quantile_sketch s(static_cast<int>(st.range(0)));
    s.add(x);
    benchmark::DoNotOptimize(s.count());
  }
  st.SetItemsProcessed(st.iterations() * 1000000);
}
BENCHMARK(BM_sketch_fill)->Arg(7)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_sketch_merge_query(benchmark::State& st) {
  quantile_sketch a(7), b(7);
  a.add(normal_sample(1000000, 0.0, 1));
  b.add(normal_sample(1000000, 0.1, 2));
  for (auto _ : st) {
    auto c = a;
    c += b;
    benchmark::DoNotOptimize(c.quantile(0.99));
    benchmark::DoNotOptimize(ks_2samp(a, b).statistic);
    benchmark::DoNotOptimize(wasserstein_distance(a, b).distance);
  }
}
BENCHMARK(BM_sketch_merge_query)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
