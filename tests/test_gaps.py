"""Trade-to-trade returns over dates without a price row (Maynes and Rumsey 1993).

Rows are deleted from a copy of the real ZS=F snapshot; every window that covers
the whole gap must give the CAR and its standard error of the complete file (log
returns: the trade-to-trade return is the sum of the one-day returns it spans, and
the factors keep their own one-day returns), and a window that ends inside the gap
has no CAR and a note naming the days.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import eventstudy as es
from eventstudy import simulation as sim
from eventstudy.panel import span_days, span_first

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "data" / "events.csv"
WINDOWS = ((0, 0), (0, 1), (-1, 1), (-1, 5))
IDS = ["geneva-joint-statement", "call-2025-09-19", "trump-xi-call"]


def _study(**kw):
    return es.Study(asset="ZS=F", factors=["SPY", "UUP"], event_ids=IDS, events=EVENTS,
                    windows=WINDOWS, exclude_other_events=True, other_events="file",
                    placebo_draws=0, group_by="all", min_estimation_days=100, **kw)


@pytest.fixture(scope="module")
def complete(prices_dir):
    return es.analyse(_study(), prices_dir=prices_dir)


def _trade_date(res, event_id, day):
    """The trade date ``day`` sessions from the event's day 0 in the results' panel."""
    ar = res.ar
    day0 = ar.loc[(ar["event_id"] == event_id) & (ar["day"] == 0), "date"].iloc[0]
    index = res.data.returns.index
    return index[index.get_loc(day0) + day]


def _damaged(tmp_path, prices_dir, dates) -> Path:
    """A copy of the snapshot's three files with ZS=F's rows on ``dates`` deleted."""
    folder = tmp_path / "prices"
    folder.mkdir()
    for ticker in ("ZS=F", "SPY", "UUP"):
        shutil.copy(Path(prices_dir) / f"{ticker}.csv", folder / f"{ticker}.csv")
    lines = (folder / "ZS=F.csv").read_text().splitlines(keepends=True)
    drop = {f"{pd.Timestamp(d):%Y-%m-%d}" for d in dates}
    kept = [line for line in lines if line.split(",", 1)[0] not in drop]
    assert len(lines) - len(kept) == len(drop)
    (folder / "ZS=F.csv").write_text("".join(kept))
    return folder


def _row(res, event_id, window):
    t = res.tidy()
    return t[(t["event_id"] == event_id) & (t["start"] == window[0])
             & (t["end"] == window[1])].iloc[0]


# (event, days deleted, windows that cover the gap, windows that end inside it)
CASES = {
    "day 0": ("geneva-joint-statement", [0], [(0, 1), (-1, 1), (-1, 5)], [(0, 0)]),
    "two days in a window": ("trump-xi-call", [2, 3], [(-1, 5)], []),
    "across the window's end": ("call-2025-09-19", [5, 6], [], [(-1, 5)]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_windows_over_a_gap_equal_the_complete_data(case, complete, prices_dir, tmp_path):
    event, days, covering, cut = CASES[case]
    dates = [_trade_date(complete, event, d) for d in days]
    res = es.analyse(_study(), prices_dir=_damaged(tmp_path, prices_dir, dates))
    # day 0 stays on the trade date, with or without its row
    assert _trade_date(res, event, 0) == _trade_date(complete, event, 0)
    nm, nm0 = (r.normal_model().set_index("event_id").loc[event] for r in (res, complete))
    assert nm["n_estimation"] == nm0["n_estimation"]  # the gap is in windows only
    for window in covering:
        got, want = _row(res, event, window), _row(complete, event, window)
        np.testing.assert_allclose(got["car"], want["car"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(got["car_se"], want["car_se"], rtol=1e-12, atol=0)
        assert got["n_days"] == want["n_days"]
        assert "trade-to-trade" in got["note"]
    for window in cut:
        got = _row(res, event, window)
        assert np.isnan(got["car"]) and np.isnan(got["car_se"]) and np.isnan(got["p"])
        named = ", ".join(f"{d:+d}" for d in days)
        assert got["note"].startswith("no CAR: the window ends inside a multi-day return")
        assert f"no price row on day{'s' if len(days) > 1 else ''} {named}" in got["note"]
    # windows away from the gap are untouched
    for window in WINDOWS:
        if window[1] < days[0]:
            got, want = _row(res, event, window), _row(complete, event, window)
            np.testing.assert_allclose(got["car"], want["car"], rtol=0, atol=1e-12)
    # ar.csv: no one-day AR on the dates without a row; the day after carries the
    # span's AR, the sum of the complete data's ARs over the span
    ar, ar0 = (r.ar.set_index(["event_id", "day"]).loc[event] for r in (res, complete))
    end = days[-1] + 1
    shown = [d for d in days if d in ar.index]
    assert ar.loc[shown, "ar"].isna().all() and ar.loc[shown, "missing"].all()
    assert (ar.loc[shown, "span"] == 0).all()
    if end in ar.index:
        assert ar.loc[end, "span"] == len(days) + 1
        np.testing.assert_allclose(ar.loc[end, "ar"], ar0.loc[days[0]:end, "ar"].sum(),
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(ar.loc[end, "ret"], ar0.loc[days[0]:end, "ret"].sum(),
                                   rtol=0, atol=1e-12)


def test_a_multi_day_return_is_out_of_every_estimation_sample(complete, prices_dir, tmp_path):
    # days +6 and +7 of call-2025-09-19 (a date without a row and the row after it) lie in
    # trump-xi-call's estimation window, outside every event window: they leave that
    # sample with their own reason
    event = "call-2025-09-19"
    dates = [_trade_date(complete, event, d) for d in (5, 6)]
    res = es.analyse(_study(), prices_dir=_damaged(tmp_path, prices_dir, dates))
    day7 = _trade_date(complete, event, 7)
    est, est0 = (r.estimation_days() for r in (res, complete))
    mine = est[(est["event_id"] == "trump-xi-call") & est["date"].isin([*dates, day7])]
    assert (mine["reason"] == "multi-day return (trade-to-trade)").all() and len(mine) == 3
    was = est0[(est0["event_id"] == "trump-xi-call") & est0["date"].isin([dates[-1], day7])]
    assert was["used"].all() and len(was) == 2
    n, n0 = (r.normal_model().set_index("event_id").loc["trump-xi-call", "n_estimation"]
             for r in (res, complete))
    assert n == n0 - 2


def test_span_days_and_first_day_by_hand():
    no_row = np.array([False, True, True, False, False, True, False, False])
    np.testing.assert_array_equal(span_days(no_row), [1, 0, 0, 3, 1, 0, 2, 1])
    np.testing.assert_array_equal(span_first(span_days(no_row)), [0, 1, 1, 1, 4, 5, 5, 7])


def _corrado_reference(est, ar, rel_win, window, rows):
    """Corrado's Z over ``window`` from scipy's ranks, events ``rows`` (Campbell and Wasley)."""
    a = np.concatenate([est, ar], axis=1)
    fin = np.isfinite(a)
    u = np.full(a.shape, np.nan)
    for i in range(a.shape[0]):
        u[i, fin[i]] = stats.rankdata(a[i, fin[i]]) / (fin[i].sum() + 1.0) - 0.5
    u = u[rows]
    n_t = np.isfinite(u).sum(axis=0)
    ubar = np.array([np.nanmean(c) if k else np.nan for c, k in zip(u.T, n_t, strict=True)])
    days = n_t > 0
    sigma2 = np.sum(n_t[days] * ubar[days] ** 2) / days.sum()
    cols = np.concatenate([np.zeros(est.shape[1], bool),
                           (rel_win >= window[0]) & (rel_win <= window[1])]) & days
    return ubar[cols].sum() / np.sqrt(np.sum(sigma2 / n_t[cols]))


def test_tests_on_daily_ars_leave_a_multi_day_return_out(complete, prices_dir, tmp_path):
    # trump-xi-call loses days +2 and +3: [-1, 5] holds day +4's return over +2..+4
    event, days, window = "trump-xi-call", [2, 3], (-1, 5)
    dates = [_trade_date(complete, event, d) for d in days]
    res = es.analyse(_study(), prices_dir=_damaged(tmp_path, prices_dir, dates))
    got, want = _row(res, event, window), _row(complete, event, window)
    np.testing.assert_allclose(got["car"], want["car"], rtol=0, atol=1e-12)
    assert np.isfinite(want["sq_p"]) and np.isnan(got["sq_p"])
    assert ("SQ test not computed: the window holds a multi-day return (no price row on "
            "days +2, +3); its permutation needs one-day returns") in got["note"]
    # the windows before the gap keep their SQ p-value (same residuals, same window ARs)
    for w in ((0, 0), (0, 1), (-1, 1)):
        assert _row(res, event, w)["sq_p"] == _row(complete, event, w)["sq_p"]
    # Corrado: the event is out of [-1, 5]; in every window its days +2..+4 are out of
    # its ranking (a multi-day AR is not a one-day rank)
    tests, tests0 = (r.tests.set_index(["group", "start", "end", "test"]) for r in (res, complete))
    key = ("all", *window, "corrado")
    assert tests.loc[key, "n_events"] == tests0.loc[key, "n_events"] - 1
    assert "1 event left out: the window holds a multi-day return" in tests.loc[key, "note"]
    a = res.arrays
    e = int(np.flatnonzero(res.arrays_ids == event)[0])
    ar = a.ar.copy()
    ar[e, np.isin(a.rel_win, [2, 3, 4])] = np.nan
    others = [i for i in np.flatnonzero(a.used) if i != e]
    np.testing.assert_allclose(tests.loc[key, "statistic"],
                               _corrado_reference(a.est_ar, ar, a.rel_win, window, others),
                               rtol=1e-12, atol=0)
    for w in ((0, 0), (-1, 1)):
        k = ("all", *w, "corrado")
        assert tests.loc[k, "n_events"] == tests0.loc[k, "n_events"]
        np.testing.assert_allclose(
            tests.loc[k, "statistic"],
            _corrado_reference(a.est_ar, ar, a.rel_win, w, np.flatnonzero(a.used)),
            rtol=1e-12, atol=0)
    # the CAR-based tests keep the event, with the complete data's CAR
    k = ("all", *window, "cross-sectional-t")
    assert tests.loc[k, "n_events"] == tests0.loc[k, "n_events"]
    np.testing.assert_allclose(tests.loc[k, "statistic"], tests0.loc[k, "statistic"],
                               rtol=1e-9, atol=0)


def test_pseudo_events_avoid_multi_day_returns_without_clean_windows():
    # the days of a multi-day return (span 0 then 2, with a wild return on the second)
    # must be neither a pseudo day 0 nor a window day: the size table equals the one of
    # the same returns with those days unusable
    data = sim.synthetic_return_arrays("normal", n_days=1500, seed=3)
    span = np.ones(data.y.size, dtype=np.int64)
    span[200::40] = 0
    span[201::40] = 2
    y = np.where(span == 0, 0.0, np.where(span == 2, 0.5, data.y))
    usable = span == 1
    # as the engine's inputs: the span's days valid, never in an estimation sample
    gapped = replace(data, y=y, est_ok=usable, span=span)
    masked = replace(data, y=y, valid=usable, est_ok=usable)
    study = es.Study(asset="X", factors=("F1", "F2"), model="market", estimation=(-120, -11),
                     windows=((0, 0),), min_estimation_days=80, placebo_draws=500, seed=5)
    kw = dict(n_events=5, reps=40, abnormal=(0.0, 0.01), clean_windows=False)
    pd.testing.assert_frame_equal(sim.simulate_tests(gapped, study, **kw),
                                  sim.simulate_tests(masked, study, **kw))


def test_daily_average_leaves_out_a_multi_day_return(complete, prices_dir, tmp_path):
    """Days +2 and +3 of trump-xi-call have no row: day +2 (AR 0 - normal) and day +4 (the
    two-day return) are parts of a multi-day return, out of the day's average AR."""
    dates = [_trade_date(complete, "trump-xi-call", d) for d in (2, 3)]
    res = es.analyse(_study(), prices_dir=_damaged(tmp_path, prices_dir, dates))
    span = res.ar.set_index(["event_id", "day"])["span"]
    aar = res.aar[res.aar["group"] == "all"].set_index("day")
    full = complete.aar[complete.aar["group"] == "all"].set_index("day")
    for day in (2, 3, 4):
        out = int(span.loc[("trump-xi-call", day)] != 1)
        assert aar.loc[day, "n_events"] == full.loc[day, "n_events"] - out
    assert (span.loc[("trump-xi-call", 4)], span.loc[("trump-xi-call", 2)]) == (3, 0)
