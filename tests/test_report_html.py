"""The report's components: number formats, the evidence scale, the answer box, page tables."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.model import EventStudy
from eventstudy.report import format as fmt
from eventstudy.report.html import MAX_ROWS, answer_box, page_table, study_page
from eventstudy.report.tables import answer_table, detectable_effect


def test_formats_and_the_evidence_scale():
    assert fmt.pct(0.022594) == "+2.26%" and fmt.pct(-0.0041) == "-0.41%"
    assert fmt.pct(float("nan")) == "—" and fmt.pct(None) == "—"
    assert fmt.interval(-0.00327, 0.048454) == "[-0.33%, +4.85%]"
    assert fmt.pvalue(0.0862) == "0.086" and fmt.pvalue(2e-34) == "< 0.001"
    assert [fmt.evidence(p) for p in (0.005, 0.01, 0.03, 0.086, 0.10, 0.7, float("nan"))] == [
        "strong", "moderate", "moderate", "weak", "no evidence", "no evidence", "not computed"]
    assert fmt.evidence_phrase(0.086) == "weak evidence"
    assert fmt.evidence_phrase(0.5) == "no evidence"
    assert fmt.evidence_scale() == ("strong: p < 0.01; moderate: 0.01 ≤ p < 0.05; weak: "
                                    "0.05 ≤ p < 0.1; no evidence: p ≥ 0.1")
    assert [fmt.significance_stars(p) for p in (0.001, 0.02, 0.07, 0.2)] == ["***", "**", "*",
                                                                              ""]


def test_detectable_effect_is_the_power_formula():
    # (t_{100, 0.975} + t_{100, 0.80}) * se, from scipy's quantiles
    want = (stats.t.ppf(0.975, 100) + stats.t.ppf(0.80, 100)) * 0.01
    np.testing.assert_allclose(detectable_effect(0.01, 100), want, rtol=1e-12, atol=0)
    # at that CAR the t test rejects with probability ~80% (noncentral t)
    power = stats.nct.sf(stats.t.ppf(0.975, 100), 100, want / 0.01)
    np.testing.assert_allclose(power, 0.80, rtol=0, atol=0.005)


@pytest.fixture(scope="module")
def two_assets():
    rng = np.random.default_rng(5)
    idx = pd.bdate_range("2020-01-01", periods=500)
    f = rng.normal(0, 0.01, idx.size)
    frame = pd.DataFrame({"A": 0.5 * f + rng.normal(0, 0.012, idx.size),
                          "B": 0.2 * f + rng.normal(0, 0.02, idx.size), "F": f}, index=idx)
    events = pd.DataFrame({"id": ["x", "y"], "title": ["Talks", "Truce"],
                           "trade_date": idx[[300, 420]]})
    runs = {name: EventStudy(frame, events, asset=name, factors=["F"],
                             windows=((0, 0), (0, 1)), placebo_draws=200, seed=2).fit()
            for name in ("A", "B")}
    return runs


def test_answer_table_reads_the_tidy_table(two_assets):
    table = answer_table(two_assets, ["x", "y"], [(0, 1)])
    assert list(table.columns) == ["event", "day 0", "asset", "window", "CAR (%)",
                                   "95% interval (%)", "t-test p", "SQ p", "placebo p",
                                   "detectable, 80% power (±%)", "evidence", "note"]
    assert len(table) == 4
    row = table[(table["asset"] == "B") & (table["event"] == "Truce")].iloc[0]
    t = two_assets["B"].tidy().set_index(["event_id", "start", "end"]).loc[("y", 0, 1)]
    assert row["CAR (%)"] == fmt.pct(t["car"])
    assert row["95% interval (%)"] == fmt.interval(t["ci_lower"], t["ci_upper"])
    assert row["t-test p"] == fmt.pvalue(t["p"]) and row["evidence"] == fmt.evidence(t["p"])
    np.testing.assert_allclose(float(row["detectable, 80% power (±%)"]),
                               100 * detectable_effect(t["car_se"], t["df"]), atol=0.005)


def test_answer_box_names_each_event_with_car_and_interval(two_assets):
    box = answer_box(two_assets, ["x", "y"], [(0, 1), (0, 0)], question="Did it move?",
                     names={"x": "The talks"})
    text = re.sub(r"<[^>]+>", " ", box)
    assert "Did it move?" in text and "The talks" in text and "Truce" in text
    assert re.search(r"The talks — (strong|moderate|weak|no) evidence", text)
    assert re.search(r"A [+-]\d+\.\d\d% \(95% CI \[[+-]\d+\.\d\d%, [+-]\d+\.\d\d%\]", text)
    assert "<img src='data:image/png;base64," in box
    for bad in ("NaN", "None", "<NA>"):
        assert bad not in text


def test_page_table_folds_long_tables_and_links_their_csv():
    frame = pd.DataFrame({"a": range(MAX_ROWS + 5), "b": ["x"] * (MAX_ROWS + 5)})
    out = page_table(frame, caption="Long one")
    assert out.count("<tr>") == 1 + MAX_ROWS + 1 + MAX_ROWS + 5  # shown + folded copies
    assert "<details><summary>All 45 rows</summary>" in out
    link = re.search(r"href='data:text/csv;base64,([^']+)'", out)[1]
    back = pd.read_csv(io.BytesIO(base64.b64decode(link)))
    pd.testing.assert_frame_equal(back, frame)
    short = page_table(frame.head(3).assign(c=[1.0, np.nan, 2.0]))
    assert "<details>" not in short and ">—<" in short


def test_study_page_is_self_contained_and_explains_missing_values(two_assets):
    page = study_page(two_assets["A"])
    assert page.startswith("<!doctype html>") and "</html>" in page
    text = re.sub(r"<[^>]+>", " ", page)
    for bad in (r"\bNaN\b", r"\bNone\b", "<NA>", "{'", "Traceback"):
        assert not re.search(bad, text), bad
    for heading in ("Every event and window", "The normal-return model", "Events", "The study"):
        assert heading in text
    assert "http://" not in page and "https://" not in page
