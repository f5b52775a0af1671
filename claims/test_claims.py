"""The generic claim tests: cases come from the registry (claims/conftest.py)."""

from __future__ import annotations

from claims import Claim, Control


def test_claim(claim: Claim, run_claim) -> None:
    """Every fit reaches its expected verdict (pass, or its recorded deviation)."""
    result = run_claim(claim)
    wrong = [f for f in result.fits if f.verdict != f.expected]
    assert result.status != "error" and not wrong, (
        f"{claim.id}: status={result.status}, but should be {result.expected}; "
        f"fits off their expected verdict: {[f.key for f in wrong]}\n{result.explain()}"
    )


def test_control_rejected(claim: Claim, control: Control, run_claim) -> None:
    """The mutated claim must be rejected (status fail) by the same measurement."""
    outcome = run_claim(claim).control(control.id)
    assert outcome.rejected, f"{outcome.id}: status={outcome.status}, but should be fail (rejected)\n{outcome.explain()}"
