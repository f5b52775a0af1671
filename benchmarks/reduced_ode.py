"""The exact reduced L1 flow (sim.reduced_ode.fast) against the paper code's Euler, at the paper's
settings: m = 1e5, λ = 1e-5, dt = 0.5, |N(0, 0.81/m)|, until m′ = 1.

Prints the speed ratio, then the accuracy at 40 logged times: the relative error of ‖w‖₁ and m′
between the two, and (unless --quick) Euler at dt/2 and dt/4 to show that Euler converges to the
fast solution at first order, with the Richardson extrapolation 2·E(dt/2) − E(dt) as an estimate
of the true flow that bounds the fast integrator's own error.

    python benchmarks/reduced_ode.py            # ≈ 20 s
    python benchmarks/reduced_ode.py --quick    # speed and the dt = 0.5 comparison only
    python benchmarks/reduced_ode.py --m 1000000 --l1 1e-6 --quick

Single-threaded (numpy's sort and cumsum are; the ODE is a Python callback). State the machine's
load next to the numbers: timings on a shared machine are inflated.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import numpy as np

from sim.reduced_ode import ReducedODEParams, Trajectory, euler, fast, initial_weights


def _best(fn, repeats: int) -> tuple[float, Trajectory]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    assert out is not None
    return best, out


def _errors(a: Trajectory, b: Trajectory, *, min_support: int = 10) -> str:
    l1 = np.abs(a.l1 / b.l1 - 1)
    many = b.support >= min_support
    sup = np.abs(a.support[many] / b.support[many] - 1)
    return (
        f"‖w‖₁ max {l1.max():.2e} median {np.median(l1):.2e} "
        f"(t ≥ 10: max {l1[a.t >= 10].max():.2e}); "
        f"m′ (where ≥ {min_support}) max {sup.max():.2e} median {np.median(sup):.2e}; "
        f"t_end {abs(a.t_end / b.t_end - 1):.2e}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--m", type=int, default=100_000, help="coordinates (paper: 1e5)")
    ap.add_argument("--l1", type=float, default=1e-5, help="λ, code units (paper: 1e-5)")
    ap.add_argument("--dt", type=float, default=0.5, help="Euler step (paper: 0.5)")
    ap.add_argument("--rtol", type=float, default=1e-6, help="fast integrator tolerance")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=5, help="best of this many fast runs")
    ap.add_argument("--quick", action="store_true", help="skip the convergence study")
    args = ap.parse_args()

    p = ReducedODEParams(m=args.m, l1=args.l1, dt=args.dt, seed=args.seed, rtol=args.rtol)
    w0 = initial_weights(p)
    print(
        f"m = {p.m}, λ = {p.l1:g}, dt = {p.dt:g}, rtol = {p.rtol:g}; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    probe = fast(p, w0=w0)
    times = np.unique(np.round(np.geomspace(1.0, 0.95 * probe.t_end, 40) / p.dt) * p.dt)

    t_fast, f = _best(lambda: fast(p, times, w0=w0), args.repeats)
    t_euler, e = _best(lambda: euler(p, times, w0=w0), 1)
    print(
        f"Euler (dt = {p.dt:g}): {t_euler:.3f} s   fast: {t_fast * 1e3:.1f} ms   "
        f"ratio {t_euler / t_fast:.0f}×"
    )
    print(
        f"t_end: Euler {e.t_end:.1f}, fast {f.t_end:.2f} (λ·t_end = {f.t_end * p.l1:.3f}); "
        "survivor "
        f"Euler {e.survivor}, fast {f.survivor}, initial argmax {int(np.argmax(w0))}"
    )
    print(f"Euler dt={p.dt:g} vs fast: {_errors(e, f)}")
    if args.quick:
        return

    runs = {p.dt: e}
    for k in (2, 4):
        dt = p.dt / k
        runs[dt] = euler(dataclasses.replace(p, dt=dt), times, w0=w0)
        print(f"Euler dt={dt:g} vs fast: {_errors(runs[dt], f)}")
    # Euler is first order, so 2·E(dt/2) − E(dt) estimates the exact flow to O(dt²)
    rich = dataclasses.replace(f, l1=2 * runs[p.dt / 4].l1 - runs[p.dt / 2].l1)
    ok = f.t >= 10  # past the O(1) norm transient, where Euler's error is smooth in dt
    err_fast = np.abs(f.l1[ok] / rich.l1[ok] - 1).max()
    err_euler = np.abs(e.l1[ok] / rich.l1[ok] - 1).max()
    print(
        f"against Richardson 2·E(dt/4) − E(dt/2), t ≥ 10: fast {err_fast:.2e}, "
        f"Euler dt={p.dt:g} {err_euler:.2e} "
        f"(relative error in ‖w‖₁)"
    )


if __name__ == "__main__":
    main()
