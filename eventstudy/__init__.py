"""Event studies of diplomatic and trade news on commodity futures.

The front door::

    import eventstudy as es

    study = es.load_study("my_study.toml")            # or es.Study(asset="ZC=F", ...)
    res = es.analyse(study, prices_dir="path/to/csv-snapshots")
    res.tidy()                                         # CAR, se, t, p, interval, flags, note
    print(res.summary())
    res.plot_car()

From returns and events of your own, with a study for the options::

    from eventstudy.panel import prepare_returns

    study = es.Study(asset="ZC=F", factors=["SPY", "UUP"], windows=[[0, 0], [0, 1]])
    prices = es.load_prices(list(study.tickers), prices_dir=...)
    panel = prepare_returns(prices, "ZC=F", ["SPY", "UUP"])   # or a DataFrame of returns
    events = es.align_events(es.load_events("my_events.csv"), es.get_calendar("ZC=F"))
    res = es.fit(study, panel, events)

Everything else sits one module down (``eventstudy.outputs.run_study`` writes a
study's files, ``eventstudy.panel`` builds returns panels); the names here are
imported on first use, so ``import eventstudy`` stays cheap.
"""

from __future__ import annotations

import importlib

#: Public name -> module that defines it.
_ENTRY_POINTS = {
    "Study": "config",
    "load_study": "config",
    "analyse": "analysis",
    "fit": "analysis",
    "EventStudyResults": "results",
    "MultiAssetResults": "results",
    "load_prices": "prices",
    "load_events": "events",
    "align_events": "events",
    "get_calendar": "calendar",
}

__all__ = ["__version__", *_ENTRY_POINTS]


def _version() -> str:
    """The installed distribution's version (read on first use: importlib.metadata is slow)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("futures-eventstudy")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"


def __getattr__(name):
    if name == "__version__":
        globals()["__version__"] = value = _version()
        return value
    module = _ENTRY_POINTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__():
    return sorted(__all__)
