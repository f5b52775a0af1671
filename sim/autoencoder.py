"""Batched tied-weight autoencoder y = ReLU(W (Wᵀx + ξ)) trained on the basis vectors (untied
weights and other output nonlinearities: see "Other architectures" below).

The model of Lecomte et al.: W has shape (instances, n, m), input e_i, hidden code
Wᵀe_i + ξ = W_i + ξ (row i: no identity batch is multiplied), output
o_ij = ReLU(W_j · (W_i + ξ_i)). The loss per instance is the paper code's summed squared error
plus λ‖W‖₁:

    L = Σ_i Σ_j (ReLU(Z_ij) − δ_ij)² + λ Σ |W|,   Z = H Wᵀ,  H = W + ξ.

Its gradient is computed in closed form rather than by autograd. With D = (y − I) ⊙ [Z > 0]:

    ∂L/∂W = 2 (Dᵀ H + D W) + λ sign(W),

and without noise H = W, Z = WWᵀ is symmetric, so ∂L/∂W = 4 D W + λ sign W: two batched matmuls per
step instead of the paper code's five (two of them by an identity batch). Noise shared by the
samples of an instance ("step" / "instance" scope) keeps the cost at two matmuls through
Z = WWᵀ + 1(Wξ)ᵀ and Dᵀ H = Dᵀ W + (Dᵀ1) ξᵀ. ``tests/test_autoencoder.py`` checks the gradient
against torch autograd on the plain formula.

Other inputs (``data``). The discussion of the paper asks what happens when features co-occur
(catalogue §1.7): with ``data="bernoulli"`` each feature is on (x_i = 1) independently with
probability p, with ``"bernoulli-uniform"`` on with a U[0, 1] magnitude. The reconstruction term is
the expected squared error per example divided by p·E[x_i² | on], so that as p → 0 it tends to the
basis loss Σ_i ℓ(e_i) and λ and lr keep their meaning:

    L = E_x Σ_j (y_j − x_j)² / (p·E[u²]) + λ‖W‖₁,   y = ReLU(W(Wᵀx + ξ)).

Without hidden noise the loss is positively homogeneous of degree 2 in x and an example with no
feature on costs nothing, so each step uses a stratified, unbiased estimate of it: the n one-hot
examples exactly (weight (1 − p)^(n−1), for either magnitude law) plus ``batch`` examples drawn
with at least two features on (weight P(≥ 2 on)/(p·E[u²]·batch) each). With noise every example
matters, and ``batch`` plain i.i.d. examples are drawn (weight 1/(p·E[u²]·batch) each). Either way
the gradient of a weighted batch X with row weights ω is, with D = ω ⊙ (y − X) ⊙ [Z > 0],

    ∂L/∂W = 2 (Dᵀ H + (Xᵀ D) W) + λ sign(W),   H = X W + ξ,  Z = H Wᵀ.

The basis path above stays the default and is untouched by this one.

Other architectures (catalogue P2-ARCH). ``activation`` replaces the output ReLU by the exact GeLU
g(z) = z·Φ(z) (torch's erf form, g'(z) = Φ(z) + z·φ(z)) or by nothing (``"none"``, the linear
decoder). Every path above takes it: the residual D above is then (y − target) ⊙ g'(Z). With
``tied=False`` the encoder E and the decoder D (both (n, m), independent N(0, std²) inits, E drawn
first, so E_init equals the tied W_init of the same seed) are separate, y = act(D Eᵀx), and on
the basis inputs, with Z = E Dᵀ (Z_ij = E_i·D_j) and R = (act(Z) − I) ⊙ act'(Z),

    L = Σ (act(Z) − I)² + λ(‖E‖₁ + ‖D‖₁),   ∂L/∂E = 2 R D,   ∂L/∂D = 2 Rᵀ E:

three batched matmuls per step. The L1 term is on both matrices, the paper's "L1 on the weights"
(on the hidden activations of the basis inputs it would be λ‖E‖₁ alone); at a fixed product
E_ik·D_ik it makes the two weights equal. The parameter tensor is then the stack (2, B, n, m) of
E and D (the optimiser steps it as one tensor); untied weights are implemented for noiseless
basis inputs only.

Usage::

    from sim.autoencoder import AutoencoderParams, train
    out = train(AutoencoderParams(n=32, m=128, instances=8, steps=2000, optimizer="adamw", lr=1e-3,
                                  l1=1e-3), metrics={"l1": lambda W: W.abs().sum(-1).mean(-1)})
    out.W_final.shape  # (8, 32, 128)
    untied = train(AutoencoderParams(n=8, m=64, instances=4, steps=100, tied=False))
    untied.W_final.shape, untied.D_final.shape  # encoder E and decoder D: (4, 8, 64) each
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from ._validate import ParamError, check_choice, check_float, check_int
from .precision import MATMUL_PRECISIONS, Matmul, MatmulPrecision, float32_matmul_precision

__all__ = [
    "ACTIVATIONS",
    "DATAS",
    "NOISES",
    "AutoencoderParams",
    "BasisData",
    "BernoulliData",
    "DivergenceError",
    "ModelParams",
    "NoiseParams",
    "OptimiserParams",
    "TrainResult",
    "data_loss_and_grad",
    "draw_inputs",
    "draw_noise",
    "fused_loss_and_grad",
    "log_steps",
    "reference_loss",
    "train",
]

Optimizer = Literal["sgd", "adam", "adamw"]
Noise = Literal["none", "bernoulli", "gaussian", "uniform", "laplace"]
NoiseScope = Literal["step", "instance", "sample"]
Activation = Literal["relu", "gelu", "none"]
ACTIVATIONS: tuple[str, ...] = ("relu", "gelu", "none")
NOISES: tuple[str, ...] = ("none", "bernoulli", "gaussian", "uniform", "laplace")
DATAS: tuple[str, ...] = ("basis", "bernoulli", "bernoulli-uniform")
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class ModelParams:
    """The network: its sizes, its init and its architecture (``AutoencoderParams.model``)."""

    n: int = 64  # features (input dimension); the inputs are the n basis vectors e_i
    m: int = 256  # hidden neurons (m >= n in the paper, but any m >= 1 runs)
    init_std: float | None = None  # std of the N(0, std²) init; None -> 1/sqrt(m), as the paper
    # the output nonlinearity: "relu" (the paper), "gelu" (exact, z·Φ(z)) or "none" (the linear
    # decoder y = W h)
    activation: Activation = "relu"
    # one W for encoder and decoder (the paper's default); False: encoder E and decoder D, both
    # (n, m) with independent inits, y = act(D Eᵀx), L1 on both (noiseless basis inputs only)
    tied: bool = True

    def __post_init__(self) -> None:
        check_int("model.n", self.n, 1)
        check_int("model.m", self.m, 1)
        if self.init_std is not None:
            check_float("model.init_std", self.init_std, 0.0, lo_open=True)
        check_choice("model.activation", self.activation, ACTIVATIONS)
        if not isinstance(self.tied, bool):
            raise ParamError("model.tied", self.tied, "true or false")

    @property
    def std(self) -> float:
        return self.init_std if self.init_std is not None else 1.0 / math.sqrt(self.m)


@dataclass(frozen=True)
class BasisData:
    """The paper's inputs: the n basis vectors e_i, each once every step."""

    kind: Literal["basis"] = "basis"  # the n basis vectors every step (the paper)

    def __post_init__(self) -> None:
        check_choice("data.kind", self.kind, ("basis",))


@dataclass(frozen=True)
class BernoulliData:
    """Co-occurring features: each on independently with probability ``p`` (module doc)."""

    p: float  # probability a feature is on, in (0, 1]; no default: every use states it
    # "bernoulli": an on feature has value 1; "bernoulli-uniform": a U[0,1] magnitude
    kind: Literal["bernoulli", "bernoulli-uniform"] = "bernoulli"
    # examples drawn per step: without noise, examples with >= 2 features on (the one-hot ones
    # enter exactly); with noise, plain i.i.d. examples (see the module doc)
    batch: int = 64

    def __post_init__(self) -> None:
        check_float("data.p", self.p, 0.0, 1.0, lo_open=True)
        check_choice("data.kind", self.kind, ("bernoulli", "bernoulli-uniform"))
        check_int("data.batch", self.batch, 1)


@dataclass(frozen=True)
class NoiseParams:
    """Hidden-layer noise ξ (``AutoencoderParams.noise``); none by default."""

    kind: Noise = "none"  # hidden-layer noise ξ, each with variance σ²
    sigma: float = 0.0  # noise standard deviation σ (> 0 unless kind="none")
    # "step": one ξ ∈ R^m per step shared by all inputs and instances (the paper code);
    # "instance": one ξ per instance per step; "sample": independent ξ for every input.
    scope: NoiseScope = "step"
    draws: int = 1  # noise draws averaged per step (gradient noise reduction, P1-N-4b)

    def __post_init__(self) -> None:
        check_choice("noise.kind", self.kind, NOISES)
        check_float("noise.sigma", self.sigma, 0.0)
        if self.kind != "none" and self.sigma == 0.0:
            raise ParamError("noise.sigma", self.sigma, f"> 0 when noise.kind={self.kind!r}")
        check_choice("noise.scope", self.scope, ("step", "instance", "sample"))
        check_int("noise.draws", self.draws, 1)


@dataclass(frozen=True)
class OptimiserParams:
    """The optimiser and the loss's L1 term (``AutoencoderParams.optimiser``)."""

    kind: Optimizer = "adamw"  # "sgd", "adam" or "adamw" (paper code: AdamW)
    lr: float = 1e-3  # learning rate (paper code: 1e-3 with AdamW)
    # The paper's code called torch.optim.AdamW without weight_decay, silently using PyTorch's
    # default 0.01; here it is explicit and 0 unless set (the paper scales set 0.01).
    weight_decay: float = 0.0
    l1: float = 0.0  # λ, coefficient of λ‖W‖₁ in the loss (paper code: 1e-3)
    steps: int = 7500  # optimiser steps (paper code: 7500)

    def __post_init__(self) -> None:
        check_choice("optimiser.kind", self.kind, ("sgd", "adam", "adamw"))
        check_float("optimiser.lr", self.lr, 0.0, lo_open=True)
        check_float("optimiser.weight_decay", self.weight_decay, 0.0)
        check_float("optimiser.l1", self.l1, 0.0)
        check_int("optimiser.steps", self.steps, 1)


Data = BasisData | BernoulliData


@dataclass(frozen=True)
class AutoencoderParams:
    """Hyperparameters of one batched training run, in groups: ``model``, ``data``, ``noise``,
    ``optimiser``, and the run's own settings. Defaults are the paper code's collision experiment
    at a CPU-sized n and m, except weight decay, which is explicit (see OptimiserParams)."""

    model: ModelParams = ModelParams()  # the network (default n=64, m=256, tied ReLU)
    data: Data = BasisData()  # the inputs (default: the n basis vectors, as the paper)
    noise: NoiseParams = NoiseParams()  # hidden-layer noise (default: none)
    optimiser: OptimiserParams = OptimiserParams()  # default: AdamW, lr 1e-3, 7500 steps, no L1
    instances: int = 8  # independent models trained side by side in one batch
    dtype: Literal["float32", "float64"] = "float32"  # compute dtype
    # arithmetic of the large (m-sized) products: "highest" = float32; "high"/"medium" = torch's
    # setting (TF32 on CUDA, bfloat16 inputs on AMX CPUs, no change elsewhere); "bf16-emulated" =
    # bfloat16-rounded inputs on any machine. The residual's diagonal ‖W_i‖² − 1 stays exact
    # (sim/precision.py says why); statistics under each: benchmarks/precision.py
    matmul_precision: MatmulPrecision = "highest"
    device: str = "cpu"  # torch device
    seed: int = 0  # seeds the init and the noise (a torch.Generator; nothing global)
    log_points: int = 40  # metrics are recorded at about this many log-spaced steps (and step 0)
    record_steps: tuple[
        int, ...
    ] = ()  # further steps to record exactly (e.g. a paper table's columns)
    check_every: int = 100  # steps between finiteness checks of the loss (exact step is reported)

    def __post_init__(self) -> None:
        for name, kind in (
            ("model", ModelParams),
            ("data", (BasisData, BernoulliData)),
            ("noise", NoiseParams),
            ("optimiser", OptimiserParams),
        ):
            if not isinstance(getattr(self, name), kind):
                raise ParamError(name, getattr(self, name), f"a {_kind_text(kind)}")
        check_int("instances", self.instances, 1)
        if not self.model.tied and (self.noise.kind != "none" or self.data.kind != "basis"):
            raise ParamError(
                "model.tied",
                self.model.tied,
                "True when noise.kind != 'none' or data is not BasisData (untied weights are "
                "implemented for noiseless basis inputs only)",
            )
        check_choice("dtype", self.dtype, tuple(_DTYPES))
        check_choice("matmul_precision", self.matmul_precision, MATMUL_PRECISIONS)
        if self.matmul_precision != "highest" and self.dtype != "float32":
            raise ParamError(
                "matmul_precision",
                self.matmul_precision,
                f"'highest' when dtype={self.dtype!r} (reduced precision applies to float32 only)",
            )
        check_choice("device", str(self.device).split(":")[0], ("cpu", "cuda", "mps"))
        check_int("seed", self.seed, 0)
        check_int("log_points", self.log_points, 1)
        steps = self.optimiser.steps
        if not isinstance(self.record_steps, tuple):
            raise ParamError("record_steps", self.record_steps, f"a tuple of steps in [0, {steps}]")
        for s in self.record_steps:
            check_int("record_steps", s, 0, steps)
        check_int("check_every", self.check_every, 1)

    def replace(self, **changes: object) -> AutoencoderParams:
        """A copy with ``changes``: a group (``model``, ``data``, ``noise``, ``optimiser``) takes a
        dict of its own fields' changes, or a whole new group (``data=BernoulliData(p=0.1)``);
        the run's own settings take their values (``seed=3``)."""
        out: dict[str, object] = {}
        for key, value in changes.items():
            if key in _GROUPS and isinstance(value, dict):
                out[key] = dataclasses.replace(getattr(self, key), **value)
            else:
                out[key] = value
        return dataclasses.replace(self, **out)  # type: ignore[arg-type]

    @classmethod
    def flat(cls, **kwargs: object) -> AutoencoderParams:
        """The params from the flat names of before the groups (``n``, ``lr``, ``optimizer``,
        ``noise``, ``sigma``, ``noise_scope``, ``data``, ``p``, ...): a shorthand for tests and
        benchmarks; claims build the groups themselves."""
        group: dict[str, dict[str, object]] = {
            "model": {},
            "noise": {},
            "optimiser": {},
            "data": {},
        }
        top: dict[str, object] = {}
        for key, value in kwargs.items():
            if key in _FLAT:
                g, name = _FLAT[key]
                group[g][name] = value
            else:
                top[key] = value
        data = group.pop("data")
        kind = data.get("kind", "basis")
        if kind == "basis":
            if data.get("p") is not None:
                raise ParamError("data.p", data["p"], "no p for basis data")
            built: Data = BasisData()
        else:
            if data.get("p") is None:
                raise ParamError("data.p", None, f"a probability in (0, 1] when data={kind!r}")
            built = BernoulliData(**data)  # type: ignore[arg-type]
        return cls(
            model=ModelParams(**group["model"]),  # type: ignore[arg-type]
            data=built,
            noise=NoiseParams(**group["noise"]),  # type: ignore[arg-type]
            optimiser=OptimiserParams(**group["optimiser"]),  # type: ignore[arg-type]
            **top,  # type: ignore[arg-type]
        )


_GROUPS = ("model", "data", "noise", "optimiser")  # the grouped fields of AutoencoderParams
# the flat names of :meth:`AutoencoderParams.flat` -> (group, field)
_FLAT: dict[str, tuple[str, str]] = {
    **{k: ("model", k) for k in ("n", "m", "init_std", "activation", "tied")},
    **{k: ("optimiser", k) for k in ("lr", "weight_decay", "l1", "steps")},
    "optimizer": ("optimiser", "kind"),
    "noise": ("noise", "kind"),
    "sigma": ("noise", "sigma"),
    "noise_scope": ("noise", "scope"),
    "noise_draws": ("noise", "draws"),
    "data": ("data", "kind"),
    "p": ("data", "p"),
    "batch": ("data", "batch"),
}


def _kind_text(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


class DivergenceError(RuntimeError):
    """The loss became NaN or infinite: reported with the step and the parameters."""

    def __init__(self, step: int, params: AutoencoderParams, loss: float) -> None:
        self.step = step
        self.params = params
        model, opt, noise = params.model, params.optimiser, params.noise
        fields = (
            f"model.n={model.n}, model.m={model.m}, optimiser.kind={opt.kind}, "
            f"optimiser.lr={opt.lr}, optimiser.l1={opt.l1}, noise.kind={noise.kind}, "
            f"noise.sigma={noise.sigma}"
        )
        super().__init__(f"training diverged at step {step}: loss={loss} ({fields})")


@dataclass(frozen=True, repr=False)
class TrainResult:
    """Initial and final weights, and the metrics recorded at log-spaced steps. For an untied run
    ``W_init``/``W_final`` hold the encoder E (row i is feature i's hidden code, as W_i is when
    tied) and ``D_init``/``D_final`` the decoder D; for a tied run these two are None."""

    params: AutoencoderParams
    W_init: np.ndarray  # (instances, n, m); the encoder E when untied
    W_final: np.ndarray  # (instances, n, m); the encoder E when untied
    steps: np.ndarray  # (T,) the steps at which metrics were recorded (0 first, `steps` last)
    metrics: Mapping[str, np.ndarray]  # name -> (T, instances, ...) values
    loss: np.ndarray  # (T, instances) training loss at the recorded steps
    seconds: float
    D_init: np.ndarray | None = None  # (instances, n, m): the decoder D of an untied run
    D_final: np.ndarray | None = None  # (instances, n, m): the decoder D of an untied run

    def __repr__(self) -> str:
        return (
            f"TrainResult(n={self.params.model.n}, m={self.params.model.m}, "
            f"instances={self.params.instances}, steps={self.params.optimiser.steps})"
        )


Metric = Callable[[torch.Tensor], torch.Tensor]


def log_steps(steps: int, points: int) -> np.ndarray:
    """Step 0 plus about ``points`` log-spaced steps in [1, steps], ending at ``steps``."""
    grid = (
        np.unique(np.round(np.logspace(0, math.log10(steps), points)).astype(int))
        if steps > 1
        else np.array([1])
    )
    return np.unique(np.concatenate([[0], grid, [steps]]))


def draw_noise(
    params: AutoencoderParams,
    shape: tuple[int, ...],
    generator: torch.Generator,
    *,
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    """I.i.d. noise with variance σ²: Bernoulli ±σ, Gaussian, uniform on [−√3σ, √3σ], or Laplace
    with scale σ/√2."""
    s = params.noise.sigma
    if params.noise.kind == "bernoulli":
        bits = torch.randint(0, 2, shape, generator=generator, device=device).to(dtype)
        return bits.mul_(2 * s).sub_(s)
    if params.noise.kind == "gaussian":
        return torch.randn(shape, generator=generator, dtype=dtype, device=device).mul_(s)
    u = torch.rand(shape, generator=generator, dtype=dtype, device=device)
    if params.noise.kind == "uniform":
        return u.sub_(0.5).mul_(2 * math.sqrt(3.0) * s)
    if params.noise.kind == "laplace":
        # |ξ| = (σ/√2)·E with E = −log(1 − u) ~ Exp(1), finite for every u in [0, 1), and a separate
        # fair sign. (The inverse CDF on u − ½ hit log1p(−1) = −inf whenever torch.rand returned
        # exactly 0, probability 2⁻²⁴ per float32 draw, and the clamp at −80 made that an atom at
        # ±80σ/√2 ≈ ±57σ, which makes SGD diverge.)
        sign = (
            torch.randint(0, 2, shape, generator=generator, device=device).to(dtype).mul_(2).sub_(1)
        )
        return torch.log1p(-u).mul_(sign).mul_(-s / math.sqrt(2.0))
    raise ParamError("noise", params.noise.kind, "one of " + ", ".join(NOISES))


def _noise_shape(params: AutoencoderParams) -> tuple[int, ...]:
    b, m = params.instances, params.model.m
    rows = (
        params.model.n if params.data.kind == "basis" else params.data.batch
    )  # the examples of one step
    return {"step": (1, 1, m), "instance": (b, 1, m), "sample": (b, rows, m)}[params.noise.scope]


def reference_loss(
    W: torch.Tensor, xi: torch.Tensor | None, params: AutoencoderParams
) -> torch.Tensor:
    """The plain formula as the paper's code computes it, for autograd and for the benchmark
    baseline: the identity batch pushed through einsums. Returns the per-instance loss (B,).
    For untied params ``W`` is the stack (2, B, n, m) of the encoder E and the decoder D."""
    enc, dec = (W, W) if params.model.tied else (W[0], W[1])
    b, n, _ = enc.shape
    eye = torch.eye(n, dtype=W.dtype, device=W.device).expand(b, n, n)
    hidden = torch.einsum("bif,bfh->bih", eye, enc)
    if xi is not None:
        hidden = hidden + xi
    out = torch.einsum("bih,bfh->bif", hidden, dec)
    if params.model.activation == "relu":
        out = torch.relu(out)
    elif params.model.activation == "gelu":
        out = torch.nn.functional.gelu(out)
    l1 = W.abs().sum(dim=(1, 2)) if params.model.tied else W.abs().sum(dim=(0, 2, 3))
    return ((out - eye) ** 2).sum(dim=(1, 2)) + params.optimiser.l1 * l1


def fused_loss_and_grad(
    W: torch.Tensor, xi: torch.Tensor | None, params: AutoencoderParams
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-instance loss (B,) and its gradient (B, n, m), in closed form (see the module doc).

    ``xi`` is None or broadcastable to W: (1|B, 1, m) for shared noise, (B, n, m) per sample.
    For untied params ``W`` is the stack (2, B, n, m) of E and D, and so is the gradient.
    This runs the very code of :func:`train`'s hot loop, on fresh buffers.
    """
    ws: _Workspace | _UntiedWorkspace = (
        _Workspace(W, params) if params.model.tied else _UntiedWorkspace(W, params)
    )
    loss = ws.evaluate(W, None if xi is None else [xi])
    return loss, ws.grad.clone()


def _add_l1(
    W: torch.Tensor, l1: float, loss: torch.Tensor | None, grad: torch.Tensor, sign: torch.Tensor
) -> None:
    """The λ‖W‖₁ term: λ·sign(W) into ``grad`` (through the ``sign`` buffer), λ‖W‖₁ into ``loss``
    unless it is None (the hot loop needs the full loss only at recorded steps)."""
    if loss is not None:
        loss.add_(W.abs().sum(dim=(1, 2)), alpha=l1)
    torch.sign(W, out=sign)
    grad.add_(sign, alpha=l1)


class _Optimizer:
    """The update step. Adam and AdamW are torch.optim's fused implementations (one kernel pass
    over W per step, default betas (0.9, 0.999), eps 1e-8); plain SGD is one in-place axpy.
    The gradient buffer is attached once as ``W.grad``; the optimiser reads it each step."""

    def __init__(self, params: AutoencoderParams, W: torch.Tensor, grad: torch.Tensor) -> None:
        self.kind = params.optimiser.kind
        self.lr = params.optimiser.lr
        self.wd = params.optimiser.weight_decay
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


_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _gelu_and_slope(
    Z: torch.Tensor, value: torch.Tensor, slope: torch.Tensor, tmp: torch.Tensor
) -> None:
    """``value`` ← GeLU(Z) = Z·Φ(Z) and ``slope`` ← GeLU'(Z) = Φ(Z) + Z·φ(Z), in place: torch's
    exact GeLU (approximate="none"), Φ(z) = ½(1 + erf(z/√2)), φ the standard normal density."""
    torch.mul(Z, _SQRT_HALF, out=slope).erf_().add_(1.0).mul_(0.5)  # Φ(Z)
    torch.mul(Z, slope, out=value)
    torch.mul(Z, Z, out=tmp).mul_(-0.5).exp_().mul_(_INV_SQRT_2PI).mul_(Z)  # Z·φ(Z)
    slope.add_(tmp)


class _BasisResidual:
    """The output residual on the basis inputs for a batch of n×n pre-activations Z, with its
    buffers: ``out`` ← (act(Z) − I) ⊙ act'(Z) and the loss Σ (act(Z) − I)² per instance."""

    def __init__(self, like: torch.Tensor, act: str) -> None:
        b, n, _ = like.shape
        self.act = act
        self.mask = torch.empty(b, n, n, dtype=torch.bool, device=like.device)
        self.eye_diag = torch.ones(n, dtype=like.dtype, device=like.device)
        gelu = act == "gelu"
        self.slope = torch.empty_like(like) if gelu else None
        self.tmp = torch.empty_like(like) if gelu else None

    def __call__(self, Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        if self.act == "gelu":
            assert self.slope is not None and self.tmp is not None
            _gelu_and_slope(Z, out, self.slope, self.tmp)
            out.diagonal(dim1=1, dim2=2).sub_(self.eye_diag)
            loss = out.square().sum(dim=(1, 2))
            out.mul_(self.slope)
            return loss
        relu = self.act == "relu"
        # D = (y − I) ⊙ [Z > 0], y = ReLU(Z): off-diagonal ReLU(Z); the diagonal Z − 1 where Z > 0.
        if relu:
            torch.gt(Z, 0, out=self.mask)
            torch.clamp(Z, min=0, out=out)
        else:
            out.copy_(Z)
        out.diagonal(dim1=1, dim2=2).sub_(
            self.eye_diag if not relu else self.mask.diagonal(dim1=1, dim2=2).to(Z.dtype)
        )
        loss = out.square().sum(dim=(1, 2))
        if relu:  # a target 1 whose output is clamped to 0 still costs 1
            loss += (~self.mask.diagonal(dim1=1, dim2=2)).sum(dim=1).to(loss.dtype)
        return loss


class _ExactDiagonal:
    """The large products of a step at ``params.matmul_precision`` (``mm``), and the float32
    diagonal that a rounded Gram matrix gets back: Z_ii = a_i·b_i for Z = a bᵀ, by an O(n·m)
    reduction. A no-op at "highest" (sim/precision.py derives why only the diagonal needs it)."""

    def __init__(self, like: torch.Tensor, params: AutoencoderParams) -> None:
        self.mm = Matmul(params.matmul_precision)
        self.prod = None if self.mm.exact else torch.empty_like(like)
        self.diag = (
            None
            if self.mm.exact
            else torch.empty(like.shape[:2], dtype=like.dtype, device=like.device)
        )

    def __call__(self, Z: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> None:
        if self.prod is None or self.diag is None:
            return
        torch.mul(a, b, out=self.prod)
        torch.sum(self.prod, dim=2, out=self.diag)
        Z.diagonal(dim1=1, dim2=2).copy_(self.diag)


class _Workspace:
    """Preallocated buffers for the hot loop: fresh (B, n, m) tensors cost page faults."""

    def __init__(self, W: torch.Tensor, params: AutoencoderParams) -> None:
        b, n, _m = W.shape
        self.params = params
        self.A = torch.empty(b, n, n, dtype=W.dtype, device=W.device)
        self.D = torch.empty_like(self.A)
        self.residual = _BasisResidual(self.A, params.model.activation)
        self.grad = torch.empty_like(W)
        self.sign = torch.empty_like(W) if params.optimiser.l1 else None
        self.Wxi = torch.empty(b, n, 1, dtype=W.dtype, device=W.device)
        self.exact_diag = _ExactDiagonal(W, params)
        self.mm = self.exact_diag.mm
        self.H = (
            torch.empty_like(W)
            if params.noise.scope == "sample" and params.noise.kind != "none"
            else None
        )

    def evaluate(
        self, W: torch.Tensor, draws: list[torch.Tensor] | None, *, with_l1: bool = True
    ) -> torch.Tensor:
        """Loss (B,) at W, averaged over the noise ``draws`` (None: no noise); leaves ∂L/∂W in
        ``self.grad``. ``with_l1=False`` leaves the λ‖W‖₁ term out of the returned loss (not out of
        the gradient): the hot loop needs the full loss only at recorded steps."""
        p = self.params
        self.mm.begin_step(W)
        if draws is None:  # ∂/∂W Σ(y − I)² = 4 D W when Z is symmetric
            loss = self._reconstruction(W, None, scale=4.0, accumulate=False)
        else:  # 2(DᵀH + DW), averaged over the draws
            k = len(draws)
            loss = self._reconstruction(W, draws[0], scale=2.0 / k, accumulate=False)
            for xi in draws[1:]:
                loss.add_(self._reconstruction(W, xi, scale=2.0 / k, accumulate=True))
            loss.div_(k)
        if p.optimiser.l1:
            assert self.sign is not None
            _add_l1(W, p.optimiser.l1, loss if with_l1 else None, self.grad, self.sign)
        return loss

    def _reconstruction(
        self, W: torch.Tensor, xi: torch.Tensor | None, *, scale: float, accumulate: bool
    ) -> torch.Tensor:
        """Σ(y − I)² per instance for one draw; writes (or adds) scale·DW or scale·(DᵀH + DW) into
        self.grad. The scale goes on the n×n matrix D, not on the (B, n, m) gradient."""
        A, D, grad, mm = self.A, self.D, self.grad, self.mm
        if xi is None or xi.shape[1] == 1:
            mm.bmm(W, W.transpose(1, 2), out=A)
            self.exact_diag(A, W, W)
            if xi is not None:
                xi_b = xi.expand(W.shape[0], 1, W.shape[2])
                mm.bmm(W, xi_b.transpose(1, 2), out=self.Wxi)
                A.add_(self.Wxi.transpose(1, 2))
        else:
            assert self.H is not None
            torch.add(W, xi, out=self.H)
            mm.bmm(self.H, W.transpose(1, 2), out=A)
            self.exact_diag(A, self.H, W)
        loss = self.residual(A, D)  # D = (y − I) ⊙ act'(Z)
        D.mul_(scale)
        if xi is None:
            mm.bmm(D, W, out=grad)
            return loss
        if xi.shape[1] == 1:
            torch.add(D, D.transpose(1, 2), out=A)  # A is free again: reuse it for D + Dᵀ
            if accumulate:
                mm.baddbmm_(grad, A, W)
            else:
                mm.bmm(A, W, out=grad)
            grad.addcmul_(D.sum(dim=1).unsqueeze(2), xi)
        else:
            assert self.H is not None
            if accumulate:
                mm.baddbmm_(grad, D.transpose(1, 2), self.H)
            else:
                mm.bmm(D.transpose(1, 2), self.H, out=grad)
            mm.baddbmm_(grad, D, W)
        return loss


# -- other inputs: features on independently with probability p (module doc) --------------------


def _magnitude_second_moment(params: AutoencoderParams) -> float:
    """E[x_i² | feature i on]: 1 for unit magnitudes, 1/3 for U[0, 1] ones."""
    return 1.0 / 3.0 if params.data.kind == "bernoulli-uniform" else 1.0


def _p_multi(n: int, p: float) -> float:
    """P(at least two of n features on), summed from the Binomial(n, p) law in log space (so tiny
    p and large n neither underflow nor cancel, as 1 − (1 − p)ⁿ − np(1 − p)ⁿ⁻¹ would)."""
    if n < 2 or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    k = np.arange(2, n + 1)
    logc = np.array([math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in k])
    return float(np.exp(logc + k * math.log(p) + (n - k) * math.log1p(-p)).sum())


def _row_weights(params: AutoencoderParams, stratified: bool, multi: int) -> np.ndarray:
    """Weight of every example row so that Σ_rows ω·ℓ(x) estimates E ℓ(x)/(p·E[u²]) unbiasedly."""
    assert params.data.p is not None, "row weights exist only for data != 'basis'"
    p, n = params.data.p, params.model.n
    scale = 1.0 / (p * _magnitude_second_moment(params))
    if not stratified:
        return np.full(multi, scale / multi)
    p_multi = _p_multi(n, p)
    one_hot = math.exp((n - 1) * math.log1p(-p)) if p < 1.0 else (1.0 if n == 1 else 0.0)
    return np.concatenate([np.full(n, one_hot), np.full(multi, p_multi * scale / max(multi, 1))])


class _InputSampler:
    """Draws the sampled rows of a step in place (module doc): with ``stratified``, examples with
    at least two features on; otherwise plain i.i.d. Bernoulli(p) examples. Magnitudes are 1 or
    U[0, 1].

    A Bernoulli(p) vector conditioned on at least two ones, without rejection or sorting: the
    position b of its second one has P(b) ∝ b·(1 − p)^(b−1) (0-based; b − 1 zeros and a one
    before it, the first one at a uniform a < b), and the positions after b are i.i.d.
    Bernoulli(p), untouched by the condition.
    """

    def __init__(
        self,
        params: AutoencoderParams,
        stratified: bool,
        generator: torch.Generator | None,
        device: torch.device,
    ) -> None:
        self.params = params
        self.stratified = stratified
        self.gen = generator
        n, p = params.model.n, float(params.data.p or 0.0)
        self.idx = torch.arange(n, device=device)
        b = np.arange(1, n)
        w = b * np.exp((b - 1) * math.log1p(-p)) if p < 1.0 else (b == 1).astype(float)
        self.second = (
            torch.as_tensor(w / w.sum(), dtype=torch.float64, device=device) if n >= 2 else None
        )

    def fill(self, out: torch.Tensor) -> None:
        """Overwrite ``out`` (B, N, n) with N fresh examples per instance."""
        b_, rows, _ = out.shape
        if rows == 0:
            return
        p = float(self.params.data.p or 0.0)
        gen = self.gen
        u = torch.rand(out.shape, generator=gen, dtype=out.dtype, device=out.device)
        on = u < p
        if self.stratified:
            assert self.second is not None
            second = (
                torch.multinomial(self.second, b_ * rows, replacement=True, generator=gen).view(
                    b_, rows, 1
                )
                + 1
            )
            first = (
                torch.rand(second.shape, generator=gen, dtype=torch.float64, device=out.device)
                * second
            ).long()
            first.clamp_(max=second - 1)  # guards the rounding of rand·b up to b
            on &= self.idx > second
            on.scatter_(-1, second, True).scatter_(-1, first, True)
        out.copy_(on)
        if self.params.data.kind == "bernoulli-uniform":
            out.mul_(torch.rand(out.shape, generator=gen, dtype=out.dtype, device=out.device))


def draw_inputs(
    params: AutoencoderParams,
    generator: torch.Generator,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step's inputs X (instances, rows, n) and row weights ω (rows,) for ``data != "basis"``:
    Σ_rows ω·Σ_j (y − x)² is an unbiased estimate of E_x Σ_j (y − x)²/(p·E[u²]) (module doc)."""
    if params.data.kind == "basis":
        raise ParamError(
            "data",
            params.data.kind,
            "'bernoulli' or 'bernoulli-uniform' (basis inputs are fixed: e_1..e_n)",
        )
    ws = _DataWorkspace(
        torch.zeros(params.instances, params.model.n, params.model.m, dtype=dtype, device=device),
        params,
        generator,
    )
    ws.resample()
    return ws.inputs()


def data_loss_and_grad(
    W: torch.Tensor,
    X: torch.Tensor,
    weights: torch.Tensor,
    xi: torch.Tensor | None,
    params: AutoencoderParams,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-instance loss Σ_rows ω·Σ_j (y − x)² + λ‖W‖₁ (B,) and its gradient (B, n, m) for explicit
    inputs X (B, rows, n) with row weights ω (rows,), y = ReLU(W(Wᵀx + ξ)); ``xi`` is None or
    broadcastable to (B, rows, m). This runs the very code of :func:`train`'s data path."""
    ws = _DataWorkspace(W, params, None, X=X, weights=weights)
    loss = ws.evaluate(W, None if xi is None else [xi])
    return loss, ws.grad.clone()


class _DataWorkspace:
    """The hot loop's buffers for ``data != "basis"``: a weighted batch of examples per step.

    Without noise the n one-hot rows are implicit (weight ``head_weight``): their Z is A = W Wᵀ
    itself, as on the basis path; ``X`` holds only the sampled rows, contiguous, so every
    product is one batched matmul.
    """

    def __init__(
        self,
        W: torch.Tensor,
        params: AutoencoderParams,
        generator: torch.Generator | None,
        *,
        X: torch.Tensor | None = None,
        weights: torch.Tensor | None = None,
    ) -> None:
        b, n, _ = W.shape
        self.params = params
        self.sampler: _InputSampler | None = None
        if X is not None:  # explicit inputs (tests, benchmarks): every row is in X
            assert weights is not None, "explicit inputs need their row weights"
            self.X, self.weights, self.head_weight = (
                X.to(W.dtype).contiguous(),
                weights.to(W.dtype),
                0.0,
            )
        else:
            stratified = params.noise.kind == "none"
            multi = (
                params.data.batch if (n >= 2 or not stratified) else 0
            )  # n = 1: no co-occurrence
            w = _row_weights(params, stratified, multi)
            self.head_weight = float(w[0]) if stratified else 0.0
            self.X = torch.zeros(b, multi, n, dtype=W.dtype, device=W.device)
            self.weights = torch.as_tensor(
                w[n:] if stratified else w, dtype=W.dtype, device=W.device
            )
            self.sampler = _InputSampler(params, stratified, generator, W.device)
        rows = self.X.shape[1]
        self.row_w = self.weights.view(1, rows, 1)
        self.A = torch.empty(b, n, n, dtype=W.dtype, device=W.device)
        self.S = torch.empty_like(self.A)
        self.XtD = torch.empty_like(self.A)
        self.Dh = torch.empty_like(self.A)
        self.mask_h = torch.empty(b, n, n, dtype=torch.bool, device=W.device)
        self.Wxi = torch.empty(b, n, 1, dtype=W.dtype, device=W.device)
        self.Z = torch.empty(b, rows, n, dtype=W.dtype, device=W.device)
        self.D = torch.empty_like(self.Z)
        self.mask = torch.empty(b, rows, n, dtype=torch.bool, device=W.device)
        gelu = (
            params.model.activation == "gelu"
        )  # GeLU'(Z) and a scratch buffer, rows and one-hot head
        self.slope = torch.empty_like(self.Z) if gelu else None
        self.tmp = torch.empty_like(self.Z) if gelu else None
        self.slope_h = torch.empty_like(self.A) if gelu else None
        self.tmp_h = torch.empty_like(self.A) if gelu else None
        self.grad = torch.empty_like(W)
        self.sign = torch.empty_like(W) if params.optimiser.l1 else None
        self.exact_diag = _ExactDiagonal(W, params)
        self.mm = self.exact_diag.mm

    def inputs(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This step's whole batch as explicit rows: (X (B, rows, n), weights (rows,))."""
        if not self.head_weight:
            return self.X.clone(), self.weights.clone()
        b, _, n = self.X.shape
        eye = torch.eye(n, dtype=self.X.dtype, device=self.X.device).expand(b, n, n)
        head = torch.full(
            (n,), self.head_weight, dtype=self.weights.dtype, device=self.weights.device
        )
        return torch.cat([eye, self.X], dim=1), torch.cat([head, self.weights])

    def resample(self) -> None:
        if self.sampler is not None:
            self.sampler.fill(self.X)

    def evaluate(
        self, W: torch.Tensor, draws: list[torch.Tensor] | None, *, with_l1: bool = True
    ) -> torch.Tensor:
        """As :meth:`_Workspace.evaluate`, on a fresh batch of examples (shared by the noise
        draws)."""
        self.resample()
        p = self.params
        self.mm.begin_step(W)
        if draws is None:
            loss = self._reconstruction(W, None, accumulate=False)
            self.grad.mul_(2.0)
        else:
            loss = self._reconstruction(W, draws[0], accumulate=False)
            for xi in draws[1:]:
                loss.add_(self._reconstruction(W, xi, accumulate=True))
            loss.div_(len(draws))
            self.grad.mul_(2.0 / len(draws))
        if p.optimiser.l1:
            assert self.sign is not None
            _add_l1(W, p.optimiser.l1, loss if with_l1 else None, self.grad, self.sign)
        return loss

    def _reconstruction(
        self, W: torch.Tensor, xi: torch.Tensor | None, *, accumulate: bool
    ) -> torch.Tensor:
        """Σ_rows ω Σ_j (y − x)² per instance; writes (or adds) Dᵀ H + (Xᵀ D) W into self.grad.

        Through the Gram matrix A = W Wᵀ: Z = X A + ξ Wᵀ and Dᵀ H + Xᵀ D W = (Dᵀ X + Xᵀ D) W + Dᵀ ξ,
        so only two matmuls touch m (as on the basis path), whatever the number of rows.
        """
        X, Z, D, A, S, grad, mm = self.X, self.Z, self.D, self.A, self.S, self.grad, self.mm
        act = self.params.model.activation
        relu = act == "relu"
        mm.bmm(W, W.transpose(1, 2), out=A)
        self.exact_diag(A, W, W)
        torch.bmm(X, A, out=Z)  # n-sized, float32: x_j·A_jj ≈ x_j meets its target x_j here
        shared = xi is not None and xi.shape[1] == 1
        if xi is not None:
            if shared:  # one ξ for every example of an instance: Z += 1 (W ξᵀ)ᵀ
                mm.bmm(W, xi.expand(W.shape[0], 1, W.shape[2]).transpose(1, 2), out=self.Wxi)
                Z.add_(self.Wxi.transpose(1, 2))
            else:
                mm.baddbmm_(Z, xi.expand(W.shape[0], -1, -1).contiguous(), W.transpose(1, 2))
        if relu:
            torch.gt(Z, 0, out=self.mask)
            torch.clamp(Z, min=0, out=D)
        elif act == "gelu":
            assert self.slope is not None and self.tmp is not None
            _gelu_and_slope(Z, D, self.slope, self.tmp)
        else:
            D.copy_(Z)
        D.sub_(X)  # the residual y − x (an output clamped to 0 still costs x²)
        loss = (D.square() * self.row_w).sum(dim=(1, 2))
        if relu:
            D.mul_(self.mask)
        elif act == "gelu":
            D.mul_(self.slope)
        D.mul_(self.row_w)
        torch.bmm(X.transpose(1, 2), D, out=self.XtD)
        if self.head_weight:  # the implicit one-hot rows: X = I, so Z = A and Xᵀ D = D
            Dh = self.Dh
            if relu:
                torch.gt(A, 0, out=self.mask_h)
                torch.clamp(A, min=0, out=Dh)
            elif act == "gelu":
                assert self.slope_h is not None and self.tmp_h is not None
                _gelu_and_slope(A, Dh, self.slope_h, self.tmp_h)
            else:
                Dh.copy_(A)
            Dh.diagonal(dim1=1, dim2=2).sub_(1.0)
            loss.add_(Dh.square().sum(dim=(1, 2)), alpha=self.head_weight)
            if relu:
                Dh.mul_(self.mask_h)
            elif act == "gelu":
                Dh.mul_(self.slope_h)
            self.XtD.add_(Dh, alpha=self.head_weight)
        torch.add(self.XtD, self.XtD.transpose(1, 2), out=S)  # Xᵀ D + Dᵀ X
        if accumulate:
            mm.baddbmm_(grad, S, W)
        else:
            mm.bmm(S, W, out=grad)
        if xi is not None:
            if shared:
                grad.addcmul_(D.sum(dim=1).unsqueeze(2), xi)
            else:
                mm.baddbmm_(grad, D.transpose(1, 2), xi.expand(W.shape[0], -1, -1).contiguous())
        return loss


class _UntiedWorkspace:
    """The hot loop's buffers for untied weights: the parameter tensor P (2, B, n, m) stacks the
    encoder E = P[0] and the decoder D = P[1] (module doc); noiseless basis inputs only."""

    def __init__(self, P: torch.Tensor, params: AutoencoderParams) -> None:
        _, b, n, _m = P.shape
        self.params = params
        self.Z = torch.empty(b, n, n, dtype=P.dtype, device=P.device)
        self.R = torch.empty_like(self.Z)
        self.residual = _BasisResidual(self.Z, params.model.activation)
        self.grad = torch.empty_like(P)
        self.sign = torch.empty_like(P) if params.optimiser.l1 else None
        self.exact_diag = _ExactDiagonal(P[0], params)
        self.mm = self.exact_diag.mm

    def evaluate(
        self, P: torch.Tensor, draws: list[torch.Tensor] | None, *, with_l1: bool = True
    ) -> torch.Tensor:
        """Loss (B,) at P, leaving ∂L/∂P in ``self.grad``: Z = E Dᵀ, R = (act(Z) − I) ⊙ act'(Z),
        ∂L/∂E = 2 R D, ∂L/∂D = 2 Rᵀ E, and λ sign(P) (``with_l1`` as in
        :meth:`_Workspace.evaluate`)."""
        if draws is not None:
            raise ParamError("noise", self.params.noise.kind, "'none' for untied weights")
        E, D, Z, R, mm = P[0], P[1], self.Z, self.R, self.mm
        mm.begin_step(P)
        mm.bmm(E, D.transpose(1, 2), out=Z)
        self.exact_diag(Z, E, D)
        loss = self.residual(Z, R)
        R.mul_(2.0)
        mm.bmm(R, D, out=self.grad[0])
        mm.bmm(R.transpose(1, 2), E, out=self.grad[1])
        if self.params.optimiser.l1:
            assert self.sign is not None
            if with_l1:
                loss.add_(P.abs().sum(dim=(0, 2, 3)), alpha=self.params.optimiser.l1)
            torch.sign(P, out=self.sign)
            self.grad.add_(self.sign, alpha=self.params.optimiser.l1)
        return loss


def train(
    params: AutoencoderParams,
    *,
    metrics: Mapping[str, Metric] | None = None,
    on_step: Callable[[int, int], None] | None = None,
    init: np.ndarray | None = None,
) -> TrainResult:
    """Train ``params.instances`` autoencoders side by side; record ``metrics`` at log-spaced steps.

    ``init`` (tied weights only): the initial W, an array of shape (instances, n, m) of finite
    numbers, used instead of the N(0, std²) draw (which is still drawn and discarded, so the
    generator's later draws, the noise, are those of the default run; ``init=train(p).W_init``
    reproduces ``train(p)``). None (the default) leaves the run unchanged.

    Each metric maps W (B, n, m) (the encoder E when untied) to a tensor with a leading instance
    axis. ``on_step(done, total)`` is called at every recorded step (for progress bars).
    Randomness comes from a ``torch.Generator`` seeded with ``params.seed`` only. Raises
    :class:`DivergenceError` naming the first step whose loss was NaN or infinite.
    """
    metrics = dict(metrics or {})
    dtype = _DTYPES[params.dtype]
    device = torch.device(params.device)
    gen = torch.Generator(device=device)
    gen.manual_seed(params.seed)
    start = time.perf_counter()
    b, n, m = params.instances, params.model.n, params.model.m
    # untied: the stack (2, B, n, m) of E and D, E drawn first (the tied W of the same seed)
    shape = (b, n, m) if params.model.tied else (2, b, n, m)
    W = torch.randn(*shape, generator=gen, dtype=dtype, device=device).mul_(params.model.std)
    if init is not None:
        W = torch.as_tensor(_check_init(init, params), dtype=dtype, device=device).clone()
    W_init = W.detach().cpu().numpy().copy()

    ws: _Workspace | _DataWorkspace | _UntiedWorkspace = (
        _UntiedWorkspace(W, params)
        if not params.model.tied
        else _Workspace(W, params)
        if params.data.kind == "basis"
        else _DataWorkspace(W, params, gen)
    )
    code = W if params.model.tied else W[0]  # what the metrics see: W, or the encoder E
    opt = _Optimizer(params, W, ws.grad)
    record_at = np.union1d(
        log_steps(params.optimiser.steps, params.log_points),
        np.asarray(params.record_steps, dtype=int),
    )
    records: dict[str, list[np.ndarray]] = {k: [] for k in metrics}
    # zeros, not empty: a run shorter than check_every checks slots it never wrote
    losses = torch.zeros(params.check_every, b, dtype=dtype, device=device)
    loss_log: list[np.ndarray] = []
    noisy = params.noise.kind != "none"
    shape = _noise_shape(params)
    next_record = 0

    def record(step: int, loss: torch.Tensor) -> None:
        for k, fn in metrics.items():
            records[k].append(fn(code).detach().cpu().numpy())
        loss_log.append(loss.detach().cpu().numpy())

    # the params decide the arithmetic, not the process-wide setting (restored on the way out)
    with torch.no_grad(), float32_matmul_precision("highest"):
        for step in range(params.optimiser.steps + 1):
            draws = (
                [
                    draw_noise(params, shape, gen, dtype=dtype, device=device)
                    for _ in range(params.noise.draws)
                ]
                if noisy
                else None
            )
            recording = step == record_at[next_record]
            loss = ws.evaluate(W, draws, with_l1=recording)
            if recording:
                record(step, loss)
                next_record = min(next_record + 1, len(record_at) - 1)
                if on_step is not None:
                    on_step(step, params.optimiser.steps)
            losses[step % params.check_every] = loss
            if (step + 1) % params.check_every == 0 or step == params.optimiser.steps:
                _check_finite(losses, step, params)
            if step == params.optimiser.steps:
                break  # the last pass only evaluates the loss at the final W
            opt.step(ws.grad)

    W_final = W.detach().cpu().numpy().copy()
    return TrainResult(
        params=params,
        W_init=W_init if params.model.tied else W_init[0],
        W_final=W_final if params.model.tied else W_final[0],
        steps=record_at,
        metrics={k: np.stack(v) for k, v in records.items()},
        loss=np.stack(loss_log),
        seconds=time.perf_counter() - start,
        D_init=None if params.model.tied else W_init[1],
        D_final=None if params.model.tied else W_final[1],
    )


def _check_init(init: object, params: AutoencoderParams) -> np.ndarray:
    """``init`` as a float array of shape (instances, n, m) of finite numbers (tied weights only),
    or a ParamError naming ``init``."""
    b, n, m = params.instances, params.model.n, params.model.m
    if not params.model.tied:
        raise ParamError("init", "an array", "None when model.tied is False (tied weights only)")
    arr = np.asarray(init)
    if arr.shape != (b, n, m) or not np.issubdtype(arr.dtype, np.number):
        raise ParamError(
            "init",
            f"an array of shape {arr.shape} and dtype {arr.dtype}",
            f"a real array of shape (instances, n, m) = ({b}, {n}, {m})",
        )
    if not np.isfinite(arr).all():
        raise ParamError("init", "an array with NaN or infinite entries", "finite entries only")
    return arr


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
