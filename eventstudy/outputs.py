"""Writing a fitted study: CSV tables, the publication table, ``summary.md``, figures.

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

__all__ = [
    "OUTPUT_FILES",
    "RUN_MARKER",
    "SIZE_POWER_COLUMNS",
    "check_out_dir",
    "run_simulation",
    "run_study",
    "size_table",
    "summary_markdown",
    "write_figures",
    "write_results",
]

logger = logging.getLogger(__name__)

#: The file that marks a folder as one run of ``eventstudy run``.
RUN_MARKER = ".eventstudy-run"

#: The tables written by :func:`write_results`: file -> what it holds.
OUTPUT_FILES = {
    "ar.csv": "abnormal return per event and window day",
    "car.csv": "the tidy table: CAR, se, t, df, p, interval, SQ and placebo p, flags, note",
    "events.csv": "every event: trade date, status and the reason of an exclusion",
    "tests.csv": "the test battery of each group and window",
    "model.csv": "each event's normal-return model: coefficients, se, R², residual sd "
                 "(summed Dimson betas with factor_lags; weights and RMSPE of a synthetic control)",
    "weights.csv": "synthetic control only: each event's donor weights and pre-event RMSPE",
    "estimation.csv": "every estimation-window day: used, or why it was masked",
    "dummy.csv": "the dummy-variable regression beside the classical CARs",
    "cross.csv": "several assets: each event tested across them, with their correlation",
    "size_check.csv": "size and 80%-power move of each single-event test on the asset "
                      "(the tests that lead)",
    "car.tex": "the publication table (LaTeX)",
    "summary.md": "the reading of the study",
    "report.html": "the study's own report page: answer, figures, tables, provenance",
}


def _md_table(frame, floatfmt: str = ".4f") -> str:
    """A small DataFrame as a Markdown table (missing values left empty)."""
    import pandas as pd

    def cell(v):
        if isinstance(v, float):
            return "" if pd.isna(v) else format(v, floatfmt)
        if isinstance(v, pd.Timestamp):
            return "" if pd.isna(v) else f"{v:%Y-%m-%d}"
        return "" if v is None or v is pd.NaT else str(v).replace("|", "\\|")

    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in rec) + " |")
    return "\n".join(lines)


def _dummy_section(dummy) -> list[str]:
    """The summary's section on the dummy-variable regression, sample and lag stated."""
    meta = dummy.attrs
    return [
        "## Dummy-variable regression",
        "",
        f"One OLS of the asset's return on the factors and a dummy per event-window day, over "
        f"the contiguous sample {meta['first']:%Y-%m-%d} to {meta['last']:%Y-%m-%d} "
        f"({meta['nobs']} usable days, {meta['n_dummies']} dummies); Newey-West HAC standard "
        f"errors with {meta['maxlags']} lags (floor(4(T/100)^(2/9))). Each dummy covers one "
        "day, so its residual is zero and the Newey-West HAC standard error collapses: the "
        "headline `car_se` and `p` are the ordinary OLS ones (valid for one-day dummies), "
        "beside the window-HAC `p_window` and the classical event-study `p_classical`; the "
        "plain HAC is the diagnostic `p_hac` (`hac_unreliable`). Full table: `dummy.csv`.",
        "",
        _md_table(dummy[["event_id", "start", "end", "car", "p", "p_window", "p_hac",
                         "car_classical", "p_classical"]]),
        "",
    ]


def summary_markdown(results, alpha: float = 0.05) -> str:
    """The ``summary.md`` text of fitted results: the study, events, CARs, model, tests, reading.

    Every sentence is built from ``results``; nothing in it is specific to
    one asset or one set of events. For several assets: the study, the
    cross-asset tests, then each asset's summary.
    """
    from .results import MultiAssetResults

    if isinstance(results, MultiAssetResults):
        return _multi_summary(results, alpha)
    from .report import format as fmt
    from .report.findings import reading

    o = results.study
    s = results.study
    ev = results.events
    used = ev[ev["status"] == "used"]
    excluded = ev[ev["status"] != "used"]
    title = (s.title or s.name) if s is not None else f"Event study of {o.asset}"
    out = [f"# {title}", ""]
    if s is not None and s.description:
        out += [s.description, ""]
    dates = results.dates
    out += [
        "## The study",
        "",
        *([f"- study file: `{s.path}`"] if s is not None and s.path is not None else []),
        f"- asset `{o.asset}`, {'donors' if o.model == 'synthetic' else 'factors'} "
        f"{', '.join(f'`{f}`' for f in o.regressors) or 'none'}, model `{o.model}`"
        + (f" with factor lags {', '.join(f'{g:+d}' for g in o.factor_lags)} (Dimson)"
           if tuple(o.factor_lags) != (0,) else "") + f", {o.returns} returns",
        f"- estimation window [{o.estimation[0]}, {o.estimation[1]}] trade days, at least "
        f"{o.min_estimation_days} usable days; event windows "
        + ", ".join(fmt.window(a, b) for a, b in o.windows),
        f"- contract rolls masked: {s.mask_rolls if s is not None else 'as given'}; "
        f"thin-trading days kept out of estimation: {o.exclude_thin_trading}; other events' "
        f"windows kept out of estimation: {o.exclude_other_events}",
        f"- placebo: {o.placebo_draws} pseudo-events (seed {o.seed})" if o.placebo_draws
        else "- placebo: off",
        f"- returns: {dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d} on the exchange calendar"
        if len(dates) else "- returns: none",
        "",
        f"## Events: {len(used)} used, {len(excluded)} excluded",
        "",
        _md_table(ev[["event_id", "trade_date", "status", "reason", "n_estimation"]]),
        "",
        "## Cumulative abnormal returns",
        "",
        f"CAR in % of {o.return_label}; `se` with estimation error; `95% CI` the t interval; "
        "`lead`: the single-event test whose p-value is read, the first that holds its 5% "
        f"size on {o.asset} in the size check below (none where none does); `lead p` its "
        f"p-value and `evidence` its grade ({fmt.evidence_scale()}); `t p`: t test; `SQ p`: "
        "SQ test; `placebo p`: share of pseudo-event CARs at least as large in absolute value.",
        "",
    ]
    t = results.tidy(alpha)
    if len(t):
        from .simulation import EVENT_TEST_LABELS

        table = t.assign(
            window=[fmt.window(a, b) for a, b in zip(t["start"], t["end"], strict=True)],
            **{"CAR %": [fmt.pct(x) for x in t["car"]],
               "se %": [f"{100 * x:.2f}" if x == x else "—" for x in t["car_se"]],
               f"{100 * (1 - alpha):g}% CI": [fmt.interval(a, b) for a, b in
                                              zip(t["ci_lower"], t["ci_upper"], strict=True)],
               "lead": [EVENT_TEST_LABELS.get(x, "none") for x in t["lead_test"]],
               "lead p": [fmt.pvalue(x) for x in t["lead_p"]],
               "evidence": [fmt.evidence(p) if x else "not graded"
                            for x, p in zip(t["lead_test"], t["lead_p"], strict=True)],
               "t p": [fmt.pvalue(x) for x in t["p"]],
               "SQ p": [fmt.pvalue(x) for x in t["sq_p"]],
               "placebo p": [fmt.pvalue(x) for x in t["placebo_p"]]})
        out += [_md_table(table[["event_id", "trade_date", "window", "CAR %", "se %",
                                 f"{100 * (1 - alpha):g}% CI", "lead", "lead p", "evidence",
                                 "t p", "SQ p", "placebo p", "n_days"]]), ""]
        notes = t[t["note"] != ""]
        if len(notes):
            out += ["Notes:", ""]
            out += [f"- `{r.event_id}` {fmt.window(r.start, r.end)}: {r.note}"
                    for r in notes.itertuples()]
            out += [""]
    else:
        out += ["No event could be estimated.", ""]
    nm = results.normal_model()
    if len(nm):
        out += ["## Normal-return model", "",
                f"Each event's `{o.model}` model on its estimation sample (coefficient and "
                "standard error; full table `model.csv`).", "",
                _md_table(results._model_display()), ""]
    tests = results.tests
    out += ["## Tests", ""]
    if len(tests):
        shown = tests.assign(statistic=tests["statistic"].astype(float),
                             p_value=tests["p_value"].astype(float))
        out += [_md_table(shown, ".4g"), ""]
    else:
        out += ["No group test could be run.", ""]
    out += ["## Size check of the single-event tests", ""]
    check = results.size_check
    if check is not None:
        summary = results.size_summary()
        out += [f"{check.description} (`size_check.csv`). `detectable`: the day-0 abnormal "
                "return the test detects with 80% power (inf: more than the largest simulated).",
                "", _md_table(summary.drop(columns=["start", "end"]), ".2f"), ""]
    else:
        out += ["No size check in this run (`--no-size-check`): no single-event p-value is "
                "graded.", ""]
    dummy = results.dummy_regression() if results.n_used else None
    if dummy is not None and len(dummy):
        out += _dummy_section(dummy)
    out += [f"## Reading (level {alpha:g})", "", *reading(results, alpha), "",
            "A result that holds across tests is robust to the tests' different assumptions "
            "(normality, event-induced variance, cross-correlation); one that hangs on a single "
            "test is not evidence on its own. Thin-trading days inside an event window are "
            "flagged in `car.csv` (`thin_days`, `note`) and `ar.csv` (`thin`).", ""]
    return "\n".join(out)


def _multi_summary(multi, alpha: float) -> str:
    from .report import format as fmt

    s = multi.study
    title = (s.title or s.name) if s is not None else "Event study of several assets"
    out = [f"# {title}", ""]
    if s is not None and s.description:
        out += [s.description, ""]
    notes = []
    for asset in multi.assets:
        if s is not None:
            dropped = [f for f in s.factors if f not in multi.results[asset].study.factors]
            if dropped:
                notes.append(f"- `{asset}`: factor {', '.join(dropped)} dropped (it is the asset "
                             "or a leg of it)")
    out += ["## The assets", "",
            f"Assets: {', '.join(f'`{a}`' for a in multi.assets)}; each is estimated exactly as "
            "its own one-asset study (its calendar, contract rules and masks), with the "
            "study's factors.", "", *notes, "" if notes else "",
            "## Across assets", "",
            "Mean CAR across the assets with their correlation (z test), and the joint Wald "
            "test that every asset's CAR is zero (`cross.csv`).", ""]
    cross = multi.cross_asset(alpha)
    if len(cross):
        shown = cross.assign(
            window=[fmt.window(a, b) for a, b in zip(cross["start"], cross["end"], strict=True)],
            **{"mean CAR %": [fmt.pct(x) for x in cross["mean_car"]],
               "p (mean)": [fmt.pvalue(x) for x in cross["p_mean"]],
               "p (joint)": [fmt.pvalue(x) for x in cross["p_joint"]]})
        out += [_md_table(shown[["event_id", "window", "n_assets", "mean CAR %", "p (mean)",
                                 "p (joint)", "df", "mean_corr", "note"]], ".3f"), ""]
    for asset, res in multi.results.items():
        body = summary_markdown(res, alpha).split("\n", 1)[1]
        out += [f"## {asset}", "", body.replace("\n## ", "\n### "), ""]
    return "\n".join(out)


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
    """Write every table of ``results`` into ``folder`` (which must exist and be empty).

    Returns
    -------
    pathlib.Path
        ``folder``, holding the files of :data:`OUTPUT_FILES` and ``figures/``.
    """
    from .report.tables import car_table, latex_table
    from .results import MultiAssetResults

    folder = Path(folder)
    date = "%Y-%m-%d"
    multi = isinstance(results, MultiAssetResults)
    results.ar.to_csv(folder / "ar.csv", index=False, date_format=date)
    results.car.to_csv(folder / "car.csv", index=False, date_format=date)
    results.events.to_csv(folder / "events.csv", index=False, date_format=date)
    results.tests.to_csv(folder / "tests.csv", index=False)
    results.normal_model().to_csv(folder / "model.csv", index=False)
    if results.study.model == "synthetic":
        results.synthetic_weights().to_csv(folder / "weights.csv", index=False)
    results.estimation_days().to_csv(folder / "estimation.csv", index=False, date_format=date)
    if multi:
        results.cross_asset().to_csv(folder / "cross.csv", index=False)
    runs = results.results if multi else {results.study.asset: results}
    checks = [r.size_check.summary().assign(asset=a) for a, r in runs.items()
              if r.size_check is not None]
    if checks:
        import pandas as pd

        table = pd.concat(checks, ignore_index=True)
        table[["asset", *[c for c in table.columns if c != "asset"]]].to_csv(
            folder / "size_check.csv", index=False)
    if results.n_used:
        results.dummy_regression().to_csv(folder / "dummy.csv", index=False)
        (folder / "car.tex").write_text(latex_table(car_table(runs)), encoding="utf-8")
    (folder / "summary.md").write_text(summary_markdown(results), encoding="utf-8")
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
    """Check that ``out`` can receive a run, before anything is computed or written.

    Parameters
    ----------
    out : path-like
        The ``--out`` folder: a new path whose nearest existing parent is a
        folder we may write in, an empty folder, or the folder of an earlier
        run (marked by :data:`RUN_MARKER`), which is replaced as a whole.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputError
        ``out`` (or a parent of it) is an existing file; it is a folder holding
        files that are not one run of ``eventstudy run`` (replacing it could
        lose them); or the folder that would hold it is not writable.
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

    The folder gets :data:`RUN_MARKER` (holding ``marker``); a failure removes the
    half-written folder and leaves the previous run in place.
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
    path : path-like
        The study file.
    prices_dir : path-like, optional
        Folder of price snapshots (default ``$EVENTSTUDY_PRICES_DIR``, else Yahoo).
    out : path-like, optional
        Output folder; default ``out/<study name>``.
    figures : bool
        Also write ``figures/*.png``.
    size_check : bool
        Measure which single-event tests hold their size on the asset
        (:func:`eventstudy.simulation.size_check`, cached: the first run of an
        asset and settings takes tens of seconds) and grade only their
        p-values; off, no p-value is graded.

    Returns
    -------
    pathlib.Path
        The output folder, holding the files of :data:`OUTPUT_FILES`, the
        marker :data:`RUN_MARKER` and ``figures/``. The files are written in
        a temporary folder beside it that then replaces it, so the folder
        never mixes two runs and a failed run leaves the previous one intact.
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
        The study file: its asset, factors, model, estimation window and event
        windows are those simulated.
    prices_dir : path-like, optional
    out : path-like, optional
        Output folder (default ``out/<study name>-simulation``), replaced as a
        whole like a run's.
    reps : int
        Replications (each of ``events_per_rep`` pseudo-events).
    seed : int, optional
        Default the study's seed.
    events_per_rep : int
    settings : sequence of {'real', 'iid-normal', 'iid-t4'}

    Returns
    -------
    (pathlib.Path, pandas.DataFrame)
        The folder, holding ``size_power.csv`` (:data:`SIZE_POWER_COLUMNS`:
        abnormal day-0 returns of 0, +1% and +2%; ``window`` written
        ``[a, b]``; tests named as in ``tests.csv`` and the per-event tests
        ``event-t``, ``sq``, ``event-placebo``) and ``size.txt``; and the table.

    Raises
    ------
    StudyConfigError
        A study of several assets or of a spread (simulate one asset at a time).
    """
    from .exceptions import StudyConfigError
    from .simulation import run_size_power
    from .config import load_study, split_spread

    study = load_study(path)
    if study.assets is not None or len(split_spread(study.asset)) > 1:
        raise StudyConfigError(f"{study.path}: asset = {study.asset!r}: eventstudy simulate "
                               "runs one plain asset; give a study with asset = \"...\"")
    for name, value, low in (("--reps", reps, 10), ("--events-per-rep", events_per_rep, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise OutputError(f"{name} {value!r}: give an integer of at least {low}")
    out = check_out_dir(Path(out) if out is not None else Path("out") / f"{study.name}-simulation")
    from .analysis import analyse

    # the study's own engine inputs: its return kind, masks and design, as its size check
    fitted = analyse(study.replace(placebo_draws=0), prices_dir=prices_dir)
    sim = run_size_power(prices_dir, settings=settings, asset=study.asset, factors=study.factors,
                         model=study.model, estimation=study.estimation, windows=study.windows,
                         n_events=events_per_rep, reps=reps,
                         exclude_thin_trading=study.exclude_thin_trading,
                         seed=study.seed if seed is None else int(seed),
                         min_estimation_days=study.min_estimation_days,
                         real=tuple(fitted.design)[:4])
    table = sim.assign(reps=reps)[SIZE_POWER_COLUMNS]

    def write(tmp: Path) -> None:
        table.to_csv(tmp / "size_power.csv", index=False)
        (tmp / "size.txt").write_text(size_table(sim) + "\n" + sim.attrs.get("description", "")
                                      + "\n", encoding="utf-8")

    _write_run(out, write, f"simulation of: {study.path}")
    return out, sim
