#!/usr/bin/env python3
"""Reference values for tests/performance_test.cpp: the labelled comparison and the expected precision of
baseline/performance.hpp transcribed from their definitions (docs/drift.md) with numpy, frame by frame, with
scipy 1.10.1 (t.sf, fisher_exact, gamma.ppf, norm), statsmodels 0.13.5 (multipletests: Holm) and
scikit-learn 1.2.1 (IsotonicRegression: the calibration).

Frames are built so that COCO's matching is evident: a detection either sits exactly on one ground truth of
its class (IoU 1: a true positive; at most one per object) or far from every box (IoU 0: a false positive);
so the oracle knows every frame's true and false positives and objects without matching. Frames share a
latent difficulty (misses and false positives cluster in frames); some windows shift it.

Writes performance.txt to the directory given as the only argument. Per case:
  case <index> <threshold of class 1> <of class 2> <of class 3>
  frame <side 0 baseline | 1 window> <id> <weather|-> <rig|-> <g> g x (category) <d> d x (category score gt)
        (gt: the index of the ground truth the detection sits on, -1 for none)
  rate <set> <feature> <class|-> <base_n> <window_n> <base_frames> <window_frames> <base_value>
       <window_value> <shift> <lower> <upper> <statistic> <df> <p> <p_adjusted> <status>
  est <set> <class|-> <base_detections> <window_detections> <uncovered> <frames> <base_precision> <expected>
      <measured> <gap> <lower> <upper>
  end
Slicing: weather, and weather x rig. Features and statuses with spaces are written with underscores; nan
where undefined.
"""
import math
import os
import sys

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.isotonic import IsotonicRegression
from statsmodels.stats.multitest import multipletests

assert scipy.__version__ == "1.10.1", scipy.__version__
assert sklearn.__version__ == "1.2.1", sklearn.__version__
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261207)

K = 3
MIN_FRAMES, MIN_CAL, MIN_EXPECTED = 30, 30, 5
ALPHA, CONF = 0.05, 0.95
Z = stats.norm.ppf(1 - (1 - CONF) / 2)
RATE_WARN, RATE_ALARM, PSI_WARN, PSI_ALARM = 0.02, 0.05, 0.1, 0.25
FEATURES = ["miss rate", "false discovery rate", "false positives per frame", "image miss rate",
            "image false alarm rate"]
nan = float("nan")


def make_frame(fid, shift, rounding):
    weather = rng.choice(["clear", "rain", "fog"], p=[0.6, 0.3, 0.1]) if rng.uniform() > 0.05 else None
    rig = rng.choice(["a", "b"])
    hard = max(0.0, rng.gamma(2.0, 0.5) * (1.6 if weather == "fog" else 1.0) + shift)  # the frame's difficulty
    gts, dts = [], []
    for c in range(1, K + 1):
        for _ in range(rng.poisson([2.0, 1.0, 0.4][c - 1])):
            gts.append(c)
            if rng.uniform() < 1 / (1 + 0.4 * hard):  # detected
                s = rng.beta(4, 1.5 + hard)
                dts.append([c, s, len(gts) - 1])
        for _ in range(rng.poisson(0.6 * hard * [1.0, 0.6, 0.3][c - 1])):
            dts.append([c, rng.beta(1.5, 3), -1])
    for d in dts:
        d[1] = float(np.round(d[1], rounding)) if rounding else float(d[1])
    return {"id": fid, "weather": weather, "rig": rig, "gt": gts, "dt": dts}


def sets_of(f):
    out = ["all"]
    if f["weather"] is not None:
        out.append("weather=" + f["weather"])
        out.append("weather=" + f["weather"] + "&rig=" + f["rig"])
    return out


def tallies(frames, thr):
    """Per frame: per class index 0 (all) and 1..K: (n, tp, fp, [(score, tp)] kept at or above)."""
    rows = []
    for f in frames:
        t = {}
        for c in range(1, K + 1):
            n = sum(1 for g in f["gt"] if g == c)
            kept = [(d[1], d[2] >= 0) for d in f["dt"] if d[0] == c and d[1] >= thr[c]]
            tp = sum(1 for s, m in kept if m)
            t[c] = (n, tp, len(kept) - tp, kept)
        rows.append(t)
    return rows


def wilson(p, n):
    den = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / den
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / den
    return centre - half, centre + half


def ratio_var(y, x, r):
    g = np.count_nonzero(x > 0) if len(x) else 0
    X = x.sum()
    if X <= 0 or g < 2:
        return 0.0
    return max(0.0, float(((y - r * x) ** 2).sum())) * g / (g - 1) / X ** 2


def garwood(y, x):
    g = np.count_nonzero(x > 0)
    Y, X = y.sum(), x.sum()
    r = Y / X
    v = ratio_var(y, x, r)
    deff = max(1.0, v * X / r) if r > 0 and v > 0 else 1.0
    ye, xe = Y / deff, X / deff
    lo = stats.gamma.ppf((1 - CONF) / 2, ye) / xe if ye > 0 else 0.0
    hi = stats.gamma.ppf(1 - (1 - CONF) / 2, ye + 1) / xe
    return lo, hi


def clustered_test(feature, yb, xb, yw, xw):
    """The rows' (base_n, window_n, base_frames, window_frames, values..., status) of a clustered ratio."""
    Xb, Xw = xb.sum(), xw.sum()
    if Xb == 0 and Xw == 0:
        return None
    gb, gw = np.count_nonzero(xb > 0), np.count_nonzero(xw > 0)
    rb = yb.sum() / Xb if Xb > 0 else nan
    rw = yw.sum() / Xw if Xw > 0 else nan
    row = dict(base_n=int(Xb), window_n=int(Xw), base_frames=int(gb), window_frames=int(gw), base=rb, window=rw,
               shift=rw - rb, lower=nan, upper=nan, stat=nan, df=nan, p=nan, status="")
    if gb < MIN_FRAMES or gw < MIN_FRAMES:
        row["status"] = "too little data"
        return row
    if feature == "false positives per frame":
        lb, ub = garwood(yb, xb)
        lw, uw = garwood(yw, xw)
    else:
        def neff(y, x):
            X = x.sum()
            r = y.sum() / X
            v = ratio_var(y, x, r)
            return min(X, r * (1 - r) / v) if 0 < r < 1 and v > 0 else X
        lb, ub = wilson(rb, neff(yb, xb))
        lw, uw = wilson(rw, neff(yw, xw))
    d = rw - rb
    row["lower"] = d - math.sqrt((rw - lw) ** 2 + (ub - rb) ** 2)
    row["upper"] = d + math.sqrt((uw - rw) ** 2 + (rb - lb) ** 2)
    r0 = (yb.sum() + yw.sum()) / (Xb + Xw)
    if r0 * Xw < MIN_EXPECTED or (feature != "false positives per frame" and (1 - r0) * Xw < MIN_EXPECTED):
        row["status"] = "too little data"
        return row
    mb, mw = xb > 0, xw > 0
    per_frame = (((yb[mb] - r0 * xb[mb]) ** 2).sum() + ((yw[mw] - r0 * xw[mw]) ** 2).sum()) / (gb + gw - 1)
    v0 = per_frame * (gb / Xb ** 2 + gw / Xw ** 2)
    row["df"] = gw - 1
    if v0 > 0:
        row["stat"] = d / math.sqrt(v0)
        row["p"] = 2 * stats.t.sf(abs(row["stat"]), gw - 1)
    else:
        row["stat"] = 0.0
        row["p"] = 1.0 if d == 0 else 0.0
    return row


def fisher_test(xb, nb, xw, nw):
    if nb == 0 and nw == 0:
        return None
    rb = xb / nb if nb else nan
    rw = xw / nw if nw else nan
    row = dict(base_n=nb, window_n=nw, base_frames=nb, window_frames=nw, base=rb, window=rw, shift=rw - rb,
               lower=nan, upper=nan, stat=nan, df=nan, p=nan, status="")
    if nb < MIN_FRAMES or nw < MIN_FRAMES:
        row["status"] = "too little data"
        return row
    # Newcombe's hybrid score interval (Wilson at the counts)
    lw, uw = wilson(rw, nw)
    lb, ub = wilson(rb, nb)
    d = rw - rb
    row["lower"] = d - math.sqrt((rw - lw) ** 2 + (ub - rb) ** 2)
    row["upper"] = d + math.sqrt((uw - rw) ** 2 + (rb - lb) ** 2)
    res = stats.fisher_exact([[xw, nw - xw], [xb, nb - xb]])
    row["stat"], row["p"] = float(res[0]), float(res[1])
    return row


def main():
    lines = []
    for case in range(30):
        thr = {1: float(rng.choice([0.3, 0.5])), 2: float(rng.choice([0.4, 0.6])), 3: 0.5}
        rounding = 2 if case % 3 == 0 else 0
        nb, nw = int(rng.integers(300, 700)), int(rng.integers(40, 400))
        shift = [0.0, 0.0, 0.8, -0.4][case % 4]
        base = [make_frame(i + 1, 0.0, rounding) for i in range(nb)]
        window = [make_frame(100000 + i, shift, rounding) for i in range(nw)]
        lines.append(f"case {case} {thr[1]!r} {thr[2]!r} {thr[3]!r}")
        for side, frames in ((0, base), (1, window)):
            for f in frames:
                d = " ".join(f"{c} {s!r} {g}" for c, s, g in f["dt"])
                lines.append(f"frame {side} {f['id']} {f['weather'] or '-'} {f['rig'] if f['weather'] else '-'} "
                             f"{len(f['gt'])} {' '.join(str(c) for c in f['gt'])} {len(f['dt'])} {d}".replace("  ", " "))
        # rig only with weather here: frames without weather have no rig either (sets_of needs both for the joint)
        tb, tw = tallies(base, thr), tallies(window, thr)
        names = sorted({s for f in base for s in sets_of(f)} & {s for f in window for s in sets_of(f)})
        names = (["all"] if "all" in names else []) + [s for s in names if s != "all"]
        # calibrations: per set, per class, on the baseline's kept detections (fallback: the class's over all)
        fits = {}
        for s in {s for f in base for s in sets_of(f)}:
            for c in range(1, K + 1):
                xs = [sc for f, t in zip(base, tb) if s in sets_of(f) for sc, m in t[c][3]]
                ys = [float(m) for f, t in zip(base, tb) if s in sets_of(f) for sc, m in t[c][3]]
                if len(xs) >= MIN_CAL:
                    fits[(s, c)] = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(xs, ys)
        def fit(s, c):
            return fits.get((s, c), fits.get(("all", c)))
        rows, ests = [], []
        for s in names:
            fb = [(f, t) for f, t in zip(base, tb) if s in sets_of(f)]
            fw = [(f, t) for f, t in zip(window, tw) if s in sets_of(f)]
            for c in [0] + list(range(1, K + 1)):
                cls = list(range(1, K + 1)) if c == 0 else [c]
                def arrays(side):
                    n = np.array([sum(t[k][0] for k in cls) for f, t in side], dtype=float)
                    tp = np.array([sum(t[k][1] for k in cls) for f, t in side], dtype=float)
                    fp = np.array([sum(t[k][2] for k in cls) for f, t in side], dtype=float)
                    return n, tp, fp
                n_b, tp_b, fp_b = arrays(fb)
                n_w, tp_w, fp_w = arrays(fw)
                # the expected precision
                def est(side):
                    N = E = TP = 0.0
                    per = []
                    for f, t in side:
                        e = cnt = tpc = 0.0
                        for k in cls:
                            cal = fit(s, k)
                            if cal is None or not t[k][3]:
                                continue
                            e += float(cal.predict([sc for sc, m in t[k][3]]).sum())
                            cnt += len(t[k][3])
                            tpc += sum(1 for sc, m in t[k][3] if m)
                        if cnt > 0:
                            per.append((tpc - e, cnt))
                        N += cnt
                        E += e
                        TP += tpc
                    return N, E, TP, per
                Nb, Eb, TPb, _ = est(fb)
                Nw, Ew, TPw, per = est(fw)
                if Nb > 0 or Nw > 0:
                    e = dict(bd=int(Nb), wd=int(Nw), unc=int(tp_w.sum() + fp_w.sum() - Nw), frames=len(per),
                             base=TPb / Nb if Nb else nan, expected=nan, measured=nan, gap=nan, lo=nan, hi=nan)
                    if Nw:
                        e["expected"] = Ew / Nw
                        e["measured"] = TPw / Nw
                        gap = e["measured"] - e["expected"]
                        e["gap"] = gap
                        g = len(per)
                        u = np.array([p[0] for p in per])
                        m = np.array([p[1] for p in per])
                        se = math.sqrt(((u - gap * m) ** 2).sum() * g / (g - 1)) / Nw if g >= MIN_FRAMES else nan
                        e["lo"], e["hi"] = gap - Z * se, gap + Z * se
                    ests.append((s, c, e))
                # the rates
                for feature in FEATURES:
                    if feature == "miss rate":
                        row = clustered_test(feature, n_b - tp_b, n_b, n_w - tp_w, n_w)
                    elif feature == "false discovery rate":
                        row = clustered_test(feature, fp_b, tp_b + fp_b, fp_w, tp_w + fp_w)
                    elif feature == "false positives per frame":
                        row = clustered_test(feature, fp_b, np.ones(len(fb)), fp_w, np.ones(len(fw)))
                    else:
                        def image(side):
                            miss = fa = pos = 0
                            for f, t in side:
                                n = sum(t[k][0] for k in cls)
                                if n > 0:
                                    pos += 1
                                    miss += any(t[k][1] < t[k][0] for k in cls)
                                elif sum(t[k][2] for k in cls) > 0:
                                    fa += 1
                            return miss, pos, fa, len(side) - pos
                        mb, pb, ab, qb = image(fb)
                        mw, pw, aw, qw = image(fw)
                        row = fisher_test(mb, pb, mw, pw) if feature == "image miss rate" else fisher_test(ab, qb, aw, qw)
                    if row is not None:
                        rows.append((s, feature, c, row))
        # Holm over every rate test of the case, and the grades
        idx = [i for i, r in enumerate(rows) if not math.isnan(r[3]["p"])]
        if idx:
            rej, padj, _, _ = multipletests([rows[i][3]["p"] for i in idx], alpha=ALPHA, method="holm")
            for j, i in enumerate(idx):
                r = rows[i][3]
                r["p_adj"] = float(padj[j])
                if not rej[j]:
                    r["status"] = "ok"
                elif r["shift"] < 0:
                    r["status"] = "better"
                else:
                    if rows[i][1] == "false positives per frame":
                        eff = abs(r["window"] / r["base"] - 1) if r["base"] > 0 else nan
                        warn, alarm = PSI_WARN, PSI_ALARM
                    else:
                        eff, warn, alarm = abs(r["shift"]), RATE_WARN, RATE_ALARM
                    r["status"] = "alarm" if eff >= alarm else "warn" if eff >= warn else "shift"
        f = lambda v: repr(float(v))
        for s, feature, c, r in rows:
            lines.append(f"rate {s} {feature.replace(' ', '_')} {c if c else '-'} {r['base_n']} {r['window_n']} "
                         f"{r['base_frames']} {r['window_frames']} {f(r['base'])} {f(r['window'])} {f(r['shift'])} "
                         f"{f(r['lower'])} {f(r['upper'])} {f(r['stat'])} {f(r['df'])} {f(r['p'])} "
                         f"{f(r.get('p_adj', nan))} {r['status'].replace(' ', '_')}")
        for s, c, e in ests:
            lines.append(f"est {s} {c if c else '-'} {e['bd']} {e['wd']} {e['unc']} {e['frames']} {f(e['base'])} "
                         f"{f(e['expected'])} {f(e['measured'])} {f(e['gap'])} {f(e['lo'])} {f(e['hi'])}")
        lines.append("end")
    with open(os.path.join(out, "performance.txt"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


main()
