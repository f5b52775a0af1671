"""Execution context of a claim run: the explicit seed, the device, progress reporting.

Randomness is never global: every simulation derives its generators from ``Context.seed`` and a
stable name (``ctx.rng("init", m)``), so the same seed gives the same numbers whichever order the
runs happen in, and different names give independent streams.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from sim import ParamError, check_choice

__all__ = ["Context", "ProgressBar"]

DEVICES = ("cpu", "cuda", "mps")


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

    def __post_init__(self) -> None:
        check_choice("device", self.device.split(":")[0], DEVICES)
        if self.device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                raise ParamError("device", self.device, "'cpu' (CUDA is not available on this machine)")
        if self.device == "mps":
            import torch

            if not torch.backends.mps.is_available():
                raise ParamError("device", self.device, "'cpu' (MPS is not available on this machine)")

    def with_seed(self, seed: int) -> Context:
        return dataclasses.replace(self, seed=seed)

    def seed_for(self, *key: object) -> int:
        """A 63-bit seed derived from the root seed and a stable name (strings, ints)."""
        words = [self.seed] + [zlib.crc32(repr(k).encode()) for k in key]
        return int(np.random.SeedSequence(words).generate_state(1, dtype=np.uint64)[0] >> 1)

    def rng(self, *key: object) -> np.random.Generator:
        """A numpy Generator for the named stream."""
        return np.random.default_rng(self.seed_for(*key))

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
