"""The generic claim tests: cases come from the registry (claims/conftest.py).

At ``--scale smoke`` the claims only exercise the plumbing (design.md: any status but error);
at ``standard`` and ``paper`` every fit must reach its expected verdict and every control must be
rejected.
"""

from __future__ import annotations

import pytest

from claims import Claim, Control


def test_claim(claim: Claim, run_claim, request: pytest.FixtureRequest) -> None:
    """Every fit reaches its expected verdict (pass, or its recorded deviation)."""
    result = run_claim(claim)
    assert result.status != "error", f"{claim.id}: status=error, but should run\n{result.explain()}"
    if request.config.getoption("--scale") == "smoke":
        return
    wrong = [f for f in result.fits if not result.as_expected(f)]
    assert not wrong, (
        f"{claim.id}: status={result.status}, but should be {result.expected}; "
        f"fits off their expected verdict: {[f.key for f in wrong]}\n{result.explain()}"
    )


def test_control_rejected(
    claim: Claim, control: Control, run_claim, request: pytest.FixtureRequest
) -> None:
    """The mutated claim must be rejected (status fail) by the same measurement."""
    outcome = run_claim(claim).control(control.id)
    assert outcome.status != "error", f"{outcome.id}: status=error\n{outcome.explain()}"
    if request.config.getoption("--scale") == "smoke":
        return
    assert outcome.rejected, (
        f"{outcome.id}: status={outcome.status}, but should be fail (rejected)\n{outcome.explain()}"
    )
