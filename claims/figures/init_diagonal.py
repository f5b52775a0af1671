"""The report's figures of claim ``init-diagonal``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/init_diagonal.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import extremes

from .._core import Result
from ..catalog.init_diagonal import InitDiagonalMeasurements

__all__ = ["plot"]


def plot(result: Result[InitDiagonalMeasurements], outdir: Path) -> list[Path]:
    """Per optimizer: the instance-mean heat map of C and the winner's initial-rank histogram at the
    largest m; and the winner-is-argmax fraction against u for both optimizers with the fitted
    law."""
    from ..plotting import new_figure, save

    meas, p = result.measurements, result.params
    assert meas is not None
    n = int(p["sgd"]["model"]["n"])
    paths = []
    for arm in (meas.sgd, meas.adamw):
        m_top = int(arm.m.max())
        fig, (ax_c, ax_r) = new_figure(2, width=5.0, height=4.2)
        C = arm.top.mean_C
        lim = float(np.abs(C).max())
        im = ax_c.imshow(C, cmap="RdBu_r", vmin=-lim, vmax=lim)
        fig.colorbar(im, ax=ax_c, fraction=0.046, pad=0.04)
        ax_c.set_title(f"mean over {arm.top.hits.size} instances of W_init W_finalᵀ", fontsize=9)
        ax_c.set_xlabel("feature j (final)")
        ax_c.set_ylabel("feature i (initial)")
        ranks = arm.top.ranks.ravel()
        edges = np.arange(0.5, min(m_top, max(int(ranks.max()), 10)) + 1.5)
        ax_r.hist(
            ranks,
            bins=edges,
            density=True,
            color="C0" if arm.optimizer == "sgd" else "C3",
            label=f"measured (mean {ranks.mean():.2f}, median {np.median(ranks):g})",
        )
        ax_r.axhline(
            1 / m_top,
            color="k",
            ls=":",
            lw=1,
            label=f"uniformly random neuron (1/m = {1 / m_top:.2g})",
        )
        ax_r.set_yscale("log")
        ax_r.set_xlabel("initial rank of the winner among |W0_i·| (1 = argmax)")
        ax_r.set_ylabel("fraction of features")
        ax_r.set_title(f"winner = initial argmax: {arm.top.hits.mean():.1%}", fontsize=9)
        ax_r.legend(fontsize=7)
        fig.suptitle(f"{result.claim_id}: {arm.optimizer}, n = {n}, m = {m_top}", fontsize=10)
        paths.append(save(fig, outdir / f"{result.claim_id}-{arm.optimizer}.png"))

    fig, (ax,) = new_figure(width=5.6, height=4.2)
    for arm, color in ((meas.sgd, "C0"), (meas.adamw, "C3")):
        u = np.array([extremes.miss_scale(n, int(m)) for m in arm.m])
        miss = np.array([1 - pt.hits.mean() for pt in arm.points])
        sem = np.array([pt.hits.std(ddof=1) / np.sqrt(pt.hits.size) for pt in arm.points])
        ax.errorbar(
            u,
            miss,
            yerr=1.96 * sem,
            fmt="o",
            color=color,
            capsize=3,
            label=f"{arm.optimizer}: 1 − fraction won by the argmax",
        )
    law = result.fit("miss-law-lower")
    u = np.array([extremes.miss_scale(n, int(m)) for m in meas.sgd.m])
    miss = np.array([1 - pt.hits.mean() for pt in meas.sgd.points])
    grid = np.geomspace(u.min() * 0.8, u.max() * 1.2, 50)
    c = np.exp(np.log(miss).mean() - law.fitted * np.log(u).mean())
    ax.plot(
        grid,
        c * grid**law.fitted,
        "-",
        color="C0",
        lw=1,
        label=f"fit {c:.2f}·u^{law.fitted:.2f} [{law.ci[0]:.2f}, {law.ci[1]:.2f}]",
    )
    ax.axvline(1.0, color="k", ls=":", lw=1, label="u = 1: n = m/(2 ln 2m)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("u = √n · E max|W0|  (≈ √(2n ln(2m)/m))")
    ax.set_ylabel("P(winner ≠ initial argmax)")
    ax.set_title(f"{result.claim_id}: n = {n}", fontsize=10)
    ax.legend(fontsize=7)
    paths.append(save(fig, outdir / f"{result.claim_id}-argmax.png"))
    return paths
