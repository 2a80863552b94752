"""Build an HTML report from a folder of notebooks.

Each jupytext percent script ``NN_name.py`` is executed with nbclient in its
folder and written as a self-contained page ``OUT/NN_name.html`` with a sidecar
``OUT/NN_name.json`` (title, and the cells tagged ``answer``, ``findings`` and
``headline``). ``OUT/index.html`` links the pages, repeats the tagged cells and
states the data provenance. The prices folder reaches the notebooks as
``EVENTSTUDY_PRICES_DIR``::

    python -m eventstudy.report --notebooks DIR --out reports [--page P | --index | --check-data]
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
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .. import __version__
from ..exceptions import DataError, EventStudyError
from .html import page_head, page_table, provenance_table

__all__ = [
    "NotebookError", "ReportDataError", "build_index", "build_page", "build_report",
    "check_data_available", "data_provenance", "execute_notebook", "library_versions", "main",
    "notebook_sources", "notebook_to_html", "report_title", "study_tickers"
]

logger = logging.getLogger(__name__)


class NotebookError(EventStudyError):
    """A notebook cell failed while the report was built (``notebook``, 1-based ``cell``,
    ``error`` as the cell printed it).
    """

    def __init__(self, notebook, cell, error):
        self.notebook, self.cell, self.error = str(notebook), cell, str(error)
        super().__init__(self._message())

    def __reduce__(self):  # raised in a page's process, re-raised in the caller's
        return type(self), (self.notebook, self.cell, self.error)

    def _message(self) -> str:
        return (f"{self.notebook}: cell {self.cell} failed; fix the cell or the library it "
                f"calls, then rebuild the report\n{self.error}")


class ReportDataError(NotebookError):
    """A page stopped by a data problem (prices missing or unusable): one line, no traceback."""

    def _message(self) -> str:
        return f"{self.notebook}: {self.error}"


_NOTEBOOK_NAME = re.compile(r"^\d\d_[A-Za-z0-9_]+\.py$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The Makefile exports MPLBACKEND=Agg for scripts; a kernel needs the inline
# backend instead, or figures would never reach the notebook's outputs.
_INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
_VERSIONED = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "yfinance",
              "pandas_market_calendars")


def notebook_sources(folder) -> list[Path]:
    """The notebook scripts ``NN_name.py`` of ``folder``, in reading order."""
    return sorted(p for p in Path(folder).glob("*.py") if _NOTEBOOK_NAME.match(p.name))


def _kernel_env(prices_dir) -> dict:
    env = dict(os.environ)
    env["MPLBACKEND"] = _INLINE_BACKEND
    if prices_dir is not None:
        env["EVENTSTUDY_PRICES_DIR"] = str(Path(prices_dir).resolve())
    return env


def _error_outputs(nb):
    """(cell number, output) of every error output, first cell first."""
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                yield number, output


def _failing_cell(nb) -> tuple[int, str]:
    for number, output in _error_outputs(nb):
        text = "\n".join(output.get("traceback", [])) or (
            f"{output.get('ename')}: {output.get('evalue')}")
        return number, _ANSI.sub("", text)
    return 0, ""


def execute_notebook(path, *, prices_dir=None, timeout: int = 600, kernel_name: str = "python3"):
    """Execute a notebook (``.py`` percent script or ``.ipynb``) in a fresh kernel in its folder.

    Parameters
    ----------
    prices_dir : path-like, optional
        Passed to the kernel as ``EVENTSTUDY_PRICES_DIR``.
    timeout : int
        Seconds allowed for one cell.

    Returns
    -------
    nbformat.NotebookNode

    Raises
    ------
    NotebookError
        A cell raised (:class:`ReportDataError` for a data problem).
    """
    import shutil
    import tempfile

    import jupytext
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    nb = jupytext.read(path)
    # IPC sockets in a private folder: a local kernel needs no TCP port (and then
    # prints no warning about unencrypted TCP)
    sockets = tempfile.mkdtemp(prefix="eventstudy-kernel-")
    km = KernelManager(kernel_name=kernel_name, transport="ipc",
                       ip=os.path.join(sockets, "kernel"))
    client = NotebookClient(nb, km=km, extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    try:
        client.execute(env=_kernel_env(prices_dir))
    except CellExecutionError as exc:
        number, text = _failing_cell(nb)
        data = _data_error(nb, prices_dir)
        if data is not None:
            raise ReportDataError(path, number, data) from None
        raise NotebookError(path, number, text or _ANSI.sub("", str(exc))) from None
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    return nb


#: Errors of the package that mean "the data are missing or unusable", not a bug of a page.
_DATA_ERRORS = ("DataError", "DownloadError", "CacheError", "PriceFileError",
                "InvalidTickerError", "EventFileError")


def _first_line(message: str, prices_dir) -> str:
    lines = _ANSI.sub("", message).strip().splitlines()
    head = lines[0] if lines else ""
    if prices_dir or os.environ.get("EVENTSTUDY_PRICES_DIR") or "PRICES_DIR" in message:
        return head
    return (f"{head} — offline? point the report at a folder of price snapshots: make report "
            "PRICES_DIR=/path/to/prices")


def _data_error(nb, prices_dir) -> str | None:
    """The one-line message of a failed cell whose error is a data problem, else None."""
    for _, output in _error_outputs(nb):
        if output.get("ename") in _DATA_ERRORS:
            return f"{output['ename']}: {_first_line(output.get('evalue', ''), prices_dir)}"
    return None


def _heading(text: str) -> str | None:
    return next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), None)


def _title(nb, default: str) -> str:
    return next((h for cell in nb.cells
                 if cell.cell_type == "markdown" and (h := _heading(cell.source)) is not None),
                default)


def _tagged_outputs(nb, tag: str) -> str:
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
    """An executed notebook as one self-contained HTML page (outputs only, figures inlined)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    # the pages show results, not code: the notebook is linked for its code
    exporter = HTMLExporter(template_name="lab", template_file="eventstudy.html.j2",
                            extra_loaders=[DictLoader({"eventstudy.html.j2": _PAGE_TEMPLATE})],
                            embed_images=True, exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def build_page(notebook, out, *, prices_dir=None, timeout: int = 600) -> Path:
    """Execute one notebook and write ``out/<stem>.html``, ``.ipynb`` and ``.json``.

    Nothing is written when a cell fails; returns the HTML page's path.
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
    sidecar = {"notebook": notebook.name, "page": page.name, "title": title,
               **{f"{tag}_html": _tagged_outputs(nb, tag)
                  for tag in ("answer", "findings", "headline")},
               "figures": _count_figures(nb), "seconds": round(seconds, 2),
               "executed_utc": started.strftime("%Y-%m-%d %H:%M UTC")}
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


def study_tickers(studies) -> list[str]:
    """Every asset, factor and donor of the study files (``*.toml``) of a folder and of their
    robustness variants, in the order first met.
    """
    from ..config import load_study
    from .robustness import robustness_variants

    tickers: list[str] = []
    for path in sorted(Path(studies).glob("*.toml")):
        study = load_study(path)
        named = [*study.tickers, *(t for changes in robustness_variants(study).values()
                                   for t in study.replace(**changes).tickers)]
        tickers += [t for t in dict.fromkeys(named) if t not in tickers]
    return tickers


def data_provenance(tickers, *, prices_dir=None):
    """Where each price series comes from: one row per ticker with the ``provenance`` of
    :func:`eventstudy.prices.load_prices`.
    """
    import pandas as pd

    from ..prices import load_prices

    prices = load_prices(list(tickers), prices_dir=prices_dir)
    rows = []
    for ticker in tickers:
        prov = dict(prices[ticker].attrs.get("provenance", {}))
        prov.pop("versions", None)
        rows.append({"ticker": ticker, **prov})
    return pd.DataFrame(rows).set_index("ticker")


def report_title(notebooks) -> str:
    """The report's title: the first heading of ``index.md`` in the notebooks folder."""
    intro = Path(notebooks) / "index.md"
    heading = _heading(intro.read_text(encoding="utf-8")) if intro.is_file() else None
    return "Event-study report" if heading is None else heading


def _read_sidecars(out: Path, pages) -> list[dict]:
    sidecars = []
    for page in map(Path, pages):
        meta_path = out / f"{page.stem}.json"
        if not meta_path.is_file():
            raise NotebookError(
                page, 0, f"{meta_path} is missing; build the page first "
                f"(python -m eventstudy.report --page NOTEBOOKS/{page.stem}.py)"
            )
        sidecars.append(json.loads(meta_path.read_text(encoding="utf-8")))
    return sidecars


def _pages_html(sidecars) -> list[str]:
    parts = ["<h2>Pages</h2><ol>"]
    for s in sidecars:
        parts.append(
            f"<li><a href='{html.escape(s['page'])}'>{html.escape(s['title'])}</a> "
            f"<span class='meta'>({s['figures']} figure{'' if s['figures'] == 1 else 's'}, "
            f"executed {s['executed_utc']} in {s['seconds']:.1f} s)</span></li>")
    parts.append("</ol>")
    for s in sidecars:
        if s["findings_html"]:
            parts += ["<section class='page'>",
                      f"<h3><a href='{html.escape(s['page'])}'>{html.escape(s['title'])}</a>: "
                      "what it found</h3>", s["findings_html"], "</section>"]
    return parts


def _provenance_section(tickers, prices_dir) -> list[str]:
    parts = ["<h2>Data provenance</h2>"]
    if not tickers:
        return parts + ["<p>No study file names a price series.</p>"]
    try:
        prov = data_provenance(tickers, prices_dir=prices_dir)
    except EventStudyError as exc:  # the index still links the pages; say why provenance is absent
        logger.warning("data provenance unavailable: %s", exc)
        return parts + [f"<p>Provenance unavailable: {html.escape(str(exc))}</p>"]
    source = os.environ.get("EVENTSTUDY_PRICES_DIR") if prices_dir is None else prices_dir
    where = (f"the price snapshot folder <code>{html.escape(str(source))}</code>" if source
             else "Yahoo Finance through the download cache")
    return parts + [f"<p>Prices read from {where}.</p>",
                    provenance_table(prov, caption="Where each series comes from")]


def build_index(out, pages=None, *, title: str = "Event-study report", tickers=(),
                prices_dir=None) -> Path:
    """Write ``out/index.html`` from the pages' sidecars.

    Parameters
    ----------
    pages : list of path-like, optional
        Default: every ``NN_*.html`` in ``out``.
    tickers : sequence of str
        The series whose provenance the index states.

    Raises
    ------
    NotebookError
        A page without its sidecar.
    """
    import pandas as pd

    out = Path(out)
    if pages is None:
        pages = sorted(out.glob("[0-9][0-9]_*.html"))
    sidecars = _read_sidecars(out, pages)
    built = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    headline = "\n".join(s["headline_html"] for s in sidecars if s["headline_html"])
    parts = page_head(title)
    parts += [s["answer_html"] for s in sidecars if s.get("answer_html")]
    parts.append(f"<p class='meta'>Built {built} with futures-eventstudy "
                 f"{html.escape(__version__)}.</p>")
    if headline:
        parts += ["<h2>Headline numbers</h2>", headline]
    parts += _pages_html(sidecars)
    parts += _provenance_section(list(tickers), prices_dir)
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


def _last_seconds(out, notebook) -> float:
    """The seconds a page took when it was last built into ``out`` (0 when never)."""
    sidecar = Path(out) / f"{Path(notebook).stem}.json"
    try:
        return float(json.loads(sidecar.read_text(encoding="utf-8"))["seconds"])
    except (OSError, ValueError, KeyError):
        return 0.0


def build_report(out, notebooks, *, studies=None, prices_dir=None, timeout: int = 600,
                 jobs: int = 1) -> Path:
    """Execute every notebook of a folder, write its page and ``out/index.html``.

    Parameters
    ----------
    out : path-like
        The report folder.
    notebooks : path-like
        The notebooks folder (:func:`notebook_sources`; its ``index.md`` gives
        the title).
    studies : path-like, optional
        The study files whose series the index's provenance lists.
    timeout : int
        Seconds allowed for one cell.
    jobs : int
        Pages executed at the same time, each in its own process; the pages
        that took longest in a previous build of ``out`` start first.
    """
    sources = notebook_sources(notebooks)
    if jobs > 1 and len(sources) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # each page in its own process (a fresh kernel either way), the longest first
        sources = sorted(sources, key=lambda nb: -_last_seconds(out, nb))
        with ProcessPoolExecutor(min(jobs, len(sources)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            build = partial(build_page, out=out, prices_dir=prices_dir, timeout=timeout)
            done = dict(zip(sources, pool.map(build, sources), strict=True))
        pages = [done[nb] for nb in notebook_sources(notebooks)]
    else:
        pages = [build_page(nb, out, prices_dir=prices_dir, timeout=timeout) for nb in sources]
    tickers = study_tickers(studies) if studies is not None else ()
    return build_index(out, pages, title=report_title(notebooks), tickers=tickers,
                       prices_dir=prices_dir)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eventstudy.report",
        description="Execute the notebooks of a folder and write the HTML report.",
    )
    parser.add_argument("--notebooks", type=Path, required=True, metavar="DIR",
                        help="the notebooks folder (NN_name.py pages; index.md gives the title)")
    parser.add_argument("--studies", type=Path, default=None, metavar="DIR",
                        help="study files whose prices the index lists and --check-data reads "
                        "(default: DIR/../studies)")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report folder")
    parser.add_argument("--prices-dir", type=Path, default=None,
                        help="folder of <TICKER>.csv snapshots (default: $EVENTSTUDY_PRICES_DIR)")
    parser.add_argument("--page", type=Path, action="append", default=None,
                        help="build only this notebook's page (repeatable)")
    parser.add_argument("--index", nargs="*", type=Path, default=None, metavar="PAGE",
                        help="build only the index, linking these pages (default: all built)")
    parser.add_argument("--check-data", action="store_true",
                        help="only check that the prices of every study can be read")
    return parser


def main(argv=None) -> int:
    """``python -m eventstudy.report``: 0 when done, 1 when a cell failed, 2 for a data problem."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # the kernel machinery's own messages are not about the user's data
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    studies = args.studies if args.studies is not None else args.notebooks.parent / "studies"
    try:
        if args.check_data:
            check_data_available(study_tickers(studies), prices_dir=args.prices_dir)
        elif args.page:
            for nb in args.page:
                print(f"wrote {build_page(nb, args.out, prices_dir=args.prices_dir)}")
        elif args.index is not None:
            print("wrote", build_index(args.out, args.index or None,
                                       title=report_title(args.notebooks),
                                       tickers=study_tickers(studies), prices_dir=args.prices_dir))
        else:
            print("wrote", build_report(args.out, args.notebooks, studies=studies,
                                        prices_dir=args.prices_dir))
    except (NotebookError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1 if type(exc) is NotebookError else 2
    return 0


def check_data_available(tickers, *, prices_dir=None) -> None:
    """Read the prices of some series once, so that a data problem stops a build in one line.

    Raises
    ------
    DataError
        The first ticker whose prices cannot be read.
    """
    import warnings

    from ..exceptions import DataQualityWarning
    from ..prices import load_prices

    with warnings.catch_warnings():
        # data-quality warnings are reported by the pages that use the data
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            load_prices(list(tickers), prices_dir=prices_dir)
        except DataError as exc:
            raise type(exc)(_first_line(str(exc), prices_dir)) from None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
