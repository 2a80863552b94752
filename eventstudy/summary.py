"""The summary of an event study: one object, rendered as text, HTML, Markdown and LaTeX.

:func:`build_summary` reads the tidy table
(:meth:`eventstudy.results.EventStudyResults.tidy`), the header facts
(:func:`header_facts`), the group tests and the size check's table: per
headline event and window the CAR, its interval, the leading single-event
test (``lead_test``, the first that holds its size on the asset), its p and
grade (:data:`eventstudy.format.EVIDENCE`), the detectable move, and the
other single-event tests' p beside their measured sizes. Only the leading
test's p is graded. Every rendering of :class:`Summary` lays out
:meth:`Summary.table` (linearmodels' summary object).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import format as fmt
from .config import EVENT_TEST_COLUMNS, EVENT_TEST_LABELS, lead_order
from .inference.multiple import survivors
from .simulation import POWER_GRID

__all__ = ["GRADE_ORDER", "ROW_COLUMNS", "Section", "Summary", "build_summary",
           "cross_asset_table", "group_tests_table", "header_facts", "model_table",
           "multiplicity_sentences", "others_text",
           "reading_table", "single_event_tests"]

#: Readings from the strongest to the weakest (the heading of an event names the strongest).
GRADE_ORDER = (*(label for _, label in fmt.EVIDENCE), fmt.NOT_GRADED, "not computed",
               "not estimated")

#: The columns of :attr:`Summary.rows` (``asset`` first when stacked).
ROW_COLUMNS = ["event_id", "event", "title", "trade_date", "start", "end", "car", "ci_lower",
               "ci_upper", "lead_test", "lead_p", "lead_size", "evidence", "detectable",
               "others", "note"]

#: What a rendering says when the headline table has no row.
_NO_EVENT = "No event."

_BELOW = "other tests (p; size)"


class Section(NamedTuple):
    """One part of a rendered :class:`Summary`: a heading and any of its facts ((label, text)
    pairs), a table with its caption, a paragraph and a list of notes."""

    heading: str
    facts: tuple = ()
    caption: str = ""
    frame: pd.DataFrame | None = None
    text: str = ""
    items: tuple = ()


def header_facts(study, events, *, size_check=None, dates=None, tests=None) -> dict:
    """The facts a summary's header states, from a study and its events table.

    Parameters
    ----------
    study : eventstudy.config.Study
        The one-asset study.
    events : pandas.DataFrame
        :attr:`EventStudyResults.events`.
    size_check : eventstudy.simulation.SizeCheck, optional
    dates : pandas.DatetimeIndex, optional
        The trade dates of the returns.
    tests : sequence of str, optional
        The single-event tests reported, in the order they may lead.

    Returns
    -------
    dict
        ``title, description, asset, unit, windows, header`` ((label, text)
        pairs), ``excluded`` ((id, reason) pairs), ``titles``, ``tests``.
    """
    s = study
    used = int((events["status"] == "used").sum())
    excluded = events[events["status"] != "used"]
    header = [("Asset", s.asset), ("Model", f"{s.model}, {s.returns} returns")]
    if s.regressors:
        header.append(("Donors" if s.model == "synthetic" else "Factors", ", ".join(s.regressors)))
    if tuple(s.factor_lags) != (0,):
        header.append(("Factor lags", ", ".join(f"{g:+d}" for g in s.factor_lags) + " (Dimson)"))
    header += [
        ("Estimation window", f"{fmt.window(*s.estimation)} trade days, at least "
                              f"{s.min_estimation_days} used"),
        ("Event windows", ", ".join(fmt.window(a, b) for a, b in s.windows)),
        ("Other events' windows", "kept out of estimation" if s.exclude_other_events
         else "kept in estimation"),
        ("Thin-trading days", "kept out of estimation" if s.exclude_thin_trading
         else "kept in estimation"),
        ("Placebo", f"{s.placebo_draws:,} pseudo-events (seed {s.seed})" if s.placebo_draws
         else "off"),
        ("Events", f"{used} used, {len(excluded)} excluded"),
        ("Size check", size_check.description if size_check is not None else
         "none in this run: no p-value is graded"),
    ]
    if dates is not None and len(dates):
        header.append(("Returns", f"{dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d} on the exchange "
                                  "calendar"))
    titles = events["title"] if "title" in events.columns else events["event_id"]
    return {
        # a study built in code has no file name to show
        "title": s.title or (s.name if s.path is not None else f"Event study of {s.asset}"),
        "description": s.description,
        "asset": s.asset, "unit": s.return_label,
        "windows": tuple(tuple(int(v) for v in w) for w in s.windows), "header": tuple(header),
        "excluded": tuple(zip(excluded["event_id"].astype(str),
                              excluded["reason"].astype(str), strict=True)),
        "titles": dict(zip(events["event_id"].astype(str), titles.astype(str), strict=True)),
        "tests": tuple(tests) if tests is not None else None,
    }



def single_event_tests(tidy) -> tuple[str, ...]:
    """The single-event tests a tidy table reports, in the order they may lead."""
    return lead_order(garch="garch_p" in tidy.columns,
                      placebo="placebo_p" in tidy.columns and tidy["placebo_p"].notna().any())


def _sizes_by_test(sizes) -> dict:
    """(test, start, end) -> (size, verdict, detectable), shares, from a size-check table."""
    if sizes is None or not len(sizes):
        return {}
    mde = next(c for c in sizes.columns if c.startswith("detectable"))
    return {(r["test"], int(r["start"]), int(r["end"])):
            (r["size (%)"] / 100.0, r["verdict"], r[mde] / 100.0)
            for r in sizes.to_dict("records")}


def reading_table(tidy, sizes=None, *, tests=None) -> pd.DataFrame:
    """The reading of each row of a tidy table: leading test, grade, detectable move, other tests.

    Parameters
    ----------
    tidy : pandas.DataFrame
        The tidy table.
    sizes : pandas.DataFrame, optional
        :meth:`eventstudy.simulation.SizeCheck.summary`.
    tests : sequence of str, optional
        Default :func:`single_event_tests`.

    Returns
    -------
    pandas.DataFrame
        Same index: ``lead_test, lead_p, lead_size, evidence``
        (:func:`eventstudy.format.grade`), ``detectable`` (80% power, a share),
        ``others`` (``(test, p, size, verdict)`` of every other test).
    """
    tests = tuple(tests) if tests is not None else single_event_tests(tidy)
    by_test = _sizes_by_test(sizes)
    checked = bool(by_test)
    lead = tidy["lead_test"].fillna("").astype(str) if "lead_test" in tidy else \
        pd.Series("", index=tidy.index)
    detectable, others = [], []
    for i, (a, b) in enumerate(zip(tidy["start"].astype(int), tidy["end"].astype(int),
                                   strict=True)):
        t = lead.iat[i]
        detectable.append(by_test.get((t, a, b), (np.nan, "", np.nan))[2] if t else np.nan)
        row = []
        for x in tests:
            if x == t:
                continue
            size, verdict, _ = by_test.get((x, a, b), (np.nan, "not measured" if checked
                                                       else "", np.nan))
            row.append((x, float(tidy[EVENT_TEST_COLUMNS[x]].iat[i]), size, verdict))
        others.append(tuple(row))
    lead_p = tidy["lead_p"] if "lead_p" in tidy else pd.Series(np.nan, index=tidy.index)
    return pd.DataFrame({
        "lead_test": lead, "lead_p": lead_p.astype(float),
        "lead_size": (tidy["lead_size"] if "lead_size" in tidy else lead_p * np.nan).astype(
            float),
        "evidence": [fmt.grade(t, p) for t, p in zip(lead, lead_p, strict=True)],
        "detectable": detectable, "others": others,
    }, index=tidy.index)


def _common_clause(notes) -> str:
    """The clause (after the last "; ") that every note ends with, or ""."""
    if not len(notes) or any(not n for n in notes):
        return ""
    tails = {n.rsplit("; ", 1)[-1] for n in notes}
    return tails.pop() if len(tails) == 1 else ""


def _strip_clause(note: str, clause: str) -> str:
    if not clause or not note.endswith(clause):
        return note
    return note[: -len(clause)].rstrip().removesuffix(";")


def _headline(tidy, facts, event_ids, windows):
    """The given headline ids and windows, else every event and the first two windows."""
    if event_ids is None:
        event_ids = list(dict.fromkeys(tidy["event_id"].astype(str)))
    if windows is None:
        pairs = list(dict.fromkeys(zip(tidy["start"].astype(int), tidy["end"].astype(int),
                                       strict=True)))
        windows = (pairs or list(facts.get("windows") or ()))[:2]
    return [str(e) for e in event_ids], [(int(a), int(b)) for a, b in windows]


def build_summary(tidy, facts, *, group_tests=None, sizes=None, event_ids=None, windows=None,
                  alpha: float = 0.05, names=None) -> Summary:
    """The summary of one asset's results, from its tidy table and header facts.

    Parameters
    ----------
    tidy : pandas.DataFrame
        The tidy table at ``alpha``.
    facts : dict
        :func:`header_facts` (missing keys read as empty).
    group_tests : pandas.DataFrame, optional
        The tests table; the headline windows' rows are kept.
    sizes : pandas.DataFrame, optional
        The size check's table.
    event_ids, windows : optional
        The headline events and windows (default every event, the first two windows).
    alpha : float
        The level of the interval (for its label).
    names : dict of str -> str, optional
        Event id -> the name shown.

    Returns
    -------
    Summary
    """
    names = dict(names or {})
    titles = dict(facts.get("titles") or {})
    ids, wins = _headline(tidy, facts, event_ids, windows)
    key = list(zip(tidy["event_id"].astype(str), tidy["start"].astype(int),
                   tidy["end"].astype(int), strict=True))
    read = reading_table(tidy, sizes, tests=facts.get("tests"))
    where = {k: i for i, k in enumerate(key)}
    excluded = dict(facts.get("excluded") or ())
    rows = []
    for e in ids:
        for a, b in wins:
            base = {"event_id": e, "event": names.get(e) or e,
                    "title": names.get(e) or titles.get(e) or e, "start": a, "end": b}
            i = where.get((e, a, b))
            if i is None:
                why = excluded.get(e) or "not estimated"
                rows.append({**base, "evidence": "not estimated", "others": (),
                             "note": f"not estimated: {why}"})
                continue
            r = tidy.iloc[i]
            rows.append({**base, "trade_date": r["trade_date"], "car": r["car"],
                         "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                         **read.iloc[i].to_dict(), "note": str(r["note"] or "")})
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS)
    clause = _common_clause([n for n in frame["note"] if not n.startswith("not estimated")])
    frame["note"] = [_strip_clause(n, clause) for n in frame["note"]]
    tests = _group_rows(group_tests, wins)
    return Summary(
        title=str(facts.get("title") or "Event study"),
        description=str(facts.get("description") or ""), header=tuple(facts.get("header") or ()),
        rows=frame, group_tests=tests, reading=_reading_line(frame, clause),
        notes=tuple(f"{e} excluded: {why}" for e, why in excluded.items() if e not in ids),
        unit=str(facts.get("unit") or "return"), alpha=alpha,
        graded=_graded(tidy),
    )


def _graded(tidy) -> pd.DataFrame:
    """The family of graded p-values of a tidy table: the window and ``lead_p`` of every row
    with a CAR."""
    if "car" in tidy.columns:
        tidy = tidy[tidy["car"].notna()]
    keep = [c for c in ("asset", "event_id", "start", "end", "lead_p") if c in tidy.columns]
    if "lead_p" not in keep:
        return tidy[keep].assign(lead_p=np.nan).reset_index(drop=True)
    return tidy[keep].reset_index(drop=True)


def multiplicity_sentences(table) -> list[str]:
    """One sentence per window of :func:`eventstudy.inference.multiple.survivors`: how many
    graded findings survive Holm's and Benjamini–Hochberg's corrections at 5% and 10%.
    """
    if len(table) and not table["n_graded"].astype(int).any():
        return ["No p-value is graded, so none is adjusted for multiple testing."]
    out = []
    for r in table.to_dict("records"):
        where = fmt.window(r["start"], r["end"])
        m, n = int(r["n_graded"]), int(r["n_rows"])
        if m == 0:
            out.append(f"Over {where}: none of the {n} CARs has a graded p-value, so none is "
                       "adjusted for multiple testing.")
            continue
        of = f"{m} graded p-value{'s' if m != 1 else ''}" + (f" (of {n} CARs)" if m < n else "")
        out.append(
            f"Over {where}, of {of}: {r['raw_5']} below 5% and {r['raw_10']} below 10% "
            f"unadjusted; {r['holm_5']} and {r['holm_10']} after Holm's correction "
            f"(family-wise error); {r['bh_5']} and {r['bh_10']} after Benjamini–Hochberg's "
            "(false discovery rate).")
    return out


def _group_rows(group_tests, windows) -> pd.DataFrame:
    cols = ["group", "start", "end", "test", "statistic", "p_value", "n_events", "note"]
    if group_tests is None or not len(group_tests):
        return pd.DataFrame(columns=cols)
    t = group_tests
    keep = [(int(a), int(b)) in windows for a, b in zip(t["start"], t["end"], strict=True)]
    return t.loc[keep, [c for c in cols if c in t.columns]].reset_index(drop=True)


def _reading_line(rows, clause: str) -> str:
    """How the p-values of the table are read, or why none is."""
    if not rows["car"].notna().any():
        return "No event has a CAR in these windows: nothing is read (the notes say why)."
    if (rows["lead_test"].fillna("") != "").any():
        return (f"Evidence grades the leading test's two-sided p-value ({fmt.evidence_scale()}). "
                "The leading test is the first single-event test that holds its size on the "
                "asset in the size check; a test that does not is listed with its measured "
                "size and never graded.")
    if clause:
        return clause[0].upper() + clause[1:] + "."
    return ("No p-value is graded: no single-event test holds its size in these windows "
            "(the notes say why).")



def others_text(others) -> str:
    """The other single-event tests of a row in words: "SQ test 0.094 (size 5.1%, holds); ..."."""
    parts = []
    for test, p, size, verdict in others:
        if verdict == "":
            what = "size not checked"
        elif verdict == "not measured" or not np.isfinite(size):
            what = "size not measured"
        else:
            what = f"size {fmt.pct(size, 1, sign=False)}, {verdict}"
        parts.append(f"{EVENT_TEST_LABELS.get(test, test)} {fmt.pvalue(p)} ({what})")
    return "; ".join(parts) or fmt.MISSING


def _detectable_text(x) -> str:
    if isinstance(x, float) and math.isinf(x):
        return f"> {fmt.pct(max(POWER_GRID), 0, sign=False)}"
    return fmt.pct(x, sign=False)


def _lead_text(test, size) -> str:
    if not isinstance(test, str) or not test:
        return fmt.MISSING
    return f"{EVENT_TEST_LABELS.get(test, test)} ({fmt.pct(size, 1, sign=False)})"


def group_tests_table(tests) -> pd.DataFrame:
    """The group tests for reading: per group and window, one p-value column per test."""
    by = [c for c in ("asset", "group") if c in tests.columns] + ["start", "end"]
    if not len(tests):
        return pd.DataFrame(columns=[*by[:-2], "window", "events"])
    names = list(dict.fromkeys(tests["test"]))
    rows = []
    for key, block in tests.groupby(by, sort=False):
        p = dict(zip(block["test"], block["p_value"].astype(float), strict=True))
        rows.append({**dict(zip(by[:-2], key[:-2], strict=True)),
                     "window": fmt.window(key[-2], key[-1]),
                     "events": str(int(block["n_events"].max())),
                     **{t: fmt.pvalue(p.get(t, np.nan)) for t in names}})
    return pd.DataFrame(rows)


def _group_notes(tests) -> list[str]:
    """Each distinct note of the group tests, once per group and window, naming its tests."""
    if not len(tests):
        return []
    out = []
    by = [c for c in ("asset", "group") if c in tests.columns] + ["start", "end"]
    for key, block in tests.groupby(by, sort=False):
        where = " ".join(map(str, key[:-2])) + " " + fmt.window(key[-2], key[-1])
        every = list(block["test"])
        for note, carriers in block[block["note"].fillna("") != ""].groupby("note", sort=False):
            have = list(carriers["test"])
            if len(have) == len(every):
                which = ""
            elif len(have) > len(every) / 2:
                which = f" (every test but {', '.join(t for t in every if t not in have)})"
            else:
                which = f" ({', '.join(have)})"
            out.append(f"{where}{which}: {note}")
    return out


def cross_asset_table(cross) -> pd.DataFrame:
    """The cross-asset tests for reading (:meth:`MultiAssetResults.cross_asset`)."""
    return pd.DataFrame({
        "event": cross["event_id"],
        "window": [fmt.window(a, b) for a, b in zip(cross["start"], cross["end"], strict=True)],
        "assets": cross["n_assets"].astype(str),
        "mean CAR (%)": [fmt.pct(x) for x in cross["mean_car"]],
        "p, mean (correlation-adjusted)": [fmt.pvalue(x) for x in cross["p_mean"]],
        "p, all zero (joint Wald)": [fmt.pvalue(x) for x in cross["p_joint"]],
        "mean correlation": [fmt.number(x, 2) for x in cross["mean_corr"]],
        "note": cross["note"].fillna(""),
    })


def model_table(normal_model) -> pd.DataFrame:
    """Each event's normal-return model for reading: "b (se)" per term, R², resid sd."""
    nm = normal_model
    known = {"event_id", "n_estimation", "df", "r2", "resid_sd", "rmspe"}
    terms = [c for c in nm.columns if c not in known and not c.endswith("_se")]
    out = pd.DataFrame({"event": nm["event_id"].astype(str)})
    for term in terms:
        if f"{term}_se" in nm.columns:
            out[term] = [f"{fmt.number(b, 4)} ({fmt.number(s, 4)})" if np.isfinite(b)
                         else fmt.MISSING for b, s in zip(nm[term], nm[f"{term}_se"], strict=True)]
        else:
            out[f"w {term}"] = [fmt.number(x, 3) for x in nm[term]]
    if "rmspe" in nm.columns:
        out["RMSPE (%)"] = [fmt.pct(x, sign=False) for x in nm["rmspe"]]
    out["R²"] = [fmt.number(x, 3) for x in nm["r2"]]
    out["resid sd (%)"] = [fmt.pct(x, sign=False) for x in nm["resid_sd"]]
    out["days"] = nm["n_estimation"].astype(str)
    return out



@dataclass(frozen=True, eq=False)
class Summary:
    """The reading of an event study, with its header, notes and group tests.

    Attributes
    ----------
    title, description : str
    header : tuple of (str, str)
        The study's facts.
    rows : pandas.DataFrame
        :data:`ROW_COLUMNS` per headline event and window (``asset`` first when
        stacked).
    group_tests : pandas.DataFrame
        The tests across events of the headline windows.
    reading : str
        How the p-values are graded, or why none is.
    notes : tuple of str
        More notes (excluded events).
    unit : str
        The return kind of the CARs.
    alpha : float
        The interval is the ``1 - alpha`` interval.
    extra : tuple of (str, pandas.DataFrame)
        More formatted tables with their headings.
    graded : pandas.DataFrame, optional
        The family of graded p-values: ``[asset,] event_id, start, end, lead_p`` of
        every row of the tidy table(s), headline or not (:meth:`multiplicity`).
    """

    title: str
    header: tuple
    rows: pd.DataFrame
    group_tests: pd.DataFrame
    reading: str
    notes: tuple = ()
    unit: str = "log return"
    alpha: float = 0.05
    description: str = ""
    extra: tuple = field(default=())
    graded: pd.DataFrame | None = None

    @property
    def by_asset(self) -> bool:
        """Whether the summary stacks several assets (an ``asset`` column)."""
        return "asset" in self.rows.columns

    @property
    def level(self) -> str:
        """The interval's label, "95% interval"."""
        return f"{100 * (1 - self.alpha):g}% interval"

    def table(self) -> pd.DataFrame:
        """The headline table, formatted: every rendering lays out this table."""
        r = self.rows
        out = pd.DataFrame({"asset": r["asset"]}) if self.by_asset else pd.DataFrame(index=r.index)
        out["event"] = r["event"]
        out["day 0"] = [fmt.MISSING if pd.isna(d) else f"{pd.Timestamp(d):%Y-%m-%d}"
                        for d in r["trade_date"]]
        out["window"] = [fmt.window(a, b) for a, b in zip(r["start"], r["end"], strict=True)]
        out["CAR (%)"] = [fmt.pct(x) for x in r["car"]]
        out[f"{self.level} (%)"] = [fmt.interval(a, b) for a, b in
                                    zip(r["ci_lower"], r["ci_upper"], strict=True)]
        out["leading test (size)"] = [_lead_text(t, s) for t, s in
                                      zip(r["lead_test"], r["lead_size"], strict=True)]
        out["p"] = [fmt.pvalue(p) for p in r["lead_p"]]
        out["evidence"] = r["evidence"].fillna(fmt.MISSING)
        out["detectable"] = [_detectable_text(x) for x in r["detectable"]]
        out[_BELOW] = [others_text(o) for o in r["others"]]
        return out.reset_index(drop=True)

    def multiplicity(self) -> pd.DataFrame:
        """How many graded findings of each window survive Holm's and Benjamini–Hochberg's
        corrections at 5% and 10% (:func:`eventstudy.inference.multiple.survivors`); the
        family is one window across every event (and asset) of :attr:`graded`."""
        if self.graded is None:
            return survivors(pd.DataFrame(columns=["start", "end", "lead_p"]))
        return survivors(self.graded)

    def multiplicity_text(self) -> str:
        """The sentences of :meth:`multiplicity` when a window holds several CARs, else ""."""
        table = self.multiplicity()
        if not len(table) or int(table["n_rows"].max()) < 2:
            return ""
        return " ".join(multiplicity_sentences(table))

    def tests_table(self) -> pd.DataFrame:
        """The group tests of the headline windows, formatted (:func:`group_tests_table`)."""
        return group_tests_table(self.group_tests)

    def row_notes(self) -> list[str]:
        """The notes of the table's rows ("event [a, b]: note"), then :attr:`notes`."""
        lines = [f"{r['asset'] + ' ' if self.by_asset else ''}{r['event']} "
                 f"{fmt.window(r['start'], r['end'])}: {r['note']}"
                 for r in self.rows.to_dict("records") if r["note"]]
        return lines + list(self.notes)

    def caption(self) -> str:
        """What the headline table shows, with its units."""
        return (f"CAR in % of {self.unit}, with its {self.level} (CAR ± t·se, estimation error "
                "included); the leading single-event test with its measured size, its p-value "
                "and the evidence it gives; detectable: the day-0 move it detects with 80% "
                "power; the other single-event tests' p-values beside their measured sizes")

    def sentences(self) -> list[str]:
        """One sentence per headline event over the first headline window (Markdown bold)."""
        r = self.rows
        if not len(r):
            return []
        first = (int(r["start"].iat[0]), int(r["end"].iat[0]))
        r = r[(r["start"] == first[0]) & (r["end"] == first[1])]
        out = []
        for _, block in r.groupby("event_id", sort=False):
            parts, grades = [], []
            for row in block.to_dict("records"):
                who = f"{row['asset']} " if self.by_asset else ""
                grades.append(row["evidence"])
                parts.append(who + _sentence_part(row, self.level))
            best = min(grades, key=lambda g: GRADE_ORDER.index(g) if g in GRADE_ORDER else 99)
            head = best if best in GRADE_ORDER[3:] else f"{best} evidence"
            out.append(f"**{block['title'].iat[0]} — {head}.** Over {fmt.window(*first)}: "
                       + "; ".join(parts) + ".")
        return out

    def sections(self) -> list[Section]:
        """The parts every rendering lays out, in order: the study, the CARs, the reading,
        the notes, the group tests, then :attr:`extra`."""
        notes = self.row_notes()
        out = [Section("The study", facts=tuple(self.header)),
               Section("Cumulative abnormal returns", caption=self.caption(), frame=self.table()),
               Section("Reading", text=self.reading)]
        multiple = self.multiplicity_text()
        if multiple:
            out.append(Section("Multiple testing", text=multiple))
        if notes:
            out.append(Section("Notes", items=tuple(notes)))
        if len(self.group_tests):
            out.append(Section("Tests across events", caption="p-values of the tests that pool "
                               "the events, not size-checked", frame=self.tests_table(),
                               items=tuple(_group_notes(self.group_tests))))
        return out + [Section(heading, frame=frame) for heading, frame in self.extra]

    def __str__(self) -> str:
        lines = [self.title, "=" * len(self.title)] + [self.description] * bool(self.description)
        for s in self.sections():
            lines += ["", s.heading]
            width = max((len(k) for k, _ in s.facts), default=0)
            lines += [f"{k.ljust(width)} : {v}" for k, v in s.facts] + [s.caption] * bool(s.caption)
            if s.frame is not None:
                below = _BELOW if _BELOW in s.frame.columns else None
                lines.append(fmt.text_table(s.frame, below=below) if len(s.frame) else _NO_EVENT)
            lines += [s.text] * bool(s.text) + [f"  {n}" for n in s.items]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self) -> str:
        """The summary as an HTML fragment (what a notebook shows)."""
        e = html.escape
        parts = [f"<div class='eventstudy-summary'><h4>{e(self.title)}</h4>"]
        parts += [f"<p>{e(self.description)}</p>"] * bool(self.description)
        for s in self.sections():
            if s.facts:
                parts.append("<table>" + "".join(
                    f"<tr><th style='text-align:left'>{e(k)}</th><td style='text-align:left'>"
                    f"{e(v)}</td></tr>" for k, v in s.facts) + "</table>")
            if s.frame is not None:
                parts.append(_html_table(s.frame, s.heading + (f": {s.caption}" if s.caption
                                                                else "")))
            parts += [f"<p>{e(s.text)}</p>"] * bool(s.text)
            if s.items:
                parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in s.items) + "</ul>")
        return "".join(parts) + "</div>"

    def to_markdown(self) -> str:
        """The summary as Markdown: title, then a ``##`` part per :meth:`sections`."""
        out = [f"# {self.title}", ""] + [self.description, ""] * bool(self.description)
        for s in self.sections():
            out += [f"## {s.heading}", ""]
            out += [f"- {k}: {v}" for k, v in s.facts] + [""] * bool(s.facts)
            out += [s.caption + ".", ""] * bool(s.caption)
            if s.frame is not None:
                out += [fmt.markdown_table(s.frame) if len(s.frame) else _NO_EVENT, ""]
            out += [s.text, ""] * bool(s.text)
            out += [f"- {n}" for n in s.items] + [""] * bool(s.items)
        return "\n".join(out)

    def to_latex(self) -> str:
        """Each table of :meth:`sections` as a LaTeX ``table`` float, the text and notes after
        it inside the float (the study's facts are left out)."""
        esc = fmt.latex_escape
        parts = []
        for s in self.sections():
            if s.frame is not None:
                caption = f"{self.title}: {s.caption}" if not parts else \
                    s.heading + (f" ({s.caption})" if s.caption else "")
                align = "".join("p{5cm}" if c == _BELOW else "r" if c in ("CAR (%)", "p")
                                else "l" for c in s.frame.columns)
                parts += [r"\end{table}", ""] * bool(parts) + [
                    r"\begin{table}", r"\centering", r"\footnotesize",
                    rf"\caption{{{esc(caption)}}}", fmt.latex_tabular(s.frame, align)]
            elif not parts:
                continue
            parts += [r"\par\smallskip " + esc(s.text)] * bool(s.text)
            parts += [r"\par " + esc(n) for n in s.items]
        return "\n".join([*parts, r"\end{table}"]) + "\n"

    @classmethod
    def stack(cls, summaries: dict, *, title: str | None = None, description: str = "",
              extra=()) -> Summary:
        """Several assets' summaries (asset -> Summary, same windows) in one, ``asset`` first."""
        items = list(summaries.items())
        first = items[0][1]
        rows = pd.concat([s.rows.assign(asset=a)[["asset", *s.rows.columns]]
                          for a, s in items], ignore_index=True)
        tests = [s.group_tests.assign(asset=a)[["asset", *s.group_tests.columns]]
                 for a, s in items if len(s.group_tests)]
        readings = list(dict.fromkeys(s.reading for _, s in items))
        graded = [s.graded.assign(asset=a)[["asset", *s.graded.columns]]
                  for a, s in items if s.graded is not None]
        return cls(
            title=title or first.title,
            description=description if title is not None else first.description,
            header=_merge_headers({a: s.header for a, s in items}), rows=rows,
            group_tests=pd.concat(tests, ignore_index=True) if tests else first.group_tests,
            reading=readings[0] if len(readings) == 1 else " ".join(
                f"{a}: {s.reading}" for a, s in items),
            notes=tuple(f"{a}: {n}" for a, s in items for n in s.notes),
            unit=first.unit, alpha=first.alpha, extra=tuple(extra),
            graded=pd.concat(graded, ignore_index=True) if graded else None,
        )


def _merge_headers(headers: dict) -> tuple:
    """One header for several assets: a shared fact once ("each asset"), others per asset."""
    assets = list(headers)
    labels = list(dict.fromkeys(k for h in headers.values() for k, _ in h))
    out = [("Assets", ", ".join(assets))]
    for label in labels:
        if label == "Asset":
            continue
        values = {a: dict(h).get(label, fmt.MISSING) for a, h in headers.items()}
        generic = {v.replace(a, "\0") if len(assets) > 1 else v for a, v in values.items()}
        if len(generic) == 1:
            out.append((label, generic.pop().replace("\0", "each asset")))
        else:
            out.append((label, "; ".join(f"{a}: {v}" for a, v in values.items())))
    return tuple(out)


def _sentence_part(row, level: str) -> str:
    """One asset's CAR, interval and reading in a sentence."""
    if row["evidence"] == "not estimated":
        return row["note"]
    if pd.isna(row["car"]):
        return f"no CAR ({row['note'] or 'no usable day'})"
    lead = row["lead_test"]
    read = (f"{EVENT_TEST_LABELS.get(lead, lead)} p = {fmt.pvalue(row['lead_p'])}" if lead
            else fmt.NOT_GRADED)
    return f"{fmt.pct(row['car'])} ({level.replace('interval', 'CI')} " \
           f"{fmt.interval(row['ci_lower'], row['ci_upper'])}, {read})"


def _html_cell(value) -> str:
    """A table cell; a date (YYYY-MM-DD) is kept on one line."""
    text = html.escape(str(value))
    if fmt.is_date(text):
        return f'<td style="white-space: nowrap">{text}</td>'
    return f"<td>{text}</td>"


def _html_table(frame, caption: str) -> str:
    e = html.escape
    head = "".join(f"<th>{e(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(_html_cell(v) for v in r) + "</tr>"
                   for r in frame.itertuples(index=False))
    return (f"<table><caption>{e(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")
