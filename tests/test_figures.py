"""The claims' figures live in claims/figures/ (one module per claim, named as its catalogue
module): each catalogue claim's ``plot`` names an existing figure module that defines ``plot``,
a misspelt one is refused when the claim is built, and importing a claim loads no figure code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from claims import all_claims
from claims.figures import Figure

REPO = Path(__file__).resolve().parents[1]


def test_every_claim_draws_with_a_figure_module_that_defines_plot() -> None:
    figure_modules = {p.stem for p in (REPO / "claims" / "figures").glob("*.py")} - {"__init__"}
    used = set()
    for claim in all_claims():
        assert isinstance(claim.plot, Figure), f"{claim.id}: plot is {claim.plot!r}"
        used.add(claim.plot.module)
    assert used == figure_modules, (
        f"figure modules no claim draws with: {sorted(figure_modules - used)}; "
        f"claims drawing with a missing module: {sorted(used - figure_modules)}"
    )
    for name in sorted(used):
        module = __import__(f"claims.figures.{name}", fromlist=["plot"])
        assert callable(getattr(module, "plot", None)), f"claims/figures/{name}.py has no plot()"


@pytest.mark.parametrize("name", ["no_such_claim", "collision-count", "../report"])
def test_a_missing_figure_module_is_refused_when_the_claim_is_built(name: str) -> None:
    with pytest.raises(ValueError, match="not found"):
        Figure(name)


def test_importing_a_claim_loads_no_figure_code() -> None:
    """The figure module is imported when the report draws, never with the claim (nor
    matplotlib: the figure code imports it only when it draws)."""
    code = (
        "import sys, claims.catalog.collision_count, claims.catalog.origins;"
        "print(sorted(m for m in sys.modules"
        " if m.startswith(('matplotlib', 'claims.figures.', 'claims.plotting'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
