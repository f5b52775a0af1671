"""The report's figures of claim ``geometry``: presentation only."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import geometry as th

from .._core import Result
from ..catalog.geometry import GeometryMeasurements

__all__ = ["plot"]


def plot(result: Result[GeometryMeasurements], outdir: Path) -> list[Path]:
    """Left: the fraction of features in blocks of size 1, 2, ≥ 3 per run, measured (bars, 95 %
    interval over instances) and predicted by the static model (markers). Right: |W Wᵀ| of one
    trained model at the first m, features ordered by block."""
    from ..fitting import mean_ci
    from ..plotting import new_figure, save

    meas, p = result.measurements, result.params
    assert meas is not None
    n = int(p["train"]["model"]["n"])
    fig, (ax, hax) = new_figure(2, width=5.6, height=4.3)
    keys = list(meas.runs)
    labels = []
    for j, key in enumerate(keys):
        s = meas.runs[key]
        nn = s.sizes.shape[1]
        for c, (size, color) in enumerate(((1, "C0"), (2, "C1"), (3, "C3"))):
            frac = (s.sizes == size).mean(axis=1) if size < 3 else (s.sizes >= 3).mean(axis=1)
            est = mean_ci(frac) if np.ptp(frac) > 0 else None
            v = float(frac.mean())
            x = j + (c - 1) * 0.27
            ax.bar(
                x,
                v,
                width=0.25,
                color=color,
                alpha=0.7,
                label=f"size {size if size < 3 else '≥ 3'} (measured)" if j == 0 else None,
            )
            if est is not None:
                ax.errorbar(x, v, yerr=[[v - est.ci[0]], [est.ci[1] - v]], color="k", lw=0.8)
        m = _m_of(key, p)
        act = {"gelu": "gelu", "linear": "none"}.get(key, "relu")
        pred2 = 2 * max(0, nn - m) / nn if key == "floor" else th.pair_fraction(nn, m, act)
        ax.plot(
            [j - 0.27, j],
            [1 - pred2, pred2],
            "kx",
            ms=7,
            label="static model (sizes 1, 2)" if j == 0 else None,
        )
        labels.append(f"{key}\nn={nn}, m={m}")
    ax.set_xticks(range(len(keys)), labels, fontsize=6.5)
    ax.set_ylabel("fraction of features (dimensionless)")
    ax.set_title("block sizes: measured vs static model")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)

    key = meas.main[0]
    G = meas.runs[key].example_gram
    im = hax.imshow(np.abs(G), cmap="viridis", vmin=0, vmax=1)
    hax.set_title(f"|W Wᵀ| of one model ({key}), ordered by block", fontsize=9)
    hax.set_xlabel("feature (by block)")
    hax.set_ylabel("feature (by block)")
    fig.colorbar(im, ax=hax, fraction=0.046, label="|W_i·W_j| (dimensionless)")
    fig.suptitle(f"{result.claim_id}: n = {n}, gradient descent", fontsize=10)
    return [save(fig, outdir / f"{result.claim_id}.png")]


def _m_of(key: str, p: dict) -> int:
    if key.startswith("m="):
        return int(key[2:])
    return {"dense": p["dense_m"], "floor": p["necessary_m"]}.get(key, p["arch_m"])
