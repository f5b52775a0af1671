"""Claim ``edgeworth``: the ReLU noise term's Edgeworth form, and the sign of trained margins.

Catalogue P1-N-5: an interference output ReLU(c + Z), c = W_j·W_i (i ≠ j), Z = W_j·ξ, costs
E[ReLU(c + Z)²]; its first non-Gaussian term is −(c φ(c/s)/(12 s³))·‖W_j‖₄⁴(μ₄/σ⁴ − 3)σ⁴,
s = σ‖W_j‖₂ (:mod:`theory.edgeworth`, derived with sympy). For Bernoulli noise (excess kurtosis −2)
at a negative margin it is negative and grows with ‖W_j‖₄⁴: sparse rows leak less — if trained
margins are negative, which the catalogue marks *not verified*.

Two measurements:

* **Enumeration** (deterministic given the w): for random w — k non-zero N(0, 1) entries on
  k = 1…16 coordinates, normalised to ‖w‖₂ = 1 — the exact Bernoulli E[ReLU(c + Z)²] (a mean over
  the 2^k sign patterns) less the Gaussian term is the *exact excess*; it is compared with the
  Edgeworth correction at the margins c/s = ±0.5, ±1, ±1.5, ±2. **The replicate of every
  enumeration fit is one random w draw** (its support size k is fixed by the grid, its entries
  are random): intervals are t-intervals over draws or a bootstrap over them. w with k equal
  entries (a lattice Z) are enumerated too, for the figure: their excess carries a lattice term of
  relative size O(k^{−1/2}) that oscillates with c and k, and for even k (an atom at Z = 0) it
  has the opposite sign to the correction for |c| ≲ 0.33·2σ/√k (measured: |c| < 0.48s at k = 2,
  < 0.16s at k = 16); the fits use the random w, where Z has no lattice, and |c| ≥ 0.5s.
* **Training** (replicate: an instance, own init and own noise): the ``kurtosis-sparsity``
  trainer (n = 8, m = 16, SGD lr 0.02, no L1, Bernoulli σ = 0.15 per instance) records every
  pair's margin c = W_i·W_j and c/s over training; a noiseless run beside it shows what the noise
  changes.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from sim import ParamError, check_float, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, NoiseParams, OptimiserParams, train
from theory import edgeworth as th
from theory import kurtosis

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Deviation, Fit, FitSpec, Judge, fit_by_key
from ._shared import check_confidence, num, property_strategy

__all__ = ["CLAIM", "EdgeworthMeasurements", "EdgeworthParams"]


@dataclass(frozen=True)
class EdgeworthParams:
    """Random w per support size k for the enumeration; one Bernoulli and one noiseless training
    run for the margins."""

    GRID_SET: ClassVar[tuple[str, ...]] = ("train.noise.kind",)  # each run sets its own noise

    # the Bernoulli run's trainer (kurtosis-sparsity's standard settings); the noiseless run is
    # the same with noise "none"
    train: AutoencoderParams = AutoencoderParams(
        model=ModelParams(
            n=8,  # features (the paper's fourth_norm.py)
            m=16,  # hidden neurons (the paper's)
        ),
        noise=NoiseParams(
            kind="bernoulli",  # ±σ, excess kurtosis −2
            # the paper's largest σ; the enumeration uses it too (its ratios depend on c/s)
            sigma=0.15,
            scope="instance",  # one ξ per instance per step: instances are independent
        ),
        optimiser=OptimiserParams(
            steps=25_000,  # lr·t = 500: rows at their sparse plateau (‖W_i‖₄⁴/‖W_i‖₂⁴ ≈ 0.78)
            lr=0.02,  # SGD learning rate (the paper's)
            kind="sgd",  # the paper's fourth_norm.py optimiser
            l1=0.0,  # no L1: sparsity comes from the noise alone
        ),
        instances=48,  # models per run: the replicates of the margin fits
        log_points=40,  # recorded steps (log-spaced)
    )
    ks: tuple[int, ...] = tuple(range(1, 17))  # support sizes k of the random w (2^k atoms)
    draws: int = 24  # random w per k: the replicates of the enumeration fits
    margins: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)  # |c|/s of the grid, each with both signs
    exponent_k: int = 8  # the exponent is fitted on k ≥ this (‖w‖₄⁴ ≈ 0.1–0.5: the dense end)
    dense_k: int = 12  # the dense-end ratio fits use k ≥ this (‖w‖₄⁴ ≈ 0.1–0.45)
    sparse_k: int = 3  # k ≤ this is the sparse end (the catalogue's "within ~2×")
    late: float = 0.2  # recorded steps ≥ late·steps are "the later part of training"
    zero_tol: float = 1e-3  # |c| ≤ this is on the boundary c = 0 (float32 rounding ≈ 1e-7)
    confidence: float = 0.95  # family-wise level of the stochastic fits (Bonferroni)

    def __post_init__(self) -> None:
        if self.train.noise.kind != "bernoulli":
            raise ParamError(
                "train.noise.kind", self.train.noise.kind, "'bernoulli' (the enumerated law)"
            )
        check_float("train.noise.sigma", self.train.noise.sigma, 0.0, lo_open=True)
        if self.train.optimiser.l1 != 0.0:
            raise ParamError(
                "train.optimiser.l1",
                self.train.optimiser.l1,
                "0 (the claim is about training without L1)",
            )
        check_int("train.instances", self.train.instances, 2)
        check_int("train.model.n", self.train.model.n, 2)
        if len(self.ks) < 3 or list(self.ks) != sorted(set(self.ks)):
            raise ParamError("ks", self.ks, "at least 3 increasing distinct support sizes")
        for k in self.ks:
            check_int("ks", k, 1, th.MAX_K)
        check_int("draws", self.draws, 2)
        if not self.margins or list(self.margins) != sorted(set(self.margins)):
            raise ParamError("margins", self.margins, "increasing distinct values of |c|/s > 0")
        for x in self.margins:
            check_float("margins", x, 0.0, 10.0, lo_open=True)
        for name in ("exponent_k", "dense_k"):
            k = getattr(self, name)
            check_int(name, k, 1)
            if len({x for x in self.ks if x >= k}) < 2:
                raise ParamError(name, k, f"a value leaving >= 2 support sizes of ks={self.ks}")
        check_int("sparse_k", self.sparse_k, 1)
        if not any(x <= self.sparse_k for x in self.ks):
            raise ParamError("sparse_k", self.sparse_k, f">= min(ks) = {min(self.ks)}")
        check_float("late", self.late, 0.0, 1.0, hi_open=True)
        check_float("zero_tol", self.zero_tol, 0.0, lo_open=True)
        check_confidence(self.confidence)

    @property
    def grid(self) -> np.ndarray:
        """The signed margins c/s: −max … −min, min … max."""
        pos = np.asarray(self.margins, dtype=float)
        return np.concatenate([-pos[::-1], pos])

    def trainer(self, noisy: bool, seed: int, device: str) -> AutoencoderParams:
        noise = (
            {"kind": "bernoulli", "sigma": self.train.noise.sigma} if noisy else {"kind": "none"}
        )
        return self.train.replace(noise={"sigma": 0.0} | noise, seed=seed, device=device)


@dataclass(frozen=True, repr=False)
class EdgeworthMeasurements:
    w: np.ndarray  # (N, max k) the random w draws, zero-padded, ‖w‖₂ = 1
    k: np.ndarray  # (N,) support size of each draw
    excess: np.ndarray  # (N, C) exact Bernoulli E[ReLU(c + Z)²] − the Gaussian term, at c = grid·s
    equal_excess: np.ndarray  # (K, C) the same for w with k equal entries, k in params.ks
    time: np.ndarray  # (T,) lr·t of the recorded steps
    margins: np.ndarray  # (T, B, P) c = W_j·W_i of every ordered pair i ≠ j, Bernoulli run
    scaled: np.ndarray  # (T, B, P) c/s, s = σ‖W_j‖₂, Bernoulli run
    margins_none: np.ndarray  # (T, B, P) c of the noiseless run
    ratio4: np.ndarray  # (T, B) mean ‖W_i‖₄⁴/‖W_i‖₂⁴, Bernoulli run (for the figure)

    @property
    def p4(self) -> np.ndarray:
        return (self.w**4).sum(-1)


def _draws(p: EdgeworthParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    kmax = max(p.ks)
    rows, ks = [], []
    for k in p.ks:
        for _ in range(p.draws):
            w = np.zeros(kmax)
            w[:k] = rng.standard_normal(k)
            rows.append(w / np.linalg.norm(w))
            ks.append(k)
    return np.array(rows), np.array(ks)


def _excess(w: np.ndarray, grid: np.ndarray, sigma: float) -> np.ndarray:
    """Exact Bernoulli minus Gaussian at c = grid·s, s = σ‖w‖₂."""
    cc = grid * sigma * float(np.linalg.norm(w))
    return th.exact_bernoulli(cc, w, sigma=sigma) - th.gaussian_expectation(cc, w, sigma=sigma)


def _pair_metrics(sigma: float) -> dict[str, Any]:
    def margins(W: torch.Tensor) -> torch.Tensor:
        G = W @ W.transpose(-1, -2)
        off = ~torch.eye(W.shape[-2], dtype=torch.bool, device=W.device)
        return G[:, off]  # (B, n(n − 1)): entry (i, j) is c = W_i·W_j for output j

    def scaled(W: torch.Tensor) -> torch.Tensor:
        G = W @ W.transpose(-1, -2)
        n = W.shape[-2]
        off = ~torch.eye(n, dtype=torch.bool, device=W.device)
        s = sigma * W.norm(dim=-1)  # s_j = σ‖W_j‖ of output j (the column)
        return (G / s[:, None, :])[:, off]

    def ratio4(W: torch.Tensor) -> torch.Tensor:
        sq = W * W
        return ((sq * sq).sum(-1) / sq.sum(-1) ** 2).mean(-1)

    return {"margins": margins, "scaled": scaled, "ratio4": ratio4}


def _train_one(ap: AutoencoderParams) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    metrics = _pair_metrics(ap.noise.sigma if ap.noise.sigma > 0 else 1.0)
    out = train(ap, metrics=metrics)
    return out.steps, dict(out.metrics)


def simulate(p: EdgeworthParams, ctx: Context) -> EdgeworthMeasurements:
    sigma = p.train.noise.sigma
    w, ks = _draws(p, ctx.rng("edgeworth", "w"))
    grid = p.grid
    excess = np.stack([_excess(row, grid, sigma) for row in w])
    equal = []
    for k in p.ks:
        cc = grid * sigma  # ‖w‖₂ = 1
        ones = np.ones(k) / math.sqrt(k)
        equal.append(
            th.exact_bernoulli_equal(cc, k, sigma=sigma)
            - th.gaussian_expectation(cc, ones, sigma=sigma)
        )
    seed = ctx.seed_for("edgeworth", "train")
    runs = ctx.map(
        _train_one,
        [p.trainer(True, seed, ctx.device), p.trainer(False, seed, ctx.device)],
        label="edgeworth: Bernoulli and noiseless training",
    )
    (steps, noisy), (_, clean) = runs
    return EdgeworthMeasurements(
        w=w,
        k=ks,
        excess=excess,
        equal_excess=np.stack(equal),
        time=steps * p.train.optimiser.lr,
        margins=noisy["margins"],
        scaled=noisy["scaled"],
        margins_none=clean["margins"],
        ratio4=noisy["ratio4"],
    )


def derive(p: EdgeworthParams) -> Derivation:
    return Derivation(
        expr=th.correction(),
        extra={
            "gaussian term E_G[ReLU(c+Z)^2]": th.gaussian_term(),
            "d^4/dc^4 of it": th.gaussian_derivative(4),
            "catalogue form": th.catalogue_form(),
            "from the Gram-Charlier density": th.correction_from_density(),
            "kappa4(w.xi)": th.projection_cumulant4(),
            "Bernoulli correction": th.correction("bernoulli"),
            "Bernoulli second order": th.second_order("bernoulli"),
            "noise push at c = 0": th.noise_push(),
        },
        values={
            "exponent in ||w||_4^4": th.p4_exponent(),
            "excess kurtosis (Bernoulli)": kurtosis.predict_excess_kurtosis("bernoulli"),
            "sup of the zero-loss pair set": th.margin_sup(),
            "predicted fraction of negative margins": th.predict_negative_fraction(),
        },
    )


SIGN_TOL = 0.05  # the sign fit: agreement at ≥ 95 % of the points
EXP_TOL = 0.25  # exponent: half-way to the neighbouring half-integer laws
RATIO_TOL = 0.15  # first order: ±15 % at the dense end
NEXT_TOL = 0.03  # the offset's second-order prediction: ± half of it (third order ≈ p4²)
FRACTION_TOL = 0.05  # negative margins: ≥ 95 % of the pairs
_LOG = "benchmarks/false_failure.jsonl"  # the standard scale's sweep over seeds 0–19


def specs(p: EdgeworthParams) -> tuple[FitSpec, ...]:
    grid = ", ".join(f"±{x:g}" for x in p.margins)
    ks = f"k = {min(p.ks)}…{max(p.ks)}"
    return (
        FitSpec(
            "sign",
            f"fraction of (w, c) points where the exact excess has the Edgeworth correction's sign "
            f"(random w, {ks}, c/s ∈ {{{grid}}}; mean over w draws)",
            SIGN_TOL,
            why=f"the correction's sign −c·κ₄ is the claim's mechanism; ±{SIGN_TOL:g} allows one "
            f"point in {1 / SIGN_TOL:.0f} to disagree; the near-zero lattice flip of equal-entry w "
            f"(|c| < {min(p.margins):g}s) is outside the grid (module doc)",
        ),
        FitSpec(
            "exponent",
            f"exponent of |exact excess| in ‖w‖₄⁴ at fixed c/s (mean over c/s < 0 of per-c OLS "
            f"slopes; random w, k ≥ {p.exponent_k}; bootstrap over w draws)",
            EXP_TOL,
            why="the correction is linear in ‖w‖₄⁴ (theory.edgeworth.p4_exponent); "
            f"±{EXP_TOL:g} is half the distance to exponents 1/2 and 3/2; the second-order terms "
            "(∝ ‖w‖₆⁶ and ‖w‖₄⁸) bend the local exponent by ≈ +0.1 at ‖w‖₄⁴ ≈ 0.2 (computed from "
            "theory.edgeworth.second_order)",
        ),
        FitSpec(
            "dense-ratio",
            f"exact excess / Edgeworth correction at the dense end (random w, k ≥ {p.dense_k}, "
            "mean over c/s < 0 and draws)",
            RATIO_TOL,
            why="the expansion is asymptotic in 1/k: at ‖w‖₄⁴ ≈ 0.1–0.45 the second-order terms "
            f"predict a ratio 1.00–1.10; ±{RATIO_TOL:g} is the first order's stated precision "
            "there "
            "(c/s > 0 gives the same ratio: the excess is odd in c)",
        ),
        FitSpec(
            "next-order",
            f"ratio − 1 at the dense end (random w, k ≥ {p.dense_k}, mean over c/s < 0 and "
            "draws) against the second-order Edgeworth terms' prediction at the same w",
            NEXT_TOL,
            why="how the ratio tends to 1: (κ₆/720)∂⁶E_G + (κ₄²/1152)∂⁸E_G over the first-order "
            "term (theory.edgeworth.second_order), ≈ +0.06 here; "
            f"±{NEXT_TOL:g} leaves room for the third order (≈ (‖w‖₄⁴)² ≈ 0.02–0.04)",
        ),
        FitSpec(
            "sparse-within-2x",
            f"fraction of (w, c) points with exact/Edgeworth in [½, 2] at the sparse end (random "
            f"w, k ≤ {p.sparse_k}, c/s < 0; mean over draws)",
            SIGN_TOL,
            why="the catalogue: 'magnitude within ~2× for sparse w' (c = −σ, one-hot: exact "
            f"−7.5e-4 vs Edgeworth −4.0e-4 at σ = 0.1); ±{SIGN_TOL:g} as for the sign",
        ),
        FitSpec(
            "negative-fraction",
            f"fraction of pairs i ≠ j with c = W_i·W_j < 0 over the later part of training (steps "
            f"≥ {p.late:g}·steps), Bernoulli σ = {p.train.noise.sigma:g}, mean over instances",
            FRACTION_TOL,
            why="the noiseless zero-loss set has every c ≤ 0 (theory.no_l1) and the noise's push "
            "at c = 0 is s√(2/π) > 0 (theory.edgeworth.noise_push): every pair strictly below 0; "
            f"±{FRACTION_TOL:g} lets one pair in {1 / FRACTION_TOL:.0f} stray",
        ),
        FitSpec(
            "largest-margin",
            "largest c/s over the pairs and the later recorded steps, Bernoulli run, mean over "
            "instances",
            relation="<",
            why="c < 0 strictly, not c → 0⁺: below the zero-loss set's sup 0 "
            "(theory.edgeworth.margin_sup), since the push at c = 0 is positive",
        ),
        FitSpec(
            "boundary-none",
            f"fraction of pairs with |c| ≤ {p.zero_tol:g} at the end of noiseless training, mean "
            "over instances",
            relation=">",
            why="without noise the push at c = 0 is 0: an acute pair's force ReLU(c) vanishes at "
            "the boundary c = 0, so the pairs that start acute stop there, where the Edgeworth "
            "term is 0 (the contrast with the noisy run's strict c < 0)",
        ),
    )


def _late(meas: EdgeworthMeasurements, p: EdgeworthParams) -> np.ndarray:
    steps = meas.time / p.train.optimiser.lr
    keep = steps >= p.late * p.train.optimiser.steps
    if not keep.any():
        raise ValueError(f"no recorded step >= late·steps = {p.late * p.train.optimiser.steps:g}")
    return keep


def _slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS slope of y (..., N, C) on x (..., N), per column C, over axis N."""
    xc = x - x.mean(-1, keepdims=True)
    yc = y - y.mean(-2, keepdims=True)
    return (xc[..., None] * yc).sum(-2) / (xc * xc).sum(-1)[..., None]


def _exponent_stat(logp4: np.ndarray, logy: np.ndarray) -> Any:
    def stat(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        i = np.moveaxis(np.asarray(idx), axis, -1).astype(int)
        return _slopes(logp4[i], logy[i]).mean(-1)

    return stat


def fit(meas: EdgeworthMeasurements, d: Derivation, p: EdgeworthParams, judge: Judge) -> list[Fit]:
    level, sigma, grid = judge.level, p.train.noise.sigma, p.grid
    edge = np.stack(
        [th.edgeworth_correction(grid * sigma, row, sigma=sigma) for row in meas.w]
    )  # (N, C); ‖w‖₂ = 1, so s = σ
    second = np.stack(
        [th.second_order_correction(grid * sigma, row, sigma=sigma) for row in meas.w]
    )
    neg = grid < 0
    agree = (np.sign(meas.excess) == np.sign(edge)).mean(-1)
    ratio = meas.excess / edge
    dense = meas.k >= p.dense_k
    sparse = meas.k <= p.sparse_k
    within = ((ratio[:, neg] >= 0.5) & (ratio[:, neg] <= 2.0)).mean(-1)

    sel = meas.k >= p.exponent_k
    logp4 = np.log(meas.p4[sel])
    with np.errstate(divide="ignore"):
        logy = np.log(np.abs(meas.excess[sel][:, neg]))
    exponent = fitting.bootstrap(
        [np.arange(sel.sum(), dtype=float)],
        _exponent_stat(logp4, logy),
        rng=judge.rng,
        confidence=level,
    )
    late = _late(meas, p)
    negative = (meas.margins[late] < 0).mean(-1).mean(0)  # (B,)
    largest = meas.scaled[late].max(-1).max(0)  # (B,)
    boundary = (np.abs(meas.margins_none[-1]) <= p.zero_tol).mean(-1)  # (B,)
    predicted_next = float((second[dense][:, neg] / edge[dense][:, neg]).mean())
    return [
        judge.fit("sign", predicted=1.0, estimate=fitting.mean_ci(agree, confidence=level)),
        judge.fit("exponent", predicted=th.p4_exponent(), estimate=exponent),
        judge.fit(
            "dense-ratio",
            predicted=1.0,
            estimate=fitting.mean_ci(ratio[dense][:, neg].mean(-1), confidence=level),
        ),
        judge.fit(
            "next-order",
            predicted=predicted_next,
            estimate=fitting.mean_ci(ratio[dense][:, neg].mean(-1) - 1.0, confidence=level),
        ),
        judge.fit(
            "sparse-within-2x",
            predicted=1.0,
            estimate=fitting.mean_ci(within[sparse], confidence=level),
        ),
        judge.fit(
            "negative-fraction",
            predicted=th.predict_negative_fraction(),
            estimate=fitting.mean_ci(negative, confidence=level),
        ),
        judge.fit(
            "largest-margin",
            predicted=th.margin_sup(),
            estimate=fitting.mean_ci(largest, confidence=level),
        ),
        judge.fit(
            "boundary-none",
            predicted=0.0,
            estimate=fitting.mean_ci(boundary, confidence=level),
        ),
    ]


def _margins_positive(fits: Any, meas: Any, p: Any, judge: Judge) -> list[Fit]:
    """Mutant: trained margins are positive (the largest c/s lies above 0)."""
    f = fit_by_key(fits, "largest-margin")
    return [f.mutant(relation=">", predicted=0.0)]


def _strict_without_noise(fits: Any, meas: Any, p: Any, judge: Judge) -> list[Fit]:
    """Mutant: noise is not needed; without it too no pair sits on c = 0 (fraction ≤ 0.05)."""
    f = fit_by_key(fits, "boundary-none")
    return [f.mutant(relation="<", predicted=0.05)]


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """Fewer draws and a shorter run where the claim should hold: σ around the paper's largest
    (the margins reach c < 0 within lr·t ≈ 2 at σ = 0.15), judged at a family-wise 0.999."""
    return {
        "train.noise.sigma": draw(st.sampled_from([0.1, 0.15, 0.2]), label="sigma"),
        "train.instances": draw(st.integers(8, 16), label="instances"),
        "train.optimiser.steps": 3000,
        "draws": draw(st.integers(8, 12), label="draws"),
        "ks": tuple(range(1, 13)),
        "exponent_k": 6,
        "dense_k": 9,
    }


STANDARD = EdgeworthParams()
SMOKE = dataclasses.replace(
    STANDARD,
    train=STANDARD.train.replace(optimiser={"steps": 2000}, instances=8, log_points=20),
    ks=tuple(range(1, 11)),
    draws=6,
    exponent_k=6,
    dense_k=8,
)
# the paper code's fourth_norm.py run (1e5 steps), more instances and w draws
PAPER = dataclasses.replace(
    STANDARD,
    train=STANDARD.train.replace(optimiser={"steps": 100_000}, instances=128, log_points=60),
    draws=64,
)

_NEGATIVE_MARGINS = ", ".join(num(-x, "g") for x in reversed(STANDARD.margins))


def _false_failure(p: EdgeworthParams, judge: Judge) -> str:
    """The family's guarantee at ``p`` (k and the level from the judge), then what the standard
    scale's sweep log measured against the bands."""
    return (
        f"{judge.family_sentence()}. Over seeds 0–19 at the standard scale ({_LOG}): sign 1 [1, 1] "
        f"at every seed; exponent 1.058–1.075 (band 1 ± {EXP_TOL:g}); dense ratio 1.065–1.078 "
        f"(band 1 ± {RATIO_TOL:g}); ratio − 1 0.065–0.078 against its second-order prediction "
        f"≈ 0.06 (band ±{NEXT_TOL:g}); sparse fraction within 2× 0.61–0.70 (the recorded "
        "deviation); negative fraction 1 [1, 1]; largest c/s −0.717…−0.700; noiseless fraction on "
        "c = 0 0.53–0.56."
    )


EDGEWORTH = Claim(
    id="edgeworth",
    title="The ReLU-mediated noise term's Edgeworth form, and trained margins c < 0",
    statement=(
        "The non-Gaussian part of E[ReLU(c + W_j·ξ)²] is, to first order, "
        "−(c φ(c/s)/(12 s³))‖W_j‖₄⁴(μ₄/σ⁴ − 3)σ⁴: for Bernoulli noise it has the sign of c, is "
        "linear in ‖W_j‖₄⁴ and matches the exact enumeration as w gets dense; and training with "
        "Bernoulli noise and no L1 keeps every margin c = W_i·W_j strictly negative, where that "
        "term rewards sparse rows."
    ),
    source="catalogue P1-N-5 ([DER]; the trained margins' sign was 'not verified'); extension",
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=(
        Control(
            "gaussian-same",
            "Gaussian noise has the same correction: the non-Gaussian part is that of κ₄ = 0, "
            "zero (exact / Edgeworth = 0)",
            predict={"dense-ratio": 0.0},
        ),
        Control(
            "l2-scaling",
            "the correction scales as ‖w‖₂⁴ (constant at ‖w‖₂ = 1), not ‖w‖₄⁴: exponent 0",
            predict={"exponent": 0.0},
        ),
        Control(
            "sign-flips",
            "the exact excess has the opposite sign (positive at c < 0): agreement 0",
            predict={"sign": 0.0},
        ),
        Control(
            "margins-positive",
            "trained margins are positive: the largest c/s lies above 0",
            refit=_margins_positive,
        ),
        Control(
            "strict-without-noise",
            "noise is not what makes margins strict: without it no pair sits on c = 0",
            refit=_strict_without_noise,
        ),
    ),
    deviations={
        "sparse-within-2x": Deviation(
            "fail",
            (0.55, 0.78),
            "the expansion is not within 2× at the sparse end for every margin: for "
            f"k ≤ {STANDARD.sparse_k} the ratio exact/Edgeworth spans 0.05–2.9 (one-hot: 0.32, "
            f"0.71, 1.87, 2.88 at c/s = {_NEGATIVE_MARGINS}; tests/test_texts.py recomputes them); "
            "it is within 2× at c/s = −1 and −1.5 for every draw (the catalogue's example, c = −σ, "
            "one-hot: 1.87) but only for ≈ 1/3 of the draws at −0.5 and −2; measured fraction "
            f"0.61–0.70 over seeds 0–19 ({_LOG}), the range the union of their intervals",
            scales=("smoke", "standard"),
        )
    },
    false_failure=_false_failure,
    plot=figures.Figure("edgeworth"),
    strategy=_strategy,
)

CLAIM = EDGEWORTH
