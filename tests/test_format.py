"""Numbers are formatted in one place: percent, p-values, the evidence scale, whole tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy import format as fmt


def test_returns_intervals_and_p_values():
    assert fmt.pct(0.022594) == "+2.26%" and fmt.pct(-0.0041) == "-0.41%"
    assert fmt.pct(0.0512, 1, sign=False) == "5.1%"
    for missing in (float("nan"), None, np.nan, pd.NA, pd.NaT):
        assert fmt.pct(missing) == "—" and fmt.pvalue(missing) == "—"
    assert fmt.interval(-0.00327, 0.048454) == "[-0.33%, +4.85%]"
    assert fmt.interval(np.nan, 0.01) == "—"
    assert fmt.pvalue(0.0862) == "0.086" and fmt.pvalue(2e-34) == "< 0.001"
    assert fmt.number(1.23456) == "1.235" and fmt.number(1.23456, 1) == "1.2"
    assert fmt.window(-1, 5) == "[-1, 5]"


def test_the_evidence_scale_grades_only_a_leading_test():
    assert [fmt.evidence(p) for p in (0.005, 0.01, 0.03, 0.086, 0.10, 0.7, float("nan"))] == [
        "strong", "moderate", "moderate", "weak", "no evidence", "no evidence", "not computed"]
    assert fmt.evidence_phrase(0.086) == "weak evidence"
    assert fmt.evidence_phrase(0.5) == "no evidence"
    scale = dict(part.split(": ") for part in fmt.evidence_scale().split("; "))
    assert list(scale) == ["strong", "moderate", "weak", "no evidence"]
    assert ["0.01" in scale["strong"], "0.05" in scale["moderate"], "0.1" in scale["weak"],
            "0.1" in scale["no evidence"]] == [True] * 4
    assert fmt.grade("event-t", 0.03) == "moderate"
    assert fmt.grade("", 0.03) == fmt.NOT_GRADED == "not graded"
    assert fmt.grade(np.nan, 0.03) == "not graded"
    assert [fmt.significance_stars(p) for p in (0.001, 0.02, 0.07, 0.2, np.nan)] == [
        "***", "**", "*", "", ""]


def test_a_whole_table_is_formatted_by_column():
    frame = pd.DataFrame({
        "date": pd.to_datetime(["2025-10-30", None]),
        "ret": [0.051234567, -0.0012],
        "weight": [0.123456789, np.nan],
        "share": [0.05123, 0.5],
        "p": [0.0004, 0.3456],
        "n": [12, 7],
        "flag": [True, False],
        "name": ["a|b", ""],
    })
    out = fmt.table(frame, signed=["ret"], percent=["share"], pvalues=["p"])
    assert out.to_dict("list") == {
        "date": ["2025-10-30", "—"],
        "ret": ["+5.12%", "-0.12%"],
        "weight": ["0.123", "—"],
        "share": ["5.12%", "50.00%"],
        "p": ["< 0.001", "0.346"],
        "n": ["12", "7"],
        "flag": ["yes", "no"],
        "name": ["a|b", ""],
    }
    # decimals per column
    assert fmt.table(frame[["weight", "ret"]], digits={"weight": 5, "ret": 1},
                     signed=["ret"]).iloc[0].tolist() == ["0.12346", "+5.1%"]
    # no cell keeps pandas' six decimals
    assert not fmt.table(frame).map(lambda v: "0.051234" in v).any().any()


def test_text_markdown_and_latex_layouts():
    frame = pd.DataFrame({"event": ["busan", "x"], "CAR": ["+2.16%", "-0.35%"],
                          "other": ["SQ test 0.094", "—"]})
    text = fmt.text_table(frame, below="other").splitlines()
    assert text[0].split() == ["event", "CAR"]
    assert text[2].startswith("busan") and text[2].endswith("+2.16%")
    assert text[3].strip() == "other: SQ test 0.094"
    assert len(text) == 5  # "—" below the second row is not printed
    # numbers right-aligned, words left-aligned
    assert text[4].startswith("x ") and text[4].endswith("-0.35%")
    md = fmt.markdown_table(pd.DataFrame({"a|b": ["x|y"]}))
    assert md.splitlines() == ["| a\\|b |", "|---|", "| x\\|y |"]
    assert fmt.latex_escape("5% & a_b ≤ 0.1 — {x} \\") == (
        r"5\% \& a\_b $\leq$ 0.1 --- \{x\} \textbackslash{}")
    tab = fmt.latex_tabular(frame[["event", "CAR"]], "lr")
    assert tab.splitlines()[0] == r"\begin{tabular}{lr}"
    assert r"busan & +2.16\% \\" in tab and r"\bottomrule" in tab


def test_is_date_recognises_the_tables_dates_only():
    assert fmt.is_date("2025-10-30")
    assert fmt.is_date(pd.Timestamp("2025-10-30").strftime("%Y-%m-%d"))
    for text in ("2025-10-3", "+2.16%", "[-1, 1]", "2025/10/30", "abcd-ef-gh", 20251030):
        assert not fmt.is_date(text), text
