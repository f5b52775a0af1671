"""theory.kurtosis against brute force, exact enumeration and sampling; the kurtosis claims'
helpers."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from claims import Claim
from claims._params import leaves
from claims.catalog.kurtosis_mechanism import KURTOSIS_MECHANISM, VARIANTS, MechanismParams
from claims.catalog.kurtosis_sparsity import (
    KURTOSIS_SPARSITY,
    KurtosisParams,
    crossing_time,
    fourth_norms,
)
from sim import ParamError
from sim.autoencoder import AutoencoderParams, draw_noise, reference_loss
from theory import kurtosis as K

EXPECTED_KAPPA = {
    "bernoulli": sp.Integer(-2),
    "uniform": sp.Rational(-6, 5),
    "gaussian": sp.Integer(0),
    "laplace": sp.Integer(3),
}


def _at(expr: sp.Expr, w: np.ndarray, sigma2: float, mu4: float) -> float:
    """Evaluate a derived expression at a concrete w (length m) and moments."""
    subs = {K.m: len(w), K.sigma: math.sqrt(sigma2), K.mu4: mu4}
    concrete = expr.subs(subs).doit().subs({K.w[i + 1]: float(x) for i, x in enumerate(w)})
    return float(concrete)


def test_fourth_moment_identity_symbolic_m() -> None:
    diff = sp.simplify(K.projection_moment(4) - K.fourth_moment_identity())
    assert diff == 0, f"projection_moment(4) - paper form = {diff}, but should be 0 [symbolic m]"


@pytest.mark.parametrize("r", [1, 2, 3, 4, 5, 6])
def test_two_derivations_agree(r: int) -> None:
    diff = sp.simplify(K.projection_moment(r) - K.projection_moment_from_cumulants(r))
    assert diff == 0, f"index-pattern minus cumulant derivation = {diff}, but should be 0 [r={r}]"


def test_second_moment_is_sigma2_norm2() -> None:
    diff = sp.simplify(K.projection_moment(2) - K.sigma**2 * K.power_sum(2))
    assert diff == 0, f"E[(w·ξ)²] - σ²‖w‖₂² = {diff}, but should be 0"


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
def test_identity_matches_multinomial_expansion_at_concrete_m(m: int) -> None:
    """Expand (Σ w_k ξ_k)⁴ with m symbols, take each monomial's expectation by independence."""
    ws = sp.symbols(f"w1:{m + 1}", real=True)
    xs = sp.symbols(f"x1:{m + 1}", real=True)
    poly = sp.Poly(sp.expand(sum(a * b for a, b in zip(ws, xs, strict=True)) ** 4), *xs)
    moment = {0: 1, 1: 0, 2: K.sigma**2, 3: 0, 4: K.mu4}
    brute = sum(coef * sp.Mul(*(moment[e] for e in exps)) for exps, coef in poly.terms())
    derived = (
        K.fourth_moment_identity().subs(K.m, m).doit().subs({K.w[i + 1]: ws[i] for i in range(m)})
    )
    assert sp.expand(brute - derived) == 0, (
        f"brute force - identity = {sp.expand(brute - derived)} [m={m}]"
    )


@settings(max_examples=40, deadline=None)
@given(
    m=st.integers(1, 4),
    a=st.floats(0.05, 3.0),
    b=st.floats(0.05, 3.0),
    p=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**32 - 1),
)
def test_identity_holds_for_random_symmetric_distributions(
    m: int, a: float, b: float, p: float, seed: int
) -> None:
    """ξ_k = ±a with probability p, ±b otherwise (random numeric σ², μ₄): exact E[(w·ξ)⁴] by
    enumerating all 4^m noise vectors equals the identity."""
    w = np.random.default_rng(seed).normal(size=m)
    values = np.array([a, -a, b, -b])
    probs = np.array([p / 2, p / 2, (1 - p) / 2, (1 - p) / 2])
    sigma2, mu4 = float(probs @ values**2), float(probs @ values**4)
    exact = 0.0
    for combo in itertools.product(range(4), repeat=m):
        exact += np.prod(probs[list(combo)]) * float(w @ values[list(combo)]) ** 4
    predicted = _at(K.fourth_moment_identity(), w, sigma2, mu4)
    assert math.isclose(exact, predicted, rel_tol=1e-9, abs_tol=1e-12), (
        f"E[(w·ξ)⁴]={exact}, but the identity gives {predicted} [m={m}, a={a}, b={b}, p={p}, w={w}]"
    )


@pytest.mark.parametrize("noise", K.NOISES)
def test_excess_kurtosis_and_variance_from_sympy_stats(noise: str) -> None:
    second, _ = K.noise_moments(noise)
    assert sp.simplify(second - K.sigma**2) == 0, f"E ξ²={second}, but should be σ² [{noise}]"
    assert K.excess_kurtosis(noise) == EXPECTED_KAPPA[noise], (
        f"excess kurtosis={K.excess_kurtosis(noise)}, "
        f"but should be {EXPECTED_KAPPA[noise]} [{noise}]"
    )
    assert K.predicted_sign(noise) == -int(sp.sign(EXPECTED_KAPPA[noise])), (
        f"sign of the change [{noise}]"
    )


@pytest.mark.parametrize("noise", K.NOISES)
def test_simulator_noise_matches_theory_moments(noise: str) -> None:
    """sim.autoencoder.draw_noise has the variance σ² and excess kurtosis theory assigns to it."""
    sigma = 0.3
    p = AutoencoderParams.flat(n=1, m=1, noise=noise, sigma=sigma)  # type: ignore[arg-type]
    gen = torch.Generator().manual_seed(7)
    x = draw_noise(p, (2_000_000,), gen, dtype=torch.float64, device=torch.device("cpu")).numpy()
    var = x.var()
    kappa = (x**4).mean() / var**2 - 3
    assert abs(var / sigma**2 - 1) < 0.01, f"variance={var}, but should be σ²={sigma**2} [{noise}]"
    assert abs(kappa - K.predict_excess_kurtosis(noise)) < 0.15, (
        f"sample excess kurtosis={kappa:.3f}, "
        f"but theory says {K.predict_excess_kurtosis(noise)} [{noise}]"
    )


def test_laplace_noise_has_no_clamp_atom() -> None:
    """torch.rand returns exactly 0 with probability 2^-24: the sampler must stay finite and tame
    there."""
    p = AutoencoderParams.flat(n=1, m=1, noise="laplace", sigma=1.0)
    gen = torch.Generator().manual_seed(0)
    largest = 0.0
    for _ in range(24):  # 24 × 4M draws: ≈ 6 zeros of torch.rand expected
        x = draw_noise(p, (4_000_000,), gen, dtype=torch.float32, device=torch.device("cpu"))
        largest = max(largest, float(x.abs().max()))
    # Laplace(σ/√2) below probability 2^-24 per draw reaches |ξ| ≈ 12σ; the atom sits at 56.6σ
    assert largest < 20.0, f"largest |ξ| = {largest}σ in 9.6e7 draws, but should be ≲ 13σ [laplace]"


@pytest.mark.parametrize("m", [4, 16, 64])
def test_init_and_isotropic_fourth_norms(m: int) -> None:
    assert K.init_fourth_norm().subs(K.m, m) == sp.Rational(3, m), f"E‖W_i‖₄⁴ at init [m={m}]"
    assert K.isotropic_fourth_norm().subs(K.m, m) == sp.Rational(3, m + 2), f"sphere E‖u‖₄⁴ [m={m}]"
    rng = np.random.default_rng(m)
    g = rng.normal(size=(200_000, m))
    u4 = ((g / np.linalg.norm(g, axis=1, keepdims=True)) ** 4).sum(1)
    w4 = ((g / np.sqrt(m)) ** 4).sum(1)
    for name, sample, exact in (("sphere", u4, 3 / (m + 2)), ("init", w4, 3 / m)):
        se = sample.std() / np.sqrt(sample.size)
        assert abs(sample.mean() - exact) < 5 * se, (
            f"{name}: Monte Carlo {sample.mean():.5f} ± {se:.1e}, exact {exact} [m={m}]"
        )


@pytest.mark.parametrize("m_prime", [1, 2, 3, 5])
def test_bound_identities(m_prime: int) -> None:
    lower, upper = K.bound_identities(m_prime)
    assert lower == 0 and upper == 0, (
        f"sum-of-squares identities leave {lower}, {upper} [m′={m_prime}]"
    )


@settings(max_examples=60, deadline=None)
@given(w=st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=12))
def test_fourth_norm_range(w: list[float]) -> None:
    v = np.array(w)
    nz = np.count_nonzero(np.abs(v) > 1e-3)
    v = np.where(np.abs(v) > 1e-3, v, 0.0)
    if nz == 0:
        return
    r = (v**4).sum() / (v**2).sum() ** 2
    assert 1 / nz - 1e-12 <= r <= 1 + 1e-12, (
        f"‖w‖₄⁴/‖w‖₂⁴={r}, but should be in [1/{nz}, 1] [w={v}]"
    )
    assert (nz == 1) == math.isclose(r, 1.0), f"‖w‖₄⁴/‖w‖₂⁴={r} is 1 iff one-hot [w={v}]"


def test_linear_decoder_sees_sigma2_only() -> None:
    expr = K.shifted_square_moment()
    assert K.mu4 not in expr.free_symbols, f"E[(c + w·ξ)²] = {expr} should not involve μ₄"
    assert sp.simplify(expr - K.c**2 - K.sigma**2 * K.power_sum(2)) == 0, f"E[(c + w·ξ)²] = {expr}"


@pytest.mark.parametrize(
    "levels", [(1.0,), (1.0, 2.5)]
)  # Bernoulli ±1; a 4-point law with another μ₄
def test_linear_decoder_expected_loss_by_enumeration(levels: tuple[float, ...]) -> None:
    """Without the output ReLU, E_ξ L(W, ξ) = L(W) + nσ²‖W‖_F² exactly, whatever μ₄: enumerate ξ."""
    n, m = 2, 3
    rng = np.random.default_rng(1)
    W = torch.tensor(rng.normal(size=(1, n, m)) / np.sqrt(m))
    values = np.array([s * a for a in levels for s in (1, -1)])
    probs = np.full(values.size, 1 / values.size)
    sigma2 = float(probs @ values**2)
    p = AutoencoderParams.flat(n=n, m=m, instances=1, activation="none", dtype="float64")
    mean = 0.0
    for combo in itertools.product(range(values.size), repeat=m):
        xi = torch.tensor(values[list(combo)]).reshape(1, 1, m)
        mean += float(np.prod(probs[list(combo)])) * float(reference_loss(W, xi, p))
    expected = float(reference_loss(W, None, p)) + n * sigma2 * float(W.square().sum())
    assert math.isclose(mean, expected, rel_tol=1e-10), (
        f"E L={mean}, but L(W) + nσ²‖W‖²_F = {expected} [levels={levels}]"
    )


def test_linear_decoder_mu4_weight_is_zero() -> None:
    """The no-relu fit's prediction: μ₄ does not reach a linear decoder's expected loss."""
    assert K.linear_decoder_mu4_weight() == 0, (
        f"∂/∂μ₄ E[(c + w·ξ)²] = {K.linear_decoder_mu4_weight()}"
    )


@pytest.mark.parametrize(
    ("noise", "invariant"),
    [
        ("none", True),
        ("gaussian", True),
        ("bernoulli", False),
        ("uniform", False),
        ("laplace", False),
    ],
)
def test_rotation_invariant_noises(noise: str, invariant: bool) -> None:
    """Maxwell: of i.i.d. noises only the Gaussian (and none) has a rotation-invariant law; the
    change of ‖W_i‖₄⁴/‖W_i‖₂⁴ is derived (0) exactly there, elsewhere only its sign."""
    assert K.rotation_invariant(noise) is invariant, f"rotation_invariant({noise!r})"
    change = K.predict_ratio_change(noise)
    assert (change == 0.0) if invariant else (change is None), f"{noise}: change {change}"
    # without the output ReLU μ₄ never reaches the expected loss: 0 for every noise
    assert K.predict_ratio_change(noise, activation="none") == 0.0, f"{noise}: no-ReLU change"
    if noise != "none":  # the κ sign agrees: a rotation-invariant noise has κ = 0
        assert (K.predicted_sign(noise) == 0) is invariant, (
            f"{noise}: sign {K.predicted_sign(noise)}"
        )


def _kurtosis(x: np.ndarray) -> float:
    return float((x**4).mean() / (x**2).mean() ** 2)


def test_rotation_invariance_by_sampling() -> None:
    """The derivation against sampling: rotating two Gaussian coordinates by 45° keeps their law
    (its kurtosis), rotating two uniform or Laplace ones does not."""
    rng = np.random.default_rng(3)
    samples = {
        "gaussian": rng.normal(size=(400_000, 2)),
        "uniform": rng.uniform(-1, 1, size=(400_000, 2)),
        "laplace": rng.laplace(size=(400_000, 2)),
    }
    for noise, x in samples.items():
        rotated = (x[:, 0] + x[:, 1]) / math.sqrt(2)
        same = abs(_kurtosis(rotated) - _kurtosis(x[:, 0])) < 0.1
        assert same is K.rotation_invariant(noise), (
            f"{noise}: kurtosis {_kurtosis(rotated):.3f} rotated, {_kurtosis(x[:, 0]):.3f} not"
        )


def test_sparsity_change_fits_follow_theory() -> None:
    """The change fits' form comes from theory.kurtosis: a "==" fit at the derived 0 where the noise
    is rotation invariant (half-width: the no-change margin), the sign −sign κ elsewhere."""
    p = KURTOSIS_SPARSITY.params["standard"]
    specs = {s.key: s for s in KURTOSIS_SPARSITY.specs(p)}
    for noise in ("none", *K.NOISES):
        spec = specs[f"change-{noise}"]
        if K.predict_ratio_change(noise) is not None:
            assert (spec.relation, spec.tolerance) == ("==", p.gaussian_margin), noise
        else:
            assert spec.relation == (">" if K.predicted_sign(noise) > 0 else "<"), noise


def test_mechanism_statements_are_predictions() -> None:
    """'A 4× larger lr is not equivalent' is a fit that passes when it holds (its ratio below the
    ¾ that lr-half counts as first order), not a recorded deviation; no-relu follows the theory."""
    assert not KURTOSIS_MECHANISM.deviations, f"deviations {sorted(KURTOSIS_MECHANISM.deviations)}"
    specs = {s.key: s for s in KURTOSIS_MECHANISM.specs(KURTOSIS_MECHANISM.params["standard"])}
    assert (specs["lr-large"].relation, specs["lr-half"].relation) == ("<", ">")
    assert specs["no-relu"].relation == "<" and specs["reference"].relation == ">"


def test_fourth_norms_on_known_rows() -> None:
    W = torch.zeros(1, 2, 4, dtype=torch.float64)
    W[0, 0, 1] = 2.0  # one-hot: ‖w‖₄⁴ = 16, ratio 1
    W[0, 1] = 0.5  # uniform over 4: ‖w‖₄⁴ = 4/16, ratio 1/4
    out = fourth_norms(W)
    assert torch.allclose(
        out, torch.tensor([[(16 + 0.25) / 2, (1 + 0.25) / 2]], dtype=torch.float64)
    ), f"{out}"


def test_crossing_time_on_synthetic_curves() -> None:
    t = np.array([0.0, 1.0, 10.0, 100.0])
    curves = np.array(
        [
            [0.0, 0.1, 0.5, 0.9],  # crosses 0.7 halfway between 10 and 100 in log time
            [0.0, 0.1, 0.2, 0.3],  # never
            [0.8, 0.9, 0.9, 0.9],  # already above at step 0
            [0.0, 0.9, 0.9, 0.9],
        ]
    )  # between step 0 and the first recorded step
    got = crossing_time(t, curves, 0.7)
    assert math.isclose(got[0], math.sqrt(1000.0)), f"crossing={got[0]}, but should be 10^1.5"
    assert got[1] == np.inf and np.isnan(got[2]) and got[3] == 1.0, f"crossings={got}"


def test_params_validation_names_the_field() -> None:
    with pytest.raises(ParamError, match="sigmas"):
        KurtosisParams(sigmas=(0.1,))
    with pytest.raises(ParamError, match="seeds"):
        KURTOSIS_SPARSITY.resolve(
            "standard", {"train.noise.scope": "step"}
        )  # one seed: one replicate
    with pytest.raises(ParamError, match="plateau"):
        KurtosisParams(plateau=0.1)  # below 3/(m+2)
    with pytest.raises(ParamError, match="draws"):
        MechanismParams(draws=1)
    with pytest.raises(ParamError, match=r"train\.optimiser\.lr"):
        KURTOSIS_MECHANISM.resolve("standard", {"train.optimiser.lr": "-1"})


@pytest.mark.parametrize(
    ("claim", "path"),
    [
        (KURTOSIS_SPARSITY, "train.noise.sigma"),
        (KURTOSIS_SPARSITY, "train.noise.kind"),
        (KURTOSIS_MECHANISM, "train.noise.draws"),
        (KURTOSIS_MECHANISM, "train.model.activation"),
    ],
)
def test_fields_the_runs_set_are_not_settable(claim: Claim, path: str) -> None:
    with pytest.raises(ParamError, match="not settable"):
        claim.resolve("standard", {path: "1"})


@pytest.mark.parametrize("scale", ["smoke", "standard", "paper"])
def test_mechanism_variants_change_one_thing_at_equal_lr_t(scale: str) -> None:
    p = KURTOSIS_MECHANISM.params[scale]
    ref = p.variant("reference", seed=3, device="cpu")
    assert ref == dataclasses.replace(p.train, seed=3, device="cpu"), (
        "the reference run is the train params"
    )
    changed = {
        "lr-half": {"optimiser.lr", "optimiser.steps"},
        "lr-large": {"optimiser.lr", "optimiser.steps"},
        "draws": {"noise.draws"},
        "per-sample": {"noise.scope"},
        "no-relu": {"model.activation"},
    }
    before = {leaf.path: leaf.value for leaf in leaves(ref)}
    for name in VARIANTS[1:]:
        v = p.variant(name, seed=3, device="cpu")
        diff = {leaf.path for leaf in leaves(v) if leaf.value != before[leaf.path]}
        assert diff == changed[name], (
            f"{name} changes {sorted(diff)}, not {sorted(changed[name])} [{scale}]"
        )
        o = v.optimiser
        assert math.isclose(o.lr * o.steps, p.time, rel_tol=1e-9), (
            f"{name}: lr·t={o.lr * o.steps}, not {p.time}"
        )
    assert p.variant("lr-half", seed=0, device="cpu").optimiser.lr == p.train.optimiser.lr / 2
    assert p.variant("draws", seed=0, device="cpu").noise.draws == p.draws
