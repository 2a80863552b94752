"""One analysis, down the pipeline once: a Study in, a results object out.

:func:`analyse` loads the study's prices into its returns panel
(:func:`eventstudy.panel.study_returns`), aligns the events file to the
exchange's sessions, selects the study's events
(:func:`eventstudy.events.select_events`), estimates
(:func:`eventstudy.estimate.estimate_study`), runs every test and wraps the
results. :func:`fit` is the same analysis on a returns panel and events of
your own, checked first.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .config import Study, error_prefix
from .estimate import Design, estimate_study
from .events import align_events, load_events, select_events
from .exceptions import StudyConfigError
from .inference import per_event_tests, placebo_distribution, test_battery
from .panel import check_panel, study_returns
from .results import EventStudyResults, MultiAssetResults
from .simulation import size_check as check_sizes
from .volatility import ewma_event_tests, fixed_garch_params, volatility_regime

__all__ = ["analyse", "event_groups", "fit"]

logger = logging.getLogger(__name__)


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
        p-value leads in each window.

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
    return _estimate_and_test(study, panel, catalogue, size_check)


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
        events are "other events" (:func:`eventstudy.events.select_events`).
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
    return _estimate_and_test(study, check_panel(panel, [study.asset, *study.regressors]),
                              events, size_check)


def _check_study(study, caller: str) -> None:
    if not isinstance(study, Study):
        raise StudyConfigError(
            f"{caller} needs a Study (eventstudy.load_study(path) or eventstudy.Study(...)); "
            f"got {type(study).__name__}"
        )


def _estimate_and_test(study: Study, panel, events: pd.DataFrame, size_check: bool
                       ) -> EventStudyResults:
    """Select, estimate, test and wrap one asset's analysis on a checked panel."""
    studied, others = select_events(study, events)
    design, other_day0, arrays = estimate_study(study, panel, studied, others)
    located = design.reason == ""
    everything = studied.assign(_order=np.arange(len(studied)))
    used_events = everything.loc[located].reset_index(drop=True)
    placebo, groups, tests, per_event = _infer(study, design, arrays, used_events,
                                               other_day0[0])
    check = None
    if size_check and arrays.used.any():
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
