// consumer GT.json DT.json EXPECTED_AP: evaluates and checks AP against the reference value, and reads a
// Pascal VOC annotation (stratum::xml: Expat found and linked through the package).
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <stratum/io/coco_json.hpp>
#include <stratum/io/voc.hpp>
#include <stratum/stratum.hpp>

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const auto gt = stratum::io::load_coco_ground_truth(argv[1]);
  const auto dt = stratum::io::load_coco_results(argv[2], gt);
  const auto ev = stratum::coco::evaluate(gt, dt, {});
  const double want = std::strtod(argv[3], nullptr);
  std::printf("AP = %.17g (reference %.17g)\n", ev.stats[0], want);
  const auto voc = stratum::io::parse_voc_annotation(
      "<annotation><object><name>car</name><difficult>1</difficult><bndbox><xmin>1</xmin><ymin>1</ymin>"
      "<xmax>10</xmax><ymax>5</ymax></bndbox></object></annotation>",
      "consumer.xml", stratum::io::voc_classes());
  if (voc.objects.size() != 1 || !voc.objects[0].difficult || voc.objects[0].xmax != 10) return 1;
  return std::fabs(ev.stats[0] - want) <= 1e-12 ? 0 : 1;
}
