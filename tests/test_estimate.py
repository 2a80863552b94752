"""The array engine against statsmodels' OLS per event, each exclusion rule, each config error."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.estimate import estimate_arrays
from eventstudy.exceptions import EstimationError, OptionError, StudyConfigError

WINDOWS = ((-1, 1), (0, 0), (0, 5), (-3, 10))
#: The study settings the engine takes from its caller, where a test does not set them.
DESIGN = dict(estimation=(-250, -11), windows=((-1, 1),), exclude_other_events=True,
              min_estimation_days=100)


def _estimate(y, X, valid, est_ok, day0, **kw):
    return estimate_arrays(y, X, valid, est_ok, day0, **{**DESIGN, **kw})


@pytest.fixture(scope="module")
def real(prices_dir):
    """Log returns of ZS=F, SPY, UUP on the ZS=F trade dates, read from the snapshot."""
    close = {
        t: pd.read_csv(prices_dir / f"{t}.csv", index_col="Date", parse_dates=True)["Close"]
        for t in ("ZS=F", "SPY", "UUP")
    }
    dates = close["ZS=F"].index
    frame = pd.DataFrame({t: np.log(c.reindex(dates)).diff() for t, c in close.items()})
    frame = frame.loc["2007-03-01":]
    y = frame["ZS=F"].to_numpy()
    X = frame[["SPY", "UUP"]].to_numpy()
    valid = np.isfinite(frame.to_numpy()).all(axis=1)
    # a few masked "roll" days inside some windows, to exercise missing ARs
    rng = np.random.default_rng(7)
    day0 = np.sort(rng.choice(np.arange(300, len(y) - 12), 24, replace=False))
    valid[day0[::5] + 2] = False
    return y, X, valid, day0


def _reference(y, X, valid, used_rows, d, rel_win, model, windows):
    """One event by statsmodels: OLS on the engine's estimation rows, prediction on the window."""
    yy = y[used_rows]
    if model == "market":
        design = sm.add_constant(X[used_rows])
    else:
        design = np.ones((used_rows.size, 1))
        if model == "market-adjusted":
            yy = yy - X[used_rows, 0]
    fit = sm.OLS(yy, design).fit()
    wp = d + rel_win
    ok = valid[wp]
    if model == "market":
        Z = sm.add_constant(X[wp], has_constant="add")
        pred = fit.get_prediction(Z)
        ar = y[wp] - pred.predicted_mean
        se = pred.se_obs
        V = fit.scale * (np.eye(wp.size) + Z @ fit.normalized_cov_params @ Z.T)
    elif model == "constant-mean":
        pred = fit.get_prediction(np.ones((wp.size, 1)))
        ar = y[wp] - pred.predicted_mean
        se = pred.se_obs
        V = fit.scale * (np.eye(wp.size) + np.ones((wp.size, wp.size)) / used_rows.size)
    else:
        ar = y[wp] - X[wp, 0]
        se = np.full(wp.size, np.sqrt(fit.scale))
        V = fit.scale * np.eye(wp.size)
    ar = np.where(ok, ar, np.nan)
    se = np.where(ok, se, np.nan)
    cars, var = [], []
    for a, b in windows:
        g = (ok & (rel_win >= a) & (rel_win <= b)).astype(float)
        cars.append(np.nansum(np.where(ok, ar, 0.0) * g))
        var.append(g @ V @ g)
    return fit, ar, se, np.array(cars), np.array(var), V


@pytest.mark.snapshot
@pytest.mark.parametrize("model", ["market", "constant-mean", "market-adjusted"])
def test_matches_statsmodels_per_event(real, model):
    y, X, valid, day0 = real
    Xm = {"market": X, "constant-mean": X[:, :0], "market-adjusted": X[:, :1]}[model]
    ea = _estimate(y, Xm, valid, valid, day0, model=model, windows=WINDOWS)
    assert ea.used.all()
    assert ea.k == (3 if model == "market" else 1)
    for e, d in enumerate(day0):
        rows = d + ea.rel_est[ea.est_used[e]]
        fit, ar, se, car, var, V = _reference(y, X, valid, rows, d, ea.rel_win, model, WINDOWS)
        assert ea.n[e] == rows.size
        assert ea.dof[e] == fit.df_resid
        np.testing.assert_allclose(ea.s2[e], fit.scale, rtol=1e-10, atol=0)
        np.testing.assert_allclose(ea.ar[e], ar, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(ea.ar_se[e], se, rtol=1e-10, atol=0)
        np.testing.assert_allclose(ea.car[e], car, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(ea.car_se[e] ** 2, var, rtol=1e-10, atol=0)
        ok = np.isfinite(ar)
        np.testing.assert_allclose(ea.V[e][np.ix_(ok, ok)], V[np.ix_(ok, ok)], rtol=1e-10, atol=0)
        assert np.isnan(ea.V[e][~ok]).all()
        t = car / np.sqrt(var)
        np.testing.assert_allclose(ea.tstat[e], t, rtol=1e-10, atol=0)
        np.testing.assert_allclose(
            ea.pvalue[e], 2 * stats.t.sf(np.abs(t), fit.df_resid), rtol=1e-8, atol=1e-300
        )
        resid = fit.resid if model != "market-adjusted" else y[rows] - X[rows, 0]
        np.testing.assert_allclose(ea.est_ar[e][ea.est_used[e]], resid, rtol=1e-9, atol=1e-15)
        assert np.isnan(ea.est_ar[e][~ea.est_used[e]]).all()
        if model == "market-adjusted":
            np.testing.assert_allclose(ea.params[e], [resid.mean()], rtol=1e-10, atol=0)
        else:
            np.testing.assert_allclose(ea.params[e], fit.params, rtol=1e-9, atol=1e-15)
        n_days = [int((ok & (ea.rel_win >= a) & (ea.rel_win <= b)).sum()) for a, b in WINDOWS]
        np.testing.assert_array_equal(ea.n_days[e], n_days)
    assert (ea.reason == "").all()
    assert ea.est_ar.shape == (day0.size, 240) and ea.ar.shape == (day0.size, 14)


def _synthetic(T=600, m=2, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.01, (T, m))
    y = 0.0002 + X @ np.linspace(0.5, -0.3, m) + rng.normal(0, 0.015, T)
    return y, X, np.ones(T, dtype=bool)


def _fit_ols(y, X, rows):
    return sm.OLS(y[rows], sm.add_constant(X[rows], has_constant="add")).fit()


def test_other_event_windows_leave_the_estimation_sample():
    y, X, valid = _synthetic()
    day0 = np.array([400, 420, 560])  # 420's window [-3, 10] covers 417..430
    win = ((-1, 1), (-3, 10))
    ea = _estimate(
        y,
        X,
        valid,
        valid,
        day0,
        model="market",
        windows=win,
        estimation=(-250, -11),
        min_estimation_days=50,
    )
    # event 560: estimation 310..549 loses 397..410 (event 400) and 417..430 (event 420)
    days = 560 + ea.rel_est[ea.est_used[2]]
    expected = np.setdiff1d(np.arange(310, 550), np.r_[397:411, 417:431])
    np.testing.assert_array_equal(days, expected)
    fit = _fit_ols(y, X, expected)
    np.testing.assert_allclose(ea.params[2], fit.params, rtol=1e-10, atol=0)
    # event 400's own window never counts against itself; event 420's window is after its sample
    np.testing.assert_array_equal(400 + ea.rel_est[ea.est_used[0]], np.arange(150, 390))
    off = _estimate(
        y,
        X,
        valid,
        valid,
        day0,
        model="market",
        windows=win,
        exclude_other_events=False,
        min_estimation_days=50,
    )
    np.testing.assert_array_equal(560 + off.rel_est[off.est_used[2]], np.arange(310, 550))
    assert off.n[2] == 240 and ea.n[2] == 240 - 28


def test_est_ok_and_exclude_positions_drop_estimation_days():
    y, X, valid = _synthetic()
    thin = np.zeros(600, dtype=bool)
    thin[320:340] = True
    extra = np.zeros(600, dtype=bool)
    extra[500:505] = True
    ea = _estimate(
        y, X, valid, valid & ~thin, np.array([560]), model="market", exclude_positions=extra
    )
    expected = np.setdiff1d(np.arange(310, 550), np.r_[320:340, 500:505])
    np.testing.assert_array_equal(560 + ea.rel_est[ea.est_used[0]], expected)
    np.testing.assert_allclose(ea.s2[0], _fit_ols(y, X, expected).scale, rtol=1e-10, atol=0)


def test_missing_window_days_and_empty_windows():
    y, X, valid = _synthetic()
    valid = valid.copy()
    valid[560] = False  # day 0 is a roll day
    y = y.copy()
    y[561] = np.nan  # asset return missing on day 1
    ea = _estimate(
        y, X, valid, valid, np.array([560]), model="market", windows=((-1, 1), (0, 1), (2, 3))
    )
    ar = ea.ar[0]
    assert np.isnan(ar[1]) and np.isnan(ar[2]) and np.isfinite(ar[0])
    np.testing.assert_array_equal(ea.n_days[0], [1, 0, 2])
    np.testing.assert_allclose(ea.car[0, 0], ar[0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(ea.car_se[0, 0], ea.ar_se[0, 0], rtol=1e-12, atol=0)
    assert np.isnan(ea.car[0, 1]) and np.isnan(ea.car_se[0, 1]) and np.isnan(ea.pvalue[0, 1])
    assert np.isnan(ea.ret[0, 1]) and np.isnan(ea.normal[0, 1])


def test_window_beyond_the_data_keeps_the_event():
    y, X, valid = _synthetic()
    ea = _estimate(
        y, X, valid, valid, np.array([597]), model="market", windows=((0, 5), (4, 5))
    )
    assert ea.used[0]
    assert np.isfinite(ea.ar[0, :3]).all() and np.isnan(ea.ar[0, 3:]).all()
    np.testing.assert_array_equal(ea.n_days[0], [3, 0])
    np.testing.assert_allclose(ea.car[0, 0], ea.ar[0, :3].sum(), rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    ("day0", "kwargs", "reason"),
    [
        (700, {}, r"day 0 at position 700 is outside the returns \(0\.\.599\)"),
        (100, {}, r"estimation window \[-250, -11\] starts 150 trade days before the first return"),
        (
            560,
            {"min_estimation_days": 385, "estimation": (-400, -11)},
            r"only 380 estimation days \(min_estimation_days=385\)",
        ),
    ],
)
def test_excluded_events_carry_a_reason(day0, kwargs, reason, caplog):
    y, X, valid = _synthetic()
    valid = valid.copy()
    valid[200:210] = False
    args = {"min_estimation_days": 100, **kwargs}
    with caplog.at_level("INFO", logger="eventstudy.estimate"):
        ea = _estimate(y, X, valid, valid, np.array([day0, 560]), model="market", **args)
    assert not ea.used[0]
    assert re.search(reason, ea.reason[0])
    assert ea.reason[0] in caplog.text
    assert np.isnan(ea.car[0]).all() and np.isnan(ea.ar[0]).all() and np.isnan(ea.s2[0])
    assert np.isnan(ea.params[0]).all() and not ea.est_used[0].any()
    assert (ea.n_days[0] == 0).all()
    assert ea.used[1] == (day0 != 560)


def test_too_few_days_after_exclusions():
    y, X, valid = _synthetic()
    est_ok = valid.copy()
    est_ok[310:500] = False  # leaves 50 days
    ea = _estimate(y, X, valid, est_ok, np.array([560]), model="market")
    assert not ea.used[0]
    assert ea.n[0] == 50
    assert "only 50 estimation days (min_estimation_days=100)" in ea.reason[0]


def test_constant_factor_is_excluded_as_singular():
    y, X, valid = _synthetic()
    X = X.copy()
    X[300:560, 1] = 0.0
    ea = _estimate(
        y,
        X,
        valid,
        valid,
        np.array([560, 300]),
        model="market",
        estimation=(-250, -11),
        windows=((0, 0),),
        min_estimation_days=20,
    )
    assert not ea.used[0] and "singular design" in ea.reason[0]
    assert ea.used[1]


@pytest.mark.parametrize(
    ("kwargs", "X_cols", "error", "match"),
    [
        (
            {"model": "markt"},
            2,
            OptionError,
            r"model must be one of 'constant-mean', 'market-adjusted', 'market', 'synthetic'; "
            r"got 'markt'",
        ),
        (
            {"model": "market-adjusted"},
            2,
            StudyConfigError,
            r"model='market-adjusted' needs exactly one factor .*; got 2",
        ),
        ({"model": "market"}, 0, StudyConfigError, r"model='market' needs at least one factor"),
        (
            {"model": "market", "estimation": (-11, -250)},
            2,
            StudyConfigError,
            r"estimation must be \(T0, T1\) with T0 <= T1; got \(-11, -250\)",
        ),
        (
            {"model": "market", "estimation": (-250, 0.5)},
            2,
            StudyConfigError,
            r"estimation must be a pair of integer trade-day offsets",
        ),
        (
            {"model": "market", "windows": ((2, 1),)},
            2,
            StudyConfigError,
            r"window must be \(start, end\) with start <= end; got \(2, 1\)",
        ),
        ({"model": "market", "windows": ()}, 2, StudyConfigError, r"windows is empty"),
        (
            {"model": "market", "windows": ((-20, 5),)},
            2,
            StudyConfigError,
            r"estimation window \(-250, -11\) overlaps the event window \[-20, 5\]",
        ),
        (
            {"model": "market", "min_estimation_days": 3},
            2,
            StudyConfigError,
            r"min_estimation_days must be at least k \+ 1 = 4 for model='market'",
        ),
    ],
)
def test_config_errors(kwargs, X_cols, error, match):
    y, X, valid = _synthetic()
    with pytest.raises(error, match=match):
        _estimate(y, X[:, :X_cols], valid, valid, np.array([560]), **kwargs)


def test_array_shape_errors():
    y, X, valid = _synthetic()
    with pytest.raises(
        EstimationError, match=r"valid must have shape \(600,\) like y; got \(599,\)"
    ):
        _estimate(y, X, valid[:-1], valid, np.array([560]), model="market")
    with pytest.raises(EstimationError, match=r"est_ok must be a boolean array; got dtype int64"):
        _estimate(y, X, valid, valid.astype(np.int64), np.array([560]), model="market")
    with pytest.raises(EstimationError, match=r"X must have shape \(T, m\) with T=600"):
        _estimate(y, X[:10], valid, valid, np.array([560]), model="market")
    with pytest.raises(EstimationError, match=r"day0 must be a one-dimensional integer array"):
        _estimate(y, X, valid, valid, np.array([560.0]), model="market")


def test_many_events_in_one_call_match_event_by_event():
    """Batching does not change any event's numbers (no cross-talk between rows)."""
    y, X, valid = _synthetic(T=3000, seed=3)
    day0 = np.random.default_rng(4).integers(260, 2985, 400)
    kw = {"model": "market", "windows": ((-1, 1), (0, 5)), "exclude_other_events": False}
    ea = _estimate(y, X, valid, valid, day0, **kw)
    for e in (0, 137, 399):
        one = _estimate(y, X, valid, valid, day0[e : e + 1], **kw)
        np.testing.assert_allclose(ea.car[e], one.car[0], rtol=1e-10, atol=1e-16)
        np.testing.assert_allclose(ea.car_se[e], one.car_se[0], rtol=1e-10, atol=0)


_FIELDS = ("n", "params", "s2", "ar", "ar_se", "car", "car_se", "tstat", "pvalue", "est_ar")


@pytest.mark.parametrize("model", ["market", "constant-mean", "market-adjusted"])
def test_event_groups_exclude_only_their_own_events(real, model):
    # Three replications of 8 events in one call (labels 0, 1, 2) equal three
    # calls with 8 events each; one label for all equals the default. Events
    # sit close enough that many estimation samples hold other windows.
    y, X, valid, _ = real
    X = X[:, :1] if model == "market-adjusted" else X
    rng = np.random.default_rng(3)
    day0 = np.sort(rng.choice(np.arange(300, 1400), 24, replace=False))
    labels = rng.permutation(np.repeat([0, 1, 2], 8))
    kw = dict(model=model, estimation=(-250, -11), windows=WINDOWS, min_estimation_days=100)
    both = _estimate(y, X, valid, valid, day0, event_groups=labels, **kw)
    for lab in range(3):
        sel = labels == lab
        one = _estimate(y, X, valid, valid, day0[sel], **kw)
        np.testing.assert_array_equal(both.used[sel], one.used)
        np.testing.assert_array_equal(both.est_used[sel], one.est_used)
        for name in _FIELDS:
            np.testing.assert_allclose(getattr(both, name)[sel], getattr(one, name),
                                       rtol=1e-9, atol=1e-13, err_msg=name)
    assert (both.n < 240).sum() > 5  # the exclusion was exercised
    same = _estimate(y, X, valid, valid, day0, event_groups=np.zeros(24, int), **kw)
    plain = _estimate(y, X, valid, valid, day0, **kw)
    for name in _FIELDS:
        np.testing.assert_allclose(getattr(same, name), getattr(plain, name), rtol=1e-9,
                                   atol=1e-13, err_msg=name)


def test_event_groups_shape_error():
    y, X = _synthetic()[:2]
    ok = np.ones(y.size, dtype=bool)
    match = r"event_groups must be one integer label per event \(2\)"
    with pytest.raises(EstimationError, match=match):
        _estimate(y, X, ok, ok, np.array([300, 400]), model="market",
                        event_groups=np.array([0.5, 1.0]))
