"""Monte Carlo of the static balls-and-bins picture of incidental polysemanticity.

Each of n features lands on the neuron where its initial weight |W0_ik| is largest (an argmax of m
i.i.d. continuous draws, so uniform over neurons) with the sign of that weight (±, even odds). A
neuron is polysemantic in this picture when it holds at least one positive and one negative
feature — the sign condition: same-sign co-residents repel, opposite signs coexist.
:mod:`theory.collisions` has the exact expectation of this count.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_int

__all__ = ["static_collisions"]


def static_collisions(n: int, m: int, *, trials: int, rng: np.random.Generator) -> np.ndarray:
    """Counts of neurons holding >= 1 positive and >= 1 negative feature, one per trial (trials,).

    Draws the argmax neuron and sign directly (their exact law) rather than n·m Gaussians.
    """
    check_int("n", n, 1)
    check_int("m", m, 1)
    check_int("trials", trials, 1)
    bins = rng.integers(0, m, size=(trials, n))
    signs = rng.integers(0, 2, size=(trials, n)).astype(bool)
    offset = np.arange(trials)[:, None] * m
    pos = np.bincount((bins + offset)[signs], minlength=trials * m).reshape(trials, m)
    neg = np.bincount((bins + offset)[~signs], minlength=trials * m).reshape(trials, m)
    return ((pos > 0) & (neg > 0)).sum(axis=1)
