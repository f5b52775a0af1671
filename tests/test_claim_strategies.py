"""Each claim's hypothesis strategy draws hyperparameters where the claim should hold; the claim
must not ``fail`` (nor error) there: no fit expected to pass may fail. (Fits with a recorded,
measured deviation keep their recorded verdict.) Cheap draws in CI; the thorough profile
explores more."""

from __future__ import annotations

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from claims import all_claims, get

from ._strategies import widen


def _with_strategy() -> list[str]:
    return [c.id for c in all_claims() if c.strategy is not None]


@pytest.mark.parametrize("claim_id", _with_strategy())
@settings(max_examples=widen(2, 25))
@given(data=st.data())
def test_claim_does_not_fail_where_it_should_hold(claim_id: str, data: st.DataObject) -> None:
    claim = get(claim_id)  # by id: a failing example then prints the id, not the whole claim
    overrides = data.draw(claim.overrides_strategy(), label=f"{claim.id} overrides")
    seed = data.draw(st.integers(0, 10_000), label="seed")
    result = claim.run("smoke", seed=seed, overrides=overrides)
    note(result.explain())
    failed = [
        f.key for f in result.fits if f.verdict == "fail" and result.expected_of(f.key) == "pass"
    ]
    assert result.status != "error" and not failed, (
        f"{claim.id}: status={result.status}, fits failed={failed}, "
        "but should not fail where it holds "
        f"[overrides={overrides}, seed={seed}]\n{result.explain()}"
    )


def test_every_claim_has_a_strategy() -> None:
    missing = [c.id for c in all_claims() if c.strategy is None]
    assert not missing, f"claims without a hypothesis strategy: {missing}"
