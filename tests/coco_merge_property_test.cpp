// Merge properties of the exact COCO accumulator over the conformance cases (whose single pass equals
// pycocotools to 1e-12, see coco_conformance_test): the frames of a case are split at random into 1..16
// shards, each shard matches its frames in a random order into its own state, some states travel through
// serialize/deserialize, empty states are mixed in, and everything is merged in a random order and tree
// shape. The finalized precision, recall and scores arrays and the 12 summary numbers must equal the single
// pass bit for bit (==), since finalize orders records by data (score, image id, rank), never by arrival.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <stratum/coco/evaluator.hpp>
#include <stratum/coco/serialize.hpp>
#include <stratum/io/coco_json.hpp>

#include "coco_cases.hpp"

namespace fs = std::filesystem;
using namespace stratum;
using stratum_test::coco_case_dirs;
using rng = stratum_test::splitmix64;

namespace {

struct fixture {
  std::string name;
  coco::ground_truth gt;  // grouped_data refers to these
  coco::detection_set dt;
  coco::resolved_params p;
  coco::acc_dims dims;
  coco::grouped_data data;
  coco::exact_accumulator single;
  coco::eval_arrays want;
  std::array<double, 12> want_stats{};

  fixture(std::string n, coco::ground_truth g, coco::detection_set d, const coco::resolved_params& rp)
      : name(std::move(n)),
        gt(std::move(g)),
        dt(std::move(d)),
        p(rp),
        dims(p.dims()),
        data(gt, dt, p),
        single(coco::accumulate(gt, dt, p)),
        want(single.finalize(p)),
        want_stats(coco::summarize(want, p)) {}
  fixture(const fixture&) = delete;  // data points into gt and dt
  fixture& operator=(const fixture&) = delete;
};

fixture load(const fs::path& dir) {
  auto gt = io::load_coco_ground_truth((dir / "gt.json").string());
  auto dt = io::load_coco_results((dir / "dt.json").string(), gt);
  const auto p = coco::resolve_params(gt, io::load_coco_params((dir / "params.json").string()));
  return fixture(dir.filename().string(), std::move(gt), std::move(dt), p);
}

std::string same(const coco::eval_arrays& got, const std::array<double, 12>& stats, const fixture& f) {
  if (got.precision != f.want.precision) return "precision differs";
  if (got.recall != f.want.recall) return "recall differs";
  if (got.scores != f.want.scores) return "scores differ";
  if (stats != f.want_stats) return "summary differs";
  return {};
}

void shuffle(std::vector<std::size_t>& v, rng& r) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[r.below(i)]);
}

// Merges `parts` into one in a random tree: repeatedly two random states, either way round, by merge or +=.
coco::exact_accumulator merge_random_tree(std::vector<coco::exact_accumulator> parts, rng& r) {
  while (parts.size() > 1) {
    const auto i = r.below(parts.size());
    auto j = r.below(parts.size() - 1);
    if (j >= i) ++j;
    if (r.below(2))
      parts[i].merge(parts[j]);
    else
      parts[i] += parts[j];
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(j));
  }
  return std::move(parts[0]);
}

}  // namespace

TEST_CASE("random splits, orders, round trips and merge trees give the single-pass arrays bit for bit") {
  const auto dirs = coco_case_dirs();
  REQUIRE(dirs.size() >= 11);
  const auto start = std::chrono::steady_clock::now();
  std::size_t splits = 0, shards_total = 0, round_trips = 0, empties = 0;
  for (const auto& dir : dirs) {
    const auto f = load(dir);
    const std::size_t n = f.data.images();
    // `large` (3000 frames, 32640 detections) costs as much as all the others together
    const int reps = f.name == "large" ? 12 : 36;
    rng r{0x5eed0000u + splits};
    coco::matcher mt(f.p);
    for (int rep = 0; rep < reps; ++rep, ++splits) {
      const std::size_t S = rep % 9 == 0 ? 1 : 1 + r.below(16);  // S = 1: the whole stream in a random order
      std::vector<coco::exact_accumulator> parts(S, coco::exact_accumulator(f.dims));
      std::vector<std::size_t> order(n);
      for (std::size_t i = 0; i < n; ++i) order[i] = i;
      shuffle(order, r);
      for (auto i : order) coco::match_images(f.data, f.p, i, i + 1, parts[r.below(S)], mt);
      for (auto& part : parts) {
        switch (r.below(3)) {
          case 0:
            part = coco::deserialize_exact(coco::serialize(part, f.p), f.p), ++round_trips;
            break;
          case 1:
            part = coco::deserialize_exact(coco::serialize(part)), ++round_trips;
            break;
          default:
            break;
        }
      }
      for (std::size_t e = r.below(3); e > 0; --e, ++empties)
        parts.push_back(r.below(2) ? coco::exact_accumulator{} : coco::exact_accumulator(f.dims));
      shards_total += S;
      const auto merged = merge_random_tree(std::move(parts), r);
      CHECK_MESSAGE(merged.detections() == f.single.detections(), f.name << " split " << rep);
      const auto got = merged.finalize(f.p);
      const auto msg = same(got, coco::summarize(got, f.p), f);
      CHECK_MESSAGE(msg.empty(), f.name << " split " << rep << " into " << S << " shards: " << msg);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(splits == 10 * 36 + 12);
  MESSAGE(splits << " random splits (" << shards_total << " shards, " << round_trips
                 << " serialize round trips, " << empties << " empty states merged) in " << secs << " s");
}

TEST_CASE("merging an empty state changes nothing") {
  for (const auto& dir : coco_case_dirs()) {
    const auto f = load(dir);
    for (const auto& empty : {coco::exact_accumulator{}, coco::exact_accumulator(f.dims)}) {
      auto a = f.single;
      a.merge(empty);
      CHECK_MESSAGE(a == f.single, f.name);
      auto b = empty;
      b += f.single;
      CHECK_MESSAGE(b == f.single, f.name);
      const auto got = b.finalize(f.p);
      const auto msg = same(got, coco::summarize(got, f.p), f);
      CHECK_MESSAGE(msg.empty(), f.name << ": " << msg);
    }
    // and an empty state survives a round trip as the identity
    auto c = coco::deserialize_exact(coco::serialize(coco::exact_accumulator(f.dims), f.p), f.p);
    c += f.single;
    CHECK_MESSAGE(c == f.single, f.name);
  }
}

TEST_CASE("contiguous chunks, as the threaded evaluator splits, in every chunk count") {
  const auto f = load(fs::path(STRATUM_TEST_DATA_DIR "/coco/maxdets"));
  const std::size_t n = f.data.images();
  for (std::size_t S = 1; S <= 16; ++S) {
    std::vector<coco::exact_accumulator> parts(S, coco::exact_accumulator(f.dims));
    for (std::size_t s = 0; s < S; ++s) coco::match_images(f.data, f.p, n * s / S, n * (s + 1) / S, parts[s]);
    // left fold in reverse order
    coco::exact_accumulator acc;
    for (std::size_t s = S; s-- > 0;) acc.merge(parts[s]);
    const auto got = acc.finalize(f.p);
    const auto msg = same(got, coco::summarize(got, f.p), f);
    CHECK_MESSAGE(msg.empty(), "S=" << S << ": " << msg);
  }
}
