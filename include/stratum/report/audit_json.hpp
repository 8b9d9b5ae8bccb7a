// The JSON document of an audit (`stratum audit --json`; docs/audit.md):
//
//   {"stratum_version", "command": "audit", "n_images", "n_ground_truths", "n_detections",
//    "thresholds": "<the policy, in words>",
//    "intervals": {"confidence_level": C, "binomial": "wilson" | "jeffreys" | "clopper-pearson",
//                  "poisson": "exact", "zero_failures": "exact one-sided upper bound"},
//    "operating_points": [
//      {"iou": t, "thresholds": {"<id>": s | null},
//       "all": C, "per_category": {"<id>": C},
//       "slices": {"<name>": {"all": C, "per_category": {"<id>": C}}},
//       "best_f1": {"<id>": {"threshold", "f1", "tp", "fp", "fn"} | null}}]}
//
// C holds the nine counts (tp, fp, fn, n_gt, n_images, negative_images, false_alarm_images,
// positive_images, miss_images) and the rates recall, miss_rate, precision, f1, fppi, image_false_alarm_rate,
// image_miss_rate, each {"value", "lower", "upper", "method"} (null where undefined). Category keys are the
// ids, "all" for the one category of use_cats = 0; slice names as "weather=rain&timeofday=night". With the
// image bootstrap, C also holds "bootstrap": {"<rate>": {"lower", "upper", "undefined_replicates"},
// "design_effect": {"miss_rate", "precision", "fppi"}} and "intervals" has "bootstrap": {"replicates",
// "seed", "unit": "image", "interval": "percentile", "thresholds": "fixed"} (null without). Each operating
// point may also hold "findings", "production" and, with curves, "curves": {"all": B, "slices": {"<name>":
// B}}, B = {"all": CURVE, "per_category": {"<id>": CURVE}}, CURVE = {"n_gt", "distinct", "operating",
// "best_f1", "points": [[threshold, tp, fp, precision, recall, f1], ...]} (audit/curves.hpp; docs/audit.md),
// and, with the error analysis, "errors": {"method", "foreground_iou", "background_iou", "confusion_rows",
// "confusion_columns", "all": E, "slices": {"<name>": E}}, E = {"all": TIDE, "per_category": {"<id>": TIDE},
// "confusion": [[row of counts], ...]}, TIDE = {"n_gt", "tp", "ap", "counts": {"<type>": n},
// "corrected_ap": {"<correction>": v}, "ap_cost": {"<correction>": v}} (audit/errors.hpp), and, with
// calibration, "calibration": {"iou", "target", "bins", "laece_bins", "dece_bins", "bin_rule",
// "high_confidence", "scopes": {"above_threshold": "...", "evaluated": "..."}, "estimators": {"<name>":
// "..."}, "all": S, "per_category": {"<id>": S}, "slices": {"<name>": S}}, S = {"above_threshold": CAL,
// "evaluated": CAL}, CAL = {"detections", "true_positives", "false_positives", "mean_confidence",
// "precision", "overconfidence", "high_confidence_fp", "high_confidence_fp_share", "unknown_boxes",
// "estimates": {"<name>": {"value", "lower", "upper"}}, "reliability": [[lower edge, upper edge, count,
// mean confidence, precision, precision lower, precision upper], ...]}, "intervals": {"method",
// "replicates", "seed", "confidence_level"} | null, "ood": {...} | null (with --ood-attribute: what the
// detector does on the probe frames; ood_json) (audit/calibration.hpp; the bounds are null without the image
// bootstrap).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "../audit/audit.hpp"
#include "../audit/bootstrap.hpp"
#include "../audit/curves.hpp"
#include "../audit/findings.hpp"
#include "../audit/production.hpp"
#include "../detail/json.hpp"
#include "../version.hpp"
#include "audit_parts.hpp"

namespace stratum::report {

namespace detail {

inline std::string category_key(const audit::audit_result& r, std::size_t k) {
  const auto id = r.category_id(k);
  return id == audit::class_agnostic_id ? "all" : std::to_string(id);
}

inline std::string estimate_json(const audit::estimate& e) {
  using stratum::detail::json_number;
  return "{\"value\": " + json_number(e.value) + ", \"lower\": " + json_number(e.lower) +
         ", \"upper\": " + json_number(e.upper) +
         ", \"method\": " + (e.method[0] ? stratum::detail::json_quoted(e.method) : std::string("null")) +
         "}";
}

/// {"recall": {"lower", "upper", "undefined_replicates"}, ..., "design_effect": {"miss_rate", "precision",
/// "fppi"}}
inline std::string bootstrap_json(const audit::rate_bootstrap& b) {
  using stratum::detail::json_number;
  std::string out = "{";
  for (std::size_t q = 0; q < audit::n_rates; ++q) {
    const auto& iv = b.intervals[q];
    out += (q ? ", \"" : "\"") + std::string(audit::rate_names[q]) +
           "\": {\"lower\": " + json_number(iv.lower) + ", \"upper\": " + json_number(iv.upper) +
           ", \"undefined_replicates\": " + std::to_string(iv.undefined) + "}";
  }
  return out + ", \"design_effect\": {\"miss_rate\": " + json_number(b.deff_miss_rate) +
         ", \"precision\": " + json_number(b.deff_precision) + ", \"fppi\": " + json_number(b.deff_fppi) +
         "}}";
}

inline std::string counts_json(const audit::audit_result& r, const audit::operating_counts& c,
                               const audit::rate_bootstrap* bs = nullptr) {
  const auto rt = r.rates(c);
  return "{\"tp\": " + std::to_string(c.tp) + ", \"fp\": " + std::to_string(c.fp) +
         ", \"fn\": " + std::to_string(c.fn) + ", \"n_gt\": " + std::to_string(c.n_gt) +
         ", \"n_images\": " + std::to_string(c.n_images) +
         ", \"negative_images\": " + std::to_string(c.negative_images) +
         ", \"false_alarm_images\": " + std::to_string(c.false_alarm_images) +
         ", \"positive_images\": " + std::to_string(c.positive_images) +
         ", \"miss_images\": " + std::to_string(c.miss_images) + ", \"recall\": " + estimate_json(rt.recall) +
         ", \"miss_rate\": " + estimate_json(rt.miss_rate) +
         ", \"precision\": " + estimate_json(rt.precision) + ", \"f1\": " + estimate_json(rt.f1) +
         ", \"fppi\": " + estimate_json(rt.fppi) +
         ", \"image_false_alarm_rate\": " + estimate_json(rt.image_false_alarm_rate) +
         ", \"image_miss_rate\": " + estimate_json(rt.image_miss_rate) +
         (bs ? ", \"bootstrap\": " + bootstrap_json(*bs) : std::string()) + "}";
}

inline std::string block_json(const audit::audit_result& r, const audit::operating_point_counts& b,
                              const std::string& indent, const audit::counts_bootstrap* bs = nullptr) {
  std::string out =
      "{\"all\": " + counts_json(r, b.all, bs ? &bs->all : nullptr) + ",\n" + indent + " \"per_category\": {";
  for (std::size_t k = 0; k < b.per_category.size(); ++k)
    out += (k ? ",\n" : "\n") + indent + "  " + stratum::detail::json_quoted(category_key(r, k)) + ": " +
           counts_json(r, b.per_category[k], bs ? &bs->per_category[k] : nullptr);
  return out + "}}";
}

inline std::string evidence_json(const audit::audit_result& r, const audit::slice_evidence& e) {
  using stratum::detail::json_number;
  std::string out = "{\"provenance\": {\"images\": {";
  for (int i = 0; i < 4; ++i)
    out += std::string(i ? ", " : "") + "\"" + audit::provenance_mix::names[i] +
           "\": " + std::to_string(e.mix.images[i]);
  out += "}, \"objects\": {";
  for (int i = 0; i < 4; ++i)
    out += std::string(i ? ", " : "") + "\"" + audit::provenance_mix::names[i] +
           "\": " + std::to_string(e.mix.objects[i]);
  out += "}}, \"real_image_share\": " + json_number(e.mix.real_image_share()) +
         ", \"mostly_not_real\": " + (e.mostly_not_real ? "true" : "false") +
         ", \"real_only\": " + counts_json(r, e.real_only.all) + ", \"thin\": [";
  for (std::size_t i = 0; i < e.thin.size(); ++i)
    out += (i ? ", " : "") + std::string("{\"rate\": \"") + e.thin[i].rate +
           "\", \"half_width\": " + json_number(e.thin[i].half_width) +
           ", \"needed_n\": " + std::to_string(e.thin[i].needed_n) +
           ", \"have_n\": " + std::to_string(e.thin[i].have_n) + "}";
  return out + "]}";
}

inline std::string findings_json(const audit::audit_result& r, const audit::operating_point& op,
                                 const audit::findings& f) {
  using stratum::detail::json_number;
  using stratum::detail::json_quoted;
  std::string out =
      "{\"max_half_width\": " + (f.max_half_width > 0 ? json_number(f.max_half_width) : std::string("null")) +
      ",\n     \"evidence\": {\"all\": " + evidence_json(r, f.all) + ",\n      \"slices\": {";
  for (std::size_t s = 0; s < f.slices.size(); ++s)
    out += (s ? ",\n       " : "\n       ") + json_quoted(op.slices[s].name) + ": " +
           evidence_json(r, f.slices[s]);
  out += "}},\n     \"cliffs\": {\"adjustment\": " +
         json_quoted(f.adjustment == stats::p_value_adjustment::holm                 ? "holm"
                     : f.adjustment == stats::p_value_adjustment::benjamini_hochberg ? "benjamini-hochberg"
                                                                                     : "bonferroni") +
         ", \"test\": \"fisher-exact\", \"interval\": \"newcombe\", \"list\": [";
  for (std::size_t i = 0; i < f.cliffs.size(); ++i) {
    const auto& c = f.cliffs[i];
    out += (i ? ",\n       " : "\n       ") + std::string("{\"slice\": ") +
           json_quoted(op.slices[c.slice].name) + ", \"rate\": \"" + c.rate +
           "\", \"slice_rate\": " + json_number(c.slice_rate) +
           ", \"rest_rate\": " + json_number(c.rest_rate) +
           ", \"difference\": {\"value\": " + json_number(c.difference.estimate) +
           ", \"lower\": " + json_number(c.difference.lower) +
           ", \"upper\": " + json_number(c.difference.upper) + "}, \"p_value\": " + json_number(c.p_value) +
           ", \"p_adjusted\": " + json_number(c.p_adjusted) +
           ", \"cliff\": " + (c.flagged ? "true" : "false") + "}";
  }
  out += "]},\n     \"unmeasured\": [";
  for (std::size_t i = 0; i < f.unmeasured.size(); ++i)
    out += (i ? ", " : "") + json_quoted(f.unmeasured[i].name);
  return out + "]}";
}

inline std::string reweighted_json(const audit::reweighted_rate& w) {
  using stratum::detail::json_number;
  using stratum::detail::json_quoted;
  std::string out = "{\"estimate\": " + estimate_json(w.rate) +
                    ", \"measured_share\": " + json_number(w.measured_share) + ", \"unmeasured\": [";
  for (std::size_t i = 0; i < w.unmeasured.size(); ++i)
    out += (i ? ", " : "") + std::string("{\"cell\": ") + json_quoted(w.unmeasured[i].name) +
           ", \"share\": " + json_number(w.unmeasured[i].share) + "}";
  return out + "]}";
}

inline std::string production_json(const audit::production_estimates& p) {
  std::string out = "{\"miss_rate\": " + reweighted_json(p.miss_rate) +
                    ",\n     \"image_false_alarm_rate\": " + reweighted_json(p.image_false_alarm_rate) +
                    ",\n     \"fppi\": " + reweighted_json(p.fppi) + ",\n     \"prevalence\": {";
  for (std::size_t i = 0; i < p.classes.size(); ++i) {
    const auto& c = p.classes[i];
    out += (i ? ",\n      " : "\n      ") + std::string("\"") + std::to_string(c.category) +
           "\": {\"pi\": " + stratum::detail::json_number(c.prevalence) +
           ", \"tpr\": " + estimate_json(c.tpr) + ", \"far\": " + estimate_json(c.far) +
           ", \"ppv\": " + estimate_json(c.ppv) +
           ", \"false_alarms_per_1000_frames\": " + estimate_json(c.false_alarms_per_1000) + "}";
  }
  return out + "}}";
}

/// {"n_gt", "distinct", "operating": i | null, "best_f1": i | null, "points": [[threshold, tp, fp, precision,
/// recall, f1], ...]}
inline std::string curve_json(const audit::threshold_curve& c) {
  using stratum::detail::json_number;
  auto index = [](const std::optional<std::size_t>& i) {
    return i ? std::to_string(*i) : std::string("null");
  };
  std::string out = "{\"n_gt\": " + std::to_string(c.n_gt) + ", \"distinct\": " + std::to_string(c.distinct) +
                    ", \"operating\": " + index(c.operating) + ", \"best_f1\": " + index(c.best_f1) +
                    ", \"points\": [";
  for (std::size_t i = 0; i < c.points.size(); ++i) {
    const auto& p = c.points[i];
    out += (i ? ", [" : "[") + json_number(p.threshold) + ", " + std::to_string(p.tp) + ", " +
           std::to_string(p.fp) + ", " + json_number(p.precision) + ", " + json_number(p.recall) + ", " +
           json_number(p.f1) + "]";
  }
  return out + "]}";
}

inline std::string curve_block_json(const audit::audit_result& r, const audit::curve_block& b,
                                    const std::string& indent) {
  std::string out = "{\"all\": " + curve_json(b.all) + ",\n" + indent + " \"per_category\": {";
  for (std::size_t k = 0; k < b.per_category.size(); ++k)
    out += (k ? ",\n" : "\n") + indent + "  " + stratum::detail::json_quoted(category_key(r, k)) + ": " +
           curve_json(b.per_category[k]);
  return out + "}}";
}

inline std::string curves_json(const audit::audit_result& r, const audit::operating_point& op,
                               const audit::operating_curves& c) {
  std::string out = "{\"all\": " + curve_block_json(r, c.all, "     ") + ",\n     \"slices\": {";
  for (std::size_t s = 0; s < c.slices.size(); ++s)
    out += (s ? ",\n      " : "\n      ") + stratum::detail::json_quoted(op.slices[s].name) + ": " +
           curve_block_json(r, c.slices[s], "      ");
  return out + "}}";
}

inline std::string tide_json(const audit::tide_block& b) {
  using stratum::detail::json_number;
  auto opt = [](const std::optional<double>& v) { return v ? json_number(*v) : std::string("null"); };
  std::string out = "{\"n_gt\": " + std::to_string(b.n_gt) + ", \"tp\": " + std::to_string(b.tp) +
                    ", \"ap\": " + opt(b.ap) + ", \"counts\": {";
  for (std::size_t j = 0; j < audit::n_error_types; ++j)
    out +=
        (j ? ", \"" : "\"") + std::string(audit::correction_names[j]) + "\": " + std::to_string(b.counts[j]);
  out += "}, \"corrected_ap\": {";
  for (std::size_t f = 0; f < audit::n_corrections; ++f)
    out += (f ? ", \"" : "\"") + std::string(audit::correction_names[f]) + "\": " + opt(b.corrected[f]);
  out += "}, \"ap_cost\": {";
  for (std::size_t f = 0; f < audit::n_corrections; ++f)
    out += (f ? ", \"" : "\"") + std::string(audit::correction_names[f]) + "\": " + opt(b.cost(f));
  return out + "}}";
}

inline std::string error_analysis_json(const audit::audit_result& r, const audit::error_analysis& e,
                                       const std::string& indent) {
  std::string out = "{\"all\": " + tide_json(e.tide.all) + ",\n" + indent + " \"per_category\": {";
  for (std::size_t k = 0; k < e.tide.per_category.size(); ++k)
    out += (k ? ",\n" : "\n") + indent + "  " + stratum::detail::json_quoted(category_key(r, k)) + ": " +
           tide_json(e.tide.per_category[k]);
  out += "},\n" + indent + " \"confusion\": [";
  const std::size_t K = e.confusion.K;
  for (std::size_t row = 0; row <= K; ++row) {
    out += row ? ", [" : "[";
    for (std::size_t col = 0; col <= K; ++col)
      out += (col ? ", " : "") + std::to_string(e.confusion.at(row, col));
    out += "]";
  }
  return out + "]}";
}

inline std::string errors_json(const audit::audit_result& r, const audit::operating_point& op,
                               const audit::operating_errors& e) {
  using stratum::detail::json_number;
  using stratum::detail::json_quoted;
  std::string rows, cols;
  for (std::size_t k = 0; k < r.records.categories(); ++k) {
    rows += json_quoted(category_key(r, k)) + ", ";
    cols += json_quoted(category_key(r, k)) + ", ";
  }
  std::string out = "{\"method\": \"tide\", \"foreground_iou\": " + json_number(op.iou) +
                    ", \"background_iou\": " + json_number(audit::tide_background_iou) +
                    ",\n     \"confusion_rows\": [" + rows + "\"background\"], \"confusion_columns\": [" +
                    cols + "\"missed\"],\n     \"all\": " + error_analysis_json(r, e.all, "     ") +
                    ",\n     \"slices\": {";
  for (std::size_t s = 0; s < e.slices.size(); ++s)
    out += (s ? ",\n      " : "\n      ") + json_quoted(op.slices[s].name) + ": " +
           error_analysis_json(r, e.slices[s], "      ");
  return out + "}}";
}

inline std::string calibration_summary_json(const audit::calibration_summary& c) {
  using stratum::detail::json_number;
  std::string out = "{\"detections\": " + std::to_string(c.detections) +
                    ", \"true_positives\": " + std::to_string(c.true_positives) +
                    ", \"false_positives\": " + std::to_string(c.false_positives()) +
                    ", \"mean_confidence\": " + json_number(c.mean_confidence) +
                    ", \"precision\": " + json_number(c.precision) +
                    ", \"overconfidence\": " + json_number(c.overconfidence) +
                    ", \"high_confidence_fp\": " + std::to_string(c.high_confidence_fp) +
                    ", \"high_confidence_fp_share\": " + json_number(c.high_confidence_fp_share) +
                    ", \"unknown_boxes\": " + std::to_string(c.unknown_boxes) + ", \"estimates\": {";
  const auto v = c.values();
  for (std::size_t q = 0; q < audit::n_calibration_estimators; ++q)
    out += (q ? ", \"" : "\"") + std::string(audit::calibration_estimator_names[q]) +
           "\": {\"value\": " + json_number(v[q]) + ", \"lower\": " + json_number(c.lower[q]) +
           ", \"upper\": " + json_number(c.upper[q]) + "}";
  out += "}, \"reliability\": [";
  for (std::size_t b = 0; b < c.reliability.size(); ++b) {
    const auto& x = c.reliability[b];
    out += (b ? ", [" : "[") + json_number(x.lower) + ", " + json_number(x.upper) + ", " +
           std::to_string(x.count) + ", " + json_number(x.mean_confidence) + ", " + json_number(x.accuracy) +
           ", " + json_number(x.accuracy_lower) + ", " + json_number(x.accuracy_upper) + "]";
  }
  return out + "]}";
}

inline std::string calibration_scopes_json(const audit::calibration_scopes& s) {
  return "{\"above_threshold\": " + calibration_summary_json(s.above) +
         ", \"evaluated\": " + calibration_summary_json(s.evaluated) + "}";
}

/// The out-of-distribution probes: {"attribute", "value", "frames", "objects", "detections",
/// "above_threshold", "high_confidence", "mean_confidence", "max_confidence", "histogram": [10 counts]} or
/// null.
inline std::string ood_json(const audit::operating_calibration& c) {
  using stratum::detail::json_number;
  using stratum::detail::json_quoted;
  if (!c.ood) return "null";
  const auto& p = *c.ood;
  std::string out =
      "{\"attribute\": " + json_quoted(c.options.ood_key) +
      ", \"value\": " + json_quoted(c.options.ood_value) + ", \"frames\": " + std::to_string(p.frames) +
      ", \"objects\": " + std::to_string(p.objects) + ", \"detections\": " + std::to_string(p.detections) +
      ", \"above_threshold\": " + std::to_string(p.above) +
      ", \"high_confidence\": " + std::to_string(p.high_confidence) +
      ", \"mean_confidence\": " + json_number(p.mean_confidence) +
      ", \"max_confidence\": " + json_number(p.max_confidence) + ", \"histogram\": [";
  for (std::size_t b = 0; b < p.histogram.size(); ++b)
    out += (b ? ", " : "") + std::to_string(p.histogram[b]);
  return out + "]}";
}

inline std::string calibration_json(const audit::audit_result& r, const audit::operating_point& op,
                                    const audit::operating_calibration& c) {
  using stratum::detail::json_number;
  using stratum::detail::json_quoted;
  const auto& o = c.options;
  const std::string b = std::to_string(o.bins);
  std::string out =
      "{\"iou\": " + json_number(c.iou) +
      ", \"target\": \"1 for a true positive at the operating IoU (COCO matching), else 0\", \"bins\": " + b +
      ", \"laece_bins\": " + std::to_string(o.laece_bins) +
      ", \"dece_bins\": " + std::to_string(o.dece_bins) +
      ",\n     \"bin_rule\": \"right-closed bins (numpy.searchsorted side left, as sklearn "
      "calibration_curve); "
      "equal width: numpy.linspace(0, 1, B + 1); equal mass: numpy.percentile of the set's confidences\""
      ", \"high_confidence\": " +
      json_number(o.high_confidence) +
      ",\n     \"scopes\": {\"above_threshold\": \"true and false positives with score >= their class's "
      "operating threshold\", \"evaluated\": \"every true and false positive COCO evaluates (the top "
      "maxDets per image and class; ignored detections excluded)\"},\n     \"estimators\": {\"ece\": "
      "\"equal-width ECE, " +
      b + " bins\", \"ece_equal_mass\": \"equal-mass ECE, " + b + " bins\", \"mce\": \"equal-width MCE, " +
      b + " bins\", \"ace\": \"Nixon et al. 2019 ACE, " + b +
      " equal-mass ranges per class\", \"brier\": \"Brier score\", \"l2\": \"plug-in l2 calibration "
      "error, " +
      b + " equal-mass bins\", \"debiased_l2\": \"Kumar et al. 2019 debiased l2 calibration error, " + b +
      " equal-mass bins\", \"debiased_l2_squared\": \"its square before the clipping at 0 (unbiased)\", "
      "\"d_ece\": \"Kuppers et al. 2020 D-ECE over confidence, cx, cy, w, h, " +
      std::to_string(o.dece_bins) + " bins each\", \"laece\": \"Oksuz et al. 2023 LaECE, " +
      std::to_string(o.laece_bins) + " bins per class, target tp * IoU\"},\n     \"intervals\": " +
      (c.replicates ? "{\"method\": \"image bootstrap, percentile\", \"replicates\": " +
                          std::to_string(c.replicates) + ", \"seed\": " + std::to_string(c.seed) +
                          ", \"confidence_level\": " + json_number(c.conf.level()) + "}"
                    : std::string("null")) +
      ",\n     \"ood\": " + ood_json(c) + ",\n     \"all\": " + calibration_scopes_json(c.all.all) +
      ",\n     \"per_category\": {";
  for (std::size_t k = 0; k < c.all.per_category.size(); ++k)
    out += (k ? ",\n      " : "\n      ") + json_quoted(category_key(r, k)) + ": " +
           calibration_scopes_json(c.all.per_category[k]);
  out += "},\n     \"slices\": {";
  for (std::size_t s = 0; s < c.slices.size(); ++s)
    out += (s ? ",\n      " : "\n      ") + json_quoted(op.slices[s].name) + ": " +
           calibration_scopes_json(c.slices[s]);
  return out + "}}";
}

}  // namespace detail

/// The JSON document of audit `r` with the optional parts of `parts` (report/audit_parts.hpp): findings,
/// production estimates, the image bootstrap, curves, the error analysis.
[[nodiscard]] inline std::string audit_json(const audit::audit_result& r, const audit_parts& parts = {}) {
  const auto* found = parts.findings;
  const auto* production = parts.production;
  const auto* bs = parts.bootstrap;
  using namespace detail;
  using stratum::detail::json_number;
  using stratum::detail::json_quoted;
  std::string out =
      "{\n  \"stratum_version\": \"" STRATUM_VERSION "\",\n  \"command\": \"audit\",\n  \"n_images\": " +
      std::to_string(r.p->img_ids.size()) + ",\n  \"n_ground_truths\": " + std::to_string(r.n_ground_truths) +
      ",\n  \"n_detections\": " + std::to_string(r.n_detections) +
      ",\n  \"thresholds\": " + json_quoted(r.options.thresholds.str()) +
      ",\n  \"intervals\": {\"confidence_level\": " + json_number(r.options.conf.level()) +
      ", \"binomial\": " + json_quoted(audit::name(r.options.method)) +
      ", \"poisson\": \"exact\", \"zero_failures\": \"exact one-sided upper bound\", \"bootstrap\": " +
      (bs ? "{\"replicates\": " + std::to_string(bs->replicates) + ", \"seed\": " + std::to_string(bs->seed) +
                ", \"unit\": \"image\", \"interval\": \"percentile\", \"thresholds\": \"fixed\"}"
          : std::string("null")) +
      "},\n  \"operating_points\": [";
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const auto& op = r.points[i];
    out +=
        (i ? ",\n" : "\n") + std::string("   {\"iou\": ") + json_number(op.iou) + ",\n    \"thresholds\": {";
    for (std::size_t k = 0; k < op.thresholds.size(); ++k)
      out += (k ? ", " : "") + json_quoted(category_key(r, k)) + ": " +
             (op.thresholds[k] ? json_number(*op.thresholds[k]) : std::string("null"));
    const audit::operating_point_bootstrap* pb = bs ? &bs->points.at(i) : nullptr;
    out += "},\n    \"all\": " + counts_json(r, op.all.all, pb ? &pb->all.all : nullptr) +
           ",\n    \"per_category\": {";
    for (std::size_t k = 0; k < op.all.per_category.size(); ++k)
      out += (k ? ",\n     " : "\n     ") + json_quoted(category_key(r, k)) + ": " +
             counts_json(r, op.all.per_category[k], pb ? &pb->all.per_category[k] : nullptr);
    out += "},\n    \"slices\": {";
    for (std::size_t s = 0; s < op.slices.size(); ++s)
      out += (s ? ",\n     " : "\n     ") + json_quoted(op.slices[s].name) + ": " +
             block_json(r, op.slices[s].counts, "     ", pb ? &pb->slices[s] : nullptr);
    out += "},\n    \"best_f1\": {";
    for (std::size_t k = 0; k < op.best_f1.size(); ++k) {
      const auto& b = op.best_f1[k];
      out += (k ? ", " : "") + json_quoted(category_key(r, k)) + ": " +
             (b ? "{\"threshold\": " + json_number(b->threshold) + ", \"f1\": " + json_number(b->f1) +
                      ", \"tp\": " + std::to_string(b->tp) + ", \"fp\": " + std::to_string(b->fp) +
                      ", \"fn\": " + std::to_string(b->fn) + "}"
                : std::string("null"));
    }
    out += "}";
    if (found) out += ",\n    \"findings\": " + findings_json(r, op, found->at(i));
    if (production) out += ",\n    \"production\": " + production_json(production->at(i));
    if (parts.curves) out += ",\n    \"curves\": " + curves_json(r, op, parts.curves->at(i));
    if (parts.errors) out += ",\n    \"errors\": " + errors_json(r, op, parts.errors->at(i));
    if (parts.calibration)
      out += ",\n    \"calibration\": " + calibration_json(r, op, parts.calibration->at(i));
    out += "}";
  }
  return out + "\n  ]\n}\n";
}

}  // namespace stratum::report
