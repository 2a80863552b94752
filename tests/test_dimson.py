"""Dimson lead/lag factor returns (factor_lags): betas, summed betas and AR variances against
statsmodels OLS with the lagged columns built by hand, and the study key's errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import eventstudy as es
from eventstudy.exceptions import StudyConfigError
from eventstudy.panel import lagged_factors, returns_panel
from eventstudy.regression import lead_lag_regression

LAGS = (-1, 0, 1)
WINDOWS = ((-1, 1), (0, 0), (0, 4))


@pytest.fixture(scope="module")
def data():
    """Asset with a lagged response to two factors; missing days and roll days."""
    rng = np.random.default_rng(1979)
    T = 1300
    dates = pd.bdate_range("2012-01-02", periods=T)
    f = rng.normal(0.0, 0.01, (T, 2))
    y = (2e-4 + 0.5 * f[:, 0] + 0.3 * np.roll(f[:, 0], 1) - 0.4 * f[:, 1]
         + rng.normal(0.0, 0.01, T))
    returns = pd.DataFrame({"Y": y, "F1": f[:, 0], "F2": f[:, 1]}, index=dates)
    returns.iloc[rng.choice(T, 12, replace=False), 1] = np.nan
    returns.iloc[rng.choice(T, 12, replace=False), 0] = np.nan
    roll = pd.Series(False, index=dates)
    roll.iloc[rng.choice(T, 10, replace=False)] = True
    events = pd.DataFrame({"id": ["a", "b", "c", "d"],
                           "trade_date": dates[[400, 700, 703, 1200]]})
    return returns, roll, events


def _hand_design(returns, roll=None):
    """The lagged columns by hand: the factor return of row t - ℓ (missing from ``roll`` rows,
    the factors' own rolls, when given)."""
    out = {}
    for f in ("F1", "F2"):
        src = returns[f] if roll is None else returns[f].where(~roll)
        for g in LAGS:
            out[(f, g)] = src.shift(g) if g else returns[f]
    return pd.DataFrame(out)


def test_lagged_columns_are_shifted_returns_without_roll_days(data):
    returns, roll, _ = data
    frame = lagged_factors(returns, ["F1", "F2"], LAGS, roll)
    hand = _hand_design(returns, roll)
    for f in ("F1", "F2"):
        for g, name in ((-1, f"{f}_lead1"), (0, f), (1, f"{f}_lag1")):
            pd.testing.assert_series_equal(frame[name], hand[(f, g)], check_names=False)
    assert lagged_factors(returns, ["F1"], (0,), roll) is returns
    # each factor's own roll dates: F2 has none, so its shifted returns are all kept
    own = lagged_factors(returns, ["F1", "F2"], LAGS, pd.DataFrame({"F1": roll}))
    pd.testing.assert_series_equal(own["F1_lag1"], hand[("F1", 1)], check_names=False)
    pd.testing.assert_series_equal(own["F2_lag1"], returns["F2"].shift(1), check_names=False)


def test_betas_summed_betas_and_ar_variances_match_statsmodels(data):
    returns, roll, events = data
    study = es.Study(asset="Y", factors=["F1", "F2"], factor_lags=LAGS, windows=WINDOWS,
                     group_by="all", placebo_draws=0, min_estimation_days=100)
    res = es.fit(study, returns_panel(returns, roll=roll), events)
    a = res.arrays
    nm = res.normal_model().set_index("event_id")
    # the panel's roll dates are the asset's: they never mask a factor's shifted return
    hand = _hand_design(returns)
    Xh = hand.to_numpy()
    y = returns["Y"].to_numpy()
    # the sample rule: asset and every lagged factor present, not a roll day
    usable = np.isfinite(y) & np.isfinite(Xh).all(axis=1) & ~roll.to_numpy()
    names = ["const", "F1_lead1", "F1", "F1_lag1", "F2_lead1", "F2", "F2_lag1"]
    assert a.k == 7
    for r, eid in enumerate(res.arrays_ids):
        assert a.used[r]
        rows = a.day0[r] + a.rel_est[a.est_used[r]]
        assert usable[rows].all()
        fit = sm.OLS(y[rows], sm.add_constant(Xh[rows])).fit()
        np.testing.assert_allclose(nm.loc[eid, names].to_numpy(dtype=float), fit.params,
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(nm.loc[eid, [f"{n}_se" for n in names]].to_numpy(dtype=float),
                                   fit.bse, rtol=1e-9, atol=0)
        np.testing.assert_allclose(nm.loc[eid, "r2"], fit.rsquared, rtol=1e-9, atol=0)
        cov = fit.cov_params()
        for j, f in enumerate(("F1", "F2")):
            block = slice(1 + 3 * j, 4 + 3 * j)
            np.testing.assert_allclose(nm.loc[eid, f"{f}_sum"], fit.params[block].sum(),
                                       rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(nm.loc[eid, f"{f}_sum_se"],
                                       np.sqrt(cov[block, block].sum()), rtol=1e-9, atol=0)
        # window: AR, se with the estimation error of the larger design, V, CAR variance
        wp = a.day0[r] + a.rel_win
        ok = usable[wp]
        Z = sm.add_constant(np.nan_to_num(Xh[wp]), has_constant="add")
        pred = fit.get_prediction(Z)
        ar = np.where(ok, y[wp] - pred.predicted_mean, np.nan)
        np.testing.assert_allclose(a.ar[r], ar, rtol=0, atol=1e-12, equal_nan=True)
        np.testing.assert_allclose(a.ar_se[r], np.where(ok, pred.se_obs, np.nan), rtol=1e-9,
                                   atol=0, equal_nan=True)
        V = fit.scale * (np.eye(wp.size) + Z @ fit.normalized_cov_params @ Z.T)
        okm = ok[:, None] & ok[None, :]
        np.testing.assert_allclose(np.where(okm, a.V[r], 0.0), np.where(okm, V, 0.0),
                                   rtol=1e-9, atol=1e-16)
        for k, (lo, hi) in enumerate(WINDOWS):
            g = (ok & (a.rel_win >= lo) & (a.rel_win <= hi)).astype(float)
            empty = np.nan if not g.any() else 0.0  # no usable day: no CAR
            np.testing.assert_allclose(a.car[r, k], np.nansum(ar * g) + empty, rtol=0,
                                       atol=1e-12, equal_nan=True)
            np.testing.assert_allclose(a.car_se[r, k], np.sqrt(g @ V @ g) + empty, rtol=1e-9,
                                       atol=0, equal_nan=True)
    assert res.study.factor_lags == LAGS
    # every day left out has its own reason: the asset's rolls are "contract roll" and
    # the days next to them stay in the sample when their returns are present
    est = res.estimation_days()
    pos = returns.index.get_indexer(est["date"])
    why = est["reason"].to_numpy()
    np.testing.assert_array_equal(why == "contract roll", ~est["used"] & roll.to_numpy()[pos]
                                  & np.isfinite(y[pos]) & np.isfinite(Xh[pos]).all(axis=1))
    np.testing.assert_array_equal(why == "missing return",
                                  ~(np.isfinite(y[pos]) & np.isfinite(Xh[pos]).all(axis=1)))
    assert (est["used"] == usable[pos] & (why == "")).all()
    assert set(why[~est["used"]]) <= {"contract roll", "missing return", "another event's window"}
    assert res.study.design_columns == tuple(names[1:])
    assert "Factor lags" in str(res.summary())


def test_lead_lag_regression_matches_statsmodels_hac(data):
    returns, roll, _ = data
    table = lead_lag_regression(es.Study(asset="Y", factors=["F1", "F2"]),
                                returns_panel(returns, roll=roll), LAGS, maxlags=5)
    hand = _hand_design(returns)  # the asset's rolls leave the factors alone
    y = returns["Y"]
    keep = y.notna() & hand.notna().all(axis=1) & ~roll
    fit = sm.OLS(y[keep].to_numpy(), sm.add_constant(hand[keep].to_numpy())).fit(
        cov_type="HAC", cov_kwds={"maxlags": 5})
    np.testing.assert_allclose(table.loc[table["lag"] != "sum", "coef"].to_numpy(dtype=float),
                               fit.params[1:], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(table.loc[table["lag"] != "sum", "t_hac"].to_numpy(dtype=float),
                               fit.tvalues[1:], rtol=1e-9, atol=0)
    cov = fit.cov_params()
    summed = table[table["lag"] == "sum"]
    np.testing.assert_allclose(summed["se_hac"], [np.sqrt(cov[1:4, 1:4].sum()),
                                                  np.sqrt(cov[4:7, 4:7].sum())], rtol=1e-9)
    base = sm.OLS(y[keep].to_numpy(), sm.add_constant(hand[keep][[("F1", 0), ("F2", 0)]]
                                                      .to_numpy())).fit()
    assert table.attrs["r2_base"] == pytest.approx(base.rsquared, rel=1e-12)
    assert table.attrs["r2_lagged"] == pytest.approx(fit.rsquared, rel=1e-12)
    assert table.attrs["nobs"] == int(keep.sum())


@pytest.mark.parametrize("kwargs, match", [
    ({"factor_lags": [-1, 0, 1], "model": "constant-mean", "factors": []},
     r"factor_lags = \[-1, 0, 1\]: lead and lag factor returns belong to model = \"market\"; "
     r"this study's model is 'constant-mean'"),
    ({"factor_lags": [0, 0]}, r"factor_lags = \[0, 0\]: listed twice: 0"),
    ({"factor_lags": []}, r"factor_lags = \[\]: expected a non-empty list of integers"),
    ({"factor_lags": [-10, 0]},
     r"factor_lags = \[-10, 0\]: a lead of 10 days reads, on estimation day -11, the factors' "
     r"return of day -1, at or after the first event-window day -1; use leads of at most 9 days"),
])
def test_factor_lags_errors_from_code_and_toml(tmp_path, kwargs, match):
    kwargs = {"asset": "Y", "factors": ["F1"], **kwargs}
    with pytest.raises(StudyConfigError, match="^Study: " + match):
        es.Study(**kwargs)
    path = tmp_path / "s.toml"
    lines = []
    for k, v in kwargs.items():
        lines.append(f"{k} = {v!r}".replace("'", '"'))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StudyConfigError, match="^" + str(path).replace("\\", "\\\\") + ": "
                       + match):
        es.load_study(path)


def test_factor_lags_are_sorted_and_the_default_is_the_plain_model():
    assert es.Study(asset="Y", factors=["F1"]).factor_lags == (0,)
    lagged = es.Study(asset="Y", factors=["F1", "F2"], factor_lags=[1, -1, 0])
    assert lagged.factor_lags == (-1, 0, 1)
    assert lagged.design_columns == ("F1_lead1", "F1", "F1_lag1", "F2_lead1", "F2", "F2_lag1")


def test_lead_lag_design_on_a_rolling_futures_asset_matches_statsmodels(prices_dir):
    """ZS=F rolls inside every estimation window: its rolls leave their own day out and
    no other; DX=F's rolls leave out the days whose lead or lag reads them."""
    from eventstudy.contracts import roll_mask, thin_mask
    from eventstudy.prices import load_prices

    ids = ["busan-meeting", "trump-xi-call"]
    study = es.Study(asset="ZS=F", factors=["SPY", "DX=F"], factor_lags=[-1, 0, 1],
                     event_ids=ids, events=Path(__file__).resolve().parents[1] / "data"
                     / "events.csv", windows=((0, 0), (-1, 1)), placebo_draws=0,
                     group_by="all", other_events="file", min_estimation_days=100)
    res = es.analyse(study, prices_dir=prices_dir)
    returns = res.data.returns
    idx = returns.index
    prices = load_prices(["ZS=F", "SPY", "DX=F"], prices_dir=prices_dir)
    rows = prices["ZS=F"].index[(prices["ZS=F"].index >= idx[0]) & (prices["ZS=F"].index
                                                                     <= idx[-1])]
    own_roll = {t: roll_mask(t, rows).reindex(idx, fill_value=False).to_numpy(dtype=bool)
                for t in ("ZS=F", "DX=F")}
    thin = thin_mask("ZS=F", prices["ZS=F"]).reindex(idx, fill_value=False).to_numpy(bool)
    cols, names = [], ["const"]
    for f in ("SPY", "DX=F"):
        src = returns[f].to_numpy(dtype=float)
        if f == "DX=F":
            src = np.where(own_roll[f], np.nan, src)
        for g in (-1, 0, 1):
            cols.append(pd.Series(src if g else returns[f].to_numpy(float)).shift(g).to_numpy())
            names.append(f if g == 0 else f"{f}_{'lead' if g < 0 else 'lag'}{abs(g)}")
    Xh = np.column_stack(cols)
    y = returns["ZS=F"].to_numpy(dtype=float)
    roll_day = own_roll["ZS=F"] | own_roll["DX=F"]
    usable = np.isfinite(y) & np.isfinite(Xh).all(axis=1) & ~roll_day & ~thin
    nm = res.normal_model().set_index("event_id")
    est = res.estimation_days()
    a = res.arrays
    for r, eid in enumerate(res.arrays_ids):
        day_rows = a.day0[r] + a.rel_est
        taken = day_rows[a.est_used[r]]
        # the sample: usable days of the window outside every catalogued event's window
        other = (est.loc[est["event_id"] == eid, "reason"] == "another event's window")
        np.testing.assert_array_equal(a.est_used[r], usable[day_rows] & ~other.to_numpy())
        assert roll_day[day_rows].any() and own_roll["ZS=F"][day_rows].any()
        fit = sm.OLS(y[taken], sm.add_constant(Xh[taken])).fit()
        np.testing.assert_allclose(nm.loc[eid, names].to_numpy(dtype=float), fit.params,
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(nm.loc[eid, [f"{n}_se" for n in names]].to_numpy(float),
                                   fit.bse, rtol=1e-9, atol=0)
        why = est.loc[est["event_id"] == eid, "reason"].to_numpy()
        # a roll of the asset is "contract roll", never "missing return"
        asset_roll = own_roll["ZS=F"][day_rows] & np.isfinite(y[day_rows])
        assert set(why[asset_roll]) <= {"contract roll", "another event's window"}
