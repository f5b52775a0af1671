"""``polyclaims show ID``: what a claim states, its parameter tree, fits and controls, as text.

Built from the claim's declarations alone (params, fit specs, controls, deviations): nothing is
simulated, so it answers in about the time it takes to import the claim.
"""

from __future__ import annotations

import textwrap
from typing import Any

from ._core import Claim
from ._params import leaves

__all__ = ["describe"]

_WIDTH = 100


def _value(v: Any) -> str:
    if isinstance(v, tuple):
        return ",".join(_value(x) for x in v) if v else "()"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=indent, subsequent_indent=indent)


def describe(claim: Claim, scale: str = "standard") -> str:
    """The claim's statement, its parameter tree at ``scale`` (each value with its comment), its
    fits with their tolerances, its controls and its recorded deviations."""
    params = claim.params[scale]
    out = [
        f"{claim.id} — {claim.title}",
        _wrap(claim.statement, "  "),
        _wrap(f"source: {claim.source}", "  "),
        "",
    ]
    out.append(
        f"parameters at scale {scale!r} (override with --set PATH=VALUE, "
        f"or --set {claim.id}.PATH=VALUE for this claim alone):"
    )
    rows = leaves(params)
    heads = [f"{leaf.path} = {_value(leaf.value)}" for leaf in rows]
    width = (
        min(max(len(h) for h in heads), 40) + 2
    )  # comments start in one column; longer values wrap
    for leaf, head in zip(rows, heads, strict=True):
        note = leaf.comment
        if not leaf.settable:
            name = leaf.path.rpartition(".")[2]
            note = (
                f"[set by --{name}] "
                if name in ("seed", "device")
                else "[set per run by the grid] "
            ) + note
        lines = textwrap.wrap(note, _WIDTH - width - 4) or [""]
        if len(head) > width:
            out.append(f"  {head}")
            out.extend(
                f"  {'':{width}}# {line}" if i == 0 else f"  {'':{width}}  {line}"
                for i, line in enumerate(lines)
            )
            continue
        out.append(f"  {head.ljust(width)}# {lines[0]}".rstrip())
        out.extend(f"  {'':{width}}  {line}" for line in lines[1:])
    judge = claim.judge(params)
    out += [
        "",
        f"fits (family-wise confidence {judge.confidence:g}: "
        f"each of the k = {judge.k} stochastic fits at {judge.level:.4g}; exact fits at 1):",
    ]
    for s in claim.specs(params):
        if s.relation == "==":
            rule = f"== predicted, band ± {s.tolerance:g}"
        else:
            rule = f"{s.relation} threshold"
        kind = "exact" if s.exact else "stochastic"
        out.append(f"  {s.key}: {s.quantity} [{rule}; {kind}]")
        if s.why:
            out.append(_wrap(f"why: {s.why}", "      "))
    out += ["", "controls (mutant claims the harness must reject):"]
    out += [_wrap(f"{c.id}: {c.statement}", "  ") for c in claim.controls_at(params, scale)] or [
        "  (none)"
    ]
    deviations = claim.deviations_at(scale)
    if deviations:
        out += [
            "",
            f"recorded deviations at scale {scale!r} (measured departures from the theory):",
        ]
        out += [
            _wrap(f"{k}: expected {' or '.join(d.verdicts)} in {list(d.range)} — {d.reason}", "  ")
            for k, d in deviations.items()
        ]
    false_failure = claim.false_failure_at(params)  # generated at the params shown
    if false_failure:
        out += ["", _wrap(f"false-failure rate: {false_failure}", "")]
    return "\n".join(out)
