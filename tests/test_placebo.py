"""The group placebo's sampler and pseudo groups against enumeration and plain loops."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from eventstudy import inference as inf
from eventstudy.inference import placebo as plc

RTOL = 1e-10
ATOL = 1e-12
#: Smallest chi-square p-value accepted for a uniformity check (fixed seeds).
CHI2_LEVEL = 1e-3


def _placebo(car, seed=0):
    car = np.asarray(car, float)
    W = car.shape[1]
    return inf.Placebo(
        car=car, day0=np.arange(car.shape[0]), windows=np.array([[0, i] for i in range(W)]),
        seed=seed, n_eligible=car.shape[0], model="market", estimation=(-250, -11),
    )


@pytest.mark.parametrize("length", [1, 2, 3, 5])
def test_injective_tuples_are_uniform_over_every_ordered_sample(length):
    # Every ordered sample of `length` of 5 is equally frequent (chi-square),
    # and no row repeats an index.
    rows = 60_000
    x = plc._injective_tuples(np.random.default_rng(length), 5, length, rows)
    assert x.shape == (rows, length) and x.dtype == np.int32
    assert all(len(set(r)) == length for r in x[:2000].tolist())
    perms = list(itertools.permutations(range(5), length))
    code = {p: i for i, p in enumerate(perms)}
    counts = np.bincount([code[tuple(r)] for r in x.tolist()], minlength=len(perms))
    assert counts.size == len(perms)
    assert stats.chisquare(counts).pvalue > CHI2_LEVEL


def test_injective_tuples_of_a_large_population_have_uniform_positions():
    # 4,000 of 10,000 (many repeats redrawn): each position uniform over the
    # population, and rows without repeats.
    x = plc._injective_tuples(np.random.default_rng(0), 10_000, 4_000, 300)
    assert (np.diff(np.sort(x, axis=1), axis=1) > 0).all()
    for col in (0, 1999, 3999):
        counts = np.bincount(x[:, col] // 500, minlength=20)  # 20 bins of 500 indices
        assert stats.chisquare(counts).pvalue > CHI2_LEVEL


def _subset_sums(pool, sizes):
    """Every signed pseudo sum of a partition into classes of ``sizes`` (and the left-out)."""
    out = []
    for perm in itertools.permutations(range(len(pool)), int(sum(sizes))):
        start, total = 0, 0.0
        for k, n in enumerate(sizes):
            total += (1 if k == 0 else -1) * sum(pool[i] for i in perm[start:start + n])
            start += n
        out.append(total)
    return np.array(out)


@pytest.mark.parametrize("sizes", [(3,), (2, 1), (1, 6), (8,), (5, 3)])
def test_pseudo_sums_follow_the_enumeration_of_every_partition(sizes):
    # Pool of 8 with a repeated value: the distribution of the pseudo sums
    # (classes +1, -1) equals the enumerated one within Monte Carlo error
    # (chi-square over the distinct enumerated values).
    pool = np.array([0.3, 0.3, -0.2, 1.1, 0.7, -0.9, 0.05, 2.0])
    exact = np.round(_subset_sums(pool, sizes), 9)
    values, expected = np.unique(exact, return_counts=True)
    G = 40_000
    signs = np.concatenate([np.full(sizes[0], 1.0)] + [np.full(n, -1.0) for n in sizes[1:]])
    pg = _placebo(pool[:, None]).pseudo_groups(np.ones((signs.size, 1), bool), signs, G,
                                               rng=np.random.default_rng(3))
    got = np.round(pg.means[0, :, 0] * signs.size, 9)
    assert np.isin(got, values).all()
    counts = np.array([(got == v).sum() for v in values])
    if values.size == 1:
        assert counts[0] == G
    else:
        assert stats.chisquare(counts, expected * G / expected.sum()).pvalue > CHI2_LEVEL


def test_pseudo_means_have_the_finite_population_moments():
    # 10,000 pseudo-events of 7 distinct days, signed groups of 600 and of
    # 9,500 (tail side): mean and variance of the signed mean are those of
    # sampling without replacement from a finite population.
    rng = np.random.default_rng(3)
    days = rng.standard_t(4, size=7) * 0.02
    pool = days[rng.integers(0, 7, size=10_000)]
    P, mu, var = pool.size, pool.mean(), pool.var()
    G = 4000
    for N in (600, 9_500):
        sign = np.where(rng.random(N) < 0.4, -1.0, 1.0)
        a = _placebo(pool[:, None]).pseudo_groups(np.ones((N, 1), bool), sign, G).means[0, :, 0]
        exp_mean = sign.sum() * mu / N
        exp_var = (var * P / (P - 1)) * ((sign**2).sum() - sign.sum() ** 2 / P) / N**2
        np.testing.assert_allclose(a.mean(), exp_mean, rtol=0, atol=5 * math.sqrt(exp_var / G))
        np.testing.assert_allclose(a.var(ddof=1), exp_var, rtol=0.1, atol=0)


def test_group_pvalue_equals_a_loop_over_the_same_pseudo_groups():
    # The p-value counts the pseudo means at least as large as the group's in
    # absolute value; recomputed here from the pseudo means by a plain loop.
    rng = np.random.default_rng(4)
    pool = rng.normal(size=(300, 2))
    car = rng.normal(size=(12, 2)) + 0.3
    car[2, 1] = np.nan
    sign = np.where(np.arange(12) % 3 == 0, -1.0, 1.0)
    pl = _placebo(pool)
    G = 500
    pg = pl.pseudo_groups(np.isfinite(car), sign, G)
    res = pg.pvalues(car)
    for w in range(2):
        obs = np.mean([c for c in car[:, w] if not math.isnan(c)])
        hits = sum(abs(m) >= abs(obs) for m in pg.means[0, :, w])
        np.testing.assert_allclose(res.p_value[w], (1 + hits) / (1 + G), rtol=RTOL, atol=0)
        np.testing.assert_allclose(res.statistic[w], obs, rtol=RTOL, atol=ATOL)
    # group_pvalues draws the same pseudo groups (same seed, G and windows)
    np.testing.assert_array_equal(pl.group_pvalues(car, sign, groups=G).p_value, res.p_value)


def test_groups_pvalues_are_seeded_and_ignore_the_order_of_the_groups():
    rng = np.random.default_rng(5)
    pool = rng.normal(size=(2000, 3))
    groups = [(rng.normal(size=(n, 3)) * 0.3, np.where(rng.random(n) < 0.5, -1.0, 1.0))
              for n in (40, 25, 1900)]
    pl = _placebo(pool, seed=9)
    a = pl.groups_pvalues(groups, groups=999)
    b = _placebo(pool, seed=9).groups_pvalues(groups[::-1], groups=999)[::-1]
    c = _placebo(pool, seed=10).groups_pvalues(groups, groups=999)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.p_value, y.p_value)
    assert any(not np.array_equal(x.p_value, y.p_value) for x, y in zip(a, c, strict=True))


def test_screen_draws_again_only_below_the_level():
    # Far groups (p = 1/(1 + first) after the first stage) get 1/(1 + G); groups
    # near zero keep their first-stage p-value above the level.
    rng = np.random.default_rng(6)
    pool = rng.normal(size=(3000, 1))
    near = (np.full((5, 1), 0.0), None)
    far = (np.full((5, 1), 10.0), None)
    pl = _placebo(pool)
    res = pl.groups_pvalues([near, far], groups=4000, screen=(300, 0.2))
    first = pl.groups_pvalues([near], groups=300)[0]
    np.testing.assert_array_equal(res[0].p_value, first.p_value)
    np.testing.assert_allclose(res[1].p_value, 1 / 4001, rtol=RTOL, atol=0)


def _parallel_case():
    """A pool and three signed groups, and the p-values drawn in this process."""
    rng = np.random.default_rng(7)
    pool = rng.normal(size=(1500, 2))
    groups = [(rng.normal(size=(n, 2)) * 0.2, np.where(rng.random(n) < 0.5, -1.0, 1.0))
              for n in (30, 700)]
    # 2,100 pseudo groups: five blocks of plc.BLOCK_ROWS, the last one short
    kw = {"groups": 2100, "screen": (600, 0.5)}
    serial = _placebo(pool, seed=3).groups_pvalues(groups, n_jobs=1, **kw)
    return pool, groups, kw, serial


def test_groups_pvalues_are_the_same_serially_and_on_two_processes():
    # parallel_work=1 sends every pool's blocks to the workers; the blocks and
    # their seeds do not depend on the workers, so the p-values are equal exactly.
    pool, groups, kw, serial = _parallel_case()
    on_two = _placebo(pool, seed=3).groups_pvalues(groups, n_jobs=2, parallel_work=1, **kw)
    for a, b in zip(serial, on_two, strict=True):
        np.testing.assert_array_equal(a.p_value, b.p_value)
        np.testing.assert_array_equal(a.statistic, b.statistic)


def test_groups_pvalues_on_a_local_dask_cluster():
    distributed = pytest.importorskip("distributed")
    pool, groups, kw, serial = _parallel_case()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        on_cluster = _placebo(pool, seed=3).groups_pvalues(groups, parallel_work=1, **kw)
    for a, b in zip(serial, on_cluster, strict=True):
        np.testing.assert_array_equal(a.p_value, b.p_value)
