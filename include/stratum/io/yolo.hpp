// YOLO text labels: one file per image (<stem>.txt) in a directory, one object per line,
// "class cx cy w h" (ground truth) or "class cx cy w h score" (predictions): the class index into the class
// list (0-based), then the box centre and size divided by the image's width and height.
//
// The ground truth (load_yolo_ground_truth): the images are the label files' stems together with the size
// table's rows (an image in the table without a label file has no object), sorted by stem in byte order and
// numbered 1, 2, ... in that order; category i of the class list gets id i + 1 and its name; each line
// becomes the box [cx*W - w*W/2, cy*H - h*H/2, w*W, h*H] with area (w*W)*(h*H), annotation ids 1, 2, ... in
// image and line order, never crowd. The size table (CSV or JSONL, io/attribute_table.hpp) has columns
// file_name, width and height; its file_name (matched to a label file by stem) becomes the image's file_name.
// Instead of the table, a directory of the images gives the sizes from their headers (io/image_size.hpp), and
// the image's file name.
// Predictions (load_yolo_results) name their image by the label file's stem.
//
// Refused, with the file, the line and the field: a line without 5 (or, for predictions, 6) fields, a class
// index that is not an integer in [0, classes), a coordinate that is not a number in [0, 1], a negative size,
// a score that is not finite, an image without a size, a size that is not a positive number, a prediction
// file for an image the ground truth does not have. Blank lines are skipped; nothing else is.
#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../coco/dataset.hpp"
#include "../core/box.hpp"
#include "../core/error.hpp"
#include "../detail/json.hpp"
#include "../detail/parallel.hpp"
#include "attribute_table.hpp"
#include "image_size.hpp"

namespace stratum::io {

namespace detail {

/// Splits on spaces and tabs into `out` (at most N fields; returns the count, which may exceed N: the
/// fields beyond N are counted, not stored).
template <std::size_t N>
std::size_t fields_of(std::string_view line, std::string_view (&out)[N]) {
  std::size_t n = 0, i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > b) {
      if (n < N) out[n] = line.substr(b, i - b);
      ++n;
    }
  }
  return n;
}

/// Reads the file `path` into `buf` (replacing its content, keeping its memory): open, fstat, one read for a
/// regular file, close; input_error naming the file when it cannot be read.
inline void read_file_into(const std::string& path, std::string& buf) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw input_error(path + ": cannot read file");
  struct stat st {};
  std::size_t want = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0;
  buf.resize(std::max<std::size_t>(want + 1, 4096));
  std::size_t have = 0;
  for (;;) {
    const auto n = ::read(fd, buf.data() + have, buf.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      throw input_error(path + ": read error");
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
    if (have == want) break;  // a regular file, read to the size fstat gave: no read for the end needed
    if (have == buf.size()) buf.resize(2 * buf.size());
  }
  ::close(fd);
  buf.resize(have);
}

/// The files of `dir` whose name ends in `ext` (".txt"), by stem; input_error when `dir` is not a directory
/// ("not a directory of <what>") or cannot be listed.
[[nodiscard]] inline std::map<std::string, std::string> files_by_stem(const std::string& dir, const char* ext,
                                                                      const char* what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw input_error(dir + ": not a directory of " + what);
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file() || e.path().extension() != ext) continue;
    files.emplace(e.path().stem().string(), e.path().string());
  }
  if (ec) throw input_error(dir + ": cannot list the directory (" + ec.message() + ")");
  return files;
}

/// The name an image's label file takes in a writer's output folder: its file name without the folder part
/// (a folder of files has no folders), or its id when it has no file name.
[[nodiscard]] inline std::string output_name_of(const coco::image_info& im) {
  const std::string path = im.file_name.empty() ? std::to_string(im.id) : im.file_name;
  return path.substr(path.find_last_of("/\\") + 1);
}

/// The ground truth's image ids by the stem of their file names (the name prediction files are keyed by).
[[nodiscard]] inline std::map<std::string, std::int64_t> image_ids_by_stem(const coco::ground_truth& gt) {
  std::map<std::string, std::int64_t> out;
  for (const auto& im : gt.images) out.emplace(stem_of(im.file_name), im.id);
  return out;
}

/// Parses the files `paths` with parse(index, text) into out[index], on `threads` workers (0: every core),
/// each taking the next file in turn. The result does not depend on `threads`; when files are refused, the
/// error of the first of them in `paths` order is thrown.
template <class T, class Parse>
std::vector<T> parse_files(const std::vector<std::string>& paths, unsigned threads, Parse&& parse) {
  std::vector<T> out(paths.size());
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads =
      static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, paths.size() / 64)));
  std::atomic<std::size_t> next{0};
  std::vector<std::pair<std::size_t, std::exception_ptr>> first_error(threads, {paths.size(), nullptr});
  stratum::detail::run_workers(threads, [&](unsigned t) {
    std::string buf;
    for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < paths.size();) {
      try {
        read_file_into(paths[i], buf);
        out[i] = parse(i, std::string_view(buf));
      } catch (...) {
        if (i < first_error[t].first) first_error[t] = {i, std::current_exception()};
      }
    }
  });
  const auto e = std::min_element(first_error.begin(), first_error.end(),
                                  [](const auto& a, const auto& b) { return a.first < b.first; });
  if (e->second) std::rethrow_exception(e->second);
  return out;
}

}  // namespace detail

/// One line of a YOLO file, parsed and checked.
struct yolo_box {
  std::int64_t cls = 0;
  double cx = 0, cy = 0, w = 0, h = 0, score = 0;
};

/// Parses the lines of one YOLO file (`source` names it in errors): 5 fields per line, 6 with `scored`.
/// Blank lines (and a line end or none at the end) are skipped.
[[nodiscard]] inline std::vector<yolo_box> parse_yolo_lines(std::string_view text, const std::string& source,
                                                            std::size_t classes, bool scored) {
  std::vector<yolo_box> out;
  const std::size_t want = scored ? 6 : 5;
  static const char* const names[] = {"class", "cx", "cy", "w", "h", "score"};
  detail::for_each_line(text, [&](std::size_t line, std::string_view l) {
    std::string_view f[6];
    const std::size_t nf = detail::fields_of(l, f);
    if (nf == 0) return;
    const auto at = [&] { return source + ": line " + std::to_string(line); };  // formatted on errors only
    if (nf != want)
      throw input_error(at() + ": " + std::to_string(nf) + " fields, expected " + std::to_string(want) +
                        (scored ? " (class cx cy w h score)" : " (class cx cy w h)"));
    yolo_box b;
    const auto r = std::from_chars(f[0].data(), f[0].data() + f[0].size(), b.cls);
    if (r.ec != std::errc() || r.ptr != f[0].data() + f[0].size() || b.cls < 0 ||
        static_cast<std::uint64_t>(b.cls) >= classes)
      throw input_error(at() + ": class: '" + std::string(f[0]) + "' is not a class index in [0, " +
                        std::to_string(classes) + ")");
    double* v[] = {&b.cx, &b.cy, &b.w, &b.h, &b.score};
    for (std::size_t k = 1; k < want; ++k) {
      if (!detail::parse_full_double(f[k], *v[k - 1]))
        throw input_error(at() + ": " + names[k] + ": '" + std::string(f[k]) + "' is not a finite number");
      if (k <= 4 && !(*v[k - 1] >= 0 && *v[k - 1] <= 1))
        throw input_error(at() + ": " + names[k] + ": " + std::string(f[k]) +
                          " is outside [0, 1] (YOLO coordinates are divided by the image size)");
    }
    out.push_back(b);
  });
  return out;
}

/// A class list: one name per line (a trailing CR and blank trailing lines ignored; an empty name refused).
[[nodiscard]] inline std::vector<std::string> parse_yolo_classes(std::string_view text,
                                                                 const std::string& source) {
  std::vector<std::string> names;
  detail::for_each_line(text, [&](std::size_t, std::string_view l) { names.emplace_back(l); });
  while (!names.empty() && names.back().empty()) names.pop_back();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i].empty())
      throw input_error(source + ": line " + std::to_string(i + 1) + ": the class name is empty");
  if (names.empty()) throw input_error(source + ": no class names");
  return names;
}

/// Where a YOLO ground truth comes from.
struct yolo_source {
  std::string labels;    // the directory of <stem>.txt files
  std::string classes;   // the class list
  std::string sizes;     // the image-size table (file_name, width, height), or
  std::string images;    // a directory of the images, whose headers give the sizes
  unsigned threads = 0;  // workers reading the label files (0: every core); the result does not depend on it
};

/// Image sizes by stem, from a size table.
[[nodiscard]] inline std::map<std::string, std::pair<std::string, std::pair<double, double>>> yolo_sizes(
    const attribute_table& t) {
  const std::size_t fc = t.column("file_name"), wc = t.column("width"), hc = t.column("height");
  for (const auto& [c, name] : {std::pair{fc, "file_name"}, {wc, "width"}, {hc, "height"}})
    if (c == t.columns.size())
      throw input_error(t.source + ": no column " + name + " (file_name, width, height)");
  std::map<std::string, std::pair<std::string, std::pair<double, double>>> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    if (row[fc].empty()) throw input_error(t.where(r, fc) + ": the file name is empty");
    double wh[2];
    for (int k = 0; k < 2; ++k) {
      const std::size_t c = k ? hc : wc;
      if (!detail::parse_full_double(row[c], wh[k]) || !(wh[k] > 0))
        throw input_error(t.where(r, c) + ": '" + row[c] + "' is not a positive number");
    }
    if (!out.emplace(detail::stem_of(row[fc]), std::pair{row[fc], std::pair{wh[0], wh[1]}}).second)
      throw input_error(t.where(r, fc) + ": '" + row[fc] + "' has a size already");
  }
  return out;
}

/// Image sizes by stem, from the headers of the images (.jpg, .jpeg, .png, .bmp, .gif, .webp, any case) in a
/// directory.
[[nodiscard]] inline std::map<std::string, std::pair<std::string, std::pair<double, double>>>
yolo_sizes_of_images(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw input_error(dir + ": not a directory of images");
  std::map<std::string, std::pair<std::string, std::pair<double, double>>> out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::string ext = e.path().extension().string();
    for (auto& ch : ext) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    if (ext != ".jpg" && ext != ".jpeg" && ext != ".png" && ext != ".bmp" && ext != ".gif" && ext != ".webp")
      continue;
    const auto size = read_image_size(e.path().string());
    const auto name = e.path().filename().string();
    const auto [it, fresh] = out.emplace(e.path().stem().string(),
                                         std::pair{name, std::pair{double(size.width), double(size.height)}});
    if (!fresh)
      throw input_error(e.path().string() + ": another image has the stem '" + it->first + "' (" +
                        it->second.first + "): which one the labels describe is unknown");
  }
  if (ec) throw input_error(dir + ": cannot list the directory (" + ec.message() + ")");
  return out;
}

/// The *.txt files of a directory, by stem, sorted.
[[nodiscard]] inline std::map<std::string, std::string> yolo_files(const std::string& dir) {
  return detail::files_by_stem(dir, ".txt", "YOLO label files");
}

/// Reads a YOLO ground truth (see the file comment).
[[nodiscard]] inline coco::ground_truth load_yolo_ground_truth(const yolo_source& src) {
  if (src.classes.empty()) throw usage_error("YOLO labels need the class list (--classes FILE)");
  if (src.sizes.empty() == src.images.empty())
    throw usage_error("YOLO labels need the image sizes: --image-sizes FILE or --images DIR (one of them)");
  const auto classes = parse_yolo_classes(detail::read_text_file(src.classes), src.classes);
  const auto sizes =
      src.images.empty() ? yolo_sizes(load_attribute_table(src.sizes)) : yolo_sizes_of_images(src.images);
  const std::string& size_source = src.images.empty() ? src.sizes : src.images;
  const auto files = yolo_files(src.labels);
  std::vector<std::string> stems;
  for (const auto& [s, p] : files) stems.push_back(s);
  for (const auto& [s, v] : sizes)
    if (!files.count(s)) stems.push_back(s);
  std::sort(stems.begin(), stems.end());
  std::vector<std::string> paths;  // the label files, in stem order
  std::vector<std::size_t> file_of(stems.size(), static_cast<std::size_t>(-1));
  for (std::size_t i = 0; i < stems.size(); ++i) {
    const auto file = files.find(stems[i]);
    if (!sizes.count(stems[i]))
      throw input_error(file->second + ": no size for image '" + stems[i] + "' in " + size_source +
                        " (YOLO boxes are divided by the image size)");
    if (file != files.end()) file_of[i] = paths.size(), paths.push_back(file->second);
  }
  const auto parsed = detail::parse_files<std::vector<yolo_box>>(
      paths, src.threads, [&](std::size_t k, std::string_view text) {
        return parse_yolo_lines(text, paths[k], classes.size(), false);
      });
  coco::ground_truth gt;
  for (std::size_t c = 0; c < classes.size(); ++c)
    gt.categories.push_back({static_cast<std::int64_t>(c + 1), classes[c]});
  std::int64_t ann = 0;
  for (std::size_t i = 0; i < stems.size(); ++i) {
    const auto& size = sizes.at(stems[i]);
    coco::image_info im;
    im.id = static_cast<std::int64_t>(i + 1);
    im.file_name = size.first;
    im.width = size.second.first;
    im.height = size.second.second;
    gt.images.push_back(im);
    if (file_of[i] == static_cast<std::size_t>(-1)) continue;
    for (const auto& b : parsed[file_of[i]]) {
      const auto bx = box::from_cxcywh(b.cx * im.width, b.cy * im.height, b.w * im.width, b.h * im.height);
      gt.add(++ann, im.id, b.cls + 1, bx.x, bx.y, bx.w, bx.h, bx.w * bx.h, false);
    }
  }
  return gt;
}

/// Reads YOLO predictions ("class cx cy w h score" per line, one file per image stem) against a ground truth
/// whose images have file names (their stems name the files) and sizes.
[[nodiscard]] inline coco::detection_set load_yolo_results(const std::string& dir,
                                                           const coco::ground_truth& gt,
                                                           unsigned threads = 0) {
  std::map<std::string, const coco::image_info*> by_stem;
  for (const auto& im : gt.images) by_stem.emplace(detail::stem_of(im.file_name), &im);
  std::vector<std::string> paths;
  std::vector<const coco::image_info*> image;
  for (const auto& [stem, path] : yolo_files(dir)) {
    const auto it = by_stem.find(stem);
    if (it == by_stem.end() || it->second->file_name.empty())
      throw input_error(path + ": the ground truth has no image '" + stem + "'");
    if (!(it->second->width > 0 && it->second->height > 0))
      throw input_error(path + ": image '" + stem + "' has no size in the ground truth");
    paths.push_back(path);
    image.push_back(it->second);
  }
  const auto parsed =
      detail::parse_files<std::vector<yolo_box>>(paths, threads, [&](std::size_t k, std::string_view text) {
        return parse_yolo_lines(text, paths[k], gt.categories.size(), true);
      });
  coco::detection_set dt;
  for (std::size_t k = 0; k < paths.size(); ++k) {
    const auto& im = *image[k];
    for (const auto& b : parsed[k]) {
      const auto bx = box::from_cxcywh(b.cx * im.width, b.cy * im.height, b.w * im.width, b.h * im.height);
      dt.add(im.id, gt.categories[static_cast<std::size_t>(b.cls)].id, bx.x, bx.y, bx.w, bx.h, b.score);
    }
  }
  return dt;
}

/// A ground truth (or, with `dt`, its detections) as YOLO text: one file's text per image stem, the class
/// list and the size table (file_name,width,height), the inverse of load_yolo_ground_truth and
/// load_yolo_results within the rounding of dividing by the image size.
struct yolo_text {
  std::map<std::string, std::string> files;  // by stem: "class cx cy w h[ score]" lines
  std::string classes, sizes;
};

/// Refused (input_error naming the image or box): an image without a size, two images with one stem, a class
/// without a name or with a line break in it, a crowd region (YOLO has none), a box reaching outside its
/// image (YOLO coordinates are fractions of the image in [0, 1]).
[[nodiscard]] inline yolo_text yolo_text_of(const coco::ground_truth& gt, const coco::detection_set* dt) {
  yolo_text out;
  std::map<std::int64_t, std::size_t> cls;
  for (std::size_t c = 0; c < gt.categories.size(); ++c) {
    const auto& name = gt.categories[c].name;
    if (name.empty() || name.find_first_of("\r\n") != std::string::npos)
      throw input_error("YOLO output: category " + std::to_string(gt.categories[c].id) +
                        " needs a name on one line (the class list is names)");
    out.classes += name + "\n";
    cls.emplace(gt.categories[c].id, c);
  }
  out.sizes = "file_name,width,height\n";
  std::map<std::int64_t, std::pair<std::string, const coco::image_info*>> by_id;
  for (const auto& im : gt.images) {
    const std::string name = detail::output_name_of(im);
    const std::string stem = detail::stem_of(name);
    if (stem.empty())
      throw input_error("YOLO output: image " + std::to_string(im.id) + ": the file name '" + im.file_name +
                        "' has no stem");
    if (!(im.width > 0 && im.height > 0))
      throw input_error("YOLO output: image " + std::to_string(im.id) +
                        " has no size (YOLO boxes are fractions of it)");
    if (!out.files.emplace(stem, std::string()).second)
      throw input_error("YOLO output: image " + std::to_string(im.id) + ": another image has the stem '" +
                        stem + "'");
    by_id.emplace(im.id, std::pair{stem, &im});
    out.sizes += detail::csv_field(name) + "," + stratum::detail::json_number(im.width) + "," +
                 stratum::detail::json_number(im.height) + "\n";
  }
  const std::size_t n = dt ? dt->size() : gt.size();
  for (std::size_t r = 0; r < n; ++r) {
    const auto img = by_id.find(dt ? dt->image_id[r] : gt.image_id[r]);
    const auto c = cls.find(dt ? dt->category_id[r] : gt.category_id[r]);
    const std::string what = (dt ? "detection " : "annotation ") + std::to_string(dt ? r : gt.id[r]);
    if (img == by_id.end() || c == cls.end())
      throw input_error("YOLO output: " + what + ": its image or category is not in the ground truth");
    if (!dt && gt.crowd[r])
      throw input_error("YOLO output: " + what + " is a crowd region, which YOLO labels cannot hold");
    const auto& im = *img->second.second;
    const double x = dt ? dt->x[r] : gt.x[r], y = dt ? dt->y[r] : gt.y[r];
    const double w = dt ? dt->w[r] : gt.w[r], h = dt ? dt->h[r] : gt.h[r];
    const double v[4] = {(x + w / 2) / im.width, (y + h / 2) / im.height, w / im.width, h / im.height};
    for (double e : v)
      if (!(e >= 0 && e <= 1))
        throw input_error("YOLO output: " + what + " reaches outside image " + std::to_string(im.id) +
                          " (YOLO's centre and size are fractions of the image, in [0, 1])");
    auto& f = out.files[img->second.first];
    f += std::to_string(c->second);
    for (double e : v) f += " " + stratum::detail::json_number(e);
    if (dt) f += " " + stratum::detail::json_number(dt->score[r]);
    f += "\n";
  }
  return out;
}

/// Writes one text file per image stem, <stem>.txt, into `dir` (created): the label files of YOLO
/// (yolo_text::files) and KITTI (kitti_text_of). A class list or size table goes where the caller wants it,
/// not among the label files, where it would read as labels.
inline void write_label_files(const std::string& dir, const std::map<std::string, std::string>& files,
                              const char* ext = ".txt") {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw input_error(dir + ": cannot create the directory (" + ec.message() + ")");
  for (const auto& [stem, text] : files) detail::write_text_file(dir + "/" + stem + ext, text);
}

}  // namespace stratum::io
