// Binning for calibration metrics: bin edges with one documented rule, and the mergeable per-bin state every
// calibration estimator in stratum/calibration/ is computed from.
//
// Bin rule (the rule of sklearn 1.2.1 calibration_curve, of verified_calibration's `bin` ("bin boundaries are
// part of the _left_ bin") and of the LaECE reference code; Oksuz et al. 2023):
//
//   edges e_0 <= e_1 <= ... <= e_m for m bins; a value v goes to bin  #{ k in 1..m-1 : e_k < v },
//   i.e. numpy.searchsorted(e[1:-1], v, side='left'). Bins are right-closed: bin 0 is [e_0, e_1], bin k is
//   (e_k, e_(k+1)]. So 0 goes to the first bin, 1.0 to the last, and a value equal to an interior edge to the
//   bin on its left. Values below e_0 or above e_m (possible only with data-dependent edges) go to the first
//   or last bin. Where references disagree: netcal's D-ECE bins with scipy.stats.binned_statistic_dd, which
//   is left-closed ([e_k, e_(k+1)), last bin closed), so values exactly on an interior edge land one bin
//   higher there; Guo et al.'s reference ECE code uses (e_k, e_(k+1)] for every bin and drops confidence 0.
//
//   equal width (m bins): e_k = k * (1.0 / m) for 0 < k < m, e_0 = 0, e_m = 1, exactly numpy.linspace(0, 1,
//     m + 1) (so e_3 of 10 bins is 0.30000000000000004 and 0.3 falls in bin 2).
//   equal mass (m bins, "adaptive", from data v_1..v_n): e_k = numpy.percentile(v, 100 * q_k) with
//     q_k = linspace(0, 1, m + 1)[k] and the default linear interpolation, as sklearn's strategy='quantile'.
//     Ties stay together (a value never straddles two bins), so bins may hold unequal counts and some may be
//     empty when many values tie.
//
// Accepted values: confidences, targets and box features must be finite and lie in [0, 1]; anything else
// (NaN, infinities, -1e-17, 1 + 1e-16) is rejected with std::invalid_argument naming the record and field.
// Empty bins carry no weight in any estimator and are skipped by the reliability curve.
//
// calibration_bins holds, per bin of the cartesian product of its axes (axis 0: confidence; further axes:
// e.g. normalised box position and size for D-ECE), the count n_b and exact sums of confidence c, target y,
// y^2 and (y - c)^2 (each product rounded to double first, then summed exactly). Exact sums make merge
// associative and commutative bit for bit, so any split of the data gives the same state and the same
// serialised bytes as a single pass.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../core/state.hpp"
#include "../detail/binary.hpp"
#include "../detail/numpy.hpp"
#include "../stats/exact_sum.hpp"

namespace stratum::calibration {

namespace detail {
inline std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
/// Throws std::invalid_argument unless v is finite and in [0, 1].
inline void check_unit(double v, const std::string& where, const char* field) {
  if (!(v >= 0.0 && v <= 1.0))
    throw ::stratum::usage_error(where + ": " + field + " = " + num(v) + " is not in [0, 1]");
}
}  // namespace detail

/// Bin edges of one axis (see the rule above).
class bin_edges {
 public:
  /// m equal-width bins on [0, 1] (numpy.linspace(0, 1, m + 1)). Throws std::invalid_argument when m == 0.
  [[nodiscard]] static bin_edges equal_width(std::size_t m) {
    check_count(m, "bin_edges::equal_width");
    return bin_edges(::stratum::detail::numpy_linspace(0.0, 1.0, m + 1));
  }

  /// m equal-mass bins from `values` (numpy.percentile at linspace(0, 1, m + 1) * 100, as sklearn 1.2.1
  /// calibration_curve(strategy='quantile')). Throws std::invalid_argument on m == 0, empty values or values
  /// outside [0, 1].
  [[nodiscard]] static bin_edges equal_mass(std::span<const double> values, std::size_t m) {
    check_count(m, "bin_edges::equal_mass");
    if (values.empty()) throw ::stratum::usage_error("bin_edges::equal_mass: values is empty");
    for (std::size_t i = 0; i < values.size(); ++i)
      detail::check_unit(values[i], "bin_edges::equal_mass: values[" + std::to_string(i) + "]", "value");
    std::vector<double> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    auto e = ::stratum::detail::numpy_linspace(0.0, 1.0, m + 1);
    for (auto& q : e) q = ::stratum::detail::numpy_percentile_sorted(sorted, q * 100);
    return bin_edges(std::move(e));
  }

  /// Explicit edges: at least 2, finite, in [0, 1], non-decreasing. Throws std::invalid_argument otherwise.
  explicit bin_edges(std::vector<double> edges) : e_(std::move(edges)) {
    if (e_.size() < 2)
      throw ::stratum::usage_error("bin_edges: need at least 2 edges, got " + std::to_string(e_.size()));
    for (std::size_t k = 0; k < e_.size(); ++k) {
      detail::check_unit(e_[k], "bin_edges: edges[" + std::to_string(k) + "]", "edge");
      if (k > 0 && e_[k] < e_[k - 1])
        throw ::stratum::usage_error("bin_edges: edges must be non-decreasing, edges[" + std::to_string(k) +
                                     "] < edges[" + std::to_string(k - 1) + "]");
    }
    if (e_.size() - 1 > max_bins) throw ::stratum::usage_error("bin_edges: more than 2^20 bins");
  }

  [[nodiscard]] std::size_t bins() const noexcept { return e_.size() - 1; }
  [[nodiscard]] std::span<const double> edges() const noexcept { return e_; }
  [[nodiscard]] double lower(std::size_t b) const { return e_.at(b); }
  [[nodiscard]] double upper(std::size_t b) const { return e_.at(b + 1); }

  /// The bin of v: #{ k in 1..m-1 : e_k < v } (numpy.searchsorted(e[1:-1], v, side='left')).
  [[nodiscard]] std::size_t bin(double v) const noexcept {
    const auto first = e_.begin() + 1, last = e_.end() - 1;
    return static_cast<std::size_t>(std::lower_bound(first, last, v) - first);
  }

  [[nodiscard]] friend bool operator==(const bin_edges& a, const bin_edges& b) noexcept {
    if (a.e_.size() != b.e_.size()) return false;
    for (std::size_t k = 0; k < a.e_.size(); ++k)
      if (std::bit_cast<std::uint64_t>(a.e_[k]) != std::bit_cast<std::uint64_t>(b.e_[k])) return false;
    return true;
  }

  static constexpr std::size_t max_bins = std::size_t{1} << 20;

 private:
  static void check_count(std::size_t m, const char* fn) {
    if (m == 0 || m > max_bins)
      throw ::stratum::usage_error(std::string(fn) + ": the number of bins must lie in [1, 2^20], got " +
                                   std::to_string(m));
  }
  std::vector<double> e_;
};

/// The sums of one bin.
struct bin_sums {
  std::uint64_t count = 0;
  stats::detail::exact_sum confidence;     ///< sum of c
  stats::detail::exact_sum target;         ///< sum of y
  stats::detail::exact_sum target_sq;      ///< sum of y^2 (equals sum of y exactly iff every y is 0 or 1)
  stats::detail::exact_sum squared_error;  ///< sum of (y - c)^2

  bin_sums& operator+=(const bin_sums& o) noexcept {
    count += o.count;
    confidence += o.confidence;
    target += o.target;
    target_sq += o.target_sq;
    squared_error += o.squared_error;
    return *this;
  }
  [[nodiscard]] double mean_confidence() const noexcept {
    return confidence.value() / static_cast<double>(count);
  }
  [[nodiscard]] double mean_target() const noexcept { return target.value() / static_cast<double>(count); }
  /// Every target of the bin is 0 or 1 (for y in [0, 1], y^2 <= y with equality only at 0 and 1).
  [[nodiscard]] bool binary_targets() const noexcept { return target_sq == target; }
  [[nodiscard]] friend bool operator==(const bin_sums& a, const bin_sums& b) noexcept {
    return a.count == b.count && a.confidence == b.confidence && a.target == b.target &&
           a.target_sq == b.target_sq && a.squared_error == b.squared_error;
  }
};

/// Mergeable per-bin calibration sums over the cartesian product of one or more axes (axis 0: confidence).
/// A regular value type: default-constructed is the empty state (the identity of +=, which adopts the other
/// operand's axes); add feeds (confidence, target[, features]); += merges states with identical axes;
/// serialize/deserialize round-trip it exactly. Only non-empty bins are stored.
class calibration_bins {
 public:
  static constexpr state_kind kind = state_kind::calibration_bins;
  static constexpr std::uint16_t format_version = 1;

  calibration_bins() = default;
  /// One axis over confidence.
  explicit calibration_bins(bin_edges confidence_axis)
      : calibration_bins(std::vector<bin_edges>{std::move(confidence_axis)}) {}
  /// axes[0] over confidence, axes[1..] over the features passed to add(). Throws std::invalid_argument on no
  /// axes or more than 2^40 bins in total.
  explicit calibration_bins(std::vector<bin_edges> axes) : axes_(std::move(axes)) {
    if (axes_.empty())
      throw ::stratum::usage_error("calibration_bins: at least one axis (confidence) is needed");
    std::uint64_t total = 1;
    for (const auto& a : axes_) {
      total *= a.bins();
      if (total > (std::uint64_t{1} << 40))
        throw ::stratum::usage_error("calibration_bins: more than 2^40 bins");
    }
    total_bins_ = total;
  }

  [[nodiscard]] bool empty_configuration() const noexcept { return axes_.empty(); }
  [[nodiscard]] const std::vector<bin_edges>& axes() const noexcept { return axes_; }
  [[nodiscard]] std::uint64_t total_bins() const noexcept { return total_bins_; }
  /// Number of samples added.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  /// Non-empty bins by flattened index (row-major: axis 0 varies slowest).
  [[nodiscard]] const std::map<std::uint64_t, bin_sums>& bins() const noexcept { return bins_; }

  /// Flattened bin of (confidence, features...). Values must already be validated.
  [[nodiscard]] std::uint64_t bin_of(double confidence, std::span<const double> features) const noexcept {
    std::uint64_t idx = axes_[0].bin(confidence);
    for (std::size_t a = 1; a < axes_.size(); ++a)
      idx = idx * axes_[a].bins() + axes_[a].bin(features[a - 1]);
    return idx;
  }

  /// Adds one sample. `features` must have one value per extra axis. Throws std::invalid_argument on values
  /// outside [0, 1] (NaN included), a feature count mismatch, or an unconfigured state; `record` names the
  /// sample in messages.
  void add(double confidence, double target, std::span<const double> features = {},
           std::uint64_t record = 0) {
    if (axes_.empty())
      throw ::stratum::usage_error("calibration_bins::add: the state has no axes (default-constructed)");
    // the message is built only when a value is refused (add is called once per sample)
    auto where = [record] { return "calibration_bins::add: record " + std::to_string(record); };
    if (!(confidence >= 0.0 && confidence <= 1.0)) detail::check_unit(confidence, where(), "confidence");
    if (!(target >= 0.0 && target <= 1.0)) detail::check_unit(target, where(), "target");
    if (features.size() + 1 != axes_.size())
      throw ::stratum::usage_error(where() + ": " + std::to_string(features.size()) + " features for " +
                                   std::to_string(axes_.size() - 1) + " feature axes");
    for (std::size_t f = 0; f < features.size(); ++f)
      if (!(features[f] >= 0.0 && features[f] <= 1.0))
        detail::check_unit(features[f], where(), ("features[" + std::to_string(f) + "]").c_str());
    auto& b = bins_[bin_of(confidence, features)];
    ++b.count;
    b.confidence.add(confidence);
    b.target.add(target);
    b.target_sq.add(target * target);
    const double d = target - confidence;
    b.squared_error.add(d * d);
    ++count_;
  }

  /// Merges `other` (identical axes; an unconfigured operand is the identity). Throws std::invalid_argument
  /// when the axes differ.
  calibration_bins& operator+=(const calibration_bins& other) {
    if (&other == this) {
      const calibration_bins copy = other;
      return *this += copy;
    }
    if (other.axes_.empty()) return *this;
    if (axes_.empty()) return *this = other;
    if (axes_ != other.axes_) throw ::stratum::usage_error("calibration_bins merge: the bin edges differ");
    for (const auto& [idx, s] : other.bins_) bins_[idx] += s;
    count_ += other.count_;
    return *this;
  }

  /// Equal axes and equal sums in every bin.
  [[nodiscard]] friend bool operator==(const calibration_bins& a, const calibration_bins& b) {
    return a.axes_ == b.axes_ && a.count_ == b.count_ && a.bins_ == b.bins_;
  }

  /// The common header (kind 32, dims 0) and the state body (see write_body).
  [[nodiscard]] std::vector<std::byte> serialize() const {
    ::stratum::detail::byte_writer w;
    ::stratum::detail::begin_state(w, kind, format_version, {}, 0);
    write_body(w);
    return ::stratum::detail::finish_state(w);
  }
  /// Inverse of serialize. Throws stratum::input_error, naming the offset, on truncated, corrupt,
  /// inconsistent or version-mismatched input.
  [[nodiscard]] static calibration_bins deserialize(std::span<const std::byte> bytes) {
    const auto h = ::stratum::detail::read_state_header(bytes.data(), bytes.size(), kind, format_version);
    auto in = ::stratum::detail::payload_reader(bytes.data(), h);
    auto s = read_body(in);
    in.finish();
    return s;
  }

  /// Body: u32 axes, per axis u32 bins and (bins + 1) f64 edges; u64 samples; u64 non-empty bins, each u64
  /// index (increasing), u64 count (>= 1) and the four canonical exact sums (u8 first limb, u8 limb count,
  /// i64 limbs).
  void write_body(::stratum::detail::byte_writer& w) const {
    w.u32(static_cast<std::uint32_t>(axes_.size()));
    for (const auto& a : axes_) {
      w.u32(static_cast<std::uint32_t>(a.bins()));
      for (double e : a.edges()) w.f64(e);
    }
    w.u64(count_);
    w.u64(bins_.size());
    for (const auto& [idx, s] : bins_) {
      w.u64(idx);
      w.u64(s.count);
      for (const auto* x : {&s.confidence, &s.target, &s.target_sq, &s.squared_error})
        stats::detail::write_limbs(w, x->canonical());
    }
  }
  [[nodiscard]] static calibration_bins read_body(::stratum::detail::byte_reader& in) {
    const std::uint32_t n_axes = in.u32();
    if (n_axes == 0) {
      if (in.u64() != 0 || in.u64() != 0) in.fail("an unconfigured state with samples");
      return {};
    }
    in.need_array(n_axes, 4 + 16, "axes");
    std::vector<bin_edges> axes;
    for (std::uint32_t a = 0; a < n_axes; ++a) {
      const std::uint32_t m = in.u32();
      if (m == 0 || m > bin_edges::max_bins)
        in.fail("axis " + std::to_string(a) + " has " + std::to_string(m) + " bins");
      in.need_array(std::uint64_t{m} + 1, 8, "bin edges");
      std::vector<double> e(m + 1);
      for (auto& v : e) v = in.f64();
      try {
        axes.emplace_back(std::move(e));
      } catch (const std::invalid_argument& err) {
        in.fail(std::string("invalid edges: ") + err.what());
      }
    }
    calibration_bins s;
    try {
      s = calibration_bins(std::move(axes));
    } catch (const std::invalid_argument& err) {
      in.fail(err.what());
    }
    s.count_ = in.u64();
    const std::uint64_t nonempty = in.u64();
    in.need_array(nonempty, 16 + 8, "bins");
    std::uint64_t total = 0;
    bool first = true;
    std::uint64_t prev = 0;
    for (std::uint64_t k = 0; k < nonempty; ++k) {
      const std::uint64_t idx = in.u64();
      if (idx >= s.total_bins_ || (!first && idx <= prev))
        in.fail("bin index " + std::to_string(idx) + " out of order or range");
      first = false;
      prev = idx;
      bin_sums b;
      b.count = in.u64();
      if (b.count == 0) in.fail("empty bin " + std::to_string(idx) + " stored");
      total += b.count;
      for (auto* x : {&b.confidence, &b.target, &b.target_sq, &b.squared_error})
        x->assign_canonical(stats::detail::read_limbs(in));
      s.bins_.emplace_hint(s.bins_.end(), idx, std::move(b));
    }
    if (total != s.count_) in.fail("bin counts do not add up to the sample count");
    return s;
  }

 private:
  std::vector<bin_edges> axes_;
  std::uint64_t total_bins_ = 0;
  std::uint64_t count_ = 0;
  std::map<std::uint64_t, bin_sums> bins_;
};

/// Per-class calibration states (LaECE, per-class ACE): class id -> calibration_bins. New classes get the
/// prototype axes; states with their own axes (e.g. per-class equal-mass edges) can be inserted with
/// `assign`. Mergeable and serialisable like calibration_bins.
class class_calibration_bins {
 public:
  static constexpr state_kind kind = state_kind::class_calibration_bins;
  static constexpr std::uint16_t format_version = 1;

  class_calibration_bins() = default;
  explicit class_calibration_bins(std::vector<bin_edges> prototype) : prototype_(std::move(prototype)) {
    (void)calibration_bins(prototype_);  // validates
  }

  void add(std::int64_t category, double confidence, double target, std::span<const double> features = {},
           std::uint64_t record = 0) {
    auto it = classes_.find(category);
    if (it == classes_.end()) {
      if (prototype_.empty())
        throw ::stratum::usage_error("class_calibration_bins::add: no prototype axes for a new class " +
                                     std::to_string(category));
      it = classes_.emplace(category, calibration_bins(prototype_)).first;
    }
    it->second.add(confidence, target, features, record);
  }
  /// Sets the state of one class (replacing any previous one).
  void assign(std::int64_t category, calibration_bins state) { classes_[category] = std::move(state); }

  [[nodiscard]] const std::map<std::int64_t, calibration_bins>& classes() const noexcept { return classes_; }
  [[nodiscard]] const std::vector<bin_edges>& prototype() const noexcept { return prototype_; }

  class_calibration_bins& operator+=(const class_calibration_bins& other) {
    if (&other == this) {
      const class_calibration_bins copy = other;
      return *this += copy;
    }
    if (prototype_.empty())
      prototype_ = other.prototype_;
    else if (!other.prototype_.empty() && other.prototype_ != prototype_)
      throw ::stratum::usage_error("class_calibration_bins merge: the prototype bin edges differ");
    for (const auto& [c, s] : other.classes_) classes_[c] += s;
    return *this;
  }
  [[nodiscard]] friend bool operator==(const class_calibration_bins& a, const class_calibration_bins& b) {
    return a.prototype_ == b.prototype_ && a.classes_ == b.classes_;
  }

  /// The common header (kind 33, dims 0) and u32 prototype axes (bins + edges as in calibration_bins), u64
  /// classes, per class (increasing id) i64 id and a calibration_bins body.
  [[nodiscard]] std::vector<std::byte> serialize() const {
    ::stratum::detail::byte_writer w;
    ::stratum::detail::begin_state(w, kind, format_version, {}, 0);
    w.u32(static_cast<std::uint32_t>(prototype_.size()));
    for (const auto& a : prototype_) {
      w.u32(static_cast<std::uint32_t>(a.bins()));
      for (double e : a.edges()) w.f64(e);
    }
    w.u64(classes_.size());
    for (const auto& [c, s] : classes_) {
      w.i64(c);
      s.write_body(w);
    }
    return ::stratum::detail::finish_state(w);
  }
  [[nodiscard]] static class_calibration_bins deserialize(std::span<const std::byte> bytes) {
    const auto h = ::stratum::detail::read_state_header(bytes.data(), bytes.size(), kind, format_version);
    auto in = ::stratum::detail::payload_reader(bytes.data(), h);
    class_calibration_bins s;
    const std::uint32_t n_axes = in.u32();
    in.need_array(n_axes, 4 + 16, "axes");
    for (std::uint32_t a = 0; a < n_axes; ++a) {
      const std::uint32_t m = in.u32();
      if (m == 0 || m > bin_edges::max_bins)
        in.fail("prototype axis " + std::to_string(a) + " has " + std::to_string(m) + " bins");
      in.need_array(std::uint64_t{m} + 1, 8, "bin edges");
      std::vector<double> e(m + 1);
      for (auto& v : e) v = in.f64();
      try {
        s.prototype_.emplace_back(std::move(e));
      } catch (const std::invalid_argument& err) {
        in.fail(std::string("invalid prototype edges: ") + err.what());
      }
    }
    const std::uint64_t n = in.u64();
    in.need_array(n, 8 + 20, "classes");
    bool first = true;
    std::int64_t prev = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
      const std::int64_t c = in.i64();
      if (!first && c <= prev) in.fail("class ids out of order");
      first = false;
      prev = c;
      s.classes_.emplace_hint(s.classes_.end(), c, calibration_bins::read_body(in));
    }
    in.finish();
    return s;
  }

 private:
  std::vector<bin_edges> prototype_;
  std::map<std::int64_t, calibration_bins> classes_;
};

}  // namespace stratum::calibration
