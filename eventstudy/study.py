"""Study files (TOML) and ``eventstudy run``.

A study file names everything an event study needs, one key per choice::

    title = "Soybeans and the 2025 US-China news"
    asset = "ZS=F"
    factors = ["SPY", "UUP"]
    model = "market"                  # 'constant-mean' | 'market-adjusted' | 'market'
    returns = "log"                   # 'log' | 'simple'
    estimation = [-250, -11]          # trading days relative to day 0
    windows = [[0, 0], [0, 1], [-1, 1], [-1, 5]]
    events = "../data/events.csv"     # relative to the study file
    event_ids = ["busan-meeting", "trump-xi-call"]   # optional subset
    exclude_other_events = true
    other_events = "study"            # 'study' | 'file': whose windows are "other events"
    exclude_thin_trading = true
    mask_rolls = true
    min_estimation_days = 100
    group_by = "direction"            # 'all' | 'direction' | 'category'
    placebo_draws = 10000
    seed = 20251124

:func:`load_study` validates every key and raises
:class:`~eventstudy.exceptions.StudyConfigError` naming the file, the key, the
value and the fix; :func:`run_study` runs the study and writes tidy CSV files,
a Markdown summary and figures.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ._options import ModelName, ReturnKind, check_option
from .events import DEFAULT_EVENTS, load_events
from .exceptions import OptionError, StudyConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "Study",
    "StudyRun",
    "analyse",
    "event_verdicts",
    "group_verdicts",
    "reading",
    "summary_markdown",
    "write_figures",
    "headline_table",
    "robustness_table",
    "ROBUSTNESS_VARIANTS",
    "dummy_regression_table",
    "GroupBy",
    "STUDY_KEYS",
    "load_study",
    "run_study",
]

logger = logging.getLogger(__name__)


#: How events are pooled in the tests table: all together, or by the catalogue's
#: ``direction`` (+1 escalation / -1 de-escalation) or ``category`` column.
GroupBy = Literal["all", "direction", "category"]

#: Whose windows are "other events" for ``exclude_other_events``: the study's own
#: events (after ``event_ids``), or every dated event of the events file.
OtherEvents = Literal["study", "file"]


@dataclass(frozen=True)
class Study:
    """One event study, as read from a study file.

    Parameters
    ----------
    name : str
        Short name (the study file's stem); the default output folder is
        ``out/<name>``.
    title : str
        One line describing the study, used as the summary's heading.
    description : str
        Free text shown under the title.
    asset : str
        The ticker whose abnormal returns are measured.
    factors : tuple of str
        Factor tickers of the normal-return model (one for the market model's
        market, more for a multi-factor model; ignored by ``'constant-mean'``).
    model : {'constant-mean', 'market-adjusted', 'market'}
        Normal-return model.
    returns : {'log', 'simple'}
        Return definition.
    estimation : tuple of int
        ``(T0, T1)``, the estimation window in trading days relative to day 0,
        ``T0 < T1 <`` the first event-window day.
    windows : tuple of (int, int)
        Event windows ``(start, end)`` with ``start <= end``, in trading days
        relative to day 0.
    events : pathlib.Path
        The events file (absolute once loaded).
    event_ids : tuple of str or None
        The events used; ``None`` means every aligned event of the file.
    exclude_other_events : bool
        Drop estimation days that fall in another event's widest window.
    other_events : {'study', 'file'}
        Which events count as "other events": ``'study'`` (default) the
        study's own events, after ``event_ids``; ``'file'`` every dated event
        of the events file, so that news outside the study also stays out of
        the estimation samples.
    exclude_thin_trading : bool
        Drop thin-trading (delivery-period) days from estimation samples.
    mask_rolls : bool
        Mask returns spanning a contract switch of the asset or a factor.
    min_estimation_days : int
        Fewest usable estimation days; an event with fewer is excluded.
    group_by : {'all', 'direction', 'category'}
        Pooling of events in the tests table (``'all'`` always included).
    placebo_draws : int
        Draws of the placebo (pseudo-event) distribution.
    seed : int
        Seed of the placebo draws.
    path : pathlib.Path or None
        The study file that was read.
    """

    name: str = "study"
    title: str = ""
    description: str = ""
    asset: str = "ZS=F"
    factors: tuple[str, ...] = ("SPY", "UUP")
    model: ModelName = "market"
    returns: ReturnKind = "log"
    estimation: tuple[int, int] = (-250, -11)
    windows: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (-1, 1), (-1, 5))
    events: Path = DEFAULT_EVENTS
    event_ids: tuple[str, ...] | None = None
    exclude_other_events: bool = True
    other_events: OtherEvents = "study"
    exclude_thin_trading: bool = True
    mask_rolls: bool = True
    min_estimation_days: int = 100
    group_by: GroupBy = "direction"
    placebo_draws: int = 10_000
    seed: int = 20251124
    path: Path | None = field(default=None, compare=False)

    def replace(self, **changes) -> Study:
        """Return a copy with ``changes`` applied (for robustness variants)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The study's settings as plain Python values (paths as strings)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[f.name] = value
        return out


#: The keys a study file may contain (``name`` and ``path`` come from the file).
STUDY_KEYS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(Study) if f.name not in ("path",)
)

_EXAMPLES = {
    "name": 'name = "article"',
    "title": 'title = "Soybeans and the 2025 US-China news"',
    "description": 'description = "..."',
    "asset": 'asset = "ZS=F"',
    "factors": 'factors = ["SPY", "UUP"]',
    "model": 'model = "market"',
    "returns": 'returns = "log"',
    "estimation": "estimation = [-250, -11]",
    "windows": "windows = [[0, 0], [0, 1], [-1, 1]]",
    "events": 'events = "../data/events.csv"',
    "event_ids": 'event_ids = ["busan-meeting", "trump-xi-call"]',
    "exclude_other_events": "exclude_other_events = true",
    "other_events": 'other_events = "study"',
    "exclude_thin_trading": "exclude_thin_trading = true",
    "mask_rolls": "mask_rolls = true",
    "min_estimation_days": "min_estimation_days = 100",
    "group_by": 'group_by = "direction"',
    "placebo_draws": "placebo_draws = 10000",
    "seed": "seed = 20251124",
}


class _Checker:
    """Builds StudyConfigError messages that name the file, key, value and fix."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, value, problem: str, fix: str | None = None):
        fix = fix or f"write it as {_EXAMPLES.get(key, key)}"
        raise StudyConfigError(f"{self.path}: {key} = {value!r}: {problem}; {fix}")

    def string(self, key, value) -> str:
        if not isinstance(value, str) or (key in ("asset",) and not value.strip()):
            self.fail(key, value, "expected a non-empty string")
        return value

    def boolean(self, key, value) -> bool:
        if not isinstance(value, bool):
            self.fail(key, value, "expected true or false")
        return value

    def integer(self, key, value, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, value, "expected an integer")
        if minimum is not None and value < minimum:
            self.fail(key, value, f"must be at least {minimum}")
        return value

    def strings(self, key, value) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v.strip() for v in value
        ):
            self.fail(key, value, "expected a list of non-empty strings")
        return tuple(value)

    def option(self, key, value, literal) -> str:
        try:
            return check_option(key, value, literal)
        except OptionError as exc:
            self.fail(key, value, str(exc))

    def pair(self, key, value, what: str) -> tuple[int, int]:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) for v in value)
        ):
            self.fail(key, value, f"expected {what} as two integers [start, end]")
        return int(value[0]), int(value[1])


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise StudyConfigError(
            f"{path}: study file not found; give the path of a .toml study file "
            "(see the studies/ folder)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise StudyConfigError(f"{path}: not valid TOML ({exc}); fix the syntax there") from None


def _event_ids_in(path: Path) -> list[str]:
    return [str(i) for i in load_events(path)["id"]]


def load_study(path) -> Study:
    """Read and validate a study file.

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML study file.

    Returns
    -------
    Study

    Raises
    ------
    StudyConfigError
        For a missing or malformed file, an unknown key (the message lists the
        valid keys), a value of the wrong type or outside its set, an estimation
        window that does not end before the earliest event window, an events
        file that does not exist or event ids it does not contain.

    Notes
    -----
    Relative ``events`` paths are resolved against the study file's folder, so
    a study runs the same from any working directory.
    """
    path = Path(path)
    raw = _read_toml(path)
    check = _Checker(path)

    unknown = sorted(set(raw) - set(STUDY_KEYS))
    if unknown:
        names = ", ".join(repr(k) for k in unknown)
        raise StudyConfigError(
            f"{path}: unknown key{'s' if len(unknown) > 1 else ''} {names}; "
            f"valid keys are {', '.join(STUDY_KEYS)}"
        )

    values: dict = {"name": path.stem, "path": path.resolve()}
    for key in ("name", "title", "description", "asset"):
        if key in raw:
            values[key] = check.string(key, raw[key])
    if "factors" in raw:
        values["factors"] = check.strings("factors", raw["factors"])
    if "model" in raw:
        values["model"] = check.option("model", raw["model"], ModelName)
    if "returns" in raw:
        values["returns"] = check.option("returns", raw["returns"], ReturnKind)
    if "group_by" in raw:
        values["group_by"] = check.option("group_by", raw["group_by"], GroupBy)
    if "other_events" in raw:
        values["other_events"] = check.option("other_events", raw["other_events"], OtherEvents)
    for key in ("exclude_other_events", "exclude_thin_trading", "mask_rolls"):
        if key in raw:
            values[key] = check.boolean(key, raw[key])
    if "min_estimation_days" in raw:
        values["min_estimation_days"] = check.integer(
            "min_estimation_days", raw["min_estimation_days"], minimum=2
        )
    if "placebo_draws" in raw:
        values["placebo_draws"] = check.integer("placebo_draws", raw["placebo_draws"], minimum=0)
    if "seed" in raw:
        values["seed"] = check.integer("seed", raw["seed"], minimum=0)

    model = values.get("model", Study.model)
    factors = values.get("factors", Study.factors)
    if model in ("market", "market-adjusted") and not factors:
        check.fail(
            "factors",
            list(factors),
            f"model {model!r} needs at least one factor",
            'list the market first, e.g. factors = ["SPY", "UUP"], or use model = "constant-mean"',
        )
    if model == "market-adjusted" and len(factors) != 1:
        check.fail(
            "factors",
            list(factors),
            "the 'market-adjusted' model subtracts one market return",
            'give exactly one factor, e.g. factors = ["SPY"]',
        )
    if values.get("asset", Study.asset) in factors:
        check.fail("factors", list(factors), "the asset cannot also be a factor", "remove it")

    if "windows" in raw:
        windows = raw["windows"]
        if not isinstance(windows, list) or not windows:
            check.fail("windows", windows, "expected a non-empty list of [start, end] pairs")
        pairs = []
        for w in windows:
            start, end = check.pair("windows", w, "each window")
            if start > end:
                check.fail("windows", w, f"window start {start} is after its end {end}",
                           f"write it as [{end}, {start}]")
            pairs.append((start, end))
        values["windows"] = tuple(pairs)
    windows = values.get("windows", Study.windows)
    first_day = min(start for start, _ in windows)

    if "estimation" in raw:
        t0, t1 = check.pair("estimation", raw["estimation"], "the estimation window")
        if not t0 < t1:
            check.fail("estimation", raw["estimation"], f"T0 = {t0} must be before T1 = {t1}",
                       "write it as [T0, T1] with T0 < T1, e.g. estimation = [-250, -11]")
        values["estimation"] = (t0, t1)
    t0, t1 = values.get("estimation", Study.estimation)
    if not t1 < first_day:
        check.fail(
            "estimation",
            [t0, t1],
            f"the estimation window must end before the earliest event-window day {first_day}",
            f"end it at {first_day - 1} or earlier, e.g. estimation = [{t0}, {first_day - 1}]",
        )
    n_est = t1 - t0 + 1
    min_days = values.get("min_estimation_days", Study.min_estimation_days)
    if min_days > n_est:
        check.fail(
            "min_estimation_days",
            min_days,
            f"more than the {n_est} days of the estimation window [{t0}, {t1}]",
            f"use at most {n_est}, or widen the estimation window",
        )

    if "events" in raw:
        rel = check.string("events", raw["events"])
        events = (path.parent / rel).resolve()
        if not events.is_file():
            check.fail("events", rel, f"no such file {events}",
                       "give the events CSV's path relative to the study file")
        values["events"] = events
    else:
        values["events"] = DEFAULT_EVENTS

    if "event_ids" in raw:
        ids = check.strings("event_ids", raw["event_ids"])
        if not ids:
            check.fail("event_ids", raw["event_ids"], "empty list",
                       "remove the key to use every event, or list some ids")
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            check.fail("event_ids", list(ids), f"listed twice: {', '.join(duplicated)}",
                       "list each id once")
        known = set(_event_ids_in(values["events"]))
        missing = [i for i in ids if i not in known]
        if missing:
            check.fail(
                "event_ids",
                list(ids),
                f"unknown id{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"(not in {values['events']})",
                "use ids from the events file's id column (`eventstudy events` lists them)",
            )
        values["event_ids"] = ids

    return Study(**values)


# --------------------------------------------------------------------------- reading


#: Per-event p-value columns of ``car.csv`` read by :func:`event_verdicts`.
EVENT_TESTS: tuple[str, ...] = ("p", "sq_p", "placebo_p")
_EVENT_TEST_NAMES = {"p": "t test", "sq_p": "SQ test", "placebo_p": "placebo"}


def _verdict(names_significant: list[str], n_tests: int) -> str:
    k = len(names_significant)
    if n_tests == 0:
        return "no test could be computed"
    if k == 0:
        return f"no test rejects (0 of {n_tests})"
    if k == n_tests:
        if n_tests == 1:
            return "one test only, and it rejects"
        return f"holds across all {n_tests} tests"
    if k == 1:
        return f"hangs on one test ({names_significant[0]}) of {n_tests}"
    return f"holds in {k} of {n_tests} tests ({', '.join(names_significant)})"


def event_verdicts(car, alpha: float = 0.05):
    """Which per-event tests reject at ``alpha``, for each event and window.

    Parameters
    ----------
    car : pandas.DataFrame
        The ``car.csv`` table: ``event_id, start, end, car`` and the p-value
        columns among ``p`` (t test with estimation-error variance), ``sq_p``
        (SQ test) and ``placebo_p`` (placebo distribution).
    alpha : float
        Test level.

    Returns
    -------
    pandas.DataFrame
        ``event_id, start, end, car, n_tests, n_reject, rejecting, verdict``;
        ``n_tests`` counts the p-values that exist (not NaN).
    """
    import pandas as pd

    cols = [c for c in EVENT_TESTS if c in car.columns]
    rows = []
    for rec in car.to_dict("records"):
        present = [c for c in cols if pd.notna(rec[c])]
        rejecting = [_EVENT_TEST_NAMES[c] for c in present if rec[c] < alpha]
        rows.append({
            "event_id": rec["event_id"],
            "start": rec["start"],
            "end": rec["end"],
            "car": rec["car"],
            "n_tests": len(present),
            "n_reject": len(rejecting),
            "rejecting": ", ".join(rejecting),
            "verdict": _verdict(rejecting, len(present)),
        })
    return pd.DataFrame(rows, columns=["event_id", "start", "end", "car", "n_tests", "n_reject",
                                       "rejecting", "verdict"])


def group_verdicts(tests, alpha: float = 0.05):
    """Which tests of the battery reject at ``alpha``, per group and window.

    Parameters
    ----------
    tests : pandas.DataFrame
        The ``tests.csv`` table (``group, start, end, test, statistic,
        p_value, n_events``).
    alpha : float
        Test level.

    Returns
    -------
    pandas.DataFrame
        ``group, start, end, n_events, n_tests, n_reject, rejecting, verdict``.
    """
    import pandas as pd

    rows = []
    for (group, start, end), block in tests.groupby(["group", "start", "end"], sort=False):
        present = block[block["p_value"].notna()]
        rejecting = list(present.loc[present["p_value"] < alpha, "test"])
        rows.append({
            "group": group,
            "start": start,
            "end": end,
            "n_events": int(block["n_events"].max()) if len(block) else 0,
            "n_tests": len(present),
            "n_reject": len(rejecting),
            "rejecting": ", ".join(rejecting),
            "verdict": _verdict(rejecting, len(present)),
        })
    return pd.DataFrame(rows, columns=["group", "start", "end", "n_events", "n_tests", "n_reject",
                                       "rejecting", "verdict"])


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class StudyRun:
    """Everything a study run produced, as labelled tables.

    Attributes
    ----------
    study : Study
    data : eventstudy.returns.ReturnData
        Returns with the roll and thin masks.
    aligned : pandas.DataFrame
        The whole events file with trade dates (:func:`eventstudy.events.align_events`).
    results : eventstudy.results.EventStudyResults
        Fitted on every dated event of the file, so that each event's
        estimation sample avoids every news day; the tables below keep the
        study's events only.
    placebo : eventstudy.inference.Placebo or None
        Pseudo-event CARs (``None`` when ``placebo_draws = 0``).
    ar, car, events, tests : pandas.DataFrame
        The tables written as ``ar.csv``, ``car.csv``, ``events.csv``,
        ``tests.csv``; ``car`` carries ``sq_p`` and ``placebo_p``.
    """

    study: Study
    data: object
    aligned: object
    results: object
    placebo: object
    ar: object
    car: object
    events: object
    tests: object

    @property
    def event_ids(self) -> list[str]:
        """The study's events, in the order of the events file."""
        return list(self.events["event_id"])

    @property
    def used_ids(self) -> list[str]:
        """The study's events that entered the estimation."""
        return list(self.events.loc[self.events["status"] == "used", "event_id"])


def _groups(study: Study, idx, direction, category) -> dict:
    import numpy as np

    groups = {"all": (idx, np.ones(idx.size))}
    if study.group_by == "direction":
        named = {-1: "escalation", 1: "de-escalation"}
        for d, name in named.items():
            sel = idx[direction[idx] == d]
            if sel.size:
                groups[name] = (sel, np.ones(sel.size))
        sel = idx[direction[idx] != 0]
        if sel.size:
            groups["signed"] = (sel, direction[sel].astype(float))
    elif study.group_by == "category":
        for cat in dict.fromkeys(category[idx]):
            sel = idx[category[idx] == cat]
            groups[f"category={cat}"] = (sel, np.ones(sel.size))
    return groups


def analyse(study: Study, prices_dir=None, *, battery: bool = True) -> StudyRun:
    """Run a study: prices, returns, alignment, estimation, tests.

    Parameters
    ----------
    study : Study
        From :func:`load_study` (or :meth:`Study.replace` for a variant).
    prices_dir : path-like, optional
        Folder of price snapshots; ``None`` means ``$EVENTSTUDY_PRICES_DIR``,
        else Yahoo through the cache.
    battery : bool
        Run the group test battery (``tests``); without it ``tests`` is
        empty and only the per-event tests are computed (robustness runs).

    Returns
    -------
    StudyRun

    Notes
    -----
    With ``other_events = 'file'`` every dated event of the events file
    keeps its widest window out of the estimation samples (with
    ``exclude_other_events``), not only the study's own events.
    Groups of the tests table: ``all`` (sign +1), and with ``group_by =
    'direction'`` ``escalation`` (direction -1), ``de-escalation`` (+1) and
    ``signed`` (both, each event's CAR times its direction, so that a
    positive statistic means prices moved the way the news points). The
    placebo distribution draws ``placebo_draws`` pseudo-event dates outside
    every catalogued event window with the study's model and windows
    (:func:`eventstudy.inference.placebo_distribution`).
    """
    import numpy as np
    import pandas as pd

    from .calendar import get_calendar
    from .data import load_prices
    from .events import align_events, event_positions
    from .inference import per_event_tests, placebo_distribution, test_battery
    from .model import EventStudy
    from .returns import common_span, prepare_returns

    tickers = [study.asset, *study.factors]
    prices = load_prices(tickers, prices_dir=prices_dir)
    common, last = common_span(prices)
    logger.info("%s: prices from %s to %s (the dates every one of %s covers)", study.name,
                common.date(), last.date(), ", ".join(tickers))
    data = prepare_returns(prices, study.asset, study.factors, kind=study.returns,
                           mask_rolls=study.mask_rolls, start=common, end=last)
    aligned = align_events(load_events(study.events), get_calendar(study.asset),
                           last_date=data.returns.index[-1])
    wanted = list(aligned["id"]) if study.event_ids is None else list(study.event_ids)
    # The study's events (any status, so pending ones are reported); with
    # other_events = 'file', every other dated event of the file keeps its
    # window out of the estimation samples too.
    in_study = aligned["id"].isin(wanted)
    others = ~in_study & (aligned["status"] == "aligned") & (study.other_events == "file")
    fit_events = aligned[in_study].reset_index(drop=True)
    model = EventStudy(
        data.returns, fit_events, asset=study.asset, factors=study.factors, model=study.model,
        exclude_windows_of=aligned[others] if others.any() else None,
        estimation=study.estimation, windows=study.windows, roll=data.roll, thin=data.thin,
        exclude_other_events=study.exclude_other_events,
        exclude_thin_trading=study.exclude_thin_trading,
        min_estimation_days=study.min_estimation_days,
    )
    results = model.fit(tests=battery)
    arrays = results.arrays
    idx = np.arange(arrays.n_events)  # every located event is one of the study's
    direction = np.asarray(results._direction, dtype=np.int64)
    category = np.asarray(results._category, dtype=object)

    y, X, valid, est_ok, _, _ = model.design()
    # Pseudo-events avoid the window of every catalogued event, whatever other_events says.
    catalogued_day0 = event_positions(aligned[aligned["status"] == "aligned"],
                                      data.returns.index)
    catalogued_day0 = catalogued_day0[catalogued_day0 >= 0]
    placebo = None
    if study.placebo_draws > 0:
        placebo = placebo_distribution(
            y, X, valid, est_ok, model=study.model, estimation=study.estimation,
            windows=study.windows, event_day0=catalogued_day0, draws=study.placebo_draws,
            seed=study.seed, min_estimation_days=study.min_estimation_days,
            day0_ok=est_ok,
        )
    if battery:
        tests = test_battery(arrays, _groups(study, idx, direction, category), placebo=placebo)
    else:
        tests = pd.DataFrame(columns=["group", "start", "end", "test", "statistic", "p_value",
                                      "n_events"])
    per_event = per_event_tests(arrays, placebo=placebo)

    rows = np.flatnonzero(arrays.used)
    car = results.car
    # results.car lists used events in array order, W rows each.
    car["sq_p"] = per_event["sq_p"][rows].ravel()
    car["placebo_p"] = per_event["placebo_p"][rows].ravel()
    car.insert(1, "trade_date",
               car["event_id"].map(results.events.set_index("event_id")["trade_date"]))
    ar = results.ar
    events = results.events
    order = {e: i for i, e in enumerate(aligned["id"])}
    events = events.sort_values("event_id", key=lambda s: s.map(order)).reset_index(drop=True)
    titles = aligned.set_index("id")
    events.insert(2, "title", titles.loc[events["event_id"], "title"].to_numpy())
    for rec in events[events["status"] == "excluded"].itertuples():
        logger.info("%s: event %s excluded: %s", study.name, rec.event_id, rec.reason)
    return StudyRun(study=study, data=data, aligned=aligned, results=results, placebo=placebo,
                    ar=ar, car=car, events=events, tests=tests)


def headline_table(runs: dict, event_ids, windows=None):
    """CAR and p-values of chosen events in several runs, one row per run, event and window.

    Parameters
    ----------
    runs : dict of str -> StudyRun
        Label (e.g. the asset) -> run.
    event_ids : list of str
    windows : list of (int, int), optional
        Default: every window of each run.

    Returns
    -------
    pandas.DataFrame
        ``run, event_id, trade_date, window, car_pct, p, sq_p, placebo_p,
        thin_days, verdict`` (CAR in percent of log return; ``thin_days``
        counts thin-trading days with a return inside the window).
    """
    import pandas as pd

    rows = []
    for label, run in runs.items():
        verdicts = event_verdicts(run.car).set_index(["event_id", "start", "end"])["verdict"]
        ar = run.ar
        for rec in run.car[run.car["event_id"].isin(list(event_ids))].itertuples():
            if windows is not None and (rec.start, rec.end) not in [tuple(w) for w in windows]:
                continue
            inside = ar[(ar["event_id"] == rec.event_id) & ar["day"].between(rec.start, rec.end)]
            rows.append({
                "run": label,
                "event_id": rec.event_id,
                "trade_date": rec.trade_date,
                "window": f"[{rec.start}, {rec.end}]",
                "car_pct": 100 * rec.car,
                "p": rec.p,
                "sq_p": rec.sq_p,
                "placebo_p": rec.placebo_p,
                "thin_days": int((inside["thin"] & inside["ar"].notna()).sum()),
                "verdict": verdicts.get((rec.event_id, rec.start, rec.end), ""),
            })
    return pd.DataFrame(rows)


#: The robustness variants of notebook 5: label -> changes to the base study.
ROBUSTNESS_VARIANTS: dict[str, dict] = {
    "base: market model on SPY+UUP": {},
    "constant-mean model": {"model": "constant-mean", "factors": ()},
    "market-adjusted (SPY)": {"model": "market-adjusted", "factors": ("SPY",)},
    "market model, SPY only": {"factors": ("SPY",)},
    "market model, SPY+UUP+crude oil (CL=F)": {"factors": ("SPY", "UUP", "CL=F")},
    "estimation window [-120, -11]": {"estimation": (-120, -11), "min_estimation_days": 60},
    "thin-trading days kept in estimation": {"exclude_thin_trading": False},
    "asset SOYB instead of ZS=F": {"asset": "SOYB"},
}


def robustness_table(base: Study, event_ids, window, variants=None, *, prices_dir=None,
                     alpha: float = 0.05, windows=None, dummy: bool = False, base_run=None):
    """How each variant of a study changes the CAR and the verdict of chosen events.

    Parameters
    ----------
    base : Study
        The base study.
    event_ids : list of str
    window : (int, int)
        The CAR window compared across variants.
    variants : dict of str -> dict, optional
        Label -> keyword changes for :meth:`Study.replace`; default
        :data:`ROBUSTNESS_VARIANTS`. The first is the base.
    prices_dir : path-like, optional
    alpha : float
    windows : list of (int, int), optional
        Other event windows of the base study to add as rows (labelled
        ``"base, window [a, b]"``), read from the base run.
    dummy : bool
        Add the dummy-variable regression of the base study
        (:func:`dummy_regression_table`) over ``window``: one row with its
        Newey–West HAC p-value and one with the window-HAC p-value (the
        ``p_window`` column; see :func:`eventstudy.model.dummy_regression`).
        Only the t-type p-value exists for these rows.
    base_run : StudyRun, optional
        The base study's run, if already computed (saves one run).

    Returns
    -------
    pandas.DataFrame
        ``dimension, variant, window, event_id, car_pct, p, sq_p, placebo_p,
        n_reject, verdict, moves, sign_flip``: ``moves`` is True when the
        variant's rejection (any available per-event test at ``alpha``)
        differs from the base's over ``window`` or the event is excluded;
        ``sign_flip`` when the CAR's sign differs from the base's.
    """
    import pandas as pd

    variants = ROBUSTNESS_VARIANTS if variants is None else variants
    base_label = next(iter(variants))

    def rows_of(label, dimension, run, win):
        car = run.car[(run.car["start"] == win[0]) & (run.car["end"] == win[1])]
        verdicts = event_verdicts(car, alpha).set_index("event_id")
        out = []
        for eid in event_ids:
            hit = car[car["event_id"] == eid]
            row = {"dimension": dimension, "variant": label, "window": f"[{win[0]}, {win[1]}]",
                   "event_id": eid}
            if hit.empty:
                reason = run.events.set_index("event_id").loc[eid, "reason"]
                out.append({**row, "car_pct": float("nan"), "p": float("nan"),
                            "sq_p": float("nan"), "placebo_p": float("nan"), "n_reject": 0,
                            "verdict": f"excluded: {reason}"})
                continue
            rec = hit.iloc[0]
            v = verdicts.loc[eid]
            out.append({**row, "car_pct": 100 * rec["car"], "p": rec["p"], "sq_p": rec["sq_p"],
                        "placebo_p": rec["placebo_p"], "n_reject": int(v["n_reject"]),
                        "verdict": v["verdict"]})
        return out

    rows = []
    for label, changes in variants.items():
        if label == base_label and base_run is not None and not changes:
            run = base_run
        else:
            run = analyse(base.replace(**changes), prices_dir=prices_dir, battery=False)
        if label == base_label:
            base_run = run
        dimension = "base" if label == base_label else _dimension(changes)
        rows += rows_of(label, dimension, run, window)
    for win in windows or ():
        if tuple(win) != tuple(window):
            rows += rows_of(f"base, window [{win[0]}, {win[1]}]", "event window", base_run, win)
    if dummy:
        reg = dummy_regression_table(base_run, event_ids)
        reg = reg[(reg["start"] == window[0]) & (reg["end"] == window[1])].set_index("event_id")
        for label, col, note in (
            ("dummy regression, Newey–West HAC se", "p",
             " — HAC se of one-observation dummies, unreliable"),
            ("dummy regression, window-HAC se", "p_window", ""),
        ):
            if col not in reg.columns:
                continue
            for eid in event_ids:
                car = reg.loc[eid, "car"] if eid in reg.index else float("nan")
                p = reg.loc[eid, col] if eid in reg.index else float("nan")
                rejecting = ["t test"] if p < alpha else []
                rows.append({"dimension": "dummy regression", "variant": label,
                             "window": f"[{window[0]}, {window[1]}]", "event_id": eid,
                             "car_pct": 100 * car, "p": p, "sq_p": float("nan"),
                             "placebo_p": float("nan"), "n_reject": len(rejecting),
                             "verdict": _verdict(rejecting, int(pd.notna(p))) + note})
    table = pd.DataFrame(rows)
    base_rows = table[table["variant"] == base_label].set_index("event_id")
    sign = table["car_pct"].gt(0)
    base_sign = table["event_id"].map(base_rows["car_pct"].gt(0))
    base_reject = table["event_id"].map(base_rows["n_reject"].gt(0))
    missing = table["car_pct"].isna()
    table["moves"] = (table["n_reject"].gt(0) != base_reject) | missing
    table["sign_flip"] = (sign != base_sign) & ~missing
    return table


def _dimension(changes: dict) -> str:
    """Which choice a robustness variant changes (its first changed key, named)."""
    names = {"model": "model", "factors": "factors", "estimation": "estimation window",
             "exclude_thin_trading": "thin trading", "asset": "asset"}
    for key in changes:
        if key in names:
            return names[key]
    return ", ".join(changes) or "base"


def dummy_regression_table(run: StudyRun, event_ids=None):
    """CARs from the dummy-variable regression with HAC errors beside the classical ones.

    Calls :func:`eventstudy.model.dummy_regression` on the run's returns and
    the study's events; returns its table (``car, car_se, t, p`` and the
    ``*_classical`` columns), filtered to ``event_ids``.
    """
    from .model import dummy_regression

    s = run.study
    ids = run.used_ids if event_ids is None else list(event_ids)
    events = run.aligned[run.aligned["id"].isin(ids)]
    table = dummy_regression(
        run.data.returns, events, asset=s.asset, factors=s.factors, windows=s.windows,
        estimation=s.estimation, roll=run.data.roll, thin=run.data.thin,
        exclude_thin_trading=s.exclude_thin_trading, classical=run.results.car,
    )
    return table[table["event_id"].isin(ids)].reset_index(drop=True)


def _md_table(frame, floatfmt: str = ".4f") -> str:
    """A small DataFrame as a Markdown table (no optional dependency)."""
    import pandas as pd

    def cell(v):
        if isinstance(v, float):
            return "" if pd.isna(v) else format(v, floatfmt)
        if isinstance(v, pd.Timestamp):
            return "" if pd.isna(v) else f"{v:%Y-%m-%d}"
        return str(v)

    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in rec) + " |")
    return "\n".join(lines)


def reading(run: StudyRun, alpha: float = 0.05) -> list[str]:
    """A short plain reading of a study run, generated from its numbers.

    For each of the study's events and each window, which per-event tests
    reject at ``alpha`` (t test, SQ test, placebo); for each group of the
    tests table, how many of the battery's tests reject. A result "holds" when
    every available test rejects and "hangs on one test" when only one does.

    Returns
    -------
    list of str
        One Markdown bullet per finding.
    """
    import pandas as pd

    lines = []
    ev = event_verdicts(run.car, alpha)
    thin_days = run.ar[run.ar["thin"] & run.ar["ar"].notna()].groupby("event_id")["day"].apply(list)
    for eid, block in ev.groupby("event_id", sort=False):
        parts = [
            f"[{r.start}, {r.end}] "
            + (f"{100 * r.car:+.2f}% — {r.verdict}" if pd.notna(r.car) else "no usable day (roll)")
            for r in block.itertuples()
        ]
        note = ""
        if eid in thin_days.index:
            note = f" Thin-trading days in the window: {', '.join(map(str, thin_days[eid]))}."
        lines.append(f"- **{eid}**: " + "; ".join(parts) + "." + note)
    if len(run.tests):
        gv = group_verdicts(run.tests, alpha)
        for g, block in gv.groupby("group", sort=False):
            n = int(block["n_events"].max())
            parts = [f"[{r.start}, {r.end}] {r.verdict}" for r in block.itertuples()]
            lines.append(f"- group **{g}** ({n} events): " + "; ".join(parts) + ".")
    return lines


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
        "day, so its residual is zero and the HAC standard error collapses (`hac_unreliable`): "
        "read the ordinary OLS (`p_ols`) and window-HAC (`p_window`) p-values beside it, and "
        "the classical event-study p (`p_classical`). Full table: `dummy.csv`.",
        "",
        _md_table(dummy[["event_id", "start", "end", "car", "p", "p_ols", "p_window",
                         "car_classical", "p_classical"]]),
        "",
    ]


def summary_markdown(run: StudyRun, alpha: float = 0.05, *, dummy=None) -> str:
    """The ``summary.md`` text of a study run (``dummy``: :func:`dummy_regression_table`)."""
    s = run.study
    ev = run.events
    used = ev[ev["status"] == "used"]
    excluded = ev[ev["status"] != "used"]
    out = [f"# {s.title or s.name}", ""]
    if s.description:
        out += [s.description, ""]
    out += [
        "## The study",
        "",
        f"- study file: `{s.path}`",
        f"- asset `{s.asset}`, factors {', '.join(f'`{f}`' for f in s.factors) or 'none'}, "
        f"model `{s.model}`, {s.returns} returns",
        f"- estimation window [{s.estimation[0]}, {s.estimation[1]}] trade days, at least "
        f"{s.min_estimation_days} usable days; event windows "
        + ", ".join(f"[{a}, {b}]" for a, b in s.windows),
        f"- contract rolls masked: {s.mask_rolls}; thin-trading days kept out of estimation: "
        f"{s.exclude_thin_trading}; other events' windows kept out of estimation: "
        f"{s.exclude_other_events}",
        f"- placebo: {s.placebo_draws} pseudo-events (seed {s.seed})",
        f"- prices: {run.data.returns.index[0]:%Y-%m-%d} to {run.data.returns.index[-1]:%Y-%m-%d}",
        "",
        f"## Events: {len(used)} used, {len(excluded)} excluded",
        "",
        _md_table(ev[["event_id", "trade_date", "status", "reason", "n_estimation"]]),
        "",
        "## Cumulative abnormal returns",
        "",
        "CAR in log-return units; `p`: t test with the estimation-error variance; `sq_p`: SQ "
        "test; `placebo_p`: share of pseudo-event CARs at least as large in absolute value.",
        "",
        _md_table(run.car[["event_id", "trade_date", "start", "end", "car", "car_se", "t", "p",
                           "sq_p", "placebo_p", "n_days"]]),
        "",
        "## Tests",
        "",
        _md_table(run.tests, ".4g") if len(run.tests) else "No test could be run.",
        "",
        *(_dummy_section(dummy) if dummy is not None and len(dummy) else []),
        f"## Reading (level {alpha:g})",
        "",
        *reading(run, alpha),
        "",
        "A result that holds across tests is robust to the tests' different assumptions "
        "(normality, event-induced variance, cross-correlation); one that hangs on a single "
        "test is not evidence on its own. Thin-trading days inside an event window are flagged "
        "in `ar.csv` (`thin`): a window measured on a contract in its delivery period reflects "
        "that contract's squeeze as much as the news.",
        "",
        "What the size simulation on real soybean returns says about these tests "
        "(`eventstudy.simulation`): the group tests (cross-sectional t, Patell, BMP, "
        "Kolari-Pynnonen, Corrado, Wilcoxon, placebo) hold their 5% size; the generalized sign "
        "test is slightly conservative; for one event, the t test over-rejects on six-day "
        "windows (about 6%) and the SQ test on multi-day windows (7-9%), because soybean "
        "volatility clusters. A single-event rejection that rests on those alone is weak.",
        "",
    ]
    return "\n".join(out)


def write_figures(run: StudyRun, folder) -> list[Path]:
    """Save the study's figures (AR and CAR paths, CAAR by group) as PNG files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    ids = run.used_ids
    if ids:
        for name, fig in (("ar", run.results.plot_ar(ids)), ("car", run.results.plot_car(ids))):
            path = folder / f"{name}.png"
            fig.savefig(path, dpi=110)
            written.append(path)
    if len(ids) > 1:
        path = folder / "caar.png"
        run.results.plot_caar().savefig(path, dpi=110)
        written.append(path)
    return written


def run_study(path, prices_dir=None, out=None) -> Path:
    """Run a study file and write its results (``eventstudy run``).

    Parameters
    ----------
    path : path-like
        The study file.
    prices_dir : path-like, optional
        Folder of price snapshots (default ``$EVENTSTUDY_PRICES_DIR``, else Yahoo).
    out : path-like, optional
        Output folder; default ``out/<study name>``.

    Returns
    -------
    pathlib.Path
        The output folder, holding ``ar.csv`` (``event_id, day, date, ret,
        normal, ar, ar_se, roll, thin``), ``car.csv`` (``event_id,
        trade_date, start, end, car, car_se, t, p, n_days, df, sq_p,
        placebo_p``), ``events.csv`` (``event_id, trade_date, title,
        category, direction, status, reason, n_estimation``), ``tests.csv``
        (``group, start, end, test, statistic, p_value, n_events``),
        ``estimation.csv`` (``event_id, day, date, used, reason``: every
        estimation-window day, kept or masked and why), ``dummy.csv`` (the
        dummy-variable regression,
        :func:`dummy_regression_table`), ``summary.md`` and ``figures/*.png``.
    """
    study = load_study(path)
    out = Path(out) if out is not None else Path("out") / study.name
    run = analyse(study, prices_dir=prices_dir)
    out.mkdir(parents=True, exist_ok=True)
    run.ar.to_csv(out / "ar.csv", index=False, date_format="%Y-%m-%d")
    run.car.to_csv(out / "car.csv", index=False, date_format="%Y-%m-%d")
    run.events.to_csv(out / "events.csv", index=False, date_format="%Y-%m-%d")
    days = run.results.estimation_days()
    days[days["event_id"].isin(run.event_ids)].to_csv(
        out / "estimation.csv", index=False, date_format="%Y-%m-%d")
    run.tests.to_csv(out / "tests.csv", index=False)
    dummy = dummy_regression_table(run) if run.used_ids else None
    if dummy is not None:
        dummy.to_csv(out / "dummy.csv", index=False)
    (out / "summary.md").write_text(summary_markdown(run, dummy=dummy), encoding="utf-8")
    write_figures(run, out / "figures")
    return out
