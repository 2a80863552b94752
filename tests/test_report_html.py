"""The report's components: the answer box, page tables, a study's own page, size tables."""

from __future__ import annotations

import base64
import io
import re
from html import unescape

import numpy as np
import pandas as pd
import pytest

from eventstudy.report.html import MAX_ROWS, answer_box, page_table, study_page


@pytest.fixture(scope="module")
def two_assets(tmp_path_factory):
    from sizes import hand_size_check

    import eventstudy as es
    from studies import synthetic_study

    study, prices = synthetic_study(tmp_path_factory.mktemp("two"), assets=("AAA", "BBB"))
    runs = {a: es.analyse(study.replace(asset=a), prices_dir=prices) for a in ("AAA", "BBB")}
    # on BBB the t test over-rejects over [0, 1]: the SQ test leads there
    sizes = {"AAA": {}, "BBB": {("event-t", (0, 1)): 0.071}}
    checked = {a: r.with_size_check(hand_size_check(a, [(0, 0), (0, 1)], sizes[a]))
               for a, r in runs.items()}
    return runs, checked


def _text(page: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_answer_box_is_the_stacked_summary_of_the_assets(two_assets):
    _, runs = two_assets
    box = answer_box(runs, ["x", "y"], [(0, 1), (0, 0)], question="Did it move?",
                     names={"x": "The talks"})
    table = pd.read_html(io.StringIO(box), flavor="lxml", converters={"p": str})[0]
    assert len(table) == 8 and list(table.columns[:3]) == ["asset", "event", "day 0"]
    row = table[(table["asset"] == "BBB") & (table["event"] == "y")
                & (table["window"] == "[0, 1]")].iloc[0]
    t = runs["BBB"].tidy().set_index(["event_id", "start", "end"]).loc[("y", 0, 1)]
    assert row["CAR (%)"] == f"{100 * t['car']:+.2f}%"
    assert row["leading test (size)"] == "SQ test (5.0%)" and row["p"] == f"{t['sq_p']:.3f}"
    text = _text(box)
    assert "Did it move?" in text and "The talks" in text and "Truce" in text
    assert re.search(r"The talks — (strong|moderate|weak|no) evidence", text)
    assert re.search(r"AAA [+-]\d+\.\d\d% \(95% CI \[[+-]\d+\.\d\d%, [+-]\d+\.\d\d%\]", text)
    assert "strong: p < 0.01" in text
    assert "<img src='data:image/png;base64," in box
    for bad in ("NaN", "None", "<NA>", "nan%"):
        assert bad not in text


def test_without_a_size_check_the_answer_grades_nothing(two_assets):
    plain, _ = two_assets
    text = _text(answer_box(plain, ["x"], [(0, 1)]))
    assert "not graded" in text and "not size-checked" in text
    assert not re.search(r"— (strong|moderate|weak) evidence", text)


def test_page_table_formats_numbers_folds_long_tables_and_links_the_raw_csv():
    frame = pd.DataFrame({"a": range(MAX_ROWS + 5), "b": ["x"] * (MAX_ROWS + 5),
                          "w": np.linspace(0, 1, MAX_ROWS + 5)})
    out = page_table(frame, caption="Long one")
    assert out.count("<tr>") == 1 + MAX_ROWS + 1 + MAX_ROWS + 5  # shown + folded copies
    assert "<details><summary>All 45 rows</summary>" in out
    assert ">0.023<" in out and "0.022727" not in out  # three decimals, not six
    link = re.search(r"href='data:text/csv;base64,([^']+)'", out)[1]
    back = pd.read_csv(io.BytesIO(base64.b64decode(link)))
    pd.testing.assert_frame_equal(back, frame)  # the download keeps every digit
    short = page_table(frame.head(3).assign(c=[1.0, np.nan, 2.0]), signed=["w"])
    assert "<details>" not in short and ">—<" in short and ">+2.27%<" in short


def test_study_page_is_self_contained_and_explains_missing_values(two_assets):
    plain, runs = two_assets
    page = study_page(runs["AAA"])
    assert page.startswith("<!doctype html>") and "</html>" in page
    text = _text(page)
    for bad in (r"\bNaN\b", r"\bNone\b", "<NA>", "{'", "Traceback", r"\d\.\d{6}"):
        assert not re.search(bad, text), bad
    for heading in ("Did the news move AAA?", "Every event and window", "Tests across events",
                    "The normal-return model", "Events", "The study"):
        assert heading in text
    assert "http://" not in page and "https://" not in page
    # the answer and the page's full table read the same summary
    s = runs["AAA"].summary()
    for cell in s.table().iloc[0]:
        assert cell in text


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


def test_the_power_table_labels_its_moves_in_percent():
    from eventstudy.report.tables import size_power_tables, style_power_table

    rows = [{"setting": "real", "test": t, "window": w, "abnormal": a, "rate": 0.05 + 10 * a,
             "mc_se": 0.004, "trials": 1000}
            for t in ("event-t", "patell") for w in ("[0, 0]", "[0, 1]")
            for a in (0.0, 0.005, 0.01)]
    _, power = size_power_tables(pd.DataFrame(rows))
    out = style_power_table(power).to_html()
    assert ">+0.5%<" in out and ">+1.0%<" in out and ">10%<" in out
    assert not re.search(r"\d\.\d{6}", out)


def test_page_table_keeps_dates_on_one_line():
    frame = pd.DataFrame({"event": ["Busan meeting"], "day 0": ["2025-10-30"], "car": [0.0216]})
    out = page_table(frame, caption="Dates", percent=["car"], text_columns=("event",))
    assert "<td class='' style='white-space: nowrap'>2025-10-30</td>" in out
    assert "<td class='text'>Busan meeting</td>" in out
