"""Interventions on the initialisation and on training, and what the static model predicts of them.

The static model (``theory.collisions``): each feature ends on its initial argmax neuron
(argmax_k |W_ik|) with the sign of that entry, and a neuron is polysemantic when it holds a
positive and a negative feature (same-sign co-residents repel). Given the initial assignment
σ(i) = argmax_k |W_ik| and the signs s_i = sign W_iσ(i), the model's count is *deterministic*:
the number of neurons holding both signs (:func:`static_count`). An i.i.d. continuous init makes
σ uniform and independent of the signs, whence ``collisions.exact_expectation``; the interventions
below plant σ and s instead, and the model's count follows by exact enumeration.

**Collision-free init** (:func:`collision_free_init`). Draw W with i.i.d. N(0, std²) entries and,
independently of W, a uniformly random injective map τ from the n features to the m neurons
(m ≥ n). In row i swap the entry at the row's argmax a_i = argmax_k |W_ik| with the entry at
τ(i). Then (i) the argmax of row i is τ(i), so all n argmax neurons are distinct; (ii) every row
has the law of a row of i.i.d. N(0, std²) entries, the rows stay independent, and so every entry
keeps its N(0, std²) marginal.

*Proof of (ii).* Let X = (X_1..X_m) be i.i.d. continuous, A = argmax |X_k|, and T uniform on
{1..m} independent of X; let Y = X∘(A T) (X with the entries at A and T swapped; the identity
when A = T). For any permutation π of the positions, X∘π has the law of X (exchangeability) and
argmax |X∘π| = π⁻¹(A); so (X∘π, π⁻¹(A)) has the law of (X, A). Condition on the order statistics
of |X| and the signs, i.e. on the multiset of values: A is uniform on the positions and the
arrangement of the non-maximal values on the other m − 1 positions is uniform given A. Y puts the
maximal entry at T (uniform, independent of the values) and the other values on the remaining
positions, each arrangement equally likely (swapping positions A and T maps the uniform
arrangement on {1..m}∖{A} to a uniform one on {1..m}∖{T}). So given the values, Y is a uniformly
random arrangement of them — exactly the law of X given its values. Hence Y has the law of X.
Rows: τ is independent of W, and a uniformly random injection's
i-th value τ(i) alone is uniform on {1..m}; so row i alone is the single-row case above and has
the law of a row of i.i.d. N(0, std²) entries — each entry keeps its N(0, std²) marginal. The
rows are no longer independent: they are coupled only through the distinctness of their argmax
positions (given τ(1..i−1), τ(i) is uniform on the free neurons), which is the intervention.
``tests/test_interventions.py`` checks the entries' marginal (KS test), the uniformity of each
row's argmax position, and the law of a row (its sorted |values| against an untouched draw's).

**Planted collisions** (:func:`planted_init`). Choose 2k features at random, pair them, and give
each pair one neuron; the remaining n − 2k features get neurons of their own: the n − k groups go
to distinct neurons through a uniform injection τ, each row by the swap above. For opposite or
equal signs, the second feature of a pair has its whole row multiplied by ±1 chosen so that the
signs at the shared neuron are opposite (or equal). A row of i.i.d. symmetric entries times a sign
that depends only on the sign of its own argmax entry and on an independent row keeps its law:
its |values| are unchanged and its signs stay i.i.d. fair (the argmax entry's sign becomes the
partner's, fair; the others are multiplied by a sign independent of them).

The static model then predicts exactly: 0 polysemantic neurons for the collision-free init, k for
k opposite-sign pairs, 0 for k equal-sign pairs (:func:`predict_planted`), against ½ per pair for
pairs whose signs are left to chance.

**The win probability q** (:func:`free_ratio`, :func:`opposite_survival`). Training does not
always leave a feature on its initial argmax: call q the probability that it does when no
same-sign feature shares that neuron (measured on the collision-free arm, where no feature is
contested; ≈ 0.7 under gradient descent at n/m = 1/8, ≈ 0.1–0.2 under AdamW, catalogue P1-CORR).
Model: each feature independently stays with probability q, else ends on a uniformly random
neuron with a fair sign. Then two features with distinct initial neurons end together with
probability (2q(1 − q) + (1 − q)²)/m = (1 − q²)/m and survive with probability ½, so the
collision-free count is (1 − q²) times the static expectation (exactly so at leading order;
the same factor is applied to the exact expectation); a plain init's pair meets with probability
q²/m + (1 − q²)/m = 1/m, the static model's, whatever q. A planted opposite-sign pair survives
when both stay, q², up to O(1/m); a planted equal-sign pair cannot both stay (same-sign
co-residents repel), so it survives only by an O(1/m) coincidence: 0. q = 1 is the static model.

**Resampling during training** (:func:`predict_resampled`, derived before it was run). After the
first training phase, on every polysemantic neuron keep the feature with the largest |W| and
redraw the rows of the others fresh (i.i.d. N(0, std²)), then train on. Under the static model a
redrawn feature lands on a uniformly random neuron; it becomes polysemantic again only when that
neuron already holds one of the other n − 1 features with the opposite sign: probability
(n − 1)/(2m) per redrawn feature (to first order: the redrawn features are few and rarely meet
each other). With E[#polysemantic] = E_exact(n, m) before (pairs: one redrawn feature each), the
count after is E_exact(n, m)·(n − 1)/(2m). Its cost in final loss: nothing at the optimum (an
opposite-sign co-resident costs nothing, ReLU(−1) = 0, and a feature on its own neuron has the
same loss), so the predicted change of the final loss is 0; its cost in steps is the relearning
phase.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import collisions

__all__ = [
    "argmax_neurons",
    "collision_free_init",
    "free_ratio",
    "opposite_survival",
    "planted_init",
    "predict_free_ratio",
    "predict_opposite_survival",
    "predict_planted",
    "predict_resampled",
    "resample_expression",
    "resample_polysemantic",
    "static_count",
]


def argmax_neurons(W: np.ndarray) -> np.ndarray:
    """The initial argmax neuron argmax_k |W_ik| of every feature: (..., n) from (..., n, m)."""
    return np.abs(np.asarray(W)).argmax(axis=-1)


def static_count(W: np.ndarray) -> np.ndarray:
    """The static model's count for each instance of W (B, n, m) (or one (n, m)): the neurons that
    hold a positive and a negative feature when every feature sits on its argmax neuron with the
    sign of that entry (exact enumeration)."""
    W = np.asarray(W)
    W = W[None] if W.ndim == 2 else W
    b, n, m = W.shape
    a = argmax_neurons(W)  # (B, n)
    s = np.take_along_axis(W, a[..., None], axis=2)[..., 0] > 0  # (B, n) sign of the argmax entry
    pos = np.zeros((b, m), dtype=bool)
    neg = np.zeros((b, m), dtype=bool)
    rows = np.repeat(np.arange(b), n)
    pos[rows[s.ravel()], a.ravel()[s.ravel()]] = True
    neg[rows[~s.ravel()], a.ravel()[~s.ravel()]] = True
    return (pos & neg).sum(axis=1)


def _check_sizes(instances: int, n: int, m: int, groups: int) -> None:
    for name, v in (("instances", instances), ("n", n), ("m", m)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if groups > m:
        raise ValueError(f"need m >= {groups} distinct argmax neurons, got m={m}")


def _plant(W: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Swap, in each row, the entry at its |argmax| with the entry at ``targets`` (B, n)."""
    a = argmax_neurons(W)
    bi, fi = np.indices(a.shape)
    at_a = W[bi, fi, a].copy()
    at_t = W[bi, fi, targets].copy()
    W[bi, fi, targets] = at_a
    W[bi, fi, a] = at_t
    return W


def _injection(rng: np.random.Generator, instances: int, size: int, m: int) -> np.ndarray:
    """A uniformly random injection of ``size`` items into m neurons per instance: (B, size)."""
    return np.argsort(rng.random((instances, m)), axis=1)[:, :size]


def collision_free_init(
    rng: np.random.Generator, instances: int, n: int, m: int, std: float
) -> np.ndarray:
    """W (instances, n, m), entries N(0, std²), every feature's argmax neuron distinct (module
    doc: the swap construction and why it keeps each entry's marginal). Needs m ≥ n."""
    _check_sizes(instances, n, m, n)
    W = rng.standard_normal((instances, n, m)) * std
    return _plant(W, _injection(rng, instances, n, m))


def planted_init(
    rng: np.random.Generator, instances: int, n: int, m: int, std: float, k: int, *, opposite: bool
) -> tuple[np.ndarray, np.ndarray]:
    """W (instances, n, m) with k feature pairs sharing their argmax neuron (signs opposite or
    equal there) and every other feature on a neuron of its own; and the pairs (instances, k, 2)
    of feature indices. Needs 2k ≤ n and m ≥ n − k."""
    if not isinstance(k, (int, np.integer)) or not 0 <= 2 * k <= n:
        raise ValueError(f"k must be an integer with 0 <= 2k <= n={n}, got {k!r}")
    _check_sizes(instances, n, m, n - k)
    W = rng.standard_normal((instances, n, m)) * std
    order = np.argsort(rng.random((instances, n)), axis=1)  # a random order of the features
    group = np.empty((instances, n), dtype=int)  # feature -> its group (pairs first)
    bi = np.arange(instances)[:, None]
    group[bi, order] = np.concatenate([np.repeat(np.arange(k), 2), np.arange(k, n - k)])[None]
    neuron = _injection(rng, instances, n - k, m)  # group -> its neuron (distinct)
    W = _plant(W, np.take_along_axis(neuron, group, axis=1))
    pairs = order[:, : 2 * k].reshape(instances, k, 2)
    if k:
        t = neuron[:, :k]  # the shared neurons (B, k)
        first = W[bi, pairs[..., 0], t]
        second = W[bi, pairs[..., 1], t]
        want = -np.sign(first) if opposite else np.sign(first)
        flip = want * np.sign(second)  # ±1 per pair
        W[bi, pairs[..., 1], :] *= flip[..., None]
    return W, pairs


def predict_planted(n: int, m: int, k: int, *, opposite: bool) -> float:
    """The static model's count for k planted pairs (and every other feature alone), by exact
    enumeration of a canonical planted assignment: k for opposite signs, 0 for equal signs."""
    W, _ = planted_init(np.random.default_rng(0), 1, n, m, 1.0, k, opposite=opposite)
    return float(static_count(W)[0])


q = sp.Symbol("q", nonnegative=True)  # the win probability of an uncontested initial argmax


def free_ratio() -> sp.Expr:
    """Collision-free count over the static expectation under the win-probability model: 1 − q²."""
    return 1 - q**2


def opposite_survival() -> sp.Expr:
    """Probability that a planted opposite-sign pair still shares a neuron: q² (both stay)."""
    return q**2


def predict_free_ratio(q_: float) -> float:
    """Numeric :func:`free_ratio` at q = ``q_``."""
    return float(free_ratio().subs(q, q_))


def predict_opposite_survival(q_: float) -> float:
    """Numeric :func:`opposite_survival` at q = ``q_``."""
    return float(opposite_survival().subs(q, q_))


def resample_expression() -> sp.Expr:
    """E[count after resampling] = E_exact(n, m)·(n − 1)/(2m) (module doc), sympy."""
    return collisions.exact_expectation() * (collisions.n - 1) / (2 * collisions.m)


def predict_resampled(n: int, m: int) -> float:
    """Numeric :func:`resample_expression` at (n, m)."""
    return float(resample_expression().subs({collisions.n: n, collisions.m: m}))


def resample_polysemantic(
    W: np.ndarray, on: np.ndarray, rng: np.random.Generator, std: float
) -> tuple[np.ndarray, np.ndarray]:
    """The resampling intervention: on every neuron holding two or more features (``on``, the
    count rule's mask (B, n, m)), keep the feature with the largest |W| and redraw the rows of the
    others with i.i.d. N(0, std²) entries. Returns the new W and the redrawn mask (B, n)."""
    W = np.array(W, dtype=float, copy=True)
    on = np.asarray(on, dtype=bool)
    poly = on.sum(axis=1) >= 2  # (B, m)
    mag = np.where(on & poly[:, None, :], np.abs(W), -np.inf)  # co-residents' weights
    keep = mag.argmax(axis=1)  # (B, m) the kept feature of each neuron
    loser = on & poly[:, None, :]
    bi, ki = np.nonzero(poly)
    loser[bi, keep[bi, ki], ki] = False
    redraw = loser.any(axis=2)  # (B, n)
    fresh = rng.standard_normal(W.shape) * std
    W[redraw] = fresh[redraw]
    return W, redraw
