"""`results.xlsx`: the run's CSV tables as sheets, read back equal, after the settings sheet."""

from __future__ import annotations

import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.exceptions import DataQualityWarning
from eventstudy.outputs import write_results


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from studies import synthetic_study

    folder = tmp_path_factory.mktemp("excel")
    study, prices = synthetic_study(folder, assets=("AAA", "BBB"))
    study = study.replace(assets=("AAA", "BBB"), asset=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        results = es.analyse(study, prices_dir=prices)
    out = folder / "out"
    out.mkdir()
    write_results(results, out, figures=False)
    return results, out


def _as_csv_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel dates as the CSV writes them (YYYY-MM-DD), so both read back alike."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d").where(out[c].notna(), np.nan)
    return out


def test_every_csv_is_a_sheet_equal_to_it_after_the_settings(run):
    results, out = run
    sheets = pd.read_excel(out / "results.xlsx", sheet_name=None)
    csvs = sorted(p.stem for p in out.glob("*.csv"))
    assert list(sheets)[0] == "settings"
    assert sorted(sheets)[:] == sorted(["settings", *csvs])
    assert {"car", "ar", "events", "tests", "model", "estimation", "cross"} <= set(csvs)
    for name in csvs:
        csv = pd.read_csv(out / f"{name}.csv")
        pd.testing.assert_frame_equal(_as_csv_text(sheets[name]), csv, check_dtype=False,
                                      rtol=1e-15, atol=0, obj=name)


def test_numbers_stay_numbers_and_the_header_is_frozen(run):
    results, out = run
    book = openpyxl.load_workbook(out / "results.xlsx")
    car = book["car"]
    header = [c.value for c in car[1]]
    assert car.freeze_panes == "A2" and book["settings"].freeze_panes == "A2"
    row = [c.value for c in car[2]]
    for column in ("car", "car_se", "t", "p", "p_holm", "start", "end"):
        value = row[header.index(column)]
        assert value is None or isinstance(value, (int, float)), (column, value)
    assert car.cell(2, header.index("trade_date") + 1).is_date
    first = results.tidy().iloc[0]
    assert row[header.index("car")] == first["car"]


def test_the_settings_sheet_holds_the_study_and_the_prices_provenance(run):
    results, out = run
    settings = pd.read_excel(out / "results.xlsx", sheet_name="settings")
    study = settings[settings["part"] == "study"].set_index("setting")["value"]
    assert study["assets"] == "AAA, BBB" and study["seed"] == results.study.seed
    assert study["windows"] == "[0, 0], [0, 1]"
    parts = set(settings["part"])
    assert {"prices AAA", "prices BBB", "prices FFF"} <= parts
    aaa = settings[settings["part"] == "prices AAA"].set_index("setting")["value"]
    assert aaa["source"] == "snapshot" and str(aaa["path"]).endswith("AAA.csv")


def test_to_excel_writes_the_same_workbook(run, tmp_path):
    results, out = run
    path = results.results["AAA"].to_excel(tmp_path / "aaa.xlsx")
    car = pd.read_excel(path, sheet_name="car")
    expected = pd.read_csv(out / "car.csv")
    expected = expected[expected["asset"] == "AAA"].drop(columns="asset").reset_index(drop=True)
    # one asset's own family: its adjusted p-values are its own, the rest is the same
    same = [c for c in expected.columns if c not in ("p_holm", "p_bh")]
    pd.testing.assert_frame_equal(_as_csv_text(car)[same], expected[same], check_dtype=False,
                                  rtol=1e-15, atol=0)
