// BDD100K / Scalabel JSON labels: a list of frames, or {"frames": [...], "config": {...}}, each frame
//   {"name", "url"?, "attributes"?: {key: string | number | bool}, "size"?: {"width", "height"},
//    "labels"?: [{"id"?, "category", "box2d"?: {"x1", "y1", "x2", "y2"}, "attributes"?: {"crowd"?,
//    "ignored"?},
//                 "score"?}]}
//
// Read by the rules of Scalabel's own COCO conversion (scalabel.label.to_coco, scalabel2coco_detection):
// - frames are sorted by name (byte order) and numbered 1, 2, ... in that order; the image's file_name is the
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

/// One Scalabel document: its frames in name order and its categories.
class scalabel_document {
 public:
  scalabel_document(const simdjson::padded_string& json, const std::string& source) : source_(source) {
    const auto doc = parse_document(parser_, json, source);
    simdjson::dom::array frames;
    if (doc.is_array()) {
      frames = doc.get_array().value_unsafe();
    } else {
      const auto root = read_object(doc, std::string("(document)"), fail_);
      simdjson::dom::element e;
      if (root["frames"].get(e))
        fail_("(document)", "expected a list of frames or an object with \"frames\"");
      frames = read_array(e, std::string("frames"), fail_);
      if (!root["config"].get(e) && !e.is_null()) read_config(read_object(e, std::string("config"), fail_));
    }
    std::size_t i = 0;
    for (auto f : frames) {
      frame_ref r;
      r.index = i++;
      r.obj = read_object(f, "frames[" + std::to_string(r.index) + "]", fail_);
      simdjson::dom::element e;
      if (r.obj["name"].get(e)) fail_(frame_where(r, ""), "missing field name");
      r.name = read_string(e, frame_where(r, ".name"), fail_);
      if (r.name.empty()) fail_(frame_where(r, ".name"), "the frame name is empty");
      frames_.push_back(r);
    }
    std::stable_sort(frames_.begin(), frames_.end(),
                     [](const frame_ref& a, const frame_ref& b) { return a.name < b.name; });
    for (std::size_t k = 1; k < frames_.size(); ++k)
      if (frames_[k].name == frames_[k - 1].name)
        fail_(frame_where(frames_[k], ".name"),
              "frames[" + std::to_string(frames_[k - 1].index) + "] has this name already");
  }

  struct frame_ref {
    std::size_t index = 0;
    std::string_view name;
    simdjson::dom::object obj;
  };

  [[nodiscard]] const std::vector<frame_ref>& frames() const noexcept { return frames_; }
  [[nodiscard]] const std::vector<std::string>& config_categories() const noexcept { return categories_; }
  [[nodiscard]] bool has_image_size() const noexcept { return image_w_ > 0; }

  /// "frames[3] ('a.jpg')" + tail.
  [[nodiscard]] static std::string frame_where(const frame_ref& f, const std::string& tail) {
    std::string s = "frames[" + std::to_string(f.index) + "]";
    if (!f.name.empty()) s += " ('" + std::string(f.name) + "')";
    return s + tail;
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
      read_size(e, frame_where(f, ".size"), im.width, im.height);
    }
    if (!f.obj["attributes"].get(e) && !e.is_null()) {
      const auto ao = read_object(e, frame_where(f, ".attributes"), fail_);
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
      const auto url = read_string(e, frame_where(f, ".url"), fail_);
      if (!url.empty()) return std::string(url);
    }
    return std::string(f.name);
  }

  /// Calls fn(label_where, label_object, box) for each label of frame `f` with a box2d; counts the others.
  template <class Fn>
  void for_each_box(const frame_ref& f, scalabel_report& report, Fn&& fn) const {
    simdjson::dom::element e;
    if (f.obj["labels"].get(e) || e.is_null()) return;
    std::size_t j = 0;
    for (auto l : read_array(e, frame_where(f, ".labels"), fail_)) {
      const std::string where_prefix = ".labels[" + std::to_string(j++) + "]";
      const auto lo = read_object(l, frame_where(f, where_prefix), fail_);
      ++report.labels;
      simdjson::dom::element b;
      if (lo["box2d"].get(b) || b.is_null()) {
        ++report.without_box;
        continue;
      }
      const auto bo = read_object(b, frame_where(f, where_prefix + ".box2d"), fail_);
      double v[4];
      static const char* const names[] = {"x1", "y1", "x2", "y2"};
      for (int k = 0; k < 4; ++k) {
        simdjson::dom::element x;
        const std::string w = frame_where(f, where_prefix + ".box2d." + names[k]);
        if (bo[names[k]].get(x)) fail_(w, "missing field");
        v[k] = read_number(x, w, fail_);
      }
      for (int k = 0; k < 2; ++k)
        if (v[k + 2] < v[k] - 1)
          fail_(frame_where(f, where_prefix + ".box2d." + names[k + 2]),
                std::string(names[k + 2]) + " " + stratum::detail::json_number(v[k + 2]) + " < " + names[k] +
                    " - 1 " + "(box2d is inclusive: the width x2 - x1 + 1 would be negative)");
      const box bx{v[0], v[1], v[2] - v[0] + 1, v[3] - v[1] + 1};
      if (!bx.finite() || !std::isfinite(bx.w * bx.h))
        fail_(frame_where(f, where_prefix + ".box2d"), "the box's size or area is not a finite number");
      fn(frame_where(f, where_prefix), lo, bx);
    }
  }

  /// The category of a label: its index in `names`, or a refusal naming the label.
  [[nodiscard]] std::size_t category_of(
      simdjson::dom::object lo, const std::string& where,
      const std::unordered_map<std::string_view, std::size_t>& names) const {
    simdjson::dom::element e;
    if (lo["category"].get(e)) fail_(where + ".category", "missing field");
    const auto c = read_string(e, where + ".category", fail_);
    const auto it = names.find(c);
    if (it == names.end())
      fail_(where + ".category",
            "unknown category '" + std::string(c) + "' (not in " +
                (categories_.empty() ? std::string("the class list") : std::string("config.categories")) +
                ")");
    return it->second;
  }

  /// Whether a label's attributes say crowd or ignored.
  [[nodiscard]] bool crowd_of(simdjson::dom::object lo, const std::string& where) const {
    simdjson::dom::element e;
    if (lo["attributes"].get(e) || e.is_null()) return false;
    const auto ao = read_object(e, where + ".attributes", fail_);
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
        fail_(where + ".attributes." + key, "expected true/false or a number");
    }
    return crowd;
  }

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw input_error(source_ + ": " + where + ": " + what);
  }

 private:
  void read_config(simdjson::dom::object cfg) {
    simdjson::dom::element e;
    if (!cfg["imageSize"].get(e) && !e.is_null()) read_size(e, "config.imageSize", image_w_, image_h_);
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

  void read_size(simdjson::dom::element e, const std::string& where, double& w, double& h) const {
    const auto o = read_object(e, where, fail_);
    for (const auto& [key, out] : {std::pair{"width", &w}, std::pair{"height", &h}}) {
      simdjson::dom::element v;
      if (o[key].get(v)) fail_(where + "." + key, "missing field");
      *out = read_number(v, where + "." + key, fail_);
      if (!(*out > 0)) fail_(where + "." + key, "not a positive number");
    }
  }

  const std::string& source_;
  decltype(file_fail(std::string())) fail_ = file_fail(source_);
  simdjson::dom::parser parser_;
  std::vector<frame_ref> frames_;
  std::vector<std::string> categories_;
  double image_w_ = 0, image_h_ = 0;
};

}  // namespace detail

/// Parses a Scalabel ground truth (see the file comment). `classes` is the class list to use when the file
/// has no config.categories (and instead of it when given); `report` receives the counts.
[[nodiscard]] inline coco::ground_truth parse_scalabel_ground_truth(
    const simdjson::padded_string& json, const std::string& source,
    const std::vector<std::string>& classes = {}, scalabel_report* report = nullptr) {
  const detail::scalabel_document doc(json, source);
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
  scalabel_report r;
  std::int64_t ann = 0;
  for (std::size_t i = 0; i < doc.frames().size(); ++i) {
    const auto& f = doc.frames()[i];
    gt.images.push_back(doc.image_of(f, static_cast<std::int64_t>(i + 1)));
    ++r.frames;
    doc.for_each_box(f, r, [&](const std::string& where, simdjson::dom::object lo, const box& b) {
      const auto cat = doc.category_of(lo, where, by_name);
      const bool crowd = doc.crowd_of(lo, where);
      r.crowd += crowd;
      ++r.boxes;
      gt.add(++ann, static_cast<std::int64_t>(i + 1), static_cast<std::int64_t>(cat + 1), b.x, b.y, b.w, b.h,
             b.w * b.h, crowd);
    });
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
                                                                const coco::ground_truth& gt) {
  const detail::scalabel_document doc(json, source);
  std::unordered_map<std::string_view, std::int64_t> image_by_name;
  for (const auto& im : gt.images)
    if (!im.file_name.empty()) image_by_name.emplace(im.file_name, im.id);
  std::unordered_map<std::string_view, std::size_t> by_name;
  for (std::size_t c = 0; c < gt.categories.size(); ++c) by_name.emplace(gt.categories[c].name, c);
  coco::detection_set dt;
  scalabel_report r;
  for (const auto& f : doc.frames()) {
    const auto key = doc.key_of(f);
    const auto img = image_by_name.find(key);
    if (img == image_by_name.end())
      doc.fail(doc.frame_where(f, ""), "the ground truth has no image '" + key + "'");
    const std::size_t without = r.without_box;
    doc.for_each_box(f, r, [&](const std::string& where, simdjson::dom::object lo, const box& b) {
      const auto cat = doc.category_of(lo, where, by_name);
      simdjson::dom::element e;
      if (lo["score"].get(e)) doc.fail(where + ".score", "missing field (a prediction needs a score)");
      const double s = detail::read_number(e, where + ".score", detail::file_fail(source));
      dt.add(img->second, gt.categories[cat].id, b.x, b.y, b.w, b.h, s);
    });
    if (r.without_box != without) doc.fail(doc.frame_where(f, ".labels"), "a prediction without box2d");
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
