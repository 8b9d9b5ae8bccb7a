#!/usr/bin/env python3
"""Pascal VOC through the command line, against an independent reading of the same files.

1. A random VOC data set is written with Python's xml.etree (80 images, objects with random difficult and
   truncated flags, parts, elements in any order) and random VOC results files. Python reads it back with
   ElementTree and writes the COCO file a reader following detectron2's box rule gives ([xmin - 1, ymin - 1,
   xmax - xmin + 1, ymax - ymin + 1]), with each difficult object's area moved out of every area range, which is
   how pycocotools ignores an object (stratum coco is pycocotools' numbers on a COCO file). `stratum coco` on
   the VOC folder and results must give the numbers of `stratum coco` on that COCO file, pooled and per slice.
2. The same through a JSONL stream (`convert` carries the difficult flag as "ignore": 1), and with
   `--image-set` against the COCO file restricted to those images.
3. Refusals named: malformed XML (file and line), --image-set or --kitti-difficulty with another format,
   --format voc on a file; `convert --to coco` says the difficult objects become ordinary there.

usage: voc_check.py STRATUM WORK_DIR
"""
import json
import os
import random
import shutil
import sys
import xml.etree.ElementTree as ET

from check_common import run

CLASSES = ["car", "person", "traffic light"]


def main():
    stratum, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    root = os.path.join(work, "VOC")
    ann_dir = os.path.join(root, "Annotations")
    res_dir = os.path.join(work, "results")
    os.makedirs(ann_dir)
    os.makedirs(res_dir)
    rng = random.Random(20261207)
    classes_file = os.path.join(work, "classes.txt")
    with open(classes_file, "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    results = {c: [] for c in CLASSES}
    stems = [f"{i:06d}" for i in rng.sample(range(1, 999999), 80)]
    weather = {}
    n_objects = n_difficult = 0
    for stem in stems:
        w, h = rng.choice([(640, 480), (1280, 720), (500, 375)])
        a = ET.Element("annotation")
        ET.SubElement(a, "folder").text = "VOC"
        ET.SubElement(a, "filename").text = stem + ".jpg"
        size = ET.SubElement(a, "size")
        ET.SubElement(size, "width").text = str(w)
        ET.SubElement(size, "height").text = str(h)
        ET.SubElement(size, "depth").text = "3"
        boxes = []
        for _ in range(rng.randint(0, 9)):
            x1 = rng.randint(1, w - 2)
            y1 = rng.randint(1, h - 2)
            x2 = rng.randint(x1, min(w, x1 + rng.choice([8, 40, 200])))
            y2 = rng.randint(y1, min(h, y1 + rng.choice([8, 40, 200])))
            cls = rng.choice(CLASSES)
            difficult = rng.random() < 0.25
            o = ET.SubElement(a, "object")
            fields = [("name", cls), ("pose", "Unspecified"), ("truncated", str(int(rng.random() < 0.3))),
                      ("difficult", str(int(difficult)))]
            rng.shuffle(fields)
            for k, v in fields:
                ET.SubElement(o, k).text = (" " + v + "\n") if rng.random() < 0.2 else v
            b = ET.SubElement(o, "bndbox")
            coords = [("xmin", x1), ("ymin", y1), ("xmax", x2), ("ymax", y2)]
            rng.shuffle(coords)
            for k, v in coords:
                ET.SubElement(b, k).text = str(v)
            if rng.random() < 0.2:  # a part with a box of its own, which is not the object's
                p = ET.SubElement(o, "part")
                ET.SubElement(p, "name").text = "head"
                pb = ET.SubElement(p, "bndbox")
                for k in ("xmin", "ymin", "xmax", "ymax"):
                    ET.SubElement(pb, k).text = str(rng.randint(1, 50))
            boxes.append((cls, x1, y1, x2, y2))
            n_objects += 1
            n_difficult += difficult
        ET.ElementTree(a).write(os.path.join(ann_dir, stem + ".xml"), encoding="utf-8", xml_declaration=True)
        weather[stem] = rng.choice(["rain", "clear", "fog"])
        # detections: jittered copies of some objects, and false alarms
        for cls, x1, y1, x2, y2 in boxes:
            if rng.random() < 0.7:
                j = lambda v: v + rng.uniform(-3, 3)
                bx = sorted((j(x1), j(x2)))
                by = sorted((j(y1), j(y2)))
                results[cls].append((stem, round(rng.random(), 4), bx[0], by[0], bx[1], by[1]))
        for _ in range(rng.randint(0, 3)):
            x1, y1 = rng.uniform(1, w - 60), rng.uniform(1, h - 60)
            results[rng.choice(CLASSES)].append(
                (stem, round(rng.random(), 4), x1, y1, x1 + rng.uniform(5, 50), y1 + rng.uniform(5, 50)))
    n_dets = 0
    for cls, rows in results.items():
        with open(os.path.join(res_dir, f"comp4_det_test_{cls}.txt"), "w") as f:
            for r in rows:
                f.write(f"{r[0]} {r[1]!r} {r[2]!r} {r[3]!r} {r[4]!r} {r[5]!r}\n")
                n_dets += 1
    table = os.path.join(work, "scenes.csv")
    with open(table, "w") as f:
        f.write("file,weather\n" + "".join(f"{s}.jpg,{weather[s]}\n" for s in stems))

    # Python's own reading: ElementTree, detectron2's box rule, difficult objects out of every area range
    def coco_of(chosen):
        images, anns = [], []
        for i, stem in enumerate(sorted(chosen), 1):
            a = ET.parse(os.path.join(ann_dir, stem + ".xml")).getroot()
            size = a.find("size")
            images.append({"id": i, "file_name": a.find("filename").text, "width": int(size.find("width").text),
                           "height": int(size.find("height").text), "attributes": {"weather": weather[stem]}})
            for o in a.findall("object"):
                b = o.find("bndbox")
                x1, y1, x2, y2 = (float(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax"))
                bw, bh = x2 - x1 + 1, y2 - y1 + 1
                area = bw * bh if o.find("difficult").text.strip() == "0" else 1e11
                anns.append({"id": len(anns) + 1, "image_id": i, "category_id": CLASSES.index(o.find("name").text.strip()) + 1,
                             "bbox": [x1 - 1, y1 - 1, bw, bh], "area": area, "iscrowd": 0})
        by_stem = {s: i for i, s in enumerate(sorted(chosen), 1)}
        dts = []
        for cls, rows in results.items():
            for stem, score, x1, y1, x2, y2 in rows:
                if stem in by_stem:
                    dts.append({"image_id": by_stem[stem], "category_id": CLASSES.index(cls) + 1,
                                "bbox": [x1 - 1, y1 - 1, x2 - x1 + 1, y2 - y1 + 1], "score": score})
        cats = [{"id": i + 1, "name": c} for i, c in enumerate(CLASSES)]
        return {"images": images, "annotations": anns, "categories": cats}, dts

    def write_coco(chosen, name):
        gt, dt = coco_of(chosen)
        g, d = os.path.join(work, name + "_gt.json"), os.path.join(work, name + "_dt.json")
        json.dump(gt, open(g, "w"))
        json.dump(dt, open(d, "w"))
        return g, d

    def same(a, b, what):
        for key in ["ALL"] + sorted(b.get("slices", {})):
            x = a if key == "ALL" else a["slices"].get(key)
            y = b if key == "ALL" else b["slices"][key]
            if x is None:
                sys.exit(f"FAIL ({what}): slice {key} missing")
            if x["n_images"] != y["n_images"]:
                sys.exit(f"FAIL ({what}): {key}: {x['n_images']} images, expected {y['n_images']}")
            for i, (p, q) in enumerate(zip(x["stats"], y["stats"])):
                if abs(p - q) > 1e-12:
                    sys.exit(f"FAIL ({what}): {key} stats[{i}] = {p!r}, expected {q!r}")
        return 1 + len(b.get("slices", {}))

    slicing = ["--slice-by", "weather", "--json"]
    g, d = write_coco(stems, "all")
    want = json.loads(run([stratum, "coco", g, d, *slicing]).stdout)
    if not any(v >= 0 for v in want["stats"]):
        sys.exit("FAIL: the reference evaluation is empty")
    voc_args = ["--classes", classes_file, "--attributes", table, "--attributes-key", "file_name=file"]
    r = run([stratum, "coco", root, res_dir, *voc_args, *slicing])
    n = same(json.loads(r.stdout), want, "VOC folder")
    note = f"{ann_dir}: 80 annotation files, {n_objects} objects ({n_difficult} difficult"
    if note not in r.stderr:
        sys.exit(f"FAIL: the VOC summary line: {r.stderr!r} (expected {note!r})")
    for threads in ("1", "2"):
        same(json.loads(run([stratum, "coco", ann_dir, res_dir, "--format", "voc", "--threads", threads,
                             *voc_args, *slicing]).stdout), want, "--format voc --threads " + threads)
    print(f"VOC folder: {n_objects} objects ({n_difficult} difficult), {n_dets} detections; {n} evaluations "
          f"(pooled and per slice) equal those of Python's COCO reading with difficult objects out of every area "
          f"range")

    # 2. a JSONL stream carries the flags; an image set
    frames = os.path.join(work, "frames.jsonl")
    run([stratum, "convert", root, res_dir, *voc_args, "-o", frames])
    if '"ignore": 1, "difficult": 1' not in open(frames).read():
        sys.exit("FAIL: convert to JSONL lost the difficult flag")
    same(json.loads(run([stratum, "stream", frames, *slicing]).stdout), want, "VOC -> JSONL -> stream")
    subset = sorted(rng.sample(stems, 30))
    image_set = os.path.join(work, "test.txt")
    with open(image_set, "w") as f:
        f.write("".join(f"{s}  1\n" for s in subset))
    g2, d2 = write_coco(subset, "subset")
    want2 = json.loads(run([stratum, "coco", g2, d2, *slicing]).stdout)
    r = run([stratum, "coco", root, res_dir, "--image-set", image_set, *voc_args, "--attributes-missing", "skip"],
            expect=1)  # results for images outside the set are refused, as for any image the ground truth lacks
    if ": the ground truth has no image '" not in r.stderr:
        sys.exit(f"FAIL: results outside the image set: {r.stderr.strip()!r}")
    sub_res = os.path.join(work, "results_subset")
    os.makedirs(sub_res)
    for cls, rows in results.items():
        with open(os.path.join(sub_res, f"comp4_det_test_{cls}.txt"), "w") as f:
            f.writelines(f"{r[0]} {r[1]!r} {r[2]!r} {r[3]!r} {r[4]!r} {r[5]!r}\n" for r in rows if r[0] in subset)
    same(json.loads(run([stratum, "coco", root, sub_res, "--image-set", image_set, *voc_args, "--attributes-missing",
                         "skip", *slicing]).stdout), want2, "--image-set")
    print("JSONL stream and --image-set: the same numbers")

    # 3. refusals and notes
    bad = os.path.join(work, "bad")
    os.makedirs(bad)
    with open(os.path.join(bad, "000001.xml"), "w") as f:
        f.write("<annotation>\n<object><name>car</name>\n</annotation>\n")
    r = run([stratum, "coco", bad, res_dir, "--classes", classes_file], expect=1)
    if f"{bad}/000001.xml: line 3: not well-formed XML (mismatched tag)" not in r.stderr:
        sys.exit(f"FAIL: malformed XML: {r.stderr.strip()!r}")
    r = run([stratum, "coco", g, d, "--image-set", image_set], expect=2)
    if "--image-set goes with VOC labels, and " + g + " is read as coco" not in r.stderr:
        sys.exit(f"FAIL: --image-set on COCO: {r.stderr.strip()!r}")
    r = run([stratum, "coco", root, res_dir, "--classes", classes_file, "--kitti-difficulty", "hard"], expect=2)
    if "--kitti-difficulty goes with KITTI labels, and " + root + " is read as voc" not in r.stderr:
        sys.exit(f"FAIL: --kitti-difficulty on VOC: {r.stderr.strip()!r}")
    r = run([stratum, "coco", g, d, "--format", "voc"], expect=2)
    if g + " is a file: --format voc reads a directory of label files" not in r.stderr:
        sys.exit(f"FAIL: --format voc on a file: {r.stderr.strip()!r}")
    r = run([stratum, "convert", root, "--classes", classes_file, "--to", "coco", "-o", os.path.join(work, "c")])
    if f"{n_difficult} objects are flagged ignored (e.g. VOC's difficult), which coco cannot say" not in r.stderr:
        sys.exit(f"FAIL: convert --to coco note: {r.stderr.strip()!r}")
    print("refusals: malformed XML, --image-set / --kitti-difficulty / --format voc misplaced; --to coco says "
          "what becomes of difficult objects")

    # 4. a baseline records what was read: a VOC root's Annotations/ (its hash changes with a label) and the set
    def inputs_of():
        out = os.path.join(work, "base.stratum")
        run([stratum, "baseline", "freeze", root, sub_res, "--image-set", image_set, *voc_args,
             "--attributes-missing", "skip", "-o", out, "--no-timestamp"])
        show = run([stratum, "baseline", "show", out]).stdout
        return [line.split() for line in show.splitlines() if line.strip().startswith("input ")]
    before = inputs_of()
    gt_line = next(x for x in before if x[1:3] == ["ground", "truth"])
    size = sum(os.path.getsize(os.path.join(ann_dir, n)) for n in os.listdir(ann_dir))
    if gt_line[4] != str(size):
        sys.exit(f"FAIL: the ground truth's recorded size {gt_line[4]} is not that of Annotations/ ({size})")
    if not any(x[1:3] == ["image", "set"] for x in before):
        sys.exit(f"FAIL: the image set is not among the recorded inputs: {before}")
    xml = os.path.join(ann_dir, subset[0] + ".xml")
    with open(xml, "a") as f:
        f.write("<!-- edited -->\n")
    after = next(x for x in inputs_of() if x[1:3] == ["ground", "truth"])
    if after[-1] == gt_line[-1]:
        sys.exit("FAIL: editing a VOC label file left the recorded ground-truth hash unchanged")
    print("baseline inputs: a VOC root's Annotations/ hashed (an edited label changes it), the image set recorded")
    print("OK")


if __name__ == "__main__":
    main()
