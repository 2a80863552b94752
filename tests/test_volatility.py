"""Volatility-aware single-event tests against arch, scipy and hand loops."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest
from arch import arch_model
from scipy import stats

from eventstudy import volatility as vol
from eventstudy.estimate import estimate_arrays
from eventstudy.exceptions import DataQualityWarning, InferenceError, OptionError
from eventstudy.simulation import load_return_arrays, synthetic_return_arrays

#: arch's forecast and ours are the same analytic recursion on the same
#: parameters; after the ×100 rescaling they differ by rounding only.
RTOL_ARCH, ATOL_ARCH = 1e-9, 0.0
RTOL, ATOL = 1e-12, 0.0
WINDOWS = [(0, 0), (-1, 1), (0, 5)]
#: The market model's settings the engine takes from its caller.
DESIGN = dict(model="market", estimation=(-250, -11), windows=WINDOWS, exclude_other_events=True,
              min_estimation_days=100)


def _simulate_garch(n=1500, omega=2e-6, alpha=0.08, beta=0.9, seed=7):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    x = np.empty(n)
    s2 = omega / (1 - alpha - beta)
    for t in range(n):
        x[t] = math.sqrt(s2) * z[t]
        s2 = omega + alpha * x[t] ** 2 + beta * s2
    return x


def _arch_forecast(x, horizon, dist="normal"):
    res = arch_model(100 * x, mean="Zero", vol="GARCH", p=1, q=1, dist=dist,
                     rescale=False).fit(disp="off")
    return res, res.forecast(horizon=horizon, reindex=False).variance.to_numpy()[-1] / 1e4


@pytest.fixture(scope="module")
def synth_arrays():
    d = synthetic_return_arrays("t4", n_days=1200, seed=3)
    return estimate_arrays(d.y, d.X, d.valid, d.est_ok, np.array([400, 700, 1000]), **DESIGN)


@pytest.fixture(scope="module")
def zs_arrays(prices_dir):
    with warnings.catch_warnings():
        # the snapshot's two known missing factor prices (2025-01-09) are not under test here
        warnings.simplefilter("ignore", DataQualityWarning)
        d = load_return_arrays(prices_dir, "ZS=F", ("SPY", "UUP"), exclude_thin_trading=True)
    day0 = d.positions(["2025-10-30", "2025-11-24"])
    return estimate_arrays(d.y, d.X, d.valid, d.est_ok, day0, **DESIGN)


@pytest.mark.parametrize("dist", ["normal", "t"])
def test_garch_variance_equals_arch_forecast_simulated(dist):
    x = _simulate_garch()[-400:]
    g = vol.garch_variance(x, 16, dist=dist)
    res, ref = _arch_forecast(x, 16, dist)
    np.testing.assert_allclose(g.variance, ref, rtol=RTOL_ARCH, atol=ATOL_ARCH)
    np.testing.assert_allclose(g.sigma2, np.asarray(res.conditional_volatility) ** 2 / 1e4,
                               rtol=RTOL_ARCH, atol=ATOL_ARCH)
    np.testing.assert_allclose(g.params[0], res.params["omega"] / 1e4, rtol=RTOL, atol=ATOL)
    assert g.converged and (np.isnan(g.params[3]) == (dist == "normal"))


@pytest.mark.snapshot
def test_garch_variance_equals_arch_forecast_on_zs(zs_arrays):
    for e in range(zs_arrays.n_events):
        row = zs_arrays.est_ar[e]
        g = vol.garch_variance(row, 16)
        # gaps (NaN days) are closed up before the fit: arch sees the same series
        _, ref = _arch_forecast(row[np.isfinite(row)], 16)
        np.testing.assert_allclose(g.variance, ref, rtol=RTOL_ARCH, atol=ATOL_ARCH)


@pytest.mark.snapshot
def test_garch_event_tests_on_zs_formula(zs_arrays):
    a = zs_arrays
    r = vol.garch_event_tests(a)
    _check_event_tests(a, r, garch=True)


def _check_event_tests(a, r, *, garch):
    """Hand computation of σ²_τ, Var(CAR), t and p for every event and window."""
    for e in np.flatnonzero(a.used):
        last = a.rel_est[np.flatnonzero(a.est_used[e])[-1]] if garch else a.rel_est[-1]
        h = int(a.rel_win.max() - last)
        if garch:
            path = vol.garch_variance(a.est_ar[e], h).variance
        else:
            path = vol.filter_variance(a.est_ar[e][None, :], h)[0]
        s2 = np.array([path[int(t - last) - 1] for t in a.rel_win])
        np.testing.assert_allclose(r.sigma2[e], s2, rtol=RTOL, atol=ATOL)
        for w, (lo, hi) in enumerate(a.windows):
            days = [i for i, t in enumerate(a.rel_win) if lo <= t <= hi and np.isfinite(a.ar[e, i])]
            v = sum(s2[i] for i in days) + (a.car_se[e, w] ** 2 - a.s2[e] * len(days))
            se = math.sqrt(v)
            np.testing.assert_allclose(r.car_se[e, w], se, rtol=1e-10, atol=ATOL)
            t = a.car[e, w] / se
            np.testing.assert_allclose(r.tstat[e, w], t, rtol=1e-10, atol=ATOL)
            np.testing.assert_allclose(r.pvalue[e, w], 2 * stats.norm.sf(abs(t)), rtol=1e-9,
                                       atol=1e-15)
        np.testing.assert_allclose(r.ar_std[e], a.ar[e] / np.sqrt(s2), rtol=RTOL, atol=ATOL)


def test_garch_event_tests_formula(synth_arrays):
    _check_event_tests(synth_arrays, vol.garch_event_tests(synth_arrays), garch=True)


def test_garch_event_tests_t_one_day_window(synth_arrays):
    a = synth_arrays
    r = vol.garch_event_tests(a, dist="t")
    nu = r.params[:, 3]
    w = 0  # [0, 0]
    q = np.abs(r.tstat[:, w]) * np.sqrt(nu / (nu - 2))
    np.testing.assert_allclose(r.pvalue[:, w], 2 * stats.t.sf(q, nu), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(r.pvalue[:, 2], 2 * stats.norm.sf(np.abs(r.tstat[:, 2])),
                               rtol=1e-10, atol=1e-15)


def test_ewma_event_tests_formula(synth_arrays):
    _check_event_tests(synth_arrays, vol.ewma_event_tests(synth_arrays), garch=False)


def _hand_filter(row, horizon, omega, alpha, beta):
    """The recursion of filter_variance's Notes, one event, plain Python."""
    sample = [v for v in row if not math.isnan(v)]
    tau = min(75, len(sample))
    w = [0.94**i for i in range(tau)]
    bc = sum(wi * v * v for wi, v in zip(w, sample[:tau], strict=True)) / sum(w)
    s2 = omega + (alpha + beta) * bc
    path = []
    for v in row:
        path.append(s2)
        e2 = s2 if math.isnan(v) else v * v
        s2 = omega + alpha * e2 + beta * s2
    fc = []
    for _ in range(horizon):
        fc.append(s2)
        s2 = omega + (alpha + beta) * s2
    return np.array(path), np.array(fc)


def test_ewma_equals_hand_loop():
    rng = np.random.default_rng(1)
    est = rng.standard_t(4, size=(4, 120)) * 0.01
    est[1, 30:40] = np.nan
    est[2, :5] = np.nan
    est[3, -3:] = np.nan
    fc, path = vol.filter_variance(est, 8, lam=0.94, return_path=True)
    for e in range(4):
        p_ref, f_ref = _hand_filter(list(est[e]), 8, 0.0, 0.06, 0.94)
        np.testing.assert_allclose(path[e], p_ref, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(fc[e], f_ref, rtol=RTOL, atol=ATOL)
    # EWMA forecasts are flat (random-walk variance)
    np.testing.assert_allclose(fc, fc[:, :1] * np.ones((1, 8)), rtol=RTOL, atol=ATOL)


def test_fixed_garch_filter_equals_arch_fix():
    x = _simulate_garch(n=600)
    params = np.array([2e-6, 0.08, 0.9])
    fc, path = vol.filter_variance(x[None, :], 10, params=params, return_path=True)
    am = arch_model(100 * x, mean="Zero", vol="GARCH", p=1, q=1, rescale=False)
    fixed = am.fix([params[0] * 1e4, params[1], params[2]])
    np.testing.assert_allclose(path[0], np.asarray(fixed.conditional_volatility) ** 2 / 1e4,
                               rtol=1e-10, atol=ATOL)
    ref = fixed.forecast(horizon=10, reindex=False).variance.to_numpy()[-1] / 1e4
    np.testing.assert_allclose(fc[0], ref, rtol=1e-10, atol=ATOL)
    p_ref, f_ref = _hand_filter(list(x), 10, *params)
    np.testing.assert_allclose(fc[0], f_ref, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("params", [None, (2e-6, 0.08, 0.9)])
def test_filter_is_causal(params, synth_arrays):
    rng = np.random.default_rng(2)
    est = rng.standard_normal((3, 200)) * 0.01
    fc, path = vol.filter_variance(est, 5, params=params, return_path=True)
    k = 120  # beyond the backcast's first 75 days
    bumped = est.copy()
    bumped[:, k] *= 5.0
    fc2, path2 = vol.filter_variance(bumped, 5, params=params, return_path=True)
    np.testing.assert_array_equal(path2[:, : k + 1], path[:, : k + 1])
    assert np.all(path2[:, k + 1] > path[:, k + 1]) and np.all(fc2 != fc)
    # window returns (day 0 on) never enter their own variance forecast
    a = synth_arrays
    shocked = replace(a, ar=a.ar * 10.0, car=a.car * 10.0)
    for f in (vol.ewma_event_tests, vol.garch_event_tests):
        kw = {"params": params} if f is vol.ewma_event_tests else {}
        np.testing.assert_array_equal(f(shocked, **kw).sigma2, f(a, **kw).sigma2)


def _split(row, recent):
    sample = row[np.isfinite(row)]
    return sample[-recent:], sample[:-recent]


def test_volatility_regime_equals_scipy():
    rng = np.random.default_rng(4)
    est = rng.standard_t(5, size=(5, 150)) * 0.01
    est[:, -20:] *= np.array([0.5, 1.0, 1.5, 2.0, 3.0])[:, None]
    est[1, 140:145] = np.nan  # the recent part reaches back over a gap
    f = vol.volatility_regime(est, recent=20)
    bf = vol.volatility_regime(est, recent=20, test="brown-forsythe")
    lv = vol.volatility_regime(est, recent=20, test="levene")
    for e in range(5):
        r, b = _split(est[e], 20)
        ratio = np.var(r, ddof=1) / np.var(b, ddof=1)
        np.testing.assert_allclose(f.ratio[e], ratio, rtol=1e-12, atol=ATOL)
        d1, d2 = r.size - 1, b.size - 1
        p = 2 * min(stats.f.cdf(ratio, d1, d2), stats.f.sf(ratio, d1, d2))
        np.testing.assert_allclose(f.pvalue[e], p, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(bf.pvalue[e], stats.levene(r, b, center="median").pvalue,
                                   rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(lv.pvalue[e], stats.levene(r, b, center="mean").pvalue,
                                   rtol=1e-10, atol=1e-15)
        assert f.n_recent[e] == 20 and f.n_before[e] == b.size


def test_bad_input_named_errors():
    x = _simulate_garch(n=300)
    with pytest.raises(InferenceError, match=r"needs at least min_obs=100 finite residuals; "
                                             r"got 60 \(of 60\)"):
        vol.garch_variance(x[:60], 5)
    with pytest.raises(InferenceError, match=r"got 0 \(of 300\)"):
        vol.garch_variance(np.full(300, np.nan), 5)
    with pytest.raises(InferenceError, match="the residuals are all zero"):
        vol.garch_variance(np.zeros(200), 5)
    with pytest.raises(OptionError, match=r"dist must be one of 'normal', 't'; got 'student'"):
        vol.garch_variance(x, 5, dist="student")
    with pytest.raises(InferenceError, match="horizon must be an integer >= 1; got 0"):
        vol.garch_variance(x, 0)
    with pytest.raises(InferenceError, match=r"lam must be in \(0, 1\); got 1.0"):
        vol.filter_variance(x[None, :], 5, lam=1.0)
    with pytest.raises(InferenceError, match="stationary GARCH"):
        vol.filter_variance(x[None, :], 5, params=(1e-6, 0.2, 0.9))
    with pytest.raises(InferenceError, match=r"events \[1\] have no finite residual"):
        vol.filter_variance(np.stack([x, np.full(300, np.nan)]), 5)
    with pytest.raises(OptionError, match="test must be one of 'F', 'brown-forsythe', 'levene'"):
        vol.volatility_regime(x[None, :], test="bartlett")
    d = synthetic_return_arrays("normal", n_days=600, seed=1)
    a = estimate_arrays(d.y, d.X, d.valid, d.est_ok, np.array([400]),
                        **{**DESIGN, "min_estimation_days": 50})
    with pytest.raises(InferenceError, match=r"event 0 \(day 0 at position 400\): GARCH\(1, 1\) "
                                             r"needs at least min_obs=300"):
        vol.garch_event_tests(a, min_obs=300)
