#!/usr/bin/env python3
"""Reference values for tests/histogram_test.cpp (numpy 1.24).

Writes to the directory given as the only argument, one case a line:
  hist.txt            k n under over c_0..c_{k-2} e_0..e_{k-1} x_0..x_{n-1}
                      numpy.histogram(x, edges) counts; under = sum(x < e_0), over = sum(x > e_{k-1})
  quantile_edges.txt  n bins k e_0..e_{k-1} x_0..x_{n-1}
                      numpy.quantile(x, i / bins) for i = 0..bins, repeated values dropped
"""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(99)


def fmt(v):
    return repr(float(v))


def data(n):
    kind = rng.integers(0, 3)
    if kind == 0:
        return rng.integers(-3, 8, size=n).astype(float)  # values on the edges
    if kind == 1:
        return rng.normal(size=n)
    return np.round(rng.exponential(2.0, size=n), 2)


with open(os.path.join(out, "hist.txt"), "w") as f:
    for _ in range(10000):
        n = int(rng.integers(0, 120))
        x = data(n)
        kind = rng.integers(0, 3)
        if kind == 0:
            edges = np.arange(int(rng.integers(-2, 2)), int(rng.integers(3, 8)) + 1).astype(float)
        elif kind == 1:
            edges = np.linspace(rng.uniform(-3, 0), rng.uniform(0.1, 4), int(rng.integers(2, 20)))
        else:
            edges = np.unique(np.round(rng.normal(size=int(rng.integers(2, 15))), 2))
            if len(edges) < 2:
                edges = np.array([0.0, 1.0])
        counts, _ = np.histogram(x, bins=edges)
        under, over = int(np.sum(x < edges[0])), int(np.sum(x > edges[-1]))
        f.write(" ".join([str(len(edges)), str(n), str(under), str(over)] + [str(int(c)) for c in counts]
                         + [fmt(e) for e in edges] + [fmt(v) for v in x]) + "\n")

with open(os.path.join(out, "quantile_edges.txt"), "w") as f:
    written = 0
    while written < 10000:
        n = int(rng.integers(1, 300))
        x = data(n)
        bins = int(rng.integers(1, 25))
        q = np.quantile(x, np.arange(bins + 1) / bins)
        q[-1] = x.max()
        e = [q[0]]
        for v in q[1:]:
            if v > e[-1]:
                e.append(v)
        if len(e) < 2:
            continue
        written += 1
        f.write(" ".join([str(n), str(bins), str(len(e))] + [fmt(v) for v in e] + [fmt(v) for v in x]) + "\n")
