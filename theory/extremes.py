"""The largest of m i.i.d. half-normal weights, and the gap below it, derived with sympy.

At initialisation every weight is W0_ik ~ N(0, σ²), σ = 1/√m, so each |W0_ik| is half-normal with

    pdf f(x) = √(2/π)/σ · exp(−x²/2σ²),   cdf F(x) = erf(x/(σ√2)),   x ≥ 0.

If feature i's winning neuron is the initial argmax of |W0_ik| and its final weight is ±1 with the
initial sign, the diagonal of C = W_init W_finalᵀ is M = max_k |W0_ik|, whose expectation is

    E M = ∫₀^∞ (1 − F(x)^m) dx = ∫₀^∞ m x f(x) F(x)^(m−1) dx          (survival / density forms).

sympy closes the density form for m = 1, 2 (√(2/π)·σ and 2σ/√π); for larger m the integral is
evaluated numerically (mpmath quadrature of the survival form). Asymptotically the top of m
half-normals is the top of 2m normals: E M ≈ σ√(2 ln 2m), i.e. √(2 ln(2m)/m) at σ = 1/√m, with
the Gumbel correction σ(a − (ln ln 2m + ln 4π − 2γ)/(2a)), a = √(2 ln 2m), high by 1.7 % at m = 64
and 0.8 % at m = 1024 (the leading term: 17 % and 13 %).

Which neuron wins. A neuron other than the argmax wins when the interference of the other n − 1
features (a perturbation δ ~ √n/m per coordinate, catalogue §1.4 item 2) exceeds the gap
G = M₁ − M₂ between the two largest |W0_ik|. For small δ, P(G < δ) ≈ δ·g(0), where g(0) is the
gap's density at zero,

    g(0) = m(m−1) ∫₀^∞ f(x)² F(x)^(m−2) dx.

Because the normal density obeys x f(x) = −σ² f′(x), one integration by parts turns the density
form of E M into exactly this integral (the boundary term m σ² f(0) F(0)^(m−1) vanishes for m ≥ 2):

    E M = σ² g(0)        (m ≥ 2),

an identity :func:`gap_identity_residual` checks symbolically. So the miss probability scales as
δ·g(0) = (√n/m)·m·E M = √n · E M =: u(n, m) ≈ √(2 n ln(2m)/m): linear in u, reaching O(1) at
n ≈ m/(2 ln 2m) — the catalogue's estimate of where the argmax picture breaks.
"""

from __future__ import annotations

from functools import cache

import mpmath
import sympy as sp

__all__ = [
    "asymptotic_max",
    "asymptotic_max_gumbel",
    "closed_form_max",
    "expected_max",
    "expected_max_integral",
    "gap_density",
    "gap_density_integral",
    "gap_identity_residual",
    "half_normal",
    "miss_scale",
]

x = sp.symbols("x", nonnegative=True)
m, n = sp.symbols("m n", positive=True, integer=True)
sigma = sp.symbols("sigma", positive=True)


def half_normal(s: sp.Expr = sigma) -> tuple[sp.Expr, sp.Expr]:
    """(pdf, cdf) of |N(0, s²)| at the symbol ``x``."""
    pdf = sp.sqrt(2 / sp.pi) / s * sp.exp(-(x**2) / (2 * s**2))
    cdf = sp.erf(x / (s * sp.sqrt(2)))
    return pdf, cdf


def expected_max_integral(
    form: str = "survival", m_: sp.Expr = m, s: sp.Expr = sigma
) -> sp.Integral:
    """E max of ``m_`` i.i.d. |N(0, s²)| as an unevaluated integral.

    ``form="survival"``: ∫₀^∞ (1 − F^m) dx; ``form="density"``: ∫₀^∞ m x f F^(m−1) dx (the two are
    equal by parts; the density form is the one sympy closes for small m).
    """
    f, F = half_normal(s)
    if form == "survival":
        return sp.Integral(1 - F**m_, (x, 0, sp.oo))
    if form == "density":
        return sp.Integral(m_ * x * f * F ** (m_ - 1), (x, 0, sp.oo))
    raise ValueError(f"form={form!r}; allowed: 'survival', 'density'")


def gap_density_integral(m_: sp.Expr = m, s: sp.Expr = sigma) -> sp.Integral:
    """Density at 0 of the gap between the two largest of ``m_`` i.i.d. |N(0, s²)|."""
    f, F = half_normal(s)
    return sp.Integral(m_ * (m_ - 1) * f**2 * F ** (m_ - 2), (x, 0, sp.oo))


@cache
def gap_identity_residual() -> sp.Expr:
    """Integration by parts, checked: integrand of E M (density form) − σ²·integrand of g(0) −
    d/dx[−m σ² f F^(m−1)]. Simplifies to 0, so E M = σ² g(0) + [m σ² f(0) F(0)^(m−1)], and the
    bracket vanishes for m ≥ 2 because F(0) = 0."""
    f, F = half_normal()
    lhs = m * x * f * F ** (m - 1) - sigma**2 * m * (m - 1) * f**2 * F ** (m - 2)
    boundary = sp.diff(-m * sigma**2 * f * F ** (m - 1), x)
    return sp.simplify(lhs - boundary)


@cache
def closed_form_max(m_: int) -> sp.Expr | None:
    """E max of m_ half-normals at σ = 1/√m_ in closed form, where sympy closes the integral
    (m_ = 1: √(2/π); m_ = 2: √2/√π); None where it does not (m_ ≥ 3: the integral of erf² against
    a Gaussian has no elementary antiderivative; sympy spends tens of seconds to say so)."""
    if m_ not in (1, 2):
        return None
    s = 1 / sp.sqrt(sp.Integer(m_))
    value = sp.simplify(expected_max_integral("density", sp.Integer(m_), s).doit())
    return None if value.has(sp.Integral) else value


@cache
def expected_max(m_: int, s: float | None = None) -> float:
    """E max_k |W0_ik| over m_ i.i.d. |N(0, s²)| (default s = 1/√m_), by quadrature of the
    survival form, split at the bulk of the maximum (σ√(2 ln 2m) ± a few σ)."""
    if not isinstance(m_, int) or m_ < 1:
        raise ValueError(f"m={m_!r}; allowed: an integer >= 1")
    scale = mpmath.mpf(1) / mpmath.sqrt(m_) if s is None else mpmath.mpf(s)
    if not scale > 0:
        raise ValueError(f"s={s!r}; allowed: > 0")
    with mpmath.workdps(20):
        # standardised: t = x/σ, 1 − erf(t/√2)^m computed as −expm1(m log erf) to keep its tail
        def survival(t: mpmath.mpf) -> mpmath.mpf:
            if t <= 0:
                return mpmath.mpf(1)
            return -mpmath.expm1(m_ * mpmath.log(mpmath.erf(t / mpmath.sqrt(2))))

        a = mpmath.sqrt(2 * mpmath.log(2 * m_))
        cuts = sorted({mpmath.mpf(0), max(a - 2, mpmath.mpf("0.5")), a, a + 2, a + 6})
        value = mpmath.quad(survival, [*cuts, mpmath.inf])
    return float(value * scale)


def gap_density(m_: int, s: float | None = None) -> float:
    """g(0) for m_ >= 2 half-normals, from the identity E M = σ² g(0)."""
    if m_ < 2:
        raise ValueError(f"m={m_!r}; the gap needs at least two weights (m >= 2)")
    scale = 1 / m_**0.5 if s is None else s
    return expected_max(m_, s) / scale**2


def asymptotic_max() -> sp.Expr:
    """Leading asymptotic of E max at σ = 1/√m: √(2 ln(2m)/m)."""
    return sp.sqrt(2 * sp.log(2 * m) / m)


def asymptotic_max_gumbel() -> sp.Expr:
    """Second-order (Gumbel) asymptotic at σ = 1/√m: (a − (ln ln 2m + ln 4π − 2γ)/(2a))/√m."""
    a = sp.sqrt(2 * sp.log(2 * m))
    return (
        a - (sp.log(sp.log(2 * m)) + sp.log(4 * sp.pi) - 2 * sp.EulerGamma) / (2 * a)
    ) / sp.sqrt(m)


def miss_scale(n_: int, m_: int) -> float:
    """u(n, m) = δ·g(0) with δ = √n/m: √n · E max at σ = 1/√m (≈ √(2 n ln(2m)/m)).

    The argmax picture predicts P(winner ≠ initial argmax) ∝ u for u ≲ 1 (see the module doc).
    """
    if n_ < 1:
        raise ValueError(f"n={n_!r}; allowed: an integer >= 1")
    return n_**0.5 * expected_max(m_)
