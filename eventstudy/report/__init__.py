"""The report: its tables, its page figures, its sentences, and the builder of the pages.

- :mod:`eventstudy.report.tables` — tables for people, and the publication table;
- :mod:`eventstudy.report.figures` — the pages' figures;
- :mod:`eventstudy.report.findings` — sentences, each a function of a table;
- :mod:`eventstudy.report.robustness` — a study under variants of its choices;
- :mod:`eventstudy.report.build` — executes the notebooks and writes ``reports/``
  (``make report``; ``python -m eventstudy.report``).

The names of those modules are reachable from here (``from eventstudy.report
import headline_table``); each is imported on first use.
"""

from __future__ import annotations

import importlib

_MODULES = ("tables", "figures", "findings", "robustness", "html", "build")


def __getattr__(name):
    if name in _MODULES or name == "html":
        return importlib.import_module(f"{__name__}.{name}")
    for module in ("tables", "figures", "robustness", "build", "findings"):
        mod = importlib.import_module(f"{__name__}.{module}")
        if name in getattr(mod, "__all__", ()):
            return getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    names = set()
    for module in _MODULES:
        names.update(getattr(importlib.import_module(f"{__name__}.{module}"), "__all__", ()))
    return sorted(names)
