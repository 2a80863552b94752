"""Returns aligned on the asset's trade dates, with roll and thin-trading masks.

:func:`compute_returns` turns prices into returns over consecutive trade dates
of the asset; :func:`prepare_returns` adds the contract-roll and thin-trading
masks of :mod:`eventstudy.contracts` and bundles everything in
:class:`ReturnData`, the input of the model stage.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .options import ReturnKind, check_option
from .exceptions import DataError, DataQualityWarning, InvalidTickerError

__all__ = ["ReturnData", "common_span", "compute_returns", "prepare_returns"]

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

    so a benchmark's return covers the same holding period as the asset's
    (a factor's close on a date when the asset did not trade is skipped, and
    its move is part of the next asset return). A factor without a close on an
    asset date makes both returns that use it missing. Forward filling that
    close instead would report a zero factor return on that date and pile two
    days of factor movement into the next one, misaligning the holding periods
    and biasing market-model betas toward zero, the non-synchronous trading
    problem of Scholes and Williams (1977). A zero or negative price (WTI
    crude ``CL=F`` settled at -37.63 USD on 2020-04-20) has no log return and
    a meaningless simple one, so it is set to missing in both kinds.

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
    """Returns on the asset's trade dates with the masks the model stage needs.

    Attributes
    ----------
    returns : pandas.DataFrame
        :func:`compute_returns` output: index ``date``, columns
        ``[asset, *factors]``; missing where a price was unusable. Roll and
        thin days are *not* blanked here; they are flagged by the masks. Its
        ``attrs`` hold ``kind`` only: the price exclusions are rows of
        ``exclusions`` (pandas deep-copies ``attrs`` on every operation).
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

    @property
    def valid(self) -> pd.Series:
        """True where every return of the row is present and the date is not a roll."""
        return (self.returns.notna().all(axis=1) & ~self.roll).rename("valid")


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
    """The first and last dates that every ticker's prices cover.

    Returns start where the last series starts (UUP begins in 2007) and end
    where the first one ends, so no factor is missing at either end; pass
    them as ``start``/``end`` to :func:`prepare_returns`.
    """
    frames = [frame for frame in prices.values() if len(frame)]
    return (max(frame.index[0] for frame in frames), min(frame.index[-1] for frame in frames))


def _asset_frame(prices, asset: str) -> pd.DataFrame:
    if isinstance(prices, pd.DataFrame):
        close = prices[asset]
        return close[close.notna()].to_frame("Close")
    value = prices[asset]
    return value.to_frame("Close") if isinstance(value, pd.Series) else value


def prepare_returns(
    prices,
    asset: str,
    factors: Iterable[str] = (),
    kind: ReturnKind = "log",
    mask_rolls: bool = True,
    thin: bool = True,
    start=None,
    end=None,
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
    start : date-like, optional
        First price date used for the returns (e.g. the latest first date
        among the tickers). The thin-trading rule still sees the asset's whole
        history, so its look-back of recent volumes is the same as in
        ``eventstudy data check``.
    end : date-like, optional
        Last price date used (e.g. the earliest last date among the tickers,
        so that no factor is missing at the end of the sample).

    Returns
    -------
    ReturnData

    Notes
    -----
    A return dated :math:`t_k` spans :math:`(t_{k-1}, t_k]` of the asset's
    trade dates for *every* ticker, so the roll mask of each futures series is
    computed on the asset's dates: a factor that switches contract on a day
    the asset did not trade still contaminates the asset-dated return that
    spans the switch. The roll mask is the union

    .. math:: \\text{roll}_t = \\bigvee_{i \\in \\{\\text{asset}\\} \\cup F_c}
              \\text{roll}_{i,t},

    with :math:`F_c` the continuous-futures factors. Every excluded date is
    logged and listed in :attr:`ReturnData.exclusions`.
    """
    contracts = importlib.import_module("eventstudy.contracts")
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
    # exclusions as (dates, ticker, reason, detail) parts, one per source
    parts = [(pd.DatetimeIndex([r["date"] for r in price_rows]).as_unit("ns").to_numpy(),
              [r["ticker"] for r in price_rows], [r["reason"] for r in price_rows],
              [r["detail"] for r in price_rows])] if price_rows else []
    # The exclusions live in ReturnData.exclusions: pandas deep-copies attrs on
    # every operation on a frame, and the model stage slices returns often.
    returns.attrs = {"kind": kind}
    notes = []
    if price_rows:
        notes.append(f"{len(price_rows)} prices set to missing (zero, negative or absent)")

    roll = pd.Series(False, index=index, name="roll")
    if mask_rolls:
        for ticker in (asset, *factors):
            if not contracts.is_continuous_future(ticker):
                continue
            mask = contracts.roll_mask(ticker, index).reindex(index, fill_value=False)
            mask = mask.astype(bool).to_numpy()
            _add_part(parts, index[mask], ticker, "contract roll")
            roll |= mask
            if mask.any():
                notes.append(f"{ticker}: {int(mask.sum())} roll dates masked")
        if roll.any():
            logger.info(
                "%s: %d return dates masked as contract rolls of %s",
                asset, int(roll.sum()),
                ", ".join(t for t in (asset, *factors) if contracts.is_continuous_future(t)),
            )

    thin_days = pd.Series(False, index=index, name="thin")
    if thin:
        frame = _asset_frame(full_prices, asset)
        mask = contracts.thin_mask(asset, frame).reindex(index, fill_value=False)
        thin_days |= mask.astype(bool).to_numpy()
        _add_part(parts, index[thin_days.to_numpy()], asset, "thin trading")
        if thin_days.any():
            notes.append(f"{asset}: {int(thin_days.sum())} thin-trading dates flagged")
            logger.info("%s: %d thin-trading dates flagged", asset, int(thin_days.sum()))

    exclusions = _exclusion_table(parts)
    provenance = (
        {t: dict(prices[t].attrs.get("provenance", {})) for t in (asset, *factors)}
        if isinstance(prices, Mapping)
        else {}
    )
    return ReturnData(
        returns=returns,
        roll=roll,
        thin=thin_days,
        exclusions=exclusions,
        asset=asset,
        factors=factors,
        kind=kind,
        provenance=provenance,
        notes=notes,
    )
