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

from .. import __version__
from ..exceptions import DataError, EventStudyError, NotebookError, ReportDataError
from .html import PAGE_CSS, page_table

__all__ = [
    "NOTEBOOKS_DIR",
    "build_index",
    "build_page",
    "build_report",
    "data_provenance",
    "execute_notebook",
    "library_versions",
    "main",
    "notebook_sources",
    "notebook_to_html",
    "provenance_html",
    "read_notebook",
]

logger = logging.getLogger(__name__)

#: The project's notebooks (jupytext percent scripts named ``NN_name.py``).
#: Only in a source checkout: the report is built from the repository's notebooks.
NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"

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
    import tempfile

    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    nb = read_notebook(path)
    # IPC sockets in a private folder: a local kernel needs no TCP port (and then
    # prints no warning about unencrypted TCP)
    sockets = tempfile.mkdtemp(prefix="eventstudy-kernel-")
    km = KernelManager(kernel_name=kernel_name, transport="ipc",
                       ip=os.path.join(sockets, "kernel"))
    client = NotebookClient(
        nb,
        km=km,
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    try:
        try:
            client.execute(env=_kernel_env(prices_dir))
        finally:
            import shutil

            shutil.rmtree(sockets, ignore_errors=True)
    except CellExecutionError as exc:
        number, text = _failing_cell(nb)
        data = _data_error(nb)
        if data is not None:
            # a problem of the data, not of the page: one line naming the fix
            raise ReportDataError(path, number, data) from None
        raise NotebookError(path, number, text or _ANSI.sub("", str(exc))) from None
    return nb


#: Errors of the package that mean "the data are missing or unusable", not a bug of a page.
_DATA_ERRORS = ("DataError", "DownloadError", "CacheError", "PriceFileError",
                "InvalidTickerError", "EventFileError")


def _data_error(nb) -> str | None:
    """The one-line message of a failed cell whose error is a data problem, else None."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in _DATA_ERRORS:
                text = _ANSI.sub("", output.get("evalue", "")).strip().splitlines()
                hint = ("" if os.environ.get("EVENTSTUDY_PRICES_DIR") or "PRICES_DIR" in
                        output.get("evalue", "")
                        else " (offline? point the report at a folder of price snapshots: "
                        "make report PRICES_DIR=/path/to/prices)")
                return f"{output['ename']}: {text[0] if text else ''}{hint}"
    return None


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
    """Figures of the executed notebook: PNG outputs and PNGs inlined in HTML outputs."""
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                count += 1
            elif "text/html" in data:
                count += str(data["text/html"]).count("src='data:image/png;base64,")
    return count


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
        # the pages show results, not code: the notebook is linked for its code
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
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
    import nbformat

    title = _title(nb, notebook.stem)
    out.mkdir(parents=True, exist_ok=True)
    page = out / f"{notebook.stem}.html"
    sidecar = {
        "notebook": notebook.name,
        "page": page.name,
        "title": title,
        "answer_html": _tagged_outputs(nb, "answer"),
        "findings_html": _tagged_outputs(nb, "findings"),
        "headline_html": _tagged_outputs(nb, "headline"),
        "figures": _count_figures(nb),
        "seconds": round(seconds, 2),
        "executed_utc": started.strftime("%Y-%m-%d %H:%M UTC"),
    }
    executed = out / f"{notebook.stem}.ipynb"
    _write_atomic(executed, nbformat.writes(nb))
    page_nb = nbformat.from_dict(nb)
    link = nbformat.v4.new_markdown_cell(
        f"<p class='meta'>The code of this page: <a href='{executed.name}'>{executed.name}</a> "
        "(the executed notebook) · <a href='index.html'>back to the report</a></p>")
    page_nb.cells.insert(1 if page_nb.cells else 0, link)
    _write_atomic(page, notebook_to_html(page_nb, title))
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
    from ..config import load_study
    from .robustness import robustness_variants

    tickers: list[str] = []
    for path in sorted(studies_dir.glob("*.toml")):
        study = load_study(path)
        named = [study.asset, *study.factors]
        # the robustness variants read more series
        for changes in robustness_variants(study).values():
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
        :func:`eventstudy.prices.load_prices` (``source``, ``fetched_utc``,
        ``path``, ``first``, ``last``, ``rows``).
    """
    import pandas as pd

    from ..prices import load_prices

    if tickers is None:
        tickers = _study_tickers(NOTEBOOKS_DIR.parent / "studies")
    prices = load_prices(list(tickers), prices_dir=prices_dir)
    rows = []
    for ticker in tickers:
        prov = dict(prices[ticker].attrs.get("provenance", {}))
        prov.pop("versions", None)
        rows.append({"ticker": ticker, **prov})
    frame = pd.DataFrame(rows).set_index("ticker")
    return frame





def _plain(value) -> str:
    """A provenance value as text: missing values as "—", never a Python repr."""
    import pandas as pd

    if value is None or (not isinstance(value, (list, dict, tuple)) and pd.isna(value)):
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items()) or "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(_plain, value)) or "none"
    return str(value)


def provenance_html(prov) -> str:
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
            "source": _plain(rec.get("source")),
            "fetched (UTC)": when,
            "first": _plain(rec.get("first")),
            "last": _plain(rec.get("last")),
            "rows": _plain(rec.get("rows")),
            "provisional bars": ", ".join(map(str, provisional)) if provisional else "none",
            "file": _plain(rec.get("path")),
        })
    return page_table(pd.DataFrame(rows), caption="Where each series comes from",
                      csv_name="provenance.csv", text_columns=("ticker", "source", "file",
                                                               "fetched (UTC)"))


def _report_title() -> str:
    """The report's title: the first heading of ``notebooks/index.md`` (the project's words)."""
    intro = NOTEBOOKS_DIR / "index.md"
    if intro.is_file():
        for line in intro.read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return "Event-study report"


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
    import pandas as pd

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
        f"<title>{html.escape(_report_title())}</title>",
        f"<style>{PAGE_CSS}</style></head><body>",
        f"<h1>{html.escape(_report_title())}</h1>",
    ]
    parts += [s["answer_html"] for s in sidecars if s.get("answer_html")]
    parts.append(f"<p class='meta'>Built {built} with futures-eventstudy "
                 f"{html.escape(__version__)}.</p>")
    if headline:
        parts += ["<h2>Headline numbers</h2>", headline]
    parts.append("<h2>Pages</h2><ol>")
    for s in sidecars:
        parts.append(
            f"<li><a href='{html.escape(s['page'])}'>{html.escape(s['title'])}</a> "
            f"<span class='meta'>({s['figures']} figure{'' if s['figures'] == 1 else 's'}, "
            f"executed {s['executed_utc']} "
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
        parts.append(provenance_html(prov))
    parts.append("<h2>Versions</h2>")
    parts.append(page_table(pd.DataFrame(list(library_versions().items()),
                                         columns=["library", "version"]),
                            caption="The libraries behind the numbers", csv_name="versions.csv",
                            text_columns=("library", "version")))
    parts.append("</body></html>\n")
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
    parser.add_argument("--check-data", action="store_true",
                        help="only check that the prices of every study can be read")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # the kernel machinery's own messages are not about the user's data
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    try:
        if args.check_data:
            check_data_available(prices_dir=args.prices_dir)
            return 0
        if args.page:
            for nb in args.page:
                print(f"wrote {build_page(nb, args.out, prices_dir=args.prices_dir)}")
        elif args.index is not None:
            print(f"wrote {build_index(args.out, args.index or None, prices_dir=args.prices_dir)}")
        else:
            print(f"wrote {build_report(args.out, prices_dir=args.prices_dir)}")
    except (NotebookError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1 if type(exc) is NotebookError else 2
    return 0


def check_data_available(*, prices_dir=None) -> None:
    """Read the prices of every study once, so that a data problem stops the build in one line.

    Raises
    ------
    DataError
        The first ticker whose prices cannot be read; offline without a prices
        folder the message ends with the fix (``make report PRICES_DIR=...``).
    """
    import warnings

    from ..exceptions import DataQualityWarning
    from ..prices import load_prices

    tickers = _study_tickers(NOTEBOOKS_DIR.parent / "studies")
    with warnings.catch_warnings():
        # data-quality warnings are reported by the pages that use the data
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            load_prices(tickers, prices_dir=prices_dir)
        except DataError as exc:
            source = prices_dir or os.environ.get("EVENTSTUDY_PRICES_DIR")
            known = "PRICES_DIR" in str(exc)
            hint = "" if source or known else (" — offline? point the report at a folder of "
                                               "price snapshots: make report "
                                               "PRICES_DIR=/path/to/prices")
            raise type(exc)(f"{str(exc).splitlines()[0]}{hint}") from None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
