"""Rows a price file should not have, and columns it may lack.

* A row on a day the exchange is closed for certain (a weekend) is never a
  trade date: the reader drops it with one warning naming the file, lines and
  dates; ``data check`` lists it. A download (a fake ``yfinance.download``)
  drops it likewise, naming the ticker and dates, and the cache never holds
  it. A row on a weekday holiday is kept (the vendor's series has such rows
  for sessions the library's calendar omits).
* A continuous future without a ``Volume`` column says once that thin trading
  comes from the contract calendar alone; a close-only ETF says nothing.
* A date outside pandas' range is a file error naming the line (prices and
  events).

Damaged files are copies of the real snapshot (or small hand-made files)
written in ``tmp_path``; the snapshot itself is only read.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy import prices
from eventstudy.calendar import get_calendar
from eventstudy.cli import main
from eventstudy.exceptions import DataQualityWarning, DownloadError, EventFileError, PriceFileError
from eventstudy.prices import load_prices, read_cache, read_snapshot
from eventstudy.quality import check_data

EVENTS = Path(__file__).resolve().parents[1] / "data" / "events.csv"
NO_VOLUME = (r"no Volume column; thin trading of ZS=F is taken from the contract calendar "
             r"alone \(the delivery periods\), not from volume")


def insert_rows(src: Path, dst: Path, rows: dict[str, str]) -> dict[str, int]:
    """Copy ``src`` to ``dst`` with each ``{date: row}`` inserted before the first later date.

    Returns the file line (header = 1) of each inserted row.
    """
    lines = src.read_text().splitlines()
    for date, row in sorted(rows.items()):
        at = next(i for i, line in enumerate(lines) if i and line[:10] > date)
        lines.insert(at, row)
    dst.write_text("\n".join(lines) + "\n")
    return {line[:10]: i + 1 for i, line in enumerate(lines) if line[:10] in rows}


def small_file(path: Path, dates) -> None:
    closes = 100 + np.arange(len(dates), dtype=float)
    pd.DataFrame({"Date": pd.DatetimeIndex(dates).strftime("%Y-%m-%d"), "Close": closes}
                 ).to_csv(path, index=False)


# ----------------------------------------------------------------------------- closed days


def test_closed_days_are_the_weekends_of_the_calendar():
    days = pd.date_range("2024-12-20", "2025-01-15")  # Christmas, New Year, 2025-01-09
    weekend = days.day_of_week.to_numpy() >= 5  # Mon=0 ... Sat=5, Sun=6
    for ticker in ("ZS=F", "ES=F", "CL=F", "DX=F", "SPY"):
        np.testing.assert_array_equal(get_calendar(ticker).closed_days(days), weekend)
    far = pd.DatetimeIndex(["1980-01-05", "1980-01-07", "2040-01-07"])  # Sat, Mon, Sun
    np.testing.assert_array_equal(get_calendar("ZS=F").closed_days(far), [True, False, True])


def test_saturday_row_leaves_the_study_unchanged(tmp_path, prices_dir):
    folder = tmp_path / "prices"
    folder.mkdir()
    shutil.copy(prices_dir / "SPY.csv", folder / "SPY.csv")
    lines = insert_rows(prices_dir / "ZS=F.csv", folder / "ZS=F.csv",
                        {"2025-11-01": "2025-11-01,1105.0,1110.0,1100.0,1108.0,1234"})
    study = es.Study(asset="ZS=F", factors=["SPY"], events=EVENTS, event_ids=["busan-meeting"],
                     windows=[[-1, 5], [0, 0]], placebo_draws=0)
    clean = es.analyse(study, prices_dir=prices_dir)
    with pytest.warns(DataQualityWarning,
                      match=rf"ZS=F\.csv: 1 row on a day the exchange is closed: line "
                            rf"{lines['2025-11-01']} \(2025-11-01, a Saturday\); such a row is "
                            r"never a trade date and is dropped\. Fix the file"):
        damaged = es.analyse(study, prices_dir=folder)
    assert pd.Timestamp("2025-11-01") not in damaged.dates
    pd.testing.assert_frame_equal(damaged.car, clean.car, check_exact=False, rtol=0, atol=1e-15)
    pd.testing.assert_frame_equal(damaged.ar, clean.ar, check_exact=False, rtol=0, atol=1e-15)
    # the window's last day is the fifth session after the event, 2025-11-06
    assert damaged.ar["date"].iloc[-1] == pd.Timestamp("2025-11-06")


def test_closed_rows_give_one_warning_and_are_listed(tmp_path, capsys):
    dates = pd.bdate_range("2024-01-02", periods=60)
    small_file(tmp_path / "AAA.csv", dates)
    lines = insert_rows(tmp_path / "AAA.csv", tmp_path / "AAA.csv",
                        {"2024-01-13": "2024-01-13,1.0", "2024-02-04": "2024-02-04,2.0"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_snapshot("AAA", tmp_path)
    messages = [str(w.message) for w in caught if w.category is DataQualityWarning]
    assert messages == [
        f"{tmp_path / 'AAA.csv'}: 2 rows on a day the exchange is closed: line "
        f"{lines['2024-01-13']} (2024-01-13, a Saturday), line {lines['2024-02-04']} "
        "(2024-02-04, a Sunday); such a row is never a trade date and is dropped. Fix the file "
        "(see `eventstudy data check AAA`)"
    ]
    assert frame.index.equals(pd.DatetimeIndex(dates, name="date"))
    np.testing.assert_array_equal(frame["Close"].to_numpy(), 100 + np.arange(60.0))
    listed = [{"date": "2024-01-13", "line": lines["2024-01-13"], "weekday": "Saturday"},
              {"date": "2024-02-04", "line": lines["2024-02-04"], "weekday": "Sunday"}]
    assert frame.attrs["provenance"]["closed_days"] == listed
    # a window that leaves a closed row out does not list it
    later = read_snapshot("AAA", tmp_path, start="2024-01-20")
    assert later.attrs["provenance"]["closed_days"] == listed[1:]

    check = check_data("AAA", prices_dir=tmp_path)
    assert check.closed_day_rows == listed and check.problems == 2
    assert all(d.day_of_week < 5 for d in check.extra_sessions)
    assert (f"rows on closed days, dropped (2): line {lines['2024-01-13']} (2024-01-13, a "
            f"Saturday), line {lines['2024-02-04']} (2024-02-04, a Sunday)") in check.to_text()
    capsys.readouterr()
    assert main(["data", "check", "AAA", "--prices-dir", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["closed_day_rows"] == listed and report["problems"] == 2


def test_weekday_holiday_row_is_kept(tmp_path):
    dates = pd.bdate_range("2024-12-02", "2025-01-31")  # holds 2024-12-25 and 2025-01-01
    small_file(tmp_path / "AAA.csv", dates)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        frame = read_snapshot("AAA", tmp_path)
    assert frame.index.equals(pd.DatetimeIndex(dates, name="date"))
    check = check_data("AAA", prices_dir=tmp_path)
    assert check.closed_day_rows == [] and check.problems == 0
    assert pd.Timestamp("2024-12-25") in check.extra_sessions


def test_snapshot_files_lose_no_row(prices_dir):
    for path in sorted(prices_dir.glob("*.csv")):
        rows = sum(1 for line in path.read_text().splitlines()[1:] if line.strip())
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataQualityWarning)
            frame = read_snapshot(path.stem, prices_dir)
        assert len(frame) == rows, path.name
        prov = frame.attrs["provenance"]
        assert prov["closed_days"] == [] and prov["notes"] == [], path.name


# ----------------------------------------------------------------------------- downloads

#: Weekdays around the Busan meeting and the Saturday 2025-11-01 a vendor may add.
WEEKDAYS = pd.bdate_range("2025-10-27", "2025-11-07")
SATURDAY = pd.Timestamp("2025-11-01")


def yahoo(ticker, dates, volume=True):
    """A frame shaped like ``yfinance.download`` 1.x: ``(Price, Ticker)`` columns, local dates."""
    dates = pd.DatetimeIndex(dates)
    close = 1100.0 + np.arange(len(dates), dtype=float)
    fields = {"Close": close, "Volume": np.full(len(dates), 5000.0)} if volume else {"Close": close}
    columns = pd.MultiIndex.from_tuples([(f, ticker) for f in fields], names=["Price", "Ticker"])
    return pd.DataFrame(np.column_stack(list(fields.values())), columns=columns,
                        index=dates.rename("Date").tz_localize("America/Chicago"))


def never(ticker, **kwargs):
    raise AssertionError(f"unexpected download of {ticker}")


@pytest.fixture
def settled(monkeypatch, cache_dir):
    """Downloads stamped after every bar settled, into a private cache; no snapshot folder."""
    monkeypatch.delenv("EVENTSTUDY_PRICES_DIR", raising=False)
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(cache_dir))
    monkeypatch.setattr(prices, "_now_utc", lambda: pd.Timestamp("2025-11-10 12:00", tz="UTC"))
    return cache_dir


def test_saturday_bar_of_a_download_is_dropped_and_never_cached(settled):
    dates = WEEKDAYS.union([SATURDAY])
    expected = pd.Series(1100.0 + np.arange(len(dates)), index=dates)  # by hand, then drop
    expected = expected.drop(SATURDAY)
    download = (r"ZS=F \(Yahoo download\): 1 row on a day the exchange is closed: 2025-11-01 "
                r"\(a Saturday\); such a row is never a trade date and is dropped$")
    with pytest.warns(DataQualityWarning, match=download):
        frame = load_prices("ZS=F", "2025-10-27", "2025-11-07", source="yahoo",
                            downloader=lambda t, **k: yahoo(t, dates))["ZS=F"]
    assert frame.index.equals(pd.DatetimeIndex(expected.index, name="date"))
    np.testing.assert_allclose(frame["Close"].to_numpy(), expected.to_numpy(), rtol=0, atol=0)
    listed = [{"date": "2025-11-01", "weekday": "Saturday"}]
    prov = frame.attrs["provenance"]
    assert prov["closed_days"] == listed and len(prov["notes"]) == 1

    cached, meta = read_cache(settled / "ZS=F.parquet")
    assert cached.index.equals(frame.index) and SATURDAY not in cached.index
    assert meta["closed_days"] == listed and meta["rows"] == len(WEEKDAYS)
    # served from the cache: the same rows, and the same warning for the run
    with pytest.warns(DataQualityWarning, match=download):
        again = load_prices("ZS=F", "2025-10-27", "2025-11-07", source="yahoo",
                            downloader=never)["ZS=F"]
    assert again.attrs["provenance"]["served_from"] == "cache"
    assert again.index.equals(frame.index) and again.attrs["provenance"]["closed_days"] == listed
    with pytest.warns(DataQualityWarning, match=download):
        later = load_prices("ZS=F", "2025-11-03", "2025-11-07", source="cache")["ZS=F"]
    assert later.attrs["provenance"]["closed_days"] == []  # outside the window asked for

    with pytest.warns(DataQualityWarning, match=download):
        check = check_data("ZS=F", start="2025-10-27", end="2025-11-07")
    assert check.closed_day_rows == listed
    assert "rows on closed days, dropped (1): 2025-11-01 (a Saturday)" in check.to_text()


def test_clean_download_says_nothing(settled):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        frame = load_prices("ZS=F", "2025-10-27", "2025-11-07", source="yahoo",
                            downloader=lambda t, **k: yahoo(t, WEEKDAYS))["ZS=F"]
        served = load_prices("ZS=F", "2025-10-27", "2025-11-07", source="cache")["ZS=F"]
    assert frame.index.equals(pd.DatetimeIndex(WEEKDAYS, name="date"))
    for out in (frame, served):
        assert out.attrs["provenance"]["closed_days"] == []
        assert out.attrs["provenance"]["notes"] == []


def test_download_of_closed_days_only_is_refused(settled):
    weekend = pd.DatetimeIndex(["2025-11-01", "2025-11-02"])
    with pytest.raises(DownloadError, match=r"download of 'ZS=F' from Yahoo Finance holds only "
                                            r"rows on days the exchange is closed \(2025-11-01, "
                                            r"a Saturday, \.\.\.\)"):
        load_prices("ZS=F", "2025-11-01", "2025-11-02", source="yahoo",
                    downloader=lambda t, **k: yahoo(t, weekend))
    assert not (settled / "ZS=F.parquet").exists()


def test_download_of_a_future_without_volume_says_so(settled):
    with pytest.warns(DataQualityWarning, match=rf"^ZS=F \(Yahoo download\): {NO_VOLUME}$"):
        frame = load_prices("ZS=F", "2025-10-27", "2025-11-07", source="yahoo",
                            downloader=lambda t, **k: yahoo(t, WEEKDAYS, volume=False))["ZS=F"]
    assert list(frame.columns) == ["Close"] and len(frame.attrs["provenance"]["notes"]) == 1
    with warnings.catch_warnings():  # an ETF without volume: nothing to say
        warnings.simplefilter("error", DataQualityWarning)
        spy = load_prices("SPY", "2025-10-27", "2025-11-07", source="yahoo",
                          downloader=lambda t, **k: yahoo(t, WEEKDAYS, volume=False))["SPY"]
    assert spy.attrs["provenance"]["notes"] == []


# ----------------------------------------------------------------------------- no volume


def test_future_without_volume_says_so_once(tmp_path, prices_dir, caplog, capsys):
    full = pd.read_csv(prices_dir / "ZS=F.csv", dtype=str)
    full[["Date", "Close"]].to_csv(tmp_path / "ZS=F.csv", index=False)
    caplog.set_level(logging.WARNING, logger="eventstudy.prices")
    with pytest.warns(DataQualityWarning, match=rf"ZS=F\.csv: {NO_VOLUME}$"):
        frame = read_snapshot("ZS=F", tmp_path)
    read_snapshot("ZS=F", tmp_path, start="2020-01-01")
    logged = [r.getMessage() for r in caplog.records if "no Volume column" in r.getMessage()]
    assert len(logged) == 1
    assert frame.attrs["provenance"]["notes"] == [logged[0]]

    check = check_data("ZS=F", prices_dir=tmp_path)
    assert not check.has_volume and check.zero_volume == []
    assert ("zero or missing volume: no Volume column; thin trading of ZS=F is taken from the "
            "contract calendar alone (the delivery periods), not from volume") in check.to_text()
    # the thin days are the delivery periods: those of the full file minus its volume rule
    with_volume = check_data("ZS=F", prices_dir=prices_dir)
    thin = {d for a, b in check.thin_periods for d in pd.bdate_range(a, b)}
    thin_full = {d for a, b in with_volume.thin_periods for d in pd.bdate_range(a, b)}
    assert thin < thin_full
    capsys.readouterr()
    assert main(["data", "check", "ZS=F", "--prices-dir", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["has_volume"] is False
    assert report["volume_note"] == ("thin trading of ZS=F is taken from the contract calendar "
                                     "alone (the delivery periods), not from volume")


def test_close_only_etf_says_nothing_of_volume(prices_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        frame = read_snapshot("SOYB", prices_dir)
    assert list(frame.columns) == ["Close"] and frame.attrs["provenance"]["notes"] == []
    check = check_data("SOYB", prices_dir=prices_dir)
    assert check.volume_note is None
    assert "\nzero or missing volume: no Volume column\n" in check.to_text()
    assert check.to_dict()["has_volume"] is False and check.to_dict()["volume_note"] is None


# ----------------------------------------------------------------------------- date range


@pytest.mark.parametrize("date", ["2262-05-01", "1600-01-01", "1677-09-21"])
def test_price_date_outside_pandas_range_names_the_line(tmp_path, date):
    (tmp_path / "SPY.csv").write_text(f"Date,Close\n2024-01-02,1\n{date},2\n2024-01-04,3\n")
    with pytest.raises(PriceFileError,
                       match=rf"SPY\.csv: line 3: date '{date}' is outside the dates pandas can "
                             r"hold \(1677-09-22 to 2262-04-11\); fix or remove the line"):
        es.load_prices("SPY", prices_dir=tmp_path)


def test_price_dates_at_pandas_range_edges_are_read(tmp_path):
    (tmp_path / "X.csv").write_text("Date,Close\n1677-09-22,1\n2262-04-11,2\n")
    frame = es.load_prices("X", prices_dir=tmp_path)["X"]
    assert list(frame.index.strftime("%Y-%m-%d")) == ["1677-09-22", "2262-04-11"]


def test_event_date_outside_pandas_range_names_the_line(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("id,date\na,2025-11-24\nb,2300-01-01\n")
    with pytest.raises(EventFileError,
                       match=r"line 3, column 'date': date '2300-01-01' is outside the dates "
                             r"pandas can hold \(1677-09-22 to 2262-04-11\)"):
        es.load_events(path)


def test_an_asset_row_on_a_weekday_holiday_stays_out_of_event_time(prices_dir, tmp_path):
    """A ZS=F row on Thanksgiving 2025 (no CBOT session) inside the call's [-1, 5] window:
    left out of the returns with a warning naming it, so every CAR equals the clean file's."""
    folder = tmp_path / "prices"
    shutil.copytree(prices_dir, folder)
    lines = (folder / "ZS=F.csv").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("2025-11-28"))
    lines.insert(at, "2025-11-27,1100,1100,1100,1100,5")
    (folder / "ZS=F.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not get_calendar("ZS=F").is_trade_date("2025-11-27")
    study = es.Study(asset="ZS=F", factors=["SPY", "UUP"], event_ids=["trump-xi-call"],
                     events=EVENTS, windows=[[-1, 5], [0, 1]], placebo_draws=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        damaged = es.analyse(study, prices_dir=folder)
    said = [str(w.message) for w in caught if "no session" in str(w.message)]
    assert len(said) == 1 and "ZS=F: 1 price row" in said[0] and "(2025-11-27)" in said[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        clean = es.analyse(study, prices_dir=prices_dir)
    np.testing.assert_allclose(damaged.car["car"], clean.car["car"], rtol=0, atol=1e-12)
    assert list(damaged.ar["date"]) == list(clean.ar["date"])
