"""The report's figures of claim ``l1-decay``: presentation only. The claim's science
(params, derivation, simulation, fits, controls) is ``claims/catalog/l1_decay.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from theory import l1_decay as theory

from .._core import Result
from ..catalog.l1_decay import L1DecayMeasurements, _sgd_slopes

__all__ = ["plot"]


def plot(result: Result[L1DecayMeasurements], outdir: Path) -> list[Path]:
    """‖w‖₁(t) and m′(t), log-log: replicate spread, the dsolve prediction, the fitted power law
    with its band, the window shaded; then the SGD autoencoder against Euler from the same rows,
    with the raw per-model slopes (SGD, exact flow, Euler) that the control-variate estimate
    combines."""
    from ..plotting import new_figure, save

    meas, p = result.measurements, result.params
    assert meas is not None
    lam, m = p["flow"]["l1"], p["flow"]["m"]
    t0, t1 = meas.t[0], meas.t[-1]
    rho = float(meas.rho_ratio.mean())
    s0 = float(meas.s0.mean())
    fig, axes = new_figure(3, width=4.8, height=4.0)
    tw = meas.t_wide
    for ax, wide, key, name, pred in (
        (axes[0], meas.l1_wide, "l1-slope", "‖w‖₁", theory.predict_l1(tw, lam, rho, s0)),
        (
            axes[1],
            meas.support_wide.astype(float),
            "support-slope",
            "m′",
            theory.predict_support(tw, lam, rho, s0),
        ),
    ):
        lo_q, mid, hi_q = np.quantile(wide, [0.05, 0.5, 0.95], axis=0)
        ax.fill_between(
            tw,
            lo_q,
            hi_q,
            color="C0",
            alpha=0.3,
            lw=0,
            label=f"reduced flow: 5–95 % of {wide.shape[0]} runs",
        )
        ax.plot(tw, mid, color="C0", lw=1.2, label="median")
        ax.plot(
            tw,
            pred,
            "--",
            color="C1",
            label=f"dsolve: 1/(1/S0 + ρλt), ρ = {rho:.2f}"
            if key == "l1-slope"
            else f"(1 + ρ)·‖w‖₁², ρ = {rho:.2f}",
        )
        fit = result.fit(key)
        xs = np.geomspace(t0, t1, 20)
        ys = (
            np.exp(np.log(wide[:, (tw >= t0) & (tw <= t1)]).mean())
            if ((tw >= t0) & (tw <= t1)).any()
            else mid.mean()
        )
        xc = math.exp(0.5 * (math.log(t0) + math.log(t1)))
        for b, style in ((fit.fitted, "-"), (fit.ci[0], ":"), (fit.ci[1], ":")):
            ax.plot(
                xs,
                ys * (xs / xc) ** b,
                style,
                color="C3",
                lw=1.2,
                label=f"fit t^{fit.fitted:.3f} [{fit.ci[0]:.3f}, {fit.ci[1]:.3f}]"
                if style == "-"
                else None,
            )
        ax.axvspan(t0, t1, color="0.85", zorder=0, label="fit window")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("t (code units)")
        ax.set_ylabel(name)
        ax.set_title(f"{name}: m = {m:.3g}, λ = {lam:g}")
        ax.legend(fontsize=7)
    ax = axes[2]
    tau = meas.sgd_tau
    for b in range(meas.sgd_l1.shape[0]):
        ax.plot(
            tau, meas.sgd_l1[b], "o", ms=3, color="C0", label="SGD autoencoder" if b == 0 else None
        )
        ax.plot(
            tau,
            meas.sgd_euler[b],
            "-",
            lw=0.8,
            color="C1",
            label="Euler step 4·lr, same initial rows" if b == 0 else None,
        )
    fit = result.fit("sgd-slope")
    xc = math.exp(np.log(tau).mean())
    yc = math.exp(np.log(meas.sgd_l1).mean())
    limit = theory.l1_exponent()
    for b, style, color, label in (
        (fit.fitted, "-", "C3", f"fit (control variate) τ^{fit.fitted:.3f}"),
        (fit.predicted, "--", "k", f"predicted: the window's exact flow τ^{fit.predicted:.3f}"),
        (limit, ":", "0.4", f"the limit τ^{limit:g} (wide window, λ√m → 0)"),
    ):
        ax.plot(tau, yc * (tau / xc) ** b, style, color=color, lw=1, label=label)
    s = _sgd_slopes(meas)
    ax.text(
        0.97,
        0.97,
        f"mean slopes: SGD {s['sgd'].mean():.4f}, exact flow {s['flows'].mean():.4f}\n"
        f"SGD − flow (same rows) {np.mean(s['sgd'] - s['fast']):+.4f}\n"
        f"Euler − flow {np.mean(s['euler'] - s['fast']):+.4f}, "
        f"SGD − Euler {np.mean(s['sgd'] - s['euler']):+.4f}",
        transform=ax.transAxes,
        fontsize=6.5,
        ha="right",
        va="top",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training time τ = 4·lr·step (code units)")
    ax.set_ylabel("mean ‖W_i‖₁")
    ax.set_title(f"SGD, n = {p['train']['model']['n']}, m = {p['train']['model']['m']}")
    ax.legend(fontsize=7, loc="lower left")
    return [save(fig, outdir / f"{result.claim_id}.png")]
