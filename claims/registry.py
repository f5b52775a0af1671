"""The registry: every claim in :mod:`claims.catalog`, by unique slug id.

One module per claim in ``claims/catalog/``, named after its id (``collision-count`` ->
``collision_count.py``), exposing ``CLAIM``, a :class:`claims.Claim`; adding a claim means adding a
module there, nothing else. :func:`claim_ids` lists the ids from the module names alone, without
importing torch or sympy, so the CLI can answer usage errors at once.

A broken module (one that fails to import, or whose ``CLAIM`` fails to build or is missing) is
isolated: :func:`all_claims` holds the others, :func:`broken_claims` names each broken one with a
one-line reason, and :func:`get` of a broken id raises :class:`BrokenClaimError` with that
reason. The modules are loaded once per process (the registry cache).
"""

from __future__ import annotations

import importlib
import pkgutil
import traceback
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import catalog

if TYPE_CHECKING:
    from ._core import Claim

__all__ = ["BrokenClaim", "BrokenClaimError", "all_claims", "broken_claims", "claim_ids", "get"]

_REASON_CHARS = 300  # a reason longer than this is cut: it must stay one readable line


@dataclass(frozen=True)
class BrokenClaim:
    """A catalogue module that did not yield a claim."""

    id: str  # the id its module name gives (``collision_count`` -> ``collision-count``)
    module: str  # the dotted module name, e.g. ``claims.catalog.collision_count``
    reason: str  # one line: the exception, its message and the module's line it came from

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "module": self.module, "reason": self.reason}


class BrokenClaimError(LookupError):
    """:func:`get` of a claim whose module is broken; ``broken`` says why."""

    def __init__(self, broken: BrokenClaim) -> None:
        self.broken = broken
        super().__init__(f"claim {broken.id!r} could not be loaded: {broken.reason}")


def _modules() -> list[str]:
    return sorted(
        i.name for i in pkgutil.iter_modules(catalog.__path__) if not i.name.startswith("_")
    )


def claim_ids() -> tuple[str, ...]:
    """The registered ids, from the catalogue's module names (no claim is imported); broken ones
    included."""
    return tuple(name.replace("_", "-") for name in _modules())


def _reason(module: str, exc: BaseException) -> str:
    """One line: ``ValueError: claim 'x' lacks params for scales ['paper'] (x.py, line 12)``."""
    text = " ".join(str(exc).split()) or "(no message)"
    if len(text) > _REASON_CHARS:
        text = text[: _REASON_CHARS - 1] + "…"
    where = ""
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        where = f" ({Path(exc.filename or '?').name}, line {exc.lineno})"
    else:
        name = module.rsplit(".", 1)[-1]
        files = {str((Path(p) / f"{name}.py").resolve()) for p in catalog.__path__}
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if str(Path(f.filename).resolve()) in files
        ]
        if frames:
            where = f" ({Path(frames[-1].filename).name}, line {frames[-1].lineno})"
    return f"{type(exc).__name__}: {text}{where}"


def _load_one(name: str) -> Claim:
    """The claim of catalogue module ``name``; any failure propagates."""
    from ._core import Claim

    module = importlib.import_module(f"{catalog.__name__}.{name}")
    claim = getattr(module, "CLAIM", None)
    if not isinstance(claim, Claim):
        raise TypeError(
            f"claims.catalog.{name} must define CLAIM, a claims.Claim; it has "
            f"{type(claim).__name__ if claim is not None else 'none'}"
        )
    if claim.id.replace("-", "_") != name:
        raise ValueError(
            f"claims.catalog.{name} defines claim {claim.id!r}: "
            "the module must be named after its id"
        )
    return claim


@cache
def _load() -> tuple[tuple[Claim, ...], tuple[BrokenClaim, ...]]:
    """Every catalogue module loaded once: the claims, and the modules that broke. Ids are unique
    because each claim's module is named after its id."""
    found: list[Claim] = []
    broken: list[BrokenClaim] = []
    for name in _modules():
        try:
            found.append(_load_one(name))
        except Exception as exc:  # a broken module must not take the others down
            module = f"{catalog.__name__}.{name}"
            broken.append(BrokenClaim(name.replace("_", "-"), module, _reason(module, exc)))
    return tuple(found), tuple(broken)


def all_claims() -> tuple[Claim, ...]:
    """Every registered claim that loads, in module-name order (:func:`broken_claims`: the
    others)."""
    return _load()[0]


def broken_claims() -> tuple[BrokenClaim, ...]:
    """The catalogue modules that failed to import or to build their claim, with the reason."""
    return _load()[1]


def get(claim_id: str) -> Claim:
    """The claim with this id; :class:`BrokenClaimError` for a broken one, KeyError listing the
    known ids otherwise."""
    for c in all_claims():
        if c.id == claim_id:
            return c
    for b in broken_claims():
        if b.id == claim_id:
            raise BrokenClaimError(b)
    raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(claim_ids())}")
