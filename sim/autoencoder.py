"""Batched tied-weight autoencoder y = ReLU(W (Wᵀx + ξ)) trained on the basis vectors.

The model of Lecomte et al.: W has shape (instances, n, m), input e_i, hidden code Wᵀe_i + ξ = W_i + ξ
(row i: no identity batch is multiplied), output o_ij = ReLU(W_j · (W_i + ξ_i)). The loss per
instance is the paper code's summed squared error plus λ‖W‖₁:

    L = Σ_i Σ_j (ReLU(Z_ij) − δ_ij)² + λ Σ |W|,   Z = H Wᵀ,  H = W + ξ.

Its gradient is computed in closed form rather than by autograd. With D = (y − I) ⊙ [Z > 0]:

    ∂L/∂W = 2 (Dᵀ H + D W) + λ sign(W),

and without noise H = W, Z = WWᵀ is symmetric, so ∂L/∂W = 4 D W + λ sign W: two batched matmuls per
step instead of the paper code's five (two of them by an identity batch). Noise shared by the
samples of an instance ("step" / "instance" scope) keeps the cost at two matmuls through
Z = WWᵀ + 1(Wξ)ᵀ and Dᵀ H = Dᵀ W + (Dᵀ1) ξᵀ. ``tests/test_autoencoder.py`` checks the gradient
against torch autograd on the plain formula.

Usage::

    from sim.autoencoder import AutoencoderParams, train
    out = train(AutoencoderParams(n=32, m=128, instances=8, steps=2000, optimizer="adamw", lr=1e-3,
                                  l1=1e-3), metrics={"l1": lambda W: W.abs().sum(-1).mean(-1)})
    out.W_final.shape  # (8, 32, 128)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from ._validate import ParamError, check_choice, check_float, check_int

__all__ = [
    "NOISES",
    "AutoencoderParams",
    "DivergenceError",
    "TrainResult",
    "draw_noise",
    "fused_loss_and_grad",
    "log_steps",
    "reference_loss",
    "train",
]

Optimizer = Literal["sgd", "adam", "adamw"]
Noise = Literal["none", "bernoulli", "gaussian", "uniform", "laplace"]
NoiseScope = Literal["step", "instance", "sample"]
NOISES: tuple[str, ...] = ("none", "bernoulli", "gaussian", "uniform", "laplace")
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class AutoencoderParams:
    """Hyperparameters of one batched training run. Defaults are the paper code's collision
    experiment at a CPU-sized n and m, except weight decay, which is explicit (see below)."""

    n: int = 64  # features (input dimension); the inputs are the n basis vectors e_i
    m: int = 256  # hidden neurons (m >= n in the paper, but any m >= 1 runs)
    instances: int = 8  # independent models trained side by side in one batch
    steps: int = 7500  # optimiser steps (paper code: 7500)
    lr: float = 1e-3  # learning rate (paper code: 1e-3 with AdamW)
    optimizer: Optimizer = "adamw"  # "sgd", "adam" or "adamw" (paper code: AdamW)
    # The paper's code called torch.optim.AdamW without weight_decay, silently using PyTorch's
    # default 0.01; here it is explicit and 0 unless set (the paper scales set 0.01).
    weight_decay: float = 0.0
    l1: float = 0.0  # λ, coefficient of λ‖W‖₁ in the loss (paper code: 1e-3)
    init_std: float | None = None  # std of the N(0, std²) init; None -> 1/sqrt(m), as the paper
    output_relu: bool = True  # the output ReLU; False gives the linear decoder y = W h
    noise: Noise = "none"  # hidden-layer noise ξ, each with variance σ²
    sigma: float = 0.0  # noise standard deviation σ
    # "step": one ξ ∈ R^m per step shared by all inputs and instances (the paper code);
    # "instance": one ξ per instance per step; "sample": independent ξ for every input.
    noise_scope: NoiseScope = "step"
    noise_draws: int = 1  # noise draws averaged per step (gradient noise reduction, P1-N-4b)
    dtype: Literal["float32", "float64"] = "float32"  # compute dtype
    device: str = "cpu"  # torch device
    seed: int = 0  # seeds the init and the noise (a torch.Generator; nothing global)
    log_points: int = 40  # metrics are recorded at about this many log-spaced steps (and step 0)
    check_every: int = 100  # steps between finiteness checks of the loss (exact step is reported)

    def __post_init__(self) -> None:
        check_int("n", self.n, 1)
        check_int("m", self.m, 1)
        check_int("instances", self.instances, 1)
        check_int("steps", self.steps, 1)
        check_float("lr", self.lr, 0.0, lo_open=True)
        check_choice("optimizer", self.optimizer, ("sgd", "adam", "adamw"))
        check_float("weight_decay", self.weight_decay, 0.0)
        check_float("l1", self.l1, 0.0)
        if self.init_std is not None:
            check_float("init_std", self.init_std, 0.0, lo_open=True)
        if not isinstance(self.output_relu, bool):
            raise ParamError("output_relu", self.output_relu, "true or false")
        check_choice("noise", self.noise, NOISES)
        check_float("sigma", self.sigma, 0.0)
        if self.noise != "none" and self.sigma == 0.0:
            raise ParamError("sigma", self.sigma, f"> 0 when noise={self.noise!r}")
        check_choice("noise_scope", self.noise_scope, ("step", "instance", "sample"))
        check_int("noise_draws", self.noise_draws, 1)
        check_choice("dtype", self.dtype, tuple(_DTYPES))
        check_choice("device", str(self.device).split(":")[0], ("cpu", "cuda", "mps"))
        check_int("seed", self.seed, 0)
        check_int("log_points", self.log_points, 1)
        check_int("check_every", self.check_every, 1)

    @property
    def std(self) -> float:
        return self.init_std if self.init_std is not None else 1.0 / math.sqrt(self.m)


class DivergenceError(RuntimeError):
    """The loss became NaN or infinite: reported with the step and the parameters."""

    def __init__(self, step: int, params: AutoencoderParams, loss: float) -> None:
        self.step = step
        self.params = params
        fields = ", ".join(
            f"{k}={getattr(params, k)}" for k in ("n", "m", "optimizer", "lr", "l1", "noise", "sigma")
        )
        super().__init__(f"training diverged at step {step}: loss={loss} ({fields})")


@dataclass(frozen=True, repr=False)
class TrainResult:
    """Initial and final weights, and the metrics recorded at log-spaced steps."""

    params: AutoencoderParams
    W_init: np.ndarray  # (instances, n, m)
    W_final: np.ndarray  # (instances, n, m)
    steps: np.ndarray  # (T,) the steps at which metrics were recorded (0 first, `steps` last)
    metrics: Mapping[str, np.ndarray]  # name -> (T, instances, ...) values
    loss: np.ndarray  # (T, instances) training loss at the recorded steps
    seconds: float

    def __repr__(self) -> str:
        return f"TrainResult(n={self.params.n}, m={self.params.m}, instances={self.params.instances}, steps={self.params.steps})"


Metric = Callable[[torch.Tensor], torch.Tensor]


def log_steps(steps: int, points: int) -> np.ndarray:
    """Step 0 plus about ``points`` log-spaced steps in [1, steps], ending at ``steps``."""
    grid = np.unique(np.round(np.logspace(0, math.log10(steps), points)).astype(int)) if steps > 1 else np.array([1])
    return np.unique(np.concatenate([[0], grid, [steps]]))


def draw_noise(
    params: AutoencoderParams, shape: tuple[int, ...], generator: torch.Generator, *, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """I.i.d. noise with variance σ²: Bernoulli ±σ, Gaussian, uniform on [−√3σ, √3σ], or Laplace
    with scale σ/√2."""
    s = params.sigma
    if params.noise == "bernoulli":
        bits = torch.randint(0, 2, shape, generator=generator, device=device).to(dtype)
        return bits.mul_(2 * s).sub_(s)
    if params.noise == "gaussian":
        return torch.randn(shape, generator=generator, dtype=dtype, device=device).mul_(s)
    u = torch.rand(shape, generator=generator, dtype=dtype, device=device)
    if params.noise == "uniform":
        return u.sub_(0.5).mul_(2 * math.sqrt(3.0) * s)
    if params.noise == "laplace":
        # |ξ| = (σ/√2)·E with E = −log(1 − u) ~ Exp(1), finite for every u in [0, 1), and a separate
        # fair sign. (The inverse CDF on u − ½ hit log1p(−1) = −inf whenever torch.rand returned
        # exactly 0, probability 2⁻²⁴ per float32 draw, and the clamp at −80 made that an atom at
        # ±80σ/√2 ≈ ±57σ, which makes SGD diverge.)
        sign = torch.randint(0, 2, shape, generator=generator, device=device).to(dtype).mul_(2).sub_(1)
        return torch.log1p(-u).mul_(sign).mul_(-s / math.sqrt(2.0))
    raise ParamError("noise", params.noise, "one of " + ", ".join(NOISES))


def _noise_shape(params: AutoencoderParams) -> tuple[int, ...]:
    b, n, m = params.instances, params.n, params.m
    return {"step": (1, 1, m), "instance": (b, 1, m), "sample": (b, n, m)}[params.noise_scope]


def reference_loss(W: torch.Tensor, xi: torch.Tensor | None, params: AutoencoderParams) -> torch.Tensor:
    """The plain formula as the paper's code computes it, for autograd and for the benchmark
    baseline: the identity batch pushed through einsums. Returns the per-instance loss (B,)."""
    b, n, _ = W.shape
    eye = torch.eye(n, dtype=W.dtype, device=W.device).expand(b, n, n)
    hidden = torch.einsum("bif,bfh->bih", eye, W)
    if xi is not None:
        hidden = hidden + xi
    out = torch.einsum("bih,bfh->bif", hidden, W)
    if params.output_relu:
        out = torch.relu(out)
    return ((out - eye) ** 2).sum(dim=(1, 2)) + params.l1 * W.abs().sum(dim=(1, 2))


def fused_loss_and_grad(
    W: torch.Tensor, xi: torch.Tensor | None, params: AutoencoderParams
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-instance loss (B,) and its gradient (B, n, m), in closed form (see the module doc).

    ``xi`` is None or broadcastable to W: (1|B, 1, m) for shared noise, (B, n, m) per sample.
    This runs the very code of :func:`train`'s hot loop, on fresh buffers.
    """
    ws = _Workspace(W, params)
    loss = ws.evaluate(W, None if xi is None else [xi])
    return loss, ws.grad.clone()


class _Optimizer:
    """The update step. Adam and AdamW are torch.optim's fused implementations (one kernel pass
    over W per step, default betas (0.9, 0.999), eps 1e-8); plain SGD is one in-place axpy.
    The gradient buffer is attached once as ``W.grad``; the optimiser reads it each step."""

    def __init__(self, params: AutoencoderParams, W: torch.Tensor, grad: torch.Tensor) -> None:
        self.kind = params.optimizer
        self.lr = params.lr
        self.wd = params.weight_decay
        self.W = W
        self.torch_opt: torch.optim.Optimizer | None = None
        if self.kind != "sgd":
            cls = torch.optim.AdamW if self.kind == "adamw" else torch.optim.Adam
            W.grad = grad
            self.torch_opt = cls([W], lr=self.lr, weight_decay=self.wd, fused=True)

    def step(self, grad: torch.Tensor) -> None:
        if self.torch_opt is not None:
            self.torch_opt.step()
            return
        if self.wd:
            grad.add_(self.W, alpha=self.wd)
        self.W.add_(grad, alpha=-self.lr)


class _Workspace:
    """Preallocated buffers for the hot loop: fresh (B, n, m) tensors cost page faults."""

    def __init__(self, W: torch.Tensor, params: AutoencoderParams) -> None:
        b, n, m = W.shape
        self.params = params
        self.A = torch.empty(b, n, n, dtype=W.dtype, device=W.device)
        self.D = torch.empty_like(self.A)
        self.mask = torch.empty(b, n, n, dtype=torch.bool, device=W.device)
        self.grad = torch.empty_like(W)
        self.sign = torch.empty_like(W) if params.l1 else None
        self.Wxi = torch.empty(b, n, 1, dtype=W.dtype, device=W.device)
        self.H = torch.empty_like(W) if params.noise_scope == "sample" and params.noise != "none" else None
        self.eye_diag = torch.ones(n, dtype=W.dtype, device=W.device)

    def evaluate(self, W: torch.Tensor, draws: list[torch.Tensor] | None, *, with_l1: bool = True) -> torch.Tensor:
        """Loss (B,) at W, averaged over the noise ``draws`` (None: no noise); leaves ∂L/∂W in
        ``self.grad``. ``with_l1=False`` leaves the λ‖W‖₁ term out of the returned loss (not out of
        the gradient): the hot loop needs the full loss only at recorded steps."""
        p = self.params
        if draws is None:  # ∂/∂W Σ(y − I)² = 4 D W when Z is symmetric
            loss = self._reconstruction(W, None, scale=4.0, accumulate=False)
        else:  # 2(DᵀH + DW), averaged over the draws
            k = len(draws)
            loss = self._reconstruction(W, draws[0], scale=2.0 / k, accumulate=False)
            for xi in draws[1:]:
                loss.add_(self._reconstruction(W, xi, scale=2.0 / k, accumulate=True))
            loss.div_(k)
        if p.l1:
            assert self.sign is not None
            if with_l1:
                loss.add_(W.abs().sum(dim=(1, 2)), alpha=p.l1)
            torch.sign(W, out=self.sign)
            self.grad.add_(self.sign, alpha=p.l1)
        return loss

    def _reconstruction(self, W: torch.Tensor, xi: torch.Tensor | None, *, scale: float, accumulate: bool) -> torch.Tensor:
        """Σ(y − I)² per instance for one draw; writes (or adds) scale·DW or scale·(DᵀH + DW) into
        self.grad. The scale goes on the n×n matrix D, not on the (B, n, m) gradient."""
        p, A, D, grad = self.params, self.A, self.D, self.grad
        if xi is None or xi.shape[1] == 1:
            torch.bmm(W, W.transpose(1, 2), out=A)
            if xi is not None:
                xi_b = xi.expand(W.shape[0], 1, W.shape[2])
                torch.bmm(W, xi_b.transpose(1, 2), out=self.Wxi)
                A.add_(self.Wxi.transpose(1, 2))
        else:
            assert self.H is not None
            torch.add(W, xi, out=self.H)
            torch.bmm(self.H, W.transpose(1, 2), out=A)
        # D = (y − I) ⊙ [Z > 0], y = ReLU(Z): off-diagonal ReLU(Z); the diagonal Z − 1 where Z > 0.
        if p.output_relu:
            torch.gt(A, 0, out=self.mask)
            torch.clamp(A, min=0, out=D)
        else:
            D.copy_(A)
        D.diagonal(dim1=1, dim2=2).sub_(self.eye_diag if not p.output_relu else self.mask.diagonal(dim1=1, dim2=2).to(A.dtype))
        loss = D.square().sum(dim=(1, 2))
        if p.output_relu:  # a target 1 whose output is clamped to 0 still costs 1
            loss += (~self.mask.diagonal(dim1=1, dim2=2)).sum(dim=1).to(loss.dtype)
        D.mul_(scale)
        if xi is None:
            torch.bmm(D, W, out=grad)
            return loss
        if xi.shape[1] == 1:
            torch.add(D, D.transpose(1, 2), out=A)  # A is free again: reuse it for D + Dᵀ
            if accumulate:
                grad.baddbmm_(A, W)
            else:
                torch.bmm(A, W, out=grad)
            grad.addcmul_(D.sum(dim=1).unsqueeze(2), xi)
        else:
            assert self.H is not None
            if accumulate:
                grad.baddbmm_(D.transpose(1, 2), self.H)
            else:
                torch.bmm(D.transpose(1, 2), self.H, out=grad)
            grad.baddbmm_(D, W)
        return loss


def train(
    params: AutoencoderParams,
    *,
    metrics: Mapping[str, Metric] | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> TrainResult:
    """Train ``params.instances`` autoencoders side by side; record ``metrics`` at log-spaced steps.

    Each metric maps W (B, n, m) to a tensor with a leading instance axis. ``on_step(done, total)``
    is called at every recorded step (for progress bars). Randomness comes from a
    ``torch.Generator`` seeded with ``params.seed`` only. Raises :class:`DivergenceError` naming
    the first step whose loss was NaN or infinite.
    """
    metrics = dict(metrics or {})
    dtype = _DTYPES[params.dtype]
    device = torch.device(params.device)
    gen = torch.Generator(device=device)
    gen.manual_seed(params.seed)
    start = time.perf_counter()
    b, n, m = params.instances, params.n, params.m
    W = torch.randn(b, n, m, generator=gen, dtype=dtype, device=device).mul_(params.std)
    W_init = W.detach().cpu().numpy().copy()

    ws = _Workspace(W, params)
    opt = _Optimizer(params, W, ws.grad)
    record_at = log_steps(params.steps, params.log_points)
    records: dict[str, list[np.ndarray]] = {k: [] for k in metrics}
    # zeros, not empty: a run shorter than check_every checks slots it never wrote
    losses = torch.zeros(params.check_every, b, dtype=dtype, device=device)
    loss_log: list[np.ndarray] = []
    noisy = params.noise != "none"
    shape = _noise_shape(params)
    next_record = 0

    def record(step: int, loss: torch.Tensor) -> None:
        for k, fn in metrics.items():
            records[k].append(fn(W).detach().cpu().numpy())
        loss_log.append(loss.detach().cpu().numpy())

    with torch.no_grad():
        for step in range(params.steps + 1):
            draws = (
                [draw_noise(params, shape, gen, dtype=dtype, device=device) for _ in range(params.noise_draws)]
                if noisy
                else None
            )
            recording = step == record_at[next_record]
            loss = ws.evaluate(W, draws, with_l1=recording)
            if recording:
                record(step, loss)
                next_record = min(next_record + 1, len(record_at) - 1)
                if on_step is not None:
                    on_step(step, params.steps)
            losses[step % params.check_every] = loss
            if (step + 1) % params.check_every == 0 or step == params.steps:
                _check_finite(losses, step, params)
            if step == params.steps:
                break  # the last pass only evaluates the loss at the final W
            opt.step(ws.grad)

    return TrainResult(
        params=params,
        W_init=W_init,
        W_final=W.detach().cpu().numpy().copy(),
        steps=record_at,
        metrics={k: np.stack(v) for k, v in records.items()},
        loss=np.stack(loss_log),
        seconds=time.perf_counter() - start,
    )


def _check_finite(losses: torch.Tensor, step: int, params: AutoencoderParams) -> None:
    """Raise DivergenceError at the first non-finite loss of the last ``check_every`` steps."""
    finite = torch.isfinite(losses).all(dim=1)
    if bool(finite.all()):
        return
    window = losses.shape[0]
    first = step - (step % window)  # step held by slot 0 of this window
    bad_slots = (~finite).nonzero().flatten().tolist()
    bad_steps = sorted(first + s for s in bad_slots if first + s <= step)
    bad = bad_steps[0] if bad_steps else step
    raise DivergenceError(bad, params, float(losses[bad % window].max()))

