"""Tests of :mod:`theory.interference`: the derived pair term against torch autograd of the loss,
the sign condition, the moment identity E[ReLU(Z)²] = Var Z / 2, the strength at init and the
decorrelation rate, each on synthetic data with a known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
from scipy import integrate

from sim.autoencoder import AutoencoderParams, reference_loss
from theory import interference as th

SHAPES = [(3, 2), (5, 7), (8, 16), (16, 8)]


def _autograd_pair_force(W: np.ndarray) -> np.ndarray:
    """−∂/∂W of the pair terms Σ_{i≠j} ReLU(W_i·W_j)² alone (real units), by autograd."""
    t = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    Z = t @ t.T
    off = ~torch.eye(W.shape[0], dtype=torch.bool)
    (torch.relu(Z[off]) ** 2).sum().backward()
    assert t.grad is not None
    return -t.grad.numpy()


def test_derived_constants() -> None:
    got = (th.time_unit(), th.pair_constant("real"), th.pair_constant("code"))
    assert got == (4, -4, -1), (
        f"(c_self, c_pair real, c_pair code) = {got}, expected (4, -4, -1) from the n = 3, m = 2 "
        "symbolic loss"
    )
    with pytest.raises(ValueError, match="units"):
        th.pair_constant("seconds")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"n{s[0]}-m{s[1]}")
def test_pair_force_equals_autograd_of_the_pair_terms(shape: tuple[int, int]) -> None:
    W = np.random.default_rng(sum(shape)).standard_normal(shape) / math.sqrt(shape[1])
    got = th.pair_force(W, "real")
    want = _autograd_pair_force(W)
    err = np.abs(got - want).max()
    assert err < 1e-12, f"n, m = {shape}: max |pair_force − autograd| = {err:.3g}, expected < 1e-12"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"n{s[0]}-m{s[1]}")
def test_full_gradient_is_self_term_plus_pair_force(shape: tuple[int, int]) -> None:
    """The project's loss (reference_loss, no L1, no noise): −∂L/∂W_i = 4(1 − ‖W_i‖²)W_i + pair
    term; in code units (÷ 4) the pair term is −Σ ReLU(W_i·W_j)W_j."""
    n, m = shape
    W = np.random.default_rng(7 * n + m).standard_normal((2, n, m)) / math.sqrt(m)
    t = torch.tensor(W, requires_grad=True)
    reference_loss(t, None, AutoencoderParams.flat(n=n, m=m, instances=2)).sum().backward()
    assert t.grad is not None
    flow_code = -t.grad.numpy() / float(th.time_unit())
    sq = (W * W).sum(-1, keepdims=True)
    pair = flow_code - (1 - sq) * W
    err = np.abs(pair - th.pair_force(W)).max()
    assert err < 1e-12, (
        f"n, m = {shape}: max |(−∂L/∂W)/4 − self term − pair_force| = {err:.3g}, expected < 1e-12"
    )


@pytest.mark.parametrize("dot", [-0.3, 0.0, 0.4], ids=["negative", "zero", "positive"])
def test_only_positively_aligned_pairs_repel(dot: float) -> None:
    a = np.array([1.0, 0.0, 0.0])
    b = np.array([dot, math.sqrt(1 - dot**2), 0.0])
    F = th.pair_force(np.stack([a, b]))
    want = -max(dot, 0.0) * np.stack([b, a])
    assert np.allclose(F, want, atol=1e-15), (
        f"W_0·W_1 = {dot}: pair force {F.tolist()}, expected {want.tolist()} (zero unless > 0)"
    )


def test_a_negative_pair_adds_nothing_among_others() -> None:
    rng = np.random.default_rng(3)
    W = rng.standard_normal((6, 10))
    W[1] = -W[0] + 0.01 * rng.standard_normal(10)  # W_0·W_1 < 0
    F = th.pair_force(W)
    W_without = W.copy()
    W_without[1] = 0.0  # a feature with no overlap at all
    F_without = th.pair_force(W_without)
    err = np.abs(F[0] - F_without[0]).max()
    assert err < 1e-12, (
        f"W_0·W_1 = {W[0] @ W[1]:.3g} < 0: the force on W_0 moved by {err:.3g} when W_1 was "
        "removed, expected 0"
    )


def test_relu_square_moment_is_half_the_variance() -> None:
    got = th.relu_square_moment()
    assert sp.simplify(got - th.s**2 / 2) == 0, f"E[ReLU(Z)²] = {got}, expected s²/2"
    for sd in (0.1, 1.0, 3.0):
        quad, _ = integrate.quad(
            lambda x, sd=sd: (
                x * x * math.exp(-x * x / (2 * sd * sd)) / (sd * math.sqrt(2 * math.pi))
            ),
            0,
            math.inf,
        )
        want = float(got.subs(th.s, sd))
        assert quad == pytest.approx(want, rel=1e-8), f"sd = {sd}: quadrature {quad}, sympy {want}"


@pytest.mark.parametrize("m", [2, 8, 64])
def test_relu_square_moment_of_init_overlaps_is_exact_at_every_m(m: int) -> None:
    """Z = W_i·W_j with N(0, 1/m) entries is not Gaussian at small m, but symmetric, so
    E[ReLU(Z)²] = E[Z²]/2 = 1/(2m) still (sampling, 5 standard errors)."""
    rng = np.random.default_rng(m)
    a = rng.standard_normal((400_000, m)) / math.sqrt(m)
    b = rng.standard_normal((400_000, m)) / math.sqrt(m)
    x = np.maximum((a * b).sum(-1), 0.0) ** 2
    want = 1 / (2 * m)
    se = x.std(ddof=1) / math.sqrt(x.size)
    assert abs(x.mean() - want) < 5 * se, (
        f"m = {m}: E[ReLU(Z)²] sampled {x.mean():.5g} ± {se:.2g}, expected 1/(2m) = {want:.5g}"
    )


def test_init_strength() -> None:
    expr = th.init_strength_expr()
    assert sp.simplify(expr + (th.n - 1) / th.m) == 0, f"strength {expr}, expected −(n − 1)/m"
    for n, m in [(2, 1), (8, 64), (32, 512)]:
        got = th.predict_init_strength(n, m)
        assert got == pytest.approx(-(n - 1) / m), (
            f"n, m = {n}, {m}: {got}, expected {-(n - 1) / m}"
        )
    assert th.strength_m_exponent() == -1.0, f"m-exponent {th.strength_m_exponent()}, expected −1"
    assert th.strength_n_exponent() == 1.0, f"n-exponent {th.strength_n_exponent()}, expected 1"


def test_init_strength_by_sampling() -> None:
    """−2 Σ_{j≠i} ReLU(W_i·W_j)², averaged over i and many inits, against −(n − 1)/m."""
    n, m, reps = 6, 20, 20_000
    W = np.random.default_rng(11).standard_normal((reps, n, m)) / math.sqrt(m)
    drain = 2 * (W * th.pair_force(W)).sum(-1).mean(-1)  # the pair part of d‖W_i‖²/dτ
    se = drain.std(ddof=1) / math.sqrt(reps)
    want = th.predict_init_strength(n, m)
    assert abs(drain.mean() - want) < 5 * se, (
        f"n, m = {n}, {m}: sampled {drain.mean():.5g} ± {se:.2g}, expected {want:.5g}"
    )


def test_decorrelation_expression() -> None:
    d = th.decorrelation()
    want = -th.kappa * (th.A + th.B) * (1 - th.kappa**2)
    assert sp.simplify(d["dkappa"] - want) == 0, f"dκ/dτ = {d['dkappa']}, expected {want}"
    assert sp.simplify(th.decorrelation_rate_expr() - (th.A + th.B)) == 0
    for a, b in [(1.0, 1.0), (0.5, 2.0), (0.8, 0.9)]:
        got = th.predict_decorrelation_rate(a, b)
        assert got == pytest.approx(a + b), f"‖W_i‖², ‖W_j‖² = {a}, {b}: rate {got}, want {a + b}"


@pytest.mark.parametrize("case", range(5))
def test_decorrelation_rate_matches_the_numeric_pair_flow(case: int) -> None:
    """dκ/dτ by a central difference of the code-unit flow (self term + pair_force) of a random
    positively aligned pair, against the derived −κ(A + B)(1 − κ²)."""
    rng = np.random.default_rng(case)
    W = rng.standard_normal((2, 5)) * rng.uniform(0.5, 1.5, (2, 1))
    if W[0] @ W[1] < 0:
        W[1] = -W[1]

    def flow(W: np.ndarray) -> np.ndarray:
        sq = (W * W).sum(-1, keepdims=True)
        return (1 - sq) * W + th.pair_force(W)

    def cos(W: np.ndarray) -> float:
        return float(W[0] @ W[1] / np.linalg.norm(W[0]) / np.linalg.norm(W[1]))

    h = 1e-6
    got = (cos(W + h * flow(W)) - cos(W - h * flow(W))) / (2 * h)
    A, B, k = float(W[0] @ W[0]), float(W[1] @ W[1]), cos(W)
    want = float(th.decorrelation()["dkappa"].subs({th.A: A, th.B: B, th.kappa: k}))
    assert got == pytest.approx(want, rel=1e-5, abs=1e-9), (
        f"case {case} (A = {A:.3g}, B = {B:.3g}, κ = {k:.3g}): dκ/dτ {got:.6g}, derived {want:.6g}"
    )
