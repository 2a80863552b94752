"""The study specification: one validated object, from a TOML file or from code.

A study file holds one key per field of :class:`Study`, e.g.::

    asset = "ZC=F"                    # or assets = ["ZC=F", "CORN", "ZC=F-ZW=F"]
    factors = ["SPY", "UUP"]
    model = "market"
    estimation = [-250, -11]
    windows = [[0, 0], [0, 1], [-1, 1], [-1, 5]]
    events = "../data/events.csv"     # relative to the study file
    seed = 1

    [variants]
    "the corn ETF instead" = { asset = "CORN" }

A study built in code and one read by :func:`load_study` fail with the same
:class:`~eventstudy.exceptions.StudyConfigError`, naming the file when there
is one, the key, the value and the fix.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .exceptions import OptionError, StudyConfigError
from .options import ModelName, ReturnKind, check_option

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["DEFAULT_EVENTS", "EVENT_TEST_COLUMNS", "EVENT_TEST_LABELS", "GroupBy",
           "OtherEvents", "STUDY_KEYS", "Study", "error_prefix", "lag_name", "lagged_names",
           "lead_order",
           "load_study", "split_spread", "study_error"]

#: The window variance of the single-event tests: constant s², or GARCH(1, 1).
Volatility = Literal["constant", "garch"]

#: Pooling of the tests table; any other column of the events file works too.
GroupBy = Literal["all", "direction", "category"]

#: Whose windows are "other events" for ``exclude_other_events``.
OtherEvents = Literal["study", "file"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

#: The event catalogue shipped with the package: the events of a study that names none.
DEFAULT_EVENTS = Path(__file__).parent / "catalogue" / "events.csv"

#: The single-event tests a study can report: the tidy-table column of each one's
#: p-value (:meth:`eventstudy.results.EventStudyResults.tidy`) ...
EVENT_TEST_COLUMNS = {"event-t": "p", "sq": "sq_p", "event-placebo": "placebo_p",
                      "garch": "garch_p", "vr": "vr_p", "vr-placebo": "vr_placebo_p"}
#: ... and its name for reading.
EVENT_TEST_LABELS = {"event-t": "t test", "sq": "SQ test", "event-placebo": "placebo test",
                     "garch": "GARCH t test", "vr": "variance-ratio F test",
                     "vr-placebo": "variance-ratio placebo test"}


def lead_order(*, garch: bool, placebo: bool) -> tuple[str, ...]:
    """The single-event tests a study reports, in the order they may lead.

    The GARCH t test (``volatility = "garch"``) comes first, then the t test
    and the SQ test, then the placebo test when placebo draws were made; the
    leading test of a window is the first of them that holds its size.
    """
    return (("garch",) if garch else ()) + ("event-t", "sq") + (
        ("event-placebo",) if placebo else ())


_EXAMPLES = {
    "name": 'name = "my-study"', "title": 'title = "Corn futures and the tariff news"',
    "description": 'description = "..."', "asset": 'asset = "ZS=F"',
    "assets": 'assets = ["ZS=F", "ZC=F", "ZS=F-ZC=F"]', "factors": 'factors = ["SPY", "UUP"]',
    "model": 'model = "market"', "donors": 'donors = ["ZC=F", "ZW=F", "CL=F"]',
    "factor_lags": "factor_lags = [-1, 0, 1]", "returns": 'returns = "log"',
    "estimation": "estimation = [-250, -11]", "windows": "windows = [[0, 0], [0, 1], [-1, 1]]",
    "events": 'events = "../data/events.csv"', "event_ids": 'event_ids = ["tariff-hike", "truce"]',
    "exclude_other_events": "exclude_other_events = true",
    "other_events": 'other_events = "study"',
    "exclude_thin_trading": "exclude_thin_trading = true", "mask_rolls": "mask_rolls = true",
    "min_estimation_days": "min_estimation_days = 100", "group_by": 'group_by = "direction"',
    "volatility": 'volatility = "garch"', "placebo_draws": "placebo_draws = 10000",
    "seed": "seed = 1", "n_jobs": "n_jobs = 2",
    "variants": '[variants] "the ETF instead" = { asset = "CORN" }',
    "headline_events": 'headline_events = ["truce"]',
    "headline_windows": "headline_windows = [[0, 1]]",
}


@dataclass(frozen=True)
class Study:
    """One event study, validated on construction.

    Parameters
    ----------
    name : str
        Short name (a study file's stem) and the default output folder
        ``out/<name>``: letters, digits, ``.``, ``_`` and ``-`` only.
    title, description : str
        The summary's heading and the text under it.
    asset : str
        The ticker whose abnormal returns are measured; required (or ``assets``).
    assets : tuple of str or None
        Several assets around the same events, each with the study's factors
        less itself, its own calendar and masks; ``"A-B"`` is the spread of two
        futures (difference of log returns on A's dates). ``asset`` is the first.
    factors : tuple of str
        Factors of the normal-return model (``market`` and ``market-adjusted``
        need them; ``synthetic`` sets them to none).
    model : {'constant-mean', 'market-adjusted', 'market', 'synthetic'}
        Normal-return model (:func:`eventstudy.estimate.estimate_arrays`).
    donors : tuple of str
        The donor pool of ``synthetic`` (two or more tickers, not the asset).
    factor_lags : tuple of int
        Dimson (1979) lags of the market model's factors (ℓ = 1 the previous
        day's, -1 the next day's); ``(0,)`` is the plain model. A lead may not
        reach the event window.
    returns : {'log', 'simple'}
    estimation : (int, int)
        ``(T0, T1)`` in trading days relative to day 0, T1 before every window.
    windows : tuple of (int, int)
        Event windows ``(start, end)``, start <= end.
    events : pathlib.Path
        The events file (default the packaged catalogue), relative to the
        study file or, in code, to the working directory.
    event_ids : tuple of str or None
        The events used (None: every aligned event).
    exclude_other_events : bool
        Drop estimation days inside another event's widest window.
    other_events : {'study', 'file'}
        Whose windows count as other events': the study's events or the file's.
    exclude_thin_trading : bool
        Drop thin-trading (delivery-period) days from estimation samples.
    mask_rolls : bool
        Mask returns spanning a contract switch.
    min_estimation_days : int
        Fewest usable estimation days of an event.
    group_by : str
        Pooling of the tests table besides ``all``: ``direction`` (with the
        direction-signed group) or any column of the events file.
    volatility : {'constant', 'garch'}
        ``garch`` adds the fixed-parameter GARCH(1, 1) tests
        (:mod:`eventstudy.volatility`) as ``garch_se, garch_t, garch_p``.
    placebo_draws : int
        Pseudo-events of the placebo distribution; 0 turns it off.
    seed : int
        Seed of the placebo draws and of the size check.
    n_jobs : int or None
        Processes of the size check, the simulations and the placebo draws
        (None: every core; 1: this process). With an active
        ``dask.distributed`` client they run on its workers instead. The
        numbers do not depend on it.
    headline_events : tuple of str or None
        The events the summary reads (default every used event).
    headline_windows : tuple of (int, int) or None
        Its windows, among ``windows`` (default the first two).
    variants : dict of str -> dict
        Robustness variants: label -> changes of study keys.
    path : pathlib.Path or None
        The study file read (None in code).

    Raises
    ------
    StudyConfigError
        A missing asset, a value of the wrong type or outside its set, an
        estimation window that does not end before the windows, a missing
        events file; the message starts with the file's path when there is one.
        Whether the events hold ``event_ids``, ``headline_events`` and the
        ``group_by`` column is checked by :func:`eventstudy.events.select_events`.
    """

    name: str = "study"
    title: str = ""
    description: str = ""
    asset: str | None = None
    assets: tuple[str, ...] | None = None
    factors: tuple[str, ...] = ()
    model: ModelName = "market"
    donors: tuple[str, ...] = ()
    factor_lags: tuple[int, ...] = (0,)
    returns: ReturnKind = "log"
    estimation: tuple[int, int] = (-250, -11)
    windows: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (-1, 1), (-1, 5))
    events: Path | None = None
    event_ids: tuple[str, ...] | None = None
    exclude_other_events: bool = True
    other_events: OtherEvents = "study"
    exclude_thin_trading: bool = True
    mask_rolls: bool = True
    min_estimation_days: int = 100
    group_by: str = "direction"
    volatility: Volatility = "constant"
    placebo_draws: int = 10_000
    seed: int = 0
    n_jobs: int | None = None
    headline_events: tuple[str, ...] | None = None
    headline_windows: tuple[tuple[int, int], ...] | None = None
    variants: dict = field(default_factory=dict, hash=False)
    path: Path | None = field(default=None, compare=False)

    def __post_init__(self):
        for key, value in _validate(self).items():
            object.__setattr__(self, key, value)

    def replace(self, **changes) -> Study:
        """A validated copy with ``changes`` applied (StudyConfigError for an unknown key)."""
        unknown = sorted(set(changes) - set(STUDY_KEYS) - {"path"})
        if unknown:
            raise StudyConfigError(
                f"{error_prefix(self.path)}unknown key{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))}; valid keys are {', '.join(STUDY_KEYS)}"
            )
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The study's settings as plain Python values (paths as strings, tuples as lists)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dict):
                value = {k: dict(v) for k, v in value.items()}
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[f.name] = value
        return out

    @property
    def regressors(self) -> tuple[str, ...]:
        """The series of the normal-return model: ``donors`` for ``synthetic``, else ``factors``."""
        return self.donors if self.model == "synthetic" else self.factors

    @property
    def design_columns(self) -> tuple[str, ...]:
        """The normal-return design's columns: each regressor at each of ``factor_lags``."""
        return lagged_names(self.regressors, self.factor_lags)

    @property
    def return_label(self) -> str:
        """``'log return'`` or ``'simple return'``, for table and figure labels."""
        return f"{self.returns} return"

    @property
    def tickers(self) -> tuple[str, ...]:
        """Every price series the study reads: assets (both legs of a spread), factors, donors."""
        out: list[str] = []
        for a in (*(self.assets or (self.asset,)), *self.factors, *self.donors):
            for t in split_spread(a):
                if t not in out:
                    out.append(t)
        return tuple(out)

    @property
    def asset_list(self) -> tuple[str, ...]:
        """The assets measured (``assets``, or the one ``asset``)."""
        return tuple(self.assets) if self.assets else (self.asset,)

    def for_asset(self, asset: str) -> Study:
        """The one-asset study of ``asset``: same design, a factor equal to it dropped."""
        legs = split_spread(asset)
        factors = tuple(f for f in self.factors if f not in legs)
        donors = tuple(d for d in self.donors if d not in legs)
        return dataclasses.replace(self, asset=asset, assets=None, factors=factors,
                                   donors=donors, variants={})


#: The keys a study file may contain (``path`` comes from the file).
STUDY_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Study) if f.name != "path")


def split_spread(asset: str) -> tuple[str, ...]:
    """The legs of a spread asset ``"A-B"`` (futures tickers holding ``=``), else ``(asset,)``."""
    if "-" in asset and "=" in asset:
        legs = tuple(asset.split("-"))
        if len(legs) == 2 and all(legs):
            return legs
    return (asset,)


def lag_name(factor: str, lag: int) -> str:
    """The design column of ``factor`` at ``lag``: ``SPY``, ``SPY_lag1``, ``SPY_lead1``."""
    lag = int(lag)
    if lag == 0:
        return str(factor)
    return f"{factor}_lag{lag}" if lag > 0 else f"{factor}_lead{-lag}"


def lagged_names(factors, lags=(0,)) -> tuple:
    """Every factor at every lag, factor by factor (:func:`lag_name`)."""
    return tuple(lag_name(f, g) for f in factors for g in lags)


def error_prefix(path) -> str:
    """The start of a study's error messages: its file's path, or ``'Study: '`` in code."""
    return f"{path}: " if path is not None else "Study: "


def study_error(prefix: str, key: str, value, problem: str, fix: str | None = None
                ) -> StudyConfigError:
    """The error of one study key: ``<prefix><key> = <value>: <problem>; <fix>``."""
    fix = fix or f"write it as {_EXAMPLES.get(key, key)}"
    return StudyConfigError(f"{prefix}{key} = {_show(value)}: {problem}; {fix}")


class _Checker:
    """Builds StudyConfigError messages that name the file, key, value and fix."""

    def __init__(self, path):
        self.prefix = error_prefix(path)
        self.path = path

    def fail(self, key: str, value, problem: str, fix: str | None = None):
        raise study_error(self.prefix, key, value, problem, fix)

    def string(self, key, value, *, nonempty=False) -> str:
        if not isinstance(value, str) or (nonempty and not value.strip()):
            self.fail(key, value,
                      "expected a non-empty string" if nonempty else "expected a string")
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
        return int(value)

    def strings(self, key, value) -> tuple[str, ...]:
        if not isinstance(value, (list, tuple)) or not all(
                isinstance(v, str) and v.strip() for v in value):
            self.fail(key, value, "expected a list of non-empty strings")
        return tuple(value)

    def distinct(self, key, values, what: str) -> None:
        duplicated = sorted({v for v in values if values.count(v) > 1})
        if duplicated:
            self.fail(key, list(values), f"listed twice: {', '.join(duplicated)}",
                      f"list each {what} once")

    def option(self, key, value, literal) -> str:
        try:
            return check_option(key, value, literal)
        except OptionError as exc:
            self.fail(key, value, str(exc))

    def pair(self, key, value, what: str) -> tuple[int, int]:
        if not isinstance(value, (list, tuple)) or len(value) != 2 or any(
                isinstance(v, bool) or not isinstance(v, int) for v in value):
            self.fail(key, value, f"expected {what} as two integers [start, end]")
        return int(value[0]), int(value[1])


def _show(value) -> str:
    """A value as the user wrote it: tuples shown as lists, paths as strings."""
    if isinstance(value, tuple):
        return repr([_plain(v) for v in value])
    if isinstance(value, Path):
        return repr(str(value))
    return repr(value)


def _plain(v):
    return [_plain(x) for x in v] if isinstance(v, tuple) else v


def _validate(study: Study) -> dict:
    """Check every field of ``study``; return the normalised values (tuples, absolute paths)."""
    check = _Checker(study.path)
    out: dict = {}
    _check_text(check, study)
    out.update(_check_assets(check, study))
    asset = out.get("asset", study.asset)
    model, min_days = _check_choices(check, study)
    out.update(_check_factors(check, study, model, asset))
    out.update(_check_donors(check, study, model, asset))
    pairs = _check_windows(check, study.windows)
    out["windows"] = pairs
    first_day = min(start for start, _ in pairs)
    t0, t1 = _check_estimation(check, study.estimation, first_day, min_days)
    out["estimation"] = (t0, t1)
    out["factor_lags"] = _check_lags(check, study.factor_lags, model, t1, first_day)
    out["events"] = _check_events_path(check, study)
    if study.event_ids is not None:
        out["event_ids"] = _check_ids(check, "event_ids", study.event_ids,
                                      "remove the key to use every event, or list some ids")
    if study.headline_events is not None:
        out["headline_events"] = _check_ids(check, "headline_events", study.headline_events,
                                            "list ids of event_ids (or of the events file)",
                                            distinct=False)
    if study.headline_windows is not None:
        out["headline_windows"] = _check_headline_windows(check, study.headline_windows, pairs)
    if study.path is not None:
        out["path"] = Path(_absolute(Path(study.path)))
    out["variants"] = _variants(check, study.variants)
    return out


def _check_text(check: _Checker, study) -> None:
    """The name (a safe folder name), title and description."""
    name = check.string("name", study.name, nonempty=True)
    if not _NAME.match(name) or name in (".", ".."):
        check.fail("name", name, "a study name is used as a folder name and may hold only "
                   "letters, digits, '.', '_' and '-' (not starting with '.')",
                   'write it as name = "my-study"')
    for key in ("title", "description"):
        check.string(key, getattr(study, key))


def _check_assets(check: _Checker, study) -> dict:
    """The asset, or the list of assets (the first of them is then ``asset``)."""
    if study.assets is None:
        if study.asset is None:
            raise StudyConfigError(
                f"{check.prefix}asset is missing: a study measures the abnormal returns of an "
                'asset; write it as asset = "ZS=F", or list several as assets = ["ZS=F", '
                '"ZC=F"]')
        return {"asset": check.string("asset", study.asset, nonempty=True)}
    assets = check.strings("assets", study.assets)
    if not assets:
        check.fail("assets", [], "empty list", 'list the assets, e.g. assets = ["ZS=F"]')
    check.distinct("assets", assets, "asset")
    for a in assets:
        legs = a.split("-") if "-" in a and "=" in a else [a]
        if len(legs) == 2 and legs[0] == legs[1]:
            check.fail("assets", a, "a spread of a ticker with itself is zero",
                       'name two different series, e.g. "ZS=F-ZC=F"')
        if len(legs) > 2 or any(not leg.strip() for leg in legs):
            check.fail("assets", a, "a spread is two tickers joined by '-'",
                       'write it as "ZS=F-ZC=F"')
    return {"assets": assets, "asset": assets[0]}


def _check_choices(check: _Checker, study) -> tuple[str, int]:
    """The closed option sets, switches and counts; returns the model and the minimum days."""
    model = check.option("model", study.model, ModelName)
    check.option("returns", study.returns, ReturnKind)
    check.string("group_by", study.group_by, nonempty=True)
    check.option("volatility", study.volatility, Volatility)
    check.option("other_events", study.other_events, OtherEvents)
    for key in ("exclude_other_events", "exclude_thin_trading", "mask_rolls"):
        check.boolean(key, getattr(study, key))
    min_days = check.integer("min_estimation_days", study.min_estimation_days, minimum=2)
    check.integer("placebo_draws", study.placebo_draws, minimum=0)
    check.integer("seed", study.seed, minimum=0)
    if study.n_jobs is not None and (check.integer("n_jobs", study.n_jobs) == 0):
        check.fail("n_jobs", study.n_jobs, "0 workers cannot run anything",
                   "give a number of processes, or -1 (or leave it out) for every core")
    return model, min_days


def _check_factors(check: _Checker, study, model: str, asset: str) -> dict:
    """The factors: as many as the model needs, each once, not the asset."""
    factors = check.strings("factors", study.factors)
    if model in ("market", "market-adjusted") and not factors:
        check.fail("factors", list(factors), f"model {model!r} needs at least one factor",
                   'list the market first, e.g. factors = ["SPY", "UUP"], or use model = '
                   '"constant-mean"')
    if model == "market-adjusted" and len(factors) != 1:
        check.fail("factors", list(factors), "the 'market-adjusted' model subtracts one market "
                   "return", 'give exactly one factor, e.g. factors = ["SPY"]')
    check.distinct("factors", factors, "factor")
    if study.assets is None and asset in factors:
        check.fail("factors", list(factors), "the asset cannot also be a factor", "remove it")
    return {"factors": factors}


def _check_windows(check: _Checker, windows) -> tuple[tuple[int, int], ...]:
    """The event windows: distinct [start, end] pairs with start <= end."""
    if not isinstance(windows, (list, tuple)) or not windows:
        check.fail("windows", windows, "expected a non-empty list of [start, end] pairs")
    pairs = []
    for w in windows:
        start, end = check.pair("windows", w, "each window")
        if start > end:
            check.fail("windows", w, f"window start {start} is after its end {end}",
                       f"write it as [{end}, {start}]")
        if (start, end) in pairs:
            check.fail("windows", w, "listed twice", "list each window once")
        pairs.append((start, end))
    return tuple(pairs)


def _check_estimation(check: _Checker, estimation, first_day: int,
                      min_days: int) -> tuple[int, int]:
    """The estimation window [T0, T1]: before the earliest event-window day, long enough."""
    t0, t1 = check.pair("estimation", estimation, "the estimation window")
    if not t0 < t1:
        check.fail("estimation", estimation, f"T0 = {t0} must be before T1 = {t1}",
                   "write it as [T0, T1] with T0 < T1, e.g. estimation = [-250, -11]")
    if not t1 < first_day:
        check.fail("estimation", [t0, t1],
                   f"the estimation window must end before the earliest event-window day "
                   f"{first_day}",
                   f"end it at {first_day - 1} or earlier, e.g. estimation = [{t0}, "
                   f"{first_day - 1}]")
    n_est = t1 - t0 + 1
    if min_days > n_est:
        check.fail("min_estimation_days", min_days,
                   f"more than the {n_est} days of the estimation window [{t0}, {t1}]",
                   f"use at most {n_est}, or widen the estimation window")
    return t0, t1


def _check_events_path(check: _Checker, study) -> Path:
    """The events file as an absolute path (relative to the study file), which must exist."""
    events = study.events
    if events is None:
        events = DEFAULT_EVENTS
    elif not isinstance(events, (str, Path)):
        check.fail("events", events, "expected the path of an events CSV",
                   "give the events CSV's path")
    events = Path(events)
    if not events.is_absolute():
        base = Path(study.path).parent if study.path is not None else Path.cwd()
        events = base / events
    events = Path(_absolute(events))
    if not events.is_file():
        check.fail("events", str(study.events), f"no such file {events}",
                   "give the events CSV's path relative to the study file"
                   if study.path is not None else "give the events CSV's path")
    return events


def _check_ids(check: _Checker, key: str, ids, fix_empty: str, *,
               distinct: bool = True) -> tuple[str, ...]:
    """A non-empty list of event ids, each once when ``distinct``."""
    ids = check.strings(key, ids)
    if not ids:
        check.fail(key, list(ids), "empty list", fix_empty)
    if distinct:
        check.distinct(key, ids, "id")
    return ids


def _check_headline_windows(check: _Checker, windows, pairs) -> tuple[tuple[int, int], ...]:
    """The answer box's windows: some of the study's windows."""
    heads = []
    for w in windows if isinstance(windows, (list, tuple)) else [windows]:
        pair = check.pair("headline_windows", w, "each window")
        if pair not in pairs:
            check.fail("headline_windows", w, f"not one of the study's windows "
                       f"{', '.join(f'[{a}, {b}]' for a, b in pairs)}",
                       "list windows of the windows key")
        heads.append(pair)
    if not heads:
        check.fail("headline_windows", [], "empty list", "remove the key or list windows")
    return tuple(heads)


def _check_donors(check: _Checker, study, model: str, asset: str) -> dict:
    """The donor pool of ``synthetic`` (factors then set to none); none for other models."""
    donors = check.strings("donors", study.donors)
    if model != "synthetic":
        if donors:
            check.fail("donors", list(donors), f"donors are the pool of model = \"synthetic\"; "
                       f"this study's model is {model!r}",
                       'set model = "synthetic" or remove the donors key')
        return {"donors": ()}
    if len(donors) < 2:
        check.fail("donors", list(donors), f"a synthetic control needs a donor pool of at least "
                   f"two series; got {len(donors)}", 'list two or more, e.g. donors = ["ZC=F", '
                   '"ZW=F", "CL=F"]')
    check.distinct("donors", donors, "donor")
    spreads = [d for d in donors if len(split_spread(d)) > 1]
    if spreads:
        check.fail("donors", list(donors), f"a donor is one price series; got the spread "
                   f"{spreads[0]!r}", "list plain tickers")
    if study.assets is None and asset in donors:
        check.fail("donors", list(donors), f"the asset {asset!r} cannot be its own donor",
                   f"remove {asset!r} from donors")
    return {"donors": donors, "factors": ()}


def _check_lags(check: _Checker, lags, model: str, t1: int, first_day: int) -> tuple:
    """Dimson lags: distinct integers, market model only, no lead into the event window."""
    if not isinstance(lags, (list, tuple)) or not lags or any(
            isinstance(v, bool) or not isinstance(v, int) for v in lags):
        check.fail("factor_lags", lags, "expected a non-empty list of integers")
    lags = tuple(int(v) for v in lags)
    duplicated = sorted({v for v in lags if lags.count(v) > 1})
    if duplicated:
        check.fail("factor_lags", list(lags), f"listed twice: {duplicated[0]}",
                   "list each lag once")
    lags = tuple(sorted(lags))
    if lags != (0,) and model != "market":
        check.fail("factor_lags", list(lags), f"lead and lag factor returns belong to model = "
                   f"\"market\"; this study's model is {model!r}",
                   'set model = "market" or remove factor_lags')
    lead = -min(lags)
    if t1 + lead >= first_day:
        check.fail("factor_lags", list(lags),
                   f"a lead of {lead} days reads, on estimation day {t1}, the factors' return of "
                   f"day {t1 + lead}, at or after the first event-window day {first_day}",
                   f"use leads of at most {first_day - t1 - 1} days or end the estimation "
                   f"earlier")
    return lags


def _variants(check: _Checker, variants) -> dict:
    """Check the ``variants`` table: labels to changes of valid study keys."""
    if not isinstance(variants, dict):
        check.fail("variants", variants, "expected a table of label = { key = value, ... }")
    allowed = set(STUDY_KEYS) - {"name", "title", "description", "variants"}
    out = {}
    for label, changes in variants.items():
        if not isinstance(label, str) or not label.strip() or not isinstance(changes, dict):
            check.fail("variants", {label: changes}, "each variant is a label and a table of "
                       "changes")
        unknown = sorted(set(changes) - allowed)
        if unknown:
            check.fail("variants", {label: changes},
                       f"unknown key{'s' if len(unknown) > 1 else ''} "
                       f"{', '.join(map(repr, unknown))}",
                       f"use keys among {', '.join(sorted(allowed))}")
        out[label] = {k: tuple(tuple(x) if isinstance(x, list) else x for x in v)
                      if isinstance(v, list) else v for k, v in changes.items()}
    return out


def _absolute(path: Path) -> str:
    """An absolute path without resolving symlinks (a shared folder may be a link)."""
    import os

    return os.path.normpath(os.path.abspath(path))


def _read_toml(path: Path) -> dict:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StudyConfigError(
            f"{path}: study file not found; give the path of a .toml study file "
            "(see the studies/ folder)"
        ) from None
    except IsADirectoryError:
        raise StudyConfigError(f"{path}: this is a folder; give the path of a .toml study file") \
            from None
    except OSError as exc:
        raise StudyConfigError(f"{path}: cannot read the study file ({exc.strerror}); check its "
                               "permissions") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise StudyConfigError(
            f"{path}: line {line}: byte 0x{data[exc.start]:02x} at position {column} is not "
            "UTF-8; save the file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyConfigError(f"{path}: not valid TOML ({exc}); fix the syntax there") from None


def load_study(path) -> Study:
    """Read and validate a study file.

    Relative ``events`` paths are resolved against the study file's folder.

    Raises
    ------
    StudyConfigError
        A missing, unreadable or malformed file, an unknown key (the message
        lists the valid ones), and every error of :class:`Study`.
    """
    path = Path(path)
    raw = _read_toml(path)
    unknown = sorted(set(raw) - set(STUDY_KEYS))
    if unknown:
        names = ", ".join(repr(k) for k in unknown)
        raise StudyConfigError(
            f"{path}: unknown key{'s' if len(unknown) > 1 else ''} {names}; "
            f"valid keys are {', '.join(STUDY_KEYS)}"
        )
    values = {"name": path.stem, **raw}
    if "events" in raw:
        rel = raw["events"]
        if not isinstance(rel, str) or not rel.strip():
            _Checker(path).fail("events", rel, "expected a non-empty string")
    return Study(**values, path=path)
