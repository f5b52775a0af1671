"""Claim ``kurtosis-sparsity``: the sign of hidden noise's excess kurtosis decides whether it
sparsifies.

Lecomte et al. (catalogue §1.3, P1-N-1..3): noise ξ on the hidden layer adds, through
E[(W_i·ξ)⁴] = 3σ⁴‖W_i‖₂⁴ + (μ₄/σ⁴ − 3)σ⁴‖W_i‖₄⁴ (:mod:`theory.kurtosis`), a term ‖W_i‖₄⁴·κ₄(ξ)
to the loss: noise with negative excess kurtosis (Bernoulli −2, uniform −6/5) rewards sparse
rows, Gaussian (0) is neutral, Laplace (+3) favours dense rows. Training equalises row norms,
which moves the paper's mean ‖W_i‖₄⁴ (3/m → 3/(m+2)) with no noise at all, so the sign fits use
the scale-free ‖W_i‖₄⁴/‖W_i‖₂⁴, exactly 3/(m+2) in expectation at every step under
rotation-invariant dynamics (no noise, Gaussian: a change of 0,
:func:`theory.kurtosis.predict_ratio_change`); the levels use the paper's metric. Replicates are
instances with their own noise, or seeds where the noise is shared (``noise_scope="step"``, the
paper's); every run starts from the same seeds, so runs are paired.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from sim import ParamError, check_float, check_int
from sim.autoencoder import (
    AutoencoderParams,
    ModelParams,
    Noise,
    NoiseParams,
    OptimiserParams,
    train,
)
from theory import kurtosis

from .. import figures, fitting, paper_figures
from .._context import Context
from .._core import Claim, Control, Derivation, Fit, FitSpec, Judge
from ._shared import check_confidence, property_strategy

__all__ = [
    "CLAIM",
    "KurtosisMeasurements",
    "KurtosisParams",
    "Trajectory",
    "check_replicates",
    "crossing_time",
    "fourth_norms",
    "paired_bootstrap",
    "trajectories",
]

NOISES = kurtosis.NOISES  # ("bernoulli", "uniform", "gaussian", "laplace")
INIT_TOL = 0.01  # the 3/m init's band: the unit-row value 3/(m+2) lies outside it
BERNOULLI_FLOOR = 0.6  # catalogue P1-N-3: Bernoulli's final mean ‖W_i‖₄⁴ lies above this
GAUSSIAN_CEILING = 0.25  # catalogue P1-N-3: Gaussian's stays below this
_LOG = "benchmarks/false_failure.jsonl"  # the standard scale's sweep over seeds 0–19


# -- measurements shared with kurtosis-mechanism ------------------------------------------------


def fourth_norms(W: torch.Tensor) -> torch.Tensor:
    """(B, 2): per instance, the mean over rows of ‖W_i‖₄⁴ (the paper's "fourth norm") and of
    ‖W_i‖₄⁴/‖W_i‖₂⁴ (scale-free, in [1/m′, 1], 1 iff the row is one-hot)."""
    sq = W.square()
    p2 = sq.sum(-1)
    p4 = sq.square().sum(-1)
    return torch.stack([p4.mean(-1), (p4 / p2.square()).mean(-1)], dim=-1)


@dataclass(frozen=True, repr=False)
class Trajectory:
    """One configuration's metrics at log-spaced steps, with replicates on the last axis."""

    label: str
    time: np.ndarray  # (T,) lr·step, the time unit in which the effect is first order
    fourth: np.ndarray  # (T, R) mean ‖W_i‖₄⁴ per replicate
    ratio: np.ndarray  # (T, R) mean ‖W_i‖₄⁴/‖W_i‖₂⁴ per replicate
    seconds: float  # training time, all seeds

    def __repr__(self) -> str:
        return f"Trajectory({self.label}, T={self.time.size}, R={self.ratio.shape[1]})"

    @property
    def change(self) -> np.ndarray:
        """(R,) final minus initial ‖W_i‖₄⁴/‖W_i‖₂⁴ of each replicate."""
        return self.ratio[-1] - self.ratio[0]


def _train_one(p: AutoencoderParams) -> tuple[np.ndarray, np.ndarray, float]:
    out = train(p, metrics={"fourth": fourth_norms})
    return out.steps, out.metrics["fourth"], out.seconds


def trajectories(
    configs: Mapping[str, Callable[[int], AutoencoderParams]],
    seeds: int,
    scope: str,
    ctx: Context,
    label: str,
) -> dict[str, Trajectory]:
    """Train every configuration once per seed (seed s is the same for all configurations, so
    replicate r starts from the same weights everywhere) and stack the replicates.

    The replicate is the instance (own init, own noise) unless the noise is shared by the
    instances (``scope == "step"``, the paper code's): then it is the seed, its instances
    averaged."""
    seed_values = [ctx.seed_for("kurtosis", s) for s in range(seeds)]
    jobs = [(name, make(seed)) for name, make in configs.items() for seed in seed_values]
    results = ctx.map(_train_one, [p for _, p in jobs], label=label)
    out: dict[str, Trajectory] = {}
    for name in configs:
        rows = [r for (n, _), r in zip(jobs, results, strict=True) if n == name]
        steps = rows[0][0]
        lr = next(p for n, p in jobs if n == name).optimiser.lr
        metric = np.stack([r[1] for r in rows], axis=1)  # (T, S, B, 2)
        # instances sharing the noise (scope "step") make one replicate per seed
        metric = metric.mean(axis=2) if scope == "step" else metric.reshape(metric.shape[0], -1, 2)
        out[name] = Trajectory(
            name, steps * lr, metric[..., 0], metric[..., 1], float(sum(r[2] for r in rows))
        )
    return out


def crossing_time(time: np.ndarray, curves: np.ndarray, level: float) -> np.ndarray:
    """First time each curve (last axis: T points) reaches ``level``, interpolated linearly in
    log time between the two recorded points around it; inf where it never does, nan where it
    starts at or above it."""
    curves = np.asarray(curves, dtype=float)
    above = curves >= level
    first = np.argmax(above, axis=-1)
    crossed = above.any(axis=-1)
    k = np.clip(first, 1, time.size - 1)
    y0 = np.take_along_axis(curves, (k - 1)[..., None], -1)[..., 0]
    y1 = np.take_along_axis(curves, k[..., None], -1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        lt0, lt1 = np.log(time[k - 1]), np.log(time[k])
        frac = np.clip((level - y0) / (y1 - y0), 0.0, 1.0)
        t = np.exp(lt0 + frac * (lt1 - lt0))
    t = np.where(time[k - 1] > 0, t, time[k])  # no log interpolation down to step 0
    t = np.where(crossed, t, np.inf)
    return np.where(crossed & (first == 0), np.nan, t)


def paired_bootstrap(
    replicates: int,
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    rng: np.random.Generator,
    confidence: float,
) -> fitting.Estimate:
    """Bootstrap over replicate indices, the same resample for every run (runs are paired by
    replicate); ``statistic`` maps an integer index array (..., R) to values (...)."""

    def stat(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        return statistic(np.moveaxis(np.asarray(idx), axis, -1).astype(int))

    return fitting.bootstrap(
        [np.arange(replicates, dtype=float)], stat, rng=rng, confidence=confidence
    )


def check_replicates(trainer: AutoencoderParams, seeds: int) -> None:
    """At least two replicates: seeds when the noise is shared by the instances, else
    seeds × instances."""
    check_int("seeds", seeds, 1)
    check_int("train.model.m", trainer.model.m, 2)
    shared = trainer.noise.scope == "step"
    if (seeds if shared else seeds * trainer.instances) < 2:
        unit = (
            "seeds (noise_scope='step' shares the noise across instances)"
            if shared
            else "seeds × instances"
        )
        raise ParamError(
            "seeds" if shared else "train.instances",
            seeds if shared else trainer.instances,
            f">= 2 replicates of {unit}",
        )


# -- claim kurtosis-sparsity --------------------------------------------------------------------


@dataclass(frozen=True)
class KurtosisParams:
    """The four noises at one σ, and Bernoulli over a σ grid, trained with SGD (no L1, output ReLU
    on, noise on the hidden layer) from the same seeds."""

    GRID_SET: ClassVar[tuple[str, ...]] = (
        "train.noise.kind",
        "train.noise.sigma",
    )  # each run sets its noise and σ

    # every run's trainer (its noise and σ are the run's)
    train: AutoencoderParams = AutoencoderParams(
        model=ModelParams(
            n=8,  # features (the paper's fourth_norm.py)
            m=16,  # hidden neurons (the paper's); ‖W_i‖₄⁴ starts at 3/m = 0.1875
        ),
        noise=NoiseParams(
            scope="instance",  # one ξ per instance per step: instances are independent replicates
        ),
        optimiser=OptimiserParams(
            # lr·t = 500: Bernoulli at its plateau, σ = 0.1 past its half-rise (≈ 380)
            steps=25_000,
            lr=0.02,  # SGD learning rate (the paper's; lr 0.08 at equal lr·t rises 3–5× less)
            kind="sgd",  # the paper's fourth_norm.py optimiser
        ),
        instances=48,  # models per run: the replicates when noise_scope != "step"
        log_points=60,  # recorded steps (log-spaced): ≈ 18 % apart at 25 000 steps
    )
    seeds: int = 1  # runs per configuration; the replicate unit when train.noise.scope == "step"
    sigma: float = 0.15  # σ of the four-noise comparison (the paper's largest)
    sigmas: tuple[float, ...] = (0.1, 0.125, 0.15)  # Bernoulli σ grid for the time to half-rise
    # Bernoulli plateau of ‖W_i‖₄⁴/‖W_i‖₂⁴ (measured 0.77–0.80); half-rise: halfway from 3/(m+2)
    plateau: float = 0.8
    init_instances: int = 4096  # independent N(0, 1/m) inits for the 3/m check (one short run)
    gaussian_margin: float = (
        0.03  # |change| below this is "no change" (5 % of Bernoulli's rise, 0.6)
    )
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)
    gaussian_sigmas: tuple[
        float, ...
    ] = ()  # further Gaussian σ runs, judged by no fit: beside the paper's table

    def __post_init__(self) -> None:
        check_replicates(self.train, self.seeds)
        check_float("sigma", self.sigma, 0.0, lo_open=True)
        for s in self.gaussian_sigmas:
            check_float("gaussian_sigmas", s, 0.0, lo_open=True)
        if len(self.sigmas) < 2 or len(set(self.sigmas)) != len(self.sigmas):
            raise ParamError(
                "sigmas", self.sigmas, "at least two distinct values, e.g. 0.1,0.125,0.15"
            )
        for s in self.sigmas:
            check_float("sigmas", s, 0.0, lo_open=True)
        check_float("plateau", self.plateau, 0.0, 1.0, lo_open=True)
        iso = kurtosis.predict_isotropic_fourth_norm(self.train.model.m)
        if not self.plateau > iso:
            raise ParamError("plateau", self.plateau, f"> 3/(m+2) = {iso:.4f}, the isotropic value")
        check_int("init_instances", self.init_instances, 2)
        check_float("gaussian_margin", self.gaussian_margin, 0.0, lo_open=True)
        check_confidence(self.confidence)

    @property
    def half_level(self) -> float:
        """The half-rise level: halfway from 3/(m+2) to the plateau."""
        return 0.5 * (kurtosis.predict_isotropic_fourth_norm(self.train.model.m) + self.plateau)

    @property
    def replicate_unit(self) -> str:
        return "seed" if self.train.noise.scope == "step" else "instance"

    def trainer(self, noise: Noise, sigma: float, *, seed: int, device: str) -> AutoencoderParams:
        """The trainer's params of one run: ``noise`` at ``sigma``."""
        return self.train.replace(noise={"kind": noise, "sigma": sigma}, seed=seed, device=device)


@dataclass(frozen=True, repr=False)
class KurtosisMeasurements:
    init_fourth: np.ndarray  # (init_instances,) mean ‖W_i‖₄⁴ of independent inits
    noises: Mapping[str, Trajectory]  # "none" and the four noises at params.sigma
    grid: Mapping[float, Trajectory]  # Bernoulli at each σ of params.sigmas
    replicate_unit: str  # "instance" or "seed"
    gaussian: Mapping[float, Trajectory] = dataclasses.field(
        default_factory=dict
    )  # params.gaussian_sigmas


def derive(p: KurtosisParams) -> Derivation:
    kappa = {name: kurtosis.excess_kurtosis(name) for name in NOISES}
    m = p.train.model.m
    return Derivation(
        expr=kurtosis.projection_moment(4),
        extra={
            "paper_form": kurtosis.fourth_moment_identity(),
            "from_cumulants": kurtosis.projection_moment_from_cumulants(4),
            "init_fourth_norm": kurtosis.init_fourth_norm(),
            "isotropic_fourth_norm": kurtosis.isotropic_fourth_norm(),
        }
        | {f"excess_kurtosis_{k}": v for k, v in kappa.items()},
        values={
            "3/m": kurtosis.predict_init_fourth_norm(m),
            "3/(m+2)": kurtosis.predict_isotropic_fourth_norm(m),
        }
        | {f"kappa_{k}": float(v) for k, v in kappa.items()},
    )


def simulate(p: KurtosisParams, ctx: Context) -> KurtosisMeasurements:
    base = p.trainer("none", 0.0, seed=ctx.seed_for("kurtosis-init"), device=ctx.device)
    # Only W_init is used. steps = check_every − 1 fills the trainer's loss window: a shorter run
    # checks slots of a torch.empty buffer it never wrote and can stop with a spurious
    # DivergenceError.
    init = train(
        base.replace(
            optimiser={"steps": base.check_every - 1},
            instances=p.init_instances,
            log_points=1,
            record_steps=(),
        )
    )
    init_fourth = fourth_norms(torch.from_numpy(init.W_init))[:, 0].numpy()
    configs: dict[str, Callable[[int], AutoencoderParams]] = {
        "none": lambda seed: p.trainer("none", 0.0, seed=seed, device=ctx.device),
    }
    for noise in NOISES:
        configs[noise] = lambda seed, noise=noise: p.trainer(
            noise, p.sigma, seed=seed, device=ctx.device
        )

    def add_sigmas(noise: Noise, sigmas: tuple[float, ...]) -> dict[float, str]:
        """Runs of ``noise`` at each σ (the one at params.sigma is already there): σ -> run name."""
        names = {s: (noise if s == p.sigma else f"{noise}@{s:g}") for s in sigmas}
        for s, name in names.items():
            configs.setdefault(
                name, lambda seed, s=s: p.trainer(noise, s, seed=seed, device=ctx.device)
            )
        return names

    grid_names = add_sigmas("bernoulli", p.sigmas)
    gauss_names = add_sigmas("gaussian", p.gaussian_sigmas)
    runs = trajectories(
        configs, p.seeds, p.train.noise.scope, ctx, "kurtosis-sparsity: noises and σ grid"
    )
    return KurtosisMeasurements(
        init_fourth=init_fourth,
        noises={k: runs[k] for k in ("none", *NOISES)},
        grid={s: runs[name] for s, name in grid_names.items()},
        replicate_unit=p.replicate_unit,
        gaussian={s: runs[name] for s, name in gauss_names.items()},
    )


def _change_spec(noise: str, p: KurtosisParams) -> FitSpec:
    """Where the theory derives the change (a rotation-invariant noise: 0) a "==" fit with the
    no-change margin as its half-width; elsewhere its predicted sign, −sign κ, as an ordering."""
    kappa = f"κ = {kurtosis.predict_excess_kurtosis(noise):g}" if noise != "none" else "no noise"
    what = f"change of mean ‖W_i‖₄⁴/‖W_i‖₂⁴ from step 0 to the end, {noise} ({kappa})"
    margin, iso = p.gaussian_margin, kurtosis.predict_isotropic_fourth_norm(p.train.model.m)
    exact = kurtosis.predict_ratio_change(noise)
    if exact is not None:
        return FitSpec(
            f"change-{noise}",
            what,
            margin,
            why=f"rotation invariance (theory.kurtosis.predict_ratio_change): E = 3/(m+2) = "
            f"{iso:.4f} at every step, so the change is {exact:g}; the interval must lie within "
            f"±{margin:g} of it (5 % of Bernoulli's rise)",
        )
    sign = kurtosis.predicted_sign(noise)
    if sign == 0:
        raise ValueError(f"theory.kurtosis predicts neither the change nor its sign for {noise!r}")
    return FitSpec(
        f"change-{noise}",
        what,
        relation=">" if sign > 0 else "<",
        why="predicted sign −sign(κ) (theory.kurtosis.predicted_sign): the κ₄ term rewards large "
        "‖W_i‖₄⁴ when κ < 0",
    )


def fit_specs(p: KurtosisParams) -> tuple[FitSpec, ...]:
    """The ten fits: the 3/m init, the sign of the change per noise, the paper's two levels, the
    slope against κ and the half-rise exponent."""
    sig = ", ".join(f"{s:g}" for s in sorted(p.sigmas))
    return (
        FitSpec(
            "init",
            "mean ‖W_i‖₄⁴ at step 0 (independent N(0, 1/m) inits)",
            INIT_TOL,
            why="E‖W_i‖₄⁴ = m·E[x⁴] = 3/m = "
            f"{kurtosis.predict_init_fourth_norm(p.train.model.m):.4f} "
            f"(theory.kurtosis, sympy.stats), ±{INIT_TOL:g}; the unit-row value 3/(m+2) = "
            f"{kurtosis.predict_isotropic_fourth_norm(p.train.model.m):.4f} lies outside that band",
        ),
        *(_change_spec(noise, p) for noise in ("none", *NOISES)),
        FitSpec(
            "final-bernoulli",
            f"final mean ‖W_i‖₄⁴, Bernoulli σ = {p.sigma:g} (paper's metric)",
            relation=">",
            why=f"catalogue P1-N-3 harness threshold {BERNOULLI_FLOOR:g} for σ ≥ 0.1 (paper code: "
            "0.77–0.79 at 1e5 steps)",
        ),
        FitSpec(
            "final-gaussian",
            f"final mean ‖W_i‖₄⁴, Gaussian σ = {p.sigma:g} (paper's metric)",
            relation="<",
            why="catalogue P1-N-3: Gaussian stays at 0.15–0.18 (3/(m+2) with unit rows); "
            f"threshold {GAUSSIAN_CEILING:g}",
        ),
        FitSpec(
            "slope",
            "slope of final mean ‖W_i‖₄⁴ against excess kurtosis (per-replicate OLS over the "
            f"{len(NOISES)} noises)",
            relation="<",
            why="more negative κ, sparser rows; a summary slope (the response saturates near 0.8)",
        ),
        FitSpec(
            "half-rise-exponent",
            f"exponent b of t½ ∝ σ^b over the Bernoulli σ ∈ {{{sig}}} that reach the half-rise "
            "(t½ in lr·t to "
            f"‖W_i‖₄⁴/‖W_i‖₂⁴ = {p.half_level:.3f}; bootstrap over {p.replicate_unit}s)",
            relation="<",
            why="the paper gives no exponent, only that larger σ rises earlier (predicted sign); "
            "the local exponents between neighbouring σ (in the figure) differ: not one power law, "
            "so b depends on "
            "the grid",
        ),
    )


def half_rise(meas: KurtosisMeasurements, p: KurtosisParams) -> tuple[list[float], np.ndarray]:
    """The σ whose mean curve reaches the half-rise level, and their crossing times."""
    sig = sorted(meas.grid)
    times = np.array(
        [crossing_time(meas.grid[s].time, meas.grid[s].ratio.mean(-1), p.half_level) for s in sig]
    )
    ok = np.isfinite(times)
    if ok.sum() < 2:
        raise ValueError(
            f"the mean ‖W_i‖₄⁴/‖W_i‖₂⁴ reached the half-rise level {p.half_level:.3f} for σ in "
            f"{[s for s, o in zip(sig, ok, strict=True) if o]} only (need two); raise steps or "
            "lower plateau"
        )
    return [s for s, o in zip(sig, ok, strict=True) if o], times[ok]


def fit(meas: KurtosisMeasurements, d: Derivation, p: KurtosisParams, judge: Judge) -> list[Fit]:
    level = judge.level
    init = fitting.mean_ci(meas.init_fourth, confidence=level)
    fits = [
        judge.fit(
            "init", predicted=kurtosis.predict_init_fourth_norm(p.train.model.m), estimate=init
        )
    ]
    for noise in ("none", *NOISES):
        exact = kurtosis.predict_ratio_change(noise)  # None: the sign's threshold, 0
        fits.append(
            judge.fit(
                f"change-{noise}",
                predicted=0.0 if exact is None else exact,
                estimate=fitting.mean_ci(meas.noises[noise].change, confidence=level),
            )
        )
    bern = fitting.mean_ci(meas.noises["bernoulli"].fourth[-1], confidence=level)
    gauss = fitting.mean_ci(meas.noises["gaussian"].fourth[-1], confidence=level)
    fits += [
        judge.fit("final-bernoulli", predicted=BERNOULLI_FLOOR, estimate=bern),
        judge.fit("final-gaussian", predicted=GAUSSIAN_CEILING, estimate=gauss),
    ]
    kappas = np.array([kurtosis.predict_excess_kurtosis(k) for k in NOISES])
    finals = np.stack([meas.noises[k].fourth[-1] for k in NOISES], axis=-1)  # (R, 4)
    slope = fitting.mean_ci(fitting.ols_slope(kappas, finals), confidence=level)
    fits.append(judge.fit("slope", predicted=0.0, estimate=slope))
    sig, _ = half_rise(meas, p)
    logs, half = np.log(sig), p.half_level
    curves = [meas.grid[s] for s in sig]

    def exponent(idx: np.ndarray) -> np.ndarray:
        t = np.stack(
            [
                crossing_time(c.time, np.moveaxis(c.ratio[:, idx].mean(-1), 0, -1), half)
                for c in curves
            ],
            -1,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            return fitting.ols_slope(logs, np.log(t))

    b = paired_bootstrap(curves[0].ratio.shape[1], exponent, rng=judge.rng, confidence=level)
    fits.append(judge.fit("half-rise-exponent", predicted=0.0, estimate=b))
    return fits


def _gaussian_sparsifies(
    fits: Sequence[Fit], meas: KurtosisMeasurements, p: KurtosisParams, judge: Judge
) -> list[Fit]:
    """Mutant: Gaussian noise raises ‖W_i‖₄⁴/‖W_i‖₂⁴ by more than the no-change margin."""
    return [
        f.mutant(relation=">", predicted=p.gaussian_margin)
        for f in fits
        if f.key == "change-gaussian"
    ]


def _sign_blind(
    fits: Sequence[Fit], meas: KurtosisMeasurements, p: KurtosisParams, judge: Judge
) -> list[Fit]:
    """Mutant: only |κ| matters, so Laplace (|κ| = 3) sparsifies at least as much as Bernoulli (2):
    Laplace's change fit, re-measured as change(Laplace) − change(Bernoulli) (paired) and judged
    > 0."""
    est = fitting.mean_ci(
        meas.noises["laplace"].change - meas.noises["bernoulli"].change, confidence=judge.level
    )
    return [
        f.mutant(
            fitted=est.value,
            ci=est.ci,
            relation=">",
            predicted=0.0,
            quantity="change(Laplace) − change(Bernoulli), paired by replicate",
        )
        for f in fits
        if f.key == "change-laplace"
    ]


def _init_isotropic(
    fits: Sequence[Fit], meas: KurtosisMeasurements, p: KurtosisParams, judge: Judge
) -> list[Fit]:
    """Mutant: the init's rows already have unit norm, so E‖W_i‖₄⁴ = 3/(m+2)."""
    return [
        f.mutant(predicted=kurtosis.predict_isotropic_fourth_norm(p.train.model.m))
        for f in fits
        if f.key == "init"
    ]


def _sigma_minus_four(
    fits: Sequence[Fit], meas: KurtosisMeasurements, p: KurtosisParams, judge: Judge
) -> list[Fit]:
    """Mutant: the κ₄(ξ) = κσ⁴ loss term alone drives the rise, so t½ ∝ σ⁻⁴ (judged at ±0.5,
    half the distance to the neighbouring integer laws σ⁻³ and σ⁻⁵)."""
    return [
        f.mutant(relation="==", predicted=-4.0, tolerance=0.5)
        for f in fits
        if f.key == "half-rise-exponent"
    ]


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Overrides of the smoke params where the claim should hold: the paper's n = 8, m = 16 (the
    only model the effect was established on), SGD lr 0.02 (first order there), σ around the
    paper's largest, and lr·t = 200, where Bernoulli is near 0.65 (a lower interval end below 0.6
    is inconclusive, not a failure; a failure needs the whole interval below); judged at a
    family-wise 0.999 so that a property-test failure means the theory broke, not a 5 % chance."""
    sigma = draw(st.sampled_from([0.15, 0.16, 0.17]), label="sigma")
    return {
        "train.model.n": 8,
        "train.model.m": 16,
        "train.optimiser.lr": 0.02,
        "train.optimiser.steps": 10_000,
        "sigma": sigma,
        "sigmas": (sigma - 0.03, sigma),
        "plateau": 0.6,
        "train.instances": draw(st.integers(10, 16), label="instances"),
        "init_instances": 1024,
        "gaussian_margin": 0.03,
        "train.log_points": 40,
    }


def _false_failure(p: KurtosisParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge), the replicates at ``p``,
    and the standard scale's intervals from its sweep log."""
    unit = (
        f"{p.seeds} seeds (the noise is shared by the instances)"
        if p.replicate_unit == "seed"
        else f"{p.train.instances} independent instances (own init, own noise)"
    )
    return (
        f"{judge.family_sentence()}. The replicates are {unit}; the 3/m check uses "
        f"{p.init_instances} inits. Over seeds 0–19 at the standard scale ({_LOG}) the "
        f"Gaussian-change interval was ±0.009–0.013 inside its ±{STANDARD.gaussian_margin:g} "
        "band, every sign fit lay ≥ 2.9 interval half-widths from 0 (Laplace's −0.039…−0.028, "
        f"±0.007–0.010, the nearest), and the 3/m interval was ±0.0024 inside ±{INIT_TOL:g}."
    )


STANDARD = KurtosisParams()
SMOKE = KurtosisParams(
    train=STANDARD.train.replace(optimiser={"steps": 2000}, instances=4, log_points=20),
    sigma=0.2,
    sigmas=(0.15, 0.2),
    plateau=0.25,
    init_instances=64,
    gaussian_margin=0.2,
)
# The paper code: n 8, m 16, 5 instances, SGD lr 0.02, 1e5 steps, σ ∈ {0.07, 0.1, 0.15}, one noise
# vector per step shared by inputs and instances. It ran one seed (13); intervals need replicates,
# and with shared noise the replicate is the seed, hence 8 seeds. At σ = 0.07 the half-rise lies
# beyond 1e5 steps, so its exponent uses σ ∈ {0.1, 0.15}.
PAPER = KurtosisParams(
    train=STANDARD.train.replace(
        optimiser={"steps": 100_000},
        noise={"scope": "step"},
        instances=5,
        log_points=80,
        record_steps=paper_figures.FOURTH_NORM_STEPS,
    ),
    seeds=8,
    sigma=0.15,
    sigmas=(0.07, 0.1, 0.15),
    gaussian_sigmas=(0.07, 0.1),
)

KURTOSIS_SPARSITY = Claim(
    id="kurtosis-sparsity",
    title="The sign of the noise's excess kurtosis decides whether hidden noise sparsifies",
    statement=(
        "With hidden-layer noise of excess kurtosis κ, rows W_i move towards one-hot "
        "(‖W_i‖₄⁴/‖W_i‖₂⁴ rises) when κ < 0 (Bernoulli, uniform), stay isotropic (E = 3/(m+2), "
        "no change) when κ = 0 (Gaussian) and move towards dense when κ > 0 (Laplace); the "
        f"paper's mean ‖W_i‖₄⁴ starts at 3/m, Bernoulli lifts it above {BERNOULLI_FLOOR:g}, "
        f"Gaussian keeps it below {GAUSSIAN_CEILING:g}, and larger σ rises sooner."
    ),
    source=(
        "Lecomte et al. 2312.03096, noise-induced sparsity (fourth_norm.py, incidental_norms.png); "
        "catalogue P1-N-1..3"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=fit_specs,
    fit=fit,
    controls=(
        Control(
            "gaussian-sparsifies",
            "Gaussian noise sparsifies: its change exceeds the no-change margin",
            refit=_gaussian_sparsifies,
        ),
        Control(
            "sign-blind",
            "the sign of κ does not matter, only |κ|: Laplace sparsifies at least as much as "
            "Bernoulli",
            refit=_sign_blind,
        ),
        Control(
            "sigma-minus-four",
            "the σ⁴κ term alone sets the rate of the rise, so t½ ∝ σ⁻⁴",
            refit=_sigma_minus_four,
        ),
        Control(
            "init-isotropic",
            "the initial mean ‖W_i‖₄⁴ is 3/(m+2) (the unit-row value), not 3/m",
            refit=_init_isotropic,
        ),
    ),
    false_failure=_false_failure,
    plot=figures.Figure("kurtosis_sparsity"),
    strategy=_strategy,
    paper_figures=paper_figures.fourth_norm,
)

CLAIM = KURTOSIS_SPARSITY
