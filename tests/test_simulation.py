"""Size and power of the battery (Brown-Warner 1985), on real and on iid synthetic returns.

Two settings, with different purposes:

- iid synthetic returns (a known market model with normal or Student-t(4)
  disturbances, a fresh long series): every test must hold its size. A
  failure here is an implementation error, so these checks are strict.
- the real soybean returns (ZS=F against SPY and UUP, the study's masks:
  roll days missing, thin-trading days out of estimation samples and, by
  default, out of pseudo-event windows): the rates say which tests survive
  these returns. Distortions measured with the full run
  (``eventstudy.simulation.run_size_power``) are pinned as strict xfails
  with the measured reason, so that the suite notices if they change.

600 replications of 20 pseudo-events put the Monte Carlo standard error of a
5% group rejection rate at 0.89 points (12,000 single-event trials: 0.20).
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import eventstudy as es
from eventstudy import inference as inf
from eventstudy import simulation as sim
from eventstudy.estimate import estimate_arrays
from eventstudy.exceptions import InferenceError, OptionError
from eventstudy.parallel import block_seeds

pytestmark = [
    pytest.mark.snapshot,
    pytest.mark.filterwarnings("ignore::eventstudy.exceptions.DataQualityWarning"),
]

ALPHA = 0.05
REPS = 600
N_EVENTS = 20
SYN_REPS = 400
SYN_DAYS = 60_000
SYN_DRAWS = 5000
ESTIMATION = (-250, -11)
WINDOWS3 = ((0, 0), (-1, 1), (0, 5))


def _study(**changes):
    """The simulated study's settings: the market model of ZS=F on SPY and UUP."""
    kw = dict(asset="ZS=F", factors=("SPY", "UUP"), model="market", estimation=ESTIMATION,
              windows=WINDOWS3, min_estimation_days=100, placebo_draws=10_000, seed=0)
    return es.Study(**{**kw, **changes})


@pytest.fixture(scope="module")
def soy(prices_dir):
    return sim.load_return_arrays(prices_dir, "ZS=F", ("SPY", "UUP"), exclude_thin_trading=True)


@pytest.fixture(scope="module")
def null_run(soy):
    return sim.simulate_tests(soy, _study(seed=20240501), n_events=N_EVENTS, reps=REPS,
                              abnormal=0.0, alpha=ALPHA, placebo_groups=500, setting="real")


@pytest.fixture(scope="module", params=["normal", "t4"])
def synthetic_run(request):
    data = sim.synthetic_return_arrays(request.param, n_days=SYN_DAYS, seed=17)
    return sim.simulate_tests(data, _study(placebo_draws=SYN_DRAWS, seed=99), n_events=N_EVENTS,
                              reps=SYN_REPS, alpha=ALPHA, placebo_groups=500, setting=data.asset)


def test_return_arrays_mask_rolls_and_thin_days(soy):
    assert soy.y.shape == soy.valid.shape == soy.est_ok.shape == soy.thin.shape
    assert soy.X.shape == (soy.y.size, 2)
    # est_ok is a subset of valid without thin days, and valid days have every return.
    assert not (soy.est_ok & ~soy.valid).any() and not (soy.est_ok & soy.thin).any()
    assert np.isfinite(soy.y[soy.valid]).all() and np.isfinite(soy.X[soy.valid]).all()
    # Contract switches are masked: the largest soybean roll gaps are gone.
    assert np.abs(soy.y[soy.valid]).max() < np.nanmax(np.abs(soy.y))
    assert soy.dates[0] >= pd.Timestamp("2007-03-01")  # UUP's first price


def _check_size(run, test, window, trials, draws, target=ALPHA):
    rows = run[(run["test"] == test) & (run["window"] == window)]
    assert len(rows) == 1 and (rows["trials"] == trials).all()
    pool = 1.0 / draws if test in ("event-placebo", "vr-placebo") else 0.0
    se = np.sqrt(ALPHA * (1 - ALPHA) * (1.0 / trials + pool))
    np.testing.assert_allclose(rows["mc_se"], se, rtol=1e-12, atol=0)
    rate = float(rows["rate"].iloc[0])
    assert abs(rate - target) <= 3 * se, (
        f"{test} {window}: rate {rate:.4f}, target {target:.4f}, 3 MC SE = {3 * se:.4f}"
    )
    if target == ALPHA:
        assert bool(rows["within_3se"].iloc[0])


WINDOWS = ["[0, 0]", "[-1, 1]", "[0, 5]"]
GROUP = list(inf.TEST_NAMES)
EVENT = list(sim.EVENT_TESTS)

#: Distortions measured on the real returns (this suite's seeded run of 600
#: replications of 20 events, clean windows). A single-event test that does not
#: hold its size is reported with its measured size and never leads
#: (:class:`eventstudy.simulation.SizeCheck`), so these cases check that the
#: simulation flags them rather than expecting them to hold.
REAL_DISTORTED = {
    ("event-t", "[0, 5]"): "event t over-rejects 6-day windows: volatility clustering, the "
    "estimation-period variance misstates the window's",
    ("vr", "[-1, 1]"): "the variance ratio's F test over-rejects (6.5%): exact under normal "
    "errors only, and fat tails put more mass in the sum of squared abnormal returns",
    ("vr", "[0, 5]"): "the variance ratio's F test over-rejects (8.5%) on fat-tailed returns",
}

#: Small distortions on the real returns, measured: six runs of 1,500
#: replications of 20 events (seeds 20240501, 1 and 2; windows [0, 5] alone and
#: with [-1, 1]; Monte Carlo SE 0.13 points if the trials were independent)
#: gave SQ over six days 5.48-6.05% (the residuals' distribution does not
#: quite hold in a 6-day window) and the GARCH t over three days 4.28-4.56%
#: (an 11- to 13-step variance forecast with a normal p-value). This suite's
#: run must agree with these rates within its own 3 Monte Carlo SE.
REAL_MEASURED = {("sq", "[0, 5]"): 0.057, ("garch", "[-1, 1]"): 0.045}

#: Distortions of a test under Student-t(4) disturbances only (exact under normal ones):
#: over a window of L > 1 days the variance ratio's F test over-rejects (7.1% over 3
#: days, 8.8% over 6, 400 replications); over [0, 0] it is the t test.
FAT_TAIL_DISTORTED = {("vr", "[-1, 1]"), ("vr", "[0, 5]")}

#: Size distortions inherent to a test, seen on iid returns too.
#: (On [-1, 1] SQ rejects 5.6-5.7% at 1,500 replications, an excess this suite's
#: 400 replications cannot resolve, so that window is checked against 5%.)
SYN_DISTORTED: dict = {}

#: SQ on one day is a rank test against M = 240 residuals: p <= α exactly when
#: the CAR is among the ⌊α(M + 1)/2⌋ lowest or highest of M + 1 values.
SQ_ONE_DAY_SIZE = 2 * int(ALPHA * 241 / 2) / 241


def _cases(distorted):
    out = []
    for test in GROUP + EVENT:
        for w in WINDOWS:
            marks = ()
            if (test, w) in distorted:
                marks = pytest.mark.xfail(strict=True, reason=distorted[(test, w)])
            out.append(pytest.param(test, w, marks=marks, id=f"{test}{w}"))
    return out


@pytest.mark.parametrize(("test", "window"), _cases({}))
def test_real_null_rejection_rate_within_monte_carlo_error(null_run, test, window):
    trials = REPS * (N_EVENTS if test in EVENT else 1)
    if (test, window) in REAL_DISTORTED:
        rows = null_run[(null_run["test"] == test) & (null_run["window"] == window)]
        assert not bool(rows["within_3se"].iloc[0]), REAL_DISTORTED[(test, window)]
        return
    if (test, window) == ("sq", "[0, 0]"):
        # A rank test against the ~157 estimation days of ZS=F (thin days left
        # out): its exact size 2⌊α(M + 1)/2⌋/(M + 1) is below α (3.8% at
        # M = 157) by design, so only over-rejection is a failure.
        rows = null_run[(null_run["test"] == test) & (null_run["window"] == window)]
        se = np.sqrt(ALPHA * (1 - ALPHA) / trials)
        assert float(rows["rate"].iloc[0]) <= ALPHA + 3 * se
        return
    _check_size(null_run, test, window, trials, 10_000,
                target=REAL_MEASURED.get((test, window), ALPHA))


@pytest.mark.parametrize(("test", "window"), _cases(SYN_DISTORTED))
def test_iid_null_rejection_rate_within_monte_carlo_error(synthetic_run, test, window):
    if (test, window) in FAT_TAIL_DISTORTED and (synthetic_run["setting"] == "iid-t4").all():
        rows = synthetic_run[(synthetic_run["test"] == test) & (synthetic_run["window"] == window)]
        assert float(rows["rate"].iloc[0]) > ALPHA and not bool(rows["within_3se"].iloc[0])
        return
    target = SQ_ONE_DAY_SIZE if (test, window) == ("sq", "[0, 0]") else ALPHA
    _check_size(synthetic_run, test, window, SYN_REPS * (N_EVENTS if test in EVENT else 1),
                SYN_DRAWS, target=target)


def test_pseudo_windows_avoid_thin_and_roll_days(soy):
    kw = dict(estimation=ESTIMATION, windows=WINDOWS3, event_day0=[], min_estimation_days=100)
    eligible = inf.placebo_eligible(soy.valid, soy.est_ok, **kw)
    days = (eligible[:, None] + np.arange(-1, 6)[None, :]).ravel()
    assert soy.est_ok[days].all()
    loose = inf.placebo_eligible(soy.valid, soy.est_ok, window_ok=np.ones_like(soy.valid), **kw)
    assert eligible.size < loose.size and not soy.est_ok[
        (loose[:, None] + np.arange(-1, 6)[None, :]).ravel()].all()


def test_rates_are_counts_over_trials(null_run):
    np.testing.assert_allclose(
        null_run["rate"], null_run["rejections"] / null_run["trials"], rtol=1e-12, atol=0
    )
    assert list(null_run.columns) == sim.SIM_COLUMNS
    assert (null_run["setting"] == "real").all()


def test_power_grows_with_the_abnormal_return(soy):
    study = _study(windows=((0, 0),), placebo_draws=3000, seed=7)
    kw = dict(n_events=N_EVENTS, reps=60, placebo_groups=300)
    small = sim.simulate_tests(soy, study, abnormal=0.005, **kw)
    large = sim.simulate_tests(soy, study, abnormal=0.02, **kw)
    s = small.set_index("test")["rate"]
    g = large.set_index("test")["rate"]
    assert (g[list(inf.TEST_NAMES)] > 0.9).all(), g
    assert (g >= s).all()
    # A 2% day-0 shock is about 1.3 daily standard deviations: a single event
    # is often missed, ten events together almost never.
    assert g["event-t"] < g["cross-sectional-t"]


def test_simulation_reproducible_with_seed(soy):
    study = _study(windows=((0, 0), (-1, 1)), placebo_draws=1000, seed=3)
    a = sim.simulate_tests(soy, study, n_events=5, reps=15, placebo_groups=200)
    b = sim.simulate_tests(soy, study, n_events=5, reps=15, placebo_groups=200)
    pd.testing.assert_frame_equal(a, b)


def test_simulation_errors(soy):
    with pytest.raises(InferenceError, match="reps must be a positive integer; got 0"):
        sim.simulate_tests(soy, _study(), reps=0)
    with pytest.raises(InferenceError, match="could not place 400 non-overlapping pseudo-events"):
        sim.simulate_tests(soy, _study(windows=((-10, 10),), placebo_draws=500), reps=1,
                           n_events=400)
    with pytest.raises(OptionError, match="dist must be one of 'normal', 't4'; got 'cauchy'"):
        sim.synthetic_return_arrays("cauchy")
    with pytest.raises(InferenceError, match="settings must be among .*; got 'garch'"):
        sim.run_size_power(_study(), settings=("garch",), reps=1)


def test_synthetic_returns_follow_the_market_model():
    data = sim.synthetic_return_arrays("t4", n_days=20_000, seed=1)
    fit = sm.OLS(data.y, sm.add_constant(data.X)).fit()
    np.testing.assert_allclose(fit.params, [0.0002, 0.4, -0.3], rtol=0, atol=0.02)
    np.testing.assert_allclose(np.std(fit.resid), 0.015, rtol=0.05, atol=0)
    assert stats.kurtosis(fit.resid) > 1.5  # t4: fat tails
    assert data.valid.all() and not data.thin.any()


def test_run_size_power_tidy_table(prices_dir):
    out = sim.run_size_power(_study(windows=((0, 0),), placebo_draws=500), prices_dir=prices_dir,
                             reps=8, n_events=4, abnormal=(0.0, 0.01), placebo_groups=100)
    assert list(out.columns) == sim.SIM_COLUMNS
    assert set(out["setting"]) == {"real", "iid-normal", "iid-t4"}
    null = out[out["abnormal"] == 0]
    power = out[out["abnormal"] > 0]
    assert null["within_3se"].notna().all() and power["within_3se"].isna().all()
    expected = (null["rate"] - ALPHA).abs() <= 3 * null["mc_se"]
    assert (null["within_3se"].astype(bool) == expected).all()
    assert "8 replications of 4 pseudo-events" in out.attrs["description"]


def test_day0_abnormal_equals_shifting_the_returns(soy):
    # Adding the abnormal return to the engine arrays equals re-running the
    # engine on returns with the abnormal return added on every day 0, for
    # replications in one call (event_groups) whose events sit close together.
    rng = np.random.default_rng(4)
    eligible = inf.placebo_eligible(soy.valid, soy.est_ok, estimation=ESTIMATION,
                                    windows=WINDOWS3, event_day0=[], min_estimation_days=100)
    day0 = np.stack([sim._draw_events(rng, eligible[:900], 10, 6) for _ in range(3)])
    labels = np.repeat(np.arange(3), 10)
    kw = dict(model="market", estimation=ESTIMATION, windows=WINDOWS3, exclude_other_events=True,
              min_estimation_days=100)
    base = estimate_arrays(soy.y, soy.X, soy.valid, soy.est_ok, day0.ravel(),
                           event_groups=labels, **kw)
    got = sim.add_day0_abnormal(base, 0.01)
    for r in range(3):
        y = soy.y.copy()
        y[day0[r]] += 0.01
        ref = estimate_arrays(y, soy.X, soy.valid, soy.est_ok, day0[r], **kw)
        sel = labels == r
        for name in ("ar", "ret", "car", "car_se", "tstat", "pvalue", "est_ar"):
            np.testing.assert_allclose(getattr(got, name)[sel], getattr(ref, name), rtol=1e-9,
                                       atol=1e-13, err_msg=name)


def test_single_event_rates_do_not_depend_on_the_group_tests(soy):
    """One block of replications draws the same pseudo-events with or without the battery."""
    study = _study(windows=((0, 0), (-1, 1)), placebo_draws=2000, seed=11)
    kw = dict(n_events=10, reps=40, abnormal=(0.0, 0.02), placebo_groups=100)
    full = sim.simulate_tests(soy, study, **kw)
    single = sim.simulate_tests(soy, study, group_tests=False, **kw)
    assert set(single["test"]) == set(sim.EVENT_TESTS)
    both = full[full["test"].isin(sim.EVENT_TESTS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(single.reset_index(drop=True), both)


def test_size_check_reads_its_cache_and_grades_by_the_stated_rule(tmp_path, prices_dir,
                                                                 monkeypatch):
    study = es.Study(asset="ZC=F", factors=["SPY"], windows=[[0, 0], [0, 2]],
                     event_ids=["busan-meeting"], placebo_draws=500,
                     events=Path(__file__).resolve().parents[1] / "data" / "events.csv")
    res = es.analyse(study, prices_dir=prices_dir)
    check = sim.size_check(res.design, res.study, reps=30, n_events=10, cache_dir=tmp_path)
    cached = list(tmp_path.iterdir())
    assert len(cached) == 1 and cached[0].name.startswith("ZC=F-")
    def no_simulation(*args, **kwargs):
        raise AssertionError("the cached size check was simulated again")

    with monkeypatch.context() as m:
        m.setattr(sim, "simulate_tests", no_simulation)
        again = sim.size_check(res.design, res.study, reps=30, n_events=10,
                               cache_dir=tmp_path)
    pd.testing.assert_frame_equal(again.table, check.table, check_dtype=False)
    other = sim.size_check(res.design, res.study, reps=31, n_events=10, cache_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 2 and other.reps == 31
    # the rule: |rate - alpha| <= 3 MC SE, the leading test the first that holds
    for t in sim.EVENT_TESTS:
        for w in ((0, 0), (0, 2)):
            rate, se = check.size(t, w)
            assert check.holds(t, w) == (abs(rate - 0.05) <= 3 * se)
    order = ["event-t", "sq", "event-placebo"]
    for w in ((0, 0), (0, 2)):
        null = check.table[(check.table["abnormal"] == 0) & (check.table["start"] == w[0])
                           & (check.table["end"] == w[1])].set_index("test")
        holds = [t for t in order if abs(null.loc[t, "rate"] - 0.05) <= 3 * null.loc[t, "mc_se"]]
        assert check.leading(w, order) == (holds[0] if holds else None)
    # the detectable move interpolates the power curve linearly
    rows = check.table[(check.table["test"] == "event-t") & (check.table["start"] == 0)
                       & (check.table["end"] == 0)].sort_values("abnormal")
    x, r = rows["abnormal"].to_numpy(), rows["rate"].to_numpy()
    j = int(np.argmax(r >= 0.8))
    want = x[j - 1] + (0.8 - r[j - 1]) * (x[j] - x[j - 1]) / (r[j] - r[j - 1])
    np.testing.assert_allclose(check.detectable("event-t", (0, 0)), want, rtol=1e-12, atol=0)


def _small_blocks(monkeypatch):
    """Blocks of 4 replications of 5 events, so that a small run has several."""
    monkeypatch.setattr(sim, "_BLOCK_EVENTS", 20)


def test_seeded_tables_equal_serially_on_two_processes_and_on_a_dask_cluster(soy, monkeypatch):
    distributed = pytest.importorskip("distributed")
    _small_blocks(monkeypatch)
    study = _study(windows=((0, 0), (-1, 1)), placebo_draws=500, seed=5)
    kw = dict(n_events=5, reps=14, abnormal=(0.0, 0.01), placebo_groups=100)
    serial = sim.simulate_tests(soy, study.replace(n_jobs=1), **kw)
    two = sim.simulate_tests(soy, study.replace(n_jobs=2), **kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        on_cluster = sim.simulate_tests(soy, study.replace(n_jobs=1), **kw)
    pd.testing.assert_frame_equal(two, serial, check_exact=True)
    pd.testing.assert_frame_equal(on_cluster, serial, check_exact=True)
    assert (serial["trials"] == np.where(serial["test"].isin(sim.EVENT_TESTS), 70, 14)).all()


def test_event_t_rejections_equal_a_plain_loop_over_replications(soy, monkeypatch):
    """Block by block, one engine run per replication with the abnormal return in the returns."""
    _small_blocks(monkeypatch)
    study = _study(windows=((0, 0), (0, 2)), placebo_draws=500, seed=8, n_jobs=1)
    n, reps, delta = 5, 10, 0.01
    got = sim.simulate_tests(soy, study, n_events=n, reps=reps, abnormal=(0.0, delta),
                             group_tests=False)
    eligible = inf.placebo_eligible(soy.valid, soy.est_ok, estimation=ESTIMATION,
                                    windows=study.windows, event_day0=[], min_estimation_days=100)
    kw = dict(model="market", estimation=ESTIMATION, windows=study.windows,
              exclude_other_events=True, min_estimation_days=100)
    want = {0.0: np.zeros(2, dtype=int), delta: np.zeros(2, dtype=int)}
    sizes = [4, 4, 2]
    for seed, b in zip(block_seeds(study.seed, len(sizes)), sizes, strict=True):
        rng = np.random.default_rng(seed)
        for _ in range(b):
            day0 = sim._draw_events(rng, eligible, n, 2)
            for shift in want:
                y = soy.y.copy()
                y[day0] += shift
                fit = estimate_arrays(y, soy.X, soy.valid, soy.est_ok, day0, **kw)
                p = 2 * stats.t.sf(np.abs(fit.tstat), np.maximum(fit.dof, 1)[:, None])
                want[shift] += (np.nan_to_num(p, nan=1.0) <= ALPHA).sum(axis=0)
    rows = got[got["test"] == "event-t"]
    for shift, counts in want.items():
        r = rows[rows["abnormal"] == shift].sort_values("end")
        np.testing.assert_array_equal(r["rejections"].to_numpy(), counts)
        assert (r["trials"] == reps * n).all()


def test_run_size_power_reads_its_cache(prices_dir, cache_dir, monkeypatch):
    kw = dict(prices_dir=prices_dir, reps=6, n_events=4, abnormal=(0.0, 0.01),
              placebo_groups=100, cache_dir=cache_dir)
    study = _study(windows=((0, 0), (-1, 1)), placebo_draws=300)
    out = sim.run_size_power(study, **kw)
    assert [p.name.startswith("size-power-") for p in cache_dir.iterdir()] == [True]

    def no_simulation(*args, **kwargs):
        raise AssertionError("the cached simulation was run again")

    with monkeypatch.context() as m:
        m.setattr(sim, "simulate_tests", no_simulation)
        again = sim.run_size_power(study, **kw)
    pd.testing.assert_frame_equal(again, out, check_exact=True)
    assert again.attrs["description"] == out.attrs["description"]
    sim.run_size_power(study.replace(seed=study.seed + 1), **kw)
    assert len(list(cache_dir.iterdir())) == 2


def _slow_table(path, marks, wait=None):
    """sim.cached_table with a computation that takes a while and leaves a mark."""
    def compute():
        with open(marks, "a") as f:
            f.write("computed\n")
        time.sleep(0.5)  # long enough for the other process to find the lock
        return pd.DataFrame({"x": [0.1, 2.0 / 3.0]})
    return sim.cached_table(path, compute, read=pd.read_csv, wait=wait)


def _ask(path, marks, out):
    _slow_table(path, marks).to_csv(out, index=False)


def test_cached_table_is_computed_once_for_two_processes(tmp_path):
    """Two processes asking at once: one computes, the other waits and reads its CSV."""
    path, marks = tmp_path / "table.csv", tmp_path / "marks"
    fork = multiprocessing.get_context("fork")
    procs = [fork.Process(target=_ask, args=(path, marks, tmp_path / f"out{i}.csv"))
             for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    assert marks.read_text() == "computed\n"
    want = pd.DataFrame({"x": [0.1, 2.0 / 3.0]})
    for i in range(2):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / f"out{i}.csv"), want,
                                      check_exact=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marks", "out0.csv", "out1.csv",
                                                          "table.csv"]


def test_cached_table_outlives_a_lock_that_is_not_released(tmp_path):
    path, marks = tmp_path / "table.csv", tmp_path / "marks"
    lock = tmp_path / "table.csv.lock"
    # a running process (this one) holds the lock: wait, then compute here
    lock.write_text(f"{socket.gethostname()} {os.getpid()}\n")
    got = _slow_table(path, marks, wait=0.2)
    assert marks.read_text() == "computed\n" and len(got) == 2
    assert lock.is_file()  # another's lock is left alone
    # the holder is no longer running: its lock is taken over at once
    path.unlink()
    gone = multiprocessing.get_context("fork").Process(target=int)
    gone.start()
    gone.join()
    lock.write_text(f"{socket.gethostname()} {gone.pid}\n")
    _slow_table(path, marks, wait=120)
    assert marks.read_text() == "computed\n" * 2
    assert not lock.exists() and path.is_file()
