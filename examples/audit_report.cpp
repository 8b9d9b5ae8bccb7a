// The audit through the library API: operating points at IoU 0.5 with F1-chosen thresholds per class, the
// miss rate and false alarms of every weather slice with their intervals, and the cliffs (slices worse than
// the rest, Holm-adjusted); where the errors come from (the AP each TIDE error type costs); whether the
// confidences say how often a detection is right (calibration from the evaluator's own matches); then the
// same audit from two merged shards. Usage: example_audit_report GT DT
#include <cstdio>
#include <vector>

#include <stratum/audit/audit.hpp>
#include <stratum/audit/calibration.hpp>
#include <stratum/audit/errors.hpp>
#include <stratum/audit/findings.hpp>
#include <stratum/audit/stream.hpp>
#include <stratum/io/coco_json.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s GT.json DT.json\n", argv[0]);
    return 2;
  }
  try {
    namespace audit = stratum::audit;
    const auto gt = stratum::io::load_coco_ground_truth(argv[1]);
    const auto dt = stratum::io::load_coco_results(argv[2], gt);
    audit::audit_options o;
    o.ious = {0.5};
    o.thresholds.what = audit::threshold_policy::kind::chosen;
    o.thresholds.rule = audit::choice_rule::parse("f1");
    o.calibration = true;  // keep each match's IoU and each box for calibration
    const std::vector<stratum::coco::slice_spec> slices = {{{"weather"}}};
    const auto res = audit::run_audit(gt, dt, {}, slices, o);
    const auto& op = res.points.front();
    auto row = [&](const char* name, const audit::operating_counts& c) {
      const auto r = res.rates(c);  // Wilson intervals at 95%, FPPI with the exact Poisson interval
      std::printf("%-16s %6llu objects  miss rate %.3f [%.3f, %.3f]  FPPI %.3f [%.3f, %.3f]\n", name,
                  static_cast<unsigned long long>(c.n_gt), r.miss_rate.value, r.miss_rate.lower,
                  r.miss_rate.upper, r.fppi.value, r.fppi.lower, r.fppi.upper);
    };
    row("all", op.all.all);
    for (const auto& s : op.slices) row(s.name.c_str(), s.counts.all);
    const auto f = audit::find(res, op);  // Holm over every slice x (miss rate, false-alarm images)
    for (const auto& c : f.cliffs)
      if (c.flagged)
        std::printf("cliff: %s %s %.3f vs %.3f in the rest (+%.3f [%.3f, %.3f])\n",
                    op.slices[c.slice].name.c_str(), c.rate, c.slice_rate, c.rest_rate, c.difference.estimate,
                    c.difference.lower, c.difference.upper);
    const auto e = audit::errors(res, op);  // TIDE types, the AP each costs, the confusion matrix
    const auto& tide = e.all.tide.all;
    std::printf("AP %.3f;", tide.ap.value_or(0));
    for (std::size_t t = 0; t < audit::n_error_types; ++t)
      std::printf(" %s costs %.3f", audit::correction_names[t], tide.cost(t).value_or(0));
    std::printf("\n");
    const auto cal = audit::calibrate(res, op);  // ECE, D-ECE, LaECE, ... pooled, per class, per slice
    const auto& above = cal.all.all.above;       // the detections at or above their class's threshold
    std::printf("calibration: ECE %.3f, debiased l2 %.3f, D-ECE %.3f, LaECE %.3f, overconfidence %+.3f\n",
                above.ece, above.debiased_l2, above.d_ece, above.laece, above.overconfidence);
    // The same audit from two shards, as two workers or machines would hold them, merged through the wire
    // format: the same counts, whatever the split.
    const auto frames = stratum::coco::frames_from_coco(gt, dt);
    std::vector<audit::audit_stream> shards(2, audit::audit_stream(gt.categories, {}, o.ious));
    for (std::size_t i = 0; i < frames.size(); ++i) shards[i % 2].add(frames[i]);
    audit::audit_stream merged(gt.categories, {}, o.ious);
    for (const auto& shard : shards) merged.merge_serialized(shard.serialize());
    const auto again = merged.finalize(slices, o);
    const bool same = again.points.front().all.all == op.all.all &&
                      audit::errors(again, again.points.front()).all.tide.all.counts == tide.counts &&
                      audit::calibrate(again, again.points.front()).all.all.above.ece == above.ece;
    std::printf("two shards merged: %s\n", same ? "the same counts and calibration" : "DIFFERENT results");
    if (!same) return 1;
  } catch (const stratum::input_error& e) {  // bad input: the message names the file, record and field
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
