"""Plotting helpers shared by the claims' figures (matplotlib, Agg backend).

Each claim's figure module (``claims/figures/<module>.py``) draws with these; the report draws the
paper-overlay figure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "fit_or_none",
    "grid_ticks",
    "group_means",
    "new_figure",
    "paper_overlay_figure",
    "plain_log_ticks",
    "power_law_band",
    "replicate_band",
    "save",
]


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


def replicate_band(
    ax: Any, time: np.ndarray, values: np.ndarray, color: str, label: str, *, dashed: bool = False
) -> None:
    """Mean over replicates with its pointwise 95 % t-interval, on a log time axis (step 0
    dropped)."""
    from scipy import stats

    keep = time > 0
    t, v = time[keep], values[keep]
    mean = v.mean(-1)
    half = stats.t.ppf(0.975, v.shape[-1] - 1) * v.std(-1, ddof=1) / np.sqrt(v.shape[-1])
    ax.plot(t, mean, "--" if dashed else "-", color=color, label=label)
    ax.fill_between(t, mean - half, mean + half, color=color, alpha=0.2, lw=0)


def plain_log_ticks(axis: Any) -> None:
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


def grid_ticks(ax: Any, x: np.ndarray) -> None:
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


def fit_or_none(result: Any, key: str) -> Any:
    try:
        return result.fit(key)
    except KeyError:
        return None


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
    for ax in axes[len(tables) :]:
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
        for mask, colour, label in (
            (ok, "tab:blue", "ours: agrees"),
            (~ok, "tab:red", "ours: differs"),
        ):
            if mask.any():
                ax.errorbar(
                    xs[mask],
                    ours[mask],
                    yerr=[ours[mask] - lo[mask], hi[mask] - ours[mask]],
                    fmt="o",
                    color=colour,
                    ms=4,
                    capsize=3,
                    label=label,
                )
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
