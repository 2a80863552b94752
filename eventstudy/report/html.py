"""HTML components of the report: the answer box, page tables, figures, a study's own page.

Every page of the project's report and the ``report.html`` that
``eventstudy run`` writes for any study are built from these pieces, so a
user's own study gets the same answer box, the same tables (at most
:data:`MAX_ROWS` rows in the page, the rest folded away with a CSV download)
and the same figures as the project's pages.
"""

from __future__ import annotations

import base64
import html
import io

from . import format as fmt

__all__ = [
    "MAX_ROWS",
    "PAGE_CSS",
    "answer_box",
    "cross_asset_table",
    "figure_html",
    "page_table",
    "provenance_table",
    "asset_size_table",
    "size_check_table",
    "study_page",
]

#: The most rows a table shows in a page's body; longer tables fold into <details>.
MAX_ROWS = 40

#: The answer box's own style, carried with it into notebook pages.
ANSWER_CSS = """
.answer { border: 2px solid #3a6ea5; border-radius: 6px; padding: 0.6rem 0.9rem;
          margin: 0.6rem 0 1.2rem; background: #f7fafd; }
.answer h2 { margin: 0 0 0.3rem; font-size: 1.2rem; }
.answer .row { display: flex; gap: 1rem; align-items: flex-start; flex-wrap: wrap; }
.answer .row > div { min-width: 0; max-width: 100%; }
.answer img { max-width: 100%; height: auto; }
.answer .scale { font-size: 0.8rem; color: #444; }
"""

#: The style of every page: readable width, tables that scroll rather than overflow.
PAGE_CSS = ANSWER_CSS + """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 1.5rem auto;
       padding: 0 1rem; line-height: 1.45; color: #222; }
h1 { font-size: 1.6rem; margin: 0.2rem 0 0.6rem; }
table { border-collapse: collapse; margin: 0.4rem 0 0.8rem; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.45rem; text-align: right;
         vertical-align: top; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
td.text, th.text { text-align: left; }
.scroll { overflow-x: auto; max-width: 100%; }
.scale { font-size: 0.8rem; color: #444; }
.meta { color: #555; font-size: 0.9rem; }
details { margin: 0.3rem 0 0.8rem; }
img { max-width: 100%; height: auto; }
section.page { border-top: 1px solid #ddd; margin-top: 1.5rem; }
"""


def figure_html(fig, *, alt: str, dpi: int = 100) -> str:
    """A matplotlib figure (or its PNG bytes) as an inline PNG (``data:`` URI) with alternative
    text."""
    if isinstance(fig, bytes):
        png = fig
    else:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        png = buf.getvalue()
    data = base64.b64encode(png).decode("ascii")
    return f"<img src='data:image/png;base64,{data}' alt='{html.escape(alt)}'>"


def _csv_link(frame, name: str) -> str:
    data = base64.b64encode(frame.to_csv(index=False).encode("utf-8")).decode("ascii")
    return (f"<a download='{html.escape(name)}' href='data:text/csv;base64,{data}'>"
            f"download {html.escape(name)}</a>")


def page_table(frame, *, caption: str = "", csv_name: str | None = None,
               max_rows: int = MAX_ROWS, text_columns=()) -> str:
    """A table for a page: formatted cells, at most ``max_rows`` rows in view.

    Parameters
    ----------
    frame : pandas.DataFrame
        Cells already formatted for reading (strings), or numbers shown as they are.
    caption : str
    csv_name : str, optional
        File name of the CSV download (default from the caption).
    max_rows : int
        A longer table shows its first ``max_rows`` rows; the whole table is in a
        closed ``<details>`` section and in the CSV download.
    text_columns : sequence of str
        Columns aligned left (words rather than numbers).

    Returns
    -------
    str
        HTML; missing values read "—".
    """
    csv_name = csv_name or (("".join(c if c.isalnum() else "-" for c in caption.lower())
                             .strip("-")[:40] or "table") + ".csv")
    shown = frame.astype(object).where(frame.notna(), "—")

    def table(part) -> str:
        head = "".join(f"<th class='{'text' if c in text_columns else ''}'>{html.escape(str(c))}"
                       "</th>" for c in part.columns)
        body = "".join(
            "<tr>" + "".join(
                f"<td class='{'text' if c in text_columns else ''}'>{html.escape(str(v))}</td>"
                for c, v in zip(part.columns, row, strict=True)) + "</tr>"
            for row in part.itertuples(index=False))
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        return f"<div class='scroll'><table>{cap}<thead><tr>{head}</tr></thead>" \
               f"<tbody>{body}</tbody></table></div>"

    link = _csv_link(frame, csv_name)
    if len(frame) <= max_rows:
        return table(shown) + f"<p class='meta'>{link}</p>"
    return (f"<p class='meta'>{len(frame)} rows: the first {max_rows} below, all of them in "
            f"the section that opens under it and in the CSV ({link}).</p>"
            + table(shown.iloc[:max_rows])
            + f"<details><summary>All {len(frame)} rows</summary>{table(shown)}</details>")


def answer_box(runs: dict, event_ids, windows, *, alpha: float = 0.05,
               question: str = "", names: dict | None = None, extra=()) -> str:
    """The answer at the top of a page: each event's CAR with its interval, tests and power.

    Parameters
    ----------
    runs : dict of str -> EventStudyResults
        Asset label -> results (one or several assets).
    event_ids : list of str
        The events answered.
    windows : list of (int, int)
        The headline windows; the sentences read the first.
    alpha : float
    question : str
        The question answered, shown as the box's heading.
    names : dict of str -> str, optional
        Event id -> short name (default: the catalogue title).
    extra : sequence of str
        More sentences (Markdown bold allowed) listed after the events', e.g.
        :func:`eventstudy.report.findings.class_sentence`.

    Returns
    -------
    str
        HTML: the heading; one sentence per event with its graded evidence,
        CAR and interval on every asset
        (:func:`eventstudy.report.findings.answer_sentence`); the table of
        :func:`eventstudy.report.tables.answer_table` with the notes that
        explain its flags and missing values below it; the small dated CAR
        figure (:func:`eventstudy.report.figures.plot_answer`); and the
        evidence scale in words.
    """
    from .figures import plot_answer
    from .findings import answer_sentence
    from .tables import answer_table

    first = next(iter(runs.values()))
    names = dict(names or {})
    label = {e: names.get(e) or first.title_of(e) for e in event_ids}
    cars = {asset: res.tidy(alpha) for asset, res in runs.items()}
    usable = [e for e in event_ids if all(e in res.used_ids for res in runs.values())]
    sentences = "".join(
        f"<li>{_md_bold(answer_sentence(label[e], cars, e, tuple(windows[0]), alpha=alpha))}"
        "</li>" for e in usable)
    sentences += "".join(f"<li>{_md_bold(x)}</li>" for x in extra)
    missing = [e for e in event_ids if e not in usable]
    for e in missing:
        reasons = "; ".join(
            f"{asset}: " + str(res.events.set_index("event_id").loc[e, "reason"])
            for asset, res in runs.items() if e not in res.used_ids)
        sentences += f"<li><strong>{html.escape(label[e])}</strong> — not estimated " \
                     f"({html.escape(reasons)}).</li>"
    # the table names events shortly: the names given, else their ids
    table = answer_table(runs, event_ids, windows, alpha=alpha,
                         names={e: names.get(e) or e for e in event_ids})
    notes = table.loc[table["note"] != "", ["event", "asset", "window", "note"]]
    note_html = "".join(
        f"<li>{html.escape(f'{r.event}, {r.asset} {r.window}: {r.note}')}</li>"
        for r in notes.itertuples())
    figure = plot_answer(runs, usable, alpha=alpha, names=label) if usable else None
    fig_html = figure_html(figure, alt="CAR paths with their bands") if figure else ""
    kind = first.study.return_label
    return (
        f"<style>{ANSWER_CSS}</style><div class='answer'>"
        + (f"<h2>{html.escape(question)}</h2>" if question else "")
        + f"<ul>{sentences}</ul>"
        + "<div class='row'><div>"
        + page_table(table.drop(columns="note"),
                     caption=f"CAR in % of {kind}; interval: CAR ± t·se with estimation error; "
                     "leading test: the first single-event test that holds its 5% size on the "
                     "asset in this build's simulation, with that size; detectable: the day-0 "
                     "move it finds with 80% power there",
                     csv_name="answer.csv",
                     text_columns=("event", "asset", "evidence", "leading test (size %)",
                                   "other tests (p; size on the asset)"))
        + (f"<ul class='scale'>{note_html}</ul>" if note_html else "")
        + f"</div><div>{fig_html}</div></div>"
        + f"<p class='scale'>Evidence grades the leading test's two-sided p-value: "
        f"{html.escape(fmt.evidence_scale())}. It is a reading of one p-value, not a yes/no "
        "decision. A test that does not hold its size on the asset in a window is never the "
        "answer there: its p-value is listed with its measured size. "
        + html.escape(_checks_line(runs)) + "</p>"
        + "</div>"
    )


def _checks_line(runs) -> str:
    """The size checks behind the answer, in one sentence per asset (or why there is none)."""
    lines = []
    for asset, res in runs.items():
        check = res.size_check
        lines.append(f"{asset}: {check.description}." if check is not None else
                     f"{asset}: no size check in this run, so no p-value is graded.")
    return " ".join(lines)


def _size_shown(summary):
    """A size-check summary for reading: test names, two decimals, "> max" for a move past
    the simulated ones."""
    import numpy as np

    from ..simulation import EVENT_TEST_LABELS, POWER_GRID

    mde = [c for c in summary.columns if c.startswith("detectable")][0]
    shown = summary.assign(
        test=[EVENT_TEST_LABELS.get(t, t) for t in summary["test"]],
        **{"size (%)": [f"{x:.2f}" for x in summary["size (%)"]],
           "mc_se (%)": [f"{x:.2f}" for x in summary["mc_se (%)"]],
           mde: [f"{x:.2f}" if np.isfinite(x) else f"> {100 * max(POWER_GRID):g}"
                 for x in summary[mde]]},
    )
    return shown.drop(columns=[c for c in ("start", "end") if c in shown.columns]).rename(
        columns={"mc_se (%)": "Monte Carlo SE (%)", mde: "detectable day-0 move, 80% power (%)"})


def size_check_table(results) -> str:
    """The size and power of each single-event test on the results' asset (its size check)."""
    check = results.size_check
    if check is None:
        return ("<p>No size check in this run: no single-event p-value is graded "
                "(analyse with size_check=True, or run without --no-size-check).</p>")
    summary = results.size_summary()
    return page_table(_size_shown(summary), caption=check.description,
                      csv_name="size_check.csv", text_columns=("test", "window", "verdict"))


def asset_size_table(table, *, caption: str) -> str:
    """The size checks of several markets (``report.robustness.asset_size_checks``)."""
    return page_table(_size_shown(table), caption=caption, csv_name="asset_size_checks.csv",
                      text_columns=("asset", "test", "window", "verdict"))


def _md_bold(text: str) -> str:
    """``**x**`` → ``<strong>x</strong>``, the rest escaped."""
    parts = html.escape(text).split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def _plain(value) -> str:
    """A provenance value as text: missing values as "—", lists joined, never a Python repr."""
    import pandas as pd

    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items()) or "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(_plain, value)) or "none"
    if value is None or pd.isna(value):
        return "—"
    return str(value)


def _fetched(prov: dict) -> str:
    """When a series was fetched; for a snapshot that does not record it, the file's date."""
    if _plain(prov.get("fetched_utc")) != "—":
        return str(prov["fetched_utc"])
    if _plain(prov.get("file_modified_utc")) != "—":
        stamp = str(prov["file_modified_utc"])[:19].replace("T", " ")
        return f"not recorded in the snapshot; file dated {stamp} UTC"
    return "not recorded"


def provenance_table(provenance, *, caption: str = "Where the prices come from") -> str:
    """Where each price series comes from, as a page table.

    Parameters
    ----------
    provenance : dict of str -> dict, or pandas.DataFrame
        Ticker -> the ``provenance`` of :func:`eventstudy.prices.load_prices`
        (or a frame of them indexed by ticker,
        :func:`eventstudy.report.build.data_provenance`).
    caption : str

    Returns
    -------
    str
        HTML: ticker, source, fetch time, first and last date, rows, the
        provisional bars and the file read.
    """
    import pandas as pd

    if isinstance(provenance, pd.DataFrame):
        provenance = provenance.to_dict("index")
    rows = []
    for ticker, prov in provenance.items():
        prov = dict(prov or {})
        provisional = prov.get("provisional")
        rows.append({"ticker": ticker, "source": _plain(prov.get("source")),
                     "fetched (UTC)": _fetched(prov), "first": _plain(prov.get("first")),
                     "last": _plain(prov.get("last")), "rows": _plain(prov.get("rows")),
                     "provisional bars": (_plain(provisional) if isinstance(provisional, list)
                                          else "none"),
                     "file": _plain(prov.get("path"))})
    return page_table(pd.DataFrame(rows), caption=caption, csv_name="provenance.csv",
                      text_columns=("ticker", "source", "fetched (UTC)", "file"))


def study_page(results, *, alpha: float = 0.05, car_png=None) -> str:
    """The self-contained ``report.html`` of one study (``eventstudy run``).

    ``car_png``: the CAR figure already drawn (``eventstudy run`` writes it to
    ``figures/car.png`` and reuses it here). Sections: the answer box over
    every used event (or the study's first events) and its windows; CAR
    figures; the tidy table; the tests; the normal-return model; the excluded
    events with their reasons; the study's settings and the price provenance.
    """
    import pandas as pd

    from ..results import MultiAssetResults
    from ..simulation import EVENT_TEST_LABELS

    if isinstance(results, MultiAssetResults):
        return _multi_page(results, alpha=alpha)
    o = results.study
    s = results.study
    title = (s.title or s.name) if s is not None else f"Event study of {o.asset}"
    label = o.asset
    ids = results.used_ids
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if s is not None and s.description:
        parts.append(f"<p>{html.escape(s.description)}</p>")
    if ids:
        parts.append(answer_box({label: results}, ids[:6], list(o.windows)[:2], alpha=alpha,
                                question=f"Did the news move {o.asset}?"))
    else:
        parts.append("<div class='answer'><p>No event could be estimated; the reasons are in "
                     "the table of events below.</p></div>")
    if ids:
        parts += ["<h2>Cumulative abnormal returns</h2>",
                  figure_html(car_png if car_png is not None else results.plot_car(ids),
                              alt="CAR paths of every event")]
        t = results.tidy(alpha)
        shown = pd.DataFrame({
            "event": t["event_id"], "day 0": t["trade_date"].dt.strftime("%Y-%m-%d"),
            "window": [fmt.window(a, b) for a, b in zip(t["start"], t["end"], strict=True)],
            "CAR (%)": [fmt.pct(x) for x in t["car"]],
            "se (%)": [f"{100 * x:.2f}" if x == x else "—" for x in t["car_se"]],
            f"{100 * (1 - alpha):g}% interval (%)": [
                fmt.interval(a, b) for a, b in zip(t["ci_lower"], t["ci_upper"], strict=True)],
            "t-test p": [fmt.pvalue(x) for x in t["p"]],
            "SQ p": [fmt.pvalue(x) for x in t["sq_p"]],
            "placebo p": [fmt.pvalue(x) for x in t["placebo_p"]],
            "leading test": [EVENT_TEST_LABELS.get(x, "—") for x in t["lead_test"]],
            "evidence": [fmt.evidence(p) if x else "not graded"
                         for x, p in zip(t["lead_test"], t["lead_p"], strict=True)],
            "days": t["n_days"], "note": t["note"]})
        parts += ["<h2>Single-event tests on this asset: size and power</h2>",
                  size_check_table(results)]
        parts += ["<h2>Every event and window</h2>",
                  page_table(shown, caption=f"CAR in % of {o.return_label}; evidence grades "
                             "the leading test's p", csv_name="car.csv",
                             text_columns=("event", "leading test", "evidence", "note"))]
        tests = results.tests
        if len(tests):
            shown = pd.DataFrame({
                "group": tests["group"],
                "window": [fmt.window(a, b) for a, b in zip(tests["start"], tests["end"],
                                                              strict=True)],
                "test": tests["test"],
                "statistic": [f"{x:.3f}" if x == x else "—"
                              for x in tests["statistic"].astype(float)],
                "p": [fmt.pvalue(x) for x in tests["p_value"].astype(float)],
                "events": tests["n_events"], "note": tests["note"]})
            parts += ["<h2>Tests across events</h2>",
                      page_table(shown, caption="The test battery of each group and window",
                                 csv_name="tests.csv", text_columns=("group", "test", "note"))]
        parts += ["<h2>The normal-return model</h2>",
                  page_table(results._model_display(),
                             caption=f"{o.model} model on each event's estimation sample: "
                             "coefficient (standard error)", csv_name="model.csv",
                             text_columns=("event",))]
    ev = results.events
    excluded = ev[ev["status"] != "used"]
    parts.append("<h2>Events</h2>")
    parts.append(page_table(
        pd.DataFrame({"event": ev["event_id"],
                      "day 0": [f"{d:%Y-%m-%d}" if pd.notna(d) else "none"
                                for d in ev["trade_date"]],
                      "status": ev["status"], "reason": ev["reason"].replace("", "—"),
                      "estimation days": ev["n_estimation"]}),
        caption=f"{len(ev) - len(excluded)} used, {len(excluded)} excluded",
        csv_name="events.csv", text_columns=("event", "status", "reason")))
    settings = pd.DataFrame(results._header(), columns=["setting", "value"])
    parts += ["<h2>The study</h2>",
              page_table(settings, caption="Settings", csv_name="settings.csv",
                         text_columns=("setting", "value"))]
    if results.data is not None and results.data.provenance:
        parts.append(provenance_table(results.data.provenance))
    parts.append("</body></html>")
    return "".join(parts)


def cross_asset_table(multi, *, alpha: float = 0.05) -> str:
    """The cross-asset tests of a study of several assets, as a page table."""
    import pandas as pd

    cross = multi.cross_asset(alpha)
    shown = pd.DataFrame({
        "event": cross["event_id"],
        "window": [fmt.window(a, b) for a, b in zip(cross["start"], cross["end"], strict=True)],
        "assets": cross["n_assets"],
        "mean CAR (%)": [fmt.pct(x) for x in cross["mean_car"]],
        "p, mean (correlation-adjusted)": [fmt.pvalue(x) for x in cross["p_mean"]],
        "p, all zero (joint Wald)": [fmt.pvalue(x) for x in cross["p_joint"]],
        "mean correlation": [f"{x:.2f}" if x == x else "—" for x in cross["mean_corr"]],
        "note": cross["note"].fillna("")})
    return page_table(shown, caption="Each event tested across the assets, allowing for the "
                      "correlation of their returns", csv_name="cross.csv",
                      text_columns=("event", "note"))


def _multi_page(multi, *, alpha: float) -> str:
    """``report.html`` of a study of several assets: the answer on every asset, then each."""

    s = multi.study
    title = (s.title or s.name) if s is not None else "Event study of several assets"
    o = multi.study
    heads = list(s.headline_events or multi.used_ids[:4]) if s is not None else multi.used_ids[:4]
    heads = [e for e in heads if e in multi.used_ids]
    windows = list(s.headline_windows or o.windows[:2]) if s is not None else list(o.windows[:2])
    runs = {a: r for a, r in multi.results.items() if all(e in r.used_ids for e in heads)}
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if heads and runs:
        parts.append(answer_box(runs, heads, windows, alpha=alpha,
                                question="Which markets moved?"))
    if len(multi.cross_asset(alpha)):
        parts += ["<h2>Across the assets</h2>", cross_asset_table(multi, alpha=alpha)]
    for asset, res in multi.results.items():
        page = study_page(res, alpha=alpha)
        body = page.split("<body>", 1)[1].rsplit("</body>", 1)[0]
        parts += [f"<section class='page'><h2>{html.escape(asset)}</h2>",
                  body.replace("<h1>", "<h3>").replace("</h1>", "</h3>"), "</section>"]
    parts.append("</body></html>")
    return "".join(parts)
