// The failure map of an audit as a person reads it (`stratum audit` without --json): per operating point,
// the pooled row, one row per class, then every slice, worst miss rate first, each rate with its interval.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "../audit/audit.hpp"
#include "../audit/bootstrap.hpp"
#include "../audit/errors.hpp"
#include "../audit/findings.hpp"
#include "../audit/production.hpp"
#include "audit_parts.hpp"

namespace stratum::report {

namespace detail {

inline std::string rate3(const audit::estimate& e) {
  if (!e.defined()) return "-";
  char buf[64];
  if (std::isnan(e.lower))
    std::snprintf(buf, sizeof buf, "%.3f", e.value);
  else
    std::snprintf(buf, sizeof buf, "%.3f [%.3f, %.3f]", e.value, e.lower, e.upper);
  return buf;
}

inline void audit_row(std::FILE* out, int w, const std::string& name, const audit::audit_result& r,
                      const audit::operating_counts& c) {
  const auto rt = r.rates(c);
  std::fprintf(out, "%-*s %7llu %8llu  %-22s %-22s %-22s %-22s %s\n", w, name.c_str(),
               static_cast<unsigned long long>(c.n_images), static_cast<unsigned long long>(c.n_gt),
               rate3(rt.miss_rate).c_str(), rate3(rt.precision).c_str(), rate3(rt.fppi).c_str(),
               rate3(rt.image_false_alarm_rate).c_str(), rate3(rt.image_miss_rate).c_str());
}

inline std::string interval3(const audit::rate_bootstrap::interval& iv) {
  if (!iv.defined()) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "[%.3f, %.3f]", iv.lower, iv.upper);
  return buf;
}

inline std::string deff2(double d) {
  if (std::isnan(d)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", d);
  return buf;
}

inline void bootstrap_row(std::FILE* out, int w, const std::string& name, const audit::rate_bootstrap& b) {
  using audit::rate;
  std::fprintf(out, "%-*s %-16s %6s  %-16s %6s  %-16s %6s  %-16s %s\n", w, name.c_str(),
               interval3(b.of(rate::miss_rate)).c_str(), deff2(b.deff_miss_rate).c_str(),
               interval3(b.of(rate::precision)).c_str(), deff2(b.deff_precision).c_str(),
               interval3(b.of(rate::fppi)).c_str(), deff2(b.deff_fppi).c_str(),
               interval3(b.of(rate::image_false_alarm_rate)).c_str(),
               interval3(b.of(rate::image_miss_rate)).c_str());
}

}  // namespace detail

inline void print_findings(const audit::audit_result& r, const audit::operating_point& op,
                           const audit::findings& f, std::FILE* out) {
  std::size_t flagged = 0;
  for (const auto& c : f.cliffs) flagged += c.flagged;
  std::fprintf(
      out,
      "cliffs: slices worse than the rest of the data (Fisher exact, %s-adjusted over %zu comparisons, %s):",
      f.adjustment == stats::p_value_adjustment::benjamini_hochberg ? "Benjamini-Hochberg" : "Holm",
      f.cliffs.size(), r.options.conf.percent().c_str());
  if (flagged == 0) std::fprintf(out, " none");
  std::fprintf(out, "\n");
  for (const auto& c : f.cliffs) {
    if (!c.flagged) continue;
    std::fprintf(out, "  %-40s %-22s %.3f vs %.3f in the rest: +%.3f [%.3f, %.3f], adjusted p = %.2g\n",
                 op.slices[c.slice].name.c_str(),
                 std::string(c.rate) == "miss_rate" ? "miss rate" : "false-alarm images", c.slice_rate,
                 c.rest_rate, c.difference.estimate, c.difference.lower, c.difference.upper, c.p_adjusted);
  }
  std::vector<std::string> synthetic;
  for (std::size_t s = 0; s < f.slices.size(); ++s)
    if (f.slices[s].mostly_not_real) {
      char buf[32];
      std::snprintf(buf, sizeof buf, " (%.0f%% real)", 100 * f.slices[s].mix.real_image_share());
      synthetic.push_back(op.slices[s].name + buf);
    }
  const auto& mix = f.all.mix;
  if (mix.images[3] > 0 && mix.images[0] + mix.images[1] + mix.images[2] == 0) {
    std::fprintf(out,
                 "evidence: no image states its provenance (real, synthetic, augmented): the share of real "
                 "evidence is unknown\n");
  } else {
    std::fprintf(out, "evidence mostly not real (under half of the images real):");
    if (synthetic.empty()) std::fprintf(out, " none");
    std::fprintf(out, "\n");
    for (const auto& s : synthetic) std::fprintf(out, "  %s\n", s.c_str());
  }
  if (f.max_half_width > 0) {
    std::fprintf(out, "thin evidence (interval half-width above %.3g; needed sample at the observed rate):\n",
                 f.max_half_width);
    auto list = [&](const std::string& name, const audit::slice_evidence& e) {
      for (const auto& t : e.thin)
        std::fprintf(out, "  %-40s %-22s half-width %.3f with %llu, needs %lld %s\n", name.c_str(),
                     std::string(t.rate) == "miss_rate" ? "miss rate" : "false-alarm images", t.half_width,
                     static_cast<unsigned long long>(t.have_n), static_cast<long long>(t.needed_n),
                     std::string(t.rate) == "miss_rate" ? "objects" : "negative images");
    };
    list("all", f.all);
    for (std::size_t s = 0; s < f.slices.size(); ++s) list(op.slices[s].name, f.slices[s]);
  }
  std::fprintf(out, "unmeasured cells (no image):");
  if (f.unmeasured.empty()) std::fprintf(out, " none");
  for (const auto& u : f.unmeasured) std::fprintf(out, " %s;", u.name.c_str());
  std::fprintf(out, "\n");
}

inline void print_production(const audit::production_estimates& p, std::FILE* out) {
  auto line = [&](const char* name, const audit::reweighted_rate& w) {
    std::fprintf(out, "  %-20s %-22s measured share %.3f", name, detail::rate3(w.rate).c_str(),
                 w.measured_share);
    if (!w.unmeasured.empty()) {
      std::fprintf(out, "; unmeasured:");
      for (const auto& c : w.unmeasured) std::fprintf(out, " %s (%.3g)", c.name.c_str(), c.share);
    }
    std::fprintf(out, "\n");
  };
  std::fprintf(out, "on the production mix (post-stratified):\n");
  line("miss rate", p.miss_rate);
  line("false-alarm images", p.image_false_alarm_rate);
  line("FPPI", p.fppi);
  for (const auto& c : p.classes)
    std::fprintf(out, "  class %-14lld at prevalence %.3g: PPV %s, false alarms per 1000 frames %s\n",
                 static_cast<long long>(c.category), c.prevalence, detail::rate3(c.ppv).c_str(),
                 detail::rate3(c.false_alarms_per_1000).c_str());
}

namespace detail {

inline void errors_row(std::FILE* out, int w, const std::string& name, const audit::tide_block& b) {
  auto points = [](const std::optional<double>& v) {
    char buf[32];
    if (!v) return std::string("-");
    std::snprintf(buf, sizeof buf, "%.2f", 100 * *v);
    return std::string(buf);
  };
  std::fprintf(out, "%-*s %6s ", w, name.c_str(), points(b.ap).c_str());
  for (std::size_t f = 0; f < audit::n_corrections; ++f)
    std::fprintf(out, " %6s%s", points(b.cost(f)).c_str(), f == audit::n_error_types - 1 ? "  |" : "");
  std::fprintf(out, "\n");
}

/// Where the errors come from: the AP and what each TIDE error type costs of it, pooled, per class and per
/// slice (in `order`), the error counts, and the most frequent confusions at the operating point.
inline void print_errors(const audit::operating_point& op, const audit::operating_errors& e,
                         const std::vector<std::string>& labels, const std::vector<std::size_t>& order, int w,
                         std::FILE* out) {
  std::fprintf(out,
               "where the errors come from (TIDE at IoU %.2f, background IoU %.2f): COCO AP over every "
               "detection and the AP points each error type costs\n",
               op.iou, audit::tide_background_iou);
  std::fprintf(out, "%-*s %6s  %6s %6s %6s %6s %6s %6s  | %6s %6s\n", w, "", "AP", "cls", "loc", "both",
               "dupe", "bkg", "miss", "FP", "FN");
  errors_row(out, w, "all", e.all.tide.all);
  for (std::size_t k = 0; k < labels.size(); ++k) errors_row(out, w, labels[k], e.all.tide.per_category[k]);
  for (auto s : order) errors_row(out, w, op.slices[s].name, e.slices[s].tide.all);
  const auto& c = e.all.tide.all.counts;
  std::fprintf(out,
               "false positives by type: classification %llu, localisation %llu, both %llu, duplicate %llu, "
               "background %llu; ground truths missed: %llu\n",
               static_cast<unsigned long long>(c[0]), static_cast<unsigned long long>(c[1]),
               static_cast<unsigned long long>(c[2]), static_cast<unsigned long long>(c[3]),
               static_cast<unsigned long long>(c[4]), static_cast<unsigned long long>(c[5]));
  struct cell {
    std::uint64_t n;
    std::size_t row, col;
  };
  std::vector<cell> cells;
  const auto& cm = e.all.confusion;
  for (std::size_t row = 0; row < cm.K; ++row)
    for (std::size_t col = 0; col < cm.K; ++col)
      if (row != col && cm.at(row, col)) cells.push_back({cm.at(row, col), row, col});
  std::stable_sort(cells.begin(), cells.end(), [](const cell& a, const cell& b) { return a.n > b.n; });
  if (cells.empty()) {
    std::fprintf(out, "no detection at the operating point lies on an object of another class\n");
    return;
  }
  std::fprintf(out, "most frequent confusions at the operating point (true -> detected as):");
  for (std::size_t i = 0; i < cells.size() && i < 5; ++i)
    std::fprintf(out, "%s %s -> %s: %llu", i ? ";" : "", labels[cells[i].row].c_str(),
                 labels[cells[i].col].c_str(), static_cast<unsigned long long>(cells[i].n));
  std::fprintf(out, "\n");
}

inline std::string cal3(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

inline void calibration_row(std::FILE* out, int w, const std::string& name,
                            const audit::calibration_scopes& c) {
  const auto& a = c.above;
  const auto& e = c.evaluated;
  char fp[48];
  if (std::isnan(a.high_confidence_fp_share))
    std::snprintf(fp, sizeof fp, "-");
  else
    std::snprintf(fp, sizeof fp, "%llu (%.0f%%)", static_cast<unsigned long long>(a.high_confidence_fp),
                  100 * a.high_confidence_fp_share);
  std::fprintf(out, "%-*s %7llu %6s %6s %6s %6s %6s %8s %12s  | %7llu %6s %6s %8s\n", w, name.c_str(),
               static_cast<unsigned long long>(a.detections), cal3(a.ece).c_str(),
               cal3(a.debiased_l2).c_str(), cal3(a.brier).c_str(), cal3(a.d_ece).c_str(),
               cal3(a.laece).c_str(), cal3(a.overconfidence).c_str(), fp,
               static_cast<unsigned long long>(e.detections), cal3(e.ece).c_str(), cal3(e.laece).c_str(),
               cal3(e.overconfidence).c_str());
}

/// Does the confidence say how often a detection is right: the calibration table pooled, per class and per
/// slice (worst ECE above the threshold first), and the worst calibrated slices by name.
inline void print_calibration(const audit::operating_point& op, const audit::operating_calibration& c,
                              const std::vector<std::string>& labels, int w, std::FILE* out) {
  const auto& o = c.options;
  std::fprintf(out,
               "calibration at IoU %.2f (target: true positive; ECE %zu equal-width bins, dl2: debiased l2 "
               "on %zu equal-mass bins, D-ECE %zu bins per axis, LaECE %zu bins per class; overconf = mean "
               "confidence - precision)\n",
               op.iou, o.bins, o.bins, o.dece_bins, o.laece_bins);
  char fp_head[32];
  std::snprintf(fp_head, sizeof fp_head, "FP conf>=%.2g", o.high_confidence);
  std::fprintf(out, "%-*s %-65s  | %s\n", w, "", "detections above the operating threshold",
               "every evaluated detection");
  std::fprintf(out, "%-*s %7s %6s %6s %6s %6s %6s %8s %12s  | %7s %6s %6s %8s\n", w, "", "dets", "ECE", "dl2",
               "Brier", "D-ECE", "LaECE", "overconf", fp_head, "dets", "ECE", "LaECE", "overconf");
  calibration_row(out, w, "all", c.all.all);
  for (std::size_t k = 0; k < labels.size(); ++k) calibration_row(out, w, labels[k], c.all.per_category[k]);
  std::vector<std::size_t> order(c.slices.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto key = [&](std::size_t s) {
    const double v = c.slices[s].above.ece;
    return std::isnan(v) ? -1.0 : v;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) > key(b); });
  if (order.empty()) return;
  std::fprintf(out, "slices, worst ECE above the threshold first:\n");
  for (const auto s : order) calibration_row(out, w, op.slices[s].name, c.slices[s]);
  std::fprintf(out,
               "worst calibrated slices (ECE above the threshold%s; dl2 near 0: the gap is what a calibrated "
               "detector shows on that few detections):\n",
               c.replicates ? ", with its image-bootstrap interval" : "");
  std::size_t shown = 0;
  for (const auto s : order) {
    const auto& a = c.slices[s].above;
    if (std::isnan(a.ece) || shown == 3) break;
    char iv[64] = "";
    if (!std::isnan(a.lower[0])) std::snprintf(iv, sizeof iv, " [%.3f, %.3f]", a.lower[0], a.upper[0]);
    std::fprintf(out,
                 "  %s: ECE %.3f%s, dl2 %s, %llu detections, overconfidence %s, %llu false positives at "
                 "confidence >= %.2g\n",
                 op.slices[s].name.c_str(), a.ece, iv, cal3(a.debiased_l2).c_str(),
                 static_cast<unsigned long long>(a.detections), cal3(a.overconfidence).c_str(),
                 static_cast<unsigned long long>(a.high_confidence_fp), o.high_confidence);
    ++shown;
  }
  if (!shown) std::fprintf(out, "  none: no slice has detections above the threshold\n");
}

/// What the detector does on the out-of-distribution probe frames.
inline void print_ood(const audit::operating_calibration& c, std::FILE* out) {
  if (!c.ood) return;
  const auto& p = *c.ood;
  const std::string name = c.options.ood_key + "=" + c.options.ood_value;
  if (p.frames == 0) {
    std::fprintf(out, "out-of-distribution probes (%s): no evaluated frame has it\n", name.c_str());
    return;
  }
  std::fprintf(
      out,
      "out-of-distribution probes (%s, every detection a false positive): %llu frames, %llu detections, "
      "%llu above the operating threshold (%.2f per frame), %llu at confidence >= %.2g; mean "
      "confidence %s, max %s\n",
      name.c_str(), static_cast<unsigned long long>(p.frames), static_cast<unsigned long long>(p.detections),
      static_cast<unsigned long long>(p.above), static_cast<double>(p.above) / static_cast<double>(p.frames),
      static_cast<unsigned long long>(p.high_confidence), c.options.high_confidence,
      cal3(p.mean_confidence).c_str(), cal3(p.max_confidence).c_str());
  std::fprintf(out, "  confidence histogram (0.1 wide, low to high):");
  for (const auto n : p.histogram) std::fprintf(out, " %llu", static_cast<unsigned long long>(n));
  std::fprintf(out, "\n");
  if (p.objects)
    std::fprintf(out,
                 "  note: the probe frames hold %llu objects of known classes; they are not clean probes\n",
                 static_cast<unsigned long long>(p.objects));
}

}  // namespace detail

/// The failure map of `r` with the optional parts of `parts` (report/audit_parts.hpp): the findings of each
/// operating point after its table, the production estimates, and the image bootstrap as a second table
/// (curves are in the JSON only), and the error analysis.
inline void print_audit(const audit::audit_result& r, std::FILE* out, const audit_parts& parts = {}) {
  const auto* found = parts.findings;
  const auto* production = parts.production;
  const auto* bs = parts.bootstrap;
  using namespace detail;
  for (std::size_t pi = 0; pi < r.points.size(); ++pi) {
    const auto& op = r.points[pi];
    std::fprintf(out,
                 "audit at IoU %.2f; score thresholds: %s; %s intervals (binomial: %s; nothing failed: exact "
                 "one-sided bound; FPPI: exact Poisson)\n",
                 op.iou, r.options.thresholds.str().c_str(), r.options.conf.percent().c_str(),
                 audit::name(r.options.method));
    if (r.options.thresholds.what != audit::threshold_policy::kind::global) {
      std::fprintf(out, "thresholds:");
      for (std::size_t k = 0; k < op.thresholds.size(); ++k) {
        const auto id = r.category_id(k);
        const std::string key = id == audit::class_agnostic_id ? "all" : std::to_string(id);
        if (op.thresholds[k])
          std::fprintf(out, " %s=%.4g", key.c_str(), *op.thresholds[k]);
        else
          std::fprintf(out, " %s=none (no threshold satisfies the rule: every object counted as missed)",
                       key.c_str());
      }
      std::fprintf(out, "\n");
    }
    std::vector<std::string> labels;
    for (std::size_t k = 0; k < op.all.per_category.size(); ++k) {
      const auto id = r.category_id(k);
      std::string label = id == audit::class_agnostic_id ? "class all" : "class " + std::to_string(id);
      if (!r.category_names[k].empty()) label += " " + r.category_names[k];
      labels.push_back(std::move(label));
    }
    std::size_t w = 12;
    for (const auto& s : op.slices) w = std::max(w, s.name.size());
    for (const auto& l : labels) w = std::max(w, l.size());
    const int nw = static_cast<int>(w);
    std::fprintf(out, "%-*s %7s %8s  %-22s %-22s %-22s %-22s %s\n", nw, "", "images", "objects", "miss rate",
                 "precision", "FPPI", "img false-alarm rate", "img miss rate");
    audit_row(out, nw, "all", r, op.all.all);
    for (std::size_t k = 0; k < op.all.per_category.size(); ++k)
      audit_row(out, nw, labels[k], r, op.all.per_category[k]);
    std::vector<std::size_t> order(op.slices.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    auto miss = [&](std::size_t s) {
      const auto& c = op.slices[s].counts.all;
      return c.n_gt ? static_cast<double>(c.fn) / static_cast<double>(c.n_gt) : -1.0;
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return miss(a) > miss(b); });
    if (!op.slices.empty()) {
      std::fprintf(out, "slices, worst miss rate first:\n");
      for (auto s : order) audit_row(out, nw, op.slices[s].name, r, op.slices[s].counts.all);
    }
    if (bs) {
      const auto& pb = bs->points.at(pi);
      std::fprintf(
          out,
          "image bootstrap: %s percentile intervals over %zu replicates (seed %llu; images resampled, "
          "thresholds fixed); deff = bootstrap variance / independent-object variance\n",
          bs->conf.percent().c_str(), bs->replicates, static_cast<unsigned long long>(bs->seed));
      std::fprintf(out, "%-*s %-16s %6s  %-16s %6s  %-16s %6s  %-16s %s\n", nw, "", "miss rate", "deff",
                   "precision", "deff", "FPPI", "deff", "img false-alarm", "img miss rate");
      bootstrap_row(out, nw, "all", pb.all.all);
      for (std::size_t k = 0; k < op.all.per_category.size(); ++k)
        bootstrap_row(out, nw, labels[k], pb.all.per_category[k]);
      for (auto s : order) bootstrap_row(out, nw, op.slices[s].name, pb.slices[s].all);
    }
    if (parts.errors) print_errors(op, parts.errors->at(pi), labels, order, nw, out);
    if (parts.calibration) {
      print_calibration(op, parts.calibration->at(pi), labels, nw, out);
      print_ood(parts.calibration->at(pi), out);
    }
    if (found) print_findings(r, op, found->at(pi), out);
    if (production) print_production(production->at(pi), out);
    std::fprintf(out, "\n");
  }
}

}  // namespace stratum::report
