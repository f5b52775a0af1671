"""Claims ``kurtosis-sparsity`` and ``kurtosis-mechanism``: hidden-layer noise and sparse codes.

Lecomte et al. (catalogue §1.3, P1-N-1..4): noise ξ added to the hidden layer contributes, through
E[(W_i·ξ)⁴] = 3σ⁴‖W_i‖₂⁴ + (μ₄/σ⁴ − 3)σ⁴‖W_i‖₄⁴ (:mod:`theory.kurtosis`), a term ‖W_i‖₄⁴·κ₄(ξ) to
the loss, so noise with negative excess kurtosis (Bernoulli −2, uniform −6/5) rewards a large
‖W_i‖₄⁴ — sparse rows — Gaussian (0) is neutral and Laplace (+3) favours dense rows.

What is measured. The paper logs the mean ‖W_i‖₄⁴ (its "fourth norm"); it starts at 3/m. Its
change also carries the row norms, which any training equalises (‖W_i‖₂ → 1), taking it from 3/m
towards 3/(m+2) with no noise at all. The sign fits therefore use the scale-free
‖W_i‖₄⁴/‖W_i‖₂⁴ ∈ [1/m′, 1], whose expectation is exactly 3/(m+2) at every step for any
rotation-invariant dynamics — no noise, or Gaussian noise — from the N(0, 1/m) init
(:func:`theory.kurtosis.isotropic_fourth_norm`). The "change" of a replicate is that ratio at the
end minus at step 0 (same replicate): predicted sign −sign(κ), and exactly 0 for Gaussian.
The levels (Bernoulli above 0.6, Gaussian below 0.25, the slope against κ) use the paper's metric.

Replicates. The paper draws one noise vector per step shared by all inputs and instances
(``noise_scope="step"``), so its instances are not independent noise replicates. The ``standard``
scale draws noise per instance (``noise_scope="instance"``): each instance has its own init and its
own noise, and is the replicate unit. With ``noise_scope="step"`` (the ``paper`` scale) the
replicate unit is the seed (one run each, its instances averaged). Every configuration of a claim
runs from the same seeds, so replicate r starts from the same W in every run: differences between
runs are paired.

``kurtosis-mechanism`` records what the measurements say about the paper's reading (catalogue
P1-N-4): the rise survives averaging noise draws and per-input noise and grows as lr shrinks at
equal lr·t (an expected-loss effect), but vanishes without the output ReLU, whose squared error is
quadratic in ξ and so sees σ² only — the "one term in the loss" does not explain that.

Regime (standard). n = 8, m = 16 and SGD lr 0.02 are the paper's; σ = 0.15 is its largest σ. The
effect is first order in lr only for small lr: at σ = 0.15 the rise by lr·t = 120 is 1.1× larger
at lr 0.01 than at 0.02 but 0.2–0.3× as large at lr 0.08 (``kurtosis-mechanism``), so a larger lr with
fewer steps is *not* a legitimate shortcut; the standard keeps lr 0.02 and shortens the run
instead: lr·t = 500 (25 000 steps, a quarter of the paper's), where Bernoulli is at its plateau
(≈ 0.78) and even σ = 0.1 has passed its half-rise (≈ lr·t 380).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from sim import ParamError, check_choice, check_float, check_int
from sim.autoencoder import AutoencoderParams, NoiseScope, train
from theory import kurtosis

from .. import fitting, paper_figures
from .._context import Context
from .._core import Claim, Control, Derivation, Deviation, Fit, Result

__all__ = [
    "CLAIMS",
    "KurtosisMeasurements",
    "KurtosisParams",
    "MechanismMeasurements",
    "MechanismParams",
    "Trajectory",
    "crossing_time",
    "fourth_norms",
]

NOISES = kurtosis.NOISES  # ("bernoulli", "uniform", "gaussian", "laplace")
_SCOPES = ("step", "instance", "sample")


# -- measurements shared by both claims ---------------------------------------------------------


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


def _trajectories(
    configs: Mapping[str, Callable[[int], AutoencoderParams]], seeds: int, scope: str, ctx: Context, label: str
) -> dict[str, Trajectory]:
    """Train every configuration once per seed (seed s is the same for all configurations, so
    replicate r starts from the same weights everywhere) and stack the replicates."""
    seed_values = [ctx.seed_for("kurtosis", s) for s in range(seeds)]
    jobs = [(name, make(seed)) for name, make in configs.items() for seed in seed_values]
    results = ctx.map(_train_one, [p for _, p in jobs], label=label)
    out: dict[str, Trajectory] = {}
    for name in configs:
        rows = [r for (n, _), r in zip(jobs, results) if n == name]
        steps = rows[0][0]
        lr = next(p for n, p in jobs if n == name).lr
        metric = np.stack([r[1] for r in rows], axis=1)  # (T, S, B, 2)
        if scope == "step":  # instances share the noise: one replicate per seed
            metric = metric.mean(axis=2)
        else:
            metric = metric.reshape(metric.shape[0], -1, 2)
        out[name] = Trajectory(name, steps * lr, metric[..., 0], metric[..., 1], float(sum(r[2] for r in rows)))
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


def _paired_bootstrap(
    replicates: int, statistic: Callable[[np.ndarray], np.ndarray], *, rng: np.random.Generator, confidence: float
) -> fitting.Estimate:
    """Bootstrap over replicate indices, the same resample for every run (runs are paired by
    replicate); ``statistic`` maps an integer index array (..., R) to values (...)."""

    def stat(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        return statistic(np.moveaxis(np.asarray(idx), axis, -1).astype(int))

    return fitting.bootstrap([np.arange(replicates, dtype=float)], stat, rng=rng, confidence=confidence)


def _check_common(p: KurtosisParams | MechanismParams) -> None:
    check_int("n", p.n, 1)
    check_int("m", p.m, 2)
    check_int("instances", p.instances, 1)
    check_int("seeds", p.seeds, 1)
    check_choice("noise_scope", p.noise_scope, _SCOPES)
    replicates = p.seeds if p.noise_scope == "step" else p.seeds * p.instances
    if replicates < 2:
        unit = "seeds (noise_scope='step' shares the noise across instances)" if p.noise_scope == "step" else "seeds × instances"
        raise ParamError("seeds" if p.noise_scope == "step" else "instances", p.seeds if p.noise_scope == "step" else p.instances,
                         f">= 2 replicates of {unit}")
    check_float("confidence", p.confidence, 0.5, 1.0, hi_open=True)


# -- claim kurtosis-sparsity --------------------------------------------------------------------


@dataclass(frozen=True)
class KurtosisParams:
    """The four noises at one σ, and Bernoulli over a σ grid, trained with SGD (no L1, output ReLU
    on, noise on the hidden layer) from the same seeds."""

    n: int = 8  # features (the paper's fourth_norm.py)
    m: int = 16  # hidden neurons (the paper's); ‖W_i‖₄⁴ starts at 3/m = 0.1875
    instances: int = 48  # models per run: the replicates when noise_scope != "step"
    seeds: int = 1  # runs per configuration; the replicate unit when noise_scope == "step"
    lr: float = 0.02  # SGD learning rate (the paper's; lr 0.08 at equal lr·t rises 3–5× less)
    steps: int = 25_000  # lr·t = 500: Bernoulli at its plateau, σ = 0.1 past its half-rise (≈ 380)
    sigma: float = 0.15  # σ of the four-noise comparison (the paper's largest)
    sigmas: tuple[float, ...] = (0.1, 0.125, 0.15)  # Bernoulli σ grid for the time to half-rise
    noise_scope: NoiseScope = "instance"  # one ξ per instance per step: instances are independent
    plateau: float = 0.8  # Bernoulli plateau of ‖W_i‖₄⁴/‖W_i‖₂⁴ (measured 0.77–0.80); half-rise is
    # the time to reach halfway from 3/(m+2) to it
    init_instances: int = 4096  # independent N(0, 1/m) inits for the 3/m check (one short run)
    gaussian_margin: float = 0.03  # |change| below this is "no change" (5 % of Bernoulli's rise, 0.6):
    # Gaussian's CI must fit in ±it, and the "Gaussian sparsifies" control asserts a change above it
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)
    log_points: int = 60  # recorded steps (log-spaced): ≈ 18 % apart at 25 000 steps
    record_steps: tuple[int, ...] = ()  # further steps recorded exactly (the paper table's columns)
    gaussian_sigmas: tuple[float, ...] = ()  # further Gaussian σ runs, judged by no fit: set beside
    # the paper's own table rows at the paper scale
    dtype: Literal["float32", "float64"] = "float32"  # compute dtype of the trainer

    def __post_init__(self) -> None:
        _check_common(self)
        check_float("sigma", self.sigma, 0.0, lo_open=True)
        for s in self.gaussian_sigmas:
            check_float("gaussian_sigmas", s, 0.0, lo_open=True)
        if len(self.sigmas) < 2 or len(set(self.sigmas)) != len(self.sigmas):
            raise ParamError("sigmas", self.sigmas, "at least two distinct values, e.g. 0.1,0.125,0.15")
        for s in self.sigmas:
            check_float("sigmas", s, 0.0, lo_open=True)
        check_float("plateau", self.plateau, 0.0, 1.0, lo_open=True)  # above 3/(m+2): checked in half_level
        check_int("init_instances", self.init_instances, 2)
        check_float("gaussian_margin", self.gaussian_margin, 0.0, lo_open=True)
        check_int("log_points", self.log_points, 2)
        self.train_params("gaussian", self.sigma, seed=0)  # the trainer validates lr, steps, dtype

    @property
    def half_level(self) -> float:
        iso = kurtosis.predict_isotropic_fourth_norm(self.m)
        if not self.plateau > iso:
            raise ParamError("plateau", self.plateau, f"> 3/(m+2) = {iso:.4f}, the isotropic value")
        return 0.5 * (iso + self.plateau)

    def train_params(self, noise: str, sigma: float, *, seed: int, device: str = "cpu") -> AutoencoderParams:
        return AutoencoderParams(
            n=self.n, m=self.m, instances=self.instances, steps=self.steps, lr=self.lr, optimizer="sgd",
            noise=noise, sigma=sigma if noise != "none" else 0.0,  # type: ignore[arg-type]
            noise_scope=self.noise_scope, dtype=self.dtype, device=device, seed=seed, log_points=self.log_points,
            record_steps=tuple(s for s in self.record_steps if s <= self.steps),  # columns past the end: none
        )


@dataclass(frozen=True, repr=False)
class KurtosisMeasurements:
    init_fourth: np.ndarray  # (init_instances,) mean ‖W_i‖₄⁴ of independent inits
    noises: Mapping[str, Trajectory]  # "none" and the four noises at params.sigma
    grid: Mapping[float, Trajectory]  # Bernoulli at each σ of params.sigmas
    replicate_unit: str  # "instance" or "seed"
    gaussian: Mapping[float, Trajectory] = dataclasses.field(default_factory=dict)  # params.gaussian_sigmas


def _derive(p: KurtosisParams) -> Derivation:
    kappa = {name: kurtosis.excess_kurtosis(name) for name in NOISES}
    return Derivation(
        expr=kurtosis.projection_moment(4),
        extra={
            "paper_form": kurtosis.fourth_moment_identity(),
            "from_cumulants": kurtosis.projection_moment_from_cumulants(4),
            "init_fourth_norm": kurtosis.init_fourth_norm(),
            "isotropic_fourth_norm": kurtosis.isotropic_fourth_norm(),
        }
        | {f"excess_kurtosis_{k}": v for k, v in kappa.items()},
        values={"3/m": kurtosis.predict_init_fourth_norm(p.m), "3/(m+2)": kurtosis.predict_isotropic_fourth_norm(p.m)}
        | {f"kappa_{k}": float(v) for k, v in kappa.items()},
    )


def _simulate(p: KurtosisParams, ctx: Context) -> KurtosisMeasurements:
    p.half_level  # noqa: B018 - raises ParamError on a plateau below 3/(m+2) before any training
    base = p.train_params("none", 0.0, seed=ctx.seed_for("kurtosis-init"), device=ctx.device)
    # Only W_init is used. steps = check_every − 1 fills the trainer's loss window: a shorter run
    # checks slots of a torch.empty buffer it never wrote and can stop with a spurious DivergenceError.
    init = train(dataclasses.replace(base, instances=p.init_instances, steps=base.check_every - 1, log_points=1,
                                     record_steps=()))
    init_fourth = fourth_norms(torch.from_numpy(init.W_init))[:, 0].numpy()
    configs: dict[str, Callable[[int], AutoencoderParams]] = {}
    for noise in ("none", *NOISES):
        configs[noise] = lambda seed, noise=noise: p.train_params(noise, p.sigma, seed=seed, device=ctx.device)

    def add_sigmas(noise: str, sigmas: tuple[float, ...]) -> dict[float, str]:
        """Runs of ``noise`` at each σ (the one at params.sigma is already there): σ -> run name."""
        names = {s: (noise if s == p.sigma else f"{noise}@{s:g}") for s in sigmas}
        for s, name in names.items():
            configs.setdefault(name, lambda seed, s=s: p.train_params(noise, s, seed=seed, device=ctx.device))
        return names

    grid_names = add_sigmas("bernoulli", p.sigmas)
    gauss_names = add_sigmas("gaussian", p.gaussian_sigmas)
    runs = _trajectories(configs, p.seeds, p.noise_scope, ctx, "kurtosis-sparsity: noises and σ grid")
    return KurtosisMeasurements(
        init_fourth=init_fourth,
        noises={k: runs[k] for k in ("none", *NOISES)},
        grid={s: runs[name] for s, name in grid_names.items()},
        replicate_unit="seed" if p.noise_scope == "step" else "instance",
        gaussian={s: runs[name] for s, name in gauss_names.items()},
    )


N_FITS = 10


def _level(p: KurtosisParams | MechanismParams, k: int) -> float:
    return 1 - (1 - p.confidence) / k


def _change_fit(noise: str, traj: Trajectory, m: int, level: float, margin: float) -> Fit:
    kappa = kurtosis.predict_excess_kurtosis(noise) if noise != "none" else 0.0
    sign = kurtosis.predicted_sign(noise) if noise != "none" else 0
    est = fitting.mean_ci(traj.change, confidence=level)
    what = f"change of mean ‖W_i‖₄⁴/‖W_i‖₂⁴ from step 0 to the end, {noise} (κ = {kappa:g})"
    if sign == 0:
        return Fit(f"change-{noise}", what, 0.0, est.value, est.ci, 2 * margin, confidence=level,
                   why=f"rotation invariance: E = 3/(m+2) = {kurtosis.predict_isotropic_fourth_norm(m):.4f} at "
                       f"every step, so the change is 0; the CI must fit in ±{margin:g} (5 % of Bernoulli's rise)")
    return Fit(f"change-{noise}", what, 0.0, est.value, est.ci, None, relation=">" if sign > 0 else "<",
               confidence=level, why="predicted sign −sign(κ): the κ₄ term rewards large ‖W_i‖₄⁴ when κ < 0")


def _half_rise(meas: KurtosisMeasurements, p: KurtosisParams) -> tuple[list[float], np.ndarray]:
    """The σ whose mean curve reaches the half-rise level, and their crossing times."""
    sig = sorted(meas.grid)
    times = np.array([crossing_time(meas.grid[s].time, meas.grid[s].ratio.mean(-1), p.half_level) for s in sig])
    ok = np.isfinite(times)
    if ok.sum() < 2:
        raise ValueError(
            f"the mean ‖W_i‖₄⁴/‖W_i‖₂⁴ reached the half-rise level {p.half_level:.3f} for σ in "
            f"{[s for s, o in zip(sig, ok) if o]} only (need two); raise steps or lower plateau"
        )
    return [s for s, o in zip(sig, ok) if o], times[ok]


def _fit(meas: KurtosisMeasurements, d: Derivation, p: KurtosisParams) -> list[Fit]:
    level = _level(p, N_FITS)
    rng = np.random.default_rng(0)  # the bootstrap's resampling stream: fixed, the data vary
    unit = meas.replicate_unit
    three_over_m = kurtosis.predict_init_fourth_norm(p.m)
    init = fitting.mean_ci(meas.init_fourth, confidence=level)
    fits = [
        Fit("init", "mean ‖W_i‖₄⁴ at step 0 (independent N(0, 1/m) inits)", three_over_m, init.value, init.ci, 0.01,
            confidence=level, why="E‖W_i‖₄⁴ = m·E[x⁴] = 3/m (sympy.stats); ±0.005 separates it from 3/(m+2)"),
        _change_fit("none", meas.noises["none"], p.m, level, p.gaussian_margin),
    ]
    fits += [_change_fit(noise, meas.noises[noise], p.m, level, p.gaussian_margin) for noise in NOISES]
    bern = fitting.mean_ci(meas.noises["bernoulli"].fourth[-1], confidence=level)
    gauss = fitting.mean_ci(meas.noises["gaussian"].fourth[-1], confidence=level)
    fits += [
        Fit("final-bernoulli", f"final mean ‖W_i‖₄⁴, Bernoulli σ = {p.sigma:g} (paper's metric)", 0.6, bern.value,
            bern.ci, None, relation=">", confidence=level,
            why="catalogue P1-N-3 harness threshold for σ ≥ 0.1 (paper code: 0.77–0.79 at 1e5 steps)"),
        Fit("final-gaussian", f"final mean ‖W_i‖₄⁴, Gaussian σ = {p.sigma:g} (paper's metric)", 0.25, gauss.value,
            gauss.ci, None, relation="<", confidence=level,
            why="catalogue P1-N-3: Gaussian stays at 0.15–0.18 (3/(m+2) with unit rows); threshold 0.25"),
    ]
    kappas = np.array([kurtosis.predict_excess_kurtosis(k) for k in NOISES])
    finals = np.stack([meas.noises[k].fourth[-1] for k in NOISES], axis=-1)  # (R, 4)
    slope = fitting.mean_ci(fitting.ols_slope(kappas, finals), confidence=level)
    fits.append(Fit("slope", "slope of final mean ‖W_i‖₄⁴ against excess kurtosis (per-replicate OLS over the 4 noises)",
                    0.0, slope.value, slope.ci, None, relation="<", confidence=level,
                    why="more negative κ, sparser rows; a summary slope (the response saturates near 0.8)"))
    sig, _ = _half_rise(meas, p)
    logs, half = np.log(sig), p.half_level
    curves = [meas.grid[s] for s in sig]
    R = curves[0].ratio.shape[1]

    def exponent(idx: np.ndarray) -> np.ndarray:
        t = np.stack([crossing_time(c.time, np.moveaxis(c.ratio[:, idx].mean(-1), 0, -1), half) for c in curves], -1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return fitting.ols_slope(logs, np.log(t))

    b = _paired_bootstrap(R, exponent, rng=rng, confidence=level)
    _, times = _half_rise(meas, p)
    local = np.diff(np.log(times)) / np.diff(logs)
    fits.append(Fit("half-rise-exponent",
                    f"exponent b of t½ ∝ σ^b, Bernoulli σ ∈ {{{', '.join(f'{s:g}' for s in sig)}}} (t½ in lr·t to "
                    f"‖W_i‖₄⁴/‖W_i‖₂⁴ = {p.half_level:.3f}; bootstrap over {unit}s)",
                    0.0, b.value, b.ci, None, relation="<", confidence=level,
                    why="the paper gives no exponent, only that larger σ rises earlier (predicted sign); the "
                        "local exponents between neighbouring σ are " + ", ".join(f"{x:.2f}" for x in local)
                        + ": not one power law, so b depends on the grid"))
    assert len(fits) == N_FITS, f"{len(fits)} fits, but N_FITS={N_FITS}"
    return fits


def _gaussian_sparsifies(fits: Sequence[Fit], meas: KurtosisMeasurements, p: KurtosisParams) -> list[Fit]:
    """Mutant: Gaussian noise raises ‖W_i‖₄⁴/‖W_i‖₂⁴ by more than the no-change margin."""
    f = next(f for f in fits if f.key == "change-gaussian")
    return [dataclasses.replace(f, relation=">", predicted=p.gaussian_margin, tolerance=None, expected="pass", reason=None)]


def _sign_blind(fits: Sequence[Fit], meas: KurtosisMeasurements, p: KurtosisParams) -> list[Fit]:
    """Mutant: only |κ| matters, so Laplace (|κ| = 3) sparsifies at least as much as Bernoulli (2)."""
    level = _level(p, N_FITS)
    diff = meas.noises["laplace"].change - meas.noises["bernoulli"].change
    est = fitting.mean_ci(diff, confidence=level)
    return [Fit("sign-blind", "change(Laplace) − change(Bernoulli), paired by replicate", 0.0, est.value, est.ci,
                None, relation=">", confidence=level, why="sign-blind: |κ| = 3 > 2 predicts a larger rise")]


def _init_isotropic(fits: Sequence[Fit], meas: KurtosisMeasurements, p: KurtosisParams) -> list[Fit]:
    """Mutant: the init's rows already have unit norm, so E‖W_i‖₄⁴ = 3/(m+2)."""
    return [f.with_prediction(kurtosis.predict_isotropic_fourth_norm(p.m)) for f in fits if f.key == "init"]


def _sigma_minus_four(fits: Sequence[Fit], meas: KurtosisMeasurements, p: KurtosisParams) -> list[Fit]:
    """Mutant: the κ₄(ξ) = κσ⁴ loss term alone drives the rise, so t½ ∝ σ⁻⁴."""
    f = next(f for f in fits if f.key == "half-rise-exponent")
    return [dataclasses.replace(f, relation="==", predicted=-4.0, tolerance=1.0, expected="pass", reason=None)]


def _plot(result: Result[KurtosisMeasurements], outdir: Path) -> list[Path]:
    from ._plots import new_figure, save

    meas, p = result.measurements, result.params
    m = int(p["m"])
    fig, (ax1, ax2, ax3) = new_figure(3, width=5.0, height=4.0)
    colors = {"none": "0.4", "bernoulli": "C0", "uniform": "C2", "gaussian": "C1", "laplace": "C3"}
    for name, traj in meas.noises.items():
        _band(ax1, traj.time, traj.fourth, colors[name], f"{name} (κ = {_kappa_text(name)})", dashed=name == "none")
    none = meas.noises["none"]  # every run starts from the same inits; step 0 cannot sit on a log axis
    ax1.plot([none.time[1] / 2], [none.fourth[0].mean()], "ko", ms=3, label="step 0 (all runs)")
    ax1.axhline(3 / m, color="k", lw=0.8, ls="--", label="3/m (E at init)")
    ax1.axhline(3 / (m + 2), color="k", lw=0.8, ls=":", label="3/(m+2) (isotropic, unit rows)")
    ax1.set_xscale("log")
    ax1.set_xlabel("lr · t")
    ax1.set_ylabel("mean ‖W_i‖₄⁴")
    ax1.set_title(f"σ = {p['sigma']:g}, mean and 95 % band over {meas.replicate_unit}s", fontsize=9)
    ax1.legend(fontsize=7)
    kappas = np.array([kurtosis.predict_excess_kurtosis(k) for k in NOISES])
    finals = np.stack([meas.noises[k].fourth[-1] for k in NOISES], axis=-1)
    for j, name in enumerate(NOISES):
        jitter = kappas[j] + 0.08 * (np.linspace(-1, 1, finals.shape[0]))
        ax2.plot(jitter, finals[:, j], ".", color=colors[name], alpha=0.3, ms=3)
        ax2.errorbar(kappas[j], finals[:, j].mean(), yerr=_halfwidth(finals[:, j]), fmt="o", color=colors[name], capsize=3)
    slope = result.fit("slope")
    grid = np.linspace(kappas.min() - 0.3, kappas.max() + 0.3, 50)
    centre = finals.mean()
    ax2.plot(grid, centre + slope.fitted * (grid - kappas.mean()), "k-", lw=1,
             label=f"slope {slope.fitted:.3f} [{slope.ci[0]:.3f}, {slope.ci[1]:.3f}]")
    ax2.axhline(3 / m, color="k", lw=0.8, ls="--")
    ax2.set_xlabel("excess kurtosis μ₄/σ⁴ − 3")
    ax2.set_ylabel("final mean ‖W_i‖₄⁴")
    ax2.set_title(f"lr · t = {meas.noises['none'].time[-1]:g}", fontsize=9)
    ax2.legend(fontsize=7)
    level = p["plateau"] / 2 + 3 / (m + 2) / 2
    for i, (s, traj) in enumerate(sorted(meas.grid.items())):
        color = f"C{i}"
        _band(ax3, traj.time, traj.ratio, color, f"σ = {s:g}")
        t_half = crossing_time(traj.time, traj.ratio.mean(-1), level)
        if np.isfinite(t_half):
            ax3.plot([t_half], [level], "v", color=color)
    ax3.axhline(level, color="k", lw=0.8, ls=":", label="half-rise level")
    b = result.fit("half-rise-exponent")
    ax3.set_xscale("log")
    ax3.set_xlabel("lr · t")
    ax3.set_ylabel("mean ‖W_i‖₄⁴ / ‖W_i‖₂⁴")
    ax3.set_title(f"Bernoulli: t½ ∝ σ^{b.fitted:.2f} [{b.ci[0]:.2f}, {b.ci[1]:.2f}]", fontsize=9)
    ax3.legend(fontsize=7)
    return [save(fig, outdir / f"{result.claim_id}.png")]


def _kappa_text(name: str) -> str:
    return "–" if name == "none" else f"{kurtosis.predict_excess_kurtosis(name):g}"


def _halfwidth(x: np.ndarray) -> float:
    est = fitting.mean_ci(x)
    return (est.hi - est.lo) / 2


def _band(ax: object, time: np.ndarray, values: np.ndarray, color: str, label: str, *, dashed: bool = False) -> None:
    """Mean over replicates with its pointwise 95 % t-interval, on a log time axis (step 0 dropped)."""
    from scipy import stats

    keep = time > 0
    t, v = time[keep], values[keep]
    mean = v.mean(-1)
    half = stats.t.ppf(0.975, v.shape[-1] - 1) * v.std(-1, ddof=1) / np.sqrt(v.shape[-1])
    ax.plot(t, mean, "--" if dashed else "-", color=color, label=label)  # type: ignore[attr-defined]
    ax.fill_between(t, mean - half, mean + half, color=color, alpha=0.2, lw=0)  # type: ignore[attr-defined]


def _strategy() -> Any:
    """Overrides of the smoke params where the claim should hold: the paper's n = 8, m = 16 (the
    only model the effect was established on), SGD lr 0.02 (first order there), σ around the
    paper's largest, and lr·t = 200, where Bernoulli is near 0.65 (a lower interval end below 0.6
    is inconclusive, not a failure; a failure needs the whole interval below); judged at a
    family-wise 0.999 so that a property-test failure means the theory broke, not a 5 % chance."""
    from hypothesis import strategies as st

    @st.composite
    def draw(draw_: Any) -> dict[str, Any]:
        sigma = draw_(st.sampled_from([0.15, 0.16, 0.17]), label="sigma")
        return {"n": 8, "m": 16, "lr": 0.02, "steps": 10_000, "sigma": sigma, "sigmas": (sigma - 0.03, sigma),
                "plateau": 0.6, "instances": draw_(st.integers(10, 16), label="instances"),
                "init_instances": 1024, "gaussian_margin": 0.03, "log_points": 40, "confidence": 0.999}

    return draw()


_FALSE_FAILURE = (
    "Ten fits at Bonferroni level 1 − 0.05/10 each: a true claim fails with probability ≤ 5 %. "
    "48 independent instances (own init, own noise) give a Gaussian-change interval of width ≈ 0.02 "
    "against the 0.04 allowed, and put every sign fit more than 5 CI half-widths from 0; the 3/m check "
    "uses 4096 inits (interval ≈ ±0.003)."
)

_STANDARD = KurtosisParams()
_SMOKE = KurtosisParams(instances=4, steps=2000, sigma=0.2, sigmas=(0.15, 0.2), plateau=0.25, init_instances=64,
                        gaussian_margin=0.2, log_points=20)
# The paper code: n 8, m 16, 5 instances, SGD lr 0.02, 1e5 steps, σ ∈ {0.07, 0.1, 0.15}, one noise
# vector per step shared by inputs and instances. It ran one seed (13); intervals need replicates,
# and with shared noise the replicate is the seed, hence 8 seeds. At σ = 0.07 the half-rise lies
# beyond 1e5 steps, so its exponent uses σ ∈ {0.1, 0.15}.
_PAPER = KurtosisParams(instances=5, seeds=8, steps=100_000, sigma=0.15, sigmas=(0.07, 0.1, 0.15), noise_scope="step",
                        log_points=80, record_steps=paper_figures.FOURTH_NORM_STEPS, gaussian_sigmas=(0.07, 0.1))

KURTOSIS_SPARSITY = Claim(
    id="kurtosis-sparsity",
    title="The sign of the noise's excess kurtosis decides whether hidden noise sparsifies",
    statement=(
        "With hidden-layer noise of excess kurtosis κ, rows W_i move towards one-hot (‖W_i‖₄⁴/‖W_i‖₂⁴ "
        "rises) when κ < 0 (Bernoulli, uniform), stay isotropic (E = 3/(m+2)) when κ = 0 (Gaussian) and "
        "move towards dense when κ > 0 (Laplace); the paper's mean ‖W_i‖₄⁴ starts at 3/m, Bernoulli "
        "lifts it above 0.6, Gaussian keeps it below 0.25, and larger σ rises sooner."
    ),
    source="Lecomte et al. 2312.03096, noise-induced sparsity (fourth_norm.py, incidental_norms.png); catalogue P1-N-1..3",
    params={"smoke": _SMOKE, "standard": _STANDARD, "paper": _PAPER},
    derive=_derive,
    simulate=_simulate,
    fit=_fit,
    controls=(
        Control("gaussian-sparsifies", "Gaussian noise sparsifies: its change exceeds the no-change margin",
                refit=_gaussian_sparsifies),
        Control("sign-blind", "the sign of κ does not matter, only |κ|: Laplace sparsifies at least as much as Bernoulli",
                refit=_sign_blind),
        Control("sigma-minus-four", "the σ⁴κ term alone sets the rate of the rise, so t½ ∝ σ⁻⁴",
                refit=_sigma_minus_four),
        Control("init-isotropic", "the initial mean ‖W_i‖₄⁴ is 3/(m+2) (the unit-row value), not 3/m",
                refit=_init_isotropic),
    ),
    false_failure=_FALSE_FAILURE,
    plot=_plot,
    strategy=_strategy,
    paper_figures=paper_figures.fourth_norm,
)


# -- claim kurtosis-mechanism -------------------------------------------------------------------


@dataclass(frozen=True)
class MechanismParams:
    """Bernoulli noise at one σ; variants of the reference run compared at equal lr·t."""

    n: int = 8  # features (the paper's)
    m: int = 16  # hidden neurons (the paper's)
    instances: int = 48  # models per run: the replicates when noise_scope != "step"
    seeds: int = 1  # runs per configuration; the replicate unit when noise_scope == "step"
    lr: float = 0.02  # reference SGD learning rate (the paper's)
    time: float = 120.0  # lr·t of the comparison: mid-rise (≈ 0.5 of 0.8), where changes show most
    sigma: float = 0.15  # Bernoulli σ (the paper's largest)
    draws: int = 4  # noise draws averaged per step in the K-draw variant
    lr_large: float = 4.0  # the "larger lr, fewer steps" variant multiplies lr by this
    noise_scope: NoiseScope = "instance"  # reference scope: one ξ per instance per step
    margin: float = 0.02  # a change below this is "no rise" (the no-ReLU variant; 6 % of the reference rise)
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)
    log_points: int = 40  # recorded steps (log-spaced)
    dtype: Literal["float32", "float64"] = "float32"  # compute dtype of the trainer

    def __post_init__(self) -> None:
        _check_common(self)
        check_float("time", self.time, 0.0, lo_open=True)
        check_float("sigma", self.sigma, 0.0, lo_open=True)
        check_int("draws", self.draws, 2)
        check_float("lr_large", self.lr_large, 1.0, lo_open=True)
        check_float("margin", self.margin, 0.0, lo_open=True)
        check_int("log_points", self.log_points, 2)
        for variant in _VARIANTS:
            self.train_params(variant, seed=0)  # the trainer validates lr, steps, dtype

    def train_params(self, variant: str, *, seed: int, device: str = "cpu") -> AutoencoderParams:
        lr = {"lr-half": self.lr / 2, "lr-large": self.lr * self.lr_large}.get(variant, self.lr)
        steps = max(1, round(self.time / lr))
        return AutoencoderParams(
            n=self.n, m=self.m, instances=self.instances, steps=steps, lr=lr, optimizer="sgd", noise="bernoulli",
            sigma=self.sigma, noise_scope="sample" if variant == "per-sample" else self.noise_scope,
            noise_draws=self.draws if variant == "draws" else 1, output_relu=variant != "no-relu",
            dtype=self.dtype, device=device, seed=seed, log_points=self.log_points,
        )


_VARIANTS = ("reference", "lr-half", "lr-large", "draws", "per-sample", "no-relu")


@dataclass(frozen=True, repr=False)
class MechanismMeasurements:
    runs: Mapping[str, Trajectory]  # variant -> trajectory (same seeds: paired by replicate)
    replicate_unit: str  # "instance" or "seed"


def _derive_mechanism(p: MechanismParams) -> Derivation:
    return Derivation(
        expr=kurtosis.shifted_square_moment(),
        extra={"projection_fourth_moment": kurtosis.projection_moment(4),
               "isotropic_fourth_norm": kurtosis.isotropic_fourth_norm()},
        values={"3/(m+2)": kurtosis.predict_isotropic_fourth_norm(p.m),
                "kappa_bernoulli": kurtosis.predict_excess_kurtosis("bernoulli")},
    )


def _simulate_mechanism(p: MechanismParams, ctx: Context) -> MechanismMeasurements:
    configs = {v: (lambda seed, v=v: p.train_params(v, seed=seed, device=ctx.device)) for v in _VARIANTS}
    runs = _trajectories(configs, p.seeds, p.noise_scope, ctx, "kurtosis-mechanism: variants")
    return MechanismMeasurements(runs=runs, replicate_unit="seed" if p.noise_scope == "step" else "instance")


N_MECHANISM_FITS = 6


def _ratio(meas: MechanismMeasurements, variant: str, level: float, rng: np.random.Generator) -> fitting.Estimate:
    """mean change(variant) / mean change(reference), bootstrap over replicates (paired)."""
    a, b = meas.runs[variant].change, meas.runs["reference"].change
    return _paired_bootstrap(a.size, lambda i: a[i].mean(-1) / b[i].mean(-1), rng=rng, confidence=level)


def _fit_mechanism(meas: MechanismMeasurements, d: Derivation, p: MechanismParams) -> list[Fit]:
    level = _level(p, N_MECHANISM_FITS)
    rng = np.random.default_rng(0)
    ref = fitting.mean_ci(meas.runs["reference"].change, confidence=level)
    half = _ratio(meas, "lr-half", level, rng)
    large = _ratio(meas, "lr-large", level, rng)
    draws = _ratio(meas, "draws", level, rng)
    sample = _ratio(meas, "per-sample", level, rng)
    no_relu = fitting.mean_ci(meas.runs["no-relu"].change, confidence=level)
    k_mid = (1 + 1 / p.draws) / 2
    n_mid = (1 + 1 / p.n) / 2
    at = f"at lr·t = {p.time:g}"
    return [
        Fit("reference", f"change of mean ‖W_i‖₄⁴/‖W_i‖₂⁴, Bernoulli σ = {p.sigma:g}, lr {p.lr:g}, {at}", 0.0,
            ref.value, ref.ci, None, relation=">", confidence=level,
            why="regime check: the ratios below need a clear reference rise"),
        Fit("lr-half", f"rise with lr/2 over rise with lr, {at}", 0.75, half.value, half.ci, None, relation=">",
            confidence=level, why="first order in lr (an expected-loss effect) predicts 1; an effect of SGD's "
            "gradient noise scales with lr at fixed lr·t, predicting 1/2; 3/4 separates them"),
        Fit("lr-large", f"rise with {p.lr_large:g}·lr over rise with lr, {at}", 0.75, large.value, large.ci, None,
            relation=">", confidence=level,
            why="first order in lr predicts 1: a larger lr with proportionally fewer steps would be legitimate"),
        Fit("draws", f"rise with the mean of K = {p.draws} noise draws per step over rise with one draw, {at}", k_mid,
            draws.value, draws.ci, None, relation=">", confidence=level,
            why=f"an expected-loss effect predicts 1; a gradient-noise effect would shrink to 1/K; (1 + 1/K)/2 = {k_mid:g}"),
        Fit("per-sample", f"rise with independent noise per input over rise with noise shared by the inputs, {at}",
            n_mid, sample.value, sample.ci, None, relation=">", confidence=level,
            why=f"an expected-loss effect predicts 1; a gradient-noise effect would shrink towards 1/n; "
                f"(1 + 1/n)/2 = {n_mid:g}"),
        Fit("no-relu", f"change of mean ‖W_i‖₄⁴/‖W_i‖₂⁴ without the output ReLU, {at}", p.margin, no_relu.value,
            no_relu.ci, None, relation="<", confidence=level,
            why="derived: a linear decoder's squared error is quadratic in ξ, E[(c + w·ξ)²] = c² + σ²‖w‖₂² has "
                "no μ₄, so the expected loss L(W) + nσ²‖W‖²_F is rotation invariant and gradient flow keeps the "
                "ratio at 3/(m+2); SGD with (non-isotropic) Bernoulli noise adds a small measured drift, "
                f"−0.006 to −0.014 over seeds 0–2, so the fit asks for no rise above {p.margin:g}, not an exact 0"),
    ]


def _as_point(fit: Fit, value: float, tolerance: float) -> Fit:
    return dataclasses.replace(fit, relation="==", predicted=value, tolerance=tolerance, expected="pass", reason=None)


def _sgd_noise(fits: Sequence[Fit], meas: MechanismMeasurements, p: MechanismParams) -> list[Fit]:
    """Mutant: the rise is an SGD gradient-noise effect: ∝ lr at fixed lr·t, divided by K."""
    by = {f.key: f for f in fits}
    return [_as_point(by["lr-half"], 0.5, 0.5), _as_point(by["draws"], 1 / p.draws, 1.0)]


def _one_term(fits: Sequence[Fit], meas: MechanismMeasurements, p: MechanismParams) -> list[Fit]:
    """Mutant: the κ₄ term sits in the loss whatever the decoder, so removing the output ReLU keeps
    at least half the rise."""
    level = _level(p, N_MECHANISM_FITS)
    r = _ratio(meas, "no-relu", level, np.random.default_rng(0))
    return [Fit("one-term", f"rise without the output ReLU over rise with it, at lr·t = {p.time:g}", 0.5, r.value,
                r.ci, None, relation=">", confidence=level, why="the paper's wording: one term in the loss")]


def _plot_mechanism(result: Result[MechanismMeasurements], outdir: Path) -> list[Path]:
    from ._plots import new_figure, save

    meas, p = result.measurements, result.params
    fig, (ax,) = new_figure(width=6.0, height=4.2)
    labels = {"reference": f"reference (lr {p['lr']:g})", "lr-half": "lr / 2", "lr-large": f"lr × {p['lr_large']:g}",
              "draws": f"mean of K = {p['draws']} draws", "per-sample": "noise per input", "no-relu": "no output ReLU"}
    for i, (name, traj) in enumerate(meas.runs.items()):
        _band(ax, traj.time, traj.ratio, f"C{i}", labels[name], dashed=name == "no-relu")
    m = int(p["m"])
    ax.axhline(3 / (m + 2), color="k", lw=0.8, ls=":", label="3/(m+2) (isotropic)")
    ax.set_xscale("log")
    ax.set_xlim(left=1.0)  # nothing moves before lr·t ≈ 1
    ax.set_xlabel("lr · t")
    ax.set_ylabel("mean ‖W_i‖₄⁴ / ‖W_i‖₂⁴")
    ax.set_title(f"Bernoulli σ = {p['sigma']:g}: variants at equal lr·t (95 % band over {meas.replicate_unit}s)", fontsize=9)
    ax.legend(fontsize=7)
    return [save(fig, outdir / f"{result.claim_id}.png")]


def _mechanism_strategy() -> Any:
    """Overrides of the smoke params where every fit should hold, the lr-large one included: σ
    around 0.15 with the reference lr at 0.01, so the "large" lr is 0.02, still first order there
    (lr 0.08 is where it breaks); K = 2 draws; family-wise 0.999."""
    from hypothesis import strategies as st

    @st.composite
    def draw(draw_: Any) -> dict[str, Any]:
        return {"n": 8, "m": 16, "lr": 0.01, "lr_large": 2.0, "time": 80.0, "draws": 2,
                "sigma": draw_(st.sampled_from([0.15, 0.16, 0.17]), label="sigma"),
                "instances": draw_(st.integers(8, 12), label="instances"), "margin": 0.02, "confidence": 0.999}

    return draw()


_MECH_STANDARD = MechanismParams()
_MECH_SMOKE = MechanismParams(instances=4, time=20.0, sigma=0.2, lr_large=2.0, log_points=10, margin=0.2)
# The paper code's model and optimiser (n 8, m 16, 5 instances, SGD lr 0.02, noise shared per step,
# σ = 0.15); the catalogue's diagnostics compare at lr·t = 200 (1e4 steps) with K = 8 draws.
_MECH_PAPER = MechanismParams(instances=5, seeds=8, time=200.0, draws=8, noise_scope="step", log_points=60)

KURTOSIS_MECHANISM = Claim(
    id="kurtosis-mechanism",
    title="Noise-induced sparsity is an expected-loss effect that needs the output ReLU",
    statement=(
        "Bernoulli noise's sparsification is first order: it survives averaging K noise draws per step "
        "and independent noise per input, and halving lr at equal lr·t does not shrink it; it vanishes "
        "without the output ReLU, where the expected loss is L(W) + nσ²‖W‖²_F (σ² only, no μ₄). The "
        "paper's 'one term in the loss', E[(W_i·ξ)⁴], does not explain that: the squared error is "
        "quadratic in ξ wherever the ReLU is active, so μ₄ reaches the expected loss only through the "
        "ReLU's kink. A 4× larger lr at equal lr·t is not equivalent."
    ),
    source="catalogue P1-N-4 (measured finding, not in the paper); Lecomte et al. 2312.03096 noise section",
    params={"smoke": _MECH_SMOKE, "standard": _MECH_STANDARD, "paper": _MECH_PAPER},
    derive=_derive_mechanism,
    simulate=_simulate_mechanism,
    fit=_fit_mechanism,
    controls=(
        Control("sgd-noise", "the rise is SGD gradient noise: halving lr at equal lr·t halves it, K draws divide it by K",
                refit=_sgd_noise),
        Control("one-term", "the κ₄ term is in the loss whatever the decoder: without the output ReLU at least half "
                "the rise remains", refit=_one_term),
    ),
    deviations={
        "lr-large": Deviation("fail", (
            "measured (standard): at lr·t = 120, lr 0.08 reaches 0.30 [0.24, 0.37] of the rise at lr 0.02 "
            "(seed 0; 0.21 and 0.23 at seeds 1, 2), while lr 0.01 reaches 1.10 [1.05, 1.17] and K = 4 draws "
            "1.16: SGD's gradient noise slows the rise, so the effect is first order only for lr ≲ 0.02 at "
            "σ = 0.15 and a larger lr with proportionally fewer steps is not a legitimate shortcut")),
    },
    false_failure=(
        "Six fits at Bonferroni level 1 − 0.05/6 each: a true claim fails with probability ≤ 5 %. 48 "
        "independent instances put each ratio's bootstrap interval at about ±0.07 (every ratio ≥ 0.3 "
        "from its threshold) and the no-ReLU change at about ±0.01, ≥ 0.02 below its threshold."
    ),
    plot=_plot_mechanism,
    strategy=_mechanism_strategy,
)

CLAIMS = (KURTOSIS_SPARSITY, KURTOSIS_MECHANISM)
