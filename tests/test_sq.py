"""The SQ test (Gelbach, Helland and Klick 2013): p-value form, ties, multi-day validity.

Every p-value is checked against a plain Python loop over events and sums of
the form stated in :func:`eventstudy.inference.sq_pvalues`; ties are checked
on tick-grid residuals whose sums are compared in exact integer arithmetic;
the size is checked by seeded Monte Carlo with a tolerance of three Monte
Carlo standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from eventstudy import inference as inf
from eventstudy.exceptions import InferenceError, OptionError

RTOL, ATOL = 1e-12, 0.0
WINDOWS = np.array([[0, 0], [-1, 1], [0, 5]])


def _p(le, ge, m):
    """The stated form: min(1, 2 min(1 + #<=, 1 + #>=) / (M + 1))."""
    return min(1.0, 2.0 * min(1 + le, 1 + ge) / (m + 1))


def _ref_sums(row, L, multiday, draws=0, seed=0, window=()):
    """Reference sums of one event by a plain loop (the docstring's definitions)."""
    if L == 1 or multiday == "overlapping":
        sums = []
        for j in range(len(row) - L + 1):
            run = row[j : j + L]
            if not any(math.isnan(v) for v in run):
                sums.append(math.fsum(run))
        return sums
    sample = [v for v in row if not math.isnan(v)]
    n = len(sample)
    if multiday == "blocks":
        return [math.fsum(sample[n - (j + 1) * L : n - j * L]) for j in range(n // L)]
    # permutation: L values without replacement from the pool, the i-th pick
    # the c-th of the values not yet taken (in pool order)
    pool = sample + list(window)
    u = np.random.default_rng(seed).random((draws, L))
    sums = []
    for b in range(draws):
        taken = []
        for i in range(L):
            c = min(int(math.floor(u[b, i] * (len(pool) - i))), len(pool) - i - 1)
            taken.append([j for j in range(len(pool)) if j not in taken][c])
        sums.append(math.fsum(pool[j] for j in taken))
    return sums


def _hand_sq(car, est, windows, multiday, draws=0, seed=0, tol=0.0):
    E = est.shape[0]
    out = np.full((E, len(windows)), np.nan)
    for e in range(E):
        for w, (a, b) in enumerate(windows):
            L = int(b - a + 1)
            sums = _ref_sums(list(est[e]), L, multiday, draws, seed)
            c = car[e, w]
            if math.isnan(c) or not sums:
                continue
            le = sum(s <= c + tol for s in sums)
            ge = sum(s >= c - tol for s in sums)
            out[e, w] = _p(le, ge, len(sums))
    return out


def _fake(E=6, Le=60, seed=13):
    rng = np.random.default_rng(seed)
    est = rng.standard_t(5, size=(E, Le)) * 0.01
    est[1, 5:9] = np.nan  # a gap from excluded days
    est[2, ::7] = np.nan
    car = rng.standard_normal((E, len(WINDOWS))) * 0.01 * np.sqrt([1, 3, 6])
    car[3, 1] = np.nan
    return car, est


@pytest.mark.parametrize("multiday", ["permutation", "blocks", "overlapping"])
def test_sq_equals_hand_loop(multiday):
    car, est = _fake()
    p = inf.sq_pvalues(car, est, WINDOWS, multiday=multiday, draws=199, seed=3)
    ref = _hand_sq(car, est, WINDOWS, multiday, draws=199, seed=3)
    np.testing.assert_allclose(p, ref, rtol=RTOL, atol=ATOL, equal_nan=True)


def test_sq_permutation_pools_the_window_ars():
    car, est = _fake()
    rng = np.random.default_rng(8)
    rel_win = np.arange(-1, 6)
    ar = rng.standard_normal((6, rel_win.size)) * 0.01
    car = np.stack([ar[:, (rel_win >= a) & (rel_win <= b)].sum(axis=1) for a, b in WINDOWS], 1)
    p = inf.sq_pvalues(car, est, WINDOWS, window_ar=ar, rel_win=rel_win, draws=199, seed=5)
    for e in range(6):
        for w, (a, b) in enumerate(WINDOWS):
            x = [float(v) for v, t in zip(ar[e], rel_win, strict=True) if a <= t <= b]
            window = x if len(x) > 1 else ()  # one-day windows: the exact rank test
            sums = _ref_sums(list(est[e]), len(x), "permutation", 199, 5, window)
            c = math.fsum(x)
            ref = _p(sum(s <= c for s in sums), sum(s >= c for s in sums), len(sums))
            np.testing.assert_allclose(p[e, w], ref, rtol=RTOL, atol=ATOL)


def test_sq_screen_is_the_first_draws_or_all_of_them():
    """Screened p = the p of the first B1 sums where that exceeds the level, else all draws'."""
    car, est = _fake(E=40, seed=21)
    car = car * np.linspace(0.2, 3.0, 40)[:, None]  # p-values on both sides of the level
    first, level, draws = 49, 0.3, 399
    p = inf.sq_pvalues(car, est, WINDOWS, draws=draws, seed=4, screen=(first, level))
    p_first = _hand_sq(car, est, WINDOWS, "permutation", draws=first, seed=4)
    p_all = _hand_sq(car, est, WINDOWS, "permutation", draws=draws, seed=4)
    want = np.where(p_first > level, p_first, p_all)
    np.testing.assert_allclose(p, want, rtol=RTOL, atol=ATOL, equal_nan=True)
    multi = np.array([b > a for a, b in WINDOWS])
    assert (p_first[:, multi] > level).any() and (p_first[:, multi] <= level).any()
    # one-day windows are the exact rank test: no draws, no screen
    one = ~multi
    np.testing.assert_array_equal(p[:, one], inf.sq_pvalues(car, est, WINDOWS)[:, one])
    with pytest.raises(InferenceError, match=r"screen must be \(draws, level\).*got \(10, 1.5\)"):
        inf.sq_pvalues(car, est, WINDOWS, screen=(10, 1.5))


def test_sq_old_call_is_the_default():
    car, est = _fake()
    np.testing.assert_array_equal(
        inf.sq_pvalues(car, est, WINDOWS),
        inf.sq_pvalues(car, est, WINDOWS, multiday="permutation", draws=9999, seed=0),
    )


def test_sq_never_zero_and_extremes():
    est = np.tile(np.linspace(-1, 1, 101), (3, 1))
    p = inf.sq_pvalues(np.array([[5.0], [-5.0], [0.0]]), est, [[0, 0]])
    # the most extreme CAR gets the smallest p of the form, 2/(M + 1), not 0
    np.testing.assert_allclose(p[:2, 0], 2.0 / 102, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(p[2, 0], 1.0, rtol=RTOL, atol=ATOL)
    car, est = _fake()
    for m in ("permutation", "blocks", "overlapping"):
        q = inf.sq_pvalues(car * 100, est, WINDOWS, multiday=m, draws=99)
        assert np.nanmin(q) > 0


def _tick_data(E=8, Le=120, seed=5):
    """Constant-mean residuals of prices on a tick grid: many exact ties.

    Returns tick counts k (integers), the residuals r = 0.1 k - mean (floats)
    and the window ticks; exact comparisons of sums are made on the integers
    (the means cancel: both sides are L-day sums).
    """
    rng = np.random.default_rng(seed)
    k = rng.integers(-3, 4, size=(E, Le + 6))
    mean = (0.1 * k[:, :Le]).mean(axis=1, keepdims=True)
    r = 0.1 * k - mean
    return k[:, :Le], k[:, Le:], r[:, :Le], r[:, Le:]


def _hand_ticks(k_est, k_win, windows, multiday):
    """SQ p from integer tick sums: a tie is exact equality of integers."""
    E = k_est.shape[0]
    out = np.full((E, len(windows)), np.nan)
    for e in range(E):
        for w, (a, b) in enumerate(windows):
            L = int(b - a + 1)
            c = int(sum(k_win[e, : L]))
            sums = [int(s) for s in _ref_sums(list(map(float, k_est[e])), L, multiday)]
            le = sum(s <= c for s in sums)
            ge = sum(s >= c for s in sums)
            out[e, w] = _p(le, ge, len(sums))
    return out


@pytest.mark.parametrize("multiday", ["blocks", "overlapping"])
def test_sq_ties_are_ties_whatever_the_route(multiday):
    k_est, k_win, r_est, r_win = _tick_data()
    windows = np.array([[0, 0], [0, 2], [0, 5]])
    ref = _hand_ticks(k_est, k_win, windows, multiday)
    # the CAR by three floating-point routes: forward, backward, via prefix sums
    cars = []
    for route in ("forward", "backward", "prefix"):
        c = np.empty((r_win.shape[0], 3))
        for w, (_, b) in enumerate(windows):
            x = r_win[:, : b + 1]
            if route == "forward":
                c[:, w] = x.sum(axis=1)
            elif route == "backward":
                c[:, w] = x[:, ::-1].sum(axis=1)
            else:
                cs = np.cumsum(np.concatenate([r_est, r_win], axis=1), axis=1)
                c[:, w] = cs[:, r_est.shape[1] + b] - cs[:, r_est.shape[1] - 1]
        cars.append(c)
        p = inf.sq_pvalues(c, r_est, windows, multiday=multiday)
        np.testing.assert_allclose(p, ref, rtol=RTOL, atol=ATOL)
    # the routes do differ in the last bits: the tolerance is what makes them agree
    assert any(not np.array_equal(cars[0], c) for c in cars[1:])
    # and the same when the CAR is recomputed from the window ARs
    rel_win = np.arange(0, 6)
    p = inf.sq_pvalues(cars[2], r_est, windows, window_ar=r_win, rel_win=rel_win,
                       multiday=multiday)
    np.testing.assert_allclose(p, ref, rtol=RTOL, atol=ATOL)


def test_sq_window_ar_with_a_missing_day_uses_shorter_sums():
    _, est = _fake()
    rng = np.random.default_rng(0)
    rel_win = np.arange(-1, 6)
    ar = rng.standard_normal((6, rel_win.size)) * 0.01
    ar[0, 2] = np.nan  # day 1 missing: [-1, 1] holds 2 days, [0, 5] holds 5
    windows = np.array([[-1, 1], [0, 5]])
    car = np.stack([np.nansum(ar[:, :3], axis=1), np.nansum(ar[:, 1:], axis=1)], axis=1)
    p = inf.sq_pvalues(car, est, windows, window_ar=ar, rel_win=rel_win, multiday="overlapping")
    for e in range(6):
        for w, (a, b) in enumerate(windows):
            x = [v for v, t in zip(ar[e], rel_win, strict=True) if a <= t <= b and np.isfinite(v)]
            sums = _ref_sums(list(est[e]), len(x), "overlapping")
            c = math.fsum(x)
            ref = _p(sum(s <= c for s in sums), sum(s >= c for s in sums), len(sums))
            np.testing.assert_allclose(p[e, w], ref, rtol=RTOL, atol=ATOL)


def test_sq_bad_arguments():
    car, est = _fake()
    with pytest.raises(OptionError, match=r"multiday must be one of 'permutation', 'blocks', "
                                          r"'overlapping'; got 'block'"):
        inf.sq_pvalues(car, est, WINDOWS, multiday="block")
    with pytest.raises(InferenceError, match="window_ar needs rel_win"):
        inf.sq_pvalues(car, est, WINDOWS, window_ar=np.zeros((6, 7)))
    with pytest.raises(InferenceError, match=r"window_ar must have shape \(events, "
                                             r"len\(rel_win\)\) = \(6, 7\); got \(6, 3\)"):
        inf.sq_pvalues(car, est, WINDOWS, window_ar=np.zeros((6, 3)), rel_win=np.arange(-1, 6))
    with pytest.raises(InferenceError, match="draws must be a positive integer; got 0"):
        inf.sq_pvalues(car, est, WINDOWS, draws=0)
    with pytest.raises(InferenceError, match=r"car must have shape .* = \(6, 3\)"):
        inf.sq_pvalues(car[:, :2], est, WINDOWS)


@pytest.mark.parametrize("dist", ["normal", "t4"])
@pytest.mark.parametrize("multiday", ["permutation", "blocks"])
def test_sq_size_on_iid_residuals(dist, multiday):
    """One event per trial: the rejection rate is the form's exact size within 3 MC SE.

    For exchangeable sums the size of the two-sided test is
    s = 2⌊α(M + 1)/2⌋/(M + 1) <= α (M reference sums: the n residuals for
    L = 1, ``draws`` permutation sums, ⌊n/L⌋ blocks); the Monte Carlo rate of
    N trials has standard error √(s(1 - s)/N).
    """
    N, n, alpha, draws = 2000, 240, 0.05, 499
    rng = np.random.default_rng(20131 if dist == "normal" else 20132)
    x = rng.standard_normal((N, n + 6)) if dist == "normal" else rng.standard_t(4, (N, n + 6))
    est, win = x[:, :n], x[:, n:]
    windows = np.array([[0, 0], [0, 2], [0, 5]])
    car = np.stack([win[:, : b + 1].sum(axis=1) for _, b in windows], axis=1)
    p = inf.sq_pvalues(car, est, windows, window_ar=win, rel_win=np.arange(6),
                       multiday=multiday, draws=draws)
    for w, (_, b) in enumerate(windows):
        L = b + 1
        M = n if L == 1 else (draws if multiday == "permutation" else n // L)
        size = 2 * math.floor(alpha * (M + 1) / 2) / (M + 1)
        assert size <= alpha
        se = math.sqrt(size * (1 - size) / N)
        rate = float((p[:, w] <= alpha).mean())
        assert abs(rate - size) <= 3 * se, (dist, L, rate, size, se)


def test_sq_of_shifted_day0_equals_sq_of_the_shifted_returns():
    """One set of permutation sums serves every day-0 shift: the p-values of each shift."""
    rng = np.random.default_rng(12)
    E, n = 300, 150
    est = rng.standard_t(4, (E, n)) * 0.01
    est[::7, 10:14] = np.nan
    rel_win = np.arange(-1, 6)
    ar = rng.standard_t(4, (E, rel_win.size)) * 0.01
    ar[5, 1] = np.nan  # day 0 missing: nothing moves
    ar[6, 0] = np.nan  # day -1 missing: day 0 is the first usable day of [-1, 1]
    windows = np.array([[0, 0], [-1, 1], [0, 5], [2, 5]])

    def cars(x):
        return np.stack([np.nansum(np.where((rel_win >= a) & (rel_win <= b), x, 0.0), axis=1)
                         for a, b in windows], axis=1)

    shifts = (0.0, 0.01, 0.03, -0.02)
    for screen in (None, (49, 0.3)):
        got = inf.sq_pvalues_shifted(cars(ar), est, windows, ar, rel_win, shifts, draws=299,
                                     seed=4, screen=screen)
        for i, delta in enumerate(shifts):
            x = ar.copy()
            x[:, 1] += delta
            want = inf.sq_pvalues(cars(x), est, windows, window_ar=x, rel_win=rel_win,
                                  draws=299, seed=4, screen=screen)
            np.testing.assert_array_equal(got[i], want)
