"""Regressions on a study's returns panel: the dummy-variable event study and Dimson leads/lags."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from scipy import special

from .config import Study, lag_name, lagged_names
from .estimate import window_mask
from .events import check_events
from .exceptions import StudyConfigError
from .panel import check_panel, engine_inputs, lagged_factors, locate_day0, study_returns

__all__ = ["dummy_regression", "lead_lag_check", "lead_lag_regression", "newey_west_lags"]

logger = logging.getLogger(__name__)


def newey_west_lags(nobs: int) -> int:
    """Newey-West (1994) rule of thumb: floor(4 (T/100)^(2/9))."""
    return int(math.floor(4.0 * (nobs / 100.0) ** (2.0 / 9.0)))


def dummy_regression(study: Study, panel, events: pd.DataFrame, *, maxlags: int | None = None,
                     classical: pd.DataFrame | None = None) -> pd.DataFrame:
    """CARs from one OLS with a dummy per event-window day, with classical and HAC standard errors.

    Parameters
    ----------
    study : Study
        The asset, its factors (lagged with ``factor_lags``), the windows,
        ``exclude_thin_trading``; ``estimation`` fixes where the sample starts.
    panel : ReturnData or DataFrame
        The returns panel (:func:`eventstudy.panel.check_panel`).
    events : DataFrame
        Aligned events (``id``, ``trade_date``).
    maxlags : int, optional
        Newey–West lags; default :func:`newey_west_lags` of the sample size.
    classical : DataFrame, optional
        A CAR table whose ``car, car_se, t, p, n_days`` are joined as
        ``*_classical`` columns.

    Returns
    -------
    DataFrame
        Per (event, window): ``event_id, start, end, car, car_se, t, p, n_days``
        with the classical se (Student t, residual df); ``car_se_window,
        t_window, p_window`` (window HAC, normal p); ``car_se_hac, t_hac,
        p_hac`` (statsmodels' Newey–West) and ``hac_unreliable``. ``attrs``:
        ``nobs, maxlags, first, last, n_dummies``.

    Notes
    -----
    Sample: the trade dates from the earliest event's estimation start to the
    latest event's widest-window end, less missing and roll days (and thin days
    outside the windows with ``exclude_thin_trading``).
    R_t = α + β'X_t + Σ_d δ_d D_{d,t} + ε_t with one dummy per trade day inside
    some event's widest window (shared between events); CAR = c'δ̂ for the 0/1
    contrast c of the event's window days (Karafiath 1988), Var(CAR) = c'Σc.

    ``car_se``: Σ = s²(D'D)⁻¹, the market model's prediction-error variance.
    ``car_se_hac``: Σ the Newey–West covariance; a one-observation dummy has
    leverage 1 and residual 0, so this se collapses towards 0 (Chesher and
    Jewitt 1987; MacKinnon and White 1985) and is flagged. ``car_se_window``:
    Σ_{d,d'} c_d c_d' w_{|i_d - i_d'|} γ̂(|i_d - i_d'|) + g'Σ̂_θ g, with γ̂ the
    autocovariances of the factor-only residuals on the rows without a dummy,
    Bartlett weights w_h = 1 - h/(L + 1), g = Σ_d c_d (1, X_d) and Σ̂_θ the
    Newey–West covariance of the factor-only fit.

    References
    ----------
    Chesher, A., Jewitt, I. (1987). The bias of a heteroskedasticity
    consistent covariance matrix estimator. Econometrica, 55(5), 1217-1222.
    Karafiath, I. (1988). Using dummy variables in the event methodology.
    Financial Review, 23(3), 351-357.
    MacKinnon, J. G., White, H. (1985). Some heteroskedasticity-consistent
    covariance matrix estimators with improved finite sample properties.
    Journal of Econometrics, 29(3), 305-325.
    Newey, W. K., West, K. D. (1994). Automatic lag selection in covariance
    matrix estimation. Review of Economic Studies, 61(4), 631-653.
    """
    s = _dummy_sample(study, panel, events)
    nobs = s["rows"].size
    lags = newey_west_lags(nobs) if maxlags is None else int(maxlags)
    if lags < 0:
        raise StudyConfigError(f"maxlags must be a non-negative integer; got {maxlags!r}")
    fit = _dummy_fit(s["y"], s["X"], s["rows"], s["dummy_days"], lags)
    wins = np.asarray(study.windows, dtype=np.int64).reshape(-1, 2)
    C, n_days = _contrasts(s["pos"], wins, s["col_of"], s["dummy_days"].size)
    out = _dummy_table(s["ids"], wins, C, n_days, fit, lags)
    if classical is not None:
        cols = ["car", "car_se", "t", "p", "n_days"]
        right = classical[["event_id", "start", "end", *cols]].rename(
            columns={c: f"{c}_classical" for c in cols}
        )
        out = out.merge(right, on=["event_id", "start", "end"], how="left")
    out.attrs.update({"method": "dummy-variable OLS, Newey-West HAC", "nobs": int(nobs),
                      "maxlags": lags, "first": s["dates"][s["first"]],
                      "last": s["dates"][s["last"]], "n_dummies": int(s["dummy_days"].size)})
    return out


def _dummy_sample(study: Study, panel, events) -> dict:
    """The regression's rows, dummy days and each event's day 0."""
    panel = check_panel(panel, [study.asset, *study.regressors])
    returns = lagged_factors(panel.returns, study.regressors, study.factor_lags,
                             panel.factor_rolls())
    events = check_events(events)
    idx = returns.index
    T = len(idx)
    thin = panel.thin.to_numpy()
    y, X, valid, _, _ = engine_inputs(returns, study.asset, study.design_columns,
                                      panel.roll.to_numpy(), thin)
    pos, _ = locate_day0(events["trade_date"], idx)
    # Events without a day 0 in the returns (pending, outside the data) have no dummy day.
    keep = pos >= 0
    if not keep.any():
        raise StudyConfigError("dummy_regression: no event has a trade date inside the returns")
    ids = events["id"].astype(str).to_numpy()[keep]
    pos = pos[keep]
    lo_w = min(a for a, _ in study.windows)
    hi_w = max(b for _, b in study.windows)
    first = max(int(pos.min()) + study.estimation[0], 0)
    last = min(int(pos.max()) + hi_w, T - 1)
    in_win = window_mask(T, pos, lo_w, hi_w)
    sample = np.zeros(T, dtype=bool)
    sample[first : last + 1] = True
    sample &= valid
    if study.exclude_thin_trading:
        sample &= ~(thin & ~in_win)
    dummy_days = np.flatnonzero(in_win & sample)
    col_of = np.full(T, -1, dtype=np.int64)
    col_of[dummy_days] = np.arange(dummy_days.size)
    return {"y": y, "X": X, "rows": np.flatnonzero(sample), "dummy_days": dummy_days,
            "col_of": col_of, "pos": pos, "ids": ids, "dates": idx, "first": first,
            "last": last}


def _dummy_fit(y, X, rows, dummy_days, lags: int) -> dict:
    """OLS with the dummies (classical and HAC covariances of δ) and the window-HAC pieces."""
    from statsmodels.regression.linear_model import OLS

    D = np.zeros((rows.size, dummy_days.size))
    at = np.searchsorted(rows, dummy_days)
    D[at, np.arange(dummy_days.size)] = 1.0
    design = np.column_stack([np.ones(rows.size), X[rows], D])
    ols = OLS(y[rows], design).fit()
    hac = ols.get_robustcov_results(cov_type="HAC", maxlags=lags)
    n0 = 1 + X.shape[1]
    # The window-HAC variance: Newey-West pieces from the factor-only
    # regression on the rows without a dummy (see dummy_regression's Notes).
    base = np.ones(rows.size, dtype=bool)
    base[at] = False
    zfit = OLS(y[rows][base], design[base, :n0]).fit()
    zhac = zfit.get_robustcov_results(cov_type="HAC", maxlags=lags)
    return {"delta": np.asarray(hac.params)[n0:], "cov": np.asarray(hac.cov_params())[n0:, n0:],
            "cov_ols": np.asarray(ols.cov_params())[n0:, n0:], "df_resid": float(ols.df_resid),
            "gamma": _bartlett_autocov(np.asarray(zfit.resid), lags),
            "cov_theta": np.asarray(zhac.cov_params()), "z": design[at, :n0], "at": at}


def _contrasts(pos, wins, col_of, n_dummies: int):
    """The 0/1 contrast of each (event, window) over the dummies, and its number of days."""
    T = col_of.size
    E, W = pos.size, wins.shape[0]
    C = np.zeros((E * W, n_dummies))
    n_days = np.zeros(E * W, dtype=np.int64)
    for w, (a, b) in enumerate(wins):
        days = pos[:, None] + np.arange(a, b + 1)[None, :]
        inside = (days >= 0) & (days < T)
        cols = np.where(inside, col_of[np.clip(days, 0, T - 1)], -1)
        r, c = np.nonzero(cols >= 0)
        C[r * W + w, cols[r, c]] = 1.0
        n_days[np.arange(E) * W + w] = (cols >= 0).sum(axis=1)
    return C, n_days


def _dummy_table(ids, wins, C, n_days, fit: dict, lags: int) -> pd.DataFrame:
    """Each CAR with its classical, window-HAC and Newey–West standard errors."""
    E, W = ids.size, wins.shape[0]
    has = n_days > 0
    car = np.where(has, C @ fit["delta"], np.nan)
    se = np.where(has, np.sqrt(np.einsum("ij,jk,ik->i", C, fit["cov"], C)), np.nan)
    se_ols = np.where(has, np.sqrt(np.einsum("ij,jk,ik->i", C, fit["cov_ols"], C)), np.nan)
    # window-HAC: Var = c' Γ c + g' Σ_θ g over the dummy days (sample rows)
    G = C @ fit["z"]
    lag = np.abs(np.subtract.outer(fit["at"], fit["at"]))
    Gam = np.where(lag <= lags, fit["gamma"][np.minimum(lag, lags)], 0.0)
    v_win = np.einsum("ij,jk,ik->i", C, Gam, C) + np.einsum("ij,jk,ik->i", G, fit["cov_theta"], G)
    se_win = np.where(has, np.sqrt(np.maximum(v_win, 0.0)), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = car / se
        t_ols = car / se_ols
        t_win = car / se_win
    # Each dummy is one observation (leverage 1): its residual is zero and
    # the HAC meat of its coefficient is ~0.
    one_obs = has.copy()
    if one_obs.any():
        ratio = np.nanmedian(se[one_obs] / se_ols[one_obs])
        logger.warning(
            "dummy_regression: the HAC standard errors of the %d CARs come from one-observation "
            "dummies (leverage 1, residual 0) and are unreliable (median HAC/OLS se ratio %.2f); "
            "the headline car_se is the OLS one, car_se_hac is a diagnostic",
            int(one_obs.sum()), ratio,
        )
    return pd.DataFrame({
        "event_id": np.repeat(ids, W), "start": np.tile(wins[:, 0], E),
        "end": np.tile(wins[:, 1], E), "car": car, "car_se": se_ols, "t": t_ols,
        "p": 2.0 * special.stdtr(fit["df_resid"], -np.abs(t_ols)), "n_days": n_days,
        "car_se_window": se_win, "t_window": t_win, "p_window": 2.0 * special.ndtr(-np.abs(t_win)),
        "car_se_hac": se, "t_hac": t, "p_hac": 2.0 * special.ndtr(-np.abs(t)),
        "hac_unreliable": one_obs,
    })


def _bartlett_autocov(e, lags):
    """γ̂(h) w_h for h = 0..lags: (1/n) Σ_t e_t e_(t-h) times 1 - h/(lags + 1)."""
    n = e.size
    h = np.arange(lags + 1)
    acov = np.array([e[j:] @ e[: n - j] for j in h]) / n
    return acov * (1.0 - h / (lags + 1.0))


def lead_lag_regression(study: Study, panel, lags=(-1, 0, 1), *, start=None, end=None,
                        maxlags: int | None = None) -> pd.DataFrame:
    """Whether leads and lags of the factors explain the asset: OLS with and without them.

    Parameters
    ----------
    study : Study
        The asset, its ``factors`` and ``exclude_thin_trading``.
    panel : ReturnData or DataFrame
        Returns on the trade dates; roll days (and thin days with
        ``exclude_thin_trading``) are left out.
    lags : sequence of int
        The Dimson lags, including 0.
    start, end : date-like, optional
        The sample's first and last trade dates.
    maxlags : int, optional
        Newey–West lags; default :func:`newey_west_lags`.

    Returns
    -------
    DataFrame
        Per factor and lag, and per factor's sum: ``factor, lag, term, coef,
        se_hac, t_hac, p_hac``. ``attrs``: ``nobs, maxlags, first, last,
        r2_base, r2_lagged`` (the plain and lagged models on the same days).

    Notes
    -----
    R_t = α + Σ_f Σ_ℓ β_fℓ R_f,t-ℓ + ε_t with the Newey–West covariance V; the
    summed beta Σ_ℓ β_fℓ has se √(1'V_f 1) (Dimson 1979).
    """
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    factors = list(study.factors)
    lags = sorted(int(g) for g in lags)
    if 0 not in lags:
        raise StudyConfigError(f"lags = {lags!r}: include 0 (the same-day factor return)")
    panel = check_panel(panel, [study.asset, *factors])
    frame = lagged_factors(panel.returns, factors, lags, panel.factor_rolls())
    cols = list(lagged_names(factors, lags))
    keep = frame[[study.asset, *cols]].notna().all(axis=1) & ~panel.roll
    if study.exclude_thin_trading:
        keep &= ~panel.thin
    if start is not None:
        keep &= frame.index >= pd.Timestamp(start)
    if end is not None:
        keep &= frame.index <= pd.Timestamp(end)
    sample = frame.loc[keep]
    if len(sample) < len(cols) + 10:
        raise StudyConfigError(f"lead_lag_regression: only {len(sample)} usable days between "
                               f"{start} and {end}; widen the sample")
    nobs = len(sample)
    lag_n = newey_west_lags(nobs) if maxlags is None else int(maxlags)
    y = sample[study.asset].to_numpy(dtype=float)
    full = OLS(y, add_constant(sample[cols].to_numpy(dtype=float), has_constant="add"))
    fit = full.fit(cov_type="HAC", cov_kwds={"maxlags": lag_n})
    base = OLS(y, add_constant(sample[factors].to_numpy(dtype=float),
                               has_constant="add")).fit()
    params = np.asarray(fit.params)[1:]
    cov = np.asarray(fit.cov_params())[1:, 1:]
    rows = []
    L = len(lags)
    for j, f in enumerate(factors):
        block = slice(j * L, (j + 1) * L)
        for i, g in enumerate(lags):
            c = j * L + i
            rows.append({"factor": f, "lag": g, "term": lag_name(f, g), "coef": params[c],
                         "se_hac": float(np.sqrt(cov[c, c]))})
        rows.append({"factor": f, "lag": "sum", "term": f"{f}_sum",
                     "coef": float(params[block].sum()),
                     "se_hac": float(np.sqrt(cov[block, block].sum()))})
    out = pd.DataFrame(rows)
    out["t_hac"] = out["coef"] / out["se_hac"]
    out["p_hac"] = 2.0 * special.ndtr(-np.abs(out["t_hac"].to_numpy(dtype=float)))
    out.attrs.update({"nobs": nobs, "maxlags": lag_n, "first": sample.index[0],
                      "last": sample.index[-1], "r2_base": float(base.rsquared),
                      "r2_lagged": float(fit.rsquared)})
    return out


def lead_lag_check(study: Study, lags=(-1, 0, 1), *, start=None, end=None, prices_dir=None,
                   maxlags=None):
    """Do leads and lags of the factors matter? :func:`lead_lag_regression` on the study's panel."""
    market = (study.replace(model="market", donors=(), factor_lags=(0,))
              if study.model == "synthetic" else study)
    panel, _ = study_returns(market, prices_dir=prices_dir)
    return lead_lag_regression(study, panel, lags, start=start, end=end, maxlags=maxlags)
