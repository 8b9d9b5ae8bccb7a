// Scene-attribute tables (io/attribute_table.hpp): the CSV and JSONL readers, the join's rules and counts,
// the
// --bin ranges, and every error naming its line, column or image. The readers are also checked against
// Python's csv module on random tables (tests/attributes_check.py) and on the real BDD100K table.
#include <doctest/doctest.h>

#include <string>

#include <stratum/io/attribute_table.hpp>

#include "error_of.hpp"

using namespace stratum;
using io::parse_attribute_csv;
using io::parse_attribute_jsonl;
using stratum::test::error_of;

namespace {

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

coco::ground_truth images(std::initializer_list<std::pair<std::int64_t, const char*>> list) {
  coco::ground_truth gt;
  for (const auto& [id, name] : list) {
    coco::image_info im;
    im.id = id;
    im.file_name = name;
    gt.images.push_back(im);
  }
  return gt;
}

}  // namespace

TEST_CASE("CSV: quoting, line ends, byte-order mark and blank lines as RFC 4180 reads them") {
  const auto t = parse_attribute_csv(
      "\xEF\xBB\xBFname,weather,note\r\n"
      "a.jpg,partly_cloudy,\"rain, then sun\"\r\n"
      "\r\n"
      "b.jpg,\"dawn/dusk\",\"said \"\"hi\"\"\nover two lines\"\n"
      "c.jpg,, \n"
      "d.jpg,x,",
      "t.csv");
  REQUIRE(t.columns == std::vector<std::string>{"name", "weather", "note"});
  REQUIRE(t.rows.size() == 4);
  CHECK(t.rows[0] == std::vector<std::string>{"a.jpg", "partly_cloudy", "rain, then sun"});
  CHECK(t.rows[1] == std::vector<std::string>{"b.jpg", "dawn/dusk", "said \"hi\"\nover two lines"});
  CHECK(t.rows[2] == std::vector<std::string>{"c.jpg", "", " "});  // kept as written: a space is a value
  CHECK(t.rows[3] == std::vector<std::string>{"d.jpg", "x", ""});  // no newline at the end
  CHECK(t.line == std::vector<std::size_t>{2, 4, 6, 7});
  CHECK(t.where(1, 2) == "t.csv: line 4 (column note)");
}

TEST_CASE("CSV: malformed tables are refused with the line") {
  CHECK(has(error_of([] { (void)parse_attribute_csv("", "t.csv"); }), "t.csv: empty table"));
  CHECK(has(error_of([] { (void)parse_attribute_csv("\n\n", "t.csv"); }), "t.csv: empty table"));
  CHECK(has(error_of([] { (void)parse_attribute_csv("a,b\n1,2\n3\n", "t.csv"); }),
            "t.csv: line 3: 1 fields, the header has 2"));
  CHECK(has(error_of([] { (void)parse_attribute_csv("a,b\n1,2,3\n", "t.csv"); }),
            "t.csv: line 2: 3 fields, the header has 2"));
  CHECK(has(error_of([] { (void)parse_attribute_csv("a,b\n1,\"2\n", "t.csv"); }),
            "t.csv: line 2: a quoted field is not closed"));
  CHECK(has(error_of([] { (void)parse_attribute_csv("a,b\n1,\"2\"x\n", "t.csv"); }),
            "t.csv: line 2, field 2: text after the closing quote"));
  CHECK(has(error_of([] { (void)parse_attribute_csv("a,b\n1,2\"x\n", "t.csv"); }),
            "t.csv: line 2, field 2: a double quote inside an unquoted field"));
  CHECK(has(error_of([] { (void)parse_attribute_csv("a,a\n1,2\n", "t.csv"); }),
            "t.csv: line 1: column name 'a' appears twice"));
  CHECK(has(error_of([] { (void)parse_attribute_csv("a,,c\n1,2,3\n", "t.csv"); }),
            "t.csv: line 1: column 2 has no name"));
  CHECK(has(error_of([] { (void)parse_attribute_csv("a,b\n1,2\r3,4\n", "t.csv"); }),
            "t.csv: line 2: a carriage return not followed by a line feed"));
}

TEST_CASE("JSONL: values as written, columns in first-seen order, missing keys and null are no value") {
  const auto t = parse_attribute_jsonl(
      "{\"id\": 1, \"weather\": \"partly cloudy\", \"sun\": 12.5}\n"
      "\n"
      "{\"id\": 2, \"sun\": -3, \"night\": true, \"weather\": null}\r\n"
      "{\"id\": 3, \"rig\": \"B\"}",
      "t.jsonl");
  REQUIRE(t.columns == std::vector<std::string>{"id", "weather", "sun", "night", "rig"});
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0] == std::vector<std::string>{"1", "partly cloudy", "12.5", "", ""});
  CHECK(t.rows[1] == std::vector<std::string>{"2", "", "-3", "true", ""});
  CHECK(t.rows[2] == std::vector<std::string>{"3", "", "", "", "B"});
  CHECK(t.line == std::vector<std::size_t>{1, 3, 4});
  CHECK(has(error_of([] { (void)parse_attribute_jsonl("{\"id\": 1}\n[1]\n", "t.jsonl"); }),
            "t.jsonl: line 2: expected an object"));
  CHECK(has(error_of([] { (void)parse_attribute_jsonl("{\"id\": 1}\n{\"id\": \n", "t.jsonl"); }),
            "t.jsonl: line 2: not valid JSON"));
  CHECK(has(error_of([] { (void)parse_attribute_jsonl("{\"id\": 1, \"w\": {\"a\": 1}}\n", "t.jsonl"); }),
            "t.jsonl: line 1: w: expected a string, number, boolean or null"));
  CHECK(has(error_of([] { (void)parse_attribute_jsonl("{\"id\": 1, \"id\": 2}\n", "t.jsonl"); }),
            "t.jsonl: line 1: key 'id' appears twice"));
  CHECK(has(error_of([] { (void)parse_attribute_jsonl("\n\n", "t.jsonl"); }), "t.jsonl: empty table"));
}

TEST_CASE("join by file name: exact, without the extension on either side, counted problems") {
  auto gt = images({{1, "a.jpg"}, {2, "b.jpg"}, {3, "dir.v2/c"}, {4, "d.png"}});
  gt.images[0].attrs = {{"weather", "clear"}, {"rig", "A"}};
  gt.images[1].provenance = "real";
  const auto t = parse_attribute_csv(
      "name,weather,provenance\n"
      "a.jpg,rain,synthetic\n"
      "b,fog,\n"                       // the image has an extension, the table not
      "dir.v2/c.jpg,snow,augmented\n"  // the table has one, the image not
      "e.jpg,clear,real\n",
      "t.csv");
  {  // errors by default: the image without a row first
    auto g = gt;
    io::attribute_joiner j(t, {io::attribute_join_options::key_kind::file_name, "", false});
    CHECK(error_of([&] { (void)io::join_attributes(g, j, "gt.json"); }) ==
          "gt.json: images[3] (id 4): no row in t.csv (keyed by file_name (column name); "
          "--attributes-missing skip "
          "puts such images in no slice of the table's columns)");
  }
  {
    auto g = gt;
    g.images.pop_back();
    io::attribute_joiner j(t, {io::attribute_join_options::key_kind::file_name, "", false});
    CHECK(error_of([&] { (void)io::join_attributes(g, j, "gt.json"); }) ==
          "t.csv: line 5 (column name): no image has file name 'e.jpg' (--attributes-missing skip counts "
          "such rows "
          "instead)");
  }
  auto g = gt;
  io::attribute_joiner j(t, {io::attribute_join_options::key_kind::file_name, "name", true});
  const auto& rep = io::join_attributes(g, j, "gt.json");
  CHECK(rep.rows == 4);
  CHECK(rep.images == 4);
  CHECK(rep.joined == 3);
  CHECK(rep.missing == 1);
  CHECK(rep.missing_examples == std::vector<std::string>{"gt.json: images[3] (id 4)"});
  CHECK(rep.unknown == 1);
  CHECK(rep.unknown_examples == std::vector<std::string>{"t.csv: line 5 (column name)"});
  CHECK(rep.replaced == 1);  // a.jpg's weather clear -> rain (its provenance was empty: not a replacement)
  CHECK(rep.empty == 1);     // b's provenance
  CHECK(g.images[0].attrs == attributes{{"weather", "rain"}, {"rig", "A"}});
  CHECK(g.images[0].provenance == "synthetic");
  CHECK(g.images[1].attrs == attributes{{"weather", "fog"}});
  CHECK(g.images[1].provenance == "real");  // an empty cell leaves the image's own provenance
  CHECK(g.images[2].attrs == attributes{{"weather", "snow"}});
  CHECK(g.images[2].provenance == "augmented");
  CHECK(g.images[3].attrs.empty());
  CHECK(rep.summary("t.csv", j.key_description()) ==
        "t.csv: 3 of 4 images joined to the table's 4 rows by file_name (column name); 1 images without a "
        "row (in "
        "no slice of the table's columns); 1 rows naming no image, not used; 1 values replaced the image's "
        "own; 1 "
        "empty cells (no value)");
}

TEST_CASE("join: keys that cannot be joined one to one are refused") {
  using kk = io::attribute_join_options::key_kind;
  const auto csv = [](const char* s) { return parse_attribute_csv(s, "t.csv"); };
  // a key repeated with other values: always an error
  CHECK(error_of([&] {
          io::attribute_joiner j(csv("id,w\n1,a\n2,b\n01,c\n"), {kk::id, "", true});
        }) == "t.csv: line 4 (column id): '01' already has a row (line 2) with other values");
  // repeated with the same values: an error by default, counted with skip
  CHECK(error_of([&] {
          io::attribute_joiner j(csv("id,w\n1,a\n1,a\n"), {kk::id, "", false});
        }) ==
        "t.csv: line 3 (column id): '1' repeats line 2 (--attributes-missing skip counts repeated rows "
        "instead)");
  {
    io::attribute_joiner j(csv("id,w\n1,a\n1,a\n"), {kk::id, "", true});
    auto g = images({{1, ""}});
    CHECK(io::join_attributes(g, j, "gt.json").repeated == 1);
    CHECK(j.report().unknown == 0);
    CHECK(g.images[0].attrs == attributes{{"w", "a"}});
  }
  CHECK(error_of([&] {
          io::attribute_joiner j(csv("id,w\nx1,a\n"), {kk::id, "", false});
        }) == "t.csv: line 2 (column id): 'x1' is not an integer image id");
  CHECK(error_of([&] {
          io::attribute_joiner j(csv("id,w\n,a\n"), {kk::id, "", false});
        }) == "t.csv: line 2 (column id): the key is empty");
  CHECK(error_of([&] {
          io::attribute_joiner j(csv("id,w\n1,a\n"), {kk::id, "image", false});
        }) == "t.csv: no column named 'image' (columns: id, w)");
  CHECK(error_of([&] {
          io::attribute_joiner j(csv("id,provenance\n1,sim\n"), {kk::id, "", false});
        }) == "t.csv: line 2 (column provenance): expected real, synthetic or augmented, got 'sim'");
  {  // two table rows whose names differ only in the extension, and an image without one
    io::attribute_joiner j(csv("name,w\na.jpg,x\na.png,y\na.gif,z\n"), {kk::file_name, "", true});
    auto g = images({{1, "a"}});
    CHECK(error_of([&] { (void)io::join_attributes(g, j, "gt.json"); }) ==
          "gt.json: images[0] (id 1): file name 'a' matches several rows of t.csv once their extensions are "
          "removed");
  }
  {  // two images with one key
    io::attribute_joiner j(csv("name,w\na,x\n"), {kk::file_name, "", true});
    auto g = images({{1, "a.jpg"}, {2, "a.png"}});
    CHECK(error_of([&] { (void)io::join_attributes(g, j, "gt.json"); }) ==
          "gt.json: images[1] (id 2): its row in t.csv (line 2) already went to another image (two images "
          "with one "
          "key)");
  }
  {
    io::attribute_joiner j(csv("name,w\na,x\n"), {kk::file_name, "", true});
    auto g = images({{1, ""}});
    CHECK(error_of([&] { (void)io::join_attributes(g, j, "gt.json"); }) ==
          "gt.json: images[0] (id 1): no file_name, and the table t.csv is keyed by file name");
  }
}

TEST_CASE("bins: named ranges, the last one closed, values outside or not numbers refused") {
  const auto b = io::parse_attribute_bins("sun_elevation=-90,0,15,90");
  CHECK(b.key == "sun_elevation");
  CHECK(b.names == std::vector<std::string>{"[-90,0)", "[0,15)", "[15,90]"});
  CHECK(b.find(-90) == 0);
  CHECK(b.find(-1e-300) == 0);
  CHECK(b.find(0) == 1);
  CHECK(b.find(14.999) == 1);
  CHECK(b.find(15) == 2);
  CHECK(b.find(90) == 2);
  CHECK(b.find(90.0001) == 3);
  CHECK(b.find(-90.5) == 3);
  const auto named = io::parse_attribute_bins("sun=-90,0,15,90:below,low,high");
  CHECK(named.names == std::vector<std::string>{"below", "low", "high"});
  attributes a{{"sun", "7.5"}, {"weather", "rain"}};
  io::apply_attribute_bins(a, {named}, "f");
  CHECK(a == attributes{{"sun", "low"}, {"weather", "rain"}});
  a = {{"sun", "1e2"}};
  CHECK(error_of([&] { io::apply_attribute_bins(a, {named}, "gt.json: images[0] (id 1)"); }) ==
        "gt.json: images[0] (id 1): attribute sun: 1e2 is outside the ranges of --bin sun [-90, 90]");
  a = {{"sun", "high"}};
  CHECK(error_of([&] { io::apply_attribute_bins(a, {named}, "f"); }) ==
        "f: attribute sun: 'high' is not a number (--bin sun)");
  for (const char* bad : {"sun", "=1,2", "sun=1", "sun=2,1", "sun=1,1", "sun=1,x", "sun=1,2:", "sun=1,2,3:a",
                          "sun=1,2,3:a,a", "sun=1,nan", "sun=1,inf"})
    CHECK_MESSAGE(has(error_of([&] { (void)io::parse_attribute_bins(bad); }), "--bin"), bad);
}
