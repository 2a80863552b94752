"""Price loading: snapshot folder, Yahoo adapter (fake yfinance 1.x responses), cache."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from eventstudy import prices
from eventstudy.exceptions import (
    CacheError,
    CacheWarning,
    DataQualityWarning,
    DownloadError,
    InvalidTickerError,
    OptionError,
    PriceFileError,
)
from eventstudy.prices import load_prices, read_cache, validate_ticker

# ----------------------------------------------------------------------------- fakes

DATES = pd.bdate_range("2024-01-02", "2024-01-10")
CLOSES = np.array([1200.0, 1210.5, 1195.25, 1201.0, 1188.75, 1190.0, 1205.5])


def yahoo_frame(ticker, dates, close, tz="America/Chicago"):
    """A frame shaped like ``yfinance.download`` 1.x with ``auto_adjust=True``.

    MultiIndex columns ``(Price, Ticker)`` sorted by price field, index named
    ``Date`` at midnight exchange time.
    """
    close = np.asarray(close, dtype=float)
    fields = {
        "Close": close,
        "High": close + 2.0,
        "Low": close - 2.0,
        "Open": close - 0.5,
        "Volume": np.arange(len(close), dtype=float) * 100 + 1000,
    }
    columns = pd.MultiIndex.from_tuples([(f, ticker) for f in fields], names=["Price", "Ticker"])
    index = pd.DatetimeIndex(dates, name="Date")
    if tz is not None:
        index = index.tz_localize(tz)
    return pd.DataFrame(np.column_stack(list(fields.values())), index=index, columns=columns)


def empty_yahoo_frame(ticker):
    """What yfinance 1.7 returns offline or for an unknown symbol (checked on this machine)."""
    fields = ["Adj Close", "Close", "High", "Low", "Open", "Volume"]
    columns = pd.MultiIndex.from_tuples([(f, ticker) for f in fields], names=["Price", "Ticker"])
    return pd.DataFrame(index=pd.DatetimeIndex([]), columns=columns, dtype=float)


class FakeYahoo:
    """Serves a fixed close series like Yahoo: ``end`` exclusive, ``period='max'`` = all."""

    def __init__(self, close_by_date, tz="America/Chicago"):
        self.series = pd.Series(close_by_date)
        self.tz = tz
        self.calls = []

    def __call__(self, ticker, **kwargs):
        self.calls.append((ticker, kwargs))
        s = self.series
        if "start" in kwargs:
            s = s[s.index >= pd.Timestamp(kwargs["start"])]
        if "end" in kwargs:
            s = s[s.index < pd.Timestamp(kwargs["end"])]
        return yahoo_frame(ticker, s.index, s.to_numpy(), tz=self.tz)


def failing(response):
    def download(ticker, **kwargs):
        if isinstance(response, Exception):
            raise response
        print(f"1 Failed download:\n['{ticker}']: YFTzMissingError('possibly delisted')")
        return response

    return download


def never(ticker, **kwargs):
    raise AssertionError(f"unexpected download of {ticker}")


@pytest.fixture
def clock(monkeypatch):
    """Set the time ``load_prices`` stamps on a download."""

    def set_time(stamp):
        monkeypatch.setattr(prices, "_now_utc", lambda: pd.Timestamp(stamp, tz="UTC"))

    # Late on 2024-01-12 (New York): every bar of DATES has settled.
    set_time("2024-01-13 12:00")
    return set_time


@pytest.fixture(autouse=True)
def _no_prices_env(monkeypatch):
    monkeypatch.delenv("EVENTSTUDY_PRICES_DIR", raising=False)
    monkeypatch.delenv("EVENTSTUDY_CACHE_DIR", raising=False)


# ----------------------------------------------------------------------------- tickers


@pytest.mark.parametrize("ticker", ["../x", "a/b", "", "..", ".hidden", "ZS F", "a\\b", "x;rm"])
def test_invalid_tickers_are_refused(ticker, cache_dir):
    with pytest.raises(InvalidTickerError, match=r"invalid ticker"):
        validate_ticker(ticker)
    with pytest.raises(InvalidTickerError, match=r"invalid ticker"):
        load_prices([ticker], source="yahoo", cache_dir=cache_dir, downloader=never)
    assert list(cache_dir.iterdir()) == []


def test_non_string_ticker_is_refused():
    with pytest.raises(InvalidTickerError, match=r"must be a string.*got 5 \(int\)"):
        validate_ticker(5)


@pytest.mark.parametrize("ticker", ["ZS=F", "^GSPC", "BRK-B", "DX-Y.NYB", "SPY"])
def test_valid_tickers_pass(ticker):
    assert validate_ticker(ticker) == ticker


def test_unknown_source_lists_choices():
    with pytest.raises(OptionError, match=r"source must be one of 'auto', 'snapshot', 'yahoo', "
                                          r"'cache'; got 'yahooo'"):
        load_prices("ZS=F", source="yahooo")


# ----------------------------------------------------------------------------- snapshot


def _read_csv_by_hand(path, start, end):
    with open(path, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if start <= r["Date"] <= end]
    return rows


def test_snapshot_matches_the_files(prices_dir):
    out = load_prices(["ZS=F", "SOYB"], "2019-06-03", "2019-06-28", prices_dir=prices_dir)
    assert list(out) == ["ZS=F", "SOYB"]
    zs, soyb = out["ZS=F"], out["SOYB"]
    assert list(zs.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert list(soyb.columns) == ["Close"]
    for ticker, frame in out.items():
        rows = _read_csv_by_hand(prices_dir / f"{ticker}.csv", "2019-06-03", "2019-06-28")
        assert [r["Date"] for r in rows] == list(frame.index.strftime("%Y-%m-%d"))
        np.testing.assert_allclose(
            frame["Close"].to_numpy(), [float(r["Close"]) for r in rows], rtol=0, atol=0
        )
        assert frame.index.name == "date"
        assert frame.index.is_unique and frame.index.is_monotonic_increasing
        assert frame.index.tz is None
        assert all(dtype == np.float64 for dtype in frame.dtypes)
        prov = frame.attrs["provenance"]
        assert prov["source"] == "snapshot"
        assert prov["path"] == str(prices_dir / f"{ticker}.csv")
        assert (prov["first"], prov["last"], prov["rows"]) == (
            rows[0]["Date"], rows[-1]["Date"], len(rows)
        )
    np.testing.assert_allclose(
        zs["Volume"].to_numpy(),
        [float(r["Volume"]) for r in _read_csv_by_hand(prices_dir / "ZS=F.csv", "2019-06-03",
                                                         "2019-06-28")],
        rtol=0, atol=0,
    )


def test_snapshot_folder_from_environment(prices_dir, monkeypatch, cache_dir):
    monkeypatch.setenv("EVENTSTUDY_PRICES_DIR", str(prices_dir))
    out = load_prices("SOYB", end="2019-05-31", cache_dir=cache_dir, downloader=never)
    assert out["SOYB"].attrs["provenance"]["source"] == "snapshot"
    assert out["SOYB"].index[0] == pd.Timestamp("2019-05-24")


def test_snapshot_missing_file_lists_available_tickers(prices_dir):
    with pytest.raises(PriceFileError, match=r"ZQ=F\.csv: no price file for 'ZQ=F'; tickers "
                                             r"available in .*: .*SOYB, SPY, .*ZS=F"):
        load_prices("ZQ=F", prices_dir=prices_dir)


def test_snapshot_source_needs_a_folder():
    with pytest.raises(PriceFileError, match=r"source='snapshot' needs a prices folder"):
        load_prices("ZS=F", source="snapshot")


@pytest.mark.parametrize(
    "text, message",
    [
        ("Date,Open\n2020-01-02,1\n", r"X\.csv: line 1: no 'Close' column"),
        ("Day,Close\n2020-01-02,1\n", r"X\.csv: line 1: no 'Date' column"),
        ("Date,Close\n2020-01-02,1\n2020-13-01,2\n", r"X\.csv: line 3: date '2020-13-01' is not"),
        (
            "Date,Close\n2020-01-02,1\n2020-01-03,2\n2020-01-03,3\n",
            r"X\.csv: line 4: date 2020-01-03 already on line 3",
        ),
        ("Date,Close\n2020-01-02,abc\n", r"X\.csv: line 2: column Close: 'abc' is not a number"),
    ],
)
def test_malformed_snapshot_names_file_and_line(tmp_path, text, message):
    (tmp_path / "X.csv").write_text(text)
    with pytest.raises(PriceFileError, match=message):
        load_prices("X", prices_dir=tmp_path)


def test_snapshot_empty_cell_is_a_missing_price(tmp_path):
    (tmp_path / "X.csv").write_text("Date,Close,Volume\n2020-01-02,1.5,\n2020-01-03,,7\n")
    frame = load_prices("X", prices_dir=tmp_path)["X"]
    np.testing.assert_allclose(frame["Close"].to_numpy(), [1.5, np.nan], rtol=0, atol=0)
    np.testing.assert_allclose(frame["Volume"].to_numpy(), [np.nan, 7.0], rtol=0, atol=0)


@pytest.mark.parametrize(
    "text, dates, closes",
    [
        ("Date,Close\n2020-01-03,2\n2020-01-02,1.5e0\n2020-01-06,.25E1\n",  # unsorted, forms
         ["2020-01-02", "2020-01-03", "2020-01-06"], [1.5, 2.0, 2.5]),
        ("\ufeffDate,Close\n2020-01-02,+1.25\n2020-01-03,2.",  # BOM, no final line end
         ["2020-01-02", "2020-01-03"], [1.25, 2.0]),
        (" Date , Close \n2024-02-28,0\n2024-02-29,-3.5E-2\n",  # spaced header, leap day
         ["2024-02-28", "2024-02-29"], [0.0, -0.035]),
        ("Date,Close\r\n2020-01-02,1\r\n2020-01-03, 2 \r\n",  # CRLF, spaces around a number
         ["2020-01-02", "2020-01-03"], [1.0, 2.0]),
        ('Date,Close\n"2020-01-02","1.5"\n', ["2020-01-02"], [1.5]),  # quoted fields
        ("Close,Date\n1,2020-01-02\n", ["2020-01-02"], [1.0]),  # the date is not first
        ("Date,Close\n2020-01-02,1\n\n2020-01-03,2\n",  # a blank line
         ["2020-01-02", "2020-01-03"], [1.0, 2.0]),
        ("Date,Close\n2020-01-02,12345678901234567890\n", ["2020-01-02"],
         [12345678901234567890.0]),  # beyond 2**53: the nearest double
    ],
)
def test_snapshot_file_with_known_content(tmp_path, text, dates, closes):
    path = tmp_path / "X.csv"
    path.write_text(text, encoding="utf-8", newline="")
    frame = load_prices("X", prices_dir=tmp_path)["X"]
    assert list(frame.index.strftime("%Y-%m-%d")) == dates
    assert list(frame.columns) == ["Close"]
    np.testing.assert_allclose(frame["Close"].to_numpy(), closes, rtol=0, atol=0)
    prov = frame.attrs["provenance"]
    assert prov["nonfinite"] == [] and prov["short_rows"] == []


def test_minus_zero_is_read_as_zero(tmp_path):
    (tmp_path / "X.csv").write_text("Date,Close\n2020-01-02,-0\n2020-01-03,1\n")
    close = load_prices("X", prices_dir=tmp_path)["X"]["Close"].to_numpy()
    assert close[0] == 0.0 and not np.signbit(close[0])


def test_ignored_column_is_left_out(tmp_path):
    (tmp_path / "X.csv").write_text("Date,Close,Adj Close\n2020-01-02,1,0.9\n")
    assert list(load_prices("X", prices_dir=tmp_path)["X"].columns) == ["Close"]


def test_reported_cells_name_the_file_line(tmp_path):
    # line 3 is blank: the rows after it keep their file line in the report
    (tmp_path / "X.csv").write_text(
        "Date,Close,Volume\n2020-01-02,1,5\n\n2020-01-03,NaN,6\n2020-01-06,1e999,7\n"
        "2020-01-07,2\n"
    )
    with pytest.warns(DataQualityWarning, match=r"2 cells not a finite number: line 4 "
                                                r"\(2020-01-03 Close='NaN'\), line 5"):
        frame = load_prices("X", prices_dir=tmp_path)["X"]
    prov = frame.attrs["provenance"]
    assert prov["nonfinite"] == [
        {"date": "2020-01-03", "line": 4, "column": "Close", "text": "NaN"},
        {"date": "2020-01-06", "line": 5, "column": "Close", "text": "1e999"},
    ]
    assert prov["short_rows"] == [{"date": "2020-01-07", "line": 6, "fields": 2}]
    np.testing.assert_array_equal(np.isnan(frame["Close"].to_numpy()), [False, True, True, False])
    np.testing.assert_array_equal(np.isnan(frame["Volume"].to_numpy()), [False] * 3 + [True])


def test_duplicate_dates_kept_first_are_listed(tmp_path):
    (tmp_path / "X.csv").write_text(
        "Date,Close\n2020-01-02,1\n2020-01-03,2\n2020-01-03,3\n2020-01-06,4\n2020-01-06,5\n"
    )
    frame = prices.read_snapshot("X", tmp_path, on_duplicate="first")
    np.testing.assert_allclose(frame["Close"].to_numpy(), [1.0, 2.0, 4.0], rtol=0, atol=0)
    assert frame.attrs["provenance"]["duplicates"] == ["2020-01-03", "2020-01-06"]
    late = prices.read_snapshot("X", tmp_path, "2020-01-06", on_duplicate="first")
    assert late.attrs["provenance"]["duplicates"] == ["2020-01-03", "2020-01-06"]
    with pytest.raises(PriceFileError, match=r"line 4: date 2020-01-03 already on line 3"):
        prices.read_snapshot("X", tmp_path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("Date,Close\n2020-02-30,1\n", r"line 2: date '2020-02-30' is not YYYY-MM-DD"),
        ("Date,Close\n\n2020-01-02,1\n2020-01-03,x\n",
         r"line 4: column Close: 'x' is not a number"),
        ("Date,Close\n2020-01-02,1\n2020-01-03,1,2\n",
         r"cannot be read as CSV \(.*Expected 2 fields in line 3, saw 3"),
        ("Date,Close\n2020-01-02,\"1\n\"\n2020-01-03,2\n",
         r"line 2: a quote opens a field that runs to line 3"),
        ("Date,Close\n2020-01-02,1\n2020-01-03,\"2\n",
         r"cannot be read as CSV \(.*EOF inside string starting at row 2"),
    ],
)
def test_rejected_file_names_the_line(tmp_path, text, message):
    (tmp_path / "X.csv").write_text(text, encoding="utf-8", newline="")
    with pytest.raises(PriceFileError, match=r"X\.csv: " + message):
        load_prices("X", prices_dir=tmp_path)


# ----------------------------------------------------------------------------- yahoo adapter


def test_yahoo_multiindex_frame_is_normalised(cache_dir, clock):
    fake = FakeYahoo(pd.Series(CLOSES, index=DATES))
    frame = load_prices("ZS=F", "2024-01-03", "2024-01-09", source="yahoo",
                        cache_dir=cache_dir, downloader=fake)["ZS=F"]
    expected_dates = DATES[(DATES >= "2024-01-03") & (DATES <= "2024-01-09")]
    assert frame.index.equals(pd.DatetimeIndex(expected_dates, name="date"))
    assert frame.index.tz is None
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    np.testing.assert_allclose(frame["Close"].to_numpy(), CLOSES[1:6], rtol=0, atol=0)
    np.testing.assert_allclose(frame["Open"].to_numpy(), CLOSES[1:6] - 0.5, rtol=0, atol=0)
    # yfinance's end is exclusive; the adapter asks for the day after `end`.
    (ticker, kwargs), = fake.calls
    assert ticker == "ZS=F"
    assert kwargs["start"] == "2024-01-03" and kwargs["end"] == "2024-01-10"
    assert kwargs["auto_adjust"] is True and kwargs["progress"] is False
    assert kwargs["threads"] is False
    prov = frame.attrs["provenance"]
    assert prov["source"] == "yahoo" and prov["served_from"] == "download"
    assert prov["fetched_utc"] == "2024-01-13T12:00:00+00:00"
    assert prov["versions"]["yfinance"] and prov["versions"]["eventstudy"]
    assert (prov["first"], prov["last"], prov["rows"]) == ("2024-01-03", "2024-01-09", 5)
    assert prov["provisional"] == []
    assert (cache_dir / "ZS=F.parquet").is_file()


def test_yahoo_flat_columns_utc_index(cache_dir, clock):
    raw = yahoo_frame("SPY", DATES, CLOSES, tz="UTC").droplevel("Ticker", axis=1)
    frame = load_prices("SPY", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                        downloader=lambda t, **k: raw)["SPY"]
    assert frame.index.equals(pd.DatetimeIndex(DATES, name="date"))
    np.testing.assert_allclose(frame["Close"].to_numpy(), CLOSES, rtol=0, atol=0)


def test_yfinance_download_is_looked_up_at_call_time(monkeypatch, cache_dir, clock):
    import yfinance

    fake = FakeYahoo(pd.Series(CLOSES, index=DATES))
    monkeypatch.setattr(yfinance, "download", fake)
    frame = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                        cache_dir=cache_dir)["ZS=F"]
    assert len(fake.calls) == 1
    np.testing.assert_allclose(frame["Close"].to_numpy(), CLOSES, rtol=0, atol=0)


def test_empty_download_is_a_download_error(cache_dir, clock):
    with pytest.raises(
        DownloadError,
        match=r"download of 'ZS=F' from Yahoo Finance returned no prices.*check the network"
        r".*snapshot folder.*source='cache'",
    ):
        load_prices("ZS=F", source="yahoo", cache_dir=cache_dir,
                    downloader=failing(empty_yahoo_frame("ZS=F")))
    assert list(cache_dir.iterdir()) == []


def test_yfinance_log_is_quoted_in_the_error_not_printed(cache_dir, clock, caplog):
    """Offline, yfinance logs DNS errors: they belong in the one error line, not on stderr."""
    import logging

    def offline(ticker, **kwargs):
        logging.getLogger("yfinance").error("['%s']: DNSError('Could not resolve host')", ticker)
        return empty_yahoo_frame(ticker)

    with caplog.at_level(logging.WARNING):
        with pytest.raises(DownloadError, match=r"\(yfinance: \['ZS=F'\]: DNSError\('Could not "
                                                r"resolve host'\)\); check the network"):
            load_prices("ZS=F", source="yahoo", cache_dir=cache_dir, downloader=offline)
    assert not [r for r in caplog.records if r.name.startswith("yfinance")]
    assert logging.getLogger("yfinance").propagate


def test_download_exception_is_wrapped(cache_dir, clock):
    message = r"'ZS=F'.*failed \(ConnectionError: no route\)"
    with pytest.raises(DownloadError, match=message) as info:
        load_prices("ZS=F", source="yahoo", cache_dir=cache_dir,
                    downloader=failing(ConnectionError("no route")))
    assert isinstance(info.value.__cause__, ConnectionError)


def test_frame_for_another_ticker_counts_as_empty(cache_dir, clock):
    with pytest.raises(DownloadError, match=r"'ZS=F'.*returned no prices"):
        load_prices("ZS=F", source="yahoo", cache_dir=cache_dir,
                    downloader=lambda t, **k: yahoo_frame("ZC=F", DATES, CLOSES))


# ----------------------------------------------------------------------------- cache


def test_covered_request_is_served_from_cache(cache_dir, clock):
    fake = FakeYahoo(pd.Series(CLOSES, index=DATES))
    first = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                        cache_dir=cache_dir, downloader=fake)["ZS=F"]
    inner = load_prices("ZS=F", "2024-01-04", "2024-01-08", source="yahoo",
                        cache_dir=cache_dir, downloader=never)["ZS=F"]
    assert inner.attrs["provenance"]["served_from"] == "cache"
    pd.testing.assert_frame_equal(inner, first.loc["2024-01-04":"2024-01-08"], check_like=False,
                                  check_freq=False, obj="cached slice")
    offline = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="cache",
                          cache_dir=cache_dir)["ZS=F"]
    np.testing.assert_allclose(offline["Close"].to_numpy(), CLOSES, rtol=0, atol=0)
    # Earlier start than cached: a new download of the union range.
    load_prices("ZS=F", "2023-12-01", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                downloader=fake)
    assert fake.calls[-1][1]["start"] == "2023-12-01" and fake.calls[-1][1]["end"] == "2024-01-11"


def test_cache_metadata_records_provenance(cache_dir, clock):
    load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                downloader=FakeYahoo(pd.Series(CLOSES, index=DATES)))
    meta = json.loads(pq.read_schema(cache_dir / "ZS=F.parquet").metadata[b"eventstudy"])
    assert meta["source"] == "yahoo"
    assert meta["fetched_utc"] == "2024-01-13T12:00:00+00:00"
    assert meta["first"] == "2024-01-02" and meta["last"] == "2024-01-10"
    assert meta["rows"] == len(DATES)
    assert set(meta["versions"]) >= {"yfinance", "eventstudy"}


def test_provisional_bar_is_fetched_again(cache_dir, clock):
    # 15:00 UTC on 2024-01-10 is during the CBOT session: the 2024-01-10 bar is provisional.
    clock("2024-01-10 15:00")
    live = FakeYahoo(pd.Series(CLOSES, index=DATES))
    frame = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                        cache_dir=cache_dir, downloader=live)["ZS=F"]
    assert frame.attrs["provenance"]["provisional"] == ["2024-01-10"]
    load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                downloader=live)
    assert len(live.calls) == 2  # the provisional bar forces a new download
    # Next morning the session has settled at another price.
    clock("2024-01-11 12:00")
    settled = CLOSES.copy()
    settled[-1] = 1207.25
    final = FakeYahoo(pd.Series(settled, index=DATES))
    frame = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                        cache_dir=cache_dir, downloader=final)["ZS=F"]
    assert len(final.calls) == 1
    assert frame.attrs["provenance"]["provisional"] == []
    assert frame.loc["2024-01-10", "Close"] == 1207.25
    again = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                        cache_dir=cache_dir, downloader=never)["ZS=F"]
    assert again.loc["2024-01-10", "Close"] == 1207.25


def test_open_ended_request_downloads_until_the_session_settles(cache_dir, clock):
    clock("2024-01-10 15:00")
    fake = FakeYahoo(pd.Series(CLOSES, index=DATES))
    load_prices("ZS=F", "2024-01-02", source="yahoo", cache_dir=cache_dir, downloader=fake)
    load_prices("ZS=F", "2024-01-02", source="yahoo", cache_dir=cache_dir, downloader=fake)
    assert len(fake.calls) == 2
    assert "end" not in fake.calls[0][1] and fake.calls[0][1]["start"] == "2024-01-02"


def test_failed_download_keeps_the_cache(cache_dir, clock):
    clock("2024-01-10 15:00")  # leaves a provisional bar, so the next call downloads
    load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                downloader=FakeYahoo(pd.Series(CLOSES, index=DATES)))
    path = cache_dir / "ZS=F.parquet"
    before = path.read_bytes()
    with pytest.warns(CacheWarning, match=r"ZS=F: using cached prices from .*ZS=F\.parquet "
                                          r"\(fetched 2024-01-10T15:00:00\+00:00.*download failed"):
        frame = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                            cache_dir=cache_dir,
                            downloader=failing(empty_yahoo_frame("ZS=F")))["ZS=F"]
    assert path.read_bytes() == before
    np.testing.assert_allclose(frame["Close"].to_numpy(), CLOSES, rtol=0, atol=0)
    assert frame.attrs["provenance"]["provisional"] == ["2024-01-10"]
    # A request the cache does not span still fails, and the cache is untouched.
    with pytest.raises(DownloadError, match=r"'ZS=F'.*no prices"):
        load_prices("ZS=F", "2023-06-01", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                    downloader=failing(empty_yahoo_frame("ZS=F")))
    assert path.read_bytes() == before


def test_interrupted_cache_write_leaves_old_file(cache_dir, clock, monkeypatch):
    load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                downloader=FakeYahoo(pd.Series(CLOSES, index=DATES)))
    path = cache_dir / "ZS=F.parquet"
    before = path.read_bytes()

    def half_write(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1" + b"\0" * 64)
        raise OSError("No space left on device")

    monkeypatch.setattr(pq, "write_table", half_write)
    new = FakeYahoo(pd.Series(CLOSES + 1.0, index=DATES))
    with pytest.warns(CacheWarning, match=r"could not write the cache file .*No space left"):
        frame = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                            cache_dir=cache_dir, refresh=True, downloader=new)["ZS=F"]
    np.testing.assert_allclose(frame["Close"].to_numpy(), CLOSES + 1.0, rtol=0, atol=0)
    assert path.read_bytes() == before
    assert sorted(p.name for p in cache_dir.iterdir()) == ["ZS=F.parquet"]
    monkeypatch.undo()
    cached, meta = read_cache(path)
    np.testing.assert_allclose(cached["Close"].to_numpy(), CLOSES, rtol=0, atol=0)


def test_interrupt_during_write_propagates_and_cleans_up(cache_dir, clock, monkeypatch):
    def interrupted(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                    downloader=FakeYahoo(pd.Series(CLOSES, index=DATES)))
    assert list(cache_dir.iterdir()) == []


def _truncate(path):
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def test_truncated_cache_is_fetched_again(cache_dir, clock):
    fake = FakeYahoo(pd.Series(CLOSES, index=DATES))
    load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                downloader=fake)
    path = cache_dir / "ZS=F.parquet"
    _truncate(path)
    frame = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                        cache_dir=cache_dir, downloader=fake)["ZS=F"]
    assert len(fake.calls) == 2
    np.testing.assert_allclose(frame["Close"].to_numpy(), CLOSES, rtol=0, atol=0)
    np.testing.assert_allclose(read_cache(path)[0]["Close"].to_numpy(), CLOSES, rtol=0, atol=0)


def test_truncated_cache_offline_names_the_file(cache_dir, clock):
    load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                downloader=FakeYahoo(pd.Series(CLOSES, index=DATES)))
    path = cache_dir / "ZS=F.parquet"
    _truncate(path)
    fix = r"delete ZS=F\.parquet and rerun online, or use a snapshot folder"
    with pytest.raises(CacheError, match=rf"cache file .*ZS=F\.parquet is corrupt .*{fix}"):
        load_prices("ZS=F", source="cache", cache_dir=cache_dir)
    with pytest.raises(CacheError, match=rf"ZS=F\.parquet is corrupt .*{fix}.*download error"):
        load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                    downloader=failing(empty_yahoo_frame("ZS=F")))


def test_row_count_mismatch_and_missing_metadata_are_corrupt(cache_dir, clock):
    load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                downloader=FakeYahoo(pd.Series(CLOSES, index=DATES)))
    path = cache_dir / "ZS=F.parquet"
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"eventstudy"])
    meta["rows"] += 1
    pq.write_table(table.replace_schema_metadata(
        {**table.schema.metadata, b"eventstudy": json.dumps(meta).encode()}), path)
    with pytest.raises(CacheError, match=r"7 rows but the metadata records 8"):
        read_cache(path)
    pd.DataFrame({"date": DATES, "Close": CLOSES}).to_parquet(path)
    with pytest.raises(CacheError, match=r"no eventstudy provenance"):
        load_prices("ZS=F", source="cache", cache_dir=cache_dir)


def test_cache_only_without_file(cache_dir):
    with pytest.raises(CacheError, match=re.escape(f"no cached prices for 'ZS=F' at {cache_dir}")):
        load_prices("ZS=F", source="cache", cache_dir=cache_dir)


def test_cache_dir_from_environment(tmp_path, monkeypatch, clock):
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path / "envcache"))
    load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                downloader=FakeYahoo(pd.Series(CLOSES, index=DATES)))
    assert (tmp_path / "envcache" / "ZS=F.parquet").is_file()


def test_open_ended_request_after_the_last_close_uses_the_cache(cache_dir, clock):
    # Saturday 2024-01-13: Friday's CBOT session has closed, nothing is provisional.
    fake = FakeYahoo(pd.Series(CLOSES, index=DATES))
    load_prices("ZS=F", "2024-01-02", source="yahoo", cache_dir=cache_dir, downloader=fake)
    frame = load_prices("ZS=F", "2024-01-02", source="yahoo", cache_dir=cache_dir,
                        downloader=never)["ZS=F"]
    assert frame.attrs["provenance"]["served_from"] == "cache"
    assert len(fake.calls) == 1


def test_no_start_asks_yahoo_for_all_history(cache_dir, clock):
    fake = FakeYahoo(pd.Series(CLOSES, index=DATES))
    frame = load_prices("ZS=F", end="2024-01-09", source="yahoo", cache_dir=cache_dir,
                        downloader=fake)["ZS=F"]
    (_, kwargs), = fake.calls
    assert kwargs["period"] == "max" and "start" not in kwargs and kwargs["end"] == "2024-01-10"
    np.testing.assert_allclose(frame["Close"].to_numpy(), CLOSES[:-1], rtol=0, atol=0)
    # All history is cached: any later start inside it needs no download.
    load_prices("ZS=F", "2024-01-03", "2024-01-05", source="yahoo", cache_dir=cache_dir,
                downloader=never)


def test_clean_file_reads_as_its_text_pass(tmp_path):
    # a clean file takes pandas' numeric parse; the same rows with quoted dates take the
    # text pass (a quote in the file): both give the same frame to the bit
    rows = ["2020-01-02,1.5,2.25,1.125,2.0,100", "2020-01-03,0.1,0.7,0.3,1e-3,250",
            "2020-01-06,3.141592653589793,2.718281828459045,1.4142135623730951,"
            "0.30000000000000004,7"]
    head = "Date,Open,High,Low,Close,Volume\n"
    (tmp_path / "A.csv").write_text(head + "\n".join(rows) + "\n")
    (tmp_path / "B.csv").write_text(head + "\n".join(f'"{r[:10]}"{r[10:]}' for r in rows)
                                    + "\n")
    a = load_prices("A", prices_dir=tmp_path)["A"]
    b = load_prices("B", prices_dir=tmp_path)["B"]
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    np.testing.assert_array_equal(a["Close"].to_numpy(), [2.0, 1e-3, 0.30000000000000004])
