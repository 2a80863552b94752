"""Results of an event study: one immutable object that carries the whole answer.

:class:`EventStudyResults` is built by :func:`eventstudy.analysis.fit` and
not changed afterwards. Its canonical table is
:meth:`EventStudyResults.tidy`, one row per event and CAR window; the
statsmodels-style accessors (``params``, ``bse``, ``tvalues``, ``pvalues``,
``conf_int``) read the CARs from it, indexed by ``(event_id, start, end)``.
The normal-return model's coefficients are :meth:`~EventStudyResults.normal_model`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from .config import EVENT_TEST_COLUMNS, EVENT_TEST_LABELS, lead_order
from .exceptions import InferenceError, OptionError
from .inference import multi_day_days, multi_day_windows
from .inference.multiple import adjust_pvalues
from .panel import span_first

if TYPE_CHECKING:
    from .summary import Summary

__all__ = ["EventStudyResults", "MultiAssetResults", "NOT_SIZE_CHECKED", "TESTS_COLUMNS",
           "TIDY_COLUMNS", "check_event_ids"]

TESTS_COLUMNS = ["group", "start", "end", "test", "statistic", "p_value", "n_events", "note"]

#: Columns of :meth:`EventStudyResults.tidy`, in order.
TIDY_COLUMNS = [
    "event_id", "trade_date", "category", "direction", "group", "start", "end", "car",
    "car_se", "t",
    "df", "p", "ci_lower", "ci_upper", "sq_p", "placebo_p", "lead_test", "lead_p", "lead_size",
    "p_holm", "p_bh", "vol_ratio", "vol_ratio_p",
    "vr", "vr_p", "vr_placebo_p", "vr_lead_test", "vr_lead_p",
    "n_days", "window_days",
    "roll_days", "thin_days", "missing_days", "cut_short", "overlaps", "note",
]

#: The note of a row whose results have no size check (``lead_test`` empty).
NOT_SIZE_CHECKED = ("single-event tests not size-checked in this run (analyse with "
                    "size_check=True): no p-value is graded")


def _window_text(a, b) -> str:
    return f"[{a}, {b}]"


def _days_text(days) -> str:
    return ", ".join(f"{d:+d}" for d in days)


class EventStudyResults:
    """Abnormal returns, CARs, tests and their labels, for one fitted event study.

    Parameters
    ----------
    study : Study
        The one-asset study fitted.
    data : ReturnData
        Its returns panel.
    catalogue : DataFrame
        The events given to the fit.
    design : Design
        The engine's inputs (:class:`eventstudy.estimate.Design`).
    arrays : EventArrays
        The engine's output for the located events.
    events, excluded : DataFrame
        The located events (rows of ``arrays``) and those without a day 0.
    groups : dict
        The groups of the tests table (:func:`eventstudy.events.event_groups`).
    tests : DataFrame, optional
        The test battery.
    per_event : dict, optional
        Per-event p-values and diagnostics, (E, W) or (E,).
    placebo : Placebo, optional
    other_day0 : (ndarray, ndarray), optional
        Day-0 positions and ids of the other catalogued events.
    size_check : SizeCheck, optional
        See :meth:`with_size_check`.
    volume : StudyVolume, optional
        The abnormal volume of the located events (:meth:`volume`).

    Notes
    -----
    The aggregates :attr:`aar` and :attr:`caar` average the used events of each
    group, with se(AAR_τ) = √(Σ_i Var(AR_iτ)) / N_τ and se(CAAR) =
    √(Σ_i Var(CAR_i)) / N (no cross-correlation; MacKinlay 1997, eq. 15-16),
    t = estimate / se and p two-sided from the standard normal.
    """

    def __init__(self, *, study, data, catalogue, design, arrays, events, excluded, groups,
                 tests=None, per_event=None, placebo=None, other_day0=None, size_check=None,
                 volume=None):
        a = arrays
        self._volume = volume
        self.arrays = a
        self.study = study
        self.data = data
        self.catalogue = catalogue
        self.design = design
        self.placebo = placebo
        self.size_check = size_check
        self._cache = {}
        self._dates = pd.DatetimeIndex(data.returns.index)
        self._roll = np.asarray(design.roll, dtype=bool)
        self._thin = data.thin.to_numpy(dtype=bool)
        self._y = np.asarray(design.y)
        self._X = np.asarray(design.X)
        self._missing = np.asarray(design.missing, dtype=bool)
        self._span = np.asarray(design.span, dtype=np.int64)
        ev = events.reset_index(drop=True)
        self._located = ev
        self._ids = ev["id"].astype(str).to_numpy()
        self._groups = dict(groups)
        E, W = a.car.shape if a.car.ndim == 2 else (0, len(study.windows))
        shape = (E, W)
        per_event = per_event or {}
        self._sq = np.asarray(per_event.get("sq_p", np.full(shape, np.nan)), dtype=float)
        self._pp = np.asarray(per_event.get("placebo_p", np.full(shape, np.nan)), dtype=float)
        self._extra = {k: np.asarray(v, dtype=float) for k, v in per_event.items()
                       if k not in ("sq_p", "placebo_p")}
        pos, oid = other_day0 if other_day0 is not None else (np.zeros(0, np.int64), [])
        self._other = (np.asarray(pos, dtype=np.int64), np.asarray(oid, dtype=object))

        # the window days of a multi-day return: no SQ p, out of Corrado's ranks
        self._multi_day = multi_day_days(self._span, a.day0, a.rel_win, a.ar)
        located = _event_rows(ev, np.where(a.used, "used", "excluded"),
                              np.where(a.used, "", a.reason.astype(str)),
                              np.asarray(a.n, dtype=np.int64), 0)
        ex = excluded.reset_index(drop=True)
        if len(ex):
            pre = _event_rows(ex, "excluded", ex["reason"].astype(str).to_numpy(), 0, len(ev))
            located = pd.concat([located, pre], ignore_index=True)
        self._events = (located.sort_values("_order", kind="stable").drop(columns="_order")
                        .reset_index(drop=True))
        self._tests = self._tests_table(tests)
        self._frozen = True

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(
                f"EventStudyResults is immutable; cannot set {name!r} (fit the study again)"
            )
        super().__setattr__(name, value)

    def with_size_check(self, check) -> EventStudyResults:
        """These results with a :class:`~eventstudy.simulation.SizeCheck` (``lead_*`` columns)."""
        import copy

        new = copy.copy(self)
        object.__setattr__(new, "size_check", check)
        object.__setattr__(new, "_cache", {})
        return new

    @property
    def single_event_tests(self) -> list[str]:
        """The single-event tests reported, in the order they may lead."""
        return list(lead_order(garch="garch_p" in self._extra, placebo=self.placebo is not None))

    def size_summary(self) -> pd.DataFrame | None:
        """The size check's table of the tests reported; None without a size check."""
        if self.size_check is None:
            return None
        summary = self.size_check.summary()
        return summary[summary["test"].isin(self.single_event_tests + self.vr_tests)]

    @property
    def vr_tests(self) -> list[str]:
        """The variance-ratio tests reported, in the order they may lead."""
        return ["vr"] + (["vr-placebo"] if self.placebo is not None else [])

    def _lead(self, frame) -> pd.DataFrame:
        n = len(frame)
        lead = np.full(n, "", dtype=object)
        lead_p = np.full(n, np.nan)
        lead_size = np.full(n, np.nan)
        notes = frame["note"].to_numpy(dtype=object).copy()
        check = self.size_check
        tests = self.single_event_tests
        starts, ends = frame["start"].to_numpy(), frame["end"].to_numpy()
        for w in {(int(a), int(b)) for a, b in zip(starts, ends, strict=True)}:
            rows = np.flatnonzero((starts == w[0]) & (ends == w[1]))
            if check is None:
                why = NOT_SIZE_CHECKED
            elif check.note:
                why = f"size check not possible on {check.asset} ({check.note}): no p-value " \
                      "is graded"
            else:
                t = check.leading(w, tests)
                if t is not None:
                    lead[rows] = t
                    lead_p[rows] = frame[EVENT_TEST_COLUMNS[t]].to_numpy()[rows]
                    lead_size[rows] = check.size(t, w)[0]
                    continue
                sizes = ", ".join(f"{EVENT_TEST_LABELS[x]} {100 * check.size(x, w)[0]:.1f}%"
                                  for x in tests)
                why = (f"no single-event test holds its size on {check.asset} over "
                       f"[{w[0]}, {w[1]}] in the size check ({sizes} at "
                       f"{100 * check.alpha:g}%): no p-value is graded")
            for r in rows:
                notes[r] = f"{notes[r]}; {why}" if notes[r] else why
        return frame.assign(lead_test=lead, lead_p=lead_p, lead_size=lead_size, note=notes)

    def _vr_lead(self, frame) -> pd.DataFrame:
        """``vr_lead_test, vr_lead_p``: the first variance-ratio test holding its size."""
        lead = np.full(len(frame), "", dtype=object)
        lead_p = np.full(len(frame), np.nan)
        check = self.size_check
        tests = self.vr_tests
        starts, ends = frame["start"].to_numpy(), frame["end"].to_numpy()
        if check is not None and not check.note:
            for w in {(int(a), int(b)) for a, b in zip(starts, ends, strict=True)}:
                t = check.leading(w, tests)
                rows = np.flatnonzero((starts == w[0]) & (ends == w[1]))
                if t is not None:
                    lead[rows] = t
                    lead_p[rows] = frame[EVENT_TEST_COLUMNS[t]].to_numpy()[rows]
        return frame.assign(vr_lead_test=lead, vr_lead_p=lead_p)

    def volume(self) -> pd.DataFrame:
        """Abnormal log volume per used event and window (``volume.csv``).

        Columns :data:`eventstudy.volume.VOLUME_COLUMNS`: ``cav`` the cumulative
        abnormal log volume (mean-adjusted, Campbell and Wasley 1996), ``cav_se``,
        ``t`` and ``p`` (Student t, ``df`` = n - 1), ``placebo_p`` against the
        pseudo-events, ``n_days`` the days with a usable volume, ``note`` why a
        day or value is missing. An asset without volume gives an empty table
        whose ``attrs["note"]`` says so.
        """
        if self._volume is None:
            out = pd.DataFrame()
            out.attrs["note"] = "abnormal volume not measured in this fit"
            return out
        return self._volume.table(self._ids, np.flatnonzero(self.arrays.used))

    @property
    def volume_note(self) -> str:
        """Why there is no abnormal volume ("" when there is)."""
        return "" if self._volume is None else self._volume.note

    @property
    def groups(self) -> dict:
        """The groups of the tests table: name -> (rows of :attr:`arrays`, sign per event)."""
        return dict(self._groups)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The trade dates of the return index (event time counts these)."""
        return self._dates

    @property
    def event_ids(self) -> list[str]:
        """Every event of the study, in the order given (used or excluded)."""
        return list(self._events["event_id"])

    @property
    def used_ids(self) -> list[str]:
        """The events that entered the estimation, in the order given."""
        return list(self._events.loc[self._events["status"] == "used", "event_id"])

    @property
    def n_used(self) -> int:
        """Number of events used."""
        return int(self.arrays.used.sum())

    def event_rows(self, event_ids=None) -> np.ndarray:
        """Rows of :attr:`arrays` of the given used events (KeyError for another id)."""
        used = np.flatnonzero(self.arrays.used)
        if event_ids is None:
            return used
        if isinstance(event_ids, str):
            event_ids = [event_ids]
        where = {e: i for i, e in enumerate(self._ids)}
        rows = []
        for e in event_ids:
            i = where.get(str(e))
            if i is None or not self.arrays.used[i]:
                known = ", ".join(self._ids[used][:10])
                raise KeyError(f"no used event with id {e!r}; used events: {known}")
            rows.append(i)
        return np.asarray(rows, dtype=np.int64)

    @property
    def arrays_ids(self) -> np.ndarray:
        """The event id of each row of :attr:`arrays` (located events, in order)."""
        return self._ids.copy()

    def title_of(self, event_id: str) -> str:
        """The catalogue title of an event (its id when it has none)."""
        hit = self._events.loc[self._events["event_id"] == str(event_id), "title"]
        return str(hit.iloc[0]) if len(hit) else str(event_id)

    def _tests_table(self, tests) -> pd.DataFrame:
        if tests is None or not len(tests):
            return pd.DataFrame({c: pd.Series(dtype=object) for c in TESTS_COLUMNS})
        t = pd.DataFrame(tests).reset_index(drop=True)
        n = t["n_events"].to_numpy()
        missing = t["p_value"].isna().to_numpy()
        note = np.full(len(t), "", dtype=object)
        note[missing & (n == 0)] = "no event of the group has a CAR in this window"
        note[missing & (n == 1)] = ("one event: a group test needs at least two (read the "
                                    "event's own tests in the CAR table)")
        rest = missing & (n >= 2)
        note[rest] = "not computable here (e.g. no dispersion across the events)"
        # Events whose windows share days are not independent observations.
        a = self.arrays
        shared = {}
        for name, (rows, _) in self._groups.items():
            rows = np.asarray(rows, dtype=np.int64)
            d = np.sort(a.day0[rows])
            for lo, hi in a.windows:
                # pairs i < j with d_j - d_i <= hi - lo, from the sorted day 0s (no N x N)
                reach = np.searchsorted(d, d + (hi - lo), side="right")
                pairs = int((reach - np.arange(d.size) - 1).sum())
                shared[(name, int(lo), int(hi))] = pairs
        multi = self._multi_day_counts()
        for i, (g, lo, hi, test) in enumerate(zip(t["group"], t["start"], t["end"], t["test"],
                                                  strict=True)):
            left = multi.get((g, int(lo), int(hi)), 0)
            if left and test == "corrado":
                extra = (f"{left} event{'s' if left > 1 else ''} left out: the window holds a "
                         "multi-day return (trade-to-trade over dates without a price row), "
                         "and the rank test ranks one-day returns")
                note[i] = f"{note[i]}; {extra}" if note[i] else extra
            k = shared.get((g, int(lo), int(hi)), 0)
            if k and test != "kolari-pynnonen":
                extra = (f"{k} pair{'s' if k > 1 else ''} of events share window days: this "
                         "test treats them as independent; Kolari–Pynnönen allows for their "
                         "correlation")
                note[i] = f"{note[i]}; {extra}" if note[i] else extra
        t["note"] = note
        return t[TESTS_COLUMNS]

    def _multi_day_counts(self) -> dict:
        """(group, start, end) -> events with a CAR whose window holds a multi-day return."""
        a = self.arrays
        if not self._multi_day.any():
            return {}
        holds = multi_day_windows(self._multi_day, a.rel_win, a.windows) & np.isfinite(a.car)
        out = {}
        for name, (rows, _) in self._groups.items():
            counts = holds[np.asarray(rows, dtype=np.int64)].sum(axis=0)
            for (lo, hi), c in zip(a.windows, counts, strict=True):
                out[(name, int(lo), int(hi))] = int(c)
        return out

    @property
    def ar(self) -> pd.DataFrame:
        """AR per event and day: ``event_id, day, date, ret, normal, ar, ar_se, roll, thin,
        missing, span``.

        ``span`` is the number of trade dates the day's return covers: 1, or
        k + 1 on the first day after k dates without a price row, whose
        ``ret`` and ``ar`` are then the trade-to-trade return over those
        days and its AR less the normal returns of them all (a multi-day AR);
        the k dates themselves have ``span`` 0, ``missing`` true and no
        ``ret``, ``ar`` or ``ar_se`` (their move is in the later day's).
        """
        if "ar" not in self._cache:
            a = self.arrays
            u = np.flatnonzero(a.used)
            Lw = a.rel_win.size
            inside, posc = self._positions(a.day0[u], a.rel_win)
            date = np.where(inside, self._dates.to_numpy()[posc], np.datetime64("NaT"))
            span = np.where(inside, self._span[posc], 1)
            gap = span == 0
            ret, ar = self._span_sums(a, u, posc, inside)
            self._cache["ar"] = pd.DataFrame({
                "event_id": np.repeat(self._ids[u], Lw), "day": np.tile(a.rel_win, u.size),
                "date": pd.DatetimeIndex(date.ravel()),
                "ret": np.where(gap, np.nan, ret).ravel(),
                "normal": a.normal[u].ravel(), "ar": np.where(gap, np.nan, ar).ravel(),
                "ar_se": np.where(gap | (span > 1), np.nan, a.ar_se[u]).ravel(),
                "roll": (self._roll[posc] & inside).ravel(),
                "thin": (self._thin[posc] & inside).ravel(),
                "missing": (((self._missing[posc] | ~inside) & ~self._roll[posc]) | gap).ravel(),
                "span": span.ravel(),
            })
        return self._cache["ar"].copy()

    def _span_sums(self, a, u, posc, inside):
        """The used events' window returns and ARs, a multi-day AR summed onto its last day."""
        ret = a.ret[u]
        ar = a.ar[u]
        span = np.where(inside, self._span[posc], 1)
        if (span == 1).all():
            return ret, ar
        ar = ar.copy()
        for i, j in zip(*np.nonzero(span > 1), strict=True):
            k = int(span[i, j]) - 1
            lo = max(j - k, 0)
            ar[i, j] = ar[i, lo:j + 1].sum() if lo == j - k else np.nan
        return ret, ar

    def _positions(self, day0, rel):
        """(inside the data, clipped position) of each event day, (E, L)."""
        pos = day0[:, None] + rel[None, :]
        T = len(self._dates)
        return (pos >= 0) & (pos < T), np.clip(pos, 0, max(T - 1, 0))

    def _window_flags(self):
        """Per used event and window: day counts, cut-short flag, overlapping events."""
        a = self.arrays
        u = np.flatnonzero(a.used)
        W = a.windows.shape[0]
        inside, posc = self._positions(a.day0[u], a.rel_win)
        roll = self._roll[posc] & inside
        thin = self._thin[posc] & inside
        miss = self._missing[posc] & inside & ~roll
        out = {k: np.zeros((u.size, W), dtype=np.int64) for k in ("roll", "thin", "missing")}
        cut = np.zeros((u.size, W), dtype=bool)
        for w, (lo, hi) in enumerate(a.windows):
            sel = (a.rel_win >= lo) & (a.rel_win <= hi)
            out["roll"][:, w] = roll[:, sel].sum(axis=1)
            out["thin"][:, w] = thin[:, sel].sum(axis=1)
            out["missing"][:, w] = miss[:, sel].sum(axis=1)
            cut[:, w] = (~inside[:, sel]).any(axis=1)
        overlaps = np.full((u.size, W), "", dtype=object)
        for w, (lo, hi) in enumerate(a.windows):
            for i, pairs in self._other_day0s(u, lo, hi).items():
                overlaps[i, w] = "; ".join(f"{oid} (day {day:+d})" for oid, day in pairs)
        return out, cut, overlaps, roll, thin, miss, inside

    def _other_day0s(self, rows, lo: int, hi: int) -> dict:
        """Other events' day 0 inside [lo, hi] of each of ``rows``: {i: [(id, event day), ...]}."""
        a = self.arrays
        all_pos = np.concatenate([a.day0, self._other[0]])
        all_ids = np.concatenate([self._ids, self._other[1]]).astype(str)
        order = np.argsort(all_pos, kind="stable")
        sp, sid = all_pos[order], all_ids[order]
        d = a.day0[rows]
        left = np.searchsorted(sp, d + lo, side="left")
        right = np.searchsorted(sp, d + hi, side="right")
        out = {}
        for i in np.flatnonzero(right - left > 1):
            me = self._ids[rows[i]]
            pairs = [(str(sid[j]), int(sp[j] - d[i])) for j in range(left[i], right[i])
                     if sid[j] != me]
            if pairs:
                out[int(i)] = pairs
        return out

    def overlaps_of(self, event_id: str) -> list[tuple[str, int]]:
        """Other events whose day 0 lies in the event's widest window: ``[(id, event day)]``."""
        rows = self.event_rows([event_id])
        rel = self.arrays.rel_win
        return self._other_day0s(rows, int(rel[0]), int(rel[-1])).get(0, [])

    def _base_tidy(self) -> pd.DataFrame:
        if "tidy" in self._cache:
            return self._cache["tidy"]
        a = self.arrays
        u = np.flatnonzero(a.used)
        W = a.windows.shape[0]
        counts, cut, overlaps, roll, thin, miss, inside = self._window_flags()
        ev = self._events.set_index("event_id")
        ids = self._ids[u]
        td = ev.loc[ids, "trade_date"].to_numpy() if len(ids) else np.array([], "datetime64[ns]")
        frame = pd.DataFrame({
            "event_id": np.repeat(ids, W), "trade_date": pd.DatetimeIndex(np.repeat(td, W)),
            "category": np.repeat(ev.loc[ids, "category"].to_numpy(), W) if len(ids) else [],
            "direction": np.repeat(ev.loc[ids, "direction"].to_numpy(np.int64), W)
            if len(ids) else np.zeros(0, np.int64),
            "group": np.repeat(self._group_of(u), W), "start": np.tile(a.windows[:, 0], u.size),
            "end": np.tile(a.windows[:, 1], u.size), "car": a.car[u].ravel(),
            "car_se": a.car_se[u].ravel(), "t": a.tstat[u].ravel(), "df": np.repeat(a.dof[u], W),
            "p": a.pvalue[u].ravel(),
            "sq_p": self._sq[u].ravel() if self._sq.size else np.zeros(0),
            "placebo_p": self._pp[u].ravel() if self._pp.size else np.zeros(0),
            "n_days": a.n_days[u].ravel(),
            "window_days": np.tile(a.windows[:, 1] - a.windows[:, 0] + 1, u.size),
            "roll_days": counts["roll"].ravel(), "thin_days": counts["thin"].ravel(),
            "missing_days": counts["missing"].ravel(), "cut_short": cut.ravel(),
            "overlaps": overlaps.ravel(),
        })
        for key in ("garch_se", "garch_t", "garch_p"):
            if key in self._extra:
                frame[key] = self._extra[key][u].ravel()
        for key in ("vol_ratio", "vol_ratio_p"):
            values = self._extra.get(key, np.full(len(self._ids), np.nan))
            frame[key] = np.repeat(values[u], W)
        for key in ("vr", "vr_p", "vr_placebo_p"):
            frame[key] = self._extra.get(key, np.full(a.car.shape, np.nan))[u].ravel()
        frame["note"] = self._notes(frame, u, roll, thin, miss, inside)
        self._cache["tidy"] = frame
        return frame

    def _group_of(self, rows) -> np.ndarray:
        """Each event's group(s) of the tests table, besides ``all`` and ``signed``."""
        names = {int(r): [] for r in rows}
        for name, (members, _) in self._groups.items():
            if name in ("all", "signed"):
                continue
            for r in np.asarray(members, dtype=np.int64):
                if int(r) in names:
                    names[int(r)].append(name)
        return np.array(["; ".join(names[int(r)]) for r in rows], dtype=object)

    def _notes(self, frame, u, roll, thin, miss, inside) -> np.ndarray:
        """One sentence per row explaining every missing value and every flag."""
        a = self.arrays
        W = a.windows.shape[0]
        rel = a.rel_win
        notes = np.full(len(frame), "", dtype=object)
        _, posc = self._positions(a.day0[u], rel)
        first = span_first(self._span)
        period_end = _span_last(self._span)
        flagged = (frame["car"].isna() | (frame["n_days"] < frame["window_days"])
                   | np.repeat((self._span[posc] != 1).any(axis=1), W)
                   | (frame["thin_days"] > 0) | (frame["overlaps"] != "")
                   | frame["sq_p"].isna() | frame["placebo_p"].isna() | frame["t"].isna())
        last = self._dates[-1] if len(self._dates) else None
        for r in np.flatnonzero(flagged.to_numpy()):
            i, w = divmod(r, W)
            lo, hi = a.windows[w]
            sel = (rel >= lo) & (rel <= hi)
            days = rel[sel]
            parts = []
            rolls = days[roll[i, sel]]
            misses = days[miss[i, sel]]
            outs = days[~inside[i, sel]]
            if frame["cut_short"].iat[r]:
                covered = days[inside[i, sel]]
                span = (_window_text(covered.min(), covered.max()) if covered.size
                        else "no day")
                parts.append(f"window cut short by the end of the data (last return "
                             f"{last:%Y-%m-%d}): it covers {span}")
            if rolls.size:
                parts.append(f"day{'s' if rolls.size > 1 else ''} {_days_text(rolls)} "
                             f"{'are' if rolls.size > 1 else 'is a'} contract-roll "
                             f"day{'s' if rolls.size > 1 else ''} (return across the switch, "
                             "masked)")
            if misses.size:
                parts.append(f"day{'s' if misses.size > 1 else ''} {_days_text(misses)} "
                             "without a return of the asset or a factor")
            gaps, cut = _span_text(first, period_end, int(a.day0[u[i]]), lo, hi,
                                   self.design.valid)
            parts.extend(gaps)
            if cut:
                parts.insert(0, f"no CAR: {cut}")
            elif np.isnan(frame["car"].iat[r]):
                parts.insert(0, "no CAR: no usable day in the window")
            elif outs.size == 0 and (rolls.size or misses.size):
                parts[-1] += f"; the CAR sums {frame['n_days'].iat[r]} of " \
                             f"{frame['window_days'].iat[r]} days"
            thins = days[thin[i, sel]]
            if thins.size:
                parts.append(f"thin trading on day{'s' if thins.size > 1 else ''} "
                             f"{_days_text(thins)} (front contract in delivery or low volume): "
                             "those returns may reflect the expiring contract more than the news")
            if frame["overlaps"].iat[r]:
                parts.append(f"another event's day 0 inside the window: {frame['overlaps'].iat[r]}"
                             " — the CAR measures both")
            if np.isfinite(frame["car"].iat[r]):
                if np.isnan(frame["t"].iat[r]):
                    s2 = a.s2[u[i]]
                    parts.append("t undefined: the estimation sample's residual variance is "
                                 "zero (constant returns)" if s2 == 0 else
                                 "t undefined: no degrees of freedom left")
                if np.isnan(frame["sq_p"].iat[r]):
                    parts.append(self._sq_missing(u[i], lo, hi))
                if np.isnan(frame["placebo_p"].iat[r]):
                    parts.append("placebo off (placebo_draws = 0)" if self.placebo is None
                                 else "no pseudo-event CAR for this window")
            notes[r] = "; ".join(parts)
        return notes

    def _sq_missing(self, row, lo, hi) -> str:
        """Why event ``row`` (of :attr:`arrays`) has no SQ p-value over [lo, hi] with a CAR."""
        a = self.arrays
        sel = (a.rel_win >= lo) & (a.rel_win <= hi)
        if not self._multi_day[row, sel].any():
            return f"SQ test not computed: no run of {hi - lo + 1} consecutive estimation days"
        inside, posc = self._positions(a.day0[row:row + 1], a.rel_win[sel])
        gaps = a.rel_win[sel][(inside & (self._span[posc] == 0))[0]]
        return (f"SQ test not computed: the window holds a multi-day return (no price row on "
                f"day{'s' if gaps.size > 1 else ''} {_days_text(gaps)}); its permutation needs "
                "one-day returns")

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """The canonical table: one row per used event and CAR window.

        Parameters
        ----------
        alpha : float
            The interval is CAR ± t_{df, 1-α/2} · se.

        Returns
        -------
        DataFrame
            :data:`TIDY_COLUMNS` (with ``garch_se, garch_t, garch_p`` before
            ``lead_test`` under ``volatility = 'garch'``). ``p`` is the t test with
            the estimation-error variance (Student t, ``df``); ``sq_p`` the SQ test;
            ``placebo_p`` the placebo test; ``lead_test, lead_p, lead_size`` the
            first of :attr:`single_event_tests` that holds its size in the row's
            window (:meth:`with_size_check`), empty where none does;
            ``p_holm, p_bh`` Holm's and Benjamini–Hochberg's adjustments of
            ``lead_p`` across the events of the row's window
            (:func:`eventstudy.inference.multiple.adjust_pvalues`; missing where
            ``lead_p`` is, i.e. where no p-value is graded);
            ``vol_ratio, vol_ratio_p`` the volatility-regime diagnostic
            (:func:`eventstudy.volatility.volatility_regime`); ``vr, vr_p,
            vr_placebo_p`` the window's variance ratio ARᵀV⁻¹AR / L, its F(L, df)
            p-value and its placebo p-value
            (:func:`eventstudy.inference.variance_ratio.variance_ratio`), and
            ``vr_lead_test, vr_lead_p`` the first of them holding its size; ``n_days`` the
            returns summed out of ``window_days``; ``roll_days, thin_days,
            missing_days`` counts of flagged days; ``cut_short`` a window past the
            data; ``overlaps`` other events' day 0 in the window; ``note`` explains
            every missing value and flag.
        """
        if not (isinstance(alpha, (float, int)) and 0.0 < alpha < 1.0):
            raise OptionError(f"alpha must be between 0 and 1 (e.g. 0.05); got {alpha!r}")
        frame = self._base_tidy().copy()
        q = special.stdtrit(frame["df"].to_numpy(dtype=np.float64), 1.0 - alpha / 2.0)
        half = q * frame["car_se"].to_numpy()
        frame["ci_lower"] = frame["car"] - half
        frame["ci_upper"] = frame["car"] + half
        frame = self._vr_lead(self._lead(frame))
        frame = frame.join(adjust_pvalues(frame))
        # GARCH tests only when the study asked for them (volatility = 'garch')
        extra = [c for c in ("garch_se", "garch_t", "garch_p") if c in frame.columns]
        at = TIDY_COLUMNS.index("lead_test")
        return frame[TIDY_COLUMNS[:at] + extra + TIDY_COLUMNS[at:]]

    @property
    def car(self) -> pd.DataFrame:
        """The tidy table at ``alpha = 0.05`` (the ``car.csv`` of ``eventstudy run``)."""
        return self.tidy(0.05)

    @property
    def events(self) -> pd.DataFrame:
        """Every event in the order given, used or excluded, with its status and reason."""
        return self._events.copy()

    @property
    def tests(self) -> pd.DataFrame:
        """The test battery: ``group, start, end, test, statistic, p_value, n_events, note``."""
        return self._tests.copy()

    def _aggregates(self):
        a = self.arrays
        aar_rows, caar_rows = [], []
        for name, (rows, sign) in self._groups.items():
            rows = np.asarray(rows, dtype=np.int64)
            sign = np.asarray(sign, dtype=np.float64)
            # a multi-day return is no one day's AR: its days stay out of the daily average
            daily = np.where(self._multi_day[rows], np.nan, a.ar[rows])
            aar, se, n_t = _mean_and_se(daily * sign[:, None],
                                        np.where(self._multi_day[rows], np.nan,
                                                 a.ar_se[rows] ** 2))
            aar_rows.append(pd.DataFrame(
                {"group": name, "day": a.rel_win, "aar": aar, "aar_se": se, "n_events": n_t}))
            caar, cse, n_w = _mean_and_se(a.car[rows] * sign[:, None], a.car_se[rows] ** 2)
            caar_rows.append(pd.DataFrame({
                "group": name, "start": a.windows[:, 0], "end": a.windows[:, 1],
                "caar": caar, "caar_se": cse, "n_events": n_w}))
        cols_a = ["group", "day", "aar", "aar_se", "n_events"]
        cols_c = ["group", "start", "end", "caar", "caar_se", "n_events"]
        aar = pd.concat(aar_rows, ignore_index=True) if aar_rows else pd.DataFrame(columns=cols_a)
        caar = (pd.concat(caar_rows, ignore_index=True) if caar_rows
                else pd.DataFrame(columns=cols_c))
        with np.errstate(invalid="ignore", divide="ignore"):
            aar["t"] = aar["aar"].astype(float) / aar["aar_se"].astype(float)
            caar["t"] = caar["caar"].astype(float) / caar["caar_se"].astype(float)
        caar["p"] = 2.0 * special.ndtr(-np.abs(caar["t"].to_numpy(dtype=float)))
        return aar, caar

    @property
    def aar(self) -> pd.DataFrame:
        """Average AR per group and day: ``group, day, aar, aar_se, n_events, t``.

        The days of a multi-day return (trade-to-trade over dates without a
        price row) are left out of the day's average and its ``n_events``.
        """
        return self._cached("agg", self._aggregates)[0].copy()

    @property
    def caar(self) -> pd.DataFrame:
        """Average CAR per group and window: ``group, start, end, caar, caar_se, n_events,
        t, p``."""
        return self._cached("agg", self._aggregates)[1].copy()

    def _cached(self, key, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def normal_model(self) -> pd.DataFrame:
        """Each used event's normal-return model: coefficients, standard errors, fit.

        Returns
        -------
        DataFrame
            ``event_id, n_estimation, df, r2, resid_sd`` and per term ``<term>``
            and ``<term>_se``: ``const`` and the design columns (``market``; with
            ``factor_lags`` also ``<factor>_sum``, the summed Dimson beta),
            ``mean`` (``constant-mean``) or ``mean_ar`` (``market-adjusted``);
            ``synthetic``: ``rmspe`` and one weight per donor.

        Notes
        -----
        With s² = SSR/(n - k), S = Σ(x_t - x̄)(x_t - x̄)': Var(β̂) = s² S⁻¹,
        Var(α̂) = s²(1/n + x̄'S⁻¹x̄), a mean's variance s²/n; R² = 1 - SSR/TSS.
        The summed beta 1'β̂_f has se √(1'V_f 1) (Dimson 1979). RMSPE = √(SSR/n).

        References
        ----------
        Dimson, E. (1979). Risk measurement when shares are subject to
        infrequent trading. Journal of Financial Economics, 7(2), 197-226.
        """
        return self._cached("normal_model", self._normal_model).copy()

    def _normal_model(self) -> pd.DataFrame:
        a = self.arrays
        u = np.flatnonzero(a.used)
        names = _param_names(a.model, self.study.design_columns)
        out = {"event_id": self._ids[u], "n_estimation": a.n[u].astype(np.int64),
               "df": a.dof[u].astype(np.int64)}
        s2 = a.s2[u]
        n = a.n[u].astype(float)
        pos = self._positions(a.day0[u], a.rel_est)[1]
        ok = a.est_used[u]
        if u.size:
            ye = np.where(ok, self._y[pos], np.nan)
            ybar = np.nanmean(np.where(ok, ye, np.nan), axis=1)
            tss = np.nansum((ye - ybar[:, None]) ** 2, axis=1)
        else:
            tss = np.full(u.size, np.nan)
        ssr = s2 * a.dof[u]
        with np.errstate(invalid="ignore", divide="ignore"):
            r2 = 1.0 - ssr / tss
        se = np.full((u.size, len(names)), np.nan)
        sums = {}
        if a.model == "market" and u.size:
            m = len(names) - 1
            Xe = np.where(ok[:, :, None], self._X[pos], np.nan)
            xbar = np.nanmean(Xe, axis=1)
            Xc = np.where(ok[:, :, None], Xe - xbar[:, None, :], 0.0)
            S = np.einsum("eti,etj->eij", Xc, Xc)
            Sinv = np.linalg.inv(S) if m else np.zeros((u.size, 0, 0))
            se[:, 1:] = np.sqrt(s2[:, None] * np.einsum("eii->ei", Sinv))
            se[:, 0] = np.sqrt(s2 * (1.0 / n + np.einsum("ei,eij,ej->e", xbar, Sinv, xbar)))
            L = len(self.study.factor_lags)
            if L > 1:
                for j, f in enumerate(self.study.regressors):
                    block = slice(j * L, (j + 1) * L)
                    beta = a.params[u, 1:][:, block].sum(axis=1)
                    var = s2 * Sinv[:, block, block].sum(axis=(1, 2))
                    sums[f"{f}_sum"] = beta
                    sums[f"{f}_sum_se"] = np.sqrt(var)
        elif a.model != "synthetic":
            se[:, 0] = np.sqrt(s2 / n)
            if a.model == "constant-mean":
                r2 = np.zeros(u.size)
        out["r2"] = r2
        out["resid_sd"] = np.sqrt(s2)
        if a.model == "synthetic":
            out["rmspe"] = np.sqrt(ssr / n)
            for j, name in enumerate(names):
                out[name] = a.params[u, j]
        else:
            for j, name in enumerate(names):
                out[name] = a.params[u, j]
                out[f"{name}_se"] = se[:, j]
            out.update(sums)
        return pd.DataFrame(out)

    def synthetic_weights(self) -> pd.DataFrame:
        """The synthetic control of each used event: donor, weight, rmspe, n_estimation.

        Empty, with these columns, when the model is not ``synthetic``.
        """
        cols = ["event_id", "donor", "weight", "rmspe", "n_estimation"]
        if self.study.model != "synthetic":
            return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        nm = self.normal_model()
        donors = list(self.study.donors)
        K = len(donors)
        return pd.DataFrame({
            "event_id": np.repeat(nm["event_id"].to_numpy(), K), "donor": np.tile(donors, len(nm)),
            "weight": nm[donors].to_numpy().ravel(), "rmspe": np.repeat(nm["rmspe"].to_numpy(), K),
            "n_estimation": np.repeat(nm["n_estimation"].to_numpy(), K),
        })[cols]

    def estimation_days(self) -> pd.DataFrame:
        """Every day of each located event's estimation window, kept or not, and why.

        ``event_id, day, date, used, reason``: ``reason`` is ``''`` for a day in
        the sample, else the first of ``outside the data``, ``multi-day return
        (trade-to-trade)`` (a date without a price row and the first row after
        it), ``missing return``, ``contract roll`` (the asset's or a factor's
        return, or a lead/lag factor return, spans a switch), ``thin
        trading``, ``another event's window``, ``event excluded``.
        """
        a = self.arrays
        inside, posc = self._positions(a.day0, a.rel_est)
        used = a.est_used & a.used[:, None] & inside
        thin_rule = bool(self.study.exclude_thin_trading)
        reason = np.select(
            [used, ~inside, self._span[posc] != 1, self._missing[posc], self._roll[posc],
             self._thin[posc] & thin_rule, a.used[:, None]],
            ["", "outside the data", "multi-day return (trade-to-trade)", "missing return",
             "contract roll", "thin trading", "another event's window"],
            default="event excluded",
        )
        date = np.where(inside, self._dates.to_numpy()[posc], np.datetime64("NaT"))
        E, Le = posc.shape
        return pd.DataFrame({
            "event_id": np.repeat(self._ids, Le), "day": np.tile(a.rel_est, E),
            "date": pd.DatetimeIndex(date.ravel()), "used": used.ravel(), "reason": reason.ravel(),
        })

    def dummy_regression(self) -> pd.DataFrame:
        """The dummy-variable regression of the same events (:mod:`eventstudy.regression`).

        Empty when no event was used or the model is ``synthetic``.
        """
        from .regression import dummy_regression

        def build():
            if not self.n_used or self.study.model == "synthetic":
                return pd.DataFrame()
            return dummy_regression(self.study, self.data, self._located[self.arrays.used],
                                    classical=self.car)

        return self._cached("dummy", build).copy()

    def _car_column(self, column: str, name: str) -> pd.Series:
        c = self._base_tidy()
        index = pd.MultiIndex.from_frame(c[["event_id", "start", "end"]])
        return pd.Series(c[column].to_numpy(), index=index, name=name)

    @property
    def params(self) -> pd.Series:
        """Each event's CAR per window, indexed by ``(event_id, start, end)``."""
        return self._car_column("car", "car")

    cars = params

    @property
    def bse(self) -> pd.Series:
        """Standard error of each CAR, with estimation error, indexed like :attr:`cars`."""
        return self._car_column("car_se", "bse")

    @property
    def tvalues(self) -> pd.Series:
        """t statistic of each CAR, indexed like :attr:`cars`."""
        return self._car_column("t", "tvalues")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-value of each CAR (Student t, ``df`` of the event)."""
        return self._car_column("p", "pvalues")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """``lower, upper`` of each CAR (the tidy table's interval), indexed like :attr:`params`."""
        t = self.tidy(alpha)
        index = pd.MultiIndex.from_frame(t[["event_id", "start", "end"]])
        return pd.DataFrame({"lower": t["ci_lower"].to_numpy(), "upper": t["ci_upper"].to_numpy()},
                            index=index)

    def summary(self, alpha: float = 0.05, *, event_ids=None, windows=None,
                names=None) -> Summary:
        """The summary of these results: the reading of the headline events and windows.

        Parameters
        ----------
        alpha : float
            The interval's level.
        event_ids, windows : optional
            Default the study's ``headline_events`` and ``headline_windows``.
        names : dict of str -> str, optional
            Event id -> the name shown.

        Returns
        -------
        eventstudy.summary.Summary
        """
        from .summary import build_summary, header_facts

        s = self.study
        facts = header_facts(s, self.events, size_check=self.size_check, dates=self.dates,
                             tests=self.single_event_tests)
        return build_summary(
            self.tidy(alpha), facts, group_tests=self.tests, sizes=self.size_summary(),
            event_ids=s.headline_events if event_ids is None else event_ids,
            windows=s.headline_windows if windows is None else windows, alpha=alpha,
            names=names)

    def tables(self) -> dict:
        """Every table of a run, by the name of its file: ``car, ar, events, tests, volume, model``,
        ``weights`` (synthetic control), ``estimation``, ``dummy`` (with a used event),
        ``size_check`` (with a size check)."""
        out = {"car": self.car, "ar": self.ar, "events": self.events, "tests": self.tests,
               "volume": self.volume(), "model": self.normal_model()}
        if self.study.model == "synthetic":
            out["weights"] = self.synthetic_weights()
        out["estimation"] = self.estimation_days()
        if self.n_used:
            out["dummy"] = self.dummy_regression()
        return _with_size_checks(out, {self.study.asset: self})

    def settings(self) -> pd.DataFrame:
        """The study's settings and its prices' provenance
        (:func:`eventstudy.excel.settings_table`)."""
        from .excel import settings_table

        return settings_table(self.study, self.data.provenance if self.data is not None
                              else None)

    def to_excel(self, path):
        """Write :meth:`settings` and :meth:`tables` as one workbook, a sheet per table
        (:func:`eventstudy.excel.write_workbook`); ``eventstudy run`` writes it as
        ``results.xlsx``."""
        from .excel import write_workbook

        return write_workbook(path, self.tables(), self.settings())

    def regress(self, formula: str, *, window=(0, 1), weights=None, bootstrap=None,
                seed=None, alpha: float = 0.05):
        """Regress one window's CARs on the events' characteristics.

        Parameters
        ----------
        formula : str
            A statsmodels formula on ``car`` (and ``car_se``) and any column of
            the events file, e.g. ``"car ~ agriculture + C(kind)"``.
        window : (int, int)
            One of the study's windows.
        weights : None or "inverse_variance"
            OLS, or WLS with weights 1/car_se².
        bootstrap : int, optional
            Wild bootstrap draws (default
            :data:`eventstudy.crosssection.BOOTSTRAP_DRAWS`; 0 for none).
        seed : int, optional
            Default the study's seed.

        Returns
        -------
        eventstudy.crosssection.CrossSection
            HC3 fit, wild bootstrap p per coefficient, the events used and those
            left out with why (no CAR in the window, a missing characteristic).
        """
        from .crosssection import BOOTSTRAP_DRAWS, regress_cars, regression_frame

        window = _check_window(self.study, window)
        ev = self._events
        excluded = dict(zip(ev["event_id"], ev["reason"], strict=True))
        frame, left = regression_frame(self.tidy(alpha), self.catalogue.set_index("id"),
                                       self.event_ids, window, excluded=excluded)
        return regress_cars(frame, formula, window=window, weights=weights,
                            bootstrap=BOOTSTRAP_DRAWS if bootstrap is None else bootstrap,
                            seed=self.study.seed if seed is None else seed, left_out=left,
                            asset=self.study.asset)

    def __str__(self) -> str:
        return str(self.summary())

    def __repr__(self) -> str:
        return (f"<EventStudyResults {self.study.asset} model={self.study.model!r} "
                f"events used={self.n_used} of {len(self._events)}>")

    def _repr_html_(self) -> str:
        return self.summary().to_html()

    def cumulative(self):
        """Cumulative AR from the first window day and its variance γ'Vγ, both (E, Lw)."""
        a = self.arrays
        car = np.nancumsum(a.ar, axis=1)
        V0 = np.nan_to_num(a.V, nan=0.0)
        var = np.einsum("eii->ei", V0.cumsum(axis=1).cumsum(axis=2))
        bad = ~a.used
        car[bad] = np.nan
        var[bad] = np.nan
        return car, var

    def plot_ar(self, event_ids=None, *, alpha=0.05, ncols=2):
        """AR path of each event with its (1-α) band; see :func:`eventstudy.plots.plot_ar`."""
        from .plots import plot_ar

        return plot_ar(self, event_ids=event_ids, alpha=alpha, ncols=ncols)

    def plot_car(self, event_ids=None, *, alpha=0.05, ncols=2):
        """CAR path of each event with its (1-α) band; see :func:`eventstudy.plots.plot_car`."""
        from .plots import plot_car

        return plot_car(self, event_ids=event_ids, alpha=alpha, ncols=ncols)

    def plot_caar(self, groups=None, *, alpha=0.05):
        """CAAR path per group with its (1-α) band; see :func:`eventstudy.plots.plot_caar`."""
        from .plots import plot_caar

        return plot_caar(self, groups=groups, alpha=alpha)


def _span_last(span) -> np.ndarray:
    """Position of the last trade date of each row's return period (the row carrying it)."""
    ends = np.flatnonzero(span > 0)
    pos = np.arange(span.size)
    if ends.size == 0:
        return pos
    nxt = np.searchsorted(ends, pos, side="left")
    return np.where(nxt < ends.size, ends[np.minimum(nxt, ends.size - 1)], pos)


def _span_text(first, last, d0, lo, hi, valid) -> tuple[list[str], str]:
    """Sentences on the multi-day returns window [lo, hi] of day 0 ``d0`` meets, and why it
    has no CAR ('' when it has one).

    ``first``/``last``: the first and last position of each row's return period
    (one position for a one-day return); ``valid``: the engine's usable days.
    """
    T = first.size
    p0, p1 = max(d0 + lo, 0), min(d0 + hi, T - 1)
    parts, cut = [], ""
    pos = np.arange(p0, p1 + 1)
    multi = pos[first[pos] != last[pos]]
    for begin, end in sorted({(int(first[t]), int(last[t])) for t in multi}):
        b, e = begin - d0, end - d0
        gap = _days_text(np.arange(b, e))
        text = (f"no price row on day{'s' if e - b > 1 else ''} {gap}: day {e:+d}'s return "
                f"spans days {b:+d} to {e:+d} (trade-to-trade)")
        if b < lo or e > hi:
            cut = (f"the window {'ends' if e > hi else 'begins'} inside a multi-day return "
                   f"({text})")
        elif valid[end]:
            parts.append(f"{text}; the CAR sums it with the normal returns of those days")
        else:
            parts.append(f"{text}, not usable (a contract roll or a missing return in the "
                         "span): the CAR leaves those days out")
    return parts, cut


def _event_rows(ev, status, reason, n_estimation, offset) -> pd.DataFrame:
    """Rows of the events table for the events frame ``ev`` (ordered by ``_order``)."""
    titles = ev["title"] if "title" in ev.columns else ev["id"]
    return pd.DataFrame({
        "event_id": ev["id"].astype(str).to_numpy(),
        "trade_date": pd.DatetimeIndex(ev["trade_date"]) if len(ev) else pd.DatetimeIndex([]),
        "title": titles.astype(str).to_numpy(), "category": ev["category"].astype(str).to_numpy(),
        "direction": ev["direction"].astype("Int64").fillna(0).to_numpy(np.int64),
        "status": status, "reason": reason, "n_estimation": n_estimation,
        "_order": ev["_order"].to_numpy() if "_order" in ev else offset + np.arange(len(ev)),
    })


def _mean_and_se(values, variances):
    """Mean over events (axis 0) of the present values, and √(Σ variances) / N (NaN when N = 0)."""
    n = np.isfinite(values).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(values, axis=0) / np.maximum(n, 1), np.nan)
        se = np.where(n > 0, np.sqrt(np.nansum(variances, axis=0)) / np.maximum(n, 1), np.nan)
    return mean, se, n


def _param_names(model, factors):
    if model == "market":
        return ["const", *map(str, factors)]
    if model == "synthetic":
        return list(map(str, factors))
    if model == "constant-mean":
        return ["mean"]
    return ["mean_ar"]


def check_event_ids(results: EventStudyResults, event_ids) -> list[str]:
    """The given ids, checked to be events of ``results`` (InferenceError naming the unknown)."""
    ids = [event_ids] if isinstance(event_ids, str) else list(event_ids)
    known = set(results.event_ids)
    unknown = [e for e in ids if e not in known]
    if unknown:
        raise InferenceError(f"unknown event id{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(map(repr, unknown))}; events of this study: "
                             f"{', '.join(results.event_ids)}")
    return ids


class MultiAssetResults:
    """Several assets measured around the same events: one results object per asset.

    Each asset's :class:`EventStudyResults` is that of the one-asset study
    (:meth:`eventstudy.Study.for_asset`); every table stacks the assets', with
    ``asset`` first; :meth:`cross_asset` tests each event across the assets.
    """

    def __init__(self, results: dict, *, study):
        if not results:
            raise InferenceError("MultiAssetResults needs at least one asset's results")
        self.results = dict(results)
        self.study = study
        self._cache = {}
        self._frozen = True

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(f"MultiAssetResults is immutable; cannot set {name!r}")
        super().__setattr__(name, value)

    @property
    def assets(self) -> list[str]:
        """The assets, in the study's order."""
        return list(self.results)

    def select(self, assets) -> dict:
        """The results of some assets, by label (KeyError naming the assets)."""
        missing = [a for a in assets if a not in self.results]
        if missing:
            raise KeyError(f"no asset {', '.join(map(repr, missing))}; assets: "
                           f"{', '.join(self.results)}")
        return {a: self.results[a] for a in assets}

    @property
    def event_ids(self) -> list[str]:
        return next(iter(self.results.values())).event_ids

    @property
    def used_ids(self) -> list[str]:
        """Events used by at least one asset, in order."""
        used = {e for r in self.results.values() for e in r.used_ids}
        return [e for e in self.event_ids if e in used]

    @property
    def n_used(self) -> int:
        return len(self.used_ids)

    def title_of(self, event_id: str) -> str:
        return next(iter(self.results.values())).title_of(event_id)

    def _stack(self, name: str, method: bool = False, **kw) -> pd.DataFrame:
        frames = []
        for asset, res in self.results.items():
            table = getattr(res, name)(**kw) if method else getattr(res, name)
            frames.append(table.assign(asset=asset)[["asset", *table.columns]])
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Every asset's tidy table, stacked, with ``asset`` first.

        ``p_holm, p_bh`` adjust ``lead_p`` across the events and the assets of
        each window (one family per window of the study).
        """
        table = self._stack("tidy", method=True, alpha=alpha)
        if not len(table):
            return table
        adjusted = adjust_pvalues(table)
        return table.assign(p_holm=adjusted["p_holm"], p_bh=adjusted["p_bh"])

    @property
    def car(self) -> pd.DataFrame:
        return self.tidy(0.05)

    @property
    def ar(self) -> pd.DataFrame:
        return self._stack("ar")

    @property
    def events(self) -> pd.DataFrame:
        """Every event on every asset: status and reason per asset (an asset may drop an event)."""
        return self._stack("events")

    @property
    def tests(self) -> pd.DataFrame:
        """The group tests of each asset, stacked."""
        return self._stack("tests")

    def normal_model(self) -> pd.DataFrame:
        return self._stack("normal_model", method=True)

    def volume(self) -> pd.DataFrame:
        """Every asset's abnormal volume table, stacked, with ``asset`` first (an asset
        without volume has no rows; :attr:`volume_notes` says why)."""
        return self._stack("volume", method=True)

    @property
    def volume_notes(self) -> dict:
        """Asset -> why it has no abnormal volume (assets with volume left out)."""
        return {a: r.volume_note for a, r in self.results.items() if r.volume_note}

    def synthetic_weights(self) -> pd.DataFrame:
        """Every asset's synthetic-control weights, stacked."""
        return self._stack("synthetic_weights", method=True)

    def estimation_days(self) -> pd.DataFrame:
        return self._stack("estimation_days", method=True)

    def dummy_regression(self) -> pd.DataFrame:
        return self._stack("dummy_regression", method=True)

    def cross_asset(self, alpha: float = 0.05) -> pd.DataFrame:
        """Each event tested across the assets, with the correlation of their returns.

        Returns
        -------
        DataFrame
            Per event and window with two or more assets' CARs: ``event_id, start,
            end, n_assets, assets, mean_car, mean_se, z, p_mean, wald, df,
            p_joint, mean_corr, note``.

        Notes
        -----
        With CARs c_i, standard errors s_i and ρ_ij the correlation of the assets'
        estimation residuals on their shared dates, Σ_ij = ρ_ij s_i s_j. The mean
        CAR m = 1'c/N has Var(m) = 1'Σ1/N², z = m/√Var(m) (the portfolio approach;
        cf. Kolari and Pynnönen 2010); W = c'Σ⁺c is χ² with rank(ρ) degrees of
        freedom (Binder 1985; Schipper and Thompson 1983).

        References
        ----------
        Binder, J. J. (1985). Measuring the effects of regulation with stock
        price data. RAND Journal of Economics, 16(2), 167-183.
        Kolari, J. W., Pynnönen, S. (2010). Event study testing with
        cross-sectional correlation of abnormal returns. Review of Financial
        Studies, 23(11), 3996-4025.
        Schipper, K., Thompson, R. (1983). The impact of merger-related
        regulations on the shareholders of acquiring firms. Journal of
        Accounting Research, 21(1), 184-221.
        """
        if "cross" in self._cache:
            return self._cache["cross"].copy()
        tidy = {a: r.tidy(alpha).set_index(["event_id", "start", "end"])
                for a, r in self.results.items()}
        rows = []
        for eid in self.used_ids:
            resid = {a: _residuals_by_date(r, eid) for a, r in self.results.items()
                     if eid in r.used_ids}
            for lo, hi in self.study.windows:
                have = [a for a in resid if (eid, lo, hi) in tidy[a].index
                        and np.isfinite(tidy[a].loc[(eid, lo, hi), "car"])]
                base = {"event_id": eid, "start": lo, "end": hi, "n_assets": len(have),
                        "assets": ", ".join(have)}
                if len(have) < 2:
                    rows.append({**base, "note": "fewer than two assets have a CAR"})
                    continue
                c = np.array([tidy[a].loc[(eid, lo, hi), "car"] for a in have])
                se = np.array([tidy[a].loc[(eid, lo, hi), "car_se"] for a in have])
                # the days every asset shares, so that the correlation matrix is one
                # sample's (positive semi-definite)
                frame = pd.concat([resid[a].rename(a) for a in have], axis=1, sort=True).dropna()
                if len(frame) < 30:
                    rows.append({**base, "note": f"only {len(frame)} shared estimation days "
                                 "(< 30) to measure the assets' correlation"})
                    continue
                rho = np.corrcoef(frame.to_numpy(), rowvar=False)
                sigma = rho * np.outer(se, se)
                n = len(have)
                m = c.mean()
                var_m = sigma.sum() / n**2
                z = m / np.sqrt(var_m)
                # a spread and its two legs are nearly collinear: the joint test then
                # uses the pseudo-inverse and the rank of the covariance
                eig = np.linalg.eigvalsh(rho)
                rank = int((eig > 1e-6 * eig.max()).sum())
                wald = float(c @ np.linalg.pinv(sigma, rcond=1e-6, hermitian=True) @ c)
                off = rho[~np.eye(n, dtype=bool)]
                note = "" if rank == n else (f"the assets' returns are nearly collinear (rank "
                                             f"{rank} of {n}, e.g. a spread and its legs): the "
                                             f"joint test has {rank} degrees of freedom")
                rows.append({**base, "mean_car": m, "mean_se": float(np.sqrt(var_m)),
                             "z": float(z), "p_mean": float(2 * special.ndtr(-abs(z))),
                             "wald": wald, "df": rank,
                             "p_joint": float(special.chdtrc(rank, wald)),
                             "mean_corr": float(off.mean()), "note": note})
        cols = ["event_id", "start", "end", "n_assets", "assets", "mean_car", "mean_se", "z",
                "p_mean", "wald", "df", "p_joint", "mean_corr", "note"]
        table = pd.DataFrame(rows, columns=cols)
        self._cache["cross"] = table
        return table.copy()

    def summary(self, alpha: float = 0.05, *, event_ids=None, windows=None,
                names=None) -> Summary:
        """Every asset's summary stacked (:meth:`Summary.stack`), then the cross-asset tests."""
        from .summary import Summary, cross_asset_table

        s = self.study
        parts = {a: r.summary(alpha, event_ids=event_ids, windows=windows, names=names)
                 for a, r in self.results.items()}
        cross = self.cross_asset(alpha)
        extra = ((("Across assets: the mean CAR with the assets' correlation, and the joint "
                   "Wald test that every CAR is zero"), cross_asset_table(cross)),) \
            if len(cross) else ()
        title = None if s is None else s.title or (
            s.name if s.path is not None else f"Event study of {', '.join(self.assets)}")
        return Summary.stack(parts, title=title,
                             description=s.description if s is not None else "", extra=extra)

    def tables(self) -> dict:
        """Every table of a run, stacked over the assets (:meth:`EventStudyResults.tables`),
        with ``cross``."""
        out = {"car": self.car, "ar": self.ar, "events": self.events, "tests": self.tests,
               "volume": self.volume(), "model": self.normal_model()}
        if self.study.model == "synthetic":
            out["weights"] = self.synthetic_weights()
        out["estimation"] = self.estimation_days()
        out["cross"] = self.cross_asset()
        if self.n_used:
            out["dummy"] = self.dummy_regression()
        return _with_size_checks(out, self.results)

    def settings(self) -> pd.DataFrame:
        """The study's settings and every asset's prices' provenance."""
        from .excel import settings_table

        return settings_table(self.study, {a: r.data.provenance for a, r in
                                           self.results.items() if r.data is not None})

    def to_excel(self, path):
        """:meth:`EventStudyResults.to_excel` of the stacked tables."""
        from .excel import write_workbook

        return write_workbook(path, self.tables(), self.settings())

    def regress(self, formula: str, *, window=(0, 1), weights=None, bootstrap=None,
                seed=None, alpha: float = 0.05):
        """:meth:`EventStudyResults.regress` on each asset:
        :class:`eventstudy.crosssection.CrossSections` (asset -> its regression)."""
        from .crosssection import CrossSections

        return CrossSections({a: r.regress(formula, window=window, weights=weights,
                                           bootstrap=bootstrap, seed=seed, alpha=alpha)
                              for a, r in self.results.items()})

    def __str__(self) -> str:
        return str(self.summary())

    def __repr__(self) -> str:
        return f"<MultiAssetResults {', '.join(self.assets)}: events used={self.n_used}>"

    def _repr_html_(self) -> str:
        return self.summary().to_html()


def _with_size_checks(tables: dict, runs: dict) -> dict:
    """``tables`` with ``size_check``: each asset's size-check table, ``asset`` first."""
    checks = [r.size_check.summary().assign(asset=a) for a, r in runs.items()
              if r.size_check is not None]
    if checks:
        table = pd.concat(checks, ignore_index=True)
        tables["size_check"] = table[["asset", *[c for c in table.columns if c != "asset"]]]
    return tables


def _check_window(study, window) -> tuple[int, int]:
    """``window`` as a pair of ints when it is one of the study's windows, else an OptionError."""
    try:
        pair = (int(window[0]), int(window[1]))
    except (TypeError, ValueError, IndexError):
        pair = None
    valid = [tuple(int(v) for v in w) for w in study.windows]
    if pair is None or pair not in valid or len(window) != 2:
        raise OptionError(f"window must be one of the study's windows "
                          f"{', '.join(f'({a}, {b})' for a, b in valid)}; got {window!r}")
    return pair


def _residuals_by_date(results: EventStudyResults, event_id: str) -> pd.Series:
    """One event's estimation-sample residuals, indexed by trade date."""
    a = results.arrays
    row = int(results.event_rows([event_id])[0])
    pos = a.day0[row] + a.rel_est
    ok = a.est_used[row] & (pos >= 0) & (pos < len(results.dates))
    return pd.Series(a.est_ar[row][ok], index=results.dates[pos[ok]])
