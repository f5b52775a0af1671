"""Gradient descent's count per m/n cell against the displacement model, with many models.

The claim ``collision-scaling`` pools its cells; this script measures the cells one by one with
more models, for the statement "gradient descent sits at ≈ 0.91 of the displacement model at
m = n and ≈ 1 from m = 4n" (docs/results.md). It trains collision-scaling's gradient-descent arm
(lr = λ = 0.1, 800 steps) at n features and m = r·n for r = 1, 2, 4, 8, 16:

    python benchmarks/displacement_cells.py 16 512   # n = 16, 512 models a cell (≈ 20 s, 1 core)
    python benchmarks/displacement_cells.py 32 128

and prints, per cell, the mean count ± its standard error, its ratio to the displacement model
n(n−1)/(2(2m − 1)) and to the exact static model (theory/), and the fraction of features whose
winner is their initial argmax. Seeds are explicit (``--seed``, default 7: cell r uses seed + r).
"""

from __future__ import annotations

import argparse
import math

from claims.catalog._scaling_cells import Job, train_cell
from claims.catalog.collision_scaling import ScalingParams
from theory import collision_scaling, collisions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int, help="features (>= 4)")
    ap.add_argument("instances", type=int, help="models per cell (>= 2)")
    ap.add_argument("--seed", type=int, default=7, help="cell m = r·n trains with seed + r")
    args = ap.parse_args()
    if args.n < 4 or args.instances < 2:
        ap.error(f"need n >= 4 and instances >= 2, got n={args.n}, instances={args.instances}")
    p = ScalingParams()
    for r in p.ratios:
        m = args.n * r
        params = p.sgd.replace(
            model={"n": args.n, "m": m}, instances=args.instances, seed=args.seed + r, log_points=1
        )
        cell = train_cell(Job("sgd", params, p.lo, p.hi))
        mean = float(cell.count.mean())
        se = float(cell.count.std(ddof=1)) / math.sqrt(args.instances)
        hc = collision_scaling.predict_hard_core(args.n, m)
        exact = collisions.predict_exact(args.n, m)
        print(
            f"n={args.n} m/n={r:2d}: count {mean:.3f} ± {se:.3f}  / displacement "
            f"{mean / hc:.3f} ± {se / hc:.3f}  / static {mean / exact:.3f}  argmax wins "
            f"{cell.argmax.mean() / args.n:.3f}  ({cell.seconds:.1f} s)"
        )


if __name__ == "__main__":
    main()
