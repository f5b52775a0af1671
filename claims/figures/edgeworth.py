"""The report's figures of claim ``edgeworth``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/edgeworth.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import edgeworth as th

from .._core import Result
from ..catalog.edgeworth import EdgeworthMeasurements

__all__ = ["plot"]


def plot(result: Result[EdgeworthMeasurements], outdir: Path) -> list[Path]:
    """Left: |exact excess| (random w: dots; k equal entries: lines) and the Edgeworth correction
    against ‖w‖₄⁴ at c/s = −0.5, −1, −2. Middle: the ratio exact/Edgeworth against ‖w‖₄⁴, with the
    second-order prediction. Right: the margins c/s over training (5 %, 50 %, 95 % over pairs and
    instances), the fraction of c < 0, and the noiseless run's fraction on c = 0."""
    from ..plotting import new_figure, save

    meas = result.measurements
    assert meas is not None
    prm = result.params
    sigma = float(prm["train"]["noise"]["sigma"])
    margins = tuple(float(x) for x in prm["margins"])
    grid = np.concatenate([-np.asarray(margins[::-1]), np.asarray(margins)])
    ks = np.asarray(prm["ks"])
    fig, (ax, bx, cx) = new_figure(3, width=5.0, height=4.0)
    p4 = meas.p4
    edge = np.stack([th.edgeworth_correction(grid * sigma, w, sigma=sigma) for w in meas.w])
    second = np.stack([th.second_order_correction(grid * sigma, w, sigma=sigma) for w in meas.w])
    line = np.geomspace(p4.min(), 1.0, 50)
    for n, x in enumerate((-0.5, -1.0, -2.0)):
        if x not in grid:
            continue
        j = int(np.flatnonzero(grid == x)[0])
        color = f"C{n}"
        ax.plot(p4, np.abs(meas.excess[:, j]), ".", color=color, ms=3, alpha=0.4)
        ax.plot(1 / ks, np.abs(meas.equal_excess[:, j]), "-", color=color, lw=0.8, alpha=0.7)
        unit = float(np.abs(edge[0, j]) / p4[0])
        ax.plot(line, unit * line, "--", color=color, label=f"c/s = {x:g}: Edgeworth ∝ ‖w‖₄⁴")
        r = meas.excess[:, j] / edge[:, j]
        bx.plot(p4, r, ".", color=color, ms=3, alpha=0.4, label=f"c/s = {x:g}")
        order = np.argsort(p4)
        pred = 1 + second[order, j] / edge[order, j]
        bx.plot(p4[order], pred, "-", color=color, lw=0.6, alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("‖w‖₄⁴ (‖w‖₂ = 1)")
    ax.set_ylabel("|E_Bernoulli − E_Gauss| of ReLU(c+Z)²")
    ax.set_title(f"σ = {sigma:g}: dots random w, lines k equal entries", fontsize=9)
    ax.legend(fontsize=7)
    bx.axhline(1.0, color="k", lw=0.8)
    bx.axhspan(0.5, 2.0, color="0.9", zorder=0)
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel("‖w‖₄⁴")
    bx.set_ylabel("exact excess / Edgeworth correction")
    bx.set_title("thin lines: 1 + second order / first order (shaded: within 2×)", fontsize=9)
    bx.legend(fontsize=7)
    t = meas.time
    keep = t > 0
    flat = meas.scaled.reshape(meas.scaled.shape[0], -1)
    q = np.percentile(flat, [5, 50, 95], axis=-1)
    cx.fill_between(t[keep], q[0][keep], q[2][keep], color="C0", alpha=0.2, lw=0)
    cx.plot(t[keep], q[1][keep], "C0-", label="c/s, Bernoulli (median, 5–95 %)")
    cx.axhline(0.0, color="k", lw=0.8)
    cx.axhline(-1.0, color="C0", lw=0.6, ls=":", label="c/s = −1: largest |correction|")
    cx.set_xscale("log")
    cx.set_xlabel("lr · t")
    cx.set_ylabel("margin c/s of each pair i ≠ j")
    dx = cx.twinx()
    dx.plot(t[keep], (meas.margins[keep] < 0).mean((-1, -2)), "C3-", label="fraction c < 0")
    zero = np.abs(meas.margins_none[keep]) <= float(prm["zero_tol"])
    dx.plot(t[keep], zero.mean((-1, -2)), "C2--", label="noiseless: fraction on c = 0")
    dx.set_ylim(-0.02, 1.02)
    dx.set_ylabel("fraction of pairs")
    h1, l1 = cx.get_legend_handles_labels()
    h2, l2 = dx.get_legend_handles_labels()
    cx.legend(h1 + h2, l1 + l2, fontsize=7, loc="center left")
    final = float(meas.ratio4[-1].mean())
    cx.set_title(f"trained margins (final ‖W_i‖₄⁴/‖W_i‖₂⁴ = {final:.2f})", fontsize=9)
    return [save(fig, outdir / f"{result.claim_id}.png")]
