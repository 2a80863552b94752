"""Exchange calendars: trade dates and session times of each instrument.

Sessions come from ``pandas_market_calendars``; the few days on which that
library and the exchange disagree are corrected in one place,
:data:`CORRECTIONS`, each row with its reason and source.

A *trade date* is a ``pandas.Timestamp`` at midnight without time zone. Its
session times are tz-aware, in the calendar's time zone. A CBOT grain trade
date runs from the overnight open at 19:00 CT on the evening before, through
the 07:45-08:30 CT break, to the 13:20 CT close.
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .exceptions import CalendarError, UnsupportedFutureError

__all__ = [
    "CORRECTIONS",
    "TICKER_CALENDARS",
    "TRADE_DATE_FILTERS",
    "DEFAULT_CALENDAR",
    "CalendarCorrection",
    "ExchangeCalendar",
    "get_calendar",
    "is_continuous_future",
    "supported_futures",
]

logger = logging.getLogger(__name__)

#: Calendar of each known ticker (``pandas_market_calendars`` names).
TICKER_CALENDARS: dict[str, str] = {
    "ZS=F": "CBOT_Agriculture",
    "ZC=F": "CBOT_Agriculture",
    "ZW=F": "CBOT_Agriculture",
    "ES=F": "CME_Equity",
    "CL=F": "CMEGlobex_Energy",
    "DX=F": "ICEUS",
    "SPY": "NYSE",
    "UUP": "NYSE",
    "SOYB": "NYSE",
    "CORN": "NYSE",
    "DBA": "NYSE",
}

#: Settlement calendar whose holidays are not trade dates of the calendar on the
#: left: its shortened electronic sessions on US holidays are booked on the next
#: trade date and have no settlement, so a daily series has no row for them.
TRADE_DATE_FILTERS: dict[str, str] = {
    "CME_Equity": "CME_TradeDate",
    "CMEGlobex_Energy": "CME_TradeDate",
    "ICEUS": "NYSE",
}

#: Calendar of plain tickers not in :data:`TICKER_CALENDARS` (US-listed ETFs, stocks).
DEFAULT_CALENDAR = "NYSE"


@dataclass(frozen=True)
class CalendarCorrection:
    """One day on which the exchange's schedule overrules ``pandas_market_calendars``.

    An ``open`` row gets the calendar's regular session times; ``reason`` says
    why the library is wrong that day and ``source`` where the exchange's
    schedule is recorded.
    """

    calendar: str
    date: str
    status: Literal["open", "closed"]
    reason: str
    source: str


#: The one place where the library's calendars are corrected.
CORRECTIONS: tuple[CalendarCorrection, ...] = (
    CalendarCorrection(
        calendar="CBOT_Agriculture",
        date="2025-01-09",
        status="open",
        reason=(
            "National Day of Mourning for President Carter: NYSE closed, and "
            "pandas_market_calendars closes CBOT grains too, but CME Group kept its "
            "grain and oilseed futures on their regular schedule (the equity and "
            "interest-rate products closed early). The Yahoo snapshot has full "
            "sessions that day (ZC=F volume 157,712 against 192,588 the day before)."
        ),
        source=(
            "CME Group holiday calendar notice for the National Day of Mourning, "
            "9 January 2025; snapshot ZS=F.csv, ZC=F.csv, ZW=F.csv rows of 2025-01-09"
        ),
    ),
)

_SESSION_COLUMNS = ["open", "break_start", "break_end", "close"]
_MCAL_COLUMNS = {"market_open": "open", "break_start": "break_start", "break_end": "break_end",
                 "market_close": "close"}
# Legacy IANA links some calendars use, replaced by their canonical zone.
_TZ_ALIASES = {"US/Eastern": "America/New_York", "US/Central": "America/Chicago"}
# The schedule is computed once over this span and sliced; dates outside it are refused.
_FIRST = pd.Timestamp("1990-01-01")
_LAST = pd.Timestamp("2035-12-31")


def is_continuous_future(ticker: str) -> bool:
    """True for a Yahoo continuous futures symbol (ending in ``=F``)."""
    return isinstance(ticker, str) and ticker.strip().upper().endswith("=F")


def supported_futures() -> list[str]:
    """Continuous futures symbols (``...=F``) with a known calendar, sorted."""
    return sorted(t for t in TICKER_CALENDARS if is_continuous_future(t))


def _to_date(value, tz: str, what: str = "date") -> pd.Timestamp:
    """A trade date (midnight, no time zone) from a str, date or Timestamp."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise CalendarError(f"{what} {value!r} is not a date; give YYYY-MM-DD") from exc
    if ts is pd.NaT:
        raise CalendarError(f"{what} {value!r} is not a date; give YYYY-MM-DD")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(tz).tz_localize(None)
    ts = ts.normalize()
    if not _FIRST <= ts <= _LAST:
        raise CalendarError(
            f"{what} {ts.date()} is outside the calendar range {_FIRST.date()} to {_LAST.date()}"
        )
    return ts


def _regular_time(mcal_calendar, key: str, day: pd.Timestamp, tz: str) -> pd.Timestamp:
    """The regular ``key`` time (e.g. ``market_open``) of trade date ``day``, tz-aware."""
    entries = mcal_calendar.regular_market_times.get(key)
    if not entries:
        return pd.NaT
    chosen = None
    for entry in entries:
        since = entry[0]
        if since is None or pd.Timestamp(since) <= day:
            chosen = entry
    if chosen is None:
        return pd.NaT
    clock: _dt.time = chosen[1]
    offset = chosen[2] if len(chosen) > 2 else 0
    local = (day + pd.Timedelta(days=offset)).replace(
        hour=clock.hour, minute=clock.minute, second=clock.second
    )
    return local.tz_localize(tz)


class ExchangeCalendar:
    """Trade dates and session times of one exchange calendar.

    Parameters
    ----------
    name : str
        A ``pandas_market_calendars`` calendar name.
    trade_date_calendar : str, optional
        A settlement calendar whose holidays are dropped (:data:`TRADE_DATE_FILTERS`).

    Attributes
    ----------
    tz : str
        IANA time zone of the session times.
    corrections : tuple of CalendarCorrection
        The rows of :data:`CORRECTIONS` applied to this calendar.
    """

    def __init__(self, name: str, trade_date_calendar: str | None = None):
        import pandas_market_calendars as mcal

        try:
            self._mcal = mcal.get_calendar(name)
        except (RuntimeError, KeyError, ValueError) as exc:
            raise CalendarError(
                f"unknown calendar {name!r}; use a name from "
                "pandas_market_calendars.get_calendar_names()"
            ) from exc
        self.name = name
        tz = self._mcal.tz
        tz_name = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
        self.tz: str = _TZ_ALIASES.get(tz_name, tz_name)
        self.corrections = tuple(c for c in CORRECTIONS if c.calendar == name)
        self.trade_date_calendar: str | None = trade_date_calendar

    def __repr__(self) -> str:
        return f"ExchangeCalendar({self.name!r}, tz={self.tz!r})"

    @functools.cached_property
    def _schedule(self) -> pd.DataFrame:
        """Every session from 1990 to 2035, settlement holidays dropped and corrections applied."""
        with warnings.catch_warnings():
            # pandas deprecation notices raised inside pandas_market_calendars
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            raw = self._mcal.schedule(_FIRST, _LAST)
        frame = raw.rename(columns=_MCAL_COLUMNS)
        for col in _SESSION_COLUMNS:
            if col not in frame:
                frame[col] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
        frame = frame[_SESSION_COLUMNS].apply(lambda col: col.dt.tz_convert(self.tz))
        frame.index = pd.DatetimeIndex(frame.index).tz_localize(None).normalize()
        if self.trade_date_calendar is not None:
            settle = _calendar(self.trade_date_calendar, None).trade_dates(_FIRST, _LAST)
            dropped = frame.index.difference(settle)
            frame = frame.drop(index=dropped)
            logger.debug("calendar %s: %d holiday sessions without settlement dropped (%s "
                         "holidays)", self.name, len(dropped), self.trade_date_calendar)
        for corr in self.corrections:
            day = pd.Timestamp(corr.date)
            if corr.status == "closed":
                frame = frame.drop(index=day, errors="ignore")
            else:
                frame.loc[day] = pd.Series({col: _regular_time(self._mcal, key, day, self.tz)
                                            for key, col in _MCAL_COLUMNS.items()})
            logger.debug("calendar %s: %s set %s (%s)", self.name, corr.date, corr.status,
                         corr.source)
        frame = frame.sort_index()
        frame.index.name = "date"
        return frame

    def _span(self, start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
        lo = _to_date(start, self.tz, "start")
        hi = _to_date(end, self.tz, "end")
        if lo > hi:
            raise CalendarError(f"start {lo.date()} is after end {hi.date()}; swap them")
        return lo, hi

    def sessions(self, start, end) -> pd.DataFrame:
        """Sessions with trade dates in ``[start, end]`` (inclusive).

        Index ``date``; columns ``open``, ``break_start``, ``break_end``,
        ``close`` in :attr:`tz` (NaT breaks for calendars without one).
        """
        lo, hi = self._span(start, end)
        return self._schedule.loc[lo:hi].copy()

    def trade_dates(self, start, end) -> pd.DatetimeIndex:
        """Trade dates in ``[start, end]`` (midnight, no time zone)."""
        lo, hi = self._span(start, end)
        idx = self._schedule.index
        return idx[(idx >= lo) & (idx <= hi)]

    def is_trade_date(self, date) -> bool:
        """True if ``date`` is a trade date of this calendar."""
        day = _to_date(date, self.tz)
        return bool(self._schedule.index.isin([day]).any())

    def closed_days(self, dates) -> np.ndarray:
        """True for each date on which the exchange is closed for certain.

        Such a date lies outside the calendar's trading week (``weekmask`` of
        ``pandas_market_calendars``: Saturday and Sunday for every calendar of
        :data:`TICKER_CALENDARS`) and is not a session (a row of
        :data:`CORRECTIONS` or a special session can open one). A weekday
        holiday is not included: the library's holiday lists and the
        exchanges' records of shortened or electronic holiday sessions
        disagree (a vendor's daily series often has a row for them), so such a
        row is reported (:func:`eventstudy.quality.check_data`, extra
        sessions), never removed. Dates outside the calendar's range are
        judged by the weekday alone.

        Parameters
        ----------
        dates : array-like of datetime
            Trade dates (midnight, no time zone).

        Returns
        -------
        numpy.ndarray of bool
        """
        days = pd.DatetimeIndex(dates).normalize()
        off = ~np.is_busday(days.to_numpy().astype("datetime64[D]"),
                            weekmask=self._mcal.weekmask)
        inside = off & (days >= _FIRST) & (days <= _LAST)
        if inside.any():
            off[inside] = ~days[inside].isin(self._schedule.index)
        return off

    def next_trade_date(self, date, inclusive: bool = True) -> pd.Timestamp:
        """The first trade date on or after ``date`` (after, if ``inclusive=False``)."""
        day = _to_date(date, self.tz)
        idx = self._schedule.index
        pos = idx.searchsorted(day, side="left" if inclusive else "right")
        if pos >= len(idx):
            raise CalendarError(f"no trade date after {day.date()} before {_LAST.date()}")
        return idx[pos]

    def previous_trade_date(self, date, inclusive: bool = True) -> pd.Timestamp:
        """The last trade date on or before ``date`` (before, if ``inclusive=False``)."""
        day = _to_date(date, self.tz)
        idx = self._schedule.index
        pos = idx.searchsorted(day, side="right" if inclusive else "left") - 1
        if pos < 0:
            raise CalendarError(f"no trade date before {day.date()} after {_FIRST.date()}")
        return idx[pos]


@functools.cache
def _calendar(name: str, trade_date_calendar: str | None) -> ExchangeCalendar:
    return ExchangeCalendar(name, trade_date_calendar)


def get_calendar(ticker_or_name: str) -> ExchangeCalendar:
    """The exchange calendar of a ticker, or a calendar by name.

    Parameters
    ----------
    ticker_or_name : str
        A ticker of :data:`TICKER_CALENDARS` (case-insensitive; filtered by
        :data:`TRADE_DATE_FILTERS`), a ``pandas_market_calendars`` name, or
        another plain ticker (:data:`DEFAULT_CALENDAR`).

    Raises
    ------
    UnsupportedFutureError
        For a continuous futures symbol (``...=F``) without a known calendar.

    Examples
    --------
    >>> get_calendar("ZS=F").name
    'CBOT_Agriculture'
    >>> get_calendar("SPY").tz
    'America/New_York'
    """
    import pandas_market_calendars as mcal

    if not isinstance(ticker_or_name, str) or not ticker_or_name.strip():
        raise CalendarError(
            f"ticker or calendar name must be a non-empty string; got {ticker_or_name!r}"
        )
    key = ticker_or_name.strip()
    upper = key.upper()
    if upper in TICKER_CALENDARS:
        name = TICKER_CALENDARS[upper]
        return _calendar(name, TRADE_DATE_FILTERS.get(name))
    if key in mcal.get_calendar_names():
        return _calendar(key, None)
    if upper.endswith("=F"):
        raise UnsupportedFutureError(
            f"no calendar or roll rule for the futures symbol {ticker_or_name!r}; "
            f"supported: {', '.join(supported_futures())}"
        )
    return _calendar(DEFAULT_CALENDAR, None)
