"""Input validation shared by every params dataclass: one error type that names the field.

Every public entry point validates its input here, so a bad value surfaces as
``ParamError: lr=-1.0 is out of range; allowed: > 0`` instead of a NaN report or a
traceback from deep inside torch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["ParamError", "check_choice", "check_float", "check_int"]


class ParamError(ValueError):
    """A parameter is missing, unknown, of the wrong type or out of range.

    ``field`` names the parameter, ``allowed`` says what would have been accepted.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}={value!r} is invalid; allowed: {allowed}")


def check_int(field: str, value: Any, lo: int | None = None, hi: int | None = None) -> None:
    """``value`` must be an int (not a bool) in ``[lo, hi]`` (either bound may be open)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamError(field, value, f"an integer{_range_text(lo, hi, True, True)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ParamError(field, value, f"an integer{_range_text(lo, hi, True, True)}")


def check_float(
    field: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> None:
    """``value`` must be a finite real number within the given bounds.

    ``lo_open=True`` makes the lower bound strict (``> lo``), likewise ``hi_open``.
    """
    allowed = f"a finite number{_range_text(lo, hi, not lo_open, not hi_open)}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamError(field, value, allowed)
    if not math.isfinite(value):
        raise ParamError(field, value, allowed)
    if lo is not None and (value < lo or (lo_open and value == lo)):
        raise ParamError(field, value, allowed)
    if hi is not None and (value > hi or (hi_open and value == hi)):
        raise ParamError(field, value, allowed)


def check_choice(field: str, value: Any, choices: Iterable[Any]) -> None:
    """``value`` must be one of ``choices``."""
    options = tuple(choices)
    if value not in options:
        raise ParamError(field, value, "one of " + ", ".join(repr(c) for c in options))


def _range_text(lo: float | None, hi: float | None, lo_closed: bool, hi_closed: bool) -> str:
    if lo is None and hi is None:
        return ""
    if hi is None:
        return f" {'>=' if lo_closed else '>'} {lo}"
    if lo is None:
        return f" {'<=' if hi_closed else '<'} {hi}"
    return f" in {'[' if lo_closed else '('}{lo}, {hi}{']' if hi_closed else ')'}"
