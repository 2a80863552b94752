"""Time the abnormal-return engine against a per-event statsmodels loop (``make bench``).

Real data: ZS=F against SPY and UUP (log returns on the soybean trade dates)
from the price snapshot ($EVENTSTUDY_PRICES_DIR, else ../shared/data/prices).
Event days are drawn at random from the dates with a full estimation window
(2008 on, after UUP starts), so windows overlap freely; other-event exclusion
is off, as in a placebo run. Model + AR + CAR + variances with the market
model (k = 3), estimation [-250, -11], windows (-10, 10), (-1, 1), (0, 0), (0, 5).

Last, the placebo distribution of the article's study (studies/article.toml:
10,000 pseudo-events, its model, estimation and windows) is timed.

Usage: python bench/bench_engine.py [--events 1000 10000] [--loop-events 300]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eventstudy.config import load_study  # noqa: E402
from eventstudy.estimate import estimate_arrays  # noqa: E402
from eventstudy.exceptions import DataQualityWarning  # noqa: E402
from eventstudy.inference import placebo_distribution  # noqa: E402
from eventstudy.simulation import load_return_arrays  # noqa: E402

ESTIMATION = (-250, -11)
WINDOWS = ((-10, 10), (-1, 1), (0, 0), (0, 5))


def statsmodels_loop(y, X, valid, day0):
    """The reference: one OLS and one get_prediction per event."""
    import statsmodels.api as sm

    rel_est = np.arange(ESTIMATION[0], ESTIMATION[1] + 1)
    lo = min(a for a, _ in WINDOWS)
    hi = max(b for _, b in WINDOWS)
    rel_win = np.arange(lo, hi + 1)
    out = []
    for d in day0:
        pos = d + rel_est
        pos = pos[valid[pos]]
        fit = sm.OLS(y[pos], sm.add_constant(X[pos])).fit()
        wp = d + rel_win
        ok = valid[wp]
        Z = sm.add_constant(X[wp], has_constant="add")
        pred = fit.get_prediction(Z)
        ar = np.where(ok, y[wp] - pred.predicted_mean, np.nan)
        V = fit.scale * (np.eye(len(wp)) + Z @ fit.normalized_cov_params @ Z.T)
        cars = []
        for a, b in WINDOWS:
            g = (ok & (rel_win >= a) & (rel_win <= b)).astype(float)
            cars.append((np.nansum(ar * g), np.sqrt(g @ V @ g)))
        out.append(cars)
    return out


def bench_placebo(prices_dir, study, *, event_dates, draws, repeat) -> dict:
    """Time :func:`eventstudy.inference.placebo_distribution` for one study's events.

    The study's asset against its factors, pseudo-events avoiding the windows
    of the trade dates ``event_dates``, ``draws`` pseudo-events, seeded with
    the study's seed. Returns the best and mean of ``repeat`` runs, the
    eligible days, and whether two runs gave identical CARs.
    """
    data = load_return_arrays(prices_dir, study.asset, study.factors,
                              exclude_thin_trading=study.exclude_thin_trading)
    day0 = data.positions(event_dates)
    times, results = [], []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        results.append(placebo_distribution(
            data.y, data.X, data.valid, data.est_ok, model=study.model,
            estimation=study.estimation, windows=study.windows, event_day0=day0, draws=draws,
            seed=study.seed, min_estimation_days=study.min_estimation_days,
        ))
        times.append(time.perf_counter() - t0)
    same = all(np.array_equal(results[0].car, r.car, equal_nan=True) for r in results[1:])
    best = min(times)
    return {"seconds": best, "mean_seconds": float(np.mean(times)), "draws": int(draws),
            "n_eligible": int(results[0].n_eligible), "pseudo_events_per_second": draws / best,
            "reproducible": bool(same) if repeat > 1 else None}


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--loop-events",
        type=int,
        default=300,
        help="events timed in the statsmodels loop (rate extrapolated per event)",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20251030)
    args = parser.parse_args(argv)
    # Exclusions are reported by the studies; a benchmark prints timings only.
    logging.basicConfig(level=logging.ERROR)

    env = os.environ.get("EVENTSTUDY_PRICES_DIR")
    prices_dir = Path(env) if env else ROOT.parent / "shared" / "data" / "prices"
    if not (prices_dir / "ZS=F.csv").is_file():
        print(
            f"error: no price snapshot in {prices_dir}; set EVENTSTUDY_PRICES_DIR", file=sys.stderr
        )
        return 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        data = load_return_arrays(prices_dir, "ZS=F", ("SPY", "UUP"), exclude_thin_trading=True)
    y, X, valid, dates = data.y, data.X, data.valid, data.dates
    T = len(y)
    rng = np.random.default_rng(args.seed)
    lo, hi = -ESTIMATION[0], T - 1 - max(b for _, b in WINDOWS)
    print(
        f"ZS=F vs SPY, UUP: {T} trade dates {dates[0].date()}..{dates[-1].date()} "
        f"(roll days masked); "
        f"market model k=3, estimation {ESTIMATION}, windows {WINDOWS}"
    )

    n_loop = args.loop_events
    d_loop = rng.integers(lo, hi, n_loop)
    t_loop = best_of(lambda: statsmodels_loop(y, X, valid, d_loop), 1)
    loop_rate = n_loop / t_loop
    print(
        f"statsmodels loop : {n_loop:>6} events in {t_loop:8.3f} s = {loop_rate:>10,.0f} events/s"
    )

    # the engine agrees with the loop on these events
    ea = estimate_arrays(
        y,
        X,
        valid,
        valid,
        d_loop[:50],
        model="market",
        estimation=ESTIMATION,
        windows=WINDOWS,
        exclude_other_events=False,
        min_estimation_days=100,
    )
    ref = statsmodels_loop(y, X, valid, d_loop[:50])
    err = max(
        abs(ea.car_se[e, w] - ref[e][w][1]) / ref[e][w][1] for e in range(50) for w in range(4)
    )
    print(f"max relative difference of car_se, engine vs statsmodels: {err:.1e}")

    for E in args.events:
        day0 = rng.integers(lo, hi, E)

        def run(day0=day0):
            return estimate_arrays(
                y,
                X,
                valid,
                valid,
                day0,
                model="market",
                estimation=ESTIMATION,
                windows=WINDOWS,
                exclude_other_events=False,
                min_estimation_days=100,
            )

        t = best_of(run, args.repeat)
        rate = E / t
        print(
            f"engine           : {E:>6} events in {t:8.4f} s = {rate:>10,.0f} events/s "
            f"({rate / loop_rate:,.0f}x the loop)"
        )
        res = run()
        t0 = time.perf_counter()
        res.est_ar, res.V  # noqa: B018 - built on first access
        t_full = time.perf_counter() - t0
        print(
            f"  + est_ar and the full V (E x {res.rel_win.size} x {res.rel_win.size}) "
            f"built on access: {t_full:.4f} s"
        )

    # The placebo distribution of the article's study: its model, estimation and windows.
    study = load_study(ROOT / "studies" / "article.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        from eventstudy.events import load_events

        catalogue = load_events(study.events).set_index("id")
        dates = catalogue.loc[list(study.headline_events), "date"].tolist()
        placebo = bench_placebo(prices_dir, study, event_dates=dates, draws=10_000,
                                repeat=args.repeat)
    print(
        f"placebo (article): {placebo['draws']:>6} draws in {placebo['seconds']:8.4f} s "
        f"(mean {placebo['mean_seconds']:.4f} s) = "
        f"{placebo['pseudo_events_per_second']:>10,.0f} pseudo-events/s; "
        f"{placebo['n_eligible']} eligible days; same seed, same draws: "
        f"{placebo['reproducible']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
