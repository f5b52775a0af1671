"""The registry: every claim in :mod:`claims.catalog`, by unique slug id.

One module per claim in ``claims/catalog/``, named after its id (``collision-count`` ->
``collision_count.py``), exposing ``CLAIM``, a :class:`claims.Claim`; adding a claim means adding a
module there, nothing else. :func:`claim_ids` lists the ids from the module names alone, without
importing torch or sympy, so the CLI can answer usage errors at once.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import TYPE_CHECKING

from . import catalog

if TYPE_CHECKING:
    from ._core import Claim

__all__ = ["all_claims", "claim_ids", "get"]


def _modules() -> list[str]:
    return sorted(
        i.name for i in pkgutil.iter_modules(catalog.__path__) if not i.name.startswith("_")
    )


def claim_ids() -> tuple[str, ...]:
    """The registered ids, from the catalogue's module names (no claim is imported)."""
    return tuple(name.replace("_", "-") for name in _modules())


@cache
def all_claims() -> tuple[Claim, ...]:
    """Every registered claim, in module-name order."""
    from ._core import Claim

    found: list[Claim] = []
    for name in _modules():
        module = importlib.import_module(f"{catalog.__name__}.{name}")
        claim = getattr(module, "CLAIM", None)
        if not isinstance(claim, Claim):
            raise TypeError(f"claims.catalog.{name} must define CLAIM: Claim")
        if claim.id.replace("-", "_") != name:
            raise ValueError(
                f"claims.catalog.{name} defines claim {claim.id!r}: "
                "the module must be named after its id"
            )
        found.append(claim)
    ids = [c.id for c in found]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate claim ids in the registry: {dupes}")
    return tuple(found)


def get(claim_id: str) -> Claim:
    """The claim with this id; KeyError listing the known ids otherwise."""
    for c in all_claims():
        if c.id == claim_id:
            return c
    raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(c.id for c in all_claims())}")
