"""Build the HTML report (``make report``).

Each notebook of ``notebooks/`` (a jupytext percent script ``NN_name.py``) is
executed with nbclient and written as one self-contained page
``reports/NN_name.html`` (figures embedded as base64 ``data:`` URIs), with a
sidecar ``reports/NN_name.json`` holding the page's title, its findings and its
headline numbers. ``reports/index.html`` gathers the sidecars, links every page
and states the data provenance (snapshot or Yahoo, fetch time, versions) and the
date built.

Cells tagged ``findings`` (a notebook's closing statement) and ``headline`` (the
numbers the index shows first) are copied from the executed page to the index,
so the index repeats the page and never recomputes a number.

Command line::

    python -m eventstudy.report --out reports                    # every notebook + index
    python -m eventstudy.report --out reports --page notebooks/03_article.py
    python -m eventstudy.report --out reports --index            # index from existing pages

The prices folder is passed to the notebooks as ``EVENTSTUDY_PRICES_DIR``
(``--prices-dir`` or the environment); the library reads it from there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import logging
import os
import platform
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import __version__
from .exceptions import EventStudyError, NotebookError

__all__ = [
    "NOTEBOOKS_DIR",
    "notebook_sources",
    "read_notebook",
    "execute_notebook",
    "notebook_to_html",
    "build_page",
    "build_index",
    "build_report",
    "library_versions",
    "data_provenance",
    "data_checks",
    "DATA_CHECK_COUNTS",
    "data_check_table",
    "close_prices",
    "article_events",
    "pending_events",
    "moved_events",
    "DIRECTION_STYLE",
    "plot_event_timeline",
    "plot_price_quality",
    "plot_normalised",
    "plot_caar_by_group",
    "plot_car_by_asset",
    "plot_placebo",
    "plot_car_by_variant",
    "style_car_table",
    "style_robustness_table",
    "size_power_tables",
    "style_power_table",
    "style_size_table",
    "plot_size_power",
    "main",
]

logger = logging.getLogger(__name__)

#: The project's notebooks (jupytext percent scripts named ``NN_name.py``).
NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"

_NOTEBOOK_NAME = re.compile(r"^\d\d_[A-Za-z0-9_]+\.py$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The Makefile exports MPLBACKEND=Agg for scripts; a kernel needs the inline
# backend instead, or figures would never reach the notebook's outputs.
_INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
_VERSIONED = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "yfinance",
              "pandas_market_calendars")


def notebook_sources(folder=None) -> list[Path]:
    """The notebook scripts ``NN_name.py`` of ``folder``, in reading order.

    Parameters
    ----------
    folder : path-like, optional
        Defaults to the project's ``notebooks/``.
    """
    folder = Path(folder) if folder is not None else NOTEBOOKS_DIR
    return sorted(p for p in folder.glob("*.py") if _NOTEBOOK_NAME.match(p.name))


def read_notebook(path):
    """Read a notebook: a jupytext percent script (``.py``) or an ``.ipynb`` file.

    Returns
    -------
    nbformat.NotebookNode
    """
    import jupytext

    return jupytext.read(Path(path))


def _kernel_env(prices_dir) -> dict:
    env = dict(os.environ)
    env["MPLBACKEND"] = _INLINE_BACKEND
    if prices_dir is not None:
        env["EVENTSTUDY_PRICES_DIR"] = str(Path(prices_dir).resolve())
    return env


def _failing_cell(nb) -> tuple[int, str]:
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                text = "\n".join(output.get("traceback", [])) or (
                    f"{output.get('ename')}: {output.get('evalue')}"
                )
                return number, _ANSI.sub("", text)
    return 0, ""


def execute_notebook(path, *, prices_dir=None, timeout: int = 600, kernel_name: str = "python3"):
    """Execute a notebook top to bottom in a fresh kernel.

    Parameters
    ----------
    path : path-like
        The notebook (``.py`` percent script or ``.ipynb``).
    prices_dir : path-like, optional
        Folder of price snapshots, passed to the kernel as
        ``EVENTSTUDY_PRICES_DIR``; ``None`` keeps the current environment.
    timeout : int
        Seconds allowed for one cell.
    kernel_name : str
        Jupyter kernel to start.

    Returns
    -------
    nbformat.NotebookNode
        The notebook with its outputs.

    Raises
    ------
    NotebookError
        When a cell raises; the message names the notebook and the cell and
        carries the cell's traceback.

    Notes
    -----
    The kernel starts in the notebook's folder, so relative paths in a
    notebook are relative to it.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    nb = read_notebook(path)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    try:
        client.execute(env=_kernel_env(prices_dir))
    except CellExecutionError as exc:
        number, text = _failing_cell(nb)
        raise NotebookError(path, number, text or _ANSI.sub("", str(exc))) from None
    return nb


def _title(nb, default: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def _tagged_outputs(nb, tag: str) -> str:
    """HTML of the outputs of the cells tagged ``tag`` (markdown converted)."""
    from nbconvert.filters import markdown2html

    parts = []
    for cell in nb.cells:
        if tag not in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "markdown":
            parts.append(markdown2html(cell.source))
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                parts.append(data["text/html"])
            elif "text/markdown" in data:
                parts.append(markdown2html(data["text/markdown"]))
            elif "text/plain" in data:
                parts.append(f"<pre>{html.escape(data['text/plain'])}</pre>")
            elif output.get("output_type") == "stream":
                parts.append(f"<pre>{html.escape(output.get('text', ''))}</pre>")
    return "\n".join(parts)


def _count_figures(nb) -> int:
    return sum(
        1
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    )


# The lab template loads require.js and MathJax from a CDN; the pages need
# neither (no widgets, no formulas in outputs) and must open offline.
_PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
"""


def notebook_to_html(nb, title: str) -> str:
    """Render an executed notebook as one self-contained HTML page.

    Figures are embedded as base64 ``data:`` URIs by nbconvert's
    ``HTMLExporter`` (lab template, without its CDN scripts); the page needs
    no other file and no network.
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"eventstudy.html.j2": _PAGE_TEMPLATE})],
        template_file="eventstudy.html.j2",
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def build_page(notebook, out, *, prices_dir=None, timeout: int = 600) -> Path:
    """Execute one notebook and write ``out/<stem>.html`` and ``out/<stem>.json``.

    Parameters
    ----------
    notebook : path-like
        The notebook script.
    out : path-like
        The report folder (created if needed).
    prices_dir : path-like, optional
        Folder of price snapshots (see :func:`execute_notebook`).
    timeout : int
        Seconds allowed for one cell.

    Returns
    -------
    pathlib.Path
        The HTML page. Nothing is written when a cell fails.
    """
    notebook = Path(notebook)
    out = Path(out)
    started = dt.datetime.now(dt.timezone.utc)
    nb = execute_notebook(notebook, prices_dir=prices_dir, timeout=timeout)
    seconds = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
    title = _title(nb, notebook.stem)
    out.mkdir(parents=True, exist_ok=True)
    page = out / f"{notebook.stem}.html"
    sidecar = {
        "notebook": notebook.name,
        "page": page.name,
        "title": title,
        "findings_html": _tagged_outputs(nb, "findings"),
        "headline_html": _tagged_outputs(nb, "headline"),
        "figures": _count_figures(nb),
        "seconds": round(seconds, 2),
        "executed_utc": started.strftime("%Y-%m-%d %H:%M UTC"),
    }
    _write_atomic(page, notebook_to_html(nb, title))
    _write_atomic(out / f"{notebook.stem}.json", json.dumps(sidecar, indent=2))
    logger.info("%s: executed in %.1f s, %d figures", notebook.name, seconds, sidecar["figures"])
    return page


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def library_versions() -> dict[str, str]:
    """Versions of Python, the package and the libraries behind the numbers."""
    versions = {"python": platform.python_version(), "futures-eventstudy": __version__}
    for name in _VERSIONED:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _study_tickers(studies_dir: Path) -> list[str]:
    from .study import ROBUSTNESS_VARIANTS, load_study

    tickers: list[str] = []
    for path in sorted(studies_dir.glob("*.toml")):
        study = load_study(path)
        named = [study.asset, *study.factors]
        for changes in ROBUSTNESS_VARIANTS.values():  # the variants of page 5 read more series
            named += [changes.get("asset", study.asset), *changes.get("factors", ())]
        for ticker in named:
            if ticker not in tickers:
                tickers.append(ticker)
    return tickers


def data_provenance(tickers=None, *, prices_dir=None):
    """Where each price series comes from: source, fetch time, span, rows.

    Parameters
    ----------
    tickers : list of str, optional
        Defaults to every asset and factor of the project's study files.
    prices_dir : path-like, optional
        Folder of price snapshots; ``None`` means ``$EVENTSTUDY_PRICES_DIR``,
        else Yahoo through the cache.

    Returns
    -------
    pandas.DataFrame
        One row per ticker with the ``provenance`` fields of
        :func:`eventstudy.data.load_prices` (``source``, ``fetched_utc``,
        ``path``, ``first``, ``last``, ``rows``).
    """
    import pandas as pd

    from .data import load_prices

    if tickers is None:
        tickers = _study_tickers(Path(__file__).resolve().parents[1] / "studies")
    prices = load_prices(list(tickers), prices_dir=prices_dir)
    rows = []
    for ticker in tickers:
        prov = dict(prices[ticker].attrs.get("provenance", {}))
        prov.pop("versions", None)
        rows.append({"ticker": ticker, **prov})
    frame = pd.DataFrame(rows).set_index("ticker")
    return frame


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
section.page { border-top: 1px solid #ddd; margin-top: 1.5rem; }
.meta { color: #555; font-size: 0.9rem; }
"""


def _provenance_html(prov) -> str:
    """The provenance table of the index: one row per ticker, the fetch time spelled out."""
    import pandas as pd

    rows = []
    for ticker, rec in prov.iterrows():
        fetched = rec.get("fetched_utc")
        modified = rec.get("file_modified_utc")
        if fetched is not None and pd.notna(fetched):
            when = str(fetched)
        elif modified is not None and pd.notna(modified):
            stamp = str(modified)[:19].replace("T", " ")
            when = f"not recorded in the snapshot; file dated {stamp} UTC"
        else:
            when = "not recorded"
        provisional = rec.get("provisional")
        rows.append({
            "ticker": ticker,
            "source": rec.get("source", "-"),
            "fetched (UTC)": when,
            "first": rec.get("first", "-"),
            "last": rec.get("last", "-"),
            "rows": rec.get("rows", "-"),
            "provisional bars": ", ".join(map(str, provisional)) if provisional else "none",
            "file": rec.get("path", "-"),
        })
    return pd.DataFrame(rows).to_html(index=False, escape=True, na_rep="-")


def build_index(out, pages=None, *, prices_dir=None) -> Path:
    """Write ``out/index.html`` from the pages' sidecars.

    Parameters
    ----------
    out : path-like
        The report folder.
    pages : list of path-like, optional
        The HTML pages to link, in order; defaults to every ``NN_*.html``
        with a sidecar in ``out``.
    prices_dir : path-like, optional
        Folder of price snapshots for the provenance table.

    Returns
    -------
    pathlib.Path
    """
    out = Path(out)
    if pages is None:
        pages = sorted(p for p in out.glob("[0-9][0-9]_*.html"))
    sidecars = []
    for page in map(Path, pages):
        meta_path = out / f"{page.stem}.json"
        if not meta_path.is_file():
            raise NotebookError(
                page, 0, f"{meta_path} is missing; build the page first "
                f"(python -m eventstudy.report --page notebooks/{page.stem}.py)"
            )
        sidecars.append(json.loads(meta_path.read_text(encoding="utf-8")))

    built = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    headline = "\n".join(s["headline_html"] for s in sidecars if s["headline_html"])
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>futures-eventstudy report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Trade news and soybean futures: the report</h1>",
        f"<p class='meta'>Built {built} with futures-eventstudy {html.escape(__version__)}.</p>",
    ]
    if headline:
        parts += ["<h2>Headline numbers</h2>", headline]
    parts.append("<h2>Pages</h2><ol>")
    for s in sidecars:
        parts.append(
            f"<li><a href='{html.escape(s['page'])}'>{html.escape(s['title'])}</a> "
            f"<span class='meta'>({s['figures']} figures, executed {s['executed_utc']} "
            f"in {s['seconds']:.1f} s)</span></li>"
        )
    parts.append("</ol>")
    for s in sidecars:
        if s["findings_html"]:
            parts += [
                "<section class='page'>",
                f"<h3><a href='{html.escape(s['page'])}'>{html.escape(s['title'])}</a>: "
                "what it found</h3>",
                s["findings_html"],
                "</section>",
            ]
    parts.append("<h2>Data provenance</h2>")
    try:
        prov = data_provenance(prices_dir=prices_dir)
    except EventStudyError as exc:  # the index still links the pages; say why provenance is absent
        logger.warning("data provenance unavailable: %s", exc)
        parts.append(f"<p>Provenance unavailable: {html.escape(str(exc))}</p>")
    else:
        source = os.environ.get("EVENTSTUDY_PRICES_DIR") if prices_dir is None else prices_dir
        where = (
            f"the price snapshot folder <code>{html.escape(str(source))}</code>"
            if source
            else "Yahoo Finance through the download cache"
        )
        parts.append(f"<p>Prices read from {where}.</p>")
        parts.append(_provenance_html(prov))
    parts.append("<h2>Versions</h2><table><tr><th>library</th><th>version</th></tr>")
    for name, ver in library_versions().items():
        parts.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(ver)}</td></tr>")
    parts.append("</table></body></html>\n")
    index = out / "index.html"
    out.mkdir(parents=True, exist_ok=True)
    _write_atomic(index, "\n".join(parts))
    return index


def build_report(out, notebooks=None, *, prices_dir=None, timeout: int = 600) -> Path:
    """Execute every notebook, write its page and the index.

    Parameters
    ----------
    out : path-like
        The report folder.
    notebooks : list of path-like, optional
        Defaults to :func:`notebook_sources`.
    prices_dir : path-like, optional
        Folder of price snapshots.
    timeout : int
        Seconds allowed for one cell.

    Returns
    -------
    pathlib.Path
        ``out/index.html``.
    """
    notebooks = notebook_sources() if notebooks is None else [Path(n) for n in notebooks]
    pages = [build_page(nb, out, prices_dir=prices_dir, timeout=timeout) for nb in notebooks]
    return build_index(out, pages, prices_dir=prices_dir)


# --------------------------------------------------------------------------- notebook figures

#: Colours of event markers by the catalogue's ``direction`` for soybeans.
DIRECTION_STYLE = {
    1: ("tab:green", "de-escalation (+1)"),
    -1: ("tab:red", "escalation (-1)"),
    0: ("tab:gray", "no direction (0)"),
}


def _label_levels(dates, span, *, gap: float = 0.025, max_levels: int = 4) -> list[int]:
    """Stacking level of each date's label so that labels closer than ``gap`` · span
    never share a level (dates sorted ascending)."""
    import pandas as pd

    min_gap = span * gap
    last: list[pd.Timestamp | None] = [None] * max_levels
    levels = []
    for d in pd.DatetimeIndex(dates):
        free = [k for k, prev in enumerate(last) if prev is None or d - prev >= min_gap]
        level = free[0] if free else min(range(max_levels), key=lambda k: last[k])
        last[level] = d
        levels.append(level)
    return levels


def plot_event_timeline(close, aligned, periods, *, ticker: str = "ZS=F",
                        unit: str = "US cents per bushel"):
    """The asset's close with every aligned event marked on its trade date.

    Parameters
    ----------
    close : pandas.Series
        Closing prices indexed by trade date.
    aligned : pandas.DataFrame
        :func:`eventstudy.events.align_events` output.
    periods : list of (date-like, date-like)
        One panel per period.
    ticker, unit : str
        For the axis label.

    Returns
    -------
    matplotlib.figure.Figure
        Vertical dashed lines at each event's trade date (day 0), coloured by
        direction and labelled with the event id.
    """
    import pandas as pd
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(12, 4.4 * len(periods)), layout="constrained")
    axes = fig.subplots(len(periods), 1, squeeze=False)
    dated = aligned[aligned["status"] == "aligned"].sort_values("trade_date", kind="stable")
    number = {eid: i for i, eid in enumerate(dated["id"], start=1)}
    for ax, (a, b) in zip(axes[:, 0], periods, strict=True):
        a, b = pd.Timestamp(a), pd.Timestamp(b)
        seg = close.loc[a:b]
        ax.plot(seg.index, seg.to_numpy(), color="0.25", lw=1.0, label=f"{ticker} close")
        ev = dated[(dated["trade_date"] >= a) & (dated["trade_date"] <= b)]
        levels = _label_levels(ev["trade_date"], b - a)
        key = []
        for level, rec in zip(levels, ev.itertuples(), strict=True):
            color, _ = DIRECTION_STYLE[int(rec.direction)]
            ax.axvline(rec.trade_date, color=color, lw=0.9, ls="--")
            ax.annotate(str(number[rec.id]), (rec.trade_date, 1.0),
                        xycoords=("data", "axes fraction"),
                        xytext=(0, 2 + 9 * level), textcoords="offset points", ha="center",
                        va="bottom", fontsize=7, color=color)
            key.append(f"{number[rec.id]:>2}  {rec.trade_date:%Y-%m-%d}  {rec.id}")
        ax.text(1.01, 1.0, "\n".join(key), transform=ax.transAxes, va="top", ha="left",
                fontsize=7, family="monospace")
        ax.set_ylabel(f"{ticker} close ({unit})")
        ax.set_xlabel("trade date")
        ax.set_title(f"{ticker} and the catalogued events (numbered, day 0), "
                     f"{a:%b %Y} to {b:%b %Y}", pad=6 + 9 * (max(levels, default=0) + 1))
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=c, ls="--", label=lab) for c, lab in DIRECTION_STYLE.values()]
    axes[0, 0].legend(handles=handles, loc="lower left", fontsize=8, title="event direction")
    return fig


def plot_price_quality(close, check, periods, *, unit: str = "US cents per bushel"):
    """A price series with its contract-roll days and thin-trading periods.

    Parameters
    ----------
    close : pandas.Series
        Closing prices indexed by trade date.
    check : eventstudy.quality.DataCheck
        The data check of the same ticker (roll days, thin periods).
    periods : list of (date-like, date-like)
        One panel per period.
    unit : str
        Price unit for the axis label.

    Returns
    -------
    matplotlib.figure.Figure
        Orange shading: thin-trading periods (front contract in its delivery
        period); blue ticks at the bottom: return dates that span a contract
        switch (masked in every estimation and event window).
    """
    import pandas as pd
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig = Figure(figsize=(11, 3.8 * len(periods)), layout="constrained")
    axes = fig.subplots(len(periods), 1, squeeze=False)
    rolls = pd.DatetimeIndex(check.roll_days["date"] if len(check.roll_days) else [])
    for ax, (a, b) in zip(axes[:, 0], periods, strict=True):
        a, b = pd.Timestamp(a), pd.Timestamp(b)
        seg = close.loc[a:b]
        for lo, hi in check.thin_periods:
            lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
            if hi >= a and lo <= b:
                ax.axvspan(max(lo, a), min(hi, b) + pd.Timedelta(days=1), color="tab:orange",
                           alpha=0.25, lw=0)
        ax.plot(seg.index, seg.to_numpy(), color="0.2", lw=0.9)
        inside = rolls[(rolls >= a) & (rolls <= b)]
        ax.plot(inside, [0.02] * len(inside), "|", color="tab:blue", ms=10,
                transform=ax.get_xaxis_transform())
        ax.set_ylabel(f"{check.ticker} close ({unit})")
        ax.set_xlabel("trade date")
        ax.set_title(f"{check.ticker}, {a:%Y-%m-%d} to {b:%Y-%m-%d}: "
                     f"{len(inside)} roll days, thin-trading periods shaded")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(
        handles=[Patch(color="tab:orange", alpha=0.25, label="thin trading (delivery period)"),
                 Line2D([], [], color="tab:blue", marker="|", ls="", ms=10,
                        label="roll day (return spans a contract switch)")],
        loc="upper left", fontsize=8)
    return fig


def plot_normalised(closes, *, base: str | None = None):
    """Several price series rebased to 100 on their first common date.

    Parameters
    ----------
    closes : dict of str -> pandas.Series
        Closing prices by ticker.
    base : str, optional
        Label of the base date in the axis title (default: the first common date).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import pandas as pd
    from matplotlib.figure import Figure

    table = pd.DataFrame(closes).dropna()
    rebased = 100 * table / table.iloc[0]
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax = fig.subplots()
    for ticker in rebased.columns:
        ax.plot(rebased.index, rebased[ticker].to_numpy(), lw=0.9, label=ticker)
    ax.set_ylabel(f"close, {base or f'{rebased.index[0]:%Y-%m-%d}'} = 100")
    ax.set_xlabel("trade date")
    ax.set_title("The asset and its factors, rebased (days when all have a price)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_caar_by_group(run, groups=("escalation", "de-escalation", "signed"), *, alpha=0.05):
    """CAAR paths of the groups of a study run's tests table, with (1-α) bands.

    Parameters
    ----------
    run : eventstudy.study.StudyRun
    groups : sequence of str
        Groups as built by :func:`eventstudy.study.analyse` (``all``,
        ``escalation``, ``de-escalation``, ``signed``).
    alpha : float

    Returns
    -------
    matplotlib.figure.Figure
        CAAR_τ = mean over the group's used events of s_i · CAR_i(first day..τ),
        s_i the event's sign (its direction for ``signed``, else +1); band
        ± z · √(Σ Var(CAR_iτ)) / N (no cross-correlation assumed).
    """
    import numpy as np
    from matplotlib.figure import Figure
    from scipy import stats

    from .study import _groups

    res = run.results
    a = res.arrays
    car, var = res.cumulative()
    located = list(res._ids)
    wanted = set(run.event_ids)
    idx = np.array([i for i, e in enumerate(located) if e in wanted], dtype=np.int64)
    idx = idx[a.used[idx]]
    spec = _groups(run.study, idx, np.asarray(res._direction, dtype=np.int64),
                   np.asarray(res._category, dtype=object))
    z = stats.norm.ppf(1 - alpha / 2)
    level = int(round(100 * (1 - alpha)))
    shown = [g for g in groups if g in spec]
    fig = Figure(figsize=(5.2 * len(shown), 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(shown), sharey=True))
    for ax, g in zip(axes, shown, strict=True):
        rows, sign = spec[g]
        c = car[rows] * sign[:, None]
        n = np.isfinite(c).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            caar = np.where(n > 0, np.nansum(c, axis=0) / n, np.nan) * 100
            se = np.where(n > 0, np.sqrt(np.nansum(var[rows], axis=0)) / n, np.nan) * 100
        ax.fill_between(a.rel_win, caar - z * se, caar + z * se, alpha=0.2, color="C0",
                        label=f"{level}% band (±z·se, events independent)")
        ax.plot(a.rel_win, caar, marker="o", color="C0", label="CAAR")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(0, color="0.5", lw=0.8, ls=":")
        what = "CAR × direction" if g == "signed" else "CAR"
        ax.set_title(f"{g}: {len(rows)} events (mean {what})", fontsize=10)
        ax.set_xlabel("event day (trade days relative to day 0)")
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("cumulative average abnormal return (% log return)")
    fig.suptitle(f"{run.study.asset}: cumulative average abnormal returns by group")
    return fig


def plot_car_by_asset(runs, event_id, *, alpha: float = 0.05):
    """One event's CAR path measured on several assets, thin-trading days shaded.

    Parameters
    ----------
    runs : dict of str -> eventstudy.study.StudyRun
        Label (e.g. the asset) -> run; each run must hold ``event_id`` as a used event.
    event_id : str
    alpha : float

    Returns
    -------
    matplotlib.figure.Figure
        Left: the CAR path from the first window day, CAR_τ = Σ_{d ≤ τ} AR_d,
        with its (1-α) band CAR_τ ± t_{df, 1-α/2} · √(γ_τ′Vγ_τ) (V the
        covariance of the window's abnormal returns, estimation error
        included). Right: each day's abnormal return. Shading: days on which
        the first run's asset traded thinly (front contract in its delivery
        period); a cross marks a day whose return spans a contract switch
        (masked, so it adds nothing to the CAR).
    """
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from scipy import stats

    level = int(round(100 * (1 - alpha)))
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax_car, ax_ar = fig.subplots(1, 2)
    first_label = next(iter(runs))
    width = 0.8 / len(runs)
    for k, (label, run) in enumerate(runs.items()):
        res = run.results
        a = res.arrays
        row = list(res._ids).index(event_id)
        car, var = res.cumulative()
        q = stats.t.ppf(1 - alpha / 2, a.dof[row])
        path, half = car[row] * 100, q * np.sqrt(var[row]) * 100
        color = f"C{k}"
        ax_car.fill_between(a.rel_win, path - half, path + half, color=color, alpha=0.15,
                            label=f"{label}: {level}% band")
        ax_car.plot(a.rel_win, path, marker="o", color=color, label=f"{label}: CAR")
        ar = run.ar[run.ar["event_id"] == event_id].set_index("day")
        ax_ar.bar(ar.index + (k - (len(runs) - 1) / 2) * width, ar["ar"] * 100, width=width,
                  color=color, label=f"{label}: abnormal return")
        if label == first_label:
            for ax in (ax_car, ax_ar):
                for day in ar.index[ar["thin"].astype(bool)]:
                    ax.axvspan(day - 0.5, day + 0.5, facecolor="0.9", edgecolor="0.7",
                               hatch="//", lw=0, zorder=0)
            rolls = ar.index[ar["roll"].astype(bool)]
            if len(rolls):
                ax_ar.plot(rolls, np.zeros(len(rolls)), "x", color="k", ms=8,
                           label=f"{label}: return spans a contract switch (masked)")
    dates = runs[first_label].ar
    dates = dates[dates["event_id"] == event_id].set_index("day")["date"]
    for ax in (ax_car, ax_ar):
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(0, color="0.5", lw=0.8, ls=":")
        ax.set_xticks(list(dates.index))
        ax.set_xticklabels([f"{d:+d}\n{pd.Timestamp(t):%m-%d}" if d
                            else f"0\n{pd.Timestamp(t):%m-%d}"
                            for d, t in dates.items()], fontsize=8)
        ax.set_xlabel("event day and trade date")
    shade = Patch(facecolor="0.9", edgecolor="0.7", hatch="//",
                  label=f"{first_label} thin trading (front contract in delivery)")
    for ax, loc in ((ax_car, "upper left"), (ax_ar, "lower left")):
        handles = ax.get_legend_handles_labels()[0]
        ax.legend(handles=[*handles, shade], fontsize=7, loc=loc)
    ax_car.set_ylabel("cumulative abnormal return (% log return)")
    ax_ar.set_ylabel("abnormal return (% log return)")
    ax_car.set_title("CAR from the first window day")
    ax_ar.set_title("abnormal return day by day")
    fig.suptitle(f"{event_id}: the same window measured on {' and '.join(runs)}")
    return fig


def plot_placebo(run, window, groups=("escalation", "de-escalation")):
    """The placebo distribution of one window's CAR with the observed values marked.

    Parameters
    ----------
    run : eventstudy.study.StudyRun
        A run with a placebo distribution.
    window : (int, int)
    groups : sequence of str
        Groups whose mean CAR is marked (vertical lines).

    Returns
    -------
    matplotlib.figure.Figure
        Histogram of the pseudo-event CARs; short ticks: each study event's
        CAR; long lines: each group's mean CAR.
    """
    import numpy as np
    from matplotlib.figure import Figure

    pl = run.placebo
    w = [tuple(x) for x in pl.windows.tolist()].index(tuple(window))
    pseudo = pl.car[:, w]
    pseudo = pseudo[np.isfinite(pseudo)] * 100
    fig = Figure(figsize=(12, 4), layout="constrained")
    ax = fig.subplots()
    ax.hist(pseudo, bins=80, color="0.75", label=f"{pseudo.size} pseudo-events (no news)")
    car = run.car[(run.car["start"] == window[0]) & (run.car["end"] == window[1])]
    ev = car.merge(run.events[["event_id", "direction"]], on="event_id")
    for d, (color, label) in DIRECTION_STYLE.items():
        vals = ev.loc[ev["direction"] == d, "car"].dropna() * 100
        if len(vals):
            ax.plot(vals, np.zeros(len(vals)), "|", ms=25, mew=2, color=color,
                    label=f"{label}: event CARs")
    tests = run.tests
    for g, color in zip(groups, ("tab:red", "tab:green", "tab:blue")[: len(groups)], strict=False):
        row = tests[(tests["group"] == g) & (tests["test"] == "placebo")
                    & (tests["start"] == window[0]) & (tests["end"] == window[1])]
        if len(row):
            mean = float(row["statistic"].iloc[0]) * 100
            p_value = float(row["p_value"].iloc[0])
            ax.axvline(mean, color=color, lw=2,
                       label=f"{g} mean CAR {mean:+.2f}% (placebo p = {p_value:.3f})")
    ax.set_xlabel(f"CAR over [{window[0]}, {window[1]}] (% log return)")
    ax.set_ylabel("pseudo-events")
    ax.set_title(f"{run.study.asset}: placebo distribution of the [{window[0]}, {window[1]}] CAR")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def plot_car_by_variant(table):
    """The CAR of each event under each robustness variant, as horizontal bars.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`eventstudy.study.robustness_table` (``dimension, variant,
        window, event_id, car_pct``); the dummy-regression rows are left out.

    Returns
    -------
    matplotlib.figure.Figure
        One group of bars per variant (top to bottom in the table's order),
        one bar per event (legend ``event``, events in sorted order): the CAR
        in percent of log return over the base window (the ``window`` of the
        ``base`` rows) unless the variant names another window. A missing
        bar is an event the variant excludes.
    """
    from matplotlib.figure import Figure

    shown = table[table["dimension"] != "dummy regression"]
    order = list(dict.fromkeys(shown["variant"]))
    base_window = shown.loc[shown["dimension"] == "base", "window"].iloc[0]
    fig = Figure(figsize=(10, 6), layout="constrained")
    ax = fig.subplots()
    pivot = shown.pivot(index="variant", columns="event_id", values="car_pct").loc[order]
    pivot.plot.barh(ax=ax)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_xlabel(f"CAR (% log return; over {base_window} unless the variant names another "
                  "window)")
    ax.set_ylabel("")
    ax.invert_yaxis()
    ax.legend(title="event", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title("The article's events under each variant (missing bar: event excluded)")
    return fig


# --------------------------------------------------------------------------- data and event tables

def data_checks(tickers, *, start=None, prices_dir=None) -> dict:
    """:func:`eventstudy.quality.check_data` of each ticker (page 1).

    Parameters
    ----------
    tickers : list of str
    start : date-like, optional
        First trade date checked.
    prices_dir : path-like, optional
        Folder of price snapshots; ``None`` means ``$EVENTSTUDY_PRICES_DIR``,
        else Yahoo through the cache.

    Returns
    -------
    dict of str -> eventstudy.quality.DataCheck
        In the order of ``tickers``.
    """
    from .quality import check_data

    return {t: check_data(t, prices_dir=prices_dir, start=start) for t in tickers}


#: Rows of :func:`data_check_table`: row label -> attribute of a ``DataCheck``
#: whose length is counted (``first``, ``last``, ``rows`` are shown as they are).
DATA_CHECK_COUNTS = {
    "missing sessions": "missing_sessions",
    "extra sessions": "extra_sessions",
    "duplicate dates": "duplicate_dates",
    "non-positive prices": "nonpositive_prices",
    "zero volume days": "zero_volume",
    "roll days": "roll_days",
    "thin-trading periods": "thin_periods",
}


def data_check_table(checks):
    """The checks of several series side by side (page 1).

    Parameters
    ----------
    checks : dict of str -> eventstudy.quality.DataCheck
        As returned by :func:`data_checks`.

    Returns
    -------
    pandas.DataFrame
        One column per ticker; rows ``first`` and ``last`` (dates),
        ``rows``, then the number of items of each check
        (:data:`DATA_CHECK_COUNTS`).
    """
    import pandas as pd

    return pd.DataFrame({
        t: {"first": c.first.date(), "last": c.last.date(), "rows": c.rows,
            **{label: len(getattr(c, attr)) for label, attr in DATA_CHECK_COUNTS.items()}}
        for t, c in checks.items()
    })


def close_prices(prices, tickers=None, *, start=None) -> dict:
    """The ``Close`` column of each ticker's prices, from ``start`` on.

    Parameters
    ----------
    prices : dict of str -> pandas.DataFrame
        :func:`eventstudy.data.load_prices` output.
    tickers : list of str, optional
        Defaults to every key of ``prices``, in order.
    start : date-like, optional
        First date kept (inclusive).

    Returns
    -------
    dict of str -> pandas.Series
        Input of :func:`plot_normalised`.
    """
    tickers = list(prices) if tickers is None else tickers
    return {t: prices[t]["Close"].loc[start:] for t in tickers}


def article_events(aligned):
    """The events of :func:`eventstudy.events.align_events` that the article mentions."""
    return aligned[aligned["in_article"]]


def pending_events(aligned):
    """The events of :func:`eventstudy.events.align_events` without a trade date yet."""
    return aligned[aligned["status"] != "aligned"]


def moved_events(aligned):
    """The aligned events whose day 0 is not their reported calendar date.

    Parameters
    ----------
    aligned : pandas.DataFrame
        :func:`eventstudy.events.align_events` (``status, date, trade_date``).

    Returns
    -------
    pandas.DataFrame
        The rows with ``status == 'aligned'`` and ``trade_date != date``
        (a clock time after the close, or a date the exchange was closed,
        moves day 0 to a later session; an overnight or pre-open time can
        move it earlier), in the table's order.
    """
    return aligned[(aligned["status"] == "aligned") & (aligned["trade_date"] != aligned["date"])]


# --------------------------------------------------------------------------- notebook tables

#: Display formats of the CAR tables (:func:`eventstudy.study.headline_table`).
CAR_FORMATS = {"car_pct": "{:+.2f}%", "p": "{:.3f}", "sq_p": "{:.3f}", "placebo_p": "{:.3f}"}
#: Background of a table row or cell whose rate or conclusion is above / below the reference.
HIGHLIGHT = {"over": "background-color: #fde2c8", "under": "background-color: #cfe2f3"}


def _stable(styler, caption: str):
    """Give a Styler an id derived from its caption, so rebuilt pages are identical."""
    import hashlib

    return styler.set_uuid(hashlib.sha1(caption.encode("utf-8")).hexdigest()[:8])


def style_car_table(frame, caption: str):
    """A CAR table for display: CAR as signed percent, p-values to three decimals.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`eventstudy.study.headline_table` output.
    caption : str

    Returns
    -------
    pandas.io.formats.style.Styler
        Without the index; ``trade_date`` as ``YYYY-MM-DD``.
    """
    return _stable(frame.style, caption).format(
        {**CAR_FORMATS, "trade_date": "{:%Y-%m-%d}"}).hide(axis="index").set_caption(caption)


def style_robustness_table(table, caption: str = "The article's events under each choice "
                           "(orange: the conclusion moves)"):
    """The robustness table for display, rows whose conclusion moves highlighted.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`eventstudy.study.robustness_table` (with its ``moves`` column).
    caption : str

    Returns
    -------
    pandas.io.formats.style.Styler
        Every cell of a row with ``moves`` true has the orange background
        ``HIGHLIGHT["over"]``; missing values are shown as ``-``.
    """
    def moves(row):
        return [HIGHLIGHT["over"] if row["moves"] else "" for _ in row]

    return _stable(table.style, caption).format(CAR_FORMATS, na_rep="-").hide(
        axis="index").apply(moves, axis=1).set_caption(caption)


# --------------------------------------------------------------------------- size and power

def _one_setting(sim, setting):
    from .exceptions import InferenceError

    rows = sim[sim["setting"] == setting]
    if rows.empty:
        raise InferenceError(
            f"no rows of setting {setting!r} in the size-power table (settings: "
            f"{sorted(set(sim['setting']))}); pass one of them as setting="
        )
    return rows


def size_power_tables(sim, *, setting: str = "real", alpha: float = 0.05):
    """Size and power of each test, one row per test, from a size-power table.

    Parameters
    ----------
    sim : DataFrame
        The table of :func:`eventstudy.simulation.run_size_power` (columns
        :data:`eventstudy.simulation.SIM_COLUMNS`).
    setting : str
        The setting to show (``real``, ``iid-normal`` or ``iid-t4``).
    alpha : float
        The level the simulation tested at.

    Returns
    -------
    size : DataFrame
        Index ``test`` (the table's order); one column per window (the
        no-effect rejection rate in percent), ``mc_se`` (its Monte Carlo
        standard error in percentage points, √(α(1 - α)/trials) as in
        :func:`eventstudy.simulation.simulate_tests`), ``trials``, ``over``
        and ``under`` (the windows where rate > α + 3·mc_se, resp.
        rate < α - 3·mc_se, joined by ``"; "``) and ``verdict``: ``holds`` (no window beyond
        3 SE), ``over-rejects``, ``conservative`` (under-rejects) or
        ``mixed``.
    power : DataFrame
        Index ``test``; columns (abnormal return in percent, window): the
        rejection rate in percent when the abnormal return is added to
        day 0 of every pseudo-event. Empty when the table has no power rows.

    Notes
    -----
    With R trials, a rate whose true value is α lies within α ± 3·mc_se
    with probability about 99.7%; a flag is a departure the replications
    can tell apart from Monte Carlo noise, not a measure of how far the
    test is off.
    """
    rows = _one_setting(sim, setting)
    tests = list(dict.fromkeys(rows["test"]))
    windows = list(dict.fromkeys(rows["window"]))
    null = rows[rows["abnormal"] == 0]
    rate = null.pivot(index="test", columns="window", values="rate").reindex(
        index=tests, columns=windows)
    se = null.groupby("test", sort=False)["mc_se"].max().reindex(tests)
    over = rate.gt(alpha + 3 * se, axis=0)
    under = rate.lt(alpha - 3 * se, axis=0)
    size = rate * 100
    size.columns.name = None
    size["mc_se"] = se * 100
    size["trials"] = null.groupby("test", sort=False)["trials"].max().reindex(tests)
    size["over"] = ["; ".join(w for w in windows if over.loc[t, w]) for t in tests]
    size["under"] = ["; ".join(w for w in windows if under.loc[t, w]) for t in tests]
    size["verdict"] = [
        "mixed" if o and u else "over-rejects" if o else "conservative" if u else "holds"
        for o, u in zip(size["over"], size["under"], strict=True)
    ]
    effect = rows[rows["abnormal"] != 0].assign(abnormal=lambda f: f["abnormal"] * 100)
    power = effect.pivot_table(index="test", columns=["abnormal", "window"], values="rate",
                               sort=False) * 100
    if len(power):
        power = power.reindex(index=[t for t in tests if t in power.index])
    return size, power


def style_size_table(size, description: str):
    """The size table for display, departures beyond 3 Monte Carlo SE highlighted.

    Parameters
    ----------
    size : pandas.DataFrame
        The size table of :func:`size_power_tables`.
    description : str
        What was simulated (the simulation table's ``attrs["description"]``),
        put in the caption.

    Returns
    -------
    pandas.io.formats.style.Styler
        Rates as ``x.x%``, ``mc_se`` as ``±x.x``; a window cell listed in the
        row's ``over`` column is orange, one in ``under`` blue
        (:data:`HIGHLIGHT`).
    """
    windows = [c for c in size.columns if c not in ("mc_se", "trials", "over", "under",
                                                    "verdict")]

    def flag(row):
        over, under = row["over"].split("; "), row["under"].split("; ")
        return [HIGHLIGHT["over"] if c in over else HIGHLIGHT["under"] if c in under else ""
                for c in row.index]

    caption = f"No effect: rejection rate at 5% per test and window ({description})"
    return _stable(size.style, caption).format(
        {**{w: "{:.1f}%" for w in windows}, "mc_se": "±{:.1f}"}).apply(
        flag, axis=1).set_caption(caption)


def style_power_table(power):
    """The power table for display: rejection rates as whole percent, with a caption.

    Parameters
    ----------
    power : pandas.DataFrame
        The power table of :func:`size_power_tables`.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    caption = "Power: rejection rate at 5% with an abnormal day-0 return (in % log return)"
    return _stable(power.style, caption).format("{:.0f}%").set_caption(caption)


def plot_size_power(sim, *, setting: str = "real", alpha: float = 0.05):
    """Rejection rates with no effect (±3 Monte Carlo SE) and with each abnormal return.

    Parameters
    ----------
    sim : DataFrame
        The table of :func:`eventstudy.simulation.run_size_power`.
    setting : str
    alpha : float

    Returns
    -------
    matplotlib.figure.Figure
        Left: each test's no-effect rejection rate per window, with a bar of
        ±3·mc_se around it and the level α marked (a bar that does not cross
        α is a flagged departure); then one panel per abnormal return: the
        power per test and window.
    """
    import numpy as np
    from matplotlib.figure import Figure

    rows = _one_setting(sim, setting)
    tests = list(dict.fromkeys(rows["test"]))
    windows = list(dict.fromkeys(rows["window"]))
    sizes = sorted(set(rows["abnormal"]))
    y = np.arange(len(tests))
    offset = (np.arange(len(windows)) - (len(windows) - 1) / 2) * 0.22
    fig = Figure(figsize=(4.2 * len(sizes), 0.32 * len(tests) + 1.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(sizes), sharey=True))
    for ax, delta in zip(axes, sizes, strict=True):
        part = rows[rows["abnormal"] == delta]
        for k, w in enumerate(windows):
            cur = part[part["window"] == w].set_index("test").reindex(tests)
            x = cur["rate"].to_numpy(dtype=float) * 100
            err = 3 * cur["mc_se"].to_numpy(dtype=float) * 100 if delta == 0 else None
            ax.errorbar(x, y + offset[k], xerr=err, fmt="o", ms=4, color=f"C{k}", capsize=2,
                        lw=1, label=f"window {w}")
        if delta == 0:
            ax.axvline(alpha * 100, color="0.3", lw=0.8, ls="--", label=f"level {alpha:.0%}")
            ax.set_xlim(left=0)
            ax.set_title("no effect: size (bars ±3 Monte Carlo SE)", fontsize=10)
        else:
            ax.set_xlim(0, 102)
            ax.set_title(f"{delta:+.0%} on day 0: power", fontsize=10)
        ax.set_xlabel("rejection rate (%)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, tests)
    axes[0].invert_yaxis()
    handles, labels = axes[0].get_legend_handles_labels()
    axes[-1].legend(handles, labels, fontsize=7, loc="lower right")
    first = rows.iloc[0]
    fig.suptitle(f"{setting}: rejection rates at {alpha:.0%} of {int(first['n_events'])} "
                 "pseudo-events per replication")
    return fig


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eventstudy.report",
        description="Execute the notebooks and write the HTML report.",
    )
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report folder")
    parser.add_argument("--prices-dir", type=Path, default=None,
                        help="folder of <TICKER>.csv snapshots (default: $EVENTSTUDY_PRICES_DIR)")
    parser.add_argument("--page", type=Path, action="append", default=None,
                        help="build only this notebook's page (repeatable)")
    parser.add_argument("--index", nargs="*", type=Path, default=None, metavar="PAGE",
                        help="build only the index, linking these pages (default: all built)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.page:
            for nb in args.page:
                print(f"wrote {build_page(nb, args.out, prices_dir=args.prices_dir)}")
        elif args.index is not None:
            print(f"wrote {build_index(args.out, args.index or None, prices_dir=args.prices_dir)}")
        else:
            print(f"wrote {build_report(args.out, prices_dir=args.prices_dir)}")
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
