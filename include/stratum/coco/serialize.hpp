// Serialization of the exact COCO accumulator, and the parameter fingerprint shared by every COCO state.
//
// A state travels as the common 64-byte header (detail/binary.hpp: magic, format version, kind, dimensions,
// parameter fingerprint, payload size, FNV-1a 64 checksum) followed by a little-endian fixed-width payload.
// deserialize_exact checks everything before it allocates anything proportional to the input, and rejects
// truncated, corrupt, wrong-magic, wrong-kind or version-mismatched input with a stratum::input_error whose
// message says what is wrong and where. Records are written in canonical order (exact_accumulator::
// canonical_order), so the bytes do not depend on the order frames arrived or shards were merged in;
// serialize(deserialize_exact(b)) == b and deserialize_exact(serialize(a)) == a. Layout:
// docs/serialization.md.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../detail/binary.hpp"
#include "accumulator.hpp"
#include "params.hpp"

namespace stratum::coco {

namespace detail {

inline std::string dims_string(const acc_dims& d) {
  return "T=" + std::to_string(d.T) + ", K=" + std::to_string(d.K) + ", A=" + std::to_string(d.A);
}

/// Checks a stored fingerprint against the caller's parameters.
inline void check_fingerprint(std::uint64_t stored, const resolved_params& p) {
  p.require("deserialize");
  if (stored == 0)
    throw input_error(
        "serialized state: carries no parameter fingerprint, so it cannot be checked against the given "
        "parameters (serialize it with its params)");
  const auto want = p.fingerprint();
  if (stored != want)
    throw input_error("serialized state: parameter fingerprint " + stratum::detail::hex64(stored) +
                      " does not match the given parameters (" + stratum::detail::hex64(want) +
                      "): it was accumulated with other iou_thrs, area_rngs, max_dets, use_cats or cat_ids");
}

}  // namespace detail

// ---- exact accumulator -----------------------------------------------------------------------------------
//
// Header dims: T, K, A, 0, 0. Payload, for each category k = 0 .. K-1:
//   u64 n (records), A x i64 npig, n x f64 score, n x i64 image, n x u32 rank, n*A x u64 tp, n*A x u64 fp
// (tp and fp record-major: the A words of record 0, then those of record 1, ...).

/// Serializes `acc` with fingerprint `fingerprint` (0: none).
[[nodiscard]] inline std::vector<std::byte> serialize(const exact_accumulator& acc,
                                                      std::uint64_t fingerprint) {
  const auto& d = acc.dims();
  if (d.T > 64 || d.K > 0xffffffffu || d.A > 0xffffffffu)
    throw usage_error("serialize: accumulator dimensions out of range (" + detail::dims_string(d) + ")");
  std::size_t bytes = stratum::detail::state_header_size;
  for (const auto& c : acc.categories()) bytes += 8 + 8 * d.A + c.size() * (20 + 16 * d.A);
  stratum::detail::byte_writer w;
  w.reserve(bytes);
  stratum::detail::begin_state(w, state_kind::coco_exact, exact_accumulator::format_version,
                               {static_cast<std::uint32_t>(d.T), static_cast<std::uint32_t>(d.K),
                                static_cast<std::uint32_t>(d.A), 0, 0},
                               fingerprint);
  const std::size_t A = d.A;
  for (std::size_t k = 0; k < acc.categories().size(); ++k) {
    const auto& c = acc.categories()[k];
    const auto order = acc.canonical_order(k);  // canonical: the bytes do not depend on arrival order
    w.u64(c.size());
    for (auto v : c.npig) w.i64(v);
    for (auto i : order) w.f64(c.score[i]);
    for (auto i : order) w.i64(c.image[i]);
    for (auto i : order) w.u32(c.rank[i]);
    for (auto i : order)
      for (std::size_t a = 0; a < A; ++a) w.u64(c.tp[i * A + a]);
    for (auto i : order)
      for (std::size_t a = 0; a < A; ++a) w.u64(c.fp[i * A + a]);
  }
  return stratum::detail::finish_state(w);
}

/// Serializes `acc` without a parameter fingerprint.
[[nodiscard]] inline std::vector<std::byte> serialize(const exact_accumulator& acc) {
  return serialize(acc, 0);
}

/// Serializes `acc`, accumulated with the resolved parameters `p`, with their fingerprint. Throws usage_error
/// when the state's shape does not fit p (the empty default-constructed state fits any).
[[nodiscard]] inline std::vector<std::byte> serialize(const exact_accumulator& acc,
                                                      const resolved_params& p) {
  p.require("serialize");
  const bool identity = acc.dims() == acc_dims{} && acc.categories().empty();
  if (!identity && !(acc.dims() == p.dims()))
    throw usage_error("serialize: the accumulator's shape (" + detail::dims_string(acc.dims()) +
                      ") does not fit the parameters (" + detail::dims_string(p.dims()) + ")");
  return serialize(acc, p.fingerprint());
}

namespace detail {

inline exact_accumulator deserialize_exact_payload(const std::byte* p,
                                                   const stratum::detail::state_header& h) {
  const acc_dims d{h.dims[0], h.dims[1], h.dims[2]};
  if (d.T > 64)
    throw input_error("serialized state: T=" + std::to_string(d.T) + " IoU thresholds, at most 64 supported");
  if (h.dims[3] != 0 || h.dims[4] != 0)
    throw input_error("serialized state: dimensions 4 and 5 of an exact accumulator must be 0, found " +
                      std::to_string(h.dims[3]) + " and " + std::to_string(h.dims[4]));
  auto r = stratum::detail::payload_reader(p, h);
  // Every category takes at least 8 + 8 A bytes: check before allocating K categories.
  r.need_array(d.K, 8 + 8 * d.A, "the categories");
  if (d == acc_dims{}) return exact_accumulator{};
  exact_accumulator acc(d);
  const std::uint64_t tmask = d.T == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << d.T) - 1;
  std::vector<double> score;
  std::vector<std::int64_t> image;
  std::vector<std::uint32_t> rank;
  std::vector<std::uint64_t> tp, fp;
  for (std::size_t k = 0; k < d.K; ++k) {
    const std::string where = "serialized state: category " + std::to_string(k);
    const auto n64 = r.u64();
    for (std::size_t a = 0; a < d.A; ++a) {
      const auto v = r.i64();
      if (v < 0)
        throw input_error(where + ": negative ground-truth count " + std::to_string(v) + " in area range " +
                          std::to_string(a));
      acc.add_ground_truths(k, a, v);
    }
    r.need_array(n64, 20 + 16 * d.A,
                 "category " + std::to_string(k) + ": " + std::to_string(n64) + " records");
    const auto n = static_cast<std::size_t>(n64);
    score.resize(n), image.resize(n), rank.resize(n), tp.resize(n * d.A), fp.resize(n * d.A);
    for (std::size_t j = 0; j < n; ++j) {
      score[j] = r.f64();
      if (!std::isfinite(score[j]))
        throw input_error(where + ": record " + std::to_string(j) + ": score is not finite");
    }
    for (auto& v : image) v = r.i64();
    for (auto& v : rank) v = r.u32();
    for (auto& v : tp) v = r.u64();
    for (auto& v : fp) v = r.u64();
    for (std::size_t i = 0; i < n * d.A; ++i) {
      if ((tp[i] | fp[i]) & ~tmask)
        throw input_error(where + ": record " + std::to_string(i / d.A) + ": bits set beyond the " +
                          std::to_string(d.T) + " IoU thresholds");
      if (tp[i] & fp[i])
        throw input_error(where + ": record " + std::to_string(i / d.A) +
                          ": a detection is both a true and a false positive");
    }
    for (std::size_t j = 0; j < n; ++j)
      acc.add_detection(k, score[j], image[j], rank[j], tp.data() + j * d.A, fp.data() + j * d.A);
  }
  if (r.remaining() != 0)
    throw input_error("serialized state: " + std::to_string(r.remaining()) +
                      " unexpected bytes at the end of the payload, offset " + std::to_string(r.offset()));
  return acc;
}

}  // namespace detail

/// The exact accumulator stored in [p, p + n); accepts any (or no) parameter fingerprint.
[[nodiscard]] inline exact_accumulator deserialize_exact(const std::byte* p, std::size_t n) {
  const auto h =
      stratum::detail::read_state_header(p, n, state_kind::coco_exact, exact_accumulator::format_version);
  return detail::deserialize_exact_payload(p, h);
}

/// The exact accumulator stored in [p, p + n), which must carry the fingerprint of `prm` (resolved
/// parameters) and have its shape (or be the empty default state).
[[nodiscard]] inline exact_accumulator deserialize_exact(const std::byte* p, std::size_t n,
                                                         const resolved_params& prm) {
  const auto h =
      stratum::detail::read_state_header(p, n, state_kind::coco_exact, exact_accumulator::format_version);
  detail::check_fingerprint(h.fingerprint, prm);
  auto acc = detail::deserialize_exact_payload(p, h);
  const bool identity = acc.dims() == acc_dims{} && acc.categories().empty();
  if (!identity && !(acc.dims() == prm.dims()))
    throw input_error("serialized state: shape " + detail::dims_string(acc.dims()) +
                      " does not fit the given parameters (" + detail::dims_string(prm.dims()) + ")");
  return acc;
}

[[nodiscard]] inline exact_accumulator deserialize_exact(std::span<const std::byte> b) {
  return deserialize_exact(b.data(), b.size());
}
[[nodiscard]] inline exact_accumulator deserialize_exact(std::span<const std::byte> b,
                                                         const resolved_params& prm) {
  return deserialize_exact(b.data(), b.size(), prm);
}

inline std::vector<std::byte> exact_accumulator::serialize() const {
  return coco::serialize(*this, 0);
}
inline exact_accumulator exact_accumulator::deserialize(std::span<const std::byte> bytes) {
  return deserialize_exact(bytes.data(), bytes.size());
}

}  // namespace stratum::coco
