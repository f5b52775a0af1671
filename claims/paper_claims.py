"""The questions the report answers first: the paper's four claims and the extensions, each
answered by fits of the catalogue's claims.

This module holds only static declarations: for each question, its rows (a regime: an optimizer,
say), and for each row which fits of which claim form the question's **main statement** and which
fit is the **key number** that answers it. The answers themselves — their verdicts, numbers and
findings — are generated from the results by :func:`answers`, never written by hand:

* the row's verdict is that of its main statement alone: **departs** when a main fit fails,
  **inconclusive** when one straddles a band's edge, **holds with a resolved offset** when every
  main fit passes but one's interval excludes its prediction (an offset that ``theory/`` does not
  predict: a predicted one is the prediction), **holds** otherwise;
* **recorded findings** are a column of their own, not part of the verdict: every fit of the
  row's scope with a recorded :class:`~claims.Deviation` (its verdict and number), every resolved
  offset, and any fit off its expectation;
* a row appears once for each scale its claims ran at: given the standard report's results and a
  paper-scale report's (:func:`runs_from_json` reads a ``claims.json``), Claim 3 under AdamW has a
  standard row and a paper-scale row.

Fits are named ``"claim-id:fit-key"``; a row's ``scope`` may use shell wildcards in the fit key
(``"init-diagonal:*-sgd"``). ``tests/test_paper_claims.py`` checks that every named fit exists in
its claim at every scale, and that every fit of a listed claim is in exactly one row's scope.

    python -m claims.paper_claims reports/claims.json [reports/paper/claims.json]

prints the answered table (Markdown) of saved reports.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._core import SCALES

__all__ = [
    "QUESTIONS",
    "Answer",
    "FitRecord",
    "Question",
    "Row",
    "Run",
    "answers",
    "main",
    "run_of",
    "runs_from_json",
]


def _split(ref: str) -> tuple[str, str]:
    claim, sep, key = ref.partition(":")
    if not sep or not claim or not key:
        raise ValueError(f"fit reference {ref!r} must read 'claim-id:fit-key'")
    return claim, key


@dataclass(frozen=True)
class Row:
    """One row of the answered table: a regime of a question, and the fits that answer it."""

    # the regime in words; "{path}" fields (a dotted params path, e.g. "{train.model.n}") are
    # filled from the first main claim's params at the scale it ran, so its numbers are the run's
    regime: str
    # "claim:fit": the fits whose verdicts form the main statement (a fit-key pattern stands for
    # every fit it matches: a claim whose grid differs between scales has different fits)
    main: tuple[str, ...]
    key: tuple[str, ...]  # "claim:fit": the number(s) that answer the question
    # "claim:pattern": the fits whose findings this row lists (default: every fit of its claims)
    scope: tuple[str, ...] = ()
    label: str = ""  # the row's regime in two words ("gradient descent"), beside the question's

    def __post_init__(self) -> None:
        if not self.main or not self.key:
            raise ValueError(f"row {self.regime!r} needs a main statement and a key number")
        for ref in (*self.main, *self.key, *self.scope):
            _split(ref)

    @property
    def claims(self) -> tuple[str, ...]:
        """The claims this row reads, main statement first, in order and without repeats."""
        ids = [_split(r)[0] for r in (*self.main, *self.key, *self.scope)]
        return tuple(dict.fromkeys(ids))

    @property
    def patterns(self) -> tuple[tuple[str, str], ...]:
        """(claim id, fit-key pattern) of the fits whose findings this row lists."""
        if self.scope:
            return tuple(_split(r) for r in self.scope)
        return tuple((c, "*") for c in self.claims)

    def owns(self, claim_id: str, key: str) -> bool:
        return any(c == claim_id and fnmatch.fnmatchcase(key, p) for c, p in self.patterns)


@dataclass(frozen=True)
class Question:
    """One of the paper's claims (or an extension) and the rows that answer it."""

    label: str  # "Claim 1" or "Extension"
    text: str  # the claim, in a few words
    rows: tuple[Row, ...]

    @property
    def claims(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for r in self.rows for c in r.claims))


QUESTIONS: tuple[Question, ...] = (
    Question(
        "Claim 1",
        "with L1, ‖W_i(t)‖₁ = Θ(1/(1/√m + λt)): a winner-takes-all threshold dynamic",
        (
            Row(
                "the reduced flow at m = {flow.m}, λ = {flow.l1}; the SGD-trained autoencoder at "
                "n = {train.model.n}, m = {train.model.m}",
                main=(
                    "l1-decay:l1-slope",
                    "l1-decay:support-slope",
                    "l1-decay:end-time",
                    "l1-decay:sgd-slope",
                ),
                key=("l1-decay:l1-slope", "l1-decay:sgd-slope"),
            ),
        ),
    ),
    Question(
        "Claim 2",
        "hidden noise with negative excess kurtosis induces sparsity; Gaussian does not",
        (
            Row(
                "SGD, n = {train.model.n}, m = {train.model.m}, σ = {sigma}: Bernoulli, "
                "uniform, Gaussian and Laplace noise",
                # κ < 0 sparsifies (the change and the paper's final level), κ = 0 does not;
                # Laplace (κ > 0 densifies), the slope in κ and the timing are ours
                main=(
                    "kurtosis-sparsity:change-bernoulli",
                    "kurtosis-sparsity:change-uniform",
                    "kurtosis-sparsity:change-gaussian",
                    "kurtosis-sparsity:final-bernoulli",
                    "kurtosis-sparsity:final-gaussian",
                ),
                # the Bernoulli-vs-Gaussian comparison: how far each moves the rows towards one-hot
                key=("kurtosis-sparsity:change-bernoulli", "kurtosis-sparsity:change-gaussian"),
            ),
        ),
    ),
    Question(
        "Claim 3",
        "the number of polysemantic neurons is ≈ n²/4m",
        (
            # the main statement is the count against the exact static model (n(n−1)/4m to all
            # orders): the leading order's finite-size offsets are what theory/ predicts there
            Row(
                "gradient descent, n = {train.model.n}, m = {m}",
                main=("collision-count:ratio-exact", "collision-count:slope-exact"),
                key=("collision-count:ratio-exact", "collision-count:slope-exact"),
                label="gradient descent",
            ),
            Row(
                "AdamW (lr {train.optimiser.lr}, weight decay {train.optimiser.weight_decay}, "
                "λ = {train.optimiser.l1}), n = {train.model.n}, m = {m}",
                main=("collision-count-adamw:ratio-exact", "collision-count-adamw:slope-exact"),
                key=("collision-count-adamw:ratio-exact", "collision-count-adamw:slope-exact"),
                label="the paper's AdamW",
            ),
            # across n (issue 26): the count against the displacement (hard-core) model, per n
            # and pooled, and whether it had settled
            Row(
                "gradient descent, n = {n} × m/n = {ratios}",
                main=(
                    "collision-scaling:displacement-sgd",
                    "collision-scaling:level-sgd-n*",
                    "collision-scaling:slope-sgd-n*",
                ),
                key=("collision-scaling:displacement-sgd", "collision-scaling:trend-level-sgd"),
                scope=("collision-scaling:*-sgd*",),
                label="gradient descent, across n",
            ),
            Row(
                "AdamW (lr {adamw.optimiser.lr}, weight decay {adamw.optimiser.weight_decay}, "
                "λ = {adamw.optimiser.l1}, {adamw.optimiser.steps} steps), n = {n} × m/n = "
                "{ratios}",
                main=(
                    "collision-scaling:displacement-adamw",
                    "collision-scaling:level-adamw-n*",
                    "collision-scaling:slope-adamw-n*",
                ),
                key=("collision-scaling:displacement-adamw", "collision-scaling:argmax-adamw"),
                scope=("collision-scaling:*-adamw*",),
                label="the paper's AdamW, across n",
            ),
        ),
    ),
    Question(
        "Claim 4",
        "W_init W_finalᵀ is diagonally dominant: the initialisation decides who wins",
        (
            # the paper's statement (diagonal dominance, the winner keeps its sign) is the main
            # statement under both optimizers; whether the initial argmax wins is the key number
            Row(
                "gradient descent, n = {sgd.model.n}, m = {m}",
                main=("init-diagonal:dominance-sgd", "init-diagonal:sign-sgd"),
                key=("init-diagonal:argmax-sgd",),
                scope=(
                    "init-diagonal:*-sgd",
                    "init-diagonal:miss-law-*",
                    "init-diagonal:argmax-at-boundary",
                    "init-diagonal:isolated-diagonal",
                ),
                label="gradient descent",
            ),
            Row(
                "AdamW (lr {adamw.optimiser.lr}, weight decay {adamw.optimiser.weight_decay}, "
                "λ = {adamw.optimiser.l1}), n = {adamw.model.n}, m = {adamw_m}",
                main=("init-diagonal:dominance-adamw", "init-diagonal:sign-adamw"),
                key=("init-diagonal:argmax-adamw",),
                scope=("init-diagonal:*-adamw", "init-diagonal:sgd-over-adamw"),
                label="the paper's AdamW",
            ),
        ),
    ),
    Question(
        "Extension",
        "Claim 4 by intervention: does the initialisation cause the collisions (the blog's "
        "'nudge the learning dynamics')?",
        (
            Row(
                "gradient descent at n = {sgd.model.n}, m = {sgd.model.m}, and the paper's AdamW "
                "at m = {adamw.model.m}: a collision-free init, planted pairs, resampling; "
                "m = n², 2n²",
                main=(
                    "interventions:free",
                    "interventions:opposite",
                    "interventions:equal",
                    "interventions:resample",
                    "interventions:adamw-free",
                    "interventions:adamw-opposite",
                    "interventions:adamw-equal",
                    "interventions:adamw-resample",
                    "interventions:level-n2",
                ),
                key=("interventions:free", "interventions:adamw-free"),
            ),
        ),
    ),
    Question(
        "Extension",
        "Claim 2's mechanism: Bernoulli noise sparsifies at first order, through the output "
        "ReLU's kink, not through the paper's E[(W_i·ξ)⁴] term",
        (
            Row(
                "the Bernoulli run's variants at equal lr·t: n = {train.model.n}, "
                "m = {train.model.m}, σ = {train.noise.sigma}",
                main=(
                    "kurtosis-mechanism:reference",
                    "kurtosis-mechanism:lr-half",
                    "kurtosis-mechanism:draws",
                    "kurtosis-mechanism:per-sample",
                    "kurtosis-mechanism:no-relu",
                ),
                key=("kurtosis-mechanism:reference", "kurtosis-mechanism:no-relu"),
            ),
        ),
    ),
    Question(
        "Extension",
        "features that co-occur (the LessWrong question)",
        (
            Row(
                "gradient descent, Bernoulli(p) inputs, n = {train.model.n}, m = {train.model.m}, "
                "p = {p}",
                main=(
                    "cooccurrence:recovery",
                    "cooccurrence:non-increasing",
                    "cooccurrence:falls",
                    "cooccurrence:p-half",
                ),
                key=("cooccurrence:p-half",),
            ),
        ),
    ),
    Question(
        "Extension",
        "capacity: ΣC_i ≤ d, equality for block-semi-orthogonal W (Scherlis et al.)",
        (
            Row(
                "random W at d = {d}, constructed W, and autoencoders trained at "
                "n = {train.model.n}, m = {train.model.m}",
                main=("capacity-bound:bound", "capacity-bound:tight", "capacity-bound:perturbed"),
                key=("capacity-bound:bound", "capacity-bound:tight"),
            ),
        ),
    ),
    Question(
        "Extension",
        "block-semi-orthogonal structure of trained W (Scherlis et al.)",
        (
            Row(
                "gradient descent at n = {train.model.n}, m = {m}; m = {dense_m}; untied, GeLU "
                "and linear outputs at m = {arch_m}; n = {necessary_n} at m = {necessary_m}",
                main=(
                    "geometry:pairs",
                    "geometry:large",
                    "geometry:cross",
                    "geometry:opposite",
                    "geometry:capacity-single",
                    "geometry:capacity-pair",
                ),
                key=("geometry:pairs", "geometry:cross"),
            ),
        ),
    ),
    Question(
        "Extension",
        "capacity allocation by kurtosis and importance (Scherlis et al.)",
        (
            Row(
                "the quadratic model at n = {n}, K = {K}: solver, gradient descent, two-feature "
                "SGD at K = {phase_K}",
                main=(
                    "capacity-allocation:trained",
                    "capacity-allocation:realisable",
                    "capacity-allocation:concave",
                    "capacity-allocation:phase-K*",  # the K grid differs between scales
                ),
                key=("capacity-allocation:trained", "capacity-allocation:phase-K9"),
            ),
        ),
    ),
    Question(
        "Extension",
        "interference: the pair force −Σ ReLU(W_i·W_j)W_j, its strength (n − 1)/m at init, "
        "decorrelation at rate ≈ 2",
        (
            Row(
                "random inits at n = {n}, m = {m}; a pair integrated with the others frozen "
                "(n = {pair_n}, m = {pair_m})",
                main=(
                    "interference:strength-level",
                    "interference:strength-m-exponent",
                    "interference:strength-n-exponent",
                    "interference:decorrelation-rate",
                ),
                key=("interference:strength-level", "interference:decorrelation-rate"),
            ),
        ),
    ),
    Question(
        "Extension",
        "without L1 (the LessWrong question): zero loss at angles ≥ 90°, no privileged neuron "
        "basis; L1 privileges it at λ* ∝ 1/steps",
        (
            Row(
                "gradient descent, n = {n}, m = {m}, λ = 0, and a sweep over λ = {lambdas}",
                main=(
                    "no-l1:final-loss",
                    "no-l1:max-cosine",
                    "no-l1:isotropy",
                    "no-l1:rotation",
                    "no-l1:lambda-exponent",
                ),
                key=("no-l1:isotropy", "no-l1:lambda-exponent"),
            ),
        ),
    ),
    Question(
        "Extension",
        "the ReLU noise term's Edgeworth form −(cφ(c/s)/12s³)‖W_j‖₄⁴κσ⁴, and whether trained "
        "margins c = W_i·W_j stay negative (catalogue P1-N-5)",
        (
            Row(
                "exact Bernoulli enumeration, random w with k = {ks}; SGD at n = {train.model.n}, "
                "m = {train.model.m}, Bernoulli σ = {train.noise.sigma}, no L1",
                # the first-order form where it applies (dense w) and the margins; the sparse
                # end, where no first-order form can hold, is a recorded finding
                main=(
                    "edgeworth:sign",
                    "edgeworth:exponent",
                    "edgeworth:dense-ratio",
                    "edgeworth:negative-fraction",
                    "edgeworth:largest-margin",
                ),
                key=("edgeworth:dense-ratio", "edgeworth:largest-margin"),
            ),
        ),
    ),
    Question(
        "Extension",
        "origins: where incidental polysemanticity (n(n−1)/4m) gives way to necessary "
        "polysemanticity (the floor n − m)",
        (
            Row(
                "gradient descent, m = {train.model.m}, n = {n}",
                # the count follows n(n−1)/4m where n ≪ m, the enforced-repulsion model (which
                # holds the floor n − m and its finite-size excess) up to 2m, and saturates beyond
                main=("origins:incidental", "origins:repulsion", "origins:saturation"),
                key=("origins:crossover",),
            ),
        ),
    ),
    Question(
        "Extension",
        "noise-induced sparsity and incidental polysemanticity (reviewer 2: the count under noise)",
        (
            Row(
                "SGD, no L1, Bernoulli σ = {train.noise.sigma}, n = {train.model.n}, m = {m}; "
                "L1 from the same inits",
                main=("noise-count:ratio", "noise-count:slope", "noise-count:vs-l1"),
                key=("noise-count:ratio", "noise-count:vs-l1"),
            ),
        ),
    ),
    Question(
        "Extension",
        "how far the count law carries: untied weights, GeLU, no output nonlinearity (P2-ARCH)",
        (
            Row(
                "gradient descent, n = {train.model.n}, m = {m}: tied ReLU, untied, GeLU, no "
                "output nonlinearity",
                # the law for the tied ReLU, the count of untied models over the features they
                # learn, and init → winner for every architecture; where the count breaks
                # (GeLU, linear) is recorded
                main=(
                    "architectures:level-tied-relu",
                    "architectures:exponent-tied-relu",
                    "architectures:argmax-tied-relu",
                    "architectures:dominance-tied-relu",
                    "architectures:level-learned-untied",
                    "architectures:argmax-untied",
                    "architectures:dominance-untied",
                    "architectures:argmax-gelu",
                    "architectures:dominance-gelu",
                    "architectures:argmax-linear",
                    "architectures:dominance-linear",
                ),
                key=("architectures:level-tied-relu", "architectures:level-learned-untied"),
            ),
        ),
    ),
)


# -- what answers() reads of a result ----------------------------------------------------------


@dataclass(frozen=True)
class FitRecord:
    """What the answered table reads of one fit (of a :class:`~claims.Result` or a claims.json)."""

    key: str
    quantity: str
    relation: str
    predicted: float
    fitted: float
    ci: tuple[float, float]
    verdict: str
    resolved_offset: bool
    recorded: bool  # a deviation is recorded for this fit at this scale
    as_expected: bool  # it reached its expected verdict (and its recorded range)

    @property
    def offset(self) -> tuple[float, float, float]:
        p = self.predicted
        return (self.fitted - p, self.ci[0] - p, self.ci[1] - p)


@dataclass(frozen=True)
class Run:
    """What the answered table reads of one claim's run."""

    claim_id: str
    scale: str
    seed: int
    status: str
    error: str | None
    params: Mapping[str, Any]
    fits: tuple[FitRecord, ...]

    def fit(self, key: str) -> FitRecord | None:
        return next((f for f in self.fits if f.key == key), None)


def run_of(result: Any) -> Run:
    """A :class:`~claims.Result` (or a :class:`Run`) as the answered table reads it."""
    if isinstance(result, Run):
        return result
    fits = tuple(
        FitRecord(
            key=f.key,
            quantity=f.quantity,
            relation=f.relation,
            predicted=f.predicted,
            fitted=f.fitted,
            ci=(f.ci[0], f.ci[1]),
            verdict=f.verdict,
            resolved_offset=f.resolved_offset,
            recorded=f.key in result.deviations,
            as_expected=result.as_expected(f),
        )
        for f in result.fits
    )
    return Run(
        result.claim_id,
        result.scale,
        result.seed,
        result.status,
        result.error,
        result.params,
        fits,
    )


def _bound(x: float | None, default: float) -> float:
    return default if x is None else float(x)


def _fit_from_json(f: Mapping[str, Any]) -> FitRecord:
    lo, hi = _bound(f["ci"][0], -math.inf), _bound(f["ci"][1], math.inf)
    predicted, fitted, verdict = float(f["predicted"]), float(f["fitted"]), f["verdict"]
    offset = f.get("resolved_offset")
    if offset is None:  # an older claims.json: the same rule as Fit.resolved_offset
        offset = f["relation"] == "==" and verdict == "pass" and lo < hi
        offset = offset and not lo <= predicted <= hi
    rng = f.get("range")
    recorded = f.get("reason") is not None or rng is not None
    within = rng is None or float(rng[0]) <= fitted <= float(rng[1])
    return FitRecord(
        key=f["key"],
        quantity=f["quantity"],
        relation=f["relation"],
        predicted=predicted,
        fitted=fitted,
        ci=(lo, hi),
        verdict=verdict,
        resolved_offset=bool(offset),
        recorded=recorded,
        # the document's "expected" is the verdict the fit was expected to reach (pass, or its
        # recorded deviation's)
        as_expected=verdict == f.get("expected", "pass") and within,
    )


def runs_from_json(doc: Mapping[str, Any] | str | Path) -> list[Run]:
    """The runs of a claims.json (a path or the parsed document), as :func:`answers` reads them:
    a saved report's answers can be regenerated, and a paper-scale report's added to another's."""
    if not isinstance(doc, Mapping):
        doc = json.loads(Path(doc).read_text("utf-8"))
    return [
        Run(
            c["id"],
            doc["scale"],
            int(doc["seed"]),
            c["status"],
            c.get("error"),
            c.get("params", {}),
            tuple(_fit_from_json(f) for f in c["fits"]),
        )
        for c in doc["claims"]
    ]


# -- the answers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One row of the answered table, generated from the results."""

    question: Question
    row: Row
    scale: str
    first: bool  # the first row of its question in the table
    claims: tuple[str, ...]  # the claims it read (that ran at this scale)
    regime: str  # the row's regime, its "{path}" fields filled from the run's params
    # "holds", "holds with a resolved offset", "departs", "inconclusive", "not run", "error"
    verdict: str
    main: tuple[tuple[str, str], ...]  # (main fit, its outcome in a word or three)
    key: tuple[str, ...]  # the key numbers: quantity, fitted [CI] vs predicted
    findings: tuple[str, ...]  # recorded deviations, resolved offsets, fits off expectation

    @property
    def label(self) -> str:
        q = self.question.label
        return f"{q} ({self.row.label})" if self.row.label else q


# from worst to best: a row's verdict is the worst of its main fits' outcomes
_ORDER = ("error", "departs", "inconclusive", "not run", "holds with a resolved offset", "holds")
_OUTCOME = {  # a main fit's outcome -> the verdict it gives its row
    "fail": "departs",
    "inconclusive": "inconclusive",
    "pass, resolved offset": "holds with a resolved offset",
    "pass": "holds",
    "not run": "not run",
}


def _num(x: float) -> str:
    """4 significant digits (as the report's other numbers), −∞/∞ for unbounded ends."""
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.4g}".replace("-", "−")


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _interval(lo: float, hi: float) -> str:
    return f"[{_num(lo)}, {_num(hi)}]"


def _fit_text(f: FitRecord) -> str:
    rel = "" if f.relation == "==" else f"{f.relation} "
    return f"{_num(f.fitted)} {_interval(*f.ci)} vs {rel}{_num(f.predicted)}"


def _finding(f: FitRecord) -> str | None:
    """The fit as a recorded finding, or None when it is none."""
    d, dlo, dhi = f.offset
    offset = f"resolved offset {_num(d)} {_interval(dlo, dhi)}"
    if f.recorded:
        text = f"{f.key} {_fit_text(f)}: {f.verdict}"
        text += f", {offset}" if f.resolved_offset else ""
        return text + (" (recorded deviation)" if f.as_expected else " (NOT as recorded)")
    if not f.as_expected:
        return f"{f.key} {_fit_text(f)}: {f.verdict} (NOT as expected)"
    if f.resolved_offset:
        return f"{f.key} {_fit_text(f)}: {offset}"
    return None


def _value(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, int):
        k = len(str(v)) - 1
        power = v >= 10_000 and v == 10**k  # 1000000 -> 10⁶
        return "10" + str(k).translate(_SUPERSCRIPT) if power else str(v)
    return _num(v)


def _values(v: Any) -> str:
    """A params value in words: a number, or a list as "a and b" / "a…b" (ascending) / "a, b, c"."""
    if not isinstance(v, (list, tuple)):
        return _value(v)
    items = [_value(x) for x in v]
    if len(items) <= 2:
        return " and ".join(items) or "none"
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
    if numeric and list(v) == sorted(v):
        return f"{items[0]}…{items[-1]}"
    return ", ".join(items)


_FIELD = re.compile(r"\{([A-Za-z_][\w.]*)\}")


def _lookup(params: Mapping[str, Any], path: str) -> Any:
    value: Any = params
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(path)
        value = value[part]
    return value


def regime_text(regime: str, params: Mapping[str, Any]) -> str:
    """``regime`` with each ``{path}`` replaced by that params value (lists as a range); a path
    the params lack stays as ``{path?}`` (tests/test_paper_claims.py keeps there being none)."""

    def fill(m: re.Match[str]) -> str:
        try:
            return _values(_lookup(params, m.group(1)))
        except KeyError:
            return "{" + m.group(1) + "?}"

    return _FIELD.sub(fill, regime)


def _answer(
    q: Question,
    row: Row,
    scale: str,
    runs: Mapping[tuple[str, str], Run],
    *,
    first: bool,
    main_scale: str,
) -> Answer:
    ran = tuple(c for c in row.claims if (c, scale) in runs)
    outcomes: list[tuple[str, str]] = []
    for ref in row.main:
        cid, pattern = _split(ref)
        r = runs.get((cid, scale))
        if r is None or r.status == "error":
            outcomes.append((ref, "not run" if r is None else "error"))
            continue
        matched = [f for f in r.fits if fnmatch.fnmatchcase(f.key, pattern)]
        if not matched:
            outcomes.append((ref, "error: no such fit"))
        for f in matched:
            word = "pass, resolved offset" if f.resolved_offset else f.verdict
            outcomes.append((f"{cid}:{f.key}", word))
    verdict = min((_OUTCOME.get(w, "error") for _, w in outcomes), key=_ORDER.index)

    keys = []
    for ref in row.key:
        cid, key = _split(ref)
        r = runs.get((cid, scale))
        f = r.fit(key) if r is not None else None
        keys.append(f"{f.quantity}: {_fit_text(f)}" if f is not None else f"{ref}: —")

    findings = []
    for cid in row.claims:
        r = runs.get((cid, scale))
        if r is None:
            continue
        if r.status == "error":
            findings.append(f"{cid}: error: {r.error}")
        for f in r.fits:
            text = _finding(f) if row.owns(cid, f.key) else None
            if text is not None:
                findings.append(text if cid == ran[0] else f"{cid}:{text}")

    main_claim = _split(row.main[0])[0]
    first_run = runs.get((main_claim, scale)) or runs[(ran[0], scale)]
    regime = regime_text(row.regime, first_run.params)
    if scale != main_scale:
        regime += f" ({scale} scale, seed {first_run.seed})"
    return Answer(
        question=q,
        row=row,
        scale=scale,
        first=first,
        claims=ran,
        regime=regime,
        verdict=verdict,
        main=tuple(outcomes),
        key=tuple(keys),
        findings=tuple(findings),
    )


def _scale_order(scale: str, main_scale: str) -> tuple[int, int]:
    return (scale != main_scale, SCALES.index(scale) if scale in SCALES else len(SCALES))


def answers(
    results: Sequence[Any],
    *,
    scale: str | None = None,
    questions: Sequence[Question] | None = None,
) -> list[Answer]:
    """One answer per row of ``questions`` (default :data:`QUESTIONS`) and scale its claims ran
    at, generated from ``results`` (:class:`~claims.Result` or :class:`Run`, of one or several
    scales: a row is repeated for each, ``scale`` — default the first result's — first)."""
    questions = QUESTIONS if questions is None else questions
    runs = {(r.claim_id, r.scale): r for r in map(run_of, results)}
    if not runs:
        return []
    main_scale = scale or next(iter(runs))[1]
    scales = sorted({s for _, s in runs}, key=lambda s: _scale_order(s, main_scale))
    out = []
    for q in questions:
        first = True
        for row in q.rows:
            for s in scales:
                if not any((_split(ref)[0], s) in runs for ref in row.main):
                    continue
                out.append(_answer(q, row, s, runs, first=first, main_scale=main_scale))
                first = False
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the answered table (Markdown) of one or more saved claims.json files; the first
    file's scale leads."""
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths or any(p.startswith("-") for p in paths):
        print("usage: python -m claims.paper_claims CLAIMS_JSON [CLAIMS_JSON ...]", file=sys.stderr)
        return 2
    from .report import answers_markdown

    docs = [json.loads(Path(p).read_text("utf-8")) for p in paths]
    runs = [r for d in docs for r in runs_from_json(d)]
    print(answers_markdown(runs, scale=docs[0]["scale"]), end="")
    return 0


if __name__ == "__main__":  # through the package's module, so Run is its one class
    from claims.paper_claims import main as _main

    raise SystemExit(_main())
