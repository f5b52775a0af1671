"""Claim ``init-diagonal``: does the initialisation decide which neuron wins, and under which
optimizer?

Lecomte et al. (catalogue P1-CORR): C = W_init W_finalᵀ is diagonally dominant. Under gradient flow
with L1 and no interference every magnitude follows the same increasing map (P1-L1-2), so the
winner is the initial argmax of |W0_ik|, keeps its initial sign, and the diagonal is
E max_k |W0_ik| (:mod:`theory.extremes`); interference reorders near-ties with probability
∝ u = √n·E max|W0| ≈ √(2n ln(2m)/m), O(1) at the boundary n ≈ m/(2 ln m) (§1.4 item 2). One run
trains two arms at the same n from the same seeds: gradient descent (``sgd``, the theory's
dynamics) on m/n = 1…64 plus an isolated n = 1 run, and the paper's AdamW (``adamw``) on
m/n = 4…16, which keeps the sign and the dominance but not the argmax (§1.4 item 6): the claim
predicts its argmax fraction below ½ and its diagonal in the catalogue's measured AdamW band
≈ 2/√m (2 ± 0.5 init sds), below the argmax picture's E max|W0|. Fits are judged at each arm's
largest m; ``paper`` is correlations.py's AdamW setting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy as sp

from sim import ParamError, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, OptimiserParams, Optimizer, train
from sim.metrics import init_dominance
from theory import extremes

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Fit, FitSpec, Judge, fit_by_key
from ._init_winner import ARGMAX_FLOOR, DOMINANCE_FLOOR, other_init, random_winner
from ._shared import check_confidence, property_strategy

__all__ = [
    "CLAIM",
    "ArmMeasurements",
    "InitDiagonalMeasurements",
    "InitDiagonalParams",
    "summarise",
]

ARMS: tuple[Optimizer, ...] = ("sgd", "adamw")


@dataclass(frozen=True)
class InitDiagonalParams:
    """Two trainer arms at the same n (``sgd``, ``adamw``), each with its own grid of m."""

    GRID_SET: ClassVar[tuple[str, ...]] = (
        "sgd.model.m",
        "adamw.model.m",
    )  # the grids set each arm's m per run

    sgd: AutoencoderParams = AutoencoderParams(  # gradient-descent arm: the theory's dynamics
        model=ModelParams(
            # features; n ≪ m at the top of the grid, m = n at the bottom (adamw.model.n must equal
            # it)
            n=16,
        ),
        optimiser=OptimiserParams(
            steps=800,  # at lr = λ = 0.1 the code is one-hot (second weight ≈ lr·λ jitter) by ≈ 450
            kind="sgd",  # gradient descent: the dynamics the theory describes
            # stable here (curvature 8 without interference; at n = m = 256 it diverges); 0.03 gives
            # the same winners
            lr=0.1,
            l1=0.1,  # λ; final |W| ≈ 1 − λ/8 (the diagonal is normalised by it)
            weight_decay=0.0,  # none: the theory's loss is reconstruction + λ‖W‖₁ only
        ),
        # models per m: 2048 features, so the miss rate at m = 1024 (≈ 0.11) is ±0.02
        instances=128,
        log_points=1,  # no metrics are recorded: only W_init and W_final are used
    )
    adamw: AutoencoderParams = AutoencoderParams(  # AdamW arm: the paper's optimizer
        model=ModelParams(
            # the same features as the gradient-descent arm (compared at the same m and seeds)
            n=16,
        ),
        optimiser=OptimiserParams(
            steps=6000,  # one-hot by ≈ 3000 at m ≥ 64 (second weight < 0.04); the paper ran 7500
            kind="adamw",  # the paper code's optimizer
            lr=1e-3,  # the paper code's learning rate
            l1=1e-3,  # the paper code's λ
            weight_decay=0.01,  # torch AdamW's default, which the paper code used silently
        ),
        instances=32,  # models per m: 512 features, winner fraction ±0.03
        log_points=1,  # no metrics are recorded: only W_init and W_final are used
    )
    m: tuple[int, ...] = (
        16,
        32,
        64,
        128,
        256,
        512,
        1024,
    )  # sgd grid, m/n = 1…64: u = √n·E max from 2.1 to 0.43
    adamw_m: tuple[int, ...] = (
        64,
        128,
        256,
    )  # adamw grid, m/n = 4…16; m ≈ n is not one-hot within adamw.optimiser.steps
    isolated_instances: int = (
        512  # the isolated n = 1 check (sgd arm, largest m): the argmax must win all of them
    )
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

    def __post_init__(self) -> None:
        check_int("sgd.model.n", self.sgd.model.n, 2)
        if self.adamw.model.n != self.sgd.model.n:
            raise ParamError(
                "adamw.model.n",
                self.adamw.model.n,
                f"= sgd.model.n = {self.sgd.model.n} (both arms train the same features from the "
                "same seeds)",
            )
        for arm in ARMS:
            train_params = self.arm(arm)
            if train_params.optimiser.kind != arm:
                raise ParamError(
                    f"{arm}.optimiser.kind",
                    train_params.optimiser.kind,
                    f"{arm!r} (the arm's optimizer)",
                )
            check_int(f"{arm}.instances", train_params.instances, 2)
        for name in ("m", "adamw_m"):
            grid = getattr(self, name)
            if not isinstance(grid, tuple) or not grid:
                raise ParamError(name, grid, "a non-empty tuple of hidden sizes, e.g. 64,128,256")
            for v in grid:
                check_int(name, v, 2)
            if len(set(grid)) != len(grid):
                raise ParamError(name, grid, "distinct grid values")
        if len(self.m) < 2:
            raise ParamError("m", self.m, "at least two grid values (the miss law is a slope in m)")
        if not set(self.m) & set(self.adamw_m):
            raise ParamError(
                "adamw_m",
                self.adamw_m,
                f"at least one value shared with m={self.m} (the optimizers are compared there)",
            )
        check_int("isolated_instances", self.isolated_instances, 2)
        check_confidence(self.confidence)

    @property
    def n(self) -> int:
        return self.sgd.model.n

    def arm(self, arm: Optimizer) -> AutoencoderParams:
        """The trainer's params of one arm (its m is set per grid point)."""
        return self.sgd if arm == "sgd" else self.adamw

    def grid(self, arm: Optimizer) -> tuple[int, ...]:
        return self.m if arm == "sgd" else self.adamw_m

    def point(self, arm: Optimizer, m: int, *, seed: int, device: str) -> AutoencoderParams:
        """The trainer's params of ``arm`` at grid point ``m``."""
        return self.arm(arm).replace(model={"m": m}, seed=seed, device=device)


# -- measurement ----------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class PointSummary:
    """Everything the fits and figures need from one trained batch (W_init, W_final: (B, n, m))."""

    dominance: np.ndarray  # (B,) mean diagonal of C over the sd of its off-diagonal entries
    dominance_other: (
        np.ndarray
    )  # (B,) the same with C = W_init[b−1] W_final[b]ᵀ (the other-init control)
    diagonal: (
        np.ndarray
    )  # (B,) mean over features of C_ii / max_k |W_final,ik| (|W_final| ≈ 1 made exact)
    hits: (
        np.ndarray
    )  # (B,) fraction of features whose winner argmax_k |W_final,ik| is argmax_k |W0_ik|
    ranks: np.ndarray  # (B, n) initial rank of the winner among |W0_i·| (1 = the argmax)
    same_sign: np.ndarray  # (B, n) bool: the final weight on the winner has the initial sign
    decided: np.ndarray  # (B, n) bool: the second-largest |W_final,i·| is below half the largest
    mean_C: np.ndarray  # (n, n) instance mean of C (the paper's heat map)


def summarise(W_init: np.ndarray, W_final: np.ndarray) -> PointSummary:
    """The per-instance measurements of one batch of trained models (arrays of shape (B, n, m))."""
    W0 = np.asarray(W_init, dtype=np.float64)
    Wf = np.asarray(W_final, dtype=np.float64)
    if W0.shape != Wf.shape or W0.ndim != 3:
        raise ValueError(f"W_init {W0.shape} and W_final {Wf.shape} must both be (instances, n, m)")
    b, n, _ = W0.shape
    C = W0 @ Wf.transpose(0, 2, 1)
    dominance, other = init_dominance(W0, Wf) if n > 1 else (np.full(b, np.nan),) * 2
    abs_f = np.abs(Wf)
    winner = abs_f.argmax(axis=-1)  # (B, n)
    top = np.take_along_axis(abs_f, winner[..., None], -1)[..., 0]
    second = np.sort(abs_f, axis=-1)[..., -2] if Wf.shape[-1] > 1 else np.zeros_like(top)
    w0_win = np.take_along_axis(W0, winner[..., None], -1)[..., 0]
    wf_win = np.take_along_axis(Wf, winner[..., None], -1)[..., 0]
    ranks = 1 + (np.abs(W0) > np.abs(w0_win)[..., None]).sum(axis=-1)
    return PointSummary(
        dominance=dominance,
        dominance_other=other,
        diagonal=(np.diagonal(C, axis1=1, axis2=2) / top).mean(axis=-1),
        hits=(ranks == 1).mean(axis=-1),
        ranks=ranks,
        same_sign=np.sign(w0_win) == np.sign(wf_win),
        decided=second < 0.5 * top,
        mean_C=C.mean(axis=0),
    )


@dataclass(frozen=True, repr=False)
class ArmMeasurements:
    """One optimizer's grid: a PointSummary per m."""

    optimizer: str
    m: np.ndarray  # (G,) grid
    points: list[PointSummary]
    seconds: np.ndarray  # (G,) training time per grid point

    def at(self, m: int) -> PointSummary:
        return self.points[int(np.flatnonzero(self.m == m)[0])]

    @property
    def top(self) -> PointSummary:
        """The largest m of the grid: the n ≪ m end, where the fits are judged."""
        return self.points[int(np.argmax(self.m))]


@dataclass(frozen=True, repr=False)
class InitDiagonalMeasurements:
    sgd: ArmMeasurements
    adamw: ArmMeasurements
    isolated: PointSummary  # n = 1, gradient descent at the largest m
    isolated_m: int


@dataclass(frozen=True)
class _Point:
    """One independent training run (picklable: it may run in another process)."""

    params: AutoencoderParams


def _train_point(point: _Point) -> tuple[PointSummary, float]:
    out = train(point.params)
    return summarise(out.W_init, out.W_final), out.seconds


def _simulate(p: InitDiagonalParams, ctx: Context) -> InitDiagonalMeasurements:
    runs: list[_Point] = []
    for arm in ARMS:
        # the same seed at the same m: the trainer draws W_init from the seed alone, so on the CPU
        # the AdamW models start from the first adamw.instances initialisations of the
        # gradient-descent arm (the comparison below is nevertheless an unpaired bootstrap: it
        # does not rely on it)
        runs += [
            _Point(p.point(arm, m, seed=ctx.seed_for("init-diagonal", p.n, m), device=ctx.device))
            for m in p.grid(arm)
        ]
    m_iso = max(p.m)
    isolated = p.sgd.replace(
        model={"n": 1, "m": m_iso},
        instances=p.isolated_instances,
        seed=ctx.seed_for("init-diagonal", "isolated", m_iso),
        device=ctx.device,
    )
    runs.append(_Point(isolated))
    rows = ctx.map(_train_point, runs, label="init-diagonal: both optimizers")
    arms: dict[str, ArmMeasurements] = {}
    start = 0
    for arm in ARMS:
        grid = p.grid(arm)
        chunk = rows[start : start + len(grid)]
        start += len(grid)
        arms[arm] = ArmMeasurements(
            arm, np.asarray(grid), [r[0] for r in chunk], np.asarray([r[1] for r in chunk])
        )
    return InitDiagonalMeasurements(
        sgd=arms["sgd"], adamw=arms["adamw"], isolated=rows[-1][0], isolated_m=m_iso
    )


# -- theory ---------------------------------------------------------------------------------------


def _derive(p: InitDiagonalParams) -> Derivation:
    m_ = extremes.m
    grid = sorted(set(p.m) | set(p.adamw_m))
    exact = extremes.expected_max_integral("survival", m_, 1 / sp.sqrt(m_))
    return Derivation(
        expr=exact,
        extra={
            "density form": extremes.expected_max_integral("density", m_, 1 / sp.sqrt(m_)),
            "asymptotic": extremes.asymptotic_max(),
            "gumbel": extremes.asymptotic_max_gumbel(),
            "gap density g(0)": extremes.gap_density_integral(m_, 1 / sp.sqrt(m_)),
            "E max − σ² g(0), integrand by parts": extremes.gap_identity_residual(),
            "miss scale u = √n·E max": sp.sqrt(extremes.n) * exact,
        },
        values={f"E max(m={m})": extremes.expected_max(m) for m in grid}
        | {f"sqrt(2 ln 2m/m)(m={m})": float(extremes.asymptotic_max().subs(m_, m)) for m in grid}
        | {f"u(n={p.n}, m={m})": extremes.miss_scale(p.n, m) for m in p.m},
    )


# -- fits -----------------------------------------------------------------------------------------

DIAGONAL_FLOOR = 0.95  # catalogue P1-CORR harness check: diagonal ≥ 0.95·E max|W0|
ISOLATED_PRECISION = 0.05  # n = 1: diagonal = E max|W0| ± 5 % (catalogue: prox-GD agreed to 3 %)
RANK_BOUND = 2.0  # the argmax picture's winner: the argmax, or the runner-up after a near-tie
# Catalogue P1-CORR (official code, AdamW, n = 64, m = 64…1024): "Under Adam the diagonal is
# ≈ 2/√m", measured 1.76–2.10 init sds, and its harness check for Adam, diagonal mean over
# off-diagonal sd ∈ [1.5, 2.5]; the off-diagonal sd is the init sd 1/√m (a unit final weight times
# an N(0, 1/m) entry), so the band is 2 ± 0.5 init sds. A measured value, not a derivation.
ADAMW_DIAGONAL = 2.0
ADAMW_DIAGONAL_TOL = 0.5
ADAMW_ARGMAX_CEILING = 0.5  # the claim's "under AdamW it is not": the argmax wins under half
MISS_LAW_WINDOW = (0.5, 1.5)  # the miss law's exponent b in u: a law in u (1), not u² nor flat
BOUNDARY_FLOOR = 0.5  # at u = 1 the argmax still decides most features
SIGN_TOL = 0.02  # the kept-sign fraction's band below 1
_LOG = "benchmarks/false_failure.jsonl"  # the standard scale's sweep over seeds 0–19

_MISS_LAW_WHY = (
    "to first order a perturbation δ ∝ √n/m beats a top-two gap of density g(0) = E max/σ² at 0 "
    "with probability δ·g(0) ∝ u, so b = 1 (a heuristic: the perturbation's duration and spread "
    "are not derived; the exponential-gap form −ln P(hit) ∝ u bends the other way). Judged as "
    f"{MISS_LAW_WINDOW[0]:g} < b < {MISS_LAW_WINDOW[1]:g}: a law in u, not u² = 2n ln(2m)/m (a "
    "threshold read of the catalogue's n ≲ m/(2 ln m)) and not flat"
)


def _adamw_band() -> str:
    """AdamW's diagonal band in init sds, "[1.5, 2.5]"."""
    return f"[{ADAMW_DIAGONAL - ADAMW_DIAGONAL_TOL:g}, {ADAMW_DIAGONAL + ADAMW_DIAGONAL_TOL:g}]"


def _init_sd(p: InitDiagonalParams, o: str, m: int) -> float:
    """The init sd of arm ``o`` at hidden size m (1/√m unless the trainer's init_std is set)."""
    return dataclasses.replace((p.sgd if o == "sgd" else p.adamw).model, m=m).std


def _expected_max_sds(p: InitDiagonalParams, o: str, m: int) -> float:
    """E max_k |W0_ik| over m weights, in init sds (theory.extremes): the argmax picture's
    diagonal."""
    sd = _init_sd(p, o, m)
    return extremes.expected_max(m, sd) / sd


def _arm_specs(o: str, p: InitDiagonalParams) -> list[FitSpec]:
    """The six fits of one optimizer arm, judged at its largest m: under gradient descent the
    argmax picture, under AdamW the claim's "it is not" (the catalogue's measured AdamW band)."""
    m_top = max(p.m if o == "sgd" else p.adamw_m)
    where = f"at m = {m_top}"
    if o == "sgd":
        picture = [
            FitSpec(
                f"diagonal-{o}",
                f"{o}: mean C_ii / max_k|W_final,ik| in init sds ({_init_sd(p, o, m_top):.4g} "
                f"= 1/√m), {where}",
                relation=">",
                why="argmax picture: the diagonal is E max|W0| = "
                f"{_expected_max_sds(p, o, m_top):.3f} init sds (theory.extremes); near-tie misses "
                "(the runner-up wins, ≈ E max/(2 ln 2m) lower) pull it slightly below; catalogue "
                f"P1-CORR threshold {DIAGONAL_FLOOR:g}·E max|W0|",
            ),
            FitSpec(
                f"argmax-{o}",
                f"{o}: fraction of features whose winner is the initial argmax of |W0_i·|, {where}",
                relation=">",
                why="order preservation (P1-L1-2) up to interference; catalogue P1-CORR: "
                f"≥ {ARGMAX_FLOOR:g} where n/m ≤ 1/8 (t over instances; the features of one model "
                "are not independent)",
            ),
            FitSpec(
                f"rank-{o}",
                f"{o}: mean initial rank of the winner among |W0_i·| (1 = argmax), {where}",
                relation="<",
                why="argmax picture: the winner is the argmax or, after a near-tie, the runner-up; "
                f"a uniformly random neuron would give (m+1)/2 = {(m_top + 1) / 2:g}",
            ),
        ]
    else:
        sd, argmax_sds = _init_sd(p, o, m_top), _expected_max_sds(p, o, m_top)
        picture = [
            FitSpec(
                f"diagonal-{o}",
                f"{o}: mean C_ii / max_k|W_final,ik| in init sds ({sd:.4g} = 1/√m), {where}",
                ADAMW_DIAGONAL_TOL,
                why=f"catalogue P1-CORR: under Adam the diagonal is ≈ {ADAMW_DIAGONAL:g}/√m "
                f"({ADAMW_DIAGONAL:g} ± {ADAMW_DIAGONAL_TOL:g} init sds, its Adam ratio band "
                f"{_adamw_band()}; official code "
                "n = 64: 1.76–2.10): the winner's initial weight is a ~2σ draw of the right sign, "
                f"not the largest, whose mean at m = {m_top} is {argmax_sds:.2f} sds "
                "(theory.extremes; outside the band); t over instances",
            ),
            FitSpec(
                f"argmax-{o}",
                f"{o}: fraction of features whose winner is the initial argmax of |W0_i·|, {where}",
                relation="<",
                why="the claim: under AdamW the winner is not the initial argmax, i.e. the argmax "
                f"wins fewer than {ADAMW_ARGMAX_CEILING:g} of the features (catalogue P1-CORR, "
                "n = 64: 12 % at m = n falling to 0.4 % at 16n; §1.4 item 2: it fails under Adam "
                "even at m = 2n); t over instances",
            ),
            FitSpec(
                f"rank-{o}",
                f"{o}: mean initial rank of the winner among |W0_i·| (1 = argmax), {where}",
                relation=">",
                why="not the argmax picture: AdamW's winner is not the argmax or the runner-up "
                f"of a near-tie (rank ≤ {RANK_BOUND:g}) but one of the top few percent; the "
                "random-winner control checks that it is not a uniformly random neuron "
                f"((m+1)/2 = {(m_top + 1) / 2:g})",
            ),
        ]
    return [
        FitSpec(
            f"dominance-{o}",
            f"{o}: mean diagonal of C / sd of its off-diagonal entries, {where}",
            relation=">",
            why="diagonal dominance: the diagonal stands out of the off-diagonal spread (no memory "
            "of the init gives 0; the sign alone, with a random neuron, gives √(2/π) ≈ 0.8); "
            "t over instances",
        ),
        *picture,
        FitSpec(
            f"sign-{o}",
            f"{o}: fraction of features whose final weight on the winner has the initial sign, "
            f"{where}",
            SIGN_TOL,
            why="a weight that stays alive never crosses zero: the fraction is 1 (Clopper-Pearson "
            f"over features; the interval must lie in [{1 - SIGN_TOL:g}, 1]). At m = n a few "
            "features (≈ 0.2 %) "
            "end on a neuron of low initial weight that interference pushed through zero",
        ),
        FitSpec(
            f"decided-{o}",
            f"{o}: fraction of features with one dominant weight (second < ½ largest), all m",
            relation=">",
            why="regime check: 'the winner' means something only when the final code is (nearly) "
            "one-hot",
        ),
    ]


def _specs(p: InitDiagonalParams) -> tuple[FitSpec, ...]:
    """Six fits per arm at its largest m, the miss law, the isolated n = 1 diagonal, sgd against
    adamw."""
    m_iso = max(p.m)
    iso_pred = _expected_max_sds(p, "sgd", m_iso)
    common = sorted(set(p.m) & set(p.adamw_m))
    return (
        *_arm_specs("sgd", p),
        *_arm_specs("adamw", p),
        FitSpec(
            "miss-law-lower",
            "sgd: exponent b of P(winner ≠ initial argmax) ∝ u^b, u = √n·E max|W0| "
            "(bootstrap over instances)",
            relation=">",
            why=_MISS_LAW_WHY,
        ),
        FitSpec(
            "miss-law-upper",
            "sgd: the same exponent b, from above",
            relation="<",
            why=_MISS_LAW_WHY,
        ),
        FitSpec(
            "argmax-at-boundary",
            "sgd: winner-is-argmax fraction at u = 1, i.e. n ≈ m/(2 ln 2m) (fitted law)",
            relation=">",
            why="catalogue §1.4 item 2: the argmax picture holds for n ≲ m/(2 ln m); at the "
            f"boundary it still decides most features (> {BOUNDARY_FLOOR:g}), and breaks beyond "
            "it",
        ),
        FitSpec(
            "isolated-diagonal",
            f"sgd, n = 1, m = {m_iso}: mean C_11 / max|W_final| in init sds",
            ISOLATED_PRECISION * iso_pred,
            why="without interference the same increasing map acts on every magnitude (P1-L1-2), "
            "so the argmax wins with its sign (guaranteed by the gradient step itself: "
            "tests/test_init_diagonal.py, not a fit) and the diagonal is max|W0|, whose mean the "
            f"extreme-value integral predicts: {iso_pred:.4f} init sds (theory.extremes, "
            f"quadrature); ±{ISOLATED_PRECISION:.0%} of it, the catalogue's prox-GD agreement "
            "was 3 %",
        ),
        FitSpec(
            "sgd-over-adamw",
            f"winner-is-argmax fraction, sgd − adamw, mean over m ∈ {common} (same seeds)",
            relation=">",
            why="catalogue §1.4 item 6: the order preservation is a property of gradient descent, "
            "not Adam (bootstrap over instances)",
        ),
    )


def _miss_samples(arm: ArmMeasurements) -> list[np.ndarray]:
    return [1.0 - pt.hits for pt in arm.points]


def _miss_law(
    meas: InitDiagonalMeasurements,
    p: InitDiagonalParams,
    *,
    rng: np.random.Generator,
    level: float,
) -> tuple[fitting.Estimate, fitting.Estimate]:
    """Exponent b and the fraction 1 − c at u = 1 of the law miss = c·u^b (bootstrap over
    instances)."""
    u = np.array([extremes.miss_scale(p.n, int(m)) for m in meas.sgd.m])
    logu = np.log(u)
    samples = _miss_samples(meas.sgd)
    slope = fitting.loglog_slope(u, samples, rng=rng, confidence=level)

    def hit_at_boundary(*ys: np.ndarray, axis: int = -1) -> np.ndarray:
        means = np.stack([y.mean(axis=axis) for y in ys], axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(means)
            b = fitting.ols_slope(logu, logs)
            return 1.0 - np.exp(logs.mean(axis=-1) - b * logu.mean())

    return slope, fitting.bootstrap(samples, hit_at_boundary, rng=rng, confidence=level)


def _arm_fits(arm: ArmMeasurements, p: InitDiagonalParams, judge: Judge) -> list[Fit]:
    o, top, level = arm.optimizer, arm.top, judge.level
    m_top = int(arm.m.max())
    diag = fitting.mean_ci(top.diagonal / _init_sd(p, o, m_top), confidence=level)  # init sds
    dom = fitting.mean_ci(top.dominance, confidence=level)
    hit = fitting.mean_ci(top.hits, confidence=level)
    rank = fitting.mean_ci(top.ranks.mean(axis=-1), confidence=level)
    sign = fitting.proportion_ci(int(top.same_sign.sum()), top.same_sign.size, confidence=level)
    decided = fitting.proportion_ci(
        sum(int(pt.decided.sum()) for pt in arm.points),
        sum(pt.decided.size for pt in arm.points),
        confidence=level,
    )
    if o == "sgd":  # the argmax picture: at least 0.95·E max|W0| (theory.extremes)
        floor = DIAGONAL_FLOOR * _expected_max_sds(p, o, m_top)
        picture = [
            judge.fit(f"diagonal-{o}", predicted=floor, estimate=diag),
            judge.fit(f"argmax-{o}", predicted=ARGMAX_FLOOR, estimate=hit),
            judge.fit(f"rank-{o}", predicted=RANK_BOUND, estimate=rank),
        ]
    else:  # the catalogue's AdamW band
        picture = [
            judge.fit(f"diagonal-{o}", predicted=ADAMW_DIAGONAL, estimate=diag),
            judge.fit(f"argmax-{o}", predicted=ADAMW_ARGMAX_CEILING, estimate=hit),
            judge.fit(f"rank-{o}", predicted=RANK_BOUND, estimate=rank),
        ]
    return [
        judge.fit(f"dominance-{o}", predicted=DOMINANCE_FLOOR, estimate=dom),
        *picture,
        judge.fit(f"sign-{o}", predicted=1.0, estimate=sign),
        judge.fit(f"decided-{o}", predicted=0.95, estimate=decided),
    ]


def _fit(
    meas: InitDiagonalMeasurements, d: Derivation, p: InitDiagonalParams, judge: Judge
) -> list[Fit]:
    level = judge.level
    fits = _arm_fits(meas.sgd, p, judge) + _arm_fits(meas.adamw, p, judge)
    slope, boundary = _miss_law(meas, p, rng=judge.rng, level=level)
    iso = meas.isolated
    iso_diag = fitting.mean_ci(iso.diagonal / _init_sd(p, "sgd", meas.isolated_m), confidence=level)
    iso_pred = _expected_max_sds(p, "sgd", meas.isolated_m)
    common = sorted(set(meas.sgd.m.tolist()) & set(meas.adamw.m.tolist()))
    k = len(common)

    def gap(*ys: np.ndarray, axis: int = -1) -> np.ndarray:
        return (
            sum(y.mean(axis=axis) for y in ys[:k]) / k - sum(y.mean(axis=axis) for y in ys[k:]) / k
        )

    diff = fitting.bootstrap(
        [meas.sgd.at(m).hits for m in common] + [meas.adamw.at(m).hits for m in common],
        gap,
        rng=judge.rng,
        confidence=level,
    )
    return [
        *fits,
        judge.fit("miss-law-lower", predicted=MISS_LAW_WINDOW[0], estimate=slope),
        judge.fit("miss-law-upper", predicted=MISS_LAW_WINDOW[1], estimate=slope),
        judge.fit("argmax-at-boundary", predicted=BOUNDARY_FLOOR, estimate=boundary),
        judge.fit("isolated-diagonal", predicted=iso_pred, estimate=iso_diag),
        judge.fit("sgd-over-adamw", predicted=0.0, estimate=diff),
    ]


# -- controls -------------------------------------------------------------------------------------


def _other_init(
    fits: Sequence[Fit], meas: InitDiagonalMeasurements, p: InitDiagonalParams, judge: Judge
) -> list[Fit]:
    """Mutant: C computed against another instance's initialisation is just as dominant."""
    return [
        other_init(
            fit_by_key(fits, f"dominance-{arm.optimizer}"),
            arm.top.dominance_other,
            judge.level,
            " — C against instance b−1's W_init",
        )
        for arm in (meas.sgd, meas.adamw)
    ]


def _random_winner(
    fits: Sequence[Fit],
    meas: InitDiagonalMeasurements,
    p: InitDiagonalParams,
    judge: Judge,
) -> list[Fit]:
    """Mutant: the winner is a uniformly random neuron: argmax fraction 1/m, mean rank (m+1)/2 (the
    measured fractions and ranks of the claim's fits, judged as points)."""
    out = []
    for arm in (meas.sgd, meas.adamw):
        o, m_top = arm.optimizer, int(arm.m.max())
        out += [
            random_winner(
                fit_by_key(fits, f"argmax-{o}"),
                m_top,
                quantity=f"{o}: winner-is-argmax fraction at m = {m_top}",
            ),
            fit_by_key(fits, f"rank-{o}").mutant(
                predicted=(m_top + 1) / 2,
                relation="==",
                tolerance=m_top / 4,
                quantity=f"{o}: mean initial rank of the winner at m = {m_top}",
            ),
        ]
    return out


def _adamw_argmax(
    fits: Sequence[Fit],
    meas: InitDiagonalMeasurements,
    p: InitDiagonalParams,
    judge: Judge,
) -> list[Fit]:
    """Mutant: AdamW follows the argmax picture like gradient descent: its diagonal is E max|W0|
    (in init sds, theory.extremes, judged with the claim's ± band), the argmax wins ≥ 70 % and
    the winner's mean rank is below 2."""
    m_top = int(meas.adamw.m.max())
    return [
        fit_by_key(fits, "diagonal-adamw").mutant(predicted=_expected_max_sds(p, "adamw", m_top)),
        fit_by_key(fits, "argmax-adamw").mutant(predicted=ARGMAX_FLOOR, relation=">"),
        fit_by_key(fits, "rank-adamw").mutant(predicted=RANK_BOUND, relation="<"),
    ]


def _miss_quadratic(
    fits: Sequence[Fit],
    meas: InitDiagonalMeasurements,
    p: InitDiagonalParams,
    judge: Judge,
) -> list[Fit]:
    """Mutant: P(miss) ∝ u², i.e. linear in n·2 ln(2m)/m: the fitted exponent judged as the point 2
    (± the interval)."""
    return [fit_by_key(fits, "miss-law-lower").mutant(predicted=2.0, relation="==", tolerance=0.5)]


CONTROLS = (
    Control(
        "other-init",
        "C = W_init W_finalᵀ is as dominant when W_init comes from another instance",
        refit=_other_init,
    ),
    Control(
        "random-winner",
        "the winning neuron is uniformly random (argmax fraction 1/m, mean rank (m+1)/2)",
        refit=_random_winner,
    ),
    Control(
        "adamw-argmax",
        "AdamW keeps the argmax picture of gradient descent: its diagonal is E max|W0|, the argmax "
        "wins ≥ 70 %, the winner's mean rank is below 2",
        refit=_adamw_argmax,
    ),
    Control(
        "sign-blind",
        "the final sign on the winner is independent of the initial sign (agreement ½)",
        predict={"sign-sgd": 0.5, "sign-adamw": 0.5},
    ),
    Control(
        "miss-quadratic",
        "the miss probability grows as u² ∝ n ln(2m)/m, not as u",
        refit=_miss_quadratic,
    ),
)


def _false_failure(p: InitDiagonalParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge), the features behind the
    point fits at ``p``, and what the standard scale's sweep log showed."""
    return (
        f"{judge.family_sentence()}. The point fits need {p.sgd.instances * p.n} features (sign, "
        f"gradient descent: {p.sgd.instances} models × n = {p.n}) and "
        f"{p.adamw.instances * p.n} (sign, AdamW), and {p.isolated_instances} isolated n = 1 "
        "models, for intervals inside their bands. At the standard scale the one-sided fits clear "
        "their thresholds by ≥ 3 interval half-widths at seed 0 (the nearest, the miss exponent: "
        f"0.91 [0.81, 1.01] against the window {MISS_LAW_WINDOW[0]:g}…{MISS_LAW_WINDOW[1]:g}; "
        f"0.86–1.01 over seeds 0–19, {_LOG}); AdamW's diagonal, 2.17 [2.10, 2.24] init sds at "
        "seed 0 (2.10–2.20 over seeds 0–19, every interval ≥ 0.22 inside the catalogue's band "
        f"{_adamw_band()})."
    )


STANDARD = InitDiagonalParams()
SMOKE = InitDiagonalParams(  # the plumbing only: n = 4, a few short runs
    sgd=STANDARD.sgd.replace(model={"n": 4}, optimiser={"steps": 300}, instances=8),
    adamw=STANDARD.adamw.replace(model={"n": 4}, optimiser={"steps": 400}, instances=4),
    m=(8, 32),
    adamw_m=(32,),
    isolated_instances=8,
)
PAPER = InitDiagonalParams(
    # correlations.py: n 256, m 4096, 16 instances, AdamW (lr 1e-3, λ 1e-3, torch's default
    # weight decay 0.01)
    adamw=STANDARD.adamw.replace(model={"n": 256}, optimiser={"steps": 7500}, instances=16),
    # gradient descent at the same n: lr = 0.1 diverges at m = n = 256 (step 30), lr = 0.03 does
    # not; m up to 64n so that the argmax-sgd fit is judged at u = 0.52 as at standard scale
    # (u = 0.43)
    sgd=STANDARD.sgd.replace(model={"n": 256}, optimiser={"steps": 2700, "lr": 0.03}, instances=16),
    adamw_m=(4096,),
    m=(256, 1024, 4096, 16384),
    isolated_instances=512,
)


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Overrides of the smoke params where the claim should hold: n = 16…20, gradient descent on
    m = n…64n, AdamW on m = 4n…16n (one-hot within its steps), judged at a family-wise 0.999.
    At n = 8 AdamW leaves features undecided within 6000 steps (found by this property test;
    collision-count-adamw shows the same below n ≈ 16): outside the regime."""
    n = draw(st.integers(16, 20), label="n")
    return {
        "sgd.model.n": n,
        "m": tuple(n * 4**k for k in range(4)),
        "sgd.instances": 48,
        "sgd.optimiser.steps": 800,
        "sgd.optimiser.lr": 0.1,
        "sgd.optimiser.l1": 0.1,
        "adamw.model.n": n,
        "adamw_m": (4 * n, 8 * n, 16 * n),
        "adamw.instances": 16,
        "adamw.optimiser.steps": 6000,
        "isolated_instances": 128,
    }


INIT_DIAGONAL = Claim(
    id="init-diagonal",
    title=(
        "W_init W_finalᵀ is diagonally dominant; the initial argmax wins under gradient descent, "
        "not AdamW"
    ),
    statement=(
        "C = W_init W_finalᵀ is diagonally dominant and the winner keeps its initial sign under "
        "both optimizers; under gradient descent the winner is the initial argmax of |W0_ik| "
        "(missing with probability ∝ √n·E max|W0| ≈ √(2n ln(2m)/m); always without interference) "
        "and the diagonal is E max_k|W0_ik|; under AdamW it is not: the argmax wins fewer than "
        f"{ADAMW_ARGMAX_CEILING:g} of the features, the winner's mean initial rank exceeds "
        f"{RANK_BOUND:g}, and the diagonal is ≈ {ADAMW_DIAGONAL:g}/√m ({ADAMW_DIAGONAL:g} ± "
        f"{ADAMW_DIAGONAL_TOL:g} init sds), below E max_k|W0_ik|."
    ),
    source=(
        "Lecomte et al. 2312.03096, initial vs final weights (correlations.py, Fig. "
        "'W_init W_finalᵀ'); catalogue P1-CORR, P1-L1-2, §1.4 items 2 and 6"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=_derive,
    simulate=_simulate,
    fits=_specs,
    fit=_fit,
    controls=CONTROLS,
    false_failure=_false_failure,
    plot=figures.Figure("init_diagonal"),
    strategy=_strategy,
)

CLAIM = INIT_DIAGONAL
