"""The questions the report answers first: the paper's four claims and the extensions, each
answered by one or more claims of the catalogue.

This module holds only which claim answers which question and in which regime (static text); the
answer itself — holds, holds with a resolved offset, departs — and its numbers are generated from
the results by :func:`answers`, never written by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["QUESTIONS", "Answer", "Question", "answers"]


@dataclass(frozen=True)
class Question:
    """One of the paper's claims (or an extension) and the claims that test it."""

    label: str  # "Claim 1" or "Extension"
    text: str  # the claim, in a few words
    claims: tuple[tuple[str, str], ...]  # (claim id, its regime in words)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "Claim 1",
        "with L1, ‖W_i(t)‖₁ = Θ(1/(1/√m + λt)): a winner-takes-all threshold dynamic",
        (("l1-decay", "reduced flow at m = 10⁶ and the SGD-trained autoencoder"),),
    ),
    Question(
        "Claim 2",
        "hidden noise with negative excess kurtosis induces sparsity; Gaussian does not",
        (
            ("kurtosis-sparsity", "n = 8, m = 16, SGD, four noise laws"),
            ("kurtosis-mechanism", "the Bernoulli run's variants at equal lr·t"),
        ),
    ),
    Question(
        "Claim 3",
        "the number of polysemantic neurons is ≈ n²/4m",
        (
            ("collision-count", "gradient descent, n = 16, m = 8n…64n"),
            ("collision-count-adamw", "the paper's AdamW, n = 16, m = 2n…16n"),
        ),
    ),
    Question(
        "Claim 4",
        "W_init W_finalᵀ is diagonally dominant: the initialisation decides who wins",
        (("init-diagonal", "gradient descent and the paper's AdamW, n = 16"),),
    ),
    Question(
        "Extension",
        "features that co-occur (the LessWrong question)",
        (("cooccurrence", "gradient descent, Bernoulli(p) inputs"),),
    ),
    Question(
        "Extension",
        "capacity: ΣC_i ≤ d, equality for block-semi-orthogonal W (Scherlis et al.)",
        (("capacity-bound", "random, constructed and trained W"),),
    ),
    Question(
        "Extension",
        "capacity allocation by kurtosis and importance (Scherlis et al.)",
        (("capacity-allocation", "the quadratic model: solver, GD, two-feature SGD"),),
    ),
    Question(
        "Extension",
        "interference: the pair force −Σ ReLU(W_i·W_j)W_j, its strength (n − 1)/m at init, "
        "decorrelation at rate ≈ 2",
        (("interference", "random inits; a pair integrated with the others frozen"),),
    ),
    Question(
        "Extension",
        "without L1 (the LessWrong question): zero loss at angles ≥ 90°, no privileged neuron "
        "basis; L1 privileges it at λ* ∝ 1/steps",
        (("no-l1", "gradient descent, n = 16, m = 64, λ = 0 and a λ sweep at two lengths"),),
    ),
    Question(
        "Extension",
        "the ReLU noise term's Edgeworth form −(cφ(c/s)/12s³)‖W_j‖₄⁴κσ⁴, and whether trained "
        "margins c = W_i·W_j stay negative (catalogue P1-N-5)",
        (
            (
                "edgeworth",
                "exact Bernoulli enumeration, random w with k ≤ 16; n = 8, m = 16, SGD, "
                "Bernoulli σ = 0.15, no L1",
            ),
        ),
    ),
    Question(
        "Extension",
        "origins: where incidental polysemanticity (n(n−1)/4m) gives way to necessary "
        "polysemanticity (the floor n − m)",
        (("origins", "gradient descent, m = 32, n/m = 1/8…3"),),
    ),
    Question(
        "Extension",
        "noise-induced sparsity and incidental polysemanticity (reviewer 2: the count under noise)",
        (
            (
                "noise-count",
                "SGD, no L1, Bernoulli σ = 0.15, n = 16, m = n…2n, L1 from the same inits",
            ),
        ),
    ),
    Question(
        "Extension",
        "how far the count law carries: untied weights, GeLU, no output nonlinearity (P2-ARCH)",
        (("architectures", "gradient descent, n = 16, m = 8n and 32n"),),
    ),
)


@dataclass(frozen=True)
class Answer:
    question: Question
    # "holds", "holds with a resolved offset", "departs", "inconclusive", "error", "not run"
    verdict: str
    details: tuple[str, ...]  # one line per claim: its regime, its outcome, its key numbers


def _num(x: float) -> str:
    return f"{x:.3g}"


def _fit_text(f: Any) -> str:
    lo, hi = f.ci
    rel = "" if f.relation == "==" else f"{f.relation} "
    return f"{f.key} {_num(f.fitted)} [{_num(lo)}, {_num(hi)}] vs {rel}{_num(f.predicted)}"


def _claim_outcome(r: Any) -> tuple[str, str]:
    """(word, key numbers) for one result."""
    if r.status == "error":
        return "error", r.error or ""
    failed = [f for f in r.fits if f.verdict == "fail"]
    unsure = [f for f in r.fits if f.verdict == "inconclusive"]
    offsets = [f for f in r.fits if f.resolved_offset]
    if failed:
        return "departs", "; ".join(_fit_text(f) for f in failed[:3])
    if unsure:
        return "inconclusive", "; ".join(_fit_text(f) for f in unsure[:3])
    if offsets:
        return "holds with a resolved offset", "; ".join(
            f"{f.key} offset {_num(f.offset[0])} [{_num(f.offset[1])}, {_num(f.offset[2])}]"
            for f in offsets[:3]
        )
    key = r.fits[0] if r.fits else None
    return "holds", _fit_text(key) if key is not None else ""


_ORDER = ("error", "departs", "inconclusive", "holds with a resolved offset", "holds")


def answers(results: Sequence[Any]) -> list[Answer]:
    """One answer per question whose claims were run, generated from the results."""
    by_id = {r.claim_id: r for r in results}
    out = []
    for q in QUESTIONS:
        words, lines = [], []
        for cid, regime in q.claims:
            r = by_id.get(cid)
            if r is None:
                continue
            word, numbers = _claim_outcome(r)
            words.append(word)
            lines.append(f"{cid} ({regime}): {word}" + (f" — {numbers}" if numbers else ""))
        if not words:
            continue
        verdict = min(words, key=_ORDER.index)
        if verdict == "departs" and any(w.startswith("holds") for w in words):
            verdict = "holds in one regime, departs in another"
        out.append(Answer(q, verdict, tuple(lines)))
    return out
