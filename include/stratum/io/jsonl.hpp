// JSONL frame stream (docs/stream_format.md): one JSON object per line, the first line optionally a header.
//
//   {"stratum_stream": 1, "categories": [{"id": 1, "name": "car"}, ...]}
//   {"frame_id": 17, "attributes": {"weather": "rain"}, "provenance": "real", "width": 1280, "height": 720,
//    "gt": [{"id": 5, "category_id": 1, "bbox": [x, y, w, h], "area": 1234.5, "iscrowd": 0}],
//           (and optionally "ignore", "difficult", "truncated": 0 or 1, core/frame.hpp's gt_flag bits)
//    "dt": [{"category_id": 1, "bbox": [x, y, w, h], "score": 0.93}], "embedding": [0.1, ...]}
//
// jsonl_reader reads a stream from a file or any std::istream (stdin) line by line: each line is copied into
// a padded buffer that is reused and parsed with simdjson's DOM parser (also reused), so memory is constant
// per frame (plus one hash-table entry per frame id, for the duplicate check). Every line is validated in
// full; bad input stops with an input_error of the form
//
//   "<source>: line <L> (frame <id>): <field>: <what is wrong> (<F> frames read before this line)"
//
// (the frame part when the line's frame id is known). Lines holding only spaces, tabs or a carriage return
// are blank: they carry no record, are counted (blank_lines()) and skipped. A last line without a newline is
// accepted when it is a complete JSON object and reported as truncated otherwise.
//
// The writer functions produce the same format (numbers in the shortest form that reads back to the same
// double, so write -> read is exact).
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <simdjson.h>

#include "../coco/dataset.hpp"
#include "../core/error.hpp"
#include "../core/frame.hpp"
#include "../detail/json.hpp"
#include "json_fields.hpp"

namespace stratum::io {

/// The stream format version this reader reads and the writer writes.
inline constexpr std::int64_t stream_format_version = 1;

class jsonl_reader {
 public:
  /// Reads a stream from `in` (not owned; it must outlive the reader). `source` names the stream in error
  /// messages. `categories`, when given, declares the categories (e.g. those of a COCO ground-truth file); a
  /// header line, when present, must then declare the same ids. Reads the header (or peeks at the first
  /// frame) at once; throws input_error when neither the header nor the caller declares the categories.
  jsonl_reader(std::istream& in, std::string source,
               std::optional<std::vector<coco::category_info>> categories = std::nullopt)
      : in_(&in), source_(std::move(source)) {
    start(std::move(categories));
  }

  /// Reads the stream in file `path`.
  [[nodiscard]] static jsonl_reader open(
      const std::string& path, std::optional<std::vector<coco::category_info>> categories = std::nullopt) {
    auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!*file) throw input_error(path + ": cannot open file");
    return jsonl_reader(std::move(file), path, std::move(categories));
  }

  jsonl_reader(jsonl_reader&&) noexcept = default;
  jsonl_reader& operator=(jsonl_reader&&) noexcept = default;

  /// Reads the next frame into `f` (cleared first); false at the end of the stream.
  bool next(frame& f) {
    for (;;) {
      if (pending_) {
        pending_ = false;
      } else if (!read_line()) {
        return false;
      }
      if (is_blank()) {
        ++blank_;
        continue;
      }
      parse_frame(f);
      ++frames_;
      return true;
    }
  }

  /// The declared categories (from the caller, else from the header), in declaration order.
  [[nodiscard]] const std::vector<coco::category_info>& categories() const noexcept { return cats_; }
  /// Whether the stream starts with a header line.
  [[nodiscard]] bool has_header() const noexcept { return header_; }
  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  /// Lines consumed so far (the current line's number after next()).
  [[nodiscard]] std::size_t line() const noexcept { return line_no_; }
  /// Frames read so far.
  [[nodiscard]] std::size_t frames() const noexcept { return frames_; }
  /// Blank lines skipped so far.
  [[nodiscard]] std::size_t blank_lines() const noexcept { return blank_; }

 private:
  jsonl_reader(std::unique_ptr<std::istream> owned, std::string source,
               std::optional<std::vector<coco::category_info>> categories)
      : owned_(std::move(owned)), in_(owned_.get()), source_(std::move(source)) {
    start(std::move(categories));
  }

  enum field_bit : unsigned {
    f_frame_id = 1,
    f_attributes = 2,
    f_provenance = 4,
    f_width = 8,
    f_height = 16,
    f_gt = 32,
    f_dt = 64,
    f_embedding = 128
  };

  /// Names a field for error messages without building the string unless an error occurs:
  /// base, then "[index]" when index != npos, then sub (e.g. "gt", 3, ".bbox[2]" -> "gt[3].bbox[2]").
  struct field_ref {
    std::string_view base;
    std::size_t index = static_cast<std::size_t>(-1);
    std::string_view sub = {};
    field_ref(const char* b) : base(b) {}         // NOLINT: implicit on purpose
    field_ref(const std::string& b) : base(b) {}  // NOLINT
    field_ref(std::string_view b, std::size_t i, std::string_view s = {}) : base(b), index(i), sub(s) {}
    [[nodiscard]] std::string str() const {
      std::string out(base);
      if (index != static_cast<std::size_t>(-1)) out += "[" + std::to_string(index) + "]";
      out += sub;
      return out;
    }
  };

  [[noreturn]] void fail(const field_ref& field, const std::string& what) const {
    std::string msg = source_ + ": line " + std::to_string(line_no_);
    if (have_frame_id_) msg += " (frame " + std::to_string(frame_id_) + ")";
    msg += ": ";
    const std::string name = field.str();
    if (!name.empty()) msg += name + ": ";
    msg += what + " (" + std::to_string(frames_) + (frames_ == 1 ? " frame" : " frames") +
           " read before this line)";
    throw input_error(msg);
  }

  void start(std::optional<std::vector<coco::category_info>> given) {
    bool got = false;
    while ((got = read_line()) && is_blank()) ++blank_;
    simdjson::dom::object obj;
    if (got) {
      const auto doc = parse_line();
      simdjson::dom::element e;
      if (!doc.get_object().get(obj) && !obj["stratum_stream"].get(e)) {
        parse_header(obj, given);
        header_ = true;
      } else {
        pending_ = true;  // the first frame: next() parses it
      }
    }
    if (!header_) {
      if (!given) {
        if (!got) {
          throw input_error(source_ +
                            ": empty stream: no header line declaring the categories, and none were given");
        }
        fail("",
             "the stream declares no categories: start it with a header line {\"stratum_stream\": 1, "
             "\"categories\": [{\"id\": ..., \"name\": ...}, ...]} or give them (e.g. from a COCO "
             "ground-truth "
             "file)");
      }
      cats_ = std::move(*given);
      check_unique_categories("categories (given)");
    }
    std::vector<std::int64_t> ids;
    for (const auto& c : cats_) ids.push_back(c.id);
    declared_ = std::make_unique<coco::detail::id_index>(ids);
  }

  void check_unique_categories(const std::string& field) const {
    std::vector<std::int64_t> ids;
    for (const auto& c : cats_) ids.push_back(c.id);
    std::sort(ids.begin(), ids.end());
    if (auto it = std::adjacent_find(ids.begin(), ids.end()); it != ids.end())
      fail(field, "duplicate category id " + std::to_string(*it));
  }

  bool read_line() {
    if (!std::getline(*in_, line_)) {
      if (in_->bad()) throw input_error(source_ + ": read error after line " + std::to_string(line_no_));
      return false;
    }
    ++line_no_;
    terminated_ = !in_->eof();
    have_frame_id_ = false;
    return true;
  }

  [[nodiscard]] bool is_blank() const noexcept {
    return line_.find_first_not_of(" \t\r") == std::string::npos;
  }

  simdjson::dom::element parse_line() {
    const std::size_t n = line_.size();
    if (buf_.size() < n + simdjson::SIMDJSON_PADDING) buf_.resize(n + simdjson::SIMDJSON_PADDING + n / 2);
    std::memcpy(buf_.data(), line_.data(), n);
    std::memset(buf_.data() + n, 0, simdjson::SIMDJSON_PADDING);
    simdjson::dom::element doc;
    if (auto err = parser_.parse(buf_.data(), n, false).get(doc); err) {
      if (!terminated_)
        fail("", std::string("truncated last line: no newline at the end and not valid JSON (") +
                     simdjson::error_message(err) + ")");
      fail("", std::string("malformed JSON: ") + simdjson::error_message(err));
    }
    return doc;
  }

  // the shared value readers (json_fields.hpp), failing through fail() with this line's context
  [[nodiscard]] auto failer() const {
    return [this](const field_ref& f, const std::string& what) { fail(f, what); };
  }
  std::int64_t get_int(simdjson::dom::element e, const field_ref& field) const {
    return detail::read_int(e, field, failer());
  }
  double get_number(simdjson::dom::element e, const field_ref& field) const {
    return detail::read_number(e, field, failer());
  }
  std::string_view get_string(simdjson::dom::element e, const field_ref& field) const {
    return detail::read_string(e, field, failer());
  }
  simdjson::dom::object get_object(simdjson::dom::element e, const field_ref& field) const {
    return detail::read_object(e, field, failer());
  }
  simdjson::dom::array get_array(simdjson::dom::element e, const field_ref& field) const {
    return detail::read_array(e, field, failer());
  }

  void seen(unsigned& mask, unsigned bit, const field_ref& field) const {
    if (mask & bit) fail(field, "duplicate field");
    mask |= bit;
  }

  void parse_header(simdjson::dom::object obj, const std::optional<std::vector<coco::category_info>>& given) {
    unsigned mask = 0;
    for (auto [key, value] : obj) {
      if (key == "stratum_stream") {
        seen(mask, 1, "stratum_stream");
        const auto v = get_int(value, "stratum_stream");
        if (v != stream_format_version)
          fail("stratum_stream", "unsupported stream format version " + std::to_string(v) +
                                     " (this reader reads " + std::to_string(stream_format_version) + ")");
      } else if (key == "categories") {
        seen(mask, 2, "categories");
        std::size_t i = 0;
        for (auto c : get_array(value, "categories")) {
          const std::string rec = "categories[" + std::to_string(i++) + "]";
          coco::category_info ci;
          unsigned cm = 0;
          for (auto [ck, cv] : get_object(c, rec)) {
            if (ck == "id") {
              seen(cm, 1, rec + ".id");
              ci.id = get_int(cv, rec + ".id");
            } else if (ck == "name") {
              seen(cm, 2, rec + ".name");
              ci.name = std::string(get_string(cv, rec + ".name"));
            } else if (ck == "supercategory") {
              seen(cm, 4, rec + ".supercategory");
              (void)get_string(cv, rec + ".supercategory");
            } else {
              fail(rec + "." + std::string(ck), "unknown field (known: id, name, supercategory)");
            }
          }
          if (!(cm & 1)) fail(rec + ".id", "missing field");
          cats_.push_back(std::move(ci));
        }
      } else {
        fail(std::string(key), "unknown header field (known: stratum_stream, categories)");
      }
    }
    if (!(mask & 2)) fail("categories", "missing field: the header must declare the categories");
    check_unique_categories("categories");
    if (given) {
      std::vector<std::int64_t> a, b;
      for (const auto& c : cats_) a.push_back(c.id);
      for (const auto& c : *given) b.push_back(c.id);
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      if (a != b) {
        std::size_t i = 0;
        while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
        const std::string which = i < a.size() && (i >= b.size() || a[i] < b[i])
                                      ? "id " + std::to_string(a[i]) + " is in the header only"
                                      : "id " + std::to_string(b[i]) + " is in the given categories only";
        fail("categories", "the header declares other categories than those given (" +
                               std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " ids; " +
                               which + ")");
      }
      cats_ = *given;
    }
  }

  void parse_frame(frame& f) {
    f.clear();
    const auto doc = parse_line();
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) fail("", "expected a JSON object (a frame)");
    simdjson::dom::element e;
    if (!obj["stratum_stream"].get(e))
      fail("stratum_stream", "a header line is allowed only as the first line");
    if (obj["frame_id"].get(e)) fail("frame_id", "missing field");
    f.id = get_int(e, "frame_id");
    frame_id_ = f.id;
    have_frame_id_ = true;
    if (auto [it, inserted] = first_line_.emplace(f.id, line_no_); !inserted)
      fail("frame_id", "duplicate frame id " + std::to_string(f.id) + " (first on line " +
                           std::to_string(it->second) + ")");
    unsigned mask = 0;
    for (auto [key, value] : obj) {
      if (key == "frame_id") {
        seen(mask, f_frame_id, "frame_id");
      } else if (key == "attributes") {
        seen(mask, f_attributes, "attributes");
        for (auto [ak, av] : get_object(value, "attributes")) {
          const std::string field = "attributes." + std::string(ak);
          for (const auto& kv : f.attrs)
            if (kv.first == ak) fail(field, "duplicate key");
          f.attrs.emplace_back(std::string(ak), std::string(get_string(av, field)));
        }
      } else if (key == "provenance") {
        seen(mask, f_provenance, "provenance");
        const auto v = get_string(value, "provenance");
        if (v != "real" && v != "synthetic" && v != "augmented")
          fail("provenance", "expected \"real\", \"synthetic\" or \"augmented\"");
        f.provenance = std::string(v);
      } else if (key == "width" || key == "height") {
        const bool w = key == "width";
        seen(mask, w ? f_width : f_height, std::string(key));
        const double v = get_number(value, std::string(key));
        if (v < 0) fail(std::string(key), "negative image size " + std::to_string(v));
        (w ? f.width : f.height) = v;
      } else if (key == "gt") {
        seen(mask, f_gt, "gt");
        parse_gts(get_array(value, "gt"), f);
      } else if (key == "dt") {
        seen(mask, f_dt, "dt");
        parse_dts(get_array(value, "dt"), f);
      } else if (key == "embedding") {
        seen(mask, f_embedding, "embedding");
        std::size_t i = 0;
        for (auto x : get_array(value, "embedding")) {
          f.embedding.push_back(get_number(x, {"embedding", i}));
          ++i;
        }
      } else {
        fail(std::string(key),
             "unknown field (known: frame_id, attributes, provenance, width, height, gt, dt, embedding)");
      }
    }
  }

  void check_category(std::int64_t cat, const field_ref& field) const {
    if (declared_->find(cat) == coco::detail::id_index::npos)
      fail(field, "category " + std::to_string(cat) + " is not declared in the stream's categories");
  }

  void get_bbox(simdjson::dom::element e, std::string_view base, std::size_t index, double* v) const {
    static constexpr std::string_view sub[4] = {".bbox[0]", ".bbox[1]", ".bbox[2]", ".bbox[3]"};
    detail::read_bbox(
        e, field_ref{base, index, ".bbox"},
        [&](int i) {
          return field_ref{base, index, sub[i]};
        },
        v, failer());
  }

  void parse_gts(simdjson::dom::array arr, frame& f) const {
    std::size_t i = 0;
    for (auto g : arr) {
      std::int64_t id = 0, cat = 0;
      double b[4] = {0, 0, 0, 0}, area = 0;
      bool crowd = false;
      unsigned char flags = 0;
      unsigned m = 0;
      const auto zero_one = [&](simdjson::dom::element value, const char* field) {
        std::int64_t v;
        bool bv;
        if (!value.get_int64().get(v) && (v == 0 || v == 1)) return v == 1;
        if (!value.get_bool().get(bv)) return bv;
        fail({"gt", i, field}, "expected 0 or 1");
      };
      for (auto [key, value] : get_object(g, {"gt", i})) {
        if (key == "id") {
          seen(m, 1, {"gt", i, ".id"});
          id = get_int(value, {"gt", i, ".id"});
        } else if (key == "category_id") {
          seen(m, 2, {"gt", i, ".category_id"});
          cat = get_int(value, {"gt", i, ".category_id"});
          check_category(cat, {"gt", i, ".category_id"});
        } else if (key == "bbox") {
          seen(m, 4, {"gt", i, ".bbox"});
          get_bbox(value, "gt", i, b);
        } else if (key == "area") {
          seen(m, 8, {"gt", i, ".area"});
          area = get_number(value, {"gt", i, ".area"});
          if (area < 0) fail({"gt", i, ".area"}, "negative area " + std::to_string(area));
        } else if (key == "iscrowd") {
          seen(m, 16, {"gt", i, ".iscrowd"});
          crowd = zero_one(value, ".iscrowd");
        } else if (key == "ignore" || key == "difficult" || key == "truncated") {
          const bool ig = key == "ignore", di = key == "difficult";
          const char* field = ig ? ".ignore" : di ? ".difficult" : ".truncated";
          seen(m, ig ? 32u : di ? 64u : 128u, {"gt", i, field});
          if (zero_one(value, field))
            flags |= ig ? gt_flag::ignored : di ? gt_flag::difficult : gt_flag::truncated;
        } else {
          fail({"gt", i, "." + std::string(key)},
               "unknown field (known: id, category_id, bbox, area, iscrowd, ignore, difficult, truncated)");
        }
      }
      if (!(m & 1)) fail({"gt", i, ".id"}, "missing field");
      if (!(m & 2)) fail({"gt", i, ".category_id"}, "missing field");
      if (!(m & 4)) fail({"gt", i, ".bbox"}, "missing field");
      if (!(m & 8)) fail({"gt", i, ".area"}, "missing field");
      f.gt.add(id, cat, b[0], b[1], b[2], b[3], area, crowd, flags);
      ++i;
    }
  }

  void parse_dts(simdjson::dom::array arr, frame& f) const {
    std::size_t i = 0;
    for (auto d : arr) {
      std::int64_t cat = 0;
      double b[4] = {0, 0, 0, 0}, score = 0;
      unsigned m = 0;
      for (auto [key, value] : get_object(d, {"dt", i})) {
        if (key == "category_id") {
          seen(m, 1, {"dt", i, ".category_id"});
          cat = get_int(value, {"dt", i, ".category_id"});
          check_category(cat, {"dt", i, ".category_id"});
        } else if (key == "bbox") {
          seen(m, 2, {"dt", i, ".bbox"});
          get_bbox(value, "dt", i, b);
        } else if (key == "score") {
          seen(m, 4, {"dt", i, ".score"});
          score = get_number(value, {"dt", i, ".score"});
          if (!std::isfinite(score)) fail({"dt", i, ".score"}, "score is not a finite number");
        } else {
          fail({"dt", i, "." + std::string(key)}, "unknown field (known: category_id, bbox, score)");
        }
      }
      if (!(m & 1)) fail({"dt", i, ".category_id"}, "missing field");
      if (!(m & 2)) fail({"dt", i, ".bbox"}, "missing field");
      if (!(m & 4)) fail({"dt", i, ".score"}, "missing field");
      f.dt.add(cat, b[0], b[1], b[2], b[3], score);
      ++i;
    }
  }

  std::unique_ptr<std::istream> owned_;
  std::istream* in_ = nullptr;
  std::string source_;
  std::vector<coco::category_info> cats_;
  std::unique_ptr<coco::detail::id_index> declared_;
  simdjson::dom::parser parser_;
  std::string line_;
  std::vector<char> buf_;
  std::unordered_map<std::int64_t, std::size_t> first_line_;  // frame id -> line
  std::size_t line_no_ = 0, frames_ = 0, blank_ = 0;
  std::int64_t frame_id_ = 0;
  bool have_frame_id_ = false, terminated_ = true, pending_ = false, header_ = false;
};

// ---------------------------------------------------------------------------------------------------------
// Writer

using stratum::detail::append_json_int;
using stratum::detail::append_json_string;

/// The one JSON number writer (detail/json.hpp); a frame's numbers must be finite (JSON has no NaN or
/// infinity, and the stream reader refuses them): usage_error otherwise.
inline void append_json_number(std::string& out, double v) {
  if (!std::isfinite(v)) throw usage_error("JSONL writer: a number is not finite");
  stratum::detail::append_json_number(out, v);
}

/// Appends the header line (with its newline).
inline void append_stream_header(std::string& out, const std::vector<coco::category_info>& categories) {
  out += "{\"stratum_stream\": ";
  append_json_int(out, stream_format_version);
  out += ", \"categories\": [";
  for (std::size_t i = 0; i < categories.size(); ++i) {
    if (i) out += ", ";
    out += "{\"id\": ";
    append_json_int(out, categories[i].id);
    out += ", \"name\": ";
    append_json_string(out, categories[i].name);
    out += '}';
  }
  out += "]}\n";
}

/// Appends one frame line (with its newline). Keys in the order frame_id, attributes, provenance, width,
/// height, gt, dt, embedding; attributes, provenance, width, height and embedding only when given (non-empty,
/// non-zero).
inline void append_frame(std::string& out, const frame& f) {
  out += "{\"frame_id\": ";
  append_json_int(out, f.id);
  if (!f.attrs.empty()) {
    out += ", \"attributes\": {";
    for (std::size_t i = 0; i < f.attrs.size(); ++i) {
      if (i) out += ", ";
      append_json_string(out, f.attrs[i].first);
      out += ": ";
      append_json_string(out, f.attrs[i].second);
    }
    out += '}';
  }
  if (!f.provenance.empty()) {
    out += ", \"provenance\": ";
    append_json_string(out, f.provenance);
  }
  if (f.width != 0) {
    out += ", \"width\": ";
    append_json_number(out, f.width);
  }
  if (f.height != 0) {
    out += ", \"height\": ";
    append_json_number(out, f.height);
  }
  auto bbox = [&out](double x, double y, double w, double h) {
    out += "\"bbox\": [";
    append_json_number(out, x);
    out += ", ";
    append_json_number(out, y);
    out += ", ";
    append_json_number(out, w);
    out += ", ";
    append_json_number(out, h);
    out += ']';
  };
  out += ", \"gt\": [";
  for (std::size_t i = 0; i < f.gt.size(); ++i) {
    if (i) out += ", ";
    out += "{\"id\": ";
    append_json_int(out, f.gt.id[i]);
    out += ", \"category_id\": ";
    append_json_int(out, f.gt.category_id[i]);
    out += ", ";
    bbox(f.gt.x[i], f.gt.y[i], f.gt.w[i], f.gt.h[i]);
    out += ", \"area\": ";
    append_json_number(out, f.gt.area[i]);
    out += f.gt.crowd[i] ? ", \"iscrowd\": 1" : ", \"iscrowd\": 0";
    const unsigned char fl = f.gt.flags[i];
    if (fl & gt_flag::ignored) out += ", \"ignore\": 1";
    if (fl & gt_flag::difficult) out += ", \"difficult\": 1";
    if (fl & gt_flag::truncated) out += ", \"truncated\": 1";
    out += '}';
  }
  out += "], \"dt\": [";
  for (std::size_t i = 0; i < f.dt.size(); ++i) {
    if (i) out += ", ";
    out += "{\"category_id\": ";
    append_json_int(out, f.dt.category_id[i]);
    out += ", ";
    bbox(f.dt.x[i], f.dt.y[i], f.dt.w[i], f.dt.h[i]);
    out += ", \"score\": ";
    append_json_number(out, f.dt.score[i]);
    out += '}';
  }
  out += ']';
  if (!f.embedding.empty()) {
    out += ", \"embedding\": [";
    for (std::size_t i = 0; i < f.embedding.size(); ++i) {
      if (i) out += ", ";
      append_json_number(out, f.embedding[i]);
    }
    out += ']';
  }
  out += "}\n";
}

/// Writes a whole stream (header, then one line per frame) to `out`.
inline void write_jsonl(std::ostream& out, const std::vector<coco::category_info>& categories,
                        const std::vector<frame>& frames) {
  std::string buf;
  append_stream_header(buf, categories);
  for (const auto& f : frames) {
    append_frame(buf, f);
    if (buf.size() > (1u << 20)) out.write(buf.data(), static_cast<std::streamsize>(buf.size())), buf.clear();
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

}  // namespace stratum::io
