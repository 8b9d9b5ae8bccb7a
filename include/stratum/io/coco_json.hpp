// COCO JSON adapter (simdjson): ground-truth files and results files, validated record by record.
//
// Ground truth: {"images": [{"id", "file_name"?, "width"?, "height"?, "attributes"?: {str: str},
// "provenance"?}],
//                "annotations"?: [{"id", "image_id", "category_id", "bbox": [x, y, w, h], "area",
//                "iscrowd"?}], "categories": [{"id", "name"?}]}
// Results: [{"image_id", "category_id", "bbox": [x, y, w, h], "score"}], read as pycocotools' loadRes reads a
// bbox results file: the detection's area is w * h and detections keep file order (loadRes ids them 1..n).
//
// Every error names the file, the record (e.g. annotations[12]) and the field, and says what is wrong.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>

#include <simdjson.h>

#include "../coco/dataset.hpp"
#include "../coco/params.hpp"
#include "../core/box.hpp"
#include "../core/error.hpp"
#include "../detail/json.hpp"
#include "json_fields.hpp"

namespace stratum::io {

namespace detail {

/// Where a value sits: "images[3].bbox[2]". Built into a string only when an error is reported, so the
/// happy path allocates nothing.
struct loc {
  const char* array = "";  // "images", "annotations", ... or "" for a top-level array
  std::size_t index = static_cast<std::size_t>(-1);
  const char* field = nullptr;
  int sub = -1;
  [[nodiscard]] loc at(const char* f, int s = -1) const noexcept { return {array, index, f, s}; }
  [[nodiscard]] std::string str() const {
    std::string out = array;
    if (index != static_cast<std::size_t>(-1)) out += "[" + std::to_string(index) + "]";
    if (field) out += (out.empty() ? "" : ".") + std::string(field);
    if (sub >= 0) out += "[" + std::to_string(sub) + "]";
    return out.empty() ? "(document)" : out;
  }
};

struct json_ctx {
  const std::string& source;
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw input_error(source + ": " + where + ": " + what);
  }
  [[noreturn]] void fail(const loc& where, const std::string& what) const { fail(where.str(), what); }
};

inline simdjson::dom::element parse_document(simdjson::dom::parser& parser,
                                             const simdjson::padded_string& json, const std::string& source) {
  simdjson::dom::element doc;
  if (auto err = parser.parse(json).get(doc); err)
    throw input_error(source + ": invalid JSON: " + simdjson::error_message(err));
  return doc;
}

inline simdjson::padded_string read_file(const std::string& path) {
  simdjson::padded_string s;
  if (auto err = simdjson::padded_string::load(path).get(s); err)
    throw input_error(path + ": cannot read file: " + simdjson::error_message(err));
  return s;
}

inline std::int64_t get_int(const json_ctx& c, simdjson::dom::element e, const loc& where) {
  return read_int(e, where, [&c](const loc& w, const std::string& what) { c.fail(w, what); });
}

inline std::int64_t get_int(const json_ctx& c, simdjson::dom::object obj, const char* key, const loc& rec,
                            bool required = true, std::int64_t fallback = 0) {
  simdjson::dom::element e;
  if (obj[key].get(e)) {
    if (!required) return fallback;
    c.fail(rec.at(key), "missing field");
  }
  return get_int(c, e, rec.at(key));
}

template <class Where>
inline double get_number(const json_ctx& c, simdjson::dom::element e, const Where& where) {
  return read_number(e, where, [&c](const auto& w, const std::string& what) { c.fail(w, what); });
}

inline double get_number(const json_ctx& c, simdjson::dom::object obj, const char* key, const loc& rec,
                         bool required = true, double fallback = 0) {
  simdjson::dom::element e;
  if (obj[key].get(e)) {
    if (!required) return fallback;
    c.fail(rec.at(key), "missing field");
  }
  return get_number(c, e, rec.at(key));
}

inline box get_bbox(const json_ctx& c, simdjson::dom::element e, const loc& rec);

inline box get_bbox(const json_ctx& c, simdjson::dom::object obj, const loc& rec) {
  simdjson::dom::element e;
  if (obj["bbox"].get(e)) c.fail(rec.at("bbox"), "missing field");
  return get_bbox(c, e, rec);
}

inline box get_bbox(const json_ctx& c, simdjson::dom::element e, const loc& rec) {
  double v[4];
  read_bbox(
      e, rec.at("bbox"), [&rec](int i) { return rec.at("bbox", i); }, v,
      [&c](const loc& w, const std::string& what) { c.fail(w, what); });
  return {v[0], v[1], v[2], v[3]};
}

/// The array under `key`. A missing optional array is the empty array (a default dom::array has no document
/// behind it: using it would read through a null pointer).
inline simdjson::dom::array get_array(const json_ctx& c, simdjson::dom::object obj, const char* key,
                                      bool required) {
  simdjson::dom::element e;
  simdjson::dom::array arr;
  if (obj[key].get(e)) {
    if (required) c.fail(key, "missing field");
    thread_local simdjson::dom::parser empty_parser;
    thread_local const simdjson::dom::array empty =
        empty_parser.parse(std::string_view("[]")).get_array().value();
    return empty;
  }
  if (e.get_array().get(arr)) c.fail(key, "expected an array");
  return arr;
}

template <class Where>
inline simdjson::dom::object get_object(const json_ctx& c, simdjson::dom::element e, const Where& rec) {
  return read_object(e, rec, [&c](const auto& w, const std::string& what) { c.fail(w, what); });
}

}  // namespace detail

/// Parses a COCO ground-truth document; `source` names it in error messages.
[[nodiscard]] inline coco::ground_truth parse_coco_ground_truth(const simdjson::padded_string& json,
                                                                const std::string& source) {
  using namespace detail;
  const json_ctx c{source};
  simdjson::dom::parser parser;
  const auto doc = parse_document(parser, json, source);
  const auto root = get_object(c, doc, "(document)");
  coco::ground_truth gt;

  std::unordered_set<std::int64_t> img_ids, cat_ids;
  std::size_t i = 0;
  for (auto e : get_array(c, root, "images", true)) {
    const loc rec{"images", i++};
    const auto o = get_object(c, e, rec);
    coco::image_info im;
    im.id = get_int(c, o, "id", rec);
    if (!img_ids.insert(im.id).second) c.fail(rec.at("id"), "duplicate image id " + std::to_string(im.id));
    im.width = get_number(c, o, "width", rec, false);
    im.height = get_number(c, o, "height", rec, false);
    simdjson::dom::element a;
    if (!o["attributes"].get(a)) {
      simdjson::dom::object ao;
      if (a.get_object().get(ao)) c.fail(rec.at("attributes"), "expected an object of string values");
      for (auto [k, v] : ao) {
        std::string_view sv;
        if (v.get_string().get(sv)) c.fail(rec.str() + ".attributes." + std::string(k), "expected a string");
        im.attrs.emplace_back(std::string(k), std::string(sv));
      }
    }
    if (!o["provenance"].get(a)) {
      std::string_view sv;
      if (a.get_string().get(sv) || (sv != "real" && sv != "synthetic" && sv != "augmented"))
        c.fail(rec.at("provenance"), "expected \"real\", \"synthetic\" or \"augmented\"");
      im.provenance = std::string(sv);
    }
    if (!o["file_name"].get(a)) {
      std::string_view sv;
      if (a.get_string().get(sv)) c.fail(rec.at("file_name"), "expected a string");
      im.file_name = std::string(sv);
    }
    gt.images.push_back(std::move(im));
  }
  i = 0;
  for (auto e : get_array(c, root, "categories", true)) {
    const loc rec{"categories", i++};
    const auto o = get_object(c, e, rec);
    coco::category_info ci;
    ci.id = get_int(c, o, "id", rec);
    if (!cat_ids.insert(ci.id).second) c.fail(rec.at("id"), "duplicate category id " + std::to_string(ci.id));
    std::string_view name;
    simdjson::dom::element ne;
    if (!o["name"].get(ne)) {
      if (ne.get_string().get(name)) c.fail(rec.at("name"), "expected a string");
    }
    ci.name = std::string(name);
    gt.categories.push_back(std::move(ci));
  }
  // annotations: one pass over each record's fields; ids checked against dense indexes, duplicates found by
  // sorting (the error names the first record that repeats an earlier id)
  std::vector<std::int64_t> img_list, cat_list;
  for (const auto& im : gt.images) img_list.push_back(im.id);
  for (const auto& ct : gt.categories) cat_list.push_back(ct.id);
  const coco::detail::id_index imgs(img_list), cats(cat_list);
  const auto anns = get_array(c, root, "annotations", false);
  {
    const auto n = anns.size();
    for (auto* v : {&gt.x, &gt.y, &gt.w, &gt.h, &gt.area}) v->reserve(n);
    for (auto* v : {&gt.id, &gt.image_id, &gt.category_id}) v->reserve(n);
    gt.crowd.reserve(n);
    gt.flags.reserve(n);
  }
  i = 0;
  for (auto e : anns) {
    const loc rec{"annotations", i++};
    const auto o = get_object(c, e, rec);
    simdjson::dom::element id_e, img_e, cat_e, box_e, area_e, crowd_e;
    unsigned seen = 0;
    for (auto field : o) {
      const std::string_view key = field.key;
      if (key == "id")
        id_e = field.value, seen |= 1;
      else if (key == "image_id")
        img_e = field.value, seen |= 2;
      else if (key == "category_id")
        cat_e = field.value, seen |= 4;
      else if (key == "bbox")
        box_e = field.value, seen |= 8;
      else if (key == "area")
        area_e = field.value, seen |= 16;
      else if (key == "iscrowd")
        crowd_e = field.value, seen |= 32;
    }
    if (!(seen & 1)) c.fail(rec.at("id"), "missing field");
    const auto id = get_int(c, id_e, rec.at("id"));
    if (!(seen & 2)) c.fail(rec.at("image_id"), "missing field");
    const auto img = get_int(c, img_e, rec.at("image_id"));
    if (imgs.find(img) == coco::detail::id_index::npos)
      c.fail(rec.at("image_id"), "image " + std::to_string(img) + " is not in images");
    if (!(seen & 4)) c.fail(rec.at("category_id"), "missing field");
    const auto cat = get_int(c, cat_e, rec.at("category_id"));
    if (cats.find(cat) == coco::detail::id_index::npos)
      c.fail(rec.at("category_id"), "category " + std::to_string(cat) + " is not in categories");
    if (!(seen & 8)) c.fail(rec.at("bbox"), "missing field");
    const auto b = get_bbox(c, box_e, rec);
    if (!(seen & 16)) c.fail(rec.at("area"), "missing field");
    const double area = get_number(c, area_e, rec.at("area"));
    if (area < 0) c.fail(rec.at("area"), "negative area");
    bool crowd = false;
    if (seen & 32) {
      std::int64_t v;
      bool bv;
      if (!crowd_e.get_int64().get(v) && (v == 0 || v == 1))
        crowd = v == 1;
      else if (!crowd_e.get_bool().get(bv))
        crowd = bv;
      else
        c.fail(rec.at("iscrowd"), "expected 0 or 1");
    }
    gt.add(id, img, cat, b.x, b.y, b.w, b.h, area, crowd);
  }
  {
    std::vector<std::pair<std::int64_t, std::size_t>> ids(gt.size());
    for (std::size_t r = 0; r < gt.size(); ++r) ids[r] = {gt.id[r], r};
    std::sort(ids.begin(), ids.end());
    std::size_t first_repeat = gt.size();
    for (std::size_t r = 1; r < ids.size(); ++r)
      if (ids[r].first == ids[r - 1].first) first_repeat = std::min(first_repeat, ids[r].second);
    if (first_repeat < gt.size())
      c.fail(loc{"annotations", first_repeat}.at("id"),
             "duplicate annotation id " + std::to_string(gt.id[first_repeat]));
  }
  return gt;
}

[[nodiscard]] inline coco::ground_truth load_coco_ground_truth(const std::string& path) {
  return parse_coco_ground_truth(detail::read_file(path), path);
}

namespace detail {

/// Appends `"bbox": [x, y, w, h]` (the numbers finite: input_error otherwise).
inline void append_coco_bbox(std::string& out, double x, double y, double w, double h) {
  out += "\"bbox\": [";
  for (int k = 0; k < 4; ++k) {
    const double v = k == 0 ? x : k == 1 ? y : k == 2 ? w : h;
    if (!std::isfinite(v)) throw input_error("COCO output: a number is not finite");
    if (k) out += ", ";
    stratum::detail::append_json_number(out, v);
  }
  out += ']';
}

}  // namespace detail

/// Writes a ground truth as a COCO ground-truth document (images with id, file_name, width, height,
/// attributes and provenance when given; categories; annotations with id, image_id, category_id, bbox, area,
/// iscrowd, and "ignore", "difficult", "truncated": 1 for the gt_flag bits set): parse_coco_ground_truth
/// reads it back to the same values, bit for bit, except the flags, which it does not read (pycocotools' bbox
/// evaluation replaces an "ignore" field by iscrowd: an ignored object counts in COCO). Numbers must be
/// finite.
inline void append_coco_ground_truth(std::string& out, const coco::ground_truth& gt) {
  using stratum::detail::append_json_int;
  using stratum::detail::append_json_string;
  const auto number = [&out](double v) {
    if (!std::isfinite(v)) throw input_error("COCO output: a number is not finite");
    stratum::detail::append_json_number(out, v);
  };
  out += "{\"images\": [";
  for (std::size_t i = 0; i < gt.images.size(); ++i) {
    const auto& im = gt.images[i];
    out += i ? ",\n{\"id\": " : "\n{\"id\": ";
    append_json_int(out, im.id);
    if (!im.file_name.empty()) {
      out += ", \"file_name\": ";
      append_json_string(out, im.file_name);
    }
    if (im.width != 0 || im.height != 0) {
      out += ", \"width\": ";
      number(im.width);
      out += ", \"height\": ";
      number(im.height);
    }
    if (!im.attrs.empty()) {
      out += ", \"attributes\": {";
      for (std::size_t k = 0; k < im.attrs.size(); ++k) {
        if (k) out += ", ";
        append_json_string(out, im.attrs[k].first);
        out += ": ";
        append_json_string(out, im.attrs[k].second);
      }
      out += '}';
    }
    if (!im.provenance.empty()) {
      out += ", \"provenance\": ";
      append_json_string(out, im.provenance);
    }
    out += '}';
  }
  out += "],\n\"categories\": [";
  for (std::size_t c = 0; c < gt.categories.size(); ++c) {
    out += c ? ", {\"id\": " : "{\"id\": ";
    append_json_int(out, gt.categories[c].id);
    out += ", \"name\": ";
    append_json_string(out, gt.categories[c].name);
    out += '}';
  }
  out += "],\n\"annotations\": [";
  for (std::size_t r = 0; r < gt.size(); ++r) {
    out += r ? ",\n{\"id\": " : "\n{\"id\": ";
    append_json_int(out, gt.id[r]);
    out += ", \"image_id\": ";
    append_json_int(out, gt.image_id[r]);
    out += ", \"category_id\": ";
    append_json_int(out, gt.category_id[r]);
    out += ", ";
    detail::append_coco_bbox(out, gt.x[r], gt.y[r], gt.w[r], gt.h[r]);
    out += ", \"area\": ";
    number(gt.area[r]);
    out += gt.crowd[r] ? ", \"iscrowd\": 1" : ", \"iscrowd\": 0";
    const unsigned char fl = gt.flags[r];
    if (fl & gt_flag::ignored) out += ", \"ignore\": 1";
    if (fl & gt_flag::difficult) out += ", \"difficult\": 1";
    if (fl & gt_flag::truncated) out += ", \"truncated\": 1";
    out += '}';
  }
  out += "]}\n";
}

/// Writes detections as a COCO results list ({image_id, category_id, bbox, score} in their order), which
/// parse_coco_results reads back to the same values.
inline void append_coco_results(std::string& out, const coco::detection_set& dt) {
  using stratum::detail::append_json_int;
  out += '[';
  for (std::size_t r = 0; r < dt.size(); ++r) {
    out += r ? ",\n{\"image_id\": " : "\n{\"image_id\": ";
    append_json_int(out, dt.image_id[r]);
    out += ", \"category_id\": ";
    append_json_int(out, dt.category_id[r]);
    out += ", ";
    detail::append_coco_bbox(out, dt.x[r], dt.y[r], dt.w[r], dt.h[r]);
    out += ", \"score\": ";
    if (!std::isfinite(dt.score[r])) throw input_error("COCO output: a score is not finite");
    stratum::detail::append_json_number(out, dt.score[r]);
    out += '}';
  }
  out += "]\n";
}

namespace detail {

/// Reads results records from parsed arrays, validating each against the ground truth.
class results_reader {
 public:
  results_reader(const std::string& source, const coco::ground_truth& gt)
      : c_{source}, imgs_(ids_of(gt.images)), cats_(ids_of(gt.categories)) {}

  /// Adds the records of `arr`; `first_index` is the index of its first record in the whole file.
  void read(simdjson::dom::array arr, std::size_t first_index, coco::detection_set& dt) const {
    std::size_t i = first_index;
    for (auto e : arr) {
      const loc rec{"", i++};
      const auto o = get_object(c_, e, rec);
      // one pass over the fields (faster than a look-up per key); unknown fields are ignored as loadRes does
      simdjson::dom::element img_e, cat_e, box_e, score_e;
      bool has_img = false, has_cat = false, has_box = false, has_score = false;
      for (auto field : o) {
        const std::string_view key = field.key;
        if (key == "image_id")
          img_e = field.value, has_img = true;
        else if (key == "category_id")
          cat_e = field.value, has_cat = true;
        else if (key == "bbox")
          box_e = field.value, has_box = true;
        else if (key == "score")
          score_e = field.value, has_score = true;
      }
      if (!has_img) c_.fail(rec.at("image_id"), "missing field");
      if (!has_cat) c_.fail(rec.at("category_id"), "missing field");
      if (!has_box) c_.fail(rec.at("bbox"), "missing field");
      if (!has_score) c_.fail(rec.at("score"), "missing field");
      const auto img = get_int(c_, img_e, rec.at("image_id"));
      if (imgs_.find(img) == coco::detail::id_index::npos)
        c_.fail(rec.at("image_id"), "image " + std::to_string(img) + " is not in the ground truth");
      const auto cat = get_int(c_, cat_e, rec.at("category_id"));
      if (cats_.find(cat) == coco::detail::id_index::npos)
        c_.fail(rec.at("category_id"),
                "category " + std::to_string(cat) + " is not in the ground truth's categories");
      const auto b = get_bbox(c_, box_e, rec);
      const double s = get_number(c_, score_e, rec.at("score"));
      // Any finite score, as pycocotools (which only ranks by it): logits and 0-100 scales are fine here;
      // what needs probabilities (calibration, the binned mode) checks [0, 1] itself.
      if (!std::isfinite(s)) c_.fail(rec.at("score"), "score is not a finite number");
      dt.add(img, cat, b.x, b.y, b.w, b.h, s);
    }
  }
  [[nodiscard]] const json_ctx& ctx() const noexcept { return c_; }

 private:
  template <class V>
  static std::vector<std::int64_t> ids_of(const V& v) {
    std::vector<std::int64_t> out;
    for (const auto& x : v) out.push_back(x.id);
    return out;
  }
  json_ctx c_;
  coco::detail::id_index imgs_, cats_;
};

inline bool is_ws(char ch) noexcept {
  return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
}

inline void reserve(coco::detection_set& dt, std::size_t n) {
  for (auto* v : {&dt.x, &dt.y, &dt.w, &dt.h, &dt.score}) v->reserve(n);
  dt.image_id.reserve(n);
  dt.category_id.reserve(n);
}

}  // namespace detail

/// Parses a COCO results (detections) document against the ground truth it will be evaluated on: every image
/// id must exist in the ground truth and every category id in its categories; scores must be in [0, 1].
[[nodiscard]] inline coco::detection_set parse_coco_results(const simdjson::padded_string& json,
                                                            const std::string& source,
                                                            const coco::ground_truth& gt) {
  using namespace detail;
  const results_reader reader(source, gt);
  simdjson::dom::parser parser;
  const auto doc = parse_document(parser, json, source);
  simdjson::dom::array arr;
  if (doc.get_array().get(arr)) reader.ctx().fail("(document)", "expected a JSON array of detections");
  coco::detection_set dt;
  reserve(dt, arr.size());
  reader.read(arr, 0, dt);
  return dt;
}

/// Reads a COCO results file in blocks of about `block` bytes, each parsed on its own by one reused parser,
/// so the parser's memory is that of a block rather than of the file (a results file is a flat array of small
/// records). A block ends after a record ("}" "," "{" between records: a cut anywhere else leaves brackets
/// unbalanced, so its parse fails); on any parse failure the whole file is parsed at once, which reports the
/// error with the exact record index. The result is the same as parse_coco_results on the whole file.
[[nodiscard]] inline coco::detection_set load_coco_results(const std::string& path,
                                                           const coco::ground_truth& gt,
                                                           std::size_t block = std::size_t{1} << 20) {
  using namespace detail;
  auto fallback = [&] { return parse_coco_results(read_file(path), path, gt); };
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fallback();  // reports the error
  struct closer {
    std::FILE* f;
    ~closer() { std::fclose(f); }
  } close_f{f};
  if (block < 64) block = 64;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    const long size = std::ftell(f);
    if (size < 0 || std::fseek(f, 0, SEEK_SET) != 0) return fallback();
    if (static_cast<std::size_t>(size) <= block) return fallback();  // small: one parse
  }
  const results_reader reader(path, gt);
  coco::detection_set dt;
  simdjson::dom::parser parser;
  std::string pending;
  std::vector<char> chunk;
  bool eof = false, started = false;
  std::size_t index = 0;
  while (true) {
    if (!eof) {
      const std::size_t old = pending.size();
      pending.resize(old + block);
      const std::size_t got = std::fread(pending.data() + old, 1, block, f);
      pending.resize(old + got);
      if (got < block) {
        if (std::ferror(f)) throw input_error(path + ": read error");
        eof = true;
      }
    }
    if (!started) {
      std::size_t skip = 0;
      while (skip < pending.size() && is_ws(pending[skip])) ++skip;
      if (skip == pending.size()) {
        if (eof) return fallback();
        continue;
      }
      if (pending[skip] != '[') return fallback();
      pending.erase(0, skip + 1);
      started = true;
      const long pos = std::ftell(f);
      if (pos > 0 && std::fseek(f, 0, SEEK_END) == 0) {  // records are 80 bytes or more
        reserve(dt, static_cast<std::size_t>(std::ftell(f)) / 80);
        std::fseek(f, pos, SEEK_SET);
      }
    }
    // the end of the last complete record in `pending`: "}" ws* "," ws* "{" seen from the right
    std::size_t cut = std::string::npos;
    if (eof) {
      cut = pending.size();
    } else {
      for (std::size_t i = pending.size(); i-- > 0;) {
        if (pending[i] != ',') continue;
        std::size_t a = i, b = i + 1;
        while (a > 0 && is_ws(pending[a - 1])) --a;
        while (b < pending.size() && is_ws(pending[b])) ++b;
        if (a > 0 && pending[a - 1] == '}' && b < pending.size() && pending[b] == '{') {
          cut = i;
          break;
        }
      }
      if (cut == std::string::npos) continue;  // one record longer than the block: read more
    }
    // "[" + records + "]" (the final block already ends with the file's "]")
    const std::size_t len = 1 + cut + (eof ? 0 : 1);
    chunk.resize(len + simdjson::SIMDJSON_PADDING);
    chunk[0] = '[';
    std::memcpy(chunk.data() + 1, pending.data(), cut);
    if (!eof) chunk[len - 1] = ']';
    simdjson::dom::element doc;
    simdjson::dom::array arr;
    if (parser.parse(chunk.data(), len, false).get(doc) || doc.get_array().get(arr)) return fallback();
    const std::size_t n_before = dt.size();
    reader.read(arr, index, dt);
    index += dt.size() - n_before;
    if (eof) break;
    pending.erase(0, cut + 1);
  }
  return dt;
}

/// Parses evaluation parameters in the form of pycocotools' Params (keys iouThrs, recThrs, maxDets, areaRng,
/// areaRngLbl, useCats, imgIds, catIds; each optional, the defaults otherwise).
[[nodiscard]] inline coco::params parse_coco_params(const simdjson::padded_string& json,
                                                    const std::string& source) {
  using namespace detail;
  const json_ctx c{source};
  simdjson::dom::parser parser;
  const auto root = get_object(c, parse_document(parser, json, source), "(document)");
  coco::params p;
  auto numbers = [&](const char* key, auto& out) {
    simdjson::dom::element e;
    if (root[key].get(e)) return false;
    simdjson::dom::array arr;
    if (e.get_array().get(arr)) c.fail(key, "expected an array");
    out.clear();
    std::size_t i = 0;
    for (auto x : arr) {
      const std::string where = std::string(key) + "[" + std::to_string(i++) + "]";
      using T = typename std::decay_t<decltype(out)>::value_type;
      if constexpr (std::is_floating_point_v<T>) {
        out.push_back(get_number(c, x, where));
      } else {
        std::int64_t v;
        if (x.get_int64().get(v)) c.fail(where, "expected an integer");
        out.push_back(static_cast<T>(v));
      }
    }
    return true;
  };
  numbers("iouThrs", p.iou_thrs);
  numbers("recThrs", p.rec_thrs);
  if (numbers("maxDets", p.max_dets)) std::sort(p.max_dets.begin(), p.max_dets.end());
  numbers("imgIds", p.img_ids);
  numbers("catIds", p.cat_ids);
  simdjson::dom::element e;
  if (!root["areaRng"].get(e)) {
    simdjson::dom::array arr;
    if (e.get_array().get(arr)) c.fail("areaRng", "expected an array of [lo, hi] pairs");
    p.area_rngs.clear();
    std::size_t i = 0;
    for (auto r : arr) {
      const std::string where = "areaRng[" + std::to_string(i++) + "]";
      simdjson::dom::array pair;
      if (r.get_array().get(pair) || pair.size() != 2) c.fail(where, "expected [lo, hi]");
      coco::area_range ar;
      ar.lo = get_number(c, pair.at(0).value(), where + "[0]");
      ar.hi = get_number(c, pair.at(1).value(), where + "[1]");
      p.area_rngs.push_back(ar);
    }
    simdjson::dom::array lbl;
    if (root["areaRngLbl"].get(e) || e.get_array().get(lbl) || lbl.size() != p.area_rngs.size())
      c.fail("areaRngLbl", "expected one label per area range");
    i = 0;
    for (auto l : lbl) {
      std::string_view sv;
      if (l.get_string().get(sv)) c.fail("areaRngLbl[" + std::to_string(i) + "]", "expected a string");
      p.area_rngs[i++].label = std::string(sv);
    }
  }
  if (!root["useCats"].get(e)) {
    std::int64_t v;
    bool b;
    if (!e.get_int64().get(v) && (v == 0 || v == 1))
      p.use_cats = v == 1;
    else if (!e.get_bool().get(b))
      p.use_cats = b;
    else
      c.fail("useCats", "expected 0 or 1");
  }
  try {
    p.validate();
  } catch (const usage_error& err) {
    throw input_error(source + ": " + err.what());
  }
  return p;
}

[[nodiscard]] inline coco::params load_coco_params(const std::string& path) {
  return parse_coco_params(detail::read_file(path), path);
}

}  // namespace stratum::io
