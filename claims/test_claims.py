"""The generic claim tests: cases come from the registry (claims/conftest.py).

At ``--scale smoke`` the claims only exercise the plumbing (design.md: any status but error);
at ``standard`` and ``paper`` every fit must reach its expected verdict and every control must be
rejected.
"""

from __future__ import annotations

import pytest

from claims import Claim, Control
from claims.registry import broken_claims, claim_ids


@pytest.mark.parametrize("claim_id", claim_ids())
def test_claim_module_loads(claim_id: str) -> None:
    """Every catalogue module builds its claim: the registry isolates a broken one (the CLI runs
    the others), so this is where it fails loudly."""
    broken = {b.id: b for b in broken_claims()}
    assert claim_id not in broken, (
        f"{claim_id}: its module does not load ({broken[claim_id].reason}), "
        "but every catalogue module should define CLAIM"
    )


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


def _band_verdict(fit: dict) -> str:
    """The equivalence rule, read off claims.json alone (design.md): pass when the interval lies
    inside the band, fail when it lies wholly outside, inconclusive otherwise (None: unbounded)."""
    lo = float("-inf") if fit["ci"][0] is None else fit["ci"][0]
    hi = float("inf") if fit["ci"][1] is None else fit["ci"][1]
    b_lo, b_hi = fit["band"]
    if b_lo <= lo and hi <= b_hi:
        return "pass"
    if hi < b_lo or lo > b_hi:
        return "fail"
    return "inconclusive"


def test_json_verdicts_follow_the_band_rule(claim: Claim, run_claim) -> None:
    """Every "==" fit in the claims.json entry gets the verdict its band and interval give, and
    every fit with a recorded deviation lies in the deviation's measured range (or the claim says
    it is not as expected)."""
    entry = run_claim(claim).to_dict()
    for f in entry["fits"]:
        if f["relation"] == "==":
            assert f["band"] == pytest.approx(
                [f["predicted"] - f["tolerance"], f["predicted"] + f["tolerance"]]
            ), (
                f"{claim.id}/{f['key']}: band {f['band']}, "
                f"predicted {f['predicted']} ± {f['tolerance']}"
            )
            assert f["verdict"] == _band_verdict(f), (
                f"{claim.id}/{f['key']}: verdict {f['verdict']}, but the band rule gives "
                f"{_band_verdict(f)} for ci {f['ci']} in band {f['band']}"
            )
        if f["range"] is not None and entry["meets_expectation"]:
            lo, hi = f["range"]
            assert lo <= f["fitted"] <= hi, (
                f"{claim.id}/{f['key']}: fitted {f['fitted']} outside its recorded range "
                f"[{lo}, {hi}], yet the claim reads as expected"
            )
