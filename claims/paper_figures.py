"""The numbers the paper's own figures show, set beside our simulation at the paper's settings.

Where you are: a claim may name a ``paper_figures(measurements, params)`` hook; :meth:`Claim.run`
calls it after the fits, and it returns one :class:`Agreement` per number of the paper that was
taken at exactly those settings (none at other settings: the smoke and standard scales, or any
``--set`` that moves off the paper's settings, get an empty list). The report shows them as a
table and an overlay figure; claims.json lists them under ``paper_figures``. They never change a
claim's verdict: they say how far our simulation of the paper's setting reproduces the paper's
own numbers, and a disagreement is a finding, stated as such.

The statistic. The paper's number is a mean over ``r`` replicates (16 instances for the collision
counts; one run for the ‖W‖₄⁴ and L1 tables); ours is a mean over ``k`` replicates of the same
process. If both came from the same process, the paper's number falls in

    ours ± t_{k−1, 1−α/2} · s · √(1/k + 1/r)

(``s`` our replicates' standard deviation; the two-sample interval with our variance standing in
for the paper's), so the agreement is stated as the ratio ours/paper with the interval
(ours ± that half-width)/paper, cut at 0 (every quantity compared is non-negative), and "agrees"
means the interval holds 1. The level is family-wise
per table (Bonferroni over its points). The paper's sampling noise is in the interval; its reading
error is not: numbers marked [FIG] were read by eye off a log-scale plot (≈ 5 % precision).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "COLLISIONS_N256",
    "FOURTH_NORM",
    "L1_TRAJECTORY",
    "Agreement",
    "Reference",
    "collisions",
    "compare",
    "fourth_norm",
    "l1_trajectory",
    "matches",
]


@dataclass(frozen=True)
class Reference:
    """One number of the paper, and what it averages."""

    # the figure or table it comes from, e.g. "collisions, n = 256 (incidental_collisions.png)"
    table: str
    label: str  # the point within the table, e.g. "m = 256"
    x: float  # the point's position on the table's axis (m, step, time)
    value: float  # the paper's number
    replicates: int  # independent replicates the paper's number is the mean of (1: a single run)
    # provenance tag of the catalogue: [FIG] read off a plot, [MEAS] a run of the paper's code
    source: str


@dataclass(frozen=True)
class Agreement:
    """Our replicates at one of the paper's points, and the ratio ours/paper with its interval."""

    reference: Reference
    quantity: str  # what is compared, e.g. "polysemantic neurons per instance"
    ours: float  # mean over our replicates
    sd: float  # standard deviation over our replicates
    replicates: int  # our replicates
    ratio: float  # ours / paper
    ci: tuple[float, float]  # interval of the ratio under "same process" (module doc)
    confidence: float  # per-point level (family-wise level Bonferroni-split over the table)

    @property
    def agrees(self) -> bool:
        return self.ci[0] <= 1.0 <= self.ci[1]

    def explain(self) -> str:
        r = self.reference
        word = "agrees" if self.agrees else "DIFFERS"
        return (
            f"{r.table}, {r.label}: paper {r.value:.4g} {r.source}, ours {self.ours:.4g} "
            f"(sd {self.sd:.3g}, {self.replicates} replicates): ratio {self.ratio:.3f} "
            f"[{self.ci[0]:.3f}, {self.ci[1]:.3f}] at {self.confidence:.4f} — {word}"
        )

    def to_dict(self) -> dict[str, Any]:
        r = self.reference
        return {
            "table": r.table,
            "label": r.label,
            "x": r.x,
            "paper": r.value,
            "paper_replicates": r.replicates,
            "source": r.source,
            "quantity": self.quantity,
            "ours": self.ours,
            "sd": self.sd,
            "replicates": self.replicates,
            "ratio": self.ratio,
            "ci": list(self.ci),
            "confidence": self.confidence,
            "agrees": self.agrees,
        }


def compare(
    refs: Sequence[Reference],
    ours: Sequence[Sequence[float] | np.ndarray],
    *,
    quantity: str,
    confidence: float = 0.95,
) -> list[Agreement]:
    """One :class:`Agreement` per reference; ``ours[i]`` holds our replicate values at ``refs[i]``.

    The level is family-wise over ``refs`` (Bonferroni): each point uses 1 − (1 − confidence)/len.
    """
    if len(refs) != len(ours):
        raise ValueError(f"{len(refs)} references but {len(ours)} sets of replicates")
    if not 0.5 <= confidence < 1.0:
        raise ValueError(f"confidence must be in [0.5, 1), got {confidence}")
    if not refs:
        return []
    level = 1.0 - (1.0 - confidence) / len(refs)
    out = []
    for ref, values in zip(refs, ours, strict=True):
        x = np.asarray(values, dtype=float).ravel()
        if x.size < 2 or not np.all(np.isfinite(x)):
            raise ValueError(
                f"{ref.table}, {ref.label}: need >= 2 finite replicates, got {x.tolist()}"
            )
        if not ref.value > 0:
            raise ValueError(
                f"{ref.table}, {ref.label}: the paper's value must be > 0 for a ratio, "
                f"got {ref.value}"
            )
        k, mean, sd = x.size, float(x.mean()), float(x.std(ddof=1))
        half = (
            float(stats.t.ppf(1 - (1 - level) / 2, k - 1))
            * sd
            * math.sqrt(1 / k + 1 / ref.replicates)
        )
        # the quantities compared are non-negative (counts, norms): the interval stops at 0
        out.append(
            Agreement(
                ref,
                quantity,
                mean,
                sd,
                k,
                mean / ref.value,
                (max(mean - half, 0.0) / ref.value, (mean + half) / ref.value),
                level,
            )
        )
    return out


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def matches(params: Any, settings: Mapping[str, Any]) -> bool:
    """Whether ``params`` has every field of ``settings`` (dotted paths into the params tree) at
    that value (floats to 1e-9 relative)."""
    for name, want in settings.items():
        have = params
        for part in name.split("."):
            have = getattr(have, part)
        if isinstance(want, float):
            if not isinstance(have, (int, float)) or not _close(float(have), want):
                return False
        elif have != want:
            return False
    return True


# -- the paper's numbers (catalogue, "observed numbers") -----------------------------------------

# Catalogue P1-COUNT, [FIG] incidental_collisions.png: mean polysemantic neurons over 16 instances
# at n = 256 (collisions.py: AdamW lr 1e-3, λ = 1e-3, torch's default weight decay 0.01, 7500
# steps, the 0.8-1.2 rule), read off the log-scale plot.
# Any number of instances: ours are the replicates, the figure's 16 enter as r.
COLLISIONS_N256_SETTINGS: Mapping[str, Any] = {
    "train.model.n": 256,
    "train.optimiser.steps": 7500,
    "train.optimiser.kind": "adamw",
    "train.optimiser.lr": 1e-3,
    "train.optimiser.l1": 1e-3,
    "train.optimiser.weight_decay": 0.01,
    "lo": 0.8,
    "hi": 1.2,
}
COLLISIONS_N256: Mapping[int, float] = {
    256: 72,
    512: 24,
    768: 14,
    1024: 10,
    1280: 8.3,
    1536: 8.2,
    1792: 6.2,
    2048: 5.4,
    2304: 5.0,
    2560: 4.9,
    2816: 4.2,
    3072: 3.8,
    3328: 3.3,
    3584: 3.5,
    3840: 3.6,
    4096: 3.8,
}
COLLISIONS_TABLE = "polysemantic neurons, n = 256 (incidental_collisions.png, mean of 16 instances)"


def collisions(measurements: Any, params: Any) -> list[Agreement]:
    """The collision counts of ``incidental_collisions.png`` at the grid points we trained, when
    the params are the paper code's settings (else none)."""
    if not matches(params, COLLISIONS_N256_SETTINGS):
        return []
    refs, ours = [], []
    for m, counts in zip(measurements.m, measurements.counts, strict=True):
        if int(m) in COLLISIONS_N256:
            refs.append(
                Reference(
                    COLLISIONS_TABLE,
                    f"m = {int(m)}",
                    float(m),
                    COLLISIONS_N256[int(m)],
                    16,
                    "[FIG] read off the log plot",
                )
            )
            ours.append(counts)
    return compare(
        refs, ours, quantity="polysemantic neurons per instance", confidence=params.confidence
    )


# Catalogue P1-N-3, [MEAS] the paper's fourth_norm.py run as published (seed 13): mean ‖W_i‖₄⁴
# over rows and 5 instances, n = 8, m = 16, SGD lr 0.02, one noise vector per step shared by all
# inputs and instances. One run: one replicate (the instances share the noise).
FOURTH_NORM_SETTINGS: Mapping[str, Any] = {
    "train.model.n": 8,
    "train.model.m": 16,
    "train.instances": 5,
    "train.optimiser.lr": 0.02,
    "train.noise.scope": "step",
}
FOURTH_NORM_STEPS: tuple[int, ...] = (1_000, 3_000, 10_000, 30_000, 100_000)
FOURTH_NORM: Mapping[
    tuple[str, float], tuple[float, ...]
] = {  # (noise, σ) -> values at the steps above
    ("bernoulli", 0.07): (0.17, 0.17, 0.18, 0.21, 0.31),
    ("bernoulli", 0.10): (0.18, 0.20, 0.31, 0.61, 0.79),
    ("bernoulli", 0.15): (0.21, 0.32, 0.69, 0.79, 0.77),
    ("gaussian", 0.07): (0.17, 0.17, 0.17, 0.17, 0.17),
    ("gaussian", 0.10): (0.17, 0.17, 0.17, 0.17, 0.17),
    ("gaussian", 0.15): (0.17, 0.16, 0.17, 0.16, 0.18),
    ("none", 0.0): (0.16, 0.16, 0.16, 0.16, 0.16),
}
FOURTH_NORM_STEP0: Mapping[
    tuple[str, float], float
] = {  # the same runs at step 0 (3/m = 0.1875 expected)
    ("bernoulli", 0.07): 0.18,
    ("bernoulli", 0.10): 0.18,
    ("bernoulli", 0.15): 0.16,
    ("gaussian", 0.07): 0.17,
    ("gaussian", 0.10): 0.15,
    ("gaussian", 0.15): 0.15,
    ("none", 0.0): 0.16,
}


def fourth_norm(measurements: Any, params: Any) -> list[Agreement]:
    """The ‖W‖₄⁴ table of the paper's fourth_norm.py run, row by row, at the (noise, σ) runs and
    recorded steps we have, when the params are the paper code's model and optimiser."""
    if not matches(params, FOURTH_NORM_SETTINGS):
        return []
    runs: dict[tuple[str, float], Any] = {("none", 0.0): measurements.noises["none"]}
    for noise, traj in measurements.noises.items():
        if noise != "none":
            runs[(noise, float(params.sigma))] = traj
    runs.update({("bernoulli", float(s)): t for s, t in measurements.grid.items()})
    runs.update({("gaussian", float(s)): t for s, t in measurements.gaussian.items()})
    out: list[Agreement] = []
    for key, values in FOURTH_NORM.items():
        traj = next(
            (t for (noise, sigma), t in runs.items() if noise == key[0] and _close(sigma, key[1])),
            None,
        )
        if traj is None:
            continue
        steps = np.rint(traj.time / params.train.optimiser.lr).astype(int)
        table = (
            f"mean ‖W_i‖₄⁴, {key[0]}"
            + (f" σ = {key[1]:g}" if key[0] != "none" else "")
            + " (fourth_norm.py, seed 13)"
        )
        refs, ours = [], []
        for step, value in zip(
            (0, *FOURTH_NORM_STEPS), (FOURTH_NORM_STEP0[key], *values), strict=True
        ):
            hit = np.flatnonzero(steps == step)
            if hit.size:
                refs.append(
                    Reference(
                        table,
                        f"step {step:,}",
                        float(step),
                        value,
                        1,
                        "[MEAS] the paper's code, one run",
                    )
                )
                ours.append(traj.fourth[hit[0]])
        out += compare(
            refs,
            ours,
            quantity="mean ‖W_i‖₄⁴ per seed (its instances share the noise)",
            confidence=params.confidence,
        )
    return out


# Catalogue P1-L1 reference run ([CODE][FIG][MEAS], sparsity.py): the reduced L1 flow at m = 1e5,
# λ = 1e-5, Euler dt = 0.5, init |N(0, 0.81/m)|, one run (the catalogue's independent
# re-implementation, matching the figure).
L1_SETTINGS: Mapping[str, Any] = {"flow.m": 100_000, "flow.l1": 1e-5, "flow.init_scale": 0.9}
L1_TIMES: tuple[float, ...] = (0.0, 316.0, 3162.0, 1e4, 3e4, 1e5)
L1_TRAJECTORY: Mapping[str, tuple[float, ...]] = {  # quantity -> values at L1_TIMES
    "support": (1e5, 47_104, 2_243, 250, 32, 2),  # m′, coordinates still non-zero
    "l1": (227.0, 166.5, 34.8, 11.1, 3.85, 1.33),  # ‖w‖₁
}
L1_TABLE = "L1 flow, m = 1e5, λ = 1e-5 (sparsity.py reference run)"


def l1_trajectory(measurements: Any, params: Any) -> list[Agreement]:
    """The L1 trajectory table (m′ and ‖w‖₁ at six times) of the paper's ODE reference run, when
    the params are its m, λ and init scale."""
    if not matches(params, L1_SETTINGS):
        return []
    out: list[Agreement] = []
    for name, values, quantity in (
        ("support", L1_TRAJECTORY["support"], "m′, non-zero coordinates"),
        ("l1", L1_TRAJECTORY["l1"], "‖w‖₁"),
    ):
        ours = getattr(measurements, f"{name}_table")
        refs = [
            Reference(
                f"{L1_TABLE}: {'m′' if name == 'support' else '‖w‖₁'}",
                f"t = {t:g}",
                t,
                v,
                1,
                "[MEAS] the catalogue's re-run of the paper's ODE (= its figure)",
            )
            for t, v in zip(L1_TIMES, values, strict=True)
        ]
        out += compare(
            refs,
            list(np.asarray(ours, dtype=float).T),
            quantity=quantity,
            confidence=params.confidence,
        )
    return out
