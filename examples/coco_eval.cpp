// Evaluate a COCO results file against its ground truth, as pycocotools' COCOeval would, and print the
// 12 summary numbers and the per-category AP.
//
//   example_coco_eval GT.json DT.json
#include <cstdio>

#include <stratum/io/coco_json.hpp>
#include <stratum/stratum.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s GT.json DT.json\n", argv[0]);
    return 2;
  }
  try {
    const auto gt = stratum::io::load_coco_ground_truth(argv[1]);
    const auto dt = stratum::io::load_coco_results(argv[2], gt);

    stratum::coco::params p;  // pycocotools' defaults: IoU .50:.05:.95, maxDets 1/10/100, four area ranges
    const auto ev = stratum::coco::evaluate(gt, dt, p, /*threads=*/0);

    for (const auto& s : stratum::coco::stat_table) std::printf("%-6s %.6f\n", s.name, ev.stats[s.id]);
    for (std::size_t k = 0; k < ev.p->cat_ids.size(); ++k)
      std::printf("category %lld: AP %.6f\n", static_cast<long long>(ev.p->cat_ids[k]), ev.category(k).ap);
  } catch (const stratum::input_error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
