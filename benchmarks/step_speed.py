"""Speed of one training step: the fused trainer at each matmul precision and with a symmetric
Gram product, against the paper code's autograd step and the machine's float32 and bfloat16
matmul rates, all measured in the same run. Prints a table; asserts nothing (speed is measured,
not tested).

    python benchmarks/step_speed.py                  # n = 256, m ∈ {256, 1024, 4096}, 16 instances
    python benchmarks/step_speed.py --threads 1 --m 1024

Useful FLOPs per step are those of the two matmuls the gradient needs, A = WWᵀ and D·W:
4·B·n²·m. The paper's step (identity batch through einsums, autograd) does 10·B·n²·m.

Rows: ``fused`` (float32, today's step), ``medium`` (torch's "medium": bfloat16 inputs where
the CPU has AMX-BF16/AVX512-BF16, float32 elsewhere; the diagonal recomputed in float32),
``bf16-emulated`` (the arithmetic of "medium" on AMX, emulated: slower by design), ``syrk`` (A =
WWᵀ from one BLAS SSYRK per instance through scipy: half the Gram's FLOPs, same float32
arithmetic) and ``paper`` (the paper code's step).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
from collections.abc import Callable

import torch
from scipy.linalg import blas

from sim.autoencoder import AutoencoderParams, _Optimizer, _Workspace, reference_loss
from sim.precision import Matmul


def _time(fn: Callable[[], object], reps: int, warmup: int = 2) -> float:
    """Median seconds of ``fn`` over ``reps`` calls after ``warmup``."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def matmul_rate(size: int = 2048, reps: int = 5) -> float:
    """Measured float32 GFLOP/s of a square matmul: the machine's practical limit."""
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    out = torch.empty(size, size)
    sec = _time(lambda: torch.mm(a, b, out=out), reps)
    return 2 * size**3 / sec / 1e9


def gram_rate(b: int, n: int, m: int, dtype: torch.dtype, reps: int = 3) -> float:
    """Measured GFLOP/s of the step's own Gram product W Wᵀ, (b, n, m), with ``dtype`` inputs.
    (A square bfloat16 gemm is the wrong yardstick on a CPU without bfloat16 units: torch runs
    it at under 1 GFLOP/s there, against ≈ 10 for this batched shape.)"""
    W = torch.randn(b, n, m).to(dtype)
    sec = _time(lambda: torch.bmm(W, W.transpose(1, 2)), reps, warmup=1)
    return 2 * b * n * n * m / sec / 1e9


class SyrkMatmul(Matmul):
    """float32 products, except the Gram matrix A = WWᵀ, which is one SSYRK per instance (its
    lower triangle, then mirrored): half the Gram's FLOPs, the same arithmetic."""

    def __init__(self) -> None:
        super().__init__("highest")
        self.low: torch.Tensor | None = None  # the strict lower triangle, mirrored

    def bmm(self, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        if b.data_ptr() != a.data_ptr() or b.shape != a.transpose(1, 2).shape:
            return torch.bmm(a, b, out=out)
        W, A = a.numpy(), out.numpy()
        for i in range(W.shape[0]):
            # W[i] (n, m) C-order is the F-order (m, n) matrix Wᵀ: trans=1 gives (Wᵀ)ᵀWᵀ = WWᵀ,
            # written into the upper triangle of the F-order A[i].T, the lower one of A[i]
            blas.ssyrk(1.0, W[i].T, trans=1, c=A[i].T, overwrite_c=1)
        if self.low is None or self.low.shape != out.shape:
            self.low = torch.empty_like(out)
        torch.tril(out, -1, out=self.low)
        return out.tril_().add_(self.low.transpose(1, 2))


def fused_step(p: AutoencoderParams, mm: Matmul | None = None) -> Callable[[], None]:
    gen = torch.Generator().manual_seed(0)
    W = torch.randn(p.instances, p.model.n, p.model.m, generator=gen) / p.model.m**0.5
    ws = _Workspace(W, p)
    if mm is not None:
        ws.mm = mm
    opt = _Optimizer(p, W, ws.grad)

    def step() -> None:
        ws.evaluate(W, None, with_l1=False)
        opt.step(ws.grad)

    return step


def paper_step(p: AutoencoderParams) -> Callable[[], None]:
    """The paper code's step: identity batch through einsums, autograd, torch.optim.AdamW."""
    gen = torch.Generator().manual_seed(0)
    W = (
        torch.randn(p.instances, p.model.n, p.model.m, generator=gen) / p.model.m**0.5
    ).requires_grad_(True)
    opt = torch.optim.AdamW([W], lr=p.optimiser.lr, weight_decay=p.optimiser.weight_decay)

    def step() -> None:
        opt.zero_grad()
        reference_loss(W, None, p).sum().backward()
        opt.step()

    return step


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--m", type=int, nargs="+", default=[256, 1024, 4096])
    ap.add_argument("--instances", type=int, default=16)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    peak = matmul_rate()
    m_mid = sorted(args.m)[len(args.m) // 2]
    gram32 = gram_rate(args.instances, args.n, m_mid, torch.float32)
    gram16 = gram_rate(args.instances, args.n, m_mid, torch.bfloat16)
    load = os.getloadavg()[0]
    print(f"torch {torch.__version__}, {args.threads} thread(s), load average {load:.2f}")
    print(
        f"machine matmul rates: float32 2048² sgemm {peak:.1f} GFLOP/s; the Gram product "
        f"(B={args.instances}, n={args.n}, m={m_mid}): float32 {gram32:.1f}, "
        f"bfloat16 {gram16:.1f} GFLOP/s\n"
    )
    variants: dict[str, Callable[[AutoencoderParams], Matmul | None]] = {
        "fused": lambda p: None,
        "medium": lambda p: Matmul("medium"),
        "bf16-emulated": lambda p: Matmul("bf16-emulated"),
        "syrk": lambda p: SyrkMatmul(),
    }
    head = (
        f"{'n':>5} {'m':>6} {'B':>4} | "
        + " ".join(f"{k + ' ms':>17}" for k in variants)
        + f" {'paper ms':>9} | {'fused useful GFLOP/s':>20} {'of peak':>8}"
    )
    print(head)
    print("-" * len(head))
    for m in args.m:
        p = AutoencoderParams.flat(
            n=args.n,
            m=m,
            instances=args.instances,
            lr=1e-3,
            optimizer="adamw",
            weight_decay=0.01,
            l1=1e-3,
        )
        times = {}
        for name, make in variants.items():
            mm = make(p)
            q = (
                p
                if mm is None or name == "syrk"
                else dataclasses.replace(p, matmul_precision=mm.precision)
            )
            times[name] = _time(fused_step(q, mm), args.reps)
        t_paper = _time(paper_step(p), max(3, args.reps // 2))
        t_fused = times["fused"]
        useful = 4 * p.instances * p.model.n**2 * m / t_fused / 1e9
        cells = " ".join(f"{t * 1e3:>9.1f} ({t_fused / t:>4.2f}x)" for t in times.values())
        print(
            f"{p.model.n:>5} {m:>6} {p.instances:>4} | {cells} {t_paper * 1e3:>9.1f} | "
            f"{useful:>20.1f} {useful / peak:>7.0%}"
        )
    print(
        "\n(x) = speed relative to today's fused float32 step. Goal (issue 23): the medium step "
        ">= 2.5x the fused step at m >= 1024 — reachable only where bfloat16 matmuls run faster "
        "than float32 ones (the bfloat16 rate above)."
    )


if __name__ == "__main__":
    main()
