// Image-level bootstrap of the audit's rates (docs/audit.md, "Bootstrap intervals and design effects").
//
// Objects of one image are not independent (a hard image hides several), so the per-object binomial
// intervals of rates.hpp are too narrow when failures cluster in images. Replicate b gives image `id` the
// Poisson(1) multiplicity w_b(id) = stats::poisson_weight(seed, id, b), as the COCO bootstrap does
// (coco/bootstrap.hpp): a pure function of (seed, image id, replicate), so shards and threads draw the same
// weights. Matching never looks across images, so the audit of the data set in which every image is repeated
// w_b times has exactly the counts sum_i w_b(i) * counts(i), image counts included: replicate_counter
// computes those, and the bootstrap intervals are the percentile intervals (stats::percentile_interval, as
// scipy.stats.bootstrap) of each rate over the replicates -- tested equal to literally resampling the images
// and re-running the audit. The score thresholds stay those of the operating point (the thresholds shipped;
// chosen thresholds are not re-chosen per replicate, so their selection is not part of the interval).
//
// A rate undefined in the full sample, or in any replicate (its denominator drawn empty), gets no interval
// (NaN, null in JSON), and `undefined` counts those replicates: dropping them would condition on the rate
// existing.
//
// Design effect (Kish 1965): the bootstrap variance of a rate over the variance the independent-object model
// gives it: miss rate p = fn / n_gt against p (1 - p) / n_gt; precision p = tp / (tp + fp) against
// p (1 - p) / (tp + fp); FPPI = fp / n_images against the Poisson fp / n_images^2. Near 1: objects behave as
// independent; 2: the binomial interval is about sqrt(2) = 1.4 times too narrow. Undefined (NaN) where the
// model variance is 0 or the bootstrap one is undefined. The bootstrap variance is the sample variance
// (divisor B - 1) of the replicate values.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <span>
#include <vector>

#include "../coco/bootstrap.hpp"
#include "../core/confidence.hpp"
#include "../core/error.hpp"
#include "../detail/parallel.hpp"
#include "../stats/bootstrap_interval.hpp"
#include "../stats/rng.hpp"
#include "audit.hpp"
#include "operating.hpp"
#include "rates.hpp"

namespace stratum::audit {

/// The bootstrap of one set of counts.
struct rate_bootstrap {
  struct interval {
    double lower = std::numeric_limits<double>::quiet_NaN();
    double upper = std::numeric_limits<double>::quiet_NaN();
    std::size_t undefined = 0;  // replicates in which the rate was undefined
    [[nodiscard]] bool defined() const noexcept { return !std::isnan(lower); }
  };
  std::array<interval, n_rates> intervals;  // indexed by `rate`
  double deff_miss_rate = std::numeric_limits<double>::quiet_NaN();
  double deff_precision = std::numeric_limits<double>::quiet_NaN();
  double deff_fppi = std::numeric_limits<double>::quiet_NaN();
  [[nodiscard]] const interval& of(rate r) const { return intervals[static_cast<std::size_t>(r)]; }
};

/// Pooled over categories and per category index; over all images and per slice (as op.slices).
using counts_bootstrap = by_category<rate_bootstrap>;
using operating_point_bootstrap = by_slice<counts_bootstrap>;

struct audit_bootstrap {
  std::size_t replicates = 0;
  std::uint64_t seed = 0;
  confidence conf{};
  std::vector<operating_point_bootstrap> points;  // as r.points
};

/// The counts of operating point `op` of `r` with every evaluated image i counted weight(i) times, for the
/// pool (set 0) and each slice s (set 1 + s): what the audit of the data set with image i repeated weight(i)
/// times counts. Built once per operating point; counts() is called per replicate.
class replicate_counter {
 public:
  replicate_counter(const audit_result& r, const operating_point& op)
      : K_(r.records.categories()), sets_(1 + op.slices.size()), first_(r.p->img_ids.size() + 1, 0) {
    const auto& ids = r.p->img_ids;
    const std::size_t N = ids.size();
    const coco::detail::id_index pos(ids);
    constexpr auto npos = coco::detail::id_index::npos;
    const std::uint64_t bit = std::uint64_t{1} << op.t;
    // per image, one entry per category with a ground truth or a kept true / false positive
    std::vector<std::vector<entry>> per_image(N);
    auto at = [&](std::size_t i, std::size_t k) -> entry& {
      auto& v = per_image[i];
      if (v.empty() || v.back().k != k) v.push_back({static_cast<std::uint32_t>(k), 0, 0, 0});
      return v.back();
    };
    for (std::size_t k = 0; k < K_; ++k) {
      const auto& c = r.records.of(k);
      for (const auto& g : c.gts)
        if (const auto i = pos.find(g.image); i != npos) at(i, k).n += static_cast<std::uint64_t>(g.n);
      const double s = op.thresholds[k].value_or(std::numeric_limits<double>::infinity());
      for (const auto& rec : c.records) {
        if (!(rec.score >= s) || !((rec.tp | rec.fp) & bit)) continue;
        const auto i = pos.find(rec.image);
        if (i == npos) continue;
        auto& e = at(i, k);
        (rec.tp & bit ? e.tp : e.fp) += 1;
      }
    }
    for (std::size_t i = 0; i < N; ++i) {
      first_[i + 1] = first_[i] + per_image[i].size();
      entries_.insert(entries_.end(), per_image[i].begin(), per_image[i].end());
    }
    member_.assign(N, {});
    for (std::size_t s = 0; s < op.slices.size(); ++s)
      for (const auto i : op.slices[s].images) member_.at(i).push_back(static_cast<std::uint32_t>(1 + s));
    ids_ = ids;
  }

  [[nodiscard]] std::size_t sets() const noexcept { return sets_; }

  /// Fills out[set] (resized to sets()) with the counts, image index i weighted weight(ids[i]).
  template <class WeightFn>
  void counts(WeightFn&& weight, std::vector<operating_point_counts>& out) const {
    out.resize(sets_);
    for (auto& o : out) {
      o.all = {};
      o.per_category.assign(K_, {});
    }
    for (std::size_t i = 0; i < ids_.size(); ++i) {
      const std::uint64_t w = weight(ids_[i]);
      if (w == 0) continue;
      std::uint64_t tp = 0, fp = 0, n = 0;
      bool miss = false;
      for (std::size_t j = first_[i]; j < first_[i + 1]; ++j) {
        const auto& e = entries_[j];
        tp += e.tp, fp += e.fp, n += e.n;
        miss = miss || e.tp < e.n;
      }
      auto add = [&](operating_point_counts& o) {
        auto& a = o.all;
        a.n_images += w;
        a.tp += w * tp, a.fp += w * fp, a.n_gt += w * n;
        if (n > 0) {
          a.positive_images += w;
          if (miss) a.miss_images += w;
        } else if (fp > 0) {
          a.false_alarm_images += w;
        }
        for (std::size_t j = first_[i]; j < first_[i + 1]; ++j) {
          const auto& e = entries_[j];
          auto& c = o.per_category[e.k];
          c.tp += w * e.tp, c.fp += w * e.fp, c.n_gt += w * e.n;
          if (e.n > 0) {
            c.positive_images += w;
            if (e.tp < e.n) c.miss_images += w;
          } else if (e.fp > 0) {
            c.false_alarm_images += w;
          }
        }
      };
      add(out[0]);
      for (const auto s : member_[i]) add(out[s]);
    }
    for (auto& o : out) {
      auto finish = [&](operating_counts& c, std::uint64_t n_images) {
        c.n_images = n_images;
        c.fn = c.n_gt - c.tp;
        c.negative_images = n_images - c.positive_images;
      };
      const auto n_images = o.all.n_images;
      finish(o.all, n_images);
      for (auto& c : o.per_category) finish(c, n_images);
    }
  }

 private:
  struct entry {
    std::uint32_t k = 0;
    std::uint64_t tp = 0, fp = 0, n = 0;
  };
  std::size_t K_ = 0, sets_ = 0;
  std::vector<std::size_t> first_;                  // entries of image i: [first_[i], first_[i + 1])
  std::vector<entry> entries_;                      // by image, categories ascending
  std::vector<std::vector<std::uint32_t>> member_;  // per image: the sets (1 + slice) it is in
  std::vector<std::int64_t> ids_;
};

namespace detail {

/// Percentile interval and sample variance of `v` (the replicate values of one rate, NaN = undefined).
inline void summarize_replicates(std::span<const double> v, bool point_defined, confidence conf,
                                 rate_bootstrap::interval& iv, double& variance) {
  iv.undefined =
      static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }));
  variance = std::numeric_limits<double>::quiet_NaN();
  if (!point_defined || iv.undefined > 0) return;
  const auto ci = stats::percentile_interval(v, conf);
  iv.lower = ci.lower, iv.upper = ci.upper;
  if (v.size() < 2) return;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  variance = ss / static_cast<double>(v.size() - 1);
}

inline double design_effect(double boot_variance, double model_variance) {
  if (!(model_variance > 0) || std::isnan(boot_variance)) return std::numeric_limits<double>::quiet_NaN();
  return boot_variance / model_variance;
}

/// The bootstrap of counts `c` from its replicate values values[rate][b].
inline rate_bootstrap summarize_counts(const operating_counts& c,
                                       const std::array<std::vector<double>, n_rates>& values,
                                       confidence conf) {
  rate_bootstrap out;
  const auto point = rate_values(c);
  std::array<double, n_rates> var{};
  for (std::size_t q = 0; q < n_rates; ++q)
    summarize_replicates(values[q], !std::isnan(point[q]), conf, out.intervals[q], var[q]);
  const auto mr = point[static_cast<std::size_t>(rate::miss_rate)];
  const auto pr = point[static_cast<std::size_t>(rate::precision)];
  if (c.n_gt > 0)
    out.deff_miss_rate = design_effect(var[static_cast<std::size_t>(rate::miss_rate)],
                                       mr * (1 - mr) / static_cast<double>(c.n_gt));
  if (c.tp + c.fp > 0)
    out.deff_precision = design_effect(var[static_cast<std::size_t>(rate::precision)],
                                       pr * (1 - pr) / static_cast<double>(c.tp + c.fp));
  if (c.n_images > 0)
    out.deff_fppi = design_effect(
        var[static_cast<std::size_t>(rate::fppi)],
        static_cast<double>(c.fp) / (static_cast<double>(c.n_images) * static_cast<double>(c.n_images)));
  return out;
}

}  // namespace detail

/// The most memory the replicate values of one operating point may take (4 GB).
inline constexpr double max_bootstrap_bytes = 4e9;

/// The image-level bootstrap of every operating point of `r`: o.replicates replicates drawn with o.seed, over
/// o.threads workers (the result does not depend on it), percentile intervals at o.conf. Throws usage_error
/// on zero replicates.
[[nodiscard]] inline audit_bootstrap bootstrap(const audit_result& r, const coco::bootstrap_options& o) {
  if (o.replicates == 0) throw usage_error("audit bootstrap: replicates must be at least 1");
  if (o.replicates > 0xffffffffu) throw usage_error("audit bootstrap: at most 2^32 - 1 replicates");
  audit_bootstrap out{o.replicates, o.seed, o.conf, {}};
  const std::size_t B = o.replicates, K = r.records.categories();
  for (const auto& op : r.points) {
    const replicate_counter counter(r, op);
    const std::size_t S = counter.sets();
    // values[(set * (K + 1) + kk)][rate][b]: kk = 0 pooled over categories, 1 + k category k. The percentile
    // intervals need every replicate value, so memory is 8 bytes x sets x (K + 1) x 7 rates x B: refused
    // beyond max_bootstrap_bytes rather than exhausting the machine.
    const double bytes =
        8.0 * static_cast<double>(S) * static_cast<double>(K + 1) * n_rates * static_cast<double>(B);
    if (bytes > max_bootstrap_bytes) {
      char buf[256];
      std::snprintf(
          buf, sizeof buf,
          "audit bootstrap: %zu replicates of %zu image sets x %zu categories x 7 rates need %.1f GB for "
          "the replicate values (limit %.1f GB): use fewer replicates or slices",
          B, S, K + 1, bytes / 1e9, max_bootstrap_bytes / 1e9);
      throw usage_error(buf);
    }
    std::vector<std::array<std::vector<double>, n_rates>> values(S * (K + 1));
    for (auto& v : values)
      for (auto& q : v) q.resize(B);
    const unsigned threads = std::min<unsigned>(coco::resolve_threads(o.threads), static_cast<unsigned>(B));
    std::atomic<std::size_t> done{0};
    stratum::detail::run_workers(threads, [&](unsigned t) {
      std::vector<operating_point_counts> c;
      for (std::size_t b = t; b < B; b += threads) {
        counter.counts(
            [&](std::int64_t id) {
              return stats::poisson_weight(o.seed, static_cast<std::uint64_t>(id),
                                           static_cast<std::uint32_t>(b));
            },
            c);
        for (std::size_t s = 0; s < S; ++s)
          for (std::size_t kk = 0; kk <= K; ++kk) {
            const auto v = rate_values(kk == 0 ? c[s].all : c[s].per_category[kk - 1]);
            for (std::size_t q = 0; q < n_rates; ++q) values[s * (K + 1) + kk][q][b] = v[q];
          }
        stratum::detail::count_done(o.progress, done, t);
      }
    });
    if (o.progress) o.progress(B);
    operating_point_bootstrap pb;
    auto block = [&](std::size_t s, const operating_point_counts& point) {
      counts_bootstrap cb;
      cb.all = detail::summarize_counts(point.all, values[s * (K + 1)], o.conf);
      for (std::size_t k = 0; k < K; ++k)
        cb.per_category.push_back(
            detail::summarize_counts(point.per_category[k], values[s * (K + 1) + 1 + k], o.conf));
      return cb;
    };
    pb.all = block(0, op.all);
    for (std::size_t s = 0; s < op.slices.size(); ++s) pb.slices.push_back(block(1 + s, op.slices[s].counts));
    out.points.push_back(std::move(pb));
  }
  return out;
}

}  // namespace stratum::audit
