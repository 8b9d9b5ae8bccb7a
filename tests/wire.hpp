// Test helpers for the common wire format (docs/serialization.md): re-seal a deliberately edited state, so
// that the test reaches the payload checks behind the checksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <stratum/detail/binary.hpp>

namespace stratum_test {

/// Sets the payload size to what follows the header and recomputes the checksum, in place.
inline std::vector<std::byte> reseal(std::vector<std::byte> b) {
  namespace d = stratum::detail;
  auto put_u64 = [&b](std::size_t at, std::uint64_t v) {
    for (std::size_t i = 0; i < 8; ++i) b[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xffu);
  };
  put_u64(48, b.size() - d::state_header_size);
  const auto h = d::fnv1a64(b.data() + d::state_header_size, b.size() - d::state_header_size,
                            d::fnv1a64(b.data(), d::state_checksum_offset));
  put_u64(d::state_checksum_offset, h);
  return b;
}

/// The bytes of a file (empty when it cannot be read).
inline std::vector<std::byte> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  const std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> b(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) b[i] = static_cast<std::byte>(c[i]);
  return b;
}

}  // namespace stratum_test
