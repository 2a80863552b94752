"""Blocks of seeded work give the same numbers serially, on processes and on a Dask cluster."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.config import Study
from eventstudy.exceptions import StudyConfigError
from eventstudy.parallel import block_seeds, cpu_count, map_blocks, worker_count


def _block_sum(seed, n):
    """A seeded block: the sum of n standard normals."""
    return float(np.random.default_rng(seed).standard_normal(n).sum())


def _tasks(seed=7, blocks=6):
    return [(s, 1000) for s in block_seeds(seed, blocks)]


def test_worker_count_follows_joblib_convention():
    cores = cpu_count()
    assert worker_count(None) == cores
    assert worker_count(-1) == cores
    assert worker_count(3) == 3
    assert worker_count(-2) == max(1, cores - 1)
    with pytest.raises(ValueError, match="n_jobs must be a positive number"):
        worker_count(0)


def test_block_seeds_are_the_spawned_children_of_the_seed():
    children = np.random.SeedSequence(11).spawn(4)
    for a, b in zip(block_seeds(11, 4), children, strict=True):
        assert np.array_equal(np.random.default_rng(a).integers(0, 2**31, 5),
                              np.random.default_rng(b).integers(0, 2**31, 5))


def test_map_blocks_is_the_same_serially_and_on_two_processes():
    serial = map_blocks(_block_sum, _tasks(), n_jobs=1)
    expected = [_block_sum(*t) for t in _tasks()]
    assert serial == expected
    assert map_blocks(_block_sum, _tasks(), n_jobs=2) == expected


def test_map_blocks_on_a_local_dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        on_cluster = map_blocks(_block_sum, _tasks(), n_jobs=1)
    assert on_cluster == [_block_sum(*t) for t in _tasks()]


def test_study_n_jobs_zero_is_one_clear_line():
    with pytest.raises(StudyConfigError, match=r"n_jobs.*0 workers cannot run anything"):
        Study(asset="ZS=F", factors=("SPY",), n_jobs=0)
    assert Study(asset="ZS=F", factors=("SPY",), n_jobs=2).n_jobs == 2
