// The mergeable-state concept every accumulator of stratum follows (docs/concepts.md), and the kind numbers
// of the one wire format they serialize to (docs/serialization.md).
//
// A state S is a regular value type (default-constructible, copyable, ==) such that
//   S{}                     is the identity of merging, for a state of any configuration: S{} += a gives a,
//                           a += S{} leaves a unchanged;
//   a.add(...) / a(...)     feeds it (the signature is the state's own);
//   a += b                  gives the state a would be in had it also seen b's input, so merging is
//                           associative and commutative, and a += a is defined (it doubles a's input);
//   a == b                  compares what the states hold, bit for bit (no tolerance); two states fed the
//   same
//                           input in any split and order are ==;
//   a.serialize()           the bytes of the common wire format: the 64-byte header with S::kind, then the
//                           payload; equal states give equal bytes;
//   S::deserialize(bytes)   the state back, every read bounds-checked: truncated, corrupt (checksum), wrong
//                           kind or newer-version input throws stratum::input_error naming the offset.
// The C++20 concept checks the expressions; tests/state_concept_test.cpp checks the properties for every
// type.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace stratum {

/// Kind numbers of serialized states (offset 10 of the common header). Never reused: a retired kind keeps its
/// number. 1-15 COCO, 16-31 statistics, 32-47 calibration, 48-63 audit, 64-79 baseline
/// and drift.
enum class state_kind : std::uint16_t {
  coco_exact = 1,               ///< coco::exact_accumulator
  coco_binned = 2,              ///< coco::binned_accumulator
  coco_stream = 3,              ///< coco::stream_state (pooled and per-slice exact states of a stream)
  coco_stream_binned = 4,       ///< coco::binned_stream_state (the same with binned states)
  histogram = 16,               ///< stats::histogram
  quantile_sketch = 17,         ///< stats::quantile_sketch
  bootstrap_sums = 18,          ///< stats::bootstrap_sums
  calibration_bins = 32,        ///< calibration::calibration_bins
  class_calibration_bins = 33,  ///< calibration::class_calibration_bins
  audit_records = 48,           ///< audit::operating_records
  audit_stream = 49,            ///< audit::audit_stream_state (operating records and frame metadata)
  baseline_file = 64,           ///< baseline::baseline_file (a frozen validation run; not mergeable)
  drift_profile = 65,           ///< baseline::profile (unlabelled output distributions of a set of frames)
};

/// "a COCO exact accumulator (kind 1)" and so on; unknown numbers are named as such.
[[nodiscard]] inline std::string state_kind_name(std::uint16_t kind) {
  const char* name = nullptr;
  switch (static_cast<state_kind>(kind)) {
    case state_kind::coco_exact:
      name = "a COCO exact accumulator";
      break;
    case state_kind::coco_binned:
      name = "a COCO binned accumulator";
      break;
    case state_kind::coco_stream:
      name = "a COCO stream state";
      break;
    case state_kind::coco_stream_binned:
      name = "a COCO binned stream state";
      break;
    case state_kind::histogram:
      name = "a histogram";
      break;
    case state_kind::quantile_sketch:
      name = "a quantile sketch";
      break;
    case state_kind::bootstrap_sums:
      name = "bootstrap sums";
      break;
    case state_kind::calibration_bins:
      name = "calibration bins";
      break;
    case state_kind::class_calibration_bins:
      name = "per-class calibration bins";
      break;
    case state_kind::audit_records:
      name = "audit operating records";
      break;
    case state_kind::audit_stream:
      name = "an audit stream state";
      break;
    case state_kind::baseline_file:
      name = "a baseline file";
      break;
    case state_kind::drift_profile:
      name = "a drift profile";
      break;
  }
  if (name == nullptr) return "an unknown kind of state (kind " + std::to_string(kind) + ")";
  return std::string(name) + " (kind " + std::to_string(kind) + ")";
}
[[nodiscard]] inline std::string state_kind_name(state_kind k) {
  return state_kind_name(static_cast<std::uint16_t>(k));
}

/// The expressions of the state concept (the properties are tested, see the comment at the top).
template <class S>
concept mergeable_state = std::regular<S> && requires(S& a, const S& b, std::span<const std::byte> bytes) {
  { S::kind } -> std::convertible_to<state_kind>;
  { S::format_version } -> std::convertible_to<std::uint16_t>;
  { a += b } -> std::same_as<S&>;
  { b.serialize() } -> std::same_as<std::vector<std::byte>>;
  { S::deserialize(bytes) } -> std::same_as<S>;
};

}  // namespace stratum
