"""The report's components: number formats, the evidence scale, the answer box, page tables."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.analysis import fit
from eventstudy.config import Study
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
    runs = {name: fit(Study(asset=name, factors=["F"], windows=((0, 0), (0, 1)), group_by="all",
                            placebo_draws=200, seed=2), frame, events)
            for name in ("A", "B")}
    return runs


def test_answer_table_reads_the_tidy_table(two_assets):
    from sizes import hand_size_check

    # on B the t test over-rejects over [0, 1]: the SQ test leads there
    checked = {"A": two_assets["A"].with_size_check(hand_size_check("A", [(0, 0), (0, 1)])),
               "B": two_assets["B"].with_size_check(hand_size_check(
                   "B", [(0, 0), (0, 1)], {("event-t", (0, 1)): 0.071}, mde=0.02))}
    table = answer_table(checked, ["x", "y"], [(0, 1)])
    assert list(table.columns) == ["event", "day 0", "asset", "window", "CAR (%)",
                                   "95% interval (%)", "leading test (size %)", "p",
                                   "evidence", "detectable, 80% power (±%)",
                                   "other tests (p; size on the asset)", "note"]
    assert len(table) == 4
    row = table[(table["asset"] == "B") & (table["event"] == "Truce")].iloc[0]
    t = checked["B"].tidy().set_index(["event_id", "start", "end"]).loc[("y", 0, 1)]
    assert row["CAR (%)"] == fmt.pct(t["car"])
    assert row["95% interval (%)"] == fmt.interval(t["ci_lower"], t["ci_upper"])
    assert row["leading test (size %)"] == "SQ test (5.0)"
    assert row["p"] == fmt.pvalue(t["sq_p"]) and row["evidence"] == fmt.evidence(t["sq_p"])
    assert row["other tests (p; size on the asset)"] == (
        f"t test {fmt.pvalue(t['p'])}; size 7.1%, over-rejects; placebo test "
        f"{fmt.pvalue(t['placebo_p'])}; size 5.0%, holds")
    # the hand curve rises from 5% to 100% at 2 * 2%: 80% power at 0.05 + 0.95 x / 0.04
    # = 0.8, x = 0.03158 (between the grid's 3% and 4%, where the curve is linear)
    assert row["detectable, 80% power (±%)"] == f"{100 * 0.75 * 0.04 / 0.95:.2f}"
    a = table[(table["asset"] == "A") & (table["event"] == "Talks")].iloc[0]
    ta = checked["A"].tidy().set_index(["event_id", "start", "end"]).loc[("x", 0, 1)]
    assert a["leading test (size %)"] == "t test (5.0)" and a["p"] == fmt.pvalue(ta["p"])
    # without a size check nothing is graded, and the note says why
    plain = answer_table(two_assets, ["x"], [(0, 1)])
    assert (plain["evidence"] == "not graded").all() and (plain["p"] == "—").all()
    assert plain["note"].str.contains("not size-checked").all()
    np.testing.assert_allclose(float(plain["detectable, 80% power (±%)"].iloc[0]),
                               100 * detectable_effect(ta["car_se"], ta["df"]), atol=0.005)


def test_answer_box_names_each_event_with_car_and_interval(two_assets):
    from sizes import hand_size_check

    runs = {k: r.with_size_check(hand_size_check(k, [(0, 0), (0, 1)]))
            for k, r in two_assets.items()}
    box = answer_box(runs, ["x", "y"], [(0, 1), (0, 0)], question="Did it move?",
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


def test_size_tables_name_the_tests_and_say_when_no_simulated_move_is_detected():
    from eventstudy.report.html import asset_size_table

    table = pd.DataFrame({"asset": ["A", "A"], "test": ["event-t", "event-placebo"],
                          "window": ["[0, 0]", "[0, 5]"], "size (%)": [5.123, 6.0],
                          "mc_se (%)": [0.089, 0.24], "verdict": ["holds", "over-rejects"],
                          "detectable, 80% power (%)": [3.456, np.inf]})
    out = asset_size_table(table, caption="Sizes")
    shown = pd.read_html(io.StringIO(out), flavor="lxml")[0]
    assert list(shown["test"]) == ["t test", "placebo test"]
    assert list(shown["detectable day-0 move, 80% power (%)"].astype(str)) == ["3.46", "> 8"]
    assert "5.12" in out and ">6.00<" in out  # two decimals

