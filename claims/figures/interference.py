"""The report's figures of claim ``interference``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/interference.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from theory import interference as th

from .._core import Result
from ..catalog.interference import InterferenceMeasurements

__all__ = ["plot"]


def plot(result: Result[InterferenceMeasurements], outdir: Path) -> list[Path]:
    """Left: the measured pair drain at init against (n − 1)/m, with the prediction. Right: κ(τ)/κ0
    of the pairs (median and 10–90 % band) with the predicted e^{−rate·τ}."""
    from ..plotting import new_figure, save

    meas = result.measurements
    assert meas is not None
    prm = result.params
    fig, (ax, bx) = new_figure(2)
    grid = list(meas.strength)
    x = np.array([(n - 1) / m for n, m in grid])
    y = np.array([-meas.strength[g].mean() for g in grid])
    err = np.array([meas.strength[g].std(ddof=1) / math.sqrt(meas.strength[g].size) for g in grid])
    for k, n in enumerate(sorted({g[0] for g in grid})):
        sel = [i for i, g in enumerate(grid) if g[0] == n]
        ax.errorbar(x[sel], y[sel], yerr=2 * err[sel], fmt="o", color=f"C{k}", label=f"n = {n}")
    line = np.geomspace(x.min() / 1.3, x.max() * 1.3, 50)
    ax.plot(line, line, "--", color="k", lw=1, label="theory (n − 1)/m")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("(n − 1)/m")
    ax.set_ylabel("−E[pair part of d‖W_i‖²/dτ] at init")
    ax.set_title("interference strength at init")
    ax.legend(fontsize=8)
    rel = meas.kappa / meas.kappa[:, :1]
    lo, med, hi = np.quantile(rel, [0.1, 0.5, 0.9], axis=0)
    bx.fill_between(meas.tau, lo, hi, color="C0", alpha=0.25, label="pairs, 10–90 %")
    bx.plot(meas.tau, med, color="C0", label="median κ/κ0")
    rate = th.predict_decorrelation_rate(prm["norm_sq"], prm["norm_sq"])
    bx.plot(meas.tau, np.exp(-rate * meas.tau), "--", color="k", lw=1, label=f"e^(−{rate:g}τ)")
    bx.set_yscale("log")
    bx.set_xlabel("code time τ = 4ηt")
    bx.set_ylabel("κ(τ)/κ0")
    bx.set_title(f"decorrelation: n = {prm['pair_n']}, m = {prm['pair_m']}, κ0 = {prm['kappa0']:g}")
    bx.legend(fontsize=8)
    return [save(fig, outdir / f"{result.claim_id}.png")]
