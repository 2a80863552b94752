"""The data-quality report of one ticker (``eventstudy data check``).

:func:`check_data` loads the prices through :func:`eventstudy.data.load_prices`
and compares them with the exchange calendar (:mod:`eventstudy.calendar`) and
the contract rules (:mod:`eventstudy.contracts`). Nothing is dropped or
changed: the report lists what later stages will mask or exclude.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .calendar import get_calendar
from .contracts import is_continuous_future, product, roll_days, thin_mask, thin_periods
from .exceptions import PriceFileError

__all__ = ["DataCheck", "check_data", "N_LARGEST"]

logger = logging.getLogger(__name__)

#: Number of largest absolute returns listed.
N_LARGEST = 10


def _iso(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def _num(x):
    """JSON-safe float: None for NaN."""
    x = float(x)
    return None if not np.isfinite(x) else x


@dataclass(frozen=True)
class DataCheck:
    """Result of :func:`check_data`; every list is in date order.

    Attributes
    ----------
    ticker, calendar, source : str
        The symbol, its exchange calendar and where the prices came from.
    first, last : pandas.Timestamp
        First and last trade date of the data.
    rows : int
        Number of rows (after any duplicate date was reduced to its first row).
    missing_sessions : list of Timestamp
        Trade dates of the calendar within ``[first, last]`` without a row.
    extra_sessions : list of Timestamp
        Rows on dates the calendar calls closed.
    duplicate_dates : list of Timestamp
        Dates with more than one row in the source file.
    nonpositive_prices : list of dict
        ``{"date", "column", "value"}`` for each price <= 0.
    zero_volume : list of Timestamp
        Rows whose volume is zero or missing.
    roll_days : pandas.DataFrame
        :func:`eventstudy.contracts.roll_days` with evidence.
    thin_periods : list of (Timestamp, Timestamp)
        Runs of thin-trading rows.
    largest_returns : pandas.DataFrame
        The :data:`N_LARGEST` largest absolute log returns of Close over
        consecutive rows: ``date``, ``return``, ``label`` (``roll``, ``thin`` or ``-``).
    """

    ticker: str
    calendar: str
    source: str
    first: pd.Timestamp
    last: pd.Timestamp
    rows: int
    missing_sessions: list = field(default_factory=list)
    extra_sessions: list = field(default_factory=list)
    duplicate_dates: list = field(default_factory=list)
    nonpositive_prices: list = field(default_factory=list)
    zero_volume: list = field(default_factory=list)
    roll_days: pd.DataFrame = field(default_factory=pd.DataFrame)
    thin_periods: list = field(default_factory=list)
    largest_returns: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_dict(self) -> dict:
        """JSON-ready dict (dates as ``YYYY-MM-DD``)."""
        rolls = [
            {
                "date": _iso(r.date),
                "contract_from": r.contract_from,
                "contract_to": r.contract_to,
                "last_trade_date": _iso(r.last_trade_date),
                "rule": r.rule,
                "volume_evidence": _num(r.volume_evidence),
                "price_gap": _num(r.price_gap),
            }
            for r in self.roll_days.itertuples(index=False)
        ]
        return {
            "ticker": self.ticker,
            "calendar": self.calendar,
            "source": self.source,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "rows": int(self.rows),
            "missing_sessions": [_iso(d) for d in self.missing_sessions],
            "extra_sessions": [_iso(d) for d in self.extra_sessions],
            "duplicate_dates": [_iso(d) for d in self.duplicate_dates],
            "nonpositive_prices": [
                {"date": _iso(p["date"]), "column": p["column"], "value": _num(p["value"])}
                for p in self.nonpositive_prices
            ],
            "zero_volume": [_iso(d) for d in self.zero_volume],
            "roll_days": rolls,
            "thin_periods": [{"start": _iso(a), "end": _iso(b)} for a, b in self.thin_periods],
            "largest_returns": [
                {"date": _iso(r.date), "return": _num(r[1]), "label": r.label}
                for r in self.largest_returns.itertuples(index=False)
            ],
        }

    def to_text(self) -> str:
        """Plain-text report."""

        def dates(items, limit=12):
            shown = ", ".join(_iso(d) for d in items[:limit])
            more = f" ... (+{len(items) - limit})" if len(items) > limit else ""
            return (shown + more) if items else "none"

        roll_dates = list(self.roll_days["date"]) if len(self.roll_days) else []
        lines = [
            f"data check: {self.ticker} ({self.source}; calendar {self.calendar})",
            f"span: {_iso(self.first)} to {_iso(self.last)}, {self.rows} rows",
            f"missing sessions ({len(self.missing_sessions)}): {dates(self.missing_sessions)}",
            f"extra sessions ({len(self.extra_sessions)}): {dates(self.extra_sessions)}",
            f"duplicate dates ({len(self.duplicate_dates)}): {dates(self.duplicate_dates)}",
            f"non-positive prices ({len(self.nonpositive_prices)}): "
            + (
                ", ".join(
                    f"{_iso(p['date'])} {p['column']}={p['value']:g}"
                    for p in self.nonpositive_prices[:12]
                )
                or "none"
            ),
            f"zero or missing volume ({len(self.zero_volume)}): {dates(self.zero_volume)}",
            f"roll days ({len(self.roll_days)}): {dates(roll_dates)}",
            f"thin-trading periods ({len(self.thin_periods)}): "
            + (
                ", ".join(f"{_iso(a)}..{_iso(b)}" for a, b in self.thin_periods[-8:])
                + (" (last 8 shown)" if len(self.thin_periods) > 8 else "")
                if self.thin_periods
                else "none"
            ),
            "largest absolute returns (log, Close):",
        ]
        for r in self.largest_returns.itertuples(index=False):
            lines.append(f"  {_iso(r.date)}  {r[1]:+.4f}  {r.label}")
        return "\n".join(lines)


def _prices_folder(prices_dir) -> Path | None:
    if prices_dir is not None:
        return Path(prices_dir)
    env = os.environ.get("EVENTSTUDY_PRICES_DIR")
    return Path(env) if env else None


def _raw_duplicates(ticker: str, folder: Path | None, start, end) -> list[pd.Timestamp]:
    """Dates with more than one row in the snapshot file, read before any de-duplication."""
    if folder is None:
        return []
    path = folder / f"{ticker}.csv"
    if not path.is_file():
        return []
    try:
        raw = pd.read_csv(path, usecols=["Date"], dtype=str)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return []  # load_prices reports the malformed file
    dates = pd.to_datetime(raw["Date"].str.strip(), format="%Y-%m-%d", errors="coerce").dropna()
    if start is not None:
        dates = dates[dates >= pd.Timestamp(start)]
    if end is not None:
        dates = dates[dates <= pd.Timestamp(end)]
    dup = pd.DatetimeIndex(dates[dates.duplicated(keep=False)]).unique().sort_values()
    return list(dup)


def _read_first_of_duplicates(ticker: str, folder: Path, start, end) -> pd.DataFrame:
    """The snapshot file with the first row of each duplicated date kept."""
    frame = pd.read_csv(folder / f"{ticker}.csv")
    frame["Date"] = pd.to_datetime(frame["Date"].astype(str).str.strip(), format="%Y-%m-%d")
    frame = frame.drop_duplicates("Date", keep="first").set_index("Date").sort_index()
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    frame = frame.loc[pd.Timestamp(start) if start else None : pd.Timestamp(end) if end else None]
    return frame.astype(float)


def _load(ticker, folder, start, end, duplicates) -> tuple[pd.DataFrame, str]:
    from .data import load_prices

    try:
        frame = load_prices(ticker, start, end, prices_dir=folder)[ticker]
    except PriceFileError:
        if not duplicates:
            raise
        logger.warning(
            "%s: %d duplicated dates; the first row of each is used for the rest of the check",
            ticker,
            len(duplicates),
        )
        return _read_first_of_duplicates(ticker, folder, start, end), "snapshot"
    source = frame.attrs.get("provenance", {}).get("source", "unknown")
    return frame, source


def check_data(ticker: str, prices_dir=None, start=None, end=None) -> DataCheck:
    """Data-quality report of one ticker.

    Parameters
    ----------
    ticker : str
        Yahoo symbol, e.g. ``"ZS=F"``.
    prices_dir : path-like, optional
        Snapshot folder; default ``$EVENTSTUDY_PRICES_DIR``, else Yahoo
        through the cache (see :func:`eventstudy.data.load_prices`).
    start, end : date-like, optional
        Inclusive bounds on the trade dates checked.

    Returns
    -------
    DataCheck

    Raises
    ------
    UnsupportedFutureError
        For an ``=F`` symbol without a roll rule.
    DataError
        When prices cannot be loaded (missing file, network down).

    Notes
    -----
    Returns are :math:`r_t = \\ln(C_t / C_{t-1})` over consecutive rows; a
    non-positive close gives a missing return. A return is labelled ``roll``
    when its date is a roll day, else ``thin`` when its date is thin.
    """
    if is_continuous_future(ticker):
        product(ticker)
    cal = get_calendar(ticker)
    folder = _prices_folder(prices_dir)
    duplicates = _raw_duplicates(ticker, folder, start, end)
    prices, source = _load(ticker, folder, start, end, duplicates)
    idx = pd.DatetimeIndex(prices.index)
    first, last = idx[0], idx[-1]

    expected = cal.trade_dates(first, last)
    missing = list(expected.difference(idx))
    extra = list(idx.difference(expected))

    nonpositive = []
    for col in ("Open", "High", "Low", "Close"):
        if col in prices:
            bad = prices[col] <= 0
            nonpositive += [
                {"date": d, "column": col, "value": float(v)}
                for d, v in prices.loc[bad, col].items()
            ]
    nonpositive.sort(key=lambda p: (p["date"], p["column"]))

    if "Volume" in prices:
        vol = prices["Volume"]
        zero_volume = list(idx[(vol.isna() | (vol == 0)).to_numpy()])
    else:
        zero_volume = []

    rolls = roll_days(ticker, idx, prices.get("Volume"), close=prices["Close"])
    thin = thin_mask(ticker, prices)
    periods = thin_periods(ticker, prices)

    close = prices["Close"].to_numpy(dtype=float)
    ret = np.full(close.size, np.nan)
    ok = (close[1:] > 0) & (close[:-1] > 0)
    ret[1:][ok] = np.log(close[1:][ok] / close[:-1][ok])
    returns = pd.Series(ret, index=idx)
    top = returns.abs().dropna().sort_values(ascending=False, kind="stable").index[:N_LARGEST]
    roll_set = set(rolls["date"]) if len(rolls) else set()
    labels = ["roll" if d in roll_set else ("thin" if thin.loc[d] else "-") for d in top]
    largest = pd.DataFrame(
        {"date": list(top), "return": returns.loc[top].to_numpy(), "label": labels}
    )

    for name, items in (
        ("missing sessions", missing),
        ("extra sessions", extra),
        ("duplicate dates", duplicates),
    ):
        if items:
            logger.info("%s: %d %s", ticker, len(items), name)
    return DataCheck(
        ticker=ticker,
        calendar=cal.name,
        source=source,
        first=first,
        last=last,
        rows=int(idx.size),
        missing_sessions=missing,
        extra_sessions=extra,
        duplicate_dates=duplicates,
        nonpositive_prices=nonpositive,
        zero_volume=zero_volume,
        roll_days=rolls,
        thin_periods=periods,
        largest_returns=largest,
    )
