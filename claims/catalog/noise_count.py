"""Claim ``noise-count``: does noise-induced sparsity make incidental polysemanticity?

Reviewer 2 of Lecomte et al. (catalogue P1-N-6) asked for the number of incidentally polysemantic
neurons when sparsity comes from noise instead of L1; the paper has none. This claim trains the
``kurtosis-sparsity`` model (SGD, no L1, output ReLU, Bernoulli noise on the hidden layer) over a
grid of m until the rows are sparse (mean ‖W_i‖₄⁴/‖W_i‖₂⁴ far above its isotropic value
3/(m+2), :mod:`theory.kurtosis`), counts polysemantic neurons with a scale-free rule suited to
weights whose magnitudes L1 never set (:class:`sim.metrics.RelativeCount`: feature k is on neuron
j when |W_kj| ≥ ½‖W_k‖₂, in the gap of the bimodal |W_kj|/‖W_k‖₂), and judges the L1 story's
count n(n−1)/4m (:mod:`theory.collisions`) and its opposite-sign condition. A reference row
trains L1 (collision-count's gradient-descent setting) from the very same inits, so the two
sources of sparsity are compared instance by instance.

Two settings differ from ``kurtosis-sparsity``, both measured: the noise is drawn per input
(``noise_scope="sample"``, the paper's expected loss, P1-N-4 b) because with one draw per
instance the gradient noise stops the rise at m ≥ 32 (n = 16, σ = 0.15: ‖W_i‖₄⁴/‖W_i‖₂⁴ stays at
3/(m+2) for 2·10⁴ steps at m = 32, 3·10⁴ at m = 64, where per-input noise reaches 0.84 and 0.60);
and the training length grows as m (the rise at σ = 0.15 takes ≈ 2·10³·m/16 steps more per
doubling of m).

Measured (standard scale, seeds 0–4): the rows sparsify (0.85–0.87), the L1 reference from the
same inits holds its usual count, and at the end of training the noise-trained models hold
≈ 8–10 % of the law (7 % of the L1 count): a colliding feature leaves its neuron (to a free one,
or into a dense row held at a negative dot product with every other row) instead of sharing it.
The few pairs that remain all have opposite signs. The count depends on training time: while the
rows sparsify it is near the law, and it decays after (recorded in the deviations' reason; this
claim judges the end of a run ≈ 3× the half-rise time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from sim import ParamError, check_float, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, NoiseParams, OptimiserParams, train
from sim.metrics import FRAC, RelativeCount, relative_weights
from theory import collisions, kurtosis

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Deviation, Fit, FitSpec, Judge
from ._shared import check_confidence, num, property_strategy

__all__ = ["CLAIM", "NoiseCountMeasurements", "NoiseCountParams", "OutsideRegime"]

BINS = 50  # histogram bins of |W_kj|/‖W_k‖₂ on [0, 1] (figure and gap fraction)
LEVEL_TOL = 0.35  # collision-count's ±35 % on the count's level
SLOPE_TOL = 0.25  # collision-count's ±0.25 on its exponent
# the opposite-sign fraction's threshold: the midpoint of the L1 story's 1 and a sign-blind ½
OPPOSITE_FLOOR = 0.75


@dataclass(frozen=True)
class NoiseCountParams:
    """A grid of m; at each, noise-trained models and L1-trained models from the same inits."""

    GRID_SET: ClassVar[tuple[str, ...]] = (
        "train.model.m",
        "train.optimiser.steps",
    )  # each grid point sets these

    # the noise run at every grid point (its m and steps are the grid's)
    train: AutoencoderParams = AutoencoderParams(
        model=ModelParams(
            n=16,  # features: n(n−1)/4m = 3.75…1.9 collisions per model on the grid
        ),
        noise=NoiseParams(
            kind="bernoulli",  # κ = −2: the noise that sparsifies
            sigma=0.15,  # the paper's largest σ; 0.2–0.25 stop the rise at m = 64 (measured)
            # one ξ per input: with one per instance the rise stalls at m ≥ 32 (module doc)
            scope="sample",
        ),
        optimiser=OptimiserParams(
            lr=0.02,  # the paper's SGD lr (kurtosis-mechanism: 4× larger rises 3–5× less)
            kind="sgd",  # the paper's fourth_norm.py optimiser
        ),
        instances=96,  # models per grid point (≈ 500 opposite-sign init collisions in all)
        log_points=4,  # only the end (and half-time, for the plateau) is used
    )
    m: tuple[int, ...] = (16, 24, 32)  # hidden sizes (n…2n: the rise at 3·10⁴ steps ends by m ≈ 48)
    steps_per_m: int = 625  # noise steps = this × m: lr·t = 12.5·m, ≈ 3× the half-rise time
    l1: float = 0.1  # λ of the reference (collision-count's: one-hot rows after ≈ 300 steps)
    l1_lr: float = 0.1  # its SGD lr (collision-count's; stable below 0.25)
    l1_steps: int = 800  # its steps (collision-count's)
    frac: float = FRAC  # feature k is on neuron j when |W_kj| >= frac·‖W_k‖₂
    max_unassigned: float = 0.2  # above this fraction of dense rows the grid point did not sparsify
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

    def __post_init__(self) -> None:
        if len(self.m) < 2 or len(set(self.m)) != len(self.m):
            raise ParamError("m", self.m, "at least two distinct grid values, e.g. 16,24,32")
        for v in self.m:
            check_int("m", v, 2)
        check_int("train.model.n", self.train.model.n, 2)
        check_int("train.instances", self.train.instances, 2)
        if self.train.noise.kind == "none" or self.train.optimiser.l1:
            raise ParamError(
                "train.noise.kind",
                self.train.noise.kind,
                "a noise, with train.l1 = 0 (noise-only sparsity)",
            )
        check_int("steps_per_m", self.steps_per_m, 1)
        check_float("l1", self.l1, 0.0, lo_open=True)
        check_float("l1_lr", self.l1_lr, 0.0, 0.25, lo_open=True, hi_open=True)
        check_int("l1_steps", self.l1_steps, 1)
        check_float("frac", self.frac, 1 / np.sqrt(8), 1.0)  # ≤ 8 neurons per feature at most
        check_float("max_unassigned", self.max_unassigned, 0.0, 1.0)
        check_confidence(self.confidence)

    @property
    def n(self) -> int:
        return self.train.model.n

    def point(self, m: int, *, l1: bool, seed: int, device: str) -> AutoencoderParams:
        """The trainer at grid point ``m``: the noise run, or the L1 reference (same seed, so the
        same init)."""
        if not l1:
            steps = self.steps_per_m * m
            return self.train.replace(
                model={"m": m},
                optimiser={"steps": steps},
                record_steps=(steps // 2,),
                seed=seed,
                device=device,
            )
        return self.train.replace(
            model={"m": m},
            optimiser={"steps": self.l1_steps, "lr": self.l1_lr, "l1": self.l1},
            noise={"kind": "none", "sigma": 0.0},
            seed=seed,
            device=device,
        )


@dataclass(frozen=True, repr=False)
class Run:
    """One grid point's training, per instance where a field is an array."""

    counts: np.ndarray  # (B,) polysemantic neurons
    unassigned: np.ndarray  # (B,) features on no neuron (dense rows)
    ratio: np.ndarray  # (B,) final mean ‖W_i‖₄⁴/‖W_i‖₂⁴
    ratio_half: np.ndarray  # (B,) the same at half the steps
    pairs: int  # neurons with exactly two features, all instances
    opposite: int  # of which opposite-signed
    crowded: int  # neurons with three or more features
    hist: np.ndarray  # (BINS,) histogram of |W_kj|/‖W_k‖₂
    seconds: float


@dataclass(frozen=True, repr=False)
class NoiseCountMeasurements:
    m: np.ndarray  # (G,) grid
    noise: list[Run]  # per grid point
    l1: list[Run]  # per grid point, the same inits


def _ratio(W: torch.Tensor) -> torch.Tensor:
    """(B,) mean over rows of ‖W_i‖₄⁴/‖W_i‖₂⁴."""
    sq = W.square()
    return (sq.square().sum(-1) / sq.sum(-1).square()).mean(-1)


@dataclass(frozen=True)
class _Point:
    """One training run (picklable: it may run in another process)."""

    params: AutoencoderParams
    frac: float


def _train(point: _Point) -> Run:
    out = train(point.params, metrics={"ratio": _ratio})
    c = RelativeCount(out.W_final, frac=point.frac)
    ratio = out.metrics["ratio"]
    half = int(np.searchsorted(out.steps, point.params.optimiser.steps // 2))
    hist, _ = np.histogram(relative_weights(out.W_final), bins=BINS, range=(0.0, 1.0))
    return Run(
        counts=c.count.astype(float),
        unassigned=c.unassigned.astype(float),
        ratio=ratio[-1],
        ratio_half=ratio[half],
        pairs=int(c.pairs.sum()),
        opposite=int(c.opposite_pairs.sum()),
        crowded=int(c.crowded.sum()),
        hist=hist,
        seconds=out.seconds,
    )


def derive(p: NoiseCountParams) -> Derivation:
    return Derivation(
        expr=collisions.exact_expectation(),
        extra={
            "leading": collisions.leading_term(),
            "isotropic_fourth_norm": kurtosis.isotropic_fourth_norm(),
        },
        values={f"exact(m={m})": collisions.predict_exact(p.n, m) for m in p.m}
        | {f"3/(m+2)(m={m})": kurtosis.predict_isotropic_fourth_norm(m) for m in p.m},
    )


def simulate(p: NoiseCountParams, ctx: Context) -> NoiseCountMeasurements:
    points = [
        _Point(
            p.point(m, l1=l1, seed=ctx.seed_for("noise-count", p.n, m), device=ctx.device), p.frac
        )
        for m in p.m
        for l1 in (False, True)
    ]
    runs = ctx.map(_train, points, label="noise-count: noise and L1 over the grid of m")
    return NoiseCountMeasurements(m=np.asarray(p.m, float), noise=runs[0::2], l1=runs[1::2])


class OutsideRegime(RuntimeError):
    """A grid point's rows did not sparsify: its count would count dense rows."""


def check_regime(meas: NoiseCountMeasurements, p: NoiseCountParams) -> None:
    """Raise :class:`OutsideRegime` where more than ``max_unassigned`` of the noise rows hold no
    entry ≥ frac·‖W_k‖₂ (not sparse yet)."""
    for m, run in zip(meas.m, meas.noise, strict=True):
        dense = run.unassigned.sum() / (p.n * run.unassigned.size)
        if dense > p.max_unassigned:
            raise OutsideRegime(
                f"m = {m:g}: {dense:.1%} of the noise-trained rows are dense (no entry ≥ "
                f"{p.frac:g}·‖W_k‖₂; mean ‖W_i‖₄⁴/‖W_i‖₂⁴ = {run.ratio.mean():.3f}, isotropic "
                f"{kurtosis.predict_isotropic_fourth_norm(int(m)):.3f}): above "
                f"{p.max_unassigned:.0%} the rows did not sparsify; raise steps_per_m or shrink m"
            )


def half_level(m: int) -> float:
    """Half-way from the isotropic 3/(m+2) (no noise, Gaussian) to one-hot rows (1)."""
    return 0.5 * (kurtosis.predict_isotropic_fourth_norm(m) + 1.0)


def specs(p: NoiseCountParams) -> tuple[FitSpec, ...]:
    exact = sum(collisions.predict_exact(p.n, m) for m in p.m)
    lead = sum(collisions.predict_leading(p.n, m) for m in p.m)
    grid = f"m = {min(p.m)}…{max(p.m)}, n = {p.n}"
    return (
        *(
            FitSpec(
                f"sparse-m{m}",
                f"final mean ‖W_i‖₄⁴/‖W_i‖₂⁴ of the noise run at m = {m}",
                relation=">",
                why=f"the rows sparsified: above half-way from the isotropic 3/(m+2) = "
                f"{kurtosis.predict_isotropic_fourth_norm(m):.3f} (no noise, Gaussian) to one-hot "
                f"1, i.e. {half_level(m):.3f}",
            )
            for m in p.m
        ),
        FitSpec(
            "ratio",
            "pooled noise-run count / exact static expectation (n(n−1)/4m to all orders)",
            LEVEL_TOL,
            why=f"collision-count's ±{100 * LEVEL_TOL:g} %; on {grid} the exact model is "
            f"{exact / lead:.3f} of "
            "n(n−1)/4m pooled (n ~ m: its higher orders matter)",
        ),
        FitSpec(
            "slope",
            "exponent b of the noise-run count ∝ m^b (Poisson fit, bootstrap over instances)",
            SLOPE_TOL,
            why=f"collision-count's ±{SLOPE_TOL:g} around the exact static model's own exponent "
            f"on {grid}, {num(collisions.exact_exponent(p.n, p.m), '.3f')}",
        ),
        FitSpec(
            "vs-l1",
            "pooled noise-run count / pooled L1-run count from the same inits (bootstrap over "
            "instances, paired)",
            LEVEL_TOL,
            why="the L1 story, sparsity source aside: the same count at matched (one-hot-like) "
            f"sparsity, ±{100 * LEVEL_TOL:g} %",
        ),
        FitSpec(
            "opposite-sign",
            "fraction of the noise run's two-feature neurons whose features have opposite signs",
            relation=">",
            why="the L1 story predicts 1, a sign-blind collision ½: the fraction must lie above "
            f"their midpoint {OPPOSITE_FLOOR:g} (Clopper-Pearson over neurons; too few pairs for a "
            "±0.1 band)",
        ),
    )


def _paired_ratio(num: list[np.ndarray], den: list[np.ndarray], judge: Judge) -> fitting.Estimate:
    """Σ_m mean(num_m) / Σ_m mean(den_m), resampling instances jointly (same init in both)."""
    stacked = [np.stack([a, b]) for a, b in zip(num, den, strict=True)]  # (2, B) per m

    def stat(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = np.moveaxis(np.asarray(idx), axis, -1).astype(int)
        top = sum(s[0][idx].mean(-1) for s in stacked)
        bottom = sum(s[1][idx].mean(-1) for s in stacked)
        with np.errstate(divide="ignore", invalid="ignore"):
            return top / bottom

    b = num[0].size
    return fitting.bootstrap(
        [np.arange(b, dtype=float)], stat, rng=judge.rng, confidence=judge.level
    )


def fit(
    meas: NoiseCountMeasurements, d: Derivation, p: NoiseCountParams, judge: Judge
) -> list[Fit]:
    check_regime(meas, p)
    level = judge.level
    fits = [
        judge.fit(
            f"sparse-m{int(m)}",
            predicted=half_level(int(m)),
            estimate=fitting.mean_ci(run.ratio, confidence=level),
        )
        for m, run in zip(meas.m, meas.noise, strict=True)
    ]
    counts = [r.counts for r in meas.noise]
    exact = [collisions.predict_exact(p.n, int(m)) for m in meas.m]
    pairs = sum(r.pairs for r in meas.noise)
    if pairs == 0:
        raise OutsideRegime(
            "no noise-trained neuron holds two features: the sign condition cannot be judged "
            "(more instances)"
        )
    opposite = sum(r.opposite for r in meas.noise)
    fits += [
        judge.fit(
            "ratio",
            predicted=1.0,
            estimate=fitting.ratio_ci(counts, exact, rng=judge.rng, confidence=level),
        ),
        judge.fit(
            "slope",
            predicted=collisions.exact_exponent(p.n, meas.m),
            estimate=fitting.poisson_slope(meas.m, counts, rng=judge.rng, confidence=level),
        ),
        judge.fit(
            "vs-l1",
            predicted=1.0,
            estimate=_paired_ratio(counts, [r.counts for r in meas.l1], judge),
        ),
        judge.fit(
            "opposite-sign",
            predicted=OPPOSITE_FLOOR,
            estimate=fitting.proportion_ci(opposite, pairs, confidence=level),
        ),
    ]
    return fits


def _twice(fits: list[Fit], meas: Any, p: NoiseCountParams, judge: Judge) -> list[Fit]:
    """Mutant: the count is n²/2m, twice the constant (no factor ½ from the signs)."""
    return [f.mutant(predicted=2.0 * p.n / (p.n - 1)) for f in fits if f.key == "ratio"]


def _same_sign(fits: list[Fit], meas: Any, p: NoiseCountParams, judge: Judge) -> list[Fit]:
    """Mutant: same-sign pairs are allowed, so half the two-feature neurons are same-signed."""
    return [
        f.mutant(relation="==", predicted=0.5, tolerance=0.1)
        for f in fits
        if f.key == "opposite-sign"
    ]


def _isotropic(fits: list[Fit], meas: Any, p: NoiseCountParams, judge: Judge) -> list[Fit]:
    """Mutant: without L1 the rows stay isotropic (below half-way to one-hot) at every m."""
    return [f.mutant(relation="<") for f in fits if f.key.startswith("sparse-m")]


CONTROLS = (
    Control("twice", "count ∝ n²/m with twice the constant (n²/2m)", refit=_twice),
    Control(
        "same-sign",
        "same-sign pairs are allowed: the opposite-sign fraction is ½",
        refit=_same_sign,
    ),
    Control(
        "isotropic",
        "without L1 the rows stay isotropic: ‖W_i‖₄⁴/‖W_i‖₂⁴ below half-way to one-hot",
        refit=_isotropic,
    ),
)


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Overrides of the smoke params where rows sparsify: n = 8–12, m = 12/16, σ around the
    paper's largest, enough steps to pass half-way; judged at a family-wise 0.999. The deviating
    fits keep their recorded verdicts; the sparsity fits must not fail."""
    return {
        "train.model.n": draw(st.integers(8, 12), label="n"),
        "m": (12, 16),
        "train.noise.sigma": draw(st.sampled_from([0.14, 0.15, 0.16]), label="sigma"),
        "steps_per_m": 700,
        "train.instances": 24,
    }


STANDARD = NoiseCountParams()
SMOKE = NoiseCountParams(
    train=STANDARD.train.replace(model={"n": 8}, instances=16),
    m=(12, 16),
    steps_per_m=500,
    l1_steps=300,
    max_unassigned=1.0,
)
# No paper setting exists (the paper has no count under noise): n = 32 over m = n…2n, more
# instances, longer runs; for a GPU.
PAPER = NoiseCountParams(
    train=STANDARD.train.replace(model={"n": 32}, instances=512),
    m=(32, 48, 64),
    steps_per_m=1000,
)

# Measured at the standard scale, seeds 0–19 (_LOG): the law fails at the end of training; each
# range is the union of the 20 seeds' intervals. The settings, the static model's counts and the
# law's band are generated from STANDARD and theory/.
_LOG = "benchmarks/false_failure.jsonl"
_GRID = f"m = {min(STANDARD.m)}…{max(STANDARD.m)}"
_WHY = (
    f"noise-trained models (Bernoulli σ = {STANDARD.train.noise.sigma:g}, n = {STANDARD.n}, "
    f"{_GRID}, {STANDARD.steps_per_m}·m steps, rows at ‖W_i‖₄⁴/‖W_i‖₂⁴ = 0.842–0.870) end with "
    "≈ 0.1–0.2 polysemantic neurons per model against the static model's "
    + "–".join(
        f"{collisions.predict_exact(STANDARD.n, m):.1f}" for m in (min(STANDARD.m), max(STANDARD.m))
    )
    + " and the L1 runs' 3.3–1.8 from the same inits: a colliding "
    "feature leaves the shared neuron — to a free neuron or into a dense row (6–9 % of rows) held "
    "at a negative dot product with every other row. The count is a function of training time: "
    "scratch runs (48 instances) show it near the law while rows sparsify (n = 8, m = 16: "
    "0.54–0.60 per model, 0.75–0.83 of exact, at ratio 0.45–0.72) and decaying "
    "after (0.33 at 2·10⁴ steps; n = 16, m = 24: 0.54 at 9·10³ steps, 0 at 3·10⁴)"
)
_SLOPE = collisions.exact_exponent(STANDARD.n, STANDARD.m)
DEVIATIONS: dict[str, Deviation] = {
    "ratio": Deviation(
        "fail",
        (0.041, 0.144),
        f"pooled count / exact measured 0.068–0.111 (seeds 0–19, {_LOG}): {_WHY}",
    ),
    "vs-l1": Deviation(
        "fail",
        (0.033, 0.113),
        f"noise / L1 count measured 0.052–0.084 (seeds 0–19, {_LOG}): {_WHY}",
    ),
    "slope": Deviation(
        "inconclusive",
        (-1.13, 3.44),
        f"not resolved: fitted +0.55…+1.59 over seeds 0–19 ({_LOG}) with intervals 2.2–3.5 wide "
        "(their union −1.13…3.44); 8 of 20 lie wholly above the law's band "
        f"{num(_SLOPE, '.2f')} ± {SLOPE_TOL:g} (fail), 12 straddle it. With ≈ 10–25 surviving "
        "collisions per grid point the exponent cannot be pinned; the point estimate is positive "
        f"because collisions are resolved fastest at small m (m = {min(STANDARD.m)}"
        f"{' = n' if min(STANDARD.m) == STANDARD.n else ''}: ≈ 0.1 of exact, "
        f"m = {max(STANDARD.m)}: ≈ 0.1–0.15)",
        also=("fail",),
    ),
}


def _false_failure(p: NoiseCountParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge), the thresholds at ``p``,
    and what the standard scale's sweep log showed."""
    halves = ", ".join(f"{half_level(m):.3f}" for m in p.m)
    return (
        f"{judge.family_sentence()}. Over seeds 0–19 at the standard scale ({_LOG}) the sparsity "
        "fits measured 0.842–0.870 (interval half-widths ≤ 0.006), well above their half-way "
        f"levels ({halves} at m = {', '.join(map(str, p.m))} here); the opposite-sign fraction "
        f"0.98–1 over ≈ 30–50 pairs (lower ends ≥ 0.86 > {OPPOSITE_FLOOR:g}). The level and vs-L1 "
        "fits fail by a factor ≈ 10 (recorded deviations); the exponent is unresolved (recorded: "
        "inconclusive at 12 seeds, fail at 8)."
    )


NOISE_COUNT = Claim(
    id="noise-count",
    title="Noise-induced sparsity: polysemantic neurons against n(n−1)/4m",
    statement=(
        "Trained without L1 under Bernoulli hidden noise until the rows are sparse, the number of "
        f"polysemantic neurons (a feature on a neuron when |W_kj| ≥ {STANDARD.frac:g}·‖W_k‖₂) "
        "follows the L1 "
        "story's n(n−1)/4m in level and exponent, equals the L1 count from the same inits, and "
        "its two-feature neurons hold opposite signs."
    ),
    source=(
        "extension: reviewer 2 of Lecomte et al. 2312.03096 (catalogue P1-N-6); setting of "
        "kurtosis-sparsity"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=CONTROLS,
    deviations=DEVIATIONS,
    false_failure=_false_failure,
    plot=figures.Figure("noise_count"),
    strategy=_strategy,
)

CLAIM = NOISE_COUNT
