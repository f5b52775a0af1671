"""pytest wiring for ``pytest claims/``: every registered claim and each of its controls becomes a
test with a readable id (``test_claim[collision-count]``,
``test_control_rejected[collision-count/n2-over-2m]``). The checks are the ones
:func:`claims.testing.parametrize_with_claims` gives a claim outside the package (one producer,
:func:`claims.testing.claim_checks`): a test marked ``@pytest.mark.claim_check(KIND, **options)``
takes ``check`` and calls it. Each claim runs once per session (one
:class:`claims.testing.ClaimRunner`); its tests read the same :class:`claims.Result` the report
reads.

Options: ``--scale`` (smoke | standard | paper, default standard), ``--claims-seed`` (default 0),
``--claims-cache`` (reuse the simulation cache that ``polyclaims report`` fills, so tests after a
report need no training).
"""

from __future__ import annotations

import pytest

from claims import SCALES, Claim, Result, all_claims
from claims._cache import SimulationCache
from claims.testing import ClaimRunner, claim_checks

_RUNNER = pytest.StashKey[ClaimRunner]()


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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "claim_check(kind, **options): parametrize `check` with every registered claim's checks "
        "of this kind (claims.testing.claim_checks: runs, control, band-rule, strategy, "
        "theory-patch)",
    )


def _runner(config: pytest.Config) -> ClaimRunner:
    """The session's runner: each claim runs once at --scale and --claims-seed."""
    if _RUNNER not in config.stash:
        config.stash[_RUNNER] = ClaimRunner(
            config.getoption("--scale"),
            config.getoption("--claims-seed"),
            cache=SimulationCache() if config.getoption("--claims-cache") else None,
        )
    return config.stash[_RUNNER]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    mark = metafunc.definition.get_closest_marker("claim_check")
    if mark is None or "check" not in metafunc.fixturenames:
        return
    (kind,) = mark.args
    checks = claim_checks(all_claims(), _runner(metafunc.config), kinds=(kind,), **mark.kwargs)
    # the ids of the catalogue's tests: the claim's id, or claim/control for a control
    metafunc.parametrize("check", [pytest.param(c, id=c.case) for c in checks])


@pytest.fixture(scope="session")
def run_claim(request: pytest.FixtureRequest):
    """``run_claim(claim) -> Result``, memoised per claim for the session (the checks' runner)."""
    runner = _runner(request.config)

    def run(claim: Claim) -> Result:
        return runner(claim)

    return run
