"""Daily prices: the Yahoo Finance adapter, its on-disk cache, and snapshot folders.

One entry point, :func:`load_prices`, returns one frame per ticker:

* index: ``DatetimeIndex`` named ``date`` (exchange trade dates at midnight, no
  time zone), sorted and unique;
* columns: ``float64`` among ``Open, High, Low, Close, Volume`` (close-only
  files have ``Close`` only);
* ``frame.attrs["provenance"]``: a dict with ``source``, ``fetched_utc``,
  ``path``, ``versions``, ``first``, ``last``, ``rows``, ``provisional``
  (the trade dates whose session had not closed when the prices were fetched),
  ``closed_days`` (the rows dropped because they fall on a day the exchange is
  closed: a snapshot file's, a download's or a cache file's, by one rule) and
  ``notes`` (the sentences warned as
  :class:`~eventstudy.exceptions.DataQualityWarning` at each load).

Sources
-------
``snapshot``
    A folder of ``<TICKER>.csv`` files with ``Date,Open,High,Low,Close,Volume``
    or ``Date,Close`` (``prices_dir=`` or ``$EVENTSTUDY_PRICES_DIR``).
``yahoo``
    ``yfinance.download`` through the cache (``cache_dir=`` or
    ``$EVENTSTUDY_CACHE_DIR``, else :func:`default_cache_dir`): one Parquet
    file per ticker with its provenance in the Parquet schema metadata.
``cache``
    The cache alone; never downloads.
``auto``
    ``snapshot`` when a prices folder is set, else ``yahoo``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import logging
import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .calendar import get_calendar, is_continuous_future
from .exceptions import (
    CacheError,
    CacheWarning,
    CalendarError,
    DataError,
    DataQualityWarning,
    DownloadError,
    InvalidTickerError,
    PriceFileError,
)
from .options import PriceSource, check_option

__all__ = [
    "PRICE_COLUMNS",
    "PriceSource",
    "default_cache_dir",
    "first_non_utf8",
    "load_prices",
    "log_returns",
    "no_volume_note",
    "read_cache",
    "read_snapshot",
    "remove_stale_temporaries",
    "resolve_prices_dir",
    "validate_ticker",
]

logger = logging.getLogger(__name__)

PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Volume")
PRICES_DIR_ENV = "EVENTSTUDY_PRICES_DIR"
CACHE_DIR_ENV = "EVENTSTUDY_CACHE_DIR"
METADATA_KEY = b"eventstudy"
CACHE_FORMAT = 1
#: Time zone of the session rule without a calendar: the study's exchanges (CBOT,
#: NYMEX, ICE US, NYSE Arca) settle before midnight New York time.
FALLBACK_TZ = "America/New_York"
#: A temporary cache file older than this (seconds) belongs to a writer that died.
STALE_TMP_SECONDS = 600
#: Mode of a cache file: other users of a shared cache can read it.
CACHE_FILE_MODE = 0o644
#: A close-to-close log return beyond this (a doubling or halving) is a typing or
#: unit error the loader warns about, not a roll or a market move.
JUMP_LOG_RETURN = float(np.log(2.0))
#: First and last dates a nanosecond ``Timestamp`` holds at midnight.
FIRST_DATE = pd.Timestamp.min.ceil("D")
LAST_DATE = pd.Timestamp.max.floor("D")

_TICKER_RE = re.compile(r"[A-Za-z0-9=^._-]+")
#: Texts of a price cell read as a non-finite number: reported, then set to missing.
_NONFINITE = {"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
# (path, size, mtime, message) of the warnings already logged: once per file.
_warned_files: set[tuple[str, int, int, str]] = set()


# --------------------------------------------------------------------------- helpers


def validate_ticker(ticker) -> str:
    """Return ``ticker`` if it can safely become a file name, else raise.

    Raises
    ------
    InvalidTickerError
        When the ticker is not a string, is empty, starts with ``"."`` or
        holds a character outside ``[A-Za-z0-9=^._-]`` (a path separator could
        take ``<cache>/<ticker>.parquet`` out of the folder).
    """
    if not isinstance(ticker, str):
        raise InvalidTickerError(
            f"ticker must be a string such as 'ZS=F'; got {ticker!r} ({type(ticker).__name__})"
        )
    if not _TICKER_RE.fullmatch(ticker) or ticker in {".", ".."} or ticker.startswith("."):
        raise InvalidTickerError(
            f"invalid ticker {ticker!r}: use a Yahoo symbol made of letters, digits and "
            "'=^._-' (for example 'ZS=F', '^GSPC', 'SPY'), not starting with '.'"
        )
    return ticker


def default_cache_dir() -> Path:
    """``$EVENTSTUDY_CACHE_DIR``; else ``data/cache`` of a source checkout; else
    ``$XDG_CACHE_HOME/futures-eventstudy`` (``~/.cache/...``) for an installed package."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "data").is_dir():
        return checkout / "data" / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "futures-eventstudy"


def first_non_utf8(data: bytes) -> tuple[int, int, str] | None:
    """``(line, column, byte)`` of the first byte of ``data`` that is not UTF-8, or None.

    Line and column are 1-based (the column counts bytes); the byte is shown
    as ``'0xe9'``. A UTF-8 byte-order mark is allowed.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        # A line feed is never part of a multi-byte sequence: the file decodes
        # as a whole exactly when every line does.
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return None
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return number, exc.start + 1, f"0x{line[exc.start]:02x}"
    return None


def _as_path(value, name: str) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise DataError(
            f"{name} must be a folder path (str or pathlib.Path); got {value!r} "
            f"({type(value).__name__})"
        )
    return Path(value)


def resolve_prices_dir(prices_dir) -> Path | None:
    """The snapshot folder: ``prices_dir``, else ``$EVENTSTUDY_PRICES_DIR``, else None."""
    if prices_dir is None:
        env = os.environ.get(PRICES_DIR_ENV)
        return Path(env) if env else None
    return _as_path(prices_dir, "prices_dir")


def _as_date(value, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    # A number would be read as nanoseconds since 1970: refuse it.
    if isinstance(value, (bool, int, float, np.number)) or not isinstance(
        value, (str, dt.date, np.datetime64)
    ):
        raise DataError(
            f"{name}={value!r} ({type(value).__name__}) is not a date; use 'YYYY-MM-DD' "
            "or a datetime.date / pandas.Timestamp"
        )
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name}={value!r} is not a date; use 'YYYY-MM-DD'") from exc
    if stamp is pd.NaT:
        raise DataError(f"{name}={value!r} is not a date; use 'YYYY-MM-DD'")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def _now_utc() -> pd.Timestamp:
    """The clock that stamps downloads (a function so tests can set the time)."""
    return pd.Timestamp.now(tz="UTC")


def _versions() -> dict[str, str]:
    return dict(_installed_versions())


@functools.cache
def _installed_versions() -> dict[str, str]:
    # importlib.metadata scans the installed distributions: once per process.
    from . import __version__

    out = {"eventstudy": __version__, "pandas": pd.__version__, "pyarrow": pa.__version__}
    try:
        from importlib.metadata import version

        out["yfinance"] = version("yfinance")
    except Exception:  # pragma: no cover - yfinance is a dependency
        out["yfinance"] = "unknown"
    return out


def _iso(date) -> str | None:
    return None if date is None else pd.Timestamp(date).strftime("%Y-%m-%d")


def _clip(frame: pd.DataFrame, start, end) -> pd.DataFrame:
    if start is not None:
        frame = frame.loc[frame.index >= start]
    if end is not None:
        frame = frame.loc[frame.index <= end]
    return frame


def _finish(frame: pd.DataFrame, provenance: dict) -> pd.DataFrame:
    """Attach the provenance, with first/last/rows of the returned slice."""
    frame = frame.copy()
    provenance = dict(provenance)
    provenance["first"] = _iso(frame.index[0]) if len(frame) else None
    provenance["last"] = _iso(frame.index[-1]) if len(frame) else None
    provenance["rows"] = int(len(frame))
    frame.attrs = {"provenance": provenance}
    return frame


def _standard_index(index) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(index)
    if index.tz is not None:
        # Yahoo stamps a daily bar at midnight exchange time: the wall-clock date
        # there is the trade date (via UTC, Asian sessions would move a day back).
        index = index.tz_localize(None)
    return index.normalize().astype("datetime64[ns]").rename("date")


# --------------------------------------------------------------------------- snapshot


def _available(folder: Path) -> str:
    names = sorted(p.stem for p in folder.glob("*.csv"))
    return ", ".join(names) if names else "none"


def read_snapshot(
    ticker: str, prices_dir, start=None, end=None, *, on_duplicate: str = "raise"
) -> pd.DataFrame:
    """Read ``<prices_dir>/<ticker>.csv`` into the standard price frame.

    Parameters
    ----------
    start, end : date-like, optional
        Inclusive bounds on the trade dates returned.
    on_duplicate : {'raise', 'first'}
        A date on two rows raises, or keeps the first row and lists every
        repeated date of the file in ``provenance["duplicates"]``.

    Returns
    -------
    pandas.DataFrame
        See the module docstring; ``provenance["source"] == "snapshot"``.
        Cells read as a non-finite number (``provenance["nonfinite"]``:
        ``{"date", "line", "column", "text"}``) and rows with fewer fields
        than the header (``provenance["short_rows"]``: ``{"date", "line",
        "fields"}``) are set to missing with a
        :class:`~eventstudy.exceptions.DataQualityWarning`, as are closes that
        double or halve (``provenance["jumps"]``, :data:`JUMP_LOG_RETURN`).
        A row on a day the ticker's exchange is closed for certain (a
        weekend: :meth:`eventstudy.calendar.ExchangeCalendar.closed_days`) is
        never a trade date: it is dropped with that warning and listed in
        ``provenance["closed_days"]`` (``{"date", "line", "weekday"}``). A
        continuous future without a ``Volume`` column gets a warning that
        thin trading is taken from the contract calendar alone
        (:func:`no_volume_note`). ``provenance["notes"]`` holds these
        sentences for a run to show.

    Raises
    ------
    PriceFileError
        When the file is missing (the message lists the folder's tickers),
        unreadable, not UTF-8, has a header but no rows, lacks a ``Date`` or
        ``Close`` column, or has a date that is not ``YYYY-MM-DD``, a
        duplicated date, a date outside pandas' range (1677-09-22 to
        2262-04-11), a row with more fields than the header or a value that
        is not a number, or when every row falls on a closed day; the message
        names the file and the line.
    """
    validate_ticker(ticker)
    folder = _as_path(prices_dir, "prices_dir")
    if not folder.is_dir():
        raise PriceFileError(
            f"prices folder {str(folder)!r} does not exist; set prices_dir / "
            f"${PRICES_DIR_ENV} / --prices-dir to a folder of <TICKER>.csv files"
        )
    path = folder / f"{ticker}.csv"
    if not path.is_file():
        raise PriceFileError(
            f"{path}: no price file for {ticker!r}; tickers available in {folder}: "
            f"{_available(folder)}"
        )
    start, end = _as_date(start, "start"), _as_date(end, "end")
    if on_duplicate not in ("raise", "first"):
        raise DataError(f"on_duplicate must be 'raise' or 'first'; got {on_duplicate!r}")
    frame, issues = _parse_price_csv(path, ticker, keep_first=on_duplicate == "first")
    issues["jumps"] = _jumps(frame)
    notes = [_warn_cells(path, issues)]
    volume_note = no_volume_note(ticker) if "Volume" not in frame.columns else None
    if volume_note is not None:
        notes.append(_warn_file(path, f"{path}: no Volume column; {volume_note}", 3))
    out = _clip(frame, start, end)
    if out.empty:
        raise PriceFileError(
            f"{path}: prices run from {_iso(frame.index[0])} to {_iso(frame.index[-1])}; "
            f"none between {_iso(start) or 'the start'} and {_iso(end) or 'the end'}. "
            "Choose dates inside that span"
        )
    modified = pd.Timestamp(path.stat().st_mtime, unit="s", tz="UTC")
    provenance = {
        "source": "snapshot", "fetched_utc": None, "file_modified_utc": modified.isoformat(),
        "path": str(path), "versions": _versions(), "provisional": [],
        "requested": {"start": _iso(start), "end": _iso(end)},
        **{key: [c for c in issues[key] if _within(c["date"], start, end)]
           for key in ("nonfinite", "short_rows", "jumps", "closed_days")},
        "notes": [n for n in notes if n],
    }
    if on_duplicate == "first":
        provenance["duplicates"] = issues["duplicates"]
    return _finish(out, provenance)


def no_volume_note(ticker: str) -> str | None:
    """What a price file without volume means for ``ticker``'s thin-trading days, or None.

    The volume rule of :func:`eventstudy.contracts.thin_mask` needs a
    ``Volume`` column. A continuous future without one keeps the delivery
    rule alone (the contract calendar); for another ticker (an ETF or a
    stock, often a close-only series) nothing is said: there the volume
    rule is a screen of its own, and no contract calendar replaces it.
    """
    if not is_continuous_future(ticker):
        return None
    return (f"thin trading of {ticker} is taken from the contract calendar alone (the "
            "delivery periods), not from volume")


def log_returns(close) -> np.ndarray:
    r""":math:`\ln(C_t / C_{t-1})` over consecutive rows; NaN first and where a close is
    missing or not positive."""
    close = np.asarray(close, dtype="float64")
    ret = np.full(close.size, np.nan)
    positive = np.isfinite(close) & (np.nan_to_num(close, nan=0.0) > 0)
    both = positive[1:] & positive[:-1]
    ret[1:][both] = np.log(close[1:][both] / close[:-1][both])
    return ret


def _jumps(frame: pd.DataFrame) -> list[dict]:
    """Closes that double or halve from the row before (``{"date", "previous", "return"}``)."""
    ret = log_returns(frame["Close"].to_numpy(dtype="float64"))[1:]
    return [{"date": _iso(frame.index[i + 1]), "previous": _iso(frame.index[i]),
             "return": float(ret[i])}
            for i in np.flatnonzero(np.abs(np.nan_to_num(ret)) > JUMP_LOG_RETURN)]


def _within(date: str, start, end) -> bool:
    stamp = pd.Timestamp(date)
    return (start is None or stamp >= start) and (end is None or stamp <= end)


def _warn_cells(path: Path, issues: dict) -> str | None:
    """One DataQualityWarning for the rows dropped, the cells read as missing and the jumps.

    Returns the message (None when the file is clean); it is logged once per file.
    """
    parts = []
    closed = issues.get("closed_days", [])
    if closed:
        parts.append(_closed_text(closed))
    for key, what in (("nonfinite", "not a finite number"), ("short_rows", "truncated")):
        items = issues[key]
        if not items:
            continue
        shown = _some([f"line {c['line']} ({c['date']}"
                       + (f" {c['column']}={c['text']!r})" if "column" in c else ")")
                       for c in items])
        noun = "cell" if key == "nonfinite" else "row"
        parts.append(f"{len(items)} {noun}{'s' if len(items) > 1 else ''} {what}: {shown}")
    if len(parts) > bool(closed):
        parts[-1] += "; these prices are read as missing"
    jumps = issues.get("jumps", [])
    if jumps:
        shown = _some([f"{c['date']} ({c['return']:+.3f})" for c in jumps])
        parts.append(
            f"the close doubles or halves from one row to the next on {shown} "
            "(log returns), a typing or unit error rather than a market move"
        )
    if not parts:
        return None
    fix = f"Fix the file (see `eventstudy data check {path.stem}`)"
    return _warn_file(path, f"{path}: {'; '.join(parts)}. {fix}", 4)


def _some(shown: list[str], limit: int = 5) -> str:
    """The first ``limit`` texts joined by ", ", then " and N more"."""
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


def _warn_file(path: Path, message: str, stacklevel: int) -> str:
    """Warn ``message`` (DataQualityWarning) and log it once per version of the file.

    ``stacklevel`` counts from the caller of this function.
    """
    warnings.warn(message, DataQualityWarning, stacklevel=stacklevel + 1)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, message)
    if key not in _warned_files:
        _warned_files.add(key)
        logger.warning(message)
    return message


def _read_text(path: Path, kind: str) -> str:
    """The file as text; an unreadable file or a byte that is not UTF-8 is a PriceFileError."""
    try:
        data = path.read_bytes()
    except PermissionError as exc:
        raise PriceFileError(
            f"{path}: cannot read the {kind} ({exc.strerror}); check its permissions"
        ) from None
    except OSError as exc:
        raise PriceFileError(f"{path}: cannot read the {kind} ({exc})") from None
    bad = first_non_utf8(data)
    if bad is not None:
        line, column, byte = bad
        raise PriceFileError(
            f"{path}: line {line}: byte {byte} at position {column} is not UTF-8; "
            "save the file as UTF-8 CSV"
        )
    return data.decode("utf-8-sig")


_EXPECTED = "expected a header 'Date,Open,High,Low,Close,Volume' or 'Date,Close'"
#: Characters with which the csv module's records may differ from pandas' rows:
#: quotes, NUL and the line breaks of ``str.splitlines`` other than ``\n`` and ``\r``.
_CSV_SPECIAL = '"\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029'


def _parse_price_csv(path: Path, ticker: str,
                     keep_first: bool = False) -> tuple[pd.DataFrame, dict]:
    """The price frame of one snapshot file and its ``nonfinite``, ``short_rows``,
    ``duplicates`` and ``closed_days`` (the rows dropped, :func:`_drop_closed`).

    Notes
    -----
    pandas' C parser reads the cells as text; dates and numbers are checked
    column by column. The csv module (:func:`_data_lines`) gives each row's
    file line and field count, and runs only when they matter: when the file
    holds a character of :data:`_CSV_SPECIAL` or a line longer than the csv
    field limit, when a line has another number of commas than the header (a
    short row, which pandas pads silently), or when a message needs a line.
    """
    text = _read_text(path, "price file")
    if not text.strip():
        raise PriceFileError(f"{path}: the file is empty; {_EXPECTED} and one row per trade date")
    limit = csv.field_size_limit()
    special = any(c in text for c in _CSV_SPECIAL) or (
        len(text) > limit and max(map(len, text.splitlines())) > limit)
    scanned = _data_lines(path, text) if special else None
    raw = None if special else _read_clean(text)
    if raw is not None and _uneven(text, raw.shape[1]):
        raw = None
    clean = raw is not None
    if raw is None:
        raw = _read_cells(path, text)
    n, width = raw.shape
    if scanned is None and not clean and _uneven(text, width):
        scanned = _data_lines(path, text)

    def located() -> tuple[np.ndarray, np.ndarray]:
        nonlocal scanned
        if scanned is None:
            scanned = _data_lines(path, text)
        if len(scanned[0]) != n:  # pandas and csv disagree: keep row order rather than guess
            return np.arange(n) + 2, np.full(n, width)
        return scanned

    dates, kept, repeated = _parse_dates(path, raw["Date"].str.strip(), keep_first, located)
    raw = raw.iloc[kept]
    short = []
    if scanned is not None:
        lines, widths = (a[kept] for a in located())
        short = [{"date": _iso(dates[i]), "line": int(lines[i]), "fields": int(widths[i])}
                 for i in np.flatnonzero(widths < width)]
    columns, nonfinite = {}, []
    for name in PRICE_COLUMNS:
        if name in raw.columns and clean:
            columns[name], cells = raw[name].to_numpy(dtype="float64"), []
        elif name in raw.columns:
            columns[name], cells = _parse_numbers(path, name, raw[name].str.strip(),
                                                  lambda: located()[0][kept])
            nonfinite += [{"date": _iso(dates[i]), **cell} for i, cell in cells]
    nonfinite.sort(key=lambda c: (c["line"], c["column"]))
    ignored = [c for c in raw.columns if c not in PRICE_COLUMNS and c != "Date"]
    if ignored:
        logger.info("%s: ignoring columns %s", path, ", ".join(ignored))
    frame, closed = _drop_closed(pd.DataFrame(columns, index=_standard_index(dates)), ticker,
                                 lambda: located()[0][kept])
    if closed:
        if frame.empty:
            raise PriceFileError(
                f"{path}: every row falls on a day the exchange is closed (line "
                f"{closed[0]['line']}: {closed[0]['date']}, a {closed[0]['weekday']}); the file "
                "holds no trade date")
        gone = {c["date"] for c in closed}
        nonfinite = [c for c in nonfinite if c["date"] not in gone]
        short = [c for c in short if c["date"] not in gone]
    if not frame.index.is_monotonic_increasing:
        logger.info("%s: rows are not in date order; sorting them", path)
        frame = frame.sort_index()
    return frame, {"nonfinite": nonfinite, "short_rows": short, "duplicates": repeated,
                   "closed_days": closed}


def _closed_rows(ticker: str, dates: pd.DatetimeIndex,
                 lines: Callable | None = None) -> list[dict]:
    """``{"date", "weekday"}`` of the rows on days ``ticker``'s exchange is closed.

    The one rule of a snapshot file, a download and a cache file: the days
    are :meth:`eventstudy.calendar.ExchangeCalendar.closed_days`; a ticker
    without a calendar has none. ``lines`` (a function giving each row's file
    line) adds ``"line"``; the rows are in line order, else in date order.
    """
    try:
        closed = get_calendar(ticker).closed_days(dates)
    except (CalendarError, InvalidTickerError) as exc:
        logger.debug("%s: no exchange calendar (%s); no row is dropped as a closed day",
                     ticker, exc)
        return []
    if not closed.any():
        return []
    at = None if lines is None else lines()
    rows = [{"date": _iso(dates[i]), "weekday": dates[i].day_name(),
             **({} if at is None else {"line": int(at[i])})}
            for i in np.flatnonzero(closed)]
    return sorted(rows, key=lambda c: (c.get("line", 0), c["date"]))


def _closed_text(closed: list[dict]) -> str:
    """The sentence of a warning on the rows of :func:`_closed_rows` (all of them named)."""
    shown = ", ".join(f"line {c['line']} ({c['date']}, a {c['weekday']})" if "line" in c
                      else f"{c['date']} (a {c['weekday']})" for c in closed)
    return (f"{len(closed)} row{'s' if len(closed) > 1 else ''} on a day the exchange is "
            f"closed: {shown}; such a row is never a trade date and is dropped")


def _drop_closed(frame: pd.DataFrame, ticker: str,
                 lines: Callable | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """``frame`` without its rows on closed days (:func:`_closed_rows`), and those rows."""
    closed = _closed_rows(ticker, frame.index, lines)
    if closed:
        gone = pd.DatetimeIndex(sorted({c["date"] for c in closed}))
        frame = frame.loc[~frame.index.isin(gone)]
    return frame, closed


def _uneven(text: str, width: int) -> bool:
    """Whether a non-empty line has another number of commas than ``width - 1``."""
    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    ends = np.append(np.flatnonzero((raw == ord("\n")) | (raw == ord("\r"))), raw.size)
    starts = np.concatenate([[0], ends[:-1] + 1])
    commas = np.flatnonzero(raw == ord(","))
    count = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
    return bool(((ends > starts) & (count != width - 1)).any())


def _read_clean(text: str) -> pd.DataFrame | None:
    """The price file read by pandas' C parser as numbers, or None unless every cell is clean.

    Clean: a ``Date`` and a ``Close`` column, at least one row, and every
    price column read as finite numbers. Anything else (an empty or
    non-finite cell, text, a missing column) returns None, and
    :func:`_read_cells` reads the file as text to name the line.
    """
    try:
        raw = pd.read_csv(io.StringIO(text), na_filter=False, dtype={0: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.empty or "Date" not in raw.columns or "Close" not in raw.columns \
            or raw.columns.has_duplicates:
        return None
    for name in PRICE_COLUMNS:
        if name in raw.columns:
            kind = raw[name].dtype.kind
            if kind not in "fi" or not np.isfinite(raw[name].to_numpy(dtype="float64")).all():
                return None
    return raw


def _read_cells(path: Path, text: str) -> pd.DataFrame:
    """The text cells of a price file, with a ``Date`` and a ``Close`` column."""
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PriceFileError(
            f"{path}: cannot be read as CSV ({str(exc).strip()}); {_EXPECTED}, "
            "with one field per column on every line"
        ) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    for needed in ("Date", "Close"):
        if needed not in raw.columns:
            raise PriceFileError(
                f"{path}: line 1: no {needed!r} column (header: {','.join(raw.columns)}); "
                f"{_EXPECTED}"
            )
    if raw.empty:
        raise PriceFileError(
            f"{path}: the file has a header but no price rows; add one row per trade date "
            "or use a complete download"
        )
    return raw


def _parse_dates(path: Path, text: pd.Series, keep_first: bool,
                 located: Callable) -> tuple[pd.DatetimeIndex, np.ndarray, list[str]]:
    """The dates of the rows kept, their positions, and the repeated dates (sorted, ISO)."""
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        i = bad[0]
        raise PriceFileError(
            f"{path}: line {located()[0][i]}: date {text.iloc[i]!r} is not YYYY-MM-DD "
            f"({bad.size} such line{'s' if bad.size > 1 else ''}); fix or remove the line"
        )
    outside = np.flatnonzero(((dates < FIRST_DATE) | (dates > LAST_DATE)).to_numpy())
    if outside.size:
        i = outside[0]
        raise PriceFileError(
            f"{path}: line {located()[0][i]}: date {text.iloc[i]!r} is outside the dates pandas "
            f"can hold ({FIRST_DATE:%Y-%m-%d} to {LAST_DATE:%Y-%m-%d}); fix or remove the line"
        )
    dup = dates.duplicated(keep="first").to_numpy()
    if dup.any() and not keep_first:
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero((dates == dates.iloc[i]).to_numpy())[0])
        lines = located()[0]
        raise PriceFileError(
            f"{path}: line {lines[i]}: date {text.iloc[i]} already on line {lines[first]}; "
            "keep one row per trade date"
        )
    kept = np.flatnonzero(~dup)
    return pd.DatetimeIndex(dates.iloc[kept]), kept, sorted({_iso(d) for d in dates[dup]})


def _parse_numbers(path: Path, name: str, cell: pd.Series,
                   lines: Callable) -> tuple[np.ndarray, list[tuple[int, dict]]]:
    """One price column as float64, and its cells read as non-finite numbers.

    An empty cell is missing; a non-finite number (:data:`_NONFINITE`, or an
    overflow such as ``1e999``) is set to missing and reported as ``(row,
    {"line", "column", "text"})``; any other text that is not a number raises.
    """
    values = pd.to_numeric(cell, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if np.isfinite(values).all():
        return values, []
    blank = cell.eq("")
    nonfinite = cell.str.lower().isin(_NONFINITE)
    values = pd.to_numeric(cell.mask(blank | nonfinite), errors="coerce")
    wrong = np.flatnonzero((values.isna() & ~blank & ~nonfinite).to_numpy())
    if wrong.size:
        i = wrong[0]
        raise PriceFileError(
            f"{path}: line {lines()[i]}: column {name}: {cell.iloc[i]!r} is not a number; "
            "fix the value or leave the cell empty for a missing price"
        )
    nonfinite = nonfinite.to_numpy() | np.isinf(values.to_numpy(dtype="float64", na_value=np.nan))
    rows = np.flatnonzero(nonfinite)
    cells = []
    if rows.size:
        at = lines()
        cells = [(i, {"line": int(at[i]), "column": name, "text": cell.iloc[i]}) for i in rows]
    values = values.mask(nonfinite)
    return values.to_numpy(dtype="float64", na_value=np.nan), cells


def _data_lines(path: Path, text: str) -> tuple[np.ndarray, np.ndarray]:
    """File line (the header is line 1) and field count of each data row, by the csv module.

    Blank lines are skipped. A record that spans lines (a quote left open
    takes in the following rows) is a PriceFileError at the line where it
    starts: a price file holds no multi-line fields.
    """
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines)
    numbers, widths = [], []
    last = 0
    try:
        for fields in reader:
            first, last = last + 1, reader.line_num
            if last > first:
                raise PriceFileError(
                    f"{path}: line {first}: a quote opens a field that runs to line {last}, "
                    "taking in the rows between; remove the quote (price files need none)"
                )
            if any(f.strip() for f in fields):
                numbers.append(first)
                widths.append(len(fields))
    except csv.Error as exc:
        raise PriceFileError(
            f"{path}: line {last + 1}: not readable as CSV ({exc}): a quote opened there is "
            "not closed; remove it (price files need no quotes)"
        ) from None
    return np.asarray(numbers[1:], dtype=np.int64), np.asarray(widths[1:], dtype=np.int64)


# --------------------------------------------------------------------------- sessions


def _calendar_closes(ticker: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Series | None:
    """Session close (UTC) of each trade date in ``[lo, hi]``, or None without a calendar."""
    try:
        sessions = get_calendar(ticker).sessions(lo, hi)
    except (CalendarError, InvalidTickerError) as exc:
        logger.debug("%s: no exchange calendar (%s); using the New York midnight rule", ticker, exc)
        return None
    close = pd.to_datetime(sessions["close"]).dt.tz_convert("UTC")
    close.index = _standard_index(close.index)
    return close.dropna()


def _midnight_rule(dates: pd.DatetimeIndex) -> pd.Series:
    """The midnight (New York time) that ends each date: conservative without a calendar."""
    ends = (dates + pd.Timedelta(days=1)).tz_localize(FALLBACK_TZ).tz_convert("UTC")
    return pd.Series(ends, index=dates)


def _session_closes(ticker: str, dates: pd.DatetimeIndex) -> pd.Series:
    """UTC time after which the bar of each trade date is final (calendar close, else midnight)."""
    fallback = _midnight_rule(dates)
    if len(dates) == 0:
        return fallback
    closes = _calendar_closes(ticker, dates.min(), dates.max())
    if closes is None:
        return fallback
    return closes.reindex(dates).fillna(fallback)


def _provisional(ticker: str, index: pd.DatetimeIndex, fetched: pd.Timestamp) -> list:
    # Only the last days before the fetch can be unsettled: ask the calendar for those.
    recent = index[index >= (fetched.tz_convert(FALLBACK_TZ).tz_localize(None).normalize()
                             - pd.Timedelta(days=7))]
    closes = _session_closes(ticker, recent)
    return list(recent[(closes > fetched).to_numpy()])


def _final_through(ticker: str, end: pd.Timestamp, fetched: pd.Timestamp) -> bool:
    """Whether the last session on or before ``end`` had closed at ``fetched``."""
    closes = _calendar_closes(ticker, end - pd.Timedelta(days=14), end)
    if closes is None or closes.empty:
        closes = _midnight_rule(pd.DatetimeIndex([end]))
    return bool(closes.iloc[-1] <= fetched)


# --------------------------------------------------------------------------- cache


@dataclass
class _Cached:
    frame: pd.DataFrame
    meta: dict
    path: Path
    fetched: pd.Timestamp = field(init=False)

    def __post_init__(self):
        self.fetched = pd.Timestamp(self.meta["fetched_utc"])

    @property
    def requested_start(self):
        return _as_date(self.meta.get("requested_start"), "requested_start")

    @property
    def requested_end(self):
        return _as_date(self.meta.get("requested_end"), "requested_end")


class _CorruptCache(Exception):
    """A cache file that cannot be trusted (the reason is the message)."""


class _UnreadableCache(Exception):
    """A cache file the operating system refuses to open."""


def read_cache(path, ticker: str | None = None) -> tuple[pd.DataFrame, dict]:
    """The frame and provenance metadata of one cache file ``<cache>/<TICKER>.parquet``.

    Parameters
    ----------
    ticker : str, optional
        The ticker the file must hold; default the file name's stem.

    Raises
    ------
    CacheError
        When the file does not exist, cannot be opened, is not readable
        Parquet, has no ``eventstudy`` metadata, holds another ticker than its
        name says, lacks the ``date`` or ``Close`` column, or holds another
        number of rows or span of dates than its metadata records (a
        truncated, partly written or swapped file).
    """
    path = _as_path(path, "path")
    missing = (f"cache file {path} does not exist; download the prices once "
               "(source='yahoo') or use a snapshot folder")
    if not path.exists():
        raise CacheError(missing)
    try:
        cached = _read_cache(path, path.stem if ticker is None else ticker)
    except FileNotFoundError:
        raise CacheError(missing) from None
    except _UnreadableCache as exc:
        raise CacheError(_unreadable_message(path, str(exc))) from None
    except _CorruptCache as exc:
        raise CacheError(_corrupt_message(path, str(exc))) from None
    return cached.frame, cached.meta


def _corrupt_message(path: Path, reason: str) -> str:
    return (
        f"cache file {path} is corrupt ({reason}) and could not be downloaded again; "
        f"delete {path.name} and rerun online, or use a snapshot folder "
        f"(prices_dir= / ${PRICES_DIR_ENV} / --prices-dir)"
    )


def _unreadable_message(path: Path, reason: str) -> str:
    return (
        f"cannot read the cache file {path} ({reason}); check its permissions (it must be "
        f"readable by you, e.g. chmod 644 {path.name}) or point {CACHE_DIR_ENV} to a cache "
        "of your own"
    )


def _snapshot_bytes(path: Path) -> tuple[bytes, tuple]:
    """The whole file and its identity, from one handle: a concurrent ``os.replace``
    gives the old or the new file, never half of each."""
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            return handle.read(), (st.st_ino, st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise _CorruptCache("it is a folder, not a file") from None
    except OSError as exc:
        raise _UnreadableCache(exc.strerror or str(exc)) from None


def _read_cache(path: Path, ticker: str | None = None) -> _Cached:
    """Read and verify one cache file; read again once when a writer replaced it meanwhile."""
    data, identity = _snapshot_bytes(path)
    try:
        return _parse_cache(data, path, ticker)
    except _CorruptCache:
        try:
            st = os.stat(path)
            replaced = (st.st_ino, st.st_size, st.st_mtime_ns) != identity
        except OSError:
            replaced = False
        if not replaced:
            raise
    logger.debug("%s: replaced while it was read; reading it again", path)
    data, _ = _snapshot_bytes(path)
    return _parse_cache(data, path, ticker)


def _parse_cache(data: bytes, path: Path, ticker: str | None) -> _Cached:
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise _CorruptCache(f"unreadable Parquet: {exc}") from exc
    raw_meta = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw_meta is None:
        raise _CorruptCache("no eventstudy provenance in the Parquet metadata")
    try:
        meta = json.loads(raw_meta)
        rows = int(meta["rows"])
        if pd.Timestamp(meta["fetched_utc"]).tzinfo is None:
            raise ValueError("fetched_utc has no time zone")
        _as_date(meta.get("requested_start"), "requested_start")
        _as_date(meta.get("requested_end"), "requested_end")
    except (ValueError, KeyError, TypeError, DataError) as exc:
        raise _CorruptCache(f"unreadable provenance metadata: {exc}") from exc
    if meta.get("format") != CACHE_FORMAT:
        raise _CorruptCache(f"cache format {meta.get('format')!r}, expected {CACHE_FORMAT}")
    if ticker is not None and meta.get("ticker") != ticker:
        raise _CorruptCache(
            f"it holds prices of {meta.get('ticker')!r}, not {ticker!r}: the file was copied "
            "or renamed"
        )
    if rows != table.num_rows:
        raise _CorruptCache(f"{table.num_rows} rows but the metadata records {rows}")
    frame = table.to_pandas()
    if "date" not in frame.columns or "Close" not in frame.columns:
        raise _CorruptCache(
            f"no 'date' or 'Close' column (columns: {', '.join(map(str, frame.columns))})"
        )
    unknown = [c for c in frame.columns if c != "date" and c not in PRICE_COLUMNS]
    if unknown:
        raise _CorruptCache(f"unexpected columns {', '.join(map(str, unknown))}")
    frame = frame.set_index("date")
    frame.index = _standard_index(frame.index)
    if len(frame) and (
        _iso(frame.index.min()) != meta.get("first") or _iso(frame.index.max()) != meta.get("last")
    ):
        raise _CorruptCache(
            f"dates {_iso(frame.index.min())} to {_iso(frame.index.max())} but the metadata "
            f"records {meta.get('first')} to {meta.get('last')}"
        )
    try:
        frame = frame[[c for c in PRICE_COLUMNS if c in frame.columns]].astype("float64")
    except (TypeError, ValueError) as exc:
        raise _CorruptCache(f"prices that are not numbers ({exc})") from exc
    return _Cached(frame=frame, meta=meta, path=path)


def _tmp_prefix(path: Path) -> str:
    return f".{path.stem}."


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    except OSError:
        return False
    return True


def remove_stale_temporaries(path) -> list[Path]:
    """Delete (and log) the temporary files a killed writer left beside the cache file ``path``.

    A writer names its temporary file ``.<TICKER>.<pid>.<random>.parquet.tmp``;
    it is stale when process ``pid`` no longer runs on this machine or when it
    is older than :data:`STALE_TMP_SECONDS` (a pid can be reused). Returns the
    files removed.
    """
    path = Path(path)
    prefix = _tmp_prefix(path)
    removed = []
    now = time.time()
    try:
        candidates = list(path.parent.glob(f"{_glob_escape(prefix)}*.parquet.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        pid_text = tmp.name[len(prefix):].split(".", 1)[0]
        try:
            age = now - tmp.stat().st_mtime
        except OSError:
            continue
        dead = (pid_text.isdigit() and int(pid_text) != os.getpid()
                and not _pid_alive(int(pid_text)))
        if dead or age > STALE_TMP_SECONDS:
            try:
                tmp.unlink()
            except OSError as exc:
                logger.warning("%s: could not remove a stale temporary file (%s)", tmp, exc)
                continue
            why = "its writer is gone" if dead else f"{age:.0f} s old"
            logger.warning("%s: removed a temporary file left by a killed writer (%s)", tmp, why)
            removed.append(tmp)
    return removed


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _write_cache(path: Path, frame: pd.DataFrame, meta: dict) -> None:
    """Write ``frame`` to ``path`` atomically (a temporary file, then ``os.replace``).

    An interrupted write leaves the previous file and removes the temporary
    one; the file gets mode :data:`CACHE_FILE_MODE`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    table = pa.Table.from_pandas(frame.reset_index(), preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps(meta).encode()
    table = table.replace_schema_metadata(metadata)
    handle, tmp_name = tempfile.mkstemp(
        prefix=f"{_tmp_prefix(path)}{os.getpid()}.", suffix=".parquet.tmp", dir=path.parent
    )
    os.close(handle)
    try:
        # mkstemp creates the file 0600: readers of a shared cache would see
        # "permission denied" after the rename.
        os.chmod(tmp_name, CACHE_FILE_MODE)
        pq.write_table(table, tmp_name)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- yahoo


class _Capture(logging.Handler):
    """Collects what yfinance logs during one download, for the error message."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        text = record.getMessage().strip()
        if text:
            self.messages.append(text)


def _download_fix(ticker: str) -> str:
    return (
        f"check the network connection and the symbol {ticker!r}; or set PRICES_DIR "
        f"(make) / ${PRICES_DIR_ENV} / --prices-dir to a snapshot folder of <TICKER>.csv files; "
        "or use prices already cached (source='cache')"
    )


def _download(ticker, start, end, downloader) -> tuple[pd.DataFrame, list[dict], list[str]]:
    """The standard frame of one ticker from the downloader (``end`` inclusive), the rows
    dropped on closed days and the notes (:func:`_screen_notes`).

    Raises DownloadError on an exception, an empty result or one whose every
    row falls on a day the exchange is closed.
    """
    if downloader is None:
        import yfinance

        downloader = yfinance.download
    kwargs = {"auto_adjust": True, "progress": False, "threads": False, "interval": "1d",
              "actions": False}
    if start is None:
        kwargs["period"] = "max"
    else:
        kwargs["start"] = _iso(start)
    if end is not None:  # yfinance's end is exclusive
        kwargs["end"] = _iso(end + pd.Timedelta(days=1))
    capture = _Capture()
    yf_logger = logging.getLogger("yfinance")
    yf_logger.addHandler(capture)
    # What yfinance logs is quoted in the DownloadError: keep it off the console.
    propagate, yf_logger.propagate = yf_logger.propagate, False
    try:
        with warnings.catch_warnings():
            # pandas deprecation notices raised inside yfinance itself
            warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
            raw = downloader(ticker, **kwargs)
    except Exception as exc:
        raise DownloadError(
            f"download of {ticker!r} from Yahoo Finance failed ({type(exc).__name__}: {exc}); "
            + _download_fix(ticker)
        ) from exc
    finally:
        yf_logger.removeHandler(capture)
        yf_logger.propagate = propagate
    frame = _normalise_yahoo(raw, ticker)
    if frame.empty:
        said = "; ".join(capture.messages[-3:])
        raise DownloadError(
            f"download of {ticker!r} from Yahoo Finance returned no prices"
            + (f" (yfinance: {said})" if said else "")
            + "; "
            + _download_fix(ticker)
        )
    frame, closed = _drop_closed(frame, ticker)
    if frame.empty:
        raise DownloadError(
            f"download of {ticker!r} from Yahoo Finance holds only rows on days the exchange is "
            f"closed ({closed[0]['date']}, a {closed[0]['weekday']}, ...); "
            + _download_fix(ticker)
        )
    return frame, closed, _screen_notes(f"{ticker} (Yahoo download)", ticker, frame, closed)


def _screen_notes(source: str, ticker: str, frame: pd.DataFrame, closed: list[dict],
                  volume: bool = True) -> list[str]:
    """The sentences on downloaded prices that a run shows, logged once here.

    ``source`` names where the prices come from (``"ZS=F (Yahoo download)"``);
    the sentences say the rows ``closed`` dropped on closed days
    (:func:`_drop_closed`) and, with ``volume``, a continuous future without a
    ``Volume`` column (:func:`no_volume_note`). :func:`_serve` warns them at
    each load, as :func:`read_snapshot` does for a file.
    """
    notes = [f"{source}: {_closed_text(closed)}"] if closed else []
    volume_note = no_volume_note(ticker) if volume and "Volume" not in frame.columns else None
    if volume_note is not None:
        notes.append(f"{source}: no Volume column; {volume_note}")
    for note in notes:
        logger.warning(note)
    return notes


def _screen_cached(cached: _Cached, ticker: str) -> _Cached:
    """A cache file with its rows on closed days dropped (a file written without the screen
    of :func:`_download`: no ``notes`` in its metadata, or a file edited since)."""
    unscreened = "notes" not in cached.meta
    frame, closed = _drop_closed(cached.frame, ticker)
    if not closed and not unscreened:
        return cached
    if frame.empty:
        raise _CorruptCache("every row falls on a day the exchange is closed")
    notes = _screen_notes(f"{ticker} (cache file {cached.path})", ticker, frame, closed,
                          volume=unscreened)
    meta = {**cached.meta, "closed_days": cached.meta.get("closed_days", []) + closed,
            "notes": cached.meta.get("notes", []) + notes}
    return _Cached(frame=frame, meta=meta, path=cached.path)


def _empty_prices() -> pd.DataFrame:
    return pd.DataFrame(columns=["Close"], index=_standard_index([]), dtype="float64")


def _normalise_yahoo(raw, ticker: str) -> pd.DataFrame:
    """The standard price frame from what ``yfinance.download`` returns.

    yfinance 1.x returns MultiIndex columns ``(Price, Ticker)`` (levels swapped
    with ``group_by='ticker'``) or flat ones, an index ``Date`` that may carry
    a time zone, ``Adj Close`` only when not auto-adjusting, and an empty
    frame when the download failed.
    """
    if raw is None:
        return _empty_prices()
    if not isinstance(raw, pd.DataFrame):
        raise DownloadError(
            f"download of {ticker!r} returned a {type(raw).__name__}, not a DataFrame; "
            + _download_fix(ticker)
        )
    frame = raw
    if isinstance(frame.columns, pd.MultiIndex):
        names = list(frame.columns.names)
        if "Ticker" in names:
            level = names.index("Ticker")
        else:  # unnamed levels: the ticker level is the one that is not price fields
            level = 0 if not set(frame.columns.get_level_values(0)) & set(PRICE_COLUMNS) else 1
        symbols = frame.columns.get_level_values(level)
        wanted = [s for s in dict.fromkeys(symbols) if str(s).upper() == ticker.upper()]
        if not wanted:
            return _empty_prices()
        frame = frame.xs(wanted[0], axis=1, level=level)
    frame = frame.rename(columns=lambda c: str(c).strip().title() if str(c).lower() != "adj close"
                         else "Adj Close")
    if "Close" not in frame.columns:
        if frame.empty:
            return _empty_prices()
        raise DownloadError(
            f"download of {ticker!r} has no 'Close' column (columns: {list(frame.columns)}); "
            + _download_fix(ticker)
        )
    frame = frame[[c for c in PRICE_COLUMNS if c in frame.columns]].apply(
        pd.to_numeric, errors="coerce"
    ).astype("float64")
    frame.index = _standard_index(frame.index)
    frame.columns.name = None
    infinite = np.isinf(frame.to_numpy())
    if infinite.any():
        where = [f"{_iso(frame.index[i])} {frame.columns[j]}" for i, j in np.argwhere(infinite)]
        message = (
            f"{ticker}: the download has non-finite prices on {_some(where)}; they are read "
            "as missing"
        )
        logger.warning(message)
        warnings.warn(message, DataQualityWarning, stacklevel=4)
        frame = frame.mask(np.isinf(frame))
    empty_rows = frame.isna().all(axis=1)
    if empty_rows.any():
        logger.info("%s: dropped %d download rows without any price", ticker, int(empty_rows.sum()))
        frame = frame.loc[~empty_rows]
    frame = frame.sort_index()
    dup = frame.index.duplicated(keep="last")
    if dup.any():
        logger.warning("%s: the download repeats trade dates %s; keeping the last row of each",
                       ticker, ", ".join(_iso(d) for d in frame.index[dup]))
        frame = frame.loc[~dup]
    return frame


def _covers(cached: _Cached, ticker, start, end, today) -> bool:
    """Whether the cache answers the request without a download."""
    req_start, req_end = cached.requested_start, cached.requested_end
    if req_start is not None and (start is None or start < req_start):
        return False
    effective_end = today if end is None else min(end, today)
    if req_end is not None and req_end < effective_end:
        return False
    if not _final_through(ticker, effective_end, cached.fetched):
        return False
    return not any(_provisional(ticker, _clip(cached.frame, start, end).index, cached.fetched))


def _spans(cached: _Cached, start, end) -> bool:
    """Whether the cache spans the request's dates (any cache spans ``end=None``)."""
    req_start, req_end = cached.requested_start, cached.requested_end
    if req_start is not None and (start is None or start < req_start):
        return False
    if end is None:
        return True
    last = cached.frame.index[-1] if len(cached.frame) else None
    return (req_end is not None and req_end >= end) or (last is not None and last >= end)


def _serve(entry: _Cached, ticker, start, end, served_from: str) -> pd.DataFrame:
    """The cached or downloaded prices inside ``[start, end]``, with their provenance; the
    notes of the download (:func:`_screen_notes`) are warned, as a snapshot file's are."""
    out = _clip(entry.frame, start, end)
    notes = list(entry.meta.get("notes", []))
    for note in notes:
        warnings.warn(note, DataQualityWarning, stacklevel=4)
    provisional = _provisional(ticker, out.index, entry.fetched)
    if provisional:
        logger.warning("%s: bars of %s were fetched before their session closed (provisional)",
                       ticker, ", ".join(_iso(d) for d in provisional))
    meta = entry.meta
    return _finish(out, {
        "source": meta.get("source", "yahoo"), "served_from": served_from,
        "fetched_utc": meta["fetched_utc"], "path": str(entry.path),
        "versions": meta.get("versions", {}), "provisional": [_iso(d) for d in provisional],
        "requested": {"start": meta.get("requested_start"), "end": meta.get("requested_end")},
        "closed_days": [c for c in meta.get("closed_days", []) if _within(c["date"], start, end)],
        "notes": notes,
    })


def _open_cache(path: Path, ticker: str) -> tuple[_Cached | None, str | None, str | None]:
    """The cached entry, or None with why the file cannot be read: (entry, unreadable, corrupt)."""
    remove_stale_temporaries(path)
    if not path.exists():
        return None, None, None
    try:
        return _screen_cached(_read_cache(path, ticker), ticker), None, None
    except FileNotFoundError:  # removed since the check: as if it never existed
        return None, None, None
    except _UnreadableCache as exc:
        logger.warning("%s: cannot read the cache file (%s); downloading again", path, exc)
        return None, str(exc), None
    except _CorruptCache as exc:
        logger.warning("%s: corrupt cache file (%s); downloading again", path, exc)
        return None, None, str(exc)


def _load_yahoo(ticker, start, end, *, cache_dir, refresh, downloader, offline) -> pd.DataFrame:
    path = Path(cache_dir) / f"{ticker}.parquet"
    cached, unreadable, corrupt = _open_cache(path, ticker)
    if offline:
        if unreadable is not None:
            raise CacheError(_unreadable_message(path, unreadable))
        if corrupt is not None:
            raise CacheError(_corrupt_message(path, corrupt))
        if cached is None:
            raise CacheError(
                f"no cached prices for {ticker!r} at {path}; download them once "
                f"(source='yahoo') or use a snapshot folder "
                f"(prices_dir= / ${PRICES_DIR_ENV} / --prices-dir)"
            )
        if not _spans(cached, start, end):
            _warn_cache(ticker, cached, "the cache does not span the requested dates")
        return _serve(cached, ticker, start, end, "cache")

    now = _now_utc()
    today = now.tz_convert(FALLBACK_TZ).tz_localize(None).normalize()
    if cached is not None and not refresh and _covers(cached, ticker, start, end, today):
        logger.debug("%s: served from the cache %s", ticker, path)
        return _serve(cached, ticker, start, end, "cache")

    # Download the union of the cached and requested ranges and replace the whole
    # file: Yahoo revises adjusted ETF closes back in time at each dividend, so
    # splicing a new tail onto old history would mix two bases.
    dl_start, dl_end = start, end
    if cached is not None:
        rs, re_ = cached.requested_start, cached.requested_end
        dl_start = None if (rs is None or start is None) else min(rs, start)
        dl_end = None if (re_ is None or end is None) else max(re_, end)
    try:
        frame, closed, notes = _download(ticker, dl_start, dl_end, downloader)
    except DownloadError as exc:
        if cached is not None and _spans(cached, start, end):
            _warn_cache(ticker, cached, f"the download failed: {exc}")
            return _serve(cached, ticker, start, end, "cache")
        if unreadable is not None:
            raise CacheError(
                _unreadable_message(path, unreadable) + f"; download error: {exc}"
            ) from exc
        if corrupt is not None:
            raise CacheError(_corrupt_message(path, corrupt) + f"; download error: {exc}") from exc
        raise
    meta = {
        "format": CACHE_FORMAT, "ticker": ticker, "source": "yahoo",
        "fetched_utc": now.isoformat(), "versions": _versions(),
        "first": _iso(frame.index[0]), "last": _iso(frame.index[-1]), "rows": int(len(frame)),
        "provisional": [_iso(d) for d in _provisional(ticker, frame.index, now)],
        "requested_start": _iso(dl_start), "requested_end": _iso(dl_end),
        "closed_days": closed, "notes": notes,
    }
    try:
        _write_cache(path, frame, meta)
    except OSError as exc:
        message = f"{ticker}: could not write the cache file {path} ({exc}); prices not cached"
        logger.warning(message)
        warnings.warn(message, CacheWarning, stacklevel=4)
    return _serve(_Cached(frame=frame, meta=meta, path=path), ticker, start, end, "download")


def _warn_cache(ticker: str, cached: _Cached, why: str) -> None:
    message = (
        f"{ticker}: using cached prices from {cached.path} (fetched {cached.meta['fetched_utc']}, "
        f"{cached.meta.get('first')} to {cached.meta.get('last')}) because {why}"
    )
    logger.warning(message)
    warnings.warn(message, CacheWarning, stacklevel=5)


# --------------------------------------------------------------------------- entry point


def load_prices(
    tickers: str | Iterable[str],
    start=None,
    end=None,
    *,
    prices_dir=None,
    cache_dir=None,
    source: PriceSource = "auto",
    refresh: bool = False,
    downloader: Callable | None = None,
) -> dict[str, pd.DataFrame]:
    """Daily prices of several tickers over a date range.

    Parameters
    ----------
    tickers : str or iterable of str
        Yahoo symbols, e.g. ``["ZS=F", "SPY"]`` (:func:`validate_ticker`).
    start, end : date-like, optional
        Inclusive first and last trade dates; ``None``: all history / up to
        the latest session.
    prices_dir : path-like, optional
        Snapshot folder (:func:`resolve_prices_dir`).
    cache_dir : path-like, optional
        Download cache; default :func:`default_cache_dir`.
    source : {'auto', 'snapshot', 'yahoo', 'cache'}
        See the module docstring.
    refresh : bool
        Download again even when the cache covers the request (``yahoo``
        and ``auto`` without a prices folder).
    downloader : callable, optional
        Replacement for ``yfinance.download`` (same signature and return).

    Returns
    -------
    dict of str to pandas.DataFrame
        One frame per ticker, in the order given (see the module docstring).

    Raises
    ------
    InvalidTickerError, PriceFileError, DownloadError, CacheError, OptionError

    Notes
    -----
    A cached file is used without a download when it was requested over a
    range containing ``[start, end]`` and every bar up to ``end`` had settled
    when it was fetched. A bar dated :math:`d` is *provisional* when fetched
    before the close of session :math:`d` (calendar of
    :mod:`eventstudy.calendar`; without one, before the midnight New York
    time that ends :math:`d`), and is downloaded again next time. Otherwise
    the union of the cached and requested ranges is downloaded and replaces
    the file atomically. A failed or empty download never replaces the cache:
    the cached prices are returned with a
    :class:`~eventstudy.exceptions.CacheWarning` when they span the request,
    else :class:`~eventstudy.exceptions.DownloadError` is raised.

    A downloaded row on a day the exchange is closed (the rule of
    :func:`read_snapshot`) is dropped before the cache is written, with a
    :class:`~eventstudy.exceptions.DataQualityWarning` naming the ticker and
    the dates (``"ZS=F (Yahoo download): 1 row on a day the exchange is
    closed: ..."``), as is a continuous future downloaded without volume
    (:func:`no_volume_note`); both are recorded in the cache and warned again
    when it serves them. A download of closed days only raises
    ``DownloadError``; a cache file holding such a row is served without it.
    """
    check_option("source", source, PriceSource)
    if isinstance(tickers, str):
        tickers = [tickers]
    elif not isinstance(tickers, Iterable) or isinstance(tickers, (bytes, dict)):
        raise InvalidTickerError(
            f"tickers must be a ticker or a list of tickers such as ['ZS=F', 'SPY']; got "
            f"{tickers!r} ({type(tickers).__name__})"
        )
    if not isinstance(refresh, bool):
        raise DataError(f"refresh must be True or False; got {refresh!r}")
    if downloader is not None and not callable(downloader):
        raise DataError(f"downloader must be a function like yfinance.download; got {downloader!r}")
    tickers = list(dict.fromkeys(validate_ticker(t) for t in tickers))
    if not tickers:
        raise InvalidTickerError("no ticker given; pass e.g. ['ZS=F', 'SPY']")
    start, end = _as_date(start, "start"), _as_date(end, "end")
    if start is not None and end is not None and start > end:
        raise DataError(f"start {_iso(start)} is after end {_iso(end)}; swap them")
    folder = resolve_prices_dir(prices_dir)
    if source == "auto":
        source = "snapshot" if folder is not None else "yahoo"
    if source == "snapshot":
        if folder is None:
            raise PriceFileError(
                f"source='snapshot' needs a prices folder: pass prices_dir= or set "
                f"${PRICES_DIR_ENV} (make: PRICES_DIR=..., CLI: --prices-dir)"
            )
        return {t: read_snapshot(t, folder, start, end) for t in tickers}
    cache = _as_path(cache_dir, "cache_dir") if cache_dir is not None else default_cache_dir()
    return {t: _load_yahoo(t, start, end, cache_dir=cache, refresh=refresh,
                           downloader=downloader, offline=(source == "cache"))
            for t in tickers}
