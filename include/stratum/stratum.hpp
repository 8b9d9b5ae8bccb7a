// stratum: header-only metrics and statistics engine for perception robustness audits.
// Umbrella header: core types, COCO evaluation (batch, sliced, streaming, bounded-memory, bootstrap,
// serialization), the statistics toolkit and calibration. Needs Eigen, xsimd and Boost headers (the
// stratum::stratum target). The JSON adapters (<stratum/io/...>) are separate because they need simdjson
// (the stratum::json target).
#pragma once

#include "core/box.hpp"
#include "core/error.hpp"

#include "coco/params.hpp"
#include "coco/dataset.hpp"
#include "coco/iou.hpp"
#include "coco/matcher.hpp"
#include "coco/accumulator.hpp"
#include "coco/summary.hpp"
#include "coco/evaluator.hpp"
#include "coco/slices.hpp"
#include "coco/stream.hpp"
#include "coco/binned.hpp"
#include "coco/serialize.hpp"
#include "coco/bootstrap.hpp"

#include "stats/proportion.hpp"
#include "stats/two_proportions.hpp"
#include "stats/multiple_testing.hpp"
#include "stats/sample_size.hpp"
#include "stats/ks.hpp"
#include "stats/divergence.hpp"
#include "stats/chi_square.hpp"
#include "stats/histogram.hpp"
#include "stats/quantile_sketch.hpp"
#include "stats/embedding_drift.hpp"
#include "stats/rng.hpp"
#include "stats/bootstrap.hpp"

#include "calibration/bins.hpp"
#include "calibration/calibration.hpp"
#include "calibration/detection.hpp"
