"""polyclaims: the claims of incidental polysemanticity as objects that derive, simulate, fit and
judge themselves.

    >>> from claims import get
    >>> result = get("collision-count").run("smoke", seed=0)
    >>> print(result.explain())

The names below are imported on first use, so ``polyclaims --help`` and usage errors need neither
torch nor sympy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._context import Context as Context
    from ._core import SCALES as SCALES
    from ._core import Claim as Claim
    from ._core import Control as Control
    from ._core import ControlOutcome as ControlOutcome
    from ._core import Derivation as Derivation
    from ._core import Deviation as Deviation
    from ._core import Fit as Fit
    from ._core import FitSpec as FitSpec
    from ._core import Judge as Judge
    from ._core import Result as Result
    from ._params import Overrides as Overrides
    from .registry import all_claims as all_claims
    from .registry import get as get

_WHERE = {
    "Context": "._context",
    "SCALES": "._core",
    "Claim": "._core",
    "Control": "._core",
    "ControlOutcome": "._core",
    "Derivation": "._core",
    "Deviation": "._core",
    "Fit": "._core",
    "FitSpec": "._core",
    "Judge": "._core",
    "Result": "._core",
    "Overrides": "._params",
    "all_claims": ".registry",
    "get": ".registry",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'claims' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
