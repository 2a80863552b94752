"""Cross-sectional regression of CARs and multiple testing, against statsmodels and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from eventstudy.crosssection import (
    CROSS_SECTION_COLUMNS,
    rademacher,
    regress_cars,
    regression_frame,
    wild_bootstrap_pvalues,
)
from eventstudy.exceptions import InferenceError, OptionError
from eventstudy.inference.multiple import adjust_pvalues, survivors
from eventstudy.summary import multiplicity_sentences


def _frame(n=24, seed=3):
    rng = np.random.default_rng(seed)
    kind = np.array(["call", "meeting", "visit"])[np.arange(n) % 3]
    agri = rng.integers(0, 2, n).astype(float)
    se = rng.uniform(0.005, 0.03, n)
    car = 0.01 * agri - 0.004 * (kind == "meeting") + se * rng.standard_normal(n)
    return pd.DataFrame({"event_id": [f"e{i}" for i in range(n)], "kind": kind,
                         "agriculture": agri, "car": car, "car_se": se})


def _design(frame):
    """The formula's design by hand, in patsy's order: intercept, meeting and visit dummies,
    agriculture."""
    return np.column_stack([np.ones(len(frame)), (frame["kind"] == "meeting").astype(float),
                            (frame["kind"] == "visit").astype(float), frame["agriculture"]])


FORMULA = "car ~ agriculture + C(kind)"


def test_ols_coefficients_and_hc3_errors_equal_statsmodels():
    frame = _frame()
    res = regress_cars(frame, FORMULA, window=(0, 1), bootstrap=0)
    ref = sm.OLS(frame["car"].to_numpy(), _design(frame)).fit(cov_type="HC3")
    t = res.tidy()
    assert list(t.columns) == CROSS_SECTION_COLUMNS
    np.testing.assert_allclose(t["coef"], ref.params, rtol=1e-10)
    np.testing.assert_allclose(t["se"], ref.bse, rtol=1e-10)
    np.testing.assert_allclose(t["p"], ref.pvalues, rtol=1e-10)
    np.testing.assert_allclose(t[["ci_low", "ci_high"]], ref.conf_int(0.05), rtol=1e-10)
    assert (t["n"] == 24).all() and res.n_events == 24 and t["p_wild"].isna().all()


def test_wls_uses_inverse_variance_weights_as_statsmodels():
    frame = _frame()
    res = regress_cars(frame, FORMULA, window=(0, 1), weights="inverse_variance", bootstrap=0)
    ref = sm.WLS(frame["car"].to_numpy(), _design(frame),
                 weights=1.0 / frame["car_se"].to_numpy() ** 2).fit(cov_type="HC3")
    np.testing.assert_allclose(res.tidy()["coef"], ref.params, rtol=1e-10)
    np.testing.assert_allclose(res.tidy()["se"], ref.bse, rtol=1e-10)


def _loop_pvalues(y, X, draws, seed):
    """The restricted wild bootstrap, one draw at a time with statsmodels."""
    v = 2.0 * np.random.default_rng(seed).integers(0, 2, size=(draws, y.size)) - 1.0
    t_obs = sm.OLS(y, X).fit(cov_type="HC3").tvalues
    p = []
    for j in range(X.shape[1]):
        Xr = np.delete(X, j, axis=1)
        restricted = sm.OLS(y, Xr).fit()
        hits = 0
        for b in range(draws):
            y_star = restricted.fittedvalues + restricted.resid * v[b]
            t_star = sm.OLS(y_star, X).fit(cov_type="HC3").tvalues[j]
            hits += abs(t_star) >= abs(t_obs[j]) * (1 - 1e-10)
        p.append((1 + hits) / (draws + 1))
    return np.array(p)


def test_wild_bootstrap_equals_a_plain_loop_with_the_same_seed():
    frame = _frame(n=15, seed=8)
    y, X = frame["car"].to_numpy(), _design(frame)
    t, p = wild_bootstrap_pvalues(y, X, draws=199, seed=11)
    np.testing.assert_allclose(t, sm.OLS(y, X).fit(cov_type="HC3").tvalues, rtol=1e-10)
    np.testing.assert_array_equal(p, _loop_pvalues(y, X, 199, 11))
    res = regress_cars(frame, FORMULA, window=(0, 1), bootstrap=199, seed=11)
    np.testing.assert_array_equal(res.tidy()["p_wild"], p)


def test_wls_bootstrap_runs_on_the_whitened_design():
    frame = _frame(n=15, seed=9)
    w = np.sqrt(1.0 / frame["car_se"].to_numpy() ** 2)
    res = regress_cars(frame, FORMULA, window=(0, 1), weights="inverse_variance",
                       bootstrap=99, seed=4)
    _, p = wild_bootstrap_pvalues(frame["car"].to_numpy() * w, _design(frame) * w[:, None],
                                  draws=99, seed=4)
    np.testing.assert_array_equal(res.tidy()["p_wild"], p)


def test_rademacher_weights_are_plus_or_minus_one_from_the_seed():
    v = rademacher(1000, 7, 5)
    assert set(np.unique(v)) == {-1.0, 1.0}
    np.testing.assert_array_equal(v, rademacher(1000, 7, 5))
    assert abs(v.mean()) < 0.05


def test_wild_bootstrap_rejects_about_5_percent_without_an_effect():
    rng = np.random.default_rng(2024)
    reps, n, rejections = 400, 20, 0
    for _ in range(reps):
        x = rng.standard_normal(n)
        # heteroskedastic errors, no effect of x
        y = rng.standard_normal(n) * (0.5 + np.abs(x))
        X = np.column_stack([np.ones(n), x])
        _, p = wild_bootstrap_pvalues(y, X, draws=199, seed=int(rng.integers(1 << 30)))
        rejections += p[1] < 0.05
    rate = rejections / reps
    mc_se = np.sqrt(0.05 * 0.95 / reps)
    assert abs(rate - 0.05) < 3.5 * mc_se, rate


def test_events_without_a_car_or_a_characteristic_are_left_out_with_why():
    tidy = pd.DataFrame({"event_id": ["a", "b", "c", "d", "e", "f", "a"],
                         "start": [0, 0, 0, 0, 0, 0, -1], "end": [1, 1, 1, 1, 1, 1, 1],
                         "car": [0.01, np.nan, 0.02, -0.01, 0.0, 0.03, 9.0],
                         "car_se": [0.01] * 7, "note": ["", "no CAR: roll", "", "", "", "", ""]})
    chars = pd.DataFrame({"id": list("abcdefg"), "agriculture": ["yes", "no", "", "no", "yes",
                                                                  "no", "yes"],
                          "size": [1.0, 2.0, 3.0, np.nan, 1.5, 2.5, 1.0]}).set_index("id")
    frame, left = regression_frame(tidy, chars, list("abcdefg"), (0, 1),
                                   excluded={"g": "no estimation sample"})
    assert list(frame["event_id"]) == ["a", "c", "d", "e", "f"]
    assert frame["car"].tolist() == [0.01, 0.02, -0.01, 0.0, 0.03]
    res = regress_cars(frame, "car ~ size", window=(0, 1), bootstrap=0, left_out=left)
    assert res.n_events == 4
    why = dict(zip(res.left_out["event_id"], res.left_out["reason"], strict=True))
    assert why == {"b": "no CAR: roll", "g": "excluded from the study: no estimation sample",
                   "d": "missing size"}
    res = regress_cars(frame, "car ~ C(agriculture)", window=(0, 1), bootstrap=0,
                       left_out=left)
    assert "missing agriculture" == dict(zip(res.left_out["event_id"],
                                             res.left_out["reason"], strict=True))["c"]
    text = str(res.summary())
    assert "c left out: missing agriculture" in text and "Events" in text
    assert "<table" in res._repr_html_() and "| term |" in res.summary().to_markdown()


def test_bad_regressions_are_one_clear_error():
    frame = _frame()
    with pytest.raises(OptionError, match="weights must be one of 'inverse_variance'"):
        regress_cars(frame, FORMULA, window=(0, 1), weights="inverse")
    with pytest.raises(InferenceError, match="formula 'car ~ kinds'.*columns: event_id, kind"):
        regress_cars(frame, "car ~ kinds", window=(0, 1), bootstrap=0)
    lone = frame.assign(kind=["solo"] + list(frame["kind"][1:]))
    with pytest.raises(InferenceError, match="event e0 alone determine a coefficient"):
        regress_cars(lone, FORMULA, window=(0, 1), bootstrap=0)
    with pytest.raises(InferenceError, match="3 events for 4 coefficients"):
        regress_cars(frame.iloc[:3], FORMULA, window=(0, 1), bootstrap=0)
    with pytest.raises(InferenceError, match="bootstrap must be a number of draws"):
        regress_cars(frame, FORMULA, window=(0, 1), bootstrap=-1)


def test_adjusted_p_values_equal_multipletests_per_window():
    p = [0.001, 0.04, np.nan, 0.03, 0.2, 0.012, 0.5, 0.049, 0.02]
    frame = pd.DataFrame({"start": [0] * 5 + [-1] * 4, "end": [0] * 5 + [1] * 4, "lead_p": p})
    out = adjust_pvalues(frame)
    for _, block in frame.groupby(["start", "end"]):
        ok = block["lead_p"].notna()
        values = block.loc[ok, "lead_p"].to_numpy()
        np.testing.assert_allclose(out.loc[block.index[ok], "p_holm"],
                                   multipletests(values, method="holm")[1], rtol=1e-15)
        np.testing.assert_allclose(out.loc[block.index[ok], "p_bh"],
                                   multipletests(values, method="fdr_bh")[1], rtol=1e-15)
    assert out.loc[2].isna().all()
    # by hand: window [0, 0] has p = .001, .04, .03, .2; Holm 4 × .001, 3 × .03, ...
    np.testing.assert_allclose(out.loc[[0, 3, 1, 4], "p_holm"], [0.004, 0.09, 0.09, 0.2],
                               rtol=1e-12)
    table = survivors(frame)
    first = table.iloc[0].to_dict()
    assert (first["n_rows"], first["n_graded"], first["holm_5"], first["holm_10"],
            first["bh_5"], first["bh_10"], first["raw_5"]) == (5, 4, 1, 3, 1, 3, 3)


def test_the_multiplicity_sentence_names_the_counts_of_its_table():
    table = pd.DataFrame([{"start": 0, "end": 1, "n_rows": 27, "n_graded": 25, "holm_5": 1,
                           "holm_10": 2, "bh_5": 3, "bh_10": 4, "raw_5": 5, "raw_10": 6}])
    (text,) = multiplicity_sentences(table)
    assert text == ("Over [0, 1], of 25 graded p-values (of 27 CARs): 5 below 5% and 6 below "
                    "10% unadjusted; 1 and 2 after Holm's correction (family-wise error); 3 and "
                    "4 after Benjamini–Hochberg's (false discovery rate).")
    none = table.assign(n_graded=0)
    assert multiplicity_sentences(none) == [
        "No p-value is graded, so none is adjusted for multiple testing."]
