#!/usr/bin/env python3
"""Reference values for tests/embedding_drift_test.cpp (numpy 1.24, scipy 1.10.1).

numpy / scipy compute the documented formulas independently of the C++ code; distances come from
scipy.spatial.distance.cdist and scipy.spatial.distance.mahalanobis. Writes to the directory given as the only
argument, one case a line:
  centroid.txt  nb nw d ridge mahalanobis z_0..z_{d-1} baseline (row-major) window (row-major)
  mmd.txt       m n d unbiased bandwidth_in mmd2 sigma x (row-major) y (row-major)
  mmd_perm.txt  m n d unbiased seed B mmd2 sigma pvalue x y
The permutation p-values replay the documented random stream: std::mt19937_64 (implemented below from the C++
standard's definition, checked against its required 10000th output), Fisher-Yates shuffles of the identity
with rejection-sampled bounded integers.
"""
import math
import os
import sys

import numpy as np
import scipy
from scipy.spatial import distance

assert scipy.__version__ == "1.10.1", scipy.__version__
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(31337)
MASK = (1 << 64) - 1


class MT19937_64:
    """std::mt19937_64: w=64, n=312, m=156, r=31, a=0xB5026F5AA96619E9, u=29, d=0x5555555555555555, s=17,
    b=0x71D67FFFEDA60000, t=37, c=0xFFF7EEE000000000, l=43, f=6364136223846793005."""

    def __init__(self, seed):
        self.mt = [0] * 312
        self.mt[0] = seed & MASK
        for i in range(1, 312):
            prev = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK
        self.i = 312

    def __call__(self):
        if self.i >= 312:
            mt = self.mt
            for k in range(312):
                x = (mt[k] & 0xFFFFFFFF80000000) | (mt[(k + 1) % 312] & 0x7FFFFFFF)
                xa = x >> 1
                if x & 1:
                    xa ^= 0xB5026F5AA96619E9
                mt[k] = mt[(k + 156) % 312] ^ xa
            self.i = 0
        y = self.mt[self.i]
        self.i += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK


_g = MT19937_64(5489)
for _ in range(9999):
    _g()
assert _g() == 9981545732273789042  # [rand.predef] in the C++ standard


def bounded(g, bound):
    limit = (1 << 64) - ((1 << 64) % bound)
    while True:
        u = g()
        if u < limit:
            return u % bound


def fmt(v):
    return repr(float(v))


def points(n, d, scale):
    kind = rng.integers(0, 3)
    if kind == 0:
        return rng.normal(0, scale, size=(n, d))
    if kind == 1:
        return rng.integers(-2, 3, size=(n, d)).astype(float)  # repeated points, zero distances
    return rng.standard_t(3, size=(n, d)) * scale


def median_bandwidth(z):
    dist = distance.pdist(z)  # condensed upper triangle, i < j
    med = np.median(dist)
    if med > 0:
        return med
    nz = dist[dist > 0]
    return np.median(nz) if len(nz) else 1.0


def mmd2(z, m, sigma, unbiased):
    k = np.exp(-distance.cdist(z, z, "sqeuclidean") / (2 * sigma * sigma))
    n = len(z) - m
    sxx, syy, sxy = k[:m, :m].sum(), k[m:, m:].sum(), k[:m, m:].sum()
    if unbiased:
        return (sxx - m) / (m * (m - 1)) + (syy - n) / (n * (n - 1)) - 2 * sxy / (m * n)
    return sxx / (m * m) + syy / (n * n) - 2 * sxy / (m * n)


with open(os.path.join(out, "centroid.txt"), "w") as f:
    written = 0
    while written < 10000:
        d = int(rng.integers(1, 9))
        nb = int(rng.integers(2, 40))
        nw = int(rng.integers(1, 30))
        b = points(nb, d, rng.uniform(0.1, 10))
        w = points(nw, d, 1.0) * rng.uniform(0.5, 2) + rng.uniform(-1, 1)
        if nb >= 3 * d + 3 and rng.uniform() < 0.5:
            ridge = [0.0, 1e-6][rng.integers(0, 2)]
        else:  # singular or ill-conditioned S: a ridge that bounds the condition number
            ridge = [1e-3, 0.1, 1.0][rng.integers(0, 3)]
        s = np.atleast_2d(np.cov(b, rowvar=False))
        tr = np.trace(s)
        lam = ridge * (tr / d if tr > 0 else 1.0)
        a = s + lam * np.eye(d)
        if np.linalg.eigvalsh(a).min() <= 1e-9 * max(tr, 1.0):
            continue  # (ridge 0 on a singular S: an error case, tested separately)
        mb, mw = b.mean(axis=0), w.mean(axis=0)
        z = (mw - mb) / np.sqrt(np.diag(s) + lam)
        mah = distance.mahalanobis(mw, mb, np.linalg.inv(a))
        written += 1
        f.write(" ".join([str(nb), str(nw), str(d), fmt(ridge), fmt(mah)] + [fmt(v) for v in z]
                         + [fmt(v) for v in b.ravel()] + [fmt(v) for v in w.ravel()]) + "\n")

with open(os.path.join(out, "mmd.txt"), "w") as f:
    for _ in range(10000):
        d = int(rng.integers(1, 7))
        m, n = int(rng.integers(2, 30)), int(rng.integers(2, 30))
        x = points(m, d, 1.0)
        y = points(n, d, rng.uniform(0.5, 2)) + rng.uniform(0, 1)
        unbiased = int(rng.uniform() < 0.5)
        bw_in = 0.0 if rng.uniform() < 0.7 else rng.uniform(0.1, 5)
        z = np.vstack([x, y])
        sigma = bw_in if bw_in > 0 else median_bandwidth(z)
        v = mmd2(z, m, sigma, unbiased)
        f.write(" ".join([str(m), str(n), str(d), str(unbiased), fmt(bw_in), fmt(v), fmt(sigma)]
                         + [fmt(t) for t in x.ravel()] + [fmt(t) for t in y.ravel()]) + "\n")

with open(os.path.join(out, "mmd_perm.txt"), "w") as f:
    for _ in range(300):
        d = int(rng.integers(1, 5))
        m, n = int(rng.integers(5, 25)), int(rng.integers(5, 25))
        x = rng.normal(size=(m, d))
        y = rng.normal(size=(n, d)) * rng.uniform(0.8, 1.5) + rng.uniform(0, 0.8)
        unbiased = int(rng.uniform() < 0.5)
        seed = int(rng.integers(0, 2**63))
        B = int(rng.integers(20, 120))
        z = np.vstack([x, y])
        sigma = median_bandwidth(z)
        obs = mmd2(z, m, sigma, unbiased)
        g = MT19937_64(seed)
        count = 0
        N = m + n
        for _b in range(B):
            perm = list(range(N))
            for i in range(N - 1, 0, -1):
                j = bounded(g, i + 1)
                perm[i], perm[j] = perm[j], perm[i]
            xs = sorted(perm[:m])
            zp = np.vstack([z[xs], z[sorted(perm[m:])]])
            if mmd2(zp, m, sigma, unbiased) >= obs:
                count += 1
        p = (1 + count) / (1 + B)
        f.write(" ".join([str(m), str(n), str(d), str(unbiased), str(seed), str(B), fmt(obs), fmt(sigma), fmt(p)]
                         + [fmt(t) for t in x.ravel()] + [fmt(t) for t in y.ravel()]) + "\n")
