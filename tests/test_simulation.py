"""Size and power of the battery on the real soybean returns (Brown-Warner 1985).

The configuration here is small enough for the suite (a few seconds) but
large enough to be a real check: 600 replications of 20 pseudo-events put the
Monte Carlo standard error of a 5% rejection rate at 0.89 points, so a test
that rejected 8% of true nulls fails. The masks are the study's defaults
(roll days missing, thin-trading days left out of estimation samples). The
full-size run is ``eventstudy.simulation.run_size_power`` (report and
benchmark).

Known size distortions on these returns are pinned as strict xfails, so that
the suite says which tests do not hold their size and notices if that
changes: Patell's Z and the single-event t and SQ tests reject a true null
more often than 5%, because the estimation-period variance understates the
event-day variance (volatility clustering, and thin-trading days, about 15%
more volatile, are left out of the estimation samples but not out of event
windows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy import inference as inf
from eventstudy import simulation as sim
from eventstudy.exceptions import InferenceError

pytestmark = [
    pytest.mark.snapshot,
    pytest.mark.filterwarnings("ignore::eventstudy.exceptions.DataQualityWarning"),
]

ALPHA = 0.05
REPS = 600
N_EVENTS = 20


@pytest.fixture(scope="module")
def soy(request):
    return sim.load_return_arrays(request.getfixturevalue("prices_dir"), "ZS=F", ("SPY", "UUP"))


@pytest.fixture(scope="module")
def null_run(soy):
    return sim.simulate_tests(
        soy.y, soy.X, soy.valid, soy.est_ok, model="market", n_events=N_EVENTS, reps=REPS,
        abnormal=0.0, alpha=ALPHA, placebo_draws=10_000, placebo_groups=500, seed=20240501,
    )


def test_return_arrays_mask_rolls_and_thin_days(soy):
    assert soy.y.shape == soy.valid.shape == soy.est_ok.shape
    assert soy.X.shape == (soy.y.size, 2)
    # est_ok is a subset of valid, and valid days have every return.
    assert not (soy.est_ok & ~soy.valid).any()
    assert np.isfinite(soy.y[soy.valid]).all() and np.isfinite(soy.X[soy.valid]).all()
    # Contract switches are masked: the largest soybean roll gaps are gone.
    assert np.abs(soy.y[soy.valid]).max() < np.nanmax(np.abs(soy.y))
    assert soy.dates[0] >= pd.Timestamp("2007-03-01")  # UUP's first price


OVER_REJECTS = "over-rejects on soybean returns: estimation variance understates event-day variance"


def _check_size(null_run, test, trials):
    rows = null_run[null_run["test"] == test]
    assert len(rows) == 3 and (rows["trials"] == trials).all()
    se = np.sqrt(ALPHA * (1 - ALPHA) / trials)
    np.testing.assert_allclose(rows["mc_se"], se, rtol=1e-12, atol=0)
    bad = rows[(rows["rate"] - ALPHA).abs() > 3 * se]
    assert bad.empty, f"{test}: rejection rates beyond 3 Monte Carlo SE ({se:.4f}) of 5%:\n{bad}"


@pytest.mark.parametrize(
    "test",
    [
        pytest.param(t, marks=pytest.mark.xfail(strict=True, reason=OVER_REJECTS))
        if t == "patell" else t
        for t in inf.TEST_NAMES
    ],
)
def test_null_rejection_rate_within_monte_carlo_error(null_run, test):
    _check_size(null_run, test, REPS)


@pytest.mark.parametrize(
    "test",
    [
        pytest.param("event-t", marks=pytest.mark.xfail(strict=True, reason=OVER_REJECTS)),
        pytest.param("sq", marks=pytest.mark.xfail(strict=True, reason=OVER_REJECTS)),
        "event-placebo",
    ],
)
def test_single_event_rejection_rate(null_run, test):
    _check_size(null_run, test, REPS * N_EVENTS)


def test_rates_are_counts_over_trials(null_run):
    np.testing.assert_allclose(
        null_run["rate"], null_run["rejections"] / null_run["trials"], rtol=1e-12, atol=0
    )
    assert list(null_run.columns) == sim.SIM_COLUMNS


def test_power_grows_with_the_abnormal_return(soy):
    kw = dict(model="market", windows=((0, 0),), n_events=N_EVENTS, reps=60,
              placebo_draws=3000, placebo_groups=300, seed=7)
    small = sim.simulate_tests(soy.y, soy.X, soy.valid, soy.est_ok, abnormal=0.005, **kw)
    large = sim.simulate_tests(soy.y, soy.X, soy.valid, soy.est_ok, abnormal=0.02, **kw)
    s = small.set_index("test")["rate"]
    g = large.set_index("test")["rate"]
    assert (g[list(inf.TEST_NAMES)] > 0.9).all(), g
    assert (g >= s).all()
    # A 2% day-0 shock is about 1.3 daily standard deviations: a single event
    # is often missed, ten events together almost never.
    assert g["event-t"] < g["cross-sectional-t"]


def test_simulation_reproducible_with_seed(soy):
    kw = dict(model="market", windows=((0, 0), (-1, 1)), n_events=5, reps=15,
              placebo_draws=1000, placebo_groups=200)
    a = sim.simulate_tests(soy.y, soy.X, soy.valid, soy.est_ok, seed=3, **kw)
    b = sim.simulate_tests(soy.y, soy.X, soy.valid, soy.est_ok, seed=3, **kw)
    pd.testing.assert_frame_equal(a, b)


def test_simulation_errors(soy):
    with pytest.raises(InferenceError, match="reps must be a positive integer; got 0"):
        sim.simulate_tests(soy.y, soy.X, soy.valid, soy.est_ok, reps=0)
    with pytest.raises(InferenceError, match="could not place 400 non-overlapping pseudo-events"):
        sim.simulate_tests(soy.y, soy.X, soy.valid, soy.est_ok, reps=1, n_events=400,
                           windows=((-10, 10),), estimation=(-250, -11), placebo_draws=500)


def test_bench_placebo_runs_on_the_article_study(prices_dir):
    out = sim.bench_placebo(prices_dir, draws=2000, repeat=2)
    assert out["draws"] == 2000 and out["reproducible"] is True
    assert out["n_eligible"] > 2000 and out["seconds"] > 0


def test_run_size_power_marks_null_rows(prices_dir):
    out = sim.run_size_power(prices_dir, reps=8, n_events=4, abnormal=(0.0, 0.01),
                             placebo_draws=500, placebo_groups=100, windows=((0, 0),))
    null = out[out["abnormal"] == 0]
    power = out[out["abnormal"] > 0]
    assert null["within_3se"].notna().all() and power["within_3se"].isna().all()
    expected = (null["rate"] - ALPHA).abs() <= 3 * null["mc_se"]
    assert (null["within_3se"].astype(bool) == expected).all()
