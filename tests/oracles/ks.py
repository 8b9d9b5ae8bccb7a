#!/usr/bin/env python3
"""Reference values for tests/ks_test.cpp from scipy 1.10.1.

Writes into the directory given as the only argument:
  ks_2samp.txt   one case a line: alt method n1 n2 statistic pvalue location sign fallback exact_ref x... y...
                 alt: t|l|g, method: exact|asymp|auto. fallback = 1 when scipy warned that its exact
                 computation failed and it used the asymptotic formula instead. exact_ref is the exact p-value
                 from rational arithmetic (Python integers) for the exact one-sided cases with n1 != n2, where
                 scipy's own value is computed with cancelling floating-point binomial sums; else nan.
  kstwo.txt      n d sf                       scipy.stats.kstwo.sf(d, n)
  kstwobign.txt  x sf                         scipy.stats.kstwobign.sf(x) (= scipy.special.kolmogorov)
  smirnov.txt    n d sf                       scipy.special.smirnov(n, d)
"""
import math
import os
import sys
import warnings
from fractions import Fraction

import numpy as np
import scipy
from scipy import special, stats

assert scipy.__version__ == "1.10.1", scipy.__version__

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20240611)


def log_uniform_int(lo, hi):
    return int(math.floor(math.exp(rng.uniform(math.log(lo), math.log(hi + 1)))))


def sample(n, kind):
    if kind == 0:  # many ties: small integer range
        k = int(rng.integers(1, 12))
        return rng.integers(0, k, size=n).astype(float)
    if kind == 1:  # some ties
        return rng.integers(0, 200, size=n).astype(float)
    if kind == 2:  # continuous-looking values with a short decimal form
        return np.round(rng.normal(size=n), 4)
    return rng.integers(-10**6, 10**6, size=n).astype(float)


def exact_onesided(n1, n2, h):
    """P(D+ >= h/lcm) by counting lattice paths that stay strictly below the boundary, in integers."""
    g = math.gcd(n1, n2)
    a, b = n2 // g, n1 // g
    col = [0] * (n2 + 1)
    for i in range(n1 + 1):
        for j in range(n2 + 1):
            if i * a - j * b >= h:
                col[j] = 0
            elif i == 0 and j == 0:
                col[j] = 1
            else:
                col[j] = (col[j] if i > 0 else 0) + (col[j - 1] if j > 0 else 0)
    inside = col[n2]
    return float(1 - Fraction(inside, math.comb(n1 + n2, n1)))


def fmt(v):
    return repr(float(v))


def case(f, alt, method, x, y, with_ref):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = stats.ks_2samp(x, y, alternative=alt, method=method)
    fallback = int(any("Switching" in str(wi.message) for wi in w))
    ref = float("nan")
    n1, n2 = len(x), len(y)
    if with_ref and alt != "two-sided" and n1 != n2 and method != "asymp":
        g = math.gcd(n1, n2)
        lcm = n1 // g * n2
        h = int(round(r.statistic * lcm))
        ref = exact_onesided(n1, n2, h) if h > 0 else 1.0
    f.write(" ".join([alt[0], method, str(n1), str(n2), fmt(r.statistic), fmt(r.pvalue),
                      fmt(r.statistic_location), str(int(r.statistic_sign)), str(fallback), fmt(ref)]
                     + [fmt(v) for v in x] + [fmt(v) for v in y]) + "\n")


with open(os.path.join(out, "ks_2samp.txt"), "w") as f:
    # Exact two-sided, sizes 1..300 (log-uniform), with ties within and across samples.
    for _ in range(5000):
        n1, n2 = log_uniform_int(1, 300), log_uniform_int(1, 300)
        if rng.uniform() < 0.15:
            n2 = n1
        kind = int(rng.integers(0, 4))
        x, y = sample(n1, kind), sample(n2, kind)
        if rng.uniform() < 0.3:
            y = y + rng.integers(0, 3)
        case(f, "two-sided", "exact", x, y, False)
    # Exact one-sided.
    for _ in range(3000):
        n1, n2 = log_uniform_int(1, 160), log_uniform_int(1, 160)
        if rng.uniform() < 0.15:
            n2 = n1
        kind = int(rng.integers(0, 4))
        x, y = sample(n1, kind), sample(n2, kind)
        if rng.uniform() < 0.3:
            x = x + rng.integers(0, 3)
        case(f, ["less", "greater"][int(rng.integers(0, 2))], "exact", x, y, True)
    # Asymptotic, all alternatives, sizes up to 3000.
    for _ in range(2000):
        n1, n2 = log_uniform_int(1, 3000), log_uniform_int(1, 3000)
        kind = int(rng.integers(0, 4))
        x, y = sample(n1, kind), sample(n2, kind)
        if rng.uniform() < 0.5:
            y = y + rng.uniform(0, 0.3) * (1 if kind == 2 else 3)
        case(f, ["two-sided", "less", "greater"][int(rng.integers(0, 3))], "asymp", x, y, False)
    # 'auto', including a few samples above 10000 (asymptotic) and one-sided n1 + n2 > 1030 (scipy falls back).
    for k in range(1000):
        if k < 12:
            n1, n2 = int(rng.integers(10001, 16000)), int(rng.integers(500, 16000))
        else:
            n1, n2 = log_uniform_int(1, 1500), log_uniform_int(1, 1500)
        kind = int(rng.integers(0, 4))
        x, y = sample(n1, kind), sample(n2, kind)
        if rng.uniform() < 0.5:
            y = y + rng.uniform(0, 0.2)
        alt = ["two-sided", "less", "greater"][int(rng.integers(0, 3))]
        with_ref = n1 * n2 <= 250000
        case(f, alt, "auto", x, y, with_ref)

with open(os.path.join(out, "kstwo.txt"), "w") as f:
    # scipy's smirnov (used for n d^2 >= 2.2) costs O(n) in double-double arithmetic: keep most n moderate.
    for k in range(10200):
        n = log_uniform_int(1, 5000) if rng.uniform() < 0.95 else log_uniform_int(5000, 100000)
        u = rng.uniform()
        if k >= 10000:  # very large n, below the smirnov region (Durbin matrix / Pelz-Good)
            n = log_uniform_int(100000, 1000000)
            d = math.sqrt(rng.uniform(0, 2.1) / n)
        elif u < 0.15:
            d = rng.uniform(0, 1)
        elif u < 0.3:  # n d in (0.5, 2]: the Durbin matrix times an O(n) Python loop in scipy
            n = min(n, 3000)
            d = rng.uniform(0.5 / n, 2.0 / n)
        else:  # the bulk: n d^2 in (0, 20)
            d = math.sqrt(rng.uniform(0, 20) / n)
        d = min(d, 0.999999)
        f.write(f"{n} {fmt(d)} {fmt(stats.kstwo.sf(d, n))}\n")

with open(os.path.join(out, "kstwobign.txt"), "w") as f:
    for _ in range(10000):
        x = rng.uniform(0, 6) if rng.uniform() < 0.8 else rng.uniform(0, 0.3)
        f.write(f"{fmt(x)} {fmt(stats.kstwobign.sf(x))}\n")

with open(os.path.join(out, "smirnov.txt"), "w") as f:
    for _ in range(10000):
        n = log_uniform_int(2, 5000) if rng.uniform() < 0.95 else log_uniform_int(5000, 100000)
        d = math.sqrt(rng.uniform(0, 40) / n) if rng.uniform() < 0.8 else rng.uniform(0, 1)
        d = min(d, 1.0)
        f.write(f"{n} {fmt(d)} {fmt(special.smirnov(n, d))}\n")
