"""Two origins of polysemantic neurons in the tied autoencoder, derived with sympy (issue #17).

Necessary polysemanticity. Zero loss without L1 needs ‖W_i‖ = 1 and W_i·W_j ≤ 0 for i ≠ j
(:func:`theory.no_l1.zero_loss_conditions`). On a basis-aligned optimum every row is ±e_k, so two
features on one neuron have W_i·W_j = s_i·s_j and must carry opposite signs; three cannot (some
pair of three signs agrees: :func:`neuron_capacity`, checked by sympy over all sign triples). With
s single-feature neurons and k two-feature neurons, s + 2k = n and s + k ≤ m, so k ≥ n − m
(:func:`floor_expr`, solved by sympy): at least max(0, n − m) neurons are polysemantic, and at
most 2m features are represented exactly (:func:`theory.no_l1.max_nonacute`).

Incidental polysemanticity. The static model (:mod:`theory.collisions`) counts neurons holding a
positive and a negative feature when each feature sits on its winning neuron; for n ≪ m that is
n(n−1)/4m. It lets same-sign features share a neuron (they are simply not counted), which a
trained model cannot do (the pair term ReLU(W_i·W_j)² pushes them apart). The *enforced-
repulsion* model (:func:`repulsion_count`) resolves them: features arrive one by one (in index
order: the features are exchangeable), each goes to the neuron with the largest |initial weight|
among those whose slot of that weight's sign is still free (a neuron has one positive and one
negative slot); a feature with no free slot is left unlearned. It is evaluated by Monte Carlo with
a fixed seed (deterministic), with its standard error. For n ≪ m a same-sign arrival almost
always moves to an empty neuron, so it reduces to the static model, n(n−1)/4m at leading order;
for n ≤ 2m it never counts fewer than n − m polysemantic neurons when every feature is placed.

This module knows nothing of ``sim`` or ``claims``.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import sympy as sp

from . import collisions, no_l1

__all__ = [
    "crossover_share",
    "floor_expr",
    "loss_fraction",
    "max_exact",
    "model_crossover",
    "neuron_capacity",
    "predict_floor",
    "predict_incidental",
    "repulsion_count",
    "saturation",
]

n, m = sp.symbols("n m", positive=True, integer=True)
k = sp.Symbol("k", nonnegative=True, integer=True)  # two-feature neurons
SEED = 20231205  # the Monte Carlo stream of the repulsion model (fixed: the model is deterministic)


@cache
def neuron_capacity() -> int:
    """The most features one neuron can hold on a basis-aligned zero-loss optimum: the largest
    set of signs ±1 whose pairwise products s_i·s_j are all in the zero-loss pair set
    (W_i·W_j ≤ 0, :func:`theory.no_l1.zero_loss_conditions`), searched over sizes 1…3 with sympy
    membership tests: 2."""
    pair = no_l1.zero_loss_conditions()["pair"]
    best = 1
    for size in (2, 3):
        for signs in itertools.product((-1, 1), repeat=size):
            if all(
                sp.Integer(a * b) in pair  # type: ignore[operator]
                for a, b in itertools.combinations(signs, 2)
            ):
                best = max(best, size)
    return best


@cache
def floor_expr() -> sp.Expr:
    """The fewest polysemantic neurons of a basis-aligned zero-loss optimum with n features in m
    neurons (n ≤ 2m): with k two-feature neurons (capacity 2, :func:`neuron_capacity`) and
    s = n − 2k single ones, s + k ≤ m; sympy solves n − k ≤ m for k, and with k ≥ 0 the
    smallest k is max(0, n − m)."""
    cap = neuron_capacity()
    s = n - cap * k  # single-feature neurons
    sol = sp.solve(sp.Le(s + k, m), k)  # n − m <= k
    bound = sol.lhs if sol.rhs == k else sol.rhs
    return sp.Max(0, sp.simplify(bound))


def max_exact() -> sp.Expr:
    """At most 2m features are represented exactly (:func:`theory.no_l1.max_nonacute`)."""
    return no_l1.max_nonacute().subs(no_l1.m, m)


def predict_floor(n_: int, m_: int) -> float:
    """Numeric :func:`floor_expr` at (n, m); defined for n ≤ 2m."""
    if n_ > 2 * m_:
        raise ValueError(f"n = {n_} > 2m = {2 * m_}: no zero-loss optimum represents every feature")
    return float(floor_expr().subs({n: n_, m: m_}))


def predict_incidental(n_: int, m_: int) -> float:
    """The incidental law n(n−1)/4m (:func:`theory.collisions.predict_leading`)."""
    return collisions.predict_leading(n_, m_)


@cache
def repulsion_count(n_: int, m_: int, samples: int = 4000) -> tuple[float, float, float]:
    """The enforced-repulsion model at (n, m): (mean polysemantic neurons, its Monte Carlo
    standard error, mean fraction of features left unlearned), over ``samples`` draws of an
    i.i.d. N(0, 1) initial weight matrix (only the ranking and signs matter), seeded with
    :data:`SEED` (the same stream for every (n, m))."""
    rng = np.random.default_rng([SEED, n_, m_])
    g = rng.standard_normal((samples, n_, m_))
    free = np.ones((samples, m_, 2), dtype=bool)  # slot 0: positive, slot 1: negative
    placed = np.zeros(samples)
    rows = np.arange(samples)
    for i in range(n_):
        w = g[:, i, :]
        slot = (w < 0).astype(int)  # (S, m): the slot this feature would take at each neuron
        ok = np.take_along_axis(free, slot[..., None], axis=2)[..., 0]
        score = np.where(ok, np.abs(w), -1.0)
        best = score.argmax(axis=1)
        got = score[rows, best] >= 0
        free[rows[got], best[got], slot[rows[got], best[got]]] = False
        placed += got
    count = (~free).all(axis=2).sum(axis=1).astype(float)
    se = float(count.std(ddof=1) / np.sqrt(samples))
    return float(count.mean()), se, float(1.0 - placed.mean() / n_)


def crossover_share(x: np.ndarray, share: np.ndarray, level: float = 0.5) -> float:
    """The n/m where the floor's share of the count, (n − m)/count, first reaches ``level``,
    by linear interpolation between grid points (x ascending); nan when never reached."""
    x = np.asarray(x, float)
    share = np.asarray(share, float)
    above = np.nonzero(share >= level)[0]
    if above.size == 0:
        return float("nan")
    j = int(above[0])
    if j == 0:
        return float(x[0])
    x0, x1, s0, s1 = x[j - 1], x[j], share[j - 1], share[j]
    return float(x0 + (level - s0) * (x1 - x0) / (s1 - s0))


def model_crossover(ns: tuple[int, ...], m_: int, samples: int = 4000) -> float:
    """The enforced-repulsion model's crossover on the grid ``ns`` (n ≤ 2m): the n/m where the
    floor's share max(0, n − m)/count first reaches ½, interpolated as the measured one is
    (:func:`crossover_share`)."""
    x = np.asarray(ns, float) / m_
    share = [predict_floor(v, m_) / repulsion_count(v, m_, samples)[0] for v in ns]
    return crossover_share(x, np.asarray(share))


def saturation(n_: int, m_: int, samples: int = 4000) -> float:
    """The model's fraction of neurons holding two features at (n, m): → 1 once n ≥ 2m (every
    neuron's two slots fill), while n(n−1)/4m would exceed m there."""
    return repulsion_count(n_, m_, samples)[0] / m_


def loss_fraction(n_: int, m_: int, samples: int = 4000) -> float:
    """The model's fraction of features not represented exactly at (n, m): the unplaced ones, at
    least (n − 2m)/n for n > 2m (at most 2m exactly, :func:`max_exact`); the model places the rest
    exactly and drops the excess."""
    return repulsion_count(n_, m_, samples)[2]
