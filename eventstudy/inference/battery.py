"""The test battery over named groups of events, and the single-event tests, on engine arrays."""

from __future__ import annotations

import logging
from typing import Literal, get_args

import numpy as np
import pandas as pd

from ..exceptions import InferenceError
from .common import multi_day_days, multi_day_windows
from .parametric import bmp_t, cross_sectional_t, kolari_pynnonen_t, patell_z
from .rank import (
    average_ranks,
    corrado_rank,
    generalized_sign_z,
    signed_ranks,
    wilcoxon_signed_rank,
)
from .sq import sq_pvalues

__all__ = ["TestName", "TEST_NAMES", "TEST_COLUMNS", "GROUP_SCREEN", "event_ranks", "group_tests",
           "test_battery", "per_event_tests"]

logger = logging.getLogger(__name__)

TestName = Literal["cross-sectional-t", "patell", "bmp", "kolari-pynnonen", "corrado",
                   "generalized-sign", "wilcoxon", "placebo"]
TEST_NAMES: tuple[str, ...] = get_args(TestName)

TEST_COLUMNS = ["group", "start", "end", "test", "statistic", "p_value", "n_events"]

#: Screen of the battery's group placebo (:meth:`Placebo.group_pvalues`): p-values
#: above 0.2 from the first 999 pseudo groups are reported at that resolution.
GROUP_SCREEN = (999, 0.2)


def group_tests(arrays, idx, sign=None, *, multi_day=None, ranks=None) -> dict:
    """Every test but the placebo for a group (or R groups) of events: name -> TestResult.

    ``idx`` is (N,) or (R, N) event rows of ``arrays``, ``sign`` the events'
    signs (default +1); CARs and abnormal returns are multiplied by the sign
    before any statistic (standard errors unchanged). ``multi_day`` (E, Lw)
    marks the window days of a multi-day return (:func:`multi_day_days`):
    Corrado's test ranks one-day returns, so those days are left out of every
    event's ranking and an event whose window holds one is left out of that
    window (its ``n_events``). The CAR-based tests use every CAR. ``ranks``
    (E, Le + Lw), from :func:`event_ranks` with the same ``multi_day``,
    spares Corrado's test the ranking of each group's events.
    """
    idx = np.asarray(idx, dtype=np.int64)
    s = np.ones(idx.shape) if sign is None else np.broadcast_to(
        np.asarray(sign, dtype=np.float64), idx.shape)
    car = arrays.car[idx] * s[..., None]
    car_se = arrays.car_se[idx]
    est = arrays.est_ar[idx]
    est *= s[..., None]
    ar = arrays.ar[idx]
    ar *= s[..., None]
    rank_car = car
    if multi_day is not None and np.any(multi_day):
        days = np.asarray(multi_day, dtype=bool)[idx]
        ar = np.where(days, np.nan, ar)
        rank_car = np.where(multi_day_windows(days, arrays.rel_win, arrays.windows), np.nan, car)
    return {
        "cross-sectional-t": cross_sectional_t(car),
        "patell": patell_z(car, car_se, arrays.n[idx], arrays.k), "bmp": bmp_t(car, car_se),
        "kolari-pynnonen": kolari_pynnonen_t(car, car_se, est),
        "corrado": corrado_rank(est, ar, arrays.rel_win, arrays.windows, rank_car,
                                ranks=None if ranks is None else signed_ranks(ranks[idx], s)),
        "generalized-sign": generalized_sign_z(car, est), "wilcoxon": wilcoxon_signed_rank(car),
    }


def event_ranks(arrays, multi_day=None) -> np.ndarray:
    """(E, Le + Lw) average ranks of each event's estimation and window ARs (Corrado's test).

    The window days of ``multi_day`` (:func:`multi_day_days`) are left out of
    the ranking, as in :func:`group_tests`.
    """
    ar = arrays.ar
    if multi_day is not None and np.any(multi_day):
        ar = np.where(np.asarray(multi_day, dtype=bool), np.nan, ar)
    return average_ranks(np.concatenate([arrays.est_ar, ar], axis=1))


def _groups(groups, E):
    if groups is None:
        return {"all": (np.arange(E), np.ones(E))}
    out = {}
    for name, spec in groups.items():
        idx, sign = spec if isinstance(spec, tuple) and len(spec) == 2 else (spec, None)
        idx = np.asarray(idx).reshape(-1)
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            raise InferenceError(
                f"group {name!r}: event indices must be integers; got dtype {idx.dtype}"
            )
        idx = idx.astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= E):
            raise InferenceError(
                f"group {name!r}: event index {int(idx.max() if idx.max() >= E else idx.min())} "
                f"is outside 0..{E - 1}; give positions into the engine arrays"
            )
        sign = np.ones(idx.size) if sign is None else np.asarray(sign, dtype=np.float64).reshape(-1)
        if sign.shape[0] != idx.shape[0]:
            raise InferenceError(
                f"group {name!r}: {sign.shape[0]} signs for {idx.shape[0]} events; "
                f"give one per event"
            )
        out[name] = (idx, sign)
    return out


def test_battery(arrays, groups=None, *, placebo=None, span=None, n_jobs=None) -> pd.DataFrame:
    """Run every test for every group and window.

    Parameters
    ----------
    arrays : EventArrays
    groups : dict, optional
        name -> (event rows, sign per event), or a bare index array (sign +1).
        Default: one group ``all`` of every event.
    placebo : Placebo, optional
        For the ``placebo`` rows (the group's mean CAR,
        :meth:`Placebo.groups_pvalues` with :data:`GROUP_SCREEN`; the groups
        share the pseudo groups' permutations).
    span : array_like of int, (T,), optional
        Trade dates covered by each row's return
        (:func:`eventstudy.panel.span_days`); Corrado's test leaves out the
        days of a multi-day return (:func:`group_tests`). Default: one day each.
    n_jobs : int or None
        Workers of the placebo draws (None: every core); the p-values do not
        depend on it.

    Returns
    -------
    DataFrame
        ``group, start, end, test, statistic, p_value, n_events``, by group,
        window and test (order of :data:`TEST_NAMES`); NaN where a test cannot
        be computed (e.g. N < 2).
    """
    windows = np.asarray(arrays.windows).reshape(-1, 2)
    rows = []
    multi_day = (None if span is None
                 else multi_day_days(span, arrays.day0, arrays.rel_win, arrays.ar))
    named = _groups(groups, arrays.car.shape[0])
    shared = ([] if placebo is None else placebo.groups_pvalues(
        [(arrays.car[idx] * sign[:, None], sign) for idx, sign in named.values()],
        screen=GROUP_SCREEN, n_jobs=n_jobs))
    # one ranking of every event serves every group and sign (signed_ranks)
    ranks = event_ranks(arrays, multi_day) if len(named) > 1 else None
    for g, (name, (idx, sign)) in enumerate(named.items()):
        res = group_tests(arrays, idx, sign, multi_day=multi_day, ranks=ranks)
        if placebo is not None:
            res["placebo"] = shared[g]
        counts = res["cross-sectional-t"].n_events
        for w in np.flatnonzero(counts < idx.size):
            logger.info(
                "group %r, window [%d, %d]: %d of %d events have no CAR and are left out "
                "(n_events in the tests table)",
                name, windows[w, 0], windows[w, 1], idx.size - counts[w], idx.size,
            )
        for test, r in res.items():
            rows.append((name, g, TEST_NAMES.index(test), test, r))
    return _table(rows, windows)


def _table(rows, windows) -> pd.DataFrame:
    """The tests table of ``(group, group order, test order, test, TestResult)`` rows."""
    if not rows:
        return pd.DataFrame({c: [] for c in TEST_COLUMNS})
    W = windows.shape[0]
    cols = {
        "group": np.repeat(np.array([r[0] for r in rows], dtype=object), W),
        "start": np.tile(windows[:, 0].astype(np.int64), len(rows)),
        "end": np.tile(windows[:, 1].astype(np.int64), len(rows)),
        "test": np.repeat(np.array([r[3] for r in rows], dtype=object), W),
        **{c: np.concatenate([np.asarray(getattr(r[4], f), dtype=dt).reshape(W) for r in rows])
           for c, f, dt in (("statistic", "statistic", np.float64),
                            ("p_value", "p_value", np.float64),
                            ("n_events", "n_events", np.int64))},
    }
    # rows by group (as given), window (start, end), test (order of TEST_NAMES)
    order = np.lexsort((np.repeat([r[2] for r in rows], W), cols["end"], cols["start"],
                        np.repeat([r[1] for r in rows], W)))
    return pd.DataFrame({c: v[order] for c, v in cols.items()})[TEST_COLUMNS]


def per_event_tests(arrays, *, placebo=None, span=None) -> dict:
    """Single-event p-values (E, W): ``sq_p`` (:func:`sq_pvalues`) and ``placebo_p``.

    ``span`` (T,) as :func:`eventstudy.panel.span_days`: ``sq_p`` is NaN where
    the window holds a multi-day return (:func:`multi_day_days`), since the
    SQ permutation exchanges one-day returns. The placebo compares the CAR
    itself and keeps every CAR.
    """
    car = arrays.car
    if span is not None:
        days = multi_day_days(span, arrays.day0, arrays.rel_win, arrays.ar)
        car = np.where(multi_day_windows(days, arrays.rel_win, arrays.windows), np.nan, car)
    sq = sq_pvalues(car, arrays.est_ar, arrays.windows, arrays.ar, arrays.rel_win)
    pp = (np.full(np.shape(arrays.car), np.nan) if placebo is None
          else placebo.event_pvalues(arrays.car))
    return {"sq_p": sq, "placebo_p": pp}
