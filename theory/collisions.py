"""The static balls-and-bins model of incidental collisions, derived with sympy.

n features each land on one of m neurons uniformly at random (the argmax of m i.i.d. continuous
initial weights) with a random sign (±, even odds). A neuron ends up polysemantic when it holds a
positive and a negative feature (same-sign co-residents repel; opposite signs cost nothing, since
ReLU(−1) = 0). For one neuron:

    P(no positive feature) = (1 − 1/(2m))ⁿ,   P(no feature) = (1 − 1/m)ⁿ,
    P(≥1 positive and ≥1 negative) = 1 − 2(1 − 1/(2m))ⁿ + (1 − 1/m)ⁿ   (inclusion–exclusion),

so E[count] = m·(1 − 2(1 − 1/(2m))ⁿ + (1 − 1/m)ⁿ). Its expansion in 1/m is derived by sympy:
n(n−1)/(4m) − n(n−1)(n−2)/(8m²) + …, the paper's n²/4m at leading order.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy as sp

__all__ = ["exact_expectation", "leading_term", "predict_exact", "predict_leading", "series"]

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
