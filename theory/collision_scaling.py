"""How the static collision count depends on n and m together, and what it needs of the winners.

``theory.collisions`` derives the static expectation E(n, m) = m·(1 − 2(1 − 1/2m)ⁿ + (1 − 1/m)ⁿ)
for features that land on their initial argmax. Two consequences are derived here with sympy.

**Only the placement law matters (the mechanism the claim ``collision-scaling`` tests).** Let each
feature land on neuron k with probability q_k (Σ q_k = 1), independently of the other features,
with a fair sign independent of where it lands. A neuron is polysemantic when it holds ≥ 1
positive and ≥ 1 negative feature, so by inclusion–exclusion over one neuron

    E_q[count] = Σ_k (1 − 2(1 − q_k/2)ⁿ + (1 − q_k)ⁿ)          (:func:`placement_expectation`)

Nothing in it says *how* the winner is chosen. Any rule that is (a) symmetric under relabelling
the neurons, so q_k = 1/m, (b) independent across features and (c) blind to the sign gives the
static expectation exactly (:func:`uniform_placement_ratio`, sympy: 1). The initial argmax under
gradient descent is one such rule; under the paper's AdamW the winner is mostly *not* the initial
argmax (``init-diagonal``), but (a) and (c) still hold by the symmetry of the init and of the
optimizer. So the static count predicts AdamW's count as well **unless training couples the
features' placements (b)** or favours some neurons: each term f(q) = 1 − 2(1 − q/2)ⁿ + (1 − q)ⁿ is
convex in q for q ≲ 1.38/n, so at m ≥ n a placement that favours some neurons (heterogeneous q)
raises the count (:func:`heterogeneity_excess`: the second-order term, positive there).

**Displacement: the finite-size correction the static model misses.** The static expectation
counts the neurons whose *initial* occupants include both signs. But a same-sign pair on one
neuron does not vanish: one feature stays, the other moves to its next-best neuron (with that
weight's sign), where it may meet an opposite-sign feature — a collision the static count never
sees. Iterated until no (neuron, sign) slot holds two features, the process ends with the n
features on n *distinct* slots of the 2m (neuron, sign) slots, with no slot favoured. The
**hard-core model** takes that end state as a uniformly random n-subset of the 2m slots: a neuron
is polysemantic when both its slots are taken, with probability C(2m−2, n−2)/C(2m, n), so

    E_hc[count] = m·n(n−1)/(2m(2m−1)) = n(n−1)/(2(2m − 1))           (:func:`hard_core_expectation`)

= n(n−1)/4m · (1 + 1/2m + …): the paper's n²/4m up to a relative 1/2m, where the static model's
next term is −(n−2)/2m (at m = n: 0.155n against 0.25n). ``sim.balls_bins.displaced_collisions``
runs the displacement process itself (a displaced feature redraws its neuron and sign);
tests/test_collision_scaling.py checks it against this expectation. ``theory.origins``'s
enforced-repulsion model is the same idea with features arriving in a fixed order, each taking
its best free slot (Monte Carlo, used by claim ``origins`` up to n = 2m); it sits 1–3 % below the
closed form at m ≤ 2n and on it from m = 4n (also tested).

**The count at fixed m/n grows linearly in n.** At m = r·n the static expectation tends to
c(r)·n with c(r) = r(1 − 2e^(−1/2r) + e^(−1/r)) (:func:`fixed_ratio_coefficient`), so the count's
exponent in n at fixed r tends to 1 (:func:`fixed_ratio_n_exponent`) and its level against the
static model does not drift with n: the law n²/4m read at fixed r is c(r)·n with c(r) → 1/(4r)
for r ≫ 1 (and 0.155 against 0.25 at r = 1).
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theory import collisions

__all__ = [
    "fixed_ratio_coefficient",
    "fixed_ratio_n_exponent",
    "hard_core_expectation",
    "hard_core_exponent",
    "heterogeneity_excess",
    "placement_expectation",
    "predict_fixed_ratio_coefficient",
    "predict_hard_core",
    "predict_sign_blind",
    "sign_blind_expectation",
    "uniform_placement_ratio",
]

n, m = collisions.n, collisions.m
r = sp.Symbol("r", positive=True)  # m/n
q = sp.Symbol("q", positive=True)  # one neuron's placement probability


def _one_neuron(q_: sp.Expr) -> sp.Expr:
    """P(the neuron holds ≥ 1 positive and ≥ 1 negative feature) when each of n features lands on
    it with probability q_ and a fair sign, independently: inclusion–exclusion."""
    return 1 - 2 * (1 - q_ / 2) ** n + (1 - q_) ** n


def placement_expectation(qs: list[sp.Expr]) -> sp.Expr:
    """E[count] for a placement law with neuron probabilities ``qs`` (Σ qs = 1)."""
    return sp.Add(*[_one_neuron(v) for v in qs])


@cache
def uniform_placement_ratio() -> float:
    """E_q[count] at q_k = 1/m divided by the static expectation of ``theory.collisions``,
    simplified by sympy: 1 (any neuron-symmetric, feature-independent, sign-blind rule)."""
    uniform = m * _one_neuron(1 / m)  # the m equal terms of placement_expectation
    return float(sp.simplify(uniform / collisions.exact_expectation()))


@cache
def heterogeneity_excess() -> sp.Expr:
    """The second-order change of E_q[count] when q_k = (1 + δ_k)/m with Σ δ_k = 0 and
    (1/m)Σ δ_k² = v: (v/2m)·f''(1/m), f the one-neuron term. The first order vanishes (Σ δ = 0);
    f''(1/m) > 0 where m ≳ n/1.38, so there a heterogeneous placement raises the count (returned
    as a function of n, m, v)."""
    v = sp.Symbol("v", nonnegative=True)
    f2 = sp.diff(_one_neuron(q), q, 2).subs(q, 1 / m)
    return sp.simplify(m * v * f2 / (2 * m**2))


@cache
def fixed_ratio_coefficient() -> sp.Expr:
    """c(r) = lim_{n→∞} E(n, r·n)/n, sympy: r(1 − 2e^(−1/(2r)) + e^(−1/r))."""
    expr = collisions.exact_expectation().subs(m, r * n) / n
    return sp.simplify(sp.limit(expr, n, sp.oo))


@cache
def fixed_ratio_n_exponent() -> float:
    """The count's exponent in n at fixed r = m/n: lim_{n→∞} d log E(n, rn)/d log n (sympy: 1,
    at every r; evaluated at r = 1, the ratio where the finite-size terms are largest)."""
    e = collisions.exact_expectation().subs(m, r * n)
    local = n * sp.diff(e, n) / e
    return float(sp.limit(local.subs(r, 1), n, sp.oo))


def predict_fixed_ratio_coefficient(r_: float) -> float:
    """Numeric c(r) at r = ``r_`` (> 0)."""
    if not r_ > 0:
        raise ValueError(f"r = m/n must be > 0, got {r_}")
    return float(fixed_ratio_coefficient().subs(r, r_))


@cache
def hard_core_expectation() -> sp.Expr:
    """E[#neurons with both slots taken] when n features take n distinct (neuron, sign) slots of
    the 2m, uniformly: m·C(2m−2, n−2)/C(2m, n), simplified by sympy to n(n−1)/(2(2m − 1))."""
    both = sp.binomial(2 * m - 2, n - 2) / sp.binomial(2 * m, n)
    return sp.factor(sp.simplify(sp.combsimp(m * both)))


def predict_hard_core(n_: int, m_: float) -> float:
    """Numeric :func:`hard_core_expectation` at (n, m) (n ≤ 2m: n distinct slots must exist)."""
    if not 1 <= n_ <= 2 * m_:
        raise ValueError(f"the hard-core model needs 1 <= n <= 2m, got n={n_}, m={m_}")
    return float(hard_core_expectation().subs({n: n_, m: m_}))


def hard_core_exponent(n_: int, grid: list[float]) -> float:
    """The hard-core model's own exponent on ``grid`` at n = ``n_`` (Poisson fit to its
    expectations, equal weight per m: ``theory.collisions.model_exponent``)."""
    return collisions.model_exponent(lambda v: predict_hard_core(n_, v), grid)


@cache
def sign_blind_expectation() -> sp.Expr:
    """E[#neurons holding ≥ 2 features] when every co-resident pair survives whatever its signs
    (the wrong model the claim's control judges): m(1 − (1 − 1/m)ⁿ − (n/m)(1 − 1/m)^(n−1))."""
    p = 1 / m
    return m * (1 - (1 - p) ** n - n * p * (1 - p) ** (n - 1))


def predict_sign_blind(n_: int, m_: int) -> float:
    """Numeric :func:`sign_blind_expectation` at (n, m)."""
    return float(sign_blind_expectation().subs({n: n_, m: m_}))
