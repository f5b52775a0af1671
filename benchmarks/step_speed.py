"""Speed of one training step: the fused trainer against the paper code's autograd step and the
machine's float32 matmul rate. Prints a table; asserts nothing (speed is measured, not tested).

    python benchmarks/step_speed.py                  # n = 256, m ∈ {1024, 4096}, 16 instances
    python benchmarks/step_speed.py --threads 1 --m 1024

Useful FLOPs per step are those of the two matmuls the gradient needs, A = WWᵀ and D·W:
4·B·n²·m. The paper's step (identity batch through einsums, autograd) does 10·B·n²·m.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import torch

from sim.autoencoder import AutoencoderParams, _Optimizer, _Workspace, reference_loss


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


def fused_step(p: AutoencoderParams) -> Callable[[], None]:
    gen = torch.Generator().manual_seed(0)
    W = torch.randn(p.instances, p.n, p.m, generator=gen) / p.m**0.5
    ws = _Workspace(W, p)
    opt = _Optimizer(p, W, ws.grad)

    def step() -> None:
        ws.evaluate(W, None, with_l1=False)
        opt.step(ws.grad)

    return step


def paper_step(p: AutoencoderParams) -> Callable[[], None]:
    """The paper code's step: identity batch through einsums, autograd, torch.optim.AdamW."""
    gen = torch.Generator().manual_seed(0)
    W = (torch.randn(p.instances, p.n, p.m, generator=gen) / p.m**0.5).requires_grad_(True)
    opt = torch.optim.AdamW([W], lr=p.lr, weight_decay=p.weight_decay)

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
    ap.add_argument("--m", type=int, nargs="+", default=[1024, 4096])
    ap.add_argument("--instances", type=int, default=16)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    peak = matmul_rate()
    load = os.getloadavg()[0]
    print(f"torch {torch.__version__}, {args.threads} thread(s), load average {load:.2f}, float32")
    print(f"machine float32 matmul rate (2048² sgemm): {peak:.1f} GFLOP/s\n")
    head = (
        f"{'n':>5} {'m':>6} {'B':>4} | {'fused ms':>9} {'paper ms':>9} {'speedup':>8} "
        f"| {'useful GFLOP/s':>14} {'of peak':>8}"
    )
    print(head)
    print("-" * len(head))
    for m in args.m:
        p = AutoencoderParams(
            n=args.n,
            m=m,
            instances=args.instances,
            lr=1e-3,
            optimizer="adamw",
            weight_decay=0.01,
            l1=1e-3,
        )
        t_fused = _time(fused_step(p), args.reps)
        t_paper = _time(paper_step(p), max(3, args.reps // 2))
        useful = 4 * p.instances * p.n**2 * m / t_fused / 1e9
        print(
            f"{p.n:>5} {m:>6} {p.instances:>4} | {t_fused * 1e3:>9.1f} {t_paper * 1e3:>9.1f} "
            f"{t_paper / t_fused:>7.2f}x | {useful:>14.1f} {useful / peak:>7.0%}"
        )
    print(
        "\nTargets (issue 2): speedup >= 4x over the paper step; "
        "useful rate >= 50 % of the sgemm rate."
    )


if __name__ == "__main__":
    main()
