// Tests for <stratum/audit/stream.hpp>: the audit of a frame stream equals the batch audit of the same images
// (the whole JSON report, byte for byte: counts, chosen thresholds, rates, findings) on every case of
// ../shared/conformance/operating/, whatever the split into shards, their order, the arrival order of the
// frames within them, the number of matching threads and a trip through the wire format; plus duplicate
// frames across shards, foreign states and restricted image lists. The calibration is part of the report.
#include <doctest/doctest.h>

#include <stratum/audit/calibration.hpp>
#include <stratum/audit/errors.hpp>
#include <stratum/audit/findings.hpp>
#include <stratum/audit/stream.hpp>
#include <stratum/coco/stream.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/report/audit_json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "audit_cases.hpp"
#include "coco_cases.hpp"

namespace fs = std::filesystem;
using namespace stratum;

namespace {

// One slicing per attribute key the images have (and provenance when given), and the joint of the first two.
std::vector<coco::slice_spec> specs_of(const coco::ground_truth& gt) {
  std::set<std::string> keys;
  bool provenance = false;
  for (const auto& im : gt.images) {
    for (const auto& [k, v] : im.attrs) keys.insert(k);
    provenance = provenance || !im.provenance.empty();
  }
  std::vector<coco::slice_spec> out;
  for (const auto& k : keys) out.push_back({{k}});
  if (provenance) out.push_back({{"provenance"}});
  if (keys.size() >= 2) out.push_back({{*keys.begin(), *std::next(keys.begin())}});
  return out;
}

// The whole report of an audit: every operating point with its findings, its error analysis and, when the
// records carry what it needs, its calibration.
std::string report_of(const audit::audit_result& r) {
  std::vector<audit::findings> f;
  std::vector<audit::operating_errors> e;
  std::vector<audit::operating_calibration> c;
  for (const auto& op : r.points) {
    f.push_back(audit::find(r, op, 0.05, stats::p_value_adjustment::holm));
    e.push_back(audit::errors(r, op));
    if ((r.records.calibration_mask() >> op.t) & 1u) c.push_back(audit::calibrate(r, op));
  }
  const bool calibrated = c.size() == r.points.size() && !c.empty();
  return report::audit_json(r, {.findings = &f, .errors = &e, .calibration = calibrated ? &c : nullptr});
}

audit::audit_options options_for(const coco::resolved_params& rp, audit::threshold_policy policy) {
  audit::audit_options o;
  o.ious = {rp->iou_thrs.front()};
  for (double v : {0.5, 0.75})
    for (double t : rp->iou_thrs)
      if (std::abs(t - v) < 1e-9 && std::abs(v - o.ious.front()) > 1e-9) o.ious.push_back(v);
  o.thresholds = std::move(policy);
  o.calibration = true;
  return o;
}

}  // namespace

TEST_CASE("the stream audit equals the batch audit for any split, order, thread count and wire trip") {
  const fs::path root = STRATUM_SHARED_DIR "/conformance/operating";
  REQUIRE_MESSAGE(fs::exists(root), "missing " << root);
  std::size_t cases = 0;
  stratum_test::splitmix64 rng{7};
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    const std::string name = dir.path().filename().string();
    if (name == "bdd100k_val200" && !fs::exists(STRATUM_SHARED_DIR "/data/bdd100k_val200/gt_coco.json"))
      continue;
    auto src = stratum_test::load_audit_source(name);
    // the cases carry no provenance: give most images one, so that the evidence and provenance slices count
    const char* kinds[] = {"real", "synthetic", "augmented", "real", ""};
    for (auto& im : src.gt.images) im.provenance = kinds[static_cast<std::uint64_t>(im.id) % 5];
    const auto specs = specs_of(src.gt);
    const auto rp = coco::resolve_params(src.gt, src.p);
    audit::threshold_policy chosen;
    chosen.what = audit::threshold_policy::kind::chosen;
    chosen.rule = audit::choice_rule::parse("f1");
    for (const auto& policy : {audit::threshold_policy{}, chosen}) {
      const auto o = options_for(rp, policy);
      const std::string want = report_of(audit::run_audit(src.gt, src.dt, src.p, specs, o));
      REQUIRE(want.find("\"calibration\": {\"iou\"") != std::string::npos);
      auto frames = coco::frames_from_coco(src.gt, src.dt);
      INFO(name, " thresholds ", policy.str());

      // one stream, frames in input order, 1 and 2 matching threads
      for (unsigned threads : {1u, 2u}) {
        audit::audit_stream au(src.gt.categories, src.p, o.ious);
        std::size_t i = 0;
        coco::run_stream(
            [&](coco::frame& f) {
              if (i == frames.size()) return false;
              f = frames[i++];
              return true;
            },
            au, threads);
        CHECK(report_of(au.finalize(specs, o)) == want);
      }
      // shuffled into three shards, each through the wire format, merged in a shuffled order
      for (int trial = 0; trial < 3; ++trial) {
        for (std::size_t i = frames.size(); i > 1; --i) std::swap(frames[i - 1], frames[rng.below(i)]);
        const audit::audit_stream proto(src.gt.categories, src.p, o.ious);
        std::vector<audit::audit_stream> shards(3, proto.fresh());
        for (std::size_t i = 0; i < frames.size(); ++i) shards[rng.below(3)].add(frames[i]);
        std::vector<std::vector<std::byte>> bytes;
        for (const auto& s : shards) bytes.push_back(s.serialize());
        std::swap(bytes[0], bytes[rng.below(3)]);
        auto merged = proto.fresh();
        for (const auto& b : bytes) merged.merge_serialized(b);
        CHECK(merged.state() == audit::audit_stream_state::deserialize(merged.serialize()));
        CHECK(report_of(merged.finalize(specs, o)) == want);
        // the canonical bytes do not depend on the split either
        audit::audit_stream whole = proto.fresh();
        for (const auto& f : frames) whole.add(f);
        CHECK(whole.serialize() == merged.serialize());
      }
    }
    ++cases;
  }
  CHECK(cases >= 11);
}

TEST_CASE("audit stream: duplicate frames across shards, foreign states, restricted images") {
  const auto src = stratum_test::load_audit_source("basic");
  const auto frames = coco::frames_from_coco(src.gt, src.dt);
  REQUIRE(frames.size() >= 4);
  const audit::audit_stream proto(src.gt.categories, src.p);

  SUBCASE("a frame in two shards is refused at finalize, naming it") {
    auto a = proto.fresh(), b = proto.fresh();
    for (const auto& f : frames) a.add(f);
    b.add(frames[2]);
    a.merge(b);
    CHECK_THROWS_WITH_AS(
        (void)a.finalize({}),
        ("stream: frame " + std::to_string(frames[2].id) + " was added more than once").c_str(), input_error);
  }
  SUBCASE("a state of other parameters is refused by its fingerprint, and by its shape") {
    coco::params other = src.p;
    other.iou_thrs = {0.5, 0.6};
    audit::audit_stream x(src.gt.categories, other);
    x.add(frames[0]);
    auto a = proto.fresh();
    CHECK_THROWS_WITH_AS(a.merge_serialized(x.serialize()), doctest::Contains("does not match this audit's"),
                         input_error);
    CHECK_THROWS_AS(a.merge(x.state()), usage_error);
    CHECK(a.state() == proto.fresh().state());
  }
  SUBCASE("bad frames are refused naming the frame and field; the state is unchanged") {
    auto a = proto.fresh();
    a.add(frames[0]);
    const auto before = a.serialize();
    auto f = frames[1];
    f.dt.add(999, 0, 0, 1, 1, 0.5);
    const std::string want = "frame " + std::to_string(f.id) + ": dt[" + std::to_string(f.dt.size() - 1) +
                             "].category_id: category 999 is not declared";
    CHECK_THROWS_WITH_AS(a.add(f), want.c_str(), input_error);
    CHECK(a.serialize() == before);
  }
  SUBCASE("restricted img_ids: frames outside are skipped, listed images never seen are evaluated empty") {
    coco::params p = src.p;
    for (std::size_t i = 0; i < src.gt.images.size(); i += 2) p.img_ids.push_back(src.gt.images[i].id);
    p.img_ids.push_back(123456789);  // in no frame: an image without objects or detections
    audit::audit_options o;
    o.ious = {0.5};
    const std::vector<coco::slice_spec> specs = {{{"weather"}}};
    const auto want = report_of(audit::run_audit(src.gt, src.dt, p, specs, o));
    audit::audit_stream a(src.gt.categories, p);
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) a.add(*it);
    const auto r = a.finalize(specs, o);
    CHECK(r.p->img_ids.size() == p.img_ids.size());
    CHECK(report_of(r) == want);
  }
  SUBCASE("no frame: an empty audit, as the batch audit of no image") {
    const auto r = proto.fresh().finalize({}, {});
    CHECK(r.p->img_ids.empty());
    CHECK(r.points.at(0).all.all.n_images == 0);
  }
}
