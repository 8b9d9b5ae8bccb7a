#!/usr/bin/env python3
"""Reference values for tests/bootstrap_test.cpp, written to the directory given as the only argument.

intervals.txt  10,000 random bootstrap distributions fed to scipy.stats.bootstrap (scipy 1.10.1) through its
               `bootstrap_result` argument (n_resamples=0, so scipy uses exactly these replicate values), with
               statistic=np.mean on a data set x. For each case: the replicates, scipy's own jackknife values of
               x (scipy.stats._resampling._jackknife_resample + np.mean, the code path _bca_interval runs), the
               full-sample statistic, scipy's percentile and BCa intervals and _bca_interval's levels and a_hat.
engine.txt     end-to-end Poisson bootstrap cases: rows (unit id, x), seed and B; the replicate means
               sum(w x) / sum(w) with w = Poisson(1) weights from an independent numpy implementation of
               Philox4x32-10 (checked here against the Random123 known-answer vectors) and math.fsum (correctly
               rounded sums); the leave-one-unit-out means; and, when every unit has one row, scipy's percentile
               and BCa intervals for that bootstrap distribution.
poisson.txt    the Poisson(1) CDF table: k, the double nearest to the 80-digit decimal value, scipy's
               poisson.cdf(k, 1).
weights.txt    (seed, unit, first 64 weights) from the numpy implementation.
sums.txt       random arrays (wide exponent range, cancellation, subnormals) with math.fsum (correctly rounded)
               and np.sum (numpy's pairwise summation).
sums_blocked.txt  np.sum of arrays of 1 to 100,000 elements, beyond numpy's 8192-element buffer, where np.sum is
               pairwise within each buffer and sequential across them. Each line: n, seed, kind, np.sum. The
               elements are exact functions of (seed, index) through splitmix64 (dyadic rationals, so the C++
               test regenerates the same doubles without storing them).
"""
import math
import os
import sys
import types
import warnings
from decimal import Decimal, getcontext

import numpy as np
import scipy
import scipy.stats
from scipy.special import ndtri
from scipy.stats._resampling import _bca_interval, _jackknife_resample, _percentile_of_score

assert scipy.__version__ == "1.10.1", scipy.__version__
out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
rng = np.random.default_rng(20240611)


def f(v):
    return repr(float(v))


def fl(vs):
    return " ".join(repr(float(v)) for v in vs)


# ----------------------------------------------------------------------------------------------------------
# Philox4x32-10 and the Poisson(1) weights, written from the paper and the documented layout.
# ----------------------------------------------------------------------------------------------------------
M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
MASK = np.uint64(0xFFFFFFFF)


def philox4x32(c, key, rounds=10):
    c0, c1, c2, c3 = (np.asarray(x, dtype=np.uint64) for x in c)
    k0, k1 = key
    for r in range(rounds):
        if r:
            k0 = (k0 + 0x9E3779B9) & 0xFFFFFFFF
            k1 = (k1 + 0xBB67AE85) & 0xFFFFFFFF
        p0 = M0 * c0
        p1 = M1 * c2
        c0, c1, c2, c3 = (p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & MASK, \
            (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & MASK
    return c0, c1, c2, c3


for rounds, ctr, key, exp in [
        (7, [0, 0, 0, 0], [0, 0], [0x5f6fb709, 0x0d893f64, 0x4f121f81, 0x4f730a48]),
        (10, [0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]),
        (10, [0xffffffff] * 4, [0xffffffff] * 2, [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]),
        (10, [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0],
         [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1])]:
    got = [int(x) for x in philox4x32([np.array([v], dtype=np.uint64) for v in ctr], key, rounds)]
    assert got == exp, (rounds, [hex(g) for g in got])

getcontext().prec = 80
_e = Decimal(-1).exp()
_acc, _fact, POISSON_TABLE = Decimal(0), Decimal(1), []
for k in range(40):
    if k:
        _fact *= k
    _acc += 1 / _fact
    v = float(_e * _acc)  # correctly rounded
    if v == 1.0:
        break
    POISSON_TABLE.append(v)
POISSON_TABLE = np.array(POISSON_TABLE)
POISSON_DOMAIN = 0x504F4953


def poisson_weights(seed, units, B):
    """weights[u, b] for unit ids `units` (uint64 array) and replicates 0..B-1."""
    units = np.asarray(units, dtype=np.uint64)
    blocks = np.arange((B + 1) // 2, dtype=np.uint64)
    U, K = np.meshgrid(units, blocks, indexing="ij")
    c = [K.ravel(), U.ravel() & MASK, U.ravel() >> np.uint64(32),
         np.full(U.size, POISSON_DOMAIN, dtype=np.uint64)]
    w0, w1, w2, w3 = philox4x32(c, (seed & 0xFFFFFFFF, seed >> 32))
    u_even = ((w1 << np.uint64(32)) | w0) >> np.uint64(11)
    u_odd = ((w3 << np.uint64(32)) | w2) >> np.uint64(11)
    u = np.empty((units.size, 2 * blocks.size))
    u[:, 0::2] = (u_even.astype(np.float64) * 2.0 ** -53).reshape(units.size, -1)
    u[:, 1::2] = (u_odd.astype(np.float64) * 2.0 ** -53).reshape(units.size, -1)
    return np.searchsorted(POISSON_TABLE, u[:, :B], side="right")


with open(os.path.join(out_dir, "poisson.txt"), "w") as fo:
    for k, v in enumerate(POISSON_TABLE):
        fo.write(f"{k} {f(v)} {f(scipy.stats.poisson.cdf(k, 1.0))}\n")

with open(os.path.join(out_dir, "weights.txt"), "w") as fo:
    for i in range(200):
        seed = int(rng.integers(0, 2 ** 64, dtype=np.uint64))
        unit = int(rng.integers(0, 2 ** 64, dtype=np.uint64)) if i % 4 else i
        w = poisson_weights(seed, [unit], 64)[0]
        fo.write(f"{seed} {unit} " + " ".join(str(int(x)) for x in w) + "\n")


# ----------------------------------------------------------------------------------------------------------
# intervals.txt
# ----------------------------------------------------------------------------------------------------------
def log_uniform_int(lo, hi):
    return int(math.floor(math.exp(rng.uniform(math.log(lo), math.log(hi + 1)))))


def random_data(n):
    kind = rng.integers(0, 5)
    if kind == 0:
        x = rng.normal(rng.choice([0.0, 1.0, 10.0, -3.0]), rng.choice([0.1, 1.0, 5.0]), n)
    elif kind == 1:
        x = rng.exponential(rng.choice([0.5, 1.0, 3.0]), n)
    elif kind == 2:
        x = rng.integers(0, 4, n).astype(float)  # heavy ties
    elif kind == 3:
        x = np.round(rng.uniform(-1, 1, n), 2)
    else:
        x = rng.lognormal(0, 1, n)
    if n >= 2 and np.all(x == x[0]):
        x[0] += 1.0
    return x


def random_replicates(x, B):
    theta = float(np.mean(x))
    kind = rng.integers(0, 10)
    if kind <= 4:  # a real multinomial bootstrap of the mean
        idx = rng.integers(0, x.size, (B, x.size))
        return np.mean(x[idx], axis=-1)
    if kind == 5:
        return np.round(rng.normal(theta, 0.3, B), 1)  # ties, some equal to theta possibly
    if kind == 6:
        return np.full(B, theta)  # every replicate equals the estimate
    if kind == 7:
        return theta + np.abs(rng.normal(0, 1, B)) + 1e-3  # all above: z0 = -inf
    if kind == 8:
        return theta - np.abs(rng.normal(0, 1, B)) - 1e-3  # all below: z0 = +inf
    return rng.standard_t(3, B) + theta


def confidence():
    if rng.uniform() < 0.5:
        return float(rng.choice([0.5, 0.8, 0.9, 0.95, 0.99, 0.999]))
    return float(rng.uniform(0.01, 0.999))


warnings.simplefilter("ignore")
with open(os.path.join(out_dir, "intervals.txt"), "w") as fo:
    for case in range(10000):
        B = log_uniform_int(1, 2000)
        n = log_uniform_int(2, 200)
        x = random_data(n)
        theta_b = np.asarray(random_replicates(x, B), dtype=np.float64)
        cl = confidence()
        prior = types.SimpleNamespace(bootstrap_distribution=theta_b)
        res_p = scipy.stats.bootstrap((x,), np.mean, n_resamples=0, bootstrap_result=prior,
                                      method="percentile", confidence_level=cl)
        res_b = scipy.stats.bootstrap((x,), np.mean, n_resamples=0, bootstrap_result=prior,
                                      method="BCa", confidence_level=cl)
        alpha = (1 - cl) / 2
        a1, a2, a_hat = _bca_interval([x], np.mean, axis=-1, alpha=alpha, theta_hat_b=theta_b, batch=None)
        theta_hat = np.mean(x, axis=-1)
        z0 = ndtri(_percentile_of_score(theta_b, np.asarray(theta_hat)[..., None], axis=-1))
        jack = np.concatenate([np.mean(s, axis=-1) for s in _jackknife_resample(x)])
        fo.write(f"case {case} {B} {n} {f(cl)}\n")
        fo.write("r " + fl(theta_b) + "\n")
        fo.write("j " + fl(jack) + "\n")
        fo.write("e " + fl([theta_hat, res_p.confidence_interval.low, res_p.confidence_interval.high,
                            res_b.confidence_interval.low, res_b.confidence_interval.high,
                            a1, a2, a_hat, z0]) + "\n")


def exact_mean(a, axis=-1):
    return np.apply_along_axis(lambda v: math.fsum(v.tolist()) / v.size, axis, a)


# ----------------------------------------------------------------------------------------------------------
# engine.txt
# ----------------------------------------------------------------------------------------------------------
with open(os.path.join(out_dir, "engine.txt"), "w") as fo:
    for case in range(1500):
        seed = int(rng.integers(0, 2 ** 64, dtype=np.uint64))
        B = log_uniform_int(1, 400)
        n_units = log_uniform_int(2, 150)
        units = np.unique(rng.integers(0, 2 ** 64, 2 * n_units, dtype=np.uint64))[:n_units]
        rng.shuffle(units)
        n_units = units.size
        if case % 5 == 0:
            units[: n_units // 2] = np.arange(n_units // 2, dtype=np.uint64)  # small ids too
        clustered = case % 3 == 0
        rows_per_unit = rng.integers(1, 4, n_units) if clustered else np.ones(n_units, dtype=int)
        row_units = np.repeat(units, rows_per_unit)
        x = random_data(row_units.size)
        perm = rng.permutation(row_units.size)
        row_units, x = row_units[perm], x[perm]
        w_unit = poisson_weights(seed, units, B)  # (n_units, B)
        unit_index = {int(u): i for i, u in enumerate(units)}
        w = w_unit[[unit_index[int(u)] for u in row_units]]  # (rows, B)
        # sum_rows w * x exactly (the engine multiplies the limbs, no rounding of w * x), rounded once by fsum.
        reps = []
        for b in range(B):
            sw = float(np.sum(w[:, b]))
            reps.append(math.fsum(np.repeat(x, w[:, b]).tolist()) / sw if sw > 0 else float("nan"))
        jack_units = sorted(int(u) for u in units)
        jack = []
        for u in jack_units:
            keep = row_units != np.uint64(u)
            jack.append(math.fsum(x[keep].tolist()) / float(np.count_nonzero(keep)))
        theta_hat = math.fsum(x.tolist()) / x.size
        cl = float(rng.choice([0.8, 0.9, 0.95, 0.99]))
        intervals = [float("nan")] * 4
        reps_arr = np.array(reps)
        if not clustered and np.all(np.isfinite(reps_arr)):
            # The statistic is the correctly rounded mean (as the engine computes it): with np.mean, whose
            # rounding differs by an ulp, a replicate that ties theta_hat exactly (e.g. all weights equal)
            # could count as below it, and z0 would change discontinuously.
            prior = types.SimpleNamespace(bootstrap_distribution=reps_arr)
            rp = scipy.stats.bootstrap((x,), exact_mean, n_resamples=0, bootstrap_result=prior,
                                       method="percentile", confidence_level=cl)
            rb = scipy.stats.bootstrap((x,), exact_mean, n_resamples=0, bootstrap_result=prior,
                                       method="BCa", confidence_level=cl)
            intervals = [rp.confidence_interval.low, rp.confidence_interval.high,
                         rb.confidence_interval.low, rb.confidence_interval.high]
        fo.write(f"case {case} {seed} {B} {row_units.size} {len(jack_units)} {f(cl)} {int(clustered)}\n")
        fo.write("u " + " ".join(str(int(u)) for u in row_units) + "\n")
        fo.write("x " + fl(x) + "\n")
        fo.write("r " + fl(reps) + "\n")
        fo.write("j " + fl(jack) + "\n")
        fo.write("e " + fl([theta_hat] + intervals) + "\n")


# ----------------------------------------------------------------------------------------------------------
# sums.txt
# ----------------------------------------------------------------------------------------------------------
with open(os.path.join(out_dir, "sums.txt"), "w") as fo:
    for case in range(10000):
        n = log_uniform_int(1, 400)
        kind = case % 5
        if kind == 0:
            x = rng.normal(0, 1, n)
        elif kind == 1:  # wide exponent range, random signs
            x = rng.choice([-1.0, 1.0], n) * np.exp2(rng.uniform(-1000, 1000, n))
        elif kind == 2:  # massive cancellation
            big = rng.normal(0, 1e16, n // 2 + 1)
            x = np.concatenate([big, -big, rng.normal(0, 1, n)])[: max(n, 1)]
            rng.shuffle(x)
        elif kind == 3:  # subnormals and tiny values
            x = rng.choice([-1.0, 1.0], n) * rng.integers(1, 2 ** 40, n) * 2.0 ** -1074
        else:
            x = rng.uniform(0, 1, n) * 10.0 ** rng.integers(-5, 6, n)
        fo.write(f"{n} {f(math.fsum(x.tolist()))} {f(np.sum(x))} " + fl(x) + "\n")


# ----------------------------------------------------------------------------------------------------------
# sums_blocked.txt
# ----------------------------------------------------------------------------------------------------------
def splitmix_values(seed, n, kind):
    """x[i] from splitmix64(seed + (i + 1) * golden): kind 0 in [0, 1) (like precision entries), kind 1
    centred with a power-of-two scale in 2^-20 .. 2^20 (both exact in binary64)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    if kind == 0:
        return u
    e = (z & np.uint64(63)).astype(np.int64) % 41 - 20
    return (u - 0.5) * np.exp2(e.astype(np.float64))


with open(os.path.join(out_dir, "sums_blocked.txt"), "w") as fo:
    for case in range(10000):
        n = log_uniform_int(1, 100000)
        seed = int(rng.integers(0, 2 ** 63))
        kind = case % 2
        fo.write(f"{n} {seed} {kind} {f(np.sum(splitmix_values(seed, n, kind)))}\n")
