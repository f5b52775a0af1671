"""What every claim of the catalogue writes the same way, written once (not a claim: the registry
skips modules whose name starts with ``_``).

**The family-wise level.** A claim's params declare it as a field, with its comment (a dataclass
field must be declared where ``polyclaims show`` and ``--set`` find it)::

    confidence: float = 0.95  # family-wise level; each of the k fits uses 1 − 0.05/k (Bonferroni)

and check it in ``__post_init__`` with :func:`check_confidence`. :class:`claims.Claim` reads it
(default 0.95 where a params class has none) and the judge splits it over the stochastic fits.

**Numbers in texts.** A claim's texts (its statement, its fits' ``why``, its deviations' reasons,
its ``false_failure``) generate every number the code knows from the params, the judge and
``theory/`` (issue 25); :func:`num` writes one with a typographic minus.

**The property test.** A claim's ``strategy`` draws the overrides where the claim should hold;
:func:`property_strategy` makes it from a function of hypothesis's ``draw`` and strategies module,
and judges every draw at :data:`PROPERTY_CONFIDENCE`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim import check_float

__all__ = ["PROPERTY_CONFIDENCE", "check_confidence", "num", "property_strategy"]


def num(x: float, fmt: str = ".3g") -> str:
    """``x`` formatted by ``fmt`` with a typographic minus (as the texts around it)."""
    return format(x, fmt).replace("-", "−")


def check_confidence(value: Any) -> None:
    """A params' ``confidence`` must be a finite number with 0.5 <= confidence < 1
    (:class:`sim.ParamError` naming the field otherwise)."""
    check_float("confidence", value, 0.5, 1.0, hi_open=True)


PROPERTY_CONFIDENCE = 0.999
"""The family-wise level of a property test's draws: a property-test failure then means the theory
broke, not a 5 % chance."""

Overrides = dict[str, Any]


def property_strategy(overrides: Callable[[Any, Any], Overrides]) -> Callable[[], Any]:
    """A claim's ``strategy`` from ``overrides(draw, st)``, which returns the overrides
    ({dotted path: value}) where the claim should hold, drawing with ``draw`` from ``st``
    (``hypothesis.strategies``, imported when the strategy is built: hypothesis is a test extra).
    Each draw is judged at :data:`PROPERTY_CONFIDENCE`."""

    def strategy() -> Any:
        from hypothesis import strategies as st

        @st.composite
        def draw(draw_: Any) -> Overrides:
            return {**overrides(draw_, st), "confidence": PROPERTY_CONFIDENCE}

        return draw()

    strategy.__doc__ = overrides.__doc__
    strategy.__qualname__ = strategy.__name__ = overrides.__name__
    return strategy
