"""Every notebook executes on the snapshot, and each is paired with an output-free .ipynb."""

from __future__ import annotations

import json

import jupytext
import nbformat
import pytest

from eventstudy.report import execute_notebook, notebook_sources

NOTEBOOKS = notebook_sources()


def test_there_are_five_notebooks_in_reading_order():
    assert [p.stem for p in NOTEBOOKS] == [
        "01_data_quality", "02_events", "03_article", "04_trade_war", "05_robustness",
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


@pytest.mark.snapshot
@pytest.mark.notebook
@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_without_error(source, prices_dir):
    nb = execute_notebook(source, prices_dir=prices_dir)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, f"{source.name} shows no figure"
    findings = nb.cells[-1].outputs
    assert findings and "text/markdown" in findings[-1]["data"], json.dumps(findings)[:500]
    text = findings[-1]["data"]["text/markdown"]
    assert "{" not in text and "nan" not in text.lower().split(), text
