// Streaming COCO evaluation: frames generated on the fly (fixed counter-based RNG, no files), matched and fed
// to the exact or the bounded-memory binned accumulator.
//   BM_Generate             the frame generator alone (a baseline to subtract)
//   BM_Stream<mode>/threads  streaming throughput (generate + match + accumulate), 1 or 2 threads, each with
//                            its own matcher and accumulator, merged at the end; frames/s, dets/s, dets/cpu-s
//   BM_Ingest<mode>          the accumulator alone: add_detection of pre-matched records
//   BM_Finalize<mode>        finalize after 1e6 detections
//   BM_PeakRss<mode>/dets    peak RSS while streaming 1e5 .. 1e7 detections: VmHWM of /proc/self/status after
//                            resetting it (echo 5 > /proc/self/clear_refs) before the run
// `coco_stream_bench --rss-only=<exact|binned>:<detections>` streams once in a fresh process, prints VmHWM
// and exits (docs/bench_stream.md runs it for every size). Figures and method: docs/bench_stream.md.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <stratum/coco/binned.hpp>
#include <stratum/coco/matcher.hpp>

using namespace stratum;

namespace {

constexpr std::size_t kCategories = 10;
constexpr std::uint64_t kSeed = 20240601;

// splitmix64 keyed by (seed, frame): every frame is the same whichever thread makes it
struct rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

// One frame: per category 0-2 ground truths (1% crowd), each found with probability 0.85 by a jittered box
// scored in [0.3, 1), plus 0-2 background boxes scored in [0, 0.6); sizes log-uniform in [4, 300] px so every
// COCO area range is populated. About 10 ground truths and 18.5 detections per frame.
class frame_generator {
 public:
  std::size_t make(std::uint64_t frame) {
    rng r{kSeed ^ (frame * 0xd1b54a32d192ed03ull)};
    for (auto* v : {&gx_, &gy_, &gw_, &gh_, &garea_, &dx_, &dy_, &dw_, &dh_, &ds_}) v->clear();
    gcrowd_.clear(), gid_.clear();
    auto size = [&r] { return 4.0 * std::exp(r.unit() * std::log(75.0)); };
    for (std::size_t k = 0; k < kCategories; ++k) {
      goff_[k] = gx_.size(), doff_[k] = dx_.size();
      const std::size_t ng = r.below(3), nb = r.below(3);
      for (std::size_t g = 0; g < ng; ++g) {
        const double x = r.unit() * 600, y = r.unit() * 400, w = size(), h = size();
        gx_.push_back(x), gy_.push_back(y), gw_.push_back(w), gh_.push_back(h), garea_.push_back(w * h);
        gcrowd_.push_back(r.below(100) == 0);
        gid_.push_back(static_cast<std::int64_t>(frame * 64 + gid_.size() + 1));
        if (r.unit() < 0.85) {
          dx_.push_back(x + (r.unit() - 0.5) * 0.3 * w), dy_.push_back(y + (r.unit() - 0.5) * 0.3 * h);
          dw_.push_back(w * (0.8 + 0.4 * r.unit())), dh_.push_back(h * (0.8 + 0.4 * r.unit()));
          ds_.push_back(0.3 + 0.7 * r.unit());
        }
      }
      for (std::size_t b = 0; b < nb; ++b) {
        dx_.push_back(r.unit() * 600), dy_.push_back(r.unit() * 400), dw_.push_back(size()),
            dh_.push_back(size());
        ds_.push_back(0.6 * r.unit());
      }
    }
    goff_[kCategories] = gx_.size(), doff_[kCategories] = dx_.size();
    return dx_.size();
  }
  [[nodiscard]] coco::gt_span gts(std::size_t k) const noexcept {
    const auto b = goff_[k];
    return {goff_[k + 1] - b, gx_.data() + b,    gy_.data() + b,     gw_.data() + b,
            gh_.data() + b,   garea_.data() + b, gcrowd_.data() + b, gid_.data() + b};
  }
  [[nodiscard]] coco::dt_span dts(std::size_t k) const noexcept {
    const auto b = doff_[k];
    return {doff_[k + 1] - b, dx_.data() + b, dy_.data() + b, dw_.data() + b, dh_.data() + b, ds_.data() + b};
  }

 private:
  std::vector<double> gx_, gy_, gw_, gh_, garea_, dx_, dy_, dw_, dh_, ds_;
  std::vector<unsigned char> gcrowd_;
  std::vector<std::int64_t> gid_;
  std::size_t goff_[kCategories + 1]{}, doff_[kCategories + 1]{};
};

const coco::resolved_params& stream_params() {
  static const coco::resolved_params p = [] {
    coco::params q;
    for (std::size_t k = 0; k < kCategories; ++k) q.cat_ids.push_back(static_cast<std::int64_t>(k + 1));
    return coco::resolve_params(q);
  }();
  return p;
}

struct exact_mode {
  static constexpr const char* name = "exact";
  static coco::exact_accumulator make(const coco::resolved_params& p) {
    return coco::exact_accumulator(p.dims());
  }
};
struct binned_mode {
  static constexpr const char* name = "binned";
  static coco::binned_accumulator make(const coco::resolved_params& p) {
    return coco::binned_accumulator(p, 1000);
  }
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Streams frames [f0, f1) into acc; returns the number of detections generated.
template <class Acc>
std::uint64_t stream(Acc& acc, std::uint64_t f0, std::uint64_t f1, frame_generator& gen, coco::matcher& mt) {
  std::uint64_t dets = 0;
  for (std::uint64_t f = f0; f < f1; ++f) {
    dets += gen.make(f);
    for (std::size_t k = 0; k < kCategories; ++k)
      mt.match(gen.gts(k), gen.dts(k), static_cast<std::int64_t>(f), k, acc);
  }
  return dets;
}

// Streams frames until `target` detections; returns frames used.
template <class Acc>
std::uint64_t stream_detections(Acc& acc, std::uint64_t target) {
  frame_generator gen;
  coco::matcher mt(stream_params());
  std::uint64_t dets = 0, f = 0;
  while (dets < target) dets += stream(acc, f, f + 1, gen, mt), ++f;
  return f;
}

void BM_Generate(benchmark::State& st) {
  frame_generator gen;
  const std::uint64_t frames = 10000;
  std::uint64_t f = 0, dets = 0;
  for (auto _ : st)
    for (std::uint64_t i = 0; i < frames; ++i) dets += gen.make(f++);
  st.counters["frames/s"] = benchmark::Counter(static_cast<double>(f), benchmark::Counter::kIsRate);
  st.counters["dets/s"] = benchmark::Counter(static_cast<double>(dets), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Generate)->Unit(benchmark::kMillisecond)->UseRealTime();

// Every iteration streams `frames` new frames split over `threads` workers; each worker keeps its own matcher
// and accumulator for the whole run (the states are built before the timed loop and merged after it:
// merge_ms). 10 iterations of 10,000 frames: 1.86 million detections (the exact states reach about 160 MB).
template <class Mode>
void BM_Stream(benchmark::State& st) {
  const auto threads = static_cast<unsigned>(st.range(0));
  const std::uint64_t frames = 10000;
  const auto& p = stream_params();
  std::vector<decltype(Mode::make(p))> parts;
  for (unsigned t = 0; t < threads; ++t) parts.push_back(Mode::make(p));
  std::vector<frame_generator> gens(threads);
  std::vector<coco::matcher> matchers(threads, coco::matcher(p));
  std::uint64_t next = 0, dets_total = 0, frames_total = 0;
  std::vector<std::uint64_t> dets(threads, 0);
  std::vector<double> cpu(threads, 0);
  for (auto _ : st) {
    auto work = [&](unsigned t) {
      const double c0 = thread_cpu_seconds();
      dets[t] += stream(parts[t], next + frames * t / threads, next + frames * (t + 1) / threads, gens[t],
                        matchers[t]);
      cpu[t] += thread_cpu_seconds() - c0;
    };
    if (threads == 1) {
      work(0);
    } else {
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work, t);
      for (auto& th : pool) th.join();
    }
    next += frames, frames_total += frames;
  }
  const auto m0 = std::chrono::steady_clock::now();
  for (unsigned t = 1; t < threads; ++t) parts[0].merge(parts[t]);
  benchmark::DoNotOptimize(parts[0]);
  const double merge_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - m0).count();
  double worker_cpu = 0;
  for (unsigned t = 0; t < threads; ++t) dets_total += dets[t], worker_cpu += cpu[t];
  st.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames_total), benchmark::Counter::kIsRate);
  st.counters["dets/s"] = benchmark::Counter(static_cast<double>(dets_total), benchmark::Counter::kIsRate);
  // per core: detections over the CPU time the workers themselves used (insensitive to other load)
  st.counters["dets/cpu-s"] = static_cast<double>(dets_total) / worker_cpu;
  st.counters["merge_ms"] = merge_ms;
}
BENCHMARK_TEMPLATE(BM_Stream, exact_mode)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_Stream, binned_mode)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The accumulator alone: the records of 10,000 matched frames (186,000 detections) fed one by one with
// add_detection (the exact state is cleared between iterations, keeping its capacity).
template <class Mode>
void BM_Ingest(benchmark::State& st) {
  const auto& p = stream_params();
  auto records = exact_mode::make(p);
  {
    frame_generator gen;
    coco::matcher mt(p);
    stream(records, 0, 10000, gen, mt);
  }
  auto acc = Mode::make(p);
  const std::size_t A = p->area_rngs.size();
  for (auto _ : st) {
    if constexpr (std::is_same_v<Mode, exact_mode>) acc.clear();
    for (std::size_t k = 0; k < kCategories; ++k) {
      const auto& c = records.categories()[k];
      for (std::size_t j = 0; j < c.size(); ++j)
        acc.add_detection(k, c.score[j], c.image[j], c.rank[j], c.tp.data() + j * A, c.fp.data() + j * A);
    }
    benchmark::DoNotOptimize(acc);
  }
  st.counters["dets/s"] = benchmark::Counter(static_cast<double>(records.detections()),
                                             benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_TEMPLATE(BM_Ingest, exact_mode)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Ingest, binned_mode)->Unit(benchmark::kMillisecond);

template <class Mode>
void BM_Finalize(benchmark::State& st) {
  const auto& p = stream_params();
  auto acc = Mode::make(p);
  stream_detections(acc, 1000000);
  for (auto _ : st) {
    auto e = acc.finalize(p);
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK_TEMPLATE(BM_Finalize, exact_mode)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Finalize, binned_mode)->Unit(benchmark::kMillisecond);

// kB of a "VmHWM:" / "VmRSS:" line of /proc/self/status, or -1
long proc_status_kb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const auto n = std::strlen(key);
  while (std::getline(in, line))
    if (line.compare(0, n, key) == 0) return std::strtol(line.c_str() + n, nullptr, 10);
  return -1;
}
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

template <class Mode>
void BM_PeakRss(benchmark::State& st) {
  const auto target = static_cast<std::uint64_t>(st.range(0));
  const auto& p = stream_params();
  for (auto _ : st) {
    st.PauseTiming();
    const bool reset = reset_peak_rss();
    const long before = proc_status_kb("VmHWM:");
    st.ResumeTiming();
    auto acc = Mode::make(p);
    const auto frames = stream_detections(acc, target);
    benchmark::DoNotOptimize(acc);
    st.PauseTiming();
    const long after = proc_status_kb("VmHWM:");
    st.counters["frames"] = static_cast<double>(frames);
    st.counters["peak_rss_MiB"] = static_cast<double>(after) / 1024.0;
    st.counters["hwm_growth_MiB"] = reset ? static_cast<double>(after - before) / 1024.0 : -1.0;
    st.ResumeTiming();
  }
  st.counters["dets/s"] = benchmark::Counter(static_cast<double>(target), benchmark::Counter::kIsRate);
}
BENCHMARK_TEMPLATE(BM_PeakRss, binned_mode)
    ->Arg(100000)
    ->Arg(1000000)
    ->Arg(10000000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// the exact state keeps 84 bytes per detection (plus vector growth): 1e7 would take ~1.7 GB, so stop at 1e6
BENCHMARK_TEMPLATE(BM_PeakRss, exact_mode)
    ->Arg(100000)
    ->Arg(1000000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --rss-only=<exact|binned>:<detections>: one stream in this (fresh) process, then VmHWM.
template <class Mode>
int rss_only(std::uint64_t target) {
  const long start = proc_status_kb("VmHWM:");
  auto acc = Mode::make(stream_params());
  const auto frames = stream_detections(acc, target);
  benchmark::DoNotOptimize(acc);
  std::printf("mode=%s detections>=%llu frames=%llu VmHWM_start_kB=%ld VmHWM_end_kB=%ld\n", Mode::name,
              static_cast<unsigned long long>(target), static_cast<unsigned long long>(frames), start,
              proc_status_kb("VmHWM:"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const std::string flag = "--rss-only=";
    if (a.rfind(flag, 0) != 0) continue;
    const auto spec = a.substr(flag.size());
    const auto colon = spec.find(':');
    const auto target =
        colon == std::string::npos ? 0ull : std::strtoull(spec.c_str() + colon + 1, nullptr, 10);
    const auto mode = spec.substr(0, colon);
    if (target > 0 && mode == "binned") return rss_only<binned_mode>(target);
    if (target > 0 && mode == "exact") return rss_only<exact_mode>(target);
    std::fprintf(stderr, "usage: %s --rss-only=<exact|binned>:<detections>\n", argv[0]);
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
