"""A study on synthetic prices written to a folder, analysed through the front door."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def synthetic_study(folder, *, assets=("AAA", "BBB"), seed: int = 5, days: int = 520,
                    **changes):
    """Write prices of ``assets`` and a factor ``FFF`` (NYSE sessions) and two events.

    Returns
    -------
    (eventstudy.Study, pathlib.Path)
        The study of the first asset on ``FFF`` (``changes`` applied) and the
        prices folder. The events ``x`` and ``y`` ("Talks", "Truce") fall on
        sessions 300 and 420.
    """
    import pandas_market_calendars as mcal

    import eventstudy as es

    folder = Path(folder)
    prices = folder / "prices"
    prices.mkdir(parents=True, exist_ok=True)
    sessions = mcal.get_calendar("NYSE").valid_days("2019-01-01", "2022-12-31")[:days]
    dates = pd.DatetimeIndex(sessions.tz_localize(None).normalize())
    rng = np.random.default_rng(seed)
    f = rng.normal(0, 0.01, dates.size)
    returns = {"FFF": f}
    for k, a in enumerate(assets):
        returns[a] = (0.5 - 0.3 * k) * f + rng.normal(0, 0.012 + 0.008 * k, dates.size)
    for ticker, r in returns.items():
        close = 100 * np.exp(np.cumsum(r))
        pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": close}).to_csv(
            prices / f"{ticker}.csv", index=False)
    events = folder / "events.csv"
    pd.DataFrame({"id": ["x", "y"], "date": dates[[300, 420]].strftime("%Y-%m-%d"),
                  "title": ["Talks", "Truce"]}).to_csv(events, index=False)
    settings = dict(name="synthetic", asset=assets[0], factors=("FFF",), events=events,
                    estimation=(-200, -11), windows=((0, 0), (0, 1)), min_estimation_days=60,
                    group_by="all", placebo_draws=200, seed=2)
    settings.update(changes)
    return es.Study(**settings), prices
