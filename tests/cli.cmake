# Tests of the `stratum` command-line program (tools/stratum.cpp, target stratum_cli) on the conformance cases:
#   - `coco --json` parsed by Python: the 12 stats and the per-category AP equal pycocotools' (expected.json)
#     to 1e-12;
#   - `convert` + `stream --json` prints the same bytes as `coco --json` (pooled and sliced), with --threads 1,
#     2 and 3 (identical output), from a file and from stdin, and without the header line given --categories;
#   - on stratum_synth output: its JSONL stream (given the categories of its ground truth) evaluates to the same
#     bytes as `coco` on its COCO files;
#   - `coco --bootstrap`: the same point estimates as without it, intervals in JSON for the pool and every
#     slice, identical bytes for --threads 1 and 2, another seed gives other intervals, the text table;
#   - `coco --bins B` and `stream --bins B` (bounded memory): the same bytes from both, each AP bracket holds
#     the exact number, AR exact, the bracket printed in the text summary and slice table;
#   - `audit --json` on every case of shared/conformance/operating: the counts (pooled, per category, per
#     slice) and the F1-optimal thresholds equal the references; rates carry intervals; the text failure map;
#     `audit --stream` of the converted files prints the same bytes (JSON and text, 1 and 2 threads, stdin);
#   - bad input exits with status 1 and a message naming the record (line, field); bad usage exits with 2.
# The checks are in cli_check.py, written into the build tree below.

if(NOT TARGET stratum_cli)
  return()
endif()

set(cli_dir ${CMAKE_CURRENT_BINARY_DIR}/cli)
set(cli_check ${CMAKE_CURRENT_BINARY_DIR}/cli_check.py)
file(MAKE_DIRECTORY ${cli_dir})

file(WRITE ${cli_check} [=[
"""Checks of the stratum CLI (generated from tests/cli.cmake).

  cli_check.py coco-expected STRATUM CASE_DIR
  cli_check.py stream-same STRATUM CASE_DIR WORK_DIR
  cli_check.py synth-same STRATUM GT DT FRAMES
  cli_check.py bootstrap STRATUM CASE_DIR
  cli_check.py hugepages-same STRATUM CASE_DIR
  cli_check.py binned STRATUM CASE_DIR WORK_DIR
  cli_check.py audit-operating STRATUM OPERATING_DIR COCO_DIR
  cli_check.py expect STATUS MESSAGE_PART -- PROGRAM ARGS...
"""
import json
import os
import re
import subprocess
import sys

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def finish():
    for f in failures[:50]:
        print("FAIL:", f)
    if failures:
        print(f"{len(failures)} failed checks")
        sys.exit(1)
    print("ok")
    sys.exit(0)


def run(args, stdin=None):
    r = subprocess.run(args, capture_output=True, stdin=stdin, timeout=600)
    if r.returncode != 0:
        print("command failed:", " ".join(args), "\n", r.stderr.decode(errors="replace"))
        sys.exit(1)
    return r.stdout


def close(a, b, tol=1e-12):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol


def coco_expected(stratum, case):
    out = run([stratum, "coco", f"{case}/gt.json", f"{case}/dt.json", "--params", f"{case}/params.json", "--json"])
    got = json.loads(out)
    with open(f"{case}/expected.json") as f:
        want = json.load(f)
    with open(f"{case}/gt.json") as f:
        gt = json.load(f)
    with open(f"{case}/dt.json") as f:
        dt = json.load(f)
    check(got["n_images"] == len(gt["images"]), f"n_images {got['n_images']} vs {len(gt['images'])}")
    check(got["n_ground_truths"] == len(gt["annotations"]), "n_ground_truths")
    check(got["n_detections"] == len(dt), "n_detections")
    check(len(got["stats"]) == 12, "12 stats")
    if want["stats"] is None:  # pycocotools' summarize() cannot run with these maxDets: per-category only
        print("no reference stats (pycocotools summarize() fails with these parameters)")
    else:
        for i, (a, b) in enumerate(zip(got["stats"], want["stats"])):
            check(close(a, b), f"stats[{i}]: {a!r} vs pycocotools {b!r}")
    check(set(got["per_category"]) == set(want["per_category"]),
          f"per_category keys {sorted(got['per_category'])} vs {sorted(want['per_category'])}")
    for k, w in want["per_category"].items():
        g = got["per_category"].get(k)
        if g is None:
            continue
        wap = -1.0 if w["ap"] is None else w["ap"]
        check(close(g["ap"], wap), f"per_category[{k}].ap: {g['ap']!r} vs pycocotools {wap!r}")
        for name, idx in (("ap50", 0), ("ap75", 5)):
            if len(w["ap_per_iou"]) == 10:
                wv = w["ap_per_iou"][idx]
                check(close(g[name], -1.0 if wv is None else wv), f"per_category[{k}].{name}")
    print(f"{case}: stats {got['stats']}")
    finish()


SLICES = ["--slice-by", "weather,timeofday,provenance", "--joint", "weather*timeofday", "--joint", "weather*rig*timeofday"]


def stream_same(stratum, case, work):
    os.makedirs(work, exist_ok=True)
    frames = os.path.join(work, "frames.jsonl")
    gt, dt, params = f"{case}/gt.json", f"{case}/dt.json", f"{case}/params.json"
    run([stratum, "convert", gt, dt, "-o", frames])
    with open(frames, "rb") as f:
        text = f.read()
    check(run([stratum, "convert", gt, dt]) == text, "convert to stdout differs from convert -o")
    lines = text.split(b"\n")
    header = json.loads(lines[0])
    check(header.get("stratum_stream") == 1 and "categories" in header, f"header line {lines[0][:200]!r}")
    with open(gt) as f:
        check(len(lines) - 2 == len(json.load(f)["images"]), "one line per image")
    headerless = os.path.join(work, "frames_no_header.jsonl")
    with open(headerless, "wb") as f:
        f.write(b"\n".join(lines[1:]))
    for extra in ([], SLICES):
        want = run([stratum, "coco", gt, dt, "--params", params, "--json", "--threads", "1"] + extra)
        json.loads(want)
        outs = {}
        for threads in ("1", "3") if extra else ("1", "2", "3"):
            outs[f"stream --threads {threads}"] = run([stratum, "stream", frames, "--params", params, "--json",
                                                       "--threads", threads] + extra)
        with open(frames, "rb") as f:
            outs["stream - (stdin)"] = run([stratum, "stream", "-", "--params", params, "--json", "--threads", "2"]
                                           + extra, stdin=f)
        if not extra:  # the sliced runs of the large case take seconds each: the variants without slices
            outs["stream without header, --categories"] = run([stratum, "stream", headerless, "--categories", gt,
                                                               "--params", params, "--json"])
            outs["stream with header and --categories"] = run([stratum, "stream", frames, "--categories", gt,
                                                               "--params", params, "--json"])
        for name, got in outs.items():
            check(got == want, f"{name} {' '.join(extra)}: output differs from coco --json")
    # the text summary too
    want_txt = run([stratum, "coco", gt, dt, "--params", params, "--slice-by", "weather"])
    got_txt = run([stratum, "stream", frames, "--params", params, "--slice-by", "weather"])
    check(got_txt == want_txt, "text summary differs")
    finish()


def synth_same(stratum, gt, dt, frames):
    for extra in ([], SLICES):
        want = run([stratum, "coco", gt, dt, "--json"] + extra)
        for threads in ("1", "2"):
            got = run([stratum, "stream", frames, "--categories", gt, "--json", "--threads", threads] + extra)
            check(got == want, f"stream of the generator's JSONL (--threads {threads} {' '.join(extra)}) differs from coco")
    print(json.loads(want)["stats"])
    finish()


def bootstrap(stratum, case):
    gt, dt, params = f"{case}/gt.json", f"{case}/dt.json", f"{case}/params.json"
    base = [stratum, "coco", gt, dt, "--params", params, "--slice-by", "weather", "--joint", "weather*timeofday"]
    plain = json.loads(run(base + ["--json"]))
    boot = [*base, "--bootstrap", "40", "--seed", "5", "--confidence", "0.9", "--json"]
    one = run(boot + ["--threads", "1"])
    check(run(boot + ["--threads", "2"]) == one, "--bootstrap output depends on --threads")
    got = json.loads(one)
    check(got["bootstrap"] == {"method": "percentile", "unit": "image", "replicates": 40, "seed": 5,
                               "confidence_level": 0.9}, f"bootstrap block {got.get('bootstrap')}")
    stripped = {k: v for k, v in got.items() if k not in ("bootstrap", "stats_ci", "stats_ci_undefined")}
    extra_keys = ("stats_ci", "stats_ci_undefined", "delta_ci", "delta_ci_undefined")
    stripped["slices"] = {name: {k: v for k, v in sl.items() if k not in extra_keys}
                          for name, sl in got["slices"].items()}
    check(stripped == plain, "point estimates with --bootstrap differ from those without")
    check(len(got["slices"]) > 2, "slices")
    defined = 0
    for name, node in [("all", got), *got["slices"].items()]:
        ci, undef = node["stats_ci"], node["stats_ci_undefined"]
        check(len(ci) == 12 and len(undef) == 12, f"{name}: 12 intervals")
        for i in range(12):
            lo, hi = ci[i]
            if lo is None or hi is None:
                check(lo is None and hi is None and (undef[i] > 0 or node["stats"][i] < 0),
                      f"{name}: interval {i} null without reason")
            else:
                defined += 1
                check(undef[i] == 0 and 0 <= lo <= hi <= 1, f"{name}: interval {i} = {ci[i]}")
    check(defined >= 12, f"only {defined} defined intervals")
    deltas = 0
    for name, sl in got["slices"].items():
        check(len(sl["delta_ci"]) == 12 and len(sl["delta_ci_undefined"]) == 12, f"{name}: 12 delta intervals")
        for i, (lo, hi) in enumerate(sl["delta_ci"]):
            if lo is not None:
                deltas += 1
                check(-1 <= lo <= hi <= 1, f"{name}: delta interval {i} = {[lo, hi]}")
    check(deltas >= 12, f"only {deltas} defined delta intervals")
    check("delta_ci" not in got, "the pool has no delta to itself")
    other = json.loads(run([*base, "--bootstrap", "40", "--seed", "6", "--confidence", "0.9", "--json"]))
    check(other["stats_ci"] != got["stats_ci"], "another seed gives the same pooled intervals")
    text = run([*base, "--bootstrap", "40", "--seed", "5", "--confidence", "0.9"]).decode()
    check("90% image-bootstrap percentile intervals (40 replicates, seed 5)" in text, "text table header")
    first = [ln for ln in text.splitlines() if ln.startswith("all ")]
    check(len(first) == 1 and "[" in first[0], f"text table pooled row {first}")
    check("AP vs all" in text, "text table: the 'AP vs all' column")
    marks = [re.match(r"^\S+\s+\d+\s+\S+\s+\[[^\]]*\]\s+(\S+)", ln).group(1)
             for ln in text.splitlines() if ln.startswith("weather=")]
    check(marks and all(m in ("below", "above", "-", "n/a") for m in marks), f"'AP vs all' marks {marks}")
    print("pooled AP interval", got["stats_ci"][0], "AP", got["stats"][0])
    finish()


def binned(stratum, case, work):
    os.makedirs(work, exist_ok=True)
    gt, dt, params = f"{case}/gt.json", f"{case}/dt.json", f"{case}/params.json"
    opts = ["--params", params, "--slice-by", "weather", "--joint", "weather*timeofday"]
    exact = json.loads(run([stratum, "coco", gt, dt, *opts, "--json"]))
    frames = f"{work}/frames.jsonl"
    with open(frames, "wb") as f:
        f.write(run([stratum, "convert", gt, dt]))
    for bins in ("1", "37", "1000"):
        one = run([stratum, "coco", gt, dt, *opts, "--bins", bins, "--json", "--threads", "1"])
        check(run([stratum, "coco", gt, dt, *opts, "--bins", bins, "--json", "--threads", "2"]) == one,
              f"--bins {bins}: output depends on --threads")
        check(run([stratum, "stream", frames, *opts, "--bins", bins, "--json", "--threads", "2"]) == one,
              f"--bins {bins}: stream and coco differ")
        got = json.loads(one)
        check(got["mode"] == "binned" and got["bins"] == int(bins), f"mode/bins {got.get('mode')} {got.get('bins')}")
        check(got["n_images"] == exact["n_images"], "n_images")
        nodes = [("all", got, exact)] + [(n, sl, exact["slices"][n]) for n, sl in got["slices"].items()]
        check(set(got["slices"]) == set(exact["slices"]), "slice names")
        for name, b, e in nodes:
            for i in range(12):
                lo, hi, x = b["stats_lower"][i], b["stats_upper"][i], e["stats"][i]
                if i < 6:
                    check(lo <= x <= hi, f"--bins {bins} {name}: stat {i}: exact {x} outside [{lo}, {hi}]")
                else:
                    check(lo == x == hi, f"--bins {bins} {name}: AR stat {i}: {lo}, {hi} vs exact {x}")
            for cid, c in b["per_category"].items():
                ex = e["per_category"][cid]
                for key in ("ap", "ap50", "ap75"):
                    check(c[key][0] <= ex[key] <= c[key][1], f"{name} category {cid} {key}")
                check(c["ar100"] == ex["ar100"], f"{name} category {cid} ar100")
        if bins == "1000":
            print("AP bracket at 1000 bins:", got["stats_lower"][0], got["stats_upper"][0], "exact", exact["stats"][0])
    text = run([stratum, "coco", gt, dt, *opts, "--bins", "1000"]).decode()
    check("bounded mode: 1000 score bins" in text, "text: bounded-mode line")
    check(re.search(r"\(AP\) @\[ IoU=0\.50:0\.95 \| area=   all \| maxDets=100 \] = \[\d\.\d{3}, \d\.\d{3}\]", text),
          f"text: AP line with a bracket: {text[:400]}")
    check("AP as [lower, upper]" in text, "text: slice table header")
    rows = [ln for ln in text.splitlines() if ln.startswith("weather=")]
    check(rows and all(re.search(r"\[\d\.\d{3}, \d\.\d{3}\]", r) for r in rows), f"text: slice rows {rows[:3]}")
    finish()


COUNT_NAMES = ("tp", "fp", "fn", "n_gt", "n_images", "negative_images", "false_alarm_images", "positive_images",
               "miss_images")


def audit_operating(stratum, opdir, cocodir):
    import glob
    if os.path.basename(opdir) == "bdd100k_val200":
        gt, dt, params = f"{cocodir}/gt_coco.json", f"{cocodir}/dt_synthetic_seed20240601.json", None
    else:
        gt, dt = f"{cocodir}/gt.json", f"{cocodir}/dt.json"
        params = f"{cocodir}/params.json" if os.path.exists(f"{cocodir}/params.json") else None
    refs = sorted(glob.glob(f"{opdir}/expected_*.json"))
    check(len(refs) == 2, f"{len(refs)} reference files")
    for path in refs:
        with open(path) as f:
            ref = json.load(f)
        single, joint = [], []
        for name in ref["slices"]:
            keys = [p.split("=")[0] for p in name.split("&")]
            into = single if len(keys) == 1 else joint
            if keys not in into:
                into.append(keys)
        args = [stratum, "audit", gt, dt, "--iou", repr(ref["iou"]), "--score-threshold", repr(ref["score_threshold"]),
                "--json"]
        if params:
            args += ["--params", params]
        if single:
            args += ["--slice-by", ",".join(k[0] for k in single)]
        for j in joint:
            args += ["--joint", "*".join(j)]
        got = json.loads(run(args))
        check(len(got["operating_points"]) == 1, "one operating point")
        op = got["operating_points"][0]
        where = os.path.basename(path)
        def same(c, want, at):
            for n in COUNT_NAMES:
                check(c[n] == want[n], f"{where} {at}: {n} = {c[n]}, reference {want[n]}")
            for r in ("recall", "miss_rate", "precision", "fppi", "image_false_alarm_rate", "image_miss_rate"):
                e = c[r]
                if e["value"] is not None:
                    check(e["lower"] is not None and e["lower"] <= e["value"] <= e["upper"], f"{where} {at}: {r} {e}")
        same(op["all"], ref["ALL"]["all"], "all")
        check(set(op["per_category"]) == set(ref["ALL"]["per_category"]), f"{where}: categories")
        for k, want in ref["ALL"]["per_category"].items():
            same(op["per_category"][k], want, f"category {k}")
        check(set(op["slices"]) == set(ref["slices"]), f"{where}: slice names")
        for name, want in ref["slices"].items():
            sl = op["slices"].get(name)
            if sl is None:
                continue
            same(sl["all"], want["all"], f"slice {name}")
            for k, w in want["per_category"].items():
                same(sl["per_category"][k], w, f"slice {name} category {k}")
        for k, want in ref["best_f1"].items():
            check(op["best_f1"][k] == want, f"{where}: best_f1 {k}: {op['best_f1'][k]} vs {want}")
    # two operating points at once, and the text failure map
    args = [stratum, "audit", gt, dt, "--iou", "0.5,0.75", "--choose", "f1", "--slice-by", "weather"]
    if params:
        args += ["--params", params]
    if os.path.basename(opdir) != "custom_params":
        got = json.loads(run(args + ["--json"]))
        check([p["iou"] for p in got["operating_points"]] == [0.5, 0.75], "two operating points")
        text = run(args).decode()
        check("audit at IoU 0.50" in text and "audit at IoU 0.75" in text, "text: both operating points")
        check(("slices, worst miss rate first" in text) == bool(got["operating_points"][0]["slices"]),
              "text: slice list")
        # the error analysis: the confusion matrix agrees with the counts of the failure map, every slice
        # has its own, and the text says where the errors come from
        check("where the errors come from (TIDE at IoU 0.50" in text, "text: error analysis")
        for op in got["operating_points"]:
            e = op["errors"]
            keys = list(op["per_category"])
            check(e["confusion_rows"] == keys + ["background"] and e["confusion_columns"] == keys + ["missed"],
                  "confusion: row and column names")
            check(set(e["slices"]) == set(op["slices"]), "errors: slice names")
            for cells, counts in [(e["all"]["confusion"], op)] + [
                    (e["slices"][n]["confusion"], op["slices"][n]) for n in op["slices"]]:
                for j, k in enumerate(keys):
                    c = counts["per_category"][k]
                    check(sum(row[j] for row in cells) == c["tp"] + c["fp"], f"confusion column {k}")
                    check(cells[j][j] == c["tp"] and cells[j][j] + cells[j][-1] == c["n_gt"], f"confusion row {k}")
            for t in [e["all"]["all"]] + list(e["all"]["per_category"].values()):
                for f, v in t["ap_cost"].items():
                    check(v is None or v >= 0, f"ap_cost {f}: {v}")
        # calibration: the detections above the threshold are the failure map's true and false positives,
        # pooled, per class and per slice; every estimate lies in [0, 1]; --bins reaches the block; the text
        # names the worst calibrated slices
        cal = json.loads(run(args + ["--calibration", "--bins", "10", "--json"]))
        for op in cal["operating_points"]:
            c = op["calibration"]
            check(c["bins"] == 10 and c["iou"] == op["iou"], f"calibration header: {c['bins']}, {c['iou']}")
            blocks = [(c["all"], op["all"])] + [(c["per_category"][k], op["per_category"][k]) for k in op["per_category"]]
            blocks += [(c["slices"][n], op["slices"][n]["all"]) for n in op["slices"]]
            check(set(c["slices"]) == set(op["slices"]), "calibration: slice names")
            for got, counts in blocks:
                a = got["above_threshold"]
                check(a["detections"] == counts["tp"] + counts["fp"] and a["true_positives"] == counts["tp"],
                      f"calibration counts {a['detections']}, {a['true_positives']} vs {counts['tp']}, {counts['fp']}")
                check(got["evaluated"]["detections"] >= a["detections"], "evaluated scope holds the other")
                for scope in ("above_threshold", "evaluated"):
                    for name, est in got[scope]["estimates"].items():
                        v = est["value"]
                        lo = -1 if name == "debiased_l2_squared" else 0  # unbiased: may be negative
                        check(v is None or lo <= v <= 1, f"{scope} {name} = {v}")
                    check(sum(b[2] for b in got[scope]["reliability"]) == got[scope]["detections"],
                          f"{scope}: reliability counts")
        text = run(args + ["--calibration"]).decode()
        check("calibration at IoU 0.50" in text, "text: calibration table")
        check(("worst calibrated slices" in text) == bool(cal["operating_points"][0]["slices"]),
              "text: worst calibrated slices")
    # the image bootstrap: intervals of every rate around the value, design effects, the same bytes for any
    # thread count, another seed other intervals, the text table
    def boot_args(seed):
        return [stratum, "audit", gt, dt, "--iou", repr(ref["iou"]), "--slice-by", "weather", "--json",
                "--bootstrap", "60", "--seed", str(seed)] + (["--params", params] if params else [])
    bargs = boot_args(4)
    one = run(bargs + ["--threads", "1"])
    check(one == run(bargs + ["--threads", "2"]), "audit --bootstrap: --threads 1 and 2 differ")
    got = json.loads(one)
    check(got["intervals"]["bootstrap"] == {"replicates": 60, "seed": 4, "unit": "image", "interval": "percentile",
                                            "thresholds": "fixed"}, f"bootstrap description {got['intervals']}")
    op = got["operating_points"][0]
    blocks = [op["all"]] + list(op["per_category"].values()) + [s["all"] for s in op["slices"].values()]
    for c in blocks:
        b = c["bootstrap"]
        for r in ("recall", "miss_rate", "precision", "f1", "fppi", "image_false_alarm_rate", "image_miss_rate"):
            if b[r]["lower"] is not None:
                check(c[r]["value"] is not None and b[r]["lower"] <= b[r]["upper"], f"bootstrap {r}: {b[r]}")
            else:
                check(b[r]["upper"] is None, f"bootstrap {r}: half an interval {b[r]}")
        check(set(b["design_effect"]) == {"miss_rate", "precision", "fppi"}, "design effects")
    other = run(boot_args(5))
    check(other != one, "audit --bootstrap: another seed gives the same output")
    text = run([a for a in bargs if a != "--json"]).decode()
    check("image bootstrap: 95% percentile intervals over 60 replicates (seed 4" in text, "text: bootstrap table")
    # curves: with --curves M every class and slice has a thinned curve whose operating point has the counts
    cargs = [stratum, "audit", gt, dt, "--iou", repr(ref["iou"]), "--slice-by", "weather", "--json", "--curves",
             "6"] + (["--params", params] if params else [])
    got = json.loads(run(cargs))
    op = got["operating_points"][0]
    plain = [a for i, a in enumerate(cargs) if i not in (cargs.index("--curves"), cargs.index("--curves") + 1)]
    check("curves" not in json.loads(run(plain))["operating_points"][0], "curves without --curves")
    for key, c in op["curves"]["all"]["per_category"].items():
        want = op["per_category"][key]
        check(len(c["points"]) <= 8, f"curve {key}: {len(c['points'])} points for --curves 6")
        if want["tp"] + want["fp"] > 0:
            i = c["operating"]
            check(i is not None and c["points"][i][1:3] == [want["tp"], want["fp"]],
                  f"curve {key}: operating point {c['points'][i] if i is not None else None} vs {want['tp']}, {want['fp']}")
    check(set(op["curves"]["slices"]) == set(op["slices"]), "curves: slice names")
    # the same audit over the JSONL stream of the same files (stratum convert): the same bytes, JSON and text,
    # from a file with 1 and 2 matching threads and from stdin
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        frames = os.path.join(tmp, "frames.jsonl")
        run([stratum, "convert", gt, dt, "-o", frames])
        opts = ["--iou", repr(ref["iou"]), "--choose", "f1", "--slice-by", "weather,rig", "--joint",
                "weather*timeofday"] + (["--params", params] if params else [])
        args = [stratum, "audit", gt, dt]
        for extra in (["--json"], [], ["--json", "--bootstrap", "40", "--seed", "9"], ["--bootstrap", "40"]):
            want = run(args[:4] + opts + extra)
            for threads in ("1", "2"):
                got = run([stratum, "audit", "--stream", frames] + opts + extra + ["--threads", threads])
                check(got == want, f"audit --stream {' '.join(extra)} --threads {threads} differs from the batch audit")
            with open(frames, "rb") as f:
                got = run([stratum, "audit", "--stream", "-"] + opts + extra, stdin=f)
            check(got == want, f"audit --stream - {' '.join(extra)} (stdin) differs from the batch audit")
    finish()


def hugepages_same(stratum, case):
    # stratum re-executes itself with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 unless told not to: the output
    # must not depend on it, and a user's own tunables must survive (they are extended, not replaced)
    args = [stratum, "coco", f"{case}/gt.json", f"{case}/dt.json", "--params", f"{case}/params.json", "--json",
            "--slice-by", "weather"]
    def run_env(extra):
        env = dict(os.environ)
        env.pop("GLIBC_TUNABLES", None)
        env.pop("STRATUM_HUGEPAGES", None)
        env.update(extra)
        r = subprocess.run(args, capture_output=True, env=env, timeout=600)
        check(r.returncode == 0, f"{extra}: exit {r.returncode}: {r.stderr!r}")
        return r.stdout
    want = run_env({"STRATUM_HUGEPAGES": "0"})
    check(run_env({}) == want, "default run (re-executed with huge pages) differs from STRATUM_HUGEPAGES=0")
    check(run_env({"GLIBC_TUNABLES": "glibc.malloc.check=0"}) == want, "with a user's GLIBC_TUNABLES")
    check(run_env({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}) == want, "with hugetlb set by the user")
    finish()


def baseline(stratum, case):
    # stratum baseline freeze / show: the same bytes when frozen twice without a timestamp and only the
    # trailer's creation time otherwise; the content SHA-256 and the inputs' digests equal hashlib's; the
    # frozen audit equals the run's audit (COCO files and their JSONL stream alike); damaged files refused
    import hashlib
    import tempfile
    gt, dt = f"{case}/gt.json", f"{case}/dt.json"
    opts = ["--slice-by", "weather", "--joint", "weather*timeofday", "--choose", "f1"]
    with tempfile.TemporaryDirectory() as tmp:
        files = [os.path.join(tmp, n) for n in ("a.stb", "b.stb", "c.stb", "s.stb")]
        run([stratum, "baseline", "freeze", gt, dt] + opts + ["-o", files[0], "--no-timestamp"])
        run([stratum, "baseline", "freeze", gt, dt] + opts + ["-o", files[1], "--no-timestamp"])
        run([stratum, "baseline", "freeze", gt, dt] + opts + ["-o", files[2]])
        a, b, c = (open(f, "rb").read() for f in files[:3])
        check(a == b, "frozen twice with --no-timestamp: the files differ")
        check(len(a) == len(c) and a[:-16] == c[:-16] and a[-16:] != c[-16:],
              "frozen with a timestamp: not the same file but for the last 16 bytes")
        shown = run([stratum, "baseline", "show", files[2]]).decode()
        check(f"content SHA-256  {hashlib.sha256(c[:-48]).hexdigest()}" in shown, "content SHA-256 is not hashlib's")
        check(hashlib.sha256(c[:-48]).digest() == c[-48:-16], "the stored SHA-256 is not hashlib's")
        for role, path in (("ground truth", gt), ("detections", dt)):
            digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
            check(f"input            {role} {path}: {os.path.getsize(path)} bytes, SHA-256 {digest}" in shown,
                  f"input {role}: size or SHA-256 missing or wrong")
        check("created not recorded" not in shown and "created not recorded" in run([stratum, "baseline", "show", files[0]]).decode(),
              "creation time shown wrongly")
        audit = run([stratum, "audit", gt, dt] + opts).decode()
        part = shown.split("recomputed from the file's state):\n\n", 1)[1].splitlines()
        check(len(part) > 5, "no audit in show")
        lines = set(audit.splitlines())
        for line in part[1:]:
            check(line in lines, f"frozen audit line not in the run's audit: {line!r}")
        frames = os.path.join(tmp, "frames.jsonl")
        run([stratum, "convert", gt, dt, "-o", frames])
        run([stratum, "baseline", "freeze", "--stream", frames] + opts + ["-o", files[3], "--no-timestamp"])
        streamed = run([stratum, "baseline", "show", files[3]]).decode()
        check(streamed.split("recomputed", 1)[1] == shown.split("recomputed", 1)[1],
              "the baseline of the stream holds another audit than that of the COCO files")
        # drift: the frames against their own baseline move nothing; the COCO files give the stream's document;
        # --window N gives one document per N frames; a baseline without a profile, or a score outside [0, 1],
        # is refused naming what
        same = json.loads(run([stratum, "drift", files[0], frames, "--json"]))
        check(same["flagged"] == 0 and same["tested"] > 0, f"drift of the baseline's own frames: {same['flagged']} flagged")
        check(all(t["psi"] in (None, 0) and t["status"] in ("ok", "too little data") for t in same["tests"]),
              "drift of the baseline's own frames: a PSI above 0")
        check(json.loads(run([stratum, "drift", files[0], gt, dt, "--json"])) == same,
              "drift of the COCO files differs from that of their stream")
        n_frames = same["window"]["frames"]
        series = run([stratum, "drift", files[0], frames, "--json", "--window", "3"]).decode().splitlines()
        check(len(series) == (n_frames + 2) // 3 and [json.loads(x)["window_index"] for x in series] == list(range(len(series))),
              f"--window 3 over {n_frames} frames: {len(series)} documents")
        text = run([stratum, "drift", files[0], frames, "--all"]).decode()
        check("0 of " in text and "not flagged:" in text, f"drift text: {text[:300]!r}")
        # with labels: the rates at the frozen operating point, unchanged on the baseline's own frames; the
        # expected precision equals the measured one on them pooled (isotonic fits keep the sum); without
        # labels (or --ignore-labels), no rate and no measured precision
        rates = [t for t in same["tests"] if t["iou"] is not None]
        check(same["labelled"] and len(rates) > 0 and all(t["shift"]["value"] in (None, 0) for t in rates),
              f"drift of the baseline's own labelled frames: {len(rates)} rate tests")
        # AP: on the baseline's own frames the same AP on both sides (pooled: `stratum coco`'s), nothing
        # flagged; --ap-replicates 0 and a bound below the window's detections say it was not compared
        aps = {(t["set"], t["class"]): t for t in same["tests"] if t["feature"] == "AP"}
        coco_ap = json.loads(run([stratum, "coco", gt, dt, "--json"]))["stats"][0]
        check(same["ap"]["compared"] and len(aps) > 3 and
              all(t["shift"]["baseline"] == t["shift"]["window"] and t["status"] in ("ok", "too little data")
                  for t in aps.values()) and abs(aps[("all", "")]["shift"]["baseline"] - coco_ap) < 1e-12,
              f"AP of the baseline's own frames: {aps.get(('all', ''))}, coco {coco_ap}")
        tested_ap = [t for t in aps.values() if t["test"]["p_value"] is not None]
        check(len(tested_ap) > 0 and all(t["test"]["name"] == "bootstrap z" and t["shift"]["lower"] < t["shift"]["upper"]
                                         for t in tested_ap), f"AP tests: {tested_ap[:1]}")
        off = json.loads(run([stratum, "drift", files[0], frames, "--json", "--ap-replicates", "0"]))
        check(not off["ap"]["compared"] and "AP not compared" in off["ap"]["note"] and
              not any(t["feature"] == "AP" for t in off["tests"]), f"--ap-replicates 0: {off['ap']}")
        capped = json.loads(run([stratum, "drift", files[0], frames, "--json", "--ap-max-detections", "5"]))
        check(not capped["ap"]["compared"] and "more than 5 kept detections" in capped["ap"]["note"],
              f"--ap-max-detections 5: {capped['ap']}")
        again = json.loads(run([stratum, "drift", files[0], frames, "--json", "--threads", "2"]))
        check(again == same, "drift with --threads 2 differs")
        pooled = [e for e in same["expected_precision"] if e["set"] == "all" and e["class"] == ""]
        check(len(pooled) == 1 and abs(pooled[0]["expected"] - pooled[0]["measured"]) < 1e-9 and
              abs(pooled[0]["base_precision"] - pooled[0]["measured"]) < 1e-12,
              f"expected precision of the baseline's own frames: {pooled}")
        ignored = json.loads(run([stratum, "drift", files[0], frames, "--json", "--ignore-labels"]))
        unlabelled = os.path.join(tmp, "unlabelled.jsonl")
        with open(unlabelled, "w") as out:
            for line in open(frames):
                d = json.loads(line)
                d.pop("gt", None)
                out.write(json.dumps(d) + "\n")
        bare = json.loads(run([stratum, "drift", files[0], unlabelled, "--json"]))
        for name, doc in (("--ignore-labels", ignored), ("frames without gt", bare)):
            check(not doc["labelled"] and all(t["iou"] is None for t in doc["tests"]) and
                  all(e["measured"] is None for e in doc["expected_precision"]) and
                  [e["expected"] for e in doc["expected_precision"]] ==
                  [e["expected"] for e in same["expected_precision"] if e["window_detections"] or e["base_detections"]],
                  f"{name}: rates compared or the estimate changed")
        days = os.path.join(tmp, "days.jsonl")
        k = 0
        with open(days, "w") as out:
            for line in open(frames):
                d = json.loads(line)
                if "frame_id" in d:
                    d.setdefault("attributes", {})["day"] = f"d{k // 4}"
                    k += 1
                out.write(json.dumps(d) + "\n")
        by_day = [json.loads(x) for x in
                  run([stratum, "drift", files[0], days, "--json", "--window-by", "day"]).decode().splitlines()]
        check([d["window_value"] for d in by_day] == [f"d{i}" for i in range((k + 3) // 4)] and
              sum(d["window"]["frames"] for d in by_day) == k == n_frames, f"--window-by day: {len(by_day)} windows")
        plain = os.path.join(tmp, "plain.stb")
        run([stratum, "baseline", "freeze", gt, dt] + opts + ["-o", plain, "--no-profile"])
        r = subprocess.run([stratum, "drift", plain, frames], capture_output=True, text=True, timeout=120)
        check(r.returncode == 1 and "holds no drift profile" in r.stderr, f"drift without a profile: {r.stderr!r}")
        lines = open(frames).read().splitlines()
        for i, line in enumerate(lines):
            if '"score": ' in line:
                lines[i] = line.replace('"score": ', '"score": 1', 1)
                break
        bad = os.path.join(tmp, "bad.jsonl")
        open(bad, "w").write("\n".join(lines) + "\n")
        r = subprocess.run([stratum, "drift", files[0], bad], capture_output=True, text=True, timeout=120)
        check(r.returncode == 1 and "bad.jsonl: frame" in r.stderr and "is not in [0, 1]" in r.stderr,
              f"drift of a score outside [0, 1]: exit {r.returncode}, {r.stderr!r}")
        # embeddings: frozen from a stream whose frames carry one (show says so); the frames against their own
        # baseline move nothing; a window moved in one dimension is flagged there; a window without embeddings,
        # or a baseline without, says they were not compared; an embedding of another length names the frame
        def embedded(path, shift=0.0, drop=False, dims=3):
            k = 0
            with open(path, "w") as out:
                for line in open(frames):
                    d = json.loads(line)
                    if "frame_id" in d and not drop:
                        k += 1
                        d["embedding"] = [math.sin(k * 1.3) + shift, math.cos(k * 0.7), (k % 5) / 4][:dims]
                    out.write(json.dumps(d) + "\n")
        import math
        estream, ebase = os.path.join(tmp, "emb.jsonl"), os.path.join(tmp, "emb.stb")
        embedded(estream)
        run([stratum, "baseline", "freeze", "--stream", estream] + opts + ["-o", ebase, "--no-timestamp"])
        check("embeddings       3 dimensions, 32 random features; " in run([stratum, "baseline", "show", ebase]).decode(),
              "baseline show: no embedding line")
        own = json.loads(run([stratum, "drift", ebase, estream, "--json", "--min-frames", "2"]))
        emb = [t for t in own["tests"] if t["feature"].startswith("embedding")]
        check(own["embeddings"] == {"baseline": n_frames, "window": n_frames, "not_compared": 0} and len(emb) >= 2 and
              own["flagged"] == 0 and all(t["second"]["value"] == 0 and t["test"]["p_value"] == 1 for t in emb),
              f"drift of the embedded baseline's own frames: {own['embeddings']}, {[t['status'] for t in emb]}")
        moved = os.path.join(tmp, "moved.jsonl")
        embedded(moved, shift=1.0)
        doc = json.loads(run([stratum, "drift", ebase, moved, "--json", "--min-frames", "2"]))
        cen = [t for t in doc["tests"] if t["set"] == "all" and t["feature"] == "embedding centroid"]
        check(len(cen) == 1 and cen[0]["status"] in ("warn", "alarm") and
              cen[0]["shift"]["of"] == "mean of dimension 0 (baseline sd)" and cen[0]["shift"]["value"] > 1,
              f"an embedding moved by 1 in dimension 0: {cen}")
        text = run([stratum, "drift", ebase, frames]).decode()
        check("the window's frames carry none, not compared" in text, f"a window without embeddings: {text[:400]!r}")
        text = run([stratum, "drift", files[0], estream]).decode()
        check(f"embeddings: {n_frames} window frames carry one, not compared: the baseline holds none" in text,
              f"a baseline without embeddings: {text[:400]!r}")
        short = os.path.join(tmp, "short.jsonl")
        embedded(short, dims=2)
        r = subprocess.run([stratum, "drift", ebase, short], capture_output=True, text=True, timeout=120)
        check(r.returncode == 1 and "short.jsonl: frame" in r.stderr and "embedding has 2 values, the baseline's 3" in r.stderr,
              f"an embedding of another length: exit {r.returncode}, {r.stderr!r}")
        damaged = os.path.join(tmp, "damaged.stb")
        for cut, want in ((len(c) - 1, "truncated"), (100, "truncated"), (None, "checksum mismatch")):
            data = bytearray(c[:cut] if cut else c)
            if cut is None:
                data[200] ^= 4
            open(damaged, "wb").write(data)
            r = subprocess.run([stratum, "baseline", "show", damaged], capture_output=True, text=True, timeout=120)
            check(r.returncode == 1 and want in r.stderr and "offset" in r.stderr and "damaged.stb" in r.stderr,
                  f"damaged file ({want}): exit {r.returncode}, {r.stderr!r}")
    finish()


def expect(status, part, program):
    r = subprocess.run(program, capture_output=True, text=True, timeout=120)
    check(r.returncode == status, f"exit status {r.returncode}, expected {status}; stderr: {r.stderr!r}")
    check(r.stdout == "", f"something was printed on stdout: {r.stdout[:300]!r}")
    check(r.stderr.startswith("stratum: "), f"stderr does not start with 'stratum: ': {r.stderr!r}")
    check(part in r.stderr, f"stderr does not mention {part!r}: {r.stderr!r}")
    print(r.stderr.strip().splitlines()[0] if r.stderr.strip() else "(no message)")
    finish()


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "coco-expected":
        coco_expected(*args)
    elif mode == "stream-same":
        stream_same(*args)
    elif mode == "synth-same":
        synth_same(*args)
    elif mode == "bootstrap":
        bootstrap(*args)
    elif mode == "binned":
        binned(*args)
    elif mode == "audit-operating":
        audit_operating(*args)
    elif mode == "hugepages-same":
        hugepages_same(*args)
    elif mode == "baseline":
        baseline(*args)
    elif mode == "expect":
        assert args[2] == "--"
        expect(int(args[0]), args[1], args[3:])
    else:
        sys.exit(f"unknown mode {mode}")


main()
]=])

set(stratum_bin $<TARGET_FILE:stratum_cli>)
set(cli_cases ${CMAKE_CURRENT_SOURCE_DIR}/data/coco)

file(GLOB cli_case_dirs LIST_DIRECTORIES true ${cli_cases}/*)
foreach(dir IN LISTS cli_case_dirs)
  if(NOT EXISTS ${dir}/expected.json)
    continue()
  endif()
  get_filename_component(case ${dir} NAME)
  add_test(NAME cli_coco_json_${case} COMMAND ${STRATUM_PYTHON} ${cli_check} coco-expected ${stratum_bin} ${dir})
  add_test(NAME cli_stream_same_${case}
           COMMAND ${STRATUM_PYTHON} ${cli_check} stream-same ${stratum_bin} ${dir} ${cli_dir}/${case})
endforeach()

add_test(NAME cli_hugepages_same COMMAND ${STRATUM_PYTHON} ${cli_check} hugepages-same ${stratum_bin} ${cli_cases}/large)
add_test(NAME cli_baseline COMMAND ${STRATUM_PYTHON} ${cli_check} baseline ${stratum_bin} ${cli_cases}/basic)
add_test(NAME cli_coco_bootstrap COMMAND ${STRATUM_PYTHON} ${cli_check} bootstrap ${stratum_bin} ${cli_cases}/basic)
file(GLOB operating_dirs LIST_DIRECTORIES true ${STRATUM_SHARED_DIR}/conformance/operating/*)
foreach(dir IN LISTS operating_dirs)
  if(NOT IS_DIRECTORY ${dir})
    continue()
  endif()
  get_filename_component(case ${dir} NAME)
  if(case STREQUAL "bdd100k_val200")
    set(coco_dir ${STRATUM_SHARED_DIR}/data/bdd100k_val200)
  else()
    set(coco_dir ${STRATUM_SHARED_DIR}/conformance/coco/${case})
  endif()
  if(EXISTS ${coco_dir})
    add_test(NAME cli_audit_operating_${case}
             COMMAND ${STRATUM_PYTHON} ${cli_check} audit-operating ${stratum_bin} ${dir} ${coco_dir})
  endif()
endforeach()
add_test(NAME cli_binned COMMAND ${STRATUM_PYTHON} ${cli_check} binned ${stratum_bin} ${cli_cases}/large ${cli_dir}/binned)

# The generator's own JSONL stream (no header line: the categories come from its ground truth).
if(TARGET stratum_synth)
  file(MAKE_DIRECTORY ${cli_dir}/synth)
  add_test(NAME cli_synth_generate
           COMMAND $<TARGET_FILE:stratum_synth> --images 400 --seed 11 --gt ${cli_dir}/synth/gt.json
                   --dt ${cli_dir}/synth/dt.json --jsonl ${cli_dir}/synth/frames.jsonl)
  set_tests_properties(cli_synth_generate PROPERTIES FIXTURES_SETUP fx_cli_synth)
  add_test(NAME cli_stream_same_synth
           COMMAND ${STRATUM_PYTHON} ${cli_check} synth-same ${stratum_bin} ${cli_dir}/synth/gt.json
                   ${cli_dir}/synth/dt.json ${cli_dir}/synth/frames.jsonl)
  set_tests_properties(cli_stream_same_synth PROPERTIES FIXTURES_REQUIRED fx_cli_synth)
endif()

# Bad input: exit status 1, a message naming the file, the line (or record) and the field.
set(bad_dir ${cli_dir}/bad)
file(MAKE_DIRECTORY ${bad_dir})
set(hdr [=[{"stratum_stream": 1, "categories": [{"id": 1, "name": "car"}]}]=])
set(ok [=[{"frame_id": 1, "gt": [{"id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100}], "dt": [{"category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}]}]=])
file(WRITE ${bad_dir}/malformed.jsonl "${hdr}\n${ok}\n{\"frame_id\": 2, \"dt\": [}\n")
file(WRITE ${bad_dir}/truncated.jsonl "${hdr}\n${ok}\n{\"frame_id\": 2, \"dt\": [{\"category_id\": 1, \"bb")
file(WRITE ${bad_dir}/duplicate.jsonl "${hdr}\n${ok}\n${ok}\n")
file(WRITE ${bad_dir}/no_id.jsonl "${hdr}\n${ok}\n{\"gt\": [], \"dt\": []}\n")
file(WRITE ${bad_dir}/unknown_category.jsonl "${hdr}\n${ok}\n{\"frame_id\": 2, \"dt\": [{\"category_id\": 3, \"bbox\": [0, 0, 1, 1], \"score\": 0.5}]}\n")
file(WRITE ${bad_dir}/score.jsonl "${hdr}\n{\"frame_id\": 2, \"dt\": [{\"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"score\": 1.2}]}\n")
file(WRITE ${bad_dir}/negative_size.jsonl "${hdr}\n{\"frame_id\": 2, \"width\": -640, \"height\": 480}\n")
file(WRITE ${bad_dir}/no_categories.jsonl "${ok}\n")
file(WRITE ${bad_dir}/gt_bad.json [=[{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1], "area": 1}]}]=])
set(good_gt ${cli_cases}/basic/gt.json)
set(good_dt ${cli_cases}/basic/dt.json)

function(cli_expect name status message)
  add_test(NAME cli_${name} COMMAND ${STRATUM_PYTHON} ${cli_check} expect ${status} ${message} -- ${stratum_bin} ${ARGN})
endfunction()

cli_expect(bad_malformed_line 1 "malformed.jsonl: line 3: malformed JSON" stream ${bad_dir}/malformed.jsonl --json)
cli_expect(bad_truncated 1 "truncated.jsonl: line 3: truncated last line" stream ${bad_dir}/truncated.jsonl --threads 2)
cli_expect(bad_duplicate_frame 1 "duplicate.jsonl: line 3 (frame 1): frame_id: duplicate frame id 1 (first on line 2) (1 frame read before this line)"
           stream ${bad_dir}/duplicate.jsonl --threads 2)
cli_expect(bad_missing_frame_id 1 "no_id.jsonl: line 3: frame_id: missing field" stream ${bad_dir}/no_id.jsonl)
cli_expect(bad_unknown_category 1 "unknown_category.jsonl: line 3 (frame 2): dt[0].category_id: category 3 is not declared"
           stream ${bad_dir}/unknown_category.jsonl --threads 3)
cli_expect(bad_negative_size 1 "negative_size.jsonl: line 2 (frame 2): width: negative image size" stream ${bad_dir}/negative_size.jsonl)
cli_expect(bad_no_categories 1 "no_categories.jsonl: line 1: the stream declares no categories" stream ${bad_dir}/no_categories.jsonl)
cli_expect(bad_categories_differ 1 "line 1: categories: the header declares other categories than those given"
           stream ${bad_dir}/score.jsonl --categories ${good_gt})
cli_expect(bad_missing_stream 1 "no/such.jsonl: cannot open file" stream ${bad_dir}/no/such.jsonl)
cli_expect(bad_coco_gt 1 "gt_bad.json: annotations[0].bbox: expected an array of 4 numbers" coco ${bad_dir}/gt_bad.json ${good_dt})
cli_expect(bad_convert_gt 1 "gt_bad.json: annotations[0].bbox" convert ${bad_dir}/gt_bad.json ${good_dt})
cli_expect(bad_convert_output 1 "cannot open for writing" convert ${good_gt} ${good_dt} -o ${bad_dir}/no/such/dir/f.jsonl)

cli_expect(bad_baseline_missing 1 "no/such.stb: cannot open for reading" baseline show ${bad_dir}/no/such.stb)
cli_expect(bad_baseline_not_one 1 "bad magic bytes at offset 0" baseline show ${good_gt})

# Bad usage: exit status 2.
cli_expect(usage_baseline_no_output 2 "baseline freeze needs -o FILE" baseline freeze ${good_gt} ${good_dt})
cli_expect(usage_baseline_bins 2 "--bins (bounded mode) is not offered" baseline freeze ${good_gt} ${good_dt} --bins 10 -o x.stb)
cli_expect(usage_baseline_subcommand 2 "baseline: unknown subcommand 'thaw'" baseline thaw x)
cli_expect(usage_baseline_stdin 2 "give a file (its SHA-256 is recorded)" baseline freeze --stream - -o x.stb)
cli_expect(usage_drift_one_file 2 "drift needs BASELINE and a window" drift x.stb)
cli_expect(usage_drift_window 2 "--window must be at least 1 frame" drift x.stb w.jsonl --window 0)
cli_expect(usage_drift_alpha 2 "--alpha must be in (0, 1)" drift x.stb w.jsonl --alpha 2)
cli_expect(usage_drift_window_coco 2 "--window and --window-by read a frame stream" drift x.stb ${good_gt} ${good_dt} --window 5)
cli_expect(usage_drift_window_both 2 "give one of --window and --window-by" drift x.stb w.jsonl --window 5 --window-by day)
cli_expect(usage_drift_psi 2 "--psi-alarm must be at least --psi-warn" drift x.stb w.jsonl --psi-warn 0.3 --psi-alarm 0.2)
cli_expect(usage_drift_rate 2 "--rate-alarm must be at least --rate-warn" drift x.stb w.jsonl --rate-warn 0.1 --rate-alarm 0.05)
cli_expect(usage_drift_ap 2 "--ap-alarm must be at least --ap-warn" drift x.stb w.jsonl --ap-warn 0.1 --ap-alarm 0.05)
cli_expect(usage_drift_ap_replicates 2 "--ap-replicates: expected 0 to 100000" drift x.stb w.jsonl --ap-replicates -1)
cli_expect(usage_drift_embedding 2 "--embedding-alarm must be at least --embedding-warn" drift x.stb w.jsonl --embedding-warn 3 --embedding-alarm 2)
cli_expect(usage_drift_calibration 2 "--min-calibration must be at least 1" drift x.stb w.jsonl --min-calibration 0)
cli_expect(bad_drift_baseline 1 "bad magic bytes at offset 0" drift ${good_gt} ${good_gt} ${good_dt})
cli_expect(usage_no_command 2 "usage: stratum coco")
cli_expect(usage_unknown_command 2 "unknown command 'evaluate'" evaluate ${good_gt})
cli_expect(usage_stream_no_file 2 "stream needs one FRAMES.jsonl" stream)
cli_expect(usage_stream_two_files 2 "stream needs one FRAMES.jsonl" stream a.jsonl b.jsonl)
cli_expect(usage_stream_unknown_option 2 "unknown option --frames" stream ${bad_dir}/score.jsonl --frames 3)
cli_expect(usage_stream_threads 2 "--threads: 'many' is not an integer" stream ${bad_dir}/score.jsonl --threads many)
cli_expect(usage_stream_threads_range 2 "--threads: expected 0 (all cores) to 1024" stream ${bad_dir}/score.jsonl --threads 5000)
cli_expect(usage_stream_categories_value 2 "--categories needs a value" stream ${bad_dir}/score.jsonl --categories)
cli_expect(usage_coco_categories 2 "unknown option --categories" coco ${good_gt} ${good_dt} --categories ${good_gt})
cli_expect(usage_convert_one_file 2 "convert needs GT.json and DT.json" convert ${good_gt})
cli_expect(usage_convert_output_twice 2 "-o given twice" convert ${good_gt} ${good_dt} -o a -o b)
cli_expect(usage_coco_use_cats 2 "--use-cats: expected 0 or 1" coco ${good_gt} ${good_dt} --use-cats 2)
cli_expect(usage_bootstrap_zero 2 "--bootstrap: expected 1 to 1000000 replicates" coco ${good_gt} ${good_dt} --bootstrap 0)
cli_expect(usage_bootstrap_seed 2 "--seed: expected an integer in [0, 2^64 - 1], got '-1'" coco ${good_gt} ${good_dt} --bootstrap 5 --seed -1)
cli_expect(usage_bootstrap_confidence 2 "--confidence: expected a level in (0, 1)" coco ${good_gt} ${good_dt} --bootstrap 5 --confidence 1)
cli_expect(usage_stream_bootstrap 2 "unknown option --bootstrap" stream ${bad_dir}/score.jsonl --bootstrap 5)
cli_expect(usage_bins_zero 2 "--bins: expected 1 to 16777216 score bins" coco ${good_gt} ${good_dt} --bins 0)
cli_expect(usage_bins_bootstrap 2 "--bins and --bootstrap: the bootstrap needs the exact mode" coco ${good_gt} ${good_dt} --bins 10 --bootstrap 5)
cli_expect(bad_bins_score 1 "frame 2: dt[0].score: detection score 1.2 is outside [0, 1]" stream ${bad_dir}/score.jsonl --bins 100)
file(WRITE ${bad_dir}/logit_dt.json [=[[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}, {"image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 3.5}]]=])
file(WRITE ${bad_dir}/one_gt.json [=[{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "area": 25}]}]=])
cli_expect(bad_bins_coco_score 1 "detections[1].score: detection score 3.5 is outside [0, 1]" coco ${bad_dir}/one_gt.json ${bad_dir}/logit_dt.json --bins 100)

# The audit's bad input and usage.
file(WRITE ${bad_dir}/thresholds_unknown.json [=[{"1": 0.5, "99": 0.4}]=])
file(WRITE ${bad_dir}/thresholds_missing.json [=[{"1": 0.5}]=])
file(WRITE ${bad_dir}/thresholds_bad.json [=[{"1": "high"}]=])
cli_expect(bad_audit_iou 1 "--iou 0.52: not among the evaluation's IoU thresholds" audit ${good_gt} ${good_dt} --iou 0.52)
cli_expect(bad_audit_thresholds_unknown 1 "thresholds: category 99 is not evaluated" audit ${good_gt} ${good_dt} --thresholds ${bad_dir}/thresholds_unknown.json)
cli_expect(bad_audit_thresholds_missing 1 "thresholds: no threshold for category 2" audit ${good_gt} ${good_dt} --thresholds ${bad_dir}/thresholds_missing.json)
cli_expect(bad_audit_thresholds_value 1 "thresholds_bad.json: category 1: expected a finite number" audit ${good_gt} ${good_dt} --thresholds ${bad_dir}/thresholds_bad.json)
cli_expect(usage_audit_choose 2 "--choose: expected f1, precision>=P or recall>=R, got 'best'" audit ${good_gt} ${good_dt} --choose best)
cli_expect(usage_audit_two_policies 2 "give one of --score-threshold, --thresholds and --choose" audit ${good_gt} ${good_dt} --choose f1 --score-threshold 0.3)
cli_expect(bad_audit_stream_line 1 "malformed.jsonl: line 3: malformed JSON" audit --stream ${bad_dir}/malformed.jsonl --threads 2)
cli_expect(bad_audit_stream_frame 1 "negative_size.jsonl: line 2 (frame 2): width: negative image size" audit --stream ${bad_dir}/negative_size.jsonl)
cli_expect(usage_audit_stream_files 2 "audit --stream FRAMES.jsonl takes no other file" audit --stream ${bad_dir}/malformed.jsonl ${good_gt})
cli_expect(usage_audit_categories 2 "unknown option --categories" audit ${good_gt} ${good_dt} --categories ${good_gt})
cli_expect(bad_audit_calibration_score 1 "calibration: image 2, category 1: a detection's score 1.2 is not in [0, 1]"
           audit --stream ${bad_dir}/score.jsonl --calibration)
cli_expect(usage_audit_bins 2 "audit: --bins needs --calibration" audit ${good_gt} ${good_dt} --bins 10)
cli_expect(usage_audit_high_confidence 2 "--high-confidence: expected a level in [0, 1]"
           audit ${good_gt} ${good_dt} --calibration --high-confidence 2)
cli_expect(usage_audit_curves 2 "--curves: expected 2 to 1000000 points per curve" audit ${good_gt} ${good_dt} --curves 1)
cli_expect(usage_audit_interval 2 "--interval: expected wilson, jeffreys or clopper-pearson" audit ${good_gt} ${good_dt} --interval wald)
file(WRITE ${bad_dir}/mix_sum.json [=[{"keys": ["weather"], "cells": [{"weather": "rain", "share": 0.5}, {"weather": "fog", "share": 0.4}]}]=])
file(WRITE ${bad_dir}/mix_value.json [=[{"keys": ["weather"], "cells": [{"weather": "hail", "share": 1}]}]=])
file(WRITE ${bad_dir}/mix_pi.json [=[{"keys": ["weather"], "cells": [{"weather": "rain", "share": 1}], "prevalence": {"1": 1.5}}]=])
file(WRITE ${bad_dir}/mix_field.json [=[{"keys": ["weather"], "cells": [{"weather": "rain", "share": 1, "weight": 2}]}]=])
cli_expect(bad_audit_mix_sum 1 "mix_sum.json: cells: the shares sum to 0.9, not 1" audit ${good_gt} ${good_dt} --production ${bad_dir}/mix_sum.json)
cli_expect(bad_audit_mix_value 1 "mix_value.json: cells[0] (weather=hail): unknown value 'hail' of attribute 'weather'" audit ${good_gt} ${good_dt} --production ${bad_dir}/mix_value.json)
cli_expect(bad_audit_mix_pi 1 "mix_pi.json: prevalence: category 1: pi must lie in (0, 1)" audit ${good_gt} ${good_dt} --production ${bad_dir}/mix_pi.json)
cli_expect(bad_audit_mix_field 1 "mix_field.json: cells[0].weight: not one of the keys" audit ${good_gt} ${good_dt} --production ${bad_dir}/mix_field.json)
