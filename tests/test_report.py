"""The HTML report: pages with embedded figures, the index, failing cells."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eventstudy.report.build import (
    NotebookError,
    build_index,
    build_page,
    main,
    notebook_sources,
    report_title,
    study_tickers,
)
from eventstudy.report.figures import _label_levels

IMG = re.compile(r"<img[^>]+src=\"data:image/png;base64,[A-Za-z0-9+/=\s]{100,}\"")
EXTERNAL = re.compile(r"(?:src|href)=[\"'](?:https?:)?//", re.IGNORECASE)

TINY = '''# %% [markdown]
# # A tiny page
#
# One figure and one finding.

# %%
import os

import matplotlib.pyplot as plt

fig, ax = plt.subplots()
ax.plot([0, 1, 2], [1, 3, 2])
ax.set_xlabel("day")

# %% tags=["findings"]
from IPython.display import Markdown

Markdown(f"The prices folder is **{os.environ['EVENTSTUDY_PRICES_DIR']}**.")
'''

FAILING = '''# %% [markdown]
# # A failing page

# %%
x = 1

# %%
raise ValueError(f"cell failed on purpose with x={x}")
'''


@pytest.fixture
def tiny_notebooks(tmp_path) -> Path:
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "01_tiny.py").write_text(TINY, encoding="utf-8")
    (folder / "notes.py").write_text("# not a notebook\n", encoding="utf-8")
    return folder


def test_notebook_sources_keeps_numbered_scripts_in_order(tiny_notebooks):
    (tiny_notebooks / "00_first.py").write_text(TINY, encoding="utf-8")
    names = [p.name for p in notebook_sources(tiny_notebooks)]
    assert names == ["00_first.py", "01_tiny.py"]


def test_page_embeds_figure_and_passes_prices_dir(tiny_notebooks, tmp_path):
    out = tmp_path / "reports"
    marker = tmp_path / "some prices"
    page = build_page(tiny_notebooks / "01_tiny.py", out, prices_dir=marker)
    text = page.read_text(encoding="utf-8")
    assert len(IMG.findall(text)) == 1
    assert not EXTERNAL.search(text), EXTERNAL.search(text)
    meta = json.loads((out / "01_tiny.json").read_text(encoding="utf-8"))
    assert meta["title"] == "A tiny page"
    assert meta["figures"] == 1
    assert str(marker.resolve()) in meta["findings_html"]
    index = build_index(out, [page], prices_dir=marker)
    html = index.read_text(encoding="utf-8")
    assert "href='01_tiny.html'" in html
    assert str(marker.resolve()) in html  # the page's finding is repeated on the index


def test_failing_cell_stops_the_build_and_shows_the_error(tmp_path):
    nb = tmp_path / "02_bad.py"
    nb.write_text(FAILING, encoding="utf-8")
    out = tmp_path / "reports"
    with pytest.raises(NotebookError, match=r"02_bad\.py: cell 3 failed") as info:
        build_page(nb, out)
    assert "ValueError: cell failed on purpose with x=1" in str(info.value)
    assert "\x1b[" not in str(info.value)
    assert not (out / "02_bad.html").exists()


def test_cli_exits_non_zero_with_the_cell_error(tmp_path, capsys):
    nb = tmp_path / "02_bad.py"
    nb.write_text(FAILING, encoding="utf-8")
    assert main(["--notebooks", str(tmp_path), "--out", str(tmp_path / "r"), "--page",
                 str(nb)]) == 1
    err = capsys.readouterr().err
    assert "cell 3 failed" in err and "cell failed on purpose with x=1" in err


def test_cli_needs_the_notebooks_folder(capsys):
    with pytest.raises(SystemExit):
        main(["--out", "reports"])
    assert "--notebooks" in capsys.readouterr().err


def test_whole_report_from_a_notebooks_folder_with_its_title(tiny_notebooks, tmp_path):
    (tiny_notebooks / "index.md").write_text("Intro\n\n# My own report\n", encoding="utf-8")
    assert report_title(tiny_notebooks) == "My own report"
    assert report_title(tmp_path / "nowhere") == "Event-study report"
    out = tmp_path / "reports"
    assert main(["--notebooks", str(tiny_notebooks), "--studies", str(tmp_path / "none"),
                 "--out", str(out), "--prices-dir", str(tmp_path)]) == 0
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<h1>My own report</h1>" in index and "href='01_tiny.html'" in index
    assert "No study file names a price series" in index


def test_study_tickers_read_every_series_of_the_studies_and_their_variants(tmp_path):
    (tmp_path / "a.toml").write_text(
        'asset = "ZS=F"\nfactors = ["SPY", "UUP"]\n'
        'variants = { "with oil" = { factors = ["SPY", "CL=F"] }, '
        '"on the ETF" = { asset = "SOYB" } }\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('asset = "ZC=F"\nfactors = ["SPY"]\n', encoding="utf-8")
    assert study_tickers(tmp_path) == ["ZS=F", "SPY", "UUP", "CL=F", "SOYB", "ZC=F"]


def test_the_report_package_finds_nothing_from_its_own_location():
    # an installed wheel has no notebooks or studies beside the package
    folder = Path(__file__).resolve().parents[1] / "eventstudy" / "report"
    for module in folder.glob("*.py"):
        assert "__file__" not in module.read_text(encoding="utf-8"), module.name

def test_index_requires_built_pages(tmp_path):
    with pytest.raises(NotebookError, match=r"01_x\.json is missing; build the page first"):
        build_index(tmp_path, [tmp_path / "01_x.html"])


def test_timeline_labels_closer_than_the_gap_never_share_a_level():
    import pandas as pd

    dates = pd.to_datetime(["2025-11-05", "2025-11-07", "2025-11-14", "2025-11-18",
                            "2025-11-19", "2025-11-24", "2026-01-05"])
    span = pd.Timestamp("2026-01-13") - pd.Timestamp("2025-02-01")
    levels = _label_levels(dates, span)
    gap = span * 0.025
    for i in range(len(dates)):
        for j in range(i):
            if dates[i] - dates[j] < gap:
                assert levels[i] != levels[j], (dates[i], dates[j], levels)
    assert levels[-1] == 0  # far from the others: back on the first level


def test_size_power_tables_flag_rates_beyond_three_monte_carlo_se():
    """A hand-made simulation table: the flags follow rate vs 0.05 ± 3·mc_se."""
    import numpy as np
    import pandas as pd

    from eventstudy.exceptions import InferenceError
    from eventstudy.report import size_power_tables

    se = float(np.sqrt(0.05 * 0.95 / 1000))  # 0.00689: 3 SE = 2.07 points
    rows = []
    for test, rates in {"a": (0.050, 0.060), "b": (0.080, 0.050), "c": (0.020, 0.090)}.items():
        for window, rate in zip(("[0, 0]", "[0, 5]"), rates, strict=True):
            rows.append(("real", test, window, 0.0, rate, se, 1000))
            rows.append(("real", test, window, 0.01, rate + 0.5, se, 1000))
    sim = pd.DataFrame(rows, columns=["setting", "test", "window", "abnormal", "rate", "mc_se",
                                      "trials"])
    size, power = size_power_tables(sim)
    assert list(size.index) == ["a", "b", "c"]
    assert list(size["verdict"]) == ["holds", "over-rejects", "mixed"]
    assert list(size["over"]) == ["", "[0, 0]", "[0, 5]"]
    assert list(size["under"]) == ["", "", "[0, 0]"]
    np.testing.assert_allclose(size.loc["b", "[0, 0]"], 8.0, rtol=1e-12, atol=0)
    np.testing.assert_allclose(size["mc_se"], 100 * se, rtol=1e-12, atol=0)
    np.testing.assert_allclose(power.loc["a", (1.0, "[0, 5]")], 56.0, rtol=1e-12, atol=0)
    with pytest.raises(InferenceError, match="iid-t4"):
        size_power_tables(sim, setting="iid-t4")


# ------------------------------------------------------------ notebook figures and tables


def _robustness_table():
    import numpy as np
    import pandas as pd

    rows = [
        ("base", "base", "[0, 1]", "busan-meeting", 2.26, 0.086, 0.106, 0.201, False),
        ("base", "base", "[0, 1]", "trump-xi-call", -0.41, 0.757, 0.815, 0.803, False),
        ("model", "constant-mean", "[0, 1]", "busan-meeting", 3.10, 0.030, 0.060, 0.040, True),
        ("model", "constant-mean", "[0, 1]", "trump-xi-call", 0.25, 0.800, 0.810, 0.820, False),
        ("asset", "SOYB", "[0, 1]", "busan-meeting", np.nan, np.nan, np.nan, np.nan, True),
        ("asset", "SOYB", "[0, 1]", "trump-xi-call", -0.44, 0.729, 0.708, 0.794, False),
        ("dummy regression", "dummy", "[0, 1]", "busan-meeting", 9.0, 0.001, np.nan, np.nan,
         True),
        ("dummy regression", "dummy", "[0, 1]", "trump-xi-call", 9.0, 0.002, np.nan, np.nan,
         True),
    ]
    return pd.DataFrame(rows, columns=["dimension", "variant", "window", "event_id", "car_pct",
                                       "p", "sq_p", "placebo_p", "moves"])


def test_car_by_variant_bars_are_the_table_cars_in_table_order():
    import numpy as np

    from eventstudy.report import plot_car_by_variant

    table = _robustness_table()
    fig = plot_car_by_variant(table)
    (ax,) = fig.axes
    assert ax.get_xlabel().startswith("CAR (%") and "[0, 1]" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["base", "constant-mean", "SOYB"]
    assert ax.get_legend().get_title().get_text() == "event"
    bars = {c.get_label(): [p.get_width() for p in c.patches] for c in ax.containers}
    assert list(bars) == ["busan-meeting", "trump-xi-call"]
    # the dummy-regression rows (9.0) are left out; an excluded event's bar has zero width
    np.testing.assert_allclose(bars["busan-meeting"], [2.26, 3.10, 0.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(bars["trump-xi-call"], [-0.41, 0.25, -0.44], rtol=0, atol=1e-12)
    # top to bottom in the table's order
    y = [p.get_y() for p in ax.containers[0].patches]
    assert ax.yaxis_inverted() and y == sorted(y)


def _highlighted(styler, color):
    """Cells (row, col) whose CSS rule sets the background ``color``."""
    html = styler.set_uuid("t").to_html()
    cells = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", html):
        if f"background-color: {color}" in body:
            cells |= {(int(r), int(c)) for r, c in re.findall(r"row(\d+)_col(\d+)", selectors)}
    return cells, html


def test_robustness_table_style_marks_the_rows_that_move():
    from eventstudy.report import HIGHLIGHT, style_robustness_table

    table = _robustness_table()
    cells, html = _highlighted(style_robustness_table(table), HIGHLIGHT["over"].split(": ")[1])
    moving = {i for i, m in enumerate(table["moves"]) if m}
    assert cells == {(r, c) for r in moving for c in range(table.shape[1])}
    assert ">+2.26%<" in html and ">0.086<" in html and ">—<" in html
    assert "orange: the conclusion moves" in html


def test_size_table_style_marks_windows_over_and_under_the_level():
    import pandas as pd

    from eventstudy.report import HIGHLIGHT, style_size_table

    size = pd.DataFrame({"[0, 0]": [5.3, 9.0, 1.0], "[0, 1]": [4.0, 11.0, 8.0],
                         "mc_se": [1.8, 1.8, 0.4], "trials": [150, 150, 3000],
                         "over": ["", "[0, 0]; [0, 1]", "[0, 1]"], "under": ["", "", "[0, 0]"],
                         "verdict": ["holds", "over-rejects", "mixed"]},
                        index=pd.Index(["bmp", "patell", "event-t"], name="test"))
    styler = style_size_table(size, "150 replications")
    over, html = _highlighted(styler, HIGHLIGHT["over"].split(": ")[1])
    under, _ = _highlighted(styler, HIGHLIGHT["under"].split(": ")[1])
    assert over == {(1, 0), (1, 1), (2, 1)}
    assert under == {(2, 0)}
    assert ">11.0%<" in html and ">±0.4<" in html
    assert "rejection rate at 5%" in html and "(150 replications)" in html


def test_car_table_style_formats_car_p_values_and_dates():
    import pandas as pd

    from eventstudy.report import style_car_table

    frame = pd.DataFrame({"event_id": ["busan-meeting"],
                          "trade_date": [pd.Timestamp("2025-10-30")], "car_pct": [-0.4149],
                          "p": [0.08649], "sq_p": [0.1], "placebo_p": [0.2011]})
    html = style_car_table(frame, "the caption").to_html()
    for text in (">2025-10-30<", ">-0.41%<", ">0.086<", ">0.100<", ">0.201<", "the caption"):
        assert text in html, text
    assert "row_heading" not in html  # index hidden


# ------------------------------------------------------------ data and event tables (pages 1, 2)


def _data_check(ticker, n):
    """A DataCheck with n items in every list (n + 1 roll days): the counts are told apart."""
    import pandas as pd

    from eventstudy.quality import DataCheck

    day = pd.Timestamp("2020-01-02")
    return DataCheck(ticker=ticker, calendar="CBOT", source="snapshot", first=day,
                     last=pd.Timestamp("2020-03-31"), rows=60 + n, missing_sessions=[day] * n,
                     extra_sessions=[day] * (n + 2), duplicate_dates=[day] * (n + 3),
                     nonpositive_prices=[{"date": day, "column": "Close", "value": 0.0}] * n,
                     zero_volume=[day] * (n + 4),
                     roll_days=pd.DataFrame({"date": [day] * (n + 1)}),
                     thin_periods=[(day, day)] * (n + 5))


def test_data_check_table_counts_each_check_per_series():
    import datetime as dt

    from eventstudy.report import data_check_table

    table = data_check_table({"ZS=F": _data_check("ZS=F", 2), "SPY": _data_check("SPY", 0)})
    assert list(table.columns) == ["ZS=F", "SPY"]
    assert list(table.index) == ["first", "last", "rows", "missing sessions", "extra sessions",
                                 "duplicate dates", "non-positive prices", "zero volume days",
                                 "roll days", "thin-trading periods"]
    assert table["ZS=F"].tolist() == [dt.date(2020, 1, 2), dt.date(2020, 3, 31), 62, 2, 4, 5,
                                      2, 6, 3, 7]
    assert table["SPY"].tolist()[2:] == [60, 0, 2, 3, 0, 4, 1, 5]


def test_data_checks_run_check_data_per_ticker_in_order(prices_dir):
    import pandas as pd

    from eventstudy.quality import check_data
    from eventstudy.report import data_checks

    checks = data_checks(["UUP", "SPY"], start="2024-01-01", prices_dir=prices_dir)
    assert list(checks) == ["UUP", "SPY"]
    direct = check_data("SPY", prices_dir=prices_dir, start="2024-01-01")
    assert checks["SPY"].first == direct.first >= pd.Timestamp("2024-01-01")
    assert (checks["SPY"].rows, checks["SPY"].last) == (direct.rows, direct.last)


def test_close_prices_keep_close_from_start():
    import pandas as pd

    from eventstudy.report import close_prices

    idx = pd.date_range("2020-01-01", periods=4)
    prices = {"A": pd.DataFrame({"Close": [1.0, 2.0, 3.0, 4.0], "Open": 0.0}, index=idx),
              "B": pd.DataFrame({"Close": [5.0, 6.0, 7.0, 8.0]}, index=idx)}
    closes = close_prices(prices, ["B", "A"], start="2020-01-03")
    assert list(closes) == ["B", "A"]
    assert closes["A"].tolist() == [3.0, 4.0] and closes["B"].index[0] == idx[2]
    assert list(close_prices(prices)) == ["A", "B"] and len(close_prices(prices)["A"]) == 4


def test_pending_and_moved_events_select_their_rows():
    import pandas as pd

    from eventstudy.report import moved_events, pending_events

    aligned = pd.DataFrame({
        "id": ["a", "b", "c", "d"],
        "date": pd.to_datetime(["2018-06-15", "2018-07-06", "2025-10-26", None]),
        "trade_date": pd.to_datetime(["2018-06-18", "2018-07-06", "2025-10-27", None]),
        "status": ["aligned", "aligned", "aligned", "pending"],
        "in_article": [False, True, True, False],
    })
    assert pending_events(aligned)["id"].tolist() == ["d"]
    assert moved_events(aligned)["id"].tolist() == ["a", "c"]


def test_styled_tables_have_ids_that_do_not_change_between_builds():
    import pandas as pd

    from eventstudy.report import style_car_table, style_power_table

    frame = pd.DataFrame({"car_pct": [1.5], "p": [0.2]})
    first = style_car_table(frame, "caption A").to_html()
    assert first == style_car_table(frame, "caption A").to_html()
    assert first != style_car_table(frame, "caption B").to_html()
    power = pd.DataFrame({(1.0, "[0, 0]"): [87.0]}, index=["bmp"])
    assert style_power_table(power).to_html() == style_power_table(power).to_html()
    assert "87%" in style_power_table(power).to_html()


def test_size_power_figure_names_a_missing_setting():
    import pandas as pd

    from eventstudy.exceptions import InferenceError
    from eventstudy.report.figures import plot_size_power

    sim = pd.DataFrame({"setting": ["real"], "test": ["bmp"], "window": ["[0, 0]"],
                        "abnormal": [0.0], "rate": [0.05], "mc_se": [0.01], "n_events": [20]})
    with pytest.raises(InferenceError, match=r"no rows of setting 'iid-t4'.*\['real'\]"):
        plot_size_power(sim, setting="iid-t4")
    (ax,) = plot_size_power(sim).axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["bmp"]


def test_class_table_grades_only_the_leading_test():
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from eventstudy.report.tables import class_table

    tidy = pd.DataFrame({
        "event_id": ["b", "a"], "trade_date": pd.to_datetime(["2020-02-03", "2019-05-06"]),
        "start": 0, "end": 0, "car": [0.02, -0.01], "ci_lower": [0.0, -0.03],
        "ci_upper": [0.04, 0.01], "p": [0.004, 0.03], "sq_p": [0.2, 0.04],
        "placebo_p": [0.3, 0.5], "lead_test": ["sq", ""], "lead_p": [0.2, np.nan],
        "group": ["kind=call", "kind=meeting"], "note": ["", "no test holds its size"]})
    table = class_table(SimpleNamespace(tidy=lambda alpha=0.05: tidy))
    assert table["event"].tolist() == ["a", "b"]  # date order
    # b's t test has p = 0.004, but the SQ test leads there: p = 0.2, no evidence
    assert table["leading test"].tolist() == ["—", "SQ test"]
    assert table["evidence"].tolist() == ["not graded", "no evidence"]
    assert table["kind"].tolist() == ["meeting", "call"]


def test_provenance_table_reads_a_mapping_or_a_frame_of_provenances():
    import pandas as pd

    from eventstudy.report.html import provenance_table

    provenance = {
        "A": {"source": "yahoo", "fetched_utc": "2026-01-14T08:00:00+00:00",
              "first": "2017-01-03", "last": "2026-01-13", "rows": 2270,
              "provisional": ["2026-01-13"], "path": "a.csv"},
        "B": {"source": "snapshot", "file_modified_utc": "2026-01-20T10:11:12.5+00:00",
              "first": "2019-05-24", "last": "2026-01-29", "rows": 1680},
    }
    html = provenance_table(provenance, caption="Sources")
    for text in ("Sources", ">yahoo<", ">2026-01-14T08:00:00+00:00<", ">2026-01-13<",
                 "not recorded in the snapshot; file dated 2026-01-20 10:11:12 UTC",
                 ">1680<", ">none<", ">a.csv<"):
        assert text in html, text
    assert provenance_table(pd.DataFrame(provenance).T, caption="Sources") == html


def test_a_data_problem_stops_the_build_in_one_line_with_the_fix_when_offline(
        tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("EVENTSTUDY_PRICES_DIR", raising=False)
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "a.toml").write_text('asset = "ZS=F"\nfactors = ["SPY"]\n',
                                                 encoding="utf-8")
    asked = []

    def offline(tickers, **kwargs):
        from eventstudy.exceptions import DownloadError

        asked.append(list(tickers))
        raise DownloadError("ZS=F: nothing downloaded\nsecond line")

    monkeypatch.setattr("eventstudy.prices.load_prices", offline)
    # the studies beside the notebooks folder, by default
    assert main(["--notebooks", str(tmp_path / "notebooks"), "--check-data"]) == 2
    assert asked == [["ZS=F", "SPY"]]
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ZS=F: nothing downloaded — offline?")
    assert "make report PRICES_DIR=" in err and "second line" not in err
    assert main(["--notebooks", str(tmp_path / "notebooks"), "--check-data", "--prices-dir",
                 str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "error: ZS=F: nothing downloaded"
