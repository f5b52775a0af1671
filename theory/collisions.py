"""The static balls-and-bins model of incidental collisions, derived with sympy.

n features each land on one of m neurons uniformly at random (the argmax of m i.i.d. continuous
initial weights) with a random sign (±, even odds). A neuron ends up polysemantic when it holds a
positive and a negative feature (same-sign co-residents repel; opposite signs cost nothing, since
ReLU(−1) = 0). For one neuron:

    P(no positive feature) = (1 − 1/(2m))ⁿ,   P(no feature) = (1 − 1/m)ⁿ,
    P(≥1 positive and ≥1 negative) = 1 − 2(1 − 1/(2m))ⁿ + (1 − 1/m)ⁿ   (inclusion–exclusion),

so E[count] = m·(1 − 2(1 − 1/(2m))ⁿ + (1 − 1/m)ⁿ). Its expansion in 1/m is derived by sympy:
n(n−1)/(4m) − n(n−1)(n−2)/(8m²) + …, the paper's n²/4m at leading order.

Exponents: the leading term's exponent in m is the limit of its local log-log slope
d log E / d log m (sympy: −1). On a finite grid of m the exact expectation is not a power law;
its own exponent there (:func:`exact_exponent`) is the power law c·m^b fitted to the exact
expectations by Poisson maximum likelihood with equal weight per grid point — the value a
Poisson fit of counts drawn from the static model (equal replicates per m) converges to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
import sympy as sp

__all__ = [
    "exact_expectation",
    "exact_exponent",
    "leading_exponent",
    "leading_term",
    "local_exponent",
    "model_exponent",
    "predict_exact",
    "predict_leading",
    "predict_rare_cooccurrence",
    "rare_cooccurrence_bound",
    "series",
]

n, m = sp.symbols("n m", positive=True)
_eps = sp.symbols("epsilon", positive=True)  # 1/m


@cache
def exact_expectation() -> sp.Expr:
    """E[#neurons with ≥1 positive and ≥1 negative feature], by inclusion–exclusion over one bin."""
    p_in = 1 / m  # a feature lands on a given neuron
    p_no_pos = (1 - p_in / 2) ** n  # no feature lands there with a + sign
    p_no_neg = (1 - p_in / 2) ** n
    p_empty = (1 - p_in) ** n
    p_both = 1 - p_no_pos - p_no_neg + p_empty
    return m * p_both


@cache
def series(order: int = 3) -> sp.Expr:
    """The expansion of the exact expectation in 1/m up to (1/m)^(order−1), with its O term."""
    expr = exact_expectation().subs(m, 1 / _eps)
    s = sp.series(expr, _eps, 0, order).removeO()
    return sp.expand(sp.factor_terms(s)).subs(_eps, 1 / m)


@cache
def leading_term() -> sp.Expr:
    """The leading term of :func:`series`: n(n−1)/(4m)."""
    expr = exact_expectation().subs(m, 1 / _eps)
    lead = sp.series(expr, _eps, 0, 2).removeO()
    return sp.factor(sp.simplify(lead.subs(_eps, 1 / m)))


@cache
def _lambdified(which: str) -> Callable[[float, float], float]:
    expr = {"exact": exact_expectation(), "leading": leading_term()}[which]
    return sp.lambdify((n, m), expr, "math")


def predict_exact(n_: int, m_: int) -> float:
    """Numeric exact expectation at (n, m)."""
    return float(_lambdified("exact")(n_, m_))


def predict_leading(n_: int, m_: int) -> float:
    """Numeric n(n−1)/(4m) at (n, m), evaluated from the derived expression."""
    return float(_lambdified("leading")(n_, m_))


@cache
def rare_cooccurrence_bound() -> sp.Expr:
    """The largest co-occurrence probability p at which co-occurrence is still rare, in the sense
    of the LessWrong exchange: a feature's expected number of co-active partners, (n−1)p, stays
    below ½. Solved with sympy: p = 1/(2(n−1))."""
    p = sp.Symbol("p", positive=True)
    (root,) = sp.solve(sp.Eq((n - 1) * p, sp.Rational(1, 2)), p)
    return root


def predict_rare_cooccurrence(n_: int) -> float:
    """Numeric :func:`rare_cooccurrence_bound` at n = ``n_`` (n ≥ 2)."""
    if n_ < 2:
        raise ValueError(f"n must be >= 2 for a co-occurrence bound, got {n_}")
    return float(rare_cooccurrence_bound().subs(n, n_))


def local_exponent(expr: sp.Expr) -> sp.Expr:
    """The local log-log slope d log(expr) / d log m = m·∂_m expr / expr."""
    return sp.simplify(m * sp.diff(expr, m) / expr)


@cache
def leading_exponent() -> float:
    """The exponent of the count in m at leading order: lim_{m→∞} of the local log-log slope of
    :func:`leading_term` (sympy), −1."""
    return float(sp.limit(local_exponent(leading_term()), m, sp.oo))


def exact_exponent(n_: int, grid: Sequence[float], iters: int = 60) -> float:
    """The exact static model's own exponent on ``grid`` at n = ``n_``: the slope b of c·m^b
    fitted to the exact expectations E_j at the grid's m_j by Poisson maximum likelihood with equal
    weight per point (:func:`model_exponent`)."""
    return model_exponent(lambda v: predict_exact(n_, v), grid, iters)


def model_exponent(
    expectation: Callable[[float], float], grid: Sequence[float], iters: int = 60
) -> float:
    """A model's own exponent on ``grid``: the slope b of c·m^b fitted to its expectations
    E_j = ``expectation(m_j)`` by Poisson maximum likelihood with equal weight per point, i.e. the
    root of Σ_j (E_j − c·m_j^b)·(1, log m_j) = 0 (Newton's method from the least-squares fit of
    log E_j on log m_j) — the value a Poisson fit of counts drawn from the model (equal replicates
    per m) converges to."""
    u = np.log(np.asarray(grid, dtype=float))
    if u.size < 2 or np.unique(u).size < 2:
        raise ValueError(f"a model exponent needs at least two distinct grid values, got {grid}")
    e = np.array([expectation(float(v)) for v in np.exp(u)])
    uc = u - u.mean()
    b = float((np.log(e) * uc).sum() / (uc * uc).sum())
    a = float(np.log(e).mean() - b * u.mean())
    for _ in range(iters):
        mu = np.exp(a + b * u)
        r = e - mu
        g = np.array([r.sum(), (r * u).sum()])
        h = np.array([[mu.sum(), (mu * u).sum()], [(mu * u).sum(), (mu * u * u).sum()]])
        da, db = np.linalg.solve(h, g)
        a, b = a + da, b + db
        if abs(db) < 1e-14:
            break
    return float(b)
