#!/usr/bin/env bash
# Reading speed of the label formats at COCO val2017 scale (bench/label_formats_bench.cpp): the synthetic
# COCO-val set (stratum_synth --coco-val: 5,000 images, ~43k boxes, ~267k detections) written as COCO JSON,
# Scalabel JSON, YOLO folders and Pascal VOC folders, and each read back. Compare the times within one run.
#   bench/run_label_formats.sh [benchmark options, e.g. --benchmark_repetitions=5]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target stratum_synth label_formats_bench
mkdir -p build/bench-data
[ -f build/bench-data/gt.json ] ||
  build/bin/stratum_synth --coco-val --seed 1 --gt build/bench-data/gt.json --dt build/bench-data/dt.json
STRATUM_BENCH_GT=build/bench-data/gt.json STRATUM_BENCH_DT=build/bench-data/dt.json \
  build/bench/label_formats_bench "$@"
