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
from .estimate import estimate_study
from .events import align_events, event_groups, load_events, select_events
from .exceptions import StudyConfigError
from .inference import (
    GROUP_SCREEN,
    per_event_tests,
    placebo_distribution,
    test_battery,
    variance_ratio,
    vr_event_pvalues,
    vr_group_tests,
)
from .panel import check_panel, study_returns
from .results import EventStudyResults, MultiAssetResults
from .simulation import size_check as check_sizes
from .volatility import ewma_event_tests, fixed_garch_params, volatility_regime
from .volume import study_volume

__all__ = ["analyse", "fit"]

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
    of the placebo avoid every catalogued event's window, and with
    ``exclude_other_events`` their estimation windows avoid them too.
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
    # day 0 of every event given, studied or not: the placebo and the volume avoid their windows
    catalogued = np.concatenate([design.day0[located], other_day0[0]])
    placebo = None
    if study.placebo_draws > 0 and arrays.used.any():
        # pseudo-events avoid the window of every event given, studied or not
        placebo = placebo_distribution(
            design.y, design.X, design.valid, design.est_ok, model=study.model,
            estimation=study.estimation, windows=study.windows,
            event_day0=catalogued,
            draws=study.placebo_draws, seed=study.seed,
            min_estimation_days=study.min_estimation_days, day0_ok=design.est_ok,
            exclude_other_events=study.exclude_other_events)
    groups = event_groups(used_events, arrays.used, study.group_by)
    tests = (test_battery(arrays, groups, placebo=placebo, span=design.span, n_jobs=study.n_jobs)
             if arrays.used.any() else None)
    per_event = per_event_tests(arrays, placebo=placebo, span=design.span)
    # the volatility-regime F test of every event (Elsas and Schoch 2019) and, with
    # 'garch', one GARCH(1, 1) filtered forward from each estimation sample
    regime = volatility_regime(arrays.est_ar)
    per_event.update(vol_ratio=np.asarray(regime.ratio, dtype=float),
                     vol_ratio_p=np.asarray(regime.pvalue, dtype=float))
    if study.volatility == "garch" and arrays.used.any():
        garch = ewma_event_tests(arrays, params=fixed_garch_params(
            design.y, design.X, design.est_ok, study.model))
        per_event.update(garch_se=np.asarray(garch.car_se, dtype=float),
                         garch_t=np.asarray(garch.tstat, dtype=float),
                         garch_p=np.asarray(garch.pvalue, dtype=float))
    vr = variance_ratio(arrays)
    per_event.update(vr=vr.vr, vr_p=vr.pvalue, vr_placebo_p=vr_event_pvalues(placebo, vr.vr))
    if placebo is not None:
        tests = _with_vr_rows(tests, vr_group_tests(placebo, vr.vr, groups, arrays.windows,
                                                       screen=GROUP_SCREEN, n_jobs=study.n_jobs))
    volume = study_volume(study, panel, design.day0[located], catalogued, placebo=placebo,
                          other_day0=other_day0[0])
    check = check_sizes(design, study) if size_check and arrays.used.any() else None
    results = EventStudyResults(
        study=study, data=panel, catalogue=events, design=design, arrays=arrays,
        events=used_events,
        excluded=everything.loc[~located].assign(reason=design.reason[~located])
        .reset_index(drop=True),
        groups=groups, tests=tests, per_event=per_event, placebo=placebo,
        other_day0=other_day0, size_check=check, volume=volume)
    for rec in results.events[results.events["status"] == "excluded"].itertuples():
        logger.info("%s: event %s excluded: %s", study.name, rec.event_id, rec.reason)
    return results


def _with_vr_rows(tests, rows):
    """The battery with each group's variance-ratio rows after its window's other tests."""
    if tests is None or not len(rows):
        return tests
    order = {g: i for i, g in enumerate(dict.fromkeys(tests["group"]))}
    out = pd.concat([tests, rows[rows["group"].isin(order)]], ignore_index=True)
    key = out["group"].map(order)
    return (out.assign(_g=key).sort_values(["_g", "start", "end"], kind="stable")
            .drop(columns="_g").reset_index(drop=True))
