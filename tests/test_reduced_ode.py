"""sim.reduced_ode: the two integrators of the single-feature L1 flow against known answers and
against each other."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from sim import ParamError
from sim.reduced_ode import ReducedODEParams, euler, fast, initial_weights


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a, float) / np.asarray(b, float) - 1.0)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("m", 1),
        ("l1", 0.0),
        ("l1", 0.5),
        ("init_scale", 0.0),
        ("dt", 1.5),
        ("seed", -1),
        ("rtol", 0.1),
    ],
)
def test_params_reject_bad_values(field: str, value: object) -> None:
    with pytest.raises(ParamError) as err:
        dataclasses.replace(ReducedODEParams(), **{field: value})
    assert err.value.field == field, (
        f"ParamError names {err.value.field!r}, but should name {field!r}"
    )


def test_initial_weights_are_seeded_half_normal() -> None:
    p = ReducedODEParams(m=200_000, seed=3)
    w = initial_weights(p)
    assert np.array_equal(w, initial_weights(p)), "same seed gave different weights"
    assert not np.array_equal(w, initial_weights(dataclasses.replace(p, seed=4))), (
        "seeds 3 and 4 gave the same weights"
    )
    assert w.shape == (p.m,) and np.all(w >= 0)
    mean = p.init_scale * math.sqrt(2 / (math.pi * p.m))  # E|N(0, c²/m)|
    sem = p.init_scale / math.sqrt(p.m) * math.sqrt(1 - 2 / math.pi) / math.sqrt(p.m)
    assert abs(w.mean() - mean) < 5 * sem, (
        f"mean |w0| = {w.mean():.6g}, but should be {mean:.6g} ± {5 * sem:.2g}"
    )


def test_fast_matches_full_flow_on_a_small_system() -> None:
    """m = 6: the m-dimensional flow itself, solved by solve_ivp with a death event per
    coordinate, against the two-dimensional reduction."""
    w0 = np.array([0.5, 0.42, 0.3, 0.2, 0.11, 0.05])
    p = ReducedODEParams(m=w0.size, l1=0.02, rtol=1e-10)
    times = np.array([0.5, 2.0, 5.0, 10.0, 20.0, 40.0])
    # brute force: integrate the live coordinates, drop one when it hits 0, restart
    t, w, live = 0.0, w0.copy(), np.ones(w0.size, bool)
    expect_l1, expect_sup = [], []
    pending = list(times)
    while pending:

        def rhs(_t: float, y: np.ndarray) -> np.ndarray:
            return (1 - y @ y) * y - p.l1

        def hit(_t: float, y: np.ndarray) -> float:
            return float(y.min())

        hit.terminal = True  # type: ignore[attr-defined]
        sol = solve_ivp(
            rhs, (t, pending[-1]), w[live], events=hit, dense_output=True, rtol=1e-11, atol=1e-13
        )
        stop = sol.t[-1]
        while pending and pending[0] <= stop:
            y = sol.sol(pending.pop(0))
            expect_l1.append(y.sum())
            expect_sup.append(live.sum())
        t = stop
        w[live] = sol.y[:, -1]
        if sol.status == 1:  # a coordinate reached 0
            w[live & (w <= 1e-9)] = 0.0
            live &= w > 1e-9
    got = fast(p, times, w0=w0)
    assert _rel(got.l1, expect_l1) < 1e-6, f"‖w‖₁ {got.l1} vs full flow {expect_l1}"
    assert np.array_equal(got.support, expect_sup), f"m′ {got.support} vs full flow {expect_sup}"


def test_lone_coordinate_reaches_its_fixed_point() -> None:
    """After the others die, w solves (1 − w²)w = λ: the root near 1."""
    p = ReducedODEParams(m=3, l1=0.05, rtol=1e-10)
    w0 = np.array([0.6, 0.2, 0.1])
    got = fast(p, [100.0], w0=w0, to_end=False)
    roots = np.roots([-1.0, 0.0, 1.0, -p.l1])
    star = float(max(r.real for r in roots if abs(r.imag) < 1e-12))
    assert got.support[0] == 1 and abs(got.l1[0] - star) < 1e-8, (
        f"w = {got.l1[0]}, but should be {star}"
    )


@pytest.fixture(scope="module")
def paper_like() -> tuple[ReducedODEParams, np.ndarray]:
    p = ReducedODEParams(m=5000, l1=3e-4, rtol=1e-9)
    times = np.round(np.geomspace(10, 1.2 / p.l1, 25) / p.dt) * p.dt  # past the O(1) norm transient
    return p, times


def test_euler_converges_to_fast_at_first_order(
    paper_like: tuple[ReducedODEParams, np.ndarray],
) -> None:
    p, times = paper_like
    ref = fast(p, times)
    errs = {}
    for dt in (0.5, 0.25, 0.125):
        e = euler(dataclasses.replace(p, dt=dt), times)
        errs[dt] = _rel(e.l1, ref.l1)
        assert e.survivor == ref.survivor, (
            f"dt={dt}: survivor {e.survivor}, but should be {ref.survivor}"
        )
        assert abs(e.t_end - ref.t_end) < 0.02 * ref.t_end, (
            f"dt={dt}: t_end {e.t_end} vs {ref.t_end}"
        )
    for hi, lo in ((0.5, 0.25), (0.25, 0.125)):
        ratio = errs[hi] / errs[lo]
        assert 1.6 < ratio < 2.5, (
            f"error ratio dt={hi}/{lo} is {ratio:.3g}, but should be ≈ 2 (first order); {errs}"
        )
    assert errs[0.125] < 5e-3, f"Euler dt=0.125 is {errs[0.125]:.2g} from the fast flow"


def test_fast_identities_of_the_flow(paper_like: tuple[ReducedODEParams, np.ndarray]) -> None:
    """d‖w‖₁/dt = (1 − ‖w‖²)‖w‖₁ − λm′ (finite differences), the norm balance, and ρ(0) of a
    half-normal sample."""
    p, _ = paper_like
    mid = 0.05 / p.l1
    h = 1e-3 * mid
    tr = fast(p, [mid - h, mid, mid + h, 0.0])
    rate = (tr.l1[2] - tr.l1[0]) / (2 * h)
    gap = 1 - tr.sq_norm[1]
    expect = gap * tr.l1[1] - p.l1 * tr.support[1]
    assert abs(rate / expect - 1) < 1e-3, f"d‖w‖₁/dt = {rate:.6g}, but should be {expect:.6g}"
    balance = p.l1 * tr.l1[1] / tr.sq_norm[1]
    assert abs(gap / balance - 1) < 0.02, (
        f"1 − ‖w‖² = {gap:.4g}, but the balance gives {balance:.4g}"
    )
    rho0 = tr.rho[3]
    assert abs(rho0 - (math.pi / 2 - 1)) < 0.05, (
        f"ρ(0) = {rho0:.4f}, but should be π/2 − 1 = 0.5708"
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    w0=st.lists(st.floats(0.01, 0.6), min_size=2, max_size=40, unique=True).map(np.array),
    lam=st.floats(0.002, 0.05),
)
def test_euler_keeps_the_order_so_the_argmax_survives(w0: np.ndarray, lam: float) -> None:
    """The Euler map w ↦ w + ((1 − ‖w‖²)w − λ)dt is the same increasing map for every k."""
    w0 = w0 / max(1.0, float(np.linalg.norm(w0)) / 0.9)
    top = np.sort(w0)
    if top[-1] - top[-2] < 1e-6:  # a near-tie takes ~ln(1/gap)/λ to resolve: not this test's point
        return
    p = ReducedODEParams(m=w0.size, l1=lam, dt=0.5)
    got = euler(p, w0=w0)
    assert got.survivor == int(np.argmax(w0)), (
        f"survivor {got.survivor}, initial argmax {int(np.argmax(w0))}, w0={w0}"
    )
    assert got.t_end > 0


def test_to_end_false_stops_at_the_last_time() -> None:
    p = ReducedODEParams(m=1000, l1=1e-3)
    for run in (euler, fast):
        tr = run(p, [10.0, 100.0], to_end=False)
        assert math.isnan(tr.t_end) and tr.support[-1] > 1, (
            f"{run.__name__}: t_end={tr.t_end}, m′={tr.support}"
        )


def test_tied_top_weights_never_end_and_say_so() -> None:
    p = ReducedODEParams(m=3, l1=0.2)
    w0 = np.array([0.5, 0.5, 0.1])
    for run in (euler, fast):
        with pytest.raises(RuntimeError, match="m′"):
            run(p, w0=w0)


def test_bad_initial_weights_are_rejected() -> None:
    p = ReducedODEParams(m=4)
    with pytest.raises(ParamError, match="w0"):
        fast(p, w0=np.ones(5))
    with pytest.raises(ParamError, match="w0"):
        euler(p, w0=np.array([0.1, -0.1, 0.2, 0.3]))
    with pytest.raises(ParamError, match="times"):
        fast(p, [-1.0])
