// JSONL frame stream reader and writer (include/stratum/io/jsonl.hpp, docs/stream_format.md): a valid stream
// reads field by field; every kind of bad input stops with an input_error naming the source, the line, the
// field and the number of frames read before it; write -> read gives back the same frames to the bit.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <stratum/io/jsonl.hpp>

using namespace stratum;

namespace {

const char* const kHeader =
    R"({"stratum_stream": 1, "categories": [{"id": 1, "name": "car"}, {"id": 3, "name": "person"}]})";

std::vector<stratum::frame> read_all(const std::string& text,
                                     std::optional<std::vector<coco::category_info>> cats = {},
                                     std::size_t* blank = nullptr) {
  std::istringstream in(text);
  io::jsonl_reader r(in, "s.jsonl", std::move(cats));
  std::vector<stratum::frame> out;
  stratum::frame f;
  while (r.next(f)) out.push_back(f);
  if (blank) *blank = r.blank_lines();
  CHECK(r.frames() == out.size());
  return out;
}

/// The error message reading `text` gives, or "no error".
std::string error_of(const std::string& text, std::optional<std::vector<coco::category_info>> cats = {}) {
  try {
    (void)read_all(text, std::move(cats));
  } catch (const input_error& e) {
    return e.what();
  }
  return "no error";
}

std::string frame_line(const std::string& fields) {
  return "{\"frame_id\": 9, " + fields + "}\n";
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) return false;
  return true;
}

/// Frames equal with every double compared bit for bit (so -0.0 != 0.0).
std::string frame_difference(const stratum::frame& a, const stratum::frame& b) {
  if (a.id != b.id) return "id";
  if (a.attrs != b.attrs) return "attributes";
  if (a.provenance != b.provenance) return "provenance";
  if (!same_bits({a.width, a.height}, {b.width, b.height})) return "size";
  if (a.gt.id != b.gt.id || a.gt.category_id != b.gt.category_id || a.gt.crowd != b.gt.crowd) return "gt ids";
  for (auto [x, y, name] : {std::tuple{&a.gt.x, &b.gt.x, "gt.x"},
                            {&a.gt.y, &b.gt.y, "gt.y"},
                            {&a.gt.w, &b.gt.w, "gt.w"},
                            {&a.gt.h, &b.gt.h, "gt.h"},
                            {&a.gt.area, &b.gt.area, "gt.area"},
                            {&a.dt.x, &b.dt.x, "dt.x"},
                            {&a.dt.y, &b.dt.y, "dt.y"},
                            {&a.dt.w, &b.dt.w, "dt.w"},
                            {&a.dt.h, &b.dt.h, "dt.h"},
                            {&a.dt.score, &b.dt.score, "dt.score"},
                            {&a.embedding, &b.embedding, "embedding"}})
    if (!same_bits(*x, *y)) return name;
  if (a.dt.category_id != b.dt.category_id) return "dt.category_id";
  return {};
}

}  // namespace

TEST_CASE("a valid stream reads field by field") {
  const std::string text =
      std::string(kHeader) + "\n" +
      R"({"frame_id": 17, "attributes": {"weather": "rain", "timeofday": "dusk"}, "provenance": "synthetic", "width": 1280, "height": 720.5,)"
      R"( "gt": [{"id": 5, "category_id": 3, "bbox": [1, 2.5, 3, 4], "area": 11.25, "iscrowd": 1}, {"id": 6, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100}],)"
      R"( "dt": [{"category_id": 1, "bbox": [0.5, 0, 10, 10], "score": 0.93}], "embedding": [0.25, -1, 3e-5]})"
      "\n\n  \t\r\n"
      R"({"frame_id": -4, "gt": [], "dt": []})"
      "\r\n"
      R"({"dt": [], "frame_id": 5})";
  std::istringstream in(text);
  io::jsonl_reader r(in, "s.jsonl");
  CHECK(r.has_header());
  REQUIRE(r.categories().size() == 2);
  CHECK(r.categories()[1].id == 3);
  CHECK(r.categories()[1].name == "person");
  stratum::frame f;
  REQUIRE(r.next(f));
  CHECK(r.line() == 2);
  CHECK(f.id == 17);
  CHECK(f.attrs == coco::attributes{{"weather", "rain"}, {"timeofday", "dusk"}});
  CHECK(*f.attribute("timeofday") == "dusk");
  CHECK(f.attribute("rig") == nullptr);
  CHECK(f.provenance == "synthetic");
  CHECK(f.width == 1280);
  CHECK(f.height == 720.5);
  REQUIRE(f.gt.size() == 2);
  CHECK(f.gt.id == std::vector<std::int64_t>{5, 6});
  CHECK(f.gt.category_id == std::vector<std::int64_t>{3, 1});
  CHECK(f.gt.y[0] == 2.5);
  CHECK(f.gt.area == std::vector<double>{11.25, 100});
  CHECK(f.gt.crowd == std::vector<unsigned char>{1, 0});
  REQUIRE(f.dt.size() == 1);
  CHECK(f.dt.x[0] == 0.5);
  CHECK(f.dt.score[0] == 0.93);
  CHECK(f.embedding == std::vector<double>{0.25, -1, 3e-5});
  REQUIRE(r.next(f));  // the blank lines are skipped, the CR of a CRLF line is whitespace
  CHECK(r.line() == 5);
  CHECK(f.id == -4);
  CHECK(f.gt.size() == 0);
  CHECK(f.attrs.empty());
  CHECK(f.provenance.empty());
  CHECK(f.width == 0);
  CHECK(f.embedding.empty());
  REQUIRE(r.next(f));  // a last line without newline is fine when it is complete
  CHECK(f.id == 5);
  CHECK(r.line() == 6);
  CHECK(!r.next(f));
  CHECK(!r.next(f));
  CHECK(r.frames() == 3);
  CHECK(r.blank_lines() == 2);
}

TEST_CASE("categories: from the header, from the caller, or both when they agree") {
  const std::string frames =
      "{\"frame_id\": 1, \"gt\": [], \"dt\": [{\"category_id\": 7, \"bbox\": [0, 0, 1, 1], \"score\": 1}]}\n";
  const std::vector<coco::category_info> given{{7, "bus"}, {1, "car"}};
  // caller only (e.g. the stratum_synth output, which has no header line)
  auto fr = read_all(frames, given);
  CHECK(fr.size() == 1);
  // header only
  CHECK(read_all("{\"stratum_stream\": 1, \"categories\": [{\"id\": 1}, {\"id\": 7}]}\n" + frames).size() ==
        1);
  // both, same ids in another order: the caller's list is kept
  {
    std::istringstream in(
        "{\"stratum_stream\": 1, \"categories\": [{\"id\": 1, \"name\": \"a\"}, {\"id\": 7}]}\n" + frames);
    io::jsonl_reader r(in, "s.jsonl", given);
    CHECK(r.categories()[0].name == "bus");
  }
  // both, different ids
  CHECK(error_of("{\"stratum_stream\": 1, \"categories\": [{\"id\": 1}, {\"id\": 8}]}\n" + frames, given) ==
        "s.jsonl: line 1: categories: the header declares other categories than those given (2 vs 2 ids; id "
        "7 is "
        "in the given categories only) (0 frames read before this line)");
  // neither
  CHECK(error_of(frames) ==
        "s.jsonl: line 1: the stream declares no categories: start it with a header line "
        "{\"stratum_stream\": 1, "
        "\"categories\": [{\"id\": ..., \"name\": ...}, ...]} or give them (e.g. from a COCO ground-truth "
        "file) (0 "
        "frames read before this line)");
  CHECK(error_of("") ==
        "s.jsonl: empty stream: no header line declaring the categories, and none were given");
  CHECK(error_of("\n \n") ==
        "s.jsonl: empty stream: no header line declaring the categories, and none were given");
  // an empty stream with categories: no frames, no error
  CHECK(read_all("", given).empty());
  CHECK(read_all(std::string(kHeader) + "\n").empty());
  // the header may declare no category at all (every frame must then be empty)
  CHECK(read_all("{\"stratum_stream\": 1, \"categories\": []}\n{\"frame_id\": 3}\n").size() == 1);
  // unknown category
  CHECK(error_of(frames, std::vector<coco::category_info>{{1, "car"}}) ==
        "s.jsonl: line 1 (frame 1): dt[0].category_id: category 7 is not declared in the stream's categories "
        "(0 "
        "frames read before this line)");
}

TEST_CASE("bad input names the source, the line, the frame, the field and the frames read before it") {
  const std::string h = std::string(kHeader) + "\n";
  const std::string ok = "{\"frame_id\": 1, \"gt\": [], \"dt\": []}\n";
  struct bad {
    std::string text, message;
  };
  const std::string tail1 = " (1 frame read before this line)";
  const std::vector<bad> cases{
      {h + ok + "{\"frame_id\": 2, \"gt\": [}\n",
       "s.jsonl: line 3: malformed JSON: The JSON document has an improper structure: missing or superfluous "
       "commas, "
       "braces, missing keys, etc." +
           tail1},
      {h + ok + "{\"frame_id\": 2, \"gt\": [], \"dt\": [",
       "s.jsonl: line 3: truncated last line: no newline at the end and not valid JSON (The JSON document "
       "has an "
       "improper structure: missing or superfluous commas, braces, missing keys, etc.)" +
           tail1},
      {h + ok + "{\"frame_id\": 2, \"gt\": [], \"dt\": [\n", "s.jsonl: line 3: malformed JSON: "},
      {h + ok + "{\"gt\": [], \"dt\": []}\n", "s.jsonl: line 3: frame_id: missing field" + tail1},
      {h + ok + "\n" + ok,
       "s.jsonl: line 4 (frame 1): frame_id: duplicate frame id 1 (first on line 2)" + tail1},
      {h + ok + frame_line("\"frame_id\": 9"),
       "s.jsonl: line 3 (frame 9): frame_id: duplicate field" + tail1},
      {h + ok + "{\"frame_id\": 2.0}\n", "s.jsonl: line 3: frame_id: expected an integer" + tail1},
      {h + ok + "{\"frame_id\": \"7\"}\n", "s.jsonl: line 3: frame_id: expected an integer" + tail1},
      {h + ok + "{\"frame_id\": 18446744073709551615}\n",
       "s.jsonl: line 3: frame_id: integer out of range" + tail1},
      {h + ok + "[1, 2]\n", "s.jsonl: line 3: expected a JSON object (a frame)" + tail1},
      {h + ok + h,
       "s.jsonl: line 3: stratum_stream: a header line is allowed only as the first line" + tail1},
      {h + ok + frame_line("\"width\": -1"),
       "s.jsonl: line 3 (frame 9): width: negative image size -1.000000" + tail1},
      {h + ok + frame_line("\"height\": -0.5"),
       "s.jsonl: line 3 (frame 9): height: negative image size -0.500000" + tail1},
      {h + ok + frame_line("\"width\": NaN"), "s.jsonl: line 3: malformed JSON: "},
      {h + ok + frame_line("\"width\": 1e999"), "s.jsonl: line 3: malformed JSON: "},
      {h + ok + frame_line("\"width\": \"wide\""),
       "s.jsonl: line 3 (frame 9): width: expected a number" + tail1},
      {h + ok + frame_line("\"dt\": [{\"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"score\": 1e999}]"),
       "s.jsonl: line 3: malformed JSON: "},
      {h + ok + frame_line("\"dt\": [{\"category_id\": 1, \"bbox\": [0, 0, 1, 1]}]"),
       "s.jsonl: line 3 (frame 9): dt[0].score: missing field" + tail1},
      {h + ok + frame_line("\"dt\": [{\"category_id\": 1, \"bbox\": [0, 0, -1, 1], \"score\": 0.5}]"),
       "s.jsonl: line 3 (frame 9): dt[0].bbox[2]: negative width -1.000000" + tail1},
      {h + ok + frame_line("\"dt\": [{\"category_id\": 1, \"bbox\": [0, 0, 1, -2], \"score\": 0.5}]"),
       "s.jsonl: line 3 (frame 9): dt[0].bbox[3]: negative height -2.000000" + tail1},
      {h + ok + frame_line("\"dt\": [{\"category_id\": 1, \"bbox\": [0, 0, 1], \"score\": 0.5}]"),
       "s.jsonl: line 3 (frame 9): dt[0].bbox: expected an array of 4 numbers [x, y, w, h]" + tail1},
      {h + ok + frame_line("\"dt\": [{\"category_id\": 1, \"bbox\": [0, null, 1, 1], \"score\": 0.5}]"),
       "s.jsonl: line 3 (frame 9): dt[0].bbox[1]: expected a number" + tail1},
      {h + ok + frame_line("\"dt\": [{\"category_id\": 2, \"bbox\": [0, 0, 1, 1], \"score\": 0.5}]"),
       "s.jsonl: line 3 (frame 9): dt[0].category_id: category 2 is not declared in the stream's categories" +
           tail1},
      {h + ok +
           frame_line(
               "\"dt\": [{\"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"score\": 0.5, \"image_id\": 9}]"),
       "s.jsonl: line 3 (frame 9): dt[0].image_id: unknown field (known: category_id, bbox, score)" + tail1},
      {h + ok + frame_line("\"gt\": [{\"id\": 1, \"category_id\": 4, \"bbox\": [0, 0, 1, 1], \"area\": 1}]"),
       "s.jsonl: line 3 (frame 9): gt[0].category_id: category 4 is not declared in the stream's categories" +
           tail1},
      {h + ok + frame_line("\"gt\": [{\"id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1]}]"),
       "s.jsonl: line 3 (frame 9): gt[0].area: missing field" + tail1},
      {h + ok + frame_line("\"gt\": [{\"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"area\": 1}]"),
       "s.jsonl: line 3 (frame 9): gt[0].id: missing field" + tail1},
      {h + ok + frame_line("\"gt\": [{\"id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"area\": -1}]"),
       "s.jsonl: line 3 (frame 9): gt[0].area: negative area -1.000000" + tail1},
      {h + ok +
           frame_line("\"gt\": [{\"id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"area\": 1, "
                      "\"iscrowd\": 2}]"),
       "s.jsonl: line 3 (frame 9): gt[0].iscrowd: expected 0 or 1" + tail1},
      {h + ok +
           frame_line("\"gt\": [{\"id\": 1, \"category_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], "
                      "\"area\": 1}]"),
       "s.jsonl: line 3 (frame 9): gt[0].category_id: duplicate field" + tail1},
      {h + ok + frame_line("\"gt\": [3]"), "s.jsonl: line 3 (frame 9): gt[0]: expected an object" + tail1},
      {h + ok + frame_line("\"gt\": {}"), "s.jsonl: line 3 (frame 9): gt: expected an array" + tail1},
      {h + ok + frame_line("\"gts\": []"),
       "s.jsonl: line 3 (frame 9): gts: unknown field (known: frame_id, attributes, provenance, width, "
       "height, gt, dt, "
       "embedding)" +
           tail1},
      {h + ok + frame_line("\"provenance\": \"simulated\""),
       "s.jsonl: line 3 (frame 9): provenance: expected \"real\", \"synthetic\" or \"augmented\"" + tail1},
      {h + ok + frame_line("\"attributes\": {\"weather\": 3}"),
       "s.jsonl: line 3 (frame 9): attributes.weather: expected a string" + tail1},
      {h + ok + frame_line("\"attributes\": {\"weather\": \"rain\", \"weather\": \"fog\"}"),
       "s.jsonl: line 3 (frame 9): attributes.weather: duplicate key" + tail1},
      {h + ok + frame_line("\"embedding\": [1, \"x\"]"),
       "s.jsonl: line 3 (frame 9): embedding[1]: expected a number" + tail1},
      {"{\"stratum_stream\": 2, \"categories\": []}\n" + ok,
       "s.jsonl: line 1: stratum_stream: unsupported stream format version 2 (this reader reads 1) (0 frames "
       "read "
       "before this line)"},
      {"{\"stratum_stream\": 1}\n" + ok,
       "s.jsonl: line 1: categories: missing field: the header must declare the categories (0 frames read "
       "before this "
       "line)"},
      {"{\"stratum_stream\": 1, \"categories\": [{\"id\": 1}, {\"id\": 1}]}\n" + ok,
       "s.jsonl: line 1: categories: duplicate category id 1 (0 frames read before this line)"},
      {"{\"stratum_stream\": 1, \"categories\": [{\"name\": \"car\"}]}\n" + ok,
       "s.jsonl: line 1: categories[0].id: missing field (0 frames read before this line)"},
      {"{\"stratum_stream\": 1, \"categories\": [], \"params\": {}}\n" + ok,
       "s.jsonl: line 1: params: unknown header field (known: stratum_stream, categories) (0 frames read "
       "before this "
       "line)"},
      {"{\"stratum_stream\": 1, \"categories\": [\n" + ok, "s.jsonl: line 1: malformed JSON: "},
  };
  for (const auto& c : cases) {
    INFO("stream:\n", c.text);
    const auto got = error_of(c.text);
    CHECK_MESSAGE(got.rfind(c.message, 0) == 0, "got:      ", got, "\nexpected: ", c.message);
  }
  // the count of frames read before the line
  std::string many = h;
  for (int i = 0; i < 5; ++i) many += "{\"frame_id\": " + std::to_string(i) + "}\n";
  many += "{\"frame_id\": 3}\n";
  CHECK(error_of(many) ==
        "s.jsonl: line 7 (frame 3): frame_id: duplicate frame id 3 (first on line 5) (5 frames read before "
        "this line)");
}

TEST_CASE("files: open, read, and a clear error for a missing file") {
  const std::filesystem::path dir = STRATUM_BINARY_DIR "/tests/jsonl_test_files";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "two.jsonl").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << kHeader << "\n{\"frame_id\": 1}\n{\"frame_id\": 2, \"gt\": [], \"dt\": [], \"bogus\": 1}\n";
  }
  auto r = io::jsonl_reader::open(path);
  stratum::frame f;
  REQUIRE(r.next(f));
  CHECK(f.id == 1);
  std::string msg;
  try {
    (void)r.next(f);
  } catch (const input_error& e) {
    msg = e.what();
  }
  CHECK(msg ==
        path +
            ": line 3 (frame 2): bogus: unknown field (known: frame_id, attributes, provenance, width, "
            "height, gt, dt, embedding) (1 frame read before this line)");
  msg.clear();
  try {
    (void)io::jsonl_reader::open((dir / "missing.jsonl").string());
  } catch (const input_error& e) {
    msg = e.what();
  }
  CHECK(msg == (dir / "missing.jsonl").string() + ": cannot open file");
}

TEST_CASE("numbers are written in a form that reads back to the same double") {
  std::string s;
  auto one = [&s](double v) {
    s.clear();
    io::append_json_number(s, v);
    return s;
  };
  CHECK(one(0.0) == "0");
  CHECK(one(-0.0) == "-0.0");
  CHECK(one(1280) == "1280");
  CHECK(one(0.1) == "0.1");
  CHECK(one(0.8999999999999999) == "0.8999999999999999");
  CHECK(one(9007199254740992.0) == "9.007199254740992e+15");
  CHECK(one(1e300) == "1e+300");
  CHECK(one(5e-324) == "5e-324");
  CHECK_THROWS_AS(one(std::numeric_limits<double>::quiet_NaN()), usage_error);
  CHECK_THROWS_AS(one(std::numeric_limits<double>::infinity()), usage_error);
}

TEST_CASE("write -> read gives the same frames, every double to the bit (random frames)") {
  std::mt19937_64 rng(20240611);
  std::uniform_real_distribution<double> unit(0, 1);
  auto any_double = [&]() -> double {
    switch (rng() % 8) {
      case 0:
        return std::bit_cast<double>(rng() & 0x7fefffffffffffffULL);  // any finite positive bit pattern
      case 1:
        return -0.0;
      case 2:
        return std::ldexp(unit(rng), -1060);  // subnormal
      case 3:
        return std::round(unit(rng) * 1e18);  // large integers (>= 2^53 often)
      case 4:
        return std::round(unit(rng) * 2000) / 100;  // two decimals, as written by tools
      case 5:
        return unit(rng) * 1e6;
      default:
        return unit(rng) * 1000;
    }
  };
  auto any_signed = [&]() { return (rng() & 1) ? any_double() : -any_double(); };
  auto any_string = [&]() {
    static const std::vector<std::string> parts{"rain", "d\"q", "back\\slash", "tab\t", "nl\n",
                                                "\x01", "été",  "雨",          "&",     "="};
    std::string out;
    for (auto n = rng() % 4; n > 0; --n) out += parts[rng() % parts.size()];
    return out;
  };
  const std::vector<coco::category_info> cats{{1, "car"}, {-2, "odd \"name\""}, {40, "雨"}};
  std::vector<stratum::frame> frames;
  std::int64_t next_id = -50;
  for (int i = 0; i < 1500; ++i) {
    stratum::frame f;
    f.id = next_id += 1 + static_cast<std::int64_t>(rng() % 3);
    if (i == 7) f.id = std::numeric_limits<std::int64_t>::max();
    if (i == 8) f.id = std::numeric_limits<std::int64_t>::min();
    for (auto n = rng() % 3; n > 0; --n) {
      const auto key = any_string() + std::to_string(n);  // keys unique within a frame
      f.attrs.emplace_back(key, any_string());
    }
    static const char* const prov[] = {"", "real", "synthetic", "augmented"};
    f.provenance = prov[rng() % 4];
    if (rng() % 2) f.width = std::fabs(any_double()), f.height = std::fabs(any_double());
    for (auto n = rng() % 6; n > 0; --n)
      f.gt.add(static_cast<std::int64_t>(rng() % 100000) - 10, cats[rng() % 3].id, any_signed(), any_signed(),
               any_double(), any_double(), any_double(), rng() % 2);
    for (auto n = rng() % 12; n > 0; --n)
      f.dt.add(cats[rng() % 3].id, any_signed(), any_signed(), any_double(), any_double(),
               rng() % 5 == 0 ? std::round(unit(rng) * 100) / 100 : (rng() % 7 == 0 ? 1.0 : unit(rng)));
    if (rng() % 3 == 0)
      for (auto n = rng() % 10; n > 0; --n) f.embedding.push_back(any_signed());
    frames.push_back(std::move(f));
  }
  std::ostringstream out;
  io::write_jsonl(out, cats, frames);
  std::size_t blank = 1;
  const auto back = read_all(out.str(), std::nullopt, &blank);
  CHECK(blank == 0);
  REQUIRE(back.size() == frames.size());
  std::size_t doubles = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    INFO("frame index ", i, " id ", frames[i].id);
    CHECK(frame_difference(frames[i], back[i]) == "");
    doubles += 2 + 5 * frames[i].gt.size() + 5 * frames[i].dt.size() + frames[i].embedding.size();
  }
  MESSAGE(doubles, " doubles written and read back");
  // the header carries the categories
  std::istringstream in(out.str());
  io::jsonl_reader r(in, "s.jsonl");
  REQUIRE(r.categories().size() == 3);
  CHECK(r.categories()[1].id == -2);
  CHECK(r.categories()[1].name == "odd \"name\"");
  CHECK(r.categories()[2].name == "雨");
}
