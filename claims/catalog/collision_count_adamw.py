"""Claim ``collision-count-adamw``: the collision count under the paper's optimizer (AdamW).

The same measurement as ``collision-count`` (its simulation, fits, figure and controls), trained
with the paper code's AdamW (lr 1e-3, weight decay 0.01, λ = 1e-3, 7500 steps) at m = 2n…16n,
where the finite-size terms of the static model are large: the exact static model's own exponent
there is −0.895, not −1. It judges the count against both the leading term n(n−1)/4m and the exact
static expectation (sympy, all orders in n/m), in level and exponent.
"""

from __future__ import annotations

from typing import Any

from sim.autoencoder import AutoencoderParams, ModelParams, OptimiserParams
from theory import collisions

from .. import figures, paper_figures
from .._core import Claim, Deviation
from ._shared import property_strategy
from .collision_count import (
    CONTROLS,
    PAPER,
    PAPER_DEVIATIONS,
    SLOPE_TOL,
    CollisionParams,
    _grid,
    _num,
    derive,
    false_failure,
    fit,
    simulate,
    specs,
)

__all__ = ["CLAIM"]


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """AdamW at the paper's lr and steps, n = 16…20, m = 2n…8n: no fit may fail there (levels and
    exponents at the catalogue's precision against both static models, the sign condition).
    Below n ≈ 16 AdamW leaves features unlearned in 7500 steps (93 % at n = 10, 71–85 % at n = 8:
    found by this property test), which is outside the claim's regime."""
    n = draw(st.integers(16, 20), label="n")
    m = (2 * n, 4 * n, 8 * n)
    return {
        "train.model.n": n,
        "m": m,
        "train.instances": 48,
        "train.optimiser.steps": 7500,
        "train.optimiser.kind": "adamw",
        "train.optimiser.lr": 1e-3,
        "train.optimiser.l1": 1e-3,
        "train.optimiser.weight_decay": 0.01,
    }


_ADAMW = AutoencoderParams(  # the paper's optimizer settings at a CPU-sized n
    model=ModelParams(
        n=16,
    ),
    optimiser=OptimiserParams(
        steps=7500,
        kind="adamw",
        lr=1e-3,
        l1=1e-3,
        weight_decay=0.01,
    ),
    instances=384,
)
STANDARD = CollisionParams(
    train=_ADAMW, m=(32, 64, 128, 256)
)  # m = 2n…16n, the paper's range in n/m
# smoke exercises the plumbing only (at n = 8 AdamW learns only 70-85 % of the features in
# 7500 steps)
SMOKE = CollisionParams(train=_ADAMW.replace(instances=24), m=(64, 128))

# The exponent against the leading term's −1 at the standard scale, measured over seeds 0–19
# (benchmarks/false_failure.jsonl): fitted −0.951…−0.776, mean −0.829, intervals ≈ ±0.10; 15
# intervals straddle the band's upper edge −0.75 (inconclusive), 5 lie inside (pass). The range
# recorded is the union of the 20 intervals: where the value was measured, with its uncertainty.
_SLOPE_RANGE = (-1.06, -0.68)
_STANDARD_SLOPE = Deviation(
    "inconclusive",
    _SLOPE_RANGE,
    "measured over seeds 0–19 (benchmarks/false_failure.jsonl): fitted −0.951…−0.776 (mean "
    "−0.83), intervals ±0.09–0.11; the range recorded is the union of those intervals. On "
    f"{_grid(STANDARD)} the leading-order exponent is off by "
    "the finite-size terms — the exact static model's own exponent there is "
    f"{_num(collisions.exact_exponent(STANDARD.n, STANDARD.m))} (slope-exact passes at 20/20) — "
    "and AdamW's count falls a little more slowly still (its winners are rarely the initial "
    "argmax, catalogue P1-CORR). The value sits ≈ 0.08 inside the band's edge "
    f"{_num(-1 + SLOPE_TOL, 'g')} of −1 ± {SLOPE_TOL:g}, about one interval half-width: the "
    "interval straddles the edge (inconclusive, 15 of 20 seeds) or lies just inside it (pass, 5 "
    "of 20). More instances per m would decide it",
    also=("pass",),
)
_OPT = STANDARD.train.optimiser

COLLISION_COUNT_ADAMW = Claim(
    id="collision-count-adamw",
    title="The collision count under the paper's optimizer (AdamW)",
    statement=(
        f"With AdamW (lr {_OPT.lr:g}, weight decay {_OPT.weight_decay:g}, λ = {_OPT.l1:g}) as in "
        f"the paper's code, at {_grid(STANDARD)}, the count matches the exact static expectation "
        "in level and exponent and n(n−1)/(4m) in level, and co-residents have opposite signs; "
        "the leading-order exponent −1 is off by the finite-size terms (recorded)."
    ),
    source=(
        "Lecomte et al. 2312.03096 code (collisions.py settings, smaller n); catalogue P1-COUNT, "
        "§1.4 item 6"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=CONTROLS,
    deviations={
        "slope": (_STANDARD_SLOPE, PAPER_DEVIATIONS["slope"]),
        "slope-exact": PAPER_DEVIATIONS["slope-exact"],
    },
    false_failure=false_failure,
    plot=figures.Figure("collision_count"),  # collision-count's figure
    strategy=_strategy,
    paper_figures=paper_figures.collisions,
)

CLAIM = COLLISION_COUNT_ADAMW
