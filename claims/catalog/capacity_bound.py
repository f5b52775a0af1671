"""Claim ``capacity-bound``: Σ C_i ≤ d, with equality exactly for block-semi-orthogonal W.

Scherlis et al. (2210.01892) measure how much of the embedding space a feature uses by its
capacity C_i = (W_i·W_i)² / Σ_j (W_i·W_j)² ∈ [0, 1] (catalogue P2-DEF), with the budget
Σ_i C_i ≤ d (P2-BOUND). The claim checks the bound on random W, equality for tight frames and
block-semi-orthogonal W (P2-EFF) and its loss when one vector is rescaled; and, on trained
autoencoders of Lecomte et al., that a neuron shared by f features wastes f − 1 dimensions
(derived in :mod:`theory.capacity`), ≈ n(n−1)/4m in all. The T-4 values C_i = d/k of the named
frames are exact sympy results; that numpy's capacities reproduce them is a test of the code
(``tests/test_capacity.py``), not a fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim import ParamError, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, OptimiserParams, train
from sim.metrics import HI, LO, PolysemanticCount
from sim.quadratic import capacities
from theory import capacity as th
from theory import collisions

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Fit, FitSpec, Judge, fit_by_key
from ._shared import check_confidence, property_strategy

__all__ = ["CLAIM", "BoundMeasurements", "BoundParams"]

FRAMES = (
    "antipodal",
    "3-gon",
    "4-gon",
    "5-gon",
    "6-gon",
    "7-gon",
    "8-gon",
    "tetrahedron",
    "square-antiprism",
)
EXACT = 1e-9  # numerical equality: float64 round-off on these sizes is ≈ 1e-15
WASTE_TOL = 0.05  # the waste per shared feature: SGD's L1 jitter may move the slope this much
LEVEL_TOL = 0.35  # the waste's level: catalogue P1-COUNT's ±35 %
RESIDUAL_MAX = 0.05  # the waste the supports leave unexplained, per model, at most
_LOG = "benchmarks/false_failure.jsonl"  # the standard scale's sweep over seeds 0–19


@dataclass(frozen=True)
class BoundParams:
    """Random and structured W for the bound; a batch of trained autoencoders for the waste."""

    d: tuple[int, ...] = (2, 3, 5, 8, 13)  # embedding dimensions of the random W
    features_per_dim: int = 4  # N = 4d features per random W (over-complete: the bound binds)
    draws: int = 100  # random W per d and family (Gaussian, sparse, rank-deficient)
    blocks: int = 100  # random block-semi-orthogonal W (and as many perturbed ones)
    train: AutoencoderParams = (
        AutoencoderParams(  # the trained autoencoders whose wasted capacity is measured
            model=ModelParams(
                n=16,  # features
                m=64,  # hidden neurons (m = 4n: ≈ 0.94 polysemantic neurons per model)
            ),
            optimiser=OptimiserParams(
                steps=500,  # SGD steps (the count is final by ≈ 400 at lr = λ = 0.1)
                lr=0.1,  # as collision-count
                kind="sgd",  # gradient descent, as collision-count
                l1=0.1,  # λ, as collision-count
            ),
            instances=256,  # trained models: ≈ 240 collisions
            dtype="float32",  # trainer dtype
        )
    )
    confidence: float = 0.95  # family-wise level of the stochastic fits (Bonferroni)

    def __post_init__(self) -> None:
        if not self.d:
            raise ParamError("d", self.d, "at least one dimension")
        for x in self.d:
            check_int("d", x, 1, 64)
        check_int("features_per_dim", self.features_per_dim, 2)
        check_int("draws", self.draws, 2)
        check_int("blocks", self.blocks, 2)
        check_int("train.model.n", self.train.model.n, 2)
        check_int("train.instances", self.train.instances, 2)
        check_confidence(self.confidence)


@dataclass(frozen=True, repr=False)
class BoundMeasurements:
    random_excess: np.ndarray  # ΣC − rank(W) per random W
    random_slack: np.ndarray  # d − ΣC per Gaussian W (full rank)
    random_d: np.ndarray  # d per random W (for the figure)
    random_sum: np.ndarray  # ΣC per random W
    frame_error: (
        np.ndarray
    )  # |ΣC − d| per tight frame (named, rotated, random block-semi-orthogonal)
    # name -> (numeric C_i, exact C_i); the figure and the one-over-k control read it
    frame_values: dict[str, tuple[np.ndarray, list[float]]]
    frame_k: dict[str, tuple[int, int]]  # name -> (d, k)
    perturbed_slack: np.ndarray  # d − ΣC after rescaling one vector of a non-trivial block
    waste: np.ndarray  # n − ΣC per trained model
    shared: np.ndarray  # Σ_neurons (features on it − 1)_+ per trained model
    count: np.ndarray  # polysemantic neurons per trained model


def _random_orthogonal(rng: np.random.Generator, d: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def _block_semi_orthogonal(
    rng: np.random.Generator, d: int
) -> tuple[np.ndarray, list[tuple[int, int]]]:
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
        block[:, col : col + size] = q * rng.uniform(0.3, 3.0)
        rows.append(block)
        starts.append((start, size, k))
        col += size
        start += k
    W = np.concatenate(rows) @ _random_orthogonal(rng, d)
    # rescaling a vector changes ΣC only in a block of dimension >= 2 with more vectors than
    # dimensions (in one dimension every non-zero configuration is tight; k = size is orthogonal)
    return W, [(s, k) for s, size, k in starts if k > size >= 2]


def simulate(p: BoundParams, ctx: Context) -> BoundMeasurements:
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
            frame_error.append(
                abs(capacities(W @ _random_orthogonal(rng, W.shape[1])).sum() - W.shape[1])
            )
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
            row = start + int(np.argmax(np.linalg.norm(W[start : start + k], axis=1)))
            W[row] *= rng.choice([rng.uniform(0.3, 0.8), rng.uniform(1.25, 3.0)])
            perturbed.append(d - capacities(W).sum())
    seed = ctx.seed_for("capacity-bound", "train", p.train.model.n, p.train.model.m)
    out = train(p.train.replace(seed=seed, device=ctx.device))
    Wf = out.W_final.astype(float)
    count = PolysemanticCount(Wf)
    on = (np.abs(Wf) >= LO) & (np.abs(Wf) <= HI)
    shared = np.clip(on.sum(axis=1) - 1, 0, None).sum(axis=1)
    return BoundMeasurements(
        random_excess=np.asarray(excess),
        random_slack=np.asarray(slack),
        random_d=np.asarray(ds),
        random_sum=np.asarray(sums),
        frame_error=np.asarray(frame_error),
        frame_values=values,
        frame_k=shapes,
        perturbed_slack=np.asarray(perturbed),
        waste=p.train.model.n - capacities(Wf).sum(axis=1),
        shared=shared.astype(float),
        count=count.count.astype(float),
    )


def derive(p: BoundParams) -> Derivation:
    exact = {name: th.frame_capacity(name)[0] for name in FRAMES}
    n, m = p.train.model.n, p.train.model.m
    return Derivation(
        expr=th.capacity_expr(3),
        extra={f"C_i({name})": value for name, value in exact.items()},
        values={f"C_i({name})": float(value) for name, value in exact.items()}
        | {f"wasted capacity n(n-1)/4m (n={n}, m={m})": collisions.predict_leading(n, m)},
    )


def specs(p: BoundParams) -> tuple[FitSpec, ...]:
    """The fits (the bound's why counts the random W of the grid, the residual's the trainer's
    n, lr and λ)."""
    random_w = 3 * len(p.d) * p.draws
    t = p.train
    jitter = t.model.n * (t.model.n - 1) * (t.optimiser.lr * t.optimiser.l1) ** 2
    return (
        FitSpec(
            "bound",
            "max over random W of ΣC_i − rank(W) (rank <= d)",
            relation="<",
            exact=True,
            why=f"P2-BOUND over {random_w} Gaussian, sparse and rank-deficient W; "
            "interval = range over W",
        ),
        FitSpec(
            "slack",
            f"mean d − ΣC_i over Gaussian W (N = {p.features_per_dim}d)",
            relation=">",
            why="generic W waste capacity: the bound is not an identity",
        ),
        FitSpec(
            "tight",
            "max |ΣC_i − d| over tight frames and block-semi-orthogonal W",
            relation="<",
            exact=True,
            why="P2-EFF: equality for block-semi-orthogonal W (named frames, rotated, random "
            "unions)",
        ),
        FitSpec(
            "perturbed",
            "min d − ΣC_i after rescaling one vector of a non-trivial block",
            relation=">",
            exact=True,
            why="equality only for block-semi-orthogonal W: one rescaled vector breaks it, "
            f"strictly; judged at the resolution of the equality check (EXACT = {EXACT:g}), since "
            "the theory predicts strict inequality, not its size (near-degenerate random frames "
            f"give slacks down to 9e-8 over seeds 0–19 at the standard scale, {_LOG})",
        ),
        FitSpec(
            "waste-per-neuron",
            "slope of n − ΣC_i against Σ_neurons (features on it − 1), trained autoencoders",
            WASTE_TOL,
            why="theory.capacity.waste_per_shared_feature: f features on one neuron form a "
            "rank-1 block, ΣC = 1, so the neuron wastes f − 1 dimensions (slope 1); exact for "
            f"1-sparse rows, and SGD's L1 jitter (waste-residual) may move it by ±{WASTE_TOL:g} "
            "(bootstrap over models)",
        ),
        FitSpec(
            "waste-residual",
            "mean n − ΣC_i − Σ_neurons (features on it − 1) per trained model",
            relation="<",
            why="what the supports do not explain: SGD's L1 subgradient leaves |W| ≈ lr·λ on dead "
            f"coordinates, overlaps ≈ lr·λ with each winner, ≈ n(n−1)(lr·λ)² = {jitter:.3g} of a "
            f"dimension at n = {t.model.n}, lr = {t.optimiser.lr:g}, λ = {t.optimiser.l1:g}",
        ),
        FitSpec(
            "waste-level",
            "mean n − ΣC_i / (n(n−1)/4m), trained autoencoders",
            LEVEL_TOL,
            why="one wasted dimension per collision, n(n−1)/4m collisions (theory.collisions); the "
            f"band is the catalogue's P1-COUNT precision, ±{100 * LEVEL_TOL:g} %",
        ),
    )


def _waste_slope(meas: BoundMeasurements) -> Callable[..., np.ndarray]:
    """The OLS slope of the waste n − ΣC_i on Σ_neurons (features on it − 1), as a bootstrap
    statistic of model indices."""

    def slope(i: np.ndarray, axis: int = -1) -> np.ndarray:
        j = i.astype(int)
        x, y = meas.shared[j], meas.waste[j]
        xc = x - x.mean(axis=-1, keepdims=True)
        return (xc * y).sum(axis=-1) / (xc * xc).sum(axis=-1)

    return slope


def fit(meas: BoundMeasurements, d: Derivation, p: BoundParams, judge: Judge) -> list[Fit]:
    ex = meas.random_excess
    slack = fitting.mean_ci(meas.random_slack, confidence=judge.level)
    per = fitting.bootstrap(
        [np.arange(len(meas.waste), dtype=float)],
        _waste_slope(meas),
        rng=judge.rng,
        confidence=judge.level,
    )
    resid = fitting.mean_ci(meas.waste - meas.shared, confidence=judge.level)
    level_waste = fitting.ratio_ci(
        [meas.waste],
        [collisions.predict_leading(p.train.model.n, p.train.model.m)],
        rng=judge.rng,
        confidence=judge.level,
    )
    return [
        judge.fit("bound", predicted=EXACT, fitted=float(ex.max())),
        judge.fit("slack", predicted=0.0, estimate=slack),
        judge.fit("tight", predicted=EXACT, fitted=float(meas.frame_error.max())),
        judge.fit("perturbed", predicted=EXACT, fitted=float(meas.perturbed_slack.min())),
        judge.fit("waste-per-neuron", predicted=float(th.waste_per_shared_feature()), estimate=per),
        judge.fit("waste-residual", predicted=RESIDUAL_MAX, estimate=resid),
        judge.fit("waste-level", predicted=1.0, estimate=level_waste),
    ]


def _identity(
    fits: Sequence[Fit], meas: BoundMeasurements, p: BoundParams, judge: Judge
) -> list[Fit]:
    """Mutant: ΣC_i = d for every W (the bound is an identity): the mean slack is 0 (±0.05)."""
    f = fit_by_key(fits, "slack")
    return [f.mutant(predicted=0.0, relation="==", tolerance=0.05)]


def _one_over_k(
    fits: Sequence[Fit], meas: BoundMeasurements, p: BoundParams, judge: Judge
) -> list[Fit]:
    """Mutant: a tight frame of k vectors gives C_i = 1/k (as k parallel copies would), so its
    ΣC_i is 1, not d: the named frames' sums judged against 1 (d = 1 for the antipodal pair)."""
    f = fit_by_key(fits, "tight")
    # k vectors of capacity 1/k each sum to 1 in every frame, whatever its d
    err = max(abs(float(np.sum(numeric)) - 1.0) for numeric, _ in meas.frame_values.values())
    return [
        f.mutant(
            fitted=err,
            ci=(err, err),
            quantity="max |ΣC_i − 1| over the named tight frames (k vectors of C_i = 1/k)",
        )
    ]


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Any dimensions and over-completeness for the exact parts; trained models at n = 8…16, m = 4n
    (as collision-count's regime), judged at a family-wise 0.999."""
    d = tuple(sorted(set(draw(st.lists(st.integers(2, 12), min_size=2, max_size=4), label="d"))))
    n = draw(st.integers(8, 16), label="n")
    return {
        "d": d if len(d) >= 2 else (2, 3),
        "features_per_dim": draw(st.integers(2, 6), label="N/d"),
        "draws": 20,
        "blocks": 20,
        "train.model.n": n,
        "train.model.m": 4 * n,
        "train.instances": 96,
        "train.optimiser.steps": 500,
    }


STANDARD = BoundParams()
SMOKE = BoundParams(
    d=(2, 3),
    draws=5,
    blocks=5,
    train=STANDARD.train.replace(model={"n": 8, "m": 32}, optimiser={"steps": 200}, instances=16),
)
PAPER = BoundParams(
    d=(2, 3, 5, 8, 13, 21, 34),
    draws=1000,
    blocks=1000,
    train=STANDARD.train.replace(
        model={"n": 256, "m": 1024}, optimiser={"steps": 800}, instances=16
    ),
)


def _false_failure(p: BoundParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge), the collisions the law
    expects among the trained models, and what the sweep log showed."""
    t = p.train.model
    collisions_expected = p.train.instances * collisions.predict_leading(t.n, t.m)
    return (
        f"{judge.family_sentence()} (bound and tight: round-off ≤ 4e-15 against {EXACT:g} over "
        "seeds 0–19 at the "
        f"standard scale, {_LOG}). {p.train.instances} trained models at n = {t.n}, m = {t.m} "
        f"give ≈ {collisions_expected:.0f} collisions by the law n(n−1)/4m. Over those seeds the "
        f"waste-level interval was ±0.13–0.15 against its band ±{LEVEL_TOL:g}, and "
        "waste-per-neuron fitted 0.983–0.996 (intervals ≤ ±0.023) against a band "
        f"±{WASTE_TOL:g} around its derived slope 1."
    )


CAPACITY_BOUND = Claim(
    id="capacity-bound",
    title="Capacity: Σ C_i ≤ d, equality exactly for block-semi-orthogonal W",
    statement=(
        "For any W, Σ_i C_i ≤ rank(W) ≤ d (Scherlis et al.); equality holds for "
        "block-semi-orthogonal W and fails once one vector is rescaled (derived here); in trained "
        "autoencoders a neuron shared by f features wastes exactly f − 1 dimensions (derived "
        "here), ≈ n(n−1)/4m in all."
    ),
    source=(
        "Scherlis et al. 2210.01892 (capacity, ΣC ≤ d, block-semi-orthogonal optima; catalogue "
        "P2-DEF, P2-BOUND, P2-EFF); derived here: the equality condition, T-4 values d/k (a test, "
        "not a fit), the waste of shared neurons"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=(
        Control("identity", "ΣC_i = d for every W", refit=_identity),
        Control(
            "one-over-k",
            "a tight frame of k vectors gives C_i = 1/k (ΣC = 1, not d)",
            refit=_one_over_k,
        ),
        Control(
            "free-collisions",
            "an opposite-sign pair on one neuron wastes no capacity",
            predict={"waste-per-neuron": 0.0},
        ),
        Control(
            "half-per-neuron",
            "a two-feature neuron wastes half a dimension",
            predict={"waste-per-neuron": 0.5},
        ),
    ),
    false_failure=_false_failure,
    strategy=_strategy,
    plot=figures.Figure("capacity_bound"),
)

CLAIM = CAPACITY_BOUND
