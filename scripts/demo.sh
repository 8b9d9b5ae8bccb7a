#!/usr/bin/env bash
# The main job: build stratum, generate the bundled demo data set, and audit it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# Same build tree and options as scripts/test.sh (options are cached per tree: switching them off here
# would silently switch them off for the next test run); only the two programs are built.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSTRATUM_BUILD_TESTS=ON -DSTRATUM_BUILD_BENCH=ON \
      -DSTRATUM_BUILD_EXAMPLES=ON >/dev/null
cmake --build build -j"$(nproc)" --target stratum_cli stratum_synth
mkdir -p demo
build/bin/stratum_synth --images 500 --seed 7 --gt demo/gt.json --dt demo/dt.json
# The audit: pooled COCO metrics, then every weather / time of day / sensor rig / provenance class and the
# weather x time-of-day cells, each with 95% image-bootstrap intervals of AP and AR (200 replicates).
# Extra arguments are passed on (e.g. --json for the machine-readable form).
build/bin/stratum coco demo/gt.json demo/dt.json --slice-by weather,timeofday,rig,provenance \
  --joint 'weather*timeofday' --bootstrap 200 --seed 1 "$@"
