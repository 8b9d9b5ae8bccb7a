// The bounded-memory accumulator against the exact one (itself equal to pycocotools on every conformance
// case, see coco_conformance_test): on every conformance case and on random datasets, for several bin counts,
//   * every precision entry of the exact evaluation lies in [lower, upper], and so do the six AP numbers;
//   * recall (and the six AR numbers) are exact, bit for bit;
//   * every score entry is the lower edge of the bin holding the exact score;
// with scores on bin edges (j / B), the bounds collapse onto the exact arrays, bit for bit, in every
// (IoU, category, area, maxDets) cell whose bins do not mix true and false positives; ties of equal scores
// that the exact mode orders by image id are what keeps the others apart (counted and reported).
// Merge and serialization behave as for the exact state; memory does not grow with the stream.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <stratum/coco/binned.hpp>
#include <stratum/coco/evaluator.hpp>
#include <stratum/coco/slices.hpp>
#include <stratum/coco/stream.hpp>
#include <stratum/io/coco_json.hpp>

#include "coco_cases.hpp"

namespace fs = std::filesystem;
using namespace stratum;
using stratum_test::coco_case_dirs;
using rng = stratum_test::splitmix64;

namespace {

struct dataset {
  std::string name;
  coco::ground_truth gt;
  coco::detection_set dt;
  coco::resolved_params p;
};

dataset load_case(const fs::path& dir) {
  dataset d;
  d.name = dir.filename().string();
  d.gt = io::load_coco_ground_truth((dir / "gt.json").string());
  d.dt = io::load_coco_results((dir / "dt.json").string(), d.gt);
  d.p = coco::resolve_params(d.gt, io::load_coco_params((dir / "params.json").string()));
  return d;
}

// A random dataset: boxes near ground truths and random ones, crowd regions, annotation areas that differ
// from the box area, images with more detections than maxDets, several score distributions.
dataset make_random(std::uint64_t seed) {
  rng r{seed};
  dataset d;
  d.name = "random seed " + std::to_string(seed);
  const std::size_t n_img = 3 + r.below(30), K = 1 + r.below(4);
  const int score_mode = static_cast<int>(r.below(4));
  for (std::size_t k = 0; k < K; ++k) d.gt.categories.push_back({static_cast<std::int64_t>(2 * k + 1), ""});
  auto score = [&]() -> double {
    switch (score_mode) {
      case 0:
        return r.unit();
      case 1:
        return static_cast<double>(r.below(21)) / 20.0;  // ties, 0 and 1 included
      case 2:
        return r.below(2) ? 0.5 : 0.75;  // heavy ties
      default:
        return r.below(10) == 0 ? 1.0 : std::round(r.unit() * 1000) / 1000;
    }
  };
  std::int64_t ann = 1;
  for (std::size_t i = 0; i < n_img; ++i) {
    const std::int64_t img = 100 + 7 * static_cast<std::int64_t>(i);
    d.gt.images.push_back({img, 640, 480, {}, ""});
    const std::size_t n_gt = r.below(9);
    for (std::size_t g = 0; g < n_gt; ++g) {
      const auto cat = d.gt.categories[r.below(K)].id;
      const double x = r.unit() * 300, y = r.unit() * 300, w = 2 + r.unit() * 150, h = 2 + r.unit() * 150;
      const double area = w * h * (0.7 + 0.6 * r.unit());
      const bool crowd = r.below(20) == 0;
      d.gt.add(ann++, img, cat, x, y, w, h, area, crowd);
      if (r.below(10) < 7) {
        const double jx = (r.unit() - 0.5) * 0.4 * w, jy = (r.unit() - 0.5) * 0.4 * h;
        const auto dcat = r.below(8) == 0 ? d.gt.categories[r.below(K)].id : cat;
        d.dt.add(img, dcat, x + jx, y + jy, w * (0.8 + 0.4 * r.unit()), h * (0.8 + 0.4 * r.unit()), score());
      }
    }
    const std::size_t n_fp = r.below(10) == 0 ? 25 : r.below(5);
    for (std::size_t j = 0; j < n_fp; ++j)
      d.dt.add(img, d.gt.categories[r.below(K)].id, r.unit() * 300, r.unit() * 300, 2 + r.unit() * 150,
               2 + r.unit() * 150, score());
  }
  coco::params p;
  if (r.below(2)) p.max_dets = {1, 3, 8};
  p.use_cats = r.below(4) != 0;
  d.p = coco::resolve_params(d.gt, p);
  return d;
}

// matcher feeding any accumulator, image by image
template <class Acc>
void match_image(const coco::grouped_data& data, const coco::params& p, std::size_t i, Acc& acc,
                 coco::matcher& mt) {
  coco::match_images(data, p, i, i + 1, acc, mt);
}

coco::binned_accumulator binned_pass(const dataset& d, std::size_t bins) {
  const coco::grouped_data data(d.gt, d.dt, d.p);
  coco::binned_accumulator acc(d.p, bins);
  coco::matcher mt(d.p);
  for (std::size_t i = 0; i < data.images(); ++i) match_image(data, d.p, i, acc, mt);
  return acc;
}

std::string fmt(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct bracket_counts {
  std::size_t entries = 0, loose = 0, strictly_inside = 0;
};

// Checks the bracket; returns an empty string or the first violation.
std::string check_bracket(const coco::eval_arrays& ex, const coco::binned_eval& bn,
                          const coco::binned_accumulator& acc, bracket_counts& n) {
  const auto& lo = bn.lower;
  const auto& hi = bn.upper;
  if (lo.precision.size() != ex.precision.size() || hi.precision.size() != ex.precision.size() ||
      lo.recall.size() != ex.recall.size() || hi.scores.size() != ex.scores.size())
    return "array sizes differ";
  for (std::size_t i = 0; i < ex.precision.size(); ++i) {
    const double e = ex.precision[i];
    if (e == -1) {
      if (lo.precision[i] != -1 || hi.precision[i] != -1)
        return "precision[" + std::to_string(i) + "]: not -1";
      continue;
    }
    ++n.entries;
    if (!(lo.precision[i] <= e && e <= hi.precision[i]))
      return "precision[" + std::to_string(i) + "]: exact " + fmt(e) + " outside [" + fmt(lo.precision[i]) +
             ", " + fmt(hi.precision[i]) + "]";
    n.loose += lo.precision[i] < hi.precision[i];
    n.strictly_inside += lo.precision[i] < e && e < hi.precision[i];
  }
  for (std::size_t i = 0; i < ex.recall.size(); ++i)
    if (lo.recall[i] != ex.recall[i] || hi.recall[i] != ex.recall[i])
      return "recall[" + std::to_string(i) + "]: exact " + fmt(ex.recall[i]) + ", binned " +
             fmt(lo.recall[i]);
  for (std::size_t i = 0; i < ex.scores.size(); ++i) {
    const double want = ex.scores[i] < 0 ? ex.scores[i] : acc.bin_edge(acc.bin_of(ex.scores[i]));
    if (lo.scores[i] != want || hi.scores[i] != want)
      return "scores[" + std::to_string(i) + "]: exact " + fmt(ex.scores[i]) + ", expected bin edge " +
             fmt(want) + ", got " + fmt(lo.scores[i]) + " / " + fmt(hi.scores[i]);
  }
  return {};
}

std::string check_stats(const std::array<double, 12>& ex, const coco::binned_stats& bs) {
  for (std::size_t i = 0; i < 12; ++i) {
    const bool ok =
        i < 6 ? bs.lower[i] <= ex[i] && ex[i] <= bs.upper[i] : bs.lower[i] == ex[i] && bs.upper[i] == ex[i];
    if (!ok)
      return "stats[" + std::to_string(i) + "]: exact " + fmt(ex[i]) + ", bounds [" + fmt(bs.lower[i]) +
             ", " + fmt(bs.upper[i]) + "]";
  }
  return {};
}

// For every (t, k, a, m) cell: does one bin hold both a true and a false positive among the kept records?
// Computed from the exact records, independently of the binned state.
std::vector<char> mixed_cells(const coco::exact_accumulator& ex, const coco::binned_accumulator& bn,
                              const coco::params& p) {
  const auto& d = ex.dims();
  const std::size_t M = p.max_dets.size(), B = bn.bins();
  std::vector<char> mixed(d.T * d.K * d.A * M, 0);
  std::vector<std::uint64_t> tpm(B), fpm(B);
  for (std::size_t k = 0; k < d.K; ++k) {
    const auto& c = ex.categories()[k];
    for (std::size_t a = 0; a < d.A; ++a)
      for (std::size_t m = 0; m < M; ++m) {
        std::fill(tpm.begin(), tpm.end(), 0);
        std::fill(fpm.begin(), fpm.end(), 0);
        for (std::size_t j = 0; j < c.size(); ++j) {
          if (c.rank[j] >= static_cast<std::uint32_t>(p.max_dets[m])) continue;
          const auto b = bn.bin_of(c.score[j]);
          tpm[b] |= c.tp[j * d.A + a];
          fpm[b] |= c.fp[j * d.A + a];
        }
        std::uint64_t both = 0;
        for (std::size_t b = 0; b < B; ++b) both |= tpm[b] & fpm[b];
        for (std::size_t t = 0; t < d.T; ++t) mixed[((t * d.K + k) * d.A + a) * M + m] = (both >> t) & 1;
      }
  }
  return mixed;
}

// Scores mapped, per evaluated category (all pooled when use_cats is false), in increasing order onto
// 1/B, 2/B, ... keeping ties and order, so matching is unchanged and every bin holds one distinct score equal
// to its edge. Returns B; `distinct` tells whether all scores of a category were distinct.
std::size_t scores_on_edges(dataset& d, bool& distinct) {
  std::map<std::int64_t, std::vector<double>> groups;
  auto key = [&](std::size_t i) { return d.p->use_cats ? d.dt.category_id[i] : std::int64_t{0}; };
  for (std::size_t i = 0; i < d.dt.size(); ++i) groups[key(i)].push_back(d.dt.score[i]);
  std::size_t B = 2;
  distinct = true;
  for (auto& [k, v] : groups) {
    const auto n = v.size();
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    distinct = distinct && v.size() == n;
    B = std::max(B, v.size() + 1);
  }
  for (std::size_t i = 0; i < d.dt.size(); ++i) {
    const auto& v = groups[key(i)];
    const auto j =
        static_cast<std::size_t>(std::lower_bound(v.begin(), v.end(), d.dt.score[i]) - v.begin()) + 1;
    d.dt.score[i] = static_cast<double>(j) / static_cast<double>(B);
  }
  return B;
}

}  // namespace

TEST_CASE("the exact evaluation lies within the binned bounds on every conformance case") {
  const auto dirs = coco_case_dirs();
  REQUIRE(dirs.size() >= 11);
  for (const auto& dir : dirs) {
    const auto d = load_case(dir);
    const auto ex_acc = coco::accumulate(d.gt, d.dt, d.p);
    const auto ex = ex_acc.finalize(d.p);
    const auto ex_stats = coco::summarize(ex, d.p);
    for (std::size_t bins : {1, 7, 100, 1000, 5000}) {
      // the state takes 16 K A M T B bytes: keep each under 64 MiB (skips only `large` at B = 5000)
      const auto& dm = ex_acc.dims();
      if (16 * dm.K * dm.A * d.p->max_dets.size() * dm.T * bins > (std::size_t{64} << 20)) continue;
      const std::string ctx = d.name + " B=" + std::to_string(bins) + ": ";
      const auto bn_acc = binned_pass(d, bins);
      CHECK_MESSAGE(bn_acc.detections() == ex_acc.detections(), ctx);
      // fed from the exact records instead of the matcher: the same state
      coco::binned_accumulator replay(d.p, bins);
      replay.add(ex_acc);
      CHECK_MESSAGE(replay == bn_acc, ctx << "replayed exact records give another state");
      const auto bn = bn_acc.finalize(d.p);
      bracket_counts n;
      const auto msg = check_bracket(ex, bn, bn_acc, n);
      CHECK_MESSAGE(msg.empty(), ctx << msg);
      const auto bs = coco::summarize(bn, d.p);
      const auto smsg = check_stats(ex_stats, bs);
      CHECK_MESSAGE(smsg.empty(), ctx << smsg);
      if (bins == 1000)
        MESSAGE(ctx << n.entries << " precision entries, " << n.loose << " with lower < upper; AP in ["
                    << fmt(bs.lower[0]) << ", " << fmt(bs.upper[0]) << "], exact " << fmt(ex_stats[0]));
    }
  }
}

TEST_CASE("sliced and streaming binned evaluations: each slice's state is the binned pass of its images") {
  std::size_t cases = 0, slices = 0;
  const std::vector<coco::slice_spec> specs = {{{"weather"}}, {{"weather", "timeofday"}}};
  for (const auto& dir : coco_case_dirs()) {
    const auto d = load_case(dir);
    bool scores_in_range = true;
    for (double v : d.dt.score) scores_in_range = scores_in_range && v >= 0 && v <= 1;
    if (!scores_in_range) continue;
    const std::size_t bins = 50;
    for (unsigned threads : {1u, 2u}) {
      const auto ex = coco::evaluate_sliced(d.gt, d.dt, *d.p, specs, threads);
      const auto bn = coco::evaluate_sliced_binned(d.gt, d.dt, *d.p, specs, bins, threads);
      REQUIRE(bn.slices.size() == ex.slices.size());
      CHECK(bn.all.bins == bins);
      CHECK(bn.all.p->img_ids == ex.all.p->img_ids);
      const std::string ctx = d.name + " threads=" + std::to_string(threads) + ": ";
      // the pooled result: the bracket of the single binned pass
      const auto whole = binned_pass(d, bins).finalize(d.p);
      CHECK_MESSAGE(whole.lower.precision == bn.all.arrays.lower.precision, ctx);
      CHECK_MESSAGE(whole.upper.precision == bn.all.arrays.upper.precision, ctx);
      const auto msg = check_stats(ex.all.stats, bn.all.stats);
      CHECK_MESSAGE(msg.empty(), ctx << "all: " << msg);
      for (std::size_t s = 0; s < ex.slices.size(); ++s) {
        const auto& es = ex.slices[s];
        const auto& bs = bn.slices[s];
        CHECK(bs.name == es.name);
        CHECK(bs.images == es.images);
        CHECK(bs.eval.p->img_ids == es.eval.p->img_ids);
        // the slice alone, through the plain binned pass on its images
        dataset sd = d;
        sd.p = d.p.with_images(es.eval.p->img_ids);
        const auto alone = binned_pass(sd, bins).finalize(sd.p);
        CHECK_MESSAGE(alone.lower.precision == bs.eval.arrays.lower.precision, ctx << es.name);
        CHECK_MESSAGE(alone.upper.precision == bs.eval.arrays.upper.precision, ctx << es.name);
        CHECK_MESSAGE(alone.lower.recall == bs.eval.arrays.lower.recall, ctx << es.name);
        const auto smsg = check_stats(es.eval.stats, bs.eval.stats);
        CHECK_MESSAGE(smsg.empty(), ctx << es.name << ": " << smsg);
        ++slices;
      }
      // streaming, frames in reverse order, 1 or 2 matching threads: the same bits as the batch path
      std::vector<coco::category_info> cats = d.gt.categories;
      coco::binned_stream_evaluator sev(cats, *d.p, specs, bins);
      auto frames = coco::frames_from_coco(d.gt, d.dt);
      std::reverse(frames.begin(), frames.end());
      std::size_t next = 0;
      coco::run_stream(
          [&](coco::frame& f) {
            if (next == frames.size()) return false;
            f = frames[next++];
            return true;
          },
          sev, threads);
      const auto st = sev.finalize();
      CHECK(st.all.stats.lower == bn.all.stats.lower);
      CHECK(st.all.stats.upper == bn.all.stats.upper);
      REQUIRE(st.slices.size() == bn.slices.size());
      for (std::size_t s = 0; s < st.slices.size(); ++s) {
        CHECK(st.slices[s].name == bn.slices[s].name);
        CHECK(st.slices[s].images == bn.slices[s].images);
        CHECK(st.slices[s].eval.arrays.lower.precision == bn.slices[s].eval.arrays.lower.precision);
        CHECK(st.slices[s].eval.arrays.upper.precision == bn.slices[s].eval.arrays.upper.precision);
      }
      // its state round-trips through the wire and merges with the fingerprint check
      auto other = sev.fresh();
      other.merge_serialized(sev.serialize());
      CHECK(other.state() == sev.state());
      coco::binned_stream_evaluator coarser(cats, *d.p, specs, bins + 1);
      CHECK_THROWS_AS(coarser.merge_serialized(sev.serialize()), input_error);
      CHECK_THROWS_AS(coarser.merge(sev), usage_error);
    }
    ++cases;
  }
  CHECK(cases >= 8);
  CHECK(slices > 40);
  MESSAGE(cases << " cases, " << slices << " slice brackets checked");
}

TEST_CASE("the binned stream evaluator refuses bad bin counts and scores outside [0, 1] naming the frame") {
  const std::vector<coco::category_info> cats = {{1, "a"}};
  CHECK_THROWS_AS(coco::binned_stream_evaluator(cats, {}, {}, 0), usage_error);
  coco::binned_stream_evaluator ev(cats, {}, {{{"weather"}}}, 10);
  coco::frame f;
  f.id = 42;
  f.attrs = {{"weather", "rain"}};
  f.gt.add(1, 1, 0, 0, 10, 10, 100, false);
  f.dt.add(1, 0, 0, 10, 10, 3.5);
  CHECK_THROWS_WITH_AS(ev.add(f),
                       doctest::Contains("frame 42: dt[0].score: detection score 3.5 is outside [0, 1]"),
                       input_error);
  CHECK(ev.frames() == 0);  // the state is unchanged
}

TEST_CASE("the exact evaluation lies within the binned bounds on random datasets") {
  std::size_t checked = 0, entries = 0, loose = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    const auto d = make_random(seed);
    const auto ex_acc = coco::accumulate(d.gt, d.dt, d.p);
    const auto ex = ex_acc.finalize(d.p);
    const auto ex_stats = coco::summarize(ex, d.p);
    rng r{seed * 977};
    for (int rep = 0; rep < 3; ++rep) {
      const std::size_t bins = rep == 0 ? 1 : 1 + r.below(rep == 1 ? 30 : 3000);
      const std::string ctx = d.name + " B=" + std::to_string(bins) + ": ";
      const auto bn_acc = binned_pass(d, bins);
      const auto bn = bn_acc.finalize(d.p);
      bracket_counts n;
      const auto msg = check_bracket(ex, bn, bn_acc, n);
      CHECK_MESSAGE(msg.empty(), ctx << msg);
      const auto smsg = check_stats(ex_stats, coco::summarize(bn, d.p));
      CHECK_MESSAGE(smsg.empty(), ctx << smsg);
      entries += n.entries, loose += n.loose;
      ++checked;
    }
  }
  CHECK(checked == 180);
  CHECK(loose > 0);  // the bounds are not trivially equal: the test can tell them apart
  MESSAGE(checked << " random (dataset, B) pairs, " << entries << " precision entries, " << loose
                  << " with lower < upper");
}

TEST_CASE("with scores on bin edges the bounds equal the exact arrays wherever bins do not mix TP and FP") {
  std::size_t cells_total = 0, cells_mixed = 0;
  auto run = [&](dataset& d, std::size_t bins, bool expect_pure, bool on_edges) {
    const std::string ctx = d.name + " B=" + std::to_string(bins) + ": ";
    const auto ex_acc = coco::accumulate(d.gt, d.dt, d.p);
    const auto ex = ex_acc.finalize(d.p);
    const auto bn_acc = binned_pass(d, bins);
    const auto bn = bn_acc.finalize(d.p);
    bracket_counts n;
    const auto msg = check_bracket(ex, bn, bn_acc, n);
    CHECK_MESSAGE(msg.empty(), ctx << msg);
    const auto mixed = mixed_cells(ex_acc, bn_acc, d.p);
    std::size_t nm = 0;
    std::string bad;
    for (std::size_t t = 0; t < ex.T; ++t)
      for (std::size_t k = 0; k < ex.K; ++k)
        for (std::size_t a = 0; a < ex.A; ++a)
          for (std::size_t m = 0; m < ex.M; ++m) {
            if (mixed[ex.r_index(t, k, a, m)]) {
              ++nm;
              continue;
            }
            for (std::size_t r = 0; r < ex.R && bad.empty(); ++r) {
              const auto i = ex.p_index(t, r, k, a, m);
              if (bn.lower.precision[i] != ex.precision[i] || bn.upper.precision[i] != ex.precision[i] ||
                  (on_edges && bn.lower.scores[i] != ex.scores[i]))
                bad = "cell t=" + std::to_string(t) + " k=" + std::to_string(k) + " a=" + std::to_string(a) +
                      " m=" + std::to_string(m) + " r=" + std::to_string(r) + ": exact " +
                      fmt(ex.precision[i]) + " / score " + fmt(ex.scores[i]) + ", binned [" +
                      fmt(bn.lower.precision[i]) + ", " + fmt(bn.upper.precision[i]) + "] / score " +
                      fmt(bn.lower.scores[i]);
            }
          }
    CHECK_MESSAGE(bad.empty(), ctx << bad);
    if (expect_pure) {
      CHECK_MESSAGE(nm == 0, ctx << "all scores of a category are distinct, yet a bin mixes TP and FP");
      const auto es = coco::summarize(ex, d.p);
      const auto bs = coco::summarize(bn, d.p);
      CHECK_MESSAGE((bs.lower == es && bs.upper == es), ctx << "summary differs");
    }
    cells_total += mixed.size(), cells_mixed += nm;
    return std::pair{nm, n};
  };
  for (const auto& dir : coco_case_dirs()) {
    auto d = load_case(dir);
    bool distinct = false;
    const auto bins = scores_on_edges(d, distinct);
    run(d, bins, distinct, true);
  }
  for (std::uint64_t seed = 100; seed < 130; ++seed) {
    auto d = make_random(seed);
    bool distinct = false;
    const auto bins = scores_on_edges(d, distinct);
    run(d, bins, distinct, true);
  }
  // score_ties as it is: scores in {0.1, 0.2, ..., 1.0}, so with B = 1000 every bin holds one distinct score
  // (1.0 lies in the last bin, [0.999, 1], and its score entries read 0.999: the general rule checked by
  // check_bracket). Equal scores are ordered by image id in the exact mode, which mixes TP and FP inside a
  // bin: there the bounds stay apart and the exact value lies between them.
  auto ties = load_case(fs::path(STRATUM_TEST_DATA_DIR "/coco/score_ties"));
  const auto [nm, n] = run(ties, 1000, false, false);
  CHECK(nm > 0);
  CHECK(n.loose > 0);
  MESSAGE("score_ties, B=1000: " << nm << " of "
                                 << ties.p->iou_thrs.size() * ties.p->cat_ids.size() *
                                        ties.p->area_rngs.size() * ties.p->max_dets.size()
                                 << " cells mix TP and FP in a bin; " << n.loose << " of " << n.entries
                                 << " precision entries have lower < upper, exact strictly inside in "
                                 << n.strictly_inside);
  MESSAGE("scores on edges: " << cells_mixed << " of " << cells_total << " cells mixed in all");
}

TEST_CASE("binned merge and serialization: any split gives the same state") {
  std::size_t splits = 0;
  for (const auto& dir : coco_case_dirs()) {
    const auto d = load_case(dir);
    if (d.name == "large") continue;  // covered by the exact property test; keep this one fast
    const coco::grouped_data data(d.gt, d.dt, d.p);
    const std::size_t bins = 250;
    const auto whole = binned_pass(d, bins);
    const auto want = whole.finalize(d.p);
    rng r{std::hash<std::string>{}(d.name) | 1};
    for (int rep = 0; rep < 8; ++rep, ++splits) {
      const std::size_t S = 1 + r.below(8);
      std::vector<coco::binned_accumulator> parts(S, coco::binned_accumulator(d.p, bins));
      std::vector<std::size_t> order(data.images());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[r.below(i)]);
      coco::matcher mt(d.p);
      for (auto i : order) match_image(data, d.p, i, parts[r.below(S)], mt);
      parts.emplace_back();  // the empty default state: identity of merge
      while (parts.size() > 1) {
        const auto i = r.below(parts.size());
        auto j = r.below(parts.size() - 1);
        if (j >= i) ++j;
        if (r.below(2)) {
          const auto bytes = coco::serialize(parts[j]);
          parts[i] += r.below(2) ? coco::deserialize_binned(bytes) : coco::deserialize_binned(bytes, d.p);
        } else {
          parts[i].merge(parts[j]);
        }
        parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(j));
      }
      const std::string ctx = d.name + " split " + std::to_string(rep) + " into " + std::to_string(S) + ": ";
      CHECK_MESSAGE(parts[0] == whole, ctx << "state differs");
      const auto got = parts[0].finalize(d.p);
      CHECK_MESSAGE(
          (got.lower.precision == want.lower.precision && got.upper.precision == want.upper.precision &&
           got.lower.recall == want.lower.recall && got.lower.scores == want.lower.scores),
          ctx << "arrays differ");
    }
    // round trip: same state, same bytes
    const auto bytes = coco::serialize(whole);
    const auto back = coco::deserialize_binned(bytes, d.p);
    CHECK(back == whole);
    CHECK(coco::serialize(back) == bytes);
    // merging the empty state, either way, changes nothing
    auto a = whole;
    a.merge(coco::binned_accumulator{});
    CHECK(a == whole);
    coco::binned_accumulator e;
    e += whole;
    CHECK(e == whole);
    a.merge(coco::binned_accumulator(d.p, bins));
    CHECK(a == whole);
  }
  CHECK(splits == 80);
}

TEST_CASE("binned memory does not grow with the number of detections") {
  coco::params p;
  p.cat_ids = {1, 2, 3};
  const std::size_t bins = 500;
  coco::binned_accumulator acc(coco::resolve_params(p), bins);
  const std::size_t K = 3, A = 4, M = 3, T = 10;
  const std::size_t formula =
      sizeof(coco::binned_accumulator) + 16 * K * A * M * T * bins + 8 * K * M * bins + 8 * K * A + 4 * M;
  CHECK(acc.memory_bytes() == formula);
  rng r{42};
  std::uint64_t tp[4], fp[4];
  for (int i = 0; i < 100000; ++i) {
    for (int a = 0; a < 4; ++a) {
      const auto bits = r.next() & 0x3ff;
      tp[a] = r.below(2) ? bits : 0;
      fp[a] = tp[a] ? 0 : (r.below(2) ? ~bits & 0x3ff : 0);
    }
    acc.add_detection(r.below(K), r.unit(), i, static_cast<std::uint32_t>(r.below(150)), tp, fp);
  }
  CHECK(acc.memory_bytes() == formula);
  CHECK(acc.detections() > 60000);  // ranks >= 100 are dropped
  CHECK(acc.detections() < 100000);
}

TEST_CASE("bin edges and bad input") {
  coco::params p;
  p.cat_ids = {7};
  coco::binned_accumulator acc(coco::resolve_params(p), 1000);
  // bin b holds [b/B, (b+1)/B); 1.0 goes in the last bin
  CHECK(acc.bin_of(0.0) == 0);
  CHECK(acc.bin_of(1.0) == 999);
  CHECK(acc.bin_of(0.999) == 999);
  CHECK(acc.bin_of(std::nextafter(0.999, 0.0)) == 998);
  for (std::size_t j = 0; j < 1000; ++j) {
    const double e = static_cast<double>(j) / 1000.0;
    CHECK(acc.bin_of(e) == j);
    CHECK(acc.bin_edge(j) == e);
    if (j) CHECK(acc.bin_of(std::nextafter(e, 0.0)) == j - 1);
  }
  // every B: the edges are exact bin boundaries
  for (std::size_t B : {1, 3, 7, 10, 49, 100, 999, 1024, 4097}) {
    coco::binned_accumulator b(coco::resolve_params(p), B);
    for (std::size_t j = 0; j < B; ++j) {
      CHECK(b.bin_of(b.bin_edge(j)) == j);
      if (j) CHECK(b.bin_of(std::nextafter(b.bin_edge(j), 0.0)) == j - 1);
    }
  }
  const std::uint64_t tp[4] = {1, 0, 0, 0}, fp[4] = {0, 0, 0, 0};
  CHECK_THROWS_AS(acc.add_detection(0, 1.5, 1, 0, tp, fp), input_error);
  CHECK_THROWS_AS(acc.add_detection(0, -0.1, 1, 0, tp, fp), input_error);
  CHECK_THROWS_AS(acc.add_detection(0, std::nan(""), 1, 0, tp, fp), input_error);
  CHECK_THROWS_WITH_AS(acc.add_detection(1, 0.5, 1, 0, tp, fp), doctest::Contains("category index 1"),
                       usage_error);
  CHECK_THROWS_WITH_AS(acc.add_ground_truths(0, 0, -1), doctest::Contains("negative count -1"), usage_error);
  CHECK_THROWS_AS(acc.add_ground_truths(0, 4, 1), usage_error);
  CHECK_THROWS_AS(coco::binned_accumulator(coco::resolve_params(p), 0), usage_error);
  CHECK_THROWS_AS(coco::binned_accumulator(coco::resolve_params(p), coco::binned_accumulator::max_bins + 1),
                  usage_error);
  // other parameters, bins or shapes cannot be merged or finalized together
  coco::params q = p;
  q.iou_thrs = {0.5};
  CHECK_THROWS_AS(acc.merge(coco::binned_accumulator(coco::resolve_params(q), 1000)), usage_error);
  CHECK_THROWS_AS(acc.merge(coco::binned_accumulator(coco::resolve_params(p), 999)), usage_error);
  CHECK_THROWS_AS((void)acc.finalize(coco::resolve_params(q)), usage_error);
  coco::params r = p;
  r.max_dets = {1, 10, 50};
  CHECK_THROWS_AS((void)acc.finalize(coco::resolve_params(r)), usage_error);
  CHECK_THROWS_AS((void)coco::binned_accumulator{}.finalize(coco::resolve_params(p)), usage_error);
  CHECK_THROWS_WITH_AS((void)acc.finalize(coco::resolved_params{}), doctest::Contains("not resolved"),
                       usage_error);
  CHECK_THROWS_WITH_AS(coco::binned_accumulator(coco::resolved_params{}, 10),
                       doctest::Contains("not resolved"), usage_error);
  // rec_thrs are free at finalize
  coco::params s = p;
  s.rec_thrs = {0.0, 0.5, 1.0};
  acc.add_ground_truths(0, 0, 1);
  acc.add_detection(0, 0.5, 1, 0, tp, fp);
  const auto e = acc.finalize(coco::resolve_params(s));
  CHECK(e.lower.R == 3);
  CHECK(e.upper.precision[e.upper.p_index(0, 2, 0, 0, 2)] == 1.0 / (1.0 + 2.220446049250313e-16));
}
