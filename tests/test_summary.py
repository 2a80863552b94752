"""One summary behind every view: built from a tidy table, rendered four ways with one reading."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pandas as pd
import pytest

from eventstudy.summary import Summary, build_summary, group_tests_table, model_table

NAN = np.nan
NOT_CHECKED = ("single-event tests not size-checked in this run (analyse with "
               "size_check=True): no p-value is graded")


def _tidy(**over):
    """A hand-made tidy table: events e1, e2; windows [0, 1], [-1, 1], [0, 0] in that order."""
    rows = [
        # event, start, end, car, lo, hi, p, sq_p, placebo_p, lead, lead_p, lead_size, note
        ("e1", 0, 1, 0.0216, -0.0033, 0.0465, 0.089, 0.094, 0.242, "event-t", 0.089, 0.051,
         "thin trading on day +1"),
        ("e1", -1, 1, 0.0256, -0.0051, 0.0564, 0.102, 0.108, 0.261, "event-t", 0.102, 0.0515, ""),
        ("e1", 0, 0, 0.0128, -0.0048, 0.0304, 0.154, 0.146, 0.312, "event-t", 0.154, 0.0514, ""),
        ("e2", 0, 1, NAN, NAN, NAN, NAN, NAN, NAN, "event-t", NAN, 0.051,
         "no CAR: no usable day in the window"),
        ("e2", -1, 1, -0.0042, -0.0333, 0.0249, 0.004, 0.006, 0.031, "sq", 0.006, 0.0527, ""),
        ("e2", 0, 0, -0.0031, -0.0206, 0.0144, 0.729, 0.738, 0.803, "event-t", 0.729, 0.0514, ""),
    ]
    cols = ["event_id", "start", "end", "car", "ci_lower", "ci_upper", "p", "sq_p", "placebo_p",
            "lead_test", "lead_p", "lead_size", "note"]
    t = pd.DataFrame(rows, columns=cols)
    t.insert(1, "trade_date", pd.to_datetime(["2025-10-30"] * 3 + ["2025-11-24"] * 3))
    for k, v in over.items():
        t[k] = v
    return t


SIZES = pd.DataFrame(
    [("event-t", 0, 1, 5.10, "holds", 5.34), ("event-t", -1, 1, 5.15, "holds", 6.41),
     ("sq", 0, 1, 5.13, "holds", 5.61), ("sq", -1, 1, 5.27, "holds", 7.10),
     ("event-placebo", 0, 1, 5.07, "holds", np.inf),
     ("event-placebo", -1, 1, 5.91, "over-rejects", 6.43)],
    columns=["test", "start", "end", "size (%)", "verdict", "detectable, 80% power (%)"])

FACTS = {"title": "Hand study", "asset": "ZZ", "unit": "log return",
         "header": (("Asset", "ZZ"), ("Model", "market, log returns"),
                    ("Size check", "simulation on the returns of ZZ")),
         "excluded": (("e3", "pending: no trade date yet"),),
         "titles": {"e1": "The talks", "e2": "The truce"},
         "windows": ((0, 1), (-1, 1), (0, 0))}


def _keys(summary) -> list:
    r = summary.rows
    return list(zip(r["event_id"], r["start"], r["end"], strict=True))


def _views(summary) -> dict:
    """Each rendering as plain text: LaTeX unescaped, HTML without tags."""
    html = unescape(re.sub(r"<[^>]+>", " ", summary.to_html()))
    latex = summary.to_latex().replace("\\%", "%").replace("$\\leq$", "≤")
    return {"text": str(summary), "html": html, "markdown": summary.to_markdown(),
            "latex": latex}


def test_every_rendering_carries_the_same_numbers_and_reading():
    s = build_summary(_tidy(), FACTS, sizes=SIZES)
    # the default headline: every event of the table, its first two windows
    assert _keys(s) == [
        ("e1", 0, 1), ("e1", -1, 1), ("e2", 0, 1), ("e2", -1, 1)]
    row = s.table().iloc[0]
    want = {"CAR (%)": "+2.16%", "95% interval (%)": "[-0.33%, +4.65%]",
            "leading test (size)": "t test (5.1%)", "p": "0.089", "evidence": "weak",
            "detectable": "5.34%"}
    assert {k: row[k] for k in want} == want
    sq_cell, placebo_cell = row["other tests (p; size)"].split("; ")
    assert all(x in sq_cell for x in ("SQ test", "0.094", "5.1%", "holds"))
    assert all(x in placebo_cell for x in ("placebo test", "0.242", "5.1%", "holds"))
    # e2 [-1, 1]: the SQ test leads and gives strong evidence; the t test is listed beside it
    sq = s.table().iloc[3]
    assert (sq["leading test (size)"], sq["p"], sq["evidence"]) == ("SQ test (5.3%)", "0.006",
                                                                    "strong")
    t_cell, placebo_cell = sq["other tests (p; size)"].split("; ")[:2]
    assert all(x in t_cell for x in ("t test", "0.004", "5.2%", "holds"))
    assert all(x in placebo_cell for x in ("placebo test", "0.031", "5.9%", "over-rejects"))
    for name, view in _views(s).items():
        for value in [*want.values(), "SQ test (5.3%)", "0.006", "strong", "-0.42%",
                      "[-3.33%, +2.49%]"]:
            assert value in view, (name, value)
        assert "strong: p < 0.01" in view, name           # the scale of the reading
        assert "thin trading on day +1" in view, name     # every note
        assert "e3 excluded: pending: no trade date yet" in view, name


def test_a_missing_value_reads_as_a_dash_and_the_note_says_why():
    s = build_summary(_tidy(), FACTS, sizes=SIZES)
    row = s.table().iloc[2]
    assert (row["CAR (%)"], row["95% interval (%)"], row["p"]) == ("—", "—", "—")
    assert "e2 [0, 1]: no CAR: no usable day in the window" in s.row_notes()
    # a move past the largest simulated reads as such, not as "inf"
    s0 = build_summary(_tidy(lead_test=["event-placebo"] * 6), FACTS, sizes=SIZES)
    assert s0.table().iloc[0]["detectable"] == "> 8%"
    for bad in ("nan", "NaN", "inf", "None"):
        assert bad not in str(s), bad


def test_without_a_size_check_no_p_value_is_graded_and_the_summary_says_why():
    t = _tidy(lead_test="", lead_p=NAN, lead_size=NAN,
              note=[f"{n}; {NOT_CHECKED}" if n else NOT_CHECKED for n in _tidy()["note"]])
    s = build_summary(t, FACTS)
    table = s.table()
    assert (table["evidence"] == "not graded").all() and (table["p"] == "—").all()
    assert (table["leading test (size)"] == "—").all()
    cells = table.iloc[0]["other tests (p; size)"].split("; ")
    assert [c.split(" 0.")[0] for c in cells] == ["t test", "SQ test", "placebo test"]
    assert all(p in c and "not checked" in c for p, c in zip(("0.089", "0.094", "0.242"), cells,
                                                                strict=True))
    assert s.reading == NOT_CHECKED[0].upper() + NOT_CHECKED[1:] + "."
    for name, view in _views(s).items():
        # the reason stated once, not on every row; the row's own note kept
        assert view.count("not size-checked in this run") == 1, name
        assert "thin trading on day +1" in view, name
        assert "weak" not in view, name


def test_a_study_without_a_used_event_says_so():
    s = build_summary(_tidy().iloc[:0], FACTS)
    assert len(s.table()) == 0 and s.sentences() == []
    for view in _views(s).values():
        assert "nothing is read" in view and "e3 excluded: pending: no trade date yet" in view


def test_headline_events_and_windows_are_chosen_and_an_event_not_estimated_says_why():
    s = build_summary(_tidy(), FACTS, sizes=SIZES, event_ids=["e2", "e3"], windows=[(0, 0)],
                      names={"e2": "Truce"})
    t = s.table()
    assert t[["event", "window", "CAR (%)", "evidence"]].to_numpy().tolist() == [
        ["Truce", "[0, 0]", "-0.31%", "no evidence"], ["e3", "[0, 0]", "—", "not estimated"]]
    assert "e3 [0, 0]: not estimated: pending: no trade date yet" in s.row_notes()
    assert s.sentences()[1].startswith("**e3 — not estimated.** Over [0, 0]: not estimated")


def test_the_group_tests_of_the_headline_windows_one_column_per_test():
    tests = pd.DataFrame({
        "group": ["all"] * 6, "start": [0, 0, 0, 0, 0, 0], "end": [1, 1, 1, 0, 0, 0],
        "test": ["patell", "kolari-pynnonen", "corrado"] * 2,
        "statistic": [1.0] * 6, "p_value": [0.4733, 0.0004, NAN, 0.5, 0.6, 0.7],
        "n_events": [7] * 6,
        "note": ["3 pairs share days", "", "3 pairs share days", "", "", ""]})
    s = build_summary(_tidy(), FACTS, group_tests=tests, sizes=SIZES)
    assert s.tests_table().to_dict("records") == [
        {"group": "all", "window": "[0, 1]", "events": "7", "patell": "0.473",
         "kolari-pynnonen": "< 0.001", "corrado": "—"}]
    for view in _views(s).values():
        assert "all [0, 1] (every test but kolari-pynnonen): 3 pairs share days" in view
    assert list(group_tests_table(tests)["window"]) == ["[0, 1]", "[0, 0]"]


def test_several_assets_stack_with_an_asset_column_and_one_header():
    a = build_summary(_tidy(), FACTS, sizes=SIZES)
    facts_b = {**FACTS, "asset": "YY", "header": (("Asset", "YY"), ("Model", "market, log returns"),
                                                 ("Size check", "simulation on the returns of YY"))}
    b = build_summary(_tidy(car=_tidy()["car"] / 2, lead_p=0.5), facts_b, sizes=SIZES)
    s = Summary.stack({"ZZ": a, "YY": b}, title="Two markets")
    assert s.by_asset and list(s.table().columns[:2]) == ["asset", "event"]
    assert list(s.table()["asset"]) == ["ZZ"] * 4 + ["YY"] * 4
    header = dict(s.header)
    assert header["Assets"] == "ZZ, YY" and header["Model"] == "market, log returns"
    assert header["Size check"] == "simulation on the returns of each asset"
    first = s.sentences()[0]
    assert first.startswith("**The talks") and "weak evidence" in first
    assert all(x in first for x in ("[0, 1]", "ZZ +2.16%", "[-0.33%, +4.65%]", "t test p = 0.089",
                                    "YY +1.08%"))
    assert "ZZ e1 [0, 1]: thin trading on day +1" in s.row_notes()


def test_the_model_table_shows_coefficients_with_their_errors():
    nm = pd.DataFrame({"event_id": ["e1"], "n_estimation": [122], "df": [119], "r2": [0.0361],
                       "resid_sd": [0.0088], "const": [-0.00041], "const_se": [0.00082],
                       "SPY": [0.08812], "SPY_se": [0.09374]})
    assert model_table(nm).to_dict("records") == [
        {"event": "e1", "const": "-0.0004 (0.0008)", "SPY": "0.0881 (0.0937)", "R²": "0.036",
         "resid sd (%)": "0.88%", "days": "122"}]
    syn = pd.DataFrame({"event_id": ["e1"], "n_estimation": [122], "df": [122], "r2": [0.5],
                        "resid_sd": [0.01], "rmspe": [0.01], "ZC=F": [0.61234], "SPY": [0.38766]})
    assert list(model_table(syn).iloc[0]) == ["e1", "0.612", "0.388", "1.00%", "0.500", "1.00%",
                                              "122"]


# --------------------------------------------------------------------------- results objects

@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    import eventstudy as es
    from studies import synthetic_study

    study, prices = synthetic_study(tmp_path_factory.mktemp("synthetic"))
    return study, prices, es.analyse(study, prices_dir=prices)


def test_a_results_object_displays_its_summary(fitted):
    from sizes import hand_size_check

    study, prices, res = fitted
    assert str(res) == str(res.summary()) and res._repr_html_() == res.summary().to_html()
    checked = res.with_size_check(hand_size_check("AAA", [(0, 0), (0, 1)],
                                                  {("event-t", (0, 1)): 0.071}))
    tidy = checked.tidy().set_index(["event_id", "start", "end"])
    s = checked.summary()
    row = s.table().set_index(["event", "window"]).loc[("y", "[0, 1]")]
    t = tidy.loc[("y", 0, 1)]
    # over [0, 1] the t test over-rejects on this asset: the SQ test leads
    assert row["leading test (size)"] == "SQ test (5.0%)"
    assert row["p"] == f"{t['sq_p']:.3f}" and row["CAR (%)"] == f"{100 * t['car']:+.2f}%"
    assert row["95% interval (%)"] == (f"[{100 * t['ci_lower']:+.2f}%, "
                                       f"{100 * t['ci_upper']:+.2f}%]")
    assert row["other tests (p; size)"].startswith(f"t test {t['p']:.3f} (size 7.1%, "
                                                   "over-rejects)")
    text = str(checked)
    assert "Asset                 : AAA" in text and "Factors               : FFF" in text


def test_the_study_chooses_the_headline(tmp_path):
    import eventstudy as es
    from studies import synthetic_study

    study, prices = synthetic_study(tmp_path, headline_events=("y",),
                                    headline_windows=((0, 1),))
    s = es.analyse(study, prices_dir=prices).summary()
    assert _keys(s) == [("y", 0, 1)]


def test_several_assets_summarise_stacked_with_the_cross_asset_tests(tmp_path):
    import eventstudy as es
    from studies import synthetic_study

    study, prices = synthetic_study(tmp_path, assets=("AAA", "BBB"))
    multi = es.analyse(study.replace(assets=("AAA", "BBB")), prices_dir=prices)
    s = multi.summary()
    assert list(dict.fromkeys(s.table()["asset"])) == ["AAA", "BBB"]
    heading, cross = s.extra[0]
    assert heading.startswith("Across assets") and list(cross["event"]) == ["x", "x", "y", "y"]
    assert str(multi) == str(s) and "Across assets" in s.to_markdown()


def test_a_study_built_in_code_is_titled_by_its_asset():
    import pandas as pd

    from eventstudy.config import Study
    from eventstudy.summary import header_facts

    events = pd.DataFrame({"event_id": ["a"], "trade_date": [pd.Timestamp("2025-01-02")],
                           "title": ["A"], "status": ["used"], "reason": [""]})
    assert header_facts(Study(asset="ZC=F", factors=["SPY"]), events)["title"] == \
        "Event study of ZC=F"
    titled = Study(asset="ZC=F", factors=["SPY"], title="Corn and the truce")
    assert header_facts(titled, events)["title"] == "Corn and the truce"


def test_html_keeps_each_day_0_date_on_one_line():
    s = build_summary(_tidy(), FACTS, sizes=SIZES)
    dates = {f"{pd.Timestamp(d):%Y-%m-%d}" for d in _tidy()["trade_date"].dropna()}
    cells = re.findall(r'<td style="white-space: nowrap">([^<]*)</td>', s.to_html())
    assert dates and dates <= set(cells)
