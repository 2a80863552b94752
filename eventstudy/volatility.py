"""Volatility-aware single-event tests: GARCH and EWMA variances of the event window.

The engine's single-event t test divides the CAR by the estimation sample's
residual variance s², a stale measure when volatility clusters: it rejects
too few true nulls after calm spells and too many after volatile ones. The
functions here replace s² by a conditional
variance forecast of each window day, made at the end of the estimation
sample, and test the CAR against it:

- :func:`garch_variance` fits a GARCH(1, 1) (``arch``) to one event's
  estimation-sample residuals and forecasts the variance of the days after
  it; :func:`garch_event_tests` does that for every event (one fit each: for
  the few events of a study);
- :func:`filter_variance` and :func:`ewma_event_tests` are the fast causal
  filter for placebo and simulation runs: RiskMetrics EWMA, or a GARCH(1, 1)
  recursion with parameters fixed beforehand (e.g. from one fit on the
  whole series), vectorised over events;
- :func:`volatility_regime` is the per-event diagnostic: the residual
  variance of the last estimation days against the earlier ones, with an F
  test and the Brown-Forsythe / Levene robust versions.

Pure functions, numpy in and numpy out, on the arrays of
:class:`eventstudy.estimate.EventArrays` (shapes E events x Le estimation days,
Lw window days, W windows). A study with ``volatility = "garch"`` reports the
fixed-parameter filter's tests (``garch_se``, ``garch_t``, ``garch_p``), and
the size check of each study (:func:`eventstudy.simulation.size_check`)
measures the size of ``garch_p`` like every other single-event test's. The
fixed-parameter filter is the one a study reports: one GARCH fit per event
on a few hundred estimation days estimates α and β poorly, and EWMA's flat
forecast does not revert after a calm spell.
"""

from __future__ import annotations

import warnings
from typing import Literal, NamedTuple

import numpy as np
from scipy import stats

from .estimate import simplex_lstsq
from .exceptions import InferenceError
from .options import check_option

__all__ = [
    "VolDist",
    "RegimeTest",
    "GARCH_SCALE",
    "GarchVariance",
    "VolatilityTests",
    "VolRegime",
    "garch_variance",
    "garch_event_tests",
    "filter_variance",
    "ewma_event_tests",
    "volatility_regime",
    "fixed_garch_params",
]

#: Innovation distributions of the GARCH fit.
VolDist = Literal["normal", "t"]
#: Tests of :func:`volatility_regime`.
RegimeTest = Literal["F", "brown-forsythe", "levene"]
#: Residuals are multiplied by this before the GARCH fit: daily log returns
#: (~0.01) give ω ~ 1e-5, which arch's optimiser handles badly; in percent
#: ω is ~0.1 and the fit converges (arch's own DataScaleWarning advice).
GARCH_SCALE = 100.0
#: RiskMetrics (1996) decay for daily data.
RISKMETRICS_LAMBDA = 0.94
#: arch's backcast: the first ≤ 75 squared residuals, weights 0.94^i.
_BACKCAST_DAYS, _BACKCAST_DECAY = 75, 0.94


class GarchVariance(NamedTuple):
    """Result of :func:`garch_variance` (variances in the residuals' squared units).

    Attributes
    ----------
    variance : ndarray, (horizon,)
        σ²_{T+h}, h = 1..horizon: forecasts of the days after the last
        sample day T.
    params : ndarray, (4,)
        ω, α, β, ν (ν NaN for ``dist='normal'``); ω in squared residual
        units (the fit's ω divided by ``GARCH_SCALE``²).
    sigma2 : ndarray, (n,)
        Fitted conditional variances of the n sample days.
    converged : bool
        arch's optimiser reported success.
    """

    variance: np.ndarray
    params: np.ndarray
    sigma2: np.ndarray
    converged: bool


class VolatilityTests(NamedTuple):
    """Window tests with conditional variances (garch_event_tests, ewma_event_tests).

    Attributes
    ----------
    sigma2 : ndarray, (E, Lw)
        Conditional variance forecast of each window day (NaN for excluded
        events).
    ar_std : ndarray, (E, Lw)
        Standardised abnormal returns AR_τ / σ_τ.
    car_se : ndarray, (E, W)
        √Var(CAR) with the conditional variances (and the estimation-error
        term, see the function).
    tstat, pvalue : ndarray, (E, W)
        CAR / car_se and its two-sided p-value.
    params : ndarray, (E, 4)
        ω, α, β, ν per event (GARCH fit; for the filter the fixed
        parameters, ν NaN).
    converged : ndarray of bool, (E,)
        The fit converged (True for the filter; False for excluded events).
    """

    sigma2: np.ndarray
    ar_std: np.ndarray
    car_se: np.ndarray
    tstat: np.ndarray
    pvalue: np.ndarray
    params: np.ndarray
    converged: np.ndarray


class VolRegime(NamedTuple):
    """Result of :func:`volatility_regime`: arrays of shape (E,).

    Attributes
    ----------
    ratio : ndarray
        s²(recent days) / s²(earlier sample days).
    pvalue : ndarray
        Two-sided p-value of equal variances.
    n_recent, n_before : ndarray of int
        Days in the two parts.
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
        Residuals of one event's estimation sample in event-time order (a
        row of ``EventArrays.est_ar``); NaN days are dropped.
    horizon : int
        Forecast steps after the last sample day (e.g. the window's last
        event day minus the last estimation day).
    dist : {'normal', 't'}
        Innovation distribution (Student t with ν fitted for ``'t'``).
    min_obs : int
        Fewer finite residuals raise :class:`InferenceError`.

    Returns
    -------
    GarchVariance

    Raises
    ------
    OptionError
        ``dist`` not one of the values above.
    InferenceError
        Too few finite residuals, all-zero residuals, a bad ``horizon``.

    Notes
    -----
    Model (Bollerslev 1986), zero mean since the residuals are already
    centred by the normal-return model:

    .. math:: \\varepsilon_t = \\sigma_t z_t, \\qquad
              \\sigma_t^2 = \\omega + \\alpha \\varepsilon_{t-1}^2 + \\beta \\sigma_{t-1}^2,

    fitted by (quasi-)maximum likelihood with
    ``arch_model(100 ε, mean='Zero', vol='GARCH', p=1, q=1, dist=dist)``
    (percent units for the optimiser; ω is scaled back by 100²). Days
    outside the sample (NaN: excluded other-event or thin days) are closed
    up: the recursion runs over the n sample days as if consecutive, which
    loses a few days' decay but keeps arch's likelihood exact on the data
    it sees.

    Forecasts from the last sample day T (analytic, as arch's
    ``forecast(method='analytic')``):

    .. math:: \\sigma_{T+1}^2 = \\omega + \\alpha \\varepsilon_T^2 + \\beta \\sigma_T^2,
              \\qquad \\sigma_{T+h}^2 = \\omega + (\\alpha + \\beta)\\,\\sigma_{T+h-1}^2,

    so a window day τ is forecast τ - T steps ahead: the days between the
    end of the estimation window and the event window (e.g. -10..-2) are
    spanned by the multi-step forecast, without using their returns.
    Computed here from the fitted parameters and checked against arch's
    ``res.forecast`` in the tests.

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
        variance=path / sc2,
        params=np.array([omega / sc2, alpha, beta, nu]),
        sigma2=s2 / sc2,
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
        Engine output; reads ``est_ar, est_used, rel_est, rel_win, windows,
        ar, car, car_se, s2, n_days, used``.
    dist : {'normal', 't'}
        GARCH innovations (see :func:`garch_variance`).
    estimation_error : bool
        Add the normal-return model's estimation-error variance (Notes).
    min_obs : int
        Passed to :func:`garch_variance`.

    Returns
    -------
    VolatilityTests
        ``sigma2, ar_std`` (E, Lw); ``car_se, tstat, pvalue`` (E, W);
        ``params`` (E, 4); ``converged`` (E,). NaN for excluded events.

    Raises
    ------
    InferenceError
        A used event with fewer than ``min_obs`` estimation days.

    Notes
    -----
    For event e, :func:`garch_variance` is fitted to its estimation
    residuals and σ²_τ is the forecast τ - T_e steps ahead, T_e its last
    sample day. The standardised abnormal return (Savickas 2003) is
    AR_τ/σ_τ, and over window [a, b] with γ the days with an AR

    .. math:: \\mathrm{Var}(CAR) = \\sum_{\\tau \\in \\gamma} \\sigma_\\tau^2
              + s^2\\bigl(\\gamma'\\bigl(\\tfrac{11'}{n} + Z S^{-1} Z'\\bigr)\\gamma\\bigr),

    the second term the estimation error of the normal-return parameters in
    the engine's homoskedastic form (car_se² - s²·n_days; zero for
    ``market-adjusted``); it ignores the GARCH weighting of that error, of
    order 1/n. The window days' forecast errors are taken as uncorrelated
    (their standardised innovations are independent). t = CAR/√Var(CAR);
    the p-value is two-sided from N(0, 1), as for Savickas' standardised
    statistics, and for ``dist='t'`` and a one-day window from the fitted
    standardised Student t (√(ν/(ν-2)) t ~ t_ν), whose tails matter there.
    Elsas and Schoch (2019) find GARCH standardisation restores the size of
    single-firm tests under event-day volatility clustering.

    One ``arch`` fit per event: for a study's events; for thousands of
    pseudo-events use :func:`ewma_event_tests`. A few hundred estimation
    days pin α and β down poorly, and the test may over-reject; the
    fixed-parameter filter, ``ewma_event_tests(arrays, params=...)``, avoids
    the per-event fit.

    References
    ----------
    Savickas, R. (2003). Event-induced volatility and tests for abnormal
    performance. Journal of Financial Research, 26(2), 165-178.
    Elsas, R., Schoch, D. (2019). Single-firm event studies under
    time-varying volatility (working paper, LMU Munich).
    Bollerslev, T. (1986). Journal of Econometrics, 31(3), 307-327.
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
        EWMA decay λ in (0, 1) (RiskMetrics: 0.94 for daily data); used
        when ``params`` is None.
    params : array_like, optional
        (ω, α, β) of a GARCH(1, 1) in squared residual units, fixed
        beforehand (e.g. ``garch_variance(whole-series residuals, 1).params``
        from one fit on the whole return history); α, β >= 0, α + β < 1.
    return_path : bool
        Also return the in-sample path σ²_t (E, Le).

    Returns
    -------
    forecast : ndarray, (E, horizon)
        σ²_{T+h}, h = 1..horizon, T the last column (event time T1).
    path : ndarray, (E, Le)
        Only with ``return_path``: σ²_t of each column, the variance of day
        t given the days before it.

    Raises
    ------
    InferenceError
        A λ outside (0, 1), parameters that are not a stationary GARCH, an
        event without a finite residual.

    Notes
    -----
    EWMA (RiskMetrics 1996) is the GARCH(1, 1) with ω = 0, α = 1 - λ,
    β = λ, so one recursion serves both:

    .. math:: \\sigma_{t+1}^2 = \\omega + \\alpha \\varepsilon_t^2 + \\beta \\sigma_t^2 .

    A day outside the sample (NaN) has ε²_t replaced by its expectation
    σ²_t, so σ²_{t+1} = ω + (α + β)σ²_t: time passes, no news arrives. The
    forecasts beyond T are the same step with no news: flat for EWMA (the
    RiskMetrics random-walk variance), mean-reverting to ω/(1 - α - β) for
    GARCH. The recursion starts at column 0 with arch's backcast
    σ²_0 = ω + (α + β)·bc, bc the 0.94^i-weighted mean of the event's first
    ≤ 75 squared sample residuals, so that on a gap-free row the path is
    that of ``arch_model(...).fix(params)`` (tested). Causal: σ²_t uses
    ε_s for s < t only (and, for t below 75 sample days, the backcast's
    days); the forecasts use nothing after T, so the window's returns never
    enter their own variance.

    The filter is a loop over the Le days, vectorised over events, so it
    serves thousands of pseudo-events where a fit per event would not.
    λ = 0.94 needs no estimation; GARCH parameters from one fit on the
    whole series are a mild look-ahead in the parameters (not in the
    variances), the usual choice in simulation.

    References
    ----------
    J.P. Morgan/Reuters (1996). RiskMetrics - Technical Document, 4th ed.
    Bollerslev, T. (1986). Journal of Econometrics, 31(3), 307-327.
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
    """Single-event tests with the fast causal filter (EWMA or fixed-parameter GARCH).

    Parameters
    ----------
    arrays : EventArrays
        Engine output (as :func:`garch_event_tests`).
    lam : float
        EWMA decay (RiskMetrics 0.94); used when ``params`` is None.
    params : array_like, optional
        Fixed GARCH(1, 1) (ω, α, β), see :func:`filter_variance`.
    estimation_error : bool
        Add the engine's estimation-error term to Var(CAR).

    Returns
    -------
    VolatilityTests
        As :func:`garch_event_tests`; ``params`` holds (0, 1 - λ, λ, NaN)
        or the fixed parameters for every used event.

    Notes
    -----
    σ²_τ of window day τ is the filter's forecast τ - T1 steps after the
    last estimation column T1 (:func:`filter_variance`; missing days in
    between are no-news steps), then Var(CAR), t and the N(0, 1) p-value
    exactly as in :func:`garch_event_tests`. Vectorised over events: the
    placebo and Brown-Warner simulations can call it on thousands of
    pseudo-events.
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
    """Is the end of each estimation sample calmer or wilder than the rest? Ratio and test.

    Parameters
    ----------
    est_ar : array_like, (E, Le)
        Estimation residuals in event-time order, NaN off the sample.
    recent : int
        The last ``recent`` sample days of each event (days up to T1; the
        days between T1 and the window are not in the engine's arrays).
    test : {'F', 'brown-forsythe', 'levene'}
        ``'F'``: variance-ratio F test (normal residuals);
        ``'brown-forsythe'``: Levene's test on absolute deviations from the
        group medians (robust to fat tails); ``'levene'``: from the means.

    Returns
    -------
    VolRegime
        ``ratio`` = s²_recent / s²_before (ddof 1 about each part's mean),
        two-sided ``pvalue``, ``n_recent``, ``n_before``; NaN where a part
        has fewer than 2 days.

    Raises
    ------
    OptionError
        ``test`` not one of the values above.
    InferenceError
        A bad ``recent``.

    Notes
    -----
    The two parts are disjoint, so under iid normal residuals
    ratio ~ F(n_r - 1, n_b - 1) and p = 2 min(F.cdf, F.sf) (the
    ``scipy.stats.f`` distribution). Brown and Forsythe (1974) / Levene
    (1960): with z_ij = |x_ij - c_i|, c_i the median or the mean of part i,

    .. math:: W = \\frac{(N - 2)\\sum_i n_i (\\bar z_i - \\bar z)^2}
                       {\\sum_i \\sum_j (z_{ij} - \\bar z_i)^2} \\sim F(1, N - 2),

    as ``scipy.stats.levene`` (tested); computed for all events at once. A
    ratio far from 1 says the estimation sample's s² is a stale measure
    of the window's variance, the case where the engine's t test and the
    SQ test lose their size and :func:`garch_event_tests` is the one to read.

    References
    ----------
    Brown, M. B., Forsythe, A. B. (1974). Robust tests for the equality of
    variances. Journal of the American Statistical Association, 69(346),
    364-367.
    Levene, H. (1960). Robust tests for equality of variances. In
    Contributions to Probability and Statistics, 278-292. Stanford.
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

    Parameters
    ----------
    y : array_like, (T,)
        Asset returns.
    X : array_like, (T, m)
        Factor returns.
    ok : array_like of bool, (T,)
        Days of the fit (the days allowed in estimation samples).
    model : {'market', 'market-adjusted', 'constant-mean', 'synthetic'}

    Returns
    -------
    ndarray, (3,)
        The parameters of the fixed-parameter filter
        (:func:`ewma_event_tests` ``params``), in return units squared.

    Notes
    -----
    One normal-return regression over every usable day gives the residuals
    (market model: OLS on a constant and the factors; market-adjusted: the
    asset less the first factor, demeaned; synthetic control: the asset less
    the donors with simplex weights; constant mean: demeaned), and one
    ``arch`` fit (:func:`garch_variance`) gives the parameters. They look at
    the whole series; the variances filtered with them at each event do not
    (the filter runs forward from the event's own estimation sample only).
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

