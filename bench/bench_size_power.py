"""Full-size Brown-Warner simulation of every test's size and power (``make bench``).

Pseudo-events drawn from the real ZS=F returns (against SPY and UUP) and from
iid normal and Student-t(4) market-model returns, with no abnormal return and
with +1% and +2% on day 0 (:func:`eventstudy.simulation.run_size_power`).
Prints the rejection rates at 5% with their Monte Carlo standard errors and
writes the tidy table to ``--out`` (CSV).

Usage: python bench/bench_size_power.py [--reps 2000] [--out reports/size_power.csv]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eventstudy.config import Study  # noqa: E402
from eventstudy.exceptions import DataQualityWarning  # noqa: E402
from eventstudy.simulation import run_size_power  # noqa: E402


def size_power_study(seed: int = 0) -> Study:
    """The simulated setting: the market model of ZS=F on SPY and UUP, 10,000 placebo draws."""
    return Study(name="size-power", asset="ZS=F", factors=("SPY", "UUP"), model="market",
                 estimation=(-250, -11), windows=((0, 0), (-1, 1), (0, 5)),
                 min_estimation_days=100, placebo_draws=10_000, seed=seed)


def print_rates(table) -> None:
    """Rejection rates at 5% (no abnormal return) and power, as tables."""
    null = table[table["abnormal"] == 0]
    rates = null.pivot_table(index="test", columns=["setting", "window"], values="rate")
    print("\nrejection rate at 5% with no abnormal return (Monte Carlo SE "
          f"{null['mc_se'].min():.4f}-{null['mc_se'].max():.4f}):")
    print((100 * rates).round(1).to_string())
    beyond = null[null["within_3se"] == False]  # noqa: E712 - nullable boolean
    print("\nbeyond 3 Monte Carlo SE of 5%: "
          + (", ".join(f"{r.test} {r.window} ({r.setting}, {100 * r.rate:.1f}%)"
                       for r in beyond.itertuples()) or "none"))
    power = table[table["abnormal"] > 0].pivot_table(
        index="test", columns=["setting", "window", "abnormal"], values="rate")
    print("\npower (rejection rate with a day-0 abnormal return of +1% / +2%):")
    print((100 * power).round(0).to_string())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000, help="replications per setting")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "size_power.csv")
    args = parser.parse_args(argv)
    # Exclusions are reported by the studies; a benchmark prints timings only.
    logging.basicConfig(level=logging.ERROR)

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        with tempfile.TemporaryDirectory() as cache:  # timed from an empty cache
            table = run_size_power(size_power_study(args.seed), reps=args.reps, cache_dir=cache)
    seconds = time.perf_counter() - t0
    print(f"size and power: {table.attrs.get('description', '')} ({seconds:.0f} s)")
    print_rates(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
