"""The report's figures of claim ``noise-count``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/noise_count.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import collisions, kurtosis

from .. import fitting
from .._core import Result
from ..catalog.noise_count import BINS, NoiseCountMeasurements, half_level

__all__ = ["plot"]

GAP = (0.3, 0.7)  # the middle of the bimodal |W_kj|/‖W_k‖₂: its mass says how clean the rule is


def plot(result: Result[NoiseCountMeasurements], outdir: Path) -> list[Path]:
    """Three panels: the histogram of |W_kj|/‖W_k‖₂ (noise and L1; the rule's threshold), the
    count per m against n(n−1)/4m and the exact static model for both runs, and the final
    ‖W_i‖₄⁴/‖W_i‖₂⁴ per m against the isotropic 3/(m+2) and the half-way level."""
    from ..plotting import new_figure, save

    meas, p = result.measurements, result.params
    assert meas is not None
    n, frac = int(p["train"]["model"]["n"]), float(p["frac"])
    m = meas.m
    fig, (hax, cax, sax) = new_figure(3, width=4.8, height=4.0)
    edges = np.linspace(0, 1, BINS + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    for runs, color, label in ((meas.noise, "C0", "noise"), (meas.l1, "C3", "L1")):
        h = sum(r.hist for r in runs)
        hax.step(centres, h / h.sum(), where="mid", color=color, label=f"{label} (all m)")
        gap = h[(centres > GAP[0]) & (centres < GAP[1])].sum() / h.sum()
        hax.plot([], [], " ", label=f"{label}: {gap:.2%} of entries in {GAP}")
    hax.axvline(frac, color="k", ls="--", lw=1, label=f"rule: |W_kj| ≥ {frac:g}‖W_k‖₂")
    hax.set_yscale("log")
    hax.set_xlabel("|W_kj| / ‖W_k‖₂")
    hax.set_ylabel("fraction of entries")
    hax.set_title("bimodal entries after sparsification", fontsize=9)
    hax.legend(fontsize=7)
    grid = np.linspace(m.min() * 0.9, m.max() * 1.1, 100)
    cax.plot(
        grid,
        [collisions.predict_exact(n, g) for g in grid],
        "-",
        color="C1",
        label="static model, exact",
    )
    cax.plot(
        grid, [collisions.predict_leading(n, g) for g in grid], "--", color="C2", label="n(n−1)/4m"
    )
    for runs, color, label in ((meas.noise, "C0", "noise, no L1"), (meas.l1, "C3", "L1 reference")):
        means = np.array([r.counts.mean() for r in runs])
        cis = np.array([fitting.mean_ci(r.counts).ci for r in runs])
        cax.errorbar(
            m,
            means,
            yerr=[means - cis[:, 0], cis[:, 1] - means],
            fmt="o",
            color=color,
            capsize=3,
            label=f"{label}, 95 % CI",
        )
    ratio = result.fit("ratio") if result.fits else None
    cax.set_xlabel("hidden neurons m")
    cax.set_ylabel("polysemantic neurons per model")
    title = "count" + (f": noise / exact = {ratio.fitted:.3f}" if ratio else "")
    cax.set_title(title, fontsize=9)
    cax.legend(fontsize=7)
    for runs, color, label in ((meas.noise, "C0", "noise"), (meas.l1, "C3", "L1")):
        sax.errorbar(m, [r.ratio.mean() for r in runs], fmt="o-", color=color, label=label)
    sax.errorbar(
        m,
        [r.ratio_half.mean() for r in meas.noise],
        fmt="s:",
        color="C0",
        alpha=0.5,
        label="noise, half the steps",
    )
    sax.plot(
        grid,
        [kurtosis.predict_isotropic_fourth_norm(int(g)) for g in grid],
        "k:",
        label="isotropic 3/(m+2)",
    )
    sax.plot(grid, [half_level(int(g)) for g in grid], "k--", lw=0.8, label="half-way")
    sax.set_xlabel("hidden neurons m")
    sax.set_ylabel("mean ‖W_i‖₄⁴/‖W_i‖₂⁴")
    sax.set_title("sparsity reached", fontsize=9)
    sax.legend(fontsize=7)
    fig.suptitle(
        f"{result.claim_id}: n = {n}, Bernoulli σ = {p['train']['noise']['sigma']:g}, "
        f"{p['train']['instances']} instances per m",
        fontsize=10,
    )
    return [save(fig, outdir / f"{result.claim_id}.png")]
