#!/usr/bin/env python3
"""Reference values for tests/chi_square_test.cpp: scipy 1.10.1 scipy.stats.chi2_contingency.

Writes chi2.txt to the directory given as the only argument, one table a line:
  rows cols yates statistic pvalue dof dropped_rows dropped_cols o_00 o_01 ... (row-major)
Tables with all-zero rows or columns are scored by scipy on the table without them (scipy itself raises on
them; dropping them is the documented behaviour of chi_square_homogeneity). Reduced tables with fewer than two
rows or columns are scored statistic 0, p 1, dof 0, as scipy does for dof = 0.
"""
import os
import sys

import numpy as np
import scipy
from scipy import stats

assert scipy.__version__ == "1.10.1", scipy.__version__
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(4242)


def fmt(v):
    return repr(float(v))


with open(os.path.join(out, "chi2.txt"), "w") as f:
    for _ in range(10000):
        r, c = int(rng.integers(1, 12)), int(rng.integers(2, 6))
        if rng.uniform() < 0.3:
            c = 2
        scale = [3, 20, 1000, 10**6][rng.integers(0, 4)]
        probs = rng.dirichlet(np.ones(r))
        o = np.zeros((r, c))
        for j in range(c):
            pj = probs if rng.uniform() < 0.5 else rng.dirichlet(np.ones(r))
            o[:, j] = rng.multinomial(int(rng.integers(0, scale + 1)), pj)
        if rng.uniform() < 0.15:
            o[rng.integers(0, r), :] = 0
        if rng.uniform() < 0.05:
            o[:, rng.integers(0, c)] = 0
        yates = int(rng.uniform() < 0.2)
        keep_r = o.sum(axis=1) > 0
        keep_c = o.sum(axis=0) > 0
        red = o[keep_r][:, keep_c]
        if red.shape[0] < 2 or red.shape[1] < 2:
            stat, p, dof = 0.0, 1.0, 0
        else:
            res = stats.chi2_contingency(red, correction=bool(yates))
            stat, p, dof = res.statistic, res.pvalue, res.dof
        f.write(" ".join([str(r), str(c), str(yates), fmt(stat), fmt(p), str(dof), str(int((~keep_r).sum())),
                          str(int((~keep_c).sum()))] + [fmt(x) for x in o.ravel()]) + "\n")
