// Throughput of the proportion statistics: one call per slice, so the per-call latency is what matters when
// an audit reports thousands of slices x classes.
#include <benchmark/benchmark.h>

#include <stratum/stats/multiple_testing.hpp>
#include <stratum/stats/proportion.hpp>
#include <stratum/stats/sample_size.hpp>
#include <stratum/stats/two_proportions.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace ss = stratum::stats;

namespace {

template <class F>
void run_interval(benchmark::State& state, F&& f) {
  const auto n = static_cast<std::int64_t>(state.range(0));
  std::int64_t x = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f(x, n));
    x = (x + 7919) % (n + 1);
  }
  state.SetItemsProcessed(state.iterations());
}

void bm_wald(benchmark::State& s) {
  run_interval(s, [](auto x, auto n) { return ss::wald_interval(x, n); });
}
void bm_wilson(benchmark::State& s) {
  run_interval(s, [](auto x, auto n) { return ss::wilson_interval(x, n); });
}
void bm_agresti_coull(benchmark::State& s) {
  run_interval(s, [](auto x, auto n) { return ss::agresti_coull_interval(x, n); });
}
void bm_clopper_pearson(benchmark::State& s) {
  run_interval(s, [](auto x, auto n) { return ss::clopper_pearson_interval(x, n); });
}
void bm_jeffreys(benchmark::State& s) {
  run_interval(s, [](auto x, auto n) { return ss::jeffreys_interval(x, n); });
}
void bm_zero_failure_bound(benchmark::State& s) {
  run_interval(s, [](auto, auto n) { return ss::zero_failure_upper_bound(n); });
}

void bm_newcombe(benchmark::State& state) {
  std::int64_t x = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ss::newcombe_interval(x, 1000, 37, 1200));
    x = (x + 13) % 1001;
  }
  state.SetItemsProcessed(state.iterations());
}

void bm_z_test(benchmark::State& state) {
  std::int64_t x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ss::two_proportion_z_test(x, 100000, 500, 120000));
    x = 1 + (x + 97) % 2000;
  }
  state.SetItemsProcessed(state.iterations());
}

// Fisher's exact test on a table whose rows hold range(0) trials each, with failure counts near 1%.
void bm_fisher(benchmark::State& state) {
  const auto n = static_cast<std::int64_t>(state.range(0));
  const std::int64_t a = n / 100;
  std::int64_t c = n / 90;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ss::fisher_exact(a, n - a, c, n - c));
    c = c % (n / 50) + 1;
  }
  state.SetItemsProcessed(state.iterations());
}

void bm_adjust(benchmark::State& state, ss::p_value_adjustment method) {
  std::mt19937_64 gen(1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> p(static_cast<std::size_t>(state.range(0)));
  for (auto& v : p) v = u(gen) * u(gen);
  for (auto _ : state)
    benchmark::DoNotOptimize(ss::adjust_p_values(p, method, stratum::confidence::from_alpha(0.05)));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void bm_wilson_sample_size(benchmark::State& state) {
  double rate = 0.001;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ss::wilson_sample_size(rate, 0.001));
    rate = rate < 0.5 ? rate * 1.01 : 0.001;
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(bm_wald)->Arg(1000)->Arg(1000000000);
BENCHMARK(bm_wilson)->Arg(1000)->Arg(1000000000);
BENCHMARK(bm_agresti_coull)->Arg(1000);
BENCHMARK(bm_clopper_pearson)->Arg(1000)->Arg(1000000000);
BENCHMARK(bm_jeffreys)->Arg(1000)->Arg(1000000000);
BENCHMARK(bm_zero_failure_bound)->Arg(1000);
BENCHMARK(bm_newcombe);
BENCHMARK(bm_z_test);
BENCHMARK(bm_fisher)->Arg(1000)->Arg(100000)->Arg(10000000);
BENCHMARK_CAPTURE(bm_adjust, holm, ss::p_value_adjustment::holm)->Arg(1000);
BENCHMARK_CAPTURE(bm_adjust, benjamini_hochberg, ss::p_value_adjustment::benjamini_hochberg)->Arg(1000);
BENCHMARK(bm_wilson_sample_size);
BENCHMARK_MAIN();
