#!/usr/bin/env python3
"""The audit's calibration on simulated detectors whose calibration is known (stratum_synth --detector
calibrated, docs/generator.md), through the command line:

    calibration_check.py STRATUM_SYNTH STRATUM WORK_DIR

- a perfectly calibrated detector: the bias-corrected image-bootstrap interval of the debiased squared
  calibration error excludes 0 (a false alarm) in at most the stated 5% of seeds, with binomial slack;
- the plug-in ECE of that calibrated detector is positive and shrinks as the sample grows;
- a deliberately overconfident one (--miscalibration 0.1) is flagged: the interval lies above 0;
- out-of-distribution probe frames (--ood-probes) are found by --ood-attribute probe=ood, hold no object, and
  every detection on them is counted.
Prints the figures docs/calibration.md quotes.
"""
import json
import os
import statistics
import subprocess
import sys

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def audit(synth, stratum, work, seed, images, extra=(), audit_extra=(), boot=200):
    gt, dt = os.path.join(work, "gt.json"), os.path.join(work, "dt.json")
    subprocess.run([synth, "--images", str(images), "--seed", str(seed), "--gt", gt, "--dt", dt,
                    "--detector", "calibrated", *extra], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([stratum, "audit", gt, dt, "--score-threshold", "0", "--calibration", "--bootstrap",
                          str(boot), "--seed", str(seed), "--json", *audit_extra], check=True,
                         capture_output=True).stdout
    return json.loads(out)["operating_points"][0]["calibration"]


def main():
    synth, stratum, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    # 1. calibrated: false alarms of the interval
    seeds, alarms = 60, 0
    for seed in range(seeds):
        c = audit(synth, stratum, work, seed, 200)["all"]["evaluated"]
        e = c["estimates"]["debiased_l2_squared"]
        check(e["lower"] is not None and e["lower"] <= e["upper"], f"seed {seed}: interval {e}")
        alarms += not (e["lower"] <= 0 <= e["upper"])
    print(f"calibrated detector, 200 images: the interval excludes 0 in {alarms} of {seeds} seeds")
    check(alarms <= 7, f"{alarms} false alarms in {seeds} seeds (5% stated; at most 7 allowed)")
    # 2. the plug-in ECE's bias shrinks with the sample
    means = []
    for images in (100, 400, 1600):
        eces = [audit(synth, stratum, work, seed, images, boot=1)["all"]["evaluated"]["estimates"]["ece"]["value"]
                for seed in range(10)]
        means.append(statistics.mean(eces))
        print(f"calibrated detector, {images} images: mean plug-in ECE {means[-1]:.4f} (10 seeds)")
    check(means[0] > means[1] > means[2] > 0, f"plug-in ECE does not shrink with the sample: {means}")
    # 3. overconfident: flagged
    flagged = 0
    for seed in range(10):
        e = audit(synth, stratum, work, seed, 800, ["--miscalibration", "0.1"])["all"]["evaluated"]
        flagged += e["estimates"]["debiased_l2_squared"]["lower"] > 0
        check(e["overconfidence"] > 0, f"seed {seed}: overconfidence {e['overconfidence']}")
    print(f"overconfident detector (--miscalibration 0.1), 800 images: flagged in {flagged} of 10 seeds")
    check(flagged >= 9, f"overconfident detector flagged in {flagged} of 10 seeds")
    # 4. out-of-distribution probes
    c = audit(synth, stratum, work, 5, 1000, ["--ood-probes", "0.1"], ["--ood-attribute", "probe=ood"], boot=1)
    ood = c["ood"]
    print(f"--ood-probes 0.1, 1000 images: {ood['frames']} probe frames, {ood['detections']} detections, "
          f"{ood['high_confidence']} at confidence >= 0.9")
    check(60 <= ood["frames"] <= 140, f"probe frames {ood['frames']}")
    check(ood["objects"] == 0 and ood["detections"] >= 2 * ood["frames"], f"probes: {ood}")
    check(sum(ood["histogram"]) == ood["detections"], "probe histogram")
    for f in failures[:30]:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


main()
