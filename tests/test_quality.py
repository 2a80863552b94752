"""The data-quality report, through the library and through the command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.exceptions import PriceFileError, UnsupportedFutureError
from eventstudy.quality import N_LARGEST, check_data

KEYS = {
    "ticker",
    "first",
    "last",
    "rows",
    "missing_sessions",
    "duplicate_dates",
    "nonpositive_prices",
    "zero_volume",
    "roll_days",
    "thin_periods",
    "largest_returns",
}


@pytest.fixture(scope="module")
def zs_json(prices_dir):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["data", "check", "ZS=F", "--prices-dir", str(prices_dir), "--json"])
    assert code == 0
    return json.loads(out.getvalue())


def test_json_keys_and_span(zs_json, prices_dir):
    assert KEYS <= set(zs_json)
    raw = pd.read_csv(prices_dir / "ZS=F.csv")
    assert zs_json["rows"] == len(raw)
    assert zs_json["first"] == raw["Date"].iloc[0] and zs_json["last"] == raw["Date"].iloc[-1]
    assert zs_json["duplicate_dates"] == []


def test_acceptance_zs(zs_json):
    roll_dates = {r["date"] for r in zs_json["roll_days"]}
    assert {"2022-07-14", "2022-07-15", "2022-08-12", "2022-08-15"} <= roll_dates
    labels = {r["date"]: r["label"] for r in zs_json["largest_returns"]}
    assert labels["2022-07-15"] == "roll" and labels["2022-08-15"] == "roll"
    assert any(
        p["start"] <= "2025-11-03" and p["end"] >= "2025-11-13" for p in zs_json["thin_periods"]
    )
    assert "2025-06-19" not in zs_json["missing_sessions"]
    assert zs_json["extra_sessions"] == ["2004-06-11", "2005-11-24", "2006-11-23"]


def test_largest_returns_match_independent_computation(zs_json, prices_dir):
    raw = pd.read_csv(prices_dir / "ZS=F.csv", index_col="Date")
    ret = np.log(raw["Close"]).diff().dropna()
    top = ret.abs().sort_values(ascending=False).head(N_LARGEST)
    got = zs_json["largest_returns"]
    assert [r["date"] for r in got] == list(top.index)
    np.testing.assert_allclose(
        [r["return"] for r in got], ret[top.index].to_numpy(), rtol=1e-12, atol=0
    )


def test_zero_volume_matches_file(zs_json, prices_dir):
    raw = pd.read_csv(prices_dir / "ZS=F.csv")
    expected = raw.loc[raw["Volume"].isna() | (raw["Volume"] == 0), "Date"].tolist()
    assert zs_json["zero_volume"] == expected
    assert "2025-11-03" in expected


def test_crude_negative_price(prices_dir):
    report = check_data("CL=F", prices_dir=prices_dir, start="2020-04-01", end="2020-04-30")
    closes = [p for p in report.nonpositive_prices if p["column"] == "Close"]
    assert [(p["date"], p["value"]) for p in closes] == [
        (pd.Timestamp("2020-04-20"), pytest.approx(-37.63, abs=0.005))
    ]
    d = report.to_dict()
    assert "2020-04-20" in {p["date"] for p in d["nonpositive_prices"]}
    # the return into and out of a negative close is missing, never a log of a negative number
    assert "2020-04-20" not in {r["date"] for r in d["largest_returns"]}
    assert d["first"] == "2020-04-01" and d["last"] == "2020-04-30"


def test_text_report(prices_dir, capsys):
    code = main(["data", "check", "SPY", "--prices-dir", str(prices_dir), "--start", "2024-01-01"])
    out = capsys.readouterr().out
    assert code == 0
    assert "data check: SPY" in out and "calendar NYSE" in out
    assert "missing sessions (0): none" in out and "roll days (0): none" in out


def test_duplicate_dates_are_reported(prices_dir, tmp_path):
    lines = (prices_dir / "SPY.csv").read_text().splitlines()
    head, body = lines[0], lines[1:200]
    body.insert(50, body[49])
    (tmp_path / "SPY.csv").write_text("\n".join([head, *body]) + "\n")
    dup_date = pd.Timestamp(body[49].split(",")[0])
    report = check_data("SPY", prices_dir=tmp_path)
    assert report.duplicate_dates == [dup_date]
    assert report.rows == 199
    # a repetition outside the checked span stops the check, as it stops a study
    later = pd.Timestamp(body[60].split(",")[0])
    with pytest.raises(PriceFileError, match=r"SPY\.csv: line 52: date .* already on line 51"):
        check_data("SPY", prices_dir=tmp_path, start=later)


def test_unknown_future_one_line_error(prices_dir, capsys):
    code = main(["data", "check", "NG=F", "--prices-dir", str(prices_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(
        "error: no contract roll rule for the futures symbol 'NG=F'; supported: CL=F"
    )
    assert err.count("\n") == 1 and "Traceback" not in err
    with pytest.raises(UnsupportedFutureError, match="'NG=F'"):
        check_data("NG=F", prices_dir=prices_dir)


def test_unknown_ticker_one_line_error(prices_dir, capsys):
    code = main(["data", "check", "NOPE", "--prices-dir", str(prices_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert "no price file for 'NOPE'" in err and err.count("\n") == 1
    with pytest.raises(PriceFileError, match="NOPE.csv"):
        check_data("NOPE", prices_dir=prices_dir)


def test_network_down_one_line_error(tmp_path, monkeypatch, capsys):
    import yfinance

    def refuse(*args, **kwargs):
        raise ConnectionError("network is unreachable")

    monkeypatch.delenv("EVENTSTUDY_PRICES_DIR", raising=False)
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(yfinance, "download", refuse)
    code = main(["data", "check", "ZS=F"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
