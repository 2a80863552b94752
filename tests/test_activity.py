"""Abnormal volatility (the variance ratio) and abnormal volume against independent computations.

The variance ratio is recomputed event by event with numpy on the engine's
covariance V and scipy's F distribution; the abnormal volume with pandas on a
hand-built volume series; the placebo p-values with plain loops.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.config import Study
from eventstudy.contracts import contract_schedule
from eventstudy.estimate import estimate_arrays
from eventstudy.inference import (
    Placebo,
    placebo_distribution,
    variance_ratio,
    vr_event_pvalues,
    vr_group_tests,
)
from eventstudy.simulation import simulate_tests, synthetic_return_arrays
from eventstudy.volume import abnormal_volume, log_volume, study_volume

RTOL = 1e-10
ATOL = 1e-12
WINDOWS = [(0, 0), (-1, 1), (-2, 5)]


def _engine(model, seed=0, T=900):
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 0.01, size=(T, 2))
    y = 0.0003 + X @ np.array([0.5, -0.2]) + rng.standard_t(5, size=T) * 0.012
    valid = np.ones(T, dtype=bool)
    valid[[402, 611, 612]] = False  # missing days inside windows
    day0 = np.array([300, 401, 500, 610, 700])
    X_in = X[:, :1] if model == "market-adjusted" else X
    arrays = estimate_arrays(y, X_in, valid, valid.copy(), day0, model=model,
                             estimation=(-250, -11), windows=WINDOWS,
                             exclude_other_events=True, min_estimation_days=100)
    return y, X_in, valid, day0, arrays


@pytest.mark.parametrize("model", ["market", "constant-mean", "market-adjusted"])
def test_variance_ratio_against_numpy_on_the_engine_V(model):
    _, _, _, _, a = _engine(model)
    res = variance_ratio(a)
    V = a.V
    for e in range(a.n_events):
        for w, (lo, hi) in enumerate(WINDOWS):
            days = np.flatnonzero((a.rel_win >= lo) & (a.rel_win <= hi) & np.isfinite(a.ar[e]))
            x = a.ar[e, days]
            q = float(x @ np.linalg.solve(V[e][np.ix_(days, days)], x))
            vr = q / days.size
            np.testing.assert_allclose(res.vr[e, w], vr, rtol=RTOL, atol=ATOL)
            np.testing.assert_allclose(res.pvalue[e, w],
                                       stats.f.sf(vr, days.size, a.n[e] - a.k),
                                       rtol=RTOL, atol=ATOL)
            assert res.n_days[e, w] == days.size


def test_variance_ratio_over_day_zero_is_t_squared():
    _, _, _, _, a = _engine("market")
    res = variance_ratio(a)
    np.testing.assert_allclose(res.vr[:, 0], a.tstat[:, 0] ** 2, rtol=1e-12, atol=0.0)


def test_placebo_pvalues_against_a_loop():
    y, X, valid, day0, a = _engine("market")
    placebo = placebo_distribution(y, X, valid, valid, model="market", estimation=(-250, -11),
                                   windows=WINDOWS, event_day0=day0, draws=400, seed=3,
                                   min_estimation_days=100)
    own = variance_ratio(estimate_arrays(y, X, valid, valid, placebo.day0, model="market",
                                         estimation=(-250, -11), windows=WINDOWS,
                                         exclude_other_events=False, min_estimation_days=100,
                                         exclude_positions=_cover(y.size, day0, -2, 5))).vr
    np.testing.assert_allclose(placebo.vr, own, rtol=RTOL, atol=ATOL)
    vr = variance_ratio(a).vr
    p = vr_event_pvalues(placebo, vr)
    for e in range(vr.shape[0]):
        for w in range(vr.shape[1]):
            pool = [v for v in own[:, w] if np.isfinite(v)]
            hits = sum(1 for v in pool if v >= vr[e, w])
            np.testing.assert_allclose(p[e, w], (1 + hits) / (1 + len(pool)), rtol=RTOL,
                                       atol=ATOL)


def _cover(T, day0, lo, hi):
    out = np.zeros(T, dtype=bool)
    for d in day0:
        out[max(d + lo, 0):min(d + hi + 1, T)] = True
    return out


def test_group_mean_vr_against_a_constant_pool():
    pool = np.full((50, 2), 1.5)
    placebo = Placebo(car=np.zeros((50, 2)), day0=np.arange(50), windows=np.array([[0, 0],
                      [0, 1]]), seed=0, n_eligible=50, model="market", estimation=(-10, -1),
                      vr=pool)
    vr = np.array([[2.0, 1.0], [1.4, 1.2], [np.nan, 1.1]])
    out = vr_group_tests(placebo, vr, {"all": (np.arange(3), np.ones(3))}, [[0, 0], [0, 1]])
    np.testing.assert_allclose(out["statistic"], [1.7, 1.1], rtol=RTOL, atol=ATOL)
    # a mean above every pseudo group's: p = 1 / (1 + G); below all: p = 1
    np.testing.assert_allclose(out["p_value"], [1 / 51, 1.0], rtol=RTOL, atol=ATOL)
    assert out["n_events"].tolist() == [2, 3]
    assert (out["test"] == "vr-placebo").all()


def test_the_size_check_measures_both_variance_ratio_tests():
    iid = synthetic_return_arrays("normal", n_days=1500, seed=4)
    study = Study(asset="SYN", factors=("MKT",), model="market", estimation=(-250, -11),
                  windows=((0, 0), (-1, 1)), min_estimation_days=100, placebo_draws=2000, seed=5)
    table = simulate_tests(iid, study, n_events=5, reps=120, group_tests=False,
                           abnormal=(0.0, 0.05))
    null = table[(table["abnormal"] == 0.0) & table["test"].isin(["vr", "vr-placebo"])]
    assert len(null) == 4
    # exact F under normal errors: the rate is within 3 Monte Carlo SE of 5%
    assert null["within_3se"].all(), null
    power = table[(table["abnormal"] == 0.05) & (table["test"] == "vr") & (table["end"] == 0)]
    assert float(power["rate"].iloc[0]) > 0.9


# ---------------------------------------------------------------------------
# abnormal volume


def _volume_case():
    """ZS=F trade dates of 2024 with a delivery period, a zero-volume day and a missing day."""
    index = pd.bdate_range("2023-06-01", "2024-09-30", name="date")
    sched = contract_schedule("ZS=F", index[0], index[-1])
    july = sched[sched["contract"] == "ZSN24"].iloc[0]
    rng = np.random.default_rng(7)
    volume = pd.Series(rng.lognormal(10.0, 0.4, size=index.size).round(), index=index)
    day0 = int(index.get_loc(july["first_notice_day"])) - 1  # day +1 is the first notice day
    volume.iloc[day0 - 30] = 0.0
    volume.iloc[day0 - 40] = np.nan
    volume.iloc[day0 - 1] = np.nan
    delivery = np.zeros(index.size, dtype=bool)
    for first, last in zip(sched["first_notice_day"], sched["last_trade_date"], strict=True):
        delivery |= (index >= first) & (index <= last)
    return index, volume, day0, delivery


def _pandas_volume(index, volume, day0, delivery, estimation, window):
    v = np.log1p(volume.where(volume > 0))
    v[delivery] = np.nan
    pos = pd.Series(np.arange(index.size), index=index)
    est = v[(pos >= day0 + estimation[0]) & (pos <= day0 + estimation[1])].dropna()
    win = v[(pos >= day0 + window[0]) & (pos <= day0 + window[1])].dropna()
    n, L = est.size, win.size
    cav = (win - est.mean()).sum()
    se = est.std(ddof=1) * np.sqrt(L + L**2 / n)
    t = cav / se
    return cav, se, t, 2 * stats.t.sf(abs(t), n - 1), L, n


def test_abnormal_volume_against_pandas():
    index, volume, day0, delivery = _volume_case()
    v = log_volume(volume.to_numpy())
    arrays = abnormal_volume(v, np.isfinite(v) & delivery.__invert__(), np.array([day0]),
                             estimation=(-120, -3), windows=WINDOWS, min_estimation_days=30)
    for w, window in enumerate(WINDOWS):
        cav, se, t, p, L, n = _pandas_volume(index, volume, day0, delivery, (-120, -3), window)
        np.testing.assert_allclose([arrays.cav[0, w], arrays.cav_se[0, w], arrays.tstat[0, w],
                                    arrays.pvalue[0, w]], [cav, se, t, p], rtol=RTOL, atol=ATOL)
        assert (arrays.n_days[0, w], arrays.n[0]) == (L, n)
    # the zero and the missing volume, and the May contract's delivery, leave the sample
    span = slice(day0 - 120, day0 - 2)
    assert n == int((~delivery[span] & (volume.iloc[span] > 0).to_numpy()).sum())
    assert delivery[span].any() and n < 118 - 2


def test_study_volume_flags_delivery_and_explains():
    index, volume, day0, delivery = _volume_case()
    panel = SimpleNamespace(asset="ZS=F", returns=pd.DataFrame(index=index), volume=volume)
    study = SimpleNamespace(estimation=(-120, -3), windows=WINDOWS, min_estimation_days=30,
                            exclude_other_events=True, other_events="study")
    res = study_volume(study, panel, np.array([day0]), np.array([day0]))
    table = res.table(np.array(["e"]), [0])
    assert table["n_days"].tolist() == [1, 1, 2]  # days +1.. in delivery, day -1 missing
    assert table["note"].iat[1].startswith("day +1 in the front contract's delivery period")
    assert "day -1 without volume" in table["note"].iat[1]
    cav, *_ = _pandas_volume(index, volume, day0, delivery, (-120, -3), (-2, 5))
    np.testing.assert_allclose(table["cav"].iat[2], cav, rtol=RTOL, atol=ATOL)
    none = study_volume(study, SimpleNamespace(asset="SOYB", returns=panel.returns, volume=None),
                        np.array([day0]), np.array([day0])).table(np.array(["e"]), [0])
    assert len(none) == 0
    assert none.attrs["note"] == ("SOYB: the price file has no volume, so no abnormal volume is "
                                  "measured")


def test_volume_placebo_pvalues_against_a_loop():
    index, volume, day0, delivery = _volume_case()
    T = index.size
    panel = SimpleNamespace(asset="ZS=F", returns=pd.DataFrame(index=index), volume=volume)
    study = SimpleNamespace(estimation=(-120, -3), windows=WINDOWS, min_estimation_days=30,
                            exclude_other_events=True, other_events="study")
    # pseudo day 0 away from the event's window, as the placebo draws them
    eligible = np.setdiff1d(np.arange(130, T - 10), np.arange(day0 - 7, day0 + 8))
    pseudo_day0 = np.random.default_rng(1).choice(eligible, size=300)
    placebo = Placebo(car=np.zeros((300, 3)), day0=pseudo_day0, windows=np.array(WINDOWS),
                      seed=0, n_eligible=300, model="constant-mean", estimation=(-120, -3))
    res = study_volume(study, panel, np.array([day0]), np.array([day0]), placebo=placebo)
    v = log_volume(volume.to_numpy())
    usable = np.isfinite(v) & ~delivery
    blocked = _cover(T, [day0], -2, 5)
    for w, (lo, hi) in enumerate(WINDOWS):
        pool = []
        for d in pseudo_day0:
            est = [v[t] for t in range(d - 120, d - 2) if usable[t] and not blocked[t]]
            win = [v[t] for t in range(d + lo, d + hi + 1) if t < T and usable[t]]
            if len(est) >= 30 and win:
                pool.append(abs(sum(win) - len(win) * np.mean(est)))
        obs = abs(res.arrays.cav[0, w])
        expect = (1 + sum(1 for c in pool if c >= obs)) / (1 + len(pool))
        np.testing.assert_allclose(res.placebo_p[0, w], expect, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------
# readings of hand-made tables


def _tables():
    tidy = pd.DataFrame({
        "event_id": ["a", "a", "b", "b", "c", "c"], "trade_date": pd.to_datetime(
            ["2020-01-02"] * 2 + ["2021-03-04"] * 2 + ["2022-05-06"] * 2),
        "start": [0, 0] * 3, "end": [0, 1] * 3,
        "vr": [4.0, 3.1, 0.8, 0.9, 6.5, np.nan], "vr_p": [0.04, 0.05, 0.5, 0.4, 0.01, np.nan],
        "vr_placebo_p": [0.06, 0.03, 0.6, 0.5, 0.02, np.nan],
        "vr_lead_test": ["vr-placebo", "", "vr-placebo", "", "vr-placebo", ""],
        "vr_lead_p": [0.06, np.nan, 0.6, np.nan, 0.02, np.nan]})
    volume = pd.DataFrame({"event_id": ["a", "a"], "start": [0, 0], "end": [0, 1],
                           "cav": [0.25, np.nan], "p": [0.2, np.nan],
                           "placebo_p": [0.3, np.nan], "n_days": [1, 0],
                           "note": ["", "no CAV: no day of the window has a usable volume"]})
    return tidy, volume


def test_activity_readings_of_a_hand_made_table():
    from eventstudy.report.activity import (
        activity_sentence,
        activity_table,
        volatility_raisers,
        volatility_raisers_sentence,
    )

    tidy, volume = _tables()
    assert activity_sentence(tidy, volume, "a", (0, 0), name="A") == (
        "Over [0, 0] the variance ratio of A is 4.00 (1 is the estimation period's volatility): "
        "weak evidence (variance-ratio placebo test, p = 0.060). Its abnormal log volume is "
        "+25.0% over 1 day (t test p = 0.200, placebo p = 0.300; the volume tests are not "
        "size-checked, so not graded).")
    assert activity_sentence(tidy, volume, "a", (0, 1)).endswith(
        "not graded (no variance-ratio test holds its size here). Volume: no CAV: no day of the "
        "window has a usable volume.")
    table = activity_table(tidy, volume, ["a", "b"], [(0, 0)])
    assert table["variance ratio"].tolist() == ["4.00", "0.80"]
    assert table["note"].iat[1] == "no volume row"
    raisers = volatility_raisers(tidy, (0, 0))
    assert raisers["event_id"].tolist() == ["c"]
    assert volatility_raisers_sentence(tidy, (0, 0)) == (
        "Over [0, 0], 1 of 3 events raised volatility (variance-ratio placebo test p < 0.05, "
        "variance ratio in brackets): c (6.50).")
    assert volatility_raisers_sentence(tidy, (0, 1)).startswith(
        "Over [0, 1] no variance-ratio test holds its size on this asset")
