// The IoU kernel gives the reference's bits: pycocotools' bbIou evaluated in Python doubles (the oracle), for
// the SIMD batch path and the scalar path. This file is compiled with -O3 -march=native -ffp-contract=fast
// (tests/coco_iou.cmake), the flags under which an unprotected a*b+c is fused into an FMA.
#include <doctest/doctest.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <stratum/coco/iou.hpp>

#include "oracle_file.hpp"

TEST_CASE("IoU kernel is bit-exact with the reference arithmetic under -O3 -march=native") {
  const auto lines = stratum_test::read_oracle("coco_iou.txt");
  std::size_t pairs = 0;
  std::vector<double> gx, gy, gw, gh, want, got;
  std::vector<unsigned char> crowd;
  stratum::coco::gt_boxes boxes;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    std::istringstream s(lines[l]);
    double d[4];
    std::size_t n;
    s >> d[0] >> d[1] >> d[2] >> d[3] >> n;
    gx.resize(n), gy.resize(n), gw.resize(n), gh.resize(n), crowd.resize(n), want.resize(n), got.resize(n);
    for (std::size_t g = 0; g < n; ++g) {
      int c;
      s >> gx[g] >> gy[g] >> gw[g] >> gh[g] >> c >> want[g];
      crowd[g] = static_cast<unsigned char>(c);
    }
    REQUIRE_MESSAGE(!s.fail(), "coco_iou.txt line " << l + 1 << " is malformed");
    boxes.assign(n, gx.data(), gy.data(), gw.data(), gh.data(), crowd.data());
    boxes.iou_row(d[0], d[1], d[2], d[3], got.data());
    for (std::size_t g = 0; g < n; ++g) {
      const double gb[4] = {gx[g], gy[g], gw[g], gh[g]};
      const double scalar = stratum::coco::bbox_iou(d, gb, crowd[g] != 0);
      // bitwise equality (memcmp distinguishes what == would not, e.g. -0.0)
      CHECK_MESSAGE(std::memcmp(&got[g], &want[g], sizeof(double)) == 0,
                    "line " << l + 1 << " gt " << g << ": batch " << got[g] << " reference " << want[g]);
      CHECK_MESSAGE(std::memcmp(&scalar, &want[g], sizeof(double)) == 0,
                    "line " << l + 1 << " gt " << g << ": scalar " << scalar << " reference " << want[g]);
      ++pairs;
    }
  }
  CHECK(lines.size() == 3000);
  CHECK(pairs > 20000);
}
