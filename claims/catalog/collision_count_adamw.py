"""Claim ``collision-count-adamw``: the collision count under the paper's optimizer (AdamW).

The same measurement as ``collision-count`` (its simulation, figure and controls), trained with
the paper code's AdamW (lr 1e-3, weight decay 0.01, λ = 1e-3, 7500 steps) at m = 2n…16n, where
the finite-size terms of the static model are large. It judges the count against both the
leading term n(n−1)/4m and the exact static expectation (sympy, all orders in n/m).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sim.autoencoder import AutoencoderParams
from theory import collisions

from .. import fitting, paper_figures
from .._core import Claim, Derivation, Deviation, Fit, FitSpec, Judge
from .collision_count import (
    FALSE_FAILURE,
    OPPOSITE,
    PAPER,
    RATIO,
    SLOPE,
    CollisionMeasurements,
    CollisionParams,
    check_regime,
    controls,
    derive,
    plot,
    simulate,
)

__all__ = ["CLAIM"]

RATIO_EXACT = FitSpec(
    "ratio-exact",
    "pooled count / exact static expectation (sympy, all orders)",
    0.35,
    why="the same band against the all-orders static model",
)


def fit(meas: CollisionMeasurements, d: Derivation, p: CollisionParams, judge: Judge) -> list[Fit]:
    """Exponent, level against the leading term and against the exact static model, signs."""
    check_regime(meas, p)
    slope = fitting.poisson_slope(meas.m, meas.counts, rng=judge.rng, confidence=judge.level)
    leading = [collisions.predict_leading(p.n, int(m)) for m in meas.m]
    exact = [collisions.predict_exact(p.n, int(m)) for m in meas.m]
    ratio = fitting.ratio_ci(meas.counts, leading, rng=judge.rng, confidence=judge.level)
    ratio_exact = fitting.ratio_ci(meas.counts, exact, rng=judge.rng, confidence=judge.level)
    opp = fitting.proportion_ci(meas.opposite_pairs, max(meas.pairs, 1), confidence=judge.level)
    return [
        judge.fit("slope", predicted=-1.0, estimate=slope),
        judge.fit("ratio", predicted=1.0, estimate=ratio),
        judge.fit("ratio-exact", predicted=1.0, estimate=ratio_exact),
        judge.fit("opposite-sign", predicted=1.0, estimate=opp),
    ]


def _strategy() -> Any:
    """AdamW at the paper's lr and steps, n = 16…20, m = 2n…8n: the count must keep matching the
    exact static model and the sign condition (the leading-order fits have recorded deviations).
    Below n ≈ 16 AdamW leaves features unlearned in 7500 steps (93 % at n = 10, 71–85 % at n = 8:
    found by this property test), which is outside the claim's regime."""
    from hypothesis import strategies as st

    @st.composite
    def draw(draw_: Any) -> dict[str, Any]:
        n = draw_(st.integers(16, 20), label="n")
        m = (2 * n, 4 * n, 8 * n)
        return {
            "train.n": n,
            "m": m,
            "train.instances": 48,
            "train.steps": 7500,
            "train.optimizer": "adamw",
            "train.lr": 1e-3,
            "train.l1": 1e-3,
            "train.weight_decay": 0.01,
            "confidence": 0.999,
        }

    return draw()


_ADAMW = AutoencoderParams(  # the paper's optimizer settings at a CPU-sized n
    n=16,
    instances=384,
    steps=7500,
    optimizer="adamw",
    lr=1e-3,
    l1=1e-3,
    weight_decay=0.01,
)
STANDARD = CollisionParams(
    train=_ADAMW, m=(32, 64, 128, 256)
)  # m = 2n…16n, the paper's range in n/m
# smoke exercises the plumbing only (at n = 8 AdamW learns only 70-85 % of the features in 7500 steps)
SMOKE = CollisionParams(train=dataclasses.replace(_ADAMW, instances=24), m=(64, 128))

COLLISION_COUNT_ADAMW = Claim(
    id="collision-count-adamw",
    title="The collision count under the paper's optimizer (AdamW)",
    statement=(
        "With AdamW (lr 1e-3, weight decay 0.01, λ = 1e-3) as in the paper's code, at m = 2n…16n, the "
        "count matches the exact static expectation and co-residents have opposite signs; the "
        "leading-order n(n−1)/(4m) and its exponent −1 are off by the finite-size terms (recorded)."
    ),
    source="Lecomte et al. 2312.03096 code (collisions.py settings, smaller n); catalogue P1-COUNT, §1.4 item 6",
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=(SLOPE, RATIO, RATIO_EXACT, OPPOSITE),
    fit=fit,
    controls=controls(STANDARD.n),
    deviations={
        "slope": Deviation(
            "fail",
            "measured −0.78, 99 % CI [−0.87, −0.69] (seed 0): at m = 2n…16n the leading-order exponent −1 "
            "does not apply — the exact static model's own exponent on this grid is −0.895 — and AdamW's "
            "count falls more slowly still (its winners are rarely the initial argmax, catalogue P1-CORR)",
        ),
        "ratio": Deviation(
            "fail",
            "measured 0.856, 99 % CI [0.81, 0.91] (seed 0): the exact static expectation is 0.860 of "
            "n(n−1)/4m on this grid (the −(n−2)/2m term is −22 % at m = 2n) and the count matches it: "
            "ratio to the exact model 0.996 [0.94, 1.06]",
        ),
    },
    false_failure=FALSE_FAILURE,
    plot=plot,
    strategy=_strategy,
    paper_figures=paper_figures.collisions,
)

CLAIM = COLLISION_COUNT_ADAMW
