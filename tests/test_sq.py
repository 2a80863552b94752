"""The SQ test (Gelbach, Helland and Klick 2013): p-value form, ties, size, day-0 shifts.

Every p-value is checked against a plain Python loop over events and
permutation sums of the form stated in :func:`eventstudy.inference.sq_pvalues`;
ties are checked on tick-grid residuals whose sums are compared in exact
integer arithmetic; the size is checked by seeded Monte Carlo with a tolerance
of three Monte Carlo standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from eventstudy import inference as inf
from eventstudy.exceptions import InferenceError
from eventstudy.inference import sq

RTOL, ATOL = 1e-12, 0.0
WINDOWS = np.array([[0, 0], [-1, 1], [0, 5]])
REL_WIN = np.arange(-1, 6)


def _p(le, ge, m):
    """The stated form: min(1, 2 min(1 + #<=, 1 + #>=) / (M + 1))."""
    return min(1.0, 2.0 * min(1 + le, 1 + ge) / (m + 1))


def _ref_sums(row, window, draws, seed):
    """Reference sums of one event by a plain loop (the docstring's definitions).

    One day: the sample residuals themselves. L days: ``draws`` sums of L
    values without replacement from the pool of the sample residuals (in
    event-time order) and the L window values, the i-th pick the c-th of the
    values not yet taken, c = ⌊u (n - i)⌋ for the seeded uniforms u.
    """
    sample = [v for v in row if not math.isnan(v)]
    L = len(window)
    if L == 1:
        return sample
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


def _hand_sq(est, ar, windows, draws, seed, tol=0.0):
    E = est.shape[0]
    out = np.full((E, len(windows)), np.nan)
    for e in range(E):
        for w, (a, b) in enumerate(windows):
            x = [float(v) for v, t in zip(ar[e], REL_WIN, strict=True)
                 if a <= t <= b and not math.isnan(v)]
            if not x:
                continue
            sums = _ref_sums(list(est[e]), x, draws, seed)
            c = math.fsum(x)
            out[e, w] = _p(sum(s <= c + tol for s in sums), sum(s >= c - tol for s in sums),
                           len(sums))
    return out


def _cars(ar, windows=WINDOWS):
    return np.stack([np.nansum(np.where((REL_WIN >= a) & (REL_WIN <= b), ar, 0.0), axis=1)
                     for a, b in windows], axis=1)


def _fake(E=6, Le=60, seed=13):
    rng = np.random.default_rng(seed)
    est = rng.standard_t(5, size=(E, Le)) * 0.01
    est[1, 5:9] = np.nan  # a gap from excluded days
    est[2, ::7] = np.nan
    ar = rng.standard_normal((E, REL_WIN.size)) * 0.01
    ar[0, 2] = np.nan  # day 1 missing: [-1, 1] holds 2 days, [0, 5] holds 5
    car = _cars(ar)
    car[3, 1] = np.nan
    return car, est, ar


def test_sq_equals_hand_loop():
    car, est, ar = _fake()
    p = inf.sq_pvalues(car, est, WINDOWS, ar, REL_WIN, draws=199, seed=3, screen=None)
    ref = _hand_sq(est, ar, WINDOWS, 199, 3)
    ref[3, 1] = np.nan  # a missing CAR is not tested
    np.testing.assert_allclose(p, ref, rtol=RTOL, atol=ATOL, equal_nan=True)


def test_sq_screen_is_the_first_draws_or_all_of_them():
    """Screened p = the p of the first B1 sums where that exceeds the level, else all draws'."""
    _, est, ar = _fake(E=40, seed=21)
    ar = ar * np.linspace(0.2, 3.0, 40)[:, None]  # p-values on both sides of the level
    car = _cars(ar)
    first, level, draws = 49, 0.3, 399
    p = inf.sq_pvalues(car, est, WINDOWS, ar, REL_WIN, draws=draws, seed=4,
                       screen=(first, level))
    p_first = _hand_sq(est, ar, WINDOWS, first, 4)
    p_all = _hand_sq(est, ar, WINDOWS, draws, 4)
    want = np.where(p_first > level, p_first, p_all)
    np.testing.assert_allclose(p, want, rtol=RTOL, atol=ATOL, equal_nan=True)
    multi = np.array([b > a for a, b in WINDOWS])
    assert (p_first[:, multi] > level).any() and (p_first[:, multi] <= level).any()
    with pytest.raises(InferenceError, match=r"screen must be \(draws, level\).*got \(10, 1.5\)"):
        inf.sq_pvalues(car, est, WINDOWS, ar, REL_WIN, screen=(10, 1.5))


def test_sq_never_zero_and_extremes():
    est = np.tile(np.linspace(-1, 1, 101), (3, 1))
    car = np.array([[5.0], [-5.0], [0.0]])
    p = inf.sq_pvalues(car, est, [[0, 0]], car, [0])
    # the most extreme CAR gets the smallest p of the form, 2/(M + 1), not 0
    np.testing.assert_allclose(p[:2, 0], 2.0 / 102, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(p[2, 0], 1.0, rtol=RTOL, atol=ATOL)
    car, est, ar = _fake()
    q = inf.sq_pvalues(car * 100, est, WINDOWS, ar * 100, REL_WIN, draws=99, screen=None)
    np.testing.assert_allclose(np.nanmin(q), 2.0 / 100, rtol=RTOL, atol=ATOL)


def _tick_data(E=8, Le=120, seed=5):
    """Constant-mean residuals of prices on a tick grid: many exact ties.

    Returns tick counts k (integers) and the residuals r = 0.1 k - mean
    (floats) of the estimation sample and the window; exact comparisons of
    sums are made on the integers (the means cancel: both sides are L-day
    sums).
    """
    rng = np.random.default_rng(seed)
    k = rng.integers(-3, 4, size=(E, Le + 6))
    mean = (0.1 * k[:, :Le]).mean(axis=1, keepdims=True)
    r = 0.1 * k - mean
    return k[:, :Le], k[:, Le:], r[:, :Le], r[:, Le:]


def test_sq_ties_are_ties_whatever_the_summation_order(monkeypatch):
    k_est, k_win, r_est, r_win = _tick_data()
    windows = np.array([[0, 0], [0, 2], [0, 5]])
    rel_win = np.arange(0, 6)
    ref = np.full((k_est.shape[0], 3), np.nan)
    for e in range(k_est.shape[0]):
        for w, (_, b) in enumerate(windows):
            x = list(map(float, k_win[e, : b + 1]))
            sums = [int(s) for s in _ref_sums(list(map(float, k_est[e])), x, 299, 0)]
            c = int(sum(k_win[e, : b + 1]))
            ref[e, w] = _p(sum(s <= c for s in sums), sum(s >= c for s in sums), len(sums))
    p = inf.sq_pvalues(np.zeros((k_est.shape[0], 3)), r_est, windows, r_win, rel_win, draws=299,
                       screen=None)
    np.testing.assert_allclose(p, ref, rtol=RTOL, atol=ATOL)
    # float sums of equal tick counts differ in their last bits: without the
    # tolerance some ties are decided by rounding
    monkeypatch.setattr(sq, "SQ_TIE_RTOL", 0.0)
    exact = inf.sq_pvalues(np.zeros((k_est.shape[0], 3)), r_est, windows, r_win, rel_win,
                           draws=299, screen=None)
    assert not np.array_equal(exact, ref)


def test_sq_bad_arguments():
    car, est, ar = _fake()
    with pytest.raises(InferenceError, match=r"window_ar must have shape \(events, "
                                             r"len\(rel_win\)\) = \(6, 7\); got \(6, 3\)"):
        inf.sq_pvalues(car, est, WINDOWS, np.zeros((6, 3)), REL_WIN)
    with pytest.raises(InferenceError, match="draws must be a positive integer; got 0"):
        inf.sq_pvalues(car, est, WINDOWS, ar, REL_WIN, draws=0)
    with pytest.raises(InferenceError, match=r"car must have shape .* = \(6, 3\)"):
        inf.sq_pvalues(car[:, :2], est, WINDOWS, ar, REL_WIN)


def test_sq_size_on_iid_residuals():
    """One event per trial: the rejection rate is the form's exact size within 3 MC SE.

    For exchangeable sums the size of the two-sided test is
    s = 2⌊α(M + 1)/2⌋/(M + 1) <= α (M reference sums: the n residuals for
    L = 1, ``draws`` permutation sums); the Monte Carlo rate of N trials has
    standard error √(s(1 - s)/N).
    """
    N, n, alpha, draws = 2000, 240, 0.05, 499
    for dist, seed in (("normal", 20131), ("t4", 20132)):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((N, n + 6)) if dist == "normal" else rng.standard_t(4, (N, n + 6))
        est, win = x[:, :n], x[:, n:]
        windows = np.array([[0, 0], [0, 2], [0, 5]])
        car = np.stack([win[:, : b + 1].sum(axis=1) for _, b in windows], axis=1)
        p = inf.sq_pvalues(car, est, windows, win, np.arange(6), draws=draws, screen=None)
        for w, (_, b) in enumerate(windows):
            M = n if b == 0 else draws
            size = 2 * math.floor(alpha * (M + 1) / 2) / (M + 1)
            assert size <= alpha
            se = math.sqrt(size * (1 - size) / N)
            rate = float((p[:, w] <= alpha).mean())
            assert abs(rate - size) <= 3 * se, (dist, b + 1, rate, size, se)


def test_sq_of_shifted_day0_equals_sq_of_the_shifted_returns():
    """The p-values of each shift are those of the returns with the shift added on day 0."""
    rng = np.random.default_rng(12)
    E, n = 300, 150
    est = rng.standard_t(4, (E, n)) * 0.01
    est[::7, 10:14] = np.nan
    ar = rng.standard_t(4, (E, REL_WIN.size)) * 0.01
    ar[5, 1] = np.nan  # day 0 missing: nothing moves
    ar[6, 0] = np.nan  # day -1 missing: day 0 is the first usable day of [-1, 1]
    windows = np.array([[0, 0], [-1, 1], [0, 5], [2, 5]])
    shifts = (0.0, 0.01, 0.03, -0.02)
    for screen in (None, (49, 0.3)):
        got = inf.sq_pvalues(_cars(ar, windows), est, windows, ar, REL_WIN, draws=299, seed=4,
                             screen=screen, shifts=shifts)
        assert got.shape == (len(shifts), E, len(windows))
        for i, delta in enumerate(shifts):
            x = ar.copy()
            x[:, 1] += delta
            want = inf.sq_pvalues(_cars(x, windows), est, windows, x, REL_WIN, draws=299, seed=4,
                                  screen=screen)
            np.testing.assert_array_equal(got[i], want)
        # the shifts move the p-values of the windows holding day 0 only
        np.testing.assert_array_equal(got[1, :, 3], got[0, :, 3])
        assert (got[2, :, 0] != got[0, :, 0]).any()


def test_sq_of_many_shifts_equals_a_direct_count_with_ties():
    """Each shift's p-values are those of a direct count over the shifted returns' sums.

    Tick-grid returns (many exact ties) shifted on day 0 by whole ticks; the
    reference sums and the CAR of each shift are compared in exact integer
    arithmetic, with and without the screen, for shifts on both sides and
    beyond every reference sum.
    """
    E, draws, first, level, seed = 8, 99, 19, 0.3, 7
    k_est, k_win, r_est, r_win = _tick_data(E=E, Le=50, seed=8)
    k_est, k_win = k_est.astype(np.float64), k_win.astype(np.float64)
    for k, r in ((k_est, r_est), (k_win, r_win)):
        k[2, 10:15] = r[2, 10:15] = np.nan
    k_win[3, 0] = r_win[3, 0] = np.nan  # day 0 missing: nothing moves
    windows = np.array([[0, 0], [0, 2], [0, 5], [1, 3]])
    ticks = (0, 1, -2, 40)

    def hand(n_draws, tick):
        out = np.full((E, len(windows)), np.nan)
        for e in range(E):
            for w, (a, b) in enumerate(windows):
                x = [k_win[e, t] + (tick if t == 0 else 0) for t in range(a, b + 1)
                     if not math.isnan(k_win[e, t])]
                if not x:
                    continue
                sums = [round(s) for s in _ref_sums(list(k_est[e]), x, n_draws, seed)]
                c = round(sum(x))
                out[e, w] = _p(sum(s <= c for s in sums), sum(s >= c for s in sums), len(sums))
        return out

    full = {t: hand(draws, t) for t in ticks}
    screened = {t: np.where(hand(first, t) > level, hand(first, t), full[t]) for t in ticks}
    for screen, want in ((None, full), ((first, level), screened)):
        got = inf.sq_pvalues(np.zeros((E, len(windows))), r_est, windows, r_win, np.arange(6),
                             draws=draws, seed=seed, screen=screen,
                             shifts=[0.1 * t for t in ticks])
        for i, t in enumerate(ticks):
            np.testing.assert_allclose(got[i], want[t], rtol=0.0, atol=0.0, equal_nan=True)
    assert (full[40] == 2.0 / (draws + 1))[:, 1:3].any()  # a shift beyond every sum
