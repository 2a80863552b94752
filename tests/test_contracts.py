"""Contract-switch rules and thin trading, checked on the real snapshot files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.contracts import (
    PRODUCTS,
    THIN_FRACTION,
    THIN_LOOKBACK,
    contract_schedule,
    is_continuous_future,
    roll_days,
    roll_mask,
    thin_mask,
    thin_periods,
)
from eventstudy.exceptions import UnsupportedFutureError
from eventstudy.prices import load_prices


@pytest.fixture(scope="module")
def prices(prices_dir):
    tickers = ["ZS=F", "ZC=F", "ES=F", "SPY", "DX=F", "UUP", "CL=F"]
    return load_prices(tickers, prices_dir=prices_dir)


def _log_ret(close: pd.Series) -> pd.Series:
    c = close.to_numpy(dtype=float)
    out = np.full(c.size, np.nan)
    ok = (c[1:] > 0) & (c[:-1] > 0)
    out[1:][ok] = np.log(c[1:][ok] / c[:-1][ok])
    return pd.Series(out, index=close.index)


def test_is_continuous_future():
    assert is_continuous_future("ZS=F") and is_continuous_future("ng=f")
    assert not is_continuous_future("SPY")


def test_unknown_future_lists_supported():
    idx = pd.bdate_range("2024-01-01", "2024-03-01")
    with pytest.raises(
        UnsupportedFutureError, match=r"'NG=F'; supported: CL=F, DX=F, ES=F, ZC=F, ZS=F, ZW=F"
    ):
        roll_mask("NG=F", idx)


@pytest.mark.parametrize(
    ("ticker", "contract", "last_trade"),
    [
        ("ZS=F", "ZSN22", "2022-07-14"),  # 15th is a Friday -> Thursday 14th
        ("ZS=F", "ZSQ22", "2022-08-12"),  # 15th is a Monday -> Friday 12th
        ("ZS=F", "ZSX25", "2025-11-14"),  # 15th is a Saturday -> Friday 14th
        ("ES=F", "ESZ24", "2024-12-20"),  # third Friday
        ("DX=F", "DXH25", "2025-03-17"),  # third Wednesday 19th, two business days back
        ("CL=F", "CLK20", "2020-04-21"),  # 25th a Saturday: fourth business day before
        ("CL=F", "CLZ23", "2023-11-20"),  # Thanksgiving is not a business day
        ("CL=F", "CLN20", "2020-06-22"),  # 25th a Thursday: third business day before
        ("CL=F", "CLF25", "2024-12-19"),  # 25th is Christmas: fourth business day before
        ("ZC=F", "ZCH25", "2025-03-14"),  # 15th is a Saturday -> Friday 14th
        ("ZW=F", "ZWZ24", "2024-12-13"),  # 15th is a Sunday -> Friday 13th
        ("ES=F", "ESH25", "2025-03-21"),  # third Friday
        ("DX=F", "DXZ24", "2024-12-16"),  # third Wednesday 18th, two business days back
    ],
)
def test_last_trade_dates_match_exchange_rule(ticker, contract, last_trade):
    sched = contract_schedule(ticker, "2019-06-01", "2026-01-01").set_index("contract")
    assert sched.loc[contract, "last_trade_date"] == pd.Timestamp(last_trade)


def test_expiry_on_a_holiday_moves_to_the_business_day_before():
    # the third Friday of June 2026 is Juneteenth, an exchange holiday
    sched = contract_schedule("ES=F", "2026-01-01", "2026-12-31").set_index("contract")
    assert sched.loc["ESM26", "last_trade_date"] == pd.Timestamp("2026-06-18")


def test_grain_first_notice_day():
    sched = contract_schedule("ZS=F", "2025-01-01", "2025-12-31").set_index("contract")
    assert sched.loc["ZSX25", "first_notice_day"] == pd.Timestamp("2025-10-31")
    assert sched.loc["ZSN25", "first_notice_day"] == pd.Timestamp("2025-06-30")
    assert sched.loc["ZSX25", "next_contract"] == "ZSF26"
    # the last business day of the month before: 2024-11-29 (day after Thanksgiving)
    wheat = contract_schedule("ZW=F", "2024-06-01", "2024-12-31").set_index("contract")
    assert wheat.loc["ZWZ24", "first_notice_day"] == pd.Timestamp("2024-11-29")
    assert contract_schedule("ES=F", "2025-01-01", "2025-12-31")["first_notice_day"].isna().all()


def test_soybean_switches_of_2022_are_masked(prices):
    zs = prices["ZS=F"]
    mask = roll_mask("ZS=F", zs.index)
    for day in ("2022-07-14", "2022-07-15", "2022-08-12", "2022-08-15"):
        assert mask.loc[day]
    assert not mask.loc["2022-07-13"] and not mask.loc["2022-07-18"]
    rolls = roll_days("ZS=F", zs.index, zs["Volume"], close=zs["Close"]).set_index("date")
    # volume moves to the next contract on the last trade date, the price the day after
    v = zs["Volume"]
    assert rolls.loc["2022-07-14", "volume_evidence"] == pytest.approx(
        v["2022-07-14"] / v["2022-07-13"], rel=1e-12
    )
    assert rolls.loc["2022-07-14", "volume_evidence"] > 100
    gap = np.log(zs["Close"]["2022-08-15"] / zs["Close"]["2022-08-12"])
    assert rolls.loc["2022-08-15", "price_gap"] == pytest.approx(gap, rel=1e-12)
    assert rolls.loc["2022-08-15", "contract_from"] == "ZSQ22"
    assert rolls.loc["2022-08-15", "contract_to"] == "ZSU22"


@pytest.mark.parametrize("ticker", ["ZS=F", "ZC=F", "ES=F", "CL=F"])
def test_volume_migrates_on_the_last_trade_date(prices, ticker):
    frame = prices[ticker]
    rolls = roll_days(ticker, frame.index, frame["Volume"], close=frame["Close"])
    ltd = rolls[rolls["rule"] == "last trade date"]
    ratio = (frame["Volume"] / frame["Volume"].shift(1)).replace(np.inf, np.nan)
    # on the last trade date the volume ratio is far above an ordinary day's
    assert ltd["volume_evidence"].median() > 2.5 * ratio.median()
    share = (ltd["volume_evidence"] > 1.2).mean()
    assert share > 0.8


def _gap_argmax_share(asset, proxy, ticker):
    """Share of expiries whose largest |asset - proxy| return gap near expiry is masked."""
    common = asset.index.intersection(proxy.index)
    gap = (_log_ret(asset["Close"]) - _log_ret(proxy["Close"]).reindex(asset.index)).reindex(common)
    mask = roll_mask(ticker, asset.index).reindex(common)
    sched = contract_schedule(ticker, common[60], common[-5])
    hits = []
    for ltd in sched["last_trade_date"]:
        pos = common.searchsorted(ltd)
        window = gap.iloc[pos - 8 : pos + 5].abs()
        if window.notna().sum() < 10:
            continue
        hits.append(bool(mask.loc[window.idxmax()]))
    return np.mean(hits), len(hits), gap, mask


def test_es_gaps_against_spy_are_the_masked_days(prices):
    share, n, gap, mask = _gap_argmax_share(prices["ES=F"], prices["SPY"], "ES=F")
    assert n >= 95
    assert share >= 0.85
    # masked returns carry gaps many times the ordinary ES-SPY tracking noise
    assert gap[mask].abs().median() > 4 * gap[~mask].abs().median()


def test_dx_gaps_against_uup_sit_on_the_masked_days(prices):
    share, n, gap, mask = _gap_argmax_share(prices["DX=F"], prices["UUP"], "DX=F")
    assert n >= 70
    assert share >= 0.6
    assert gap[mask].abs().median() > 2 * gap[~mask].abs().median()


def test_etfs_never_roll(prices):
    spy = prices["SPY"]
    assert not roll_mask("SPY", spy.index).any()
    assert roll_days("SPY", spy.index).empty


def test_delivery_period_is_thin(prices):
    zs = prices["ZS=F"]
    periods = thin_periods("ZS=F", zs)
    cover = [
        (a, b)
        for a, b in periods
        if a <= pd.Timestamp("2025-11-03") and b >= pd.Timestamp("2025-11-13")
    ]
    assert cover == [(pd.Timestamp("2025-10-31"), pd.Timestamp("2025-11-14"))]
    thin = thin_mask("ZS=F", zs)
    assert thin.loc["2025-11-03":"2025-11-13"].all()
    assert not thin.loc["2025-11-17":"2025-11-26"].any()


def test_volume_rule_matches_independent_computation(prices):
    spy = prices["UUP"]
    vol = spy["Volume"].to_numpy(dtype=float)
    expected = np.zeros(vol.size, dtype=bool)
    for t in range(vol.size):
        window = vol[max(0, t - THIN_LOOKBACK) : t]
        window = window[np.isfinite(window)]
        if window.size >= 20:
            med = np.median(window)
            expected[t] = med > 0 and vol[t] < THIN_FRACTION * med
    got = thin_mask("UUP", spy).to_numpy()
    np.testing.assert_array_equal(got, expected)
    assert 0 < expected.sum() < 20


def test_thin_periods_are_runs_of_the_mask(prices):
    cl = prices["CL=F"]
    mask = thin_mask("CL=F", cl)
    periods = thin_periods("CL=F", cl)
    rebuilt = pd.Series(False, index=cl.index)
    for a, b in periods:
        rebuilt.loc[a:b] = True
    pd.testing.assert_series_equal(rebuilt, mask, check_names=False)


def test_every_product_has_a_rule():
    for ticker, prod in PRODUCTS.items():
        assert prod.rule and set(prod.months) <= set("FGHJKMNQUVXZ")
        assert not contract_schedule(ticker, "2024-01-01", "2024-12-31").empty


@pytest.mark.parametrize("ticker", ["ZS=F", "ES=F", "DX=F", "CL=F"])
def test_roll_mask_marks_the_dates_of_roll_days(prices, ticker):
    idx = prices[ticker].index
    mask = roll_mask(ticker, idx)
    expected = idx.isin(roll_days(ticker, idx)["date"])
    np.testing.assert_array_equal(mask.to_numpy(), expected)
    # a calendar that starts mid-history: the switch before the first row is not masked
    late = idx[idx >= "2012-03-14"]
    np.testing.assert_array_equal(roll_mask(ticker, late).to_numpy(),
                                  late.isin(roll_days(ticker, late)["date"]))
