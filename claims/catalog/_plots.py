"""Figures of the catalogue's claims: simulation against theory (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["collision_count_figure", "new_figure", "save"]


def new_figure(ncols: int = 1, *, width: float = 5.2, height: float = 4.0) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    return fig, axes[0]


def save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def collision_count_figure(result: Any, outdir: Path) -> list[Path]:
    """Mean count per m with the instance spread, the exact and leading-order predictions, and the
    fitted power law with its confidence band."""
    from theory import collisions

    meas, p = result.measurements, result.params
    n = int(p["n"])
    m = meas.m
    means = np.array([c.mean() for c in meas.counts])
    sems = np.array([c.std(ddof=1) / np.sqrt(len(c)) for c in meas.counts])
    grid = np.geomspace(m.min() * 0.9, m.max() * 1.1, 100)
    fig, (ax,) = new_figure()
    ax.errorbar(m, means, yerr=1.96 * sems, fmt="o", color="C0", capsize=3, label="simulation: mean ± 1.96 s.e.")
    ax.plot(grid, [collisions.predict_exact(n, g) for g in grid], "-", color="C1", label="static model, exact (sympy)")
    ax.plot(grid, n * (n - 1) / (4 * grid), "--", color="C2", label="n(n−1)/4m (leading order)")
    slope = result.fit("slope")
    # the fitted law through the geometric centre of the data, band from the slope's interval
    x0, y0 = np.exp(np.log(m).mean()), np.exp(np.log(np.maximum(means, 1e-9)).mean())
    for b, style in ((slope.fitted, "-"), (slope.ci[0], ":"), (slope.ci[1], ":")):
        ax.plot(grid, y0 * (grid / x0) ** b, style, color="C3", lw=1,
                label=f"fit m^{slope.fitted:.2f} [{slope.ci[0]:.2f}, {slope.ci[1]:.2f}]" if style == "-" else None)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("hidden neurons m")
    ax.set_ylabel("polysemantic neurons per model")
    ax.set_title(f"{result.claim_id}: n = {n}, {p['optimizer']}, {len(meas.counts[0])} instances per m")
    ax.legend(fontsize=8)
    return [save(fig, outdir / f"{result.claim_id}.png")]
