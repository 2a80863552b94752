"""Writing a fitted study: CSV tables, its summary (``summary.md``, ``car.tex``), figures.

:func:`run_study` is ``eventstudy run``: it validates the output folder before
anything is computed, fits the study once (:func:`eventstudy.analysis.analyse`)
and writes every file from that one results object into a fresh folder next
to the target, which then replaces the target — so a folder always holds
exactly one run (marked by :data:`RUN_MARKER`), never a mix of two.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from .exceptions import OutputError

__all__ = ["OUTPUT_FILES", "RUN_MARKER", "SIZE_POWER_COLUMNS", "check_out_dir", "run_simulation",
           "run_study", "size_table", "write_figures", "write_results"]

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


def write_figures(results, folder) -> list[Path]:
    """Save the study's figures (AR and CAR paths, CAAR by group) as PNG files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    ids = results.used_ids
    if ids:
        for name, fig in (("ar", results.plot_ar(ids)), ("car", results.plot_car(ids))):
            path = folder / f"{name}.png"
            fig.savefig(path, dpi=110)
            written.append(path)
    if len(ids) > 1:
        path = folder / "caar.png"
        results.plot_caar().savefig(path, dpi=110)
        written.append(path)
    return written


def write_results(results, folder, *, figures: bool = True) -> Path:
    """Write the files of :data:`OUTPUT_FILES` and ``figures/`` into the empty ``folder``."""
    from .excel import write_workbook
    from .results import MultiAssetResults

    folder = Path(folder)
    date = "%Y-%m-%d"
    multi = isinstance(results, MultiAssetResults)
    tables = results.tables()
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False, date_format=date)
    write_workbook(folder / "results.xlsx", tables, results.settings())
    summary = results.summary()
    if results.n_used:
        (folder / "car.tex").write_text(summary.to_latex(), encoding="utf-8")
    (folder / "summary.md").write_text(summary.to_markdown(), encoding="utf-8")
    from .report.html import study_page

    car_png = None
    if figures:
        if multi:
            for asset, res in results.results.items():
                write_figures(res, folder / "figures" / asset.replace("=", "").replace("/", "_"))
        else:
            written = write_figures(results, folder / "figures")
            # the page shows the same CAR figure: drawn once
            car_png = next((p.read_bytes() for p in written if p.name == "car.png"), None)
    page = study_page(results) if multi else study_page(results, car_png=car_png)
    (folder / "report.html").write_text(page, encoding="utf-8")
    return folder


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
