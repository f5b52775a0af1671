"""Tests of :mod:`theory.no_l1`: the zero-loss set against the project's loss (reference_loss, no
L1, no noise) on constructed members and near misses, and the theory's helpers on cases with
known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch

from sim.autoencoder import AutoencoderParams, fused_loss_and_grad, reference_loss
from theory import no_l1 as th

SIZES = [(2, 1), (4, 2), (6, 3), (5, 4), (16, 8)]  # (n, m) with n ≤ 2m


def _loss(W: np.ndarray) -> float:
    """The project's loss of one W (n, m), λ = 0, in float64."""
    n, m = W.shape
    t = torch.tensor(W[None], dtype=torch.float64)
    return float(reference_loss(t, None, AutoencoderParams.flat(n=n, m=m, instances=1))[0])


def _rotation(m: int, seed: int) -> np.ndarray:
    Q, R = np.linalg.qr(np.random.default_rng(seed).standard_normal((m, m)))
    return Q * np.sign(np.diag(R))


def test_zero_loss_conditions_are_derived() -> None:
    cond = th.zero_loss_conditions()
    assert cond["self"] == sp.FiniteSet(1), f"‖W_i‖² zeroing its term: {cond['self']}, want {{1}}"
    assert cond["pair"] == sp.Interval(-sp.oo, 0), (
        f"W_i·W_j solving ReLU(W_i·W_j)² = 0: {cond['pair']}, expected (−∞, 0]"
    )
    assert th.max_nonacute() == 2 * th.m, f"max non-acute vectors {th.max_nonacute()}, want 2m"


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_cross_polytope_meets_the_conditions_symbolically(m: int) -> None:
    got = th.cross_polytope_check(m)
    assert got["zero_loss"], f"m = {m}: cross-polytope Gram {got['gram']} is not zero-loss"
    assert got["rows"] == got["bound"] == 2 * m, (
        f"m = {m}: {got['rows']} rows, bound {got['bound']}, expected both 2m = {2 * m}"
    )
    assert got["per_neuron"] == [2] * m, (
        f"m = {m}: features per neuron {got['per_neuron']}, expected two on every neuron"
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"n{s[0]}-m{s[1]}")
@pytest.mark.parametrize("rotated", [False, True], ids=["basis", "rotated"])
def test_the_loss_is_zero_on_members(size: tuple[int, int], rotated: bool) -> None:
    n, m = size
    W = th.cross_polytope(n, m)
    if rotated:
        W = W @ _rotation(m, 10 * n + m)
    got = _loss(W)
    assert abs(got) < 1e-24, f"n, m = {n}, {m}, rotated={rotated}: loss {got:.3g}, expected 0"


def test_the_loss_is_zero_on_a_non_basis_member() -> None:
    """Three unit vectors at 120° in R² (pairwise cos −½): zero loss with no neuron one-hot."""
    a = np.array([[math.cos(2 * math.pi * k / 3), math.sin(2 * math.pi * k / 3)] for k in range(3)])
    got = _loss(a)
    assert abs(got) < 1e-24, f"three codes at 120° in R²: loss {got:.3g}, expected 0"


@pytest.mark.parametrize(
    "case",
    ["acute-pair", "norm-1.01", "norm-0.99", "one-row-zero"],
)
def test_the_loss_is_positive_on_near_misses(case: str) -> None:
    n, m = 6, 4
    Q = _rotation(m, 3)
    W = th.cross_polytope(n, m) @ Q  # rows ±e₁, ±e₂, ±e₃ rotated; e₄Q is orthogonal to all
    if case == "acute-pair":
        # W_1 moved from −W_0 to 89.4° from W_0 (cos 0.01), in the free direction e₄Q
        W[1] = 0.01 * W[0] + math.sqrt(1 - 0.01**2) * Q[3]
        want = 2 * 0.01**2  # the pair (0, 1) in both orders, ReLU(0.01)² each
    elif case == "norm-1.01":
        W[0] *= math.sqrt(1.01)
        want = 0.01**2
    elif case == "norm-0.99":
        W[0] *= math.sqrt(0.99)
        want = 0.01**2
    else:
        W[0] = 0.0
        want = 1.0
    got = _loss(W)
    assert got > 0 and got == pytest.approx(want, rel=1e-9), (
        f"{case}: loss {got:.6g}, expected {want:.6g} > 0"
    )


def test_the_acute_pair_alone_costs_its_overlap() -> None:
    """Two unit codes in R² at cosine c > 0: loss 2c²; at c ≤ 0 it is 0."""
    for c in (-0.5, 0.0, 0.01, 0.3):
        W = np.array([[1.0, 0.0], [c, math.sqrt(1 - c * c)]])
        got, want = _loss(W), 2 * max(c, 0.0) ** 2
        assert got == pytest.approx(want, abs=1e-15), f"cos = {c}: loss {got:.3g}, want {want:.3g}"


def test_members_are_fixed_points_of_gradient_descent() -> None:
    W = th.cross_polytope(8, 4) @ _rotation(4, 5)
    t = torch.tensor(W[None], dtype=torch.float64)
    _, grad = fused_loss_and_grad(t, None, AutoencoderParams.flat(n=8, m=4, instances=1))
    err = float(grad.abs().max())
    assert err < 1e-12, f"rotated cross-polytope n = 8, m = 4: max |∂L/∂W| {err:.3g}, expected 0"


def test_cross_polytope_rejects_too_many_features() -> None:
    with pytest.raises(ValueError, match="2m"):
        th.cross_polytope(5, 2)


@pytest.mark.parametrize("m", [2, 8, 64])
def test_isotropic_ratio(m: int) -> None:
    expr = th.isotropic_ratio()
    assert sp.simplify(expr - 3 / (th.m + 2)) == 0, f"isotropic ratio {expr}, expected 3/(m + 2)"
    want = 3 / (m + 2)
    assert th.predict_isotropic_ratio(m) == pytest.approx(want), f"m = {m}: want {want}"
    g = np.random.default_rng(m).standard_normal((200_000, m))
    x = th.fourth_norm_ratio(g)
    se = x.std(ddof=1) / math.sqrt(x.size)
    assert abs(x.mean() - want) < 5 * se, (
        f"m = {m}: sampled E[‖u‖₄⁴/‖u‖₂⁴] {x.mean():.5g} ± {se:.2g}, expected 3/(m+2) = {want:.5g}"
    )


def test_fourth_norm_ratio_and_features_per_neuron_known_cases() -> None:
    W = th.cross_polytope(6, 3)
    assert np.allclose(th.fourth_norm_ratio(W), 1.0), "one-hot rows: ratio 1 expected"
    assert np.allclose(th.features_per_neuron(W), 2.0), (
        f"cross-polytope: features per neuron {th.features_per_neuron(W)}, expected 2 each"
    )
    flat = np.ones((4, 5))
    assert np.allclose(th.fourth_norm_ratio(flat), 1 / 5), "flat rows: ratio 1/m expected"
    assert np.allclose(th.features_per_neuron(flat), 4.0), "equal weights: n features per neuron"
    W = np.zeros((3, 2))
    W[0, 0] = 1.0
    assert th.features_per_neuron(W).tolist() == [1.0, 0.0], "an unused neuron carries 0"


def test_lambda_star_exponent_and_count_rule() -> None:
    expr = th.lambda_star_expr()
    assert sp.simplify(expr * th.steps).free_symbols.isdisjoint({th.steps}), (
        f"λ*(S) = {expr}: expected ∝ 1/S"
    )
    assert th.lambda_star_exponent() == -1.0, f"exponent {th.lambda_star_exponent()}, expected −1"
    n, m = th.collisions.n, th.collisions.m
    rule = th.count_rule()
    assert sp.simplify(rule - n * (n - 1) / (4 * m)) == 0, f"count rule {rule}, want n(n−1)/(4m)"
    assert th.predict_count_rule(16, 64) == pytest.approx(16 * 15 / 256), "n = 16, m = 64"


def test_lambda_end_is_the_end_time_at_the_initial_rho() -> None:
    """λ_end(S) = √(1 + ρ)/(ηρS) with ρ = π/2 − 1: at η = 0.1, S = 100, 0.2196; ∝ 1/S."""
    import math

    from theory import no_l1

    rho = math.pi / 2 - 1
    want = math.sqrt(1 + rho) / (0.1 * rho * 100)
    got = no_l1.predict_lambda_end(0.1, 100)
    assert got == pytest.approx(want, rel=1e-12), f"λ_end(0.1, 100) = {got}, expected {want}"
    ratio = no_l1.predict_lambda_end(0.1, 400) / got
    assert ratio == pytest.approx(0.25, rel=1e-12), f"λ_end(4S)/λ_end(S) = {ratio}, expected ¼"
