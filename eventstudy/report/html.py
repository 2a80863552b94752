"""HTML components of a report: the answer box, page tables, figures, a study's own page
(the ``report.html`` of ``eventstudy run``). Tables show at most :data:`MAX_ROWS` rows, the
rest folded away, with a CSV download."""

from __future__ import annotations

import base64
import html
import io

from .. import format as fmt

__all__ = [
    "MAX_ROWS", "PAGE_CSS", "answer_box", "cross_asset_table", "figure_html", "page_head",
    "page_table", "provenance_table", "asset_size_table", "size_check_table", "study_page",
    "summary_box"
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
    """A matplotlib figure (or its PNG bytes) as an inline PNG with alternative text."""
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
               max_rows: int = MAX_ROWS, text_columns=(), **formats) -> str:
    """A table for a page: formatted cells, at most ``max_rows`` rows in view.

    Parameters
    ----------
    frame : pandas.DataFrame
        Strings, or numbers formatted by :func:`eventstudy.format.table`.
    csv_name : str, optional
        File name of the CSV download of the unformatted table (default from
        the caption).
    max_rows : int
        A longer table shows its first ``max_rows`` rows, the whole of it in a
        closed ``<details>`` section.
    text_columns : sequence of str
        Columns aligned left.
    **formats
        ``percent``, ``signed``, ``pvalues``, ``digits`` of
        :func:`eventstudy.format.table`.
    """
    csv_name = csv_name or (("".join(c if c.isalnum() else "-" for c in caption.lower())
                             .strip("-")[:40] or "table") + ".csv")
    shown = fmt.table(frame, **formats)

    def cell(tag, c, v) -> str:
        # a date stays on one line, on a notebook page too (whose style sheet is not ours)
        keep = " style='white-space: nowrap'" if fmt.is_date(v) else ""
        return (f"<{tag} class='{'text' if c in text_columns else ''}'{keep}>"
                f"{html.escape(str(v))}</{tag}>")

    def table(part) -> str:
        head = "".join(cell("th", c, c) for c in part.columns)
        body = "".join("<tr>" + "".join(cell("td", c, v) for c, v in zip(part.columns, row,
                                                                      strict=True)) + "</tr>"
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
    """The answer at the top of a page for chosen events and windows on several assets.

    Stacks each run's :meth:`~EventStudyResults.summary` and renders it with
    :func:`summary_box`; ``names`` maps event ids to short names and ``extra``
    adds sentences (Markdown bold allowed).
    """
    from ..summary import Summary

    summary = Summary.stack({a: r.summary(alpha, event_ids=event_ids, windows=windows,
                                          names=names) for a, r in runs.items()})
    return summary_box(summary, runs, question=question, extra=extra)


def summary_box(summary, runs: dict, *, question: str = "", extra=()) -> str:
    """A :class:`~eventstudy.summary.Summary` as the answer box: its sentences, table, notes,
    the CAR figure of ``runs`` (:func:`eventstudy.report.figures.plot_answer`) and its reading.
    """
    from .figures import plot_answer

    rows = summary.rows
    ids = list(dict.fromkeys(rows["event_id"]))
    usable = [e for e in ids if all(e in r.used_ids for r in runs.values())]
    sentences = "".join(f"<li>{_md_bold(x)}</li>" for x in [*summary.sentences(), *extra])
    titles = dict(zip(rows["event_id"], rows["title"], strict=True))
    figure = plot_answer(runs, usable, alpha=summary.alpha,
                         names={e: titles[e] for e in usable}) if usable else None
    fig_html = figure_html(figure, alt="CAR paths with their bands") if figure else ""
    checks = dict(summary.header).get("Size check", "")
    return (
        f"<style>{ANSWER_CSS}</style><div class='answer'>"
        + (f"<h2>{html.escape(question)}</h2>" if question else "")
        + f"<ul>{sentences}</ul>"
        + "<div class='row'><div>"
        + page_table(summary.table(), caption=summary.caption(), csv_name="answer.csv",
                     text_columns=("asset", "event", "leading test (size)", "evidence",
                                   "other tests (p; size)"))
        + _notes_html(summary.row_notes())
        + f"</div><div>{fig_html}</div></div>"
        + f"<p class='scale'>{html.escape(summary.reading)} It is a reading of one p-value, "
        "not a yes/no decision. " + (f"Size check: {html.escape(checks)}." if checks else "")
        + "</p>" + (f"<p class='scale'>Multiple testing: {html.escape(multiple)}</p>"
                    if (multiple := summary.multiplicity_text()) else "")
        + "</div>"
    )


def _size_shown(summary):
    """A size-check summary for reading: test names, two decimals, "> max" beyond the grid."""
    import numpy as np

    from ..config import EVENT_TEST_LABELS
    from ..simulation import POWER_GRID

    mde = [c for c in summary.columns if c.startswith("detectable")][0]
    shown = summary.assign(
        test=[EVENT_TEST_LABELS.get(t, t) for t in summary["test"]],
        **{"size (%)": [fmt.number(x, 2) for x in summary["size (%)"]],
           "mc_se (%)": [fmt.number(x, 2) for x in summary["mc_se (%)"]],
           mde: [fmt.number(x, 2) if np.isfinite(x) else f"> {100 * max(POWER_GRID):g}"
                 for x in summary[mde]]},
    )
    return shown.drop(columns=[c for c in ("start", "end") if c in shown.columns]).rename(
        columns={"mc_se (%)": "Monte Carlo SE (%)", mde: "detectable day-0 move, 80% power (%)"})


def size_check_table(results) -> str:
    """The size and power of each single-event test on the results' asset, as a page table."""
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
    parts = html.escape(text).split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def _plain(value) -> str:
    """A provenance value as text: missing "—", lists joined, never a Python repr."""
    import pandas as pd

    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items()) or "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(_plain, value)) or "none"
    if value is None or pd.isna(value):
        return "—"
    return str(value)


def _fetched(prov: dict) -> str:
    if _plain(prov.get("fetched_utc")) != "—":
        return str(prov["fetched_utc"])
    if _plain(prov.get("file_modified_utc")) != "—":
        stamp = str(prov["file_modified_utc"])[:19].replace("T", " ")
        return f"not recorded in the snapshot; file dated {stamp} UTC"
    return "not recorded"


def provenance_table(provenance, *, caption: str = "Where the prices come from") -> str:
    """Where each price series comes from, as a page table.

    ``provenance`` maps ticker -> the ``provenance`` of
    :func:`eventstudy.prices.load_prices`, or is a frame of them indexed by
    ticker (:func:`eventstudy.report.build.data_provenance`).
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
    """The self-contained ``report.html`` of one study, or of each asset of several.

    Sections: the answer box, the CAR figure (``car_png`` if already drawn),
    the size check, every event and window, the tests across events, the
    normal-return model, the events and the study's settings and provenance.
    """
    from ..results import MultiAssetResults

    if isinstance(results, MultiAssetResults):
        return _multi_page(results, alpha=alpha)
    summary = results.summary(alpha)
    parts = page_head(summary.title, summary.description)
    ids = results.used_ids
    if ids:
        parts.append(summary_box(summary, {results.study.asset: results},
                                 question=f"Did the news move {results.study.asset}?"))
    else:
        parts.append("<div class='answer'><p>No event could be estimated; the reasons are in "
                     "the table of events below.</p></div>")
    if ids:
        every = results.summary(alpha, event_ids=ids, windows=results.study.windows)
        parts += ["<h2>Cumulative abnormal returns</h2>",
                  figure_html(car_png if car_png is not None else results.plot_car(ids),
                              alt="CAR paths of every event"),
                  "<h2>Single-event tests on this asset: size and power</h2>",
                  size_check_table(results),
                  "<h2>Every event and window</h2>",
                  page_table(every.table(), caption=every.caption(), csv_name="car.csv",
                             text_columns=("event", "leading test (size)", "evidence",
                                           "other tests (p; size)")),
                  _notes_html(every.row_notes())]
        parts += _tests_and_model(results)
    parts += _events_and_settings(results, summary)
    parts.append("</body></html>")
    return "".join(parts)


def page_head(title: str, description: str = "") -> list[str]:
    """The opening of a self-contained page: its style, title, heading and description."""
    title = html.escape(title)
    return ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{title}</title>", f"<style>{PAGE_CSS}</style></head><body>",
            f"<h1>{title}</h1>", *([f"<p>{html.escape(description)}</p>"] if description else [])]


def _notes_html(notes) -> str:
    return ("<ul class='scale'>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes)
            + "</ul>") if notes else ""


def _tests_and_model(results) -> list[str]:
    from ..summary import group_tests_table, model_table

    parts = []
    tests = results.tests
    if len(tests):
        parts += ["<h2>Tests across events</h2>",
                  page_table(group_tests_table(tests), caption="p-values of the test battery "
                             "of each group and window (not size-checked)", csv_name="tests.csv",
                             text_columns=("group",))]
    parts += ["<h2>The normal-return model</h2>",
              page_table(model_table(results.normal_model()),
                         caption=f"{results.study.model} model on each event's estimation "
                         "sample: coefficient (standard error)", csv_name="model.csv",
                         text_columns=("event",))]
    return parts


def _events_and_settings(results, summary) -> list[str]:
    import pandas as pd

    ev = results.events
    excluded = ev[ev["status"] != "used"]
    parts = ["<h2>Events</h2>", page_table(
        pd.DataFrame({"event": ev["event_id"],
                      "day 0": [f"{d:%Y-%m-%d}" if pd.notna(d) else "none"
                                for d in ev["trade_date"]],
                      "status": ev["status"], "reason": ev["reason"].replace("", "—"),
                      "estimation days": ev["n_estimation"]}),
        caption=f"{len(ev) - len(excluded)} used, {len(excluded)} excluded",
        csv_name="events.csv", text_columns=("event", "status", "reason"))]
    settings = pd.DataFrame(list(summary.header), columns=["setting", "value"])
    parts += ["<h2>The study</h2>",
              page_table(settings, caption="Settings", csv_name="settings.csv",
                         text_columns=("setting", "value"))]
    if results.data is not None and results.data.provenance:
        parts.append(provenance_table(results.data.provenance))
    return parts


def cross_asset_table(multi, *, alpha: float = 0.05) -> str:
    """The cross-asset tests of a study of several assets, as a page table."""
    from ..summary import cross_asset_table as formatted

    return page_table(formatted(multi.cross_asset(alpha)), caption="Each event tested across "
                      "the assets, allowing for the correlation of their returns",
                      csv_name="cross.csv", text_columns=("event", "note"))


def _multi_page(multi, *, alpha: float) -> str:
    """``report.html`` of a study of several assets: the answer on every asset, then each."""
    summary = multi.summary(alpha)
    parts = page_head(summary.title, summary.description)
    if len(summary.rows):
        parts.append(summary_box(summary, multi.results, question="Which markets moved?"))
    if len(multi.cross_asset(alpha)):
        parts += ["<h2>Across the assets</h2>", cross_asset_table(multi, alpha=alpha)]
    for asset, res in multi.results.items():
        page = study_page(res, alpha=alpha)
        body = page.split("<body>", 1)[1].rsplit("</body>", 1)[0]
        parts += [f"<section class='page'><h2>{html.escape(asset)}</h2>",
                  body.replace("<h1>", "<h3>").replace("</h1>", "</h3>"), "</section>"]
    parts.append("</body></html>")
    return "".join(parts)
