"""Placebo inference: pseudo-events drawn where no catalogued event is, and their p-values."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..estimate import estimate_arrays
from ..exceptions import InferenceError
from .common import TestResult, as_events, positive_int
from .variance_ratio import variance_ratio

__all__ = ["Placebo", "PseudoGroups", "placebo_eligible", "placebo_distribution"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placebo:
    """CARs of pseudo-events drawn where no catalogued event is.

    Attributes
    ----------
    car : ndarray, (draws, W)
        Pseudo-event CARs (NaN where none is defined).
    day0 : ndarray of int, (draws,)
        Pseudo day-0 positions in the return index.
    windows : ndarray of int, (W, 2)
    seed : int
        Seed of the pseudo day 0 and of the pseudo-group draws.
    n_eligible : int
        Trade dates eligible as pseudo day 0.
    model : str
    estimation : tuple of int
    vr : ndarray, (draws, W), optional
        Pseudo-event variance ratios
        (:func:`eventstudy.inference.variance_ratio.variance_ratio`).
    """

    car: np.ndarray
    day0: np.ndarray
    windows: np.ndarray
    seed: int
    n_eligible: int
    model: str
    estimation: tuple
    vr: np.ndarray | None = None

    @property
    def draws(self) -> int:
        """Number of pseudo-events drawn."""
        return int(self.day0.shape[0])

    @cached_property
    def abs_sorted(self) -> list:
        """|CAR| of the pseudo-events with a CAR, sorted, one array per window."""
        return [np.sort(np.abs(c[np.isfinite(c)])) for c in self.car.T]

    def _check_windows(self, car):
        car = as_events("car", car)
        if car.shape[-1] != self.windows.shape[0]:
            raise InferenceError(
                f"car has {car.shape[-1]} windows but the placebo distribution has "
                f"{self.windows.shape[0]} ({self.windows.tolist()}); draw it with the same windows"
            )
        return car

    def event_pvalues(self, car) -> np.ndarray:
        """Two-sided placebo p-value of each event's CAR, (E, W).

        With D_w the pseudo-events with a CAR in window w,
        p = (1 + #{|CAR_pseudo| >= |CAR_e|}) / (1 + D_w); NaN for a missing CAR.
        """
        car = self._check_windows(car)
        out = np.full(car.shape, np.nan)
        for w in range(car.shape[1]):
            pool = self.abs_sorted[w]
            obs = np.abs(car[:, w])
            fin = np.isfinite(obs)
            ge = pool.size - np.searchsorted(pool, np.where(fin, obs, 0.0), side="left")
            out[:, w] = np.where(fin, (1.0 + ge) / (1.0 + pool.size), np.nan)
        return out

    def pseudo_groups(self, defined, sign=None, groups=None, *, rng=None) -> PseudoGroups:
        """Draw the pseudo groups that groups of events are compared with.

        Parameters
        ----------
        defined : array_like of bool, (N, W) or (R, N, W)
            The events whose CAR is defined, per window; R groups of N events.
        sign : array_like, (N,), optional
            The events' signs (default +1), given to the pseudo-events.
        groups : int, optional
            Pseudo groups per group (default ``draws``).
        rng : numpy.random.Generator, optional
            Default: ``default_rng([seed, N_w, *windows])`` per draw, so that the
            same seed gives the same pseudo groups in any order of testing.

        Returns
        -------
        PseudoGroups

        Notes
        -----
        For a window with N_w defined CARs, each pseudo group is a uniformly
        ordered sample of N_w of the pseudo-events with a CAR, without
        replacement; its i-th member gets the i-th event's sign. Windows and groups
        alike in N_w, sign counts and pseudo-events share one draw. Keep ``draws``
        well above the largest group (finite-population factor (P - N)/(P - 1)).
        """
        defined = np.asarray(defined, dtype=bool)
        many = defined.ndim == 3
        defined = defined if many else defined[None]
        R, N, W = defined.shape
        sign = np.ones(N) if sign is None else np.asarray(sign, dtype=np.float64).reshape(-1)
        if sign.shape[0] != N:
            raise InferenceError(
                f"sign has {sign.shape[0]} entries for {N} events; give one per event"
            )
        G = self.draws if groups is None else int(groups)
        if G < 1:
            raise InferenceError(f"groups must be a positive integer; got {groups!r}")
        values = np.unique(sign)
        # events of each sign with a CAR, per group and window: (R, W, K)
        counts = np.zeros((R, W, values.size), dtype=np.int64)
        for k, v in enumerate(values):
            counts[:, :, k] = (defined & (sign == v)[None, :, None]).sum(axis=1)
        pool_ok = np.isfinite(self.car)
        blocks = []
        for rows in _alike(counts.reshape(R, -1)) if N else []:
            for ws in _shared_windows(counts[rows[0]], pool_ok):
                blocks.append(self._draw_block(rows, ws, values, counts[rows[0], ws[0]],
                                               pool_ok[:, ws[0]], G, rng))
        return PseudoGroups(blocks=blocks, groups=G, defined=defined, many=many)

    def _draw_block(self, rows, ws, values, count, pool_rows, G, rng):
        nw = int(count.sum())
        pool = self.car[pool_rows][:, ws]
        if pool.shape[0] < nw:
            raise InferenceError(
                f"window {self.windows[ws[0]].tolist()}: {nw} events but only {pool.shape[0]} "
                f"pseudo-events with a CAR; draw more pseudo-events (draws=...)"
            )
        present = count > 0
        tol = 64 * np.finfo(np.float64).eps * np.abs(pool).sum(axis=0) \
            * np.abs(values[present]).max() / nw
        gen = np.random.default_rng([int(self.seed), nw, *ws]) if rng is None else rng
        means = _pseudo_group_means(gen, pool, values[present], count[present], G, len(rows))
        return rows, ws, means, tol

    def group_pvalues(self, car, sign=None, *, groups=None, screen=None) -> TestResult:
        """Two-sided placebo p-value of a group's mean CAR.

        Parameters
        ----------
        car : array_like, (N, W) or (R, N, W)
            The group's CARs, signed for a signed group.
        sign : array_like, (N,), optional
            The events' signs (default +1), given to the pseudo-events.
        groups : int, optional
            Number of pseudo groups (default ``draws``).
        screen : (int, float), optional
            ``(first, level)``: the p-value of the first ``first`` pseudo groups
            where it exceeds ``level``, of all ``groups`` elsewhere (two-stage Monte
            Carlo test, size held at every α < level).

        Returns
        -------
        TestResult
            The group's mean CAR, p-value and N per window.

        Notes
        -----
        p = (1 + #{|c̄_g| >= |mean CAR|}) / (1 + G) over the G pseudo groups of
        :meth:`pseudo_groups`; a pseudo mean equal to the group's within 64 ulp of
        the largest possible sum counts as at least as large.
        """
        car = self._check_windows(car)
        defined = np.isfinite(car)
        G = self.draws if groups is None else int(groups)
        first = G if screen is None else min(int(screen[0]), G)
        res = self.pseudo_groups(defined, sign, first).pvalues(car)
        if first < G and (res.p_value <= float(screen[1])).any():
            full = self.pseudo_groups(defined, sign, G).pvalues(car)
            p = np.where(res.p_value > float(screen[1]), res.p_value, full.p_value)
            res = TestResult(res.statistic, p, res.n_events)
        return res


@dataclass(frozen=True)
class PseudoGroups:
    """Pseudo-group means drawn for groups of events (:meth:`Placebo.pseudo_groups`).

    ``blocks`` holds (rows, windows, means (rows, groups, windows), tol) per
    shared draw; ``defined`` (R, N, W) the CARs drawn for; ``many`` whether
    drawn for (R, N, W) rather than one (N, W) group.
    """

    blocks: list
    groups: int
    defined: np.ndarray
    many: bool

    def pvalues(self, car) -> TestResult:
        """Placebo p-values of the groups' mean CARs, defined exactly where ``defined`` is."""
        car = as_events("car", car)
        car = car if self.many else car[None]
        defined = np.isfinite(car)
        if not np.array_equal(defined, self.defined):
            raise InferenceError("car must be defined exactly where the pseudo groups were "
                                 "drawn for; draw them again for these CARs")
        R, _, W = car.shape
        stat = np.full((R, W), np.nan)
        p = np.full((R, W), np.nan)
        for rows, ws, means, tol in self.blocks:
            c = car[rows][:, :, ws]
            d = defined[rows][:, :, ws]
            obs = np.where(d, c, 0.0).sum(axis=1) / d.sum(axis=1)
            hits = np.count_nonzero(np.abs(means) >= np.abs(obs)[:, None, :] - tol, axis=1)
            stat[np.ix_(rows, ws)] = obs
            p[np.ix_(rows, ws)] = (1.0 + hits) / (1.0 + self.groups)
        count = defined.sum(axis=1)
        if not self.many:
            return TestResult(stat[0], p[0], count[0])
        return TestResult(stat, p, count)


def _alike(keys):
    """Row indices of ``keys`` grouped by equal rows, in order of first appearance."""
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [np.flatnonzero(inverse == j) for j in np.argsort(first)]


def _shared_windows(counts, pool_ok):
    """Windows with events that share a draw: same sign counts (W, K), same pseudo-events."""
    blocks = []
    for w in np.flatnonzero(counts.sum(axis=1) > 0):
        for key, ws in blocks:
            if np.array_equal(key, counts[w]) and np.array_equal(pool_ok[:, ws[0]], pool_ok[:, w]):
                ws.append(int(w))
                break
        else:
            blocks.append((counts[w], [int(w)]))
    return [ws for _, ws in blocks]


def _pseudo_group_means(rng, pool, values, sizes, groups, reps=1):
    """Signed means Σ_i sign_i pool[pick_i] / N of ``reps`` x ``groups`` samples, (reps, groups, V).

    A uniformly ordered sample of N from the P pseudo-events is a uniform
    partition into the sign classes and the left-out; the largest part's sum
    follows from the others', so only the others are drawn.
    """
    P, V = pool.shape
    N = int(np.sum(sizes))
    coef = np.concatenate([[0.0], np.asarray(values, dtype=np.float64) / N])
    size = np.concatenate([[P - N], sizes]).astype(np.int64)
    r = int(np.argmax(size))
    others = [j for j in range(size.size) if j != r and size[j] > 0]
    total = reps * groups
    out = np.broadcast_to(coef[r] * pool.sum(axis=0), (total, V)).copy()
    M = int(size[others].sum()) if others else 0
    if M:
        weights = [coef[j] - coef[r] for j in others]
        columns = np.ascontiguousarray(pool.T)  # gathers from 1-d columns are the fast ones
        step = _rows_per_draw(M * V, groups)
        for s in range(0, total, step):
            g = min(step, total - s)
            picks = _sample_without_replacement(rng, P, M, g, ordered=len(others) > 1)
            start = 0
            for j, wgt in zip(others, weights, strict=True):
                seg = picks[:, start : start + int(size[j])]
                for v in range(V):
                    out[s : s + g, v] += wgt * np.take(columns[v], seg).sum(axis=1)
                start += int(size[j])
    return out.reshape(reps, groups, V)


def _rows_per_draw(width, groups):
    """Pseudo groups drawn at once (about 2**21 index-columns)."""
    if width * groups <= 2**21:
        return groups * (2**21 // (width * groups))
    return max(1, min(groups, 2**22 // width))


def _sample_without_replacement(rng, population, size, rows, *, ordered=True):
    """(rows, size) indices, each row a uniformly ordered draw without replacement.

    Rejection of with-replacement rows with a repeat when size(size - 1) <=
    population; otherwise Floyd's algorithm (Bentley and Floyd 1987) and a
    permutation of each row (skipped with ``ordered=False``).
    """
    rows, size, population = int(rows), int(size), int(population)
    if size == 0:
        return np.empty((rows, 0), dtype=np.int64)
    if size * (size - 1) <= population:
        # 32-bit indices halve the memory traffic of drawing and sorting
        dtype = np.int32 if population < 2**31 else np.int64
        out = rng.integers(0, population, size=(rows, size), dtype=dtype)
        todo = np.arange(rows)
        while todo.size:
            srt = np.sort(out[todo], axis=1)
            todo = todo[(srt[:, 1:] == srt[:, :-1]).any(axis=1)]
            if todo.size:
                out[todo] = rng.integers(0, population, size=(todo.size, size), dtype=dtype)
        return out
    out = np.empty((rows, size), dtype=np.int64)
    # rows in blocks whose "taken" bitmaps (block x population) stay small
    block = max(1, min(rows, 2**25 // population))
    for s in range(0, rows, block):
        g = min(block, rows - s)
        taken = np.zeros(g * population, dtype=bool)
        offset = np.arange(g, dtype=np.int64) * population
        part = np.empty((size, g), dtype=np.int64)
        for i, j in enumerate(range(population - size, population)):
            t = rng.integers(0, j + 1, size=g)
            flat = offset + t
            hit = taken[flat]
            t[hit] = j
            flat[hit] = offset[hit] + j
            taken[flat] = True
            part[i] = t
        part = part.T
        out[s : s + g] = rng.permuted(part, axis=1) if ordered else part
    return out


def _window_cover(T, day0, lo, hi):
    """Bool (T,): days inside [d + lo, d + hi] of any d in day0."""
    day0 = np.asarray(day0, dtype=np.int64).reshape(-1)
    a = np.clip(day0 + lo, 0, T)
    b = np.clip(day0 + hi + 1, 0, T)
    step = np.bincount(a, minlength=T + 1)[: T + 1] - np.bincount(b, minlength=T + 1)[: T + 1]
    return np.cumsum(step)[:T] > 0


def _count_in(cs, lo, hi):
    return cs[hi + 1] - cs[lo]


def placebo_eligible(valid, est_ok, *, estimation, windows, event_day0, min_estimation_days,
                     day0_ok=None, window_ok=None) -> np.ndarray:
    """Positions eligible as pseudo-event day 0.

    Parameters
    ----------
    valid, est_ok : array_like of bool, (T,)
        As for the engine.
    estimation : (int, int)
        Estimation window [T0, T1].
    windows : array_like of int, (W, 2)
        Event windows; their widest span [lo, hi] is used.
    event_day0 : array_like of int
        Day-0 positions of every catalogued event.
    min_estimation_days : int
    day0_ok : array_like of bool, (T,), optional
        Days admissible as day 0 (default ``valid``).
    window_ok : array_like of bool, (T,), optional
        Days admissible in [p + lo, p + hi] (default ``est_ok & valid``:
        ``est_ok`` is never true on a day of a multi-day return,
        :func:`eventstudy.panel.engine_inputs`, so pseudo windows hold one-day
        returns only; a ``window_ok`` given must keep them out too).

    Returns
    -------
    ndarray of int
        Positions p whose windows lie in the data, avoid every catalogued
        event's widest window, satisfy ``day0_ok`` and ``window_ok``, and keep
        at least ``min_estimation_days`` estimation days.
    """
    valid = np.asarray(valid, dtype=bool)
    est_ok = np.asarray(est_ok, dtype=bool)
    T = valid.shape[0]
    T0, T1 = (int(v) for v in estimation)
    windows = np.asarray(windows).reshape(-1, 2)
    lo, hi = int(windows[:, 0].min()), int(windows[:, 1].max())
    ok0 = valid if day0_ok is None else np.asarray(day0_ok, dtype=bool)
    okw = (est_ok & valid) if window_ok is None else np.asarray(window_ok, dtype=bool)
    first = max(0, -min(T0, lo))
    last = T - 1 - max(0, T1, hi)
    if last < first:
        return np.empty(0, dtype=np.int64)
    p = np.arange(first, last + 1)
    blocked = _window_cover(T, np.asarray(event_day0, dtype=np.int64), lo, hi).astype(np.int64)
    cb = np.concatenate([[0], np.cumsum(blocked)])
    ce = np.concatenate([[0], np.cumsum((est_ok & valid).astype(np.int64))])
    clear = (_count_in(cb, p + T0, p + T1) == 0) & (_count_in(cb, p + lo, p + hi) == 0)
    enough = _count_in(ce, p + T0, p + T1) >= min_estimation_days
    cw = np.concatenate([[0], np.cumsum((~okw).astype(np.int64))])
    clean = _count_in(cw, p + lo, p + hi) == 0
    return p[clear & enough & clean & ok0[p]]


def placebo_distribution(y, X, valid, est_ok, *, model, estimation, windows, event_day0, draws,
                         seed, min_estimation_days, day0_ok=None, window_ok=None) -> Placebo:
    """Draw pseudo-events and compute their CARs with the study's model.

    Parameters
    ----------
    y, X, valid, est_ok
        The engine's inputs (:func:`eventstudy.estimate.estimate_arrays`).
    model, estimation, windows, min_estimation_days
        Passed to the engine.
    event_day0 : array_like of int
        Day-0 positions of every catalogued event.
    draws : int
        Number of pseudo-events.
    seed : int
        Seed of ``numpy.random.default_rng``.
    day0_ok, window_ok : array_like of bool, (T,), optional
        See :func:`placebo_eligible`.

    Returns
    -------
    Placebo

    Notes
    -----
    Pseudo day 0 are drawn with replacement, uniformly among the eligible
    dates; the engine runs once on all of them, without other-event
    exclusion among them and with the catalogued events' windows excluded
    (placebo inference: Brown and Warner 1985; Gelbach, Helland and Klick 2013).
    Pseudo windows hold no day of a multi-day return (``window_ok``), so the
    engine needs no ``span`` here.
    """
    positive_int("draws", draws)
    valid = np.asarray(valid, dtype=bool)
    T = valid.shape[0]
    windows = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    eligible = placebo_eligible(valid, est_ok, estimation=estimation, windows=windows,
                                event_day0=event_day0, min_estimation_days=min_estimation_days,
                                day0_ok=day0_ok, window_ok=window_ok)
    if eligible.size == 0:
        raise InferenceError(
            f"no trade date is eligible as a pseudo-event day 0 (estimation={tuple(estimation)}, "
            f"windows={windows.tolist()}, {len(np.atleast_1d(event_day0))} catalogued events, "
            f"min_estimation_days={min_estimation_days}, {T} returns); use a longer price history "
            f"or a shorter estimation window"
        )
    day0 = np.random.default_rng(seed).choice(eligible, size=int(draws), replace=True)
    lo, hi = int(windows[:, 0].min()), int(windows[:, 1].max())
    arrays = estimate_arrays(
        y, X, valid, est_ok, day0, model=model, estimation=estimation, windows=windows,
        exclude_other_events=False, min_estimation_days=min_estimation_days,
        exclude_positions=_window_cover(T, np.asarray(event_day0, dtype=np.int64), lo, hi),
    )
    logger.info("placebo: %d pseudo-events drawn among %d eligible trade dates (seed %s)",
                int(draws), eligible.size, seed)
    return Placebo(car=arrays.car, day0=day0, windows=windows, seed=int(seed),
                   n_eligible=int(eligible.size), model=arrays.model,
                   estimation=tuple(int(v) for v in estimation),
                   vr=variance_ratio(arrays).vr)
