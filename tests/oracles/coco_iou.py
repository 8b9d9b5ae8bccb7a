"""Reference IoUs for test_coco_iou: pycocotools' bbIou (maskApi.c) evaluated in Python's IEEE-754 double
arithmetic, which rounds every product and sum separately (no fused multiply-add), in the C code's order."""
import random
import sys


def bb_iou(d, g, crowd):
    w = min(d[2] + d[0], g[2] + g[0]) - max(d[0], g[0])
    if w <= 0:
        return 0.0
    h = min(d[3] + d[1], g[3] + g[1]) - max(d[1], g[1])
    if h <= 0:
        return 0.0
    i = w * h
    da = d[2] * d[3]
    u = da if crowd else da + g[2] * g[3] - i
    return i / u


def main(out_dir):
    rng = random.Random(20261122)
    lines = []
    for case in range(3000):
        n_gt = rng.randint(0, 19)
        kind = case % 3
        def box():
            if kind == 0:  # 2-decimal pixel boxes, as in COCO files
                return [round(rng.uniform(0, 600), 2), round(rng.uniform(0, 400), 2),
                        round(rng.uniform(0, 200), 2), round(rng.uniform(0, 200), 2)]
            if kind == 1:  # arbitrary doubles
                return [rng.uniform(-5, 50), rng.uniform(-5, 50), rng.uniform(0, 30), rng.uniform(0, 30)]
            return [rng.randint(0, 20) / 4, rng.randint(0, 20) / 4, rng.randint(0, 12) / 4, rng.randint(0, 12) / 4]
        d = box()
        gts = [(box(), rng.random() < 0.2) for _ in range(n_gt)]
        fields = [repr(v) for v in d] + [str(n_gt)]
        for g, c in gts:
            fields += [repr(v) for v in g] + [str(int(c)), repr(bb_iou(d, g, c))]
        lines.append(" ".join(fields))
    with open(f"{out_dir}/coco_iou.txt", "w") as f:
        f.write("\n".join(lines) + "\n")


main(sys.argv[1])
