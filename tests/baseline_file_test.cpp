// The baseline file (baseline/file.hpp): round trip, the same bytes when frozen twice, the frozen audit equal
// to the run's, the golden files of version 1 (no drift profile) and version 2 (with one), and refusal of
// every truncation (both versions), every bit flip (version 1; 3,000 random ones for version 2), a newer
// version, a wrong SHA-256, a corrupt creation time and a profile of other categories, each naming the
// offset.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <stratum/baseline/file.hpp>
#include <stratum/report/audit_json.hpp>

#include "wire.hpp"

using namespace stratum;
namespace fs = std::filesystem;

namespace {

const std::vector<coco::category_info> cats = {{1, "car"}, {3, "person"}, {7, "bus"}};

// 40 frames with two attributes; objects, matched and unmatched detections from a fixed seed.
std::vector<coco::frame> make_frames(std::uint64_t seed) {
  std::mt19937_64 g(seed);
  auto u = [&g](double lo, double hi) { return lo + (hi - lo) * static_cast<double>(g() >> 11) * 0x1p-53; };
  const char* weather[] = {"clear", "rain", "fog"};
  const char* tod[] = {"day", "night"};
  std::vector<coco::frame> out;
  std::int64_t ann = 1;
  for (int i = 0; i < 40; ++i) {
    coco::frame f;
    f.id = 100 + i;
    f.attrs = {{"weather", weather[g() % 3]}, {"timeofday", tod[g() % 2]}};
    f.provenance = (g() % 4 == 0) ? "synthetic" : "real";
    f.width = 640;
    f.height = 480;
    const int n = static_cast<int>(g() % 5);
    for (int j = 0; j < n; ++j) {
      const auto c = cats[g() % 3].id;
      const double x = u(0, 500), y = u(0, 400), w = u(10, 120), h = u(10, 70);
      f.gt.add(ann++, c, x, y, w, h, w * h, false);
      if (g() % 4 != 0) f.dt.add(c, x + u(-4, 4), y + u(-4, 4), w * u(0.9, 1.1), h * u(0.9, 1.1), u(0.3, 1));
    }
    for (int j = static_cast<int>(g() % 3); j > 0; --j)
      f.dt.add(cats[g() % 3].id, u(0, 500), u(0, 400), u(10, 100), u(10, 60), u(0, 0.7));
    out.push_back(std::move(f));
  }
  return out;
}

baseline::baseline_file frozen(std::int64_t created, std::uint64_t seed = 5, bool with_profile = false) {
  coco::params p;
  audit::audit_stream au(cats, p);
  for (const auto& f : make_frames(seed)) au.add(f);
  const std::vector<coco::slice_spec> specs = {{{"weather"}}, {{"weather", "timeofday"}}};
  audit::audit_options o;
  o.ious = {0.5, 0.75};
  o.thresholds.what = audit::threshold_policy::kind::chosen;
  o.thresholds.rule = audit::choice_rule::parse("f1");
  const auto r = au.finalize(specs, o);
  std::vector<baseline::input_file> in = {{"frames", "frames.jsonl", 12345, detail::sha256::of("x", 1)}};
  baseline::profile prof;
  if (with_profile) {
    const auto frames = make_frames(seed);
    prof = baseline::build_profile({1, 3, 7}, specs, [&](auto&& fn) {
      for (const auto& f : frames) fn(f);
    });
  }
  return baseline::freeze(au, p, r, specs, o, in, created, prof);
}

}  // namespace

TEST_CASE("baseline file: round trip; frozen twice, the same bytes but for the creation time") {
  const auto a = frozen(1'764'700'000), b = frozen(1'764'790'000);
  const auto ba = a.serialize(), bb = b.serialize();
  CHECK(baseline::baseline_file::deserialize(ba) == a);
  CHECK(baseline::baseline_file::deserialize(ba).serialize() == ba);
  REQUIRE(ba.size() == bb.size());
  std::size_t first_difference = ba.size();
  for (std::size_t i = 0; i < ba.size(); ++i)
    if (ba[i] != bb[i]) {
      first_difference = i;
      break;
    }
  CHECK(first_difference >= ba.size() - 16);  // the creation time and its checksum, nothing else
  CHECK(a.content_sha256() == b.content_sha256());
  CHECK(frozen(0).serialize() == frozen(0).serialize());
  CHECK(!(frozen(0, 6) == frozen(0)));
}

TEST_CASE("baseline file: the frozen audit is the run's, at every operating point") {
  coco::params p;
  audit::audit_stream au(cats, p);
  for (const auto& f : make_frames(5)) au.add(f);
  const std::vector<coco::slice_spec> specs = {{{"weather"}}, {{"weather", "timeofday"}}};
  const auto b = baseline::baseline_file::deserialize(frozen(0).serialize());
  for (std::size_t i = 0; i < 2; ++i) {
    audit::audit_options o;
    o.ious = {i == 0 ? 0.5 : 0.75};
    o.thresholds.what = audit::threshold_policy::kind::chosen;
    o.thresholds.rule = audit::choice_rule::parse("f1");
    const auto run = au.finalize(specs, o);
    const auto again = baseline::audit_of(b, i);
    REQUIRE(again.points.size() == 1);
    CHECK(again.points[0].thresholds == run.points[0].thresholds);
    const auto &x = again.points[0], &y = run.points[0];
    CHECK(x.all.all == y.all.all);
    CHECK(x.all.per_category == y.all.per_category);
    CHECK(x.all.all.tp > 0);
    REQUIRE(x.slices.size() == y.slices.size());
    for (std::size_t s = 0; s < x.slices.size(); ++s) {
      CHECK(x.slices[s].name == y.slices[s].name);
      CHECK(x.slices[s].counts.all == y.slices[s].counts.all);
      CHECK(x.slices[s].counts.per_category == y.slices[s].counts.per_category);
    }
  }
}

// The golden file of `fixed` (its version's): read back equal to it and written again byte for byte; with
// STRATUM_WRITE_GOLDEN=DIR written into DIR instead. Returns what was read (nothing when written).
std::optional<baseline::baseline_file> golden_file(const char* name, const baseline::baseline_file& fixed) {
  const fs::path golden = fs::path(STRATUM_TEST_DATA_DIR "/states") / name;
  if (const char* out = std::getenv("STRATUM_WRITE_GOLDEN")) {
    const auto b = fixed.serialize();
    std::ofstream(fs::path(out) / golden.filename(), std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return std::nullopt;
  }
  const auto bytes = stratum_test::read_file(golden);
  REQUIRE(!bytes.empty());
  CHECK(static_cast<int>(bytes[8]) == (fixed.drift.is_identity() ? 1 : 2));
  auto b = baseline::baseline_file::deserialize(bytes);
  CHECK(b.serialize() == bytes);
  auto same = fixed;
  same.writer = b.writer;  // the library version that wrote the golden file
  CHECK(b == same);
  return b;
}

TEST_CASE("baseline file: the version-1 golden file is read back and written again byte for byte") {
  (void)golden_file("baseline_file_v1.bin", frozen(1'764'700'000));
}

TEST_CASE("baseline file: the version-2 golden file (with a drift profile) is read back and written again") {
  const auto fixed = frozen(1'764'700'000, 5, true);
  REQUIRE(!fixed.drift.is_identity());
  const auto b = golden_file("baseline_file_v2.bin", fixed);
  if (!b) return;
  CHECK(b->drift.sets().at("all").frames == 40);
  // without the profile the same run is a version-1 file
  auto v1 = fixed;
  v1.drift = {};
  CHECK(static_cast<int>(v1.serialize()[8]) == 1);
  CHECK(v1.serialize() == frozen(1'764'700'000).serialize());
}

TEST_CASE("baseline file with a drift profile: every truncation and a sample of bit flips are refused") {
  const auto bytes = frozen(1'764'700'000, 5, true).serialize();
  std::mt19937_64 g(11);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("truncated to " << n << " bytes");
    CHECK_THROWS_AS((void)baseline::baseline_file::deserialize(std::span(bytes.data(), n)), input_error);
  }
  for (int k = 0; k < 3000; ++k) {
    auto b = bytes;
    const auto i = g() % b.size();
    b[i] ^= static_cast<std::byte>(1u << (g() % 8));
    try {
      (void)baseline::baseline_file::deserialize(b);
      FAIL("a flip in byte " << i << " was accepted");
    } catch (const input_error& e) {
      if (std::string(e.what()).find("offset") == std::string::npos) FAIL("no offset in: " << e.what());
    }
  }
  // a profile of other categories, sealed correctly, is refused
  auto other = frozen(1'764'700'000, 5, true);
  other.drift = baseline::profile({1, 3}, other.slicing);
  CHECK_THROWS_WITH_AS((void)baseline::baseline_file::deserialize(other.serialize()),
                       doctest::Contains("its categories or slicing are not the file's"), input_error);
}

TEST_CASE("baseline file: every truncation and every bit flip is refused, naming an offset") {
  const auto bytes = frozen(1'764'700'000).serialize();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("truncated to " << n << " bytes");
    CHECK_THROWS_AS((void)baseline::baseline_file::deserialize(std::span(bytes.data(), n)), input_error);
  }
  std::size_t refused = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto b = bytes;
      b[i] ^= static_cast<std::byte>(1u << bit);
      try {
        (void)baseline::baseline_file::deserialize(b);
        FAIL("a flip of bit " << bit << " of byte " << i << " was accepted");
      } catch (const input_error& e) {
        ++refused;
        if (std::string(e.what()).find("offset") == std::string::npos) FAIL("no offset in: " << e.what());
      }
    }
  CHECK(refused == 8 * bytes.size());
  auto longer = bytes;
  longer.push_back(std::byte{0});
  CHECK_THROWS_WITH_AS((void)baseline::baseline_file::deserialize(longer),
                       doctest::Contains("trailing bytes"), input_error);
}

TEST_CASE("baseline file: a newer version, another kind, a wrong SHA-256, a corrupt time are refused") {
  const auto b = frozen(1'764'700'000);
  const auto bytes = b.serialize();
  const std::size_t content = bytes.size() - baseline::baseline_file::trailer_size;
  SUBCASE("newer version") {
    std::vector<std::byte> c(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(content));
    c[8] = std::byte{3};
    c = stratum_test::reseal(c);
    const auto sha = detail::sha256::of(c);
    for (const auto x : sha) c.push_back(static_cast<std::byte>(x));
    c.insert(c.end(), bytes.end() - 16, bytes.end());
    CHECK_THROWS_WITH_AS(
        (void)baseline::baseline_file::deserialize(c),
        doctest::Contains("at offset 8: version 3 of a baseline file (kind 64) is not supported"),
        input_error);
  }
  SUBCASE("another kind: an audit stream state") {
    const auto s = b.audit.serialize();
    CHECK_THROWS_WITH_AS((void)baseline::baseline_file::deserialize(s),
                         doctest::Contains("holds an audit stream state (kind 49), expected a baseline file"),
                         input_error);
  }
  SUBCASE("SHA-256 changed") {
    auto c = bytes;
    c[content + 5] ^= std::byte{0x10};
    CHECK_THROWS_WITH_AS((void)baseline::baseline_file::deserialize(c),
                         doctest::Contains(("SHA-256 mismatch at offset " + std::to_string(content)).c_str()),
                         input_error);
  }
  SUBCASE("creation time changed") {
    auto c = bytes;
    c[content + 33] ^= std::byte{0x01};
    CHECK_THROWS_WITH_AS(
        (void)baseline::baseline_file::deserialize(c),
        doctest::Contains(("creation time at offset " + std::to_string(content + 40)).c_str()), input_error);
  }
  SUBCASE("content changed and resealed (FNV right, SHA-256 stale)") {
    std::vector<std::byte> c(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(content));
    c[64 + 10] ^= std::byte{0x01};  // a byte of the writer's version string
    c = stratum_test::reseal(c);
    c.insert(c.end(), bytes.begin() + static_cast<std::ptrdiff_t>(content), bytes.end());
    CHECK_THROWS_WITH_AS((void)baseline::baseline_file::deserialize(c), doctest::Contains("SHA-256 mismatch"),
                         input_error);
  }
}
