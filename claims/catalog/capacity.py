"""Claims ``capacity-bound`` and ``capacity-allocation``: the capacity theory of Scherlis et al.

Scherlis et al. (2210.01892) measure how much of the embedding space a feature uses by its
capacity C_i = (W_i·W_i)² / Σ_j (W_i·W_j)² ∈ [0, 1] (catalogue P2-DEF), with a fixed budget
Σ_i C_i ≤ d (P2-BOUND). The body of the paper was not retrievable, so the closed forms tested here
are derived in :mod:`theory.capacity` (catalogue [DER]) and the statements say which is which.

``capacity-bound`` (P2-BOUND, P2-EFF, T-4): ΣC ≤ rank(W) ≤ d for random W; equality exactly for
block-semi-orthogonal W (tight frames: the regular polygons, the tetrahedron, the square antiprism
at its tight height, random tight frames, unions of orthogonal blocks), whose members have
C_i = d/k (derived here); and, on trained autoencoders of Lecomte et al., the capacity wasted by
incidental polysemanticity: a neuron shared by f features leaves them f − 1 dimensions short
(derived here), ≈ n(n−1)/4m in all.

``capacity-allocation`` (P2-LOSS … P2-PHASE2): for the quadratic model the loss per feature as a
function of capacity, L_i(C) = 2(K−1)v_i²(1−C)/(2+(K−3)C), is derived in sympy from the model;
its convexity flips at kurtosis K = 3. A convex solver (scipy SLSQP) allocates capacity; its
optimum has equal marginal loss across polysemantic features, monosemantic features above
√(λ/2), ignored ones below √(2λ)/(K−1), and C linear in v between (derived here). The model
trained by gradient descent on its population loss reaches the solver's allocation (the
relaxation is tight), stays monosemantic at K < 3, and two-feature models trained by SGD on
sparse data put the phase boundary at v₂/v₁ = 2/(K−1) (derived here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import minimize

from sim import ParamError, check_float, check_int
from sim.autoencoder import AutoencoderParams, train
from sim.metrics import HI, LO, PolysemanticCount
from sim.quadratic import QuadraticParams, capacities
from sim.quadratic import train as train_quadratic
from theory import capacity as th
from theory import collisions

from .. import fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Fit, Result

__all__ = ["CLAIMS", "AllocationParams", "BoundParams", "solve_allocation"]

FRAMES = ("antipodal", "3-gon", "4-gon", "5-gon", "6-gon", "7-gon", "8-gon", "tetrahedron", "square-antiprism")
EXACT = 1e-9  # numerical equality: float64 round-off on these sizes is ≈ 1e-15


def _deterministic(key: str, quantity: str, threshold: float, value: float, why: str, relation: str = "<") -> Fit:
    """A fit of an exact computation over a set of cases (its worst case): no sampling, so its
    interval is the point itself and the verdict is the comparison with the threshold."""
    return Fit(key, quantity, threshold, value, (value, value), None, relation=relation, confidence=1.0, why=why)  # type: ignore[arg-type]


# ================================================================================================
# capacity-bound
# ================================================================================================


@dataclass(frozen=True)
class BoundParams:
    """Random and structured W for the bound; a batch of trained autoencoders for the waste."""

    d: tuple[int, ...] = (2, 3, 5, 8, 13)  # embedding dimensions of the random W
    features_per_dim: int = 4  # N = 4d features per random W (over-complete: the bound binds)
    draws: int = 100  # random W per d and family (Gaussian, sparse, rank-deficient)
    blocks: int = 100  # random block-semi-orthogonal W (and as many perturbed ones)
    n: int = 16  # trained autoencoders: features
    m: int = 64  # hidden neurons (m = 4n: ≈ 0.94 polysemantic neurons per model)
    instances: int = 256  # trained models: ≈ 240 collisions
    steps: int = 500  # SGD steps (the count is final by ≈ 400 at lr = λ = 0.1)
    lr: float = 0.1  # as collision-count
    l1: float = 0.1  # as collision-count
    confidence: float = 0.95  # family-wise level of the stochastic fits (Bonferroni)
    dtype: str = "float32"  # trainer dtype

    def __post_init__(self) -> None:
        if not self.d:
            raise ParamError("d", self.d, "at least one dimension")
        for x in self.d:
            check_int("d", x, 1, 64)
        check_int("features_per_dim", self.features_per_dim, 2)
        check_int("draws", self.draws, 2)
        check_int("blocks", self.blocks, 2)
        check_int("n", self.n, 2)
        check_int("m", self.m, 1)
        check_int("instances", self.instances, 2)
        check_float("confidence", self.confidence, 0.5, 1.0, hi_open=True)
        self.train_params()

    def train_params(self, *, seed: int = 0, device: str = "cpu") -> AutoencoderParams:
        return AutoencoderParams(n=self.n, m=self.m, instances=self.instances, steps=self.steps, lr=self.lr,
                                 optimizer="sgd", l1=self.l1, dtype=self.dtype, device=device, seed=seed)  # type: ignore[arg-type]


@dataclass(frozen=True, repr=False)
class BoundMeasurements:
    random_excess: np.ndarray  # ΣC − rank(W) per random W
    random_slack: np.ndarray  # d − ΣC per Gaussian W (full rank)
    random_d: np.ndarray  # d per random W (for the figure)
    random_sum: np.ndarray  # ΣC per random W
    frame_error: np.ndarray  # |ΣC − d| per tight frame (named, rotated, random block-semi-orthogonal)
    frame_values: dict[str, tuple[np.ndarray, list[float]]]  # name -> (numeric C_i, exact C_i)
    frame_k: dict[str, tuple[int, int]]  # name -> (d, k)
    perturbed_slack: np.ndarray  # d − ΣC after rescaling one vector of a non-trivial block
    waste: np.ndarray  # n − ΣC per trained model
    shared: np.ndarray  # Σ_neurons (features on it − 1)_+ per trained model
    count: np.ndarray  # polysemantic neurons per trained model


def _random_orthogonal(rng: np.random.Generator, d: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def _block_semi_orthogonal(rng: np.random.Generator, d: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A random W (N, d): d split into blocks of random sizes; each block a random tight frame of
    k >= its dimension vectors (orthonormal columns, random scale), the blocks in orthogonal
    subspaces, then a random rotation. Returns W and the (row start, block dim) of the blocks."""
    dims, left = [], d
    while left:
        size = int(rng.integers(1, left + 1))
        dims.append(size)
        left -= size
    rows, starts, col, start = [], [], 0, 0
    for size in dims:
        k = size + int(rng.integers(0, 4))
        q, _ = np.linalg.qr(rng.standard_normal((k, size)))  # k × size, orthonormal columns
        block = np.zeros((k, d))
        block[:, col:col + size] = q * rng.uniform(0.3, 3.0)
        rows.append(block)
        starts.append((start, size, k))
        col += size
        start += k
    W = np.concatenate(rows) @ _random_orthogonal(rng, d)
    # rescaling a vector changes ΣC only in a block of dimension >= 2 with more vectors than
    # dimensions (in one dimension every non-zero configuration is tight; k = size is orthogonal)
    return W, [(s, k) for s, size, k in starts if k > size >= 2]


def _bound_simulate(p: BoundParams, ctx: Context) -> BoundMeasurements:
    rng = ctx.rng("capacity-bound", "random")
    excess, slack, ds, sums = [], [], [], []
    for d in p.d:
        N = p.features_per_dim * d
        for family in ("gaussian", "sparse", "low-rank"):
            for _ in range(p.draws):
                if family == "gaussian":
                    W = rng.standard_normal((N, d))
                elif family == "sparse":
                    W = rng.standard_normal((N, d)) * (rng.random((N, d)) < 0.3)
                else:
                    k = int(rng.integers(1, d + 1))
                    W = rng.standard_normal((N, k)) @ rng.standard_normal((k, d))
                total = float(capacities(W).sum())
                excess.append(total - np.linalg.matrix_rank(W))
                ds.append(d)
                sums.append(total)
                if family == "gaussian":
                    slack.append(d - total)
    frame_error, values, shapes = [], {}, {}
    for name in FRAMES:
        V = th.frame_vectors(name)
        W = np.array(V.evalf(30).tolist(), dtype=float)
        exact = [float(c) for c in th.frame_capacity(name)]
        values[name] = (capacities(W), exact)
        shapes[name] = (W.shape[1], W.shape[0])
        for _ in range(10):  # capacities are rotation invariant
            frame_error.append(abs(capacities(W @ _random_orthogonal(rng, W.shape[1])).sum() - W.shape[1]))
        frame_error.append(abs(capacities(W).sum() - W.shape[1]))
    # the catalogue's example: [monosemantic, triangle, pentagon] in d = 5 (C = 1, 2/3 ×3, 2/5 ×5)
    tri = np.array(th.frame_vectors("3-gon").evalf(30).tolist(), dtype=float)
    pent = np.array(th.frame_vectors("5-gon").evalf(30).tolist(), dtype=float)
    union = np.zeros((9, 5))
    union[0, 0], union[1:4, 1:3], union[4:, 3:5] = 1.0, tri, pent
    frame_error.append(abs(capacities(union).sum() - 5))
    perturbed = []
    for _ in range(p.blocks):
        d = int(rng.choice(p.d))
        W, nontrivial = _block_semi_orthogonal(rng, d)
        frame_error.append(abs(capacities(W).sum() - d))
        if nontrivial:
            start, k = nontrivial[int(rng.integers(len(nontrivial)))]
            W = W.copy()
            # the block's longest vector, for the largest effect; still, a random frame close to
            # "orthogonal vectors plus a near-zero one" moves ΣC only slightly (min slack 9e-8 seen)
            row = start + int(np.argmax(np.linalg.norm(W[start:start + k], axis=1)))
            W[row] *= rng.choice([rng.uniform(0.3, 0.8), rng.uniform(1.25, 3.0)])
            perturbed.append(d - capacities(W).sum())
    out = train(p.train_params(seed=ctx.seed_for("capacity-bound", "train", p.n, p.m), device=ctx.device))
    Wf = out.W_final.astype(float)
    count = PolysemanticCount(Wf)
    on = (np.abs(Wf) >= LO) & (np.abs(Wf) <= HI)
    shared = np.clip(on.sum(axis=1) - 1, 0, None).sum(axis=1)
    return BoundMeasurements(
        random_excess=np.asarray(excess), random_slack=np.asarray(slack), random_d=np.asarray(ds),
        random_sum=np.asarray(sums), frame_error=np.asarray(frame_error), frame_values=values, frame_k=shapes,
        perturbed_slack=np.asarray(perturbed), waste=p.n - capacities(Wf).sum(axis=1),
        shared=shared.astype(float), count=count.count.astype(float),
    )


def _bound_derive(p: BoundParams) -> Derivation:
    exact = {name: th.frame_capacity(name)[0] for name in FRAMES}
    return Derivation(
        expr=th.capacity_expr(3),
        extra={f"C_i({name})": value for name, value in exact.items()},
        values={f"C_i({name})": float(value) for name, value in exact.items()}
        | {f"wasted capacity n(n-1)/4m (n={p.n}, m={p.m})": collisions.predict_leading(p.n, p.m)},
    )


N_BOUND_RANDOM = 4  # stochastic fits of capacity-bound (Bonferroni)


def _frame_value_error(meas: BoundMeasurements, reference: str = "exact") -> float:
    errs = []
    for name, (numeric, exact) in meas.frame_values.items():
        _, k = meas.frame_k[name]
        target = np.asarray(exact) if reference == "exact" else np.full(k, 1.0 / k)
        errs.append(float(np.abs(numeric - target).max()))
    return max(errs)


def _bound_fit(meas: BoundMeasurements, d: Derivation, p: BoundParams) -> list[Fit]:
    level = 1 - (1 - p.confidence) / N_BOUND_RANDOM
    rng = np.random.default_rng(0)
    ex = meas.random_excess
    slack = fitting.mean_ci(meas.random_slack, confidence=level)
    fe = meas.frame_error
    fv = _frame_value_error(meas)
    ps = meas.perturbed_slack
    idx = np.arange(len(meas.waste), dtype=float)

    def slope_error(i: np.ndarray, axis: int = -1) -> np.ndarray:
        j = i.astype(int)
        x, y = meas.shared[j], meas.waste[j]
        xc = x - x.mean(axis=-1, keepdims=True)
        return np.abs((xc * y).sum(axis=-1) / (xc * xc).sum(axis=-1) - 1.0)

    per = fitting.bootstrap([idx], slope_error, rng=rng, confidence=level)
    resid = fitting.mean_ci(meas.waste - meas.shared, confidence=level)
    level_waste = fitting.ratio_ci([meas.waste], [collisions.predict_leading(p.n, p.m)], rng=rng, confidence=level)
    return [
        _deterministic("bound", "max over random W of ΣC_i − rank(W) (rank <= d)", EXACT, float(ex.max()),
                       why=f"P2-BOUND over {len(ex)} Gaussian, sparse and rank-deficient W; interval = range over W"),
        Fit("slack", "mean d − ΣC_i over Gaussian W (N = 4d)", 0.0, slack.value, slack.ci, None, relation=">",
            confidence=level, why="generic W waste capacity: the bound is not an identity"),
        _deterministic("tight", "max |ΣC_i − d| over tight frames and block-semi-orthogonal W", EXACT,
                       float(fe.max()),
                       why="P2-EFF: equality for block-semi-orthogonal W (named frames, rotated, random unions)"),
        _deterministic("frame-values", "max |C_i − exact| over the T-4 frames (sympy: d/k)", EXACT, fv,
                       why="T-4: a tight frame of k vectors in R^d gives C_i = d/k, derived exactly here"),
        _deterministic("perturbed", "min d − ΣC_i after rescaling one vector of a non-trivial block", EXACT,
                       float(ps.min()), relation=">",
                       why="equality only for block-semi-orthogonal W: one rescaled vector breaks it, strictly; "
                           "judged at the resolution of the equality check (EXACT), since the theory predicts "
                           "strict inequality, not its size (near-degenerate random frames give slacks ≈ 1e-7)"),
        Fit("waste-per-neuron", "|slope − 1|, slope of n − ΣC_i against Σ_neurons (features on it − 1)", 0.05,
            per.value, per.ci, None, relation="<", confidence=level,
            why="derived here: f features on one neuron (opposite signs) form a rank-1 block, ΣC = 1, so the "
                "neuron wastes f − 1 dimensions; exact for 1-sparse rows, within 5 % with SGD's L1 jitter "
                "(see waste-residual; bootstrap over models)"),
        Fit("waste-residual", "mean n − ΣC_i − Σ_neurons (features on it − 1) per trained model", 0.05,
            resid.value, resid.ci, None, relation="<", confidence=level,
            why="what the supports do not explain: SGD's L1 subgradient leaves |W| ≈ lr·λ on dead "
                "coordinates, overlaps ≈ lr·λ with each winner, ≈ n(n−1)(lr·λ)² = 0.024 of a dimension"),
        Fit("waste-level", "mean n − ΣC_i / (n(n−1)/4m), trained autoencoders", 1.0, level_waste.value,
            level_waste.ci, 0.35, confidence=level,
            why="one wasted dimension per collision, n(n−1)/4m collisions (catalogue P1-COUNT: ±35 %)"),
    ]


def _bound_identity(fits: Sequence[Fit], meas: BoundMeasurements, p: BoundParams) -> list[Fit]:
    """Mutant: ΣC_i = d for every W (the bound is an identity)."""
    f = next(f for f in fits if f.key == "slack")
    return [Fit("slack-zero", f.quantity, 0.0, f.fitted, f.ci, 0.05, confidence=f.confidence, why="mutant")]


def _bound_slope(value: float):
    """Mutant: each extra feature on a neuron wastes ``value`` dimensions (slope of waste on it)."""
    def refit(fits: Sequence[Fit], meas: BoundMeasurements, p: BoundParams) -> list[Fit]:
        rng = np.random.default_rng(0)
        level = next(f for f in fits if f.key == "waste-per-neuron").confidence

        def slope(i: np.ndarray, axis: int = -1) -> np.ndarray:
            j = i.astype(int)
            x, y = meas.shared[j], meas.waste[j]
            xc = x - x.mean(axis=-1, keepdims=True)
            return (xc * y).sum(axis=-1) / (xc * xc).sum(axis=-1)

        est = fitting.bootstrap([np.arange(len(meas.waste), dtype=float)], slope, rng=rng, confidence=level)
        return [Fit("waste-slope", "slope of n − ΣC_i against Σ_neurons (features on it − 1)", value, est.value,
                    est.ci, 0.1, confidence=level, why="mutant")]

    return refit


def _bound_one_over_k(fits: Sequence[Fit], meas: BoundMeasurements, p: BoundParams) -> list[Fit]:
    """Mutant: a tight frame of k vectors gives C_i = 1/k (as k parallel copies would)."""
    err = _frame_value_error(meas, reference="1/k")
    return [_deterministic("frame-values-1/k", "max |C_i − 1/k| over the T-4 frames", EXACT, err, why="mutant")]


def _bound_plot(result: Result[BoundMeasurements], outdir: Path) -> list[Path]:
    from ._plots import new_figure, save

    meas = result.measurements
    fig, (ax, bx) = new_figure(2)
    jitter = np.random.default_rng(0).uniform(-0.25, 0.25, len(meas.random_d))
    ax.scatter(meas.random_d + jitter, meas.random_sum, s=4, alpha=0.3, color="C0", label="random W (N = 4d)")
    for name, (numeric, _) in meas.frame_values.items():
        d, _ = meas.frame_k[name]
        ax.scatter([d], [numeric.sum()], marker="*", s=60, color="C3", zorder=3)
    ax.scatter([], [], marker="*", color="C3", label="tight frames (T-4)")
    grid = np.arange(0, max(meas.random_d) + 2)
    ax.plot(grid, grid, "--", color="k", lw=1, label="ΣC = d")
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("Σ_i C_i")
    ax.set_title("capacity-bound: ΣC ≤ d, equality for tight frames")
    ax.legend(fontsize=8)
    top = int(max(meas.shared.max(), meas.waste.max())) + 1
    bx.scatter(meas.shared + np.random.default_rng(1).uniform(-0.15, 0.15, len(meas.shared)), meas.waste, s=6,
               alpha=0.4, color="C1")
    bx.plot([0, top], [0, top], "--", color="k", lw=1, label="one dimension per extra feature")
    bx.set_xlabel("Σ_neurons (features on it − 1)")
    bx.set_ylabel("wasted capacity n − ΣC_i")
    prm = result.params
    bx.set_title(f"trained autoencoders: n = {prm['n']}, m = {prm['m']}")
    bx.legend(fontsize=8)
    return [save(fig, outdir / f"{result.claim_id}.png")]


_BOUND_STANDARD = BoundParams()
_BOUND_SMOKE = BoundParams(d=(2, 3), draws=5, blocks=5, n=8, m=32, instances=16, steps=200)
_BOUND_PAPER = BoundParams(d=(2, 3, 5, 8, 13, 21, 34), draws=1000, blocks=1000, n=256, m=1024, instances=16,
                           steps=800)

def _bound_strategy() -> Any:
    """Any dimensions and over-completeness for the exact parts; trained models at n = 8…16, m = 4n
    (as collision-count's regime), judged at a family-wise 0.999."""
    from hypothesis import strategies as st

    @st.composite
    def draw(draw_: Any) -> dict[str, Any]:
        d = tuple(sorted(set(draw_(st.lists(st.integers(2, 12), min_size=2, max_size=4), label="d"))))
        n = draw_(st.integers(8, 16), label="n")
        return {"d": d if len(d) >= 2 else (2, 3), "features_per_dim": draw_(st.integers(2, 6), label="N/d"),
                "draws": 20, "blocks": 20, "n": n, "m": 4 * n, "instances": 96, "steps": 500, "confidence": 0.999}

    return draw()


def _allocation_strategy() -> Any:
    """Random allocation problems in the convex regime (K = 4…30, d < N) and a phase boundary at a
    random K > 3 next to the K < 3 control, judged at a family-wise 0.999."""
    from hypothesis import strategies as st

    @st.composite
    def draw(draw_: Any) -> dict[str, Any]:
        n = draw_(st.integers(6, 16), label="n")
        m = draw_(st.integers(2, max(2, n // 2)), label="m")
        k = draw_(st.floats(4.0, 30.0), label="K")
        k_phase = draw_(st.sampled_from([5.0, 9.0, 17.0]), label="phase K")
        standard = AllocationParams()  # the phase fit needs the standard r grid, steps and batch
        return {"n": n, "m": m, "K": (round(k, 2),), "instances": 4, "steps": standard.steps,
                "phase_K": (2.5, k_phase), "phase_r": standard.phase_r, "phase_instances": standard.phase_instances,
                "phase_steps": standard.phase_steps, "phase_batch": standard.phase_batch, "confidence": 0.999}

    return draw()


CAPACITY_BOUND = Claim(
    id="capacity-bound",
    title="Capacity: Σ C_i ≤ d, equality exactly for block-semi-orthogonal W",
    statement=(
        "For any W, Σ_i C_i ≤ rank(W) ≤ d (Scherlis et al.); equality holds for block-semi-orthogonal W, "
        "whose tight-frame members have C_i = d/k, and fails once one vector is rescaled (derived here); "
        "in trained autoencoders a neuron shared by f features wastes exactly f − 1 dimensions (derived here), "
        "≈ n(n−1)/4m in all."
    ),
    source=(
        "Scherlis et al. 2210.01892 (capacity, ΣC ≤ d, block-semi-orthogonal optima; catalogue P2-DEF, P2-BOUND, "
        "P2-EFF); derived here: the equality condition, T-4 values d/k, the waste of shared neurons"
    ),
    params={"smoke": _BOUND_SMOKE, "standard": _BOUND_STANDARD, "paper": _BOUND_PAPER},
    derive=_bound_derive,
    simulate=_bound_simulate,
    fit=_bound_fit,
    controls=(
        Control("identity", "ΣC_i = d for every W", refit=_bound_identity),
        Control("one-over-k", "a tight frame of k vectors gives C_i = 1/k", refit=_bound_one_over_k),
        Control("free-collisions", "an opposite-sign pair on one neuron wastes no capacity",
                refit=_bound_slope(0.0)),
        Control("half-per-neuron", "a two-feature neuron wastes half a dimension", refit=_bound_slope(0.5)),
    ),
    false_failure=(
        "The exact fits cannot fail by chance (round-off ≈ 1e-15 against 1e-9). Four stochastic fits at "
        "level 1 − 0.05/4: ≤ 5 % in all; 256 trained models give ≈ 240 collisions (waste-level CI ≈ ±0.15)."
    ),
    strategy=_bound_strategy,
    plot=_bound_plot,
)


# ================================================================================================
# capacity-allocation
# ================================================================================================


@dataclass(frozen=True)
class AllocationParams:
    """An allocation problem per K (random importances), trained quadratic models, and a grid of
    two-feature models for the phase diagram."""

    n: int = 16  # features of the allocation problem
    m: int = 5  # neurons (embedding dimension d)
    K: tuple[float, ...] = (5.0, 10.0, 20.0)  # kurtoses of the convex (polysemantic) regime
    v_min: float = 0.02  # importances log-uniform in [v_min, 1], drawn per K
    K_concave: float = 2.5  # a kurtosis below 3: concave L_i, all-or-nothing allocation
    instances: int = 8  # random inits of the quadratic model per K
    steps: int = 5000  # full-batch GD steps (max |ΔC| ≤ 5e-4 by 6000 over 12 seeds, measured)
    lr: float = 0.2  # the step is lr/κ, κ the loss's curvature scale (sim.quadratic; stable below ≈ 0.25)
    phase_K: tuple[float, ...] = (2.5, 5.0, 9.0, 17.0)  # kurtoses of the phase diagram (r* = 2/(K−1) for K > 3)
    phase_r: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))  # v₂/v₁ grid (r = 1: no stronger one)
    phase_instances: int = 8  # two-feature models per (K, r) (a bootstrap over fewer understates the spread)
    phase_steps: int = 3000  # SGD steps on sampled sparse inputs
    phase_batch: int = 1024  # samples per step (their pattern counts are drawn: cost independent of it)
    phase_lr: float = 0.03  # SGD step lr/κ (κ ≈ K here), decayed linearly to phase_lr_end/κ
    phase_lr_end: float = 0.001  # small: SGD's stationary noise biases C₂ by O(lr/batch)
    phase_floor: float = 0.02  # r points whose mean C₂ exceeds this enter the boundary fit
    confidence: float = 0.95  # family-wise level of the stochastic fits (Bonferroni)

    def __post_init__(self) -> None:
        check_int("n", self.n, 2)
        check_int("m", self.m, 1, self.n - 1)
        if not self.K:
            raise ParamError("K", self.K, "at least one kurtosis > 3")
        for k in self.K:
            check_float("K", k, 3.0, lo_open=True)
        check_float("v_min", self.v_min, 0.0, 1.0, lo_open=True, hi_open=True)
        check_float("K_concave", self.K_concave, 1.0, 3.0, hi_open=True)
        check_int("instances", self.instances, 1)
        check_int("steps", self.steps, 1)
        check_float("lr", self.lr, 0.0, lo_open=True)
        for k in self.phase_K:
            check_float("phase_K", k, 1.0)
        if not any(k > 3 for k in self.phase_K):
            raise ParamError("phase_K", self.phase_K, "at least one kurtosis > 3 (a boundary to fit)")
        if len(self.phase_r) < 4:
            raise ParamError("phase_r", self.phase_r, "at least four ratios in (0, 1]")
        for x in self.phase_r:
            check_float("phase_r", x, 0.0, 1.0, lo_open=True)
        check_int("phase_instances", self.phase_instances, 2)
        check_int("phase_steps", self.phase_steps, 1)
        check_int("phase_batch", self.phase_batch, 1)
        check_float("phase_lr", self.phase_lr, 0.0, lo_open=True)
        check_float("phase_lr_end", self.phase_lr_end, 0.0, self.phase_lr)
        check_float("phase_floor", self.phase_floor, 0.0, 0.5, lo_open=True)
        check_float("confidence", self.confidence, 0.5, 1.0, hi_open=True)


@dataclass(frozen=True, repr=False)
class Allocation:
    """The solver's optimum for one importance vector."""

    K: float
    v: np.ndarray  # (n,) importances
    C: np.ndarray  # (n,) optimal capacities
    loss: float  # Σ L_i(C_i) at the optimum
    lam: float  # the multiplier: mean marginal benefit of the polysemantic features (if none: a λ between)
    marginal_spread: float  # relative spread of the marginal benefit over polysemantic features


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


def solve_allocation(v: np.ndarray, K: float, m: int) -> Allocation:
    """Minimise Σ L_i(C_i) subject to Σ C_i <= m, 0 <= C_i <= 1 with scipy (SLSQP), L_i(C) the
    derived loss of capacity; then read off the multiplier and the KKT spread."""
    L = th.numeric(th.loss_of_capacity(), th.C, th.v, th.K)
    dL = th.numeric(-th.marginal(), th.C, th.v, th.K)
    benefit = th.numeric(th.marginal(), th.C, th.v, th.K)
    n = len(v)
    res = minimize(
        lambda c: float(np.sum(L(c, v, K))), np.full(n, m / n), jac=lambda c: dL(c, v, K),
        bounds=[(0.0, 1.0)] * n, method="SLSQP", options={"ftol": 1e-15, "maxiter": 2000},
        constraints=[{"type": "ineq", "fun": lambda c: m - c.sum(), "jac": lambda c: -np.ones(n)}],
    )
    # SLSQP mode 8 ("positive directional derivative for linesearch") means no further descent at
    # this ftol: accepted, since the KKT fits below judge the optimum itself
    if not (res.success or res.status == 8) or res.x.sum() > m + 1e-9:
        raise RuntimeError(f"allocation solver failed (K={K}): {res.message}")
    C = np.clip(res.x, 0.0, 1.0)
    poly = (C > 1e-7) & (C < 1 - 1e-7)
    if poly.any():
        marg = benefit(C[poly], v[poly], K)
        lam, spread = float(marg.mean()), float((marg.max() - marg.min()) / marg.mean())
    else:  # no polysemantic feature: any λ between the ignored ones' and the mono ones' margins
        lo = float(np.max(benefit(0.0, v[C <= 1e-7], K), initial=0.0))
        hi = float(np.min(benefit(1.0, v[C >= 1 - 1e-7], K), initial=np.inf))
        lam = float(np.sqrt(lo * hi)) if lo > 0 and np.isfinite(hi) else (lo if lo > 0 else hi / 2)
        spread = 0.0
    return Allocation(K=K, v=v, C=C, loss=float(np.sum(L(C, v, K))), lam=lam, marginal_spread=spread)


def rule_capacity(v: np.ndarray, K: float, lam: float, *, mono_threshold: float | None = None) -> np.ndarray:
    """The derived KKT rule at multiplier λ: 0 below √(2λ)/(K−1), 1 above √(λ/2), the linear C(v)
    between (not clipped: with the right thresholds it stays in [0, 1] by itself, so a wrong
    threshold shows up as a capacity outside the band)."""
    thr = th.thresholds()
    low = float(thr["ignored_below"].subs({th.lam: lam, th.K: K}))
    high = float(thr["monosemantic_above"].subs({th.lam: lam})) if mono_threshold is None else mono_threshold
    inner = th.numeric(th.interior_capacity(), th.v, th.lam, th.K)(v, lam, K)
    return np.where(v <= low, 0.0, np.where(v >= high, 1.0, inner))


def _importances(ctx: Context, p: AllocationParams, K: float) -> np.ndarray:
    rng = ctx.rng("capacity-allocation", "importance", K)
    return np.sort(np.exp(rng.uniform(np.log(p.v_min), 0.0, p.n)))[::-1].copy()


def _alloc_simulate(p: AllocationParams, ctx: Context) -> AllocationMeasurements:
    vs = [_importances(ctx, p, K) for K in p.K]
    allocations = [solve_allocation(v, K, p.m) for v, K in zip(vs, p.K)]
    concave_v = _importances(ctx, p, p.K_concave)
    q = train_quadratic(QuadraticParams(
        v=tuple(tuple(float(x) for x in v) for v in vs + [concave_v]), K=tuple(p.K) + (p.K_concave,), d=p.m,
        instances=p.instances, steps=p.steps, lr=p.lr, seed=ctx.seed_for("capacity-allocation", "train"),
    ))
    caps = capacities(q.W_final)  # (groups, instances, n)
    grid = [(K, r) for K in p.phase_K for r in p.phase_r]
    ph = train_quadratic(QuadraticParams(
        v=tuple((1.0, float(r)) for _, r in grid), K=tuple(float(K) for K, _ in grid), d=1,
        instances=p.phase_instances, steps=p.phase_steps, lr=p.phase_lr, lr_end=p.phase_lr_end, data="sparse",
        batch=p.phase_batch, dtype="float32", seed=ctx.seed_for("capacity-allocation", "phase"),
    ))
    C2 = capacities(ph.W_final)[..., 1].reshape(len(p.phase_K), len(p.phase_r), p.phase_instances)
    return AllocationMeasurements(
        allocations=allocations, trained_C=caps[:-1], trained_loss=q.loss[:-1], concave_v=concave_v,
        concave_C=caps[-1], phase_K=np.asarray(p.phase_K, float), phase_r=np.asarray(p.phase_r, float), phase_C2=C2,
    )


def _alloc_derive(p: AllocationParams) -> Derivation:
    n3 = th.quadratic_loss(3)
    if sp.simplify(n3 - th.quadratic_loss_reference(3)) != 0:
        raise ArithmeticError("the loss derived from the quadratic model differs from (K−1)Σ(v−G_ii)² + 2ΣG_ij²")
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
        values={f"r*(K={K:g})": float(th.phase_boundary().subs(th.K, K)) for K in p.phase_K if K > 3},
    )


def _phase_fit_window(C2: np.ndarray, floor: float) -> np.ndarray:
    return C2.mean(axis=-1) > floor


def phase_boundary_estimate(r: np.ndarray, C2: np.ndarray, *, floor: float, level: float,
                            rng: np.random.Generator) -> fitting.Estimate:
    """r* from trained two-feature models: on the r points that share capacity (mean C₂ > floor),
    C₂(1 + r) is a straight line in r (derived here); r* is where it reaches 0. The interval is a
    bootstrap over the models at each r."""
    sel = _phase_fit_window(C2, floor)
    if sel.sum() < 2:
        raise ValueError(f"fewer than two ratios share capacity (mean C₂ > {floor}): no boundary to fit")
    rs = r[sel]

    def stat(*ys: np.ndarray, axis: int = -1) -> np.ndarray:
        means = np.stack(np.broadcast_arrays(*[y.mean(axis=axis) for y in ys]), axis=-1) * (1 + rs)
        slope = fitting.ols_slope(rs, means)
        intercept = means.mean(axis=-1) - slope * rs.mean()
        return -intercept / slope

    return fitting.bootstrap(list(C2[sel]), stat, rng=rng, confidence=level)


def _alloc_fit(meas: AllocationMeasurements, d: Derivation, p: AllocationParams) -> list[Fit]:
    convex = [K for K in p.phase_K if K > 3]
    flat = [K for K in p.phase_K if K <= 3]
    k_random = len(convex) + len(flat)
    level = 1 - (1 - p.confidence) / k_random
    rng = np.random.default_rng(0)
    spreads = [a.marginal_spread for a in meas.allocations]
    rule_err = [float(np.abs(a.C - rule_capacity(a.v, a.K, a.lam)).max()) for a in meas.allocations]
    dev = np.stack([np.abs(meas.trained_C[g] - a.C).max(axis=-1) for g, a in enumerate(meas.allocations)])
    gap = np.stack([np.abs(meas.trained_loss[g] / a.loss - 1) for g, a in enumerate(meas.allocations)])
    fractional = ((meas.concave_C > 0.01) & (meas.concave_C < 0.99)).sum(axis=-1)
    fits = [
        _deterministic("kkt", "max relative spread of −dL/dC over polysemantic features (solver)", 1e-5,
                       max(spreads),
                       why="P2-KKT: equal marginal loss across polysemantic features; SLSQP reaches ≈ 1e-8"),
        _deterministic("rule", "max |C_solver − C_rule(v, λ*)| (ignored < √(2λ)/(K−1) < linear < √(λ/2) < mono)",
                       1e-5, max(rule_err),
                       why="P2-THR, derived here: thresholds and C(v) linear between them, at the solver's λ*"),
        _deterministic("trained", "max |C_trained − C_solver| over features, models and K", 0.01, float(dev.max()),
                       why="gradient descent on the model's loss (not on L(C)) reaches the solver's allocation, to 1 % "
                           "of a dimension: a feature near a threshold converges slowly (vanishing curvature)"),
        _deterministic("realisable", "max |L_trained / L_solver − 1|", 1e-5, float(gap.max()),
                       why="the relaxation over C is tight: block-semi-orthogonal W realise the optimum (derived "
                           "here); GD cannot beat the solver, it reaches it to ≈ 1e-7 by 6000 steps"),
        _deterministic("concave", f"fractional features (0.01 < C < 0.99) in models trained at K = {p.K_concave:g}",
                       0.5, float(fractional.max()),
                       why="P2-CONVEX: L_i is concave for K < 3, so the optimum is all-or-nothing"),
    ]
    for g, K in enumerate(meas.phase_K):
        C2 = meas.phase_C2[g]
        if K > 3:
            est = phase_boundary_estimate(meas.phase_r, C2, floor=p.phase_floor, level=level, rng=rng)
            pred = float(th.phase_boundary().subs(th.K, K))
            fits.append(Fit(
                f"phase-K{K:g}", f"phase boundary v₂/v₁ at K = {K:g} (two features, one neuron, SGD on data)",
                pred, est.value, est.ci, 0.25 * pred, confidence=level,
                why="P2-PHASE2, derived here: r* = 2/(K−1); ±12.5 % separates it from 1/(K−1) and 2/K… at K ≤ 9",
            ))
        else:
            # sharing = a fractional C₂; at K < 3 either feature may take the whole neuron (both
            # monosemantic states are local minima of a concave loss), which is not sharing
            shared = int(((C2 > p.phase_floor) & (C2 < 1 - p.phase_floor)).sum())
            est = fitting.proportion_ci(shared, C2.size, confidence=level)
            fits.append(Fit(
                f"phase-K{K:g}", f"fraction of two-feature models sharing capacity at K = {K:g} (r <= 1)", 0.1,
                est.value, est.ci, None, relation="<", confidence=level,
                why="P2-CONVEX: for K <= 3 the stronger feature takes the whole dimension at every r < 1",
            ))
    return fits


def _alloc_half_boundary(fits: Sequence[Fit], meas: AllocationMeasurements, p: AllocationParams) -> list[Fit]:
    """Mutant: the boundary at 1/(K−1), half the derived value."""
    return [f.with_prediction(f.predicted / 2) for f in fits if f.key.startswith("phase-K") and f.relation == "=="]


def _alloc_proportional(fits: Sequence[Fit], meas: AllocationMeasurements, p: AllocationParams) -> list[Fit]:
    """Mutant: capacity in proportion to importance (C_i = min(1, c·v_i), Σ C_i = m)."""
    errs = []
    for g, a in enumerate(meas.allocations):
        c = np.minimum(1.0, a.v * p.m / a.v.sum())
        for _ in range(50):  # water-fill the capped share
            c = np.minimum(1.0, a.v * (p.m - (c >= 1).sum()) / a.v[c < 1].sum())
            c[c >= 1] = 1.0
        errs.append(float(np.abs(meas.trained_C[g] - c).max()))
    return [_deterministic("trained-proportional", "max |C_trained − C_proportional|", 0.01, max(errs), why="mutant")]


def _alloc_flip_at_two(fits: Sequence[Fit], meas: AllocationMeasurements, p: AllocationParams) -> list[Fit]:
    """Mutant: the convexity flip sits at K = 2, so K = 2.5 would already share capacity."""
    f = next(f for f in fits if f.key == "concave")
    return [_deterministic("concave-shares", f.quantity, 0.5, f.fitted, relation=">", why="mutant")]


def _alloc_wrong_mono(fits: Sequence[Fit], meas: AllocationMeasurements, p: AllocationParams) -> list[Fit]:
    """Mutant: monosemantic above √(2λ) instead of √(λ/2)."""
    errs = [float(np.abs(a.C - rule_capacity(a.v, a.K, a.lam, mono_threshold=float(np.sqrt(2 * a.lam)))).max())
            for a in meas.allocations]
    return [_deterministic("rule-sqrt-2lambda", "max |C_solver − C_rule| with the mono threshold √(2λ)", 1e-5, max(errs),
                           why="mutant")]


def _alloc_plot(result: Result[AllocationMeasurements], outdir: Path) -> list[Path]:
    from ._plots import new_figure, save

    meas = result.measurements
    fig, axes = new_figure(len(meas.allocations), width=4.2)
    inner = th.numeric(th.interior_capacity(), th.v, th.lam, th.K)
    for ax, a, tc in zip(axes, meas.allocations, meas.trained_C):
        thr = th.thresholds()
        low = float(thr["ignored_below"].subs({th.lam: a.lam, th.K: a.K}))
        high = float(thr["monosemantic_above"].subs({th.lam: a.lam}))
        grid = np.geomspace(a.v.min() * 0.8, 1.05, 300)
        ax.plot(grid, rule_capacity(grid, a.K, a.lam), "-", color="C0", label="KKT rule at the solver's λ*")
        ax.plot(a.v, a.C, "o", mfc="none", color="C0", ms=8, label="convex solver")
        for row in tc:
            ax.plot(a.v, row, ".", color="C1", alpha=0.6)
        ax.plot([], [], ".", color="C1", label="trained (GD), every init")
        ax.axvline(low, ls=":", color="grey")
        ax.axvline(high, ls="--", color="grey")
        ax.text(low, 0.5, " √(2λ)/(K−1)", fontsize=7, rotation=90, va="center")
        ax.text(high, 0.5, " √(λ/2)", fontsize=7, rotation=90, va="center")
        ax.plot(grid, np.clip(inner(grid, a.lam, a.K), 0, 1), ":", color="C0", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("importance v_i")
        ax.set_ylabel("capacity C_i")
        ax.set_title(f"K = {a.K:g}, n = {len(a.v)}, m = {result.params['m']}")
    axes[0].legend(fontsize=7)
    paths = [save(fig, outdir / f"{result.claim_id}.png")]

    fig, (ax, bx) = new_figure(2)
    r = meas.phase_r
    fine = np.linspace(0.01, 1.0, 200)
    jitter = np.random.default_rng(0).uniform(-0.008, 0.008, meas.phase_C2.shape[-1])
    for g, K in enumerate(meas.phase_K):
        C2 = meas.phase_C2[g]
        for j, x in enumerate(r):
            ax.plot(x + jitter, C2[j], ".", ms=3, alpha=0.6, color=f"C{g}")
        ax.plot([], [], "o", ms=3, color=f"C{g}", label=f"K = {K:g}" + (" (either feature wins)" if K <= 3 else ""))
        theory = th.numeric(1 - th.phase_capacity(), th.r, th.K)
        if K > 3:
            rstar = 2 / (K - 1)
            ax.plot(fine, np.where(fine > rstar, np.clip(theory(fine, K), 0, 1), 0.0), "-", color=f"C{g}", lw=1)
        else:
            ax.plot(fine, np.zeros_like(fine), "-", color=f"C{g}", lw=1)
    ax.set_xlabel("importance ratio r = v₂/v₁")
    ax.set_ylabel("capacity C₂ of the weaker feature")
    ax.set_title("two features, one neuron: trained (SGD on data, dots) vs derived (lines)", fontsize=9)
    ax.legend(fontsize=8)
    Kgrid = np.geomspace(max(1.2, meas.phase_K.min() * 0.8), meas.phase_K.max() * 1.3, 100)
    KK, RR = np.meshgrid(meas.phase_K, r, indexing="ij")
    shared = np.minimum(meas.phase_C2, 1 - meas.phase_C2).mean(axis=-1)  # 0 when one feature owns the neuron
    sc = bx.scatter(KK.ravel(), RR.ravel(), c=shared.ravel(), cmap="viridis", s=40)
    fig.colorbar(sc, ax=bx, label="mean shared capacity min(C₁, C₂)")
    bx.plot(Kgrid[Kgrid > 3], np.minimum(2 / (Kgrid[Kgrid > 3] - 1), 1.0), "-", color="C3", label="r* = 2/(K−1)")
    bx.axvline(3, ls=":", color="grey", label="K = 3 (no sharing below)")
    for f in result.fits:
        if f.key.startswith("phase-K") and f.relation == "==":
            K = float(f.key[len("phase-K"):])
            bx.errorbar([K], [f.fitted], yerr=[[f.fitted - f.ci[0]], [f.ci[1] - f.fitted]], fmt="s", color="C3",
                        ms=5, capsize=3)
    bx.set_xscale("log")
    bx.set_xticks(list(meas.phase_K), [f"{K:g}" for K in meas.phase_K])
    bx.minorticks_off()
    bx.set_xlabel("kurtosis K (sparse inputs: K = 1/p)")
    bx.set_ylabel("r = v₂/v₁")
    bx.set_title("phase diagram: squares = fitted boundary")
    bx.legend(fontsize=8, loc="upper right")
    paths.append(save(fig, outdir / f"{result.claim_id}-phase.png"))
    return paths


_ALLOC_STANDARD = AllocationParams()
_ALLOC_SMOKE = AllocationParams(n=6, m=2, K=(10.0,), instances=2, steps=300, phase_K=(2.5, 9.0),
                                phase_r=(0.1, 0.3, 0.5, 0.7, 0.9), phase_instances=2, phase_steps=200, phase_batch=32)
# the paper's own settings for these experiments could not be retrieved (catalogue §2): "paper" is
# a larger version of the standard design
_ALLOC_PAPER = AllocationParams(n=64, m=16, K=(4.0, 5.0, 10.0, 20.0, 50.0), instances=32, steps=20000,
                                phase_K=(1.5, 2.5, 4.0, 5.0, 9.0, 17.0, 33.0), phase_instances=16, phase_steps=8000,
                                phase_batch=1024)

CAPACITY_ALLOCATION = Claim(
    id="capacity-allocation",
    title="Capacity allocation in the quadratic model: kurtosis decides, importance ranks",
    statement=(
        "For the quadratic model, L_i(C) = 2(K−1)v_i²(1−C)/(2+(K−3)C) is convex iff K > 3; the optimal "
        "allocation has equal marginal loss across polysemantic features, monosemantic above √(λ/2), ignored "
        "below √(2λ)/(K−1), and gradient descent reaches it; two features share a neuron iff v₂/v₁ > 2/(K−1) "
        "(formulas derived here)."
    ),
    source=(
        "Scherlis et al. 2210.01892 (quadratic model, capacity allocation, kurtosis and sparsity; catalogue "
        "P2-LOSS, P2-CONVEX, P2-KKT); derived here: L_i(C), the K = 3 flip, the thresholds, r* = 2/(K−1)"
    ),
    params={"smoke": _ALLOC_SMOKE, "standard": _ALLOC_STANDARD, "paper": _ALLOC_PAPER},
    derive=_alloc_derive,
    simulate=_alloc_simulate,
    fit=_alloc_fit,
    controls=(
        Control("boundary-1-over-K-1", "two features share a neuron iff v₂/v₁ > 1/(K−1)", refit=_alloc_half_boundary),
        Control("proportional", "capacity is allocated in proportion to importance", refit=_alloc_proportional),
        Control("flip-at-2", "the convexity flip sits at K = 2 (K = 2.5 already shares)", refit=_alloc_flip_at_two),
        Control("mono-sqrt-2lambda", "monosemantic above √(2λ)", refit=_alloc_wrong_mono),
    ),
    false_failure=(
        "The solver and GD fits are exact computations (no sampling). Four phase fits at level 1 − 0.05/4 "
        "each: ≤ 5 % nominally; 4 SGD models per (K, r) give boundary intervals of width ≈ 0.01. Measured "
        "over seeds 0–19: 18/20 met every expected verdict (realisable once, phase-K5 once: ≈ 10 %)."
    ),
    strategy=_allocation_strategy,
    plot=_alloc_plot,
)

CLAIMS = (CAPACITY_BOUND, CAPACITY_ALLOCATION)
