"""The results object: day 0 never moves, the tidy table's flags and notes, the whole surface."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.analysis import fit
from eventstudy.config import Study
from eventstudy.estimate import window_mask
from eventstudy.exceptions import StudyConfigError
from eventstudy.panel import locate_day0, on_calendar, returns_panel
from eventstudy.results import NOT_SIZE_CHECKED, TIDY_COLUMNS


def fit_study(returns, events, *, roll=None, thin=None, **options):
    """The analysis of ``events`` on ``returns``: by default four windows, one group, no
    placebo."""
    options = {"windows": ((-1, 1), (0, 0), (0, 1), (0, 5)), "group_by": "all",
               "placebo_draws": 0, **options}
    return fit(Study(**options), returns_panel(returns, roll=roll, thin=thin), events)


@pytest.fixture(scope="module")
def market():
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2020-01-01", periods=600)
    f = rng.normal(0, 0.01, idx.size)
    a = 0.5 * f + rng.normal(0, 0.012, idx.size)
    return pd.DataFrame({"A": a, "F": f}, index=idx)


def _events(dates, ids=None, **cols):
    ids = ids or [f"e{i}" for i in range(len(dates))]
    return pd.DataFrame({"id": ids, "trade_date": pd.to_datetime(dates), **cols})


def test_on_calendar_keeps_day0_when_rows_are_missing(market):
    calendar = market.index
    event = calendar[400]
    gap = calendar[390:395]                       # a week of rows lost before the event
    holed = market.drop(index=gap)
    back, roll, thin, added, joined = on_calendar(holed, calendar)
    assert list(added) == list(gap)
    assert back.index.equals(calendar)
    assert back.loc[gap].isna().all().all()
    # the first row after the gap holds the return across the gap (trade-to-trade): not a
    # one-day return of the asset, and the factors' own returns are not given here
    after = calendar[395]
    assert back.loc[after].isna().all()
    assert joined.loc[after] == holed.loc[after, "A"]
    assert joined.drop(index=after).isna().all()
    pd.testing.assert_frame_equal(back.drop(index=[*gap, after]),
                                  market.drop(index=[*gap, after]))
    # with the factors' own one-day returns they fill the gap and the row after it
    filled = on_calendar(holed, calendar, factor_returns=market[["F"]]).returns
    pd.testing.assert_series_equal(filled["F"], market["F"])
    assert not roll.any() and not thin.any()
    pos, reason = locate_day0([event], back.index)
    assert pos[0] == 400 and reason[0] == ""


def test_a_day0_without_a_row_is_excluded_not_moved(market):
    holed = market.drop(index=market.index[[300]])
    events = _events([market.index[300], market.index[450]])
    res = fit_study(holed, events, asset="A", factors=["F"])
    ev = res.events.set_index("event_id")
    assert ev.loc["e0", "status"] == "excluded"
    assert ev.loc["e0", "reason"] == (
        f"no price on day 0 ({market.index[300].date()}): the exchange's trade date has no row")
    assert ev.loc["e1", "status"] == "used"
    # and a Saturday trade date is not moved to Monday either
    sat = _events(["2021-01-02"])
    pos, reason = locate_day0(sat["trade_date"], market.index)
    assert pos[0] == -1 and reason[0].startswith("no price on day 0 (2021-01-02)")


def test_window_mask_marks_every_window_day():
    got = window_mask(10, [2, 7, -1], -1, 1)
    want = np.zeros(10, dtype=bool)
    want[[1, 2, 3, 6, 7, 8]] = True
    assert (got == want).all()
    assert window_mask(5, [4], 0, 3).tolist() == [False, False, False, False, True]


def test_tidy_flags_and_notes(market):
    idx = market.index
    roll = pd.Series(False, index=idx)
    roll.iloc[501] = True                          # day +1 of e1
    thin = pd.Series(False, index=idx)
    thin.iloc[302] = True                          # day +2 of e0
    events = _events([idx[300], idx[303], idx[500], idx[-2]], ids=["e0", "e1", "e2", "end"])
    events.loc[1, "id"] = "near"                  # e0's window [-1, 5] holds near's day 0
    res = fit_study(market, events, asset="A", factors=["F"], roll=roll, thin=thin,
                     windows=((0, 0), (0, 1), (-1, 5)), placebo_draws=200, seed=1)
    t = res.tidy()
    assert list(t.columns) == TIDY_COLUMNS
    row = t.set_index(["event_id", "start", "end"])
    r = row.loc[("e0", -1, 5)]
    assert r["overlaps"] == "near (day +3)" and r["thin_days"] == 1
    assert res.overlaps_of("e0") == [("near", 3)] and res.overlaps_of("e2") == []
    assert "another event's day 0 inside the window: near (day +3)" in r["note"]
    assert "thin trading on day +2" in r["note"]
    # without a size check no test leads, and the note says so
    assert row.loc[("e0", 0, 0), "note"] == NOT_SIZE_CHECKED
    assert (t["lead_test"] == "").all() and t["lead_p"].isna().all()
    r = row.loc[("e2", 0, 1)]
    assert r["roll_days"] == 1 and r["n_days"] == 1
    assert "day +1 is a contract-roll day" in r["note"] and "sums 1 of 2 days" in r["note"]
    r = row.loc[("end", -1, 5)]
    assert bool(r["cut_short"]) and r["n_days"] == 3
    assert f"window cut short by the end of the data (last return {idx[-1]:%Y-%m-%d}): it " \
        "covers [-1, 1]" in r["note"]
    # the interval is the t interval of the stated formula
    q = stats.t.ppf(0.95, t["df"].to_numpy(dtype=float))
    t90 = res.tidy(alpha=0.10)
    np.testing.assert_allclose(t90["ci_upper"], t["car"] + q * t["car_se"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(t90["ci_lower"], t["car"] - q * t["car_se"], rtol=1e-12, atol=0)


def test_missing_values_are_explained(market):
    idx = market.index
    roll = pd.Series(False, index=idx)
    roll.iloc[[400, 401]] = True
    flat = market.copy()
    flat.iloc[:, 0] = 0.001                        # a constant return: zero residual variance
    events = _events([idx[400], idx[300]], ids=["rolled", "flat"])
    res = fit_study(market, events.iloc[:1], asset="A", factors=["F"], roll=roll,
                     windows=((0, 1), (-1, 1)))
    r = res.tidy().set_index(["event_id", "start", "end"]).loc[("rolled", 0, 1)]
    assert np.isnan(r["car"])
    assert r["note"].startswith("no CAR: no usable day in the window; days +0, +1 are "
                                "contract-roll days")
    r = res.tidy().set_index(["event_id", "start", "end"]).loc[("rolled", -1, 1)]
    assert "placebo off (placebo_draws = 0)" in r["note"]
    cm = fit_study(flat, events.iloc[1:], asset="A", model="constant-mean",
                    windows=((0, 0),))
    assert cm.tidy().empty
    ev = cm.events.set_index("event_id").loc["flat"]
    assert ev["status"] == "excluded"
    assert ev["reason"].startswith("zero residual variance in the estimation sample")


def test_tests_say_when_events_share_window_days(market):
    idx = market.index
    events = _events([idx[300], idx[302], idx[450]])
    res = fit_study(market, events, asset="A", factors=["F"], windows=((0, 0), (-1, 5)))
    t = res.tests.set_index(["group", "start", "end", "test"])
    assert t.loc[("all", 0, 0, "patell"), "note"] == ""
    assert t.loc[("all", -1, 5, "patell"), "note"].startswith(
        "1 pair of events share window days: this test treats them as independent")
    assert t.loc[("all", -1, 5, "kolari-pynnonen"), "note"] == ""


def test_one_event_groups_say_why_their_tests_are_missing(market):
    idx = market.index
    events = _events([idx[300], idx[450], idx[520]], category=["call", "meeting", "meeting"])
    res = fit_study(market, events, asset="A", factors=["F"], group_by="category")
    tests = res.tests
    call = tests[tests["group"] == "category=call"]
    assert call["p_value"].isna().any()
    assert (call.loc[call["p_value"].isna(), "note"]
            .str.startswith("one event: a group test needs at least two").all())


def test_the_whole_results_surface(market):
    """Every public accessor of one fit, each checked against the tidy table or by hand."""
    idx = market.index
    events = _events([idx[300], idx[420], idx[540], None], title=["a", "b", "c", "d"],
                     direction=[1, -1, 1, 0], category=["x", "y", "x", "y"])
    res = fit_study(market, events, asset="A", factors=["F"], group_by="direction",
                     placebo_draws=300, seed=3, windows=((0, 0), (-1, 1)))
    t = res.tidy()
    key = pd.MultiIndex.from_frame(t[["event_id", "start", "end"]])
    for name, col in (("params", "car"), ("cars", "car"), ("bse", "car_se"),
                      ("tvalues", "t"), ("pvalues", "p")):
        s = getattr(res, name)
        assert s.index.equals(key), name
        np.testing.assert_array_equal(s.to_numpy(), t[col].to_numpy())
    ci = res.conf_int(0.05)
    np.testing.assert_array_equal(ci["lower"].to_numpy(), t["ci_lower"].to_numpy())
    assert res.car.equals(t)
    assert res.event_ids == ["e0", "e1", "e2", "e3"] and res.used_ids == ["e0", "e1", "e2"]
    assert res.events.set_index("event_id").loc["e3", "reason"] == "pending"
    assert set(res.groups) == {"all", "escalation", "de-escalation", "signed"}
    assert set(res.tests["group"]) == set(res.groups)
    assert set(res.caar["group"]) == set(res.groups)
    assert set(res.aar["group"]) == set(res.groups)
    assert res.placebo is not None and res.placebo.draws == 300
    assert t["placebo_p"].notna().all() and t["sq_p"].notna().all()
    nm = res.normal_model()
    assert list(nm["event_id"]) == res.used_ids
    est = res.estimation_days()
    assert (est.groupby("event_id")["used"].sum().loc[res.used_ids].to_numpy()
            == nm["n_estimation"].to_numpy()).all()
    ar = res.ar
    sums = ar[ar["day"].between(-1, 1)].groupby("event_id")["ar"].sum()
    np.testing.assert_allclose(t[t["start"] == -1].set_index("event_id")["car"],
                               sums.loc[res.used_ids], rtol=1e-12, atol=0)
    dummy = res.dummy_regression()
    assert set(dummy["event_id"]) == set(res.used_ids)
    assert res.study.returns == "log" and res.study.return_label == "log return"
    assert str(res) == str(res.summary()) and "<table" in res._repr_html_()
    assert res.title_of("e1") == "b"
    # the results carry their study, panel, events and the engine's inputs
    assert res.study.asset == "A" and res.study.placebo_draws == 300
    assert res.data.returns.index.equals(idx) and res.catalogue is events
    assert list(res.design.day0) == [300, 420, 540, -1]
    assert list(res.design.reason[:3]) == ["", "", ""] and res.design.reason[3] == "pending"
    np.testing.assert_array_equal(res.design.y, market["A"].to_numpy())
    np.testing.assert_array_equal(res.design.X, market[["F"]].to_numpy())
    with pytest.raises(AttributeError, match="immutable"):
        res.placebo = None
    with pytest.raises(KeyError, match="no used event with id 'e3'"):
        res.event_rows(["e3"])


def test_group_by_any_catalogue_column(market):
    idx = market.index
    events = _events([idx[300], idx[380], idx[460], idx[540]],
                     agriculture=["yes", "no", "yes", "indirect"])
    res = fit_study(market, events, asset="A", factors=["F"], group_by="agriculture")
    assert set(res.groups) == {"all", "agriculture=yes", "agriculture=no",
                               "agriculture=indirect"}
    t = res.tidy()
    assert t.set_index("event_id").loc["e0", "group"].iloc[0] == "agriculture=yes"
    tests = res.tests
    yes = tests[(tests["group"] == "agriculture=yes") & (tests["test"] == "cross-sectional-t")]
    assert len(yes) == len(res.study.windows)
    # an independent computation: the mean CAR over sd / sqrt(N) of the two events
    for rec in yes.itertuples():
        cars = t[(t["group"] == "agriculture=yes") & (t["start"] == rec.start)
                 & (t["end"] == rec.end)]["car"].to_numpy()
        want = cars.mean() / (cars.std(ddof=1) / np.sqrt(2))
        np.testing.assert_allclose(rec.statistic, want, rtol=1e-10, atol=0)
    lone = tests[tests["group"] == "agriculture=no"]
    assert lone["p_value"].isna().any() and lone["note"].str.startswith("one event").any()
    with pytest.raises(StudyConfigError, match=r"^Study: group_by = 'soy': group_by must be "
                       r"'all', 'direction' or a column of the events file \('agriculture'\)"):
        fit_study(market, events, asset="A", factors=["F"], group_by="soy")


def test_volatility_option_adds_garch_tests_and_the_regime_diagnostic(market):
    import statsmodels.api as sm

    from eventstudy.volatility import ewma_event_tests, garch_variance

    idx = market.index
    events = _events([idx[300], idx[450]])
    res = fit_study(market, events, asset="A", factors=["F"], windows=((0, 0), (0, 1)),
                     volatility="garch")
    t = res.tidy()
    assert {"garch_se", "garch_t", "garch_p"} <= set(t.columns)
    # the GARCH parameters from statsmodels' residuals of one regression on every day
    fit = sm.OLS(market["A"].to_numpy(), sm.add_constant(market["F"].to_numpy())).fit()
    params = garch_variance(np.asarray(fit.resid), 1).params[:3]
    want = ewma_event_tests(res.arrays, params=params)
    # the two residual series differ in the last bits, which arch's optimiser
    # (tolerance ~1e-6 on the likelihood) turns into parameters equal to ~1e-5
    np.testing.assert_allclose(t["garch_p"].to_numpy(), want.pvalue.ravel(), rtol=1e-4,
                               atol=1e-9)
    # the regime diagnostic: last 20 estimation days against the rest, F test by hand
    est = res.arrays.est_ar[0]
    est = est[np.isfinite(est)]
    recent, before = est[-20:], est[:-20]
    ratio = recent.var(ddof=1) / before.var(ddof=1)
    f = stats.f.cdf(ratio, recent.size - 1, before.size - 1)
    row = t[t["event_id"] == "e0"].iloc[0]
    np.testing.assert_allclose(row["vol_ratio"], ratio, rtol=1e-10, atol=0)
    np.testing.assert_allclose(row["vol_ratio_p"], 2 * min(f, 1 - f), rtol=1e-8, atol=0)
    plain = fit_study(market, events, asset="A", factors=["F"]).tidy()
    assert "garch_p" not in plain.columns
    with pytest.raises(StudyConfigError, match=r"volatility = 'garh': volatility must be one"):
        fit_study(market, events, asset="A", factors=["F"], volatility="garh")


def test_shared_window_pairs_equal_a_brute_force_count(market):
    idx = market.index
    rng = np.random.default_rng(3)
    pos = np.sort(rng.choice(np.arange(280, 560), size=12, replace=False))
    events = _events(list(idx[pos]))
    res = fit_study(market, events, asset="A", factors=["F"], windows=((0, 0), (-1, 5)))
    note = res.tests.set_index(["group", "start", "end", "test"]).loc[("all", -1, 5, "patell"),
                                                                      "note"]
    d = res.arrays.day0[res.arrays.used]
    brute = sum(1 for i in range(d.size) for j in range(i + 1, d.size)
                if abs(int(d[j]) - int(d[i])) <= 6)
    assert brute > 0
    assert note.startswith(f"{brute} pair{'s' if brute > 1 else ''} of events share window days")


def test_lead_is_the_first_test_that_holds_its_size(market):
    from sizes import hand_size_check

    events = _events([market.index[300], market.index[500]], ids=["e0", "e1"])
    res = fit_study(market, events, asset="A", factors=["F"], windows=((0, 0), (-1, 5)),
                     placebo_draws=200, seed=1)
    assert res.single_event_tests == ["event-t", "sq", "event-placebo"]
    # the t test over-rejects on [-1, 5], the SQ is conservative: the placebo leads there
    check = hand_size_check("A", [(0, 0), (-1, 5)], {("event-t", (-1, 5)): 0.062,
                                                      ("sq", (-1, 5)): 0.041})
    t = res.with_size_check(check).tidy().set_index(["event_id", "start", "end"])
    assert res.size_check is None  # the original results are not changed
    r = t.loc[("e0", 0, 0)]
    assert r["lead_test"] == "event-t" and r["lead_p"] == r["p"] and r["lead_size"] == 0.05
    r = t.loc[("e1", -1, 5)]
    assert r["lead_test"] == "event-placebo" and r["lead_p"] == r["placebo_p"]
    # where no test holds, none leads and the note gives every measured size
    worse = hand_size_check("A", [(0, 0), (-1, 5)], {(x, (-1, 5)): 0.07 for x in
                                                     ("event-t", "sq", "event-placebo")})
    r = res.with_size_check(worse).tidy().set_index(["event_id", "start", "end"]).loc[
        ("e1", -1, 5)]
    assert r["lead_test"] == "" and np.isnan(r["lead_p"])
    assert "no single-event test holds its size on A over [-1, 5]" in r["note"]
    assert all(f"{t} 7.0%" in r["note"] for t in ("t test", "SQ test", "placebo test"))
