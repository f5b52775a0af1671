"""Interference between features in the tied autoencoder, derived with sympy (catalogue P1-INT-1…3).

The loss without L1 and noise, L = Σ_i Σ_j (ReLU(W_i·W_j) − δ_ij)² (``sim/autoencoder.py``), is
differentiated for a small symbolic W (n = 3 features, m = 2 neurons, every entry a symbol), with
ReLU(z) = z·H(z) (z·δ(z) = 0, H² = H, and H(‖W_i‖²) = 1 for a non-zero row):

* :func:`gradient_terms` — −∂L/∂W_i = c_self (1 − ‖W_i‖²) W_i + c_pair Σ_{j≠i} ReLU(W_i·W_j) W_j,
  with c_self = 4 and c_pair = −4 read off the derivative (:func:`pair_constant`). Only positively
  aligned pairs enter (the "sign condition"): ReLU(W_i·W_j) = 0 when W_i·W_j ≤ 0.
* :func:`time_unit` — code time τ = c_self·η·t makes the self term (1 − ‖W_i‖²)W_i, the paper
  code's ODE (as :func:`theory.l1_decay.time_units`); in code units the pair term is
  −Σ_{j≠i} ReLU(W_i·W_j) W_j (c_pair / c_self = −1), the catalogue's formula. :func:`pair_force`
  evaluates it on numeric W.
* :func:`init_strength_expr` — the pair term's contribution to d‖W_i‖²/dτ is
  2 W_i·(−Σ ReLU(W_i·W_j)W_j) = −2 Σ_{j≠i} ReLU(W_i·W_j)². At the N(0, 1/m) init,
  Z = W_i·W_j ≈ N(0, 1/m), and the integral against the normal density gives E[ReLU(Z)²] =
  Var Z / 2 (:func:`relu_square_moment`), so the expectation is −(n − 1)/m. The identity is in
  fact exact for every m: Z is symmetric (W_j → −W_j), so E[ReLU(Z)²] = E[Z²]/2 and
  E[Z²] = m·(1/m)² = 1/m exactly; the Gaussian law is not needed.
* :func:`strength_m_exponent`, :func:`strength_n_exponent` — the limits of the local log-log
  slopes of the strength in m (−1) and in n − 1 (+1).
* :func:`decorrelation` — a positively aligned pair a = W_i, b = W_j with every other feature
  frozen and switched off (their forces are Θ(n/m)): ȧ = (1 − A)a − z b, ḃ = (1 − B)b − z a with
  A = ‖a‖², B = ‖b‖², z = a·b > 0. Inner products of the derivatives are taken through the Gram
  matrix of (a, b), so ż, Ȧ, Ḃ follow by bilinearity, and the cosine κ = z/√(AB) obeys exactly
  dκ/dτ = −κ (A + B)(1 − κ²): relative decay rate (A + B)(1 − κ²), which is A + B up to second
  order in κ (:func:`predict_decorrelation_rate`), 2 once the norms are 1.

Symbols are in code units unless the name says ``real``. This module knows nothing of ``sim`` or
``claims``; ``tests/test_interference.py`` checks the gradient against torch autograd and the
moment identity by quadrature and sampling.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

__all__ = [
    "decorrelation",
    "decorrelation_rate_expr",
    "gradient_terms",
    "init_strength_expr",
    "pair_constant",
    "pair_force",
    "predict_decorrelation_rate",
    "predict_init_strength",
    "relu_square_moment",
    "strength_m_exponent",
    "strength_n_exponent",
    "time_unit",
]

n, m = sp.symbols("n m", positive=True)  # features, hidden neurons
u = sp.Symbol("u", positive=True)  # n − 1, the number of other features
s = sp.Symbol("s", positive=True)  # standard deviation of W_i·W_j
zeta = sp.Symbol("zeta", real=True)  # integration variable
A, B = sp.symbols("A B", positive=True)  # ‖W_i‖², ‖W_j‖²
z = sp.Symbol("z", positive=True)  # W_i·W_j of a positively aligned pair
kappa = sp.Symbol("kappa", positive=True)  # cosine similarity z/√(AB)

_N, _M = 3, 2  # the symbolic example: 3 features in 2 neurons


def _clean(expr: sp.Expr, norm: sp.Expr) -> sp.Expr:
    """ReLU(z)² differentiated as (z H(z))²: drop z·δ(z) = 0 (δ only appears times its argument),
    H² = H, and H(‖W_i‖²) = 1 for a non-zero row."""
    expr = expr.replace(sp.DiracDelta, lambda *_: sp.S.Zero)
    expr = expr.replace(
        lambda x: isinstance(x, sp.Pow) and isinstance(x.base, sp.Heaviside), lambda x: x.base
    )
    return sp.expand(expr.subs(sp.Heaviside(norm), 1))


@cache
def gradient_terms() -> dict[str, sp.Expr]:
    """−∂L/∂W_0k for the symbolic n = 3, m = 2 example (real units), split into the self term and
    the pair terms. Returns ``{"gradient", "self", "pair_1", "pair_2", "c_self", "c_pair"}``:
    ``pair_j`` is the part gated by H(W_0·W_j), ``c_self`` = self/((1 − ‖W_0‖²) W_0k) and
    ``c_pair`` = pair_j/(ReLU(W_0·W_j) W_jk) (sympy checks it is the same for every j and k)."""
    W = sp.Matrix(_N, _M, lambda i, k: sp.Symbol(f"w_{i}{k}", real=True))
    Z = (W * W.T).applyfunc(sp.expand)
    loss = sum(
        (Z[i, j] * sp.Heaviside(Z[i, j]) - (1 if i == j else 0)) ** 2
        for i in range(_N)
        for j in range(_N)
    )
    k = 0  # the coordinate differentiated (the others are the same by symmetry; checked below)
    out: dict[str, sp.Expr] = {}
    c_pairs, c_selfs = set(), set()
    for kk in range(_M):
        grad = _clean(-sp.diff(loss, W[0, kk]), Z[0, 0])
        rest = grad
        for j in range(1, _N):
            gated = sp.expand(grad.coeff(sp.Heaviside(Z[0, j]))) * sp.Heaviside(Z[0, j])
            rest = sp.expand(rest - gated)
            relu = Z[0, j] * sp.Heaviside(Z[0, j])
            c_pairs.add(sp.simplify(gated / (relu * W[j, kk])))
            if kk == k:
                out[f"pair_{j}"] = gated
        c_selfs.add(sp.simplify(rest / ((1 - Z[0, 0]) * W[0, kk])))
        if kk == k:
            out["gradient"], out["self"] = grad, rest
    if len(c_pairs) != 1 or len(c_selfs) != 1:
        raise ArithmeticError(f"the gradient is not of the pair form: {c_pairs}, {c_selfs}")
    out["c_pair"], out["c_self"] = c_pairs.pop(), c_selfs.pop()
    return out


@cache
def time_unit() -> sp.Expr:
    """τ per η·t: the self term's coefficient c_self (4), which makes the self term of the code
    time flow (1 − ‖W_i‖²) W_i, the paper code's ODE."""
    return gradient_terms()["c_self"]


@cache
def pair_constant(units: str = "code") -> sp.Expr:
    """The constant c of the pair term c·Σ_{j≠i} ReLU(W_i·W_j) W_j of dW_i/dτ (``"code"``: −1) or
    of −∂L/∂W_i, i.e. dW_i/dt per learning rate (``"real"``: −4)."""
    c = gradient_terms()["c_pair"]
    if units == "real":
        return c
    if units == "code":
        return sp.simplify(c / time_unit())
    raise ValueError(f"units must be 'code' or 'real', got {units!r}")


def pair_force(W: np.ndarray, units: str = "code") -> np.ndarray:
    """The pair term c·Σ_{j≠i} ReLU(W_i·W_j) W_j for every row of ``W`` (..., n, m), with the
    derived constant c (:func:`pair_constant`): −Σ ReLU(W_i·W_j) W_j in code units."""
    W = np.asarray(W, dtype=float)
    G = W @ np.swapaxes(W, -1, -2)
    idx = np.arange(W.shape[-2])
    G[..., idx, idx] = 0.0
    return float(pair_constant(units)) * (np.maximum(G, 0.0) @ W)


@cache
def relu_square_moment() -> sp.Expr:
    """E[ReLU(Z)²] for Z ~ N(0, s²), integrated against the normal density: s²/2."""
    density = sp.exp(-(zeta**2) / (2 * s**2)) / (s * sp.sqrt(2 * sp.pi))
    return sp.simplify(sp.integrate(zeta**2 * density, (zeta, 0, sp.oo)))


@cache
def init_strength_expr() -> sp.Expr:
    """E[d‖W_i‖²/dτ from the pair terms] at the N(0, 1/m) init: −2(n − 1)·E[ReLU(Z)²] with
    Var Z = 1/m, i.e. −(n − 1)/m."""
    per_pair = relu_square_moment().subs(s, 1 / sp.sqrt(m))
    return sp.simplify(2 * (n - 1) * pair_constant("code") * per_pair)


@cache
def _strength_fn() -> object:
    return sp.lambdify((n, m), init_strength_expr(), "math")


def predict_init_strength(n_: float, m_: float) -> float:
    """Numeric :func:`init_strength_expr` at (n, m): −(n − 1)/m."""
    return float(_strength_fn()(n_, m_))  # type: ignore[operator]


@cache
def strength_m_exponent() -> float:
    """lim_{m→∞} m ∂_m log|strength| (sympy): −1."""
    expr = sp.Abs(init_strength_expr())
    return float(sp.limit(sp.simplify(m * sp.diff(sp.log(expr), m)), m, sp.oo))


@cache
def strength_n_exponent() -> float:
    """lim_{u→∞} u ∂_u log|strength| with u = n − 1 (sympy): +1 (exact at every u)."""
    expr = sp.Abs(init_strength_expr()).subs(n, u + 1)
    return float(sp.limit(sp.simplify(u * sp.diff(sp.log(expr), u)), u, sp.oo))


@cache
def decorrelation() -> dict[str, sp.Expr]:
    """The pair flow in code units with the other features frozen and switched off.

    The derivatives are coefficient vectors on the basis (a, b): ȧ = (1 − A)a + c·z b with c the
    derived code-unit pair constant, ḃ likewise. Inner products go through the Gram matrix
    [[A, z], [z, B]]. Returns ``{"dz", "dA", "dB", "dkappa", "rate"}`` with dκ/dτ in terms of
    κ, A, B and ``rate`` = −(dκ/dτ)/κ = (A + B)(1 − κ²)."""
    c = pair_constant("code")
    gram = sp.Matrix([[A, z], [z, B]])
    ea, eb = sp.Matrix([1, 0]), sp.Matrix([0, 1])
    da = (1 - A) * ea + c * z * eb
    db = (1 - B) * eb + c * z * ea

    def dot(x: sp.Matrix, y: sp.Matrix) -> sp.Expr:
        return sp.expand((x.T * gram * y)[0, 0])

    dz = dot(da, eb) + dot(ea, db)
    dA, dB = 2 * dot(da, ea), 2 * dot(db, eb)
    cos = z / sp.sqrt(A * B)
    dkappa = sp.diff(cos, z) * dz + sp.diff(cos, A) * dA + sp.diff(cos, B) * dB
    dkappa = sp.factor(sp.simplify(dkappa.subs(z, kappa * sp.sqrt(A * B))))
    return {
        "dz": sp.factor(dz),
        "dA": sp.factor(dA),
        "dB": sp.factor(dB),
        "dkappa": dkappa,
        "rate": sp.factor(sp.simplify(-dkappa / kappa)),
    }


@cache
def decorrelation_rate_expr() -> sp.Expr:
    """The relative decay rate of κ up to second order in κ: lim_{κ→0} of −(dκ/dτ)/κ, A + B."""
    return sp.simplify(sp.limit(decorrelation()["rate"], kappa, 0))


def predict_decorrelation_rate(norm_i_sq: float, norm_j_sq: float) -> float:
    """Numeric :func:`decorrelation_rate_expr` at ‖W_i‖² = ``norm_i_sq``, ‖W_j‖² =
    ``norm_j_sq``: their sum, 2 at unit norms (code time units)."""
    return float(decorrelation_rate_expr().subs({A: norm_i_sq, B: norm_j_sq}))
