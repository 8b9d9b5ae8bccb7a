#!/usr/bin/python3
"""Scene-attribute tables through the command line (--attributes, --attributes-key, --attributes-missing, --bin).

1. Real data: the 200 BDD100K images of ../shared/data with their attributes removed from the ground truth and
   joined back from the source's own table (bdd100k_val200_yolo/attributes.csv, keyed by file name, column
   "name") give every slice of reference_slices_pycocotools.json (pycocotools on the annotated file): the same
   images and the 12 numbers within 1e-12, the slice names spelled as the table writes the values
   (partly_cloudy where the reference says "partly cloudy"). The same through a stream (stratum convert with the
   table, then stratum stream), through a stream joined by frame id to the table as JSONL, and with file names
   without extensions; stratum audit with the table joined prints, byte for byte, the audit of a ground truth
   that carries the same values itself.
2. Random tables: CSV files written by Python's csv module (random quoting, line ends, commas, quotes, line
   breaks, spaces and non-ASCII text in the values, empty cells, a byte-order mark) joined by id: the attributes
   stratum convert writes equal the rows csv.reader reads, cell for cell.
3. The counts and errors of a join with missing, unknown and repeated rows, and --bin ranges.

usage: attributes_check.py STRATUM SHARED_DIR WORK_DIR
"""
import csv
import io
import json
import os
import random
import subprocess
import sys

from check_common import run


def frames_of(jsonl):
    return [json.loads(l) for l in jsonl.splitlines()[1:] if l.strip()]


def check_slices(got, ref, rename, what):
    """Every reference slice in `got` (a stratum --json document) with its images and 12 numbers."""
    n = 0
    for name, want in ref.items():
        key = "all" if name == "ALL" else rename(name)
        have = {"n_images": got["n_images"], "stats": got["stats"]} if key == "all" else got["slices"].get(key)
        if have is None:
            sys.exit(f"FAIL ({what}): slice {key} (reference {name}) missing; have {sorted(got['slices'])}")
        if have["n_images"] != want["n_images"]:
            sys.exit(f"FAIL ({what}): {key}: {have['n_images']} images, reference {want['n_images']}")
        for i, (a, b) in enumerate(zip(have["stats"], want["stats"])):
            if abs(a - b) > 1e-12:
                sys.exit(f"FAIL ({what}): {key} stats[{i}] = {a!r}, reference {b!r}")
        n += 1
    if len(got["slices"]) != len(ref) - 1:
        sys.exit(f"FAIL ({what}): {len(got['slices'])} slices, reference {len(ref) - 1}")
    return n


def real_data(stratum, shared, work):
    data = os.path.join(shared, "data")
    gt_path = os.path.join(data, "bdd100k_val200", "gt_coco.json")
    dt_path = os.path.join(data, "bdd100k_val200", "dt_synthetic_seed20240601.json")
    table = os.path.join(data, "bdd100k_val200_yolo", "attributes.csv")
    with open(os.path.join(data, "bdd100k_val200", "reference_slices_pycocotools.json")) as f:
        ref = json.load(f)
    gt = json.load(open(gt_path))
    for im in gt["images"]:
        del im["attributes"]
    bare = os.path.join(work, "gt_bare.json")
    json.dump(gt, open(bare, "w"))

    # the table's spelling: "_" where the reference's keys have a space, in weather and scene
    rows = list(csv.DictReader(open(table, newline="")))
    spelled = {}
    for r in rows:
        for k in ("weather", "scene"):
            spelled[f"{k}={r[k].replace('_', ' ')}"] = f"{k}={r[k]}"
    rename = lambda name: spelled.get(name, name)
    renamed = sum(1 for k, v in spelled.items() if k != v and k in ref)

    slicing = ["--slice-by", "weather,timeofday,scene"]
    key = ["--attributes", table, "--attributes-key", "file_name=name"]
    r = run([stratum, "coco", bare, dt_path, *slicing, *key, "--json"])
    want_line = f"stratum: {table}: 200 of 200 images joined to the table's 200 rows by file_name (column name)\n"
    if r.stderr != want_line:
        sys.exit(f"FAIL: join report {r.stderr!r}, expected {want_line!r}")
    n = check_slices(json.loads(r.stdout), ref, rename, "coco")

    # a stream written with the table, evaluated as a stream
    frames = os.path.join(work, "bdd_frames.jsonl")
    run([stratum, "convert", bare, dt_path, *key, "-o", frames])
    r = run([stratum, "stream", frames, *slicing, "--json"])
    check_slices(json.loads(r.stdout), ref, rename, "convert then stream")

    # a bare stream joined by frame id to the table as JSONL (the id from the ground truth's file names)
    bare_frames = os.path.join(work, "bdd_bare.jsonl")
    run([stratum, "convert", bare, dt_path, "-o", bare_frames])
    id_of = {im["file_name"]: im["id"] for im in gt["images"]}
    by_id = os.path.join(work, "bdd_by_id.jsonl")
    with open(by_id, "w") as f:
        for row in rows:
            f.write(json.dumps({"image": id_of[row["name"]], **{k: v for k, v in row.items() if k != "name"}}) + "\n")
    r = run([stratum, "stream", bare_frames, *slicing, "--attributes", by_id, "--attributes-key", "id=image", "--json"])
    check_slices(json.loads(r.stdout), ref, rename, "stream joined by id")
    # the ground truth's file names without their extension match the table's with one
    nox = os.path.join(work, "gt_noext.json")
    for im in gt["images"]:
        im["file_name"] = im["file_name"].rsplit(".", 1)[0]
    json.dump(gt, open(nox, "w"))
    r = run([stratum, "coco", nox, dt_path, *slicing, *key, "--json"])
    check_slices(json.loads(r.stdout), ref, rename, "file names without extension")
    # the audit (operating points, joint cells, calibration, bootstrap) with the table joined is the audit of
    # the ground truth that carries the same values itself, byte for byte
    for im in gt["images"]:
        row = next(r for r in rows if r["name"].rsplit(".", 1)[0] == im["file_name"])
        im["attributes"] = {k: row[k] for k in ("weather", "timeofday", "scene")}
    embedded = os.path.join(work, "gt_embedded.json")
    json.dump(gt, open(embedded, "w"))
    audit = ["--slice-by", "weather,timeofday", "--joint", "weather*timeofday", "--calibration", "--bootstrap", "20",
             "--json"]
    joined = run([stratum, "audit", bare, dt_path, *key, *audit]).stdout
    own = run([stratum, "audit", embedded, dt_path, *audit]).stdout
    if joined != own:
        sys.exit("FAIL: the audit with the table joined differs from the audit of the same values in the file")
    print(f"real data: {n} reference slices ({renamed} renamed to the table's spelling) equal through the COCO "
          f"files, a converted stream, a stream joined by id and file names without extensions; the audit (joint cells, calibration, "
          f"bootstrap) with the table joined equals the audit of the same values in the file ({len(own)} bytes)")


ALPHABET = ["a", "b", "Z", "0", "7", " ", ",", '"', "\n", "\r\n", "é", "雨", "-", "/", "'", "\t", ";"]


def random_value(rng):
    if rng.random() < 0.15:
        return ""
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8)))


def random_tables(stratum, work, count=200, seed=20261207):
    rng = random.Random(seed)
    cells = 0
    for case in range(count):
        n_images = rng.randint(1, 12)
        gt = {"images": [{"id": i + 1, "file_name": f"img{i + 1}.jpg"} for i in range(n_images)],
              "annotations": [], "categories": [{"id": 1, "name": "car"}]}
        gt_path = os.path.join(work, "rand_gt.json")
        dt_path = os.path.join(work, "rand_dt.json")
        json.dump(gt, open(gt_path, "w"))
        json.dump([], open(dt_path, "w"))
        columns = ["id"] + [f"k{c}" + rng.choice(["", " x", ",y", '"q"']) for c in range(rng.randint(1, 4))]
        rows = []
        for i in range(n_images):
            rows.append([rng.choice([str(i + 1), f"00{i + 1}"])] + [random_value(rng) for _ in columns[1:]])
        rng.shuffle(rows)
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, quoting=rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
                            lineterminator=rng.choice(["\n", "\r\n"]))
        writer.writerow(columns)
        writer.writerows(rows)
        text = ("\ufeff" if rng.random() < 0.2 else "") + buf.getvalue()
        if rng.random() < 0.5:  # no line end after the last row
            text = text.rstrip("\r\n") if not text.endswith('"\r\n') and not text.endswith('"\n') else text
        table = os.path.join(work, "rand_table.csv")
        with open(table, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        out = os.path.join(work, "rand_frames.jsonl")
        r = subprocess.run([stratum, "convert", gt_path, dt_path, "--attributes", table, "-o", out],
                           capture_output=True, text=True)
        # what Python's csv module reads (a line with nothing on it is skipped by both)
        parsed = [r_ for r_ in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")) if r_]
        header, body = parsed[0], parsed[1:]
        if r.returncode != 0:
            sys.exit(f"FAIL: random table {case}: stratum refused a table csv reads:\n{r.stderr}\n{text!r}")
        want = {}
        for row in body:
            want[int(row[0])] = {k: v for k, v in zip(header[1:], row[1:]) if v != ""}
        for fr in frames_of(open(out, encoding="utf-8").read()):
            got = fr.get("attributes", {})
            if got != want[fr["frame_id"]]:
                sys.exit(f"FAIL: random table {case}, frame {fr['frame_id']}: {got!r}, csv reads "
                         f"{want[fr['frame_id']]!r}\n{text!r}")
            cells += len(got)
    print(f"random tables: {count} CSV tables, {cells} values equal to what Python's csv module reads")


def counts_and_errors(stratum, work):
    gt = {"images": [{"id": i, "file_name": f"f{i}.png", "attributes": {"sun": str(s)}}
                     for i, s in [(1, -10), (2, 0), (3, 14.5), (4, 15), (5, 90)]],
          "annotations": [], "categories": [{"id": 1}]}
    gt_path = os.path.join(work, "small_gt.json")
    dt_path = os.path.join(work, "small_dt.json")
    json.dump(gt, open(gt_path, "w"))
    json.dump([], open(dt_path, "w"))
    table = os.path.join(work, "small.csv")
    with open(table, "w") as f:
        f.write("file,weather,provenance\nf1,rain,synthetic\nf2.png,fog,\nf2.png,fog,\nf9.png,snow,real\n")
    base = [stratum, "convert", gt_path, dt_path, "--attributes", table, "--attributes-key", "file_name=file"]
    r = run(base, expect=1)
    want = f"{table}: line 4 (column file): 'f2.png' repeats line 3 (--attributes-missing skip counts repeated rows instead)"
    if want not in r.stderr:
        sys.exit(f"FAIL: repeated row: {r.stderr!r}")
    out = os.path.join(work, "small.jsonl")
    r = run(base + ["--attributes-missing", "skip", "--bin", "sun=-90,0,15,90:below,low,high", "-o", out])
    want = (f"stratum: {table}: 2 of 5 images joined to the table's 4 rows by file_name (column file); 3 images "
            f"without a row (in no slice of the table's columns); 1 rows naming no image, not used; 1 repeated rows; "
            f"1 empty cells (no value)\n")
    if r.stderr != want:
        sys.exit(f"FAIL: skip report {r.stderr!r}, expected {want!r}")
    got = {fr["frame_id"]: (fr.get("attributes"), fr.get("provenance")) for fr in frames_of(open(out).read())}
    expect = {1: ({"sun": "below", "weather": "rain"}, "synthetic"), 2: ({"sun": "low", "weather": "fog"}, None),
              3: ({"sun": "low"}, None), 4: ({"sun": "high"}, None), 5: ({"sun": "high"}, None)}
    if got != expect:
        sys.exit(f"FAIL: joined frames {got}, expected {expect}")
    r = run([stratum, "convert", gt_path, dt_path, "--bin", "sun=0,15"], expect=1)
    want = f"{gt_path}: images[0] (id 1): attribute sun: -10 is outside the ranges of --bin sun [0, 15]"
    if want not in r.stderr:
        sys.exit(f"FAIL: out of range: {r.stderr!r}")
    r = run([stratum, "stream", out, "--attributes", table, "--attributes-key", "file_name=file"], expect=2)
    if "the frames of a stream carry no file name" not in r.stderr:
        sys.exit(f"FAIL: stream keyed by file name: {r.stderr!r}")
    r = run([stratum, "coco", gt_path, dt_path, "--attributes-key", "id"], expect=2)
    if "--attributes-key needs --attributes FILE" not in r.stderr:
        sys.exit(f"FAIL: key without table: {r.stderr!r}")
    print("counts and errors: repeated, missing and unknown rows, provenance, --bin ranges and the refusals")


def main():
    stratum, shared, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    real_data(stratum, shared, work)
    random_tables(stratum, work)
    counts_and_errors(stratum, work)
    print("OK")


if __name__ == "__main__":
    main()
