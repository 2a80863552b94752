"""One analysis, down the pipeline once: a Study in, a results object out.

:func:`analyse` reads the study's prices, builds the returns panel on the
exchange calendar with its masks (:func:`eventstudy.panel.study_returns`),
aligns the events file to sessions and hands everything to :func:`fit`.
:func:`fit` is the same analysis on a returns panel and events of your own:
it places every event in event time, estimates the normal-return models
(:func:`eventstudy.estimate.estimate_arrays`), runs every test — the
battery of the ``group_by`` groups, the per-event SQ and placebo tests, the
volatility diagnostics, the placebo distribution and, when asked, the size
check — and wraps them in an :class:`~eventstudy.results.EventStudyResults`.
Each stage runs once; none returns to an earlier one.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd

from .config import Study, error_prefix, study_error
from .estimate import Design, estimate_arrays
from .exceptions import StudyConfigError
from .inference import per_event_tests, placebo_distribution, test_battery
from .panel import (
    check_donor_prices,
    check_events,
    check_panel,
    engine_inputs,
    lagged_factors,
    locate_day0,
    study_returns,
    window_mask,
)
from .results import EventStudyResults, MultiAssetResults

__all__ = ["ZERO_VARIANCE", "analyse", "event_groups", "fit", "select_events"]

logger = logging.getLogger(__name__)

#: Why an event whose estimation sample has no residual variance is excluded.
ZERO_VARIANCE = ("zero residual variance in the estimation sample (constant returns, e.g. a "
                 "price that never moves): no test is possible")

#: Columns of an aligned events file that ``group_by`` cannot name.
_NOT_GROUPS = ("id", "date", "time", "tz", "timing", "title", "source", "notes", "direction",
               "exchange_time", "trade_date", "rule", "status")


def analyse(study: Study, prices_dir=None, *, size_check: bool = False):
    """Run a study: prices, returns panel, alignment, estimation, every test — once.

    Parameters
    ----------
    study : Study
        From :func:`~eventstudy.config.load_study`, built in code, or
        :meth:`Study.replace` for a variant.
    prices_dir : path-like, optional
        Folder of price snapshots; ``None`` means ``$EVENTSTUDY_PRICES_DIR``,
        else Yahoo through the cache.
    size_check : bool
        Also measure which single-event tests hold their size on the asset's
        returns (:func:`eventstudy.simulation.size_check`, cached): the tidy
        table's ``lead_test`` and ``lead_p`` then name the test whose
        p-value leads in each window, and the report and ``summary.md``
        grade only those p-values.

    Returns
    -------
    EventStudyResults or MultiAssetResults
        With ``study``, ``data`` (the :class:`~eventstudy.panel.ReturnData` on
        the exchange calendar) and ``catalogue`` (the whole aligned events
        file); a study with ``assets`` gives each asset's results exactly as
        its own one-asset study (:meth:`Study.for_asset`).

    Raises
    ------
    StudyConfigError
        A study that is not a :class:`Study`, and every error of :func:`fit`.

    Notes
    -----
    With ``other_events = 'file'`` every dated event of the events file keeps
    its widest window out of the estimation samples (with
    ``exclude_other_events``), not only the study's own events; pseudo-events
    of the placebo avoid every catalogued event's window.
    """
    from .events import align_events, load_events

    _check_study(study, "analyse")
    if study.assets is not None:
        return MultiAssetResults(
            {a: analyse(study.for_asset(a), prices_dir=prices_dir, size_check=size_check)
             for a in study.asset_list},
            study=study)
    panel, calendar = study_returns(study, prices_dir=prices_dir)
    catalogue = align_events(load_events(study.events), calendar,
                             last_date=panel.returns.index[-1] if len(panel.returns) else None)
    # the loader's per-row line numbers ride in attrs, which pandas deep-copies on
    # every operation; the analysis needs none of them
    catalogue.attrs = {}
    return fit(study, panel, catalogue, size_check=size_check)


def fit(study: Study, panel, events: pd.DataFrame, *, size_check: bool = False
        ) -> EventStudyResults:
    """The analysis of one asset on a returns panel and aligned events of your own.

    Parameters
    ----------
    study : Study
        A one-asset study: the asset, its model and every option (its
        ``events`` file is not read: ``events`` are).
    panel : ReturnData or DataFrame
        The returns panel: index the trade dates (sorted, unique; normally the
        exchange calendar's, :func:`eventstudy.panel.on_calendar`), columns
        the asset and the model's ``factors`` (or ``donors``), with roll and
        thin-trading masks (:func:`eventstudy.panel.prepare_returns`,
        :func:`eventstudy.panel.returns_panel`); a DataFrame is a panel
        without masks.
    events : DataFrame
        The aligned events (:func:`eventstudy.events.align_events`): ``id``,
        ``trade_date`` (NaT for pending events) and optionally ``title``,
        ``category``, ``direction`` (-1, 0, +1; 0 when absent), ``status``.
        The study's ``event_ids`` (all when None) are studied; the other dated
        events are "other events" (:func:`select_events`).
    size_check : bool
        Also run the size check of the single-event tests on this panel
        (:func:`eventstudy.simulation.size_check`).

    Returns
    -------
    EventStudyResults

    Raises
    ------
    StudyConfigError
        A multi-asset study, a panel without the study's columns or not
        indexed by sorted unique dates, events without ``id`` or
        ``trade_date`` or with a repeated id, event ids or a ``group_by``
        column the events do not hold, a donor without prices over an
        event's estimation window.

    Notes
    -----
    Day 0 is the position of the event's ``trade_date`` in the returns index
    (:func:`eventstudy.panel.locate_day0`): exactly that date, never a
    neighbouring row. An event without a date, or whose trade date has no
    row or lies outside the returns, is excluded with the reason.
    """
    _check_study(study, "fit")
    if study.assets is not None:
        raise StudyConfigError(f"{error_prefix(study.path)}fit takes a study of one asset; "
                               "analyse a study with assets, or fit study.for_asset(asset)")
    panel = check_panel(panel, [study.asset, *study.regressors])
    studied, others = select_events(study, events)
    design, other_day0 = _design(study, panel, studied, others)
    located = design.reason == ""
    if study.model == "synthetic":
        check_donor_prices(panel.returns, study.donors, design.day0[located], study.estimation,
                           studied["id"].astype(str).to_numpy()[located],
                           prefix=error_prefix(study.path))
    blocked = None
    if study.exclude_other_events and study.other_events == "file" and len(others):
        blocked = window_mask(len(design.y), other_day0[0], min(a for a, _ in study.windows),
                              max(b for _, b in study.windows))
    arrays = _exclude_degenerate(estimate_arrays(
        design.y, design.X, design.valid, design.est_ok, design.day0[located],
        model=study.model, estimation=study.estimation, windows=study.windows,
        exclude_other_events=study.exclude_other_events,
        min_estimation_days=study.min_estimation_days, exclude_positions=blocked))
    everything = studied.assign(_order=np.arange(len(studied)))
    used_events = everything.loc[located].reset_index(drop=True)
    placebo, groups, tests, per_event = _infer(study, design, arrays, used_events,
                                               other_day0[0])
    check = None
    if size_check and arrays.used.any():
        from .simulation import size_check as check_sizes

        check = check_sizes(design, study)
    results = EventStudyResults(
        study=study, data=panel, catalogue=events, design=design, arrays=arrays,
        events=used_events,
        excluded=everything.loc[~located].assign(reason=design.reason[~located])
        .reset_index(drop=True),
        groups=groups, tests=tests, per_event=per_event, placebo=placebo,
        other_day0=other_day0, size_check=check)
    for rec in results.events[results.events["status"] == "excluded"].itertuples():
        logger.info("%s: event %s excluded: %s", study.name, rec.event_id, rec.reason)
    return results


def _check_study(study, caller: str) -> None:
    if not isinstance(study, Study):
        raise StudyConfigError(
            f"{caller} needs a Study (eventstudy.load_study(path) or eventstudy.Study(...)); "
            f"got {type(study).__name__}"
        )


def select_events(study: Study, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events a study measures and the other dated events, checked against the study.

    Parameters
    ----------
    study : Study
    events : DataFrame
        The aligned events (``id``, ``trade_date``, optionally ``status``).

    Returns
    -------
    (DataFrame, DataFrame)
        The studied events (``event_ids``, every event when None), in the
        order of ``events`` and re-indexed from 0; and the other events with
        a trade date (``status == 'aligned'`` when the column exists). Both
        as :func:`eventstudy.panel.check_events` gives them.

    Raises
    ------
    StudyConfigError
        Events that :func:`eventstudy.panel.check_events` refuses;
        ``event_ids`` or ``headline_events`` the events do not hold, a
        ``group_by`` that is neither ``'all'``, ``'direction'`` nor one of
        their columns. The message names the study file, as :class:`Study`'s do.
    """
    prefix = error_prefix(study.path)
    events, columns = check_events(events), [c for c in events.columns if c not in _NOT_GROUPS]
    ids = events["id"].to_numpy(dtype=object)
    known = {str(i) for i in ids}
    if study.event_ids is not None:
        missing = [i for i in study.event_ids if i not in known]
        if missing:
            raise study_error(prefix, "event_ids", list(study.event_ids),
                              f"unknown id{'s' if len(missing) > 1 else ''} "
                              f"{', '.join(missing)} (not in {study.events})",
                              "use ids from the events file's id column (`eventstudy events` "
                              "lists them)")
    if study.group_by not in ("all", "direction"):
        if study.group_by not in columns:
            raise study_error(prefix, "group_by", study.group_by,
                              f"group_by must be 'all', 'direction' or a column of the events "
                              f"file ({', '.join(repr(c) for c in columns)}); got "
                              f"{study.group_by!r}",
                              'write it as group_by = "direction" or group_by = "category"')
    if study.headline_events is not None:
        pool = set(study.event_ids or known)
        missing = [i for i in study.headline_events if i not in pool]
        if missing:
            raise study_error(prefix, "headline_events", list(study.headline_events),
                              f"not events of the study: {', '.join(missing)}",
                              "list ids of event_ids (or of the events file)")
    # ids compared as objects: isin on pyarrow strings boxes every id
    in_study = (np.ones(len(events), dtype=bool) if study.event_ids is None else
                pd.Series(ids).isin(list(study.event_ids)).to_numpy())
    dated = (events["status"] == "aligned").to_numpy() if "status" in events.columns else \
        events["trade_date"].notna().to_numpy()
    return events[in_study].reset_index(drop=True), events[~in_study & dated]


def _design(study: Study, panel, studied, others):
    """The engine's inputs of the study's events, and the other events' day 0 and ids."""
    returns = lagged_factors(panel.returns, study.regressors, study.factor_lags, panel.roll)
    y, X, valid, est_ok, _ = engine_inputs(
        returns, study.asset, study.design_columns, panel.roll.to_numpy(),
        panel.thin.to_numpy(), exclude_thin_trading=study.exclude_thin_trading)
    pos, reason = locate_day0(studied["trade_date"], returns.index)
    other_pos, _ = locate_day0(others["trade_date"], returns.index)
    keep = other_pos >= 0
    other_ids = others["id"].astype(str).to_numpy()[keep]
    return Design(y, X, valid, est_ok, pos, reason), (other_pos[keep], other_ids)


def _infer(study: Study, design: Design, arrays, events, other_pos):
    """The placebo distribution, the groups and their test battery, the per-event tests."""
    y, X, valid, est_ok, pos, reason = design
    placebo = None
    if study.placebo_draws > 0 and arrays.used.any():
        # Pseudo-events avoid the window of every event given, studied or not.
        placebo = placebo_distribution(
            y, X, valid, est_ok, model=study.model, estimation=study.estimation,
            windows=study.windows, event_day0=np.concatenate([pos[reason == ""], other_pos]),
            draws=study.placebo_draws, seed=study.seed,
            min_estimation_days=study.min_estimation_days, day0_ok=est_ok,
        )
    groups = event_groups(events, arrays.used, study.group_by)
    tests = test_battery(arrays, groups, placebo=placebo) if arrays.used.any() else None
    per_event = per_event_tests(arrays, placebo=placebo)
    per_event.update(_volatility_tests(arrays, y, X, est_ok, study.model, study.volatility))
    return placebo, groups, tests, per_event


def _exclude_degenerate(arrays):
    """Events whose estimation residuals have no variance, excluded with the reason.

    A constant return series leaves s² = 0: every standard error is 0 and every
    t statistic undefined, so the event cannot be tested and is excluded (its
    results set to NaN) rather than reported with a NaN t.
    """
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
