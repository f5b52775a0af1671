"""Property tests (hypothesis) of the theory and the simulator across random hyperparameters.

Draws are labelled, so a failure prints a reproducible case; the ``ci`` profile is derandomized.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, note
from hypothesis import strategies as st

from claims import fitting
from sim import ParamError
from sim.autoencoder import (
    _FLAT,
    AutoencoderParams,
    _noise_shape,
    draw_noise,
    fused_loss_and_grad,
    reference_loss,
)
from sim.balls_bins import static_collisions
from theory import collisions

from ._strategies import widen

NOISE_SCOPES = [
    ("none", "step"),
    ("bernoulli", "step"),
    ("gaussian", "instance"),
    ("uniform", "sample"),
    ("laplace", "instance"),
]


@given(data=st.data())
def test_fused_gradient_equals_autograd_for_random_hyperparameters(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, widen(12, 40)), label="n")
    m = data.draw(st.integers(1, widen(24, 80)), label="m")
    b = data.draw(st.integers(1, 3), label="instances")
    l1 = data.draw(st.floats(0.0, 0.5), label="l1")
    noise, scope = data.draw(st.sampled_from(NOISE_SCOPES), label="noise/scope")
    relu = data.draw(st.booleans(), label="relu (else activation none)")
    scale = data.draw(st.floats(0.05, 2.0), label="weight scale")
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    p = AutoencoderParams.flat(
        n=n,
        m=m,
        instances=b,
        l1=l1,
        noise=noise,
        sigma=0.2 if noise != "none" else 0.0,  # type: ignore[arg-type]
        noise_scope=scope,
        activation="relu" if relu else "none",
        dtype="float64",
    )  # type: ignore[arg-type]
    gen = torch.Generator().manual_seed(seed)
    W = torch.randn(b, n, m, generator=gen, dtype=torch.float64) * scale
    xi = (
        draw_noise(p, _noise_shape(p), gen, dtype=torch.float64, device=torch.device("cpu"))
        if noise != "none"
        else None
    )
    _, grad = fused_loss_and_grad(W, xi, p)
    Wr = W.clone().requires_grad_(True)
    reference_loss(Wr, xi, p).sum().backward()
    assert Wr.grad is not None
    denom = max(float(Wr.grad.norm()), 1e-300)
    err = float((grad - Wr.grad).norm()) / denom
    note(f"relative error {err:.3g}")
    assert err <= 1e-12, f"relative gradient error={err:.3g}, but should be <= 1e-12 [{p}]"


@given(n=st.integers(1, widen(60, 300)), m=st.integers(1, widen(200, 5000)))
def test_exact_collision_expectation_equals_monte_carlo(n: int, m: int) -> None:
    rng = np.random.default_rng(n * 100_003 + m)
    counts = static_collisions(n, m, trials=4000, rng=rng)
    exact = collisions.predict_exact(n, m)
    if counts.min() == counts.max():  # no spread: the exact value must equal it
        assert math.isclose(exact, counts[0], abs_tol=1e-3), (
            f"exact={exact}, MC constant {counts[0]} [n={n}, m={m}]"
        )
        return
    est = fitting.mean_ci(counts, confidence=0.9999)
    assert est.lo <= exact <= est.hi, f"exact={exact}, but MC 99.99% CI is {est.ci} [n={n}, m={m}]"


@given(n=st.integers(2, 400), m=st.integers(1, 10**6))
def test_exact_expectation_is_bounded_and_below_pairs(n: int, m: int) -> None:
    """0 ≤ E ≤ min(m, n/2, C(n,2)/m): a neuron needs two features, each pair collides w.p. 1/m."""
    e = collisions.predict_exact(n, m)
    assert -1e-9 <= e <= min(m, n / 2, n * (n - 1) / (2 * m)) + 1e-9, f"E={e} [n={n}, m={m}]"


# --- invalid configurations: a named ParamError, never a NaN result or a torch traceback -----

_BAD_VALUES = {
    "n": st.one_of(st.integers(max_value=0), st.just(2.5), st.just("8")),
    "m": st.one_of(st.integers(max_value=0), st.just(float("nan"))),
    "instances": st.integers(max_value=0),
    "steps": st.integers(max_value=0),
    "lr": st.one_of(st.floats(max_value=0.0), st.just(float("inf")), st.just(float("nan"))),
    "l1": st.one_of(st.floats(max_value=-1e-12, allow_infinity=False), st.just(float("nan"))),
    "weight_decay": st.one_of(
        st.floats(max_value=-1e-12, allow_infinity=False), st.just(float("inf"))
    ),
    "sigma": st.floats(max_value=-1e-12, allow_infinity=False),
    "optimizer": st.text(min_size=1).filter(lambda s: s not in ("sgd", "adam", "adamw")),
    "noise": st.text(min_size=1).filter(
        lambda s: s not in ("none", "bernoulli", "gaussian", "uniform", "laplace")
    ),
    "noise_scope": st.sampled_from(["batch", "global", ""]),
    "dtype": st.sampled_from(["float16", "bfloat16", "int32"]),
    "device": st.sampled_from(["tpu", "gpu", ""]),
    "seed": st.integers(max_value=-1),
    "init_std": st.one_of(st.floats(max_value=0.0), st.just(float("inf"))),
}


@given(data=st.data())
def test_invalid_autoencoder_params_raise_a_named_error(data: st.DataObject) -> None:
    field = data.draw(st.sampled_from(sorted(_BAD_VALUES)), label="field")
    value = data.draw(_BAD_VALUES[field], label="value")
    with pytest.raises(ParamError) as info:
        AutoencoderParams.flat(**{field: value})  # type: ignore[arg-type]
    path = ".".join(_FLAT.get(field, (field,)))  # the grouped field's dotted path
    assert info.value.field == path, (
        f"error names {info.value.field!r}, but should name {path!r} [{value!r}]"
    )
    assert "allowed" in str(info.value)


# --- the reduced L1 flow -----------------------------------------------------------------------


@given(data=st.data())
def test_fast_flow_matches_fine_euler_and_keeps_the_norm_below_one(data: st.DataObject) -> None:
    """For random m, λ and init scale: the exact fast integrator agrees with a fine Euler run
    (first order in dt, so dt = 0.05 is within 2 % after the O(1) transient) and ‖w‖₂² stays ≤ 1.
    Order preservation is
    tests/test_reduced_ode.py::test_euler_keeps_the_order_so_the_argmax_survives."""
    from sim.reduced_ode import ReducedODEParams, euler, fast

    m = data.draw(st.integers(50, widen(1500, 5000)), label="m")
    lam = 10 ** data.draw(st.floats(-4.0, -2.0), label="log10 λ")
    scale = data.draw(st.floats(0.3, 0.95), label="init_scale")
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    p = ReducedODEParams(m=m, l1=lam, init_scale=scale, dt=0.05, seed=seed)
    times = np.geomspace(5.0, 0.3 / lam, 12)
    ref = fast(p, times, to_end=False)
    eul = euler(p, times, to_end=False)
    err = float(np.max(np.abs(eul.l1 / ref.l1 - 1)))
    note(f"max relative ‖w‖₁ difference {err:.3g}")
    assert err < 0.02, (
        f"fast vs Euler(dt=0.05): max rel. ‖w‖₁ difference {err:.3g}, but should be < 0.02 [{p}]"
    )
    assert np.all(ref.sq_norm <= 1 + 1e-9), (
        f"‖w‖₂² = {ref.sq_norm.max()}, but should stay ≤ 1 [{p}]"
    )
