"""Run every study of ``studies/`` and compare the tables with an earlier run.

A redesign must leave the numbers alone. Write the tables of every study
before the change, then again after, and compare::

    python bench/compare_outputs.py write /tmp/before --prices-dir ../shared/data/prices
    python bench/compare_outputs.py write /tmp/after  --prices-dir ../shared/data/prices
    python bench/compare_outputs.py compare /tmp/before /tmp/after

``compare`` checks ``car.csv``, ``ar.csv`` and ``tests.csv`` of every study:
the same rows, every earlier column present, text equal, numbers equal to
``--atol`` (default 1e-12). A column the later run adds is listed, not an
error. It exits with status 1 and lists what differs otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("car.csv", "ar.csv", "tests.csv")


def write(out: Path, prices_dir: str | None, size_check: bool) -> None:
    """Run ``eventstudy run`` on every study file into ``out/<study>``."""
    for study in sorted((ROOT / "studies").glob("*.toml")):
        cmd = [sys.executable, "-m", "eventstudy", "run", str(study),
               "--out", str(out / study.stem)]
        if prices_dir:
            cmd += ["--prices-dir", prices_dir]
        if not size_check:
            cmd.append("--no-size-check")
        print(" ".join(cmd[2:]), flush=True)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def compare_frames(a: pd.DataFrame, b: pd.DataFrame, atol: float) -> list[str]:
    """What differs between two tables, as lines (empty when they agree)."""
    gone = [c for c in a.columns if c not in b.columns]
    if gone:
        return [f"columns missing after: {gone}"]
    if len(a) != len(b):
        return [f"{len(a)} rows against {len(b)}"]
    problems = []
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            xv, yv = x.to_numpy(float), y.to_numpy(float)
            same = np.isclose(xv, yv, rtol=0.0, atol=atol, equal_nan=True)
            if not same.all():
                worst = np.nanmax(np.abs(xv - yv))
                problems.append(f"{col}: {(~same).sum()} values differ (max {worst:.3g})")
        elif not x.fillna("").astype(str).equals(y.fillna("").astype(str)):
            problems.append(f"{col}: {(x.fillna('').astype(str) != y.fillna('').astype(str)).sum()}"
                            " text values differ")
    return problems


def compare(before: Path, after: Path, atol: float) -> int:
    """Compare every study's tables; 0 when all agree."""
    status = 0
    for folder in sorted(p for p in before.iterdir() if p.is_dir()):
        for name in TABLES:
            old, new = folder / name, after / folder.name / name
            if not new.exists():
                print(f"{folder.name}/{name}: missing after")
                status = 1
                continue
            a, b = pd.read_csv(old), pd.read_csv(new)
            problems = compare_frames(a, b, atol)
            for line in problems:
                print(f"{folder.name}/{name}: {line}")
            status |= bool(problems)
            if not problems:
                added = [c for c in b.columns if c not in a.columns]
                print(f"{folder.name}/{name}: equal"
                      + (f" (new columns: {', '.join(added)})" if added else ""))
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("out", type=Path)
    w.add_argument("--prices-dir")
    w.add_argument("--no-size-check", action="store_true")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--atol", type=float, default=1e-12)
    args = parser.parse_args(argv)
    if args.command == "write":
        write(args.out, args.prices_dir, not args.no_size_check)
        return 0
    return compare(args.before, args.after, args.atol)


if __name__ == "__main__":
    sys.exit(main())
