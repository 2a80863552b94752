"""The report in a real browser: every page at 1280 x 900 in headless Chromium.

Pages: the index, every notebook page and the ``report.html`` that
``eventstudy run studies/article.toml`` writes. Each is served from
127.0.0.1, measured and photographed (first screen and whole page, in the
session's temporary folder; ``make screenshots`` writes them to
``reports/screenshots/``). Needs selenium, chromium and chromedriver: skipped
without them, failed without them in CI (``CI=true``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from browser import (
    CHECKS,
    FIRST_SCREEN_PX,
    MAX_FULL_PAGE_PX,
    VIEWPORT_HEIGHT,
    VIEWPORT_WIDTH,
    answer_patterns,
    browser_unavailable,
    event_name,
    first_screen_problems,
    headline_events,
    inspect_page,
    name_pattern,
    open_browser,
    png_size,
    report_pages,
    serve,
)

from eventstudy.report.build import notebook_sources

REPO = Path(__file__).resolve().parents[1]
STUDY = REPO / "studies" / "article.toml"
RUN_PAGE = "run-article"
PAGES = ["index", *(p.stem for p in notebook_sources(REPO / "notebooks")), RUN_PAGE]
NAMES = headline_events(STUDY)

# the report and the run are the session's, made in one pytest-xdist worker (conftest.py)
pytestmark = [pytest.mark.snapshot, pytest.mark.notebook, pytest.mark.xdist_group("report")]


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium; skipped locally when it is missing, failed in CI."""
    reason = browser_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    with open_browser() as driver:
        yield driver


@pytest.fixture(scope="module")
def page_facts(browser, request, tmp_path_factory):
    """Page name -> its :class:`browser.PageFacts`, each page opened once.

    The report and the study's run (the session's ``report`` and ``study_runs``
    fixtures) are made only once the browser has started, so a machine without one
    skips at once.
    """
    report = request.getfixturevalue("report")
    run = request.getfixturevalue("study_runs")[STUDY.stem]
    shots = tmp_path_factory.mktemp("screenshots")
    facts = {}
    with serve(report) as report_url, serve(run) as run_url:
        for name in PAGES:
            if name == RUN_PAGE:
                page, url = run / "report.html", run_url + "report.html"
                missing = (f"eventstudy run wrote no report.html (in {run}: "
                           f"{', '.join(sorted(p.name for p in run.iterdir()))})")
            else:
                page = report_pages(report).get(name, report / f"{name}.html")
                url = report_url + page.name
                missing = f"the report has no page {page.name} (in {report})"
            facts[name] = (inspect_page(browser, name, url, shots, answer_patterns(NAMES))
                           if page.is_file() else missing)
    return facts


def _facts(page_facts, page):
    facts = page_facts[page]
    if isinstance(facts, str):
        pytest.fail(facts, pytrace=False)
    return facts


def _check(page_facts, page, check):
    facts = _facts(page_facts, page)
    problems = CHECKS[check](facts)
    if problems:
        pytest.fail(f"{page} ({facts.url}): " + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_horizontal_overflow(page_facts, page):
    _check(page_facts, page, "overflow")


@pytest.mark.parametrize("page", PAGES)
def test_page_images_all_load(page_facts, page):
    _check(page_facts, page, "images")


@pytest.mark.parametrize("page", PAGES)
def test_page_text_shows_no_raw_values(page_facts, page):
    # NaN, None, <NA>, a printed dict or a traceback in what the reader sees
    _check(page_facts, page, "text")


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_no_long_table(page_facts, page):
    _check(page_facts, page, "tables")


@pytest.mark.parametrize("page", PAGES)
def test_page_screenshots_are_saved(page_facts, page):
    facts = _facts(page_facts, page)
    assert png_size(facts.first_screen_png) == (VIEWPORT_WIDTH, VIEWPORT_HEIGHT)
    assert facts.full_page_height == min(max(facts.scroll_height, VIEWPORT_HEIGHT),
                                         MAX_FULL_PAGE_PX)
    assert png_size(facts.full_page_png) == (VIEWPORT_WIDTH, facts.full_page_height)


def test_index_first_screen_answers_the_question(page_facts):
    facts = _facts(page_facts, "index")
    problems = first_screen_problems(facts, NAMES)
    if problems:
        pytest.fail(f"index ({facts.url}), top {FIRST_SCREEN_PX} px at {VIEWPORT_WIDTH} px "
                    "wide:\n" + "\n".join(problems), pytrace=False)


# --------------------------------------------------------------------------- without a browser


def test_headline_events_are_named_from_the_catalogue():
    assert NAMES == {"busan-meeting": "Busan", "trump-xi-call": "Trump-Xi"}
    assert event_name("g20-osaka", "Leaders meet at the summit in Osaka") == "Osaka"
    assert event_name("x-y", "no capitalised word") == "no capitalised word"


def test_name_pattern_takes_any_dash_and_whole_words():
    pattern = re.compile(name_pattern("Trump-Xi"))
    for text in ("the Trump-Xi call", "the Trump–Xi call", "Trump—Xi"):
        assert pattern.search(text), text
    assert not pattern.search("trump-xi-call") and not pattern.search("Trump Xi")
    assert not re.search(name_pattern("Busan"), "busan-meeting")


# --------------------------------------------------------------------------- the checks themselves
# A page with one planted fault of each kind, and a clean one: each check finds
# exactly its fault, so a passing report page is not a blind check.

_ROWS = "".join(f"<tr><td>{i}</td></tr>" for i in range(41))
_FAULTY = f"""<!doctype html><html><head><meta charset="utf-8"></head><body>
<div id="wide" style="width: 1500px">a wide block</div>
<img id="broken" src="missing.png" alt="a figure that is not there">
<p>The CAR is NaN and the note is None; None of the events moved. {{'a': 1}}</p>
<table id="long"><tbody>{_ROWS}</tbody></table>
<details><summary>all rows</summary><table id="folded"><tbody>{_ROWS}</tbody></table></details>
<div style="height: 2000px"></div>
<p>Busan meeting +2.26% [-0.33%, +4.85%]; Trump–Xi call -0.41% [-3.00%, +2.19%]</p>
</body></html>"""
_CLEAN = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<h1>Did the Busan meeting and the Trump–Xi call move soybeans?</h1>
<table><tbody><tr><td>Busan meeting</td><td>+2.26%</td><td>[-0.33%, +4.85%]</td></tr>
<tr><td>Trump–Xi call</td><td>−0.41%</td><td>[−3.00%, +2.19%]</td></tr></tbody></table>
<p>None of the events moved the price beyond its 95% band.</p>
<div style="height: 2000px"></div></body></html>"""


def test_checks_find_each_planted_fault_and_pass_a_clean_page(browser, tmp_path):
    (tmp_path / "faulty.html").write_text(_FAULTY, encoding="utf-8")
    (tmp_path / "clean.html").write_text(_CLEAN, encoding="utf-8")
    patterns = answer_patterns(NAMES)
    with serve(tmp_path) as url:
        faulty = inspect_page(browser, "faulty", url + "faulty.html", tmp_path, patterns)
        clean = inspect_page(browser, "clean", url + "clean.html", tmp_path, patterns)
    found = {check: "\n".join(fn(faulty)) for check, fn in CHECKS.items()}
    assert "div#wide" in found["overflow"] and "scrolls sideways" in found["overflow"]
    assert "img#broken" in found["images"] and "1 of 1 images" in found["images"]
    for raw in ("'NaN' appears 1 times", "'None' appears 1 times", "\"{'\" appears 1 times"):
        assert raw in found["text"], found["text"]
    assert "table#long" in found["tables"] and "table#folded" not in found["tables"]
    screen = "\n".join(first_screen_problems(faulty, NAMES))
    for what in ("does not name busan-meeting", "does not name trump-xi-call", "0 CAR",
                 "0 interval"):
        assert what in screen, screen
    assert {check: fn(clean) for check, fn in CHECKS.items()} == dict.fromkeys(CHECKS, [])
    assert first_screen_problems(clean, NAMES) == []
    assert png_size(clean.full_page_png) == (VIEWPORT_WIDTH, clean.full_page_height)
    assert clean.full_page_height > VIEWPORT_HEIGHT
