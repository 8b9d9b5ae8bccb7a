// Reads a reviewer's criteria file (report/criteria.hpp, docs/evidence_pack.md):
//
//   {"reviewer": "A. Reviewer",                                   (required)
//    "notes": "free text",                                        (optional)
//    "odd": {"weather": ["clear", "rain", "fog"], ...},           (optional: the declared attribute values)
//    "criteria": [{"id": "C1",                                    (optional label)
//                  "metric": "miss_rate",                         (report::metric_table)
//                  "class": "person" | 1 | "all",                 (optional, default "all")
//                  "slice": "weather=rain&timeofday=night" | "all",   (optional, default "all")
//                  "iou": 0.5,                                    (optional: the audit's first IoU)
//                  "limit": 0.2, "direction": "at_most" | "at_least",
//                  "min_n": 100,                                  (optional, default 0)
//                  "note": "free text",                           (optional)
//                  "feature": "miss rate"}, ...]}                 (metric "drift" only: the drift test's
//                  feature,
//                                                                  report::drift_features; its shift is
//                                                                  judged)
//
// Unknown fields are refused; errors name the file, the criterion's index and the field. Whether the class,
// slice and IoU exist in the audit is checked by report::resolve.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include <simdjson.h>

#include "../core/error.hpp"
#include "../report/criteria.hpp"
#include "json_fields.hpp"

namespace stratum::io {

/// Parses criteria from `json`; errors name `path`, the criterion and the field.
[[nodiscard]] inline report::criteria_set parse_criteria(const simdjson::padded_string& json,
                                                         const std::string& path) {
  simdjson::dom::parser parser;
  const auto root = detail::file_root(parser, json, path);
  const auto fail = detail::file_fail(path);
  report::criteria_set cs;
  for (auto [key, value] : root)
    if (key != "reviewer" && key != "notes" && key != "odd" && key != "criteria")
      fail(std::string(key), "unknown field (known: reviewer, notes, odd, criteria)");
  simdjson::dom::element e;
  if (root["reviewer"].get(e)) fail("reviewer", "missing field (who reviews this pack)");
  cs.reviewer = detail::read_string(e, std::string("reviewer"), fail);
  if (cs.reviewer.empty()) fail("reviewer", "empty");
  if (!root["notes"].get(e)) cs.notes = detail::read_string(e, std::string("notes"), fail);
  if (!root["odd"].get(e)) {
    for (auto [key, values] : detail::read_object(e, std::string("odd"), fail)) {
      const std::string k(key), where = "odd." + k;
      if (k.empty() || k.find_first_of("=&") != std::string::npos) fail(where, "not an attribute name");
      auto& list = cs.odd[k];
      cs.odd_order.push_back(k);
      for (auto v : detail::read_array(values, where, fail)) {
        std::string s(detail::read_string(v, where, fail));
        if (s.empty() || s.find('&') != std::string::npos) fail(where, "not an attribute value: '" + s + "'");
        if (std::find(list.begin(), list.end(), s) != list.end()) fail(where, "'" + s + "' declared twice");
        list.push_back(std::move(s));
      }
      if (list.empty()) fail(where, "no value declared");
    }
  }
  if (root["criteria"].get(e)) fail("criteria", "missing field");
  std::size_t i = 0;
  for (auto c : detail::read_array(e, std::string("criteria"), fail)) {
    const std::string where = "criteria[" + std::to_string(i++) + "]";
    const auto obj = detail::read_object(c, where, fail);
    report::criterion cr;
    for (auto [key, value] : obj) {
      const std::string k(key), at = where + "." + k;
      if (k == "metric") {
        const std::string m(detail::read_string(value, at, fail));
        const auto parsed = report::parse_metric(m);
        if (!parsed) fail(at, "unknown metric '" + m + "' (known: " + report::metric_names() + ")");
        cr.what = *parsed;
      } else if (k == "class") {
        if (value.is_string())
          cr.cls = std::string(detail::read_string(value, at, fail));
        else
          cr.cls = std::to_string(detail::read_int(value, at, fail));
      } else if (k == "slice") {
        cr.slice = std::string(detail::read_string(value, at, fail));
      } else if (k == "iou") {
        cr.iou = detail::read_number(value, at, fail);
      } else if (k == "limit") {
        cr.limit = detail::read_number(value, at, fail);
      } else if (k == "direction") {
        const std::string d(detail::read_string(value, at, fail));
        if (d == "at_most" || d == "<=")
          cr.dir = report::direction::at_most;
        else if (d == "at_least" || d == ">=")
          cr.dir = report::direction::at_least;
        else
          fail(at, "expected at_most or at_least, got '" + d + "'");
      } else if (k == "min_n") {
        const auto v = detail::read_int(value, at, fail);
        if (v < 0) fail(at, "must not be negative");
        cr.min_n = static_cast<std::uint64_t>(v);
      } else if (k == "id") {
        cr.id = std::string(detail::read_string(value, at, fail));
      } else if (k == "note") {
        cr.note = std::string(detail::read_string(value, at, fail));
      } else if (k == "feature") {
        cr.feature = std::string(detail::read_string(value, at, fail));
      } else {
        fail(at,
             "unknown field (known: id, metric, class, slice, iou, limit, direction, min_n, note, feature)");
      }
    }
    for (const char* required : {"metric", "limit", "direction"})
      if (obj[required].error()) fail(where + "." + required, "missing field");
    const auto& mi = report::info(cr.what);
    if (cr.what == report::metric::drift) {
      if (cr.feature.empty())
        fail(where + ".feature", "missing field (metric drift names the drift test's feature)");
      bool known = false;
      std::string names;
      for (const char* f : report::drift_features) {
        known = known || cr.feature == f;
        names += std::string(names.empty() ? "" : ", ") + f;
      }
      if (!known) fail(where + ".feature", "unknown feature '" + cr.feature + "' (known: " + names + ")");
    } else if (!cr.feature.empty()) {
      fail(where + ".feature", "only a drift criterion names a feature");
    }
    if (mi.k == report::metric_info::kind::drift) {
      // a shift: any sign
    } else if (mi.k != report::metric_info::kind::poisson && (cr.limit < 0 || cr.limit > 1))
      fail(where + ".limit", "a rate's limit lies in [0, 1]");
    if (mi.k == report::metric_info::kind::poisson && cr.limit < 0)
      fail(where + ".limit", "must not be negative");
    cs.criteria.push_back(std::move(cr));
  }
  if (cs.criteria.empty()) fail("criteria", "no criterion");
  return cs;
}

/// Reads and parses the criteria file `path`.
[[nodiscard]] inline report::criteria_set load_criteria(const std::string& path) {
  simdjson::padded_string json;
  if (simdjson::padded_string::load(path).get(json)) throw input_error(path + ": cannot read file");
  return parse_criteria(json, path);
}

}  // namespace stratum::io
