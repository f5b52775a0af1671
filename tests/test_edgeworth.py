"""Tests of :mod:`theory.edgeworth`: the derived expressions against numerical integration, the
exact Bernoulli enumeration against the binomial law and Monte Carlo, the catalogue's numbers,
the facts the maths guarantees (zero at c = 0, oddness in c, the sign of the correction, its
‖w‖₄⁴ scaling, agreement as w gets dense), and bad-input errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

from theory import edgeworth as th
from theory import kurtosis

C = th.c
S = th.s


def _numeric_gaussian(c: float, s: float) -> float:
    """E[ReLU(c + Z)²], Z ~ N(0, s²), by quadrature."""
    val, _ = integrate.quad(lambda z: (c + z) ** 2 * stats.norm.pdf(z, scale=s), -c, np.inf)
    return val


@pytest.mark.parametrize("c", [-2.0, -0.7, 0.0, 0.4, 1.5])
@pytest.mark.parametrize("s", [0.3, 1.0])
def test_gaussian_term_matches_quadrature(c: float, s: float) -> None:
    got = float(th.gaussian_term().subs({C: c, S: s}))
    want = _numeric_gaussian(c, s)
    assert got == pytest.approx(want, rel=1e-10, abs=1e-14), (
        f"c={c}, s={s}: sympy E_G = {got}, quadrature {want}"
    )
    closed = (c * c + s * s) * stats.norm.cdf(c / s) + c * s * stats.norm.pdf(c / s)
    assert got == pytest.approx(closed, rel=1e-12), (
        f"c={c}, s={s}: {got}, expected (c² + s²)Φ(c/s) + c s φ(c/s) = {closed}"
    )


def test_fourth_derivative_closed_form() -> None:
    want = -2 * C * sp.exp(-(C**2) / (2 * S**2)) / (sp.sqrt(2 * sp.pi) * S**3)
    diff = sp.simplify(th.gaussian_derivative(4) - want)
    assert diff == 0, f"∂_c⁴ E_G − (−2cφ(c/s)/s³) = {diff}, expected 0"


def test_three_derivations_of_the_correction_agree() -> None:
    assert sp.simplify(th.correction() - th.catalogue_form()) == 0, (
        f"correction {th.correction()} differs from the catalogue form {th.catalogue_form()}"
    )
    assert sp.simplify(th.correction_from_density() - th.correction()) == 0, (
        f"Gram–Charlier density integral {th.correction_from_density()} differs from "
        f"(κ₄/24)∂⁴E_G {th.correction()}"
    )


def test_projection_cumulant_is_the_fourth_power_sum() -> None:
    want = (kurtosis.mu4 - 3 * kurtosis.sigma**4) * kurtosis.power_sum(4)
    diff = sp.simplify(th.projection_cumulant4() - want)
    assert diff == 0, f"κ₄(w·ξ) − (μ₄ − 3σ⁴)‖w‖₄⁴ = {diff}, expected 0"


@pytest.mark.parametrize(
    ("noise", "k4", "k6"),
    [
        ("bernoulli", -2, 16),
        ("gaussian", 0, 0),
        ("uniform", sp.Rational(-6, 5), sp.Rational(48, 7)),
    ],
)
def test_noise_cumulants(noise: str, k4: sp.Expr, k6: sp.Expr) -> None:
    sig = kurtosis.sigma
    got = (th.noise_cumulant(noise, 4) / sig**4, th.noise_cumulant(noise, 6) / sig**6)
    assert tuple(sp.simplify(g) for g in got) == (k4, k6), (
        f"{noise}: (κ₄/σ⁴, κ₆/σ⁶) = {got}, expected {(k4, k6)}"
    )


def test_gaussian_noise_has_no_correction() -> None:
    assert th.correction("gaussian") == 0, f"Gaussian correction {th.correction('gaussian')}"
    w = np.array([0.6, 0.8])
    got = th.edgeworth_correction(np.array([-1.0, 0.5]), w, sigma=0.2, noise="gaussian")
    assert np.all(got == 0), f"Gaussian numeric correction {got}, expected 0"


def test_exponent_and_margin_predictions() -> None:
    assert th.p4_exponent() == 1.0, f"exponent in ‖w‖₄⁴ {th.p4_exponent()}, expected 1"
    assert sp.simplify(th.noise_push() - S * sp.sqrt(2 / sp.pi)) == 0, (
        f"push at c = 0 {th.noise_push()}, expected s√(2/π)"
    )
    assert th.margin_sup() == 0.0, f"sup of the zero-loss pair set {th.margin_sup()}, expected 0"
    assert th.predict_negative_fraction() == 1.0


def test_catalogue_numbers_one_hot() -> None:
    """c = −σ, one-hot w, σ = 0.1: exact −7.5e-4, Edgeworth −4.0e-4 (catalogue P1-N-5)."""
    w, sigma = np.array([1.0]), 0.1
    exact = th.exact_bernoulli(-0.1, w, sigma=sigma) - th.gaussian_expectation(-0.1, w, sigma=sigma)
    edge = th.edgeworth_correction(-0.1, w, sigma=sigma)
    assert float(exact) == pytest.approx(-7.534e-4, rel=1e-3), f"exact excess {exact}"
    assert float(edge) == pytest.approx(-4.033e-4, rel=1e-3), f"Edgeworth {edge}"


@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_enumeration_matches_the_binomial_law(k: int) -> None:
    cs = np.linspace(-0.5, 0.5, 11)
    w = np.zeros(12)
    w[3 : 3 + k] = 1 / math.sqrt(k)
    got = th.exact_bernoulli(cs, w, sigma=0.2)
    want = th.exact_bernoulli_equal(cs, k, sigma=0.2)
    assert np.allclose(got, want, rtol=1e-12, atol=1e-15), (
        f"k={k}: enumeration {got} vs binomial {want}"
    )


def test_enumeration_matches_monte_carlo() -> None:
    rng = np.random.default_rng(5)
    w = rng.standard_normal(7)
    sigma, cs = 0.3, np.array([-0.4, 0.0, 0.25])
    eps = rng.choice([-1.0, 1.0], size=(400_000, 7))
    samples = np.square(np.maximum(cs[:, None] + sigma * (eps @ w), 0.0))
    mc, se = samples.mean(-1), samples.std(-1) / math.sqrt(samples.shape[-1])
    got = th.exact_bernoulli(cs, w, sigma=sigma)
    assert np.all(np.abs(got - mc) < 5 * se), f"enumeration {got}, Monte Carlo {mc} ± {se}"


@pytest.mark.parametrize("seed", range(4))
def test_excess_is_odd_and_zero_at_zero(seed: int) -> None:
    """E[ReLU(x)²] = (x² + x|x|)/2 and E(c + Z)² is the same for both laws, so the excess is
    ½E[(c+Z)|c+Z|] − its Gaussian value: odd in c for symmetric Z, 0 at c = 0."""
    w = np.random.default_rng(seed).standard_normal(6)
    cs = np.array([0.3, 0.9])
    sig = 0.4

    def excess(x: np.ndarray) -> np.ndarray:
        return th.exact_bernoulli(x, w, sigma=sig) - th.gaussian_expectation(x, w, sigma=sig)

    assert np.allclose(excess(cs), -excess(-cs), atol=1e-14), f"excess not odd: {excess(cs)}"
    assert abs(float(excess(np.array(0.0)))) < 1e-14


def test_correction_sign_and_scaling() -> None:
    """Bernoulli (κ₄ < 0): the correction has the sign of c and, at ‖w‖₂ = 1, is ∝ ‖w‖₄⁴."""
    cs = np.array([-1.5, -0.5, 0.5, 1.5])
    a = th.edgeworth_correction(cs, np.array([1.0]), sigma=0.2)
    b = th.edgeworth_correction(cs, np.ones(4) / 2, sigma=0.2)
    assert np.all(np.sign(a) == np.sign(cs)), f"signs {np.sign(a)}, expected those of c"
    assert np.allclose(b, a / 4), f"‖w‖₄⁴ = 1/4 gives {b}, expected a quarter of {a}"


def test_equal_weights_converge_to_the_first_order() -> None:
    """For k equal entries the exact excess / Edgeworth → 1 (lattice terms O(k^−½)): within 1 %
    at k = 4096, and the second-order terms are O(1/k)."""
    cs = np.array([-2.0, -1.0, -0.5])
    k = 4096
    w = np.ones(k) / math.sqrt(k)
    exact = th.exact_bernoulli_equal(cs, k, sigma=1.0) - th.gaussian_expectation(cs, w, sigma=1.0)
    ratio = exact / th.edgeworth_correction(cs, w, sigma=1.0)
    assert np.allclose(ratio, 1.0, atol=0.01), f"k = {k}: ratio {ratio}, expected ≈ 1"


def test_second_order_equal_weights_closed_form() -> None:
    """k equal entries (‖w‖₆⁶/‖w‖₄⁴ = ‖w‖₄⁴ = 1/k), x = c/s: second/first =
    −(4/15)(x² − 3)/k − (x⁴ − 10x² + 15)/(24k)."""
    x, k = np.array([-2.0, -1.0, -0.5]), 4
    w = np.ones(k) / 2
    got = th.second_order_correction(x, w, sigma=1.0) / th.edgeworth_correction(x, w, sigma=1.0)
    want = -(4 / 15) * (x**2 - 3) / k - (x**4 - 10 * x**2 + 15) / (24 * k)
    assert np.allclose(got, want, rtol=1e-12), f"second/first {got}, expected {want}"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: th.exact_bernoulli(0.0, np.zeros(3), sigma=0.1), "non-zero entry"),
        (lambda: th.exact_bernoulli(0.0, np.ones(th.MAX_K + 1), sigma=0.1), "allows"),
        (lambda: th.exact_bernoulli(0.0, np.ones(2), sigma=0.0), "sigma"),
        (lambda: th.edgeworth_correction(0.0, np.array([np.nan]), sigma=0.1), "finite"),
        (lambda: th.exact_bernoulli_equal(0.0, 0, sigma=0.1), "k=0"),
        (lambda: th.gaussian_derivative(-1), "order"),
        (lambda: th.series(0), "order"),
        (lambda: th.noise_cumulant("bernoulli", 0), "order"),
        (lambda: th.noise_cumulant("cauchy", 4), "noise"),
    ],
)
def test_bad_inputs_raise(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
