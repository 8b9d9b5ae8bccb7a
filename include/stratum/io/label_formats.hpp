// One entry point for every label format stratum reads: COCO JSON, a folder of YOLO or KITTI text files, a
// folder of Pascal VOC XML files and BDD100K/Scalabel JSON, named (--format) or recognised from the path.
//
// Recognition: a directory with .xml files (or an Annotations/ folder) is VOC; another directory is YOLO or
// KITTI, told apart by the field count of the first line of its first label file (5 or 6: YOLO; 15 or 16:
// KITTI); detections in a directory are read in the ground truth's folder format when it has one (VOC's
// results files, KITTI's or YOLO's prediction files); a file is JSON whose keys decide. The keys of the
// top-level object (or, for a top-level list, of its first element) are scanned without parsing the rest:
// "images", "annotations" or "categories" make COCO ground truth, "image_id", "category_id" or "bbox" COCO
// results, "frames", "name", "labels" or "url" Scalabel. An empty list is COCO results (it has no detections
// either way); anything else is refused with what was found.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "../coco/dataset.hpp"
#include "../core/error.hpp"
#include "coco_json.hpp"
#include "kitti.hpp"
#include "scalabel.hpp"
#include "voc.hpp"
#include "yolo.hpp"

namespace stratum::io {

enum class label_format { automatic, coco, yolo, scalabel, kitti, voc };

[[nodiscard]] inline const char* format_name(label_format f) noexcept {
  switch (f) {
    case label_format::coco:
      return "coco";
    case label_format::yolo:
      return "yolo";
    case label_format::scalabel:
      return "scalabel";
    case label_format::kitti:
      return "kitti";
    case label_format::voc:
      return "voc";
    default:
      return "auto";
  }
}

/// "coco", "yolo", "scalabel", "kitti", "voc" or "auto"; usage_error otherwise.
[[nodiscard]] inline label_format parse_label_format(std::string_view s) {
  for (auto f : {label_format::automatic, label_format::coco, label_format::yolo, label_format::scalabel,
                 label_format::kitti, label_format::voc})
    if (s == format_name(f)) return f;
  throw usage_error("--format: expected coco, yolo, scalabel, kitti, voc or auto (got '" + std::string(s) +
                    "')");
}

/// Whether a format is read from a directory.
[[nodiscard]] constexpr bool is_folder_format(label_format f) noexcept {
  return f == label_format::yolo || f == label_format::kitti || f == label_format::voc;
}

/// The format of a directory of label files: VOC when it has an Annotations/ folder or a .xml file, else YOLO
/// or KITTI by the field count of the first non-blank line of
/// the first file in name order that has one (YOLO when every file is empty); when the count fits neither,
/// `otherwise` if given (the caller's options said which, and that reader names the bad line), else
/// input_error naming the file and the line.
[[nodiscard]] inline label_format detect_folder_format(const std::string& dir,
                                                       label_format otherwise = label_format::automatic) {
  if (voc_annotation_dir(dir) != dir || !detail::files_by_stem(dir, ".xml", "label files").empty())
    return label_format::voc;
  for (const auto& [stem, path] : yolo_files(dir)) {
    const std::string text = detail::read_text_file(path);
    std::size_t nf = 0;
    std::size_t line_no = 0;
    detail::for_each_line(text, [&](std::size_t line, std::string_view l) {
      std::string_view f[17];
      if (nf == 0) nf = detail::fields_of(l, f), line_no = line;
    });
    if (nf == 0) continue;
    if (nf == 5 || nf == 6) return label_format::yolo;
    if (nf == 15 || nf == 16) return label_format::kitti;
    if (otherwise != label_format::automatic) return otherwise;
    throw input_error(path + ": line " + std::to_string(line_no) + ": " + std::to_string(nf) +
                      " fields: neither YOLO (5, or 6 with a score) nor KITTI (15, or 16 with a score); give "
                      "--format");
  }
  return label_format::yolo;
}

namespace detail {

/// The keys of the top-level object of a JSON text, or of the first element of a top-level list (at most
/// `limit`), read without parsing values; `list` tells which. A malformed text gives the keys found so far.
inline std::vector<std::string> first_object_keys(std::string_view t, bool& list, std::size_t limit = 64) {
  std::vector<std::string> keys;
  std::size_t i = 0;
  const auto ws = [&] {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  };
  ws();
  if (i >= t.size()) return keys;
  list = t[i] == '[';
  if (list) {
    ++i;
    ws();
  }
  if (i >= t.size() || t[i] != '{') return keys;
  ++i;
  int depth = 1;  // inside the object whose keys are wanted
  bool expect_key = true;
  while (i < t.size() && keys.size() < limit) {
    const char ch = t[i];
    if (ch == '"') {
      const std::size_t b = ++i;
      while (i < t.size() && t[i] != '"') i += t[i] == '\\' ? 2 : 1;
      if (i >= t.size()) break;
      if (depth == 1 && expect_key) keys.emplace_back(t.substr(b, i - b));
      expect_key = false;
      ++i;
      continue;
    }
    if (ch == '{' || ch == '[') {
      ++depth;
    } else if (ch == '}' || ch == ']') {
      if (--depth == 0) break;
    } else if (ch == ',' && depth == 1) {
      expect_key = true;
    }
    ++i;
  }
  return keys;
}

}  // namespace detail

/// The format of a ground-truth (`results` false) or results file whose text begins with `t`; input_error
/// naming `path` when the keys fit none.
[[nodiscard]] inline label_format detect_json_format(std::string_view t, const std::string& path,
                                                     bool results) {
  bool list = false;
  const auto keys = detail::first_object_keys(t, list);
  if (list && keys.empty()) {
    const auto a = t.find_first_not_of(" \t\r\n");
    const auto b = t.find_first_not_of(" \t\r\n", a + 1);
    if (b != std::string_view::npos && t[b] == ']') return label_format::coco;  // []: nothing either way
  }
  for (const auto& k : keys) {
    if (k == "frames" || k == "name" || k == "labels" || k == "url") return label_format::scalabel;
    if (!results && !list && (k == "images" || k == "annotations" || k == "categories"))
      return label_format::coco;
    if (results && list && (k == "image_id" || k == "category_id" || k == "bbox")) return label_format::coco;
  }
  std::string found;
  for (std::size_t k = 0; k < keys.size() && k < 8; ++k) found += (k ? ", " : "") + keys[k];
  throw input_error(path + ": not a recognised " + (results ? "results" : "ground-truth") +
                    " file (COCO or Scalabel JSON; " +
                    (found.empty() ? std::string("no object keys found") : "keys: " + found) +
                    "); give --format");
}

/// The first `n` bytes of a file (fewer when it is shorter); input_error naming it when it cannot be read.
[[nodiscard]] inline std::string file_prefix(const std::string& path, std::size_t n = 1u << 20) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw input_error(path + ": cannot open for reading: " + std::strerror(errno));
  std::string out(n, '\0');
  out.resize(std::fread(out.data(), 1, n, f.get()));
  if (std::ferror(f.get())) throw input_error(path + ": read error");
  return out;
}

/// The format `path` is read as: `given` unless automatic; else a directory is YOLO and a file is
/// recognised from its keys.
[[nodiscard]] inline label_format format_of(const std::string& path, label_format given, bool results,
                                            label_format folder_otherwise = label_format::automatic) {
  std::error_code ec;
  const bool dir = std::filesystem::is_directory(path, ec);
  if (given == label_format::automatic)
    return dir ? detect_folder_format(path, folder_otherwise)
               : detect_json_format(file_prefix(path), path, results);
  const bool folder = is_folder_format(given);
  if (folder != dir)
    throw usage_error(dir ? path + " is a directory: --format " + format_name(given) + " reads a file"
                          : path + " is a file: --format " + format_name(given) +
                                " reads a directory of label files");
  return given;
}

/// Where a ground truth comes from beyond its path.
struct label_options {
  label_format format = label_format::automatic;
  std::string classes;    // YOLO: the class list (required); Scalabel: instead of config.categories; KITTI:
                          // instead of KITTI's eight classes
  std::string sizes;      // YOLO: the image-size table, or
  std::string images;     // YOLO: a directory of the images
  std::string image_set;  // VOC: the image stems to read (ImageSets/Main/test.txt); empty: every file
  unsigned threads = 0;   // folder formats: workers reading the files (0: every core); the result is the same
  kitti_difficulty difficulty = kitti_difficulty::none;  // KITTI: the ground-truth rules of a difficulty
};

/// A ground truth in any format. `note` receives a line saying what a Scalabel, KITTI or VOC input held
/// beyond the boxes read (labels without box2d, DontCare regions, occlusion levels, difficult objects),
/// empty for the others; `read_as` the format it was read as.
[[nodiscard]] inline coco::ground_truth load_labels(const std::string& path, const label_options& o,
                                                    std::string* note = nullptr,
                                                    label_format* read_as = nullptr) {
  // --image-sizes or --images say YOLO when the first line fits neither format (the YOLO reader names it)
  const auto f =
      format_of(path, o.format, false,
                o.sizes.empty() && o.images.empty() ? label_format::automatic : label_format::yolo);
  if (read_as) *read_as = f;
  if (f != label_format::yolo && (!o.sizes.empty() || !o.images.empty()))
    throw usage_error("--image-sizes and --images go with YOLO labels, and " + path + " is read as " +
                      format_name(f));
  if (f == label_format::coco && !o.classes.empty())
    throw usage_error("--classes goes with YOLO, Scalabel, KITTI or VOC labels, and " + path +
                      " is read as coco");
  if (f != label_format::voc && !o.image_set.empty())
    throw usage_error("--image-set goes with VOC labels, and " + path + " is read as " + format_name(f));
  if (f != label_format::kitti && o.difficulty != kitti_difficulty::none)
    throw usage_error("--kitti-difficulty goes with KITTI labels, and " + path + " is read as " +
                      format_name(f));
  if (f == label_format::yolo) return load_yolo_ground_truth({path, o.classes, o.sizes, o.images, o.threads});
  if (f == label_format::kitti) {
    kitti_report r;
    auto gt = load_kitti_ground_truth({path, o.classes, o.threads, o.difficulty}, &r);
    if (note) *note = r.summary(path);
    return gt;
  }
  if (f == label_format::voc) {
    voc_report r;
    auto gt = load_voc_ground_truth({path, o.classes, o.image_set, o.threads}, &r);
    if (note) *note = r.summary(voc_annotation_dir(path));
    return gt;
  }
  if (f == label_format::scalabel) {
    std::vector<std::string> classes;
    if (!o.classes.empty()) classes = parse_yolo_classes(detail::read_text_file(o.classes), o.classes);
    scalabel_report r;
    auto gt = load_scalabel_ground_truth(path, classes, &r);
    if (note) *note = r.summary(path);
    return gt;
  }
  return load_coco_ground_truth(path);
}

/// Detections in any format, against the ground truth they are scored on. `truth` is the ground truth's
/// format: detections in a directory are read in it when it is a folder format (a VOC, KITTI or YOLO ground
/// truth has its detections in its own format's files, which an empty folder or VOC's six-field lines could
/// not tell), else recognised as format_of does.
[[nodiscard]] inline coco::detection_set load_detections(const std::string& path,
                                                         const coco::ground_truth& gt,
                                                         label_format given = label_format::automatic,
                                                         label_format truth = label_format::automatic,
                                                         unsigned threads = 0) {
  std::error_code ec;
  if (given == label_format::automatic && is_folder_format(truth) && std::filesystem::is_directory(path, ec))
    given = truth;
  switch (format_of(path, given, true)) {
    case label_format::yolo:
      return load_yolo_results(path, gt, threads);
    case label_format::kitti:
      return load_kitti_results(path, gt, threads);
    case label_format::voc:
      return load_voc_results(path, gt, threads);
    case label_format::scalabel:
      return load_scalabel_results(path, gt);
    default:
      return load_coco_results(path, gt);
  }
}

}  // namespace stratum::io
