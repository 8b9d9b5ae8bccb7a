#!/usr/bin/python3
"""Reference values for tests/sample_size_test.cpp (statsmodels 0.13.5, brute-force search, mpmath).

Usage: sample_size.py <output dir>. Writes, one case per line, numbers as %.17g:

  wald.txt    rate half_width alpha n_statsmodels n_search
              n_statsmodels = samplesize_confint_proportion(rate, half_width, alpha, method='normal') (a real
              number); n_search = the smallest n >= 1 whose Wald half-width z sqrt(rate (1 - rate) / n)
              (statsmodels' 'normal' expression, z = norm.isf(alpha / 2)) is <= half_width, by scanning every n
              (answers up to 5000) or bisection on that monotone expression (larger answers; a rate of 0 or 1
              gives 1).
  wilson.txt  rate half_width alpha n_search
              the smallest n >= 1 whose Wilson half-width at the anticipated rate, statsmodels' 'wilson'
              expression z sqrt(q (1 - q) / n + z^2 / (4 n^2)) / (1 + z^2 / n), is <= half_width; found the
              same way (scan up to 5000, bisection beyond). The expression is checked against
              proportion_confint(rate n, n, alpha, 'wilson') at the answer.
  zero.txt    max_rate alpha n_search n_mp n_rule3
              n_search: the smallest n with n log1p(-p) <= log(alpha) by scan (<= 5000) or bisection;
              n_mp: ceil(ln(alpha) / ln(1 - p)) in 50-digit mpmath (the exact binomial answer (1 - p)^n <= alpha);
              n_rule3 = ceil(-ln(alpha) / p).
"""
import math
import os
import sys

import mpmath as mp
import numpy as np
import scipy
import scipy.stats as st
import statsmodels
from statsmodels.stats.proportion import proportion_confint, samplesize_confint_proportion

assert statsmodels.__version__.startswith("0.13.5"), statsmodels.__version__
assert scipy.__version__.startswith("1.10.1"), scipy.__version__

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20240614)
N_RANDOM = 10500
SCAN_MAX = 5000


def fmt(v):
    return "%.17g" % v


def draw_rate():
    kind = rng.integers(0, 6)
    if kind == 0:
        return float(rng.choice([0.0, 1.0, 0.5]))
    if kind == 1:
        return float(10 ** rng.uniform(-6, -1))
    if kind == 2:
        return float(1 - 10 ** rng.uniform(-6, -1))
    return float(rng.uniform(0, 1))


def draw_alpha():
    kind = rng.integers(0, 3)
    if kind == 0:
        return float(rng.choice([0.05, 0.01, 0.1, 1e-12, 0.5]))
    if kind == 1:
        return float(10 ** rng.uniform(-12, np.log10(0.5)))
    return float(rng.uniform(0.001, 0.5))


def draw_half_width():
    # Most answers below SCAN_MAX (checked by a full scan), the rest up to ~1e10 (bisection).
    if rng.random() < 0.6:
        return float(10 ** rng.uniform(-1.7, np.log10(0.7)))
    return float(10 ** rng.uniform(-5, -1.5))


def smallest(ok, hint_hi):
    """The smallest n >= 1 with ok(n) for a predicate monotone in n: a full scan of 1..SCAN_MAX, else
    bisection between SCAN_MAX and a doubling upper bound."""
    ns = np.arange(1, SCAN_MAX + 1, dtype=np.float64)
    hits = np.nonzero(ok(ns))[0]
    if hits.size:
        return int(hits[0]) + 1
    lo, hi = SCAN_MAX, max(hint_hi, 2 * SCAN_MAX)  # ok(lo) is false
    while not ok(np.float64(hi)):
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(np.float64(mid)):
            hi = mid
        else:
            lo = mid
    return hi


# --- Wald ---------------------------------------------------------------------------------------------------
with open(os.path.join(out, "wald.txt"), "w") as f:
    for _ in range(N_RANDOM):
        rate, h, alpha = draw_rate(), draw_half_width(), draw_alpha()
        z = st.norm.isf(alpha / 2.0)
        n_sm = samplesize_confint_proportion(rate, h, alpha=alpha, method="normal")
        if rate * (1 - rate) == 0:
            n_search = 1
        else:
            n_search = smallest(lambda n: z * np.sqrt(rate * (1 - rate) / n) <= h, int(n_sm) + 1)
        f.write(" ".join([fmt(rate), fmt(h), fmt(alpha), fmt(n_sm), str(n_search)]) + "\n")


# --- Wilson -------------------------------------------------------------------------------------------------
def wilson_half(rate, n, z):
    crit2 = z * z
    return z * np.sqrt(rate * (1.0 - rate) / n + crit2 / (4.0 * n ** 2)) / (1 + crit2 / n)


with open(os.path.join(out, "wilson.txt"), "w") as f:
    for _ in range(N_RANDOM):
        rate, h, alpha = draw_rate(), draw_half_width(), draw_alpha()
        z = st.norm.isf(alpha / 2.0)
        n = smallest(lambda k: wilson_half(rate, k, z) <= h, int(z * z / (4 * h * h)) + 1)
        # float(n): with an integer n above 3.04e9, statsmodels' nobs**2 overflows numpy's int64.
        lo, up = proportion_confint(rate * n, float(n), alpha, "wilson")
        assert abs((up - lo) / 2 - wilson_half(rate, np.float64(n), z)) <= 1e-12, (rate, h, alpha, n)
        f.write(" ".join([fmt(rate), fmt(h), fmt(alpha), str(n)]) + "\n")

# --- zero failures ------------------------------------------------------------------------------------------
mp.mp.dps = 50
with open(os.path.join(out, "zero.txt"), "w") as f:
    for i in range(N_RANDOM):
        kind = rng.integers(0, 4)
        if kind == 0:
            p = float(10 ** rng.uniform(-9, -1))
        elif kind == 1:
            p = float(rng.choice([1.0, 0.5, 0.1, 0.01, 1e-3, 1e-6]))
        else:
            p = float(rng.uniform(0, 1)) or 0.5
        alpha = draw_alpha()
        la, lk = math.log(alpha), math.log1p(-p) if p < 1 else -math.inf
        n_search = smallest(lambda n: n * lk <= la, int(la / lk) + 1 if p < 1 else 1)
        if p == 1.0:
            n_mp = 1
        else:
            n_mp = max(1, int(mp.ceil(mp.log(mp.mpf(alpha)) / mp.log(1 - mp.mpf(p)))))
        n_rule3 = max(1, math.ceil(-math.log(alpha) / p))
        f.write(" ".join([fmt(p), fmt(alpha), str(n_search), str(n_mp), str(n_rule3)]) + "\n")
print("sample_size oracle: wrote", out)
