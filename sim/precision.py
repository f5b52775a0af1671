"""Reduced-precision matmuls for the trainer: which products may be rounded, and how.

``AutoencoderParams.matmul_precision`` takes torch's names and one of its own:

* ``"highest"`` — float32 throughout (the default; the trainer's arithmetic is unchanged);
* ``"high"`` / ``"medium"`` — ``torch.set_float32_matmul_precision`` for the large products: on
  CUDA both select TF32 (10-bit mantissa); on a CPU with AMX-BF16 or AVX512-BF16, ``"medium"``
  rounds the inputs of float32 matmuls to bfloat16 (8-bit mantissa) and accumulates in float32.
  Where the hardware has neither, torch computes in float32 and the setting changes nothing
  (:func:`probe` measures what it does on the machine at hand);
* ``"bf16-emulated"`` — the arithmetic of ``"medium"`` on AMX hardware, on any machine: both
  operands of each large product are rounded to bfloat16 (round to nearest even) and the float32
  matmul then multiplies them exactly (two 8-bit mantissas fit in float32's 24) and accumulates in
  float32. It is slower, not faster: it exists to validate the statistics of ``"medium"`` on a
  machine without bfloat16 units.

Which terms must stay exact (the derivation ``tests/test_precision.py`` checks). A product
rounded at relative precision u (u = 2⁻⁸ for bfloat16 inputs: each factor carries ≤ 2⁻⁹) errs by
at most ≈ u·Σ_k |a_k b_k|: an error relative to the size of its own terms. That is harmless
wherever the result drives the dynamics by its own size, and fatal where it is compared with a
constant of the same size. The only such place in the model is the diagonal of the
reconstruction residual, (W Wᵀ)_ii − 1 = ‖W_i‖² − 1: at the L1 equilibrium of a monosemantic row
w = a·e_k, 4(a² − 1)a = −λ, so ‖W_i‖² − 1 ≈ −λ/4, while rounding ‖W_i‖² ≈ 1 errs by ≈ u ≈ 4e−3 —
sixteen times λ/4 at the paper's λ = 1e−3 (at λ = 0.1 it is 6 %). Rounding then hides the L1 force
that sets the norms, and the features' fate with it. Everything else is relative:

* off-diagonal (W Wᵀ)_ij are compared with 0 (the ReLU gate): rounding moves the gate only where
  |W_i·W_j| ≲ u·Σ_k|W_ik W_jk|, and the force it then drops or adds is of that size;
* the gradient product R·W: the diagonal term R_ii W_i ≈ −(λ/4)W_i is rounded relative to itself
  (R is formed in float32 from the exact diagonal before it is rounded);
* noise terms W·ξ have the size of the noise and no constant to cancel against; rounding ±σ to
  bfloat16 rescales σ by less than 2⁻⁹;
* on the data path (features co-occurring), Z = X·A contains x_j·A_jj ≈ x_j, compared with the
  target x_j: that product and Xᵀ·D (both n-sized, no m in them) stay float32.

So the trainer computes ‖W_i‖² (untied: E_i·D_i; sample noise: (W_i + ξ_i)·W_i) by a float32
reduction, O(n·m), and writes it over the diagonal of each rounded Gram matrix; only the products
whose contracted or output dimension is m go through :class:`Matmul`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cache
from typing import Literal

import torch

from ._validate import check_choice

__all__ = [
    "MATMUL_PRECISIONS",
    "Matmul",
    "MatmulPrecision",
    "float32_matmul_precision",
    "probe",
]

MatmulPrecision = Literal["highest", "high", "medium", "bf16-emulated"]
MATMUL_PRECISIONS: tuple[str, ...] = ("highest", "high", "medium", "bf16-emulated")


@contextlib.contextmanager
def float32_matmul_precision(precision: str) -> Iterator[None]:
    """Set torch's float32 matmul precision (torch's names) for the block; restore it after."""
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(precision)
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


class Matmul:
    """The large batched products of one training run at one precision.

    ``"highest"`` is torch.bmm itself. ``"high"``/``"medium"`` switch torch's setting around each
    product only, so the small products of the step stay float32 whatever the process-wide
    setting. ``"bf16-emulated"`` rounds both operands to bfloat16 first."""

    def __init__(self, precision: str) -> None:
        check_choice("matmul_precision", precision, MATMUL_PRECISIONS)
        self.precision = precision
        self.exact = precision == "highest"  # callers skip the diagonal fix-up when True
        # bf16-emulated: the weights rounded once per step (two products use them, W Wᵀ and D·W);
        # begin_step names them. Keyed by storage: torch's fused AdamW updates in place without
        # bumping the version counter, so nothing else may be cached.
        self._weights: int | None = None
        self._rounded: dict[tuple, torch.Tensor] = {}

    def begin_step(self, weights: torch.Tensor) -> None:
        """A new step: ``weights`` (whose storage holds every operand that stays fixed during the
        step) may have changed; forget their rounding."""
        self._weights = weights.untyped_storage().data_ptr()
        self._rounded.clear()

    def _round(self, x: torch.Tensor) -> torch.Tensor:
        if self.precision != "bf16-emulated":
            return x
        if x.dim() == 3 and not x.is_contiguous() and x.transpose(1, 2).is_contiguous():
            return self._round(x.transpose(1, 2)).transpose(1, 2)  # Wᵀ: the rounded W, viewed
        if x.untyped_storage().data_ptr() != self._weights:
            return x.to(torch.bfloat16).to(x.dtype)
        key = (x.data_ptr(), tuple(x.shape), tuple(x.stride()))
        if key not in self._rounded:
            self._rounded[key] = x.to(torch.bfloat16).to(x.dtype)
        return self._rounded[key]

    def bmm(self, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """``out`` ← a·b (batched)."""
        if self.exact:
            return torch.bmm(a, b, out=out)
        if self.precision == "bf16-emulated":
            return torch.bmm(self._round(a), self._round(b), out=out)
        with float32_matmul_precision(self.precision):
            return torch.bmm(a, b, out=out)

    def baddbmm_(self, acc: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``acc`` += a·b (batched), in place."""
        if self.exact:
            return acc.baddbmm_(a, b)
        if self.precision == "bf16-emulated":
            return acc.baddbmm_(self._round(a), self._round(b))
        with float32_matmul_precision(self.precision):
            return acc.baddbmm_(a, b)


@cache
def probe(precision: str, device: str = "cpu") -> dict[str, object]:
    """What ``precision`` does on ``device``, measured: the relative error of a float32 product
    of 64×512 N(0, 1) matrices (one fixed draw) against float64, beside that of bfloat16-rounded
    inputs on the same draw, and the arithmetic it shows: "float32" (error below 1e−5),
    "bfloat16 inputs" (at least half the rounded inputs' error) or "tf32-like" (in between).
    Cached per process."""
    check_choice("matmul_precision", precision, MATMUL_PRECISIONS)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(1, 64, 512, generator=gen).to(device)
    ref = torch.bmm(a.double(), a.double().transpose(1, 2))

    def error(p: str) -> float:
        out = torch.empty(1, 64, 64, device=device)
        with float32_matmul_precision("highest"):
            Matmul(p).bmm(a, a.transpose(1, 2), out=out)
        return float((out.double() - ref).norm() / ref.norm())

    err, bf16 = error(precision), error("bf16-emulated")
    kind = "float32" if err < 1e-5 else "bfloat16 inputs" if err >= 0.5 * bf16 else "tf32-like"
    return {"precision": precision, "relative_error": err, "arithmetic": kind}
