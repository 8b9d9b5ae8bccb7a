// Golden files of the wire format (docs/serialization.md): tests/data/states/<kind name>_v<version>.bin holds
// the serialized form of a fixed state (state_types.hpp, items drawn from seed 42) in that payload version.
//   - Every golden file of every version this build knows is read back and equals the fixed state (as that
//     version holds it, where an older version cannot hold all of it: state_traits::as_version): a reader
//     for each old version is kept.
//   - The current version's file equals what this build writes, but for the writer's library version and the
//     checksum over it: changing a layout fails here until the kind takes a new version number (and a reader
//     for the old one), and its new golden file is committed.
// STRATUM_WRITE_GOLDEN=DIR writes the current version's files into DIR instead of checking them.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "state_types.hpp"
#include "wire.hpp"

using namespace stratum_test;
namespace fs = std::filesystem;

namespace {

// The bytes without the writer's version (offset 36) and the checksum (offset 56), which covers it.
std::vector<std::byte> masked(std::vector<std::byte> b) {
  namespace d = stratum::detail;
  for (std::size_t i = d::state_writer_offset; i < d::state_writer_offset + 4 && i < b.size(); ++i)
    b[i] = std::byte{0};
  for (std::size_t i = d::state_checksum_offset; i < d::state_header_size && i < b.size(); ++i)
    b[i] = std::byte{0};
  return b;
}

}  // namespace

TEST_CASE_TEMPLATE("golden files of every kind and version are read back", S, STRATUM_STATE_TYPES) {
  using T = state_traits<S>;
  const std::string name = T::name;
  INFO("state ", name);
  rng r{42};
  std::vector<typename T::item> items;
  for (int i = 0; i < 25; ++i) items.push_back(T::draw(r));
  const S fixed = T::make(items);
  const fs::path dir = STRATUM_TEST_DATA_DIR "/states";
  const auto file = [&](int v) { return dir / (name + "_v" + std::to_string(v) + ".bin"); };

  if (const char* out = std::getenv("STRATUM_WRITE_GOLDEN")) {
    const auto b = fixed.serialize();
    std::ofstream(fs::path(out) / file(S::format_version).filename(), std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return;
  }
  REQUIRE_MESSAGE(fs::exists(file(1)), "missing golden file " << file(1).string());
  for (int v = 1; v <= S::format_version; ++v) {
    CAPTURE(v);
    REQUIRE_MESSAGE(fs::exists(file(v)), "missing golden file " << file(v).string());
    const auto golden = read_file(file(v));
    CHECK(stratum::detail::read_state_header(golden.data(), golden.size(), S::kind, S::format_version)
              .version == v);
    if constexpr (requires { T::as_version(v, items); })
      CHECK(S::deserialize(golden) == T::as_version(v, items));
    else
      CHECK(S::deserialize(golden) == fixed);
    if (v == S::format_version) CHECK(masked(fixed.serialize()) == masked(golden));
  }
}
