"""Claims ``collision-count`` and ``collision-count-adamw``: polysemantic neurons ≈ n(n−1)/(4m).

Lecomte et al. (P1-COUNT): two features collide when their winning neurons coincide (probability
1/m per pair for an i.i.d. continuous init) and survive only with opposite signs (probability ½),
so E[#polysemantic] ≈ C(n,2)·(1/m)·½ = n(n−1)/(4m). :mod:`theory.collisions` derives the exact
expectation of that static model, m(1 − 2(1 − 1/2m)ⁿ + (1 − 1/m)ⁿ), whose leading term is
n(n−1)/(4m); the next term, −n(n−1)(n−2)/(8m²), is a −(n−2)/(2m) relative correction.

Regime. The static picture needs n ≪ m (rare triple collisions, weak interference; catalogue §1.4
item 3). The ``standard`` scale uses m = 8n…64n, where the exact model's own effective exponent is
−0.977 and its ratio to the leading term 0.962 — small against the intervals — and gradient
descent, the dynamics the theory describes. ``collision-count-adamw`` measures the paper's
optimizer (AdamW, weight decay 0.01) at m = 2n…16n and records how far it sits from the leading
term. The ``paper`` scale of ``collision-count`` is the paper code's exact settings.

Measured finding, not judged in ``collision-count``: under gradient descent at m = 8n…64n the count
sits a few per cent above the exact static expectation (count/exact 1.036 [0.954, 1.121] at seed 0;
the 99 % interval lay wholly above 1 at seeds 1 and 3), while matching the leading term — the
dynamics add collisions that the static picture lacks (catalogue: at m ≈ n, 64–72 observed against
a static 40). At standard replicates that interval straddles 1 seed by seed, so as a fit it would
decide by chance; ``collision-count-adamw`` judges the exact-model ratio, where it is decisive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim import ParamError, check_float, check_int
from sim.autoencoder import AutoencoderParams, Optimizer, train
from sim.metrics import HI, LO, PolysemanticCount
from theory import collisions

from .. import fitting, paper_figures
from .._context import Context
from .._core import Claim, Control, Derivation, Deviation, Fit, Result

__all__ = ["CLAIMS", "CollisionParams", "CollisionMeasurements"]


@dataclass(frozen=True)
class CollisionParams:
    """A grid of m at fixed n; every grid point trains ``instances`` models from independent inits."""

    n: int = 16  # features
    m: tuple[int, ...] = (128, 256, 512, 1024)  # hidden sizes of the grid (8n…64n: the n ≪ m regime)
    instances: int = 1024  # independent models per grid point: ≈ 900 collisions in all, slope CI ≈ ±0.1
    steps: int = 800  # gradient steps; at lr = λ = 0.1 the count is flat after ≈ 450
    optimizer: Optimizer = "sgd"  # gradient descent: the dynamics the theory describes
    lr: float = 0.1  # learning rate (stable: the feature-benefit curvature is 8, so lr < 0.25)
    l1: float = 0.1  # λ; sparsification completes in ≈ 2/(lr·λ) = 200 steps, final |W| ≈ 1 − λ/8
    weight_decay: float = 0.0  # explicit (the paper code's AdamW silently used 0.01)
    lo: float = LO  # a feature is "on" a neuron when lo <= |W_ik| <= hi (the paper's rule)
    hi: float = HI
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)
    dtype: str = "float32"  # compute dtype of the trainer

    def __post_init__(self) -> None:
        check_int("n", self.n, 2)
        if len(self.m) < 2:
            raise ParamError("m", self.m, "at least two grid values, e.g. 128,256,512")
        for v in self.m:
            check_int("m", v, 1)
        if len(set(self.m)) != len(self.m):
            raise ParamError("m", self.m, "distinct grid values")
        check_int("instances", self.instances, 2)
        check_float("lo", self.lo, 0.0)
        check_float("hi", self.hi, self.lo)
        check_float("confidence", self.confidence, 0.5, 1.0, hi_open=True)
        # the trainer validates the rest (steps, lr, optimizer, l1, weight_decay, dtype)
        self.train_params(self.m[0])

    def train_params(self, m: int, *, seed: int = 0, device: str = "cpu") -> AutoencoderParams:
        return AutoencoderParams(
            n=self.n, m=m, instances=self.instances, steps=self.steps, lr=self.lr,
            optimizer=self.optimizer, weight_decay=self.weight_decay, l1=self.l1,
            dtype=self.dtype, device=device, seed=seed,  # type: ignore[arg-type]
        )


@dataclass(frozen=True, repr=False)
class CollisionMeasurements:
    m: np.ndarray  # (G,) grid
    counts: list[np.ndarray]  # per grid point: polysemantic neurons per instance
    learned: np.ndarray  # (G,) features with a weight in [lo, hi], summed over instances
    pairs: int  # neurons holding exactly two features, over the whole grid
    opposite_pairs: int  # of which with opposite signs
    crowded: int  # neurons holding three or more features
    seconds: np.ndarray  # (G,) training time per grid point


def _derive(p: CollisionParams) -> Derivation:
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
    return (c.count.astype(float), int(c.learned.sum()), int(c.pairs.sum()), int(c.opposite_pairs.sum()),
            int(c.crowded.sum()), out.seconds)


def _simulate(p: CollisionParams, ctx: Context) -> CollisionMeasurements:
    points = [
        _GridPoint(p.train_params(m, seed=ctx.seed_for("collision-count", p.n, m), device=ctx.device), p.lo, p.hi)
        for m in p.m
    ]
    rows = ctx.map(_train_point, points, label="collision-count: grid of m")
    counts, learned, pairs, opposite, crowded, secs = zip(*rows)
    return CollisionMeasurements(
        m=np.asarray(p.m, float), counts=list(counts), learned=np.asarray(learned), pairs=sum(pairs),
        opposite_pairs=sum(opposite), crowded=sum(crowded), seconds=np.asarray(secs),
    )


MIN_LEARNED = 0.95  # below this fraction of learned features the count means nothing (regime guard)


class OutsideRegime(RuntimeError):
    """The simulation left the regime where the claim is about anything (features not learned)."""


def _fit_leading(meas: CollisionMeasurements, d: Derivation, p: CollisionParams) -> list[Fit]:
    """The paper's claim: exponent, level against n(n−1)/4m, opposite signs."""
    return _fits(meas, p, exact=False)


def _fit_with_exact(meas: CollisionMeasurements, d: Derivation, p: CollisionParams) -> list[Fit]:
    """The same, plus the level against the exact static expectation (all orders in n/m)."""
    return _fits(meas, p, exact=True)


def _fits(meas: CollisionMeasurements, p: CollisionParams, *, exact: bool) -> list[Fit]:
    learned = meas.learned.sum() / (p.n * p.instances * len(p.m))
    if learned < MIN_LEARNED:
        raise OutsideRegime(
            f"only {learned:.1%} of features were learned (a weight in [{p.lo}, {p.hi}]); the count is "
            f"meaningless below {MIN_LEARNED:.0%} (train longer, or smaller m: catalogue n = 64 at m >= 32768)"
        )
    level = 1 - (1 - p.confidence) / (4 if exact else 3)
    rng = np.random.default_rng(0)  # the bootstrap's resampling stream: fixed, the data vary
    slope = fitting.poisson_slope(meas.m, meas.counts, rng=rng, confidence=level)
    leading = [collisions.predict_leading(p.n, int(m)) for m in meas.m]
    exact_values = [collisions.predict_exact(p.n, int(m)) for m in meas.m]
    ratio = fitting.ratio_ci(meas.counts, leading, rng=rng, confidence=level)
    ratio_exact = fitting.ratio_ci(meas.counts, exact_values, rng=rng, confidence=level)
    opp = fitting.proportion_ci(meas.opposite_pairs, max(meas.pairs, 1), confidence=level)
    fits = [
        Fit("slope", "exponent b of mean count ∝ m^b (Poisson fit, bootstrap over instances)", -1.0,
            slope.value, slope.ci, 0.25, confidence=level,
            why="catalogue P1-COUNT: −1 ± 0.25; on an 8n…64n grid the exact static model's own exponent is −0.977"),
        Fit("ratio", "pooled count / (n(n−1)/4m)", 1.0, ratio.value, ratio.ci, 0.35, confidence=level,
            why="catalogue: within ±35 % of n(n−1)/4m; the −(n−2)/2m correction is ≤ 6 % on an 8n…64n grid"),
        Fit("opposite-sign", "fraction of two-feature neurons whose features have opposite signs", 1.0,
            opp.value, opp.ci, 0.1, confidence=level,
            why="sign condition: same-sign co-residents repel (Clopper-Pearson interval over neurons)"),
    ]
    if exact:
        fits.insert(2, Fit("ratio-exact", "pooled count / exact static expectation (sympy, all orders)", 1.0,
                           ratio_exact.value, ratio_exact.ci, 0.35, confidence=level,
                           why="the same band against the all-orders static model"))
    return fits


def _same_sign(fits: Sequence[Fit], meas: CollisionMeasurements, p: CollisionParams) -> list[Fit]:
    """Mutant: signs play no role, so half the two-feature neurons would be same-signed."""
    return [f.with_prediction(0.5) for f in fits if f.key == "opposite-sign"]


def _plot(result: Result[CollisionMeasurements], outdir: Path) -> list[Path]:
    from ._plots import collision_count_figure

    return collision_count_figure(result, outdir)


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
        return {"n": n, "m": m, "instances": int(min(600, max(32, 150 / expected))), "steps": 600,
                "optimizer": "sgd", "lr": 0.1, "l1": 0.1, "confidence": 0.999}

    return draw()


def _adamw_strategy() -> Any:
    """AdamW at the paper's lr and steps, n = 16…20, m = 2n…8n: the count must keep matching the
    exact static model and the sign condition (the leading-order fits have recorded deviations).
    Below n ≈ 16 AdamW leaves features unlearned in 7500 steps (93 % at n = 10, 71–85 % at n = 8:
    found by this property test), which is outside the claim's regime."""
    from hypothesis import strategies as st

    @st.composite
    def draw(draw_: Any) -> dict[str, Any]:
        n = draw_(st.integers(16, 20), label="n")
        m = (2 * n, 4 * n, 8 * n)
        return {"n": n, "m": m, "instances": 48, "steps": 7500, "optimizer": "adamw", "lr": 1e-3,
                "l1": 1e-3, "weight_decay": 0.01, "confidence": 0.999}

    return draw()


def _controls(n: int) -> tuple[Control, ...]:
    return (
        Control("n2-over-2m", "the count is n²/(2m) (no factor ½ from the sign condition)",
                predict={"ratio": 2.0 * n / (n - 1)}),
        Control("slope-half", "the count falls as m^(−1/2)", predict={"slope": -0.5}),
        Control("same-sign", "collisions are sign-blind: half the co-resident pairs share a sign", refit=_same_sign),
    )


_FALSE_FAILURE = (
    "k fits (3; 4 with the exact-model ratio) at Bonferroni level 1 − 0.05/k each: nominally ≤ 5 %. "
    "Measured over seeds 0–19 (benchmarks/false_failure.py): collision-count met its expectation in "
    "17/20 (slope off twice — once fail, once inconclusive — ratio once), i.e. ≈ 15 %, because the "
    "gradient-descent count is ≈ 1.04 × n(n−1)/4m with exponent ≈ −0.97 (4096 models per grid end), "
    "a few per cent that 1024 instances per m sometimes resolve; collision-count-adamw met it in 19/20 "
    "(its slope deviation was not reached once). Every control was rejected in all 20 seeds."
)

_STANDARD = CollisionParams()
_PAPER = CollisionParams(
    n=256, m=tuple(range(256, 4097, 256)), instances=16, steps=7500, optimizer="adamw", lr=1e-3,
    l1=1e-3, weight_decay=0.01,  # the paper code: torch AdamW's default weight decay 0.01
)
_SMOKE = CollisionParams(n=8, m=(64, 128), instances=32, steps=300)

COLLISION_COUNT = Claim(
    id="collision-count",
    title="Polysemantic neurons ≈ n(n−1)/4m, with opposite-sign co-residents",
    statement=(
        "Trained from a random init, the number of neurons holding two features is ≈ n(n−1)/(4m) "
        "(exponent −1 in m), and the two features on such a neuron have opposite signs."
    ),
    source="Lecomte et al. 2312.03096, 'number of polysemantic neurons' (Fig. 3); catalogue P1-COUNT, P1-SIGN",
    params={"smoke": _SMOKE, "standard": _STANDARD, "paper": _PAPER},
    derive=_derive,
    simulate=_simulate,
    fit=_fit_leading,
    controls=_controls(_STANDARD.n),
    false_failure=_FALSE_FAILURE,
    plot=_plot,
    strategy=_strategy,
    paper_figures=paper_figures.collisions,
)

_ADAM = CollisionParams(  # the paper's optimizer settings at n = 16, m = 2n…16n
    n=16, m=(32, 64, 128, 256), instances=384, steps=7500, optimizer="adamw", lr=1e-3, l1=1e-3,
    weight_decay=0.01,
)

COLLISION_COUNT_ADAMW = Claim(
    id="collision-count-adamw",
    title="The collision count under the paper's optimizer (AdamW)",
    statement=(
        "With AdamW (lr 1e-3, weight decay 0.01, λ = 1e-3) as in the paper's code, at m = 2n…16n, the "
        "count matches the exact static expectation and co-residents have opposite signs; the "
        "leading-order n(n−1)/(4m) and its exponent −1 are off by the finite-size terms (recorded)."
    ),
    source="Lecomte et al. 2312.03096 code (collisions.py settings, smaller n); catalogue P1-COUNT, §1.4 item 6",
    # smoke exercises the plumbing only (at n = 8 AdamW learns only 70-85 % of the features in 7500 steps)
    params={"smoke": CollisionParams(n=16, m=(64, 128), instances=24, steps=7500, optimizer="adamw", lr=1e-3,
                                     l1=1e-3, weight_decay=0.01),
            "standard": _ADAM, "paper": _PAPER},
    derive=_derive,
    simulate=_simulate,
    fit=_fit_with_exact,
    controls=_controls(_ADAM.n),
    deviations={
        "slope": Deviation(
            "fail",
            "measured −0.78, 99 % CI [−0.87, −0.69] (seed 0): at m = 2n…16n the leading-order exponent −1 "
            "does not apply — the exact static model's own exponent on this grid is −0.895 — and AdamW's "
            "count falls more slowly still (its winners are rarely the initial argmax, catalogue P1-CORR)",
        ),
        "ratio": Deviation(
            "fail",
            "measured 0.856, 99 % CI [0.81, 0.91] (seed 0): the exact static expectation is 0.860 of "
            "n(n−1)/4m on this grid (the −(n−2)/2m term is −22 % at m = 2n) and the count matches it: "
            "ratio to the exact model 0.996 [0.94, 1.06]",
        ),
    },
    false_failure=_FALSE_FAILURE,
    plot=_plot,
    strategy=_adamw_strategy,
    paper_figures=paper_figures.collisions,
)

CLAIMS = (COLLISION_COUNT, COLLISION_COUNT_ADAMW)
