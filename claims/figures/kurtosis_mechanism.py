"""The report's figures of claim ``kurtosis-mechanism``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/kurtosis_mechanism.py``.
"""

from __future__ import annotations

from pathlib import Path

from .._core import Result
from ..catalog.kurtosis_mechanism import MechanismMeasurements

__all__ = ["plot"]


def plot(result: Result[MechanismMeasurements], outdir: Path) -> list[Path]:
    """The mean ‖W_i‖₄⁴/‖W_i‖₂⁴ of every variant against lr·t, with its 95 % band over
    replicates."""
    from ..plotting import new_figure, replicate_band, save

    meas, p = result.measurements, result.params
    assert meas is not None
    fig, (ax,) = new_figure(width=6.0, height=4.2)
    labels = {
        "reference": f"reference (lr {p['train']['optimiser']['lr']:g})",
        "lr-half": "lr / 2",
        "lr-large": f"lr × {p['lr_large']:g}",
        "draws": f"mean of K = {p['draws']} draws",
        "per-sample": "noise per input",
        "no-relu": "no output ReLU",
    }
    for i, (name, traj) in enumerate(meas.runs.items()):
        replicate_band(ax, traj.time, traj.ratio, f"C{i}", labels[name], dashed=name == "no-relu")
    m = int(p["train"]["model"]["m"])
    ax.axhline(3 / (m + 2), color="k", lw=0.8, ls=":", label="3/(m+2) (isotropic)")
    ax.set_xscale("log")
    ax.set_xlim(left=1.0)  # nothing moves before lr·t ≈ 1
    ax.set_xlabel("lr · t")
    ax.set_ylabel("mean ‖W_i‖₄⁴ / ‖W_i‖₂⁴")
    ax.set_title(
        f"{p['train']['noise']['kind'].capitalize()} σ = {p['train']['noise']['sigma']:g}: "
        "variants at equal lr·t "
        f"(95 % band over {meas.replicate_unit}s)",
        fontsize=9,
    )
    ax.legend(fontsize=7)
    return [save(fig, outdir / f"{result.claim_id}.png")]
