"""The fused trainer against torch autograd and torch.optim, plus determinism and divergence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from sim import ParamError
from sim.autoencoder import (
    AutoencoderParams,
    DivergenceError,
    _noise_shape,
    draw_noise,
    fused_loss_and_grad,
    log_steps,
    reference_loss,
    train,
)

NOISE_CASES = [
    ("none", "step"),
    ("bernoulli", "step"),
    ("gaussian", "instance"),
    ("uniform", "sample"),
    ("laplace", "sample"),
]
TOL = {"float32": 1e-5, "float64": 1e-12}


def _case(dtype: str, relu: bool, noise: str, scope: str, l1: float) -> str:
    return f"dtype={dtype}, output_relu={relu}, noise={noise}/{scope}, l1={l1}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("relu", [True, False], ids=["relu", "linear"])
@pytest.mark.parametrize(("noise", "scope"), NOISE_CASES, ids=[f"{n}-{s}" for n, s in NOISE_CASES])
@pytest.mark.parametrize("l1", [0.0, 0.05])
def test_fused_gradient_matches_autograd(
    dtype: str, relu: bool, noise: str, scope: str, l1: float
) -> None:
    p = AutoencoderParams(
        n=6,
        m=11,
        instances=3,
        l1=l1,
        output_relu=relu,
        noise=noise,  # type: ignore[arg-type]
        sigma=0.3 if noise != "none" else 0.0,
        noise_scope=scope,
        dtype=dtype,  # type: ignore[arg-type]
    )
    dt = getattr(torch, dtype)
    gen = torch.Generator().manual_seed(7)
    W = torch.randn(3, 6, 11, generator=gen, dtype=dt) * 0.6
    xi = (
        draw_noise(p, _noise_shape(p), gen, dtype=dt, device=torch.device("cpu"))
        if noise != "none"
        else None
    )
    loss, grad = fused_loss_and_grad(W, xi, p)
    Wr = W.clone().requires_grad_(True)
    ref = reference_loss(Wr, xi, p)
    ref.sum().backward()
    assert Wr.grad is not None
    err = float((grad - Wr.grad).norm() / Wr.grad.norm())
    lerr = float((loss - ref.detach()).abs().max() / ref.detach().abs().max())
    case = _case(dtype, relu, noise, scope, l1)
    assert err <= TOL[dtype], (
        f"relative gradient error={err:.3g}, but should be <= {TOL[dtype]} [{case}]"
    )
    assert lerr <= TOL[dtype], (
        f"relative loss error={lerr:.3g}, but should be <= {TOL[dtype]} [{case}]"
    )


@pytest.mark.parametrize(
    ("opt", "wd"), [("sgd", 0.0), ("sgd", 0.1), ("adam", 0.0), ("adam", 0.1), ("adamw", 0.01)]
)
def test_optimizer_steps_match_torch_optim(opt: str, wd: float) -> None:
    """Training 20 steps in float64 equals the same loop driven by torch.optim on autograd."""
    p = AutoencoderParams(
        n=5,
        m=9,
        instances=2,
        steps=20,
        lr=0.01,
        optimizer=opt,
        weight_decay=wd,  # type: ignore[arg-type]
        l1=0.02,
        dtype="float64",
        seed=3,
    )
    ours = train(p)
    W = torch.from_numpy(ours.W_init.copy()).requires_grad_(True)
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[opt]
    torch_opt = cls([W], lr=p.lr, weight_decay=wd)
    for _ in range(p.steps):
        torch_opt.zero_grad()
        reference_loss(W, None, p).sum().backward()
        torch_opt.step()
    diff = float(np.abs(W.detach().numpy() - ours.W_final).max())
    assert diff < 1e-10, (
        f"max |W_ours - W_torch|={diff:.3g}, but should be < 1e-10 [optimizer={opt}, wd={wd}]"
    )


def test_same_seed_same_numbers_different_seed_different() -> None:
    p = AutoencoderParams(
        n=4,
        m=8,
        instances=2,
        steps=50,
        lr=0.05,
        optimizer="sgd",
        l1=0.01,
        noise="bernoulli",
        sigma=0.1,
    )
    a, b = train(p), train(p)
    c = train(dataclasses.replace(p, seed=1))
    assert np.array_equal(a.W_final, b.W_final), "same seed gave different weights"
    assert not np.array_equal(a.W_final, c.W_final), "different seeds gave identical weights"


def test_metrics_recorded_at_log_steps() -> None:
    p = AutoencoderParams(n=3, m=5, instances=2, steps=100, lr=0.01, log_points=10)
    out = train(p, metrics={"norm": lambda W: W.norm(dim=-1)})
    assert out.steps[0] == 0 and out.steps[-1] == 100
    assert out.metrics["norm"].shape == (len(out.steps), 2, 3), f"shape={out.metrics['norm'].shape}"
    assert out.loss.shape == (len(out.steps), 2)


def test_log_steps() -> None:
    s = log_steps(7500, 40)
    assert s[0] == 0 and s[-1] == 7500 and np.all(np.diff(s) > 0) and 30 <= len(s) <= 42, f"{s}"
    assert list(log_steps(1, 5)) == [0, 1]


def test_init_is_normal_with_std_one_over_sqrt_m() -> None:
    out = train(AutoencoderParams(n=64, m=400, instances=4, steps=1, lr=1e-9))
    std = float(out.W_init.std())
    assert abs(std - 0.05) < 0.001, f"init std={std}, but should be 1/sqrt(400)=0.05"


def test_noise_has_the_stated_variance() -> None:
    gen = torch.Generator().manual_seed(0)
    for noise, kurt in [
        ("bernoulli", -2.0),
        ("gaussian", 0.0),
        ("uniform", -1.2),
        ("laplace", 3.0),
    ]:
        p = AutoencoderParams(noise=noise, sigma=0.5)  # type: ignore[arg-type]
        x = draw_noise(p, (400_000,), gen, dtype=torch.float64, device=torch.device("cpu")).numpy()
        var, ex = x.var(), (x**4).mean() / x.var() ** 2 - 3
        assert abs(var - 0.25) < 0.005, f"var={var}, but should be 0.25 [noise={noise}]"
        assert abs(ex - kurt) < 0.15, f"excess kurtosis={ex}, but should be {kurt} [noise={noise}]"


def test_divergence_raises_with_the_step() -> None:
    p = AutoencoderParams(
        n=8, m=16, instances=2, steps=500, lr=1000.0, optimizer="sgd", check_every=50
    )
    with pytest.raises(DivergenceError, match=r"diverged at step \d+") as info:
        train(p)
    assert 0 < info.value.step <= 500 and "lr=1000.0" in str(info.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n", 0),
        ("m", -3),
        ("steps", 0),
        ("lr", 0.0),
        ("lr", float("nan")),
        ("l1", -1e-3),
        ("sigma", -0.1),
        ("optimizer", "rmsprop"),
        ("noise", "poisson"),
        ("noise_scope", "batch"),
        ("dtype", "float16"),
        ("instances", 1.5),
        ("weight_decay", float("inf")),
        ("device", "tpu"),
    ],
)
def test_bad_params_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ParamError, match=field) as info:
        AutoencoderParams(**{field: value})  # type: ignore[arg-type]
    assert info.value.field == field and "allowed" in str(info.value)


def test_noise_without_sigma_is_an_error() -> None:
    with pytest.raises(ParamError, match="sigma"):
        AutoencoderParams(noise="gaussian", sigma=0.0)


def test_record_steps_are_recorded_exactly() -> None:
    p = AutoencoderParams(
        n=3, m=5, instances=2, steps=1000, lr=0.05, log_points=5, record_steps=(333, 777)
    )
    out = train(p)
    assert {333, 777} <= set(out.steps.tolist()), (
        f"recorded {out.steps.tolist()}, asked for 333 and 777"
    )
    assert out.steps[0] == 0 and out.steps[-1] == 1000 and np.all(np.diff(out.steps) > 0)
    plain = train(dataclasses.replace(p, record_steps=()))
    np.testing.assert_array_equal(
        out.W_final, plain.W_final, err_msg="recording must not change training"
    )


@pytest.mark.parametrize("bad", [(1001,), (-1,), (2.5,), [10]])
def test_record_steps_out_of_range_is_named(bad: object) -> None:
    with pytest.raises(ParamError, match="record_steps"):
        AutoencoderParams(n=3, m=5, steps=1000, record_steps=bad)  # type: ignore[arg-type]
