// Conformance with pycocotools COCOeval: every generated case in tests/data/coco/ (copied from
// shared/conformance/coco) and, when present, every case in ../shared/conformance/coco_external/. The 12
// stats and every entry of the precision, recall and scores arrays must equal the reference's to 1e-12; the
// first mismatch fails and names the case, the array and the index.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <stratum/coco/evaluator.hpp>
#include <stratum/io/coco_json.hpp>

namespace fs = std::filesystem;
using namespace stratum;

namespace {

std::vector<double> numbers(simdjson::dom::element e) {
  std::vector<double> v;
  simdjson::dom::array arr = e.get_array().value();
  for (auto x : arr) {
    if (x.is_null()) {
      v.push_back(NAN);
      continue;
    }
    v.push_back(x.get_double().value());
  }
  return v;
}

struct expected {
  std::vector<double> iou_thrs, rec_thrs, cat_ids, stats, precision, recall, scores;
  bool stats_null = false;
  simdjson::dom::parser parser;
  simdjson::dom::element per_category;
  simdjson::padded_string json;
};

std::vector<fs::path> case_dirs() {
  std::vector<fs::path> dirs;
  for (const auto* root : {STRATUM_TEST_DATA_DIR "/coco", STRATUM_SHARED_DIR "/conformance/coco_external"}) {
    if (!fs::exists(root)) continue;
    for (const auto& d : fs::directory_iterator(root))
      if (fs::exists(d.path() / "expected.json")) dirs.push_back(d.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// Compares arrays; returns an empty string or a message naming the first mismatch.
std::string compare(const std::string& name, const std::vector<double>& got, const std::vector<double>& want,
                    double tol) {
  if (got.size() != want.size())
    return name + ": size " + std::to_string(got.size()) + " != expected " + std::to_string(want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(got[i] - want[i]) <= tol)) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "[%zu]: got %.17g, expected %.17g", i, got[i], want[i]);
      return name + buf;
    }
  return {};
}

// A score scale for the results: pycocotools only ranks by the score, so any strictly increasing map of the
// scores leaves every precision and recall entry as it is, and the `scores` entries are the mapped scores.
struct score_map {
  const char* name = "identity";
  double scale = 1, shift = 0;  // s -> scale * s + shift, creating no tie among the case's scores (checked)
  [[nodiscard]] double operator()(double s) const { return scale * s + shift; }
};

// dt.json with every score mapped, written to a file of its own (doubles printed with 17 digits round-trip).
fs::path mapped_results(const fs::path& dir, const score_map& m) {
  simdjson::dom::parser parser;
  const auto json = simdjson::padded_string::load((dir / "dt.json").string()).value();
  const simdjson::dom::element root = parser.parse(json).value();
  const simdjson::dom::array arr = root.get_array().value();
  // Correctly rounded arithmetic makes the map non-decreasing; it keeps the ranking exactly when it also
  // merges no two distinct scores of the case into one (no new tie).
  std::vector<double> distinct, mapped;
  for (auto e : arr) distinct.push_back(e["score"].get_double().value());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (double v : distinct) mapped.push_back(m(v));
  REQUIRE_MESSAGE(std::adjacent_find(mapped.begin(), mapped.end(),
                                     [](double a, double b) { return !(a < b); }) == mapped.end(),
                  dir.string() << ": the score map creates a tie");
  std::string out = "[";
  char buf[512];
  for (auto e : arr) {
    const double t = m(e["score"].get_double().value());
    std::vector<double> b;
    const simdjson::dom::array box = e["bbox"].get_array().value();
    for (auto x : box) b.push_back(x.get_double().value());
    REQUIRE(b.size() == 4);
    std::snprintf(buf, sizeof buf,
                  "%s{\"image_id\": %lld, \"category_id\": %lld, \"bbox\": [%.17g, %.17g, %.17g, %.17g], "
                  "\"score\": %.17g}",
                  out.size() > 1 ? ", " : "", static_cast<long long>(e["image_id"].get_int64().value()),
                  static_cast<long long>(e["category_id"].get_int64().value()), b[0], b[1], b[2], b[3], t);
    out += buf;
  }
  out += "]";
  const auto path =
      fs::temp_directory_path() / ("stratum_scores_" + dir.filename().string() + "_" + m.name + ".json");
  std::FILE* f = std::fopen(path.string().c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(out.data(), 1, out.size(), f);
  std::fclose(f);
  return path;
}

void check_case(const fs::path& dir, unsigned threads, const score_map& map = {}) {
  const auto params = io::load_coco_params((dir / "params.json").string());
  const auto gt = io::load_coco_ground_truth((dir / "gt.json").string());
  const bool mapped = map.scale != 1 || map.shift != 0;
  const auto dt_path = mapped ? mapped_results(dir, map) : dir / "dt.json";
  const auto dt = io::load_coco_results(dt_path.string(), gt);
  if (mapped) fs::remove(dt_path);
  const auto ev = coco::evaluate(gt, dt, params, threads);

  simdjson::dom::parser parser;
  const auto json = simdjson::padded_string::load((dir / "expected.json").string()).value();
  const auto root = parser.parse(json).value();
  const auto ep = root["params"];
  const std::string cs =
      dir.filename().string() + " (threads=" + std::to_string(threads) + ", scores " + map.name + ") ";

  // parameters resolved as the reference resolved them, to the bit
  CHECK_MESSAGE(compare(cs + "params.iouThrs", ev.p->iou_thrs, numbers(ep["iouThrs"].value()), 0) == "", cs);
  CHECK_MESSAGE(compare(cs + "params.recThrs", ev.p->rec_thrs, numbers(ep["recThrs"].value()), 0) == "", cs);
  std::vector<double> cats(ev.p->cat_ids.begin(), ev.p->cat_ids.end());
  if (!ev.p->use_cats) cats = {-1};  // the reference reports the pooled category as -1
  CHECK(compare(cs + "params.catIds", cats, numbers(ep["catIds"].value()), 0) == "");

  const auto& a = ev.arrays;
  auto shape = numbers(root["precision_shape"].value());
  const std::vector<double> our_shape{double(a.T), double(a.R), double(a.K), double(a.A), double(a.M)};
  REQUIRE_MESSAGE(shape == our_shape, (cs + "precision shape"));
  const double tol = 1e-12;
  std::string msg;
  // the generated cases carry the full arrays; the external one only stats and per-category figures
  const bool generated = dir.parent_path().filename() == "coco";
  for (const auto& [name, ours] : {std::pair{"precision", &a.precision}, std::pair{"recall", &a.recall},
                                   std::pair{"scores", &a.scores}}) {
    simdjson::dom::element want;
    if (root[name].get(want)) {
      CHECK_MESSAGE(!generated, (cs + name + " missing from expected.json"));
      continue;
    }
    auto reference = numbers(want);
    if (std::string(name) == "scores") {
      // An entry past the last detection is 0 in the reference whatever the scale: only a pure scale maps
      // every entry (0 included) to a known value.
      if (map.shift != 0) continue;
      for (auto& v : reference) v = v == -1 ? -1 : map(v);  // -1: a category without ground truth
    }
    msg = compare(cs + name, *ours, reference, tol);
    CHECK_MESSAGE(msg.empty(), msg);
  }
  if (!root["stats"].is_null()) {
    msg = compare(cs + "stats", std::vector<double>(ev.stats.begin(), ev.stats.end()),
                  numbers(root["stats"].value()), tol);
    CHECK_MESSAGE(msg.empty(), msg);
  }
  // per-category AP, AP per IoU threshold, recall per IoU threshold
  simdjson::dom::object pc = root["per_category"].get_object().value();
  std::size_t seen = 0;
  for (auto [key, val] : pc) {
    const std::string k(key);
    std::size_t kk = 0;
    if (k != "all") {
      const auto id = std::stoll(k);
      kk = static_cast<std::size_t>(std::find(ev.p->cat_ids.begin(), ev.p->cat_ids.end(), id) -
                                    ev.p->cat_ids.begin());
      REQUIRE_MESSAGE(kk < ev.p->cat_ids.size(), (cs + "per_category " + k));
    }
    const auto got = ev.category(kk);
    const double want_ap = val["ap"].is_null() ? -1 : val["ap"].get_double().value();
    CHECK_MESSAGE(std::fabs(got.ap - want_ap) <= tol, (cs + "per_category[" + k + "].ap"));
    msg = compare(cs + "per_category[" + k + "].ap_per_iou", got.ap_per_iou,
                  numbers(val["ap_per_iou"].value()), tol);
    CHECK_MESSAGE(msg.empty(), msg);
    msg = compare(cs + "per_category[" + k + "].recall_per_iou", got.recall_per_iou,
                  numbers(val["recall_per_iou"].value()), tol);
    CHECK_MESSAGE(msg.empty(), msg);
    ++seen;
  }
  CHECK(seen == a.K);
}

}  // namespace

TEST_CASE("every conformance case matches pycocotools to 1e-12") {
  const auto dirs = case_dirs();
  REQUIRE(dirs.size() >= 11);  // the generated cases are part of the repository
  for (const auto& d : dirs) {
    INFO("case ", d.string());
    check_case(d, 1);
  }
}

TEST_CASE("threads give the same numbers") {
  for (const auto& d : case_dirs()) {
    INFO("case ", d.string());
    check_case(d, 3);
  }
}

TEST_CASE("scores outside [0, 1] rank as in pycocotools: logits and 0-100 scales give its numbers") {
  // 64 s: a 0-64 scale (exact in binary); 64 s - 40: negative and positive scores, as logits are.
  const score_map scaled{"x64", 64, 0}, logit_like{"x64-40", 64, -40};
  for (const auto& d : case_dirs()) {
    INFO("case ", d.string());
    check_case(d, 1, scaled);
    check_case(d, 2, logit_like);
  }
}
