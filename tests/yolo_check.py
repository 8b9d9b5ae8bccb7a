#!/usr/bin/python3
"""YOLO labels through the command line, on real third-party data (../shared/data/bdd100k_val200_yolo/):

1. The 200 YOLO label files, the class list and the image-size table read into the same ground truth as
   bdd100k_val200/gt_coco.json (which was built from them): the same images (ids 1-200 in sorted file-name order,
   sizes, file names), per image the same boxes in the same order and class, coordinates within 5e-5 px (the
   COCO file's 4-decimal rounding), areas within what that rounding allows ((w + h) * 5e-5 + 5e-5).
2. With the source's attribute table joined by file name, every slice of reference_slices_pycocotools.json
   (pycocotools on gt_coco.json): the same images per slice and the 12 numbers within 1e-12, under the table's
   spelling of the values.
3. The same detections written as YOLO prediction files (class cx cy w h score, normalised with the image size)
   give the numbers the COCO results file gives.
4. Bad input: a class index out of range, a coordinate outside [0, 1], a wrong field count, an image without a
   size, a prediction file for an unknown image: each refused with its file, line and field.

usage: yolo_check.py STRATUM SHARED_DIR WORK_DIR
"""
import csv
import json
import os
import shutil
import sys

from check_common import run


def main():
    stratum, shared, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    ydir = os.path.join(shared, "data", "bdd100k_val200_yolo")
    cdir = os.path.join(shared, "data", "bdd100k_val200")
    labels, classes, sizes = (os.path.join(ydir, n) for n in ("labels", "classes.txt", "image_sizes.csv"))
    table = os.path.join(ydir, "attributes.csv")
    dt_json = os.path.join(cdir, "dt_synthetic_seed20240601.json")
    yolo = [labels, "--classes", classes, "--image-sizes", sizes]
    gt = json.load(open(os.path.join(cdir, "gt_coco.json")))

    # 1. the same ground truth
    frames_path = os.path.join(work, "yolo_frames.jsonl")
    run([stratum, "convert", *yolo[:1], dt_json, *yolo[1:], "-o", frames_path])
    lines = open(frames_path).read().splitlines()
    header = json.loads(lines[0])
    frames = [json.loads(l) for l in lines[1:]]
    want_cats = [(c["id"], c["name"]) for c in gt["categories"]]
    got_cats = [(c["id"], c.get("name")) for c in header["categories"]]
    if got_cats != want_cats:
        sys.exit(f"FAIL: categories {got_cats}, expected {want_cats}")
    anns = {}
    for a in gt["annotations"]:
        anns.setdefault(a["image_id"], []).append(a)
    if [f["frame_id"] for f in frames] != [im["id"] for im in gt["images"]]:
        sys.exit("FAIL: the images' ids differ from gt_coco.json's")
    boxes, worst, worst_area = 0, 0.0, 0.0
    for f, im in zip(frames, gt["images"]):
        if (f["width"], f["height"]) != (im["width"], im["height"]):
            sys.exit(f"FAIL: frame {f['frame_id']}: size {f['width']}x{f['height']}")
        want = anns.get(im["id"], [])
        got = f.get("gt", [])
        if len(got) != len(want):
            sys.exit(f"FAIL: frame {f['frame_id']}: {len(got)} boxes, gt_coco.json has {len(want)}")
        for g, w in zip(got, want):
            if g["category_id"] != w["category_id"]:
                sys.exit(f"FAIL: frame {f['frame_id']}: class {g['category_id']} where gt_coco.json has {w['category_id']}")
            worst = max(worst, max(abs(a - b) for a, b in zip(g["bbox"], w["bbox"])))
            # the area field is rounded to 4 decimals from the rounded width and height: within
            # (w + h) * 5e-5 + 5e-5 of the exact product
            bound = (w["bbox"][2] + w["bbox"][3]) * 5e-5 + 5e-5 + 1e-9
            worst_area = max(worst_area, abs(g["area"] - w["area"]) / bound)
            boxes += 1
    if worst > 5e-5 + 1e-9 or worst_area > 1:
        sys.exit(f"FAIL: largest coordinate difference {worst} px, area {worst_area} of its rounding bound")
    print(f"ground truth: {len(frames)} images, {boxes} boxes equal to gt_coco.json's (largest coordinate "
          f"difference {worst:.2g} px, its 4-decimal rounding; areas within {worst_area:.0%} of the rounding bound)")

    # 2. the reference slices from the YOLO files plus the attribute table
    ref = json.load(open(os.path.join(cdir, "reference_slices_pycocotools.json")))
    slicing = ["--slice-by", "weather,timeofday,scene", "--attributes", table, "--attributes-key", "file_name=name"]

    def check(doc, what):
        n = 0
        for name, want in ref.items():
            if name == "ALL":
                have = doc
            else:
                key, val = name.split("=", 1)
                if key in ("weather", "scene"):
                    val = val.replace(" ", "_")  # the table's spelling
                have = doc["slices"].get(f"{key}={val}")
                if have is None:
                    sys.exit(f"FAIL ({what}): slice {key}={val} missing")
            if have["n_images"] != want["n_images"]:
                sys.exit(f"FAIL ({what}): {name}: {have['n_images']} images, reference {want['n_images']}")
            for i, (a, b) in enumerate(zip(have["stats"], want["stats"])):
                if abs(a - b) > 1e-12:
                    sys.exit(f"FAIL ({what}): {name} stats[{i}] = {a!r}, reference {b!r}")
            n += 1
        return n

    doc = json.loads(run([stratum, "coco", *yolo[:1], dt_json, *yolo[1:], *slicing, "--json"]).stdout)
    n = check(doc, "YOLO labels + attribute table")
    print(f"reference slices: {n} of pycocotools' slices reproduced from the YOLO files and the attribute table")

    # 3. predictions as YOLO files
    pred = os.path.join(work, "pred")
    shutil.rmtree(pred, ignore_errors=True)
    os.makedirs(pred)
    by_id = {im["id"]: im for im in gt["images"]}
    per_image = {}
    for d in json.load(open(dt_json)):
        im = by_id[d["image_id"]]
        x, y, w, h = d["bbox"]
        W, H = im["width"], im["height"]
        per_image.setdefault(im["file_name"], []).append(
            f"{d['category_id'] - 1} {(x + w / 2) / W!r} {(y + h / 2) / H!r} {w / W!r} {h / H!r} {d['score']!r}")
    for name, rows in per_image.items():
        with open(os.path.join(pred, name.rsplit(".", 1)[0] + ".txt"), "w") as f:
            f.write("\n".join(rows) + "\n")
    doc_pred = json.loads(run([stratum, "coco", labels, pred, *yolo[1:], *slicing, "--json"]).stdout)
    check(doc_pred, "YOLO predictions")
    print(f"predictions: {sum(len(r) for r in per_image.values())} detections as YOLO files in {len(per_image)} "
          f"files give the same numbers as the results file")

    # 4. bad input
    bad = os.path.join(work, "bad")

    def case(files, want, extra=(), target=None, sizes_text="file_name,width,height\na.jpg,100,50\n"):
        shutil.rmtree(bad, ignore_errors=True)
        os.makedirs(os.path.join(bad, "labels"))
        for n, t in files.items():
            open(os.path.join(bad, "labels", n), "w").write(t)
        open(os.path.join(bad, "sizes.csv"), "w").write(sizes_text)
        open(os.path.join(bad, "dt.json"), "w").write("[]")
        r = run([stratum, "coco", os.path.join(bad, "labels"), target or os.path.join(bad, "dt.json"), "--classes",
                 classes, "--image-sizes", os.path.join(bad, "sizes.csv"), *extra], expect=1)
        if want not in r.stderr:
            sys.exit(f"FAIL: bad input {files}: {r.stderr!r} does not say {want!r}")

    lab = os.path.join(bad, "labels")
    case({"a.txt": "0 0.5 0.5 0.1 0.1\n10 0.5 0.5 0.1 0.1"},
         f"{lab}/a.txt: line 2: class: '10' is not a class index in [0, 10)")
    case({"a.txt": "2 0.5 1.2 0.1 0.1\n"},
         f"{lab}/a.txt: line 1: cy: 1.2 is outside [0, 1] (YOLO coordinates are divided by the image size)")
    case({"a.txt": "2 0.5 0.5 0.1\n"}, f"{lab}/a.txt: line 1: 4 fields, expected 5 (class cx cy w h)")
    case({"a.txt": "2 0.5 0.5 0.1 x\n"}, f"{lab}/a.txt: line 1: h: 'x' is not a finite number")
    case({"a.txt": "", "b.txt": "1 0.5 0.5 0.1 0.1\n"},
         f"{lab}/b.txt: no size for image 'b' in {bad}/sizes.csv (YOLO boxes are divided by the image size)")
    case({"a.txt": ""}, f"{bad}/sizes.csv: line 2 (column width): '-100' is not a positive number",
         sizes_text="file_name,width,height\na.jpg,-100,50\n")
    shutil.rmtree(os.path.join(work, "badpred"), ignore_errors=True)
    os.makedirs(os.path.join(work, "badpred"))
    open(os.path.join(work, "badpred", "zz.txt"), "w").write("1 0.5 0.5 0.1 0.1 0.9\n")
    case({"a.txt": ""}, f"{work}/badpred/zz.txt: the ground truth has no image 'zz'", target=os.path.join(work, "badpred"))
    open(os.path.join(work, "badpred", "zz.txt"), "w").write("1 0.5 0.5 0.1 0.1\n")
    os.rename(os.path.join(work, "badpred", "zz.txt"), os.path.join(work, "badpred", "a.txt"))
    case({"a.txt": ""}, f"{work}/badpred/a.txt: line 1: 5 fields, expected 6 (class cx cy w h score)",
         target=os.path.join(work, "badpred"))
    print("bad input: 8 refusals, each naming its file, line and field")
    print("OK")


if __name__ == "__main__":
    main()
