#!/usr/bin/python3
"""Reference values for tests/poisson_test.cpp (scipy).

Usage: poisson.py <output dir>. Writes poisson_rate.txt, one case per line, numbers as %.17g:
  k exposure alpha lower upper
with lower = chi2.ppf(alpha / 2, 2k) / 2 / exposure (0 at k = 0) and upper = chi2.isf(alpha / 2, 2k + 2) / 2 /
exposure: the exact (Garwood) interval of a Poisson rate, for k up to 10^5. Beyond that scipy's chi-square
quantile loses accuracy at small alpha (k = 10^7, alpha = 1e-6: its lower quantile 9984559.90 has a tail of
5.17e-7, not 5e-7), so the cases with k > 10^5 are solved in 40-digit mpmath instead (the regularized
incomplete gamma equal to alpha / 2 by Newton's method from scipy's start).
"""
import os
import sys

import mpmath as mp
import numpy as np
import scipy.stats as st

mp.mp.dps = 40


def mp_lower(k, tail, start):
    # P(X <= x) = tail for X ~ Gamma(k): lower regularized incomplete gamma
    return float(mp.findroot(lambda x: 1 - mp.gammainc(k, x, mp.inf, regularized=True) - tail, mp.mpf(start),
                             tol=mp.mpf(10) ** -30))


def mp_upper(k, tail, start):
    return float(mp.findroot(lambda x: mp.gammainc(k, x, mp.inf, regularized=True) - tail, mp.mpf(start),
                             tol=mp.mpf(10) ** -30))

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261201)
cases = []
for k in list(range(0, 60)) + [100, 1000, 10**5]:
    for alpha in (0.05, 0.01, 0.1, 0.5, 1e-6):
        cases.append((k, 1.0, alpha))
for _ in range(4000):
    k = int(rng.integers(0, 10 ** int(rng.integers(1, 6))))
    exposure = float(10 ** rng.uniform(-2, 6))
    alpha = float(10 ** rng.uniform(-8, np.log10(0.9)))
    cases.append((k, exposure, alpha))
big = [(int(k), 1.0, float(a)) for k in (200000, 10**6, 10**7) for a in (0.05, 1e-6)]
with open(os.path.join(out, "poisson_rate.txt"), "w") as f:
    for k, e, a in cases:
        lo = 0.0 if k == 0 else st.chi2.ppf(a / 2, 2 * k) / 2 / e
        up = st.chi2.isf(a / 2, 2 * k + 2) / 2 / e
        f.write(f"{k} {e:.17g} {a:.17g} {lo:.17g} {up:.17g}\n")
    for k, e, a in big:
        lo = mp_lower(k, a / 2, st.chi2.ppf(a / 2, 2 * k) / 2)
        up = mp_upper(k + 1, a / 2, st.chi2.isf(a / 2, 2 * k + 2) / 2)
        f.write(f"{k} {e:.17g} {a:.17g} {lo:.17g} {up:.17g}\n")
    cases += big
print(len(cases), "cases")
