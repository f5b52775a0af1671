"""Claim ``collision-scaling``: the collision count across n and m/n, under AdamW and under GD.

The paper's law n²/4m was measured at one n (256) and m = n…16n; the project's measurements at
n = 16 and n = 256 disagree in exponent. This claim crosses the two axes: n (≥ 3 values) × m/n ∈
{1, 2, 4, 8, 16}, under the paper's AdamW (lr 1e-3, λ 1e-3, weight decay 0.01, 7500 steps) and,
beside it, gradient descent at collision-count's settings (lr = λ = 0.1, 800 steps). Per n and
optimizer it fits the count's exponent in m and its pooled level against the exact static model
(``theory.collisions``), whether the count had settled (the count at half the steps against the
end) and whether the features were learned; across n, the trend of level and exponent.

The mechanism, derived before it was measured (``theory.collision_scaling``): the static model
counts the *initial* placement, but a same-sign collision resolves by displacement — one feature
moves to its next-best neuron, where it can meet an opposite sign. The end state is n features on
distinct (neuron, sign) slots, and its expectation n(n−1)/(2(2m − 1)) (the hard-core model) is the
paper's n²/4m to a relative 1/2m, ≈ 1.6× the static model at m = n. And the static argument never
needed the initial argmax to win — only a neuron-symmetric, sign-blind rule: under AdamW the
initial argmax wins few features, yet the winner comes from the top of its initial row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sim import ParamError, check_int
from sim.autoencoder import AutoencoderParams, OptimiserParams
from sim.metrics import HI, LO
from theory import collision_scaling, collisions

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Deviation, Fit, FitSpec, Judge
from ._init_winner import ARGMAX_FLOOR, RANDOM_WINNER_TOL
from ._scaling_cells import OPTS, Cell, Job, Opt, train_cell
from ._shared import check_confidence, num, property_strategy
from .collision_count import MIN_LEARNED, RATIO_TOL, SLOPE_TOL

__all__ = ["CLAIM", "ScalingMeasurements", "ScalingParams"]

CONVERGED_TOL = 0.2  # the count at half the steps within ±20 % of the end's: settled
TREND_TOL = SLOPE_TOL / 2  # per doubling of n: the exponent moves < 0.25 over n = 16…64
LEVEL_TREND_TOL = 0.25  # d log level / d log n: a level drifting < 1.41× over n = 16…64
NO_MEMORY_RANK = 0.5  # a winner drawn at random from m neurons: mean initial rank/(m−1) = ½
# the cells where the argmax fractions are judged: the grid's largest m/n, inside init-diagonal's
# regime n/m <= 1/8 (at m/n = 8 gradient descent's fraction sits at the floor: 0.66–0.72)
ARGMAX_RATIO = 16
# the displacement level's band, in units of the static level: the grid's hard-core level ≈ 1.36
# ± 0.2, a sixth of the level; the static model's 1 lies 0.16 outside it
DISPLACEMENT_TOL = 0.2

_ADAMW = AutoencoderParams(  # the paper code's optimizer (n and m set per cell)
    optimiser=OptimiserParams(kind="adamw", lr=1e-3, l1=1e-3, weight_decay=0.01, steps=7500),
)
_SGD = AutoencoderParams(  # collision-count's gradient descent (n and m set per cell)
    optimiser=OptimiserParams(kind="sgd", lr=0.1, l1=0.1, weight_decay=0.0, steps=800),
)


@dataclass(frozen=True)
class ScalingParams:
    """The grid n × m/n; every cell trains ``instances`` models per optimizer from independent
    inits."""

    GRID_SET: ClassVar[tuple[str, ...]] = (
        "adamw.model.n",
        "adamw.model.m",
        "adamw.instances",
        "sgd.model.n",
        "sgd.model.m",
        "sgd.instances",
    )  # the grid sets each cell's n, m and instances

    adamw: AutoencoderParams = _ADAMW  # the paper's AdamW (its n, m, instances set per cell)
    sgd: AutoencoderParams = _SGD  # gradient descent at collision-count's settings
    n: tuple[int, ...] = (16, 32, 64)  # features: the n axis (≥ 3 values for a trend)
    ratios: tuple[int, ...] = (1, 2, 4, 8, 16)  # m/n: the m axis, as the paper's m = n…16n
    # AdamW models per cell at each n (≈ 90–180 static collisions per n; n = 64 costs ≈ 13 s a
    # model on 1 core, the claim's largest share)
    instances: tuple[int, ...] = (32, 12, 4)
    # gradient-descent models per cell at each n (3–6× AdamW's: 800 steps cost ≈ 1/9 of 7500;
    # 24 at n = 64 keep the level's interval (≈ ±0.1) off the band's edge, 12 did not at seed 501)
    sgd_instances: tuple[int, ...] = (96, 48, 24)
    # per n, gradient descent runs at lr/k for k× the steps: the same gradient-flow time lr·steps,
    # for an n where lr = 0.1 is past the stability edge (it diverges at n = m = 256, step 7)
    sgd_slowdown: tuple[int, ...] = (1, 1, 1)
    lo: float = LO  # a feature is "on" a neuron when lo <= |W_ik| <= hi (the paper's rule)
    hi: float = HI  # upper end of that window
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

    def __post_init__(self) -> None:
        if len(self.n) < 3 or len(set(self.n)) != len(self.n):
            raise ParamError("n", self.n, "at least three distinct values, e.g. 16,32,64")
        if len(self.ratios) < 2 or len(set(self.ratios)) != len(self.ratios):
            raise ParamError("ratios", self.ratios, "at least two distinct m/n, e.g. 1,2,4,8,16")
        for name in ("instances", "sgd_instances", "sgd_slowdown"):
            if len(getattr(self, name)) != len(self.n):
                raise ParamError(name, getattr(self, name), f"one count per n ({len(self.n)})")
        for v in self.n:
            check_int("n", v, 4)
        for v in self.ratios:
            check_int("ratios", v, 1)
        for v in self.instances:
            check_int("instances", v, 2)
        for v in self.sgd_instances:
            check_int("sgd_instances", v, 2)
        for v in self.sgd_slowdown:
            check_int("sgd_slowdown", v, 1)
        for name in OPTS:
            kind = getattr(self, name).optimiser.kind
            if (kind == "sgd") != (name == "sgd"):
                raise ParamError(f"{name}.optimiser.kind", kind, f"the {name} arm's optimizer")
        check_confidence(self.confidence)

    def cells(self) -> list[tuple[Opt, int, int, int]]:
        """(optimizer, n, m, instances) of every cell, in grid order."""
        per = {"adamw": self.instances, "sgd": self.sgd_instances}
        return [
            (o, n, n * r, b)
            for o in OPTS
            for n, b in zip(self.n, per[o], strict=True)
            for r in self.ratios
        ]


@dataclass(frozen=True, repr=False)
class ScalingMeasurements:
    cells: list[Cell]

    def select(self, opt: Opt, n: int | None = None) -> list[Cell]:
        return [c for c in self.cells if c.opt == opt and (n is None or c.n == n)]


def _arm(p: ScalingParams, o: Opt, n: int) -> AutoencoderParams:
    """The optimizer's settings at n: gradient descent's lr divided and its steps multiplied by
    that n's ``sgd_slowdown`` (1 leaves collision-count's lr = 0.1, 800 steps)."""
    if o == "adamw":
        return p.adamw
    k = dict(zip(p.n, p.sgd_slowdown, strict=True))[n]
    if k == 1:
        return p.sgd
    opt = p.sgd.optimiser
    return p.sgd.replace(optimiser={"lr": opt.lr / k, "steps": opt.steps * k})


def simulate(p: ScalingParams, ctx: Context) -> ScalingMeasurements:
    jobs = [
        Job(
            o,
            _arm(p, o, n).replace(
                model={"n": n, "m": m},
                instances=b,
                seed=ctx.seed_for("collision-scaling", o, n, m),
                device=ctx.device,
                log_points=1,
            ),
            p.lo,
            p.hi,
        )
        for o, n, m, b in p.cells()
    ]
    return ScalingMeasurements(ctx.map(train_cell, jobs, label="collision-scaling: n × m/n"))


def derive(p: ScalingParams) -> Derivation:
    values = {
        f"exact(n={n},m={n * r})": collisions.predict_exact(n, n * r) for n in p.n for r in p.ratios
    }
    values |= {f"exponent(n={n})": _hard_core_exponent(p, n) for n in p.n}
    values |= {f"level(n={n})": _hard_core_level(p, (n,)) for n in p.n}
    values |= {f"c(r={r})": collision_scaling.predict_fixed_ratio_coefficient(r) for r in p.ratios}
    return Derivation(
        expr=collision_scaling.hard_core_expectation(),
        extra={
            "static": collisions.exact_expectation(),
            "c(r)": collision_scaling.fixed_ratio_coefficient(),
            "sign-blind": collision_scaling.sign_blind_expectation(),
            "heterogeneity-excess": collision_scaling.heterogeneity_excess(),
        },
        values=values
        | {
            "hard-core/static": _hard_core_level(p),
            "hard-core-trend": _hard_core_trend(p),
            "uniform-placement-ratio": collision_scaling.uniform_placement_ratio(),
            "n-exponent": collision_scaling.fixed_ratio_n_exponent(),
        },
    )


def _exact_exponent(p: ScalingParams, n: int) -> float:
    return collisions.exact_exponent(n, [n * r for r in p.ratios])


def _hard_core_exponent(p: ScalingParams, n: int) -> float:
    return collision_scaling.hard_core_exponent(n, [n * r for r in p.ratios])


def _hard_core_level(p: ScalingParams, ns: tuple[int, ...] | None = None) -> float:
    """Σ hard-core / Σ static over the cells of ``ns`` (default every n): the displacement
    model's level in units of the static model, the unit the fits measure in."""
    ns = p.n if ns is None else ns
    cells = [(n, n * r) for n in ns for r in p.ratios]
    hc = sum(collision_scaling.predict_hard_core(n, m) for n, m in cells)
    return hc / sum(collisions.predict_exact(n, m) for n, m in cells)


def _hard_core_trend(p: ScalingParams) -> float:
    """The displacement model's d log(level against the static model) / d log n over p.n."""
    y = np.log([_hard_core_level(p, (n,)) for n in p.n])
    return float(fitting.ols_slope(np.log(np.array(p.n, float)), y))


_OPT_WORDS = {"adamw": "AdamW", "sgd": "gradient descent"}


def specs(p: ScalingParams) -> tuple[FitSpec, ...]:
    """Per optimizer: per n the exponent, the level, settling and learning; across n the trend of
    level and exponent; the displacement level; and the mechanism's two measurements of who wins."""
    lo, hi = min(p.n), max(p.n)
    big = [r for r in p.ratios if r >= ARGMAX_RATIO]
    out: list[FitSpec] = []
    for o in OPTS:
        w = _OPT_WORDS[o]
        for n in p.n:
            out += [
                FitSpec(
                    f"slope-{o}-n{n}",
                    f"{w}, n = {n}: exponent of the count in m (Poisson fit over m = "
                    f"{min(p.ratios)}n…{max(p.ratios)}n)",
                    SLOPE_TOL,
                    why=f"catalogue P1-COUNT's ±{SLOPE_TOL:g} around the displacement model's own "
                    f"exponent on this grid, {num(_hard_core_exponent(p, n))} (the exact static "
                    f"model's: {num(_exact_exponent(p, n))})",
                ),
                FitSpec(
                    f"level-{o}-n{n}",
                    f"{w}, n = {n}: pooled count / exact static expectation",
                    RATIO_TOL,
                    why=f"catalogue P1-COUNT's ±{RATIO_TOL:g} around the displacement model's "
                    f"level here, {_hard_core_level(p, (n,)):.3f} of the static model",
                ),
                FitSpec(
                    f"settled-{o}-n{n}",
                    f"{w}, n = {n}: pooled count at half the steps / count at the end",
                    CONVERGED_TOL,
                    why=f"a count still moving by > {100 * CONVERGED_TOL:g} % over the second "
                    "half of training is not the law's count",
                ),
                FitSpec(
                    f"learned-{o}-n{n}",
                    f"{w}, n = {n}: fraction of features with a weight in [{p.lo:g}, {p.hi:g}]",
                    relation=">",
                    why=f"collision-count's regime guard: below {MIN_LEARNED:.0%} learned the "
                    "count means nothing",
                ),
            ]
        out += [
            FitSpec(
                f"trend-level-{o}",
                f"{w}: d log(count / static) / d log n over n = {lo}…{hi}",
                LEVEL_TREND_TOL,
                why=f"the count at fixed m/n grows as c(r)·n (sympy: exponent "
                f"{num(collision_scaling.fixed_ratio_n_exponent())}), so its level against the "
                f"static model hardly drifts (displacement model: {num(_hard_core_trend(p))}); "
                f"±{LEVEL_TREND_TOL:g} is a drift < {(hi / lo) ** LEVEL_TREND_TOL:.2f}× over "
                "the range",
            ),
            FitSpec(
                f"trend-slope-{o}",
                f"{w}: change of (exponent − the displacement model's) per doubling of n",
                TREND_TOL,
                why=f"the model's exponent on m = n…{max(p.ratios)}n hardly depends on n "
                f"({num(_hard_core_exponent(p, lo))} at n = {lo}, "
                f"{num(_hard_core_exponent(p, hi))} at n = {hi}); ±{TREND_TOL:g} per doubling "
                f"keeps the exponent within the claim's ±{SLOPE_TOL:g} over two doublings",
            ),
            FitSpec(
                f"displacement-{o}",
                f"{w}: pooled count / static expectation over every cell, against the "
                "displacement (hard-core) model",
                DISPLACEMENT_TOL,
                effect=_hard_core_level(p) - 1,
                why=f"the hard-core model n(n−1)/(2(2m−1)) (theory.collision_scaling) sits at "
                f"{_hard_core_level(p):.3f} of the static model pooled over the grid; "
                f"±{DISPLACEMENT_TOL:g} keeps the static model's 1 outside the band",
            ),
        ]
    out += [
        FitSpec(
            "argmax-adamw",
            f"AdamW: fraction of features won by their initial argmax at m/n ≥ {ARGMAX_RATIO} "
            "(pooled)",
            relation="<",
            why=f"init-diagonal's floor: the initial argmax decides where it wins ≥ "
            f"{ARGMAX_FLOOR:.0%}, at n/m ≤ 1/8 (judged at m/n = {big})",
        ),
        FitSpec(
            "argmax-sgd",
            f"gradient descent: fraction of features won by their initial argmax at m/n ≥ "
            f"{ARGMAX_RATIO} (pooled)",
            relation=">",
            why=f"the static model's premise (catalogue P1-CORR): the argmax wins ≥ "
            f"{ARGMAX_FLOOR:.0%} at n/m ≤ 1/8 (judged at m/n = {big})",
        ),
        FitSpec(
            "rank-adamw",
            "AdamW: the winner's initial rank among the m neurons, over m − 1 (pooled mean)",
            relation="<",
            why=f"a winner with no memory of the init sits at {NO_MEMORY_RANK:g} on average; "
            "below it, the init still narrows the winner to the top of its row",
        ),
    ]
    return tuple(out)


def _pooled(num_: list[np.ndarray], den: list[np.ndarray], judge: Judge) -> fitting.Estimate:
    """Σ_cells mean(num) / Σ_cells mean(den) with a bootstrap over each cell's instances (each
    cell's two arrays resampled together: they are the same instances)."""
    samples = [np.stack([a, b]) for a, b in zip(num_, den, strict=True)]

    def stat(*cs: np.ndarray, axis: int = -1) -> np.ndarray:
        top = sum(c[0].mean(axis=axis) for c in cs)
        bottom = sum(c[1].mean(axis=axis) for c in cs)
        return top / bottom

    return fitting.bootstrap(samples, stat, rng=judge.rng, confidence=judge.level)


def _trend(cells: list[Cell], p: ScalingParams, judge: Judge, what: str) -> fitting.Estimate:
    """Across n: the OLS slope of log(count / static) on log n (``what="level"``) or of
    (exponent − the displacement model's) on log₂ n (``what="slope"``), bootstrapped over every
    cell's instances."""
    ns = np.array([c.n for c in cells])
    b = np.array([len(c.count) for c in cells], float)
    m = np.array([c.m for c in cells], float)
    exact = np.array([collisions.predict_exact(c.n, c.m) for c in cells])
    x = np.log(np.array(p.n, float)) if what == "level" else np.log2(np.array(p.n, float))
    model = np.array([_hard_core_exponent(p, n) for n in p.n])

    def stat(*cs: np.ndarray, axis: int = -1) -> np.ndarray:
        means = np.stack([c.mean(axis=axis) for c in cs], axis=-1)  # (..., cells)
        ys = []
        for n in p.n:
            sel = ns == n
            if what == "level":
                ys.append(np.log(means[..., sel].sum(-1) / exact[sel].sum()))
            else:
                ys.append(fitting.poisson_exponent(m[sel], means[..., sel] * b[sel], b[sel]))
        y = np.stack(ys, axis=-1)
        return fitting.ols_slope(x, y - model if what == "slope" else y)

    return fitting.bootstrap([c.count for c in cells], stat, rng=judge.rng, confidence=judge.level)


def fit(meas: ScalingMeasurements, d: Derivation, p: ScalingParams, judge: Judge) -> list[Fit]:
    fits: list[Fit] = []
    for o in OPTS:
        for n in p.n:
            cells = meas.select(o, n)
            counts = [c.count for c in cells]
            exact = [d.values[f"exact(n={n},m={c.m})"] for c in cells]
            learned = np.sum([c.learned for c in cells], axis=0) / (n * len(cells))
            fits += [
                judge.fit(
                    f"slope-{o}-n{n}",
                    predicted=d.values[f"exponent(n={n})"],
                    estimate=fitting.poisson_slope(
                        [c.m for c in cells], counts, rng=judge.rng, confidence=judge.level
                    ),
                ),
                judge.fit(
                    f"level-{o}-n{n}",
                    predicted=d.values[f"level(n={n})"],
                    estimate=fitting.ratio_ci(counts, exact, rng=judge.rng, confidence=judge.level),
                ),
                judge.fit(
                    f"settled-{o}-n{n}",
                    predicted=1.0,
                    estimate=_pooled([c.half for c in cells], counts, judge),
                ),
                judge.fit(
                    f"learned-{o}-n{n}",
                    predicted=MIN_LEARNED,
                    estimate=fitting.mean_ci(learned, confidence=judge.level)
                    if np.ptp(learned) > 0
                    else (float(learned.mean()),) * 3,
                ),
            ]
        every = meas.select(o)
        exact = [d.values[f"exact(n={c.n},m={c.m})"] for c in every]
        fits += [
            judge.fit(
                f"trend-level-{o}",
                predicted=d.values["hard-core-trend"],
                estimate=_trend(every, p, judge, "level"),
            ),
            judge.fit(f"trend-slope-{o}", predicted=0.0, estimate=_trend(every, p, judge, "slope")),
            judge.fit(
                f"displacement-{o}",
                predicted=d.values["hard-core/static"],
                estimate=fitting.ratio_ci(
                    [c.count for c in every], exact, rng=judge.rng, confidence=judge.level
                ),
            ),
        ]
    for o in OPTS:
        big = [c for c in meas.select(o) if c.m >= ARGMAX_RATIO * c.n]
        fits.append(
            judge.fit(
                f"argmax-{o}",
                predicted=ARGMAX_FLOOR,
                estimate=_pooled(
                    [c.argmax for c in big], [np.full_like(c.argmax, c.n) for c in big], judge
                ),
            )
        )
    cells = meas.select("adamw")
    fits.append(
        judge.fit(
            "rank-adamw",
            predicted=NO_MEMORY_RANK,
            estimate=_pooled(
                [c.rank for c in cells],
                [np.full_like(c.rank, c.n * (c.m - 1)) for c in cells],
                judge,
            ),
        )
    )
    return fits


def sign_blind(
    fits: list[Fit], meas: ScalingMeasurements, p: ScalingParams, judge: Judge
) -> list[Fit]:
    """Mutant: every co-resident pair survives whatever its signs: the pooled level is the
    sign-blind expectation's over the static one (≈ 1.8×), from theory.collision_scaling."""
    cells = [(n, n * r) for n in p.n for r in p.ratios]
    blind = sum(collision_scaling.predict_sign_blind(n, m) for n, m in cells)
    static = sum(collisions.predict_exact(n, m) for n, m in cells)
    return [f.mutant(predicted=blind / static) for f in fits if f.key.startswith("displacement-")]


def flat(fits: list[Fit], meas: ScalingMeasurements, p: ScalingParams, judge: Judge) -> list[Fit]:
    """Mutant: under gradient descent the count does not fall with m, at any n (exponent 0)."""
    return [f.mutant(predicted=0.0) for f in fits if f.key.startswith("slope-sgd-")]


def argmax_decides(
    fits: list[Fit], meas: ScalingMeasurements, p: ScalingParams, judge: Judge
) -> list[Fit]:
    """Mutant: the initial argmax decides under AdamW as under gradient descent (≥ the floor)."""
    return [f.mutant(relation=">") for f in fits if f.key == "argmax-adamw"]


def no_memory(
    fits: list[Fit], meas: ScalingMeasurements, p: ScalingParams, judge: Judge
) -> list[Fit]:
    """Mutant: the winner is a uniformly random neuron, its mean initial rank/(m − 1) exactly ½
    (judged as a point, ± the random-winner band of ``_init_winner``)."""
    return [
        f.mutant(predicted=NO_MEMORY_RANK, relation="==", tolerance=RANDOM_WINNER_TOL)
        for f in fits
        if f.key == "rank-adamw"
    ]


CONTROLS = (
    Control(
        "sign-blind",
        "co-resident features survive whatever their signs (no factor ½: ≈ n²/2m)",
        refit=sign_blind,
    ),
    Control("flat", "under gradient descent the count does not fall with m", refit=flat),
    Control(
        "argmax-decides",
        "under AdamW the initial argmax wins, as under gradient descent",
        refit=argmax_decides,
    ),
    Control(
        "no-memory",
        "under AdamW the winner keeps no memory of the init (mean initial rank (m − 1)/2)",
        refit=no_memory,
    ),
)


def false_failure(p: ScalingParams, judge: Judge) -> str:
    per = {"adamw": p.instances, "sgd": p.sgd_instances}
    expected = {
        o: sum(
            b * sum(collisions.predict_exact(n, n * r) for r in p.ratios)
            for n, b in zip(p.n, per[o], strict=True)
        )
        for o in OPTS
    }
    return (
        f"{judge.family_sentence()}; an interval straddling a band edge reads inconclusive. "
        f"n = {', '.join(map(str, p.n))} × m/n = {', '.join(map(str, p.ratios))}; "
        f"{', '.join(map(str, p.instances))} AdamW and {', '.join(map(str, p.sgd_instances))} "
        f"gradient-descent instances per cell at each n: ≈ {expected['adamw']:.0f} and "
        f"≈ {expected['sgd']:.0f} static collisions."
        + "".join(
            f" Gradient descent at n = {n}: lr/{k} for {k}× the steps (lr = 0.1 diverges there)."
            for n, k in zip(p.n, p.sgd_slowdown, strict=True)
            if k > 1
        )
    )


def _measured(fitted: str, verdicts: str, cause: str, detail: str = "") -> str:
    """A deviation's reason: what the 20-seed sweep measured, then why."""
    return (
        f"measured over seeds 0–19 (benchmarks/false_failure.jsonl): fitted {fitted}; "
        f"{verdicts}; the range is the union of the 20 intervals. {cause}"
        + (f": {detail}" if detail else "")
    )


_UNSETTLED = (
    "AdamW at the paper's 7500 steps has not settled at m/n ≤ 2: the count at half the steps is "
    "0 at m = n and below the end's at m = 2n (settled-adamw-n*), and at n = 16 ≈ 9 % of the "
    "features are unlearned, so the end counts at small m/n are still rising and the fit "
    "measures an unfinished count"
)
_UNDERPOWERED = (
    "the interval (four AdamW models per cell at n = 64, twelve at n = 32) is about as wide as "
    "the band: the fit rarely decides at this scale (a pass where the value falls near the "
    "prediction, as at the fresh seed 501), and the unfinished counts at m/n ≤ 2 "
    "(settled-adamw-n*) sit in it"
)
_EDGE = (
    "the value sits inside the band and the interval (≈ ±0.15–0.2 at this scale) reaches the "
    "band's edge at some seeds: inconclusive or pass by the draw"
)
_PARTIAL = (
    "gradient descent's count sits at ≈ 0.92 of the displacement model (at m = n: 0.911 ± 0.012 "
    "at n = 16 and 0.912 ± 0.017 at n = 32 in runs of 512 and 128 models; ≈ 1 from m = 4n): "
    "displacement explains ≈ 75 % of the excess over the static model at m = n — a displaced "
    "feature lands on an occupied neuron a little less often than the hard-core model's uniform "
    "slot — and the interval reaches the band's lower edge at some seeds"
)

DEVIATIONS: dict[str, Deviation] = {
    "slope-adamw-n16": Deviation(
        "inconclusive",
        (-0.99, -0.12),
        _measured(
            "−0.677…−0.402 (mean −0.536)",
            "10 fail, 10 inconclusive",
            _UNSETTLED,
            "the unfinished counts at m = n, 2n flatten the exponent",
        ),
        also=("fail",),
    ),
    "level-adamw-n16": Deviation(
        "inconclusive",
        (0.57, 1.17),
        _measured(
            "0.749…0.966 (mean 0.842)",
            "8 fail, 12 inconclusive",
            _UNSETTLED,
            "the unfinished counts at m = n, 2n pull the level below the displacement model's",
        ),
        also=("fail",),
    ),
    "settled-adamw-n16": Deviation(
        "fail",
        (0.15, 0.48),
        _measured(
            "0.252…0.359 (mean 0.292)",
            "20 fail",
            _UNSETTLED,
            "the count at step 3750 is a quarter to a third of the count at step 7500 "
            "(from m = 8n on the two agree)",
        ),
    ),
    "learned-adamw-n16": Deviation(
        "fail",
        (0.88, 0.95),
        _measured(
            "0.902…0.921 (mean 0.911)",
            "20 fail",
            _UNSETTLED,
            "≈ 9 % of the features are unlearned (≈ 40 % at m = n)",
        ),
    ),
    "slope-adamw-n32": Deviation(
        "inconclusive",
        (-1.44, -0.44),
        _measured("−1.057…−0.677 (mean −0.861)", "20 inconclusive", _UNDERPOWERED),
        also=("pass",),
    ),
    "level-adamw-n32": Deviation(
        "inconclusive",
        (0.74, 1.4),
        _measured("0.938…1.148 (mean 1.054)", "20 inconclusive", _UNDERPOWERED),
        also=("pass",),
    ),
    "settled-adamw-n32": Deviation(
        "fail",
        (0.17, 0.57),
        _measured(
            "0.265…0.434 (mean 0.350)",
            "20 fail",
            _UNSETTLED,
            "the count at step 3750 is a quarter to under half of the count at step 7500",
        ),
    ),
    "learned-adamw-n32": Deviation(
        "pass",
        (0.94, 1.0),
        _measured(
            "0.964…0.980 (mean 0.973)",
            "4 inconclusive, 16 pass",
            _UNSETTLED,
            "at m = n ≈ 16 % of the features are not yet placed; the interval reaches "
            "the floor at some seeds",
        ),
        also=("inconclusive",),
    ),
    "slope-adamw-n64": Deviation(
        "inconclusive",
        (-1.75, -0.54),
        _measured("−1.338…−0.778 (mean −1.055)", "20 inconclusive", _UNDERPOWERED),
        also=("pass",),
    ),
    "level-adamw-n64": Deviation(
        "inconclusive",
        (0.78, 1.61),
        _measured("1.016…1.307 (mean 1.139)", "17 inconclusive, 3 pass", _UNDERPOWERED),
        also=("pass",),
    ),
    "settled-adamw-n64": Deviation(
        "fail",
        (0.2, 0.65),
        _measured(
            "0.319…0.500 (mean 0.394)",
            "20 fail",
            _UNSETTLED,
            "the count at step 3750 is a third to a half of the count at step 7500",
        ),
    ),
    "learned-adamw-n64": Deviation(
        "pass",
        (0.94, 1.04),
        _measured(
            "0.989…0.998 (mean 0.994)",
            "1 inconclusive, 19 pass",
            _UNSETTLED,
            "a few features at m = n are not yet placed; the interval reaches the floor "
            "at one seed",
        ),
        also=("inconclusive",),
    ),
    "trend-level-adamw": Deviation(
        "inconclusive",
        (-0.12, 0.56),
        _measured(
            "0.062…0.369 (mean 0.218)",
            "20 inconclusive",
            _UNSETTLED,
            "the level rises with n because AdamW settles faster at larger n (learned "
            "0.91, 0.97, 0.99 at n = 16, 32, 64)",
        ),
    ),
    "trend-slope-adamw": Deviation(
        "inconclusive",
        (-0.61, 0.11),
        _measured(
            "−0.435…−0.091 (mean −0.264)",
            "6 fail, 14 inconclusive",
            _UNSETTLED,
            "the exponent steepens with n because the small-m/n counts are less "
            "unfinished at larger n",
        ),
        also=("fail",),
    ),
    "displacement-adamw": Deviation(
        "inconclusive",
        (0.87, 1.37),
        _measured(
            "0.997…1.160 (mean 1.073)",
            "5 fail, 15 inconclusive",
            _UNSETTLED,
            "pooled over the grid the level sits between the static model (1) and the "
            "displacement model",
        ),
        also=("fail",),
    ),
    "slope-sgd-n16": Deviation(
        "pass",
        (-1.15, -0.7),
        _measured("−0.992…−0.867 (mean −0.941)", "2 inconclusive, 18 pass", _EDGE),
        also=("inconclusive",),
    ),
    "slope-sgd-n32": Deviation(
        "pass",
        (-1.25, -0.78),
        _measured("−1.073…−0.916 (mean −0.984)", "20 pass", _EDGE),
        also=("inconclusive",),
    ),
    "slope-sgd-n64": Deviation(
        "pass",
        (-1.27, -0.82),
        _measured("−1.109…−0.952 (mean −1.032)", "1 inconclusive, 19 pass", _EDGE),
        also=("inconclusive",),
    ),
    "trend-slope-sgd": Deviation(
        "inconclusive",
        (-0.2, 0.1),
        _measured("−0.093…0.011 (mean −0.051)", "16 inconclusive, 4 pass", _EDGE),
        also=("pass",),
    ),
    "displacement-sgd": Deviation(
        "pass",
        (1.13, 1.37),
        _measured("1.199…1.301 (mean 1.252)", "4 inconclusive, 16 pass", _PARTIAL),
        also=("inconclusive",),
    ),
}


def _paper(fitted: str, cause: str) -> str:
    """A paper-scale deviation's reason: what its one run measured, then why."""
    return (
        "measured at the paper scale on this CPU, seed 0, one run (reports/paper-cpu-scaling/: "
        "AdamW models per cell 64, 32, 16, 16, 8 at n = 16…256; gradient descent at n = 256 at "
        f"lr 0.05 for 1600 steps): fitted {fitted}; the range is that run's interval. {cause}"
    )


_UNSETTLED_PAPER = (
    "AdamW at 7500 steps has not settled at m/n ≤ 2 at any n: the count at half the steps is "
    "0–0.14 of the end's at m = n and 0.06–0.98 at m = 2n (per cell: benchmarks/scaling_table.py)"
)
_BELOW_STATIC = (
    "at n = 256 the settled AdamW count (half/end = 1, every feature learned) sits below the "
    "static model from m = 4n: 0.78, 0.73, 0.55 × static at m/n = 4, 8, 16, while at m = n it is "
    "1.09 × the displacement model (1.76 × static) — fewer collisions than any neuron-symmetric, "
    "sign-blind placement gives, so the exponent is steeper than both models (as "
    "collision-count's own paper-scale run: −1.31 at n = 256, m = n…11n). Proposed, not "
    "derived: AdamW's winner is one of a row's top few entries (rank 7 % down the row), and a "
    "feature with several candidates can avoid an occupied neuron (its resampled rows collide at "
    "≈ 0.4× the uniform rate in `interventions`)"
)

PAPER_DEVIATIONS: dict[str, Deviation] = {
    key: Deviation(expected, rng, _paper(fitted, cause), scales=("paper",))
    for key, expected, rng, fitted, cause in (
        (
            "slope-adamw-n16",
            "inconclusive",
            (-0.82, -0.43),
            "−0.642 [−0.811, −0.436]",
            _UNSETTLED_PAPER + ": the unfinished counts at m = n, 2n flatten the exponent",
        ),
        (
            "level-adamw-n16",
            "fail",
            (0.66, 0.91),
            "0.786 [0.661, 0.907]",
            _UNSETTLED_PAPER + "; at n = 16 37 % of the features are unlearned at m = n",
        ),
        ("settled-adamw-n16", "fail", (0.21, 0.38), "0.291 [0.218, 0.371]", _UNSETTLED_PAPER),
        (
            "learned-adamw-n16",
            "fail",
            (0.89, 0.93),
            "0.912 [0.898, 0.927]",
            _UNSETTLED_PAPER + "; 0.63 of the features are learned at m = n, 0.94 at m = 2n",
        ),
        (
            "slope-adamw-n32",
            "inconclusive",
            (-1.03, -0.63),
            "−0.820 [−1.02, −0.635]",
            _UNSETTLED_PAPER + ": the unfinished counts at m = n, 2n flatten the exponent",
        ),
        (
            "level-adamw-n32",
            "inconclusive",
            (0.92, 1.18),
            "1.047 [0.924, 1.174]",
            _UNSETTLED_PAPER + ": the unfinished counts at m = n, 2n pull the level down",
        ),
        ("settled-adamw-n32", "fail", (0.31, 0.47), "0.387 [0.315, 0.467]", _UNSETTLED_PAPER),
        ("settled-adamw-n64", "fail", (0.39, 0.52), "0.459 [0.398, 0.517]", _UNSETTLED_PAPER),
        ("settled-adamw-n128", "fail", (0.38, 0.48), "0.433 [0.387, 0.473]", _UNSETTLED_PAPER),
        ("settled-adamw-n256", "fail", (0.43, 0.51), "0.469 [0.438, 0.503]", _UNSETTLED_PAPER),
        (
            "slope-adamw-n256",
            "inconclusive",
            (-1.42, -1.16),
            "−1.283 [−1.413, −1.17]",
            _BELOW_STATIC,
        ),
        (
            "trend-slope-adamw",
            "inconclusive",
            (-0.21, -0.1),
            "−0.156 [−0.209, −0.104] per doubling",
            "AdamW's exponent steepens with n (−0.64, −0.82, −0.93, −1.07, −1.28 at n = 16…256): "
            "flattened at small n by the unfinished small-m/n counts, steepened at n = 256 by "
            "counts below the static model at large m/n. " + _BELOW_STATIC,
        ),
        (
            "displacement-adamw",
            "inconclusive",
            (1.16, 1.26),
            "1.215 [1.161, 1.259]",
            "pooled over the grid AdamW's level sits between the static model (1) and the "
            "displacement model (1.372): unfinished small-m/n cells at n ≤ 64 and counts below the "
            "static model at n = 256, m ≥ 4n pull it down",
        ),
    )
}


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """The standard grid (n = 16, 32, 64 × m/n = 1…16, the paper's AdamW and collision-count's
    gradient descent) with a quarter to a half of its models: no fit expected to pass may fail
    there (the AdamW fits that depart carry recorded deviations at these keys)."""
    k = draw(st.sampled_from([2, 4]), label="models divisor")
    return {
        "n": (16, 32, 64),
        "ratios": (1, 2, 4, 8, 16),
        "adamw.optimiser.lr": 1e-3,
        "adamw.optimiser.steps": 7500,
        "sgd.optimiser.steps": 800,
        "instances": tuple(max(2, b // k) for b in ScalingParams().instances),
        "sgd_instances": tuple(max(2, b // k) for b in ScalingParams().sgd_instances),
        "sgd_slowdown": (1, 1, 1),
    }


STANDARD = ScalingParams()
# smoke exercises the plumbing only: AdamW's sign-like steps at 3× the lr for a third of the steps
# place the features in seconds (at lr 1e-3 nothing is placed before ≈ 5000 steps)
SMOKE = ScalingParams(
    adamw=_ADAMW.replace(optimiser={"lr": 3e-3, "steps": 2500}),
    sgd=_SGD.replace(optimiser={"steps": 300}),
    n=(16, 20, 24),
    ratios=(2, 4, 16),
    instances=(8, 8, 8),
    sgd_instances=(8, 8, 8),
    sgd_slowdown=(1, 1, 1),
)
PAPER = ScalingParams(  # n = 16…256 (the paper's n), 16 AdamW models per cell at n ≥ 64
    n=(16, 32, 64, 128, 256),
    instances=(64, 32, 16, 16, 16),
    sgd_instances=(192, 96, 48, 16, 16),
    # lr = 0.1 diverges at n = m = 256 (step 7; n = m = 128 is stable): lr 0.05 for 1600 steps
    sgd_slowdown=(1, 1, 1, 1, 2),
)

CLAIM = Claim(
    id="collision-scaling",
    title="The collision count across n and m/n, under AdamW and gradient descent",
    statement=(
        "Across n and m/n = 1…16, gradient descent's count follows the displacement model "
        "n(n−1)/(2(2m−1)) — the paper's n²/4m to a relative 1/2m, up to 1.6× the exact static "
        "model at m = n — in exponent and level at every n, with no trend in n; under the "
        "paper's AdamW the count has not settled by step 7500 at m/n ≤ 2 (recorded), and the "
        "initial argmax does not decide the winner, though the winner comes from the top of its "
        "initial row."
    ),
    source=(
        "Lecomte et al. 2312.03096, 'number of polysemantic neurons' (n²/4m, one n); "
        "extension across n"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=CONTROLS,
    # in a fixed order (the standard's keys, then the paper's own): a claim's deviations are
    # joined in order into its reason, which the report and claims.json print
    deviations={
        k: (DEVIATIONS[k], PAPER_DEVIATIONS[k])
        if k in DEVIATIONS and k in PAPER_DEVIATIONS
        else DEVIATIONS.get(k) or PAPER_DEVIATIONS[k]
        for k in [*DEVIATIONS, *(k for k in PAPER_DEVIATIONS if k not in DEVIATIONS)]
    },
    false_failure=false_failure,
    plot=figures.Figure("collision_scaling"),
    strategy=_strategy,
)
