"""The labelled event study: returns and an aligned catalogue in, a results object out.

:class:`EventStudy` turns a frame of returns (the asset's trade dates) and the
aligned event catalogue into the positional arrays of
:func:`eventstudy.estimate.estimate_arrays`, and :meth:`EventStudy.fit` puts the
labels (event ids, dates) back on in an :class:`~eventstudy.results.EventStudyResults`.
:func:`dummy_regression` is the second estimator: one OLS with a dummy per
event-window day and Newey-West standard errors.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from scipy import special

from .options import ReturnKind, check_option
from .estimate import Design, check_design, estimate_arrays
from .eventtime import engine_inputs, locate_day0, window_mask
from .exceptions import StudyConfigError
from .results import EventStudyResults, FitOptions, lag_name, lagged_names

__all__ = ["Design", "EventStudy", "check_donor_prices", "dummy_regression", "event_groups",
           "lagged_factors", "lead_lag_regression", "newey_west_lags"]

logger = logging.getLogger(__name__)

DEFAULT_WINDOWS = ((-1, 1), (0, 0), (0, 1), (0, 5))


class EventStudy:
    """Event study of one asset's returns around a catalogue of events.

    Parameters
    ----------
    returns : DataFrame
        Index: trade dates (sorted, unique; normally the exchange calendar's,
        see :func:`eventstudy.eventtime.on_calendar`); columns include
        ``asset`` and every factor.
    events : DataFrame
        Aligned catalogue (:func:`eventstudy.events.align_events`): ``id``,
        ``trade_date`` (NaT for pending events) and optionally ``title``,
        ``category``, ``direction`` (-1, 0, +1; 0 when absent).
    asset : str
        Column of ``returns`` holding the asset's returns.
    factors : sequence of str
        Factor columns (market model regressors; the one benchmark of
        ``market-adjusted``; none for ``constant-mean``; the donor pool of
        ``synthetic``).
    model : {'market', 'constant-mean', 'market-adjusted', 'synthetic'}
        Normal-return model (see :func:`eventstudy.estimate.estimate_arrays`).
    factor_lags : sequence of int
        Dimson lead/lag returns of the factors (market model): the design
        holds each factor's return ℓ rows earlier for each ℓ
        (:func:`lagged_factors`); default ``(0,)``.
    estimation : (int, int)
        Estimation window [T0, T1] in trade days relative to day 0.
    windows : sequence of (int, int)
        CAR windows [start, end] in trade days relative to day 0.
    roll, thin : Series of bool, optional
        Contract-roll dates (returns missing everywhere) and thin-trading
        dates (kept out of estimation samples with ``exclude_thin_trading``,
        flagged in event windows).
    exclude_other_events : bool
        Drop days inside another event's widest window from estimation samples.
    exclude_thin_trading : bool
        Drop thin-trading days from estimation samples.
    min_estimation_days : int
        Events with fewer estimation days are excluded, with the reason.
    exclude_windows_of : DataFrame, optional
        Events that are not studied (``id``, ``trade_date``) whose widest
        windows are also kept out of every estimation sample when
        ``exclude_other_events`` is on.
    known_events : DataFrame, optional
        Other dated events (``id``, ``trade_date``; default
        ``exclude_windows_of``): pseudo-events avoid their windows, and a
        window holding one of their day 0s is flagged in the tidy table.
    group_by : str
        Groups of the tests table (``all`` is always one): ``'direction'``
        (escalation, de-escalation, signed) or any column of ``events``, one
        group ``<column>=<value>`` per value.
    placebo_draws : int
        Pseudo-events of the placebo distribution (0: no placebo).
    seed : int
        Seed of the placebo draws.
    returns_kind : {'log', 'simple'}
        What the returns are, for labels.
    volatility : {'constant', 'garch'}
        ``'garch'`` adds GARCH(1, 1) single-event tests (:meth:`fit`).

    Raises
    ------
    OptionError
        Unknown ``model`` or ``group_by``.
    StudyConfigError
        Missing columns, malformed windows, a factor count the model cannot
        use, an index that is not sorted unique dates.

    Notes
    -----
    Day 0 is the position of the event's ``trade_date`` in the returns index
    (:func:`eventstudy.eventtime.locate_day0`): exactly that date, never a
    neighbouring row. An event without a date, or whose trade date has no
    row or lies outside the returns, is excluded with the reason.
    """

    def __init__(
        self,
        returns: pd.DataFrame,
        events: pd.DataFrame,
        *,
        asset: str,
        factors=(),
        model="market",
        estimation=(-250, -11),
        windows=DEFAULT_WINDOWS,
        roll: pd.Series | None = None,
        thin: pd.Series | None = None,
        exclude_other_events: bool = True,
        exclude_thin_trading: bool = True,
        min_estimation_days: int = 100,
        exclude_windows_of: pd.DataFrame | None = None,
        known_events: pd.DataFrame | None = None,
        group_by: str = "all",
        placebo_draws: int = 0,
        seed: int = 0,
        returns_kind: str = "log",
        volatility: str = "constant",
        factor_lags=(0,),
    ):
        if isinstance(factors, str):
            raise StudyConfigError(
                f"factors = {factors!r}: expected a list of tickers; write it as "
                f"factors=[{factors!r}]"
            )
        factors = list(factors)
        lags = tuple(sorted(int(g) for g in factor_lags))
        if not lags or len(set(lags)) != len(lags):
            raise StudyConfigError(f"factor_lags = {list(factor_lags)!r}: expected distinct "
                                   "integers, e.g. [-1, 0, 1]")
        if lags != (0,) and model != "market":
            raise StudyConfigError(f"factor_lags = {list(lags)!r}: lead and lag factor returns "
                                   f"belong to model='market'; got model={model!r}")
        self.factor_lags = lags
        self.model, self.estimation, wins, self.min_estimation_days = check_design(
            model, len(factors) * len(lags), estimation, windows, min_estimation_days
        )
        self.windows = tuple((int(a), int(b)) for a, b in wins)
        self.asset = asset
        self.factors = tuple(factors)
        self.exclude_other_events = bool(exclude_other_events)
        self.exclude_thin_trading = bool(exclude_thin_trading)
        if not isinstance(group_by, str) or not group_by:
            raise StudyConfigError(f"group_by = {group_by!r}: expected 'all', 'direction' or a "
                                   "column of the events")
        if group_by not in ("all", "direction") and group_by not in events.columns:
            raise StudyConfigError(
                f"group_by = {group_by!r}: not a column of the events (columns: "
                f"{', '.join(map(str, events.columns))}); use 'all', 'direction' or one of them")
        self.group_by = group_by
        self.returns_kind = check_option("returns_kind", returns_kind, ReturnKind)
        if isinstance(placebo_draws, bool) or not isinstance(placebo_draws, (int, np.integer)) \
                or placebo_draws < 0:
            raise StudyConfigError(
                f"placebo_draws = {placebo_draws!r}: expected a non-negative integer, e.g. 10000"
            )
        self.placebo_draws = int(placebo_draws)
        if volatility not in ("constant", "garch"):
            raise StudyConfigError(f"volatility = {volatility!r}: volatility must be one of "
                                   "'constant', 'garch'")
        self.volatility = volatility
        self.seed = int(seed)
        returns = _check_returns(returns, asset, self.factors)
        self.roll = _mask("roll", roll, returns.index)
        self.thin = _mask("thin", thin, returns.index)
        self.regressors = lagged_names(self.factors, lags)
        self.returns = lagged_factors(returns, self.factors, lags, self.roll)
        self.events = _check_events(events)
        for name, frame in (("exclude_windows_of", exclude_windows_of),
                            ("known_events", known_events)):
            if frame is not None and "trade_date" not in frame:
                raise StudyConfigError(
                    f"{name} needs a 'trade_date' column (the output of "
                    "eventstudy.events.align_events)"
                )
        self.exclude_windows_of = exclude_windows_of
        self.known_events = exclude_windows_of if known_events is None else known_events

    @property
    def options(self) -> FitOptions:
        """The options of this study, as stored on its results."""
        return FitOptions(
            asset=self.asset, factors=self.factors, model=self.model,
            returns=self.returns_kind, estimation=self.estimation, windows=self.windows,
            exclude_other_events=self.exclude_other_events,
            exclude_thin_trading=self.exclude_thin_trading,
            min_estimation_days=self.min_estimation_days, group_by=self.group_by,
            placebo_draws=self.placebo_draws, seed=self.seed, volatility=self.volatility,
            factor_lags=self.factor_lags,
        )

    def _other_day0(self, other=None) -> tuple[np.ndarray, np.ndarray]:
        """Day-0 positions and ids of other events (default ``known_events``) that have one."""
        other = self.known_events if other is None else other
        if other is None or not len(other):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
        pos, _ = locate_day0(other["trade_date"], self.returns.index)
        ids = (other["id"].astype(str).to_numpy() if "id" in other
               else np.full(len(other), "", dtype=object))
        keep = pos >= 0
        return pos[keep], ids[keep]

    def _blocked_days(self) -> np.ndarray | None:
        """Days inside the widest window of an event of ``exclude_windows_of``."""
        if not self.exclude_other_events or self.exclude_windows_of is None:
            return None
        lo = min(a for a, _ in self.windows)
        hi = max(b for _, b in self.windows)
        return window_mask(len(self.returns.index), self._other_day0(self.exclude_windows_of)[0],
                           lo, hi)

    def design(self) -> Design:
        """The engine's positional inputs and each event's day 0 (or why it has none).

        Returns
        -------
        Design
            ``y`` (T,), ``X`` (T, m), ``valid`` (T,) usable return days (asset
            and factors present, not a contract roll), ``est_ok`` (T,) days an
            estimation sample may hold (``valid`` and, with
            ``exclude_thin_trading``, not thin), ``day0`` (E,) positions
            (-1 when none) and ``reason`` (E,) ('' when located) — the inputs
            of :func:`eventstudy.estimate.estimate_arrays` and of the placebo
            distribution.
        """
        y, X, valid, est_ok, _ = engine_inputs(
            self.returns, self.asset, self.regressors, self.roll.to_numpy(),
            self.thin.to_numpy(), exclude_thin_trading=self.exclude_thin_trading)
        pos, reason = locate_day0(self.events["trade_date"], self.returns.index)
        return Design(y, X, valid, est_ok, pos, reason)

    def fit(self) -> EventStudyResults:
        """Estimate every event's normal-return model, abnormal returns and every test.

        Returns
        -------
        EventStudyResults
            With the test battery of the ``group_by`` groups (placebo rows
            when ``placebo_draws > 0``), the per-event SQ and placebo
            p-values and the placebo distribution itself.
        """
        from .inference import per_event_tests, placebo_distribution, test_battery

        y, X, valid, est_ok, pos, pre_reason = self.design()
        located = pre_reason == ""
        if self.model == "synthetic":
            check_donor_prices(self.returns, self.factors, pos[located], self.estimation,
                               self.events["id"].astype(str).to_numpy()[located])
        arrays = estimate_arrays(
            y, X, valid, est_ok, pos[located],
            model=self.model, estimation=self.estimation, windows=self.windows,
            exclude_other_events=self.exclude_other_events,
            min_estimation_days=self.min_estimation_days,
            exclude_positions=self._blocked_days(),
        )
        arrays = _exclude_degenerate(arrays)
        everything = self.events.assign(_order=np.arange(len(self.events)))
        ids = everything["id"].astype(str).to_numpy()
        for i in np.flatnonzero(~located):
            logger.info("event %s excluded: %s", ids[i], pre_reason[i])
        events = everything.loc[located].reset_index(drop=True)
        other_pos, other_ids = self._other_day0()
        placebo = None
        if self.placebo_draws > 0 and arrays.used.any():
            # Pseudo-events avoid the window of every event given, studied or not.
            placebo = placebo_distribution(
                y, X, valid, est_ok, model=self.model, estimation=self.estimation,
                windows=self.windows, event_day0=np.concatenate([pos[located], other_pos]),
                draws=self.placebo_draws, seed=self.seed,
                min_estimation_days=self.min_estimation_days, day0_ok=est_ok,
            )
        groups = event_groups(events, arrays.used, self.group_by)
        tests = test_battery(arrays, groups, placebo=placebo) if arrays.used.any() else None
        per_event = per_event_tests(arrays, placebo=placebo)
        per_event.update(_volatility_tests(arrays, y, X, est_ok, self.model, self.volatility))
        return EventStudyResults(
            arrays=arrays,
            events=events,
            excluded=everything.loc[~located].assign(reason=pre_reason[~located])
            .reset_index(drop=True),
            dates=self.returns.index,
            roll=self.roll.to_numpy(),
            thin=self.thin.to_numpy(),
            missing=~(np.isfinite(y) & np.isfinite(X).all(axis=1)),
            options=self.options,
            groups=groups,
            tests=tests,
            per_event=per_event,
            placebo=placebo,
            y=y,
            X=X,
            other_day0=(other_pos, other_ids),
            model=self,
        )

    def dummy_regression(self, *, events=None, maxlags=None, classical=None) -> pd.DataFrame:
        """Run :func:`dummy_regression` with this study's data and options.

        ``events`` defaults to every event of the study (pass the used ones to
        match the fitted results); pass ``classical=results.car`` (from
        :meth:`fit`) to get the classical CARs beside the dummy-regression ones.
        """
        return dummy_regression(
            self.returns,
            self.events if events is None else events,
            asset=self.asset,
            factors=self.regressors,
            windows=self.windows,
            estimation=self.estimation,
            roll=self.roll,
            thin=self.thin,
            exclude_thin_trading=self.exclude_thin_trading,
            maxlags=maxlags,
            classical=classical,
        )


#: Why an event whose estimation sample has no residual variance is excluded.
ZERO_VARIANCE = ("zero residual variance in the estimation sample (constant returns, e.g. a "
                 "price that never moves): no test is possible")


def _exclude_degenerate(arrays):
    """Events whose estimation residuals have no variance, excluded with the reason.

    A constant return series leaves s² = 0: every standard error is 0 and every
    t statistic undefined, so the event cannot be tested and is excluded (its
    results set to NaN) rather than reported with a NaN t.
    """
    import dataclasses

    bad = arrays.used & ~(arrays.s2 > 0)
    if not bad.any():
        return arrays
    used = arrays.used & ~bad
    reason = arrays.reason.copy()
    reason[bad] = ZERO_VARIANCE
    for i in np.flatnonzero(bad):
        logger.warning("event at position %d excluded: %s", int(arrays.day0[i]), ZERO_VARIANCE)

    def blank(a):
        a = np.array(a, dtype=float, copy=True)
        a[bad] = np.nan
        return a

    return dataclasses.replace(
        arrays, used=used, reason=reason,
        **{name: blank(getattr(arrays, name)) for name in
           ("car", "car_se", "tstat", "pvalue", "ar", "ar_se", "normal", "ret", "params")})


def _volatility_tests(arrays, y, X, est_ok, model, volatility) -> dict:
    """The volatility-regime diagnostic of every event and, with ``'garch'``, GARCH tests.

    Notes
    -----
    The regime diagnostic compares the last 20 estimation days' residual
    variance with the rest of the sample (F test,
    :func:`eventstudy.volatility.volatility_regime`): a ratio far from 1 says
    the window may sit in another volatility regime than the sample that
    measured its variance (Elsas and Schoch 2019). With ``'garch'``, one
    GARCH(1, 1) is fitted with ``arch`` on the asset's residuals from one
    normal-return regression over every usable day (the parameters look at
    the whole series; the variances do not), then filtered forward from each
    event's estimation sample over its window
    (:func:`eventstudy.volatility.ewma_event_tests` with ``params``).
    """
    from .volatility import ewma_event_tests, fixed_garch_params, volatility_regime

    out = {}
    regime = volatility_regime(arrays.est_ar)
    out["vol_ratio"] = np.asarray(regime.ratio, dtype=float)
    out["vol_ratio_p"] = np.asarray(regime.pvalue, dtype=float)
    if volatility == "garch" and arrays.used.any():
        params = fixed_garch_params(y, X, est_ok, model)
        tests = ewma_event_tests(arrays, params=params)
        out["garch_se"] = np.asarray(tests.car_se, dtype=float)
        out["garch_t"] = np.asarray(tests.tstat, dtype=float)
        out["garch_p"] = np.asarray(tests.pvalue, dtype=float)
    return out


def event_groups(events: pd.DataFrame, used, group_by: str) -> dict:
    """The groups of the tests table: name -> (event rows, sign per event).

    Parameters
    ----------
    events : DataFrame
        The located events (``direction``, ``category``), in the rows of the
        engine's arrays.
    used : ndarray of bool
        Events the engine used.
    group_by : str
        ``'all'``, ``'direction'`` or a column of ``events``.

    Returns
    -------
    dict
        ``all`` (every used event, sign +1); with ``'direction'``,
        ``escalation`` (direction -1), ``de-escalation`` (+1) and ``signed``
        (both, sign = direction, so that a positive statistic means prices
        moved the way the news points); with any other column, one
        ``<column>=<value>`` per value. A group is listed when it has at least
        one used event.
    """
    idx = np.flatnonzero(np.asarray(used, dtype=bool))
    groups = {"all": (idx, np.ones(idx.size))}
    direction = events["direction"].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
    if group_by == "direction":
        for d, name in ((-1, "escalation"), (1, "de-escalation")):
            sel = idx[direction[idx] == d]
            if sel.size:
                groups[name] = (sel, np.ones(sel.size))
        sel = idx[direction[idx] != 0]
        if sel.size:
            groups["signed"] = (sel, direction[sel].astype(np.float64))
    elif group_by != "all":
        values = events[group_by].astype(object).where(events[group_by].notna(), "")
        values = values.astype(str).to_numpy()
        for value in dict.fromkeys(values[idx]):
            if value in ("", "<NA>", "nan", "None"):
                continue
            sel = idx[values[idx] == value]
            groups[f"{group_by}={value}"] = (sel, np.ones(sel.size))
    return groups


def lagged_factors(returns: pd.DataFrame, factors, lags, roll=None) -> pd.DataFrame:
    """``returns`` with each factor's return ℓ rows earlier added, for each lag ℓ ≠ 0.

    Parameters
    ----------
    returns : DataFrame
        Returns on the trade dates (normally the exchange calendar's), with
        the factor columns.
    factors : sequence of str
    lags : sequence of int
        ℓ > 0 a lag (column ``<factor>_lag<ℓ>`` holds the return of row t - ℓ
        at row t), ℓ < 0 a lead (``<factor>_lead<-ℓ>``, row t + |ℓ|); 0 is the
        factor itself (:func:`eventstudy.results.lag_name`).
    roll : Series of bool, optional
        Contract-roll dates: a shifted return that comes from a roll day is
        missing (it spans a contract switch of the asset or a futures factor).

    Returns
    -------
    DataFrame
        A copy with the new columns (the same frame when ``lags`` is ``(0,)``).
        Rows are trade dates, so a lag is one trade date of the asset's
        calendar; a shifted value is missing where the source row is missing
        or a roll, and at the ends of the index.
    """
    lags = [int(g) for g in lags if int(g) != 0]
    if not lags:
        return returns
    src = returns[list(factors)]
    if roll is not None:
        off = ~roll.reindex(returns.index, fill_value=False).to_numpy(dtype=bool)
        src = src.where(np.repeat(off[:, None], src.shape[1], axis=1))
    new = {lag_name(f, g): src[f].shift(g) for f in factors for g in lags}
    return returns.assign(**new)


def lead_lag_regression(returns: pd.DataFrame, *, asset: str, factors, lags=(-1, 0, 1),
                        roll: pd.Series | None = None, thin: pd.Series | None = None,
                        exclude_thin_trading: bool = True, start=None, end=None,
                        maxlags: int | None = None) -> pd.DataFrame:
    """Whether leads and lags of the factors explain the asset: OLS with and without them.

    Parameters
    ----------
    returns : DataFrame
        Returns on the trade dates (the exchange calendar's), with ``asset``
        and the ``factors``.
    asset : str
    factors : sequence of str
    lags : sequence of int
        The Dimson lags (must include 0; see :func:`lagged_factors`).
    roll, thin : Series of bool, optional
        Roll days are left out (and shifted returns from them are missing);
        thin-trading days too with ``exclude_thin_trading``.
    start, end : date-like, optional
        The sample's first and last trade dates.
    maxlags : int, optional
        Newey-West lags; default floor(4 (T/100)^(2/9)).

    Returns
    -------
    DataFrame
        One row per factor and lag and one per factor's sum: ``factor, lag``
        (an integer, or ``'sum'``), ``term, coef, se_hac, t_hac, p_hac``.
        ``attrs``: ``nobs, maxlags, first, last, r2_base`` (the plain market
        model), ``r2_lagged`` (with the leads and lags), both on the same
        days (those where every lagged return exists).

    Notes
    -----
    R_t = α + Σ_f Σ_ℓ β_fℓ R_f,t-ℓ + ε_t by OLS over the sample, with
    statsmodels' Newey-West (Bartlett) HAC covariance V; the summed beta of
    factor f is Σ_ℓ β_fℓ with se √(1'V_f 1) (Dimson 1979). The plain model
    R_t = α + Σ_f β_f R_f,t + ε_t is fitted on the same days, so that the two
    R² compare like with like.
    """
    import statsmodels.api as sm

    factors = list(factors)
    lags = sorted(int(g) for g in lags)
    if 0 not in lags:
        raise StudyConfigError(f"lags = {lags!r}: include 0 (the same-day factor return)")
    returns = _check_returns(returns, asset, factors)
    roll_m = _mask("roll", roll, returns.index)
    thin_m = _mask("thin", thin, returns.index)
    frame = lagged_factors(returns, factors, lags, roll_m)
    cols = list(lagged_names(factors, lags))
    keep = frame[[asset, *cols]].notna().all(axis=1) & ~roll_m
    if exclude_thin_trading:
        keep &= ~thin_m
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
    y = sample[asset].to_numpy(dtype=float)
    full = sm.OLS(y, sm.add_constant(sample[cols].to_numpy(dtype=float), has_constant="add"))
    fit = full.fit(cov_type="HAC", cov_kwds={"maxlags": lag_n})
    base = sm.OLS(y, sm.add_constant(sample[factors].to_numpy(dtype=float),
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


def check_donor_prices(returns: pd.DataFrame, donors, day0, estimation, event_ids, *,
                       prefix: str = "") -> None:
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
        Put before the message (the study file, ``"Study: "``).

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


def newey_west_lags(nobs: int) -> int:
    """Newey-West (1994) rule of thumb: floor(4 (T/100)^(2/9))."""
    return int(math.floor(4.0 * (nobs / 100.0) ** (2.0 / 9.0)))


def dummy_regression(
    returns: pd.DataFrame,
    events: pd.DataFrame,
    *,
    asset: str,
    factors=(),
    windows=DEFAULT_WINDOWS,
    estimation=(-250, -11),
    roll: pd.Series | None = None,
    thin: pd.Series | None = None,
    exclude_thin_trading: bool = True,
    maxlags: int | None = None,
    classical: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """CARs from one OLS with a dummy per event-window day and HAC standard errors.

    Parameters
    ----------
    returns, events, asset, factors, windows, estimation, roll, thin, exclude_thin_trading
        As for :class:`EventStudy`; ``estimation`` only fixes where the sample starts.
    maxlags : int, optional
        Newey-West lags; default floor(4 (T/100)^(2/9)) with T the sample size
        (Newey and West 1994).
    classical : DataFrame, optional
        A CAR table (:attr:`EventStudyResults.car`); its ``car, car_se, t, p,
        n_days`` are joined as ``*_classical`` columns beside the dummy ones.

    Returns
    -------
    DataFrame
        One row per (event, window): ``event_id, start, end, car, car_se, t, p,
        n_days`` — the headline columns, with the classical OLS standard error
        of the contrast (valid for one-observation dummies: it equals the
        prediction-error variance of the market model; Student t with the
        regression's residual degrees of freedom); ``car_se_window, t_window,
        p_window`` (the window-HAC se of the Notes; normal p); and, as a
        diagnostic only, ``car_se_hac, t_hac, p_hac`` (statsmodels' Newey–West
        HAC se) with ``hac_unreliable`` (True where that HAC se rests on
        one-observation dummies — every CAR with a day, in this design);
        ``attrs`` holds ``nobs``, ``maxlags``, ``first``, ``last`` (the
        sample) and ``n_dummies``.

    Notes
    -----
    Sample: the contiguous stretch of the asset's trade dates from the earliest
    located event's estimation start (day 0 + T0, or the first date) to the
    latest event's widest-window end, less the days whose asset or factor
    return is missing or that span a roll, and — when ``exclude_thin_trading``
    — thin days outside every event window. The regression is

    .. math:: R_t = α + β'X_t + Σ_d δ_d D_{d,t} + ε_t,

    with one dummy D_d for each distinct calendar trade day d inside some
    event's widest window [min start, max end]. A day inside the windows of
    two events gets one dummy, shared: each event's CAR over [a, b] is
    Σ δ_d over its own window days, so a shared day counts in both CARs (the
    two CARs are then correlated, which the covariance below carries).
    Var(CAR) = c'Σc with Σ the Newey-West (Bartlett kernel) covariance of
    statsmodels' ``OLS(...).fit(cov_type="HAC")`` and c the 0/1 contrast of the
    event's dummies; t = CAR/se, p two-sided from the normal distribution
    (statsmodels' default for HAC). Events without a trade date or after the
    data are left out.

    **The HAC se of a one-observation dummy is unreliable.** A dummy that is 1
    on one observation has leverage 1: it fits that observation exactly, the
    residual there is 0, and the Newey-West "meat" Σ_t Σ_s w_|t-s| x_t e_t
    e_s x_s' for its coefficient is built from that zero residual and the
    neighbours' residuals only, so the HAC variance of δ_d is close to 0
    (on the trade-war study the HAC se is a median 0.16 times the
    classical one). This is the known downward bias of heteroskedasticity-
    (and autocorrelation-) consistent estimators at high-leverage points
    (Chesher and Jewitt 1987; MacKinnon and White 1985), in its extreme
    form. The HAC column is kept (statsmodels' estimator, as specified) but
    flagged in ``hac_unreliable`` and a warning is logged once per call.
    Two estimates stand beside it:

    - ``car_se_ols``: c'(s² (D'D)⁻¹)c from the same regression, D its
      design, s² = SSR/(T - p) — the classical se, which equals the
      prediction-error variance of the market model on the non-dummy days.
    - ``car_se_window`` (window HAC): with one-observation dummies, the
      estimates of θ = (α, β) equal the factor-only OLS on the rows without
      a dummy, and δ̂_d = ε_d - z_d'(θ̂ - θ), z_d = (1, X_d). So
      CAR = c'ε_D - g'(θ̂ - θ) with g = Σ_d c_d z_d, and

      .. math:: \\widehat{Var}(CAR) = \\sum_{d,d'} c_d c_{d'}
                w_{|i_d - i_{d'}|}\\hat\\gamma(|i_d - i_{d'}|)
                + g'\\hat\\Sigma_\\theta g,

      where i_d is the row of day d in the sample, γ̂(h) = (1/n₀) Σ_t e_t
      e_{t-h} the autocovariance of the factor-only residuals e (n₀ rows
      without a dummy, lags counted in their row order),
      w_h = 1 - h/(L + 1) for h <= L and 0 beyond (Bartlett weights, L the
      Newey-West lag, so the matrix is positive semi-definite), and
      Σ̂_θ the statsmodels Newey-West covariance of θ̂ in the factor-only
      regression with the same L. It treats the window errors as
      independent of θ̂ (the estimation sample's errors), as the classical
      prediction-error variance does, and allows serial correlation within
      the window and in θ̂.

    References
    ----------
    Chesher, A., Jewitt, I. (1987). The bias of a heteroskedasticity
    consistent covariance matrix estimator. Econometrica, 55(5), 1217-1222.
    MacKinnon, J. G., White, H. (1985). Some heteroskedasticity-consistent
    covariance matrix estimators with improved finite sample properties.
    Journal of Econometrics, 29(3), 305-325.
    Newey, W. K., West, K. D. (1994). Automatic lag selection in covariance
    matrix estimation. Review of Economic Studies, 61(4), 631-653.
    Karafiath, I. (1988). Using dummy variables in the event methodology.
    Financial Review, 23(3), 351-357.
    """
    import statsmodels.api as sm

    factors = [factors] if isinstance(factors, str) else list(factors)
    _, est, wins, _ = check_design(
        "market" if factors else "constant-mean",
        len(factors),
        estimation,
        windows,
        2 + len(factors),
    )
    returns = _check_returns(returns, asset, factors)
    events = _check_events(events)
    idx = returns.index
    T = len(idx)
    roll_m = _mask("roll", roll, idx).to_numpy()
    thin_m = _mask("thin", thin, idx).to_numpy()
    y, X, valid, _, _ = engine_inputs(returns, asset, factors, roll_m, thin_m)

    pos, _ = locate_day0(events["trade_date"], idx)
    # Events without a day 0 in the returns (pending, outside the data) have no dummy day.
    keep = pos >= 0
    if not keep.any():
        raise StudyConfigError("dummy_regression: no event has a trade date inside the returns")
    ids = events["id"].astype(str).to_numpy()[keep]
    pos = pos[keep]
    lo_w, hi_w = int(wins[:, 0].min()), int(wins[:, 1].max())
    first = max(int(pos.min()) + est[0], 0)
    last = min(int(pos.max()) + hi_w, T - 1)
    in_win = window_mask(T, pos, lo_w, hi_w)
    sample = np.zeros(T, dtype=bool)
    sample[first : last + 1] = True
    sample &= valid
    if exclude_thin_trading:
        sample &= ~(thin_m & ~in_win)
    rows = np.flatnonzero(sample)
    dummy_days = np.flatnonzero(in_win & sample)
    col_of = np.full(T, -1, dtype=np.int64)
    col_of[dummy_days] = np.arange(dummy_days.size)
    D = np.zeros((rows.size, dummy_days.size))
    D[np.searchsorted(rows, dummy_days), np.arange(dummy_days.size)] = 1.0
    design = np.column_stack([np.ones(rows.size), X[rows], D])
    nobs = rows.size
    lags = newey_west_lags(nobs) if maxlags is None else int(maxlags)
    if lags < 0:
        raise StudyConfigError(f"maxlags must be a non-negative integer; got {maxlags!r}")
    ols = sm.OLS(y[rows], design).fit()
    fit = ols.get_robustcov_results(cov_type="HAC", maxlags=lags)
    n0 = 1 + X.shape[1]
    delta = np.asarray(fit.params)[n0:]
    cov = np.asarray(fit.cov_params())[n0:, n0:]
    cov_ols = np.asarray(ols.cov_params())[n0:, n0:]
    # The window-HAC variance: Newey-West pieces from the factor-only
    # regression on the rows without a dummy (see Notes).
    base = np.ones(rows.size, dtype=bool)
    base[np.searchsorted(rows, dummy_days)] = False
    zfit = sm.OLS(y[rows][base], design[base, :n0]).fit()
    zhac = zfit.get_robustcov_results(cov_type="HAC", maxlags=lags)
    gamma = _bartlett_autocov(np.asarray(zfit.resid), lags)

    E, W = pos.size, wins.shape[0]
    C = np.zeros((E * W, dummy_days.size))
    n_days = np.zeros(E * W, dtype=np.int64)
    for w, (a, b) in enumerate(wins):
        days = pos[:, None] + np.arange(a, b + 1)[None, :]
        inside = (days >= 0) & (days < T)
        cols = np.where(inside, col_of[np.clip(days, 0, T - 1)], -1)
        r, c = np.nonzero(cols >= 0)
        C[r * W + w, cols[r, c]] = 1.0
        n_days[np.arange(E) * W + w] = (cols >= 0).sum(axis=1)
    car = C @ delta
    has = n_days > 0
    car = np.where(has, car, np.nan)
    se = np.where(has, np.sqrt(np.einsum("ij,jk,ik->i", C, cov, C)), np.nan)
    se_ols = np.where(has, np.sqrt(np.einsum("ij,jk,ik->i", C, cov_ols, C)), np.nan)
    # window-HAC: Var = c' Γ c + g' Σ_θ g over the dummy days (sample rows)
    G = C @ design[np.searchsorted(rows, dummy_days), :n0]
    lag = np.abs(np.subtract.outer(np.searchsorted(rows, dummy_days),
                                   np.searchsorted(rows, dummy_days)))
    Gam = np.where(lag <= lags, gamma[np.minimum(lag, lags)], 0.0)
    v_win = np.einsum("ij,jk,ik->i", C, Gam, C) + np.einsum(
        "ij,jk,ik->i", G, np.asarray(zhac.cov_params()), G
    )
    se_win = np.where(has, np.sqrt(np.maximum(v_win, 0.0)), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = car / se
        t_ols = car / se_ols
        t_win = car / se_win
    df_resid = float(ols.df_resid)
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
    out = pd.DataFrame(
        {
            "event_id": np.repeat(ids, W),
            "start": np.tile(wins[:, 0], E),
            "end": np.tile(wins[:, 1], E),
            "car": car,
            # headline: the classical OLS se, valid for one-observation dummies
            "car_se": se_ols,
            "t": t_ols,
            "p": 2.0 * special.stdtr(df_resid, -np.abs(t_ols)),
            "n_days": n_days,
            "car_se_window": se_win,
            "t_window": t_win,
            "p_window": 2.0 * special.ndtr(-np.abs(t_win)),
            # diagnostic: statsmodels' Newey-West HAC, which collapses here
            "car_se_hac": se,
            "t_hac": t,
            "p_hac": 2.0 * special.ndtr(-np.abs(t)),
            "hac_unreliable": one_obs,
        }
    )
    if classical is not None:
        cols = ["car", "car_se", "t", "p", "n_days"]
        right = classical[["event_id", "start", "end", *cols]].rename(
            columns={c: f"{c}_classical" for c in cols}
        )
        out = out.merge(right, on=["event_id", "start", "end"], how="left")
    out.attrs.update(
        {
            "method": "dummy-variable OLS, Newey-West HAC",
            "nobs": int(nobs),
            "maxlags": lags,
            "first": idx[first],
            "last": idx[last],
            "n_dummies": int(dummy_days.size),
        }
    )
    return out


def _bartlett_autocov(e, lags):
    """γ̂(h) w_h for h = 0..lags: (1/n) Σ_t e_t e_(t-h) times 1 - h/(lags + 1)."""
    n = e.size
    h = np.arange(lags + 1)
    acov = np.array([e[j:] @ e[: n - j] for j in h]) / n
    return acov * (1.0 - h / (lags + 1.0))


def _check_returns(returns, asset, factors) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame):
        raise StudyConfigError(f"returns must be a DataFrame; got {type(returns).__name__}")
    missing = [c for c in [asset, *factors] if c not in returns.columns]
    if missing:
        raise StudyConfigError(
            f"returns has no column {', '.join(map(repr, missing))}; its columns are "
            f"{list(map(str, returns.columns))}. Compute returns for the asset and every factor"
        )
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise StudyConfigError("returns must be indexed by trade dates (a DatetimeIndex)")
    if not (returns.index.is_monotonic_increasing and returns.index.is_unique):
        raise StudyConfigError("returns' index of trade dates must be sorted and unique")
    return returns


def _mask(name, mask, index) -> pd.Series:
    if mask is None:
        return pd.Series(False, index=index, name=name)
    if not isinstance(mask, pd.Series):
        raise StudyConfigError(
            f"{name} must be a boolean Series indexed by date; got {type(mask).__name__}"
        )
    return mask.reindex(index, fill_value=False).fillna(False).astype(bool)


def _check_events(events) -> pd.DataFrame:
    if not isinstance(events, pd.DataFrame):
        raise StudyConfigError(f"events must be a DataFrame; got {type(events).__name__}")
    missing = [c for c in ("id", "trade_date") if c not in events.columns]
    if missing:
        raise StudyConfigError(
            f"events has no column {', '.join(map(repr, missing))}; pass the aligned catalogue "
            f"(eventstudy.events.align_events)"
        )
    ev = events.reset_index(drop=True)
    if ev["id"].duplicated().any():
        dup = ev.loc[ev["id"].duplicated(), "id"].iloc[0]
        raise StudyConfigError(f"events has duplicate id {dup!r}; ids must be unique")
    ev = ev.assign(trade_date=pd.to_datetime(ev["trade_date"]))
    if "category" not in ev.columns:
        ev = ev.assign(category="")
    ev = ev.assign(
        category=ev["category"].astype(object).where(ev["category"].notna(), "").astype(str)
    )
    if "direction" not in ev.columns:
        ev = ev.assign(direction=0)
    ev = ev.assign(direction=pd.array(ev["direction"], dtype="Int64").fillna(0))
    return ev
