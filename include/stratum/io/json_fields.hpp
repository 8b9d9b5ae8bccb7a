// The JSON value readers shared by the adapters (coco_json.hpp, jsonl.hpp): each reads one value of the
// expected type or reports, through the adapter's own `fail(where, what)`, what was wrong, with the same
// words in every format. `where` is the adapter's location type (a record and field), formatted only when an
// error is reported, so the happy path allocates nothing.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "../core/error.hpp"

namespace stratum::io::detail {

/// An integer (int64). "integer out of range" for an integer beyond int64, "expected an integer" otherwise.
template <class Fail, class Where>
[[nodiscard]] std::int64_t read_int(simdjson::dom::element e, const Where& where, Fail&& fail) {
  std::int64_t v;
  if (e.get_int64().get(v)) {
    std::uint64_t u;
    if (!e.get_uint64().get(u)) fail(where, "integer out of range");
    fail(where, "expected an integer");
  }
  return v;
}

/// A finite number. "expected a number" for another type, "not a finite number" for one that overflows.
template <class Fail, class Where>
[[nodiscard]] double read_number(simdjson::dom::element e, const Where& where, Fail&& fail) {
  double v;
  if (e.get_double().get(v)) fail(where, "expected a number");
  if (!std::isfinite(v)) fail(where, "not a finite number");
  return v;
}

template <class Fail, class Where>
[[nodiscard]] std::string_view read_string(simdjson::dom::element e, const Where& where, Fail&& fail) {
  std::string_view v;
  if (e.get_string().get(v)) fail(where, "expected a string");
  return v;
}

template <class Fail, class Where>
[[nodiscard]] simdjson::dom::object read_object(simdjson::dom::element e, const Where& where, Fail&& fail) {
  simdjson::dom::object o;
  if (e.get_object().get(o)) fail(where, "expected an object");
  return o;
}

template <class Fail, class Where>
[[nodiscard]] simdjson::dom::array read_array(simdjson::dom::element e, const Where& where, Fail&& fail) {
  simdjson::dom::array a;
  if (e.get_array().get(a)) fail(where, "expected an array");
  return a;
}

/// The error reporter of a small JSON file `path`: fail(where, what) throws input_error("path: where: what").
[[nodiscard]] inline auto file_fail(const std::string& path) {
  return [path](const std::string& where, const std::string& what) {
    throw ::stratum::input_error(path + ": " + where + ": " + what);
  };
}

/// Parses `json` (the file `path`) with `parser` and returns its top-level object; input_error naming the
/// file for invalid JSON or another top-level value.
[[nodiscard]] inline simdjson::dom::object file_root(simdjson::dom::parser& parser,
                                                     const simdjson::padded_string& json,
                                                     const std::string& path) {
  simdjson::dom::element doc;
  if (auto err = parser.parse(json).get(doc))
    throw ::stratum::input_error(path + ": invalid JSON: " + simdjson::error_message(err));
  return read_object(doc, std::string("(document)"), file_fail(path));
}

/// A COCO box [x, y, w, h] into v[0..3]: four finite numbers, w and h not negative. `whole` names the box,
/// `element(i)` its i-th number.
template <class Fail, class Where, class Element>
void read_bbox(simdjson::dom::element e, const Where& whole, Element&& element, double* v, Fail&& fail) {
  simdjson::dom::array arr;
  if (e.get_array().get(arr) || arr.size() != 4) fail(whole, "expected an array of 4 numbers [x, y, w, h]");
  int i = 0;
  for (auto x : arr) {
    v[i] = read_number(x, element(i), fail);
    ++i;
  }
  if (v[2] < 0) fail(element(2), "negative width " + std::to_string(v[2]));
  if (v[3] < 0) fail(element(3), "negative height " + std::to_string(v[3]));
}

}  // namespace stratum::io::detail
