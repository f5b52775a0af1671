"""The report's figures of claim ``no-l1``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/no_l1.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from theory import no_l1 as th

from .._core import Result
from ..catalog.no_l1 import HALF, NoL1Measurements, lambda_stars

__all__ = ["plot"]


def plot(result: Result[NoL1Measurements], outdir: Path) -> list[Path]:
    """Left: the mean ‖W_i‖₄⁴/‖W_i‖₂⁴ against λ after S and 4S steps, λ* marked, with the isotropic
    (no-L1) and one-hot levels. Right: features per neuron (participation ratio) against λ, with
    the no-L1 value and the paper's count rule n(n − 1)/(4m) for scale."""
    from ..plotting import new_figure, save

    meas = result.measurements
    assert meas is not None
    prm = result.params
    lam = np.asarray(prm["lambdas"])
    lengths = (prm["sweep_steps"], prm["factor"] * prm["sweep_steps"])
    stars = lambda_stars(meas.sweep, tuple(lam))
    fig, (ax, bx) = new_figure(2)
    for k, (s, star) in enumerate(zip(lengths, stars, strict=True)):
        y = meas.sweep[k]
        se = y.std(-1, ddof=1) / math.sqrt(y.shape[-1])
        ax.errorbar(lam, y.mean(-1), yerr=2 * se, fmt="o-", color=f"C{k}", label=f"{s} steps")
        if np.isfinite(star):
            ax.axvline(star, color=f"C{k}", ls=":", lw=1)
            ax.annotate(f"λ* = {star:.3g}", (star, 0.05 + 0.1 * k), color=f"C{k}", fontsize=8)
        f = meas.sweep_fpn[k]
        bx.plot(lam, f.mean(-1), "o-", color=f"C{k}", label=f"{s} steps")
    iso = th.predict_isotropic_ratio(prm["m"])
    ax.axhline(iso, color="k", ls="--", lw=1, label=f"isotropic 3/(m+2) = {iso:.3g} (no L1)")
    ax.axhline(1.0, color="grey", ls="-.", lw=1, label="one-hot")
    ax.axhline(HALF, color="grey", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("λ")
    ax.set_ylabel("mean ‖W_i‖₄⁴/‖W_i‖₂⁴")
    ax.set_title(f"basis privileged by L1: n = {prm['n']}, m = {prm['m']}, lr = {prm['lr']:g}")
    ax.legend(fontsize=8)
    bx.axhline(float(meas.fpn.mean()), color="k", ls="--", lw=1, label="no L1")
    bx.axhline(1.0, color="grey", ls="-.", lw=1, label="one feature")
    bx.set_xscale("log")
    bx.set_xlabel("λ")
    bx.set_ylabel("features per neuron (mass-weighted PR)")
    cnt = th.predict_count_rule(prm["n"], prm["m"])
    bx.set_title(f"basis-free measure; count rule n(n−1)/4m = {cnt:.3g} neurons", fontsize=10)
    bx.legend(fontsize=8)
    return [save(fig, outdir / f"{result.claim_id}.png")]
