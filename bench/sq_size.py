"""Size of the single-event tests on real ZS=F returns: SQ forms, t vs GARCH/EWMA.

Brown-Warner, one pseudo-event per trial: ``--reps`` day-0 positions drawn
uniformly (with replacement) among the eligible trade dates of ZS=F against
SPY and UUP (market model, estimation [-250, -11], clean windows, as in
:mod:`eventstudy.simulation`), no abnormal return. The engine runs once on all
of them with other-event exclusion off (pseudo-events are not news). Prints
the rejection rate at 5% of

- ``sq-ghk``: GHK's form 2 min(#<=, #>=)/M over overlapping L-day sums of the
  estimation residuals (:func:`sq_ghk`, a reference kept here);
- ``sq-perm``: the package's SQ test, permutation sums of L values from the
  pool of estimation residuals and window ARs
  (:func:`eventstudy.inference.sq_pvalues`);
- ``event-t``: the engine's t test (estimation-sample s²);
- ``ewma-t``: RiskMetrics EWMA variances (:func:`eventstudy.volatility.ewma_event_tests`);
- ``garch-fixed-t``: GARCH(1, 1) recursion with parameters from one fit on
  the whole series' market-model residuals;
- ``garch-t``: one GARCH(1, 1) fit per pseudo-event, on the first
  ``--garch-reps`` pseudo-events only (a fit costs tens of milliseconds);

and the t, SQ and EWMA rates by quartile of the volatility-regime ratio
(last 20 estimation days against the rest). The Monte Carlo SE of a 5% rate
is √(0.05 · 0.95 / reps), but trials reuse about 2,250 eligible dates, so the
history itself allows about ±0.5 points.

Usage: python bench/sq_size.py [--reps 3000] [--garch-reps 500] [--seed 0]
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eventstudy import volatility as vol  # noqa: E402
from eventstudy.estimate import estimate_arrays  # noqa: E402
from eventstudy.exceptions import DataQualityWarning  # noqa: E402
from eventstudy.inference import placebo_eligible, sq_pvalues  # noqa: E402
from eventstudy.simulation import load_return_arrays  # noqa: E402

WINDOWS = np.array([[0, 0], [-1, 1], [0, 5]])
ESTIMATION = (-250, -11)
ALPHA = 0.05


def sq_ghk(car, est_ar, windows):
    """GHK's SQ form: overlapping L-day sums (prefix-sum differences), 2 min(#<=, #>=)/M."""
    est = np.asarray(est_ar, dtype=np.float64)
    E, Le = est.shape
    miss = ~np.isfinite(est)
    cs = np.concatenate([np.zeros((E, 1)), np.cumsum(np.where(miss, 0.0, est), axis=1)], axis=1)
    cm = np.concatenate([np.zeros((E, 1), dtype=np.int64), np.cumsum(miss, axis=1)], axis=1)
    out = np.full(car.shape, np.nan)
    for w, (a, b) in enumerate(windows):
        L = int(b - a + 1)
        sums = cs[:, L:] - cs[:, :-L]
        ok = (cm[:, L:] - cm[:, :-L]) == 0
        m = ok.sum(axis=1)
        c = car[:, w][:, None]
        le = (ok & (sums <= c)).sum(axis=1)
        ge = (ok & (sums >= c)).sum(axis=1)
        p = np.minimum(1.0, 2.0 * np.minimum(le, ge) / np.maximum(m, 1))
        out[:, w] = np.where((m > 0) & np.isfinite(car[:, w]), p, np.nan)
    return out


def whole_series_garch(data):
    """GARCH(1, 1) parameters from one fit on the market-model residuals of every valid day."""
    ok = data.valid & data.est_ok
    X = np.column_stack([np.ones(ok.sum()), data.X[ok]])
    beta, *_ = np.linalg.lstsq(X, data.y[ok], rcond=None)
    resid = data.y[ok] - X @ beta
    return vol.garch_variance(resid, 1, min_obs=100).params[:3]


def rate(p):
    return (np.nan_to_num(p, nan=1.0) <= ALPHA).mean(axis=0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3000, help="pseudo-events (one per trial)")
    parser.add_argument("--garch-reps", type=int, default=500,
                        help="pseudo-events with one GARCH fit each")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        data = load_return_arrays(None, "ZS=F", ("SPY", "UUP"), exclude_thin_trading=True)
    eligible = placebo_eligible(data.valid, data.est_ok, estimation=ESTIMATION, windows=WINDOWS,
                                event_day0=[], min_estimation_days=100)
    rng = np.random.default_rng(args.seed)
    day0 = rng.choice(eligible, size=args.reps, replace=True)
    design = dict(model="market", estimation=ESTIMATION, windows=WINDOWS,
                  exclude_other_events=False, min_estimation_days=100)
    a = estimate_arrays(data.y, data.X, data.valid, data.est_ok, day0, **design)
    se = math.sqrt(ALPHA * (1 - ALPHA) / args.reps)
    print(f"ZS=F vs SPY, UUP: {args.reps} pseudo-events among {eligible.size} eligible dates; "
          f"MC SE {100 * se:.2f} points")
    rows = {}
    timings = {}
    for name, f in (
        ("sq-ghk", lambda: sq_ghk(a.car, a.est_ar, WINDOWS)),
        ("sq-perm", lambda: sq_pvalues(a.car, a.est_ar, WINDOWS, a.ar, a.rel_win, draws=1999,
                                       screen=None)),
        ("event-t", lambda: a.pvalue),
        ("ewma-t", lambda: vol.ewma_event_tests(a).pvalue),
        ("garch-fixed-t", lambda: vol.ewma_event_tests(a, params=whole_series_garch(data)).pvalue),
    ):
        t0 = time.perf_counter()
        rows[name] = f()
        timings[name] = time.perf_counter() - t0
    sub = np.arange(min(args.garch_reps, args.reps))
    t0 = time.perf_counter()
    a_sub = estimate_arrays(data.y, data.X, data.valid, data.est_ok, day0[sub], **design)
    g = vol.garch_event_tests(a_sub)
    timings["garch-t"] = time.perf_counter() - t0
    header = "".join(f"{f'[{lo}, {hi}]':>10}" for lo, hi in WINDOWS)
    print(f"{'test':<16}{header}   seconds")
    for name, p in rows.items():
        print(f"{name:<16}" + "".join(f"{100 * r:9.1f}%" for r in rate(p))
              + f"   {timings[name]:.2f}")
    print(f"{'garch-t':<16}" + "".join(f"{100 * r:9.1f}%" for r in rate(g.pvalue))
          + f"   {timings['garch-t']:.2f}  ({sub.size} events, "
          f"{1000 * timings['garch-t'] / sub.size:.0f} ms per fit; "
          f"{int(g.converged.sum())} converged; MC SE "
          f"{100 * math.sqrt(ALPHA * (1 - ALPHA) / sub.size):.2f})")
    print(f"{'event-t (same)':<16}" + "".join(f"{100 * r:9.1f}%" for r in rate(a_sub.pvalue)))
    reg = vol.volatility_regime(a.est_ar)
    q = np.nanquantile(reg.ratio, [0.25, 0.5, 0.75])
    bins = np.digitize(reg.ratio, q)
    print("\nby quartile of the regime ratio s²(last 20 est. days)/s²(rest), window [0, 5]:")
    for name in ("event-t", "sq-perm", "ewma-t", "garch-fixed-t"):
        cells = [100 * rate(rows[name][bins == k])[2] for k in range(4)]
        print(f"{name:<16}" + "".join(f"{c:9.1f}%" for c in cells))
    print(f"{'regime F p<=5%':<16}{100 * rate(reg.pvalue[:, None])[0]:9.1f}% of pseudo-events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
