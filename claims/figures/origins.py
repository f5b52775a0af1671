"""The report's figures of claim ``origins``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/origins.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import collisions
from theory import origins as th

from .._core import Result
from ..catalog.origins import (
    LOSS_AT,
    SUPPORT,
    OriginsMeasurements,
    incidental_end,
    incidental_excess,
)

__all__ = ["plot"]


def plot(result: Result[OriginsMeasurements], outdir: Path) -> list[Path]:
    """Left: the mean count per n/m with its 95 % interval, the floor max(0, n − m), the incidental
    law n(n−1)/4m, the exact static model and the enforced-repulsion model (beyond 2m the window
    count, hollow, is not judged). Right: beyond 2m, the fractions of neurons holding ≥ 2
    features and of features at a loss, against the model."""
    from ..fitting import mean_ci
    from ..plotting import new_figure, save

    meas, p = result.measurements, result.params
    assert meas is not None
    m = int(meas.m)
    x = meas.n / m
    below = meas.below
    means = np.array([c.mean() for c in meas.counts])
    cis = np.array([mean_ci(c).ci for c in meas.counts])
    err = np.abs(np.stack([means - cis[:, 0], cis[:, 1] - means]))
    fig, (ax, bx, cx) = new_figure(3, width=5.6, height=4.6)
    ax.errorbar(
        x[below],
        means[below],
        yerr=err[:, below],
        fmt="o",
        color="C0",
        capsize=3,
        label="trained (GD), mean, 95 % CI",
    )
    ax.errorbar(
        x[~below],
        means[~below],
        yerr=err[:, ~below],
        fmt="o",
        mfc="none",
        color="C0",
        capsize=3,
        label="beyond 2m: window count (features spread, not judged)",
    )
    g = np.linspace(x.min(), 2.0, 200)
    ax.plot(g, np.maximum(0, g * m - m), "-", color="C3", label="necessary floor max(0, n − m)")
    g3 = np.linspace(x.min(), x.max(), 300)
    ax.plot(g3, g3 * m * (g3 * m - 1) / (4 * m), "--", color="C2", label="incidental n(n−1)/4m")
    ax.plot(
        g,
        [collisions.predict_exact(v * m, m) for v in g],
        ":",
        color="C1",
        label="static model, exact",
    )
    samples = int(p["model_samples"])
    model = [th.repulsion_count(int(v), m, samples)[0] for v in meas.n]
    ax.plot(x, model, "s-", color="C4", ms=3, lw=1, label="enforced-repulsion model")
    ax.axhline(m, color="0.6", lw=0.8, ls="-.", label=f"m = {m} neurons")
    cross = next((f for f in result.fits if f.key == "crossover"), None)
    if cross is not None and all(np.isfinite(cross.ci)):
        ax.axvspan(
            *cross.ci,
            color="C0",
            alpha=0.12,
            lw=0,
            label=f"crossover (floor ½ of count) {cross.fitted:.2f}",
        )
    ax.set_ylim(0, 1.6 * m)
    ax.set_xlabel("n/m (features per neuron)")
    ax.set_ylabel("polysemantic neurons per model (neurons)")
    ax.set_title(f"{result.claim_id}: m = {m}, {len(meas.counts[0])} instances per point")
    ax.legend(fontsize=7)
    held = np.array([h.mean() for h in meas.held])
    lossy = np.array([a.mean() for a in meas.at_loss])
    bx.plot(x, held, "o-", color="C0", label=f"neurons holding ≥ 2 features (|W| ≥ {SUPPORT})")
    bx.plot(x, lossy, "o-", color="C3", label=f"features at a loss (own loss > {LOSS_AT})")
    bx.plot(
        x,
        [th.loss_fraction(int(v), m, samples) for v in meas.n],
        "s--",
        color="C4",
        ms=3,
        label="model: features dropped, max(0, n − 2m)/n",
    )
    bx.axvline(2.0, color="0.6", lw=0.8, ls="-.")
    bx.set_xlabel("n/m (features per neuron)")
    bx.set_ylabel("fraction")
    bx.set_title("beyond n = 2m: every neuron shared, most features at a loss")
    bx.legend(fontsize=7)
    exc = np.array(incidental_excess(meas))
    model_x = [v / m for v in meas.n if m < v <= 2 * m]
    model_exc = [
        th.repulsion_count(int(v), m, samples)[0] - th.predict_floor(int(v), m)
        for v in meas.n
        if m < v <= 2 * m
    ]
    cx.errorbar(
        exc[:, 0],
        exc[:, 1],
        yerr=np.abs(np.stack([exc[:, 1] - exc[:, 2], exc[:, 3] - exc[:, 1]])),
        fmt="o",
        color="C0",
        capsize=3,
        label="trained: count − (n − m), 95 % CI",
    )
    cx.plot(model_x, model_exc, "s--", color="C4", ms=3, label="enforced-repulsion model")
    cx.axhline(0, color="0.5", lw=0.8)
    end = incidental_end(meas)
    if np.isfinite(end):
        cx.axvline(
            end, color="C3", lw=0.8, ls=":", label=f"excess within its interval: n/m = {end:.3g}"
        )
    cx.set_xlabel("n/m (features per neuron)")
    cx.set_ylabel("incidental part: count − floor (neurons)")
    cx.set_title("the incidental part above n = m")
    cx.legend(fontsize=7)
    return [save(fig, outdir / f"{result.claim_id}.png")]
