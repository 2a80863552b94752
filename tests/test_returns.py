"""Returns on the asset's trade dates: hand computations, alignment, bad prices, masks."""

from __future__ import annotations

import csv
import types
import warnings

import numpy as np
import pandas as pd
import pytest

from eventstudy import panel
from eventstudy.exceptions import (
    DataError,
    DataQualityWarning,
    InvalidTickerError,
    OptionError,
    StudyConfigError,
)
from eventstudy.panel import (
    ReturnData,
    check_panel,
    compute_returns,
    prepare_returns,
    returns_panel,
)
from eventstudy.prices import load_prices

RTOL = 1e-12  # both sides compute the same float64 ratio; only rounding of log/exp differs


def frame(dates, close, volume=None):
    out = pd.DataFrame({"Close": np.asarray(close, dtype=float)},
                       index=pd.DatetimeIndex(dates, name="date"))
    if volume is not None:
        out["Volume"] = np.asarray(volume, dtype=float)
    return out


ASSET_DATES = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05",
                                "2024-01-08", "2024-01-09"])
ASSET = np.array([100.0, 101.5, 99.25, 102.0, 103.75, 103.0])
FACTOR = np.array([50.0, 50.5, 50.25, 49.0, 49.5, 50.75])


def test_log_and_simple_returns_match_hand_computation():
    prices = {"ZS=F": frame(ASSET_DATES, ASSET), "SPY": frame(ASSET_DATES, FACTOR)}
    log = compute_returns(prices, "ZS=F", ["SPY"])
    simple = compute_returns(prices, "ZS=F", ["SPY"], kind="simple")
    assert list(log.columns) == ["ZS=F", "SPY"]
    assert log.index.equals(ASSET_DATES.rename("date"))
    for got_log, got_simple, p in ((log["ZS=F"], simple["ZS=F"], ASSET),
                                   (log["SPY"], simple["SPY"], FACTOR)):
        assert np.isnan(got_log.iloc[0]) and np.isnan(got_simple.iloc[0])
        np.testing.assert_allclose(got_log.to_numpy()[1:], np.log(p[1:]) - np.log(p[:-1]),
                                   rtol=RTOL, atol=0)
        np.testing.assert_allclose(got_simple.to_numpy()[1:], p[1:] / p[:-1] - 1.0,
                                   rtol=RTOL, atol=0)
    assert log.attrs["kind"] == "log" and log.attrs["price_exclusions"] == []


def test_factor_returns_span_the_asset_holding_period():
    # SPY has no close on 2024-01-04 (an asset trade date) and has one on
    # Saturday 2024-01-06, when the asset did not trade.
    spy_dates = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-05", "2024-01-06",
                                  "2024-01-08", "2024-01-09"])
    spy = np.array([50.0, 50.5, 49.0, 48.0, 49.5, 50.75])
    prices = {"ZS=F": frame(ASSET_DATES, ASSET), "SPY": frame(spy_dates, spy)}
    with pytest.warns(DataQualityWarning,
                      match=r"SPY: 1 price set to missing \(no price on the asset's trade date\) "
                            r"on 2024-01-04;"):
        r = compute_returns(prices, "ZS=F", "SPY")
    by_date = dict(zip(spy_dates, spy, strict=True))
    expected = [
        np.nan,
        np.log(by_date[pd.Timestamp("2024-01-03")] / by_date[pd.Timestamp("2024-01-02")]),
        np.nan,  # no SPY close on 01-04 (no forward fill)
        np.nan,  # the return into 01-05 would start from the missing 01-04 close
        # 01-05 -> 01-08 over the asset's holding period; the Saturday close is skipped
        np.log(by_date[pd.Timestamp("2024-01-08")] / by_date[pd.Timestamp("2024-01-05")]),
        np.log(by_date[pd.Timestamp("2024-01-09")] / by_date[pd.Timestamp("2024-01-08")]),
    ]
    np.testing.assert_allclose(r["SPY"].to_numpy(), expected, rtol=RTOL, atol=0)
    # The asset's returns do not depend on the factor's gaps.
    np.testing.assert_allclose(r["ZS=F"].to_numpy()[1:], np.diff(np.log(ASSET)), rtol=RTOL, atol=0)
    assert r.attrs["price_exclusions"] == [
        {"date": "2024-01-04", "ticker": "SPY", "reason": "no price on the asset's trade date",
         "detail": ""}
    ]


def test_table_of_closes_uses_the_asset_rows():
    spy_dates = ASSET_DATES.append(pd.DatetimeIndex(["2024-01-06"])).sort_values()
    wide = pd.DataFrame({"ZS=F": pd.Series(ASSET, index=ASSET_DATES),
                         "SPY": pd.Series(np.r_[FACTOR[:4], 48.0, FACTOR[4:]], index=spy_dates)})
    from_table = compute_returns(wide, "ZS=F", ["SPY"])
    from_dict = compute_returns({"ZS=F": frame(ASSET_DATES, ASSET),
                                 "SPY": frame(ASSET_DATES, FACTOR)}, "ZS=F", ["SPY"])
    pd.testing.assert_frame_equal(from_table, from_dict, rtol=RTOL, atol=0)


def test_zero_and_missing_asset_prices_make_returns_missing():
    close = ASSET.copy()
    close[2] = 0.0
    close[4] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(DataQualityWarning,
                          match=r"ZS=F: 2 prices set to missing \(missing price, non-positive "
                                r"price\) on 2024-01-04 \(0\), 2024-01-08; the log returns"):
            r = compute_returns({"ZS=F": frame(ASSET_DATES, close)}, "ZS=F")
    expected = [np.nan, np.log(close[1] / close[0]), np.nan, np.nan, np.nan, np.nan]
    np.testing.assert_allclose(r["ZS=F"].to_numpy(), expected, rtol=RTOL, atol=0)


def test_negative_wti_settlement_on_the_real_file(prices_dir):
    prices = load_prices(["CL=F", "SPY"], "2020-04-01", "2020-04-30", prices_dir=prices_dir)
    with pytest.warns(DataQualityWarning,
                      match=r"CL=F: 1 price set to missing \(non-positive price\) on "
                            r"2020-04-20 \(-37\.63\)"):
        r = compute_returns(prices, "CL=F", ["SPY"])
    with open(prices_dir / "CL=F.csv", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if "2020-04-01" <= row["Date"] <= "2020-04-30"]
    dates = pd.DatetimeIndex([row["Date"] for row in rows])
    p = np.array([float(row["Close"]) for row in rows])
    assert p[dates.get_loc("2020-04-20")] < 0
    with np.errstate(invalid="ignore"):
        hand = np.r_[np.nan, np.log(p[1:] / p[:-1])]
    bad = dates.get_indexer(pd.DatetimeIndex(["2020-04-20", "2020-04-21"]))
    hand[bad] = np.nan
    assert r.index.equals(dates.rename("date"))
    np.testing.assert_allclose(r["CL=F"].to_numpy(), hand, rtol=RTOL, atol=0)
    assert r["SPY"].loc["2020-04-20":"2020-04-21"].notna().all()


def test_argument_errors():
    prices = {"ZS=F": frame(ASSET_DATES, ASSET), "SPY": frame(ASSET_DATES, FACTOR)}
    with pytest.raises(OptionError, match=r"kind must be one of 'log', 'simple'; got 'pct'"):
        compute_returns(prices, "ZS=F", kind="pct")
    with pytest.raises(InvalidTickerError, match=r"no prices for 'DX=F'; the prices given are "
                                                 r"for: ZS=F, SPY"):
        compute_returns(prices, "ZS=F", ["DX=F"])
    with pytest.raises(DataError, match=r"'SPY' appears twice"):
        compute_returns(prices, "ZS=F", ["SPY", "SPY"])
    with pytest.raises(DataError, match=r"prices of 'SPY' have no 'Close' column"):
        compute_returns({**prices, "SPY": prices["SPY"].rename(columns={"Close": "Last"})},
                        "ZS=F", ["SPY"])


# ----------------------------------------------------------------------------- prepare_returns


def fake_contracts(rolls, thin_dates):
    """A stand-in for eventstudy.contracts with fixed roll and thin dates."""
    module = types.ModuleType("eventstudy.contracts")
    module.is_continuous_future = lambda t: t.endswith("=F")

    def roll_mask(ticker, index):
        return pd.Series(index.isin(pd.DatetimeIndex(rolls.get(ticker, []))), index=index)

    def thin_mask(ticker, prices):
        return pd.Series(prices.index.isin(pd.DatetimeIndex(thin_dates.get(ticker, []))),
                         index=prices.index)

    module.roll_mask, module.thin_mask = roll_mask, thin_mask
    return module


def test_prepare_returns_unions_roll_masks(monkeypatch):
    fake = fake_contracts(
        rolls={"ZS=F": ["2024-01-03"], "DX=F": ["2024-01-08"], "SPY": ["2024-01-05"]},
        thin_dates={"ZS=F": ["2024-01-09"], "DX=F": ["2024-01-04"]},
    )
    for name in ("is_continuous_future", "roll_mask", "thin_mask"):
        monkeypatch.setattr(panel, name, getattr(fake, name))
    prices = {"ZS=F": frame(ASSET_DATES, ASSET, volume=np.full(6, 1e3)),
              "SPY": frame(ASSET_DATES, FACTOR), "DX=F": frame(ASSET_DATES, FACTOR + 50)}
    data = prepare_returns(prices, "ZS=F", ["SPY", "DX=F"])
    assert isinstance(data, ReturnData)
    # SPY is not a continuous future: its (fake) roll date is ignored.
    assert list(data.roll[data.roll].index.strftime("%Y-%m-%d")) == ["2024-01-03", "2024-01-08"]
    assert list(data.thin[data.thin].index.strftime("%Y-%m-%d")) == ["2024-01-09"]
    pd.testing.assert_frame_equal(data.returns, compute_returns(prices, "ZS=F", ["SPY", "DX=F"]))
    assert list(data.valid.to_numpy()) == [False, False, True, True, False, True]
    assert data.exclusions[["ticker", "reason"]].values.tolist() == [
        ["ZS=F", "contract roll"], ["DX=F", "contract roll"], ["ZS=F", "thin trading"]]
    off = prepare_returns(prices, "ZS=F", ["SPY", "DX=F"], mask_rolls=False, thin=False)
    assert not off.roll.any() and not off.thin.any() and off.exclusions.empty


def test_prepare_returns_on_the_real_files(prices_dir):
    import eventstudy.contracts as contracts

    prices = load_prices(["ZS=F", "SPY", "DX=F"], "2018-01-01", "2019-12-31",
                         prices_dir=prices_dir)
    data = prepare_returns(prices, "ZS=F", ["SPY", "DX=F"])
    index = prices["ZS=F"].index
    expected_roll = (contracts.roll_mask("ZS=F", index).to_numpy()
                     | contracts.roll_mask("DX=F", index).to_numpy())
    np.testing.assert_array_equal(data.roll.to_numpy(), expected_roll)
    assert data.roll.sum() > contracts.roll_mask("ZS=F", index).sum()  # DX=F adds dates
    np.testing.assert_array_equal(data.thin.to_numpy(),
                                  contracts.thin_mask("ZS=F", prices["ZS=F"]).to_numpy())
    assert data.provenance["SPY"]["source"] == "snapshot"
    n_roll = int((data.exclusions["reason"] == "contract roll").sum())
    assert n_roll == contracts.roll_mask("ZS=F", index).sum() + contracts.roll_mask(
        "DX=F", index).sum()


def test_prepare_returns_keeps_exclusions_out_of_attrs():
    # Price exclusions are rows of ReturnData.exclusions; the returns frame's
    # attrs stay small because pandas deep-copies them on every operation.
    spy_dates = ASSET_DATES.delete(2)
    prices = {"ZS=F": frame(ASSET_DATES, ASSET), "SPY": frame(spy_dates, np.delete(FACTOR, 2))}
    with pytest.warns(DataQualityWarning, match="SPY: 1 price set to missing"):
        data = prepare_returns(prices, "ZS=F", ["SPY"], mask_rolls=False, thin=False)
    assert data.returns.attrs == {"kind": "log"}
    rows = data.exclusions[data.exclusions["reason"] == "no price on the asset's trade date"]
    assert rows[["ticker"]].to_dict("list") == {"ticker": ["SPY"]}
    assert rows["date"].tolist() == [ASSET_DATES[2]]


def test_a_panel_of_your_own_returns_puts_the_masks_on_its_dates():
    idx = pd.bdate_range("2020-01-06", periods=5)
    frame = pd.DataFrame({"A": [np.nan, 0.01, -0.02, 0.0, 0.03],
                          "F": [np.nan, 0.0, 0.01, np.nan, 0.02]}, index=idx)
    roll = pd.Series([True, True], index=[idx[2], pd.Timestamp("2020-01-01")])
    panel = returns_panel(frame, roll=roll)
    assert panel.roll.tolist() == [False, False, True, False, False]
    assert not panel.thin.any() and panel.kind == "log" and panel.exclusions.empty
    # a usable day: every return present and not a roll
    assert panel.valid.tolist() == [False, True, False, False, True]
    assert check_panel(frame, ["A", "F"]).roll.tolist() == [False] * 5
    with pytest.raises(StudyConfigError, match=r"returns has no column 'G'; its columns are "
                                               r"\['A', 'F'\]"):
        check_panel(panel, ["A", "G"])
    with pytest.raises(StudyConfigError, match=r"roll must be a boolean Series indexed by date; "
                                               r"got list"):
        returns_panel(frame, roll=[True])
    with pytest.raises(StudyConfigError, match=r"returns must be indexed by trade dates"):
        check_panel(frame.reset_index(drop=True), ["A"])
