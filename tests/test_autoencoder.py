"""The fused trainer against torch autograd and torch.optim, plus determinism and divergence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from sim import ParamError
from sim.autoencoder import (
    _FLAT,
    AutoencoderParams,
    DivergenceError,
    _gelu_and_slope,
    _noise_shape,
    data_loss_and_grad,
    draw_inputs,
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
    return f"dtype={dtype}, activation={'relu' if relu else 'none'}, noise={noise}/{scope}, l1={l1}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("relu", [True, False], ids=["relu", "linear"])
@pytest.mark.parametrize(("noise", "scope"), NOISE_CASES, ids=[f"{n}-{s}" for n, s in NOISE_CASES])
@pytest.mark.parametrize("l1", [0.0, 0.05])
def test_fused_gradient_matches_autograd(
    dtype: str, relu: bool, noise: str, scope: str, l1: float
) -> None:
    p = AutoencoderParams.flat(
        n=6,
        m=11,
        instances=3,
        l1=l1,
        activation="relu" if relu else "none",
        noise=noise,  # type: ignore[arg-type]
        sigma=0.3 if noise != "none" else 0.0,
        noise_scope=scope,
        dtype=dtype,  # type: ignore[arg-type]
    )
    _check_against_autograd(p, (3, 6, 11), _case(dtype, relu, noise, scope, l1))


def _check_against_autograd(p: AutoencoderParams, shape: tuple[int, ...], case: str) -> None:
    """The fused loss and gradient at a random W of ``shape`` (and a noise draw when ``p`` has
    noise) against autograd on :func:`reference_loss`, both within TOL[p.dtype] relative."""
    dt = getattr(torch, p.dtype)
    gen = torch.Generator().manual_seed(7)
    W = torch.randn(*shape, generator=gen, dtype=dt) * 0.6
    xi = (
        draw_noise(p, _noise_shape(p), gen, dtype=dt, device=torch.device("cpu"))
        if p.noise.kind != "none"
        else None
    )
    loss, grad = fused_loss_and_grad(W, xi, p)
    assert grad.shape == W.shape, f"gradient shape {tuple(grad.shape)}, not {tuple(W.shape)}"
    Wr = W.clone().requires_grad_(True)
    ref = reference_loss(Wr, xi, p)
    ref.sum().backward()
    assert Wr.grad is not None
    err = float((grad - Wr.grad).norm() / Wr.grad.norm())
    lerr = float((loss - ref.detach()).abs().max() / ref.detach().abs().max())
    assert err <= TOL[p.dtype], (
        f"relative gradient error={err:.3g}, but should be <= {TOL[p.dtype]} [{case}]"
    )
    assert lerr <= TOL[p.dtype], (
        f"relative loss error={lerr:.3g}, but should be <= {TOL[p.dtype]} [{case}]"
    )


@pytest.mark.parametrize(
    ("opt", "wd"), [("sgd", 0.0), ("sgd", 0.1), ("adam", 0.0), ("adam", 0.1), ("adamw", 0.01)]
)
def test_optimizer_steps_match_torch_optim(opt: str, wd: float) -> None:
    """Training 20 steps in float64 equals the same loop driven by torch.optim on autograd."""
    p = AutoencoderParams.flat(
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
    torch_opt = cls([W], lr=p.optimiser.lr, weight_decay=wd)
    for _ in range(p.optimiser.steps):
        torch_opt.zero_grad()
        reference_loss(W, None, p).sum().backward()
        torch_opt.step()
    diff = float(np.abs(W.detach().numpy() - ours.W_final).max())
    assert diff < 1e-10, (
        f"max |W_ours - W_torch|={diff:.3g}, but should be < 1e-10 [optimizer={opt}, wd={wd}]"
    )


def test_same_seed_same_numbers_different_seed_different() -> None:
    p = AutoencoderParams.flat(
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
    p = AutoencoderParams.flat(n=3, m=5, instances=2, steps=100, lr=0.01, log_points=10)
    out = train(p, metrics={"norm": lambda W: W.norm(dim=-1)})
    assert out.steps[0] == 0 and out.steps[-1] == 100
    assert out.metrics["norm"].shape == (len(out.steps), 2, 3), f"shape={out.metrics['norm'].shape}"
    assert out.loss.shape == (len(out.steps), 2)


def test_log_steps() -> None:
    s = log_steps(7500, 40)
    assert s[0] == 0 and s[-1] == 7500 and np.all(np.diff(s) > 0) and 30 <= len(s) <= 42, f"{s}"
    assert list(log_steps(1, 5)) == [0, 1]


def test_init_is_normal_with_std_one_over_sqrt_m() -> None:
    out = train(AutoencoderParams.flat(n=64, m=400, instances=4, steps=1, lr=1e-9))
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
        p = AutoencoderParams.flat(noise=noise, sigma=0.5)  # type: ignore[arg-type]
        x = draw_noise(p, (400_000,), gen, dtype=torch.float64, device=torch.device("cpu")).numpy()
        var, ex = x.var(), (x**4).mean() / x.var() ** 2 - 3
        assert abs(var - 0.25) < 0.005, f"var={var}, but should be 0.25 [noise={noise}]"
        assert abs(ex - kurt) < 0.15, f"excess kurtosis={ex}, but should be {kurt} [noise={noise}]"


def test_divergence_raises_with_the_step() -> None:
    p = AutoencoderParams.flat(
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
    path = ".".join(_FLAT.get(field, (field,)))  # the grouped field's dotted path
    with pytest.raises(ParamError, match=path) as info:
        AutoencoderParams.flat(**{field: value})  # type: ignore[arg-type]
    assert info.value.field == path and "allowed" in str(info.value)


def test_noise_without_sigma_is_an_error() -> None:
    with pytest.raises(ParamError, match="sigma"):
        AutoencoderParams.flat(noise="gaussian", sigma=0.0)


def test_record_steps_are_recorded_exactly() -> None:
    p = AutoencoderParams.flat(
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
        AutoencoderParams.flat(n=3, m=5, steps=1000, record_steps=bad)  # type: ignore[arg-type]


# -- architectures: GeLU output, untied encoder and decoder (catalogue P2-ARCH) --------------------

ARCH_CASES = [
    (tied, act, noise, scope)
    for tied, act in [(True, "gelu"), (False, "relu"), (False, "gelu"), (False, "none")]
    for noise, scope in (NOISE_CASES if tied else NOISE_CASES[:1])
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("tied", "act", "noise", "scope"),
    ARCH_CASES,
    ids=[f"{'tied' if t else 'untied'}-{a}-{n}-{s}" for t, a, n, s in ARCH_CASES],
)
@pytest.mark.parametrize("l1", [0.0, 0.05])
def test_architecture_gradient_matches_autograd(
    dtype: str, tied: bool, act: str, noise: str, scope: str, l1: float
) -> None:
    """The closed-form gradient of the GeLU output (D = (y − I) ⊙ GeLU'(Z), GeLU' from the erf
    form) and of untied weights (∂L/∂E = 2RD, ∂L/∂D = 2RᵀE) against autograd on the plain
    formula, whose GeLU is torch.nn.functional.gelu."""
    p = AutoencoderParams.flat(
        n=6,
        m=11,
        instances=3,
        l1=l1,
        activation=act,  # type: ignore[arg-type]
        tied=tied,
        noise=noise,  # type: ignore[arg-type]
        sigma=0.3 if noise != "none" else 0.0,
        noise_scope=scope,  # type: ignore[arg-type]
        dtype=dtype,  # type: ignore[arg-type]
    )
    shape = (3, 6, 11) if tied else (2, 3, 6, 11)
    case = f"dtype={dtype}, tied={tied}, activation={act}, noise={noise}/{scope}, l1={l1}"
    _check_against_autograd(p, shape, case)


def test_gelu_and_slope_match_torch() -> None:
    """GeLU and its derivative from the erf form equal torch's exact GeLU and its autograd."""
    z = torch.linspace(-6.0, 6.0, 2001, dtype=torch.float64).view(1, 1, -1)
    value, slope, tmp = torch.empty_like(z), torch.empty_like(z), torch.empty_like(z)
    _gelu_and_slope(z, value, slope, tmp)
    zr = z.clone().requires_grad_(True)
    ref = torch.nn.functional.gelu(zr)
    ref.sum().backward()
    assert zr.grad is not None
    verr = float((value - ref.detach()).abs().max())
    serr = float((slope - zr.grad).abs().max())
    assert verr < 1e-14, f"max |GeLU − torch gelu|={verr:.3g}, but should be < 1e-14"
    assert serr < 1e-14, f"max |GeLU' − autograd|={serr:.3g}, but should be < 1e-14"


def _plain_data_loss(
    W: torch.Tensor, X: torch.Tensor, w: torch.Tensor, xi: torch.Tensor | None, l1: float
) -> torch.Tensor:
    """Σ_rows ω Σ_j (GeLU(W(Wᵀx + ξ)) − x)² + λ‖W‖₁, the plain formula with torch's GeLU."""
    H = X @ W if xi is None else X @ W + xi
    Y = torch.nn.functional.gelu(H @ W.transpose(1, 2))
    return ((Y - X) ** 2 * w.view(1, -1, 1)).sum(dim=(1, 2)) + l1 * W.abs().sum(dim=(1, 2))


@pytest.mark.parametrize(("noise", "scope"), [("none", "step"), ("gaussian", "instance")])
def test_gelu_data_path_matches_autograd(noise: str, scope: str) -> None:
    """GeLU on the co-occurrence path (data != "basis"): explicit inputs against autograd, and the
    hot loop's implicit one-hot rows against the same inputs made explicit."""
    from sim.autoencoder import _DataWorkspace  # the training loop's workspace, tested directly

    p = AutoencoderParams.flat(
        n=5,
        m=7,
        instances=3,
        data="bernoulli-uniform",
        p=0.3,
        batch=6,
        l1=0.05,
        activation="gelu",
        noise=noise,  # type: ignore[arg-type]
        sigma=0.1 if noise != "none" else 0.0,
        noise_scope=scope,  # type: ignore[arg-type]
        dtype="float64",
    )
    gen = torch.Generator().manual_seed(1)
    W = torch.randn(3, 5, 7, dtype=torch.float64, generator=gen) * 0.5
    X, w = draw_inputs(p, gen, dtype=torch.float64)
    xi = (
        None
        if noise == "none"
        else draw_noise(p, (3, 1, 7), gen, dtype=torch.float64, device=torch.device("cpu"))
    )
    loss, grad = data_loss_and_grad(W, X, w, xi, p)
    Wa = W.clone().requires_grad_(True)
    ref = _plain_data_loss(Wa, X, w, xi, p.optimiser.l1)
    ref.sum().backward()
    assert Wa.grad is not None
    err = float((grad - Wa.grad).abs().max())
    assert torch.allclose(loss, ref.detach(), atol=1e-12), f"loss={loss}, not {ref} [{noise}]"
    assert err < 1e-12, f"max |grad − autograd|={err:.3g}, but should be < 1e-12 [{noise}]"
    if noise == "none":  # the stratified hot loop: n implicit one-hot rows + sampled rows
        ws = _DataWorkspace(W, p, torch.Generator().manual_seed(0))
        hot = ws.evaluate(W, None).clone()
        Xh, wh = ws.inputs()
        ref_loss, ref_grad = data_loss_and_grad(W, Xh, wh, None, p)
        gerr = float((ws.grad - ref_grad).abs().max())
        assert torch.allclose(hot, ref_loss, atol=1e-12), f"hot-loop loss {hot}, not {ref_loss}"
        assert gerr < 1e-12, f"hot-loop gradient off by {gerr:.3g}, but should be < 1e-12"


@pytest.mark.parametrize(("opt", "act"), [("sgd", "relu"), ("adamw", "gelu"), ("sgd", "none")])
def test_untied_training_matches_torch_optim(opt: str, act: str) -> None:
    """20 untied steps in float64 equal torch.optim driving autograd on the plain formula with the
    same (E, D) init; the result carries the encoder in W_* and the decoder in D_*."""
    p = AutoencoderParams.flat(
        n=5,
        m=9,
        instances=2,
        steps=20,
        lr=0.02,
        optimizer=opt,  # type: ignore[arg-type]
        weight_decay=0.01 if opt == "adamw" else 0.0,
        l1=0.02,
        tied=False,
        activation=act,  # type: ignore[arg-type]
        dtype="float64",
        seed=3,
    )
    ours = train(p)
    assert ours.D_init is not None and ours.D_final is not None
    for name in ("W_init", "W_final", "D_init", "D_final"):
        shape = getattr(ours, name).shape
        assert shape == (2, 5, 9), f"{name}.shape={shape}, but should be (2, 5, 9)"
    P = torch.from_numpy(np.stack([ours.W_init, ours.D_init])).requires_grad_(True)
    cls = {"sgd": torch.optim.SGD, "adamw": torch.optim.AdamW}[opt]
    torch_opt = cls([P], lr=p.optimiser.lr, weight_decay=p.optimiser.weight_decay)
    for _ in range(p.optimiser.steps):
        torch_opt.zero_grad()
        reference_loss(P, None, p).sum().backward()
        torch_opt.step()
    final = P.detach().numpy()
    diff = max(
        float(np.abs(final[0] - ours.W_final).max()), float(np.abs(final[1] - ours.D_final).max())
    )
    assert diff < 1e-10, (
        f"max |(E, D)_ours − (E, D)_torch|={diff:.3g}, but should be < 1e-10 "
        f"[optimizer={opt}, activation={act}]"
    )


def test_untied_encoder_starts_from_the_tied_init() -> None:
    """E is drawn first, so an untied run starts its encoder where the tied run of the same seed
    starts W; D is an independent draw; a tied run carries no decoder."""
    p = AutoencoderParams.flat(n=4, m=16, instances=3, steps=1, lr=1e-9, seed=5)
    tied, untied = train(p), train(p.replace(model={"tied": False}))
    assert tied.D_init is None and tied.D_final is None, "a tied run has no separate decoder"
    assert untied.D_init is not None
    np.testing.assert_array_equal(
        untied.W_init, tied.W_init, err_msg="E_init should equal the tied W_init of the seed"
    )
    corr = float(np.corrcoef(untied.W_init.ravel(), untied.D_init.ravel())[0, 1])
    assert abs(corr) < 0.15, f"corr(E_init, D_init)={corr:.3f}, but they are independent draws"


def test_untied_output_that_starts_off_gets_no_gradient_from_its_target() -> None:
    """Untied ReLU: a feature with E_i·D_i < 0 (and no other feature reaching it) has a dead
    output, so neither its encoder nor its decoder row moves, unlike the tied model, whose
    Z_ii = ‖W_i‖² > 0 is always on."""
    p = AutoencoderParams.flat(n=2, m=3, instances=1, tied=False, dtype="float64")
    E = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 0.5, 0.0]]], dtype=torch.float64)
    D = torch.tensor([[[1.0, 0.0, 0.0], [0.0, -0.5, 0.0]]], dtype=torch.float64)
    _, grad = fused_loss_and_grad(torch.stack([E, D]), None, p)
    dead = float(grad[:, 0, 1].abs().max())
    assert dead == 0.0, f"max |∂L/∂(E_1, D_1)|={dead}, but a dead output passes no gradient"
    assert float(grad[:, 0, 0].abs().max()) == 0.0, "feature 0 reproduces itself exactly"
    _, tied_grad = fused_loss_and_grad(E, None, p.replace(model={"tied": True}))
    assert float(tied_grad[0, 1].abs().max()) > 0.1, "tied: the same row is pulled to norm 1"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"activation": "tanh"}, "model.activation"),
        ({"tied": "no"}, "model.tied"),
        ({"tied": False, "noise": "gaussian", "sigma": 0.1}, "model.tied"),
        ({"tied": False, "data": "bernoulli", "p": 0.1}, "model.tied"),
    ],
)
def test_bad_architecture_params_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ParamError, match=field) as info:
        AutoencoderParams.flat(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field and "allowed" in str(info.value), f"{info.value} [{kwargs}]"
