"""The report's figures of claim ``capacity-allocation``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/capacity_allocation.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import capacity as th
from theory.allocation import rule_capacity

from .._core import Result
from ..catalog.capacity_allocation import AllocationMeasurements, _phase_boundary

__all__ = ["plot"]


def plot(result: Result[AllocationMeasurements], outdir: Path) -> list[Path]:
    from ..plotting import new_figure, save

    meas = result.measurements
    assert meas is not None
    fig, axes = new_figure(len(meas.allocations), width=4.2)
    inner = th.numeric(th.interior_capacity(), th.v, th.lam, th.K)
    for ax, a, tc in zip(axes, meas.allocations, meas.trained_C, strict=True):
        thr = th.thresholds()
        low = float(thr["ignored_below"].subs({th.lam: a.lam, th.K: a.K}))
        high = float(thr["monosemantic_above"].subs({th.lam: a.lam}))
        grid = np.geomspace(a.v.min() * 0.8, 1.05, 300)
        ax.plot(
            grid,
            rule_capacity(grid, a.K, a.lam),
            "-",
            color="C0",
            label="KKT rule at the solver's λ*",
        )
        ax.plot(a.v, a.C, "o", mfc="none", color="C0", ms=8, label="convex solver")
        for row in tc:
            ax.plot(a.v, row, ".", color="C1", alpha=0.6)
        ax.plot([], [], ".", color="C1", label="trained (GD), every init")
        ax.axvline(low, ls=":", color="grey")
        ax.axvline(high, ls="--", color="grey")
        ax.text(low, 0.5, " √(2λ)/(K−1)", fontsize=7, rotation=90, va="center")
        ax.text(high, 0.5, " √(λ/2)", fontsize=7, rotation=90, va="center")
        ax.plot(grid, np.clip(inner(grid, a.lam, a.K), 0, 1), ":", color="C0", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("importance v_i")
        ax.set_ylabel("capacity C_i")
        ax.set_title(f"K = {a.K:g}, n = {len(a.v)}, m = {result.params['train']['d']}")
    axes[0].legend(fontsize=7)
    paths = [save(fig, outdir / f"{result.claim_id}.png")]

    fig, (ax, bx) = new_figure(2)
    r = meas.phase_r
    fine = np.linspace(0.01, 1.0, 200)
    jitter = np.random.default_rng(0).uniform(-0.008, 0.008, meas.phase_C2.shape[-1])
    for g, K in enumerate(meas.phase_K):
        C2 = meas.phase_C2[g]
        for j, x in enumerate(r):
            ax.plot(x + jitter, C2[j], ".", ms=3, alpha=0.6, color=f"C{g}")
        ax.plot(
            [],
            [],
            "o",
            ms=3,
            color=f"C{g}",
            label=f"K = {K:g}" + (" (either feature wins)" if K <= 3 else ""),
        )
        theory = th.numeric(1 - th.phase_capacity(), th.r, th.K)
        if K > 3:
            rstar = _phase_boundary(K)
            ax.plot(
                fine,
                np.where(fine > rstar, np.clip(theory(fine, K), 0, 1), 0.0),
                "-",
                color=f"C{g}",
                lw=1,
            )
        else:
            ax.plot(fine, np.zeros_like(fine), "-", color=f"C{g}", lw=1)
    ax.set_xlabel("importance ratio r = v₂/v₁")
    ax.set_ylabel("capacity C₂ of the weaker feature")
    ax.set_title(
        "two features, one neuron: trained (SGD on data, dots) vs derived (lines)", fontsize=9
    )
    ax.legend(fontsize=8)
    Kgrid = np.geomspace(max(1.2, meas.phase_K.min() * 0.8), meas.phase_K.max() * 1.3, 100)
    KK, RR = np.meshgrid(meas.phase_K, r, indexing="ij")
    shared = np.minimum(meas.phase_C2, 1 - meas.phase_C2).mean(
        axis=-1
    )  # 0 when one feature owns the neuron
    sc = bx.scatter(KK.ravel(), RR.ravel(), c=shared.ravel(), cmap="viridis", s=40)
    fig.colorbar(sc, ax=bx, label="mean shared capacity min(C₁, C₂)")
    boundary = th.numeric(th.phase_boundary(), th.K)
    bx.plot(
        Kgrid[Kgrid > 3],
        np.minimum(boundary(Kgrid[Kgrid > 3]), 1.0),
        "-",
        color="C3",
        label="r* = 2/(K−1)",
    )
    bx.axvline(3, ls=":", color="grey", label="K = 3 (no sharing below)")
    for f in result.fits:
        if f.key.startswith("phase-K") and f.relation == "==":
            K = float(f.key[len("phase-K") :])
            bx.errorbar(
                [K],
                [f.fitted],
                yerr=[[f.fitted - f.ci[0]], [f.ci[1] - f.fitted]],
                fmt="s",
                color="C3",
                ms=5,
                capsize=3,
            )
    bx.set_xscale("log")
    bx.set_xticks(list(meas.phase_K), [f"{K:g}" for K in meas.phase_K])
    bx.minorticks_off()
    bx.set_xlabel("kurtosis K (sparse inputs: K = 1/p)")
    bx.set_ylabel("r = v₂/v₁")
    bx.set_title("phase diagram: squares = fitted boundary")
    bx.legend(fontsize=8, loc="upper right")
    paths.append(save(fig, outdir / f"{result.claim_id}-phase.png"))
    return paths
