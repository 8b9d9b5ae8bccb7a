// AP of a labelled window against the baseline's, per set of frames ("all" and every slice of the baseline's
// slicing) and per class (docs/drift.md, "With labels: AP"), with an image-level bootstrap interval of the
// difference.
//
// AP is COCO's: the mean of the interpolated precision over the IoU thresholds (0.50:0.05:0.95) and the 101
// recall thresholds, at the area range "all" and the largest maxDets (the kept detections of the operating
// records, audit/operating.hpp), exactly pycocotools' `accumulate` and `summarize` (coco/accumulator.hpp)
// over the set's frames: per class the mean of its precision entries, for all classes the mean over every
// class with a ground truth (pycocotools' AP when maxDets ends with 100, its default). A set's AP is that of
// the data set made of the set's frames: the same number as `stratum coco` with the set's image ids.
//
// Resampling, always of frames: replicate b gives frame `id` the Poisson(1) multiplicity
// stats::poisson_weight(seed, id, b) on the baseline and poisson_weight(seed + 1, id, b) in the window
// (another stream, so a frame id present on both sides is not drawn alike), as the COCO bootstrap does
// (coco/bootstrap.hpp: exactly the evaluation of the data set with every frame repeated that many times); and
// the null draws (null_draws, seed + 2): the baseline's AP on F_w of its set's frames drawn with replacement,
// F_w the window's frames of the set, i.e. what an unchanged model shows at the window's size. AP of a small
// sample is biased upwards (the interpolated precision is a running maximum of a noisy curve) and its spread
// shrinks with its level, so the window is compared with the null draws' mean m0 and spread s0:
//   shift = AP_w - m0,  interval shift +- z sqrt(s_w^2 + s_b^2)  (s_w, s_b: each side's bootstrap sd),
//   z = shift / sqrt(s0^2 + s_b^2),  p = 2 (1 - Phi(|z|))  ("bootstrap z"),
// a p-value not bounded below by 1 / replicates (as a bootstrap percentile p-value would be), so it can stand
// in a family of hundreds of tests. A class without a ground truth in some bootstrap replicate, or in more
// than half of the null draws, gets no interval and no test: dropping those would condition on the class
// being drawn. Measured calibration and the alternatives tried: docs/drift.md.
//
// Memory: the AP of a window needs the order of all of its kept detections, so the window keeps one record
// per kept detection (score, frame, rank, two masks: 40 bytes) and the ids of its frames per set, up to
// `max_detections` (then the comparison is dropped with a note, and the window's memory stays bounded).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "../audit/operating.hpp"
#include "../audit/stream.hpp"
#include "../coco/accumulator.hpp"
#include "../coco/params.hpp"
#include "../coco/slices.hpp"
#include "../core/confidence.hpp"
#include "../core/error.hpp"
#include "../detail/numpy.hpp"
#include "../detail/parallel.hpp"
#include "../stats/bootstrap_interval.hpp"
#include "../stats/rng.hpp"
#include "drift.hpp"
#include "file.hpp"
#include "profile.hpp"

namespace stratum::baseline {

/// One side's AP per set and class, with its bootstrap replicates.
struct ap_cell {
  double ap = std::numeric_limits<double>::quiet_NaN();  // NaN: no ground truth of the class in the set
  std::uint64_t n_gt = 0;                                // non-ignored ground truths
  std::vector<double> replicates;                        // NaN where undefined in a replicate
};
namespace ap_detail {
/// A set's records in evaluation order (image: the frame's index among the set's frames, which keeps the
/// order of the ids), its ground-truth groups (image likewise), its frame ids, and per frame where its
/// records and ground truths are: what the bootstrap and the null draws read.
struct set_records {
  coco::sorted_records sr;
  std::vector<std::vector<audit::operating_records::gt_group>> gts;  // per class, in frame order
  std::vector<std::int64_t> frames;                                  // the set's frame ids, ascending
  // per class: the indices of each frame's records and ground-truth groups, CSR
  std::vector<std::vector<std::uint32_t>> rec_first, rec_index, gt_first;
};

/// Fills the CSR indices of st from its records and ground truths.
inline void index_frames(set_records& st) {
  const std::size_t K = st.sr.cats.size(), F = st.frames.size();
  st.rec_first.assign(K, std::vector<std::uint32_t>(F + 1, 0));
  st.rec_index.assign(K, {});
  st.gt_first.assign(K, std::vector<std::uint32_t>(F + 1, 0));
  for (std::size_t k = 0; k < K; ++k) {
    const auto& img = st.sr.cats[k].image;
    auto& first = st.rec_first[k];
    for (const auto f : img) ++first[static_cast<std::size_t>(f) + 1];
    for (std::size_t f = 0; f < F; ++f) first[f + 1] += first[f];
    auto& index = st.rec_index[k];
    index.resize(img.size());
    std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
    for (std::size_t i = 0; i < img.size(); ++i)
      index[next[static_cast<std::size_t>(img[i])]++] = static_cast<std::uint32_t>(i);
    auto& gf = st.gt_first[k];
    for (const auto& g : st.gts[k]) ++gf[static_cast<std::size_t>(g.image) + 1];
    for (std::size_t f = 0; f < F; ++f) gf[f + 1] += gf[f];
  }
}
}  // namespace ap_detail

struct ap_set {
  std::uint64_t frames = 0;
  std::vector<ap_cell> classes;  // index 0: all classes, 1 + k: class k
  ap_detail::set_records records;
};
struct ap_side {
  std::size_t replicates = 0;
  std::uint64_t seed = 0;
  std::map<std::string, ap_set> sets;
  /// The null draws already made (compare_ap): per (set, frames, replicates, seed), so a series of windows
  /// of the same sizes draws each once. Not thread-safe: one comparison at a time per side.
  mutable std::map<std::tuple<std::string, std::uint64_t, std::size_t, std::uint64_t>,
                   std::vector<std::vector<double>>>
      null_cache;
};

/// What the AP of a run or window needs, fed chunk by chunk: every kept detection's record per class, every
/// (frame, class) ground-truth count, and the frames of each set. Up to `max_detections` records: beyond,
/// everything is released and overflowed() is true.
class ap_records {
 public:
  ap_records() = default;
  ap_records(std::vector<coco::slice_spec> specs, std::uint64_t max_detections)
      : specs_(std::move(specs)), max_(max_detections) {}

  /// Adds the records of `rec` of the frames `frames` (records of other frames are ignored).
  void add(const audit::operating_records& rec, const std::vector<coco::image_info>& frames) {
    if (overflow_) return;
    if (recs_.empty())
      recs_.resize(rec.categories()), gts_.resize(rec.categories()), T_ = rec.iou_thresholds();
    if (recs_.size() != rec.categories() || T_ != rec.iou_thresholds())
      throw usage_error("ap_records: records of another shape");
    std::vector<std::int64_t> ids;
    ids.reserve(frames.size());
    std::vector<std::string> names;
    for (const auto& im : frames) {
      ids.push_back(im.id);
      sets_of(im, specs_, names);
      for (const auto& n : names) sets_[n].push_back(im.id);
    }
    std::sort(ids.begin(), ids.end());
    const auto in = [&](std::int64_t id) { return std::binary_search(ids.begin(), ids.end(), id); };
    for (std::size_t k = 0; k < recs_.size(); ++k) {
      const auto& c = rec.of(k);
      for (const auto& r : c.records)
        if (in(r.image)) recs_[k].push_back(r), ++count_;
      for (const auto& g : c.gts)
        if (in(g.image)) gts_[k].push_back(g);
    }
    if (count_ > max_) {
      overflow_ = true;
      recs_ = {}, gts_ = {}, sets_ = {};
    }
  }
  [[nodiscard]] bool overflowed() const noexcept { return overflow_; }
  [[nodiscard]] std::uint64_t detections() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t max_detections() const noexcept { return max_; }

  /// The AP of every set and class (parameters `p`: the run's resolved ones) and `replicates` bootstrap
  /// replicates drawn with `seed`, over `threads` workers (the result does not depend on them).
  /// `keep_records`: each set keeps its sorted records (what null_draws reads; the baseline's side), else
  /// they are released set by set.
  [[nodiscard]] ap_side compute(const coco::params& p, std::size_t replicates, std::uint64_t seed,
                                unsigned threads = 1, bool keep_records = true) const;

 private:
  std::vector<coco::slice_spec> specs_;
  std::uint64_t max_ = std::numeric_limits<std::uint64_t>::max();
  std::size_t T_ = 0;
  std::vector<std::vector<audit::operating_records::record>> recs_;
  std::vector<std::vector<audit::operating_records::gt_group>> gts_;
  std::map<std::string, std::vector<std::int64_t>> sets_;
  std::uint64_t count_ = 0;
  bool overflow_ = false;
};

namespace ap_detail {

/// The parameters of the one (area "all", largest maxDets) cell the records hold.
inline coco::params cell_params(const coco::params& p) {
  coco::params q;
  q.iou_thrs = p.iou_thrs;
  q.rec_thrs = p.rec_thrs;
  q.area_rngs = {p.area_rngs.at(audit::all_area_index(p))};
  q.max_dets = {p.max_dets.back()};
  q.use_cats = p.use_cats;
  return q;
}

/// Per class index (0: all classes) the AP of arrays `e` of the one cell (A = M = 1), NaN where undefined:
/// summarize_one's arithmetic (numpy.mean(s[s > -1]) over the [T, R] or [T, R, K] selection in C order, the
/// same pairwise sum) without its copies; `buf` is reused.
inline void aps_of(const coco::eval_arrays& e, std::vector<double>& buf, std::vector<double>& out) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  out.assign(1 + e.K, nan);
  const auto mean_kept = [&](std::size_t first, std::size_t stride) {
    buf.clear();
    for (std::size_t i = first; i < e.precision.size(); i += stride)
      if (e.precision[i] > -1) buf.push_back(e.precision[i]);
    return buf.empty() ? nan
                       : stratum::detail::numpy_sum(buf.data(), buf.size()) / static_cast<double>(buf.size());
  };
  out[0] = mean_kept(0, 1);  // [T, R, K] with A = M = 1 is the whole array
  for (std::size_t k = 0; k < e.K; ++k) out[1 + k] = mean_kept(k, e.K);
}

}  // namespace ap_detail

inline ap_side ap_records::compute(const coco::params& p, std::size_t replicates, std::uint64_t seed,
                                   unsigned threads, bool keep_records) const {
  if (overflow_) throw usage_error("ap_records::compute: the records overflowed");
  ap_side out;
  out.replicates = replicates, out.seed = seed;
  const std::size_t K = recs_.size();
  if (K == 0) return out;
  if (p.iou_thrs.size() != T_) throw usage_error("ap_records::compute: parameters of another shape");
  const auto q = ap_detail::cell_params(p);
  const unsigned workers = std::min<unsigned>(coco::resolve_threads(threads),
                                              static_cast<unsigned>(std::max<std::size_t>(1, replicates)));
  std::vector<std::uint8_t> table;
  // replicates in blocks: the weights of the set's frames in a block's replicates drawn once (a table of
  // bytes, at most about 64 MB), then the set's accumulation per replicate reads them
  const auto bootstrap = [&](ap_set& set) {
    const auto& st = set.records;
    const std::size_t F = st.frames.size();
    const std::size_t block =
        std::clamp<std::size_t>((std::size_t{1} << 26) / std::max<std::size_t>(F, 1), 1, 256);
    for (std::size_t b0 = 0; b0 < replicates; b0 += block) {
      const std::size_t nb = std::min(block, replicates - b0);
      table.resize(F * nb);
      stratum::detail::run_workers(workers, [&](unsigned t) {
        for (std::size_t f = t; f < F; f += workers)
          stats::fill_poisson_weights(seed, static_cast<std::uint64_t>(st.frames[f]),
                                      static_cast<std::uint32_t>(b0),
                                      std::span<std::uint8_t>(table.data() + f * nb, nb));
      });
      stratum::detail::run_workers(workers, [&](unsigned t) {
        std::vector<double> rep, buf;
        std::vector<std::int64_t> npig(K);
        for (std::size_t j = t; j < nb; j += workers) {
          const auto w = [&](std::int64_t f) {
            return std::uint32_t{table[static_cast<std::size_t>(f) * nb + j]};
          };
          for (std::size_t k = 0; k < K; ++k) {
            npig[k] = 0;
            for (const auto& g : st.gts[k]) npig[k] += static_cast<std::int64_t>(w(g.image)) * g.n;
          }
          ap_detail::aps_of(coco::accumulate_sorted<true>(st.sr, q, w, npig), buf, rep);
          for (std::size_t c = 0; c <= K; ++c) set.classes[c].replicates[b0 + j] = rep[c];
        }
      });
    }
  };
  for (const auto& [name, frame_ids] : sets_) {
    auto& s = out.sets[name];
    auto& st = s.records;
    auto& ids = st.frames;
    ids = frame_ids;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    // a frame's index in the set, or -1 (not in it)
    const auto index_of = [&](std::int64_t id) -> std::int64_t {
      const auto it = std::lower_bound(ids.begin(), ids.end(), id);
      return it != ids.end() && *it == id ? it - ids.begin() : -1;
    };
    // the set's records in evaluation order (score descending, then frame id, then rank)
    auto& sr = st.sr;
    sr.dims = {T_, K, 1};
    sr.cats.resize(K);
    sr.npig.assign(K, 0);
    st.gts.resize(K);
    std::vector<std::pair<std::int64_t, const audit::operating_records::record*>> v;
    for (std::size_t k = 0; k < K; ++k) {
      v.clear();
      for (const auto& r : recs_[k])
        if (const auto f = index_of(r.image); f >= 0) v.push_back({f, &r});
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        if (a.second->score != b.second->score) return a.second->score > b.second->score;
        if (a.first != b.first) return a.first < b.first;
        return a.second->rank < b.second->rank;
      });
      auto& c = sr.cats[k];
      for (const auto& [f, r] : v) {
        c.score.push_back(r->score), c.image.push_back(f), c.rank.push_back(r->rank);
        c.tp.push_back(r->tp), c.fp.push_back(r->fp);
      }
      for (const auto& g : gts_[k])
        if (const auto f = index_of(g.image); f >= 0) st.gts[k].push_back({f, g.n}), sr.npig[k] += g.n;
      std::sort(st.gts[k].begin(), st.gts[k].end(),
                [](const auto& a, const auto& b) { return a.image < b.image; });
    }
    s.frames = ids.size();
    ap_detail::index_frames(st);
    s.classes.resize(1 + K);
    std::vector<double> aps, buf;
    ap_detail::aps_of(coco::accumulate_sorted<false>(
                          sr, q, [](std::int64_t) { return 1u; }, sr.npig),
                      buf, aps);
    for (std::size_t c = 0; c <= K; ++c) {
      s.classes[c].ap = aps[c];
      s.classes[c].n_gt = static_cast<std::uint64_t>(
          c == 0 ? std::accumulate(sr.npig.begin(), sr.npig.end(), std::int64_t{0}) : sr.npig[c - 1]);
      s.classes[c].replicates.assign(replicates, std::numeric_limits<double>::quiet_NaN());
    }
    bootstrap(s);
    if (!keep_records) s.records = {};
  }
  return out;
}

/// Domain tag of the null draws' stream ("APNL").
inline constexpr std::uint32_t ap_null_domain = 0x41504E4Cu;

/// The AP of set `s` (of a side computed with parameters `p`) on `replicates` draws of `frames` of its
/// frames, uniform and with replacement: draw i of replicate j is frame floor(u F) of its F frames (in id
/// order), u = stats::stream_uniform(seed, j, i, ap_null_domain); a frame drawn m times counts m times
/// (copies placed right after it, as the bootstrap's). Per class index (0: all classes), per replicate (NaN:
/// undefined). Under no change a window's AP over `frames` frames of the set is such a draw: the mean and
/// spread of these are the null's, bias at that size included.
[[nodiscard]] inline std::vector<std::vector<double>> null_draws(const ap_set& s, const coco::params& p,
                                                                 std::uint64_t frames, std::size_t replicates,
                                                                 std::uint64_t seed, unsigned threads = 1) {
  const auto& st = s.records;
  const std::size_t K = st.sr.cats.size(), F = st.frames.size();
  std::vector<std::vector<double>> out(
      1 + K, std::vector<double>(replicates, std::numeric_limits<double>::quiet_NaN()));
  if (K == 0 || F == 0 || frames == 0 || replicates == 0) return out;
  const auto q = ap_detail::cell_params(p);
  const unsigned workers =
      std::min<unsigned>(coco::resolve_threads(threads), static_cast<unsigned>(replicates));
  stratum::detail::run_workers(workers, [&](unsigned t) {
    std::vector<std::uint32_t> mult(F, 0), touched;
    std::vector<std::vector<std::uint64_t>> marks(K);
    coco::sorted_records sub;
    sub.dims = st.sr.dims;
    sub.cats.resize(K);
    std::vector<std::int64_t> npig(K);
    std::vector<double> rep, buf;
    for (std::size_t j = t; j < replicates; j += workers) {
      touched.clear();
      for (std::uint64_t i = 0; i < frames; ++i) {
        const double u = stats::stream_uniform(seed, j, i, ap_null_domain);
        const auto f = std::min<std::size_t>(F - 1, static_cast<std::size_t>(u * static_cast<double>(F)));
        if (mult[f]++ == 0) touched.push_back(static_cast<std::uint32_t>(f));
      }
      std::sort(touched.begin(), touched.end());
      for (std::size_t k = 0; k < K; ++k) {
        npig[k] = 0;
        const auto& first = st.rec_first[k];
        const auto& gf = st.gt_first[k];
        // the drawn frames' records marked in a bit set over the set's, read back in evaluation order
        auto& bits = marks[k];
        bits.assign((st.sr.cats[k].score.size() + 63) / 64, 0);
        for (const auto f : touched) {
          for (auto r = first[f]; r < first[f + 1]; ++r) {
            const auto i = st.rec_index[k][r];
            bits[i / 64] |= std::uint64_t{1} << (i % 64);
          }
          for (auto g = gf[f]; g < gf[f + 1]; ++g)
            npig[k] += static_cast<std::int64_t>(mult[f]) * st.gts[k][g].n;
        }
        const auto& c = st.sr.cats[k];
        auto& d = sub.cats[k];
        d.score.clear(), d.image.clear(), d.rank.clear(), d.tp.clear(), d.fp.clear();
        for (std::size_t wd = 0; wd < bits.size(); ++wd)
          for (std::uint64_t x = bits[wd]; x; x &= x - 1) {
            const std::size_t i = wd * 64 + static_cast<std::size_t>(std::countr_zero(x));
            d.score.push_back(c.score[i]), d.image.push_back(c.image[i]);
            d.rank.push_back(c.rank[i]), d.tp.push_back(c.tp[i]), d.fp.push_back(c.fp[i]);
          }
      }
      const auto w = [&](std::int64_t f) { return mult[static_cast<std::size_t>(f)]; };
      ap_detail::aps_of(coco::accumulate_sorted<true>(sub, q, w, npig), buf, rep);
      for (std::size_t c = 0; c <= K; ++c) out[c][j] = rep[c];
      for (const auto f : touched) mult[f] = 0;
    }
  });
  return out;
}

/// The AP of the baseline's frozen run (its frames and records), with `replicates` replicates drawn with
/// `seed`.
[[nodiscard]] inline ap_side ap_of(const baseline_file& b, std::size_t replicates, std::uint64_t seed,
                                   unsigned threads = 1) {
  ap_records r(b.slicing, std::numeric_limits<std::uint64_t>::max());
  const audit::audit_stream au(b.categories, b.params);
  if (b.audit.records.categories() == 0) {
    ap_side none;
    none.replicates = replicates, none.seed = seed;
    return none;
  }
  r.add(b.audit.records, b.audit.frames);
  return r.compute(*au.parameters(), replicates, seed, threads);
}

/// The AP tests of a window (`window`, resampled with another seed than `base`) against the baseline's
/// (`base`, computed with parameters `p`), appended to `res` (p-values unadjusted: call adjust after); the
/// null draws use res.options.ap_seed + 2. `names[k]` names class index k.
inline void compare_ap(const ap_side& base, const ap_side& window, const coco::params& p,
                       const std::vector<std::string>& names, drift_result& res) {
  const auto& o = res.options;
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const double z = stats::detail::ndtri(1 - o.conf.alpha() / 2);
  const std::size_t R = std::min(base.replicates, window.replicates);
  // mean and sample standard deviation of the defined values; n: how many
  const auto moments = [](const std::vector<double>& v, std::size_t count, double& mean, double& sd) {
    std::size_t n = 0;
    double sum = 0;
    for (std::size_t b = 0; b < count; ++b)
      if (!std::isnan(v[b])) sum += v[b], ++n;
    mean = n ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
    double ss = 0;
    for (std::size_t b = 0; b < count; ++b)
      if (!std::isnan(v[b])) ss += (v[b] - mean) * (v[b] - mean);
    sd = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : std::numeric_limits<double>::quiet_NaN();
    return n;
  };
  for (const auto& name : sets_in_both(base.sets, window.sets)) {
    const auto& bs = base.sets.at(name);
    const auto& ws = window.sets.at(name);
    const bool enough = bs.frames >= o.min_frames && ws.frames >= o.min_frames && R >= 2;
    const std::vector<std::vector<double>>* null = nullptr;  // per class, per draw (when enough)
    if (enough) {
      auto [it, fresh] = base.null_cache.try_emplace({name, ws.frames, R, o.ap_seed + 2});
      if (fresh) it->second = null_draws(bs, p, ws.frames, R, o.ap_seed + 2, o.threads);
      null = &it->second;
    }
    // one class: its row would repeat the pooled one
    const std::size_t classes = bs.classes.size() == 2 ? 1 : bs.classes.size();
    for (std::size_t c = 0; c < classes && c < ws.classes.size(); ++c) {
      const auto& bc = bs.classes[c];
      const auto& wc = ws.classes[c];
      if (std::isnan(bc.ap) && std::isnan(wc.ap)) continue;
      drift_test t;
      t.set = name, t.feature = "AP", t.cls = c == 0 ? "" : names.at(c - 1);
      t.df1 = nan;
      t.base_n = bc.n_gt, t.window_n = wc.n_gt;
      t.base_frames = bs.frames, t.window_frames = ws.frames;
      t.base_value = bc.ap, t.window_value = wc.ap;
      t.second_name = "raw difference";
      t.second = t.shift = wc.ap - bc.ap;
      t.shift_name = "difference";
      const auto little = [&](std::string note) {
        t.status = "too little data";
        t.note = std::move(note);
        res.tests.push_back(std::move(t));
      };
      if (std::isnan(t.shift)) {
        little(std::isnan(wc.ap) ? "no object of the class in the window"
                                 : "no object of the class in the baseline");
        continue;
      }
      if (!enough) {
        little(R < 2 ? "AP not bootstrapped" : "");
        continue;
      }
      double mb = 0, sb = 0, mw = 0, sw = 0, m0 = 0, s0 = 0;
      const std::size_t nb = moments(bc.replicates, R, mb, sb), nw = moments(wc.replicates, R, mw, sw),
                        n0 = moments((*null)[c], R, m0, s0);
      if (nb < R || nw < R) {
        little("AP undefined in " + std::to_string(2 * R - nb - nw) + " of " + std::to_string(2 * R) +
               " bootstrap replicates (no object of the class drawn)");
        continue;
      }
      if (2 * n0 < R) {
        little("AP undefined in " + std::to_string(R - n0) + " of " + std::to_string(R) +
               " null draws of the window's size");
        continue;
      }
      // the window against the baseline's AP at the window's size (m0: the small-sample bias included);
      // the interval from both sides' bootstrap spreads, the test from the null's
      t.shift = wc.ap - m0;
      t.shift_name = "difference at the window's size";
      char buf[96];
      std::snprintf(buf, sizeof buf, "the baseline's AP on %llu of its frames: %.3g",
                    static_cast<unsigned long long>(ws.frames), m0);
      t.note = buf;
      const double se = std::sqrt(sw * sw + sb * sb), se0 = std::sqrt(s0 * s0 + sb * sb);
      t.shift_lower = t.shift - z * se, t.shift_upper = t.shift + z * se;
      t.test = "bootstrap z";
      if (se0 > 0) {
        t.statistic = t.shift / se0;
        t.p_value = 2 * stats::detail::ndtr(-std::fabs(t.statistic));
      } else {
        t.statistic = 0;
        t.p_value = t.shift == 0 ? 1.0 : 0.0;
      }
      res.tests.push_back(std::move(t));
    }
  }
}

}  // namespace stratum::baseline
