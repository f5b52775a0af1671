"""The report's figures of claim ``capacity-bound``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/capacity_bound.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._core import Result
from ..catalog.capacity_bound import BoundMeasurements

__all__ = ["plot"]


def plot(result: Result[BoundMeasurements], outdir: Path) -> list[Path]:
    """Left: ΣC against d for the random W and the tight frames, with ΣC = d. Right: the waste
    n − ΣC_i of each trained model against Σ_neurons (features on it − 1), with the derived
    slope 1."""
    from ..plotting import new_figure, save

    meas = result.measurements
    assert meas is not None
    fig, (ax, bx) = new_figure(2)
    jitter = np.random.default_rng(0).uniform(-0.25, 0.25, len(meas.random_d))
    ax.scatter(
        meas.random_d + jitter,
        meas.random_sum,
        s=4,
        alpha=0.3,
        color="C0",
        label="random W (N = 4d)",
    )
    for name, (numeric, _) in meas.frame_values.items():
        d, _ = meas.frame_k[name]
        ax.scatter([d], [numeric.sum()], marker="*", s=60, color="C3", zorder=3)
    ax.scatter([], [], marker="*", color="C3", label="tight frames (T-4)")
    grid = np.arange(0, max(meas.random_d) + 2)
    ax.plot(grid, grid, "--", color="k", lw=1, label="ΣC = d")
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("Σ_i C_i")
    ax.set_title("capacity-bound: ΣC ≤ d, equality for tight frames")
    ax.legend(fontsize=8)
    top = int(max(meas.shared.max(), meas.waste.max())) + 1
    bx.scatter(
        meas.shared + np.random.default_rng(1).uniform(-0.15, 0.15, len(meas.shared)),
        meas.waste,
        s=6,
        alpha=0.4,
        color="C1",
    )
    bx.plot([0, top], [0, top], "--", color="k", lw=1, label="one dimension per extra feature")
    bx.set_xlabel("Σ_neurons (features on it − 1)")
    bx.set_ylabel("wasted capacity n − ΣC_i")
    prm = result.params["train"]["model"]
    bx.set_title(f"trained autoencoders: n = {prm['n']}, m = {prm['m']}")
    bx.legend(fontsize=8)
    return [save(fig, outdir / f"{result.claim_id}.png")]
