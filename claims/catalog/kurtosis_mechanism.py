"""Claim ``kurtosis-mechanism``: noise-induced sparsity is an expected-loss effect that needs the
output ReLU.

What the measurements say about the paper's reading of ``kurtosis-sparsity`` (catalogue P1-N-4):
Bernoulli noise at one σ, the reference run against variants at equal lr·t. An expected-loss
effect survives averaging K noise draws per step and independent noise per input, and does not
shrink when lr is halved; an SGD gradient-noise effect would. A 4× larger lr at equal lr·t is
not equivalent (its rise falls below ¾ of the reference's): first order holds only below some lr.
Without the output ReLU the squared error is quadratic in ξ and so sees σ² only
(:func:`theory.kurtosis.linear_decoder_mu4_weight` = 0): the rise must vanish, which the paper's
"one term in the loss", E[(W_i·ξ)⁴], does not explain. Measurements, replicates and figure helpers
are shared with ``kurtosis-sparsity``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sim import check_float, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, NoiseParams, OptimiserParams
from theory import kurtosis

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Fit, FitSpec, Judge, Relation
from ._shared import check_confidence, property_strategy
from .kurtosis_sparsity import Trajectory, check_replicates, paired_bootstrap, trajectories

__all__ = ["CLAIM", "VARIANTS", "MechanismMeasurements", "MechanismParams"]

VARIANTS = ("reference", "lr-half", "lr-large", "draws", "per-sample", "no-relu")


@dataclass(frozen=True)
class MechanismParams:
    """Bernoulli noise at one σ; variants of the reference run (``train``) compared at equal
    lr·t."""

    # each variant sets these (the reference: one draw, the ReLU on)
    GRID_SET: ClassVar[tuple[str, ...]] = ("train.noise.draws", "train.model.activation")

    # the reference run; each variant changes one thing
    train: AutoencoderParams = AutoencoderParams(
        model=ModelParams(
            n=8,  # features (the paper's)
            m=16,  # hidden neurons (the paper's)
        ),
        noise=NoiseParams(
            kind="bernoulli",  # the noise whose rise is dissected (κ = −2)
            sigma=0.15,  # Bernoulli σ (the paper's largest)
            scope="instance",  # reference scope: one ξ per instance per step
        ),
        optimiser=OptimiserParams(
            # lr·t = 120: mid-rise (≈ 0.5 of 0.8), where changes show most; variants run equal lr·t
            steps=6000,
            lr=0.02,  # reference SGD learning rate (the paper's)
            kind="sgd",  # the paper's optimiser
        ),
        instances=48,  # models per run: the replicates when noise_scope != "step"
        log_points=40,  # recorded steps (log-spaced)
    )
    seeds: int = 1  # runs per variant; the replicate unit when train.noise.scope == "step"
    draws: int = 4  # noise draws averaged per step in the K-draw variant
    lr_large: float = 4.0  # the "larger lr, fewer steps" variant multiplies lr by this
    margin: float = (
        0.02  # a change below this is "no rise" (the no-ReLU variant; 6 % of the reference rise)
    )
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

    def __post_init__(self) -> None:
        check_replicates(self.train, self.seeds)
        check_int("draws", self.draws, 2)
        check_float("lr_large", self.lr_large, 1.0, lo_open=True)
        check_float("margin", self.margin, 0.0, lo_open=True)
        check_confidence(self.confidence)

    @property
    def time(self) -> float:
        """lr·t of the comparison: the reference run's, and every variant's."""
        return self.train.optimiser.lr * self.train.optimiser.steps

    def variant(self, name: str, *, seed: int, device: str) -> AutoencoderParams:
        """The trainer's params of one variant: the reference with one thing changed, at equal
        lr·t."""
        lr = {
            "lr-half": self.train.optimiser.lr / 2,
            "lr-large": self.train.optimiser.lr * self.lr_large,
        }.get(name, self.train.optimiser.lr)
        return self.train.replace(
            optimiser={"lr": lr, "steps": max(1, round(self.time / lr))},
            noise={
                "scope": "sample" if name == "per-sample" else self.train.noise.scope,
                "draws": self.draws if name == "draws" else 1,
            },
            model={"activation": "none" if name == "no-relu" else self.train.model.activation},
            seed=seed,
            device=device,
        )


@dataclass(frozen=True, repr=False)
class MechanismMeasurements:
    runs: Mapping[str, Trajectory]  # variant -> trajectory (same seeds: paired by replicate)
    replicate_unit: str  # "instance" or "seed"


def derive(p: MechanismParams) -> Derivation:
    return Derivation(
        expr=kurtosis.shifted_square_moment(),
        extra={
            "projection_fourth_moment": kurtosis.projection_moment(4),
            "isotropic_fourth_norm": kurtosis.isotropic_fourth_norm(),
            "linear_decoder_mu4_weight": kurtosis.linear_decoder_mu4_weight(),
        },
        values={
            "3/(m+2)": kurtosis.predict_isotropic_fourth_norm(p.train.model.m),
            "kappa_bernoulli": kurtosis.predict_excess_kurtosis("bernoulli"),
        },
    )


def simulate(p: MechanismParams, ctx: Context) -> MechanismMeasurements:
    configs = {v: (lambda seed, v=v: p.variant(v, seed=seed, device=ctx.device)) for v in VARIANTS}
    runs = trajectories(configs, p.seeds, p.train.noise.scope, ctx, "kurtosis-mechanism: variants")
    return MechanismMeasurements(
        runs=runs, replicate_unit="seed" if p.train.noise.scope == "step" else "instance"
    )


EQUIVALENT = 0.75  # a variant whose rise reaches ¾ of the reference's is equivalent (first order)
_LOG = "benchmarks/false_failure.jsonl"  # the standard scale's sweep over seeds 0–19


def _k_mid(p: MechanismParams) -> float:
    return (1 + 1 / p.draws) / 2


def _n_mid(p: MechanismParams) -> float:
    return (1 + 1 / p.train.model.n) / 2


def _rise_relation(noise: str) -> Relation:
    """The direction of the κ₄ term's change of ‖W_i‖₄⁴/‖W_i‖₂⁴: −sign κ (theory.kurtosis)."""
    return "<" if kurtosis.predicted_sign(noise) < 0 else ">"


def _no_relu_change(p: MechanismParams) -> float | None:
    """The no-ReLU run's expected change of ‖W_i‖₄⁴/‖W_i‖₂⁴ (theory.kurtosis: 0, since μ₄ does
    not reach a linear decoder's expected loss); None if the theory left it to the κ₄ term."""
    return kurtosis.predict_ratio_change(p.train.noise.kind, activation="none")


def _lr_run(p: MechanismParams) -> str:
    """The lr-large comparison in words: "lr 0.08 against 0.02 at lr·t = 120"."""
    lr = p.train.optimiser.lr
    return f"lr {lr * p.lr_large:g} against {lr:g} at lr·t = {p.time:g}"


# the lr-large measurements were made at the standard params (STANDARD's own settings, below)
_STANDARD_RUN = "standard scale, " + _lr_run(MechanismParams())


def fit_specs(p: MechanismParams) -> tuple[FitSpec, ...]:
    """The reference rise (its sign from κ), four ratios of a variant's rise to it, the no-ReLU
    change."""
    at = f"at lr·t = {p.time:g}"
    k_mid, n_mid = _k_mid(p), _n_mid(p)
    noise = p.train.noise.kind
    run = f"{noise.capitalize()} σ = {p.train.noise.sigma:g}, lr {p.train.optimiser.lr:g}"
    if _no_relu_change(p) is None:
        no_relu = FitSpec(
            "no-relu",
            f"change of mean ‖W_i‖₄⁴/‖W_i‖₂⁴ without the output ReLU, {at}",
            relation=_rise_relation(noise),
            why="theory.kurtosis derives no change without the output ReLU: the κ₄ term acts "
            f"there as with it, a change beyond ±{p.margin:g}",
        )
    else:
        no_relu = FitSpec(
            "no-relu",
            f"change of mean ‖W_i‖₄⁴/‖W_i‖₂⁴ without the output ReLU, {at}",
            relation="<",
            why='derived (theory.kurtosis.predict_ratio_change, activation="none"): a linear '
            "decoder's squared error is quadratic in ξ, E[(c + w·ξ)²] = c² + σ²‖w‖₂² has no μ₄, "
            "so the expected loss L(W) + nσ²‖W‖²_F is rotation invariant and gradient flow keeps "
            "the ratio at 3/(m+2): a change of 0. SGD with (non-isotropic) Bernoulli noise adds a "
            "small measured drift, −0.015 to −0.002 over seeds 0–19 at the standard scale "
            f"({_LOG}), so the fit asks for no rise above the derived 0 + {p.margin:g}, not an "
            "exact 0",
        )
    return (
        FitSpec(
            "reference",
            f"change of mean ‖W_i‖₄⁴/‖W_i‖₂⁴, {run}, {at}",
            relation=_rise_relation(noise),
            why="the κ₄ term's direction, −sign κ (theory.kurtosis.predicted_sign); also the "
            "regime check: the ratios below need a clear reference rise",
        ),
        FitSpec(
            "lr-half",
            f"rise with lr/2 over rise with lr, {at}",
            relation=">",
            why="first order in lr (an expected-loss effect) predicts 1; an effect of SGD's "
            "gradient noise scales with lr at fixed lr·t, predicting 1/2; "
            f"{EQUIVALENT:g} separates them",
        ),
        FitSpec(
            "lr-large",
            f"rise with {p.lr_large:g}·lr over rise with lr, {at}",
            relation="<",
            why=f"the claim: a {p.lr_large:g}× larger lr at equal lr·t is not equivalent, i.e. "
            f"its rise falls below the {EQUIVALENT:g} of the reference's that the lr-half fit "
            "counts as first order (an equivalent, first-order run predicts 1): SGD's gradient "
            "noise slows the rise there, so a larger lr with proportionally fewer steps is no "
            f"legitimate shortcut ({_STANDARD_RUN}: 0.30 [0.24, 0.37] at seed 0, 0.21–0.30 over "
            f"seeds 0–19, {_LOG})",
        ),
        FitSpec(
            "draws",
            f"rise with the mean of K = {p.draws} noise draws per step over rise with one draw, "
            f"{at}",
            relation=">",
            why="an expected-loss effect predicts 1; a gradient-noise effect would shrink to 1/K; "
            f"(1 + 1/K)/2 = {k_mid:g}",
        ),
        FitSpec(
            "per-sample",
            f"rise with independent noise per input over rise with noise shared by the inputs, "
            f"{at}",
            relation=">",
            why="an expected-loss effect predicts 1; a gradient-noise effect would shrink towards "
            f"1/n; (1 + 1/n)/2 = {n_mid:g}",
        ),
        no_relu,
    )


def _ratio(
    meas: MechanismMeasurements, variant: str, level: float, rng: np.random.Generator
) -> fitting.Estimate:
    """mean change(variant) / mean change(reference), bootstrap over replicates (paired)."""
    a, b = meas.runs[variant].change, meas.runs["reference"].change
    return paired_bootstrap(
        a.size, lambda i: a[i].mean(-1) / b[i].mean(-1), rng=rng, confidence=level
    )


def fit(meas: MechanismMeasurements, d: Derivation, p: MechanismParams, judge: Judge) -> list[Fit]:
    level = judge.level
    ref = fitting.mean_ci(meas.runs["reference"].change, confidence=level)
    half = _ratio(meas, "lr-half", level, judge.rng)
    large = _ratio(meas, "lr-large", level, judge.rng)
    draws = _ratio(meas, "draws", level, judge.rng)
    sample = _ratio(meas, "per-sample", level, judge.rng)
    no_relu = fitting.mean_ci(meas.runs["no-relu"].change, confidence=level)
    return [
        judge.fit("reference", predicted=0.0, estimate=ref),
        judge.fit("lr-half", predicted=EQUIVALENT, estimate=half),
        judge.fit("lr-large", predicted=EQUIVALENT, estimate=large),
        judge.fit("draws", predicted=_k_mid(p), estimate=draws),
        judge.fit("per-sample", predicted=_n_mid(p), estimate=sample),
        judge.fit("no-relu", predicted=(_no_relu_change(p) or 0.0) + p.margin, estimate=no_relu),
    ]


def _sgd_noise(
    fits: Sequence[Fit], meas: MechanismMeasurements, p: MechanismParams, judge: Judge
) -> list[Fit]:
    """Mutant: the rise is an SGD gradient-noise effect: ∝ lr at fixed lr·t, divided by K. Each
    ratio is judged as a point whose band reaches the claim's threshold: ½ ± ¼ (up to ¾) for a
    halved lr, 1/K ± (1 − 1/K)/2 (up to (1 + 1/K)/2) for K draws."""
    by = {f.key: f for f in fits}
    return [
        by["lr-half"].mutant(relation="==", predicted=0.5, tolerance=EQUIVALENT - 0.5),
        by["draws"].mutant(relation="==", predicted=1 / p.draws, tolerance=_k_mid(p) - 1 / p.draws),
    ]


def _lr_large_equivalent(
    fits: Sequence[Fit], meas: MechanismMeasurements, p: MechanismParams, judge: Judge
) -> list[Fit]:
    """Mutant: a larger lr with proportionally fewer steps is equivalent (first order), its rise
    at least ¾ of the reference's, as the lr-half fit asks of a halved lr."""
    return [f.mutant(relation=">") for f in fits if f.key == "lr-large"]


def _one_term(
    fits: Sequence[Fit], meas: MechanismMeasurements, p: MechanismParams, judge: Judge
) -> list[Fit]:
    """Mutant: the κ₄ term sits in the loss whatever the decoder, so removing the output ReLU keeps
    at least half the rise: the no-ReLU fit, re-measured as a ratio to the reference rise, > 1/2."""
    r = _ratio(meas, "no-relu", judge.level, judge.rng)
    return [
        f.mutant(
            fitted=r.value,
            ci=r.ci,
            relation=">",
            predicted=0.5,
            quantity=f"rise without the output ReLU over rise with it, at lr·t = {p.time:g}",
        )
        for f in fits
        if f.key == "no-relu"
    ]


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Overrides of the smoke params where every fit should hold, the lr-large one included: σ
    around 0.15 with the reference lr at the paper's 0.02, so the "large" lr is 0.08, where SGD's
    gradient noise slows the rise (not equivalent), and lr/2 = 0.01 is still first order;
    lr·t = 80; K = 2 draws; family-wise 0.999."""
    return {
        "train.model.n": 8,
        "train.model.m": 16,
        "train.optimiser.lr": 0.02,
        "lr_large": 4.0,
        "train.optimiser.steps": 4000,
        "draws": 2,
        "train.noise.sigma": draw(st.sampled_from([0.15, 0.16, 0.17]), label="sigma"),
        "train.instances": draw(st.integers(8, 12), label="instances"),
        "margin": 0.02,
    }


STANDARD = MechanismParams()
SMOKE = MechanismParams(  # lr·t = 20
    train=STANDARD.train.replace(
        optimiser={"steps": 1000}, noise={"sigma": 0.2}, instances=4, log_points=10
    ),
    lr_large=2.0,
    margin=0.2,
)
# The paper code's model and optimiser (n 8, m 16, 5 instances, SGD lr 0.02, noise shared per step,
# σ = 0.15); the catalogue's diagnostics compare at lr·t = 200 (1e4 steps) with K = 8 draws.
PAPER = MechanismParams(
    train=STANDARD.train.replace(
        optimiser={"steps": 10_000}, noise={"scope": "step"}, instances=5, log_points=60
    ),
    seeds=8,
    draws=8,
)


def _false_failure(p: MechanismParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge), the replicates at ``p``,
    and the standard scale's intervals and margins from its sweep log."""
    unit = f"{p.seeds} seeds" if p.train.noise.scope == "step" else f"{p.train.instances} instances"
    return (
        f"{judge.family_sentence()}. The replicates are {unit} (own init, own noise). Over seeds "
        f"0–19 at the standard scale ({_LOG}) each ratio's bootstrap interval was ±0.04–0.12 and "
        f"every fitted ratio ≥ 0.30 from its threshold ({EQUIVALENT:g} for lr, the midpoints for "
        "K draws and per-sample noise); the no-ReLU change was −0.015…−0.002 (±0.007–0.012) "
        f"against its threshold +{STANDARD.margin:g}."
    )


KURTOSIS_MECHANISM = Claim(
    id="kurtosis-mechanism",
    title="Noise-induced sparsity is an expected-loss effect that needs the output ReLU",
    statement=(
        "Bernoulli noise's sparsification is first order: it survives averaging K noise draws per "
        "step and independent noise per input, and halving lr at equal lr·t does not shrink it; it "
        "vanishes without the output ReLU, where the expected loss is L(W) + nσ²‖W‖²_F (σ² only, "
        "no μ₄). The paper's 'one term in the loss', E[(W_i·ξ)⁴], does not explain that: the "
        "squared error is quadratic in ξ wherever the ReLU is active, so μ₄ reaches the expected "
        f"loss only through the ReLU's kink. A {STANDARD.lr_large:g}× larger lr at equal lr·t is "
        f"not equivalent: it reaches less than {EQUIVALENT:g} of the rise."
    ),
    source=(
        "catalogue P1-N-4 (measured finding, not in the paper); Lecomte et al. 2312.03096 noise "
        "section"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=fit_specs,
    fit=fit,
    controls=(
        Control(
            "sgd-noise",
            "the rise is SGD gradient noise: halving lr at equal lr·t halves it, K draws divide "
            "it by K",
            refit=_sgd_noise,
        ),
        Control(
            "lr-large-equivalent",
            "a larger lr at equal lr·t is equivalent (first order): its rise reaches "
            f"{EQUIVALENT:g} of the reference's",
            refit=_lr_large_equivalent,
        ),
        Control(
            "one-term",
            "the κ₄ term is in the loss whatever the decoder: without the output ReLU at least "
            "half the rise remains",
            refit=_one_term,
        ),
    ),
    false_failure=_false_failure,
    plot=figures.Figure("kurtosis_mechanism"),
    strategy=_strategy,
)

CLAIM = KURTOSIS_MECHANISM
