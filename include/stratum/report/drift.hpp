// The drift of a window against a baseline (baseline/drift.hpp) for people and for machines
// (`stratum drift`; docs/drift.md).
//
// Text: one line of totals, then the flagged drift tests, alarms first, then warnings, then shifts, each
// largest effect first; with labels, the flagged rates and AP, largest change first, and those that
// improved; the expected precision of every set (all classes),
// with the measured one and the gap where labelled; then (all = true) every test.
// JSON: {"stratum_version", "command": "drift", "options": {"alpha", "adjustment", "psi_warn", "psi_alarm",
//   "rate_warn", "rate_alarm", "embedding_warn", "embedding_alarm", "ap_warn", "ap_alarm", "ap_replicates",
//   "ap_seed", "ap_max_detections", "min_frames", "min_calibration", "ks_max_values", "confidence_level"},
//   "baseline": {"frames", "detections"}, "window": {"frames", "detections"}, "embeddings": {"baseline",
//   "window", "not_compared"} (frames with an embedding), "labelled", "ap": {"compared", "note"}, "tested",
//   "flagged", "improved", "unseen_sets": [...], "missing_sets": [...], "tests":
//   [T...], "expected_precision": [E...]}, T = {"set", "feature", "class", "iou", "base_n", "window_n",
//   "base_frames", "window_frames", "psi", "second": {"name", "value"}, "shift": {"of", "baseline", "window",
//   "value", "lower", "upper"}, "test": {"name", "statistic", "df1", "df2", "p_value", "p_adjusted"},
//   "status", "note"}, E = {"set", "class", "iou", "base_detections", "window_detections",
//   "window_uncovered", "window_frames", "base_precision", "expected", "measured", "gap": {"value", "lower",
//   "upper"}} (null where a number is undefined; "iou" null for the tests that need no labels and for AP,
//   which is over every IoU threshold).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../baseline/drift.hpp"
#include "../detail/json.hpp"
#include "../version.hpp"

namespace stratum::report {

namespace detail {

inline std::string fmt(const char* f, double v) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
inline constexpr const char* drift_row_format = "  %-7s %-34s %-30s %6s  %-23s %-15s %s  p_adj %s";
inline std::string drift_head() {
  char buf[256];
  std::snprintf(buf, sizeof buf, drift_row_format, "status", "set / class", "feature", "PSI", "second",
                "n window/base", "shift [interval]", "");
  std::string h = buf;
  h.resize(h.size() - std::string("  p_adj ").size());
  return h + "\n";
}
inline std::string drift_row(const baseline::drift_test& t) {
  std::string where = t.set + (t.cls.empty() ? "" : " / " + t.cls);
  char buf[512];
  std::string shift = t.shift_name + " " + fmt("%.3g", t.base_value) + " -> " + fmt("%.3g", t.window_value) +
                      ": " + fmt("%+.3g", t.shift);
  if (!std::isnan(t.shift_lower) || !std::isnan(t.shift_upper))  // MMD^2: no interval
    shift += " [" + fmt("%.3g", t.shift_lower) + ", " + fmt("%.3g", t.shift_upper) + "]";
  const std::string feature = t.is_rate() ? t.feature + " @" + fmt("%g", t.iou)
                              : t.is_ap() ? std::string("AP @.50:.95")
                                          : t.feature;
  std::snprintf(buf, sizeof buf, drift_row_format, t.status.c_str(), where.c_str(), feature.c_str(),
                fmt("%.3f", t.psi).c_str(), (t.second_name + " " + fmt("%.3f", t.second)).c_str(),
                (std::to_string(t.window_n) + "/" + std::to_string(t.base_n)).c_str(), shift.c_str(),
                fmt("%.2g", t.p_adjusted).c_str());
  std::string out = buf;
  if (!t.note.empty()) out += "; " + t.note;
  return out + "\n";
}

}  // namespace detail

/// The text report of a drift comparison.
inline void print_drift(const baseline::drift_result& r, std::FILE* out, bool all = false) {
  const auto& o = r.options;
  std::size_t little = 0;
  for (const auto& t : r.tests) little += t.status == "too little data";
  std::fprintf(
      out,
      "window: %llu frames, %llu detections; baseline: %llu frames, %llu detections\n"
      "%zu of %zu tests flagged (%s over every test at %.3g; PSI warn %.3g, alarm %.3g); %zu with too "
      "little data (fewer than %llu frames with a value)\n",
      static_cast<unsigned long long>(r.window_frames), static_cast<unsigned long long>(r.window_detections),
      static_cast<unsigned long long>(r.base_frames), static_cast<unsigned long long>(r.base_detections),
      r.flagged(), r.tested(),
      o.adjustment == stats::p_value_adjustment::holm         ? "Holm"
      : o.adjustment == stats::p_value_adjustment::bonferroni ? "Bonferroni"
                                                              : "Benjamini-Hochberg",
      o.alpha, o.psi_warn, o.psi_alarm, little, static_cast<unsigned long long>(o.min_frames));
  if (!r.unseen_sets.empty()) {
    std::string s;
    for (const auto& n : r.unseen_sets) s += (s.empty() ? "" : ", ") + n;
    std::fprintf(out, "slices the baseline never saw: %s\n", s.c_str());
  }
  if (!r.missing_sets.empty()) {
    std::string s;
    for (const auto& n : r.missing_sets) s += (s.empty() ? "" : ", ") + n;
    std::fprintf(out, "slices of the baseline absent from the window: %s\n", s.c_str());
  }
  if (r.base_embeddings > 0)
    std::fprintf(out,
                 "embeddings: %llu window frames against %llu of the baseline (warn from a Mahalanobis "
                 "distance of %.3g baseline sd, alarm %.3g)%s\n",
                 static_cast<unsigned long long>(r.window_embeddings),
                 static_cast<unsigned long long>(r.base_embeddings), o.embedding_warn, o.embedding_alarm,
                 r.window_embeddings == 0 ? ": the window's frames carry none, not compared" : "");
  if (r.unprofiled_embeddings > 0)
    std::fprintf(out, "embeddings: %llu window frames carry one, not compared: the baseline holds none\n",
                 static_cast<unsigned long long>(r.unprofiled_embeddings));
  std::vector<const baseline::drift_test*> flagged, rates, better, rest;
  for (const auto& t : r.tests) {
    const bool f = t.status == "shift" || t.status == "warn" || t.status == "alarm";
    (f ? (t.needs_labels() ? rates : flagged) : t.status == "better" ? better : rest).push_back(&t);
  }
  // the grade first (alarm, warn, shift: effects of different kinds are not comparable), then the effect
  const auto grade = [](const baseline::drift_test* t) {
    return t->status == "alarm" ? 0 : t->status == "warn" ? 1 : 2;
  };
  const auto by_effect = [&grade](const baseline::drift_test* a, const baseline::drift_test* b) {
    if (grade(a) != grade(b)) return grade(a) < grade(b);
    const double ea = a->effect(), eb = b->effect();
    if (ea != eb) return ea > eb;
    return a->p_adjusted < b->p_adjusted;
  };
  std::stable_sort(flagged.begin(), flagged.end(), by_effect);
  std::stable_sort(rates.begin(), rates.end(), by_effect);
  std::stable_sort(better.begin(), better.end(), by_effect);
  const std::string hs = detail::drift_head();
  const char* head = hs.c_str();
  if (!flagged.empty()) {
    std::fprintf(out,
                 "flagged, alarms first, largest effect first (PSI; detections per frame: relative change; "
                 "embeddings: Mahalanobis):\n%s",
                 head);
    for (const auto* t : flagged) std::fputs(detail::drift_row(*t).c_str(), out);
  }
  if (r.labelled) {
    std::size_t n = 0;
    for (const auto& t : r.tests) n += t.needs_labels() && !std::isnan(t.p_value);
    std::fprintf(
        out,
        "with labels: %zu rate and AP tests (in the family above); %zu got worse, %zu better (rates: "
        "warn from a change of %.3g, alarm %.3g; AP: warn from a drop of %.3g, alarm %.3g)\n",
        n, rates.size(), better.size(), o.rate_warn, o.rate_alarm, o.ap_warn, o.ap_alarm);
    if (r.ap_compared)
      std::fprintf(out, "AP: image-level bootstrap, %zu replicates per side (seed %llu, the window's %llu)\n",
                   o.ap_replicates, static_cast<unsigned long long>(o.ap_seed),
                   static_cast<unsigned long long>(o.ap_seed + 1));
    else if (!r.ap_note.empty())
      std::fprintf(out, "%s\n", r.ap_note.c_str());
    if (!rates.empty()) {
      std::fprintf(out, "rates and AP that got worse, largest change first:\n%s", head);
      for (const auto* t : rates) std::fputs(detail::drift_row(*t).c_str(), out);
    }
    if (!better.empty()) {
      std::fprintf(out, "rates and AP that got better:\n%s", head);
      for (const auto* t : better) std::fputs(detail::drift_row(*t).c_str(), out);
    }
  } else {
    std::fprintf(out, "without labels: rates not compared (the window has no ground truth)\n");
  }
  bool any = false;
  for (const auto& e : r.estimates) {
    if (!e.cls.empty()) continue;
    if (!any)
      std::fprintf(
          out,
          "expected precision at the operating point, without labels (each detection's chance of being "
          "a true positive read off the baseline's isotonic calibration of its class; it assumes that "
          "calibration still holds):\n  %-34s %5s %9s %9s %9s %9s  %s\n",
          "set", "IoU", "baseline", "expected", "measured", "gap", "[interval]   detections");
    any = true;
    std::string n = std::to_string(e.window_detections);
    if (e.window_uncovered) n += " (+" + std::to_string(e.window_uncovered) + " of uncalibrated classes)";
    std::fprintf(out, "  %-34s %5s %9s %9s %9s %9s  [%s, %s]  %s\n", e.set.c_str(),
                 detail::fmt("%g", e.iou).c_str(), detail::fmt("%.4f", e.base_precision).c_str(),
                 detail::fmt("%.4f", e.expected).c_str(), detail::fmt("%.4f", e.measured).c_str(),
                 detail::fmt("%+.4f", e.gap).c_str(), detail::fmt("%.3f", e.gap_lower).c_str(),
                 detail::fmt("%.3f", e.gap_upper).c_str(), n.c_str());
  }
  if (all && !rest.empty()) {
    std::fprintf(out, "not flagged:\n%s", head);
    for (const auto* t : rest) std::fputs(detail::drift_row(*t).c_str(), out);
  }
}

/// The JSON document of a drift comparison (layout above).
[[nodiscard]] inline std::string drift_json(const baseline::drift_result& r) {
  using ::stratum::detail::json_number;
  using ::stratum::detail::json_quoted;
  const auto& o = r.options;
  const auto num = [](double v) { return std::isfinite(v) ? json_number(v) : std::string("null"); };
  std::string s =
      "{\"stratum_version\": " + json_quoted(STRATUM_VERSION) + ", \"command\": \"drift\", \"options\": {";
  s += "\"alpha\": " + json_number(o.alpha) + ", \"adjustment\": " +
       json_quoted(o.adjustment == stats::p_value_adjustment::holm         ? "holm"
                   : o.adjustment == stats::p_value_adjustment::bonferroni ? "bonferroni"
                                                                           : "fdr_bh") +
       ", \"psi_warn\": " + json_number(o.psi_warn) + ", \"psi_alarm\": " + json_number(o.psi_alarm) +
       ", \"rate_warn\": " + json_number(o.rate_warn) + ", \"rate_alarm\": " + json_number(o.rate_alarm) +
       ", \"embedding_warn\": " + json_number(o.embedding_warn) +
       ", \"embedding_alarm\": " + json_number(o.embedding_alarm) +
       ", \"ap_warn\": " + json_number(o.ap_warn) + ", \"ap_alarm\": " + json_number(o.ap_alarm) +
       ", \"ap_replicates\": " + std::to_string(o.ap_replicates) +
       ", \"ap_seed\": " + std::to_string(o.ap_seed) +
       ", \"ap_max_detections\": " + std::to_string(o.ap_max_detections) +
       ", \"min_frames\": " + std::to_string(o.min_frames) +
       ", \"min_calibration\": " + std::to_string(o.min_calibration) +
       ", \"ks_max_values\": " + std::to_string(o.ks_max_values) +
       ", \"confidence_level\": " + json_number(o.conf.level()) + "}";
  s += ", \"baseline\": {\"frames\": " + std::to_string(r.base_frames) +
       ", \"detections\": " + std::to_string(r.base_detections) + "}";
  s += ", \"window\": {\"frames\": " + std::to_string(r.window_frames) +
       ", \"detections\": " + std::to_string(r.window_detections) + "}";
  s += ", \"embeddings\": {\"baseline\": " + std::to_string(r.base_embeddings) +
       ", \"window\": " + std::to_string(r.window_embeddings) +
       ", \"not_compared\": " + std::to_string(r.unprofiled_embeddings) + "}";
  s += std::string(", \"labelled\": ") + (r.labelled ? "true" : "false");
  s += std::string(", \"ap\": {\"compared\": ") + (r.ap_compared ? "true" : "false") +
       ", \"note\": " + json_quoted(r.ap_note) + "}";
  s += ", \"tested\": " + std::to_string(r.tested()) + ", \"flagged\": " + std::to_string(r.flagged()) +
       ", \"improved\": " + std::to_string(r.improved());
  const auto list = [&](const std::vector<std::string>& v) {
    std::string l = "[";
    for (std::size_t i = 0; i < v.size(); ++i) l += (i ? ", " : "") + json_quoted(v[i]);
    return l + "]";
  };
  s += ", \"unseen_sets\": " + list(r.unseen_sets) + ", \"missing_sets\": " + list(r.missing_sets);
  s += ", \"tests\": [";
  for (std::size_t i = 0; i < r.tests.size(); ++i) {
    const auto& t = r.tests[i];
    s += i ? ", " : "";
    s += "{\"set\": " + json_quoted(t.set) + ", \"feature\": " + json_quoted(t.feature) +
         ", \"class\": " + json_quoted(t.cls) + ", \"iou\": " + num(t.iou) +
         ", \"base_n\": " + std::to_string(t.base_n) + ", \"window_n\": " + std::to_string(t.window_n) +
         ", \"base_frames\": " + std::to_string(t.base_frames) +
         ", \"window_frames\": " + std::to_string(t.window_frames) + ", \"psi\": " + num(t.psi) +
         ", \"second\": {\"name\": " + json_quoted(t.second_name) + ", \"value\": " + num(t.second) + "}" +
         ", \"shift\": {\"of\": " + json_quoted(t.shift_name) + ", \"baseline\": " + num(t.base_value) +
         ", \"window\": " + num(t.window_value) + ", \"value\": " + num(t.shift) +
         ", \"lower\": " + num(t.shift_lower) + ", \"upper\": " + num(t.shift_upper) + "}" +
         ", \"test\": {\"name\": " + json_quoted(t.test) + ", \"statistic\": " + num(t.statistic) +
         ", \"df1\": " + num(t.df1) + ", \"df2\": " + num(t.df2) + ", \"p_value\": " + num(t.p_value) +
         ", \"p_adjusted\": " + num(t.p_adjusted) + "}, \"status\": " + json_quoted(t.status) +
         ", \"note\": " + json_quoted(t.note) + "}";
  }
  s += "], \"expected_precision\": [";
  for (std::size_t i = 0; i < r.estimates.size(); ++i) {
    const auto& e = r.estimates[i];
    s += i ? ", " : "";
    s += "{\"set\": " + json_quoted(e.set) + ", \"class\": " + json_quoted(e.cls) +
         ", \"iou\": " + num(e.iou) + ", \"base_detections\": " + std::to_string(e.base_detections) +
         ", \"window_detections\": " + std::to_string(e.window_detections) +
         ", \"window_uncovered\": " + std::to_string(e.window_uncovered) +
         ", \"window_frames\": " + std::to_string(e.window_frames) +
         ", \"base_precision\": " + num(e.base_precision) + ", \"expected\": " + num(e.expected) +
         ", \"measured\": " + num(e.measured) + ", \"gap\": {\"value\": " + num(e.gap) +
         ", \"lower\": " + num(e.gap_lower) + ", \"upper\": " + num(e.gap_upper) + "}}";
  }
  return s + "]}\n";
}

}  // namespace stratum::report
