// The one wire format of every serialized state: little-endian fixed-width encoding, a bounds-checked reader,
// the FNV-1a 64 checksum and the common 64-byte state header. Described in docs/serialization.md.
//
// Every value is written byte by byte with shifts, so the encoding is little-endian whatever the host's byte
// order; doubles travel as the little-endian bytes of their IEEE-754 binary64 bit pattern (std::bit_cast), so
// a round trip keeps every bit (signed zeros, subnormals).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/state.hpp"
#include "../version.hpp"

namespace stratum::detail {

/// FNV-1a, 64-bit (Fowler, Noll, Vo; IETF draft-eastlake-fnv): h = 0xcbf29ce484222325, then for every byte
/// h = (h xor byte) * 0x100000001b3 mod 2^64. Pass the previous result as `h` to hash several pieces as one.
/// Since the multiplier is odd, each step is a bijection of h: two inputs of equal length that differ in
/// exactly one byte always hash differently, so every single-byte corruption is detected.
inline constexpr std::uint64_t fnv1a64_offset = 0xcbf29ce484222325ull;
inline constexpr std::uint64_t fnv1a64_prime = 0x100000001b3ull;

[[nodiscard]] inline std::uint64_t fnv1a64(const std::byte* p, std::size_t n,
                                           std::uint64_t h = fnv1a64_offset) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<std::uint64_t>(p[i]);
    h *= fnv1a64_prime;
  }
  return h;
}

inline std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

/// Appends little-endian fixed-width values to a byte vector.
class byte_writer {
 public:
  void u8(std::uint8_t v) { buf_.push_back(static_cast<std::byte>(v)); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v), 8); }
  void f64(double v) { put(std::bit_cast<std::uint64_t>(v), 8); }
  void bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  /// Overwrites 8 bytes at `offset` (which must already be written).
  void patch_u64(std::size_t offset, std::uint64_t v) noexcept {
    for (std::size_t i = 0; i < 8; ++i) buf_[offset + i] = static_cast<std::byte>((v >> (8 * i)) & 0xffu);
  }
  void reserve(std::size_t n) { buf_.reserve(n); }
  [[nodiscard]] std::size_t size() const noexcept { return buf_.size(); }
  [[nodiscard]] const std::byte* data() const noexcept { return buf_.data(); }
  [[nodiscard]] std::vector<std::byte> take() noexcept { return std::move(buf_); }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) buf_.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xffu));
  }
  std::vector<std::byte> buf_;
};

/// Reads little-endian fixed-width values from [p, p + n); every read is bounds-checked and a short buffer
/// throws input_error("serialized state: truncated: need 8 bytes at offset 120, have 3"). Offsets in messages
/// count from the start of the whole serialized state (`base` is the offset of p in it).
class byte_reader {
 public:
  byte_reader(const std::byte* p, std::size_t n, std::size_t base = 0) noexcept : p_(p), n_(n), base_(base) {}

  [[nodiscard]] std::size_t offset() const noexcept { return base_ + pos_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return n_ - pos_; }

  /// Throws unless `bytes` more bytes are available.
  void need(std::size_t bytes) const {
    if (bytes > remaining())
      throw input_error("serialized state: truncated: need " + std::to_string(bytes) + " bytes at offset " +
                        std::to_string(offset()) + ", have " + std::to_string(remaining()));
  }
  /// Throws unless `count` elements of `size` bytes each are available (no overflow in count * size).
  void need_array(std::uint64_t count, std::size_t size, const std::string& what) const {
    if (size != 0 && count > remaining() / size)
      throw input_error("serialized state: truncated: " + what + " needs " + std::to_string(count) + " x " +
                        std::to_string(size) + " bytes at offset " + std::to_string(offset()) + ", have " +
                        std::to_string(remaining()));
  }

  [[nodiscard]] std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(p_[pos_++]);
  }
  [[nodiscard]] std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  [[nodiscard]] std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  [[nodiscard]] std::uint64_t u64() { return get(8); }
  [[nodiscard]] std::int64_t i64() { return static_cast<std::int64_t>(get(8)); }
  [[nodiscard]] double f64() { return std::bit_cast<double>(get(8)); }

  /// Steps over n bytes (throws unless they are there).
  void skip(std::size_t n) {
    need(n);
    pos_ += n;
  }

  /// Throws input_error("serialized state: <what> at offset <offset()>").
  [[noreturn]] void fail(const std::string& what) const {
    throw input_error("serialized state: " + what + " at offset " + std::to_string(offset()));
  }
  /// Throws unless every byte was read.
  void finish() const {
    if (remaining() != 0)
      throw input_error("serialized state: " + std::to_string(remaining()) +
                        " unexpected bytes at the end of the payload, offset " + std::to_string(offset()));
  }

 private:
  std::uint64_t get(int n) {
    need(static_cast<std::size_t>(n));
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= static_cast<std::uint64_t>(p_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  const std::byte* p_;
  std::size_t n_, pos_ = 0, base_;
};

// ---- the common header of every serialized state
// ------------------------------------------------------------
//
//  offset size field
//     0    8  magic 89 53 54 4d 0d 0a 1a 0a ("\x89STM\r\n\x1a\n": non-ASCII first byte, CR LF, ^Z, LF, so
//             text-mode and 7-bit transfers corrupt it visibly)
//     8    2  version of the kind's payload layout (each kind numbers its own, from 1)
//    10    2  kind (stratum::state_kind)
//    12    4  header size, 64
//    16   20  five u32 dimensions, meaning per kind (unused ones 0)
//    36    4  writer: STRATUM_VERSION_NUMBER of the library that wrote it (informational, any value read)
//    40    8  parameter fingerprint (0 = none)
//    48    8  payload size in bytes
//    56    8  FNV-1a 64 of bytes [0, 56) followed by the payload
//    64       payload

inline constexpr std::array<unsigned char, 8> state_magic = {0x89, 'S', 'T', 'M', '\r', '\n', 0x1a, '\n'};
inline constexpr std::size_t state_header_size = 64;
inline constexpr std::size_t state_writer_offset = 36;
inline constexpr std::size_t state_checksum_offset = 56;

using ::stratum::state_kind;
using ::stratum::state_kind_name;

struct state_header {
  std::uint16_t version = 1;
  state_kind kind{};
  std::array<std::uint32_t, 5> dims{};
  std::uint32_t writer = 0;
  std::uint64_t fingerprint = 0, payload_size = 0, checksum = 0;
};

/// Starts a state of layout `version`: writes the header with a zero payload size and checksum (finish_state
/// fills them).
inline void begin_state(byte_writer& w, state_kind kind, std::uint16_t version,
                        const std::array<std::uint32_t, 5>& dims, std::uint64_t fingerprint) {
  w.bytes(state_magic.data(), state_magic.size());
  w.u16(version);
  w.u16(static_cast<std::uint16_t>(kind));
  w.u32(static_cast<std::uint32_t>(state_header_size));
  for (auto d : dims) w.u32(d);
  w.u32(static_cast<std::uint32_t>(STRATUM_VERSION_NUMBER));
  w.u64(fingerprint);
  w.u64(0);
  w.u64(0);
}

/// Completes a state begun with begin_state once its payload is written.
inline std::vector<std::byte> finish_state(byte_writer& w) {
  const auto payload = w.size() - state_header_size;
  w.patch_u64(48, payload);
  std::uint64_t h = fnv1a64(w.data(), state_checksum_offset);
  h = fnv1a64(w.data() + state_header_size, payload, h);
  w.patch_u64(state_checksum_offset, h);
  return w.take();
}

/// Checks the header of [p, p + n) -- magic, kind, version (1 .. newest_version), header size, payload size
/// against n, checksum -- and returns it. Throws input_error naming the first problem found and its offset.
[[nodiscard]] inline state_header read_state_header(const std::byte* p, std::size_t n, state_kind expected,
                                                    std::uint16_t newest_version = 1) {
  if (p == nullptr && n != 0) throw usage_error("serialized state: null pointer with a non-zero size");
  byte_reader r(p, n);
  r.need(state_magic.size());
  for (std::size_t i = 0; i < state_magic.size(); ++i)
    if (static_cast<unsigned char>(p[i]) != state_magic[i])
      throw input_error("serialized state: bad magic bytes at offset " + std::to_string(i) +
                        ": not a stratum serialized state");
  for (std::size_t i = 0; i < state_magic.size(); ++i) (void)r.u8();
  r.need(state_header_size - state_magic.size());
  state_header h;
  h.version = r.u16();
  const auto kind = r.u16();
  if (kind != static_cast<std::uint16_t>(expected))
    throw input_error("serialized state: at offset 10: holds " + state_kind_name(kind) + ", expected " +
                      state_kind_name(expected));
  h.kind = expected;
  if (h.version == 0 || h.version > newest_version)
    throw input_error("serialized state: at offset 8: version " + std::to_string(h.version) + " of " +
                      state_kind_name(expected) + " is not supported (this build reads versions 1 to " +
                      std::to_string(newest_version) + ")");
  const auto hsize = r.u32();
  if (hsize != state_header_size)
    throw input_error("serialized state: at offset 12: header size " + std::to_string(hsize) + ", expected " +
                      std::to_string(state_header_size));
  for (auto& d : h.dims) d = r.u32();
  h.writer = r.u32();
  h.fingerprint = r.u64();
  h.payload_size = r.u64();
  h.checksum = r.u64();
  if (h.payload_size > r.remaining())
    throw input_error("serialized state: truncated: need " + std::to_string(h.payload_size) +
                      " bytes of payload at offset " + std::to_string(state_header_size) + ", have " +
                      std::to_string(r.remaining()) + " (payload size at offset 48)");
  if (h.payload_size < r.remaining())
    throw input_error("serialized state: " + std::to_string(r.remaining() - h.payload_size) +
                      " trailing bytes after the payload at offset " +
                      std::to_string(state_header_size + h.payload_size) + " (payload size " +
                      std::to_string(h.payload_size) + ", total size " + std::to_string(n) + ")");
  std::uint64_t sum = fnv1a64(p, state_checksum_offset);
  sum = fnv1a64(p + state_header_size, static_cast<std::size_t>(h.payload_size), sum);
  if (sum != h.checksum)
    throw input_error("serialized state: checksum mismatch at offset 56 (stored " + hex64(h.checksum) +
                      ", computed " + hex64(sum) + " over offsets 0-55 and 64-" + std::to_string(n - 1) +
                      "): the data is corrupt");
  return h;
}

/// read_state_header, and the header must carry `fingerprint`: input_error naming both, `whose` fingerprint
/// was expected ("this audit's") and what differs ("the state was accumulated with other <what>") otherwise.
[[nodiscard]] inline state_header read_state_header(const std::byte* p, std::size_t n, state_kind expected,
                                                    std::uint16_t newest_version, std::uint64_t fingerprint,
                                                    const char* whose, const char* what) {
  const auto h = read_state_header(p, n, expected, newest_version);
  if (h.fingerprint != fingerprint)
    throw input_error("serialized state: at offset 40: fingerprint " + hex64(h.fingerprint) +
                      " does not match " + whose + " (" + hex64(fingerprint) +
                      "): the state was accumulated with other " + what);
  return h;
}

/// A reader over the payload of a state whose header `h` was read from [p, ...): offsets in its messages
/// count from the start of the state.
[[nodiscard]] inline byte_reader payload_reader(const std::byte* p, const state_header& h) noexcept {
  return byte_reader(p + state_header_size, static_cast<std::size_t>(h.payload_size), state_header_size);
}

/// A string of the wire format: u64 length, then its bytes.
inline void put_string(byte_writer& w, const std::string& s) {
  w.u64(s.size());
  w.bytes(s.data(), s.size());
}
/// The string put_string wrote; `what` names it in the message when the bytes are short.
[[nodiscard]] inline std::string get_string(byte_reader& r, const char* what) {
  const auto n = r.u64();
  r.need_array(n, 1, what);
  std::string s(static_cast<std::size_t>(n), '\0');
  for (auto& c : s) c = static_cast<char>(r.u8());
  return s;
}

/// a * b, or throws input_error(what) when it does not fit in size_t.
[[nodiscard]] inline std::size_t checked_mul(std::size_t a, std::size_t b, const char* what) {
  if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a)
    throw input_error(std::string("serialized state: ") + what + " overflows");
  return a * b;
}

}  // namespace stratum::detail
