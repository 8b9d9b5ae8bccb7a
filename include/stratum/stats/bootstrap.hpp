// Poisson bootstrap as weights on units (frames or items), with mergeable per-replicate sums, and the
// percentile and BCa intervals of scipy.stats.bootstrap (scipy 1.10.1).
//
// Resampling scheme. Replicate b gives unit u the weight w_b(u) = poisson_weight(seed, u, b) (stratum/stats/
// rng.hpp): Poisson(1), a pure function of (seed, unit, replicate). This is the Poisson bootstrap
// (Hanley & MacGibbon 2006; Chamandy et al. 2012): it approximates the multinomial bootstrap of the units and
// needs no knowledge of the number of units, so shards need no coordination. A unit may contribute several
// rows (e.g. all detections of one frame): rows with the same unit id always share the weight, so the
// bootstrap resamples units, not rows (the cluster bootstrap).
//
// bootstrap_sums keeps, for every replicate b and column j, S_bj = sum over rows of w_b(unit) * x_j, and the
// full-sample totals T_j = sum over rows of x_j. Statistics that are functions of such sums (means, ratios,
// proportions, per-bin calibration sums) get their bootstrap distribution as f(S_b.) for b = 0..B-1.
// The sums are exact: each is an integer multiple of 2^-1074 held in 68 limbs of 32 bits (a fixed-point
// superaccumulator wide enough for every finite double; the product w * x is exact too, the weight multiplies
// the limbs), rounded to the nearest double (ties to even) only when read. Hence merge (+=) is associative
// and commutative bit for bit: any split of the rows, merged in any order, serialises to the same bytes as
// one pass.
//
//
// The intervals computed from such a distribution are in bootstrap_interval.hpp, the exact sums in
// exact_sum.hpp; this header includes both.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/state.hpp"
#include "../detail/binary.hpp"
#include "bootstrap_interval.hpp"
#include "exact_sum.hpp"
#include "rng.hpp"

namespace stratum::stats {

// ============================================================================================================
// bootstrap_sums: mergeable per-replicate weighted sums
// ============================================================================================================

/// Per-replicate exact weighted sums of `width` columns over rows keyed by unit id, under a Poisson(1)
/// bootstrap with `replicates` replicates and seed `seed`. A regular value type: default-constructed is the
/// empty state (the identity of +=, which adopts the other operand's configuration); `add` feeds rows; `+=`
/// merges states of the same configuration; serialize/deserialize round-trip it exactly.
///
/// With keep_units = true the rows are also retained, so that jackknife (leave-one-unit-out) statistics can
/// be computed for BCa; this costs memory proportional to the rows.
class bootstrap_sums {
 public:
  bootstrap_sums() = default;

  /// Throws std::invalid_argument when replicates or width is 0 (or replicates > 2^31).
  bootstrap_sums(std::uint64_t seed, std::uint32_t replicates, std::size_t width, bool keep_units = false)
      : seed_(seed), replicates_(replicates), width_(width), keep_units_(keep_units) {
    if (replicates == 0 || replicates > (std::uint32_t{1} << 31))
      throw ::stratum::usage_error("bootstrap_sums: replicates must lie in [1, 2^31], got " +
                                   std::to_string(replicates));
    if (width == 0) throw ::stratum::usage_error("bootstrap_sums: width must be at least 1");
    limbs_.assign(static_cast<std::size_t>(detail::exact_limbs) * width_ * rows_per_limb(), 0);
  }

  [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }
  [[nodiscard]] std::uint32_t replicates() const noexcept { return replicates_; }
  [[nodiscard]] std::size_t width() const noexcept { return width_; }
  [[nodiscard]] bool keeps_units() const noexcept { return keep_units_; }
  [[nodiscard]] bool empty() const noexcept { return width_ == 0; }
  /// Number of rows added (over all merged parts).
  [[nodiscard]] std::uint64_t rows() const noexcept { return rows_; }

  /// The weight of `unit` in replicate `b` (the same function every consumer of this bootstrap uses).
  [[nodiscard]] std::uint32_t weight(std::uint64_t unit, std::uint32_t b) const noexcept {
    return poisson_weight(seed_, unit, b);
  }

  /// Adds one row of `unit`: S_bj += w_b(unit) * values[j], T_j += values[j]. Throws std::invalid_argument on
  /// a size mismatch, a non-finite value, or an empty (default-constructed) state.
  void add(std::uint64_t unit, std::span<const double> values) {
    if (!empty() && values.size() != width_)
      throw ::stratum::usage_error("bootstrap_sums::add: unit " + std::to_string(unit) + ": values has " +
                                   std::to_string(values.size()) + " entries, width is " +
                                   std::to_string(width_));
    add_rows(unit, values);
  }

  /// Adds several rows of the same unit (values holds k rows of `width` values, row after row), drawing the
  /// unit's weights once: the same state as k calls of add(unit, row). Throws std::invalid_argument when
  /// values.size() is not a positive multiple of the width, on a non-finite value (nothing is added then), or
  /// on an empty state.
  void add_rows(std::uint64_t unit, std::span<const double> values) {
    if (empty())
      throw ::stratum::usage_error(
          "bootstrap_sums::add: the state has no configuration (default-constructed)");
    if (values.empty() || values.size() % width_ != 0)
      throw ::stratum::usage_error("bootstrap_sums::add_rows: unit " + std::to_string(unit) +
                                   ": values has " + std::to_string(values.size()) +
                                   " entries, not a positive multiple of the width " +
                                   std::to_string(width_));
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]))
        throw ::stratum::usage_error("bootstrap_sums::add: unit " + std::to_string(unit) + ": row " +
                                     std::to_string(i / width_) + " values[" + std::to_string(i % width_) +
                                     "] is not finite");
    const std::size_t R = rows_per_limb();
    weights_.resize(R);
    fill_poisson_weights(seed_, unit, 0, std::span<std::uint32_t>(weights_.data(), replicates_));
    weights_[replicates_] = 1;  // the full-sample row
    const std::uint32_t* w = weights_.data();
    for (std::size_t k = 0; k < values.size(); k += width_) {
      for (std::size_t j = 0; j < width_; ++j) {
        const auto s = detail::split_double(values[k + j]);
        for (int q = 0; q < 3; ++q) {
          const std::uint32_t mag = s.mag[q];
          if (mag == 0) continue;
          // The limbs are updated as uint64 (the same bits as int64 two's complement arithmetic, which never
          // overflows within the carry budget): a 32 x 32 -> 64-bit product the compiler vectorises.
          auto* row = reinterpret_cast<std::uint64_t*>(
              limbs_.data() + (static_cast<std::size_t>(s.chunk + q) * width_ + j) * R);
          if (s.negative)
            for (std::size_t r = 0; r < R; ++r) row[r] -= std::uint64_t{w[r]} * mag;
          else
            for (std::size_t r = 0; r < R; ++r) row[r] += std::uint64_t{w[r]} * mag;
        }
      }
      if (keep_units_) {
        units_.push_back(unit);
        unit_values_.insert(unit_values_.end(), values.begin() + static_cast<std::ptrdiff_t>(k),
                            values.begin() + static_cast<std::ptrdiff_t>(k + width_));
      }
      ++rows_;
      if (++pending_ >= detail::exact_pending_limit) normalize();
    }
  }
  void add(std::uint64_t unit, std::initializer_list<double> values) {
    add(unit, std::span<const double>(values.begin(), values.size()));
  }

  /// Merges `other` (same seed, replicates, width and keep_units; an empty operand is the identity).
  /// Throws std::invalid_argument on a configuration mismatch.
  bootstrap_sums& operator+=(const bootstrap_sums& other) {
    if (&other == this) {
      const bootstrap_sums copy = other;
      return *this += copy;
    }
    if (other.empty()) return *this;
    if (empty()) return *this = other;
    if (other.seed_ != seed_ || other.replicates_ != replicates_ || other.width_ != width_ ||
        other.keep_units_ != keep_units_)
      throw ::stratum::usage_error(
          "bootstrap_sums merge: configurations differ (seed, replicates, width or keep_units)");
    for (std::size_t i = 0; i < limbs_.size(); ++i) limbs_[i] += other.limbs_[i];
    units_.insert(units_.end(), other.units_.begin(), other.units_.end());
    unit_values_.insert(unit_values_.end(), other.unit_values_.begin(), other.unit_values_.end());
    rows_ += other.rows_;
    pending_ += other.pending_ + 1;
    if (pending_ >= detail::exact_pending_limit) normalize();
    return *this;
  }
  bootstrap_sums& merge(const bootstrap_sums& other) { return *this += other; }

  /// T_j: the full-sample (weight 1) sum of column j, correctly rounded.
  [[nodiscard]] double total(std::size_t j) const { return sum_at(j, replicates_); }
  /// S_bj: the replicate-b sum of column j, correctly rounded.
  [[nodiscard]] double replicate_sum(std::uint32_t b, std::size_t j) const {
    if (b >= replicates_) throw std::out_of_range("bootstrap_sums::replicate_sum: replicate out of range");
    return sum_at(j, b);
  }

  /// f(T) with T the totals (std::span<const double> of size width).
  template <class F>
  [[nodiscard]] double statistic(F&& f) const {
    std::vector<double> s(width_);
    for (std::size_t j = 0; j < width_; ++j) s[j] = total(j);
    return static_cast<double>(f(std::span<const double>(s)));
  }

  /// f(S_b) for b = 0..B-1: the bootstrap distribution of the statistic.
  template <class F>
  [[nodiscard]] std::vector<double> replicate_statistics(F&& f) const {
    std::vector<double> out(replicates_), s(width_);
    for (std::uint32_t b = 0; b < replicates_; ++b) {
      for (std::size_t j = 0; j < width_; ++j) s[j] = sum_at(j, b);
      out[b] = static_cast<double>(f(std::span<const double>(s)));
    }
    return out;
  }

  /// Number of distinct units (keep_units only).
  [[nodiscard]] std::size_t units() const {
    require_units("units");
    auto ids = units_;
    std::sort(ids.begin(), ids.end());
    return static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
  }

  /// Jackknife statistics f(T - contribution of unit u), one per distinct unit in ascending id order; the
  /// differences are exact before rounding. Requires keep_units (std::logic_error otherwise).
  template <class F>
  [[nodiscard]] std::vector<double> jackknife_statistics(F&& f) const {
    require_units("jackknife_statistics");
    const auto order = sorted_rows();
    std::vector<detail::exact_sum> totals(width_);
    for (std::size_t j = 0; j < width_; ++j) totals[j].assign_canonical(canonical_at(j, replicates_));
    std::vector<double> out, s(width_);
    for (std::size_t k = 0; k < order.size();) {
      auto left_out = totals;
      const std::uint64_t id = units_[order[k]];
      for (; k < order.size() && units_[order[k]] == id; ++k)
        for (std::size_t j = 0; j < width_; ++j)
          left_out[j].add_split(detail::split_double(unit_values_[order[k] * width_ + j]), -1);
      for (std::size_t j = 0; j < width_; ++j) s[j] = left_out[j].value();
      out.push_back(static_cast<double>(f(std::span<const double>(s))));
    }
    return out;
  }

  static constexpr state_kind kind = state_kind::bootstrap_sums;
  static constexpr std::uint16_t format_version = 1;

  /// Common header (kind 18, dims 0) and payload: u64 seed, u32 replicates, u64 width, u8 keep_units, u64
  /// rows, [keep_units: rows x (u64 unit, width x f64) sorted by unit then value bits], then for every column
  /// j and row r in 0..B (B = the totals) the canonical exact sum (u8 first limb, u8 count, count x i64).
  /// Equal states give equal bytes whatever the order rows were added and merged in.
  [[nodiscard]] std::vector<std::byte> serialize() const {
    ::stratum::detail::byte_writer w;
    ::stratum::detail::begin_state(w, kind, format_version, {}, 0);
    w.u64(seed_);
    w.u32(replicates_);
    w.u64(width_);
    w.u8(keep_units_ ? 1 : 0);
    w.u64(rows_);
    if (keep_units_)
      for (std::size_t i : sorted_rows()) {
        w.u64(units_[i]);
        for (std::size_t j = 0; j < width_; ++j) w.f64(unit_values_[i * width_ + j]);
      }
    if (!empty())
      for (std::size_t j = 0; j < width_; ++j)
        for (std::size_t r = 0; r < rows_per_limb(); ++r) detail::write_limbs(w, canonical_at(j, r));
    return ::stratum::detail::finish_state(w);
  }

  /// Inverse of serialize. Throws stratum::input_error, naming the offset, on truncated, corrupt,
  /// non-canonical or version-mismatched input.
  [[nodiscard]] static bootstrap_sums deserialize(std::span<const std::byte> bytes) {
    const auto h = ::stratum::detail::read_state_header(bytes.data(), bytes.size(), kind, format_version);
    auto in = ::stratum::detail::payload_reader(bytes.data(), h);
    const std::uint64_t seed = in.u64();
    const std::uint32_t reps = in.u32();
    const std::uint64_t width = in.u64();
    const std::uint8_t keep = in.u8();
    const std::uint64_t rows = in.u64();
    if (keep > 1) in.fail("keep_units flag is " + std::to_string(keep));
    bootstrap_sums s;
    if (width == 0 && reps == 0) {
      if (rows != 0 || keep != 0) in.fail("an empty state with rows or keep_units");
      in.finish();
      return s;
    }
    if (width == 0 || reps == 0 || reps > (std::uint32_t{1} << 31)) in.fail("bad replicates or width");
    const std::uint64_t R = std::uint64_t{reps} + 1;
    // Every exact sum takes at least 2 bytes: check the declared sizes against the input before allocating.
    in.need_array(width, static_cast<std::size_t>(2 * R), "columns of sums");
    if (keep) in.need_array(rows, static_cast<std::size_t>(8 * (1 + width)), "retained rows");
    s = bootstrap_sums(seed, reps, static_cast<std::size_t>(width), keep != 0);
    s.rows_ = rows;
    if (keep) {
      s.units_.resize(static_cast<std::size_t>(rows));
      s.unit_values_.resize(static_cast<std::size_t>(rows * width));
      for (std::size_t i = 0; i < rows; ++i) {
        s.units_[i] = in.u64();
        for (std::size_t j = 0; j < width; ++j) {
          const double v = in.f64();
          if (!std::isfinite(v)) in.fail("retained row " + std::to_string(i) + " has a non-finite value");
          s.unit_values_[i * width + j] = v;
        }
      }
      if (!std::is_sorted(s.units_.begin(), s.units_.end()))
        in.fail("retained rows are not in canonical order");
    }
    for (std::size_t j = 0; j < width; ++j)
      for (std::size_t r = 0; r < R; ++r) {
        const auto a = detail::read_limbs(in);
        for (int i = 0; i < detail::exact_limbs; ++i)
          s.limbs_[s.index(i, j, r)] = a[static_cast<std::size_t>(i)];
      }
    in.finish();
    return s;
  }

  /// Same configuration, same exact sums, same rows count and (keep_units) the same multiset of rows.
  [[nodiscard]] friend bool operator==(const bootstrap_sums& a, const bootstrap_sums& b) {
    return a.serialize() == b.serialize();
  }

 private:
  [[nodiscard]] std::size_t rows_per_limb() const noexcept {
    return static_cast<std::size_t>(replicates_) + 1;
  }
  [[nodiscard]] std::size_t index(int limb, std::size_t j, std::size_t r) const noexcept {
    return (static_cast<std::size_t>(limb) * width_ + j) * rows_per_limb() + r;
  }
  [[nodiscard]] std::array<std::int64_t, detail::exact_limbs> canonical_at(std::size_t j,
                                                                           std::size_t r) const {
    if (j >= width_) throw std::out_of_range("bootstrap_sums: column out of range");
    return detail::exact_canonical(limbs_.data() + index(0, j, r),
                                   static_cast<std::ptrdiff_t>(width_ * rows_per_limb()));
  }
  [[nodiscard]] double sum_at(std::size_t j, std::size_t r) const {
    return detail::exact_to_double(canonical_at(j, r));
  }
  void normalize() noexcept {
    const auto stride = static_cast<std::ptrdiff_t>(width_ * rows_per_limb());
    for (std::size_t j = 0; j < width_; ++j)
      for (std::size_t r = 0; r < rows_per_limb(); ++r)
        detail::exact_normalize(limbs_.data() + index(0, j, r), stride);
    pending_ = 0;
  }
  void require_units(const char* fn) const {
    if (!keep_units_)
      throw std::logic_error(std::string("bootstrap_sums::") + fn +
                             ": the state was built without keep_units");
  }
  /// Row indices in canonical order: by unit id, then by the bit patterns of the values.
  [[nodiscard]] std::vector<std::size_t> sorted_rows() const {
    std::vector<std::size_t> order(units_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      if (units_[x] != units_[y]) return units_[x] < units_[y];
      for (std::size_t j = 0; j < width_; ++j) {
        const auto bx = std::bit_cast<std::uint64_t>(unit_values_[x * width_ + j]);
        const auto by = std::bit_cast<std::uint64_t>(unit_values_[y * width_ + j]);
        if (bx != by) return bx < by;
      }
      return false;
    });
    return order;
  }

  std::uint64_t seed_ = 0;
  std::uint32_t replicates_ = 0;
  std::size_t width_ = 0;
  bool keep_units_ = false;
  std::uint64_t rows_ = 0;
  std::uint64_t pending_ = 0;
  std::vector<std::int64_t> limbs_;  // [limb][column][row r = 0..B], r == B the totals
  std::vector<std::uint64_t> units_;
  std::vector<double> unit_values_;     // rows x width
  std::vector<std::uint32_t> weights_;  // scratch: weights of the current unit
};

}  // namespace stratum::stats
