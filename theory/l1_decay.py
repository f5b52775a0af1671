"""The winner-takes-all L1 dynamic of one feature, derived with sympy from the loss.

Lecomte et al. (catalogue §1.1): feature i's code is the row W_i of the tied autoencoder. Its share
of the paper code's loss (summed squared error + λ‖W‖₁) is

    ℓ_i = (‖W_i‖² − 1)² + Σ_{j≠i} ReLU(W_i·W_j)² + λ‖W_i‖₁ .

Everything below is obtained by differentiating, substituting and solving, not typed in:

* :func:`gradient` — ∂ℓ_i/∂W_ik = 4(‖W_i‖² − 1)W_ik + λ sign W_ik, and
  :func:`interference_gradient` — the pair term adds 4 ReLU(W_i·W_j) W_jk;
* :func:`time_units` — gradient flow with learning rate η, dW/dt = −η∂ℓ/∂W, is the paper code's
  ODE dw/dτ = (1 − ‖w‖²)w − λ_code on magnitudes in code time τ = 4ηt, with λ_code = λ/4;
* :func:`threshold_form` — d|w_k|/dτ = (1 − ‖w‖²)(|w_k| − θ) with θ = λ/(1 − ‖w‖²): every live
  coordinate feels the same factor g = 1 − ‖w‖², so the map is the same for all k (order kept);
* :func:`norm_balance` — d‖w‖²/dτ = 2g‖w‖² − 2λ‖w‖₁ = 0 gives g = λ‖w‖₁/‖w‖², hence
  θ = ‖w‖²/‖w‖₁ ≈ 1/‖w‖₁;
* :func:`l1_rate` — d‖w‖₁/dτ = g‖w‖₁ − λm′, which under the balance is −ρλ‖w‖₁²/‖w‖² with
  ρ = m′‖w‖²/‖w‖₁² − 1 the relative variance (Var/mean²) of the live magnitudes;
* :func:`l1_solution` — ``dsolve`` of d‖w‖₁/dτ = −ρλ‖w‖₁² (‖w‖² = 1, ρ constant):
  ‖w‖₁(τ) = 1/(1/S0 + ρλτ), the claim's headline; :func:`support_solution` — m′ = (1 + ρ)‖w‖₁²;
* :func:`local_slope` — d ln‖w‖₁/d ln τ = −ρλτ/(1/S0 + ρλτ): −1 once ρλτ ≫ 1/S0 (m′: twice that);
* :func:`end_time` — m′ = 1 at λτ_end = (√(1 + ρ) − 1/S0)/ρ → √(1 + ρ)/ρ, Θ(1) in λτ;
* :func:`initial_l1`, :func:`initial_rho` — for the init |N(0, c²/m)| (sympy.stats):
  E‖w(0)‖₁ = c√(2m/π), so 1/S0 = √(π/2)/(c√m) and the plateau lasts ≈ 1/(λ√m); ρ(0) = π/2 − 1;
* :func:`window_exponents` (:func:`l1_exponent`, :func:`support_exponent`) — the local slopes in
  s = λ√m·τ with S0 = E‖w(0)‖₁, in the limit 1/(λ√m) ≪ τ ≪ 1/λ (m → ∞, then s → ∞): −1 and −2;
* :func:`survivor_moments`, :func:`live_rho`, :func:`threshold_at`, :func:`window_rho` — ρ in
  the window from the initial distribution. The shared factor makes the flow one affine map for
  every coordinate, w_k(τ) = a(τ)(w_k(0) − B(τ)): the live set is {w_k(0) > B} and the live
  magnitudes are the initial ones shifted down by B. For half-normal w_k(0) and the threshold
  b = B√m/c, ρ(b) = P·E[(z − b)₊²]/E[(z − b)₊]² − 1 (z half-normal, P = Pr(z > b)) rises from
  π/2 − 1 at b = 0 to 1 (an exponential tail) as b → ∞; at the balance √m/‖w‖₁ =
  h(b) = √E[(z − b)₊²]/E[(z − b)₊], and d(1/‖w‖₁)/dτ = ρλ makes dh/ds = ρ(b), which fixes b(s)
  (m → ∞: a population, not a sample).
* :func:`affine_map`, :func:`population_flow`, :func:`population_at` — the same population without
  the balance: the affine map's scalars solve a′ = (1 − ‖w‖²)a, B′ = λ/a, and on the half-normal
  population (b = B√m/c, A = a·c) they are the exact two-dimensional flow db/ds = 1/A,
  d ln A/ds = (1 − A²E[(z − b)₊²])/ε in s, with ε = λ√m: the norm's transient and its gap
  1 − ‖w‖² = O(ε/h) kept. ε → 0 is :func:`threshold_at`'s balance.
* :func:`l1_window_slope`, :func:`support_window_slope` — the log-log slopes of ‖w‖₁ and m′ that
  an OLS fit over given times of a finite window measures on that flow: the window's own values,
  which tend to :func:`l1_exponent`'s −1 and :func:`support_exponent`'s −2 only as the window
  moves to s → ∞ (and only as ε → 0 at a fixed window).

Symbols are in code units unless the name says ``real``. :mod:`sim.reduced_ode` integrates the
flow itself; ``claims/catalog/l1_decay.py`` measures these predictions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp
from sympy import stats as sps

__all__ = [
    "Population",
    "affine_map",
    "end_time",
    "gradient",
    "initial_l1",
    "initial_rho",
    "interference_gradient",
    "l1_exponent",
    "l1_rate",
    "l1_solution",
    "l1_window_slope",
    "live_rho",
    "local_slope",
    "norm_balance",
    "per_feature_loss",
    "population_at",
    "population_flow",
    "predict_l1",
    "predict_support",
    "support_exponent",
    "support_solution",
    "support_window_slope",
    "survivor_moments",
    "threshold_at",
    "threshold_form",
    "time_units",
    "window_exponents",
    "window_rho",
]

# -- symbols ---------------------------------------------------------------------------------
w = sp.IndexedBase("w", real=True)  # feature i's code W_i, coordinates w[k]
v = sp.IndexedBase("v", real=True)  # another feature's code W_j (interference)
k = sp.Symbol("k", integer=True, positive=True)  # summation index
j = sp.Symbol("j", integer=True, positive=True)  # the coordinate being differentiated
m = sp.Symbol("m", integer=True, positive=True)  # coordinates of W_i (hidden neurons)
lam = sp.Symbol("lambda", positive=True)  # λ in code units (the paper's ODE)
lam_real = sp.Symbol("lambda_real", positive=True)  # λ of the training loss
eta = sp.Symbol("eta", positive=True)  # learning rate
t = sp.Symbol("t", nonnegative=True)  # time, code units
S = sp.Symbol("S", positive=True)  # ‖w‖₂²
g = sp.Symbol("g", real=True)  # the shared factor 1 − ‖w‖₂²
L1 = sp.Symbol("L1", positive=True)  # ‖w‖₁
mp = sp.Symbol("m'", positive=True)  # m′: live (nonzero) coordinates
rho = sp.Symbol("rho", positive=True)  # relative variance of the live magnitudes
S0 = sp.Symbol("S0", positive=True)  # ‖w(0)‖₁
c = sp.Symbol("c", positive=True)  # init scale: magnitudes |N(0, c²/m)|
wk = sp.Symbol("w_k", positive=True)  # one live magnitude |w_k|
theta = sp.Symbol("theta", real=True)  # the common threshold
P = sp.Symbol("P", positive=True)  # an active overlap W_i·W_j > 0
s = sp.Symbol("s", positive=True)  # λ√m·τ: the plateau ends at s ≈ 1, the window is s ≫ 1
z = sp.Symbol("z", positive=True)  # an initial magnitude in units of its scale c/√m
b = sp.Symbol("b", positive=True)  # the live set's threshold B in the same units
a = sp.Symbol("a", positive=True)  # the affine map's factor: w_k(τ) = a(τ)(w_k(0) − B(τ))
B = sp.Symbol("B", real=True)  # the affine map's threshold (code units)
A = sp.Symbol("A", positive=True)  # a·c: the factor in units of the init scale
eps = sp.Symbol("epsilon", positive=True)  # λ√m: the norm relaxes within ds ≈ ε of s = λ√m·τ

_SUM_SQ = sp.Sum(w[k] ** 2, (k, 1, m))
_SUM_W = sp.Sum(w[k], (k, 1, m))  # ‖w‖₁ when the w[k] are live magnitudes (> 0)


def _on_coordinate(expr: sp.Expr) -> sp.Expr:
    """Drop the ``j <= m`` Piecewise left by differentiating a Sum: j is one of the coordinates."""
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0][0])


@cache
def per_feature_loss() -> sp.Expr:
    """ℓ_i without interference, real units: (‖W_i‖² − 1)² + λ_real‖W_i‖₁ (the output ReLU on
    the diagonal is inactive since ‖W_i‖² > 0)."""
    return (_SUM_SQ - 1) ** 2 + lam_real * sp.Sum(sp.Abs(w[k]), (k, 1, m))


@cache
def gradient() -> sp.Expr:
    """∂ℓ_i/∂W_ij with ‖W_i‖² written S: 4(S − 1)W_ij + λ_real sign(W_ij)."""
    grad = _on_coordinate(sp.diff(per_feature_loss(), w[j]).doit())
    return sp.expand(grad.subs(_SUM_SQ, S))


@cache
def interference_gradient() -> sp.Expr:
    """The pair term's force on W_ij: the summed squared error holds ReLU(W_i·W_j)² twice (outputs
    (i, j) and (j, i)); where the overlap P = W_i·W_j > 0 its gradient is 4P·W_jj."""
    overlap = sp.Sum(w[k] * v[k], (k, 1, m))
    pair = 2 * sp.Max(0, overlap) ** 2
    grad = _on_coordinate(sp.diff(pair, w[j]).doit())
    return sp.simplify(grad.subs(overlap, P))


@cache
def time_units() -> dict[str, sp.Expr]:
    """Gradient flow dW/dt = −η∂ℓ/∂W on a live coordinate W_ij = w_k > 0, matched to the paper
    code's ODE dw/dτ = (1 − S)w − λ by solving for τ = a·t and λ = b·λ_real.

    Returns ``{"flow_real": 4η(1 − S)w − ηλ_real, "flow_code": (1 − S)w − λ,
    "tau_per_t": 4η, "lambda_code": λ_real/4}``.
    """
    flow_real = sp.expand(-eta * gradient().subs(w[j], wk))
    flow_code = (1 - S) * wk - lam
    a, b = sp.symbols("a b", positive=True)
    # dw/dτ = (dw/dt)/a must equal the code flow for every w and S: match the coefficients
    residual = sp.expand(flow_real / a - flow_code.subs(lam, b * lam_real))
    sol = sp.solve(sp.Poly(residual, wk, S).coeffs(), [a, b], dict=True)[0]
    return {
        "flow_real": flow_real,
        "flow_code": flow_code,
        "tau_per_t": sol[a],
        "lambda_code": sol[b] * lam_real,
    }


@cache
def threshold_form() -> dict[str, sp.Expr]:
    """The code-unit flow written (1 − S)(w − θ): ``{"theta": λ/(1 − S), "flow": ...}``."""
    flow = time_units()["flow_code"]
    th = sp.solve(sp.Eq(flow, (1 - S) * (wk - theta)), theta)[0]
    return {"theta": th, "flow": (1 - S) * (wk - th)}


def _rate_of(quantity: sp.Expr) -> sp.Expr:
    """d/dτ Σ_k f(w_k) over the live coordinates under dw_k/dτ = g·w_k − λ (g = 1 − S, shared),
    with the sums renamed S = Σw², L1 = Σw and the count m′."""
    flow = (time_units()["flow_code"].subs(1 - S, g)).subs(wk, w[k])
    total = sp.Sum(sp.expand(sp.diff(quantity, w[k]) * flow), (k, 1, m)).expand()
    total = total.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.factor_terms(e))
    return sp.expand(total.subs({_SUM_SQ: S, _SUM_W: L1}).doit().subs(m, mp))


@cache
def norm_balance() -> dict[str, sp.Expr]:
    """d‖w‖²/dτ = 2gS − 2λ‖w‖₁; its zero is the balance g = 1 − S = λ‖w‖₁/S, and there the
    threshold is θ = S/‖w‖₁.

    Returns ``{"dS_dt", "gap" (1 − S at balance), "theta"}``.
    """
    dS = _rate_of(w[k] ** 2)
    gap = sp.solve(sp.Eq(dS, 0), g)[0]
    th = sp.simplify(threshold_form()["theta"].subs(1 - S, g).subs(g, gap))
    return {"dS_dt": dS, "gap": gap, "theta": th}


@cache
def l1_rate() -> dict[str, sp.Expr]:
    """d‖w‖₁/dτ = g‖w‖₁ − λm′; under the balance −λ(m′ − ‖w‖₁²/S); with ρ the relative
    variance of the live magnitudes (mean ‖w‖₁/m′, second moment S/m′) it is −ρλ‖w‖₁²/S.

    Returns ``{"dL1_dt", "balanced", "rho", "support" (m′ in terms of ρ), "with_rho"}``.
    """
    rate = _rate_of(w[k])
    balanced = sp.expand(rate.subs(g, norm_balance()["gap"]))
    mean, second = L1 / mp, S / mp
    rel_var = sp.simplify((second - mean**2) / mean**2)
    support = sp.solve(sp.Eq(rho, rel_var), mp)[0]
    with_rho = sp.factor(sp.simplify(balanced.subs(mp, support)))
    return {
        "dL1_dt": rate,
        "balanced": balanced,
        "rho": rel_var,
        "support": support,
        "with_rho": with_rho,
    }


@cache
def l1_solution() -> sp.Expr:
    """``dsolve`` of d‖w‖₁/dτ = −ρλ‖w‖₁² (the balanced rate at S = 1, ρ constant), ‖w‖₁(0) = S0:
    1/(1/S0 + ρλτ). The claim's headline prediction."""
    f = sp.Function("f")
    rate = l1_rate()["with_rho"].subs(S, 1).subs(L1, f(t))
    sol = sp.dsolve(sp.Eq(f(t).diff(t), rate), f(t), ics={f(0): S0})
    return sol.rhs


@cache
def support_solution() -> sp.Expr:
    """m′(τ) = (1 + ρ)‖w‖₁(τ)² at S = 1: (1 + ρ)/(1/S0 + ρλτ)²."""
    return sp.simplify(l1_rate()["support"].subs(S, 1).subs(L1, l1_solution()))


@cache
def local_slope() -> dict[str, sp.Expr]:
    """Log-log slopes of the closed forms: d ln‖w‖₁/d ln τ and d ln m′/d ln τ, with their limit
    for ρλτ ≫ 1/S0 (the power-law window): ``{"l1", "support", "l1_limit", "support_limit"}``."""
    s1 = sp.simplify(t * sp.diff(sp.log(l1_solution()), t))
    sm = sp.simplify(t * sp.diff(sp.log(support_solution()), t))
    return {
        "l1": s1,
        "support": sm,
        "l1_limit": sp.limit(s1, t, sp.oo),
        "support_limit": sp.limit(sm, t, sp.oo),
    }


@cache
def end_time() -> dict[str, sp.Expr]:
    """m′ = 1 on the closed form: λτ_end = (√(1+ρ) − 1/S0)/ρ, and its large-S0 limit √(1+ρ)/ρ.

    Returns ``{"lambda_t_end", "limit"}``.
    """
    sols = sp.solve(sp.Eq(support_solution(), 1), t)
    t_end = next(s for s in sols if sp.limit(s, S0, sp.oo).is_positive)
    lt = sp.simplify(lam * t_end)
    return {"lambda_t_end": lt, "limit": sp.simplify(sp.limit(lt, S0, sp.oo))}


@cache
def initial_l1() -> sp.Expr:
    """E‖w(0)‖₁ for m magnitudes |N(0, c²/m)|: m·E|X| = c√(2m/π)."""
    x = sps.Normal("x", 0, c / sp.sqrt(m))
    return sp.simplify(m * sps.E(sp.Abs(x)))


@cache
def initial_rho() -> sp.Expr:
    """ρ(0) of a half-normal sample: E[X²]/E[|X|]² − 1 = π/2 − 1 (independent of the scale)."""
    x = sps.Normal("x", 0, c / sp.sqrt(m))
    return sp.simplify(sps.E(x**2) / sps.E(sp.Abs(x)) ** 2 - 1)


@cache
def _lambdified(which: str) -> Callable[..., float]:
    expr = {"l1": l1_solution(), "support": support_solution()}[which]
    return sp.lambdify((t, lam, rho, S0), expr, "numpy")


def predict_l1(t_: float, lam_: float, rho_: float, s0: float) -> float:
    """‖w‖₁(τ) from the dsolve solution, evaluated numerically (arrays broadcast)."""
    return _lambdified("l1")(t_, lam_, rho_, s0)


def predict_support(t_: float, lam_: float, rho_: float, s0: float) -> float:
    """m′(τ) = (1 + ρ)‖w‖₁² from the closed form (arrays broadcast)."""
    return _lambdified("support")(t_, lam_, rho_, s0)


# -- the window: exponents, and ρ from the initial distribution --------------------------------


@cache
def window_exponents() -> dict[str, sp.Expr]:
    """The local slopes of :func:`local_slope` written in s = λ√m·τ with S0 = E‖w(0)‖₁
    (:func:`initial_l1`), in the window 1/(λ√m) ≪ τ ≪ 1/λ: τ ≪ 1/λ is s ≪ √m (m → ∞ first), and
    1/(λ√m) ≪ τ is s → ∞. ``{"l1": −1, "support": −2}``."""
    out = {}
    for key in ("l1", "support"):
        slope = local_slope()[key].subs({t: s / (lam * sp.sqrt(m)), S0: initial_l1()})
        out[key] = sp.limit(sp.limit(sp.simplify(slope), m, sp.oo), s, sp.oo)
    return out


def l1_exponent() -> float:
    """The power of ‖w‖₁ in the window (:func:`window_exponents`): −1."""
    return float(window_exponents()["l1"])


def support_exponent() -> float:
    """The power of m′ in the window (:func:`window_exponents`): −2."""
    return float(window_exponents()["support"])


@cache
def survivor_moments() -> dict[str, sp.Expr]:
    """Moments of the live set for half-normal initial magnitudes z (units c/√m) and the threshold
    b: ``"P"`` = Pr(z > b) (the live fraction m′/m), ``"E1"``, ``"E2"`` = E[(z − b)₊], E[(z − b)₊²]
    (the shifted survivors: the soft threshold of the shared affine map), and ``"M1"``, ``"M2"`` =
    E[z; z > b], E[z²; z > b] (survivors that keep their initial values: a hard threshold, the
    control's mechanism). Integrated by sympy, written with erfc."""
    dens = 2 * sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)  # half-normal, unit scale

    def mom(f: sp.Expr) -> sp.Expr:
        return sp.simplify(sp.integrate(f * dens, (z, b, sp.oo)).rewrite(sp.erfc))

    return {
        "P": mom(sp.Integer(1)),
        "E1": mom(z - b),
        "E2": mom((z - b) ** 2),
        "M1": mom(z),
        "M2": mom(z**2),
    }


@cache
def live_rho() -> dict[str, sp.Expr]:
    """ρ = m′S/‖w‖₁² − 1 (:func:`l1_rate`) of the live set at the threshold b (m′ = mP, ‖w‖₁ =
    a·m(c/√m)E1, S = a²m(c²/m)E2: m, c and a cancel), and h(b) = √m/‖w‖₁ at the balance S = 1.

    Returns ``{"rho": P·E2/E1² − 1, "h": √E2/E1, "rho_hard": P·M2/M1² − 1}`` (the last: the
    unshifted survivors of a hard threshold)."""
    mo = survivor_moments()
    rel = l1_rate()["rho"]
    scale = sp.Symbol("sigma", positive=True)  # c/√m
    amp = sp.Symbol("a", positive=True)  # the shared factor a(τ)

    def rho_of(first: sp.Expr, second: sp.Expr) -> sp.Expr:
        sums = {mp: m * mo["P"], L1: amp * m * scale * first, S: amp**2 * m * scale**2 * second}
        return sp.simplify(rel.subs(sums))

    h = sp.sqrt(mo["E2"]) / mo["E1"]
    return {"rho": rho_of(mo["E1"], mo["E2"]), "h": h, "rho_hard": rho_of(mo["M1"], mo["M2"])}


@cache
def _threshold_functions() -> tuple[Callable[..., float], ...]:
    lr = live_rho()
    ds_db = sp.diff(lr["h"], b) / lr["rho"]  # dh/ds = ρ(b): ds/db = h'(b)/ρ(b)
    return tuple(sp.lambdify(b, e, "scipy") for e in (lr["rho"], lr["rho_hard"], ds_db))


def threshold_at(s_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """b(s): the threshold (units c/√m) at s = λ√m·τ, from db/ds = ρ(b)/h′(b), b(0) = 0 (the
    norm's O(1) transient moves s by ≈ λ√m, ignored). Depends on s alone: not on m, c or λ."""
    sv = np.asarray(s_values, dtype=float)
    if sv.size == 0 or not np.all(np.isfinite(sv)) or sv.min() < 0:
        raise ValueError(f"s values must be finite and >= 0, got {s_values!r}")
    if sv.max() == 0:
        return np.zeros(sv.shape)
    ds_db = _threshold_functions()[2]
    order = np.argsort(sv.ravel())
    sol = solve_ivp(
        lambda _s, y: [1.0 / float(ds_db(max(float(y[0]), 1e-12)))],
        (0.0, float(sv.max())),
        [0.0],
        t_eval=sv.ravel()[order],
        rtol=1e-10,
        atol=1e-12,
    )
    if not sol.success:
        raise RuntimeError(f"b(s) integration failed: {sol.message}")
    out = np.empty(sv.size)
    out[order] = sol.y[0]
    return out.reshape(sv.shape)


def window_rho(
    s_values: Sequence[float] | np.ndarray,
    *,
    shifted: bool = True,
    eps: float | None = None,
    init_scale: float = 1.0,
) -> float:
    """ρ of the live magnitudes averaged over the times s = λ√m·τ given (:func:`live_rho` at the
    threshold b(s)): the prediction from the initial distribution alone. b(s) is the population
    flow's (:func:`population_at`) at λ√m = ``eps`` and ``init_scale``, or, with ``eps`` None, its
    balance limit ε → 0 (:func:`threshold_at`, where the init scale drops out). ``shifted=False``
    gives the hard threshold's (survivors keep their initial values)."""
    rho, rho_hard, _ = _threshold_functions()
    f = rho if shifted else rho_hard
    bs = (
        threshold_at(s_values)
        if eps is None
        else population_at(s_values, eps=eps, init_scale=init_scale).b
    )
    return float(np.mean([float(f(x)) for x in np.ravel(bs)]))


# -- the population flow at finite λ√m, and the slopes a finite window measures ---------------


@cache
def affine_map() -> dict[str, sp.Expr]:
    """Every live coordinate follows one affine map, w_k(τ) = a(τ)(w_k(0) − B(τ)): substituted into
    the code flow dw_k/dτ = (1 − S)w_k − λ (:func:`time_units`), the coefficients of w_k(0) give
    the scalars' flow. Returns ``{"da_dt": (1 − S)a, "dB_dt": λ/a}``."""
    w0, da, dB = sp.symbols("w0 da dB", real=True)
    flow = time_units()["flow_code"].subs(wk, a * (w0 - B))
    residual = sp.expand(da * (w0 - B) - a * dB - flow)  # d/dτ of a(w0 − B), minus the flow
    sol = sp.solve(sp.Poly(residual, w0).coeffs(), [da, dB], dict=True)[0]
    return {"da_dt": sol[da], "dB_dt": sol[dB]}


@cache
def population_flow() -> dict[str, sp.Expr]:
    """:func:`affine_map` on a population of half-normal initial magnitudes |N(0, c²/m)|
    (:func:`survivor_moments`, m → ∞ at fixed s = λ√m·τ): with σ = c/√m, b = B/σ and A = a·c the
    sums are S = a²mσ²E2(b) = A²E2(b), ‖w‖₁ = a·mσ·E1(b) = √m·A·E1(b) and m′ = m·P(b), and in s
    (ε = λ√m) the scalars' flow is db/ds = 1/A, d ln A/ds = (1 − A²E2(b))/ε, from b = 0, A = c.
    Exact for the population: neither the balance S = 1 (ε → 0) nor a constant ρ is assumed.

    Returns ``{"db_ds", "dlnA_ds", "norm" (S), "l1" (‖w‖₁/√m), "support" (m′/m)}``."""
    mo, amap = survivor_moments(), affine_map()
    sigma = c / sp.sqrt(m)
    sums = {S: a**2 * m * sigma**2 * mo["E2"]}
    in_s = {lam: eps / sp.sqrt(m)}  # d/ds = (d/dτ)/(λ√m)
    to_amplitude = {a: A / c}

    def rate(expr: sp.Expr) -> sp.Expr:
        return sp.simplify((expr.subs(sums).subs(in_s) / eps).subs(to_amplitude))

    return {
        "db_ds": rate(amap["dB_dt"] / sigma),
        "dlnA_ds": rate(amap["da_dt"] / a),
        "norm": sp.simplify(sums[S].subs(to_amplitude)),
        "l1": sp.simplify((a * m * sigma * mo["E1"] / sp.sqrt(m)).subs(to_amplitude)),
        "support": mo["P"],
    }


@dataclass(frozen=True)
class Population:
    """:func:`population_flow` integrated to the times asked for."""

    s: np.ndarray  # the times s = λ√m·τ, as given
    b: np.ndarray  # the live set's threshold, units of the init scale c/√m
    amplitude: np.ndarray  # A = a·c, the affine map's factor in units of 1/c
    l1: np.ndarray  # ‖w‖₁/√m
    support: np.ndarray  # m′/m, the live fraction
    norm: np.ndarray  # ‖w‖², below 1 by the gap ≈ ε·‖w‖₁/√m


@cache
def _population_functions() -> dict[str, Callable[..., float]]:
    flow = population_flow()
    args = (b, A, eps)
    return {key: sp.lambdify(args, flow[key], "scipy") for key in flow}


def population_at(
    s_values: Sequence[float] | np.ndarray, *, eps: float, init_scale: float = 1.0
) -> Population:
    """The population flow at λ√m = ``eps`` from magnitudes |N(0, init_scale²/m)|, at the times
    s = λ√m·τ given (any order; LSODA, stiff for small ε). Depends on s, ε and c alone."""
    sv = np.asarray(s_values, dtype=float)
    if sv.size == 0 or not np.all(np.isfinite(sv)) or sv.min() < 0:
        raise ValueError(f"s values must be finite and >= 0, got {s_values!r}")
    if not (math.isfinite(eps) and eps > 0 and math.isfinite(init_scale) and init_scale > 0):
        raise ValueError(
            f"eps and init_scale must be finite and > 0, got {eps!r} and {init_scale!r}"
        )
    fn = _population_functions()

    def rhs(_s: float, y: np.ndarray) -> list[float]:
        bb, amp = max(float(y[0]), 0.0), math.exp(float(y[1]))
        return [float(fn["db_ds"](bb, amp, eps)), float(fn["dlnA_ds"](bb, amp, eps))]

    flat = sv.ravel()
    order = np.argsort(flat)
    sol = solve_ivp(
        rhs,
        (0.0, float(flat.max())),
        [0.0, math.log(init_scale)],
        method="LSODA",
        t_eval=flat[order],
        rtol=1e-10,
        atol=1e-12,
    )
    if not sol.success:
        raise RuntimeError(f"population flow failed: {sol.message}")
    bs, amps = np.empty(flat.size), np.empty(flat.size)
    bs[order], amps[order] = sol.y[0], np.exp(sol.y[1])

    def at(key: str) -> np.ndarray:
        return np.array([float(fn[key](x, y, eps)) for x, y in zip(bs, amps, strict=True)])

    return Population(
        s=sv,
        b=bs.reshape(sv.shape),
        amplitude=amps.reshape(sv.shape),
        l1=at("l1").reshape(sv.shape),
        support=at("support").reshape(sv.shape),
        norm=at("norm").reshape(sv.shape),
    )


def _log_log_slope(s_values: np.ndarray, y: np.ndarray) -> float:
    """The OLS slope of ln y on ln s (the claim's fit of a measured curve)."""
    x, z = np.log(np.ravel(s_values)), np.log(np.ravel(y))
    x = x - x.mean()
    return float(x @ (z - z.mean()) / (x @ x))


def _window_curves(
    s_values: Sequence[float] | np.ndarray, eps: float | None, init_scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(s, ‖w‖₁/√m, m′/m) at the window's times: the population flow at λ√m = ``eps``, or with
    ``eps`` None its balance limit (√m/‖w‖₁ = h(b) at b = :func:`threshold_at`)."""
    sv = np.asarray(s_values, dtype=float)
    if sv.size < 2 or not np.all(np.isfinite(sv)) or not np.all(sv > 0) or np.ptp(sv) == 0:
        raise ValueError(f"a window needs >= 2 distinct finite times s > 0, got {s_values!r}")
    if eps is not None:
        pop = population_at(sv, eps=eps, init_scale=init_scale)
        return sv, pop.l1, pop.support
    fn = _population_functions()
    h = sp.lambdify(b, live_rho()["h"], "scipy")
    bs = threshold_at(sv)
    l1 = np.array([1.0 / float(h(x)) for x in bs.ravel()]).reshape(sv.shape)
    support = np.array([float(fn["support"](x, 1.0, 1.0)) for x in bs.ravel()]).reshape(sv.shape)
    return sv, l1, support


def l1_window_slope(
    s_values: Sequence[float] | np.ndarray, *, eps: float | None, init_scale: float = 1.0
) -> float:
    """The log-log slope of ‖w‖₁ against τ that an OLS fit over the times s = λ√m·τ given measures
    on the population flow (:func:`population_at` at λ√m = ``eps`` and ``init_scale``; ``eps``
    None: its balance limit ε → 0, where the init scale drops out): the finite window's own
    exponent. It tends to :func:`l1_exponent` (−1) as the window moves to s → ∞ with ε → 0; at a
    finite window the plateau's crossover (slope above −1), the rising ρ (below) and the norm's
    gap 1 − ‖w‖² = O(ε/h), closing as ‖w‖₁ falls (above), remain."""
    sv, l1, _ = _window_curves(s_values, eps, init_scale)
    return _log_log_slope(sv, l1)


def support_window_slope(
    s_values: Sequence[float] | np.ndarray, *, eps: float | None, init_scale: float = 1.0
) -> float:
    """As :func:`l1_window_slope` for the live count m′ = m·P(b): tends to
    :func:`support_exponent` (−2)."""
    sv, _, support = _window_curves(s_values, eps, init_scale)
    return _log_log_slope(sv, support)
