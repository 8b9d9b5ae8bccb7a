"""Bit identity with pycocotools at scale (tests/scale.cmake): ../shared/conformance/scale/.

  scale_check.py SYNTH STRATUM EXPECTED_STATS_JSON KEY WORKDIR

Generates the case's data with the project's generator, checks the files' SHA-256 against the reference's
(a different digest means the generator changed and the reference numbers no longer apply: the test says so and
fails), evaluates it with `stratum coco --json` and compares the 12 numbers with pycocotools' using ==.
"""
import hashlib
import json
import os
import shlex
import subprocess
import sys

synth, stratum, expected_path, key, work = sys.argv[1:6]
case = json.load(open(expected_path))[key]
os.makedirs(work, exist_ok=True)
words = shlex.split(case["generate"])
assert words[0] == "stratum_synth", words
subprocess.run([synth] + words[1:], cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for name, want in case["sha256"].items():
    h = hashlib.sha256()
    with open(os.path.join(work, name), "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    if h.hexdigest() != want:
        sys.exit(f"FAIL: {key}/{name}: SHA-256 {h.hexdigest()} is not the reference's {want}: the generator's "
                 "output changed, so pycocotools' numbers in the reference do not apply to it")
out = subprocess.run([stratum, "coco", os.path.join(work, "gt.json"), os.path.join(work, "dt.json"), "--json"],
                     check=True, capture_output=True, text=True).stdout
got = json.loads(out)["stats"]
bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, case["stats"])) if g != w]
for i, g, w in bad:
    print(f"FAIL: {key}: stats[{i}] = {g!r}, pycocotools {w!r}")
if bad or len(got) != 12:
    sys.exit(1)
print(f"ok: {key}: the 12 numbers are pycocotools' doubles")
