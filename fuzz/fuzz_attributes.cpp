// libFuzzer target: a scene-attribute table (io/attribute_table.hpp), read as CSV or JSONL (the first byte
// chooses, and how the table is keyed), joined to a fixed ground truth and binned; or (bit 3 of the first
// byte) YOLO label or prediction lines and a class list (io/yolo.hpp), and the same bytes as KITTI lines
// (io/kitti.hpp). Every input must either join or throw stratum::input_error: any other exception, a crash,
// a hang or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <stratum/io/attribute_table.hpp>
#include <stratum/io/image_size.hpp>
#include <stratum/io/kitti.hpp>
#include <stratum/io/yolo.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  stratum::coco::ground_truth gt;
  const char* names[] = {"a.jpg", "b.png", "c", "dir.x/d.jpg", "1.jpg"};
  for (int i = 0; i < 5; ++i) {
    stratum::coco::image_info im;
    im.id = i + 1;
    im.file_name = names[i];
    if (i % 2) im.attrs = {{"sun", "0.5"}, {"weather", "rain"}};
    gt.images.push_back(im);
  }
  static const auto bins = stratum::io::parse_attribute_bins("sun=-1,0,0.6,1:low,mid,high");
  if ((mode & 0x18) == 0x10) {  // an image file's header (bit 0: the bytes are the whole file)
    bool more = false;
    try {
      const auto d = stratum::io::detail::image_dims_of(data + 1, size - 1, (mode & 1) != 0, "i", more);
      if (!more && (d.width == 0 || d.height == 0)) __builtin_trap();  // a size is never zero
    } catch (const stratum::input_error&) {
    }
    return 0;
  }
  if (mode & 8) {  // YOLO label or prediction lines, and a class list
    try {
      (void)stratum::io::parse_yolo_lines(text, "a.txt", 1 + (mode >> 4), (mode & 1) != 0);
    } catch (const stratum::input_error&) {
    }
    try {
      (void)stratum::io::parse_yolo_classes(text, "c.txt");
    } catch (const stratum::input_error&) {
    }
    try {  // the same bytes as KITTI lines
      (void)stratum::io::parse_kitti_lines(text, "k.txt", stratum::io::kitti_classes(), (mode & 1) != 0);
    } catch (const stratum::input_error&) {
    }
    return 0;
  }
  try {
    auto table = (mode & 1) ? stratum::io::parse_attribute_jsonl(text, "t.jsonl")
                            : stratum::io::parse_attribute_csv(text, "t.csv");
    stratum::io::attribute_join_options o;
    o.key = (mode & 2) ? stratum::io::attribute_join_options::key_kind::file_name
                       : stratum::io::attribute_join_options::key_kind::id;
    o.skip_missing = (mode & 4) != 0;
    stratum::io::attribute_joiner j(std::move(table), o);
    const auto& rep = stratum::io::join_attributes(gt, j, "gt.json");
    (void)rep.summary("t", j.key_description());
    stratum::io::apply_attribute_bins(gt, {bins}, "gt.json");
  } catch (const stratum::input_error&) {
  }
  return 0;
}
