"""What every test shares: the result type, the input shape (..., events, windows), p-values."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from ..exceptions import InferenceError

__all__ = ["TestResult", "as_events", "normal_pvalue", "positive_int", "t_pvalue", "safe_div",
           "mean_sd"]


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
