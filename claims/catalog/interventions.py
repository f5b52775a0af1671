"""Claim ``interventions``: the causal test of "polysemanticity is due to the weight init".

Lecomte et al.'s Result 4 has been tested by correlation (``init-diagonal``). Here the init is
*intervened on*, at collision-count's gradient-descent settings (n = 16, lr = λ = 0.1, 800 steps,
the count rule of ``sim.metrics``), and the count is judged against ``theory.interventions``:

- **collision-free init**: the entries keep their N(0, 1/m) law but every feature gets a distinct
  initial argmax neuron (the swap construction, proved in ``theory.interventions``). The static
  model (the initial argmax always wins, q = 1) predicts 0 collisions; the measured count is
  judged against the win-probability model's (1 − q²) × the static expectation, q measured on
  an independent arm: the plain-init models' features whose initial argmax no other feature
  shares, the fraction that end on it;
- **planted pairs**: k feature pairs share their initial argmax with opposite or equal signs:
  opposite pairs survive with probability q² (static model: all), equal pairs ≈ 0, against the
  sign lottery's ½;
- **resampling** (a practitioner's intervention, as for sparse autoencoders; its prediction was
  derived before it was run): after training, on every polysemantic neuron keep one feature and
  redraw the others' rows, then train on: the count falls to (n − 1)/(2m) of the static
  expectation, at no cost in final loss (paired with the same models trained on unresampled);
- **AdamW** (the paper's optimizer, lr 1e-3, λ 1e-3, weight decay 0.01, 7500 steps, at a small
  m): the initial argmax rarely wins there (q ≈ 0.2), so the same model predicts that a
  collision-free init leaves the count ≈ unchanged and planted opposite pairs do not survive;
  equal pairs ≈ 0 as under gradient descent; resampling as derived (the prediction needs only a
  neuron-symmetric, sign-blind landing of the redrawn rows), after 7500 more steps;
- **m = n² and beyond**: the plain init's count at m = n², 2n² against the exact static
  expectation (incidental polysemanticity "all the way up to m = n²").

Controls: q = 1 (the initial argmax decides: the static model's 0 and k), the null of each
intervention (the count unchanged; planted pairs surviving at the sign lottery's ½), and n²/2m.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from sim import ParamError, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, OptimiserParams, train
from sim.metrics import HI, LO, PolysemanticCount
from theory import collisions
from theory import interventions as iv

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Deviation, Fit, FitSpec, Judge
from ._shared import check_confidence, property_strategy

__all__ = ["CLAIM", "InterventionMeasurements", "InterventionParams"]

_SGD = AutoencoderParams(  # collision-count's gradient-descent settings
    model=ModelParams(
        n=16,  # features (collision-count's n)
        m=128,  # hidden neurons: 8n, where the static expectation is 0.44 per model
    ),
    optimiser=OptimiserParams(
        kind="sgd",  # gradient descent: the dynamics the theory describes
        lr=0.1,  # collision-count's lr
        l1=0.1,  # collision-count's λ
        steps=800,  # collision-count's steps (the count is flat after ≈ 450)
    ),
    instances=1024,  # collision-free models (≈ 450 collisions if the init did not matter)
)
_ADAMW = AutoencoderParams(  # the paper's optimizer at a small, affordable size
    model=ModelParams(
        n=16,  # features (below 16 AdamW leaves features unlearned in 7500 steps)
        m=64,  # 4n: at 2n AdamW learns only 93 % of the features from these inits
    ),
    optimiser=OptimiserParams(
        kind="adamw",  # the paper code's optimizer
        lr=1e-3,  # the paper's lr
        l1=1e-3,  # the paper's λ
        weight_decay=0.01,  # torch's default, which the paper code used
        steps=7500,  # the paper's steps
    ),
    instances=384,  # collision-free models (≈ 320 collisions expected if the init does not matter)
)


@dataclass(frozen=True)
class InterventionParams:
    """The interventions' arms: gradient descent at ``sgd.model.m`` and AdamW at
    ``adamw.model.m``, each with plain, collision-free and planted (opposite, equal) inits and
    resampling of the plain models; and the plain init at m = n²·factor (gradient descent)."""

    sgd: AutoencoderParams = _SGD  # the gradient-descent arms (collision-free; its n, m, optimiser)
    plain_instances: int = 512  # plain-init models (sgd), then resampled (≈ 230 collisions)
    planted_instances: int = 384  # models of each planted arm (opposite, equal): k per model
    pairs: int = 4  # k: planted feature pairs per model (2k ≤ n)
    resample_steps: int = 400  # steps trained after resampling (the redrawn rows relearn)
    n2_n: int = 8  # features of the m = n² arm (n = 16 at m = n² is collision-count's m = 16n)
    n2_factors: tuple[int, ...] = (1, 2)  # plain init at m = n²·factor (64, 128 at n = 8)
    n2_instances: tuple[int, ...] = (1536, 1536)  # models at each of those m (≈ 460 collisions)
    adamw: AutoencoderParams = _ADAMW  # the AdamW arms (collision-free; its n, m, optimiser)
    adamw_planted_instances: int = 64  # AdamW models of each planted arm (opposite, equal)
    adamw_plain_instances: int = 128  # AdamW plain-init models, then resampled (≈ 110 collisions)
    # AdamW steps after resampling: the paper's 7500 again (measured at seed 0: of the redrawn
    # rows ≈ 10 % are learned after 2000 steps, ≈ half after 3750, all but ≈ 2 % after 7500)
    adamw_resample_steps: int = 7500
    lo: float = LO  # a feature is "on" a neuron when lo <= |W_ik| <= hi (the paper's rule)
    hi: float = HI  # upper end of that window
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

    def __post_init__(self) -> None:
        for name, tp in (("sgd", self.sgd), ("adamw", self.adamw)):
            if tp.model.n != self.sgd.model.n:
                raise ParamError(f"{name}.model.n", tp.model.n, "the same n in both arms")
            if not tp.model.tied:
                raise ParamError(f"{name}.model.tied", tp.model.tied, "true (tied weights)")
            check_int(f"{name}.instances", tp.instances, 2)
            if tp.model.m < tp.model.n:
                raise ParamError(f"{name}.model.m", tp.model.m, f">= n = {tp.model.n}")
        check_int("plain_instances", self.plain_instances, 2)
        check_int("n2_n", self.n2_n, 2)
        check_int("planted_instances", self.planted_instances, 2)
        check_int("adamw_planted_instances", self.adamw_planted_instances, 2)
        check_int("adamw_plain_instances", self.adamw_plain_instances, 2)
        check_int("adamw_resample_steps", self.adamw_resample_steps, 1)
        check_int("pairs", self.pairs, 1, self.n // 2)
        check_int("resample_steps", self.resample_steps, 1)
        if len(self.n2_factors) != len(self.n2_instances) or not self.n2_factors:
            raise ParamError("n2_instances", self.n2_instances, "one count per n2_factors entry")
        for f, b in zip(self.n2_factors, self.n2_instances, strict=True):
            check_int("n2_factors", f, 1)
            check_int("n2_instances", b, 2)
        check_confidence(self.confidence)

    @property
    def n(self) -> int:
        return self.sgd.model.n

    @property
    def n2_m(self) -> tuple[int, ...]:
        return tuple(self.n2_n * self.n2_n * f for f in self.n2_factors)


@dataclass(frozen=True, repr=False)
class InterventionMeasurements:
    plain: np.ndarray  # (B,) polysemantic neurons per plain-init model (sgd arm)
    free: np.ndarray  # (B,) per collision-free model
    free_win: float  # fraction of collision-free features ending on their initial argmax
    plain_win: float  # q: the same for the plain arm's uncontested features (an independent arm)
    opposite: np.ndarray  # (P,) fraction of a model's planted opposite pairs sharing a neuron
    equal: np.ndarray  # (P,) the same for equal-sign pairs
    planted_counts: np.ndarray  # (2, P) polysemantic neurons per model: opposite, equal arms
    resampled: np.ndarray  # (B,) count after resampling and resample_steps more steps
    continued: np.ndarray  # (B,) count of the same models trained resample_steps more, unresampled
    loss_cost: np.ndarray  # (B,) final loss, resampled minus continued (paired per model)
    redrawn: int  # rows redrawn in all
    n2_m: np.ndarray  # (G,) m = n²·factor
    n2_counts: list[np.ndarray]  # per m: polysemantic neurons per plain model
    adamw_free: np.ndarray  # (A,) per AdamW collision-free model
    adamw_win: float  # the collision-free arm's win fraction under AdamW
    adamw_plain_win: float  # q under AdamW: the plain arm's uncontested features
    adamw_opposite: np.ndarray  # (A',) fraction of planted opposite pairs sharing a neuron
    adamw_equal: np.ndarray  # (A',) the same for equal-sign pairs
    adamw_plain: np.ndarray  # (A'',) count per AdamW plain-init model
    adamw_resampled: np.ndarray  # (A'',) count after resampling and adamw_resample_steps more
    adamw_continued: np.ndarray  # (A'',) the same models trained on, unresampled
    adamw_loss_cost: np.ndarray  # (A'',) final loss, resampled minus continued (paired)
    adamw_redrawn: int  # rows redrawn in all (AdamW)
    learned: dict[str, float]  # per arm: fraction of features on a neuron (the regime guard)
    # per resampled arm ("redrawn", "adamw-redrawn"): (redrawn rows learned at the end, redrawn)
    redrawn_counts: dict[str, tuple[int, int]]
    loss: dict[str, float]  # per arm: mean final loss
    seconds: dict[str, float]  # per job: training seconds


def derive(p: InterventionParams) -> Derivation:
    n, m = p.n, p.sgd.model.m
    return Derivation(
        expr=iv.free_ratio(),
        extra={
            "opposite-survival": iv.opposite_survival(),
            "resampled": iv.resample_expression(),
            "static": collisions.exact_expectation(),
        },
        values={
            f"static(m={m})": collisions.predict_exact(n, m),
            "planted-opposite(q=1)": iv.predict_planted(n, m, p.pairs, opposite=True),
            "planted-equal(q=1)": iv.predict_planted(n, m, p.pairs, opposite=False),
            f"resampled(m={m})": iv.predict_resampled(n, m),
            f"static(m={p.adamw.model.m})": collisions.predict_exact(n, p.adamw.model.m),
            f"resampled(m={p.adamw.model.m})": iv.predict_resampled(n, p.adamw.model.m),
        }
        | {f"static(n={p.n2_n}, m={v})": collisions.predict_exact(p.n2_n, v) for v in p.n2_m},
    )


def _on(W: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return (np.abs(W) >= lo) & (np.abs(W) <= hi)


def _survival(W: np.ndarray, pairs: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Per model, the fraction of its planted pairs (B, k, 2) whose two features share a neuron."""
    on = _on(W, lo, hi)
    bi = np.arange(len(W))[:, None]
    return (on[bi, pairs[..., 0]] & on[bi, pairs[..., 1]]).any(axis=-1).mean(axis=1)


def _win(W_init: np.ndarray, W_final: np.ndarray) -> float:
    """Fraction of features whose final argmax |W| neuron is their initial one."""
    return float((iv.argmax_neurons(W_init) == iv.argmax_neurons(W_final)).mean())


def _redrawn_counts(W: np.ndarray, redraw: np.ndarray, lo: float, hi: float) -> tuple[int, int]:
    """(redrawn rows (mask (B, n)) that hold a weight in [lo, hi], redrawn rows): the regime
    guard's counts."""
    return int(_on(W, lo, hi).any(axis=-1)[redraw].sum()), int(redraw.sum())


def _learned_redrawn(W: np.ndarray, redraw: np.ndarray, lo: float, hi: float) -> float:
    """Fraction of the redrawn rows that hold a weight in [lo, hi] (1 if none)."""
    k, total = _redrawn_counts(W, redraw, lo, hi)
    return k / total if total else 1.0


def _resample(
    tp: AutoencoderParams,
    W1: np.ndarray,
    steps: int,
    seed: int,
    rng: np.random.Generator,
    p: InterventionParams,
) -> dict[str, Any]:
    """The resampling intervention on trained models W1 (B, n, m): redraw the polysemantic
    neurons' losers, then train the resampled and the untouched copies side by side for
    ``steps`` (a fresh optimizer state for both), paired per model."""
    b0, n = W1.shape[:2]
    W2, redraw = iv.resample_polysemantic(W1, _on(W1, p.lo, p.hi), rng, tp.model.std)
    tp2 = tp.replace(instances=2 * b0, seed=seed, optimiser={"steps": steps})
    out = train(tp2, init=np.concatenate([W2, W1]))
    c = PolysemanticCount(out.W_final, lo=p.lo, hi=p.hi)
    final = out.loss[-1]
    counts = _redrawn_counts(out.W_final[:b0], redraw, p.lo, p.hi)
    return {
        "resampled": c.count[:b0].astype(float),
        "continued": c.count[b0:].astype(float),
        "loss_cost": (final[:b0] - final[b0:]).astype(float),
        "redrawn": counts[1],
        "learned_resampled": float(c.learned[:b0].mean() / n),
        "learned_redrawn": counts[0] / counts[1] if counts[1] else 1.0,
        "redrawn_counts": counts,
        "loss_resampled": float(final[:b0].mean()),
        "loss_continued": float(final[b0:].mean()),
        "seconds": out.seconds,
    }


def _win_uncontested(W_init: np.ndarray, W_final: np.ndarray) -> float:
    """q from a plain init: among the features whose initial argmax neuron no other feature of the
    model shares, the fraction whose final argmax is that neuron (the win probability the model
    assumes, measured on models the interventions never touched)."""
    a = iv.argmax_neurons(W_init)  # (B, n)
    alone = (a[..., :, None] == a[..., None, :]).sum(-1) == 1
    return float((a == iv.argmax_neurons(W_final))[alone].mean())


@dataclass(frozen=True)
class _Job:
    """One independent training job (picklable)."""

    kind: str  # "sgd", "n2" or "adamw"
    p: InterventionParams
    seed: int  # the trainer's seed
    init_seed: int  # the numpy stream of the constructed inits
    m: int = 0  # the n2 job's m
    instances: int = 0  # the n2 job's models


def _run(job: _Job) -> dict[str, Any]:
    return {"sgd": _run_sgd, "n2": _run_n2, "adamw": _run_adamw}[job.kind](job)


def _run_sgd(job: _Job) -> dict[str, Any]:
    p, tp = job.p, job.p.sgd
    n, m, b, bp, k = p.n, tp.model.m, tp.instances, p.planted_instances, p.pairs
    b0 = p.plain_instances
    std = tp.model.std
    rng = np.random.default_rng(job.init_seed)
    plain = rng.standard_normal((b0, n, m)) * std
    free = iv.collision_free_init(rng, b, n, m, std)
    opp, opp_pairs = iv.planted_init(rng, bp, n, m, std, k, opposite=True)
    eq, eq_pairs = iv.planted_init(rng, bp, n, m, std, k, opposite=False)
    init = np.concatenate([plain, free, opp, eq])
    out = train(tp.replace(instances=len(init), seed=job.seed), init=init)
    W = out.W_final
    c = PolysemanticCount(W, lo=p.lo, hi=p.hi)
    cut = np.cumsum([0, b0, b, bp, bp])
    parts = {a: slice(cut[i], cut[i + 1]) for i, a in enumerate(("plain", "free", "opp", "eq"))}
    # resampling: from the plain arm's trained models, against the same models trained on
    r = _resample(tp, W[parts["plain"]], p.resample_steps, job.seed + 1, rng, p)
    final = out.loss[-1]
    return {
        "plain": c.count[parts["plain"]].astype(float),
        "free": c.count[parts["free"]].astype(float),
        "free_win": _win(free, W[parts["free"]]),
        "plain_win": _win_uncontested(plain, W[parts["plain"]]),
        "opposite": _survival(W[parts["opp"]], opp_pairs, p.lo, p.hi),
        "equal": _survival(W[parts["eq"]], eq_pairs, p.lo, p.hi),
        "planted_counts": np.stack([c.count[parts["opp"]], c.count[parts["eq"]]]).astype(float),
        "resampled": r["resampled"],
        "continued": r["continued"],
        "loss_cost": r["loss_cost"],
        "redrawn": r["redrawn"],
        "learned": {a: float(c.learned[s].mean() / n) for a, s in parts.items()}
        | {"resampled": r["learned_resampled"], "redrawn": r["learned_redrawn"]},
        "redrawn_counts": r["redrawn_counts"],
        "loss": {a: float(final[s].mean()) for a, s in parts.items()}
        | {"resampled": r["loss_resampled"], "continued": r["loss_continued"]},
        "seconds": out.seconds + r["seconds"],
    }


def _run_n2(job: _Job) -> dict[str, Any]:
    p = job.p
    tp = p.sgd.replace(model={"n": p.n2_n, "m": job.m}, instances=job.instances, seed=job.seed)
    out = train(tp)
    c = PolysemanticCount(out.W_final, lo=p.lo, hi=p.hi)
    return {
        "counts": c.count.astype(float),
        "learned": float(c.learned.mean() / p.n2_n),
        "loss": float(out.loss[-1].mean()),
        "seconds": out.seconds,
    }


def _run_adamw(job: _Job) -> dict[str, Any]:
    p, tp = job.p, job.p.adamw
    n, m, b, bp, k = p.n, tp.model.m, tp.instances, p.adamw_planted_instances, p.pairs
    b0 = p.adamw_plain_instances
    std = tp.model.std
    rng = np.random.default_rng(job.init_seed)
    free = iv.collision_free_init(rng, b, n, m, std)
    opp, opp_pairs = iv.planted_init(rng, bp, n, m, std, k, opposite=True)
    eq, eq_pairs = iv.planted_init(rng, bp, n, m, std, k, opposite=False)
    plain = rng.standard_normal((b0, n, m)) * std
    init = np.concatenate([free, opp, eq, plain])
    out = train(tp.replace(instances=len(init), seed=job.seed), init=init)
    W = out.W_final
    c = PolysemanticCount(W, lo=p.lo, hi=p.hi)
    cut = np.cumsum([0, b, bp, bp, b0])
    parts = {a: slice(cut[i], cut[i + 1]) for i, a in enumerate(("free", "opp", "eq", "plain"))}
    # resampling, as in the gradient-descent arm, with a fresh AdamW state for both halves
    W1 = W[parts["plain"]]
    r = _resample(tp, W1, p.adamw_resample_steps, job.seed + 1, rng, p)
    return (
        {
            "free": c.count[parts["free"]].astype(float),
            "win": _win(free, W[parts["free"]]),
            "plain_win": _win_uncontested(plain, W1),
            "opposite": _survival(W[parts["opp"]], opp_pairs, p.lo, p.hi),
            "equal": _survival(W[parts["eq"]], eq_pairs, p.lo, p.hi),
            "plain": c.count[parts["plain"]].astype(float),
            "learned": float(c.learned.mean() / n),
            "loss": float(out.loss[-1].mean()),
        }
        | r  # resampled, continued, loss_cost, redrawn, learned_* and the redrawn counts
        | {"seconds": out.seconds + r["seconds"]}
    )


def simulate(p: InterventionParams, ctx: Context) -> InterventionMeasurements:
    jobs = [
        _Job("sgd", p, ctx.seed_for("interventions", "sgd"), ctx.seed_for("interventions", "init"))
    ]
    jobs += [
        _Job("n2", p, ctx.seed_for("interventions", "n2", m), 0, m=m, instances=b)
        for m, b in zip(p.n2_m, p.n2_instances, strict=True)
    ]
    jobs.append(
        _Job(
            "adamw",
            p,
            ctx.seed_for("interventions", "adamw"),
            ctx.seed_for("interventions", "adamw-init"),
        )
    )
    rows = ctx.map(_run, jobs, label="interventions: arms")
    s, n2, a = rows[0], rows[1:-1], rows[-1]
    return InterventionMeasurements(
        plain=s["plain"],
        free=s["free"],
        free_win=s["free_win"],
        plain_win=s["plain_win"],
        opposite=s["opposite"],
        equal=s["equal"],
        planted_counts=s["planted_counts"],
        resampled=s["resampled"],
        continued=s["continued"],
        loss_cost=s["loss_cost"],
        redrawn=s["redrawn"],
        n2_m=np.asarray(p.n2_m, float),
        n2_counts=[r["counts"] for r in n2],
        adamw_free=a["free"],
        adamw_win=a["win"],
        adamw_plain_win=a["plain_win"],
        adamw_opposite=a["opposite"],
        adamw_equal=a["equal"],
        adamw_plain=a["plain"],
        adamw_resampled=a["resampled"],
        adamw_continued=a["continued"],
        adamw_loss_cost=a["loss_cost"],
        adamw_redrawn=a["redrawn"],
        learned=s["learned"]
        | {f"m={m}": r["learned"] for m, r in zip(p.n2_m, n2, strict=True)}
        | {
            "adamw": a["learned"],
            "adamw-resampled": a["learned_resampled"],
            "adamw-redrawn": a["learned_redrawn"],
        },
        redrawn_counts={"redrawn": s["redrawn_counts"], "adamw-redrawn": a["redrawn_counts"]},
        loss=s["loss"]
        | {f"m={m}": r["loss"] for m, r in zip(p.n2_m, n2, strict=True)}
        | {"adamw": a["loss"]},
        seconds={"sgd": s["seconds"], "adamw": a["seconds"]}
        | {f"m={m}": r["seconds"] for m, r in zip(p.n2_m, n2, strict=True)},
    )


MIN_LEARNED = 0.95  # below this fraction of learned features the count means nothing
FREE_TOL = 0.2  # the collision-free count, in units of the static expectation
SURVIVAL_TOL = 0.1  # a planted pair's survival probability
RESAMPLE_TOL = 0.15  # the count after resampling, in units of the static expectation
LOSS_TOL = 0.05  # final loss change per model: a twentieth of an unlearned feature's (0 − 1)² = 1
LEVEL_TOL = 0.35  # catalogue P1-COUNT: the level within ±35 % (collision-count's RATIO_TOL)


class OutsideRegime(RuntimeError):
    """Too few features were learned for the count to mean anything."""


def check_regime(meas: InterventionMeasurements) -> None:
    """Every arm learned ≥ MIN_LEARNED of its features; the redrawn rows (tens, not thousands)
    only need not lie below it beyond their binomial noise (99 % Clopper–Pearson upper bound):
    relearning stopped short (≈ 10 % after 2000 AdamW steps, ≈ half after 3750) still fires."""
    low = {
        a: v for a, v in meas.learned.items() if v < MIN_LEARNED and a not in meas.redrawn_counts
    }
    for a, (k, total) in meas.redrawn_counts.items():
        if total and stats.binomtest(k, total).proportion_ci(0.99).high < MIN_LEARNED:
            low[a] = k / total
    if low:
        raise OutsideRegime(
            f"features learned below {MIN_LEARNED:.0%} in arms {low}: the count is meaningless "
            "there (train longer)"
        )


def specs(p: InterventionParams) -> tuple[FitSpec, ...]:
    n, m, ma = p.n, p.sgd.model.m, p.adamw.model.m
    static = collisions.predict_exact(n, m)
    grid = ", ".join(f"{v}" for v in p.n2_m)
    factors = ", ".join("n²" if f == 1 else f"{f}n²" for f in p.n2_factors)
    return (
        FitSpec(
            "free",
            f"collision-free init (sgd, m = {m}): count / static expectation {static:.3f}",
            FREE_TOL,
            why=f"the intervention's effect to a fifth of the plain count (±{FREE_TOL:g}); the "
            "prediction 1 − q² takes q from the plain arm's uncontested features (independent "
            f"models; its sd over ≈ {int(0.6 * n * p.plain_instances)} features is < 0.01)",
        ),
        FitSpec(
            "opposite",
            f"planted opposite-sign pairs (sgd): fraction still sharing a neuron ({p.pairs} per "
            "model)",
            SURVIVAL_TOL,
            why=f"a probability to ±{SURVIVAL_TOL:g}; meant to show the departure from the static "
            "model's 1 (all survive), ≥ 0.3 where q² ≤ 0.7. The sign lottery's ½ lies close to q² "
            "under gradient descent at this m: the equal-sign pairs separate it",
            effect=0.3,
        ),
        FitSpec(
            "equal",
            "planted equal-sign pairs (sgd): fraction still sharing a neuron",
            SURVIVAL_TOL,
            why=f"a probability to ±{SURVIVAL_TOL:g} (as the opposite pairs')",
        ),
        FitSpec(
            "resample",
            f"count after resampling and {p.resample_steps} more steps / static expectation",
            RESAMPLE_TOL,
            why=f"±{RESAMPLE_TOL:g} of the plain count: the prediction "
            f"(n − 1)/(2m) = {(n - 1) / (2 * m):.3f} and the null 1 are far apart",
        ),
        FitSpec(
            "resample-loss",
            "final loss, resampled − continued (paired per model; the L1 term included)",
            LOSS_TOL,
            why=f"±{LOSS_TOL:g} per model: a twentieth of one unlearned feature's loss (1); the "
            "prediction 0 is the optimum's (an opposite co-resident costs nothing)",
        ),
        FitSpec(
            "level-n2",
            f"plain init at n = {p.n2_n}, m = {grid} ({factors}): pooled count / exact static "
            "expectation",
            LEVEL_TOL,
            why=f"collision-count's ±{100 * LEVEL_TOL:g} % (catalogue P1-COUNT), here at m = n² "
            "and beyond",
        ),
        FitSpec(
            "adamw-free",
            f"AdamW, collision-free init (m = {ma}): count / static expectation "
            f"{collisions.predict_exact(n, ma):.3f}",
            FREE_TOL,
            why=f"as the gradient-descent arm's (±{FREE_TOL:g}); under AdamW q is small, so "
            "1 − q² ≈ 1",
        ),
        FitSpec(
            "adamw-opposite",
            "AdamW, planted opposite-sign pairs: fraction still sharing a neuron",
            SURVIVAL_TOL,
            why=f"a probability to ±{SURVIVAL_TOL:g}",
        ),
        FitSpec(
            "adamw-equal",
            "AdamW, planted equal-sign pairs: fraction still sharing a neuron",
            SURVIVAL_TOL,
            why=f"a probability to ±{SURVIVAL_TOL:g} (as the opposite pairs')",
        ),
        FitSpec(
            "adamw-resample",
            f"AdamW: count after resampling and {p.adamw_resample_steps} more steps / static "
            "expectation",
            RESAMPLE_TOL,
            why=f"as gradient descent's (±{RESAMPLE_TOL:g}): the prediction (n − 1)/(2m) = "
            f"{(n - 1) / (2 * ma):.3f} needs only a neuron-symmetric, sign-blind landing of the "
            "redrawn rows, not the initial argmax",
        ),
        FitSpec(
            "adamw-resample-loss",
            "AdamW: final loss, resampled − continued (paired per model; the L1 term included)",
            LOSS_TOL,
            why=f"±{LOSS_TOL:g} per model, as gradient descent's",
        ),
    )


def fit(
    meas: InterventionMeasurements, d: Derivation, p: InterventionParams, judge: Judge
) -> list[Fit]:
    """Each intervention's count against the win-probability model (q from the plain arm of the
    same optimizer: its features with an uncontested initial argmax, in models no intervention
    touched), the resampling's count and loss cost under each optimizer, and the plain count at
    m = n² and beyond against the exact static expectation."""
    check_regime(meas)
    n, m, ma = p.n, p.sgd.model.m, p.adamw.model.m
    lv = judge.level
    static, static_a = collisions.predict_exact(n, m), collisions.predict_exact(n, ma)

    def scaled(x: np.ndarray, by: float) -> fitting.Estimate:
        e = fitting.mean_ci(x, confidence=lv)
        return fitting.Estimate(e.value / by, e.ci[0] / by, e.ci[1] / by)

    level = fitting.ratio_ci(
        meas.n2_counts,
        [collisions.predict_exact(p.n2_n, int(v)) for v in meas.n2_m],
        rng=judge.rng,
        confidence=lv,
    )
    return [
        judge.fit(
            "free",
            predicted=iv.predict_free_ratio(meas.plain_win),
            estimate=scaled(meas.free, static),
        ),
        judge.fit(
            "opposite",
            predicted=iv.predict_opposite_survival(meas.plain_win),
            estimate=fitting.mean_ci(meas.opposite, confidence=lv),
        ),
        judge.fit(
            "equal",
            predicted=d.values["planted-equal(q=1)"] / p.pairs,
            estimate=fitting.mean_ci(meas.equal, confidence=lv),
        ),
        judge.fit(
            "resample",
            predicted=d.values[f"resampled(m={m})"] / static,
            estimate=scaled(meas.resampled, static),
        ),
        judge.fit(
            "resample-loss", predicted=0.0, estimate=fitting.mean_ci(meas.loss_cost, confidence=lv)
        ),
        judge.fit("level-n2", predicted=1.0, estimate=level),
        judge.fit(
            "adamw-free",
            predicted=iv.predict_free_ratio(meas.adamw_plain_win),
            estimate=scaled(meas.adamw_free, static_a),
        ),
        judge.fit(
            "adamw-opposite",
            predicted=iv.predict_opposite_survival(meas.adamw_plain_win),
            estimate=fitting.mean_ci(meas.adamw_opposite, confidence=lv),
        ),
        judge.fit(
            "adamw-equal",
            predicted=d.values["planted-equal(q=1)"] / p.pairs,
            estimate=fitting.mean_ci(meas.adamw_equal, confidence=lv),
        ),
        judge.fit(
            "adamw-resample",
            predicted=d.values[f"resampled(m={ma})"] / static_a,
            estimate=scaled(meas.adamw_resampled, static_a),
        ),
        judge.fit(
            "adamw-resample-loss",
            predicted=0.0,
            estimate=fitting.mean_ci(meas.adamw_loss_cost, confidence=lv),
        ),
    ]


def _init_decides(fits: list[Fit], meas: Any, p: Any, judge: Judge) -> list[Fit]:
    """Mutant q = 1: the initial argmax always wins (the static model): no collision from a
    collision-free init, every planted opposite pair survives, under either optimizer."""
    to = {"free": 0.0, "opposite": 1.0, "adamw-free": 0.0, "adamw-opposite": 1.0}
    return [f.mutant(predicted=to[f.key]) for f in fits if f.key in to]


def _n2_over_2m(fits: list[Fit], meas: Any, p: Any, judge: Judge) -> list[Fit]:
    """Mutant: the count is n²/(2m), 2n/(n − 1) times the leading term (no factor ½)."""
    return [f.mutant(predicted=2.0 * p.n2_n / (p.n2_n - 1)) for f in fits if f.key == "level-n2"]


CONTROLS = (
    Control(
        "init-decides",
        "the initial argmax always wins (q = 1, the static model): a collision-free init gives "
        "0 collisions and planted opposite pairs all survive, under either optimizer",
        refit=_init_decides,
    ),
    Control(
        "null-free",
        "a collision-free init leaves the count unchanged (gradient descent)",
        predict={"free": 1.0},
    ),
    Control(
        "null-planted",
        "planted pairs survive at the sign lottery's ½, whatever their signs, under either "
        "optimizer",
        predict={"opposite": 0.5, "equal": 0.5, "adamw-opposite": 0.5, "adamw-equal": 0.5},
    ),
    Control(
        "null-resample",
        "resampling leaves the count unchanged, under either optimizer",
        predict={"resample": 1.0, "adamw-resample": 1.0},
    ),
    Control(
        "n2-over-2m",
        "the count at m ≥ n² is n²/(2m) (no factor ½ from the signs): 2n/(n − 1) of the static "
        "expectation",
        refit=_n2_over_2m,
    ),
)


def false_failure(p: InterventionParams, judge: Judge) -> str:
    return (
        f"{judge.family_sentence()}. Gradient descent at n = {p.n}, m = {p.sgd.model.m}: "
        f"{p.plain_instances} plain and {p.sgd.instances} collision-free models, "
        f"{p.planted_instances} models per planted arm ({p.pairs} pairs each), resampling of the "
        f"{p.plain_instances} plain models; the plain init at n = {p.n2_n}, m = "
        f"{', '.join(str(v) for v in p.n2_m)} with {', '.join(str(b) for b in p.n2_instances)} "
        f"models; AdamW at m = {p.adamw.model.m}: {p.adamw.instances} collision-free, "
        f"{p.adamw_planted_instances} per planted arm and {p.adamw_plain_instances} plain models, "
        f"then resampled ({p.adamw_resample_steps} steps)."
    )


STANDARD = InterventionParams()


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """The standard settings (gradient descent at lr = λ = 0.1, 800 steps, m = 8n; AdamW at the
    paper's settings, m = 4n; n = 8 at m = n², 2n²) with a drawn quarter to an eighth of the
    models: no fit expected to pass may fail there."""
    k = draw(st.sampled_from([4, 8]), label="models divisor")
    return {
        "sgd.optimiser.steps": STANDARD.sgd.optimiser.steps,
        "sgd.instances": STANDARD.sgd.instances // k,
        "plain_instances": STANDARD.plain_instances // k,
        "planted_instances": STANDARD.planted_instances // k,
        "resample_steps": STANDARD.resample_steps,
        "n2_instances": tuple(b // k for b in STANDARD.n2_instances),
        "adamw.instances": STANDARD.adamw.instances // k,
        "adamw_planted_instances": STANDARD.adamw_planted_instances // k,
        "adamw_plain_instances": STANDARD.adamw_plain_instances // k,
        "adamw_resample_steps": STANDARD.adamw_resample_steps,
    }


SMOKE = InterventionParams(
    sgd=_SGD.replace(instances=64, optimiser={"steps": 300}),
    plain_instances=32,
    planted_instances=16,
    resample_steps=100,
    n2_instances=(16, 16),
    adamw=_ADAMW.replace(instances=16),  # AdamW learns nothing in fewer steps
    adamw_planted_instances=8,
    adamw_plain_instances=8,
)
PAPER = InterventionParams(  # the largest run meant: four times the standard's models
    sgd=_SGD.replace(instances=4096),
    plain_instances=2048,
    planted_instances=1024,
    n2_instances=(8192, 8192),
    adamw=_ADAMW.replace(instances=1536),
    adamw_planted_instances=384,
    adamw_plain_instances=512,
)

# Measured before the 20-seed sweep, at the standard scale: the gradient-descent collision-free
# count over the static expectation was 0.513, 99.4 % interval [0.420, 0.605], against the
# win-probability model's 1 − q² = 0.434 (q = 0.752 on that arm, seed 0), and 0.504 against 0.480
# in an exploratory run (q taken from a plain arm there): the model predicts the effect's size but
# under-predicts the count left by ≈ 0.03–0.08 of the static expectation.
_FREE = Deviation(
    "pass",
    (0.38, 0.66),
    "the collision-free init removes about half the collisions under gradient descent, not all: "
    "0.51 [0.42, 0.61] of the static expectation at seed 0 against the win-probability model's "
    "1 − q² = 0.43 (q = 0.76: of the plain arm's features with an uncontested initial argmax, "
    "the fraction that keep it; 0.75 on the collision-free arm itself) and the static model's 0. "
    "The model gets the size of the effect; the count left sits ≈ 0.09 above it at seed 0 "
    "(≈ 0.03 in an exploratory run), so the interval lies inside the "
    "band (pass) or straddles its upper edge (inconclusive). Features that leave their initial "
    "argmax are not a uniform draw: they leave under interference, and where they land is not "
    "independent of the other features (not modelled)",
    also=("inconclusive",),
)

# Measured before the 20-seed sweep, at the standard scale: the AdamW collision-free count over
# the static expectation was 1.041, 99.4 % interval [0.925, 1.156] (seed 0, 512 models), 1.050
# [0.873, 1.227] (seed 0, 256 models) and 1.25 (an exploratory run of 128 models): at or a little
# above 1, where the win-probability model says 1 − q² ≈ 0.95. The range is where those values and
# their intervals lie; the sweep logs (benchmarks/false_failure.jsonl,
# benchmarks/fresh_seeds_interventions.jsonl) hold the values at 40 seeds.
_ADAMW_FREE = Deviation(
    "inconclusive",
    (0.85, 1.35),
    "under AdamW a collision-free init leaves the count at the static expectation or above it: "
    "1.04 [0.93, 1.16] of it at seed 0 (512 models at m = 4n), 1.05 and 1.25 in smaller runs, "
    "against the win-probability model's 1 − q² ≈ 0.95 (q ≈ 0.23 on the plain AdamW arm). The "
    "model's 5 % reduction is below what the run resolves, and AdamW's count at small m/n sits "
    "above the static model's (collision-count-adamw: training adds collisions there), so the "
    "interval straddles the band's upper edge (inconclusive) or lies inside it (pass): the "
    "initial argmax does not decide under AdamW, and removing init collisions removes none",
    also=("pass",),
)

# The plain count at m = n², 2n² (n = 8) over the exact static expectation, measured over seeds
# 0–19 (benchmarks/false_failure.jsonl) and the fresh seeds 400–419
# (benchmarks/fresh_seeds_interventions.jsonl), both at commit 5a1269e: fitted 1.048–1.242, mean
# 1.13, intervals ≈ ±0.12; at seed 406 the interval [1.123, 1.373] straddled the band's upper edge.
_LEVEL_N2 = Deviation(
    "pass",
    (1.0, 1.3),
    "under gradient descent the count at m = n², 2n² (n = 8) sits ≈ 13 % above the exact static "
    "model: fitted 1.048–1.242 (mean 1.13) over 40 seeds (0–19 and 400–419, "
    "benchmarks/false_failure.jsonl and fresh_seeds_interventions.jsonl), "
    "intervals ≈ ±0.12, inside collision-count's ±35 % except at seed 406, where [1.123, 1.373] "
    "straddled the upper edge (inconclusive). Incidental polysemanticity is there at m = n², a "
    "little more of it than the static model says (training adds collisions, as "
    "collision-count's paper-scale run found at m = n)",
    also=("inconclusive",),
)

CLAIM = Claim(
    id="interventions",
    title="Intervening on the init: the initial argmax decides in proportion q²",
    statement=(
        "Under gradient descent a collision-free init (same entry law, distinct argmax neurons) "
        "removes collisions only in proportion q² (q the fraction of features that stay on their "
        "initial argmax), planted opposite-sign pairs survive with probability q² and equal-sign "
        "pairs do not, resampling polysemantic neurons leaves (n − 1)/(2m) of the count at no "
        "loss cost, and under AdamW (q small) the init interventions change ≈ nothing; the plain "
        "count at m = n², 2n² is the static model's."
    ),
    source=(
        "extension: Lecomte et al. 2312.03096, Result 4 and the blog post's future work (issue 27)"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=CONTROLS,
    deviations={"free": _FREE, "level-n2": _LEVEL_N2, "adamw-free": _ADAMW_FREE},
    false_failure=false_failure,
    plot=figures.Figure("interventions"),
    strategy=_strategy,
)
