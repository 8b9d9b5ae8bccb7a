// The exact, mergeable accumulator of COCO evaluation.
//
// Matching (see matcher.hpp) turns every frame into, per category, one record per kept detection -- its
// score, its frame (image) id, its rank among the frame's detections of that category, and two bit masks per
// area range: bit t of `tp` is set when the detection is a true positive at IoU threshold t, bit t of `fp`
// when it is a false positive (neither bit: ignored) -- and, per area range, the number of non-ignored ground
// truths. That is all pycocotools' `accumulate` needs. The state is a regular value type:
//   * default/`exact_accumulator(dims)` is the identity of merge;
//   * `merge` (or `+=`) appends records and adds counts, so it is associative and commutative;
//   * `finalize` orders each category's records by (score descending, image id ascending, rank ascending),
//     which is the order pycocotools' two stable mergesorts produce (images in ascending id order, detections
//     of an image in score order, ties in input order), so the result does not depend on the order in which
//     frames arrived or on how the work was split.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

#include "../core/error.hpp"
#include "../core/state.hpp"
#include "params.hpp"

namespace stratum::coco {

/// Shape of an accumulator: IoU thresholds, categories (1 when class-agnostic), area ranges.
/// Detection records of one category, structure of arrays.
struct category_records {
  std::vector<double> score;
  std::vector<std::int64_t> image;
  std::vector<std::uint32_t> rank;
  std::vector<std::uint64_t> tp, fp;  // A words per record
  std::vector<std::int64_t> npig;     // non-ignored ground truths per area range

  [[nodiscard]] std::size_t size() const noexcept { return score.size(); }
  friend bool operator==(const category_records&, const category_records&) = default;
};

/// pycocotools' `eval` arrays: precision and scores [T, R, K, A, M], recall [T, K, A, M], C order, -1 where a
/// category has no (non-ignored) ground truth.
struct eval_arrays {
  std::size_t T = 0, R = 0, K = 0, A = 0, M = 0;
  std::vector<double> precision, recall, scores;

  [[nodiscard]] std::size_t p_index(std::size_t t, std::size_t r, std::size_t k, std::size_t a,
                                    std::size_t m) const noexcept {
    return (((t * R + r) * K + k) * A + a) * M + m;
  }
  [[nodiscard]] std::size_t r_index(std::size_t t, std::size_t k, std::size_t a,
                                    std::size_t m) const noexcept {
    return ((t * K + k) * A + a) * M + m;
  }
};

/// A state's records sorted into evaluation order, per category, with the non-ignored ground-truth counts:
/// what `accumulate` reads. Sorting once serves every area range, maxDets value, and bootstrap replicate.
struct sorted_records {
  acc_dims dims;
  struct category {
    std::vector<double> score;
    std::vector<std::int64_t> image;
    std::vector<std::uint32_t> rank;
    std::vector<std::uint64_t> tp, fp;  // A words per record
  };
  std::vector<category> cats;
  std::vector<std::int64_t> npig;  // K * A
};

class exact_accumulator {
 public:
  exact_accumulator() = default;
  explicit exact_accumulator(acc_dims d) : dims_(d), cats_(d.K) {
    for (auto& c : cats_) c.npig.assign(d.A, 0);
  }

  [[nodiscard]] const acc_dims& dims() const noexcept { return dims_; }
  [[nodiscard]] const std::vector<category_records>& categories() const noexcept { return cats_; }
  [[nodiscard]] std::size_t detections() const noexcept {
    std::size_t n = 0;
    for (const auto& c : cats_) n += c.size();
    return n;
  }

  /// Reserves room for n more records of category k (avoids regrowth when the count is known).
  void reserve(std::size_t k, std::size_t n) {
    auto& c = cats_[k];
    c.score.reserve(c.size() + n), c.image.reserve(c.size() + n), c.rank.reserve(c.size() + n);
    c.tp.reserve((c.size() + n) * dims_.A), c.fp.reserve((c.size() + n) * dims_.A);
  }

  /// Adds one detection record of category k; tp and fp point to A words each.
  void add_detection(std::size_t k, double score, std::int64_t image, std::uint32_t rank,
                     const std::uint64_t* tp, const std::uint64_t* fp) {
    // Any finite score ranks (pycocotools only sorts by it); NaN would make the ordering undefined.
    if (!std::isfinite(score)) throw usage_error("exact_accumulator: detection score is not finite");
    auto& c = cats_[k];
    c.score.push_back(score);
    c.image.push_back(image);
    c.rank.push_back(rank);
    for (std::size_t a = 0; a < dims_.A; ++a) c.tp.push_back(tp[a]), c.fp.push_back(fp[a]);
  }
  void add_ground_truths(std::size_t k, std::size_t a, std::int64_t non_ignored) {
    cats_[k].npig[a] += non_ignored;
  }

  /// Empties the state, keeping its shape and its memory.
  void clear() noexcept {
    for (auto& c : cats_) {
      c.score.clear(), c.image.clear(), c.rank.clear(), c.tp.clear(), c.fp.clear();
      std::fill(c.npig.begin(), c.npig.end(), 0);
    }
  }

  /// Merges another partial evaluation of the same shape (throws usage_error otherwise).
  exact_accumulator& merge(const exact_accumulator& o) {
    // a += a: appending a vector's own range to itself is undefined (insert may reallocate first)
    if (&o == this) return merge(exact_accumulator(o));
    if (o.dims_ == acc_dims{} && o.cats_.empty()) return *this;
    if (dims_ == acc_dims{} && cats_.empty()) return *this = o;
    if (!(o.dims_ == dims_))
      throw usage_error("exact_accumulator::merge: the two states have different shapes");
    for (std::size_t k = 0; k < cats_.size(); ++k) {
      auto& a = cats_[k];
      const auto& b = o.cats_[k];
      a.score.insert(a.score.end(), b.score.begin(), b.score.end());
      a.image.insert(a.image.end(), b.image.begin(), b.image.end());
      a.rank.insert(a.rank.end(), b.rank.begin(), b.rank.end());
      a.tp.insert(a.tp.end(), b.tp.begin(), b.tp.end());
      a.fp.insert(a.fp.end(), b.fp.begin(), b.fp.end());
      for (std::size_t i = 0; i < a.npig.size(); ++i) a.npig[i] += b.npig[i];
    }
    return *this;
  }
  exact_accumulator& operator+=(const exact_accumulator& o) { return merge(o); }

  /// Records of category k in evaluation order: score descending, then image id, then rank. Records usually
  /// arrive already in (image, rank) order (a batch pass or an in-order merge); then a stable sort on the
  /// score alone gives that order, which is cheaper than comparing the full key.
  [[nodiscard]] std::vector<std::uint32_t> order(std::size_t k) const {
    const auto& c = cats_[k];
    const std::size_t n = c.size();
    bool in_order = true;
    for (std::size_t i = 1; i < n && in_order; ++i)
      in_order = c.image[i - 1] < c.image[i] || (c.image[i - 1] == c.image[i] && c.rank[i - 1] < c.rank[i]);
    std::vector<std::uint32_t> idx(n);
    if (in_order) {
      struct key {
        double score;
        std::uint32_t index;
      };
      std::vector<key> keys(n);
      for (std::size_t i = 0; i < n; ++i) keys[i] = {c.score[i], static_cast<std::uint32_t>(i)};
      std::stable_sort(keys.begin(), keys.end(),
                       [](const key& a, const key& b) { return a.score > b.score; });
      for (std::size_t i = 0; i < n; ++i) idx[i] = keys[i].index;
      return idx;
    }
    struct key {
      double score;
      std::int64_t image;
      std::uint32_t rank, index;
    };
    std::vector<key> keys(n);
    for (std::size_t i = 0; i < n; ++i)
      keys[i] = {c.score[i], c.image[i], c.rank[i], static_cast<std::uint32_t>(i)};
    std::sort(keys.begin(), keys.end(), [](const key& a, const key& b) {
      if (a.score != b.score) return a.score > b.score;
      if (a.image != b.image) return a.image < b.image;
      return a.rank < b.rank;
    });
    for (std::size_t i = 0; i < n; ++i) idx[i] = keys[i].index;
    return idx;
  }

  /// pycocotools' `accumulate` over this state.
  [[nodiscard]] eval_arrays finalize(const resolved_params& p) const;

  /// The records sorted into evaluation order (see sorted_records).
  [[nodiscard]] sorted_records sorted() const;
  /// Non-ignored ground truths per (category, area range), K * A.
  [[nodiscard]] std::vector<std::int64_t> npig() const;

 private:
  void sort_category(std::size_t k, sorted_records::category& o) const;

 public:
  static constexpr state_kind kind = state_kind::coco_exact;
  static constexpr std::uint16_t format_version = 1;

  /// Records of category k in canonical order: (image, rank) ascending, then the score's bits and the masks
  /// (a total order, so forged duplicates too have one place). serialize writes this order, so any split of
  /// the frames merged in any order gives the same bytes.
  [[nodiscard]] std::vector<std::uint32_t> canonical_order(std::size_t k) const;

  /// The same shape, ground-truth counts and, per category, the same multiset of records (every bit of every
  /// field): equal for any split and arrival order of the same frames.
  friend bool operator==(const exact_accumulator& a, const exact_accumulator& b) {
    if (!(a.dims_ == b.dims_) || a.cats_.size() != b.cats_.size()) return false;
    for (std::size_t k = 0; k < a.cats_.size(); ++k) {
      const auto &x = a.cats_[k], &y = b.cats_[k];
      if (x.npig != y.npig || x.size() != y.size()) return false;
      if (x == y) continue;  // same records in the same order
      const auto ox = a.canonical_order(k), oy = b.canonical_order(k);
      for (std::size_t i = 0; i < ox.size(); ++i)
        if (a.compare_records(k, ox[i], b, oy[i]) != 0) return false;
    }
    return true;
  }

  /// The common wire format without a parameter fingerprint (serialize.hpp: with one, and checked readers).
  [[nodiscard]] std::vector<std::byte> serialize() const;
  /// The state back from serialize (any fingerprint accepted); input_error naming the offset on bad input.
  [[nodiscard]] static exact_accumulator deserialize(std::span<const std::byte> bytes);

  /// -1, 0, 1: record i of category k here against record j of category k in `o`, in canonical order.
  [[nodiscard]] int compare_records(std::size_t k, std::size_t i, const exact_accumulator& o,
                                    std::size_t j) const noexcept {
    const auto &x = cats_[k], &y = o.cats_[k];
    auto cmp = [](auto u, auto v) { return u < v ? -1 : (v < u ? 1 : 0); };
    if (int c = cmp(x.image[i], y.image[j])) return c;
    if (int c = cmp(x.rank[i], y.rank[j])) return c;
    if (int c = cmp(std::bit_cast<std::uint64_t>(x.score[i]), std::bit_cast<std::uint64_t>(y.score[j])))
      return c;
    const std::size_t A = dims_.A;
    for (std::size_t a = 0; a < A; ++a) {
      if (int c = cmp(x.tp[i * A + a], y.tp[j * A + a])) return c;
      if (int c = cmp(x.fp[i * A + a], y.fp[j * A + a])) return c;
    }
    return 0;
  }

 private:
  acc_dims dims_;
  std::vector<category_records> cats_;
};

/// Precision at the recall thresholds for one (category, area range, maxDets, IoU threshold), as pycocotools'
/// `accumulate` computes it along the ordered detections:
///   rc[i] = tp[i] / npig,   pr[i] = tp[i] / (fp[i] + tp[i] + eps)  with eps = numpy.spacing(1) = 2^-52,
///   pr made non-increasing from the right (pr[i-1] = max(pr[i-1], pr[i])),
///   q[r] = pr[searchsorted_left(rc, recThr[r])] and s[r] = score there, 0 past the last detection.
/// Only the positions of true positives matter: rc changes only there, so searchsorted lands on one (or on
/// position 0 for a threshold <= 0), and between two of them pr can only fall, so the running maximum from
/// the right is attained at a true positive. This takes the true positives as events (cumulative tp and fp
/// counts and the score at each), which gives the same doubles with work proportional to their number.
struct pr_events {
  std::vector<double> tp, fp, score, envelope;
  double first_score = 0;  // score at position 0
  std::size_t nd = 0;      // number of detections, including false positives and ignored ones
  void clear() noexcept {
    tp.clear(), fp.clear(), score.clear();
    nd = 0;
  }
};

inline void precision_at_recall(pr_events& ev, double npig, const std::vector<double>& rec_thrs, double* q,
                                double* s, std::size_t stride) {
  constexpr double eps = 2.220446049250313e-16;
  const std::size_t n = ev.tp.size();
  ev.envelope.resize(n);
  double run = 0;
  for (std::size_t e = n; e-- > 0;) {
    const double pr = ev.tp[e] / (ev.fp[e] + ev.tp[e] + eps);
    run = pr > run ? pr : run;
    ev.envelope[e] = run;
  }
  std::size_t e = 0;
  for (std::size_t r = 0; r < rec_thrs.size(); ++r) {
    const double thr = rec_thrs[r];
    if (ev.nd == 0) {
      q[r * stride] = 0, s[r * stride] = 0;
    } else if (thr <= 0) {  // searchsorted gives position 0
      q[r * stride] = n ? ev.envelope[0] : 0.0;
      s[r * stride] = ev.first_score;
    } else {
      while (e < n && ev.tp[e] / npig < thr) ++e;
      if (e < n) {
        q[r * stride] = ev.envelope[e];
        s[r * stride] = ev.score[e];
      } else {
        q[r * stride] = 0, s[r * stride] = 0;
      }
    }
  }
}

inline void exact_accumulator::sort_category(std::size_t k, sorted_records::category& o) const {
  const std::size_t A = dims_.A;
  const auto& c = cats_[k];
  const auto idx = order(k);
  const std::size_t n = idx.size();
  o.score.resize(n), o.image.resize(n), o.rank.resize(n), o.tp.resize(n * A), o.fp.resize(n * A);
  for (std::size_t i = 0; i < n; ++i) {
    const auto j = idx[i];
    o.score[i] = c.score[j], o.image[i] = c.image[j], o.rank[i] = c.rank[j];
    for (std::size_t a = 0; a < A; ++a) o.tp[i * A + a] = c.tp[j * A + a], o.fp[i * A + a] = c.fp[j * A + a];
  }
}

inline std::vector<std::uint32_t> exact_accumulator::canonical_order(std::size_t k) const {
  const auto& c = cats_[k];
  const std::size_t n = c.size();
  std::vector<std::uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0u);
  // Records usually arrive in strictly increasing (image, rank) order (a batch pass, one frame at a time):
  // then the key decides before the score and masks, and the arrival order is the canonical one.
  bool in_order = true;
  for (std::size_t i = 1; i < n && in_order; ++i)
    in_order = c.image[i - 1] < c.image[i] || (c.image[i - 1] == c.image[i] && c.rank[i - 1] < c.rank[i]);
  if (in_order) return idx;
  std::sort(idx.begin(), idx.end(),
            [&](std::uint32_t a, std::uint32_t b) { return compare_records(k, a, *this, b) < 0; });
  return idx;
}

inline std::vector<std::int64_t> exact_accumulator::npig() const {
  std::vector<std::int64_t> out(dims_.K * dims_.A);
  for (std::size_t k = 0; k < dims_.K; ++k)
    for (std::size_t a = 0; a < dims_.A; ++a) out[k * dims_.A + a] = cats_[k].npig[a];
  return out;
}

inline sorted_records exact_accumulator::sorted() const {
  sorted_records out;
  out.dims = dims_;
  out.cats.resize(dims_.K);
  out.npig = npig();
  for (std::size_t k = 0; k < dims_.K; ++k) sort_category(k, out.cats[k]);
  return out;
}

/// pycocotools' `accumulate` over sorted records in which image `id` appears `weight(id)` times (a whole
/// number; 0 drops the image), with `npig[k * A + a]` non-ignored ground truths. This is exactly the
/// evaluation of the data set in which every image is repeated that many times, the copies of an image placed
/// right after it (ids in between its own and the next image's): records of equal score from the copies of
/// one image follow each other copy by copy, in rank order within a copy. With Weighted = false every weight
/// is 1.
namespace detail {

/// Output arrays of the shape of `dims` and `p`, filled with -1.
inline eval_arrays make_eval_arrays(const acc_dims& dims, const params& p, std::size_t npig_size) {
  eval_arrays e;
  e.T = dims.T;
  e.R = p.rec_thrs.size();
  e.K = dims.K;
  e.A = dims.A;
  e.M = p.max_dets.size();
  if (p.iou_thrs.size() != e.T || p.area_rngs.size() != e.A || npig_size != e.K * e.A)
    throw usage_error("accumulate: parameters do not match the accumulator's shape");
  e.precision.assign(e.T * e.R * e.K * e.A * e.M, -1.0);
  e.scores.assign(e.precision.size(), -1.0);
  e.recall.assign(e.T * e.K * e.A * e.M, -1.0);
  return e;
}

/// accumulate for category k (see accumulate_sorted), writing into e; buffers reused across calls.
class category_accumulation {
 public:
  template <bool Weighted, class WeightFn>
  void run(const sorted_records::category& c, std::size_t k, const params& p, WeightFn&& weight,
           const std::vector<std::int64_t>& npig, eval_arrays& e) {
    const std::size_t A = e.A, stride = e.K * e.A * e.M;
    bool any_gt = false;
    for (std::size_t a = 0; a < A; ++a) any_gt |= npig[k * A + a] > 0;
    if (!any_gt) return;
    events_.resize(e.T);
    tsum_.resize(e.T);
    fsum_.resize(e.T);
    const std::size_t n_rec = c.score.size();
    if constexpr (Weighted) {
      w_.resize(n_rec);
      for (std::size_t i = 0; i < n_rec; ++i) w_[i] = static_cast<std::uint32_t>(weight(c.image[i]));
    }
    for (std::size_t a = 0; a < A; ++a) {
      const auto n_gt = npig[k * A + a];
      if (n_gt == 0) continue;
      for (std::size_t m = 0; m < e.M; ++m) {
        const auto max_det = static_cast<std::uint32_t>(p.max_dets[m]);
        for (auto& ev : events_) ev.clear();
        std::fill(tsum_.begin(), tsum_.end(), 0.0);
        std::fill(fsum_.begin(), fsum_.end(), 0.0);
        std::size_t nd = 0;
        double first_score = 0;
        auto visit = [&](std::size_t i) {
          if (nd++ == 0) first_score = c.score[i];
          for (std::uint64_t fw = c.fp[i * A + a]; fw; fw &= fw - 1)
            fsum_[static_cast<std::size_t>(std::countr_zero(fw))] += 1;
          for (std::uint64_t tw = c.tp[i * A + a]; tw; tw &= tw - 1) {
            const auto t = static_cast<std::size_t>(std::countr_zero(tw));
            auto& ev = events_[t];
            ev.tp.push_back(tsum_[t] += 1);
            ev.fp.push_back(fsum_[t]);
            ev.score.push_back(c.score[i]);
          }
        };
        if constexpr (!Weighted) {
          for (std::size_t i = 0; i < n_rec; ++i)
            if (c.rank[i] < max_det) visit(i);
        } else {
          for (std::size_t i = 0; i < n_rec;) {
            std::size_t j = i + 1;  // the run of records with this score from this image
            while (j < n_rec && c.score[j] == c.score[i] && c.image[j] == c.image[i]) ++j;
            for (std::uint32_t copy = 0; copy < w_[i]; ++copy)
              for (std::size_t r = i; r < j; ++r)
                if (c.rank[r] < max_det) visit(r);
            i = j;
          }
        }
        const double n = static_cast<double>(n_gt);
        for (std::size_t t = 0; t < e.T; ++t) {
          auto& ev = events_[t];
          ev.nd = nd;
          ev.first_score = first_score;
          e.recall[e.r_index(t, k, a, m)] = nd ? tsum_[t] / n : 0.0;
          precision_at_recall(ev, n, p.rec_thrs, &e.precision[e.p_index(t, 0, k, a, m)],
                              &e.scores[e.p_index(t, 0, k, a, m)], stride);
        }
      }
    }
  }

 private:
  std::vector<pr_events> events_;
  std::vector<double> tsum_, fsum_;
  std::vector<std::uint32_t> w_;
};

}  // namespace detail

/// pycocotools' `accumulate` over sorted records in which image `id` appears `weight(id)` times (a whole
/// number; 0 drops the image), with `npig[k * A + a]` non-ignored ground truths. This is exactly the
/// evaluation of the data set in which every image is repeated that many times, the copies of an image placed
/// right after it (ids in between its own and the next image's): records of equal score from the copies of
/// one image follow each other copy by copy, in rank order within a copy. With Weighted = false every weight
/// is 1.
template <bool Weighted, class WeightFn>
[[nodiscard]] eval_arrays accumulate_sorted(const sorted_records& sr, const params& p, WeightFn&& weight,
                                            const std::vector<std::int64_t>& npig) {
  auto e = detail::make_eval_arrays(sr.dims, p, npig.size());
  detail::category_accumulation run;
  for (std::size_t k = 0; k < e.K; ++k) run.run<Weighted>(sr.cats[k], k, p, weight, npig, e);
  return e;
}

inline eval_arrays exact_accumulator::finalize(const resolved_params& p) const {
  p.require("exact_accumulator::finalize");
  // one category sorted at a time: the memory of one category's records, not of all of them
  const auto np = npig();
  auto e = detail::make_eval_arrays(dims_, p, np.size());
  detail::category_accumulation run;
  sorted_records::category buf;
  for (std::size_t k = 0; k < e.K; ++k) {
    bool any_gt = false;
    for (std::size_t a = 0; a < e.A; ++a) any_gt |= np[k * e.A + a] > 0;
    if (!any_gt) continue;
    sort_category(k, buf);
    run.run<false>(
        buf, k, p, [](std::int64_t) { return 1u; }, np, e);
  }
  return e;
}

}  // namespace stratum::coco

// serialize() and deserialize() are defined with the rest of the wire format of the COCO states.
#include "serialize.hpp"
