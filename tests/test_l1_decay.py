"""theory.l1_decay (the derivation, checked numerically against autograd and the trainer) and the
``l1-decay`` claim's helpers (params, fits on synthetic data with known answers, controls)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp
import torch

from claims._core import Fit, Judge
from claims._params import apply_overrides
from claims.catalog.l1_decay import CLAIM, CONTROLS, L1DecayMeasurements, L1DecayParams, fit
from sim import ParamError
from sim.autoencoder import AutoencoderParams, fused_loss_and_grad
from theory import l1_decay as T


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    return sp.simplify(a - b) == 0


# -- theory ----------------------------------------------------------------------------------------


def test_gradient_of_the_per_feature_loss() -> None:
    S, w_j = T.S, T.w[T.j]
    expect = 4 * (S - 1) * w_j + T.lam_real * sp.sign(w_j)
    assert _same(T.gradient(), expect), f"gradient {T.gradient()}, but should be {expect}"


def test_gradients_match_autograd() -> None:
    """The derived expressions, evaluated on random vectors, against torch autograd of the loss."""
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(0, 0.3, 6), requires_grad=True)
    y = torch.tensor(rng.normal(0, 0.3, 6))
    lam = 0.07
    loss = (x.dot(x) - 1) ** 2 + lam * x.abs().sum()
    (g,) = torch.autograd.grad(loss, x)
    S = float(x.detach().dot(x.detach()))
    grad = sp.lambdify((T.S, T.w[T.j], T.lam_real), T.gradient())
    ours = np.array([grad(S, float(xi), lam) for xi in x.detach()])
    assert np.allclose(ours, g.numpy()), f"sympy gradient {ours}, autograd {g.numpy()}"
    x = x.detach().requires_grad_(True)
    y = y if float(x.detach().dot(y)) > 0 else -y  # the ReLU is active
    pair = 2 * torch.relu(x.dot(y)) ** 2
    (gp,) = torch.autograd.grad(pair, x)
    inter = sp.lambdify((T.P, T.v[T.j]), T.interference_gradient())
    ours = np.array([inter(float(x.detach().dot(y)), float(yi)) for yi in y])
    assert np.allclose(ours, gp.numpy()), (
        f"sympy interference gradient {ours}, autograd {gp.numpy()}"
    )


def test_time_units_match_one_sgd_step_of_the_trainer() -> None:
    """One SGD step on a single feature (n = 1) is one Euler step of the code-unit flow with
    dt = τ_per_t·lr and λ_code (the derived conversions), on every positive coordinate."""
    units = T.time_units()
    assert _same(units["tau_per_t"], 4 * T.eta) and _same(units["lambda_code"], T.lam_real / 4), (
        units
    )
    lr, lam_real, m = 0.01, 0.02, 50
    W = torch.tensor(np.abs(np.random.default_rng(1).normal(0, 1 / math.sqrt(m), (1, 1, m))))
    _, grad = fused_loss_and_grad(
        W, None, AutoencoderParams(n=1, m=m, instances=1, l1=lam_real, dtype="float64")
    )
    sgd_step = -lr * grad.numpy().ravel()
    dt = float(units["tau_per_t"].subs(T.eta, lr))
    lam = float(units["lambda_code"].subs(T.lam_real, lam_real))
    w = W.numpy().ravel()
    flow = sp.lambdify((T.S, T.wk, T.lam), units["flow_code"])
    euler_step = dt * flow(float(w @ w), w, lam)
    assert np.allclose(sgd_step, euler_step, rtol=1e-10), (
        f"SGD step {sgd_step[:3]} vs Euler step {euler_step[:3]}"
    )


def test_threshold_balance_and_rate() -> None:
    assert _same(T.threshold_form()["theta"], T.lam / (1 - T.S))
    bal = T.norm_balance()
    assert _same(bal["dS_dt"], 2 * T.g * T.S - 2 * T.lam * T.L1), bal["dS_dt"]
    assert _same(bal["gap"], T.lam * T.L1 / T.S) and _same(bal["theta"], T.S / T.L1), bal
    rate = T.l1_rate()
    assert _same(rate["dL1_dt"], T.g * T.L1 - T.lam * T.mp), rate["dL1_dt"]
    assert _same(rate["rho"], T.mp * T.S / T.L1**2 - 1), rate["rho"]
    assert _same(rate["with_rho"], -T.rho * T.lam * T.L1**2 / T.S), rate["with_rho"]


def test_dsolve_solution_is_the_closed_form_and_solves_the_ode() -> None:
    sol = T.l1_solution()
    assert _same(sol, 1 / (1 / T.S0 + T.rho * T.lam * T.t)), f"dsolve gave {sol}"
    assert _same(sp.diff(sol, T.t), -T.rho * T.lam * sol**2) and _same(sol.subs(T.t, 0), T.S0)
    assert str(sol) == "1/(lambda*rho*t + 1/S0)", f"the JSON prediction reads {sol}"
    assert _same(T.support_solution(), (1 + T.rho) * sol**2)
    slopes = T.local_slope()
    assert slopes["l1_limit"] == -1 and slopes["support_limit"] == -2, slopes
    assert _same(T.end_time()["limit"], sp.sqrt(1 + T.rho) / T.rho), T.end_time()


def test_initial_moments_against_a_sample() -> None:
    c, m = 0.9, 400_000
    assert _same(T.initial_l1(), T.c * sp.sqrt(2 * T.m / sp.pi)) and _same(
        T.initial_rho(), sp.pi / 2 - 1
    )
    w = np.abs(np.random.default_rng(2).normal(0, c / math.sqrt(m), m))
    s0 = float(T.initial_l1().subs({T.c: c, T.m: m}))
    assert abs(w.sum() / s0 - 1) < 5e-3, f"‖w(0)‖₁ = {w.sum():.5g}, derived {s0:.5g}"
    rho = m * (w @ w) / w.sum() ** 2 - 1
    assert abs(rho - float(T.initial_rho())) < 0.01, f"ρ(0) = {rho:.4f}, derived π/2 − 1"


def test_numeric_predictions_broadcast() -> None:
    t = np.array([0.0, 1e4, 1e5])
    got = T.predict_l1(t, 1e-5, 0.9, 227.0)
    assert np.allclose(got, 1 / (1 / 227.0 + 0.9 * 1e-5 * t))
    assert np.allclose(T.predict_support(t, 1e-5, 0.9, 227.0), 1.9 * got**2)


# -- the claim -------------------------------------------------------------------------------------


def _judge(p: L1DecayParams) -> Judge:
    return CLAIM.judge(p)


def test_params_validate_and_accept_overrides() -> None:
    p = apply_overrides(
        L1DecayParams(), {"flow.m": "1000000", "window_lo": "20", "train.lr": "0.05"}
    )
    assert (
        p.flow.m == 1_000_000
        and isinstance(p.flow.m, int)
        and p.window_lo == 20.0
        and p.train.lr == 0.05
    )
    for path, value in [
        ("flow.m", "10"),
        ("flow.l1", "0"),
        ("replicates", "1"),
        ("train.lr", "0.3"),
        ("window_hi", "2"),
        ("survivor.l1", "0.2"),
        ("train.optimizer", "adamw"),
    ]:
        with pytest.raises(ParamError) as err:
            apply_overrides(L1DecayParams(), {path: value})
        assert err.value.field == path, (
            f"ParamError names {err.value.field!r}, should name {path!r}"
        )
    with pytest.raises(ParamError, match="window_lo"):  # no window left at this m
        L1DecayParams(flow=dataclasses.replace(L1DecayParams().flow, m=10_000), window_lo=15.0)
    with pytest.raises(ParamError, match="train.steps"):  # the window sets the trainer's steps
        apply_overrides(L1DecayParams(), {"train.steps": "100"})


def test_time_conversions_of_the_sgd_run() -> None:
    p = L1DecayParams()
    assert p.sgd_dt == pytest.approx(4 * p.train.lr) and p.sgd_l1_code == pytest.approx(
        p.train.l1 / 4
    )
    steps, tau = p.sgd_window()
    u = tau * p.sgd_l1_code
    assert u[0] >= p.window_lo / math.sqrt(p.train.m) and u[-1] == pytest.approx(
        p.window_hi, rel=1e-3
    )
    assert np.allclose(tau, 4 * p.train.lr * steps)
    sgd = p.sgd_params(seed=3, device="cpu")
    assert sgd.steps == p.sgd_steps() and sgd.seed == 3 and sgd.optimizer == "sgd"
    assert dataclasses.replace(sgd, steps=p.train.steps, seed=p.train.seed) == p.train, (
        "only steps and seed are set"
    )
    flow = p.sgd_flow()
    assert (flow.m, flow.l1, flow.dt, flow.init_scale, flow.rtol) == (
        p.train.m,
        p.sgd_l1_code,
        p.sgd_dt,
        1.0,
        p.flow.rtol,
    )


def _synthetic(
    slope: float, *, R: int = 16, noise: float = 0.01, seed: int = 0
) -> L1DecayMeasurements:
    """Exact power laws ‖w‖₁ ∝ t^slope, m′ ∝ t^(2·slope), with multiplicative noise per replicate."""
    rng = np.random.default_rng(seed)
    p = L1DecayParams()
    t = np.geomspace(*p.window(), p.points)

    def law(b: float, scale: float, rows: int) -> np.ndarray:
        return scale * (t / t[0]) ** (b + noise * rng.normal(size=(rows, 1)))

    _, tau = p.sgd_window()
    sgd = 20 * (tau / tau[0]) ** (slope + 1e-3 * rng.normal(size=(8, 1)))
    return L1DecayMeasurements(
        t=t,
        l1=law(slope, 100.0, R),
        support=law(2 * slope, 1e4, R),
        rho_slope=0.89 + 0.02 * rng.normal(size=R),
        rho_ratio=0.89 + 0.02 * rng.normal(size=R),
        t_end=(1.8 + 0.2 * rng.normal(size=R)) / p.flow.l1,
        t_wide=t,
        l1_wide=law(slope, 100.0, R),
        support_wide=law(2 * slope, 1e4, R),
        s0=np.full(R, 700.0),
        survivor_hits=64,
        survivor_runs=64,
        sgd_tau=tau,
        sgd_l1=sgd,
        sgd_euler=sgd * (1 + 1e-5 * rng.normal(size=sgd.shape)),
        sgd_fast=sgd,
        sgd_flows=20 * (tau / tau[0]) ** (slope + 1e-3 * rng.normal(size=(64, 1))),
        seconds={},
    )


def _fits(meas: L1DecayMeasurements, p: L1DecayParams) -> list[Fit]:
    return list(fit(meas, CLAIM.derive(p), p, _judge(p)))


def test_fits_recover_known_slopes() -> None:
    p = L1DecayParams()
    fits = {f.key: f for f in _fits(_synthetic(-1.0), p)}
    assert set(fits) == {s.key for s in CLAIM.specs(p)}
    for key, expect in (
        ("l1-slope", -1.0),
        ("support-slope", -2.0),
        ("sgd-slope", -1.0),
        ("sgd-follows-flow", 0.0),
    ):
        f = fits[key]
        assert f.verdict == "pass" and abs(f.fitted - expect) < 0.01, f"{key}: {f.explain()}"
    for key in ("rho", "end-time-lo", "end-time-hi", "survivor"):
        assert fits[key].verdict == "pass", fits[key].explain()
    assert all(f.confidence == pytest.approx(1 - 0.05 / 8) for f in fits.values()), (
        "eight stochastic fits"
    )
    wrong = {f.key: f for f in _fits(_synthetic(-0.8), p)}
    assert wrong["l1-slope"].verdict == "fail" and wrong["support-slope"].verdict == "fail", wrong[
        "l1-slope"
    ].explain()


def test_survivor_fit_fails_on_a_single_miss() -> None:
    meas = dataclasses.replace(_synthetic(-1.0), survivor_hits=63)
    f = next(f for f in _fits(meas, L1DecayParams()) if f.key == "survivor")
    assert f.verdict == "fail" and f.ci[1] < 1, f"one miss in 64 must exclude 100 %: {f.explain()}"


def test_controls_reject_the_synthetic_truth() -> None:
    p = L1DecayParams()
    meas = _synthetic(-1.0)
    fits = _fits(meas, p)
    for control in CONTROLS:
        mutated = control.apply(fits, meas, p, _judge(p))
        assert mutated and all(f.verdict == "fail" for f in mutated), (
            f"control {control.id} not rejected: {[f.explain() for f in mutated]}"
        )


def test_claim_carries_the_dsolve_prediction() -> None:
    claim = CLAIM
    d = claim.derive(claim.params["standard"])
    assert d.to_dict()["sympy"] == "1/(lambda*rho*t + 1/S0)"
    assert d.values["l1_slope_limit"] == -1.0 and d.values["support_slope_limit"] == -2.0
    assert {c.id for c in claim.controls} >= {
        "l1-slope-half",
        "support-slope-one",
        "random-survivor",
    }
    assert set(claim.deviations) == {"sgd-slope"}
