"""The ``snapshot`` marker: every test that reads the price snapshot carries it, so
``pytest -m "not snapshot"`` runs without one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _pytest(*args: str, prices: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "EVENTSTUDY_PRICES_DIR": str(prices), "CI": "false"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_tests_that_use_the_snapshot_fixture_are_marked(tmp_path):
    (tmp_path / "conftest.py").write_text((REPO / "tests" / "conftest.py").read_text())
    (tmp_path / "test_x.py").write_text(
        "import pytest\n"
        "@pytest.fixture\n"
        "def through(prices_dir):\n"
        "    return prices_dir\n"
        "def test_direct(prices_dir): pass\n"
        "def test_indirect(through): pass\n"
        "def test_report(report): pass\n"
        "def test_none(tmp_path): pass\n"
    )
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--collect-only", "-m", "snapshot", str(tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    marked = {line.split("::")[-1] for line in run.stdout.splitlines() if "::" in line}
    assert marked == {"test_direct", "test_indirect", "test_report"}


def test_unmarked_tests_pass_with_an_empty_prices_folder(tmp_path):
    run = _pytest("-m", "not snapshot", "tests/test_bad_input.py", "tests/test_report.py",
                  prices=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout
