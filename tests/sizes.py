"""A size check written by hand: chosen sizes and power curves, for the report's tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.simulation import EVENT_TESTS, POWER_GRID, SIM_COLUMNS, SizeCheck


def hand_size_check(asset, windows, size=None, *, trials=60_000, mde=0.03):
    """A :class:`SizeCheck` whose tests have the given sizes (default 5%).

    ``size`` maps (test, (a, b)) to a rejection rate at abnormal 0; the power
    rises linearly from the size to 1 at 2·``mde``, so it crosses 80% at an
    abnormal return computable by hand.
    """
    size = size or {}
    rows = []
    se = float(np.sqrt(0.05 * 0.95 / trials))
    for test in EVENT_TESTS:
        for a, b in windows:
            s0 = size.get((test, (a, b)), 0.05)
            for x in POWER_GRID:
                rate = s0 if x == 0 else min(1.0, s0 + (1.0 - s0) * x / (2 * mde))
                rows.append({"setting": "real", "test": test, "window": f"[{a}, {b}]",
                             "start": a, "end": b, "abnormal": x, "rate": rate, "mc_se": se,
                             "within_3se": pd.NA, "rejections": int(rate * trials),
                             "trials": trials, "n_events": 20})
    table = pd.DataFrame(rows)[SIM_COLUMNS].drop(columns="within_3se")
    return SizeCheck(table=table, asset=asset, alpha=0.05, reps=trials // 20, n_events=20,
                     seed=0)
