// Reading is not the bottleneck: the same ground truth and detections read from COCO JSON, from BDD100K /
// Scalabel JSON, from YOLO text folders (one file per image, plus the class list and size table) and from
// Pascal VOC XML files with VOC's per-class results files. The data
// set is the files named by STRATUM_BENCH_GT / STRATUM_BENCH_DT (bench/run_label_formats.sh passes the COCO
// val2017-sized synthetic set: 5,000 images, ~43k boxes, ~267k detections) or the `large` conformance case;
// it is written once in each format into a scratch folder, with what YOLO cannot hold left out of all three
// (crowd regions; detections whose centre or size falls outside their image), so every reader reads the
// same boxes. Compare the times within one run: the YOLO and Scalabel readers are to take at most twice the
// COCO reader's. The YOLO and VOC readers read their files on every core (threads/0) or on one (threads/1);
// the JSON readers use one.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include <stratum/io/coco_json.hpp>
#include <stratum/io/scalabel.hpp>
#include <stratum/io/voc.hpp>
#include <stratum/io/yolo.hpp>

using namespace stratum;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

struct files {
  std::filesystem::path dir;
  std::size_t boxes = 0, detections = 0;

  files() {
    namespace fs = std::filesystem;
    const auto gt_path = env_or("STRATUM_BENCH_GT", STRATUM_SOURCE_DIR "/tests/data/coco/large/gt.json");
    const auto dt_path = env_or("STRATUM_BENCH_DT", STRATUM_SOURCE_DIR "/tests/data/coco/large/dt.json");
    const auto full = io::load_coco_ground_truth(gt_path);
    const auto all = io::load_coco_results(dt_path, full);
    coco::ground_truth gt;
    gt.images = full.images;
    gt.categories = full.categories;
    for (auto& c : gt.categories)
      if (c.name.empty()) c.name = "category " + std::to_string(c.id);
    for (std::size_t r = 0; r < full.size(); ++r)
      if (!full.crowd[r])
        gt.add(full.id[r], full.image_id[r], full.category_id[r], full.x[r], full.y[r], full.w[r], full.h[r],
               full.area[r], false);
    std::map<std::int64_t, const coco::image_info*> image;
    for (const auto& im : gt.images) image[im.id] = &im;
    coco::detection_set dt;
    for (std::size_t r = 0; r < all.size(); ++r) {
      const auto& im = *image.at(all.image_id[r]);
      const double v[4] = {(all.x[r] + all.w[r] / 2) / im.width, (all.y[r] + all.h[r] / 2) / im.height,
                           all.w[r] / im.width, all.h[r] / im.height};
      bool inside = true;
      for (double e : v) inside = inside && e >= 0 && e <= 1;
      if (inside)
        dt.add(all.image_id[r], all.category_id[r], all.x[r], all.y[r], all.w[r], all.h[r], all.score[r]);
    }
    boxes = gt.size();
    detections = dt.size();
    dir = fs::temp_directory_path() / "stratum_label_formats_bench";
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string text;
    io::append_coco_ground_truth(text, gt);
    io::detail::write_text_file((dir / "gt.json").string(), text);
    text.clear();
    io::append_coco_results(text, dt);
    io::detail::write_text_file((dir / "dt.json").string(), text);
    text.clear();
    io::append_scalabel(text, gt, nullptr);
    io::detail::write_text_file((dir / "scalabel_gt.json").string(), text);
    text.clear();
    io::append_scalabel(text, gt, &dt);
    io::detail::write_text_file((dir / "scalabel_dt.json").string(), text);
    const auto labels = io::yolo_text_of(gt, nullptr);
    io::write_label_files((dir / "labels").string(), labels.files);
    io::write_label_files((dir / "predictions").string(), io::yolo_text_of(gt, &dt).files);
    io::detail::write_text_file((dir / "classes.txt").string(), labels.classes);
    io::detail::write_text_file((dir / "sizes.csv").string(), labels.sizes);
    io::write_label_files((dir / "voc" / "Annotations").string(), io::voc_xml_of(gt), ".xml");
    io::write_label_files((dir / "voc_results").string(), io::voc_results_text_of(gt, dt));
    io::detail::write_text_file((dir / "voc_classes.txt").string(), labels.classes);
  }
  ~files() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  [[nodiscard]] std::string at(const char* name) const { return (dir / name).string(); }
};

const files& data() {
  static const files f;
  return f;
}

void count(benchmark::State& st, std::size_t boxes, std::size_t detections) {
  st.counters["boxes"] = static_cast<double>(boxes);
  st.counters["detections"] = static_cast<double>(detections);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * (boxes + detections)));
}

void BM_read_coco(benchmark::State& st) {
  const auto& f = data();
  std::size_t b = 0, d = 0;
  for (auto _ : st) {
    const auto gt = io::load_coco_ground_truth(f.at("gt.json"));
    const auto dt = io::load_coco_results(f.at("dt.json"), gt);
    b = gt.size(), d = dt.size();
  }
  count(st, b, d);
}
BENCHMARK(BM_read_coco)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_read_scalabel(benchmark::State& st) {
  const auto& f = data();
  std::size_t b = 0, d = 0;
  for (auto _ : st) {
    const auto gt = io::load_scalabel_ground_truth(f.at("scalabel_gt.json"));
    const auto dt = io::load_scalabel_results(f.at("scalabel_dt.json"), gt);
    b = gt.size(), d = dt.size();
  }
  count(st, b, d);
}
BENCHMARK(BM_read_scalabel)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_read_yolo(benchmark::State& st) {
  const auto& f = data();
  std::size_t b = 0, d = 0;
  const auto threads = static_cast<unsigned>(st.range(0));  // 0: every core
  for (auto _ : st) {
    const auto gt =
        io::load_yolo_ground_truth({f.at("labels"), f.at("classes.txt"), f.at("sizes.csv"), "", threads});
    const auto dt = io::load_yolo_results(f.at("predictions"), gt, threads);
    b = gt.size(), d = dt.size();
  }
  count(st, b, d);
}
BENCHMARK(BM_read_yolo)->ArgName("threads")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_read_voc(benchmark::State& st) {
  const auto& f = data();
  std::size_t b = 0, d = 0;
  io::voc_source src;
  src.annotations = f.at("voc");
  src.classes = f.at("voc_classes.txt");
  src.threads = static_cast<unsigned>(st.range(0));  // 0: every core
  for (auto _ : st) {
    const auto gt = io::load_voc_ground_truth(src);
    const auto dt = io::load_voc_results(f.at("voc_results"), gt, src.threads);
    b = gt.size(), d = dt.size();
  }
  count(st, b, d);
}
BENCHMARK(BM_read_voc)->ArgName("threads")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
