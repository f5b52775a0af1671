"""Per-cell table of claim ``collision-scaling``: every (optimizer, n, m/n) cell on one line.

The claim pools its cells into per-n fits; its figure shows each cell. This script writes the
numbers behind both as a Markdown table, issue 26's "in every cell, the learned fraction, and the
count at half the steps and at the end": per cell the models, the exact static expectation
(``theory.collisions``), the mean count at the end with its 95 % interval over models, its ratio
to the static model and to the displacement model (``theory.collision_scaling``), the count at
half the steps over the end, the learned fraction, the fraction of features whose winner is their
initial argmax, and the training seconds.

It runs the claim through the report's simulation cache, so after a report at the same settings
it trains nothing:

    python benchmarks/scaling_table.py                                  # the standard scale
    python benchmarks/scaling_table.py --scale paper --set instances=64,32,16,16,8 \\
        --out reports/paper-cpu-scaling/cells.md                        # the paper-cpu run

``--set`` takes the claim's own paths (``polyclaims show collision-scaling`` lists them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from claims._cache import SimulationCache
from claims._context import Context
from claims.catalog.collision_scaling import CLAIM, ScalingMeasurements
from claims.fitting import mean_ci
from sim import ParamError
from theory import collision_scaling, collisions

_WORDS = {"adamw": "AdamW", "sgd": "GD"}


def _interval(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and its 95 % interval over models (a constant column: the mean twice)."""
    if np.ptp(x) == 0:
        v = float(x.mean())
        return v, v, v
    e = mean_ci(x)
    return e.value, e.ci[0], e.ci[1]


def table(meas: ScalingMeasurements) -> str:
    """The Markdown table, one row per cell in grid order."""
    head = (
        "| opt | n | m/n | models | static E | count [95 % CI] | / static [CI] | / displacement "
        "| half / end | learned | argmax wins | s |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = []
    for c in meas.cells:
        static = collisions.predict_exact(c.n, c.m)
        hard = collision_scaling.predict_hard_core(c.n, c.m)
        v, lo, hi = _interval(c.count)
        half = c.half.mean() / v if v > 0 else float("nan")
        rows.append(
            f"| {_WORDS[c.opt]} | {c.n} | {c.m // c.n} | {len(c.count)} | {static:.3g} "
            f"| {v:.3g} [{lo:.3g}, {hi:.3g}] | {v / static:.3f} [{lo / static:.3f}, "
            f"{hi / static:.3f}] | {v / hard:.3f} | {half:.3f} | {c.learned.mean() / c.n:.4f} "
            f"| {c.argmax.mean() / c.n:.3f} | {c.seconds:.1f} |"
        )
    return head + "\n".join(rows) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", default="standard", choices=("smoke", "standard", "paper"))
    ap.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    ap.add_argument(
        "--set", action="append", default=[], metavar="PATH=VALUE", help="a claim parameter"
    )
    ap.add_argument("--out", type=Path, help="write the table here (default: stdout)")
    args = ap.parse_args()
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--set takes PATH=VALUE, got {item!r}")
        overrides[key] = value
    try:
        result = CLAIM.run(
            args.scale,
            args.seed,
            overrides=overrides,
            ctx=Context(),
            cache=SimulationCache(None),
        )
    except ParamError as e:
        ap.error(str(e))
    if result.measurements is None:
        print(f"collision-scaling did not run: {result.error}", file=sys.stderr)
        return 1
    text = (
        f"collision-scaling, scale {args.scale}, seed {args.seed}"
        + (f", overrides {', '.join(args.set)}" if args.set else "")
        + f" (status {result.status}, "
        + ("as expected" if result.meets_expectation else "NOT as expected")
        + "; "
        f"`python benchmarks/scaling_table.py --scale {args.scale} --seed {args.seed}"
        + "".join(f" --set {s}" for s in args.set)
        + "`)\n\n"
        + table(result.measurements)
    )
    if args.out:
        args.out.write_text(text)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
