// What the property tests over the COCO conformance cases share: the list of cases (each a directory of
// tests/data/coco with gt.json, dt.json, params.json and pycocotools' expected.json) and the small seeded
// generator that draws their random splits, orders and datasets.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#ifndef STRATUM_TEST_DATA_DIR
#error "STRATUM_TEST_DATA_DIR (tests/data) is defined for every test by tests/CMakeLists.txt"
#endif

namespace stratum_test {

/// The conformance cases: the directories of tests/data/coco that hold an expected.json, sorted.
inline std::vector<std::filesystem::path> coco_case_dirs() {
  std::vector<std::filesystem::path> dirs;
  for (const auto& d : std::filesystem::directory_iterator(STRATUM_TEST_DATA_DIR "/coco"))
    if (std::filesystem::exists(d.path() / "expected.json")) dirs.push_back(d.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

/// splitmix64 (Steele, Lea, Flood 2014): a small, portable, seeded generator.
struct splitmix64 {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

}  // namespace stratum_test
