// Bootstrap confidence intervals that do not depend on how the work was split.
//
// 1. The mean IoU of a detector's true positives, with percentile and BCa 95% intervals, resampling frames
//    (all detections of a frame share its Poisson weight). Computed in one pass and again on two shards that
//    serialise their states and are merged: the states and the intervals must be identical, bit for bit.
// 2. With a COCO case: image-level bootstrap intervals for AP, AP50 and AR100, computed with one and with two
//    threads, which must give the same replicates.
//
//   example_bootstrap_interval [GT.json DT.json]
//
// The per-frame data of part 1 are synthetic and fixed by the seed. Exit status 1 if a check fails, 2 on bad
// usage.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include <stratum/coco/bootstrap.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/stats/bootstrap.hpp>

namespace ss = stratum::stats;

namespace {

// std::mt19937_64's output is fixed by the C++ standard, its distributions are not: the conversions are
// spelled out so that every platform draws the same data.
double uniform(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1p-53;
}  // [0, 1)

struct frame {
  std::uint64_t id;
  std::vector<double> ious;  // IoU of each true positive of the frame
};

// 400 frames with 1 to 6 true positives each; a frame's difficulty moves all its IoUs together, so detections
// of one frame are correlated and the frame is the unit to resample.
std::vector<frame> make_frames() {
  std::mt19937_64 g(7);
  std::vector<frame> frames;
  for (std::uint64_t f = 0; f < 400; ++f) {
    frame fr{100000 + 13 * f, {}};
    const double difficulty = 0.15 * uniform(g);
    const auto detections = 1 + static_cast<int>(6 * uniform(g));
    for (int k = 0; k < detections; ++k)
      fr.ious.push_back(0.95 - difficulty - 0.25 * uniform(g) * uniform(g));
    frames.push_back(fr);
  }
  return frames;
}

// Rows {IoU, 1} of every true positive of a frame, added under the frame's id.
void add_frame(ss::bootstrap_sums& sums, const frame& fr) {
  std::vector<double> rows;
  for (double iou : fr.ious) rows.insert(rows.end(), {iou, 1.0});
  sums.add_rows(fr.id, rows);
}

double mean_of(std::span<const double> s) {
  return s[1] > 0 ? s[0] / s[1] : std::numeric_limits<double>::quiet_NaN();
}

struct intervals {
  double estimate;
  ss::bootstrap_interval percentile, bca;
};

intervals intervals_of(const ss::bootstrap_sums& sums) {
  const std::vector<double> replicates = sums.replicate_statistics(mean_of);
  const double theta = sums.statistic(mean_of);
  const std::vector<double> jackknife = sums.jackknife_statistics(mean_of);  // leave one frame out
  const stratum::confidence c95{0.95};
  return {theta, ss::percentile_interval(replicates, c95),
          ss::bca_interval(replicates, theta, jackknife, c95)};
}

bool same(const ss::bootstrap_interval& a, const ss::bootstrap_interval& b) {
  return a.lower == b.lower && a.upper == b.upper;
}

int mean_iou() {
  const std::vector<frame> frames = make_frames();
  const std::uint64_t seed = 2024;
  const std::uint32_t replicates = 2000;

  // One pass over every frame.
  ss::bootstrap_sums all(seed, replicates, /*width=*/2, /*keep_units=*/true);
  for (const frame& fr : frames) add_frame(all, fr);

  // Two shards (e.g. two machines), each serialising its state; the second is merged first.
  ss::bootstrap_sums shard1(seed, replicates, 2, true), shard2(seed, replicates, 2, true);
  for (std::size_t i = 0; i < frames.size(); ++i) add_frame(i < 250 ? shard1 : shard2, frames[i]);
  const std::vector<std::byte> bytes1 = shard1.serialize(), bytes2 = shard2.serialize();
  ss::bootstrap_sums merged;  // the identity of +=
  merged += ss::bootstrap_sums::deserialize(bytes2);
  merged += ss::bootstrap_sums::deserialize(bytes1);

  const intervals one = intervals_of(all), two = intervals_of(merged);
  std::printf("mean IoU of true positives: %.4f (%llu detections in %zu frames, %u replicates)\n",
              one.estimate, static_cast<unsigned long long>(all.rows()), all.units(), replicates);
  std::printf("  percentile 95%%: [%.4f, %.4f]\n", one.percentile.lower, one.percentile.upper);
  std::printf("  BCa 95%%:        [%.4f, %.4f]  (z0 = %.4f, a = %.5f)\n", one.bca.lower, one.bca.upper,
              one.bca.z0, one.bca.acceleration);

  // For contrast: each detection its own unit, as if detections of a frame were independent (they are not).
  ss::bootstrap_sums naive(seed, replicates, 2);
  std::uint64_t unit = 0;
  for (const frame& fr : frames)
    for (double iou : fr.ious) naive.add(unit++, {iou, 1.0});
  const auto naive_ci =
      ss::percentile_interval(naive.replicate_statistics(mean_of), stratum::confidence{0.95});
  std::printf("  resampling detections instead of frames: [%.4f, %.4f] (too narrow)\n", naive_ci.lower,
              naive_ci.upper);

  const bool ok = merged == all && one.estimate == two.estimate && same(one.percentile, two.percentile) &&
                  same(one.bca, two.bca);
  std::printf("  2 shards (%zu + %zu bytes) merged: %s the single pass\n", bytes1.size(), bytes2.size(),
              ok ? "identical to" : "DIFFERENT from");
  return ok ? 0 : 1;
}

int coco_ap(const char* gt_path, const char* dt_path) {
  const auto gt = stratum::io::load_coco_ground_truth(gt_path);
  const auto dt = stratum::io::load_coco_results(dt_path, gt);
  const std::size_t replicates = 300;
  const std::uint64_t seed = 11;
  stratum::coco::bootstrap_options o;
  o.replicates = replicates;
  o.seed = seed;
  const auto boot = stratum::coco::bootstrap(gt, dt, {}, o);
  o.threads = 2;
  const auto boot2 = stratum::coco::bootstrap(gt, dt, {}, o);

  std::printf("\nCOCO: %zu images, %zu image-level replicates\n", boot.point.p->img_ids.size(), replicates);
  using stratum::coco::stat;
  // A number undefined in some replicate (-1 in summarize(): no counted ground truth among the drawn images)
  // gets no interval (NaN) and a count of such replicates.
  const stratum::coco::stats_intervals ci =
      stratum::coco::percentile_intervals(boot, stratum::confidence{0.95});
  for (const stat s : {stat::ap, stat::ap50, stat::ar100}) {
    const auto i = stratum::coco::index(s);
    if (ci.undefined[i] > 0 || boot.point.stats[s] < 0)
      std::printf("  %-6s undefined in %zu replicates: no interval\n", stratum::coco::name(s),
                  ci.undefined[i]);
    else
      std::printf("  %-6s %.4f  95%% [%.4f, %.4f]\n", stratum::coco::name(s), boot.point.stats[s],
                  ci.lower[i], ci.upper[i]);
  }
  const bool ok = boot.replicates == boot2.replicates;
  std::printf("  1 thread and 2 threads: %s replicates\n", ok ? "identical" : "DIFFERENT");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 1 && argc != 3) {
    std::fprintf(stderr, "usage: %s [GT.json DT.json]\n", argv[0]);
    return 2;
  }
  int status = mean_iou();
  if (argc == 3) {
    try {
      status |= coco_ap(argv[1], argv[2]);
    } catch (const stratum::input_error& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return 1;
    }
  }
  return status;
}
