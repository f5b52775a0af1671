"""The registry: every claim in :mod:`claims.catalog`, by unique slug id.

Each module in ``claims/catalog/`` exposes ``CLAIMS``, a tuple of :class:`claims.Claim`; adding a
claim means adding a module there, nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from . import catalog
from ._core import Claim

__all__ = ["all_claims", "get"]


@cache
def all_claims() -> tuple[Claim, ...]:
    """Every registered claim, in catalogue-module order (then declaration order)."""
    found: list[Claim] = []
    for info in sorted(pkgutil.iter_modules(catalog.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{catalog.__name__}.{info.name}")
        claims = getattr(module, "CLAIMS", None)
        if not isinstance(claims, tuple) or not all(isinstance(c, Claim) for c in claims):
            raise TypeError(f"claims.catalog.{info.name} must define CLAIMS: tuple[Claim, ...]")
        found.extend(claims)
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
