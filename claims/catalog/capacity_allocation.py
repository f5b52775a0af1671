"""Claim ``capacity-allocation``: kurtosis decides, importance ranks (Scherlis et al. 2210.01892).

For the quadratic model the loss per feature as a function of capacity,
L_i(C) = 2(K−1)v_i²(1−C)/(2+(K−3)C), is derived in sympy (:mod:`theory.capacity`); it is convex
iff K > 3. The optimum of Σ L_i under Σ C_i ≤ m (:mod:`theory.allocation`) has equal marginal loss
across polysemantic features, monosemantic ones above √(λ/2), ignored ones below √(2λ)/(K−1) and
C linear in v between (derived here). The claim checks gradient descent on the model's population
loss against the solver's allocation and loss, all-or-nothing allocation at K < 3, and the
two-feature phase boundary v₂/v₁ = 2/(K−1) (derived here) under SGD on sparse data. That the
solver satisfies the KKT conditions and the derived rule is a test of the code
(``tests/test_capacity.py``), not a fit: SLSQP stops at a KKT point of the same L_i(C) the rule
is solved from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy as sp

from sim import ParamError, check_float, check_int
from sim.quadratic import QuadraticParams, capacities, train
from theory import capacity as th
from theory.allocation import Allocation, proportional_allocation, rule_capacity, solve_allocation

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Fit, FitSpec, Judge, fit_by_key
from ._shared import check_confidence, property_strategy

__all__ = ["CLAIM", "AllocationMeasurements", "AllocationParams", "phase_boundary_estimate"]


@dataclass(frozen=True)
class AllocationParams:
    """An allocation problem per K (random importances), trained quadratic models, and a grid of
    two-feature models for the phase diagram."""

    # the grid sets each run's importances and kurtoses: one group per K (train), per (K, r) (phase)
    GRID_SET: ClassVar[tuple[str, ...]] = ("train.v", "train.K", "phase.v", "phase.K")

    n: int = 16  # features of the allocation problem
    K: tuple[float, ...] = (5.0, 10.0, 20.0)  # kurtoses of the convex (polysemantic) regime
    # importances log-uniform in [v_min, 1], drawn per K (n − 1 of them and the threshold probe
    # of _with_probe in each convex group; n at K_concave)
    v_min: float = 0.02
    K_concave: float = 2.5  # a kurtosis below 3: concave L_i, all-or-nothing allocation
    # GD on the population loss: one group per K, and one at K_concave
    train: QuadraticParams = QuadraticParams(
        d=5,  # neurons m: the allocation's budget Σ C_i <= m
        instances=8,  # random inits of the quadratic model per K
        steps=5000,  # full-batch GD steps (max |ΔC| ≤ 5e-4 by 6000 over 12 seeds, measured)
        # the step is lr/κ, κ the loss's curvature scale (sim.quadratic; stable below ≈ 0.25)
        lr=0.2,
    )
    phase_K: tuple[float, ...] = (
        2.5,
        5.0,
        9.0,
        17.0,
    )  # kurtoses of the phase diagram (r* = 2/(K−1) for K > 3)
    phase_r: tuple[float, ...] = tuple(
        round(0.05 * i, 2) for i in range(1, 20)
    )  # v₂/v₁ grid (r = 1: no stronger one)
    # the phase diagram: features (1, r) on one neuron per (K, r)
    phase: QuadraticParams = QuadraticParams(
        d=1,  # one neuron: the two features compete for one dimension
        # two-feature models per (K, r) (a bootstrap over fewer understates the spread)
        instances=8,
        steps=3000,  # SGD steps on sampled sparse inputs
        lr=0.03,  # SGD step lr/κ (κ ≈ K here), decayed linearly to lr_end/κ
        lr_end=0.001,  # small: SGD's stationary noise biases C₂ by O(lr/batch)
        data="sparse",  # SGD on sampled sparse inputs (K = 1/p), not the population loss
        batch=1024,  # samples per step (their pattern counts are drawn: cost independent of it)
        dtype="float32",  # single precision: SGD's sampling noise, not round-off, limits C₂
    )
    phase_floor: float = 0.02  # r points whose mean C₂ exceeds this enter the boundary fit
    confidence: float = 0.95  # family-wise level of the stochastic fits (Bonferroni)

    def __post_init__(self) -> None:
        check_int("n", self.n, 2)
        # the threshold probe takes one neuron of its own: the others share d − 1 >= 1
        check_int("train.d", self.train.d, 2, self.n - 1)
        if self.train.data != "expected":
            raise ParamError(
                "train.data",
                self.train.data,
                "'expected': GD on the population loss, compared with the solver's exact optimum",
            )
        if not self.K:
            raise ParamError("K", self.K, "at least one kurtosis > 3")
        for k in self.K:
            check_float("K", k, 3.0, lo_open=True)
        check_float("v_min", self.v_min, 0.0, 1.0, lo_open=True, hi_open=True)
        check_float("K_concave", self.K_concave, 1.0, 3.0, hi_open=True)
        for k in self.phase_K:
            check_float("phase_K", k, 1.0)
        if not any(k > 3 for k in self.phase_K):
            raise ParamError(
                "phase_K", self.phase_K, "at least one kurtosis > 3 (a boundary to fit)"
            )
        if len({f"{k:g}" for k in self.phase_K}) != len(self.phase_K):
            raise ParamError("phase_K", self.phase_K, "distinct kurtoses (one fit each)")
        if len(self.phase_r) < 4:
            raise ParamError("phase_r", self.phase_r, "at least four ratios in (0, 1]")
        for x in self.phase_r:
            check_float("phase_r", x, 0.0, 1.0, lo_open=True)
        check_int("phase.d", self.phase.d, 1, 1)
        check_int("phase.instances", self.phase.instances, 2)
        check_float("phase_floor", self.phase_floor, 0.0, 0.5, lo_open=True)
        check_confidence(self.confidence)

    @property
    def m(self) -> int:
        """Neurons: the budget of the allocation problem."""
        return self.train.d


@dataclass(frozen=True, repr=False)
class AllocationMeasurements:
    allocations: list[Allocation]  # one per K
    trained_C: np.ndarray  # (len(K), instances, n)
    trained_loss: np.ndarray  # (len(K), instances)
    concave_v: np.ndarray  # (n,)
    concave_C: np.ndarray  # (instances, n) trained at K_concave
    phase_K: np.ndarray  # (G,)
    phase_r: np.ndarray  # (R,)
    phase_C2: np.ndarray  # (G, R, instances) capacity of the weaker feature


def _drawn(ctx: Context, p: AllocationParams, K: float, size: int) -> np.ndarray:
    """``size`` importances log-uniform in [v_min, 1], largest first (the stream of K)."""
    rng = ctx.rng("capacity-allocation", "importance", K)
    return np.sort(np.exp(rng.uniform(np.log(p.v_min), 0.0, size)))[::-1].copy()


def _importances(ctx: Context, p: AllocationParams, K: float) -> np.ndarray:
    """The n importances of the allocation problem at the convex kurtosis K: n − 1 drawn and the
    threshold probe (:func:`_with_probe`)."""
    return _with_probe(_drawn(ctx, p, K, p.n - 1), K, p.m)


def _with_probe(v: np.ndarray, K: float, m: int) -> np.ndarray:
    """``v`` (n − 1 drawn importances) and one probe feature at √λ′, λ′ the multiplier of the
    problem of ``v`` alone with budget m − 1: sorted, largest first.

    Why: the rule says monosemantic above √(λ/2); a wrong threshold (the control √(2λ), say)
    reads the same capacities unless some feature lies between the two, and random importances
    leave that gap empty in ≈ 8 % of draws (issue 25: seed 52). The probe is monosemantic, since
    √λ′ ≥ √(λ′/2), so its capacity is 1 and the others' KKT conditions are those of the
    (n − 1, m − 1) problem: λ = λ′ (up to the choice of λ when no feature is polysemantic), and the
    probe sits at the geometric midpoint of √(λ/2) and √(2λ), a factor √2 inside each. Measured on
    1200 random problems (n 6…16, d 2…n/2, K 4…30): the √(2λ) rule then misses the solver's C
    by ≥ 0.44 at the probe, against the claim's 0.01."""
    lam = solve_allocation(v, K, m - 1).lam
    return np.sort(np.append(v, np.sqrt(lam)))[::-1].copy()


def simulate(p: AllocationParams, ctx: Context) -> AllocationMeasurements:
    vs = [_importances(ctx, p, K) for K in p.K]
    allocations = [solve_allocation(v, K, p.m) for v, K in zip(vs, p.K, strict=True)]
    concave_v = _drawn(ctx, p, p.K_concave, p.n)
    q = train(
        dataclasses.replace(
            p.train,
            v=tuple(tuple(float(x) for x in v) for v in [*vs, concave_v]),
            K=(*p.K, p.K_concave),
            seed=ctx.seed_for("capacity-allocation", "train"),
        )
    )
    caps = capacities(q.W_final)  # (groups, instances, n)
    grid = [(K, r) for K in p.phase_K for r in p.phase_r]
    ph = train(
        dataclasses.replace(
            p.phase,
            v=tuple((1.0, float(r)) for _, r in grid),
            K=tuple(float(K) for K, _ in grid),
            seed=ctx.seed_for("capacity-allocation", "phase"),
        )
    )
    C2 = capacities(ph.W_final)[..., 1].reshape(len(p.phase_K), len(p.phase_r), p.phase.instances)
    return AllocationMeasurements(
        allocations=allocations,
        trained_C=caps[:-1],
        trained_loss=q.loss[:-1],
        concave_v=concave_v,
        concave_C=caps[-1],
        phase_K=np.asarray(p.phase_K, float),
        phase_r=np.asarray(p.phase_r, float),
        phase_C2=C2,
    )


def derive(p: AllocationParams) -> Derivation:
    n3 = th.quadratic_loss(3)
    if sp.simplify(n3 - th.quadratic_loss_reference(3)) != 0:
        raise ArithmeticError(
            "the loss derived from the quadratic model differs from (K−1)Σ(v−G_ii)² + 2ΣG_ij²"
        )
    thr = th.thresholds()
    return Derivation(
        expr=th.loss_of_capacity(),
        extra={
            "loss of the model (N = 3, optimal bias)": n3,
            "optimal norm ‖W_i‖²": th.optimal_norm(),
            "marginal benefit −dL/dC": th.marginal(),
            "curvature d²L/dC²": th.curvature(),
            "ignored below": thr["ignored_below"],
            "monosemantic above": thr["monosemantic_above"],
            "polysemantic C(v)": th.interior_capacity(),
            "two features: C₁(r)": th.phase_capacity(),
            "phase boundary r*": th.phase_boundary(),
        },
        values={
            f"r*(K={K:g})": float(th.phase_boundary().subs(th.K, K)) for K in p.phase_K if K > 3
        },
    )


def _phase_fit_window(C2: np.ndarray, floor: float) -> np.ndarray:
    return C2.mean(axis=-1) > floor


def phase_boundary_estimate(
    r: np.ndarray, C2: np.ndarray, *, floor: float, level: float, rng: np.random.Generator
) -> fitting.Estimate:
    """r* from trained two-feature models: on the r points that share capacity (mean C₂ > floor),
    C₂(1 + r) is a straight line in r (derived here); r* is where it reaches 0. The interval is a
    bootstrap over the models at each r."""
    sel = _phase_fit_window(C2, floor)
    if sel.sum() < 2:
        raise ValueError(
            f"fewer than two ratios share capacity (mean C₂ > {floor}): no boundary to fit"
        )
    rs = r[sel]

    def stat(*ys: np.ndarray, axis: int = -1) -> np.ndarray:
        means = np.stack(np.broadcast_arrays(*[y.mean(axis=axis) for y in ys]), axis=-1) * (1 + rs)
        slope = fitting.ols_slope(rs, means)
        intercept = means.mean(axis=-1) - slope * rs.mean()
        return -intercept / slope

    return fitting.bootstrap(list(C2[sel]), stat, rng=rng, confidence=level)


def _phase_boundary(K: float) -> float:
    """r* = 2/(K−1) at this K, from the derivation (theory.capacity.phase_boundary)."""
    return float(th.phase_boundary().subs(th.K, K))


# the claim's stated precision of r*, a half-width: ±12.5 % of r* (stated so before the band rule,
# when the tolerance 0.25·r* was the interval's full width); SGD on 8 models per (K, r) resolves
# r* to ≈ ±0.5 % (seed 0)
PHASE_PRECISION = 0.125
TRAINED_TOL = 0.01  # GD's capacities against the solver's: to 1 % of a dimension
REALISABLE_TOL = 1e-5  # GD's loss against the solver's optimum, relative
_LOG = "benchmarks/false_failure.jsonl"  # the standard scale's sweep over seeds 0–19
_FRESH_LOG = "benchmarks/fresh_seeds_capacity-allocation.jsonl"  # seeds 1000–1019 (issue 18)


def specs(p: AllocationParams) -> tuple[FitSpec, ...]:
    """Three exact fits (GD against the solver's allocation and loss, the concave regime) and one
    phase fit per phase_K."""
    fixed = (
        FitSpec(
            "trained",
            "max |C_trained − C_solver| over features, models and K",
            relation="<",
            exact=True,
            why="P2-KKT/P2-THR: gradient descent on the model's loss (not on L(C)) reaches the "
            "optimum of Σ L_i(C_i) under Σ C_i <= m (theory.allocation, which meets the derived "
            f"rule: tests), to {TRAINED_TOL:g} of a dimension: a feature near a threshold "
            "converges slowly (vanishing curvature)",
        ),
        FitSpec(
            "realisable",
            "max |L_trained / L_solver − 1|",
            relation="<",
            exact=True,
            why="the relaxation over C is tight: block-semi-orthogonal W realise the optimum "
            f"(derived here); GD cannot beat the solver, and reaches it within {REALISABLE_TOL:g} "
            f"(2.8e-14 at the standard scale, seed 0; ≤ 1.2e-6 over seeds 0–19, {_LOG}). "
            "Compares the model's exact population loss at the trained W (optimal bias) with "
            "Σ L_i(C_i) at the solver's C, same K: unlike C (scale-free) it sees the norms ‖W_i‖², "
            "so a norm that never settles (issue 18: a step too large when max v < 1, fixed in "
            "sim.quadratic) fails here alone",
        ),
        FitSpec(
            "concave",
            f"fractional features (0.01 < C < 0.99) in models trained at K = {p.K_concave:g}",
            relation="<",
            exact=True,
            why="P2-CONVEX: L_i is concave for K < 3, so the optimum is all-or-nothing",
        ),
    )
    phases = []
    for K in p.phase_K:
        if K > 3:
            phases.append(
                FitSpec(
                    f"phase-K{K:g}",
                    f"phase boundary v₂/v₁ at K = {K:g} (two features, one neuron, SGD on data)",
                    PHASE_PRECISION * _phase_boundary(K),
                    why="P2-PHASE2, theory.capacity.phase_boundary: r* = 2/(K−1) = "
                    f"{_phase_boundary(K):.4g}; band ±{PHASE_PRECISION:.1%} of r* (the rival "
                    "1/(K−1) lies 50 % below: control boundary-1-over-K-1)",
                )
            )
        else:
            phases.append(
                FitSpec(
                    f"phase-K{K:g}",
                    f"fraction of two-feature models sharing capacity at K = {K:g} (r <= 1)",
                    relation="<",
                    why="P2-CONVEX: for K <= 3 the stronger feature takes the whole dimension at "
                    "every r < 1",
                )
            )
    return fixed + tuple(phases)


def fit(
    meas: AllocationMeasurements, d: Derivation, p: AllocationParams, judge: Judge
) -> list[Fit]:
    dev = np.stack(
        [np.abs(meas.trained_C[g] - a.C).max(axis=-1) for g, a in enumerate(meas.allocations)]
    )
    gap = np.stack(
        [np.abs(meas.trained_loss[g] / a.loss - 1) for g, a in enumerate(meas.allocations)]
    )
    fractional = ((meas.concave_C > 0.01) & (meas.concave_C < 0.99)).sum(axis=-1)
    fits = [
        judge.fit("trained", predicted=TRAINED_TOL, fitted=float(dev.max())),
        judge.fit("realisable", predicted=REALISABLE_TOL, fitted=float(gap.max())),
        judge.fit("concave", predicted=0.5, fitted=float(fractional.max())),
    ]
    for g, K in enumerate(meas.phase_K):
        C2 = meas.phase_C2[g]
        if K > 3:
            est = phase_boundary_estimate(
                meas.phase_r, C2, floor=p.phase_floor, level=judge.level, rng=judge.rng
            )
            fits.append(judge.fit(f"phase-K{K:g}", predicted=_phase_boundary(K), estimate=est))
        else:
            # sharing = a fractional C₂; at K < 3 either feature may take the whole neuron (both
            # monosemantic states are local minima of a concave loss), which is not sharing
            shared = int(((p.phase_floor < C2) & (1 - p.phase_floor > C2)).sum())
            est = fitting.proportion_ci(shared, C2.size, confidence=judge.level)
            fits.append(judge.fit(f"phase-K{K:g}", predicted=0.1, estimate=est))
    return fits


def _half_boundary(
    fits: Sequence[Fit], meas: AllocationMeasurements, p: AllocationParams, judge: Judge
) -> list[Fit]:
    """Mutant: the boundary at 1/(K−1), half the derived value."""
    return [
        f.mutant(predicted=f.predicted / 2)
        for f in fits
        if f.key.startswith("phase-K") and f.relation == "=="
    ]


def _proportional(
    fits: Sequence[Fit], meas: AllocationMeasurements, p: AllocationParams, judge: Judge
) -> list[Fit]:
    """Mutant: capacity in proportion to importance (C_i = min(1, c·v_i), Σ C_i = m): the trained
    capacities are judged against it."""
    f = fit_by_key(fits, "trained")
    errs = [
        float(np.abs(meas.trained_C[g] - proportional_allocation(a.v, p.m)).max())
        for g, a in enumerate(meas.allocations)
    ]
    err = max(errs)
    return [f.mutant(fitted=err, ci=(err, err), quantity="max |C_trained − C_proportional|")]


def _flip_at_two(
    fits: Sequence[Fit], meas: AllocationMeasurements, p: AllocationParams, judge: Judge
) -> list[Fit]:
    """Mutant: the convexity flip sits at K = 2, so K = 2.5 would already share capacity (more than
    half a fractional feature per model)."""
    f = fit_by_key(fits, "concave")
    return [f.mutant(relation=">")]


def _wrong_mono(
    fits: Sequence[Fit], meas: AllocationMeasurements, p: AllocationParams, judge: Judge
) -> list[Fit]:
    """Mutant: monosemantic above √(2λ) instead of √(λ/2): the trained capacities are judged
    against that rule (at the solver's multiplier λ*)."""
    f = fit_by_key(fits, "trained")
    err = max(
        float(
            np.abs(
                meas.trained_C[g]
                - rule_capacity(a.v, a.K, a.lam, mono_threshold=float(np.sqrt(2 * a.lam)))
            ).max()
        )
        for g, a in enumerate(meas.allocations)
    )
    return [
        f.mutant(
            fitted=err,
            ci=(err, err),
            quantity="max |C_trained − C_rule| with the mono threshold √(2λ)",
        )
    ]


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Random allocation problems in the convex regime (K = 4…30, d < N) and a phase boundary at a
    random K > 3 next to the K < 3 control, judged at a family-wise 0.999."""
    n = draw(st.integers(6, 16), label="n")
    m = draw(st.integers(2, max(2, n // 2)), label="m")
    k = draw(st.floats(4.0, 30.0), label="K")
    k_phase = draw(st.sampled_from([5.0, 9.0, 17.0]), label="phase K")
    std = STANDARD  # the phase fit needs the standard r grid, steps and batch
    return {
        "n": n,
        "train.d": m,
        "K": (round(k, 2),),
        "train.instances": 4,
        "train.steps": std.train.steps,
        "phase_K": (2.5, k_phase),
        "phase_r": std.phase_r,
        "phase.instances": std.phase.instances,
        "phase.steps": std.phase.steps,
        "phase.batch": std.phase.batch,
    }


STANDARD = AllocationParams()
SMOKE = AllocationParams(
    n=6,
    K=(10.0,),
    phase_K=(2.5, 9.0),
    phase_r=(0.1, 0.3, 0.5, 0.7, 0.9),
    train=dataclasses.replace(STANDARD.train, d=2, instances=2, steps=300),
    phase=dataclasses.replace(STANDARD.phase, instances=2, steps=200, batch=32),
)
# the paper's own settings for these experiments could not be retrieved (catalogue §2): "paper" is
# a larger version of the standard design
PAPER = AllocationParams(
    n=64,
    K=(4.0, 5.0, 10.0, 20.0, 50.0),
    phase_K=(1.5, 2.5, 4.0, 5.0, 9.0, 17.0, 33.0),
    train=dataclasses.replace(STANDARD.train, d=16, instances=32, steps=20000),
    phase=dataclasses.replace(STANDARD.phase, instances=16, steps=8000, batch=1024),
)


def _false_failure(p: AllocationParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge: the phase fits; the GD
    fits are exact), the phase diagram's replicates, and what the logs showed."""
    return (
        f"{judge.family_sentence()}. The stochastic fits are the phase fits, the exact ones the GD "
        f"fits (no sampling). At the standard scale {STANDARD.phase.instances} SGD models per "
        f"(K, r) give boundary intervals within ±1.6 % of r* (seeds 0–19, {_LOG}) against bands "
        f"±{PHASE_PRECISION:.1%}. Issue 18's misses of realisable (seeds 41 and 43: the trained "
        "loss 13 % and 314 % above the solver's while C matched) were GD's step size, too large "
        "for max v < 1: fixed in sim.quadratic (the step scale grows like max v); the fresh seeds "
        f"1000–1019 then met every expectation ({_FRESH_LOG})."
    )


CAPACITY_ALLOCATION = Claim(
    id="capacity-allocation",
    title="Capacity allocation in the quadratic model: kurtosis decides, importance ranks",
    statement=(
        "For the quadratic model, L_i(C) = 2(K−1)v_i²(1−C)/(2+(K−3)C) is convex iff K > 3; the "
        "optimal allocation has equal marginal loss across polysemantic features, monosemantic "
        "above √(λ/2), ignored below √(2λ)/(K−1), and gradient descent reaches it; two features "
        "share a neuron iff v₂/v₁ > 2/(K−1) (formulas derived here)."
    ),
    source=(
        "Scherlis et al. 2210.01892 (quadratic model, capacity allocation, kurtosis and sparsity; "
        "catalogue P2-LOSS, P2-CONVEX, P2-KKT); derived here: L_i(C), the K = 3 flip, the "
        "thresholds, r* = 2/(K−1)"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=(
        Control(
            "boundary-1-over-K-1",
            "two features share a neuron iff v₂/v₁ > 1/(K−1)",
            refit=_half_boundary,
        ),
        Control(
            "proportional", "capacity is allocated in proportion to importance", refit=_proportional
        ),
        Control(
            "flip-at-2",
            "the convexity flip sits at K = 2 (K = 2.5 already shares)",
            refit=_flip_at_two,
        ),
        Control("mono-sqrt-2lambda", "monosemantic above √(2λ)", refit=_wrong_mono),
    ),
    false_failure=_false_failure,
    strategy=_strategy,
    plot=figures.Figure("capacity_allocation"),
)

CLAIM = CAPACITY_ALLOCATION
