"""Block structure of the static model of incidental collisions (issue 27, claim ``geometry``).

Blocks. Feature i is *on* neuron k when its weight there lies in the paper's window; two features
are in one block when they share a neuron, taken transitively (the connected components of the
feature–neuron bipartite graph). A feature on no neuron is a block of its own.

The static model (:mod:`theory.collisions`). Each of n features lands on one of m neurons uniformly
at random (the argmax of its i.i.d. initial weights) with a random sign, and stays on that one
neuron only. A neuron keeps at most one positive and one negative feature (its capacity is 2,
:func:`theory.origins.neuron_capacity`): same-sign co-residents repel. The model says nothing of
where a repelled feature goes — :func:`theory.collisions.exact_expectation` counts a neuron
polysemantic iff it holds ≥ 1 positive and ≥ 1 negative feature, and counts no new collision
elsewhere — so here a neuron that received features of both signs keeps one of each (a block of 2)
and every other feature is a block of 1 (a surplus same-sign feature settles alone). Hence:

* no block has 3 or more features (one neuron per feature, 2 features per neuron);
* E[#blocks of size 2] = E[#polysemantic neurons] = m(1 − 2(1 − 1/2m)ⁿ + (1 − 1/m)ⁿ);
* E[fraction of features in blocks of size 2] = 2·that/n; of size 1 the rest;
* E[#blocks] = n − E[#blocks of size 2].

:func:`block_counts_enumerated` checks these by exact enumeration of all (2m)ⁿ placements at
small (n, m).

The mutant without the sign rule keeps every feature on its landing neuron: the blocks are the
occupied neurons, so a feature is in a block of size k with probability
C(n−1, k−1)(1/m)^(k−1)(1 − 1/m)^(n−k), and an instance holds a block of ≥ 3 features unless every
neuron receives ≤ 2 (:func:`p_crowded_no_sign`, exact).

Architecture. A co-resident pair on a basis-aligned zero-loss optimum (weights ±1 on one neuron)
feeds each other act(s_i·s_j) = act(−1) for opposite signs: zero for a ReLU output, nonzero for a
linear output (−1) or a GeLU (−Φ(−1) ≈ −0.159). :func:`neuron_capacity` is 2 where act(−1) = 0
and 1 otherwise (same signs never: act(1) ≠ 0), so with a linear or GeLU output the zero-loss
picture predicts no block of size 2.

Within a block. A learned feature's one weight w solves the stationary condition of
(w² − 1)² + λw, 4w(w² − 1) + λ = 0 (:func:`norm_root`, ≈ 1 − λ/8); an opposite-sign partner adds
ReLU(−w²)² = 0 and changes nothing. Under SGD at learning rate η the entries that L1 holds at 0
oscillate within ±ηλ, so two features of different blocks overlap by at most
ε = 2ηλ·w + (m − 2)(ηλ)² (:func:`cross_block_bound`: the two entries facing each one's weight,
and the residues elsewhere). Scherlis et al.'s capacity C_i = (W_i·W_i)²/Σ_j (W_i·W_j)² is then
1 for a block of one and ½ for each of a pair on one neuron (W_i·W_j = −w²): each block's
capacities sum to the number of neurons it spans, 1, up to a deficit of at most (n − 1)ε²/w⁴
(:func:`capacity_deficit`).

This module knows nothing of ``sim`` or ``claims``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from functools import cache

import sympy as sp

from . import collisions, origins

__all__ = [
    "ACTIVATIONS",
    "block_counts_enumerated",
    "capacity_deficit",
    "cross_block_bound",
    "max_block_size",
    "neuron_capacity",
    "no_sign_fraction",
    "norm_root",
    "p_crowded_no_sign",
    "p_large_block",
    "pair_blocks",
    "pair_fraction",
    "pair_fraction_expr",
]

n, m = sp.symbols("n m", positive=True)
_z = sp.Symbol("z", real=True)

# the output nonlinearities, as sympy functions of the pre-activation
ACTIVATIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "relu": lambda z: sp.Max(0, z),
    "gelu": lambda z: z * (1 + sp.erf(z / sp.sqrt(2))) / 2,
    "none": lambda z: z,
}


@cache
def neuron_capacity(activation: str = "relu") -> int:
    """The most features one neuron holds on a zero-loss basis-aligned optimum with output
    ``activation``: 2 when act(−1) = 0 (opposite signs feed each other nothing), else 1 (same
    signs never: act(1) = 1 ≠ 0). For the ReLU it agrees with
    :func:`theory.origins.neuron_capacity`."""
    act = ACTIVATIONS[activation]
    if sp.simplify(act(sp.Integer(1))) == 0:
        raise ValueError(f"act(1) = 0 for {activation!r}: a feature could not reproduce itself")
    cap = 2 if sp.simplify(act(sp.Integer(-1))) == 0 else 1
    if activation == "relu":
        assert cap == origins.neuron_capacity()
    return cap


def max_block_size(activation: str = "relu") -> int:
    """The largest block of the static model: each feature sits on one neuron, so a block is one
    neuron's features, at most :func:`neuron_capacity`."""
    return neuron_capacity(activation)


def p_large_block(n_: int, m_: int, activation: str = "relu") -> float:
    """P(a model has a block of ≥ 3 features) in the static model: 0 where
    :func:`max_block_size` is below 3 (each block is one neuron's features); a neuron that could
    keep every feature it receives would give :func:`p_crowded_no_sign`."""
    return 0.0 if max_block_size(activation) < 3 else p_crowded_no_sign(n_, m_)


@cache
def pair_blocks() -> sp.Expr:
    """E[#blocks of size 2] in the static model with capacity 2: the neurons holding a positive
    and a negative feature, :func:`theory.collisions.exact_expectation`."""
    return collisions.exact_expectation()


@cache
def pair_fraction_expr() -> sp.Expr:
    """E[fraction of features in blocks of size 2] = 2·E[#pairs]/n."""
    return 2 * pair_blocks() / n


@cache
def _pair_fraction_fn() -> Callable[[float, float], float]:
    return sp.lambdify((n, m), pair_fraction_expr(), "math")


def pair_fraction(n_: int, m_: int, activation: str = "relu") -> float:
    """Numeric E[fraction of features in blocks of size 2] at (n, m); 0 where the neuron capacity
    of ``activation`` is 1."""
    if n_ < 1 or m_ < 1:
        raise ValueError(f"need n, m >= 1, got n={n_}, m={m_}")
    if neuron_capacity(activation) < 2:
        return 0.0
    return float(_pair_fraction_fn()(n_, m_))


def no_sign_fraction(n_: int, m_: int) -> float:
    """The mutant without the sign rule: E[fraction of features sharing their neuron] =
    1 − (1 − 1/m)^(n−1) (sympy)."""
    expr = 1 - (1 - 1 / m) ** (n - 1)
    return float(expr.subs({n: n_, m: m_}))


def p_crowded_no_sign(n_: int, m_: int) -> float:
    """The mutant without the sign rule: P(some neuron receives ≥ 3 of the n features), exact:
    1 − Σ_k (ways with k neurons holding two and n − 2k holding one)/mⁿ."""
    ok = 0
    for k in range(n_ // 2 + 1):
        singles = n_ - 2 * k
        if k + singles > m_:
            continue
        neurons = math.comb(m_, k) * math.comb(m_ - k, singles)
        features = math.factorial(n_) // (2**k)
        ok += neurons * features
    return float(1 - sp.Rational(ok, m_**n_))


def block_counts_enumerated(n_: int, m_: int) -> dict[int, sp.Rational]:
    """Exact E[#blocks of each size] of the static model by enumerating all (2m)ⁿ placements
    (neuron, sign) of the n features: a neuron with ≥ 1 positive and ≥ 1 negative feature makes
    one block of 2, every other feature a block of 1. For checks at small n, m."""
    total = (2 * m_) ** n_
    acc: dict[int, int] = {1: 0, 2: 0}
    for place in itertools.product(range(2 * m_), repeat=n_):
        pos = {p // 2 for p in place if p % 2 == 0}
        neg = {p // 2 for p in place if p % 2 == 1}
        pairs = len(pos & neg)
        acc[2] += pairs
        acc[1] += n_ - 2 * pairs
    return {k: sp.Rational(v, total) for k, v in acc.items()}


@cache
def norm_root(lam: float) -> float:
    """The learned weight w of a feature alone on its neuron (or with an opposite-sign partner):
    the root near 1 of 4w(w² − 1) + λ = 0 (sympy, 30 digits), ≈ 1 − λ/8."""
    if not 0 <= lam < 1:
        raise ValueError(f"need 0 <= λ < 1 for a root near 1, got {lam}")
    w = sp.Symbol("w", positive=True)
    return float(sp.nsolve(4 * w * (w**2 - 1) + sp.nsimplify(lam), w, 1.0, prec=30))


def cross_block_bound(m_: int, lr: float, lam: float) -> float:
    """ε: the largest |W_i·W_j| of two features in different blocks under SGD at learning rate
    ``lr`` and L1 coefficient ``lam``: entries held at 0 oscillate within ±ηλ, so
    |W_i·W_j| ≤ 2ηλ·w + (m − 2)(ηλ)², w = :func:`norm_root`."""
    r = lr * lam
    return 2 * r * norm_root(lam) + (m_ - 2) * r * r


def capacity_deficit(n_: int, m_: int, lr: float, lam: float) -> float:
    """The most a block's capacity sum falls below its dimension when every cross-block overlap
    is ≤ ε: C_i ≥ w⁴/(w⁴·s + (n − 1)ε²) for a block of s on one neuron, a relative deficit
    ≤ (n − 1)ε²/w⁴."""
    eps = cross_block_bound(m_, lr, lam)
    return (n_ - 1) * eps**2 / norm_root(lam) ** 4
