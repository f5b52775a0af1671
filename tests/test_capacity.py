"""Tests of the capacity theory (:mod:`theory.capacity`), the quadratic model
(:mod:`sim.quadratic`), the allocation solver (:mod:`theory.allocation`) and the params of the
``capacity-bound`` and ``capacity-allocation`` claims, and the code consistency checks that are
not evidence for the theory (numpy against sympy on the same frames, the solver against the KKT
rule it is solved from), kept here rather than as the claims' fits.

The bound ΣC_i ≤ rank(W) ≤ d is a hypothesis property test over random W; the closed forms
derived in sympy are compared with the catalogue's (typed in here, and only here).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim import ParamError
from sim.quadratic import QuadraticParams, capacities, expected_loss, train
from theory import capacity as th
from theory.allocation import proportional_allocation, rule_capacity, solve_allocation

K, v, C, lam, r = th.K, th.v, th.C, th.lam, th.r

# -- capacity and the bound -----------------------------------------------------------------------

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def embeddings(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    """A random W (N, d) and an upper bound on its rank: d, or k when only k columns are non-zero
    (exact zeros, so the rank bound is exact in floating point)."""
    n = draw(st.integers(1, 12), label="features")
    d = draw(st.integers(1, 6), label="dimension")
    W = draw(arrays(np.float64, (n, d), elements=finite), label="W")
    k = draw(st.integers(1, d), label="non-zero columns")
    W[:, k:] = 0.0
    return W, k


@settings(max_examples=300, deadline=None)
@given(case=embeddings())
def test_capacity_sum_is_bounded_by_rank(case: tuple[np.ndarray, int]) -> None:
    """P2-BOUND: 0 <= C_i <= 1 and Σ C_i <= rank(W) <= d for any W (rank counted exactly: every
    non-zero singular value, however small, is a direction a feature can own)."""
    W, k = case
    c = capacities(W)
    rank = int(np.linalg.matrix_rank(W, tol=0)) if np.any(W) else 0
    assert np.all((c >= 0) & (c <= 1 + 1e-12)), (
        f"C={c}, but should lie in [0, 1] [W shape {W.shape}]"
    )
    assert c.sum() <= rank + 1e-9, (
        f"ΣC={c.sum()}, but should be <= rank(W)={rank} [W shape {W.shape}]"
    )
    assert c.sum() <= k + 1e-9, (
        f"ΣC={c.sum()}, but should be <= {k} (non-zero columns) <= d={W.shape[1]}"
    )


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 6), extra=st.integers(0, 6))
def test_tight_frames_reach_the_bound(seed: int, d: int, extra: int) -> None:
    """P2-EFF: a tight frame (orthonormal columns, any row norms) has Σ C_i = d exactly."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d + extra, d)))
    total = capacities(q * rng.uniform(0.1, 5)).sum()
    assert abs(total - d) < 1e-9, f"ΣC={total}, but should be d={d} [k={d + extra}, seed={seed}]"


def test_capacity_special_cases() -> None:
    e = np.eye(3)
    np.testing.assert_allclose(capacities(e), 1.0, err_msg="orthogonal features: C = 1")
    copies = np.ones((4, 2))
    np.testing.assert_allclose(capacities(copies), 0.25, err_msg="k parallel copies: C = 1/k each")
    W = np.array([[1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(
        capacities(W), [1.0, 0.0], err_msg="a zero row (unrepresented feature): C = 0"
    )
    pair = np.array([[1.0], [-0.3]])
    np.testing.assert_allclose(
        capacities(pair).sum(), 1.0, err_msg="two features on one neuron share one dimension"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("antipodal", sp.Rational(1, 2)),
        ("3-gon", sp.Rational(2, 3)),
        ("4-gon", sp.Rational(1, 2)),
        ("5-gon", sp.Rational(2, 5)),
        ("6-gon", sp.Rational(1, 3)),
        ("7-gon", sp.Rational(2, 7)),
        ("8-gon", sp.Rational(1, 4)),
        ("tetrahedron", sp.Rational(3, 4)),
        ("square-antiprism", sp.Rational(3, 8)),
    ],
)
def test_frame_values_are_d_over_k(name: str, value: sp.Rational) -> None:
    """Catalogue T-4: C_i = d/k, exactly, and the numeric capacity agrees to round-off."""
    caps = th.frame_capacity(name)
    assert all(c == value for c in caps), f"C_i={caps}, but should all be {value} [{name}]"
    W = np.array(th.frame_vectors(name).evalf(30).tolist(), dtype=float)
    np.testing.assert_allclose(capacities(W), float(value), atol=1e-12, err_msg=name)


def test_numpy_capacities_reproduce_the_exact_frame_values() -> None:
    """A consistency test of the code (formerly capacity-bound's fit ``frame-values``, no evidence
    for the theory: numpy and sympy evaluate one formula on the same vectors). For every frame the
    claim uses, sympy's exact C_i are d/k for the frame's shape, and numpy's capacities of the
    frame and of random rotations of it reproduce them to round-off."""
    from claims.catalog.capacity_bound import FRAMES

    rng = np.random.default_rng(0)
    for name in FRAMES:
        V = th.frame_vectors(name)
        k, d = V.shape
        exact = th.frame_capacity(name)
        assert exact == [sp.Rational(d, k)] * k, f"C_i={exact}, but should all be d/k={d}/{k}"
        W = np.array(V.evalf(30).tolist(), dtype=float)
        for _ in range(5):
            q, _ = np.linalg.qr(rng.standard_normal((d, d)))
            np.testing.assert_allclose(
                capacities(W @ q), np.array(exact, dtype=float), atol=1e-12, err_msg=name
            )


def test_shared_neuron_wastes_one_dimension_per_extra_feature() -> None:
    """Derived here (capacity-bound's waste-per-neuron prediction): f features on one neuron alone
    hold ΣC = 1 whatever their weights and signs, so each feature beyond the first wastes one
    dimension; the numeric capacities agree."""
    for f in range(1, 6):
        assert th.shared_neuron_capacity(f) == 1, f"ΣC={th.shared_neuron_capacity(f)} [f={f}]"
    assert th.waste_per_shared_feature() == 1, f"slope {th.waste_per_shared_feature()}, not 1"
    rng = np.random.default_rng(2)
    for f in range(1, 6):
        W = np.zeros((f + 2, 4))
        W[:f, 1] = rng.uniform(0.2, 2.0, f) * rng.choice([-1.0, 1.0], f)  # f features, neuron 1
        W[f:, [0, 2]] = np.eye(2)  # two features with a neuron each
        waste = len(W) - capacities(W).sum()
        assert abs(waste - (f - 1)) < 1e-12, f"waste {waste}, but should be f − 1 = {f - 1}"


def test_antiprism_height_is_solved() -> None:
    h = th._antiprism_height()
    assert sp.simplify(h - 1 / sp.sqrt(2)) == 0, f"tight height h={h}, but should be 1/√2 (8h² = 4)"


# -- the quadratic model: derivations -------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3])
def test_loss_derived_from_the_model(n: int) -> None:
    """P2-LOSS: moments of the expanded model give (K−1)Σ(v_i − G_ii)² + 2Σ_{i≠j} G_ij²."""
    diff = sp.simplify(th.quadratic_loss(n) - th.quadratic_loss_reference(n))
    assert diff == 0, f"derived − closed form = {diff}, but should be 0 [N={n}]"


def test_loss_of_capacity() -> None:
    """P2-LC: L_i(C) = 2(K−1)v²(1−C)/(2+(K−3)C), ‖W_i‖²* = (K−1)vC/(2+(K−3)C)."""
    catalogue = 2 * (K - 1) * v**2 * (1 - C) / (2 + (K - 3) * C)
    assert sp.simplify(th.loss_of_capacity() - catalogue) == 0, f"L(C)={th.loss_of_capacity()}"
    assert sp.simplify(th.optimal_norm() - (K - 1) * v * C / (2 + (K - 3) * C)) == 0, (
        f"s*={th.optimal_norm()}"
    )
    assert sp.simplify(th.loss_of_capacity().subs(C, 0) - (K - 1) * v**2) == 0, (
        "ignored feature: L(0) = (K−1)v²"
    )
    assert th.loss_of_capacity().subs(C, 1) == 0, "monosemantic feature: L(1) = 0"


@pytest.mark.parametrize(("k", "sign"), [(2.0, -1), (2.9, -1), (3.0, 0), (3.1, 1), (10.0, 1)])
def test_convexity_flips_at_kurtosis_three(k: float, sign: int) -> None:
    """P2-CONVEX: d²L/dC² has the sign of K − 3 on [0, 1]."""
    curv = th.numeric(th.curvature(), C, v, K)
    values = curv(np.linspace(0, 1, 11), 0.7, k)
    assert np.all(np.sign(np.round(values, 14)) == sign), (
        f"curvature signs {np.sign(values)}, but should be {sign} [K={k}]"
    )


def test_thresholds_and_interior() -> None:
    thr = th.thresholds()
    assert sp.simplify(thr["ignored_below"] - sp.sqrt(2 * lam) / (K - 1)) == 0, (
        f"ignored below {thr['ignored_below']}"
    )
    assert sp.simplify(thr["monosemantic_above"] - sp.sqrt(lam / 2)) == 0, (
        f"mono above {thr['monosemantic_above']}"
    )
    inner = th.interior_capacity()
    assert sp.diff(inner, v, 2) == 0, f"C(v)={inner} should be linear in v"
    for name, at in (("ignored_below", 0), ("monosemantic_above", 1)):
        assert sp.simplify(inner.subs(v, thr[name]) - at) == 0, (
            f"C(v) should reach {at} at the {name} threshold"
        )


def test_phase_boundary() -> None:
    """P2-PHASE2: r* = 2/(K−1), C₁ = ((K−1) − 2r)/((K−3)(1+r));
    sparse inputs K = 1/p: r* = 2p/(1−p)."""
    assert sp.simplify(th.phase_boundary() - 2 / (K - 1)) == 0, f"r*={th.phase_boundary()}"
    assert sp.simplify(th.phase_capacity() - ((K - 1) - 2 * r) / ((K - 3) * (1 + r))) == 0, (
        f"C1={th.phase_capacity()}"
    )
    p = sp.Symbol("p", positive=True)
    assert sp.simplify(th.phase_boundary().subs(K, 1 / p) - 2 * p / (1 - p)) == 0


# -- the quadratic model: simulation -------------------------------------------------------------


def test_expected_loss_gradient_matches_autograd() -> None:
    g = torch.Generator().manual_seed(0)
    W = torch.randn(3, 5, 2, dtype=torch.float64, generator=g)
    vv = torch.rand(3, 5, dtype=torch.float64, generator=g)
    KK = torch.tensor([2.0, 5.0, 20.0], dtype=torch.float64)
    _, grad = expected_loss(W, vv, KK)
    Wa = W.clone().requires_grad_(True)
    expected_loss(Wa, vv, KK)[0].sum().backward()
    assert float((grad - Wa.grad).abs().max()) < 1e-12, "∂L/∂W = M W differs from autograd"


def test_expected_loss_matches_sampled_data() -> None:
    """The closed form against a Monte Carlo of the model on sparse data (optimal bias)."""
    rng = np.random.default_rng(1)
    n, d, k = 3, 2, 6.0
    W = rng.standard_normal((n, d)) * 0.5
    vv = rng.uniform(0.2, 1.0, n)
    u = rng.random((2_000_000, n))
    x = np.sqrt(k) * ((u < 1 / (2 * k)).astype(float) - ((u >= 1 / (2 * k)) & (u < 1 / k)))
    resid = (x**2) @ vv - ((x @ W) ** 2).sum(1)
    mc = resid.var()  # the optimal bias removes the mean
    exact = float(
        expected_loss(torch.tensor(W)[None], torch.tensor(vv)[None], torch.tensor([k]))[0][0]
    )
    assert abs(mc - exact) < 0.02 * exact, (
        f"Monte Carlo loss={mc:.5g}, but should be ≈ {exact:.5g} (P2-LOSS)"
    )


def test_pattern_counts_follow_the_input_law() -> None:
    from sim.quadratic import _PatternCounts

    k = torch.tensor([4.0, 9.0], dtype=torch.float64)
    s = _PatternCounts(k, 2, 1000, torch.Generator().manual_seed(2), torch.float64)
    draws = torch.stack([s.draw() for _ in range(400)])  # (400, B, 9)
    assert torch.all(draws.sum(-1) == 1000), "pattern counts must add up to the batch"
    freq = draws.mean(0) / 1000
    err = float((freq - s.probs).abs().max())
    assert err < 0.005, f"pattern frequencies off by {err:.3g} from the product law"
    x2 = (s.x**2 * s.probs.unsqueeze(2)).sum(1)
    x4 = (s.x**4 * s.probs.unsqueeze(2)).sum(1)
    torch.testing.assert_close(x2, torch.ones_like(x2), msg="E x² = 1")
    torch.testing.assert_close(x4, k.unsqueeze(1).expand_as(x4), msg="E x⁴ = K")


def test_trained_two_features_match_the_derived_capacity() -> None:
    """GD on the population loss, two features in one dimension: C₂ is 0 below r* and
    1 − C₁(r) above it."""
    rs = (0.15, 0.4, 0.7)
    out = train(
        QuadraticParams(
            v=tuple((1.0, x) for x in rs), K=(9.0,) * 3, d=1, instances=2, steps=6000, lr=0.2
        )
    )
    c2 = capacities(out.W_final)[..., 1]
    c1 = th.numeric(th.phase_capacity(), r, K)
    for i, x in enumerate(rs):
        want = 0.0 if x <= 0.25 else 1 - c1(x, 9.0)
        assert np.allclose(c2[i], want, atol=1e-3), (
            f"C₂={c2[i]}, but should be {want:.4f} [r={x}, K=9]"
        )


@pytest.mark.parametrize(("k", "vmax"), [(5.0, 1.0), (20.0, 0.475), (50.0, 0.1)])
def test_one_lr_is_stable_for_every_importance(k: float, vmax: float) -> None:
    """The step lr/κ is stable for lr < 0.25 whatever the scale of v (issue 18): a lone feature
    has curvature 8(K − 1)v at its optimum ‖W‖² = v, so κ must grow like v, not v² (with
    κ = (K − 1)·max v² + Σv the norm cycled and L stayed ≈ 0.8 at K = 20, v = 0.475; also failed
    at K = 50, v = 0.1; v = 1 is the one scale where the two agree)."""
    out = train(
        QuadraticParams(v=((vmax, 0.5 * vmax),), K=(k,), d=2, instances=2, steps=1500, lr=0.24)
    )
    loss = float(out.loss.max())
    assert loss < 1e-12 * vmax**2, (
        f"loss {loss:.3g}, but two features in d = 2 reach 0 [K={k}, v={vmax}]"
    )


@pytest.mark.parametrize("seed", [41, 43])
def test_trained_loss_reaches_the_solver_issue18(seed: int) -> None:
    """Issue 18: at these seeds the K = 20 problem of capacity-allocation (standard scale) has
    max v ≈ 0.48; the old step scale made GD cycle in the strongest feature's norm, so C matched
    the solver (C is scale-free) while the loss was 13 % (seed 41) and 314 % (seed 43) above it.
    Only that group is trained here, one init, 2000 steps (gap ≈ 1e-14 by then; the claim runs
    5000): the cycle comes from the step size, not from the init."""
    from claims._context import Context
    from claims.catalog.capacity_allocation import AllocationParams, _drawn

    # the draw of issue 18 (before the threshold probe joined the claim's importances)
    p, ctx, k = AllocationParams(), Context(seed=seed), 20.0
    vv = _drawn(ctx, p, k, p.n)
    a = solve_allocation(vv, k, p.m)
    out = train(
        QuadraticParams(
            v=(tuple(float(x) for x in vv),),
            K=(k,),
            d=p.m,
            instances=1,
            steps=2000,
            lr=p.train.lr,
            seed=ctx.seed_for("capacity-allocation", "train"),
        )
    )
    gap = float(np.abs(out.loss / a.loss - 1).max())
    dev = float(np.abs(capacities(out.W_final) - a.C).max())
    assert dev < 0.01, f"max |C_trained − C_solver|={dev:.3g} [seed={seed}, K={k}]"
    assert gap < 1e-5, (
        f"max |L_trained / L_solver − 1|={gap:.3g}, but GD should reach the solver [seed={seed}]"
    )


def test_quadratic_params_are_validated() -> None:
    with pytest.raises(ParamError) as err:
        QuadraticParams(K=(0.5,))
    assert err.value.field == "K"
    with pytest.raises(ParamError) as err:
        QuadraticParams(v=((1.0, 0.5), (1.0,)), K=(5.0, 5.0))
    assert err.value.field == "v"
    with pytest.raises(ParamError) as err:
        QuadraticParams(v=(tuple([1.0] * 7),), data="sparse")
    assert err.value.field == "v"


# -- the allocation solver ------------------------------------------------------------------------


@pytest.mark.parametrize("k", [4.0, 10.0, 30.0])
def test_solver_satisfies_kkt(k: float) -> None:
    rng = np.random.default_rng(int(k))
    vv = np.sort(np.exp(rng.uniform(np.log(0.02), 0, 12)))[::-1]
    a = solve_allocation(vv, k, 4)
    assert abs(a.C.sum() - 4) < 1e-6, f"ΣC={a.C.sum()}, but the budget 4 should bind [K={k}]"
    assert a.marginal_spread < 1e-5, (
        f"marginal spread {a.marginal_spread:.3g} should vanish [K={k}]"
    )
    err = np.abs(a.C - rule_capacity(vv, k, a.lam)).max()
    assert err < 1e-5, f"solver vs derived rule: max |ΔC|={err:.3g} [K={k}]"


@pytest.mark.parametrize("seed", [0, 1])
def test_solver_meets_kkt_and_the_rule_on_the_claims_problems(seed: int) -> None:
    """Formerly capacity-allocation's fits ``kkt`` and ``rule``, tests of the code rather than
    evidence: SLSQP stops at a KKT point of the same L_i(C) the rule is solved from. On the claim's
    own allocation problems (standard scale) the marginal benefit is equal across polysemantic
    features, the solver meets the derived rule at its λ*, and the check would see a wrong
    monosemantic threshold √(2λ)."""
    from claims._context import Context
    from claims.catalog.capacity_allocation import AllocationParams, _importances

    p, ctx = AllocationParams(), Context(seed=seed)
    wrong = []
    for k in p.K:
        a = solve_allocation(_importances(ctx, p, k), k, p.m)
        assert a.marginal_spread < 1e-5, f"marginal spread {a.marginal_spread:.3g} [K={k}]"
        err = float(np.abs(a.C - rule_capacity(a.v, k, a.lam)).max())
        assert err < 1e-5, f"solver vs derived rule: max |ΔC|={err:.3g} [K={k}, seed={seed}]"
        mono = float(np.sqrt(2 * a.lam))
        wrong.append(float(np.abs(a.C - rule_capacity(a.v, k, a.lam, mono_threshold=mono)).max()))
    assert max(wrong) > 0.1, f"a mono threshold √(2λ) moves C by only {max(wrong):.3g}"


@pytest.mark.parametrize("seed", [0, 52, 107])
def test_every_group_has_a_feature_between_the_thresholds(seed: int) -> None:
    """Issue 25: the control "monosemantic above √(2λ)" must be rejectable at every seed, so every
    convex group holds a feature strictly between √(λ/2) and √(2λ) (the probe of _with_probe), and
    the wrong rule misses the solver there by far more than the claim's 0.01. Seed 52 drew no
    such feature before the probe."""
    from claims._context import Context
    from claims.catalog.capacity_allocation import AllocationParams, _importances

    p, ctx = AllocationParams(), Context(seed=seed)
    for k in p.K:
        a = solve_allocation(_importances(ctx, p, k), k, p.m)
        lo, hi = np.sqrt(a.lam / 2), np.sqrt(2 * a.lam)
        inside = (a.v > lo * 1.2) & (a.v < hi / 1.2)
        assert inside.any(), (
            f"no importance in ({lo:.4g}, {hi:.4g}) with 20 % margins: {a.v} [K={k}, seed={seed}]"
        )
        miss = float(np.abs(a.C - rule_capacity(a.v, k, a.lam, mono_threshold=hi)).max())
        assert miss > 0.3, f"the √(2λ) rule misses C by {miss:.3g}, expected > 0.3 [K={k}]"


def test_solver_two_features_match_the_phase_formula() -> None:
    c1 = th.numeric(th.phase_capacity(), r, K)
    for k, x in itertools.product((5.0, 9.0), (0.1, 0.6, 0.9)):
        a = solve_allocation(np.array([1.0, x]), k, 1)
        want = 1.0 if x <= 2 / (k - 1) else c1(x, k)
        assert abs(a.C[0] - want) < 1e-6, (
            f"C₁={a.C[0]:.6f}, but should be {want:.6f} [K={k}, r={x}]"
        )


def test_proportional_allocation_fills_the_budget() -> None:
    """The proportional mutant: Σ C_i = m, C_i <= 1, and C ∝ v among the uncapped features."""
    vv = np.array([1.0, 0.9, 0.3, 0.2, 0.1, 0.05])
    c = proportional_allocation(vv, 3)
    assert abs(c.sum() - 3) < 1e-12, f"ΣC={c.sum()}, but should be the budget 3"
    assert np.all(c <= 1.0), f"C={c} exceeds 1"
    free = c < 1
    ratio = c[free] / vv[free]
    assert np.ptp(ratio) < 1e-12, f"C/v={ratio} should be one constant among the uncapped features"


# -- the claims' params trees ---------------------------------------------------------------------


def test_claim_params_name_dotted_paths() -> None:
    """A bad value inside the trainer's params is reported under its dotted path."""
    import dataclasses

    from claims.catalog.capacity_allocation import AllocationParams
    from claims.catalog.capacity_bound import BoundParams

    std = AllocationParams()
    with pytest.raises(ParamError) as err:
        AllocationParams(train=dataclasses.replace(std.train, d=std.n))
    assert err.value.field == "train.d", "the budget m must stay below n"
    with pytest.raises(ParamError) as err:
        AllocationParams(phase=dataclasses.replace(std.phase, d=2))
    assert err.value.field == "phase.d", "the phase diagram puts two features on one neuron"
    with pytest.raises(ParamError) as err:
        BoundParams(train=dataclasses.replace(BoundParams().train, instances=1))
    assert err.value.field == "train.instances"


def test_claims_grid_fields_are_not_settable() -> None:
    from claims.catalog.capacity_allocation import CLAIM

    with pytest.raises(ParamError) as err:
        CLAIM.resolve("standard", {"train.K": "4"})
    assert err.value.field == "train.K", "the grid sets each group's kurtosis"
    assert CLAIM.resolve("standard", {"train.d": "4"}).m == 4


@pytest.mark.parametrize("module", ["capacity_bound", "capacity_allocation"])
def test_four_stochastic_fits_per_claim(module: str) -> None:
    """Four stochastic fits at level 1 − 0.05/4 each at the standard scale (the false-failure
    texts state the judge's own k: tests/test_texts.py)."""
    import importlib

    claim = importlib.import_module(f"claims.catalog.{module}").CLAIM
    judge = claim.judge(claim.params["standard"])
    assert judge.k == 4, (
        f"{claim.id}: {judge.k} stochastic fits at the standard scale, where the design has 4"
    )
    assert abs(judge.level - (1 - 0.05 / 4)) < 1e-15
