"""The Edgeworth form of the ReLU-mediated noise term (catalogue P1-N-5), derived with sympy.

An interference output of the tied autoencoder is o_ij = ReLU(W_j·(W_i + ξ)) = ReLU(c + Z) with
the margin c = W_j·W_i (i ≠ j) and Z = W_j·ξ, ξ the hidden noise (i.i.d. symmetric coordinates,
variance σ², fourth moment μ₄). Its target is 0, so it costs E[ReLU(c + Z)²]. With s = σ‖W_j‖₂ the
Gaussian with Z's variance gives the Gaussian term, and Z's non-Gaussian part enters through its
cumulants. For a density p of Z, p = exp(Σ_r κ_r (−∂_z)^r / r!) φ_s (the Edgeworth / Gram–Charlier
series, κ_r the cumulants beyond the second), and ∫ g(c + z)(−∂_z)^r φ_s dz = ∂_c^r E_G[g(c + Z)],
so

    E[ReLU(c + Z)²] = exp(Σ_{r ≥ 3} κ_r ∂_c^r / r!) E_G[ReLU(c + Z)²].

Symmetric noise has no odd cumulants, κ_r(Z) = ‖w‖_r^r κ_r(ξ), and κ_r(Z) = O(k^{1 − r/2}) for a
w with k comparable entries, so the series is graded by powers of 1/k (:func:`series`):

* order 1: (κ₄(Z)/24)·∂_c⁴E_G = −(c φ(c/s)/(12 s³))·‖w‖₄⁴(μ₄/σ⁴ − 3)σ⁴ (:func:`correction`,
  the catalogue's form, :func:`catalogue_form`), with κ₄(Z) = ‖w‖₄⁴(μ₄ − 3σ⁴) derived from
  :func:`theory.kurtosis.projection_moment` (:func:`projection_cumulant4`);
* order 2: (κ₆(Z)/720)∂_c⁶E_G + (κ₄(Z)²/1152)∂_c⁸E_G (:func:`second_order`): how the exact
  excess approaches the first-order term as w gets dense.

The Gaussian term E_G[ReLU(c + Z)²] = (c² + s²)Φ(c/s) + c s φ(c/s) is integrated by sympy
(:func:`gaussian_term`); the first-order correction is derived twice, as ∂_c⁴ of it and by
integrating the density term (κ₄/24)∂_z⁴φ_s against (c + z)² (:func:`correction_from_density`).
The noise cumulants come from ``sympy.stats`` (:func:`noise_cumulant`; Bernoulli ±σ: κ₄ = −2σ⁴,
κ₆ = 16σ⁶, Gaussian: 0).

Three consequences the claim ``edgeworth`` measures:

* the correction is odd in c, zero at c = 0, and has the sign of −c·κ₄: negative excess kurtosis
  (Bernoulli) lowers the cost of a negative margin, more so the sparser W_j (‖w‖₄⁴ larger), and
  raises it for a positive one;
* it is linear in ‖w‖₄⁴ at fixed c/s (:func:`p4_exponent`, sympy: 1);
* whether trained margins are negative: the noiseless zero-loss set has every c ≤ 0
  (:func:`theory.no_l1.zero_loss_conditions`), and the noise's push on a margin at c = 0,
  ∂_c E[ReLU(c + Z)²] = 2E[ReLU(Z)] = s√(2/π) > 0 (:func:`noise_push`), excludes c = 0: under
  noise every pair ends strictly below 0 (:func:`predict_negative_fraction`). Without noise the
  push is 0 and an acute pair stops on the boundary c = 0, where the correction vanishes.

Numeric functions, vectorised over c: :func:`gaussian_expectation`, :func:`edgeworth_correction`,
:func:`second_order_correction`, and the exact Bernoulli expectation by enumerating the 2^k sign
patterns of w's non-zero entries (:func:`exact_bernoulli`; equal entries also by the binomial law,
:func:`exact_bernoulli_equal`).

This module knows nothing of ``sim`` or ``claims``; ``tests/test_edgeworth.py`` checks the
expressions against numerical integration, the enumeration against Monte Carlo, and known answers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from math import factorial

import numpy as np
import sympy as sp
from scipy import stats as sstats
from sympy import stats

from . import kurtosis, no_l1

__all__ = [
    "MAX_K",
    "catalogue_form",
    "correction",
    "correction_from_density",
    "edgeworth_correction",
    "exact_bernoulli",
    "exact_bernoulli_equal",
    "gaussian_derivative",
    "gaussian_expectation",
    "gaussian_term",
    "margin_sup",
    "noise_cumulant",
    "noise_push",
    "p4_exponent",
    "predict_negative_fraction",
    "projection_cumulant4",
    "second_order",
    "second_order_correction",
    "series",
]

MAX_K = 20  # the enumeration holds 2^k atoms: k ≤ 20 (8 MiB per margin)

c = sp.Symbol("c", real=True)  # the margin W_j·W_i
s = sp.Symbol("s", positive=True)  # σ‖W_j‖₂, the standard deviation of Z
z = sp.Symbol("z", real=True)  # a value of Z
p4 = sp.Symbol("p_4", positive=True)  # ‖w‖₄⁴
p6 = sp.Symbol("p_6", positive=True)  # ‖w‖₆⁶
sigma, mu4 = kurtosis.sigma, kurtosis.mu4  # the noise's σ and fourth moment μ₄
_eps = sp.Symbol("epsilon", positive=True)  # grading: κ_r(Z) = O(ε^{r/2 − 1}), ε ~ 1/k
_t = sp.Symbol("t")


def _phi(x: sp.Expr) -> sp.Expr:
    return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)


def _density() -> sp.Expr:
    """φ_s(z), the N(0, s²) density."""
    return _phi(z / s) / s


@cache
def gaussian_term() -> sp.Expr:
    """E_G[ReLU(c + Z)²] for Z ~ N(0, s²): ∫_{−c}^{∞} (c + z)² φ_s(z) dz, integrated by sympy."""
    return sp.simplify(sp.integrate((c + z) ** 2 * _density(), (z, -c, sp.oo)))


@cache
def gaussian_derivative(order: int) -> sp.Expr:
    """∂_c^order of :func:`gaussian_term` (order ≥ 3: 2(−1)^{order−3} He_{order−3}(c/s)φ(c/s)
    / s^{order−2})."""
    if order < 0:
        raise ValueError(f"derivative order={order}, but should be >= 0")
    return sp.simplify(sp.diff(gaussian_term(), c, order))


@cache
def projection_cumulant4() -> sp.Expr:
    """κ₄(w·ξ) = E[(w·ξ)⁴] − 3E[(w·ξ)²]² from :func:`theory.kurtosis.projection_moment`, for
    symbolic m: (μ₄ − 3σ⁴)‖w‖₄⁴ (the power sum stays an unevaluated ``Sum``)."""
    return sp.factor(
        sp.expand(kurtosis.projection_moment(4) - 3 * kurtosis.projection_moment(2) ** 2)
    )


@cache
def noise_cumulant(noise: str, r: int) -> sp.Expr:
    """The r-th cumulant of one noise coordinate (variance σ²), from its ``sympy.stats`` moments
    through the series of log E[e^{tξ}] (Bernoulli ±σ: κ₄ = −2σ⁴, κ₆ = 16σ⁶)."""
    if r < 1:
        raise ValueError(f"cumulant order r={r}, but should be >= 1")
    x = kurtosis.noise_variable(noise)
    mgf = sum(sp.simplify(stats.E(x**j)) * _t**j / factorial(j) for j in range(r + 1))
    cgf = sp.series(sp.log(mgf), _t, 0, r + 1).removeO()
    return sp.simplify(cgf.coeff(_t, r) * factorial(r))


@cache
def series(order: int) -> sp.Expr:
    """E[ReLU(c + Z)²] − E_G[ReLU(c + Z)²] to ``order`` in 1/k, for symmetric noise: the terms of
    exp(Σ_{r even ≥ 4} κ_r ∂_c^r / r!) of total grade ≤ order (κ_r of grade r/2 − 1), each
    ∂_c^r applied to :func:`gaussian_term`. The cumulants stay symbols kappa_r (of Z)."""
    if order < 1:
        raise ValueError(f"series order={order}, but should be >= 1")
    top = 2 * order + 2  # the highest cumulant of grade ≤ order
    kap = {r: sp.Symbol(f"kappa_{r}", real=True) for r in range(4, top + 1, 2)}
    exponent = sum(kap[r] * _eps ** (r // 2 - 1) * _t**r / factorial(r) for r in kap)
    poly = sp.expand(sp.series(sp.exp(exponent), _eps, 0, order + 1).removeO())
    poly = sp.expand(poly.subs(_eps, 1))
    out = sp.Integer(0)
    for term in sp.Add.make_args(poly):
        power = sp.degree(term, _t)
        if power == 0:
            continue  # the Gaussian term itself
        out += (term / _t**power) * gaussian_derivative(int(power))
    return out


def _kappa_z(noise: str) -> dict[sp.Symbol, sp.Expr]:
    """κ₄(Z) = ‖w‖₄⁴κ₄(ξ) (:func:`projection_cumulant4`, whose coefficient of ‖w‖₄⁴ is μ₄ − 3σ⁴,
    at the noise's μ₄) and κ₆(Z) = ‖w‖₆⁶κ₆(ξ), as substitutions for :func:`series`."""
    k4_per_p4 = projection_cumulant4() / kurtosis.power_sum(4)
    fourth = kurtosis.noise_moments(noise)[1]
    k4 = sp.simplify(k4_per_p4.subs(mu4, fourth))
    return {
        sp.Symbol("kappa_4", real=True): p4 * k4,
        sp.Symbol("kappa_6", real=True): p6 * noise_cumulant(noise, 6),
    }


@cache
def correction(noise: str | None = None) -> sp.Expr:
    """The first non-Gaussian term (κ₄(Z)/24)·∂_c⁴E_G: in κ₄(Z) = ‖w‖₄⁴(μ₄ − 3σ⁴) with symbolic
    μ₄ when ``noise`` is None, else at that noise's μ₄ (Bernoulli: −2σ⁴‖w‖₄⁴)."""
    first = series(1)
    k4 = sp.simplify(projection_cumulant4() / kurtosis.power_sum(4)) * p4
    expr = first.subs(sp.Symbol("kappa_4", real=True), k4)
    if noise is not None:
        expr = expr.subs(mu4, kurtosis.noise_moments(noise)[1])
    return sp.simplify(expr)


@cache
def catalogue_form() -> sp.Expr:
    """The catalogue's −(c φ(c/s)/(12 s³))·‖w‖₄⁴(μ₄/σ⁴ − 3)σ⁴; equals :func:`correction`."""
    return -(c * _phi(c / s) / (12 * s**3)) * p4 * (mu4 / sigma**4 - 3) * sigma**4


@cache
def correction_from_density() -> sp.Expr:
    """The same term from the Gram–Charlier density φ_s + (κ₄/24)∂_z⁴φ_s: ∫_{−c}^{∞} (c + z)²
    (κ₄/24)∂_z⁴φ_s(z) dz with κ₄ = ‖w‖₄⁴(μ₄ − 3σ⁴), integrated by sympy (no integration by parts
    assumed)."""
    k4 = p4 * (mu4 - 3 * sigma**4)
    integrand = (c + z) ** 2 * k4 / 24 * sp.diff(_density(), z, 4)
    return sp.simplify(sp.integrate(integrand, (z, -c, sp.oo)))


@cache
def second_order(noise: str) -> sp.Expr:
    """The grade-2 terms of :func:`series`, (κ₆(Z)/720)∂_c⁶E_G + (κ₄(Z)²/1152)∂_c⁸E_G, at the
    noise's cumulants, in ‖w‖₄⁴ = p_4, ‖w‖₆⁶ = p_6, σ, s, c."""
    return sp.simplify(sp.expand(series(2) - series(1)).subs(_kappa_z(noise)))


@cache
def p4_exponent() -> float:
    """p_4 ∂_{p_4} log|correction| (sympy): the exponent of the correction in ‖w‖₄⁴ at fixed
    c, s, σ, μ₄ — 1."""
    expr = correction()
    return float(sp.simplify(p4 * sp.diff(expr, p4) / expr))


@cache
def noise_push() -> sp.Expr:
    """∂_c E_G[ReLU(c + Z)²] at c = 0: 2E[ReLU(Z)] = s√(2/π) > 0 for s > 0. The noise keeps
    pushing a margin down through c = 0 (for any symmetric Z with P(Z > 0) > 0 the push there is
    2E[ReLU(Z)] = E|Z| > 0; this is its Gaussian value)."""
    return sp.simplify(gaussian_derivative(1).subs(c, 0))


def margin_sup() -> float:
    """sup of the noiseless zero-loss set's pair condition on W_i·W_j
    (:func:`theory.no_l1.zero_loss_conditions`): 0."""
    pair = no_l1.zero_loss_conditions()["pair"]
    return float(pair.sup)  # type: ignore[attr-defined]


def predict_negative_fraction() -> float:
    """The predicted fraction of pairs i ≠ j with W_i·W_j < 0 once noisy training has settled:
    1 when the zero-loss set bounds every margin by :func:`margin_sup` = 0 and the noise's push
    at c = 0 (:func:`noise_push`) is positive, so that c = 0 is not stationary either."""
    pushed = bool(noise_push().is_positive)
    return 1.0 if pushed and margin_sup() == 0.0 else 0.0


# -- numeric ------------------------------------------------------------------------------------


@cache
def _lambdified(which: str, noise: str) -> Callable[..., np.ndarray]:
    args = (c, s, sigma, p4, p6)
    expr = {
        "gaussian": gaussian_term,
        "first": lambda: correction(noise),
        "second": lambda: second_order(noise),
    }[which]()
    return sp.lambdify(args, expr, modules=["scipy", "numpy"])


def _w_stats(w: np.ndarray | list[float]) -> tuple[float, float, float]:
    """(‖w‖₂, ‖w‖₄⁴, ‖w‖₆⁶); raises for an empty, non-finite or zero w."""
    a = np.asarray(w, dtype=float).ravel()
    if a.size == 0 or not np.all(np.isfinite(a)) or not np.any(a != 0):
        raise ValueError(f"w={a!r}, but should be a finite vector with a non-zero entry")
    sq = a * a
    return float(np.sqrt(sq.sum())), float((sq * sq).sum()), float((sq**3).sum())


def _check_sigma(sigma_: float) -> None:
    if not (np.isfinite(sigma_) and sigma_ > 0):
        raise ValueError(f"sigma={sigma_}, but should be a finite number > 0")


def _evaluate(which: str, c_: np.ndarray | float, w: np.ndarray, sigma_: float, noise: str):
    _check_sigma(sigma_)
    norm, q4, q6 = _w_stats(w)
    cc = np.asarray(c_, dtype=float)
    out = _lambdified(which, noise)(cc, sigma_ * norm, sigma_, q4, q6)
    return np.broadcast_to(np.asarray(out, dtype=float), cc.shape).copy()


def gaussian_expectation(c_: np.ndarray | float, w: np.ndarray, *, sigma: float) -> np.ndarray:
    """E_G[ReLU(c + Z)²] with Z ~ N(0, s²), s = σ‖w‖₂ (:func:`gaussian_term`), for each c."""
    return _evaluate("gaussian", c_, w, sigma, "gaussian")


def edgeworth_correction(
    c_: np.ndarray | float, w: np.ndarray, *, sigma: float, noise: str = "bernoulli"
) -> np.ndarray:
    """The first-order correction (:func:`correction` at the noise's μ₄) for each c."""
    return _evaluate("first", c_, w, sigma, noise)


def second_order_correction(
    c_: np.ndarray | float, w: np.ndarray, *, sigma: float, noise: str = "bernoulli"
) -> np.ndarray:
    """The grade-2 terms (:func:`second_order`) for each c."""
    return _evaluate("second", c_, w, sigma, noise)


def exact_bernoulli(c_: np.ndarray | float, w: np.ndarray, *, sigma: float) -> np.ndarray:
    """E[ReLU(c + Z)²] exactly for Bernoulli ±σ noise, Z = σΣ_k w_k ε_k with fair signs ε_k:
    the mean over the 2^k sign patterns of w's k non-zero entries (k ≤ :data:`MAX_K`), for
    each c (any shape)."""
    _check_sigma(sigma)
    _w_stats(w)
    a = np.asarray(w, dtype=float).ravel()
    nz = a[a != 0]
    k = nz.size
    if k > MAX_K:
        raise ValueError(f"w has {k} non-zero entries, but the enumeration allows <= {MAX_K}")
    bits = (np.arange(2**k)[:, None] >> np.arange(k)) & 1
    atoms = sigma * ((1.0 - 2.0 * bits) @ nz)  # (2^k,), equally likely
    cc = np.asarray(c_, dtype=float)
    flat = cc.reshape(-1, 1)
    out = np.empty(flat.shape[0])
    for i in range(flat.shape[0]):  # one margin at a time: 2^k floats, not (C, 2^k)
        out[i] = np.mean(np.square(np.maximum(flat[i] + atoms, 0.0)))
    return out.reshape(cc.shape)


def exact_bernoulli_equal(c_: np.ndarray | float, k: int, *, sigma: float) -> np.ndarray:
    """:func:`exact_bernoulli` for w with k equal entries 1/√k (‖w‖₂ = 1, ‖w‖₄⁴ = 1/k), by the
    binomial law of the number of minus signs (any k ≥ 1)."""
    _check_sigma(sigma)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k={k!r}, but should be an integer >= 1")
    j = np.arange(k + 1)
    atoms = sigma * (k - 2 * j) / np.sqrt(k)
    prob = sstats.binom.pmf(j, k, 0.5)
    cc = np.asarray(c_, dtype=float)
    return (prob * np.square(np.maximum(cc[..., None] + atoms, 0.0))).sum(-1)
