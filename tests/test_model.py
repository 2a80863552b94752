"""fit and EventStudyResults on real returns: labels, exclusions, aggregates, display, and the
dummy-variable regression, each against statsmodels or a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.analysis import fit
from eventstudy.config import Study
from eventstudy.exceptions import OptionError, StudyConfigError
from eventstudy.panel import returns_panel
from eventstudy.regression import dummy_regression, newey_west_lags
from eventstudy.results import TESTS_COLUMNS

FACTORS = ["SPY", "UUP"]
WINDOWS = ((-1, 1), (0, 0), (0, 1), (0, 5))


def study_of(**options) -> Study:
    """A study of ZS=F on SPY and UUP over four windows, one group, no placebo."""
    return Study(**{"asset": "ZS=F", "factors": FACTORS, "windows": WINDOWS, "group_by": "all",
                    "placebo_draws": 0, **options})


@pytest.fixture(scope="module")
def returns(prices_dir):
    close = {
        t: pd.read_csv(prices_dir / f"{t}.csv", index_col="Date", parse_dates=True)["Close"]
        for t in ("ZS=F", *FACTORS)
    }
    dates = close["ZS=F"].index
    frame = pd.DataFrame({t: np.log(c.reindex(dates)).diff() for t, c in close.items()})
    return frame.loc["2016-01-01":]


@pytest.fixture(scope="module")
def events():
    return pd.DataFrame(
        {
            "id": [
                "tariffs-2018",
                "hike-2019",
                "phase1-2019",
                "busan-2025",
                "call-2025",
                "future",
                "pending",
            ],
            "title": [
                "US tariffs take effect",
                "Tariff hike",
                "Phase one deal",
                "Busan meeting",
                "Phone call",
                "After the data",
                "Not yet dated",
            ],
            # trade dates as align_events gives them (day 0 never moves to another row)
            "trade_date": pd.to_datetime(
                [
                    "2018-07-06",
                    "2019-05-10",
                    "2019-12-16",
                    "2025-10-30",
                    "2025-11-24",
                    "2026-03-02",
                    None,
                ]
            ),
            "category": ["tariff", "tariff", "deal", "deal", "deal", "deal", "deal"],
            "direction": pd.array([1, 1, -1, -1, 0, 0, 0], dtype="Int64"),
        }
    )


@pytest.fixture(scope="module")
def panel(returns):
    roll = pd.Series(False, index=returns.index)
    roll.loc["2018-07-09"] = True  # day 1 of the first event
    thin = pd.Series(False, index=returns.index)
    thin.loc["2018-03-01":"2018-03-20"] = True
    return returns_panel(returns, roll=roll, thin=thin)


@pytest.fixture(scope="module")
def fitted(panel, events):
    return fit(study_of(group_by="direction"), panel, events)


@pytest.mark.snapshot
def test_tables_carry_labels_and_match_statsmodels(fitted, returns):
    res = fitted
    ar = res.ar
    first = ar[ar["event_id"] == "tariffs-2018"].set_index("day")
    assert first.loc[0, "date"] == pd.Timestamp("2018-07-06")
    assert first.loc[1, "roll"] and np.isnan(first.loc[1, "ar"])
    sat = ar[(ar["event_id"] == "phase1-2019") & (ar["day"] == 0)]
    assert sat["date"].iloc[0] == pd.Timestamp("2019-12-16")

    # one event by hand: statsmodels on its estimation days
    a = res.arrays
    e = 0
    pos = a.day0[e] + a.rel_est[a.est_used[e]]
    dates = returns.index[pos]
    assert (
        not (dates >= pd.Timestamp("2018-03-01")).__and__(dates <= pd.Timestamp("2018-03-20")).any()
    )
    y = returns["ZS=F"].to_numpy()[pos]
    Xf = returns[FACTORS].to_numpy()[pos]
    fit = sm.OLS(y, sm.add_constant(Xf)).fit()
    params = res.normal_model().set_index("event_id").loc["tariffs-2018"]
    np.testing.assert_allclose(
        params[["const", "SPY", "UUP"]].to_numpy(dtype=float), fit.params, rtol=1e-9, atol=0
    )
    np.testing.assert_allclose(
        params[["const_se", "SPY_se", "UUP_se"]].to_numpy(dtype=float), fit.bse, rtol=1e-9,
        atol=0)
    np.testing.assert_allclose(params["resid_sd"] ** 2, fit.scale, rtol=1e-10, atol=0)
    np.testing.assert_allclose(params["r2"], fit.rsquared, rtol=1e-9, atol=0)
    assert params["n_estimation"] == fit.nobs and params["df"] == fit.df_resid
    wpos = a.day0[e] + np.arange(-1, 2)
    Z = sm.add_constant(returns[FACTORS].to_numpy()[wpos], has_constant="add")
    pred = fit.get_prediction(Z)
    got = first.loc[[-1, 0], ["ar", "ar_se"]].to_numpy()
    want_ar = returns["ZS=F"].to_numpy()[wpos] - pred.predicted_mean
    np.testing.assert_allclose(got[:, 0], want_ar[:2], rtol=1e-10, atol=0)
    np.testing.assert_allclose(got[:, 1], pred.se_obs[:2], rtol=1e-10, atol=0)
    car = res.car.set_index(["event_id", "start", "end"]).loc[("tariffs-2018", -1, 1)]
    g = np.array([1.0, 1.0, 0.0])  # day 1 is a roll day
    V = fit.scale * (np.eye(3) + Z @ fit.normalized_cov_params @ Z.T)
    np.testing.assert_allclose(car["car"], want_ar[:2].sum(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(car["car_se"], math.sqrt(g @ V @ g), rtol=1e-10, atol=0)
    assert car["n_days"] == 2 and car["df"] == fit.df_resid


@pytest.mark.snapshot
def test_events_table_reports_every_exclusion(fitted, panel, events, caplog):
    res = fitted
    ev = res.events.set_index("event_id")
    assert ev.loc["pending", "reason"] == "pending"
    assert ev.loc["future", "reason"].startswith("trade date 2026-03-02 is after the last return")
    assert (ev.loc[["pending", "future"], "status"] == "excluded").all()
    used = ev[ev["status"] == "used"]
    assert list(used.index) == [
        "tariffs-2018",
        "hike-2019",
        "phase1-2019",
        "busan-2025",
        "call-2025",
    ]
    assert (used["reason"] == "").all() and (used["n_estimation"] >= 100).all()
    with caplog.at_level("INFO", logger="eventstudy.analysis"):
        fit(study_of(group_by="direction"), panel, events)
    assert "event pending excluded: pending" in caplog.text
    strict = fit(study_of(min_estimation_days=240), panel, events)
    why = strict.events.set_index("event_id").loc["busan-2025", "reason"]
    assert "estimation days (min_estimation_days=240)" in why


@pytest.mark.snapshot
def test_thin_and_other_event_exclusion_switches(fitted, panel, events):
    n_on = fitted.normal_model().set_index("event_id")["n_estimation"]
    off = fit(study_of(exclude_thin_trading=False, exclude_other_events=False), panel, events)
    n_off = off.normal_model().set_index("event_id")["n_estimation"]
    # 2018-03-01..20 has 14 trade days in the first event's sample
    assert n_off["tariffs-2018"] - n_on["tariffs-2018"] == 14
    # the Busan window [-1, 5] covers 2025-10-29..11-06, inside the call's estimation sample
    assert n_off["call-2025"] - n_on["call-2025"] == 7


@pytest.mark.snapshot
def test_aggregates_by_group(fitted, panel, events):
    res = fitted
    car = res.car
    caar = res.caar.set_index(["group", "start", "end"])
    by_category = fit(study_of(group_by="category"), panel, events)
    by_category = by_category.caar.set_index(["group", "start", "end"])
    for a, b in [(-1, 1), (0, 5)]:
        sub = car[(car["start"] == a) & (car["end"] == b)].set_index("event_id")
        allrow = caar.loc[("all", a, b)]
        np.testing.assert_allclose(allrow["caar"], sub["car"].mean(), rtol=1e-12, atol=0)
        np.testing.assert_allclose(
            allrow["caar_se"], math.sqrt((sub["car_se"] ** 2).sum()) / len(sub), rtol=1e-12, atol=0
        )
        deal = sub.loc[["phase1-2019", "busan-2025", "call-2025"], "car"].mean()
        np.testing.assert_allclose(
            by_category.loc[("category=deal", a, b), "caar"], deal, rtol=1e-12, atol=0
        )
        signed = (
            sub.loc[["tariffs-2018", "hike-2019"], "car"].sum()
            - sub.loc[["phase1-2019", "busan-2025"], "car"].sum()
        ) / 4
        np.testing.assert_allclose(caar.loc[("signed", a, b), "caar"], signed, rtol=1e-12, atol=0)
        assert caar.loc[("signed", a, b), "n_events"] == 4
        t = allrow["caar"] / allrow["caar_se"]
        np.testing.assert_allclose(allrow["p"], 2 * stats.norm.sf(abs(t)), rtol=1e-12, atol=0)
    aar = res.aar.set_index(["group", "day"])
    day0 = res.ar[res.ar["day"] == 0]
    np.testing.assert_allclose(aar.loc[("all", 0), "aar"], day0["ar"].mean(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(
        aar.loc[("all", 0), "aar_se"],
        math.sqrt((day0["ar_se"] ** 2).sum()) / len(day0),
        rtol=1e-12,
        atol=0,
    )
    # day 1 of the first event is a roll day: that AAR averages the 4 others
    assert aar.loc[("all", 1), "n_events"] == 4


@pytest.mark.snapshot
def test_conf_int_and_display(fitted, panel, events):
    res = fitted
    ci = res.conf_int(alpha=0.10)
    car = res.car
    q = stats.t.ppf(0.95, car["df"].to_numpy(dtype=float))
    np.testing.assert_allclose(ci["upper"].to_numpy(), car["car"] + q * car["car_se"],
                               rtol=1e-12, atol=0)
    np.testing.assert_allclose(ci["lower"].to_numpy(), car["car"] - q * car["car_se"],
                               rtol=1e-12, atol=0)
    # the tidy table carries the 95% interval of the same formula
    q95 = stats.t.ppf(0.975, car["df"].to_numpy(dtype=float))
    np.testing.assert_allclose(car["ci_upper"], car["car"] + q95 * car["car_se"], rtol=1e-12,
                               atol=0)
    with pytest.raises(OptionError,
                       match=r"alpha must be between 0 and 1 \(e\.g\. 0\.05\); got 1\.5"):
        res.conf_int(alpha=1.5)
    # statsmodels vocabulary: one value per (event, window), read from the tidy table
    key = tuple(car.loc[0, ["event_id", "start", "end"]])
    assert res.cars[key] == car.loc[0, "car"] and res.bse[key] == car.loc[0, "car_se"]
    assert res.tvalues[key] == car.loc[0, "t"] and res.pvalues[key] == car.loc[0, "p"]
    np.testing.assert_allclose(res.tvalues.to_numpy(), (res.cars / res.bse).to_numpy(),
                               rtol=1e-12, atol=0)
    text = str(res)
    assert text == str(res.summary())
    assert "Model                 : market" in text and "tariffs-2018" in text
    assert "pending excluded: pending" in text and "signed" in text
    html = res._repr_html_()
    assert html.startswith("<div") and "<table" in html and "busan-2025" in html
    assert list(res.tests.columns) == TESTS_COLUMNS
    from eventstudy.inference import test_battery

    battery = test_battery(res.arrays, res.groups)
    pd.testing.assert_frame_equal(res.tests.drop(columns="note"), battery.reset_index(drop=True))
    assert {"all", "signed", "escalation", "de-escalation"} <= set(res.tests["group"])
    assert "Tests" in text
    none = fit(study_of(), panel, events.iloc[5:])
    assert list(none.tests.columns) == TESTS_COLUMNS and none.tests.empty
    assert none.tidy().empty and none.n_used == 0
    assert res.tidy().shape[0] == 5 * 4
    with pytest.raises(AttributeError, match="EventStudyResults is immutable"):
        res.study = None
    table = res.car
    table.loc[0, "car"] = 99.0
    assert res.car.loc[0, "car"] != 99.0
    assert "events used=5 of 7" in repr(res)


def test_config_errors(returns, events):
    with pytest.raises(StudyConfigError, match=r"model = 'markt': model must be one of .*got "
                                               r"'markt'"):
        study_of(model="markt")
    with pytest.raises(StudyConfigError, match=r"returns has no column 'DX=F'"):
        fit(study_of(factors=["DX=F"]), returns, events)
    with pytest.raises(StudyConfigError, match=r"factors = \['SPY', 'UUP'\]: the "
                                               r"'market-adjusted' model subtracts one market "
                                               r"return"):
        study_of(model="market-adjusted")
    with pytest.raises(StudyConfigError, match=r"events has duplicate id 'a'"):
        fit(study_of(), returns, pd.DataFrame({"id": ["a", "a"], "trade_date": [None, None]}))
    with pytest.raises(StudyConfigError, match=r"events has no column 'trade_date'"):
        fit(study_of(), returns, events.drop(columns="trade_date"))
    with pytest.raises(StudyConfigError, match=r"must be sorted and unique"):
        fit(study_of(), returns.iloc[::-1], events)
    with pytest.raises(StudyConfigError, match=r"^fit needs a Study .*; got dict"):
        fit({"asset": "ZS=F"}, returns, events)
    with pytest.raises(StudyConfigError, match=r"^Study: fit takes a study of one asset"):
        fit(study_of(assets=["ZS=F", "ZC=F"]), returns, events)


@pytest.mark.snapshot
@pytest.mark.parametrize("model,factors", [("constant-mean", []), ("market-adjusted", ["SPY"])])
def test_other_models_through_the_labelled_layer(returns, events, model, factors):
    res = fit(study_of(factors=factors, model=model), returns, events)
    p = res.normal_model()
    term = "mean" if model == "constant-mean" else "mean_ar"
    assert list(p.columns) == ["event_id", "n_estimation", "df", "r2", "resid_sd", term,
                               f"{term}_se"]
    assert (p["df"] == p["n_estimation"] - 1).all()
    np.testing.assert_allclose(p[f"{term}_se"], p["resid_sd"] / np.sqrt(p["n_estimation"]),
                               rtol=1e-12, atol=0)
    ar = res.ar
    ok = ar["ar"].notna()
    if model == "market-adjusted":
        spy = returns["SPY"].reindex(ar.loc[ok, "date"]).to_numpy()
        np.testing.assert_allclose(ar.loc[ok, "normal"], spy, rtol=1e-12, atol=0)


def test_newey_west_rule():
    assert newey_west_lags(100) == 4
    assert newey_west_lags(250) == math.floor(4 * 2.5 ** (2 / 9))
    assert newey_west_lags(2000) == 7


@pytest.mark.snapshot
def test_dummy_regression_against_a_dummy_frame(fitted, panel, returns, events):
    res = fitted
    table = res.dummy_regression()
    meta = table.attrs
    assert meta["maxlags"] == newey_west_lags(meta["nobs"])
    # independent build: one named dummy column per (event, day) on a pandas frame
    ev = events.iloc[:5]
    idx = returns.index
    valid = returns[["ZS=F", *FACTORS]].notna().all(axis=1) & ~panel.roll
    thin_out = panel.thin.copy()
    day0 = idx.searchsorted(ev["trade_date"])
    frame = returns.loc[meta["first"] : meta["last"]].copy()
    frame = frame[valid.loc[frame.index]]
    dummies = {}
    for p in day0:
        for tau in range(-1, 6):
            dummies.setdefault(idx[p + tau], f"d{p + tau}")
    win_days = set(dummies)
    keep = [not (thin_out[d] and d not in win_days) for d in frame.index]
    frame = frame[keep]
    for d, name in dummies.items():
        frame[name] = (frame.index == d).astype(float)
    frame = frame.loc[:, (frame != 0).any(axis=0)]
    cols = ["SPY", "UUP", *[c for c in frame.columns if c.startswith("d")]]
    fit = sm.OLS(frame["ZS=F"], sm.add_constant(frame[cols])).fit(
        cov_type="HAC", cov_kwds={"maxlags": meta["maxlags"]}
    )
    plain = sm.OLS(frame["ZS=F"], sm.add_constant(frame[cols])).fit()
    assert int(fit.nobs) == meta["nobs"]
    for p, eid in zip(day0, ev["id"], strict=True):
        names = [f"d{p + tau}" for tau in range(0, 6) if f"d{p + tau}" in fit.params.index]
        c = pd.Series(0.0, index=fit.params.index)
        c[names] = 1.0
        tt = fit.t_test(c.to_numpy()[None, :])
        row = table.set_index(["event_id", "start", "end"]).loc[(eid, 0, 5)]
        np.testing.assert_allclose(row["car"], float(tt.effect[0]), rtol=1e-8, atol=1e-14)
        np.testing.assert_allclose(row["car_se_hac"], float(tt.sd[0, 0]), rtol=1e-8, atol=0)
        ols = plain.t_test(c.to_numpy()[None, :])
        np.testing.assert_allclose(row["car_se"], float(ols.sd[0, 0]), rtol=1e-8, atol=0)
        np.testing.assert_allclose(row["p"], float(ols.pvalue), rtol=1e-7, atol=1e-15)
        assert row["n_days"] == len(names)
        assert np.isfinite(row["car_classical"])


def test_dummy_regression_shares_days_of_overlapping_windows():
    rng = np.random.default_rng(5)
    idx = pd.bdate_range("2020-01-01", periods=400)
    ret = pd.DataFrame({"A": rng.normal(0, 0.01, 400), "F": rng.normal(0, 0.01, 400)}, index=idx)
    ev = pd.DataFrame({"id": ["x", "y"], "trade_date": [idx[300], idx[302]]})
    study = Study(asset="A", factors=["F"], windows=((0, 3),))
    table = dummy_regression(study, ret, ev, maxlags=2)
    assert table.attrs["n_dummies"] == 6  # days 300..305, days 302-303 shared
    fit = sm.OLS(
        ret["A"].iloc[50:306].to_numpy(),
        np.column_stack([np.ones(256), ret["F"].iloc[50:306], np.eye(256)[:, 250:256]]),
    ).fit(cov_type="HAC", cov_kwds={"maxlags": 2})
    np.testing.assert_allclose(
        table["car"], [fit.params[2:6].sum(), fit.params[4:8].sum()], rtol=1e-9, atol=1e-15
    )
    with pytest.raises(StudyConfigError, match="no event has a trade date inside the returns"):
        dummy_regression(study, ret, ev.assign(trade_date=pd.NaT))


def _window_hac_by_hand(ret, rows_days, dummy_days, event_days, lags):
    """c'Γc + g'Σ_θ g from statsmodels pieces, built day by day."""
    from statsmodels.tsa.stattools import acovf

    sample = ret.loc[rows_days]
    base = sample.drop(index=dummy_days)
    zfit = sm.OLS(base["A"], sm.add_constant(base[["F"]])).fit()
    sigma = zfit.get_robustcov_results(cov_type="HAC", maxlags=lags).cov_params()
    gam = acovf(np.asarray(zfit.resid), demean=False, adjusted=False, nlag=lags, fft=False)
    row = {d: i for i, d in enumerate(sample.index)}
    v = 0.0
    for d1 in event_days:
        for d2 in event_days:
            h = abs(row[d1] - row[d2])
            if h <= lags:
                v += (1 - h / (lags + 1)) * gam[h]
    g = np.array([len(event_days), sample.loc[event_days, "F"].sum()])
    return math.sqrt(v + g @ sigma @ g)


def test_dummy_regression_classical_and_window_hac_columns(caplog):
    rng = np.random.default_rng(8)
    idx = pd.bdate_range("2020-01-01", periods=400)
    e = rng.normal(0, 0.01, 400)
    e[1:] += 0.3 * e[:-1]  # serially correlated errors
    ret = pd.DataFrame({"F": rng.normal(0, 0.01, 400)}, index=idx)
    ret["A"] = 0.0001 + 0.5 * ret["F"] + e
    ev = pd.DataFrame({"id": ["x", "y"], "trade_date": [idx[300], idx[340]]})
    with caplog.at_level("WARNING", logger="eventstudy.regression"):
        table = dummy_regression(Study(asset="A", factors=["F"], windows=((0, 3), (0, 0))), ret,
                                 ev, maxlags=3)
    warned = [r for r in caplog.records if "one-observation dummies" in r.getMessage()]
    assert len(warned) == 1
    assert table["hac_unreliable"].all()
    rows_days = idx[50:344]
    dummy_days = [idx[p] for p in (*range(300, 304), *range(340, 344))]
    D = np.column_stack([(rows_days == d).astype(float) for d in dummy_days])
    design = np.column_stack([np.ones(rows_days.size), ret.loc[rows_days, "F"], D])
    ols = sm.OLS(ret.loc[rows_days, "A"].to_numpy(), design).fit()
    for eid, a, b in [("x", 0, 3), ("x", 0, 0), ("y", 0, 3), ("y", 0, 0)]:
        p0 = 300 if eid == "x" else 340
        c = np.zeros(design.shape[1])
        cols = [2 + dummy_days.index(idx[p0 + t]) for t in range(a, b + 1)]
        c[cols] = 1.0
        tt = ols.t_test(c[None, :])
        row = table.set_index(["event_id", "start", "end"]).loc[(eid, a, b)]
        np.testing.assert_allclose(row["car"], float(tt.effect[0]), rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(row["car_se"], float(tt.sd[0, 0]), rtol=1e-9, atol=0)
        np.testing.assert_allclose(row["p"], float(tt.pvalue), rtol=1e-7, atol=1e-15)
        ref = _window_hac_by_hand(ret, rows_days, dummy_days,
                                  [idx[p0 + t] for t in range(a, b + 1)], 3)
        np.testing.assert_allclose(row["car_se_window"], ref, rtol=1e-9, atol=0)
        np.testing.assert_allclose(row["t_window"], row["car"] / ref, rtol=1e-9, atol=0)
    # The flagged property: one-observation dummies make the HAC se collapse.
    assert (table["car_se_hac"] < 0.5 * table["car_se"]).all()
    # The window HAC and the classical se agree in size (same variance, AR(1) errors).
    np.testing.assert_allclose(table["car_se_window"], table["car_se"], rtol=0.5, atol=0)


@pytest.mark.snapshot
def test_other_events_of_the_file_leave_the_samples_as_if_studied(returns, events):
    """Windows of events that are not studied leave the estimation samples as if they were."""
    dated = events[events["trade_date"].notna() & (events["id"] != "future")]
    # Busan's window (2025-10-30) lies in the call's (2025-11-24) estimation sample.
    ids = ["hike-2019", "call-2025"]
    together = fit(study_of(), returns, dated)
    apart = fit(study_of(event_ids=ids, other_events="file"), returns, dated)
    pd.testing.assert_frame_equal(
        apart.car.reset_index(drop=True),
        together.car[together.car["event_id"].isin(ids)].reset_index(drop=True),
        check_exact=False, rtol=1e-12, atol=0,
    )
    alone = fit(study_of(event_ids=ids, other_events="study"), returns, dated)
    n = {r.event_id: r.n_estimation for r in alone.events.itertuples()}
    n_apart = {r.event_id: r.n_estimation for r in apart.events.itertuples()}
    assert all(n_apart[e] <= n[e] for e in ids) and n_apart != n
    with pytest.raises(StudyConfigError, match=r"^Study: event_ids = \['nope'\]: unknown id nope "
                                               r"\(not in .*events\.csv\)"):
        fit(study_of(event_ids=["nope"]), returns, dated)


@pytest.mark.snapshot
def test_event_before_the_first_return_is_excluded_with_its_date(returns, events):
    early = pd.DataFrame({"id": ["too-early"], "trade_date": pd.to_datetime(["2010-01-04"])})
    dated = pd.concat([early, events.iloc[:2][["id", "trade_date"]]], ignore_index=True)
    res = fit(study_of(), returns, dated)
    ev = res.events.set_index("event_id")
    first = returns.index[0].date()
    assert ev.loc["too-early", "status"] == "excluded"
    assert ev.loc["too-early", "reason"] == (
        f"trade date 2010-01-04 is before the first return ({first})"
    )
    reg = dummy_regression(study_of(windows=[(0, 1)]), returns, dated)
    assert "too-early" not in set(reg["event_id"])
