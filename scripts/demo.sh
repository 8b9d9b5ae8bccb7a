#!/usr/bin/env bash
# The main job: build stratum, generate the bundled demo data set, audit it, and write its evidence pack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# Same build tree and options as scripts/test.sh (options are cached per tree: switching them off here
# would silently switch them off for the next test run); only the two programs are built.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSTRATUM_BUILD_TESTS=ON -DSTRATUM_BUILD_BENCH=ON \
      -DSTRATUM_BUILD_EXAMPLES=ON >/dev/null
cmake --build build -j"$(nproc)" --target stratum_cli stratum_synth
mkdir -p demo
# 5% of the frames are out-of-distribution probes (no object), and every score is pushed up by 0.1 (s + 0.1 (1 - s)):
# an overconfident detector, as the calibration section shows.
# The frame stream of the same images also carries a 16-value scene embedding per frame (docs/generator.md).
build/bin/stratum_synth --images 500 --seed 7 --ood-probes 0.05 --miscalibration 0.1 --gt demo/gt.json --dt demo/dt.json \
  --jsonl demo/frames.jsonl --embeddings 16
# The audit: the failure map at IoU 0.5 and score threshold 0.5 (docs/audit.md): misses, false alarms,
# precision, false positives per image and the image-level rates with 95% intervals, pooled, per class and for
# every weather / time of day / sensor rig / provenance class and weather x time-of-day cell, worst first; the
# cliffs (slices worse than the rest, Holm-adjusted), the evidence flags and the unmeasured cells; and the
# calibration (ECE, debiased l2, D-ECE, LaECE, overconfidence, confident false positives, the probe frames).
# Extra arguments are passed on (e.g. --json for the machine-readable form, --choose f1).
build/bin/stratum audit demo/gt.json demo/dt.json --slice-by weather,timeofday,rig,provenance \
  --joint 'weather*timeofday' --calibration --ood-attribute probe=ood "$@"
# Then the COCO metrics of the same slices with 95% image-bootstrap intervals of AP and AR (200 replicates).
if [[ " $* " != *" --json "* ]]; then
  echo
  build/bin/stratum coco demo/gt.json demo/dt.json --slice-by weather,timeofday,rig,provenance \
    --joint 'weather*timeofday' --bootstrap 200 --seed 1
fi
# After release: the validation run frozen as a baseline from its frame stream (docs/drift.md), and a
# production window of 500 frames from another seed in which the night share is 30 points higher
# (stratum_synth --shift night), compared with it: the scenario mix, scores, box sizes, class mix, detections
# per frame and the scene embeddings, per slice and class, and (the window being labelled) the rates at the
# frozen operating point and COCO's AP per slice and class (image-level bootstrap), flagged with Holm over every
# test; and the expected precision from the scores alone.
if [[ " $* " != *" --json "* ]]; then
  echo
  build/bin/stratum baseline freeze --stream demo/frames.jsonl --categories demo/gt.json \
    --slice-by weather,timeofday,rig -o demo/baseline.stb
  build/bin/stratum_synth --images 500 --seed 8 --ood-probes 0.05 --miscalibration 0.1 --shift night \
    --gt demo/window_gt.json --dt demo/window_dt.json --jsonl demo/window.jsonl --embeddings 16 >/dev/null
  echo
  echo "drift of demo/window.jsonl (night share +30 points) against demo/baseline.stb:"
  build/bin/stratum drift demo/baseline.stb demo/window.jsonl
  # The evidence pack a release reviewer signs against (docs/evidence_pack.md): the audit with calibration, curves
  # and the image bootstrap, judged against the reviewer's criteria of examples/criteria.json (PASS / FAIL /
  # INCONCLUSIVE on the interval), with the window's drift against the baseline: demo/pack/evidence.html (one
  # self-contained file; open it in a browser), evidence.md and evidence.json.
  echo
  build/bin/stratum report demo/gt.json demo/dt.json --slice-by weather,timeofday,rig,provenance \
    --joint 'weather*timeofday' --ood-attribute probe=ood --seed 1 --criteria examples/criteria.json \
    --baseline demo/baseline.stb --window demo/window.jsonl -o demo/pack
fi
