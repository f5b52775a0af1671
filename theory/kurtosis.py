"""The noise term of Lecomte et al.: E[(w·ξ)⁴] and the excess kurtosis of each hidden-layer noise.

For ξ ∈ Rᵐ with i.i.d. symmetric coordinates (variance σ², fourth moment μ₄) and any w ∈ Rᵐ,

    E[(w·ξ)⁴] = 3σ⁴‖w‖₂⁴ + (μ₄/σ⁴ − 3)σ⁴‖w‖₄⁴                                   (P1-N-1)

for every m. Its sparsity-dependent part is the fourth cumulant κ₄(w·ξ) = ‖w‖₄⁴·κ₄(ξ); negative
excess kurtosis μ₄/σ⁴ − 3 rewards a large ‖w‖₄⁴, and with ‖w‖₂ = 1, ‖w‖₄⁴ ∈ [1/m′, 1] (m′ the
non-zero coordinates), equal to 1 iff w is one-hot.

The identity is derived twice, for symbolic m (the power sums ‖w‖ⱼʲ stay unevaluated ``Sum``\\ s):

* :func:`projection_moment` — expand (Σ_k w_k ξ_k)^r into index tuples (k_1..k_r) and group them by
  which positions carry equal indices (a set partition of the r positions). By independence a
  tuple with pattern π has expectation Π_blocks μ_|b|, zero if a block is odd (symmetry); the sum
  over tuples with *exactly* pattern π (distinct indices across blocks) becomes power sums by
  Möbius inversion on the partition lattice;
* :func:`projection_moment_from_cumulants` — cumulants add over independent coordinates:
  K_{w·ξ}(t) = Σ_k K_ξ(w_k t); the r-th moment is the r-th derivative of exp K at 0.

The excess kurtosis of each noise the simulator offers comes from ``sympy.stats`` distributions
with variance σ² (Bernoulli ±σ: −2, uniform: −6/5, Gaussian: 0, Laplace: +3), not typed in.

Two facts the claims use beyond the paper:

* Rotation invariance. Gaussian noise and no noise (the noises whose law is rotation invariant,
  :func:`rotation_invariant`) leave the training dynamics equivariant under W → WR (R
  orthogonal), and the N(0, 1/m) init is invariant, so each row's direction stays uniform on the
  sphere: E[‖W_i‖₄⁴/‖W_i‖₂⁴] = 3/(m+2) at every step (:func:`isotropic_fourth_norm`), its change
  is 0 (:func:`predict_ratio_change`), while E‖W_i‖₄⁴ = 3/m at init (:func:`init_fourth_norm`).
* The linear decoder. Without the output ReLU the squared error is quadratic in ξ, so its
  expectation E[(c + w·ξ)²] = c² + σ²‖w‖₂² carries σ² only, never μ₄
  (:func:`shifted_square_moment`, :func:`linear_decoder_mu4_weight`): the expected loss is
  L(W) + nσ²‖W‖_F², a function of WWᵀ, and cannot prefer sparse rows.

This module knows nothing of ``sim`` or ``claims``; ``tests/test_kurtosis.py`` checks every
expression against brute-force expansion at concrete m, random numeric moments and sampling.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from math import factorial

import sympy as sp
from sympy import stats
from sympy.utilities.iterables import multiset_partitions

__all__ = [
    "NOISES",
    "bound_identities",
    "excess_kurtosis",
    "fourth_moment_identity",
    "init_fourth_norm",
    "isotropic_fourth_norm",
    "linear_decoder_mu4_weight",
    "noise_moments",
    "noise_variable",
    "power_sum",
    "predict_excess_kurtosis",
    "predict_init_fourth_norm",
    "predict_isotropic_fourth_norm",
    "predict_ratio_change",
    "predicted_sign",
    "projection_moment",
    "projection_moment_from_cumulants",
    "rotation_invariant",
    "shifted_square_moment",
]

NOISES: tuple[str, ...] = ("bernoulli", "uniform", "gaussian", "laplace")

m = sp.Symbol("m", positive=True, integer=True)  # hidden neurons (length of w and ξ)
k = sp.Symbol("k", positive=True, integer=True)  # summation index over neurons
w = sp.IndexedBase("w")  # the projection vector (a row W_i)
sigma = sp.Symbol("sigma", positive=True)  # noise standard deviation
mu4 = sp.Symbol("mu_4", positive=True)  # fourth moment of one noise coordinate
c = sp.Symbol("c", real=True)  # a deterministic shift (an output's noiseless pre-activation)
_t = sp.Symbol("t")  # generating-function variable


def power_sum(j: int) -> sp.Expr:
    """‖w‖ⱼʲ = Σ_{k=1}^{m} w_k^j, unevaluated (m symbolic)."""
    return sp.Sum(w[k] ** j, (k, 1, m))


def _moment(j: int) -> sp.Expr:
    """E[ξ^j] of one symmetric noise coordinate: 0 for odd j, σ², μ₄, then named symbols."""
    if j % 2:
        return sp.Integer(0)
    return {0: sp.Integer(1), 2: sigma**2, 4: mu4}.get(j, sp.Symbol(f"mu_{j}", positive=True))


def _distinct_index_sum(exponents: tuple[int, ...]) -> sp.Expr:
    """Σ over pairwise distinct k_1..k_q of Π w_{k_i}^{e_i}, in power sums: Möbius inversion on the
    partition lattice, Σ_ρ Π_{blocks c of ρ} (−1)^{|c|−1}(|c|−1)! · p_{Σ_{i∈c} e_i}."""
    total = sp.Integer(0)
    for rho in multiset_partitions(list(range(len(exponents)))):
        term = sp.Integer(1)
        for block in rho:
            term *= (
                (-1) ** (len(block) - 1)
                * factorial(len(block) - 1)
                * power_sum(sum(exponents[i] for i in block))
            )
        total += term
    return total


@cache
def projection_moment(r: int) -> sp.Expr:
    """E[(w·ξ)^r] for symbolic m, by grouping the multinomial's index tuples by their pattern of
    equal positions (see the module doc). Odd r gives 0."""
    if r < 0:
        raise ValueError(f"moment order r={r}, but should be >= 0")
    if r == 0:
        return sp.Integer(1)
    total = sp.Integer(0)
    for pattern in multiset_partitions(list(range(r))):
        sizes = tuple(len(b) for b in pattern)
        weight = sp.Mul(*(_moment(s) for s in sizes))
        if weight != 0:
            total += weight * _distinct_index_sum(sizes)
    return sp.expand(total)


@cache
def projection_moment_from_cumulants(r: int) -> sp.Expr:
    """E[(w·ξ)^r] for symbolic m from K_{w·ξ}(t) = Σ_k K_ξ(w_k t) (independent coordinates)."""
    mgf = sum(_moment(j) * _t**j / factorial(j) for j in range(r + 1))
    cgf = sp.series(sp.log(mgf), _t, 0, r + 1).removeO()
    cgf_z = sp.Sum(cgf.subs(_t, w[k] * _t), (k, 1, m))
    return sp.expand(sp.diff(sp.exp(cgf_z), _t, r).subs(_t, 0).doit())


@cache
def fourth_moment_identity() -> sp.Expr:
    """The paper's form 3σ⁴‖w‖₂⁴ + (μ₄/σ⁴ − 3)σ⁴‖w‖₄⁴; equals :func:`projection_moment` (4)."""
    return 3 * sigma**4 * power_sum(2) ** 2 + (mu4 / sigma**4 - 3) * sigma**4 * power_sum(4)


@cache
def shifted_square_moment() -> sp.Expr:
    """E[(c + w·ξ)²] = c² + σ²‖w‖₂²: what a linear decoder's squared error sees of the noise."""
    return sp.expand(sum(sp.binomial(2, j) * c ** (2 - j) * projection_moment(j) for j in range(3)))


@cache
def linear_decoder_mu4_weight() -> sp.Expr:
    """∂/∂μ₄ of :func:`shifted_square_moment`: how much a linear decoder's expected squared error
    depends on the noise's fourth moment. 0: without the output ReLU no κ₄ term reaches the loss."""
    return sp.simplify(sp.diff(shifted_square_moment(), mu4))


def noise_variable(noise: str) -> sp.Expr:
    """The noise as a ``sympy.stats`` random variable with variance σ²: Bernoulli ±σ (σ times a
    Rademacher sign), N(0, σ²), uniform on [−√3σ, √3σ], Laplace with scale σ/√2."""
    if noise == "bernoulli":
        return sigma * stats.Rademacher("r")
    if noise == "gaussian":
        return stats.Normal("g", 0, sigma)
    if noise == "uniform":
        return stats.Uniform("u", -sp.sqrt(3) * sigma, sp.sqrt(3) * sigma)
    if noise == "laplace":
        return stats.Laplace("l", 0, sigma / sp.sqrt(2))
    raise ValueError(f"noise={noise!r}, but should be one of {', '.join(NOISES)}")


@cache
def noise_moments(noise: str) -> tuple[sp.Expr, sp.Expr]:
    """(E ξ², E ξ⁴) of one coordinate, from ``sympy.stats``."""
    x = noise_variable(noise)
    return sp.simplify(stats.E(x**2)), sp.simplify(stats.E(x**4))


@cache
def excess_kurtosis(noise: str) -> sp.Expr:
    """μ₄/σ⁴ − 3 of the noise, from its ``sympy.stats`` distribution (a number: σ cancels)."""
    second, fourth = noise_moments(noise)
    return sp.nsimplify(sp.simplify(fourth / second**2 - 3))


def predict_excess_kurtosis(noise: str) -> float:
    return float(excess_kurtosis(noise))


def predicted_sign(noise: str) -> int:
    """The predicted sign of the change of ‖W_i‖₄⁴: −sign(excess kurtosis)."""
    return -int(sp.sign(excess_kurtosis(noise)))


@cache
def rotation_invariant(noise: str) -> bool:
    """Whether i.i.d. coordinates of ``noise`` (or no noise, ``"none"``) have a rotation-invariant
    joint law. Two coordinates with density f are invariant iff f(x)f(y) = f(√(x² + y²))f(0) for
    all x, y (Maxwell: only the Gaussian); checked symbolically on the ``sympy.stats`` density.
    Bernoulli ±σ has a discrete support on a lattice, so it is not."""
    if noise == "none":
        return True
    x = noise_variable(noise)
    if not isinstance(stats.pspace(x), stats.crv.SingleContinuousPSpace):
        return False
    f = stats.density(x)
    a, b = sp.symbols("a b", real=True)
    return sp.simplify(f(a) * f(b) - f(sp.sqrt(a**2 + b**2)) * f(0)) == 0


def predict_ratio_change(noise: str, *, activation: str = "relu") -> float | None:
    """The expected change of ‖W_i‖₄⁴/‖W_i‖₂⁴ between two steps of training with ``noise``
    (``"none"`` for none), where it is derived; None elsewhere, where only the sign of the change,
    :func:`predicted_sign`, is predicted.

    0 when the noise's law is rotation invariant (:func:`rotation_invariant`): the dynamics are
    then equivariant under W → WR and the N(0, 1/m) init is isotropic, so each row's direction
    stays uniform on the sphere and the expectation is :func:`isotropic_fourth_norm` at every step,
    for any lr. With the linear decoder (``activation="none"``) also 0 when μ₄ does not reach the
    linear decoder's expected loss (:func:`linear_decoder_mu4_weight` = 0): that loss,
    L(W) + nσ²‖W‖²_F, is a function of WWᵀ, so gradient flow on it keeps the rows isotropic — to
    first order in lr (SGD's own noise, not isotropic for a non-Gaussian ξ, is not covered)."""
    if rotation_invariant(noise):
        return 0.0
    if activation == "none" and linear_decoder_mu4_weight() == 0:
        return 0.0
    return None


@cache
def init_fourth_norm() -> sp.Expr:
    """E‖W_i‖₄⁴ = m·E[x⁴] for W_ik ~ N(0, 1/m) i.i.d.: 3/m."""
    x = stats.Normal("x", 0, 1 / sp.sqrt(m))
    return sp.simplify(m * stats.E(x**4))


@cache
def isotropic_fourth_norm() -> sp.Expr:
    """E[‖u‖₄⁴] for u uniform on the unit sphere of Rᵐ: 3/(m+2).

    For g ~ N(0, I_m), g = ‖g‖·u with ‖g‖ and u independent, so E Σg_k⁴ = E‖g‖⁴ · E‖u‖₄⁴, with
    E Σg_k⁴ = 3m and E‖g‖⁴ = E[χ²_m²] = m(m+2).
    """
    g = stats.Normal("g", 0, 1)
    chi2 = stats.ChiSquared("q", m)
    return sp.simplify(m * stats.E(g**4) / stats.E(chi2**2))


@cache
def _numeric(which: str) -> Callable[[float], float]:
    expr = {"init": init_fourth_norm, "isotropic": isotropic_fourth_norm}[which]()
    return sp.lambdify(m, expr, "math")


def predict_init_fourth_norm(m_: int) -> float:
    """E‖W_i‖₄⁴ at init, evaluated from :func:`init_fourth_norm`."""
    return float(_numeric("init")(m_))


def predict_isotropic_fourth_norm(m_: int) -> float:
    """3/(m+2), evaluated from :func:`isotropic_fourth_norm`."""
    return float(_numeric("isotropic")(m_))


def bound_identities(m_prime: int) -> tuple[sp.Expr, sp.Expr]:
    """The two sums-of-squares behind 1/m′ ≤ ‖w‖₄⁴ ≤ 1 when ‖w‖₂ = 1 with m′ non-zero coordinates.

    With a_k = w_k² ≥ 0 (k = 1..m′): m′‖w‖₄⁴ − ‖w‖₂⁴ = Σ_{k<l}(a_k − a_l)² ≥ 0 (zero iff all |w_k|
    equal), and ‖w‖₂⁴ − ‖w‖₄⁴ = 2Σ_{k<l} a_k a_l ≥ 0 (zero iff at most one a_k ≠ 0: one-hot).
    Returns (lower − its sum of squares, upper − its sum of squares); both expand to 0.
    """
    if m_prime < 1:
        raise ValueError(f"m_prime={m_prime}, but should be >= 1")
    ws = sp.symbols(f"w1:{m_prime + 1}", real=True)
    a = [x**2 for x in ws]
    p2, p4 = sum(a), sum(x**2 for x in a)
    pairs = [(i, j) for i in range(m_prime) for j in range(i + 1, m_prime)]
    lower = m_prime * p4 - p2**2 - sum((a[i] - a[j]) ** 2 for i, j in pairs)
    upper = p2**2 - p4 - 2 * sum(a[i] * a[j] for i, j in pairs)
    return sp.expand(lower), sp.expand(upper)
