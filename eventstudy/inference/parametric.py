"""Parametric tests of a group's mean CAR: cross-sectional t, Patell, BMP, Kolari-Pynnönen.

Inputs are shaped (..., N, W): N events, W windows, any leading axes
independent groups. An event whose CAR is missing in a window does not count
there.
"""

from __future__ import annotations

import numpy as np

from .common import TestResult, as_events, mean_sd, normal_pvalue, safe_div, t_pvalue

__all__ = [
    "KP_MIN_OVERLAP",
    "cross_sectional_t",
    "patell_z",
    "bmp_t",
    "pooled_correlation",
    "kolari_pynnonen_t",
]

#: Events with fewer estimation days are left out of Kolari-Pynnönen's r̄.
KP_MIN_OVERLAP = 30


def cross_sectional_t(car) -> TestResult:
    """Cross-sectional t test of the mean CAR.

    Parameters
    ----------
    car : array_like, (..., N, W)
        CAR of each event (signed for signed groups) over each window; NaN
        where missing.

    Returns
    -------
    TestResult
        Statistic, two-sided p-value and number of events per window.

    Notes
    -----
    With N the events whose CAR is defined,

    .. math:: t = \\frac{\\overline{CAR}}{s(CAR)/\\sqrt{N}}, \\qquad
              s(CAR)^2 = \\frac{1}{N-1}\\sum_e (CAR_e - \\overline{CAR})^2,

    referred to Student's t with N - 1 degrees of freedom (needs N >= 2).
    It ignores the events' differing variances and assumes normal CARs.

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
        CAR and its standard error with estimation error (engine ``car_se``).
    n : array_like of int, (..., N)
        Estimation days of each event.
    k : int
        Parameters of the normal-return model (1 for ``constant-mean`` and
        ``market-adjusted``).

    Returns
    -------
    TestResult

    Notes
    -----
    With SCAR_e = CAR_e / se(CAR_e) and the sums over the N events whose CAR
    is defined,

    .. math:: Z = \\frac{\\sum_e SCAR_e}
                       {\\sqrt{\\sum_e (n_e - k)/(n_e - k - 2)}},

    standard normal under the null: (n - k)/(n - k - 2) is the variance of a
    Student t with n - k degrees of freedom. Events with n_e - k - 2 <= 0
    make the statistic undefined (NaN).

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

    Parameters
    ----------
    car, car_se : array_like, (..., N, W)
        CAR and its standard error with estimation error.

    Returns
    -------
    TestResult

    Notes
    -----
    With SCAR_e = CAR_e / se(CAR_e) over the N events whose CAR is defined,

    .. math:: t_{BMP} = \\frac{\\overline{SCAR}}{s(SCAR)/\\sqrt{N}}

    (sd with ddof 1), Student t with N - 1 degrees of freedom. Standardizing
    weights the events by their precision; dividing by the cross-sectional sd
    makes the test robust to event-induced changes in variance.

    References
    ----------
    Boehmer, E., Musumeci, J., Poulsen, A. B. (1991). Event-study methodology
    under conditions of event-induced variance. Journal of Financial
    Economics, 30(2), 253-272.
    """
    mean, sd, n = mean_sd(safe_div(as_events("car", car), as_events("car_se", car_se)))
    t = safe_div(mean, sd / np.sqrt(np.maximum(n, 1)))
    return TestResult(t, t_pvalue(t, n - 1), n)


def _standardized(est_ar, min_overlap):
    """Each event's estimation ARs standardized over its own sample (ddof 0), 0 off it.

    Returns ``(z, u, q)``: z (..., N, Le), u the float sample indicator and
    q (..., N) = Σ_τ z² (= n_i); events with fewer than ``min_overlap``
    sample days or no variance have z = u = 0.
    """
    a = np.asarray(est_ar, dtype=np.float64)
    ok = np.isfinite(a)
    n = ok.sum(axis=-1)
    mean = np.where(ok, a, 0.0).sum(axis=-1) / np.maximum(n, 1)
    dev = np.where(ok, a - mean[..., None], 0.0)
    var = (dev * dev).sum(axis=-1) / np.maximum(n, 1)
    keep = (n >= min_overlap) & (var > 0)
    z = np.where(keep[..., None], dev / np.sqrt(np.where(keep, var, 1.0))[..., None], 0.0)
    u = (ok & keep[..., None]).astype(np.float64)
    return z, u, np.where(keep, n, 0).astype(np.float64)


def pooled_correlation(est_ar, events=None, *, min_overlap=KP_MIN_OVERLAP) -> np.ndarray:
    """Mean cross-correlation r̄ of the events' estimation ARs, from sums over events.

    Parameters
    ----------
    est_ar : array_like, (..., N, Le)
        Estimation-sample abnormal returns in event-time order, NaN off the
        sample.
    events : array_like of bool, (..., N, W), optional
        The events that count in each column (default: all, one column).
    min_overlap : int
        Events with fewer sample days are left out.

    Returns
    -------
    ndarray, (..., W)
        r̄ per column; 0 where no pair of events shares a day.

    Notes
    -----
    With z_iτ = (AR_iτ - ĀR_i)/s_i on event i's sample days (mean and sd,
    ddof 0, over its own sample; 0 off it), u_iτ its sample indicator and
    n_ij = Σ_τ u_iτ u_jτ the days events i and j share,

    .. math:: \\bar r = \\frac{\\sum_{i<j} \\sum_\\tau z_{i\\tau} z_{j\\tau}}
                             {\\sum_{i<j} n_{ij}}
              = \\frac{\\sum_\\tau (\\sum_i z_{i\\tau})^2 - \\sum_i n_i}
                      {\\sum_\\tau (\\sum_i u_{i\\tau})^2 - \\sum_i n_i},

    O(N Le). When every event has the same sample days, each pair's
    co-moment over n_ij is its Pearson correlation on the common days and r̄
    is the mean of the pairwise correlations. With missing days it is the
    pooled form of that mean: each pair's co-moment is standardized by the
    events' own-sample moments and pairs weigh by their common days, so a
    pair that shares few days counts little.
    """
    z, u, q = _standardized(est_ar, min_overlap)
    d = np.ones(z.shape[:-1] + (1,)) if events is None else np.asarray(events, dtype=np.float64)
    # a C-ordered (..., W, N) left operand keeps the products on BLAS
    dt = np.ascontiguousarray(np.swapaxes(d, -1, -2))
    zs = dt @ z
    us = dt @ u
    nsum = (dt @ q[..., None])[..., 0]
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
        Estimation-sample abnormal returns in event-time order (signed for
        signed groups).
    min_overlap : int
        Events with fewer estimation days are left out of r̄.

    Returns
    -------
    TestResult

    Notes
    -----
    .. math:: t_{KP} = t_{BMP} \\sqrt{\\frac{1 - \\bar r}{1 + (N - 1)\\bar r}},

    r̄ the mean cross-correlation of the events' estimation-sample abnormal
    returns over the events with a CAR in the window
    (:func:`pooled_correlation`); Student t with N - 1 degrees of freedom as
    for BMP. With no usable pair r̄ = 0 and t_KP = t_BMP; a r̄ that makes
    1 + (N - 1)r̄ <= 0 gives NaN.

    The series are aligned by event day τ, not by calendar date: r_ij
    estimates the correlation of AR_i(τ) and AR_j(τ), the quantity that
    enters Var(Σ SCAR). For one asset, two events whose estimation windows
    overlap in calendar time see the same return series shifted by the lag
    Δ = day0_j - day0_i, so r_ij estimates the lag-Δ autocorrelation of the
    asset's abnormal returns, and two events on the same trade date have
    r_ij = 1 (the test then counts them once). Multi-day windows of events
    closer than the window length share days; that covariance is not
    captured by the daily r̄.

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
