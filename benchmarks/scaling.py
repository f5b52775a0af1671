"""Scaling, measured: per-step cost against m, and a claim's wall time against workers.

    python benchmarks/scaling.py                 # both parts, at the paper's n = 256, 16 instances
    python benchmarks/scaling.py --part workers --workers 1 2 4

1. Per-step cost of the fused trainer at n = 256, 16 instances, m = 256…4096 (the paper grid's
   range). The step is two GEMMs of 2·B·n²·m FLOPs plus O(B·n·m) elementwise work, so its cost is
   predicted linear in m: the fitted exponent of time ∝ m^b (bootstrap CI over repeated timings)
   should be ≈ 1.
2. Wall time of collision-count's paper grid (n = 256, m = 256…4096 step 256, 16 instances, AdamW)
   with the steps cut to ``--steps`` (the full 7500 steps take hours on this CPU), run in-process
   and on 2, 4… local worker processes via ``--workers``. Numbers do not depend on the executor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from claims import Context, fitting, get
from claims._executors import executor
from sim.autoencoder import AutoencoderParams, _Optimizer, _Workspace


def step_times(m: int, *, n: int, instances: int, reps: int) -> list[float]:
    p = AutoencoderParams.flat(
        n=n, m=m, instances=instances, optimizer="adamw", lr=1e-3, weight_decay=0.01, l1=1e-3
    )
    W = torch.randn(instances, n, m, generator=torch.Generator().manual_seed(0)) / m**0.5
    ws = _Workspace(W, p)
    opt = _Optimizer(p, W, ws.grad)
    out = []
    for i in range(reps + 2):
        t = time.perf_counter()
        ws.evaluate(W, None, with_l1=False)
        opt.step(ws.grad)
        if i >= 2:  # two warm-up steps
            out.append(time.perf_counter() - t)
    return out


def part_steps(args: argparse.Namespace) -> None:
    ms = [256, 512, 1024, 2048, 4096]
    samples = [
        np.array(step_times(m, n=args.n, instances=args.instances, reps=args.reps)) for m in ms
    ]
    print(
        f"per-step cost, fused trainer, n = {args.n}, {args.instances} instances, float32, "
        f"{torch.get_num_threads()} thread(s), load {os.getloadavg()[0]:.2f}"
    )
    print(f"{'m':>6} | {'median ms':>10} | {'GFLOP/s (2 GEMMs)':>18}")
    for m, s in zip(ms, samples, strict=True):
        med = statistics.median(s)
        print(
            f"{m:>6} | {med * 1e3:>10.1f} | {4 * args.instances * args.n**2 * m / med / 1e9:>18.1f}"
        )
    est = fitting.loglog_slope(ms, samples, rng=np.random.default_rng(0))
    print(
        f"fitted exponent of step time ∝ m^b: b = {est.value:.3f}, "
        f"95 % CI [{est.lo:.3f}, {est.hi:.3f}] "
        f"(predicted 1: linear in m)\n"
    )


def part_workers(args: argparse.Namespace) -> None:
    claim = get("collision-count")
    overrides = {"steps": str(args.steps)}
    print(
        "collision-count paper grid (n = 256, 16 m values, 16 instances, AdamW), "
        f"steps cut to {args.steps}"
    )
    print(f"{'workers':>8} | {'wall s':>8} | {'speedup':>8}")
    base = None
    first: list[float] | None = None
    for w in args.workers:
        with executor(workers=w) as ex:
            t = time.perf_counter()
            r = claim.run("paper", seed=0, overrides=overrides, ctx=Context(executor=ex))
            wall = time.perf_counter() - t
        counts = (
            [float(c.sum()) for c in r.measurements.counts] if r.measurements is not None else []
        )
        first = counts if first is None else first
        base = wall if base is None else base
        same = "same numbers" if counts == first else "DIFFERENT numbers"
        print(f"{w:>8} | {wall:>8.1f} | {base / wall:>7.2f}x   ({same})")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--part", choices=["steps", "workers", "both"], default="both")
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--instances", type=int, default=16)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument(
        "--steps", type=int, default=20, help="training steps of the paper grid in the workers part"
    )
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    if args.part in ("steps", "both"):
        part_steps(args)
    if args.part in ("workers", "both"):
        part_workers(args)


if __name__ == "__main__":
    main()
