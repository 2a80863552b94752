"""Size and power of the test battery (Brown and Warner 1985).

Pseudo-events are placed on randomly drawn trade dates with no effect added:
a valid test rejects the true null at 5% in about 5% of the replications.
Adding a known abnormal return to the day-0 return of every pseudo-event
gives the power. Two kinds of returns:

- the real asset (:func:`load_return_arrays`: CBOT soybeans against SPY and
  UUP, with the study's masks), which says which tests survive these
  returns;
- iid returns of a known market model with normal or Student-t(4)
  disturbances (:func:`synthetic_return_arrays`), where every test must hold
  its size: a failure there is an implementation error.

Pseudo-event windows are clean by default (``clean_windows``): every day of
the widest window is a day the estimation sample could hold, so no roll day
and, with the thin-trading exclusion on, no thin-trading (delivery-period)
day. Thin days are left out of estimation samples but their abnormal returns
are about 15% more volatile; pseudo windows on them had a variance the
estimation sample understates, which made Patell's Z reject 8.6% of true
nulls on [0, 0]. The study reports a real event whose window holds thin days
as a flagged, separate case; the simulation measures the clean case.

What the simulation finds depends on the asset and the study's settings, so
it is measured where it is used: :func:`size_check` for each study and asset
(the report and ``eventstudy run`` grade only the single-event tests that
hold their size there), and :func:`run_size_power` for the full table of
page 5 of the report. Single-event trials of one asset reuse its history's
eligible days, so beyond the Monte Carlo SE the history itself limits how
finely a size can be known.

The small configuration runs in the test suite; the full-size run
(:func:`run_size_power`) is for the report and the benchmark, and
:func:`bench_placebo` times the placebo distribution of a study's events.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from .estimate import estimate_arrays
from .exceptions import InferenceError
from .inference import (
    SQ_DRAWS,
    SQ_SCREEN,
    TEST_NAMES,
    _event_statistics,
    _ranks_u_shifted,
    _replicated_group_pvalues,
    _sq_sample,
    placebo_distribution,
    placebo_eligible,
    sq_pvalues,
    sq_pvalues_shifted,
)
from .options import check_option
from .volatility import ewma_event_tests, fixed_garch_params

__all__ = [
    "SizeCheck",
    "size_check",
    "SIZE_CHECK_REPS",
    "POWER_GRID",
    "EVENT_TEST_COLUMNS",
    "EVENT_TEST_LABELS",
    "ReturnArrays",
    "load_return_arrays",
    "synthetic_return_arrays",
    "SyntheticDist",
    "SIM_COLUMNS",
    "simulate_tests",
    "run_size_power",
    "bench_placebo",
    "EVENT_TESTS",
]

logger = logging.getLogger(__name__)

#: Single-event tests reported beside the group tests of the battery.
EVENT_TESTS = ("event-t", "sq", "event-placebo", "garch")

#: Disturbance distributions of :func:`synthetic_return_arrays`.
SyntheticDist = Literal["normal", "t4"]

#: Columns of the tables of :func:`simulate_tests` and :func:`run_size_power`.
SIM_COLUMNS = [
    "setting", "test", "window", "start", "end", "abnormal", "rate", "mc_se", "within_3se",
    "rejections", "trials", "n_events",
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
        Days allowed in estimation samples: ``valid`` and, with the
        thin-trading exclusion on, not a thin-trading day.
    asset : str
    factors : tuple of str
    thin : ndarray of bool, (T,)
        Thin-trading (delivery-period) days of the asset.
    """

    dates: pd.DatetimeIndex
    y: np.ndarray
    X: np.ndarray
    valid: np.ndarray
    est_ok: np.ndarray
    asset: str
    factors: tuple
    thin: np.ndarray = None

    def positions(self, dates) -> np.ndarray:
        """Positions of the first trade dates on or after ``dates``."""
        d = pd.DatetimeIndex(pd.to_datetime(list(dates)))
        return self.dates.searchsorted(d, side="left").astype(np.int64)


def load_return_arrays(prices_dir=None, asset="ZS=F", factors=("SPY", "UUP"), *,
                       start=None, end=None, exclude_thin_trading=True) -> ReturnArrays:
    """Read prices, compute log returns and masks, as the study does.

    Parameters
    ----------
    prices_dir : path, optional
        Snapshot folder (default ``$EVENTSTUDY_PRICES_DIR``, see
        :func:`eventstudy.prices.load_prices`).
    asset : str
    factors : sequence of str
    start, end : date-like, optional
    exclude_thin_trading : bool
        Leave the asset's thin-trading days out of ``est_ok`` (the study's
        default).

    Returns
    -------
    ReturnArrays
        Roll days of the asset and of continuous-futures factors are masked
        and, with ``exclude_thin_trading``, thin-trading days of the asset
        are left out of ``est_ok`` (:func:`eventstudy.panel.prepare_returns`).
    """
    from .panel import common_span, prepare_returns
    from .prices import load_prices

    factors = tuple(factors)
    prices = load_prices([asset, *factors], start=start, end=end, prices_dir=prices_dir)
    # Returns exist only where every series has prices (UUP begins in 2007).
    first, last = common_span(prices)
    data = prepare_returns(prices, asset, factors, start=first, end=last)
    ret = data.returns
    y = ret[asset].to_numpy(dtype=np.float64)
    X = ret[list(factors)].to_numpy(dtype=np.float64).reshape(len(ret), len(factors))
    roll = data.roll.to_numpy(dtype=bool)
    thin = data.thin.to_numpy(dtype=bool)
    valid = data.valid.to_numpy(dtype=bool)
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
        est_ok=valid & ~thin if exclude_thin_trading else valid.copy(),
        asset=asset,
        factors=factors,
        thin=thin,
    )


def synthetic_return_arrays(dist="normal", *, n_days=4000, n_factors=2, sigma=0.015,
                            factor_sigma=0.01, alpha=0.0002, beta=(0.4, -0.3),
                            seed=0) -> ReturnArrays:
    """IID returns from a known market model: the benchmark where every test must hold.

    Parameters
    ----------
    dist : {'normal', 't4'}
        Distribution of the asset's disturbances: normal, or Student t with
        4 degrees of freedom scaled to unit variance (t₄/√2; fat tails,
        kurtosis infinite), both times ``sigma``.
    n_days : int
        Trade days (a business-day calendar from 2000-01-03).
    n_factors : int
        Factors, iid normal with standard deviation ``factor_sigma``.
    sigma, alpha : float
        Disturbance scale and intercept of R_t = α + β'X_t + σ ε_t.
    beta : sequence of float
        Slopes (the first ``n_factors`` are used).
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ReturnArrays
        Every day valid, no thin-trading day; ``asset`` names the setting
        (``iid-normal`` or ``iid-t4``).
    """
    dist = check_option("dist", dist, SyntheticDist)
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, factor_sigma, size=(n_days, n_factors))
    if dist == "normal":
        eps = rng.standard_normal(n_days)
    else:
        eps = rng.standard_t(4, size=n_days) / np.sqrt(2.0)
    b = np.asarray(beta, dtype=np.float64)[:n_factors]
    y = alpha + X @ b + sigma * eps
    ones = np.ones(n_days, dtype=bool)
    return ReturnArrays(
        dates=pd.bdate_range("2000-01-03", periods=n_days, name="date"),
        y=y,
        X=X,
        valid=ones,
        est_ok=ones.copy(),
        asset=f"iid-{dist}",
        factors=tuple(f"F{j + 1}" for j in range(n_factors)),
        thin=np.zeros(n_days, dtype=bool),
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


def _add_day0_abnormal(arrays, abnormal):
    """Engine output as if ``abnormal`` were added to every event's day-0 return.

    Day 0 is in the event's own widest window, which other-event exclusion
    keeps out of every other event's estimation sample (and the simulation's
    windows do not overlap), so the shift moves the day-0 abnormal return and
    the CARs of the windows holding day 0 only: the same arrays as re-running
    the engine on the shifted returns, without a copy of the returns per
    replication.
    """
    rel = np.asarray(arrays.rel_win)
    if not (rel == 0).any():
        return arrays
    c0 = int(np.flatnonzero(rel == 0)[0])
    has = np.isfinite(arrays.ar[:, c0])
    ar = arrays.ar.copy()
    ret = arrays.ret.copy()
    ar[has, c0] += abnormal
    ret[has, c0] += abnormal
    holds = (arrays.windows[:, 0] <= 0) & (arrays.windows[:, 1] >= 0)
    car = arrays.car + np.where(has[:, None] & holds[None, :], abnormal, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = car / arrays.car_se
    dof = np.maximum(arrays.dof, 1)[:, None].astype(np.float64)
    pvalue = 2.0 * special.stdtr(dof, -np.abs(tstat))
    return replace(arrays, ar=ar, ret=ret, car=car, tstat=tstat, pvalue=pvalue)


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
    clean_windows=True,
    setting="",
    group_tests=True,
) -> pd.DataFrame:
    """Rejection rates of every test on pseudo-events of a return series.

    Parameters
    ----------
    y, X, valid, est_ok
        The engine's inputs (e.g. from :func:`load_return_arrays` or
        :func:`synthetic_return_arrays`).
    model, estimation, windows, min_estimation_days
        Study settings passed to the engine.
    n_events : int
        Events per replication (one group, sign +1).
    reps : int
        Replications.
    abnormal : float or sequence of float
        Abnormal return added to the day-0 return of every pseudo-event
        (log-return units, e.g. 0.01); 0 measures the size. Several sizes
        are tested on the same pseudo-events (common random numbers: the
        power curve is smooth in the size).
    alpha : float
        Test level.
    placebo_draws : int
        Pseudo-events of the placebo distribution (drawn once).
    placebo_groups : int
        Pseudo groups per replication for the group placebo test.
    seed : int
        Seed of ``numpy.random.default_rng``.
    clean_windows : bool
        Draw pseudo-events (and the placebo distribution's) only where every
        day of the widest event window could be an estimation day
        (``est_ok & valid``: no missing or roll day and, when ``est_ok``
        leaves thin-trading days out — the study's
        ``exclude_thin_trading = true`` — no thin-trading day). Default on:
        the study reports an event window on thin days as a separate,
        flagged case. Off, only day 0 needs a return (the behaviour of
        earlier versions; pseudo windows then include thin days, whose
        variance the estimation sample does not describe).
    setting : str
        Label written in the ``setting`` column (e.g. ``real`` or
        ``iid-t4``).
    group_tests : bool
        Also run the group tests of the battery (default); off, only the
        single-event tests (the size check of a study's report).

    Returns
    -------
    DataFrame
        Columns :data:`SIM_COLUMNS`: ``setting, test, window, start, end,
        abnormal, rate, mc_se, within_3se, rejections, trials, n_events``.
        Group tests (names of :data:`eventstudy.inference.TEST_NAMES`) have
        one trial per replication; the single-event tests (engine t test
        ``event-t``, ``sq``, ``event-placebo`` and ``garch``, the
        fixed-parameter GARCH(1, 1) filter of a study's ``volatility =
        "garch"`` with its parameters from one fit on the whole series,
        :func:`eventstudy.volatility.fixed_garch_params`) one per event and
        replication. ``mc_se`` = √(α(1 - α)/trials), the Monte Carlo
        standard error of a rejection rate whose true value is α (for
        ``event-placebo`` √(α(1 - α)(1/trials + 1/placebo_draws)): every
        trial is judged against the one placebo pool, whose own 5% tail is
        estimated from ``placebo_draws`` pseudo-events);
        ``within_3se`` (null rows only, else missing) marks
        |rate - α| <= 3 mc_se.

    Notes
    -----
    Brown and Warner (1985): each replication draws ``n_events`` distinct day-0
    positions uniformly among the eligible dates (enough estimation days,
    day-0 return present, clean windows as above; see
    :func:`eventstudy.inference.placebo_eligible`), redrawing until their
    widest windows do not overlap, so that the events are separate news days
    of one asset as in a catalogue. ``abnormal`` is added to the asset's
    day-0 returns, the engine runs on the replication's events (other-event
    exclusion on), and the battery and the single-event tests are applied.
    A test that cannot be computed in a replication (NaN p-value) counts as
    a trial without rejection. The placebo distribution is drawn once, with
    no catalogued event to avoid, and shared by the replications; each
    replication draws its own pseudo groups, so that the replications'
    placebo decisions do not share one set of pseudo groups.

    Computation: the replications run in blocks of about 5,000 events. One
    engine call fits a block, with other-event exclusion inside each
    replication only (``event_groups`` of
    :func:`eventstudy.estimate.estimate_arrays`); the abnormal return is added
    to the engine's day-0 abnormal returns and CARs, which is the same as
    adding it to the returns, since day 0 lies in no other event's sample
    (:func:`_add_day0_abnormal`, tested against re-running the engine); and
    the battery runs along the replication axis with the same statistics as
    :func:`eventstudy.inference.group_tests` on each replication (tested to
    rounding), the placebo's pseudo groups drawn exactly (without
    replacement) for every replication at once.

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
    window_ok = None if clean_windows else np.ones(valid.shape, dtype=bool)
    rng = np.random.default_rng(seed)
    eligible = placebo_eligible(
        valid, est_ok, estimation=estimation, windows=windows, event_day0=[],
        min_estimation_days=min_estimation_days, window_ok=window_ok,
    )
    if eligible.size < n_events:
        raise InferenceError(
            f"only {eligible.size} eligible dates for {n_events} pseudo-events per replication"
        )
    placebo = placebo_distribution(
        y, X, valid, est_ok, model=model, estimation=estimation, windows=windows,
        event_day0=[], draws=placebo_draws, seed=int(rng.integers(2**31)),
        min_estimation_days=min_estimation_days, window_ok=window_ok,
    )
    span = int(windows[:, 1].max() - windows[:, 0].min())
    sizes = [float(a) for a in np.atleast_1d(np.asarray(abnormal, dtype=np.float64))]
    # the fixed-parameter GARCH filter's parameters: one fit on the whole series
    garch_params = fixed_garch_params(y, X, est_ok, model)
    group_names = list(TEST_NAMES) if group_tests else []
    tests = group_names + list(EVENT_TESTS)
    rej = {(d, t): np.zeros(W, dtype=np.int64) for d in sizes for t in tests}
    trials = {k: np.zeros(W, dtype=np.int64) for k in rej}
    # Replications in blocks: one engine call per block (other-event exclusion
    # within each replication, event_groups) and the battery along the
    # replication axis; a block of 250 x 20 events stays near 100 MB. Every
    # abnormal size is tested on the same pseudo-events (common random numbers).
    block = max(1, 5000 // max(n_events, 1))
    for start in range(0, reps, block):
        b = min(block, reps - start)
        day0 = np.stack([_draw_events(rng, eligible, n_events, span) for _ in range(b)])
        null = estimate_arrays(
            y, X, valid, est_ok, day0.ravel(), model=model, estimation=estimation,
            windows=windows, min_estimation_days=min_estimation_days,
            event_groups=np.repeat(np.arange(b), n_events),
        )
        idx = np.arange(b * n_events).reshape(b, n_events)
        # What the abnormal return leaves alone is computed once per block: the
        # estimation-sample statistics, the GARCH variances, the placebo's
        # pseudo groups; the ranks are updated for the shifted day 0.
        stats0 = _event_statistics(null) if group_tests else None
        garch_se = ewma_event_tests(null, params=garch_params).car_se
        pseudo = {}
        c0 = int(np.flatnonzero(np.asarray(null.rel_win) == 0)[0]) \
            if (np.asarray(null.rel_win) == 0).any() else None
        # Many sizes share the SQ's permutation sums (sq_pvalues_shifted, one
        # set of sums for all); a few are cheaper one by one behind the screen.
        # Both give the same p-values (tested).
        sq_all = (sq_pvalues_shifted(null.car, null.est_ar, null.windows, null.ar, null.rel_win,
                                     sizes, draws=SQ_DRAWS, screen=SQ_SCREEN)
                  if len(sizes) > 3 else None)
        sample = _sq_sample(null.est_ar) if sq_all is None else None
        for i_size, delta in enumerate(sizes):
            arrays = _add_day0_abnormal(null, delta) if delta else null
            sq = sq_all[i_size] if sq_all is not None else sq_pvalues(
                arrays.car, arrays.est_ar, arrays.windows, window_ar=arrays.ar,
                rel_win=arrays.rel_win, draws=SQ_DRAWS, screen=SQ_SCREEN, _sample=sample)
            res = {}
            if group_tests:
                ev = stats0 if not delta or c0 is None else stats0._replace(
                    u=_ranks_u_shifted(stats0.u, null.est_ar, null.ar, c0, delta))
                res = _replicated_group_pvalues(arrays, idx, placebo=placebo,
                                                placebo_groups=placebo_groups, rng=rng, ev=ev,
                                                pseudo=pseudo)
            with np.errstate(divide="ignore", invalid="ignore"):
                z = arrays.car / garch_se
            res.update({"event-t": arrays.pvalue, "sq": sq,
                        "event-placebo": placebo.event_pvalues(arrays.car),
                        "garch": np.where(np.isfinite(z), 2.0 * special.ndtr(-np.abs(z)),
                                          np.nan)})
            for t, p in res.items():
                rej[delta, t] += (np.nan_to_num(p, nan=1.0) <= alpha).sum(axis=0)
                trials[delta, t] += b if t in group_names else b * n_events
    rows = []
    for (delta, t), r in rej.items():
        for w in range(W):
            n = int(trials[delta, t][w])
            rows.append({
                "setting": str(setting),
                "test": t,
                "window": f"[{int(windows[w, 0])}, {int(windows[w, 1])}]",
                "start": int(windows[w, 0]),
                "end": int(windows[w, 1]),
                "abnormal": delta,
                "rejections": int(r[w]),
                "trials": n,
                "rate": r[w] / n,
                "mc_se": float(np.sqrt(alpha * (1 - alpha) * (
                    1.0 / n + (1.0 / placebo_draws if t == "event-placebo" else 0.0)))),
                "n_events": int(n_events),
            })
    out = pd.DataFrame(rows)
    within = (out["rate"] - alpha).abs() <= 3 * out["mc_se"]
    out["within_3se"] = pd.array(within.where(out["abnormal"] == 0.0), dtype="boolean")
    return out[SIM_COLUMNS]


def run_size_power(prices_dir=None, *, settings=("real", "iid-normal", "iid-t4"), asset="ZS=F",
                   factors=("SPY", "UUP"), model="market", estimation=(-250, -11),
                   windows=((0, 0), (-1, 1), (0, 5)), n_events=20, reps=2000,
                   abnormal=(0.0, 0.01, 0.02), alpha=0.05, placebo_draws=10_000,
                   placebo_groups=1000, exclude_thin_trading=True, clean_windows=True,
                   seed=0, min_estimation_days=100, real=None) -> pd.DataFrame:
    """The full-size simulation: size (abnormal 0) and power, real and synthetic returns.

    Parameters
    ----------
    prices_dir : path, optional
        Snapshot folder (default ``$EVENTSTUDY_PRICES_DIR``), for the
        ``real`` setting.
    settings : sequence of {'real', 'iid-normal', 'iid-t4'}
        ``real``: ``asset`` against ``factors`` from the snapshot
        (:func:`load_return_arrays`); ``iid-normal`` and ``iid-t4``: returns
        of a known market model with iid normal or Student-t(4) disturbances
        (:func:`synthetic_return_arrays`, seeded from ``seed``), where every
        test must hold its size.
    abnormal : sequence of float
        Abnormal day-0 log returns; 0 gives the size, the others the power.
    exclude_thin_trading : bool
        Real setting: thin-trading days left out of estimation samples
        (and, with ``clean_windows``, out of pseudo-event windows).
    clean_windows : bool
        See :func:`simulate_tests`.
    real : tuple, optional
        ``(y, X, valid, est_ok)`` of the real setting, e.g. a fitted study's
        ``results.design[:4]`` (its own returns, masks and design:
        :func:`eventstudy.outputs.run_simulation`); default the snapshot's
        log returns of ``asset`` on ``factors`` (:func:`load_return_arrays`).
    Other parameters
        As :func:`simulate_tests`.

    Returns
    -------
    DataFrame
        The :func:`simulate_tests` tables of every setting and abnormal size,
        stacked (columns :data:`SIM_COLUMNS`); ``within_3se`` is set on the
        null rows and missing on the power rows. ``attrs['description']``
        states the configuration.
    """
    frames = []
    for j, name in enumerate(settings):
        if name == "real":
            if real is not None:
                y, X, valid, est_ok = real
                data = ReturnArrays(dates=pd.DatetimeIndex([]), y=np.asarray(y, float),
                                    X=np.asarray(X, float), valid=np.asarray(valid, bool),
                                    est_ok=np.asarray(est_ok, bool), asset=asset,
                                    factors=tuple(factors))
            else:
                data = load_return_arrays(prices_dir, asset, factors,
                                          exclude_thin_trading=exclude_thin_trading)
        elif name in ("iid-normal", "iid-t4"):
            width = np.asarray(real[1]).reshape(len(real[0]), -1).shape[1] if real is not None \
                else len(factors)
            data = synthetic_return_arrays(name.removeprefix("iid-"), seed=seed + 1000 + j,
                                           n_factors=width or 1)
        else:
            raise InferenceError(
                f"settings must be among 'real', 'iid-normal', 'iid-t4'; got {name!r}"
            )
        frames.append(simulate_tests(
            data.y, data.X, data.valid, data.est_ok, model=model, estimation=estimation,
            windows=windows, n_events=n_events, reps=reps, abnormal=tuple(abnormal),
            alpha=alpha, placebo_draws=placebo_draws, placebo_groups=placebo_groups,
            seed=seed + 100 * j, clean_windows=clean_windows, setting=name,
            min_estimation_days=min_estimation_days,
        ))
    out = pd.concat(frames, ignore_index=True)
    out.attrs["description"] = (
        f"{reps} replications of {n_events} pseudo-events, model={model}, "
        f"estimation={tuple(estimation)}, alpha={alpha}, real={asset} vs {', '.join(factors)} "
        f"(exclude_thin_trading={exclude_thin_trading}, clean_windows={clean_windows})"
    )
    return out


def bench_placebo(prices_dir=None, *, event_dates, asset="ZS=F", factors=("SPY", "UUP"),
                  draws=10_000, seed=0, repeat=3, model="market", estimation=(-250, -11),
                  windows=((-1, 1), (0, 0), (0, 1), (0, 5))) -> dict:
    """Time :func:`eventstudy.inference.placebo_distribution` for one study's events.

    ``asset`` against ``factors``, pseudo-events avoiding the windows of the
    trade dates ``event_dates``, ``draws`` pseudo-events.

    Returns
    -------
    dict
        ``seconds`` (best of ``repeat`` runs), ``mean_seconds``, ``draws``,
        ``n_eligible``, ``pseudo_events_per_second``, ``reproducible`` (two
        runs with the same seed give identical CARs).
    """
    data = load_return_arrays(prices_dir, asset, tuple(factors))
    day0 = data.positions(event_dates)
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


# ---------------------------------------------------------------------------
# the size check of a study: which single-event tests hold their size on its asset

#: Replications of a study's size check (:func:`size_check`); at 20 pseudo-events
#: each, 60,000 single-event trials: a Monte Carlo SE of 0.09 points at 5%.
SIZE_CHECK_REPS = 3000
#: Abnormal day-0 returns of the size check's power curve (0 is the size).
POWER_GRID = (0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06, 0.08)
#: The results column (:meth:`eventstudy.results.EventStudyResults.tidy`) of each
#: single-event test of the simulation.
EVENT_TEST_COLUMNS = {"event-t": "p", "sq": "sq_p", "event-placebo": "placebo_p",
                      "garch": "garch_p"}
#: Their names for reading.
EVENT_TEST_LABELS = {"event-t": "t test", "sq": "SQ test", "event-placebo": "placebo test",
                     "garch": "GARCH t test"}
#: Bumped when the simulation's definition changes: cached size checks of an
#: earlier definition are not read.
_SIZE_CHECK_VERSION = 1


@dataclass(frozen=True)
class SizeCheck:
    """Size and power of the single-event tests on the returns of one study's asset.

    Built by :func:`size_check`. The study's report and ``summary.md`` headline
    the p-value of a test only in the windows where this check finds that it
    holds its size (:meth:`leading`).

    Attributes
    ----------
    table : DataFrame
        The simulation's rows (:data:`SIM_COLUMNS`) of the single-event tests
        (:data:`EVENT_TESTS`), abnormal day-0 returns :data:`POWER_GRID`.
    asset : str
    alpha : float
        Level of the tests.
    reps, n_events, seed : int
        Replications, pseudo-events per replication, seed.
    note : str
        Why the check could not run (``table`` then has no rows), else empty.
    """

    table: pd.DataFrame
    asset: str
    alpha: float
    reps: int
    n_events: int
    seed: int
    note: str = ""

    def _rows(self, test, window):
        a, b = (int(v) for v in window)
        t = self.table
        return t[(t["test"] == test) & (t["start"] == a) & (t["end"] == b)]

    def size(self, test, window) -> tuple[float, float]:
        """(rejection rate, Monte Carlo SE) of ``test`` in ``window`` at abnormal 0, or NaN."""
        r = self._rows(test, window)
        r = r[r["abnormal"] == 0.0]
        if not len(r):
            return float("nan"), float("nan")
        return float(r["rate"].iloc[0]), float(r["mc_se"].iloc[0])

    def verdict(self, test, window) -> str:
        """``'holds'`` (within 3 Monte Carlo SE of α), ``'over-rejects'``, ``'conservative'``
        or ``'not measured'``."""
        rate, se = self.size(test, window)
        if not np.isfinite(rate):
            return "not measured"
        if abs(rate - self.alpha) <= 3 * se:
            return "holds"
        return "over-rejects" if rate > self.alpha else "conservative"

    def holds(self, test, window) -> bool:
        """Whether ``test`` holds its size in ``window`` on this asset."""
        return self.verdict(test, window) == "holds"

    def leading(self, window, tests) -> str | None:
        """The first of ``tests`` (names of :data:`EVENT_TESTS`) holding its size in ``window``."""
        return next((t for t in tests if self.holds(t, window)), None)

    def detectable(self, test, window, power: float = 0.8) -> float:
        """Smallest day-0 abnormal return that ``test`` detects with ``power`` in ``window``.

        Linear interpolation of the rejection rate between the sizes of
        :data:`POWER_GRID`; ``inf`` when even the largest is detected less
        often, NaN when the test was not measured.
        """
        r = self._rows(test, window).sort_values("abnormal")
        if not len(r):
            return float("nan")
        x, rate = r["abnormal"].to_numpy(float), r["rate"].to_numpy(float)
        above = np.flatnonzero(rate >= power)
        if not above.size:
            return float("inf")
        j = int(above[0])
        if j == 0:
            return float(x[0])
        return float(x[j - 1] + (power - rate[j - 1]) * (x[j] - x[j - 1]) / (rate[j] - rate[j - 1]))

    def summary(self, power: float = 0.8) -> pd.DataFrame:
        """One row per test and window: size (%), Monte Carlo SE, verdict, detectable move (%)."""
        null = self.table[self.table["abnormal"] == 0.0]
        rows = []
        for r in null.itertuples():
            w = (int(r.start), int(r.end))
            rows.append({"test": r.test, "window": r.window, "start": w[0], "end": w[1],
                         "size (%)": 100 * r.rate, "mc_se (%)": 100 * r.mc_se,
                         "verdict": self.verdict(r.test, w),
                         f"detectable, {power:.0%} power (%)": 100 * self.detectable(r.test, w,
                                                                                     power)})
        return pd.DataFrame(rows)

    @property
    def description(self) -> str:
        """The check in one sentence."""
        if self.note:
            return f"No size check on {self.asset}: {self.note}"
        return (f"Brown-Warner simulation on the returns of {self.asset}: {self.reps:,} "
                f"replications of {self.n_events} pseudo-events (seed {self.seed}), "
                f"level {self.alpha:g}, a test holds its size where its rejection rate is "
                f"within 3 Monte Carlo SE of {self.alpha:g}")


def size_check(design, study, *, reps: int = SIZE_CHECK_REPS, n_events: int = 20, seed=None,
               abnormal=POWER_GRID, alpha: float = 0.05, cache_dir=None) -> SizeCheck:
    """Which single-event tests hold their size on the returns of a study's asset.

    Parameters
    ----------
    design : eventstudy.estimate.Design
        The study's engine inputs (returns, usable days, estimation days;
        spreads and factor lags included): the simulation runs on them.
    study : eventstudy.config.Study
        The one-asset study: its model, estimation window, event windows,
        ``min_estimation_days``, seed and placebo draws.
    reps, n_events : int
        Replications and pseudo-events per replication.
    seed : int, optional
        Default the study's seed.
    abnormal : sequence of float
        Day-0 abnormal returns (0 first: the size; the others the power curve).
    alpha : float
    cache_dir : path-like, optional
        Where checks are kept (default the price cache,
        :func:`eventstudy.prices.default_cache_dir`, folder ``size-checks``);
        a check of the same returns, masks and settings is read back
        instead of simulated again.

    Returns
    -------
    SizeCheck
    """
    import hashlib
    import json
    from pathlib import Path

    from . import __version__
    from .prices import default_cache_dir

    model = study
    y, X, valid, est_ok, *_ = design
    seed = int(model.seed if seed is None else seed)
    draws = int(model.placebo_draws) if model.placebo_draws else 10_000
    config = {"version": _SIZE_CHECK_VERSION, "package": __version__, "model": model.model,
              "estimation": list(model.estimation), "windows": [list(w) for w in model.windows],
              "min_estimation_days": int(model.min_estimation_days), "reps": int(reps),
              "n_events": int(n_events), "seed": seed, "abnormal": [float(a) for a in abnormal],
              "alpha": float(alpha), "placebo_draws": draws}
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for arr in (y, X, valid, est_ok):
        digest.update(np.ascontiguousarray(arr).tobytes())
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "size-checks"
    path = folder / f"{model.asset}-{digest.hexdigest()[:20]}.csv"
    if path.is_file():
        table = pd.read_csv(path)
        logger.info("%s: size check read from %s", model.asset, path)
    else:
        t0 = time.perf_counter()
        table = None
        # a short history may not hold n_events separate windows: then one
        # pseudo-event per replication, as many trials
        for k, r in ((n_events, reps), (1, reps * n_events)):
            try:
                table = simulate_tests(
                    y, X, valid, est_ok, model=model.model, estimation=model.estimation,
                    windows=model.windows, n_events=k, reps=r, abnormal=tuple(abnormal),
                    alpha=alpha, placebo_draws=draws, seed=seed,
                    min_estimation_days=model.min_estimation_days, setting="real",
                    group_tests=False,
                ).drop(columns="within_3se")
                break
            except InferenceError as exc:
                note = str(exc)
        if table is None:
            logger.warning("%s: no size check (%s); no single-event p-value is graded",
                           model.asset, note)
            return SizeCheck(table=pd.DataFrame(columns=[c for c in SIM_COLUMNS
                                                         if c != "within_3se"]),
                             asset=str(model.asset), alpha=float(alpha), reps=0, n_events=0,
                             seed=seed, note=note)
        logger.info("%s: size check of %d x %d pseudo-events in %.1f s", model.asset, reps,
                    n_events, time.perf_counter() - t0)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            table.to_csv(tmp, index=False)
            tmp.replace(path)
        except OSError as exc:
            logger.warning("%s: size check not cached (%s)", model.asset, exc)
    return SizeCheck(table=table, asset=str(model.asset), alpha=float(alpha), reps=int(reps),
                     n_events=int(n_events), seed=seed)
