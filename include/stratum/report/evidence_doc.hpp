// The building blocks of the evidence pack (report/evidence.hpp): a small JSON tree that keeps the order of
// its keys, and a document model (sections of paragraphs, tables and figures) that the Markdown and HTML
// writers render. A number shown in a table is made from the JSON value it shows and carries that value's
// JSON pointer, so every number a person reads is, by construction and by test, the number in evidence.json.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "../detail/json.hpp"

namespace stratum::report::evidence_detail {

/// A JSON value: null, bool, number, integer, string, array or object (keys in insertion order).
class jv {
 public:
  enum class kind { null, boolean, number, integer, string, array, object };
  jv() = default;
  static jv num(double v) {
    jv j;
    j.k_ = kind::number, j.d_ = v;
    return j;
  }
  static jv integer(std::int64_t v) {
    jv j;
    j.k_ = kind::integer, j.i_ = v;
    return j;
  }
  static jv str(std::string s) {
    jv j;
    j.k_ = kind::string, j.s_ = std::move(s);
    return j;
  }
  static jv boolean(bool b) {
    jv j;
    j.k_ = kind::boolean, j.i_ = b;
    return j;
  }
  static jv array() {
    jv j;
    j.k_ = kind::array;
    return j;
  }
  static jv object() {
    jv j;
    j.k_ = kind::object;
    return j;
  }
  /// The member `key` of an object (added as null when missing; a null becomes an object).
  jv& operator[](const std::string& key) {
    if (k_ == kind::null) k_ = kind::object;
    for (auto& [k, v] : obj_)
      if (k == key) return v;
    obj_.emplace_back(key, jv{});
    return obj_.back().second;
  }
  /// Appends to an array (a null becomes an array); returns the new element.
  jv& push(jv v) {
    if (k_ == kind::null) k_ = kind::array;
    arr_.push_back(std::move(v));
    return arr_.back();
  }
  jv& push() { return push(jv()); }
  [[nodiscard]] std::size_t size() const { return k_ == kind::array ? arr_.size() : obj_.size(); }

  void dump(std::string& out, int depth = 0) const {
    auto newline = [&](int d) {
      out += '\n';
      out.append(static_cast<std::size_t>(d), ' ');
    };
    switch (k_) {
      case kind::null:
        out += "null";
        return;
      case kind::boolean:
        out += i_ ? "true" : "false";
        return;
      case kind::number:
        stratum::detail::append_json_number(out, d_);
        return;
      case kind::integer:
        stratum::detail::append_json_int(out, i_);
        return;
      case kind::string:
        stratum::detail::append_json_string(out, s_);
        return;
      case kind::array: {
        // arrays of scalars on one line (curves, matrices stay compact)
        bool flat = true;
        for (const auto& v : arr_)
          flat = flat && v.k_ != kind::object && (v.k_ != kind::array || v.scalars());
        out += '[';
        for (std::size_t i = 0; i < arr_.size(); ++i) {
          if (i) out += flat ? ", " : ",";
          if (!flat) newline(depth + 1);
          arr_[i].dump(out, depth + 1);
        }
        if (!flat && !arr_.empty()) newline(depth);
        out += ']';
        return;
      }
      case kind::object:
        out += '{';
        for (std::size_t i = 0; i < obj_.size(); ++i) {
          if (i) out += ',';
          newline(depth + 1);
          stratum::detail::append_json_string(out, obj_[i].first);
          out += ": ";
          obj_[i].second.dump(out, depth + 1);
        }
        if (!obj_.empty()) newline(depth);
        out += '}';
        return;
    }
  }

 private:
  [[nodiscard]] bool scalars() const {
    for (const auto& v : arr_)
      if (v.k_ == kind::array || v.k_ == kind::object) return false;
    return true;
  }
  kind k_ = kind::null;
  double d_ = 0;
  std::int64_t i_ = 0;
  std::string s_;
  std::vector<jv> arr_;
  std::vector<std::pair<std::string, jv>> obj_;
};

/// A JSON pointer segment (RFC 6901: ~ as ~0, / as ~1).
[[nodiscard]] inline std::string pointer_segment(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

/// How a number is shown: 4 significant digits (printf %.4g); an undefined one (NaN, JSON null) as "-".
[[nodiscard]] inline std::string show(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}
[[nodiscard]] inline std::string show(std::int64_t v) {
  return std::to_string(v);
}

/// A table cell: its text and, for a number, the JSON pointer of the value it shows.
struct cell {
  std::string text, ref, cls;  // cls: "PASS", "FAIL", "INCONCLUSIVE", "unmeasured", "num" ... for styling
  cell(std::string t = {}, std::string r = {}, std::string c = {})  // NOLINT: implicit from text
      : text(std::move(t)), ref(std::move(r)), cls(std::move(c)) {}
};

struct table {
  std::string id;
  std::vector<std::string> head;
  std::vector<std::vector<cell>> rows;
  bool sortable = false;
};

struct block {
  enum class kind { paragraph, table, figure, list } k = kind::paragraph;
  std::string text;                // paragraph, or a figure's caption
  table t;                         // table
  std::string svg;                 // figure (HTML only; Markdown names it)
  std::vector<std::string> items;  // list
};

struct section {
  std::string id, title;
  std::deque<block> blocks;  // a deque: a table added earlier stays where it is while more blocks are added
  void para(std::string s) { blocks.push_back({block::kind::paragraph, std::move(s), {}, {}, {}}); }
  table& add_table(std::string table_id, std::vector<std::string> head, bool sortable = false) {
    block b;
    b.k = block::kind::table;
    b.t.id = std::move(table_id), b.t.head = std::move(head), b.t.sortable = sortable;
    blocks.push_back(std::move(b));
    return blocks.back().t;
  }
  void figure(std::string svg, std::string caption) {
    block b;
    b.k = block::kind::figure, b.svg = std::move(svg), b.text = std::move(caption);
    blocks.push_back(std::move(b));
  }
  void list(std::vector<std::string> items) {
    block b;
    b.k = block::kind::list, b.items = std::move(items);
    blocks.push_back(std::move(b));
  }
};

/// A JSON object under construction with its pointer: numbers put into it come back as cells showing them.
struct node {
  jv* v;
  std::string ptr;
  [[nodiscard]] node at(const std::string& key) const {
    return {&(*v)[key], ptr + "/" + pointer_segment(key)};
  }
  [[nodiscard]] node push() const {
    const auto i = v->size();
    return {&v->push(), ptr + "/" + std::to_string(i)};
  }
  cell num(const std::string& key, double x) const {
    (*v)[key] = std::isfinite(x) ? jv::num(x) : jv{};
    return {show(x), ptr + "/" + pointer_segment(key), "num"};
  }
  cell integer(const std::string& key, std::int64_t x) const {
    (*v)[key] = jv::integer(x);
    return {show(x), ptr + "/" + pointer_segment(key), "num"};
  }
  cell count(const std::string& key, std::uint64_t x) const {
    return integer(key, static_cast<std::int64_t>(x));
  }
  cell text(const std::string& key, const std::string& s, std::string cls = {}) const {
    (*v)[key] = jv::str(s);
    return {s, {}, std::move(cls)};
  }
  void set(const std::string& key, jv x) const { (*v)[key] = std::move(x); }
};

}  // namespace stratum::report::evidence_detail
