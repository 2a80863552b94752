"""What every test shares: the result type, the input shape (..., events, windows), p-values."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from ..exceptions import InferenceError

__all__ = ["TestResult", "as_events", "normal_pvalue", "positive_int", "t_pvalue", "safe_div",
           "mean_sd", "multi_day_days", "multi_day_windows"]


class TestResult(NamedTuple):
    """One test across the windows: arrays of shape (..., W)."""

    statistic: np.ndarray
    p_value: np.ndarray
    n_events: np.ndarray


def as_events(name, value) -> np.ndarray:
    """``value`` as a float array (..., events, windows); a vector is one window."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim < 2:
        raise InferenceError(f"{name} must have shape (events, windows); got shape {arr.shape}")
    return arr


def positive_int(name: str, value) -> int:
    """``value`` as an int when it is an integer >= 1 (not a bool), else an InferenceError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InferenceError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def normal_pvalue(z) -> np.ndarray:
    """Two-sided p-value 2 Φ(-|z|) of a standard normal statistic; NaN where z is not finite."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(np.isfinite(z), 2.0 * special.ndtr(-np.abs(np.nan_to_num(z))), np.nan)


def t_pvalue(t, df) -> np.ndarray:
    """Two-sided p-value of a Student t with ``df`` degrees of freedom; NaN where df < 1."""
    t = np.asarray(t, dtype=np.float64)
    df = np.asarray(df, dtype=np.float64)
    good = np.isfinite(t) & (df >= 1)
    return np.where(good, 2.0 * special.stdtr(np.maximum(df, 1), -np.abs(np.nan_to_num(t))),
                    np.nan)


def safe_div(num, den) -> np.ndarray:
    """num / den where both are finite and den is not 0, else NaN."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    good = np.isfinite(num) & np.isfinite(den) & (den != 0)
    return np.where(good, num / np.where(good, den, 1.0), np.nan)


def mean_sd(x):
    """Mean, sd (ddof 1) and count of the finite entries of x (..., N, W) over the events."""
    d = np.isfinite(x)
    n = d.sum(axis=-2)
    mean = safe_div(np.where(d, x, 0.0).sum(axis=-2), n)
    dev = np.where(d, x - np.nan_to_num(mean)[..., None, :], 0.0)
    var = safe_div((dev**2).sum(axis=-2), n - 1)
    return mean, np.sqrt(np.where(n >= 2, var, np.nan)), n


def multi_day_days(span, day0, rel_win, ar) -> np.ndarray:
    """(E, Lw) True on the window days whose abnormal return is part of a multi-day return.

    Parameters
    ----------
    span : array_like of int, (T,) or None
        Trade dates covered by each row's return
        (:func:`eventstudy.panel.span_days`: 1, or 0 on the k dates without a
        price row and k + 1 on the row after them); None: one day each.
    day0 : array_like of int, (E,)
        Day-0 positions of the events.
    rel_win : array_like of int, (Lw,)
        Event days of the window ARs.
    ar : array_like, (E, Lw)
        The window abnormal returns; a day without one is never marked.

    Returns
    -------
    ndarray of bool, (E, Lw)
        True where the day's span is not 1 and its AR is present: the dates
        without a row (AR = 0 - normal) and the row carrying the
        trade-to-trade return (Maynes and Rumsey 1993). A span's days are
        usable together or not at all (:func:`eventstudy.panel.engine_inputs`).
    """
    ar = np.asarray(ar, dtype=np.float64)
    if span is None:
        return np.zeros(ar.shape, dtype=bool)
    span = np.asarray(span, dtype=np.int64).reshape(-1)
    T = span.size
    pos = np.asarray(day0, dtype=np.int64).reshape(-1, 1) + np.asarray(rel_win).reshape(1, -1)
    inside = (pos >= 0) & (pos < T)
    at = np.where(inside, span[np.clip(pos, 0, max(T - 1, 0))] if T else 1, 1)
    return (at != 1) & np.isfinite(ar)


def multi_day_windows(days, rel_win, windows) -> np.ndarray:
    """(E, W) True where window [a, b] holds a day of :func:`multi_day_days` ``days``."""
    days = np.asarray(days, dtype=bool)
    rel_win = np.asarray(rel_win).reshape(-1)
    windows = np.asarray(windows).reshape(-1, 2)
    out = np.zeros(days.shape[:-1] + (windows.shape[0],), dtype=bool)
    for w, (a, b) in enumerate(windows):
        out[..., w] = days[..., (rel_win >= a) & (rel_win <= b)].any(axis=-1)
    return out
