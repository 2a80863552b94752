"""Running a study: prices → returns on the exchange calendar → events → one fitted result.

:func:`analyse` is the one analysis path. It reads the study's prices, puts
returns on the exchange's trade dates, aligns the events file to sessions,
fits :class:`~eventstudy.model.EventStudy` once — engine, group tests of the
``group_by`` groups, per-event tests, placebo distribution — and returns the
:class:`~eventstudy.results.EventStudyResults` with the study attached. The
command line (:mod:`eventstudy.outputs`), ``summary.md``, the notebooks and
the report all read that object.
"""

from __future__ import annotations

import logging

from .config import STUDY_KEYS, GroupBy, OtherEvents, Study, _where, load_study, split_spread

__all__ = [
    "GroupBy",
    "OtherEvents",
    "STUDY_KEYS",
    "Study",
    "analyse",
    "lead_lag_check",
    "load_study",
    "study_returns",
]

logger = logging.getLogger(__name__)


def analyse(study: Study, prices_dir=None, *, size_check: bool = False):
    """Run a study: prices, returns, alignment, estimation, every test — once.

    Parameters
    ----------
    study : Study
        From :func:`load_study`, built in code, or :meth:`Study.replace` for a variant.
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
    EventStudyResults
        With ``study``, ``data`` (:class:`~eventstudy.returns.ReturnData` on
        the exchange calendar) and ``catalogue`` (the whole aligned events
        file) attached.

    Raises
    ------
    StudyConfigError
        A study that is not a :class:`Study`.

    Notes
    -----
    Returns are taken on the dates every ticker covers
    (:func:`eventstudy.returns.common_span`) and re-indexed on the asset's
    exchange calendar (:func:`eventstudy.eventtime.on_calendar`): a trade
    date without a price row is a missing return, so day 0 is always the
    event's own trade date. With ``other_events = 'file'`` every dated event
    of the events file keeps its widest window out of the estimation samples
    (with ``exclude_other_events``), not only the study's own events;
    pseudo-events of the placebo avoid every catalogued event's window.
    """
    import numpy as np
    import pandas as pd

    from .events import align_events, load_events
    from .exceptions import StudyConfigError
    from .model import EventStudy, check_donor_prices

    if not isinstance(study, Study):
        raise StudyConfigError(
            f"analyse needs a Study (eventstudy.load_study(path) or eventstudy.Study(...)); "
            f"got {type(study).__name__}"
        )
    if study.assets is not None:
        from .results import MultiAssetResults

        # each asset exactly as its own one-asset study
        return MultiAssetResults(
            {a: analyse(study.for_asset(a), prices_dir=prices_dir, size_check=size_check)
             for a in study.asset_list},
            study=study)
    data, calendar = study_returns(study, prices_dir=prices_dir)
    catalogue = align_events(load_events(study.events), calendar,
                             last_date=data.returns.index[-1] if len(data.returns) else None)
    # the loader's per-row line numbers ride in attrs, which pandas deep-copies on
    # every operation; the fit needs none of them
    catalogue.attrs = {}
    # every event of the file, or those the study names (ids compared as objects:
    # isin on pyarrow strings boxes every id)
    in_study = (np.ones(len(catalogue), dtype=bool) if study.event_ids is None else
                pd.Series(catalogue["id"].to_numpy(dtype=object)).isin(list(study.event_ids))
                .to_numpy())
    others = catalogue[~in_study & (catalogue["status"] == "aligned")]
    studied = catalogue[in_study].reset_index(drop=True)
    if study.model == "synthetic":
        from .eventtime import locate_day0

        pos, _ = locate_day0(studied["trade_date"], data.returns.index)
        check_donor_prices(data.returns, study.donors, pos[pos >= 0], study.estimation,
                           studied["id"].astype(str).to_numpy()[pos >= 0],
                           prefix=_where(study.path))
    model = EventStudy(
        data.returns, studied, asset=study.asset,
        factors=study.regressors, factor_lags=study.factor_lags, model=study.model,
        estimation=study.estimation,
        windows=study.windows, roll=data.roll, thin=data.thin,
        exclude_other_events=study.exclude_other_events,
        exclude_thin_trading=study.exclude_thin_trading,
        min_estimation_days=study.min_estimation_days,
        exclude_windows_of=others if study.other_events == "file" and len(others) else None,
        known_events=others if len(others) else None,
        group_by=study.group_by, placebo_draws=study.placebo_draws, seed=study.seed,
        returns_kind=study.returns, volatility=study.volatility,
    )
    results = model.fit()
    for rec in results.events[results.events["status"] == "excluded"].itertuples():
        logger.info("%s: event %s excluded: %s", study.name, rec.event_id, rec.reason)
    results = results._with_context(study=study, data=data, catalogue=catalogue)
    if size_check and results.arrays.used.any():
        from .simulation import size_check as check_sizes

        results = results.with_size_check(check_sizes(model.design(), study))
    return results


def study_returns(study: Study, prices_dir=None):
    """A study's returns on the asset's exchange calendar, with their masks.

    Returns
    -------
    (ReturnData, ExchangeCalendar)
        Returns of the asset and of the model's series (``factors``, or
        ``donors`` for a synthetic control) on the asset's trade dates, and
        the calendar.

    Notes
    -----
    The span is the dates every ticker covers, except the donors of a
    synthetic control: a donor without a price on an asset date makes that
    day's return missing, and a donor without any price over an event's
    estimation window is an error of :func:`analyse`.
    """
    import dataclasses

    from .calendar import get_calendar
    from .prices import load_prices
    from .eventtime import on_calendar
    from .returns import common_span, prepare_returns

    tickers = list(study.tickers)
    prices = load_prices(tickers, prices_dir=prices_dir)
    spanned = [t for t in tickers if t not in study.donors or t in split_spread(study.asset)]
    common, last = common_span({t: prices[t] for t in spanned})
    logger.info("%s: prices from %s to %s (the dates every one of %s covers)", study.name,
                common.date(), last.date(), ", ".join(spanned))
    legs = split_spread(study.asset)
    if len(legs) == 2:
        data = _spread_returns(prices, legs, study, common, last)
    else:
        data = prepare_returns(prices, study.asset, study.regressors, kind=study.returns,
                               mask_rolls=study.mask_rolls, start=common, end=last)
    calendar = get_calendar(legs[0])
    if len(data.returns.index):
        trade_dates = calendar.trade_dates(data.returns.index[0], data.returns.index[-1])
        returns, roll, thin, added = on_calendar(data.returns, trade_dates, roll=data.roll,
                                                 thin=data.thin)
        notes = list(data.notes)
        if len(added):
            notes.append(f"{len(added)} trade dates without a price row (missing returns): "
                         + ", ".join(f"{d:%Y-%m-%d}" for d in added))
        data = dataclasses.replace(data, returns=returns, roll=roll, thin=thin, notes=notes)
    return data, calendar


def lead_lag_check(study: Study, lags=(-1, 0, 1), *, start=None, end=None, prices_dir=None,
                   maxlags=None):
    """Do leads and lags of the factors matter for the study's asset? One regression each way.

    Runs :func:`eventstudy.model.lead_lag_regression` on the study's returns
    (its asset and factors on the asset's exchange calendar, rolls masked,
    thin-trading days out with ``exclude_thin_trading``), between ``start``
    and ``end``.

    Returns
    -------
    DataFrame
        See :func:`eventstudy.model.lead_lag_regression`.
    """
    from .model import lead_lag_regression

    data, _ = study_returns(study.replace(model="market", donors=(), factor_lags=(0,))
                            if study.model == "synthetic" else study, prices_dir=prices_dir)
    return lead_lag_regression(data.returns, asset=study.asset, factors=study.factors or (),
                               lags=lags, roll=data.roll, thin=data.thin,
                               exclude_thin_trading=study.exclude_thin_trading,
                               start=start, end=end, maxlags=maxlags)


def _spread_returns(prices, legs, study, start, end):
    """Returns of the spread asset ``"A-B"``: R_A - R_B on A's trade dates, both legs' masks.

    The two legs' returns are taken on A's trade dates (B's price on each of
    them, as for a factor), so both span the same holding period; the roll
    mask is the union of both legs' (and the futures factors') contract
    switches, and the thin mask the union of both legs' thin-trading days.
    """
    import dataclasses

    from .contracts import is_continuous_future, thin_mask
    from .exceptions import StudyConfigError
    from .returns import prepare_returns

    a, b = legs
    factors = tuple(f for f in study.regressors if f not in legs)
    data = prepare_returns(prices, a, (b, *factors), kind=study.returns,
                           mask_rolls=study.mask_rolls, start=start, end=end)
    returns = data.returns
    if not returns[b].notna().any():
        raise StudyConfigError(f"assets = {study.asset!r}: {b} has no price on {a}'s trade "
                               f"dates over the study's span; give two series that overlap")
    spread = returns[a] - returns[b]
    out = returns.drop(columns=[a, b])
    out.insert(0, study.asset, spread)
    thin = data.thin.copy()
    if is_continuous_future(b):
        thin |= thin_mask(b, prices[b]).reindex(thin.index, fill_value=False).astype(bool)
    return dataclasses.replace(data, returns=out, thin=thin, asset=study.asset, factors=factors,
                               notes=[*data.notes, f"{study.asset}: {a} minus {b}, "
                                      f"{study.returns} returns on {a}'s trade dates"])
