"""The SQ test of a single event's CAR (Gelbach, Helland and Klick 2013), permutation form."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..exceptions import InferenceError
from .common import as_events, positive_int

__all__ = ["SQ_DRAWS", "SQ_SCREEN", "SQ_TIE_RTOL", "sq_pvalues"]

#: Permutation sums per event: a Monte Carlo test of 999 draws has size exactly
#: 5% at α = 5% and p-values down to 0.002 (Davison and Hinkley 1997, ch. 4).
SQ_DRAWS = 999
#: Screen ``(first, level)``: p-values above 0.2 from the first 99 sums are
#: reported at that resolution; the rest use all the draws.
SQ_SCREEN = (99, 0.2)
#: Two sums closer than this times the event's residual scale (RMS of its
#: estimation-sample residuals, times √L) are a tie: floating-point routes
#: differ by ~1e-15 of the scale, real differences by far more than 1e-9.
SQ_TIE_RTOL = 1e-9


def sq_pvalues(car, est_ar, windows, window_ar, rel_win, *, draws=SQ_DRAWS, seed=0,
               screen=SQ_SCREEN, shifts=None) -> np.ndarray:
    """SQ test p-values of each event's CAR (Gelbach, Helland and Klick 2013).

    Parameters
    ----------
    car : array_like, (E, W)
        CAR of each event over each window; NaN where missing.
    est_ar : array_like, (E, Le)
        Estimation-sample abnormal returns in event-time order, NaN off the sample.
    windows : array_like of int, (W, 2)
    window_ar : array_like, (E, Lw)
        The window abnormal returns on the days ``rel_win``.
    rel_win : array_like of int, (Lw,)
    draws : int
        Random L-day sums per event.
    seed : int
        Seed of ``numpy.random.default_rng``.
    screen : (int, float) or None
        ``(first, level)``: p from the first ``first`` sums where it exceeds
        ``level``, from all ``draws`` elsewhere; None: all draws.
    shifts : sequence of float, optional
        Abnormal returns added to every event's day-0 AR; the p-values of each.

    Returns
    -------
    ndarray, (E, W), or (S, E, W) with ``shifts``
        Two-sided p-values in (0, 1]; NaN where the CAR is missing or no
        reference sum exists.

    Notes
    -----
    With S_1..S_M the reference sums of an event and window,
    p = min(1, 2 min(1 + #{S_j <= CAR}, 1 + #{S_j >= CAR}) / (M + 1)),
    never below 2/(M + 1); the test has size <= α in finite samples (Dufour
    2006; Phipson and Smyth 2010). An L-day window is compared with ``draws``
    sums of L values drawn without replacement from the pool of the event's
    n_e sample residuals and its L window ARs (exchangeable under the null); a
    one-day window with the n_e residuals themselves. Every sum is added left
    to right; |S_j - CAR| <= ``SQ_TIE_RTOL`` · √L · RMS(residuals) is a tie,
    counted in both. The screen is a two-stage Monte Carlo test (Besag and
    Clifford 1991) with size held at every α < level. A draw holding the day-0
    value moves with a shift, so one set of sums serves every shift. The test
    assumes the residual distribution holds in the window (volatility
    clustering breaks it: :mod:`eventstudy.volatility`).

    References
    ----------
    Gelbach, J. B., Helland, E., Klick, J. (2013). Valid inference in
    single-firm, single-event studies. American Law and Economics Review,
    15(2), 495-541.
    Dufour, J.-M. (2006). Monte Carlo tests with nuisance parameters.
    Journal of Econometrics, 133(2), 443-477.
    Phipson, B., Smyth, G. K. (2010). Permutation p-values should never be
    zero. Statistical Applications in Genetics and Molecular Biology, 9(1), 39.
    Besag, J., Clifford, P. (1991). Sequential Monte Carlo p-values.
    Biometrika, 78(2), 301-304.
    """
    _check_draws(draws, screen)
    car = as_events("car", car)
    est = np.asarray(est_ar, dtype=np.float64)
    windows = np.asarray(windows).reshape(-1, 2)
    ar_w, rel_win = _check_shapes(car, est, windows, window_ar, rel_win)
    deltas = [0.0] if shifts is None else [float(x) for x in shifts]
    E, W = car.shape
    out = np.full((len(deltas), E, W), np.nan)
    n_est, rms, comp = _sample(est)
    for w, (a, b) in enumerate(windows):
        L_e, xs, c, moved, k0 = _window(ar_w, rel_win, a, b, car[:, w])
        have = np.isfinite(c)
        for L in np.unique(L_e[have]):
            L = int(L)
            rows = np.flatnonzero(have & (L_e == L))
            tol = SQ_TIE_RTOL * np.sqrt(L) * rms[rows]
            if L == 1:
                out[:, rows, w] = _one_day_p(est[rows], c[rows], tol, moved[rows], deltas)
                continue
            # the pool: each event's sample residuals, then its L window ARs
            size = n_est[rows] + L
            pool = np.concatenate([comp[rows], np.zeros((rows.size, L))], axis=1)
            pool[np.arange(rows.size)[:, None], n_est[rows, None] + np.arange(L)] = xs[rows, :L]
            draw = _Draw(pool, size, L, seed, moved[rows], n_est[rows] + k0[rows])
            out[:, rows, w] = _screened_p(draw, c[rows], tol, deltas, int(draws), screen)
    return out[0] if shifts is None else out


def _check_draws(draws, screen):
    positive_int("draws", draws)
    if screen is not None:
        first, level = screen
        if isinstance(first, bool) or not isinstance(first, (int, np.integer)) or first < 1 \
                or not 0.0 < float(level) < 1.0:
            raise InferenceError(
                f"screen must be (draws, level) with a positive number of draws and a level "
                f"strictly between 0 and 1, e.g. (99, 0.2); got {screen!r}"
            )


def _check_shapes(car, est, windows, window_ar, rel_win):
    E, W = est.shape[0], windows.shape[0]
    if car.shape != (E, W):
        raise InferenceError(
            f"car must have shape (events, windows) = ({E}, {W}) like est_ar and windows; "
            f"got {car.shape}"
        )
    ar_w = np.asarray(window_ar, dtype=np.float64)
    rel_win = np.asarray(rel_win).reshape(-1)
    if ar_w.shape != (E, rel_win.size):
        raise InferenceError(
            f"window_ar must have shape (events, len(rel_win)) = ({E}, {rel_win.size}); "
            f"got {ar_w.shape}"
        )
    return ar_w, rel_win


def _run_sum(x):
    """Left-to-right sum over the last axis: one summation order for every sum the SQ compares."""
    s = x[..., 0].copy()
    for i in range(1, x.shape[-1]):
        s += x[..., i]
    return s


def _sample(est):
    """(n, rms, left-aligned values) of each event's estimation residuals."""
    fin = np.isfinite(est)
    n_est = fin.sum(axis=1)
    rms = np.sqrt((np.where(fin, est, 0.0) ** 2).sum(axis=1) / np.maximum(n_est, 1))
    return n_est, rms, _left_aligned(est, fin)


def _left_aligned(x, keep):
    """Each row's kept values moved to its front in their order, zeros after them."""
    out = np.zeros(x.shape)
    rows, cols = np.nonzero(keep)
    out[rows, np.cumsum(keep, axis=1)[rows, cols] - 1] = x[rows, cols]
    return out


def _window(ar_w, rel_win, a, b, car):
    """The window's usable days: count, left-aligned ARs, CAR by :func:`_run_sum`, day 0's place."""
    sel = (rel_win >= a) & (rel_win <= b)
    x = ar_w[:, sel]
    d = np.isfinite(x)
    L_e = d.sum(axis=1)
    xs = _left_aligned(x, d)
    c = np.full(x.shape[0], np.nan)
    for L in np.unique(L_e[L_e > 0]):
        rows = L_e == L
        c[rows] = _run_sum(xs[rows][:, :L])
    c = np.where(np.isfinite(car) & (L_e > 0), c, np.nan)
    day0 = np.flatnonzero(rel_win[sel] == 0)
    if not day0.size:
        return L_e, xs, c, np.zeros(x.shape[0]), np.zeros(x.shape[0], dtype=np.int64)
    j = int(day0[0])
    return L_e, xs, c, d[:, j].astype(np.float64), d[:, :j].sum(axis=1)


def _sq_p(k, m):
    """The stated p-value form min(1, 2 min(1 + #≤, 1 + #≥)/(M + 1)), k = min(#≤, #≥)."""
    return np.minimum(1.0, 2.0 * (1.0 + k) / (m + 1.0))


def _one_day_p(est, car, tol, moved, deltas):
    """p-values (S, rows) of one-day CARs against the sample residuals themselves."""
    ref = np.where(np.isfinite(est), est, np.nan)
    m = np.count_nonzero(np.isfinite(est), axis=1)
    c = car[None, :] + np.asarray(deltas)[:, None] * moved[None, :]
    k = _smaller_tail(ref, m, c + tol, c - tol, total=m)
    return np.where(m > 0, _sq_p(k, m), np.nan)


def _smaller_tail(ref, n, hi, lo, *, total, fixed=(0, 0), need=None):
    """min(#{x <= hi}, #{x >= lo}), (S, rows), over each row's ``total`` reference values.

    ``ref`` (rows, M) holds ``n`` of them per row and NaN; ``fixed`` the
    counts (#≤, #≥) of the others; ``hi`` and ``lo`` (S, rows) are S
    thresholds (lo <= hi) per row; only pairs in ``need`` (S, rows; default
    all) are counted. Every value is ≤ hi or ≥ lo, so #≤ + #≥ >= total and a
    count below total/2 is the smaller one: the count on the threshold's side
    of the row's midrange is made first, the other only when the first does
    not decide. A threshold outside the row's [min, max] is decided by the
    extremes. The counts are those of direct comparisons.
    """
    lowest, highest = np.fmin.reduce(ref, axis=1), np.fmax.reduce(ref, axis=1)
    le = fixed[0] + np.where(hi >= highest, n, 0)
    ge = fixed[1] + np.where(lo <= lowest, n, 0)
    todo_le = (hi >= lowest) & (hi < highest)
    todo_ge = (lo > lowest) & (lo <= highest)
    if need is not None:
        todo_le &= need
        todo_ge &= need
    upper = hi + lo >= lowest + highest
    _count(ref, le, hi, todo_le & ~upper, np.less_equal)
    _count(ref, ge, lo, todo_ge & upper, np.greater_equal)
    le_known, ge_known = ~(todo_le & upper), ~(todo_ge & ~upper)
    by_le, by_ge = le_known & (2 * le < total), ge_known & (2 * ge < total)
    _count(ref, le, hi, ~le_known & ~by_ge, np.less_equal)
    _count(ref, ge, lo, ~ge_known & ~by_le, np.greater_equal)
    return np.where(by_ge, ge, np.where(by_le, le, np.minimum(le, ge)))


def _count(ref, out, q, todo, op):
    """``out[s, r] += #{ref[r] op q[s, r]}`` for the pairs (s, r) in ``todo``."""
    count = np.uint16 if ref.shape[1] < 2**16 else np.int64
    for s in range(q.shape[0]):
        rows = np.flatnonzero(todo[s])
        # blocks of rows that stay in cache
        for r in np.array_split(rows, rows.size * ref.shape[1] // 250_000 + 1):
            if r.size:
                out[s, r] += op(ref[r], q[s, r, None]).view(np.uint8).sum(axis=1, dtype=count)


@lru_cache(maxsize=512)
def _picks(n, L, draws, seed):
    """(L, draws) positions of L distinct values among n (common random numbers across n)."""
    u = np.random.default_rng(seed).random((draws, L))
    picks = np.empty((draws, L), dtype=np.int64)
    for i in range(L):
        c = np.minimum(np.floor(u[:, i] * (n - i)).astype(np.int64), n - i - 1)
        taken = np.sort(picks[:, :i], axis=1)
        for k in range(i):
            c += c >= taken[:, k]
        picks[:, i] = c
    out = np.ascontiguousarray(picks.T, dtype=np.int32)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=256)
def _incidence(n, L, draws, seed):
    """(n, draws) bool: position j is among the L picks of draw b (:func:`_picks`)."""
    inc = np.zeros((n, draws), dtype=bool)
    inc[_picks(n, L, draws, seed), np.arange(draws)[None, :]] = True
    inc.flags.writeable = False
    return inc


class _Draw:
    """The permutation sums of a set of events' pools, and the draws holding day 0."""

    def __init__(self, pool, size, L, seed, moved, pos0):
        self.pool, self.size, self.L, self.seed = pool, size, L, seed
        self.moved, self.pos0 = moved, pos0

    def subset(self, rows):
        return _Draw(self.pool[rows], self.size[rows], self.L, self.seed, self.moved[rows],
                     self.pos0[rows])

    def sums(self, draws, chunk=250_000):
        """``draws`` sums of L pool values per event, added left to right in draw order."""
        out = np.empty((self.pool.shape[0], draws))
        step = max(1, chunk // draws)
        for n in np.unique(self.size):
            picks = _picks(int(n), self.L, draws, self.seed)
            rows = np.flatnonzero(self.size == n)
            for s in range(0, rows.size, step):
                r = rows[s : s + step]
                g = self.pool[r, : int(n)]
                acc = np.take(g, picks[0], axis=1)
                for i in range(1, self.L):
                    acc += np.take(g, picks[i], axis=1)
                out[r] = acc
        return out

    def held(self, draws):
        """(events, draws) bool: the draw holds the event's day-0 value and day 0 is usable."""
        held = np.zeros((self.pool.shape[0], draws), dtype=bool)
        for n in np.unique(self.size):
            sub = np.flatnonzero(self.size == n)
            held[sub] = _incidence(int(n), self.L, draws, self.seed)[self.pos0[sub]]
        return held & (self.moved > 0)[:, None]

    def pvalues(self, car, tol, deltas, draws, need=None):
        """p-values (S, events) of the CARs, each shifted by ``deltas`` on day 0.

        Only the pairs in ``need`` (S, events; default all) are computed.
        """
        ref = self.sums(draws)
        fixed_le = fixed_ge = 0
        if any(deltas) and self.moved.any():
            # a draw holding day 0 moves with the CAR: its comparison does not depend on the shift
            r, j = np.nonzero(self.held(draws))
            v = ref[r, j]
            fixed_le = np.bincount(r[v <= (car + tol)[r]], minlength=ref.shape[0])
            fixed_ge = np.bincount(r[v >= (car - tol)[r]], minlength=ref.shape[0])
            ref[r, j] = np.nan
            n_free = draws - np.bincount(r, minlength=ref.shape[0])
        else:
            n_free = np.full(ref.shape[0], draws)
        dv = np.asarray(deltas)[:, None] * self.moved[None, :]
        k = _smaller_tail(ref, n_free, (car + tol)[None, :] + dv, (car - tol)[None, :] + dv,
                          total=draws, fixed=(fixed_le, fixed_ge), need=need)
        return _sq_p(k, draws)


def _screened_p(draw, car, tol, deltas, draws, screen):
    """p-values (S, events): the first draws' where above the screen's level, else all draws'."""
    first = draws if screen is None else min(int(screen[0]), draws)
    p = draw.pvalues(car, tol, deltas, first)
    if first < draws:
        need = p <= float(screen[1])
        again = np.flatnonzero(need.any(axis=0))
        if again.size:
            full = draw.subset(again).pvalues(car[again], tol[again], deltas, draws,
                                              need[:, again])
            p[:, again] = np.where(need[:, again], full, p[:, again])
    return p
