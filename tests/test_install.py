"""A non-editable install (a built wheel in a fresh virtual environment) runs a study.

The wheel is built from this checkout and installed without its dependencies
into a new venv, which reads the dependencies from the test's own environment
through a ``.pth`` path line (so nothing is downloaded); ``eventstudy`` itself
then comes from the wheel, not from the source tree.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

STUDY = """title = "Corn futures around the Busan meeting"
asset = "ZC=F"
factors = ["SPY"]
estimation = [-200, -11]
windows = [[0, 0], [0, 1]]
event_ids = ["busan-meeting", "trump-xi-call"]
placebo_draws = 200
"""


def _env():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.pop("EVENTSTUDY_CACHE_DIR", None)
    return env


def _run(cmd, **kw):
    kw.setdefault("env", _env())
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                  str(tmp / "dist"), str(REPO)])
    assert built.returncode == 0, built.stderr
    wheel = next((tmp / "dist").glob("futures_eventstudy-*.whl"))
    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)])
    assert made.returncode == 0, made.stderr
    py = venv / "bin" / "python"
    done = _run([str(py), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)])
    assert done.returncode == 0, done.stderr
    # after the install, so that pip does not see this checkout's editable install
    site = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    Path(site.stdout.strip(), "test-deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv


def test_the_installed_package_is_the_wheel_with_its_catalogue(installed, tmp_path):
    py = installed / "bin" / "python"
    out = _run([str(py), "-c", "import eventstudy, eventstudy.events as e; "
                "print(eventstudy.__file__); print(e.DEFAULT_EVENTS.is_file())"],
               cwd=tmp_path, env=_env())
    assert out.returncode == 0, out.stderr
    where, has_catalogue = out.stdout.split()
    assert str(installed) in where and str(REPO) not in where
    assert has_catalogue == "True"


@pytest.mark.snapshot
def test_run_and_events_from_another_folder(installed, tmp_path, prices_dir):
    (tmp_path / "corn.toml").write_text(STUDY, encoding="utf-8")
    exe = installed / "bin" / "eventstudy"
    env = _env()
    run = _run([str(exe), "run", "corn.toml", "--prices-dir", str(prices_dir), "--out", "res"],
               cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    for name in ("car.csv", "tests.csv", "model.csv", "car.tex", "summary.md"):
        assert (tmp_path / "res" / name).is_file(), name
    summary = (tmp_path / "res" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Corn futures around the Busan meeting")
    assert "- Asset: ZC=F" in summary
    events = _run([str(exe), "events", "--asset", "ZS=F", "--prices-dir", str(prices_dir)],
                  cwd=tmp_path, env=env)
    assert events.returncode == 0, events.stderr
    assert "busan-meeting" in events.stdout and "trump-xi-call" in events.stdout
