#!/usr/bin/python3
"""The Python live-inference example (examples/live_stream.py) through a real pipe into `stratum stream -` and
`stratum audit --stream -`: each gives the numbers that the same frames give when written to a file first, and
a frame the evaluator refuses stops the pipe with a message naming the line, the frame and the field.

usage: live_stream_check.py STRATUM EXAMPLES_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys


def main():
    stratum, examples, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    producer = [sys.executable, os.path.join(examples, "live_stream.py"), "400", "11"]
    path = os.path.join(work, "frames.jsonl")
    with open(path, "w") as f:
        subprocess.run(producer, stdout=f, check=True)
    for cmd in (["stream"], ["audit", "--stream"]):
        extra = ["--slice-by", "timeofday", "--json"]
        piped = subprocess.Popen(producer, stdout=subprocess.PIPE)
        live = subprocess.run([stratum, *cmd, "-", *extra], stdin=piped.stdout, capture_output=True, text=True)
        piped.stdout.close()
        if piped.wait() != 0 or live.returncode != 0:
            sys.exit(f"FAIL: {' '.join(cmd)} over a pipe exited {live.returncode}\n{live.stderr}")
        from_file = subprocess.run([stratum, *cmd, path, *extra], capture_output=True, text=True, check=True)
        a, b = json.loads(live.stdout), json.loads(from_file.stdout)
        if a != b:
            sys.exit(f"FAIL: stratum {' '.join(cmd)} - differs from the same frames read from a file")
        print(f"stratum {' '.join(cmd)} -: 400 frames over a pipe, the same JSON as from the file")
    # a refused frame stops the pipe with the line, frame and field
    bad = os.path.join(work, "bad.jsonl")
    lines = open(path).read().splitlines()
    frame = json.loads(lines[3])
    frame["dt"] = [{"category_id": 9, "bbox": [0, 0, 1, 1], "score": 0.5}]
    lines[3] = json.dumps(frame)
    with open(bad, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(bad) as f:
        r = subprocess.run([stratum, "stream", "-"], stdin=f, capture_output=True, text=True)
    if r.returncode != 1 or "<stdin>: line 4 (frame 3): dt[0].category_id" not in r.stderr:
        sys.exit(f"FAIL: a bad frame over stdin: exit {r.returncode}, {r.stderr.strip()!r}")
    print("a bad frame over stdin: refused with its line, frame and field")
    print("OK")


if __name__ == "__main__":
    main()
