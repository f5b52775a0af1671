"""Claim ``architectures``: how far the count law and the init → winner picture carry beyond the
tied ReLU autoencoder (catalogue P2-ARCH, issue 16; an open question, answered by measurement).

The tied-ReLU law of ``collision-count`` (polysemantic neurons ≈ n(n−1)/4m, exponent −1 in m,
``theory.collisions``) and of ``init-diagonal`` (under gradient descent the winner is the initial
argmax) are tested, unchanged, on four architectures trained side by side from the same seeds at
collision-count's settings (GD, lr = λ = 0.1, n = 16, m = 8n and 32n):

* ``tied-relu`` — y = ReLU(W Wᵀx): the reference row, which must reproduce collision-count;
* ``untied`` — y = ReLU(D Eᵀx), encoder E and decoder D with independent N(0, 1/m) inits and L1 on
  both. A feature is on a neuron when both |E_ik| and |D_ik| lie in the paper's window [0.8, 1.2]
  with E_ik·D_ik > 0 (:func:`sim.metrics.untied_code`; the product rule |E_ik·D_ik| ∈ [0.64, 1.44]
  gives the same count in every model at seeds 0–4: ``ChunkSummary.counts_product``). The winner
  is argmax_k |E_ik·D_ik| at the end; the initial quantity that decides it is
  argmax_k |E0_ik + D0_ik|: in the bilinear growth phase (Z_ii = E_i·D_i ≈ 0) the mode E_k + D_k
  grows at the common rate 2(1 − Z_ii) of every k and E_k − D_k decays, so the ordering of
  |E0_k + D0_k| is what the L1 race inherits (measured: it beats |E0_ik·D0_ik| and |E0_ik|, which
  two controls reject);
* ``gelu`` — y = GeLU(W Wᵀx), exact GeLU z·Φ(z). GeLU(z) = 1 needs z ≈ 1.145, |W| ≈ 1.07, inside
  the window (measured: mean largest |W_ik| 1.05–1.06);
* ``linear`` — y = W Wᵀx, no output nonlinearity (``activation="none"``).

Per variant: the pooled count over n(n−1)/4m (level) and its Poisson-fit exponent in m (bootstrap
over instances), and the fraction of learned features whose winner is the initial argmax at the
largest m, with the diagonal dominance of C = W_init W_finalᵀ there (``init-diagonal``'s mean
diagonal over the off-diagonal sd, > 1; untied: C = (E0 + D0)(E + D)ᵀ, and a control computes C
against another model's init). The exponent is fitted only where collisions survive (tied-relu,
untied): under GeLU and a linear output (almost) none do, so there is no exponent to fit; their
level is the finding. Untied also reports its learned fraction and its level among learned features
(the law with the n' learned features of each model, Σ n'(n'−1)/4m). Where a variant breaks the tied
law the fit carries a recorded :class:`Deviation` with the range measured over seeds 0–19 and the
measured reason. Scherlis et al. report that architecture changes block sizes and prevalence; none
of their numbers are used here.

Findings (standard scale, seeds 0–4; the deviations below hold the numbers):

* tied ReLU reproduces collision-count: level 0.95–1.05, exponent −1.05…−0.97;
* untied: the law holds among the features a model learns (level 1.00–1.12 of Σ n'(n'−1)/4m),
  but only 82 % are learned — a feature whose E_i·D_i starts negative has its output ReLU off and
  is learned only 77 % (m = 8n) to 51 % (32n) of the time — so the raw count is 0.74–0.84 × the
  law and falls faster (−1.37…−1.06). The initial argmax of |E0 + D0| decides the winner as
  often as |W0| does when tied (0.83 at m = 32n); |E0·D0| decides only ≈ 0.48, |E0| ≈ 0.18;
* GeLU: the count nearly vanishes (≤ 0.007 × the law): opposite-sign pairs are separated during
  training although their end state is stable; the initial argmax still decides (0.84);
* linear output: no collision at all (co-residents cost (W_i·W_j)² whatever their signs); the
  initial argmax still decides (0.77–0.80).

At m = 8n, the edge of the catalogue's "n/m ≤ 1/8", the argmax fractions are lower — tied 0.72,
untied 0.65–0.66, GeLU 0.69, linear 0.63–0.64 — so only the tied one clears 0.7 there; the fits
are judged at the largest m, as ``init-diagonal`` does.

The standard scale trains 2560 + 1024 + 256 + 256 models per m (fewer than collision-count's 1024
per m on four grid points, for four variants on two: the tied exponent's interval is ±0.13), in
≈ 45 s single-threaded on this project's 2-core CPU.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sim import ParamError, check_float, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, OptimiserParams, train
from sim.metrics import HI, LO, PolysemanticCount, init_dominance, untied_code
from theory import collisions

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Deviation, Fit, FitSpec, Judge, fit_by_key
from ._init_winner import ARGMAX_FLOOR, DOMINANCE_FLOOR, other_init, random_winner
from ._shared import check_confidence, num, property_strategy

__all__ = [
    "CLAIM",
    "VARIANTS",
    "ArchitecturesMeasurements",
    "ArchitecturesParams",
    "ChunkSummary",
    "summarise",
]

VARIANTS: tuple[str, ...] = ("tied-relu", "untied", "gelu", "linear")
"""The architectures, in the order of ``ArchitecturesParams.models``."""

# what each variant changes in the trainer (the rest is ``ArchitecturesParams.train``)
_ARCH: dict[str, dict[str, Any]] = {
    "tied-relu": {"tied": True, "activation": "relu"},
    "untied": {"tied": False, "activation": "relu"},
    "gelu": {"tied": True, "activation": "gelu"},
    "linear": {"tied": True, "activation": "none"},
}
COUNTED = ("tied-relu", "untied")  # the variants whose collisions survive: an exponent is fitted
LEVEL_TOL = 0.35  # the tied law's level: catalogue P1-COUNT's ±35 %
EXPONENT_TOL = 0.25  # the tied law's exponent: the catalogue's ±0.25
LEARNED_TOL = 0.05  # the learned fraction's band below 1


@dataclass(frozen=True)
class ArchitecturesParams:
    """Four architectures (:data:`VARIANTS`) on one grid of m, from the same seeds; each variant
    trains ``models[v]`` models per m, in batches of ``train.instances``."""

    GRID_SET: ClassVar[tuple[str, ...]] = (
        "train.model.m",
        "train.model.tied",
        "train.model.activation",
    )  # the grid sets m and each variant's architecture per run

    train: AutoencoderParams = AutoencoderParams(
        model=ModelParams(
            n=16,  # features (collision-count's standard n)
        ),
        optimiser=OptimiserParams(
            steps=450,  # at lr = λ = 0.1 the count is flat after ≈ 450 (identical at 800, seed 0)
            kind="sgd",  # gradient descent: the dynamics the theory describes
            lr=0.1,  # collision-count's standard lr
            l1=0.1,  # λ; sparsification completes in ≈ 2/(lr·λ) = 200 steps
            weight_decay=0.0,  # none: the loss is reconstruction + λ‖W‖₁ only
        ),
        instances=256,  # models per training batch: 256 keep a batch in cache at m = 512
        log_points=1,  # no metrics are recorded: only the initial and final weights are used
    )
    m: tuple[int, ...] = (128, 512)  # 8n and 32n, two points of collision-count's grid 8n…64n
    # models per m for tied-relu, untied, gelu, linear: the exponents need events (≈ 0.6 per
    # tied model); a vanishing count is bounded with fewer
    models: tuple[int, ...] = (2560, 1024, 256, 256)
    lo: float = LO  # a feature is "on" a neuron when lo <= |weight| <= hi (the paper's rule)
    hi: float = HI  # upper end of that window
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

    def __post_init__(self) -> None:
        if not isinstance(self.m, tuple) or len(self.m) < 2:
            raise ParamError("m", self.m, "at least two grid values, e.g. 128,512")
        for v in self.m:
            check_int("m", v, 1)
        if len(set(self.m)) != len(self.m):
            raise ParamError("m", self.m, "distinct grid values")
        if not isinstance(self.models, tuple) or len(self.models) != len(VARIANTS):
            raise ParamError(
                "models", self.models, f"{len(VARIANTS)} counts, one per variant {VARIANTS}"
            )
        for v in self.models:
            check_int("models", v, 2)
        check_int("train.model.n", self.train.model.n, 2)
        check_float("lo", self.lo, 0.0)
        check_float("hi", self.hi, self.lo)
        check_confidence(self.confidence)

    @property
    def n(self) -> int:
        return self.train.model.n

    def count(self, variant: str) -> int:
        """Models per m of ``variant``."""
        return self.models[VARIANTS.index(variant)]

    def chunks(self, variant: str) -> list[int]:
        """The batch sizes that make up ``count(variant)`` models (batches of train.instances)."""
        total, size = self.count(variant), self.train.instances
        return [size] * (total // size) + ([total % size] if total % size else [])

    def point(
        self, variant: str, m: int, models: int, *, seed: int, device: str
    ) -> AutoencoderParams:
        """The trainer's params of one batch: ``variant``'s architecture at hidden size ``m``."""
        return self.train.replace(
            model={"m": m, **_ARCH[variant]}, instances=models, seed=seed, device=device
        )


# -- measurement ----------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ChunkSummary:
    """What the fits and the figure need from one trained batch of B models (per-model arrays)."""

    counts: np.ndarray  # (B,) polysemantic neurons (>= 2 features on)
    # (B,) the same count with the product rule lo² <= E_ik·D_ik <= hi² (untied; tied: counts)
    counts_product: np.ndarray
    learned: np.ndarray  # (B,) features on at least one neuron
    hits: np.ndarray  # (B,) learned features whose winner is the initial argmax (untied: |E0+D0|)
    hits_product: np.ndarray  # (B,) the same for the argmax of |E0·D0| (tied: |W0|², the same)
    hits_encoder: np.ndarray  # (B,) the same for the argmax of |E0| alone (tied: |W0|)
    dead_start: np.ndarray  # (B,) features whose output starts switched off: Z_ii(0) <= 0
    dead_learned: np.ndarray  # (B,) of which learned by the end
    pairs: np.ndarray  # (B,) neurons holding exactly two features
    opposite_pairs: np.ndarray  # (B,) of which with opposite signs
    init_opposite: np.ndarray  # (B,) feature pairs whose initial argmax neurons coincide, ± signs
    init_opposite_kept: np.ndarray  # (B,) of which both features end on that neuron
    init_same: np.ndarray  # (B,) pairs whose initial argmax neurons coincide with equal signs
    init_same_kept: np.ndarray  # (B,) of which both end on that neuron
    top_weight: np.ndarray  # (B,) mean over learned features of the largest |weight|
    # (B,) diagonal dominance of C = W_init W_finalᵀ (untied: (E0 + D0)(E + D)ᵀ, the deciding
    # mode), and of C against the next model's init in the batch (no memory of one's own init)
    dominance: np.ndarray
    dominance_other: np.ndarray
    seconds: float


def summarise(
    W_init: np.ndarray,
    W_final: np.ndarray,
    D_init: np.ndarray | None = None,
    D_final: np.ndarray | None = None,
    *,
    lo: float = LO,
    hi: float = HI,
) -> ChunkSummary:
    """The per-model measurements of one batch (arrays (B, n, m)); pass ``D_init``/``D_final``
    for an untied batch (``W_*`` are then the encoder E)."""
    E0 = np.asarray(W_init, dtype=np.float64)
    Ef = np.asarray(W_final, dtype=np.float64)
    untied = D_final is not None
    if untied:
        assert D_init is not None, "an untied batch needs D_init with D_final"
        D0 = np.asarray(D_init, dtype=np.float64)
        Df = np.asarray(D_final, dtype=np.float64)
        code = untied_code(Ef, Df, lo=lo, hi=hi)
        prod = Ef * Df
        by_product = np.where((prod >= lo * lo) & (prod <= hi * hi), np.sign(Ef), 0.0)
        strength = np.abs(Ef * Df)  # the neuron's share of feature i's output
        decide = E0 + D0  # the growing mode of the bilinear phase (module doc)
        final = Ef + Df
        product, encoder = np.abs(E0 * D0), np.abs(E0)
        z0 = (E0 * D0).sum(axis=-1)
        top = np.sqrt(strength.max(axis=-1))
    else:
        a = np.abs(Ef)
        code = np.where((a >= lo) & (a <= hi), Ef, 0.0)
        by_product = code
        strength = a
        decide = E0
        final = Ef
        product = encoder = np.abs(E0)
        z0 = (E0 * E0).sum(axis=-1)
        top = a.max(axis=-1)
    n = E0.shape[1]
    c = PolysemanticCount(code, lo=lo, hi=hi)
    on = code != 0
    learned = on.any(axis=-1)
    winner = strength.argmax(axis=-1)
    arg0 = np.abs(decide).argmax(axis=-1)

    def hits(initial: np.ndarray) -> np.ndarray:
        return ((initial.argmax(axis=-1) == winner) & learned).sum(axis=-1)

    sign0 = np.sign(np.take_along_axis(decide, arg0[..., None], -1)[..., 0])
    on_arg0 = np.take_along_axis(on, arg0[..., None], -1)[..., 0]  # still on its initial argmax
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    same_neuron = (arg0[:, :, None] == arg0[:, None, :]) & upper
    opposite = same_neuron & (sign0[:, :, None] != sign0[:, None, :])
    equal = same_neuron & ~opposite
    kept = on_arg0[:, :, None] & on_arg0[:, None, :]
    dead = z0 <= 0
    n_learned = learned.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        top_mean = np.where(learned, top, 0.0).sum(axis=-1) / n_learned  # nan: none learned
    dominance, dominance_other = init_dominance(decide, final)
    return ChunkSummary(
        counts=c.count.astype(float),
        counts_product=PolysemanticCount(by_product, lo=lo, hi=hi).count.astype(float),
        learned=n_learned,
        hits=hits(np.abs(decide)),
        hits_product=hits(product),
        hits_encoder=hits(encoder),
        dead_start=dead.sum(axis=-1),
        dead_learned=(dead & learned).sum(axis=-1),
        pairs=c.pairs,
        opposite_pairs=c.opposite_pairs,
        init_opposite=opposite.sum(axis=(1, 2)),
        init_opposite_kept=(opposite & kept).sum(axis=(1, 2)),
        init_same=equal.sum(axis=(1, 2)),
        init_same_kept=(equal & kept).sum(axis=(1, 2)),
        top_weight=top_mean,
        dominance=dominance,
        dominance_other=dominance_other,
        seconds=0.0,
    )


def _merge(parts: Sequence[ChunkSummary]) -> ChunkSummary:
    """The batches of one (variant, m) as one summary (per-model arrays concatenated)."""
    fields = [f.name for f in dataclasses.fields(ChunkSummary) if f.name != "seconds"]
    return ChunkSummary(
        **{k: np.concatenate([getattr(s, k) for s in parts]) for k in fields},
        seconds=float(sum(s.seconds for s in parts)),
    )


@dataclass(frozen=True, repr=False)
class ArchitecturesMeasurements:
    n: int
    m: np.ndarray  # (G,) grid
    points: dict[str, list[ChunkSummary]]  # variant -> one summary per m (all its models)

    def top(self, variant: str) -> ChunkSummary:
        """The summary at the largest m (n ≪ m: where the argmax fits are judged)."""
        return self.points[variant][int(np.argmax(self.m))]

    def seconds(self, variant: str) -> float:
        return float(sum(s.seconds for s in self.points[variant]))


@dataclass(frozen=True)
class _Batch:
    """One training batch (picklable: it may run in another process)."""

    params: AutoencoderParams
    lo: float
    hi: float


def _train_batch(batch: _Batch) -> ChunkSummary:
    out = train(batch.params)
    s = summarise(out.W_init, out.W_final, out.D_init, out.D_final, lo=batch.lo, hi=batch.hi)
    return dataclasses.replace(s, seconds=out.seconds)


def _simulate(p: ArchitecturesParams, ctx: Context) -> ArchitecturesMeasurements:
    """Every variant at every m, in batches; batch j at m has the same seed in every variant, so
    the variants start from the same initial weights (untied: E_init is the tied W_init)."""
    keys: list[tuple[str, int]] = []
    batches: list[_Batch] = []
    for v in VARIANTS:
        for m in p.m:
            for j, size in enumerate(p.chunks(v)):
                seed = ctx.seed_for("architectures", p.n, m, j)
                batches.append(
                    _Batch(p.point(v, m, size, seed=seed, device=ctx.device), p.lo, p.hi)
                )
                keys.append((v, m))
    rows = ctx.map(_train_batch, batches, label="architectures: four variants")
    points = {
        v: [_merge([r for k, r in zip(keys, rows, strict=True) if k == (v, m)]) for m in p.m]
        for v in VARIANTS
    }
    return ArchitecturesMeasurements(n=p.n, m=np.asarray(p.m, dtype=float), points=points)


# -- theory ---------------------------------------------------------------------------------------


def gelu_unit_root() -> float:
    """The pre-activation z* with GeLU(z*) = z*·Φ(z*) = 1 (sympy, 30 digits): a tied GeLU feature
    reproduces itself at ‖W_i‖² = z*, so its one weight sits near √z* ≈ 1.07 (less the L1
    shrink)."""
    import sympy as sp

    z = sp.Symbol("z", real=True)
    return float(sp.nsolve(z * (1 + sp.erf(z / sp.sqrt(2))) / 2 - 1, z, 1.1, prec=30))


def _derive(p: ArchitecturesParams) -> Derivation:
    import sympy as sp

    z_star = gelu_unit_root()
    return Derivation(
        expr=collisions.leading_term(),
        extra={"exact": collisions.exact_expectation(), "series": collisions.series(3)},
        values={f"leading(m={m})": collisions.predict_leading(p.n, m) for m in p.m}
        | {f"exact(m={m})": collisions.predict_exact(p.n, m) for m in p.m}
        | {
            "exact exponent on the grid": collisions.exact_exponent(p.n, p.m),
            "GeLU(z*) = 1: z*": z_star,
            "GeLU unit weight √z*": math.sqrt(z_star),
            # E_i·D_i at init is a sum of products of independent symmetric normals: symmetric
            "P(untied output starts off: E_i·D_i(0) < 0)": float(sp.Rational(1, 2)),
        },
    )


# -- fits -----------------------------------------------------------------------------------------


def _grid(p: ArchitecturesParams) -> str:
    if all(v % p.n == 0 for v in p.m):
        return "m = " + ", ".join(f"{v // p.n}n" for v in p.m) + f" (n = {p.n})"
    return "m = " + ", ".join(str(v) for v in p.m) + f" (n = {p.n})"


def _specs(p: ArchitecturesParams) -> tuple[FitSpec, ...]:
    grid = _grid(p)
    ee = collisions.exact_exponent(p.n, p.m)
    m_top = max(p.m)
    out: list[FitSpec] = []
    for v in VARIANTS:
        out.append(
            FitSpec(
                f"level-{v}",
                f"{v}: pooled count / (n(n−1)/4m) (bootstrap over models)",
                LEVEL_TOL,
                why=f"the tied law's level (collision-count, catalogue P1-COUNT: "
                f"±{100 * LEVEL_TOL:g} %) on {grid}",
            )
        )
        if v in COUNTED:
            out.append(
                FitSpec(
                    f"exponent-{v}",
                    f"{v}: exponent b of mean count ∝ m^b (Poisson fit, bootstrap over models)",
                    EXPONENT_TOL,
                    why=f"the tied law's exponent: the exact static model's own exponent on {grid} "
                    f"is {ee:.3f} (−1 at leading order), ± the catalogue's "
                    f"{EXPONENT_TOL:g}".replace("-", "−"),
                )
            )
        what = "|E0_ik + D0_ik|" if v == "untied" else "|W0_ik|"
        out.append(
            FitSpec(
                f"argmax-{v}",
                f"{v}: fraction of learned features whose winner is the initial argmax of {what}, "
                f"at m = {m_top}",
                relation=">",
                why="order preservation under gradient descent (P1-L1-2) up to interference; "
                f"catalogue P1-CORR: ≥ {ARGMAX_FLOOR:g} where n/m ≤ 1/8 (t over models)"
                + (
                    "; untied: the growing mode E_k + D_k of the bilinear phase decides (module "
                    "doc), the winner being argmax_k |E_ik·D_ik| at the end"
                    if v == "untied"
                    else ""
                ),
            )
        )
        out.append(
            FitSpec(
                f"dominance-{v}",
                f"{v}: mean diagonal of C = W_init W_finalᵀ / sd of its off-diagonal entries, "
                f"at m = {m_top}" + (" (C = (E0 + D0)(E + D)ᵀ)" if v == "untied" else ""),
                relation=">",
                why="init-diagonal's diagonal dominance (catalogue P1-CORR): the diagonal stands "
                "out of the off-diagonal spread (no memory of the init gives 0); t over models",
            )
        )
        if v == "untied":
            out += [
                FitSpec(
                    "learned-untied",
                    "untied: fraction of features on some neuron at the end, all m",
                    LEARNED_TOL,
                    why="the tied law counts collisions among all n features: a tied ReLU model "
                    "learns every one (‖W_i‖² > 0 keeps its output on); t over models",
                ),
                FitSpec(
                    "level-learned-untied",
                    "untied: pooled count / Σ n'(n'−1)/4m, n' the features each model learned "
                    "(paired bootstrap over models)",
                    LEVEL_TOL,
                    why="the tied law among the features the model learns "
                    f"(±{100 * LEVEL_TOL:g} % as the level)",
                ),
            ]
    return tuple(out)


def _paired_ratio(
    nums: Sequence[np.ndarray],
    dens: Sequence[np.ndarray],
    *,
    rng: np.random.Generator,
    level: float,
) -> fitting.Estimate:
    """Σ_j mean(nums_j) / Σ_j mean(dens_j), each grid point's models resampled as pairs."""
    samples = [np.stack([a, b]) for a, b in zip(nums, dens, strict=True)]

    def stat(*ys: np.ndarray, axis: int = -1) -> np.ndarray:
        num = sum(y[0].mean(axis=axis) for y in ys)
        den = sum(y[1].mean(axis=axis) for y in ys)
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / den

    return fitting.bootstrap(samples, stat, rng=rng, confidence=level)


def _argmax_estimate(s: ChunkSummary, hits: np.ndarray, level: float) -> fitting.Estimate:
    """Mean over models of the fraction of their learned features won by the initial argmax."""
    keep = s.learned > 0
    return fitting.mean_ci(hits[keep] / s.learned[keep], confidence=level)


def _fit(
    meas: ArchitecturesMeasurements, d: Derivation, p: ArchitecturesParams, judge: Judge
) -> list[Fit]:
    n, level, rng = meas.n, judge.level, judge.rng
    leading = [collisions.predict_leading(n, int(m)) for m in meas.m]
    fits: list[Fit] = []
    for v in VARIANTS:
        pts = meas.points[v]
        counts = [s.counts for s in pts]
        fits.append(
            judge.fit(
                f"level-{v}",
                predicted=1.0,
                estimate=fitting.ratio_ci(counts, leading, rng=rng, confidence=level),
            )
        )
        if v in COUNTED:
            slope = fitting.poisson_slope(meas.m, counts, rng=rng, confidence=level)
            fits.append(
                judge.fit(
                    f"exponent-{v}",
                    predicted=collisions.exact_exponent(n, meas.m),
                    estimate=slope,
                )
            )
        top = meas.top(v)
        fits.append(
            judge.fit(
                f"argmax-{v}",
                predicted=ARGMAX_FLOOR,
                estimate=_argmax_estimate(top, top.hits, level),
            )
        )
        fits.append(
            judge.fit(
                f"dominance-{v}",
                predicted=DOMINANCE_FLOOR,
                estimate=fitting.mean_ci(top.dominance, confidence=level),
            )
        )
        if v == "untied":
            frac = np.concatenate([s.learned / n for s in pts])
            fits.append(
                judge.fit(
                    "learned-untied",
                    predicted=1.0,
                    estimate=fitting.mean_ci(frac, confidence=level),
                )
            )
            dens = [
                s.learned * (s.learned - 1) / (4.0 * m) for s, m in zip(pts, meas.m, strict=True)
            ]
            fits.append(
                judge.fit(
                    "level-learned-untied",
                    predicted=1.0,
                    estimate=_paired_ratio(counts, dens, rng=rng, level=level),
                )
            )
    return fits


# -- controls -------------------------------------------------------------------------------------


def _random_winner(
    fits: Sequence[Fit], meas: ArchitecturesMeasurements, p: ArchitecturesParams, judge: Judge
) -> list[Fit]:
    """Mutant: the winner is a uniformly random neuron (argmax fraction 1/m ± 0.1)."""
    m_top = float(meas.m.max())
    return [random_winner(fit_by_key(fits, f"argmax-{v}"), m_top) for v in VARIANTS]


def _other_decider(attr: str, what: str) -> Any:
    def refit(
        fits: Sequence[Fit], meas: ArchitecturesMeasurements, p: ArchitecturesParams, judge: Judge
    ) -> list[Fit]:
        top = meas.top("untied")
        est = _argmax_estimate(top, getattr(top, attr), judge.level)
        base = fit_by_key(fits, "argmax-untied")
        return [
            base.mutant(
                fitted=est.value,
                ci=est.ci,
                quantity=base.quantity.replace("|E0_ik + D0_ik|", what),
            )
        ]

    refit.__doc__ = f"Mutant: the untied winner is the initial argmax of {what} (≥ 70 %)."
    return refit


def _other_init(
    fits: Sequence[Fit], meas: ArchitecturesMeasurements, p: ArchitecturesParams, judge: Judge
) -> list[Fit]:
    """Mutant: C against another model's initialisation is just as dominant (the final weights
    keep no memory of their own init), in every variant."""
    return [
        other_init(
            fit_by_key(fits, f"dominance-{v}"),
            meas.top(v).dominance_other,
            judge.level,
            ", other init",
        )
        for v in VARIANTS
    ]


def _dead_at_init(
    fits: Sequence[Fit], meas: ArchitecturesMeasurements, p: ArchitecturesParams, judge: Judge
) -> list[Fit]:
    """Mutant: an untied feature is learned iff its output starts on (E_i·D_i(0) > 0), so half of
    them are (the symmetric init): learned fraction ½."""
    return [fit_by_key(fits, "learned-untied").mutant(predicted=0.5)]


CONTROLS = (
    Control(
        "flat",
        "the count does not fall with m (exponent 0), tied or untied",
        predict={"exponent-tied-relu": 0.0, "exponent-untied": 0.0},
    ),
    Control(
        "random-winner",
        "the winning neuron is uniformly random in every variant (argmax fraction 1/m)",
        refit=_random_winner,
    ),
    Control(
        "product-decides",
        "untied: the winner is the initial argmax of |E0_ik·D0_ik|",
        refit=_other_decider("hits_product", "|E0_ik·D0_ik|"),
    ),
    Control(
        "encoder-decides",
        "untied: the winner is the initial argmax of the encoder weight |E0_ik| alone",
        refit=_other_decider("hits_encoder", "|E0_ik|"),
    ),
    Control(
        "other-init",
        "C = W_init W_finalᵀ is as dominant against another model's init (no memory of one's own)",
        refit=_other_init,
    ),
    Control(
        "dead-at-init",
        "untied: a feature is learned iff its output starts on (E_i·D_i > 0 at init): half are",
        refit=_dead_at_init,
    ),
    Control(
        "tied-law-everywhere",
        "GeLU and a linear output keep the tied law's level n(n−1)/4m",
        predict={"level-gelu": 1.0, "level-linear": 1.0},
    ),
)


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Overrides of the smoke params at collision-count's regime (gradient descent, m = 8n and
    32n, n = 10…16), enough models for ≈ 150 tied collisions, judged at a family-wise 0.999; no fit
    without a recorded deviation may fail there."""
    n = draw(st.integers(10, 16), label="n")
    m = (8 * n, 32 * n)
    per_model = sum(n * (n - 1) / (4 * x) for x in m)
    tied = int(min(1024, max(64, 150 / per_model)))
    return {
        "train.model.n": n,
        "m": m,
        "train.instances": 256,
        "train.optimiser.steps": 450,
        "train.optimiser.kind": "sgd",
        "train.optimiser.lr": 0.1,
        "train.optimiser.l1": 0.1,
        "models": (tied, tied, 128, 128),
    }


STANDARD = ArchitecturesParams()
SMOKE = ArchitecturesParams(  # the plumbing only: n = 8, a few short batches
    train=STANDARD.train.replace(model={"n": 8}, optimiser={"steps": 300}, instances=64),
    m=(64, 128),  # m = 16n would leave a grid point without a collision at some seeds
    models=(128, 128, 16, 16),
)
PAPER = ArchitecturesParams(
    # the paper code's n and instance count (collisions.py: n = 256, 16 instances per m) on the
    # claim's gradient descent at m = 8n and 32n, at equal lr·t; not run (a GPU's work). At
    # lr = 0.1 the untied variant diverges there (step ≈ 50–80 at m = 8192, seed 0); 0.03 ran
    # 250 steps for every variant (2 models at m = 8192, seed 0)
    train=STANDARD.train.replace(
        model={"n": 256}, optimiser={"lr": 0.03, "steps": 1500}, instances=16
    ),
    m=(2048, 8192),
    models=(16, 16, 16, 16),
)

# Recorded at the standard scale over root seeds 0–19 (the sweep log _LOG; its intervals at the
# judge's Bonferroni level): each range is the union of the 20 intervals, the fitted values are
# quoted in the reason. The grid, the band edges, the model counts and the theory's numbers in the
# texts are generated from STANDARD, the tolerances and theory/.
_LOG = "benchmarks/false_failure.jsonl"
_EARLY = 5  # the first measurements, at seeds 0–4 (scratch runs before the sweep)


def _in_n(p: ArchitecturesParams, m: int) -> str:
    """A grid value in units of n ("8n"), or the number itself."""
    return f"{m // p.n}n" if m % p.n == 0 else str(m)


_LO_M, _HI_M = (_in_n(STANDARD, m) for m in (min(STANDARD.m), max(STANDARD.m)))
_EXPONENT_EDGE = collisions.exact_exponent(STANDARD.n, STANDARD.m) - EXPONENT_TOL
_Z_STAR = gelu_unit_root()
_GELU_COST = 2 * (-_Z_STAR * (1 + math.erf(-_Z_STAR / math.sqrt(2))) / 2) ** 2  # 2·GeLU(−z*)²


def _early_models(variant: str) -> str:
    return f"{_EARLY * STANDARD.count(variant)} models per m over seeds 0–{_EARLY - 1}"


_UNTIED_LEVEL = Deviation(
    "pass",
    (0.645, 0.976),
    f"the untied count is 0.738–0.872 × the tied law over seeds 0–19 ({_LOG}: pass at 19, "
    "inconclusive at seed 2, whose interval [0.646, 0.855] crosses the band's edge "
    f"{1 - LEVEL_TOL:g}; the range is the union of the 20 intervals): fewer features take part. "
    "Among the features each model learns the count keeps the law (level-learned-untied "
    "1.00–1.18, pass 20/20); the pooled Σ n'(n'−1)/n(n−1) is 0.78 at m = "
    f"{_LO_M} and 0.57 at {_HI_M} (learned-untied)",
    also=("inconclusive",),
)
_UNTIED_EXPONENT = Deviation(
    "inconclusive",
    (-1.745, -0.784),
    f"the untied count falls faster than the tied law: −1.43…−1.02 over seeds 0–19 ({_LOG}; "
    f"−1.37…−1.06, mean −1.19, at seeds 0–{_EARLY - 1}), each interval (half-width 0.24–0.30) "
    f"across the band's lower edge {num(_EXPONENT_EDGE, '.2f')} (the range is the union of the 20 "
    "intervals). The learned fraction falls with m "
    f"(0.882–0.888 at {_LO_M}, 0.752–0.756 at {_HI_M}) and Σ n'(n'−1) with it as m^−0.23 on this "
    "grid: the tied exponent at the same seeds (−0.99 mean) plus −0.23 gives −1.22, the law among "
    "learned features holding (level-learned-untied). About 4× the untied models would decide "
    "whether it lies beyond the band",
)
_UNTIED_LEARNED = Deviation(
    "fail",
    (0.809, 0.831),
    f"0.817–0.823 of the untied features are learned over seeds 0–19 ({_LOG}; tied: 0.998). "
    "Those whose output starts on "
    "(E_i·D_i > 0 at init) are learned as in the tied model (99.8 %); the others — 50.1 % of all, "
    "as the symmetric init gives ½ — start with the output ReLU off and get no gradient from "
    "their own target (tests/test_autoencoder.py, test_untied_output_that_starts_off_…), and only "
    f"77.0 % of them are learned at m = {_LO_M}, 51.3 % at {_HI_M} (seeds 0–{_EARLY - 1}). No "
    "other feature is needed for that: an isolated untied feature (n = 1, 1024 models, seed 4) is "
    f"learned as often (75 % at m = {min(STANDARD.m)}, 50 % at {max(STANDARD.m)}). A tied ReLU "
    "model never starts off: Z_ii = ‖W_i‖² > 0",
)
_GELU_LEVEL = Deviation(
    "fail",
    (0.0, 0.054),
    f"GeLU keeps almost no incidental collision: 0–0.013 × the tied law over seeds 0–19 ({_LOG}; "
    "the range is the union of their intervals; 3 two-feature neurons in "
    f"{_early_models('gelu')}, both m). Of the feature pairs whose initial "
    "argmax neurons coincide with opposite signs, 3 of 701 stay co-resident under GeLU, against "
    f"53 % (m = {_LO_M}) and 70 % ({_HI_M}) of them with the tied ReLU (same-sign pairs: none "
    "under either). The end state does not forbid it: an opposite-sign pair placed at GeLU's "
    "trained weight 1.06 stays (tests/test_architectures.py, "
    f"test_opposite_sign_co_residents_at_the_end_state), at a cost 2·GeLU(−z*)² = {_GELU_COST:.3f} "
    f"(z* = {_Z_STAR:.3f}, GeLU(z*) = 1). The pairs separate during training: GeLU'(0) = ½, so a "
    "small negative overlap W_i·W_j gives an output ≈ W_i·W_j/2 whose cost the gradient removes, "
    "where a ReLU outputs exactly 0 and leaves opposite signs free",
)
_LINEAR_LEVEL = Deviation(
    "fail",
    (0.0, 0.0),
    f"no collision at all: 0 co-resident pairs in {_early_models('linear')}, and 0 of the "
    "701 initial opposite-sign argmax collisions survive. A linear output charges (W_i·W_j)² for "
    "every overlap whatever its sign, so its zero-loss set needs orthogonal codes (catalogue T-1: "
    "the linear model does not superpose) and the tied law's sign condition (opposite signs cost "
    "nothing through ReLU(−1) = 0) is gone; a pair placed at the end state does not stay (the "
    "same test)",
)
# Smoke (seeds 0–9): the same three breaks, recorded so that the property test's draws (smoke
# params at collision-count's regime) count them as known; the ranges are the smoke params' union
# of intervals.
_SMOKE_WHY = (
    f"as at the standard scale (its reason there); smoke params ({_grid(SMOKE)}), seeds 0–9"
)
DEVIATIONS: dict[str, Deviation | tuple[Deviation, ...]] = {
    "level-untied": _UNTIED_LEVEL,
    "exponent-untied": _UNTIED_EXPONENT,
    "learned-untied": (
        _UNTIED_LEARNED,
        Deviation("fail", (0.866, 0.925), _SMOKE_WHY, scales=("smoke",)),
    ),
    "level-gelu": (_GELU_LEVEL, Deviation("fail", (0.0, 0.0), _SMOKE_WHY, scales=("smoke",))),
    "level-linear": (_LINEAR_LEVEL, Deviation("fail", (0.0, 0.0), _SMOKE_WHY, scales=("smoke",))),
}


def _false_failure(p: ArchitecturesParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge), the tied collisions the
    law expects at ``p``, and what the standard scale's sweep log showed."""
    tied = p.count("tied-relu") * sum(collisions.predict_leading(p.n, m) for m in p.m)
    return (
        f"{judge.family_sentence()}; an interval straddling a band edge reads inconclusive. "
        f"{p.count('tied-relu')} tied models per m give ≈ {tied:.0f} collisions by the law "
        f"n(n−1)/4m on {_grid(p)}; the untied exponent's ±{EXPONENT_TOL:g} is the one left "
        f"undecided. Over seeds 0–19 at the standard scale ({_LOG}) the one miss was seed 9, whose "
        "tied exponent −1.116 [−1.260, −0.979] straddles the band's edge "
        f"{num(_EXPONENT_EDGE, '.2f')} there "
        "(inconclusive): over the 20 seeds it is −1.116…−0.898 "
        "with interval half-widths 0.12–0.14, so the tied row's own false-inconclusive rate is "
        "≈ 1/20. Every recorded deviation was met at every seed, and the diagonal dominance "
        "(tied 3.29–3.31, untied 2.81–2.84, GeLU 3.32–3.37, linear 3.33–3.38) cleared its "
        f"threshold {DOMINANCE_FLOOR:g} in every variant."
    )


ARCHITECTURES = Claim(
    id="architectures",
    title="How far the count law carries: untied weights, GeLU, no output nonlinearity",
    statement=(
        "The tied-ReLU law — polysemantic neurons ≈ n(n−1)/4m (exponent −1 in m) and, under "
        f"gradient descent, the initial argmax deciding the winner (≥ {100 * ARGMAX_FLOOR:g} % at "
        "n/m ≤ 1/8) — holds "
        "for the tied ReLU autoencoder and is tested unchanged with untied encoder and decoder, a "
        "GeLU output and no output nonlinearity; where it breaks, the measured level, exponent "
        "and reason are recorded."
    ),
    source=(
        "catalogue P2-ARCH (Scherlis et al.: architecture changes block sizes and prevalence; "
        "none of their numbers used); Lecomte et al. 2312.03096 code's tied/untied and "
        "nonlinearity switches; issue 16"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=_derive,
    simulate=_simulate,
    fits=_specs,
    fit=_fit,
    controls=CONTROLS,
    deviations=DEVIATIONS,
    false_failure=_false_failure,
    plot=figures.Figure("architectures"),
    strategy=_strategy,
)

CLAIM = ARCHITECTURES
