// KITTI object labels: one text file per image (<stem>.txt, e.g. 000123.txt) in a directory, one object per
// line, 15 fields separated by spaces:
//   type truncated occluded alpha x1 y1 x2 y2 height width length X Y Z rotation_y
// and a 16th, the score, in predictions. type is a class name (Car, Van, Truck, Pedestrian, Person_sitting,
// Cyclist, Tram, Misc) or DontCare; truncated is in [0, 1]; occluded is 0 (fully visible), 1 (partly), 2
// (largely) or 3 (unknown); x1 y1 x2 y2 is the 2-D box in pixels, left, top, right, bottom.
//
// The ground truth (load_kitti_ground_truth): the images are the label files' stems, sorted in byte order
// (KITTI's zero-padded numbers sort numerically) and numbered 1, 2, ...; the image's file_name is the stem;
// categories are the class list given (one name per line), or KITTI's eight classes in the order above, with
// ids 1, 2, ...; each object's box is [x1, y1, x2 - x1, y2 - y1] (KITTI's devkit measures overlap with
// x2 - x1, not + 1) with area w * h; annotation ids 1, 2, ... in image and line order. A DontCare region is a
// region where objects were not labelled: detections there are neither right nor wrong. It becomes a crowd
// region of every category (COCO matches crowd regions per category, KITTI's DontCare is for all), so a
// detection of any class inside it is ignored as in KITTI's evaluation.
// Truncation and occlusion are read, checked and counted in the report (kitti_report); an object with
// truncation above 0 is flagged gt_flag::truncated. With a difficulty (kitti_source::difficulty: easy,
// moderate or hard), KITTI's evaluation rules for ground truth apply as ignore flags (gt_flag::ignored:
// matched, counted neither way): an object whose occlusion exceeds the level's (0, 1, 2), whose truncation
// exceeds it (0.15, 0.3, 0.5) or whose height y2 - y1 is at most its minimum (40, 25, 25 px) is ignored, and
// a Van is also an ignored object of class Car, a Person_sitting one of class Pedestrian (the devkit's
// neighbouring classes, when both are in the class list), so a Car detection on a Van is neither right nor
// wrong. The devkit's rule for detections (one lower than the minimum height is ignored) is not applied: such
// detections count.
//
// Predictions (load_kitti_results) are the same lines with a score, one file per image stem of the ground
// truth, truncation and occlusion not checked (KITTI's result files write -1 for both); DontCare is not a
// prediction.
//
// Refused, with the file, the line and the field: a line without 15 (predictions: 16) fields, a type that is
// not in the class list, a number that is not finite, truncated outside [0, 1] or occluded not 0-3 (ground
// truth), x2 < x1 or y2 < y1, a prediction file for an unknown image. Blank lines are skipped; nothing else
// is.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "../coco/dataset.hpp"
#include "../core/box.hpp"
#include "../core/error.hpp"
#include "../core/frame.hpp"
#include "../detail/json.hpp"
#include "yolo.hpp"

namespace stratum::io {

/// KITTI's object classes, in the devkit's order.
inline const std::vector<std::string>& kitti_classes() {
  static const std::vector<std::string> c = {"Car",     "Van",  "Truck", "Pedestrian", "Person_sitting",
                                             "Cyclist", "Tram", "Misc"};
  return c;
}

/// One line of a KITTI file, parsed and checked. cls is the index into the class list, or -1 for DontCare.
struct kitti_object {
  std::int64_t cls = 0;
  double truncated = 0;
  int occluded = 0;
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0, score = 0;
};

/// KITTI's difficulty levels (none: every object counts).
enum class kitti_difficulty { none, easy, moderate, hard };

/// "easy", "moderate", "hard" or "all" (none); usage_error otherwise.
[[nodiscard]] inline kitti_difficulty parse_kitti_difficulty(std::string_view s) {
  if (s == "easy") return kitti_difficulty::easy;
  if (s == "moderate") return kitti_difficulty::moderate;
  if (s == "hard") return kitti_difficulty::hard;
  if (s == "all") return kitti_difficulty::none;
  throw usage_error("--kitti-difficulty: expected easy, moderate, hard or all (got '" + std::string(s) +
                    "')");
}

/// Whether KITTI's evaluation ignores a ground-truth object at difficulty `d` (the devkit's clean_data).
[[nodiscard]] inline bool kitti_ignored(const kitti_object& o, kitti_difficulty d) noexcept {
  if (d == kitti_difficulty::none) return false;
  const auto l = static_cast<std::size_t>(d) - 1;
  constexpr int max_occlusion[] = {0, 1, 2};
  constexpr double max_truncation[] = {0.15, 0.3, 0.5}, min_height[] = {40, 25, 25};
  return o.occluded > max_occlusion[l] || o.truncated > max_truncation[l] || o.y2 - o.y1 <= min_height[l];
}

/// What a KITTI folder held besides the boxes.
struct kitti_report {
  std::size_t files = 0, objects = 0, dont_care = 0;
  std::size_t ignored = 0, neighbours = 0;  // with a difficulty: objects ignored, neighbouring-class copies
  std::array<std::size_t, 4> occluded{};    // objects by occlusion level 0-3
  std::size_t truncated = 0;                // objects with truncation above 0
  kitti_difficulty difficulty = kitti_difficulty::none;

  [[nodiscard]] std::string summary(const std::string& source) const {
    return source + ": " + std::to_string(files) + " label files, " + std::to_string(objects) + " objects (" +
           std::to_string(occluded[0]) + " fully visible, " + std::to_string(occluded[1]) + " partly, " +
           std::to_string(occluded[2]) + " largely occluded, " + std::to_string(occluded[3]) + " unknown; " +
           std::to_string(truncated) + " truncated), " + std::to_string(dont_care) +
           " DontCare regions (crowd regions of every class)" +
           (difficulty == kitti_difficulty::none
                ? std::string()
                : "; " +
                      std::string(difficulty == kitti_difficulty::easy       ? "easy"
                                  : difficulty == kitti_difficulty::moderate ? "moderate"
                                                                             : "hard") +
                      ": " + std::to_string(ignored) + " objects ignored, " + std::to_string(neighbours) +
                      " Van/Person_sitting objects also ignored as Car/Pedestrian");
  }
};

/// Parses the lines of one KITTI file (`source` names it in errors): 15 fields per line, 16 with `scored`.
[[nodiscard]] inline std::vector<kitti_object> parse_kitti_lines(std::string_view text,
                                                                 const std::string& source,
                                                                 const std::vector<std::string>& classes,
                                                                 bool scored) {
  std::vector<kitti_object> out;
  const std::size_t want = scored ? 16 : 15;
  detail::for_each_line(text, [&](std::size_t line, std::string_view l) {
    std::string_view f[16];
    const std::size_t nf = detail::fields_of(l, f);
    if (nf == 0) return;
    const auto at = [&] { return source + ": line " + std::to_string(line); };
    if (nf != want)
      throw input_error(at() + ": " + std::to_string(nf) + " fields, expected " + std::to_string(want) +
                        (scored ? " (type truncated occluded alpha x1 y1 x2 y2 h w l x y z ry score)"
                                : " (type truncated occluded alpha x1 y1 x2 y2 h w l x y z ry)"));
    kitti_object o;
    if (f[0] == "DontCare") {
      if (scored) throw input_error(at() + ": type: DontCare is not a prediction");
      o.cls = -1;
    } else {
      const auto it = std::find(classes.begin(), classes.end(), f[0]);
      if (it == classes.end())
        throw input_error(at() + ": type: '" + std::string(f[0]) + "' is not in the class list");
      o.cls = it - classes.begin();
    }
    static const char* const names[] = {"type", "truncated", "occluded",   "alpha", "x1",     "y1",
                                        "x2",   "y2",        "height",     "width", "length", "x",
                                        "y",    "z",         "rotation_y", "score"};
    double v[16];
    for (std::size_t k = 1; k < want; ++k)
      if (!detail::parse_full_double(f[k], v[k]))
        throw input_error(at() + ": " + names[k] + ": '" + std::string(f[k]) + "' is not a finite number");
    if (o.cls >= 0 && !scored) {  // KITTI's results write -1 for both
      if (!(v[1] >= 0 && v[1] <= 1))
        throw input_error(at() + ": truncated: " + std::string(f[1]) + " is outside [0, 1]");
      if (!(v[2] == 0 || v[2] == 1 || v[2] == 2 || v[2] == 3))
        throw input_error(at() + ": occluded: " + std::string(f[2]) +
                          " is not 0, 1, 2 or 3 (visible, partly, largely occluded, unknown)");
      o.truncated = v[1];
      o.occluded = static_cast<int>(v[2]);
    }
    o.x1 = v[4], o.y1 = v[5], o.x2 = v[6], o.y2 = v[7];
    if (o.x2 < o.x1) throw input_error(at() + ": x2: " + std::string(f[6]) + " < x1 " + std::string(f[4]));
    if (o.y2 < o.y1) throw input_error(at() + ": y2: " + std::string(f[7]) + " < y1 " + std::string(f[5]));
    if (!std::isfinite((o.x2 - o.x1) * (o.y2 - o.y1)))
      throw input_error(at() + ": the box's size or area is not a finite number");
    if (scored) o.score = v[15];
    out.push_back(o);
  });
  return out;
}

/// Where a KITTI ground truth comes from.
struct kitti_source {
  std::string labels;    // the directory of <stem>.txt files
  std::string classes;   // the class list (empty: KITTI's eight classes)
  unsigned threads = 0;  // workers reading the files (0: every core); the result does not depend on it
  kitti_difficulty difficulty = kitti_difficulty::none;  // KITTI's ground-truth rules at this level
};

/// Reads a KITTI ground truth (see the file comment); `report` receives the counts.
[[nodiscard]] inline coco::ground_truth load_kitti_ground_truth(const kitti_source& src,
                                                                kitti_report* report = nullptr) {
  const auto classes = src.classes.empty()
                           ? kitti_classes()
                           : parse_yolo_classes(detail::read_text_file(src.classes), src.classes);
  const auto files = detail::files_by_stem(src.labels, ".txt", "KITTI label files");
  std::vector<std::string> paths;
  for (const auto& [stem, path] : files) paths.push_back(path);
  const auto parsed = detail::parse_files<std::vector<kitti_object>>(
      paths, src.threads, [&](std::size_t k, std::string_view text) {
        return parse_kitti_lines(text, paths[k], classes, false);
      });
  coco::ground_truth gt;
  for (std::size_t c = 0; c < classes.size(); ++c)
    gt.categories.push_back({static_cast<std::int64_t>(c + 1), classes[c]});
  kitti_report r;
  r.difficulty = src.difficulty;
  // the devkit's neighbouring classes: a Van is not a missed Car, a Car detection on it not a false alarm
  std::vector<std::int64_t> neighbour(classes.size(), -1);
  if (src.difficulty != kitti_difficulty::none)
    for (const auto& [a, b] : {std::pair{"Van", "Car"}, std::pair{"Person_sitting", "Pedestrian"}}) {
      const auto ia = std::find(classes.begin(), classes.end(), a),
                 ib = std::find(classes.begin(), classes.end(), b);
      if (ia != classes.end() && ib != classes.end())
        neighbour[static_cast<std::size_t>(ia - classes.begin())] = ib - classes.begin();
    }
  std::int64_t ann = 0, id = 0;
  for (const auto& [stem, path] : files) {
    coco::image_info im;
    im.id = ++id;
    im.file_name = stem;
    gt.images.push_back(im);
    ++r.files;
    for (const auto& o : parsed[static_cast<std::size_t>(id - 1)]) {
      const auto b = box::from_xyxy(o.x1, o.y1, o.x2, o.y2);
      if (o.cls < 0) {
        ++r.dont_care;
        for (std::size_t c = 0; c < classes.size(); ++c)
          gt.add(++ann, im.id, static_cast<std::int64_t>(c + 1), b.x, b.y, b.w, b.h, b.w * b.h, true);
        continue;
      }
      ++r.objects;
      ++r.occluded[static_cast<std::size_t>(o.occluded)];
      r.truncated += o.truncated > 0;
      const bool ignored = kitti_ignored(o, src.difficulty);
      r.ignored += ignored;
      const unsigned char flags =
          (o.truncated > 0 ? gt_flag::truncated : 0) | (ignored ? gt_flag::ignored : 0);
      gt.add(++ann, im.id, o.cls + 1, b.x, b.y, b.w, b.h, b.w * b.h, false, flags);
      if (const auto n = neighbour[static_cast<std::size_t>(o.cls)]; n >= 0) {
        gt.add(++ann, im.id, n + 1, b.x, b.y, b.w, b.h, b.w * b.h, false, flags | gt_flag::ignored);
        ++r.neighbours;
      }
    }
  }
  if (report) *report = r;
  return gt;
}

/// Reads KITTI predictions (16 fields per line, one file per image stem) against a ground truth whose image
/// file names' stems name the files; types are the ground truth's category names.
[[nodiscard]] inline coco::detection_set load_kitti_results(const std::string& dir,
                                                            const coco::ground_truth& gt,
                                                            unsigned threads = 0) {
  const auto by_stem = detail::image_ids_by_stem(gt);
  std::vector<std::string> classes;
  for (const auto& c : gt.categories) classes.push_back(c.name);
  std::vector<std::string> paths;
  std::vector<std::int64_t> image;
  for (const auto& [stem, path] : detail::files_by_stem(dir, ".txt", "KITTI label files")) {
    const auto it = by_stem.find(stem);
    if (it == by_stem.end()) throw input_error(path + ": the ground truth has no image '" + stem + "'");
    paths.push_back(path);
    image.push_back(it->second);
  }
  const auto parsed = detail::parse_files<std::vector<kitti_object>>(
      paths, threads,
      [&](std::size_t k, std::string_view text) { return parse_kitti_lines(text, paths[k], classes, true); });
  coco::detection_set dt;
  for (std::size_t k = 0; k < paths.size(); ++k)
    for (const auto& o : parsed[k]) {
      const auto b = box::from_xyxy(o.x1, o.y1, o.x2, o.y2);
      dt.add(image[k], gt.categories[static_cast<std::size_t>(o.cls)].id, b.x, b.y, b.w, b.h, o.score);
    }
  return dt;
}

/// A ground truth (or, with `dt`, its detections) as KITTI label text, one file's text per image stem: the
/// type is the category name, the 2-D box x1 y1 x2 y2 = x y x+w y+h, the 3-D fields written as KITTI writes
/// them for an object without 3-D labels (truncated 0, occluded 0, alpha -10, dimensions -1, location
/// -1000, rotation -10); crowd regions become DontCare lines (one per distinct box of an image: DontCare is
/// for every class). Refused: a category name that is empty or holds white space, two images with one stem.
[[nodiscard]] inline std::map<std::string, std::string> kitti_text_of(const coco::ground_truth& gt,
                                                                      const coco::detection_set* dt) {
  std::map<std::int64_t, std::string> name;
  for (const auto& c : gt.categories) {
    if (c.name.empty() || c.name.find_first_of(" \t\r\n") != std::string::npos || c.name == "DontCare")
      throw input_error("KITTI output: category " + std::to_string(c.id) +
                        " needs a name without white space (KITTI's type), other than DontCare");
    name.emplace(c.id, c.name);
  }
  std::map<std::string, std::string> files;
  std::map<std::int64_t, std::string> stem_of_image;
  for (const auto& im : gt.images) {
    const std::string stem = detail::stem_of(detail::output_name_of(im));
    if (stem.empty() || !files.emplace(stem, std::string()).second)
      throw input_error("KITTI output: image " + std::to_string(im.id) + ": its stem '" + stem +
                        "' is empty or another image's");
    stem_of_image.emplace(im.id, stem);
  }
  using stratum::detail::json_number;
  std::map<std::int64_t, std::vector<std::array<double, 4>>> dont_care;
  const std::size_t n = dt ? dt->size() : gt.size();
  for (std::size_t r = 0; r < n; ++r) {
    const auto img = stem_of_image.find(dt ? dt->image_id[r] : gt.image_id[r]);
    const auto cat = name.find(dt ? dt->category_id[r] : gt.category_id[r]);
    if (img == stem_of_image.end() || cat == name.end())
      throw input_error("KITTI output: box " + std::to_string(r) +
                        ": its image or category is not in the ground truth");
    const double x = dt ? dt->x[r] : gt.x[r], y = dt ? dt->y[r] : gt.y[r];
    const double x2 = x + (dt ? dt->w[r] : gt.w[r]), y2 = y + (dt ? dt->h[r] : gt.h[r]);
    std::string& f = files[img->second];
    const bool crowd = !dt && gt.crowd[r];
    if (crowd) {
      auto& seen = dont_care[gt.image_id[r]];
      const std::array<double, 4> key{x, y, x2, y2};
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
    }
    f += crowd ? std::string("DontCare -1 -1 -10 ") : cat->second + " 0 0 -10 ";
    f += json_number(x) + " " + json_number(y) + " " + json_number(x2) + " " + json_number(y2);
    f += " -1 -1 -1 -1000 -1000 -1000 -10";
    if (dt) f += " " + json_number(dt->score[r]);
    f += "\n";
  }
  return files;
}

}  // namespace stratum::io
