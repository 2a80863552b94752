"""The pipeline timed against its targets, beside the Python peer (``make bench``).

One run prints a table of figures, each beside its target (measure, value,
target, met), and writes every measurement to ``--out`` (CSV):

- ``analyse`` on N random events (1,000, 4,000 and 10,000 by default) of
  ZS=F against SPY, every test and 10,000 placebo draws (market model,
  estimation [-250, -11], windows [-5, 5], [0, 0], [-1, 1], groups all,
  escalation, de-escalation, signed), in both settings: events that keep the
  other events' windows in the estimation samples (``exclude_other_events =
  false``) and events that leave them out (``true``). Beside it, in the same
  run and on the same events file, the Python peer ``eventstudy`` 0.1a12
  (PyPI; its import name clashes with ours, so it runs in its own
  interpreter, ``--peer-python``): prices read, AR and CAR of each window.
  Targets: at least 5x the peer at 1,000 events, 15x from 4,000 on;
- ``analyse`` on 100,000 events and its peak resident memory (target under
  2 GiB); the group placebo draws its pseudo groups from the pseudo-events,
  so ``placebo_draws`` is ``--large-draws`` (default twice the events);
- the size check of each asset of ``studies/article.toml`` (the study's and
  its variants') from an empty cache (target at most 5 s per asset), and the
  full-size size/power simulation (3,000 replications, three settings,
  target at most 20 s; its table goes to ``--size-power``);
- ``eventstudy run studies/article.toml`` in a fresh interpreter, figures
  included, with a warm cache (target 4 s) and from an empty one (10 s);
- with ``--fresh-clone``, ``make install``, ``make report`` and ``make test``
  on a fresh clone of the committed tree in a temporary folder beside the
  repository (targets 90 s, 2 min and 4 min); minutes, so off by default.

Where an ``analyse`` target is missed, the largest size of that setting is
profiled: the cumulative time of each stage (prices, panel, events, engine,
placebo, group tests, per-event tests) and the five costliest functions.

Random event dates are drawn, with a seeded generator and with replacement,
among the ZS=F trade dates from 2009-01-01 to 2025-12-31 that have 5 later
sessions; directions are ±1 at random. Every ``analyse`` runs in its own
process (its peak resident memory is its own); its time is the best of
``--repeat`` calls after one warm-up call (imports and the exchange calendar
excluded, every per-call cost included). Environment: the price snapshot of
``$EVENTSTUDY_PRICES_DIR`` (else ``../shared/data/prices``).

Usage: python bench/bench_pipeline.py [--events 1000 4000 10000] [--large 100000]
       [--reps 3000] [--peer-python PATH] [--fresh-clone] [--out reports/bench.csv]
       [--size-power reports/size_power.csv]
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import logging
import os
import pstats
import resource
import shutil
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
FIRST, LAST = "2009-01-01", "2025-12-31"
SEED = 20251030
ARTICLE = ROOT / "studies" / "article.toml"
COLUMNS = ["measure", "setting", "events", "seconds", "peer_seconds", "peak_rss_mib",
           "value", "target", "met", "note"]
GIB = 1024.0  # MiB
#: Stages of ``analyse`` in a profile: label -> function names (any module of the package).
STAGES = {
    "prices": ("load_prices",),
    "panel": ("study_returns",),
    "events": ("load_events", "align_events", "select_events"),
    "engine": ("estimate_study",),
    "placebo": ("placebo_distribution",),
    "group tests": ("test_battery",),
    "per-event tests": ("per_event_tests",),
    "volatility": ("volatility_regime",),
}


def _prices_dir() -> Path:
    env = os.environ.get("EVENTSTUDY_PRICES_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data" / "prices"


def _peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def write_events(folder: Path, n: int, seed: int = SEED) -> Path:
    """An events file of n random ZS=F trade dates 2009-2025 (with replacement), directions ±1."""
    import numpy as np
    import pandas as pd

    dates = pd.read_csv(_prices_dir() / f"{ASSET}.csv", usecols=[0]).iloc[:, 0]
    dates = pd.DatetimeIndex(pd.to_datetime(dates))[:-5]
    dates = dates[(dates >= FIRST) & (dates <= LAST)]
    rng = np.random.default_rng(seed + n)
    pick = pd.DatetimeIndex(np.sort(rng.choice(dates.to_numpy(), size=n, replace=True)))
    path = folder / f"events_{n}.csv"
    if path.is_file():
        return path
    pd.DataFrame({
        "id": [f"bench-{i:06d}" for i in range(n)],
        "date": pick.strftime("%Y-%m-%d"),
        "timing": "overnight",
        "title": "random trade date",
        "category": "tariff",
        "direction": rng.choice([-1, 1], size=n),
    }).to_csv(path, index=False)
    return path


def bench_study(events: Path, exclude: bool, draws: int = 10_000):
    from eventstudy.config import Study

    return Study(name="bench", asset=ASSET, factors=FACTORS, model="market",
                 estimation=ESTIMATION, windows=WINDOWS, events=events,
                 exclude_other_events=exclude, group_by="direction", placebo_draws=draws,
                 seed=SEED)


# --- children: each measurement in its own interpreter ------------------------------------

def child_analyse(n: int, exclude: bool, repeat: int, draws: int, warm: bool) -> dict:
    """Time analyse on n random events in this process (run by the parent per size)."""
    from eventstudy.analysis import analyse

    with tempfile.TemporaryDirectory() as tmp:
        study = bench_study(write_events(Path(tmp), n), exclude, draws)
        if warm:  # imports, the exchange calendar
            analyse(study, prices_dir=_prices_dir())
        times = []
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            run = analyse(study, prices_dir=_prices_dir())
            times.append(time.perf_counter() - t0)
    return {
        "seconds": min(times), "peak_rss_mib": _peak_rss_mib(),
        "used": int(run.arrays.used.sum()),
        "tests": 0 if run.tests is None else len(run.tests),
        "n_eligible": None if run.placebo is None else int(run.placebo.n_eligible),
    }


def child_profile(n: int, exclude: bool) -> dict:
    """Stages and the costliest functions of one analyse call (after a warm-up call)."""
    from eventstudy.analysis import analyse

    with tempfile.TemporaryDirectory() as tmp:
        study = bench_study(write_events(Path(tmp), n), exclude)
        analyse(study, prices_dir=_prices_dir())
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.runcall(analyse, study, prices_dir=_prices_dir())
        total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    package = str(ROOT / "eventstudy")
    ours = {key: val for key, val in stats.items() if key[0].startswith(package)}
    stages = {}
    for label, names in STAGES.items():
        # the outermost call of each name: its largest cumulative time
        cum = [max((v[3] for k, v in ours.items() if k[2] == name), default=None)
               for name in names]
        cum = [c for c in cum if c is not None]
        if cum:
            stages[label] = sum(cum)
    top = sorted(((v[3], f"{Path(k[0]).relative_to(ROOT)}:{k[1]} {k[2]}")
                  for k, v in ours.items() if k[2] not in ("analyse", "_estimate_and_test")),
                 reverse=True)[:5]
    own = sorted(((v[2], f"{Path(k[0]).relative_to(ROOT)}:{k[1]} {k[2]}")
                  for k, v in ours.items()), reverse=True)[:5]
    return {"seconds": total, "stages": stages, "top": [[c, name] for c, name in top],
            "own": [[c, name] for c, name in own]}


def child_size_check(label: str | None) -> dict:
    """The size check of the article study (or one variant) from an empty cache folder."""
    from eventstudy.analysis import analyse
    from eventstudy.config import load_study
    from eventstudy.simulation import size_check

    study = load_study(ARTICLE)
    if label:
        study = study.replace(**study.variants[label])
    run = analyse(study, prices_dir=_prices_dir())
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        check = size_check(run.design, study, cache_dir=cache)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "asset": study.asset, "reps": check.reps,
            "n_events": check.n_events, "note": check.note, "peak_rss_mib": _peak_rss_mib()}


def child_article(repeat: int) -> dict:
    from eventstudy.analysis import analyse
    from eventstudy.config import load_study

    study = load_study(ARTICLE)
    analyse(study, prices_dir=_prices_dir())
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        analyse(study, prices_dir=_prices_dir())
        times.append(time.perf_counter() - t0)
    return {"events": len(study.event_ids or ()), "seconds": min(times),
            "peak_rss_mib": _peak_rss_mib()}


def _run_child(args: list[str], timeout: float | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    try:
        out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                             env=env, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout:.0f} s"}
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        print(out.stderr[-3000:], file=sys.stderr)
        return {"error": f"failed: {last}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the peer -----------------------------------------------------------------------------

PEER_SCRIPT = r"""
import json, sys, time
import numpy as np
import eventstudy as es
path, events_file = sys.argv[1], sys.argv[2]
windows = json.loads(sys.argv[3])
T0, T1 = json.loads(sys.argv[4])
repeat = int(sys.argv[5])
dates = [line.split(",")[1] for line in open(events_file).read().splitlines()[1:]]
events = [{"event_date": np.datetime64(d), "security_ticker": "ZS=F", "market_ticker": "SPY"}
          for d in dates]
best = float("inf")
for _ in range(repeat):
    t0 = time.perf_counter()
    es.Single.import_returns(path, is_price=True, log_return=True)
    n_ok = 0
    for a, b in windows:
        # estimation of size T1 - T0 + 1 ending at T1, then a buffer up to the window start
        agg = es.Multiple.from_list(events, es.Single.market_model, event_window=(a, b),
                                    estimation_size=T1 - T0 + 1, buffer_size=a - T1 - 1)
        n_ok = max(n_ok, len(agg.sample))
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best, "used": n_ok}))
"""


def bench_peer(peer_python: str, n: int, folder: Path, repeat: int) -> dict:
    """The peer on the same events file (its own interpreter, isolated from this checkout)."""
    import pandas as pd

    prices = folder / "peer_prices.csv"
    if not prices.is_file():
        close = {t: pd.read_csv(_prices_dir() / f"{t}.csv", index_col=0,
                                parse_dates=True)["Close"] for t in (ASSET, *FACTORS)}
        table = pd.DataFrame(close).dropna()
        table.index.name = "date"
        table.to_csv(prices, date_format="%Y-%m-%d")
    events = write_events(folder, n)
    out = subprocess.run(
        # absolute but not resolved: a venv's python is a link that must stay one
        [os.path.abspath(peer_python), "-I", "-c", PEER_SCRIPT, str(prices), str(events),
         json.dumps([list(w) for w in WINDOWS]), json.dumps(list(ESTIMATION)), str(repeat)],
        capture_output=True, text=True, cwd=folder, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"peer failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the parts timed in this process ------------------------------------------------------

def bench_engine_alone(sizes, repeat: int) -> list[dict]:
    """The engine alone on random day-0 positions, and the statsmodels loop for reference."""
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
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_engine

    day0 = rng.integers(300, T - 11, 300)
    t0 = time.perf_counter()
    bench_engine.statsmodels_loop(data.y, data.X, data.valid, day0)
    rows.append({"events": 300, "seconds": time.perf_counter() - t0, "loop": True})
    return rows


def bench_simulation(reps: int, settings, out: Path | None) -> float:
    """Seconds of the full-size size/power simulation, every setting in one call."""
    from eventstudy.simulation import run_size_power

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_size_power import print_rates, size_power_study

    with tempfile.TemporaryDirectory() as cache:  # timed from an empty cache
        t0 = time.perf_counter()
        table = run_size_power(size_power_study(), settings=tuple(settings), reps=reps,
                               cache_dir=cache)
        seconds = time.perf_counter() - t0
    print_rates(table)
    print()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False)
    return seconds


def time_run_wall_clock(cache: Path, runs: int) -> float:
    """Best wall clock of ``eventstudy run studies/article.toml`` in fresh interpreters."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg",
               EVENTSTUDY_PRICES_DIR=str(_prices_dir()), EVENTSTUDY_CACHE_DIR=str(cache))
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(max(1, runs)):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "eventstudy", "run", str(ARTICLE),
                            "--out", tmp], check=True, env=env, capture_output=True)
            best = min(best, time.perf_counter() - t0)
    return best


def bench_run(runs: int) -> tuple[float, float]:
    """``eventstudy run`` from an empty cache (a fresh folder per run), then with it warm."""
    cold = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(max(1, runs)):
            cache = Path(tmp) / f"cache-{i}"
            cache.mkdir()
            cold = min(cold, time_run_wall_clock(cache, 1))
        warm = time_run_wall_clock(cache, runs)
    return cold, warm


def bench_fresh_clone(make: str = "make") -> dict:
    """Seconds of ``make install``, ``make report`` and ``make test`` on a fresh clone.

    The committed tree is cloned into a temporary folder beside the repository
    (removed afterwards); the clone reads the price snapshot (``PRICES_DIR``)
    and its own empty cache, as a new user's checkout would.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("EVENTSTUDY_CACHE_DIR", "EVENTSTUDY_PRICES_DIR", "PYTHONPATH",
                        "VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    prices = f"PRICES_DIR={_prices_dir()}"
    out = {}
    folder = Path(tempfile.mkdtemp(prefix=".bench-clone-", dir=ROOT.parent))
    try:
        clone = folder / ROOT.name
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        for target in ("install", "report", "test"):
            t0 = time.perf_counter()
            done = subprocess.run([make, target, prices], cwd=clone, env=env,
                                  capture_output=True, text=True, check=False)
            out[target] = time.perf_counter() - t0
            if done.returncode != 0:
                out[f"{target}_error"] = (done.stderr.strip().splitlines() or ["?"])[-1]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


# --- the printout -------------------------------------------------------------------------

class Table:
    """Rows of measurements: printed as they come, the targets again at the end, and CSV."""

    def __init__(self):
        self.rows = []

    def add(self, measure, *, setting="", events=None, seconds=None, peer=None, peak=None,
            value="", target="", met=None, note="", show=True):
        met_text = "" if met is None else ("yes" if met else "no")
        self.rows.append({
            "measure": measure, "setting": setting, "events": events,
            "seconds": None if seconds is None else round(seconds, 4),
            "peer_seconds": None if peer is None else round(peer, 4),
            "peak_rss_mib": None if peak is None else round(peak, 1),
            "value": value, "target": target, "met": met_text, "note": note})
        head = f"{measure}{f' ({setting})' if setting else ''}"
        n = f"{events:>7,}" if events else " " * 7
        secs = f"{seconds:9.3f} s" if seconds is not None else " " * 11
        mem = f"  peak {peak:7.1f} MiB" if peak is not None else ""
        if not show:
            return
        goal = (f"  [{value}; target {target}" + (f", met: {met_text}]" if met_text else "]")
                if target else "")
        print(f"{head:<40} {n} {secs}{mem}{goal}  {note}", flush=True)

    def print_targets(self):
        rows = [r for r in self.rows if r["target"]]
        print("\nTargets")
        cells = [("measure", "value", "target", "met")] + [
            (r["measure"] + (f" ({r['setting']})" if r["setting"] else "")
             + (f", {r['events']:,} events" if r["events"] else ""),
             r["value"], r["target"], r["met"]) for r in rows]
        widths = [max(len(str(c[i])) for c in cells) for i in range(4)]
        for i, c in enumerate(cells):
            print("  ".join(str(v).ljust(w) for v, w in zip(c, widths, strict=True)).rstrip())
            if i == 0:
                print("  ".join("-" * w for w in widths))

    def write(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows)


def _setting(exclude: bool) -> str:
    return f"exclude_other_events = {str(exclude).lower()}"


def _speed_target(n: int) -> float:
    return 5.0 if n < 4000 else 15.0


def section_analyse(table: Table, args) -> list:
    """analyse beside the peer in both settings; returns the (n, exclude) that missed."""
    missed = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.events:
            peer = None
            if args.peer_python:
                res = bench_peer(args.peer_python, n, Path(tmp), min(args.repeat, 2))
                peer = res["seconds"]
                table.add("peer eventstudy 0.1a12", events=n, seconds=peer,
                          note=f"prices, AR and CAR of each window; {res['used']} used")
            for exclude in (False, True):
                res = _run_child(["--child", "analyse", str(n), str(int(exclude)),
                                  "--repeat", str(args.repeat)], args.timeout)
                goal = _speed_target(n)
                if "error" in res:
                    table.add("analyse vs peer", setting=_setting(exclude), events=n,
                              value=res["error"], target=f">= {goal:g}x", met=False)
                    missed.append((n, exclude))
                    continue
                ratio = None if peer is None else peer / res["seconds"]
                table.add("analyse vs peer", setting=_setting(exclude), events=n,
                          seconds=res["seconds"], peer=peer, peak=res["peak_rss_mib"],
                          value="no peer" if ratio is None else f"{ratio:.1f}x",
                          target=f">= {goal:g}x", met=None if ratio is None else ratio >= goal,
                          note=f"{res['used']} used, {res['tests']} test rows, "
                               f"{res['n_eligible']} eligible pseudo days")
                if ratio is not None and ratio < goal:
                    missed.append((n, exclude))
    return missed


def section_profile(table: Table, args, missed) -> None:
    """Where the time of a missed analyse target goes: stages and top functions."""
    for exclude in (False, True):
        sizes = [n for n, e in missed if e == exclude]
        if not sizes:
            continue
        n = max(sizes)
        res = _run_child(["--child", "profile", str(n), str(int(exclude))], args.timeout)
        if "error" in res:
            print(f"profile of analyse, {n:,} events, {_setting(exclude)}: {res['error']}")
            continue
        total = res["seconds"]
        print(f"\nwhere the time goes: analyse, {n:,} events, {_setting(exclude)}, "
              f"{total:.2f} s under cProfile (cumulative; stages may nest)")
        for label, secs in res["stages"].items():
            print(f"  {label:<16} {secs:8.3f} s  {100 * secs / total:5.1f}%")
            table.add("analyse stage", setting=_setting(exclude), events=n, seconds=secs,
                      note=f"{label} (cProfile, cumulative)", show=False)
        print("  top 5 functions by cumulative time:")
        for secs, name in res["top"]:
            print(f"    {secs:8.3f} s  {name}")
        print("  top 5 functions of the package by their own time:")
        for secs, name in res["own"]:
            print(f"    {secs:8.3f} s  {name}")
    print()


def section_large(table: Table, args) -> None:
    n = args.large
    draws = args.large_draws or 2 * n
    res = _run_child(["--child", "large", str(n), str(draws)], args.timeout)
    note = (f"exclude_other_events = false, placebo_draws {draws:,} "
            f"(the largest group holds every event), one call")
    if "error" in res:
        table.add("analyse, peak memory", events=n, value=res["error"], target="< 2 GiB",
                  met=False, note=note)
        return
    peak = res["peak_rss_mib"]
    table.add("analyse, peak memory", events=n, seconds=res["seconds"], peak=peak,
              value=f"{peak / GIB:.2f} GiB", target="< 2 GiB", met=peak < 2 * GIB,
              note=f"{note}; {res['used']} used, {res['n_eligible']} eligible pseudo days")


def article_assets() -> list:
    """(label, asset): the article study (label None) and the first variant of each other asset."""
    from eventstudy.config import load_study

    study = load_study(ARTICLE)
    out, seen = [(None, study.asset)], {study.asset}
    for label, changes in study.variants.items():
        asset = changes.get("asset", study.asset)
        if asset not in seen:
            seen.add(asset)
            out.append((label, asset))
    return out


def section_size(table: Table, args) -> None:
    for label, asset in article_assets():
        res = _run_child(["--child", "size", label or ""], args.timeout)
        where = "studies/article.toml" + (f", variant {label!r}" if label else "")
        if "error" in res:
            table.add("size check, empty cache", setting=asset, value=res["error"],
                      target="<= 5 s", met=False, note=where)
            continue
        table.add("size check, empty cache", setting=asset, seconds=res["seconds"],
                  peak=res["peak_rss_mib"], value=f"{res['seconds']:.1f} s", target="<= 5 s",
                  met=res["seconds"] <= 5,
                  note=f"{where}; {res['reps']:,} x {res['n_events']} pseudo-events "
                       f"{res['note']}".strip())
    if args.settings:
        secs = bench_simulation(args.reps, args.settings, args.size_power)
        table.add("size/power simulation", setting=", ".join(args.settings), seconds=secs,
                  value=f"{secs:.1f} s", target="<= 20 s", met=secs <= 20,
                  note=f"{args.reps:,} replications x 20 events per setting, every test")


def section_run(table: Table, args) -> None:
    cold, warm = bench_run(min(args.repeat, 2))
    note = "eventstudy run studies/article.toml, fresh interpreter, figures included"
    table.add("run wall clock, warm cache", seconds=warm, value=f"{warm:.1f} s",
              target="<= 4 s", met=warm <= 4, note=note)
    table.add("run wall clock, empty cache", seconds=cold, value=f"{cold:.1f} s",
              target="<= 10 s", met=cold <= 10, note=note + ", a new cache folder per run")


def section_fresh_clone(table: Table, args) -> None:
    goals = {"install": ("make install", 90), "report": ("make report", 120),
             "test": ("make test", 240)}
    res = bench_fresh_clone() if args.fresh_clone else {}
    for key, (measure, goal) in goals.items():
        target = f"<= {goal} s"
        if key not in res:
            table.add(f"fresh clone: {measure}", value="not run (use --fresh-clone)",
                      target=target)
            continue
        secs = res[key]
        error = res.get(f"{key}_error")
        table.add(f"fresh clone: {measure}", seconds=secs, value=f"{secs:.0f} s",
                  target=target, met=secs <= goal and not error,
                  note=f"failed: {error}" if error else
                  ("after the install" if key != "install" else "venv and dependencies"))


def section_context(table: Table, args) -> None:
    """Figures without a target: the engine alone, the reference loop, the article study."""
    for r in bench_engine_alone(args.events, args.repeat):
        if r.get("loop"):
            table.add("statsmodels loop", events=r["events"], seconds=r["seconds"],
                      note="reference: one OLS and prediction per event")
        else:
            table.add("engine alone", events=r["events"], seconds=r["seconds"],
                      note="estimate_arrays, random day-0 positions")
    res = _run_child(["--child", "article", "--repeat", str(args.repeat)], args.timeout)
    if "error" not in res:
        table.add("article analyse", events=res["events"], seconds=res["seconds"],
                  peak=res["peak_rss_mib"], note="studies/article.toml, once imported")


def run_child(args) -> int:
    kind, rest = args.child[0], args.child[1:]
    if kind == "analyse":
        res = child_analyse(int(rest[0]), bool(int(rest[1])), args.repeat, 10_000, warm=True)
    elif kind == "large":
        res = child_analyse(int(rest[0]), False, 1, int(rest[1]), warm=False)
    elif kind == "profile":
        res = child_profile(int(rest[0]), bool(int(rest[1])))
    elif kind == "size":
        res = child_size_check(rest[0] if rest else None)
    else:
        res = child_article(args.repeat)
    print(json.dumps(res))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1000, 4000, 10000])
    parser.add_argument("--large", type=int, default=100_000,
                        help="events of the memory measurement (0: skip)")
    parser.add_argument("--large-draws", type=int, default=None,
                        help="placebo draws of the memory measurement (default twice --large)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reps", type=int, default=3000, help="simulation replications")
    parser.add_argument("--settings", nargs="*", default=["real", "iid-normal", "iid-t4"],
                        help="simulation settings (none: skip the simulation)")
    parser.add_argument("--peer-python", default=None,
                        help="python of a separate venv with eventstudy==0.1a12")
    parser.add_argument("--fresh-clone", action="store_true",
                        help="also time make install, report and test on a fresh clone (minutes)")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds after which a measurement in a child process is stopped")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench.csv")
    parser.add_argument("--size-power", type=Path, default=None,
                        help="write the simulation table here (CSV)")
    parser.add_argument("--child", nargs="*", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Exclusions are reported by the studies; a benchmark prints timings only.
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")
    if args.child:
        return run_child(args)

    if not (_prices_dir() / f"{ASSET}.csv").is_file():
        print(f"error: no price snapshot in {_prices_dir()}; set EVENTSTUDY_PRICES_DIR",
              file=sys.stderr)
        return 2
    table = Table()
    print(f"{ASSET} vs {', '.join(FACTORS)}: market model, estimation {ESTIMATION}, windows "
          f"{WINDOWS}, every test and 10,000 placebo draws; random trade dates "
          f"{FIRST[:4]}-{LAST[:4]} (seed {SEED}); {os.cpu_count()} cores")
    missed = section_analyse(table, args)
    section_profile(table, args, missed)
    if args.large:
        section_large(table, args)
    section_size(table, args)
    section_run(table, args)
    section_fresh_clone(table, args)
    section_context(table, args)
    table.print_targets()
    table.write(args.out)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
