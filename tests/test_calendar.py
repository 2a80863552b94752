"""Exchange calendars: session times, DST, holidays, early closes, corrections."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from eventstudy.calendar import CORRECTIONS, TICKER_CALENDARS, get_calendar
from eventstudy.exceptions import CalendarError, UnsupportedFutureError

CHICAGO = ZoneInfo("America/Chicago")


def _ct(y, m, d, hh, mm):
    return pd.Timestamp(dt.datetime(y, m, d, hh, mm, tzinfo=CHICAGO))


@pytest.mark.parametrize(
    ("ticker", "name", "tz"),
    [
        ("ZS=F", "CBOT_Agriculture", "America/Chicago"),
        ("zc=f", "CBOT_Agriculture", "America/Chicago"),
        ("ZW=F", "CBOT_Agriculture", "America/Chicago"),
        ("ES=F", "CME_Equity", "America/Chicago"),
        ("CL=F", "CMEGlobex_Energy", "America/Chicago"),
        ("DX=F", "ICEUS", "America/New_York"),
        ("SPY", "NYSE", "America/New_York"),
        ("UUP", "NYSE", "America/New_York"),
        ("SOYB", "NYSE", "America/New_York"),
        ("AAPL", "NYSE", "America/New_York"),
        ("CME_Equity", "CME_Equity", "America/Chicago"),
    ],
)
def test_get_calendar_maps_tickers(ticker, name, tz):
    cal = get_calendar(ticker)
    assert cal.name == name
    assert cal.tz == tz


def test_unknown_future_is_named_error():
    with pytest.raises(
        UnsupportedFutureError, match=r"'ZZ=F'.*supported: CL=F, DX=F, ES=F, ZC=F, ZS=F, ZW=F"
    ):
        get_calendar("ZZ=F")


def test_cbot_sessions_overnight_break_and_day_session():
    s = get_calendar("ZS=F").sessions("2025-01-14", "2025-01-14").iloc[0]
    assert s["open"] == _ct(2025, 1, 13, 19, 0)
    assert s["break_start"] == _ct(2025, 1, 14, 7, 45)
    assert s["break_end"] == _ct(2025, 1, 14, 8, 30)
    assert s["close"] == _ct(2025, 1, 14, 13, 20)
    assert str(s["open"].tz) == "America/Chicago"


def test_dst_switch_keeps_chicago_clock_and_moves_utc():
    # US DST began Sunday 2025-03-09: Friday's overnight open is 01:00 UTC (CST),
    # Monday's (Sunday 19:00 CDT) is 00:00 UTC.
    s = get_calendar("ZS=F").sessions("2025-03-07", "2025-03-10")
    assert list(s.index) == [pd.Timestamp("2025-03-07"), pd.Timestamp("2025-03-10")]
    utc = s["open"].dt.tz_convert("UTC")
    assert utc.iloc[0] == pd.Timestamp("2025-03-07 01:00", tz="UTC")
    assert utc.iloc[1] == pd.Timestamp("2025-03-10 00:00", tz="UTC")
    assert s["open"].iloc[1] == _ct(2025, 3, 9, 19, 0)
    assert s["close"].dt.tz_convert("UTC").iloc[1] == pd.Timestamp("2025-03-10 18:20", tz="UTC")


def test_thanksgiving_closed_and_early_close_next_day():
    cal = get_calendar("ZS=F")
    assert not cal.is_trade_date("2024-11-28")
    assert cal.next_trade_date("2024-11-28") == pd.Timestamp("2024-11-29")
    friday = cal.sessions("2024-11-29", "2024-11-29").iloc[0]
    assert friday["close"] == _ct(2024, 11, 29, 12, 0)
    assert friday["open"] == _ct(2024, 11, 28, 19, 0)


def test_juneteenth_closed_from_2022():
    cal = get_calendar("ZS=F")
    for day in ("2023-06-19", "2024-06-19", "2025-06-19"):
        assert not cal.is_trade_date(day)
    # CME first observed Juneteenth in 2022; it traded on 2021-06-18
    assert cal.is_trade_date("2021-06-18")
    assert list(cal.trade_dates("2025-06-16", "2025-06-20").strftime("%Y-%m-%d")) == [
        "2025-06-16",
        "2025-06-17",
        "2025-06-18",
        "2025-06-20",
    ]
    # observed on Monday when the 19th is a Sunday
    assert not cal.is_trade_date("2022-06-20")


def test_correction_table_applies():
    cal = get_calendar("ZS=F")
    assert [c.date for c in cal.corrections] == ["2025-01-09"]
    assert all(c.reason and c.source for c in CORRECTIONS)
    assert cal.is_trade_date("2025-01-09")
    assert not get_calendar("SPY").is_trade_date("2025-01-09")
    s = cal.sessions("2025-01-09", "2025-01-09").iloc[0]
    assert s["open"] == _ct(2025, 1, 8, 19, 0)
    assert s["close"] == _ct(2025, 1, 9, 13, 20)


def test_next_and_previous_trade_date():
    cal = get_calendar("ZS=F")
    assert cal.next_trade_date("2025-06-20") == pd.Timestamp("2025-06-20")
    assert cal.next_trade_date("2025-06-20", inclusive=False) == pd.Timestamp("2025-06-23")
    assert cal.next_trade_date(pd.Timestamp("2025-06-21 10:00")) == pd.Timestamp("2025-06-23")
    assert cal.previous_trade_date("2025-06-19") == pd.Timestamp("2025-06-18")


def test_bad_dates_are_calendar_errors():
    cal = get_calendar("ZS=F")
    with pytest.raises(CalendarError, match="'not a date' is not a date"):
        cal.is_trade_date("not a date")
    with pytest.raises(CalendarError, match="start 2025-02-01 is after end 2025-01-01"):
        cal.sessions("2025-02-01", "2025-01-01")
    with pytest.raises(CalendarError, match="outside the calendar range"):
        cal.trade_dates("1900-01-01", "1900-02-01")


def test_snapshot_disagreements_are_exactly_the_documented_vendor_days(prices_dir):
    """ZS=F trade dates against the corrected calendar: only the documented vendor days differ."""
    dates = pd.DatetimeIndex(pd.read_csv(prices_dir / "ZS=F.csv", usecols=["Date"])["Date"])
    cal = get_calendar("ZS=F")
    expected = cal.trade_dates(dates.min(), dates.max())
    extra = dates.difference(expected).strftime("%Y-%m-%d").tolist()
    missing = expected.difference(dates).strftime("%Y-%m-%d").tolist()
    assert extra == ["2004-06-11", "2005-11-24", "2006-11-23"]
    assert missing == [
        "2001-05-11",
        "2001-06-11",
        "2001-08-13",
        "2001-09-14",
        "2001-12-26",
        "2012-10-29",
        "2012-10-30",
        "2016-10-10",
        "2016-11-11",
    ]


def test_every_mapped_calendar_exists():
    for ticker in TICKER_CALENDARS:
        assert get_calendar(ticker).trade_dates("2024-01-02", "2024-01-31").size > 15


@pytest.mark.parametrize("ticker", ["ES=F", "CL=F", "DX=F"])
def test_globex_holiday_sessions_are_not_trade_dates(ticker):
    # Martin Luther King Day 2025: shortened electronic session, no settlement
    cal = get_calendar(ticker)
    assert not cal.is_trade_date("2025-01-20")
    assert cal.next_trade_date("2025-01-20") == pd.Timestamp("2025-01-21")
    assert get_calendar(cal.name).is_trade_date("2025-01-20")


def test_es_snapshot_disagreements_shrink_with_settlement_filter(prices_dir):
    dates = pd.DatetimeIndex(pd.read_csv(prices_dir / "ES=F.csv", usecols=["Date"])["Date"])
    filtered = get_calendar("ES=F").trade_dates(dates.min(), dates.max())
    raw = get_calendar("CME_Equity").trade_dates(dates.min(), dates.max())
    assert len(raw.difference(dates)) > 100
    assert filtered.difference(dates).strftime("%Y-%m-%d").tolist() == [
        "2001-09-12",
        "2001-09-13",
        "2001-09-14",
        "2012-10-29",
        "2012-10-30",
        "2016-10-10",
        "2016-11-11",
    ]
