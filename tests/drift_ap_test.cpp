// Tests for <stratum/baseline/ap.hpp>, the AP of a window against the baseline's:
//   - on every COCO conformance case, the AP of every class and of all classes (area "all", the last
//     maxDets) equals the mean of pycocotools' own precision array (expected.json) to 1e-12;
//   - a slice's AP equals that of stratum's COCO evaluation restricted to the slice's images (itself equal to
//     pycocotools on every case);
//   - bootstrap replicate b is the COCO bootstrap's replicate b (the same Poisson weights per image id: the
//     evaluation of the data set with every image repeated, tested there against literal resampling);
//   - the null draws equal the weighted evaluation of the frames they draw, counted by hand, whatever the
//     number of threads;
//   - a window folded in chunks of any size gives the same AP and replicates;
//   - the comparison: the baseline's own frames as a window flag nothing; a window whose detections lost
//     their best-matched boxes is flagged as a lower AP.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <simdjson.h>

#include <stratum/audit/stream.hpp>
#include <stratum/baseline/ap.hpp>
#include <stratum/baseline/file.hpp>
#include <stratum/baseline/performance.hpp>
#include <stratum/coco/bootstrap.hpp>
#include <stratum/coco/evaluator.hpp>
#include <stratum/coco/stream.hpp>
#include <stratum/io/coco_json.hpp>

#include "coco_cases.hpp"

using namespace stratum;
namespace fs = std::filesystem;

namespace {

struct loaded {
  coco::ground_truth gt;
  coco::detection_set dt;
  coco::params p;
};

loaded load(const fs::path& d) {
  loaded s;
  s.gt = io::load_coco_ground_truth((d / "gt.json").string());
  s.dt = io::load_coco_results((d / "dt.json").string(), s.gt);
  if (fs::exists(d / "params.json")) s.p = io::load_coco_params((d / "params.json").string());
  return s;
}

/// The case's frames, each with attribute half = odd or even (by image id), frozen as a baseline sliced by
/// it.
baseline::baseline_file freeze(const loaded& s, std::vector<frame>* frames = nullptr) {
  audit::audit_stream au(s.gt.categories, s.p);
  coco::for_each_coco_frame(s.gt, s.dt, [&](const coco::frame& f) {
    frame g = f;
    g.attrs = {{"half", f.id % 2 ? "odd" : "even"}};
    au.add(g);
    if (frames) frames->push_back(g);
  });
  const std::vector<coco::slice_spec> specs = {{{"half"}}};
  audit::audit_options o;
  const auto r = au.finalize(specs, o);
  return baseline::freeze(au, s.p, r, specs, o, {}, 0);
}

/// pycocotools' mean precision of class k (k < 0: every class) at the area "all" and the last maxDets.
double reference_ap(const coco::eval_arrays& e, std::size_t a, std::ptrdiff_t k) {
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t t = 0; t < e.T; ++t)
    for (std::size_t r = 0; r < e.R; ++r)
      for (std::size_t kk = 0; kk < e.K; ++kk) {
        if (k >= 0 && kk != static_cast<std::size_t>(k)) continue;
        const double v = e.precision[e.p_index(t, r, kk, a, e.M - 1)];
        if (v > -1) sum += v, ++n;
      }
  return n ? sum / static_cast<double>(n) : std::nan("");
}

std::vector<double> numbers(simdjson::dom::element e) {
  std::vector<double> v;
  for (auto x : e.get_array()) v.push_back(x.get_double().value());
  return v;
}

bool close(double a, double b, double tol = 1e-12) {
  return (std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= tol;
}

/// fn(name, dir, case, its baseline) for every COCO conformance case.
template <class Fn>
void for_each_case(Fn&& fn) {
  for (const auto& dir : stratum_test::coco_case_dirs()) {
    const std::string name = dir.filename().string();
    INFO(name);
    const auto s = load(dir);
    fn(name, dir, s, freeze(s));
  }
}

}  // namespace

TEST_CASE("AP of every class and of all classes equals pycocotools' precision array on every case") {
  std::size_t compared = 0;
  for_each_case([&](const std::string& name, const fs::path& dir, const loaded&, const auto& b) {
    const auto side = baseline::ap_of(b, 0, 0);
    simdjson::dom::parser parser;
    const auto json = simdjson::padded_string::load((dir / "expected.json").string()).value();
    const auto root = parser.parse(json).value();
    const auto shape = numbers(root["precision_shape"].value());
    coco::eval_arrays e;
    e.T = static_cast<std::size_t>(shape[0]), e.R = static_cast<std::size_t>(shape[1]);
    e.K = static_cast<std::size_t>(shape[2]), e.A = static_cast<std::size_t>(shape[3]);
    e.M = static_cast<std::size_t>(shape[4]);
    e.precision = numbers(root["precision"].value());
    std::size_t a_all = 0;
    const auto labels = root["params"]["areaRngLbl"].get_array().value();
    std::size_t i = 0;
    for (auto l : labels) {
      if (std::string(l.get_string().value()) == "all") {
        a_all = i;
        break;
      }
      ++i;
    }
    REQUIRE(side.sets.count("all"));
    const auto& all = side.sets.at("all");
    REQUIRE(all.classes.size() == 1 + e.K);
    CHECK_MESSAGE(close(all.classes[0].ap, reference_ap(e, a_all, -1)),
                  name << ": " << all.classes[0].ap << " vs " << reference_ap(e, a_all, -1));
    for (std::size_t k = 0; k < e.K; ++k)
      CHECK_MESSAGE(close(all.classes[1 + k].ap, reference_ap(e, a_all, static_cast<std::ptrdiff_t>(k))),
                    name << " class " << k);
    compared += 1 + e.K;
  });
  CHECK(compared > 30);
}

TEST_CASE("a slice's AP is the COCO evaluation of the slice's images") {
  std::size_t compared = 0;
  for (const auto& dir : stratum_test::coco_case_dirs()) {
    const std::string name = dir.filename().string();
    const auto s = load(dir);
    const auto side = baseline::ap_of(freeze(s), 0, 0);
    for (const char* half : {"odd", "even"}) {
      INFO(name, " half=", half);
      const auto it = side.sets.find(std::string("half=") + half);
      coco::params p = s.p;
      p.img_ids.clear();
      for (const auto& im : s.gt.images)
        if ((im.id % 2 != 0) == (std::string(half) == "odd")) p.img_ids.push_back(im.id);
      if (p.img_ids.empty()) {
        CHECK(it == side.sets.end());
        continue;
      }
      REQUIRE(it != side.sets.end());
      const auto ev = coco::evaluate(s.gt, s.dt, p);
      const std::size_t a = audit::all_area_index(*ev.p);
      CHECK(close(it->second.classes[0].ap, reference_ap(ev.arrays, a, -1)));
      for (std::size_t k = 0; k < ev.arrays.K; ++k)
        CHECK(
            close(it->second.classes[1 + k].ap, reference_ap(ev.arrays, a, static_cast<std::ptrdiff_t>(k))));
      CHECK(it->second.frames == p.img_ids.size());
      ++compared;
    }
  }
  CHECK(compared > 15);
}

TEST_CASE("bootstrap replicates are the COCO bootstrap's, whatever the threads") {
  std::size_t compared = 0;
  for_each_case([&](const std::string&, const fs::path&, const loaded& s, const auto& b) {
    const auto side = baseline::ap_of(b, 6, 17);
    const auto two = baseline::ap_of(b, 6, 17, 2);
    for (const auto& [set, cells] : side.sets)
      for (std::size_t c = 0; c < cells.classes.size(); ++c)
        for (std::size_t r = 0; r < 6; ++r)
          CHECK(close(cells.classes[c].replicates[r], two.sets.at(set).classes[c].replicates[r], 0));
    coco::bootstrap_options bo;
    bo.replicates = 6, bo.seed = 17;
    const auto boot = coco::bootstrap(s.gt, s.dt, s.p, bo);
    // summarize's AP is at maxDets 100 and the area "all": comparable when those are the records' cell
    const auto& rp = *boot.point.p;
    if (rp.max_dets.back() != 100 || rp.area_rngs.at(audit::all_area_index(rp)).label != "all") return;
    for (std::size_t r = 0; r < 6; ++r) {
      const double want = boot.replicates[r][0];
      CHECK_MESSAGE(close(side.sets.at("all").classes[0].replicates[r], want < 0 ? std::nan("") : want),
                    "replicate " << r);
      ++compared;
    }
  });
  CHECK(compared >= 48);
}

TEST_CASE("null draws are the weighted evaluation of the frames drawn, whatever the threads") {
  std::size_t compared = 0;
  for (const std::string name : {"basic", "crowd", "large", "score_ties", "class_agnostic"}) {
    INFO(name);
    const auto s = load(fs::path(STRATUM_TEST_DATA_DIR "/coco") / name);
    const auto b = freeze(s);
    const auto side = baseline::ap_of(b, 0, 0);
    const auto rp = coco::resolve_params(s.gt, s.p);
    // the same evaluation through the COCO bootstrap's machinery: every image weighted by its draws
    const auto acc = coco::accumulate(s.gt, s.dt, rp);
    const auto sr = acc.sorted();
    const auto gp = coco::ground_truth_presence(s.gt, rp);
    for (const auto& [set, cells] : side.sets) {
      const auto& frames = cells.records.frames;  // the set's frame ids
      for (const std::uint64_t size : {std::uint64_t{3}, std::uint64_t{frames.size()}}) {
        const auto got = baseline::null_draws(cells, *rp, size, 5, 9, 1);
        const auto got2 = baseline::null_draws(cells, *rp, size, 5, 9, 2);
        for (std::size_t j = 0; j < 5; ++j) {
          std::map<std::int64_t, std::uint32_t> mult;  // image id -> draws
          for (std::uint64_t i = 0; i < size; ++i) {
            const double u = stats::stream_uniform(9, j, i, baseline::ap_null_domain);
            const auto f = std::min<std::size_t>(
                frames.size() - 1, static_cast<std::size_t>(u * static_cast<double>(frames.size())));
            ++mult[frames[f]];
          }
          const auto w = [&](std::int64_t id) {
            const auto it = mult.find(id);
            return it == mult.end() ? 0u : it->second;
          };
          const auto e = coco::weighted_arrays(sr, gp, rp, w);
          const std::size_t a = audit::all_area_index(*rp);
          CHECK_MESSAGE(close(got[0][j], reference_ap(e, a, -1)), set << " size " << size << " draw " << j);
          for (std::size_t k = 0; k < e.K; ++k)
            CHECK(close(got[1 + k][j], reference_ap(e, a, static_cast<std::ptrdiff_t>(k))));
          for (std::size_t c = 0; c < got.size(); ++c) CHECK(close(got[c][j], got2[c][j], 0));
          ++compared;
        }
      }
    }
  }
  CHECK(compared > 50);
}

TEST_CASE("a window folded in chunks of any size gives the same AP; the comparison flags a worse window") {
  const auto s = load(fs::path(STRATUM_TEST_DATA_DIR "/coco") / "large");
  std::vector<frame> frames;
  const auto b = freeze(s, &frames);
  const auto setup = baseline::setup_of(b);
  const audit::audit_stream au(b.categories, b.params);
  const auto& rp = *au.parameters();
  baseline::drift_options o;
  o.min_frames = 10;
  o.ap_replicates = 100;
  const auto base_ap = baseline::ap_of(b, o.ap_replicates, o.ap_seed);
  const auto window_side = [&](const std::vector<frame>& fs, std::size_t chunk, std::size_t replicates,
                               std::uint64_t seed) {
    baseline::performance_window pw(b, setup, chunk, 1'000'000);
    for (const auto& f : fs) pw.add(f);
    const auto* rec = pw.ap();
    REQUIRE(rec != nullptr);
    return rec->compute(rp, replicates, seed);
  };
  const auto small = window_side(frames, 7, 20, 5), whole = window_side(frames, std::size_t{1} << 20, 20, 5);
  REQUIRE(small.sets.size() == base_ap.sets.size());
  for (const auto& [set, cells] : small.sets)
    for (std::size_t c = 0; c < cells.classes.size(); ++c) {
      CHECK(close(cells.classes[c].ap, whole.sets.at(set).classes[c].ap, 0));
      CHECK(close(cells.classes[c].ap, base_ap.sets.at(set).classes[c].ap, 0));
      for (std::size_t r = 0; r < 20; ++r)
        CHECK(close(cells.classes[c].replicates[r], whole.sets.at(set).classes[c].replicates[r], 0));
    }
  const auto names = baseline::class_names(b);
  const auto compare = [&](const std::vector<frame>& fs) {
    baseline::drift_result r;
    r.options = o;
    baseline::compare_ap(base_ap, window_side(fs, 64, o.ap_replicates, o.ap_seed + 1), rp, names, r);
    baseline::adjust(r);
    return r;
  };
  // the baseline's own frames: nothing flagged, every defined test run
  const auto same = compare(frames);
  std::size_t tested = 0;
  for (const auto& t : same.tests) {
    INFO(t.set, " ", t.cls, " ", t.shift, " ", t.note);
    CHECK(t.is_ap());
    CHECK(t.status != "alarm");
    CHECK(t.status != "warn");
    tested += !std::isnan(t.p_value);
  }
  CHECK(tested >= 3);
  // every detection moved right by 40% of its width: lower IoUs, a lower AP, flagged where tested
  auto moved = frames;
  for (auto& f : moved)
    for (std::size_t i = 0; i < f.dt.x.size(); ++i) f.dt.x[i] += 0.4 * f.dt.w[i];
  const auto worse = compare(moved);
  bool pooled = false;
  for (const auto& t : worse.tests)
    if (t.set == "all" && t.cls.empty()) {
      pooled = true;
      CHECK(t.shift < -0.1);
      CHECK(t.shift_upper < 0);
      CHECK(t.status == "alarm");
    }
  CHECK(pooled);
}
