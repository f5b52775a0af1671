"""Claim ``interference``: the pair force, its strength at init, and decorrelation (P1-INT-1…3).

The L1 theory of Lecomte et al. treats features as independent; what couples them is the pair
term of the gradient, −Σ_{j≠i} ReLU(W_i·W_j) W_j in code units (derived in
:mod:`theory.interference`; that it matches autograd is a test, ``tests/test_interference.py``,
not a fit). This claim measures what the theory says of it: at the N(0, 1/m) init the pair terms
drain d‖W_i‖²/dτ by (n − 1)/m in expectation — Θ(n/m), the reason the theory needs n ≪ m — with
exponents −1 in m and +1 in n − 1; and a positively aligned pair with the other features frozen
decorrelates exponentially, its cosine decaying at relative rate ‖W_i‖² + ‖W_j‖² ≈ 2. Both are
measured through the project's own loss gradient (``sim.autoencoder.fused_loss_and_grad``), not
through the derived formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from sim import ParamError, check_float, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, fused_loss_and_grad
from theory import interference as th

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Fit, FitSpec, Judge
from ._shared import check_confidence, property_strategy

__all__ = ["CLAIM", "InterferenceMeasurements", "InterferenceParams"]

CHUNK = 1 << 22  # float64 entries of W per gradient call (32 MiB): bounds the memory at any grid


@dataclass(frozen=True)
class InterferenceParams:
    """A grid of random inits for the strength; replicate pairs for the decorrelation."""

    n: tuple[int, ...] = (8, 16, 32)  # features of the strength grid (n − 1 spans 7…31)
    m: tuple[int, ...] = (64, 128, 256, 512)  # hidden neurons of the strength grid (m ≥ 2n)
    instances: int = 400  # random inits per (n, m): the strength's replicates
    pair_n: int = 16  # features in each decorrelation run: the pair moves, n − 2 stay frozen
    pair_m: int = 256  # hidden neurons there (n/m = 1/16: the frozen features' Θ(n/m) is small)
    pairs: int = 200  # replicate pairs, integrated side by side
    kappa0: float = 0.2  # initial cosine of the pair (the second-order term κ² ≤ 0.04)
    norm_sq: float = 1.0  # initial ‖W_i‖² = ‖W_j‖² of the pair ("once the norms are ≈ 1")
    dt: float = 0.005  # Euler step in code time τ = 4ηt (η = dt/4): a 0.5 % per-step error
    window: float = 0.5  # code time fitted: κ falls by e^{−1}, to ≈ 0.07 (small against κ0)
    confidence: float = 0.95  # family-wise level of the stochastic fits (Bonferroni)

    def __post_init__(self) -> None:
        for name in ("n", "m"):
            grid = getattr(self, name)
            if len(set(grid)) < 2:
                raise ParamError(name, grid, "at least two distinct sizes (an exponent is fitted)")
        for x in self.n:
            check_int("n", x, 2, 4096)
        for x in self.m:
            check_int("m", x, 1, 1 << 16)
        check_int("instances", self.instances, 2)
        check_int("pair_n", self.pair_n, 2)
        check_int("pair_m", self.pair_m, 2)
        check_int("pairs", self.pairs, 2)
        check_float("kappa0", self.kappa0, 0.0, 1.0, lo_open=True, hi_open=True)
        check_float("norm_sq", self.norm_sq, 0.0, lo_open=True)
        check_float("dt", self.dt, 0.0, 0.05, lo_open=True)
        check_float("window", self.window, 0.0, lo_open=True)
        if self.window < 4 * self.dt:
            raise ParamError(
                "window", self.window, f">= 4·dt = {4 * self.dt:g} (a slope is fitted)"
            )
        check_confidence(self.confidence)

    @property
    def grid(self) -> list[tuple[int, int]]:
        """The (n, m) points of the strength grid."""
        return [(a, b) for a in self.n for b in self.m]

    @property
    def steps(self) -> int:
        """Euler steps over the fitted window."""
        return round(self.window / self.dt)


@dataclass(frozen=True, repr=False)
class InterferenceMeasurements:
    # (n, m) -> per init: the pair terms' part of d‖W_i‖²/dτ, averaged over the features i
    strength: dict[tuple[int, int], np.ndarray]
    tau: np.ndarray  # (T,) code times of the decorrelation runs
    kappa: np.ndarray  # (pairs, T) cosine of each pair
    norms: np.ndarray  # (pairs, T, 2) ‖W_i‖², ‖W_j‖²


def _grad_code(W: torch.Tensor) -> torch.Tensor:
    """−∂L/∂W / (τ per η·t): the project's gradient of the loss (no L1, no noise), in code time."""
    b, n, m = W.shape
    ap = AutoencoderParams(model=ModelParams(n=n, m=m), instances=b, dtype="float64")
    return fused_loss_and_grad(W, None, ap)[1].div_(-float(th.time_unit()))


def _strength(n: int, m: int, instances: int, gen: torch.Generator) -> np.ndarray:
    """Per init (the project's: N(0, std²), std = 1/√m), the mean over i of
    2 W_i·Ẇ_i − 2(1 − ‖W_i‖²)‖W_i‖²: d‖W_i‖²/dτ from the loss gradient less its self term."""
    std = ModelParams(n=n, m=m).std
    out = []
    step = max(1, CHUNK // (n * m))
    for start in range(0, instances, step):
        b = min(step, instances - start)
        W = torch.randn(b, n, m, generator=gen, dtype=torch.float64).mul_(std)
        dnorm = 2 * (W * _grad_code(W)).sum(-1)  # d‖W_i‖²/dτ, (b, n)
        sq = (W * W).sum(-1)
        out.append((dnorm - 2 * (1 - sq) * sq).mean(-1).numpy())
    return np.concatenate(out)


def _pairs(p: InterferenceParams, gen: torch.Generator) -> tuple[np.ndarray, ...]:
    """Euler in code time: rows 0 and 1 move under the loss gradient, rows 2… stay at their
    init. Row 1 is set to cosine κ0 with row 0 (its own init direction, orthogonalised), both to
    ‖W‖² = norm_sq. Returns τ, κ (pairs, T), norms (pairs, T, 2)."""
    n, m = p.pair_n, p.pair_m
    W = torch.randn(p.pairs, n, m, generator=gen, dtype=torch.float64).mul_(
        ModelParams(n=n, m=m).std
    )
    a = W[:, 0] / W[:, 0].norm(dim=-1, keepdim=True)
    v = W[:, 1] - (W[:, 1] * a).sum(-1, keepdim=True) * a
    v = v / v.norm(dim=-1, keepdim=True)
    r = math.sqrt(p.norm_sq)
    W[:, 0] = r * a
    W[:, 1] = r * (p.kappa0 * a + math.sqrt(1 - p.kappa0**2) * v)
    kappa, norms = [], []

    def record() -> None:
        x, y = W[:, 0], W[:, 1]
        sx, sy = (x * x).sum(-1), (y * y).sum(-1)
        kappa.append(((x * y).sum(-1) / (sx * sy).sqrt()).numpy().copy())
        norms.append(torch.stack([sx, sy], -1).numpy().copy())

    record()
    for _ in range(p.steps):
        W[:, :2] += p.dt * _grad_code(W)[:, :2]
        record()
    tau = p.dt * np.arange(p.steps + 1)
    return tau, np.stack(kappa, 1), np.stack(norms, 1)


def simulate(p: InterferenceParams, ctx: Context) -> InterferenceMeasurements:
    strength = {}
    for n, m in p.grid:
        gen = torch.Generator().manual_seed(ctx.seed_for("interference", "init", n, m))
        strength[(n, m)] = _strength(n, m, p.instances, gen)
    gen = torch.Generator().manual_seed(ctx.seed_for("interference", "pairs", p.pair_n, p.pair_m))
    tau, kappa, norms = _pairs(p, gen)
    return InterferenceMeasurements(strength, tau, kappa, norms)


def derive(p: InterferenceParams) -> Derivation:
    dec = th.decorrelation()
    return Derivation(
        expr=th.init_strength_expr(),
        extra={
            "pair constant (code units)": th.pair_constant("code"),
            "pair constant (real units)": th.pair_constant("real"),
            "E[ReLU(Z)^2], Z ~ N(0, s^2)": th.relu_square_moment(),
            "dkappa/dtau": dec["dkappa"],
            "decorrelation rate": th.decorrelation_rate_expr(),
        },
        values={f"strength (n={n}, m={m})": th.predict_init_strength(n, m) for n, m in p.grid}
        | {
            "m-exponent": th.strength_m_exponent(),
            "n-exponent": th.strength_n_exponent(),
            "decorrelation rate": th.predict_decorrelation_rate(p.norm_sq, p.norm_sq),
        },
    )


RATE_TOL = 0.25  # the decorrelation rate: ± its second-order terms
LEVEL_TOL = 0.05  # the strength's level: catalogue P1-INT-2's ±5 %
EXP_TOL = 0.1  # the strength's exponents: the precision they are claimed at
_LOG = "benchmarks/false_failure.jsonl"  # the standard scale's sweep, seeds 0–19


def specs(p: InterferenceParams) -> tuple[FitSpec, ...]:
    second = p.kappa0**2 * 2 * p.norm_sq
    frozen = (p.pair_n - 2) / p.pair_m
    return (
        FitSpec(
            "strength-level",
            "mean over the (n, m) grid of the measured pair drain of d‖W_i‖²/dτ at init, "
            "in units of (n − 1)/m",
            LEVEL_TOL,
            why=f"catalogue P1-INT-2: −(n − 1)/m ± {100 * LEVEL_TOL:g} % (derived constant); the "
            "expectation is exact at every m (Z = W_i·W_j is symmetric), so "
            f"±{100 * LEVEL_TOL:g} % is the catalogue's figure, not a finite-size allowance; "
            "interval: bootstrap over inits per grid point",
        ),
        FitSpec(
            "strength-m-exponent",
            "exponent of the pair drain in m (joint log-log fit over the grid)",
            EXP_TOL,
            why="the limit of the local slope of −(n − 1)/m in m (sympy); the expectation is "
            f"exact at every (n, m), so ±{EXP_TOL:g} allows no finite-size drift, only the "
            "precision the exponent is claimed at; bootstrap over inits",
        ),
        FitSpec(
            "strength-n-exponent",
            "exponent of the pair drain in n − 1 (joint log-log fit over the grid)",
            EXP_TOL,
            why="the local slope of −(n − 1)/m in n − 1 (sympy: 1 exactly); bootstrap over inits",
        ),
        FitSpec(
            "decorrelation-rate",
            f"−d log κ/dτ over τ ∈ [0, {p.window:g}] of a positively aligned pair "
            f"(κ0 = {p.kappa0:g}, ‖W‖² = {p.norm_sq:g}), {p.pair_n - 2} features frozen",
            RATE_TOL,
            why=f"P1-INT-3: rate ‖W_i‖² + ‖W_j‖² up to second-order terms; ±{RATE_TOL:g} covers "
            f"them: the exact rate is (A + B)(1 − κ²), ≤ {second:.2g} below at κ0 = {p.kappa0:g}, "
            f"and the frozen features shift it by Θ(n/m) = {frozen:.2g}; interval over pairs",
        ),
    )


def _exponents(meas: InterferenceMeasurements, p: InterferenceParams) -> list[Callable[..., Any]]:
    """Bootstrap statistics: the coefficients of log(mean drain) on log m and log(n − 1)."""
    X = np.array([[1.0, math.log(m), math.log(n - 1)] for n, m in p.grid])
    pinv = np.linalg.pinv(X)

    def coef(col: int) -> Callable[..., np.ndarray]:
        def stat(*ys: np.ndarray, axis: int = -1) -> np.ndarray:
            means = np.stack([-y.mean(axis=axis) for y in ys], axis=-1)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log(means) @ pinv[col]

        return stat

    return [coef(1), coef(2)]


def _rates(meas: InterferenceMeasurements) -> np.ndarray:
    """−(OLS slope of log κ on τ) per pair; a pair whose κ leaves (0, 1) is undefined."""
    kappa = meas.kappa
    if not np.all(kappa > 0):
        raise ValueError(
            f"{int((kappa <= 0).any(axis=1).sum())} pairs reached κ ≤ 0 inside the window: "
            "shorten it or reduce n/m"
        )
    return -fitting.ols_slope(meas.tau, np.log(kappa))


def fit(
    meas: InterferenceMeasurements, d: Derivation, p: InterferenceParams, judge: Judge
) -> list[Fit]:
    units = [(n - 1) / m for n, m in p.grid]
    drains = [-meas.strength[g] / u for g, u in zip(p.grid, units, strict=True)]
    level = fitting.ratio_ci(drains, [1.0] * len(drains), rng=judge.rng, confidence=judge.level)
    # the theory's strength in the same units: −1 at every grid point
    predicted = float(
        np.mean(
            [-th.predict_init_strength(n, m) / u for (n, m), u in zip(p.grid, units, strict=True)]
        )
    )
    samples = [meas.strength[g] for g in p.grid]
    m_stat, n_stat = _exponents(meas, p)
    m_exp = fitting.bootstrap(samples, m_stat, rng=judge.rng, confidence=judge.level)
    n_exp = fitting.bootstrap(samples, n_stat, rng=judge.rng, confidence=judge.level)
    rate = fitting.mean_ci(_rates(meas), confidence=judge.level)
    return [
        judge.fit("strength-level", predicted=predicted, estimate=level),
        judge.fit("strength-m-exponent", predicted=th.strength_m_exponent(), estimate=m_exp),
        judge.fit("strength-n-exponent", predicted=th.strength_n_exponent(), estimate=n_exp),
        judge.fit(
            "decorrelation-rate",
            predicted=th.predict_decorrelation_rate(p.norm_sq, p.norm_sq),
            estimate=rate,
        ),
    ]


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Any grid with n ≤ m/2 for the strength (its expectation is exact); pairs with n/m ≤ 1/8
    and κ0 in [0.12, 0.3]: above, the second-order terms leave the rate's band; below, the frozen
    features' forces (≈ √n/m on W_i·W_j) can push κ through 0 inside the window (measured: 7 of
    30 smoke runs at κ0 = 0.05, n/m = 1/8; none of 40 at κ0 = 0.12, smallest κ 0.014). Judged at
    a family-wise 0.999."""
    n = sorted(set(draw(st.lists(st.integers(3, 16), min_size=2, max_size=3), label="n")))
    n = n if len(n) >= 2 else [4, 8]
    lo = max(32, 2 * n[-1])
    m = sorted(set(draw(st.lists(st.sampled_from([lo, 2 * lo, 4 * lo]), min_size=2), label="m")))
    m = m if len(m) >= 2 else [lo, 2 * lo]
    pair_m = draw(st.sampled_from([128, 256]), label="pair_m")
    return {
        "n": tuple(n),
        "m": tuple(m),
        "instances": 200,
        "pair_n": draw(st.integers(4, pair_m // 8), label="pair_n"),
        "pair_m": pair_m,
        "pairs": 64,
        "kappa0": draw(st.floats(0.12, 0.3), label="kappa0"),
    }


STANDARD = InterferenceParams()
SMOKE = InterferenceParams(
    n=(4, 8), m=(32, 64), instances=50, pair_n=8, pair_m=64, pairs=32, dt=0.01
)
PAPER = InterferenceParams(
    n=(8, 16, 32, 64, 128),
    m=(256, 512, 1024, 2048, 4096),
    instances=2000,
    pair_n=64,
    pair_m=1024,
    pairs=1000,
    dt=0.0025,
)


def _false_failure(p: InterferenceParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge), then the standard scale's
    interval half-widths and the rate's offset from its sweep log."""
    s = STANDARD
    rate = 2 * s.norm_sq  # ‖W_i‖² + ‖W_j‖² (theory.interference.predict_decorrelation_rate)
    return (
        f"{judge.family_sentence()}. Interval half-widths over seeds 0–19 at the standard scale "
        f"({_LOG}; {s.instances} inits per grid point, {s.pairs} pairs): strength-level "
        f"±0.010–0.011 (band ±{LEVEL_TOL:g}), m-exponent ±0.012–0.014 and n-exponent "
        f"±0.017–0.020 (bands ±{EXP_TOL:g}), decorrelation-rate ±0.015–0.019 (band "
        f"±{RATE_TOL:g}). The rate's resolved offset from {rate:g}, −0.07 (fitted 1.916–1.938), "
        "is the second-order part: −0.04 from (1 − κ²) (1.959 measured with no frozen feature; "
        f"at most {s.kappa0**2 * rate:.2g} at κ0 = {s.kappa0:g}, κ falling over the window) and "
        f"−0.035 from the {s.pair_n - 2} frozen "
        "features' Θ(n/m) (1.893 with 30)."
    )


INTERFERENCE = Claim(
    id="interference",
    title="Interference: the pair force, its strength (n − 1)/m at init, decorrelation at rate 2",
    statement=(
        "Only positively aligned pairs interact, through −Σ_{j≠i} ReLU(W_i·W_j) W_j (code units); "
        "at the N(0, 1/m) init this drains d‖W_i‖²/dτ by (n − 1)/m on average, and a positively "
        "aligned pair with the others frozen decorrelates at relative rate ‖W_i‖² + ‖W_j‖² ≈ 2."
    ),
    source=(
        "extension: catalogue P1-INT-1 (pair force, [VLN] verbatim), P1-INT-2 (−Θ(n/m), [VLN]; "
        "the constant derived here), P1-INT-3 (decorrelation, [VLN] partial; derived here)"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=(
        Control(
            "all-pairs",
            "every pair interferes, not only positively aligned ones: E[Z²] for E[ReLU(Z)²], "
            "a drain of 2(n − 1)/m",
            predict={"strength-level": 2.0},
        ),
        Control(
            "n-over-m-squared",
            "the drain scales as n/m² (exponent −2 in m)",
            predict={"strength-m-exponent": -2.0},
        ),
        Control(
            "rate-one",
            "a positively aligned pair decorrelates at rate 1",
            predict={"decorrelation-rate": 1.0},
        ),
    ),
    false_failure=_false_failure,
    strategy=_strategy,
    plot=figures.Figure("interference"),
)

CLAIM = INTERFERENCE
