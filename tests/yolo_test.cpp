// YOLO text labels (io/yolo.hpp): the line reader's conventions (blank lines, CRLF, tabs, no final line end,
// the score column) and its refusals, and the class list. The boxes, on the real BDD100K files,
// are checked against gt_coco.json and pycocotools by tests/yolo_check.py.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <stratum/io/yolo.hpp>

#include "error_of.hpp"

using namespace stratum;
using stratum::test::error_of;

TEST_CASE("YOLO lines: fields split on spaces and tabs, blank lines and CRLF, with and without a score") {
  const auto b = io::parse_yolo_lines("0 0.5 0.25 0.1 0.2\r\n\n  \t\n9\t1 0 1e-1 0.5", "a.txt", 10, false);
  REQUIRE(b.size() == 2);
  CHECK(b[0].cls == 0);
  CHECK(b[0].cx == 0.5);
  CHECK(b[0].cy == 0.25);
  CHECK(b[0].w == 0.1);
  CHECK(b[0].h == 0.2);
  CHECK(b[1].cls == 9);
  CHECK(b[1].cx == 1);
  CHECK(b[1].cy == 0);
  CHECK(b[1].w == 0.1);
  const auto p = io::parse_yolo_lines("3 0.5 0.5 0.2 0.2 -1.5\n", "p.txt", 4, true);
  REQUIRE(p.size() == 1);
  CHECK(p[0].score == -1.5);  // any finite score (calibration asks for [0, 1] itself)
  CHECK(io::parse_yolo_lines("", "e.txt", 1, false).empty());
}

TEST_CASE("YOLO lines: every refusal names the file, the line and the field") {
  const auto err = [](const char* text, bool scored = false) {
    return error_of([&] { (void)io::parse_yolo_lines(text, "a.txt", 3, scored); });
  };
  CHECK(err("3 0.5 0.5 0.1 0.1") == "a.txt: line 1: class: '3' is not a class index in [0, 3)");
  CHECK(err("\n-1 0.5 0.5 0.1 0.1") == "a.txt: line 2: class: '-1' is not a class index in [0, 3)");
  CHECK(err("1.0 0.5 0.5 0.1 0.1") == "a.txt: line 1: class: '1.0' is not a class index in [0, 3)");
  CHECK(err("1 0.5 0.5 -0.1 0.1") ==
        "a.txt: line 1: w: -0.1 is outside [0, 1] (YOLO coordinates are divided by the image size)");
  CHECK(err("1 nan 0.5 0.1 0.1") == "a.txt: line 1: cx: 'nan' is not a finite number");
  CHECK(err("1 0.5 0.5 0.1 0.1 0.9") == "a.txt: line 1: 6 fields, expected 5 (class cx cy w h)");
  CHECK(err("1 0.5 0.5 0.1 0.1", true) == "a.txt: line 1: 5 fields, expected 6 (class cx cy w h score)");
  CHECK(err("1 0.5 0.5 0.1 0.1 inf", true) == "a.txt: line 1: score: 'inf' is not a finite number");
}

TEST_CASE("YOLO class list: one name per line, spaces kept, trailing blank lines ignored") {
  CHECK(io::parse_yolo_classes("bike\r\ntraffic light\ncar\n\n", "c.txt") ==
        std::vector<std::string>{"bike", "traffic light", "car"});
  CHECK(error_of([] { (void)io::parse_yolo_classes("a\n\nb\n", "c.txt"); }) ==
        "c.txt: line 2: the class name is empty");
  CHECK(error_of([] { (void)io::parse_yolo_classes("\n", "c.txt"); }) == "c.txt: no class names");
}

TEST_CASE(
    "YOLO folders: one thread or several, the same boxes; the first bad file in name order is reported") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "stratum_yolo_threads";
  fs::remove_all(dir);
  fs::create_directories(dir / "labels");
  std::string sizes = "file_name,width,height\n";
  for (int i = 0; i < 300; ++i) {
    const std::string stem = "img" + std::to_string(1000 + i);
    sizes += stem + ".jpg,640,480\n";
    std::string text;
    for (int k = 0; k < i % 7; ++k)
      text += std::to_string(k % 3) + " 0." + std::to_string(1 + k) + " 0.5 0.125 0.25\n";
    io::detail::write_text_file((dir / "labels" / (stem + ".txt")).string(), text);
  }
  io::detail::write_text_file((dir / "sizes.csv").string(), sizes);
  io::detail::write_text_file((dir / "classes.txt").string(), "a\nb\nc\n");
  io::yolo_source src{(dir / "labels").string(), (dir / "classes.txt").string(), (dir / "sizes.csv").string(),
                      ""};
  src.threads = 1;
  const auto one = io::load_yolo_ground_truth(src);
  src.threads = 4;
  const auto four = io::load_yolo_ground_truth(src);
  CHECK(one.size() == 897);  // 42 rounds of 0 + 1 + ... + 6, then 0 + ... + 5
  CHECK(one.id == four.id);
  CHECK(one.image_id == four.image_id);
  CHECK(one.x == four.x);
  CHECK(one.w == four.w);
  // two bad files: the error is the first one's in name order, whatever the threads
  io::detail::write_text_file((dir / "labels" / "img1250.txt").string(), "7 0.5 0.5 0.1 0.1\n");
  io::detail::write_text_file((dir / "labels" / "img1010.txt").string(), "0 0.5 0.5 0.1\n");
  for (unsigned t : {1u, 2u, 4u}) {
    src.threads = t;
    CHECK(error_of([&] { (void)io::load_yolo_ground_truth(src); }) ==
          (dir / "labels" / "img1010.txt").string() + ": line 1: 4 fields, expected 5 (class cx cy w h)");
  }
  fs::remove_all(dir);
}
