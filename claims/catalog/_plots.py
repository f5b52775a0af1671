"""Figures of the catalogue's claims: simulation against theory (matplotlib, Agg backend)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["collision_count_figure", "group_means", "new_figure", "paper_overlay_figure", "power_law_band", "save"]


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


def power_law_band(
    x: np.ndarray, counts: Sequence[np.ndarray], slopes: Sequence[float], grid: np.ndarray
) -> np.ndarray:
    """Curves E[count] = a·x^b on ``grid``, one row per slope b, each with the Poisson maximum-
    likelihood level a at that slope (a = Σ counts / Σ n_obs·x^b): the fitted line for the fitted
    slope, and the edges of its confidence band for the ends of the slope's interval."""
    totals = np.array([np.sum(c) for c in counts], dtype=float)
    n_obs = np.array([len(c) for c in counts], dtype=float)
    rows = []
    for b in slopes:
        a = totals.sum() / np.sum(n_obs * x**b)
        rows.append(a * grid**b)
    return np.array(rows)


def _plain_log_ticks(axis: Any) -> None:
    """Log-axis tick labels as plain numbers (0.05, 0.1, 0.2, 0.5, 1), minor ticks labelled at 2
    and 5 times a power of ten only."""
    from matplotlib.ticker import FuncFormatter

    def minor(v: float, _: Any) -> str:
        mantissa = v / 10 ** np.floor(np.log10(v) + 1e-9)
        return (
            f"{v:g}" if round(mantissa) in (2, 5) and abs(mantissa - round(mantissa)) < 1e-6 else ""
        )

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))


def _grid_ticks(ax: Any, x: np.ndarray) -> None:
    """x ticks at the simulated grid values, labelled plainly."""
    from matplotlib.ticker import NullLocator

    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(x, [f"{v:g}" for v in x])


def group_means(samples: np.ndarray, groups: int = 16, min_size: int = 8) -> np.ndarray:
    """Means of disjoint groups of consecutive replicates (about ``groups`` of them, each of at
    least ``min_size``): the replicate-to-replicate spread of a mean, drawn beside the overall
    mean. Empty when there are too few replicates to form two groups."""
    a = np.asarray(samples, dtype=float)
    k = min(groups, a.size // min_size)
    if k < 2:
        return np.empty(0)
    size = a.size // k
    return a[: k * size].reshape(k, size).mean(axis=1)


def _fit_or_none(result: Any, key: str) -> Any:
    try:
        return result.fit(key)
    except KeyError:
        return None


def collision_count_figure(result: Any, outdir: Path) -> list[Path]:
    """Two panels. Left, log-log: the mean count per m with the 95 % interval of the mean over
    instances (dark) and the means of groups of instances (faint: the replicate spread), the static model's
    exact expectation and its leading term n(n−1)/4m (both sympy), and the fitted power law with
    the band swept by the slope's confidence interval. Right: the count over n(n−1)/4m per m, the
    exact model's ratio, and the pooled-ratio fit with its interval."""
    from theory import collisions

    from ..fitting import mean_ci

    meas, p = result.measurements, result.params
    n = int(p["n"])
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
    for j, (mj, g) in enumerate(zip(m, positive)):
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
    slope = _fit_or_none(result, "slope")
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
    _plain_log_ticks(ax.yaxis)
    _grid_ticks(ax, m)
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
    ratio = _fit_or_none(result, "ratio")
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
    _grid_ticks(rax, m)
    rax.set_xlabel("hidden neurons m (neurons)")
    rax.set_ylabel("count / (n(n−1)/4m) (dimensionless)")
    rax.set_title("level against the leading term")
    rax.legend(fontsize=7.5, loc="best", framealpha=0.8)
    per = f"{instances[0]}" if len(set(instances)) == 1 else f"{min(instances)}–{max(instances)}"
    fig.suptitle(
        f"{result.claim_id}: n = {n} features, {p['optimizer']}, {per} instances per m", fontsize=10
    )
    return [save(fig, outdir / f"{result.claim_id}.png")]


def paper_overlay_figure(result: Any, outdir: Path) -> Path:
    """The paper's own numbers (black crosses) over ours at the same settings (the mean with the
    interval in which the paper's number should fall if it came from the same process; red where
    it does not), one panel per table of :attr:`Result.paper_figures`."""
    tables: dict[str, list[Any]] = {}
    for a in result.paper_figures:
        tables.setdefault(a.reference.table, []).append(a)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols, rows = min(len(tables), 3), -(-len(tables) // 3)  # up to three panels a row
    fig, grid = plt.subplots(rows, cols, figsize=(4.8 * cols, 3.8 * rows), squeeze=False)
    axes = grid.ravel()
    for ax in axes[len(tables):]:
        ax.set_visible(False)
    for ax, (table, points) in zip(axes, tables.items(), strict=False):
        x = np.array([a.reference.x for a in points])
        paper = np.array([a.reference.value for a in points])
        ours = np.array([a.ours for a in points])
        lo = np.array([a.ci[0] * a.reference.value for a in points])
        hi = np.array([a.ci[1] * a.reference.value for a in points])
        # a log axis when the points span decades (step 0 / t = 0 drawn at the first positive x / 3)
        pos = x[x > 0]
        logx = pos.size > 0 and pos.max() / pos.min() > 20
        xs = np.where(x > 0, x, pos.min() / 3) if logx else x
        ok = np.array([a.agrees for a in points])
        for mask, colour, label in ((ok, "tab:blue", "ours: agrees"), (~ok, "tab:red", "ours: differs")):
            if mask.any():
                ax.errorbar(xs[mask], ours[mask], yerr=[ours[mask] - lo[mask], hi[mask] - ours[mask]], fmt="o",
                            color=colour, ms=4, capsize=3, label=label)
        ax.plot(xs, paper, "kx", ms=7, mew=1.6, label="paper")
        if logx:
            ax.set_xscale("log")
        if paper.min() > 0 and paper.max() / paper.min() > 10:
            ax.set_yscale("log")
        ax.set_title("\n".join(textwrap.wrap(table, 60)), fontsize=8)
        axis = points[0].reference.label.split()[0]
        ax.set_xlabel(f"{axis} ({axis} = 0 drawn at the left)" if logx and (x <= 0).any() else axis)
        ax.set_ylabel(points[0].quantity, fontsize=7)
        ax.legend(fontsize=7)
    return save(fig, outdir / f"{result.claim_id}-paper.png")
