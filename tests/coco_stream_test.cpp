// Streaming evaluation (include/stratum/coco/stream.hpp): on every conformance case, converted to frames and
// fed in several random orders, on 1 to 3 threads, split across merged evaluators, and through a JSONL round
// trip (write, read, evaluate), the result equals the batch evaluator's to the bit (== on the precision,
// recall and scores arrays and on the 12 stats, for the pooled evaluation and every slice); the stats also
// equal pycocotools' (expected.json) to 1e-12. The batch evaluator itself is checked against pycocotools in
// coco_conformance_test.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <stratum/coco/stream.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/io/jsonl.hpp>

namespace fs = std::filesystem;
using namespace stratum;

namespace {

struct conformance_case {
  std::string name;
  coco::params p;
  coco::ground_truth gt;
  coco::detection_set dt;
  std::vector<double> expected_stats;
};

std::vector<conformance_case> load_cases() {
  std::vector<fs::path> dirs;
  for (const auto* root : {STRATUM_TEST_DATA_DIR "/coco", STRATUM_SHARED_DIR "/conformance/coco_external"}) {
    if (!fs::exists(root)) continue;
    for (const auto& d : fs::directory_iterator(root))
      if (fs::exists(d.path() / "expected.json") && fs::exists(d.path() / "gt.json"))
        dirs.push_back(d.path());
  }
  std::sort(dirs.begin(), dirs.end());
  std::vector<conformance_case> out;
  for (const auto& d : dirs) {
    conformance_case c;
    c.name = d.filename().string();
    c.p = fs::exists(d / "params.json") ? io::load_coco_params((d / "params.json").string()) : coco::params{};
    c.gt = io::load_coco_ground_truth((d / "gt.json").string());
    c.dt = io::load_coco_results((d / "dt.json").string(), c.gt);
    simdjson::dom::parser parser;
    const auto json = simdjson::padded_string::load((d / "expected.json").string()).value();
    simdjson::dom::element stats;
    simdjson::dom::array arr;
    if (!parser.parse(json)["stats"].get(stats) && !stats.get_array().get(arr))
      for (auto x : arr) c.expected_stats.push_back(x.get_double().value());
    out.push_back(std::move(c));
  }
  return out;
}

const std::vector<coco::slice_spec> kSpecs{{{"weather"}},
                                           {{"timeofday"}},
                                           {{"rig"}},
                                           {{"provenance"}},
                                           {{"weather", "timeofday"}},
                                           {{"weather", "timeofday", "rig"}}};

/// Fewer slicings for the large case in the tests that repeat the evaluation (each slice is finalized).
const std::vector<coco::slice_spec> kSpecsLight{{{"weather"}}, {{"provenance"}}, {{"weather", "timeofday"}}};
const std::vector<coco::slice_spec>& specs_for(const conformance_case& c) {
  return c.gt.images.size() > 1000 ? kSpecsLight : kSpecs;
}

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

/// Empty when `got` equals `want` to the bit, else what differs.
std::string difference(const coco::evaluation& got, const coco::evaluation& want) {
  if (got.p->img_ids != want.p->img_ids) return "img_ids";
  if (got.p->cat_ids != want.p->cat_ids) return "cat_ids";
  const auto& a = got.arrays;
  const auto& b = want.arrays;
  if (a.T != b.T || a.R != b.R || a.K != b.K || a.A != b.A || a.M != b.M) return "shape";
  if (a.precision != b.precision) return "precision";
  if (a.recall != b.recall) return "recall";
  if (a.scores != b.scores) return "scores";
  for (std::size_t i = 0; i < 12; ++i)
    if (!same_bits(got.stats[i], want.stats[i])) return "stats[" + std::to_string(i) + "]";
  return {};
}

std::string difference(const coco::sliced_evaluation& got, const coco::sliced_evaluation& want) {
  if (auto d = difference(got.all, want.all); !d.empty()) return "all: " + d;
  if (got.slices.size() != want.slices.size())
    return "number of slices " + std::to_string(got.slices.size()) + " vs " +
           std::to_string(want.slices.size());
  for (std::size_t s = 0; s < got.slices.size(); ++s) {
    if (got.slices[s].name != want.slices[s].name)
      return "slice name " + got.slices[s].name + " vs " + want.slices[s].name;
    if (got.slices[s].images != want.slices[s].images) return "slice " + got.slices[s].name + ": images";
    if (auto d = difference(got.slices[s].eval, want.slices[s].eval); !d.empty())
      return "slice " + got.slices[s].name + ": " + d;
  }
  return {};
}

coco::sliced_evaluation stream_eval(const conformance_case& c, const std::vector<coco::frame>& frames,
                                    const coco::params& p, const std::vector<coco::slice_spec>& specs,
                                    unsigned threads = 1) {
  coco::stream_evaluator ev(c.gt.categories, p, specs);
  std::size_t i = 0;
  coco::run_stream(
      [&](coco::frame& f) {
        if (i == frames.size()) return false;
        f = frames[i++];
        return true;
      },
      ev, threads);
  CHECK(ev.frames() == frames.size());
  return ev.finalize();
}

}  // namespace

TEST_CASE("stream evaluation equals the batch evaluator to the bit, in any frame order and on any threads") {
  const auto cases = load_cases();
  REQUIRE(cases.size() >= 11);
  std::mt19937_64 rng(7);
  std::size_t runs = 0, slices = 0;
  for (const auto& c : cases) {
    INFO("case ", c.name);
    const auto batch = coco::evaluate_sliced(c.gt, c.dt, c.p, kSpecs, 1);
    auto frames = coco::frames_from_coco(c.gt, c.dt);
    REQUIRE(frames.size() == c.gt.images.size());
    // the pycocotools reference, for the pooled stats
    if (!c.expected_stats.empty()) {
      const auto s = stream_eval(c, frames, c.p, {});
      REQUIRE(c.expected_stats.size() == 12);
      for (std::size_t i = 0; i < 12; ++i)
        CHECK_MESSAGE(std::fabs(s.all.stats[i] - c.expected_stats[i]) <= 1e-12, "stats[", i,
                      "]: ", s.all.stats[i], " vs pycocotools ", c.expected_stats[i]);
    }
    // input order, then random orders, on 1, 2 and 3 matching threads (3 runs for the large case)
    const std::vector<unsigned> thread_counts =
        frames.size() > 1000 ? std::vector<unsigned>{1, 2, 3} : std::vector<unsigned>{1, 1, 2, 3, 2};
    for (std::size_t run = 0; run < thread_counts.size(); ++run) {
      const unsigned threads = thread_counts[run];
      if (run > 0) std::shuffle(frames.begin(), frames.end(), rng);
      INFO("run ", run, " threads ", threads);
      const auto s = stream_eval(c, frames, c.p, kSpecs, threads);
      CHECK(difference(s, batch) == "");
      ++runs;
    }
    slices += batch.slices.size();
    // without slices the pooled result is the same too (frames matched straight into the pooled state)
    const auto plain = coco::evaluate(c.gt, c.dt, c.p, 1);
    CHECK(difference(stream_eval(c, frames, c.p, {}).all, plain) == "");
  }
  MESSAGE(runs, " stream runs over ", cases.size(), " cases, ", slices, " slices each compared");
  CHECK(slices > 100);
}

TEST_CASE("evaluators merged in any split equal one evaluator") {
  std::mt19937_64 rng(11);
  for (const auto& c : load_cases()) {
    INFO("case ", c.name);
    const auto& specs = specs_for(c);
    const auto batch = coco::evaluate_sliced(c.gt, c.dt, c.p, specs, 1);
    const auto frames = coco::frames_from_coco(c.gt, c.dt);
    for (int split = 0; split < 3; ++split) {
      coco::stream_evaluator proto(c.gt.categories, c.p, specs);
      std::vector<coco::stream_evaluator> parts(4, proto.fresh());
      for (const auto& f : frames) parts[rng() % parts.size()].add(f);
      std::shuffle(parts.begin(), parts.end(), rng);
      coco::stream_evaluator total = proto.fresh();
      for (const auto& part : parts) {
        if (rng() % 2)
          total.merge(part);
        else
          total.merge(part.state());  // as a state received from elsewhere
      }
      CHECK(total.frames() == frames.size());
      CHECK(total.ground_truths() == c.gt.size());
      CHECK(total.detections() == c.dt.size());
      CHECK(difference(total.finalize(), batch) == "");
    }
  }
}

TEST_CASE("JSONL round trip: write the frames, read them back, evaluate") {
  for (const auto& c : load_cases()) {
    INFO("case ", c.name);
    const auto& specs = specs_for(c);
    const auto batch = coco::evaluate_sliced(c.gt, c.dt, c.p, specs, 1);
    std::ostringstream out;
    io::write_jsonl(out, c.gt.categories, coco::frames_from_coco(c.gt, c.dt));
    for (unsigned threads : {1u, 2u}) {
      std::istringstream in(out.str());
      io::jsonl_reader reader(in, c.name + ".jsonl");
      coco::stream_evaluator ev(reader.categories(), c.p, specs);
      coco::run_stream([&](coco::frame& f) { return reader.next(f); }, ev, threads);
      CHECK(reader.frames() == c.gt.images.size());
      CHECK(ev.ground_truths() == c.gt.size());
      CHECK(ev.detections() == c.dt.size());
      CHECK(difference(ev.finalize(), batch) == "");
    }
  }
}

TEST_CASE("params.img_ids and params.cat_ids restrict the stream as they restrict the batch evaluation") {
  std::mt19937_64 rng(3);
  for (const auto& c : load_cases()) {
    if (c.gt.images.size() < 4 || c.gt.categories.size() < 2) continue;
    INFO("case ", c.name);
    auto p = c.p;
    for (const auto& im : c.gt.images)
      if (rng() % 2) p.img_ids.push_back(im.id);
    for (const auto& ct : c.gt.categories)
      if (rng() % 3) p.cat_ids.push_back(ct.id);
    const auto& specs = specs_for(c);
    const auto batch = coco::evaluate_sliced(c.gt, c.dt, p, specs, 1);
    auto frames = coco::frames_from_coco(c.gt, c.dt);
    std::shuffle(frames.begin(), frames.end(), rng);
    const auto s = stream_eval(c, frames, p, specs, 2);
    CHECK(difference(s, batch) == "");
  }
}

TEST_CASE("BDD100K val200 slices through the stream equal pycocotools' per-slice numbers") {
  const fs::path dir = STRATUM_SHARED_DIR "/data/bdd100k_val200";
  if (!fs::exists(dir / "gt_coco.json")) {
    MESSAGE("shared/data/bdd100k_val200 not present: nothing to compare");
    return;
  }
  const auto gt = io::load_coco_ground_truth((dir / "gt_coco.json").string());
  const auto dt = io::load_coco_results((dir / "dt_synthetic_seed20240601.json").string(), gt);
  const std::vector<coco::slice_spec> specs{{{"weather"}}, {{"timeofday"}}, {{"scene"}}};
  const auto batch = coco::evaluate_sliced(gt, dt, {}, specs, 1);
  auto frames = coco::frames_from_coco(gt, dt);
  std::mt19937_64 rng(5);
  std::shuffle(frames.begin(), frames.end(), rng);
  coco::stream_evaluator ev(gt.categories, {}, specs);
  for (const auto& f : frames) ev.add(f);
  const auto res = ev.finalize();
  CHECK(difference(res, batch) == "");
  simdjson::dom::parser parser;
  const auto json =
      simdjson::padded_string::load((dir / "reference_slices_pycocotools.json").string()).value();
  simdjson::dom::object ref = parser.parse(json).get_object().value();
  std::size_t checked = 0;
  for (auto [key, val] : ref) {
    const std::string name(key);
    const coco::evaluation* e = nullptr;
    if (name == "ALL") {
      e = &res.all;
    } else {
      for (std::size_t s = 0; s < res.slices.size(); ++s)
        if (res.slices[s].name == name) e = &res.slices[s].eval;
    }
    REQUIRE_MESSAGE(e != nullptr, "slice ", name, " missing");
    std::size_t i = 0;
    simdjson::dom::array stats = val["stats"].get_array().value();
    for (auto x : stats) {
      CHECK_MESSAGE(std::fabs(e->stats[i] - x.get_double().value()) <= 1e-12, "slice ", name, " stats[", i,
                    "]");
      ++i;
    }
    ++checked;
  }
  CHECK(checked == 18);
}

TEST_CASE("an empty stream evaluates like a ground truth without images") {
  const std::vector<coco::category_info> cats{{1, "car"}, {2, "bus"}};
  coco::stream_evaluator ev(cats, {}, kSpecs);
  const auto res = ev.finalize();
  coco::ground_truth gt;
  gt.categories = cats;
  const auto batch = coco::evaluate_sliced(gt, {}, {}, kSpecs, 1);
  CHECK(difference(res, batch) == "");
  for (double s : res.all.stats) CHECK(s == -1);
  CHECK(res.slices.empty());
}

TEST_CASE("bad frames given through the API: a clear error, the state unchanged") {
  const std::vector<coco::category_info> cats{{1, "car"}, {2, "bus"}};
  coco::stream_evaluator ev(cats);
  coco::frame f;
  f.id = 42;
  f.gt.add(1, 1, 0, 0, 10, 10, 100, false);
  f.dt.add(2, 0, 0, 10, 10, 0.5);
  ev.add(f);
  auto error_of = [&ev](const coco::frame& g) -> std::string {
    try {
      ev.add(g);
    } catch (const input_error& e) {
      return e.what();
    }
    return "no error";
  };
  auto bad = f;
  bad.id = 43;
  bad.dt.category_id[0] = 3;
  CHECK(error_of(bad) == "frame 43: dt[0].category_id: category 3 is not declared");
  bad = f;
  bad.id = 44;
  bad.gt.category_id[0] = 7;
  CHECK(error_of(bad) == "frame 44: gt[0].category_id: category 7 is not declared");
  bad = f;
  bad.dt.score[0] = 1.0000001;  // any finite score ranks, as in pycocotools
  {
    auto other = ev.fresh();
    CHECK_NOTHROW(other.add(bad));
  }
  bad = f;
  bad.dt.score[0] = std::nan("");
  CHECK(error_of(bad) == "frame 42: dt[0].score: score is not finite");
  bad = f;
  bad.dt.score[0] = -std::numeric_limits<double>::infinity();
  CHECK(error_of(bad) == "frame 42: dt[0].score: score is not finite");
  bad = f;
  bad.gt.w[0] = -1;
  CHECK(error_of(bad) == "frame 42: gt[0].bbox: negative width or height");
  bad = f;
  bad.dt.x[0] = INFINITY;
  CHECK(error_of(bad) == "frame 42: dt[0].bbox: not a finite box");
  bad = f;
  bad.gt.area[0] = -3;
  CHECK(error_of(bad) == "frame 42: gt[0].area: expected a finite number >= 0");
  bad = f;
  bad.width = -1;
  CHECK(error_of(bad) == "frame 42: width: expected a finite number >= 0");
  bad = f;
  bad.dt.score.push_back(0.5);
  CHECK(error_of(bad) == "frame 42: dt: arrays of different lengths");
  CHECK(ev.frames() == 1);
  CHECK(ev.detections() == 1);
  // the same frame twice: detected when the state is finalized
  ev.add(f);
  CHECK_THROWS_WITH_AS((void)ev.finalize(), "stream: frame 42 was added more than once", input_error);
  // merging differently configured evaluators
  coco::params other;
  other.iou_thrs = {0.5};
  coco::stream_evaluator a(cats), b(cats, other), c(cats, {}, kSpecs);
  CHECK_THROWS_AS(a.merge(b), usage_error);
  CHECK_THROWS_AS(a.merge(c), usage_error);
  CHECK_THROWS_AS(a.merge(c.state()), usage_error);
  // construction
  CHECK_THROWS_AS(coco::stream_evaluator({{1, "a"}, {1, "b"}}), usage_error);
  CHECK_THROWS_AS(coco::stream_evaluator(cats, {}, {{{}}}), usage_error);
  coco::params bad_p;
  bad_p.max_dets = {};
  CHECK_THROWS_AS(coco::stream_evaluator(cats, bad_p), usage_error);
}

TEST_CASE("run_stream: an error from the source or from matching stops every thread and is rethrown") {
  const std::vector<coco::category_info> cats{{1, "car"}};
  for (unsigned threads : {1u, 2u, 4u}) {
    INFO("threads ", threads);
    coco::stream_evaluator ev(cats);
    int n = 0;
    auto source = [&](coco::frame& f) {
      f.clear();
      f.id = n++;
      f.dt.add(1, 0, 0, 1, 1, 0.5);
      if (n == 500) throw input_error("source failed at 500");
      return true;
    };
    CHECK_THROWS_WITH_AS(coco::run_stream(source, ev, threads), "source failed at 500", input_error);
    coco::stream_evaluator ev2(cats);
    n = 0;
    auto bad_frame = [&](coco::frame& f) {
      f.clear();
      f.id = n++;
      f.dt.add(n == 300 ? 9 : 1, 0, 0, 1, 1, 0.5);
      return n < 100000;
    };
    CHECK_THROWS_WITH_AS(coco::run_stream(bad_frame, ev2, threads),
                         "frame 299: dt[0].category_id: category 9 is not declared", input_error);
  }
}
