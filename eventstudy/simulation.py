"""Size and power of the tests (Brown and Warner 1985), and the size check of a study.

Pseudo-events are drawn on eligible trade dates with no effect: a valid
test rejects at 5% in about 5% of the trials; an abnormal return added on
day 0 gives the power. Returns are a real asset's (a study's engine inputs
or :func:`load_return_arrays`) or iid returns of a known market model
(:func:`synthetic_return_arrays`), where every test must hold its size.
Pseudo-event windows are clean by default (every day could be an
estimation day). :func:`size_check` measures the single-event tests on a
study's own returns; :func:`run_size_power` every test on real and
synthetic returns.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from . import inference
from .config import EVENT_TEST_COLUMNS, EVENT_TEST_LABELS
from .estimate import estimate_arrays
from .exceptions import InferenceError
from .inference import TEST_NAMES, placebo_distribution, placebo_eligible, sq_pvalues
from .inference.common import positive_int
from .inference.variance_ratio import variance_ratio, vr_event_pvalues, window_inverses
from .options import check_option
from .parallel import block_seeds, map_blocks
from .volatility import ewma_event_tests, fixed_garch_params

__all__ = ["SizeCheck", "size_check", "SIZE_CHECK_REPS", "SIZE_CHECK_PLACEBO_DRAWS", "POWER_GRID",
           "EVENT_TEST_COLUMNS", "EVENT_TEST_LABELS", "ReturnArrays",
           "load_return_arrays", "synthetic_return_arrays", "SyntheticDist",
           "SIM_COLUMNS", "simulate_tests", "add_day0_abnormal", "run_size_power",
           "EVENT_TESTS", "cached_table", "CACHE_WAIT"]

logger = logging.getLogger(__name__)

#: Single-event tests reported beside the group tests of the battery.
EVENT_TESTS = ("event-t", "sq", "event-placebo", "garch", "vr", "vr-placebo")

#: Disturbance distributions of :func:`synthetic_return_arrays`.
SyntheticDist = Literal["normal", "t4"]

#: Columns of the tables of :func:`simulate_tests` and :func:`run_size_power`.
SIM_COLUMNS = ["setting", "test", "window", "start", "end", "abnormal", "rate", "mc_se",
               "within_3se", "rejections", "trials", "n_events"]

#: Replications of a study's size check (:func:`size_check`).
SIZE_CHECK_REPS = 3000
#: Abnormal day-0 returns of the size check's power curve (0 is the size).
POWER_GRID = (0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06, 0.08)
#: Version of the definition of the size check and of the simulations, part of their cache keys.
_SIZE_CHECK_VERSION = 3
#: Pseudo-events per block of replications (250 x 20 stay near 100 MB).
_BLOCK_EVENTS = 5000
#: Pseudo-events of a size check's placebo test when the study draws none.
SIZE_CHECK_PLACEBO_DRAWS = 10_000


@dataclass(frozen=True)
class ReturnArrays:
    """The engine's positional inputs for one asset and its factors.

    ``y`` (T,) asset returns, ``X`` (T, m) factor returns, ``valid`` returns
    present and not a roll day, ``est_ok`` days allowed in estimation samples,
    ``thin`` thin-trading days, ``span`` the trade dates each return covers
    (:func:`eventstudy.panel.span_days`; None: one each, as in
    :func:`load_return_arrays`, whose returns over dates without a price row
    are missing).
    """

    dates: pd.DatetimeIndex
    y: np.ndarray
    X: np.ndarray
    valid: np.ndarray
    est_ok: np.ndarray
    asset: str
    factors: tuple
    thin: np.ndarray = None
    span: np.ndarray = None

    def positions(self, dates) -> np.ndarray:
        """Positions of the first trade dates on or after ``dates``."""
        d = pd.DatetimeIndex(pd.to_datetime(list(dates)))
        return self.dates.searchsorted(d, side="left").astype(np.int64)


def load_return_arrays(prices_dir, asset, factors, *, exclude_thin_trading) -> ReturnArrays:
    """Log returns of ``asset`` and ``factors`` from price files, with the roll and thin masks.

    Over the span where every series has prices
    (:func:`eventstudy.panel.prepare_returns`); ``prices_dir`` None reads
    ``$EVENTSTUDY_PRICES_DIR``; ``exclude_thin_trading`` leaves thin days out
    of ``est_ok``.
    """
    from .panel import common_span, prepare_returns
    from .prices import load_prices

    factors = tuple(factors)
    prices = load_prices([asset, *factors], prices_dir=prices_dir)
    first, last = common_span(prices)
    data = prepare_returns(prices, asset, factors, start=first, end=last)
    ret = data.returns
    thin = data.thin.to_numpy(dtype=bool)
    valid = data.valid.to_numpy(dtype=bool)
    logger.info("%s: %d returns, %d roll days masked, %d thin days left out of estimation "
                "samples", asset, len(ret), int(data.roll.to_numpy(dtype=bool).sum()),
                int((thin & valid).sum()))
    return ReturnArrays(
        dates=pd.DatetimeIndex(ret.index), y=ret[asset].to_numpy(dtype=np.float64),
        X=ret[list(factors)].to_numpy(dtype=np.float64).reshape(len(ret), len(factors)),
        valid=valid, est_ok=valid & ~thin if exclude_thin_trading else valid.copy(), asset=asset,
        factors=factors, thin=thin,
    )


def synthetic_return_arrays(dist="normal", *, n_days=4000, n_factors=2, sigma=0.015,
                            factor_sigma=0.01, alpha=0.0002, beta=(0.4, -0.3),
                            seed=0) -> ReturnArrays:
    """IID returns R_t = α + β'X_t + σ ε_t of a known market model, every day valid.

    Parameters
    ----------
    dist : {'normal', 't4'}
        ε normal, or Student t₄/√2 (unit variance, fat tails).
    n_days : int
        Business days from 2000-01-03.
    n_factors : int
        Factors, iid normal with sd ``factor_sigma``.
    sigma, alpha, beta
        The model's parameters (the first ``n_factors`` slopes).
    seed : int

    Returns
    -------
    ReturnArrays
        ``asset`` is ``iid-normal`` or ``iid-t4``.
    """
    dist = check_option("dist", dist, SyntheticDist)
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, factor_sigma, size=(n_days, n_factors))
    if dist == "normal":
        eps = rng.standard_normal(n_days)
    else:
        eps = rng.standard_t(4, size=n_days) / np.sqrt(2.0)
    y = alpha + X @ np.asarray(beta, dtype=np.float64)[:n_factors] + sigma * eps
    ones = np.ones(n_days, dtype=bool)
    return ReturnArrays(
        dates=pd.bdate_range("2000-01-03", periods=n_days, name="date"), y=y, X=X, valid=ones,
        est_ok=ones.copy(), asset=f"iid-{dist}",
        factors=tuple(f"F{j + 1}" for j in range(n_factors)), thin=np.zeros(n_days, dtype=bool),
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


def add_day0_abnormal(arrays, abnormal):
    """Engine output as if ``abnormal`` were added to every event's day-0 return.

    With non-overlapping widest windows, day 0 is in no other event's
    estimation sample, so only the day-0 AR and return and the CARs, t and p
    of the windows holding day 0 move.
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
    car, tstat, pvalue = _shifted_car(arrays, abnormal)
    return replace(arrays, ar=ar, ret=ret, car=car, tstat=tstat, pvalue=pvalue)


def _shifted_car(arrays, abnormal):
    """(car, t, p) of the engine output with ``abnormal`` added to every defined day-0 AR."""
    rel = np.asarray(arrays.rel_win)
    if not abnormal or not (rel == 0).any():
        return arrays.car, arrays.tstat, arrays.pvalue
    has = np.isfinite(arrays.ar[:, int(np.flatnonzero(rel == 0)[0])])
    holds = (arrays.windows[:, 0] <= 0) & (arrays.windows[:, 1] >= 0)
    car = arrays.car + np.where(has[:, None] & holds[None, :], abnormal, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = car / arrays.car_se
    dof = np.maximum(arrays.dof, 1)[:, None].astype(np.float64)
    return car, tstat, 2.0 * special.stdtr(dof, -np.abs(tstat))


def simulate_tests(returns, study, *, n_events=10, reps=500, abnormal=0.0, alpha=0.05,
                   placebo_groups=1000, clean_windows=True, group_tests=True,
                   setting="") -> pd.DataFrame:
    """Rejection rates of every test on pseudo-events of a return series.

    Parameters
    ----------
    returns : Design or ReturnArrays
        The engine's inputs ``y, X, valid, est_ok``.
    study : eventstudy.config.Study
        Its model, windows, ``min_estimation_days``, ``placebo_draws`` and ``seed``.
    n_events : int
        Events per replication (one group, sign +1).
    reps : int
        Replications.
    abnormal : float or sequence of float
        Day-0 abnormal returns (0 measures the size), on the same pseudo-events.
    alpha : float
        Test level.
    placebo_groups : int
        Pseudo groups per replication of the group placebo test.
    clean_windows : bool
        Pseudo-event windows only where every day could be an estimation day;
        off, only day 0 needs a return and every window day a one-day return
        (no day of a multi-day return, ``returns.span``: the tests compare
        one-day abnormal returns).
    group_tests : bool
        Also run the battery's group tests.
    setting : str
        Label of the ``setting`` column.

    Returns
    -------
    DataFrame
        :data:`SIM_COLUMNS`. Group tests count one trial per replication, the
        single-event tests (:data:`EVENT_TESTS`; ``garch`` is the fixed-parameter
        filter, :func:`eventstudy.volatility.fixed_garch_params`; ``vr`` and
        ``vr-placebo`` the variance ratio's F and placebo tests,
        :mod:`eventstudy.inference.variance_ratio`) one per event.
        mc_se = √(α(1 - α)/trials) (plus 1/placebo_draws inside for
        ``event-placebo`` and ``vr-placebo``); ``within_3se`` marks null rows with
        |rate - α| <= 3 mc_se.

    Notes
    -----
    Each replication draws ``n_events`` eligible day 0
    (:func:`eventstudy.inference.placebo_eligible`) with non-overlapping widest
    windows, runs the engine with other-event exclusion, adds ``abnormal`` on
    day 0 (:func:`add_day0_abnormal`) and applies the tests; a NaN p-value is a
    trial without rejection. Whatever the abnormal return leaves alone (the
    engine's fits, the SQ reference sums, the GARCH variances, the pseudo
    groups) is computed once for every size.

    The replications run in blocks of ⌊5000 / ``n_events``⌋, block k drawn
    from the k-th child of ``numpy.random.SeedSequence(study.seed)``
    (:func:`eventstudy.parallel.block_seeds`) and the blocks spread over
    ``study.n_jobs`` processes, or the workers of an active
    ``dask.distributed`` client (:func:`eventstudy.parallel.map_blocks`): a
    seeded table does not depend on the number of workers. A warning raised
    in the blocks is reported once.

    References
    ----------
    Brown, S. J., Warner, J. B. (1985). Using daily stock returns: the case of
    event studies. Journal of Financial Economics, 14(1), 3-31.
    """
    positive_int("reps", reps)
    windows = np.asarray(study.windows, dtype=np.int64).reshape(-1, 2)
    sizes = tuple(float(a) for a in np.atleast_1d(np.asarray(abnormal, dtype=np.float64)))
    rng = np.random.default_rng(study.seed)
    eligible, placebo = _null_setting(returns, study, windows, rng, n_events, clean_windows)
    job = _Job(
        y=np.asarray(returns.y, dtype=np.float64), X=np.asarray(returns.X, dtype=np.float64),
        valid=np.asarray(returns.valid, dtype=bool), est_ok=np.asarray(returns.est_ok, dtype=bool),
        eligible=eligible, placebo=placebo, model=study.model,
        estimation=tuple(study.estimation), windows=windows,
        min_estimation_days=int(study.min_estimation_days), n_events=int(n_events), sizes=sizes,
        alpha=float(alpha), placebo_groups=int(placebo_groups) if group_tests else None,
        garch_params=fixed_garch_params(returns.y, returns.X, returns.est_ok, study.model),
    )
    span = int(windows[:, 1].max() - windows[:, 0].min())
    _draw_events(rng, eligible, n_events, span)  # fails here, before any block, if none fits
    block = max(1, _BLOCK_EVENTS // max(n_events, 1))
    counts = [min(block, reps - start) for start in range(0, reps, block)]
    tasks = [(job, seed, b) for seed, b in zip(block_seeds(study.seed, len(counts)), counts,
                                                strict=True)]
    blocks = map_blocks(_simulate_block, tasks, n_jobs=study.n_jobs)
    _report_messages(blocks)
    rej = {key: sum(counted[key] for counted, _ in blocks) for key in blocks[0][0]}
    trials = {(d, t): np.full(len(windows), reps if t in TEST_NAMES else reps * n_events)
              for d, t in rej}
    return _rate_table(rej, trials, windows, alpha, placebo.draws, n_events, setting)


@dataclass(frozen=True)
class _Job:
    """What every block of a simulation shares: arrays and settings, no file to read."""

    y: np.ndarray
    X: np.ndarray
    valid: np.ndarray
    est_ok: np.ndarray
    eligible: np.ndarray
    placebo: object
    model: str
    estimation: tuple
    windows: np.ndarray
    min_estimation_days: int
    n_events: int
    sizes: tuple
    alpha: float
    placebo_groups: int | None
    garch_params: tuple


def _simulate_block(job, seed, reps):
    """Rejections {(abnormal, test): (W,)} of ``reps`` replications drawn from ``seed``.

    Also the distinct warning and log messages the block raised, so that the
    caller reports each once however many processes ran the blocks.
    """
    rng = np.random.default_rng(seed)
    n = job.n_events
    span = int(job.windows[:, 1].max() - job.windows[:, 0].min())
    with _collected_messages() as messages:
        day0 = np.stack([_draw_events(rng, job.eligible, n, span) for _ in range(reps)])
        null = estimate_arrays(
            job.y, job.X, job.valid, job.est_ok, day0.ravel(), model=job.model,
            estimation=job.estimation, windows=job.windows, exclude_other_events=True,
            min_estimation_days=job.min_estimation_days,
            event_groups=np.repeat(np.arange(reps), n),
        )
        counted = {}
        for delta, res in _block_pvalues(null, n, job.sizes, job.placebo, job.garch_params, rng,
                                         job.placebo_groups):
            for t, p in res.items():
                counted[delta, t] = (np.nan_to_num(p, nan=1.0) <= job.alpha).sum(axis=0)
    return counted, messages


@contextmanager
def _collected_messages():
    """Collect the warnings and ``eventstudy`` log records (WARNING and above) raised inside.

    Yields a set of (warning category or None for a log record, text).
    """
    messages = set()
    handler = _SetHandler(messages)
    log = logging.getLogger("eventstudy")
    propagate = log.propagate
    log.addHandler(handler)
    log.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
    finally:
        log.removeHandler(handler)
        log.propagate = propagate
    messages.update((w.category, str(w.message)) for w in caught)


class _SetHandler(logging.Handler):
    """A log handler adding (None, text) of each record to a set."""

    def __init__(self, messages):
        super().__init__(level=logging.WARNING)
        self.messages = messages

    def emit(self, record):
        self.messages.add((None, record.getMessage()))


def _report_messages(blocks):
    """Each distinct message of the blocks once: warnings warned, log records logged."""
    seen = {}
    for _, messages in blocks:
        for m in messages:
            seen[m] = seen.get(m, 0) + 1
    for (category, text), k in seen.items():
        text = f"{text} (in {k} of {len(blocks)} blocks of replications)"
        if category is None:
            logger.warning("%s", text)
        else:
            warnings.warn(text, category, stacklevel=3)


def _null_setting(returns, study, windows, rng, n_events, clean_windows):
    """The eligible pseudo day 0 and the placebo distribution (seeded from ``rng``).

    Clean windows hold ``est_ok`` days only, never a day of a multi-day return;
    otherwise every window day and day 0 must be a one-day return.
    """
    window_ok = day0_ok = None
    if not clean_windows:
        span = returns.span
        window_ok = (np.ones(np.shape(returns.valid), dtype=bool) if span is None
                     else np.asarray(span) == 1)
        day0_ok = np.asarray(returns.valid, dtype=bool) & window_ok
    eligible = placebo_eligible(
        returns.valid, returns.est_ok, estimation=study.estimation, windows=windows,
        event_day0=[], min_estimation_days=study.min_estimation_days, day0_ok=day0_ok,
        window_ok=window_ok,
    )
    if eligible.size < n_events:
        raise InferenceError(
            f"only {eligible.size} eligible dates for {n_events} pseudo-events per replication"
        )
    placebo = placebo_distribution(
        returns.y, returns.X, returns.valid, returns.est_ok, model=study.model,
        estimation=study.estimation, windows=windows, event_day0=[], draws=study.placebo_draws,
        seed=int(rng.integers(2**31)), min_estimation_days=study.min_estimation_days,
        day0_ok=day0_ok, window_ok=window_ok,
    )
    return eligible, placebo


def _block_pvalues(null, n_events, sizes, placebo, garch_params, rng, placebo_groups):
    """(abnormal, {test: p-values}) of one block of replications; shift-free parts computed once."""
    idx = np.arange(null.car.shape[0]).reshape(-1, n_events)
    garch_se = ewma_event_tests(null, params=garch_params).car_se
    sq = sq_pvalues(null.car, null.est_ar, null.windows, null.ar, null.rel_win, shifts=sizes)
    inverses = window_inverses(null)
    pseudo = None
    if placebo_groups is not None:
        pseudo = placebo.pseudo_groups(np.isfinite(null.car[idx]), groups=placebo_groups,
                                       rng=rng)
    for i, delta in enumerate(sizes):
        res = {}
        arrays = add_day0_abnormal(null, delta) if delta else null
        if pseudo is not None:
            res = {t: r.p_value for t, r in inference.group_tests(arrays, idx).items()}
            res["placebo"] = pseudo.pvalues(arrays.car[idx]).p_value
        car, pvalue = arrays.car, arrays.pvalue
        with np.errstate(divide="ignore", invalid="ignore"):
            z = car / garch_se
        res.update({"event-t": pvalue, "sq": sq[i], "event-placebo": placebo.event_pvalues(car),
                    "garch": np.where(np.isfinite(z), 2.0 * special.ndtr(-np.abs(z)), np.nan)})
        vr = variance_ratio(arrays, inverses)
        res.update({"vr": vr.pvalue, "vr-placebo": vr_event_pvalues(placebo, vr.vr)})
        yield delta, res


def _rate_table(rej, trials, windows, alpha, placebo_draws, n_events, setting):
    rows = []
    for (delta, t), r in rej.items():
        for w in range(len(windows)):
            n = int(trials[delta, t][w])
            rows.append({
                "setting": str(setting), "test": t,
                "window": f"[{int(windows[w, 0])}, {int(windows[w, 1])}]",
                "start": int(windows[w, 0]), "end": int(windows[w, 1]), "abnormal": delta,
                "rejections": int(r[w]), "trials": n, "rate": r[w] / n,
                "mc_se": float(np.sqrt(alpha * (1 - alpha) * (
                    1.0 / n + (1.0 / placebo_draws if t in ("event-placebo", "vr-placebo")
                               else 0.0)))),
                "n_events": int(n_events),
            })
    out = pd.DataFrame(rows)
    within = (out["rate"] - alpha).abs() <= 3 * out["mc_se"]
    out["within_3se"] = pd.array(within.where(out["abnormal"] == 0.0), dtype="boolean")
    return out[SIM_COLUMNS]


def run_size_power(study, *, settings=("real", "iid-normal", "iid-t4"), n_events=20, reps=2000,
                   abnormal=(0.0, 0.01, 0.02), alpha=0.05, placebo_groups=1000,
                   clean_windows=True, prices_dir=None, real=None, cache_dir=None) -> pd.DataFrame:
    """Size (abnormal 0) and power of every test, on real and on synthetic returns.

    Parameters
    ----------
    study : eventstudy.config.Study
        A one-asset study; setting j runs with seed ``study.seed + 100 j``.
    settings : sequence of {'real', 'iid-normal', 'iid-t4'}
        ``real``: the study's asset (``real``, else :func:`load_return_arrays`);
        ``iid-*``: :func:`synthetic_return_arrays` (seed ``study.seed + 1000 + j``).
    n_events, reps, abnormal, alpha, placebo_groups, clean_windows
        As :func:`simulate_tests`.
    prices_dir : path, optional
    real : Design or ReturnArrays, optional
        The real setting's engine inputs.
    cache_dir : path-like, optional
        Default ``simulations`` in :func:`eventstudy.prices.default_cache_dir`;
        a run of the same returns, masks and settings is read back
        (:func:`cached_table`).

    Returns
    -------
    DataFrame
        The settings' :func:`simulate_tests` tables stacked;
        ``attrs['description']`` states the configuration.
    """
    inputs = [_setting_returns(name, j, study, prices_dir, real) for j, name in enumerate(settings)]
    config = {"version": _SIZE_CHECK_VERSION, "settings": list(settings), "model": study.model,
              "estimation": list(study.estimation), "windows": [list(w) for w in study.windows],
              "min_estimation_days": int(study.min_estimation_days), "seed": int(study.seed),
              "placebo_draws": int(study.placebo_draws), "n_events": int(n_events),
              "reps": int(reps), "abnormal": [float(a) for a in abnormal], "alpha": float(alpha),
              "placebo_groups": int(placebo_groups), "clean_windows": bool(clean_windows)}
    arrays = [(r.y, r.X, r.valid, r.est_ok, getattr(r, "span", None)) for r in inputs]
    digest = _digest(config, [a for each in arrays for a in each if a is not None])
    path = _cache_folder(cache_dir, "simulations") / f"size-power-{study.asset}-{digest}.csv"

    def simulate():
        return pd.concat([simulate_tests(
            returns, study.replace(seed=study.seed + 100 * j), n_events=n_events, reps=reps,
            abnormal=tuple(abnormal), alpha=alpha, placebo_groups=placebo_groups,
            clean_windows=clean_windows, setting=name,
        ) for j, (name, returns) in enumerate(zip(settings, inputs, strict=True))],
            ignore_index=True)

    out = cached_table(path, simulate, read=_read_simulation)
    out.attrs["description"] = (
        f"{reps} replications of {n_events} pseudo-events, model={study.model}, "
        f"estimation={tuple(study.estimation)}, alpha={alpha}, real={study.asset} vs "
        f"{', '.join(study.factors)} (exclude_thin_trading={study.exclude_thin_trading}, "
        f"clean_windows={clean_windows})"
    )
    return out


def _read_simulation(path) -> pd.DataFrame:
    """A table of :func:`run_size_power` read back from its CSV, with its dtypes."""
    return pd.read_csv(path, dtype={"setting": str, "test": str, "window": str,
                                    "within_3se": "boolean"})


def _setting_returns(name, j, study, prices_dir, real):
    if name == "real":
        if real is not None:
            return real
        return load_return_arrays(prices_dir, study.asset, study.factors,
                                  exclude_thin_trading=study.exclude_thin_trading)
    if name in ("iid-normal", "iid-t4"):
        width = np.shape(real.X)[1] if real is not None else len(study.factors)
        return synthetic_return_arrays(name.removeprefix("iid-"), seed=study.seed + 1000 + j,
                                       n_factors=width or 1)
    raise InferenceError(f"settings must be among 'real', 'iid-normal', 'iid-t4'; got {name!r}")


@dataclass(frozen=True)
class SizeCheck:
    """Size and power of the single-event tests on the returns of one study's asset.

    Built by :func:`size_check`. ``table`` holds the simulation's rows of
    :data:`EVENT_TESTS` at the abnormal returns :data:`POWER_GRID`; ``note``
    says why the check could not run (``table`` then empty).
    """

    table: pd.DataFrame
    asset: str
    alpha: float
    reps: int
    n_events: int
    seed: int
    note: str = ""
    _summaries: dict = field(default_factory=dict, init=False, repr=False, compare=False)

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
        """Smallest day-0 abnormal return ``test`` detects with ``power`` (interpolated)."""
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
        if power not in self._summaries:  # the check is immutable: one table per power
            self._summaries[power] = self._summary(power)
        return self._summaries[power].copy()

    def _summary(self, power):
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
        The study's engine inputs: the simulation runs on them.
    study : eventstudy.config.Study
        The one-asset study (placebo draws :data:`SIZE_CHECK_PLACEBO_DRAWS`
        when it draws none).
    reps, n_events : int
    seed : int, optional
        Default the study's seed.
    abnormal : sequence of float
        Day-0 abnormal returns, 0 first.
    alpha : float
    cache_dir : path-like, optional
        Default ``size-checks`` in :func:`eventstudy.prices.default_cache_dir`;
        a check of the same returns, masks and settings is read back.

    Returns
    -------
    SizeCheck
        A history too short for ``n_events`` separate pseudo-events is
        simulated with one per replication; a check that cannot run says why
        in ``note``.
    """
    seed = int(study.seed if seed is None else seed)
    draws = int(study.placebo_draws) if study.placebo_draws else SIZE_CHECK_PLACEBO_DRAWS
    config = {"version": _SIZE_CHECK_VERSION, "model": study.model,
              "estimation": list(study.estimation), "windows": [list(w) for w in study.windows],
              "min_estimation_days": int(study.min_estimation_days), "reps": int(reps),
              "n_events": int(n_events), "seed": seed, "abnormal": [float(a) for a in abnormal],
              "alpha": float(alpha), "placebo_draws": draws}
    digest = _digest(config, (design.y, design.X, design.valid, design.est_ok))
    folder = _cache_folder(cache_dir, "size-checks")
    path = folder / f"{study.asset}-{digest}.csv"
    note = []

    def simulate():
        t0 = time.perf_counter()
        setting = study.replace(seed=seed, placebo_draws=draws)
        for k, r in ((n_events, reps), (1, reps * n_events)):
            try:
                table = simulate_tests(design, setting, n_events=k, reps=r,
                                       abnormal=tuple(abnormal), alpha=alpha, setting="real",
                                       group_tests=False).drop(columns="within_3se")
            except InferenceError as exc:
                note.append(str(exc))
                continue
            logger.info("%s: size check of %d x %d pseudo-events in %.1f s", study.asset, reps,
                        n_events, time.perf_counter() - t0)
            return table
        return None

    table = cached_table(path, simulate, read=pd.read_csv)
    if table is None:
        logger.warning("%s: no size check (%s); no single-event p-value is graded",
                       study.asset, note[-1])
        return SizeCheck(table=pd.DataFrame(columns=[c for c in SIM_COLUMNS if c != "within_3se"]),
                         asset=str(study.asset), alpha=float(alpha), reps=0, n_events=0,
                         seed=seed, note=note[-1])
    return SizeCheck(table=table, asset=str(study.asset), alpha=float(alpha), reps=int(reps),
                     n_events=int(n_events), seed=seed)


def _cache_folder(cache_dir, name):
    """``cache_dir``, default the folder ``name`` of :func:`eventstudy.prices.default_cache_dir`."""
    from pathlib import Path

    from .prices import default_cache_dir

    return Path(cache_dir) if cache_dir is not None else default_cache_dir() / name


def _digest(config, arrays) -> str:
    """A cache key: the settings ``config`` (with the package version) and the arrays' bytes."""
    import hashlib
    import json

    from . import __version__

    digest = hashlib.sha256(json.dumps({**config, "package": __version__},
                                       sort_keys=True).encode())
    for arr in arrays:
        digest.update(np.ascontiguousarray(arr).tobytes())
    return digest.hexdigest()[:20]


#: Seconds to wait for another process computing the same cached table.
CACHE_WAIT = 600.0


def cached_table(path, compute, *, read, wait=None):
    """The table cached at ``path``, else ``compute()`` written there, computed once at a time.

    Parameters
    ----------
    path : pathlib.Path
        The CSV file.
    compute : callable
        Returns the table, or None (nothing cached).
    read : callable
        Reads the CSV back (e.g. ``pandas.read_csv`` with the table's dtypes).
    wait : float, optional
        Seconds to wait for another process computing the same table; default
        :data:`CACHE_WAIT`.

    Notes
    -----
    The process computing holds ``<path>.lock``, created with ``O_EXCL`` and
    holding its host and process id; another process asking for the same
    table meanwhile waits for the CSV and reads it. It computes the table
    itself when the lock is released without a CSV, when the holder is no
    longer running on this host, after ``wait`` seconds, or where the cache
    folder cannot be written. The CSV is written to a temporary file and
    renamed into place, so a reader never sees half of it.
    """
    deadline = time.monotonic() + (CACHE_WAIT if wait is None else float(wait))
    lock = path.with_name(path.name + ".lock")
    while True:
        if path.is_file():
            logger.info("%s read from the cache", path.name)
            return read(path)
        held = _take_lock(lock)
        if held is not False or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    try:
        if path.is_file():
            return read(path)
        table = compute()
        if table is not None:
            try:
                tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
                table.to_csv(tmp, index=False)
                tmp.replace(path)
            except OSError as exc:
                logger.warning("%s not cached (%s)", path.name, exc)
        return table
    finally:
        if held:
            lock.unlink(missing_ok=True)


def _take_lock(lock):
    """True: ``lock`` created for this process; False: another running process holds it;
    None: no lock can be made (the folder is not writable)."""
    for _ in range(2):
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if not _stale(lock):
                return False
            lock.unlink(missing_ok=True)
            continue
        except OSError:
            return None
        with os.fdopen(fd, "w") as f:
            f.write(f"{socket.gethostname()} {os.getpid()}\n")
        return True
    return False


def _stale(lock) -> bool:
    """Whether ``lock`` names a process of this host that is no longer running."""
    try:
        host, pid = lock.read_text().split()
        pid = int(pid)
    except (OSError, ValueError):
        return False  # being written, or gone
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


