// stratum: header-only metrics and statistics engine for perception robustness audits.
// Umbrella header for the core: types and COCO evaluation (batch, sliced). The JSON adapters
// (<stratum/io/...>) are separate because they need simdjson; the statistics toolkit lives under
// <stratum/stats/...> and <stratum/calibration/...>.
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
