// The drift of a window against a baseline (baseline/drift.hpp) for people and for machines
// (`stratum drift`; docs/drift.md).
//
// Text: one line of totals, then the flagged tests, largest effect first, then (all = true) every test.
// JSON: {"stratum_version", "command": "drift", "options": {"alpha", "adjustment", "psi_warn", "psi_alarm",
//   "min_frames", "ks_max_values", "confidence_level"}, "baseline": {"frames", "detections"}, "window":
//   {"frames", "detections"}, "tested", "flagged", "unseen_sets": [...], "missing_sets": [...],
//   "tests": [T...]}, T = {"set", "feature", "class", "base_n", "window_n", "base_frames", "window_frames",
//   "psi", "second": {"name", "value"}, "shift": {"of", "baseline", "window", "value", "lower", "upper"},
//   "test": {"name", "statistic", "df1", "df2", "p_value", "p_adjusted"}, "status", "note"} (null where a
//   number is undefined).
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

inline double drift_effect(const baseline::drift_test& t) {
  return t.feature == "detections per frame" ? std::fabs(t.second) : t.psi;
}
inline std::string fmt(const char* f, double v) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
inline std::string drift_row(const baseline::drift_test& t) {
  std::string where = t.set + (t.cls.empty() ? "" : " / " + t.cls);
  char buf[512];
  const std::string shift = t.shift_name + " " + fmt("%.3g", t.base_value) + " -> " +
                            fmt("%.3g", t.window_value) + ": " + fmt("%+.3g", t.shift) + " [" +
                            fmt("%.3g", t.shift_lower) + ", " + fmt("%.3g", t.shift_upper) + "]";
  std::snprintf(buf, sizeof buf, "  %-7s %-34s %-20s %6s  %-21s %-15s %s  p_adj %s", t.status.c_str(),
                where.c_str(), t.feature.c_str(), fmt("%.3f", t.psi).c_str(),
                (t.second_name + " " + fmt("%.3f", t.second)).c_str(),
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
  std::vector<const baseline::drift_test*> flagged, rest;
  for (const auto& t : r.tests)
    (t.status == "shift" || t.status == "warn" || t.status == "alarm" ? flagged : rest).push_back(&t);
  const auto by_effect = [](const baseline::drift_test* a, const baseline::drift_test* b) {
    const double ea = detail::drift_effect(*a), eb = detail::drift_effect(*b);
    if (ea != eb) return ea > eb;
    return a->p_adjusted < b->p_adjusted;
  };
  std::stable_sort(flagged.begin(), flagged.end(), by_effect);
  const char* head =
      "  status  set / class                        feature                 PSI  second                n "
      "window/base   "
      "shift [interval]\n";
  if (!flagged.empty()) {
    std::fprintf(out, "flagged, largest effect first (PSI; detections per frame: relative change):\n%s",
                 head);
    for (const auto* t : flagged) std::fputs(detail::drift_row(*t).c_str(), out);
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
  const auto num = [](double v) { return std::isnan(v) ? std::string("null") : json_number(v); };
  std::string s =
      "{\"stratum_version\": " + json_quoted(STRATUM_VERSION) + ", \"command\": \"drift\", \"options\": {";
  s += "\"alpha\": " + json_number(o.alpha) + ", \"adjustment\": " +
       json_quoted(o.adjustment == stats::p_value_adjustment::holm         ? "holm"
                   : o.adjustment == stats::p_value_adjustment::bonferroni ? "bonferroni"
                                                                           : "fdr_bh") +
       ", \"psi_warn\": " + json_number(o.psi_warn) + ", \"psi_alarm\": " + json_number(o.psi_alarm) +
       ", \"min_frames\": " + std::to_string(o.min_frames) +
       ", \"ks_max_values\": " + std::to_string(o.ks_max_values) +
       ", \"confidence_level\": " + json_number(o.conf.level()) + "}";
  s += ", \"baseline\": {\"frames\": " + std::to_string(r.base_frames) +
       ", \"detections\": " + std::to_string(r.base_detections) + "}";
  s += ", \"window\": {\"frames\": " + std::to_string(r.window_frames) +
       ", \"detections\": " + std::to_string(r.window_detections) + "}";
  s += ", \"tested\": " + std::to_string(r.tested()) + ", \"flagged\": " + std::to_string(r.flagged());
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
         ", \"class\": " + json_quoted(t.cls) + ", \"base_n\": " + std::to_string(t.base_n) +
         ", \"window_n\": " + std::to_string(t.window_n) +
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
  return s + "]}\n";
}

}  // namespace stratum::report
