#!/usr/bin/env bash
# End-to-end benchmark at COCO val2017 scale: builds stratum (Release), generates the data set with
# stratum_synth --coco-val (5,000 images, ~43k GT boxes of which ~1% crowd, ~267k detections, 80 categories)
# and compares `stratum coco` (single-threaded) with pycocotools and faster-coco-eval where they are importable.
#   bench/run_coco_val.sh [--repeat N]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target stratum_cli stratum_synth
mkdir -p build/bench-data
[ -f build/bench-data/gt.json ] ||
  build/bin/stratum_synth --coco-val --seed 1 --gt build/bench-data/gt.json --dt build/bench-data/dt.json
python3 bench/compare_peers.py build/bench-data/gt.json build/bench-data/dt.json --stratum build/bin/stratum "$@"
