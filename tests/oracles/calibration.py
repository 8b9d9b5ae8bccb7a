#!/usr/bin/env python3
"""Reference values for tests/calibration_test.cpp, written to the directory given as the only argument.

classification.txt  10,000 random (confidence, 0/1 target) sets with a bin count and strategy:
                    sklearn 1.2.1 calibration_curve (prob_true, prob_pred of the non-empty bins) and
                    brier_score_loss, statsmodels 0.13.5 proportion_confint(method='wilson') per non-empty bin,
                    and ECE, MCE, plug-in l2 and debiased l2 (Kumar et al. 2019) from an independent numpy
                    implementation of the documented formulas on sklearn's own bin assignment.
ace.txt             10,000 random (probabilities n x K, labels) sets: ACE (Nixon et al. 2019) in numpy, per-class
                    equal-mass ranges at numpy.percentile of the class's probabilities.
detection.txt       10,000 random detection sets: D-ECE (Kuppers et al. 2020) over confidence and a feature subset
                    (cx, cy, w, h) and LaECE (Oksuz et al. 2023), in numpy.

Bin rule everywhere: bin = numpy.searchsorted(edges[1:-1], value, side='left') (sklearn's), equal-width edges
numpy.linspace(0, 1, m + 1), equal-mass edges numpy.percentile(values, linspace(0, 1, m + 1) * 100).
"""
import math
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss
from statsmodels.stats.proportion import proportion_confint

assert sklearn.__version__ == "1.2.1", sklearn.__version__
out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
rng = np.random.default_rng(20240612)
warnings.simplefilter("ignore")


def fl(vs):
    return " ".join(repr(float(v)) for v in vs)


def log_uniform_int(lo, hi):
    return int(math.floor(math.exp(rng.uniform(math.log(lo), math.log(hi + 1)))))


def edges_for(values, m, strategy):
    if strategy == 0:
        return np.linspace(0.0, 1.0, m + 1)
    return np.percentile(values, np.linspace(0, 1, m + 1) * 100)


def bin_ids(values, edges):
    return np.searchsorted(edges[1:-1], values)  # side='left': right-closed bins


def per_bin(conf, target, ids, nbins):
    """count, mean confidence, mean target of every bin (NaN when empty)."""
    cnt = np.bincount(ids, minlength=nbins)
    sc = np.bincount(ids, weights=conf, minlength=nbins)
    st = np.bincount(ids, weights=target, minlength=nbins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cnt, sc / cnt, st / cnt


def ece_from(cnt, mc, mt):
    nz = cnt > 0
    w = cnt[nz] / cnt.sum()
    return float(np.sum(w * np.abs(mt[nz] - mc[nz])))


def random_confidences(n):
    kind = rng.integers(0, 6)
    if kind == 0:
        c = rng.uniform(0, 1, n)
    elif kind == 1:
        c = rng.beta(5, 1.5, n)  # mass near 1, like a classifier's top-label confidence
    elif kind == 2:
        c = np.round(rng.uniform(0, 1, n), 2)  # ties, and values exactly on decimal edges
    elif kind == 3:  # exact bin edges of linspace and of k/m, and the ends 0 and 1
        m = int(rng.integers(1, 25))
        grid = np.concatenate([np.linspace(0, 1, m + 1), np.arange(m + 1) / m, [0.0, 1.0]])
        c = rng.choice(grid, n)
    elif kind == 4:
        c = np.round(rng.beta(0.5, 0.5, n), 1)
    else:
        c = rng.uniform(0, 1, n) ** 3
    return np.clip(c, 0.0, 1.0)


def random_targets(c):
    kind = rng.integers(0, 3)
    if kind == 0:
        p = c
    elif kind == 1:
        p = c ** 2  # over-confident
    else:
        p = np.sqrt(c)
    return (rng.uniform(0, 1, c.size) < p).astype(float)


# ----------------------------------------------------------------------------------------------------------
# classification.txt
# ----------------------------------------------------------------------------------------------------------
with open(os.path.join(out_dir, "classification.txt"), "w") as fo:
    for case in range(10000):
        n = log_uniform_int(1, 500)
        m = int(rng.choice([1, 2, 3, 5, 10, 15, 20, 25, int(rng.integers(1, 60))]))
        strategy = int(rng.integers(0, 2))
        c = random_confidences(n)
        y = random_targets(c)
        prob_true, prob_pred = calibration_curve(y, c, n_bins=m, strategy="uniform" if strategy == 0 else "quantile")
        brier = brier_score_loss(y, c)
        edges = edges_for(c, m, strategy)
        ids = bin_ids(c, edges)
        cnt, mc, mt = per_bin(c, y, ids, m)
        nz = cnt > 0
        gaps = np.abs(mt[nz] - mc[nz])
        w = cnt[nz] / n
        ece = float(np.sum(w * gaps))
        mce = float(np.max(gaps))
        l2 = math.sqrt(float(np.sum(w * gaps ** 2)))
        d = np.where(cnt[nz] >= 2, gaps ** 2 - mt[nz] * (1 - mt[nz]) / np.maximum(cnt[nz] - 1.0, 1.0), 0.0)
        debiased = math.sqrt(max(float(np.sum(w * d)), 0.0))
        lo, hi = proportion_confint(np.round(mt[nz] * cnt[nz]), cnt[nz], alpha=0.05, method="wilson")
        assert prob_true.size == np.count_nonzero(nz)
        fo.write(f"case {case} {n} {m} {strategy}\n")
        fo.write("c " + fl(c) + "\n")
        fo.write("y " + " ".join(str(int(v)) for v in y) + "\n")
        fo.write("e " + fl([ece, mce, l2, debiased, brier]) + "\n")
        fo.write("b " + " ".join(f"{int(k)} {float(p)!r} {float(t)!r} {float(a)!r} {float(b)!r}"
                                 for k, p, t, a, b in zip(cnt[nz], prob_pred, prob_true, np.atleast_1d(lo),
                                                          np.atleast_1d(hi))) + "\n")


# ----------------------------------------------------------------------------------------------------------
# ace.txt
# ----------------------------------------------------------------------------------------------------------
with open(os.path.join(out_dir, "ace.txt"), "w") as fo:
    for case in range(10000):
        n = log_uniform_int(1, 200)
        K = int(rng.integers(1, 7))
        R = int(rng.choice([1, 2, 5, 10, 15, int(rng.integers(1, 30))]))
        logits = rng.normal(0, rng.choice([0.5, 2.0, 5.0]), (n, K))
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        if case % 4 == 0:
            p = np.round(p, 2).clip(0, 1)  # ties across samples
        labels = rng.integers(0, K, n)
        total, cells = 0.0, 0
        for k in range(K):
            pk = p[:, k]
            yk = (labels == k).astype(float)
            edges = edges_for(pk, R, 1)
            cnt, mc, mt = per_bin(pk, yk, bin_ids(pk, edges), R)
            nz = cnt > 0
            total += float(np.sum(np.abs(mt[nz] - mc[nz])))
            cells += int(np.count_nonzero(nz))
        fo.write(f"case {case} {n} {K} {R}\n")
        fo.write("p " + fl(p.ravel()) + "\n")
        fo.write("l " + " ".join(str(int(v)) for v in labels) + "\n")
        fo.write("e " + fl([total / cells]) + "\n")


# ----------------------------------------------------------------------------------------------------------
# detection.txt
# ----------------------------------------------------------------------------------------------------------
with open(os.path.join(out_dir, "detection.txt"), "w") as fo:
    for case in range(10000):
        m = log_uniform_int(1, 200)
        mask = int(rng.integers(0, 16))  # bits: cx, cy, width, height
        conf_bins = int(rng.choice([1, 5, 10, 20, int(rng.integers(1, 30))]))
        feat_bins = int(rng.choice([1, 2, 5, 8]))
        laece_bins = int(rng.choice([1, 10, 25, int(rng.integers(1, 40))]))
        ncat = int(rng.integers(1, 6))
        cat = rng.integers(0, ncat, m) * 7 - 3  # ids need not be contiguous or positive
        conf = random_confidences(m)
        tp = rng.uniform(0, 1, m) < conf
        iou = np.round(np.where(tp, rng.uniform(0.5, 1.0, m), rng.uniform(0.0, 0.5, m)), 4)
        if case % 5 == 0:
            iou = np.round(iou, 1)
        w = np.round(rng.uniform(0, 1, m) ** 2, 6)
        h = np.round(rng.uniform(0, 1, m) ** 2, 6)
        cx = np.round(rng.uniform(0, 1, m), 6)
        cy = np.round(rng.uniform(0, 1, m), 6)
        if case % 7 == 0:
            cx, cy, w, h = (np.round(v, 1) for v in (cx, cy, w, h))  # features exactly on edges
        feats = [v for bit, v in enumerate((cx, cy, w, h)) if mask >> bit & 1]
        # D-ECE: flattened multi-dimensional bin, axis 0 = confidence
        ids = bin_ids(conf, np.linspace(0, 1, conf_bins + 1))
        dims = [conf_bins]
        for v in feats:
            ids = ids * feat_bins + bin_ids(v, np.linspace(0, 1, feat_bins + 1))
            dims.append(feat_bins)
        total_bins = int(np.prod(dims))
        cnt, mc, mt = per_bin(conf, tp.astype(float), ids, total_bins)
        dece = ece_from(cnt, mc, mt)
        # LaECE
        per_class = []
        for c in np.unique(cat):
            sel = cat == c
            target = np.where(tp[sel], iou[sel], 0.0)
            lids = bin_ids(conf[sel], np.linspace(0, 1, laece_bins + 1))
            per_class.append(ece_from(*per_bin(conf[sel], target, lids, laece_bins)))
        laece = float(np.mean(per_class))
        fo.write(f"case {case} {m} {mask} {conf_bins} {feat_bins} {laece_bins}\n")
        rows = []
        for i in range(m):
            rows.append(f"{int(cat[i])} {conf[i]!r} {int(tp[i])} {iou[i]!r} {cx[i]!r} {cy[i]!r} {w[i]!r} {h[i]!r}")
        fo.write("d " + " ".join(rows) + "\n")
        fo.write("e " + fl([dece, laece]) + "\n")
