"""The single-feature L1 flow of Lecomte et al. (the paper code's ``simulate_dynamics``): two
integrators of the same trajectory.

The flow, in the paper code's units (``theory.l1_decay.time_units``: τ = 4ηt, λ = λ_real/4), acts
on the magnitudes of one feature's code w ∈ R^m:

    dw_k/dτ = (1 − ‖w‖²)·w_k − λ,   and a coordinate is removed once it reaches 0.

* :func:`euler` — the reference, as the paper code does it: one Euler step of every live coordinate
  per dt, removing those that reach ≤ 0. O(m′) work per step; 2–3 s at the paper's settings
  (m = 10⁵, λ = 10⁻⁵, dt = 0.5, until m′ = 1 at τ ≈ 1.6·10⁵). It assumes nothing about the order
  of the coordinates, so it is what tests that the flow keeps that order.
* :func:`fast` — every live coordinate feels the same factor g = 1 − ‖w‖², so
  w_k(τ) = a(τ)·w_k(0) − B(τ) with scalars a' = g·a, B' = g·B + λ: coordinate k is alive while
  w_k(0) > c = B/a, and c' = λ/a. With the initial magnitudes sorted and their prefix sums,
  Q(c) = Σ_{w_k(0) > c} (w_k(0) − c)² costs one binary search, and g = 1 − a²Q(c), so the whole
  m-dimensional flow is the exact two-dimensional ODE

      (ln a)' = 1 − a²·Q(c),   c' = λ/a      (solved in d = w_max(0) − c, which keeps its digits),

  whose events (deaths) happen in sorted order at c = w_k(0). It is stiff (the norm relaxes at
  rate ≈ 2, the support shrinks on the timescale τ), so it is solved by LSODA
  (``scipy.integrate.odeint``) with a tolerance, not stepped: ‖w‖₁ = a·Σ_live(w_k(0) − c),
  m′ = #{w_k(0) > c}, ‖w‖² = a²Q(c). Sorting dominates: ≈ 15 ms at m = 10⁵, ≈ 0.15 s at 10⁶.
  ``benchmarks/reduced_ode.py`` measures it against :func:`euler`; Euler converges to it at
  first order in dt.

Both return a :class:`Trajectory` at the requested times, the time τ_end at which m′ first
reaches 1, and the survivor (the coordinate still alive then).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.integrate import ODEintWarning, odeint
from scipy.optimize import brentq

from ._validate import ParamError, check_float, check_int

__all__ = ["ReducedODEParams", "Trajectory", "euler", "fast", "initial_weights"]

# λ above max_w (1 − w²)w = 2/(3√3) ≈ 0.385 kills even a lone coordinate: no survivor at all
_MAX_L1 = 0.38
# give up when m′ is still above 1 at τ = _T_MAX/λ (two exactly tied largest weights never part)
_T_MAX = 1e3


@dataclass(frozen=True)
class ReducedODEParams:
    """One run of the single-feature flow. Defaults are the paper code's ODE experiment
    (``sparsity.py`` + ``models/simulation.py``, catalogue §1.0 S4)."""

    m: int = 100_000  # coordinates of the feature's code (hidden neurons); paper: 1e5
    l1: float = 1e-5  # λ in code units; paper: 1e-5
    init_scale: float = (
        0.9  # initial magnitudes |N(0, init_scale²/m)|, so ‖w(0)‖² ≈ 0.81; paper: 0.9
    )
    dt: float = 0.5  # Euler step in code units; paper: 0.5 (the fast integrator does not step)
    seed: int = 0  # seeds the initial magnitudes (a numpy Generator; nothing global)
    rtol: float = (
        1e-7  # relative tolerance of the fast integrator (LSODA); ‖w‖₁ error ≈ 2e-5 at 1e-7
    )

    def __post_init__(self) -> None:
        check_int("m", self.m, 2)
        check_float("l1", self.l1, 0.0, _MAX_L1, lo_open=True)
        check_float("init_scale", self.init_scale, 0.0, lo_open=True)
        check_float("dt", self.dt, 0.0, 1.0, lo_open=True)
        check_int("seed", self.seed, 0)
        check_float("rtol", self.rtol, 1e-13, 1e-3)


@dataclass(frozen=True, repr=False)
class Trajectory:
    """The flow recorded at ``t``; Euler records at the nearest step, so its ``t`` are multiples
    of dt."""

    t: np.ndarray  # (T,) recording times, code units
    l1: np.ndarray  # (T,) ‖w‖₁ over the live coordinates
    support: np.ndarray  # (T,) m′, the live coordinates
    sq_norm: np.ndarray  # (T,) ‖w‖₂²
    t_end: float  # first time m′ = 1
    survivor: int  # index into the initial weights of the coordinate alive at t_end
    seconds: float  # wall time of the integration, sorting included

    def __repr__(self) -> str:
        return f"Trajectory({self.t.size} times, t_end={self.t_end:.6g}, survivor={self.survivor})"

    @property
    def rho(self) -> np.ndarray:
        """Relative variance of the live magnitudes, m′‖w‖²/‖w‖₁² − 1 (theory.l1_decay.l1_rate)."""
        return self.support * self.sq_norm / self.l1**2 - 1.0


def initial_weights(params: ReducedODEParams) -> np.ndarray:
    """m i.i.d. magnitudes |N(0, init_scale²/m)| in draw order (not sorted)."""
    rng = np.random.default_rng(params.seed)
    return np.abs(rng.normal(0.0, params.init_scale / math.sqrt(params.m), params.m))


def _times(times: Sequence[float] | np.ndarray) -> np.ndarray:
    out = np.asarray(times, dtype=float).ravel()
    if out.size and (not np.all(np.isfinite(out)) or out.min() < 0):
        raise ParamError("times", times, "finite times >= 0")
    return out


def _weights(params: ReducedODEParams, w0: np.ndarray | None) -> np.ndarray:
    if w0 is None:
        return initial_weights(params)
    w0 = np.asarray(w0, dtype=float)
    if w0.shape != (params.m,) or not np.all(w0 >= 0) or not w0.max() > 0:
        raise ParamError(
            "w0", f"array of shape {w0.shape}", f"{params.m} magnitudes >= 0, not all 0 (params.m)"
        )
    return w0


def euler(
    params: ReducedODEParams,
    times: Sequence[float] | np.ndarray = (),
    *,
    w0: np.ndarray | None = None,
    to_end: bool = True,
) -> Trajectory:
    """Explicit Euler on every live coordinate, step ``params.dt``, until the last requested time
    and, with ``to_end``, until m′ = 1 (else ``t_end`` is nan when m′ > 1 at the last time).
    ``w0`` overrides the initial magnitudes (default :func:`initial_weights`)."""
    start = time.perf_counter()
    w = _weights(params, w0).copy()
    idx = np.arange(w.size)
    dt, lam_dt = params.dt, params.l1 * params.dt
    steps = np.round(_times(times) / dt).astype(np.int64)
    order = np.argsort(steps, kind="stable")
    out = np.empty((steps.size, 3))
    nxt, step = 0, 0
    t_end, survivor = math.nan, -1
    while True:
        while nxt < steps.size and steps[order[nxt]] == step:
            out[order[nxt]] = (w.sum(), w.size, w @ w)
            nxt += 1
        if w.size <= 1 and math.isnan(t_end):
            t_end, survivor = step * dt, int(idx[0]) if w.size else -1
        if nxt == steps.size and (not to_end or not math.isnan(t_end)):
            break
        if step * dt * params.l1 > _T_MAX:
            raise RuntimeError(
                f"m′ = {w.size} > 1 at τ = {step * dt:.3g} (λ = {params.l1}, m = {params.m})"
            )
        gap = 1.0 - w @ w
        w *= 1.0 + gap * dt
        w -= lam_dt
        if w.size and w.min() <= 0.0:
            keep = w > 0.0
            w, idx = w[keep], idx[keep]
        step += 1
    return Trajectory(
        t=steps * dt,
        l1=out[:, 0],
        support=out[:, 1].astype(np.int64),
        sq_norm=out[:, 2],
        t_end=t_end,
        survivor=survivor,
        seconds=time.perf_counter() - start,
    )


class _Sorted:
    """Initial magnitudes as gaps below the largest, g_k = w_max(0) − w_k(0) (increasing), with
    prefix sums, so that for d = w_max(0) − c: K = #{g_k < d}, L = Σ_live (d − g_k) and
    Q = Σ_live (d − g_k)² cost one binary search.

    Working with d (not c) keeps its digits when c nears w_max(0) at the end; the prefix-sum form
    Q = Kd² − 2dG1 + G2 cancels badly when a few coordinates are left close to c, so the last
    ``_DIRECT`` coordinates are summed directly.
    """

    _DIRECT = 16

    def __init__(self, w0: np.ndarray) -> None:
        v = np.sort(w0)[::-1]
        self.top = float(v[0])
        self.gaps = self.top - v  # 0 = g_0 <= g_1 <= ...
        self.near = self.gaps[: self._DIRECT].tolist()
        self.g1 = np.zeros(v.size + 1)
        self.g2 = np.zeros(v.size + 1)
        np.cumsum(self.gaps, out=self.g1[1:])
        np.cumsum(self.gaps * self.gaps, out=self.g2[1:])

    def count(self, d: float) -> int:
        """K = #{w_k(0) > c} = #{g_k < d}."""
        return int(self.gaps.searchsorted(d))

    def sums(self, d: float, K: int) -> tuple[float, float]:
        """L = Σ_live (w_k(0) − c) and Q = Σ_live (w_k(0) − c)² for one d with K live."""
        if K <= self._DIRECT:
            x = [d - g for g in self.near[:K]]
            return math.fsum(x), math.fsum(y * y for y in x)
        g1 = float(self.g1[K])
        return K * d - g1, K * d * d - 2.0 * d * g1 + float(self.g2[K])

    def live(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """K, L, Q for an array of d."""
        K = self.gaps.searchsorted(d)
        pairs = [self.sums(float(x), int(n)) for x, n in zip(d, K, strict=True)]
        LQ = np.array(pairs).reshape(-1, 2)
        return K, LQ[:, 0], LQ[:, 1]


def _integrate_to_end(
    solve: Callable[[np.ndarray, np.ndarray], np.ndarray],
    y0: np.ndarray,
    d_end: float,
    lam: float,
    times: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Integrate on a log grid (plus ``times``) until d falls to ``d_end`` (c reaches the
    second-largest initial weight: m′ = 1), extending the horizon by small factors (long after the
    end the lone coordinate's d → 0 exponentially); then find τ_end by root-finding between the
    grid points that bracket it. Returns (grid, states, τ_end)."""
    horizon = max(3.0 / lam, float(times.max()) if times.size else 0.0)
    grid = np.unique(np.concatenate([[0.0], np.geomspace(1e-2, horizon, 400), times]))
    y = solve(y0, grid)
    while y[-1, 1] > d_end:
        if horizon > _T_MAX / lam:
            raise RuntimeError(f"m′ did not reach 1 by τ = {horizon:.3g} (λ = {lam})")
        more = np.geomspace(horizon, 1.25 * horizon, 20)
        y = np.concatenate([y, solve(y[-1], more)[1:]])
        grid = np.concatenate([grid, more[1:]])
        horizon = more[-1]
    i = int(np.argmax(y[:, 1] <= d_end))  # first grid point past the end; d is decreasing

    def d_minus_end(tt: float) -> float:
        return float(solve(y[i - 1], np.array([grid[i - 1], tt]))[-1, 1]) - d_end

    return (
        grid,
        y,
        float(brentq(d_minus_end, grid[i - 1], grid[i], xtol=1e-12 * grid[i], rtol=1e-12)),
    )


def fast(
    params: ReducedODEParams,
    times: Sequence[float] | np.ndarray = (),
    *,
    w0: np.ndarray | None = None,
    to_end: bool = True,
) -> Trajectory:
    """The exact reduced ODE (module docstring) solved by LSODA to ``params.rtol``, recorded at
    ``times``; with ``to_end``, τ_end is the root of c(τ) = second-largest w_k(0), else the
    integration stops at the last time and ``t_end`` is nan. The survivor is the largest initial
    coordinate by construction (the reduction assumes the order :func:`euler` tests)."""
    start = time.perf_counter()
    w0 = _weights(params, w0)
    times = _times(times)
    srt = _Sorted(w0)
    lam = params.l1
    count, sums, exp = srt.count, srt.sums, math.exp

    # state (ln a, d) with d = w_max(0) − c: (ln a)' = 1 − a²Q, d' = −λ/a
    def rhs(y: np.ndarray, _t: float) -> tuple[float, float]:
        log_a, d = y.tolist()
        a = exp(log_a)
        _, q = sums(d, count(d))
        return (1.0 - a * a * q, -lam / a)

    def jac(y: np.ndarray, _t: float) -> tuple[tuple[float, float], tuple[float, float]]:
        log_a, d = y.tolist()
        a = exp(log_a)
        ll, q = sums(d, count(d))
        return ((-2.0 * a * a * q, -2.0 * a * a * ll), (lam / a, 0.0))

    atol = [1e-12, 1e-30 * srt.top]  # d: relative accuracy all the way down to the end

    def solve(y0: np.ndarray, grid: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ODEintWarning)  # a failed integration is an error
            try:
                return odeint(
                    rhs, y0, grid, Dfun=jac, rtol=params.rtol, atol=atol, mxstep=1_000_000
                )
            except ODEintWarning as exc:
                raise RuntimeError(
                    f"LSODA failed on the reduced flow (m = {params.m}, λ = {lam}): {exc}"
                ) from None

    y0 = np.array([0.0, srt.top])
    if to_end and not srt.gaps[1] > 0:
        raise RuntimeError(
            "the two largest initial weights are equal: they never part, m′ never reaches 1"
        )
    if to_end:
        grid, y, t_end = _integrate_to_end(solve, y0, float(srt.gaps[1]), lam, times)
    else:
        grid = np.unique(np.concatenate([[0.0], times]))
        y, t_end = solve(y0, grid), math.nan
    at = np.searchsorted(grid, times)
    K, L, Q = srt.live(y[at, 1])
    a = np.exp(y[at, 0])
    return Trajectory(
        t=times,
        l1=a * L,
        support=K.astype(np.int64),
        sq_norm=a * a * Q,
        t_end=t_end,
        survivor=int(np.argmax(w0)),
        seconds=time.perf_counter() - start,
    )
