"""The notebooks: paired and output-free, short cells that call the library, executed once
into the report, whose numbers agree with `eventstudy run` and with hand computations."""

from __future__ import annotations

import html
import io
import json
import re
import tokenize
from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.report.build import notebook_sources

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebook_sources(REPO / "notebooks")
IMG = re.compile(r"<img[^>]+src=\"data:image/png;base64,[A-Za-z0-9+/=\s]{100,}\"")
EXTERNAL = re.compile(r"(?:src|href)=[\"'](?:https?:)?//", re.IGNORECASE)
#: The most code lines (not blank, not a comment) of one notebook cell.
MAX_CELL_LINES = 20


def test_there_are_seven_notebooks_in_reading_order():
    assert [p.stem for p in NOTEBOOKS] == [
        "01_data_quality", "02_events", "03_article", "04_trade_war", "05_robustness",
        "06_markets", "07_contacts",
    ]


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_paired_and_has_no_outputs(source):
    ipynb = source.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb} is missing; run `jupytext --sync {source}`"
    paired = nbformat.read(ipynb, as_version=4)
    script = jupytext.read(source)
    assert [(c.cell_type, c.source) for c in paired.cells] == [
        (c.cell_type, c.source) for c in script.cells
    ], f"{ipynb.name} differs from {source.name}; run `jupytext --sync {source}`"
    for cell in paired.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, ipynb.name
    formats = paired.metadata.get("jupytext", {}).get("formats", "")
    assert "py:percent" in formats and "ipynb" in formats


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_starts_with_what_it_shows_and_ends_with_what_it_found(source):
    nb = jupytext.read(source)
    first, last = nb.cells[0], nb.cells[-1]
    assert first.cell_type == "markdown" and "What this page shows" in first.source
    assert "findings" in last.metadata.get("tags", []), f"{source.name}: last cell not tagged"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert "/work/" not in cell.source and "shared/data" not in cell.source, (
                f"{source.name}: a hard-coded prices path; use EVENTSTUDY_PRICES_DIR"
            )


# A definition, a lambda or a hand-built figure in a notebook is a function
# waiting to be written and tested in the library (eventstudy.findings,
# eventstudy.report).
_LOGIC = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s|\blambda\b|\bFigure\(|\bplt\.",
                    re.MULTILINE)


# A loop, a comprehension or a conditional builds a table or a sentence: the
# same. Keywords are read from the tokens, so comments and text in strings
# do not count; an f-string's replacement fields do.
_CONTROL = frozenset({"for", "while", "if", "else", "try", "with"})
_FIELD_CONTROL = re.compile(r"\{[^{}]*?\b(for|if|else)\b[^{}]*\}")


def _control_flow(source: str) -> str | None:
    """The first loop or conditional keyword of a cell's code, else None."""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in _CONTROL:
            return tok.string
        if tok.type == tokenize.STRING and re.match(r"(?i)[rb]?f", tok.string):
            field = _FIELD_CONTROL.search(tok.string)
            if field:
                return field[1]
    return None


def _code_lines(source: str) -> int:
    return sum(1 for line in source.splitlines()
               if line.strip() and not line.lstrip().startswith("#"))


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_cells_only_call_the_library(source):
    for number, cell in enumerate(jupytext.read(source).cells, start=1):
        if cell.cell_type == "code":
            assert _code_lines(cell.source) <= MAX_CELL_LINES, (
                f"{source.name}, cell {number}: {_code_lines(cell.source)} lines of code; split "
                "it, or move what it computes into a tested function of the library"
            )
            found = _LOGIC.search(cell.source)
            assert found is None, (
                f"{source.name}, cell {number}: {found[0]!r}; move it into the library"
            )
            keyword = _control_flow(cell.source)
            assert keyword is None, (
                f"{source.name}, cell {number}: {keyword!r} builds a table or text in the "
                "cell; move it into a tested function of eventstudy.findings or "
                "eventstudy.report"
            )


def test_logic_pattern_catches_definitions_lambdas_and_figures():
    for code in ("def f(x):\n    return x", "styler.apply(lambda r: r, axis=1)",
                 "fig = Figure(figsize=(1, 1))", "fig, ax = plt.subplots()"):
        assert _LOGIC.search(code), code
    assert _LOGIC.search("Markdown(event_sentence(run.car, 'A', 'e1'))") is None


def test_control_flow_catches_loops_comprehensions_and_conditionals_in_code_only():
    for code, keyword in (("checks = {t: check_data(t) for t in TICKERS}", "for"),
                          ("x = a if b else c", "if"),
                          ("for t in TICKERS:\n    show(t)", "for"),
                          ("Markdown(f\"{', '.join(t for t in ids)}\")", "for"),
                          ("Markdown(f\"rows{'.' if n else ''}\")", "if")):
        assert _control_flow(code) == keyword, code
    for code in ("%matplotlib inline\nimport pandas as pd",
                 "# one cell for each event if any\nshow(table)",
                 "Markdown(\"what the page found for each event\")",
                 "Markdown(rule_counts(aligned))"):
        assert _control_flow(code) is None, code


# --------------------------------------------------------------------------- the real report
# The report is built once (every notebook executed, a failing cell raising
# NotebookError with the cell's traceback); the tests below read its pages.


@pytest.fixture(scope="module")
def runs(study_runs) -> dict[str, Path]:
    """``eventstudy run`` output folders of the studies the report quotes."""
    return {name: study_runs[name] for name in ("article", "article_soyb", "trade_war")}


def _text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: no style, script, tags or embedded images."""
    fragment = re.sub(r"(?s)<(style|script)\b.*?</\1>", "", fragment)
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


#: A number printed with more decimals than any table of the report shows (a raw float).
RAW_NUMBER = re.compile(r"(?<![\w.])\d+\.\d{5,}(?![\w.])")


@pytest.mark.snapshot
@pytest.mark.notebook
@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_page_has_figures_and_generated_findings(report, source):
    page = (report / f"{source.stem}.html").read_text(encoding="utf-8")
    meta = json.loads((report / f"{source.stem}.json").read_text(encoding="utf-8"))
    assert meta["figures"] >= 1, f"{source.name} shows no figure"
    assert len(IMG.findall(page)) == meta["figures"], source.name
    assert not EXTERNAL.search(page), (source.name, EXTERNAL.search(page))
    findings = _text(meta["findings_html"])
    assert findings.strip(), f"{source.name} has no cell tagged 'findings'"
    assert "{" not in findings and "nan" not in findings.lower().split(), findings
    raw = RAW_NUMBER.findall(_text(page))
    assert not raw, f"{source.name} prints unformatted numbers: {raw[:5]}"


def test_raw_number_pattern_finds_floats_not_dates_or_formatted_values():
    assert RAW_NUMBER.findall("p 0.123456 and 1.2345678") == ["0.123456", "1.2345678"]
    assert RAW_NUMBER.findall("+2.26% on 2025-10-30, p = 0.086, v1.19.7, 0.0500") == []


@pytest.mark.snapshot
@pytest.mark.notebook
def test_index_links_every_page_and_states_provenance(report, prices_dir):
    index = (report / "index.html").read_text(encoding="utf-8")
    for nb in NOTEBOOKS:
        assert f"href='{nb.stem}.html'" in index
    # the folder as it was given (it may be reached through a symlink): never resolved
    assert "snapshot" in index and str(prices_dir) in index
    assert "<div class='answer'>" in index and "Built " in index
    for ticker in ("ZS=F", "SPY", "UUP", "SOYB", "CL=F"):
        assert re.search(rf"<td[^>]*>{re.escape(ticker)}</td>", index), ticker
    assert not EXTERNAL.search(index)


@pytest.fixture(scope="module")
def run_tables(runs) -> dict[str, dict[str, pd.DataFrame]]:
    """The CSV files ``eventstudy run`` wrote, per study."""
    return {name: {table: pd.read_csv(folder / f"{table}.csv", keep_default_na=False,
                                      na_values=[""])
                   for table in ("car", "tests", "events", "size_check")
                   if (folder / f"{table}.csv").is_file()}
            for name, folder in runs.items()}


#: The single-event tests in the order they may lead, with their names and car.csv columns.
LEAD_ORDER = (("event-t", "t test", "p"), ("sq", "SQ test", "sq_p"),
              ("event-placebo", "placebo test", "placebo_p"))


def _leading(size_check: pd.DataFrame, window: str):
    """The first test that holds its size in ``window``: |size - 5%| <= 3 Monte Carlo SE."""
    for test, name, column in LEAD_ORDER:
        row = size_check[(size_check["test"] == test) & (size_check["window"] == window)]
        if len(row) and abs(row["size (%)"].iloc[0] - 5.0) <= 3 * row["mc_se (%)"].iloc[0]:
            return name, column
    return None, None


def _grade(p: float) -> str:
    return "strong" if p < 0.01 else "moderate" if p < 0.05 else "weak" if p < 0.10 else \
        "no evidence"


def _interval(row) -> tuple[float, float]:
    """CAR ± t_{df, 0.975} · se(CAR), in percent."""
    half = stats.t.ppf(0.975, row["df"]) * row["car_se"]
    return 100 * (row["car"] - half), 100 * (row["car"] + half)


@pytest.mark.snapshot
@pytest.mark.notebook
def test_index_answer_box_agrees_with_the_run_and_the_size_check(report, run_tables):
    index = (report / "index.html").read_text(encoding="utf-8")
    start = index.index("<div class='answer'>")
    assert start < index.index("<h2>Pages"), "the answer comes first"
    shown = pd.read_html(io.StringIO(index[start:index.index("<h2>Pages")]), flavor="lxml")[0]
    assert len(shown) == 8  # two events x two windows x two assets
    lead_column = next(c for c in shown.columns if c.startswith("leading test"))
    label = {"ZS=F": "article", "SOYB": "article_soyb"}
    ids = {"Busan meeting": "busan-meeting", "Trump–Xi call": "trump-xi-call"}
    for rec in shown.to_dict("records"):
        tables = run_tables[label[rec["asset"]]]
        car = tables["car"]
        a, b = (int(x) for x in rec["window"].strip("[]").split(","))
        row = car[(car["event_id"] == ids[rec["event"]]) & (car["start"] == a)
                  & (car["end"] == b)]
        assert len(row) == 1, rec
        row = row.iloc[0]
        assert rec["day 0"] == row["trade_date"]
        np.testing.assert_allclose(float(rec["CAR (%)"].rstrip("%")), 100 * row["car"],
                                   rtol=0, atol=0.005)
        shown_ci = [float(x.strip(" %")) for x in rec["95% interval (%)"].strip("[]").split(",")]
        np.testing.assert_allclose(shown_ci, _interval(row), rtol=0, atol=0.005)
        # the graded test is the first that holds its size in the run's own size check
        name, column = _leading(tables["size_check"], rec["window"])
        assert rec[lead_column].rsplit(" (", 1)[0] == name, rec
        np.testing.assert_allclose(float(rec["p"]), row[column], rtol=0, atol=0.0005)
        assert rec["evidence"] == _grade(row[column]), rec


@pytest.mark.snapshot
@pytest.mark.notebook
def test_article_findings_state_the_runs_cars_intervals_and_graded_p(report, run_tables):
    text = _text(json.loads((report / "03_article.json").read_text(encoding="utf-8"))
                 ["findings_html"])
    for study, asset in (("article", "ZS=F"), ("article_soyb", "SOYB")):
        car = run_tables[study]["car"]
        name, column = _leading(run_tables[study]["size_check"], "[0, 1]")
        for eid in ("busan-meeting", "trump-xi-call"):
            row = car[(car["event_id"] == eid) & (car["start"] == 0) & (car["end"] == 1)].iloc[0]
            lo, hi = _interval(row)
            assert f"{asset} {100 * row['car']:+.2f}% over [0, 1]" in text, (asset, eid, text)
            assert f"[{lo:+.2f}%, {hi:+.2f}%]" in text, (asset, eid)
            assert f"{name} p = {row[column]:.3f}" in text, (asset, eid, name)


@pytest.mark.snapshot
@pytest.mark.notebook
def test_trade_war_findings_state_each_groups_mean_car(report, run_tables):
    text = _text(json.loads((report / "04_trade_war.json").read_text(encoding="utf-8"))
                 ["findings_html"])
    events = run_tables["trade_war"]["events"]
    used = events["status"] == "used"
    assert f"{used.sum()} of {len(events)} events entered the estimation" in text
    car = run_tables["trade_war"]["car"]
    checked = 0
    for (a, b), rows in car.groupby(["start", "end"]):
        rows = rows[rows["car"].notna()]
        signed = rows["car"] * rows["direction"]
        for group, values in (("escalation", rows.loc[rows["direction"] == -1, "car"]),
                              ("de-escalation", rows.loc[rows["direction"] == 1, "car"]),
                              ("signed", signed[rows["direction"] != 0])):
            line = re.search(rf"(?<![\w-]){group} \(\d+ events\): (.*)", text)
            assert line, (group, text)
            assert f"[{a}, {b}] mean CAR {100 * values.mean():+.2f}%" in line[1], (group, a, b)
            checked += 1
    assert checked == 12
