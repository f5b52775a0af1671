"""Capacity allocation in the quadratic model, numerically (Scherlis et al. 2210.01892).

Where the reader is: the numeric side of the claim ``capacity-allocation``. Every function here
evaluates expressions derived in :mod:`theory.capacity` (lambdified, never typed in):

* :func:`solve_allocation` — the optimum of Σ L_i(C_i) subject to Σ C_i <= m, 0 <= C_i <= 1
  (scipy SLSQP on the derived L_i(C)), with its multiplier λ and the KKT spread;
* :func:`rule_capacity` — the derived KKT rule at multiplier λ: ignored below √(2λ)/(K−1),
  monosemantic above √(λ/2), C(v) linear in v between;
* :func:`proportional_allocation` — the rival rule C_i = min(1, c·v_i) with Σ C_i = m (a mutant).

Nothing here knows of ``sim`` or ``claims``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from . import capacity as th

__all__ = ["Allocation", "proportional_allocation", "rule_capacity", "solve_allocation"]


@dataclass(frozen=True, repr=False)
class Allocation:
    """The solver's optimum for one importance vector."""

    K: float
    v: np.ndarray  # (n,) importances
    C: np.ndarray  # (n,) optimal capacities
    loss: float  # Σ L_i(C_i) at the optimum
    # the multiplier: mean marginal benefit of the polysemantic features (if none: a λ between)
    lam: float
    marginal_spread: float  # relative spread of the marginal benefit over polysemantic features


def solve_allocation(v: np.ndarray, K: float, m: int) -> Allocation:
    """Minimise Σ L_i(C_i) subject to Σ C_i <= m, 0 <= C_i <= 1 with scipy (SLSQP), L_i(C) the
    derived loss of capacity; then read off the multiplier and the KKT spread."""
    L = th.numeric(th.loss_of_capacity(), th.C, th.v, th.K)
    dL = th.numeric(-th.marginal(), th.C, th.v, th.K)
    benefit = th.numeric(th.marginal(), th.C, th.v, th.K)
    n = len(v)
    res = minimize(
        lambda c: float(np.sum(L(c, v, K))),
        np.full(n, m / n),
        jac=lambda c: dL(c, v, K),
        bounds=[(0.0, 1.0)] * n,
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 2000},
        constraints=[{"type": "ineq", "fun": lambda c: m - c.sum(), "jac": lambda c: -np.ones(n)}],
    )
    # SLSQP mode 8 ("positive directional derivative for linesearch") means no further descent at
    # this ftol: accepted, since the claim's KKT fits judge the optimum itself
    if not (res.success or res.status == 8) or res.x.sum() > m + 1e-9:
        raise RuntimeError(f"allocation solver failed (K={K}): {res.message}")
    C = np.clip(res.x, 0.0, 1.0)
    poly = (C > 1e-7) & (C < 1 - 1e-7)
    if poly.any():
        marg = benefit(C[poly], v[poly], K)
        lam, spread = float(marg.mean()), float((marg.max() - marg.min()) / marg.mean())
    else:  # no polysemantic feature: any λ between the ignored ones' and the mono ones' margins
        lo = float(np.max(benefit(0.0, v[C <= 1e-7], K), initial=0.0))
        hi = float(np.min(benefit(1.0, v[C >= 1 - 1e-7], K), initial=np.inf))
        lam = float(np.sqrt(lo * hi)) if lo > 0 and np.isfinite(hi) else (lo if lo > 0 else hi / 2)
        spread = 0.0
    return Allocation(
        K=K, v=v, C=C, loss=float(np.sum(L(C, v, K))), lam=lam, marginal_spread=spread
    )


def rule_capacity(
    v: np.ndarray, K: float, lam: float, *, mono_threshold: float | None = None
) -> np.ndarray:
    """The derived KKT rule at multiplier λ: 0 below √(2λ)/(K−1), 1 above √(λ/2), the linear C(v)
    between (not clipped: with the right thresholds it stays in [0, 1] by itself, so a wrong
    threshold shows up as a capacity outside the band). ``mono_threshold`` replaces √(λ/2)."""
    thr = th.thresholds()
    low = float(thr["ignored_below"].subs({th.lam: lam, th.K: K}))
    high = (
        float(thr["monosemantic_above"].subs({th.lam: lam}))
        if mono_threshold is None
        else mono_threshold
    )
    inner = th.numeric(th.interior_capacity(), th.v, th.lam, th.K)(v, lam, K)
    return np.where(v <= low, 0.0, np.where(v >= high, 1.0, inner))


def proportional_allocation(v: np.ndarray, m: int, *, rounds: int = 50) -> np.ndarray:
    """Capacity in proportion to importance, C_i = min(1, c·v_i) with Σ C_i = m: the share of the
    capped (monosemantic) features is water-filled over ``rounds`` passes."""
    c = np.minimum(1.0, v * m / v.sum())
    for _ in range(rounds):
        c = np.minimum(1.0, v * (m - (c >= 1).sum()) / v[c < 1].sum())
        c[c >= 1] = 1.0
    return c
