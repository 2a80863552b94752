"""Results of an event study: tidy tables, aggregates, summary, notebook display, figures.

:class:`EventStudyResults` is built once by :meth:`eventstudy.model.EventStudy.fit`
and not changed afterwards. Its canonical table is :meth:`EventStudyResults.tidy`
(one row per event and CAR window); the other accessors are read from the
engine arrays (:class:`eventstudy.engine.EventArrays`, kept as ``.arrays``)
with the labels put back on.
"""

from __future__ import annotations

import copy
import html

import numpy as np
import pandas as pd
from scipy import stats

from .exceptions import OptionError

__all__ = ["EventStudyResults", "TESTS_COLUMNS"]

TESTS_COLUMNS = ["group", "start", "end", "test", "statistic", "p_value", "n_events"]
_PCT = 100.0


class EventStudyResults:
    """Abnormal returns, CARs and their aggregates, labelled.

    Parameters
    ----------
    arrays : EventArrays
        Engine output, one row per located event (same order as ``events``).
    events : DataFrame
        The located events (``id``, ``trade_date``, ``category``, ``direction``, ...).
    excluded : DataFrame
        Events that never reached the engine (pending, after the data), with ``reason``.
    dates : DatetimeIndex
        The asset's trade dates (the return index).
    roll, thin : ndarray of bool
        Roll and thin-trading flags on ``dates``.
    config : dict
        The study's options (asset, factors, model, estimation, windows, ...).
    tests : DataFrame, optional
        The inference battery (columns ``group, start, end, test, statistic,
        p_value, n_events``); empty when not given.

    Notes
    -----
    Aggregates (:attr:`aar`, :attr:`caar`) average over the used events of a
    group: all events; each ``category``; and ``signed``, the events with
    direction ≠ 0 with AR multiplied by their direction so that escalations
    and de-escalations pool. Their standard errors assume no cross-correlation
    between events (MacKinlay 1997, eq. 15-16):
    se(AAR_τ) = √(Σ_i Var(AR_iτ)) / N_τ and se(CAAR) = √(Σ_i Var(CAR_i)) / N,
    with each event's variance including estimation error; t = estimate / se,
    p two-sided from the standard normal. Overlapping event windows violate
    the no-cross-correlation assumption; the tests in :attr:`tests` address it.
    """

    def __init__(self, *, arrays, events, excluded, dates, roll, thin, config, tests=None,
                 missing=None):
        a = arrays
        self.arrays = a
        self.config = dict(config)
        self._dates = pd.DatetimeIndex(dates)
        self._roll = np.asarray(roll, dtype=bool)
        self._thin = np.asarray(thin, dtype=bool)
        self._missing = (
            np.zeros(len(self._dates), dtype=bool) if missing is None
            else np.asarray(missing, dtype=bool)
        )
        ev = events.reset_index(drop=True)
        ids = ev["id"].astype(str).to_numpy()
        self._ids = ids
        self._category = ev["category"].astype(str).to_numpy() if len(ev) else np.array([], str)
        self._direction = ev["direction"].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
        self._titles = ev["title"].astype(str).to_numpy() if "title" in ev.columns else ids.copy()
        T = len(self._dates)
        used = a.used
        u = np.flatnonzero(used)
        Lw = a.rel_win.size
        W = a.windows.shape[0]

        # AR table (used events x window days).
        pos = a.day0[u, None] + a.rel_win[None, :]
        inside = (pos >= 0) & (pos < T)
        posc = np.clip(pos, 0, max(T - 1, 0))
        date = np.where(inside, self._dates.to_numpy()[posc], np.datetime64("NaT"))
        roll = np.asarray(roll, dtype=bool)
        thin = np.asarray(thin, dtype=bool)
        self._ar = pd.DataFrame(
            {
                "event_id": np.repeat(ids[u], Lw),
                "day": np.tile(a.rel_win, u.size),
                "date": pd.DatetimeIndex(date.ravel()),
                "ret": a.ret[u].ravel(),
                "normal": a.normal[u].ravel(),
                "ar": a.ar[u].ravel(),
                "ar_se": a.ar_se[u].ravel(),
                "roll": (roll[posc] & inside).ravel(),
                "thin": (thin[posc] & inside).ravel(),
            }
        )

        # CAR table: the canonical tidy table.
        self._car = pd.DataFrame(
            {
                "event_id": np.repeat(ids[u], W),
                "category": np.repeat(self._category[u], W),
                "direction": np.repeat(self._direction[u], W),
                "start": np.tile(a.windows[:, 0], u.size),
                "end": np.tile(a.windows[:, 1], u.size),
                "car": a.car[u].ravel(),
                "car_se": a.car_se[u].ravel(),
                "t": a.tstat[u].ravel(),
                "p": a.pvalue[u].ravel(),
                "n_days": a.n_days[u].ravel(),
                "df": np.repeat(a.dof[u], W),
            }
        )

        names = _param_names(a.model, self.config.get("factors", ()))
        par = pd.DataFrame(a.params[u], columns=names)
        self._params = pd.concat(
            [
                pd.DataFrame({"event_id": ids[u]}),
                par,
                pd.DataFrame({"s2": a.s2[u], "n": a.n[u], "k": a.k, "df": a.dof[u]}),
            ],
            axis=1,
        )

        td = pd.DatetimeIndex(ev["trade_date"]) if len(ev) else pd.DatetimeIndex([])
        located = pd.DataFrame(
            {
                "event_id": ids,
                "trade_date": td,
                "category": self._category,
                "direction": self._direction,
                "status": np.where(used, "used", "excluded"),
                "reason": a.reason.astype(str),
                "n_estimation": a.n,
            }
        )
        ex = excluded.reset_index(drop=True)
        if len(ex):
            pre = pd.DataFrame(
                {
                    "event_id": ex["id"].astype(str).to_numpy(),
                    "trade_date": pd.DatetimeIndex(ex["trade_date"]),
                    "category": ex["category"].astype(str).to_numpy(),
                    "direction": ex["direction"].astype("Int64").fillna(0).to_numpy(np.int64),
                    "status": "excluded",
                    "reason": ex["reason"].astype(str).to_numpy(),
                    "n_estimation": 0,
                }
            )
            located = pd.concat([located, pre], ignore_index=True)
        self._events = located

        self._aar, self._caar = self._aggregates()
        self._tests = (
            pd.DataFrame({c: pd.Series(dtype=object) for c in TESTS_COLUMNS})
            if tests is None
            else pd.DataFrame(tests).reset_index(drop=True)
        )
        self._frozen = True

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(
                f"EventStudyResults is immutable; cannot set {name!r} (fit a new EventStudy)"
            )
        super().__setattr__(name, value)

    # ------------------------------------------------------------------ groups
    def group_indices(self) -> dict:
        """Aggregate groups as ``name -> (event rows of arrays, sign per event)``.

        The form :func:`eventstudy.inference.test_battery` takes: ``all``, one
        ``category=<name>`` per category, and ``signed`` (events with direction
        ≠ 0, sign = direction).
        """
        return {name: (rows, sign) for name, rows, sign in self._groups()}

    def _with_tests(self, tests) -> EventStudyResults:
        """A copy of these results with the test battery attached (used by ``fit``)."""
        new = copy.copy(self)
        object.__setattr__(new, "_tests", pd.DataFrame(tests).reset_index(drop=True))
        return new

    def _groups(self):
        """(name, row indices into the arrays, sign per row) for each aggregate group."""
        u = np.flatnonzero(self.arrays.used)
        out = [("all", u, np.ones(u.size))]
        for cat in sorted(set(self._category[u])):
            if cat and cat != "<NA>":
                sel = u[self._category[u] == cat]
                out.append((f"category={cat}", sel, np.ones(sel.size)))
        d = self._direction[u]
        if (d != 0).any():
            sel = u[d != 0]
            out.append(("signed", sel, self._direction[sel].astype(np.float64)))
        return out

    def _aggregates(self):
        a = self.arrays
        aar_rows, caar_rows = [], []
        for name, rows, sign in self._groups():
            ar = a.ar[rows] * sign[:, None]
            var = a.ar_se[rows] ** 2
            n_t = np.isfinite(ar).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                aar = np.where(n_t > 0, np.nansum(ar, axis=0) / n_t, np.nan)
                se = np.where(n_t > 0, np.sqrt(np.nansum(var, axis=0)) / n_t, np.nan)
            aar_rows.append(
                pd.DataFrame(
                    {"group": name, "day": a.rel_win, "aar": aar, "aar_se": se, "n_events": n_t}
                )
            )
            car = a.car[rows] * sign[:, None]
            cvar = a.car_se[rows] ** 2
            n_w = np.isfinite(car).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                caar = np.where(n_w > 0, np.nansum(car, axis=0) / n_w, np.nan)
                cse = np.where(n_w > 0, np.sqrt(np.nansum(cvar, axis=0)) / n_w, np.nan)
            caar_rows.append(
                pd.DataFrame(
                    {
                        "group": name,
                        "start": a.windows[:, 0],
                        "end": a.windows[:, 1],
                        "caar": caar,
                        "caar_se": cse,
                        "n_events": n_w,
                    }
                )
            )
        aar = pd.concat(aar_rows, ignore_index=True)
        caar = pd.concat(caar_rows, ignore_index=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            aar["t"] = aar["aar"] / aar["aar_se"]
            caar["t"] = caar["caar"] / caar["caar_se"]
        caar["p"] = 2.0 * stats.norm.sf(np.abs(caar["t"].to_numpy()))
        return aar, caar

    # --------------------------------------------------------------- accessors
    def tidy(self) -> pd.DataFrame:
        """The canonical table: one row per used event and CAR window.

        Columns ``event_id, category, direction, start, end, car, car_se, t,
        p, n_days, df``.
        """
        return self._car.copy()

    @property
    def car(self) -> pd.DataFrame:
        """CAR per event and window: ``event_id, start, end, car, car_se, t, p, n_days, df``."""
        return self._car.drop(columns=["category", "direction"])

    @property
    def ar(self) -> pd.DataFrame:
        """AR per event and day: ``event_id, day, date, ret, normal, ar, ar_se, roll, thin``."""
        return self._ar.copy()

    @property
    def params(self) -> pd.DataFrame:
        """Per-event normal-return parameters with ``s2, n, k, df``."""
        return self._params.copy()

    @property
    def events(self) -> pd.DataFrame:
        """Every event: ``event_id, trade_date, category, direction, status, reason,
        n_estimation``."""
        return self._events.copy()

    @property
    def aar(self) -> pd.DataFrame:
        """Average AR per group and day: ``group, day, aar, aar_se, n_events, t``."""
        return self._aar.copy()

    @property
    def caar(self) -> pd.DataFrame:
        """Average CAR per group and window: ``group, start, end, caar, caar_se, n_events,
        t, p``."""
        return self._caar.copy()

    @property
    def tests(self) -> pd.DataFrame:
        """The test battery: ``group, start, end, test, statistic, p_value, n_events``."""
        return self._tests.copy()

    def estimation_days(self) -> pd.DataFrame:
        """Every day of each located event's estimation window, kept or not, and why.

        Returns
        -------
        DataFrame
            ``event_id, day, date, used, reason`` with one row per event and
            estimation day; ``reason`` is ``''`` for a day in the sample,
            else the first that applies of ``outside the data``, ``missing
            return`` (asset or factor), ``contract roll``, ``thin trading``
            (with ``exclude_thin_trading``) and ``another event's window``
            (with ``exclude_other_events``). An excluded event (see
            :attr:`events`) has no day in use.
        """
        a = self.arrays
        T = len(self._dates)
        pos = a.day0[:, None] + a.rel_est[None, :]
        inside = (pos >= 0) & (pos < T)
        posc = np.clip(pos, 0, max(T - 1, 0))
        used = a.est_used & a.used[:, None] & inside
        thin_rule = bool(self.config.get("exclude_thin_trading", True))
        reason = np.select(
            [
                used,
                ~inside,
                self._missing[posc],
                self._roll[posc],
                self._thin[posc] & thin_rule,
                a.used[:, None],
            ],
            ["", "outside the data", "missing return", "contract roll", "thin trading",
             "another event's window"],
            default="event excluded",
        )
        date = np.where(inside, self._dates.to_numpy()[posc], np.datetime64("NaT"))
        E, Le = pos.shape
        return pd.DataFrame(
            {
                "event_id": np.repeat(self._ids, Le),
                "day": np.tile(a.rel_est, E),
                "date": pd.DatetimeIndex(date.ravel()),
                "used": used.ravel(),
                "reason": reason.ravel(),
            }
        )

    def _car_column(self, column: str, name: str) -> pd.Series:
        c = self._car
        index = pd.MultiIndex.from_frame(c[["event_id", "start", "end"]])
        return pd.Series(c[column].to_numpy(), index=index, name=name)

    @property
    def cars(self) -> pd.Series:
        """Each CAR, indexed by ``(event_id, start, end)`` (the estimates)."""
        return self._car_column("car", "car")

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
        """Two-sided p-value of each CAR (Student t, ``df`` of the event), indexed like
        :attr:`cars`."""
        return self._car_column("p", "pvalues")

    @property
    def n_used(self) -> int:
        """Number of events used."""
        return int(self.arrays.used.sum())

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of each CAR: CAR ± t_{df, 1-α/2} · se.

        Returns
        -------
        DataFrame
            ``event_id, start, end, car, lower, upper``.
        """
        if not 0.0 < alpha < 1.0:
            raise OptionError(f"alpha must be between 0 and 1 (e.g. 0.05); got {alpha!r}")
        c = self._car
        q = stats.t.ppf(1.0 - alpha / 2.0, c["df"].to_numpy(dtype=np.float64))
        half = q * c["car_se"].to_numpy()
        return pd.DataFrame(
            {
                "event_id": c["event_id"],
                "start": c["start"],
                "end": c["end"],
                "car": c["car"],
                "lower": c["car"] - half,
                "upper": c["car"] + half,
            }
        )

    # ------------------------------------------------------------ display
    def _header(self) -> list[tuple[str, str]]:
        cfg = self.config
        ev = self._events
        return [
            ("Asset", str(cfg.get("asset"))),
            ("Factors", ", ".join(cfg.get("factors", ())) or "none"),
            ("Model", str(cfg.get("model"))),
            ("Estimation window", "[{}, {}] trade days".format(*cfg.get("estimation"))),
            ("CAR windows", ", ".join(f"[{a}, {b}]" for a, b in cfg.get("windows", ()))),
            ("Exclude other events", str(cfg.get("exclude_other_events"))),
            ("Exclude thin trading", str(cfg.get("exclude_thin_trading"))),
            ("Min. estimation days", str(cfg.get("min_estimation_days"))),
            (
                "Events used / excluded",
                f"{self.n_used} / {int((ev['status'] == 'excluded').sum())}",
            ),
        ]

    def _car_display(self) -> pd.DataFrame:
        c = self._car
        return pd.DataFrame(
            {
                "event": c["event_id"],
                "window": "[" + c["start"].astype(str) + ", " + c["end"].astype(str) + "]",
                "CAR %": (c["car"] * _PCT).round(3),
                "se %": (c["car_se"] * _PCT).round(3),
                "t": c["t"].round(2),
                "p": c["p"].round(4),
                "days": c["n_days"],
                "df": c["df"],
            }
        )

    def _caar_display(self) -> pd.DataFrame:
        c = self._caar
        return pd.DataFrame(
            {
                "group": c["group"],
                "window": "[" + c["start"].astype(str) + ", " + c["end"].astype(str) + "]",
                "CAAR %": (c["caar"] * _PCT).round(3),
                "se %": (c["caar_se"] * _PCT).round(3),
                "t": c["t"].round(2),
                "p": c["p"].round(4),
                "events": c["n_events"],
            }
        )

    def _excluded_display(self) -> pd.DataFrame:
        e = self._events
        return e.loc[e["status"] == "excluded", ["event_id", "trade_date", "reason"]]

    def summary(self) -> str:
        """Plain-text summary: options, CAR per event, CAAR per group, exclusions."""
        head = self._header()
        width = max(len(k) for k, _ in head)
        lines = ["Event study results", "=" * 19]
        lines += [f"{k.ljust(width)} : {v}" for k, v in head]
        lines += ["", "CAR by event (log returns, %; se with estimation error, t with df)"]
        lines += [self._car_display().to_string(index=False) if len(self._car) else "(none)"]
        lines += ["", "CAAR by group (se assumes no cross-correlation; p from the normal)"]
        lines += [self._caar_display().to_string(index=False) if self.n_used else "(none)"]
        ex = self._excluded_display()
        if len(ex):
            lines += ["", "Excluded events"]
            lines += [f"  {r.event_id}: {r.reason}" for r in ex.itertuples()]
        if len(self._tests):
            lines += ["", "Tests", self._tests.to_string(index=False)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"<EventStudyResults {self.config.get('asset')} model={self.config.get('model')!r} "
            f"events used={self.n_used} of {len(self._events)}>"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._header()
        )
        parts = [
            "<div class='eventstudy-results'><h4>Event study results</h4>",
            f"<table>{rows}</table>",
            "<h5>CAR by event (log returns, %)</h5>",
            self._car_display().to_html(index=False, na_rep="—"),
            "<h5>CAAR by group (se assumes no cross-correlation)</h5>",
            self._caar_display().to_html(index=False, na_rep="—"),
        ]
        ex = self._excluded_display()
        if len(ex):
            parts += ["<h5>Excluded events</h5>", ex.to_html(index=False)]
        if len(self._tests):
            parts += ["<h5>Tests</h5>", self._tests.to_html(index=False)]
        parts.append("</div>")
        return "".join(parts)

    # ------------------------------------------------------------- figures
    def cumulative(self):
        """Cumulative AR from the first window day to each day, with its variance.

        Returns
        -------
        (ndarray, ndarray)
            CAR_i(min_start..τ) and Var = γ_τ'Vγ_τ, both (E, Lw); missing days
            contribute nothing.
        """
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

    # ---------------------------------------------------------- internals
    def _rows_of(self, event_ids):
        """Array rows of the given (used) event ids, all used events when None."""
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


def _param_names(model, factors):
    if model == "market":
        return ["const", *map(str, factors)]
    if model == "constant-mean":
        return ["mean"]
    return ["mean_ar"]
