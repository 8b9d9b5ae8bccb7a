// Pascal VOC labels: one XML file per image (<stem>.xml) in a directory (a VOC root's Annotations/ folder, or
// the root itself when it has one), parsed with Expat (Debian's libexpat1-dev; link stratum::xml):
//   <annotation>
//     <filename>000005.jpg</filename>
//     <size><width>500</width><height>375</height><depth>3</depth></size>
//     <object>
//       <name>chair</name> <pose>Rear</pose> <truncated>0</truncated> <difficult>1</difficult>
//       <bndbox><xmin>263</xmin><ymin>211</ymin><xmax>324</xmax><ymax>339</ymax></bndbox>
//     </object> ...
//   </annotation>
// Only these elements are read (an object's <part>s, <pose>, <occluded>, <segmented> and the rest are
// skipped); text is trimmed of white space; entities and CDATA are Expat's.
//
// The ground truth (load_voc_ground_truth): the images are the files' stems, sorted in byte order and
// numbered 1, 2, ... (only the stems of an image-set file, one per line as in VOC's ImageSets/Main/test.txt,
// when one is given); file_name is <filename> (the stem when there is none); width and height are <size>'s
// (0 when absent); categories are the class list given (one name per line), or VOC's twenty classes in the
// devkit's order, with ids 1, 2, .... VOC's coordinates are 1-based inclusive pixel indices (a box from xmin
// = 1 to xmax = W covers the whole width; the devkit measures overlap with + 1), so the box is
//   [xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1]
// (detectron2's reading of VOC), area w * h, annotation ids 1, 2, ... in image and object order.
// `difficult` objects are flagged gt_flag::ignored | difficult: VOC's evaluation counts them neither as found
// nor as missed and ignores a detection that takes one; `truncated` objects are flagged gt_flag::truncated
// (VOC's evaluation counts them like any other). Both are 0 or 1, 0 when absent.
//
// Predictions (load_voc_results) are VOC's results files: one text file per class, named
// <anything>_<class>.txt (comp4_det_test_car.txt) or <class>.txt, each line "image score xmin ymin xmax ymax"
// with the same 1-based inclusive coordinates; image is the stem of an image's file name in the ground truth.
//
// Refused, with the file, the line and the element: XML that is not well formed, a root other than
// <annotation>, an object without <name> or a <bndbox> coordinate, an element given twice, a class not in the
// class list, a number that is not finite (sizes: not >= 0), a flag other than 0 or 1, xmax < xmin or ymax <
// ymin, an image-set stem without a file; in results, a line without 6 fields, an unknown image, a file that
// names no class.
#pragma once

#include <expat.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "../coco/dataset.hpp"
#include "../core/box.hpp"
#include "../core/error.hpp"
#include "../core/frame.hpp"
#include "../detail/json.hpp"
#include "../detail/markup.hpp"
#include "yolo.hpp"

namespace stratum::io {

/// VOC's twenty object classes, in the devkit's order.
inline const std::vector<std::string>& voc_classes() {
  static const std::vector<std::string> c = {"aeroplane",   "bicycle", "bird",  "boat",      "bottle",
                                             "bus",         "car",     "cat",   "chair",     "cow",
                                             "diningtable", "dog",     "horse", "motorbike", "person",
                                             "pottedplant", "sheep",   "sofa",  "train",     "tvmonitor"};
  return c;
}

/// One <object> of a VOC file, parsed and checked; cls indexes the class list.
struct voc_object {
  std::size_t cls = 0;
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;
  bool difficult = false, truncated = false;

  /// The gt_flag bits: difficult objects ignored (VOC's rule), truncated ones flagged.
  [[nodiscard]] unsigned char flags() const noexcept {
    return static_cast<unsigned char>((difficult ? gt_flag::ignored | gt_flag::difficult : 0) |
                                      (truncated ? gt_flag::truncated : 0));
  }
};

/// One VOC file, parsed and checked.
struct voc_annotation {
  std::string filename;
  double width = 0, height = 0;
  std::vector<voc_object> objects;
};

/// What a VOC folder held besides the boxes.
struct voc_report {
  std::size_t files = 0, objects = 0, difficult = 0, truncated = 0;

  [[nodiscard]] std::string summary(const std::string& source) const {
    return source + ": " + std::to_string(files) + " annotation files, " + std::to_string(objects) +
           " objects (" + std::to_string(difficult) + " difficult: matched but counted neither way; " +
           std::to_string(truncated) + " truncated)";
  }
};

namespace detail {

/// VOC's box [xmin, ymin, xmax, ymax] (1-based inclusive pixels) as a COCO box.
[[nodiscard]] inline box voc_box(double xmin, double ymin, double xmax, double ymax) noexcept {
  return {xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1};
}

/// An Expat parser for VOC files, reset and reused from file to file (one per thread).
class voc_parser {
 public:
  voc_parser() : p_(XML_ParserCreate(nullptr)) {
    if (!p_) throw std::bad_alloc();
  }
  ~voc_parser() { XML_ParserFree(p_); }
  voc_parser(const voc_parser&) = delete;
  voc_parser& operator=(const voc_parser&) = delete;

  /// Parses one file's text (`source` names it in errors) against the class list.
  [[nodiscard]] voc_annotation parse(std::string_view text, const std::string& source,
                                     const std::vector<std::string>& classes) {
    XML_ParserReset(p_, nullptr);
    XML_SetUserData(p_, this);
    XML_SetElementHandler(p_, &voc_parser::on_start, &voc_parser::on_end);
    XML_SetCharacterDataHandler(p_, &voc_parser::on_text);
    source_ = &source;
    classes_ = &classes;
    out_ = voc_annotation();
    path_.clear();
    error_.clear();
    collecting_ = false;
    seen_root_ = false;
    object_ = 0;
    file_seen_ = 0;
    // Expat takes an int length: feed the text in pieces.
    constexpr std::size_t piece = std::size_t{1} << 30;
    std::size_t at = 0;
    do {
      const std::size_t n = std::min(piece, text.size() - at);
      const bool last = at + n == text.size();
      if (XML_Parse(p_, text.data() + at, static_cast<int>(n), last ? XML_TRUE : XML_FALSE) ==
          XML_STATUS_ERROR) {
        if (!error_.empty()) throw input_error(error_);
        throw input_error(source + ": line " + std::to_string(XML_GetCurrentLineNumber(p_)) +
                          ": not well-formed XML (" + XML_ErrorString(XML_GetErrorCode(p_)) + ")");
      }
      at += n;
    } while (at < text.size());
    if (!seen_root_) throw input_error(source + ": no <annotation> element");
    return std::move(out_);
  }

 private:
  // What the element at the top of path_ is, for the elements read.
  enum class field { none, filename, width, height, name, difficult, truncated, xmin, ymin, xmax, ymax };

  [[nodiscard]] field leaf() const {
    const std::size_t d = path_.size();
    const std::string& e = path_.back();
    if (d == 2 && e == "filename") return field::filename;
    if (d == 3 && path_[1] == "size") {
      if (e == "width") return field::width;
      if (e == "height") return field::height;
    }
    if (d == 3 && path_[1] == "object") {
      if (e == "name") return field::name;
      if (e == "difficult") return field::difficult;
      if (e == "truncated") return field::truncated;
    }
    if (d == 4 && path_[1] == "object" && path_[2] == "bndbox") {
      if (e == "xmin") return field::xmin;
      if (e == "ymin") return field::ymin;
      if (e == "xmax") return field::xmax;
      if (e == "ymax") return field::ymax;
    }
    return field::none;
  }

  [[nodiscard]] std::string where() const {
    std::string w = *source_ + ": line " + std::to_string(XML_GetCurrentLineNumber(p_)) + ": ";
    if (path_.size() >= 2 && path_[1] == "object") w += "object " + std::to_string(object_) + ": ";
    std::string el;
    for (std::size_t i = 1; i < path_.size(); ++i) el += (i > 1 ? "/" : "") + path_[i];
    return w + "<" + el + ">";
  }

  void fail(const std::string& what) {
    if (error_.empty()) error_ = where() + ": " + what;
    XML_StopParser(p_, XML_FALSE);
  }

  void start(const char* name) {
    if (!error_.empty()) return;
    path_.emplace_back(name);
    if (path_.size() == 1) {
      if (path_[0] != "annotation") return fail("the root element is not <annotation>");
      seen_root_ = true;
    }
    if (path_.size() == 2 && path_[1] == "object") {
      ++object_;
      obj_ = voc_object();
      obj_seen_ = 0;
    }
    collecting_ = leaf() != field::none;
    text_.clear();
  }

  void end() {
    if (!error_.empty()) return;
    if (collecting_) value();
    collecting_ = false;
    if (path_.size() == 2 && path_[1] == "object" && error_.empty()) {
      if (!(obj_seen_ & bit(field::name))) return fail("no <name>");
      for (const auto f : {field::xmin, field::ymin, field::xmax, field::ymax})
        if (!(obj_seen_ & bit(f)))
          return fail(std::string("no <bndbox> <") +
                      (f == field::xmin   ? "xmin"
                       : f == field::ymin ? "ymin"
                       : f == field::xmax ? "xmax"
                                          : "ymax") +
                      ">");
      if (obj_.xmax < obj_.xmin) return fail("bndbox: xmax " + num(obj_.xmax) + " < xmin " + num(obj_.xmin));
      if (obj_.ymax < obj_.ymin) return fail("bndbox: ymax " + num(obj_.ymax) + " < ymin " + num(obj_.ymin));
      const auto b = voc_box(obj_.xmin, obj_.ymin, obj_.xmax, obj_.ymax);
      if (!std::isfinite(b.w * b.h)) return fail("bndbox: the box's size or area is not a finite number");
      out_.objects.push_back(obj_);
    }
    path_.pop_back();
  }

  static std::uint32_t bit(field f) { return std::uint32_t{1} << static_cast<int>(f); }
  static std::string num(double v) { return stratum::detail::json_number(v); }

  void value() {
    const field f = leaf();
    std::string_view v(text_);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '\n' || v.front() == '\r'))
      v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\n' || v.back() == '\r'))
      v.remove_suffix(1);
    const bool in_object = path_[1] == "object";
    std::uint32_t& seen = in_object ? obj_seen_ : file_seen_;
    if (seen & bit(f)) return fail("given twice");
    seen |= bit(f);
    switch (f) {
      case field::filename:
        out_.filename = v;
        return;
      case field::name: {
        const auto it = std::find(classes_->begin(), classes_->end(), v);
        if (it == classes_->end()) return fail("'" + std::string(v) + "' is not in the class list");
        obj_.cls = static_cast<std::size_t>(it - classes_->begin());
        return;
      }
      case field::difficult:
      case field::truncated:
        if (v != "0" && v != "1") return fail("'" + std::string(v) + "' is not 0 or 1");
        (f == field::difficult ? obj_.difficult : obj_.truncated) = v == "1";
        return;
      default:
        break;
    }
    double d = 0;
    if (!detail::parse_full_double(v, d)) return fail("'" + std::string(v) + "' is not a finite number");
    switch (f) {
      case field::width:
      case field::height:
        if (!(d >= 0)) return fail(std::string(v) + " is negative");
        (f == field::width ? out_.width : out_.height) = d;
        return;
      case field::xmin:
        obj_.xmin = d;
        return;
      case field::ymin:
        obj_.ymin = d;
        return;
      case field::xmax:
        obj_.xmax = d;
        return;
      default:
        obj_.ymax = d;
        return;
    }
  }

  static void XMLCALL on_start(void* self, const XML_Char* name, const XML_Char**) {
    static_cast<voc_parser*>(self)->start(name);
  }
  static void XMLCALL on_end(void* self, const XML_Char*) { static_cast<voc_parser*>(self)->end(); }
  static void XMLCALL on_text(void* self, const XML_Char* s, int len) {
    auto* p = static_cast<voc_parser*>(self);
    if (p->collecting_ && p->error_.empty()) p->text_.append(s, static_cast<std::size_t>(len));
  }

  XML_Parser p_;
  const std::string* source_ = nullptr;
  const std::vector<std::string>* classes_ = nullptr;
  voc_annotation out_;
  voc_object obj_;
  std::vector<std::string> path_;
  std::string text_, error_;
  std::size_t object_ = 0;
  std::uint32_t obj_seen_ = 0, file_seen_ = 0;
  bool collecting_ = false, seen_root_ = false;
};

/// Parses one VOC file with this thread's parser.
[[nodiscard]] inline voc_annotation parse_voc(std::string_view text, const std::string& source,
                                              const std::vector<std::string>& classes) {
  thread_local voc_parser parser;
  return parser.parse(text, source, classes);
}

}  // namespace detail

/// Parses one VOC annotation file's text (`source` names it in errors) against the class list.
[[nodiscard]] inline voc_annotation parse_voc_annotation(std::string_view text, const std::string& source,
                                                         const std::vector<std::string>& classes) {
  return detail::parse_voc(text, source, classes);
}

/// Where a VOC ground truth comes from.
struct voc_source {
  std::string annotations;  // a directory of <stem>.xml files, or a VOC root holding Annotations/
  std::string classes;      // the class list (empty: VOC's twenty classes)
  std::string image_set;    // a file of stems, one per line (empty: every file)
  unsigned threads = 0;     // workers reading the files (0: every core); the result does not depend on it
};

/// The directory of a VOC source's XML files: `dir`/Annotations when it exists, else `dir`.
[[nodiscard]] inline std::string voc_annotation_dir(const std::string& dir) {
  std::error_code ec;
  const auto sub = std::filesystem::path(dir) / "Annotations";
  return std::filesystem::is_directory(sub, ec) ? sub.string() : dir;
}

/// Reads a VOC ground truth (see the file comment); `report` receives the counts.
[[nodiscard]] inline coco::ground_truth load_voc_ground_truth(const voc_source& src,
                                                              voc_report* report = nullptr) {
  const auto classes = src.classes.empty()
                           ? voc_classes()
                           : parse_yolo_classes(detail::read_text_file(src.classes), src.classes);
  const std::string dir = voc_annotation_dir(src.annotations);
  auto files = detail::files_by_stem(dir, ".xml", "VOC annotation files");
  if (!src.image_set.empty()) {
    std::map<std::string, std::string> chosen;
    detail::for_each_line(detail::read_text_file(src.image_set), [&](std::size_t line, std::string_view l) {
      std::string_view f[2];
      const std::size_t nf = detail::fields_of(l, f);
      if (nf == 0) return;
      const auto it = files.find(std::string(f[0]));  // VOC's per-class sets add a second field, 1 or -1
      if (it == files.end())
        throw input_error(src.image_set + ": line " + std::to_string(line) + ": no " + std::string(f[0]) +
                          ".xml in " + dir);
      chosen.insert(*it);
    });
    files = std::move(chosen);
  }
  std::vector<std::string> paths;
  for (const auto& [stem, path] : files) paths.push_back(path);
  const auto parsed = detail::parse_files<voc_annotation>(
      paths, src.threads,
      [&](std::size_t k, std::string_view text) { return detail::parse_voc(text, paths[k], classes); });
  coco::ground_truth gt;
  for (std::size_t c = 0; c < classes.size(); ++c)
    gt.categories.push_back({static_cast<std::int64_t>(c + 1), classes[c]});
  voc_report r;
  std::int64_t ann = 0, id = 0;
  for (const auto& [stem, path] : files) {
    const auto& a = parsed[static_cast<std::size_t>(id)];
    coco::image_info im;
    im.id = ++id;
    im.file_name = a.filename.empty() ? stem : a.filename;
    im.width = a.width;
    im.height = a.height;
    gt.images.push_back(im);
    ++r.files;
    for (const auto& o : a.objects) {
      const auto b = detail::voc_box(o.xmin, o.ymin, o.xmax, o.ymax);
      gt.add(++ann, im.id, static_cast<std::int64_t>(o.cls + 1), b.x, b.y, b.w, b.h, b.w * b.h, false,
             o.flags());
      ++r.objects;
      r.difficult += o.difficult;
      r.truncated += o.truncated;
    }
  }
  if (report) *report = r;
  return gt;
}

/// Reads VOC results files (see the file comment) against a ground truth: every .txt file of `dir` whose
/// name is <class>.txt or ends in _<class>.txt for a category name of the ground truth (the longest such
/// name).
[[nodiscard]] inline coco::detection_set load_voc_results(const std::string& dir,
                                                          const coco::ground_truth& gt,
                                                          unsigned threads = 0) {
  const auto by_stem = detail::image_ids_by_stem(gt);
  std::vector<std::string> paths;
  std::vector<std::int64_t> cat;
  for (const auto& [stem, path] : detail::files_by_stem(dir, ".txt", "VOC results files")) {
    const coco::category_info* best = nullptr;
    for (const auto& c : gt.categories) {
      const bool named = stem == c.name || (stem.size() > c.name.size() && stem.ends_with(c.name) &&
                                            stem[stem.size() - c.name.size() - 1] == '_');
      if (named && !c.name.empty() && (!best || c.name.size() > best->name.size())) best = &c;
    }
    if (!best)
      throw input_error(path +
                        ": the file name names no class of the ground truth (<class>.txt or "
                        "<anything>_<class>.txt, e.g. comp4_det_test_car.txt)");
    paths.push_back(path);
    cat.push_back(best->id);
  }
  struct row {
    std::int64_t image;
    double score, xmin, ymin, xmax, ymax;
  };
  const auto parsed =
      detail::parse_files<std::vector<row>>(paths, threads, [&](std::size_t k, std::string_view text) {
        std::vector<row> out;
        detail::for_each_line(text, [&](std::size_t line, std::string_view l) {
          std::string_view f[7];
          const std::size_t nf = detail::fields_of(l, f);
          if (nf == 0) return;
          const auto at = [&] { return paths[k] + ": line " + std::to_string(line); };
          if (nf != 6)
            throw input_error(at() + ": " + std::to_string(nf) +
                              " fields, expected 6 (image score xmin ymin xmax ymax)");
          const auto im = by_stem.find(std::string(f[0]));
          if (im == by_stem.end())
            throw input_error(at() + ": image: the ground truth has no image '" + std::string(f[0]) + "'");
          static const char* const names[] = {"image", "score", "xmin", "ymin", "xmax", "ymax"};
          double v[6];
          for (std::size_t i = 1; i < 6; ++i)
            if (!detail::parse_full_double(f[i], v[i]))
              throw input_error(at() + ": " + names[i] + ": '" + std::string(f[i]) +
                                "' is not a finite number");
          if (v[4] < v[2])
            throw input_error(at() + ": xmax: " + std::string(f[4]) + " < xmin " + std::string(f[2]));
          if (v[5] < v[3])
            throw input_error(at() + ": ymax: " + std::string(f[5]) + " < ymin " + std::string(f[3]));
          const auto b = detail::voc_box(v[2], v[3], v[4], v[5]);
          if (!std::isfinite(b.w * b.h))
            throw input_error(at() + ": the box's size or area is not a finite number");
          out.push_back({im->second, v[1], v[2], v[3], v[4], v[5]});
        });
        return out;
      });
  coco::detection_set dt;
  for (std::size_t k = 0; k < paths.size(); ++k)
    for (const auto& o : parsed[k]) {
      const auto b = detail::voc_box(o.xmin, o.ymin, o.xmax, o.ymax);
      dt.add(o.image, cat[k], b.x, b.y, b.w, b.h, o.score);
    }
  return dt;
}

/// A ground truth as VOC annotation files, one file's text per image stem: <filename>, <size> and an
/// <object> per box with <name> (the category name), <truncated> and <difficult> from the flags and the
/// <bndbox> [x + 1, y + 1, x + w, y + h] (load_voc_ground_truth's inverse), numbers with 17 significant
/// digits. Refused, by name: a crowd region (VOC has none), an object flagged ignored but not difficult (VOC
/// has no other way to say it), an empty category name, two images with one stem.
[[nodiscard]] inline std::map<std::string, std::string> voc_xml_of(const coco::ground_truth& gt) {
  std::map<std::int64_t, std::string> name;
  for (const auto& c : gt.categories) {
    if (c.name.empty()) throw input_error("VOC output: category " + std::to_string(c.id) + " needs a name");
    name.emplace(c.id, stratum::detail::markup_escaped(c.name));
  }
  using stratum::detail::json_number;
  std::map<std::int64_t, std::string*> file_of;
  std::map<std::string, std::string> files;
  for (const auto& im : gt.images) {
    const std::string base = detail::output_name_of(im);
    const std::string stem = detail::stem_of(base);
    const auto [it, fresh] = files.emplace(stem, std::string());
    if (stem.empty() || !fresh)
      throw input_error("VOC output: image " + std::to_string(im.id) + ": its stem '" + stem +
                        "' is empty or another image's");
    it->second = "<annotation>\n  <filename>" + stratum::detail::markup_escaped(base) +
                 "</filename>\n  <size><width>" + json_number(im.width) + "</width><height>" +
                 json_number(im.height) + "</height><depth>3</depth></size>\n";
    file_of.emplace(im.id, &it->second);
  }
  for (std::size_t r = 0; r < gt.size(); ++r) {
    const auto f = file_of.find(gt.image_id[r]);
    const auto c = name.find(gt.category_id[r]);
    if (f == file_of.end() || c == name.end())
      throw input_error("VOC output: box " + std::to_string(r) +
                        ": its image or category is not in the ground truth");
    const unsigned char fl = gt.flags[r];
    if (gt.crowd[r])
      throw input_error("VOC output: annotation " + std::to_string(gt.id[r]) +
                        " is a crowd region, which VOC cannot say");
    if ((fl & gt_flag::ignored) && !(fl & gt_flag::difficult))
      throw input_error("VOC output: annotation " + std::to_string(gt.id[r]) +
                        " is ignored without being difficult, which VOC cannot say");
    std::string& t = *f->second;
    t += "  <object>\n    <name>" + c->second + "</name>\n    <truncated>" +
         ((fl & gt_flag::truncated) ? "1" : "0") + "</truncated>\n    <difficult>" +
         ((fl & gt_flag::difficult) ? "1" : "0") + "</difficult>\n    <bndbox><xmin>" +
         json_number(gt.x[r] + 1) + "</xmin><ymin>" + json_number(gt.y[r] + 1) + "</ymin><xmax>" +
         json_number(gt.x[r] + gt.w[r]) + "</xmax><ymax>" + json_number(gt.y[r] + gt.h[r]) +
         "</ymax></bndbox>\n  </object>\n";
  }
  for (auto& [stem, t] : files) t += "</annotation>\n";
  return files;
}

/// Detections as VOC results files, one text per category name (the file comp4_det_test_<name>.txt): a line
/// "image score xmin ymin xmax ymax" per detection, image the stem of its image's file name, the box as
/// voc_xml_of writes it. Refused, by name: a category name that is empty or holds a path separator or a line
/// break, a detection whose image or category is not in the ground truth.
[[nodiscard]] inline std::map<std::string, std::string> voc_results_text_of(const coco::ground_truth& gt,
                                                                            const coco::detection_set& dt) {
  std::map<std::int64_t, std::string> name, stem;
  std::map<std::string, std::string> files;
  for (const auto& c : gt.categories) {
    if (c.name.empty() || c.name.find_first_of("\r\n/\\") != std::string::npos)
      throw input_error("VOC results output: category " + std::to_string(c.id) +
                        " needs a name without path separators or line breaks (it names the file)");
    name.emplace(c.id, c.name);
    files.emplace("comp4_det_test_" + c.name, std::string());
  }
  for (const auto& im : gt.images) {
    stem.emplace(im.id, detail::stem_of(detail::output_name_of(im)));
  }
  using stratum::detail::json_number;
  for (std::size_t r = 0; r < dt.size(); ++r) {
    const auto im = stem.find(dt.image_id[r]);
    const auto c = name.find(dt.category_id[r]);
    if (im == stem.end() || c == name.end())
      throw input_error("VOC results output: detection " + std::to_string(r) +
                        ": its image or category is not in the ground truth");
    files["comp4_det_test_" + c->second] += im->second + " " + json_number(dt.score[r]) + " " +
                                            json_number(dt.x[r] + 1) + " " + json_number(dt.y[r] + 1) + " " +
                                            json_number(dt.x[r] + dt.w[r]) + " " +
                                            json_number(dt.y[r] + dt.h[r]) + "\n";
  }
  return files;
}

}  // namespace stratum::io
