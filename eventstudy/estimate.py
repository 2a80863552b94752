"""Normal-return models, abnormal returns, CARs and their variances, for all events at once.

:func:`estimate_study` builds one study's :class:`Design` from its returns
panel and events and runs the engine, :func:`estimate_arrays`, which computes
every quantity for all events together on arrays shaped (events x days).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import linalg, optimize, special

from .config import Study, error_prefix
from .exceptions import EstimationError, StudyConfigError
from .options import ModelName, check_option
from .panel import engine_inputs, lagged_factors, locate_day0, span_first

__all__ = ["ZERO_VARIANCE", "Design", "EventArrays", "check_design", "check_donor_prices",
           "estimate_arrays", "estimate_study", "exclude_degenerate", "model_k",
           "simplex_lstsq", "split_spans", "study_design", "window_mask"]

#: Relative tolerance of the synthetic-control solver's optimality check
#: (:func:`simplex_lstsq`): KKT multipliers above -SIMPLEX_TOL times the
#: scale of the gradient count as non-negative.
SIMPLEX_TOL = 1e-12

#: Why an event whose estimation sample has no residual variance is excluded.
ZERO_VARIANCE = ("zero residual variance in the estimation sample (constant returns, e.g. a "
                 "price that never moves): no test is possible")

logger = logging.getLogger(__name__)


class Design(NamedTuple):
    """Positional inputs of the engine for one study: returns, usable days, each event's day 0.

    ``span`` (T,) gives the trade dates each row's asset return covers
    (:func:`eventstudy.panel.span_days`: 1, or 0 then k + 1 over a gap);
    ``missing`` the days without the asset's or a design column's own return
    and ``roll`` the days whose return, or a lead/lag factor return, spans a
    contract switch (the reasons of :meth:`EventStudyResults.estimation_days`).
    """

    y: np.ndarray
    X: np.ndarray
    valid: np.ndarray
    est_ok: np.ndarray
    day0: np.ndarray
    reason: np.ndarray
    span: np.ndarray
    missing: np.ndarray
    roll: np.ndarray


@dataclass(frozen=True, eq=False)
class EventArrays:
    """Engine output for E events (numpy arrays only).

    Shapes use E events, Le = T1 - T0 + 1 estimation days, Lw = max_end -
    min_start + 1 days of the widest event window, W windows and k parameters.

    Attributes
    ----------
    day0 : ndarray of int, (E,)
        Position of each event's day 0 in the return index.
    rel_est : ndarray of int, (Le,)
        Event times T0..T1 of the estimation window.
    rel_win : ndarray of int, (Lw,)
        Event times min_start..max_end of the widest event window.
    windows : ndarray of int, (W, 2)
        The CAR windows [start, end] (inclusive, event time).
    est_ar : ndarray, (E, Le)
        Residuals on the estimation days kept in the sample, NaN elsewhere
        (``market-adjusted``: R - R_factor). Built on first access.
    est_used : ndarray of bool, (E, Le)
        The estimation days kept in each event's sample.
    n : ndarray of int, (E,)
        Estimation days kept.
    k : int
        Degrees of freedom of the model (:func:`model_k`).
    dof : ndarray of int, (E,)
        Degrees of freedom of s², n - k.
    params : ndarray, (E, k) or (E, m)
        ``market``: intercept then one slope per factor; ``constant-mean``:
        the mean return; ``market-adjusted``: the mean estimation-sample
        abnormal return (about which s² is taken); ``synthetic``: one weight
        per donor, non-negative, summing to one.
    s2 : ndarray, (E,)
        Residual variance of the estimation sample.
    ret, normal, ar, ar_se : ndarray, (E, Lw)
        Asset return, normal return, abnormal return and its standard error
        on each day of the widest window; NaN where a return is missing or
        not valid, beyond the data, and for excluded events.
    V : ndarray, (E, Lw, Lw)
        Covariance matrix of the window's abnormal returns (NaN rows and
        columns on missing days), built on first access; its diagonal is
        ``ar_se**2`` and γ'Vγ is ``car_se**2``.
    car, car_se, tstat, pvalue : ndarray, (E, W)
        CAR over each window, its standard error, t statistic and two-sided
        p-value from Student's t with ``dof`` degrees of freedom.
    n_days : ndarray of int, (E, W)
        Non-missing abnormal returns summed in each CAR.
    used : ndarray of bool, (E,)
        False for excluded events, whose results are NaN.
    reason : ndarray of object, (E,)
        Why an event was excluded ('' when used).
    model : str
        The normal-return model.
    """

    day0: np.ndarray
    rel_est: np.ndarray
    rel_win: np.ndarray
    windows: np.ndarray
    n: np.ndarray
    k: int
    dof: np.ndarray
    params: np.ndarray
    s2: np.ndarray
    ret: np.ndarray
    normal: np.ndarray
    ar: np.ndarray
    ar_se: np.ndarray
    car: np.ndarray
    car_se: np.ndarray
    tstat: np.ndarray
    pvalue: np.ndarray
    n_days: np.ndarray
    used: np.ndarray
    reason: np.ndarray
    model: str
    _est_src: tuple = field(repr=False, default=None)
    _inv_n: np.ndarray = field(repr=False, default=None)
    _z: np.ndarray | None = field(repr=False, default=None)
    _Sinv: np.ndarray | None = field(repr=False, default=None)

    @cached_property
    def _est(self):
        base, const, terms, add, g, first, ok, Le, drop = self._est_src
        return _residuals(base, const, list(terms), g, first, ok, Le, add, drop=drop)

    @property
    def est_ar(self) -> np.ndarray:
        """Estimation-sample residuals (E, Le), NaN off the sample; built on first access."""
        return self._est[0]

    @property
    def est_used(self) -> np.ndarray:
        """Estimation days kept in each event's sample (E, Le); built on first access."""
        return self._est[1]

    @cached_property
    def V(self) -> np.ndarray:
        """Covariance of the window ARs, s²(I + 11'/n + Z S⁻¹ Z') (see estimate_arrays)."""
        E, Lw = self.ar.shape
        if self.model in ("market-adjusted", "synthetic"):
            M = np.broadcast_to(np.eye(Lw), (E, Lw, Lw))
        else:
            M = np.eye(Lw) + self._inv_n[:, None, None]
            if self.model == "market":
                M = M + np.einsum("eim,emn,ejn->eij", self._z, self._Sinv, self._z, optimize=True)
        ok = np.isfinite(self.ar)
        return np.where(ok[:, :, None] & ok[:, None, :], self.s2[:, None, None] * M, np.nan)

    @property
    def n_events(self) -> int:
        """Number of events E (used or not)."""
        return int(self.day0.shape[0])


def estimate_study(study: Study, panel, studied, others):
    """The engine run on one study's returns panel and events.

    Parameters
    ----------
    study : Study
        A one-asset study.
    panel : ReturnData
        The returns panel, checked (:func:`eventstudy.panel.check_panel`).
    studied, others : DataFrame
        The studied events and the other dated events
        (:func:`eventstudy.events.select_events`).

    Returns
    -------
    (Design, (ndarray, ndarray), EventArrays)
        The design (:func:`study_design`), the other events' day 0 and ids,
        and the engine's output with zero-variance events excluded
        (:func:`exclude_degenerate`).

    Raises
    ------
    StudyConfigError
        A donor without prices over an event's estimation window
        (:func:`check_donor_prices`).
    """
    design, other_day0 = study_design(study, panel, studied, others)
    located = design.reason == ""
    if study.model == "synthetic":
        check_donor_prices(panel.returns, study.donors, design.day0[located], study.estimation,
                           studied["id"].astype(str).to_numpy()[located],
                           prefix=error_prefix(study.path))
    blocked = None
    if study.exclude_other_events and study.other_events == "file" and len(others):
        blocked = window_mask(len(design.y), other_day0[0], min(a for a, _ in study.windows),
                              max(b for _, b in study.windows))
    arrays = exclude_degenerate(estimate_arrays(
        design.y, design.X, design.valid, design.est_ok, design.day0[located],
        model=study.model, estimation=study.estimation, windows=study.windows,
        exclude_other_events=study.exclude_other_events,
        min_estimation_days=study.min_estimation_days, exclude_positions=blocked,
        span=design.span))
    return design, other_day0, arrays


def study_design(study: Study, panel, studied, others):
    """The engine's inputs of the study's events, and the other events' day 0 and ids.

    Returns
    -------
    (Design, (ndarray of int, ndarray of str))
        ``y``, ``X`` (with the Dimson lead/lag columns of ``factor_lags``,
        :func:`eventstudy.panel.lagged_factors`), the masks, each studied
        event's day 0 and the reason it has none
        (:func:`eventstudy.panel.locate_day0`); the located other events'
        day 0 and ids.
    """
    factor_rolls = panel.factor_rolls()
    returns = lagged_factors(panel.returns, study.regressors, study.factor_lags, factor_rolls)
    span = panel.span_days()
    joined = None if panel.trade_to_trade is None else panel.trade_to_trade.to_numpy()
    y, X, valid, est_ok, missing = engine_inputs(
        returns, study.asset, study.design_columns, panel.roll.to_numpy(),
        panel.thin.to_numpy(), exclude_thin_trading=study.exclude_thin_trading, span=span,
        trade_to_trade=joined)
    roll = panel.roll.to_numpy(dtype=bool)
    if len(returns.columns) > len(panel.returns.columns):
        # a lead/lag return read from a factor's roll day: masked as a roll, not as missing
        unmasked = lagged_factors(panel.returns, study.regressors, study.factor_lags)
        raw = ~np.isfinite(y) | ~np.isfinite(
            unmasked[list(study.design_columns)].to_numpy(dtype=np.float64)).all(axis=1)
        roll = roll | (missing & ~raw)
        missing = missing & raw
    pos, reason = locate_day0(studied["trade_date"], returns.index)
    other_pos, _ = locate_day0(others["trade_date"], returns.index)
    keep = other_pos >= 0
    other_ids = others["id"].astype(str).to_numpy()[keep]
    return (Design(y, X, valid, est_ok, pos, reason, span, missing, roll),
            (other_pos[keep], other_ids))


def window_mask(T: int, day0, lo: int, hi: int) -> np.ndarray:
    """True on the days inside any event's window [day0 + lo, day0 + hi], clipped to 0..T-1.

    Parameters
    ----------
    T : int
        Length of the index.
    day0 : array-like of int
        Day-0 positions (negative entries are ignored).
    lo, hi : int
        Window bounds in event time, ``lo <= hi``.

    Returns
    -------
    ndarray of bool, (T,)
    """
    d = np.asarray(day0, dtype=np.int64)
    d = d[d >= 0]
    mark = np.zeros(T + 1, dtype=np.int64)
    if d.size and T:
        a = np.clip(d + lo, 0, T)
        b = np.clip(d + hi + 1, 0, T)
        np.add.at(mark, a, 1)
        np.add.at(mark, b, -1)
    return np.cumsum(mark[:T]) > 0


def check_donor_prices(returns, donors, day0, estimation, event_ids, *, prefix: str = ""
                       ) -> None:
    """Raise when a donor has no return over some event's estimation window.

    Parameters
    ----------
    returns : DataFrame
        The returns on the trade dates, with one column per donor.
    donors : sequence of str
    day0 : array_like of int
        Day-0 positions of the located events.
    estimation : (int, int)
    event_ids : array_like of str
        The events' ids (for the message).
    prefix : str
        Put before the message (:func:`eventstudy.config.error_prefix`).

    Raises
    ------
    StudyConfigError
        ``donors = [...]: <donor> has no price over the estimation window ...``
        naming the event, the window's dates and the fix.
    """
    day0 = np.asarray(day0, dtype=np.int64)
    T = len(returns.index)
    if not day0.size or not T:
        return
    a = np.clip(day0 + estimation[0], 0, T)
    b = np.clip(day0 + estimation[1] + 1, 0, T)
    for d in donors:
        have = np.concatenate([[0], np.cumsum(np.isfinite(returns[d].to_numpy(dtype=float)))])
        empty = np.flatnonzero((b > a) & (have[b] - have[a] == 0))
        if empty.size:
            i = int(empty[0])
            first, last = returns.index[a[i]], returns.index[b[i] - 1]
            raise StudyConfigError(
                f"{prefix}donors = {list(donors)!r}: {d} has no price over the estimation window "
                f"[{estimation[0]}, {estimation[1]}] of event {event_ids[i]!r} ({first:%Y-%m-%d} "
                f"to {last:%Y-%m-%d}); drop {d} from donors or choose a donor with prices over "
                f"those dates")


def exclude_degenerate(arrays: EventArrays) -> EventArrays:
    """Events whose estimation residuals have no variance, excluded with :data:`ZERO_VARIANCE`.

    s² = 0 (constant returns) makes every standard error 0 and every t
    undefined: the event's results are set to NaN.
    """
    bad = arrays.used & ~(arrays.s2 > 0)
    if not bad.any():
        return arrays
    reason = arrays.reason.copy()
    reason[bad] = ZERO_VARIANCE
    for i in np.flatnonzero(bad):
        logger.warning("event at position %d excluded: %s", int(arrays.day0[i]), ZERO_VARIANCE)

    def blank(a):
        a = np.array(a, dtype=float, copy=True)
        a[bad] = np.nan
        return a

    return dataclasses.replace(
        arrays, used=arrays.used & ~bad, reason=reason,
        **{name: blank(getattr(arrays, name)) for name in
           ("car", "car_se", "tstat", "pvalue", "ar", "ar_se", "normal", "ret", "params")})


def model_k(model: str, n_factors: int) -> int:
    """Degrees of freedom k of a normal-return model: 1 + factors for ``market``, 0 for
    ``synthetic`` (s² = SSR/n), else 1."""
    if model == "synthetic":
        return 0
    return 1 + n_factors if model == "market" else 1


def check_design(model, n_factors: int, estimation, windows, min_estimation_days):
    """The engine's options, checked.

    Returns
    -------
    tuple
        ``(model, (T0, T1), windows as an (W, 2) int array, min_estimation_days)``.

    Raises
    ------
    OptionError
        ``model`` not one of 'constant-mean', 'market-adjusted', 'market', 'synthetic'.
    StudyConfigError
        A malformed estimation window or event window, an estimation window
        that overlaps the event window, a bad ``min_estimation_days`` or a
        factor count the model cannot use (a ``synthetic`` donor pool of fewer than two).
    """
    model = check_option("model", model, ModelName)
    if model == "synthetic" and n_factors < 2:
        raise StudyConfigError(
            f"model='synthetic' needs a donor pool of at least two series (the columns of X); "
            f"got {n_factors}. Pass two or more donors, e.g. ['ZC=F', 'ZW=F']")
    if model == "market-adjusted" and n_factors != 1:
        raise StudyConfigError(
            f"model='market-adjusted' needs exactly one factor (its return is the normal "
            f"return); got {n_factors}. Pass one factor, or use model='market' for several")
    if model == "market" and n_factors < 1:
        raise StudyConfigError("model='market' needs at least one factor; got none. Pass "
                               "factors=[...] (e.g. ['SPY', 'UUP']) or use model='constant-mean'")
    est = _int_pair("estimation", estimation)
    if est[0] > est[1]:
        raise StudyConfigError(
            f"estimation must be (T0, T1) with T0 <= T1; got {tuple(estimation)!r}")
    try:
        wins = [_int_pair("window", w) for w in windows]
    except TypeError:
        raise StudyConfigError(
            f"windows must be a list of (start, end) pairs; got {windows!r}") from None
    if not wins:
        raise StudyConfigError(
            "windows is empty; give at least one (start, end) pair, e.g. (-1, 1)")
    for w in wins:
        if w[0] > w[1]:
            raise StudyConfigError(f"window must be (start, end) with start <= end; got {w!r}")
    wins = np.asarray(wins, dtype=np.int64).reshape(-1, 2)
    lo, hi = int(wins[:, 0].min()), int(wins[:, 1].max())
    if not (est[1] < lo or est[0] > hi):
        raise StudyConfigError(
            f"estimation window {est!r} overlaps the event window [{lo}, {hi}]; "
            f"end the estimation before day {lo} (e.g. estimation=({est[0]}, {lo - 1}))")
    if isinstance(min_estimation_days, bool) or not isinstance(min_estimation_days,
                                                               (int, np.integer)):
        raise StudyConfigError(
            f"min_estimation_days must be an integer; got {min_estimation_days!r}")
    k = model_k(model, n_factors)
    if min_estimation_days < k + 1:
        raise StudyConfigError(
            f"min_estimation_days must be at least k + 1 = {k + 1} for model={model!r} "
            f"(s² needs n - k >= 1); got {min_estimation_days}")
    return model, est, wins, int(min_estimation_days)


def _int_pair(name, value):
    try:
        a, b = value
    except (TypeError, ValueError):
        raise StudyConfigError(f"{name} must be a pair of trade-day offsets; got {value!r}"
                               ) from None
    for v in (a, b):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise StudyConfigError(
                f"{name} must be a pair of integer trade-day offsets; got {value!r}")
    return (int(a), int(b))


def estimate_arrays(y, X, valid, est_ok, day0, *, model, estimation, windows,
                    exclude_other_events, min_estimation_days, exclude_positions=None,
                    event_groups=None, span=None) -> EventArrays:
    """Fit the normal-return model of every event and compute AR, CAR and variances.

    Parameters
    ----------
    y : array_like, (T,)
        Asset returns on the asset's trade dates (NaN allowed).
    X : array_like, (T, m)
        Factor returns on the same dates; m may be 0 for ``constant-mean``.
    valid : array_like of bool, (T,)
        Usable return days (asset and factors present, not a roll day).
    est_ok : array_like of bool, (T,)
        Days allowed in estimation samples (``valid`` and, when thin-trading
        exclusion is on, not thin).
    day0 : array_like of int, (E,)
        Position of each event's day 0 in 0..T-1.
    model : {'market', 'constant-mean', 'market-adjusted', 'synthetic'}
        Normal-return model (``synthetic``: the columns of X are the donors).
    estimation : (int, int)
        Estimation window [T0, T1] in trade days relative to day 0; it may
        not overlap the widest event window.
    windows : sequence of (int, int)
        CAR windows [start, end] (inclusive).
    exclude_other_events : bool
        Drop from event e's estimation sample every day inside another
        event's widest window [min start, max end] (all E events, used or not).
    min_estimation_days : int
        Events with fewer estimation days are excluded (used=False, reason).
    exclude_positions : array_like of bool, (T,), optional
        Extra days dropped from every estimation sample.
    event_groups : array_like of int, (E,), optional
        Labels that make other-event exclusion act within a label only
        (independent replications of a simulation in one call). Default: one
        label.
    span : array_like of int, (T,), optional
        Trade dates covered by each row's return
        (:func:`eventstudy.panel.span_days`). A window that covers part of a
        multi-day return has no CAR. Default: one day each.

    Returns
    -------
    EventArrays

    Raises
    ------
    OptionError, StudyConfigError
        Invalid options (see :func:`check_design`).
    EstimationError
        Input arrays of inconsistent shapes.

    Notes
    -----
    Estimation sample of event e: the days t = day0_e + τ, τ in [T0, T1],
    inside the data with ``est_ok`` (and ``valid``), not in another event's
    widest window, not in ``exclude_positions``; n its size.

    ``market``: OLS of R on [1, X] over the sample, k = 1 + m, s² = SSR/(n-k),
    in centred form: with x̄, ȳ the sample means and
    S = Σ (x_t - x̄)(x_t - x̄)', β = S⁻¹ Σ (x_t - x̄)(y_t - ȳ),
    α = ȳ - x̄'β. The covariance of the window's abnormal returns
    (MacKinlay 1997, eq. 10) V = s²(I + X*(X'X)⁻¹X*') equals
    s²(I + 11'/n + Z* S⁻¹ Z*') with Z* the window factors less x̄, so that
    V_ττ is the squared ``se_obs`` of statsmodels' ``get_prediction``.

    ``constant-mean``: normal return ȳ, k = 1, s² the sample variance (ddof 1),
    V = s²(I + 11'/n). ``market-adjusted``: normal return the factor's return,
    k = 1, s² the sample variance (ddof 1) of the estimation-sample abnormal
    returns, V = s²I.

    ``synthetic`` (a synthetic control; Abadie, Diamond and Hainmueller 2010,
    in the event-study form of Acemoglu et al. 2016): the m columns of X are
    the donor pool; the weights solve

    .. math:: \\min_w \\sum_t (R_t - X_t'w)^2 \\quad
              \\text{s.t. } w \\ge 0,\\ 1'w = 1

    over the event's estimation sample (no intercept; :func:`simplex_lstsq`),
    the normal return is X_τ'w and AR_τ = R_τ - X_τ'w. k = 0: s² = SSR/n, the
    squared pre-event RMSPE, and V = s²I (no estimation-error term), t with
    n degrees of freedom. An event whose donors are collinear over its
    sample is excluded.

    AR_τ = R_τ - normal_τ on every day of the widest window; missing when the
    day is not ``valid`` or beyond the data. CAR over [a, b] sums the
    non-missing AR_τ (γ their indicator), Var(CAR) = γ'Vγ, t = CAR/√Var(CAR),
    p two-sided from Student's t with n - k degrees of freedom. A window with
    no usable day has CAR missing (n_days = 0). With ``span``, the days of a
    multi-day return (a trade-to-trade return over dates without a price,
    Maynes and Rumsey 1993; ``y`` is 0 on the dates before it) are summed
    only by a window that covers all of them: the CAR is then the span's
    return less the normal returns of its days, and γ covers those days. A
    window that begins or ends inside such a span has CAR missing.

    Events are excluded (used=False, NaN results, the reason logged) when
    day 0 is outside 0..T-1, the estimation window leaves the data, n is
    below ``min_estimation_days``, or the design is singular.

    References
    ----------
    MacKinlay, A. C. (1997). Event studies in economics and finance.
    Journal of Economic Literature, 35(1), 13-39.
    Campbell, J. Y., Lo, A. W., MacKinlay, A. C. (1997). The Econometrics of
    Financial Markets, ch. 4. Princeton University Press.
    Abadie, A., Diamond, A., Hainmueller, J. (2010). Synthetic control methods
    for comparative case studies. JASA, 105(490), 493-505.
    Acemoglu, D., Johnson, S., Kermani, A., Kwak, J., Mitton, T. (2016). The
    value of connections in turbulent times: evidence from the United States.
    Journal of Financial Economics, 121(2), 368-391.
    """
    y, X, valid, est_ok, extra, day0, event_groups = _check_arrays(
        y, X, valid, est_ok, day0, exclude_positions, event_groups)
    m = X.shape[1]
    model, (T0, T1), wins, min_n = check_design(model, m, estimation, windows, min_estimation_days)
    k = model_k(model, m)
    s = _Samples(y, X, valid, est_ok, extra, day0, event_groups, T0, T1, wins,
                 exclude_other_events)
    reason, ok = _exclusions(s, T0, T1, min_n)
    fit = _FITS[model](s, ok, reason)
    ok = fit.ok
    dof = np.where(ok, s.n - k, 0)
    s2 = np.maximum(fit.ssr, 0.0) / np.maximum(dof, 1)
    ret, normal, ar, ar_se, car, car_se, n_days, z_w = _window_results(s, fit, ok, s2, model, wins)
    if span is not None:
        cut = split_spans(span, day0, wins)
        car = np.where(cut, np.nan, car)
        car_se = np.where(cut, np.nan, car_se)
        n_days = np.where(cut, 0, n_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = car / car_se
    pvalue = 2.0 * special.stdtr(np.maximum(dof, 1)[:, None].astype(np.float64), -np.abs(tstat))
    params = fit.params
    nan_e = ~ok
    if nan_e.any():
        params = np.where(nan_e[:, None], np.nan, params)
        s2 = np.where(nan_e, np.nan, s2)
        n_days[nan_e] = 0
        for i in np.flatnonzero(nan_e):
            logger.info("event at position %d excluded: %s", day0[i], reason[i])
        logger.warning("%d of %d events excluded (see the reason column)", int(nan_e.sum()),
                       s.E)
    return EventArrays(
        day0=day0, rel_est=s.rel_est, rel_win=s.rel_win, windows=wins, n=s.n, k=int(k),
        dof=dof.astype(np.int64), params=np.ascontiguousarray(params, dtype=np.float64),
        s2=s2, ret=ret, normal=normal, ar=ar, ar_se=ar_se, car=car, car_se=car_se,
        tstat=tstat, pvalue=pvalue, n_days=n_days, used=ok, reason=reason, model=model,
        _est_src=(*fit.est, s.g, s.first_safe(ok), ok.copy(), s.Le, s.drop),
        _inv_n=np.where(ok, 1.0 / s.nf(ok), np.nan), _z=z_w, _Sinv=fit.Sinv,
    )


def split_spans(span, day0, windows) -> np.ndarray:
    """(E, W) True where an event's window begins or ends inside a multi-day return.

    ``span`` as :func:`eventstudy.panel.span_days`; a window [a, b] is whole
    when day0 + a is the first date of its return period and day0 + b the
    last (positions outside the data never split a span).
    """
    span = np.asarray(span, dtype=np.int64)
    T = span.size
    day0 = np.asarray(day0, dtype=np.int64)
    windows = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    out = np.zeros((day0.size, windows.shape[0]), dtype=bool)
    if T == 0 or (span == 1).all():
        return out
    first = span_first(span)
    for w, (a, b) in enumerate(windows):
        lo, hi = day0 + a, day0 + b
        lo_in = (lo >= 0) & (lo < T)
        hi_in = (hi >= 0) & (hi < T)
        starts_inside = lo_in & (first[np.clip(lo, 0, T - 1)] != np.clip(lo, 0, T - 1))
        ends_inside = hi_in & (span[np.clip(hi, 0, T - 1)] == 0)
        out[:, w] = starts_inside | ends_inside
    return out


def _check_arrays(y, X, valid, est_ok, day0, exclude_positions, event_groups):
    """The engine's array inputs as numpy arrays of the right shapes and types."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise EstimationError(f"y must be one-dimensional (T,); got shape {y.shape}")
    T = y.shape[0]
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] != T:
        raise EstimationError(f"X must have shape (T, m) with T={T}; got shape {X.shape}")
    valid = _bool_vector("valid", valid, T)
    est_ok = _bool_vector("est_ok", est_ok, T)
    extra = (None if exclude_positions is None
             else _bool_vector("exclude_positions", exclude_positions, T))
    day0 = np.asarray(day0)
    if day0.ndim != 1 or not (day0.size == 0 or np.issubdtype(day0.dtype, np.integer)):
        raise EstimationError(f"day0 must be a one-dimensional integer array of positions; "
                              f"got {day0.dtype} with shape {day0.shape}")
    day0 = day0.astype(np.int64)
    if event_groups is not None:
        event_groups = np.asarray(event_groups).reshape(-1)
        if event_groups.shape != day0.shape or not (
            event_groups.size == 0 or np.issubdtype(event_groups.dtype, np.integer)
        ):
            raise EstimationError(
                f"event_groups must be one integer label per event ({day0.shape[0]}); got "
                f"{event_groups.dtype} with shape {event_groups.shape}")
    return y, X, valid, est_ok, extra, day0, event_groups


class _Samples:
    """Every event's estimation sample, read from prefix sums of one mask ``g`` over time.

    The estimation window never overlaps the event's own widest window, so
    "in another event's window" is "in any event's window" on estimation
    days; with ``event_groups`` the other same-label events' days are
    subtracted (``drop``).
    """

    def __init__(self, y, X, valid, est_ok, extra, day0, event_groups, T0, T1, wins,
                 exclude_other_events):
        T, E = y.shape[0], day0.shape[0]
        self.y, self.X, self.day0, self.T, self.E = y, X, day0, T, E
        w_lo, w_hi = int(wins[:, 0].min()), int(wins[:, 1].max())
        self.rel_est = np.arange(T0, T1 + 1, dtype=np.int64)
        self.rel_win = np.arange(w_lo, w_hi + 1, dtype=np.int64)
        self.Le = self.rel_est.size
        # a usable day: the return and every factor present, flagged valid
        finite = valid & np.isfinite(y)
        if X.shape[1]:
            finite &= np.isfinite(X).all(axis=1)
        self.finite = finite
        self.in_data = (day0 >= 0) & (day0 < T)
        g = finite & est_ok
        if extra is not None:
            g &= ~extra
        if exclude_other_events and E and event_groups is None:
            d = day0[self.in_data]
            lo = np.clip(d + w_lo, 0, T)
            hi = np.clip(d + w_hi + 1, 0, T)
            cover = np.cumsum(np.bincount(lo, minlength=T + 1) - np.bincount(hi, minlength=T + 1))
            g &= cover[:T] == 0
        self.g = g
        self.first = day0 + T0
        self.stop = day0 + T1 + 1
        self.est_in_data = (self.first >= 0) & (self.stop <= T)
        self.a_pos = np.clip(self.first, 0, T)
        self.b_pos = np.clip(self.stop, 0, T)
        # (event, estimation day) pairs that another event of the same label covers
        self.drop = None
        if exclude_other_events and E and event_groups is not None:
            self.drop = _group_cover(day0, event_groups, self.in_data, self.est_in_data,
                                     self.first, self.Le, w_lo, w_hi, g)
        n = self.wsum(g.astype(np.float64)).round().astype(np.int64)
        self.n = np.where(self.in_data, n, 0)
        idx_w = day0[:, None] + self.rel_win[None, :]
        self.in_w = (idx_w >= 0) & (idx_w < T)
        self.idx_w = np.clip(idx_w, 0, max(T - 1, 0))

    def wsum(self, v):
        """Σ v over each event's estimation sample."""
        out = _window_sum(v, self.a_pos, self.b_pos)
        if self.drop is not None and self.drop[0].size:
            out = out - np.bincount(self.drop[0], weights=v[self.first[self.drop[0]]
                                                           + self.drop[1]], minlength=self.E)
        return out

    def nf(self, ok):
        """Sample sizes as floats, 1 for excluded events."""
        return np.where(ok, self.n, 1).astype(np.float64)

    def first_safe(self, ok):
        """First estimation position of each used event (0 for excluded ones: read, unused)."""
        return np.where(ok, self.first, 0)


def _exclusions(s, T0, T1, min_n):
    """(reason, ok): events whose day 0 or estimation window leaves the data, or too few days."""
    reason = np.full(s.E, "", dtype=object)
    ok = s.in_data.copy()
    for i in np.flatnonzero(~s.in_data):
        reason[i] = f"day 0 at position {s.day0[i]} is outside the returns (0..{s.T - 1})"
    bad = ok & ~s.est_in_data
    for i in np.flatnonzero(bad):
        if s.first[i] < 0:
            reason[i] = (
                f"estimation window [{T0}, {T1}] starts {-s.first[i]} trade days before the "
                f"first return; start the prices earlier or shorten estimation"
            )
        else:
            reason[i] = (
                f"estimation window [{T0}, {T1}] ends {s.stop[i] - s.T} trade days after the "
                f"last return"
            )
    ok &= ~bad
    bad = ok & (s.n < min_n)
    for i in np.flatnonzero(bad):
        reason[i] = (
            f"only {s.n[i]} estimation days (min_estimation_days={min_n}); lower "
            f"min_estimation_days, widen estimation or turn off exclude_other_events / "
            f"exclude_thin_trading"
        )
    ok &= ~bad
    return reason, ok


class _Fit(NamedTuple):
    """A normal-return model fitted to every event's sample."""

    params: np.ndarray
    ssr: np.ndarray
    est: tuple  # (base, const, terms, add) of the residuals (see _residuals)
    normal: np.ndarray  # (E, Lw), the window's normal returns
    ok: np.ndarray
    Sinv: np.ndarray | None = None
    xbar: np.ndarray | None = None  # the sample means of the factors (market)
    x_w: list | None = None  # the window's factor returns (market)


def _centred_y(s, ok):
    """y less its mean over every estimation day, 0 off them, and each sample's mean of it."""
    mu_y = s.y[s.g].mean() if s.g.any() else 0.0
    yz = np.where(s.g, s.y - mu_y, 0.0)
    return mu_y, yz, s.wsum(yz) / s.nf(ok)


def _fit_market(s, ok, reason):
    """OLS of y on [1, X] over each sample, from centred sufficient statistics."""
    E, m, nf = s.E, s.X.shape[1], s.nf(ok)
    mu_y, yz, ybar_s = _centred_y(s, ok)
    mu_x = s.X[s.g].mean(axis=0) if s.g.any() else np.zeros(m)
    xz = [np.where(s.g, s.X[:, j] - mu_x[j], 0.0) for j in range(m)]
    xbar_s = np.stack([s.wsum(xz[j]) / nf for j in range(m)], axis=1)
    S = np.empty((E, m, m))
    sxy = np.empty((E, m))
    raw = np.empty((E, m))
    for i in range(m):
        sxy[:, i] = s.wsum(xz[i] * yz) - nf * xbar_s[:, i] * ybar_s
        for j in range(i, m):
            sij = s.wsum(xz[i] * xz[j])
            if i == j:
                raw[:, i] = sij
            S[:, i, j] = S[:, j, i] = sij - nf * xbar_s[:, i] * xbar_s[:, j]
    # A factor constant over the sample (its centred sum of squares is
    # rounding noise), or factors collinear, make S singular: exclude.
    var_ok = (np.einsum("eii->ei", S) > 1e-7 * raw).all(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(np.einsum("eii->ei", S))
        R = S / (scale[:, :, None] * scale[:, None, :])
        R = np.where((ok & var_ok)[:, None, None], R, np.eye(m))
        rc = np.linalg.det(np.where(np.isfinite(R), R, 0.0))
    sing = ok & ~(var_ok & (np.abs(rc) > 1e-10))
    for i in np.flatnonzero(sing):
        reason[i] = (
            f"a factor does not vary over the {s.n[i]} estimation days (singular design); "
            f"check the factor prices or use model='constant-mean'"
        )
    ok = ok & ~sing
    Sinv = np.linalg.inv(np.where(ok[:, None, None], S, np.eye(m)))
    beta = np.einsum("eij,ej->ei", Sinv, sxy)
    # intercept in the shifted coordinates, then in the original ones
    alpha_s = ybar_s - np.einsum("ei,ei->e", xbar_s, beta)
    alpha = alpha_s + mu_y - beta @ mu_x
    ssr = s.wsum(yz * yz) - nf * ybar_s**2 - np.einsum("ei,ei->e", sxy, beta)
    x_w = [s.X[s.idx_w, j] for j in range(m)]
    normal = alpha[:, None] + sum(x_w[j] * beta[:, j, None] for j in range(m))
    return _Fit(np.concatenate([alpha[:, None], beta], axis=1), ssr,
                (yz, alpha_s, tuple(zip(xz, beta.T, strict=True)), None), normal, ok, Sinv,
                xbar_s + mu_x, x_w)


def _fit_constant_mean(s, ok, reason):
    mu_y, yz, ybar_s = _centred_y(s, ok)
    params = (ybar_s + mu_y)[:, None]
    ssr = s.wsum(yz * yz) - s.nf(ok) * ybar_s**2
    return _Fit(params, ssr, (yz, ybar_s, (), None),
                np.broadcast_to(params, (s.E, s.rel_win.size)), ok)


def _fit_market_adjusted(s, ok, reason):
    """AR = y - x; s² is taken about the sample mean of AR."""
    x0 = s.X[:, 0]
    dz = np.where(s.g, s.y - x0, 0.0)
    mu_d = dz[s.g].mean() if s.g.any() else 0.0
    dz = np.where(s.g, dz - mu_d, 0.0)
    dbar_s = s.wsum(dz) / s.nf(ok)
    ssr = s.wsum(dz * dz) - s.nf(ok) * dbar_s**2
    # the estimation-sample AR is y - x itself, not its deviation from the mean
    return _Fit((dbar_s + mu_d)[:, None], ssr, (dz, np.full(s.E, -mu_d), (), None),
                x0[s.idx_w], ok)


def _fit_synthetic(s, ok, reason):
    """Simplex weights on the donors, fitted on each event's sample."""
    m = s.X.shape[1]
    first_safe = s.first_safe(ok)
    yg = np.where(s.g, s.y, 0.0)
    xg = [np.where(s.g, s.X[:, j], 0.0) for j in range(m)]
    G, b = _gram(yg, xg, s.g, first_safe, ok, s.Le, s.drop)
    params, sing = _synthetic_weights(G, b, ok)
    for i in np.flatnonzero(sing):
        reason[i] = (
            f"the donors are collinear over the {s.n[i]} estimation days (singular design: "
            f"the weights are not unique); drop a donor that copies another"
        )
    ok = ok & ~sing
    est = (yg, np.zeros(s.E), tuple(zip(xg, params.T, strict=True)), None)
    # SSR from the residuals themselves: w'Gw - 2b'w + y'y would cancel
    ssr = _residuals(yg, np.zeros(s.E), list(est[2]), s.g, first_safe, ok, s.Le, None,
                     drop=s.drop)[2]
    normal = sum(s.X[s.idx_w, j] * params[:, j, None] for j in range(m))
    return _Fit(params, ssr, est, normal, ok)


_FITS = {"market": _fit_market, "constant-mean": _fit_constant_mean,
         "market-adjusted": _fit_market_adjusted, "synthetic": _fit_synthetic}


def _window_results(s, fit, ok, s2, model, wins):
    """Returns, normal returns, ARs and their se on the widest window; CARs and their se.

    Var(AR_τ) = s² (1 + 1/n + z_τ' S⁻¹ z_τ), z_τ the window factors less the
    sample mean (the diagonal of V); Var(CAR) = γ'Vγ in closed form.
    """
    E, W, nf = s.E, wins.shape[0], s.nf(ok)
    ok_w = s.finite[s.idx_w] & s.in_w & ok[:, None]
    ret = np.where(ok_w, s.y[s.idx_w], np.nan)
    ar = ret - fit.normal
    normal = np.where(ok_w, fit.normal, np.nan)
    z_w = None
    if model == "market":
        z_w = np.stack([np.where(ok_w, fit.x_w[j] - fit.xbar[:, j][:, None], 0.0)
                        for j in range(len(fit.x_w))], axis=2)  # (E, Lw, m)
        diag = 1.0 + 1.0 / nf[:, None] + _quad(z_w, fit.Sinv)
    elif model == "constant-mean":
        diag = np.broadcast_to(1.0 + 1.0 / nf[:, None], (E, s.rel_win.size))
    else:  # market-adjusted, synthetic: no estimation-error term
        diag = np.ones((E, s.rel_win.size))
    ar_se = np.where(ok_w, np.sqrt(s2[:, None] * diag), np.nan)
    car = np.full((E, W), np.nan)
    var = np.full((E, W), np.nan)
    n_days = np.zeros((E, W), dtype=np.int64)
    ar0 = np.where(ok_w, ar, 0.0)
    for w, (a_w, b_w) in enumerate(wins):
        sel = (s.rel_win >= a_w) & (s.rel_win <= b_w)
        nd = ok_w[:, sel].sum(axis=1)
        n_days[:, w] = nd
        has = nd > 0
        car[:, w] = np.where(has, ar0[:, sel].sum(axis=1), np.nan)
        if model == "market":
            gsum = z_w[:, sel, :].sum(axis=1)
            v = s2 * (nd + nd**2 / nf + _quad(gsum[:, None, :], fit.Sinv)[:, 0])
        elif model == "constant-mean":
            v = s2 * (nd + nd**2 / nf)
        else:
            v = s2 * nd
        var[:, w] = np.where(has, v, np.nan)
    return ret, normal, ar, ar_se, car, np.sqrt(var), n_days, z_w


def _group_cover(day0, labels, in_data, est_in_data, first, Le, w_lo, w_hi, g):
    """Sample days of each event inside another same-label event's widest window.

    Returns ``(event, offset)`` index arrays (offset l = day - first_e) of the
    days with ``g`` true, one pair per day however many windows cover it.
    """
    E = day0.shape[0]
    order = np.argsort(labels, kind="stable")
    lab = labels[order]
    start = np.flatnonzero(np.concatenate([[True], lab[1:] != lab[:-1]]))
    size = np.diff(np.concatenate([start, [E]]))
    m = np.repeat(size, size)  # group size, per event in sorted order
    s0 = np.repeat(start, size)
    e_sorted = np.repeat(np.arange(E), m)
    within = np.arange(e_sorted.size) - np.repeat(np.cumsum(m) - m, m)
    e = order[e_sorted]
    f = order[s0[e_sorted] + within]
    keep = (e != f) & in_data[f] & est_in_data[e]
    e, f = e[keep], f[keep]
    lo = np.maximum(day0[f] + w_lo - first[e], 0)
    hi = np.minimum(day0[f] + w_hi - first[e], Le - 1)
    keep = lo <= hi
    e, lo, hi = e[keep], lo[keep], hi[keep]
    if e.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    # coverage per (event, offset) from +1/-1 steps, only on events with any
    rows, inv = np.unique(e, return_inverse=True)
    steps = np.zeros(rows.size * (Le + 1), dtype=np.int64)
    np.add.at(steps, inv * (Le + 1) + lo, 1)
    np.add.at(steps, inv * (Le + 1) + hi + 1, -1)
    cover = np.cumsum(steps.reshape(rows.size, Le + 1), axis=1)[:, :Le] > 0
    ri, li = np.nonzero(cover)
    ei = rows[ri]
    on = g[first[ei] + li]
    return ei[on], li[on]


def _residuals(base, const, terms, g, first, ok, Le, add, block=512, drop=None):
    """Estimation-sample residuals of all events, in cache-sized blocks of events.

    Residual of event e on day l: base[f_e + l] - const_e - Σ_j coef_je x_j[f_e + l]
    on the days where g is true (the series are zero elsewhere), for events
    with ok true. Returns (est_ar with NaN off the sample, the sample mask,
    the sum of squared residuals); ``add`` (E,) is added to est_ar after the
    sum of squares.
    """
    E, T = first.shape[0], base.shape[0]
    est_ar = np.full((E, Le), np.nan)
    used = np.zeros((E, Le), dtype=bool)
    ssr = np.zeros(E)
    if T < Le:
        return est_ar, used, ssr
    vb = sliding_window_view(base, Le)
    vg = sliding_window_view(g, Le)
    vx = [(sliding_window_view(x, Le), c) for x, c in terms]
    for s in range(0, E, block):
        sl = slice(s, s + block)
        f = first[sl]
        r = vb[f]
        r -= const[sl, None]
        for v, c in vx:
            t = v[f]
            t *= c[sl, None]
            r -= t
        u = vg[f]
        u &= ok[sl, None]
        if drop is not None:
            inb = (drop[0] >= s) & (drop[0] < s + block)
            u[drop[0][inb] - s, drop[1][inb]] = False
        r *= u
        ssr[sl] = np.einsum("el,el->e", r, r)
        if add is not None:
            r += add[sl, None]
        np.copyto(est_ar[sl], r, where=u)
        used[sl] = u
    return est_ar, used, ssr


def _gram(base, xs, g, first, ok, Le, drop=None, block=512):
    """X'X and X'y of every event's estimation sample, summed directly (no prefix sums).

    ``base`` and ``xs`` are zero off ``g``; rows of events with ``ok`` false
    are zero. Returns G (E, m, m) and b (E, m).
    """
    E, T, m = first.shape[0], base.shape[0], len(xs)
    G = np.zeros((E, m, m))
    b = np.zeros((E, m))
    if T < Le:
        return G, b
    vb = sliding_window_view(base, Le)
    vg = sliding_window_view(g, Le)
    vx = [sliding_window_view(x, Le) for x in xs]
    for s in range(0, E, block):
        sl = slice(s, s + block)
        f = first[sl]
        u = vg[f] & ok[sl, None]
        if drop is not None:
            inb = (drop[0] >= s) & (drop[0] < s + block)
            u[drop[0][inb] - s, drop[1][inb]] = False
        D = np.stack([np.where(u, v[f], 0.0) for v in vx], axis=2)
        G[sl] = np.einsum("eti,etj->eij", D, D)
        b[sl] = np.einsum("eti,et->ei", D, np.where(u, vb[f], 0.0))
    return G, b


def _synthetic_weights(G, b, ok):
    """Simplex-constrained least-squares weights of every event; (weights, singular).

    Events with the same sample statistics (pseudo-events drawn twice) are
    solved once. An event whose G is singular (correlation determinant at
    most 1e-10, the market model's rule) gets NaN weights and ``singular``.
    """
    E, m = b.shape
    w = np.full((E, m), np.nan)
    sing = np.zeros(E, dtype=bool)
    rows = np.flatnonzero(ok)
    if not rows.size:
        return w, sing
    key = np.concatenate([G[rows].reshape(rows.size, -1), b[rows]], axis=1)
    uniq, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    sol = np.full((uniq.shape[0], m), np.nan)
    bad = np.zeros(uniq.shape[0], dtype=bool)
    for u, r in enumerate(rows[first]):
        d = np.sqrt(np.diag(G[r]))
        with np.errstate(divide="ignore", invalid="ignore"):
            C = G[r] / np.outer(d, d)
        if not (d > 0).all() or not np.linalg.det(C) > 1e-10:
            bad[u] = True
            continue
        sol[u] = simplex_lstsq(G[r], b[r])
    w[rows] = sol[inv.reshape(-1)]
    sing[rows] = bad[inv.reshape(-1)]
    return w, sing


def simplex_lstsq(G, b, *, tol: float = SIMPLEX_TOL, max_iter: int | None = None) -> np.ndarray:
    """Least squares on the simplex: argmin ½w'Gw - b'w subject to w >= 0, 1'w = 1.

    With G = D'D and b = D'y this is min ||y - Dw||² over non-negative
    weights summing to one, the synthetic-control problem.

    Parameters
    ----------
    G : ndarray, (m, m)
        Positive definite Gram matrix D'D.
    b : ndarray, (m,)
        D'y.
    tol : float
        Relative tolerance of the optimality check (see Notes).
    max_iter : int, optional
        Active-set iterations after the start (default 10 m).

    Returns
    -------
    ndarray, (m,)
        The weights; exactly 0 off the support, summing to 1 to rounding.

    Raises
    ------
    EstimationError
        G not positive definite, or no optimum found within ``max_iter``.

    Notes
    -----
    Start: :func:`scipy.optimize.nnls` on ||Rw - R^{-T}b||² + M²(1'w - 1)²,
    G = R'R (Cholesky), M = 10³ max(1, √max G_jj). Then the primal active-set
    method for convex QP (Nocedal and Wright 2006, Algorithm 16.3): on the
    free set F, [[G_FF, 1], [1', 0]] [w_F; μ] = [b_F; 1]; a step that would
    make a weight negative stops at zero and fixes it; at w_F > 0 the fixed
    weights' multipliers ν = (Gw - b)_j + μ must be >= -tol (|G||w| + |b|)_j,
    else the most negative is freed. The problem is strictly convex, so the
    KKT point is the unique optimum.

    References
    ----------
    Nocedal, J., Wright, S. J. (2006). Numerical Optimization, 2nd ed.,
    section 16.5. Springer.
    """
    G = np.asarray(G, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    m = b.shape[0]
    try:
        R = linalg.cholesky(G, lower=False)
    except linalg.LinAlgError:
        raise EstimationError("simplex_lstsq: G is not positive definite (collinear donors); "
                              "drop a donor that copies another") from None
    c = linalg.solve_triangular(R, b, trans="T")
    M = 1e3 * max(1.0, float(np.sqrt(np.max(np.diag(G)))))
    w0, _ = optimize.nnls(np.vstack([R, np.full(m, M)]), np.append(c, M))
    if not w0.sum() > 0:
        w0 = np.full(m, 1.0 / m)
    w = w0 / w0.sum()
    free = w > 0
    scale = np.abs(G) @ np.ones(m) + np.abs(b)
    for _ in range(10 * m if max_iter is None else int(max_iter)):
        F = np.flatnonzero(free)
        K = np.zeros((F.size + 1, F.size + 1))
        K[:-1, :-1] = G[np.ix_(F, F)]
        K[:-1, -1] = K[-1, :-1] = 1.0
        sol = np.linalg.solve(K, np.append(b[F], 1.0))
        z = np.zeros(m)
        z[F] = sol[:-1]
        if (z[F] > 0).all():
            w = z
            nu = G @ w - b + sol[-1]
            nu[F] = 0.0
            j = int(np.argmin(nu / scale))
            if nu[j] >= -tol * scale[j]:
                return w
            free[j] = True
            continue
        # step from w towards z until the first weight reaches zero
        dec = (z < w) & free & (z <= 0)
        ratio = np.where(dec, w / np.where(dec, w - z, 1.0), np.inf)
        j = int(np.argmin(ratio))
        w = w + min(1.0, float(ratio[j])) * (z - w)
        w[j] = 0.0
        free[j] = False
        w = np.where(free, np.maximum(w, 0.0), 0.0)
        w = w / w.sum()
    raise EstimationError(f"simplex_lstsq: no optimum after {10 * m} active-set steps")


def _quad(z, Sinv):
    """z_el' Sinv_e z_el for z (E, L, m), Sinv (E, m, m), summed term by term (m is small)."""
    m = z.shape[2]
    out = np.zeros(z.shape[:2])
    for i in range(m):
        for j in range(m):
            out += z[:, :, i] * z[:, :, j] * Sinv[:, i, j, None]
    return out


def _window_sum(v, a, b):
    """Σ v[a_e:b_e] for every event e, from one prefix sum of v."""
    c = np.concatenate([[0.0], np.cumsum(v)])
    return c[b] - c[a]


def _bool_vector(name, value, T):
    arr = np.asarray(value)
    if arr.shape != (T,):
        raise EstimationError(f"{name} must have shape ({T},) like y; got {arr.shape}")
    if arr.dtype != bool:
        raise EstimationError(f"{name} must be a boolean array; got dtype {arr.dtype}")
    return arr
