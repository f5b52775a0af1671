"""Each claim's hypothesis strategy draws hyperparameters where the claim should hold; the claim
must not ``fail`` (nor error) there: no fit expected to pass may fail. (Fits with a recorded,
measured deviation keep their recorded verdict.) Cheap draws in CI; the thorough profile
explores more. The check is :mod:`claims.testing`'s ``strategy`` check, the one
``parametrize_with_claims`` gives a claim outside the package."""

from __future__ import annotations

import pytest

from claims import all_claims
from claims.registry import catalog_ids
from claims.testing import ClaimCheck, ClaimRunner, claim_checks

from ._strategies import widen


def _checks() -> list:
    """The strategy check of every claim that declares one (smoke scale, seeds drawn)."""
    with_strategy = [c for c in all_claims() if c.strategy is not None]
    checks = claim_checks(
        with_strategy, ClaimRunner("smoke"), kinds=("strategy",), max_examples=widen(2, 25)
    )
    return [pytest.param(c, id=c.case) for c in checks]


@pytest.mark.parametrize("check", _checks())
def test_claim_does_not_fail_where_it_should_hold(check: ClaimCheck) -> None:
    check()


def test_every_claim_has_a_strategy() -> None:
    missing = [c.id for c in all_claims() if c.strategy is None and c.id in catalog_ids()]
    assert not missing, f"claims without a hypothesis strategy: {missing}"
