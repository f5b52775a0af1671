"""The report's figure of claim ``interventions``: presentation only. The claim's science is
``claims/catalog/interventions.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._core import Result
from ..catalog.interventions import InterventionMeasurements

__all__ = ["plot"]

_PANELS = (
    (
        "count / static expectation",
        ("free", "resample", "level-n2", "adamw-free", "adamw-resample"),
    ),
    (
        "planted pairs still sharing a neuron",
        ("opposite", "equal", "adamw-opposite", "adamw-equal"),
    ),
)


def plot(result: Result[InterventionMeasurements], outdir: Path) -> list[Path]:
    """Two panels, one point per intervention: the fitted value with its interval (dots), the
    prediction with its band (grey bar: predicted ± tolerance) and the static model's q = 1 value
    (crosses, from the ``init-decides`` control where it applies). Left: counts in units of the
    static expectation; right: the planted pairs' survival."""
    from ..plotting import fit_or_none, new_figure, save

    fig, axes = new_figure(2, width=6.0, height=4.2)
    static = {"free": 0.0, "opposite": 1.0, "adamw-free": 0.0, "adamw-opposite": 1.0}
    for ax, (label, keys) in zip(axes, _PANELS, strict=True):
        fits = [(k, fit_or_none(result, k)) for k in keys]
        fits = [(k, f) for k, f in fits if f is not None]
        x = np.arange(len(fits))
        for i, (k, f) in enumerate(fits):
            tol = f.tolerance or 0.0
            ax.bar(
                i,
                2 * tol,
                bottom=f.predicted - tol,
                width=0.5,
                color="0.85",
                label="prediction ± tolerance" if i == 0 else None,
            )
            ax.plot(
                [i - 0.25, i + 0.25],
                [f.predicted] * 2,
                "-",
                color="C1",
                label="prediction (theory.interventions)" if i == 0 else None,
            )
            ax.errorbar(
                i,
                f.fitted,
                yerr=[[f.fitted - f.ci[0]], [f.ci[1] - f.fitted]],
                fmt="o",
                color="C0",
                capsize=4,
                label="measured, interval at the fit's level" if i == 0 else None,
            )
            if k in static:
                ax.plot(
                    i,
                    static[k],
                    "x",
                    color="C3",
                    ms=8,
                    label="static model (q = 1)" if k in ("free", "opposite") else None,
                )
        ax.set_xticks(x)
        ax.set_xticklabels([k for k, _ in fits], rotation=20)
        ax.set_ylabel(label)
        ax.axhline(0, color="0.6", lw=0.5)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(f"{result.claim_id}: measured vs predicted per intervention", fontsize=10)
    return [save(fig, outdir / f"{result.claim_id}.png")]
