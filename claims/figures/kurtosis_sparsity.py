"""The report's figures of claim ``kurtosis-sparsity``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/kurtosis_sparsity.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import kurtosis

from .. import fitting
from .._core import Result
from ..catalog.kurtosis_sparsity import NOISES, KurtosisMeasurements, crossing_time

__all__ = ["plot"]


def plot(result: Result[KurtosisMeasurements], outdir: Path) -> list[Path]:
    """Three panels: the paper's mean ‖W_i‖₄⁴ against lr·t per noise; the final value against κ
    with the fitted slope; Bernoulli's ‖W_i‖₄⁴/‖W_i‖₂⁴ per σ with the half-rise times (and the
    local exponents between neighbouring σ)."""
    from ..plotting import new_figure, replicate_band, save

    meas, p = result.measurements, result.params
    assert meas is not None
    m = int(p["train"]["model"]["m"])
    fig, (ax1, ax2, ax3) = new_figure(3, width=5.0, height=4.0)
    colors = {"none": "0.4", "bernoulli": "C0", "uniform": "C2", "gaussian": "C1", "laplace": "C3"}
    for name, traj in meas.noises.items():
        replicate_band(
            ax1,
            traj.time,
            traj.fourth,
            colors[name],
            f"{name} (κ = {_kappa_text(name)})",
            dashed=name == "none",
        )
    none = meas.noises[
        "none"
    ]  # every run starts from the same inits; step 0 cannot sit on a log axis
    ax1.plot([none.time[1] / 2], [none.fourth[0].mean()], "ko", ms=3, label="step 0 (all runs)")
    ax1.axhline(3 / m, color="k", lw=0.8, ls="--", label="3/m (E at init)")
    ax1.axhline(3 / (m + 2), color="k", lw=0.8, ls=":", label="3/(m+2) (isotropic, unit rows)")
    ax1.set_xscale("log")
    ax1.set_xlabel("lr · t")
    ax1.set_ylabel("mean ‖W_i‖₄⁴")
    ax1.set_title(f"σ = {p['sigma']:g}, mean and 95 % band over {meas.replicate_unit}s", fontsize=9)
    ax1.legend(fontsize=7)
    kappas = np.array([kurtosis.predict_excess_kurtosis(k) for k in NOISES])
    finals = np.stack([meas.noises[k].fourth[-1] for k in NOISES], axis=-1)
    for j, name in enumerate(NOISES):
        jitter = kappas[j] + 0.08 * (np.linspace(-1, 1, finals.shape[0]))
        ax2.plot(jitter, finals[:, j], ".", color=colors[name], alpha=0.3, ms=3)
        ax2.errorbar(
            kappas[j],
            finals[:, j].mean(),
            yerr=_halfwidth(finals[:, j]),
            fmt="o",
            color=colors[name],
            capsize=3,
        )
    slope = result.fit("slope")
    grid = np.linspace(kappas.min() - 0.3, kappas.max() + 0.3, 50)
    centre = finals.mean()
    ax2.plot(
        grid,
        centre + slope.fitted * (grid - kappas.mean()),
        "k-",
        lw=1,
        label=f"slope {slope.fitted:.3f} [{slope.ci[0]:.3f}, {slope.ci[1]:.3f}]",
    )
    ax2.axhline(3 / m, color="k", lw=0.8, ls="--")
    ax2.set_xlabel("excess kurtosis μ₄/σ⁴ − 3")
    ax2.set_ylabel("final mean ‖W_i‖₄⁴")
    ax2.set_title(f"lr · t = {meas.noises['none'].time[-1]:g}", fontsize=9)
    ax2.legend(fontsize=7)
    level = p["plateau"] / 2 + 3 / (m + 2) / 2
    crossed: list[tuple[float, float]] = []
    for i, (s, traj) in enumerate(sorted(meas.grid.items())):
        color = f"C{i}"
        replicate_band(ax3, traj.time, traj.ratio, color, f"σ = {s:g}")
        t_half = crossing_time(traj.time, traj.ratio.mean(-1), level)
        if np.isfinite(t_half):
            ax3.plot([t_half], [level], "v", color=color)
            crossed.append((s, float(t_half)))
    ax3.axhline(level, color="k", lw=0.8, ls=":", label="half-rise level")
    b = result.fit("half-rise-exponent")
    local = np.diff(np.log([t for _, t in crossed])) / np.diff(np.log([s for s, _ in crossed]))
    ax3.set_xscale("log")
    ax3.set_xlabel("lr · t")
    ax3.set_ylabel("mean ‖W_i‖₄⁴ / ‖W_i‖₂⁴")
    ax3.set_title(
        f"Bernoulli: t½ ∝ σ^{b.fitted:.2f} [{b.ci[0]:.2f}, {b.ci[1]:.2f}]\nlocal exponents between "
        f"neighbouring σ: {', '.join(f'{x:.2f}' for x in local)}",
        fontsize=9,
    )
    ax3.legend(fontsize=7)
    return [save(fig, outdir / f"{result.claim_id}.png")]


def _kappa_text(name: str) -> str:
    return "–" if name == "none" else f"{kurtosis.predict_excess_kurtosis(name):g}"


def _halfwidth(x: np.ndarray) -> float:
    est = fitting.mean_ci(x)
    return (est.hi - est.lo) / 2
