#!/usr/bin/python3
"""BDD100K / Scalabel JSON through the command line, on real data (../shared/data/bdd100k_val200/).

The 200 BDD100K images are written here in BDD100K's own label format (Scalabel: a list of frames with name,
attributes {weather, timeofday, scene} and labels with box2d in inclusive pixels, x2 = x + w - 1), frames in a
shuffled order, with lane-like labels that carry no box2d and the class list given by --classes. Then:

1. `stratum convert` reads them into the ground truth of gt_coco.json: images in name order (gt_coco.json's
   order), the same boxes within the double rounding of x2 = x + w - 1, the frame attributes as scene attributes;
   the stderr report counts the labels without box2d.
2. Every slice of reference_slices_pycocotools.json (pycocotools on gt_coco.json) is reproduced with the frame
   attributes as the slicing keys, from the Scalabel ground truth with the COCO results file, and with the
   detections written as Scalabel predictions (labels with a score): the same images, the 12 numbers within 1e-12.
3. The format is recognised from the keys and --format scalabel names it; --format coco on the same file is
   refused with what was found.
4. `stratum convert --to coco|scalabel|yolo|voc` writes gt_coco.json and the detections in each format, and the
   reference slices come out of each written copy again (the slicing attributes carried by the format: COCO and
   Scalabel hold them; the YOLO and VOC copies get them from the attribute table the source ships).

usage: scalabel_check.py STRATUM SHARED_DIR WORK_DIR
"""
import json
import os
import random
import shutil
import sys

from check_common import run


def main():
    stratum, shared, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    cdir = os.path.join(shared, "data", "bdd100k_val200")
    gt = json.load(open(os.path.join(cdir, "gt_coco.json")))
    dt_json = os.path.join(cdir, "dt_synthetic_seed20240601.json")
    dts = json.load(open(dt_json))
    cats = {c["id"]: c["name"] for c in gt["categories"]}
    classes = os.path.join(work, "classes.txt")
    with open(classes, "w") as f:
        f.write("".join(cats[k] + "\n" for k in sorted(cats)))

    anns, dets = {}, {}
    for a in gt["annotations"]:
        anns.setdefault(a["image_id"], []).append(a)
    for d in dts:
        dets.setdefault(d["image_id"], []).append(d)

    def box2d(b):
        x, y, w, h = b
        return {"x1": x, "y1": y, "x2": x + w - 1, "y2": y + h - 1}

    rng = random.Random(20261207)
    frames, preds = [], []
    lanes = 0
    for im in gt["images"]:
        labels = [{"id": str(a["id"]), "category": cats[a["category_id"]], "box2d": box2d(a["bbox"]),
                   "attributes": {"occluded": False, "truncated": False, "crowd": bool(a.get("iscrowd", 0))}}
                  for a in anns.get(im["id"], [])]
        if rng.random() < 0.3:  # a lane marking: a poly2d label, not a box
            labels.insert(rng.randrange(len(labels) + 1),
                          {"id": f"lane{im['id']}", "category": "lane",
                           "poly2d": [{"vertices": [[0, 700], [600, 400]], "types": "LL", "closed": False}]})
            lanes += 1
        frames.append({"name": im["file_name"], "attributes": im["attributes"], "timestamp": 10000, "labels": labels})
        preds.append({"name": im["file_name"],
                      "labels": [{"id": str(k), "category": cats[d["category_id"]], "box2d": box2d(d["bbox"]),
                                  "score": d["score"]} for k, d in enumerate(dets.get(im["id"], []))]})
    rng.shuffle(frames)
    rng.shuffle(preds)
    gt_path, dt_path = os.path.join(work, "det_val.json"), os.path.join(work, "det_pred.json")
    json.dump(frames, open(gt_path, "w"))
    json.dump(preds, open(dt_path, "w"))

    # 1. the same ground truth
    out = os.path.join(work, "frames.jsonl")
    r = run([stratum, "convert", gt_path, dt_json, "--classes", classes, "-o", out])
    want_report = f"{len(frames)} frames, {len(gt['annotations'])} boxes; {lanes} labels without box2d"
    if want_report not in r.stderr:
        sys.exit(f"FAIL: the report says {r.stderr.strip()!r}, expected {want_report!r}")
    lines = open(out).read().splitlines()
    got = [json.loads(l) for l in lines[1:]]
    if [f["frame_id"] for f in got] != [im["id"] for im in gt["images"]]:
        sys.exit("FAIL: images not in gt_coco.json's (name) order")
    worst = 0.0
    for f, im in zip(got, gt["images"]):
        if f.get("attributes") != im["attributes"]:
            sys.exit(f"FAIL: frame {f['frame_id']}: attributes {f.get('attributes')} != {im['attributes']}")
        want = anns.get(im["id"], [])
        have = f.get("gt", [])
        if len(have) != len(want):
            sys.exit(f"FAIL: frame {f['frame_id']}: {len(have)} boxes, expected {len(want)}")
        for g, w in zip(have, want):
            if g["category_id"] != w["category_id"]:
                sys.exit(f"FAIL: frame {f['frame_id']}: class {g['category_id']} != {w['category_id']}")
            worst = max(worst, max(abs(p - q) for p, q in zip(g["bbox"], w["bbox"])))
    if worst > 1e-9:
        sys.exit(f"FAIL: box difference {worst} px")
    print(f"ground truth: {len(got)} frames in name order, {len(gt['annotations'])} boxes (largest difference "
          f"{worst:.2g} px), attributes as written; {lanes} labels without box2d reported")

    # 2. the reference slices
    ref = json.load(open(os.path.join(cdir, "reference_slices_pycocotools.json")))
    slicing = ["--slice-by", "weather,timeofday,scene", "--classes", classes]

    def check(doc, what):
        for name, want in ref.items():
            have = doc if name == "ALL" else doc["slices"].get(name)
            if have is None:
                sys.exit(f"FAIL ({what}): slice {name} missing")
            if have["n_images"] != want["n_images"]:
                sys.exit(f"FAIL ({what}): {name}: {have['n_images']} images, reference {want['n_images']}")
            for i, (a, b) in enumerate(zip(have["stats"], want["stats"])):
                if abs(a - b) > 1e-12:
                    sys.exit(f"FAIL ({what}): {name} stats[{i}] = {a!r}, reference {b!r}")
        return len(ref)

    n = check(json.loads(run([stratum, "coco", gt_path, dt_json, *slicing, "--json"]).stdout), "COCO results")
    check(json.loads(run([stratum, "coco", gt_path, dt_path, *slicing, "--json"]).stdout), "Scalabel predictions")
    check(json.loads(run([stratum, "coco", gt_path, dt_path, *slicing, "--format", "scalabel", "--json"]).stdout),
          "--format scalabel")
    print(f"reference slices: {n} of pycocotools' slices reproduced from the Scalabel file, with COCO results and "
          f"with Scalabel predictions ({len(dts)} detections)")

    # 3. a named format that does not fit
    r = run([stratum, "coco", gt_path, dt_json, "--format", "coco"], expect=1)
    if "det_val.json: (document): expected an object" not in r.stderr:
        sys.exit(f"FAIL: --format coco on a Scalabel file: {r.stderr.strip()!r}")
    odd = os.path.join(work, "odd.json")
    json.dump({"info": {}, "licenses": []}, open(odd, "w"))
    r = run([stratum, "coco", odd, dt_json], expect=1)
    if "odd.json: not a recognised ground-truth file (COCO or Scalabel JSON; keys: info, licenses); give --format" \
            not in r.stderr:
        sys.exit(f"FAIL: an unrecognised file: {r.stderr.strip()!r}")
    print("formats: recognised from the keys; a wrong --format and an unknown file refused by name")

    # 4. convert --to each format and evaluate the written copy
    gt_coco = os.path.join(cdir, "gt_coco.json")
    for to in ("coco", "scalabel", "yolo", "voc"):
        d = os.path.join(work, "to_" + to)
        shutil.rmtree(d, ignore_errors=True)
        run([stratum, "convert", gt_coco, dt_json, "--to", to, "-o", d])
        if to in ("yolo", "voc"):  # neither format has scene attributes: BDD100K's table gives them
            table = os.path.join(shared, "data", "bdd100k_val200_yolo", "attributes.csv")
            if to == "yolo":
                args = [os.path.join(d, "labels"), os.path.join(d, "predictions"), "--image-sizes",
                        os.path.join(d, "image_sizes.csv")]
            else:  # the VOC root (its Annotations/ is read) and the results files
                args = [d, os.path.join(d, "results")]
            args += ["--classes", os.path.join(d, "classes.txt"), "--attributes", table, "--attributes-key",
                     "file_name=name"]
            doc = json.loads(run([stratum, "coco", *args, "--slice-by", "weather,timeofday,scene", "--json"]).stdout)
            for k in list(doc["slices"]):  # the table spells partly_cloudy, city_street
                doc["slices"][k.replace("_", " ")] = doc["slices"][k]
        else:
            doc = json.loads(run([stratum, "coco", os.path.join(d, "gt.json"), os.path.join(d, "dt.json"),
                                  "--slice-by", "weather,timeofday,scene", "--json"]).stdout)
        check(doc, "convert --to " + to)
    print("convert: gt_coco.json and the detections written as COCO, Scalabel, YOLO and VOC give the reference "
          "slices")
    r = run([stratum, "convert", gt_coco, "--to", "kitti", "-o", os.path.join(work, "to_kitti")], expect=1)
    if "category 7 needs a name without white space (KITTI's type), other than DontCare" not in r.stderr:
        sys.exit(f"FAIL: --to kitti with 'traffic light': {r.stderr.strip()!r}")
    print("convert --to kitti: a class name with a space refused by name")
    print("OK")


if __name__ == "__main__":
    main()
