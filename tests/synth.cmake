# Tests of the synthetic dataset generator stratum_synth (tools/synth.cpp, docs/generator.md):
#   - determinism: two runs with the same arguments give byte-identical files, another seed gives other files,
#     and the files of a fixed run have fixed SHA-256 digests (same bytes on every machine and compiler);
#   - argument validation: every bad command line exits with status 2 and a message naming the problem;
#   - validity: the COCO ground truth, the COCO results and the JSONL frame stream are well-formed and
#     consistent with each other, and have the properties the detector model promises (docs/generator.md);
#   - the --coco-val preset has the stated scale.
# The checks are in synth_check.py, written into the build tree below.

if(NOT TARGET stratum_synth)
  return()
endif()

set(synth_dir ${CMAKE_CURRENT_BINARY_DIR}/synth)
set(synth_check ${CMAKE_CURRENT_BINARY_DIR}/synth_check.py)
foreach(d a b c one coco_val io emb emb_shift)
  file(MAKE_DIRECTORY ${synth_dir}/${d})
endforeach()

file(WRITE ${synth_check} [=[
"""Checks of stratum_synth output (generated from tests/synth.cmake).

  synth_check.py valid GT DT [--jsonl F] [--categories K] [--coco-val] [--model]
  synth_check.py differ A B
  synth_check.py digest FILE SHA256
  synth_check.py usage-error EXPECTED_STATUS MESSAGE_PART -- PROGRAM ARGS...
"""
import collections
import hashlib
import json
import subprocess
import sys

WEATHER = {"clear", "overcast", "rain", "snow", "fog"}
TIMEOFDAY = {"day", "dusk", "night"}
RIG = {"rig_a", "rig_b", "rig_c"}
PROVENANCE = {"real", "synthetic", "augmented"}
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


def inside(b, w, h):
    # boxes are printed with 2 decimals: allow for the binary rounding of x + w only
    return b[0] >= 0 and b[1] >= 0 and b[2] > 0 and b[3] > 0 and b[0] + b[2] <= w + 1e-6 and b[1] + b[3] <= h + 1e-6


def iou(a, b):
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def valid(args):
    gt_path, dt_path = args[0], args[1]
    opts = args[2:]
    jsonl = opts[opts.index("--jsonl") + 1] if "--jsonl" in opts else None
    ncat = int(opts[opts.index("--categories") + 1]) if "--categories" in opts else None
    coco_val = "--coco-val" in opts
    model = "--model" in opts
    with open(gt_path) as f:
        gt = json.load(f)
    with open(dt_path) as f:
        dt = json.load(f)

    # Ground truth structure.
    for key in ("images", "annotations", "categories"):
        check(isinstance(gt.get(key), list), f"gt has no list '{key}'")
    images = {}
    for i, im in enumerate(gt["images"]):
        where = f"images[{i}]"
        check(isinstance(im.get("id"), int) and im["id"] not in images, f"{where}: missing or duplicate id")
        check(isinstance(im.get("width"), int) and im["width"] > 0, f"{where}: bad width")
        check(isinstance(im.get("height"), int) and im["height"] > 0, f"{where}: bad height")
        at = im.get("attributes", {})
        check(set(at) == {"weather", "timeofday", "rig"}, f"{where}: attributes {at}")
        check(at.get("weather") in WEATHER and at.get("timeofday") in TIMEOFDAY and at.get("rig") in RIG,
              f"{where}: attribute values {at}")
        check(im.get("provenance") in PROVENANCE, f"{where}: provenance {im.get('provenance')}")
        images[im["id"]] = im
    cats = {}
    for i, c in enumerate(gt["categories"]):
        check(isinstance(c.get("id"), int) and c["id"] not in cats, f"categories[{i}]: missing or duplicate id")
        check(isinstance(c.get("name"), str) and c["name"], f"categories[{i}]: no name")
        cats[c["id"]] = c
    check(len({c["name"] for c in cats.values()}) == len(cats), "category names are not unique")
    if ncat is not None:
        check(len(cats) == ncat, f"{len(cats)} categories, expected {ncat}")
    if len(cats) >= 9:
        check(max(cats) > len(cats), f"category ids are contiguous: {sorted(cats)}")
    for i, a in enumerate(gt["annotations"]):
        where = f"annotations[{i}]"
        check(set(a) == {"id", "image_id", "category_id", "bbox", "area", "iscrowd"}, f"{where}: keys {sorted(a)}")
        check(a["id"] == i + 1, f"{where}: id {a['id']}, expected {i + 1} (unique, from 1)")
        im = images.get(a["image_id"])
        if not check(im is not None, f"{where}: unknown image {a['image_id']}"):
            continue
        check(a["category_id"] in cats, f"{where}: unknown category {a['category_id']}")
        b = a["bbox"]
        check(len(b) == 4 and inside(b, im["width"], im["height"]), f"{where}: bbox {b} outside {im['width']}x{im['height']}")
        box_area = b[2] * b[3]
        check(0.7 * box_area - 0.006 <= a["area"] <= box_area + 0.006, f"{where}: area {a['area']} vs w*h {box_area}")
        check(a["iscrowd"] in (0, 1), f"{where}: iscrowd {a['iscrowd']}")
    anns = gt["annotations"]
    check(sum(a["area"] != a["bbox"][2] * a["bbox"][3] for a in anns) > 0.9 * len(anns), "area is mostly w*h")
    crowd = [a for a in anns if a["iscrowd"]]
    plain = [a for a in anns if not a["iscrowd"]]
    crowd_fraction = len(crowd) / max(len(anns), 1)
    lo, hi = (0.008, 0.012) if coco_val else (0.004, 0.02)
    check(lo <= crowd_fraction <= hi, f"crowd fraction {crowd_fraction:.4f} outside [{lo}, {hi}]")
    check(sum(a["area"] >= 96 * 96 for a in crowd) >= 0.6 * len(crowd), "crowd regions are not mostly large")
    sizes = collections.Counter("small" if a["area"] < 32 ** 2 else "medium" if a["area"] < 96 ** 2 else "large"
                                for a in plain)
    for s in ("small", "medium", "large"):
        check(sizes[s] >= 0.15 * len(plain), f"size mix: {dict(sizes)}")
    gt_by_image = collections.defaultdict(list)
    for a in anns:
        gt_by_image[a["image_id"]].append(a)
    check(any(i not in gt_by_image for i in images), "no image without ground truth")
    # annotations are grouped by image, in the images' order (the JSONL stream relies on it)
    order = {im["id"]: k for k, im in enumerate(gt["images"])}
    check(all(order[anns[k]["image_id"]] <= order[anns[k + 1]["image_id"]] for k in range(len(anns) - 1)),
          "annotations are not grouped by image in image order")

    # Detections.
    check(isinstance(dt, list) and dt, "dt is not a non-empty list")
    dt_by_image = collections.defaultdict(list)
    for i, d in enumerate(dt):
        where = f"dt[{i}]"
        check(set(d) == {"image_id", "category_id", "bbox", "score"}, f"{where}: keys {sorted(d)}")
        im = images.get(d["image_id"])
        if not check(im is not None, f"{where}: image {d['image_id']} not in the ground truth"):
            continue
        check(d["category_id"] in cats, f"{where}: unknown category {d['category_id']}")
        check(len(d["bbox"]) == 4 and inside(d["bbox"], im["width"], im["height"]), f"{where}: bbox {d['bbox']}")
        check(0 < d["score"] <= 1, f"{where}: score {d['score']}")
        dt_by_image[d["image_id"]].append(d)
    check(any(i not in dt_by_image for i in images), "no image without detections")
    two_decimals = sum(round(d["score"], 2) == d["score"] for d in dt) / len(dt)
    check(two_decimals >= 0.1, f"only {two_decimals:.3f} of the scores have two decimals (ties)")
    tied = collections.Counter((d["category_id"], d["score"]) for d in dt)
    check(sum(n > 1 for n in tied.values()) > 0, "no score ties within a category")
    check(max(len(v) for v in dt_by_image.values()) > 100 or len(images) < 1000, "no image with > 100 detections")

    # JSONL frame stream: the same data, one frame per line, same order.
    if jsonl is not None:
        with open(jsonl) as f:
            lines = f.read().split("\n")
        check(lines[-1] == "", "JSONL does not end with a newline")
        lines = lines[:-1]
        check(len(lines) == len(gt["images"]), f"{len(lines)} JSONL lines for {len(gt['images'])} images")
        for k, (line, im) in enumerate(zip(lines, gt["images"])):
            fr = json.loads(line)
            where = f"JSONL line {k + 1}"
            check(list(fr) == ["frame_id", "attributes", "provenance", "width", "height", "gt", "dt"],
                  f"{where}: keys {list(fr)}")
            check(fr["frame_id"] == im["id"] and fr["attributes"] == im["attributes"]
                  and fr["provenance"] == im["provenance"] and fr["width"] == im["width"]
                  and fr["height"] == im["height"], f"{where}: frame header differs from image {im['id']}")
            want_gt = [{k2: v for k2, v in a.items() if k2 != "image_id"} for a in gt_by_image.get(im["id"], [])]
            want_dt = [{k2: v for k2, v in d.items() if k2 != "image_id"} for d in dt_by_image.get(im["id"], [])]
            check(fr["gt"] == want_gt, f"{where}: gt differs from the COCO annotations of image {im['id']}")
            check(fr["dt"] == want_dt, f"{where}: dt differs from the COCO results of image {im['id']}")
            if fr["gt"]:
                check(list(fr["gt"][0]) == ["id", "category_id", "bbox", "area", "iscrowd"], f"{where}: gt keys")
            if fr["dt"]:
                check(list(fr["dt"][0]) == ["category_id", "bbox", "score"], f"{where}: dt keys")

    # The detector model (docs/generator.md): recall at IoU 0.5 falls in adverse conditions and for small
    # objects; true positives are jittered (IoU mostly 0.5-0.95); duplicates, localisation errors, class
    # confusion, background false positives and detections inside crowd regions all occur.
    if model:
        hits = collections.defaultdict(lambda: [0, 0])
        scores = collections.defaultdict(list)  # score of the best-matching detection of each found object
        matched_iou = []
        dup = loc = confused = inside_crowd = 0
        for iid, gts in gt_by_image.items():
            dts = dt_by_image.get(iid, [])
            at = images[iid]["attributes"]
            for g in gts:
                if g["iscrowd"]:
                    gx, gy, gw, gh = g["bbox"]
                    inside_crowd += sum(d["category_id"] == g["category_id"] and d["bbox"][0] >= gx
                                        and d["bbox"][1] >= gy and d["bbox"][0] + d["bbox"][2] <= gx + gw + 1e-6
                                        and d["bbox"][1] + d["bbox"][3] <= gy + gh + 1e-6 for d in dts)
                    continue
                pairs = sorted(((iou(g["bbox"], d["bbox"]), d["score"]) for d in dts
                                if d["category_id"] == g["category_id"]), reverse=True) or [(0.0, 0.0)]
                same = [p[0] for p in pairs]
                best = same[0]
                hit = best >= 0.5
                size = "small" if g["area"] < 32 ** 2 else "medium" if g["area"] < 96 ** 2 else "large"
                for key in (("weather", at["weather"]), ("timeofday", at["timeofday"]), ("rig", at["rig"]),
                            ("size", size)):
                    hits[key][0] += hit
                    hits[key][1] += 1
                    if hit:
                        scores[key].append(pairs[0][1])
                if hit:
                    matched_iou.append(best)
                    dup += len(same) > 1 and same[1] >= 0.5
                else:
                    loc += 0.1 < best < 0.5
                    confused += any(d["category_id"] != g["category_id"] and iou(g["bbox"], d["bbox"]) >= 0.7
                                    for d in dts)
        rate = {k: v[0] / v[1] for k, v in hits.items() if v[1]}
        print("recall at IoU 0.5:", {f"{k[0]}={k[1]}": round(v, 3) for k, v in sorted(rate.items())})
        for worse, better in ((("weather", "fog"), ("weather", "clear")), (("weather", "rain"), ("weather", "clear")),
                              (("weather", "snow"), ("weather", "clear")), (("timeofday", "night"), ("timeofday", "day")),
                              (("timeofday", "dusk"), ("timeofday", "day")), (("rig", "rig_c"), ("rig", "rig_a")),
                              (("size", "small"), ("size", "medium")), (("size", "medium"), ("size", "large"))):
            check(rate[worse] < rate[better] - 0.03,
                  f"recall {worse[0]}={worse[1]} {rate[worse]:.3f} not below {better[1]} {rate[better]:.3f}")
            if worse[0] != "size":
                sw, sb = (sum(scores[k]) / len(scores[k]) for k in (worse, better))
                check(sw < sb - 0.02, f"true-positive score {worse[0]}={worse[1]} {sw:.3f} not below {better[1]} {sb:.3f}")
        core = sum(0.5 <= x <= 0.95 for x in matched_iou) / len(matched_iou)
        check(core >= 0.85, f"only {core:.3f} of the true positives have IoU in [0.5, 0.95]")
        check(sum(x < 0.95 for x in matched_iou) >= 0.8 * len(matched_iou), "true positives are not jittered")
        background = sum(all(iou(d["bbox"], g["bbox"]) < 0.1 for g in gt_by_image.get(iid, []))
                         for iid, ds in dt_by_image.items() for d in ds)
        print(f"duplicates {dup}, localisation errors {loc}, confusions {confused}, background {background}, "
              f"inside crowd {inside_crowd}")
        check(dup > 0.02 * len(matched_iou), f"too few duplicates: {dup}")
        check(loc > 0.02 * len(plain), f"too few localisation errors: {loc}")
        check(confused > 0.01 * len(matched_iou), f"too few class confusions: {confused}")
        check(background > 0.5 * len(dt), f"too few background false positives: {background}")
        check(inside_crowd >= len(crowd), f"too few detections inside crowd regions: {inside_crowd}")

    if coco_val:
        check(len(images) == 5000, f"{len(images)} images, expected 5000")
        check(len(cats) == 80, f"{len(cats)} categories, expected 80")
        check(40000 <= len(anns) <= 46000, f"{len(anns)} ground-truth boxes, expected about 43000")
        check(240000 <= len(dt) <= 280000, f"{len(dt)} detections, expected about 260000")
    print(f"images {len(images)}, categories {len(cats)}, gt {len(anns)} (crowd {len(crowd)}, "
          f"{100 * crowd_fraction:.2f}%), dt {len(dt)}, sizes {dict(sizes)}")
    finish()


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "valid":
        valid(args)
    elif mode == "differ":
        with open(args[0], "rb") as a, open(args[1], "rb") as b:
            check(a.read() != b.read(), f"{args[0]} and {args[1]} are identical")
        finish()
    elif mode == "digest":
        with open(args[0], "rb") as f:
            got = hashlib.sha256(f.read()).hexdigest()
        check(got == args[1], f"{args[0]}: sha256 {got}, expected {args[1]}")
        finish()
    elif mode == "usage-error":
        status, part, program = int(args[0]), args[1], args[3:]
        assert args[2] == "--"
        r = subprocess.run(program, capture_output=True, text=True, timeout=60)
        check(r.returncode == status, f"exit status {r.returncode}, expected {status}; stderr: {r.stderr!r}")
        check(r.stderr.startswith("stratum_synth: error: "), f"stderr does not start with the error: {r.stderr!r}")
        check(part in r.stderr, f"stderr does not mention {part!r}: {r.stderr!r}")
        print(r.stderr.strip())
        finish()
    else:
        sys.exit(f"unknown mode {mode}")


main()
]=])

set(synth $<TARGET_FILE:stratum_synth>)

# Runs a (fixture) generation into ${synth_dir}/<dir>.
function(synth_generate name dir)
  add_test(NAME synth_gen_${name} COMMAND ${synth} ${ARGN}
           --gt ${synth_dir}/${dir}/gt.json --dt ${synth_dir}/${dir}/dt.json --jsonl ${synth_dir}/${dir}/frames.jsonl)
  set_tests_properties(synth_gen_${name} PROPERTIES FIXTURES_SETUP fx_synth_${name})
endfunction()

synth_generate(a a --images 2000 --seed 7)
synth_generate(b b --images 2000 --seed 7)
synth_generate(c c --images 2000 --seed 8)
synth_generate(one one --images 600 --seed 3 --categories 1)
synth_generate(coco_val coco_val --coco-val --seed 1)

# Determinism: same arguments, same bytes; another seed, other bytes.
foreach(f gt.json dt.json frames.jsonl)
  string(REPLACE "." "_" fname ${f})
  add_test(NAME synth_same_seed_same_${fname}
           COMMAND ${CMAKE_COMMAND} -E compare_files ${synth_dir}/a/${f} ${synth_dir}/b/${f})
  set_tests_properties(synth_same_seed_same_${fname} PROPERTIES FIXTURES_REQUIRED "fx_synth_a;fx_synth_b")
  add_test(NAME synth_other_seed_differs_${fname}
           COMMAND ${STRATUM_PYTHON} ${synth_check} differ ${synth_dir}/a/${f} ${synth_dir}/c/${f})
  set_tests_properties(synth_other_seed_differs_${fname} PROPERTIES FIXTURES_REQUIRED "fx_synth_a;fx_synth_c")
endforeach()

# Same bytes on every machine: the generator uses integer arithmetic only (no libm, no FMA contraction, no
# std distributions), so these digests hold for any platform and compiler. They change only when the model
# changes, which must also bump model_version in tools/synth.cpp (written into the ground truth's "info").
set(synth_digest_gt.json e6741e2974721100535e5b4a1e518eafe69deb95e64f1ceefaaa9e0f8e7d8a53)
set(synth_digest_dt.json 633cb75075d5b61f7727d3d9dd1efab793d43d68fc1c84ce8b37743843acb220)
set(synth_digest_frames.jsonl 9ab79be154c809a54b1b77a88960ab9b81072398559b1de64cfb13b4d00bc427)
foreach(f gt.json dt.json frames.jsonl)
  string(REPLACE "." "_" fname ${f})
  add_test(NAME synth_digest_${fname}
           COMMAND ${STRATUM_PYTHON} ${synth_check} digest ${synth_dir}/a/${f} ${synth_digest_${f}})
  set_tests_properties(synth_digest_${fname} PROPERTIES FIXTURES_REQUIRED fx_synth_a)
endforeach()

# Validity of the files, consistency of the JSONL stream with the COCO files, the detector model.
add_test(NAME synth_valid_default
         COMMAND ${STRATUM_PYTHON} ${synth_check} valid ${synth_dir}/a/gt.json ${synth_dir}/a/dt.json
                 --jsonl ${synth_dir}/a/frames.jsonl --categories 10 --model)
set_tests_properties(synth_valid_default PROPERTIES FIXTURES_REQUIRED fx_synth_a)
add_test(NAME synth_valid_one_category
         COMMAND ${STRATUM_PYTHON} ${synth_check} valid ${synth_dir}/one/gt.json ${synth_dir}/one/dt.json
                 --jsonl ${synth_dir}/one/frames.jsonl --categories 1)
set_tests_properties(synth_valid_one_category PROPERTIES FIXTURES_REQUIRED fx_synth_one)
add_test(NAME synth_valid_coco_val
         COMMAND ${STRATUM_PYTHON} ${synth_check} valid ${synth_dir}/coco_val/gt.json ${synth_dir}/coco_val/dt.json
                 --jsonl ${synth_dir}/coco_val/frames.jsonl --categories 80 --coco-val --model)
set_tests_properties(synth_valid_coco_val PROPERTIES FIXTURES_REQUIRED fx_synth_coco_val)

add_test(NAME synth_help COMMAND ${synth} --help)
set_tests_properties(synth_help PROPERTIES PASS_REGULAR_EXPRESSION "usage: stratum_synth --images N")

# Argument validation: each bad command line must exit with status 2 (usage) and say what is wrong; an output
# that cannot be written exits with status 1. No file is needed, so the outputs point into ${synth_dir}/io.
set(io_gt --gt ${synth_dir}/io/gt.json)
set(io_dt --dt ${synth_dir}/io/dt.json)
function(synth_bad name status message)
  add_test(NAME synth_bad_${name}
           COMMAND ${STRATUM_PYTHON} ${synth_check} usage-error ${status} ${message} -- ${synth} ${ARGN})
endfunction()
synth_bad(no_arguments 2 "missing --images")
synth_bad(images_zero 2 "--images must be an integer from 1" --images 0 --seed 1 ${io_gt} ${io_dt})
synth_bad(images_negative 2 "--images must be an integer from 1" --images -5 --seed 1 ${io_gt} ${io_dt})
synth_bad(images_too_many 2 "--images must be an integer from 1" --images 10000001 --seed 1 ${io_gt} ${io_dt})
synth_bad(images_not_a_number 2 "--images expects an integer" --images abc --seed 1 ${io_gt} ${io_dt})
synth_bad(images_trailing_garbage 2 "--images expects an integer" --images 12x --seed 1 ${io_gt} ${io_dt})
synth_bad(images_empty 2 "--images must be an integer" --images= --seed 1 ${io_gt} ${io_dt})
synth_bad(images_missing_value 2 "--images needs a value" --seed 1 ${io_gt} ${io_dt} --images)
synth_bad(images_twice 2 "--images given twice" --images 5 --images 6 --seed 1 ${io_gt} ${io_dt})
synth_bad(seed_missing 2 "missing --seed" --images 5 ${io_gt} ${io_dt})
synth_bad(seed_negative 2 "--seed expects an integer" --images 5 --seed -1 ${io_gt} ${io_dt})
synth_bad(seed_too_large 2 "--seed must be an integer from 0" --images 5 --seed 18446744073709551616 ${io_gt} ${io_dt})
synth_bad(seed_float 2 "--seed expects an integer" --images 5 --seed 1.5 ${io_gt} ${io_dt})
synth_bad(categories_zero 2 "--categories must be an integer from 1" --images 5 --seed 1 --categories 0 ${io_gt} ${io_dt})
synth_bad(categories_too_many 2 "--categories must be an integer from 1" --images 5 --seed 1 --categories 1001 ${io_gt} ${io_dt})
synth_bad(gt_missing 2 "missing --gt" --images 5 --seed 1 ${io_dt})
synth_bad(dt_missing 2 "missing --dt" --images 5 --seed 1 ${io_gt})
synth_bad(gt_empty 2 "--gt needs a non-empty path" --images 5 --seed 1 --gt= ${io_dt})
synth_bad(same_paths 2 "must be different files" --images 5 --seed 1 ${io_gt} --dt ${synth_dir}/io/gt.json)
synth_bad(jsonl_same_as_dt 2 "must be different files" --images 5 --seed 1 ${io_gt} ${io_dt} --jsonl ${synth_dir}/io/dt.json)
synth_bad(unknown_option 2 "unknown argument '--imgs'" --imgs 5 --seed 1 ${io_gt} ${io_dt})
synth_bad(stray_argument 2 "unknown argument 'extra'" --images 5 --seed 1 ${io_gt} ${io_dt} extra)
synth_bad(coco_val_with_images 2 "--coco-val fixes 5000 images" --coco-val --images 5 --seed 1 ${io_gt} ${io_dt})
synth_bad(coco_val_with_categories 2 "--coco-val fixes 5000 images" --coco-val --categories 5 --seed 1 ${io_gt} ${io_dt})
synth_bad(coco_val_with_value 2 "--coco-val takes no value" --coco-val=1 --seed 1 ${io_gt} ${io_dt})
synth_bad(unwritable_output 1 "cannot open" --images 5 --seed 1 --gt ${synth_dir}/no/such/dir/gt.json ${io_dt})
synth_bad(detector_unknown 2 "--detector expects default or calibrated, got 'perfect'" --images 5 --seed 1 ${io_gt} ${io_dt} --detector perfect)
synth_bad(miscalibration_range 2 "--miscalibration expects a number from -1 to 1" --images 5 --seed 1 ${io_gt} ${io_dt} --miscalibration 1.5)
synth_bad(miscalibration_decimals 2 "with at most six decimals, got '0.1234567'" --images 5 --seed 1 ${io_gt} ${io_dt} --miscalibration 0.1234567)
synth_bad(ood_probes_negative 2 "--ood-probes expects a number from 0 to 1" --images 5 --seed 1 ${io_gt} ${io_dt} --ood-probes -0.1)
synth_bad(ood_probes_text 2 "--ood-probes expects a number from 0 to 1" --images 5 --seed 1 ${io_gt} ${io_dt} --ood-probes some)

# Embeddings (--embeddings D, --shift embedding): the COCO files are the same bytes, the stream the same frames
# with an embedding appended (tests/synth_embeddings.py).
synth_generate(emb emb --images 2000 --seed 7 --embeddings 8)
synth_generate(emb_shift emb_shift --images 2000 --seed 7 --embeddings 8 --shift embedding)
foreach(f gt.json dt.json)
  string(REPLACE "." "_" fname ${f})
  add_test(NAME synth_embeddings_same_${fname}
           COMMAND ${CMAKE_COMMAND} -E compare_files ${synth_dir}/a/${f} ${synth_dir}/emb/${f})
  set_tests_properties(synth_embeddings_same_${fname} PROPERTIES FIXTURES_REQUIRED "fx_synth_a;fx_synth_emb")
endforeach()
add_test(NAME synth_embeddings
         COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/synth_embeddings.py ${synth_dir}/a/frames.jsonl
                 ${synth_dir}/emb/frames.jsonl ${synth_dir}/emb_shift/frames.jsonl 8)
set_tests_properties(synth_embeddings PROPERTIES FIXTURES_REQUIRED "fx_synth_a;fx_synth_emb;fx_synth_emb_shift")
synth_bad(embeddings_without_jsonl 2 "--embeddings writes the JSONL stream's embeddings: give --jsonl PATH" --images 5 --seed 1 ${io_gt} ${io_dt} --embeddings 4)
synth_bad(embeddings_range 2 "--embeddings must be an integer from 1 to 256" --images 5 --seed 1 ${io_gt} ${io_dt} --embeddings 300)
synth_bad(shift_embedding_without 2 "--shift embedding moves the embeddings: give --embeddings D" --images 5 --seed 1 ${io_gt} ${io_dt} --jsonl ${synth_dir}/io/f.jsonl --shift embedding)
