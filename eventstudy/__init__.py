"""Event studies of diplomatic and trade news on commodity futures.

The front door::

    import eventstudy as es

    study = es.load_study("studies/article.toml")     # or es.Study(asset="ZC=F", ...)
    res = es.analyse(study, prices_dir="path/to/csv-snapshots")
    res.tidy()                                         # CAR, se, t, p, interval, flags, note
    print(res.summary())
    res.plot_car()

From returns and events of your own, without a study file::

    prices = es.load_prices(["ZS=F", "SPY", "UUP"], prices_dir=...)
    data = es.prepare_returns(prices, "ZS=F", ["SPY", "UUP"])
    events = es.align_events(es.load_events("my_events.csv"), es.get_calendar("ZS=F"))
    res = es.EventStudy(data.returns, events, asset="ZS=F", factors=["SPY", "UUP"],
                        roll=data.roll, thin=data.thin, placebo_draws=10_000).fit()

Everything else sits one module down; the names here are imported on first use,
so ``import eventstudy`` stays cheap.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("futures-eventstudy")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

#: Public name -> module that defines it.
_ENTRY_POINTS = {
    "Study": "config",
    "load_study": "config",
    "analyse": "study",
    "run_study": "outputs",
    "write_results": "outputs",
    "summary_markdown": "outputs",
    "EventStudy": "model",
    "EventStudyResults": "results",
    "load_prices": "prices",
    "prepare_returns": "returns",
    "compute_returns": "returns",
    "load_events": "events",
    "align_events": "events",
    "get_calendar": "calendar",
    "car_table": "report.tables",
    "headline_table": "report.tables",
}

__all__ = ["__version__", *_ENTRY_POINTS]


def __getattr__(name):
    module = _ENTRY_POINTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__():
    return sorted(__all__)
