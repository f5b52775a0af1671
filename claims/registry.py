"""The registry: every claim by unique slug id — the catalogue, installed entry points, and the
files or modules named by ``--claims-from``.

Where claims come from:

* the catalogue, :mod:`claims.catalog`: one module per claim, named after its id
  (``collision-count`` -> ``collision_count.py``), exposing ``CLAIM``, a :class:`claims.Claim`;
  adding a claim means adding a module there, nothing else;
* installed packages, through the entry-point group ``polyclaims.claims`` (:data:`GROUP`): a
  package declares ``ID = "module:ATTR"`` (in its pyproject,
  ``[project.entry-points."polyclaims.claims"]``), where ``module.ATTR`` is a Claim whose id is
  ``ID`` — the entry point's name is the claim's id, as a catalogue module's name is;
* ``--claims-from PATH`` (:func:`load` with ``claims_from``): a ``.py`` file or an importable
  module; every :class:`claims.Claim` bound at its module level is added (a claim it imports from
  elsewhere — the catalogue, say — is that claim, not a second one). A file is imported under its
  stem (unless another module has that name) with its folder appended to ``sys.path``, so it may
  import the modules beside it.

:func:`claim_ids` lists the catalogue's and the entry points' ids from the module names and the
installed packages' metadata alone, without importing any claim (nor torch or sympy), so the CLI
can answer usage errors at once; :func:`outside_claims` loads only the ``--claims-from``
sources, so their ids can be checked before the rest is imported.

A broken catalogue module or entry point (one that fails to import, whose ``CLAIM`` fails to build
or is missing, or whose id is not its name or is claimed twice) is isolated: :func:`all_claims`
holds the others, :func:`broken_claims` names each broken one with a one-line reason, and
:func:`get` of a broken id raises :class:`BrokenClaimError` with that reason. A ``--claims-from``
source was asked for by name instead: one that does not load, defines no claim, or defines an id
another source has is a :class:`ClaimsFromError` naming both sources (a usage error, exit 2).
The modules are loaded once per process (the registry cache).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import pkgutil
import sys
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from . import catalog

if TYPE_CHECKING:
    from ._core import Claim

__all__ = [
    "GROUP",
    "BrokenClaim",
    "BrokenClaimError",
    "ClaimsFromError",
    "Registry",
    "all_claims",
    "broken_claims",
    "catalog_ids",
    "claim_ids",
    "get",
    "load",
    "outside_claims",
]

GROUP = "polyclaims.claims"  # the entry-point group installed packages declare their claims in
_REASON_CHARS = 300  # a reason longer than this is cut: it must stay one readable line


@dataclass(frozen=True)
class BrokenClaim:
    """A catalogue module or an entry point that did not yield a claim."""

    id: str  # the id its module name or entry-point name gives
    # where it was to come from: the dotted module (``claims.catalog.collision_count``) or the
    # entry point's value (``package.module:CLAIM``)
    module: str
    reason: str  # one line: the exception, its message and the module's line it came from

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "module": self.module, "reason": self.reason}


class BrokenClaimError(LookupError):
    """:func:`get` of a claim whose module is broken; ``broken`` says why."""

    def __init__(self, broken: BrokenClaim) -> None:
        self.broken = broken
        super().__init__(f"claim {broken.id!r} could not be loaded: {broken.reason}")


class ClaimsFromError(ValueError):
    """A ``--claims-from`` source that cannot be used: it does not load, defines no claim, or
    defines an id that another source (named in the message) defines too."""


@dataclass(frozen=True)
class Registry:
    """The claims of one process's sources, in order: the catalogue (by module name), the entry
    points (by name), then each ``--claims-from`` source in the order given."""

    claims: tuple[Claim, ...]  # every claim that loaded
    broken: tuple[BrokenClaim, ...]  # the catalogue modules and entry points that did not
    # claim id -> where it came from, in words (``claims.catalog.collision_count``, ``entry point
    # 'x = pkg.mod:CLAIM' (pkg 0.1)``, ``--claims-from /path/x.py``); broken ones included
    sources: Mapping[str, str] = field(default_factory=dict)

    def ids(self) -> tuple[str, ...]:
        """Every id, those of broken claims included."""
        return tuple(dict.fromkeys([c.id for c in self.claims] + [b.id for b in self.broken]))

    def get(self, claim_id: str) -> Claim:
        """The claim with this id; :class:`BrokenClaimError` for a broken one, KeyError listing
        the known ids otherwise."""
        for c in self.claims:
            if c.id == claim_id:
                return c
        for b in self.broken:
            if b.id == claim_id:
                raise BrokenClaimError(b)
        raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(self.ids())}")


# -- names, without importing any claim ----------------------------------------------------------


def _modules() -> list[str]:
    return sorted(
        i.name for i in pkgutil.iter_modules(catalog.__path__) if not i.name.startswith("_")
    )


def _entry_points() -> list[metadata.EntryPoint]:
    """The installed ``polyclaims.claims`` entry points, in a stable order (name, then value)."""
    return sorted(metadata.entry_points(group=GROUP), key=lambda ep: (ep.name, ep.value))


def _entry_point_source(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    where = f" ({dist.name} {dist.version})" if dist is not None else ""
    return f"entry point '{ep.name} = {ep.value}'{where}"


def catalog_ids() -> tuple[str, ...]:
    """The catalogue's ids, from its module names (no claim is imported); broken ones included."""
    return tuple(name.replace("_", "-") for name in _modules())


def _named_sources() -> dict[str, list[str]]:
    """id -> the sources that declare it by name (catalogue module names, entry-point names)."""
    found: dict[str, list[str]] = {}
    for name in _modules():
        found.setdefault(name.replace("_", "-"), []).append(f"{catalog.__name__}.{name}")
    for ep in _entry_points():
        found.setdefault(ep.name, []).append(_entry_point_source(ep))
    return found


def claim_ids() -> tuple[str, ...]:
    """The registered ids of the catalogue and of the installed entry points, from the catalogue's
    module names and the entry points' names (no claim is imported); broken ones included.
    ``--claims-from`` sources are not among them: :func:`outside_claims` loads those."""
    return tuple(_named_sources())


# -- loading -------------------------------------------------------------------------------------


def _module_file(module: str) -> Path | None:
    """The source file of ``module`` without running it (None when it cannot be found)."""
    try:
        spec = importlib.util.find_spec(module)
    except Exception:  # a parent package that fails to import, say
        return None
    origin = getattr(spec, "origin", None)
    return Path(origin) if origin and origin.endswith(".py") else None


def _reason(exc: BaseException, files: Iterable[Path | None] = ()) -> str:
    """One line: ``ValueError: claim 'x' lacks params for scales ['paper'] (x.py, line 12)`` —
    the line is the last one of ``files`` (the claim's module) in the traceback."""
    text = " ".join(str(exc).split()) or "(no message)"
    if len(text) > _REASON_CHARS:
        text = text[: _REASON_CHARS - 1] + "…"
    where = ""
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        where = f" ({Path(exc.filename or '?').name}, line {exc.lineno})"
    else:
        wanted = {str(f.resolve()) for f in files if f is not None}
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if str(Path(f.filename).resolve()) in wanted
        ]
        if frames:
            where = f" ({Path(frames[-1].filename).name}, line {frames[-1].lineno})"
    return f"{type(exc).__name__}: {text}{where}"


def _catalog_files(name: str) -> list[Path]:
    return [Path(p) / f"{name}.py" for p in catalog.__path__]


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


def _load_entry_point(ep: metadata.EntryPoint) -> Claim:
    """The claim an entry point names; any failure propagates."""
    from ._core import Claim

    claim = ep.load()
    if not isinstance(claim, Claim):
        raise TypeError(
            f"entry point {ep.name!r} = {ep.value!r} must name a claims.Claim; it names "
            f"{type(claim).__name__}"
        )
    if claim.id != ep.name:
        raise ValueError(
            f"entry point {ep.name!r} = {ep.value!r} names claim {claim.id!r}: the entry point "
            "must be named after its claim's id"
        )
    return claim


@cache
def _load() -> Registry:
    """The catalogue's modules and the installed entry points, loaded once: the claims, and the
    ones that broke. Catalogue ids are unique because each module is named after its id; an entry
    point whose name another source declares too is broken (each of them, naming the others),
    and not imported."""
    found: list[Claim] = []
    broken: list[BrokenClaim] = []
    sources: dict[str, str] = {}
    named = _named_sources()
    for name in _modules():
        module = f"{catalog.__name__}.{name}"
        cid = name.replace("_", "-")
        sources[cid] = module
        try:
            found.append(_load_one(name))
        except Exception as exc:  # a broken module must not take the others down
            broken.append(BrokenClaim(cid, module, _reason(exc, _catalog_files(name))))
    for ep in _entry_points():
        here = _entry_point_source(ep)
        sources.setdefault(ep.name, here)
        others = [s for s in named[ep.name] if s != here]
        if others:
            broken.append(
                BrokenClaim(
                    ep.name,
                    ep.value,
                    f"ValueError: claim id {ep.name!r} is declared by {here} and by "
                    f"{' and by '.join(others)}; the entry point was not loaded",
                )
            )
            continue
        try:
            found.append(_load_entry_point(ep))
        except Exception as exc:  # a broken package must not take the others down
            broken.append(BrokenClaim(ep.name, ep.value, _reason(exc, [_module_file(ep.module)])))
    return Registry(tuple(found), tuple(broken), sources)


def _module_name(path: Path) -> str:
    """The name a ``--claims-from`` file is imported under: its stem, unless another module has
    that name; then a name unique to the path (stable, so cached measurements unpickle)."""
    stem = path.stem
    held = sys.modules.get(stem)
    file = getattr(held, "__file__", None)
    if stem.isidentifier() and (held is None or (file and Path(file).resolve() == path)):
        return stem
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    return f"_polyclaims_claims_from_{''.join(ch if ch.isalnum() else '_' for ch in stem)}_{digest}"


def _is_file(spec: str) -> bool:
    """A ``--claims-from`` source names a file (``x.py``, ``dir/x``), not a module (``pkg.x``)."""
    return spec.endswith(".py") or "/" in spec or "\\" in spec


def _source_key(spec: str | Path) -> str:
    """A ``--claims-from`` source as the registry caches it: a file by its absolute path."""
    text = str(spec)
    return str(Path(text).expanduser().resolve()) if _is_file(text) else text


def _import_source(spec: str) -> tuple[object, str]:
    """The module of a ``--claims-from`` source (a .py file or an importable module name) and its
    description."""
    if not _is_file(spec):
        return importlib.import_module(spec), f"--claims-from {spec}"
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    name = _module_name(path)
    if name in sys.modules:  # the same file, loaded already (an entry point's module, say)
        return sys.modules[name], f"--claims-from {path}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"{path} cannot be imported as a Python module")
    # its folder joins the path, as a script's does, but last (it never shadows an installed
    # module): the file may import the modules beside it, and worker processes can import it
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))
    module = importlib.util.module_from_spec(module_spec)
    # registered before it runs: dataclasses and pickle look classes up by their module's name
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module, f"--claims-from {path}"


@cache
def _outside(spec: str) -> tuple[tuple[Claim, ...], str]:
    """The claims one ``--claims-from`` source binds at module level, in definition order, and
    the source in words; a :class:`ClaimsFromError` when it does not load or defines none."""
    from ._core import Claim

    try:
        module, where = _import_source(spec)
    except Exception as exc:
        file = Path(spec) if _is_file(spec) else _module_file(spec)
        raise ClaimsFromError(
            f"--claims-from {spec}: it could not be loaded: {_reason(exc, [file])}"
        ) from None
    claims = tuple({id(v): v for v in vars(module).values() if isinstance(v, Claim)}.values())
    if not claims:
        raise ClaimsFromError(
            f"{where}: it defines no claims.Claim at module level (bind one to a name, e.g. "
            "CLAIM = Claim(...))"
        )
    return claims, where


def outside_claims(claims_from: Sequence[str | Path]) -> tuple[tuple[Claim, str], ...]:
    """The claims of the ``--claims-from`` sources with where each came from, in the order given,
    checked against each other and against :func:`claim_ids` (by name: nothing else is
    imported). A claim another source already holds (the same object, imported from it) is not
    added twice; an id two different claims share is a :class:`ClaimsFromError` naming both
    sources."""
    named = {cid: where[0] for cid, where in _named_sources().items()}
    builtin = None
    out: list[tuple[Claim, str]] = []
    seen: dict[str, tuple[Claim, str]] = {}
    for spec in claims_from:
        claims, where = _outside(_source_key(spec))
        for claim in claims:
            if claim.id in seen:
                if seen[claim.id][0] is claim:
                    continue  # the same claim, reached twice (one file imports the other)
                raise ClaimsFromError(
                    f"claim id {claim.id!r} is defined twice: by {where} and by "
                    f"{seen[claim.id][1]}; give one of them another id"
                )
            if claim.id in named:
                builtin = builtin or _load()
                if any(c is claim for c in builtin.claims):
                    continue  # imported from the catalogue or an installed package: that claim
                raise ClaimsFromError(
                    f"claim id {claim.id!r} is defined twice: by {where} and by "
                    f"{named[claim.id]}; give one of them another id"
                )
            seen[claim.id] = (claim, where)
            out.append((claim, where))
    return tuple(out)


def load(claims_from: Sequence[str | Path] = ()) -> Registry:
    """Every source's claims: the catalogue, the installed entry points and the ``claims_from``
    sources (``--claims-from``: .py files or module names). Broken catalogue modules and entry
    points are isolated (:attr:`Registry.broken`); a ``claims_from`` source that does not load,
    or whose id clashes with another source's, raises :class:`ClaimsFromError`."""
    outside = outside_claims(claims_from)
    base = _load()
    if not outside:
        return base
    return Registry(
        base.claims + tuple(c for c, _ in outside),
        base.broken,
        {**base.sources, **{c.id: where for c, where in outside}},
    )


def all_claims() -> tuple[Claim, ...]:
    """Every claim of the catalogue and the installed entry points that loads, in that order
    (:func:`broken_claims`: the others)."""
    return _load().claims


def broken_claims() -> tuple[BrokenClaim, ...]:
    """The catalogue modules and entry points that failed to yield their claim, with the
    reason."""
    return _load().broken


def get(claim_id: str) -> Claim:
    """The claim with this id (catalogue or entry point); :class:`BrokenClaimError` for a broken
    one, KeyError listing the known ids otherwise."""
    return _load().get(claim_id)
