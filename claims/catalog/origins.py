"""Claim ``origins``: incidental and necessary polysemanticity in one sweep across n = m (#17).

Trains the autoencoder by gradient descent at fixed m over n/m = 1/8…3 and counts polysemantic
neurons with the paper's rule (:class:`sim.metrics.PolysemanticCount`, as ``collision-count``).
The learning rate is 0.05, half ``collision-count``'s standard 0.1, for 1600 steps (the same
lr·steps = 80): at lr = 0.1 gradient descent diverges once n ≈ 2m (step 5 at n = 64, m = 32,
measured), and one lr serves the whole grid. λ = 0.1 as there. Judged (:mod:`theory.origins`):

* ``incidental`` — where n ≤ m/2, the pooled count against n(n−1)/4m (±35 %, the catalogue's band);
* ``floor`` — where 1.5m ≤ n ≤ 2m, the pooled count against the necessary floor n − m (±15 %);
* ``repulsion`` — over n ≤ 2m, the pooled count against the enforced-repulsion model;
* ``crossover`` — the n/m where the floor's share (n − m)/count reaches ½, against the model's;
* ``saturation`` — where n > 2m, the fraction of neurons holding two or more features (a neuron
  holds a feature when |W_kj| ≥ :data:`SUPPORT`: trained entries are either below 0.05 or above
  0.1 there), against the model's 1. This is where n(n−1)/4m, which exceeds m beyond n = 2m,
  is rejected: below 2m it differs from the floor by (n − 2m)²/4m, less than the count's interval;
* ``at-a-loss`` — where n > 2m, the fraction of features whose own reconstruction loss exceeds
  :data:`LOSS_AT` (not represented exactly), against the model's (n − 2m)/n: the zero-loss bound
  allows 2m exact features, and the model places 2m and drops the rest.

Above 2m the window count is not judged: features spread over two or three neurons at
|W| ≈ 0.3–0.8, outside the paper's [0.8, 1.2] window (shown in the figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sim import ParamError, check_float, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, OptimiserParams, train
from sim.metrics import HI, LO, PolysemanticCount
from theory import collisions
from theory import origins as th

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Deviation, Fit, FitSpec, Judge
from ._shared import check_confidence, property_strategy

__all__ = ["CLAIM", "OriginsMeasurements", "OriginsParams", "feature_losses"]

SMALL = 0.5  # n/m at or below which the incidental law is judged
LARGE = 1.5  # n/m at or above which (up to 2) the floor is judged
SUPPORT = 0.1  # |W_kj| at or above which neuron j holds feature k, for the saturation beyond 2m
# a feature's own reconstruction loss above which it is "at a loss": 16× the L1 shrinkage's
# (λ/4)² = 6.25e-4 of an exactly represented feature at λ = 0.1
LOSS_AT = 0.01
INCIDENTAL_TOL = 0.35  # catalogue P1-COUNT's ±35 % around n(n−1)/4m
FLOOR_TOL = 0.15  # the floor accounts for ≥ 85 % of the count
REPULSION_TOL = 0.15  # the enforced-repulsion model's ±15 %
CROSSOVER_TOL = 0.1  # the crossover's ± in n/m
FRACTION_TOL = 0.05  # the saturation and at-a-loss fractions' ±
_LOG = "benchmarks/false_failure.jsonl"  # the standard scale's sweep over seeds 0–19


@dataclass(frozen=True)
class OriginsParams:
    """A grid of n at fixed m; every point trains ``train.instances`` models."""

    GRID_SET: ClassVar[tuple[str, ...]] = ("train.model.n",)

    train: AutoencoderParams = AutoencoderParams(
        model=ModelParams(
            m=32,  # hidden neurons (fixed)
        ),
        optimiser=OptimiserParams(
            steps=1600,  # lr·steps = 80, as collision-count's standard run (0.1 × 800)
            kind="sgd",
            lr=0.05,  # half collision-count's 0.1: lr = 0.1 diverges at n = 2m (step 5, m = 32)
            l1=0.1,
            weight_decay=0.0,
        ),
        instances=256,  # models per grid point
    )
    # features: n/m = 1/8…3, dense around n = m, three points beyond n = 2m
    n: tuple[int, ...] = (4, 8, 16, 24, 32, 36, 40, 44, 48, 52, 56, 60, 64, 72, 80, 96)
    lo: float = LO
    hi: float = HI
    model_samples: int = 4000  # Monte Carlo draws of the enforced-repulsion model per point
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

    def __post_init__(self) -> None:
        if len(self.n) < 4 or list(self.n) != sorted(set(self.n)):
            raise ParamError("n", self.n, "at least 4 increasing distinct values")
        m = self.train.model.m
        for v in self.n:
            check_int("n", v, 2, 4 * m)
        if not any(v <= SMALL * m for v in self.n) or not any(
            LARGE * m <= v <= 2 * m for v in self.n
        ):
            raise ParamError("n", self.n, f"points with n <= {SMALL}m and {LARGE}m <= n <= 2m")
        if not any(v > 2 * m for v in self.n):
            raise ParamError("n", self.n, "a point with n > 2m (saturation, features at a loss)")
        if not any(m < v < LARGE * m for v in self.n):
            raise ParamError("n", self.n, f"a point with m < n < {LARGE}m (the crossover)")
        check_int("train.instances", self.train.instances, 2)
        check_int("model_samples", self.model_samples, 100)
        check_float("lo", self.lo, 0.0)
        check_float("hi", self.hi, self.lo)
        check_confidence(self.confidence)

    @property
    def m(self) -> int:
        return self.train.model.m

    def point(self, n: int, *, seed: int, device: str) -> AutoencoderParams:
        return self.train.replace(model={"n": n}, seed=seed, device=device)


@dataclass(frozen=True, repr=False)
class OriginsMeasurements:
    n: np.ndarray  # (G,) grid
    m: int
    counts: list[np.ndarray]  # per point: polysemantic neurons per instance (the paper's window)
    learned: np.ndarray  # (G,) fraction of features with a weight in the window
    crowded: np.ndarray  # (G,) neurons with three or more features, summed over instances
    held: list[np.ndarray]  # per point: fraction of neurons holding >= 2 features (|W| >= SUPPORT)
    at_loss: list[np.ndarray]  # per point: fraction of features with own loss > LOSS_AT
    seconds: np.ndarray

    @property
    def below(self) -> np.ndarray:
        """Grid points with n ≤ 2m (where the zero-loss floor exists)."""
        return self.n <= 2 * self.m


def _below(p: OriginsParams) -> tuple[int, ...]:
    return tuple(v for v in p.n if v <= 2 * p.m)


def _above(p: OriginsParams) -> tuple[int, ...]:
    return tuple(v for v in p.n if v > 2 * p.m)


def _model(p: OriginsParams) -> np.ndarray:
    """The enforced-repulsion model's mean count at each grid point with n ≤ 2m."""
    return np.array([th.repulsion_count(v, p.m, p.model_samples)[0] for v in _below(p)])


def derive(p: OriginsParams) -> Derivation:
    m = p.m
    return Derivation(
        expr=th.floor_expr(),
        extra={
            "incidental": collisions.leading_term(),
            "max_exact": th.max_exact(),
            "capacity": th.sp.Integer(th.neuron_capacity()),
        },
        values={f"floor(n={v})": th.predict_floor(v, m) for v in _below(p)}
        | {f"repulsion(n={v})": th.repulsion_count(v, m, p.model_samples)[0] for v in p.n}
        | {f"incidental(n={v})": th.predict_incidental(v, m) for v in p.n}
        | {f"at-a-loss(n={v})": th.loss_fraction(v, m, p.model_samples) for v in _above(p)}
        | {"crossover-model": th.model_crossover(_below(p), m, p.model_samples)},
    )


def feature_losses(W: np.ndarray) -> np.ndarray:
    """Each input e_i's reconstruction loss Σ_j (ReLU(W_i·W_j) − δ_ij)², shape (B, n) from W of
    shape (B, n, m): the rows of the training loss without λ‖W‖₁ (they sum to it)."""
    R = np.maximum(W @ W.transpose(0, 2, 1), 0.0)
    idx = np.arange(W.shape[1])
    R[:, idx, idx] -= 1.0
    return (R**2).sum(axis=2)


@dataclass(frozen=True)
class _Point:
    params: AutoencoderParams
    lo: float
    hi: float


def _train_point(pt: _Point) -> tuple[np.ndarray, float, int, np.ndarray, np.ndarray, float]:
    out = train(pt.params)
    W = out.W_final
    c = PolysemanticCount(W, lo=pt.lo, hi=pt.hi)
    n = pt.params.model.n
    frac = float(c.learned.sum()) / (n * pt.params.instances)
    held = ((np.abs(W) >= SUPPORT).sum(axis=1) >= 2).mean(axis=1)  # (B,)
    at_loss = (feature_losses(W) > LOSS_AT).mean(axis=1)
    return c.count.astype(float), frac, int(c.crowded.sum()), held, at_loss, out.seconds


def simulate(p: OriginsParams, ctx: Context) -> OriginsMeasurements:
    pts = [
        _Point(p.point(v, seed=ctx.seed_for("origins", v, p.m), device=ctx.device), p.lo, p.hi)
        for v in p.n
    ]
    rows = ctx.map(_train_point, pts, label="origins: grid of n")
    counts, learned, crowded, held, at_loss, secs = zip(*rows, strict=True)
    return OriginsMeasurements(
        n=np.asarray(p.n, float),
        m=p.m,
        counts=list(counts),
        learned=np.asarray(learned),
        crowded=np.asarray(crowded),
        held=list(held),
        at_loss=list(at_loss),
        seconds=np.asarray(secs),
    )


def _beyond(p: OriginsParams) -> list[int]:
    """The grid's n beyond 2m (saturation, features at a loss)."""
    return [v for v in p.n if v > 2 * p.m]


def _spacing(p: OriginsParams) -> float:
    """The grid's spacing in n/m around the crossover (m < n < LARGE·m, and its neighbours)."""
    x = np.asarray(p.n, dtype=float) / p.m
    near = (x >= 1) & (x <= LARGE)
    return float(np.diff(x[near]).min()) if near.sum() > 1 else float(np.diff(x).min())


def specs(p: OriginsParams) -> tuple[FitSpec, ...]:
    beyond = _beyond(p)
    ends = [f"{v * (v - 1) / (4 * p.m) / p.m:.1f}" for v in (min(beyond), max(beyond))]
    need = "–".join(dict.fromkeys(ends))  # "1.2–2.2", or one value for one point
    return (
        FitSpec(
            "incidental",
            f"pooled count / (n(n−1)/4m) at n ≤ {SMALL}m",
            INCIDENTAL_TOL,
            why=f"catalogue P1-COUNT's ±{100 * INCIDENTAL_TOL:g} % around n(n−1)/4m, where "
            "collisions are rare (n ≪ m)",
        ),
        FitSpec(
            "floor",
            f"pooled count / (n − m) at {LARGE}m ≤ n ≤ 2m",
            FLOOR_TOL,
            why=f"the necessary story: where n ≥ {LARGE:g}m the derived floor max(0, n − m) "
            f"accounts for ≥ {100 * (1 - FLOOR_TOL):g} % of the count; the enforced-repulsion "
            "model puts it at 0.97–1.11 per point there",
        ),
        FitSpec(
            "repulsion",
            "pooled count / enforced-repulsion model, n ≤ 2m",
            REPULSION_TOL,
            why="the static model with same-sign co-residents moved to their next-best neuron "
            f"(theory.origins) is meant to describe every n/m up to 2m; ±{100 * REPULSION_TOL:g} %",
        ),
        FitSpec(
            "crossover",
            "n/m where the floor's share (n − m)/count reaches ½ (interpolated on the grid)",
            CROSSOVER_TOL,
            why="the crossover between the origin stories, against the same interpolation of the "
            f"enforced-repulsion model on this grid; ±{CROSSOVER_TOL:g} in n/m (the grid spacing "
            f"there is {_spacing(p):g})",
        ),
        FitSpec(
            "saturation",
            f"pooled fraction of neurons holding ≥ 2 features (|W| ≥ {SUPPORT}) at n > 2m",
            FRACTION_TOL,
            why="the model fills both slots of every neuron once n ≥ 2m (fraction 1); "
            f"±{FRACTION_TOL:g}, while n(n−1)/4m would need {need} m "
            "polysemantic neurons there",
        ),
        FitSpec(
            "at-a-loss",
            f"pooled fraction of features with own loss > {LOSS_AT} at n > 2m",
            FRACTION_TOL,
            why="the model represents 2m features exactly and drops the other n − 2m (the "
            f"zero-loss bound's minimum); ±{FRACTION_TOL:g} in the fraction",
        ),
    )


def _sel(values: list[np.ndarray], keep: np.ndarray) -> list[np.ndarray]:
    return [c for c, k in zip(values, keep, strict=True) if k]


def _crossover_ci(
    counts: list[np.ndarray], x: np.ndarray, floor: np.ndarray, judge: Judge
) -> fitting.Estimate:
    def stat(*cs: np.ndarray, axis: int = -1) -> np.ndarray:
        means = np.stack([c.mean(axis=axis) for c in cs], axis=-1)
        flat = means.reshape(-1, means.shape[-1])
        with np.errstate(divide="ignore", invalid="ignore"):
            out = [th.crossover_share(x, floor / np.maximum(r, 1e-12)) for r in flat]
        return np.asarray(out).reshape(means.shape[:-1])

    return fitting.bootstrap(counts, stat, rng=judge.rng, confidence=judge.level)


def _pooled(values: list[np.ndarray], weights: list[float], judge: Judge) -> fitting.Estimate:
    """Σ_j w_j·mean(values_j) / Σ_j w_j with a bootstrap over each point's instances."""
    return fitting.ratio_ci(
        [v * w for v, w in zip(values, weights, strict=True)],
        list(weights),
        rng=judge.rng,
        confidence=judge.level,
    )


def fit(meas: OriginsMeasurements, d: Derivation, p: OriginsParams, judge: Judge) -> list[Fit]:
    m = meas.m
    below = meas.below
    learned = float(meas.learned[below].min())
    if learned < 0.95:
        j = int(np.argmin(np.where(below, meas.learned, 2.0)))
        raise RuntimeError(
            f"only {learned:.1%} of features learned at n = {int(meas.n[j])} ≤ 2m; the floor and "
            "the models assume every feature placed"
        )
    nb = meas.n[below].astype(int)
    x = nb / m
    counts = _sel(meas.counts, below)
    small, large = x <= SMALL, x >= LARGE
    inc = np.array([th.predict_incidental(int(v), m) for v in nb])
    floor = np.array([th.predict_floor(int(v), m) for v in nb])
    model = _model(p)
    r_inc = fitting.ratio_ci(
        _sel(counts, small), list(inc[small]), rng=judge.rng, confidence=judge.level
    )
    r_floor = fitting.ratio_ci(
        _sel(counts, large), list(floor[large]), rng=judge.rng, confidence=judge.level
    )
    r_model = fitting.ratio_ci(counts, list(model), rng=judge.rng, confidence=judge.level)
    cross = _crossover_ci(counts, x, floor, judge)
    above = ~below
    na = [int(v) for v in meas.n[above]]
    sat = _pooled(_sel(meas.held, above), [float(m)] * len(na), judge)
    sat_pred = sum(th.saturation(v, m, p.model_samples) for v in na) / len(na)
    lossy = _pooled(_sel(meas.at_loss, above), [float(v) for v in na], judge)
    lossy_pred = sum(v * th.loss_fraction(v, m, p.model_samples) for v in na) / sum(na)
    return [
        judge.fit("incidental", predicted=1.0, estimate=r_inc),
        judge.fit("floor", predicted=1.0, estimate=r_floor),
        judge.fit("repulsion", predicted=1.0, estimate=r_model),
        judge.fit(
            "crossover",
            predicted=th.model_crossover(_below(p), m, p.model_samples),
            estimate=cross,
        ),
        judge.fit("saturation", predicted=sat_pred, estimate=sat),
        judge.fit("at-a-loss", predicted=lossy_pred, estimate=lossy),
    ]


def no_floor(fits: list[Fit], meas: Any, p: Any, judge: Judge) -> list[Fit]:
    """Mutant: no floor — the exact static model (collisions counted, never resolved) holds at
    1.5m ≤ n ≤ 2m, i.e. the count / (n − m) there is Σ exact / Σ (n − m)."""
    big = [v for v in _below(p) if v >= LARGE * p.m]
    pred = sum(collisions.predict_exact(v, p.m) for v in big) / sum(v - p.m for v in big)
    return [f.mutant(predicted=pred) for f in fits if f.key == "floor"]


def n2_all(fits: list[Fit], meas: Any, p: Any, judge: Judge) -> list[Fit]:
    """Mutant: count ∝ n²/m at every n/m — n(n−1)/4m polysemantic neurons also beyond n = 2m, so
    the fraction of polysemantic neurons there is Σ n(n−1)/4m / Σ m (> 1)."""
    big = _above(p)
    pred = sum(collisions.predict_leading(v, p.m) for v in big) / (p.m * len(big))
    return [f.mutant(predicted=pred) for f in fits if f.key == "saturation"]


def drop_all(fits: list[Fit], meas: Any, p: Any, judge: Judge) -> list[Fit]:
    """Mutant: beyond 2m every feature is represented at a loss (fraction 1)."""
    return [f.mutant(predicted=1.0) for f in fits if f.key == "at-a-loss"]


CONTROLS = (
    Control("no-floor", "no floor: the static collision count holds above n = m", refit=no_floor),
    Control(
        "n2-all",
        "count ∝ n²/m for all n/m: n(n−1)/4m polysemantic neurons beyond n = 2m too",
        refit=n2_all,
    ),
    Control(
        "no-incidental",
        "no incidental part: the count is the floor (0) below n = m",
        predict={"incidental": 0.0},
    ),
    Control(
        "crossover-at-1",
        "the necessary story takes over at n = m (the floor's share ½ at n/m = 1)",
        predict={"crossover": 1.0},
    ),
)


def incidental_excess(meas: OriginsMeasurements, confidence: float = 0.95) -> list[tuple]:
    """The incidental part at each grid point m < n ≤ 2m: (n/m, mean count − (n − m), its
    t-interval over instances). Reported, not judged: it is the issue's reading of the crossover."""
    from ..fitting import mean_ci

    out = []
    for v, c in zip(meas.n, meas.counts, strict=True):
        if meas.m < v <= 2 * meas.m:
            e = mean_ci(c - th.predict_floor(int(v), meas.m), confidence=confidence)
            out.append((v / meas.m, e.value, e.ci[0], e.ci[1]))
    return out


def incidental_end(meas: OriginsMeasurements, confidence: float = 0.95) -> float:
    """The first n/m above 1 at which the count exceeds the floor n − m by less than its interval
    (the excess's interval reaches 0): where the incidental part stops mattering; nan if never on
    the grid."""
    for x, _, lo, _ in incidental_excess(meas, confidence):
        if lo <= 0:
            return float(x)
    return float("nan")


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Overrides of the smoke params where the claim should hold: m from 12 to 24, the grid at
    fixed fractions of m (1/8…5/2), 64–128 models per point; judged at a family-wise 0.999 so that
    a property-test failure means the theory broke, not a 5 % chance."""
    m = draw(st.sampled_from([12, 16, 20, 24]), label="m")
    fracs = (0.125, 0.25, 0.5, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5)
    n = tuple(sorted({max(2, round(f * m)) for f in fracs}))
    return {
        "train.model.m": m,
        "n": n,
        "train.instances": draw(st.sampled_from([64, 128]), label="instances"),
    }


STANDARD = OriginsParams()
SMOKE = OriginsParams(
    train=STANDARD.train.replace(model={"m": 16}, optimiser={"steps": 800}, instances=64),
    n=(4, 8, 16, 20, 24, 28, 32, 40),
    model_samples=1000,
)
PAPER = OriginsParams(
    train=STANDARD.train.replace(model={"m": 64}, instances=256),
    n=(8, 16, 32, 48, 64, 72, 80, 88, 96, 104, 112, 120, 128, 144, 160, 192),
)


def _spread(p: OriginsParams, lossy: str, where: str) -> str:
    """The at-a-loss deviation's reason at ``p``'s grid beyond 2m (``lossy``: the measured
    fraction; ``where``: the seeds and log it was measured over)."""
    beyond = _beyond(p)
    model = sum(v - 2 * p.m for v in beyond) / sum(beyond)  # pooled (n − 2m)/n
    return (
        "gradient descent does not drop the n − 2m excess features: it spreads them. At "
        f"n = {', '.join(map(str, beyond))} (m = {p.m}) every neuron holds two or more features "
        f"(saturation passes), but {lossy} of the features are represented at a loss against the "
        f"model's {model:.2f} (= (n − 2m)/n pooled, the fewest the zero-loss bound allows): rows "
        "split over two or three neurons at |W| ≈ 0.3–0.8 (neurons hold 4–7 features each at "
        "n = 3m) instead of 2m exact rows and n − 2m zero rows — superposition beyond 2m, at "
        f"λ = {p.train.optimiser.l1:g}. Measured over {where}; the range is the union of their "
        "intervals"
    )


AT_A_LOSS = (
    Deviation(
        "fail",
        (0.787, 0.797),
        _spread(
            STANDARD,
            "0.790–0.794 (pooled; ≈ 0.52, 0.81, 0.98 at n = "
            + ", ".join(map(str, _beyond(STANDARD)))
            + ")",
            f"seeds 0–19 ({_LOG})",
        ),
        scales=("standard",),
    ),
    Deviation("fail", (0.834, 0.889), _spread(SMOKE, "0.85–0.87", "seeds 0–19"), scales=("smoke",)),
)


def _false_failure(p: OriginsParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge), then the standard scale's
    sweep log against the bands."""
    return (
        f"{judge.family_sentence()}. {p.train.instances} models per grid point. Over seeds 0–19 "
        f"at the standard scale ({_LOG}): incidental 0.89–1.01 (band 1 ± {INCIDENTAL_TOL:g}), "
        f"floor 1.027–1.029 (1 ± {FLOOR_TOL:g}), repulsion 0.997–1.000 (1 ± {REPULSION_TOL:g}), "
        f"crossover n/m 1.166–1.170 (the model's crossover ± {CROSSOVER_TOL:g}), saturation "
        "1 [1, 1], at-a-loss 0.790–0.794 (the recorded deviation)."
    )


CLAIM = Claim(
    id="origins",
    title="Incidental and necessary polysemanticity across n = m",
    statement=(
        "Trained by gradient descent, the polysemantic count follows n(n−1)/4m where n ≪ m and "
        f"the derived floor n − m where {LARGE:g}m ≤ n ≤ 2m, and the enforced-repulsion static "
        "model up "
        "to 2m; the floor becomes half the count at the model's crossover n/m; beyond 2m every "
        "neuron is shared and the excess n − 2m features are dropped."
    ),
    source="extension (issue #17); Lecomte et al. 2312.03096 (incidental), theory.no_l1 (floor)",
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=CONTROLS,
    deviations={"at-a-loss": AT_A_LOSS},
    false_failure=_false_failure,
    plot=figures.Figure("origins"),
    strategy=_strategy,
)
