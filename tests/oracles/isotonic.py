#!/usr/bin/env python3
"""Reference values for tests/isotonic_test.cpp from scikit-learn 1.2.1 (Debian python3-sklearn).

Writes isotonic.txt into the directory given as the only argument, one case a line:
  n m x_1..x_n y_1..y_n w_1..w_n q_1..q_m p_1..p_m
where p_j = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(x, y, w).predict(q)[j]. Cases mix
binary targets (a detection is a true positive or not: the calibration the drift estimate fits), real
targets, tied x (scores rounded to a few decimals), unit and random weights, and queries inside, between,
on and beyond the fitted points.
"""
import os
import sys

import numpy as np
import sklearn
from sklearn.isotonic import IsotonicRegression

assert sklearn.__version__ == "1.2.1", sklearn.__version__

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261207)
lines = []
for case in range(400):
    n = int(rng.choice([1, 2, 3, 5, 10, 50, 200, 1000]))
    kind = case % 4
    x = rng.uniform(0, 1, n)
    if kind in (1, 3):
        x = np.round(x, int(rng.integers(1, 3)))  # many ties
    if kind < 2:
        y = (rng.uniform(0, 1, n) < x ** float(rng.uniform(0.5, 2))).astype(float)
    else:
        y = rng.normal(np.sin(3 * x), 0.5)
    w = np.ones(n) if case % 3 else rng.uniform(0.1, 3, n)
    q = np.concatenate([rng.uniform(-0.2, 1.2, 20), x[: min(n, 5)]])
    p = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(x, y, sample_weight=w).predict(q)
    f = lambda v: " ".join(repr(float(t)) for t in v)
    lines.append(f"{n} {len(q)} {f(x)} {f(y)} {f(w)} {f(q)} {f(p)}")
with open(os.path.join(out, "isotonic.txt"), "w") as fh:
    fh.write("\n".join(lines) + "\n")
