#!/usr/bin/env python3
"""Reference values for tests/drift_test.cpp: the drift comparison of baseline/drift.hpp transcribed from its
definitions (docs/drift.md) with numpy, frame by frame, and scipy 1.10.1 / statsmodels 0.13.5 for the
distributions and tests (mpmath for Student's t quantile): scipy.stats.ks_2samp (KS D), wasserstein_distance, f.sf, t.sf, ttest_ind
(equal_var=True), chi2_contingency (correction=False), statsmodels confint_proportions_2indep (Newcombe) and
multipletests (Holm).

Writes drift.txt to the directory given as the only argument. Per case:
  case <index> <K> <category ids...>
  frame <side 0 baseline | 1 window> <id> <weather|-> <rig|-> <n> then n x (category score w h)
  cuts <class index> <feature> <n> <cut points...>      the baseline's quantile binning (10 bins)
  test <set> <feature> <class|-> <base_n> <window_n> <base_frames> <window_frames> <psi> <second>
       <base_value> <window_value> <shift> <lower> <upper> <statistic> <df1> <df2> <p> <p_adjusted> <status>
  end
Slicing: weather, and weather x rig. Features with spaces are written with underscores; nan where undefined.
"""
import math
import os
import sys

import mpmath as mp
import numpy as np
import scipy
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

assert scipy.__version__ == "1.10.1", scipy.__version__
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261206)

GRIDS = [(0.0, 1.0, 200), (0.0, 12.0, 240), (-4.0, 4.0, 160)]  # score, box size, aspect
NAMES = ["score", "box_size", "aspect"]
MIN_FRAMES = 30
ALPHA = 0.05
Z = stats.norm.ppf(1 - 0.05 / 2)


def t_quantile_975(df):
    """Student's t 0.975 quantile to full double precision (mpmath): scipy 1.10's t.ppf is off by up to
    5e-12 relative at fractional degrees of freedom, which the interval's lower end can magnify."""
    mp.mp.dps = 40
    f = lambda x: mp.betainc(mp.mpf(df) / 2, mp.mpf(1) / 2, 0, df / (df + x * x), regularized=True) / 2 - mp.mpf("0.025")
    return float(mp.findroot(f, stats.t.ppf(0.975, df)))


def fine_bin(f, v):
    lo, hi, bins = GRIDS[f]
    u = (v - lo) / (hi - lo) * bins
    if not (u > 0):
        return 0
    if u >= bins:
        return bins - 1
    return int(u)


def values(d):
    """The fine bins (score, size, aspect) of a detection (category, score, w, h)."""
    _, s, w, h = d
    size = 0.5 * math.log2(w * h) if w * h > 0 else -math.inf
    aspect = math.log2(w / h) if w > 0 and h > 0 else 0.0
    return fine_bin(0, s), fine_bin(1, size), fine_bin(2, aspect)


def quantile_cuts(fine, bins=10):
    n = int(sum(fine))
    share = n / bins
    cuts, cum, at_cut, q = [], 0, 0, 1
    for i in range(len(fine) - 1):
        if q >= bins:
            break
        cum += int(fine[i])
        crossed = False
        while q < bins and cum >= q * share:
            crossed = True
            q += 1
        if crossed and (cum - at_cut) >= share / 2:
            cuts.append(i + 1)
            at_cut = cum
    if cuts and (n - at_cut) < share / 2:
        cuts.pop()
    return cuts


def psi(pb, pw):
    pb = np.maximum(pb, 1e-4)
    pw = np.maximum(pw, 1e-4)
    return float(np.sum((pw - pb) * np.log(pw / pb)))


def sets_of(frame, keys_present=True):
    _, _, weather, rig, _ = frame
    out = ["all"]
    if weather is not None:
        out.append("weather=" + weather)
        if rig is not None:
            out.append("weather=" + weather + "&rig=" + rig)
    return out


def make_case():
    K = int(rng.integers(1, 5))
    cats = [1, 2, 3, 5][:K]
    shifted = rng.uniform() < 0.4
    frames = ([], [])
    next_id = 1
    for side in (0, 1):
        n = int(rng.integers(80, 500)) if side == 0 else int(rng.integers(25, 350))
        weathers = ["clear", "rain", "fog"] + (["snow"] if side == 1 and rng.uniform() < 0.3 else [])
        wp = rng.dirichlet(np.ones(len(weathers)) * 3)
        for _ in range(n):
            weather = None if rng.uniform() < 0.05 else str(rng.choice(weathers, p=wp))
            rig = None if rng.uniform() < 0.2 else str(rng.choice(["x", "y"]))
            lam = float(rng.choice([1, 4, 10]))
            if side == 1 and shifted:
                lam *= 1.3
            m = int(rng.poisson(lam))
            scene = rng.normal(0, 0.5)  # frames differ: detections of one frame are correlated
            dets = []
            for _ in range(m):
                c = cats[int(rng.integers(0, K))] if side == 0 or not shifted else cats[int(rng.integers(0, K)) // 2]
                a = 2.0 + scene + (0.6 if side == 1 and shifted else 0)
                s = float(rng.beta(max(a, 0.2), 3.0))
                if rng.uniform() < 0.05:
                    s = float(rng.choice([0.0, 1.0, 0.5]))
                w = float(np.round(np.exp(rng.normal(3.5 + scene, 1.0)), 2))
                h = float(np.round(np.exp(rng.normal(3.3, 0.8)), 2))
                if rng.uniform() < 0.02:
                    w = 0.0
                dets.append((c, s, w, h))
            frames[side].append((side, next_id, weather, rig, dets))
            next_id += 1
    return cats, frames


def analyse(cats, frames):
    K = len(cats)
    idx = {c: k for k, c in enumerate(cats)}
    ncell = K + 4
    # the baseline's pooled fine counts -> binning
    fine_all = [np.zeros(GRIDS[0][2]) for _ in range(K + 1)] + [np.zeros(GRIDS[1][2]), np.zeros(GRIDS[2][2])]
    for fr in frames[0]:
        for d in fr[4]:
            sb, zb, ab = values(d)
            fine_all[0][sb] += 1
            fine_all[1 + idx[d[0]]][sb] += 1
            fine_all[K + 1][zb] += 1
            fine_all[K + 2][ab] += 1
    cuts = {}
    for k in range(K + 1):
        cuts[(k, 0)] = quantile_cuts(fine_all[k]) if fine_all[k].sum() > 0 else []
        cuts[(k, 1)] = quantile_cuts(fine_all[K + 1]) if k == 0 and fine_all[K + 1].sum() > 0 else []
        cuts[(k, 2)] = quantile_cuts(fine_all[K + 2]) if k == 0 and fine_all[K + 2].sum() > 0 else []

    def feature_of(c):
        return 0 if c <= K else (1 if c == K + 1 else 2)

    def nbins(c):
        if c == K + 3:
            return K
        f = feature_of(c)
        return len(cuts[(c if f == 0 else 0, f)]) + 1

    def coarse(c, fine):
        f = feature_of(c)
        return int(np.searchsorted(np.array(cuts[(c if f == 0 else 0, f)], dtype=int), fine, side="right"))

    # per side, per set: frames -> per cell the list of per-frame (x vector, fine bins)
    data = [dict(), dict()]
    for side in (0, 1):
        for fr in frames[side]:
            per_cell = {}
            for d in fr[4]:
                sb, zb, ab = values(d)
                k = idx[d[0]]
                for c, fb in ((0, sb), (1 + k, sb), (K + 1, zb), (K + 2, ab)):
                    per_cell.setdefault(c, []).append(fb)
                per_cell.setdefault(K + 3, []).append(k)
            for name in sets_of(fr):
                st = data[side].setdefault(name, {"frames": 0, "dets": [], "cells": {c: [] for c in range(ncell)}})
                st["frames"] += 1
                st["dets"].append(len(fr[4]))
                for c in range(ncell):
                    st["cells"][c].append(per_cell.get(c, []))
    tests = []
    names = ["all"] + sorted(n for n in data[0] if n != "all" and n in data[1])
    for name in names:
        if name not in data[1]:
            continue
        bs, ws = data[0][name], data[1][name]
        # detections per frame
        db, dw = np.array(bs["dets"], float), np.array(ws["dets"], float)
        nb, nw = len(db), len(dw)
        mb, mw = db.mean(), dw.mean()
        vb = db.var(ddof=1) / nb if nb > 1 else 0.0
        vw = dw.var(ddof=1) / nw if nw > 1 else 0.0
        se = math.sqrt(vb + vw)
        df = (vb + vw) ** 2 / (vb**2 / max(nb - 1, 1) + vw**2 / max(nw - 1, 1)) if se > 0 else 1.0
        tq = t_quantile_975(df)
        t = dict(set=name, feature="detections_per_frame", cls="-", base_n=nb, window_n=nw, base_frames=nb,
                 window_frames=nw, psi=math.nan, second=(mw / mb - 1) if mb > 0 else math.nan, base_value=mb,
                 window_value=mw, shift=mw - mb, lower=mw - mb - tq * se, upper=mw - mb + tq * se,
                 statistic=math.nan, df1=0.0, df2=0.0, p=math.nan)
        if nb >= MIN_FRAMES and nw >= MIN_FRAMES:
            r = stats.ttest_ind(dw, db, equal_var=True)
            t.update(statistic=float(r.statistic), df1=float(nb + nw - 2), p=float(r.pvalue))
        tests.append(t)
        for c in range(ncell):
            xb, xw = bs["cells"][c], ws["cells"][c]
            fb_frames = sum(1 for v in xb if v)
            fw_frames = sum(1 for v in xw if v)
            if fb_frames == 0 and fw_frames == 0:
                continue
            mix = c == K + 3
            f = feature_of(c)
            feat = "class_mix" if mix else NAMES[f]
            cls = "c%d" % cats[c - 1] if (not mix and 1 <= c <= K) else "-"
            base_n = sum(len(v) for v in xb)
            window_n = sum(len(v) for v in xw)
            t = dict(set=name, feature=feat, cls=cls, base_n=base_n, window_n=window_n, base_frames=fb_frames,
                     window_frames=fw_frames, psi=math.nan, second=math.nan, base_value=math.nan,
                     window_value=math.nan, shift=math.nan, lower=math.nan, upper=math.nan, statistic=math.nan,
                     df1=0.0, df2=0.0, p=math.nan)
            if fb_frames < MIN_FRAMES or fw_frames < MIN_FRAMES:
                t["status"] = "too_little_data"
                tests.append(t)
                continue
            B = nbins(c)

            def xs(lst):
                X = np.zeros((len(lst), B))
                for i, v in enumerate(lst):
                    for fb in v:
                        X[i, fb if mix else coarse(c, fb)] += 1
                return X

            Xb, Xw = xs(xb), xs(xw)
            Mb, Mw = Xb.sum(), Xw.sum()
            pb, pw = Xb.sum(0) / Mb, Xw.sum(0) / Mw
            p0 = (Mb * pb + Mw * pw) / (Mb + Mw)
            Gb, Gw = len(xb), len(xw)
            R = np.vstack([Xb - np.outer(Xb.sum(1), p0), Xw - np.outer(Xw.sum(1), p0)])
            S = R.T @ R / (Gb + Gw - 1)
            V = S * (Gw / Mw**2 + Gb / Mb**2)
            d = pw - pb
            t["psi"] = psi(pb, pw)
            ev, evec = np.linalg.eigh(V)
            top = ev.max() if ev.size else 0.0
            q, t2 = 0, 0.0
            if top > 0:
                proj = evec.T @ d
                keep = ev > top * 1e-9
                q = int(keep.sum())
                t2 = float(np.sum(proj[keep] ** 2 / ev[keep]))
            n = fb_frames + fw_frames - 1
            if q == 0:
                t.update(p=0.0 if np.abs(d).max() > 0 else 1.0, statistic=0.0)
            elif n > q + 1:
                F = t2 * (n - q) / (q * (n - 1))
                t.update(statistic=F, df1=float(q), df2=float(n - q), p=float(stats.f.sf(F, q, n - q)))
            else:
                t["status"] = "too_little_data"
            if mix:
                t["second"] = float(np.sum(np.abs(d)) / 2)
                at = 0
                for i in range(len(d)):
                    if abs(d[i]) > abs(d[at]):
                        at = i

                def own(X, p, M, G):
                    r = X[:, at] - X.sum(1) * p[at]
                    return float(r @ r) / M**2 * (G / (G - 1) if G > 1 else 1.0)

                se = math.sqrt(max(0.0, own(Xb, pb, Mb, Gb) + own(Xw, pw, Mw, Gw)))
                t.update(base_value=pb[at], window_value=pw[at], shift=d[at], lower=d[at] - Z * se,
                         upper=d[at] + Z * se)
            else:
                lo, hi, bins = GRIDS[f]
                width = (hi - lo) / bins
                vb_ = np.concatenate([np.array(v, float) for v in xb if v])
                vw_ = np.concatenate([np.array(v, float) for v in xw if v])
                if window_n <= 1000:
                    t["second"] = float(stats.ks_2samp(vb_, vw_).statistic)
                else:
                    cb, cw = lo + (vb_ + 0.5) * width, lo + (vw_ + 0.5) * width
                    t["second"] = float(stats.wasserstein_distance(cb, cw) / max(np.std(cb), width))

                def mean_var(lst, G):
                    tt = np.array([sum(v) for v in lst], float)
                    mm = np.array([len(v) for v in lst], float)
                    M = mm.sum()
                    mu = tt.sum() / M
                    ss = float(np.sum((tt - mu * mm) ** 2))
                    return lo + (mu + 0.5) * width, ss / M**2 * (G / (G - 1) if G > 1 else 1.0) * width**2

                mbv, vbv = mean_var(xb, bs["frames"])
                mwv, vwv = mean_var(xw, ws["frames"])
                se = math.sqrt(vbv + vwv)
                t.update(base_value=mbv, window_value=mwv, shift=mwv - mbv, lower=mwv - mbv - Z * se,
                         upper=mwv - mbv + Z * se)
            tests.append(t)
    # scenario mix per key
    for key in ("rig", "weather"):
        def count(side):
            cnt = {}
            for fr in frames[side]:
                v = fr[2] if key == "weather" else fr[3]
                cnt[v or ""] = cnt.get(v or "", 0) + 1
            return cnt
        cb, cw = count(0), count(1)
        vals = sorted(cb)
        vals += sorted(v for v in cw if v not in cb)
        nb, nw = sum(cb.values()), sum(cw.values())
        pb = np.array([cb.get(v, 0) / nb for v in vals])
        pw = np.array([cw.get(v, 0) / nw for v in vals])
        at = 0
        for i in range(len(vals)):
            if abs(pw[i] - pb[i]) > abs(pw[at] - pb[at]):
                at = i
        lo_, hi_ = confint_proportions_2indep(cw.get(vals[at], 0), nw, cb.get(vals[at], 0), nb, method="newcomb",
                                              compare="diff", alpha=0.05)
        t = dict(set=key, feature="scenario_mix", cls="-", base_n=nb, window_n=nw, base_frames=nb, window_frames=nw,
                 psi=psi(pb, pw), second=float(np.sum(np.abs(pw - pb)) / 2), base_value=pb[at], window_value=pw[at],
                 shift=pw[at] - pb[at], lower=lo_, upper=hi_, statistic=math.nan, df1=0.0, df2=0.0, p=math.nan)
        if nb < MIN_FRAMES or nw < MIN_FRAMES:
            t["status"] = "too_little_data"
        elif len(vals) > 1:
            table = np.array([[cb.get(v, 0), cw.get(v, 0)] for v in vals], float)
            chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
            t.update(statistic=float(chi2), df1=float(dof), p=float(p))
        else:
            t.update(statistic=0.0, p=1.0)
        tests.append(t)
    ps = [t["p"] for t in tests if not math.isnan(t["p"])]
    if ps:
        rej, adj, _, _ = multipletests(ps, alpha=ALPHA, method="holm")
    j = 0
    for t in tests:
        if math.isnan(t["p"]):
            t["p_adj"] = math.nan
            t.setdefault("status", "too_little_data")
            continue
        t["p_adj"] = float(adj[j])
        effect = abs(t["second"]) if t["feature"] == "detections_per_frame" else t["psi"]
        if not rej[j]:
            t["status"] = "ok"
        elif effect >= 0.25:
            t["status"] = "alarm"
        elif effect >= 0.1:
            t["status"] = "warn"
        else:
            t["status"] = "shift"
        j += 1
    return cuts, tests


def fmt(v):
    return repr(float(v))


with open(os.path.join(out, "drift.txt"), "w") as fo:
    for case in range(40):
        cats, frames = make_case()
        cuts, tests = analyse(cats, frames)
        fo.write("case %d %d %s\n" % (case, len(cats), " ".join(map(str, cats))))
        for side in (0, 1):
            for fr in frames[side]:
                parts = ["frame", str(side), str(fr[1]), fr[2] or "-", fr[3] or "-", str(len(fr[4]))]
                for c, s, w, h in fr[4]:
                    parts += [str(c), fmt(s), fmt(w), fmt(h)]
                fo.write(" ".join(parts) + "\n")
        for (k, f), cl in sorted(cuts.items()):
            fo.write("cuts %d %d %d %s\n" % (k, f, len(cl), " ".join(map(str, cl))))
        for t in tests:
            fo.write("test %s %s %s %d %d %d %d %s %s %s %s %s %s %s %s %s %s %s %s %s\n" % (
                t["set"], t["feature"], t["cls"], t["base_n"], t["window_n"], t["base_frames"], t["window_frames"],
                fmt(t["psi"]), fmt(t["second"]), fmt(t["base_value"]), fmt(t["window_value"]), fmt(t["shift"]),
                fmt(t["lower"]), fmt(t["upper"]), fmt(t["statistic"]), fmt(t["df1"]), fmt(t["df2"]), fmt(t["p"]),
                fmt(t["p_adj"]), t["status"]))
        fo.write("end\n")
