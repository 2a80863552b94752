"""`eventstudy run` against an independent implementation of the engine's definitions.

A study of events the catalogue does not hold (a file with only ``id``, ``date``
and optional ``time``/``tz``), on ZS=F with SPY and UUP. The reference below
reads the price CSVs with pandas, takes the roll days and thin-trading periods
from ``eventstudy data check --json`` (what a user sees), the trade dates from
``eventstudy events --json``, and fits each event with statsmodels:
``get_prediction(...).se_obs`` gives Var(AR), and Var(CAR) = γ'Vγ with
V = s²(I + X*(X'X)⁻¹X*') built from the estimation design.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.cli import main

pytestmark = pytest.mark.snapshot

EVENTS = """id,date,time,tz
ref-plain,2019-03-15,,
ref-after-close,2021-06-10,14:00,America/Chicago
ref-sunday,2023-02-05,,
ref-roll-day0,2022-07-14,,
ref-tokyo-night,2024-09-18,10:00,Asia/Tokyo
ref-near-other,2019-03-20,,
"""

ESTIMATION = (-200, -11)
WINDOWS = [(0, 0), (-1, 1), (0, 5), (-2, 10)]


def _study(tmp_path, thin: bool) -> tuple:
    (tmp_path / "events.csv").write_text(EVENTS, encoding="utf-8")
    study = tmp_path / "ref.toml"
    study.write_text(
        'asset = "ZS=F"\nfactors = ["SPY", "UUP"]\nmodel = "market"\nreturns = "log"\n'
        f"estimation = [{ESTIMATION[0]}, {ESTIMATION[1]}]\n"
        f"windows = {[list(w) for w in WINDOWS]}\n"
        'events = "events.csv"\nexclude_other_events = true\n'
        f"exclude_thin_trading = {'true' if thin else 'false'}\n"
        "mask_rolls = true\nmin_estimation_days = 100\nplacebo_draws = 200\nseed = 7\n",
        encoding="utf-8",
    )
    return study, tmp_path / "events.csv"


def _cli_json(capsys, argv):
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _reference(prices_dir, capsys, events_file, thin: bool) -> tuple:
    close = {
        t: pd.read_csv(prices_dir / f"{t}.csv", parse_dates=["Date"], index_col="Date")["Close"]
        for t in ("ZS=F", "SPY", "UUP")
    }
    start = max(s.index[0] for s in close.values())
    dates = close["ZS=F"].loc[start:].index
    logp = np.log(pd.DataFrame({t: s.reindex(dates) for t, s in close.items()}))
    ret = logp.diff()

    check = _cli_json(capsys, ["data", "check", "ZS=F", "--prices-dir", str(prices_dir), "--json"])
    roll = dates.isin(pd.to_datetime([r["date"] for r in check["roll_days"]]))
    thin_days = np.zeros(len(dates), dtype=bool)
    for period in check["thin_periods"]:
        thin_days |= (dates >= period["start"]) & (dates <= period["end"])
    valid = ret.notna().all(axis=1).to_numpy() & ~roll
    est_ok = valid & ~thin_days if thin else valid

    listed = _cli_json(
        capsys, ["events", "--events", str(events_file), "--asset", "ZS=F", "--prices-dir",
        str(prices_dir), "--json"]
    )
    trade = {e["id"]: pd.Timestamp(e["trade_date"]) for e in listed}
    day0 = {eid: int(dates.searchsorted(td)) for eid, td in trade.items()}
    lo = min(a for a, _ in WINDOWS)
    hi = max(b for _, b in WINDOWS)
    rel_win = np.arange(lo, hi + 1)

    y = ret["ZS=F"].to_numpy()
    X = sm.add_constant(ret[["SPY", "UUP"]].to_numpy())
    ar_rows, car_rows, used_rows = [], [], []
    for eid, p0 in day0.items():
        est = np.arange(p0 + ESTIMATION[0], p0 + ESTIMATION[1] + 1)
        keep = est_ok[est].copy()
        for other, q0 in day0.items():
            if other != eid:
                keep &= ~((est >= q0 + lo) & (est <= q0 + hi))
        est = est[keep]
        used_rows.extend((eid, pd.Timestamp(dates[i])) for i in est)
        fit = sm.OLS(y[est], X[est]).fit()
        win = p0 + rel_win
        ok = valid[win]
        pred = fit.get_prediction(X[win])
        normal = pred.predicted_mean
        ar = np.where(ok, y[win] - normal, np.nan)
        ar_se = np.where(ok, pred.se_obs, np.nan)
        xtx_inv = np.linalg.inv(X[est].T @ X[est])
        V = fit.scale * (np.eye(len(win)) + X[win] @ xtx_inv @ X[win].T)
        for day, a, s in zip(rel_win, ar, ar_se, strict=True):
            ar_rows.append((eid, int(day), a, s))
        for a, b in WINDOWS:
            g = ((rel_win >= a) & (rel_win <= b) & ok).astype(float)
            n_days = int(g.sum())
            if n_days == 0:
                car_rows.append((eid, a, b, np.nan, np.nan, np.nan, np.nan, 0))
                continue
            car = float(np.nansum(ar * g))
            se = float(np.sqrt(g @ V @ g))
            t = car / se
            p = 2 * stats.t.sf(abs(t), fit.df_resid)
            car_rows.append((eid, a, b, car, se, t, p, n_days))
    ar_ref = pd.DataFrame(ar_rows, columns=["event_id", "day", "ar", "ar_se"])
    car_ref = pd.DataFrame(
        car_rows, columns=["event_id", "start", "end", "car", "car_se", "t", "p", "n_days"]
    )
    used_ref = pd.DataFrame(used_rows, columns=["event_id", "date"])
    return ar_ref, car_ref, used_ref


@pytest.mark.parametrize("thin", [True, False], ids=["thin-excluded", "thin-kept"])
def test_run_matches_an_independent_implementation(prices_dir, tmp_path, capsys, thin):
    study, events_file = _study(tmp_path, thin)
    out = tmp_path / "out"
    assert main(["run", str(study), "--prices-dir", str(prices_dir), "--out", str(out)]) == 0
    ar_ref, car_ref, used_ref = _reference(prices_dir, capsys, events_file, thin)

    car = pd.read_csv(out / "car.csv")
    merged = car_ref.merge(car, on=["event_id", "start", "end"], suffixes=("_ref", ""))
    assert len(merged) == len(car_ref) == 6 * len(WINDOWS)
    np.testing.assert_array_equal(merged["n_days"], merged["n_days_ref"])
    for col in ("car", "car_se", "t", "p"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_ref"], rtol=1e-9, atol=1e-12)

    ar = pd.read_csv(out / "ar.csv")
    merged = ar_ref.merge(ar, on=["event_id", "day"], suffixes=("_ref", ""))
    assert len(merged) == len(ar_ref)
    for col in ("ar", "ar_se"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_ref"], rtol=1e-9, atol=1e-12)

    # estimation.csv lists exactly the reference's estimation days as used.
    days = pd.read_csv(out / "estimation.csv", parse_dates=["date"])
    kept = days[days["used"]][["event_id", "date"]]
    pd.testing.assert_frame_equal(
        kept.sort_values(["event_id", "date"]).reset_index(drop=True),
        used_ref.sort_values(["event_id", "date"]).reset_index(drop=True),
        check_dtype=False,
    )
    events = pd.read_csv(out / "events.csv")
    counts = kept.groupby("event_id").size()
    n_est = events.set_index("event_id")["n_estimation"]
    assert n_est.sort_index().to_dict() == counts.sort_index().to_dict()
    assert set(days.loc[~days["used"], "reason"]) <= {
        "missing return", "contract roll", "thin trading", "another event's window",
    }
    assert ("thin trading" in set(days["reason"])) == thin

    # The roll day at day 0 leaves [0, 0] without a usable day: CAR missing, n_days 0.
    row = car.query("event_id == 'ref-roll-day0' and start == 0 and end == 0").iloc[0]
    assert row["n_days"] == 0 and np.isnan(row["car"])
