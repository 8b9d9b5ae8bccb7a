// A mergeable histogram with fixed edges: the state behind the binned drift divergences (PSI, KL, JS,
// Hellinger).
//
// Bins follow numpy.histogram: with edges e_0 < e_1 < ... < e_k, bin i holds e_i <= x < e_{i+1} for i < k - 1
// and the last bin is closed, e_{k-1} <= x <= e_k. Values below e_0 (including -inf) go to `underflow()`,
// values above e_k (including +inf) to `overflow()`: both are bins of the distribution for the divergences,
// so mass that leaves the baseline's range counts as drift. NaN is rejected.
//
// It is a regular value type: a default-constructed histogram (no edges) is the identity of `merge`; `add` or
// the call operator fills it; `merge` / `+=` add counts bin by bin and throw std::invalid_argument when both
// sides have edges and they differ (bit for bit). Counts are 64-bit integers, so any split of the data merged
// in any order gives the same state, bit for bit.
//
// Serialization uses the common stratum state header (include/stratum/detail/binary.hpp: magic, format
// version, kind, sizes, FNV-1a 64 checksum over header and payload) with kind 16 and dims[0] = number of
// edges. Payload: edges (f64 little-endian bit patterns), then underflow, overflow and the k - 1 bin counts
// (u64). `deserialize` checks every length before reading and validates the edges (finite, strictly
// increasing); any corruption or truncation throws stratum::input_error naming the problem and its offset.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "../detail/binary.hpp"
#include "../detail/numpy.hpp"

namespace stratum::stats {

class histogram {
 public:
  /// The identity: no edges, no counts.
  histogram() = default;

  /// Histogram with the given edges: at least 2, finite, strictly increasing (std::invalid_argument
  /// otherwise).
  explicit histogram(std::vector<double> edges) : edges_(std::move(edges)) {
    check_edges(edges_, "histogram");
    counts_.assign(edges_.size() - 1, 0);
  }

  /// `bins` equal-width bins over [lo, hi], edges lo + i (hi - lo) / bins as numpy.linspace(lo, hi, bins +
  /// 1).
  [[nodiscard]] static histogram uniform(double lo, double hi, std::size_t bins) {
    if (bins == 0) throw ::stratum::usage_error("histogram::uniform: bins must be >= 1");
    if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi))
      throw ::stratum::usage_error("histogram::uniform: need finite lo < hi");
    auto e = ::stratum::detail::numpy_linspace(lo, hi, bins + 1);
    return histogram(std::move(e));
  }

  /// Adds `weight` observations of x. Throws std::invalid_argument for NaN or on a histogram without edges.
  void add(double x, std::uint64_t weight = 1) {
    if (edges_.empty()) throw ::stratum::usage_error("histogram::add: the histogram has no edges");
    if (std::isnan(x)) throw ::stratum::usage_error("histogram::add: x is NaN");
    if (x < edges_.front())
      underflow_ += weight;
    else if (x > edges_.back())
      overflow_ += weight;
    else
      counts_[bin_of(x)] += weight;
  }
  void operator()(double x) { add(x); }
  /// Adds every value of xs; on a NaN at index i throws std::invalid_argument naming i (values before i
  /// stay).
  void add(std::span<const double> xs) {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (std::isnan(xs[i]))
        throw ::stratum::usage_error("histogram::add: x[" + std::to_string(i) + "] is NaN");
      add(xs[i]);
    }
  }

  /// Adds the counts of `other`. Throws std::invalid_argument when both have edges and they differ.
  histogram& merge(const histogram& other) {
    if (other.edges_.empty()) return *this;
    if (edges_.empty()) {
      *this = other;
      return *this;
    }
    if (!same_edges(other))
      throw ::stratum::usage_error("histogram::merge: the histograms have different edges");
    underflow_ += other.underflow_;
    overflow_ += other.overflow_;
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    return *this;
  }
  histogram& operator+=(const histogram& other) { return merge(other); }
  friend histogram operator+(histogram a, const histogram& b) { return a.merge(b); }

  /// Equal edges (bit for bit) and equal counts.
  friend bool operator==(const histogram& a, const histogram& b) noexcept {
    return a.same_edges(b) && a.underflow_ == b.underflow_ && a.overflow_ == b.overflow_ &&
           a.counts_ == b.counts_;
  }

  [[nodiscard]] const std::vector<double>& edges() const noexcept { return edges_; }
  [[nodiscard]] const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }
  [[nodiscard]] std::uint64_t underflow() const noexcept { return underflow_; }
  [[nodiscard]] std::uint64_t overflow() const noexcept { return overflow_; }
  [[nodiscard]] std::size_t bins() const noexcept { return counts_.size(); }
  [[nodiscard]] std::uint64_t total() const noexcept {
    std::uint64_t t = underflow_ + overflow_;
    for (auto c : counts_) t += c;
    return t;
  }
  /// The distribution the divergences compare: underflow, bin 0, ..., bin k-2, overflow (k + 1 cells).
  [[nodiscard]] std::vector<double> cells() const {
    std::vector<double> c;
    c.reserve(counts_.size() + 2);
    c.push_back(static_cast<double>(underflow_));
    for (auto v : counts_) c.push_back(static_cast<double>(v));
    c.push_back(static_cast<double>(overflow_));
    return c;
  }

  [[nodiscard]] std::vector<std::byte> serialize() const {
    ::stratum::detail::byte_writer w;
    w.reserve(::stratum::detail::state_header_size + 8 * (2 * edges_.size() + 2));
    ::stratum::detail::begin_state(w, kind, format_version,
                                   {static_cast<std::uint32_t>(edges_.size()), 0, 0, 0, 0}, 0);
    if (!edges_.empty()) {  // the identity has an empty payload
      for (double e : edges_) w.f64(e);
      w.u64(underflow_);
      w.u64(overflow_);
      for (auto c : counts_) w.u64(c);
    }
    return ::stratum::detail::finish_state(w);
  }

  [[nodiscard]] static histogram deserialize(std::span<const std::byte> bytes) {
    const auto h = ::stratum::detail::read_state_header(bytes.data(), bytes.size(), kind, format_version);
    auto r = ::stratum::detail::payload_reader(bytes.data(), h);
    const std::uint64_t n_edges = h.dims[0];
    histogram out;
    if (n_edges == 0) {
      if (r.remaining() != 0) throw input_error("serialized histogram: payload present without edges");
      return out;
    }
    if (n_edges < 2)
      throw input_error("serialized histogram: " + std::to_string(n_edges) + " edges (need >= 2)");
    r.need_array(n_edges, 8, "edges");
    out.edges_.resize(static_cast<std::size_t>(n_edges));
    for (auto& e : out.edges_) e = r.f64();
    for (std::size_t i = 0; i < out.edges_.size(); ++i)
      if (!std::isfinite(out.edges_[i]) || (i > 0 && !(out.edges_[i - 1] < out.edges_[i])))
        throw input_error("serialized histogram: edge " + std::to_string(i) +
                          " is not finite or not above the previous one");
    r.need_array(n_edges + 1, 8, "counts");
    out.underflow_ = r.u64();
    out.overflow_ = r.u64();
    out.counts_.resize(out.edges_.size() - 1);
    for (auto& c : out.counts_) c = r.u64();
    if (r.remaining() != 0)
      throw input_error("serialized histogram: " + std::to_string(r.remaining()) +
                        " unexpected trailing bytes");
    return out;
  }

  /// Serialized-state kind of a histogram in the common header, and its payload version.
  static constexpr state_kind kind = state_kind::histogram;
  static constexpr std::uint16_t format_version = 1;

 private:
  static void check_edges(const std::vector<double>& e, const char* who) {
    if (e.size() < 2) throw ::stratum::usage_error(std::string(who) + ": edges needs at least 2 values");
    for (std::size_t i = 0; i < e.size(); ++i) {
      if (!std::isfinite(e[i]))
        throw ::stratum::usage_error(std::string(who) + ": edges[" + std::to_string(i) + "] is not finite");
      if (i > 0 && !(e[i - 1] < e[i]))
        throw ::stratum::usage_error(std::string(who) + ": edges must increase strictly (edges[" +
                                     std::to_string(i) + "])");
    }
  }
  bool same_edges(const histogram& o) const noexcept {
    if (edges_.size() != o.edges_.size()) return false;
    for (std::size_t i = 0; i < edges_.size(); ++i)
      if (std::bit_cast<std::uint64_t>(edges_[i]) != std::bit_cast<std::uint64_t>(o.edges_[i])) return false;
    return true;
  }
  // e_0 <= x <= e_k: the last i with e_i <= x, the last bin closed.
  std::size_t bin_of(double x) const noexcept {
    const auto it = std::upper_bound(edges_.begin(), edges_.end(), x);
    const auto i = static_cast<std::size_t>(it - edges_.begin());
    return std::min(i, edges_.size() - 1) - 1;
  }

  std::vector<double> edges_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t underflow_ = 0, overflow_ = 0;
};

/// Edges at the baseline's quantiles: q_i = numpy.quantile(baseline, i / bins) (linear interpolation, numpy's
/// default method 7, evaluated as numpy 1.24 does), i = 0..bins, with repeated values dropped (ties give
/// fewer bins). A baseline with fewer than 2 distinct values has no bin of positive width:
/// std::invalid_argument.
[[nodiscard]] inline std::vector<double> quantile_edges(std::span<const double> baseline, std::size_t bins) {
  if (bins == 0) throw ::stratum::usage_error("quantile_edges: bins must be >= 1");
  if (baseline.empty()) throw ::stratum::usage_error("quantile_edges: baseline is empty");
  std::vector<double> s(baseline.begin(), baseline.end());
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!std::isfinite(s[i]))
      throw ::stratum::usage_error("quantile_edges: baseline[" + std::to_string(i) + "] is not finite");
  std::sort(s.begin(), s.end());
  std::vector<double> e;
  for (std::size_t i = 0; i <= bins; ++i) {
    const double v =
        ::stratum::detail::numpy_quantile_sorted(s, static_cast<double>(i) / static_cast<double>(bins));
    if (e.empty() || v > e.back()) e.push_back(v);
  }
  if (e.size() < 2)
    throw ::stratum::usage_error("quantile_edges: the baseline has fewer than 2 distinct values");
  return e;
}

}  // namespace stratum::stats
