// Test helpers for the common wire format (docs/serialization.md): re-seal a deliberately edited state, so
// that the test reaches the payload checks behind the checksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <stratum/detail/binary.hpp>

namespace stratum_test {

/// Sets the payload size to what follows the header and recomputes the checksum.
inline std::vector<std::byte> reseal(std::vector<std::byte> b) {
  namespace d = stratum::detail;
  d::byte_writer w;
  w.bytes(b.data(), b.size());
  w.patch_u64(48, b.size() - d::state_header_size);
  std::uint64_t h = d::fnv1a64(w.data(), d::state_checksum_offset);
  h = d::fnv1a64(w.data() + d::state_header_size, b.size() - d::state_header_size, h);
  w.patch_u64(d::state_checksum_offset, h);
  return w.take();
}

}  // namespace stratum_test
