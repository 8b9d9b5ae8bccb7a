#!/usr/bin/python3
"""Reference values for tests/proportion_test.cpp (statsmodels 0.13.5, scipy 1.10.1, mpmath).

Usage: proportion.py <output dir>. Writes, one case per line, numbers as %.17g:

  confint.txt    method x n alpha sm_lower sm_upper ref_lower ref_upper ref_kind
                 sm_* = statsmodels.stats.proportion.proportion_confint(x, n, alpha, method);
                 ref_* = the same (ref_kind 'sm') except
                 - 'jeffreys': ref_* = scipy.stats.beta.ppf(alpha/2, ...) and beta.isf(alpha/2, ...) from alpha/2
                   directly (ref_kind 'direct'); statsmodels goes through beta.interval(1 - alpha), which loses
                   ~1e-16/alpha of relative precision in the tails (checked against mpmath below);
                 - 'beta' with n >= 1e5 and min(x, n - x) <= 20: ref_* from mpmath (ref_kind 'mp'), solving the
                   binomial tail equations P(X <= x | p) = alpha/2 and P(X >= x | p) = alpha/2 at 45 digits;
                   scipy 1.10.1's beta.ppf/isf lose ~1.5e-17 n of relative precision there (2e-8 at n = 1e9),
                   beyond the 1e-10 the C++ test asks for; Boost 1.74 (default policy, long-double evaluation)
                   stays within ~1.3e-11;
                 - 'beta' and 'jeffreys' with min(x, n - x) >= 1e9 (n up to 2^53): ref_* from the Cornish-Fisher
                   expansion of the Beta quantile to second order (skewness and kurtosis terms) at 40 digits
                   (ref_kind 'cf'); the omitted terms are O(skew^3 z^4) sd, below 1e-17 relative there, while
                   scipy's quantiles are off by up to ~1e-8 relative at n = 2^53.
  mp_quantile.txt  method x n alpha lower upper: Clopper-Pearson and Jeffreys ends solved with mpmath at 40
                 digits (an independent check of the quantiles, including the tiny-alpha cases).
  one_sided.txt  x n alpha cp_upper cp_lower kind: scipy beta.isf(alpha, x+1, n-x) (1 at x = n) and
                 beta.ppf(alpha, x, n-x+1) (0 at x = 0), kind 'sm'; or, as above, mpmath's solution of the
                 binomial tail equations at level alpha for n >= 1e5 and min(x, n - x) <= 20, kind 'mp'.
  zero_fail.txt  n alpha exact_mp rule3: 1 - alpha^(1/n) from mpmath at 50 digits, and -ln(alpha)/n.
  coverage.txt   method n p coverage: exact coverage sum_x P(X = x) [lower(x) <= p <= upper(x)] with
                 statsmodels' intervals and scipy.stats.binom.pmf.
"""
import os
import sys
import warnings

import mpmath as mp
import numpy as np
import scipy
import scipy.stats as st
import statsmodels
from statsmodels.stats.proportion import proportion_confint

assert statsmodels.__version__.startswith("0.13.5"), statsmodels.__version__
assert scipy.__version__.startswith("1.10.1"), scipy.__version__
warnings.simplefilter("ignore")  # beta.ppf(q, 0, b) warns before statsmodels overwrites it with 0

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20240611)
METHODS = ["normal", "wilson", "agresti_coull", "beta", "jeffreys"]
N_RANDOM = 12000  # per method


def draw_n(k):
    kind = rng.integers(0, 6, size=k)
    n = np.empty(k, dtype=np.int64)
    for i in range(k):
        if kind[i] == 0:
            n[i] = 1
        elif kind[i] == 1:
            n[i] = rng.integers(1, 51)
        elif kind[i] == 2:
            n[i] = 10 ** 9
        elif kind[i] == 3:
            n[i] = int(10 ** rng.uniform(6, 9))
        else:
            n[i] = max(1, int(10 ** rng.uniform(0, 9)))
    return n


def draw_x(n):
    x = np.empty_like(n)
    for i in range(len(n)):
        kind = rng.integers(0, 6)
        if kind == 0:
            x[i] = 0
        elif kind == 1:
            x[i] = n[i]
        elif kind == 2:
            x[i] = rng.integers(0, min(n[i], 5) + 1)
        elif kind == 3:
            x[i] = n[i] - rng.integers(0, min(n[i], 5) + 1)
        else:
            x[i] = rng.integers(0, n[i] + 1)
    return x


def draw_alpha(k):
    kind = rng.integers(0, 5, size=k)
    a = np.where(kind < 2, 10 ** rng.uniform(-12, np.log10(0.5), size=k),
                 np.where(kind == 2, rng.choice([0.05, 0.01, 0.1, 0.5, 1e-12, 1e-3], size=k),
                          rng.uniform(1e-3, 0.5, size=k)))
    return a


def edge_cases():
    rows = []
    for n in [1, 2, 3, 10]:
        for x in range(n + 1):
            for a in [1e-12, 1e-6, 0.05, 0.5]:
                rows.append((x, n, a))
    for big in [10 ** 9, 10 ** 10, 10 ** 12, 2 ** 53]:
        for x in [0, 1, 2, 3, 5, big // 3, big // 2, big - 2, big - 1, big]:
            for a in [1e-12, 1e-6, 0.05, 0.5]:
                rows.append((x, big, a))
    return rows


def fmt(v):
    return "%.17g" % v


# --- exact Clopper-Pearson ends from the binomial tails, in mpmath --------------------------------------
MP_TAIL_MAX = 20     # at most this many binomial terms per tail sum
MP_TAIL_MIN_N = 10 ** 5  # below this n scipy's beta quantiles are accurate to ~1e-15 (checked by mp_quantile.txt)


def _binom_head(n, y, p):
    """P(X <= y) for X ~ Binomial(n, p), summing y + 1 terms by the ratio recurrence."""
    t = (1 - p) ** n
    s = t
    r = p / (1 - p)
    for k in range(y):
        t = t * (n - k) / (k + 1) * r
        s += t
    return s


def _newton(f, df, p0):
    p = mp.mpf(p0)
    for _ in range(100):
        step = f(p) / df(p)
        p_new = p - step
        if p_new <= 0:
            p_new = p / 2
        elif p_new >= 1:
            p_new = (1 + p) / 2
        done = abs(p_new - p) <= abs(p) * mp.mpf(10) ** -22
        p = p_new
        if done:
            return p
    raise AssertionError("newton did not converge")


def _solve_upper_small(y, n, q, guess):
    """p with P(X <= y | n, p) = q, y small."""
    q = mp.mpf(q)
    dens = lambda p: -n * mp.binomial(n - 1, y) * p ** y * (1 - p) ** (n - 1 - y)
    p = _newton(lambda p: _binom_head(n, y, p) - q, dens, guess)
    assert abs(_binom_head(n, y, p) - q) <= q * mp.mpf(10) ** -22
    return p


def _solve_lower_small(y, n, q, guess):
    """p with P(X >= y | n, p) = q, y >= 1 small."""
    q = mp.mpf(q)
    dens = lambda p: n * mp.binomial(n - 1, y - 1) * p ** (y - 1) * (1 - p) ** (n - y)
    p = _newton(lambda p: (1 - _binom_head(n, y - 1, p)) - q, dens, guess)
    assert abs((1 - _binom_head(n, y - 1, p)) - q) <= q * mp.mpf(10) ** -22
    return p


def mp_cp_upper(x, n, q):
    """Clopper-Pearson upper end at tail q: P(X <= x | n, p) = q (1 at x = n)."""
    if x == n:
        return mp.mpf(1)
    if x <= MP_TAIL_MAX:
        return _solve_upper_small(x, n, q, st.beta.isf(q, x + 1, n - x))
    # P(X <= x | p) = P(X' >= n - x | 1 - p), X' ~ Binomial(n, 1 - p).
    return 1 - _solve_lower_small(n - x, n, q, st.beta.ppf(q, n - x, x + 1))


def mp_cp_lower(x, n, q):
    """Clopper-Pearson lower end at tail q: P(X >= x | n, p) = q (0 at x = 0)."""
    if x == 0:
        return mp.mpf(0)
    if x <= MP_TAIL_MAX:
        return _solve_lower_small(x, n, q, st.beta.ppf(q, x, n - x + 1))
    return 1 - _solve_upper_small(n - x, n, q, st.beta.isf(q, n - x + 1, x))


CF_MIN_SHAPE = 10 ** 9


def cf_beta_quantile(q, a, b, upper):
    """Beta(a, b) quantile at lower-tail probability q (upper-tail when `upper`) by the Cornish-Fisher
    expansion w = z + (z^2 - 1) g1/6 + (z^3 - 3z) g2/24 - (2z^3 - 5z) g1^2/36 around the mean, with the exact
    Beta skewness g1 and excess kurtosis g2; accurate for large a and b."""
    a, b, q = mp.mpf(a), mp.mpf(b), mp.mpf(q)
    z = mp.sqrt(2) * mp.erfinv(1 - 2 * q)
    if not upper:
        z = -z
    s = a + b
    mu = a / s
    sd = mp.sqrt(a * b / (s * s * (s + 1)))
    g1 = 2 * (b - a) * mp.sqrt(s + 1) / ((s + 2) * mp.sqrt(a * b))
    g2 = 6 * ((a - b) ** 2 * (s + 1) - a * b * (s + 2)) / (a * b * (s + 2) * (s + 3))
    w = z + (z * z - 1) * g1 / 6 + (z ** 3 - 3 * z) * g2 / 24 - (2 * z ** 3 - 5 * z) * g1 * g1 / 36
    return mu + sd * w


def use_mp_tails(x, n):
    return n >= MP_TAIL_MIN_N and min(x, n - x) <= MP_TAIL_MAX


def mpf_str(v):
    return mp.nstr(v, 25, min_fixed=1, max_fixed=0)


mp.mp.dps = 50

# --- two-sided intervals -------------------------------------------------------------------------------
lines = []
edges = edge_cases()
for method in METHODS:
    n = draw_n(N_RANDOM)
    x = draw_x(n)
    alpha = draw_alpha(N_RANDOM)
    n = np.concatenate([n, np.array([e[1] for e in edges], dtype=np.int64)])
    x = np.concatenate([x, np.array([e[0] for e in edges], dtype=np.int64)])
    alpha = np.concatenate([alpha, np.array([e[2] for e in edges])])
    # Counts go in as float64 (exact up to 2^53): with int64 counts statsmodels' Wilson branch squares nobs in
    # int64, which overflows for n > 3.04e9 (e.g. x = 5, n = 1e10 gives a negative lower end).
    lo, up = proportion_confint(x.astype(np.float64), n.astype(np.float64), alpha, method)
    lo = np.asarray(lo, dtype=float)
    up = np.asarray(up, dtype=float)
    if method == "jeffreys":
        rlo = st.beta.ppf(alpha / 2, x + 0.5, n - x + 0.5)
        rup = st.beta.isf(alpha / 2, x + 0.5, n - x + 0.5)
        # statsmodels and the direct quantiles agree where 1 - alpha keeps alpha's digits.
        big_alpha = alpha >= 1e-6
        rel = np.maximum(np.abs(lo - rlo) / np.maximum(rlo, 1e-300), np.abs(up - rup) / rup)
        assert np.all(rel[big_alpha] < 1e-10), rel[big_alpha].max()
    assert np.all(np.isfinite(lo)) and np.all(np.isfinite(up)), method
    for i in range(len(n)):
        ref, kind = (fmt(lo[i]), fmt(up[i])), "sm"
        xi, ni = int(x[i]), int(n[i])
        if method in ("beta", "jeffreys") and min(xi, ni - xi) >= CF_MIN_SHAPE:
            h = 0.5 if method == "jeffreys" else 0.0
            # Shapes as the C++ side forms them in double (x + 0.5 is rounded near 2^53).
            la, lb = float(xi) + (h or 0.0), float(ni - xi) + (h or 1.0)
            ua, ub = float(xi) + (h or 1.0), float(ni - xi) + (h or 0.0)
            q = float(alpha[i]) / 2
            ref = (mpf_str(cf_beta_quantile(q, la, lb, False)), mpf_str(cf_beta_quantile(q, ua, ub, True)))
            kind = "cf"
        elif method == "jeffreys":
            ref, kind = (fmt(rlo[i]), fmt(rup[i])), "direct"
        elif method == "beta" and use_mp_tails(int(x[i]), int(n[i])):
            xi, ni, q = int(x[i]), int(n[i]), float(alpha[i]) / 2
            ref, kind = (mpf_str(mp_cp_lower(xi, ni, q)), mpf_str(mp_cp_upper(xi, ni, q))), "mp"
        lines.append(" ".join([method, str(x[i]), str(n[i]), fmt(alpha[i]), fmt(lo[i]), fmt(up[i]),
                               ref[0], ref[1], kind]))
with open(os.path.join(out, "confint.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")

# --- high-precision quantiles (mpmath) -----------------------------------------------------------------
mp.mp.dps = 40


def mp_beta_lower_quantile(q, a, b, guess):
    """Solves I_t(a, b) = q for t with Newton's method at 40 digits, starting from scipy's value."""
    a, b, q = mp.mpf(a), mp.mpf(b), mp.mpf(q)
    f = lambda t: mp.betainc(a, b, 0, t, regularized=True) - q
    dens = lambda t: t ** (a - 1) * (1 - t) ** (b - 1) / mp.beta(a, b)
    t = mp.mpf(guess)
    for _ in range(60):
        t_new = t - f(t) / dens(t)
        if t_new <= 0:
            t_new = t / 2
        elif t_new >= 1:
            t_new = (1 + t) / 2
        done = abs(t_new - t) <= abs(t) * mp.mpf(10) ** -32
        t = t_new
        if done:
            break
    assert abs(f(t)) <= q * mp.mpf(10) ** -22, (a, b, q)
    return t


def mp_beta_quantile(q, a, b, upper):
    """The lower quantile at q, or the upper one (1 - I_t(a, b) = q), through 1 - (lower quantile of
    Beta(b, a)) so that ends close to 1 keep their digits."""
    if upper:
        return 1 - mp_beta_lower_quantile(q, b, a, st.beta.ppf(q, b, a))
    return mp_beta_lower_quantile(q, a, b, st.beta.ppf(q, a, b))


mp_lines = []
worst_statsmodels_jeffreys = 0.0
for i in range(400):
    n = int(rng.choice([1, 2, 5, 10, 30, 100, 1000, 2000]))
    x = int(rng.integers(0, n + 1)) if i % 4 else int(rng.choice([0, n]))
    alpha = float(10 ** rng.uniform(-12, np.log10(0.5))) if i % 3 else float(rng.choice([1e-12, 1e-9, 1e-7]))
    for method in ["beta", "jeffreys"]:
        if method == "beta":
            la, lb, ua, ub = x, n - x + 1, x + 1, n - x
        else:
            la, lb, ua, ub = x + 0.5, n - x + 0.5, x + 0.5, n - x + 0.5
        lo = mp.mpf(0) if (method == "beta" and x == 0) else mp_beta_quantile(alpha / 2, la, lb, False)
        up = mp.mpf(1) if (method == "beta" and x == n) else mp_beta_quantile(alpha / 2, ua, ub, True)
        mp_lines.append(" ".join([method, str(x), str(n), fmt(alpha), mp.nstr(lo, 25, min_fixed=1, max_fixed=0),
                                  mp.nstr(up, 25, min_fixed=1, max_fixed=0)]))
        if method == "jeffreys":
            slo, sup = proportion_confint(x, n, alpha, "jeffreys")
            worst_statsmodels_jeffreys = max(worst_statsmodels_jeffreys, float(abs(slo / lo - 1)),
                                             float(abs(sup / up - 1)))
with open(os.path.join(out, "mp_quantile.txt"), "w") as f:
    f.write("\n".join(mp_lines) + "\n")
# The documented reason for not using statsmodels' Jeffreys values at tiny alpha: they are off by far more
# than 1e-10 there, while the direct quantiles are not (checked in the C++ test against these mpmath values).
assert worst_statsmodels_jeffreys > 1e-8, worst_statsmodels_jeffreys
print("statsmodels jeffreys vs mpmath, worst relative error over the mpmath cases: %.3g"
      % worst_statsmodels_jeffreys)

# --- one-sided bounds --------------------------------------------------------------------------------------
n = draw_n(N_RANDOM)
x = draw_x(n)
alpha = draw_alpha(N_RANDOM)
with np.errstate(all="ignore"):
    cpu = np.where(x == n, 1.0, st.beta.isf(alpha, x + 1, n - x))
    cpl = np.where(x == 0, 0.0, st.beta.ppf(alpha, x, n - x + 1))
mp.mp.dps = 50
with open(os.path.join(out, "one_sided.txt"), "w") as f:
    for i in range(len(n)):
        xi, ni, a = int(x[i]), int(n[i]), float(alpha[i])
        if use_mp_tails(xi, ni):
            row = [mpf_str(mp_cp_upper(xi, ni, a)), mpf_str(mp_cp_lower(xi, ni, a)), "mp"]
        else:
            row = [fmt(cpu[i]), fmt(cpl[i]), "sm"]
        f.write(" ".join([str(xi), str(ni), fmt(a)] + row) + "\n")

mp.mp.dps = 50
n = draw_n(N_RANDOM)
alpha = draw_alpha(N_RANDOM)
with open(os.path.join(out, "zero_fail.txt"), "w") as f:
    for i in range(len(n)):
        exact = 1 - mp.power(mp.mpf(float(alpha[i])), 1 / mp.mpf(int(n[i])))
        beta_ref = st.beta.isf(alpha[i], 1, n[i])  # the same bound from scipy's Beta(1, n)
        assert abs(beta_ref / float(exact) - 1) < 1e-12, (n[i], alpha[i])
        f.write(" ".join([str(n[i]), fmt(alpha[i]), mp.nstr(exact, 25, min_fixed=1, max_fixed=0),
                          fmt(-np.log(alpha[i]) / n[i])]) + "\n")

# --- exact coverage ----------------------------------------------------------------------------------------
with open(os.path.join(out, "coverage.txt"), "w") as f:
    for method in METHODS:
        for n in [10, 30, 100, 1000]:
            for p in [0.01, 0.05, 0.2, 0.5]:
                xs = np.arange(n + 1)
                lo, up = proportion_confint(xs, n, 0.05, method)
                w = st.binom.pmf(xs, n, p)
                cov = w[(lo <= p) & (p <= up)].sum()
                f.write(" ".join([method, str(n), fmt(p), fmt(cov)]) + "\n")
print("proportion oracle: wrote", out)
