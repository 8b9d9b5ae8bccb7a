// Per-scenario evaluation: AP per weather value and per weather x time-of-day cell. Each frame is matched
// once.
//
//   example_sliced_eval GT.json DT.json
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
    const std::vector<stratum::coco::slice_spec> slices = {{{"weather"}}, {{"weather", "timeofday"}}};
    const auto res = stratum::coco::evaluate_sliced(gt, dt, {}, slices);
    std::printf("%-40s %8s %8s\n", "slice", "images", "AP");
    std::printf("%-40s %8zu %8.4f\n", "(all)", res.all.p->img_ids.size(),
                res.all.stats[stratum::coco::stat::ap]);
    for (const auto& slice : res.slices)  // name, images, eval: one slice's results together
      std::printf("%-40s %8zu %8.4f\n", slice.name.c_str(), slice.images.size(),
                  slice.eval.stats[stratum::coco::stat::ap]);
  } catch (const stratum::input_error& e) {  // bad input: the message names the file, record and field
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
