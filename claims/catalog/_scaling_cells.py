"""The training runs of claim ``collision-scaling``, one per (optimizer, n, m) cell, apart from the
claim's fits (not a claim: the registry skips modules whose name starts with ``_``).

They live in their own module so that a run's task-cache key (``claims/_cache.py``: the task
function's module and its imports) does not change when the claim's fits, controls or deviations
are edited: a sweep re-judges stored trainings instead of retraining them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from sim.autoencoder import AutoencoderParams, train
from sim.metrics import PolysemanticCount

__all__ = ["OPTS", "Cell", "Job", "Opt", "train_cell"]

Opt = Literal["adamw", "sgd"]
OPTS: tuple[Opt, ...] = ("adamw", "sgd")


@dataclass(frozen=True, repr=False)
class Cell:
    """One cell's per-instance measurements (arrays of shape (instances,))."""

    opt: Opt
    n: int
    m: int
    count: np.ndarray  # polysemantic neurons at the end
    half: np.ndarray  # the same at half the steps
    learned: np.ndarray  # features with a weight in [lo, hi] at the end
    argmax: np.ndarray  # features whose winner (final argmax |W_i·|) is their initial argmax
    rank: np.ndarray  # sum over features of the winner's initial rank by |W0_i·| (0 = argmax)
    pairs: int  # neurons holding exactly two features
    opposite: int  # of which with opposite signs
    seconds: float


@dataclass(frozen=True)
class Job:
    """One independent training run (picklable: it may run in another process)."""

    opt: Opt
    params: AutoencoderParams
    lo: float
    hi: float


def train_cell(job: Job) -> Cell:
    p = job.params
    half = p.optimiser.steps // 2
    out = train(p.replace(record_steps=(half,)), metrics={"W": lambda W: W.clone()})
    W_half = out.metrics["W"][list(out.steps).index(half)]
    end = PolysemanticCount(out.W_final, lo=job.lo, hi=job.hi)
    a0, a1 = np.abs(out.W_init), np.abs(out.W_final)
    winner = a1.argmax(-1)  # (B, n)
    w0 = np.take_along_axis(a0, winner[..., None], -1)
    return Cell(
        opt=job.opt,
        n=p.model.n,
        m=p.model.m,
        count=end.count.astype(float),
        half=PolysemanticCount(W_half, lo=job.lo, hi=job.hi).count.astype(float),
        learned=end.learned.astype(float),
        argmax=(winner == a0.argmax(-1)).sum(-1).astype(float),
        rank=(a0 > w0).sum(-1).sum(-1).astype(float),
        pairs=int(end.pairs.sum()),
        opposite=int(end.opposite_pairs.sum()),
        seconds=out.seconds,
    )
