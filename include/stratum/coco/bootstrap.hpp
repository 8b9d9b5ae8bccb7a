// Image-level bootstrap of the COCO metrics (AP, AR, ... with confidence intervals).
//
// Replicate b gives image `id` the Poisson(1) multiplicity w_b(id) = stats::poisson_weight(seed, id, b), a
// pure function of (seed, image id, replicate), so every shard of a distributed run draws the same weights.
// Frames are matched once; replicate b re-runs only the accumulation with each image counted w_b times
// (accumulate_sorted<true>), which is exactly the evaluation of the data set in which every image is repeated
// w_b times (copies placed right after the image, in ascending id order) -- tested against that literal
// resampling on the conformance cases. Intervals: percentile (stats::percentile_interval, as
// scipy.stats.bootstrap).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../core/confidence.hpp"
#include "../detail/parallel.hpp"
#include "../stats/bootstrap.hpp"
#include "../stats/rng.hpp"
#include "evaluator.hpp"
#include "slices.hpp"

namespace stratum::coco {

/// Per ground-truth annotation of the evaluated images and categories: its image, its category index and the
/// area ranges in which it is not ignored (bit a). The weighted non-ignored counts come from these.
struct gt_presence {
  std::vector<std::int64_t> image;
  std::vector<std::uint32_t> k;
  std::vector<std::uint64_t> counted;  // bit a: counted (not crowd, area within range a)

  /// Non-ignored ground truths per (category, area range), each image counted weight(image) times.
  template <class WeightFn>
  [[nodiscard]] std::vector<std::int64_t> npig(std::size_t K, std::size_t A, WeightFn&& weight) const {
    std::vector<std::int64_t> out(K * A, 0);
    for (std::size_t i = 0; i < image.size(); ++i) {
      const auto w = static_cast<std::int64_t>(weight(image[i]));
      if (w == 0) continue;
      for (std::uint64_t bits = counted[i]; bits; bits &= bits - 1)
        out[k[i] * A + static_cast<std::size_t>(std::countr_zero(bits))] += w;
    }
    return out;
  }
};

[[nodiscard]] inline gt_presence ground_truth_presence(const ground_truth& gt, const params& p) {
  if (p.area_rngs.size() > 64) throw usage_error("bootstrap: at most 64 area ranges");
  const detail::id_index img(p.img_ids), cat(p.cat_ids);
  gt_presence out;
  for (std::size_t i = 0; i < gt.size(); ++i) {
    const auto k = cat.find(gt.category_id[i]);
    if (img.find(gt.image_id[i]) == detail::id_index::npos || k == detail::id_index::npos) continue;
    std::uint64_t bits = 0;
    if (!gt.crowd[i] && !(gt.flags[i] & gt_flag::ignored))
      for (std::size_t a = 0; a < p.area_rngs.size(); ++a)
        if (!(gt.area[i] < p.area_rngs[a].lo || gt.area[i] > p.area_rngs[a].hi))
          bits |= std::uint64_t{1} << a;
    out.image.push_back(gt.image_id[i]);
    out.k.push_back(p.use_cats ? static_cast<std::uint32_t>(k) : 0u);
    out.counted.push_back(bits);
  }
  return out;
}

/// How to bootstrap: `replicates` image-level replicates drawn with `seed` (the same seed gives the same
/// replicates on any machine and split), spread over `threads` workers (0 = all hardware threads; the result
/// does not depend on it), intervals at confidence `conf` (the level is read, as scipy.stats.bootstrap does).
/// `progress`, when set, is called by one worker with the replicates finished so far (the audit's and the
/// calibration's bootstrap call it; a progress display, it does not change the result).
struct bootstrap_options {
  std::size_t replicates = 1000;
  std::uint64_t seed = 0;
  confidence conf{};
  unsigned threads = 1;
  std::function<void(std::size_t done)> progress{};
};

struct bootstrap_result {
  evaluation point;                                // the full-sample evaluation
  std::vector<std::array<double, 12>> replicates;  // the 12 stats of each replicate
  std::uint64_t seed = 0;

  /// Replicate values of stat i (0 = AP, ... as in summarize()).
  [[nodiscard]] std::vector<double> stat(std::size_t i) const {
    std::vector<double> v;
    v.reserve(replicates.size());
    for (const auto& r : replicates) v.push_back(r[i]);
    return v;
  }
  /// Percentile interval of stat i. When the number is undefined (-1) in the full sample or in any replicate,
  /// the bounds are NaN (see percentile_intervals below: a sentinel must not enter the percentiles).
  [[nodiscard]] stats::bootstrap_interval percentile(std::size_t i, confidence conf = {}) const {
    const auto v = stat(i);
    if (point.stats.at(i) < 0 || std::any_of(v.begin(), v.end(), [](double x) { return x < 0; })) {
      if (v.empty()) throw usage_error("percentile: no replicates");
      return {};
    }
    return stats::percentile_interval(v, conf);
  }
};

/// The accumulation of one replicate: arrays of the data set with image `id` repeated weight(id) times.
template <class WeightFn>
[[nodiscard]] eval_arrays weighted_arrays(const sorted_records& sr, const gt_presence& gp, const params& p,
                                          WeightFn&& weight) {
  return accumulate_sorted<true>(sr, p, weight, gp.npig(sr.dims.K, sr.dims.A, weight));
}

/// Image-level Poisson bootstrap of the 12 summary numbers (o.replicates replicates with o.seed, over
/// o.threads workers; o.conf is not used here). Throws usage_error on zero replicates.
[[nodiscard]] inline bootstrap_result bootstrap(const ground_truth& gt, const detection_set& dt, params p,
                                                const bootstrap_options& o = {}) {
  if (o.replicates == 0) throw usage_error("bootstrap: replicates must be at least 1");
  const std::size_t replicates = o.replicates;
  const std::uint64_t seed = o.seed;
  unsigned threads = o.threads;
  bootstrap_result out{evaluation{resolve_params(gt, std::move(p)), {}, {}}, {}, seed};
  const auto& rp = out.point.p;
  const auto acc = accumulate(gt, dt, rp, threads);
  const auto sr = acc.sorted();
  out.point.arrays = accumulate_sorted<false>(
      sr, rp, [](std::int64_t) { return 1u; }, sr.npig);
  out.point.stats = summarize(out.point.arrays, rp);
  const auto gp = ground_truth_presence(gt, rp);
  out.replicates.resize(replicates);
  threads = std::min<unsigned>(resolve_threads(threads),
                               static_cast<unsigned>(std::max<std::size_t>(1, replicates)));
  auto work = [&](unsigned t) {
    for (std::size_t b = t; b < replicates; b += threads) {
      auto w = [&, b](std::int64_t id) {
        return stats::poisson_weight(seed, static_cast<std::uint64_t>(id), static_cast<std::uint32_t>(b));
      };
      out.replicates[b] = summarize(weighted_arrays(sr, gp, rp, w), rp);
    }
  };
  stratum::detail::run_workers(threads, work);
  return out;
}

/// Percentile intervals of the 12 summary numbers. A number is undefined (-1 in summarize()) in a replicate
/// that holds no counted ground truth for it (say, no small object among the drawn images); its interval is
/// then NaN and `undefined` counts those replicates: dropping them would condition the bootstrap on the
/// number existing, and keeping -1 would mix a sentinel into the percentiles.
struct stats_intervals {
  std::array<double, 12> lower{}, upper{};
  std::array<std::size_t, 12> undefined{};
};

namespace detail {
/// Percentile intervals of value(b, i) over replicates b, for each of the 12 numbers i; defined(b, i) false
/// counts replicate b as undefined for i; point_defined[i] false makes number i undefined outright.
template <class Value, class Defined>
[[nodiscard]] stats_intervals intervals_of(std::size_t replicates, const std::array<bool, 12>& point_defined,
                                           Value&& value, Defined&& defined, confidence conf) {
  stats_intervals out;
  std::vector<double> v(replicates);
  for (std::size_t i = 0; i < 12; ++i) {
    for (std::size_t b = 0; b < replicates; ++b) {
      v[b] = value(b, i);
      out.undefined[i] += defined(b, i) ? 0u : 1u;
    }
    if (out.undefined[i] > 0 || !point_defined[i]) {
      out.lower[i] = out.upper[i] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    const auto ci = stats::percentile_interval(v, conf);
    out.lower[i] = ci.lower;
    out.upper[i] = ci.upper;
  }
  return out;
}

[[nodiscard]] inline std::array<bool, 12> defined_stats(const std::array<double, 12>& st) {
  std::array<bool, 12> d{};
  for (std::size_t i = 0; i < 12; ++i) d[i] = st[i] >= 0;
  return d;
}

[[nodiscard]] inline stats_intervals undefined_intervals() {
  stats_intervals none;
  none.lower.fill(std::numeric_limits<double>::quiet_NaN());
  none.upper = none.lower;
  return none;
}
}  // namespace detail

[[nodiscard]] inline stats_intervals percentile_intervals(const bootstrap_result& r, confidence conf = {}) {
  if (r.replicates.empty()) throw usage_error("percentile_intervals: no replicates");
  return detail::intervals_of(
      r.replicates.size(), detail::defined_stats(r.point.stats),
      [&](std::size_t b, std::size_t i) { return r.replicates[b][i]; },
      [&](std::size_t b, std::size_t i) { return r.replicates[b][i] >= 0; }, conf);
}

/// One slice's bootstrap intervals: of its own numbers, and paired intervals of (slice number - pooled
/// number): replicate b of a slice is the slice of the pooled replicate b, so the difference is taken
/// replicate by replicate. A delta interval that excludes 0 marks a slice that differs from the pool at this
/// confidence (one comparison: with S slices, confidence::from_alpha(alpha / S) per slice gives a Bonferroni
/// family-wise level).
struct slice_intervals {
  stats_intervals value, delta;
};

/// Bootstrap intervals of a sliced evaluation: the pooled numbers and every slice's (in the order of
/// sliced_evaluation::slices).
struct sliced_intervals {
  std::size_t replicates = 0;
  std::uint64_t seed = 0;
  confidence conf{};
  stats_intervals all;
  std::vector<slice_intervals> slices;
};

/// Image-level percentile intervals for the pooled result and every slice of `res` (from evaluate_sliced
/// with the same gt, dt). Each slice is bootstrapped on its own images, with the same weight per image as
/// the pooled run (the weights are keyed by image id), so a slice's replicate b is the slice of the pooled
/// replicate b. Cost: one matching and `replicates` accumulations per slice and for the pool.
[[nodiscard]] inline sliced_intervals bootstrap_slices(const ground_truth& gt, const detection_set& dt,
                                                       const sliced_evaluation& res,
                                                       const bootstrap_options& o = {}) {
  if (o.replicates == 0) throw usage_error("bootstrap_slices: replicates must be at least 1");
  sliced_intervals out;
  out.replicates = o.replicates;
  out.seed = o.seed;
  out.conf = o.conf;
  const auto pool = bootstrap(gt, dt, *res.all.p, o);
  out.all = percentile_intervals(pool, o.conf);
  const auto pool_defined = detail::defined_stats(pool.point.stats);
  for (const auto& slice : res.slices) {
    params p = *slice.eval.p;
    if (p.img_ids.empty()) {  // an empty img_ids would mean "all images" to resolve_params
      out.slices.push_back({detail::undefined_intervals(), detail::undefined_intervals()});
      continue;
    }
    const auto sl = bootstrap(gt, dt, std::move(p), o);
    auto both = detail::defined_stats(sl.point.stats);
    for (std::size_t i = 0; i < 12; ++i) both[i] = both[i] && pool_defined[i];
    out.slices.push_back(
        {percentile_intervals(sl, o.conf),
         detail::intervals_of(
             o.replicates, both,
             [&](std::size_t b, std::size_t i) { return sl.replicates[b][i] - pool.replicates[b][i]; },
             [&](std::size_t b, std::size_t i) {
               return sl.replicates[b][i] >= 0 && pool.replicates[b][i] >= 0;
             },
             o.conf)});
  }
  return out;
}

}  // namespace stratum::coco
