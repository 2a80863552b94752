"""The report's pages in a real browser: headless Chromium driven by selenium.

Used by ``tests/test_browser.py`` and, as a script, by ``make screenshots``::

    python tests/browser.py --report reports --study studies/article.toml \\
        --out reports/screenshots

Each page is opened at 1280 x 900 CSS pixels, measured (horizontal overflow,
images, visible text, visible tables, what the first screen shows) and
photographed twice: the first screen, and the whole page (the viewport grown
to the document's height). The checks are plain functions of those
measurements, so the test and the script report the same problems.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import http.server
import os
import re
import shutil
import struct
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]

#: The reader's screen, in CSS pixels; the first screen is its height.
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 1280, 900
FIRST_SCREEN_PX = VIEWPORT_HEIGHT
#: A visible table longer than this belongs in a closed <details> or a CSV.
MAX_TABLE_ROWS = 40
#: Bounding boxes are fractional; a box may end this far past the viewport.
OVERFLOW_TOLERANCE_PX = 1.0
#: Chromium does not paint a viewport taller than this; a longer page is cut.
MAX_FULL_PAGE_PX = 16_384
#: Seconds a page may take to load (a guard against a hung browser, not a timed check).
PAGE_LOAD_TIMEOUT_S = 120
#: Characters of context shown around an offending text match.
SNIPPET_CHARS = 40

#: Chromium's flags: headless, and no background connections (a closed network
#: refuses them and the browser stalls).
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
)
INSTALL_HINT = ("install them with `apt-get install -y chromium chromium-driver` (Debian) and "
                "`pip install selenium` (in the dev extra: pip install -e '.[dev]')")

#: Text a reader must never see: a missing value or a Python object printed raw.
#: "None of ..." is English, not a printed None; NaT is pandas' missing date.
RAW_VALUES = {
    "NaN": re.compile(r"\bnan\b", re.IGNORECASE),
    "NaT": re.compile(r"\bNaT\b"),
    "None": re.compile(r"\bNone\b(?! of\b)"),
    "<NA>": re.compile(r"<NA>"),
    "{'": re.compile(r"\{'"),
    "Traceback": re.compile(r"\bTraceback\b"),
    # a float printed raw: more decimals than any table of the report shows
    "raw number": re.compile(r"(?<![\w.])\d+\.\d{5,}(?![\w.])"),
}
#: A CAR in percent and its interval, as the report prints them (sign, two decimals).
CAR_PCT = r"[+−-]\d+\.\d\d%"
INTERVAL = r"\[[+−-]?\d+\.\d\d%, [+−-]?\d+\.\d\d%\]"
#: Hyphens and dashes a name such as "Trump-Xi" may be typeset with.
_DASHES = "[-‐‑–—]"
#: The article's events, when its study file names no headline events.
ARTICLE_EVENTS = ("busan-meeting", "trump-xi-call")


# --------------------------------------------------------------------------- pages and names


def report_pages(report: Path) -> dict[str, Path]:
    """The pages of a built report: ``index`` and each ``NN_name.html``, in reading order."""
    pages = {"index": report / "index.html"}
    for page in sorted(report.glob("[0-9][0-9]_*.html")):
        pages[page.stem] = page
    return pages


def event_name(event_id: str, title: str) -> str:
    """The short name of an event: the capitalised words of its title that spell its id.

    ``busan-meeting`` titled "Trump-Xi meeting at Gimhae Air Base, Busan: ..." is
    "Busan"; ``trump-xi-call`` titled "Trump-Xi phone call ..." is "Trump-Xi".
    Without such words the whole title is the name.
    """
    parts = set(event_id.lower().split("-"))
    for word in re.findall(rf"[A-Z]\w*(?:{_DASHES}[A-Z]\w*)*", title):
        if all(p.lower() in parts for p in re.split(_DASHES, word)):
            return word
    return title


def name_pattern(name: str) -> str:
    """A regular expression (Python and JavaScript) of ``name``, any dash for a hyphen."""
    return r"\b" + _DASHES.join(re.escape(p) for p in re.split(_DASHES, name)) + r"\b"


def headline_events(study: Path) -> dict[str, str]:
    """Event id -> short name of the events a study's first screen must answer for.

    The study file's ``headline_events`` when it has that key, else the article's
    two events; the names come from the titles of the study's events file.
    """
    config = tomllib.loads(study.read_text(encoding="utf-8"))
    ids = config.get("headline_events") or ARTICLE_EVENTS
    catalogue = (study.parent / config["events"]) if "events" in config else (
        REPO / "data" / "events.csv")
    with open(catalogue, newline="", encoding="utf-8") as fh:
        titles = {row["id"]: row.get("title") or row["id"] for row in csv.DictReader(fh)}
    return {i: event_name(i, titles.get(i, i)) for i in ids}


# --------------------------------------------------------------------------- the browser


def chromium_binaries() -> tuple[str | None, str | None]:
    """Paths of the Chromium browser and of its chromedriver (``None`` when missing)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    return browser, shutil.which("chromedriver")


def browser_unavailable() -> str | None:
    """Why the browser checks cannot run here (``None`` when they can)."""
    missing = []
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    browser, driver = chromium_binaries()
    if browser is None:
        missing.append("chromium")
    if driver is None:
        missing.append("chromedriver")
    if missing:
        return f"{', '.join(missing)} not found: {INSTALL_HINT}"
    return None


@contextlib.contextmanager
def open_browser() -> Iterator:
    """A headless Chromium (selenium ``WebDriver``) with a fresh profile, closed on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = chromium_binaries()
    profile = tempfile.mkdtemp(prefix="eventstudy-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                 f"--window-size={VIEWPORT_WIDTH},{VIEWPORT_HEIGHT}"):
        options.add_argument(flag)
    # an explicit driver: selenium-manager never looks for one to download
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
        driver.set_script_timeout(PAGE_LOAD_TIMEOUT_S)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _set_viewport(driver, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": VIEWPORT_WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False})


# --------------------------------------------------------------------------- measurements

_DESCRIBE = r"""
function describe(el) {
  let d = el.tagName.toLowerCase();
  if (el.id) d += '#' + el.id;
  const cls = (typeof el.className === 'string' ? el.className : '').trim().split(/\s+/)
    .filter(Boolean).slice(0, 2);
  if (cls.length) d += '.' + cls.join('.');
  return d;
}
function snippet(el) {
  return (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60);
}
"""

_LAYOUT = _DESCRIBE + r"""
const tol = arguments[0];
const de = document.documentElement;
const vw = de.clientWidth;
const over = (el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.right > vw + tol;
};
const elements = [];
let total = 0;
for (const el of document.body.querySelectorAll('*')) {
  if (!over(el) || getComputedStyle(el).visibility === 'hidden') continue;
  total += 1;
  const parent = el.parentElement;
  if (parent && parent !== document.body && over(parent)) continue;  // outermost only
  let box = null;
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    const ox = getComputedStyle(a).overflowX;
    if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') {
      box = describe(a) + ' ' + ox;
      break;
    }
  }
  const r = el.getBoundingClientRect();
  elements.push({element: describe(el), right: Math.round(r.right), width: Math.round(r.width),
                 text: snippet(el), inside: box});
}
const tables = [];
for (const t of document.querySelectorAll('table')) {
  const rows = Array.from(t.tBodies).reduce((n, b) => n + b.rows.length, 0);
  const hidden = t.getClientRects().length === 0 || t.closest('details:not([open])') !== null
    || getComputedStyle(t).visibility === 'hidden';
  const caption = t.caption ? t.caption.innerText.trim().slice(0, 80) : '';
  tables.push({element: describe(t), rows: rows, visible: !hidden, caption: caption});
}
return {scrollWidth: de.scrollWidth, clientWidth: vw, innerWidth: window.innerWidth,
        scrollHeight: Math.max(de.scrollHeight, document.body.scrollHeight),
        elements: elements, total: total, tables: tables, text: document.body.innerText,
        title: document.title};
"""

_IMAGES = _DESCRIBE + r"""
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
Promise.all(imgs.map((i) => i.decode().catch(() => null))).then(() => done(imgs.map((i) => ({
  element: describe(i), complete: i.complete, naturalWidth: i.naturalWidth,
  alt: i.alt || '', src: (i.getAttribute('src') || '').slice(0, 60)}))));
"""

# Every visible text node, joined (a line break between blocks), searched for
# each pattern; a match's box is the box of its Range, so a number is located
# even when a cell or a paragraph spans several elements.
_TEXT_BOXES = r"""
const patterns = arguments[0];
const limit = arguments[1];
const blockOf = new Map();
function block(el) {
  for (let a = el; a; a = a.parentElement) {
    if (blockOf.has(a)) return blockOf.get(a);
    if (!getComputedStyle(a).display.startsWith('inline')) { blockOf.set(a, a); return a; }
  }
  return document.body;
}
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode(n) {
  const p = n.parentElement;
  if (!p || p.closest('script, style, noscript, template')) return NodeFilter.FILTER_REJECT;
  if (p.getClientRects().length === 0 || getComputedStyle(p).visibility === 'hidden')
    return NodeFilter.FILTER_REJECT;
  return NodeFilter.FILTER_ACCEPT;
}});
const pieces = [];
let text = '', prev = null, screen = '';
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const b = block(n.parentElement);
  if (prev !== null && b !== prev) text += '\n';
  prev = b;
  pieces.push({node: n, start: text.length, end: text.length + n.data.length});
  text += n.data;
  const range = document.createRange();
  range.selectNodeContents(n);
  const r = range.getBoundingClientRect();
  if (r.height > 0 && r.top < limit && n.data.trim()) screen += n.data.trim() + ' ';
}
function at(i, isEnd) {
  for (const p of pieces) {
    if (isEnd ? (p.start < i && i <= p.end) : (p.start <= i && i < p.end))
      return [p.node, i - p.start];
  }
  return null;
}
const found = {};
for (const [name, source] of Object.entries(patterns)) {
  found[name] = [];
  const re = new RegExp(source, 'gu');
  for (const m of text.matchAll(re)) {
    const s = at(m.index, false), e = at(m.index + m[0].length, true);
    if (!s || !e) continue;
    const range = document.createRange();
    range.setStart(s[0], s[1]);
    range.setEnd(e[0], e[1]);
    const r = range.getBoundingClientRect();
    found[name].push({text: m[0], top: r.top + window.scrollY, bottom: r.bottom + window.scrollY});
    if (found[name].length >= 50) break;
  }
}
return {found: found, screen: screen.replace(/\s+/g, ' ').slice(0, 2000)};
"""


@dataclass
class PageFacts:
    """What the browser measured on one page (see :func:`inspect_page`)."""

    name: str
    url: str
    title: str = ""
    scroll_width: int = 0
    client_width: int = 0
    inner_width: int = 0
    scroll_height: int = 0
    #: the outermost elements whose box ends past the viewport's right edge
    overflowing: list[dict] = field(default_factory=list)
    overflowing_total: int = 0
    images: list[dict] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    text: str = ""
    #: pattern name -> matches with their page coordinates (top, bottom)
    matches: dict[str, list[dict]] = field(default_factory=dict)
    #: the text of the first screen, for messages
    first_screen_text: str = ""
    first_screen_png: Path | None = None
    full_page_png: Path | None = None
    full_page_height: int = 0


def inspect_page(driver, name: str, url: str, shots: Path,
                 patterns: dict[str, str] | None = None) -> PageFacts:
    """Open ``url`` at 1280 x 900, measure it and save its two screenshots in ``shots``.

    ``patterns`` (name -> regular expression) are searched in the visible text
    and located on the page (:attr:`PageFacts.matches`).
    """
    _set_viewport(driver, VIEWPORT_HEIGHT)
    driver.get(url)
    driver.execute_script("window.scrollTo(0, 0);")
    layout = driver.execute_script(_LAYOUT, OVERFLOW_TOLERANCE_PX)
    boxes = driver.execute_script(_TEXT_BOXES, patterns or {}, FIRST_SCREEN_PX)
    shots.mkdir(parents=True, exist_ok=True)
    first = shots / f"{name}-first-screen.png"
    driver.save_screenshot(str(first))
    height = min(max(int(layout["scrollHeight"]), VIEWPORT_HEIGHT), MAX_FULL_PAGE_PX)
    _set_viewport(driver, height)
    # growing the viewport also starts any lazily loaded image; wait until each settles
    images = driver.execute_async_script(_IMAGES)
    full = shots / f"{name}-full.png"
    driver.save_screenshot(str(full))
    _set_viewport(driver, VIEWPORT_HEIGHT)
    return PageFacts(
        name=name, url=url, title=layout["title"], scroll_width=layout["scrollWidth"],
        client_width=layout["clientWidth"], inner_width=layout["innerWidth"],
        scroll_height=layout["scrollHeight"], overflowing=layout["elements"],
        overflowing_total=layout["total"], images=images, tables=layout["tables"],
        text=layout["text"], matches=boxes["found"], first_screen_text=boxes["screen"],
        first_screen_png=first, full_page_png=full, full_page_height=height,
    )


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, read from its header."""
    head = Path(path).read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    return struct.unpack(">II", head[16:24])


# --------------------------------------------------------------------------- the checks
# Each check returns the page's problems as readable lines; an empty list passes.


def overflow_problems(facts: PageFacts) -> list[str]:
    """Horizontal overflow: the page scrolls sideways, or an element ends past the viewport."""
    problems = []
    if facts.scroll_width > facts.client_width:
        problems.append(f"the page scrolls sideways: document width {facts.scroll_width} px > "
                        f"viewport {facts.client_width} px (window {facts.inner_width} px)")
    if facts.overflowing:
        problems.append(f"{facts.overflowing_total} elements end past the viewport's right edge "
                        f"({facts.client_width} px); the outermost {len(facts.overflowing)}:")
        for el in facts.overflowing[:15]:
            inside = f", clipped by {el['inside']}" if el["inside"] else ""
            problems.append(f"  <{el['element']}> right {el['right']} px, width {el['width']} px"
                            f"{inside}: {el['text']!r}")
        if len(facts.overflowing) > 15:
            problems.append(f"  ... and {len(facts.overflowing) - 15} more")
    return problems


def image_problems(facts: PageFacts) -> list[str]:
    """Images that did not load (``complete`` and a natural width are both needed)."""
    broken = [i for i in facts.images if not (i["complete"] and i["naturalWidth"] > 0)]
    lines = [f"{len(broken)} of {len(facts.images)} images did not load:"] if broken else []
    return lines + [f"  <{i['element']}> alt={i['alt']!r} src={i['src']!r} complete="
                    f"{i['complete']} naturalWidth={i['naturalWidth']}" for i in broken]


def text_problems(facts: PageFacts) -> list[str]:
    """Raw values in the visible text (``document.body.innerText``)."""
    problems = []
    for label, pattern in RAW_VALUES.items():
        hits = list(pattern.finditer(facts.text))
        if not hits:
            continue
        problems.append(f"{label!r} appears {len(hits)} times in the visible text, e.g.:")
        for hit in hits[:5]:
            a, b = max(hit.start() - SNIPPET_CHARS, 0), hit.end() + SNIPPET_CHARS
            problems.append("  ..." + re.sub(r"\s+", " ", facts.text[a:b]) + "...")
    return problems


def table_problems(facts: PageFacts) -> list[str]:
    """Visible tables longer than :data:`MAX_TABLE_ROWS` (a closed <details> hides a table)."""
    long = [t for t in facts.tables if t["visible"] and t["rows"] > MAX_TABLE_ROWS]
    lines = [f"{len(long)} visible tables have more than {MAX_TABLE_ROWS} rows:"] if long else []
    return lines + [f"  <{t['element']}> {t['rows']} rows: {t['caption']!r}" for t in long]


def first_screen_problems(facts: PageFacts, names: dict[str, str]) -> list[str]:
    """The first screen must name each event and show a CAR (%) and an interval per event.

    ``facts`` must have been measured with :func:`answer_patterns` of ``names``;
    a match counts when its whole box lies in the top :data:`FIRST_SCREEN_PX` px.
    """
    def shown(key):
        return [m for m in facts.matches.get(key, []) if m["bottom"] <= FIRST_SCREEN_PX]

    problems = []
    for event_id, name in names.items():
        if not shown(f"name:{event_id}"):
            where = [round(m["top"]) for m in facts.matches.get(f"name:{event_id}", [])]
            problems.append(f"the first screen does not name {event_id} ({name!r}); "
                            + (f"first named at y = {where[:3]} px" if where else
                               "the page never names it"))
    for key, what in (("car", "CAR in percent (e.g. +1.23%)"),
                      ("interval", "interval (e.g. [-0.50%, +2.96%])")):
        seen, everywhere = shown(key), facts.matches.get(key, [])
        if len(seen) < len(names):
            problems.append(
                f"the first screen shows {len(seen)} {what}, fewer than the {len(names)} events; "
                f"on the whole page {len(everywhere)}"
                + (f", the first at y = {round(everywhere[0]['top'])} px: "
                   f"{everywhere[0]['text']!r}" if everywhere else ""))
    if problems:
        problems.append(f"  first screen: {facts.first_screen_text[:600]!r}")
    return problems


def answer_patterns(names: dict[str, str]) -> dict[str, str]:
    """The patterns :func:`first_screen_problems` reads: each event's name, CARs, intervals."""
    patterns = {f"name:{i}": name_pattern(n) for i, n in names.items()}
    patterns.update(car=CAR_PCT, interval=INTERVAL)
    return patterns


CHECKS = {
    "overflow": overflow_problems,
    "images": image_problems,
    "text": text_problems,
    "tables": table_problems,
}


# --------------------------------------------------------------------------- make screenshots


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tests/browser.py",
        description="Photograph every page of the report in headless Chromium at 1280x900 "
                    "and list what the browser checks of tests/test_browser.py find.")
    parser.add_argument("--report", type=Path, default=Path("reports"), help="report folder")
    parser.add_argument("--study", type=Path, default=None,
                        help="also run this study file (eventstudy run) and photograph its "
                             "report.html")
    parser.add_argument("--prices-dir", type=Path, default=None,
                        help="price snapshots for --study (default: $EVENTSTUDY_PRICES_DIR)")
    parser.add_argument("--out", type=Path, default=Path("reports/screenshots"),
                        help="folder of the PNG files")
    args = parser.parse_args(argv)
    reason = browser_unavailable()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    pages = report_pages(args.report)
    if not pages["index"].is_file():
        print(f"error: no report in {args.report}; run `make report` first", file=sys.stderr)
        return 2
    names = headline_events(args.study or REPO / "studies" / "article.toml")
    problems = 0
    with contextlib.ExitStack() as stack:
        urls = {}
        base = stack.enter_context(serve(args.report))
        for name, page in pages.items():
            urls[name] = base + page.name
        if args.study is not None:
            from eventstudy.outputs import run_study

            runs = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            run = run_study(args.study, prices_dir=args.prices_dir or os.environ.get(
                "EVENTSTUDY_PRICES_DIR"), out=runs / args.study.stem)
            if (run / "report.html").is_file():
                urls[f"run-{args.study.stem}"] = stack.enter_context(serve(run)) + "report.html"
            else:
                print(f"eventstudy run wrote no report.html in {run}")
                problems += 1
        driver = stack.enter_context(open_browser())
        for name, url in urls.items():
            facts = inspect_page(driver, name, url, args.out, answer_patterns(names))
            found = {check: fn(facts) for check, fn in CHECKS.items()}
            if name == "index":
                found["first screen"] = first_screen_problems(facts, names)
            print(f"{name}: {facts.first_screen_png} {facts.full_page_png}")
            for check, lines in found.items():
                if lines:
                    problems += 1
                    print(f"  {check}: " + "\n    ".join(lines))
    print(f"{len(urls)} pages photographed in {args.out}; {problems} failing checks "
          "(tests/test_browser.py fails on each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
