// BDD100K / Scalabel JSON labels: a list of frames, or {"frames": [...], "config": {...}}, each frame
//   {"name", "url"?, "attributes"?: {key: string | number | bool}, "size"?: {"width", "height"},
//    "labels"?: [{"id"?, "category", "box2d"?: {"x1", "y1", "x2", "y2"},
//                 "attributes"?: {"crowd"?, "ignored"?}, "score"?}]}
//
// Read by the rules of Scalabel's own COCO conversion (scalabel.label.to_coco, scalabel2coco_detection), but
// for the order of the images:
// - frames are sorted by name (byte order) and numbered 1, 2, ... in that order (the conversion numbers them
//   in file order: the same ids when the file lists its frames by name); the image's file_name is the
//   frame's url when it has one, its name otherwise; the frame's attributes become the image's scene
//   attributes as written (numbers and booleans as their JSON text), so weather, timeofday and scene slice
//   directly;
// - the image size is config.imageSize when given, else the frame's size, else none (COCO evaluation does
//   not need it);
// - categories are the leaves of config.categories in order (a category with subcategories stands for its
//   leaves), or the class list given to the reader, with ids 1, 2, ...;
// - box2d is in inclusive pixel coordinates: the COCO box is [x1, y1, x2 - x1 + 1, y2 - y1 + 1] and its area
//   the product of the two;
// - a label whose attributes say crowd or ignored (true or a non-zero number) is a crowd region (iscrowd 1);
// - annotation ids are 1, 2, ... in frame order, then label order.
// Labels without box2d (lanes, drivable areas, polygons) are not boxes; they are counted in the report, not
// read. Where Scalabel's conversion drops a label silently (a category outside the config), this reader
// refuses the file, naming the frame, the label and the category.
//
// Predictions are the same format with a score per label; their frames name the ground truth's images (url
// or name, the same rule).
//
// Refused, with the file, the frame (index and name), the label and the field: a frame without a name, two
// frames with one name, a box2d field that is not a finite number, x2 < x1 - 1 or y2 < y1 - 1 (a negative
// width), an unknown category, a crowd/ignored flag that is not a boolean or a number (Python would read the
// string "false" as true), a size that is not a positive number, a prediction without a finite score, a
// prediction for an image the ground truth does not have.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <simdjson.h>

#include "../coco/dataset.hpp"
#include "../core/error.hpp"
#include "../detail/json.hpp"
#include "coco_json.hpp"
#include "json_fields.hpp"

namespace stratum::io {

/// What a Scalabel file held besides the boxes read.
struct scalabel_report {
  std::size_t frames = 0, labels = 0, boxes = 0, crowd = 0, without_box = 0;

  [[nodiscard]] std::string summary(const std::string& source) const {
    std::string s = source + ": " + std::to_string(frames) + " frames, " + std::to_string(boxes) + " boxes";
    if (crowd) s += " (" + std::to_string(crowd) + " crowd or ignored)";
    if (without_box) s += "; " + std::to_string(without_box) + " labels without box2d (not boxes) left out";
    return s;
  }
};

namespace detail {

/// The frames of a Scalabel text without parsing it whole: the spans of the elements of the top-level list
/// (or of the "frames" list of a top-level object, with the span of its "config"), found by a scan that
/// follows strings and brackets. false when the text is not of that simple shape (the caller then parses the
/// whole document, which reports what is wrong); each span is parsed, and so validated, on its own.
struct scalabel_spans {
  std::vector<std::pair<std::size_t, std::size_t>> frames;  // [begin, end) of each frame
  std::size_t config_begin = 0, config_end = 0;             // empty: no config
};

inline std::size_t json_skip_ws(std::string_view t, std::size_t i) noexcept {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

/// The end of the value starting at t[i] (a string, an object, a list or a scalar); npos when cut short.
inline std::size_t json_skip_value(std::string_view t, std::size_t i) noexcept {
  constexpr auto npos = std::string_view::npos;
  const auto skip_string = [&t](std::size_t k) {  // t[k] == '"'
    for (++k; k < t.size(); ++k) {
      if (t[k] == '\\')
        ++k;
      else if (t[k] == '"')
        return k + 1;
    }
    return npos;
  };
  if (i >= t.size()) return npos;
  if (t[i] == '"') return skip_string(i);
  if (t[i] == '{' || t[i] == '[') {
    std::size_t depth = 0;
    while (i < t.size()) {
      const char c = t[i];
      if (c == '"') {
        i = skip_string(i);
        if (i == npos) return npos;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return npos;
  }
  while (i < t.size() && t[i] != ',' && t[i] != ']' && t[i] != '}' && t[i] != ' ' && t[i] != '\t' &&
         t[i] != '\n' && t[i] != '\r')
    ++i;
  return i;
}

/// The spans of the elements of the list starting at t[i] ('['); the index after it, or npos.
inline std::size_t json_list_spans(std::string_view t, std::size_t i,
                                   std::vector<std::pair<std::size_t, std::size_t>>& out) {
  constexpr auto npos = std::string_view::npos;
  i = json_skip_ws(t, i + 1);
  if (i < t.size() && t[i] == ']') return i + 1;
  for (;;) {
    const std::size_t e = json_skip_value(t, i);
    if (e == npos || e == i) return npos;
    out.emplace_back(i, e);
    i = json_skip_ws(t, e);
    if (i >= t.size()) return npos;
    if (t[i] == ']') return i + 1;
    if (t[i] != ',') return npos;
    i = json_skip_ws(t, i + 1);
  }
}

inline bool split_scalabel(std::string_view t, scalabel_spans& out) {
  constexpr auto npos = std::string_view::npos;
  std::size_t i = json_skip_ws(t, 0);
  if (i >= t.size()) return false;
  if (t[i] == '[') {
    i = json_list_spans(t, i, out.frames);
  } else if (t[i] == '{') {
    bool frames = false, config = false;
    i = json_skip_ws(t, i + 1);
    if (i < t.size() && t[i] == '}') return false;  // no frames: the whole-document path says so
    for (;;) {
      if (i >= t.size() || t[i] != '"') return false;
      const std::size_t ke = json_skip_value(t, i);
      if (ke == npos) return false;
      const std::string_view key = t.substr(i + 1, ke - i - 2);
      i = json_skip_ws(t, ke);
      if (i >= t.size() || t[i] != ':') return false;
      i = json_skip_ws(t, i + 1);
      if (key == "frames") {
        if (frames || i >= t.size() || t[i] != '[') return false;
        frames = true;
        i = json_list_spans(t, i, out.frames);
      } else {
        const std::size_t e = json_skip_value(t, i);
        if (e == npos || e == i) return false;
        if (key == "config") {
          if (config) return false;
          config = true;
          out.config_begin = i, out.config_end = e;
        }
        i = e;
      }
      if (i == npos) return false;
      i = json_skip_ws(t, i);
      if (i < t.size() && t[i] == '}') {
        ++i;
        break;
      }
      if (i >= t.size() || t[i] != ',') return false;
      i = json_skip_ws(t, i + 1);
    }
    if (!frames) return false;
  } else {
    return false;
  }
  return i != npos && json_skip_ws(t, i) == t.size();
}

/// One Scalabel document: its categories, and its frames one by one in file order.
class scalabel_document {
 public:
  /// `split`: read frame by frame when the text is of the simple shape (the default); false parses the whole
  /// document (the two give the same frames; the fuzz target checks that).
  scalabel_document(const simdjson::padded_string& json, const std::string& source, bool split = true)
      : source_(source), text_(json.data(), json.size()) {
    if (split && split_scalabel(text_, spans_)) {
      if (spans_.config_end > spans_.config_begin) {
        simdjson::dom::element e;
        if (auto err =
                parser_
                    .parse(text_.data() + spans_.config_begin, spans_.config_end - spans_.config_begin, false)
                    .get(e))
          throw input_error(source + ": invalid JSON: " + simdjson::error_message(err) + " (in config)");
        if (!e.is_null()) read_config(read_object(e, std::string("config"), fail_));
      }
      return;
    }
    whole_ = true;
    const auto doc = parse_document(parser_, json, source);
    if (doc.is_array()) {
      frames_ = doc.get_array().value_unsafe();
    } else {
      const auto root = read_object(doc, std::string("(document)"), fail_);
      simdjson::dom::element e;
      if (root["frames"].get(e))
        fail_("(document)", "expected a list of frames or an object with \"frames\"");
      frames_ = read_array(e, std::string("frames"), fail_);
      if (!root["config"].get(e) && !e.is_null()) read_config(read_object(e, std::string("config"), fail_));
    }
  }

  /// Calls fn(frame_ref) for each frame, in file order (the frame's object lives until fn returns).
  template <class Fn>
  void for_each_frame(Fn&& fn) {
    const auto one = [&](std::size_t index, simdjson::dom::element f) {
      frame_ref r;
      r.index = index;
      r.obj = read_object(f, "frames[" + std::to_string(index) + "]", fail_);
      simdjson::dom::element e;
      if (r.obj["name"].get(e)) fail_(frame_where(r.index, {}, ""), "missing field name");
      r.name = read_string(e, frame_where(r.index, {}, ".name"), fail_);
      if (r.name.empty()) fail_(frame_where(r.index, {}, ".name"), "the frame name is empty");
      fn(std::as_const(r));
    };
    if (whole_) {
      std::size_t i = 0;
      for (auto f : frames_) one(i++, f);
      return;
    }
    for (std::size_t i = 0; i < spans_.frames.size(); ++i) {
      const auto [b, e] = spans_.frames[i];
      simdjson::dom::element f;
      if (auto err = parser_.parse(text_.data() + b, e - b, false).get(f))
        throw input_error(source_ + ": invalid JSON: " + simdjson::error_message(err) + " (in frames[" +
                          std::to_string(i) + "])");
      one(i, f);
    }
  }

  /// "frames[3] ('a.jpg')" + tail.
  [[nodiscard]] static std::string frame_where(std::size_t index, std::string_view name,
                                               const std::string& tail) {
    std::string s = "frames[" + std::to_string(index) + "]";
    if (!name.empty()) s += " ('" + std::string(name) + "')";
    return s + tail;
  }
  struct frame_ref {
    std::size_t index = 0;
    std::string_view name;
    simdjson::dom::object obj;
  };

  /// Where in a frame: "frames[3] ('a.jpg').labels[2].box2d.x1", formatted only when an error is reported.
  struct loc {
    const frame_ref* f = nullptr;
    std::size_t label = static_cast<std::size_t>(-1);
    const char* field = nullptr;
    const char* sub = nullptr;
    [[nodiscard]] loc at(const char* fld, const char* s = nullptr) const noexcept {
      return {f, label, fld, s};
    }
    [[nodiscard]] std::string str() const {
      std::string out = frame_where(*f, "");
      if (label != static_cast<std::size_t>(-1)) out += ".labels[" + std::to_string(label) + "]";
      if (field) out += std::string(".") + field;
      if (sub) out += std::string(".") + sub;
      return out;
    }
  };

  /// The reporter of the JSON value readers: where (a string or a loc), what.
  struct failer {
    const std::string* source;
    [[noreturn]] void operator()(const std::string& where, const std::string& what) const {
      throw input_error(*source + ": " + where + ": " + what);
    }
    [[noreturn]] void operator()(const loc& where, const std::string& what) const {
      (*this)(where.str(), what);
    }
  };

  [[nodiscard]] const std::vector<std::string>& config_categories() const noexcept { return categories_; }
  [[nodiscard]] bool has_image_size() const noexcept { return image_w_ > 0; }

  [[nodiscard]] static std::string frame_where(const frame_ref& f, const std::string& tail) {
    return frame_where(f.index, f.name, tail);
  }

  /// The image of frame `f` (id, file_name, size, attributes).
  [[nodiscard]] coco::image_info image_of(const frame_ref& f, std::int64_t id) const {
    coco::image_info im;
    im.id = id;
    im.file_name = key_of(f);
    simdjson::dom::element e;
    if (has_image_size()) {
      im.width = image_w_;
      im.height = image_h_;
    } else if (!f.obj["size"].get(e) && !e.is_null()) {
      read_size(e, loc{&f}.at("size"), im.width, im.height);
    }
    if (!f.obj["attributes"].get(e) && !e.is_null()) {
      const auto ao = read_object(e, loc{&f}.at("attributes"), fail_);
      for (auto [k, v] : ao) {
        std::string value;
        if (v.is_string())
          value = std::string(v.get_string().value_unsafe());
        else if (v.is_number() || v.is_bool())
          value = simdjson::minify(v);
        else if (v.is_null())
          continue;
        else
          fail_(frame_where(f, ".attributes." + std::string(k)), "expected a string, a number or a boolean");
        im.attrs.emplace_back(std::string(k), std::move(value));
      }
    }
    return im;
  }

  /// The url of a frame when it has one, else its name: how the COCO image and the predictions name it.
  [[nodiscard]] std::string key_of(const frame_ref& f) const {
    simdjson::dom::element e;
    if (!f.obj["url"].get(e) && !e.is_null()) {
      const auto url = read_string(e, loc{&f}.at("url"), fail_);
      if (!url.empty()) return std::string(url);
    }
    return std::string(f.name);
  }

  /// Calls fn(label_loc, label_object, box) for each label of frame `f` with a box2d; counts the others.
  template <class Fn>
  void for_each_box(const frame_ref& f, scalabel_report& report, Fn&& fn) const {
    simdjson::dom::element e;
    if (f.obj["labels"].get(e) || e.is_null()) return;
    std::size_t j = 0;
    for (auto l : read_array(e, loc{&f}.at("labels"), fail_)) {
      const loc here{&f, j++};
      const auto lo = read_object(l, here, fail_);
      ++report.labels;
      simdjson::dom::element b;
      if (lo["box2d"].get(b) || b.is_null()) {
        ++report.without_box;
        continue;
      }
      const auto bo = read_object(b, here.at("box2d"), fail_);
      double v[4];
      static const char* const names[] = {"x1", "y1", "x2", "y2"};
      for (int k = 0; k < 4; ++k) {
        simdjson::dom::element x;
        if (bo[names[k]].get(x)) fail_(here.at("box2d", names[k]), "missing field");
        v[k] = read_number(x, here.at("box2d", names[k]), fail_);
      }
      for (int k = 0; k < 2; ++k)
        if (v[k + 2] < v[k] - 1)
          fail_(here.at("box2d", names[k + 2]),
                std::string(names[k + 2]) + " " + stratum::detail::json_number(v[k + 2]) + " < " + names[k] +
                    " - 1 (box2d is inclusive: the width x2 - x1 + 1 would be negative)");
      const box bx{v[0], v[1], v[2] - v[0] + 1, v[3] - v[1] + 1};
      if (!bx.finite() || !std::isfinite(bx.w * bx.h))
        fail_(here.at("box2d"), "the box's size or area is not a finite number");
      fn(here, lo, bx);
    }
  }

  /// The category of a label: its index in `names`, or a refusal naming the label.
  [[nodiscard]] std::size_t category_of(
      simdjson::dom::object lo, const loc& where,
      const std::unordered_map<std::string_view, std::size_t>& names) const {
    simdjson::dom::element e;
    if (lo["category"].get(e)) fail_(where.at("category"), "missing field");
    const auto c = read_string(e, where.at("category"), fail_);
    const auto it = names.find(c);
    if (it == names.end())
      fail_(where.at("category"),
            "unknown category '" + std::string(c) + "' (not in " +
                (categories_.empty() ? std::string("the class list") : std::string("config.categories")) +
                ")");
    return it->second;
  }

  /// Whether a label's attributes say crowd or ignored.
  [[nodiscard]] bool crowd_of(simdjson::dom::object lo, const loc& where) const {
    simdjson::dom::element e;
    if (lo["attributes"].get(e) || e.is_null()) return false;
    const auto ao = read_object(e, where.at("attributes"), fail_);
    bool crowd = false;
    for (const char* key : {"crowd", "ignored"}) {
      simdjson::dom::element v;
      if (ao[key].get(v) || v.is_null()) continue;
      bool b;
      double d;
      if (!v.get_bool().get(b))
        crowd = crowd || b;
      else if (!v.get_double().get(d))
        crowd = crowd || d != 0;
      else
        fail_(where.at("attributes", key), "expected true/false or a number");
    }
    return crowd;
  }

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw input_error(source_ + ": " + where + ": " + what);
  }

 private:
  void read_config(simdjson::dom::object cfg) {
    simdjson::dom::element e;
    if (!cfg["imageSize"].get(e) && !e.is_null())
      read_size(e, std::string("config.imageSize"), image_w_, image_h_);
    if (!cfg["categories"].get(e) && !e.is_null())
      read_categories(read_array(e, std::string("config.categories"), fail_), "config.categories");
  }

  void read_categories(simdjson::dom::array arr, const std::string& where) {
    std::size_t i = 0;
    for (auto c : arr) {
      const std::string w = where + "[" + std::to_string(i++) + "]";
      const auto o = read_object(c, w, fail_);
      simdjson::dom::element e;
      if (!o["subcategories"].get(e) && !e.is_null()) {
        read_categories(read_array(e, w + ".subcategories", fail_), w + ".subcategories");
        continue;
      }
      if (o["name"].get(e)) fail_(w + ".name", "missing field");
      const auto name = read_string(e, w + ".name", fail_);
      if (name.empty()) fail_(w + ".name", "the category name is empty");
      if (std::find(categories_.begin(), categories_.end(), name) != categories_.end())
        fail_(w + ".name", "category '" + std::string(name) + "' is listed twice");
      categories_.emplace_back(name);
    }
  }

  template <class Where>
  void read_size(simdjson::dom::element e, const Where& where, double& w, double& h) const {
    const auto o = read_object(e, where, fail_);
    for (const auto& item : {std::pair{"width", &w}, std::pair{"height", &h}}) {
      const char* key = item.first;
      double* out = item.second;
      const auto at = [&] {
        if constexpr (std::is_same_v<Where, loc>)
          return where.at(where.field, key);
        else
          return where + "." + key;
      };
      simdjson::dom::element v;
      if (o[key].get(v)) fail_(at(), "missing field");
      *out = read_number(v, at(), fail_);
      if (!(*out > 0)) fail_(at(), "not a positive number");
    }
  }

  const std::string& source_;
  failer fail_{&source_};
  std::string_view text_;
  scalabel_spans spans_;
  bool whole_ = false;  // the whole document parsed (not of the simple shape the scan splits)
  simdjson::dom::parser parser_;
  simdjson::dom::array frames_;  // when whole_
  std::vector<std::string> categories_;
  double image_w_ = 0, image_h_ = 0;
};

/// Sorts parsed frames (with index and name) by name, keeping file order among equals; input_error naming
/// the second of two frames with one name.
template <class Parsed>
void sort_by_name(std::vector<Parsed>& frames, const std::string& source) {
  std::stable_sort(frames.begin(), frames.end(),
                   [](const Parsed& a, const Parsed& b) { return a.name < b.name; });
  for (std::size_t k = 1; k < frames.size(); ++k)
    if (frames[k].name == frames[k - 1].name)
      throw input_error(source + ": " +
                        scalabel_document::frame_where(frames[k].index, frames[k].name, ".name") +
                        ": frames[" + std::to_string(frames[k - 1].index) + "] has this name already");
}

}  // namespace detail

/// Parses a Scalabel ground truth (see the file comment). `classes` is the class list to use when the file
/// has no config.categories (and instead of it when given); `report` receives the counts.
[[nodiscard]] inline coco::ground_truth parse_scalabel_ground_truth(
    const simdjson::padded_string& json, const std::string& source,
    const std::vector<std::string>& classes = {}, scalabel_report* report = nullptr, bool split = true) {
  detail::scalabel_document doc(json, source, split);
  const auto& names = classes.empty() ? doc.config_categories() : classes;
  if (names.empty())
    throw input_error(source +
                      ": no category list: the file has no config.categories (give the class list, "
                      "--classes FILE)");
  coco::ground_truth gt;
  std::unordered_map<std::string_view, std::size_t> by_name;
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (!by_name.emplace(names[c], c).second)
      throw input_error(source + ": category '" + names[c] + "' is listed twice in the class list");
    gt.categories.push_back({static_cast<std::int64_t>(c + 1), names[c]});
  }
  struct parsed {
    std::size_t index;
    std::string name;
    coco::image_info im;
    std::vector<std::size_t> cat;
    std::vector<box> boxes;
    std::vector<unsigned char> crowd;
  };
  std::vector<parsed> frames;
  scalabel_report r;
  doc.for_each_frame([&](const auto& f) {
    parsed p{f.index, std::string(f.name), doc.image_of(f, 0), {}, {}, {}};
    doc.for_each_box(f, r, [&](const auto& where, simdjson::dom::object lo, const box& b) {
      p.cat.push_back(doc.category_of(lo, where, by_name));
      p.boxes.push_back(b);
      p.crowd.push_back(doc.crowd_of(lo, where) ? 1 : 0);
      r.crowd += p.crowd.back();
      ++r.boxes;
    });
    ++r.frames;
    frames.push_back(std::move(p));
  });
  detail::sort_by_name(frames, source);
  std::int64_t ann = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    auto& p = frames[i];
    p.im.id = static_cast<std::int64_t>(i + 1);
    for (std::size_t k = 0; k < p.boxes.size(); ++k) {
      const auto& b = p.boxes[k];
      gt.add(++ann, p.im.id, static_cast<std::int64_t>(p.cat[k] + 1), b.x, b.y, b.w, b.h, b.w * b.h,
             p.crowd[k] != 0);
    }
    gt.images.push_back(std::move(p.im));
  }
  if (report) *report = r;
  return gt;
}

[[nodiscard]] inline coco::ground_truth load_scalabel_ground_truth(
    const std::string& path, const std::vector<std::string>& classes = {},
    scalabel_report* report = nullptr) {
  return parse_scalabel_ground_truth(detail::read_file(path), path, classes, report);
}

/// Parses Scalabel predictions (each label with box2d, category and score) against a ground truth: a frame
/// names its image by url or name as the ground truth's file_name, a category by the ground truth's name.
[[nodiscard]] inline coco::detection_set parse_scalabel_results(const simdjson::padded_string& json,
                                                                const std::string& source,
                                                                const coco::ground_truth& gt,
                                                                bool split = true) {
  detail::scalabel_document doc(json, source, split);
  std::unordered_map<std::string_view, std::int64_t> image_by_name;
  for (const auto& im : gt.images)
    if (!im.file_name.empty()) image_by_name.emplace(im.file_name, im.id);
  std::unordered_map<std::string_view, std::size_t> by_name;
  for (std::size_t c = 0; c < gt.categories.size(); ++c) by_name.emplace(gt.categories[c].name, c);
  struct parsed {
    std::size_t index;
    std::string name, key;
    coco::detection_set dt;
  };
  std::vector<parsed> frames;
  scalabel_report r;
  const detail::scalabel_document::failer fail{&source};
  doc.for_each_frame([&](const auto& f) {
    parsed p{f.index, std::string(f.name), doc.key_of(f), {}};
    if (image_by_name.find(p.key) == image_by_name.end())
      doc.fail(doc.frame_where(f, ""), "the ground truth has no image '" + p.key + "'");
    const std::size_t without = r.without_box;
    doc.for_each_box(f, r, [&](const auto& where, simdjson::dom::object lo, const box& b) {
      const auto cat = doc.category_of(lo, where, by_name);
      simdjson::dom::element e;
      if (lo["score"].get(e)) doc.fail(where.at("score").str(), "missing field (a prediction needs a score)");
      const double s = detail::read_number(e, where.at("score"), fail);
      p.dt.add(0, gt.categories[cat].id, b.x, b.y, b.w, b.h, s);
    });
    if (r.without_box != without) doc.fail(doc.frame_where(f, ".labels"), "a prediction without box2d");
    frames.push_back(std::move(p));
  });
  detail::sort_by_name(frames, source);
  coco::detection_set dt;
  for (const auto& p : frames) {
    const std::int64_t img = image_by_name.at(p.key);
    for (std::size_t k = 0; k < p.dt.size(); ++k)
      dt.add(img, p.dt.category_id[k], p.dt.x[k], p.dt.y[k], p.dt.w[k], p.dt.h[k], p.dt.score[k]);
  }
  return dt;
}

[[nodiscard]] inline coco::detection_set load_scalabel_results(const std::string& path,
                                                               const coco::ground_truth& gt) {
  return parse_scalabel_results(detail::read_file(path), path, gt);
}

/// The Scalabel frame name of a COCO image: its file_name, or its id when it has none.
[[nodiscard]] inline std::string scalabel_name_of(const coco::image_info& im) {
  return im.file_name.empty() ? std::to_string(im.id) : im.file_name;
}

/// Writes a ground truth (and, with `dt`, instead its detections with their scores) as a Scalabel document
/// with config.categories: the inverse of the reader within double rounding of x2 = x + w - 1 (the area
/// becomes w * h, what the format carries). Category names must be distinct and non-empty.
inline void append_scalabel(std::string& out, const coco::ground_truth& gt, const coco::detection_set* dt) {
  using stratum::detail::append_json_number;
  using stratum::detail::append_json_string;
  std::unordered_map<std::int64_t, std::string_view> cat_name;
  std::unordered_map<std::string_view, int> seen;
  for (const auto& c : gt.categories) {
    if (c.name.empty() || !seen.emplace(c.name, 0).second)
      throw input_error("Scalabel output: category " + std::to_string(c.id) +
                        " needs a distinct, non-empty name");
    cat_name.emplace(c.id, c.name);
  }
  std::unordered_map<std::int64_t, std::vector<std::size_t>> rows;
  const std::size_t n = dt ? dt->size() : gt.size();
  for (std::size_t r = 0; r < n; ++r) rows[dt ? dt->image_id[r] : gt.image_id[r]].push_back(r);
  out += "{\"config\":{\"categories\":[";
  for (std::size_t c = 0; c < gt.categories.size(); ++c) {
    out += c ? ",{\"name\":" : "{\"name\":";
    append_json_string(out, gt.categories[c].name);
    out += '}';
  }
  out += "]},\"frames\":[";
  for (std::size_t i = 0; i < gt.images.size(); ++i) {
    const auto& im = gt.images[i];
    out += i ? ",\n{\"name\":" : "\n{\"name\":";
    append_json_string(out, scalabel_name_of(im));
    if (im.width > 0 && im.height > 0) {
      out += ",\"size\":{\"width\":";
      append_json_number(out, im.width);
      out += ",\"height\":";
      append_json_number(out, im.height);
      out += '}';
    }
    if (!im.attrs.empty()) {
      out += ",\"attributes\":{";
      for (std::size_t k = 0; k < im.attrs.size(); ++k) {
        if (k) out += ',';
        append_json_string(out, im.attrs[k].first);
        out += ':';
        append_json_string(out, im.attrs[k].second);
      }
      out += '}';
    }
    out += ",\"labels\":[";
    const auto it = rows.find(im.id);
    if (it != rows.end())
      for (std::size_t k = 0; k < it->second.size(); ++k) {
        const std::size_t r = it->second[k];
        const auto& xs = dt ? dt->x : gt.x;
        const auto& ys = dt ? dt->y : gt.y;
        const auto& ws = dt ? dt->w : gt.w;
        const auto& hs = dt ? dt->h : gt.h;
        const auto cat = cat_name.find(dt ? dt->category_id[r] : gt.category_id[r]);
        if (cat == cat_name.end()) throw input_error("Scalabel output: a box of an unknown category");
        out += k ? ",{\"id\":\"" : "{\"id\":\"";
        out += std::to_string(dt ? r + 1 : static_cast<std::uint64_t>(gt.id[r]));
        out += "\",\"category\":";
        append_json_string(out, cat->second);
        const double x2 = xs[r] + ws[r] - 1, y2 = ys[r] + hs[r] - 1;
        if (!std::isfinite(x2) || !std::isfinite(y2))
          throw input_error("Scalabel output: box " + std::to_string(r) + " has a corner beyond a double");
        out += ",\"box2d\":{\"x1\":";
        append_json_number(out, xs[r]);
        out += ",\"y1\":";
        append_json_number(out, ys[r]);
        out += ",\"x2\":";
        append_json_number(out, x2);
        out += ",\"y2\":";
        append_json_number(out, y2);
        out += '}';
        if (dt) {
          out += ",\"score\":";
          append_json_number(out, dt->score[r]);
        } else if (gt.crowd[r]) {
          out += ",\"attributes\":{\"crowd\":true}";
        }
        out += '}';
      }
    out += "]}";
  }
  out += "\n]}\n";
}

}  // namespace stratum::io
