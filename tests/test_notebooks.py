"""The notebooks: paired and output-free, executed into the report, quoting `eventstudy run`."""

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

from eventstudy.outputs import run_study
from eventstudy.report.build import notebook_sources

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebook_sources()
IMG = re.compile(r"<img[^>]+src=\"data:image/png;base64,[A-Za-z0-9+/=\s]{100,}\"")
EXTERNAL = re.compile(r"(?:src|href)=[\"'](?:https?:)?//", re.IGNORECASE)


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


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_cells_only_call_the_library(source):
    for number, cell in enumerate(jupytext.read(source).cells, start=1):
        if cell.cell_type == "code":
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
    assert _LOGIC.search("Markdown(article_findings(zs, soyb, table, front))") is None


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
                 "Markdown(events_findings(aligned))"):
        assert _control_flow(code) is None, code


# --------------------------------------------------------------------------- the real report
# The report is built once (every notebook executed, a failing cell raising
# NotebookError with the cell's traceback); the tests below read its pages.


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prices_dir) -> dict[str, Path]:
    """``eventstudy run`` output folders of the studies the report quotes."""
    out = tmp_path_factory.mktemp("runs")
    return {name: run_study(REPO / "studies" / f"{name}.toml", prices_dir=prices_dir,
                            out=out / name)
            for name in ("article", "article_soyb", "trade_war")}


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


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


@pytest.mark.snapshot
@pytest.mark.notebook
def test_index_answer_box_equals_the_car_csv_of_eventstudy_run(report, runs):
    index = (report / "index.html").read_text(encoding="utf-8")
    start = index.index("<div class='answer'>")
    assert start < index.index("<h2>Pages"), "the answer comes first"
    shown = pd.read_html(io.StringIO(index[start:index.index("<h2>Pages")]), flavor="lxml")[0]
    assert len(shown) == 8  # two events x two windows x two assets
    label = {"ZS=F": "article", "SOYB": "article_soyb"}
    ids = {"Busan meeting": "busan-meeting", "Trump–Xi call": "trump-xi-call"}
    for rec in shown.to_dict("records"):
        car = pd.read_csv(runs[label[rec["asset"]]] / "car.csv")
        a, b = (int(x) for x in rec["window"].strip("[]").split(","))
        eid = ids[rec["event"]]
        row = car[(car["event_id"] == eid) & (car["start"] == a) & (car["end"] == b)]
        assert len(row) == 1, rec
        row = row.iloc[0]
        assert rec["day 0"] == row["trade_date"]
        np.testing.assert_allclose(float(rec["CAR (%)"].rstrip("%")), 100 * row["car"],
                                   atol=0.005)
        lo, hi = (float(x.strip(" %")) for x in rec["95% interval (%)"].strip("[]").split(","))
        np.testing.assert_allclose([lo, hi], [100 * row["ci_lower"], 100 * row["ci_upper"]],
                                   atol=0.005)
        # the graded p is the leading test's, and that test holds its size on the asset in
        # the run's simulation (size_check.csv); the others are shown with their sizes
        names = {"t test": ("event-t", "p"), "SQ test": ("sq", "sq_p"),
                 "placebo test": ("event-placebo", "placebo_p")}
        lead = rec["leading test (size %)"].rsplit(" (", 1)[0]
        test, col = names[lead]
        assert row["lead_test"] == test, rec
        np.testing.assert_allclose(float(rec["p"]), row[col], atol=0.0005)
        np.testing.assert_allclose(float(rec["p"]), row["lead_p"], atol=0.0005)
        check = pd.read_csv(runs[label[rec["asset"]]] / "size_check.csv")
        size = check[(check["test"] == test) & (check["window"] == rec["window"])].iloc[0]
        assert size["verdict"] == "holds", (rec, size)
        assert abs(size["size (%)"] - 5.0) <= 3 * size["mc_se (%)"] + 1e-9
        for other, (t, c) in names.items():
            if other != lead:
                o = check[(check["test"] == t) & (check["window"] == rec["window"])].iloc[0]
                shown = f"{other} {float(row[c]):.3f}; size {o['size (%)']:.1f}%, {o['verdict']}"
                assert shown in rec["other tests (p; size on the asset)"], (shown, rec)


@pytest.mark.snapshot
@pytest.mark.notebook
def test_page_findings_quote_the_csv_of_eventstudy_run(report, runs):
    # page 3: each "ASSET +x.xx% over [0, 1] (95% CI [..]; <leading test> p = .., <evidence>;
    # <other test> p = .., <other test> p = ..)"
    text = _text(json.loads((report / "03_article.json").read_text(encoding="utf-8"))
                 ["findings_html"])
    quoted = re.findall(r"(ZS=F|SOYB) ([+-]\d+\.\d\d)% over \[0, 1\] \(95% CI \[[^]]+\]; "
                        r"(t test|SQ test|placebo test) p = ([\d.]+), [a-z ]+; ([^)]*)\)", text)
    assert len(quoted) == 4, text
    columns = {"t test": "p", "SQ test": "sq_p", "placebo test": "placebo_p"}
    events = iter(["busan-meeting", "busan-meeting", "trump-xi-call", "trump-xi-call"])
    for (asset, car_pct, lead, p, others), eid in zip(quoted, events, strict=True):
        car = pd.read_csv(runs["article" if asset == "ZS=F" else "article_soyb"] / "car.csv")
        row = car[(car["event_id"] == eid) & (car["start"] == 0) & (car["end"] == 1)].iloc[0]
        np.testing.assert_allclose(float(car_pct), 100 * row["car"], atol=0.005)
        np.testing.assert_allclose(float(p), row[columns[lead]], atol=0.0005)
        np.testing.assert_allclose(float(p), row["lead_p"], atol=0.0005)
        rest = dict(re.findall(r"(t test|SQ test|placebo test) p = ([\d.]+)", others))
        assert set(rest) == set(columns) - {lead}
        for name, value in rest.items():
            np.testing.assert_allclose(float(value), row[columns[name]], atol=0.0005)
    # page 4: each group's "[a, b] mean CAR x%: verdict" against tests.csv
    text = _text(json.loads((report / "04_trade_war.json").read_text(encoding="utf-8"))
                 ["findings_html"])
    tests = pd.read_csv(runs["trade_war"] / "tests.csv")
    checked = 0
    for line in text.splitlines():
        group = re.match(r"\s*(escalation|de-escalation|signed) \((\d+) events\)", line)
        if not group:
            continue
        block = tests[tests["group"] == group[1]]
        assert int(group[2]) == block["n_events"].max()
        for a, b, mean, n_rej in re.findall(
            r"\[(-?\d+), (-?\d+)\] mean CAR ([+-]\d+\.\d\d)%: (?:holds (?:across all|in) "
            r"(\d+)|no test)", line):
            win = block[(block["start"] == int(a)) & (block["end"] == int(b))]
            placebo = win[win["test"] == "placebo"]["statistic"].iloc[0]
            np.testing.assert_allclose(float(mean), 100 * placebo, atol=0.005)
            assert int(n_rej or 0) == int((win["p_value"] < 0.05).sum()), (group[1], a, b)
            checked += 1
    assert checked == 12, text
