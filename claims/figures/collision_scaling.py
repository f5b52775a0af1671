"""The report's figures of claim ``collision-scaling``: presentation only. The claim's science is
``claims/catalog/collision_scaling.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import collision_scaling, collisions

from .._core import Result
from ..catalog._scaling_cells import OPTS
from ..catalog.collision_scaling import ScalingMeasurements

__all__ = ["plot"]

_WORDS = {"adamw": "the paper's AdamW", "sgd": "gradient descent"}


def plot(result: Result[ScalingMeasurements], outdir: Path) -> list[Path]:
    """One row per optimizer, three panels each. Left, log-log: the mean count per cell against m,
    one colour per n, with its 95 % interval over instances, and the exact static model (sympy)
    as a line per n (solid). Right: each cell's count over the static expectation against m/n,
    one colour per n, with the 95 % interval of the mean over instances, and the count at half
    the steps (open markers): where the two differ, the count was still moving. Dashed: the
    displacement (hard-core) model of theory.collision_scaling, per n. Third: each cell's learned
    fraction (features with a weight in the count window) against m/n, with its 95 % interval
    over instances, and collision-count's 95 % regime guard."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..fitting import mean_ci
    from ..plotting import save

    meas = result.measurements
    assert meas is not None
    ns = sorted({c.n for c in meas.cells})
    fig, axes = plt.subplots(len(OPTS), 3, figsize=(16.0, 4.2 * len(OPTS)), squeeze=False)
    for row, o in enumerate(OPTS):
        ax, rax, lax = axes[row]
        for k, n in enumerate(ns):
            cells = meas.select(o, n)
            m = np.array([c.m for c in cells], float)
            exact = np.array([collisions.predict_exact(n, c.m) for c in cells])
            est = [mean_ci(c.count) if np.ptp(c.count) > 0 else None for c in cells]
            mean = np.array([c.count.mean() for c in cells])
            lo = np.array([max(e.ci[0], 0.0) if e else v for e, v in zip(est, mean, strict=True)])
            hi = np.array([e.ci[1] if e else v for e, v in zip(est, mean, strict=True)])
            color = f"C{k}"
            shown = mean > 0
            ax.errorbar(
                m[shown],
                mean[shown],
                yerr=[
                    mean[shown] - np.maximum(lo[shown], mean[shown] * 0.2),
                    hi[shown] - mean[shown],
                ],
                fmt="o",
                color=color,
                capsize=3,
                label=f"n = {n}: mean count, 95 % CI",
            )
            grid = np.geomspace(m.min(), m.max(), 100)
            ax.plot(grid, [collisions.predict_exact(n, g) for g in grid], "-", color=color, lw=1)
            hc = [collision_scaling.predict_hard_core(n, g) for g in grid]
            ax.plot(grid, hc, "--", color=color, lw=1)
            rax.plot(
                grid / n,
                np.array(hc) / [collisions.predict_exact(n, g) for g in grid],
                "--",
                color=color,
                lw=1,
            )
            r = m / n
            rax.errorbar(
                r * (1 + 0.04 * (k - 1)),
                mean / exact,
                yerr=[(mean - lo) / exact, (hi - mean) / exact],
                fmt="o",
                color=color,
                capsize=3,
                label=f"n = {n}: end / static",
            )
            half = np.array([c.half.mean() for c in cells])
            rax.plot(
                r * (1 + 0.04 * (k - 1)),
                half / exact,
                "o",
                mfc="none",
                color=color,
                label=f"n = {n}: half the steps / static",
            )
            frac = [c.learned / n for c in cells]
            fest = [mean_ci(f) if np.ptp(f) > 0 else None for f in frac]
            fmean = np.array([f.mean() for f in frac])
            flo = np.array([e.ci[0] if e else v for e, v in zip(fest, fmean, strict=True)])
            fhi = np.array([e.ci[1] if e else v for e, v in zip(fest, fmean, strict=True)])
            lax.errorbar(
                r * (1 + 0.04 * (k - 1)),
                fmean,
                yerr=[fmean - flo, fhi - fmean],
                fmt="o",
                color=color,
                capsize=3,
                label=f"n = {n}",
            )
        ax.plot([], [], "-", color="0.3", lw=1, label="static model, exact (sympy)")
        ax.plot([], [], "--", color="0.3", lw=1, label="displacement model n(n−1)/(2(2m−1))")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("hidden neurons m (neurons)")
        ax.set_ylabel("polysemantic neurons per model (neurons)")
        ax.set_title(f"{_WORDS[o]}: count against m, one curve per n")
        ax.legend(fontsize=7)
        rax.axhline(1.0, ls="-", color="0.3", lw=1, label="static model: 1")
        rax.plot([], [], "--", color="0.3", lw=1, label="displacement model / static")
        rax.set_xscale("log", base=2)
        rax.set_xlabel("m/n")
        rax.set_ylabel("count / exact static expectation")
        rax.set_title(f"{_WORDS[o]}: each cell against the static model")
        rax.legend(fontsize=7, ncol=2)
        lax.axhline(0.95, ls=":", color="0.3", lw=1, label="regime guard 0.95")
        lax.set_xscale("log", base=2)
        lax.set_xlabel("m/n")
        lax.set_ylabel("features learned at the end (fraction)")
        lax.set_title(f"{_WORDS[o]}: learned fraction per cell")
        lax.legend(fontsize=7)
    return [save(fig, outdir / f"{result.claim_id}.png")]
