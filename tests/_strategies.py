"""Shared hypothesis strategies; ranges widen under the ``thorough`` profile."""

from __future__ import annotations

import os

THOROUGH = os.environ.get("POLYCLAIMS_PROFILE", "ci") == "thorough"


def widen(ci: int, thorough: int) -> int:
    """An upper bound: ``ci`` in CI runs, ``thorough`` under the thorough profile."""
    return thorough if THOROUGH else ci
