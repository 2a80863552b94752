"""Study files: validation of every key, and `eventstudy run` on the real snapshot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eventstudy.config import STUDY_KEYS, Study, load_study

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "data" / "events.csv"


def write_study(folder: Path, body: str, name: str = "s.toml") -> Path:
    """A study file of ``body`` with the events file, and ZS=F on SPY and UUP unless
    ``body`` names its asset or factors."""
    head = [f'events = "{EVENTS.as_posix()}"']
    head += [line for key, line in (("asset", 'asset = "ZS=F"'),
                                    ("factors", 'factors = ["SPY", "UUP"]'))
             if not re.search(rf"^{key} =", body, flags=re.M)]
    path = folder / name
    path.write_text("\n".join(head) + "\n" + body, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- loading


def test_shipped_studies_load():
    for name in ("article", "article_soyb", "trade_war"):
        study = load_study(REPO / "studies" / f"{name}.toml")
        assert study.name == name
        assert study.events == EVENTS
        assert study.factors == ("SPY", "UUP")
        assert study.model == "market"
        assert "busan-meeting" in study.event_ids and "trump-xi-call" in study.event_ids
    assert load_study(REPO / "studies" / "article_soyb.toml").asset == "SOYB"


def test_defaults_fill_missing_keys(tmp_path):
    study = load_study(write_study(tmp_path, ""))
    defaults = Study(asset="ZS=F", factors=["SPY", "UUP"])
    for key in STUDY_KEYS:
        if key not in ("name", "events"):
            assert getattr(study, key) == getattr(defaults, key), key
    assert study.name == "s"
    assert study.event_ids is None


def test_events_path_is_relative_to_the_study_file(tmp_path):
    sub = tmp_path / "deep" / "studies"
    sub.mkdir(parents=True)
    (tmp_path / "deep" / "ev.csv").write_text(EVENTS.read_text(encoding="utf-8"), encoding="utf-8")
    path = sub / "x.toml"
    path.write_text('events = "../ev.csv"\nevent_ids = ["trump-xi-call"]\nasset = "ZS=F"\n'
                    'model = "constant-mean"\n', encoding="utf-8")
    study = load_study(path)
    assert study.events == (tmp_path / "deep" / "ev.csv").resolve()
    assert study.event_ids == ("trump-xi-call",)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (
            'asset = "ZS=F"\nmodle = "market"\n',
            r"s\.toml: unknown key 'modle'; valid keys are name, title, .*asset, assets, factors, "
            r"model",
        ),
        ('model = "markt"\n', r"model = 'markt': model must be one of 'constant-mean', "
                              r"'market-adjusted', 'market', 'synthetic'; got 'markt'"),
        ('returns = "pct"\n', r"returns = 'pct': returns must be one of 'log', 'simple'"),
        ("estimation = [-11, -250]\n", r"estimation = \[-11, -250\]: T0 = -11 must be before "
                                       r"T1 = -250; write it as \[T0, T1\]"),
        ("estimation = [-250, 0]\n", r"estimation = \[-250, 0\]: the estimation window must end "
                                     r"before the earliest event-window day -1; end it at -2"),
        ("estimation = [-250]\n", r"estimation = \[-250\]: expected the estimation window as two "
                                  r"integers"),
        ("windows = [[2, 1]]\n", r"windows = \[2, 1\]: window start 2 is after its end 1; "
                                 r"write it as \[1, 2\]"),
        ("windows = [0, 1]\n", r"windows = 0: expected each window as two integers"),
        ("windows = []\n", r"windows = \[\]: expected a non-empty list"),
        ('factors = "SPY"\n', r"factors = 'SPY': expected a list of non-empty strings"),
        ('factors = ["SPY", "UUP"]\nmodel = "market-adjusted"\n',
         r"factors = \['SPY', 'UUP'\]: the 'market-adjusted' model subtracts one market return; "
         r"give exactly one factor"),
        ('factors = []\n', r"factors = \[\]: model 'market' needs at least one factor"),
        ('asset = "SPY"\n', r"factors = \['SPY', 'UUP'\]: the asset cannot also be a factor"),
        ("mask_rolls = 1\n", r"mask_rolls = 1: expected true or false"),
        ("min_estimation_days = 1.5\n", r"min_estimation_days = 1\.5: expected an integer"),
        ("min_estimation_days = 500\n", r"min_estimation_days = 500: more than the 240 days of the "
                                        r"estimation window \[-250, -11\]"),
        ('event_ids = ["busan-meeting", "busan-meeting"]\n', r"listed twice: busan-meeting"),
        ('other_events = "all"\n', r"other_events = 'all': other_events must be one of "
                                    r"'study', 'file'; got 'all'"),
        ("asset = \n", r"s\.toml: not valid TOML"),
    ],
)
def test_config_errors_name_file_key_value_and_fix(tmp_path, body, match):
    from eventstudy.exceptions import StudyConfigError

    path = write_study(tmp_path, body)
    with pytest.raises(StudyConfigError, match=match):
        load_study(path)


def test_missing_events_file_is_named(tmp_path):
    from eventstudy.exceptions import StudyConfigError

    path = tmp_path / "s.toml"
    path.write_text('events = "nowhere/events.csv"\nasset = "ZS=F"\nmodel = "constant-mean"\n',
                    encoding="utf-8")
    expected = re.escape(str((tmp_path / "nowhere" / "events.csv").resolve()))
    with pytest.raises(StudyConfigError, match=rf"events = 'nowhere/events\.csv': no such file "
                                               rf"{expected}; give the events CSV's path"):
        load_study(path)


def test_missing_study_file(tmp_path):
    from eventstudy.exceptions import StudyConfigError

    with pytest.raises(StudyConfigError, match=r"nope\.toml: study file not found"):
        load_study(tmp_path / "nope.toml")


def test_unknown_keys_message_lists_every_valid_key(tmp_path):
    from eventstudy.exceptions import StudyConfigError

    with pytest.raises(StudyConfigError) as info:
        load_study(write_study(tmp_path, "a = 1\nb = 2\n"))
    text = str(info.value)
    assert "unknown keys 'a', 'b'" in text
    for key in STUDY_KEYS:
        assert key in text.split("valid keys are", 1)[1]


# --------------------------------------------------------------------------- running


@pytest.fixture(scope="module")
def article_run(study_runs):
    """``eventstudy run studies/article.toml`` (the session's run)."""
    return study_runs["article"]


CONTRACT = {
    "ar.csv": ["event_id", "day", "date", "ret", "normal", "ar", "ar_se"],
    "car.csv": ["event_id", "start", "end", "car", "car_se", "t", "p", "n_days", "sq_p",
                "placebo_p"],
    "events.csv": ["event_id", "trade_date", "status", "reason", "n_estimation"],
    "tests.csv": ["group", "start", "end", "test", "statistic", "p_value", "n_events"],
    "estimation.csv": ["event_id", "day", "date", "used", "reason"],
    "dummy.csv": ["event_id", "start", "end", "car", "car_se", "t", "p", "hac_unreliable",
                  "car_se_hac", "p_hac", "car_se_window", "p_window", "car_classical",
                  "p_classical"],
}


@pytest.mark.snapshot
def test_run_writes_every_file_with_the_contract_columns(article_run):
    import pandas as pd

    for name, columns in CONTRACT.items():
        frame = pd.read_csv(article_run / name)
        assert set(columns) <= set(frame.columns), (name, list(frame.columns))
        assert len(frame) > 0, name
    summary = (article_run / "summary.md").read_text(encoding="utf-8")
    for heading in ("## The study", "## Cumulative abnormal returns", "## Reading",
                    "## Tests across events"):
        assert heading in summary
    assert "busan-meeting" in summary and "trump-xi-call" in summary
    figures = sorted(p.name for p in (article_run / "figures").glob("*.png"))
    assert figures == ["ar.png", "caar.png", "car.png"]
    events = pd.read_csv(article_run / "events.csv")
    study = load_study(REPO / "studies" / "article.toml")
    assert list(events["event_id"]) == list(study.event_ids)
    assert set(events["status"]) <= {"used", "excluded"}
    excluded = events.loc[events["status"] == "excluded", "reason"]
    assert excluded.notna().all()
    assert events.loc[events["status"] == "used", "reason"].isna().all()
    # no article event is an escalation: the direction groups are these
    tests = pd.read_csv(article_run / "tests.csv")
    assert set(tests["group"]) == {"all", "de-escalation", "signed"}


@pytest.mark.snapshot
def test_car_csv_agrees_with_ar_csv_and_the_t_distribution(article_run):
    import numpy as np
    import pandas as pd
    from scipy import stats

    ar = pd.read_csv(article_run / "ar.csv")
    car = pd.read_csv(article_run / "car.csv")
    for rec in car.itertuples():
        days = ar[(ar["event_id"] == rec.event_id) & ar["day"].between(rec.start, rec.end)]
        present = days["ar"].dropna()
        assert len(present) == rec.n_days
        if rec.n_days == 0:
            assert np.isnan(rec.car)
            continue
        np.testing.assert_allclose(rec.car, present.sum(), rtol=1e-10, atol=1e-14)
        # var(CAR) >= sum of the AR variances' diagonal part is not guaranteed; t and p are:
        np.testing.assert_allclose(rec.t, rec.car / rec.car_se, rtol=1e-10, atol=0)
        np.testing.assert_allclose(rec.p, 2 * stats.t.sf(abs(rec.t), rec.df), rtol=1e-8, atol=0)
    np.testing.assert_allclose(ar["ar"], ar["ret"] - ar["normal"], rtol=1e-12, atol=1e-15)


def test_event_verdicts_count_rejections():
    import pandas as pd

    from eventstudy.report.findings import event_verdicts, group_verdicts

    car = pd.DataFrame({
        "event_id": ["a", "a", "b"], "start": [0, -1, 0], "end": [0, 1, 0],
        "car": [0.02, 0.03, -0.01], "p": [0.01, 0.2, 0.3], "sq_p": [0.02, 0.04, float("nan")],
        "placebo_p": [0.03, 0.5, 0.6],
    })
    v = event_verdicts(car, alpha=0.05)
    assert list(v["n_reject"]) == [3, 1, 0]
    assert list(v["n_tests"]) == [3, 3, 2]
    assert v["verdict"].tolist() == ["holds across all 3 tests",
                                     "hangs on one test (SQ test) of 3",
                                     "no test rejects (0 of 2)"]
    tests = pd.DataFrame({
        "group": ["g"] * 3, "start": [0] * 3, "end": [1] * 3, "test": ["x", "y", "z"],
        "statistic": [1.0, 2.0, 3.0], "p_value": [0.01, 0.03, 0.4], "n_events": [5, 5, 5],
    })
    g = group_verdicts(tests, alpha=0.05).iloc[0]
    assert (g["n_reject"], g["n_tests"], g["verdict"]) == (2, 3, "holds in 2 of 3 tests (x, y)")


def test_other_events_chooses_whose_windows_leave_the_estimation_sample(prices_dir, tmp_path):
    """'study' drops only the study's own events' windows; 'file' every dated event's."""
    from eventstudy.analysis import analyse

    body = (
        'event_ids = ["trump-xi-call"]\nwindows = [[0, 0], [-1, 5]]\n'
        "estimation = [-250, -11]\nplacebo_draws = 0\n"
    )
    alone = analyse(load_study(write_study(tmp_path, body)), prices_dir)
    pooled = analyse(load_study(write_study(tmp_path, body + 'other_events = "file"\n', "f.toml")),
                     prices_dir)
    n_alone = int(alone.events["n_estimation"].iloc[0])
    n_pooled = int(pooled.events["n_estimation"].iloc[0])
    # The 2025 catalogue events (Liberation Day, Geneva, the 100% threat, Busan, ...) fall in
    # the call's estimation window: their [-1, 5] windows leave it only with 'file'.
    assert n_pooled < n_alone
    assert list(alone.events["event_id"]) == list(pooled.events["event_id"]) == ["trump-xi-call"]


@pytest.mark.snapshot
def test_dummy_csv_classical_columns_are_the_event_study_cars(article_run):
    import numpy as np
    import pandas as pd
    from scipy import stats

    dummy = pd.read_csv(article_run / "dummy.csv")
    car = pd.read_csv(article_run / "car.csv")
    ar = pd.read_csv(article_run / "ar.csv")
    merged = dummy.merge(car, on=["event_id", "start", "end"])
    assert len(merged) == len(dummy) == len(car)
    # the classical CAR is the sum of the window's abnormal returns, its p the two-sided t
    summed = [ar.loc[(ar["event_id"] == r.event_id) & ar["day"].between(r.start, r.end), "ar"]
              .sum(min_count=1) for r in merged.itertuples()]
    np.testing.assert_allclose(merged["car_classical"], summed, rtol=1e-10, atol=1e-14)
    p = 2 * stats.t.sf(np.abs(merged["car_classical"] / merged["car_se_y"]), merged["df"])
    np.testing.assert_allclose(merged["p_classical"], p, rtol=1e-8, atol=0)
    has_days = merged["n_days_x"] > 0
    assert merged.loc[has_days, "hac_unreliable"].all()
    assert merged.loc[~has_days, "car_x"].isna().all()


@pytest.mark.snapshot
def test_constant_mean_study_without_factors_runs(prices_dir, tmp_path):
    """No factor at all: the design has zero columns and the placebo still runs."""
    import numpy as np

    from eventstudy.analysis import analyse

    body = ('model = "constant-mean"\nfactors = []\nevent_ids = ["busan-meeting"]\n'
            "windows = [[0, 0]]\nplacebo_draws = 100\n")
    run = analyse(load_study(write_study(tmp_path, body)), prices_dir)
    row = run.car.iloc[0]
    ar = run.ar.set_index("day").loc[0]
    np.testing.assert_allclose(row["car"], ar["ar"], rtol=1e-12, atol=0)
    assert run.arrays.k == 1 and np.isfinite(row["placebo_p"])
