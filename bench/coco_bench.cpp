// Component benchmarks of the COCO core: the IoU kernel, matching, accumulation, JSON parsing and the whole
// pipeline. Input: the files named by STRATUM_BENCH_GT / STRATUM_BENCH_DT, or the `large` conformance case
// (3,000 images, 20 categories, 32,640 detections).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <string>

#include <stratum/coco/evaluator.hpp>
#include <stratum/io/coco_json.hpp>

using namespace stratum;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
const std::string kGt = env_or("STRATUM_BENCH_GT", STRATUM_SOURCE_DIR "/tests/data/coco/large/gt.json");
const std::string kDt = env_or("STRATUM_BENCH_DT", STRATUM_SOURCE_DIR "/tests/data/coco/large/dt.json");

struct data_set {
  coco::ground_truth gt;
  coco::detection_set dt;
  coco::resolved_params p;
  data_set()
      : gt(io::load_coco_ground_truth(kGt)),
        dt(io::load_coco_results(kDt, gt)),
        p(coco::resolve_params(gt, {})) {}
};
const data_set& data() {
  static const data_set d;
  return d;
}

void BM_IouRow(benchmark::State& st) {
  const auto n = static_cast<std::size_t>(st.range(0));
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 500), s(1, 100);
  std::vector<double> x(n), y(n), w(n), h(n), out(n);
  std::vector<unsigned char> crowd(n, 0);
  for (std::size_t i = 0; i < n; ++i) x[i] = u(rng), y[i] = u(rng), w[i] = s(rng), h[i] = s(rng);
  coco::gt_boxes boxes;
  boxes.assign(n, x.data(), y.data(), w.data(), h.data(), crowd.data());
  for (auto _ : st) {
    boxes.iou_row(100.5, 120.25, 50, 60, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n));
}
BENCHMARK(BM_IouRow)->Arg(4)->Arg(16)->Arg(64)->Arg(256);

void BM_Match(benchmark::State& st) {
  const auto& d = data();
  const coco::grouped_data g(d.gt, d.dt, d.p);
  const coco::acc_dims dims = d.p.dims();
  for (auto _ : st) {
    coco::exact_accumulator acc(dims);
    coco::match_images(g, d.p, 0, g.images(), acc);
    benchmark::DoNotOptimize(acc);
  }
  st.counters["dets/s"] =
      benchmark::Counter(static_cast<double>(d.dt.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Match)->Unit(benchmark::kMillisecond);

void BM_Accumulate(benchmark::State& st) {
  const auto& d = data();
  const auto acc = coco::accumulate(d.gt, d.dt, d.p);
  for (auto _ : st) {
    auto e = acc.finalize(d.p);
    benchmark::DoNotOptimize(e.precision.data());
  }
}
BENCHMARK(BM_Accumulate)->Unit(benchmark::kMillisecond);

void BM_ParseResults(benchmark::State& st) {
  const auto& d = data();
  for (auto _ : st) {
    auto dt = io::load_coco_results(kDt, d.gt);
    benchmark::DoNotOptimize(dt.score.data());
  }
}
BENCHMARK(BM_ParseResults)->Unit(benchmark::kMillisecond);

void BM_EndToEnd(benchmark::State& st) {
  for (auto _ : st) {
    const auto gt = io::load_coco_ground_truth(kGt);
    const auto dt = io::load_coco_results(kDt, gt);
    const auto ev = coco::evaluate(gt, dt, {}, static_cast<unsigned>(st.range(0)));
    benchmark::DoNotOptimize(ev.stats);
  }
}
BENCHMARK(BM_EndToEnd)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
