"""Figures: labelled axes, titles naming events, bands equal to the stated formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.analysis import fit
from eventstudy.config import Study


@pytest.fixture(scope="module")
def res():
    """A small synthetic study: one factor, three events (two signed)."""
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2021-01-04", periods=700)
    f = rng.normal(0, 0.01, 700)
    a = 0.4 * f + rng.normal(0, 0.015, 700)
    a[[400, 401, 600]] += [0.03, -0.01, -0.02]
    returns = pd.DataFrame({"A": a, "F": f}, index=idx)
    returns.iloc[402, 0] = np.nan  # a missing day inside the first window
    events = pd.DataFrame(
        {
            "id": ["e1", "e2", "e3"],
            "title": ["Tariffs announced", "Talks resume", "Truce"],
            "trade_date": idx[[400, 600, 650]],
            "category": ["tariff", "deal", "deal"],
            "direction": [1, -1, 0],
        }
    )
    study = Study(asset="A", factors=["F"], windows=((-2, 5), (0, 0)), group_by="direction",
                  placebo_draws=0)
    return fit(study, returns, events)


def _paths(ax):
    """The data lines of an axes (markers), not the reference lines at zero."""
    return [line for line in ax.get_lines() if line.get_marker() == "o"]


def test_cumulative_variance_is_gamma_v_gamma(res):
    a = res.arrays
    car, var = res.cumulative()
    for e in range(3):
        ok = np.isfinite(a.ar[e])
        for j in range(a.rel_win.size):
            g = (ok & (np.arange(a.rel_win.size) <= j)).astype(float)
            V = np.nan_to_num(a.V[e], nan=0.0)
            np.testing.assert_allclose(var[e, j], g @ V @ g, rtol=1e-12, atol=0)
            np.testing.assert_allclose(car[e, j], np.nansum(a.ar[e, : j + 1]), rtol=1e-12, atol=0)
    # the full window's cumulative values are the (-2, 5) CAR
    np.testing.assert_allclose(car[:, -1], a.car[:, 0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(np.sqrt(var[:, -1]), a.car_se[:, 0], rtol=1e-12, atol=0)


def test_plot_ar_axes_titles_and_band(res):
    fig = res.plot_ar(["e1", "e2"])
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2
    ax = axes[0]
    assert ax.get_ylabel() == "abnormal return (% log return)"
    assert ax.get_xlabel().startswith("event day")
    day0 = pd.bdate_range("2021-01-04", periods=700)[400].date()
    assert "e1: Tariffs announced" in ax.get_title() and f"day 0 = {day0}" in ax.get_title()
    line = _paths(ax)[0]
    a = res.arrays
    np.testing.assert_allclose(line.get_ydata(), a.ar[0] * 100, rtol=1e-12, atol=0)
    band = np.concatenate([p.vertices[:, 1] for p in ax.collections[0].get_paths()])
    q = stats.t.ppf(0.975, a.dof[0])
    half = np.nanmax(q * a.ar_se[0] * 100)
    np.testing.assert_allclose(np.nanmax(band), half, rtol=1e-12, atol=0)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("95% band" in s and "estimation error" in s for s in labels)
    assert "abnormal return" in labels


def test_plot_car_and_caar(res):
    fig = res.plot_car("e3")
    ax = [ax for ax in fig.axes if ax.get_visible()][0]
    assert ax.get_ylabel() == "CAR (% log return)"
    assert "e3: Truce" in ax.get_title()
    car, _ = res.cumulative()
    np.testing.assert_allclose(_paths(ax)[0].get_ydata(), car[2] * 100, rtol=1e-12, atol=0)

    fig = res.plot_caar()
    ax = fig.axes[0]
    assert ax.get_ylabel() == "CAAR (% log return)"
    assert "95% band" in ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["all (N=3)", "escalation (N=1)", "de-escalation (N=1)", "signed (N=2)"]
    signed = _paths(ax)[-1].get_ydata()
    np.testing.assert_allclose(signed, (car[0] - car[1]) / 2 * 100, rtol=1e-12, atol=0)
    with pytest.raises(KeyError,
                       match="no group 'nope'; groups are all, de-escalation, escalation"):
        res.plot_caar(["nope"])


def test_unknown_event_is_named(res):
    with pytest.raises(KeyError, match="no used event with id 'zz'; used events: e1, e2, e3"):
        res.plot_ar("zz")
