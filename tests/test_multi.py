"""Several assets in one study: per-asset results, the spread asset, the cross-asset tests."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

import eventstudy as es
from eventstudy.exceptions import DataQualityWarning, StudyConfigError
from eventstudy.results import MultiAssetResults

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "data" / "events.csv"
IDS = ("busan-meeting", "trump-xi-call", "phase-one-signed")


@pytest.fixture(scope="module")
def multi(prices_dir):
    study = es.Study(assets=["ZS=F", "ZC=F", "SOYB", "ZS=F-ZC=F"], factors=["SPY", "UUP", "ZC=F"],
                     event_ids=IDS, windows=[[0, 0], [0, 1]], events=EVENTS, placebo_draws=300,
                     other_events="file", seed=20251124)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return study, es.analyse(study, prices_dir=prices_dir, size_check=True)


@pytest.mark.snapshot
def test_each_asset_equals_its_one_asset_study(multi, prices_dir):
    study, res = multi
    assert isinstance(res, MultiAssetResults) and res.assets == list(study.assets)
    # a factor that is the asset (or a leg of the spread) is dropped for that asset
    assert res.results["ZC=F"].study.factors == ("SPY", "UUP")
    assert res.results["ZS=F-ZC=F"].study.factors == ("SPY", "UUP")
    assert res.results["ZS=F"].study.factors == ("SPY", "UUP", "ZC=F")
    assert res.study is study and res.results["SOYB"].study == study.for_asset("SOYB")
    one = es.Study(asset="SOYB", factors=["SPY", "UUP", "ZC=F"], event_ids=IDS,
                   windows=[[0, 0], [0, 1]], events=EVENTS, placebo_draws=300,
                   other_events="file", seed=20251124)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        alone = es.analyse(one, prices_dir=prices_dir, size_check=True)
    stacked = res.tidy()
    soyb = stacked[stacked["asset"] == "SOYB"].drop(columns="asset").reset_index(drop=True)
    # the family of the adjusted p-values is a window across every asset: set apart below
    own = [c for c in soyb.columns if c not in ("p_holm", "p_bh")]
    pd.testing.assert_frame_equal(soyb[own], alone.tidy()[own], check_exact=False, rtol=1e-12,
                                  atol=0)
    for _, block in stacked.groupby(["start", "end"]):
        graded = block[block["lead_p"].notna()]
        assert block.loc[block["lead_p"].isna(), ["p_holm", "p_bh"]].isna().all().all()
        if len(graded):
            np.testing.assert_allclose(graded["p_holm"], multipletests(
                graded["lead_p"], method="holm")[1], rtol=1e-15)
            np.testing.assert_allclose(graded["p_bh"], multipletests(
                graded["lead_p"], method="fdr_bh")[1], rtol=1e-15)
    assert list(res.car.columns[:2]) == ["asset", "event_id"]
    for table in (res.ar, res.events, res.tests, res.normal_model(), res.estimation_days()):
        assert table.columns[0] == "asset" and set(table["asset"]) <= set(res.assets)


@pytest.mark.snapshot
def test_the_spread_against_an_independent_pandas_computation(multi, prices_dir):
    _, res = multi
    spread = res.results["ZS=F-ZC=F"]
    close = {t: pd.read_csv(prices_dir / f"{t}.csv", index_col="Date", parse_dates=True)["Close"]
             for t in ("ZS=F", "ZC=F", "SPY", "UUP")}
    dates = close["ZS=F"].index
    logret = pd.DataFrame({t: np.log(c.reindex(dates)).diff() for t, c in close.items()})
    want = logret["ZS=F"] - logret["ZC=F"]
    ar = spread.ar
    window = ar[ar["event_id"] == "busan-meeting"].set_index("date")
    present = window["ret"].dropna()
    np.testing.assert_allclose(present.to_numpy(), want.reindex(present.index).to_numpy(),
                               rtol=1e-12, atol=1e-15)
    # the normal model by statsmodels on the estimation days the study used
    days = spread.estimation_days()
    used = days[(days["event_id"] == "busan-meeting") & days["used"]]["date"]
    X = sm.add_constant(logret.loc[used, ["SPY", "UUP"]].to_numpy())
    fit = sm.OLS(want.loc[used].to_numpy(), X).fit()
    z = sm.add_constant(logret.loc[present.index, ["SPY", "UUP"]].to_numpy(), has_constant="add")
    np.testing.assert_allclose(window["ar"].dropna().to_numpy(),
                               present.to_numpy() - z @ fit.params, rtol=1e-9, atol=1e-13)
    row = spread.tidy().set_index(["event_id", "start", "end"]).loc[("busan-meeting", 0, 0)]
    pred = fit.get_prediction(z[window.index[window["ar"].notna()].get_loc(
        pd.Timestamp("2025-10-30"))][None, :])
    np.testing.assert_allclose(row["car_se"], float(pred.se_obs[0]), rtol=1e-9, atol=0)
    # both legs' masks: a roll day of either leg has no spread return
    masked = ar[ar["roll"]]
    assert masked["ar"].isna().all()


@pytest.mark.snapshot
def test_cross_asset_tests_against_the_formula(multi):
    _, res = multi
    cross = res.cross_asset().set_index(["event_id", "start", "end"])
    row = cross.loc[("trump-xi-call", 0, 1)]
    assets = row["assets"].split(", ")
    cars, ses, resid = [], [], []
    for a in assets:
        r = res.results[a]
        t = r.tidy().set_index(["event_id", "start", "end"]).loc[("trump-xi-call", 0, 1)]
        cars.append(t["car"])
        ses.append(t["car_se"])
        days = r.estimation_days()
        used = days[(days["event_id"] == "trump-xi-call") & days["used"]]
        rows = int(r.event_rows(["trump-xi-call"])[0])
        est = r.arrays.est_ar[rows][np.isfinite(r.arrays.est_ar[rows])]
        resid.append(pd.Series(est, index=pd.DatetimeIndex(used["date"])))
    shared = pd.concat(resid, axis=1, sort=True).dropna()
    rho = np.corrcoef(shared.to_numpy().T)
    cov = rho * np.outer(ses, ses)
    c = np.array(cars)
    z = c.mean() / np.sqrt(cov.sum()) * len(c)
    np.testing.assert_allclose(row["z"], z, rtol=1e-10, atol=0)
    np.testing.assert_allclose(row["p_mean"], 2 * stats.norm.sf(abs(z)), rtol=1e-10, atol=0)
    w = float(c @ np.linalg.pinv(cov) @ c)
    np.testing.assert_allclose(row["wald"], w, rtol=1e-6, atol=0)
    np.testing.assert_allclose(row["p_joint"], stats.chi2.sf(w, row["df"]), rtol=1e-6, atol=0)


def test_bad_assets_name_the_key():
    with pytest.raises(StudyConfigError, match=r"assets = 'ZS=F-ZS=F': a spread of a ticker "
                                                r"with itself is zero"):
        es.Study(assets=["ZS=F-ZS=F"], events=EVENTS)
    with pytest.raises(StudyConfigError, match=r"assets = \['ZS=F', 'ZS=F'\]: listed twice"):
        es.Study(assets=["ZS=F", "ZS=F"], events=EVENTS)
    with pytest.raises(StudyConfigError, match=r"assets = \[\]: empty list"):
        es.Study(assets=[], events=EVENTS)


@pytest.mark.snapshot
def test_run_writes_stacked_tables_and_the_cross_asset_file(tmp_path, prices_dir):
    study = tmp_path / "m.toml"
    from eventstudy.outputs import run_study

    study.write_text(f'events = "{EVENTS.as_posix()}"\nassets = ["ZS=F", "ZS=F-ZC=F"]\n'
                     'factors = ["SPY", "UUP"]\nevent_ids = ["trump-xi-call"]\n'
                     'windows = [[0, 0]]\nplacebo_draws = 0\nseed = 20251124\n',
                     encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        assert run_study(study, prices_dir=prices_dir, out=tmp_path / "out")
    car = pd.read_csv(tmp_path / "out" / "car.csv")
    assert list(car["asset"]) == ["ZS=F", "ZS=F-ZC=F"]
    cross = pd.read_csv(tmp_path / "out" / "cross.csv")
    assert cross["n_assets"].tolist() == [2]
    text = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "## Across assets" in text and "| ZS=F-ZC=F |" in text
    assert "Which markets moved?" in (tmp_path / "out" / "report.html").read_text(
        encoding="utf-8")


@pytest.mark.snapshot
def test_markets_findings_read_the_tables(multi):
    from eventstudy import format as fmt
    from eventstudy.report.findings import cross_asset_sentence, markets_moved, reading_changes

    _, res = multi
    text = markets_moved(res, "busan-meeting", (0, 1))
    t = res.tidy().set_index(["asset", "event_id", "start", "end"])
    # each market is graded on its leading test (the one that holds its size there)
    graded = [a for a in res.assets if t.loc[(a, "busan-meeting", 0, 1), "lead_test"]
              and fmt.evidence(t.loc[(a, "busan-meeting", 0, 1), "lead_p"]) != "no evidence"]
    assert (f"{len(graded)} of {len(res.assets)} markets show at least weak evidence" in text
            if graded else "No market shows evidence" in text)
    for a in graded:
        assert f"{a} {fmt.pct(t.loc[(a, 'busan-meeting', 0, 1), 'car'])}" in text
    cross = res.cross_asset().set_index(["event_id", "start", "end"]).loc[("busan-meeting", 0, 1)]
    sentence = cross_asset_sentence(res, "busan-meeting", (0, 1))
    assert fmt.pct(cross["mean_car"]) in sentence and fmt.pvalue(cross["p_mean"]) in sentence
    same = reading_changes(res, res, "busan-meeting", (0, 1), label="the same model")
    assert "the same model" in same and "no market" in same
