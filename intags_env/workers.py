"""One pool of worker processes shared by every measurement of a run (realism, INTAGS training).

Spawned, not forked: a fork copies torch's and Numba's thread pools and locks mid-use, and a child that
touches them can wait forever. A spawned worker pays its imports, Numba cache loads and model loads once
per run, not once per measurement, because the pool stays up until :func:`shutdown_workers` (or exit).
Scripts that use workers need the ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

__all__ = ["parallel_map", "shutdown_workers", "worker_pool"]

_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0


def _init_worker() -> None:
    try:
        import torch

        torch.set_num_threads(1)  # one process per core already
    except ImportError:  # pragma: no cover - torch is only needed by model markets
        pass


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """The shared pool of ``workers`` spawned processes (a new one if the size changes)."""
    global _POOL, _POOL_SIZE
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if _POOL is None or _POOL_SIZE != workers:
        shutdown_workers()
        _POOL = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker)
        _POOL_SIZE = workers
    return _POOL


@atexit.register
def shutdown_workers() -> None:
    """Stop the shared worker processes (at exit, or to free them early)."""
    global _POOL
    if _POOL is not None:
        _POOL.shutdown()
        _POOL = None


def parallel_map(
    fn: Callable[[Any], Any], jobs: Sequence[Any], workers: int = 1, desc: str = "", progress: bool = False
) -> list[Any]:
    """``[fn(job) for job in jobs]``, in the shared pool when ``workers > 1`` (results in job order), with
    a progress bar. ``fn`` and the jobs must be picklable."""
    from .progress import tqdm

    out = []
    with tqdm(total=len(jobs), desc=desc, unit="job", disable=not progress, leave=False) as bar:
        rows: Iterator[Any] = map(fn, jobs) if workers <= 1 else worker_pool(workers).map(fn, jobs)
        for row in rows:
            out.append(row)
            bar.update()
    return out
