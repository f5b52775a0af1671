"""Capacity (Scherlis et al. 2210.01892), derived with sympy.

Where the reader is: the symbolic side of the claims ``capacity-bound`` and
``capacity-allocation`` (catalogue §2 and §3 T-4). Tags say where each result comes from:
*Scherlis et al.* — the definition of capacity, the bound ΣC_i ≤ d, the quadratic toy model and
the qualitative picture (kurtosis decides, importance ranks); *derived here* — every closed form
below (catalogue [DER]: the source text was not retrievable, so none of them is quoted):

* :func:`capacity_expr` — C_i = (W_i·W_i)² / Σ_j (W_i·W_j)²  (Scherlis et al.'s definition);
* :func:`frame_capacity` — C_i of a unit-norm frame (regular k-gon, tetrahedron, square
  antiprism at its tight height), exact rationals; d/k for a tight frame (derived here);
* :func:`shared_neuron_capacity`, :func:`waste_per_shared_feature` — f features embedded on one
  neuron alone hold ΣC = 1 whatever their weights, so each feature beyond the first wastes one
  dimension (derived here);
* :func:`quadratic_loss` — the expected loss of ŷ = xᵀWᵀWx + b against y = Σ v_i x_i² for
  i.i.d. symmetric inputs with E x² = 1, E x⁴ = K, optimal bias, derived from the model by
  taking moments of the expanded polynomial (derived here): (K−1)Σ(v_i − G_ii)² + 2Σ_{i≠j} G_ij²;
* :func:`loss_of_capacity` — L_i(C) after optimising ‖W_i‖² at fixed C (derived here);
* :func:`marginal`, :func:`curvature` — −dL_i/dC and d²L_i/dC² (convex iff K > 3, derived here);
* :func:`thresholds`, :func:`interior_capacity` — the KKT allocation at multiplier λ (derived);
* :func:`phase_boundary` — two features in one dimension: both represented iff v₂/v₁ > 2/(K−1).

Nothing here knows of ``sim`` or ``claims``; numeric predictors are lambdified from the derived
expressions, never typed in.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache

import sympy as sp

__all__ = [
    "C",
    "K",
    "capacity_expr",
    "curvature",
    "frame_capacity",
    "frame_vectors",
    "interior_capacity",
    "lam",
    "loss_of_capacity",
    "marginal",
    "numeric",
    "optimal_norm",
    "phase_boundary",
    "phase_capacity",
    "quadratic_loss",
    "quadratic_loss_reference",
    "r",
    "shared_neuron_capacity",
    "thresholds",
    "v",
    "waste_per_shared_feature",
]

K = sp.Symbol("K", positive=True)  # kurtosis E x⁴ / (E x²)² of the inputs
v = sp.Symbol("v", positive=True)  # a feature's importance
C = sp.Symbol("C", nonnegative=True)  # a feature's capacity
lam = sp.Symbol("lambda", positive=True)  # the Lagrange multiplier of Σ C_i <= d
r = sp.Symbol("r", positive=True)  # importance ratio v₂/v₁ of two features
_s = sp.Symbol("s", positive=True)  # ‖W_i‖² = G_ii
_q = sp.Symbol("q", nonnegative=True)  # Σ_{j≠i} G_ij²


def capacity_expr(n_features: int = 3, i: int = 0) -> sp.Expr:
    """C_i = G_ii² / Σ_j G_ij² in terms of Gram-matrix symbols G_ij (G symmetric)."""
    G = _gram_symbols(n_features)
    return G[i, i] ** 2 / sum(G[i, j] ** 2 for j in range(n_features))


def _gram_symbols(n_features: int) -> sp.Matrix:
    return sp.Matrix(
        n_features, n_features, lambda i, j: sp.Symbol(f"G{min(i, j)}{max(i, j)}", real=True)
    )


# -- tight frames (catalogue §3 T-4) --------------------------------------------------------------


def frame_vectors(name: str) -> sp.Matrix:
    """Exact unit vectors (rows) of a named frame: ``"antipodal"`` (d = 1, k = 2), ``"k-gon"`` for
    k >= 2 (regular polygon in d = 2), ``"tetrahedron"`` (d = 3, k = 4), ``"square-antiprism"``
    (d = 3, k = 8) at the height that makes it a tight frame (solved here, not assumed)."""
    if name == "antipodal":
        return sp.Matrix([[1], [-1]])
    if name.endswith("-gon"):
        k = int(name.split("-")[0])
        return sp.Matrix([[sp.cos(2 * sp.pi * j / k), sp.sin(2 * sp.pi * j / k)] for j in range(k)])
    if name == "tetrahedron":
        return sp.Matrix([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / sp.sqrt(3)
    if name == "square-antiprism":
        h = _antiprism_height()
        rows = [
            [sp.cos(sp.pi * j / 4), sp.sin(sp.pi * j / 4), h if j % 2 == 0 else -h]
            for j in range(8)
        ]
        return sp.Matrix(rows) / sp.sqrt(1 + h**2)
    raise ValueError(
        f"unknown frame {name!r}; known: antipodal, <k>-gon, tetrahedron, square-antiprism"
    )


@cache
def _antiprism_height() -> sp.Expr:
    """The height h at which the square antiprism (cos, sin, ±h) is a tight frame: its frame
    operator Σ v vᵀ = diag(4, 4, 8h²) is a multiple of I iff 8h² = 4 (the D4d symmetry alone leaves
    h free)."""
    h = sp.Symbol("h", positive=True)
    rows = [
        sp.Matrix([[sp.cos(sp.pi * j / 4), sp.sin(sp.pi * j / 4), h if j % 2 == 0 else -h]])
        for j in range(8)
    ]
    S = sum((row.T * row for row in rows), sp.zeros(3, 3))
    (sol,) = sp.solve(sp.Eq(sp.simplify(S[2, 2]), sp.simplify(S[0, 0])), h)
    return sol


def frame_capacity(name: str) -> list[sp.Expr]:
    """Exact C_i of every vector of the frame (simplified): d/k for a tight frame."""
    V = frame_vectors(name)
    G = (V * V.T).applyfunc(sp.nsimplify)
    caps = []
    for i in range(G.rows):
        denom = sp.nsimplify(sp.simplify(sum(G[i, j] ** 2 for j in range(G.cols))))
        caps.append(sp.nsimplify(sp.simplify(G[i, i] ** 2 / denom)))
    return caps


# -- features sharing one neuron ------------------------------------------------------------------


@cache
def shared_neuron_capacity(f: int) -> sp.Expr:
    """Σ C_i of f features embedded on one neuron and nowhere else, W_i = a_i e (any non-zero
    a_i, any signs): the Gram matrix G_ij = a_i a_j has rank 1, and the capacity formula
    (:func:`capacity_expr`) gives C_i = a_i² / Σ_j a_j², so ΣC = 1 (derived here)."""
    a = sp.symbols(f"a0:{f}", real=True, nonzero=True)
    gram = {sp.Symbol(f"G{i}{j}", real=True): a[i] * a[j] for i in range(f) for j in range(i, f)}
    return sp.simplify(sum(capacity_expr(f, i).subs(gram) for i in range(f)))


@cache
def waste_per_shared_feature(f_max: int = 4) -> sp.Expr:
    """Dimensions wasted per feature beyond the first on a shared neuron: the waste
    f − ΣC_i of f = 1…f_max features on one neuron (:func:`shared_neuron_capacity`) must grow by
    one constant step, which is returned (derived here: 1, so a neuron holding f features wastes
    f − 1 dimensions)."""
    waste = [f - shared_neuron_capacity(f) for f in range(1, f_max + 1)]
    steps = {sp.simplify(b - a) for a, b in itertools.pairwise(waste)}
    if len(steps) != 1:
        raise ArithmeticError(f"the waste {waste} is not linear in the number of features")
    (step,) = steps
    return step


# -- the quadratic toy model ----------------------------------------------------------------------


@cache
def quadratic_loss(n_features: int = 3) -> sp.Expr:
    """E(y − ŷ)² at the optimal bias, derived from the model: y = Σ v_i x_i², ŷ = Σ_ij G_ij x_i x_j
    + b, x_i i.i.d. symmetric with E x² = 1, E x⁴ = K. The square is expanded and every monomial
    replaced by its moment (odd moments vanish); the bias is then minimised out."""
    x = sp.symbols(f"x0:{n_features}", real=True)
    vs = sp.symbols(f"v0:{n_features}", positive=True)
    G = _gram_symbols(n_features)
    b = sp.Symbol("b", real=True)
    y = sum(vs[i] * x[i] ** 2 for i in range(n_features))
    yhat = sum(G[i, j] * x[i] * x[j] for i in range(n_features) for j in range(n_features)) + b
    poly = sp.Poly(sp.expand((y - yhat) ** 2), *x)
    moment = {0: sp.Integer(1), 1: sp.Integer(0), 2: sp.Integer(1), 3: sp.Integer(0), 4: K}
    expected = sum(
        coeff * sp.prod([moment[k] for k in powers])
        for powers, coeff in zip(poly.monoms(), poly.coeffs(), strict=True)
    )
    (b_opt,) = sp.solve(sp.diff(expected, b), b)
    return sp.expand(expected.subs(b, b_opt))


def quadratic_loss_reference(n_features: int = 3) -> sp.Expr:
    """The catalogue's closed form (K−1)Σ(v_i − G_ii)² + 2Σ_{i≠j} G_ij², to compare with
    :func:`quadratic_loss` (the test and the claim check they are identical)."""
    vs = sp.symbols(f"v0:{n_features}", positive=True)
    G = _gram_symbols(n_features)
    diag = sum((vs[i] - G[i, i]) ** 2 for i in range(n_features))
    off = sum(G[i, j] ** 2 for i, j in itertools.permutations(range(n_features), 2))
    return sp.expand((K - 1) * diag + 2 * off)


@cache
def _per_feature_loss() -> sp.Expr:
    """Feature i's share of :func:`quadratic_loss`: (K−1)(v − s)² + 2q, s = G_ii, q = Σ_{j≠i} G_ij²
    (read off the derived loss: G_ij² appears with coefficient 2 once per ordered pair)."""
    L = quadratic_loss(2)
    G = _gram_symbols(2)
    v0 = sp.Symbol("v0", positive=True)
    # the loss for two features is f(v0, G00) + f(v1, G11) + 4 G01²: feature 0 owns half the
    # pair term
    share = sp.expand(L.subs({sp.Symbol("v1", positive=True): 0, G[1, 1]: 0})) - 2 * G[0, 1] ** 2
    q2 = sp.Symbol("q2", nonnegative=True)
    return sp.expand(share.subs({v0: v, G[0, 0]: _s}).subs(G[0, 1] ** 2, q2).subs(q2, _q))


@cache
def optimal_norm() -> sp.Expr:
    """‖W_i‖²* at fixed capacity C: minimises the per-feature loss over s, with q = s²(1 − C)/C
    (solved from C = s²/(s² + q))."""
    q_of = sp.solve(sp.Eq(C, _s**2 / (_s**2 + _q)), _q)[0]
    Ls = _per_feature_loss().subs(_q, q_of)
    sols = [z for z in sp.solve(sp.diff(Ls, _s), _s) if z != 0]
    return sp.factor(sp.simplify(sols[0]))


@cache
def loss_of_capacity() -> sp.Expr:
    """L_i(C): the per-feature loss at the optimal norm (derived here)."""
    q_of = sp.solve(sp.Eq(C, _s**2 / (_s**2 + _q)), _q)[0]
    Ls = _per_feature_loss().subs(_q, q_of).subs(_s, optimal_norm())
    return sp.factor(sp.simplify(Ls))


@cache
def marginal() -> sp.Expr:
    """The marginal benefit of capacity, −dL_i/dC (derived here)."""
    return sp.factor(sp.simplify(-sp.diff(loss_of_capacity(), C)))


@cache
def curvature() -> sp.Expr:
    """d²L_i/dC² (derived here): its sign is the sign of K − 3 on 0 <= C <= 1."""
    return sp.factor(sp.simplify(sp.diff(loss_of_capacity(), C, 2)))


@cache
def thresholds() -> dict[str, sp.Expr]:
    """Importance thresholds at multiplier λ (derived here): a feature is ignored when its marginal
    benefit at C = 0 is at most λ, monosemantic when its marginal at C = 1 is at least λ."""
    at0 = sp.Eq(marginal().subs(C, 0), lam)
    at1 = sp.Eq(marginal().subs(C, 1), lam)
    return {"ignored_below": _root(sp.solve(at0, v)), "monosemantic_above": _root(sp.solve(at1, v))}


def _root(solutions: list[sp.Expr], point: dict | None = None) -> sp.Expr:
    """The root that is admissible where the model lives (K > 1, λ > 0): positive importance, or
    (for capacities, with ``point``) inside [0, 1]. Checked at a sample point of that region."""
    at = {K: 10, lam: sp.Rational(1, 3), r: sp.Rational(1, 2), v: sp.Rational(1, 4)}
    if point is None:
        good = [s for s in solutions if s.subs(at) > 0]
    else:
        good = [s for s in solutions if 0 <= s.subs(at) <= 1]
    if len(good) != 1:
        raise ArithmeticError(f"expected one admissible root among {solutions}, found {good}")
    return sp.factor(sp.simplify(good[0]))


@cache
def interior_capacity() -> sp.Expr:
    """C(v) of a polysemantic feature, from marginal = λ (derived here): linear in v."""
    # two roots of a quadratic in (2 + (K−3)C); the admissible one has 2 + (K−3)C > 0
    sols = sp.solve(sp.Eq(marginal(), lam), C)
    good = [s for s in sols if (2 + (K - 3) * s).subs({K: 10, v: 1, lam: 1}) > 0]
    return sp.factor(sp.simplify(good[0]))


@cache
def phase_capacity() -> sp.Expr:
    """C₁ of the stronger of two features sharing one dimension (C₂ = 1 − C₁), from equal marginal
    benefits, with v₁ = 1 and v₂ = r (derived here)."""
    c1 = sp.Symbol("c1")
    m1 = marginal().subs({v: 1, C: c1})
    m2 = marginal().subs({v: r, C: 1 - c1})
    return _root(sp.solve(sp.Eq(m1, m2), c1), point={})


@cache
def phase_boundary() -> sp.Expr:
    """r* where the shared solution reaches C₁ = 1: for r below it the weaker feature is dropped
    (derived here: 2/(K−1))."""
    return _root(sp.solve(sp.Eq(phase_capacity(), 1), r))


def numeric(expr: sp.Expr, *args: sp.Symbol) -> Callable[..., float]:
    """A numpy function of ``args`` evaluating ``expr`` (the claims' numeric predictors)."""
    return sp.lambdify(args, expr, "numpy")
