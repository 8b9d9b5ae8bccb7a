// Scene-attribute tables: the weather, time of day, rig... of each image, in a separate table keyed by image
// id or file name, joined to the ground truth (or to a stream's frames) before slicing.
//
// Formats: CSV with a header row (RFC 4180: comma-separated, fields in double quotes may hold commas, line
// breaks and doubled quotes; LF or CRLF; a leading UTF-8 byte-order mark is ignored; lines with nothing on
// them are skipped), or JSONL (one object per line; string values as written, numbers in their shortest
// round-trip form, true/false as words, null as no value; the columns are the keys in the order first seen).
// Values are kept exactly as written ("partly_cloudy" stays "partly_cloudy"); an empty cell is no value, so
// the image is in no slice of that column. A column named "provenance" gives the image's provenance ("real",
// "synthetic" or "augmented") instead of an attribute.
//
// The join (attribute_joiner): each row's key cell names an image, by id (an integer) or by file name
// (matched exactly, else with the extension removed on both sides). Rows whose key names no image, images
// without a row, and rows repeating a key are errors by default; with skip_missing they are counted instead
// (an image without a row keeps only its own attributes), except rows repeating a key with different values,
// which stay an error. A table value replaces a value the image already had for the same key (counted as
// replaced).
//
// Continuous attributes are sliced into named ranges (attribute_bins: "sun_elevation=-90,0,15,90" gives the
// values "[-90,0)", "[0,15)", "[15,90]"; names may be given after a colon).
//
// Every error names the file, the line and the column, or the image, and says what is wrong.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "../coco/dataset.hpp"
#include "../core/error.hpp"
#include "../core/frame.hpp"

namespace stratum::io {

/// A table as read: its columns and rows of cells, kept as written, with each row's line in the file.
struct attribute_table {
  std::string source;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // rows[r][c]; "" is no value
  std::vector<std::size_t> line;               // 1-based line where row r starts

  [[nodiscard]] std::size_t column(std::string_view name) const noexcept {
    for (std::size_t c = 0; c < columns.size(); ++c)
      if (columns[c] == name) return c;
    return columns.size();
  }
  /// "attributes.csv: line 7 (column weather)"
  [[nodiscard]] std::string where(std::size_t r, std::size_t c) const {
    return source + ": line " + std::to_string(line[r]) + " (column " + columns[c] + ")";
  }
};

namespace detail {

/// Calls fn(line_number, line) for each line of `text` (1-based; a CR before the LF removed; the last line
/// needs no line end).
template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  std::size_t pos = 0, line = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    pos = end + 1;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    fn(++line, l);
  }
}

/// The whole content of a file; input_error naming it when it cannot be read.
inline std::string read_text_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw input_error(path + ": cannot read file");
  std::string text;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw input_error(path + ": read error");
  return text;
}

/// Writes `text` to the file `path` (replacing it); input_error naming it when that fails.
inline void write_text_file(const std::string& path, std::string_view text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw input_error(path + ": cannot open for writing");
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if ((std::fclose(f) != 0) || !ok) throw input_error(path + ": write error");
}

/// A CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote or a line break.
inline std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + '"';
}

/// The file name without its last extension (the one after the last '/' or '\\', not a leading dot).
inline std::string stem_of(std::string_view name) {
  const auto dot = name.rfind('.');
  const auto slash = name.find_last_of("/\\");
  if (dot == std::string_view::npos || dot == 0 || (slash != std::string_view::npos && dot <= slash + 1))
    return std::string(name);
  return std::string(name.substr(0, dot));
}

inline void check_columns(attribute_table& t) {
  if (t.columns.empty()) throw input_error(t.source + ": no columns (the first line is the header)");
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    if (t.columns[c].empty())
      throw input_error(t.source + ": line 1: column " + std::to_string(c + 1) + " has no name");
    for (std::size_t d = 0; d < c; ++d)
      if (t.columns[d] == t.columns[c])
        throw input_error(t.source + ": line 1: column name '" + t.columns[c] + "' appears twice");
  }
}

}  // namespace detail

/// Parses a CSV table (header row first). `source` names it in error messages.
[[nodiscard]] inline attribute_table parse_attribute_csv(std::string_view text, const std::string& source) {
  attribute_table t;
  t.source = source;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::size_t i = 0, line = 1;
  bool header = true;
  std::vector<std::string> row;
  while (i < text.size()) {
    const std::size_t row_line = line;
    row.clear();
    bool blank = true;
    for (;;) {  // one field
      std::string cell;
      if (i < text.size() && text[i] == '"') {
        blank = false;
        const std::size_t open_line = line;
        ++i;
        for (;;) {
          if (i >= text.size())
            throw input_error(source + ": line " + std::to_string(open_line) +
                              ": a quoted field is not closed before the end of the file");
          const char ch = text[i++];
          if (ch == '"') {
            if (i < text.size() && text[i] == '"') {
              cell += '"';
              ++i;
            } else {
              break;
            }
          } else {
            if (ch == '\n') ++line;
            cell += ch;
          }
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
          throw input_error(source + ": line " + std::to_string(line) + ", field " +
                            std::to_string(row.size() + 1) + ": text after the closing quote");
      } else {
        const std::size_t start = i;
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"')
            throw input_error(source + ": line " + std::to_string(line) + ", field " +
                              std::to_string(row.size() + 1) +
                              ": a double quote inside an unquoted field (quote the whole field)");
          ++i;
        }
        cell.assign(text.substr(start, i - start));
        if (!cell.empty()) blank = false;
      }
      row.push_back(std::move(cell));
      if (i < text.size() && text[i] == ',') {
        blank = false;
        ++i;
        continue;
      }
      break;
    }
    if (i < text.size() && text[i] == '\r') {
      ++i;
      if (i < text.size() && text[i] != '\n')
        throw input_error(source + ": line " + std::to_string(line) +
                          ": a carriage return not followed by a line feed");
    }
    if (i < text.size() && text[i] == '\n') ++i;
    ++line;
    if (blank) continue;  // a line with nothing on it
    if (header) {
      t.columns = row;
      detail::check_columns(t);
      header = false;
      continue;
    }
    if (row.size() != t.columns.size())
      throw input_error(source + ": line " + std::to_string(row_line) + ": " + std::to_string(row.size()) +
                        " fields, the header has " + std::to_string(t.columns.size()));
    t.rows.push_back(row);
    t.line.push_back(row_line);
  }
  if (header) throw input_error(source + ": empty table (the first line is the header)");
  return t;
}

/// Parses a JSONL table: one object per line (string, number, boolean or null values).
[[nodiscard]] inline attribute_table parse_attribute_jsonl(std::string_view text, const std::string& source) {
  attribute_table t;
  t.source = source;
  simdjson::dom::parser parser;
  detail::for_each_line(text, [&](std::size_t line, std::string_view l) {
    if (l.find_first_not_of(" \t") == std::string_view::npos) return;
    const std::string at = source + ": line " + std::to_string(line);
    simdjson::dom::element doc;
    if (auto err = parser.parse(l.data(), l.size()).get(doc); err)
      throw input_error(at + ": not valid JSON (" + simdjson::error_message(err) + ")");
    simdjson::dom::object o;
    if (doc.get_object().get(o)) throw input_error(at + ": expected an object");
    std::vector<std::string> row(t.columns.size());
    std::vector<char> seen(t.columns.size(), 0);
    for (auto [k, v] : o) {
      const std::string key(k);
      std::size_t c = t.column(key);
      if (c == t.columns.size()) {
        if (key.empty()) throw input_error(at + ": a key is empty");
        t.columns.push_back(key);
        for (auto& r : t.rows) r.emplace_back();
        row.emplace_back();
        seen.push_back(0);
      }
      if (seen[c]) throw input_error(at + ": key '" + key + "' appears twice");
      seen[c] = 1;
      std::string cell;
      switch (v.type()) {
        case simdjson::dom::element_type::STRING:
          cell = std::string(v.get_string().value_unsafe());
          break;
        case simdjson::dom::element_type::INT64:
          cell = std::to_string(v.get_int64().value_unsafe());
          break;
        case simdjson::dom::element_type::UINT64:
          cell = std::to_string(v.get_uint64().value_unsafe());
          break;
        case simdjson::dom::element_type::DOUBLE: {
          char buf[32];
          const auto r = std::to_chars(buf, buf + sizeof buf, v.get_double().value_unsafe());
          cell.assign(buf, r.ptr);
          break;
        }
        case simdjson::dom::element_type::BOOL:
          cell = v.get_bool().value_unsafe() ? "true" : "false";
          break;
        case simdjson::dom::element_type::NULL_VALUE:
          break;
        default:
          throw input_error(at + ": " + key + ": expected a string, number, boolean or null");
      }
      row[c] = std::move(cell);
    }
    t.rows.push_back(std::move(row));
    t.line.push_back(line);
  });
  if (t.columns.empty()) throw input_error(source + ": empty table (no object with a key)");
  return t;
}

/// Reads a table: JSONL when the name ends in .jsonl, .ndjson or .json, CSV when it ends in .csv; otherwise
/// JSONL when the first character that is not white space is '{', else CSV.
[[nodiscard]] inline attribute_table load_attribute_table(const std::string& path) {
  const std::string text = detail::read_text_file(path);
  auto ends = [&](std::string_view s) {
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  bool jsonl;
  if (ends(".jsonl") || ends(".ndjson") || ends(".json")) {
    jsonl = true;
  } else if (ends(".csv")) {
    jsonl = false;
  } else {
    const auto p = text.find_first_not_of(" \t\r\n");
    jsonl = p != std::string::npos && text[p] == '{';
  }
  return jsonl ? parse_attribute_jsonl(text, path) : parse_attribute_csv(text, path);
}

/// A continuous attribute sliced into ranges: edges e0 < e1 < ... < en give [e0,e1), ..., [e(n-1),en].
struct attribute_bins {
  std::string key;
  std::vector<double> edges;
  std::vector<std::string> edge_text;  // the edges as written
  std::vector<std::string> names;      // one per range

  /// The range a value falls in, or names.size() when outside [e0, en].
  [[nodiscard]] std::size_t find(double v) const noexcept {
    if (!(v >= edges.front() && v <= edges.back())) return names.size();
    const auto it = std::upper_bound(edges.begin(), edges.end(), v);
    const auto k = static_cast<std::size_t>(it - edges.begin());
    return k >= edges.size() ? names.size() - 1 : k - 1;
  }
};

namespace detail {

inline bool parse_full_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+') ++b;
  const auto r = std::from_chars(b, s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

inline std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto c = s.find(',');
    out.push_back(s.substr(0, c));
    if (c == std::string_view::npos) return out;
    s.remove_prefix(c + 1);
  }
}

}  // namespace detail

/// Parses "KEY=e0,e1,...,en" or "KEY=e0,...,en:name1,...,namen"; throws usage_error naming what is wrong.
[[nodiscard]] inline attribute_bins parse_attribute_bins(std::string_view spec) {
  const std::string s(spec);
  const auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw usage_error("--bin " + s + ": expected KEY=EDGE,EDGE,... (e.g. sun_elevation=-90,0,15,90)");
  attribute_bins b;
  b.key = std::string(spec.substr(0, eq));
  std::string_view rest = spec.substr(eq + 1);
  std::string_view names;
  if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    names = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  for (const auto e : detail::split_commas(rest)) {
    double v;
    if (!detail::parse_full_double(e, v))
      throw usage_error("--bin " + s + ": '" + std::string(e) + "' is not a finite number");
    if (!b.edges.empty() && !(v > b.edges.back()))
      throw usage_error("--bin " + s + ": the edges must increase");
    b.edges.push_back(v);
    b.edge_text.emplace_back(e);
  }
  if (b.edges.size() < 2) throw usage_error("--bin " + s + ": give at least two edges");
  const std::size_t n = b.edges.size() - 1;
  if (names.empty() && spec.find(':') == std::string_view::npos) {
    for (std::size_t k = 0; k < n; ++k)
      b.names.push_back("[" + b.edge_text[k] + "," + b.edge_text[k + 1] + (k + 1 == n ? "]" : ")"));
  } else {
    for (const auto nm : detail::split_commas(names)) {
      if (nm.empty()) throw usage_error("--bin " + s + ": a range name is empty");
      b.names.emplace_back(nm);
    }
    if (b.names.size() != n)
      throw usage_error("--bin " + s + ": " + std::to_string(n) + " ranges need " + std::to_string(n) +
                        " names, got " + std::to_string(b.names.size()));
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t j = 0; j < k; ++j)
        if (b.names[j] == b.names[k])
          throw usage_error("--bin " + s + ": the name '" + b.names[k] + "' repeats");
  }
  return b;
}

/// Replaces each binned attribute's value by its range's name. `where` names the image or frame in errors.
inline void apply_attribute_bins(attributes& attrs, const std::vector<attribute_bins>& bins,
                                 const std::string& where) {
  for (const auto& b : bins)
    for (auto& [k, v] : attrs) {
      if (k != b.key) continue;
      double x;
      if (!detail::parse_full_double(v, x))
        throw input_error(where + ": attribute " + k + ": '" + v + "' is not a number (--bin " + k + ")");
      const auto r = b.find(x);
      if (r == b.names.size())
        throw input_error(where + ": attribute " + k + ": " + v + " is outside the ranges of --bin " + k +
                          " [" + b.edge_text.front() + ", " + b.edge_text.back() + "]");
      v = b.names[r];
    }
}

/// How a table is joined to images or frames.
struct attribute_join_options {
  enum class key_kind { id, file_name };
  key_kind key = key_kind::id;
  std::string column;         // the table's key column; "" = its first column
  bool skip_missing = false;  // count images without a row, unknown and repeated rows instead of failing
};

/// What a join did, for the run's report.
struct attribute_join_report {
  std::size_t rows = 0, images = 0, joined = 0;
  std::size_t missing = 0;   // images without a row (skip_missing only)
  std::size_t unknown = 0;   // rows naming no image (skip_missing only)
  std::size_t repeated = 0;  // rows repeating an earlier row's key with the same values (skip_missing only)
  std::size_t replaced = 0;  // values that replaced a different value the image already had
  std::size_t empty = 0;     // empty cells (no value) in the joined rows
  std::vector<std::string> missing_examples, unknown_examples;  // the first few of each

  /// One line: "attributes.csv: 200 rows joined to 200 of 200 images by file_name (column name)".
  [[nodiscard]] std::string summary(const std::string& source, const std::string& key_desc) const {
    std::string s = source + ": " + std::to_string(joined) + " of " + std::to_string(images) +
                    " images joined to the table's " + std::to_string(rows) + " rows by " + key_desc;
    if (missing)
      s += "; " + std::to_string(missing) + " images without a row (in no slice of the table's columns)";
    if (unknown) s += "; " + std::to_string(unknown) + " rows naming no image, not used";
    if (repeated) s += "; " + std::to_string(repeated) + " repeated rows";
    if (replaced) s += "; " + std::to_string(replaced) + " values replaced the image's own";
    if (empty) s += "; " + std::to_string(empty) + " empty cells (no value)";
    return s;
  }
};

/// Joins a table to images or frames: `apply` once per image, then `finish`.
class attribute_joiner {
 public:
  attribute_joiner(attribute_table table, attribute_join_options opt)
      : t_(std::move(table)), o_(std::move(opt)) {
    key_col_ = o_.column.empty() ? 0 : t_.column(o_.column);
    if (key_col_ == t_.columns.size())
      throw usage_error(t_.source + ": no column named '" + o_.column + "' (columns: " + column_list() + ")");
    prov_col_ = t_.column("provenance");
    if (prov_col_ == key_col_) prov_col_ = t_.columns.size();
    used_.assign(t_.rows.size(), 0);
    for (std::size_t r = 0; r < t_.rows.size(); ++r) {
      const std::string& k = t_.rows[r][key_col_];
      if (k.empty()) throw input_error(t_.where(r, key_col_) + ": the key is empty");
      if (prov_col_ < t_.columns.size()) {
        const auto& p = t_.rows[r][prov_col_];
        if (!p.empty() && p != "real" && p != "synthetic" && p != "augmented")
          throw input_error(t_.where(r, prov_col_) + ": expected real, synthetic or augmented, got '" + p +
                            "'");
      }
      if (o_.key == attribute_join_options::key_kind::id) {
        std::int64_t id;
        const auto res = std::from_chars(k.data(), k.data() + k.size(), id);
        if (res.ec != std::errc() || res.ptr != k.data() + k.size())
          throw input_error(t_.where(r, key_col_) + ": '" + k + "' is not an integer image id");
      }
      if (o_.key == attribute_join_options::key_kind::file_name) {
        const auto [st, fresh_stem] = by_stem_.emplace(detail::stem_of(k), r);
        if (!fresh_stem && st->second != kAmbiguous && t_.rows[st->second][key_col_] != k)
          st->second = kAmbiguous;
      }
      auto [it, fresh] = by_key_.emplace(normal_key(k), r);
      if (!fresh) {
        const std::size_t first = it->second;
        if (t_.rows[first] != t_.rows[r])
          throw input_error(t_.where(r, key_col_) + ": '" + k + "' already has a row (line " +
                            std::to_string(t_.line[first]) + ") with other values");
        if (!o_.skip_missing)
          throw input_error(t_.where(r, key_col_) + ": '" + k + "' repeats line " +
                            std::to_string(t_.line[first]) +
                            " (--attributes-missing skip counts repeated rows instead)");
        ++rep_.repeated;
        used_[r] = 1;  // a repeat is not an unknown row
      }
    }
    rep_.rows = t_.rows.size();
  }

  [[nodiscard]] const attribute_table& table() const noexcept { return t_; }
  [[nodiscard]] const attribute_join_options& options() const noexcept { return o_; }
  [[nodiscard]] const attribute_join_report& report() const noexcept { return rep_; }

  /// "file_name (column name)"
  [[nodiscard]] std::string key_description() const {
    return std::string(o_.key == attribute_join_options::key_kind::id ? "id" : "file_name") + " (column " +
           t_.columns[key_col_] + ")";
  }

  /// Joins the row of the image with this id and file name (nullptr: none) into its attributes and
  /// provenance. `where` names the image in errors ("gt.json: images[4] (id 5)"). Returns false when the
  /// table has no row for it (an error unless skip_missing).
  bool apply(std::int64_t id, const std::string* file_name, attributes& attrs, std::string& provenance,
             const std::string& where) {
    ++rep_.images;
    std::size_t r = t_.rows.size();
    if (o_.key == attribute_join_options::key_kind::id) {
      const auto it = by_key_.find(std::to_string(id));
      if (it != by_key_.end()) r = it->second;
    } else {
      if (!file_name || file_name->empty())
        throw input_error(where + ": no file_name, and the table " + t_.source + " is keyed by file name");
      // exactly; else the table without the extension; else the image without it
      auto it = by_key_.find(*file_name);
      if (it == by_key_.end()) it = by_key_.find(detail::stem_of(*file_name));
      if (it != by_key_.end()) {
        r = it->second;
      } else if (const auto st = by_stem_.find(*file_name); st != by_stem_.end()) {
        if (st->second == kAmbiguous)
          throw input_error(where + ": file name '" + *file_name + "' matches several rows of " + t_.source +
                            " once their extensions are removed");
        r = st->second;
      }
    }
    if (r == t_.rows.size()) {
      if (!o_.skip_missing)
        throw input_error(where + ": no row in " + t_.source + " (keyed by " + key_description() +
                          "; --attributes-missing skip puts such images in no slice of the table's columns)");
      ++rep_.missing;
      if (rep_.missing_examples.size() < 5) rep_.missing_examples.push_back(where);
      return false;
    }
    if (used_[r] == 2)
      throw input_error(where + ": its row in " + t_.source + " (line " + std::to_string(t_.line[r]) +
                        ") already went to another image (two images with one key)");
    used_[r] = 2;
    ++rep_.joined;
    const auto& row = t_.rows[r];
    for (std::size_t c = 0; c < t_.columns.size(); ++c) {
      if (c == key_col_) continue;
      if (row[c].empty()) {
        ++rep_.empty;
        continue;
      }
      if (c == prov_col_) {
        if (!provenance.empty() && provenance != row[c]) ++rep_.replaced;
        provenance = row[c];
        continue;
      }
      bool found = false;
      for (auto& [k, v] : attrs)
        if (k == t_.columns[c]) {
          if (v != row[c]) ++rep_.replaced;
          v = row[c];
          found = true;
        }
      if (!found) attrs.emplace_back(t_.columns[c], row[c]);
    }
    return true;
  }

  /// After every image: rows that named no image are an error unless skip_missing.
  const attribute_join_report& finish() {
    for (std::size_t r = 0; r < t_.rows.size(); ++r) {
      if (used_[r]) continue;
      if (!o_.skip_missing)
        throw input_error(t_.where(r, key_col_) + ": no image has " +
                          (o_.key == attribute_join_options::key_kind::id ? "id " : "file name ") + "'" +
                          t_.rows[r][key_col_] + "' (--attributes-missing skip counts such rows instead)");
      ++rep_.unknown;
      if (rep_.unknown_examples.size() < 5) rep_.unknown_examples.push_back(t_.where(r, key_col_));
    }
    return rep_;
  }

 private:
  /// Ids compare as numbers ("007" is 7); file names as written.
  std::string normal_key(const std::string& k) const {
    if (o_.key == attribute_join_options::key_kind::file_name) return k;
    std::int64_t id = 0;
    std::from_chars(k.data(), k.data() + k.size(), id);
    return std::to_string(id);
  }
  std::string column_list() const {
    std::string s;
    for (const auto& c : t_.columns) s += (s.empty() ? "" : ", ") + c;
    return s;
  }

  attribute_table t_;
  attribute_join_options o_;
  std::size_t key_col_ = 0, prov_col_ = 0;
  static constexpr std::size_t kAmbiguous = static_cast<std::size_t>(-1);
  std::unordered_map<std::string, std::size_t> by_key_;  // the normal key -> its first row
  std::unordered_map<std::string, std::size_t>
      by_stem_;                      // file names without extension -> row (or kAmbiguous)
  std::vector<unsigned char> used_;  // 0 unused, 1 repeat of another row, 2 joined
  attribute_join_report rep_;
};

/// "gt.json: images[4] (id 5)"
[[nodiscard]] inline std::string image_where(const std::string& source, std::size_t index, std::int64_t id) {
  return source + ": images[" + std::to_string(index) + "] (id " + std::to_string(id) + ")";
}

/// Joins the table to every image of a ground truth (`source` names it in errors), then checks for rows that
/// named no image; returns what the join did.
inline const attribute_join_report& join_attributes(coco::ground_truth& gt, attribute_joiner& j,
                                                    const std::string& source) {
  for (std::size_t i = 0; i < gt.images.size(); ++i) {
    auto& im = gt.images[i];
    j.apply(im.id, &im.file_name, im.attrs, im.provenance, image_where(source, i, im.id));
  }
  return j.finish();
}

/// Applies --bin ranges to every image of a ground truth.
inline void apply_attribute_bins(coco::ground_truth& gt, const std::vector<attribute_bins>& bins,
                                 const std::string& source) {
  if (bins.empty()) return;
  for (std::size_t i = 0; i < gt.images.size(); ++i)
    apply_attribute_bins(gt.images[i].attrs, bins, image_where(source, i, gt.images[i].id));
}

}  // namespace stratum::io
