"""The test battery on engine arrays, and the placebo distribution.

Every test is a pure function of numpy arrays shaped (events x windows) or
(events x days) and returns one value per window: the events of a group are
the rows, the windows the columns, and nothing loops over events. An event
whose CAR is missing in a window (excluded event, window without a usable day)
does not count in that window: ``n_events`` is the number of events with a CAR.

:func:`test_battery` runs the whole battery over named groups of events and
returns the tidy ``tests`` table; :func:`per_event_tests` gives the
single-event SQ and placebo p-values; :func:`placebo_distribution` draws the
pseudo-events the placebo p-values are measured against.

Signed groups
-------------
A group is a set of event indices with a sign per event (+1 for plain groups;
the event's ``direction`` for the direction-signed group, with direction-0
events left out). Every test is run on the signed data: the CAR, the
window abnormal returns and the estimation-sample abnormal returns of an event
are multiplied by its sign before any statistic is formed (the standard errors
are unchanged). Escalations and de-escalations then pool: a signed CAR above
zero means the price moved the way the news' direction says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple, get_args

import numpy as np
import pandas as pd
from scipy import stats

from .exceptions import InferenceError

__all__ = [
    "TestName",
    "TEST_NAMES",
    "TEST_COLUMNS",
    "TestResult",
    "Placebo",
    "cross_sectional_t",
    "patell_z",
    "bmp_t",
    "pairwise_correlation",
    "kolari_pynnonen_t",
    "corrado_rank",
    "generalized_sign_z",
    "wilcoxon_signed_rank",
    "sq_pvalues",
    "placebo_eligible",
    "placebo_distribution",
    "group_tests",
    "test_battery",
    "per_event_tests",
]

logger = logging.getLogger(__name__)

TestName = Literal[
    "cross-sectional-t",
    "patell",
    "bmp",
    "kolari-pynnonen",
    "corrado",
    "generalized-sign",
    "wilcoxon",
    "placebo",
]
TEST_NAMES: tuple[str, ...] = get_args(TestName)

#: Pairs of events with fewer common estimation days are left out of r̄.
KP_MIN_OVERLAP = 30

TEST_COLUMNS = ["group", "start", "end", "test", "statistic", "p_value", "n_events"]


class TestResult(NamedTuple):
    """One test across the windows: arrays of shape (W,)."""

    statistic: np.ndarray
    p_value: np.ndarray
    n_events: np.ndarray


# ---------------------------------------------------------------------------
# helpers


def _as2d(name, value):
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InferenceError(f"{name} must have shape (events, windows); got shape {arr.shape}")
    return arr


def _normal_p(z):
    z = np.asarray(z, dtype=np.float64)
    return np.where(np.isfinite(z), 2.0 * stats.norm.sf(np.abs(np.nan_to_num(z))), np.nan)


def _t_p(t, df):
    t = np.asarray(t, dtype=np.float64)
    df = np.asarray(df, dtype=np.float64)
    good = np.isfinite(t) & (df >= 1)
    return np.where(good, 2.0 * stats.t.sf(np.abs(np.nan_to_num(t)), np.maximum(df, 1)), np.nan)


def _safe_div(num, den):
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    good = np.isfinite(num) & np.isfinite(den) & (den != 0)
    return np.where(good, num / np.where(good, den, 1.0), np.nan)


def _mean_sd(x):
    """Column mean, sd (ddof 1) and count of the finite entries of x (N, W)."""
    d = np.isfinite(x)
    n = d.sum(axis=0)
    x0 = np.where(d, x, 0.0)
    mean = _safe_div(x0.sum(axis=0), n)
    dev = np.where(d, x - np.nan_to_num(mean)[None, :], 0.0)
    var = _safe_div((dev**2).sum(axis=0), n - 1)
    return mean, np.sqrt(np.where(n >= 2, var, np.nan)), n


# ---------------------------------------------------------------------------
# tests across the events of a group (rows = events, columns = windows)


def cross_sectional_t(car) -> TestResult:
    """Cross-sectional t test of the mean CAR.

    Parameters
    ----------
    car : array_like, (N, W)
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
    car = _as2d("car", car)
    mean, sd, n = _mean_sd(car)
    t = _safe_div(mean, sd / np.sqrt(np.maximum(n, 1)))
    return TestResult(t, _t_p(t, n - 1), n)


def patell_z(car, car_se, n, k) -> TestResult:
    """Patell (1976) standardized-residual test.

    Parameters
    ----------
    car, car_se : array_like, (N, W)
        CAR and its standard error with estimation error (engine ``car_se``).
    n : array_like of int, (N,)
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
    car = _as2d("car", car)
    scar = _safe_div(car, _as2d("car_se", car_se))
    n = np.asarray(n, dtype=np.float64).reshape(-1)
    dof = n - float(k)
    var_e = np.where(dof > 2, dof / np.where(dof > 2, dof - 2.0, 1.0), np.nan)
    d = np.isfinite(scar)
    num = np.where(d, scar, 0.0).sum(axis=0)
    den = np.where(d, var_e[:, None], 0.0).sum(axis=0)
    bad = (d & ~np.isfinite(var_e)[:, None]).any(axis=0)
    z = np.where(bad, np.nan, _safe_div(num, np.sqrt(den)))
    count = d.sum(axis=0)
    z = np.where(count > 0, z, np.nan)
    return TestResult(z, _normal_p(z), count)


def bmp_t(car, car_se) -> TestResult:
    """Boehmer, Musumeci and Poulsen (1991) standardized cross-sectional test.

    Parameters
    ----------
    car, car_se : array_like, (N, W)
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
    scar = _safe_div(_as2d("car", car), _as2d("car_se", car_se))
    mean, sd, n = _mean_sd(scar)
    t = _safe_div(mean, sd / np.sqrt(np.maximum(n, 1)))
    return TestResult(t, _t_p(t, n - 1), n)


def pairwise_correlation(est_ar, *, min_overlap=KP_MIN_OVERLAP):
    """Correlations of the events' estimation-sample abnormal returns, by event day.

    Parameters
    ----------
    est_ar : array_like, (N, Le)
        Estimation-sample abnormal returns in event-time order, NaN on days
        outside the sample.
    min_overlap : int
        Pairs with fewer common days are marked unusable.

    Returns
    -------
    r : ndarray, (N, N)
        Pearson correlation of events i and j over the event days τ on which
        both have an estimation-sample abnormal return (means taken over those
        common days); NaN where unusable.
    usable : ndarray of bool, (N, N)
        Off-diagonal pairs with at least ``min_overlap`` common days and
        non-zero variances.

    Notes
    -----
    Computed for all pairs at once from sums over the common days: with
    Z = AR (0 where missing) and U the indicator of a sample day,
    n = UU', S_x = ZU', S_xy = ZZ', S_xx = Z²U', and
    r = (S_xy - S_x S_x'/n) / √((S_xx - S_x²/n)(S_xx' - S_x'²/n)).
    """
    a = np.asarray(est_ar, dtype=np.float64)
    u = np.isfinite(a).astype(np.float64)
    z = np.where(u > 0, a, 0.0)
    n = u @ u.T
    sx = z @ u.T  # sum of x_i over the days common with j
    sxx = (z * z) @ u.T
    sxy = z @ z.T
    safe_n = np.where(n > 0, n, 1.0)
    cov = sxy - sx * sx.T / safe_n
    vx = sxx - sx**2 / safe_n
    vy = vx.T
    good = (n >= min_overlap) & (vx > 0) & (vy > 0)
    np.fill_diagonal(good, False)
    r = np.where(good, cov / np.sqrt(np.where(good, vx * vy, 1.0)), np.nan)
    return np.clip(r, -1.0, 1.0), good


def kolari_pynnonen_t(car, car_se, est_ar, *, min_overlap=KP_MIN_OVERLAP) -> TestResult:
    """Kolari and Pynnönen (2010) BMP test adjusted for cross-correlation.

    Parameters
    ----------
    car, car_se : array_like, (N, W)
        CAR and its standard error with estimation error.
    est_ar : array_like, (N, Le)
        Estimation-sample abnormal returns in event-time order (signed for
        signed groups).
    min_overlap : int
        Pairs with fewer common estimation days are left out of r̄.

    Returns
    -------
    TestResult

    Notes
    -----
    .. math:: t_{KP} = t_{BMP} \\sqrt{\\frac{1 - \\bar r}{1 + (N - 1)\\bar r}},

    r̄ the mean of the pairwise correlations r_ij (i < j) of the events'
    estimation-sample abnormal returns (:func:`pairwise_correlation`), over
    the pairs of events with a CAR in the window and at least ``min_overlap``
    common days; Student t with N - 1 degrees of freedom as for BMP. With no
    usable pair r̄ = 0 and t_KP = t_BMP; a r̄ that makes 1 + (N - 1)r̄ <= 0
    gives NaN.

    The series are aligned by event day τ (not by calendar date): r_ij
    estimates the correlation of AR_i(τ) and AR_j(τ), the quantity that enters
    Var(Σ SCAR). For one asset, two events whose estimation windows overlap
    in calendar time see the same return series shifted by the lag
    Δ = day0_j - day0_i, so r_ij estimates the lag-Δ autocorrelation of the
    asset's abnormal returns (close to zero), and two events on the same trade
    date have r_ij = 1 (the test then counts them once). Aligning by calendar
    date would instead give r_ij ≈ 1 for every overlapping pair, a statement
    about one return with itself, not about the CARs. Multi-day windows of
    events closer than the window length share days; that covariance is not
    captured by the daily r̄.

    References
    ----------
    Kolari, J. W., Pynnönen, S. (2010). Event study testing with
    cross-sectional correlation of abnormal returns. Review of Financial
    Studies, 23(11), 3996-4025.
    """
    car = _as2d("car", car)
    bmp = bmp_t(car, car_se)
    r, good = pairwise_correlation(est_ar, min_overlap=min_overlap)
    upper = np.triu(good, 1)
    rm = np.where(upper, r, 0.0)
    d = np.isfinite(_safe_div(car, _as2d("car_se", car_se))).astype(np.float64)
    num = np.einsum("ew,ef,fw->w", d, rm, d)
    cnt = np.einsum("ew,ef,fw->w", d, upper.astype(np.float64), d)
    rbar = np.where(cnt > 0, _safe_div(num, cnt), 0.0)
    n = bmp.n_events.astype(np.float64)
    den = 1.0 + (n - 1.0) * rbar
    factor = np.sqrt(_safe_div(1.0 - rbar, np.where(den > 0, den, np.nan)).clip(min=0.0))
    t = bmp.statistic * factor
    return TestResult(t, _t_p(t, n - 1), bmp.n_events)


def _ranks_u(est_ar, ar):
    """Corrado's U = rank/(T + 1) - 1/2 over estimation sample and event period."""
    a = np.concatenate([np.asarray(est_ar, float), np.asarray(ar, float)], axis=1)
    ranks = stats.rankdata(a, axis=1, nan_policy="omit")
    t_i = np.isfinite(a).sum(axis=1)
    return ranks / (t_i[:, None] + 1.0) - 0.5


def corrado_rank(est_ar, ar, rel_win, windows, car=None) -> TestResult:
    """Corrado (1989) rank test, multi-day form of Campbell and Wasley (1993).

    Parameters
    ----------
    est_ar : array_like, (N, Le)
        Estimation-sample abnormal returns (NaN off the sample), signed for
        signed groups.
    ar : array_like, (N, Lw)
        Abnormal returns of the widest event window (days ``rel_win``).
    rel_win : array_like of int, (Lw,)
        Event times of the columns of ``ar``.
    windows : array_like of int, (W, 2)
        Test windows [a, b].
    car : array_like, (N, W), optional
        An event counts in a window only where its CAR is defined (as in the
        other tests); default: where it has an abnormal return in the window.

    Returns
    -------
    TestResult

    Notes
    -----
    Each event's abnormal returns over its estimation sample and the whole
    event period ``rel_win`` together (T_i values) are ranked (ties get the
    average rank), U_it = rank_it/(T_i + 1) - 1/2, so that E[U] = 0 under
    the null. For the N events counted in window [a, b], Ū_t is the mean of
    the N_t defined U_it at event day t. Over all D days t (estimation and
    event period) with N_t > 0, the variance of one event's U is estimated
    as σ̂² = (1/D) Σ_t N_t Ū_t² (the mean of U is zero by construction, so no
    mean is removed), and the time-series standard deviation of Ū_t is
    S_t = σ̂/√N_t. Over the window days with N_t > 0,

    .. math:: Z = \\frac{\\sum_{t=a}^{b} \\bar U_t}
                       {\\sqrt{\\sum_{t=a}^{b} \\hat\\sigma^2 / N_t}},

    standard normal under the null. When every day has the same N events
    (no missing day) this is exactly Corrado's form Σ Ū_t / (√L · S_Ū) with
    S_Ū = √((1/D) Σ_t Ū_t²) and L the window length; for L = 1 it is
    Corrado's single-day statistic. Weighting by N_t keeps the statistic
    standard normal when estimation days are missing for some events
    (other-event and thin-day exclusions): the plain S_Ū would mix days
    averaging fewer events and overstate the variance of the window's Ū_t,
    a test that rarely rejects. Ranks need no normality, which suits
    fat-tailed daily futures returns.

    References
    ----------
    Corrado, C. J. (1989). A nonparametric test for abnormal security-price
    performance in event studies. Journal of Financial Economics, 23(2),
    385-395.
    Campbell, C. J., Wasley, C. E. (1993). Measuring security price
    performance using daily NASDAQ returns. Journal of Financial Economics,
    33(1), 73-92.
    """
    est_ar = np.asarray(est_ar, dtype=np.float64)
    ar = np.asarray(ar, dtype=np.float64)
    rel_win = np.asarray(rel_win).reshape(-1)
    windows = np.asarray(windows).reshape(-1, 2)
    W = windows.shape[0]
    Le = est_ar.shape[1]
    u = _ranks_u(est_ar, ar)
    du = np.isfinite(u)
    u0 = np.where(du, u, 0.0)
    stat = np.full(W, np.nan)
    count = np.zeros(W, dtype=np.int64)
    for w, (a, b) in enumerate(windows):
        in_w = (rel_win >= a) & (rel_win <= b)
        if car is not None:
            ev = np.isfinite(_as2d("car", car)[:, w])
        else:
            ev = du[:, Le:][:, in_w].any(axis=1)
        count[w] = ev.sum()
        if not ev.any():
            continue
        m = du[ev].sum(axis=0)
        ubar = np.where(m > 0, u0[ev].sum(axis=0) / np.maximum(m, 1), 0.0)
        dd = m > 0
        sigma2 = (m[dd] * ubar[dd] ** 2).sum() / dd.sum()
        cols = np.concatenate([np.zeros(Le, dtype=bool), in_w]) & dd
        if not cols.any() or sigma2 == 0:
            continue
        stat[w] = ubar[cols].sum() / np.sqrt(sigma2 * (1.0 / m[cols]).sum())
    return TestResult(stat, _normal_p(stat), count)


def generalized_sign_z(car, est_ar) -> TestResult:
    """Cowan (1992) generalized sign test.

    Parameters
    ----------
    car : array_like, (N, W)
        CAR of each event (signed for signed groups).
    est_ar : array_like, (N, Le)
        Estimation-sample abnormal returns (signed for signed groups), NaN
        off the sample.

    Returns
    -------
    TestResult

    Notes
    -----
    Over the N events whose CAR is defined in the window, p̂ is the mean over
    events of the share of positive estimation-sample abnormal returns,
    w the number of positive CARs, and

    .. math:: Z = \\frac{w - N\\hat p}{\\sqrt{N \\hat p (1 - \\hat p)}},

    standard normal (no continuity correction). Taking p̂ from the
    estimation sample rather than 1/2 allows for skewed abnormal returns.

    References
    ----------
    Cowan, A. R. (1992). Nonparametric event study tests. Review of
    Quantitative Finance and Accounting, 2(4), 343-358.
    """
    car = _as2d("car", car)
    est = np.asarray(est_ar, dtype=np.float64)
    de = np.isfinite(est)
    share = _safe_div((np.where(de, est, 0.0) > 0).sum(axis=1), de.sum(axis=1))
    d = np.isfinite(car) & np.isfinite(share)[:, None]
    n = d.sum(axis=0)
    p_hat = _safe_div(np.where(d, share[:, None], 0.0).sum(axis=0), n)
    w = (d & (np.where(d, car, 0.0) > 0)).sum(axis=0)
    z = _safe_div(w - n * p_hat, np.sqrt(n * p_hat * (1.0 - p_hat)))
    return TestResult(z, _normal_p(z), n)


def wilcoxon_signed_rank(car) -> TestResult:
    """Wilcoxon signed-rank test of the CARs (``scipy.stats.wilcoxon``, defaults).

    Parameters
    ----------
    car : array_like, (N, W)
        CAR of each event (signed for signed groups).

    Returns
    -------
    TestResult
        scipy's statistic (two-sided: min(W+, W-), the smaller of the rank
        sums of the positive and of the negative CARs) and p-value.

    Notes
    -----
    Ranks of |CAR_e| over the N defined CARs; W+ = Σ rank over positive CARs.
    Defaults of scipy (1.17, ``method='auto'``): zero CARs dropped from the
    ranks ('wilcox'), no continuity correction; the exact distribution of W+
    for N <= 50 without ties or zeros; with ties or zeros, for N <= 13 the
    exact sign-flip (permutation) distribution of W+ over all 2^N sign
    patterns, p = min(1, 2 min(P(W+ <= w), P(W+ >= w))), and for N > 13 the
    normal approximation (with the tie correction); the normal approximation
    for N > 50. A window whose CARs are all zero (or missing) gives NaN.

    Speed: scipy computes the tied/zero case for N <= 13 by running
    ``scipy.stats.permutation_test`` over all 2^N patterns (about 1.5 s per
    call at N = 13, more when vectorised over windows). That case is computed
    here from the same exact distribution by convolution: with the average
    ranks doubled to integers r_i, W+ is Σ s_i r_i / 2 over independent
    fair signs s_i ∈ {0, 1}, whose distribution is the product of the
    polynomials (1 + z^{r_i})/2 (zeros, which scipy flips too, leave it
    unchanged). The p-value is scipy's to rounding (tested); every other
    case calls ``scipy.stats.wilcoxon`` itself.

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods.
    Biometrics Bulletin, 1(6), 80-83.
    """
    car = _as2d("car", car)
    W = car.shape[1]
    stat = np.full(W, np.nan)
    p = np.full(W, np.nan)
    n = np.isfinite(car).sum(axis=0)
    # Windows where every event has a CAR and scipy takes its exact path (no
    # ties, no zeros, N <= 50) are computed in one call along axis 0; scipy
    # decides ties for the whole array, hence only such windows are joined.
    joint = []
    for w in range(W):
        x = car[np.isfinite(car[:, w]), w]
        if np.count_nonzero(x) == 0:
            continue
        nz = x[x != 0]
        plain = np.unique(np.abs(nz)).size == nz.size and nz.size == x.size
        if not plain and x.size <= _WILCOXON_PERMUTATION_N:
            stat[w], p[w] = _wilcoxon_sign_flip(nz)
        elif plain and x.size == car.shape[0] and x.size <= 50:
            joint.append(w)
        else:
            res = stats.wilcoxon(x)
            stat[w], p[w] = float(res.statistic), float(res.pvalue)
    if joint:
        res = stats.wilcoxon(car[:, joint], axis=0)
        stat[joint] = np.asarray(res.statistic, dtype=np.float64)
        p[joint] = np.asarray(res.pvalue, dtype=np.float64)
    return TestResult(stat, p, n)


#: scipy's ``method='auto'`` runs its exhaustive permutation test on tied or
#: zero differences up to this sample size (2**13 < its 9,999 resamples).
_WILCOXON_PERMUTATION_N = 13


def _wilcoxon_sign_flip(nz):
    """min(W+, W-) and the exact two-sided sign-flip p of the non-zero values ``nz``."""
    ranks2 = np.rint(2.0 * stats.rankdata(np.abs(nz))).astype(np.int64)
    dist = np.zeros(int(ranks2.sum()) + 1)
    dist[0] = 1.0
    top = 0
    for r in ranks2:  # multiply by (1 + z^r) / 2
        dist[r : top + r + 1] += dist[: top + 1].copy()
        dist *= 0.5
        top += r
    obs2 = int(ranks2[nz > 0].sum())
    cdf = dist[: obs2 + 1].sum()
    sf = dist[obs2:].sum()
    w_plus = obs2 / 2.0
    return min(w_plus, ranks2.sum() / 2.0 - w_plus), float(min(1.0, 2.0 * min(cdf, sf)))


# ---------------------------------------------------------------------------
# per-event tests


#: Multi-day reference distributions of :func:`sq_pvalues` (see its Notes).
SQMultiDay = Literal["permutation", "blocks", "overlapping"]

#: Two sums closer than this times the event's residual scale (RMS of its
#: estimation-sample residuals, times √L) are a tie: floating-point routes
#: differ by ~1e-15 of the scale, real differences by far more than 1e-9.
SQ_TIE_RTOL = 1e-9


def _run_sum(x):
    """Left-to-right sum over the last axis: one summation order for every sum the SQ compares."""
    s = x[..., 0].copy()
    for i in range(1, x.shape[-1]):
        s += x[..., i]
    return s


def _sq_counts(ref, ok, car, tol):
    """(#{S <= CAR + tol}, #{S >= CAR - tol}, M) over the usable reference sums (rows = events)."""
    c = car[:, None]
    t = tol[:, None]
    le = (ok & (ref <= c + t)).sum(axis=1)
    ge = (ok & (ref >= c - t)).sum(axis=1)
    return le, ge, ok.sum(axis=1)


def _sq_reference(est, L, multiday):
    """Overlapping or block L-day sums (E, M) and their usable mask (rows = events)."""
    # imported here so that the SQ section is self-contained within the module
    from numpy.lib.stride_tricks import sliding_window_view

    E, Le = est.shape
    fin = np.isfinite(est)
    if L == 1 or multiday == "overlapping":
        if L > Le:
            return np.zeros((E, 0)), np.zeros((E, 0), dtype=bool)
        ref = _run_sum(sliding_window_view(np.where(fin, est, 0.0), L, axis=1))
        ok = sliding_window_view(fin, L, axis=1).all(axis=2)
        return ref, ok
    # The sample days of each event, in event-time order and right-aligned
    # (a stable sort puts the off-sample days first), so that the most recent
    # days sit in the last columns whatever the gaps.
    order = np.argsort(fin, axis=1, kind="stable")
    comp = np.take_along_axis(np.where(fin, est, 0.0), order, axis=1)
    n = fin.sum(axis=1)
    nb = Le // L
    if nb == 0:
        return np.zeros((E, 0)), np.zeros((E, 0), dtype=bool)
    # block j holds the compressed days [Le - (j+1)L, Le - jL): newest first
    blocks = comp[:, Le - nb * L :].reshape(E, nb, L)[:, ::-1, :]
    ok = np.arange(nb)[None, :] < (n // L)[:, None]
    return _run_sum(blocks), ok


@lru_cache(maxsize=64)
def _sq_picks(n, L, draws, seed):
    """(L, draws) positions of L distinct values among n, the same for every event of pool size n.

    The i-th pick is uniform among the n - i positions left (one matrix of
    uniforms for every n: common random numbers), mapped to a position by
    stepping over the earlier picks in increasing order. Cached: placebo and
    simulation runs ask for the same few pool sizes again and again.
    """
    u = np.random.default_rng(seed).random((draws, L))
    picks = np.empty((draws, L), dtype=np.int64)
    for i in range(L):
        c = np.minimum(np.floor(u[:, i] * (n - i)).astype(np.int64), n - i - 1)
        taken = np.sort(picks[:, :i], axis=1)
        for k in range(i):
            c += c >= taken[:, k]
        picks[:, i] = c
    out = np.ascontiguousarray(picks.T)
    out.flags.writeable = False
    return out


def _sq_permutation(pool, size, L, draws, seed, chunk=2_000_000):
    """``draws`` sums of L values drawn without replacement from each row's first ``size`` values.

    An event's p-value depends neither on the other events nor on the
    chunking (:func:`_sq_picks`). The L values of a draw are added left to
    right in draw order, the arithmetic of :func:`_run_sum`, laid out
    (events, L, draws) so that each addition reads contiguous memory.
    """
    out = np.empty((pool.shape[0], draws))
    step = max(1, chunk // (draws * L))
    for n in np.unique(size):
        picks = _sq_picks(int(n), int(L), int(draws), int(seed))
        rows = np.flatnonzero(size == n)
        for s in range(0, rows.size, step):
            r = rows[s : s + step]
            g = pool[r][:, picks]  # (events, L, draws)
            acc = g[:, 0, :].copy()
            for i in range(1, L):
                acc += g[:, i, :]
            out[r] = acc
    return out


def sq_pvalues(car, est_ar, windows, *, window_ar=None, rel_win=None, multiday="permutation",
               draws=9999, seed=0) -> np.ndarray:
    """SQ test p-values of each event's CAR (Gelbach, Helland and Klick 2013).

    Parameters
    ----------
    car : array_like, (E, W)
        CAR of each event over each window (the engine's ``car``).
    est_ar : array_like, (E, Le)
        Estimation-sample abnormal returns in event-time order, NaN on days
        outside the sample.
    windows : array_like of int, (W, 2)
        The windows [a, b].
    window_ar : array_like, (E, Lw), optional
        The window abnormal returns (engine ``ar``) on the days ``rel_win``.
        When given, each CAR is recomputed from them by the same summation as
        the reference sums, an event with missing window days is compared
        with sums of as many days as its CAR holds, and the permutation
        reference includes the window's own values (exact; see Notes).
    rel_win : array_like of int, (Lw,), optional
        Event times of the columns of ``window_ar`` (required with it).
    multiday : {'permutation', 'blocks', 'overlapping'}
        Reference distribution of an L-day CAR for L > 1 (Notes). One-day
        windows always use the n sample residuals themselves (all of them:
        the exact rank test).
    draws : int
        Random L-day sums per event for ``multiday='permutation'``.
    seed : int
        Seed of ``numpy.random.default_rng`` for ``multiday='permutation'``;
        the same seed gives the same p-values.

    Returns
    -------
    ndarray, (E, W)
        Two-sided p-values in (0, 1]; NaN where the CAR is missing or no
        reference sum exists.

    Raises
    ------
    OptionError
        ``multiday`` not one of the values above.
    InferenceError
        ``car`` of a shape that does not match, ``window_ar`` without
        ``rel_win`` or of a shape that does not match, a non-positive ``draws``.

    Notes
    -----
    **p-value.** With S_1..S_M the reference sums of event e and window w,

    .. math:: p = \\min\\Bigl(1,\\ \\frac{2\\min(1 + \\#\\{S_j \\le CAR\\},\\
              1 + \\#\\{S_j \\ge CAR\\})}{M + 1}\\Bigr),

    the finite-sample form of a rank (or Monte Carlo permutation) test: the
    CAR counts as one more draw of its own reference distribution, so the
    lower-tail quantity (1 + #{S_j <= CAR})/(M + 1) is the CAR's rank among
    the M + 1 values (ties ranked in its disfavour) over M + 1. When CAR,
    S_1..S_M are exchangeable that rank is uniform on 1..M+1 (stochastically
    larger with ties), each one-sided p has P(p <= u) <= u, and the
    two-sided p (twice the smaller) has size at most α: exactly
    2⌊α(M + 1)/2⌋/(M + 1), e.g. 4.98% at M = 240. p is never below
    2/(M + 1), never 0. The form 2 min(#≤, #≥)/M of earlier versions could
    be 0 and rejected too often (5.8% at M = 240 on [0, 0]).

    **Ties.** Every sum compared — the CAR recomputed from ``window_ar``
    and each reference sum — is formed by one routine, a left-to-right sum
    of its L values (not differences of prefix sums, whose rounding depends
    on the position in the sample). The window's and the estimation
    sample's residuals still come from different floating-point expressions
    in the engine, so a tie is decided with a tolerance: |S_j - CAR| <= tol,
    tol = ``SQ_TIE_RTOL`` · √L · RMS of the event's residuals, counts in
    both #≤ and #≥. Tick-size prices with the constant-mean model make
    exact ties common; with the tolerance they are ties whatever the route,
    and counting a tie on both sides only raises p (the bound above holds).

    **Multi-day windows (L > 1).** Under the null the abnormal returns of
    the estimation sample and of the window are exchangeable (iid), GHK's
    assumption:

    - ``'permutation'`` (default): S_b, b = 1..``draws``, are sums of L
      values drawn without replacement from the pool of the event's n_e
      sample residuals and, with ``window_ar``, its L window ARs. Given the
      pool, the window's L values are a uniformly random L-subset of it
      under exchangeability, and so is each draw: CAR, S_1..S_B are
      exchangeable and the size bound above is exact in finite samples for
      any distribution (a Monte Carlo permutation test; Dufour 2006,
      Phipson and Smyth 2010). Every residual enters the tail, unlike the
      few extreme ones of ~n_e overlapping sums. Without ``window_ar`` the
      pool lacks the window's values and the bound is asymptotic (n_e → ∞).
    - ``'blocks'``: S_j are the ⌊n_e/L⌋ sums of non-overlapping runs of L
      consecutive sample days, counted back from the last sample day (the
      oldest n_e mod L days are dropped). Exchangeable with the CAR, so the
      bound is exact too, but M is small: it can reject at level α only if
      M + 1 >= 2/α (n_e >= 39 L at 5%) and never does on [0, 5] with the
      ~160 estimation days of ZS=F.
    - ``'overlapping'``: GHK's L-day sums S_j = Σ_{l=j}^{j+L-1} AR_l over
      the runs of L consecutive event days without a missing day. Adjacent
      sums share L - 1 days, so they are not exchangeable with the CAR and
      no finite-sample bound holds (the empirical tails are too thin for
      L > 1). Kept to reproduce GHK.

    Without ``window_ar``, L = b - a + 1 and the engine's CAR is used as
    given; an event with a missing window day then compares an (L-1)-day
    CAR with L-day sums (conservative), which ``window_ar`` avoids.

    The test uses only the event's own abnormal-return distribution, so it
    needs no normality, but it assumes the estimation sample's residual
    distribution holds in the window: volatility clustering breaks the
    exchangeability (see :mod:`eventstudy.volatility`).

    References
    ----------
    Gelbach, J. B., Helland, E., Klick, J. (2013). Valid inference in
    single-firm, single-event studies. American Law and Economics Review,
    15(2), 495-541.
    Dufour, J.-M. (2006). Monte Carlo tests with nuisance parameters.
    Journal of Econometrics, 133(2), 443-477.
    Phipson, B., Smyth, G. K. (2010). Permutation p-values should never be
    zero. Statistical Applications in Genetics and Molecular Biology, 9(1), 39.
    """
    from ._options import check_option

    multiday = check_option("multiday", multiday, SQMultiDay)
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise InferenceError(f"draws must be a positive integer; got {draws!r}")
    car = _as2d("car", car)
    est = np.asarray(est_ar, dtype=np.float64)
    windows = np.asarray(windows).reshape(-1, 2)
    E, Le = est.shape
    W = windows.shape[0]
    if car.shape != (E, W):
        raise InferenceError(
            f"car must have shape (events, windows) = ({E}, {W}) like est_ar and windows; "
            f"got {car.shape}"
        )
    ar_w = None
    if window_ar is not None:
        if rel_win is None:
            raise InferenceError("window_ar needs rel_win, the event times of its columns")
        ar_w = np.asarray(window_ar, dtype=np.float64)
        rel_win = np.asarray(rel_win).reshape(-1)
        if ar_w.shape != (E, rel_win.size):
            raise InferenceError(
                f"window_ar must have shape (events, len(rel_win)) = ({E}, {rel_win.size}); "
                f"got {ar_w.shape}"
            )
    fin = np.isfinite(est)
    n_est = fin.sum(axis=1)
    rms = np.sqrt((np.where(fin, est, 0.0) ** 2).sum(axis=1) / np.maximum(n_est, 1))
    # the sample residuals left-aligned in event-time order: the permutation pool
    comp = np.take_along_axis(np.where(fin, est, 0.0), np.argsort(~fin, axis=1, kind="stable"),
                              axis=1)
    out = np.full((E, W), np.nan)
    for w, (a, b) in enumerate(windows):
        if ar_w is None:
            c = car[:, w]
            L_e = np.full(E, int(b - a + 1))
            xs = None
        else:
            sel = (rel_win >= a) & (rel_win <= b)
            x = ar_w[:, sel]
            d = np.isfinite(x)
            L_e = d.sum(axis=1)
            # the window's usable ARs, left-aligned in event-time order, summed
            # by the routine of the reference sums
            xs = np.take_along_axis(np.where(d, x, 0.0), np.argsort(~d, axis=1, kind="stable"),
                                    axis=1)
            c = np.full(E, np.nan)
            for L in np.unique(L_e[L_e > 0]):
                rows = L_e == L
                c[rows] = _run_sum(xs[rows][:, :L])
            c = np.where(np.isfinite(car[:, w]) & (L_e > 0), c, np.nan)
        have = np.isfinite(c)
        for L in np.unique(L_e[have]):
            L = int(L)
            rows = np.flatnonzero(have & (L_e == L))
            if L > 1 and multiday == "permutation":
                size = n_est[rows].copy()
                pool = np.concatenate([comp[rows], np.zeros((rows.size, L))], axis=1)
                if xs is not None:
                    pool[np.arange(rows.size)[:, None], size[:, None] + np.arange(L)] = \
                        xs[rows, :L]
                    size += L
                ref = _sq_permutation(pool, size, L, int(draws), seed)
                ok = np.broadcast_to((size >= L)[:, None], ref.shape)
            else:
                ref, ok = _sq_reference(est[rows], L, multiday)
            tol = SQ_TIE_RTOL * np.sqrt(L) * rms[rows]
            le, ge, m = _sq_counts(ref, ok, c[rows], tol)
            p = np.minimum(1.0, 2.0 * (1.0 + np.minimum(le, ge)) / (m + 1.0))
            out[rows, w] = np.where(m > 0, p, np.nan)
    return out


# ---------------------------------------------------------------------------
# placebo distribution


@dataclass(frozen=True)
class Placebo:
    """CARs of pseudo-events drawn where no catalogued event is.

    Attributes
    ----------
    car : ndarray, (draws, W)
        Pseudo-event CARs (NaN where the pseudo-event's window had no usable
        day or the pseudo-event was excluded by the engine).
    day0 : ndarray of int, (draws,)
        Positions of the pseudo day 0 in the return index.
    windows : ndarray of int, (W, 2)
    seed : int
        Seed of the generator that drew ``day0`` and that group draws derive
        from.
    n_eligible : int
        Trade dates eligible as pseudo day 0.
    model : str
    estimation : tuple of int
    """

    car: np.ndarray
    day0: np.ndarray
    windows: np.ndarray
    seed: int
    n_eligible: int
    model: str
    estimation: tuple

    @property
    def draws(self) -> int:
        """Number of pseudo-events drawn."""
        return int(self.day0.shape[0])

    def _check_windows(self, car):
        car = _as2d("car", car)
        if car.shape[1] != self.windows.shape[0]:
            raise InferenceError(
                f"car has {car.shape[1]} windows but the placebo distribution has "
                f"{self.windows.shape[0]} ({self.windows.tolist()}); draw it with the same windows"
            )
        return car

    def event_pvalues(self, car) -> np.ndarray:
        """Two-sided placebo p-value of each event's CAR.

        Parameters
        ----------
        car : array_like, (E, W)

        Returns
        -------
        ndarray, (E, W)

        Notes
        -----
        With D_w the pseudo-events whose CAR is defined in window w,
        p = (1 + #{|CAR_pseudo| >= |CAR_e|}) / (1 + D_w); NaN for a missing
        CAR.
        """
        car = self._check_windows(car)
        out = np.full(car.shape, np.nan)
        for w in range(car.shape[1]):
            pool = np.sort(np.abs(self.car[np.isfinite(self.car[:, w]), w]))
            obs = np.abs(car[:, w])
            fin = np.isfinite(obs)
            ge = pool.size - np.searchsorted(pool, np.where(fin, obs, 0.0), side="left")
            out[:, w] = np.where(fin, (1.0 + ge) / (1.0 + pool.size), np.nan)
        return out

    def group_pvalues(self, car, sign=None, *, groups=None) -> TestResult:
        """Two-sided placebo p-value of a group's mean CAR.

        Parameters
        ----------
        car : array_like, (N, W)
            The group's CARs, already signed for a signed group.
        sign : array_like, (N,), optional
            The events' signs (default +1), given to the pseudo-events.
        groups : int, optional
            Number of pseudo groups (default ``draws``, the number of
            pseudo-events).

        Returns
        -------
        TestResult
            Statistic = the group's mean CAR; p-value; N per window.

        Notes
        -----
        For window w with N_w events whose CAR is defined, G = ``groups``
        (default ``draws``) pseudo groups are formed, each of N_w pseudo-events drawn without
        replacement from the pseudo-events with a defined CAR (uniformly
        ordered sequential draws); the i-th pseudo-event of a group gets the
        sign of the i-th event, so a signed group is compared with
        identically signed pseudo groups. The generator is
        ``numpy.random.default_rng([seed, w, N_w])``: the same seed gives the
        same p-values whatever the order in which groups are tested. Then
        p = (1 + #{|mean pseudo| >= |mean CAR|}) / (1 + G).
        """
        car = self._check_windows(car)
        N, W = car.shape
        sign = np.ones(N) if sign is None else np.asarray(sign, dtype=np.float64).reshape(-1)
        if sign.shape[0] != N:
            raise InferenceError(
                f"sign has {sign.shape[0]} entries for {N} events; give one per event"
            )
        G = self.draws if groups is None else int(groups)
        if G < 1:
            raise InferenceError(f"groups must be a positive integer; got {groups!r}")
        stat = np.full(W, np.nan)
        p = np.full(W, np.nan)
        count = np.isfinite(car).sum(axis=0)
        for w in range(W):
            d = np.isfinite(car[:, w])
            nw = int(d.sum())
            if nw == 0:
                continue
            pool = self.car[np.isfinite(self.car[:, w]), w]
            if pool.size < nw:
                raise InferenceError(
                    f"window {self.windows[w].tolist()}: {nw} events but only {pool.size} "
                    f"pseudo-events with a CAR; draw more pseudo-events (draws=...)"
                )
            obs = car[d, w].mean()
            rng = np.random.default_rng([int(self.seed), w, nw])
            picks = _sample_without_replacement(rng, pool.size, nw, G)
            means = (pool[picks] * sign[d][None, :]).mean(axis=1)
            stat[w] = obs
            p[w] = (1.0 + np.count_nonzero(np.abs(means) >= abs(obs))) / (1.0 + G)
        return TestResult(stat, p, count)


def _sample_without_replacement(rng, population, size, rows):
    """(rows, size) indices, each row a uniformly ordered draw without replacement."""
    if size <= 64:
        # Sequential draws: the i-th pick is uniform among the P - i left,
        # mapped to an index by stepping over the earlier picks in order.
        picks = np.empty((rows, size), dtype=np.int64)
        for i in range(size):
            c = rng.integers(0, population - i, size=rows)
            taken = np.sort(picks[:, :i], axis=1)
            for j in range(i):
                c += c >= taken[:, j]
            picks[:, i] = c
        return picks
    out = np.empty((rows, size), dtype=np.int64)
    chunk = max(1, 4_000_000 // max(population, 1))
    for s in range(0, rows, chunk):
        keys = rng.random((min(chunk, rows - s), population))
        part = np.argpartition(keys, size - 1, axis=1)[:, :size]
        out[s : s + part.shape[0]] = rng.permuted(part, axis=1)
    return out


def _window_cover(T, day0, lo, hi):
    """Bool (T,): days inside [d + lo, d + hi] of any d in day0."""
    day0 = np.asarray(day0, dtype=np.int64).reshape(-1)
    a = np.clip(day0 + lo, 0, T)
    b = np.clip(day0 + hi + 1, 0, T)
    step = np.bincount(a, minlength=T + 1)[: T + 1] - np.bincount(b, minlength=T + 1)[: T + 1]
    return np.cumsum(step)[:T] > 0


def _count_in(cs, lo, hi):
    """Counts of a 0/1 series over [lo, hi] from its prefix sums cs (length T + 1)."""
    return cs[hi + 1] - cs[lo]


def placebo_eligible(valid, est_ok, *, estimation, windows, event_day0, min_estimation_days=100,
                     day0_ok=None, window_ok=None):
    """Positions eligible as pseudo-event day 0.

    Parameters
    ----------
    valid, est_ok : array_like of bool, (T,)
        As for the engine.
    estimation : (int, int)
        Estimation window [T0, T1].
    windows : array_like of int, (W, 2)
        Event windows; their widest span [min start, max end] is used.
    event_day0 : array_like of int
        Day-0 positions of every catalogued event (used or not).
    min_estimation_days : int
    day0_ok : array_like of bool, (T,), optional
        Days admissible as pseudo day 0 (default ``valid``: a pseudo day 0
        with a missing return would have no day-0 abnormal return).
    window_ok : array_like of bool, (T,), optional
        Days admissible anywhere in a pseudo-event's widest event window
        [p + lo, p + hi]. Default ``est_ok & valid``: every window day has a
        return, is not a contract roll and, when the study keeps thin-trading
        days out of estimation samples (``est_ok`` without them), is not a
        thin-trading day. Pass ``valid`` to check only that the day-0 return
        exists (pseudo windows may then hold thin and roll days).

    Returns
    -------
    ndarray of int
        Positions p whose estimation window [p + T0, p + T1] and widest
        event window [p + lo, p + hi] lie inside the data, avoid every
        catalogued event's widest window, whose window days all satisfy
        ``window_ok``, whose day 0 satisfies ``day0_ok``, and whose
        estimation window has at least ``min_estimation_days`` days with
        ``est_ok`` and ``valid``.

    Notes
    -----
    Why clean windows by default: thin-trading (delivery-period) days are
    left out of estimation samples but their abnormal returns are more
    volatile (about 15% larger standard deviation for ZS=F), so a pseudo
    window on them has a variance the estimation sample understates. A real
    event whose window holds thin days is flagged in the study's output as a
    separate case; the placebo distribution describes the clean case, the
    one the estimation sample describes, and so do the pseudo-events of
    :mod:`eventstudy.simulation`.
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


def placebo_distribution(
    y,
    X,
    valid,
    est_ok,
    *,
    model,
    estimation=(-250, -11),
    windows=((-1, 1),),
    event_day0=(),
    draws=10_000,
    seed=0,
    min_estimation_days=100,
    day0_ok=None,
    window_ok=None,
) -> Placebo:
    """Draw pseudo-events and compute their CARs with the study's model.

    Parameters
    ----------
    y, X, valid, est_ok
        The engine's inputs (see :func:`eventstudy.engine.estimate_arrays`).
    model, estimation, windows, min_estimation_days
        The study's settings, passed to the engine unchanged.
    event_day0 : array_like of int
        Day-0 positions of every catalogued event.
    draws : int
        Number of pseudo-events (default 10,000).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same
        pseudo-events and p-values.
    day0_ok : array_like of bool, (T,), optional
        Days admissible as pseudo day 0 (see :func:`placebo_eligible`).
    window_ok : array_like of bool, (T,), optional
        Days admissible in a pseudo-event's widest window (default
        ``est_ok & valid``: no missing, roll or, with the thin-trading
        exclusion on, thin day; see :func:`placebo_eligible`).

    Returns
    -------
    Placebo

    Raises
    ------
    InferenceError
        No eligible date, or a non-positive ``draws``.

    Notes
    -----
    Pseudo day-0 positions are drawn with replacement, uniformly among the
    eligible trade dates (:func:`placebo_eligible`): their estimation and
    event windows avoid every catalogued event's window, their event windows
    hold only ``window_ok`` days (by default days the estimation sample could
    hold: no thin-trading day when that exclusion is on, no roll day), and
    their estimation windows hold enough estimation days. The engine runs
    once on all of them, with the same model and windows; other-event
    exclusion is off among pseudo-events (they are not news), and the
    catalogued events' windows are passed as ``exclude_positions`` (a no-op
    for eligible dates, kept as a guard).

    References
    ----------
    Gelbach, J. B., Helland, E., Klick, J. (2013), section on placebo
    (permutation) inference; Brown, S. J., Warner, J. B. (1985). Journal of
    Financial Economics, 14(1), 3-31.
    """
    from .engine import estimate_arrays

    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise InferenceError(f"draws must be a positive integer; got {draws!r}")
    valid = np.asarray(valid, dtype=bool)
    T = valid.shape[0]
    windows = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    eligible = placebo_eligible(
        valid,
        est_ok,
        estimation=estimation,
        windows=windows,
        event_day0=event_day0,
        min_estimation_days=min_estimation_days,
        day0_ok=day0_ok,
        window_ok=window_ok,
    )
    if eligible.size == 0:
        raise InferenceError(
            f"no trade date is eligible as a pseudo-event day 0 (estimation={tuple(estimation)}, "
            f"windows={windows.tolist()}, {len(np.atleast_1d(event_day0))} catalogued events, "
            f"min_estimation_days={min_estimation_days}, {T} returns); use a longer price history "
            f"or a shorter estimation window"
        )
    rng = np.random.default_rng(seed)
    day0 = rng.choice(eligible, size=int(draws), replace=True)
    lo, hi = int(windows[:, 0].min()), int(windows[:, 1].max())
    arrays = estimate_arrays(
        y,
        X,
        valid,
        est_ok,
        day0,
        model=model,
        estimation=estimation,
        windows=windows,
        exclude_other_events=False,
        min_estimation_days=min_estimation_days,
        exclude_positions=_window_cover(T, np.asarray(event_day0, dtype=np.int64), lo, hi),
    )
    logger.info(
        "placebo: %d pseudo-events drawn among %d eligible trade dates (seed %s)",
        int(draws), eligible.size, seed,
    )
    return Placebo(
        car=arrays.car,
        day0=day0,
        windows=windows,
        seed=int(seed),
        n_eligible=int(eligible.size),
        model=arrays.model,
        estimation=tuple(int(v) for v in estimation),
    )


# ---------------------------------------------------------------------------
# the battery


def _groups(groups, E):
    if groups is None:
        return {"all": (np.arange(E), np.ones(E))}
    out = {}
    for name, spec in groups.items():
        if isinstance(spec, tuple) and len(spec) == 2:
            idx, sign = spec
        else:
            idx, sign = spec, None
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


def group_tests(arrays, idx, sign, *, placebo=None, placebo_groups=None) -> dict:
    """All tests for one group of events: test name -> :class:`TestResult`.

    Parameters
    ----------
    arrays : EventArrays
    idx : array_like of int
        Event indices of the group.
    sign : array_like, (N,)
        Sign of each event (+1, or the event's direction).
    placebo : Placebo, optional
        Without it the ``placebo`` test is left out.
    placebo_groups : int, optional
        Pseudo groups of the placebo test (default: the placebo's draws).
    """
    idx = np.asarray(idx, dtype=np.int64)
    s = np.asarray(sign, dtype=np.float64)[:, None]
    car = arrays.car[idx] * s
    car_se = arrays.car_se[idx]
    est = arrays.est_ar[idx] * s
    ar = arrays.ar[idx] * s
    out = {
        "cross-sectional-t": cross_sectional_t(car),
        "patell": patell_z(car, car_se, arrays.n[idx], arrays.k),
        "bmp": bmp_t(car, car_se),
        "kolari-pynnonen": kolari_pynnonen_t(car, car_se, est),
        "corrado": corrado_rank(est, ar, arrays.rel_win, arrays.windows, car=car),
        "generalized-sign": generalized_sign_z(car, est),
        "wilcoxon": wilcoxon_signed_rank(car),
    }
    if placebo is not None:
        out["placebo"] = placebo.group_pvalues(car, s[:, 0], groups=placebo_groups)
    return out


def test_battery(arrays, groups=None, *, placebo=None) -> pd.DataFrame:
    """Run every test for every group and window.

    Parameters
    ----------
    arrays : EventArrays
        Engine output.
    groups : dict, optional
        name -> (event indices into ``arrays``, sign per event), e.g.
        ``{"all": (idx, ones), "signed": (idx, direction)}``; a bare index
        array means sign +1. Default: one group ``all`` of every event.
    placebo : Placebo, optional
        Pseudo-event CARs for the ``placebo`` rows (left out without it).

    Returns
    -------
    DataFrame
        Columns ``group, start, end, test, statistic, p_value, n_events``;
        one row per group, window and test (order of :data:`TEST_NAMES`).
        ``n_events`` counts the group's events with a CAR in the window; a
        test that cannot be computed there (e.g. N < 2 for a t test) has
        NaN statistic and p-value.

    Notes
    -----
    Signed groups multiply each event's CAR, window abnormal returns and
    estimation-sample abnormal returns by its sign before every test (see
    the module docstring). The statistic of the ``placebo`` row is the
    group's mean CAR.
    """
    E = arrays.car.shape[0]
    windows = np.asarray(arrays.windows).reshape(-1, 2)
    frames = []
    for name, (idx, sign) in _groups(groups, E).items():
        res = group_tests(arrays, idx, sign, placebo=placebo)
        counts = res["cross-sectional-t"].n_events
        for w in np.flatnonzero(counts < idx.size):
            logger.info(
                "group %r, window [%d, %d]: %d of %d events have no CAR and are left out "
                "(n_events in the tests table)",
                name, windows[w, 0], windows[w, 1], idx.size - counts[w], idx.size,
            )
        for test, r in res.items():
            frames.append(
                pd.DataFrame(
                    {
                        "group": name,
                        "start": windows[:, 0],
                        "end": windows[:, 1],
                        "test": test,
                        "statistic": r.statistic,
                        "p_value": r.p_value,
                        "n_events": np.asarray(r.n_events, dtype=np.int64),
                    }
                )
            )
    if not frames:
        return pd.DataFrame({c: [] for c in TEST_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    order = {t: i for i, t in enumerate(TEST_NAMES)}
    out["_g"] = out["group"].map({g: i for i, g in enumerate(dict.fromkeys(out["group"]))})
    out["_t"] = out["test"].map(order)
    out = out.sort_values(["_g", "start", "end", "_t"], kind="stable")
    return out.drop(columns=["_g", "_t"]).reset_index(drop=True)[TEST_COLUMNS]


def per_event_tests(arrays, *, placebo=None) -> dict:
    """Single-event p-values beside the engine's t test.

    Parameters
    ----------
    arrays : EventArrays
    placebo : Placebo, optional

    Returns
    -------
    dict
        ``sq_p`` (E, W): SQ test (:func:`sq_pvalues`); ``placebo_p`` (E, W):
        :meth:`Placebo.event_pvalues`, all NaN without a placebo.
    """
    sq = sq_pvalues(arrays.car, arrays.est_ar, arrays.windows)
    if placebo is None:
        pp = np.full(np.shape(arrays.car), np.nan)
    else:
        pp = placebo.event_pvalues(arrays.car)
    return {"sq_p": sq, "placebo_p": pp}
