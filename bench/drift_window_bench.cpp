// The drift of a window against a baseline (baseline/profile.hpp, baseline/drift.hpp): counting a window's
// frames into its drift profile (detections per second, with the slicing of the demo: weather, time of day,
// rig), with embeddings of 0 to 256 values (frames per second), and the comparison of a window's profile with
// the baseline's (per comparison). Frames are built in
// memory beforehand, so reading and parsing are not measured here (the whole process: docs/benchmarks.md).
#include <stratum/baseline/drift.hpp>
#include <stratum/baseline/profile.hpp>

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace {

using namespace stratum;

std::vector<std::int64_t> category_ids(int k) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < k; ++i) ids.push_back(1 + i + i / 8);
  return ids;
}

const std::vector<coco::slice_spec> slicing = {{{"weather"}}, {{"timeofday"}}, {{"rig"}}};

// n frames of about 50 detections each, k categories, three attributes.
std::vector<frame> make_frames(std::size_t n, int k, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const char* weather[] = {"clear", "overcast", "rain", "snow", "fog"};
  const char* tod[] = {"day", "dusk", "night"};
  const char* rig[] = {"rig_a", "rig_b", "rig_c"};
  const auto ids = category_ids(k);
  std::vector<frame> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& f = out[i];
    f.id = static_cast<std::int64_t>(i);
    f.attrs = {{"weather", weather[g() % 5]}, {"timeofday", tod[g() % 3]}, {"rig", rig[g() % 3]}};
    for (int d = static_cast<int>(25 + g() % 50); d > 0; --d)
      f.dt.add(ids[g() % ids.size()], 0, 0, 4 + 300 * u(g) * u(g), 4 + 200 * u(g) * u(g), u(g) * u(g));
  }
  return out;
}

baseline::binning bins_of(const std::vector<frame>& frames, int k) {
  baseline::profile p(category_ids(k), slicing);
  for (const auto& f : frames) p.add(f);
  return p.quantile_binning(10);
}

// Detections per second counted into a window's profile (k categories).
void BM_profile_add(benchmark::State& st) {
  const int k = static_cast<int>(st.range(0));
  const auto frames = make_frames(2000, k, 1);
  const auto bins = bins_of(frames, k);
  std::size_t dets = 0;
  for (const auto& f : frames) dets += f.dt.size();
  for (auto _ : st) {
    baseline::profile p(category_ids(k), slicing, bins);
    for (const auto& f : frames) p.add(f);
    benchmark::DoNotOptimize(p.sets().size());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * dets));
}
BENCHMARK(BM_profile_add)->Arg(10)->Arg(80)->Unit(benchmark::kMillisecond);

// Frames per second counted into a window's profile when each frame carries an embedding of d values (10
// categories, the detections as above; d = 0: none, the same frames): the cost of the embedding moments (d +
// 32 integers and their products per frame and set).
void BM_profile_add_embedding(benchmark::State& st) {
  const auto d = static_cast<std::size_t>(st.range(0));
  auto frames = make_frames(2000, 10, 1);
  std::mt19937_64 g(3);
  std::normal_distribution<double> z(0, 1);
  baseline::embedding_scan scan;
  for (auto& f : frames) {
    f.embedding.resize(d);
    for (auto& x : f.embedding) x = z(g);
    scan.add(f);
  }
  const auto bins = bins_of(frames, 10);
  const auto shape = scan.shape();
  for (auto _ : st) {
    baseline::profile p(category_ids(10), slicing, bins, shape);
    for (const auto& f : frames) p.add(f);
    benchmark::DoNotOptimize(p.sets().size());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * frames.size()));
}
BENCHMARK(BM_profile_add_embedding)->Arg(0)->Arg(16)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond);

// One comparison of a window's profile with the baseline's (every test of every set; k categories).
void BM_compare(benchmark::State& st) {
  const int k = static_cast<int>(st.range(0));
  const auto base_frames = make_frames(4000, k, 1), window_frames = make_frames(500, k, 2);
  const auto bins = bins_of(base_frames, k);
  baseline::profile base(category_ids(k), slicing, bins), window(category_ids(k), slicing, bins);
  for (const auto& f : base_frames) base.add(f);
  for (const auto& f : window_frames) window.add(f);
  std::vector<coco::category_info> cats;
  for (const auto id : category_ids(k)) cats.push_back({id, "c"});
  for (auto _ : st) benchmark::DoNotOptimize(baseline::compare(base, window, cats).tests.size());
}
BENCHMARK(BM_compare)->Arg(10)->Arg(80)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
