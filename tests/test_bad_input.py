"""Bad input never gives a silently wrong answer: events files, price files, arguments.

Each case pins the message (file, line, column or value, and the fix) or the
reported flag. Damaged price files are copies of the real snapshot made in
``tmp_path``; the snapshot itself is only read.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli import check_date, check_out_dir, main
from eventstudy.events import (
    DEFAULT_EVENTS,
    align_events,
    events_report,
    load_events,
    same_day_events,
)
from eventstudy.exceptions import (
    ArgumentError,
    DataError,
    DataQualityWarning,
    EventAlignmentError,
    EventFileError,
    InvalidTickerError,
    PriceFileError,
)
from eventstudy.prices import first_non_utf8, load_prices
from eventstudy.quality import EXTREME_K, check_data, extreme_returns

REPO = Path(__file__).resolve().parents[1]


def _cli(capsys, argv) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_error_line(err: str) -> str:
    """The stderr of a failed command: exactly one ``error:`` line, no traceback."""
    lines = [line for line in err.splitlines() if not line.startswith("WARNING ")]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


# ============================================================================ events file


def _catalogue_lines() -> list[str]:
    return DEFAULT_EVENTS.read_text(encoding="utf-8").splitlines(keepends=True)


def _write(path: Path, lines) -> Path:
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_stray_quote_in_the_catalogue_names_the_line_where_it_opens(tmp_path):
    lines = _catalogue_lines()
    # Line 10 of the file: a quote opens the title and is never closed.
    head, title = lines[9].split(",", 5)[:5], lines[9].split(",", 5)[5]
    lines[9] = ",".join(head) + ',"' + title.replace('"', "")
    path = _write(tmp_path / "events.csv", lines)
    with pytest.raises(EventFileError, match=r"line 10: not readable as CSV \(a quote opened "
                                             r"on line 10 is not closed before line \d+"):
        load_events(path)


def test_stray_quote_that_closes_rows_later_is_refused(tmp_path):
    # The quote opened on line 2 closes on line 4 followed by a comma: the CSV
    # reader is happy and the row even has the right number of fields, but
    # line 3 (a whole event) would vanish into the title.
    path = tmp_path / "events.csv"
    path.write_text(
        "id,date,title,notes\n"
        'a,2025-11-20,"Title left open,n1\n'
        "b,2025-11-21,t,n\n"
        'end of it",x\n'
        "c,2025-11-24,t,n\n",
        encoding="utf-8",
    )
    with pytest.raises(
        EventFileError,
        match=r"line 2, column 'title': a quote \(\"\) opens a field that is not closed on this "
        r"line, so the field runs to line 4; lines 3 inside it are event rows\. Close the quote "
        r"on line 2",
    ):
        load_events(path)


def test_stray_quote_changing_the_field_count_is_refused(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        'id,date,title\na,2025-11-20,"open\nnot a row\nstill"\nb,2025-11-21,t\n', encoding="utf-8"
    )
    # 3 fields for 3 columns and no swallowed row: a legitimate two-line title.
    assert load_events(path)["id"].tolist() == ["a", "b"]
    path.write_text(
        'id,date,title\na,2025-11-20,"open\nnot a row",extra\nb,2025-11-21,t\n', encoding="utf-8"
    )
    with pytest.raises(EventFileError, match=r"line 2, column 'title': a quote .* runs to line 3; "
                                             r"the row then has 4 fields for 3 columns"):
        load_events(path)


def test_line_break_in_a_token_column_is_refused(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text('id,date\n"a\nb",2025-11-20\n', encoding="utf-8")
    with pytest.raises(EventFileError, match=r"line 2, column 'id': a quote"):
        load_events(path)


def test_quote_left_open_at_the_end_of_the_file(tmp_path):
    lines = _catalogue_lines()
    lines[-1] = lines[-1].rstrip("\n") + ',"oops\n'
    path = _write(tmp_path / "events.csv", lines)
    with pytest.raises(EventFileError, match=rf"line {len(lines)}: not readable as CSV "
                                             r"\(unexpected end of data\)"):
        load_events(path)


def test_quote_inside_a_quoted_field_must_be_doubled(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text('id,date,title\na,2025-11-24,"Trump says "deal" soon"\n', encoding="utf-8")
    with pytest.raises(EventFileError, match=r'line 2: not readable as CSV .*written ""'):
        load_events(path)
    path.write_text('id,date,title\na,2025-11-24,"Trump says ""deal"" soon"\n', encoding="utf-8")
    assert load_events(path)["title"].iloc[0] == 'Trump says "deal" soon'


def test_every_row_of_the_catalogue_is_read(tmp_path):
    # No row ever merges into another: as many events as data lines.
    data_lines = [line for line in _catalogue_lines()[1:] if line.strip()]
    assert len(load_events(DEFAULT_EVENTS)) == len(data_lines)


def test_row_with_fewer_fields_than_the_header(tmp_path):
    lines = _catalogue_lines()
    lines[7] = ",".join(lines[7].split(",")[:3]) + "\n"
    path = _write(tmp_path / "events.csv", lines)
    with pytest.raises(EventFileError, match=r"line 8: 3 fields but the header has 12 columns; "
                                             r"give every column a field"):
        load_events(path)


def test_non_utf8_byte_names_the_real_line(tmp_path):
    rows = ["id,date,title\n"] + [f"e{i},2025-01-{i % 27 + 1:02d},t{i}\n" for i in range(2, 61)]
    data = "".join(rows).encode("utf-8").split(b"\n")
    data[50] = data[50].replace(b"t", b"\xe9", 1)  # line 51
    path = tmp_path / "events.csv"
    path.write_bytes(b"\n".join(data))
    with pytest.raises(EventFileError, match=r"line 51: byte 0xe9 at position \d+ is not UTF-8; "
                                             r"save the file as UTF-8 CSV"):
        load_events(path)


def test_first_non_utf8_counts_lines_after_a_bom():
    assert first_non_utf8(b"\xef\xbb\xbfid,date\na,2025\n") is None
    assert first_non_utf8(b"\xef\xbb\xbfid\nok\nb\xff\n") == (3, 2, "0xff")


def test_nul_byte_names_its_line(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(b"id,date\na,2025-01-02\nb\x00,2025-01-03\n")
    with pytest.raises(EventFileError, match=r"line 3: a NUL byte"):
        load_events(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("id,date,title,category\n", r"line 1: the file has a header but no event rows"),
        ("\n\n  \n", r"line 1: the file is empty"),
        ("id,date,\na,2025-11-24,\n", r"line 1: column 3 has no name; name it or remove"),
    ],
)
def test_files_without_events(tmp_path, text, message):
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EventFileError, match=message):
        load_events(path)


def test_header_only_events_file_through_the_cli(tmp_path, prices_dir, capsys):
    path = tmp_path / "events.csv"
    path.write_text(_catalogue_lines()[0], encoding="utf-8")
    code, out, err = _cli(capsys, ["events", "--asset", "ZS=F", "--events", str(path),
                                   "--prices-dir", str(prices_dir)])
    assert code == 2 and out == ""
    assert _one_error_line(err) == (
        f"error: {path}: line 1: the file has a header but no event rows; add one row per "
        "event below the header"
    )


def _study_with_events(tmp_path: Path, events: Path) -> Path:
    text = (REPO / "studies" / "article.toml").read_text(encoding="utf-8")
    lines = [f'events = "{events.as_posix()}"' if line.startswith("events =") else line
             for line in text.splitlines()]
    study = tmp_path / "study.toml"
    study.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return study


@pytest.mark.parametrize("damage", ["header-only", "stray-quote"])
def test_run_refuses_a_broken_events_file(tmp_path, prices_dir, capsys, damage):
    lines = _catalogue_lines()
    if damage == "header-only":
        lines = lines[:1]
    else:
        head, title = lines[9].split(",", 5)[:5], lines[9].split(",", 5)[5]
        lines[9] = ",".join(head) + ',"' + title.replace('"', "")
    events = _write(tmp_path / "events.csv", lines)
    out = tmp_path / "out"
    code, _, err = _cli(capsys, ["run", str(_study_with_events(tmp_path, events)),
                                 "--prices-dir", str(prices_dir), "--out", str(out)])
    assert code == 2
    line = _one_error_line(err)
    assert str(events) in line and ("line 1:" in line or "line 10" in line)
    assert not out.exists()


# ---------------------------------------------------------------------- same trade date


@pytest.fixture
def same_day_file(tmp_path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(
        "id,date,time,tz\n"
        "a,2025-11-24,,\n"
        "b,2025-11-24,,\n"
        "sat,2025-11-22,,\n"  # Saturday: Monday 2025-11-24
        "fri-evening,2025-11-21,16:00,America/Chicago\n"  # after Friday's close: Monday
        "alone,2025-11-25,,\n"
        "pending,,,\n",
        encoding="utf-8",
    )
    return path


def test_same_day_events_finds_shared_trade_dates(same_day_file, prices_dir):
    aligned = align_events(load_events(same_day_file), "ZS=F")
    shared = same_day_events(aligned)
    assert shared["id"].tolist() == ["a", "b", "sat", "fri-evening"]
    assert (shared["trade_date"] == pd.Timestamp("2025-11-24")).all()
    assert shared.set_index("id").loc["sat", "shares_day0_with"] == "a, b, fri-evening"
    assert same_day_events(aligned[aligned["id"].isin(["a", "alone", "pending"])]).empty
    with pytest.raises(EventAlignmentError, match=r"no 'trade_date' column"):
        same_day_events(load_events(same_day_file))


def test_same_day_events_are_reported(same_day_file, prices_dir, capsys, caplog):
    with caplog.at_level(logging.WARNING, logger="eventstudy.events"):
        text = events_report(same_day_file, asset="ZS=F", prices_dir=prices_dir)
    assert "events a, b, sat, fri-evening share the trade date 2025-11-24" in caplog.text
    assert text.splitlines()[-1] == "  2025-11-24: a, b, sat, fri-evening"
    assert "same trade date (1 day with more than one event" in text
    code, out, _ = _cli(capsys, ["events", "--asset", "ZS=F", "--events", str(same_day_file),
                                 "--json", "--prices-dir", str(prices_dir)])
    assert code == 0
    records = {r["id"]: r["shares_day0_with"] for r in json.loads(out)}
    assert records["a"] == ["b", "sat", "fri-evening"]
    assert records["alone"] == [] and records["pending"] == []


def test_catalogue_has_no_same_day_events(prices_dir):
    assert same_day_events(align_events(load_events(DEFAULT_EVENTS), "ZS=F")).empty


# ============================================================================ price files


def _damaged(tmp_path: Path, prices_dir: Path, ticker: str, edit, *, others=()) -> Path:
    """A folder with a damaged copy of ``ticker`` and clean copies of ``others``."""
    folder = tmp_path / "prices"
    folder.mkdir(exist_ok=True)
    lines = (prices_dir / f"{ticker}.csv").read_text().splitlines(keepends=True)
    (folder / f"{ticker}.csv").write_text("".join(edit(lines)))
    for other in others:
        shutil.copy(prices_dir / f"{other}.csv", folder / f"{other}.csv")
    return folder


def _set_close(lines, i, text):
    fields = lines[i].rstrip("\n").split(",")
    fields[4] = text
    lines[i] = ",".join(fields) + "\n"
    return lines


def _date_of(lines, i) -> str:
    return lines[i].split(",", 1)[0]


def test_header_only_price_file_is_a_price_file_error(tmp_path, prices_dir):
    folder = _damaged(tmp_path, prices_dir, "ZS=F", lambda lines: lines[:1])
    with pytest.raises(PriceFileError, match=r"ZS=F\.csv: the file has a header but no price "
                                             r"rows; add one row per trade date"):
        load_prices("ZS=F", prices_dir=folder)
    (folder / "ZS=F.csv").write_text("")
    with pytest.raises(PriceFileError, match=r"ZS=F\.csv: the file is empty"):
        load_prices("ZS=F", prices_dir=folder)


@pytest.mark.parametrize("command", ["data", "events", "run"])
def test_header_only_price_file_through_the_cli(tmp_path, prices_dir, capsys, command):
    folder = _damaged(tmp_path, prices_dir, "ZS=F", lambda lines: lines[:1], others=("SPY", "UUP"))
    argv = {
        "data": ["data", "check", "ZS=F"],
        "events": ["events", "--asset", "ZS=F"],
        "run": ["run", str(REPO / "studies" / "article.toml"), "--out", str(tmp_path / "out")],
    }[command]
    code, out, err = _cli(capsys, [*argv, "--prices-dir", str(folder)])
    assert code == 2 and out == ""
    assert _one_error_line(err) == (
        f"error: {folder / 'ZS=F.csv'}: the file has a header but no price rows; add one row per "
        "trade date or use a complete download"
    )


def test_non_utf8_price_file_names_the_line(tmp_path, prices_dir):
    folder = tmp_path / "prices"
    folder.mkdir()
    data = (prices_dir / "SPY.csv").read_bytes().split(b"\n")
    data[50] = data[50] + b"\xff"
    (folder / "SPY.csv").write_bytes(b"\n".join(data))
    with pytest.raises(PriceFileError, match=r"SPY\.csv: line 51: byte 0xff at position \d+ is "
                                             r"not UTF-8"):
        load_prices("SPY", prices_dir=folder)


def test_row_with_more_fields_is_an_error(tmp_path, prices_dir):
    def edit(lines):
        lines[100] = lines[100].rstrip("\n") + ",7\n"
        return lines

    folder = _damaged(tmp_path, prices_dir, "SPY", edit)
    with pytest.raises(PriceFileError, match=r"SPY\.csv: cannot be read as CSV \(.*Expected 6 "
                                             r"fields in line 101, saw 7"):
        load_prices("SPY", prices_dir=folder)


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "NaN", "Infinity", "1e999"])
def test_non_finite_close_is_reported_not_dropped(tmp_path, prices_dir, caplog, text):
    lines = (prices_dir / "ZS=F.csv").read_text().splitlines(keepends=True)
    date = _date_of(lines, 6000)
    folder = _damaged(tmp_path, prices_dir, "ZS=F", lambda ls: _set_close(ls, 6000, text))
    message = (rf"ZS=F\.csv: 1 cell not a finite number: line 6001 \({date} "
               rf"Close='{text}'\); these prices are read as missing")
    with caplog.at_level(logging.WARNING, logger="eventstudy.prices"):
        with pytest.warns(DataQualityWarning, match=message):
            frame = load_prices("ZS=F", prices_dir=folder)["ZS=F"]
        with pytest.warns(DataQualityWarning, match=message):
            load_prices("ZS=F", prices_dir=folder)
    # Logged once per file, however often it is loaded.
    assert sum("not a finite number" in r.getMessage() for r in caplog.records) == 1
    assert len(frame) == len(lines) - 1  # the row is kept, its close is missing
    assert np.isnan(frame.loc[date, "Close"])
    assert frame.attrs["provenance"]["nonfinite"] == [
        {"date": date, "line": 6001, "column": "Close", "text": text}
    ]


def test_truncated_last_line_is_reported(tmp_path, prices_dir):
    lines = (prices_dir / "ZS=F.csv").read_text().splitlines(keepends=True)
    last = _date_of(lines, len(lines) - 1)

    def edit(ls):
        ls[-1] = ls[-1][:14]  # "2026-01-13,105": Date and half of Open
        return ls

    folder = _damaged(tmp_path, prices_dir, "ZS=F", edit)
    with pytest.warns(DataQualityWarning, match=rf"1 row truncated: line {len(lines)} \({last}\)"):
        frame = load_prices("ZS=F", prices_dir=folder)["ZS=F"]
    assert np.isnan(frame["Close"].iloc[-1])
    assert frame.attrs["provenance"]["short_rows"] == [
        {"date": last, "line": len(lines), "fields": 2}
    ]


def test_price_typed_1000_times_too_large_warns_on_load(tmp_path, prices_dir):
    lines = (prices_dir / "ZS=F.csv").read_text().splitlines(keepends=True)
    close = float(lines[6000].split(",")[4])
    folder = _damaged(tmp_path, prices_dir, "ZS=F",
                      lambda ls: _set_close(ls, 6000, repr(close * 1000)))
    day, after = _date_of(lines, 6000), _date_of(lines, 6001)
    with pytest.warns(DataQualityWarning, match=rf"the close doubles or halves from one row to the "
                                                rf"next on {day} \(\+6\.9\d\d\), {after} \(-6\.9"):
        frame = load_prices("ZS=F", prices_dir=folder)["ZS=F"]
    assert [j["date"] for j in frame.attrs["provenance"]["jumps"]] == [day, after]


def test_clean_snapshot_loads_without_data_warnings(prices_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        frames = load_prices(["ZS=F", "SPY", "UUP", "CL=F", "DBA"], prices_dir=prices_dir)
    for frame in frames.values():
        prov = frame.attrs["provenance"]
        assert prov["nonfinite"] == [] and prov["short_rows"] == [] and prov["jumps"] == []


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"tickers": None}, InvalidTickerError,
         r"tickers must be a ticker or a list of tickers such as \['ZS=F', 'SPY'\]; got None"),
        ({"tickers": 5}, InvalidTickerError, r"got 5 \(int\)"),
        ({"tickers": [None]}, InvalidTickerError, r"ticker must be a string .*got None"),
        ({"tickers": []}, InvalidTickerError, r"no ticker given"),
        ({"tickers": "ZS=F", "start": 3.5}, DataError, r"start=3\.5 \(float\) is not a date"),
        ({"tickers": "ZS=F", "end": "2025-13-01"}, DataError, r"end='2025-13-01' is not a date"),
        ({"tickers": "ZS=F", "prices_dir": 5}, DataError,
         r"prices_dir must be a folder path \(str or pathlib\.Path\); got 5"),
        ({"tickers": "ZS=F", "source": "yahoo", "cache_dir": 1.5}, DataError,
         r"cache_dir must be a folder path"),
        ({"tickers": "ZS=F", "refresh": "yes"}, DataError, r"refresh must be True or False"),
        ({"tickers": "ZS=F", "downloader": 3}, DataError, r"downloader must be a function"),
    ],
)
def test_wrong_argument_types_of_load_prices(kwargs, error, message):
    with pytest.raises(error, match=message):
        load_prices(**kwargs)


# ============================================================================ data check


def test_data_check_of_the_clean_file_reports_no_problem(prices_dir):
    report = check_data("ZS=F", prices_dir=prices_dir)
    assert report.problems == 0
    d = report.to_dict()
    for key in ("missing_closes", "missing_close_runs", "nonfinite_prices", "truncated_rows",
                "extreme_returns"):
        assert d[key] == [], key
    assert d["extreme_rule"]["k"] == EXTREME_K
    assert "problems: 0" in report.to_text()


@pytest.mark.parametrize("ticker", ["ZC=F", "ZW=F", "DX=F", "SOYB", "CORN", "DBA"])
def test_extreme_rule_is_quiet_on_clean_series(prices_dir, ticker):
    assert check_data(ticker, prices_dir=prices_dir).extreme_returns.empty


def test_data_check_reports_missing_closes_and_runs(tmp_path, prices_dir):
    lines = (prices_dir / "ZS=F.csv").read_text().splitlines(keepends=True)

    def edit(ls):
        for i in (5000, 6010, 6011, 6012):
            _set_close(ls, i, "")
        ls[-1] = ls[-1][:14]
        return ls

    folder = _damaged(tmp_path, prices_dir, "ZS=F", edit)
    dates = [_date_of(lines, i) for i in (5000, 6010, 6011, 6012, len(lines) - 1)]
    with pytest.warns(DataQualityWarning, match=r"1 row truncated"):
        report = check_data("ZS=F", prices_dir=folder)
    d = report.to_dict()
    assert d["rows"] == len(lines) - 1
    assert d["missing_closes"] == dates
    assert d["missing_close_runs"] == [
        {"start": dates[0], "end": dates[0], "rows": 1},
        {"start": dates[1], "end": dates[3], "rows": 3},
        {"start": dates[4], "end": dates[4], "rows": 1},
    ]
    assert d["truncated_rows"] == [{"date": dates[4], "line": len(lines), "fields": 2}]
    text = report.to_text()
    assert f"missing closes (5): {', '.join(dates)}" in text
    assert f"{dates[1]}..{dates[3]} (3 rows)" in text
    assert f"truncated rows (1): line {len(lines)} ({dates[4]}, 2 fields)" in text


def test_data_check_reports_non_finite_and_non_positive_closes(tmp_path, prices_dir, capsys):
    lines = (prices_dir / "ZS=F.csv").read_text().splitlines(keepends=True)

    def edit(ls):
        _set_close(ls, 6000, "inf")
        _set_close(ls, 6100, "nan")
        _set_close(ls, 6200, "0")
        _set_close(ls, 6201, "-5")
        return ls

    folder = _damaged(tmp_path, prices_dir, "ZS=F", edit)
    code, out, _ = _cli(capsys, ["data", "check", "ZS=F", "--prices-dir", str(folder), "--json"])
    assert code == 0
    d = json.loads(out)
    assert d["nonfinite_prices"] == [
        {"date": _date_of(lines, 6000), "line": 6001, "column": "Close", "text": "inf"},
        {"date": _date_of(lines, 6100), "line": 6101, "column": "Close", "text": "nan"},
    ]
    assert [(p["date"], p["value"]) for p in d["nonpositive_prices"] if p["column"] == "Close"] \
        == [(_date_of(lines, 6200), 0.0), (_date_of(lines, 6201), -5.0)]
    assert d["missing_closes"] == [_date_of(lines, 6000), _date_of(lines, 6100)]
    assert d["problems"] == 2 + 2 + 2  # two missing closes, two non-finite, two non-positive
    code, out, _ = _cli(capsys, ["data", "check", "ZS=F", "--prices-dir", str(folder)])
    assert f"{_date_of(lines, 6000)} Close='inf' (line 6001)" in out
    assert f"non-positive prices (2): {_date_of(lines, 6200)} Close=0" in out


def test_data_check_reports_a_price_1000_times_too_large(tmp_path, prices_dir, capsys):
    lines = (prices_dir / "ZS=F.csv").read_text().splitlines(keepends=True)
    close = float(lines[6000].split(",")[4])
    folder = _damaged(tmp_path, prices_dir, "ZS=F",
                      lambda ls: _set_close(ls, 6000, repr(close * 1000)))
    code, out, _ = _cli(capsys, ["data", "check", "ZS=F", "--prices-dir", str(folder), "--json"])
    assert code == 0
    extreme = json.loads(out)["extreme_returns"]
    assert [(e["date"], e["previous"]) for e in extreme] == [
        (_date_of(lines, 6000), _date_of(lines, 5999)),
        (_date_of(lines, 6001), _date_of(lines, 6000)),
    ]
    np.testing.assert_allclose([e["return"] for e in extreme], [np.log(1000), -np.log(1000)],
                               rtol=0, atol=0.01)
    assert all(e["scales"] > 100 for e in extreme)
    code, out, _ = _cli(capsys, ["data", "check", "ZS=F", "--prices-dir", str(folder)])
    assert "extreme returns (2;" in out
    assert f"  {_date_of(lines, 6000)}  +6.90" in out


def test_extreme_rule_on_a_hand_made_series():
    dates = pd.bdate_range("2024-01-01", periods=200)
    rng = np.random.default_rng(0)
    ret = pd.Series(rng.normal(0, 0.01, 200), index=dates)
    ret.iloc[50] = 0.2  # 20 sd: extreme
    ret.iloc[120] = 0.2  # the same on a roll day: explained
    ret.iloc[150] = 0.9  # more than ln 2: extreme even on a roll day
    labels = pd.Series("-", index=dates)
    labels.iloc[[120, 150]] = "roll"
    frame, scale = extreme_returns(ret, labels)
    assert frame["date"].tolist() == [dates[50], dates[150]]
    assert frame["previous"].tolist() == [dates[49], dates[149]]
    np.testing.assert_allclose(scale, 0.01, rtol=0.2, atol=0)
    assert frame["reason"].iloc[1] == "|r| > ln 2 (the price doubled or halved) on a roll day"
    # Too few returns for a scale: only the ln 2 rule.
    short, scale = extreme_returns(ret.iloc[:20], labels.iloc[:20])
    assert np.isnan(scale) and short.empty


# ============================================================================ command line


@pytest.mark.parametrize(
    "argv, message",
    [
        (["data", "check", "ZS=F", "--start", "2025-13-01"],
         "error: --start '2025-13-01' is not a date YYYY-MM-DD; give a real calendar date, "
         "e.g. 2025-11-24"),
        (["data", "check", "ZS=F", "--end", "2025-02-30"],
         "error: --end '2025-02-30' is not a date YYYY-MM-DD; give a real calendar date, "
         "e.g. 2025-11-24"),
        (["data", "check", "ZS=F", "--start", "24/11/2025"],
         "error: --start '24/11/2025' is not a date YYYY-MM-DD; give a real calendar date, "
         "e.g. 2025-11-24"),
        (["data", "check", "ZS=F", "--start", "2025-03-01", "--end", "2025-01-01"],
         "error: --start 2025-03-01 is after --end 2025-01-01; swap them"),
        (["data", "check", "../ZS=F"], "error: invalid ticker '../ZS=F': use a Yahoo symbol"),
        (["events", "--asset", "a/b"], "error: invalid ticker 'a/b'"),
        (["data", "check", "ZS=F", "--prices-dir", "/nonexistent/prices"],
         "error: --prices-dir '/nonexistent/prices' is not a folder; give the folder of "
         "<TICKER>.csv price files"),
        (["frobnicate"], "error: argument command: invalid choice: 'frobnicate'"),
        (["data", "check"], "error: the following arguments are required: ticker; see "
                            "'eventstudy data check --help'"),
        (["run", "s.toml", "--bogus"], "error: unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_give_one_error_line(capsys, argv, message):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors exit from inside parse_args
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert _one_error_line(err).startswith(message)


def test_check_date():
    assert check_date("2024-02-29", "--start") == "2024-02-29"
    assert check_date(None, "--end") is None
    with pytest.raises(ArgumentError, match=r"--end '2023-02-29' is not a date YYYY-MM-DD"):
        check_date("2023-02-29", "--end")


def test_version(capsys):
    from eventstudy import __version__

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"eventstudy {__version__}\n"


def test_out_that_is_a_file_is_refused_before_anything_runs(tmp_path, prices_dir, capsys):
    target = tmp_path / "results.csv"
    target.write_text("keep me")
    code, out, err = _cli(capsys, ["run", str(REPO / "studies" / "article.toml"),
                                   "--prices-dir", str(prices_dir), "--out", str(target)])
    assert code == 2 and out == ""
    assert _one_error_line(err) == (
        f"error: --out '{target}' is an existing file, not a folder; give a folder path "
        "(it is created if needed)"
    )
    assert target.read_text() == "keep me"
    code, _, err = _cli(capsys, ["run", str(REPO / "studies" / "article.toml"),
                                 "--out", str(target / "sub")])
    assert code == 2
    assert _one_error_line(err) == (
        f"error: --out '{target / 'sub'}': '{target}' is a file, so the folder cannot be "
        "created; choose another --out"
    )


def test_out_not_writable_is_refused(tmp_path, monkeypatch):
    import eventstudy.outputs as outputs

    assert check_out_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    monkeypatch.setattr(outputs.os, "access", lambda path, mode: False)
    with pytest.raises(ArgumentError, match=rf"--out '{tmp_path / 'x'}': its parent folder "
                                              rf"'{tmp_path}' is not writable"):
        check_out_dir(tmp_path / "x")
    with pytest.raises(ArgumentError, match=rf"--out '{tmp_path}': the folder is not writable"):
        check_out_dir(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder")
def test_out_in_a_read_only_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(ArgumentError, match=r"its parent folder .* is not writable"):
            check_out_dir(locked / "out")
    finally:
        locked.chmod(0o755)


def test_non_utf8_study_file_names_its_line(tmp_path, capsys):
    study = tmp_path / "study.toml"
    study.write_bytes(b'title = "x"\nasset = "ZS=F"\n# caf\xe9\n')
    code, _, err = _cli(capsys, ["run", str(study)])
    assert code == 2
    assert _one_error_line(err) == (
        f"error: {study}: line 3: byte 0xe9 at position 6 is not UTF-8; save the file as UTF-8"
    )


def test_os_error_is_one_line_naming_the_file(monkeypatch, capsys, tmp_path):
    import eventstudy.outputs as outputs

    def refuse(path, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(outputs, "run_study", refuse)
    code, _, err = _cli(capsys, ["run", str(tmp_path / "s.toml")])
    assert code == 2
    assert _one_error_line(err) == (
        f"error: {tmp_path / 's.toml'}: Permission denied; check that the path exists and "
        "that you may read (or write) it"
    )


def test_events_file_with_several_problems_keeps_its_list(tmp_path, capsys):
    path = tmp_path / "events.csv"
    path.write_text("id,date\na,2025-13-01\na,2025-11-24\n", encoding="utf-8")
    code, _, err = _cli(capsys, ["events", "--asset", "ZS=F", "--events", str(path)])
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == f"error: {path}: 2 problems in the events file"
    assert lines[1].startswith("  line 2, column 'date': cannot read '2025-13-01'")
    assert lines[2].startswith("  line 3, column 'id': duplicate id 'a'")


def test_subprocess_bad_date_has_no_traceback(prices_dir):
    proc = subprocess.run(
        [sys.executable, "-m", "eventstudy", "data", "check", "ZS=F", "--start", "2025-13-01",
         "--prices-dir", str(prices_dir)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "error: --start '2025-13-01' is not a date YYYY-MM-DD; give a real " \
                          "calendar date, e.g. 2025-11-24\n"


def test_cli_logs_a_data_warning_once_without_python_warning_lines(tmp_path, prices_dir):
    folder = _damaged(tmp_path, prices_dir, "ZS=F", lambda ls: _set_close(ls, 6000, "inf"))
    proc = subprocess.run(
        [sys.executable, "-m", "eventstudy", "data", "check", "ZS=F", "--prices-dir", str(folder)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert proc.returncode == 0
    assert proc.stderr.count("not a finite number") == 1
    assert "DataQualityWarning" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("sep", [";", "\t"])
def test_events_file_with_another_separator(tmp_path, sep):
    path = tmp_path / "events.csv"
    path.write_text(f"id{sep}date\na{sep}2025-11-24\n", encoding="utf-8")
    with pytest.raises(EventFileError, match=rf"line 1: the columns are separated by "
                                             rf"{re.escape(repr(sep))}, not commas"):
        load_events(path)


@pytest.mark.parametrize("option", ["--out", "--events", "--prices-dir"])
def test_empty_path_option_is_refused(capsys, option):
    argv = {"--out": ["run", "s.toml", "--out", ""],
            "--events": ["events", "--asset", "ZS=F", "--events", ""],
            "--prices-dir": ["events", "--asset", "ZS=F", "--prices-dir", ""]}[option]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert _one_error_line(capsys.readouterr().err).startswith(
        f"error: argument {option}: the path is empty; give a file or folder path"
    )


def test_stray_quote_in_a_price_file_names_its_line(tmp_path, prices_dir):
    def never_closed(lines):
        lines[100] = lines[100].replace(",", ',"', 1)
        return lines

    folder = _damaged(tmp_path, prices_dir, "SPY", never_closed)
    with pytest.raises(PriceFileError, match=r"SPY\.csv: line 101: not readable as CSV .*a quote "
                                             r"opened there is not closed"):
        load_prices("SPY", prices_dir=folder)

    def closed_rows_later(lines):
        lines[100] = lines[100].replace(",", ',"', 1)
        lines[103] = lines[103].replace(",", '",', 1)
        return lines

    folder = _damaged(tmp_path, prices_dir, "SPY", closed_rows_later)
    with pytest.raises(PriceFileError, match=r"SPY\.csv: line 101: a quote opens a field that "
                                             r"runs to line 104"):
        load_prices("SPY", prices_dir=folder)


def test_quote_in_the_header_is_refused(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text('id,"date\na,2025-11-24\n', encoding="utf-8")
    with pytest.raises(EventFileError, match=r"line 1: (a quote in the header opens a column name "
                                             r"that runs to line 2|not readable as CSV)"):
        load_events(path)


def test_stray_quote_swallowing_a_pending_event(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text('id,date,title\na,2025-11-20,"open\nb,,t\nshut"\n', encoding="utf-8")
    with pytest.raises(EventFileError, match=r"line 2, column 'title': .* runs to line 4; lines 3 "
                                             r"inside it are event rows"):
        load_events(path)


def test_old_mac_line_ends_are_lines(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(b"id,date\ra,2025-11-24\rb,2025-13-01\r")
    with pytest.raises(EventFileError, match=r"line 3, column 'date': cannot read '2025-13-01'"):
        load_events(path)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: load_events(None), EventFileError,
         r"the events file must be a path \(str or pathlib\.Path\); got NoneType"),
        (lambda: align_events(None, "ZS=F"), EventAlignmentError,
         r"events must be a DataFrame from load_events; got NoneType"),
        (lambda: align_events(pd.DataFrame({"id": ["a"], "date": ["notadate"]}), "ZS=F"),
         EventAlignmentError, r"the 'date' column cannot be read as dates"),
        (lambda: check_data(None), InvalidTickerError, r"ticker must be a string"),
        (lambda: check_data("ZS=F", prices_dir=3), DataError,
         r"prices_dir must be a folder path"),
    ],
)
def test_wrong_argument_types_of_the_library(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_check_data_names_a_start_that_is_not_a_date(prices_dir):
    with pytest.raises(DataError, match=r"start='2025-13-01' is not a date; use 'YYYY-MM-DD'"):
        check_data("ZS=F", start="2025-13-01", prices_dir=prices_dir)
