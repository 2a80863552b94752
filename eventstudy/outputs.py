"""Writing a fitted study: CSV tables, its summary (``summary.md``, ``car.tex``), figures.

:func:`run_study` is ``eventstudy run``: it validates the output folder before
anything is computed, fits the study once (:func:`eventstudy.analysis.analyse`)
and writes every file from that one results object into a fresh folder next
to the target, which then replaces the target — so a folder always holds
exactly one run (marked by :data:`RUN_MARKER`), never a mix of two.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from .exceptions import OutputError

__all__ = ["FIGURE_DPI", "OUTPUT_FILES", "RUN_MARKER", "SIZE_POWER_COLUMNS", "check_out_dir",
           "figure_pngs", "run_simulation", "run_study", "size_table", "write_figures",
           "write_results"]

logger = logging.getLogger(__name__)

#: The file that marks a folder as one run of ``eventstudy run``.
RUN_MARKER = ".eventstudy-run"

#: The tables written by :func:`write_results`: file -> what it holds.
OUTPUT_FILES = {
    "ar.csv": "abnormal return per event and window day",
    "car.csv": "the tidy table: CAR, se, t, df, p, interval, SQ and placebo p, flags, note",
    "events.csv": "every event: trade date, status and the reason of an exclusion",
    "tests.csv": "the test battery of each group and window",
    "volume.csv": "abnormal log volume per event and window: CAV, se, t, p, placebo p, days, note",
    "model.csv": "each event's normal-return model: coefficients, se, R², residual sd "
                 "(summed Dimson betas with factor_lags; weights and RMSPE of a synthetic control)",
    "weights.csv": "synthetic control only: each event's donor weights and pre-event RMSPE",
    "estimation.csv": "every estimation-window day: used, or why it was masked",
    "dummy.csv": "the dummy-variable regression beside the classical CARs",
    "cross.csv": "several assets: each event tested across them, with their correlation",
    "size_check.csv": "size and 80%-power move of each single-event test on the asset "
                      "(the tests that lead)",
    "car.tex": "the summary's table (LaTeX): CAR, interval, leading test, p and grade of the "
               "headline events and windows, the other tests beside their sizes",
    "summary.md": "the summary (Markdown): the study, the same table, its reading, notes and "
                  "the group tests",
    "report.html": "the study's own report page: answer, figures, tables, provenance",
    "results.xlsx": "every table above as a sheet of one workbook, after a first sheet of the "
                    "study's settings and its prices' provenance",
}


#: Resolution of the PNG figures.
FIGURE_DPI = 110


def figure_pngs(results, names=("ar", "car", "caar")) -> dict[str, bytes]:
    """PNG bytes of the study's figures among ``names``, each drawn and saved once.

    ``ar`` and ``car`` (:meth:`~EventStudyResults.plot_ar`, ``plot_car``) need a
    used event, ``caar`` (``plot_caar``) two; the others are left out.
    """
    ids = results.used_ids
    draw = {"ar": lambda: results.plot_ar(ids), "car": lambda: results.plot_car(ids),
            "caar": results.plot_caar}
    pngs = {}
    for name in names:
        if len(ids) > (1 if name == "caar" else 0):
            buf = io.BytesIO()
            draw[name]().savefig(buf, format="png", dpi=FIGURE_DPI)
            pngs[name] = buf.getvalue()
    return pngs


def _save_pngs(pngs: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, png in pngs.items():
        (path := folder / f"{name}.png").write_bytes(png)
        written.append(path)
    return written


def write_figures(results, folder) -> list[Path]:
    """Save the study's figures (AR and CAR paths, CAAR by group) as PNG files."""
    return _save_pngs(figure_pngs(results), Path(folder))


def _can_fork() -> bool:
    """A forked child can draw beside the parent: Linux (fork is cheap and safe for a
    child that only draws and exits) with at least two usable cores."""
    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and len(os.sched_getaffinity(0)) > 1)


class _Beside:
    """``fn()`` computed in a forked child while the caller goes on; :meth:`result` returns it.

    The child inherits the parent's memory (nothing is pickled on the way in)
    and sends back only the (picklable) result. Where a child cannot be
    forked, or it fails, :meth:`result` calls ``fn()`` in the caller, so an
    error surfaces there with its own traceback.
    """

    def __init__(self, fn):
        self._fn, self._proc, self._recv = fn, None, None
        if not _can_fork():
            return
        ctx = multiprocessing.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)

        def child():
            try:
                send.send((True, fn()))
            except BaseException as exc:  # reported to the parent, which draws itself
                send.send((False, repr(exc)))

        self._proc = ctx.Process(target=child, daemon=True)
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork in a process with threads (BLAS
            # pools, logging); the child only draws with matplotlib and exits.
            warnings.simplefilter("ignore", DeprecationWarning)
            self._proc.start()
        send.close()

    def result(self):
        if self._proc is not None:
            try:
                ok, value = self._recv.recv()
            except (EOFError, OSError):
                ok, value = False, "the child process ended without an answer"
            finally:
                self.close()
            if ok:
                return value
            logger.debug("figures drawn again in the main process: %s", value)
        return self._fn()

    def close(self) -> None:
        """End the child (if any) without waiting for its answer."""
        if self._proc is not None:
            self._recv.close()
            if self._proc.is_alive():
                self._proc.terminate()
            self._proc.join()
            self._proc = None


def _figure_folders(results, multi: bool) -> dict[str, object]:
    """Folder (under ``figures/``) -> the results drawn there: one per asset of several."""
    if not multi:
        return {"": results}
    return {asset.replace("=", "").replace("/", "_"): res for asset, res in results.results.items()}


def write_results(results, folder, *, figures: bool = True) -> Path:
    """Write the files of :data:`OUTPUT_FILES` and ``figures/`` into the empty ``folder``.

    The AR and the CAR figures (the slowest part) are drawn in two forked
    processes beside the tables where they can be (:class:`_Beside`); the
    files are the same either way.
    """
    from .results import MultiAssetResults

    folder = Path(folder)
    multi = isinstance(results, MultiAssetResults)
    runs = _figure_folders(results, multi) if figures else {}
    if runs and _can_fork():
        import matplotlib.figure  # noqa: F401 - imported once, before the children share it
    drawing = [_Beside(lambda name=name: {k: figure_pngs(r, (name,)) for k, r in runs.items()})
               for name in ("ar", "car")] if runs else []
    try:
        _write_tables(results, folder)
        caar = {k: figure_pngs(r, ("caar",)) for k, r in runs.items()}
        drawn = [d.result() for d in drawing]
        pngs = {k: {**{n: v for d in drawn for n, v in d[k].items()}, **caar[k]} for k in runs}
    finally:
        for d in drawing:
            d.close()
    for key, drawn in pngs.items():
        _save_pngs(drawn, folder / "figures" / key if key else folder / "figures")
    from .report.html import study_page

    # the page shows the same CAR figure: drawn once
    page = study_page(results) if multi else study_page(
        results, car_png=pngs.get("", {}).get("car"))
    (folder / "report.html").write_text(page, encoding="utf-8")
    return folder


def _write_tables(results, folder: Path) -> None:
    """The CSV tables, ``results.xlsx``, ``car.tex`` and ``summary.md`` of :data:`OUTPUT_FILES`."""
    from .excel import write_workbook

    tables = results.tables()
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    write_workbook(folder / "results.xlsx", tables, results.settings())
    summary = results.summary()
    if results.n_used:
        (folder / "car.tex").write_text(summary.to_latex(), encoding="utf-8")
    (folder / "summary.md").write_text(summary.to_markdown(), encoding="utf-8")


def check_out_dir(out) -> Path:
    """Return ``out`` if it can receive a run, before anything is computed or written.

    ``out`` may be a new path under a writable folder, an empty folder, or the
    folder of an earlier run (:data:`RUN_MARKER`), which is replaced as a
    whole; otherwise :class:`~eventstudy.exceptions.OutputError`.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {str(out)!r} is an existing file, not a folder; give a folder "
                          "path (it is created if needed)")
    if out.is_dir() and any(out.iterdir()) and not (out / RUN_MARKER).is_file():
        raise OutputError(
            f"--out {str(out)!r}: the folder holds files that are not an eventstudy run; give a "
            "new or empty folder (a folder of an earlier run is replaced as a whole)"
        )
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"--out {str(out)!r}: {str(probe)!r} is a file, so the folder cannot "
                          "be created; choose another --out")
    # the run is written beside the target and moved into place: its parent must be writable
    parent = out.parent if probe == out else probe
    if not os.access(parent, os.W_OK | os.X_OK) or (probe == out and
                                                    not os.access(out, os.W_OK | os.X_OK)):
        where = "the folder" if probe == out else f"its parent folder {str(probe)!r}"
        raise OutputError(f"--out {str(out)!r}: {where} is not writable; choose a folder you "
                          "can write to or fix its permissions")
    return out


def _replace_folder(tmp: Path, out: Path) -> None:
    """Move the finished run ``tmp`` to ``out``, replacing an earlier run there as a whole."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_run(out: Path, write, marker: str) -> None:
    """Write a run with ``write(folder)`` into a fresh folder beside ``out``, then replace ``out``.

    A failure removes the half-written folder and leaves the previous run in place.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        write(tmp)
        (tmp / RUN_MARKER).write_text(marker + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        _replace_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def run_study(path, prices_dir=None, out=None, *, figures: bool = True,
              size_check: bool = True) -> Path:
    """Run a study file and write its results (``eventstudy run``).

    Parameters
    ----------
    out : path-like, optional
        Output folder (:func:`check_out_dir`); default ``out/<study name>``.
    figures : bool
        Also write ``figures/*.png``.
    size_check : bool
        Measure which single-event tests hold their size on the asset
        (:func:`eventstudy.simulation.size_check`) and grade only their
        p-values; off, no p-value is graded.

    Returns
    -------
    pathlib.Path
        The output folder (see the module docstring).
    """
    from .analysis import analyse
    from .config import load_study

    study = load_study(path)
    out = check_out_dir(Path(out) if out is not None else Path("out") / study.name)
    results = analyse(study, prices_dir=prices_dir, size_check=size_check)
    _write_run(out, lambda tmp: write_results(results, tmp, figures=figures),
               f"study: {study.path}")
    return out


#: Columns of ``size_power.csv`` (``eventstudy simulate``).
SIZE_POWER_COLUMNS = ["setting", "test", "window", "abnormal", "rate", "mc_se", "reps",
                      "n_events"]


def size_table(sim, alpha: float = 0.05) -> str:
    """The size of every test (abnormal 0), per setting and window, as text in percent."""
    null = sim[sim["abnormal"] == 0.0]
    lines = []
    for setting, block in null.groupby("setting", sort=False):
        pivot = block.pivot_table(index="test", columns="window", values="rate", sort=False)
        lines += [f"size at {alpha:g} on {setting} (rejection rate, %; Monte Carlo SE about "
                  f"{100 * block['mc_se'].median():.1f} points)",
                  (100 * pivot).round(1).to_string(), ""]
    return "\n".join(lines)


def run_simulation(path, prices_dir=None, out=None, *, reps: int = 3000, seed=None,
                   events_per_rep: int = 20, settings=("real", "iid-normal", "iid-t4")):
    """The Brown-Warner simulation of a study (``eventstudy simulate``).

    Parameters
    ----------
    path : path-like
        The study file (one plain asset): its asset, factors, model and
        windows are those simulated.
    out : path-like, optional
        Output folder (default ``out/<study name>-simulation``), replaced as a
        whole like a run's.
    reps : int
        Replications, each of ``events_per_rep`` pseudo-events.
    seed : int, optional
        Default the study's seed.

    Returns
    -------
    (pathlib.Path, pandas.DataFrame)
        The folder, holding ``size_power.csv`` (:data:`SIZE_POWER_COLUMNS`) and
        ``size.txt``, and the table.
    """
    from .config import error_prefix, load_study, split_spread, study_error
    from .simulation import run_size_power

    study = load_study(path)
    if study.assets is not None or len(split_spread(study.asset)) > 1:
        raise study_error(error_prefix(study.path), "asset", study.asset,
                          "eventstudy simulate runs one plain asset",
                          'give a study with asset = "..."')
    for name, value, low in (("--reps", reps, 10), ("--events-per-rep", events_per_rep, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise OutputError(f"{name} {value!r}: give an integer of at least {low}")
    out = check_out_dir(Path(out) if out is not None else Path("out") / f"{study.name}-simulation")
    from .analysis import analyse

    # the study's own engine inputs: its return kind, masks and design, as its size check
    fitted = analyse(study.replace(placebo_draws=0), prices_dir=prices_dir)
    sim = run_size_power(study.replace(seed=study.seed if seed is None else int(seed),
                                       placebo_draws=10_000),
                         settings=settings, n_events=events_per_rep, reps=reps,
                         prices_dir=prices_dir, real=fitted.design)
    table = sim.assign(reps=reps)[SIZE_POWER_COLUMNS]

    def write(tmp: Path) -> None:
        table.to_csv(tmp / "size_power.csv", index=False)
        (tmp / "size.txt").write_text(size_table(sim) + "\n" + sim.attrs.get("description", "")
                                      + "\n", encoding="utf-8")

    _write_run(out, write, f"simulation of: {study.path}")
    return out, sim
