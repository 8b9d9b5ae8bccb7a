// Serialized COCO states (coco/serialize.hpp, coco/binned.hpp, detail/binary.hpp): the byte layout documented
// in docs/serialization.md, round trips on every conformance case, and rejection of every truncation, every
// single-bit flip, and crafted states that pass the checksum but break an invariant -- each with an
// input_error that says what is wrong.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <stratum/coco/binned.hpp>
#include <stratum/coco/evaluator.hpp>
#include <stratum/coco/serialize.hpp>
#include <stratum/io/coco_json.hpp>

#include "coco_cases.hpp"

namespace fs = std::filesystem;
using namespace stratum;
using stratum_test::coco_case_dirs;
using bytes_t = std::vector<std::byte>;

namespace {

// --- an independent little-endian writer and FNV-1a, written from the format description -------------------
void le(bytes_t& b, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
}
void le_f64(bytes_t& b, double v) {
  le(b, std::bit_cast<std::uint64_t>(v), 8);
}
std::uint64_t get_le(const bytes_t& b, std::size_t off, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i)
    v |= static_cast<std::uint64_t>(b[off + static_cast<std::size_t>(i)]) << (8 * i);
  return v;
}
void put_le(bytes_t& b, std::size_t off, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i)
    b[off + static_cast<std::size_t>(i)] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}
std::uint64_t fnv(const std::byte* p, std::size_t n, std::uint64_t h = 14695981039346656037ull) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ std::to_integer<std::uint64_t>(p[i])) * 1099511628211ull;
  return h;
}
// Recomputes payload size and checksum after an edit, so that the edit reaches the checks behind them.
void reseal(bytes_t& b) {
  put_le(b, 48, b.size() - 64, 8);
  put_le(b, 56, fnv(b.data() + 64, b.size() - 64, fnv(b.data(), 56)), 8);
}

bytes_t header(std::uint16_t kind, std::array<std::uint32_t, 5> dims, std::uint64_t fingerprint) {
  bytes_t b;
  for (unsigned c : {0x89u, 0x53u, 0x54u, 0x4du, 0x0du, 0x0au, 0x1au, 0x0au})
    b.push_back(static_cast<std::byte>(c));
  le(b, 1, 2);
  le(b, kind, 2);
  le(b, 64, 4);
  for (auto d : dims) le(b, d, 4);
  le(b, STRATUM_VERSION_NUMBER, 4);  // the writer's library version
  le(b, fingerprint, 8);
  le(b, 0, 8);
  le(b, 0, 8);
  return b;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const input_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG EXCEPTION TYPE: ") + e.what();
  }
  return "NO ERROR";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

struct loaded {
  coco::resolved_params p;
  coco::exact_accumulator acc;
};
loaded load(const fs::path& dir) {
  const auto gt = io::load_coco_ground_truth((dir / "gt.json").string());
  const auto dt = io::load_coco_results((dir / "dt.json").string(), gt);
  loaded l;
  l.p = coco::resolve_params(gt, io::load_coco_params((dir / "params.json").string()));
  l.acc = coco::accumulate(gt, dt, l.p);
  return l;
}

// A small exact state: T = 2, K = 2, A = 1.
coco::exact_accumulator small_exact() {
  coco::exact_accumulator acc({2, 2, 1});
  const std::uint64_t t1 = 1, f0 = 0, t0 = 0, f2 = 2;
  acc.add_ground_truths(0, 0, 3);
  acc.add_detection(0, 0.75, 42, 0, &t1, &f0);
  acc.add_detection(0, 0.5, -7, 1, &t0, &f2);
  return acc;
}

coco::params small_raw_params() {
  coco::params p;
  p.cat_ids = {3, 9};
  p.iou_thrs = {0.5, 0.75};
  p.max_dets = {2, 5};
  p.area_rngs = {{0, 1e10, "all"}, {0, 1024, "small"}};
  return p;
}
coco::resolved_params small_params() {
  return coco::resolve_params(small_raw_params());
}

// A small binned state: T = 2, K = 2, A = 2, M = 2, B = 4.
coco::binned_accumulator small_binned() {
  coco::binned_accumulator acc(small_params(), 4);
  const std::uint64_t tp[2] = {3, 1}, fp[2] = {0, 2}, none[2] = {0, 0};
  acc.add_ground_truths(0, 0, 2);
  acc.add_ground_truths(1, 1, 5);
  acc.add_detection(0, 0.9, 1, 0, tp, fp);
  acc.add_detection(0, 0.3, 1, 3, fp, tp);
  acc.add_detection(1, 1.0, 2, 1, none, none);
  return acc;
}

}  // namespace

TEST_CASE("FNV-1a 64 matches the published test vectors") {
  auto h = [](const char* s) {
    return detail::fnv1a64(reinterpret_cast<const std::byte*>(s), std::strlen(s));
  };
  CHECK(h("") == 0xcbf29ce484222325ull);
  CHECK(h("a") == 0xaf63dc4c8601ec8cull);
  CHECK(h("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("exact state: byte layout as documented") {
  const auto got = coco::serialize(small_exact());
  bytes_t want = header(1, {2, 2, 1, 0, 0}, 0);
  // category 0: n, npig, then in canonical order (image, rank ascending: image -7 first) scores, images,
  // ranks, tp, fp
  le(want, 2, 8);
  le(want, 3, 8);
  le_f64(want, 0.5);
  le_f64(want, 0.75);
  le(want, static_cast<std::uint64_t>(std::int64_t{-7}), 8);
  le(want, 42, 8);
  le(want, 1, 4);
  le(want, 0, 4);
  le(want, 0, 8);
  le(want, 1, 8);
  le(want, 2, 8);
  le(want, 0, 8);
  // category 1: empty
  le(want, 0, 8);
  le(want, 0, 8);
  reseal(want);
  REQUIRE(got.size() == want.size());
  CHECK(got == want);
  // a few fields spelled out: the second score 0.75 = 0x3fe8000000000000, little-endian
  const std::size_t score1 = 64 + 16 + 8;
  CHECK(got[score1 + 6] == std::byte{0xe8});
  CHECK(got[score1 + 7] == std::byte{0x3f});
  CHECK(get_le(got, 48, 8) == got.size() - 64);
}

TEST_CASE("binned state: byte layout as documented") {
  const auto acc = small_binned();
  const auto got = coco::serialize(acc);
  bytes_t want = header(2, {2, 2, 2, 2, 4}, coco::params_fingerprint(small_params()));
  le(want, 2, 8);  // max_dets
  le(want, 5, 8);
  for (std::uint64_t v : {2, 0, 0, 5}) le(want, v, 8);  // npig [k][a]
  le(want, 3, 8);                                       // cells
  // cell (k=0, m=0, b=3): 0.9, rank 0; a=0: tp bits 3 -> t0, t1; a=1: tp bit 1 (t0), fp bit 2 (t1)
  le(want, (0 * 2 + 0) * 4 + 3, 8);
  le(want, 1, 8);
  for (std::uint64_t v : {1, 0, 1, 0, 1, 0, 0, 1}) le(want, v, 8);
  // cell (k=0, m=1, b=1): 0.3, rank 3 (level 1: 2 <= 3 < 5); tp and fp swapped
  le(want, (0 * 2 + 1) * 4 + 1, 8);
  le(want, 1, 8);
  for (std::uint64_t v : {0, 1, 0, 1, 0, 1, 1, 0}) le(want, v, 8);
  // cell (k=1, m=0, b=3): 1.0 (last bin), rank 1, ignored everywhere
  le(want, (1 * 2 + 0) * 4 + 3, 8);
  le(want, 1, 8);
  for (int i = 0; i < 8; ++i) le(want, 0, 8);
  reseal(want);
  CHECK(got == want);
}

TEST_CASE("exact state: round trip on every conformance case") {
  const auto dirs = coco_case_dirs();
  REQUIRE(dirs.size() >= 11);
  for (const auto& dir : dirs) {
    const auto l = load(dir);
    const std::string name = dir.filename().string();
    const auto b = coco::serialize(l.acc, l.p);
    CHECK_MESSAGE(get_le(b, 40, 8) == coco::params_fingerprint(l.p), name);
    const auto back = coco::deserialize_exact(b, l.p);
    CHECK_MESSAGE(back == l.acc, name);
    CHECK_MESSAGE(coco::serialize(back, l.p) == b, name);
    CHECK_MESSAGE(coco::deserialize_exact(b) == l.acc, name);  // without parameters: no check, same state
    const auto e1 = l.acc.finalize(l.p), e2 = back.finalize(l.p);
    CHECK_MESSAGE((e1.precision == e2.precision && e1.recall == e2.recall && e1.scores == e2.scores), name);
    // binned, too
    coco::binned_accumulator bn(l.p, 64);
    bn.add(l.acc);
    const auto bb = coco::serialize(bn);
    const auto bback = coco::deserialize_binned(bb, l.p);
    CHECK_MESSAGE(bback == bn, name);
    CHECK_MESSAGE(coco::serialize(bback) == bb, name);
  }
  // the empty default states
  CHECK(coco::deserialize_exact(coco::serialize(coco::exact_accumulator{})) == coco::exact_accumulator{});
  CHECK(coco::deserialize_binned(coco::serialize(coco::binned_accumulator{})) == coco::binned_accumulator{});
  CHECK(coco::deserialize_binned(coco::serialize(coco::binned_accumulator{}), small_params()) ==
        coco::binned_accumulator{});
  CHECK(coco::serialize(coco::binned_accumulator{}).size() == 64);
}

TEST_CASE("every truncation is rejected with a message saying so") {
  for (const auto& b : {coco::serialize(small_exact()), coco::serialize(small_binned())}) {
    const bool exact = get_le(b, 10, 2) == 1;
    for (std::size_t n = 0; n < b.size(); ++n) {
      const auto msg = error_of([&] {
        if (exact)
          (void)coco::deserialize_exact(b.data(), n);
        else
          (void)coco::deserialize_binned(b.data(), n);
      });
      CHECK_MESSAGE(contains(msg, "serialized state: truncated: need "), "length " << n << ": " << msg);
    }
  }
  CHECK(error_of([] { (void)coco::deserialize_exact(nullptr, 0); }) ==
        "serialized state: truncated: need 8 bytes at offset 0, have 0");
  const auto b = coco::serialize(small_exact());
  CHECK(error_of([&] { (void)coco::deserialize_exact(b.data(), 20); }) ==
        "serialized state: truncated: need 56 bytes at offset 8, have 12");
  CHECK(error_of([&] { (void)coco::deserialize_exact(b.data(), b.size() - 3); }) ==
        "serialized state: truncated: need " + std::to_string(b.size() - 64) +
            " bytes of payload at offset 64, have " + std::to_string(b.size() - 67) +
            " (payload size at offset 48)");
}

TEST_CASE("every single-bit flip is rejected") {
  std::size_t flips = 0;
  for (const auto& b : {coco::serialize(small_exact()), coco::serialize(small_binned())}) {
    const bool exact = get_le(b, 10, 2) == 1;
    for (std::size_t i = 0; i < b.size(); ++i)
      for (int bit = 0; bit < 8; ++bit) {
        auto c = b;
        c[i] ^= static_cast<std::byte>(1 << bit);
        const auto msg = error_of([&] {
          if (exact)
            (void)coco::deserialize_exact(c.data(), c.size());
          else
            (void)coco::deserialize_binned(c.data(), c.size());
        });
        CHECK_MESSAGE(contains(msg, "serialized state: "), "byte " << i << " bit " << bit << ": " << msg);
        ++flips;
      }
  }
  // and random byte changes in a real state
  const auto l = load(STRATUM_TEST_DATA_DIR "/coco/basic");
  const auto b = coco::serialize(l.acc, l.p);
  std::uint64_t s = 12345;
  for (int rep = 0; rep < 300; ++rep) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    const auto i = static_cast<std::size_t>((s >> 20) % b.size());
    const auto delta = static_cast<std::byte>(1 + (s >> 8) % 255);
    auto c = b;
    c[i] ^= delta;
    const auto msg = error_of([&] { (void)coco::deserialize_exact(c, l.p); });
    CHECK_MESSAGE(contains(msg, "serialized state: "), "byte " << i << ": " << msg);
  }
  MESSAGE(flips << " single-bit flips and 300 random byte changes rejected");
}

TEST_CASE("wrong magic, version, kind, sizes and checksum get their own message") {
  const auto good = coco::serialize(small_exact());
  auto b = good;
  b[1] = std::byte{'X'};
  CHECK(error_of([&] { (void)coco::deserialize_exact(b); }) ==
        "serialized state: bad magic bytes at offset 1: not a stratum serialized state");
  b = good;
  put_le(b, 8, 2, 2);
  reseal(b);
  CHECK(
      error_of([&] { (void)coco::deserialize_exact(b); }) ==
      "serialized state: at offset 8: version 2 of a COCO exact accumulator (kind 1) is not supported (this "
      "build reads versions 1 to 1)");
  CHECK(error_of([&] { (void)coco::deserialize_binned(good); }) ==
        "serialized state: at offset 10: holds a COCO exact accumulator (kind 1), expected a COCO binned "
        "accumulator (kind 2)");
  CHECK(error_of([&] { (void)coco::deserialize_exact(coco::serialize(small_binned())); }) ==
        "serialized state: at offset 10: holds a COCO binned accumulator (kind 2), expected a COCO exact "
        "accumulator (kind 1)");
  b = good;
  put_le(b, 10, 9, 2);
  CHECK(contains(error_of([&] { (void)coco::deserialize_exact(b); }), "unknown kind of state (kind 9)"));
  b = good;
  put_le(b, 12, 80, 4);
  CHECK(contains(error_of([&] { (void)coco::deserialize_exact(b); }), "header size 80, expected 64"));
  b = good;
  put_le(b, 36, 5, 4);  // the writer's version is informational: any value is read, under the checksum
  reseal(b);
  CHECK(error_of([&] { (void)coco::deserialize_exact(b); }) == "NO ERROR");
  b = good;
  b.push_back(std::byte{0});
  CHECK(contains(error_of([&] { (void)coco::deserialize_exact(b); }),
                 "1 trailing bytes after the payload at offset " + std::to_string(good.size())));
  b = good;
  b[70] ^= std::byte{1};
  CHECK(contains(error_of([&] { (void)coco::deserialize_exact(b); }), "checksum mismatch"));
  b = good;
  b[60] ^= std::byte{1};
  CHECK(contains(error_of([&] { (void)coco::deserialize_exact(b); }), "checksum mismatch"));
}

TEST_CASE("parameter fingerprints") {
  const auto p = small_params();
  coco::exact_accumulator acc({2, 2, 2});
  const std::uint64_t tp[2] = {1, 3}, fp[2] = {2, 0};
  acc.add_ground_truths(1, 0, 4);
  acc.add_detection(1, 0.25, 5, 0, tp, fp);
  const auto with = coco::serialize(acc, p);
  CHECK(coco::deserialize_exact(with, p) == acc);
  // without a fingerprint, a check against parameters is impossible
  CHECK(contains(error_of([&] { (void)coco::deserialize_exact(coco::serialize(acc), p); }),
                 "carries no parameter fingerprint"));
  // any field of the fingerprint changes it
  std::vector<coco::params> raw(7, *p);
  raw[0].iou_thrs[1] = 0.7;
  raw[1].area_rngs[1].hi = 1025;
  raw[2].area_rngs[1].label = "tiny";
  raw[3].max_dets = {2, 6};
  raw[4].use_cats = false;
  raw[5].cat_ids = {3, 10};
  raw[6].cat_ids = {3};
  std::vector<coco::resolved_params> others;
  for (auto& r : raw) others.push_back(coco::resolve_params(r));
  for (std::size_t i = 0; i < others.size(); ++i) {
    CHECK_MESSAGE(coco::params_fingerprint(others[i]) != coco::params_fingerprint(p), "variant " << i);
    CHECK_MESSAGE(contains(error_of([&] { (void)coco::deserialize_exact(with, others[i]); }),
                           "does not match the given parameters"),
                  "variant " << i);
  }
  // resolution sorts the ids: the same categories in another order are the same parameters
  auto reordered = *p;
  reordered.cat_ids = {9, 3, 9};
  CHECK(coco::params_fingerprint(coco::resolve_params(reordered)) == coco::params_fingerprint(p));
  // rec_thrs and img_ids are not part of it
  auto same = *p;
  same.rec_thrs = {0.0, 1.0};
  same.img_ids = {1, 2, 3};
  CHECK(coco::params_fingerprint(coco::resolve_params(same)) == coco::params_fingerprint(p));
  CHECK(coco::params_fingerprint(p.with_images({4, 5})) == coco::params_fingerprint(p));
  // shape against parameters
  auto wide = *p;
  wide.cat_ids = {1, 2, 3};
  CHECK_THROWS_AS((void)coco::serialize(acc, coco::resolve_params(wide)), usage_error);
  // unresolved parameters are refused
  CHECK_THROWS_WITH_AS((void)coco::serialize(acc, coco::resolved_params{}), doctest::Contains("not resolved"),
                       usage_error);
  // binned
  const auto bb = coco::serialize(small_binned());
  CHECK(contains(error_of([&] { (void)coco::deserialize_binned(bb, others[0]); }),
                 "does not match the given parameters"));
}

TEST_CASE("crafted exact states that pass the checksum are still checked") {
  const auto good = coco::serialize(small_exact());
  // offsets in the small state: category 0 starts at 64 (n), npig at 72, scores at 80, images at 96,
  // ranks at 112, tp at 120, fp at 136, category 1 at 152
  auto edit = [&](std::size_t off, std::uint64_t v, int n) {
    auto b = good;
    put_le(b, off, v, n);
    reseal(b);
    return error_of([&] { (void)coco::deserialize_exact(b); });
  };
  CHECK(edit(72, static_cast<std::uint64_t>(std::int64_t{-1}), 8) ==
        "serialized state: category 0: negative ground-truth count -1 in area range 0");
  CHECK(edit(80, std::bit_cast<std::uint64_t>(std::numeric_limits<double>::quiet_NaN()), 8) ==
        "serialized state: category 0: record 0: score is not finite");
  // canonical order: record 0 is image -7 (tp 0, fp 2), record 1 image 42 (tp 1, fp 0)
  CHECK(edit(144, 1, 8) ==
        "serialized state: category 0: record 1: a detection is both a true and a false positive");
  CHECK(edit(136, 4, 8) == "serialized state: category 0: record 0: bits set beyond the 2 IoU thresholds");
  CHECK(contains(edit(16, 65, 4), "T=65 IoU thresholds, at most 64 supported"));
  CHECK(contains(edit(28, 3, 4), "dimensions 4 and 5 of an exact accumulator must be 0"));
  // a record count or a category count far beyond the payload: rejected before any allocation
  CHECK(contains(
      edit(64, std::uint64_t{1} << 60, 8),
      "serialized state: truncated: category 0: 1152921504606846976 records needs 1152921504606846976 x 36 "
      "bytes at offset 80, have 88"));
  CHECK(contains(edit(20, 0xffffffffu, 4), "truncated: the categories needs 4294967295 x 16 bytes"));
  // record counts that do not fit the payload
  CHECK(contains(edit(152, 1, 8), "serialized state: truncated: category 1: 1 records needs 1 x 36 bytes"));
  CHECK(contains(edit(64, 1, 8), "serialized state: "));
  auto b = good;
  b.push_back(std::byte{0});
  reseal(b);
  CHECK(contains(error_of([&] { (void)coco::deserialize_exact(b); }),
                 "1 unexpected bytes at the end of the payload"));
}

TEST_CASE("crafted binned states that pass the checksum are still checked") {
  const auto good = coco::serialize(small_binned());
  // payload: max_dets at 64, npig at 80, cell count at 112, first cell at 120 (index, records, 8 counts)
  auto edit = [&](std::size_t off, std::uint64_t v, int n) {
    auto b = good;
    put_le(b, off, v, n);
    reseal(b);
    return error_of([&] { (void)coco::deserialize_binned(b); });
  };
  CHECK(contains(edit(72, 1, 8), "max_dets[1] = 1: values must be positive, ascending"));
  CHECK(
      contains(edit(80, static_cast<std::uint64_t>(std::int64_t{-2}), 8), "negative ground-truth count -2"));
  CHECK(contains(edit(120, 99, 8), "cell 0 at offset 120: index 99 out of range or not increasing"));
  CHECK(contains(edit(200, 3, 8), "cell 1 at offset 200: index 3 out of range or not increasing"));
  CHECK(contains(edit(128, 0, 8), "cell 0 at offset 120: empty cells are not stored"));
  CHECK(contains(edit(136, 2, 8), "cell 0 at offset 120: more true and false positives than records"));
  CHECK(contains(edit(112, 4, 8), "truncated"));
  CHECK(contains(edit(16, 0, 4), "T=0, expected 1 to 64"));
  CHECK(contains(edit(32, (1u << 24) + 1, 4), "at most 2^24 supported"));
  CHECK(contains(edit(40, 0, 8), "must carry a parameter fingerprint"));
  // dimensions whose dense state would exceed the memory limit: rejected before allocating
  CHECK(contains(edit(20, 0xffffffffu, 4), "more than the limit of"));
  CHECK(
      contains(error_of([&] { (void)coco::deserialize_binned(good.data(), good.size(), std::size_t{1000}); }),
               "more than the limit of 1000"));
}
