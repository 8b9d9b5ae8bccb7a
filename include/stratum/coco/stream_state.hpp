// The mergeable state of a streaming (and sliced) COCO evaluation, and its wire format: kind 3 with exact
// accumulators (stream_state), kind 4 with binned ones (binned_stream_state, the bounded-memory mode).
//
// It holds the pooled accumulator, one accumulator per slice cell of every slicing, the ids of
// the frames added (pooled and per cell: n_images and the duplicate check at finalize) and the object counts
// read. It follows the state concept (core/state.hpp, docs/concepts.md): stream_state{} is the identity; +=
// merges (cells by name); == compares contents, so frame ids compare as multisets and records as
// exact_accumulator's
// == does; serialize writes everything in canonical order (ids ascending, cells by name, records canonical),
// so any split of a stream merged in any order gives the same bytes.
//
// Payload (after the common header; dims T, K, A, S = number of slicings, B = bins (0 for exact states);
// the fingerprint is the caller's, stream_evaluator puts that of its parameters and slicings there):
//   u64 ground_truths, u64 detections, u64 n, n x i64 frame ids (ascending),
//   u64 size + a serialized accumulator (the pooled state, with its own header),
//   S times: u64 cells, then per cell (names strictly ascending): u64 name length, name bytes, u64 n,
//            n x i64 frame ids (ascending), u64 size + a serialized accumulator.
// Every nested accumulator must have the header's shape (T, K, A) and, for binned states, B bins.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/state.hpp"
#include "../detail/binary.hpp"
#include "accumulator.hpp"
#include "binned.hpp"
#include "serialize.hpp"

namespace stratum::coco {

namespace detail {
[[nodiscard]] inline bool is_identity(const exact_accumulator& a) noexcept {
  return a.dims() == acc_dims{} && a.categories().empty();
}
[[nodiscard]] inline bool is_identity(const binned_accumulator& a) noexcept {
  return a.bins() == 0;
}
[[nodiscard]] inline std::size_t bins_of(const exact_accumulator&) noexcept {
  return 0;
}
[[nodiscard]] inline std::size_t bins_of(const binned_accumulator& a) noexcept {
  return a.bins();
}
}  // namespace detail

/// The state of a stream over accumulators Acc: exact_accumulator (stream_state) or binned_accumulator
/// (binned_stream_state).
template <class Acc>
struct basic_stream_state {
  using accumulator = Acc;
  /// The same multiset of ids (the order frames arrived in does not matter).
  static bool same_ids(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) {
    if (a.size() != b.size()) return false;
    if (a == b) return true;
    auto x = a, y = b;
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    return x == y;
  }

  struct slice {
    std::vector<std::int64_t> frames;  // ids of the frames in the slice, arrival order
    Acc acc;
    /// Same multiset of frame ids, equal accumulators.
    friend bool operator==(const slice& a, const slice& b) {
      return a.acc == b.acc && same_ids(a.frames, b.frames);
    }
  };
  std::vector<std::int64_t> frames;  // ids of every frame added, arrival order
  std::uint64_t ground_truths = 0;   // objects read, including those of frames or categories not evaluated
  std::uint64_t detections = 0;
  Acc all;
  /// One map per slice_spec, slice name ("k1=v1&k2=v2") -> state; std::map keeps make_slices' name order.
  std::vector<std::map<std::string, slice, std::less<>>> slices;

  static constexpr state_kind kind =
      std::is_same_v<Acc, exact_accumulator> ? state_kind::coco_stream : state_kind::coco_stream_binned;
  static constexpr std::uint16_t format_version = 1;

  /// The default-constructed state: no shape, nothing added.
  [[nodiscard]] bool is_identity() const noexcept {
    return frames.empty() && ground_truths == 0 && detections == 0 && slices.empty() &&
           detail::is_identity(all);
  }

  /// Merges a state of the same shape (number of slicings, accumulator dimensions); the identity on either
  /// side is neutral and a += a doubles a. Throws usage_error on another shape.
  basic_stream_state& operator+=(const basic_stream_state& o) {
    if (&o == this) return *this += basic_stream_state(o);
    if (o.is_identity()) return *this;
    if (is_identity()) return *this = o;
    if (o.slices.size() != slices.size())
      throw usage_error("stream_state merge: the state has " + std::to_string(o.slices.size()) +
                        " slicings, this one " + std::to_string(slices.size()));
    if (!(o.all.dims() == all.dims()) || detail::bins_of(o.all) != detail::bins_of(all))
      throw usage_error("stream_state merge: the states have different shapes");
    for (const auto& cells : o.slices)
      for (const auto& [name, sl] : cells)
        if (!(sl.acc.dims() == all.dims()) || detail::bins_of(sl.acc) != detail::bins_of(all))
          throw usage_error("stream_state merge: slice '" + name + "' has another shape");
    frames.insert(frames.end(), o.frames.begin(), o.frames.end());
    ground_truths += o.ground_truths;
    detections += o.detections;
    all += o.all;
    for (std::size_t s = 0; s < slices.size(); ++s)
      for (const auto& [name, sl] : o.slices[s]) {
        auto it = slices[s].find(name);
        if (it == slices[s].end()) {
          slices[s].emplace(name, sl);
        } else {
          it->second.frames.insert(it->second.frames.end(), sl.frames.begin(), sl.frames.end());
          it->second.acc += sl.acc;
        }
      }
    return *this;
  }

  friend bool operator==(const basic_stream_state& a, const basic_stream_state& b) {
    return a.ground_truths == b.ground_truths && a.detections == b.detections && a.all == b.all &&
           a.slices == b.slices && same_ids(a.frames, b.frames);
  }

  /// The common wire format, with `fingerprint` in the header (0: none).
  [[nodiscard]] std::vector<std::byte> serialize(std::uint64_t fingerprint = 0) const {
    const auto& d = all.dims();
    if (d.T > 64 || d.K > 0xffffffffu || d.A > 0xffffffffu || slices.size() > 0xffffffffu)
      throw usage_error("stream_state::serialize: dimensions out of range");
    stratum::detail::byte_writer w;
    stratum::detail::begin_state(
        w, kind, format_version,
        {static_cast<std::uint32_t>(d.T), static_cast<std::uint32_t>(d.K), static_cast<std::uint32_t>(d.A),
         static_cast<std::uint32_t>(slices.size()), static_cast<std::uint32_t>(detail::bins_of(all))},
        fingerprint);
    w.u64(ground_truths);
    w.u64(detections);
    write_ids(w, frames);
    write_nested(w, all);
    for (const auto& cells : slices) {
      w.u64(cells.size());
      for (const auto& [name, sl] : cells) {
        w.u64(name.size());
        w.bytes(name.data(), name.size());
        write_ids(w, sl.frames);
        write_nested(w, sl.acc);
      }
    }
    return stratum::detail::finish_state(w);
  }

  /// The state back from serialize, whatever fingerprint it carries. Throws input_error naming the offset.
  [[nodiscard]] static basic_stream_state deserialize(std::span<const std::byte> bytes) {
    const auto h = stratum::detail::read_state_header(bytes.data(), bytes.size(), kind, format_version);
    return read_payload(bytes.data(), h);
  }
  /// The same, but the state must carry `fingerprint` (that of the reader's parameters and slicings).
  [[nodiscard]] static basic_stream_state deserialize(std::span<const std::byte> bytes,
                                                      std::uint64_t fingerprint) {
    return read_payload(bytes.data(), stratum::detail::read_state_header(
                                          bytes.data(), bytes.size(), kind, format_version, fingerprint,
                                          "this evaluation's", "parameters, categories or slicings"));
  }

 private:
  static void write_ids(stratum::detail::byte_writer& w, std::vector<std::int64_t> ids) {
    std::sort(ids.begin(), ids.end());
    w.u64(ids.size());
    for (auto v : ids) w.i64(v);
  }
  static void write_nested(stratum::detail::byte_writer& w, const Acc& acc) {
    const auto b = acc.serialize();
    w.u64(b.size());
    w.bytes(b.data(), b.size());
  }
  static std::vector<std::int64_t> read_ids(stratum::detail::byte_reader& r, const std::string& what) {
    const auto at = r.offset();
    const auto n = r.u64();
    r.need_array(n, 8, what);
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    for (auto& v : ids) v = r.i64();
    if (!std::is_sorted(ids.begin(), ids.end()))
      throw input_error("serialized state: " + what + " at offset " + std::to_string(at) +
                        " are not ascending");
    return ids;
  }
  static Acc read_nested(stratum::detail::byte_reader& r, const std::byte* base, const acc_dims& d,
                         std::size_t bins, const std::string& what) {
    const auto n = r.u64();
    const auto at = r.offset();
    r.need_array(n, 1, what);
    Acc acc;
    try {
      acc = Acc::deserialize(std::span<const std::byte>(base + at, static_cast<std::size_t>(n)));
    } catch (const input_error& e) {
      throw input_error("serialized state: " + what + ", nested at offset " + std::to_string(at) + ": " +
                        e.what());
    }
    if (!(acc.dims() == d))
      throw input_error("serialized state: " + what + " at offset " + std::to_string(at) + " has shape " +
                        detail::dims_string(acc.dims()) + ", the header says " + detail::dims_string(d));
    if (detail::bins_of(acc) != bins)
      throw input_error("serialized state: " + what + " at offset " + std::to_string(at) + " has " +
                        std::to_string(detail::bins_of(acc)) + " bins, the header says " +
                        std::to_string(bins));
    r.skip(static_cast<std::size_t>(n));
    return acc;
  }
  static basic_stream_state read_payload(const std::byte* p, const stratum::detail::state_header& h) {
    auto r = stratum::detail::payload_reader(p, h);
    const acc_dims d{h.dims[0], h.dims[1], h.dims[2]};
    const std::size_t S = h.dims[3], B = h.dims[4];
    if (std::is_same_v<Acc, exact_accumulator> && B != 0)
      throw input_error("serialized state: at offset 32: dimension 5 of an exact stream state must be 0");
    basic_stream_state s;
    s.ground_truths = r.u64();
    s.detections = r.u64();
    s.frames = read_ids(r, "frame ids");
    s.all = read_nested(r, p, d, B, "the pooled state");
    // every slicing takes at least 8 bytes
    r.need_array(S, 8, "the slicings");
    s.slices.resize(S);
    for (std::size_t k = 0; k < S; ++k) {
      const auto cells = r.u64();
      // a cell takes at least 8 + 8 + 8 + 64 bytes
      r.need_array(cells, 88, "slicing " + std::to_string(k) + ": " + std::to_string(cells) + " cells");
      std::string prev;
      for (std::uint64_t c = 0; c < cells; ++c) {
        const auto at = r.offset();
        const auto len = r.u64();
        r.need_array(len, 1, "a slice name");
        std::string name(static_cast<std::size_t>(len), '\0');
        for (auto& ch : name) ch = static_cast<char>(r.u8());
        if (c > 0 && !(prev < name))
          throw input_error("serialized state: slice name at offset " + std::to_string(at) +
                            " is not after the previous one");
        const std::string what = "slice '" + name + "'";
        slice sl;
        sl.frames = read_ids(r, what + " frame ids");
        sl.acc = read_nested(r, p, d, B, what);
        s.slices[k].emplace_hint(s.slices[k].end(), name, std::move(sl));
        prev = std::move(name);
      }
    }
    r.finish();
    if (d == acc_dims{} && S == 0 && B == 0 && !s.is_identity())
      throw input_error("serialized state: at offset 64: a state without a shape holds frames or counts");
    return s;
  }
};

/// The stream state over exact accumulators (kind 3).
using stream_state = basic_stream_state<exact_accumulator>;
/// The stream state over binned accumulators (kind 4): memory independent of the number of detections.
using binned_stream_state = basic_stream_state<binned_accumulator>;

}  // namespace stratum::coco
