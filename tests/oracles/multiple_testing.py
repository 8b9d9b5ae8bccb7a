#!/usr/bin/python3
"""Reference values for tests/multiple_testing_test.cpp (statsmodels 0.13.5 multipletests).

Usage: multiple_testing.py <output dir>. Writes multipletests.txt, one family of p-values per line:

  method alpha m p_1 .. p_m adjusted_1 .. adjusted_m reject_1 .. reject_m

with method in bonferroni / holm / fdr_bh, numbers as %.17g and the decisions as 0/1, all in input order:
statsmodels.stats.multitest.multipletests(p, alpha=alpha, method=method)[:2].
"""
import os
import sys

import gc

import numpy as np
import statsmodels
from statsmodels.stats.multitest import multipletests

assert statsmodels.__version__.startswith("0.13.5"), statsmodels.__version__

# multipletests' Holm branch calls gc.collect() after every family; with scipy/statsmodels loaded each full
# collection walks ~1e6 objects (minutes over 10,000 families). gc.freeze() moves everything alive now into
# the permanent generation, so those collections only look at the few objects made per family.
gc.freeze()

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20240613)
N_FAMILIES = 10500  # per method


def fmt(v):
    return "%.17g" % v


def draw_alpha():
    kind = rng.integers(0, 3)
    if kind == 0:
        return float(rng.choice([0.05, 0.01, 0.1, 0.2]))
    if kind == 1:
        return float(10 ** rng.uniform(-12, np.log10(0.5)))
    return float(rng.uniform(0.001, 0.5))


def draw_family(alpha):
    m = int(rng.choice([1, 2, 3, int(rng.integers(1, 20)), int(rng.integers(1, 100)), int(rng.integers(100, 600))],
                       p=[0.1, 0.1, 0.1, 0.35, 0.3, 0.05]))
    kind = rng.integers(0, 6)
    if kind == 0:  # null everywhere: uniform p-values
        p = rng.uniform(0, 1, size=m)
    elif kind == 1:  # a few real effects among nulls
        p = rng.uniform(0, 1, size=m)
        k = int(rng.integers(0, m + 1))
        p[:k] = 10 ** rng.uniform(-15, -1, size=k)
        rng.shuffle(p)
    elif kind == 2:  # ties: p-values from a small discrete set (exact tests), with exact 0 and 1
        p = rng.choice([0.0, 1e-8, 0.001, 0.01, 0.02, 0.05, 0.5, 1.0], size=m)
    elif kind == 3:  # values right at the step thresholds alpha * k / m and alpha / (m - k + 1)
        k = rng.integers(1, m + 1, size=m)
        p = np.where(rng.random(m) < 0.5, alpha * k / m, alpha / (m - k + 1))
        p = np.clip(p * rng.choice([1.0, 1 - 1e-16, 1 + 1e-16], size=m), 0, 1)
    elif kind == 4:  # tiny p-values
        p = 10 ** rng.uniform(-300, -1, size=m)
    else:  # large p-values (adjusted values clip at 1)
        p = rng.uniform(0.3, 1, size=m)
    return p


lines = []
for method in ["bonferroni", "holm", "fdr_bh"]:
    for _ in range(N_FAMILIES):
        alpha = draw_alpha()
        p = draw_family(alpha)
        reject, adjusted = multipletests(p, alpha=alpha, method=method)[:2]
        lines.append(" ".join([method, fmt(alpha), str(len(p))] + [fmt(v) for v in p] +
                              [fmt(v) for v in adjusted] + [str(int(r)) for r in reject]))
with open(os.path.join(out, "multipletests.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("multiple_testing oracle: wrote", out)
