// libFuzzer target: a Pascal VOC annotation file (io/voc.hpp, Expat underneath) against VOC's twenty classes
// or a class list of two; or (bit 0 of the first byte) the same bytes as VOC results lines. Every input must
// either read or throw stratum::input_error: any other exception, a crash, a hang or a sanitizer report is a
// finding. What reads is written back as VOC (voc_xml_of) and read again: the same objects, flags and boxes
// within rounding, or the fuzzer traps.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include <stratum/io/voc.hpp>

namespace {

bool near(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  static const std::vector<std::string> two = {"car", "a&b <c>"};
  const auto& classes = (mode & 2) ? two : stratum::io::voc_classes();
  if (mode & 1) {  // results lines, through a temporary folder, against a ground truth of two images
    namespace fs = std::filesystem;
    static const fs::path dir = [] {
      auto d = fs::temp_directory_path() / ("stratum_fuzz_voc_" + std::to_string(::getpid()));
      fs::create_directories(d);
      return d;
    }();
    stratum::coco::ground_truth gt;
    gt.categories = {{1, "car"}, {2, "person"}};
    for (int i = 1; i <= 2; ++i) {
      stratum::coco::image_info im;
      im.id = i;
      im.file_name = "00000" + std::to_string(i) + ".jpg";
      gt.images.push_back(im);
    }
    stratum::io::detail::write_text_file((dir / "comp4_det_test_car.txt").string(), std::string(text));
    try {
      const auto dt = stratum::io::load_voc_results(dir.string(), gt, 1);
      for (std::size_t i = 0; i < dt.size(); ++i)
        if (!(dt.w[i] >= 1 && dt.h[i] >= 1 && std::isfinite(dt.score[i]))) __builtin_trap();
    } catch (const stratum::input_error&) {
    }
    return 0;
  }
  stratum::io::voc_annotation a;
  try {
    a = stratum::io::parse_voc_annotation(text, "f.xml", classes);
  } catch (const stratum::input_error&) {
    return 0;
  }
  // what reads is a ground truth that writes and reads back the same
  stratum::coco::ground_truth gt;
  for (std::size_t c = 0; c < classes.size(); ++c)
    gt.categories.push_back({static_cast<std::int64_t>(c + 1), classes[c]});
  stratum::coco::image_info im;
  im.id = 1;
  im.file_name =
      a.filename.empty() || a.filename.find_first_of("/\\") != std::string::npos ? "x.jpg" : a.filename;
  im.width = a.width;
  im.height = a.height;
  gt.images.push_back(im);
  std::int64_t id = 0;
  for (const auto& o : a.objects) {
    const auto b = stratum::io::detail::voc_box(o.xmin, o.ymin, o.xmax, o.ymax);
    if (!(b.w >= 0 && b.h >= 0)) __builtin_trap();
    gt.add(++id, 1, static_cast<std::int64_t>(o.cls + 1), b.x, b.y, b.w, b.h, b.w * b.h, false, o.flags());
  }
  std::map<std::string, std::string> files;
  try {
    files = stratum::io::voc_xml_of(gt);
  } catch (const stratum::input_error&) {
    return 0;  // a stem that cannot name a file
  }
  if (files.size() != 1) __builtin_trap();
  const auto back = stratum::io::parse_voc_annotation(files.begin()->second, "back.xml", classes);
  if (back.objects.size() != a.objects.size() || back.width != a.width || back.height != a.height)
    __builtin_trap();
  for (std::size_t i = 0; i < a.objects.size(); ++i) {
    const auto &x = a.objects[i], &y = back.objects[i];
    if (x.cls != y.cls || x.difficult != y.difficult || x.truncated != y.truncated) __builtin_trap();
    const auto bx = stratum::io::detail::voc_box(x.xmin, x.ymin, x.xmax, x.ymax);
    const auto by = stratum::io::detail::voc_box(y.xmin, y.ymin, y.xmax, y.ymax);
    if (std::isfinite(bx.w * bx.h + std::fabs(bx.x) + std::fabs(bx.y)) &&
        !(near(bx.x, by.x) && near(bx.y, by.y) && near(bx.w, by.w) && near(bx.h, by.h)))
      __builtin_trap();
  }
  return 0;
}
