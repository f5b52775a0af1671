"""Where a claim's independent runs execute: in-process, a local process pool, or a Dask cluster.

The runs (grid points, seeds) go through ``Context.map``, which submits them to a
``concurrent.futures.Executor``. Nothing here is a scheduler of our own: ``ProcessPoolExecutor``
for local processes, ``dask.distributed.Client.get_executor()`` for a cluster. Every run carries
its own seed, so the numbers are identical whichever executor runs them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

from sim import ParamError

__all__ = ["executor"]


def _limit_threads(threads: int) -> None:
    """Worker initializer: share the cores between workers instead of oversubscribing them."""
    import torch

    torch.set_num_threads(threads)


@contextmanager
def executor(*, workers: int = 1, scheduler: str | None = None) -> Iterator[Executor | None]:
    """``None`` (in-process) for one worker and no scheduler; a process pool for ``workers > 1``;
    a Dask executor for ``scheduler`` (an address such as ``tcp://127.0.0.1:8786``, needs the
    ``dask`` extra: ``pip install -e ".[dask]"``)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParamError("--workers", workers, "an integer >= 1")
    if scheduler is not None:
        try:
            from dask.distributed import Client
        except ImportError:  # pragma: no cover - depends on the optional extra
            raise ParamError(
                "--scheduler",
                scheduler,
                'an address, with the dask extra installed: pip install -e ".[dask]"',
            ) from None
        try:
            client = Client(scheduler, timeout=5)
        except OSError as exc:
            raise ParamError(
                "--scheduler", scheduler, f"the address of a running Dask scheduler ({exc})"
            ) from None
        try:
            yield client.get_executor()
        finally:
            client.close()
        return
    if workers == 1:
        yield None
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    # spawn, not fork: a forked child inherits torch's thread pool in an undefined state
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_limit_threads,
        initargs=(threads,),
    )
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)
