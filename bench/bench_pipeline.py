"""The whole pipeline, timed from price files to the results object (``make bench``).

One run prints and writes to ``--out`` (CSV, one row per measurement):

- ``analyse`` on N random ZS=F trade dates (1,000, 4,000 and 10,000 by
  default) against SPY: prices read from the snapshot files, the events file
  loaded and aligned, returns and masks, estimation [-250, -11], windows
  [-5, 5], [0, 0], [-1, 1], every group test (groups all, escalation,
  de-escalation, signed), the per-event tests and the 10,000-draw placebo,
  to the results object (:func:`eventstudy.analysis.analyse`). Each size runs
  in its own process, so that its peak resident memory is its own; the
  time is the best of ``--repeat`` calls after one warm-up call (imports
  and the exchange calendar excluded, every per-call cost included);
- the engine alone on the same sizes (:func:`eventstudy.estimate.estimate_arrays`)
  and a per-event statsmodels loop (the reference, rate per event);
- the article's study (``studies/article.toml``): ``analyse`` once imported,
  and the wall clock of ``eventstudy run`` in a fresh interpreter, figures
  included;
- the full-size size/power simulation (:func:`eventstudy.simulation.run_size_power`),
  timed per setting; its table goes to ``--size-power``;
- optionally the Python peer ``eventstudy`` 0.1a12 (PyPI; its import name
  clashes with ours, so it runs in its own interpreter, ``--peer-python``) on
  the same events: AR and CAR only, one run per window.

Random event dates are drawn with replacement among the trade dates with at
least 300 earlier sessions and 6 later ones (10,000 events exceed the
history's 6,000 dates); their directions are ±1 at random. Other-event
exclusion is off (every date is an event date), as in the peer.

Usage: python bench/bench_pipeline.py [--events 1000 4000 10000] [--reps 3000]
       [--peer-python PATH] [--out reports/bench.csv] [--size-power reports/size_power.csv]
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ASSET, FACTORS = "ZS=F", ("SPY",)
ESTIMATION = (-250, -11)
WINDOWS = ((-5, 5), (0, 0), (-1, 1))
SEED = 20251030
COLUMNS = ["measure", "events", "seconds", "events_per_second", "peak_rss_mib", "note"]


def _prices_dir() -> Path:
    env = os.environ.get("EVENTSTUDY_PRICES_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data" / "prices"


def _peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def write_events(folder: Path, n: int, seed: int = SEED) -> Path:
    """An events file of n random ZS=F trade dates (with replacement), directions ±1."""
    import numpy as np
    import pandas as pd

    dates = pd.read_csv(_prices_dir() / f"{ASSET}.csv", usecols=[0]).iloc[:, 0]
    dates = pd.DatetimeIndex(pd.to_datetime(dates))[300:-6]
    rng = np.random.default_rng(seed + n)
    pick = pd.DatetimeIndex(np.sort(rng.choice(dates.to_numpy(), size=n, replace=True)))
    path = folder / f"events_{n}.csv"
    pd.DataFrame({
        "id": [f"bench-{i:05d}" for i in range(n)],
        "date": pick.strftime("%Y-%m-%d"),
        "timing": "overnight",
        "title": "random trade date",
        "category": "tariff",
        "direction": rng.choice([-1, 1], size=n),
    }).to_csv(path, index=False)
    return path


def bench_study(events: Path):
    from eventstudy.config import Study

    return Study(name="bench", asset=ASSET, factors=FACTORS, model="market",
                 estimation=ESTIMATION, windows=WINDOWS, events=events,
                 exclude_other_events=False, group_by="direction", placebo_draws=10_000,
                 seed=SEED)


def child_analyse(n: int, repeat: int) -> dict:
    """Time analyse on n random events in this process (run by the parent per size)."""
    from eventstudy.analysis import analyse

    with tempfile.TemporaryDirectory() as tmp:
        study = bench_study(write_events(Path(tmp), n))
        run = analyse(study, prices_dir=_prices_dir())  # warm-up: imports, calendar
        times = []
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            run = analyse(study, prices_dir=_prices_dir())
            times.append(time.perf_counter() - t0)
    return {
        "events": n, "seconds": min(times), "peak_rss_mib": _peak_rss_mib(),
        "used": int(run.arrays.used.sum()), "tests": len(run.tests),
        "n_eligible": int(run.placebo.n_eligible),
    }


def child_article(repeat: int) -> dict:
    from eventstudy.analysis import analyse
    from eventstudy.config import load_study

    study = load_study(ROOT / "studies" / "article.toml")
    analyse(study, prices_dir=_prices_dir())
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        analyse(study, prices_dir=_prices_dir())
        times.append(time.perf_counter() - t0)
    return {"events": len(study.event_ids or ()), "seconds": min(times),
            "peak_rss_mib": _peak_rss_mib()}


def _run_child(args: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"bench child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_run_wall_clock() -> float:
    """Wall clock of ``eventstudy run studies/article.toml`` in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg",
               EVENTSTUDY_PRICES_DIR=str(_prices_dir()))
    with tempfile.TemporaryDirectory() as tmp:
        best = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "eventstudy", "run",
                            str(ROOT / "studies" / "article.toml"), "--out", tmp],
                           check=True, env=env, capture_output=True)
            best = min(best, time.perf_counter() - t0)
    return best


PEER_SCRIPT = r"""
import json, sys, time
import numpy as np
import eventstudy as es
path, events_file = sys.argv[1], sys.argv[2]
windows = json.loads(sys.argv[3])
T0, T1 = json.loads(sys.argv[4])
dates = [line.split(",")[1] for line in open(events_file).read().splitlines()[1:]]
events = [{"event_date": np.datetime64(d), "security_ticker": "ZS=F", "market_ticker": "SPY"}
          for d in dates]
t0 = time.perf_counter()
es.Single.import_returns(path, is_price=True, log_return=True)
n_ok = 0
for a, b in windows:
    # estimation of size T1 - T0 + 1 ending at T1, then a buffer up to the window start
    agg = es.Multiple.from_list(events, es.Single.market_model, event_window=(a, b),
                                estimation_size=T1 - T0 + 1, buffer_size=a - T1 - 1)
    n_ok = max(n_ok, len(agg.sample))
print(json.dumps({"seconds": time.perf_counter() - t0, "used": n_ok}))
"""


def bench_peer(peer_python: str, n: int, folder: Path) -> dict:
    """The peer on the same events (its own interpreter, isolated from this checkout)."""
    import pandas as pd

    close = {t: pd.read_csv(_prices_dir() / f"{t}.csv", index_col=0, parse_dates=True)["Close"]
             for t in (ASSET, *FACTORS)}
    table = pd.DataFrame(close).dropna()
    table.index.name = "date"
    prices = folder / "peer_prices.csv"
    table.to_csv(prices, date_format="%Y-%m-%d")
    events = write_events(folder, n)
    out = subprocess.run(
        # absolute but not resolved: a venv's python is a link that must stay one
        [os.path.abspath(peer_python), "-I", "-c", PEER_SCRIPT, str(prices), str(events),
         json.dumps([list(w) for w in WINDOWS]), json.dumps(list(ESTIMATION))],
        capture_output=True, text=True, cwd=folder, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"peer failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_engine_alone(sizes, repeat: int) -> list[dict]:
    import numpy as np

    from eventstudy.estimate import estimate_arrays
    from eventstudy.simulation import load_return_arrays

    data = load_return_arrays(_prices_dir(), ASSET, FACTORS, exclude_thin_trading=True)
    rng = np.random.default_rng(SEED)
    T = data.y.size
    rows = []
    for n in sizes:
        day0 = rng.integers(300, T - 6, n)
        best = float("inf")
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            estimate_arrays(data.y, data.X, data.valid, data.est_ok, day0, model="market",
                            estimation=ESTIMATION, windows=WINDOWS, exclude_other_events=False,
                            min_estimation_days=100)
            best = min(best, time.perf_counter() - t0)
        rows.append({"events": n, "seconds": best})
    # the reference: one statsmodels OLS and prediction per event
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_engine

    day0 = rng.integers(300, T - 11, 300)
    t0 = time.perf_counter()
    bench_engine.statsmodels_loop(data.y, data.X, data.valid, day0)
    rows.append({"events": 300, "seconds": time.perf_counter() - t0, "loop": True})
    return rows


def bench_simulation(reps: int, settings, out: Path | None) -> list[dict]:
    import pandas as pd

    from eventstudy.simulation import run_size_power

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_size_power import print_rates, size_power_study

    rows, tables = [], []
    for setting in settings:
        t0 = time.perf_counter()
        tables.append(run_size_power(size_power_study(), settings=(setting,), reps=reps))
        rows.append({"setting": setting, "seconds": time.perf_counter() - t0})
    table = pd.concat(tables, ignore_index=True)

    print()
    print_rates(table)
    print()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1000, 4000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reps", type=int, default=3000, help="simulation replications")
    parser.add_argument("--settings", nargs="*", default=["real", "iid-normal", "iid-t4"],
                        help="simulation settings (none: skip the simulation)")
    parser.add_argument("--peer-python", default=None,
                        help="python of a separate venv with eventstudy==0.1a12 (optional)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench.csv")
    parser.add_argument("--size-power", type=Path, default=None,
                        help="write the simulation table here (CSV)")
    parser.add_argument("--child", nargs="+", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Exclusions are reported by the studies; a benchmark prints timings only.
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")

    if args.child:
        kind = args.child[0]
        res = child_article(args.repeat) if kind == "article" else child_analyse(
            int(args.child[1]), args.repeat)
        print(json.dumps(res))
        return 0

    if not (_prices_dir() / f"{ASSET}.csv").is_file():
        print(f"error: no price snapshot in {_prices_dir()}; set EVENTSTUDY_PRICES_DIR",
              file=sys.stderr)
        return 2
    rows = []

    def record(measure, events, seconds, peak=None, note=""):
        rate = events / seconds if events and seconds else None
        rows.append({"measure": measure, "events": events, "seconds": round(seconds, 4),
                     "events_per_second": None if rate is None else round(rate),
                     "peak_rss_mib": None if peak is None else round(peak, 1), "note": note})
        shown = f"{rate:>10,.0f} events/s" if rate else " " * 19
        mem = f"  peak RSS {peak:7.1f} MiB" if peak is not None else ""
        print(f"{measure:<24} {events or '':>6} {seconds:9.3f} s {shown}{mem}  {note}",
              flush=True)

    print(f"{ASSET} vs {', '.join(FACTORS)}: market model, estimation {ESTIMATION}, "
          f"windows {WINDOWS}, 10,000-draw placebo, groups all/escalation/de-escalation/signed")
    for n in args.events:
        res = _run_child(["--child", "analyse", str(n), "--repeat", str(args.repeat)])
        record("analyse", n, res["seconds"], res["peak_rss_mib"],
               f"{res['used']} used, {res['tests']} test rows, "
               f"{res['n_eligible']} eligible pseudo days")
    for r in bench_engine_alone(args.events, args.repeat):
        if r.get("loop"):
            record("statsmodels loop", r["events"], r["seconds"], note="reference, per event")
        else:
            record("engine alone", r["events"], r["seconds"])
    res = _run_child(["--child", "article", "--repeat", str(args.repeat)])
    record("article analyse", res["events"], res["seconds"], res["peak_rss_mib"],
           "studies/article.toml, once imported")
    record("article run wall clock", 0, time_run_wall_clock(),
           note="eventstudy run studies/article.toml, fresh interpreter, figures included")
    if args.peer_python:
        with tempfile.TemporaryDirectory() as tmp:
            for n in args.events:
                res = bench_peer(args.peer_python, n, Path(tmp))
                record("peer eventstudy 0.1a12", n, res["seconds"],
                       note=f"AR and CAR only, {res['used']} used")
    if args.settings:
        for r in bench_simulation(args.reps, args.settings, args.size_power):
            record(f"simulation {r['setting']}", 0, r["seconds"],
                   note=f"{args.reps} reps x 20 events, 3 abnormal sizes, every test and window")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
