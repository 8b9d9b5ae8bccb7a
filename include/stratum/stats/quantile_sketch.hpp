// A mergeable quantile sketch for unbounded streams, and KS / Wasserstein-1 between two sketches with
// certified bounds.
//
// Design: log-linear buckets keyed by the IEEE-754 bit pattern (the bucketing of HdrHistogram / DDSketch,
// made exact). With precision p, a finite x != 0 goes to the bucket of the top 12 + p bits of |x| (sign,
// exponent and the first p mantissa bits), signed by the sign of x; zero (either sign) has its own bucket:
//   key(0) = 0,  key(x) = sign(x) (1 + (bits(|x|) >> (52 - p))).
// Keys are monotone in x, so buckets are consecutive intervals. Positive bucket k >= 1 holds
// [L_k, U_k) = [double(bits (k-1) << (52-p)), double(bits k << (52-p))); negative buckets mirror them. Every
// octave [2^e, 2^(e+1)) is split into 2^p equal-width buckets, so for normal doubles U_k - L_k <= 2^-p L_k.
//
// State = precision, the count of every non-empty bucket (64-bit integers, an ordered map), the total count
// and the exact minimum and maximum (-0 is stored as +0). Every part is a function of the multiset of values
// added, so ANY split of a stream, merged in ANY order, gives the same state bit for bit (stronger than "same
// split, same bits"). Memory is bounded by the number of distinct buckets, at most 2 x 2046 x 2^p + 1
// whatever the stream length, and in practice 2^p per octave spanned by the data. Non-finite values are
// rejected.
//
// Quantiles: quantile(q) returns, for rank r = max(1, ceil(q n)) (numpy method 'inverted_cdf': the smallest x
// with F(x) >= q), the midpoint of the bucket holding the r-th smallest value, clamped to [min, max] (q = 0
// and q = 1 give min and max exactly). Guarantees, with x_q the exact quantile:
//   value error  |x^ - x_q| <= (U - L) / 2 <= 2^-(p+1) |x_q|         (normal doubles; p = 7: 0.39 %)
//   rank error   |F(x^) - q| <= m_B / n                               (F the exact ECDF, m_B the mass of the
//                                                                      bucket, reported by
//                                                                      rank_error_bound(q))
// The rank bound holds because x^ and x_q lie in the same bucket B = [L, U), so F(x^) and q both lie in
// [F(L-), F(U-)], an interval of length m_B / n. Unlike KLL-style sketches (rank error eps n with probability
// 1 - delta, state dependent on the split), the bound here is deterministic and data dependent.
//
// Two sketches (same precision) give exact CDFs at every bucket boundary. Within a bucket both CDFs are
// monotone, so with F1, F2 evaluated at the end of bucket k and F1-, F2- at its start,
//   D_lower = max_k |F1(k) - F2(k)|  <=  D  <=  D_upper = max_k max(F1(k) - F2-(k), F2(k) - F1-(k)).
// D_lower is the KS statistic of the two samples with each value replaced by its bucket; ks_2samp(sketch,
// sketch) reports it, the bound D_upper and the asymptotic p-values (ks.hpp) at both. Wasserstein-1: the
// estimate is W1 between the two bucketised distributions (mass of each bucket at its representative). Moving
// each value to its representative moves it by at most h_B (half the bucket width, within [min, max]); W1 is
// a metric, so |W^ - W| <= sum_B (m1_B / n1 + m2_B / n2) h_B, returned as error_bound, itself
// <= 2^-(p+1) (E|X1| + E|X2|) for normal doubles.
//
// Serialization: the common stratum state header (detail/binary.hpp, FNV-1a 64 checksum) with kind 17,
// dims[0] = p, dims[1] = number of buckets; payload n (u64), min, max (f64), then (key i64, count u64) per
// bucket in increasing key order. deserialize() checks lengths before reading, and that keys increase and are
// valid for p, counts are positive and sum to n, and min / max are finite and fall in the first / last
// bucket.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "../detail/binary.hpp"
#include "divergence.hpp"
#include "ks.hpp"

namespace stratum::stats {

class quantile_sketch {
 public:
  static constexpr int default_precision = 7;
  static constexpr int max_precision = 16;
  static constexpr state_kind kind = state_kind::quantile_sketch;
  static constexpr std::uint16_t format_version = 1;

  /// The default sketch: empty, precision default_precision until it is fed or merged into. It is the
  /// identity of merge for a sketch of any precision (merging it changes nothing; merging into it gives the
  /// other sketch, its precision included).
  quantile_sketch() = default;
  /// An empty sketch with precision p: 2^p buckets per octave, relative bucket width <= 2^-p.
  explicit quantile_sketch(int precision) : p_(precision), configured_(true) {
    if (precision < 0 || precision > max_precision)
      throw ::stratum::usage_error("quantile_sketch: precision must lie in [0, " +
                                   std::to_string(max_precision) + "], got " + std::to_string(precision));
  }

  /// Adds `weight` copies of x. Throws std::invalid_argument for a non-finite x.
  void add(double x, std::uint64_t weight = 1) {
    if (!std::isfinite(x)) throw ::stratum::usage_error("quantile_sketch::add: x is not finite");
    if (weight == 0) return;
    if (x == 0) x = 0.0;  // -0 -> +0, so min/max do not depend on arrival order
    configured_ = true;
    counts_[key(x)] += weight;
    if (n_ == 0)
      min_ = max_ = x;
    else
      min_ = std::min(min_, x), max_ = std::max(max_, x);
    n_ += weight;
  }
  void operator()(double x) { add(x); }
  void add(std::span<const double> xs) {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (!std::isfinite(xs[i]))
        throw ::stratum::usage_error("quantile_sketch::add: x[" + std::to_string(i) + "] is not finite");
      add(xs[i]);
    }
  }

  /// Adds the contents of `other`. The default sketch is the identity whatever the other's precision; an
  /// empty sketch adds nothing, and merging into an empty sketch gives `other`. Two non-empty sketches must
  /// have the same precision (usage_error otherwise).
  quantile_sketch& merge(const quantile_sketch& other) {
    if (!other.configured_) return *this;
    if (!configured_) return *this = other;
    if (other.n_ == 0) return *this;
    if (n_ == 0) return *this = other;
    if (other.p_ != p_)
      throw usage_error("quantile_sketch::merge: precisions differ (" + std::to_string(p_) + " and " +
                        std::to_string(other.p_) + ")");
    if (other.n_ == 0) return *this;
    for (const auto& [k, c] : other.counts_) counts_[k] += c;
    if (n_ == 0)
      min_ = other.min_, max_ = other.max_;
    else
      min_ = std::min(min_, other.min_), max_ = std::max(max_, other.max_);
    n_ += other.n_;
    return *this;
  }
  quantile_sketch& operator+=(const quantile_sketch& o) { return merge(o); }
  friend quantile_sketch operator+(quantile_sketch a, const quantile_sketch& b) { return a.merge(b); }
  friend bool operator==(const quantile_sketch& a, const quantile_sketch& b) noexcept {
    return a.p_ == b.p_ && a.configured_ == b.configured_ && a.n_ == b.n_ && a.counts_ == b.counts_ &&
           std::bit_cast<std::uint64_t>(a.min_) == std::bit_cast<std::uint64_t>(b.min_) &&
           std::bit_cast<std::uint64_t>(a.max_) == std::bit_cast<std::uint64_t>(b.max_);
  }

  [[nodiscard]] int precision() const noexcept { return p_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return n_; }
  [[nodiscard]] bool empty() const noexcept { return n_ == 0; }
  [[nodiscard]] double min() const noexcept { return min_; }
  [[nodiscard]] double max() const noexcept { return max_; }
  [[nodiscard]] std::size_t bucket_count() const noexcept { return counts_.size(); }
  [[nodiscard]] const std::map<std::int64_t, std::uint64_t>& buckets() const noexcept { return counts_; }

  /// Bucket key of x (see the header comment).
  [[nodiscard]] std::int64_t key(double x) const noexcept {
    if (x == 0) return 0;
    const auto m = static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(std::abs(x)) >> shift()) + 1;
    return x > 0 ? m : -m;
  }
  /// [lower, upper) of a positive bucket, mirrored (lower, upper] for negative keys; {0, 0} for key 0.
  [[nodiscard]] std::pair<double, double> bucket_bounds(std::int64_t k) const noexcept {
    if (k == 0) return {0.0, 0.0};
    const auto m = static_cast<std::uint64_t>(k > 0 ? k : -k) - 1;
    const double lo = std::bit_cast<double>(m << shift());
    const double hi = std::bit_cast<double>((m + 1) << shift());
    return k > 0 ? std::pair{lo, hi} : std::pair{-hi, -lo};
  }
  /// Midpoint of bucket k clamped to [min, max], and half its width within [min, max] (the largest distance
  /// from the representative to any value of the bucket that the sketch can hold).
  [[nodiscard]] std::pair<double, double> representative(std::int64_t k) const noexcept {
    auto [lo, hi] = bucket_bounds(k);
    lo = std::max(lo, min_);
    hi = std::min(hi, max_);
    const double mid = lo + (hi - lo) / 2;
    return {mid, std::max(mid - lo, hi - mid)};
  }

  /// Quantile estimate for q in [0, 1] (inverted-CDF rank), see the header comment for the guarantees.
  [[nodiscard]] double quantile(double q) const {
    const auto it = bucket_of_rank(q, "quantile");
    const std::uint64_t r = rank(q);
    if (r == 1) return min_;
    if (r == n_) return max_;
    return representative(it->first).first;
  }
  /// Deterministic bound on |F(quantile(q)) - q|: the mass of the bucket that holds the quantile, divided by
  /// n.
  [[nodiscard]] double rank_error_bound(double q) const {
    const auto it = bucket_of_rank(q, "rank_error_bound");
    return static_cast<double>(it->second) / static_cast<double>(n_);
  }

  [[nodiscard]] std::vector<std::byte> serialize() const {
    ::stratum::detail::byte_writer w;
    w.reserve(::stratum::detail::state_header_size + 24 + 16 * counts_.size());
    ::stratum::detail::begin_state(w, kind, format_version,
                                   {static_cast<std::uint32_t>(p_),
                                    static_cast<std::uint32_t>(counts_.size()), configured_ ? 0u : 1u, 0, 0},
                                   0);
    w.u64(n_);
    w.f64(min_);
    w.f64(max_);
    for (const auto& [k, c] : counts_) w.i64(k), w.u64(c);
    return ::stratum::detail::finish_state(w);
  }

  [[nodiscard]] static quantile_sketch deserialize(std::span<const std::byte> bytes) {
    const auto h = ::stratum::detail::read_state_header(bytes.data(), bytes.size(), kind, format_version);
    if (h.dims[0] > static_cast<std::uint32_t>(max_precision))
      throw input_error("serialized quantile sketch: precision " + std::to_string(h.dims[0]) +
                        " out of range");
    if (h.dims[2] > 1 || h.dims[3] != 0 || h.dims[4] != 0)
      throw input_error(
          "serialized quantile sketch: at offset 24: dimensions 3 to 5 must be 0 or (default) 1, 0, 0");
    quantile_sketch s(static_cast<int>(h.dims[0]));
    if (h.dims[2] == 1) {  // the default sketch
      if (h.dims[0] != static_cast<std::uint32_t>(default_precision) || h.dims[1] != 0)
        throw input_error(
            "serialized quantile sketch: at offset 16: the default sketch has buckets or another "
            "precision");
      s.configured_ = false;
    }
    auto r = ::stratum::detail::payload_reader(bytes.data(), h);
    const std::uint64_t n = r.u64();
    const double mn = r.f64(), mx = r.f64();
    r.need_array(h.dims[1], 16, "buckets");
    std::uint64_t total = 0;
    const std::int64_t kmax = s.key(std::numeric_limits<double>::max());
    std::int64_t prev = std::numeric_limits<std::int64_t>::min();
    for (std::uint32_t b = 0; b < h.dims[1]; ++b) {
      const std::int64_t k = r.i64();
      const std::uint64_t c = r.u64();
      if (k <= prev || k > kmax || k < -kmax)
        throw input_error("serialized quantile sketch: bucket " + std::to_string(b) + " has key " +
                          std::to_string(k) + " (out of range or not increasing)");
      if (c == 0 || total + c < total)
        throw input_error("serialized quantile sketch: bucket " + std::to_string(b) + " has a bad count");
      total += c;
      prev = k;
      s.counts_.emplace_hint(s.counts_.end(), k, c);
    }
    if (r.remaining() != 0)
      throw input_error("serialized quantile sketch: " + std::to_string(r.remaining()) +
                        " unexpected trailing bytes");
    if (total != n)
      throw input_error("serialized quantile sketch: bucket counts sum to " + std::to_string(total) +
                        ", header says " + std::to_string(n));
    if (n > 0) {
      if (!std::isfinite(mn) || !std::isfinite(mx) || !(mn <= mx) || s.key(mn) != s.counts_.begin()->first ||
          s.key(mx) != s.counts_.rbegin()->first || (mn == 0 && std::signbit(mn)) ||
          (mx == 0 && std::signbit(mx)))
        throw input_error("serialized quantile sketch: min / max inconsistent with the buckets");
    } else if (mn != 0 || mx != 0 || std::signbit(mn) || std::signbit(mx)) {
      throw input_error("serialized quantile sketch: an empty sketch with a nonzero min / max");
    }
    s.n_ = n;
    s.min_ = mn;
    s.max_ = mx;
    return s;
  }

 private:
  [[nodiscard]] int shift() const noexcept { return 52 - p_; }
  [[nodiscard]] std::uint64_t rank(double q) const {
    const double r = std::ceil(q * static_cast<double>(n_));
    return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::max(r, 1.0)), 1, n_);
  }
  [[nodiscard]] std::map<std::int64_t, std::uint64_t>::const_iterator bucket_of_rank(double q,
                                                                                     const char* fn) const {
    if (n_ == 0)
      throw ::stratum::usage_error(std::string("quantile_sketch::") + fn + ": the sketch is empty");
    if (!(q >= 0 && q <= 1))
      throw ::stratum::usage_error(std::string("quantile_sketch::") + fn + ": q must lie in [0, 1]");
    const std::uint64_t r = rank(q);
    std::uint64_t cum = 0;
    for (auto it = counts_.begin(); it != counts_.end(); ++it) {
      cum += it->second;
      if (cum >= r) return it;
    }
    return std::prev(counts_.end());
  }

  int p_ = default_precision;
  bool configured_ = false;  // false only for the default sketch (and until it is fed)
  std::map<std::int64_t, std::uint64_t> counts_;
  std::uint64_t n_ = 0;
  double min_ = 0, max_ = 0;
};

/// KS between two sketches: the statistic of the bucketised samples (a lower bound on the exact D), an upper
/// bound on the exact D, and asymptotic two-sided p-values (scipy 'asymp') at both.
struct sketch_ks_result {
  double statistic = 0;         ///< D_lower = KS statistic of the bucketised samples, <= exact D
  double upper_bound = 0;       ///< D_upper >= exact D
  double p_value = 1;           ///< asymptotic p-value at `statistic`
  double p_value_at_upper = 1;  ///< asymptotic p-value at `upper_bound` (<= the p-value at the exact D)
};

[[nodiscard]] inline sketch_ks_result ks_2samp(const quantile_sketch& a, const quantile_sketch& b) {
  if (a.precision() != b.precision())
    throw ::stratum::usage_error("ks_2samp(sketch, sketch): precisions differ");
  if (a.empty() || b.empty()) throw ::stratum::usage_error("ks_2samp(sketch, sketch): a sketch is empty");
  const double n1 = static_cast<double>(a.count()), n2 = static_cast<double>(b.count());
  auto ia = a.buckets().begin(), ib = b.buckets().begin();
  std::uint64_t ca = 0, cb = 0;
  double lower = 0, upper = 0;
  while (ia != a.buckets().end() || ib != b.buckets().end()) {
    std::int64_t k;
    if (ib == b.buckets().end() || (ia != a.buckets().end() && ia->first <= ib->first))
      k = ia->first;
    else
      k = ib->first;
    const double fa0 = static_cast<double>(ca) / n1, fb0 = static_cast<double>(cb) / n2;
    if (ia != a.buckets().end() && ia->first == k) ca += ia->second, ++ia;
    if (ib != b.buckets().end() && ib->first == k) cb += ib->second, ++ib;
    const double fa = static_cast<double>(ca) / n1, fb = static_cast<double>(cb) / n2;
    lower = std::max(lower, std::abs(fa - fb));
    // Zero has a bucket of width 0: values there are all equal, so the CDFs jump together at one point.
    upper = std::max(upper, k == 0 ? std::abs(fa - fb) : std::max(fa - fb0, fb - fa0));
    upper = std::max(upper, std::abs(fa - fb));
  }
  sketch_ks_result r;
  r.statistic = lower;
  r.upper_bound = std::min(1.0, upper);
  const auto na = static_cast<std::int64_t>(a.count()), nb = static_cast<std::int64_t>(b.count());
  r.p_value = ks_2samp_asymptotic_p_value(na, nb, r.statistic, ks_alternative::two_sided);
  r.p_value_at_upper = ks_2samp_asymptotic_p_value(na, nb, r.upper_bound, ks_alternative::two_sided);
  return r;
}

struct sketch_wasserstein_result {
  double distance = 0;     ///< W1 between the bucketised distributions
  double error_bound = 0;  ///< |distance - exact W1| <= error_bound
};

[[nodiscard]] inline sketch_wasserstein_result wasserstein_distance(const quantile_sketch& a,
                                                                    const quantile_sketch& b) {
  if (a.precision() != b.precision())
    throw ::stratum::usage_error("wasserstein_distance(sketch, sketch): precisions differ");
  if (a.empty() || b.empty())
    throw ::stratum::usage_error("wasserstein_distance(sketch, sketch): a sketch is empty");
  std::vector<double> xa, wa, xb, wb;
  double bound = 0;
  auto collect = [&bound](const quantile_sketch& s, std::vector<double>& x, std::vector<double>& w) {
    const double n = static_cast<double>(s.count());
    for (const auto& [k, c] : s.buckets()) {
      const auto [rep, half] = s.representative(k);
      x.push_back(rep);
      w.push_back(static_cast<double>(c));
      bound += static_cast<double>(c) / n * half;
    }
  };
  collect(a, xa, wa);
  collect(b, xb, wb);
  sketch_wasserstein_result r;
  r.distance = wasserstein_distance(xa, xb, wa, wb);
  r.error_bound = bound;
  return r;
}

}  // namespace stratum::stats
