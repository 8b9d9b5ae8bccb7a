#!/usr/bin/python3
"""Live inference from Python into stratum, with no files in between: each frame's labels and the model's
detections are written as one JSONL line (docs/stream_format.md) to standard output, for `stratum stream -` or
`stratum audit --stream -` to read as they come:

    python3 examples/live_stream.py | stratum audit --stream - --slice-by timeofday

The "model" here is a stand-in (the ground truth jittered, some objects missed, some false alarms, more of both
at night); replace `detect` with your model's call. Only the standard library is used.

usage: live_stream.py [FRAMES] [SEED]
"""
import json
import random
import sys

CATEGORIES = [{"id": 1, "name": "car"}, {"id": 2, "name": "pedestrian"}]


def labelled_frames(n, rng):
    """The labelled source: (image, frame) pairs. A real one reads a camera or a dataset and its labels."""
    ann = 0
    for frame_id in range(1, n + 1):
        night = rng.random() < 0.35
        gt = []
        for _ in range(rng.randrange(5)):
            cat = 1 if rng.random() < 0.6 else 2
            w, h = (rng.uniform(20, 200), rng.uniform(15, 120)) if cat == 1 else (rng.uniform(8, 40), rng.uniform(20, 90))
            ann += 1
            gt.append({"id": ann, "category_id": cat, "bbox": [rng.uniform(0, 1280 - w), rng.uniform(0, 720 - h), w, h],
                       "area": w * h})
        image = {"night": night, "objects": gt}  # stands in for the pixels
        frame = {"frame_id": frame_id, "attributes": {"timeofday": "night" if night else "day"},
                 "width": 1280, "height": 720, "gt": gt}
        yield image, frame


def detect(image, rng):
    """The stand-in detector: [{"category_id", "bbox": [x, y, w, h] in pixels, "score"}]."""
    miss, jitter = (0.35, 0.08) if image["night"] else (0.08, 0.03)
    out = []
    for o in image["objects"]:
        if rng.random() < miss:
            continue
        x, y, w, h = o["bbox"]
        dx, dy = rng.gauss(0, jitter) * w, rng.gauss(0, jitter) * h
        out.append({"category_id": o["category_id"], "bbox": [x + dx, y + dy, w, h],
                    "score": round(min(1.0, max(0.0, rng.gauss(0.55 if image["night"] else 0.8, 0.12))), 4)})
    for _ in range(rng.randrange(3 if image["night"] else 2)):
        out.append({"category_id": rng.choice((1, 2)), "bbox": [rng.uniform(0, 1200), rng.uniform(0, 650), 60, 50],
                    "score": round(rng.uniform(0.05, 0.7), 4)})
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
    out = sys.stdout
    out.write(json.dumps({"stratum_stream": 1, "categories": CATEGORIES}) + "\n")
    for image, frame in labelled_frames(n, rng):
        frame["dt"] = detect(image, rng)
        out.write(json.dumps(frame) + "\n")
        out.flush()  # the evaluator reads each frame as it comes


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # the reader stopped (its error message says why)
        sys.exit(1)
