// Bounded-memory COCO accumulator for unbounded streams: memory independent of the number of detections.
//
// It is fed the same records as exact_accumulator (matcher::match feeds either), but keeps only counts.
// Scores in [0, 1] fall into B equal-width bins: bin b holds the scores s with e_b <= s < e_{b+1}, where e_b
// = double(b) / double(B) (correctly rounded), and the last bin also holds 1.0. For every (category k, area
// range a, maxDets level m, bin b, IoU threshold t) it counts true and false positives (uint64); a record's
// level is the smallest m with rank < maxDets[m], so the records kept at maxDets[m] are levels 0 .. m
// (records of rank >= maxDets[M-1] are never used and are dropped). It also counts the records of every (k,
// m, b), whatever their status, and the non-ignored ground truths of every (k, a).
//
// finalize replays pycocotools' `accumulate` (see exact_accumulator::finalize) on the bins in descending
// order. The order of the detections inside a bin is unknown, so it returns two complete sets of arrays:
//   upper: inside every bin, true positives before false positives;
//   lower: inside every bin, false positives before true positives.
// Bound: let F(c) be the number of false positives ranked before the c-th true positive. Any order consistent
// with the bins (in particular the exact one) has F_upper(c) <= F(c) <= F_lower(c), because F can only vary
// by the false positives of the c-th true positive's own bin. The precision at the c-th true positive,
// c / (F(c) + c + eps), decreases in F (and every step is a correctly rounded, hence monotone, operation), so
// it is bracketed pointwise; pycocotools' interpolated precision at recall threshold r is the maximum of
// those values over c >= c_r, where c_r, the smallest count with c / npig >= recThr[r], does not depend on
// the order. Taking the maximum over the same set keeps the bracket, so every precision entry satisfies
// lower <= exact <= upper, and so does every AP (a mean with a fixed summation tree is monotone in each
// term). Recall (total true positives / npig) is exact. The score entries are the lower edge e_b of the bin
// holding the detection pycocotools reports (that bin does not depend on the order either): exact score in
// [e_b, e_{b+1}). When each bin holds a single distinct score equal to its edge (scores j / B) and no bin
// mixes true and false positives at a given (k, a, m, t), lower == upper == the exact arrays, bit for bit.
// Details and the memory formula: docs/bounded_mode.md.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../detail/binary.hpp"
#include "accumulator.hpp"
#include "params.hpp"
#include "serialize.hpp"
#include "summary.hpp"

namespace stratum::coco {

/// The two bracketing evaluations of a binned state: lower.precision <= exact <= upper.precision entry by
/// entry; recall and scores are the same in both (recall exact, scores = lower bin edges).
struct binned_eval {
  eval_arrays lower, upper;
};

/// summarize() of both bounds: lower[i] <= exact[i] <= upper[i] for the six AP numbers; the six AR numbers
/// are exact (lower == upper).
struct binned_stats {
  std::array<double, 12> lower{}, upper{};
};

/// Default limit on the memory a deserialized binned state may take (its size follows from the header's
/// dimensions, not from the input's length): 4 GiB.
inline constexpr std::size_t default_max_state_bytes = std::size_t{1} << 32;

class binned_accumulator;
[[nodiscard]] std::vector<std::byte> serialize(const binned_accumulator& acc);
/// The binned accumulator stored in [p, p + n); throws input_error on any problem, including a state whose
/// dimensions would need more than max_state_bytes of memory.
[[nodiscard]] binned_accumulator deserialize_binned(const std::byte* p, std::size_t n,
                                                    std::size_t max_state_bytes = default_max_state_bytes);

class binned_accumulator {
 public:
  static constexpr std::size_t default_bins = 1000;
  static constexpr std::size_t max_bins = std::size_t{1} << 24;

  /// The empty state without a shape: the identity of merge.
  binned_accumulator() = default;

  /// An empty state for the resolved parameters `p` (K = cat_ids.size(), or 1 when use_cats is false) and
  /// `bins` score bins (1 .. 2^24). Throws usage_error on invalid parameters.
  explicit binned_accumulator(const resolved_params& p, std::size_t bins = default_bins)
      : dims_(p.dims()), fingerprint_(p.fingerprint()) {
    p.require("binned_accumulator");
    if (bins < 1 || bins > max_bins)
      throw usage_error("binned_accumulator: bins must be in [1, 2^24], got " + std::to_string(bins));
    B_ = bins;
    max_dets_.assign(p->max_dets.begin(), p->max_dets.end());
    allocate();
  }

  [[nodiscard]] const acc_dims& dims() const noexcept { return dims_; }
  [[nodiscard]] std::size_t bins() const noexcept { return B_; }
  [[nodiscard]] const std::vector<std::uint32_t>& max_dets() const noexcept { return max_dets_; }
  [[nodiscard]] std::uint64_t fingerprint() const noexcept { return fingerprint_; }

  /// Number of records kept (rank < maxDets[M-1]).
  [[nodiscard]] std::uint64_t detections() const noexcept {
    std::uint64_t n = 0;
    for (auto v : total_) n += v;
    return n;
  }

  /// Bytes held: sizeof(*this) + 16 K A M T B (true/false positive counts) + 8 K M B (records per bin)
  /// + 8 K A (ground truths) + 4 M (maxDets); fixed at construction.
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return sizeof(*this) + counts_.capacity() * sizeof(std::uint64_t) +
           total_.capacity() * sizeof(std::uint64_t) + npig_.capacity() * sizeof(std::int64_t) +
           max_dets_.capacity() * sizeof(std::uint32_t);
  }

  /// The message for a score outside the bins' [0, 1].
  static std::string score_message(double score) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", score);
    return std::string("detection score ") + buf +
           " is outside [0, 1]: the bounded (binned) mode bins scores as probabilities (the exact mode ranks "
           "any finite score)";
  }

  /// Lower edge of bin b: double(b) / double(B).
  [[nodiscard]] double bin_edge(std::size_t b) const noexcept {
    return static_cast<double>(b) / static_cast<double>(B_);
  }

  /// The bin of a score: the largest b with bin_edge(b) <= score, at most B - 1. Throws input_error when the
  /// score is NaN or outside [0, 1] (see add_detection for the message).
  [[nodiscard]] std::size_t bin_of(double score) const {
    if (!(score >= 0.0 && score <= 1.0)) throw input_error(score_message(score));
    return bin_in_range(score);
  }

  /// bin_of for a score already known to lie in [0, 1].
  [[nodiscard]] std::size_t bin_in_range(double score) const noexcept {
    const double Bd = static_cast<double>(B_);
    auto b = static_cast<std::size_t>(score * Bd);  // a guess, corrected against the edges below
    if (b >= B_) b = B_ - 1;
    while (b > 0 && bin_edge(b) > score) --b;
    while (b + 1 < B_ && bin_edge(b + 1) <= score) ++b;
    return b;
  }

  /// Adds one detection record of category k (as exact_accumulator::add_detection; `image` only names the
  /// record in an error). The bins are on [0, 1], so unlike the exact mode this needs probabilities: a score
  /// outside [0, 1] or NaN throws input_error naming the image, the category index and the score.
  void add_detection(std::size_t k, double score, std::int64_t image, std::uint32_t rank,
                     const std::uint64_t* tp, const std::uint64_t* fp) {
    if (k >= dims_.K)
      throw usage_error("binned_accumulator::add_detection: category index " + std::to_string(k) +
                        " out of range (K=" + std::to_string(dims_.K) + ")");
    if (!(score >= 0.0 && score <= 1.0))
      throw input_error("image " + std::to_string(image) + ", category index " + std::to_string(k) + ": " +
                        score_message(score));
    const std::size_t b = bin_in_range(score);
    const std::size_t M = max_dets_.size();
    std::size_t m = 0;
    while (m < M && rank >= max_dets_[m]) ++m;
    if (m == M) return;  // never kept by any maxDets value
    ++total_[(k * M + m) * B_ + b];
    const std::size_t T = dims_.T;
    for (std::size_t a = 0; a < dims_.A; ++a) {
      std::uint64_t tw = tp[a] & tmask_, fw = fp[a] & tmask_;
      if ((tw | fw) == 0) continue;
      std::uint64_t* c = counts_.data() + ((((k * dims_.A + a) * M + m) * B_ + b) * T) * 2;
      for (; tw; tw &= tw - 1) ++c[2 * static_cast<std::size_t>(std::countr_zero(tw))];
      for (; fw; fw &= fw - 1) ++c[2 * static_cast<std::size_t>(std::countr_zero(fw)) + 1];
    }
  }

  /// Adds the non-ignored ground truths of category k in area range a.
  void add_ground_truths(std::size_t k, std::size_t a, std::int64_t non_ignored) {
    if (k >= dims_.K || a >= dims_.A)
      throw usage_error("binned_accumulator::add_ground_truths: index out of range (k=" + std::to_string(k) +
                        ", a=" + std::to_string(a) + ")");
    if (non_ignored < 0)
      throw usage_error("binned_accumulator::add_ground_truths: negative count " +
                        std::to_string(non_ignored));
    npig_[k * dims_.A + a] += non_ignored;
  }

  /// Adds every record and count of an exact state of the same shape.
  void add(const exact_accumulator& e) {
    if (e.dims() == acc_dims{} && e.categories().empty()) return;
    if (!(e.dims() == dims_))
      throw usage_error("binned_accumulator::add: the exact state has another shape (" +
                        detail::dims_string(e.dims()) + ", expected " + detail::dims_string(dims_) + ")");
    const std::size_t A = dims_.A;
    for (std::size_t k = 0; k < dims_.K; ++k) {
      const auto& c = e.categories()[k];
      for (std::size_t a = 0; a < A; ++a) add_ground_truths(k, a, c.npig[a]);
      for (std::size_t j = 0; j < c.size(); ++j)
        add_detection(k, c.score[j], c.image[j], c.rank[j], c.tp.data() + j * A, c.fp.data() + j * A);
    }
  }

  /// Empties the state, keeping its shape and memory.
  void clear() noexcept {
    std::fill(counts_.begin(), counts_.end(), 0);
    std::fill(total_.begin(), total_.end(), 0);
    std::fill(npig_.begin(), npig_.end(), 0);
  }

  /// Adds the counts of a state of the same shape, bins and parameters (throws usage_error otherwise).
  /// Integer sums: associative and commutative, so any split of the stream gives the same state.
  binned_accumulator& merge(const binned_accumulator& o) {
    if (o.B_ == 0) return *this;
    if (B_ == 0) return *this = o;
    if (!(o.dims_ == dims_) || o.B_ != B_ || o.max_dets_ != max_dets_ || o.fingerprint_ != fingerprint_)
      throw usage_error(
          "binned_accumulator::merge: the two states have different shapes, bins or parameters");
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    for (std::size_t i = 0; i < total_.size(); ++i) total_[i] += o.total_[i];
    for (std::size_t i = 0; i < npig_.size(); ++i) npig_[i] += o.npig_[i];
    return *this;
  }
  binned_accumulator& operator+=(const binned_accumulator& o) { return merge(o); }

  static constexpr state_kind kind = state_kind::coco_binned;
  static constexpr std::uint16_t format_version = 1;
  /// The common wire format (see serialize(const binned_accumulator&) below).
  [[nodiscard]] std::vector<std::byte> serialize() const;
  /// The state back, with the default memory limit (deserialize_binned for another limit or a fingerprint
  /// check).
  [[nodiscard]] static binned_accumulator deserialize(std::span<const std::byte> bytes);

  /// Bracketing evaluation (see the header comment). `p` must be the parameters of construction (same
  /// fingerprint); its rec_thrs may be any.
  [[nodiscard]] binned_eval finalize(const resolved_params& p) const;

  friend bool operator==(const binned_accumulator&, const binned_accumulator&) = default;

  friend std::vector<std::byte> serialize(const binned_accumulator& acc);
  friend binned_accumulator deserialize_binned(const std::byte* p, std::size_t n,
                                               std::size_t max_state_bytes);

 private:
  void allocate() {
    const std::size_t M = max_dets_.size();
    tmask_ = dims_.T >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << dims_.T) - 1;
    std::size_t cells = dims_.K;
    for (std::size_t f : {dims_.A, M, B_, dims_.T, std::size_t{2}}) {
      if (f != 0 && cells > std::numeric_limits<std::size_t>::max() / f)
        throw usage_error("binned_accumulator: state size overflows");
      cells *= f;
    }
    counts_.assign(cells, 0);
    total_.assign(dims_.K * M * B_, 0);
    npig_.assign(dims_.K * dims_.A, 0);
  }

  acc_dims dims_;
  std::size_t B_ = 0;
  std::vector<std::uint32_t> max_dets_;
  std::uint64_t fingerprint_ = 0;
  std::uint64_t tmask_ = 0;
  std::vector<std::uint64_t> counts_;  // [K][A][M][B][T][2]: true positives, false positives
  std::vector<std::uint64_t> total_;   // [K][M][B]: records, whatever their status
  std::vector<std::int64_t> npig_;     // [K][A]
};

inline binned_eval binned_accumulator::finalize(const resolved_params& rp) const {
  rp.require("binned_accumulator::finalize");
  const params& p = rp;
  if (B_ == 0)
    throw usage_error("binned_accumulator::finalize: the state has no shape (default-constructed)");
  if (rp.fingerprint() != fingerprint_ || p.iou_thrs.size() != dims_.T || p.area_rngs.size() != dims_.A ||
      p.max_dets.size() != max_dets_.size())
    throw usage_error(
        "binned_accumulator::finalize: parameters differ from those the state was built with (fingerprint " +
        stratum::detail::hex64(rp.fingerprint()) + ", state " + stratum::detail::hex64(fingerprint_) + ")");
  const std::size_t T = dims_.T, K = dims_.K, A = dims_.A, M = max_dets_.size(), B = B_,
                    R = p.rec_thrs.size();
  binned_eval out;
  for (auto* e : {&out.lower, &out.upper}) {
    e->T = T, e->R = R, e->K = K, e->A = A, e->M = M;
    e->precision.assign(T * R * K * A * M, -1.0);
    e->scores.assign(e->precision.size(), -1.0);
    e->recall.assign(T * K * A * M, -1.0);
  }
  constexpr double eps = 2.220446049250313e-16;  // numpy.spacing(1), as exact_accumulator::finalize
  // pycocotools' precision tp / (fp + tp + eps), same operations in the same order
  auto precision = [](std::uint64_t tp, std::uint64_t fp) {
    const double t = static_cast<double>(tp), f = static_cast<double>(fp);
    return t / (f + t + eps);
  };
  std::vector<std::uint64_t> tpc(B * T), fpc(B * T), tot(B);
  // bins holding true positives, descending: bin, true positives up to its end, bracketing envelopes
  std::vector<std::size_t> tbin;
  std::vector<std::uint64_t> tafter;
  std::vector<double> env_hi, env_lo;
  const std::size_t pstride = K * A * M;
  for (std::size_t k = 0; k < K; ++k) {
    for (std::size_t a = 0; a < A; ++a) {
      std::fill(tpc.begin(), tpc.end(), 0);
      std::fill(fpc.begin(), fpc.end(), 0);
      std::fill(tot.begin(), tot.end(), 0);
      const auto npig = npig_[k * A + a];
      for (std::size_t m = 0; m < M; ++m) {
        // records kept at maxDets[m]: levels 0 .. m
        const std::uint64_t* lvl = counts_.data() + ((k * A + a) * M + m) * B * T * 2;
        for (std::size_t i = 0; i < B * T; ++i) tpc[i] += lvl[2 * i], fpc[i] += lvl[2 * i + 1];
        const std::uint64_t* tl = total_.data() + (k * M + m) * B;
        for (std::size_t b = 0; b < B; ++b) tot[b] += tl[b];
        if (npig == 0) continue;
        std::uint64_t nd = 0;
        std::size_t top = 0;  // highest non-empty bin: pycocotools' first detection
        for (std::size_t b = B; b-- > 0;)
          if (tot[b]) {
            if (nd == 0) top = b;
            nd += tot[b];
          }
        const double n = static_cast<double>(npig);
        for (std::size_t t = 0; t < T; ++t) {
          tbin.clear(), tafter.clear(), env_hi.clear(), env_lo.clear();
          std::uint64_t tp = 0, fp = 0;
          for (std::size_t b = B; b-- > 0;) {
            const auto ntp = tpc[b * T + t], nfp = fpc[b * T + t];
            if (ntp) {
              // the bin's last true positive has the highest precision of the bin's true positives
              tbin.push_back(b);
              tafter.push_back(tp + ntp);
              env_hi.push_back(precision(tp + ntp, fp));
              env_lo.push_back(precision(tp + ntp, fp + nfp));
            }
            tp += ntp, fp += nfp;
          }
          // interpolated precision: running maximum from the lowest scores up
          for (std::size_t i = env_hi.size(); i-- > 1;) {
            env_hi[i - 1] = std::max(env_hi[i - 1], env_hi[i]);
            env_lo[i - 1] = std::max(env_lo[i - 1], env_lo[i]);
          }
          const auto ri = out.lower.r_index(t, k, a, m);
          out.lower.recall[ri] = out.upper.recall[ri] = nd ? static_cast<double>(tp) / n : 0.0;
          const auto base = out.lower.p_index(t, 0, k, a, m);
          std::uint64_t c = 0;  // true positives needed for the recall threshold
          std::size_t j = 0;    // first true-positive bin with tafter[j] >= c
          for (std::size_t r = 0; r < R; ++r) {
            while (c <= tp && static_cast<double>(c) / n < p.rec_thrs[r]) ++c;
            double q_hi = 0, q_lo = 0, s = 0;
            if (nd != 0 && c <= tp) {
              if (c == 0) {
                if (!env_hi.empty()) q_hi = env_hi[0], q_lo = env_lo[0];
                s = bin_edge(top);
              } else {
                while (tafter[j] < c) ++j;
                q_hi = env_hi[j], q_lo = env_lo[j];
                s = bin_edge(tbin[j]);
              }
            }
            out.upper.precision[base + r * pstride] = q_hi;
            out.lower.precision[base + r * pstride] = q_lo;
            out.upper.scores[base + r * pstride] = out.lower.scores[base + r * pstride] = s;
          }
        }
      }
    }
  }
  return out;
}

/// summarize() of both bounds.
[[nodiscard]] inline binned_stats summarize(const binned_eval& e, const params& p) {
  return {summarize(e.lower, p), summarize(e.upper, p)};
}

/// A bounded-memory evaluation: the parameters, the bracketing arrays and the bracketing 12 numbers
/// (stats.lower[i] <= exact <= stats.upper[i]), from a binned state of `bins` score bins. Same member names
/// as coco::evaluation, so the sliced and streaming evaluators produce either.
struct binned_evaluation {
  resolved_params p{};
  binned_eval arrays;
  binned_stats stats{};
  std::size_t bins = 0;
};

// ---- serialization ---------------------------------------------------------------------------------------
//
// Header dims: T, K, A, M, B; fingerprint: that of the parameters of construction (0 for the empty default
// state, whose dims are all 0 and payload empty). Payload:
//   M x i64 max_dets; K*A x i64 npig (k-major);
//   u64 C, then C cells, one per non-empty (k, m, b) in increasing index (k * M + m) * B + b:
//     u64 index, u64 records, then for a = 0 .. A-1, t = 0 .. T-1: u64 true positives, u64 false positives.
// Empty cells are left out, so the size grows with the number of occupied bins, not with B.

inline std::vector<std::byte> serialize(const binned_accumulator& acc) {
  const auto& d = acc.dims_;
  const std::size_t M = acc.max_dets_.size(), B = acc.B_, T = d.T, A = d.A;
  if (d.K > 0xffffffffu || A > 0xffffffffu || M > 0xffffffffu)
    throw usage_error("serialize: binned accumulator dimensions out of range");
  stratum::detail::byte_writer w;
  stratum::detail::begin_state(
      w, state_kind::coco_binned, binned_accumulator::format_version,
      {static_cast<std::uint32_t>(T), static_cast<std::uint32_t>(d.K), static_cast<std::uint32_t>(A),
       static_cast<std::uint32_t>(M), static_cast<std::uint32_t>(B)},
      acc.fingerprint_);
  if (B == 0) return stratum::detail::finish_state(w);
  for (auto m : acc.max_dets_) w.i64(m);
  for (auto v : acc.npig_) w.i64(v);
  std::uint64_t cells = 0;
  for (auto v : acc.total_) cells += v != 0;
  w.u64(cells);
  for (std::size_t k = 0; k < d.K; ++k)
    for (std::size_t m = 0; m < M; ++m)
      for (std::size_t b = 0; b < B; ++b) {
        const std::size_t idx = (k * M + m) * B + b;
        if (acc.total_[idx] == 0) continue;
        w.u64(idx);
        w.u64(acc.total_[idx]);
        for (std::size_t a = 0; a < A; ++a) {
          const std::uint64_t* c = acc.counts_.data() + ((((k * A + a) * M + m) * B + b) * T) * 2;
          for (std::size_t i = 0; i < 2 * T; ++i) w.u64(c[i]);
        }
      }
  return stratum::detail::finish_state(w);
}

inline binned_accumulator deserialize_binned(const std::byte* p, std::size_t n, std::size_t max_state_bytes) {
  const auto h =
      stratum::detail::read_state_header(p, n, state_kind::coco_binned, binned_accumulator::format_version);
  const std::size_t T = h.dims[0], K = h.dims[1], A = h.dims[2], M = h.dims[3], B = h.dims[4];
  auto r = stratum::detail::payload_reader(p, h);
  binned_accumulator acc;
  if (B == 0) {
    if (T || K || A || M || h.fingerprint || h.payload_size)
      throw input_error("serialized state: a binned state with 0 bins must be the empty default state");
    return acc;
  }
  if (T < 1 || T > 64) throw input_error("serialized state: T=" + std::to_string(T) + ", expected 1 to 64");
  if (A < 1 || M < 1) throw input_error("serialized state: A and M must be at least 1");
  if (B > binned_accumulator::max_bins)
    throw input_error("serialized state: B=" + std::to_string(B) + " bins, at most 2^24 supported");
  if (h.fingerprint == 0)
    throw input_error("serialized state: a binned state must carry a parameter fingerprint");
  {
    std::size_t cells = stratum::detail::checked_mul(
        stratum::detail::checked_mul(stratum::detail::checked_mul(K, A, "K*A"), M, "K*A*M"), B, "K*A*M*B");
    cells = stratum::detail::checked_mul(stratum::detail::checked_mul(cells, T, "K*A*M*B*T"), 16,
                                         "the state size");
    if (cells > max_state_bytes)
      throw input_error("serialized state: dimensions T=" + std::to_string(T) + ", K=" + std::to_string(K) +
                        ", A=" + std::to_string(A) + ", M=" + std::to_string(M) + ", B=" + std::to_string(B) +
                        " need " + std::to_string(cells) + " bytes, more than the limit of " +
                        std::to_string(max_state_bytes));
  }
  acc.dims_ = {T, K, A};
  acc.B_ = B;
  acc.fingerprint_ = h.fingerprint;
  r.need_array(M, 8, "max_dets");
  acc.max_dets_.reserve(M);
  for (std::size_t m = 0; m < M; ++m) {
    const auto v = r.i64();
    if (v < 1 || v > 0xffffffffLL || (m && static_cast<std::uint32_t>(v) < acc.max_dets_.back()))
      throw input_error("serialized state: max_dets[" + std::to_string(m) + "] = " + std::to_string(v) +
                        ": values must be positive, ascending and fit 32 bits");
    acc.max_dets_.push_back(static_cast<std::uint32_t>(v));
  }
  acc.allocate();
  r.need_array(K * A, 8, "npig");
  for (auto& v : acc.npig_) {
    v = r.i64();
    if (v < 0) throw input_error("serialized state: negative ground-truth count " + std::to_string(v));
  }
  const auto cells = r.u64();
  r.need_array(cells, 16 + 16 * A * T, std::to_string(cells) + " cells");
  const std::size_t ncells = K * M * B;
  std::uint64_t prev = 0;
  for (std::uint64_t i = 0; i < cells; ++i) {
    const std::size_t at = r.offset();
    const auto idx = r.u64();
    if (idx >= ncells || (i && idx <= prev))
      throw input_error("serialized state: cell " + std::to_string(i) + " at offset " + std::to_string(at) +
                        ": index " + std::to_string(idx) + " out of range or not increasing");
    prev = idx;
    const auto records = r.u64();
    if (records == 0)
      throw input_error("serialized state: cell " + std::to_string(i) + " at offset " + std::to_string(at) +
                        ": empty cells are not stored");
    acc.total_[idx] = records;
    const std::size_t k = idx / (M * B), m = idx / B % M, b = idx % B;
    for (std::size_t a = 0; a < A; ++a) {
      std::uint64_t* c = acc.counts_.data() + ((((k * A + a) * M + m) * B + b) * T) * 2;
      for (std::size_t t = 0; t < T; ++t) {
        c[2 * t] = r.u64();
        c[2 * t + 1] = r.u64();
        if (c[2 * t] > records || c[2 * t + 1] > records - c[2 * t])
          throw input_error("serialized state: cell " + std::to_string(i) + " at offset " +
                            std::to_string(at) + ": more true and false positives than records");
      }
    }
  }
  if (r.remaining() != 0)
    throw input_error("serialized state: " + std::to_string(r.remaining()) +
                      " unexpected bytes at the end of the payload, offset " + std::to_string(r.offset()));
  return acc;
}

/// As above, and the state must carry the fingerprint of `prm` (resolved parameters).
[[nodiscard]] inline binned_accumulator deserialize_binned(
    const std::byte* p, std::size_t n, const resolved_params& prm,
    std::size_t max_state_bytes = default_max_state_bytes) {
  auto acc = deserialize_binned(p, n, max_state_bytes);
  if (acc.bins() != 0) detail::check_fingerprint(acc.fingerprint(), prm);  // the empty default state fits any
  return acc;
}

[[nodiscard]] inline binned_accumulator deserialize_binned(std::span<const std::byte> b) {
  return deserialize_binned(b.data(), b.size());
}
[[nodiscard]] inline binned_accumulator deserialize_binned(std::span<const std::byte> b,
                                                           const resolved_params& prm) {
  return deserialize_binned(b.data(), b.size(), prm);
}

inline std::vector<std::byte> binned_accumulator::serialize() const {
  return coco::serialize(*this);
}
inline binned_accumulator binned_accumulator::deserialize(std::span<const std::byte> bytes) {
  return deserialize_binned(bytes.data(), bytes.size());
}

}  // namespace stratum::coco
