"""The report's figures of claim ``cooccurrence``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/cooccurrence.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import collisions

from .._core import Result
from ..catalog.cooccurrence import CooccurrenceMeasurements, half_point

__all__ = ["plot"]


def plot(result: Result[CooccurrenceMeasurements], outdir: Path) -> list[Path]:
    from ..plotting import new_figure, save

    meas, prm = result.measurements, result.params
    assert meas is not None
    t = prm["train"]["model"]
    fig, (ax, bx) = new_figure(2)
    for label, color in (("main", "C0"), ("uniform", "C1")):
        c = meas.curves[label]
        mean = c.counts.mean(axis=1)
        sem = c.counts.std(axis=1, ddof=1) / np.sqrt(c.instances)
        name = "x ∈ {0, 1}" if c.data == "bernoulli" else "x ∈ {0} ∪ U[0, 1]"
        ax.errorbar(
            c.p,
            mean,
            yerr=1.96 * sem,
            fmt="o-",
            color=color,
            capsize=3,
            label=f"{name}: mean ± 1.96 s.e.",
        )
    lead = collisions.predict_leading(t["n"], t["m"])
    ax.axhline(lead, ls="--", color="C2", label="n(n−1)/4m (basis inputs)")
    ax.set_xscale("log")
    ax.set_xlabel("probability p that a feature is on")
    ax.set_ylabel("polysemantic neurons per model")
    lam = prm["train"]["optimiser"]["l1"]
    ax.set_title(f"cooccurrence: n = {t['n']}, m = {t['m']}, SGD, λ = {lam}")
    ax.legend(fontsize=8)
    for label, color in (
        ("main", "C0"),
        ("m-scaling", "C3"),
        ("n-scaling", "C4"),
        ("uniform", "C1"),
    ):
        c = meas.curves[label]
        S = c.counts.mean(axis=1) / c.counts[0].mean()
        ph = float(half_point(c.p, S[:, None])[0])
        bx.plot(c.p, S, "o-", color=color, label=f"{label}: n = {c.n}, m = {c.m}, p½ ≈ {ph:.3g}")
    bx.axhline(0.5, ls=":", color="grey")
    bx.set_xscale("log")
    bx.set_xlabel("p")
    bx.set_ylabel("S(p) = count(p) / count(p → 0)")
    bx.set_title("survival of collisions (same inits at every p)")
    bx.legend(fontsize=8)
    return [save(fig, outdir / f"{result.claim_id}.png")]
