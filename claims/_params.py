"""A claim's parameter tree and the ``--set`` overrides that change it.

A claim's params dataclass holds the simulator's own params dataclasses as fields (``train``, or
one per arm: ``sgd``, ``adamw``) beside the claim's grid fields, so every setting has one name: its
dotted path from the root (``train.lr``, ``adamw.steps``, ``m``).

:class:`Overrides` is the one value the CLI builds from ``--set`` and hands to ``run`` and
``report`` alike. A key is

* ``ID.PATH=VALUE`` — claim ``ID`` only (``collision-count.train.steps=2000``);
* ``PATH=VALUE`` — every claim being run that has that path (``train.lr=0.05``);
* ``KEY=VALUE`` — a plain name, which resolves in each claim to the one leaf called ``KEY``
  (``lr`` -> ``train.lr``). A plain key that would mean different things in the claims being run
  (different paths, or fields of different dataclasses) is a usage error naming each claim and the
  full paths to use instead.

Values are strings parsed by the field's declared type; each dataclass's ``__post_init__`` then
checks the range, and an error names the full path (``train.lr=-1 is invalid; allowed: > 0``).
``seed`` and ``device`` are set by ``--seed`` / ``--device`` and cannot be overridden; fields
that a claim's grid sets per run (listed in its params class's ``GRID_SET``) neither.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from sim import ParamError

__all__ = [
    "Leaf",
    "Overrides",
    "apply_overrides",
    "field_comment",
    "leaves",
    "params_to_dict",
    "parse_assignment",
]

P = TypeVar("P")
RUN_SET = ("seed", "device")  # leaf names the run itself sets (--seed, --device), never --set


def parse_assignment(text: str) -> tuple[str, str]:
    """``"n=48"`` -> ``("n", "48")``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParamError("--set", text, "key=value, e.g. --set train.lr=0.05")
    return key.strip(), value.strip()


# -- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """One settable value of a params tree."""

    path: str  # dotted path from the root, e.g. "train.lr"
    value: Any  # its value in this tree
    # the dataclass that declares the field (two leaves mean the same thing iff same owner+path)
    owner: type
    comment: str  # the comment on the field's default (and on the claim's own value, if it has one)
    settable: bool  # False for seed/device and for fields the claim's grid sets per run


def leaves(params: Any) -> list[Leaf]:
    """Every leaf of a params tree, depth first in field order, with its comments.

    A comment on the claim's own value (``train=AutoencoderParams(lr=0.1,  # why``) describes the
    class default: where this tree's value differs, the comment says so and gives the default."""
    calls = {k: v for k, v in field_comments_of(type(params)).items() if "." in k}
    grid = tuple(getattr(type(params), "GRID_SET", ()))
    try:
        defaults = dict(_values(type(params)()))
    except Exception:
        defaults = {}

    def walk(obj: Any, prefix: str) -> Iterator[Leaf]:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            path = f"{prefix}{f.name}"
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                yield from walk(value, path + ".")
                continue
            own, outer = field_comment(type(obj), f.name), calls.get(path, "")
            comment = (
                f"{outer} — {own}" if outer and own and not own.startswith(outer) else own or outer
            )
            if path in defaults and defaults[path] != value and (outer or not prefix):
                comment = f"(default {_text(defaults[path])}:) {comment}"
            yield Leaf(path, value, type(obj), comment, f.name not in RUN_SET and path not in grid)

    return list(walk(params, ""))


def _values(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield from _values(value, f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", value


def _text(v: Any) -> str:
    if isinstance(v, tuple):
        return ",".join(_text(x) for x in v)
    return f"{v:g}" if isinstance(v, float) else str(v)


@cache
def field_comments_of(cls: type) -> dict[str, str]:
    """The trailing ``# comment`` of each field of ``cls``, and for a field whose default is a
    call (``train: AutoencoderParams = AutoencoderParams(lr=0.1,  # why``) the comments on the
    call's keyword arguments, under their dotted paths (``train.lr``)."""
    try:
        lines = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        return {}
    out: dict[str, str] = {}
    current: str | None = None
    above: list[str] = []  # a comment block on the lines just above a field
    field_re = re.compile(r"^    (\w+)\s*:\s*[^=]+?(?:=\s*(.*))?$")
    kwarg_re = re.compile(r"^(\s{8,})(\w+)\s*=(.*)$")
    groups: list[tuple[int, str]] = []  # the nested calls open at this line: (indent, keyword)
    kw_above: list[str] = []  # a comment block just above a keyword argument
    for line in lines:
        if line.startswith("    # "):
            above.append(line.strip()[2:])
            continue
        code, _, comment = line.partition("  # ")
        m = field_re.match(code.rstrip())
        if m and not line.startswith("     "):
            current = m.group(1)
            out.setdefault(current, comment.strip() or " ".join(above))
            above, groups, kw_above = [], [], []
            continue
        above = []
        indent = len(line) - len(line.lstrip())
        while groups and line.strip() and indent <= groups[-1][0]:
            groups.pop()
        if line.strip().startswith("# "):
            kw_above.append(line.strip()[2:])
            continue
        k = kwarg_re.match(code.rstrip())
        if k and current is not None:
            path = ".".join([current, *(g for _, g in groups), k.group(2)])
            text = comment.strip() or " ".join(kw_above)
            if text:
                out[path] = text
            if re.match(r"^\s*\w+\($", k.group(3)):  # a nested group: model=ModelParams(
                groups.append((indent, k.group(2)))
        kw_above = []
    return out


def field_comment(cls: type, name: str) -> str:
    """The comment on field ``name`` of dataclass ``cls`` (looked up along its bases)."""
    for klass in cls.__mro__:
        if dataclasses.is_dataclass(klass):
            text = field_comments_of(klass).get(name)
            if text:
                return text
    return ""


def params_to_dict(params: Any) -> dict[str, Any]:
    """A JSON-ready dict of a params tree (tuples become lists, nested dataclasses dicts)."""
    out = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if dataclasses.is_dataclass(value):
            value = params_to_dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


# -- applying overrides -----------------------------------------------------------------------


def _hint(cls: type, name: str) -> Any:
    return get_type_hints(cls)[name]


def apply_overrides(params: P, overrides: Mapping[str, Any]) -> P:
    """A copy of ``params`` with ``overrides`` ({dotted path: value}) applied; string values are
    parsed by the field's type. A plain name stands for the one leaf of that name (``lr`` ->
    ``train.lr``). Unknown or ambiguous keys and bad values raise :class:`ParamError` naming the
    full path."""
    if not overrides:
        return params
    known = {leaf.path: leaf for leaf in leaves(params)}
    nested: dict[str, dict[str, Any]] = {}
    flat: dict[str, Any] = {}
    for path, value in overrides.items():
        leaf = known.get(path)
        if leaf is None and "." not in path:  # a plain name: the one leaf called that
            found = [lf for p, lf in known.items() if p.rpartition(".")[2] == path]
            if len(found) > 1:
                raise ParamError(
                    path, value, "one of the full paths " + ", ".join(lf.path for lf in found)
                )
            leaf = found[0] if found else None
        if leaf is None:
            raise ParamError(path, value, "a parameter of this claim: " + ", ".join(known))
        path = leaf.path
        if not leaf.settable:
            raise ParamError(path, value, _unsettable_reason(path))
        head, dot, rest = path.partition(".")
        if dot:
            nested.setdefault(head, {})[rest] = value
        else:
            flat[head] = value
    changes: dict[str, Any] = {}
    for name, value in flat.items():
        changes[name] = (
            _coerce(name, value, _hint(type(params), name)) if isinstance(value, str) else value
        )
    for head, sub in nested.items():
        try:
            changes[head] = _apply_nested(getattr(params, head), sub)
        except ParamError as exc:
            raise ParamError(_under(head, exc.field), exc.value, exc.allowed) from None
    try:
        return dataclasses.replace(params, **changes)  # type: ignore[type-var]
    except ParamError as exc:
        path = (
            exc.field
            if exc.field in known
            else next((p for p in overrides if p.endswith("." + exc.field)), exc.field)
        )
        raise ParamError(path, exc.value, exc.allowed) from None
    except TypeError as exc:
        raise ParamError(next(iter(overrides)), overrides, str(exc)) from None


def _apply_nested(obj: Any, sub: Mapping[str, Any]) -> Any:
    flat = {k: v for k, v in sub.items() if "." not in k}
    deeper: dict[str, dict[str, Any]] = {}
    for k, v in sub.items():
        if "." in k:
            head, _, rest = k.partition(".")
            deeper.setdefault(head, {})[rest] = v
    changes = {
        k: _coerce(k, v, _hint(type(obj), k)) if isinstance(v, str) else v for k, v in flat.items()
    }
    for head, inner in deeper.items():
        try:
            changes[head] = _apply_nested(getattr(obj, head), inner)
        except ParamError as exc:
            raise ParamError(_under(head, exc.field), exc.value, exc.allowed) from None
    return dataclasses.replace(obj, **changes)


def _under(head: str, field: str) -> str:
    """``field`` as a path under ``head``; a group's error already names it from its parent
    (``noise.sigma`` from AutoencoderParams.noise), so the group's own name is not repeated."""
    return field if field.startswith(head + ".") else f"{head}.{field}"


def _unsettable_reason(path: str) -> str:
    name = path.rpartition(".")[2]
    if name in RUN_SET:
        return f"not settable with --set: use --{name}"
    return "not settable: the claim's grid sets it for every run (set the grid field instead)"


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


# -- the overrides value ----------------------------------------------------------------------


class _Claimish(typing.Protocol):
    id: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Overrides:
    """The ``--set`` assignments of one command, resolved against the claims it runs.

    Build it with :meth:`parse`; :meth:`for_claim` is one claim's {dotted path: value text};
    :attr:`stated` is what the user typed (shown at the top of a report and in claims.json).
    """

    stated: tuple[str, ...] = ()  # the assignments as typed, in order
    per_claim: Mapping[str, Mapping[str, str]] = dataclasses.field(
        default_factory=dict
    )  # id -> {path: value}

    @classmethod
    def parse(
        cls,
        assignments: Sequence[str],
        claims: Sequence[_Claimish],
        scale: str = "standard",
        *,
        everywhere: Mapping[str, str] | None = None,
        everywhere_in: Collection[str] | None = None,
    ) -> Overrides:
        """Parse ``KEY=VALUE`` texts and resolve each key in ``claims`` (see the module doc).

        ``everywhere`` ({leaf name: value}) sets every settable leaf of that name in every claim
        (``--matmul-precision``: each trainer of a run), before the ``--set`` assignments; claims
        without such a leaf, and claims not in ``everywhere_in`` (None: all), are untouched. Its
        entries are stated as ``NAME=VALUE (every …)``.

        Raises :class:`ParamError` for a malformed assignment, a key no claim has, a plain key with
        more than one meaning, or an ``ID.`` prefix naming a claim not being run."""
        ids = {c.id for c in claims}
        by_id = {c.id: c for c in claims}
        trees = {c.id: {leaf.path: leaf for leaf in leaves(c.params[scale])} for c in claims}
        per: dict[str, dict[str, str]] = {c.id: {} for c in claims}
        scoped: dict[str, dict[str, str]] = {c.id: {} for c in claims}
        for name, value in (everywhere or {}).items():
            for cid, tree in trees.items():
                if everywhere_in is not None and cid not in everywhere_in:
                    continue
                for leaf in tree.values():
                    if leaf.settable and leaf.path.rpartition(".")[2] == name:
                        per[cid][leaf.path] = value
        for text in assignments:
            key, value = parse_assignment(text)
            owner, path = _split_scope(key, ids)
            if owner is not None:
                scoped[owner][_resolve_in(by_id[owner].id, trees[owner], path, value)] = value
                continue
            hits: dict[str, list[Leaf]] = {}
            for cid, tree in trees.items():
                found = (
                    [tree[path]]
                    if path in tree
                    else []
                    if "." in path
                    else [leaf for p, leaf in tree.items() if p.rpartition(".")[2] == path]
                )
                if found:
                    hits[cid] = found
            if not hits:
                raise ParamError(key, value, _unknown_text(path, ids))
            meanings = {(leaf.path, leaf.owner) for found in hits.values() for leaf in found}
            if len(meanings) > 1 or any(len(found) > 1 for found in hits.values()):
                listing = "; ".join(
                    f"{cid}: " + ", ".join(f"{cid}.{leaf.path}" for leaf in found)
                    for cid, found in hits.items()
                )
                raise ParamError(
                    key,
                    value,
                    f"a full path, since {key!r} means different things here — {listing}",
                )
            for cid, found in hits.items():
                leaf = found[0]
                if not leaf.settable:
                    raise ParamError(f"{cid}.{leaf.path}", value, _unsettable_reason(leaf.path))
                per[cid][leaf.path] = value
        for cid, sub in scoped.items():
            per[cid].update(sub)  # ID.PATH wins over an unscoped assignment
        resolved = {cid: dict(sub) for cid, sub in per.items() if sub}
        broadcast = tuple(f"{k}={v} (every {k})" for k, v in (everywhere or {}).items())
        return cls(stated=broadcast + tuple(assignments), per_claim=resolved)

    def for_claim(self, claim_id: str) -> dict[str, str]:
        """{dotted path: value text} for one claim (empty when nothing applies to it)."""
        return dict(self.per_claim.get(claim_id, {}))

    def __bool__(self) -> bool:
        return bool(self.stated)

    def statement(self) -> str:
        """One line for the top of a report: every assignment as typed and where it landed."""
        if not self.stated:
            return ""
        landed = "; ".join(
            f"{cid}: " + ", ".join(f"{p}={v}" for p, v in sub.items())
            for cid, sub in self.per_claim.items()
        )
        return f"--set {' '.join(self.stated)} (applied as {landed})"

    def resolved(self) -> dict[str, str]:
        """Every assignment as it landed, ``{"ID.PATH": value}``: what claims.json records and what
        reproduces the run as ``--set ID.PATH=VALUE``."""
        return {f"{cid}.{p}": v for cid, sub in self.per_claim.items() for p, v in sub.items()}


def _split_scope(key: str, ids: set[str]) -> tuple[str | None, str]:
    head, dot, rest = key.partition(".")
    if dot and head in ids:
        return head, rest
    if dot and "-" in head:  # looks like a claim id that is not being run
        raise ParamError(
            key, "", "ID.PATH with ID one of the claims run: " + ", ".join(sorted(ids))
        )
    return None, key


def _resolve_in(cid: str, tree: Mapping[str, Leaf], path: str, value: str) -> str:
    if path in tree:
        found = [tree[path]]
    elif "." not in path:
        found = [leaf for p, leaf in tree.items() if p.rpartition(".")[2] == path]
    else:
        found = []
    if not found:
        raise ParamError(f"{cid}.{path}", value, f"a parameter of {cid}: " + ", ".join(tree))
    if len(found) > 1:
        raise ParamError(
            f"{cid}.{path}",
            value,
            "one of the full paths " + ", ".join(f"{cid}.{leaf.path}" for leaf in found),
        )
    if not found[0].settable:
        raise ParamError(f"{cid}.{found[0].path}", value, _unsettable_reason(found[0].path))
    return found[0].path


def _unknown_text(path: str, ids: set[str]) -> str:
    return (
        f"a parameter of the claims run ({', '.join(sorted(ids))}); `polyclaims show ID` lists them"
    )
