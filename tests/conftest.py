"""Shared fixtures: the real price snapshot, read through the same setting users use, and
the report built from it once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _snapshot_dir() -> Path | None:
    env = os.environ.get("EVENTSTUDY_PRICES_DIR")
    if env:
        return Path(env)
    sibling = REPO.parent / "shared" / "data" / "prices"
    return sibling if sibling.is_dir() else None


SNAPSHOT_FIXTURES = frozenset({"prices_dir", "report"})


def pytest_collection_modifyitems(config, items):
    """Mark ``snapshot`` every test that uses the snapshot fixtures, directly or through
    another fixture (``item.fixturenames`` holds the whole closure)."""
    for item in items:
        if SNAPSHOT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.snapshot)


@pytest.fixture(scope="session")
def prices_dir() -> Path:
    """The folder of real `<TICKER>.csv` snapshot files.

    In CI (``CI=true``) a missing snapshot fails the run instead of skipping.
    """
    path = _snapshot_dir()
    if path is None or not (path / "ZS=F.csv").is_file():
        setting = os.environ.get("EVENTSTUDY_PRICES_DIR")
        message = (
            f"price snapshot not found (EVENTSTUDY_PRICES_DIR={setting!r}); "
            "run `make test PRICES_DIR=/path/to/prices`"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    """A private, empty cache folder for one test."""
    path = tmp_path / "cache"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def report(tmp_path_factory, prices_dir) -> Path:
    """The whole report (every notebook executed once, and the index), built once per
    session and shared by every test that reads it.

    A failing cell raises NotebookError with the cell's traceback.
    """
    from eventstudy.report.build import build_report

    out = tmp_path_factory.mktemp("reports")
    build_report(out, REPO / "notebooks", studies=REPO / "studies", prices_dir=prices_dir)
    return out
