#!/usr/bin/env python3
"""Reference values for the embedding tests of tests/drift_test.cpp: the embedding comparison of
baseline/embedding.hpp transcribed from its definition (docs/drift.md, "Embeddings") with numpy, and scipy
1.10.1 for the F and normal distributions.

Writes embedding_profile.txt to the directory given as the only argument. Per case:
  case <d> <D> <n_b> <n_w>
  shape <centre_1..d> <scale_1..d> <freq_1..D*d (row k: feature k)> <phase_1..D>
  x <side: 0 baseline, 1 window> <x_1..x_d>           one line per frame
  centroid <kappa> <mahalanobis> <F> <df1> <df2> <p> <dimension> <z> <z_lower> <z_upper>
  distribution <kappa> <mahalanobis> <F> <df1> <df2> <p> <mmd2>
kappa: the condition number of the kept spectrum (largest over smallest kept eigenvalue, of either
quadratic form): the statistics are accurate to about kappa times the double precision, and compared so.
  end
Embedding values are multiples of 2^-10 below 1024 in magnitude, so that counting them in units of 2^-e (e >=
10) is exact; the random features are computed as the library computes them (math.cos, left to right) and
rounded to units of 2^-20, half away from zero. Some windows are shifted, some not. Hotelling's statistic
and the Mahalanobis distance use the pseudo-inverse the definition gives (eigenvalues of the correlation-
scaled matrix above 1e-9 of the largest; the rank is the F test's first degrees of freedom): with few
dimensions, the random features are nearly collinear.
"""
import math
import os
import sys

import numpy as np
import scipy
from scipy import stats

assert scipy.__version__ == "1.10.1", scipy.__version__
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261207)


def round_away(v):
    return math.copysign(math.floor(abs(v) + 0.5), v)


def features(x, centre, scale, freq, phase):
    d, D = len(centre), len(phase)
    q = []
    for k in range(D):
        a = phase[k]
        for j in range(d):
            a += freq[k * d + j] * ((x[j] - centre[j]) / scale[j])
        q.append(round_away(math.ldexp(math.sqrt(2) * math.cos(a), 20)) / 2 ** 20)
    return q


def quadratic(delta, v):
    """delta^T v^+ delta and the rank: the pseudo-inverse of v scaled to unit diagonal over the eigenvalues
    above 1e-9 of the largest (random features of few dimensions are nearly collinear)."""
    s = np.sqrt(np.diag(v))
    c = v / np.outer(s, s)
    ev, vec = np.linalg.eigh(c)
    keep = ev > ev.max() * 1e-9
    proj = vec.T @ (delta / s)
    return float(np.sum(proj[keep] ** 2 / ev[keep])), int(keep.sum()), float(ev.max() / ev[keep].min())


def hotelling(b, w):
    nb, nw = len(b), len(w)
    mb, mw = b.mean(axis=0), w.mean(axis=0)
    sb, sw = np.atleast_2d(np.cov(b, rowvar=False)), np.atleast_2d(np.cov(w, rowvar=False))
    delta = mw - mb
    q, _, kb = quadratic(delta, sb)
    mahal = math.sqrt(q)
    sp = ((nb - 1) * sb + (nw - 1) * sw) / (nb + nw - 2)
    t2, p, kp = quadratic(delta, sp * (1 / nb + 1 / nw))
    n = nb + nw
    f = t2 * (n - p - 1) / (p * (n - 2))
    return mahal, f, p, n - p - 1, stats.f.sf(f, p, n - p - 1), mb, mw, sb, sw, max(kb, kp)


lines = []
for case in range(60):
    d = int(rng.integers(1, 13))
    D = int(rng.integers(1, 17))
    nb = int(rng.integers(max(30, d + D + 5), 400))
    nw = int(rng.integers(max(20, d + D + 5), 200))
    mix = rng.normal(0, 1, (d, d)) * rng.uniform(0.1, 1)
    scales = rng.uniform(0.01, 50, d)
    shift = rng.normal(0, 0.3, d) if case % 3 else np.zeros(d)

    def draw(n, s):
        z = rng.normal(0, 1, (n, d)) @ (np.eye(d) + mix) + s
        return np.clip(np.round(z * scales * 1024), -1023 * 1024, 1023 * 1024) / 1024

    xb, xw = draw(nb, 0), draw(nw, shift)
    centre = xb.mean(axis=0)
    scale = xb.std(axis=0, ddof=1)
    sigma = math.sqrt(2 * d)
    freq = list(rng.normal(0, 1, D * d) / sigma)
    phase = list(rng.uniform(0, 2 * math.pi, D))
    fb = np.array([features(x, centre, scale, freq, phase) for x in xb])
    fw = np.array([features(x, centre, scale, freq, phase) for x in xw])
    f = lambda v: " ".join(repr(float(t)) for t in v)
    lines.append(f"case {d} {D} {nb} {nw}")
    lines.append(f"shape {f(centre)} {f(scale)} {f(freq)} {f(phase)}")
    for side, xs in ((0, xb), (1, xw)):
        for x in xs:
            lines.append(f"x {side} {f(x)}")
    mahal, fstat, df1, df2, p, mb, mw, sb, sw, kappa = hotelling(xb, xw)
    z = (mw - mb) / np.sqrt(np.diag(sb))
    j = int(np.argmax(np.abs(z)))
    half = stats.norm.ppf(0.975) * math.sqrt(sb[j, j] / nb + sw[j, j] / nw) / math.sqrt(sb[j, j])
    lines.append(f"centroid {kappa!r} {mahal!r} {fstat!r} {df1} {df2} {p!r} {j} {z[j]!r} {z[j] - half!r} "
                 f"{z[j] + half!r}")
    mahal, fstat, df1, df2, p, mb, mw, sb, sw, kappa = hotelling(fb, fw)
    mmd2 = float(np.sum((mw - mb) ** 2) / D)
    lines.append(f"distribution {kappa!r} {mahal!r} {fstat!r} {df1} {df2} {p!r} {mmd2!r}")
    lines.append("end")
with open(os.path.join(out, "embedding_profile.txt"), "w") as fh:
    fh.write("\n".join(lines) + "\n")
