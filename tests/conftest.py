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
#: The report is built once per session: under pytest-xdist (``-n 2 --dist loadgroup``)
#: the tests that read it run in one worker, so it is built once.
SHARED_FIXTURES = frozenset({"report"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark ``snapshot`` every test that uses the snapshot fixtures, directly or through
    another fixture (``item.fixturenames`` holds the whole closure); put the tests of the
    report in one pytest-xdist group."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if SNAPSHOT_FIXTURES & names:
            item.add_marker(pytest.mark.snapshot)
        if SHARED_FIXTURES & names:
            item.add_marker(pytest.mark.xdist_group("report"))


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
    build_report(out, REPO / "notebooks", studies=REPO / "studies", prices_dir=prices_dir,
                 jobs=2)
    return out


class _StudyRuns(dict):
    """Study name -> the output folder of ``eventstudy run studies/<name>.toml``, each run
    made the first time it is asked for."""

    def __init__(self, out: Path, prices_dir: Path):
        super().__init__()
        self.out, self.prices_dir = out, prices_dir

    def __missing__(self, name: str) -> Path:
        from eventstudy.outputs import run_study

        self[name] = run_study(REPO / "studies" / f"{name}.toml", prices_dir=self.prices_dir,
                               out=self.out / name)
        return self[name]


@pytest.fixture(scope="session")
def study_runs(tmp_path_factory, prices_dir) -> _StudyRuns:
    """``eventstudy run`` of the project's study files, each run once per session and shared
    by the notebook and browser tests."""
    return _StudyRuns(tmp_path_factory.mktemp("runs"), prices_dir)
