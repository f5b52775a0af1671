"""Claim ``collision-count``: polysemantic neurons ≈ n(n−1)/(4m), with opposite-sign co-residents.

Lecomte et al. (P1-COUNT): two features collide when their winning neurons coincide (probability
1/m per pair for an i.i.d. continuous init) and survive only with opposite signs (probability ½),
so E[#polysemantic] ≈ n(n−1)/(4m). The claim trains the autoencoder by gradient descent — the
dynamics the theory describes — over a grid of m in the n ≪ m regime where the static picture
applies, and judges the exponent, the level and the sign condition. Its figure and simulation are
shared with ``collision-count-adamw`` (the paper's optimizer).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sim import ParamError, check_float, check_int
from sim.autoencoder import AutoencoderParams, train
from sim.metrics import HI, LO, PolysemanticCount
from theory import collisions

from .. import fitting, paper_figures
from .._context import Context
from .._core import Claim, Control, Derivation, Fit, FitSpec, Judge, Result

__all__ = ["CLAIM", "CollisionMeasurements", "CollisionParams", "OutsideRegime"]


@dataclass(frozen=True)
class CollisionParams:
    """A grid of m at fixed n; every grid point trains ``train.instances`` models from independent inits."""

    GRID_SET: ClassVar[tuple[str, ...]] = ("train.m",)  # the grid sets the trainer's m per run

    train: AutoencoderParams = AutoencoderParams(  # the trainer at every grid point (its m is the grid's)
        n=16,  # features
        instances=1024,  # independent models per grid point: ≈ 900 collisions in all, slope CI ≈ ±0.1
        steps=800,  # gradient steps; at lr = λ = 0.1 the count is flat after ≈ 450
        optimizer="sgd",  # gradient descent: the dynamics the theory describes
        lr=0.1,  # stable: the feature-benefit curvature is 8, so lr < 0.25
        l1=0.1,  # λ; sparsification completes in ≈ 2/(lr·λ) = 200 steps, final |W| ≈ 1 − λ/8
        weight_decay=0.0,  # explicit (the paper code's AdamW silently used 0.01)
    )
    m: tuple[int, ...] = (
        128,
        256,
        512,
        1024,
    )  # hidden sizes of the grid (8n…64n: the n ≪ m regime)
    lo: float = LO  # a feature is "on" a neuron when lo <= |W_ik| <= hi (the paper's rule)
    hi: float = HI  # upper end of that window
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

    def __post_init__(self) -> None:
        if len(self.m) < 2:
            raise ParamError("m", self.m, "at least two grid values, e.g. 128,256,512")
        for v in self.m:
            check_int("m", v, 1)
        if len(set(self.m)) != len(self.m):
            raise ParamError("m", self.m, "distinct grid values")
        check_int("train.n", self.train.n, 2)
        check_int("train.instances", self.train.instances, 2)
        check_float("lo", self.lo, 0.0)
        check_float("hi", self.hi, self.lo)
        check_float("confidence", self.confidence, 0.5, 1.0, hi_open=True)

    @property
    def n(self) -> int:
        return self.train.n

    def point(self, m: int, *, seed: int, device: str) -> AutoencoderParams:
        """The trainer's params at grid point ``m``."""
        return dataclasses.replace(self.train, m=m, seed=seed, device=device)


@dataclass(frozen=True, repr=False)
class CollisionMeasurements:
    m: np.ndarray  # (G,) grid
    counts: list[np.ndarray]  # per grid point: polysemantic neurons per instance
    learned: np.ndarray  # (G,) features with a weight in [lo, hi], summed over instances
    pairs: int  # neurons holding exactly two features, over the whole grid
    opposite_pairs: int  # of which with opposite signs
    crowded: int  # neurons holding three or more features
    seconds: np.ndarray  # (G,) training time per grid point


def derive(p: CollisionParams) -> Derivation:
    exact = collisions.exact_expectation()
    return Derivation(
        expr=exact,
        extra={"leading": collisions.leading_term(), "series": collisions.series(3)},
        values={f"exact(m={m})": collisions.predict_exact(p.n, m) for m in p.m}
        | {f"leading(m={m})": collisions.predict_leading(p.n, m) for m in p.m},
    )


@dataclass(frozen=True)
class _GridPoint:
    """One independent training run of the grid (picklable: it may run in another process)."""

    params: AutoencoderParams
    lo: float
    hi: float


def _train_point(point: _GridPoint) -> tuple[np.ndarray, int, int, int, int, float]:
    out = train(point.params)
    c = PolysemanticCount(out.W_final, lo=point.lo, hi=point.hi)
    return (
        c.count.astype(float),
        int(c.learned.sum()),
        int(c.pairs.sum()),
        int(c.opposite_pairs.sum()),
        int(c.crowded.sum()),
        out.seconds,
    )


def simulate(p: CollisionParams, ctx: Context) -> CollisionMeasurements:
    points = [
        _GridPoint(
            p.point(m, seed=ctx.seed_for("collision-count", p.n, m), device=ctx.device), p.lo, p.hi
        )
        for m in p.m
    ]
    rows = ctx.map(_train_point, points, label="collision-count: grid of m")
    counts, learned, pairs, opposite, crowded, secs = zip(*rows)
    return CollisionMeasurements(
        m=np.asarray(p.m, float),
        counts=list(counts),
        learned=np.asarray(learned),
        pairs=sum(pairs),
        opposite_pairs=sum(opposite),
        crowded=sum(crowded),
        seconds=np.asarray(secs),
    )


MIN_LEARNED = 0.95  # below this fraction of learned features the count means nothing (regime guard)


class OutsideRegime(RuntimeError):
    """The simulation left the regime where the claim is about anything (features not learned)."""


def check_regime(meas: CollisionMeasurements, p: CollisionParams) -> None:
    """Raise :class:`OutsideRegime` when too few features were learned for the count to mean anything."""
    learned = meas.learned.sum() / (p.n * p.train.instances * len(p.m))
    if learned < MIN_LEARNED:
        raise OutsideRegime(
            f"only {learned:.1%} of features were learned (a weight in [{p.lo}, {p.hi}]); the count is "
            f"meaningless below {MIN_LEARNED:.0%} (train longer, or smaller m: catalogue n = 64 at m >= 32768)"
        )


SLOPE = FitSpec(
    "slope",
    "exponent b of mean count ∝ m^b (Poisson fit, bootstrap over instances)",
    0.25,
    why="catalogue P1-COUNT: −1 ± 0.25; on an 8n…64n grid the exact static model's own exponent is −0.977",
)
RATIO = FitSpec(
    "ratio",
    "pooled count / (n(n−1)/4m)",
    0.35,
    why="catalogue: within ±35 % of n(n−1)/4m; the −(n−2)/2m correction is ≤ 6 % on an 8n…64n grid",
)
OPPOSITE = FitSpec(
    "opposite-sign",
    "fraction of two-feature neurons whose features have opposite signs",
    0.1,
    why="sign condition: same-sign co-residents repel (Clopper-Pearson interval over neurons)",
)


def fit(meas: CollisionMeasurements, d: Derivation, p: CollisionParams, judge: Judge) -> list[Fit]:
    """The paper's claim: exponent, level against n(n−1)/4m, opposite signs."""
    check_regime(meas, p)
    slope = fitting.poisson_slope(meas.m, meas.counts, rng=judge.rng, confidence=judge.level)
    leading = [collisions.predict_leading(p.n, int(m)) for m in meas.m]
    ratio = fitting.ratio_ci(meas.counts, leading, rng=judge.rng, confidence=judge.level)
    opp = fitting.proportion_ci(meas.opposite_pairs, max(meas.pairs, 1), confidence=judge.level)
    return [
        judge.fit("slope", predicted=-1.0, estimate=slope),
        judge.fit("ratio", predicted=1.0, estimate=ratio),
        judge.fit("opposite-sign", predicted=1.0, estimate=opp),
    ]


def same_sign(fits: list[Fit], meas: Any, p: Any, judge: Judge) -> list[Fit]:
    """Mutant: signs play no role, so half the two-feature neurons would be same-signed."""
    return [f.mutant(predicted=0.5) for f in fits if f.key == "opposite-sign"]


def controls(n: int) -> tuple[Control, ...]:
    """The mutants of both collision claims (n: the standard scale's features)."""
    return (
        Control(
            "n2-over-2m",
            "the count is n²/(2m) (no factor ½ from the sign condition)",
            predict={"ratio": 2.0 * n / (n - 1)},
        ),
        Control("slope-half", "the count falls as m^(−1/2)", predict={"slope": -0.5}),
        Control(
            "same-sign",
            "collisions are sign-blind: half the co-resident pairs share a sign",
            refit=same_sign,
        ),
    )


def plot(result: Result[CollisionMeasurements], outdir: Path) -> list[Path]:
    """Two panels. Left, log-log: the mean count per m with the 95 % interval of the mean over
    instances (dark) and the means of groups of instances (faint: the replicate spread), the static model's
    exact expectation and its leading term n(n−1)/4m (both sympy), and the fitted power law with
    the band swept by the slope's confidence interval. Right: the count over n(n−1)/4m per m, the
    exact model's ratio, and the pooled-ratio fit with its interval."""
    from ..fitting import mean_ci
    from ..plotting import (
        fit_or_none,
        grid_ticks,
        group_means,
        new_figure,
        plain_log_ticks,
        power_law_band,
        save,
    )

    meas, p = result.measurements, result.params
    assert meas is not None
    n = int(p["train"]["n"])
    m = np.asarray(meas.m, dtype=float)
    instances = [len(c) for c in meas.counts]
    means = np.array([c.mean() for c in meas.counts])
    cis = np.array([mean_ci(c).ci for c in meas.counts])
    leading = np.array([collisions.predict_leading(n, int(v)) for v in m])
    grid = np.geomspace(m.min() / 1.15, m.max() * 1.15, 200)
    exact_grid = np.array([collisions.predict_exact(n, g) for g in grid])
    lead_grid = np.array([collisions.predict_leading(n, g) for g in grid])

    fig, (ax, rax) = new_figure(2, width=5.6, height=4.3)
    groups = [group_means(c) for c in meas.counts]
    positive = [g[g > 0] for g in groups]
    lows = [float(v.min()) for v in positive if v.size] + [
        float(means[means > 0].min()) if np.any(means > 0) else 1.0
    ]
    floor = 0.6 * min(min(lows), float(exact_grid.min()))
    size = len(meas.counts[0]) // max(len(groups[0]), 1)
    jitter = np.exp(np.linspace(-0.04, 0.04, max(len(g) for g in groups)))
    for j, (mj, g) in enumerate(zip(m, positive)):
        ax.plot(
            mj * jitter[: g.size],
            g,
            ".",
            color="C0",
            alpha=0.35,
            ms=4,
            label=f"mean of each group of {size} instances" if j == 0 else None,
        )
    shown = means > 0
    ax.errorbar(
        m[shown],
        means[shown],
        yerr=[means[shown] - np.maximum(cis[shown, 0], floor), cis[shown, 1] - means[shown]],
        fmt="o",
        color="C0",
        capsize=3,
        label="mean of all instances, 95 % CI",
    )
    ax.plot(grid, exact_grid, "-", color="C1", label="static model, exact (sympy)")
    ax.plot(grid, lead_grid, "--", color="C2", label="n(n−1)/4m (leading order)")
    slope = fit_or_none(result, "slope")
    if slope is not None:
        lo, hi = slope.ci
        ax.plot(
            grid,
            power_law_band(m, meas.counts, [slope.fitted], grid)[0],
            "-",
            color="C3",
            lw=1.2,
            label=rf"fit $\propto m^{{{slope.fitted:.2f}}}$ (Poisson MLE)",
        )
        if np.isfinite(lo) and np.isfinite(hi):
            band = power_law_band(m, meas.counts, np.linspace(lo, hi, 21), grid)
            ax.fill_between(
                grid,
                band.min(0),
                band.max(0),
                color="C3",
                alpha=0.15,
                lw=0,
                label=f"slope {slope.confidence:.1%} CI [{lo:.2f}, {hi:.2f}]",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    top = max(
        [float(v.max()) for v in positive if v.size]
        + [float(exact_grid.max()), float(cis[:, 1].max())]
    )
    ax.set_ylim(floor, top * 1.8)
    plain_log_ticks(ax.yaxis)
    grid_ticks(ax, m)
    ax.set_xlabel("hidden neurons m (neurons)")
    ax.set_ylabel("polysemantic neurons per model (neurons)")
    ax.set_title("count against m (log-log)")
    ax.legend(fontsize=7.5)

    ratio_means = means / leading
    ratio_cis = cis / leading[:, None]
    rax.errorbar(
        m,
        ratio_means,
        yerr=[ratio_means - ratio_cis[:, 0], ratio_cis[:, 1] - ratio_means],
        fmt="o",
        color="C0",
        capsize=3,
        label="mean / n(n−1)/4m, 95 % CI",
    )
    rax.plot(grid, exact_grid / lead_grid, "-", color="C1", label="exact / leading (sympy)")
    rax.axhline(1.0, ls="--", color="C2", lw=1, label="leading order: 1")
    ratio = fit_or_none(result, "ratio")
    if ratio is not None:
        rax.axhline(ratio.fitted, color="C3", lw=1.2, label=f"pooled ratio {ratio.fitted:.3f}")
        if np.all(np.isfinite(ratio.ci)):
            rax.axhspan(
                *ratio.ci,
                color="C3",
                alpha=0.15,
                lw=0,
                label=f"{ratio.confidence:.1%} CI [{ratio.ci[0]:.3f}, {ratio.ci[1]:.3f}]",
            )
    rax.set_xscale("log")
    grid_ticks(rax, m)
    rax.set_xlabel("hidden neurons m (neurons)")
    rax.set_ylabel("count / (n(n−1)/4m) (dimensionless)")
    rax.set_title("level against the leading term")
    rax.legend(fontsize=7.5, loc="best", framealpha=0.8)
    per = f"{instances[0]}" if len(set(instances)) == 1 else f"{min(instances)}–{max(instances)}"
    fig.suptitle(
        f"{result.claim_id}: n = {n} features, {p['train']['optimizer']}, {per} instances per m",
        fontsize=10,
    )
    return [save(fig, outdir / f"{result.claim_id}.png")]


def _strategy() -> Any:
    """Overrides of the smoke params where the claim should hold: gradient descent, n ≪ m
    (m = 8n…32n), enough instances for ≈ 150 collisions; judged at a family-wise 0.999 so that a
    property-test failure means the theory broke, not a 5 % chance."""
    from hypothesis import strategies as st

    @st.composite
    def draw(draw_: Any) -> dict[str, Any]:
        n = draw_(st.integers(6, 12), label="n")
        lo = draw_(st.sampled_from([8, 10, 12]), label="m_min/n")
        m = tuple(int(n * lo * 2**k) for k in range(3))
        expected = sum(n * (n - 1) / (4 * x) for x in m)
        return {
            "train.n": n,
            "m": m,
            "train.instances": int(min(600, max(32, 150 / expected))),
            "train.steps": 600,
            "train.optimizer": "sgd",
            "train.lr": 0.1,
            "train.l1": 0.1,
            "confidence": 0.999,
        }

    return draw()


FALSE_FAILURE = (
    "k fits (3; 4 with the exact-model ratio) at Bonferroni level 1 − 0.05/k each: nominally ≤ 5 %. "
    "Measured over seeds 0–19 (benchmarks/false_failure.py): collision-count met its expectation in "
    "17/20 (slope off twice — once fail, once inconclusive — ratio once), i.e. ≈ 15 %, because the "
    "gradient-descent count is ≈ 1.04 × n(n−1)/4m with exponent ≈ −0.97 (4096 models per grid end), "
    "a few per cent that 1024 instances per m sometimes resolve; collision-count-adamw met it in 19/20 "
    "(its slope deviation was not reached once). Every control was rejected in all 20 seeds."
)

STANDARD = CollisionParams()
PAPER = (
    CollisionParams(  # the paper code: torch AdamW's default weight decay 0.01, n = 256, m = n…16n
        train=AutoencoderParams(
            n=256, instances=16, steps=7500, optimizer="adamw", lr=1e-3, l1=1e-3, weight_decay=0.01
        ),
        m=tuple(range(256, 4097, 256)),
    )
)
SMOKE = CollisionParams(
    train=dataclasses.replace(STANDARD.train, n=8, instances=32, steps=300),
    m=(64, 128),
)

COLLISION_COUNT = Claim(
    id="collision-count",
    title="Polysemantic neurons ≈ n(n−1)/4m, with opposite-sign co-residents",
    statement=(
        "Trained from a random init, the number of neurons holding two features is ≈ n(n−1)/(4m) "
        "(exponent −1 in m), and the two features on such a neuron have opposite signs."
    ),
    source="Lecomte et al. 2312.03096, 'number of polysemantic neurons' (Fig. 3); catalogue P1-COUNT, P1-SIGN",
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=(SLOPE, RATIO, OPPOSITE),
    fit=fit,
    controls=controls(STANDARD.n),
    false_failure=FALSE_FAILURE,
    plot=plot,
    strategy=_strategy,
    paper_figures=paper_figures.collisions,
)

CLAIM = COLLISION_COUNT
