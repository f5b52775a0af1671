"""The report's figures of claim ``collision-count``, which ``collision-count-adamw`` draws too:
presentation only. The claims' science (params, derivation, simulation, fits, controls) is
``claims/catalog/collision_count.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import collisions

from .._core import Result
from ..catalog.collision_count import CollisionMeasurements

__all__ = ["plot"]


def plot(result: Result[CollisionMeasurements], outdir: Path) -> list[Path]:
    """Two panels. Left, log-log: the mean count per m with the 95 % interval of the mean over
    instances (dark) and the means of groups of instances (faint: the replicate spread), the static
    model's exact expectation and its leading term n(n−1)/4m (both sympy), and the fitted power
    law with the band swept by the slope's confidence interval. Right: the count over n(n−1)/4m
    per m, the exact model's ratio, and the pooled-ratio fit with its interval."""
    from ..fitting import mean_ci
    from ..plotting import (
        fit_or_none,
        grid_ticks,
        group_means,
        new_figure,
        plain_log_ticks,
        power_law_band,
        save,
    )

    meas, p = result.measurements, result.params
    assert meas is not None
    n = int(p["train"]["model"]["n"])
    m = np.asarray(meas.m, dtype=float)
    instances = [len(c) for c in meas.counts]
    means = np.array([c.mean() for c in meas.counts])
    cis = np.array([mean_ci(c).ci for c in meas.counts])
    leading = np.array([collisions.predict_leading(n, int(v)) for v in m])
    grid = np.geomspace(m.min() / 1.15, m.max() * 1.15, 200)
    exact_grid = np.array([collisions.predict_exact(n, g) for g in grid])
    lead_grid = np.array([collisions.predict_leading(n, g) for g in grid])

    fig, (ax, rax) = new_figure(2, width=5.6, height=4.3)
    groups = [group_means(c) for c in meas.counts]
    positive = [g[g > 0] for g in groups]
    lows = [float(v.min()) for v in positive if v.size] + [
        float(means[means > 0].min()) if np.any(means > 0) else 1.0
    ]
    floor = 0.6 * min(min(lows), float(exact_grid.min()))
    size = len(meas.counts[0]) // max(len(groups[0]), 1)
    jitter = np.exp(np.linspace(-0.04, 0.04, max(len(g) for g in groups)))
    for j, (mj, g) in enumerate(zip(m, positive, strict=True)):
        ax.plot(
            mj * jitter[: g.size],
            g,
            ".",
            color="C0",
            alpha=0.35,
            ms=4,
            label=f"mean of each group of {size} instances" if j == 0 else None,
        )
    shown = means > 0
    ax.errorbar(
        m[shown],
        means[shown],
        yerr=[means[shown] - np.maximum(cis[shown, 0], floor), cis[shown, 1] - means[shown]],
        fmt="o",
        color="C0",
        capsize=3,
        label="mean of all instances, 95 % CI",
    )
    ax.plot(grid, exact_grid, "-", color="C1", label="static model, exact (sympy)")
    ax.plot(grid, lead_grid, "--", color="C2", label="n(n−1)/4m (leading order)")
    slope = fit_or_none(result, "slope")
    if slope is not None:
        lo, hi = slope.ci
        ax.plot(
            grid,
            power_law_band(m, meas.counts, [slope.fitted], grid)[0],
            "-",
            color="C3",
            lw=1.2,
            label=rf"fit $\propto m^{{{slope.fitted:.2f}}}$ (Poisson MLE)",
        )
        if np.isfinite(lo) and np.isfinite(hi):
            band = power_law_band(m, meas.counts, np.linspace(lo, hi, 21), grid)
            ax.fill_between(
                grid,
                band.min(0),
                band.max(0),
                color="C3",
                alpha=0.15,
                lw=0,
                label=f"slope {slope.confidence:.1%} CI [{lo:.2f}, {hi:.2f}]",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    top = max(
        [float(v.max()) for v in positive if v.size]
        + [float(exact_grid.max()), float(cis[:, 1].max())]
    )
    ax.set_ylim(floor, top * 1.8)
    plain_log_ticks(ax.yaxis)
    grid_ticks(ax, m)
    ax.set_xlabel("hidden neurons m (neurons)")
    ax.set_ylabel("polysemantic neurons per model (neurons)")
    ax.set_title("count against m (log-log)")
    ax.legend(fontsize=7.5)

    ratio_means = means / leading
    ratio_cis = cis / leading[:, None]
    rax.errorbar(
        m,
        ratio_means,
        yerr=[ratio_means - ratio_cis[:, 0], ratio_cis[:, 1] - ratio_means],
        fmt="o",
        color="C0",
        capsize=3,
        label="mean / n(n−1)/4m, 95 % CI",
    )
    rax.plot(grid, exact_grid / lead_grid, "-", color="C1", label="exact / leading (sympy)")
    rax.axhline(1.0, ls="--", color="C2", lw=1, label="leading order: 1")
    ratio = fit_or_none(result, "ratio")
    if ratio is not None:
        rax.axhline(ratio.fitted, color="C3", lw=1.2, label=f"pooled ratio {ratio.fitted:.3f}")
        if np.all(np.isfinite(ratio.ci)):
            rax.axhspan(
                *ratio.ci,
                color="C3",
                alpha=0.15,
                lw=0,
                label=f"{ratio.confidence:.1%} CI [{ratio.ci[0]:.3f}, {ratio.ci[1]:.3f}]",
            )
    rax.set_xscale("log")
    grid_ticks(rax, m)
    rax.set_xlabel("hidden neurons m (neurons)")
    rax.set_ylabel("count / (n(n−1)/4m) (dimensionless)")
    rax.set_title("level against the leading term")
    rax.legend(fontsize=7.5, loc="best", framealpha=0.8)
    per = f"{instances[0]}" if len(set(instances)) == 1 else f"{min(instances)}–{max(instances)}"
    fig.suptitle(
        f"{result.claim_id}: n = {n} features, {p['train']['optimiser']['kind']}, "
        f"{per} instances per m",
        fontsize=10,
    )
    return [save(fig, outdir / f"{result.claim_id}.png")]
