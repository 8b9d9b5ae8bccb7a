// consumer GT.json DT.json EXPECTED_AP: evaluates and checks AP against the reference value.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <stratum/io/coco_json.hpp>
#include <stratum/stratum.hpp>

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const auto gt = stratum::io::load_coco_ground_truth(argv[1]);
  const auto dt = stratum::io::load_coco_results(argv[2], gt);
  const auto ev = stratum::coco::evaluate(gt, dt, {});
  const double want = std::strtod(argv[3], nullptr);
  std::printf("AP = %.17g (reference %.17g)\n", ev.stats[0], want);
  return std::fabs(ev.stats[0] - want) <= 1e-12 ? 0 : 1;
}
