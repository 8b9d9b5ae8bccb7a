#!/usr/bin/env python3
"""Compare `stratum coco` with the reference COCO evaluators on one ground-truth / results pair.

    compare_peers.py GT.json DT.json --stratum PATH_TO_stratum [--repeat N] [--python PY] [--json-out FILE]

Runs, N times each (default 3), every tool in its own child process:

  stratum           `stratum coco GT DT --json --threads N` (N = --threads, default 1)
  pycocotools       COCO(GT), loadRes(DT), COCOeval(.., "bbox"): evaluate, accumulate, summarize
  faster_coco_eval  COCO(GT), loadRes(DT), COCOeval_faster(.., "bbox"): evaluate, accumulate, summarize

and prints a table: median and best wall time of the whole child (start-up and JSON loading included, as a user
waits for it), its peak resident set size (ru_maxrss of that child, from wait4), the ratios to stratum, and the
largest absolute difference of the 12 summary statistics from stratum's. A peer that cannot be imported by
PY (default: the interpreter running this script) is reported and skipped.

Datasets at scale come from stratum_synth, e.g.
    stratum_synth --coco-val --seed 1 --gt gt.json --dt dt.json
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

STAT_NAMES = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
RESULT_MARK = "@@compare_peers@@ "

# Runs inside the peer's child process. summarize() prints to stdout, so the result line carries a marker.
PEER_SCRIPT = r"""
import json, sys, time
kind, gt_path, dt_path = sys.argv[1:4]
t0 = time.perf_counter()
if kind == "pycocotools":
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval as Eval
else:
    from faster_coco_eval import COCO, COCOeval_faster as Eval
t1 = time.perf_counter()
gt = COCO(gt_path)
dt = gt.loadRes(dt_path)
t2 = time.perf_counter()
ev = Eval(gt, dt, "bbox")
ev.evaluate()
ev.accumulate()
ev.summarize()
t3 = time.perf_counter()
print(MARK + json.dumps({"stats": [float(x) for x in ev.stats],
                         "import_s": t1 - t0, "load_s": t2 - t1, "eval_s": t3 - t2}))
""".replace("MARK", repr(RESULT_MARK))

PEER_IMPORTS = {
    "pycocotools": "import pycocotools.coco, pycocotools.cocoeval",
    "faster_coco_eval": "import faster_coco_eval; from faster_coco_eval import COCO, COCOeval_faster",
}
PEER_VERSION = {
    "pycocotools": "import importlib.metadata as m; print(m.version('pycocotools'))",
    "faster_coco_eval": "import importlib.metadata as m; print(m.version('faster-coco-eval'))",
}


def run_measured(cmd):
    """Runs cmd; returns (wall seconds, peak RSS in bytes, exit status, stdout, stderr) of that child alone."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in kilobytes on Linux (bytes on macOS)
        rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        return wall, rss, proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace")


def find_stats(node):
    """The 12 summary statistics in the stratum JSON output: the first list of 12 numbers under a key "stats"."""
    if isinstance(node, dict):
        value = node.get("stats")
        if isinstance(value, list) and len(value) == 12 and all(
                v is None or isinstance(v, (int, float)) for v in value):
            return [math.nan if v is None else float(v) for v in value]
        for child in node.values():
            found = find_stats(child)
            if found is not None:
                return found
    elif isinstance(node, list):
        for child in node:
            found = find_stats(child)
            if found is not None:
                return found
    return None


def max_abs_diff(a, b):
    worst = 0.0
    for x, y in zip(a, b):
        if math.isnan(x) and math.isnan(y):
            continue
        worst = max(worst, abs(x - y) if not (math.isnan(x) or math.isnan(y)) else math.inf)
    return worst


def fail(message):
    print(f"compare_peers.py: error: {message}", file=sys.stderr)
    sys.exit(1)


def run_stratum(binary, gt, dt, repeat, threads):
    cmd = [binary, "coco", gt, dt, "--json", "--threads", str(threads)]
    runs = []
    for _ in range(repeat):
        wall, rss, rc, out, err = run_measured(cmd)
        if rc != 0:
            fail(f"{' '.join(cmd)} exited with status {rc}:\n{err.strip()}")
        try:
            stats = find_stats(json.loads(out))
        except json.JSONDecodeError as e:
            fail(f"{' '.join(cmd)} did not print JSON ({e}); output starts: {out[:200]!r}")
        if stats is None:
            fail(f"{' '.join(cmd)} printed no \"stats\" list of 12 numbers")
        runs.append({"wall_s": wall, "rss_bytes": rss, "stats": stats})
    return {"tool": "stratum", "version": "", "runs": runs}


def run_peer(kind, python, gt, dt, repeat):
    probe = subprocess.run([python, "-c", PEER_IMPORTS[kind]], capture_output=True, text=True)
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["import failed"])[-1]
        print(f"{kind}: not importable with {python} ({reason}); skipped")
        return None
    version = subprocess.run([python, "-c", PEER_VERSION[kind]], capture_output=True, text=True).stdout.strip()
    runs = []
    for _ in range(repeat):
        wall, rss, rc, out, err = run_measured([python, "-c", PEER_SCRIPT, kind, gt, dt])
        if rc != 0:
            fail(f"{kind} exited with status {rc}:\n{err.strip()[-2000:]}")
        lines = [line for line in out.splitlines() if line.startswith(RESULT_MARK)]
        if not lines:
            fail(f"{kind} printed no result line")
        result = json.loads(lines[-1][len(RESULT_MARK):])
        runs.append({"wall_s": wall, "rss_bytes": rss, "stats": result["stats"], "import_s": result["import_s"],
                     "load_s": result["load_s"], "eval_s": result["eval_s"]})
    return {"tool": kind, "version": version, "runs": runs}


def summarize(entry, reference):
    walls = [r["wall_s"] for r in entry["runs"]]
    rss = max(r["rss_bytes"] for r in entry["runs"])
    row = {"tool": entry["tool"] + (f" {entry['version']}" if entry["version"] else ""),
           "wall_median_s": statistics.median(walls), "wall_min_s": min(walls), "peak_rss_mib": rss / 2 ** 20,
           "stats": entry["runs"][0]["stats"]}
    # every run of a tool must give the same numbers
    row["stats_stable"] = all(max_abs_diff(r["stats"], row["stats"]) == 0 for r in entry["runs"])
    if "eval_s" in entry["runs"][0]:
        row["load_median_s"] = statistics.median(r["load_s"] for r in entry["runs"])
        row["eval_median_s"] = statistics.median(r["eval_s"] for r in entry["runs"])
    if reference is not None:
        row["time_ratio"] = row["wall_median_s"] / reference["wall_median_s"]
        row["rss_ratio"] = row["peak_rss_mib"] / reference["peak_rss_mib"]
        row["max_abs_stat_diff"] = max_abs_diff(row["stats"], reference["stats"])
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gt", help="COCO ground truth JSON")
    parser.add_argument("dt", help="COCO results JSON")
    parser.add_argument("--stratum", required=True, help="path to the stratum program")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool (default 3); the median is reported")
    parser.add_argument("--threads", type=int, default=1,
                        help="stratum worker threads (default 1: single-threaded, like the peers)")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the peers (default: this one)")
    parser.add_argument("--json-out", help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    for path in (args.gt, args.dt):
        if not os.path.isfile(path):
            parser.error(f"no such file: {path}")
    if not (os.path.isfile(args.stratum) and os.access(args.stratum, os.X_OK)):
        parser.error(f"--stratum {args.stratum} is not an executable file")

    print(f"ground truth {args.gt} ({os.path.getsize(args.gt) / 2 ** 20:.1f} MiB), "
          f"results {args.dt} ({os.path.getsize(args.dt) / 2 ** 20:.1f} MiB), {args.repeat} run(s) per tool, "
          f"{os.cpu_count()} logical CPUs")
    entries = [run_stratum(args.stratum, args.gt, args.dt, args.repeat, args.threads)]
    for kind in ("pycocotools", "faster_coco_eval"):
        entry = run_peer(kind, args.python, args.gt, args.dt, args.repeat)
        if entry is not None:
            entries.append(entry)

    reference = summarize(entries[0], None)
    rows = [reference] + [summarize(e, reference) for e in entries[1:]]

    header = ["tool", "wall s (median)", "wall s (min)", "peak RSS MiB", "time x stratum", "RSS x stratum",
              "max |d stats| vs stratum"]
    table = [header]
    for row in rows:
        peer = "time_ratio" in row
        table.append([row["tool"], f"{row['wall_median_s']:.3f}", f"{row['wall_min_s']:.3f}",
                      f"{row['peak_rss_mib']:.1f}", f"{row['time_ratio']:.2f}" if peer else "1",
                      f"{row['rss_ratio']:.2f}" if peer else "1",
                      f"{row['max_abs_stat_diff']:.3g}" if peer else "-"])
    widths = [max(len(r[k]) for r in table) for k in range(len(header))]
    print()
    for k, r in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print()
    for row in rows:
        if "eval_median_s" in row:
            print(f"{row['tool']}: load {row['load_median_s']:.3f} s, evaluate+accumulate+summarize "
                  f"{row['eval_median_s']:.3f} s (medians, inside the child)")
        if not row["stats_stable"]:
            print(f"warning: {row['tool']} gave different stats in different runs")
    print("stratum stats: " + ", ".join(f"{n} {v:.6f}" for n, v in zip(STAT_NAMES, reference["stats"])))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"gt": args.gt, "dt": args.dt, "repeat": args.repeat, "rows": rows,
                       "runs": entries}, f, indent=1)


if __name__ == "__main__":
    main()
