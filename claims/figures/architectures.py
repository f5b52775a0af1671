"""The report's figures of claim ``architectures``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/architectures.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import collisions

from .._core import Result
from ..catalog.architectures import (
    ARGMAX_FLOOR,
    VARIANTS,
    ArchitecturesMeasurements,
    _argmax_estimate,
)

__all__ = ["plot"]

_STYLE = {
    "tied-relu": ("C0", "o"),
    "untied": ("C3", "s"),
    "gelu": ("C2", "^"),
    "linear": ("C4", "D"),
}


def plot(result: Result[ArchitecturesMeasurements], outdir: Path) -> list[Path]:
    """Left, log-log: the mean count per model against m for each variant with its 95 % interval
    (a variant with no collision at some m drawn at the floor as an open marker with its upper
    bound), the tied law n(n−1)/4m and the exact static expectation. Middle: the fraction of
    learned features won by the initial argmax per variant (untied: of |E0 + D0|, and hollow, of
    |E0·D0| and |E0|), the catalogue's 70 % floor and the random 1/m. Right: the fraction of
    features learned per variant."""
    from ..fitting import mean_ci
    from ..plotting import grid_ticks, new_figure, plain_log_ticks, save

    meas = result.measurements
    assert meas is not None
    n, m = meas.n, np.asarray(meas.m, dtype=float)
    grid = np.geomspace(m.min() / 1.3, m.max() * 1.3, 200)
    lead = np.array([collisions.predict_leading(n, g) for g in grid])
    exact = np.array([collisions.predict_exact(n, g) for g in grid])
    fig, (ax, wax, lax) = new_figure(3, width=4.6, height=4.3)
    floor = 0.25 * float(lead.min()) / 10
    jitter = dict(zip(VARIANTS, np.exp(np.linspace(-0.05, 0.05, len(VARIANTS))), strict=True))
    for v in VARIANTS:
        color, marker = _STYLE[v]
        x = m * jitter[v]
        means = np.array([s.counts.mean() for s in meas.points[v]])
        cis = np.array(
            [
                mean_ci(s.counts).ci if s.counts.std() > 0 else (0.0, 3.0 / s.counts.size)
                for s in meas.points[v]
            ]
        )
        shown = means > 0
        ax.errorbar(
            x[shown],
            means[shown],
            yerr=[means[shown] - np.maximum(cis[shown, 0], floor), cis[shown, 1] - means[shown]],
            fmt=marker + "-",
            color=color,
            capsize=3,
            label=f"{v} ({meas.points[v][0].counts.size} models per m)",
        )
        if np.any(~shown):
            top = np.maximum(cis[~shown, 1], floor * 1.5)
            ax.errorbar(
                x[~shown],
                np.full((~shown).sum(), floor),
                yerr=[np.zeros((~shown).sum()), top - floor],
                fmt=marker,
                mfc="none",
                color=color,
                capsize=3,
                label=f"{v}: no collision (bar: 95 % upper bound)",
            )
    ax.plot(grid, lead, "--", color="k", lw=1, label="tied law n(n−1)/4m")
    ax.plot(grid, exact, ":", color="k", lw=1, label="exact static model")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax.yaxis)
    grid_ticks(ax, m)
    ax.set_xlabel("hidden neurons m (neurons)")
    ax.set_ylabel("polysemantic neurons per model (neurons)")
    ax.set_title("count against m, per architecture", fontsize=9)
    ax.legend(fontsize=6.5, loc="lower left", bbox_to_anchor=(0.22, 0.12))

    for v in VARIANTS:
        color, marker = _STYLE[v]
        for attr, hollow, what in (
            ("hits", False, "|E0+D0|" if v == "untied" else "|W0|"),
            ("hits_product", True, "|E0·D0|"),
            ("hits_encoder", True, "|E0|"),
        ):
            if hollow and v != "untied":
                continue
            est = [_argmax_estimate(s, getattr(s, attr), 0.95) for s in meas.points[v]]
            y = np.array([e.value for e in est])
            err = np.array([[e.value - e.lo, e.hi - e.value] for e in est]).T
            wax.errorbar(
                m * jitter[v] * (1.08 if attr == "hits_encoder" else 1.0),
                y,
                yerr=err,
                fmt=marker + ("--" if hollow else "-"),
                mfc="none" if hollow else color,
                color=color,
                capsize=3,
                lw=0.8 if hollow else 1.2,
                label=f"{v}: argmax {what}",
            )
    wax.axhline(ARGMAX_FLOOR, color="k", ls="--", lw=1, label=f"floor {ARGMAX_FLOOR:g} (P1-CORR)")
    wax.plot(m, 1 / m, ":", color="k", lw=1, label="random neuron 1/m")
    wax.set_xscale("log")
    grid_ticks(wax, m)
    wax.set_ylim(0, 1.35)
    wax.set_yticks(np.linspace(0, 1, 6))
    wax.set_xlabel("hidden neurons m (neurons)")
    wax.set_ylabel("fraction of learned features (dimensionless)")
    wax.set_title("winner = initial argmax", fontsize=9)
    wax.legend(fontsize=6, loc="upper center", ncol=2)

    for v in VARIANTS:
        color, marker = _STYLE[v]
        est = [mean_ci(s.learned / n) if s.learned.std() > 0 else None for s in meas.points[v]]
        y = np.array([float((s.learned / n).mean()) for s in meas.points[v]])
        err = np.array(
            [[0.0, 0.0] if e is None else [e.value - e.lo, e.hi - e.value] for e in est]
        ).T
        lax.errorbar(m * jitter[v], y, yerr=err, fmt=marker + "-", color=color, capsize=3, label=v)
        if v == "untied":
            live = np.array([1 - s.dead_start.sum() / (n * s.counts.size) for s in meas.points[v]])
            lax.plot(m, live, ":", color=color, lw=1, label="untied: output on at init")
    lax.set_xscale("log")
    grid_ticks(lax, m)
    lax.set_ylim(0, 1.05)
    lax.set_xlabel("hidden neurons m (neurons)")
    lax.set_ylabel("fraction of features learned (dimensionless)")
    lax.set_title("features on some neuron at the end", fontsize=9)
    lax.legend(fontsize=6.5, loc="lower left")
    opt = result.params["train"]["optimiser"]
    fig.suptitle(
        f"{result.claim_id}: n = {n}, {opt['kind']}, lr = {opt['lr']:g}, "
        f"λ = {opt['l1']:g}, {opt['steps']} steps",
        fontsize=10,
    )
    return [save(fig, outdir / f"{result.claim_id}.png")]
