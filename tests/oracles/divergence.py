#!/usr/bin/env python3
"""Reference values for tests/divergence_test.cpp (scipy 1.10.1, numpy 1.24).

Writes into the directory given as the only argument, one case a line:
  wasserstein.txt  nu nv weighted W u... v... [uw... vw...]      scipy.stats.wasserstein_distance
  entropy.txt      k base H p...                                  scipy.stats.entropy(p, base=base or None)
  kl.txt           k base D p... q...                             scipy.stats.entropy(p, q, base=base or None)
  js.txt           k base J p... q...                             scipy.spatial.distance.jensenshannon
  hellinger.txt    k H p... q...                                  numpy: sqrt(sum((sqrt p - sqrt q)^2) / 2)
  psi.txt          k eps PSI e... a...                            numpy, from the documented formula
base 0 means natural logarithm.
"""
import math
import os
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

assert scipy.__version__ == "1.10.1", scipy.__version__
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(777)
N = 10000


def fmt(v):
    return repr(float(v))


def line(*parts):
    return " ".join(fmt(p) if isinstance(p, (float, np.floating)) else str(p) for p in parts) + "\n"


def values(n):
    kind = rng.integers(0, 3)
    if kind == 0:
        return rng.integers(0, 10, size=n).astype(float)  # ties
    if kind == 1:
        return rng.normal(rng.uniform(-2, 2), rng.uniform(0.1, 3), size=n)
    return rng.exponential(rng.uniform(0.1, 10), size=n)


def counts(k):
    c = rng.integers(0, rng.integers(1, 50), size=k).astype(float)
    if rng.uniform() < 0.3:
        c = rng.uniform(0, 5, size=k) * (rng.uniform(size=k) < 0.8)  # real-valued, with zeros
    if c.sum() == 0:
        c[rng.integers(0, k)] = 1.0
    return c


def base():
    return [0, 2, 10, math.e][rng.integers(0, 4)]


with open(os.path.join(out, "wasserstein.txt"), "w") as f:
    for _ in range(N):
        nu, nv = int(rng.integers(1, 200)), int(rng.integers(1, 200))
        u, v = values(nu), values(nv)
        weighted = int(rng.uniform() < 0.5)
        if weighted:
            uw = rng.integers(0, 5, size=nu).astype(float) if rng.uniform() < 0.5 else rng.uniform(0, 3, size=nu)
            vw = rng.integers(0, 5, size=nv).astype(float) if rng.uniform() < 0.5 else rng.uniform(0, 3, size=nv)
            uw[rng.integers(0, nu)] += 1.0
            vw[rng.integers(0, nv)] += 1.0
            w = stats.wasserstein_distance(u, v, uw, vw)
            f.write(" ".join([str(nu), str(nv), "1", fmt(w)] + [fmt(x) for x in np.concatenate([u, v, uw, vw])]) + "\n")
        else:
            w = stats.wasserstein_distance(u, v)
            f.write(" ".join([str(nu), str(nv), "0", fmt(w)] + [fmt(x) for x in np.concatenate([u, v])]) + "\n")

with open(os.path.join(out, "entropy.txt"), "w") as f:
    for _ in range(N):
        k = int(rng.integers(1, 30))
        p, b = counts(k), base()
        h = stats.entropy(p, base=b if b else None)
        f.write(" ".join([str(k), fmt(b), fmt(h)] + [fmt(x) for x in p]) + "\n")

with open(os.path.join(out, "kl.txt"), "w") as f:
    for _ in range(N):
        k = int(rng.integers(1, 30))
        p, q, b = counts(k), counts(k), base()
        if rng.uniform() < 0.7:
            q = q + (q == 0) * rng.uniform(0.1, 1)  # mostly finite
        d = stats.entropy(p, q, base=b if b else None)
        f.write(" ".join([str(k), fmt(b), fmt(d)] + [fmt(x) for x in np.concatenate([p, q])]) + "\n")

with open(os.path.join(out, "js.txt"), "w") as f:
    for _ in range(N):
        k = int(rng.integers(1, 30))
        p, q, b = counts(k), counts(k), base()
        j = distance.jensenshannon(p, q, base=b if b else None)
        f.write(" ".join([str(k), fmt(b), fmt(j)] + [fmt(x) for x in np.concatenate([p, q])]) + "\n")

with open(os.path.join(out, "hellinger.txt"), "w") as f:
    for _ in range(N):
        k = int(rng.integers(1, 30))
        p, q = counts(k), counts(k)
        pn, qn = p / p.sum(), q / q.sum()
        h = np.sqrt(np.sum((np.sqrt(pn) - np.sqrt(qn)) ** 2) / 2.0)
        f.write(" ".join([str(k), fmt(h)] + [fmt(x) for x in np.concatenate([p, q])]) + "\n")

with open(os.path.join(out, "psi.txt"), "w") as f:
    for _ in range(N):
        k = int(rng.integers(1, 30))
        e, a = counts(k), counts(k)
        eps = [0.0, 1e-4, 1e-3, 0.01][rng.integers(0, 4)]
        if eps == 0.0 and rng.uniform() < 0.7:
            both = (e > 0) & (a > 0)  # mostly finite: cells empty on both sides or on none
            e, a = e * both, a * both
            if e.sum() == 0 or a.sum() == 0:
                e[0] = a[0] = 1.0
        ep = (e / e.sum() + eps) / (1 + k * eps)
        ap = (a / a.sum() + eps) / (1 + k * eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(ap == ep, 0.0, (ap - ep) * np.log(ap / ep))
        v = float(np.sum(terms))
        if np.any((ap == 0) != (ep == 0)):
            v = math.inf
        f.write(" ".join([str(k), fmt(eps), fmt(v)] + [fmt(x) for x in np.concatenate([e, a])]) + "\n")
