#!/usr/bin/python3
"""Image sizes from file headers (io/image_size.hpp, `--images DIR` for YOLO labels) against Pillow (Debian's
python3-pil), which opens every file and reports its size.

Writes random images with Pillow: PNG (grey, RGB, RGBA, palette, interlaced), JPEG (baseline, progressive,
optimised, with restart markers, with an EXIF segment and with a 100 KB ICC profile so the start-of-frame lies
beyond the first 64 KiB read), GIF, BMP, WebP (lossy, lossless, and extended with EXIF), upper-case
extensions too, at random sizes from 1 to 5,000 pixels a side plus a few extremes; puts a YOLO label file beside
each; and checks that the frames `stratum convert LABELS DT --classes C --images DIR` writes carry Pillow's
width and height for every image, and their boxes scaled by them. Then refusals: a file that is no image, a
truncated PNG, a JPEG cut before its frame header, two images with one stem.

usage: image_size_check.py STRATUM WORK_DIR
"""
import io
import json
import os
import random
import shutil
import sys

from PIL import Image

from check_common import run


def write_images(d, rng):
    made = []

    def size():
        return rng.randint(1, 5000) if rng.random() < 0.3 else rng.randint(1, 300), rng.randint(1, 300)

    def img(mode, wh):
        im = Image.new(mode, wh)
        if mode in ("RGB", "L") and wh[0] * wh[1] <= 90000:
            im.putdata([tuple(rng.randrange(256) for _ in range(3)) if mode == "RGB" else rng.randrange(256)
                        for _ in range(wh[0] * wh[1])])
        return im

    n = 0
    for k in range(120):
        w, h = size()
        if rng.random() < 0.5:
            w, h = h, w
        kind = k % 12
        name = f"img{n:04d}"
        n += 1
        if kind == 0:
            img(rng.choice(["L", "RGB", "RGBA"]), (w, h)).save(os.path.join(d, name + ".png"))
            ext = ".png"
        elif kind == 1:
            img("P", (w, h)).save(os.path.join(d, name + ".png"), interlace=1)
            ext = ".png"
        elif kind == 2:
            img("RGB", (w, h)).save(os.path.join(d, name + ".jpg"), quality=rng.randint(20, 95))
            ext = ".jpg"
        elif kind == 3:
            img("RGB", (w, h)).save(os.path.join(d, name + ".jpeg"), progressive=True, optimize=True)
            ext = ".jpeg"
        elif kind == 4:
            img("L", (w, h)).save(os.path.join(d, name + ".JPG"), restart_marker_blocks=1)
            ext = ".JPG"
        elif kind == 5:
            exif = Image.Exif()
            exif[0x0112] = 6  # orientation: the stored size is reported, not the rotated one
            exif[0x010E] = "x" * 5000
            img("RGB", (w, h)).save(os.path.join(d, name + ".jpg"), exif=exif.tobytes())
            ext = ".jpg"
        elif kind == 6:
            img("RGB", (w, h)).save(os.path.join(d, name + ".jpg"), icc_profile=bytes(rng.randrange(256) for _ in range(100000)))
            ext = ".jpg"
        elif kind == 7:
            img("P", (w, h)).save(os.path.join(d, name + ".gif"))
            ext = ".gif"
        elif kind == 8:
            img(rng.choice(["RGB", "L", "1"]), (w, h)).save(os.path.join(d, name + ".bmp"))
            ext = ".bmp"
        elif kind == 9:
            img("RGB", (min(w, 16383), min(h, 16383))).save(os.path.join(d, name + ".webp"), quality=50)
            ext = ".webp"
        elif kind == 10:
            img("RGBA", (min(w, 16383), min(h, 16383))).save(os.path.join(d, name + ".WEBP"), lossless=True)
            ext = ".WEBP"
        else:
            exif = Image.Exif()
            exif[0x010E] = "stratum"
            img("RGB", (min(w, 16383), min(h, 16383))).save(os.path.join(d, name + ".webp"), exif=exif.tobytes())
            ext = ".webp"
        made.append(name + ext)
    # extremes: 1x1, a long thin PNG, a wide JPEG
    for wh, ext in (((1, 1), ".png"), ((1, 1), ".jpg"), ((65500, 2), ".png"), ((12000, 3), ".jpg"), ((1, 1), ".webp")):
        name = f"img{n:04d}"
        n += 1
        img("RGB", wh).save(os.path.join(d, name + ext))
        made.append(name + ext)
    return made


def main():
    stratum, work = sys.argv[1:3]
    shutil.rmtree(work, ignore_errors=True)
    images, labels = os.path.join(work, "images"), os.path.join(work, "labels")
    os.makedirs(images)
    os.makedirs(labels)
    rng = random.Random(20261207)
    made = write_images(images, rng)
    truth = {}
    for name in made:
        with Image.open(os.path.join(images, name)) as im:
            truth[os.path.splitext(name)[0]] = (name, im.size, im.format)
        with open(os.path.join(labels, os.path.splitext(name)[0] + ".txt"), "w") as f:
            f.write("0 0.5 0.5 0.25 0.5\n")
    open(os.path.join(work, "classes.txt"), "w").write("thing\n")
    open(os.path.join(work, "dt.json"), "w").write("[]")
    out = os.path.join(work, "frames.jsonl")
    run([stratum, "convert", labels, os.path.join(work, "dt.json"), "--classes", os.path.join(work, "classes.txt"),
         "--images", images, "-o", out])
    frames = [json.loads(l) for l in open(out).read().splitlines()[1:]]
    stems = sorted(truth)
    if len(frames) != len(stems):
        sys.exit(f"FAIL: {len(frames)} frames for {len(stems)} images")
    formats = {}
    for f, stem in zip(frames, stems):
        name, (w, h), fmt = truth[stem]
        if (f["width"], f["height"]) != (w, h):
            sys.exit(f"FAIL: {name} ({fmt}): stratum reads {f['width']}x{f['height']}, Pillow {w}x{h}")
        box = f["gt"][0]["bbox"]
        want = [0.5 * w - 0.125 * w, 0.5 * h - 0.25 * h, 0.25 * w, 0.5 * h]
        if any(abs(a - b) > 1e-9 * max(1, abs(b)) for a, b in zip(box, want)):
            sys.exit(f"FAIL: {name}: box {box}, expected {want}")
        formats[fmt] = formats.get(fmt, 0) + 1
    print(f"sizes: {len(frames)} images equal to Pillow's ({', '.join(f'{k} {v}' for k, v in sorted(formats.items()))})")

    # refusals
    bad = os.path.join(work, "bad")

    def refused(files, want):
        shutil.rmtree(bad, ignore_errors=True)
        os.makedirs(os.path.join(bad, "images"))
        os.makedirs(os.path.join(bad, "labels"))
        for n, data in files.items():
            open(os.path.join(bad, "images", n), "wb").write(data)
            open(os.path.join(bad, "labels", os.path.splitext(n)[0] + ".txt"), "w").write("")
        r = run([stratum, "convert", os.path.join(bad, "labels"), os.path.join(work, "dt.json"), "--classes",
                 os.path.join(work, "classes.txt"), "--images", os.path.join(bad, "images")], expect=1)
        if want not in r.stderr:
            sys.exit(f"FAIL: refusal: {r.stderr!r} does not say {want!r}")

    png = io.BytesIO()
    Image.new("RGB", (7, 5)).save(png, "PNG")
    jpg = io.BytesIO()
    Image.new("RGB", (7, 5)).save(jpg, "JPEG", icc_profile=b"\0" * 1000)
    sof = jpg.getvalue().index(b"\xff\xc0")
    img_dir = os.path.join(bad, "images")
    refused({"a.png": b"hello, not an image"}, f"{img_dir}/a.png: not a PNG, JPEG, GIF, BMP or WebP file")
    refused({"a.png": png.getvalue()[:20]}, f"{img_dir}/a.png: PNG header cut short (20 bytes)")
    refused({"a.jpg": jpg.getvalue()[:sof]}, f"{img_dir}/a.jpg: JPEG without a start-of-frame marker")
    refused({"a.jpg": jpg.getvalue(), "a.png": png.getvalue()}, "another image has the stem 'a'")
    print("refusals: 4, each naming the file")
    print("OK")


if __name__ == "__main__":
    main()
