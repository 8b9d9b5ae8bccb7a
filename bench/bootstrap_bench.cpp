// Bootstrap engine throughput: Poisson weights, per-replicate exact sums, finalisation, merge, serialisation.
// The headline figure (docs/bench_bootstrap.md) is BM_bootstrap_mean/1000/1000000: 1,000 replicates over
// 10^6 points, each point a row {x, 1} (the weighted sum and the weight total of a mean).
#include <benchmark/benchmark.h>

#include <stratum/stats/bootstrap.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace st = stratum::stats;

namespace {

std::vector<double> points(std::size_t n) {
  std::mt19937_64 gen(1);
  std::normal_distribution<double> d(10.0, 3.0);
  std::vector<double> x(n);
  for (auto& v : x) v = d(gen);
  return x;
}

double mean_of(std::span<const double> s) {
  return s[0] / s[1];
}

// Weights only: one Philox4x32-10 block per two replicates, inversion of the Poisson(1) CDF.
void BM_poisson_weights(benchmark::State& state) {
  const auto B = static_cast<std::uint32_t>(state.range(0));
  std::vector<std::uint8_t> w(B);
  std::uint64_t unit = 0;
  for (auto _ : state) {
    st::fill_poisson_weights(42, unit++, 0, std::span<std::uint8_t>(w));
    benchmark::DoNotOptimize(w.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * B);
  state.counters["ns_per_weight"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * B, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_poisson_weights)->Arg(1000);

// Full pipeline for a mean: add n rows {x, 1} to B replicates, then the replicate means and the percentile
// interval. Items = point x replicate pairs.
void BM_bootstrap_mean(benchmark::State& state) {
  const auto B = static_cast<std::uint32_t>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  const auto x = points(n);
  for (auto _ : state) {
    st::bootstrap_sums s(7, B, 2);
    for (std::size_t i = 0; i < n; ++i) s.add(i, {x[i], 1.0});
    const auto reps = s.replicate_statistics(mean_of);
    const auto ci = st::percentile_interval(reps, stratum::confidence{0.95});
    benchmark::DoNotOptimize(ci);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n) * B);
}
BENCHMARK(BM_bootstrap_mean)
    ->Args({1000, 100000})
    ->Args({1000, 1000000})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// Rows grouped in units (e.g. detections in frames): n rows in n / 10 units of 10 rows, added with add_rows,
// so the weights are drawn once per unit. Items = row x replicate pairs.
void BM_bootstrap_mean_grouped(benchmark::State& state) {
  const auto B = static_cast<std::uint32_t>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  const auto x = points(n);
  std::vector<double> block(20);
  for (auto _ : state) {
    st::bootstrap_sums s(7, B, 2);
    for (std::size_t u = 0; u < n / 10; ++u) {
      for (std::size_t k = 0; k < 10; ++k) {
        block[2 * k] = x[u * 10 + k];
        block[2 * k + 1] = 1.0;
      }
      s.add_rows(u, block);
    }
    const auto ci = st::percentile_interval(s.replicate_statistics(mean_of), stratum::confidence{0.95});
    benchmark::DoNotOptimize(ci);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n) * B);
}
BENCHMARK(BM_bootstrap_mean_grouped)->Args({1000, 1000000})->Unit(benchmark::kMillisecond)->Iterations(1);

// Finalisation alone: B replicate statistics (exact sums rounded) and the percentile interval.
void BM_bootstrap_finalize(benchmark::State& state) {
  const auto B = static_cast<std::uint32_t>(state.range(0));
  const auto x = points(1000);
  st::bootstrap_sums s(7, B, 2);
  for (std::size_t i = 0; i < x.size(); ++i) s.add(i, {x[i], 1.0});
  for (auto _ : state) {
    const auto ci = st::percentile_interval(s.replicate_statistics(mean_of), stratum::confidence{0.95});
    benchmark::DoNotOptimize(ci);
  }
}
BENCHMARK(BM_bootstrap_finalize)->Arg(1000)->Unit(benchmark::kMicrosecond);

// Merge and serialise/deserialise a B = 1000, width 2 state.
void BM_bootstrap_merge(benchmark::State& state) {
  const auto x = points(1000);
  st::bootstrap_sums a(7, 1000, 2), b(7, 1000, 2);
  for (std::size_t i = 0; i < x.size(); ++i) (i % 2 ? a : b).add(i, {x[i], 1.0});
  for (auto _ : state) {
    auto c = a;
    c += b;
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_bootstrap_merge)->Unit(benchmark::kMicrosecond);

void BM_bootstrap_serialize_roundtrip(benchmark::State& state) {
  const auto x = points(1000);
  st::bootstrap_sums a(7, 1000, 2);
  for (std::size_t i = 0; i < x.size(); ++i) a.add(i, {x[i], 1.0});
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto buf = a.serialize();
    bytes = buf.size();
    auto back = st::bootstrap_sums::deserialize(buf);
    benchmark::DoNotOptimize(back);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_bootstrap_serialize_roundtrip)->Unit(benchmark::kMicrosecond);

}  // namespace
BENCHMARK_MAIN();
