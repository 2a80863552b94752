"""The test battery against independent computations.

Every statistic is recomputed here from its formula with plain Python loops
(or with scipy where scipy has the test), on arrays with missing values, and
the battery is run on engine output for synthetic returns and for the real
soybean snapshot.
"""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy import inference as inf
from eventstudy.estimate import estimate_arrays
from eventstudy.exceptions import InferenceError

RTOL = 1e-10
ATOL = 1e-12


# ---------------------------------------------------------------------------
# inputs


def _fake(seed=0, E=9, W=3, Le=120, with_nan=True):
    """Arrays shaped like the engine's, with fat tails and missing values."""
    rng = np.random.default_rng(seed)
    car = rng.standard_t(4, size=(E, W)) * 0.02 + 0.003
    car_se = rng.uniform(0.01, 0.03, size=(E, W))
    est = rng.standard_t(5, size=(E, Le)) * 0.015
    ar = rng.standard_t(5, size=(E, 7)) * 0.015
    n = rng.integers(90, Le + 1, size=E)
    if with_nan:
        car[1, 0] = np.nan
        car_se[1, 0] = np.nan
        car[4, :] = np.nan
        car_se[4, :] = np.nan
        est[rng.random((E, Le)) < 0.08] = np.nan
        est[4, :] = np.nan
        ar[2, 3] = np.nan
        ar[4, :] = np.nan
    return car, car_se, est, ar, n


def _defined(x):
    return [v for v in x if not math.isnan(v)]


def _ref_sd(values):
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


# ---------------------------------------------------------------------------
# cross-sectional tests


def test_cross_sectional_t_equals_scipy_ttest_1samp():
    car, *_ = _fake()
    res = inf.cross_sectional_t(car)
    for w in range(car.shape[1]):
        x = np.array(_defined(car[:, w]))
        ref = stats.ttest_1samp(x, 0.0)
        np.testing.assert_allclose(res.statistic[w], ref.statistic, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(res.p_value[w], ref.pvalue, rtol=RTOL, atol=ATOL)
        assert res.n_events[w] == x.size


def test_patell_equals_hand_formula():
    car, se, _, _, n = _fake()
    k = 3
    res = inf.patell_z(car, se, n, k)
    for w in range(car.shape[1]):
        num, den, count = 0.0, 0.0, 0
        for e in range(car.shape[0]):
            if math.isnan(car[e, w]):
                continue
            num += car[e, w] / se[e, w]
            den += (n[e] - k) / (n[e] - k - 2)
            count += 1
        z = num / math.sqrt(den)
        p = 2 * (1 - stats.norm.cdf(abs(z)))
        np.testing.assert_allclose(res.statistic[w], z, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(res.p_value[w], p, rtol=1e-8, atol=1e-12)
        assert res.n_events[w] == count


def test_bmp_equals_scipy_on_standardized_cars():
    car, se, *_ = _fake()
    res = inf.bmp_t(car, se)
    for w in range(car.shape[1]):
        scar = np.array(_defined(car[:, w] / se[:, w]))
        ref = stats.ttest_1samp(scar, 0.0)
        np.testing.assert_allclose(res.statistic[w], ref.statistic, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(res.p_value[w], ref.pvalue, rtol=RTOL, atol=ATOL)


def _ref_corr(a, b, min_overlap=30):
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if not (math.isnan(x) or math.isnan(y))]
    if len(pairs) < min_overlap:
        return None
    xs, ys = np.array(pairs).T
    return float(np.corrcoef(xs, ys)[0, 1])


def _ref_pooled_rbar(est, events, min_overlap=30):
    """Σ_{i<j} Σ_τ z_iτ z_jτ / Σ_{i<j} n_ij over the events given, by a loop over pairs."""
    z = {}
    for e in events:
        vals = est[e][~np.isnan(est[e])]
        if vals.size >= min_overlap and vals.std() > 0:
            z[e] = (est[e] - vals.mean()) / vals.std()
    num = cnt = 0.0
    for i, j in itertools.combinations(sorted(z), 2):
        both = ~np.isnan(z[i]) & ~np.isnan(z[j])
        num += float((z[i][both] * z[j][both]).sum())
        cnt += int(both.sum())
    return num / cnt if cnt else 0.0


def test_kolari_pynnonen_equals_hand_formula():
    car, se, est, _, _ = _fake(seed=3)
    # Correlated estimation ARs so that the adjustment is not trivial.
    est = est + 0.6 * np.nan_to_num(est[0])[None, :]
    res = inf.kolari_pynnonen_t(car, se, est)
    for w in range(car.shape[1]):
        ev = [e for e in range(car.shape[0]) if not math.isnan(car[e, w])]
        rbar = _ref_pooled_rbar(est, ev)
        scar = [car[e, w] / se[e, w] for e in ev]
        N = len(scar)
        t_bmp = (sum(scar) / N) / (_ref_sd(scar) / math.sqrt(N))
        t = t_bmp * math.sqrt((1 - rbar) / (1 + (N - 1) * rbar))
        assert rbar > 0.1
        np.testing.assert_allclose(res.statistic[w], t, rtol=1e-9, atol=ATOL)
        np.testing.assert_allclose(
            res.p_value[w], 2 * stats.t.sf(abs(t), N - 1), rtol=1e-8, atol=ATOL
        )


def test_kolari_pynnonen_without_usable_pairs_is_bmp():
    car, se, est, _, _ = _fake()
    est[:, 25:] = np.nan  # 25 days: every pair below 30 common days
    kp = inf.kolari_pynnonen_t(car, se, est)
    bmp = inf.bmp_t(car, se)
    np.testing.assert_allclose(kp.statistic, bmp.statistic, rtol=RTOL, atol=ATOL)


def test_corrado_equals_hand_formula():
    _, _, est, ar, _ = _fake(seed=5)
    rel_win = np.arange(-2, 5)
    windows = np.array([[0, 0], [-1, 1], [0, 4]])
    res = inf.corrado_rank(est, ar, rel_win, windows)
    E, Le = est.shape
    # ranks per event over estimation and event days together
    U = []
    for e in range(E):
        values = list(est[e]) + list(ar[e])
        defined = [v for v in values if not math.isnan(v)]
        T = len(defined)
        ranks = stats.rankdata(defined) if T else []
        it = iter(ranks)
        U.append([math.nan if math.isnan(v) else next(it) / (T + 1) - 0.5 for v in values])
    for w, (a, b) in enumerate(windows):
        days = [Le + i for i, t in enumerate(rel_win) if a <= t <= b]
        ev = [e for e in range(E) if any(not math.isnan(U[e][d]) for d in days)]
        ubar, count = [], []
        for d in range(Le + len(rel_win)):
            vals = [U[e][d] for e in ev if not math.isnan(U[e][d])]
            ubar.append(sum(vals) / len(vals) if vals else math.nan)
            count.append(len(vals))
        used = [d for d in range(len(ubar)) if count[d] > 0]
        sigma2 = sum(count[d] * ubar[d] ** 2 for d in used) / len(used)
        win = [d for d in days if count[d] > 0]
        z = sum(ubar[d] for d in win) / math.sqrt(sum(sigma2 / count[d] for d in win))
        np.testing.assert_allclose(res.statistic[w], z, rtol=1e-9, atol=ATOL)
        np.testing.assert_allclose(res.p_value[w], 2 * stats.norm.sf(abs(z)), rtol=1e-8, atol=ATOL)
        assert res.n_events[w] == len(ev)


def test_corrado_without_missing_days_is_corrados_form():
    rng = np.random.default_rng(9)
    est, ar = rng.normal(size=(6, 80)), rng.normal(size=(6, 5))
    windows = np.array([[0, 0], [-1, 2]])
    res = inf.corrado_rank(est, ar, np.arange(-2, 3), windows)
    U = stats.rankdata(np.concatenate([est, ar], axis=1), axis=1) / 86 - 0.5
    ubar = U.mean(axis=0)
    s = math.sqrt(np.mean(ubar**2))
    for w, (a, b) in enumerate(windows):
        cols = [80 + i for i, t in enumerate(range(-2, 3)) if a <= t <= b]
        z = ubar[cols].sum() / (math.sqrt(len(cols)) * s)
        np.testing.assert_allclose(res.statistic[w], z, rtol=1e-10, atol=ATOL)


def test_generalized_sign_equals_hand_formula():
    car, _, est, _, _ = _fake(seed=7)
    res = inf.generalized_sign_z(car, est)
    for w in range(car.shape[1]):
        ev = [e for e in range(car.shape[0]) if not math.isnan(car[e, w])]
        shares = []
        for e in ev:
            vals = _defined(est[e])
            shares.append(sum(v > 0 for v in vals) / len(vals))
        N = len(ev)
        p_hat = sum(shares) / N
        wpos = sum(car[e, w] > 0 for e in ev)
        z = (wpos - N * p_hat) / math.sqrt(N * p_hat * (1 - p_hat))
        np.testing.assert_allclose(res.statistic[w], z, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(res.p_value[w], 2 * stats.norm.sf(abs(z)), rtol=1e-8, atol=ATOL)


def _exact_wilcoxon(x):
    """min(W+, W-) and its exact two-sided p by enumerating all sign patterns."""
    ranks = stats.rankdata(np.abs(x))
    w_plus = float(ranks[x > 0].sum())
    total = float(ranks.sum())
    stat = min(w_plus, total - w_plus)
    count = 0
    for signs in itertools.product((0, 1), repeat=len(x)):
        wp = sum(r for r, s in zip(ranks, signs, strict=True) if s)
        if min(wp, total - wp) <= stat + 1e-12:
            count += 1
    return stat, count / 2 ** len(x)


def test_wilcoxon_equals_scipy_and_exact_enumeration():
    car, *_ = _fake(seed=11)
    res = inf.wilcoxon_signed_rank(car)
    for w in range(car.shape[1]):
        x = np.array(_defined(car[:, w]))
        ref = stats.wilcoxon(x)
        np.testing.assert_allclose(res.statistic[w], ref.statistic, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(res.p_value[w], ref.pvalue, rtol=RTOL, atol=ATOL)
        stat, p = _exact_wilcoxon(x)
        np.testing.assert_allclose(res.statistic[w], stat, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(res.p_value[w], p, rtol=1e-9, atol=ATOL)


@pytest.mark.parametrize("n", [1, 2, 7, 20, 33, 50, 51, 80])
def test_wilcoxon_untied_equals_scipy_for_every_size(n):
    # N <= 50 reads the cached exact null; N > 50 is scipy's normal approximation.
    rng = np.random.default_rng(n)
    car = rng.standard_t(3, size=(n, 4)) + np.array([0.0, 0.3, -0.5, 1.0])
    res = inf.wilcoxon_signed_rank(car)
    for w in range(4):
        ref = stats.wilcoxon(car[:, w])
        assert res.statistic[w] == ref.statistic
        np.testing.assert_allclose(res.p_value[w], ref.pvalue, rtol=1e-12, atol=0)


@pytest.mark.parametrize("n", [4, 9, 12, 14])
def test_wilcoxon_with_ties_and_zeros_equals_scipy_defaults(n):
    rng = np.random.default_rng(n)
    car = np.round(rng.normal(0, 0.01, size=(n, 3)), 3)
    car[1, 0] = car[0, 0]  # a tie
    car[2, 1] = 0.0  # a zero
    car[0, 2], car[1, 2] = 0.004, -0.004  # tied absolute values
    res = inf.wilcoxon_signed_rank(car)
    for w in range(3):
        ref = stats.wilcoxon(car[:, w])  # n <= 13: scipy's exhaustive permutation test
        np.testing.assert_allclose(res.statistic[w], ref.statistic, rtol=1e-12, atol=0)
        np.testing.assert_allclose(res.p_value[w], ref.pvalue, rtol=1e-10, atol=0)
        if n <= 9:  # and the enumeration of every sign pattern
            x = car[car[:, w] != 0, w]
            stat, p = _exact_wilcoxon(x)
            ranks = stats.rankdata(np.abs(x))
            total = ranks.sum()
            two = [min(1.0, 2 * min(
                np.mean([sum(r for r, s in zip(ranks, sg, strict=True) if s) <= ranks[x > 0].sum()
                         for sg in itertools.product((0, 1), repeat=x.size)]),
                np.mean([sum(r for r, s in zip(ranks, sg, strict=True) if s) >= ranks[x > 0].sum()
                         for sg in itertools.product((0, 1), repeat=x.size)])))]
            np.testing.assert_allclose(res.p_value[w], two[0], rtol=1e-12, atol=0)
            assert total > 0 and stat == res.statistic[w]


def test_tests_need_enough_events():
    car = np.array([[0.01, np.nan]])
    se = np.array([[0.01, np.nan]])
    t = inf.cross_sectional_t(car)
    assert np.isnan(t.statistic).all() and list(t.n_events) == [1, 0]
    assert np.isnan(inf.bmp_t(car, se).p_value).all()
    assert np.isnan(inf.wilcoxon_signed_rank(np.zeros((3, 1))).p_value).all()
    z = inf.patell_z(car, se, [100], 1)
    np.testing.assert_allclose(z.statistic[0], 1.0 / math.sqrt(99 / 97), rtol=RTOL, atol=ATOL)
    assert np.isnan(z.statistic[1])


# ---------------------------------------------------------------------------
# per-event tests


# The SQ test's own tests (p-value form, ties, size) are in tests/test_sq.py.


def _placebo(car, seed=0):
    car = np.asarray(car, float)
    return inf.Placebo(
        car=car, day0=np.arange(car.shape[0]), windows=np.array([[0, 0], [0, 1]][: car.shape[1]]),
        seed=seed, n_eligible=car.shape[0], model="market", estimation=(-250, -11),
    )


def test_placebo_event_pvalues_equal_hand_count():
    rng = np.random.default_rng(1)
    pool = rng.standard_t(3, size=(400, 2))
    pool[7, 1] = np.nan
    obs = np.concatenate([rng.normal(size=(6, 2)) * 2, pool[:2]])  # ties with the pool
    obs[3, 0] = np.nan
    p = _placebo(pool).event_pvalues(obs)
    for e in range(obs.shape[0]):
        for w in range(2):
            if math.isnan(obs[e, w]):
                assert np.isnan(p[e, w])
                continue
            defined = _defined(pool[:, w])
            count = sum(abs(v) >= abs(obs[e, w]) for v in defined)
            expected = (1 + count) / (1 + len(defined))
            np.testing.assert_allclose(p[e, w], expected, rtol=RTOL, atol=ATOL)


def test_placebo_group_screen_is_the_first_groups_or_all_of_them():
    rng = np.random.default_rng(7)
    pool = rng.normal(size=(4000, 2)) * 0.02
    pl = _placebo(pool, seed=3)
    for scale in (0.0, 0.5, 1.0, 2.0):  # p-values on both sides of the level
        obs = rng.normal(size=(6, 2)) * 0.02 + scale * 0.02
        got = pl.group_pvalues(obs, groups=4000, screen=(300, 0.2)).p_value
        first = pl.group_pvalues(obs, groups=300).p_value
        full = pl.group_pvalues(obs, groups=4000).p_value
        np.testing.assert_array_equal(got, np.where(first > 0.2, first, full))


def test_placebo_group_pvalues_are_seeded_and_consistent():
    rng = np.random.default_rng(2)
    pool = rng.normal(size=(3000, 2)) * 0.02
    obs = rng.normal(size=(5, 2)) * 0.02
    a = _placebo(pool, seed=4).group_pvalues(obs)
    b = _placebo(pool, seed=4).group_pvalues(obs)
    c = _placebo(pool, seed=5).group_pvalues(obs)
    np.testing.assert_array_equal(a.p_value, b.p_value)
    assert not np.array_equal(a.p_value, c.p_value)
    np.testing.assert_allclose(a.statistic, obs.mean(axis=0), rtol=RTOL, atol=ATOL)
    # The mean of N normal pseudo-CARs is normal with sd σ/√N: the permutation
    # p-value approximates the exact one within Monte Carlo error.
    sd = pool.std(axis=0, ddof=1) / math.sqrt(5)
    exact = 2 * stats.norm.sf(np.abs(obs.mean(axis=0)) / sd)
    np.testing.assert_allclose(a.p_value, exact, rtol=0, atol=0.03)
    # A group far outside the pool gets the smallest p, 1/(1 + draws).
    far = _placebo(pool).group_pvalues(np.full((5, 2), 1.0))
    np.testing.assert_allclose(far.p_value, 1 / 3001, rtol=RTOL, atol=0)


def _exact_group_p(pool, sign, obs):
    """p by enumeration of every ordered sample of len(sign) from pool."""
    means = np.array([
        sum(s * pool[i] for s, i in zip(sign, perm, strict=True)) / len(sign)
        for perm in itertools.permutations(range(len(pool)), len(sign))
    ])
    return float(np.mean(np.abs(means) >= abs(obs)))


@pytest.mark.parametrize("sign", [(1, 1, 1), (1, -1, -1), (1, -1, 1, 1, 1, 1, 1)])
def test_group_placebo_equals_enumeration(sign):
    # Pools of 8 pseudo-CARs, distinct or with repeats: the Monte Carlo
    # p-value is the enumerated one within Monte Carlo error.
    rng = np.random.default_rng(5)
    sign = np.asarray(sign, dtype=float)
    G = 40_000
    for pool in (rng.normal(size=8), np.array([0.3, 0.3, 0.3, -0.2, -0.2, 1.1, 1.1, 1.1])):
        obs_car = np.array([0.25, 0.1, 0.2, 0.3, 0.0, 0.1, 0.4])[: sign.size] * sign
        pl = _placebo(pool[:, None])
        res = pl.group_pvalues(obs_car[:, None], sign, groups=G)
        exact = _exact_group_p(pool, sign, obs_car.mean())
        mc = (1 + exact * G) / (1 + G)
        np.testing.assert_allclose(res.p_value[0], mc, rtol=0,
                                   atol=4 * math.sqrt(exact * (1 - exact) / G) + 1e-12)


def test_group_placebo_of_the_whole_pool_is_constant():
    # N = P: every plain pseudo group is the whole pool (documented).
    pool = np.random.default_rng(0).normal(size=(50, 1))
    pl = _placebo(pool)
    means = pl.pseudo_groups(np.ones((50, 1), dtype=bool), groups=10).means
    np.testing.assert_allclose(means, pool.mean(), rtol=1e-12, atol=1e-15)
    res = pl.group_pvalues(np.full((50, 1), pool.mean() * 2), groups=10)
    np.testing.assert_allclose(res.p_value, 1 / 11, rtol=RTOL, atol=0)


def test_pooled_correlation_equals_hand_sums():
    _, _, est, _, _ = _fake(seed=3)
    est = est + 0.6 * np.nan_to_num(est[0])[None, :]
    est[6, 25:] = np.nan  # fewer than 30 sample days: left out
    z = []
    for row in est:
        vals = row[~np.isnan(row)]
        if vals.size < 30 or vals.std() == 0:
            z.append(None)
            continue
        z.append(np.where(np.isnan(row), np.nan, (row - vals.mean()) / vals.std()))
    num = cnt = 0.0
    for i, j in itertools.combinations(range(len(z)), 2):
        if z[i] is None or z[j] is None:
            continue
        both = ~np.isnan(z[i]) & ~np.isnan(z[j])
        num += float((z[i][both] * z[j][both]).sum())
        cnt += int(both.sum())
    np.testing.assert_allclose(inf.pooled_correlation(est), num / cnt, rtol=1e-12, atol=0)


def _ref_pairwise_mean(est, events, min_overlap=30):
    """Mean of the Pearson correlations of every pair on its common days (the pairwise r̄)."""
    rs = [c for i, j in itertools.combinations(events, 2)
          if (c := _ref_corr(est[i], est[j], min_overlap)) is not None]
    return sum(rs) / len(rs)


def test_pooled_correlation_equals_pairwise_mean_without_missing_days():
    # Same sample days for every event: the pooled r̄ is the pairwise mean.
    car, se, est, _, _ = _fake(seed=3, with_nan=False)
    est = est + 0.6 * est[0][None, :]
    d = np.isfinite(car)
    want = _ref_pairwise_mean(est, range(est.shape[0]))
    np.testing.assert_allclose(inf.pooled_correlation(est, d), want, rtol=1e-12, atol=0)
    # with 8% of the days missing at random the forms differ by the weighting only
    car, se, est, _, _ = _fake(seed=3)
    est = est + 0.6 * np.nan_to_num(est[0])[None, :]
    got = inf.pooled_correlation(est, np.isfinite(car))
    for w in range(car.shape[1]):
        ev = [e for e in range(car.shape[0])
              if np.isfinite(car[e, w]) and np.isfinite(est[e]).any()]
        np.testing.assert_allclose(got[w], _ref_pairwise_mean(est, ev), rtol=0.03, atol=0)


# ---------------------------------------------------------------------------
# eligibility and the placebo distribution on synthetic returns


def _synthetic(T=2400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.01, size=(T, 2))
    y = 0.0002 + X @ np.array([0.4, -0.3]) + rng.standard_t(4, size=T) * 0.01
    valid = np.ones(T, dtype=bool)
    valid[rng.choice(T, 40, replace=False)] = False
    y[~valid] = np.nan
    est_ok = valid.copy()
    est_ok[300:330] = False
    return y, X, valid, est_ok


@pytest.mark.parametrize("exclude", [True, False])
@pytest.mark.parametrize("clean", [True, False])
def test_placebo_eligible_equals_hand_scan(clean, exclude):
    y, X, valid, est_ok = _synthetic()
    est_ok[1000:1010] = False  # a thin stretch: pseudo windows must avoid it when clean
    est, windows, events = (-120, -11), np.array([[-1, 1], [0, 3]]), np.array([700, 1500, 1503])
    got = inf.placebo_eligible(
        valid, est_ok, estimation=est, windows=windows, event_day0=events, min_estimation_days=105,
        window_ok=None if clean else valid, exclude_other_events=exclude,
    )
    T = valid.size
    blocked = set()
    for d in events:
        blocked.update(range(d - 1, d + 4))
    ref = []
    for p in range(T):
        est_days = range(p - 120, p - 10)
        win_days = range(p - 1, p + 4)
        if p - 120 < 0 or p + 3 > T - 1 or not valid[p]:
            continue
        # other events may sit in a pseudo estimation window only when the study keeps them
        if (exclude and blocked & set(est_days)) or blocked & set(win_days):
            continue
        if sum(bool(est_ok[t] and valid[t]) for t in est_days) < 105:
            continue
        ok_day = (lambda t: est_ok[t] and valid[t]) if clean else (lambda t: valid[t])
        if not all(ok_day(t) for t in win_days):
            continue
        ref.append(p)
    np.testing.assert_array_equal(got, ref)
    assert any(blocked & set(range(p - 120, p - 10)) for p in ref) == (not exclude)
    assert clean == (not set(range(1000, 1010)) & {q + j for q in got for j in range(-1, 4)})


def test_placebo_distribution_reproducible_and_matches_engine():
    y, X, valid, est_ok = _synthetic()
    kw = dict(model="market", estimation=(-120, -11), windows=((-1, 1), (0, 0)),
              event_day0=[700, 1500], draws=500, min_estimation_days=100)
    a = inf.placebo_distribution(y, X, valid, est_ok, seed=3, **kw)
    b = inf.placebo_distribution(y, X, valid, est_ok, seed=3, **kw)
    c = inf.placebo_distribution(y, X, valid, est_ok, seed=4, **kw)
    np.testing.assert_array_equal(a.day0, b.day0)
    np.testing.assert_array_equal(a.car, b.car)
    assert not np.array_equal(a.day0, c.day0)
    assert a.car.shape == (500, 2) and a.draws == 500
    eligible = inf.placebo_eligible(valid, est_ok, estimation=(-120, -11),
                                    windows=((-1, 1), (0, 0)), event_day0=[700, 1500],
                                    min_estimation_days=100)
    assert np.isin(a.day0, eligible).all() and a.n_eligible == eligible.size
    # Each pseudo CAR is the engine's CAR of that day alone.
    one = estimate_arrays(y, X, valid, est_ok, a.day0[:5], model="market",
                          estimation=(-120, -11), windows=((-1, 1), (0, 0)),
                          exclude_other_events=False, min_estimation_days=100)
    np.testing.assert_allclose(a.car[:5], one.car, rtol=1e-12, atol=1e-15)


def test_placebo_distribution_errors():
    y, X, valid, est_ok = _synthetic(T=300)
    kw = dict(model="market", estimation=(-250, -11), windows=((-1, 1),), seed=0,
              min_estimation_days=100)
    with pytest.raises(InferenceError, match="no trade date is eligible"):
        inf.placebo_distribution(y, X, valid, est_ok, event_day0=[150], draws=10, **kw)
    with pytest.raises(InferenceError, match="draws must be a positive integer; got 0"):
        inf.placebo_distribution(y, X, valid, est_ok, event_day0=[], draws=0, **kw)
    pl = _placebo(np.ones((3, 1)))
    with pytest.raises(InferenceError, match="1 windows but the placebo distribution has 2"):
        _placebo(np.ones((3, 2))).event_pvalues(np.ones((2, 1)))
    with pytest.raises(InferenceError, match=r"5 events but only 3 pseudo-events"):
        pl.group_pvalues(np.ones((5, 1)))


# ---------------------------------------------------------------------------
# the battery on engine arrays


@pytest.fixture(scope="module")
def engine_arrays():
    y, X, valid, est_ok = _synthetic(seed=8)
    day0 = np.array([200, 650, 900, 1150, 1400, 1402, 1800, 2100, 2390])
    return estimate_arrays(y, X, valid, est_ok, day0, model="market",
                           estimation=(-250, -11), windows=((-1, 1), (0, 0), (0, 5)),
                           exclude_other_events=True, min_estimation_days=100)


def test_battery_table_shape_and_names(engine_arrays):
    a = engine_arrays
    pool = _placebo(np.random.default_rng(0).normal(size=(800, 3)) * 0.02)
    pool = inf.Placebo(car=pool.car, day0=pool.day0, windows=a.windows, seed=1, n_eligible=800,
                       model="market", estimation=(-250, -11))
    tb = inf.test_battery(a, {"all": (np.arange(9), np.ones(9)), "tariff": [0, 2, 3]},
                          placebo=pool)
    assert list(tb.columns) == inf.TEST_COLUMNS
    assert len(tb) == 2 * 3 * 8
    assert list(tb["test"][:8]) == list(inf.TEST_NAMES)
    assert set(tb["group"]) == {"all", "tariff"}
    # The first event is excluded by the engine (estimation before the data).
    assert not a.used[0] and a.used[1:].all()
    alls = tb[(tb.group == "all") & (tb.test == "bmp")]
    assert (alls["n_events"] == 8).all()
    without = inf.test_battery(a)
    assert "placebo" not in set(without["test"]) and set(without["group"]) == {"all"}
    # a group without events: every test undefined, none fails
    empty = inf.test_battery(a, {"none": np.array([], dtype=int)}, placebo=pool)
    assert len(empty) == 3 * 8 and (empty["n_events"] == 0).all()
    assert empty["p_value"].isna().all()


def test_signed_group_multiplies_every_input_by_its_sign(engine_arrays):
    a = engine_arrays
    idx = np.array([0, 1, 2, 3, 6, 7])
    sign = np.array([1, -1, -1, 1, -1, 1])
    got = inf.test_battery(a, {"signed": (idx, sign)})
    s = sign[:, None].astype(float)
    flipped = SimpleNamespace(car=a.car[idx] * s, car_se=a.car_se[idx], est_ar=a.est_ar[idx] * s,
                              ar=a.ar[idx] * s, n=a.n[idx], k=a.k, rel_win=a.rel_win,
                              windows=a.windows)
    ref = inf.test_battery(flipped, {"signed": (np.arange(6), np.ones(6))})
    pd.testing.assert_frame_equal(got, ref, rtol=RTOL, atol=ATOL)
    plain = inf.test_battery(a, {"plain": idx})
    assert not np.allclose(plain["statistic"], got["statistic"], equal_nan=True)


def test_battery_group_errors(engine_arrays):
    with pytest.raises(InferenceError, match=r"group 'x': event index 12 is outside 0..8"):
        inf.test_battery(engine_arrays, {"x": [0, 12]})
    with pytest.raises(InferenceError, match=r"group 'x': 1 signs for 2 events"):
        inf.test_battery(engine_arrays, {"x": ([0, 1], [1])})
    with pytest.raises(InferenceError, match="event indices must be integers"):
        inf.test_battery(engine_arrays, {"x": ([0.5, 1.0], [1, 1])})


def test_per_event_tests(engine_arrays):
    a = engine_arrays
    out = inf.per_event_tests(a)
    assert out["sq_p"].shape == a.car.shape and np.isnan(out["placebo_p"]).all()
    ok = np.isfinite(a.car)
    np.testing.assert_array_equal(np.isfinite(out["sq_p"]), ok)
    # a p-value of the SQ form: at least 2/(M + 1), M the draws or, on one day, the residuals
    assert (out["sq_p"][ok] >= 2 / (inf.SQ_DRAWS + 1)).all() and (out["sq_p"][ok] <= 1).all()


# ---------------------------------------------------------------------------
# the real snapshot: battery vs independent formulas, placebo reproducibility


@pytest.fixture(scope="module")
def soybeans(prices_dir):
    from eventstudy.prices import load_prices

    prices = load_prices(["ZS=F", "SPY", "UUP"], prices_dir=prices_dir)
    close = pd.DataFrame({t: f["Close"] for t, f in prices.items()}).reindex(prices["ZS=F"].index)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.log(close).diff()
    y = r["ZS=F"].to_numpy()
    X = r[["SPY", "UUP"]].to_numpy()
    valid = np.isfinite(y) & np.isfinite(X).all(axis=1)
    return r.index, y, X, valid


@pytest.mark.snapshot
def test_real_study_battery_equals_independent_formulas(soybeans):
    dates, y, X, valid = soybeans
    when = ["2018-04-04", "2018-07-06", "2018-12-03", "2019-05-13", "2019-08-05",
            "2019-10-11", "2020-01-15", "2025-04-09", "2025-10-30", "2025-11-24"]
    day0 = dates.searchsorted(pd.DatetimeIndex(when))
    direction = np.array([-1, -1, 1, -1, -1, 1, 1, -1, 1, 1])
    a = estimate_arrays(y, X, valid, valid, day0, model="market", estimation=(-250, -11),
                        windows=((-1, 1), (0, 0), (0, 1), (0, 5)), exclude_other_events=True,
                        min_estimation_days=100)
    groups = {"all": (np.arange(10), np.ones(10)), "signed": (np.arange(10), direction)}
    tb = inf.test_battery(a, groups)
    tb = tb.set_index(["group", "start", "end", "test"])
    for group, sign in (("all", np.ones(10)), ("signed", direction)):
        for w, (s, e) in enumerate(a.windows):
            car = [a.car[i, w] * sign[i] for i in range(10) if not math.isnan(a.car[i, w])]
            ev = [i for i in range(10) if not math.isnan(a.car[i, w])]
            N = len(car)
            mean = sum(car) / N
            t = mean / (_ref_sd(car) / math.sqrt(N))
            scar = [a.car[i, w] * sign[i] / a.car_se[i, w] for i in ev]
            z_patell = sum(scar) / math.sqrt(sum((a.n[i] - a.k) / (a.n[i] - a.k - 2) for i in ev))
            t_bmp = (sum(scar) / N) / (_ref_sd(scar) / math.sqrt(N))
            shares = []
            for i in ev:
                vals = [sign[i] * v for v in a.est_ar[i] if not math.isnan(v)]
                shares.append(sum(v > 0 for v in vals) / len(vals))
            p_hat = sum(shares) / N
            wpos = sum(c > 0 for c in car)
            z_sign = (wpos - N * p_hat) / math.sqrt(N * p_hat * (1 - p_hat))
            wil = stats.wilcoxon(car)
            expected = {
                "cross-sectional-t": (t, 2 * stats.t.sf(abs(t), N - 1)),
                "patell": (z_patell, 2 * stats.norm.sf(abs(z_patell))),
                "bmp": (t_bmp, 2 * stats.t.sf(abs(t_bmp), N - 1)),
                "generalized-sign": (z_sign, 2 * stats.norm.sf(abs(z_sign))),
                "wilcoxon": (wil.statistic, wil.pvalue),
            }
            for test, (stat, p) in expected.items():
                row = tb.loc[(group, s, e, test)]
                np.testing.assert_allclose(row["statistic"], stat, rtol=1e-8, atol=1e-12)
                np.testing.assert_allclose(row["p_value"], p, rtol=1e-8, atol=1e-12)
                assert row["n_events"] == N


@pytest.mark.snapshot
def test_real_placebo_reproducible_with_seed(soybeans):
    dates, y, X, valid = soybeans
    day0 = dates.searchsorted(pd.DatetimeIndex(["2025-10-30", "2025-11-24"]))
    kw = dict(model="market", estimation=(-250, -11), windows=((-1, 1), (0, 0)),
              min_estimation_days=100)
    a = inf.placebo_distribution(y, X, valid, valid, event_day0=day0, draws=2000, seed=11, **kw)
    b = inf.placebo_distribution(y, X, valid, valid, event_day0=day0, draws=2000, seed=11, **kw)
    arrays = estimate_arrays(y, X, valid, valid, day0, exclude_other_events=True, **kw)
    pa = inf.per_event_tests(arrays, placebo=a)["placebo_p"]
    pb = inf.per_event_tests(arrays, placebo=b)["placebo_p"]
    np.testing.assert_array_equal(pa, pb)
    ga = inf.test_battery(arrays, placebo=a)
    gb = inf.test_battery(arrays, placebo=b)
    pd.testing.assert_frame_equal(ga, gb)
    assert ((pa >= 1 / 2001) & (pa <= 1)).all()
    # Pseudo windows stay clear of the article's events.
    def overlaps(lo, hi, e):
        return lo <= e + 1 and e - 1 <= hi

    for d in a.day0[:500]:
        assert not any(overlaps(d - 250, d - 11, e) or overlaps(d - 1, d + 1, e) for e in day0)


@pytest.mark.snapshot
def test_real_pooled_correlation_agrees_with_pairwise_mean(soybeans):
    # 300 soybean events at random dates (estimation samples with roll and
    # missing days): the pooled r̄ and the pairwise mean agree to 5e-4, well
    # inside the sampling error of r̄ (a pair's r has sd 1/√240 ≈ 0.065).
    dates, y, X, valid = soybeans
    rng = np.random.default_rng(0)
    day0 = np.sort(rng.choice(np.arange(2300, len(y) - 10), size=300, replace=False))
    a = estimate_arrays(y, X, valid, valid, day0, model="market", estimation=(-250, -11),
                        windows=((0, 0), (-1, 1)), exclude_other_events=False,
                        min_estimation_days=100)
    d = np.isfinite(a.car)
    pooled = inf.pooled_correlation(a.est_ar, d)
    # the pairwise mean from sums over the common days of every pair at once
    x = a.est_ar
    u = np.isfinite(x).astype(float)
    z = np.nan_to_num(x)
    n, sx, sxx, sxy = u @ u.T, z @ u.T, (z * z) @ u.T, z @ z.T
    with np.errstate(invalid="ignore", divide="ignore"):
        vx = sxx - sx**2 / n
        r = (sxy - sx * sx.T / n) / np.sqrt(vx * vx.T)
    good = np.triu((n >= inf.KP_MIN_OVERLAP) & (vx > 0) & (vx.T > 0), 1)
    for w in range(d.shape[1]):
        pair = good & d[:, w][:, None] & d[:, w][None, :]
        np.testing.assert_allclose(pooled[w], r[pair].mean(), rtol=0, atol=5e-4)


def test_groups_along_a_leading_axis_equal_each_group_alone():
    # 12 replications of 8 events in one engine call (labels), with missing
    # days, a too-short sample (an excluded event) and a tie for Wilcoxon:
    # the tests on idx (R, n) give, row by row, the tests of each group alone.
    y, X, valid, est_ok = _synthetic(seed=4)
    rng = np.random.default_rng(9)
    R, n = 12, 8
    day0 = np.concatenate([np.sort(rng.choice(np.arange(260, 2390), n, replace=False))
                           for _ in range(R)])
    day0[3] = 40  # before a full estimation window: excluded
    labels = np.repeat(np.arange(R), n)
    a = estimate_arrays(y, X, valid, est_ok, day0, model="market", estimation=(-250, -11),
                        windows=((0, 0), (-1, 1), (0, 5)), event_groups=labels,
                        exclude_other_events=True, min_estimation_days=100)
    car = a.car.copy()
    car[n + 1] = -car[n]  # tie of |CAR| in replication 1
    a = SimpleNamespace(**{k: getattr(a, k) for k in (
        "car_se", "est_ar", "ar", "rel_win", "windows", "n", "k")}, car=car)
    idx = np.arange(R * n).reshape(R, n)
    sign = np.where(rng.random((R, n)) < 0.3, -1.0, 1.0)
    got = inf.group_tests(a, idx, sign)
    for r in range(R):
        ref = inf.group_tests(a, idx[r], sign[r])
        for test, res in ref.items():
            for field in ("statistic", "p_value", "n_events"):
                np.testing.assert_allclose(getattr(got[test], field)[r], getattr(res, field),
                                           rtol=1e-10, atol=1e-14,
                                           err_msg=f"{test} {field}, replication {r}")


def test_pseudo_groups_of_many_groups_are_their_own_draws():
    # 300 replications of one group of 3 from a pool of 8: each replication's
    # pseudo groups are an independent draw, so the p-values scatter around the
    # enumerated p by the Monte Carlo error of G groups, and a group far
    # outside the pool gets 1/(1 + G).
    rng = np.random.default_rng(2)
    pool = rng.normal(size=(8, 2))
    pl = _placebo(pool)
    obs = np.array([[0.25, 0.3], [0.1, -0.2], [0.2, 0.4]])
    R, G = 300, 400
    car = np.broadcast_to(obs, (R, 3, 2))
    res = pl.pseudo_groups(np.isfinite(car), groups=G, rng=np.random.default_rng(1)).pvalues(car)
    assert res.p_value.shape == (R, 2) and len(np.unique(res.p_value[:, 0])) > 10
    for w in range(2):
        exact = _exact_group_p(pool[:, w], np.ones(3), obs[:, w].mean())
        sd = math.sqrt(exact * (1 - exact) / G)
        np.testing.assert_allclose(res.p_value[:, w].mean(), (1 + exact * G) / (1 + G), rtol=0,
                                   atol=4 * sd / math.sqrt(R))
        np.testing.assert_allclose(res.p_value[:, w].std(), sd, rtol=0.2, atol=0)
    np.testing.assert_allclose(res.statistic, obs.mean(axis=0)[None, :].repeat(R, 0), rtol=RTOL,
                               atol=ATOL)
    far = np.full((3, 3, 2), 10.0)
    p = pl.pseudo_groups(np.isfinite(far), groups=G, rng=np.random.default_rng(0)).pvalues(far)
    np.testing.assert_allclose(p.p_value, 1 / (1 + G), rtol=RTOL, atol=0)
    with pytest.raises(InferenceError, match="car must be defined exactly where"):
        missing = far.copy()
        missing[0, 0, 0] = np.nan
        pl.pseudo_groups(np.isfinite(far), groups=G).pvalues(missing)


def test_average_ranks_equal_scipy_rankdata():
    rng = np.random.default_rng(6)
    a = np.round(rng.normal(size=(40, 60)), 1)  # many ties
    a[rng.random(a.shape) < 0.1] = np.nan
    a[3] = np.nan
    a[5] = 0.7
    np.testing.assert_array_equal(inf.average_ranks(a),
                                  stats.rankdata(a, axis=1, nan_policy="omit"))
    # rows without ties take the direct path; mixed with a tied row
    b = rng.normal(size=(30, 50))
    b[rng.random(b.shape) < 0.1] = np.nan
    b[7, :5] = 0.25
    np.testing.assert_array_equal(inf.average_ranks(b),
                                  stats.rankdata(b, axis=1, nan_policy="omit"))
    # along the last axis of a stack of arrays
    c = np.stack([a[:30, :50], b])
    np.testing.assert_array_equal(inf.average_ranks(c),
                                  stats.rankdata(c, axis=-1, nan_policy="omit"))


def test_windows_with_the_same_sign_counts_share_a_draw_and_stay_exact():
    # Window 0 misses event 0's CAR, window 1 event 1's: both have 3 events,
    # signs (+, +, -) and (+, +, -), so one draw serves both; each window's
    # p-value is its own enumerated p within Monte Carlo error.
    rng = np.random.default_rng(11)
    pool = rng.normal(size=(8, 2))
    sign = np.array([1.0, 1.0, 1.0, -1.0])
    car = np.array([[np.nan, 0.4], [0.3, np.nan], [0.2, 0.5], [-0.6, -0.1]])
    G = 40_000
    res = _placebo(pool).group_pvalues(car * sign[:, None], sign, groups=G)
    for w in range(2):
        d = np.isfinite(car[:, w])
        exact = _exact_group_p(pool[:, w], sign[d], (car[d, w] * sign[d]).mean())
        np.testing.assert_allclose(res.p_value[w], (1 + exact * G) / (1 + G), rtol=0,
                                   atol=4 * math.sqrt(exact * (1 - exact) / G) + 1e-12)


# ---------------------------------------------------------------------------
# blocks and shared rankings: the same numbers to the bit


def test_average_ranks_in_blocks_equal_scipy():
    rng = np.random.default_rng(5)
    a = np.round(rng.standard_normal((11, 40)), 1)  # ties
    a[rng.random(a.shape) < 0.2] = np.nan
    want = stats.rankdata(a, axis=1, nan_policy="omit")
    for block in (1, 3, 11, 4096):
        np.testing.assert_allclose(inf.average_ranks(a, block=block), want, rtol=0, atol=0)


def test_signed_ranks_equal_ranks_of_signed_values():
    rng = np.random.default_rng(6)
    a = np.round(rng.standard_normal((9, 30)), 1)
    a[rng.random(a.shape) < 0.2] = np.nan
    sign = np.array([1, -1, 0, 1, -1, -1, 0, 1, 1], dtype=float)
    want = stats.rankdata(a * sign[:, None], axis=1, nan_policy="omit")
    got = inf.signed_ranks(inf.average_ranks(a), sign)
    np.testing.assert_allclose(got, want, rtol=0, atol=0)
    assert inf.signed_ranks(inf.average_ranks(a), np.full(9, 2.0)) is None


def test_pooled_correlation_in_blocks_is_the_same():
    rng = np.random.default_rng(7)
    est = rng.standard_normal((2, 50, 60))
    est[rng.random(est.shape) < 0.3] = np.nan
    events = rng.random((2, 50, 3)) < 0.8
    whole = inf.pooled_correlation(est, events, block=10_000)
    for block in (1, 7, 49):
        np.testing.assert_allclose(inf.pooled_correlation(est, events, block=block), whole,
                                   rtol=0, atol=0)


def test_battery_shared_ranking_matches_per_group_ranking(engine_arrays):
    # Corrado's test from one ranking of every event (signed_ranks) against each
    # group's events ranked on their own, signs applied first
    a = engine_arrays
    idx, sign = np.arange(8), np.array([1, -1, 1, 1, -1, 1, -1, 1], dtype=float)
    ranks = inf.event_ranks(a)
    shared = inf.group_tests(a, idx, sign, ranks=ranks)["corrado"]
    own = inf.corrado_rank(a.est_ar[idx] * sign[:, None], a.ar[idx] * sign[:, None],
                           a.rel_win, a.windows, a.car[idx] * sign[:, None])
    for f in ("statistic", "p_value", "n_events"):
        np.testing.assert_allclose(getattr(shared, f), getattr(own, f), rtol=0, atol=0)
