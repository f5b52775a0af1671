"""The quadratic toy model of Scherlis et al. (2210.01892), trained by gradient descent, and the
capacity measure.

Where the reader is: the simulator behind the claims ``capacity-bound`` and
``capacity-allocation`` (catalogue §2). Features i = 1..N have importances v_i and embeddings
W_i ∈ R^d (the rows of W, shape (N, d), the autoencoder's convention). The target is
y = Σ_i v_i x_i², the model ŷ = xᵀ W Wᵀ x + b = ‖Wᵀx‖² + b, and the inputs are i.i.d. symmetric
with E x² = 1 and E x⁴ = K (kurtosis). Two ways to train, both batched over groups (one
importance vector and one K per group) and over independent initialisations:

* ``data="expected"`` — full-batch gradient descent on the exact population loss at the optimal
  bias (derived in :mod:`theory.capacity`, catalogue P2-LOSS):

      L(W) = (K − 1) Σ_i (v_i − G_ii)² + 2 Σ_{i≠j} G_ij²,   G = W Wᵀ,
      ∂L/∂W = M W,   M = 8 (G − diag G) − 4 (K − 1) diag(v − diag G);

* ``data="sparse"`` — stochastic gradient descent on sampled inputs x_i = ±√K with probability
  1/(2K) each (else 0; E x² = 1, E x⁴ = K, so any K >= 1), with a learned bias b: the model on
  data, with no derived formula in the loop. A batch of ``batch`` i.i.d. samples only enters
  through how often each of the 3^N input patterns occurs, so those counts are drawn instead
  (multinomial, exactly the batch's law) at a cost independent of the batch size (N <= 6).

The step of each group is ``lr / κ`` with κ = (K − 1)·max_i v_i + Σ_i v_i, the scale of the
loss's curvature at its optimum (‖W_i‖² <= v_i: the feature term (K − 1)(v_i − ‖W_i‖²)² has
curvature 8(K − 1)‖W_i‖² <= 8(K − 1)v_i along W_i — linear in v, not v², so the two coincide
only at max v = 1 — and the interference term 8Σ_j ‖W_j‖²), so one ``lr`` (< 0.25) is stable
for every K and importance vector; it decays linearly to ``lr_end / κ`` when ``lr_end`` is set.
Randomness: one ``torch.Generator`` seeded with ``params.seed``.

Usage::

    from sim.quadratic import QuadraticParams, train, capacities
    out = train(QuadraticParams(v=((1.0, 0.3),), K=(9.0,), d=1, instances=4, steps=2000))
    capacities(out.W_final).shape  # (1, 4, 2): groups, instances, features
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from ._validate import ParamError, check_choice, check_float, check_int

__all__ = ["QuadraticParams", "QuadraticResult", "capacities", "expected_loss", "train"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def capacities(W: np.ndarray) -> np.ndarray:
    """C_i = (W_i·W_i)² / Σ_j (W_i·W_j)² for the rows W_i of W (..., N, d); 0 for a zero row (a
    feature that is not represented). Scherlis et al.'s definition (catalogue P2-DEF)."""
    W = np.asarray(W, dtype=float)
    G = W @ np.swapaxes(W, -1, -2)
    diag = np.diagonal(G, axis1=-2, axis2=-1)
    denom = (G * G).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, diag**2 / np.where(denom > 0, denom, 1.0), 0.0)


@dataclass(frozen=True)
class QuadraticParams:
    """One batched training run of the quadratic model: ``len(v)`` groups × ``instances`` inits."""

    # importances: one row per group, N features each (the two-feature phase diagram uses (1, r))
    v: tuple[tuple[float, ...], ...] = ((1.0, 0.5),)
    K: tuple[float, ...] = (10.0,)  # input kurtosis E x⁴ per group (>= 1; 3 is Gaussian)
    d: int = 1  # embedding dimension (neurons)
    instances: int = 4  # independent initialisations per group
    steps: int = 4000  # gradient steps
    lr: float = (
        0.05  # the step is lr/κ, κ = (K−1)·max v + Σ v: the loss's curvature scale (module doc)
    )
    lr_end: float | None = None  # lr at the last step, reached by linear decay (None: constant)
    init_std: float = (
        0.1  # std of the N(0, std²) initial W (small: the curvature scale assumes ‖W_i‖² ≲ v_i)
    )
    data: Literal["expected", "sparse"] = "expected"  # exact population loss, or sampled inputs
    batch: int = 256  # samples per step when data="sparse"
    dtype: Literal["float32", "float64"] = "float64"  # compute dtype
    seed: int = 0  # seeds the init and the samples

    def __post_init__(self) -> None:
        if not self.v or not all(isinstance(row, tuple) for row in self.v):
            raise ParamError("v", self.v, "a non-empty tuple of importance tuples, one per group")
        n = len(self.v[0])
        if n < 1 or any(len(row) != n for row in self.v):
            raise ParamError("v", self.v, "rows of one common length N >= 1")
        for row in self.v:
            for x in row:
                check_float("v", x, 0.0)
        if len(self.K) != len(self.v):
            raise ParamError("K", self.K, f"one kurtosis per group ({len(self.v)} values)")
        for k in self.K:
            check_float("K", k, 1.0)
        check_int("d", self.d, 1)
        check_int("instances", self.instances, 1)
        check_int("steps", self.steps, 1)
        check_float("lr", self.lr, 0.0, lo_open=True)
        if self.lr_end is not None:
            check_float("lr_end", self.lr_end, 0.0, self.lr)
        check_float("init_std", self.init_std, 0.0, lo_open=True)
        check_choice("data", self.data, ("expected", "sparse"))
        check_int("batch", self.batch, 1)
        if self.data == "sparse" and len(self.v[0]) > MAX_SPARSE_FEATURES:
            raise ParamError(
                "v",
                f"{len(self.v[0])} features",
                f"at most {MAX_SPARSE_FEATURES} features when "
                "data='sparse' (its 3^N input patterns are enumerated); use data='expected'",
            )
        check_choice("dtype", self.dtype, tuple(_DTYPES))
        check_int("seed", self.seed, 0)

    @property
    def n_features(self) -> int:
        return len(self.v[0])


@dataclass(frozen=True, repr=False)
class QuadraticResult:
    params: QuadraticParams
    W_init: np.ndarray  # (groups, instances, N, d)
    W_final: np.ndarray  # (groups, instances, N, d)
    bias: np.ndarray  # (groups, instances) learned bias (data="sparse"); the optimal one otherwise
    loss: np.ndarray  # (groups, instances) exact population loss at W_final (optimal bias)
    seconds: float

    def __repr__(self) -> str:
        g, b, n, d = self.W_final.shape
        return f"QuadraticResult(groups={g}, instances={b}, N={n}, d={d}, data={self.params.data})"


def expected_loss(
    W: torch.Tensor, v: torch.Tensor, K: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact population loss (B,) at the optimal bias and its gradient M W (B, N, d), for W
    (B, N, d), v (B, N), K (B,) (module doc)."""
    G = W @ W.transpose(1, 2)
    diag = torch.diagonal(G, dim1=1, dim2=2)
    resid = v - diag
    off = G - torch.diag_embed(diag)
    loss = (K - 1) * (resid**2).sum(1) + 2 * (off**2).sum((1, 2))
    M = 8 * off - torch.diag_embed(4 * (K - 1).unsqueeze(1) * resid)
    return loss, M @ W


MAX_SPARSE_FEATURES = 6  # data="sparse" enumerates the 3^N input patterns (729 at N = 6)


def _patterns(N: int) -> torch.Tensor:
    """All 3^N input patterns with entries in {−1, 0, +1} (rows), scaled by √K later."""
    grid = torch.cartesian_prod(*[torch.tensor([-1.0, 0.0, 1.0])] * N)
    return grid.reshape(-1, N)


class _PatternCounts:
    """Counts of each input pattern in a batch of ``batch`` i.i.d. samples: a multinomial draw,
    made as a chain of binomials (exactly the law of sampling the batch, at a cost independent
    of its size). x_i = ±√K with probability 1/(2K) each, else 0."""

    def __init__(
        self, K: torch.Tensor, N: int, batch: int, gen: torch.Generator, dtype: torch.dtype
    ) -> None:
        pat = _patterns(N).to(dtype)  # (P, N)
        q_on = (1.0 / (2.0 * K)).unsqueeze(1)  # (B, 1)
        per_coord = torch.where(
            pat.unsqueeze(0) == 0, 1.0 - 2.0 * q_on.unsqueeze(2), q_on.unsqueeze(2)
        )
        self.probs = per_coord.prod(dim=2).to(torch.float64)  # (B, P)
        # P(cell c | not one of the cells before it), for the binomial chain
        tail = self.probs.flip(1).cumsum(1).flip(1)
        self.cond = (self.probs / tail.clamp_min(1e-300)).clamp(0.0, 1.0)
        self.x = pat.unsqueeze(0) * torch.sqrt(K).to(dtype).view(-1, 1, 1)  # (B, P, N)
        self.batch = batch
        self.gen = gen
        self.dtype = dtype

    def draw(self) -> torch.Tensor:
        B, P = self.probs.shape
        left = torch.full((B,), float(self.batch), dtype=torch.float64)
        counts = torch.empty(B, P, dtype=torch.float64)
        for c in range(P - 1):
            counts[:, c] = torch.binomial(left, self.cond[:, c], generator=self.gen)
            left -= counts[:, c]
        counts[:, P - 1] = left
        return counts.to(self.dtype)


def _sparse_step(
    W: torch.Tensor, b: torch.Tensor, v: torch.Tensor, sampler: _PatternCounts
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of the mean squared error on one batch, from its pattern counts."""
    w = sampler.draw() / sampler.batch  # (B, P) empirical frequencies
    x = sampler.x  # (B, P, N)
    y = (x * x) @ v.unsqueeze(2)  # (B, P, 1)
    h = x @ W  # (B, P, d)
    e = ((h * h).sum(2, keepdim=True) + b.view(-1, 1, 1) - y) * w.unsqueeze(
        2
    )  # frequency-weighted ŷ − y
    gW = 4.0 * (x.transpose(1, 2) @ (e * h))
    gb = 2.0 * e.sum((1, 2))
    return gW, gb


def train(params: QuadraticParams) -> QuadraticResult:
    """Train every group's ``instances`` models side by side (module doc)."""
    dtype = _DTYPES[params.dtype]
    gen = torch.Generator().manual_seed(params.seed)
    start = time.perf_counter()
    groups, inst, N, d = len(params.v), params.instances, params.n_features, params.d
    B = groups * inst
    v = torch.tensor(params.v, dtype=dtype).repeat_interleave(inst, dim=0)  # (B, N)
    K = torch.tensor(params.K, dtype=dtype).repeat_interleave(inst)  # (B,)
    W = torch.randn(B, N, d, generator=gen, dtype=dtype).mul_(params.init_std)
    W_init = W.clone()
    b = torch.zeros(B, dtype=dtype)
    lr_end = params.lr if params.lr_end is None else params.lr_end
    # (B,) curvature scale: 8κ bounds the Hessian at the optimum, so lr < 0.25 is stable (module
    # doc); (K − 1)·max v² here (issue 18) made the step 8·lr(K − 1)v/κ > 2 for max v ≈ 0.5,
    # K = 20: the strongest feature's norm then cycles about v_i while every capacity (scale-free)
    # converges
    kappa = (K - 1) * v.amax(dim=1) + v.sum(dim=1)
    sampler = _PatternCounts(K, N, params.batch, gen, dtype) if params.data == "sparse" else None
    for step in range(params.steps):
        frac = step / max(params.steps - 1, 1)
        step_size = (params.lr + (lr_end - params.lr) * frac) / kappa
        if sampler is None:
            _, grad = expected_loss(W, v, K)
        else:
            grad, gb = _sparse_step(W, b, v, sampler)
            b -= step_size * gb
        W -= step_size.view(B, 1, 1) * grad
        if step % 500 == 0 and not bool(torch.isfinite(W).all()):
            raise FloatingPointError(
                f"quadratic model diverged by step {step} (lr={params.lr}, K={params.K})"
            )
    loss, _ = expected_loss(W, v, K)
    if not bool(torch.isfinite(loss).all()):
        raise FloatingPointError(f"quadratic model diverged (lr={params.lr}, K={params.K})")
    G = W @ W.transpose(1, 2)
    bias = b if params.data == "sparse" else (v - torch.diagonal(G, dim1=1, dim2=2)).sum(1)
    shape = (groups, inst)
    return QuadraticResult(
        params=params,
        W_init=W_init.numpy().reshape(*shape, N, d),
        W_final=W.numpy().reshape(*shape, N, d),
        bias=bias.numpy().reshape(shape),
        loss=loss.numpy().reshape(shape),
        seconds=time.perf_counter() - start,
    )
