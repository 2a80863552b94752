"""One validated specification: a Study built in code fails exactly as its TOML file does."""

from __future__ import annotations

from pathlib import Path

import pytest

import eventstudy as es
from eventstudy.config import STUDY_KEYS, Study, load_study
from eventstudy.exceptions import StudyConfigError

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "data" / "events.csv"
#: The choices every case below makes besides the key under test.
BASE = {"asset": "ZS=F", "factors": ("SPY",)}
BASE_TOML = {"asset": '"ZS=F"', "factors": '["SPY"]'}

# (key, value in code, the same value in TOML, message after "key = value: ")
CASES = [
    ("model", "markt", '"markt"', r"model = 'markt': model must be one of 'constant-mean', "
     r"'market-adjusted', 'market'"),
    ("returns", "pct", '"pct"', r"returns = 'pct': returns must be one of 'log', 'simple'"),
    ("other_events", "files", '"files"',
     r"other_events = 'files': other_events must be one of 'study', 'file'; got 'files'"),
    ("placebo_draws", -1, "-1", r"placebo_draws = -1: must be at least 0"),
    ("placebo_draws", 1.5, "1.5", r"placebo_draws = 1\.5: expected an integer"),
    ("factors", "SPY", '"SPY"', r"factors = 'SPY': expected a list of non-empty strings"),
    ("factors", ("SPY", "SPY"), '["SPY", "SPY"]', r"factors = \['SPY', 'SPY'\]: listed twice: "
     r"SPY"),
    ("event_ids", (), "[]", r"event_ids = \[\]: empty list; remove the key"),
    ("estimation", (-11, -250), "[-11, -250]", r"estimation = \[-11, -250\]: T0 = -11 must be "
     r"before T1 = -250"),
    ("windows", ((2, 1),), "[[2, 1]]", r"windows = \[2, 1\]: window start 2 is after its end 1"),
    ("windows", ((0, 1), (0, 1)), "[[0, 1], [0, 1]]", r"windows = \[0, 1\]: listed twice"),
    ("mask_rolls", 1, "1", r"mask_rolls = 1: expected true or false"),
    ("name", "../..", '"../.."', r"name = '\.\./\.\.': a study name is used as a folder name"),
    ("min_estimation_days", 500, "500", r"min_estimation_days = 500: more than the 240 days"),
    ("variants", {"x": {"modle": "market"}}, '{ x = { modle = "market" } }',
     r"variants = .*unknown key 'modle'"),
]


@pytest.mark.parametrize(("key", "value", "toml", "message"), CASES,
                         ids=[f"{c[0]}={c[2]}" for c in CASES])
def test_code_and_toml_give_the_same_named_error(tmp_path, key, value, toml, message):
    path = tmp_path / "s.toml"
    lines = [f'events = "{EVENTS.as_posix()}"', f"{key} = {toml}",
             *(f"{k} = {v}" for k, v in BASE_TOML.items() if k != key)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StudyConfigError, match=rf"s\.toml: {message}"):
        load_study(path)
    with pytest.raises(StudyConfigError, match=rf"^Study: {message}"):
        Study(**{**BASE, key: value}, events=EVENTS)


# (key, value, the error of the events file read by the study, after "key = value: ")
EVENT_CASES = [
    ("group_by", "directon",
     r"group_by = 'directon': group_by must be 'all', 'direction' or a column of the events "
     r"file \('category', 'in_article', 'agriculture'\); got 'directon'"),
    ("event_ids", ("no-such",), r"event_ids = \['no-such'\]: unknown id no-such "
     r"\(not in .*events\.csv\)"),
    ("headline_events", ("no-such",), r"headline_events = \['no-such'\]: not events of the "
     r"study: no-such; list ids of event_ids"),
]


@pytest.mark.parametrize(("key", "value", "message"), EVENT_CASES,
                         ids=[c[0] for c in EVENT_CASES])
def test_the_events_file_is_checked_where_it_is_read(tmp_path, key, value, message):
    from eventstudy.events import align_events, load_events, select_events

    events = align_events(load_events(EVENTS), "ZS=F")
    path = tmp_path / "s.toml"
    shown = "[" + ", ".join(f'"{v}"' for v in value) + "]" if isinstance(value, tuple) \
        else f'"{value}"'
    path.write_text(f'events = "{EVENTS.as_posix()}"\nasset = "ZS=F"\nfactors = ["SPY"]\n'
                    f"{key} = {shown}\n", encoding="utf-8")
    with pytest.raises(StudyConfigError, match=rf"s\.toml: {message}"):
        select_events(load_study(path), events)
    with pytest.raises(StudyConfigError, match=rf"^Study: {message}"):
        select_events(Study(**{**BASE, key: value}, events=EVENTS), events)


def test_a_study_names_its_asset():
    message = (r'^Study: asset is missing: a study measures the abnormal returns of an asset; '
               r'write it as asset = "ZS=F", or list several as assets = ')
    with pytest.raises(StudyConfigError, match=message):
        Study(factors=["SPY"])
    with pytest.raises(StudyConfigError, match=message):
        Study()


def test_the_market_model_needs_factors_and_the_defaults_are_neutral(tmp_path):
    with pytest.raises(StudyConfigError,
                       match=r"^Study: factors = \[\]: model 'market' needs at least one factor; "
                             r'list the market first, e\.g\. factors = \["SPY", "UUP"\], or use '
                             r'model = "constant-mean"'):
        Study(asset="ZC=F")
    study = Study(asset="ZC=F", model="constant-mean")
    assert study.factors == () and study.seed == 0 and study.donors == ()
    path = tmp_path / "s.toml"
    path.write_text('asset = "ZC=F"\nmodel = "constant-mean"\n', encoding="utf-8")
    assert load_study(path).replace(name="study") == study


def test_replace_validates_and_names_unknown_keys():
    base = Study(**BASE, events=EVENTS)
    with pytest.raises(StudyConfigError, match=r"^Study: model = 'markt'"):
        base.replace(model="markt")
    with pytest.raises(StudyConfigError, match=r"^Study: unknown key 'modle'; valid keys are "):
        base.replace(modle="market")
    assert base.replace(model="constant-mean", factors=()).factors == ()


def test_code_study_normalises_lists_and_relative_paths(tmp_path, monkeypatch):
    (tmp_path / "ev.csv").write_text(EVENTS.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    s = Study(asset="ZS=F", factors=["SPY"], windows=[[0, 1]], estimation=[-100, -2],
              events="ev.csv", min_estimation_days=50)
    assert s.factors == ("SPY",) and s.windows == ((0, 1),) and s.estimation == (-100, -2)
    assert s.events == tmp_path / "ev.csv"
    assert Study(**BASE, events=EVENTS) == Study(**BASE, events=str(EVENTS))


def test_the_default_events_are_the_shipped_catalogue():
    study = Study(**BASE)
    assert study.events.is_file()
    assert study.events.read_bytes() == EVENTS.read_bytes()


def test_study_file_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b'asset = "ZS=F"\ntitle = "caf\xe9"\n')
    with pytest.raises(StudyConfigError,
                       match=r"s\.toml: line 2: byte 0xe9 at position 13 is not UTF-8"):
        load_study(path)


def test_every_key_is_documented_with_an_example():
    from eventstudy.config import _EXAMPLES

    assert set(STUDY_KEYS) <= set(_EXAMPLES)


def test_front_door_names_the_entry_points():
    for name in ("Study", "load_study", "analyse", "fit", "load_prices", "load_events",
                 "align_events", "get_calendar", "EventStudyResults", "MultiAssetResults"):
        assert callable(getattr(es, name)), name
    assert set(es.__all__) == {"__version__", "Study", "load_study", "analyse", "fit",
                               "load_prices", "load_events", "align_events", "get_calendar",
                               "EventStudyResults", "MultiAssetResults"}
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        es.nope  # noqa: B018


@pytest.mark.parametrize("first", ["findings", "html", "tables", "figures",
                                   "robustness", "build"])
def test_each_report_module_imports_first_in_a_fresh_interpreter(first):
    import subprocess
    import sys

    code = (f"import eventstudy.report.{first}\n"
            "from eventstudy.report.html import page_table\n"
            "from eventstudy.report import headline_table, pending_events\n"
            "from eventstudy import format as fmt\n"
            "print(fmt.pct(0.01))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "+1.00%"


def test_lead_order_puts_garch_first_and_the_placebo_last():
    from eventstudy.config import lead_order

    assert lead_order(garch=False, placebo=False) == ("event-t", "sq")
    assert lead_order(garch=True, placebo=True) == ("garch", "event-t", "sq", "event-placebo")
