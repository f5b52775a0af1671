"""Overrides for params dataclasses: ``--set key=value`` parsed by the field's declared type.

The dataclass's own ``__post_init__`` then checks the range, so ``--set lr=-1`` and
``--set optimizer=rmsprop`` fail with a :class:`sim.ParamError` naming the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from sim import ParamError

__all__ = ["apply_overrides", "params_to_dict", "parse_assignment"]

P = TypeVar("P")


def parse_assignment(text: str) -> tuple[str, str]:
    """``"n=48"`` -> ``("n", "48")``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParamError("--set", text, "key=value, e.g. --set n=48")
    return key.strip(), value.strip()


def apply_overrides(params: P, overrides: Mapping[str, Any]) -> P:
    """A copy of ``params`` with ``overrides`` applied; string values are parsed by field type."""
    if not overrides:
        return params
    hints = get_type_hints(type(params))
    names = [f.name for f in dataclasses.fields(params)]  # type: ignore[arg-type]
    changes = {}
    for key, value in overrides.items():
        if key not in names:
            raise ParamError(key, value, "a parameter of this claim: " + ", ".join(names))
        changes[key] = _coerce(key, value, hints[key]) if isinstance(value, str) else value
    try:
        return dataclasses.replace(params, **changes)  # type: ignore[type-var]
    except TypeError as exc:  # e.g. a field not accepted by __init__
        raise ParamError(next(iter(changes)), changes, str(exc)) from None


def params_to_dict(params: Any) -> dict[str, Any]:
    """A JSON-ready dict of a params dataclass (tuples become lists)."""
    out = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if dataclasses.is_dataclass(value):
            value = params_to_dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _coerce(key: str, text: str, hint: Any) -> Any:
    origin, args = get_origin(hint), get_args(hint)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        if text.lower() in ("none", "null", "") and len(non_none) < len(args):
            return None
        return _coerce(key, text, non_none[0])
    if origin is Literal:
        for option in args:
            if str(option) == text:
                return option
        raise ParamError(key, text, "one of " + ", ".join(repr(a) for a in args))
    if origin is tuple:
        inner = args[0] if args else str
        items = [t for t in text.replace(";", ",").split(",") if t.strip()]
        if not items:
            raise ParamError(key, text, "a comma-separated list, e.g. 64,128,256")
        return tuple(_coerce(key, t.strip(), inner) for t in items)
    if hint is bool:
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ParamError(key, text, "a boolean: true or false")
    if hint is int:
        try:
            return int(text)
        except ValueError:
            try:
                as_float = float(text)  # accept 1e6 for an int when it is integral
            except ValueError:
                raise ParamError(key, text, "an integer") from None
            if as_float.is_integer():
                return int(as_float)
            raise ParamError(key, text, "an integer") from None
    if hint is float:
        try:
            return float(text)
        except ValueError:
            raise ParamError(key, text, "a number") from None
    if hint is str:
        return text
    raise ParamError(key, text, f"a value of type {hint} (cannot be set from the command line)")
