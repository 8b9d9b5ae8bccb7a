// stratum: header-only metrics and statistics engine for perception robustness audits.
// Umbrella header: core types, COCO evaluation (batch, sliced, streaming, bounded-memory, bootstrap,
// serialization), the audit (operating points, rates, findings, production mix, bootstrap, streams), the
// statistics toolkit and calibration. Needs Eigen, xsimd and Boost headers (the
// stratum::stratum target). The JSON adapters (<stratum/io/...>) and the JSON reports (<stratum/report/...>)
// are separate: the adapters need simdjson (the stratum::json target).
#pragma once

#include "version.hpp"

#include "core/box.hpp"
#include "core/confidence.hpp"
#include "core/error.hpp"
#include "core/frame.hpp"
#include "core/state.hpp"

#include "coco/accumulator.hpp"
#include "coco/binned.hpp"
#include "coco/bootstrap.hpp"
#include "coco/dataset.hpp"
#include "coco/evaluator.hpp"
#include "coco/frame_matcher.hpp"
#include "coco/iou.hpp"
#include "coco/matcher.hpp"
#include "coco/params.hpp"
#include "coco/serialize.hpp"
#include "coco/slices.hpp"
#include "coco/stream.hpp"
#include "coco/stream_state.hpp"
#include "coco/summary.hpp"

#include "audit/audit.hpp"
#include "audit/bootstrap.hpp"
#include "audit/curves.hpp"
#include "audit/findings.hpp"
#include "audit/operating.hpp"
#include "audit/production.hpp"
#include "audit/rates.hpp"
#include "audit/stream.hpp"
#include "stats/bootstrap.hpp"
#include "stats/bootstrap_interval.hpp"
#include "stats/chi_square.hpp"
#include "stats/divergence.hpp"
#include "stats/embedding_drift.hpp"
#include "stats/exact_sum.hpp"
#include "stats/histogram.hpp"
#include "stats/ks.hpp"
#include "stats/multiple_testing.hpp"
#include "stats/poisson.hpp"
#include "stats/proportion.hpp"
#include "stats/quantile_sketch.hpp"
#include "stats/rng.hpp"
#include "stats/sample_size.hpp"
#include "stats/two_proportions.hpp"

#include "calibration/bins.hpp"
#include "calibration/calibration.hpp"
#include "calibration/detection.hpp"
