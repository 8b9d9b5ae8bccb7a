// Reads a production-mix file (audit/production.hpp, docs/audit.md):
//
//   {"keys": ["weather", "timeofday"],
//    "cells": [{"weather": "rain", "timeofday": "night", "share": 0.05}, ...],
//    "prevalence": {"<category id>": pi, ...}}          (optional)
//
// Every cell names a value for every key and a share; unknown fields are refused. Errors name the file, the
// cell and the field. The mix is checked against the test data by audit::validate.
#pragma once

#include <algorithm>
#include <charconv>
#include <string>

#include <simdjson.h>

#include "../audit/production.hpp"
#include "../core/error.hpp"
#include "json_fields.hpp"

namespace stratum::io {

/// Parses a production mix from `json`; errors name `path` (the source), the cell and the field.
[[nodiscard]] inline audit::production_mix parse_production_mix(const simdjson::padded_string& json,
                                                                const std::string& path) {
  simdjson::dom::parser parser;
  const auto root = detail::file_root(parser, json, path);
  const auto fail = detail::file_fail(path);
  audit::production_mix mix;
  for (auto [key, value] : root)
    if (key != "keys" && key != "cells" && key != "prevalence")
      fail(std::string(key), "unknown field (known: keys, cells, prevalence)");
  simdjson::dom::element e;
  if (root["keys"].get(e)) fail("keys", "missing field");
  for (auto k : detail::read_array(e, std::string("keys"), fail))
    mix.keys.emplace_back(detail::read_string(k, std::string("keys"), fail));
  if (root["cells"].get(e)) fail("cells", "missing field");
  std::size_t i = 0;
  for (auto c : detail::read_array(e, std::string("cells"), fail)) {
    const std::string where = "cells[" + std::to_string(i++) + "]";
    const auto obj = detail::read_object(c, where, fail);
    audit::production_cell cell;
    for (std::size_t j = 0; j < mix.keys.size(); ++j) {
      simdjson::dom::element v;
      if (obj[mix.keys[j]].get(v))
        fail(where + "." + mix.keys[j], "missing field (every cell names every key)");
      cell.values.emplace_back(detail::read_string(v, where + "." + mix.keys[j], fail));
    }
    cell.name = audit::cell_name(mix.keys, cell.values);
    simdjson::dom::element share;
    if (obj["share"].get(share)) fail(where + ".share", "missing field");
    cell.share = detail::read_number(share, where + ".share", fail);
    for (auto [ck, cv] : obj)
      if (ck != "share" && std::find(mix.keys.begin(), mix.keys.end(), std::string(ck)) == mix.keys.end())
        fail(where + "." + std::string(ck), "not one of the keys");
    mix.cells.push_back(std::move(cell));
  }
  if (!root["prevalence"].get(e)) {
    for (auto [id, pi] : detail::read_object(e, std::string("prevalence"), fail)) {
      std::int64_t cat = 0;
      const std::string ids(id);
      const auto [p, ec] = std::from_chars(ids.data(), ids.data() + ids.size(), cat);
      if (ec != std::errc() || p != ids.data() + ids.size())
        fail("prevalence." + ids, "expected a category id");
      mix.prevalence[cat] = detail::read_number(pi, "prevalence." + ids, fail);
    }
  }
  if (mix.keys.empty()) fail("keys", "missing field");
  return mix;
}

/// Reads and parses the production-mix file `path`.
[[nodiscard]] inline audit::production_mix load_production_mix(const std::string& path) {
  simdjson::padded_string json;
  if (simdjson::padded_string::load(path).get(json)) throw input_error(path + ": cannot read file");
  return parse_production_mix(json, path);
}

}  // namespace stratum::io
