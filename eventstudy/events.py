"""The event catalogue: loading, validation and alignment to exchange sessions.

An events file is a CSV with one row per piece of news (see ``data/README.md``
for the columns). :func:`load_events` reads it into a typed table and reports
every problem of the file at once; :func:`align_events` gives each event its
*trade date* ("day 0"), the first trade date whose prices can reflect the news,
and the rule that produced it. Day 0's position in a returns panel is
:func:`eventstudy.panel.locate_day0` (exactly the trade date's row, never a
neighbouring one).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import functools
import logging
import os
import re
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from .calendar import ExchangeCalendar, get_calendar
from .config import DEFAULT_EVENTS, Study, error_prefix, study_error
from .exceptions import (
    CalendarError,
    DataError,
    EventAlignmentError,
    EventFileError,
    OptionError,
    PriceFileError,
    StudyConfigError,
)
from .options import check_option
from .prices import FIRST_DATE, LAST_DATE, first_non_utf8, load_prices, resolve_prices_dir

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "DEFAULT_EVENTS",
    "RULES",
    "Category",
    "Rule",
    "Status",
    "TIMINGS",
    "Timing",
    "align_events",
    "check_events",
    "event_groups",
    "events_report",
    "load_events",
    "same_day_events",
    "select_events",
]

logger = logging.getLogger(__name__)

#: What kind of news an event is (the ``category`` column).
Category = Literal["meeting", "call", "visit", "tariff", "truce", "deal", "purchase", "geopolitics"]
CATEGORIES: tuple[str, ...] = get_args(Category)

#: How an event's trade date was found (the ``rule`` column of :func:`align_events`).
Rule = Literal[
    "overnight", "pre-open", "day-session", "after-close-next", "closed-next",
    "date-only", "date-only-closed-next", "reported-overnight", "reported-pre-open",
    "reported-day-session", "reported-after-close-next", "reported-closed-next", "pending",
]
RULES: tuple[str, ...] = get_args(Rule)

#: The reported part of the trading day of an event without a clock time (the
#: ``timing`` column): the night before the day session of ``date``, before that
#: day session (night or break), from the day open to the close, after the close.
Timing = Literal["overnight", "pre-open", "day-session", "after-close"]
TIMINGS: tuple[str, ...] = get_args(Timing)

#: Whether an event can enter a study (the ``status`` column of :func:`align_events`).
Status = Literal["aligned", "pending", "after-data"]

#: The columns of an events file, in the order of the typed table.
COLUMNS: tuple[str, ...] = ("id", "date", "time", "tz", "timing", "title", "category",
                             "direction", "in_article", "source", "notes")
REQUIRED: tuple[str, ...] = ("id", "date")

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0", ""}
_DIRECTIONS = {"-1": -1, "0": 0, "1": 1, "+1": 1, "": 0}


# --------------------------------------------------------------------------- loading


#: Columns whose value is one short token: a line break inside one is never meant.
_TOKEN_COLUMNS = ("id", "date", "time", "tz", "timing", "category", "direction", "in_article")


def _physical_lines(text: str) -> list[str]:
    """The file's lines with their ends (``\\n``, ``\\r\\n`` or a lone ``\\r``)."""
    return re.findall(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$", text)


def _looks_like_row(line: str, header: list[str]) -> bool:
    """Whether one physical line, read alone, is a complete event row (id and a date)."""
    try:
        fields = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return False
    if len(fields) != len(header) or "date" not in header or "id" not in header:
        return False
    date = fields[header.index("date")].strip()
    # An empty date is a pending event: still a row.
    return bool(fields[header.index("id")].strip()) and (
        not date or _DATE_RE.match(date) is not None
    )


def _spanning_problem(
    first: int, last: int, fields: list[str], header: list[str], lines: list[str]
) -> str | None:
    """A message when a record spanning lines ``first..last`` came from a quote left open.

    A quoted line break is allowed in a text column (a notes paragraph); it is
    refused in a one-token column, when the record has the wrong number of
    fields, or when a line inside the field is itself a complete event row.
    """
    j = next(k for k, f in enumerate(fields) if "\n" in f or "\r" in f)
    column = header[j] if j < len(header) else f"field {j + 1}"
    swallowed = [
        n for n in range(first + 1, last + 1) if _looks_like_row(lines[n - 1], header)
    ]
    if len(fields) == len(header) and column not in _TOKEN_COLUMNS and not swallowed:
        return None
    detail = (
        f"; lines {', '.join(map(str, swallowed[:5]))}{' ...' if len(swallowed) > 5 else ''} "
        "inside it are event rows"
        if swallowed
        else f"; the row then has {len(fields)} fields for {len(header)} columns"
        if len(fields) != len(header)
        else ""
    )
    return (
        f"line {first}, column {column!r}: a quote (\") opens a field that is not closed on "
        f"this line, so the field runs to line {last}{detail}. Close the quote on line "
        f"{first} or remove it (write a quote inside a quoted field as \"\")"
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise EventFileError(
            path, ["the file does not exist; give the path of an events CSV (--events FILE)"]
        ) from None
    except IsADirectoryError:
        raise EventFileError(path, ["this is a folder; give the path of an events CSV"]) from None
    except PermissionError:
        raise EventFileError(
            path, ["cannot read the file (permission denied); check its permissions"]
        ) from None
    except OSError as exc:
        raise EventFileError(path, [f"cannot read the file ({exc.strerror or exc})"]) from None


def _read_rows(path: Path, data: bytes) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """Header line number, header, and ``(first line number, fields)`` of each record.

    Blank lines are skipped. A byte that is not UTF-8, a NUL byte, a quote
    left open (:func:`_spanning_problem`) or a malformed quoted field is an
    :class:`EventFileError` naming the real line.
    """
    bad = first_non_utf8(data)
    if bad is not None:
        line, column, byte = bad
        raise EventFileError(path, [f"line {line}: byte {byte} at position {column} is not "
                                    "UTF-8; save the file as UTF-8 CSV (in Excel: 'CSV UTF-8')"])
    text = data.decode("utf-8-sig")
    lines = _physical_lines(text)
    for number, line in enumerate(lines if "\x00" in text else (), start=1):
        if "\x00" in line:
            raise EventFileError(path, [f"line {number}: a NUL byte; the file is not a text CSV "
                                        "(save it as UTF-8 CSV)"])
    if '"' not in text:
        # without a quote every record is one line split at its commas (as csv reads it)
        rows = ((n, line.rstrip("\r\n").split(",")) for n, line in enumerate(lines, start=1))
        rows = [(n, fields) for n, fields in rows if "".join(fields).strip()]
        header_line, header = (rows[0][0], [f.strip() for f in rows[0][1]]) if rows else (1, None)
        return _checked_rows(path, header_line, header, rows[1:])
    reader = csv.reader(lines, strict=True)
    records: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    header_line = 1
    last_line = 0
    while True:
        first_line = last_line + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            where = reader.line_num
            opened = (f"a quote opened on line {first_line} is not closed before line {where}; "
                      if where > first_line else "")
            raise EventFileError(path, [
                f"line {first_line}: not readable as CSV ({opened}{exc}); a quoted field must "
                'end with a quote followed by a comma or the line end, and a quote inside it is '
                'written ""']) from None
        last_line = reader.line_num
        if not "".join(fields).strip():
            continue
        if header is None:
            header = [f.strip() for f in fields]
            header_line = first_line
            if last_line > first_line:
                raise EventFileError(path, [
                    f"line {first_line}: a quote in the header opens a column name that runs to "
                    f"line {last_line}; remove the quote (column names need none)"])
            continue
        if last_line > first_line:
            problem = _spanning_problem(first_line, last_line, fields, header, lines)
            if problem is not None:
                # Every later row may be shifted into the open field: stop here
                # rather than report rows that are not in the file.
                raise EventFileError(path, [problem])
        records.append((first_line, fields))
    return _checked_rows(path, header_line, header, records)


def _checked_rows(path: Path, header_line: int, header: list[str] | None,
                  records: list[tuple[int, list[str]]]):
    """:func:`_read_rows`' answer, or the error of a file without a header or rows."""
    if header is None:
        raise EventFileError(path, ["line 1: the file is empty; the first line must name the "
                                    "columns, at least 'id,date'"])
    if not records:
        raise EventFileError(path, [f"line {header_line}: the file has a header but no event "
                                    "rows; add one row per event below the header"])
    return header_line, header, records


def _calendar_day(text: str) -> dt.date | None:
    """The day of ``YYYY-MM-DD`` text in any year, or None."""
    m = _DATE_RE.match(text)
    try:
        return None if m is None else dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _parse_date(text: str) -> dt.date | None:
    """The date of ``YYYY-MM-DD`` text, or None (also outside the dates pandas can hold)."""
    day = _calendar_day(text)
    return day if day is not None and FIRST_DATE.date() <= day <= LAST_DATE.date() else None


def _date_problem(text: str) -> str:
    """Why the date cell ``text`` cannot be read."""
    if _calendar_day(text) is not None:
        return (f"date {text!r} is outside the dates pandas can hold "
                f"({FIRST_DATE:%Y-%m-%d} to {LAST_DATE:%Y-%m-%d}); correct it, or leave it "
                "empty for an event without a known day")
    return (f"cannot read {text!r} as a date; write YYYY-MM-DD (e.g. 2025-11-24), or leave it "
            "empty for an event without a known day")


def _parse_time(text: str) -> dt.time | None:
    m = _TIME_RE.match(text)
    if m is None:
        return None
    try:
        return dt.time(int(m[1]), int(m[2]), int(m[3] or 0))
    except ValueError:
        return None


@functools.lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def _local_problem(date: dt.date, time: dt.time, zone: ZoneInfo) -> str | None:
    """A message when ``date time`` does not exist in ``zone`` (daylight-saving gap)."""
    naive = dt.datetime.combine(date, time)
    there_and_back = naive.replace(tzinfo=zone).astimezone(dt.timezone.utc).astimezone(zone)
    if there_and_back.replace(tzinfo=None) != naive:
        return (
            f"{date} {time:%H:%M} does not exist in {zone.key} (clocks jump forward that night); "
            "check the time and the time zone"
        )
    return None


class LineNumbers(tuple):
    """The file line of each row of a loaded events table (``attrs["lines"]``).

    pandas deep-copies ``attrs`` on every operation on a frame; this immutable
    tuple is shared instead of copied.
    """

    __slots__ = ()

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (LineNumbers, (tuple(self),))


def _check_header(path: Path, line: int, header: list[str]) -> tuple[dict[str, int], list[str]]:
    """The position of each named column, and the problems of the header.

    A one-column header holding ``;``, a tab or ``|`` raises at once. Columns
    outside :data:`COLUMNS` are kept as text, with a warning when the name is
    close to a known one.
    """
    problems = []
    seen: dict[str, int] = {}
    for j, name in enumerate(header):
        if not name:
            problems.append(
                f"line {line}: column {j + 1} has no name; name it or remove the extra comma"
            )
            continue
        if name in seen:
            problems.append(
                f"line {line}, column {name!r}: the column appears twice (positions "
                f"{seen[name] + 1} and {j + 1}); keep one"
            )
        seen.setdefault(name, j)
    separator = next((sep for sep in (";", "\t", "|") if len(header) == 1 and sep in header[0]),
                     None)
    if separator is not None:
        raise EventFileError(path, [f"line {line}: the columns are separated by {separator!r}, "
                                    "not commas; save the file as comma-separated CSV"])
    for name in REQUIRED:
        if name not in seen:
            problems.append(
                f"line {line}, column {name!r}: missing required column {name!r}; "
                "add it to the header "
                f"(the header is {','.join(header)!r}; required columns are 'id,date')"
            )
    for name in (c for c in header if c and c not in COLUMNS):
        # a column of the user's own is data; one spelt like a known column is a typo
        close = difflib.get_close_matches(name, COLUMNS, n=1, cutoff=0.8)
        if close:
            logger.warning("%s: column %r is not one of %s (did you mean %r?); it is kept as "
                           "text", path, name, ", ".join(COLUMNS), close[0])
        else:
            logger.info("%s: column %r is not one of %s; it is kept as text", path, name,
                        ", ".join(COLUMNS))
    return seen, problems


#: A problem of a row: its line, its rank among the checks of a row, the message.
_Problem = tuple[int, int, str]


def _cells(records: list[tuple[int, list[str]]], header: list[str],
           seen: dict[str, int]) -> tuple[list[int], dict[str, list[str]], list[_Problem]]:
    """Lines and stripped cells (by column name) of the rows with one field per column.

    A row with another number of fields is a problem and is left out.
    """
    k = len(header)
    problems, lines, rows = [], [], []
    for line, fields in records:
        if len(fields) == k:
            lines.append(line)
            rows.append(fields)
            continue
        fix = ("quote fields that contain commas" if len(fields) > k else
               "give every column a field (an empty field is nothing between two commas)")
        problems.append(
            (line, 0, f"line {line}: {len(fields)} fields but the header has {k} columns; {fix}")
        )
    columns = list(zip(*rows, strict=True)) if rows else [()] * k
    return lines, {name: [f.strip() for f in columns[j]] for name, j in seen.items()}, problems


def _bad(line: int, rank: int, column: str, message: str) -> _Problem:
    return line, rank, f"line {line}, column {column!r}: {message}"


def _where(texts: list[str], wrong) -> list[int]:
    """Rows whose text is in ``wrong`` (each distinct text is judged once)."""
    bad = {t for t in set(texts) if wrong(t)}
    return [i for i, t in enumerate(texts) if t in bad] if bad else []


def _id_problems(lines: list[int], ids: list[str]) -> list[_Problem]:
    problems, first = [], {}
    for line, ident in zip(lines, ids, strict=True):
        if not ident:
            problems.append(_bad(line, 1, "id", "empty id; give every event a unique short name "
                                                "(e.g. 'busan-meeting')"))
        elif ident in first:
            problems.append(_bad(line, 1, "id", f"duplicate id {ident!r} (first on line "
                                                f"{first[ident]}); make every id unique"))
        else:
            first[ident] = line
    return problems


def _clock_problems(path: Path, lines: list[int], date: list[str], time: list[str],
                    tz: list[str]) -> list[_Problem]:
    """Problems of the ``date``, ``time`` and ``tz`` cells; a repeated local time is logged."""
    problems = [_bad(lines[i], 2, "date", _date_problem(date[i]))
                for i in _where(date, lambda t: t and _parse_date(t) is None)]
    for i in (i for i in range(len(lines)) if time[i] or tz[i]):
        line, clock, zone = lines[i], _parse_time(time[i]), _zone(tz[i]) if tz[i] else None
        if time[i] and clock is None:
            problems.append(_bad(line, 3, "time", f"cannot read {time[i]!r} as a clock time; "
                                 "write HH:MM in 24-hour form (e.g. 16:35), or leave it empty "
                                 "when the time is unknown"))
        elif time[i] and not date[i]:
            problems.append(_bad(line, 3, "time", f"time {time[i]!r} without a date; add the "
                                 "date or remove the time"))
        if tz[i] and zone is None:
            problems.append(_bad(line, 4, "tz", f"unknown time zone {tz[i]!r}; use an IANA name "
                                 "such as 'America/Chicago', 'America/New_York', 'Asia/Shanghai' "
                                 "or 'Europe/Zurich'"))
        elif not tz[i]:
            problems.append(_bad(line, 4, "tz", f"time {time[i]!r} has no time zone; add the "
                                 "IANA name of the place where the time was reported (e.g. "
                                 "'America/New_York')"))
        day = _parse_date(date[i]) if date[i] else None
        if day is None or clock is None or zone is None:
            continue
        gap = _local_problem(day, clock, zone)
        if gap is not None:
            problems.append(_bad(line, 5, "time", gap))
        elif (dt.datetime.combine(day, clock, zone).utcoffset()
              != dt.datetime.combine(day, clock, zone).replace(fold=1).utcoffset()):
            logger.warning("%s line %d: %s %s occurs twice in %s (clocks go back); read as the "
                           "first occurrence", path, line, day, time[i], zone.key)
    return problems


def _timing_problems(lines: list[int], timing: list[str], date: list[str],
                     time: list[str]) -> list[_Problem]:
    problems = []
    for i in (i for i, part in enumerate(timing) if part):
        part, line = timing[i], lines[i]
        try:
            check_option("timing", part, Timing)
        except OptionError as exc:
            problems.append(_bad(line, 6, "timing", f"{exc}; use one of these for the reported "
                                 "part of the trading day (see data/README.md) or leave it empty"))
        if time[i]:
            problems.append(_bad(line, 6, "timing", f"timing {part!r} together with time "
                                 f"{time[i]!r}; give either a clock time or a timing, not both "
                                 "(keep the time when one was reported)"))
        elif not date[i]:
            problems.append(_bad(line, 6, "timing", f"timing {part!r} without a date; add the "
                                 "date or remove the timing"))
    return problems


def _label_problems(lines: list[int], category: list[str], direction: list[str],
                    in_article: list[str]) -> list[_Problem]:
    """Problems of the ``category``, ``direction`` and ``in_article`` cells."""
    problems = []
    for i in _where(category, lambda t: t and t not in CATEGORIES):
        try:
            check_option("category", category[i], Category)
        except OptionError as exc:
            problems.append(_bad(lines[i], 7, "category",
                                 f"{exc}; use one of these (see data/README.md) or leave it empty"))
    problems += [
        _bad(lines[i], 8, "direction", f"direction must be -1, 0 or 1; got {direction[i]!r} "
             "(1: prices expected to rise, -1: to fall, 0: unclear)")
        for i in _where(direction, lambda t: t not in _DIRECTIONS)
    ]
    problems += [
        _bad(lines[i], 9, "in_article", f"in_article must be true or false; got {in_article[i]!r}")
        for i in _where(in_article, lambda t: t.lower() not in _TRUE | _FALSE)
    ]
    return problems


def _events_frame(path: Path, lines: list[int], cells: dict[str, list[str]],
                  extra: list[str]) -> pd.DataFrame:
    """The typed table of rows without a problem (see :func:`load_events`)."""
    n = len(lines)
    empty = [""] * n

    def text(name: str) -> pd.Series:
        return pd.Series(cells.get(name, empty), dtype="str")

    def lookup(name: str, value, dtype) -> pd.Series:
        texts = cells.get(name, empty)
        table = {t: value(t) for t in set(texts)}
        return pd.Series(list(map(table.__getitem__, texts)), dtype=dtype)

    def day(t: str):
        return pd.NaT if not t else pd.Timestamp(_parse_date(t))

    frame = pd.DataFrame(
        {
            "id": text("id"),
            "date": pd.to_datetime(lookup("date", day, "object")).astype("datetime64[ns]"),
            **{name: lookup(name, lambda t: t or None, "object")
               for name in ("time", "tz", "timing")},
            "title": text("title"),
            "category": lookup("category", lambda t: t or None, "object"),
            "direction": lookup("direction", _DIRECTIONS.__getitem__, "Int64"),
            "in_article": lookup("in_article", lambda t: t.lower() in _TRUE, "bool"),
            "source": text("source"),
            "notes": text("notes"),
            **{name: text(name) for name in extra},
        }
    )
    frame.attrs["path"] = str(path)
    frame.attrs["lines"] = LineNumbers(lines)
    return frame


def load_events(path) -> pd.DataFrame:
    """Read and validate an events file.

    Parameters
    ----------
    path : str or pathlib.Path
        A CSV whose first line names the columns (:data:`COLUMNS`; only ``id``
        and ``date`` are required, unknown columns are kept as text).

    Returns
    -------
    pandas.DataFrame
        One row per event, in file order: ``id`` (str), ``date`` (midnight,
        ``NaT`` without a day), ``time`` (``'HH:MM[:SS]'`` or None), ``tz``
        (IANA name or None), ``timing`` (:data:`TIMINGS` or None), ``title``,
        ``category`` (:data:`CATEGORIES` or None), ``direction`` (Int64,
        expected sign of the price effect, 0 when absent), ``in_article``
        (bool), ``source``, ``notes``, then the extra columns.
        ``attrs["path"]`` is the file, ``attrs["lines"]`` the line of each row
        (:class:`LineNumbers`).

    Raises
    ------
    EventFileError
        Listing every problem of the file, each with its line, column and fix.
        A file that cannot be read as CSV (not UTF-8, a NUL byte, a malformed
        quoted field, a quote left open) stops at its first such line.

    Notes
    -----
    A local time that occurs twice (clocks go back) is read as its first
    occurrence and logged.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise EventFileError(repr(path), [
            f"the events file must be a path (str or pathlib.Path); got "
            f"{type(path).__name__}, e.g. load_events('data/events.csv')"])
    path = Path(path)
    header_line, header, records = _read_rows(path, _read_bytes(path))
    seen, problems = _check_header(path, header_line, header)
    lines, cells, row_problems = _cells(records, header, seen)
    empty = [""] * len(lines)
    date, time, tz, timing = (cells.get(name, empty) for name in ("date", "time", "tz", "timing"))
    if "id" in cells:
        row_problems += _id_problems(lines, cells["id"])
    row_problems += _clock_problems(path, lines, date, time, tz)
    row_problems += _timing_problems(lines, timing, date, time)
    row_problems += _label_problems(
        lines, *(cells.get(name, empty) for name in ("category", "direction", "in_article"))
    )
    problems += [text for _, _, text in sorted(row_problems, key=lambda p: p[:2])]
    if problems:
        raise EventFileError(path, problems)
    return _events_frame(path, lines, cells, [c for c in header if c and c not in COLUMNS])


# --------------------------------------------------------------------------- alignment


def _resolve_calendar(calendar) -> ExchangeCalendar:
    """An exchange calendar, or the calendar of a ticker or calendar name."""
    if calendar is None or isinstance(calendar, str):
        return get_calendar(calendar)
    return calendar


def _exchange_times(events: pd.DataFrame, dates: pd.Series, tz: str) -> pd.Series:
    """Each event's timestamp in the exchange time zone (NaT without a time)."""
    result = pd.Series(pd.NaT, index=events.index, dtype=f"datetime64[ns, {tz}]")
    if "time" not in events:
        return result
    values = events["time"].to_numpy(dtype=object)
    present = np.flatnonzero(pd.notna(values))
    timed = np.zeros(len(values), dtype=bool)
    timed[present] = [str(v).strip() != "" for v in values[present]]
    if not timed.any():
        return result
    time = events["time"].astype("object").where(events["time"].notna(), None)
    timed = pd.Series(timed, index=events.index)
    zones = (events["tz"].astype("object").where(events["tz"].notna(), None) if "tz" in events
             else pd.Series(None, index=events.index, dtype="object"))
    missing = timed & (zones.isna() | dates.isna())
    if missing.any():
        ids = ", ".join(repr(str(i)) for i in events.loc[missing, "id"])
        raise EventAlignmentError(
            f"events {ids} have a time but no date or no time zone; give both "
            "(load_events reports this for a file)"
        )
    clock = time[timed].map(lambda v: v if len(v.strip()) > 5 else v.strip() + ":00")
    naive = dates.loc[timed] + pd.to_timedelta(clock)
    for zone, rows in zones[timed].groupby(zones[timed]).groups.items():
        local = naive.loc[rows].dt.tz_localize(
            zone, ambiguous=np.ones(len(rows), dtype=bool), nonexistent="raise"
        )
        result.loc[rows] = local.dt.tz_convert(tz)
    return result


#: Rule of a date with a timing (or none), on a trade date and on a closed day.
_DATED_RULES: dict[str | None, tuple[str, str]] = {
    None: ("date-only", "date-only-closed-next"),
    "overnight": ("reported-overnight", "reported-closed-next"),
    "pre-open": ("reported-pre-open", "reported-closed-next"),
    "day-session": ("reported-day-session", "reported-closed-next"),
    "after-close": ("reported-after-close-next", "reported-closed-next"),
}


_DATED_CODES = {timing: code for code, timing in enumerate(_DATED_RULES)}
_DATED_NAMES = tuple(np.array([rules[j] for rules in _DATED_RULES.values()], dtype=object)
                     for j in (0, 1))


def _timings(events: pd.DataFrame, timed: np.ndarray, dated: np.ndarray) -> np.ndarray:
    """Each event's reported part of the trading day (None when not reported), checked."""
    part = np.full(len(events), None, dtype=object)
    if "timing" not in events:
        return part
    part[:] = [None if pd.isna(v) or not str(v).strip() else str(v).strip()
               for v in events["timing"].to_numpy(dtype=object)]
    has = pd.notna(part)
    wrong = {p for p in set(part[has]) if p not in TIMINGS}
    if wrong:
        unknown = np.array([p in wrong for p in part], dtype=bool)
        try:
            check_option("timing", part[unknown][0], Timing)
        except OptionError as exc:
            listed = ", ".join(repr(i) for i in events["id"].astype(str).to_numpy()[unknown])
            raise EventAlignmentError(
                f"events {listed}: {exc}; use one of these or leave the timing empty"
            ) from None
    for mask, problem in (
        (has & timed, "have both a time and a timing; give either a clock time or a timing, "
                      "not both"),
        (has & ~timed & ~dated, "have a timing but no date; add the date or remove the timing"),
    ):
        if mask.any():
            listed = ", ".join(repr(i) for i in events["id"].astype(str).to_numpy()[mask])
            raise EventAlignmentError(f"events {listed} {problem}")
    return part


def _utc_ns(column: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(column).as_unit("ns").asi8


def _event_dates(events: pd.DataFrame) -> pd.Series:
    """The ``date`` column as ``datetime64[ns]``, after checking the table's type and columns."""
    if not isinstance(events, pd.DataFrame):
        raise EventAlignmentError(
            f"events must be a DataFrame from load_events; got {type(events).__name__}"
        )
    if "id" not in events or "date" not in events:
        raise EventAlignmentError(
            "events need the columns 'id' and 'date'; read the file with load_events"
        )
    try:
        return pd.to_datetime(events["date"]).astype("datetime64[ns]")
    except (TypeError, ValueError) as exc:
        raise EventAlignmentError(
            f"the 'date' column cannot be read as dates ({exc}); give dates as YYYY-MM-DD "
            "or read the file with load_events"
        ) from None


def _sessions_around(cal: ExchangeCalendar, anchors: np.ndarray) -> pd.DataFrame:
    """The sessions from 10 days before the first anchor day to 20 days after the last."""
    first, last = pd.Timestamp(anchors.min()), pd.Timestamp(anchors.max())
    try:
        return cal.sessions(first - pd.Timedelta(days=10), last + pd.Timedelta(days=20))
    except CalendarError as exc:
        raise EventAlignmentError(
            f"events from {first.date()} to {last.date()} reach outside "
            f"the calendar {cal.name!r} ({exc}); remove or correct those events"
        ) from exc


def _dated_days(days: np.ndarray, d: np.ndarray,
                part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trade date and rule of events with a date ``d`` and a timing ``part`` (or None)."""
    k = np.searchsorted(days, d, side="left")
    open_day = days[k] == d
    k = k + (open_day & (part == "after-close"))
    code = np.fromiter(map(_DATED_CODES.__getitem__, part), dtype=np.int64, count=part.size)
    on_open, on_closed = (_DATED_NAMES[j][code] for j in (0, 1))
    return days[k], np.where(open_day, on_open, on_closed)


def _timed_days(sessions: pd.DataFrame, exchange: pd.Series,
                day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trade date and rule of events at the instants ``exchange`` (local calendar day ``day``)."""
    days = sessions.index.as_unit("ns").values
    t = _utc_ns(exchange)
    opens, closes = _utc_ns(sessions["open"]), _utc_ns(sessions["close"])
    b_start, b_end = _utc_ns(sessions["break_start"]), _utc_ns(sessions["break_end"])
    has_break = (sessions["break_start"].notna() & sessions["break_end"].notna()).to_numpy()
    k = np.searchsorted(closes, t, side="right")
    inside = t >= opens[k]
    brk = has_break[k]
    close_day = sessions["close"].dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
    same_day_as_prev_close = (k > 0) & (day == close_day.to_numpy()[np.maximum(k - 1, 0)])
    rule = np.select(
        [inside & brk & (t < b_start[k]), inside & brk & (t < b_end[k]), inside,
         same_day_as_prev_close, day == days[k]],
        ["overnight", "pre-open", "day-session", "after-close-next", "pre-open"],
        default="closed-next",
    )
    return days[k], rule


def _status(ids: np.ndarray, trade_date: np.ndarray, rule: np.ndarray,
            last: pd.Timestamp | None) -> np.ndarray:
    """``pending``, ``after-data`` (trade date after ``last``) or ``aligned``; each flag logged."""
    status = np.where(rule == "pending", "pending", "aligned").astype(object)
    if last is not None:
        status[(trade_date > np.datetime64(last.as_unit("ns").to_datetime64()))] = "after-data"
    for i in np.flatnonzero(status != "aligned").tolist():
        if status[i] == "pending":
            logger.info("event %r has no date: pending, left out of studies until it has one",
                        ids[i])
        else:
            logger.warning("event %r: trade date %s is after the last price date %s; reported as "
                           "'after-data' and left out of studies", ids[i],
                           pd.Timestamp(trade_date[i]).date(), last.date())
    return status


def align_events(events: pd.DataFrame, calendar, last_date=None) -> pd.DataFrame:
    r"""Give each event its trade date ("day 0") and the rule that produced it.

    Parameters
    ----------
    events : pandas.DataFrame
        As returned by :func:`load_events` (at least ``id`` and ``date``).
    calendar : ExchangeCalendar or str
        The calendar, or a ticker / calendar name for
        :func:`eventstudy.calendar.get_calendar`.
    last_date : date-like, optional
        The last trade date with prices; later events get the status
        ``'after-data'`` (logged, not an error).

    Returns
    -------
    pandas.DataFrame
        A copy of ``events`` with ``exchange_time`` (in the calendar's time
        zone, NaT without a time), ``trade_date`` (NaT when pending), ``rule``
        (:data:`RULES`) and ``status`` (:data:`Status`).

    Notes
    -----
    A timed event at instant :math:`t` (converted to the exchange's time zone,
    so daylight saving time is applied on each side) is matched to the first
    session :math:`k` whose close is after it, :math:`c_k > t`. With
    :math:`o_k` the session's open (19:00 CT the evening before for CBOT
    grains) and :math:`b_k, e_k` its break (07:45-08:30 CT):

    =========================================  ====================  ==========
    where :math:`t` falls                      rule                  trade date
    =========================================  ====================  ==========
    :math:`o_k \le t < b_k`                    ``overnight``         :math:`k`
    :math:`b_k \le t < e_k`                    ``pre-open``          :math:`k`
    :math:`e_k \le t < c_k`                    ``day-session``       :math:`k`
    :math:`c_{k-1} \le t < o_k`, same day      ``after-close-next``  :math:`k`
    :math:`c_{k-1} \le t < o_k`, later day     ``closed-next``       :math:`k`
    =========================================  ====================  ==========

    "Same day" means :math:`t` falls on the calendar date of the close
    :math:`c_{k-1}` (e.g. Friday 15:00); a later day is a weekend or holiday
    with no session (Saturday, Thanksgiving Day, Juneteenth).

    A time exactly at the close counts as after it (news at the close cannot
    be in the settlement price); an early close on a short day (e.g. 12:00 CT
    on the day after Thanksgiving) is the session's own ``close``. A time
    before the open on the session's own date, in a calendar without an
    overnight session, is ``pre-open``.

    An event with a date :math:`d` and no time is placed by its ``timing``
    (the reported part of the trading day, :data:`TIMINGS`). With
    :math:`d_+` the first trade date :math:`\ge d` and :math:`d_{++}` the
    first trade date :math:`> d`:

    ====================================  ==============================  ============
    timing, :math:`d` a trade date        rule                            trade date
    ====================================  ==============================  ============
    none                                  ``date-only``                   :math:`d`
    ``overnight``                         ``reported-overnight``          :math:`d`
    ``pre-open``                          ``reported-pre-open``           :math:`d`
    ``day-session``                       ``reported-day-session``        :math:`d`
    ``after-close``                       ``reported-after-close-next``   :math:`d_{++}`
    ====================================  ==============================  ============

    When :math:`d` is a weekend or holiday every event falls outside any
    session and gets :math:`d_+ = d_{++}`, with the rule
    ``date-only-closed-next`` (no timing) or ``reported-closed-next``. An
    event without a date is ``pending``.

    References
    ----------
    .. [1] MacKinlay, A. C. (1997). Event studies in economics and finance.
       *Journal of Economic Literature*, 35(1), 13-39 (on dating an event
       announced after the market's close to the next trading day).
    .. [2] CME Group, trading hours of CBOT grain and oilseed futures (Globex
       19:00-07:45 and 08:30-13:20 CT, Sunday to Friday).

    """
    dates = _event_dates(events)
    cal = _resolve_calendar(calendar)
    out = events.copy()
    exchange = _exchange_times(out, dates, cal.tz)
    timed = exchange.notna().to_numpy()
    local_day = (exchange.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
                 if timed.any() else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]"))
    date_values = dates.to_numpy()
    dated = ~np.isnat(date_values) & ~timed
    timing = _timings(out, timed, dated)
    trade_date = np.full(len(out), np.datetime64("NaT"), dtype="datetime64[ns]")
    rule = np.full(len(out), "pending", dtype=object)
    anchors = np.concatenate([date_values[dated], local_day.to_numpy()[timed]])
    if len(anchors):
        sessions = _sessions_around(cal, anchors)
        if dated.any():
            trade_date[dated], rule[dated] = _dated_days(
                sessions.index.as_unit("ns").values, date_values[dated], timing[dated]
            )
        if timed.any():
            trade_date[timed], rule[timed] = _timed_days(
                sessions, exchange[timed], local_day[timed].to_numpy()
            )
    last = None if last_date is None else pd.Timestamp(last_date).normalize()
    out["exchange_time"] = exchange
    out["trade_date"] = pd.to_datetime(trade_date)
    out["rule"] = pd.Series(rule, index=out.index, dtype="str")
    status = _status(out["id"].to_numpy(dtype=object), trade_date, rule, last)
    out["status"] = pd.Series(status, index=out.index, dtype="str")
    out.attrs.update(events.attrs)
    out.attrs["calendar"] = cal.name
    out.attrs["last_date"] = last
    return out


# --------------------------------------------------------------------------- same day


def same_day_events(aligned: pd.DataFrame) -> pd.DataFrame:
    """Events of :func:`align_events` that share their trade date ("day 0") with another.

    Returns
    -------
    pandas.DataFrame
        In the order of ``aligned``: ``id``, ``trade_date`` and
        ``shares_day0_with`` (the other ids of that trade date joined by
        ``", "``). Pending events are left out.

    Notes
    -----
    Events on the same trade date have the same abnormal returns: a test that
    counts them as independent observations overstates the evidence.
    """
    if "trade_date" not in aligned or "id" not in aligned:
        raise EventAlignmentError(
            "events have no 'trade_date' column; pass them through align_events first"
        )
    ids = aligned["id"].astype(str).to_numpy()
    dates = pd.to_datetime(aligned["trade_date"]).to_numpy()
    known = ~pd.isna(dates)
    rows = []
    for i in np.flatnonzero(known):
        others = [ids[j] for j in np.flatnonzero(known & (dates == dates[i])) if j != i]
        if others:
            rows.append((ids[i], pd.Timestamp(dates[i]), ", ".join(others)))
    return pd.DataFrame(rows, columns=["id", "trade_date", "shares_day0_with"]).astype(
        {"id": "str", "trade_date": "datetime64[ns]", "shares_day0_with": "str"}
    )


# --------------------------------------------------------------------------- report


def _last_price_date(asset: str, prices_dir) -> pd.Timestamp | None:
    try:
        frame = load_prices([asset], prices_dir=prices_dir)[asset]
    except DataError as exc:
        folder = resolve_prices_dir(prices_dir)
        if (isinstance(exc, PriceFileError) and folder is not None
                and (folder / f"{asset}.csv").is_file()):
            raise  # a broken file: aligning without its last date would hide that
        logger.warning("no prices for %s (%s); events are aligned without a last price date",
                       asset, exc)
        return None
    return None if frame.empty else pd.Timestamp(frame.index.max())


def _iso_date(value) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _records(aligned: pd.DataFrame) -> list[dict]:
    known = {*COLUMNS, "exchange_time", "trade_date", "rule", "status"}
    extra = [c for c in aligned.columns if c not in known and c.isidentifier()]
    shared = same_day_events(aligned).set_index("id")["shares_day0_with"].to_dict()
    return [{
        "id": str(row.id), "date": _iso_date(row.date), "time": row.time, "tz": row.tz,
        "timing": getattr(row, "timing", None),
        "exchange_time": None if pd.isna(row.exchange_time) else row.exchange_time.isoformat(),
        "trade_date": _iso_date(row.trade_date), "rule": str(row.rule),
        "status": str(row.status), "title": str(row.title), "category": row.category,
        "direction": int(row.direction), "in_article": bool(row.in_article),
        "source": str(row.source), "notes": str(row.notes),
        "shares_day0_with": shared[str(row.id)].split(", ") if str(row.id) in shared else [],
        **{c: (None if pd.isna(getattr(row, c)) else str(getattr(row, c))) for c in extra},
    } for row in aligned.itertuples(index=False)]


def _text(aligned: pd.DataFrame, asset: str, tz: str) -> str:
    counts = aligned["status"].value_counts()
    last = aligned.attrs.get("last_date")
    head = [
        f"events: {aligned.attrs.get('path', '')} ({len(aligned)} "
        f"event{'' if len(aligned) == 1 else 's'}: "
        f"{counts.get('aligned', 0)} aligned, {counts.get('pending', 0)} pending, "
        f"{counts.get('after-data', 0)} after the last price)",
        f"calendar: {aligned.attrs.get('calendar')} ({tz}); last price date of {asset}: "
        f"{'unknown' if last is None else last.date()}",
        "",
    ]
    timings = aligned["timing"] if "timing" in aligned else [None] * len(aligned)
    local = [
        (p if p is not None and not pd.isna(p) else "") if t is None or pd.isna(t) else f"{t} {z}"
        for t, z, p in zip(aligned["time"], aligned["tz"], timings, strict=True)
    ]
    table = pd.DataFrame({
        "id": aligned["id"],
        "date": [_iso_date(d) or "-" for d in aligned["date"]],
        "local time": [s or "-" for s in local],
        "exchange time": ["-" if pd.isna(t) else t.strftime("%Y-%m-%d %H:%M %Z")
                          for t in aligned["exchange_time"]],
        "trade date": [_iso_date(d) or "-" for d in aligned["trade_date"]],
        "rule": aligned["rule"], "status": aligned["status"],
    })
    body = table.to_string(index=False) if len(table) else "(no events)"
    shared = same_day_events(aligned)
    tail = []
    if len(shared):
        groups = shared.groupby("trade_date", sort=True)["id"].agg(list)
        tail = [
            "",
            f"same trade date ({len(groups)} day{'s' if len(groups) > 1 else ''} with more than "
            "one event; their windows cover the same days):",
            *(f"  {_iso_date(d)}: {', '.join(ids)}" for d, ids in groups.items()),
        ]
    return "\n".join(head) + body + "\n".join(["", *tail] if tail else [])


def events_report(path=None, *, asset: str, prices_dir=None, as_json: bool = False):
    """Every event of a file with its trade date and rule (``eventstudy events``).

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The events CSV; default :data:`DEFAULT_EVENTS`.
    asset : str
        The ticker whose exchange calendar and last price date are used (when
        its prices cannot be loaded, a warning is logged and no event is
        ``'after-data'``).
    prices_dir : str or pathlib.Path, optional
        Snapshot folder for :func:`eventstudy.prices.load_prices`.
    as_json : bool
        Return one JSON-able dict per event (the columns of
        :func:`align_events`, dates ``YYYY-MM-DD``, and ``shares_day0_with``
        from :func:`same_day_events`) instead of a text table.
    """
    events = load_events(DEFAULT_EVENTS if path is None else path)
    calendar = get_calendar(asset)
    aligned = align_events(events, calendar, last_date=_last_price_date(asset, prices_dir))
    shared = same_day_events(aligned)
    for d, ids in shared.groupby("trade_date", sort=True)["id"].agg(list).items():
        logger.warning("events %s share the trade date %s (day 0)", ", ".join(ids), _iso_date(d))
    if as_json:
        return _records(aligned)
    return _text(aligned, asset, calendar.tz)


# --------------------------------------------------------------------------- selection

#: Columns of an aligned events file that ``group_by`` cannot name.
_NOT_GROUPS = ("id", "date", "time", "tz", "timing", "title", "source", "notes", "direction",
               "exchange_time", "trade_date", "rule", "status")


def check_events(events) -> pd.DataFrame:
    """Aligned events as the estimation reads them: unique ``id``, ``trade_date``, and
    ``category`` ('' when absent) and ``direction`` (0 when absent) filled in.

    Raises
    ------
    StudyConfigError
        Not a DataFrame, no ``id`` or ``trade_date`` column, a repeated id.
    """
    if not isinstance(events, pd.DataFrame):
        raise StudyConfigError(f"events must be a DataFrame; got {type(events).__name__}")
    missing = [c for c in ("id", "trade_date") if c not in events.columns]
    if missing:
        raise StudyConfigError(
            f"events has no column {', '.join(map(repr, missing))}; pass the aligned catalogue "
            f"(eventstudy.events.align_events)"
        )
    ev = events.reset_index(drop=True)
    if ev["id"].duplicated().any():
        dup = ev.loc[ev["id"].duplicated(), "id"].iloc[0]
        raise StudyConfigError(f"events has duplicate id {dup!r}; ids must be unique")
    ev = ev.assign(trade_date=pd.to_datetime(ev["trade_date"]))
    if "category" not in ev.columns:
        ev = ev.assign(category="")
    ev = ev.assign(
        category=ev["category"].astype(object).where(ev["category"].notna(), "").astype(str)
    )
    if "direction" not in ev.columns:
        ev = ev.assign(direction=0)
    return ev.assign(direction=pd.array(ev["direction"], dtype="Int64").fillna(0))


def select_events(study: Study, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events a study measures and the other dated events, checked against the study.

    Parameters
    ----------
    study : Study
    events : DataFrame
        The aligned events (``id``, ``trade_date``, optionally ``status``).

    Returns
    -------
    (DataFrame, DataFrame)
        The studied events (``event_ids``, every event when None), in the
        order of ``events`` and re-indexed from 0; and the other events with
        a trade date (``status == 'aligned'`` when the column exists). Both
        as :func:`check_events` gives them.

    Raises
    ------
    StudyConfigError
        Events that :func:`check_events` refuses; ``event_ids`` or
        ``headline_events`` the events do not hold, a ``group_by`` that is
        neither ``'all'``, ``'direction'`` nor one of their columns. The
        message names the study file, as :class:`~eventstudy.config.Study`'s do.
    """
    prefix = error_prefix(study.path)
    events, columns = check_events(events), [c for c in events.columns if c not in _NOT_GROUPS]
    ids = events["id"].to_numpy(dtype=object)
    known = {str(i) for i in ids}
    if study.event_ids is not None:
        missing = [i for i in study.event_ids if i not in known]
        if missing:
            raise study_error(prefix, "event_ids", list(study.event_ids),
                              f"unknown id{'s' if len(missing) > 1 else ''} "
                              f"{', '.join(missing)} (not in {study.events})",
                              "use ids from the events file's id column (`eventstudy events` "
                              "lists them)")
    if study.group_by not in ("all", "direction") and study.group_by not in columns:
        raise study_error(prefix, "group_by", study.group_by,
                          f"group_by must be 'all', 'direction' or a column of the events "
                          f"file ({', '.join(repr(c) for c in columns)}); got "
                          f"{study.group_by!r}",
                          'write it as group_by = "direction" or group_by = "category"')
    if study.headline_events is not None:
        pool = set(study.event_ids or known)
        missing = [i for i in study.headline_events if i not in pool]
        if missing:
            raise study_error(prefix, "headline_events", list(study.headline_events),
                              f"not events of the study: {', '.join(missing)}",
                              "list ids of event_ids (or of the events file)")
    # ids compared as objects: isin on pyarrow strings boxes every id
    in_study = (np.ones(len(events), dtype=bool) if study.event_ids is None else
                pd.Series(ids).isin(list(study.event_ids)).to_numpy())
    dated = (events["status"] == "aligned").to_numpy() if "status" in events.columns else \
        events["trade_date"].notna().to_numpy()
    return events[in_study].reset_index(drop=True), events[~in_study & dated]


def event_groups(events: pd.DataFrame, used, group_by: str) -> dict:
    """The groups of the tests table: name -> (event rows, sign per event).

    Parameters
    ----------
    events : DataFrame
        The located events (``direction``, ``category``), in the rows of the
        engine's arrays.
    used : ndarray of bool
        Events the engine used.
    group_by : str
        ``'all'``, ``'direction'`` or a column of ``events``.

    Returns
    -------
    dict
        ``all`` (every used event, sign +1); with ``'direction'``,
        ``escalation`` (direction -1), ``de-escalation`` (+1) and ``signed``
        (both, sign = direction, so that a positive statistic means prices
        moved the way the news points); with any other column, one
        ``<column>=<value>`` per value. A group is listed when it has at least
        one used event.
    """
    idx = np.flatnonzero(np.asarray(used, dtype=bool))
    groups = {"all": (idx, np.ones(idx.size))}
    direction = events["direction"].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
    if group_by == "direction":
        for d, name in ((-1, "escalation"), (1, "de-escalation")):
            sel = idx[direction[idx] == d]
            if sel.size:
                groups[name] = (sel, np.ones(sel.size))
        sel = idx[direction[idx] != 0]
        if sel.size:
            groups["signed"] = (sel, direction[sel].astype(np.float64))
    elif group_by != "all":
        values = events[group_by].astype(object).where(events[group_by].notna(), "")
        values = values.astype(str).to_numpy()
        for value in dict.fromkeys(values[idx]):
            if value in ("", "<NA>", "nan", "None"):
                continue
            sel = idx[values[idx] == value]
            groups[f"{group_by}={value}"] = (sel, np.ones(sel.size))
    return groups
