"""Placebo inference: pseudo-events drawn where no catalogued event is, and their p-values."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..estimate import estimate_arrays
from ..exceptions import InferenceError
from ..parallel import block_seeds, map_blocks
from .common import TestResult, as_events, positive_int
from .variance_ratio import variance_ratio

__all__ = ["Placebo", "PseudoGroups", "placebo_eligible", "placebo_distribution"]

logger = logging.getLogger(__name__)

#: Pseudo groups per block of the group placebo's draws; each block has its own
#: seed (:func:`eventstudy.parallel.block_seeds`), so the draws depend on neither
#: the number of workers nor :data:`PARALLEL_WORK`.
BLOCK_ROWS = 500
#: Drawn indices (pseudo groups x drawn positions) of one pool from which its
#: blocks go to worker processes (:func:`eventstudy.parallel.map_blocks`) rather
#: than run in this process: below it, the dispatch costs more than it saves.
PARALLEL_WORK = 20_000_000


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

    def pseudo_groups(self, defined, sign=None, groups=None, *, rng=None,
                      n_jobs=1) -> PseudoGroups:
        """Draw the pseudo groups that groups of events are compared with.

        Parameters
        ----------
        defined : array_like of bool, (N, W) or (R, N, W)
            The events whose CAR is defined, per window; R groups of N events,
            each with its own independent pseudo groups.
        sign : array_like, (N,), optional
            The events' signs (default +1), given to the pseudo-events.
        groups : int, optional
            Pseudo groups per group (default ``draws``).
        rng : numpy.random.Generator, optional
            Default: seeded from ``seed``, the number of pseudo groups and the
            windows (:meth:`groups_pvalues`); given, the blocks' generators are
            spawned from it.
        n_jobs : int or None
            Workers of the draws (:func:`eventstudy.parallel.map_blocks`;
            default this process); the means do not depend on it.

        Returns
        -------
        PseudoGroups

        Notes
        -----
        For a window with N_w defined CARs, each pseudo group is a uniformly
        random partition of the pseudo-events with a CAR into the events' sign
        classes (sizes n_k) and the left-out: the first n_1, next n_2, ...
        members of a uniformly random permutation. Windows with the same
        pseudo-events share the permutations. Keep ``draws`` well above the
        largest group (finite-population factor (P - N)/(P - 1)).
        """
        defined = np.asarray(defined, dtype=bool)
        many = defined.ndim == 3
        defined = defined if many else defined[None]
        R, N, _ = defined.shape
        G = _group_count(self.draws if groups is None else groups)
        cells = [(r, w, values, counts) for r in range(R)
                 for w, values, counts in _classes(defined[r], sign, N)]
        means, tol = self._cell_means(cells, G, R, rng, n_jobs=n_jobs)
        out = np.full((R, G, defined.shape[2]), np.nan)
        tols = np.zeros((R, defined.shape[2]))
        for (r, w, _, _), m, t in zip(cells, means, tol, strict=True):
            out[r, :, w], tols[r, w] = m, t
        return PseudoGroups(means=out, tol=tols, groups=G, defined=defined, many=many)

    def _cell_means(self, cells, G, R, rng=None, *, n_jobs=1, parallel_work=PARALLEL_WORK):
        """Pseudo-group means (G,) and tolerance of each cell (r, w, sign values, counts).

        Cells of the same replicate r share the permutations of their pool;
        replicates draw their own. The R x G permutations of a pool are drawn
        in blocks of :data:`BLOCK_ROWS`, seeded by :func:`_block_rngs`, on
        ``n_jobs`` workers when they draw at least ``parallel_work`` indices.
        """
        pool_ok = np.isfinite(self.car)
        means, tol = [None] * len(cells), [0.0] * len(cells)
        for ws in _pool_patterns(pool_ok, sorted({c[1] for c in cells})):
            pool = self.car[pool_ok[:, ws[0]]][:, ws]
            mine = [i for i, c in enumerate(cells) if c[1] in ws]
            ends = [np.cumsum(cells[i][3]) for i in mine]
            big = max(int(e[-1]) for e in ends)
            if pool.shape[0] < big:
                raise InferenceError(
                    f"window {self.windows[ws[0]].tolist()}: {big} events but only "
                    f"{pool.shape[0]} pseudo-events with a CAR; draw more pseudo-events (draws=...)"
                )
            cuts = np.unique(np.concatenate(ends))
            rows = [min(BLOCK_ROWS, R * G - s) for s in range(0, R * G, BLOCK_ROWS)]
            tasks = [(b, pool, cuts, n) for b, n in
                     zip(_block_rngs(rng, [int(self.seed), G, *ws], len(rows)), rows, strict=True)]
            work = R * G * sum(_head_tail(pool.shape[0], cuts)[2:])
            S = np.concatenate(map_blocks(_prefix_sums, tasks, n_jobs=n_jobs)
                               if work >= parallel_work else [_prefix_sums(*t) for t in tasks])
            S = S.reshape(R, G, cuts.size, len(ws))
            S = np.concatenate([np.zeros((R, G, 1, len(ws))), S], axis=2)
            scale = np.abs(pool).sum(axis=0)
            for i, e in zip(mine, ends, strict=True):
                r, w, values, counts = cells[i]
                k, j = ws.index(w), np.searchsorted(cuts, e) + 1
                part = np.diff(S[r, :, np.concatenate([[0], j]), k], axis=0)  # (K, G)
                means[i] = values @ part / e[-1]
                tol[i] = 64 * np.finfo(np.float64).eps * scale[k] * np.abs(values).max() / e[-1]
        return means, tol

    def group_pvalues(self, car, sign=None, *, groups=None, screen=None,
                      n_jobs=None) -> TestResult:
        """Two-sided placebo p-value of a group's mean CAR.

        Parameters
        ----------
        car : array_like, (N, W)
            The group's CARs, signed for a signed group.
        sign : array_like, (N,), optional
            The events' signs (default +1), given to the pseudo-events.
        groups : int, optional
            Number of pseudo groups (default ``draws``).
        screen : (int, float), optional
            ``(first, level)``: the p-value of the first ``first`` pseudo groups
            where it exceeds ``level``, of all ``groups`` elsewhere (two-stage Monte
            Carlo test, size held at every α < level).
        n_jobs : int or None
            Workers of the draws (None: every core); the p-values do not
            depend on it (:meth:`groups_pvalues`).

        Returns
        -------
        TestResult
            The group's mean CAR, p-value and N per window.

        Notes
        -----
        p = (1 + #{|c̄_g| >= |mean CAR|}) / (1 + G) over G pseudo groups
        (:meth:`pseudo_groups`); a pseudo mean equal to the group's within 64 ulp
        of the largest possible sum counts as at least as large. See
        :meth:`groups_pvalues` for the seeds.
        """
        return self.groups_pvalues([(car, sign)], groups=groups, screen=screen,
                                   n_jobs=n_jobs)[0]

    def groups_pvalues(self, groups_car, *, groups=None, screen=None, n_jobs=None,
                       parallel_work=PARALLEL_WORK) -> list:
        """:meth:`group_pvalues` of several groups of events, on shared permutations.

        Parameters
        ----------
        groups_car : sequence of (car, sign)
            Each group's CARs (N, W), signed for a signed group, and its signs
            (N,) or None (+1).
        groups, screen, n_jobs
            As for :meth:`group_pvalues`.
        parallel_work : int
            Indices drawn for one pool (pseudo groups x drawn positions) from
            which its blocks go to ``n_jobs`` workers (default
            :data:`PARALLEL_WORK`).

        Returns
        -------
        list of TestResult
            One per group, in the order given.

        Notes
        -----
        Every group and window with the same pseudo-events takes its pseudo
        groups from the same G uniformly random permutations of them (a prefix
        of a uniform permutation is a uniform ordered sample), so each group's
        p-value is exact and the groups' draws are common random numbers. The
        permutations are drawn in blocks of :data:`BLOCK_ROWS` pseudo groups,
        each seeded by a child of ``numpy.random.SeedSequence([seed, G,
        *windows])`` (:func:`eventstudy.parallel.block_seeds`): the same study
        gives the same p-values whatever the order of the groups, serially,
        on any number of processes or on a Dask cluster. In the second stage
        of a screen, only the cells below the level are drawn again.
        """
        cars = [self._check_windows(car) for car, _ in groups_car]
        G = _group_count(self.draws if groups is None else groups)
        first = G if screen is None else min(int(screen[0]), G)
        cells = [(g, w, values, counts) for g, (car, sign) in enumerate(groups_car)
                 for w, values, counts in _classes(np.isfinite(cars[g]), sign, cars[g].shape[0])]
        stat = [_mean_defined(c) for c in cars]
        p = [np.full(c.shape[1], np.nan) for c in cars]
        todo = list(range(len(cells)))
        for stage, G_s in enumerate((first, G) if first < G else (G,)):
            sub = [(0, cells[i][1], cells[i][2], cells[i][3]) for i in todo]
            means, tol = self._cell_means(sub, G_s, 1, n_jobs=n_jobs,
                                          parallel_work=parallel_work)
            for i, m, t in zip(todo, means, tol, strict=True):
                g, w = cells[i][:2]
                hits = np.count_nonzero(np.abs(m) >= abs(stat[g][w]) - t)
                p[g][w] = (1.0 + hits) / (1.0 + G_s)
            if stage == 0 and first < G:
                todo = [i for i in todo if p[cells[i][0]][cells[i][1]] <= float(screen[1])]
        return [TestResult(stat[g], p[g], np.isfinite(c).sum(axis=0)) for g, c in enumerate(cars)]


@dataclass(frozen=True)
class PseudoGroups:
    """Pseudo-group means drawn for groups of events (:meth:`Placebo.pseudo_groups`).

    ``means`` (R, groups, W) holds the pseudo means (NaN in a window without
    events), ``tol`` (R, W) the tie tolerance, ``defined`` (R, N, W) the CARs
    drawn for, ``many`` whether drawn for (R, N, W) rather than one (N, W) group.
    """

    means: np.ndarray
    tol: np.ndarray
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
        count = defined.sum(axis=1)
        stat = _mean_defined(car)
        hits = np.count_nonzero(np.abs(self.means) >= (np.abs(stat) - self.tol)[:, None, :],
                                axis=1)
        p = np.where(count > 0, (1.0 + hits) / (1.0 + self.groups), np.nan)
        if not self.many:
            return TestResult(stat[0], p[0], count[0])
        return TestResult(stat, p, count)


def _mean_defined(car):
    """Mean over events (axis -2) of the defined CARs; NaN where none is."""
    count = np.isfinite(car).sum(axis=-2)
    total = np.where(np.isfinite(car), car, 0.0).sum(axis=-2)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _group_count(groups) -> int:
    G = int(groups)
    if G < 1:
        raise InferenceError(f"groups must be a positive integer; got {groups!r}")
    return G


def _classes(defined, sign, N):
    """(window, sign values, events per value) of each window with events of one group."""
    sign = np.ones(N) if sign is None else np.asarray(sign, dtype=np.float64).reshape(-1)
    if sign.shape[0] != N:
        raise InferenceError(f"sign has {sign.shape[0]} entries for {N} events; give one per event")
    out = []
    for w in range(defined.shape[1]):
        values, counts = np.unique(sign[defined[:, w]], return_counts=True)
        if counts.size:
            out.append((w, values, counts))
    return out


def _pool_patterns(pool_ok, windows):
    """``windows`` grouped by equal pools (the pseudo-events with a CAR)."""
    out = []
    for w in windows:
        for ws in out:
            if np.array_equal(pool_ok[:, ws[0]], pool_ok[:, w]):
                ws.append(int(w))
                break
        else:
            out.append([int(w)])
    return out


def _block_rngs(rng, entropy, n):
    """Generators of ``n`` blocks: spawned from ``rng``, or from ``block_seeds(entropy, n)``."""
    seeds = block_seeds(entropy, n) if rng is None else rng.spawn(n)
    return [np.random.default_rng(s) for s in seeds]


def _head_tail(P, cuts):
    """Split of the cuts < P into a head and a tail: (k, head, h, t) with h + t smallest.

    The first k cuts are summed from the front of a permutation (its first h
    members), the others from the back (its last t members).
    """
    cuts = cuts[cuts < P]
    k = int(np.argmin([(cuts[j - 1] if j else 0) + (P - cuts[j] if j < cuts.size else 0)
                       for j in range(cuts.size + 1)]))
    head, tail = cuts[:k], (P - cuts[k:])[::-1]
    return k, head, int(head[-1]) if head.size else 0, int(tail[-1]) if tail.size else 0


def _prefix_sums(rng, pool, cuts, rows):
    """Sums of the first ``cuts`` members of ``rows`` uniform random permutations of ``pool``.

    Parameters
    ----------
    rng : numpy.random.Generator
    pool : ndarray, (P, V)
    cuts : ndarray of int, sorted, unique, in [1, P]
    rows : int

    Returns
    -------
    ndarray, (rows, cuts, V)

    Notes
    -----
    S(c) = Σ_{i<c} pool[π_i] for cuts up to a head h, and S(c) = Σ pool -
    Σ_{i>=c} pool[π_i] for cuts from P - t on; h + t is the smallest that
    covers every cut (:func:`_head_tail`), and the head and the reversed tail
    of π are one uniform ordered sample of h + t (:func:`_injective_tuples`).
    """
    P, V = pool.shape
    cuts = np.asarray(cuts, dtype=np.int64)
    out = np.empty((rows, cuts.size, V))
    total = pool.sum(axis=0)
    out[:, cuts == P] = total
    k, head, h, t = _head_tail(P, cuts)
    inner = int(np.count_nonzero(cuts < P))  # sorted: the inner cuts come first
    tail = (P - cuts[k:inner])[::-1]
    columns = np.ascontiguousarray(pool.T)
    step = max(1, 2**21 // max(h + t, 1))
    for s in range(0, rows if inner else 0, step):
        g = min(step, rows - s)
        x = _injective_tuples(rng, P, h + t, g)
        for v in range(V):
            vals = np.take(columns[v], x)
            if head.size:
                out[s:s + g, :k, v] = np.cumsum(np.add.reduceat(
                    vals[:, :h], np.concatenate([[0], head[:-1]]), axis=1), axis=1)
            if tail.size:
                out[s:s + g, k:inner, v] = total[v] - np.cumsum(np.add.reduceat(
                    vals[:, h:], np.concatenate([[0], tail[:-1]]), axis=1), axis=1)[:, ::-1]
    return out


def _injective_tuples(rng, population, length, rows):
    """(rows, length) int32 indices, each row a uniformly random ordered sample without replacement.

    Notes
    -----
    Every index is drawn with replacement; each repeat of an index already in
    its row is drawn again, until none is left. Each decision depends only on
    which draws are equal, never on their values, so the procedure commutes
    with any relabelling of the population: its result is invariant under
    the symmetric group, which acts transitively on the ordered samples, and
    therefore uniform among them.
    """
    P, L, rows = int(population), int(length), int(rows)
    out = rng.integers(0, P, size=(rows, L), dtype=np.int32)
    if L < 2:
        return out
    block = max(1, min(rows, 2**18 // P))  # rows whose owner table (block x P) fits in L2
    owner = np.full(block * P, -1, dtype=np.int32 if block * P < 2**31 else np.int64)
    for s in range(0, rows, block):
        _redraw_repeats(rng, out[s:s + block], P, owner)
    return out


def _redraw_repeats(rng, x, P, owner):
    """Draw again, in place, every entry of ``x`` (rows) equal to another kept in its row."""
    g, L = x.shape
    flat = x.reshape(-1)
    base = np.arange(g, dtype=owner.dtype) * P
    keys = (base[:, None] + x).reshape(-1)
    pos = np.arange(g * L, dtype=owner.dtype)
    owner[keys] = pos  # one writer per index and row wins, whichever numpy writes last
    pending = pos[owner[keys] != pos]
    while pending.size:
        v = rng.integers(0, P, size=pending.size, dtype=np.int32)
        flat[pending] = v
        ck = base[pending // L] + v
        free = owner[ck] < 0
        cand, ck = pending[free], ck[free]
        owner[ck] = cand
        won = owner[ck] == cand
        pending = np.concatenate([pending[~free], cand[~won]])
    owner[(base[:, None] + x).reshape(-1)] = -1


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
                     day0_ok=None, window_ok=None, exclude_other_events=True) -> np.ndarray:
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
    exclude_other_events : bool
        The study's setting. True: a pseudo-event's estimation window also
        avoids every catalogued event's widest window. False: it may hold
        them, as the events' own estimation samples do.

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
    clear = _count_in(cb, p + lo, p + hi) == 0
    if exclude_other_events:
        clear &= _count_in(cb, p + T0, p + T1) == 0
    enough = _count_in(ce, p + T0, p + T1) >= min_estimation_days
    cw = np.concatenate([[0], np.cumsum((~okw).astype(np.int64))])
    clean = _count_in(cw, p + lo, p + hi) == 0
    return p[clear & enough & clean & ok0[p]]


def placebo_distribution(y, X, valid, est_ok, *, model, estimation, windows, event_day0, draws,
                         seed, min_estimation_days, day0_ok=None, window_ok=None,
                         exclude_other_events=True) -> Placebo:
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
    exclude_other_events : bool
        The study's setting. True: pseudo estimation windows avoid every
        catalogued event's widest window. False: they may hold those days,
        as the events' own estimation samples do, and keep them.

    Returns
    -------
    Placebo

    Notes
    -----
    Pseudo day 0 are drawn with replacement, uniformly among the eligible
    dates; the engine runs once on all of them, without other-event
    exclusion among them and, with ``exclude_other_events``, with the
    catalogued events' windows excluded (placebo inference: Brown and Warner
    1985; Gelbach, Helland and Klick 2013).
    Pseudo windows hold no day of a multi-day return (``window_ok``), so the
    engine needs no ``span`` here.
    """
    positive_int("draws", draws)
    valid = np.asarray(valid, dtype=bool)
    T = valid.shape[0]
    windows = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    eligible = placebo_eligible(valid, est_ok, estimation=estimation, windows=windows,
                                event_day0=event_day0, min_estimation_days=min_estimation_days,
                                day0_ok=day0_ok, window_ok=window_ok,
                                exclude_other_events=exclude_other_events)
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
        exclude_positions=(_window_cover(T, np.asarray(event_day0, dtype=np.int64), lo, hi)
                           if exclude_other_events else None),
    )
    logger.info("placebo: %d pseudo-events drawn among %d eligible trade dates (seed %s)",
                int(draws), eligible.size, seed)
    return Placebo(car=arrays.car, day0=day0, windows=windows, seed=int(seed),
                   n_eligible=int(eligible.size), model=arrays.model,
                   estimation=tuple(int(v) for v in estimation),
                   vr=variance_ratio(arrays).vr)
