"""The generic claim tests: cases come from the registry (claims/conftest.py), checks from
:mod:`claims.testing` — the same ones ``parametrize_with_claims`` gives a claim outside the package.

At ``--scale smoke`` the claims only exercise the plumbing (docs/design.md: any status but error);
at ``standard`` and ``paper`` every fit must reach its expected verdict and every control must be
rejected.
"""

from __future__ import annotations

import pytest

from claims.registry import broken_claims, claim_ids
from claims.testing import ClaimCheck


@pytest.mark.parametrize("claim_id", claim_ids())
def test_claim_module_loads(claim_id: str) -> None:
    """Every catalogue module (and installed entry point) builds its claim: the registry isolates
    a broken one (the CLI runs the others), so this is where it fails loudly."""
    broken = {b.id: b for b in broken_claims()}
    assert claim_id not in broken, (
        f"{claim_id}: its module does not load ({broken[claim_id].reason}), "
        "but every catalogue module should define CLAIM (every entry point name one)"
    )


@pytest.mark.claim_check("runs")
def test_claim(check: ClaimCheck) -> None:
    """Every fit reaches its expected verdict (pass, or its recorded deviation)."""
    check()


@pytest.mark.claim_check("control")
def test_control_rejected(check: ClaimCheck) -> None:
    """The mutated claim must be rejected (status fail) by the same measurement."""
    check()


@pytest.mark.claim_check("band-rule")
def test_json_verdicts_follow_the_band_rule(check: ClaimCheck) -> None:
    """Every "==" fit in the claims.json entry gets the verdict its band and interval give, and
    every fit with a recorded deviation lies in the deviation's measured range (or the claim says
    it is not as expected)."""
    check()
