"""Volatility-aware single-event tests: GARCH and EWMA variances of the event window.

The engine's t test divides a CAR by the estimation sample's residual
variance s², a stale measure when volatility clusters. These tests replace
s² by a conditional variance forecast of each window day made at the end of
the estimation sample:

- :func:`garch_variance` / :func:`garch_event_tests`: one GARCH(1, 1) fit
  (``arch``) per event;
- :func:`filter_variance` / :func:`ewma_event_tests`: a causal filter
  vectorised over events, RiskMetrics EWMA or a GARCH(1, 1) with fixed
  parameters (:func:`fixed_garch_params`); a study with
  ``volatility = "garch"`` reports this filter's tests;
- :func:`volatility_regime`: the last estimation days' residual variance
  against the earlier ones.

Arrays are those of :class:`eventstudy.estimate.EventArrays` (E events, Le
estimation days, Lw window days, W windows).
"""

from __future__ import annotations

import warnings
from typing import Literal, NamedTuple

import numpy as np
from scipy import stats

from .estimate import simplex_lstsq
from .exceptions import InferenceError
from .options import check_option

__all__ = ["VolDist", "RegimeTest", "GARCH_SCALE", "GarchVariance", "VolatilityTests", "VolRegime",
           "garch_variance", "garch_event_tests", "filter_variance", "ewma_event_tests",
           "volatility_regime", "fixed_garch_params"]

#: Innovation distributions of the GARCH fit.
VolDist = Literal["normal", "t"]
#: Tests of :func:`volatility_regime`.
RegimeTest = Literal["F", "brown-forsythe", "levene"]
#: Residuals are scaled by this for arch's optimiser (percent units).
GARCH_SCALE = 100.0
#: RiskMetrics (1996) decay for daily data.
RISKMETRICS_LAMBDA = 0.94
#: arch's backcast: the first ≤ 75 squared residuals, weights 0.94^i.
_BACKCAST_DAYS, _BACKCAST_DECAY = 75, 0.94


class GarchVariance(NamedTuple):
    """Result of :func:`garch_variance`, in the residuals' squared units.

    Attributes
    ----------
    variance : ndarray, (horizon,)
        σ²_{T+h}, h = 1..horizon, after the last sample day T.
    params : ndarray, (4,)
        ω, α, β, ν (ν NaN for ``dist='normal'``).
    sigma2 : ndarray, (n,)
        Fitted conditional variances of the sample days.
    converged : bool
        arch's optimiser reported success.
    """

    variance: np.ndarray
    params: np.ndarray
    sigma2: np.ndarray
    converged: bool


class VolatilityTests(NamedTuple):
    """Window tests with conditional variances.

    Attributes
    ----------
    sigma2, ar_std : ndarray, (E, Lw)
        Variance forecast of each window day and AR_τ / σ_τ.
    car_se, tstat, pvalue : ndarray, (E, W)
        √Var(CAR), CAR / car_se and its two-sided p-value.
    params : ndarray, (E, 4)
        ω, α, β, ν per event.
    converged : ndarray of bool, (E,)
    """

    sigma2: np.ndarray
    ar_std: np.ndarray
    car_se: np.ndarray
    tstat: np.ndarray
    pvalue: np.ndarray
    params: np.ndarray
    converged: np.ndarray


class VolRegime(NamedTuple):
    """Result of :func:`volatility_regime`, arrays (E,).

    ``ratio`` is s²(recent) / s²(before), ``pvalue`` its two-sided p-value,
    ``n_recent`` and ``n_before`` the days in the two parts.
    """

    ratio: np.ndarray
    pvalue: np.ndarray
    n_recent: np.ndarray
    n_before: np.ndarray


def _check_positive_int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InferenceError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _sample(est_resid, min_obs):
    x = np.asarray(est_resid, dtype=np.float64)
    if x.ndim != 1:
        raise InferenceError(
            f"est_resid must be one event's residuals, one-dimensional; got shape {x.shape}"
        )
    x = x[np.isfinite(x)]
    if x.size < min_obs:
        raise InferenceError(
            f"GARCH(1, 1) needs at least min_obs={min_obs} finite residuals; got {x.size} "
            f"(of {np.asarray(est_resid).size}); widen the estimation window or lower min_obs"
        )
    if not np.any(x != 0):
        raise InferenceError("the residuals are all zero; a variance model cannot be fitted")
    return x


def garch_variance(est_resid, horizon, *, dist="normal", min_obs=100) -> GarchVariance:
    """GARCH(1, 1) fit to one event's estimation-sample residuals and its variance forecasts.

    Parameters
    ----------
    est_resid : array_like, (Le,)
        One event's estimation residuals in event-time order; NaN days are dropped.
    horizon : int
        Forecast steps after the last sample day.
    dist : {'normal', 't'}
        Innovation distribution.
    min_obs : int
        Fewer finite residuals raise :class:`InferenceError`.

    Returns
    -------
    GarchVariance

    Notes
    -----
    ε_t = σ_t z_t, σ²_t = ω + α ε²_{t-1} + β σ²_{t-1} (Bollerslev 1986), zero
    mean, fitted by (quasi-)maximum likelihood on 100·ε (``GARCH_SCALE``; ω
    scaled back). Days off the sample are closed up. Forecasts from the last
    sample day T: σ²_{T+1} = ω + α ε²_T + β σ²_T, σ²_{T+h} = ω + (α + β) σ²_{T+h-1}
    (arch's analytic forecast).

    References
    ----------
    Bollerslev, T. (1986). Generalized autoregressive conditional
    heteroskedasticity. Journal of Econometrics, 31(3), 307-327.
    """
    from arch import arch_model

    dist = check_option("dist", dist, VolDist)
    horizon = _check_positive_int("horizon", horizon)
    min_obs = _check_positive_int("min_obs", min_obs, minimum=10)
    x = _sample(est_resid, min_obs)
    y = GARCH_SCALE * x
    am = arch_model(y, mean="Zero", vol="GARCH", p=1, q=1, dist=dist, rescale=False)
    with warnings.catch_warnings():
        # convergence is reported in `converged`; the optimiser's chatter is not an error
        warnings.simplefilter("ignore")
        res = am.fit(disp="off", show_warning=False)
    prm = np.asarray(res.params, dtype=np.float64)
    omega, alpha, beta = prm[0], prm[1], prm[2]
    nu = prm[3] if dist == "t" else np.nan
    s2 = np.asarray(res.conditional_volatility, dtype=np.float64) ** 2
    path = np.empty(horizon)
    path[0] = omega + alpha * y[-1] ** 2 + beta * s2[-1]
    for h in range(1, horizon):
        path[h] = omega + (alpha + beta) * path[h - 1]
    sc2 = GARCH_SCALE**2
    return GarchVariance(
        variance=path / sc2, params=np.array([omega / sc2, alpha, beta, nu]), sigma2=s2 / sc2,
        converged=bool(res.convergence_flag == 0),
    )


def _horizon_steps(arrays):
    """Steps from each event's last sample day to each window day, (E, Lw), and the horizon."""
    used = np.asarray(arrays.est_used, dtype=bool)
    rel_est = np.asarray(arrays.rel_est)
    last = np.where(used.any(axis=1), rel_est[used.shape[1] - 1 - np.argmax(used[:, ::-1], axis=1)],
                    rel_est[-1])
    steps = np.asarray(arrays.rel_win)[None, :] - last[:, None]
    return steps, int(steps.max()) if steps.size else 1


def _window_tests(arrays, sigma2, *, estimation_error=True, nu=None):
    """car_se, t, p and standardised ARs from window-day variances sigma2 (E, Lw)."""
    ar = np.asarray(arrays.ar, dtype=np.float64)
    rel_win = np.asarray(arrays.rel_win)
    windows = np.asarray(arrays.windows).reshape(-1, 2)
    E, W = ar.shape[0], windows.shape[0]
    ok = np.isfinite(ar) & np.isfinite(sigma2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ar_std = np.where(ok, ar / np.sqrt(np.where(ok, sigma2, 1.0)), np.nan)
    car = np.asarray(arrays.car, dtype=np.float64)
    car_se = np.full((E, W), np.nan)
    for w, (a, b) in enumerate(windows):
        sel = (rel_win >= a) & (rel_win <= b)
        v = np.where(ok[:, sel], sigma2[:, sel], 0.0).sum(axis=1)
        if estimation_error:
            # the engine's estimation-error part of Var(CAR): car_se² - s²·n_days
            extra = np.asarray(arrays.car_se)[:, w] ** 2 - arrays.s2 * arrays.n_days[:, w]
            v = v + np.where(np.isfinite(extra), np.maximum(extra, 0.0), 0.0)
        has = ok[:, sel].any(axis=1) & np.isfinite(car[:, w])
        car_se[:, w] = np.where(has, np.sqrt(v), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = car / car_se
    fin = np.isfinite(t)
    p = np.where(fin, 2.0 * stats.norm.sf(np.abs(np.nan_to_num(t))), np.nan)
    if nu is not None:
        # one-day windows under t innovations: the standardised Student t itself
        one = (np.asarray(arrays.n_days) == 1) & fin & np.isfinite(nu)[:, None] & (nu > 2)[:, None]
        nu2 = np.broadcast_to(nu[:, None], t.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.abs(np.nan_to_num(t)) * np.sqrt(nu2 / np.where(nu2 > 2, nu2 - 2, 1.0))
            pt = 2.0 * stats.t.sf(q, np.where(nu2 > 2, nu2, 3.0))
        p = np.where(one, pt, p)
    return ar_std, car_se, t, p


def garch_event_tests(arrays, *, dist="normal", estimation_error=True,
                      min_obs=100) -> VolatilityTests:
    """Single-event tests of every CAR with GARCH(1, 1) variance forecasts (one fit per event).

    Parameters
    ----------
    arrays : EventArrays
        Engine output.
    dist : {'normal', 't'}
        GARCH innovations (:func:`garch_variance`).
    estimation_error : bool
        Add the normal-return model's estimation-error variance.
    min_obs : int
        Passed to :func:`garch_variance`.

    Returns
    -------
    VolatilityTests
        NaN for excluded events.

    Notes
    -----
    σ²_τ is event e's forecast τ - T_e steps after its last sample day T_e.
    Over a window with AR days γ, Var(CAR) = Σ_γ σ²_τ + (car_se² - s²·n_days),
    the second term the engine's estimation error of the normal-return
    parameters. t = CAR / √Var(CAR), p two-sided from N(0, 1) (Savickas 2003);
    for ``dist='t'`` and a one-day window, from the standardised Student t
    (√(ν/(ν-2)) t ~ t_ν).

    References
    ----------
    Savickas, R. (2003). Event-induced volatility and tests for abnormal
    performance. Journal of Financial Research, 26(2), 165-178.
    """
    dist = check_option("dist", dist, VolDist)
    E, Lw = np.shape(arrays.ar)
    steps, horizon = _horizon_steps(arrays)
    sigma2 = np.full((E, Lw), np.nan)
    params = np.full((E, 4), np.nan)
    conv = np.zeros(E, dtype=bool)
    est = arrays.est_ar
    for e in np.flatnonzero(np.asarray(arrays.used, dtype=bool)):
        try:
            g = garch_variance(est[e], max(horizon, 1), dist=dist, min_obs=min_obs)
        except InferenceError as err:
            raise InferenceError(f"event {e} (day 0 at position {arrays.day0[e]}): {err}") from None
        s = steps[e]
        good = s >= 1
        sigma2[e, good] = g.variance[s[good] - 1]
        params[e] = g.params
        conv[e] = g.converged
    ar_std, car_se, t, p = _window_tests(
        arrays, sigma2, estimation_error=estimation_error,
        nu=params[:, 3] if dist == "t" else None,
    )
    return VolatilityTests(sigma2, ar_std, car_se, t, p, params, conv)


def filter_variance(est_ar, horizon, *, lam=RISKMETRICS_LAMBDA, params=None, return_path=False):
    """Causal conditional-variance filter of many events at once: EWMA or fixed GARCH(1, 1).

    Parameters
    ----------
    est_ar : array_like, (E, Le)
        Estimation residuals in event-time order, NaN off the sample.
    horizon : int
        Forecast steps after the last column.
    lam : float
        EWMA decay λ in (0, 1), used when ``params`` is None.
    params : array_like, optional
        (ω, α, β) of a stationary GARCH(1, 1) in squared residual units.
    return_path : bool
        Also return the in-sample path σ²_t, (E, Le).

    Returns
    -------
    forecast : ndarray, (E, horizon)
    path : ndarray, (E, Le)
        Only with ``return_path``.

    Notes
    -----
    σ²_{t+1} = ω + α ε²_t + β σ²_t; EWMA (RiskMetrics 1996) is ω = 0, α = 1 - λ,
    β = λ. A day off the sample has ε²_t replaced by σ²_t (no news), as do the
    forecasts beyond T. The recursion starts from arch's backcast
    σ²_0 = ω + (α + β)·bc, bc the 0.94^i-weighted mean of the first ≤ 75
    squared residuals, so a gap-free row matches ``arch_model(...).fix(params)``.

    References
    ----------
    J.P. Morgan/Reuters (1996). RiskMetrics - Technical Document, 4th ed.
    """
    est = np.asarray(est_ar, dtype=np.float64)
    if est.ndim == 1:
        est = est[None, :]
    if est.ndim != 2:
        raise InferenceError(f"est_ar must have shape (events, days); got shape {est.shape}")
    horizon = _check_positive_int("horizon", horizon)
    omega, alpha, beta = _filter_params(lam, params)
    E, Le = est.shape
    fin = np.isfinite(est)
    n = fin.sum(axis=1)
    if np.any(n == 0):
        raise InferenceError(
            f"events {np.flatnonzero(n == 0).tolist()} have no finite residual; "
            f"pass only used events (EventArrays.used)"
        )
    # arch's backcast over each event's first <= 75 sample days
    order = np.argsort(~fin, axis=1, kind="stable")
    comp = np.take_along_axis(np.where(fin, est, 0.0), order, axis=1)
    tau = np.minimum(n, _BACKCAST_DAYS)
    k = np.arange(min(Le, _BACKCAST_DAYS))
    wgt = np.where(k[None, :] < tau[:, None], _BACKCAST_DECAY ** k[None, :], 0.0)
    bc = (comp[:, : k.size] ** 2 * wgt).sum(axis=1) / wgt.sum(axis=1)
    e2 = np.where(fin, est, 0.0) ** 2
    path = np.empty((E, Le))
    s2 = omega + (alpha + beta) * bc
    for t in range(Le):
        path[:, t] = s2
        s2 = omega + alpha * np.where(fin[:, t], e2[:, t], s2) + beta * s2
    out = np.empty((E, horizon))
    for h in range(horizon):
        out[:, h] = s2
        s2 = omega + (alpha + beta) * s2
    return (out, path) if return_path else out


def _filter_params(lam, params):
    if params is None:
        lam = float(lam)
        if not 0.0 < lam < 1.0:
            raise InferenceError(f"lam must be in (0, 1); got {lam!r} (RiskMetrics: 0.94)")
        return 0.0, 1.0 - lam, lam
    prm = np.asarray(params, dtype=np.float64).reshape(-1)
    if prm.size < 3 or not np.all(np.isfinite(prm[:3])):
        raise InferenceError(f"params must be (omega, alpha, beta); got {params!r}")
    omega, alpha, beta = (float(v) for v in prm[:3])
    if omega <= 0 or alpha < 0 or beta < 0 or alpha + beta >= 1:
        raise InferenceError(
            f"params must be a stationary GARCH(1, 1): omega > 0, alpha, beta >= 0, "
            f"alpha + beta < 1; got omega={omega!r}, alpha={alpha!r}, beta={beta!r}"
        )
    return omega, alpha, beta


def ewma_event_tests(arrays, *, lam=RISKMETRICS_LAMBDA, params=None,
                     estimation_error=True) -> VolatilityTests:
    """Single-event tests with the causal filter (:func:`filter_variance`).

    ``lam`` and ``params`` are those of :func:`filter_variance`; σ²_τ is the
    forecast τ - T1 steps after the last estimation column T1, then Var(CAR),
    t and p as in :func:`garch_event_tests`. The returned ``params`` hold
    (0, 1 - λ, λ, NaN) or the fixed parameters for every used event.
    """
    omega, alpha, beta = _filter_params(lam, params)
    E, Lw = np.shape(arrays.ar)
    used = np.asarray(arrays.used, dtype=bool)
    rel_est, rel_win = np.asarray(arrays.rel_est), np.asarray(arrays.rel_win)
    steps = rel_win - rel_est[-1]
    sigma2 = np.full((E, Lw), np.nan)
    est = np.asarray(arrays.est_ar)[used]
    if est.shape[0]:
        fixed = None if params is None else (omega, alpha, beta)
        fc = filter_variance(est, int(steps.max()), lam=lam, params=fixed)
        sigma2[used] = fc[:, steps - 1]
    ar_std, car_se, t, p = _window_tests(arrays, sigma2, estimation_error=estimation_error)
    prm = np.full((E, 4), np.nan)
    prm[used, :3] = (omega, alpha, beta)
    return VolatilityTests(sigma2, ar_std, car_se, t, p, prm, used.copy())


def volatility_regime(est_ar, *, recent=20, test="F") -> VolRegime:
    """The last ``recent`` estimation days' residual variance against the earlier days', per event.

    Parameters
    ----------
    est_ar : array_like, (E, Le)
        Estimation residuals in event-time order, NaN off the sample.
    recent : int
        Days counted back from the last sample day.
    test : {'F', 'brown-forsythe', 'levene'}
        Variance-ratio F test, or Levene's test on absolute deviations from
        the parts' medians (Brown–Forsythe) or means.

    Returns
    -------
    VolRegime
        NaN where a part has fewer than 2 days.

    Notes
    -----
    ratio = s²_recent / s²_before ~ F(n_r - 1, n_b - 1) under iid normal
    residuals, p = 2 min(F.cdf, F.sf). With z_ij = |x_ij - c_i|,
    W = (N - 2) Σ_i n_i (z̄_i - z̄)² / Σ_ij (z_ij - z̄_i)² ~ F(1, N - 2)
    (as ``scipy.stats.levene``).

    References
    ----------
    Brown, M. B., Forsythe, A. B. (1974). Robust tests for the equality of
    variances. JASA, 69(346), 364-367.
    Levene, H. (1960). Robust tests for equality of variances. In
    Contributions to Probability and Statistics, 278-292.
    """
    test = check_option("test", test, RegimeTest)
    recent = _check_positive_int("recent", recent, minimum=2)
    est = np.asarray(est_ar, dtype=np.float64)
    if est.ndim == 1:
        est = est[None, :]
    fin = np.isfinite(est)
    # rank of each sample day counted from the last one (0 = last)
    from_end = np.cumsum(fin[:, ::-1], axis=1)[:, ::-1] - 1
    rec = fin & (from_end < recent)
    bef = fin & ~rec
    n_r, n_b = rec.sum(axis=1), bef.sum(axis=1)
    good = (n_r >= 2) & (n_b >= 2)
    x = np.where(fin, est, 0.0)

    def part_var(mask, n):
        m = np.where(mask, x, 0.0).sum(axis=1) / np.maximum(n, 1)
        return (np.where(mask, x - m[:, None], 0.0) ** 2).sum(axis=1) / np.maximum(n - 1, 1)

    v_r, v_b = part_var(rec, n_r), part_var(bef, n_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(good & (v_b > 0), v_r / np.where(v_b > 0, v_b, 1.0), np.nan)
    if test == "F":
        d1, d2 = np.maximum(n_r - 1, 1), np.maximum(n_b - 1, 1)
        r = np.nan_to_num(ratio, nan=1.0)
        p = np.minimum(1.0, 2.0 * np.minimum(stats.f.cdf(r, d1, d2), stats.f.sf(r, d1, d2)))
    else:
        centre = np.nanmedian if test == "brown-forsythe" else np.nanmean
        c_r = centre(np.where(rec, est, np.nan), axis=1) if rec.any() else np.zeros(len(est))
        c_b = centre(np.where(bef, est, np.nan), axis=1) if bef.any() else np.zeros(len(est))
        z = np.abs(x - np.where(rec, c_r[:, None], c_b[:, None]))
        zr = np.where(rec, z, 0.0).sum(axis=1) / np.maximum(n_r, 1)
        zb = np.where(bef, z, 0.0).sum(axis=1) / np.maximum(n_b, 1)
        N = n_r + n_b
        zbar = (n_r * zr + n_b * zb) / np.maximum(N, 1)
        between = n_r * (zr - zbar) ** 2 + n_b * (zb - zbar) ** 2
        within = (np.where(rec, z - zr[:, None], 0.0) ** 2).sum(axis=1) + (
            np.where(bef, z - zb[:, None], 0.0) ** 2).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = (N - 2) * between / within
        p = stats.f.sf(np.nan_to_num(w, nan=0.0), 1, np.maximum(N - 2, 1))
        p = np.where(within > 0, p, np.nan)
    p = np.where(good & np.isfinite(ratio), p, np.nan)
    return VolRegime(ratio, p, n_r.astype(np.int64), n_b.astype(np.int64))


def fixed_garch_params(y, X, ok, model="market") -> np.ndarray:
    """(ω, α, β) of one GARCH(1, 1) fitted to a series' normal-model residuals.

    The residuals of one normal-return fit over the days ``ok`` (OLS for
    ``market``, the asset less the first factor for ``market-adjusted``,
    simplex weights for ``synthetic``, demeaned otherwise) go to
    :func:`garch_variance`; the result is the ``params`` of
    :func:`ewma_event_tests`.
    """
    y = np.asarray(y, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64).reshape(y.shape[0], -1)
    ok = np.asarray(ok, dtype=bool) & np.isfinite(y) & np.isfinite(X).all(axis=1)
    if model == "market":
        Z = np.column_stack([np.ones(int(ok.sum())), X[ok]])
        beta, *_ = np.linalg.lstsq(Z, y[ok], rcond=None)
        resid = y[ok] - Z @ beta
    elif model == "market-adjusted":
        resid = y[ok] - X[ok, 0]
        resid = resid - resid.mean()
    elif model == "synthetic":  # X holds the donors: simplex weights over every usable day
        D = X[ok]
        resid = y[ok] - D @ simplex_lstsq(D.T @ D, D.T @ y[ok])
    else:
        resid = y[ok] - y[ok].mean()
    return np.asarray(garch_variance(resid, 1).params[:3], dtype=np.float64)

