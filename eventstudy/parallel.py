"""Independent blocks of work on every core, or on a Dask cluster when one is active.

A seeded computation is cut into blocks whose number and seeds depend only on
the problem (:func:`block_seeds`), never on the number of workers, so a run
gives the same numbers serially, on several processes and on a cluster.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["active_dask_client", "block_seeds", "cpu_count", "map_blocks", "worker_count"]


def cpu_count() -> int:
    """The cores this process may use (its CPU affinity where the system reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def worker_count(n_jobs: int | None) -> int:
    """Workers for ``n_jobs``: None or -1 every core, -k all but k - 1, k > 0 exactly k."""
    cores = cpu_count()
    if n_jobs is None or n_jobs == -1:
        return cores
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of workers or -1 (every core); got 0")
    return max(1, cores + 1 + n_jobs) if n_jobs < 0 else n_jobs


def active_dask_client():
    """The ``dask.distributed`` client of this process, or None (none active or none installed)."""
    if "distributed" not in sys.modules:  # no client exists before distributed is imported
        return None
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:
        return None


def block_seeds(seed, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent seeds of ``numpy.random.SeedSequence(seed)``, one per block."""
    return np.random.SeedSequence(seed).spawn(int(n))


def map_blocks(func: Callable, tasks: Sequence[tuple], *, n_jobs: int | None = None) -> list:
    """``[func(*task) for task in tasks]``, in order, spread over workers.

    Parameters
    ----------
    func : callable
        A module-level function (it is pickled to the workers).
    tasks : sequence of tuple
        The arguments of each call.
    n_jobs : int or None
        Processes (:func:`worker_count`); 1 runs in this process.

    Notes
    -----
    With an active ``dask.distributed`` client the calls go to its workers
    through joblib's Dask backend (``n_jobs`` is then the cluster's);
    otherwise to joblib's process pool (``loky``), whose workers stay alive
    between calls. One task, or one worker, runs in this process.
    """
    tasks = list(tasks)
    client = active_dask_client()
    workers = worker_count(n_jobs)
    if len(tasks) < 2 or (client is None and workers == 1):
        return [func(*task) for task in tasks]
    import joblib

    calls = (joblib.delayed(func)(*task) for task in tasks)
    if client is not None:
        with joblib.parallel_config(backend="dask"):
            return joblib.Parallel(n_jobs=-1)(calls)
    return joblib.Parallel(n_jobs=min(workers, len(tasks)), backend="loky")(calls)
