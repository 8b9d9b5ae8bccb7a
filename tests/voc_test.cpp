// Pascal VOC labels (io/voc.hpp): the XML reader (1-based inclusive boxes, difficult and truncated kept as
// flags, parts and unknown elements skipped), a folder read into COCO's model (Annotations/, image sets),
// VOC's results files, the refusals, what an ignored object does in the evaluation (the same as pycocotools'
// ignore of an object outside the area range, on every conformance case, batch, streaming and bootstrap),
// and COCO -> VOC -> COCO on the conformance cases.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include <stratum/coco/bootstrap.hpp>
#include <stratum/coco/stream.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/io/jsonl.hpp>
#include <stratum/io/label_formats.hpp>
#include <stratum/io/voc.hpp>

#include "coco_cases.hpp"
#include "error_of.hpp"

using namespace stratum;
using stratum::test::error_of;
namespace fs = std::filesystem;

namespace {

io::voc_source source(std::string dir, std::string classes = "", std::string image_set = "") {
  io::voc_source s;
  s.annotations = std::move(dir);
  s.classes = std::move(classes);
  s.image_set = std::move(image_set);
  return s;
}

fs::path fresh_dir(const std::string& name) {
  const auto d = fs::temp_directory_path() / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

const char* const kVoc =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<annotation>\n"
    "  <folder>VOC2007</folder>\n"
    "  <filename>000005.jpg</filename>\n"
    "  <size><width>500</width><height>375</height><depth>3</depth></size>\n"
    "  <segmented>0</segmented>\n"
    "  <object>\n"
    "    <name>chair</name><pose>Rear</pose><truncated>0</truncated><difficult>0</difficult>\n"
    "    <bndbox><xmin>263</xmin><ymin>211</ymin><xmax>324</xmax><ymax>339</ymax></bndbox>\n"
    "  </object>\n"
    "  <object>\n"
    "    <name> person </name><truncated>1</truncated><difficult>1</difficult>\n"
    "    <bndbox><xmin>1</xmin><ymin>1.5</ymin><xmax>500</xmax><ymax>375</ymax></bndbox>\n"
    "    "
    "<part><name>head</name><bndbox><xmin>900</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></"
    "part>\n"
    "  </object>\n"
    "  <object><name>dog</name><bndbox><ymax>9</ymax><xmax>8</xmax><ymin>7</ymin><xmin>6</xmin></bndbox>"
    "<occluded>1</occluded></object>\n"
    "</annotation>\n";

}  // namespace

TEST_CASE("VOC XML: objects with 1-based inclusive boxes, difficult and truncated; parts skipped") {
  const auto a = io::parse_voc_annotation(kVoc, "000005.xml", io::voc_classes());
  CHECK(a.filename == "000005.jpg");
  CHECK(a.width == 500);
  CHECK(a.height == 375);
  REQUIRE(a.objects.size() == 3);
  CHECK(io::voc_classes()[a.objects[0].cls] == "chair");
  CHECK(a.objects[0].xmin == 263);
  CHECK(a.objects[0].ymax == 339);
  CHECK(!a.objects[0].difficult);
  CHECK(!a.objects[0].truncated);
  CHECK(io::voc_classes()[a.objects[1].cls] == "person");  // text trimmed
  CHECK(a.objects[1].difficult);
  CHECK(a.objects[1].truncated);
  CHECK(a.objects[1].xmin == 1);  // the part's box is not the object's
  CHECK(a.objects[1].ymin == 1.5);
  CHECK(io::voc_classes()[a.objects[2].cls] == "dog");  // any element order; absent flags are 0
  CHECK(a.objects[2].xmin == 6);
  CHECK(a.objects[2].ymax == 9);
  CHECK(!a.objects[2].difficult);
  // entities and CDATA are XML's
  const auto e = io::parse_voc_annotation(
      "<annotation><filename>a&amp;b.jpg</filename><object><name><![CDATA[car]]></name><bndbox><xmin>1</xmin>"
      "<ymin>1</ymin><xmax>1</xmax><ymax>1</ymax></bndbox></object></annotation>",
      "e.xml", io::voc_classes());
  CHECK(e.filename == "a&b.jpg");
  REQUIRE(e.objects.size() == 1);
  CHECK(e.width == 0);                             // no <size>: 0, "not given"
  const auto b = io::detail::voc_box(1, 1, 1, 1);  // one pixel: [0, 0, 1, 1]
  CHECK(b.x == 0);
  CHECK(b.y == 0);
  CHECK(b.w == 1);
  CHECK(b.h == 1);
}

TEST_CASE("VOC XML refusals name the file, the line, the object and the element") {
  const auto err = [](const std::string& text) {
    return error_of([&] { (void)io::parse_voc_annotation(text, "a.xml", io::voc_classes()); });
  };
  const std::string box = "<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox>";
  CHECK(err("<annotation>\n<object><name>car</name>\n<bndbox><xmin>5</xmin><ymin>2</ymin><xmax>3</xmax>"
            "<ymax>4</ymax></bndbox></object></annotation>") ==
        "a.xml: line 3: object 1: <object>: bndbox: xmax 3 < xmin 5");
  CHECK(err("<annotation><object><name>car</name><bndbox><xmin>1</xmin><ymin>9</ymin><xmax>3</xmax><ymax>4"
            "</ymax></bndbox></object></annotation>") ==
        "a.xml: line 1: object 1: <object>: bndbox: ymax 4 < ymin 9");
  CHECK(err("<annotation><object><name>car</name>" + box + "</object>\n<object><name>zebra</name>" + box +
            "</object></annotation>") ==
        "a.xml: line 2: object 2: <object/name>: 'zebra' is not in the class list");
  CHECK(err("<annotation><object>" + box + "</object></annotation>") ==
        "a.xml: line 1: object 1: <object>: no <name>");
  CHECK(err("<annotation><object><name>car</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax></bndbox>"
            "</object></annotation>") == "a.xml: line 1: object 1: <object>: no <bndbox> <ymax>");
  CHECK(err("<annotation><object><name>car</name><bndbox><xmin>1</xmin><xmin>1</xmin></bndbox></object>"
            "</annotation>") == "a.xml: line 1: object 1: <object/bndbox/xmin>: given twice");
  CHECK(err("<annotation><object><name>car</name><bndbox><xmin>x</xmin></bndbox></object></annotation>") ==
        "a.xml: line 1: object 1: <object/bndbox/xmin>: 'x' is not a finite number");
  CHECK(err("<annotation><object><name>car</name><bndbox><xmin>inf</xmin></bndbox></object></annotation>") ==
        "a.xml: line 1: object 1: <object/bndbox/xmin>: 'inf' is not a finite number");
  CHECK(err("<annotation><object><name>car</name><difficult>2</difficult></object></annotation>") ==
        "a.xml: line 1: object 1: <object/difficult>: '2' is not 0 or 1");
  CHECK(err("<annotation><size><width>-3</width></size></annotation>") ==
        "a.xml: line 1: <size/width>: -3 is negative");
  CHECK(err("<annotation><filename>a</filename><filename>b</filename></annotation>") ==
        "a.xml: line 1: <filename>: given twice");
  CHECK(err("<doc/>") == "a.xml: line 1: <>: the root element is not <annotation>");
  CHECK(err("<annotation>\n<object>") == "a.xml: line 2: not well-formed XML (no element found)");
  CHECK(err("") == "a.xml: line 1: not well-formed XML (no element found)");
  CHECK(err("<annotation></annotation><x/>") ==
        "a.xml: line 1: not well-formed XML (junk after document element)");
  // an entity bomb is refused by Expat's amplification limit, not expanded
  std::string bomb = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY a0 \"aaaaaaaaaa\">";
  for (int i = 1; i < 10; ++i)
    bomb += "<!ENTITY a" + std::to_string(i) + " \"" + [&] {
      std::string r;
      for (int k = 0; k < 10; ++k) r += "&a" + std::to_string(i - 1) + ";";
      return r;
    }() + "\">";
  bomb += "]><annotation><filename>&a9;</filename></annotation>";
  CHECK(err(bomb).find("a.xml: line 1: not well-formed XML (") == 0);
}

TEST_CASE("VOC folder: stems in order, Annotations/, image sets, flags, results files; refusals") {
  const auto root = fresh_dir("stratum_voc_folder");
  const auto ann = root / "Annotations";
  fs::create_directories(ann);
  io::detail::write_text_file((ann / "000005.xml").string(), kVoc);
  io::detail::write_text_file(
      (ann / "000001.xml").string(),
      "<annotation><size><width>10</width><height>20</height></size><object><name>car</name>"
      "<bndbox><xmin>2</xmin><ymin>3</ymin><xmax>5</xmax><ymax>9</ymax></bndbox></object></annotation>");
  io::voc_report r;
  const auto gt = io::load_voc_ground_truth(source(root.string()), &r);  // the root: its Annotations/ is read
  REQUIRE(gt.images.size() == 2);
  CHECK(gt.images[0].id == 1);
  CHECK(gt.images[0].file_name == "000001");  // no <filename>: the stem
  CHECK(gt.images[0].width == 10);
  CHECK(gt.images[1].file_name == "000005.jpg");
  REQUIRE(gt.size() == 4);
  CHECK(gt.categories.size() == 20);
  CHECK(gt.category_id[0] == 7);  // car
  CHECK(gt.x[0] == 1);
  CHECK(gt.y[0] == 2);
  CHECK(gt.w[0] == 4);
  CHECK(gt.h[0] == 7);
  CHECK(gt.area[0] == 28);
  CHECK(gt.flags[0] == 0);
  CHECK(gt.flags[2] == (gt_flag::ignored | gt_flag::difficult | gt_flag::truncated));
  CHECK(gt.crowd[2] == 0);
  CHECK(gt.w[2] == 500);  // xmin 1 .. xmax 500: the whole width
  CHECK(gt.flags[3] == 0);
  CHECK(r.files == 2);
  CHECK(r.objects == 4);
  CHECK(r.difficult == 1);
  CHECK(r.truncated == 1);
  CHECK(r.summary("A") ==
        "A: 2 annotation files, 4 objects (1 difficult: matched but counted neither way; "
        "1 truncated)");
  // the format is recognised: a folder with Annotations/ or .xml files
  CHECK(io::detect_folder_format(root.string()) == io::label_format::voc);
  CHECK(io::detect_folder_format(ann.string()) == io::label_format::voc);
  // an image set picks the stems (and refuses a stem without a file)
  io::detail::write_text_file((root / "test.txt").string(), "000005\n");
  const auto one = io::load_voc_ground_truth(source(ann.string(), "", (root / "test.txt").string()));
  REQUIRE(one.images.size() == 1);
  CHECK(one.images[0].file_name == "000005.jpg");
  io::detail::write_text_file((root / "bad_set.txt").string(), "000005 1\n\n000009 -1\n");
  CHECK(error_of([&] {
          (void)io::load_voc_ground_truth(source(ann.string(), "", (root / "bad_set.txt").string()));
        }) == (root / "bad_set.txt").string() + ": line 3: no 000009.xml in " + ann.string());
  // a class list instead of VOC's twenty
  io::detail::write_text_file((root / "classes.txt").string(), "car\n");
  CHECK(error_of([&] {
          (void)io::load_voc_ground_truth(source(root.string(), (root / "classes.txt").string()));
        }) == (ann / "000005.xml").string() +
                  ": line 8: object 1: <object/name>: 'chair' is not in the class list");
  // results: one file per class, "image score xmin ymin xmax ymax"
  const auto res = root / "results";
  fs::create_directories(res);
  io::detail::write_text_file((res / "comp4_det_test_car.txt").string(),
                              "000001 0.9 2 3 5 9\n000005 0.5 1 1 1 1\n");
  io::detail::write_text_file((res / "comp4_det_test_pottedplant.txt").string(), "");
  io::detail::write_text_file((res / "person.txt").string(), "000005 0.25 10 20 30 40\n");
  const auto dt = io::load_detections(res.string(), gt, io::label_format::automatic, io::label_format::voc);
  REQUIRE(dt.size() == 3);
  std::multiset<std::tuple<std::int64_t, std::int64_t, double, double, double>> got;
  for (std::size_t i = 0; i < dt.size(); ++i)
    got.emplace(dt.image_id[i], dt.category_id[i], dt.x[i], dt.w[i], dt.score[i]);
  CHECK(got == std::multiset<std::tuple<std::int64_t, std::int64_t, double, double, double>>{
                   {1, 7, 1, 4, 0.9}, {2, 7, 0, 1, 0.5}, {2, 15, 9, 21, 0.25}});
  io::detail::write_text_file((res / "comp4_det_test_zebra.txt").string(), "");
  CHECK(error_of([&] { (void)io::load_voc_results(res.string(), gt); }) ==
        (res / "comp4_det_test_zebra.txt").string() +
            ": the file name names no class of the ground truth (<class>.txt or <anything>_<class>.txt, e.g. "
            "comp4_det_test_car.txt)");
  fs::remove(res / "comp4_det_test_zebra.txt");
  const auto bad = [&](const char* line) {
    io::detail::write_text_file((res / "person.txt").string(), line);
    return error_of([&] { (void)io::load_voc_results(res.string(), gt); });
  };
  const std::string p = (res / "person.txt").string();
  CHECK(bad("000005 0.25 10 20 30\n") ==
        p + ": line 1: 5 fields, expected 6 (image score xmin ymin xmax ymax)");
  CHECK(bad("\n000007 0.25 10 20 30 40\n") == p + ": line 2: image: the ground truth has no image '000007'");
  CHECK(bad("000005 nan 10 20 30 40\n") == p + ": line 1: score: 'nan' is not a finite number");
  CHECK(bad("000005 0.5 10 20 5 40\n") == p + ": line 1: xmax: 5 < xmin 10");
  fs::remove_all(root);
}

// An object flagged ignored is what pycocotools makes of an object outside the area range: matched by IoU,
// once, counting neither way. So flagging a set of objects ignored must give exactly the numbers of moving
// their areas out of every range (which the conformance cases check against pycocotools).
TEST_CASE(
    "ignored objects: the same evaluation as pycocotools' area-range ignore, batch, stream, bootstrap") {
  std::size_t cases = 0, flagged = 0;
  for (const auto& dir : stratum_test::coco_case_dirs()) {
    CAPTURE(dir.string());
    const auto gt = io::load_coco_ground_truth((dir / "gt.json").string());
    const auto dt = io::load_coco_results((dir / "dt.json").string(), gt);
    auto p = io::load_coco_params((dir / "params.json").string());
    double top = 0;
    for (const auto& r : p.area_rngs) top = std::max(top, r.hi);
    if (!(top < 1e300)) continue;  // no area lies outside an unbounded range
    auto by_flag = gt, by_area = gt;
    stratum_test::splitmix64 rng{0x766f63 + cases};
    for (std::size_t r = 0; r < gt.size(); ++r)
      if (rng.next() % 3 == 0) {
        by_flag.flags[r] = gt_flag::ignored;
        by_area.area[r] = 2 * top + 1;
        ++flagged;
      }
    const auto a = coco::evaluate(by_flag, dt, p);
    const auto b = coco::evaluate(by_area, dt, p);
    CHECK(a.stats == b.stats);
    CHECK(a.arrays.precision == b.arrays.precision);
    CHECK(a.arrays.recall == b.arrays.recall);
    CHECK(a.arrays.scores == b.arrays.scores);
    // the frames carry the flag through the streaming evaluator (and JSONL)
    std::string text;
    std::vector<coco::frame> written;
    coco::for_each_coco_frame(by_flag, dt, [&](const coco::frame& f) {
      io::append_frame(text, f);
      written.push_back(f);
    });
    std::istringstream in(text);
    io::jsonl_reader reader(in, "rt.jsonl", by_flag.categories);
    coco::stream_evaluator ev(by_flag.categories, p);
    coco::frame f;
    std::size_t k = 0;
    while (reader.next(f)) {
      REQUIRE(k < written.size());
      CHECK(f.gt == written[k++].gt);
      ev.add(f);
    }
    CHECK(k == written.size());
    const auto s = ev.finalize();
    CHECK(s.all.stats == a.stats);
    // the bootstrap's ground-truth counts leave ignored objects out as the evaluation does
    const auto ba = coco::bootstrap(by_flag, dt, p, {20, 7, {}, 1});
    const auto bb = coco::bootstrap(by_area, dt, p, {20, 7, {}, 1});
    CHECK(ba.replicates == bb.replicates);
    ++cases;
  }
  MESSAGE(cases << " cases, " << flagged << " objects flagged ignored");
  CHECK(cases >= 10);
}

TEST_CASE("VOC round trip: COCO -> VOC files -> COCO keeps images, classes, boxes and flags") {
  std::size_t cases = 0, boxes = 0, detections = 0;
  const auto near = [](double a, double b, double scale) {
    return std::fabs(a - b) <= 4 * std::numeric_limits<double>::epsilon() * std::max(1.0, scale);
  };
  for (const auto& dir : stratum_test::coco_case_dirs()) {
    CAPTURE(dir.string());
    auto src = io::load_coco_ground_truth((dir / "gt.json").string());
    const auto dt = io::load_coco_results((dir / "dt.json").string(), src);
    for (auto& c : src.categories)
      if (c.name.empty()) c.name = "category " + std::to_string(c.id);
    // VOC has no crowd region: refused by name, then the round trip runs on the other boxes, some of them
    // difficult, some truncated
    coco::ground_truth gt;
    gt.images = src.images;
    gt.categories = src.categories;
    std::size_t n = 0;
    for (std::size_t r = 0; r < src.size(); ++r) {
      if (src.crowd[r]) {
        CHECK(error_of([&] { (void)io::voc_xml_of(src); }).find(" is a crowd region, which VOC cannot say") !=
              std::string::npos);
        continue;
      }
      const unsigned char fl =
          (n % 5 == 1 ? gt_flag::ignored | gt_flag::difficult : 0) | (n % 3 == 2 ? gt_flag::truncated : 0);
      gt.add(src.id[r], src.image_id[r], src.category_id[r], src.x[r], src.y[r], src.w[r], src.h[r],
             src.w[r] * src.h[r], false, fl);
      ++n;
    }
    const auto d = fresh_dir("stratum_voc_rt_" + dir.filename().string());
    std::string classes;
    for (const auto& c : gt.categories) classes += c.name + "\n";
    io::detail::write_text_file((d / "classes.txt").string(), classes);
    io::write_label_files((d / "Annotations").string(), io::voc_xml_of(gt), ".xml");
    io::write_label_files((d / "results").string(), io::voc_results_text_of(gt, dt));
    const auto back = io::load_voc_ground_truth(source(d.string(), (d / "classes.txt").string()));
    const auto dback = io::load_voc_results((d / "results").string(), back);
    fs::remove_all(d);
    REQUIRE(back.images.size() == gt.images.size());
    std::map<std::string, std::int64_t> id_by_stem;
    for (const auto& im : back.images) id_by_stem[io::detail::stem_of(im.file_name)] = im.id;
    std::map<std::int64_t, std::int64_t> id_of;
    for (const auto& im : gt.images) {
      const std::string name = im.file_name.empty() ? std::to_string(im.id) : im.file_name;
      const auto img = id_by_stem.at(io::detail::stem_of(name));
      id_of[im.id] = img;
      const auto& bi = back.images[static_cast<std::size_t>(img - 1)];
      CHECK(bi.width == im.width);
      CHECK(bi.height == im.height);
    }
    std::map<std::int64_t, std::int64_t> cat_of;
    for (std::size_t c = 0; c < gt.categories.size(); ++c) {
      CHECK(back.categories[c].name == gt.categories[c].name);
      cat_of[gt.categories[c].id] = static_cast<std::int64_t>(c + 1);
    }
    std::map<std::int64_t, std::vector<std::size_t>> in_a, in_b;
    for (std::size_t r = 0; r < gt.size(); ++r) in_a[id_of.at(gt.image_id[r])].push_back(r);
    for (std::size_t r = 0; r < back.size(); ++r) in_b[back.image_id[r]].push_back(r);
    REQUIRE(in_a.size() == in_b.size());
    for (const auto& [img, ra] : in_a) {
      const auto& rb = in_b.at(img);
      REQUIRE(ra.size() == rb.size());
      for (std::size_t k = 0; k < ra.size(); ++k) {
        const std::size_t i = ra[k], j = rb[k];
        CHECK(back.category_id[j] == cat_of.at(gt.category_id[i]));
        CHECK(near(back.x[j], gt.x[i], std::fabs(gt.x[i]) + 1));
        CHECK(near(back.y[j], gt.y[i], std::fabs(gt.y[i]) + 1));
        CHECK(near(back.w[j], gt.w[i], std::fabs(gt.x[i]) + gt.w[i] + 1));
        CHECK(near(back.h[j], gt.h[i], std::fabs(gt.y[i]) + gt.h[i] + 1));
        CHECK(back.flags[j] == gt.flags[i]);
        ++boxes;
      }
    }
    REQUIRE(dback.size() == dt.size());
    std::multiset<std::tuple<std::int64_t, std::int64_t, double>> da, db;
    for (std::size_t r = 0; r < dt.size(); ++r)
      da.emplace(id_of.at(dt.image_id[r]), cat_of.at(dt.category_id[r]), dt.score[r]);
    for (std::size_t r = 0; r < dback.size(); ++r)
      db.emplace(dback.image_id[r], dback.category_id[r], dback.score[r]);
    CHECK(da == db);
    detections += dt.size();
    ++cases;
  }
  MESSAGE(cases << " cases: " << boxes << " objects and " << detections << " detections through VOC files");
  CHECK(cases >= 10);
  CHECK(boxes > 100);
}

TEST_CASE("VOC output refusals; COCO output keeps the flags as fields") {
  coco::ground_truth gt;
  gt.images.push_back({1, 10, 10, {}, {}, "a.jpg"});
  gt.categories.push_back({1, "car"});
  gt.add(1, 1, 1, 0, 0, 2, 2, 4, false, gt_flag::ignored);
  CHECK(error_of([&] { (void)io::voc_xml_of(gt); }) ==
        "VOC output: annotation 1 is ignored without being difficult, which VOC cannot say");
  gt.flags[0] = gt_flag::ignored | gt_flag::difficult | gt_flag::truncated;
  std::string c;
  io::append_coco_ground_truth(c, gt);
  CHECK(c.find("\"iscrowd\": 0, \"ignore\": 1, \"difficult\": 1, \"truncated\": 1}") != std::string::npos);
  gt.categories[0].name = "a/b";
  coco::detection_set dt;
  CHECK(error_of([&] { (void)io::voc_results_text_of(gt, dt); }) ==
        "VOC results output: category 1 needs a name without path separators or line breaks (it names the "
        "file)");
}
