"""`eventstudy run` writes what the results object holds, table by table, one run per folder."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.cli import main
from eventstudy.exceptions import DataQualityWarning, OutputError
from eventstudy.outputs import check_out_dir

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "data" / "events.csv"

SIMPLE = """title = "Corn, simple returns, constant mean"
asset = "ZC=F"
factors = []
model = "constant-mean"
returns = "simple"
estimation = [-120, -6]
windows = [[0, 0], [-2, 2]]
event_ids = ["busan-meeting", "trump-xi-call", "phase-one-signed"]
group_by = "category"
min_estimation_days = 60
placebo_draws = 500
"""


SYNTHETIC = """title = "Soybeans against a synthetic control"
asset = "ZS=F"
model = "synthetic"
donors = ["ZC=F", "ZW=F", "CL=F", "SPY"]
windows = [[0, 0], [0, 1], [-1, 1]]
event_ids = ["busan-meeting", "trump-xi-call", "phase-one-signed"]
placebo_draws = 300
"""

DIMSON = """title = "Soybeans, market model with leads and lags"
asset = "ZS=F"
factors = ["SPY", "UUP"]
factor_lags = [-1, 0, 1]
windows = [[0, 0], [-1, 1]]
event_ids = ["busan-meeting", "trump-xi-call", "phase-one-signed"]
placebo_draws = 300
"""

STUDY_TEXTS = {"simple": SIMPLE, "synthetic": SYNTHETIC, "dimson": DIMSON}


def _run(study_path, out, prices_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        code = main(["run", str(study_path), "--prices-dir", str(prices_dir), "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture(scope="module", params=["article", "article_soyb", "trade_war", "simple",
                                        "synthetic", "dimson"])
def written(request, tmp_path_factory, prices_dir, study_runs):
    """A run's output folder and its study: the project's study files are the session's
    runs (``study_runs``), the others run here."""
    if request.param not in STUDY_TEXTS:
        study = REPO / "studies" / f"{request.param}.toml"
        return study_runs[request.param], es.load_study(study)
    folder = tmp_path_factory.mktemp(request.param)
    study = folder / f"{request.param}.toml"
    study.write_text(f'events = "{EVENTS.as_posix()}"\n' + STUDY_TEXTS[request.param],
                     encoding="utf-8")
    return _run(study, folder / "out", prices_dir), es.load_study(study)


def _text(page: str) -> str:
    """A page as text, the cells of a table row separated by " | "."""
    from html import unescape

    page = re.sub(r"</t[dh]>\s*<t[dh][^>]*>", " | ", page)
    return unescape(re.sub(r"<[^>]+>", " ", page))


def _grade(p: float) -> str:
    """The evidence scale, by hand: strong < 0.01 <= moderate < 0.05 <= weak < 0.10."""
    return "strong" if p < 0.01 else "moderate" if p < 0.05 else "weak" if p < 0.10 \
        else "no evidence"


@pytest.mark.snapshot
def test_every_graded_p_value_is_a_leading_test_that_holds_its_size(written):
    out, study = written
    car = pd.read_csv(out / "car.csv", keep_default_na=False, na_values=[""])
    check = pd.read_csv(out / "size_check.csv").set_index(["test", "start", "end"])
    # the single-event tests the study reports, in the order they may lead
    order = (["garch"] if "garch_p" in car.columns else []) + ["event-t", "sq"] \
        + (["event-placebo"] if study.placebo_draws else [])
    column = {"garch": "garch_p", "event-t": "p", "sq": "sq_p", "event-placebo": "placebo_p"}
    led = car[car["lead_test"].notna()]
    assert len(led) > 0
    for r in led.itertuples():
        holds = [t for t in order if (t, r.start, r.end) in check.index
                 and check.loc[(t, r.start, r.end), "verdict"] == "holds"]
        # the first test, in the order they may lead, that holds its size in the window
        assert r.lead_test == holds[0], (r.event_id, r.start, r.end)
        np.testing.assert_array_equal(r.lead_p, getattr(r, column[r.lead_test]))


@pytest.mark.snapshot
def test_summary_car_tex_and_the_page_carry_the_numbers_of_car_csv(written):
    out, study = written
    car = pd.read_csv(out / "car.csv", keep_default_na=False, na_values=[""])
    used = list(dict.fromkeys(car["event_id"]))
    events = list(study.headline_events or used)
    windows = [tuple(w) for w in (study.headline_windows or study.windows[:2])]
    views = {"summary.md": (out / "summary.md").read_text(encoding="utf-8"),
             "car.tex": (out / "car.tex").read_text(encoding="utf-8").replace("\\%", "%"),
             "report.html": _text((out / "report.html").read_text(encoding="utf-8"))}
    headline = [(a, b) in windows for a, b in zip(car["start"], car["end"], strict=True)]
    rows = car[car["event_id"].isin(events).to_numpy() & np.array(headline)]
    assert len(rows) > 0
    for r in rows.itertuples():
        if r.car != r.car:
            continue
        cells = [f"{100 * r.car:+.2f}%", f"[{100 * r.ci_lower:+.2f}%, {100 * r.ci_upper:+.2f}%]"]
        if isinstance(r.lead_test, str):
            p = "< 0.001" if r.lead_p < 0.001 else f"{r.lead_p:.3f}"
            cells += [f"{p} | {_grade(r.lead_p)}"]
        for name, view in views.items():
            flat = view.replace(" & ", " | ")
            flat = re.sub(r"\s*\|\s*", " | ", flat)
            for cell in cells:
                assert cell in flat, (name, r.event_id, r.start, r.end, cell)


@pytest.mark.snapshot
def test_the_model_files_show_weights_rmspe_and_summed_betas(written):
    out, study = written
    model = pd.read_csv(out / "model.csv")
    text = (out / "summary.md").read_text(encoding="utf-8")
    if study.model == "synthetic":
        weights = pd.read_csv(out / "weights.csv")
        assert set(weights["donor"]) == set(study.donors)
        sums = weights.groupby("event_id")["weight"].sum()
        np.testing.assert_allclose(sums, 1.0, rtol=0, atol=1e-12)
        assert (weights["weight"] >= 0).all() and (model["rmspe"] > 0).all()
        assert f"Donors: {', '.join(study.donors)}" in text
        assert "RMSPE (%)" in _text((out / "report.html").read_text(encoding="utf-8"))
        assert (out / "dummy.csv").read_text(encoding="utf-8").strip() == ""
    else:
        assert not (out / "weights.csv").exists()
    if tuple(study.factor_lags) != (0,):
        for f in study.factors:
            assert {f"{f}_lead1", f"{f}_lag1", f"{f}_sum", f"{f}_sum_se"} <= set(model.columns)
        assert "Factor lags: -1, +0, +1 (Dimson)" in text


@pytest.mark.snapshot
def test_the_summary_describes_this_study_and_no_other(written):
    out, study = written
    text = (out / "summary.md").read_text(encoding="utf-8")
    assert f"Asset: {study.asset}" in text and f"{study.returns} returns" in text
    assert f"CAR in % of {study.returns} return" in text
    other = "log" if study.returns == "simple" else "simple"
    assert f"{other} return" not in text
    for eid in study.headline_events or pd.read_csv(out / "car.csv")["event_id"]:
        assert eid in text
    if study.asset != "ZS=F":
        assert "soybean" not in text.lower() or "soybean" in (study.title + study
                                                              .description).lower()
    for window in study.windows:
        assert f"[{window[0]}, {window[1]}]" in text


@pytest.mark.snapshot
def test_a_second_run_replaces_the_first_as_a_whole(tmp_path, prices_dir):
    out = tmp_path / "out"
    _run(REPO / "studies" / "article.toml", out, prices_dir)
    (out / "figures" / "extra.png").write_bytes(b"stale")
    study = tmp_path / "one.toml"
    study.write_text(f'events = "{EVENTS.as_posix()}"\nevent_ids = ["trump-xi-call"]\n'
                     'asset = "ZS=F"\nfactors = ["SPY", "UUP"]\nseed = 20251124\n'
                     "placebo_draws = 0\n", encoding="utf-8")
    _run(study, out, prices_dir)
    car = pd.read_csv(out / "car.csv")
    assert set(car["event_id"]) == {"trump-xi-call"}
    assert not (out / "figures" / "extra.png").exists()
    assert not (out / "figures" / "caar.png").exists()  # one event: no CAAR figure
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    assert leftovers == []


def test_out_is_checked_before_anything_is_written(tmp_path, capsys):
    afile = tmp_path / "f.txt"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match=r"--out .*f\.txt' is an existing file, not a folder"):
        check_out_dir(afile)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match=r"holds files that are not an eventstudy run"):
        check_out_dir(foreign)
    code = main(["run", str(REPO / "studies" / "article.toml"), "--out", str(foreign)])
    assert code == 2
    assert "holds files that are not an eventstudy run" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


@pytest.mark.snapshot
def test_simulate_writes_size_power_csv(tmp_path, prices_dir, capsys):
    study = tmp_path / "s.toml"
    study.write_text(f'events = "{EVENTS.as_posix()}"\nwindows = [[0, 0], [-1, 1]]\n'
                     'asset = "ZS=F"\nfactors = ["SPY", "UUP"]\nseed = 20251124\n'
                     "placebo_draws = 200\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        code = main(["simulate", str(study), "--reps", "10", "--events-per-rep", "5",
                     "--prices-dir", str(prices_dir), "--out", str(tmp_path / "sim")])
    assert code == 0
    table = pd.read_csv(tmp_path / "sim" / "size_power.csv")
    assert list(table.columns) == ["setting", "test", "window", "abnormal", "rate", "mc_se",
                                   "reps", "n_events"]
    assert set(table["setting"]) == {"real", "iid-normal", "iid-t4"}
    assert set(table["window"]) == {"[0, 0]", "[-1, 1]"}
    assert set(table["abnormal"]) == {0.0, 0.01, 0.02}
    assert {"event-t", "sq", "event-placebo", "patell"} <= set(table["test"])
    assert (table["reps"] == 10).all()
    # a rejection rate: a count out of at most 10 replications x 5 events
    rejections = table["rate"] * table["reps"] * table["n_events"]
    np.testing.assert_allclose(rejections, rejections.round(), rtol=0, atol=1e-9)
    assert rejections.between(0, 50).all() and (table["n_events"] == 5).all()
    assert "size at 0.05 on real" in capsys.readouterr().out
    spread = tmp_path / "spread.toml"
    spread.write_text(f'events = "{EVENTS.as_posix()}"\nassets = ["ZS=F-ZC=F"]\n'
                      'factors = ["SPY", "UUP"]\n',
                      encoding="utf-8")
    assert main(["simulate", str(spread), "--reps", "10"]) == 2
    assert "eventstudy simulate runs one plain asset" in capsys.readouterr().err
    assert main(["simulate", str(study), "--reps", "1"]) == 2
    assert "--reps 1: give an integer of at least 10" in capsys.readouterr().err


@pytest.mark.snapshot
def test_simulate_runs_on_the_study_s_own_returns(tmp_path, prices_dir):
    """The real setting is the study's engine inputs: its return kind, masks and minimum days."""
    from eventstudy.outputs import run_simulation
    from eventstudy.simulation import simulate_tests

    study = tmp_path / "s.toml"
    study.write_text(f'events = "{EVENTS.as_posix()}"\nasset = "ZC=F"\nfactors = ["SPY"]\n'
                     'returns = "simple"\nwindows = [[0, 0], [0, 2]]\nmin_estimation_days = 60\n'
                     "placebo_draws = 300\nseed = 9\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        _, sim = run_simulation(study, prices_dir, tmp_path / "sim", reps=10, events_per_rep=5,
                                settings=("real",))
        fitted = es.analyse(es.load_study(study).replace(placebo_draws=0), prices_dir=prices_dir)
    y, X, valid, est_ok = tuple(fitted.design)[:4]
    # simple returns, not the log returns of the snapshot loader
    close = pd.read_csv(prices_dir / "ZC=F.csv", index_col=0, parse_dates=True)["Close"]
    simple = close.pct_change().reindex(fitted.dates).to_numpy()
    ok = valid & np.isfinite(simple)
    np.testing.assert_allclose(y[ok], simple[ok], rtol=1e-12, atol=0)
    want = simulate_tests(fitted.design, es.load_study(study).replace(placebo_draws=10_000),
                          n_events=5, reps=10, abnormal=(0.0, 0.01, 0.02), setting="real")
    pd.testing.assert_frame_equal(sim.reset_index(drop=True), want, check_dtype=False)


def test_work_beside_the_caller_returns_the_child_s_answer_or_is_done_again_in_the_caller():
    import os

    from eventstudy import outputs

    parent = os.getpid()
    ran_in = outputs._Beside(os.getpid).result()
    assert (ran_in != parent) == outputs._can_fork()

    def only_here():
        # fails wherever it is not the calling process: a child's failure is redone here
        if os.getpid() != parent:
            raise RuntimeError("not in the caller")
        return "drawn in the caller"

    assert outputs._Beside(only_here).result() == "drawn in the caller"
    closed = outputs._Beside(lambda: 1)
    closed.close()
    assert closed.result() == 1
