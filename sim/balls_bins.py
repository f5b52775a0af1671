"""Monte Carlo of the static balls-and-bins picture of incidental polysemanticity.

Each of n features lands on the neuron where its initial weight |W0_ik| is largest (an argmax of m
i.i.d. continuous draws, so uniform over neurons) with the sign of that weight (±, even odds). A
neuron is polysemantic in this picture when it holds at least one positive and one negative
feature — the sign condition: same-sign co-residents repel, opposite signs coexist.
:mod:`theory.collisions` has the exact expectation of this count.

:func:`displaced_collisions` adds what the static picture leaves out: a same-sign pair on one
neuron resolves by *moving* one feature to another neuron (drawn uniformly, with a fresh sign),
repeated until no (neuron, sign) slot holds two features (:mod:`theory.collision_scaling`'s
hard-core model is its expectation's closed form).
"""

from __future__ import annotations

import numpy as np

from ._validate import check_int

__all__ = ["displaced_collisions", "static_collisions"]


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


def displaced_collisions(
    n: int, m: int, *, trials: int, rng: np.random.Generator, max_rounds: int = 10_000
) -> np.ndarray:
    """Counts of neurons holding one positive and one negative feature after the displacement
    process, one per trial (trials,).

    Every feature starts on a uniform neuron with a fair sign. While some (neuron, sign) slot holds
    two or more features, one of them (uniformly) stays and every other moves to a uniformly drawn
    neuron with a fresh fair sign: its next-best weight, whose position and sign are independent
    of the first's. Needs n <= 2m (n features cannot take distinct slots otherwise)."""
    check_int("n", n, 1)
    check_int("m", m, 1)
    check_int("trials", trials, 1)
    if n > 2 * m:
        raise ValueError(f"n must be <= 2m for distinct (neuron, sign) slots, got n={n}, m={m}")
    slot = rng.integers(0, 2 * m, size=(trials, n))  # slot = 2·neuron + (sign > 0)
    for _ in range(max_rounds):
        tie = rng.random((trials, n))
        order = np.lexsort((tie, slot), axis=-1)  # by slot, ties in random order
        ranked = np.take_along_axis(slot, order, axis=-1)
        dup = np.zeros_like(ranked, dtype=bool)
        dup[:, 1:] = ranked[:, 1:] == ranked[:, :-1]  # all but the first of each slot move
        if not dup.any():
            break
        moved = np.zeros_like(dup)
        np.put_along_axis(moved, order, dup, axis=-1)
        slot[moved] = rng.integers(0, 2 * m, size=int(moved.sum()))
    else:
        raise RuntimeError(f"displacement did not settle in {max_rounds} rounds (n={n}, m={m})")
    taken = np.zeros((trials, 2 * m), dtype=bool)
    np.put_along_axis(taken, slot, True, axis=-1)
    return taken.reshape(trials, m, 2).all(axis=-1).sum(axis=1)
