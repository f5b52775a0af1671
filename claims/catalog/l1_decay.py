"""Claim ``l1-decay``: the winner-takes-all L1 dynamic of one feature, derived and measured.

Lecomte et al. (catalogue §1.1, P1-L1-1…7): under feature benefit + L1 every live coordinate of a
feature's code feels the same factor 1 − ‖w‖², so the flow keeps their order and the initial argmax
survives; ‖w‖² stays ≈ 1 and ‖w‖₁ = 1/(1/‖w(0)‖₁ + ρλt) (:mod:`theory.l1_decay`, ``dsolve``): slope
−1 (m′: −2) for 1/(λ√m) ≪ t ≪ 1/λ, and m′ reaches 1 at t = Θ(1/λ); ρ, the relative variance of the
live magnitudes, follows from the initial distribution alone (the shared map shifts the surviving
half-normal tail). Measured on the exact reduced flow at a large m (``flow``: slopes, ρ, end time)
and on the SGD autoencoder (``train``), paired with Euler on the reduced flow from the very same
initial rows. The window is λt ∈ [window_lo/√m, window_hi]. Each slope is predicted at its own
window: the slope an OLS fit over the same times measures on the exact flow of the half-normal
population at the run's λ√m and init scale (``theory.l1_decay.l1_window_slope``), computed from
the params alone; −1 (−2) is its limit as the window widens, kept in the derivation
(``l1_slope_limit``). A large m keeps the flow's window a decade wide. The order itself (the
survivor is the initial argmax) is a property of the per-coordinate Euler map, not of the theory:
``tests/test_l1_decay.py`` checks it on the paper code's Euler; the ``survivor`` runs of the
simulation are kept for the stored sweep but not judged.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy as sp
import torch

from sim import ParamError, check_float, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, OptimiserParams, log_steps, train
from sim.reduced_ode import ReducedODEParams, euler, fast, initial_weights
from theory import l1_decay as theory

from .. import figures, fitting, paper_figures
from .._context import Context
from .._core import Claim, Control, Derivation, Deviation, Fit, FitSpec, Judge
from ._shared import check_confidence, num, property_strategy

__all__ = ["CLAIM", "CONTROLS", "L1DecayMeasurements", "L1DecayParams", "window_predictions"]


@dataclass(frozen=True)
class L1DecayParams:
    """The reduced flow at one large m, the survivor check, and one SGD autoencoder run."""

    GRID_SET: ClassVar[tuple[str, ...]] = (
        "train.optimiser.steps",
    )  # the window sets the trainer's steps (to window_hi)

    flow: ReducedODEParams = (
        ReducedODEParams(  # the exact reduced flow (sim.reduced_ode.fast), one run per replicate
            m=1_000_000,  # √m = 1000 makes the window a decade
            l1=1e-6,  # λ√m = 1e-3 (paper ODE: 3e-3), so 1 − ‖w‖² ≤ 1e-4 in the window
            init_scale=0.9,  # magnitudes |N(0, init_scale²/m)|, ‖w(0)‖² ≈ 0.81, as the paper's ODE
            rtol=1e-6,  # ‖w‖₁ within ≈ 3e-5 relative of the exact flow
        )
    )
    survivor: ReducedODEParams = (
        ReducedODEParams(  # the paper code's per-coordinate Euler (assumes no order)
            m=2000,  # order preservation does not need a large m
            l1=1e-3,  # m′ = 1 after ≈ 4000 Euler steps
            init_scale=0.9,  # as the flow's
            dt=0.5,  # Euler step (paper: 0.5)
        )
    )
    # the SGD autoencoder (its steps: the window's end)
    train: AutoencoderParams = AutoencoderParams(
        model=ModelParams(
            n=2,  # features: n ≪ m, interference on (n/m = 3e-5)
            m=65_536,  # hidden neurons (2¹⁶; the largest a CPU affords in seconds)
        ),
        optimiser=OptimiserParams(
            lr=0.1,  # code step 4·lr = 0.4, lr·λ_code√m = 0.01 (SGD ≈ the flow)
            kind="sgd",  # plain SGD: the flow's time units are SGD's (τ = 4·lr·step)
            l1=1.5625e-3,  # λ of the training loss: λ_code = λ/4 = 0.1/√m
        ),
        instances=8,  # independent autoencoders, each paired with Euler from its own initial rows
        log_points=120,  # log-spaced records (≈ 16 fall in the window)
    )
    # independent initialisations of the flow (CI of ρ ≈ ±0.025, slopes ±0.015): 48, not 24, since
    # at 24 one right-skewed ρ (seed 13: 1.13) left the interval straddling both the band's edge
    # and the control rho-exponential's (issue 25: a control the draw can blind)
    replicates: int = 48
    window_lo: float = (
        15.0  # the fit window starts at λt = window_lo/√m (past the plateau crossover)
    )
    window_hi: float = 0.15  # … and ends at λt = window_hi (≈ 100 coordinates still alive)
    points: int = 40  # log-spaced times in the window for the slope fits
    survivor_runs: int = 64  # independent Euler runs: a 100 % hit rate bounds misses below 8.4 %
    # further exact-flow instances (train.model.n rows each): the control variate, CI ±0.008
    sgd_flows: int = 256
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

    def __post_init__(self) -> None:
        check_int("flow.m", self.flow.m, 1000)
        check_float("flow.l1", self.flow.l1, 0.0, 0.01, lo_open=True)
        check_float("flow.rtol", self.flow.rtol, 1e-12, 1e-3)
        check_int("replicates", self.replicates, 2)
        check_float("window_lo", self.window_lo, 0.0, lo_open=True)
        check_float("window_hi", self.window_hi, 0.0, 1.0, lo_open=True)
        if self.window_lo / math.sqrt(self.flow.m) >= self.window_hi / 1.5:
            raise ParamError(
                "window_lo",
                self.window_lo,
                f"< {self.window_hi / 1.5 * math.sqrt(self.flow.m):.3g} (window_lo/√m must lie "
                f"well below window_hi = {self.window_hi}: take flow.m larger)",
            )
        check_int("points", self.points, 5)
        check_float("survivor.l1", self.survivor.l1, 0.0, 0.1, lo_open=True)
        check_int("survivor_runs", self.survivor_runs, 1)
        check_int("train.model.m", self.train.model.m, 64)
        check_int("train.model.n", self.train.model.n, 1, self.train.model.m // 16)
        check_int("train.instances", self.train.instances, 2)
        check_float(
            "train.optimiser.lr", self.train.optimiser.lr, 0.0, 0.25, lo_open=True, hi_open=True
        )
        check_float("train.optimiser.l1", self.train.optimiser.l1, 0.0, 1.0, lo_open=True)
        if self.train.optimiser.kind != "sgd":
            raise ParamError(
                "train.optimiser.kind",
                self.train.optimiser.kind,
                "'sgd' (the flow's time is SGD's: τ = 4·lr·step)",
            )
        check_int("train.log_points", self.train.log_points, 10)
        check_int("sgd_flows", self.sgd_flows, 2)
        check_confidence(self.confidence)
        if len(self.sgd_window()[0]) < 4:
            raise ParamError(
                "train.model.m",
                self.train.model.m,
                "large enough for >= 4 SGD records in the window",
            )

    # -- derived settings ------------------------------------------------------------------

    @property
    def sgd_l1_code(self) -> float:
        """λ_code of the SGD run, λ/4 (theory.time_units)."""
        return self.train.optimiser.l1 * float(
            theory.time_units()["lambda_code"].subs(theory.lam_real, 1)
        )

    @property
    def sgd_dt(self) -> float:
        """Code time per SGD step, 4·lr (theory.time_units)."""
        return self.train.optimiser.lr * float(theory.time_units()["tau_per_t"].subs(theory.eta, 1))

    def sgd_steps(self) -> int:
        """Steps to reach λ_code·τ = window_hi."""
        return math.ceil(self.window_hi / (self.sgd_l1_code * self.sgd_dt))

    def sgd_window(self) -> tuple[np.ndarray, np.ndarray]:
        """The trainer's record steps that fall in the window, and their code times τ."""
        steps = log_steps(self.sgd_steps(), self.train.log_points)
        tau = steps * self.sgd_dt
        u = tau * self.sgd_l1_code
        keep = (u >= self.window_lo / math.sqrt(self.train.model.m)) & (
            u <= self.window_hi * (1 + 1e-9)
        )
        return steps[keep], tau[keep]

    def sgd_params(self, seed: int, device: str) -> AutoencoderParams:
        """The trainer's params of the SGD run."""
        return self.train.replace(optimiser={"steps": self.sgd_steps()}, seed=seed, device=device)

    def sgd_flow(self) -> ReducedODEParams:
        """The reduced flow that SGD on ``train`` discretises: m and λ_code of the autoencoder,
        Euler step 4·lr, init N(0, init_std²) (1/√m by default), the flow's tolerance."""
        scale = (
            1.0
            if self.train.model.init_std is None
            else self.train.model.init_std * math.sqrt(self.train.model.m)
        )
        return dataclasses.replace(
            self.flow, m=self.train.model.m, l1=self.sgd_l1_code, init_scale=scale, dt=self.sgd_dt
        )

    def window(self) -> tuple[float, float]:
        """The fit window in code time."""
        return self.window_lo / (
            self.flow.l1 * math.sqrt(self.flow.m)
        ), self.window_hi / self.flow.l1


@dataclass(frozen=True, repr=False)
class L1DecayMeasurements:
    t: np.ndarray  # (T,) log-spaced times in the window (code units)
    l1: np.ndarray  # (R, T) ‖w‖₁ of each replicate
    support: np.ndarray  # (R, T) m′
    rho_slope: np.ndarray  # (R,) secant slope of 1/‖w‖₁ against λt over the window
    rho_ratio: np.ndarray  # (R,) time-average over the window of m′‖w‖²/‖w‖₁² − 1
    t_end: np.ndarray  # (R,) first time m′ = 1
    t_wide: np.ndarray  # (Tw,) times from the plateau to the end, for the figure
    l1_wide: np.ndarray  # (R, Tw)
    support_wide: np.ndarray  # (R, Tw)
    s0: np.ndarray  # (R,) ‖w‖₁ after the O(1) norm transient (τ = 5)
    survivor_hits: int  # Euler runs whose survivor is the initial argmax
    survivor_runs: int
    sgd_tau: np.ndarray  # (Ts,) code time τ = 4·lr·step of the SGD records in the window
    sgd_l1: np.ndarray  # (B, Ts) mean over features of ‖W_i‖₁ (SGD chatter |W| <= 2·lr·λ excluded)
    sgd_euler: (
        np.ndarray
    )  # (B, Ts) the same from Euler (step 4·lr) on the reduced flow from the same rows
    sgd_fast: np.ndarray  # (B, Ts) the same from the exact reduced flow from the same rows
    sgd_flows: np.ndarray  # (F, Ts) exact-flow instances from further initialisations (n rows each)
    seconds: dict[str, float]  # wall time per part
    t_table: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros(0)
    )  # (K,) the paper table's times
    l1_table: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros((0, 0))
    )  # (R, K) ‖w‖₁ there
    support_table: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros((0, 0))
    )  # (R, K) m′ there


# -- simulation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FlowJob:
    params: ReducedODEParams
    t: np.ndarray
    t_uniform: np.ndarray
    t_wide: np.ndarray
    t_table: np.ndarray  # the times of the paper's trajectory table (paper_figures.L1_TIMES)


def _flow_replicate(job: _FlowJob) -> tuple[np.ndarray, ...]:
    times = np.concatenate([job.t, job.t_uniform, job.t_wide, [5.0], job.t_table])
    tr = fast(job.params, times)
    a, b, c = (
        job.t.size,
        job.t.size + job.t_uniform.size,
        job.t.size + job.t_uniform.size + job.t_wide.size,
    )
    lam = job.params.l1
    inv = 1.0 / tr.l1[a:b]
    rho_slope = (inv[-1] - inv[0]) / (lam * (job.t_uniform[-1] - job.t_uniform[0]))
    rho_ratio = float(tr.rho[a:b].mean())
    return (
        tr.l1[:a],
        tr.support[:a],
        tr.l1[b:c],
        tr.support[b:c],
        rho_slope,
        rho_ratio,
        tr.t_end,
        tr.l1[c],
        tr.l1[c + 1 :],
        tr.support[c + 1 :],
    )


def _survivor_run(params: ReducedODEParams) -> bool:
    w0 = initial_weights(params)
    return euler(params, w0=w0).survivor == int(np.argmax(w0))


@dataclass(frozen=True)
class _Rows:
    """One autoencoder's worth of rows on the reduced flow, recorded at ``tau``: the given initial
    magnitudes, or (``rows`` None) ``n`` fresh ones from ``seeds``."""

    params: ReducedODEParams  # L1DecayParams.sgd_flow(): m, λ_code and dt = 4·lr of the SGD run
    tau: np.ndarray  # record times, code units
    integrator: str  # "euler" (step dt) or "fast" (the exact flow)
    rows: np.ndarray | None = None  # (n, m) initial magnitudes (the SGD model's |W_init|)
    seeds: tuple[int, ...] = ()  # else one fresh initialisation per seed


def _rows_l1(job: _Rows) -> np.ndarray:
    """Mean over the rows of ‖w‖₁ at ``tau`` (the SGD statistic: mean ‖W_i‖₁ of one model)."""
    run = euler if job.integrator == "euler" else fast
    if job.rows is not None:
        rows = list(job.rows)
    else:
        rows = [initial_weights(dataclasses.replace(job.params, seed=s)) for s in job.seeds]
    return np.mean([run(job.params, job.tau, w0=r, to_end=False).l1 for r in rows], axis=0)


def simulate(p: L1DecayParams, ctx: Context) -> L1DecayMeasurements:
    seconds: dict[str, float] = {}
    t0, t1 = p.window()
    t = np.geomspace(t0, t1, p.points)
    t_uniform = np.linspace(t0, t1, 201)
    t_wide = np.geomspace(0.1 / (p.flow.l1 * math.sqrt(p.flow.m)), 3.0 / p.flow.l1, 80)
    start = time.perf_counter()
    t_table = np.asarray(paper_figures.L1_TIMES, dtype=float)
    jobs = [
        _FlowJob(
            dataclasses.replace(p.flow, seed=ctx.seed_for("l1-decay", "flow", r)),
            t,
            t_uniform,
            t_wide,
            t_table,
        )
        for r in range(p.replicates)
    ]
    rows = ctx.map(_flow_replicate, jobs, label="l1-decay: reduced flow")
    l1, support, l1_wide, support_wide, rho_s, rho_r, t_end, s0, l1_table, support_table = (
        np.asarray(x) for x in zip(*rows, strict=True)
    )
    seconds["flow"] = time.perf_counter() - start

    start = time.perf_counter()
    surv = [
        dataclasses.replace(p.survivor, seed=ctx.seed_for("l1-decay", "survivor", r))
        for r in range(p.survivor_runs)
    ]
    hits = sum(ctx.map(_survivor_run, surv, label="l1-decay: survivor (Euler)"))
    seconds["survivor"] = time.perf_counter() - start

    start = time.perf_counter()
    keep_steps, tau = p.sgd_window()
    thr = (
        2.0 * p.train.optimiser.lr * p.train.optimiser.l1
    )  # SGD's subgradient chatter keeps dead weights within ±lr·λ

    def l1_live(W: torch.Tensor) -> torch.Tensor:
        A = W.abs()
        return (A * (thr < A)).sum(-1).mean(-1)

    out = train(p.sgd_params(ctx.seed_for("l1-decay", "sgd"), ctx.device), metrics={"l1": l1_live})
    pos = np.searchsorted(out.steps, keep_steps)
    sgd_l1 = out.metrics["l1"][pos].T  # (B, Ts)
    flow_p = p.sgd_flow()
    W0 = np.abs(out.W_init.astype(np.float64))
    ref = {
        kind: ctx.map(
            _rows_l1,
            [_Rows(flow_p, tau, kind, rows=W0[b]) for b in range(p.train.instances)],
            label=f"l1-decay: {kind} from the SGD rows",
        )
        for kind in ("euler", "fast")
    }
    seconds["sgd"] = time.perf_counter() - start

    start = time.perf_counter()
    flows = [
        _Rows(
            flow_p,
            tau,
            "fast",
            seeds=tuple(ctx.seed_for("l1-decay", "sgd-flow", f, i) for i in range(p.train.model.n)),
        )
        for f in range(p.sgd_flows)
    ]
    flow_l1 = ctx.map(_rows_l1, flows, label="l1-decay: flows (control variate)")
    seconds["sgd-flows"] = time.perf_counter() - start
    return L1DecayMeasurements(
        t=t,
        l1=l1,
        support=support,
        rho_slope=rho_s,
        rho_ratio=rho_r,
        t_end=t_end,
        t_wide=t_wide,
        l1_wide=l1_wide,
        support_wide=support_wide,
        s0=s0,
        survivor_hits=int(hits),
        survivor_runs=p.survivor_runs,
        sgd_tau=tau,
        sgd_l1=sgd_l1,
        sgd_euler=np.asarray(ref["euler"]),
        sgd_fast=np.asarray(ref["fast"]),
        sgd_flows=np.asarray(flow_l1),
        seconds=seconds,
        t_table=t_table,
        l1_table=l1_table,
        support_table=support_table,
    )


# -- theory --------------------------------------------------------------------------------------


def derive(p: L1DecayParams) -> Derivation:
    units, thr, bal, rate = (
        theory.time_units(),
        theory.threshold_form(),
        theory.norm_balance(),
        theory.l1_rate(),
    )
    slopes, end = theory.local_slope(), theory.end_time()
    window = theory.window_exponents()
    s0 = theory.initial_l1().subs({theory.c: p.flow.init_scale, theory.m: p.flow.m})
    rho0 = theory.initial_rho()
    end_limit = sp.lambdify(theory.rho, end["limit"], "math")
    return Derivation(
        expr=theory.l1_solution(),
        extra={
            "gradient": theory.gradient(),
            "interference_gradient": theory.interference_gradient(),
            "flow_real": units["flow_real"],
            "flow_code": units["flow_code"],
            "tau_per_t": units["tau_per_t"],
            "lambda_code": units["lambda_code"],
            "theta": thr["theta"],
            "dS_dt": bal["dS_dt"],
            "balance_gap": bal["gap"],
            "theta_balanced": bal["theta"],
            "dL1_dt": rate["dL1_dt"],
            "dL1_dt_balanced": rate["with_rho"],
            "rho": rate["rho"],
            "support": theory.support_solution(),
            "l1_slope": slopes["l1"],
            "support_slope": slopes["support"],
            "lambda_t_end": end["lambda_t_end"],
            "initial_l1": theory.initial_l1(),
            "initial_rho": rho0,
        },
        values={
            "l1_slope_limit": float(window["l1"]),
            "support_slope_limit": float(window["support"]),
            **window_predictions(p),
            "S0": float(s0),
            "rho_initial": float(rho0),
            "plateau_time": float(1 / (p.flow.l1 * s0)),
            "window_start": p.window()[0],
            "window_end": p.window()[1],
            "lambda_t_end(rho=pi/2-1)": float(end_limit(float(rho0))),
            "lambda_t_end(rho=1)": float(end_limit(1.0)),
            "tau_per_step(sgd)": p.sgd_dt,
            "lambda_code(sgd)": p.sgd_l1_code,
        },
    )


# -- fits ------------------------------------------------------------------------------------------

# λ·t_end: Θ(1), the catalogue's band (P1-L1-7); the closed form's √(1+ρ)/ρ ∈ [1.41, 2.19] for
# ρ ∈ [π/2 − 1, 1] lies inside it
END_BAND = (1.0, 3.0)
# the claim's stated precisions (half-widths of the bands), named once and quoted in the texts
SLOPE_TOL = 0.08  # ‖w‖₁'s exponent (catalogue: slope ∈ [−1.08, −0.92] about the limit, m ≥ 1e5)
SUPPORT_TOL = 0.15  # m′'s exponent (catalogue: slope ∈ [−2.15, −1.85] about the limit)
RHO_TOL = 0.05  # ρ (catalogue P1-L1-6's ±0.05: half the distance to an exponential tail's ρ = 1)
FOLLOW_TOL = SLOPE_TOL / 8  # SGD − Euler slope: an eighth of the slope's precision


def _eps(flow: ReducedODEParams) -> float:
    """λ√m of a flow: s = λ√m·t is the population flow's time (theory.l1_decay.population_at)."""
    return flow.l1 * math.sqrt(flow.m)


def _rho_grid(p: L1DecayParams) -> np.ndarray:
    """s = λ√m·t at the window's log-spaced times (those of ``simulate``)."""
    return np.geomspace(*p.window(), p.points) * _eps(p.flow)


def _sgd_grid(p: L1DecayParams) -> np.ndarray:
    """s = λ√m·τ at the SGD records in the window (those of ``simulate``), m and λ the trainer's."""
    return p.sgd_window()[1] * _eps(p.sgd_flow())


def window_predictions(p: L1DecayParams) -> dict[str, float]:
    """What each fit over a finite window should measure, from the params alone: the population
    flow (theory.l1_decay.population_at) at each run's λ√m and init scale, over the very times
    the fits use. ``l1_slope_window`` and ``support_slope_window`` (reduced flow), ``rho_window``,
    and ``sgd_slope_window`` (the trainer's m, λ_code, init and record times)."""
    flow, sgd = p.flow, p.sgd_flow()
    on_flow = {"eps": _eps(flow), "init_scale": flow.init_scale}
    return {
        "l1_slope_window": theory.l1_window_slope(_rho_grid(p), **on_flow),
        "support_slope_window": theory.support_window_slope(_rho_grid(p), **on_flow),
        "rho_window": theory.window_rho(_rho_grid(p), **on_flow),
        "sgd_slope_window": theory.l1_window_slope(
            _sgd_grid(p), eps=_eps(sgd), init_scale=sgd.init_scale
        ),
    }


def _sgd_window_text(p: L1DecayParams) -> str:
    _, tau = p.sgd_window()
    u = tau * p.sgd_l1_code
    return f"λτ ∈ [{u[0]:.3g}, {u[-1]:.3g}] (×{u[-1] / u[0]:.1f}, {tau.size} records)"


def specs(p: L1DecayParams) -> tuple[FitSpec, ...]:
    """The six fits; their reasons name the window, sizes and window predictions of ``p``."""
    lo, hi = p.window_lo, p.window_hi
    s_hi = hi * math.sqrt(p.flow.m)
    win = f"λt ∈ [{lo:g}/√m, {hi:g}] (×{s_hi / lo:.1f})"
    ratio = p.train.model.n / p.train.model.m
    pred = window_predictions(p)
    limits = {"l1": theory.l1_exponent(), "support": theory.support_exponent()}
    population = (
        f"the exact flow of the half-normal population (m → ∞ at fixed s = λ√m·t) at λ√m = "
        f"{_eps(p.flow):.3g} and init scale {p.flow.init_scale:g}, over the {p.points} log-spaced "
        f"times of the window, s ∈ [{lo:g}, {s_hi:.3g}]"
    )
    sgd_flow, s_sgd = p.sgd_flow(), _sgd_grid(p)
    return (
        FitSpec(
            "l1-slope",
            "log-log slope of ‖w‖₁ against t in the window (reduced flow)",
            SLOPE_TOL,
            why=f"predicted: theory.l1_decay.l1_window_slope, the slope an OLS fit measures on "
            f"{population}: {pred['l1_slope_window']:.4f}. Its limit as the window moves to "
            f"1/(λ√m) ≪ t ≪ 1/λ is theory.l1_decay.l1_exponent = {limits['l1']:g}, the dsolve "
            f"solution's local slope; a finite window keeps the plateau's crossover (above it) "
            f"and the rise of ρ (below). {win}, m = {p.flow.m:.3g}, λ = {p.flow.l1:g}, "
            f"{p.replicates} initialisations (mean of per-run OLS slopes, t-interval). Band "
            f"predicted ± {SLOPE_TOL:g} (catalogue: slope ∈ [{num(limits['l1'] - SLOPE_TOL)}, "
            f"{num(limits['l1'] + SLOPE_TOL)}] about the limit, m ≥ 1e5; kept about the window's "
            "value).",
        ),
        FitSpec(
            "support-slope",
            "log-log slope of m′ against t in the window (reduced flow)",
            SUPPORT_TOL,
            why=f"predicted: theory.l1_decay.support_window_slope, the slope of m′ = m·P(b) on "
            f"{population}: {pred['support_slope_window']:.4f}; its limit is "
            f"theory.l1_decay.support_exponent = {limits['support']:g} (m′ = (1 + ρ)‖w‖₁²). "
            f"{win}; band predicted ± {SUPPORT_TOL:g} (catalogue: slope ∈ "
            f"[{num(limits['support'] - SUPPORT_TOL)}, {num(limits['support'] + SUPPORT_TOL)}] "
            "about the limit). "
            "The window starts late and m is large because the crossover bends m′ most.",
        ),
        FitSpec(
            "rho",
            "ρ = m′/‖w‖₁² − 1 of the live magnitudes, mean over the window's times (reduced flow)",
            RHO_TOL,
            why="predicted from the initial distribution alone (theory.l1_decay.window_rho): the "
            "shared factor makes the flow one affine map, so the live magnitudes are the "
            "half-normal tail above a threshold b shifted down by b, ρ(b) = P·E[(z − b)₊²]/"
            "E[(z − b)₊]² − 1, and b(s) is the population flow's at s = λ√m·t (as for the slopes; "
            f"no fitted constant; ρ rises from π/2 − 1 at b = 0 toward 1). Measured: m′/‖w‖₁² − 1 "
            f"(‖w‖² = 1 to ≤ 1e-4 in the window) averaged over the {p.points} log-spaced times at "
            f"s ∈ [{lo:g}, {s_hi:.3g}] ({win}), {p.replicates} initialisations, t-interval. Band "
            f"predicted ± {RHO_TOL:g} (catalogue P1-L1-6's ±{RHO_TOL:g}): half the distance to an "
            "exponential "
            "tail's ρ = 1, so the band tells the two apart (control rho-exponential). Not the "
            "secant slope of 1/‖w‖₁: by the balance it is ρ's uniform-time average (a code "
            "consistency test in tests/), dominated by the window's end where few coordinates "
            "remain, and noisier.",
        ),
        FitSpec(
            "end-time",
            "λ·t_end, t_end the first time m′ = 1",
            (END_BAND[1] - END_BAND[0]) / 2,
            why=f"Θ(1/λ), which the catalogue (P1-L1-7) states as λt_end ∈ [{END_BAND[0]:g}, "
            f"{END_BAND[1]:g}]: the band {sum(END_BAND) / 2:g} ± "
            f"{(END_BAND[1] - END_BAND[0]) / 2:g} is that statement, not a derived point (the "
            "closed form's √(1+ρ)/ρ ∈ [1.41, 2.19] for ρ ∈ [π/2 − 1, 1] ignores the last few "
            f"coordinates, whose random gaps set the spread). Mean over {p.replicates} "
            "initialisations, t-interval.",
        ),
        FitSpec(
            "sgd-slope",
            "log-log slope of mean ‖W_i‖₁ against training time (SGD autoencoder)",
            SLOPE_TOL,
            why=f"predicted: theory.l1_decay.l1_window_slope over this run's {s_sgd.size} "
            f"record times in the window, s = λ√m·τ ∈ [{s_sgd[0]:.3g}, {s_sgd[-1]:.3g}], on the "
            f"exact flow of the half-normal population at its λ√m = {_eps(sgd_flow):.3g} and "
            f"init scale {sgd_flow.init_scale:g}: {pred['sgd_slope_window']:.4f}. Its limit is "
            f"theory.l1_decay.l1_exponent = {limits['l1']:g}, which this window is too narrow "
            f"and too early to reach, and λ√m = {_eps(sgd_flow):.3g} keeps ‖w‖² below 1 by "
            f"≈ λ‖w‖₁ (at λ√m → 0 the same window gives "
            f"{theory.l1_window_slope(s_sgd, eps=None):.4f}). "
            f"Band ± {SLOPE_TOL:g} as l1-slope. n = {p.train.model.n}, m = {p.train.model.m}, "
            f"lr = {p.train.optimiser.lr:g}, λ = {p.train.optimiser.l1:g} (code time 4·lr·step, "
            f"λ_code = λ/4), {_sgd_window_text(p)}; chatter |W| ≤ 2·lr·λ excluded. Estimate = "
            f"mean(SGD − exact flow from the same rows) over {p.train.instances} models + mean "
            f"exact-flow slope over {p.sgd_flows} more initialisations (control variate; "
            "bootstrap over both). A sample's flow sits a little above the population's (few "
            "coordinates are alive at the window's end) and SGD a little below the flow (Euler's "
            "step): the figure's third panel gives the raw SGD, exact-flow and Euler slopes.",
        ),
        FitSpec(
            "sgd-follows-flow",
            "SGD slope − slope of Euler on the reduced flow from the same initial rows",
            FOLLOW_TOL,
            why=f"predicted 0 by definition (SGD is Euler on the flow, step 4·lr); paired over "
            f"{p.train.instances} autoencoders: the difference is interference (n/m = "
            f"{ratio:.1e}), SGD's subgradient chatter and float32. Band ± {FOLLOW_TOL:g}: an "
            f"eighth of the slope's ({SLOPE_TOL:g}).",
        ),
    )


def _slopes(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Log-log slope of each row of y against t."""
    return fitting.ols_slope(np.log(t), np.log(y))


def _sgd_slopes(meas: L1DecayMeasurements) -> dict[str, np.ndarray]:
    """Per-model slopes in the SGD window: SGD, Euler and the exact flow from the same rows, and
    the further exact-flow instances."""
    return {
        name: _slopes(meas.sgd_tau, y)
        for name, y in (
            ("sgd", meas.sgd_l1),
            ("euler", meas.sgd_euler),
            ("fast", meas.sgd_fast),
            ("flows", meas.sgd_flows),
        )
    }


def _measured_rho(meas: L1DecayMeasurements) -> np.ndarray:
    """(R,) m′/‖w‖₁² − 1 averaged over the window's log-spaced times, per initialisation."""
    return (meas.support / meas.l1**2 - 1.0).mean(axis=1)


def fit(meas: L1DecayMeasurements, d: Derivation, p: L1DecayParams, judge: Judge) -> list[Fit]:
    """Slopes, ρ and end time of the reduced flow, and the SGD slope."""
    level = judge.level
    s1 = fitting.mean_ci(_slopes(meas.t, meas.l1), confidence=level)
    sm = fitting.mean_ci(_slopes(meas.t, meas.support), confidence=level)
    rho = fitting.mean_ci(_measured_rho(meas), confidence=level)
    end = fitting.mean_ci(meas.t_end * p.flow.l1, confidence=level)

    s = _sgd_slopes(meas)
    # E[SGD slope] = E[SGD − exact flow, same rows] + E[exact flow]: the paired part is nearly
    # noiseless, the second is averaged over many cheap initialisations (a control variate)
    sgd = fitting.bootstrap(
        [s["sgd"] - s["fast"], s["flows"]],
        lambda a, b, axis=-1: a.mean(axis) + b.mean(axis),
        rng=judge.rng,
        confidence=level,
    )
    follows = fitting.mean_ci(s["sgd"] - s["euler"], confidence=level)
    v = d.values  # the window predictions: derive's, from the params alone
    return [
        judge.fit("l1-slope", predicted=v["l1_slope_window"], estimate=s1),
        judge.fit("support-slope", predicted=v["support_slope_window"], estimate=sm),
        judge.fit("rho", predicted=v["rho_window"], estimate=rho),
        judge.fit("end-time", predicted=sum(END_BAND) / 2, estimate=end),
        judge.fit("sgd-slope", predicted=v["sgd_slope_window"], estimate=sgd),
        judge.fit("sgd-follows-flow", predicted=0.0, estimate=follows),
    ]


def _rho_hard_threshold(
    fits: Sequence[Fit], meas: L1DecayMeasurements, p: L1DecayParams, judge: Judge
) -> list[Fit]:
    """Mutant: the survivors keep their initial values (a hard threshold, no common shift)."""
    flow = p.flow
    pred = theory.window_rho(
        _rho_grid(p), shifted=False, eps=_eps(flow), init_scale=flow.init_scale
    )
    return [f.mutant(predicted=pred) for f in fits if f.key == "rho"]


def _end_on_plateau(
    fits: Sequence[Fit], meas: L1DecayMeasurements, p: L1DecayParams, judge: Judge
) -> list[Fit]:
    """Mutant: sparsification completes on the plateau timescale, λt_end < 10/√m."""
    return [
        f.mutant(predicted=10.0 / math.sqrt(p.flow.m), relation="<")
        for f in fits
        if f.key == "end-time"
    ]


CONTROLS = (
    Control("l1-slope-half", "‖w‖₁ decays as t^(−1/2)", predict={"l1-slope": -0.5}),
    Control(
        "sgd-slope-half",
        "the trained autoencoder's ‖W_i‖₁ decays as t^(−1/2)",
        predict={"sgd-slope": -0.5},
    ),
    Control("support-slope-one", "m′ decays as t^(−1)", predict={"support-slope": -1.0}),
    Control(
        "rho-hard-threshold",
        "the largest coordinates survive with their initial values (a hard threshold, no "
        "common shift), so ρ is the unshifted half-normal tail's",
        refit=_rho_hard_threshold,
    ),
    Control(
        "rho-frozen",
        "the magnitudes keep their half-normal shape, as a random live set would: ρ = π/2 − 1",
        predict={"rho": math.pi / 2 - 1},
    ),
    Control("rho-exponential", "the live magnitudes are exponential (ρ = 1)", predict={"rho": 1.0}),
    Control(
        "end-on-plateau",
        "sparsification completes on the plateau, λt_end < 10/√m",
        refit=_end_on_plateau,
    ),
)

DEVIATIONS: dict[str, Deviation | tuple[Deviation, ...]] = {}

_LOG = "benchmarks/false_failure.jsonl"  # the sweep log the measured statements quote


def _false_failure(p: L1DecayParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge, the sizes from the
    params), then what the sweep logs showed (benchmarks/false_failure.jsonl)."""
    rho = float(theory.window_rho(_rho_grid(p), eps=_eps(p.flow), init_scale=p.flow.init_scale))
    return (
        f"{judge.family_sentence()}. {p.replicates} initialisations of the flow at m = "
        f"{p.flow.m:.3g} give slope intervals well inside their bands (±{SLOPE_TOL:g}, "
        f"±{SUPPORT_TOL:g}) and ρ's inside ±{RHO_TOL:g}; the SGD slope rests on "
        f"{p.train.instances} autoencoders and {p.sgd_flows} further exact-flow instances. "
        f"History ({_LOG}): with 24 initialisations, at seed 13 one initialisation had ρ = 1.13 "
        f"(ρ's spread between initialisations is right-skewed), so ρ's interval straddled the "
        f"band's upper edge {num(rho + RHO_TOL, '.3f')} and the control rho-exponential's lower "
        "edge, both inconclusive: the replicates were doubled (issue 25). The sgd-slope was judged "
        "against the asymptote −1 until issue 25 and every interval excluded it (a resolved "
        "offset): it was the window's own slope, now predicted by theory.l1_decay. A sample's flow "
        "sits ≈ +0.006 above the population's at the SGD window's end (≈ 100 live coordinates), "
        "SGD ≈ −0.002 below the flow (Euler's step). ρ measured as the secant slope of 1/‖w‖₁ "
        "would pass in only ≈ 67 % of 24-initialisation draws (resampled from 200), against "
        "≈ 99.9 % for the mean over the window's times."
    )


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Overrides where the claim should hold: m = 3·10⁵…10⁶ (smaller m biases the slopes, a
    finite-size effect), any λ (the flow depends on λ only through λt) and init scale, at a
    family-wise 0.999, with fewer replicates than standard (so some fits may be inconclusive)."""
    m = draw(st.integers(300_000, 1_000_000), label="m")
    l1 = 10 ** draw(st.floats(-7.0, -4.0), label="log10 λ")
    scale = draw(st.floats(0.5, 0.95), label="init_scale")
    return {
        "flow.m": m,
        "flow.l1": l1,
        "flow.init_scale": scale,
        "survivor.init_scale": scale,
        "replicates": 8,
        "window_lo": 15.0,
        "window_hi": 0.15,
        "survivor_runs": 16,
        "train.model.m": 65_536,
        "train.optimiser.l1": 1.5625e-3,
        "train.instances": 2,
        "sgd_flows": 32,
    }


STANDARD = L1DecayParams()
# the paper code's ODE run (sparsity.py): m = 1e5, λ = 1e-5, for the flow and the survivor
PAPER = L1DecayParams(
    flow=dataclasses.replace(STANDARD.flow, m=100_000, l1=1e-5),
    survivor=dataclasses.replace(STANDARD.survivor, m=100_000, l1=1e-5),
)
SMOKE = L1DecayParams(
    flow=dataclasses.replace(STANDARD.flow, m=20_000, l1=1e-5),
    survivor=dataclasses.replace(STANDARD.survivor, m=200, l1=3e-3),
    train=STANDARD.train.replace(
        model={"m": 16_384}, optimiser={"l1": 4 * 0.1 / 128}, instances=2, log_points=60
    ),
    replicates=4,
    window_lo=10.0,
    survivor_runs=8,
    sgd_flows=4,
)

L1_DECAY = Claim(
    id="l1-decay",
    title="L1 winner-takes-all: ‖w‖₁ ∝ 1/(1/√m + λt), m′ ∝ ‖w‖₁², the initial argmax survives",
    statement=(
        "Under feature benefit and L1 a feature's live weights share one growth factor, so their "
        "order is kept and the initial argmax survives; the norm stays pinned near 1 and ‖w‖₁ = "
        "1/(1/‖w(0)‖₁ + ρλt): slope −1 (m′: −2) for 1/(λ√m) ≪ t ≪ 1/λ, with ρ set by the initial "
        "distribution, and m′ = 1 at t = Θ(1/λ); SGD on the autoencoder follows the same flow."
    ),
    source=(
        "Lecomte et al. 2312.03096, sparsification dynamics (sparsity.py ODE); catalogue P1-L1-1…7"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=CONTROLS,
    deviations=DEVIATIONS,
    false_failure=_false_failure,
    plot=figures.Figure("l1_decay"),
    strategy=_strategy,
    paper_figures=paper_figures.l1_trajectory,
)

CLAIM = L1_DECAY
