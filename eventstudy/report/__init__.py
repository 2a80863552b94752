"""Reporting any study: tables for people, figures, sentences, and a builder of pages.

- :mod:`eventstudy.report.tables` — tables for people, and the publication table;
- :mod:`eventstudy.report.html` — page components (tables, figures, the answer box);
- :mod:`eventstudy.report.figures` — figures of one or several results;
- :mod:`eventstudy.report.findings` — sentences, each a function of a table;
- :mod:`eventstudy.report.activity` — did an event move volatility or volume;
- :mod:`eventstudy.report.robustness` — a study under variants of its choices;
- :mod:`eventstudy.report.build` — executes a folder of notebooks into HTML pages
  (``python -m eventstudy.report --notebooks DIR``).

The names of those modules are reachable from here (``from eventstudy.report
import headline_table``); each is imported on first use.
"""

from __future__ import annotations

import importlib

_MODULES = ("tables", "figures", "findings", "robustness", "html", "build", "activity")


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    for module in ("tables", "figures", "robustness", "build", "findings", "activity"):
        mod = importlib.import_module(f"{__name__}.{module}")
        if name in getattr(mod, "__all__", ()):
            return getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    names = set()
    for module in _MODULES:
        names.update(getattr(importlib.import_module(f"{__name__}.{module}"), "__all__", ()))
    return sorted(names)
