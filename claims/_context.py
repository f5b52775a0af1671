"""Execution context of a claim run: the explicit seed, the device, progress reporting.

Randomness is never global: every simulation derives its generators from ``Context.seed`` and a
stable name (``ctx.rng("init", m)``), so the same seed gives the same numbers whichever order the
runs happen in, and different names give independent streams.
"""

from __future__ import annotations

import dataclasses
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from sim import ParamError, check_choice

if TYPE_CHECKING:
    from ._cache import TaskCache

__all__ = ["Context", "ProgressBar", "configure_device"]

DEVICES = ("cpu", "cuda", "mps")
T = TypeVar("T")
R = TypeVar("R")


def configure_device(device: str) -> None:
    """Make a device run reproducible where the backend allows: on CUDA, deterministic
    algorithms and the cuBLAS workspace setting torch needs for deterministic matmuls (set before
    the first CUDA call of the process). A no-op on the CPU, which is deterministic already."""
    if not device.startswith("cuda"):
        return
    import os

    import torch

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 means float32, not TF32


class ProgressBar(Protocol):
    def update(self, n: int = 1) -> Any: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        return None


@dataclass(frozen=True)
class Context:
    """What a simulation may use besides its params: seed, device, progress."""

    seed: int = 0  # root seed of every random stream in the run
    device: str = "cpu"  # torch device for simulations ("cpu", "cuda", "cuda:1", "mps")
    progress: bool = False  # show tqdm progress bars (the report turns this on for a TTY)
    # where independent runs (grid points, seeds) go: None runs them here, in order; any
    # concurrent.futures.Executor (a process pool, a Dask client's executor) runs them there.
    # Results never depend on it: every run carries its own seed.
    executor: Executor | None = field(default=None, compare=False, repr=False)
    # where finished runs are kept (a report's cache/tasks folder): a rerun loads them instead
    # of training again, so a long sweep resumes after an interruption. None keeps nothing.
    tasks: TaskCache | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_choice("device", self.device.split(":")[0], DEVICES)
        if self.device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                raise ParamError(
                    "device", self.device, "'cpu' (CUDA is not available on this machine)"
                )
        if self.device == "mps":
            import torch

            if not torch.backends.mps.is_available():
                raise ParamError(
                    "device", self.device, "'cpu' (MPS is not available on this machine)"
                )

    def with_seed(self, seed: int) -> Context:
        return dataclasses.replace(self, seed=seed)

    def seed_for(self, *key: object) -> int:
        """A 63-bit seed derived from the root seed and a stable name (strings, ints)."""
        words = [self.seed] + [zlib.crc32(repr(k).encode()) for k in key]
        return int(np.random.SeedSequence(words).generate_state(1, dtype=np.uint64)[0] >> 1)

    def rng(self, *key: object) -> np.random.Generator:
        """A numpy Generator for the named stream."""
        return np.random.default_rng(self.seed_for(*key))

    def map(self, fn: Callable[[T], R], items: Iterable[T], *, label: str = "runs") -> list[R]:
        """``[fn(x) for x in items]``, on the executor when there is one, in input order.

        ``fn`` must be a module-level function of picklable arguments (process pools and Dask
        ship it to other processes); each item carries its own seed, so the numbers are the same
        whichever executor runs it. With ``tasks`` set, results already stored are loaded and each
        new one is stored as soon as it finishes. When runs raise, the first failing item in input
        order raises, whichever executor ran it.
        """
        todo = list(items)
        out: list[Any] = [None] * len(todo)
        pending: list[int] = []
        for i, x in enumerate(todo):
            hit, value = self.tasks.get(fn, x) if self.tasks is not None else (False, None)
            if hit:
                out[i] = value
            else:
                pending.append(i)
        with self.task(label, len(todo)) as bar:
            if len(pending) < len(todo):
                bar.update(len(todo) - len(pending))
            if self.executor is None:
                for i in pending:
                    start = time.perf_counter()
                    out[i] = fn(todo[i])
                    if self.tasks is not None:
                        self.tasks.put(fn, todo[i], out[i], time.perf_counter() - start)
                    bar.update(1)
                return out
            futures = {self.executor.submit(fn, todo[i]): i for i in pending}
            for f in as_completed(futures):
                if f.exception() is None and self.tasks is not None:
                    self.tasks.put(fn, todo[futures[f]], f.result(), -1.0)  # -1: timed elsewhere
                bar.update(1)
        for f, i in futures.items():
            out[i] = f.result()  # raises the first failure in input order
        return out

    @contextmanager
    def task(self, label: str, total: int) -> Iterator[ProgressBar]:
        """A progress bar for ``total`` units of work; silent unless ``progress`` is on."""
        if not self.progress:
            yield _Silent()
            return
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=label, leave=False, dynamic_ncols=True)
        try:
            yield bar
        finally:
            bar.close()
