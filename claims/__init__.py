"""polyclaims: the claims of incidental polysemanticity as objects that derive, simulate, fit and
judge themselves.

    >>> from claims import get
    >>> result = get("collision-count").run("smoke", seed=0)
    >>> print(result.explain())
"""

from ._context import Context as Context
from ._core import SCALES as SCALES
from ._core import Claim as Claim
from ._core import Control as Control
from ._core import ControlOutcome as ControlOutcome
from ._core import Derivation as Derivation
from ._core import Deviation as Deviation
from ._core import Fit as Fit
from ._core import Result as Result
from .registry import all_claims as all_claims
from .registry import get as get

__all__ = [
    "SCALES",
    "Claim",
    "Context",
    "Control",
    "ControlOutcome",
    "Derivation",
    "Deviation",
    "Fit",
    "Result",
    "all_claims",
    "get",
]
