"""The init → winner picture (catalogue P1-CORR) as the two claims that judge it write it, once:
``init-diagonal`` (the tied ReLU autoencoder, under gradient descent and AdamW) and
``architectures`` (the same picture on other architectures). Not a claim (the registry skips
modules whose name starts with ``_``).

The picture: C = W_init W_finalᵀ is diagonally dominant, and under gradient descent the initial
argmax of |W0_i·| wins feature i. Its thresholds and the two controls both claims run against it:
``other-init`` (C against another instance's initialisation, :func:`sim.metrics.init_dominance`,
is just as dominant) and ``random-winner`` (the winner is a uniformly random neuron).
"""

from __future__ import annotations

import numpy as np

from .. import fitting
from .._core import Fit

__all__ = ["ARGMAX_FLOOR", "DOMINANCE_FLOOR", "other_init", "random_winner"]

ARGMAX_FLOOR = 0.7  # catalogue P1-CORR harness check: the argmax wins ≥ 70 % where n/m ≤ 1/8
DOMINANCE_FLOOR = 1.0  # C's mean diagonal above one sd of its off-diagonal (no memory of init: 0)
RANDOM_WINNER_TOL = 0.1  # the random-winner mutant's band: the argmax fraction 1/m ± 0.1


def other_init(dominance: Fit, dominance_other: np.ndarray, level: float, what: str) -> Fit:
    """The ``other-init`` mutant of a ``dominance`` fit: C against another instance's
    initialisation is just as dominant. Its per-instance dominance ``dominance_other`` (mean and
    t-interval at ``level``) is judged as the fit's; ``what`` is appended to its quantity."""
    est = fitting.mean_ci(dominance_other, confidence=level)
    return dominance.mutant(fitted=est.value, ci=est.ci, quantity=dominance.quantity + what)


def random_winner(argmax: Fit, m: float, quantity: str | None = None) -> Fit:
    """The ``random-winner`` mutant of an ``argmax`` fit: the winner is a uniformly random one of
    ``m`` neurons, so the initial argmax wins a fraction 1/m (judged as a point, ±
    :data:`RANDOM_WINNER_TOL`)."""
    return argmax.mutant(
        predicted=1 / m, relation="==", tolerance=RANDOM_WINNER_TOL, quantity=quantity
    )
