"""Size and power of the test battery on the real returns (Brown and Warner 1985).

Pseudo-events are placed on randomly drawn trade dates of the real asset
(CBOT soybeans against SPY and UUP in the first study), with no effect added:
a valid test rejects the true null at 5% in about 5% of the replications.
Adding a known abnormal return to the day-0 return of every pseudo-event
gives the power. The small configuration runs in the test suite; the full
size run (:func:`run_size_power`) is for the report and the benchmark, and
:func:`bench_placebo` times the placebo distribution of the article's study.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .engine import estimate_arrays
from .exceptions import InferenceError
from .inference import (
    TEST_NAMES,
    group_tests,
    per_event_tests,
    placebo_distribution,
    placebo_eligible,
)

__all__ = [
    "ReturnArrays",
    "load_return_arrays",
    "simulate_tests",
    "run_size_power",
    "bench_placebo",
    "EVENT_TESTS",
    "ARTICLE_EVENT_DATES",
]

logger = logging.getLogger(__name__)

#: Single-event tests reported beside the group tests of the battery.
EVENT_TESTS = ("event-t", "sq", "event-placebo")

#: Trade dates of the article's two events: the Trump-Xi meeting in Busan
#: (11:00 Seoul on 2025-10-30, i.e. the overnight session of the 2025-10-30
#: trade date) and the Trump-Xi phone call of Monday 2025-11-24.
ARTICLE_EVENT_DATES = ("2025-10-30", "2025-11-24")

SIM_COLUMNS = [
    "abnormal", "start", "end", "test", "rejections", "trials", "rate", "mc_se", "n_events",
]


@dataclass(frozen=True)
class ReturnArrays:
    """The engine's positional inputs for one asset and its factors.

    Attributes
    ----------
    dates : DatetimeIndex, (T,)
        The asset's trade dates.
    y : ndarray, (T,)
        Asset returns.
    X : ndarray, (T, m)
        Factor returns on the asset's dates.
    valid : ndarray of bool, (T,)
        Asset and factor returns present and the date not a roll day.
    est_ok : ndarray of bool, (T,)
        ``valid`` and not a thin-trading day.
    asset : str
    factors : tuple of str
    """

    dates: pd.DatetimeIndex
    y: np.ndarray
    X: np.ndarray
    valid: np.ndarray
    est_ok: np.ndarray
    asset: str
    factors: tuple

    def positions(self, dates) -> np.ndarray:
        """Positions of the first trade dates on or after ``dates``."""
        d = pd.DatetimeIndex(pd.to_datetime(list(dates)))
        return self.dates.searchsorted(d, side="left").astype(np.int64)


def load_return_arrays(prices_dir=None, asset="ZS=F", factors=("SPY", "UUP"), *,
                       start=None, end=None) -> ReturnArrays:
    """Read prices, compute log returns and masks, as the study does.

    Parameters
    ----------
    prices_dir : path, optional
        Snapshot folder (default ``$EVENTSTUDY_PRICES_DIR``, see
        :func:`eventstudy.data.load_prices`).
    asset : str
    factors : sequence of str
    start, end : date-like, optional

    Returns
    -------
    ReturnArrays
        Roll days of the asset and of continuous-futures factors are masked
        and thin-trading days of the asset are left out of ``est_ok``
        (:func:`eventstudy.returns.prepare_returns`).
    """
    from .data import load_prices
    from .returns import prepare_returns

    factors = tuple(factors)
    prices = load_prices([asset, *factors], start=start, end=end, prices_dir=prices_dir)
    # Returns exist only where every series has prices: start at the latest
    # first date (UUP begins in 2007) instead of flagging years of missing
    # factor prices.
    common = max(frame.index[0] for frame in prices.values() if len(frame))
    prices = {t: frame.loc[common:] for t, frame in prices.items()}
    data = prepare_returns(prices, asset, factors)
    ret = data.returns
    y = ret[asset].to_numpy(dtype=np.float64)
    X = ret[list(factors)].to_numpy(dtype=np.float64).reshape(len(ret), len(factors))
    roll = data.roll.reindex(ret.index, fill_value=False).to_numpy(dtype=bool)
    thin = data.thin.reindex(ret.index, fill_value=False).to_numpy(dtype=bool)
    valid = np.isfinite(y) & np.isfinite(X).all(axis=1) & ~roll
    n_roll, n_thin = int(roll.sum()), int((thin & valid).sum())
    logger.info(
        "%s: %d returns, %d roll days masked, %d thin days left out of estimation samples",
        asset, len(y), n_roll, n_thin,
    )
    return ReturnArrays(
        dates=pd.DatetimeIndex(ret.index),
        y=y,
        X=X,
        valid=valid,
        est_ok=valid & ~thin,
        asset=asset,
        factors=factors,
    )


def _draw_events(rng, eligible, n_events, span):
    """n_events distinct eligible positions whose widest windows do not overlap."""
    for _ in range(1000):
        d = np.sort(rng.choice(eligible, size=n_events, replace=False))
        if n_events < 2 or np.diff(d).min() > span:
            return d
    raise InferenceError(
        f"could not place {n_events} non-overlapping pseudo-events among {eligible.size} "
        f"eligible dates; use fewer events"
    )


def simulate_tests(
    y,
    X,
    valid,
    est_ok,
    *,
    model="market",
    estimation=(-250, -11),
    windows=((0, 0), (-1, 1), (0, 5)),
    n_events=10,
    reps=500,
    abnormal=0.0,
    alpha=0.05,
    placebo_draws=10_000,
    placebo_groups=1000,
    seed=0,
    min_estimation_days=100,
) -> pd.DataFrame:
    """Rejection rates of every test on pseudo-events of the real returns.

    Parameters
    ----------
    y, X, valid, est_ok
        The engine's inputs (e.g. from :func:`load_return_arrays`).
    model, estimation, windows, min_estimation_days
        Study settings passed to the engine.
    n_events : int
        Events per replication (one group, sign +1).
    reps : int
        Replications.
    abnormal : float
        Abnormal return added to the day-0 return of every pseudo-event
        (log-return units, e.g. 0.01); 0 measures the size.
    alpha : float
        Test level.
    placebo_draws : int
        Pseudo-events of the placebo distribution (drawn once).
    placebo_groups : int
        Pseudo groups per replication for the group placebo test.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    DataFrame
        Columns ``abnormal, start, end, test, rejections, trials, rate, mc_se,
        n_events``. Group tests (names of :data:`eventstudy.inference.TEST_NAMES`)
        have one trial per replication; the single-event tests (engine t test
        ``event-t``, ``sq``, ``event-placebo``) one per event and replication.
        ``mc_se`` = √(α(1 - α)/trials), the Monte Carlo standard error of a
        rejection rate whose true value is α.

    Notes
    -----
    Brown and Warner (1985): each replication draws ``n_events`` distinct day-0
    positions uniformly among the dates eligible as pseudo-events (enough
    estimation days, day-0 return present; see
    :func:`eventstudy.inference.placebo_eligible`), redrawing until their
    widest windows do not overlap, so that the events are separate news days
    of one asset as in a catalogue. ``abnormal`` is added to the asset's
    day-0 returns, the engine runs on the replication's events (other-event
    exclusion on), and the battery and the single-event tests are applied.
    A test that cannot be computed in a replication (NaN p-value) counts as
    a trial without rejection. The placebo distribution is drawn once, with
    no catalogued event to avoid, and shared by the replications; each
    replication draws its own pseudo groups (its own seed), so that the
    replications' placebo decisions do not share one set of pseudo groups.

    References
    ----------
    Brown, S. J., Warner, J. B. (1985). Using daily stock returns: the case of
    event studies. Journal of Financial Economics, 14(1), 3-31.
    """
    y = np.asarray(y, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    est_ok = np.asarray(est_ok, dtype=bool)
    windows = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    W = windows.shape[0]
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 1:
        raise InferenceError(f"reps must be a positive integer; got {reps!r}")
    rng = np.random.default_rng(seed)
    eligible = placebo_eligible(
        valid, est_ok, estimation=estimation, windows=windows, event_day0=[],
        min_estimation_days=min_estimation_days,
    )
    if eligible.size < n_events:
        raise InferenceError(
            f"only {eligible.size} eligible dates for {n_events} pseudo-events per replication"
        )
    placebo = placebo_distribution(
        y, X, valid, est_ok, model=model, estimation=estimation, windows=windows,
        event_day0=[], draws=placebo_draws, seed=int(rng.integers(2**31)),
        min_estimation_days=min_estimation_days,
    )
    span = int(windows[:, 1].max() - windows[:, 0].min())
    group_names = list(TEST_NAMES)
    rej = {t: np.zeros(W, dtype=np.int64) for t in group_names + list(EVENT_TESTS)}
    trials = {t: np.zeros(W, dtype=np.int64) for t in rej}
    sign = np.ones(n_events)
    idx = np.arange(n_events)
    for _ in range(reps):
        day0 = _draw_events(rng, eligible, n_events, span)
        y_r = y
        if abnormal:
            y_r = y.copy()
            y_r[day0] += abnormal
        arrays = estimate_arrays(
            y_r, X, valid, est_ok, day0, model=model, estimation=estimation, windows=windows,
            min_estimation_days=min_estimation_days,
        )
        rep_placebo = replace(placebo, seed=int(rng.integers(2**31)))
        res = group_tests(arrays, idx, sign, placebo=rep_placebo, placebo_groups=placebo_groups)
        for t, r in res.items():
            rej[t] += np.nan_to_num(r.p_value, nan=1.0) <= alpha
            trials[t] += 1
        ev = per_event_tests(arrays, placebo=placebo)
        for t, p in (("event-t", arrays.pvalue), ("sq", ev["sq_p"]),
                     ("event-placebo", ev["placebo_p"])):
            rej[t] += (np.nan_to_num(p, nan=1.0) <= alpha).sum(axis=0)
            trials[t] += n_events
    rows = []
    for t in rej:
        for w in range(W):
            n = int(trials[t][w])
            rows.append({
                "abnormal": float(abnormal),
                "start": int(windows[w, 0]),
                "end": int(windows[w, 1]),
                "test": t,
                "rejections": int(rej[t][w]),
                "trials": n,
                "rate": rej[t][w] / n,
                "mc_se": float(np.sqrt(alpha * (1 - alpha) / n)),
                "n_events": int(n_events),
            })
    return pd.DataFrame(rows, columns=SIM_COLUMNS)


def run_size_power(prices_dir=None, *, asset="ZS=F", factors=("SPY", "UUP"), model="market",
                   estimation=(-250, -11), windows=((0, 0), (-1, 1), (0, 5)), n_events=20,
                   reps=1000, abnormal=(0.0, 0.01, 0.02), alpha=0.05, placebo_draws=10_000,
                   placebo_groups=1000, seed=0) -> pd.DataFrame:
    """The full-size simulation on the real snapshot: size (abnormal 0) and power.

    Parameters
    ----------
    prices_dir : path, optional
        Snapshot folder (default ``$EVENTSTUDY_PRICES_DIR``).
    abnormal : sequence of float
        Abnormal day-0 log returns; 0 gives the size, the others the power.
    Other parameters
        As :func:`simulate_tests`.

    Returns
    -------
    DataFrame
        :func:`simulate_tests` rows for each abnormal size, stacked; a column
        ``within_3se`` marks null rates within 3 Monte Carlo standard errors
        of ``alpha`` (NaN for the power rows).
    """
    data = load_return_arrays(prices_dir, asset, factors)
    frames = []
    for i, delta in enumerate(abnormal):
        frames.append(simulate_tests(
            data.y, data.X, data.valid, data.est_ok, model=model, estimation=estimation,
            windows=windows, n_events=n_events, reps=reps, abnormal=float(delta), alpha=alpha,
            placebo_draws=placebo_draws, placebo_groups=placebo_groups, seed=seed + i,
        ))
    out = pd.concat(frames, ignore_index=True)
    null = out["abnormal"] == 0
    within = (out["rate"] - alpha).abs() <= 3 * out["mc_se"]
    out["within_3se"] = within.where(null, other=np.nan) if null.any() else np.nan
    return out


def bench_placebo(prices_dir=None, *, draws=10_000, seed=0, repeat=3, model="market",
                  estimation=(-250, -11), windows=((-1, 1), (0, 0), (0, 1), (0, 5))) -> dict:
    """Time :func:`eventstudy.inference.placebo_distribution` on the article's study.

    ZS=F against SPY and UUP, the article's two events
    (:data:`ARTICLE_EVENT_DATES`), ``draws`` pseudo-events.

    Returns
    -------
    dict
        ``seconds`` (best of ``repeat`` runs), ``mean_seconds``, ``draws``,
        ``n_eligible``, ``pseudo_events_per_second``, ``reproducible`` (two
        runs with the same seed give identical CARs).
    """
    data = load_return_arrays(prices_dir, "ZS=F", ("SPY", "UUP"))
    day0 = data.positions(ARTICLE_EVENT_DATES)
    times, results = [], []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        results.append(placebo_distribution(
            data.y, data.X, data.valid, data.est_ok, model=model, estimation=estimation,
            windows=windows, event_day0=day0, draws=draws, seed=seed,
        ))
        times.append(time.perf_counter() - t0)
    result = results[0]
    same = all(np.array_equal(result.car, r.car, equal_nan=True) for r in results[1:])
    best = min(times)
    return {
        "seconds": best,
        "mean_seconds": float(np.mean(times)),
        "draws": int(draws),
        "n_eligible": int(result.n_eligible),
        "pseudo_events_per_second": draws / best,
        "reproducible": bool(same) if repeat > 1 else None,
    }
