"""The returns panel of one study: returns, masks and event time.

Prices become returns over consecutive trade dates of the asset with the
contract-roll and thin-trading masks (:func:`prepare_returns`, a
:class:`ReturnData`), put on the exchange's trade dates (:func:`study_returns`,
:func:`on_calendar`); :func:`locate_day0` gives each event's day 0 in that
index and :func:`engine_inputs` the engine's positional arrays.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from .calendar import get_calendar
from .config import Study, lag_name, split_spread
from .contracts import is_continuous_future, roll_mask, thin_mask
from .exceptions import DataError, DataQualityWarning, InvalidTickerError, StudyConfigError
from .options import ReturnKind, check_option
from .prices import load_prices

__all__ = ["EngineInputs", "OnCalendar", "ReturnData", "asset_volume", "check_panel", "common_span",
           "compute_returns", "engine_inputs", "lagged_factors", "locate_day0", "on_calendar",
           "prepare_returns", "returns_panel", "sessions_only", "span_days", "span_first",
           "spread_returns", "study_returns"]

logger = logging.getLogger(__name__)

_EXCLUSION_COLUMNS = ["date", "ticker", "reason", "detail"]


def _as_tuple(factors) -> tuple[str, ...]:
    if factors is None:
        return ()
    if isinstance(factors, str):
        return (factors,)
    return tuple(factors)


def _check_names(prices_names, asset: str, factors: tuple[str, ...]) -> None:
    names = list(prices_names)
    for ticker in (asset, *factors):
        if ticker not in names:
            raise InvalidTickerError(
                f"no prices for {ticker!r}; the prices given are for: "
                f"{', '.join(map(str, names)) or 'none'}. Load it with load_prices"
            )
    seen = set()
    for ticker in (asset, *factors):
        if ticker in seen:
            raise DataError(
                f"{ticker!r} appears twice among the asset and factors "
                f"({asset!r}, {list(factors)}); list each ticker once"
            )
        seen.add(ticker)


def _close_series(ticker: str, value) -> pd.Series:
    if isinstance(value, pd.Series):
        close = value
    elif isinstance(value, pd.DataFrame):
        if "Close" not in value.columns:
            raise DataError(
                f"prices of {ticker!r} have no 'Close' column (columns: {list(value.columns)}); "
                "pass the frames returned by load_prices"
            )
        close = value["Close"]
    else:
        raise DataError(
            f"prices of {ticker!r} are a {type(value).__name__}; expected a DataFrame with a "
            "'Close' column or a Series of closes"
        )
    if not isinstance(close.index, pd.DatetimeIndex):
        raise DataError(f"prices of {ticker!r} are not indexed by date; use load_prices")
    if close.index.has_duplicates:
        dup = close.index[close.index.duplicated()][0]
        raise DataError(
            f"prices of {ticker!r} repeat the date {dup:%Y-%m-%d}; keep one row per trade date"
        )
    return pd.to_numeric(close, errors="coerce").astype("float64").sort_index()


def _closes(prices, asset: str, factors: tuple[str, ...]) -> tuple[pd.DataFrame, dict]:
    """Closes of ``[asset, *factors]`` on the asset's trade dates, and each source index."""
    if isinstance(prices, pd.DataFrame):
        _check_names(prices.columns, asset, factors)
        wide = prices[[asset, *factors]]
        series = {t: _close_series(t, wide[t]) for t in wide.columns}
        # In a table of closes the rows are the union of several calendars;
        # the asset trades on the rows where its close is present.
        dates = series[asset].index[series[asset].notna().to_numpy()]
        own_dates = {t: s.index[s.notna().to_numpy()] for t, s in series.items()}
        own_dates[asset] = dates
    elif isinstance(prices, Mapping):
        _check_names(prices.keys(), asset, factors)
        series = {t: _close_series(t, prices[t]) for t in (asset, *factors)}
        dates = series[asset].index
        own_dates = {t: s.index for t, s in series.items()}
    else:
        raise DataError(
            f"prices must be a dict of ticker -> DataFrame or a DataFrame of closes; "
            f"got {type(prices).__name__}"
        )
    dates = pd.DatetimeIndex(dates).rename("date")
    table = pd.DataFrame({t: s.reindex(dates) for t, s in series.items()}, index=dates)
    return table, own_dates


def _price_exclusions(table: pd.DataFrame, own_dates: dict) -> pd.DataFrame:
    """One row per (date, ticker) whose price is unusable, with the reason."""
    values = table.to_numpy()
    rows: list[tuple[int, str, str, str]] = []  # (row, ticker, reason, detail)
    for j, ticker in enumerate(table.columns):
        col = values[:, j]
        missing = np.isnan(col)
        nonpositive = ~missing & (col <= 0)
        absent = np.zeros(col.size, dtype=bool)
        if missing.any():  # only missing prices need the ticker's own dates
            absent[missing] = ~table.index[missing].isin(own_dates[ticker])
        for i in np.flatnonzero(missing | nonpositive).tolist():
            if nonpositive[i]:
                reason, detail = "non-positive price", f"{col[i]:g}"
            elif absent[i]:
                reason, detail = "no price on the asset's trade date", ""
            else:
                reason, detail = "missing price", ""
            rows.append((i, ticker, reason, detail))
    if not rows:
        return pd.DataFrame([], columns=_EXCLUSION_COLUMNS).astype({"date": "datetime64[ns]"})
    at, ticker, reason, detail = (list(c) for c in zip(*rows, strict=True))
    return pd.DataFrame({"date": table.index[at].as_unit("ns").to_numpy(), "ticker": ticker,
                         "reason": reason, "detail": detail})


def _report_prices(exclusions: pd.DataFrame, kind: str) -> None:
    groups: dict[str, list] = {}  # by ticker, in order of first appearance
    for record in zip(exclusions["ticker"], exclusions["date"], exclusions["detail"],
                      exclusions["reason"], strict=True):
        groups.setdefault(record[0], []).append(record[1:])
    for ticker, group in groups.items():
        shown = [f"{d:%Y-%m-%d}" + (f" ({v})" if v else "") for d, v, _ in group[:10]]
        more = f" and {len(group) - 10} more" if len(group) > 10 else ""
        reasons = ", ".join(sorted({r for _, _, r in group}))
        message = (
            f"{ticker}: {len(group)} price{'s' if len(group) > 1 else ''} set to missing "
            f"({reasons}) on {', '.join(shown)}{more}; the {kind} returns that use them are "
            "missing. Check the price file, or leave these days out of the study"
        )
        logger.warning(message)
        warnings.warn(message, DataQualityWarning, stacklevel=3)


def _returns_from_table(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    p = table.to_numpy(dtype="float64")
    ok = np.isfinite(p) & (p > 0)
    both = ok[1:] & ok[:-1]
    ratio = np.full(p[1:].shape, np.nan)
    np.divide(p[1:], p[:-1], out=ratio, where=both)
    r = np.full(p.shape, np.nan)
    if kind == "log":
        np.log(ratio, out=r[1:], where=both)
    else:
        np.subtract(ratio, 1.0, out=r[1:], where=both)
    return pd.DataFrame(r, index=table.index, columns=table.columns)


def compute_returns(prices, asset: str, factors: Iterable[str] = (), kind: ReturnKind = "log"):
    """Returns of an asset and its factors over consecutive trade dates of the asset.

    Parameters
    ----------
    prices : dict of str to pandas.DataFrame, or pandas.DataFrame
        Either the frames of :func:`eventstudy.prices.load_prices` (the
        ``Close`` column is used) or one table of closes with a column per
        ticker. In a table, the asset's trade dates are the rows where its
        close is present.
    asset : str
        The ticker whose trade dates define the return periods.
    factors : iterable of str, default ()
        Benchmark or factor tickers (``"SPY"``, ``"DX=F"``).
    kind : {'log', 'simple'}
        Log returns (default) or simple returns.

    Returns
    -------
    pandas.DataFrame
        Index: the asset's trade dates (``date``); columns ``[asset, *factors]``;
        the first row is missing. ``attrs["price_exclusions"]`` lists, as
        records ``{date, ticker, reason, detail}``, every price set to missing.

    Warns
    -----
    DataQualityWarning
        Naming the ticker and the dates, when a price is zero, negative or
        missing (also logged).

    Notes
    -----
    Let :math:`t_0 < t_1 < \\dots < t_n` be the asset's trade dates and
    :math:`P_{i,t}` the close of ticker :math:`i` on :math:`t`, each factor's
    closes being *reindexed* on the asset's dates without forward filling.
    The return over :math:`(t_{k-1}, t_k]` is

    .. math::

        r_{i,t_k} = \\ln\\frac{P_{i,t_k}}{P_{i,t_{k-1}}} \\quad\\text{(log)}, \\qquad
        R_{i,t_k} = \\frac{P_{i,t_k}}{P_{i,t_{k-1}}} - 1 \\quad\\text{(simple)},

    so a factor's return covers the asset's holding period. A factor without
    a close on an asset date makes both returns that use it missing (forward
    filling would misalign the holding periods, the non-synchronous trading
    problem of Scholes and Williams 1977). A zero or negative price is set
    to missing in both kinds.

    References
    ----------
    .. [1] Scholes, M. and Williams, J. (1977). Estimating betas from
       nonsynchronous data. *Journal of Financial Economics* 5(3), 309-327.
    .. [2] Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997). *The
       Econometrics of Financial Markets*, ch. 4. Princeton University Press.
    """
    check_option("kind", kind, ReturnKind)
    factors = _as_tuple(factors)
    table, own_dates = _closes(prices, asset, factors)
    exclusions = _price_exclusions(table, own_dates)
    if len(exclusions):
        _report_prices(exclusions, kind)
    out = _returns_from_table(table, kind)
    out.attrs = {
        "kind": kind,
        "price_exclusions": [
            {"date": f"{d:%Y-%m-%d}", "ticker": t, "reason": r, "detail": x}
            for d, t, r, x in exclusions.itertuples(index=False)
        ],
    }
    return out


@dataclass(frozen=True)
class ReturnData:
    """The returns panel of one study: returns on the asset's trade dates with their masks.

    Attributes
    ----------
    returns : pandas.DataFrame
        Index ``date``, columns ``[asset, *factors]``; missing where a price
        was unusable (roll and thin days are flagged by the masks, not blanked).
    roll : pandas.Series of bool
        True on the dates whose return spans a contract switch of the asset
        or of any continuous-futures factor (all False with
        ``mask_rolls=False``).
    thin : pandas.Series of bool
        True on the asset's thin-trading dates (all False with ``thin=False``).
    exclusions : pandas.DataFrame
        One row per excluded (date, ticker): columns ``date``, ``ticker``,
        ``reason`` (``contract roll``, ``thin trading``, ``non-positive price``,
        ``missing price``, ``no price on the asset's trade date``), ``detail``.
    asset : str
    factors : tuple of str
    kind : {'log', 'simple'}
    provenance : dict
        Ticker -> the ``provenance`` of its price frame (empty for a table of
        closes).
    notes : list of str
        One line per kind of exclusion, for reports.
    no_row : pandas.Series of bool, optional
        True on the exchange's trade dates that have no price row of the asset
        (:func:`on_calendar`); None when every trade date has a row.
    trade_to_trade : pandas.Series of float, optional
        On the first row after one or more trade dates without a price row,
        the asset's return from the last close before them to that row's
        close (Maynes and Rumsey 1993); NaN elsewhere. ``returns`` holds no
        asset return on those rows (it is not a one-day return).
    volume : pandas.Series of float, optional
        The asset's traded volume on the returns' dates (NaN where its price
        file has none that day); None when the file has no volume (a spread,
        a close-only file, a volume column without a positive value).
    """

    returns: pd.DataFrame
    roll: pd.Series
    thin: pd.Series
    exclusions: pd.DataFrame
    asset: str
    factors: tuple[str, ...]
    kind: str
    provenance: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    no_row: pd.Series | None = None
    trade_to_trade: pd.Series | None = None
    volume: pd.Series | None = None

    @property
    def valid(self) -> pd.Series:
        """True where every return of the row is present and the date is not a roll."""
        return (self.returns.notna().all(axis=1) & ~self.roll).rename("valid")

    def span_days(self) -> np.ndarray:
        """Trade dates the asset's return on each row covers (:func:`span_days`)."""
        if self.no_row is None:
            return np.ones(len(self.returns.index), dtype=np.int64)
        return span_days(self.no_row.to_numpy(dtype=bool))

    def factor_rolls(self) -> pd.DataFrame:
        """Each factor's own contract-roll dates: bool, index the returns', a column per factor.

        From the ``contract roll`` rows of :attr:`exclusions` (a factor that is
        not a continuous future has none).
        """
        index = self.returns.index
        rolls = self.exclusions[self.exclusions["reason"] == "contract roll"]
        return pd.DataFrame({f: index.isin(rolls.loc[rolls["ticker"] == f, "date"])
                             for f in self.factors}, index=index)


def span_days(no_row) -> np.ndarray:
    """Trade dates covered by the asset's return on each row.

    Parameters
    ----------
    no_row : array_like of bool, (T,)
        Trade dates without a price row of the asset.

    Returns
    -------
    ndarray of int, (T,)
        0 on a date without a row (its move is in a later row's return),
        1 + k on the first row after k consecutive dates without a row (its
        trade-to-trade return covers them and itself), 1 elsewhere.
    """
    no_row = np.asarray(no_row, dtype=bool)
    T = no_row.size
    span = np.where(no_row, 0, 1).astype(np.int64)
    if not no_row.any():
        return span
    run = np.zeros(T, dtype=np.int64)  # the run of missing rows just before each row
    starts = np.flatnonzero(no_row & ~np.concatenate([[False], no_row[:-1]]))
    ends = np.flatnonzero(no_row & ~np.concatenate([no_row[1:], [False]]))
    after = ends + 1
    keep = after < T
    run[after[keep]] = (ends - starts + 1)[keep]
    return span + run


def _add_part(parts: list, dates: pd.DatetimeIndex, ticker: str, reason: str) -> None:
    if len(dates):
        parts.append((dates.as_unit("ns").to_numpy(), [ticker] * len(dates),
                      [reason] * len(dates), [""] * len(dates)))


def _exclusion_table(parts: list) -> pd.DataFrame:
    """One row per excluded (date, ticker), sorted by date then ticker (stable)."""
    if not parts:
        return pd.DataFrame([], columns=_EXCLUSION_COLUMNS).astype({"date": "datetime64[ns]"})
    dates = np.concatenate([p[0] for p in parts])
    ticker, reason, detail = ([v for p in parts for v in p[k]] for k in (1, 2, 3))
    names = sorted(set(ticker))
    code = {t: k for k, t in enumerate(names)}
    # the same order as sort_values(["date", "ticker"], kind="stable"): ties keep their order
    order = np.lexsort((np.array([code[t] for t in ticker]), dates.view(np.int64)))
    pick = order.tolist()
    return pd.DataFrame({
        "date": dates[order],
        "ticker": [ticker[i] for i in pick],
        "reason": [reason[i] for i in pick],
        "detail": [detail[i] for i in pick],
    })


def common_span(prices: Mapping) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last dates that every ticker's prices cover (``start``/``end`` of
    :func:`prepare_returns`)."""
    frames = [frame for frame in prices.values() if len(frame)]
    return (max(frame.index[0] for frame in frames), min(frame.index[-1] for frame in frames))


def _asset_frame(prices, asset: str) -> pd.DataFrame:
    if isinstance(prices, pd.DataFrame):
        close = prices[asset]
        return close[close.notna()].to_frame("Close")
    value = prices[asset]
    return value.to_frame("Close") if isinstance(value, pd.Series) else value


def prepare_returns(prices, asset: str, factors: Iterable[str] = (), kind: ReturnKind = "log",
                    mask_rolls: bool = True, thin: bool = True, start=None, end=None
                    ) -> ReturnData:
    """Returns plus the contract-roll and thin-trading masks, as :class:`ReturnData`.

    Parameters
    ----------
    prices, asset, factors, kind
        As in :func:`compute_returns`.
    mask_rolls : bool, default True
        Flag the roll dates (:func:`eventstudy.contracts.roll_mask`) of the
        asset and of every continuous-futures factor.
    thin : bool, default True
        Flag the asset's thin-trading dates
        (:func:`eventstudy.contracts.thin_mask`, which uses its ``Volume``).
    start, end : date-like, optional
        First and last price dates used for the returns (:func:`common_span`);
        the thin-trading rule still sees the asset's whole history.

    Returns
    -------
    ReturnData

    Notes
    -----
    A return dated :math:`t_k` spans :math:`(t_{k-1}, t_k]` of the asset's
    trade dates for every ticker, so each futures series' roll mask is taken
    on the asset's dates. The roll mask is the union

    .. math:: \\text{roll}_t = \\bigvee_{i \\in \\{\\text{asset}\\} \\cup F_c}
              \\text{roll}_{i,t},

    with :math:`F_c` the continuous-futures factors.
    """
    factors = _as_tuple(factors)
    full_prices = prices
    if start is not None or end is not None:
        start = None if start is None else pd.Timestamp(start)
        end = None if end is None else pd.Timestamp(end)
        if isinstance(prices, Mapping):
            prices = {t: frame.loc[start:end] for t, frame in prices.items()}
        else:
            prices = prices.loc[start:end]
    returns = compute_returns(prices, asset, factors, kind)
    index = returns.index
    price_rows = returns.attrs["price_exclusions"]
    parts = [(pd.DatetimeIndex([r["date"] for r in price_rows]).as_unit("ns").to_numpy(),
              [r["ticker"] for r in price_rows], [r["reason"] for r in price_rows],
              [r["detail"] for r in price_rows])] if price_rows else []
    # pandas deep-copies attrs on every operation: the exclusions live in ReturnData
    returns.attrs = {"kind": kind}
    notes = []
    if price_rows:
        notes.append(f"{len(price_rows)} prices set to missing (zero, negative or absent)")

    roll = pd.Series(False, index=index, name="roll")
    if mask_rolls:
        for ticker in (asset, *factors):
            if not is_continuous_future(ticker):
                continue
            mask = roll_mask(ticker, index).reindex(index, fill_value=False)
            mask = mask.astype(bool).to_numpy()
            _add_part(parts, index[mask], ticker, "contract roll")
            roll |= mask
            if mask.any():
                notes.append(f"{ticker}: {int(mask.sum())} roll dates masked")
        if roll.any():
            logger.info("%s: %d return dates masked as contract rolls of %s", asset,
                        int(roll.sum()),
                        ", ".join(t for t in (asset, *factors) if is_continuous_future(t)))

    thin_days = pd.Series(False, index=index, name="thin")
    if thin:
        frame = _asset_frame(full_prices, asset)
        mask = thin_mask(asset, frame).reindex(index, fill_value=False)
        thin_days |= mask.astype(bool).to_numpy()
        _add_part(parts, index[thin_days.to_numpy()], asset, "thin trading")
        if thin_days.any():
            notes.append(f"{asset}: {int(thin_days.sum())} thin-trading dates flagged")
            logger.info("%s: %d thin-trading dates flagged", asset, int(thin_days.sum()))

    provenance = ({t: dict(prices[t].attrs.get("provenance", {})) for t in (asset, *factors)}
                  if isinstance(prices, Mapping) else {})
    return ReturnData(returns=returns, roll=roll, thin=thin_days,
                      exclusions=_exclusion_table(parts), asset=asset, factors=factors,
                      kind=kind, provenance=provenance, notes=notes)


class OnCalendar(NamedTuple):
    """Returns on the exchange's trade dates (:func:`on_calendar`)."""

    returns: pd.DataFrame
    roll: pd.Series
    thin: pd.Series
    added: pd.DatetimeIndex
    trade_to_trade: pd.Series


def on_calendar(returns: pd.DataFrame, trade_dates, *, roll=None, thin=None,
                factor_returns=None) -> OnCalendar:
    r"""Returns re-indexed on the exchange's trade dates, with trade-to-trade returns over gaps.

    Parameters
    ----------
    returns : DataFrame
        Returns on the asset's rows (:func:`compute_returns`), the asset's
        column first.
    trade_dates : DatetimeIndex
        The exchange calendar's trade dates over (at least) the span of ``returns``.
    roll, thin : Series of bool, optional
        Masks on ``returns``' index; re-indexed with False on added dates.
    factor_returns : DataFrame, optional
        The other columns' own one-day returns over consecutive trade dates
        of the calendar (their prices exist on the dates the asset lacks);
        they replace those columns on the added dates and on the row after
        each run of them. Without it those values are missing.

    Returns
    -------
    OnCalendar
        ``returns`` on the union of the calendar's trade dates (between the
        first and last row) and the rows present; the two masks; the trade
        dates that had no price row (``added``); and ``trade_to_trade``.

    Notes
    -----
    Let :math:`t_b < g_1 < \dots < g_k < t_a` with no asset row on the
    :math:`g_j`. The asset's return on :math:`t_a` in ``returns`` spans
    :math:`(t_b, t_a]`: it is the trade-to-trade return of the k + 1
    sessions (Maynes and Rumsey 1993), kept in ``trade_to_trade`` on
    :math:`t_a`, while the asset's one-day returns on :math:`g_1, \dots,
    g_k, t_a` are missing. Event time counts exchange sessions and day 0
    never moves to a neighbouring row.

    References
    ----------
    .. [1] Maynes, E. and Rumsey, J. (1993). Conducting event studies with
       thinly traded stocks. *Journal of Banking and Finance* 17(1), 145-157.
    """
    idx = pd.DatetimeIndex(returns.index)
    if len(idx) == 0:
        empty = pd.Series(False, index=idx)
        return OnCalendar(returns, empty if roll is None else roll,
                          empty if thin is None else thin, idx,
                          pd.Series(np.nan, index=idx, name="trade_to_trade"))
    cal = pd.DatetimeIndex(trade_dates)
    cal = cal[(cal >= idx[0]) & (cal <= idx[-1])]
    added = cal.difference(idx)
    full = idx if len(added) == 0 else idx.union(cal)
    joined = pd.Series(np.nan, index=full, name="trade_to_trade")
    if len(added) == 0:
        out = returns
    else:
        out = returns.reindex(full)
        pos = full.get_indexer(added)
        after = np.unique(pos + 1)
        after = after[(after < len(full))]
        after = after[full[after].isin(idx)]
        joined.iloc[after] = out.iloc[after, 0].to_numpy()
        out.iloc[after, 0] = np.nan
        rows = np.union1d(pos, after)
        others = list(out.columns[1:])
        if factor_returns is not None and others:
            own = factor_returns.reindex(columns=others).reindex(full[rows])
            out.iloc[rows, 1:] = own.to_numpy(dtype=np.float64)
        else:
            out.iloc[after, 1:] = np.nan
        logger.info("%d trade dates without a price row: the asset's return on the next row "
                    "spans them (trade-to-trade): %s", len(added),
                    ", ".join(f"{d:%Y-%m-%d}" for d in added[:10]) + (" ..." if len(added) > 10
                                                                       else ""))
    out.index.name = returns.index.name

    def mask(m, name):
        if m is None:
            return pd.Series(False, index=full, name=name)
        return m.reindex(full, fill_value=False).astype(bool)

    return OnCalendar(out, mask(roll, "roll"), mask(thin, "thin"), added, joined)


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
        ('' when located): ``pending``; ``trade date D is before the first
        return (F)``; ``... after the last return (L)``; ``no price on day 0
        (D)`` (the trade date is not a row of the index).
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
    for i in np.flatnonzero(have & ~located).tolist():
        d = td[i].date()
        if before[i]:
            reason[i] = f"trade date {d} is before the first return ({first})"
        elif after[i]:
            reason[i] = f"trade date {d} is after the last return ({last})"
        else:
            reason[i] = f"no price on day 0 ({d}): the exchange's trade date has no row"
    return pos, reason


class EngineInputs(NamedTuple):
    """Positional inputs of :func:`eventstudy.estimate.estimate_arrays` (without day 0)."""

    y: np.ndarray
    X: np.ndarray
    valid: np.ndarray
    est_ok: np.ndarray
    missing: np.ndarray


def engine_inputs(returns: pd.DataFrame, asset: str, factors, roll, thin, *,
                  exclude_thin_trading: bool = True, span=None, trade_to_trade=None
                  ) -> EngineInputs:
    """The engine's arrays from labelled returns and masks.

    Parameters
    ----------
    returns : DataFrame
        The asset's column and the design's columns.
    asset : str
    factors : sequence of str
        The design's columns.
    roll, thin : array_like of bool, (T,)
    exclude_thin_trading : bool, default True
    span, trade_to_trade : array_like, (T,), optional
        :meth:`ReturnData.span_days` and :attr:`ReturnData.trade_to_trade`.
        Default: every row's return covers one trade date.

    Returns
    -------
    EngineInputs
        ``y`` (T,), ``X`` (T, m), ``valid`` (asset and factors present, not a
        roll), ``est_ok`` (``valid``, a one-day return and, with
        ``exclude_thin_trading``, not thin) and ``missing`` (asset or a
        factor return absent).

    Notes
    -----
    A multi-day return (``span`` = k + 1 on its row, 0 on the k dates before
    it) enters as k zeros followed by the trade-to-trade return, so that a
    sum over days that covers the whole span is the span's return; its days
    are ``valid`` together (all present, none a roll) or not at all, and
    never in an estimation sample. The engine (``span``) gives no CAR to a
    window that covers part of a span.
    """
    T = len(returns.index)
    factors = list(factors)
    y = returns[asset].to_numpy(dtype=np.float64)
    X = returns[factors].to_numpy(dtype=np.float64).reshape(T, len(factors))
    roll = np.asarray(roll, dtype=bool)
    thin = np.asarray(thin, dtype=bool)
    one_day = np.ones(T, dtype=bool)
    if span is not None:
        span = np.asarray(span, dtype=np.int64)
        one_day = span == 1
        y = np.where(span == 0, 0.0, y)
        y = np.where(span > 1, np.asarray(trade_to_trade, dtype=np.float64), y)
    present = np.isfinite(y) & np.isfinite(X).all(axis=1)
    valid = present & ~roll
    if span is not None and not one_day.all():
        valid = _whole_spans(valid, span)
    est_ok = valid & one_day
    if exclude_thin_trading:
        est_ok &= ~thin
    return EngineInputs(y, X, valid, est_ok, ~present)


def span_first(span) -> np.ndarray:
    """Position of the first trade date covered by each row's return period.

    ``span`` as :func:`span_days`; a date whose move is in a later row's
    return (0) belongs to that row's period.
    """
    span = np.asarray(span, dtype=np.int64)
    T = span.size
    pos = np.arange(T)
    ends = np.flatnonzero(span > 0)
    if ends.size == 0:
        return pos
    nxt = np.searchsorted(ends, pos, side="left")
    inside = nxt < ends.size
    end = ends[np.minimum(nxt, ends.size - 1)]
    return np.where(inside, end - span[end] + 1, pos)


def _whole_spans(ok, span) -> np.ndarray:
    """``ok`` with each multi-day period true only where all its days are."""
    first = span_first(span)
    bad = np.bincount(first, weights=(~ok).astype(np.float64), minlength=ok.size) > 0
    return ok & ~bad[first]


def returns_panel(returns: pd.DataFrame, *, roll=None, thin=None, kind: ReturnKind = "log"
                  ) -> ReturnData:
    """Returns of your own as a study's returns panel (the input of :func:`eventstudy.fit`).

    Parameters
    ----------
    returns : DataFrame
        Index: trade dates (sorted, unique; normally the exchange calendar's,
        :func:`on_calendar`); the asset's column first, then its factors or
        donors.
    roll, thin : Series of bool, optional
        Contract-roll and thin-trading dates, re-indexed on ``returns`` with
        False elsewhere. Default: none.
    kind : {'log', 'simple'}

    Returns
    -------
    ReturnData
        Without price exclusions or provenance.
    """
    check_option("kind", kind, ReturnKind)
    if not isinstance(returns, pd.DataFrame):
        raise StudyConfigError(f"returns must be a DataFrame; got {type(returns).__name__}")
    index = returns.index
    columns = tuple(map(str, returns.columns))
    return ReturnData(returns=returns, roll=_mask("roll", roll, index),
                      thin=_mask("thin", thin, index),
                      exclusions=_exclusion_table([]), asset=columns[0] if columns else "",
                      factors=columns[1:], kind=kind)


def check_panel(panel, columns) -> ReturnData:
    """A returns panel with the given columns, indexed by sorted unique trade dates.

    Parameters
    ----------
    panel : ReturnData or DataFrame
        A DataFrame is a panel without masks (:func:`returns_panel`).
    columns : sequence of str
        The asset and the model's series.

    Returns
    -------
    ReturnData
        With the masks on the returns' index.

    Raises
    ------
    StudyConfigError
        Not a panel, a missing column, an index that is not sorted unique dates.
    """
    if isinstance(panel, pd.DataFrame):
        panel = returns_panel(panel)
    if not isinstance(panel, ReturnData):
        raise StudyConfigError(f"returns must be a DataFrame or a ReturnData; got "
                               f"{type(panel).__name__}")
    returns = panel.returns
    missing = [c for c in columns if c not in returns.columns]
    if missing:
        raise StudyConfigError(
            f"returns has no column {', '.join(map(repr, missing))}; its columns are "
            f"{list(map(str, returns.columns))}. Compute returns for the asset and every factor"
        )
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise StudyConfigError("returns must be indexed by trade dates (a DatetimeIndex)")
    if not (returns.index.is_monotonic_increasing and returns.index.is_unique):
        raise StudyConfigError("returns' index of trade dates must be sorted and unique")
    roll = _mask("roll", panel.roll, returns.index)
    thin = _mask("thin", panel.thin, returns.index)
    if roll is panel.roll and thin is panel.thin:
        return panel
    return dataclasses.replace(panel, roll=roll, thin=thin)


def _mask(name, mask, index) -> pd.Series:
    """A boolean Series on ``index`` (False where ``mask`` has no value; all False for None)."""
    if mask is None:
        return pd.Series(False, index=index, name=name)
    if not isinstance(mask, pd.Series):
        raise StudyConfigError(
            f"{name} must be a boolean Series indexed by date; got {type(mask).__name__}"
        )
    if mask.index.equals(index) and mask.dtype == bool:
        return mask
    return mask.reindex(index, fill_value=False).fillna(False).astype(bool)


def study_returns(study: Study, prices_dir=None):
    """A study's returns panel on the asset's exchange calendar, with its masks.

    Parameters
    ----------
    study : Study
        A one-asset study.
    prices_dir : path-like, optional
        Folder of price snapshots (:func:`eventstudy.prices.load_prices`).

    Returns
    -------
    (ReturnData, ExchangeCalendar)
        Returns of the asset and of the model's series (``factors``, or
        ``donors`` for a synthetic control) on the asset's trade dates, and
        the calendar.

    Notes
    -----
    Returns are taken on the dates every ticker covers (:func:`common_span`),
    except the donors of a synthetic control, whose missing prices make that
    day's return missing. They are then re-indexed on the asset's exchange
    calendar (:func:`on_calendar`), so day 0 is always the event's own trade
    date. A spread ``"A-B"`` is :func:`spread_returns` of its legs.
    """
    legs = split_spread(study.asset)
    tickers = list(study.tickers)
    prices = load_prices(tickers, prices_dir=prices_dir)
    spanned = [t for t in tickers if t not in study.donors or t in legs]
    common, last = common_span({t: prices[t] for t in spanned})
    logger.info("%s: prices from %s to %s (the dates every one of %s covers)", study.name,
                common.date(), last.date(), ", ".join(spanned))
    factors = (study.regressors if len(legs) == 1 else
               (legs[1], *(f for f in study.regressors if f not in legs)))
    calendar = get_calendar(legs[0])
    prices = {**prices, legs[0]: sessions_only(prices[legs[0]], calendar, legs[0], common, last)}
    data = prepare_returns(prices, legs[0], factors, kind=study.returns,
                           mask_rolls=study.mask_rolls, start=common, end=last)
    if len(legs) == 2:
        data = spread_returns(data, prices, study.asset)
    if len(data.returns.index):
        data = _on_exchange_calendar(data, prices, calendar)
    if len(legs) == 1:
        data = dataclasses.replace(data, volume=asset_volume(prices[legs[0]],
                                                             data.returns.index))
    return data, calendar


def asset_volume(frame, index) -> pd.Series | None:
    """The ``Volume`` column of a price frame on ``index`` (NaN on dates without a row).

    None when the frame has no ``Volume`` column or no positive volume in it.
    """
    if not isinstance(frame, pd.DataFrame) or "Volume" not in frame.columns:
        return None
    volume = frame["Volume"].astype(float)
    if not (volume > 0).any():
        return None
    return volume.reindex(pd.DatetimeIndex(index)).rename("volume")


def sessions_only(frame: pd.DataFrame, calendar, ticker: str, start, end) -> pd.DataFrame:
    """The asset's price rows without those in ``[start, end]`` on days the calendar has no session.

    A row on a day the exchange calendar has no session (a weekday holiday the
    vendor's series carries) is not a trade date: kept, it would be a day of
    event time and its close would start the next day's return. It is left
    out, with one ``DataQualityWarning`` naming the dates (``eventstudy data
    check`` lists such rows as extra sessions). Weekend rows never reach here:
    the price reader drops them.
    """
    if frame.empty:
        return frame
    idx = frame.index
    inside = idx[(idx >= start) & (idx <= end)]
    extra = inside.difference(calendar.trade_dates(start, end)) if len(inside) else inside
    if not len(extra):
        return frame
    listed = ", ".join(f"{d:%Y-%m-%d}" for d in extra[:8]) + (
        f" and {len(extra) - 8} more" if len(extra) > 8 else "")
    warnings.warn(DataQualityWarning(
        f"{ticker}: {len(extra)} price row{'s' if len(extra) > 1 else ''} on days the "
        f"{calendar.name} calendar has no session ({listed}); such a row is not a trade date "
        f"and is left out of the returns (see `eventstudy data check {ticker}`)"), stacklevel=3)
    return frame.drop(extra)


def _on_exchange_calendar(data: ReturnData, prices, calendar) -> ReturnData:
    """``data`` on the calendar's trade dates (:func:`on_calendar`), the factors' own
    one-day returns on the dates the asset lacks."""
    index = data.returns.index
    trade_dates = calendar.trade_dates(index[0], index[-1])
    full = index.union(trade_dates[(trade_dates >= index[0]) & (trade_dates <= index[-1])])
    factors = list(data.factors)
    own = None
    if len(full) > len(index) and factors:
        closes = pd.DataFrame({f: _close_series(f, prices[f]).reindex(full) for f in factors},
                              index=full)
        own = _returns_from_table(closes, data.kind)
    cal = on_calendar(data.returns, trade_dates, roll=data.roll, thin=data.thin,
                      factor_returns=own)
    notes = list(data.notes)
    no_row = pd.Series(cal.returns.index.isin(cal.added), index=cal.returns.index,
                       name="no_row")
    if len(cal.added):
        notes.append(f"{len(cal.added)} trade dates without a price row (the next row's "
                     "return spans them, trade-to-trade): "
                     + ", ".join(f"{d:%Y-%m-%d}" for d in cal.added))
    return dataclasses.replace(data, returns=cal.returns, roll=cal.roll, thin=cal.thin,
                               notes=notes, no_row=no_row if no_row.any() else None,
                               trade_to_trade=cal.trade_to_trade if no_row.any() else None)


def spread_returns(data: ReturnData, prices, asset: str) -> ReturnData:
    """The spread ``asset = "A-B"`` of a panel of A with B as its first factor: R_A - R_B.

    Parameters
    ----------
    data : ReturnData
        :func:`prepare_returns` of A with factors ``(B, *factors)``: both legs'
        returns on A's trade dates, the roll mask of both legs and the futures
        factors.
    prices : dict
        The price frames (B's thin-trading days join the thin mask).
    asset : str
        The spread's name, ``"A-B"``.

    Returns
    -------
    ReturnData
        Columns ``[asset, *factors]``; thin the union of both legs' thin days.
    """
    a, b = data.asset, data.factors[0]
    returns = data.returns
    if not returns[b].notna().any():
        raise StudyConfigError(f"assets = {asset!r}: {b} has no price on {a}'s trade "
                               f"dates over the study's span; give two series that overlap")
    out = returns.drop(columns=[a, b])
    out.insert(0, asset, returns[a] - returns[b])
    thin = data.thin.copy()
    if is_continuous_future(b):
        thin |= thin_mask(b, prices[b]).reindex(thin.index, fill_value=False).astype(bool)
    return dataclasses.replace(data, returns=out, thin=thin, asset=asset,
                               factors=data.factors[1:],
                               notes=[*data.notes, f"{asset}: {a} minus {b}, "
                                      f"{data.kind} returns on {a}'s trade dates"])


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
        factor itself (:func:`eventstudy.config.lag_name`).
    roll : DataFrame or Series of bool, optional
        The factors' own contract-roll dates: a column per factor
        (:meth:`ReturnData.factor_rolls`; a factor without a column has
        none), or one Series for every factor.

    Returns
    -------
    DataFrame
        A copy with the new columns (the same frame when ``lags`` is ``(0,)``);
        a shifted value is missing where the factor's own return on its
        source row is missing or spans the factor's contract switch. The
        asset's roll dates do not touch the factors' returns.
    """
    lags = [int(g) for g in lags if int(g) != 0]
    if not lags:
        return returns
    src = returns[list(factors)]
    if roll is not None:
        if isinstance(roll, pd.Series):
            roll = pd.DataFrame({f: roll for f in factors})
        off = ~roll.reindex(index=returns.index, columns=list(factors),
                            fill_value=False).fillna(False).to_numpy(dtype=bool)
        src = src.where(off)
    new = {lag_name(f, g): src[f].shift(g) for f in factors for g in lags}
    return returns.assign(**new)
