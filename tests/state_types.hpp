// Every state type of the library, with what the state-concept test (state_concept_test.cpp) and the
// golden-file test (state_golden_test.cpp) need to know of it: its name, how to draw random input items, and
// how to build a state from a list of items (in the order given). New state types are added here: the
// static_asserts below and both tests then cover them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <stratum/audit/operating.hpp>
#include <stratum/audit/stream.hpp>
#include <stratum/baseline/profile.hpp>
#include <stratum/calibration/bins.hpp>
#include <stratum/coco/binned.hpp>
#include <stratum/coco/stream.hpp>
#include <stratum/core/state.hpp>
#include <stratum/stats/bootstrap.hpp>
#include <stratum/stats/histogram.hpp>
#include <stratum/stats/quantile_sketch.hpp>

#include "coco_cases.hpp"

namespace stratum_test {

using rng = splitmix64;

static_assert(stratum::mergeable_state<stratum::coco::exact_accumulator>);
static_assert(stratum::mergeable_state<stratum::coco::binned_accumulator>);
static_assert(stratum::mergeable_state<stratum::coco::stream_state>);
static_assert(stratum::mergeable_state<stratum::coco::binned_stream_state>);
static_assert(stratum::mergeable_state<stratum::stats::histogram>);
static_assert(stratum::mergeable_state<stratum::stats::quantile_sketch>);
static_assert(stratum::mergeable_state<stratum::stats::bootstrap_sums>);
static_assert(stratum::mergeable_state<stratum::calibration::calibration_bins>);
static_assert(stratum::mergeable_state<stratum::calibration::class_calibration_bins>);
static_assert(stratum::mergeable_state<stratum::audit::operating_records>);
static_assert(stratum::mergeable_state<stratum::audit::audit_stream_state>);
static_assert(stratum::mergeable_state<stratum::baseline::profile>);

template <class S>
struct state_traits;

// A COCO record: category k, score, image, rank, masks over T = 3 thresholds for A = 2 area ranges.
struct coco_record {
  std::size_t k = 0;
  double score = 0;
  std::int64_t image = 0;
  std::uint32_t rank = 0;
  std::uint64_t tp[2] = {0, 0}, fp[2] = {0, 0};
  std::int64_t gt = 0;  // ground truths added with the record, in area range rank % 2
};

inline coco_record draw_record(rng& r) {
  coco_record c;
  c.k = r.below(4);
  // a quarter of the scores tie; the binned state needs [0, 1]
  c.score = r.below(4) == 0 ? 0.5 : r.unit();
  c.image = static_cast<std::int64_t>(r.below(50)) - 10;
  c.rank = static_cast<std::uint32_t>(r.below(12));
  for (int a = 0; a < 2; ++a) {
    const std::uint64_t bits = r.next() & 7u;
    const std::uint64_t which = r.next() & 7u;
    c.tp[a] = bits & which;
    c.fp[a] = bits & ~which;
  }
  c.gt = static_cast<std::int64_t>(r.below(3));
  return c;
}

/// Feeds COCO records to an exact or binned state (the same records: matcher::match feeds either).
template <class S>
S fed_records(S s, const std::vector<coco_record>& items) {
  for (const auto& c : items) {
    s.add_detection(c.k, c.score, c.image, c.rank, c.tp, c.fp);
    s.add_ground_truths(c.k, c.rank % 2, c.gt);
  }
  return s;
}

inline stratum::coco::params small_coco_params() {
  stratum::coco::params p;
  p.iou_thrs = {0.5, 0.75, 0.9};
  p.max_dets = {3, 10};
  p.area_rngs = {{0, 1e10, "all"}, {0, 1024, "small"}};
  p.cat_ids = {1, 2, 3, 4};
  return p;
}

template <>
struct state_traits<stratum::coco::exact_accumulator> {
  using S = stratum::coco::exact_accumulator;
  using item = coco_record;
  static constexpr const char* name = "coco_exact";
  static item draw(rng& r) { return draw_record(r); }
  static S make(const std::vector<item>& items) { return fed_records(S({3, 4, 2}), items); }
};

template <>
struct state_traits<stratum::coco::binned_accumulator> {
  using S = stratum::coco::binned_accumulator;
  using item = coco_record;
  static constexpr const char* name = "coco_binned";
  static item draw(rng& r) { return draw_record(r); }
  static S make(const std::vector<item>& items) {
    return fed_records(S(stratum::coco::resolve_params(small_coco_params()), 16), items);
  }
};

// Frames of a small stream, sliced by weather and by weather x rig.
// The stream states' configuration, and the state of a fresh evaluator like `prototype` fed `frames`.
inline std::vector<stratum::coco::category_info> stream_categories() {
  return {{1, "a"}, {2, "b"}, {3, "c"}};
}
inline std::vector<stratum::coco::slice_spec> stream_specs() {
  return {{{"weather"}}, {{"weather", "rig"}}};
}
template <class Evaluator>
auto fed_frames(const Evaluator& prototype, const std::vector<stratum::frame>& frames) {
  auto ev = prototype.fresh();
  for (const auto& f : frames) ev.add(f);
  return ev.state();
}

template <>
struct state_traits<stratum::coco::stream_state> {
  using S = stratum::coco::stream_state;
  using item = stratum::frame;
  static constexpr const char* name = "coco_stream";
  static item draw(rng& r) {
    stratum::frame f;
    f.id = static_cast<std::int64_t>(r.next() >> 20);  // distinct with overwhelming probability
    f.attrs = {{"weather", r.below(2) ? "rain" : "clear"}};
    if (r.below(3)) f.attrs.push_back({"rig", r.below(2) ? "a" : "b"});
    const auto ngt = r.below(4), ndt = r.below(6);
    for (std::size_t i = 0; i < ngt; ++i) {
      const double x = 40.0 * static_cast<double>(r.below(5)), w = 10 + 30 * r.unit();
      f.gt.add(static_cast<std::int64_t>(1000 * f.id + static_cast<std::int64_t>(i) + 1),
               1 + static_cast<std::int64_t>(r.below(3)), x, x, w, w, w * w, r.below(8) == 0);
    }
    for (std::size_t i = 0; i < ndt; ++i) {
      const double x = 40.0 * static_cast<double>(r.below(5)) + 3 * r.unit(), w = 10 + 30 * r.unit();
      f.dt.add(1 + static_cast<std::int64_t>(r.below(3)), x, x, w, w, r.below(3) == 0 ? 0.5 : r.unit());
    }
    return f;
  }
  static S make(const std::vector<item>& items) {
    static const stratum::coco::stream_evaluator prototype(stream_categories(), {}, stream_specs());
    return fed_frames(prototype, items);
  }
};

// The same frames into the bounded-memory stream state (12 score bins).
template <>
struct state_traits<stratum::coco::binned_stream_state> {
  using S = stratum::coco::binned_stream_state;
  using item = stratum::frame;
  static constexpr const char* name = "coco_stream_binned";
  static item draw(rng& r) { return state_traits<stratum::coco::stream_state>::draw(r); }
  static S make(const std::vector<item>& items) {
    static const stratum::coco::binned_stream_evaluator prototype(stream_categories(), {}, stream_specs(),
                                                                  12);
    return fed_frames(prototype, items);
  }
};

// Audit records: the stream states' frames matched into them (so the error records and missed ground truths
// are there too), now and then with a signed-zero score (they order by their bits), with calibration data at
// IoU 0.5 and 0.75 (frames mostly with a size, so the boxes are known; the audit stream state below has
// records without calibration data).
template <>
struct state_traits<stratum::audit::operating_records> {
  using S = stratum::audit::operating_records;
  using item = stratum::frame;
  static constexpr const char* name = "audit_records";
  static item draw(rng& r) {
    auto f = state_traits<stratum::coco::stream_state>::draw(r);
    for (auto& s : f.dt.score)
      if (r.below(5) == 0) s = r.below(2) ? -0.0 : 0.0;
    if (r.below(4) != 0) f.width = 640, f.height = 480;
    return f;
  }
  static S make(const std::vector<item>& items) {
    static const stratum::audit::audit_stream prototype(stream_categories(), {}, {0.5, 0.75});
    return fed_frames(prototype, items).records;
  }
};

// The audit stream state: the stream states' frames (with provenance now and then) into an audit stream.
template <>
struct state_traits<stratum::audit::audit_stream_state> {
  using S = stratum::audit::audit_stream_state;
  using item = stratum::frame;
  static constexpr const char* name = "audit_stream";
  static item draw(rng& r) {
    auto f = state_traits<stratum::coco::stream_state>::draw(r);
    if (r.below(3) == 0) f.provenance = r.below(2) ? "synthetic" : "real";
    return f;
  }
  static S make(const std::vector<item>& items) {
    static const stratum::audit::audit_stream prototype(stream_categories());
    return fed_frames(prototype, items);
  }
};

template <>
struct state_traits<stratum::stats::histogram> {
  using S = stratum::stats::histogram;
  using item = double;
  static constexpr const char* name = "histogram";
  static item draw(rng& r) { return 12 * r.unit() - 1; }  // some under- and overflow
  static S make(const std::vector<item>& items) {
    auto s = S::uniform(0, 10, 8);
    for (double x : items) s.add(x);
    return s;
  }
};

template <>
struct state_traits<stratum::stats::quantile_sketch> {
  using S = stratum::stats::quantile_sketch;
  using item = double;
  static constexpr const char* name = "quantile_sketch";
  static item draw(rng& r) {
    const double u = r.unit();
    return r.below(10) == 0 ? 0.0 : (r.below(2) ? -1 : 1) * u * u * 1e3;
  }
  static S make(const std::vector<item>& items) {
    S s(6);
    for (double x : items) s.add(x);
    return s;
  }
};

template <>
struct state_traits<stratum::stats::bootstrap_sums> {
  using S = stratum::stats::bootstrap_sums;
  using item = std::tuple<std::uint64_t, double, double>;  // unit, two columns
  static constexpr const char* name = "bootstrap_sums";
  static item draw(rng& r) { return {r.below(40), r.unit() - 0.25, r.below(2) ? 1.0 : 0.0}; }
  static S make(const std::vector<item>& items) {
    S s(7, 20, 2, true);
    for (const auto& [u, a, b] : items) s.add(u, {a, b});
    return s;
  }
};

template <>
struct state_traits<stratum::calibration::calibration_bins> {
  using S = stratum::calibration::calibration_bins;
  using item = std::tuple<double, double, double>;  // confidence, target, one box feature
  static constexpr const char* name = "calibration_bins";
  static item draw(rng& r) { return {r.unit(), r.below(2) ? 1.0 : 0.0, r.unit()}; }
  static S make(const std::vector<item>& items) {
    using stratum::calibration::bin_edges;
    S s(std::vector<bin_edges>{bin_edges::equal_width(10), bin_edges::equal_width(4)});
    std::uint64_t i = 0;
    for (const auto& [c, y, f] : items) {
      const double feat[1] = {f};
      s.add(c, y, feat, i++);
    }
    return s;
  }
};

template <>
struct state_traits<stratum::calibration::class_calibration_bins> {
  using S = stratum::calibration::class_calibration_bins;
  using item = std::tuple<std::int64_t, double, double>;  // class, confidence, target
  static constexpr const char* name = "class_calibration_bins";
  static item draw(rng& r) { return {static_cast<std::int64_t>(r.below(5)) - 1, r.unit(), r.unit()}; }
  static S make(const std::vector<item>& items) {
    using stratum::calibration::bin_edges;
    S s(std::vector<bin_edges>{bin_edges::equal_width(6)});
    std::uint64_t i = 0;
    for (const auto& [k, c, y] : items) s.add(k, c, y, {}, i++);
    return s;
  }
};

// Drift profiles: the stream states' frames (scores in [0, 1]), with a few coarse bins of each feature, now
// and then a frame with provenance (no slicing uses it) or without detections.
template <>
struct state_traits<stratum::baseline::profile> {
  using S = stratum::baseline::profile;
  using item = stratum::frame;
  static constexpr const char* name = "drift_profile";
  static item draw(rng& r) {
    auto f = state_traits<stratum::coco::stream_state>::draw(r);
    if (r.below(3) == 0) f.provenance = "synthetic";
    // three of four frames carry an embedding of 3 values, drawn from the frame's own generator (the other
    // draws stay those of version 1, whose golden file holds no embeddings)
    rng e{static_cast<std::uint64_t>(f.id) * 0x9E3779B97F4A7C15ULL + f.dt.size()};
    if (e.below(4) != 0) f.embedding = {e.unit() * 4 - 2, e.unit() * 1e-3, static_cast<double>(e.below(5))};
    return f;
  }
  static stratum::baseline::embedding_shape embedding() {
    stratum::baseline::embedding_shape s;
    s.exponent = {18, 30, 17};
    s.centre = {0, 5e-4, 2};
    s.scale = {1.1, 3e-4, 1.4};
    s.features = 2;
    s.freq = {0.3, -0.2, 0.5, -0.4, 0.1, 0.25};
    s.phase = {1.0, 4.0};
    return s;
  }
  static stratum::baseline::binning bins() {
    stratum::baseline::binning b;
    b.cuts.resize(4);
    for (std::size_t k = 0; k < 4; ++k) b.cuts[k][0] = {40, 100, static_cast<std::uint32_t>(150 + k)};
    b.cuts[0][1] = {90, 110};
    b.cuts[0][2] = {80};
    return b;
  }
  static S make(const std::vector<item>& items) {
    S s({1, 2, 3}, stream_specs(), bins(), embedding());
    for (const auto& f : items) s.add(f);
    return s;
  }
  /// The state as a golden file of an older version holds it: version 1 has no embeddings.
  static S as_version(int v, const std::vector<item>& items) {
    if (v >= 2) return make(items);
    S s({1, 2, 3}, stream_specs(), bins());
    for (const auto& f : items) s.add(f);
    return s;
  }
};

/// Every state type, for templated test cases.
#define STRATUM_STATE_TYPES                                                                           \
  stratum::coco::exact_accumulator, stratum::coco::binned_accumulator, stratum::coco::stream_state,   \
      stratum::coco::binned_stream_state, stratum::stats::histogram, stratum::stats::quantile_sketch, \
      stratum::stats::bootstrap_sums, stratum::calibration::calibration_bins,                         \
      stratum::calibration::class_calibration_bins, stratum::audit::operating_records,                \
      stratum::audit::audit_stream_state, stratum::baseline::profile

}  // namespace stratum_test
