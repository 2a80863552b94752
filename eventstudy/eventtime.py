"""Event time: the return index on the exchange calendar, day 0, window days, engine inputs.

Three things every estimator needs are computed here and nowhere else:

- :func:`on_calendar` puts returns on the exchange's trade dates, so that a
  trade date without a price row is a *missing return*, not a day that event
  time skips;
- :func:`locate_day0` finds each event's day 0 in that index — exactly its
  trade date, never a neighbouring row — or says why there is none;
- :func:`window_mask` marks the days inside event windows, and
  :func:`engine_inputs` builds the positional arrays of
  :func:`eventstudy.estimate.estimate_arrays`.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["EngineInputs", "engine_inputs", "locate_day0", "on_calendar", "window_mask"]

logger = logging.getLogger(__name__)


def on_calendar(returns: pd.DataFrame, trade_dates, *, roll=None, thin=None):
    """Returns re-indexed on the exchange's trade dates, rows without a price left missing.

    Parameters
    ----------
    returns : DataFrame
        Returns on the asset's rows (:func:`eventstudy.returns.compute_returns`).
    trade_dates : DatetimeIndex
        The exchange calendar's trade dates over (at least) the span of ``returns``.
    roll, thin : Series of bool, optional
        Masks on ``returns``' index; re-indexed with False on added dates.

    Returns
    -------
    (DataFrame, Series, Series, DatetimeIndex)
        The returns on the union of the calendar's trade dates (between the
        first and last row) and the rows present; the two masks; and the
        trade dates that had no price row.

    Notes
    -----
    A trade date :math:`d` without a row gets a missing return, and so does
    the next row present: its return was taken across the gap and spans
    several sessions, so it is not the return of its own date. Event time
    then counts exchange sessions whatever rows a file lacks, and day 0
    never moves to a neighbouring row.
    """
    idx = pd.DatetimeIndex(returns.index)
    if len(idx) == 0:
        empty = pd.Series(False, index=idx)
        return returns, empty if roll is None else roll, empty if thin is None else thin, idx
    cal = pd.DatetimeIndex(trade_dates)
    cal = cal[(cal >= idx[0]) & (cal <= idx[-1])]
    added = cal.difference(idx)
    if len(added) == 0:
        full = idx
        out = returns
    else:
        full = idx.union(cal)
        out = returns.reindex(full)
        # The first row after each gap holds a return across the gap.
        pos = full.get_indexer(added)
        after = np.unique(pos + 1)
        after = after[(after < len(full))]
        after = after[full[after].isin(idx)]
        out.iloc[after] = np.nan
        logger.info("%d trade dates without a price row: their returns (and the next row's) are "
                    "missing: %s", len(added),
                    ", ".join(f"{d:%Y-%m-%d}" for d in added[:10]) + (" ..." if len(added) > 10
                                                                       else ""))
    out.index.name = returns.index.name

    def mask(m, name):
        if m is None:
            return pd.Series(False, index=full, name=name)
        return m.reindex(full, fill_value=False).astype(bool)

    return out, mask(roll, "roll"), mask(thin, "thin"), added


def locate_day0(trade_dates, index):
    """Position of each event's trade date in ``index``, exactly, or why there is none.

    Parameters
    ----------
    trade_dates : array-like of datetime
        Day 0 of each event (NaT for an event without a date).
    index : DatetimeIndex
        The return index (sorted, unique), normally from :func:`on_calendar`.

    Returns
    -------
    (ndarray of int64, ndarray of object)
        Positions (-1 when the event has no day 0 in the data) and the reason
        ('' when located). Reasons: ``pending``; ``trade date D is before the
        first return (F)``; ``... after the last return (L)``; ``no price on
        day 0 (D)`` — the trade date is not a row of the index, so it has no
        return; the event is excluded rather than moved. A day 0 that has a
        row but no usable return (a contract roll, a missing factor price)
        keeps the event: its windows are flagged in the tidy table.
    """
    idx = pd.DatetimeIndex(index)
    td = pd.DatetimeIndex(pd.to_datetime(pd.Series(trade_dates), errors="coerce"))
    T = len(idx)
    pos = np.full(len(td), -1, dtype=np.int64)
    reason = np.full(len(td), "", dtype=object)
    have = ~td.isna()
    reason[~have] = "pending"
    if T == 0:
        reason[have] = "the returns are empty"
        return pos, reason
    hit = idx.get_indexer(td)
    before = have & (td < idx[0])
    after = have & (td > idx[-1])
    located = have & (hit >= 0) & ~before & ~after
    pos[located] = hit[located]
    first, last = idx[0].date(), idx[-1].date()
    # only the events without a day 0 need words (a Timestamp each)
    for i in np.flatnonzero(have & ~located).tolist():
        d = td[i].date()
        if before[i]:
            reason[i] = f"trade date {d} is before the first return ({first})"
        elif after[i]:
            reason[i] = f"trade date {d} is after the last return ({last})"
        else:
            reason[i] = f"no price on day 0 ({d}): the exchange's trade date has no row"
    return pos, reason


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


class EngineInputs(NamedTuple):
    """Positional inputs of :func:`eventstudy.estimate.estimate_arrays` (without day 0)."""

    y: np.ndarray
    X: np.ndarray
    valid: np.ndarray
    est_ok: np.ndarray
    missing: np.ndarray


def engine_inputs(returns: pd.DataFrame, asset: str, factors, roll, thin, *,
                  exclude_thin_trading: bool = True) -> EngineInputs:
    """The engine's arrays from labelled returns and masks.

    Returns
    -------
    EngineInputs
        ``y`` (T,), ``X`` (T, m), ``valid`` (asset and factors present, not a
        roll), ``est_ok`` (``valid`` and, with ``exclude_thin_trading``, not
        thin) and ``missing`` (asset or a factor return absent).
    """
    T = len(returns.index)
    factors = list(factors)
    y = returns[asset].to_numpy(dtype=np.float64)
    X = returns[factors].to_numpy(dtype=np.float64).reshape(T, len(factors))
    roll = np.asarray(roll, dtype=bool)
    thin = np.asarray(thin, dtype=bool)
    present = np.isfinite(y) & np.isfinite(X).all(axis=1)
    valid = present & ~roll
    est_ok = valid & ~thin if exclude_thin_trading else valid.copy()
    return EngineInputs(y, X, valid, est_ok, ~present)
