"""pytest wiring for ``pytest claims/``: every registered claim and each of its controls becomes a
test with a readable id (``test_claim[collision-count]``,
``test_control_rejected[collision-count/n2-over-2m]``). Each claim runs once per session; its
tests read the same :class:`claims.Result` the report reads.

Options: ``--scale`` (smoke | standard | paper, default standard), ``--claims-seed`` (default 0),
``--claims-cache`` (reuse the simulation cache that ``polyclaims report`` fills, so tests after a
report need no training).
"""

from __future__ import annotations

import pytest

from claims import SCALES, Claim, Context, Result, all_claims
from claims._cache import SimulationCache


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("polyclaims")
    group.addoption(
        "--scale", default="standard", choices=SCALES, help="claim scale (default: standard)"
    )
    group.addoption(
        "--claims-seed", type=int, default=0, help="root seed of the claim runs (default: 0)"
    )
    group.addoption(
        "--claims-cache", action="store_true", help="reuse cached simulations (.polyclaims-cache/)"
    )


def _claim_params() -> list:
    return [pytest.param(c, id=c.id) for c in all_claims()]


def _control_params(scale: str) -> list:
    return [
        pytest.param(c, k, id=f"{c.id}/{k.id}")
        for c in all_claims()
        for k in c.controls_at(c.params[scale], scale)
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "claim" in metafunc.fixturenames and "control" in metafunc.fixturenames:
        metafunc.parametrize(
            ("claim", "control"), _control_params(metafunc.config.getoption("--scale"))
        )
    elif "claim" in metafunc.fixturenames:
        metafunc.parametrize("claim", _claim_params())


_RESULTS: dict[tuple[str, str, int], Result] = {}


@pytest.fixture(scope="session")
def run_claim(request: pytest.FixtureRequest):
    """``run_claim(claim) -> Result``, memoised per (claim, scale, seed) for the session."""
    scale = request.config.getoption("--scale")
    seed = request.config.getoption("--claims-seed")
    cache = SimulationCache() if request.config.getoption("--claims-cache") else None

    def run(claim: Claim) -> Result:
        key = (claim.id, scale, seed)
        if key not in _RESULTS:
            _RESULTS[key] = claim.run(scale, seed, ctx=Context(), cache=cache)
        return _RESULTS[key]

    return run
