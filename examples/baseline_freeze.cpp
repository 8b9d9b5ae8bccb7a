// A validation run frozen as a baseline file through the library API: the audit of GT / DT frame by frame,
// frozen with its F1-chosen thresholds and the SHA-256 of both inputs, written to bytes, read back, and its
// audit recomputed from the file (the same counts as the run's); then the same frames compared with it as a
// labelled window (baseline/performance.hpp): no rate moves. Usage: example_baseline_freeze GT DT
#include <cstdio>
#include <ctime>
#include <vector>

#include <stratum/baseline/file.hpp>
#include <stratum/baseline/performance.hpp>
#include <stratum/coco/stream.hpp>
#include <stratum/detail/sha256.hpp>
#include <stratum/io/coco_json.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s GT.json DT.json\n", argv[0]);
    return 2;
  }
  try {
    namespace audit = stratum::audit;
    namespace baseline = stratum::baseline;
    const auto gt = stratum::io::load_coco_ground_truth(argv[1]);
    const auto dt = stratum::io::load_coco_results(argv[2], gt);
    const stratum::coco::params params;
    const std::vector<stratum::coco::slice_spec> specs = {{{"weather"}}};
    audit::audit_options options;
    options.thresholds.what = audit::threshold_policy::kind::chosen;
    options.thresholds.rule = audit::choice_rule::parse("f1");

    audit::audit_stream au(gt.categories, params);
    stratum::coco::for_each_coco_frame(gt, dt, [&](const stratum::coco::frame& f) { au.add(f); });
    const auto run = au.finalize(specs, options);
    std::vector<baseline::input_file> inputs;
    for (const char* path : {argv[1], argv[2]})
      inputs.push_back({"input", path, 0, stratum::detail::sha256_of_file(path)});
    const auto b = baseline::freeze(au, params, run, specs, options, inputs, std::time(nullptr));
    const std::vector<std::byte> bytes = b.serialize();
    const auto back = baseline::baseline_file::deserialize(bytes);  // input_error on any damage
    const audit::audit_result again = baseline::audit_of(back, 0);  // operating point 0, frozen thresholds

    std::printf("baseline: %zu bytes, content SHA-256 %s\n", bytes.size(),
                stratum::detail::sha256::hex(back.content_sha256()).c_str());
    const auto& x = again.points[0].all.all;
    const auto& y = run.points[0].all.all;
    std::printf("frozen audit: %llu TP, %llu FP, %llu FN (the run: %llu, %llu, %llu)\n",
                static_cast<unsigned long long>(x.tp), static_cast<unsigned long long>(x.fp),
                static_cast<unsigned long long>(x.fn), static_cast<unsigned long long>(y.tp),
                static_cast<unsigned long long>(y.fp), static_cast<unsigned long long>(y.fn));
    // a labelled window against the file: its rates at the frozen operating points, and the expected
    // precision from the baseline's calibration
    const auto setup = baseline::setup_of(back);  // thresholds, isotonic calibration per set and class
    const auto base_sums = baseline::sums_of(back, setup);  // the baseline's own, once
    baseline::performance_window window(back, setup);       // bounded: matched and folded in chunks
    stratum::coco::for_each_coco_frame(gt, dt, [&](const stratum::coco::frame& f) { window.add(f); });
    baseline::drift_result r;
    baseline::compare_performance(base_sums, window.sums(), setup, baseline::class_names(back), r);
    baseline::adjust(r);  // Holm over every test (here only the rates)
    std::printf(
        "the run's frames as a window: %zu rate tests, %zu flagged; expected precision %.4f, measured %.4f\n",
        r.tested(), r.flagged(), r.estimates.at(0).expected, r.estimates.at(0).measured);
    const bool same_run = x == y && again.points[0].thresholds == run.points[0].thresholds;
    return same_run && r.flagged() == 0 && r.improved() == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
