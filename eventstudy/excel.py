"""A run's tables as one Excel workbook (openpyxl): a sheet per table, the settings first.

:func:`settings_table` lists a study's settings and where its prices come
from; :func:`write_workbook` writes it as the first sheet, then one sheet per
table under the name of its CSV file (``car``, ``ar``, ``events``, ...).
Numbers stay numbers, dates are Excel dates (``YYYY-MM-DD``), the header
row is frozen.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

__all__ = ["SETTINGS_COLUMNS", "SETTINGS_SHEET", "settings_table", "write_workbook"]

#: The first sheet of a workbook.
SETTINGS_SHEET = "settings"

#: Columns of :func:`settings_table`: which part (the study, or one ticker's prices), the
#: setting and its value.
SETTINGS_COLUMNS = ["part", "setting", "value"]

_PROVENANCE = ("source", "fetched_utc", "file_modified_utc", "path", "first", "last", "rows",
               "versions", "provisional", "served_from", "nonfinite", "short_rows", "jumps",
               "duplicates")


def _cell(value):
    """A setting as one cell: numbers and booleans kept, sequences and paths as text."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(
            f"[{', '.join(map(str, v))}]" if isinstance(v, (list, tuple)) else str(v)
            for v in value)
    return str(value)


def settings_table(study, provenance=None) -> pd.DataFrame:
    """A study's settings and the provenance of each price series.

    Parameters
    ----------
    study : eventstudy.config.Study
    provenance : dict, optional
        Ticker -> the ``provenance`` of its prices
        (:func:`eventstudy.prices.load_prices`); of several assets, asset ->
        such a dict.

    Returns
    -------
    pandas.DataFrame
        :data:`SETTINGS_COLUMNS`: ``study`` rows (every field of the study,
        its file, the package version), then ``prices <ticker>`` rows.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("futures-eventstudy")
    except PackageNotFoundError:
        package = "not installed"
    rows = [("study", "file", _cell(study.path)), ("study", "eventstudy version", package)]
    rows += [("study", f.name, _cell(getattr(study, f.name)))
             for f in dataclasses.fields(study) if f.name != "path"]
    seen = set()
    for ticker, prov in _flat(provenance or {}):
        if ticker in seen:
            continue
        seen.add(ticker)
        rows += [(f"prices {ticker}", key, _cell(prov[key])) for key in _PROVENANCE
                 if key in prov]
    return pd.DataFrame(rows, columns=SETTINGS_COLUMNS)


def _flat(provenance: dict):
    """(ticker, provenance) pairs of a per-ticker or per-asset dict."""
    for key, value in provenance.items():
        value = dict(value or {})
        if value and all(isinstance(v, dict) for v in value.values()):
            yield from value.items()
        else:
            yield key, value


def write_workbook(path, tables: dict, settings: pd.DataFrame) -> Path:
    """Write ``settings`` and every table of ``tables`` (sheet name -> frame) to ``path``.

    Each sheet has its frame's columns as a frozen header row and no index;
    numbers are numeric cells, dates Excel dates shown ``YYYY-MM-DD``, a
    missing value an empty cell (as in the CSV files).
    """
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl", date_format="YYYY-MM-DD",
                        datetime_format="YYYY-MM-DD") as writer:
        for name, frame in {SETTINGS_SHEET: settings, **tables}.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False, freeze_panes=(1, 0))
            sheet = writer.sheets[name[:31]]
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in list(column)[:50])
                sheet.column_dimensions[column[0].column_letter].width = min(max(width, 8), 60)
    return path
