"""Faults of the download cache: swapped files, permissions, concurrent writers, killed writers."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eventstudy import prices
from eventstudy.exceptions import CacheError
from eventstudy.prices import load_prices, read_cache, remove_stale_temporaries

DATES = pd.bdate_range("2024-01-02", "2024-01-10")
CLOSES = np.array([1200.0, 1210.5, 1195.25, 1201.0, 1188.75, 1190.0, 1205.5])


def _yahoo(ticker, close):
    close = np.asarray(close, dtype=float)
    columns = pd.MultiIndex.from_tuples([("Close", ticker), ("Volume", ticker)],
                                        names=["Price", "Ticker"])
    index = pd.DatetimeIndex(DATES, name="Date").tz_localize("America/Chicago")
    return pd.DataFrame(np.column_stack([close, np.full(close.size, 1000.0)]), index=index,
                        columns=columns)


class Fake:
    def __init__(self, close):
        self.close = close
        self.calls = 0

    def __call__(self, ticker, **kwargs):
        self.calls += 1
        return _yahoo(ticker, self.close)


def never(ticker, **kwargs):
    raise AssertionError(f"unexpected download of {ticker}")


@pytest.fixture(autouse=True)
def _settled_clock(monkeypatch):
    monkeypatch.delenv("EVENTSTUDY_PRICES_DIR", raising=False)
    monkeypatch.delenv("EVENTSTUDY_CACHE_DIR", raising=False)
    monkeypatch.setattr(prices, "_now_utc", lambda: pd.Timestamp("2024-01-13 12:00", tz="UTC"))


def _fill(cache_dir, ticker="ZS=F", close=CLOSES):
    load_prices(ticker, "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                downloader=Fake(close))
    return cache_dir / f"{ticker}.parquet"


# ----------------------------------------------------------------------------- provenance


def test_cache_file_of_another_ticker_is_refused(cache_dir):
    spy = _fill(cache_dir, "SPY", CLOSES / 2)
    shutil.copy(spy, cache_dir / "ZS=F.parquet")
    with pytest.raises(CacheError, match=r"ZS=F\.parquet is corrupt \(it holds prices of 'SPY', "
                                         r"not 'ZS=F': the file was copied or renamed\)"):
        load_prices("ZS=F", source="cache", cache_dir=cache_dir)
    with pytest.raises(CacheError, match=r"holds prices of 'SPY', not 'ZS=F'"):
        read_cache(cache_dir / "ZS=F.parquet")
    # Online, the swapped file is replaced by a download of the right ticker.
    fake = Fake(CLOSES)
    frame = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo", cache_dir=cache_dir,
                        downloader=fake)["ZS=F"]
    assert fake.calls == 1
    np.testing.assert_allclose(frame["Close"].to_numpy(), CLOSES, rtol=0, atol=0)
    assert read_cache(cache_dir / "ZS=F.parquet")[1]["ticker"] == "ZS=F"


def _rewrite_meta(path, **changes):
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"eventstudy"])
    meta.update(changes)
    pq.write_table(table.replace_schema_metadata(
        {**table.schema.metadata, b"eventstudy": json.dumps(meta).encode()}), path)


def test_cache_span_must_match_its_provenance(cache_dir):
    path = _fill(cache_dir)
    _rewrite_meta(path, first="2023-01-02")
    with pytest.raises(CacheError, match=r"dates 2024-01-02 to 2024-01-10 but the metadata "
                                         r"records 2023-01-02 to 2024-01-10"):
        read_cache(path)


def test_cache_columns_must_be_price_columns(cache_dir):
    path = _fill(cache_dir)
    table = pq.read_table(path)
    frame = table.to_pandas().rename(columns={"Volume": "Dividends"})
    import pyarrow as pa

    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False)
                   .replace_schema_metadata(table.schema.metadata), path)
    with pytest.raises(CacheError, match=r"unexpected columns Dividends"):
        read_cache(path)


# ----------------------------------------------------------------------------- permissions


def test_cache_file_is_readable_by_others(cache_dir):
    path = _fill(cache_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_unreadable_cache_is_not_called_corrupt(cache_dir, monkeypatch):
    path = _fill(cache_dir)
    real_open = open

    def no_permission(file, mode="r", *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(prices, "open", no_permission, raising=False)
    message = (rf"cannot read the cache file {path} \(Permission denied\); check its permissions "
               r"\(it must be readable by you, e\.g\. chmod 644 ZS=F\.parquet\)")
    with pytest.raises(CacheError, match=message) as info:
        load_prices("ZS=F", source="cache", cache_dir=cache_dir)
    assert "corrupt" not in str(info.value) and "delete" not in str(info.value)
    with pytest.raises(CacheError, match=message):
        read_cache(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_cache_readable_only_by_its_owner(cache_dir):
    path = _fill(cache_dir)
    path.chmod(0o000)
    try:
        with pytest.raises(CacheError, match=r"cannot read the cache file .*check its permissions"):
            load_prices("ZS=F", source="cache", cache_dir=cache_dir)
    finally:
        path.chmod(0o644)


def test_missing_and_corrupt_cache_have_their_own_messages(cache_dir):
    with pytest.raises(CacheError, match=r"cache file .*ZS=F\.parquet does not exist; download"):
        read_cache(cache_dir / "ZS=F.parquet")
    with pytest.raises(CacheError, match=r"no cached prices for 'ZS=F'"):
        load_prices("ZS=F", source="cache", cache_dir=cache_dir)
    (cache_dir / "ZS=F.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(CacheError,
                       match=r"is corrupt \(unreadable Parquet: .*delete ZS=F\.parquet"):
        load_prices("ZS=F", source="cache", cache_dir=cache_dir)


# ----------------------------------------------------------------------------- concurrency


def test_reader_retries_once_when_the_file_is_replaced_meanwhile(cache_dir, monkeypatch):
    path = _fill(cache_dir)
    good = path.read_bytes()
    calls = []
    real = prices._snapshot_bytes

    def half_then_whole(p):
        calls.append(p)
        if len(calls) == 1:
            # What a reader of a file replaced under it would have got: an
            # identity that no longer matches the file on disk.
            return good[: len(good) // 2], (-1, -1, -1)
        return real(p)

    monkeypatch.setattr(prices, "_snapshot_bytes", half_then_whole)
    frame, meta = read_cache(path)
    assert len(calls) == 2 and meta["ticker"] == "ZS=F"
    # The same damage on a file nobody replaced is corrupt: no endless retry.
    monkeypatch.setattr(prices, "_snapshot_bytes",
                        lambda p: (good[: len(good) // 2], real(p)[1]))
    with pytest.raises(CacheError, match=r"corrupt \(unreadable Parquet"):
        read_cache(path)


WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np, pandas as pd
    from pathlib import Path
    from eventstudy import prices

    path = Path(sys.argv[1])
    n = int(sys.argv[2])
    dates = pd.bdate_range("2000-01-03", periods=n, name="date")
    deadline = time.time() + float(sys.argv[3])
    i = 0
    while time.time() < deadline:
        close = np.full(n, 100.0 + i)
        frame = pd.DataFrame({"Close": close, "Volume": close}, index=dates)
        meta = {"format": prices.CACHE_FORMAT, "ticker": "ZS=F", "source": "yahoo",
                "fetched_utc": "2024-01-13T12:00:00+00:00", "versions": {},
                "first": "2000-01-03", "last": str(dates[-1].date()), "rows": n,
                "provisional": [], "requested_start": None, "requested_end": None}
        prices._write_cache(path, frame, meta)
        i += 1
    print(i)
    """
)


def test_concurrent_rewrites_never_look_corrupt(cache_dir, tmp_path):
    path = cache_dir / "ZS=F.parquet"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # Seed the file, then rewrite it for a few seconds while this process reads.
    subprocess.run([sys.executable, str(script), str(path), "5000", "0.01"], check=True,
                   env=env, timeout=120)
    writer = subprocess.Popen([sys.executable, str(script), str(path), "5000", "6"],
                              stdout=subprocess.PIPE, text=True, env=env)
    reads, errors = 0, []
    try:
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                frame, meta = read_cache(path)
            except CacheError as exc:
                errors.append(str(exc))
                continue
            assert len(frame) == 5000 and meta["rows"] == 5000
            assert np.unique(frame["Close"].to_numpy()).size == 1  # one version, never a mix
            reads += 1
    finally:
        out, _ = writer.communicate(timeout=120)
    assert errors == []
    assert reads > 10 and int(out) > 10


# ----------------------------------------------------------------------------- killed writer


KILLED = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np, pandas as pd
    import pyarrow.parquet as pq
    from pathlib import Path
    from eventstudy import prices

    def die_halfway(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1" + b"\\0" * 64)
            fh.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    pq.write_table = die_halfway
    dates = pd.bdate_range("2024-01-02", periods=3, name="date")
    frame = pd.DataFrame({"Close": [1.0, 2.0, 3.0]}, index=dates)
    prices._write_cache(Path(sys.argv[1]), frame, {"rows": 3})
    """
)


def test_temporary_file_of_a_killed_writer_is_removed(cache_dir, tmp_path, caplog):
    path = _fill(cache_dir)
    before = path.read_bytes()
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, str(script), str(path)], env=env, timeout=120,
                          check=False)
    assert proc.returncode == -9
    orphans = list(cache_dir.glob(".ZS=F.*.parquet.tmp"))
    assert len(orphans) == 1 and path.read_bytes() == before
    with caplog.at_level(logging.WARNING, logger="eventstudy.prices"):
        frame = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                            cache_dir=cache_dir, downloader=never)["ZS=F"]
    np.testing.assert_allclose(frame["Close"].to_numpy(), CLOSES, rtol=0, atol=0)
    assert list(cache_dir.glob(".ZS=F.*.parquet.tmp")) == []
    assert "removed a temporary file left by a killed writer (its writer is gone)" in caplog.text


def test_stale_temporaries_by_age_and_live_writers_kept(cache_dir):
    path = cache_dir / "ZS=F.parquet"
    live = cache_dir / f".ZS=F.{os.getppid()}.abc.parquet.tmp"  # a running process
    old = cache_dir / f".ZS=F.{os.getppid()}.old.parquet.tmp"
    other = cache_dir / ".ZC=F.999999999.x.parquet.tmp"  # another ticker's file
    for f in (live, old, other):
        f.write_bytes(b"PAR1")
    ancient = time.time() - prices.STALE_TMP_SECONDS - 60
    os.utime(old, (ancient, ancient))
    removed = remove_stale_temporaries(path)
    assert removed == [old]
    assert live.exists() and other.exists()


def test_non_finite_download_is_reported_not_cached_as_a_number(cache_dir):
    from eventstudy.exceptions import DataQualityWarning

    close = CLOSES.copy()
    close[3] = np.inf
    with pytest.warns(DataQualityWarning, match=r"ZS=F: the download has non-finite prices on "
                                                r"2024-01-05 Close; they are read as missing"):
        frame = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="yahoo",
                            cache_dir=cache_dir, downloader=Fake(close))["ZS=F"]
    assert np.isnan(frame["Close"].iloc[3]) and len(frame) == len(DATES)
    assert np.isnan(read_cache(cache_dir / "ZS=F.parquet")[0]["Close"].iloc[3])


def test_cache_written_without_the_closed_day_rule_is_screened(cache_dir):
    """A cache file holding a Saturday row (written before downloads were screened) is served
    without it, with the warning naming the file."""
    from eventstudy.exceptions import DataQualityWarning

    path = _fill(cache_dir)
    table = pq.read_table(path)
    frame = table.to_pandas()
    saturday = pd.DataFrame({"date": [pd.Timestamp("2024-01-06")], "Close": [9999.0],
                             "Volume": [1000.0]})
    frame = pd.concat([frame, saturday]).sort_values("date", ignore_index=True)
    meta = json.loads(table.schema.metadata[b"eventstudy"])
    for key in ("closed_days", "notes"):
        del meta[key]
    meta["rows"] = len(frame)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(
        {b"eventstudy": json.dumps(meta).encode()}), path)
    with pytest.warns(DataQualityWarning,
                      match=rf"ZS=F \(cache file {re.escape(str(path))}\): 1 row on a day the "
                            r"exchange is closed: 2024-01-06 \(a Saturday\); such a row is never"):
        served = load_prices("ZS=F", "2024-01-02", "2024-01-10", source="cache",
                             cache_dir=cache_dir)["ZS=F"]
    assert served.index.equals(pd.DatetimeIndex(DATES, name="date"))
    np.testing.assert_allclose(served["Close"].to_numpy(), CLOSES, rtol=0, atol=0)
    assert served.attrs["provenance"]["closed_days"] == [{"date": "2024-01-06",
                                                         "weekday": "Saturday"}]
