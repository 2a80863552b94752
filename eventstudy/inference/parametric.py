"""Parametric tests of a group's mean CAR: cross-sectional t, Patell, BMP, Kolari–Pynnönen."""

from __future__ import annotations

import numpy as np

from .common import TestResult, as_events, mean_sd, normal_pvalue, safe_div, t_pvalue

__all__ = ["KP_BLOCK", "KP_MIN_OVERLAP", "cross_sectional_t", "patell_z", "bmp_t",
           "pooled_correlation", "kolari_pynnonen_t"]

#: Events with fewer estimation days are left out of Kolari-Pynnönen's r̄.
KP_MIN_OVERLAP = 30


def cross_sectional_t(car) -> TestResult:
    """Cross-sectional t test of the mean CAR.

    Parameters
    ----------
    car : array_like, (..., N, W)
        CAR of each event (signed for signed groups); NaN where missing.

    Returns
    -------
    TestResult

    Notes
    -----
    t = mean(CAR) / (s(CAR)/√N), s with ddof 1, Student t with N - 1 degrees
    of freedom (Brown and Warner 1985; MacKinlay 1997).

    References
    ----------
    Brown, S. J., Warner, J. B. (1985). Using daily stock returns: the case of
    event studies. Journal of Financial Economics, 14(1), 3-31.
    MacKinlay, A. C. (1997). Event studies in economics and finance. Journal
    of Economic Literature, 35(1), 13-39.
    """
    mean, sd, n = mean_sd(as_events("car", car))
    t = safe_div(mean, sd / np.sqrt(np.maximum(n, 1)))
    return TestResult(t, t_pvalue(t, n - 1), n)


def patell_z(car, car_se, n, k) -> TestResult:
    """Patell (1976) standardized-residual test.

    Parameters
    ----------
    car, car_se : array_like, (..., N, W)
        CAR and its standard error with estimation error.
    n : array_like of int, (..., N)
        Estimation days of each event.
    k : int
        Parameters of the normal-return model.

    Returns
    -------
    TestResult

    Notes
    -----
    Z = Σ_e SCAR_e / √(Σ_e (n_e - k)/(n_e - k - 2)), SCAR_e = CAR_e / se(CAR_e),
    standard normal; NaN when an event has n_e - k - 2 <= 0.

    References
    ----------
    Patell, J. M. (1976). Corporate forecasts of earnings per share and stock
    price behavior: empirical tests. Journal of Accounting Research, 14(2),
    246-276.
    """
    scar = safe_div(as_events("car", car), as_events("car_se", car_se))
    dof = np.asarray(n, dtype=np.float64).reshape(scar.shape[:-1]) - float(k)
    var_e = np.where(dof > 2, dof / np.where(dof > 2, dof - 2.0, 1.0), np.nan)
    d = np.isfinite(scar)
    num = np.where(d, scar, 0.0).sum(axis=-2)
    den = np.where(d, var_e[..., None], 0.0).sum(axis=-2)
    bad = (d & ~np.isfinite(var_e)[..., None]).any(axis=-2)
    z = np.where(bad, np.nan, safe_div(num, np.sqrt(den)))
    count = d.sum(axis=-2)
    z = np.where(count > 0, z, np.nan)
    return TestResult(z, normal_pvalue(z), count)


def bmp_t(car, car_se) -> TestResult:
    """Boehmer, Musumeci and Poulsen (1991) standardized cross-sectional test.

    Notes
    -----
    t = mean(SCAR) / (s(SCAR)/√N), SCAR_e = CAR_e / se(CAR_e), s with ddof 1,
    Student t with N - 1 degrees of freedom; robust to event-induced variance.

    References
    ----------
    Boehmer, E., Musumeci, J., Poulsen, A. B. (1991). Event-study methodology
    under conditions of event-induced variance. Journal of Financial
    Economics, 30(2), 253-272.
    """
    mean, sd, n = mean_sd(safe_div(as_events("car", car), as_events("car_se", car_se)))
    t = safe_div(mean, sd / np.sqrt(np.maximum(n, 1)))
    return TestResult(t, t_pvalue(t, n - 1), n)


#: Events standardized together by :func:`pooled_correlation`: each event on its
#: own, so the block size bounds the memory and never changes a number.
KP_BLOCK = 4096


def _standardized(est_ar, min_overlap, block=KP_BLOCK):
    """Estimation ARs standardized over each event's own sample: (z, indicator u, q = n or 0).

    Computed ``block`` events at a time along the events axis (-2).
    """
    a = np.asarray(est_ar, dtype=np.float64)
    if a.ndim < 2 or a.shape[-2] <= block:
        return _standardized_block(a, min_overlap)
    z, u = np.empty(a.shape), np.empty(a.shape)
    q = np.empty(a.shape[:-1])
    for s in range(0, a.shape[-2], block):
        sl = (..., slice(s, s + block), slice(None))
        z[sl], u[sl], q[..., s : s + block] = _standardized_block(a[sl], min_overlap)
    return z, u, q


def _standardized_block(a, min_overlap):
    ok = np.isfinite(a)
    n = ok.sum(axis=-1)
    mean = np.where(ok, a, 0.0).sum(axis=-1) / np.maximum(n, 1)
    dev = np.where(ok, a - mean[..., None], 0.0)
    var = (dev * dev).sum(axis=-1) / np.maximum(n, 1)
    keep = (n >= min_overlap) & (var > 0)
    z = np.where(keep[..., None], dev / np.sqrt(np.where(keep, var, 1.0))[..., None], 0.0)
    u = (ok & keep[..., None]).astype(np.float64)
    return z, u, np.where(keep, n, 0).astype(np.float64)


def pooled_correlation(est_ar, events=None, *, min_overlap=KP_MIN_OVERLAP,
                       block: int = KP_BLOCK) -> np.ndarray:
    """Mean cross-correlation r̄ of the events' estimation ARs.

    Parameters
    ----------
    est_ar : array_like, (..., N, Le)
        Estimation-sample abnormal returns in event-time order, NaN off the sample.
    events : array_like of bool, (..., N, W), optional
        The events that count in each column (default: all, one column).
    min_overlap : int
        Events with fewer sample days are left out.
    block : int
        Events standardized at a time (memory only: the same r̄ for any block).

    Returns
    -------
    ndarray, (..., W)
        r̄ per column; 0 where no pair of events shares a day.

    Notes
    -----
    With z_iτ event i's ARs standardized over its own sample (ddof 0, 0 off
    it), u_iτ its sample indicator and n_i its days,
    r̄ = Σ_{i<j} Σ_τ z_iτ z_jτ / Σ_{i<j} n_ij
    = (Σ_τ (Σ_i z_iτ)² - Σ_i n_i) / (Σ_τ (Σ_i u_iτ)² - Σ_i n_i): the mean of the
    pairwise correlations when every event has the same sample days, pairs
    weighted by their common days otherwise.
    """
    z, u, q = _standardized(est_ar, min_overlap, max(1, int(block)))
    d = np.ones(z.shape[:-1] + (1,)) if events is None else np.asarray(events, dtype=np.float64)
    # einsum's own loops, not BLAS: a (W x N) by (N x Le) product gains nothing from
    # threads, and BLAS threads waiting for busy cores slow it by orders of magnitude
    zs = np.einsum("...nw,...nl->...wl", d, z)
    us = np.einsum("...nw,...nl->...wl", d, u)
    nsum = np.einsum("...nw,...n->...w", d, q)
    num = (zs * zs).sum(axis=-1) - nsum
    cnt = (us * us).sum(axis=-1) - nsum
    return np.where(cnt > 0, num / np.where(cnt > 0, cnt, 1.0), 0.0)


def kolari_pynnonen_t(car, car_se, est_ar, *, min_overlap=KP_MIN_OVERLAP) -> TestResult:
    """Kolari and Pynnönen (2010) BMP test adjusted for cross-correlation.

    Parameters
    ----------
    car, car_se : array_like, (..., N, W)
        CAR and its standard error with estimation error.
    est_ar : array_like, (..., N, Le)
        Estimation-sample abnormal returns in event-time order (signed).
    min_overlap : int
        Events with fewer estimation days are left out of r̄.

    Returns
    -------
    TestResult

    Notes
    -----
    t_KP = t_BMP √((1 - r̄) / (1 + (N - 1) r̄)), r̄ of :func:`pooled_correlation`
    over the events with a CAR in the window, aligned by event day; Student t
    with N - 1 degrees of freedom; NaN when 1 + (N - 1) r̄ <= 0.

    References
    ----------
    Kolari, J. W., Pynnönen, S. (2010). Event study testing with
    cross-sectional correlation of abnormal returns. Review of Financial
    Studies, 23(11), 3996-4025.
    """
    car = as_events("car", car)
    car_se = as_events("car_se", car_se)
    bmp = bmp_t(car, car_se)
    rbar = pooled_correlation(est_ar, np.isfinite(safe_div(car, car_se)),
                              min_overlap=min_overlap)
    n = bmp.n_events.astype(np.float64)
    den = 1.0 + (n - 1.0) * rbar
    factor = np.sqrt(safe_div(1.0 - rbar, np.where(den > 0, den, np.nan)).clip(min=0.0))
    t = bmp.statistic * factor
    return TestResult(t, t_pvalue(t, n - 1), bmp.n_events)
