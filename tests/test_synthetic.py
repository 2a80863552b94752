"""The synthetic control (model = "synthetic"): weights against independent solves, ARs by
hand, the placebo refitting each pseudo-event, and the named errors of a bad donor pool."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import linalg, optimize

import eventstudy as es
from eventstudy.analysis import fit
from eventstudy.estimate import estimate_arrays, simplex_lstsq
from eventstudy.exceptions import DataQualityWarning, StudyConfigError
from eventstudy.inference import placebo_distribution

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "data" / "events.csv"
WINDOWS = ((-1, 1), (0, 0), (0, 3))


def _exact_simplex(D, y):
    """The simplex-constrained least squares by enumeration of every support.

    On a support S the constraint 1'w = 1 is substituted (w_last = 1 - the
    others) and the unconstrained problem solved by scipy.linalg.lstsq; the
    best feasible (w >= 0) support is the optimum (a different route from the
    library's nnls start and KKT active set).
    """
    m = D.shape[1]
    best, best_w = np.inf, None
    for size in range(1, m + 1):
        for S in itertools.combinations(range(m), size):
            S = list(S)
            w = np.zeros(m)
            if size == 1:
                w[S[0]] = 1.0
            else:
                last, rest = S[-1], S[:-1]
                A = D[:, rest] - D[:, [last]]
                v = linalg.lstsq(A, y - D[:, last])[0]
                w[rest] = v
                w[last] = 1.0 - v.sum()
            if (w < -1e-14).any():
                continue
            ssr = float(np.sum((y - D @ w) ** 2))
            if ssr < best:
                best, best_w = ssr, w
    return best_w


def _slsqp(D, y):
    m = D.shape[1]
    res = optimize.minimize(
        lambda w: np.sum((y - D @ w) ** 2), np.full(m, 1.0 / m),
        jac=lambda w: -2.0 * D.T @ (y - D @ w), method="SLSQP", bounds=[(0.0, None)] * m,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0,
                      "jac": lambda w: np.ones(m)}],
        options={"ftol": 1e-16, "maxiter": 1000})
    return res.x


@pytest.fixture(scope="module")
def simulated():
    """An asset that is a noisy mix of three of five donors, with missing and masked days."""
    rng = np.random.default_rng(16)
    T, m = 1400, 5
    X = rng.normal(0.0, 0.01, (T, m))
    X[:, 1] += 0.6 * X[:, 0]
    y = 0.45 * X[:, 0] + 0.35 * X[:, 2] + 0.2 * X[:, 3] + rng.normal(0.0, 0.008, T) + 3e-4
    X[rng.choice(T, 15, replace=False), 4] = np.nan
    valid = np.isfinite(X).all(axis=1)
    valid[rng.choice(T, 25, replace=False)] = False
    est_ok = valid.copy()
    est_ok[rng.choice(T, 20, replace=False)] = False
    day0 = np.array([300, 520, 521, 800, 1100, 1380])
    return y, X, valid, est_ok, day0


def test_weights_match_an_independent_exact_solve_and_slsqp(simulated):
    y, X, valid, est_ok, day0 = simulated
    a = estimate_arrays(y, X, valid, est_ok, day0, model="synthetic", estimation=(-250, -11),
                        windows=WINDOWS, exclude_other_events=True, min_estimation_days=100)
    assert a.used.all() and a.k == 0
    zero_weights = 0
    for e in range(day0.size):
        rows = day0[e] + a.rel_est[a.est_used[e]]
        D, yy = X[rows], y[rows]
        w_exact = _exact_simplex(D, yy)
        np.testing.assert_allclose(a.params[e], w_exact, rtol=0, atol=1e-10)
        # SLSQP stops at its own tolerance (about 1e-8 in the weights here)
        np.testing.assert_allclose(a.params[e], _slsqp(D, yy), rtol=0, atol=1e-6)
        assert (a.params[e] >= 0).all()
        np.testing.assert_allclose(a.params[e].sum(), 1.0, rtol=0, atol=1e-14)
        zero_weights += int((a.params[e] == 0).sum())
    assert zero_weights > 0  # the non-negativity constraint binds somewhere


def test_ars_cars_and_variances_by_hand(simulated):
    y, X, valid, est_ok, day0 = simulated
    a = estimate_arrays(y, X, valid, est_ok, day0, model="synthetic", estimation=(-250, -11),
                        windows=WINDOWS, exclude_other_events=True, min_estimation_days=100)
    finite = valid & np.isfinite(y) & np.isfinite(X).all(axis=1)
    for e in range(day0.size):
        w = a.params[e]
        rows = day0[e] + a.rel_est[a.est_used[e]]
        resid = y[rows] - X[rows] @ w
        n = rows.size
        assert a.n[e] == n and a.dof[e] == n
        np.testing.assert_allclose(a.s2[e], resid @ resid / n, rtol=1e-12, atol=0)
        np.testing.assert_allclose(a.est_ar[e][a.est_used[e]], resid, rtol=0, atol=1e-15)
        pos = day0[e] + a.rel_win
        inside = (pos >= 0) & (pos < y.size)
        posc = np.clip(pos, 0, y.size - 1)
        ok = inside & finite[posc]
        ar = np.where(ok, y[posc] - X[posc] @ np.nan_to_num(w), np.nan)
        np.testing.assert_allclose(a.ar[e], ar, rtol=0, atol=1e-12, equal_nan=True)
        np.testing.assert_allclose(a.ar_se[e], np.where(ok, np.sqrt(resid @ resid / n), np.nan),
                                   rtol=1e-12, atol=0, equal_nan=True)
        for k, (lo, hi) in enumerate(WINDOWS):
            sel = ok & (a.rel_win >= lo) & (a.rel_win <= hi)
            empty = np.nan if not sel.any() else 0.0  # no usable day: no CAR
            np.testing.assert_allclose(a.car[e, k], ar[sel].sum() + empty, rtol=0, atol=1e-12,
                                       equal_nan=True)
            np.testing.assert_allclose(a.car_se[e, k],
                                       np.sqrt(sel.sum() * resid @ resid / n) + empty,
                                       rtol=1e-12, atol=0, equal_nan=True)
        # V is s² I: no estimation-error term
        V = a.V[e]
        okd = np.isfinite(np.diag(V))
        np.testing.assert_allclose(V[np.ix_(okd, okd)], a.s2[e] * np.eye(okd.sum()), rtol=0,
                                   atol=1e-18)


def test_simplex_lstsq_satisfies_the_kkt_conditions():
    rng = np.random.default_rng(3)
    for _ in range(50):
        m = int(rng.integers(2, 8))
        D = rng.normal(size=(120, m))
        y = D @ rng.dirichlet(np.ones(m)) * rng.choice([-1.0, 1.0]) + rng.normal(size=120)
        G, b = D.T @ D, D.T @ y
        w = simplex_lstsq(G, b)
        np.testing.assert_allclose(w, _exact_simplex(D, y), rtol=0, atol=1e-10)
        grad = G @ w - b
        free = w > 0
        mu = -grad[free].mean()
        np.testing.assert_allclose(grad[free], -mu, rtol=0, atol=1e-10 * np.abs(G).max())
        assert (grad[~free] + mu >= -1e-10 * np.abs(G).max()).all()


def test_collinear_donors_exclude_the_event_with_the_reason(simulated):
    y, X, valid, est_ok, day0 = simulated
    Xc = np.column_stack([X[:, :2], 2.0 * X[:, 0]])
    a = estimate_arrays(y, Xc, valid & np.isfinite(Xc).all(axis=1), est_ok, day0[:2],
                        model="synthetic", estimation=(-250, -11), windows=WINDOWS,
                        exclude_other_events=True, min_estimation_days=100)
    assert not a.used.any()
    assert "the donors are collinear" in a.reason[0]


def test_one_donor_is_a_design_error(simulated):
    y, X, valid, est_ok, day0 = simulated
    with pytest.raises(StudyConfigError, match=r"model='synthetic' needs a donor pool of at "
                                               r"least two series"):
        estimate_arrays(y, X[:, :1], valid, est_ok, day0, model="synthetic",
                        estimation=(-250, -11), windows=WINDOWS, exclude_other_events=True,
                        min_estimation_days=100)


def test_placebo_refits_the_weights_of_each_pseudo_event(simulated):
    y, X, valid, est_ok, day0 = simulated
    p = placebo_distribution(y, X, valid, est_ok, model="synthetic", estimation=(-250, -11),
                             windows=WINDOWS, event_day0=day0, draws=40, seed=1,
                             min_estimation_days=100)
    one = estimate_arrays(y, X, valid, est_ok, p.day0[:5], model="synthetic",
                          estimation=(-250, -11), windows=WINDOWS, exclude_other_events=False,
                          min_estimation_days=100)
    np.testing.assert_allclose(p.car[:5], one.car, rtol=0, atol=1e-15, equal_nan=True)
    assert p.model == "synthetic"


def _labelled(simulated, names=("A", "B", "C", "D", "E")):
    y, X, valid, est_ok, day0 = simulated
    dates = pd.bdate_range("2015-01-01", periods=y.size)
    returns = pd.DataFrame(X, index=dates, columns=list(names)).assign(Y=y)
    events = pd.DataFrame({"id": [f"e{i}" for i in range(3)],
                           "trade_date": dates[[400, 800, 1100]]})
    return returns, events


def test_results_show_the_donors_weights_and_rmspe(simulated):
    returns, events = _labelled(simulated)
    study = es.Study(asset="Y", model="synthetic", donors=list("ABCDE"), windows=WINDOWS,
                     placebo_draws=200, seed=2)
    res = fit(study, returns, events)
    w = res.synthetic_weights()
    assert list(w.columns) == ["event_id", "donor", "weight", "rmspe", "n_estimation"]
    assert list(w["donor"][:5]) == list("ABCDE")
    np.testing.assert_allclose(w.groupby("event_id")["weight"].sum(), 1.0, rtol=0, atol=1e-14)
    nm = res.normal_model()
    a = res.arrays
    for i, eid in enumerate(nm["event_id"]):
        r = res.event_rows([eid])[0]
        resid = a.est_ar[r][a.est_used[r]]
        np.testing.assert_allclose(nm["rmspe"].iat[i], np.sqrt(np.mean(resid ** 2)),
                                   rtol=1e-12, atol=0)
        np.testing.assert_allclose(nm.loc[i, list("ABCDE")].to_numpy(dtype=float),
                                   a.params[r], rtol=0, atol=0)
    assert res.study.donors == tuple("ABCDE") and res.study.design_columns == tuple("ABCDE")
    assert "Donors" in str(res.summary()) and "A, B, C, D, E" in str(res.summary())
    assert res.tidy()["placebo_p"].notna().any()
    assert res.dummy_regression().empty


def test_a_donor_without_prices_over_an_estimation_window_is_named(simulated):
    returns, events = _labelled(simulated)
    returns.iloc[500:800, 2] = np.nan  # C has no return over e1's estimation window
    with pytest.raises(StudyConfigError, match=r"^Study: donors = \['A', 'B', 'C', 'D', 'E'\]: "
                       r"C has no price over the estimation window \[-250, -11\] of event 'e1' "
                       r"\(2017-02-09 to 2018-01-10\); drop C from donors"):
        fit(es.Study(asset="Y", model="synthetic", donors=list("ABCDE"), windows=WINDOWS),
            returns, events)


# --------------------------------------------------------------- study keys

BAD_DONORS = [
    (["ZC=F"], r"donors = \['ZC=F'\]: a synthetic control needs a donor pool of at least two "
               r"series; got 1; list two or more"),
    ([], r"donors = \[\]: a synthetic control needs a donor pool of at least two series; got 0"),
    (["ZC=F", "ZS=F"], r"donors = \['ZC=F', 'ZS=F'\]: the asset 'ZS=F' cannot be its own donor; "
                       r"remove 'ZS=F' from donors"),
]


@pytest.mark.parametrize("donors, match", BAD_DONORS)
def test_bad_donor_pools_from_code_and_from_toml(tmp_path, donors, match):
    with pytest.raises(StudyConfigError, match="^Study: " + match):
        es.Study(asset="ZS=F", model="synthetic", donors=donors)
    path = tmp_path / "s.toml"
    listed = ", ".join(f'"{d}"' for d in donors)
    path.write_text(f'asset = "ZS=F"\nmodel = "synthetic"\ndonors = [{listed}]\n',
                    encoding="utf-8")
    with pytest.raises(StudyConfigError, match="^" + str(path).replace("\\", "\\\\") + ": "
                       + match):
        es.load_study(path)


def test_other_donor_key_errors():
    with pytest.raises(StudyConfigError, match=r"^Study: donors = \['ZC=F', 'ZW=F'\]: donors are "
                       r"the pool of model = \"synthetic\"; this study's model is 'market'"):
        es.Study(asset="ZS=F", factors=["SPY"], donors=["ZC=F", "ZW=F"])
    with pytest.raises(StudyConfigError, match=r"donors = \['ZC=F', 'ZC=F'\]: listed twice"):
        es.Study(asset="ZS=F", model="synthetic", donors=["ZC=F", "ZC=F"])
    with pytest.raises(StudyConfigError, match=r"donors = 'ZC=F': expected a list"):
        es.Study(asset="ZS=F", model="synthetic", donors="ZC=F")


def test_a_synthetic_study_reads_its_donors_and_no_factors():
    s = es.Study(asset="ZS=F", model="synthetic", donors=["ZC=F", "ZW=F"])
    assert s.factors == () and s.donors == ("ZC=F", "ZW=F")
    assert s.tickers == ("ZS=F", "ZC=F", "ZW=F") and s.regressors == ("ZC=F", "ZW=F")
    multi = es.Study(assets=["ZS=F", "ZC=F"], model="synthetic", donors=["ZC=F", "ZW=F", "CL=F"])
    assert multi.for_asset("ZC=F").donors == ("ZW=F", "CL=F")


@pytest.fixture
def thin_prices(tmp_path, prices_dir):
    """A prices folder: the real ZS=F and ZC=F (linked) and a donor priced only in 2001."""
    folder = tmp_path / "prices"
    folder.mkdir()
    for t in ("ZS=F", "ZC=F"):
        (folder / f"{t}.csv").symlink_to(Path(prices_dir) / f"{t}.csv")
    dates = pd.bdate_range("2001-01-02", periods=300)
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"),
                  "Close": np.linspace(10.0, 12.0, dates.size)}).to_csv(
        folder / "OLD.csv", index=False)
    return folder


@pytest.mark.snapshot
def test_a_donor_without_prices_is_named_by_analyse(tmp_path, thin_prices):
    match = (r"donors = \['ZC=F', 'OLD'\]: OLD has no price over the estimation window "
             r"\[-250, -11\] of event 'trump-xi-call' \(2024-\d\d-\d\d to 2025-\d\d-\d\d\); drop "
             r"OLD from donors or choose a donor with prices over those dates")
    study = es.Study(asset="ZS=F", model="synthetic", donors=["ZC=F", "OLD"],
                     event_ids=["trump-xi-call"], placebo_draws=0, events=EVENTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        with pytest.raises(StudyConfigError, match="^Study: " + match):
            es.analyse(study, prices_dir=thin_prices)
        path = tmp_path / "old.toml"
        path.write_text(f'asset = "ZS=F"\nmodel = "synthetic"\ndonors = ["ZC=F", "OLD"]\n'
                        f'event_ids = ["trump-xi-call"]\nplacebo_draws = 0\n'
                        f'events = "{EVENTS.as_posix()}"\n', encoding="utf-8")
        with pytest.raises(StudyConfigError, match="^" + str(path).replace("\\", "\\\\") + ": "
                           + match):
            es.analyse(es.load_study(path), prices_dir=thin_prices)


@pytest.mark.snapshot
def test_snapshot_weights_match_the_exact_solve(prices_dir):
    study = es.Study(asset="ZS=F", model="synthetic", donors=["ZC=F", "ZW=F", "CL=F", "SPY"],
                     event_ids=["busan-meeting", "trump-xi-call"], placebo_draws=0,
                     events=EVENTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = es.analyse(study, prices_dir=prices_dir)
    a = res.arrays
    y, X = res.design.y, res.design.X
    for r in np.flatnonzero(a.used):
        rows = a.day0[r] + a.rel_est[a.est_used[r]]
        np.testing.assert_allclose(a.params[r], _exact_simplex(X[rows], y[rows]), rtol=0,
                                   atol=1e-10)
