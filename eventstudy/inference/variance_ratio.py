"""Abnormal volatility of a window: the variance ratio of its abnormal returns.

A CAR near zero can hide a window whose abnormal returns swing both ways;
the variance ratio sees them. Its exact F test holds under normal errors,
its placebo test against the study's own pseudo-events under any
distribution of them.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import special

from .common import TestResult

__all__ = ["VR_TEST", "VarianceRatio", "variance_ratio", "vr_event_pvalues", "vr_group_tests",
           "window_inverses"]

#: Name of the group rows of the tests table (mean VR against pseudo groups).
VR_TEST = "vr-placebo"


class VarianceRatio(NamedTuple):
    """Variance ratio of every event and window, (E, W) each.

    ``vr`` = Q / L, ``pvalue`` its upper tail under F(L, df), ``n_days`` L.
    """

    vr: np.ndarray
    pvalue: np.ndarray
    n_days: np.ndarray


def window_inverses(arrays) -> list:
    """V⁻¹ over each window's days, (E, L_w, L_w) per window, identity on missing days.

    ``V`` is the engine's covariance of the window's abnormal returns,
    estimation error included (:attr:`eventstudy.estimate.EventArrays.V`).
    A day without an abnormal return gets a unit row and column, so with its
    AR set to 0 it adds nothing to the quadratic form.
    """
    V = arrays.V
    ok = np.isfinite(arrays.ar)
    rel = np.asarray(arrays.rel_win)
    out = []
    for a, b in np.asarray(arrays.windows).reshape(-1, 2):
        sel = np.flatnonzero((rel >= a) & (rel <= b))
        okw = ok[:, sel]
        both = okw[:, :, None] & okw[:, None, :]
        eye = np.eye(sel.size, dtype=bool)
        M = np.where(both, V[:, sel][:, :, sel], np.where(eye, 1.0, 0.0))
        out.append(np.linalg.inv(M))
    return out


def variance_ratio(arrays, inverses=None) -> VarianceRatio:
    """Variance ratio VR = ARᵀ V⁻¹ AR / L of every event and window, and its F p-value.

    Parameters
    ----------
    arrays : EventArrays
        The engine's output (:func:`eventstudy.estimate.estimate_arrays`).
    inverses : list of ndarray, optional
        :func:`window_inverses` of ``arrays`` (or of arrays with the same
        missing days and V): the simulation reuses them across abnormal returns.

    Returns
    -------
    VarianceRatio
        NaN where the window has no CAR (no usable day, a window cut inside a
        multi-day return, an excluded event).

    Notes
    -----
    Over the L usable days of the window (those with an abnormal return),
    Q = ARᵀ V⁻¹ AR with V the covariance of those abnormal returns including
    the estimation error, the matrix whose γᵀVγ is Var(CAR). Under normal
    errors AR ~ N(0, σ²M) with V = s²M and (n - k)s²/σ² ~ χ²(n - k)
    independent of the window, so VR = Q / L ~ F(L, n - k); the p-value is
    the upper tail. Over [0, 0], VR = t². A window whose abnormal returns
    cancel in the CAR still has a large VR.

    References
    ----------
    Campbell, J. Y., Lo, A. W., MacKinlay, A. C. (1997). The Econometrics of
    Financial Markets, ch. 4. Princeton University Press.
    """
    inverses = window_inverses(arrays) if inverses is None else inverses
    ok = np.isfinite(arrays.ar)
    rel = np.asarray(arrays.rel_win)
    E, W = np.shape(arrays.car)
    vr = np.full((E, W), np.nan)
    n_days = np.zeros((E, W), dtype=np.int64)
    for w, (a, b) in enumerate(np.asarray(arrays.windows).reshape(-1, 2)):
        sel = np.flatnonzero((rel >= a) & (rel <= b))
        x = np.where(ok[:, sel], arrays.ar[:, sel], 0.0)
        L = ok[:, sel].sum(axis=1)
        q = np.einsum("el,elm,em->e", x, inverses[w], x)
        defined = np.isfinite(arrays.car[:, w]) & (L > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            vr[:, w] = np.where(defined, q / L, np.nan)
        n_days[:, w] = np.where(defined, L, 0)
    dof = np.asarray(arrays.dof, dtype=np.float64)[:, None]
    fin = np.isfinite(vr) & (dof > 0)
    p = np.full((E, W), np.nan)
    p[fin] = special.fdtrc(n_days[fin].astype(np.float64),
                           np.broadcast_to(dof, (E, W))[fin], vr[fin])
    vr = np.where(fin, vr, np.nan)
    return VarianceRatio(vr, p, np.where(fin, n_days, 0))


def _vr_placebo(placebo):
    """The placebo with its pseudo-events' VR in place of their CAR (None without them)."""
    if placebo is None or getattr(placebo, "vr", None) is None:
        return None
    return dataclasses.replace(placebo, car=placebo.vr)


def vr_event_pvalues(placebo, vr) -> np.ndarray:
    """Placebo p-value of each event's VR, (E, W).

    p = (1 + #{VR_pseudo >= VR_e}) / (1 + D_w), D_w the study's pseudo-events
    with a VR in window w (:meth:`Placebo.event_pvalues` on the pseudo-events'
    VR, which is never negative); NaN for a missing VR or without a placebo.
    """
    vr = np.asarray(vr, dtype=np.float64)
    pool = _vr_placebo(placebo)
    if pool is None:
        return np.full(vr.shape, np.nan)
    return pool.event_pvalues(vr)


def vr_group_tests(placebo, vr, groups, windows, *, screen=None, n_jobs=None) -> pd.DataFrame:
    """The mean VR of each group against its placebo distribution over pseudo groups.

    Parameters
    ----------
    placebo : Placebo or None
        With the pseudo-events' ``vr``.
    vr : ndarray, (E, W)
        The events' VR (:func:`variance_ratio`).
    groups : dict
        name -> (event rows, signs); the signs do not touch a variance.
    windows : array_like of int, (W, 2)
    screen : (int, float), optional
        The two-stage screen of :meth:`Placebo.groups_pvalues`.
    n_jobs : int or None
        Workers of the draws (None: every core); the p-values do not depend on it.

    Returns
    -------
    DataFrame
        ``group, start, end, test, statistic, p_value, n_events`` with test
        :data:`VR_TEST`: statistic the group's mean VR over its events with a
        VR, p = (1 + #{mean VR of a pseudo group >= it}) / (1 + G) over the
        pseudo groups of :meth:`Placebo.groups_pvalues` (same sizes, drawn
        among the pseudo-events with a VR, shared by the groups); NaN without
        a placebo. VR is never negative, so the two-sided comparison of
        absolute means is this one-sided one.
    """
    windows = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    vr = np.asarray(vr, dtype=np.float64)
    pool = _vr_placebo(placebo)
    frames = []
    subs = []
    for spec in groups.values():
        idx = np.asarray(spec[0] if isinstance(spec, tuple) else spec, dtype=np.int64)
        subs.append(vr[idx].reshape(idx.size, windows.shape[0]))
    drawn = (pool.groups_pvalues([(sub, None) for sub in subs], screen=screen, n_jobs=n_jobs)
             if pool is not None and any(np.isfinite(sub).any() for sub in subs) else None)
    for k, (name, sub) in enumerate(zip(groups, subs, strict=True)):
        defined = np.isfinite(sub)
        if drawn is not None and defined.any():
            res = drawn[k]
        else:
            n = defined.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(defined, sub, 0.0).sum(axis=0) / n
            res = TestResult(np.where(n > 0, mean, np.nan), np.full(n.shape, np.nan), n)
        frames.append(pd.DataFrame({
            "group": name, "start": windows[:, 0], "end": windows[:, 1], "test": VR_TEST,
            "statistic": np.asarray(res.statistic, dtype=np.float64),
            "p_value": np.asarray(res.p_value, dtype=np.float64),
            "n_events": np.asarray(res.n_events, dtype=np.int64)}))
    columns = ["group", "start", "end", "test", "statistic", "p_value", "n_events"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(
        {c: [] for c in columns})
