"""Claim ``geometry``: trained W is block-semi-orthogonal, with the block sizes of the static model.

Scherlis et al. find "a block-semi-orthogonal structure, with differing block sizes in different
models". Here the tied ReLU autoencoder is trained by gradient descent at collision-count's
settings (n = 16, SGD lr = λ = 0.1, 800 steps) at m = 2n and 4n, where blocks of two are frequent.
Feature i is on neuron k when LO ≤ |W_ik| ≤ HI (the paper's window, :mod:`sim.metrics`); a block
is a connected component of the feature–neuron graph (features sharing a neuron, transitively); a
feature on no neuron (unlearned) is a block of its own, of size 1, and is left out of the
cross-block and within-block measurements (it holds no neuron; the counts record how many).

Judged against :mod:`theory.geometry` (the static model of :mod:`theory.collisions` with the sign
rule: a neuron keeps one positive and one negative feature, a surplus same-sign feature settles
alone):

* ``pairs`` — the pooled fraction of features in blocks of 2 over its static expectation
  2·E[#polysemantic]/n (bootstrap over instances), ±35 % (catalogue P1-COUNT's level);
* ``large`` — the fraction of instances with a block of ≥ 3 features: 0 (capacity 2, one neuron
  per feature), over every tied ReLU run including the necessary regime;
* ``cross`` — the fraction of instances whose largest cross-block |W_i·W_j| is ≤ ε, the SGD
  residue bound 2ηλw + (m − 2)(ηλ)²;
* ``opposite`` — co-residents of a block of 2 have opposite signs;
* ``norm`` — a learned feature's ‖W_i‖ is the root w of 4w(w² − 1) + λ = 0 (≈ 1 − λ/8);
* ``capacity-single`` / ``capacity-pair`` — Scherlis's capacity sums to each block's dimension 1:
  C = 1 for a block of one, C_i + C_j = 1 for a pair on one neuron (each ½);
* ``untied`` / ``gelu`` / ``linear`` — at m = 2n, the untied model's pair fraction against the
  static model (its capacity is 2 as tied), and no pairs where the zero-loss neuron capacity is 1
  (GeLU, linear output: act(−1) ≠ 0);
* ``floor`` — into the necessary regime at n = 2m (lr 0.05, 1600 steps, as ``origins``): every
  neuron must hold a pair, the fraction in pairs is 2·max(0, n − m)/n = 1.

Measured departures (recorded as deviations): at m = n (``pairs-dense``) gradient descent puts
≈ 1.4× the static model's features in pairs — a feature repelled from a same-sign collision moves
to another neuron, where it can pair again, which the static model (surplus features settle alone)
leaves out; the enforced-repulsion model of :mod:`theory.origins` (which relocates them) is closer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from sim import ParamError, check_float, check_int
from sim.autoencoder import AutoencoderParams, ModelParams, OptimiserParams, train
from sim.metrics import HI, LO, untied_code
from theory import geometry as th
from theory import origins

from .. import figures, fitting
from .._context import Context
from .._core import Claim, Control, Derivation, Deviation, Fit, FitSpec, Judge
from ._shared import check_confidence, property_strategy

__all__ = [
    "CLAIM",
    "BatchSummary",
    "GeometryMeasurements",
    "GeometryParams",
    "block_labels",
    "summarise",
]

RATIO_TOL = 0.35  # catalogue P1-COUNT: the static model's level within ±35 %
ZERO_TOL = 0.01  # a fraction predicted 0 (or 1) exactly: one instance in a hundred
SIGN_TOL = 0.05  # collision-count's sign condition, tighter: ≥ 0.95 opposite
ARCH_TOL = 0.03  # "no pairs": a sixth of the tied model's 0.19 at m = 2n would fail it
FLOOR_TOL = 0.02  # the floor at n = 2m: one feature in fifty off a pair


@dataclass(frozen=True)
class GeometryParams:
    """Tied ReLU runs at ``m`` (judged against the static model) and at ``dense_m`` (m = n, a
    recorded departure); three other architectures at ``arch_m``; the necessary regime at
    ``necessary_m`` with n = ``necessary_n``."""

    GRID_SET: ClassVar[tuple[str, ...]] = (
        "train.model.m",
        "train.model.n",
        "train.model.tied",
        "train.model.activation",
        "train.optimiser.lr",
        "train.optimiser.steps",
    )  # each run sets its m, n, architecture (and, in the necessary regime, lr and steps)

    train: AutoencoderParams = AutoencoderParams(
        model=ModelParams(
            n=16,  # features (collision-count's standard n)
        ),
        optimiser=OptimiserParams(
            steps=800,  # collision-count's: the count is flat after ≈ 450
            kind="sgd",  # gradient descent: the dynamics the static model describes
            lr=0.1,  # η; the residues L1 holds at 0 oscillate within ±ηλ
            l1=0.1,  # λ; final |W| ≈ 1 − λ/8
            weight_decay=0.0,  # none: reconstruction + λ‖W‖₁ only
        ),
        instances=2048,  # models per m: ≈ 780 pairs at m = 2n, 430 at 4n
        log_points=1,  # only the initial and final weights are used
    )
    m: tuple[int, ...] = (32, 64)  # m = 2n, 4n: pairs frequent, the static model's regime
    dense_m: int = 16  # m = n: the static model's edge (a recorded departure)
    arch_m: int = 32  # m = 2n for the untied, GeLU and linear runs
    arch_instances: int = 512  # models per architecture (≈ 190 pairs untied)
    necessary_m: int = 16  # m of the necessary-regime runs (as origins: n/m up to 2)
    necessary_n: int = 32  # n = 2m: every neuron must hold a pair
    necessary_lr: float = 0.05  # origins' lr: 0.1 diverges once n ≈ 2m
    necessary_steps: int = 1600  # lr·steps = 80, as the standard run
    necessary_instances: int = 512  # models at n = 2m
    lo: float = LO  # feature on neuron: lo <= |W_ik| <= hi (the paper's window)
    hi: float = HI  # upper end of that window
    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

    def __post_init__(self) -> None:
        if not isinstance(self.m, tuple) or len(self.m) < 1:
            raise ParamError("m", self.m, "one or more hidden sizes, e.g. 32,64")
        for v in self.m:
            check_int("m", v, 2)
        for name in ("dense_m", "arch_m", "necessary_m", "necessary_steps"):
            check_int(name, getattr(self, name), 2)
        for name in ("arch_instances", "necessary_instances"):
            check_int(name, getattr(self, name), 2)
        check_int("train.model.n", self.train.model.n, 2)
        check_int("train.instances", self.train.instances, 2)
        check_int("necessary_n", self.necessary_n, self.necessary_m + 1, 2 * self.necessary_m)
        check_float("necessary_lr", self.necessary_lr, 0.0, lo_open=True)
        check_float("lo", self.lo, 0.0, lo_open=True)
        check_float("hi", self.hi, self.lo)
        check_confidence(self.confidence)

    @property
    def n(self) -> int:
        return self.train.model.n

    @property
    def lr(self) -> float:
        return self.train.optimiser.lr

    @property
    def lam(self) -> float:
        return self.train.optimiser.l1

    def eps(self, m: int) -> float:
        """The cross-block bound ε at hidden size ``m`` (theory.geometry.cross_block_bound)."""
        return th.cross_block_bound(m, self.lr, self.lam)


# -- measurement ----------------------------------------------------------------------------------


def block_labels(on: np.ndarray) -> np.ndarray:
    """Block label of each feature from the mask ``on`` (n, m) (feature i on neuron k): the
    connected components of the bipartite feature–neuron graph; a feature on no neuron is its
    own block."""
    n, m = on.shape
    adj = np.zeros((n + m, n + m), dtype=bool)
    adj[:n, n:] = on
    adj[n:, :n] = on.T
    _, lab = connected_components(csr_matrix(adj), directed=False)
    return lab[:n]


def _cross_max(G: np.ndarray, lab: np.ndarray, keep: np.ndarray) -> float:
    """The largest |G_ij| over features i, j of different blocks, both in ``keep``."""
    diff = (lab[:, None] != lab[None, :]) & keep[:, None] & keep[None, :]
    return float(np.abs(G[diff]).max()) if diff.any() else 0.0


@dataclass(frozen=True, repr=False)
class BatchSummary:
    """Per-instance measurements of one trained batch of B models."""

    in_pairs: np.ndarray  # (B,) features in blocks of size 2
    in_large: np.ndarray  # (B,) features in blocks of size >= 3
    unlearned: np.ndarray  # (B,) features on no neuron (blocks of 1)
    sizes: np.ndarray  # (B, n) each feature's block size (unlearned: 1)
    cross: np.ndarray  # (B,) max cross-block |W_i·W_j| over learned features
    cross_random: np.ndarray  # (B,) the same with the blocks' labels permuted at random
    cross_init: np.ndarray  # (B,) the same on W_init (the final blocks)
    pairs: np.ndarray  # (B,) blocks of size 2
    opposite: np.ndarray  # (B,) of which with opposite signs on their shared neuron
    norm: np.ndarray  # (B,) mean ‖W_i‖ over learned features in blocks of <= 2 (nan: none)
    cap_single: np.ndarray  # (B,) sum of C_i over learned singleton features
    singles: np.ndarray  # (B,) learned singleton features
    cap_pair: np.ndarray  # (B,) sum over pair blocks of C_i + C_j
    example_gram: np.ndarray  # (n, n) W Wᵀ of the first model, features ordered by block
    seconds: float


def summarise(
    W_init: np.ndarray,
    W_final: np.ndarray,
    D_final: np.ndarray | None = None,
    *,
    lo: float = LO,
    hi: float = HI,
    rng: np.random.Generator,
) -> BatchSummary:
    """The measurements of one batch (arrays (B, n, m)); ``D_final`` for an untied batch (the
    blocks then come from :func:`sim.metrics.untied_code`, the Gram matrix from E)."""
    W0 = np.asarray(W_init, dtype=np.float64)
    W = np.asarray(W_final, dtype=np.float64)
    code = untied_code(W, D_final, lo=lo, hi=hi) if D_final is not None else W
    a = np.abs(code)
    on = (a >= lo) & (a <= hi)
    B, n, _ = W.shape
    G = W @ W.transpose(0, 2, 1)
    G0 = W0 @ W0.transpose(0, 2, 1)
    out: dict[str, list[float]] = {k: [] for k in ("cross", "rand", "init", "norm", "cs", "cp")}
    sizes = np.zeros((B, n), dtype=int)
    pairs = np.zeros(B)
    opposite = np.zeros(B)
    singles = np.zeros(B)
    order = np.arange(n)
    for b in range(B):
        lab = block_labels(on[b])
        _, inv, cnt = np.unique(lab, return_inverse=True, return_counts=True)
        size = cnt[inv]
        sizes[b] = size
        if b == 0:  # larger blocks first, a block's features together
            order = np.lexsort((lab, -size))
        learned = on[b].any(axis=1)
        out["cross"].append(_cross_max(G[b], lab, learned))
        out["rand"].append(_cross_max(G[b], lab[rng.permutation(n)], learned))
        out["init"].append(_cross_max(G0[b], lab, learned))
        small = learned & (size <= 2)
        norms = np.sqrt(np.diag(G[b]))
        out["norm"].append(float(norms[small].mean()) if small.any() else np.nan)
        cap = np.diag(G[b]) ** 2 / (G[b] ** 2).sum(axis=1)
        single = learned & (size == 1)
        singles[b] = single.sum()
        out["cs"].append(float(cap[single].sum()))
        cp = 0.0
        for blk in np.unique(lab[size == 2]):
            i, j = np.nonzero(lab == blk)[0]
            cp += cap[i] + cap[j]
            pairs[b] += 1
            shared = on[b, i] & on[b, j]
            opposite[b] += bool(np.all(np.sign(code[b, i, shared]) != np.sign(code[b, j, shared])))
        out["cp"].append(cp)
    return BatchSummary(
        in_pairs=(sizes == 2).sum(axis=1).astype(float),
        in_large=(sizes >= 3).sum(axis=1).astype(float),
        unlearned=(~on.any(axis=2)).sum(axis=1).astype(float),
        sizes=sizes,
        cross=np.asarray(out["cross"]),
        cross_random=np.asarray(out["rand"]),
        cross_init=np.asarray(out["init"]),
        pairs=pairs,
        opposite=opposite,
        norm=np.asarray(out["norm"]),
        cap_single=np.asarray(out["cs"]),
        singles=singles,
        cap_pair=np.asarray(out["cp"]),
        example_gram=G[0][np.ix_(order, order)],
        seconds=0.0,
    )


@dataclass(frozen=True)
class _Run:
    """One training batch (picklable: it may run in another process)."""

    key: str
    params: AutoencoderParams
    lo: float
    hi: float
    perm_seed: int  # seeds the random-partition control's permutations


def _train_run(run: _Run) -> BatchSummary:
    out = train(run.params)
    s = summarise(
        out.W_init,
        out.W_final,
        out.D_final if not run.params.model.tied else None,
        lo=run.lo,
        hi=run.hi,
        rng=np.random.default_rng(run.perm_seed),
    )
    return BatchSummary(**{**s.__dict__, "seconds": out.seconds})


@dataclass(frozen=True, repr=False)
class GeometryMeasurements:
    runs: dict[str, BatchSummary]  # run key -> summary: "m=32", "dense", "untied", ..., "floor"
    main: tuple[str, ...]  # the keys of the tied runs judged against the static model


_ARCH = {
    "untied": {"tied": False, "activation": "relu"},
    "gelu": {"tied": True, "activation": "gelu"},
    "linear": {"tied": True, "activation": "none"},
}


def _runs(p: GeometryParams, ctx: Context) -> list[_Run]:
    n = p.n
    out: list[_Run] = []

    def add(key: str, params: AutoencoderParams) -> None:
        m = params.model.m
        seed = ctx.seed_for("geometry", key, params.model.n, m)
        perm = ctx.seed_for("geometry-permutation", key, params.model.n, m)
        out.append(_Run(key, params.replace(seed=seed, device=ctx.device), p.lo, p.hi, perm))

    for m in p.m:
        add(f"m={m}", p.train.replace(model={"m": m}))
    add("dense", p.train.replace(model={"m": p.dense_m}))
    for v, arch in _ARCH.items():
        add(v, p.train.replace(model={"m": p.arch_m, **arch}, instances=p.arch_instances))
    add(
        "floor",
        p.train.replace(
            model={"n": p.necessary_n, "m": p.necessary_m},
            optimiser={"lr": p.necessary_lr, "steps": p.necessary_steps},
            instances=p.necessary_instances,
        ),
    )
    assert all(r.params.model.n == n for r in out if r.key != "floor")
    return out


def simulate(p: GeometryParams, ctx: Context) -> GeometryMeasurements:
    runs = _runs(p, ctx)
    rows = ctx.map(_train_run, runs, label="geometry: tied grid, architectures, n = 2m")
    return GeometryMeasurements(
        runs={r.key: s for r, s in zip(runs, rows, strict=True)},
        main=tuple(f"m={m}" for m in p.m),
    )


# -- theory ---------------------------------------------------------------------------------------


def derive(p: GeometryParams) -> Derivation:
    n = p.n
    values = {f"pair fraction (m={m})": th.pair_fraction(n, m) for m in (*p.m, p.dense_m)}
    values |= {f"no-sign-rule fraction (m={m})": th.no_sign_fraction(n, m) for m in p.m}
    values |= {f"P(block >= 3), no sign rule (m={m})": th.p_crowded_no_sign(n, m) for m in p.m}
    values |= {f"ε (m={m})": p.eps(m) for m in p.m}
    values |= {
        "w*": th.norm_root(p.lam),
        "capacity deficit bound": max(th.capacity_deficit(n, m, p.lr, p.lam) for m in p.m),
        "max block size": float(th.max_block_size()),
        "floor pair fraction (n = 2m)": _floor_fraction(p),
        "untied pair fraction": th.pair_fraction(n, p.arch_m),
        "gelu pair fraction": th.pair_fraction(n, p.arch_m, "gelu"),
        "linear pair fraction": th.pair_fraction(n, p.arch_m, "none"),
    }
    return Derivation(
        expr=th.pair_fraction_expr(),
        extra={"pair blocks": th.pair_blocks(), "floor": origins.floor_expr()},
        values=values,
    )


def _floor_fraction(p: GeometryParams) -> float:
    """The necessary floor's fraction of features in pairs, 2·max(0, n − m)/n (theory.origins)."""
    return 2 * origins.predict_floor(p.necessary_n, p.necessary_m) / p.necessary_n


# -- fits -----------------------------------------------------------------------------------------


def _grid(p: GeometryParams) -> str:
    return ", ".join(f"{m // p.n}n" if m % p.n == 0 else str(m) for m in p.m)


def specs(p: GeometryParams) -> tuple[FitSpec, ...]:
    grid = f"m = {_grid(p)} (n = {p.n})"
    eps = ", ".join(f"{p.eps(m):.4f}" for m in p.m)
    deficit = max(th.capacity_deficit(p.n, m, p.lr, p.lam) for m in p.m)
    w = th.norm_root(p.lam)
    norm_tol = _norm_tol(p)
    excess = 2 * norm_tol / w  # (m − 1)(ηλ)²/w²: the residues raise ‖W_i‖² above |W_i·W_j|
    cap_tol = max(deficit, excess)
    return (
        FitSpec(
            "pairs",
            "features in blocks of 2 / static expectation 2·E[#polysemantic] (pooled, bootstrap)",
            RATIO_TOL,
            why=f"the static model's level at the catalogue's ±{100 * RATIO_TOL:g} % (P1-COUNT) "
            f"on {grid}; the no-sign-rule mutant sits at ≈ 2",
        ),
        FitSpec(
            "pairs-dense",
            f"the same ratio at m = {p.dense_m} (m = n: the static model's edge)",
            RATIO_TOL,
            why=f"the same ±{100 * RATIO_TOL:g} %; a relocated same-sign feature can pair again "
            "when neurons are few",
        ),
        FitSpec(
            "large",
            "fraction of tied ReLU instances with a block of ≥ 3 features (all tied runs)",
            ZERO_TOL,
            why=f"the static model's largest block is the neuron capacity {th.max_block_size()} "
            f"(sympy); ±{ZERO_TOL:g} (Clopper-Pearson over instances)",
        ),
        FitSpec(
            "cross",
            "fraction of instances whose largest cross-block |W_i·W_j| (learned features) ≤ ε",
            ZERO_TOL,
            why=f"ε = 2ηλw + (m − 2)(ηλ)² = {eps} on {grid}: residues held at 0 by L1 oscillate "
            f"within ±ηλ; ±{ZERO_TOL:g} (Clopper-Pearson over instances)",
        ),
        FitSpec(
            "opposite",
            "fraction of blocks of 2 whose co-residents have opposite signs",
            SIGN_TOL,
            why="same-sign co-residents repel (Clopper-Pearson over blocks)",
        ),
        FitSpec(
            "norm",
            "mean ‖W_i‖ of learned features in blocks of ≤ 2 (mean over instances)",
            norm_tol,
            why=f"the root w = {w:.5f} of 4w(w² − 1) + λ = 0 (sympy; 1 − λ/8 = "
            f"{1 - p.lam / 8:.5f}); ± the residues' (m − 1)(ηλ)²/2w = {norm_tol:.4f} at "
            f"m = {max(p.m)}",
        ),
        FitSpec(
            "capacity-single",
            "mean capacity C_i of learned features alone in their block",
            cap_tol,
            why=f"block dimension 1; the cross-block overlaps ≤ ε lower it by at most "
            f"(n − 1)ε²/w⁴ = {deficit:.4f} (the larger of that and the residues' excess)",
        ),
        FitSpec(
            "capacity-pair",
            "mean C_i + C_j of a block of 2 (each ½: W_i·W_j = −w² on their one neuron)",
            cap_tol,
            why=f"block dimension 1 (one shared neuron); ± the larger of the overlaps' deficit "
            f"{deficit:.4f} and the residues' excess (m − 1)(ηλ)²/w² = {excess:.4f} (the "
            "residues make ‖W_i‖² exceed |W_i·W_j|)",
        ),
        FitSpec(
            "untied",
            f"untied: features in blocks of 2 / static expectation at m = {p.arch_m}",
            RATIO_TOL,
            why="untied ReLU has the same neuron capacity 2 (E_ik·D_jk of opposite signs feeds "
            f"ReLU(−1) = 0); the catalogue's ±{100 * RATIO_TOL:g} %",
        ),
        FitSpec(
            "gelu",
            f"GeLU output: fraction of features in blocks of 2 at m = {p.arch_m}",
            ARCH_TOL,
            why=f"GeLU(−1) ≠ 0: zero-loss neuron capacity {th.neuron_capacity('gelu')}, no pairs; "
            f"±{ARCH_TOL:g} (the tied model's {th.pair_fraction(p.n, p.arch_m):.2f} would fail)",
        ),
        FitSpec(
            "linear",
            f"linear output: fraction of features in blocks of 2 at m = {p.arch_m}",
            ARCH_TOL,
            why=f"act(−1) = −1: neuron capacity {th.neuron_capacity('none')}, no pairs; "
            f"±{ARCH_TOL:g}",
        ),
        FitSpec(
            "floor",
            f"fraction of features in blocks of 2 at n = {p.necessary_n}, m = {p.necessary_m}",
            FLOOR_TOL,
            why=f"necessary regime: ≥ n − m pairs (theory.origins floor), "
            f"2·max(0, n − m)/n = {_floor_fraction(p):g}; ±{FLOOR_TOL:g}",
        ),
    )


def _norm_tol(p: GeometryParams) -> float:
    r = p.lr * p.lam
    return (max(p.m) - 1) * r * r / (2 * th.norm_root(p.lam))


def _cat(meas: GeometryMeasurements, keys: tuple[str, ...], field: str) -> np.ndarray:
    return np.concatenate([getattr(meas.runs[k], field) for k in keys])


def _pair_ratio(
    meas: GeometryMeasurements, keys: tuple[str, ...], n: int, ms: list[int], judge: Judge
) -> fitting.Estimate:
    num_ = [meas.runs[k].in_pairs for k in keys]
    den = [n * th.pair_fraction(n, m) for m in ms]
    return fitting.ratio_ci(num_, den, rng=judge.rng, confidence=judge.level)


def _fraction(flags: np.ndarray, judge: Judge) -> fitting.Estimate:
    return fitting.proportion_ci(int(np.sum(flags)), int(flags.size), confidence=judge.level)


def _cross_ok(meas: GeometryMeasurements, p: GeometryParams, field: str) -> np.ndarray:
    return np.concatenate([getattr(meas.runs[f"m={m}"], field) <= p.eps(m) for m in p.m])


def _per_instance(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Each instance's mean (total/count) over the instances with count > 0."""
    keep = count > 0
    return total[keep] / count[keep]


def fit(meas: GeometryMeasurements, d: Derivation, p: GeometryParams, judge: Judge) -> list[Fit]:
    n = p.n
    main = meas.main
    tied = (*main, "dense", "floor")
    large = np.concatenate([meas.runs[k].in_large > 0 for k in tied])
    pairs = int(_cat(meas, main, "pairs").sum())
    opp = int(_cat(meas, main, "opposite").sum())
    norm = _cat(meas, main, "norm")
    cap_s = fitting.mean_ci(
        _per_instance(_cat(meas, main, "cap_single"), _cat(meas, main, "singles")),
        confidence=judge.level,
    )
    cap_p = fitting.mean_ci(
        _per_instance(_cat(meas, main, "cap_pair"), _cat(meas, main, "pairs")),
        confidence=judge.level,
    )
    untied = meas.runs["untied"]
    floor = meas.runs["floor"]
    return [
        judge.fit("pairs", predicted=1.0, estimate=_pair_ratio(meas, main, n, list(p.m), judge)),
        judge.fit(
            "pairs-dense",
            predicted=1.0,
            estimate=_pair_ratio(meas, ("dense",), n, [p.dense_m], judge),
        ),
        judge.fit("large", predicted=th.p_large_block(n, p.m[0]), estimate=_fraction(large, judge)),
        judge.fit(
            "cross",
            predicted=1.0,
            estimate=_fraction(_cross_ok(meas, p, "cross"), judge),
        ),
        judge.fit(
            "opposite",
            predicted=1.0,
            estimate=fitting.proportion_ci(opp, max(pairs, 1), confidence=judge.level),
        ),
        judge.fit(
            "norm",
            predicted=d.values["w*"],
            estimate=fitting.mean_ci(norm[np.isfinite(norm)], confidence=judge.level),
        ),
        judge.fit("capacity-single", predicted=1.0, estimate=cap_s),
        judge.fit("capacity-pair", predicted=1.0, estimate=cap_p),
        judge.fit(
            "untied",
            predicted=1.0,
            estimate=fitting.ratio_ci(
                [untied.in_pairs],
                [n * d.values["untied pair fraction"]],
                rng=judge.rng,
                confidence=judge.level,
            ),
        ),
        judge.fit(
            "gelu",
            predicted=d.values["gelu pair fraction"],
            estimate=fitting.mean_ci(meas.runs["gelu"].in_pairs / n, confidence=judge.level),
        ),
        judge.fit(
            "linear",
            predicted=d.values["linear pair fraction"],
            estimate=fitting.mean_ci(meas.runs["linear"].in_pairs / n, confidence=judge.level),
        ),
        judge.fit(
            "floor",
            predicted=d.values["floor pair fraction (n = 2m)"],
            estimate=fitting.mean_ci(floor.in_pairs / p.necessary_n, confidence=judge.level),
        ),
    ]


# -- controls -------------------------------------------------------------------------------------


def no_sign_rule(fits: list[Fit], meas: Any, p: GeometryParams, judge: Judge) -> list[Fit]:
    """Mutant: every shared neuron is kept whatever the signs (occupancy without the sign rule):
    the pooled pair level is Σ no-sign/Σ static (≈ 2) and a block of ≥ 3 is common."""
    ratio = sum(th.no_sign_fraction(p.n, m) for m in p.m) / sum(
        th.pair_fraction(p.n, m) for m in p.m
    )
    crowded = float(np.mean([th.p_crowded_no_sign(p.n, m) for m in p.m]))
    out = []
    for f in fits:
        if f.key == "pairs":
            out.append(f.mutant(predicted=ratio))
        elif f.key == "large":
            out.append(f.mutant(predicted=crowded))
    return out


def random_blocks(
    fits: list[Fit], meas: GeometryMeasurements, p: GeometryParams, judge: Judge
) -> list[Fit]:
    """Mutant: the blocks are any partition of the features with the measured sizes (labels
    permuted at random): cross-block orthogonality measured on those blocks."""
    est = _fraction(_cross_ok(meas, p, "cross_random"), judge)
    return [f.mutant(fitted=est.value, ci=est.ci) for f in fits if f.key == "cross"]


def at_init(
    fits: list[Fit], meas: GeometryMeasurements, p: GeometryParams, judge: Judge
) -> list[Fit]:
    """Null of orthogonality: the blocks are orthogonal from the start (measured on W_init with
    the final blocks)."""
    est = _fraction(_cross_ok(meas, p, "cross_init"), judge)
    return [f.mutant(fitted=est.value, ci=est.ci) for f in fits if f.key == "cross"]


def gelu_pairs(fits: list[Fit], meas: Any, p: GeometryParams, judge: Judge) -> list[Fit]:
    """Mutant: a GeLU output keeps pairs as the ReLU does (capacity 2)."""
    return [f.mutant(predicted=th.pair_fraction(p.n, p.arch_m)) for f in fits if f.key == "gelu"]


CONTROLS = (
    Control(
        "no-sign-rule",
        "every shared neuron is kept whatever the signs: ≈ 2× the pairs, blocks of ≥ 3 common",
        refit=no_sign_rule,
    ),
    Control(
        "random-blocks",
        "blocks drawn at random (the measured sizes, features permuted) are mutually orthogonal",
        refit=random_blocks,
    ),
    Control(
        "at-init",
        "the blocks are orthogonal already at init (no structure from training)",
        refit=at_init,
    ),
    Control(
        "full-capacity",
        "every feature has capacity 1, so a block of 2 sums to 2",
        predict={"capacity-pair": 2.0},
    ),
    Control(
        "same-sign",
        "signs play no role: half the blocks of 2 share a sign",
        predict={"opposite": 0.5},
    ),
    Control(
        "gelu-pairs",
        "GeLU keeps the tied ReLU's pairs (capacity 2)",
        refit=gelu_pairs,
    ),
)


# -- deviations -----------------------------------------------------------------------------------

_DENSE = Deviation(
    "fail",
    (1.25, 1.60),
    "at m = n gradient descent puts ≈ 1.4× the static model's features in blocks of 2 (seed 0: "
    "1.428, 99.6 % interval [1.401, 1.453]; over seeds 0–19 in "
    "benchmarks/false_failure.jsonl): a feature repelled from a same-sign "
    "collision moves to another neuron and can pair there, which the static model — surplus "
    "same-sign features settle alone — leaves out; it is second order in n/m (≈ +10 % at m = 2n, "
    "4n, inside the band). The enforced-repulsion model of theory.origins, which relocates them, "
    f"gives {2 * origins.repulsion_count(16, 16)[0] / 16 / th.pair_fraction(16, 16):.2f}× at "
    "n = m = 16",
)


def false_failure(p: GeometryParams, judge: Judge) -> str:
    return (
        f"{judge.family_sentence()}. {p.train.instances} tied models per m on m = {_grid(p)} "
        f"(n = {p.n}), {p.train.instances} at m = {p.dense_m}, {p.arch_instances} per other "
        f"architecture at m = {p.arch_m}, {p.necessary_instances} at n = {p.necessary_n}, "
        f"m = {p.necessary_m}."
    )


STANDARD = GeometryParams()


@property_strategy
def _strategy(draw: Any, st: Any) -> dict[str, Any]:
    """The standard settings (gradient descent at lr = λ = 0.1, 800 steps; m = 2n, 4n) with a
    drawn eighth to a quarter of the standard's models: no fit expected to pass may fail there
    (at 400 steps the cross-block residues have not yet settled below ε: found by this test)."""
    k = draw(st.sampled_from([4, 8]), label="models divisor")
    return {
        "train.instances": STANDARD.train.instances // k,
        "arch_instances": STANDARD.arch_instances // k,
        "necessary_instances": STANDARD.necessary_instances // k,
        "necessary_steps": STANDARD.necessary_steps,
    }


SMOKE = GeometryParams(
    train=STANDARD.train.replace(instances=64),  # the standard's 800 steps: at 400 residues remain
    arch_instances=32,
    necessary_instances=32,
    necessary_steps=800,
)
PAPER = GeometryParams(
    train=STANDARD.train.replace(instances=8192), arch_instances=2048, necessary_instances=2048
)

GEOMETRY = Claim(
    id="geometry",
    title="Block-semi-orthogonal structure of trained W, with the static model's block sizes",
    statement=(
        "Trained by gradient descent, the tied ReLU autoencoder's features fall into mutually "
        "orthogonal blocks (features sharing a neuron) of size 1 and 2 — never 3 — in the "
        "proportions of the static model with the sign rule, each block's capacities summing to "
        "its one neuron; GeLU and linear outputs keep only blocks of 1, and at n = 2m every "
        "feature is in a pair."
    ),
    source=(
        "Scherlis et al. 2210.01892 (block-semi-orthogonal structure, capacity); Lecomte et al. "
        "2312.03096 static model; issue 27"
    ),
    params={"smoke": SMOKE, "standard": STANDARD, "paper": PAPER},
    derive=derive,
    simulate=simulate,
    fits=specs,
    fit=fit,
    controls=CONTROLS,
    deviations={"pairs-dense": _DENSE},
    false_failure=false_failure,
    plot=figures.Figure("geometry"),
    strategy=_strategy,
)

CLAIM = GEOMETRY
