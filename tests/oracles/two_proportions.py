#!/usr/bin/python3
"""Reference values for tests/two_proportions_test.cpp (statsmodels 0.13.5, scipy 1.10.1).

Usage: two_proportions.py <output dir>. Writes, one case per line, numbers as %.17g:

  newcombe.txt  x1 n1 x2 n2 alpha lower upper
                statsmodels.stats.proportion.confint_proportions_2indep(x1, n1, x2, n2, method='newcomb',
                compare='diff', alpha=alpha)
  ztest.txt     x1 n1 x2 n2 alternative z p
                statsmodels.stats.proportion.proportions_ztest([x1, x2], [n1, n2], alternative=...) with
                alternative in two-sided / larger / smaller (written as two_sided / greater / less)
  fisher.txt    a b c d alternative odds_ratio p_scipy p_ref kind
                scipy.stats.fisher_exact([[a, b], [c, d]], alternative=...) (two-sided / less / greater),
                odds_ratio written as nan / inf where scipy returns them. p_ref = p_scipy (kind 'sm') for
                tables of total <= 1e4; above that p_ref is an independent high-precision value (kind 'mp'):
                scipy 1.10.1's hypergeom (its bundled Boost, double precision) loses up to ~1e-7 relative
                for populations near 1e9. The 'mp' value anchors each tail at a 40-digit mpmath pmf (log-gamma)
                and sums the tail with 80-bit long-double products of the exact term ratios; the two-sided
                cut on the far side (the first table with pmf <= pmf(observed) (1 + 1e-14), scipy's rule) is
                found by bisection on the mpmath pmf. On small tables it reproduces scipy to 1e-12 (checked).
"""
import os
import sys
import warnings

import mpmath as mp
import numpy as np
import scipy
import scipy.stats as st
import statsmodels
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

assert statsmodels.__version__.startswith("0.13.5"), statsmodels.__version__
assert scipy.__version__.startswith("1.10.1"), scipy.__version__

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20240612)
N_RANDOM = 12000


def fmt(v):
    return "%.17g" % v


def draw_n():
    kind = rng.integers(0, 6)
    if kind == 0:
        return 1
    if kind == 1:
        return int(rng.integers(1, 51))
    if kind == 2:
        return 10 ** 9
    return max(1, int(10 ** rng.uniform(0, 9)))


def draw_x(n):
    kind = rng.integers(0, 6)
    if kind == 0:
        return 0
    if kind == 1:
        return n
    if kind == 2:
        return int(rng.integers(0, min(n, 5) + 1))
    if kind == 3:
        return n - int(rng.integers(0, min(n, 5) + 1))
    return int(rng.integers(0, n + 1))


def draw_alpha():
    kind = rng.integers(0, 4)
    if kind < 2:
        return float(10 ** rng.uniform(-12, np.log10(0.5)))
    if kind == 2:
        return float(rng.choice([0.05, 0.01, 0.1, 0.5, 1e-12]))
    return float(rng.uniform(1e-3, 0.5))


# --- Newcombe ---------------------------------------------------------------------------------------------
rows = []
for _ in range(N_RANDOM):
    n1, n2 = draw_n(), draw_n()
    # Similar rates half of the time (the interesting case: d near 0), independent otherwise.
    x1 = draw_x(n1)
    x2 = draw_x(n2) if rng.random() < 0.5 else min(n2, int(round(x1 / n1 * n2)) + int(rng.integers(-2, 3)))
    x2 = max(0, x2)
    rows.append((x1, n1, x2, n2, draw_alpha()))
for n in [1, 2, 10, 10 ** 9]:
    for x1 in {0, 1, n}:
        for x2 in {0, n}:
            for a in [1e-12, 0.05, 0.5]:
                rows.append((x1, n, x2, n, a))
x1, n1, x2, n2, alpha = (np.array(c) for c in zip(*rows))
lo, up = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha)
with open(os.path.join(out, "newcombe.txt"), "w") as f:
    for i in range(len(rows)):
        f.write(" ".join([str(x1[i]), str(n1[i]), str(x2[i]), str(n2[i]), fmt(alpha[i]), fmt(lo[i]),
                          fmt(up[i])]) + "\n")

# --- pooled z-test ----------------------------------------------------------------------------------------
ALT = {"two-sided": "two_sided", "larger": "greater", "smaller": "less"}
with open(os.path.join(out, "ztest.txt"), "w") as f:
    count = 0
    while count < N_RANDOM:
        n1, n2 = draw_n(), draw_n()
        x1 = draw_x(n1)
        x2 = draw_x(n2) if rng.random() < 0.5 else min(n2, int(round(x1 / n1 * n2)) + int(rng.integers(-3, 4)))
        x2 = max(0, x2)
        if x1 + x2 == 0 or x1 + x2 == n1 + n2:
            # The statistic is 0/0: statsmodels returns nan (the C++ function throws; tested there).
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                z, p = proportions_ztest([x1, x2], [n1, n2])
            assert np.isnan(z) and np.isnan(p)
            continue
        for alt, name in ALT.items():
            z, p = proportions_ztest(np.array([x1, x2]), np.array([n1, n2]), alternative=alt)
            f.write(" ".join([str(x1), str(n1), str(x2), str(n2), name, fmt(z), fmt(p)]) + "\n")
        count += 1


# --- high-precision Fisher reference ----------------------------------------------------------------------
mp.mp.dps = 40
LD = np.longdouble


class Hypergeom:
    """The top-left cell of a 2x2 table with fixed margins: population N, K marked, n drawn."""

    def __init__(self, N, K, n):
        self.N, self.K, self.n = N, K, n
        self.lo, self.hi = max(0, n + K - N), min(K, n)
        lg = mp.loggamma
        self.const = lg(K + 1) + lg(N - K + 1) + lg(n + 1) + lg(N - n + 1) - lg(N + 1)

    def logpmf(self, k):
        lg = mp.loggamma
        N, K, n = self.N, self.K, self.n
        return self.const - lg(k + 1) - lg(K - k + 1) - lg(n - k + 1) - lg(N - K - n + k + 1)

    def pmf(self, k):
        if k < self.lo or k > self.hi:
            return mp.mpf(0)
        return mp.exp(self.logpmf(k))

    def tail(self, k0, step):
        """sum_{j >= 0} pmf(k0 + step j) (step = +1 or -1) over the support, relative precision ~1e-15."""
        if k0 < self.lo or k0 > self.hi:
            return mp.mpf(0)
        N, K, n = self.N, self.K, self.n
        total = LD(1)
        last = LD(1)
        k = k0
        chunk = 4096
        while True:
            if step > 0:
                ks = np.arange(k, min(k + chunk, self.hi), dtype=np.int64)  # ratio pmf(k+1)/pmf(k)
                if ks.size == 0:
                    break
                num = (K - ks).astype(LD) * (n - ks).astype(LD)
                den = (ks + 1).astype(LD) * (N - K - n + ks + 1).astype(LD)
            else:
                ks = np.arange(k, max(k - chunk, self.lo), -1, dtype=np.int64)  # ratio pmf(k-1)/pmf(k)
                if ks.size == 0:
                    break
                num = ks.astype(LD) * (N - K - n + ks).astype(LD)
                den = (K - ks + 1).astype(LD) * (n - ks + 1).astype(LD)
            terms = last * np.cumprod(num / den)
            total += terms.sum()
            last = terms[-1]
            k = int(ks[-1]) + step
            if last < total * LD(1e-22) or last == 0:
                break
            chunk = min(chunk * 4, 1 << 20)
        return self.pmf(k0) * mp.mpf(str(total))

    def first_at_most(self, target, lo, hi, increasing_k):
        """The k in [lo, hi] nearest the mode side... i.e. the first k moving away from the mode with
        pmf(k) <= target, for pmf monotone on [lo, hi]; None if there is none."""
        if increasing_k:  # pmf decreasing on [lo, hi]; want the smallest k with pmf(k) <= target
            if self.pmf(hi) > target:
                return None
            while lo < hi:
                mid = (lo + hi) // 2
                if self.pmf(mid) <= target:
                    hi = mid
                else:
                    lo = mid + 1
            return lo
        # pmf increasing on [lo, hi]; want the largest k with pmf(k) <= target
        if self.pmf(lo) > target:
            return None
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.pmf(mid) <= target:
                lo = mid
            else:
                hi = mid - 1
        return lo


def fisher_reference(a, b, c, d, alternative):
    N, K, n = a + b + c + d, a + b, a + c
    if a + b == 0 or c + d == 0 or a + c == 0 or b + d == 0:
        return mp.mpf(1)
    h = Hypergeom(N, K, n)
    mode = ((n + 1) * (K + 1)) // (N + 2)
    # Each tail is summed from its end nearest the mode outward (decreasing terms); a probability that holds
    # the mode is computed as 1 - the opposite tail.
    if alternative == "less":
        return min(mp.mpf(1), h.tail(a, -1) if a < mode else 1 - h.tail(a + 1, +1))
    if alternative == "greater":
        return min(mp.mpf(1), h.tail(a, +1) if a > mode else 1 - h.tail(a - 1, -1))
    pobs, pmode = h.pmf(a), h.pmf(mode)
    if abs(pobs - pmode) / max(pobs, pmode) <= mp.mpf("1e-14"):
        return mp.mpf(1)
    target = pobs * (1 + mp.mpf("1e-14"))
    if a < mode:
        cut = h.first_at_most(target, mode, h.hi, True)
        p = h.tail(a, -1) + (h.tail(cut, +1) if cut is not None else 0)
    else:
        cut = h.first_at_most(target, h.lo, mode, False)
        p = h.tail(a, +1) + (h.tail(cut, -1) if cut is not None else 0)
    return min(mp.mpf(1), p)


MP_MIN_TOTAL = 10 ** 4


# --- Fisher's exact test ----------------------------------------------------------------------------------
def draw_table():
    # Large tables (kinds 3, 4, 7) are a fifth of the draws: scipy and the high-precision reference are slow
    # on them, and 2000 of them cover the range.
    kind = rng.choice(8, p=[0.16, 0.16, 0.16, 0.07, 0.07, 0.16, 0.16, 0.06])
    if kind == 0:  # small, many zeros
        return [int(v) for v in rng.integers(0, 6, size=4)]
    if kind == 1:
        return [int(v) for v in rng.integers(0, 60, size=4)]
    if kind == 2:
        return [int(v) for v in rng.integers(0, 2000, size=4)]
    if kind == 3:  # large counts, near independence (moderate p-values)
        n1, n2 = (int(10 ** rng.uniform(3, 8.3)) for _ in range(2))
        p = rng.uniform(0.001, 0.5)
        a = int(rng.binomial(n1, p))
        c = int(rng.binomial(n2, p * rng.uniform(0.98, 1.02)))
        return [a, n1 - a, c, n2 - c]
    if kind == 4:  # large counts, a real difference (tiny p-values)
        n1, n2 = (int(10 ** rng.uniform(2, 8.3)) for _ in range(2))
        a = int(rng.binomial(n1, rng.uniform(0.001, 0.2)))
        c = int(rng.binomial(n2, rng.uniform(0.001, 0.2)))
        return [a, n1 - a, c, n2 - c]
    if kind == 5:  # equal rows: mirror-image tables are exactly as probable (the 1e-14 tie rule)
        a, b = (int(v) for v in rng.integers(0, 40, size=2))
        return [a, b, b, a] if rng.random() < 0.5 else [a, b, max(0, a + int(rng.integers(-2, 3))), b]
    if kind == 6:  # a zero row or column, or a zero cell
        t = [int(v) for v in rng.integers(0, 30, size=4)]
        z = rng.integers(0, 4)
        if rng.random() < 0.5:
            t[z] = 0
        else:
            t[z] = 0
            t[z ^ 1 if rng.random() < 0.5 else z ^ 2] = 0
        return t
    # rare events in huge slices: few failures out of up to 2.5e8 per row
    n1, n2 = (int(10 ** rng.uniform(4, 8.4)) for _ in range(2))
    a, c = (int(v) for v in rng.integers(0, 8, size=2))
    return [a, n1 - a, c, n2 - c]


SCIPY_ALT = {"two-sided": "two_sided", "less": "less", "greater": "greater"}
tables = [draw_table() for _ in range(10200)]
tables += [[0, 0, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [5, 0, 0, 5], [0, 5, 5, 0], [1, 1, 1, 1], [0, 1, 1, 0],
           [3, 0, 0, 0], [10 ** 8, 2 * 10 ** 8, 3 * 10 ** 8, 4 * 10 ** 8], [0, 5 * 10 ** 8, 7, 5 * 10 ** 8]]
worst_check = 0.0
with open(os.path.join(out, "fisher.txt"), "w") as f:
    for i, t in enumerate(tables):
        for alt, name in SCIPY_ALT.items():
            res = st.fisher_exact([[t[0], t[1]], [t[2], t[3]]], alternative=alt)
            p_sc = float(res[1])
            if sum(t) > MP_MIN_TOTAL:
                ref, kind = mp.nstr(fisher_reference(*t, name), 25, min_fixed=1, max_fixed=0), "mp"
            else:
                ref, kind = fmt(p_sc), "sm"
                if i % 20 == 0 and p_sc > 1e-300:  # the high-precision reference reproduces scipy here
                    r = float(fisher_reference(*t, name))
                    worst_check = max(worst_check, abs(r - p_sc) / p_sc)
                    assert abs(r - p_sc) <= 1e-12 * p_sc, (t, name, r, p_sc)
            f.write(" ".join([str(v) for v in t] + [name, fmt(res[0]), fmt(p_sc), ref, kind]) + "\n")
print("fisher: high-precision reference vs scipy on small tables, worst relative difference %.3g" % worst_check)
print("two_proportions oracle: wrote", out)
