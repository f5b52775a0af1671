"""Identical numbers whichever executor runs a claim's independent runs: in-process, a local
process pool, a real dask.distributed LocalCluster."""

from __future__ import annotations

import pytest

from claims import Context, get
from claims._executors import executor
from sim import ParamError

SMALL = {"n": "6", "m": "24,48,96", "instances": "8", "steps": "400"}


def _fits(ctx: Context) -> list[tuple[str, float, float, float]]:
    r = get("collision-count").run("smoke", seed=11, overrides=SMALL, ctx=ctx)
    assert r.status != "error", r.explain()
    return [(f.key, f.fitted, *f.ci) for f in r.fits]


def test_process_pool_gives_identical_numbers() -> None:
    serial = _fits(Context())
    with executor(workers=2) as pool:
        assert pool is not None
        parallel = _fits(Context(executor=pool))
    assert parallel == serial, f"process pool {parallel} != in-process {serial}"


def test_dask_local_cluster_gives_identical_numbers() -> None:
    from dask import distributed  # part of the test extras: a missing dask fails, never skips

    serial = _fits(Context())
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        executor(scheduler=cluster.scheduler_address) as ex,
    ):
        on_dask = _fits(Context(executor=ex))
    assert on_dask == serial, f"Dask {on_dask} != in-process {serial}"


def test_bad_workers_and_unreachable_scheduler_are_named_errors() -> None:
    with pytest.raises(ParamError, match="--workers"), executor(workers=0):
        pass
    with pytest.raises(ParamError, match="--scheduler"), executor(scheduler="tcp://127.0.0.1:1"):
        pass
