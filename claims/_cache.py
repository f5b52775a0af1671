"""On-disk cache of simulation results, so a report can be re-rendered without re-training.

Where you are: :meth:`claims.Claim.run` takes an optional :class:`SimulationCache`; with one, the
claim's ``simulate(params, ctx)`` output is looked up before it is computed. Derivation, fits,
controls and figures are always recomputed from the measurements (they take seconds), so a change
to a tolerance, a control or a template shows at once; only training is reused.

An entry is keyed by (claim id, params, seed, device, code version), and the code version is the
claim's own: a sha256 over the source of the claim's module and of every project module it imports,
directly or through others, with the Python, numpy, scipy, sympy and torch versions
(:meth:`Sources.digest`). The project is ``theory/``, ``sim/`` and ``claims/``, and for a claim
defined outside them its own top-level package or file. Editing the trainer ``sim/autoencoder.py``
invalidates the claims that import it and no other; adding a module to ``theory/`` or a claim to
``claims/catalog/`` invalidates nothing, since nothing imports the new file yet. Presentation-only
modules (:data:`PRESENTATION_ONLY`: the report, the CLI, plotting, the claims' figures in
``claims/figures/``, the registry that finds the claims, this file) are left out and not followed,
so an edit to the report template or to a claim's figure keeps every entry. A claim's module is,
for a claim of the catalogue, ``claims/catalog/<id>.py`` (the registry ties the id to that module,
so a variant made with ``dataclasses.replace`` that keeps a catalogue id shares that claim's
entries — the tests use this to check that a warm re-render trains nothing; give a variant of other
numbers its own id); for any other claim, the module whose code built the ``Claim`` (recorded when
it is constructed) and the module of its ``simulate``.

The imports are read statically: each module's source is parsed with :mod:`ast` and every
``import`` / ``from … import`` in it — at module level, in functions, under ``TYPE_CHECKING`` —
is resolved against the project's folders, relative imports included; nothing outside the
project is followed (numpy, scipy, sympy, torch and Python count by their versions). This
is more robust than reading ``sys.modules`` after the import: ``sys.modules`` is one set for the
whole process, so once the report has imported every claim it cannot tell which modules one claim
needs, and a module a simulation imports inside a function is not in it before the simulation
runs — while the key is taken before. Parsing also imports nothing and needs no state of the
process, so the key of a module tree can be computed (and tested) from its files alone. What the
static reading cannot see is an import by name at run time (``importlib.import_module(name)``):
only the registry does that, to list the catalogue, and it is right that a new claim there
changes no other claim's key. Code reached only through an object passed in at run time is not
followed either; the module of a claim's ``simulate`` is therefore always a root.

The source files are read once per :class:`Sources` snapshot — the project's when the cache is
created, a file outside it the first time a key needs it — so editing the code during a long run
cannot store results of the code in memory under the edited code's key.

On disk one entry is one file, ``<sha256 of the key>.pkl``::

    b"polyclaims-cache\\n" <64 hex digits: sha256 of the rest> b"\\n"
    <8-byte big-endian header length> <header: JSON with the key, the payload size, seconds>
    <payload: the pickled measurements>

A file that is truncated, altered, of another format or for another key fails the checksum or the
key check and is deleted and recomputed, never unpickled. Entries are written to a temporary file
in the same folder and renamed into place (``os.replace``), so an interrupted run leaves either the
old entry or the new one, never half of one. Pickle runs code on load: the cache folder must be
as trusted as the checkout itself (it is a local folder you created, like ``__pycache__``).
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import logging
import os
import pickle
import platform
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ._params import params_to_dict

if TYPE_CHECKING:
    from ._core import Claim

__all__ = [
    "CACHE_ENV",
    "PRESENTATION_ONLY",
    "PROJECT_PACKAGES",
    "CacheEvent",
    "CorruptEntry",
    "SimulationCache",
    "Sources",
    "TaskCache",
    "code_version",
    "default_cache_dir",
    "presentation_only",
]

# bump when the envelope or the key's layout changes: every key then differs from the old ones
# 2: one code version per claim and per task (its module's imports), no longer the whole tree
FORMAT = 2
CACHE_ENV = "POLYCLAIMS_CACHE"  # environment variable overriding the default folder
_MAGIC = b"polyclaims-cache\n"
_DIGEST_LEN = 64  # hex sha256
_LEN_BYTES = 8

# Modules that only present results: editing them must not invalidate trained results. A key
# neither hashes them nor follows their imports (unless one is itself a claim's module). An entry
# ending in "/" is a folder: every module below it, present or added later (presentation_only).
PRESENTATION_ONLY = frozenset(
    {
        "claims/_cache.py",  # the envelope and the key layout have their own FORMAT number
        "claims/_json.py",
        "claims/cli.py",
        "claims/conftest.py",
        "claims/figures/",  # the claims' figures (its __init__ and one module per claim)
        "claims/registry.py",  # finds the claims (catalogue, entry points, --claims-from)
        "claims/report.py",
        "claims/test_claims.py",
        "claims/plotting.py",
        "claims/show.py",
    }
)


def presentation_only(label: str) -> bool:
    """Whether the module ``label`` (its path from its top-level package's parent,
    ``claims/figures/origins.py``) is listed in :data:`PRESENTATION_ONLY` or lies below a folder
    listed there."""
    return label in PRESENTATION_ONLY or any(
        entry.endswith("/") and label.startswith(entry) for entry in PRESENTATION_ONLY
    )


log = logging.getLogger("claims.cache")
M = TypeVar("M")

Outcome = Literal["hit", "miss", "refresh", "corrupt", "unstored"]


class CorruptEntry(Exception):
    """A cache file that fails the envelope, checksum or key check (it is never unpickled)."""


@dataclass(frozen=True)
class CacheEvent:
    """What the cache did for one claim run (shown in the report and in claims.json)."""

    claim_id: str
    digest: str  # sha256 of the key: the entry's file name
    outcome: Outcome  # hit: loaded; miss: absent, computed; refresh: recomputed on request;
    # corrupt: a bad entry was discarded and recomputed; unstored: computed, could not be stored
    simulate_seconds: float  # how long simulate() took when the entry was computed
    detail: str | None = None  # why an entry was discarded or not stored
    code: str | None = None  # the claim's code version in the key (sha256 of its sources)

    @property
    def hit(self) -> bool:
        return self.outcome == "hit"

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "key": self.digest,
            "simulate_seconds": self.simulate_seconds,
            "detail": self.detail,
            "code": self.code,
        }


def _repo_root() -> Path | None:
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() else None


def default_cache_dir() -> Path:
    """``$POLYCLAIMS_CACHE`` if set, else ``.polyclaims-cache/`` at the repository root (the
    current folder when the package is installed outside a checkout)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    return (_repo_root() or Path.cwd()) / ".polyclaims-cache"


def _versions(h: Any) -> None:
    import numpy
    import scipy
    import sympy
    import torch

    for label in (
        f"python {platform.python_version()}",
        f"numpy {numpy.__version__}",
        f"scipy {scipy.__version__}",  # the reduced flow's LSODA, the extremes' quadrature
        f"sympy {sympy.__version__}",
        f"torch {torch.__version__}",
    ):
        h.update(label.encode() + b"\0")


PROJECT_PACKAGES = ("theory", "sim", "claims")  # the packages whose modules a key follows

Root = tuple[str, "Path | None"]  # a module name and its source file (None: found by the name)


def _package_dirs() -> dict[str, Path]:
    """The folder of each project package, found without importing it."""
    import importlib.util

    dirs = {"claims": Path(__file__).resolve().parent}
    for name in PROJECT_PACKAGES:
        if name in dirs:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(f"the project package {name!r} cannot be found")
        dirs[name] = Path(next(iter(spec.submodule_search_locations))).resolve()
    return dirs


def _function_root(fn: Any) -> Root | None:
    """The module defining ``fn`` (a function, a ``functools.partial`` of one, a class)."""
    import functools
    import inspect
    import sys

    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = inspect.unwrap(fn) if callable(fn) else fn
    name = getattr(fn, "__module__", None)
    if not isinstance(name, str):
        return None
    src = getattr(sys.modules.get(name), "__file__", None)
    if src is None:  # a module executed without being registered (spec_from_file_location)
        src = getattr(getattr(fn, "__code__", None), "co_filename", None)
    return name, Path(src).resolve() if src and str(src).endswith(".py") else None


class Sources:
    """A snapshot of the project's source files and the keys computed from them.

    ``packages`` maps each project package to its folder (default: ``theory``, ``sim`` and
    ``claims`` where Python finds them; tests pass a copy). Their source files are read when the
    snapshot is made, a file outside them (a claim defined elsewhere) the first time a key needs
    it, and no file twice. :meth:`closure` lists the modules a set of root modules executes when
    imported; :meth:`digest` hashes them with the numeric libraries' versions.
    """

    def __init__(self, packages: Mapping[str, Path | str] | None = None) -> None:
        self.packages = (
            {k: Path(v).resolve() for k, v in packages.items()}
            if packages is not None
            else _package_dirs()
        )
        self._bytes: dict[Path, bytes] = {}
        self._imports: dict[tuple[str, Path], tuple[str, ...]] = {}
        self._digests: dict[frozenset[Root], str] = {}
        for folder in self.packages.values():  # the whole project now: a few hundred kB
            for path in sorted(folder.rglob("*.py")):
                self.read(path)

    def read(self, path: Path) -> bytes:
        """The file's bytes as of its first read in this snapshot."""
        if path not in self._bytes:
            self._bytes[path] = path.read_bytes()
        return self._bytes[path]

    # -- resolving module names ---------------------------------------------------------------

    def _tops(self, roots: Sequence[Root]) -> dict[str, Path]:
        """The project's top-level names -> their folder (a package) or file (a single module):
        the project packages and the top-level package or file of each root outside them."""
        tops = dict(self.packages)
        for name, src in roots:
            top = name.split(".")[0]
            if top in tops or src is None:
                continue
            depth = name.count(".") + (src.name == "__init__.py")  # folders between top and file
            if name == "__main__" or depth == 0:
                tops[top] = src  # a script or a top-level single-file module
            elif len(src.parents) > depth - 1 and src.parents[depth - 1].name == top:
                tops[top] = src.parents[depth - 1]
        return tops

    @staticmethod
    def _files(name: str, tops: Mapping[str, Path]) -> list[tuple[str, Path]]:
        """The project files ``import name`` executes, each package's ``__init__.py`` first, with
        their dotted names; the longest prefix of ``name`` that is a module (``sim.autoencoder``
        for ``sim.autoencoder.train``). Empty for a name outside the project."""
        parts = name.split(".")
        where = tops.get(parts[0])
        if where is None:
            return []
        if where.is_file():
            return [(parts[0], where)] if where.suffix == ".py" else []
        out: list[tuple[str, Path]] = []
        if (where / "__init__.py").is_file():
            out.append((parts[0], where / "__init__.py"))
        for i, part in enumerate(parts[1:], start=2):
            sub = where / part
            dotted = ".".join(parts[:i])
            if (sub / "__init__.py").is_file():  # the import system's order: a package first,
                out.append((dotted, sub / "__init__.py"))
                where = sub
            elif (where / f"{part}.py").is_file():  # then a module,
                out.append((dotted, where / f"{part}.py"))
                break
            elif sub.is_dir():  # then a namespace package (no file of its own)
                where = sub
            else:
                break
        return out

    def _imported(self, name: str, src: Path) -> tuple[str, ...]:
        """Every module name an import statement of this module may load, relative ones resolved:
        ``from a import b`` names ``a`` and ``a.b`` (``b`` may be a submodule)."""
        key = (name, src)
        if key not in self._imports:
            tree = ast.parse(self.read(src), filename=str(src))
            package = name if src.name == "__init__.py" else name.rpartition(".")[0]
            found: list[str] = []
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    if node.level:
                        parts = package.split(".") if package and name != "__main__" else []
                        if node.level - 1 >= len(parts):
                            continue  # beyond the top-level package: the import would fail
                        base = ".".join(parts[: len(parts) - (node.level - 1)])
                        base += f".{node.module}" if node.module else ""
                    else:
                        base = node.module or ""
                    found.append(base)
                    found += [f"{base}.{a.name}" for a in node.names if a.name != "*"]
            self._imports[key] = tuple(dict.fromkeys(found))
        return self._imports[key]

    def _label(self, name: str, src: Path, tops: Mapping[str, Path]) -> str:
        """The file's path from its top-level package's parent (``sim/autoencoder.py``): what
        the key hashes beside the bytes, independent of where the checkout lies."""
        where = tops.get(name.split(".")[0])
        if where is not None and where.is_dir():
            try:
                return f"{where.name}/{src.relative_to(where).as_posix()}"
            except ValueError:
                pass
        return src.name

    def closure(self, roots: Sequence[Root]) -> dict[str, Path]:
        """label -> file of the roots and of every project module they import, transitively.
        A presentation-only module (:data:`PRESENTATION_ONLY`) is neither included nor followed
        unless it is a root."""
        tops = self._tops(roots)
        todo: list[tuple[str, Path]] = []
        root_files: set[Path] = set()
        for name, src in roots:
            files = self._files(name, tops)
            if not (files and files[-1][0] == name):  # not found by its name: a script, say
                if src is None:
                    raise ValueError(f"module {name!r} has no source file in the project")
                files = [f for f in files if name.startswith(f"{f[0]}.")] + [(name, src)]
            todo += files
            root_files.add(files[-1][1])
        out: dict[str, Path] = {}
        seen: set[Path] = set()
        while todo:
            name, src = todo.pop()
            if src in seen:
                continue
            seen.add(src)
            label = self._label(name, src, tops)
            if presentation_only(label) and src not in root_files:
                continue
            out[label] = src
            for imported in self._imported(name, src):
                todo += [f for f in self._files(imported, tops) if f[1] not in seen]
        return out

    def digest(self, roots: Sequence[Root]) -> str:
        """sha256 over the numeric libraries' versions and the labels and bytes of
        :meth:`closure` (roots)."""
        key = frozenset(roots)
        if key not in self._digests:
            h = hashlib.sha256()
            _versions(h)
            for label, src in sorted(self.closure(list(roots)).items()):
                h.update(label.encode() + b"\0" + self.read(src) + b"\0")
            self._digests[key] = h.hexdigest()
        return self._digests[key]

    # -- what a claim and a task are keyed by ---------------------------------------------------

    def claim_roots(self, claim: Claim | str) -> tuple[Root, ...]:
        """The modules a claim's key starts from: ``claims/catalog/<id>.py`` for an id of the
        catalogue; otherwise the module that built the ``Claim`` and the module of its
        ``simulate`` (see the module docstring)."""
        claim_id = claim if isinstance(claim, str) else claim.id
        name = claim_id.replace("-", "_")
        if name.isidentifier() and (self.packages["claims"] / "catalog" / f"{name}.py").is_file():
            return ((f"claims.catalog.{name}", None),)
        if isinstance(claim, str):
            raise KeyError(f"{claim_id!r} is not a claim of the catalogue: pass the Claim itself")
        roots = [getattr(claim, "_origin", None), _function_root(claim.simulate)]
        found = tuple(
            dict.fromkeys(
                r
                for r in roots
                if r is not None and (r[1] is not None or r[0].split(".")[0] in self.packages)
            )
        )
        if not found:
            raise TypeError(f"claim {claim_id!r}: no module with a source file defines it")
        return found

    def task_roots(self, fn: Callable[..., Any]) -> tuple[Root, ...]:
        """The module of a task function ``fn`` (its key follows that module's imports)."""
        root = _function_root(fn)
        if root is None or (root[1] is None and root[0].split(".")[0] not in self.packages):
            raise TypeError(f"task functions must live in a module with a source file: {fn!r}")
        return (root,)


def code_version(claim: Claim | str, sources: Sources | None = None) -> str:
    """The code version of ``claim`` (a :class:`claims.Claim` or a catalogue id): sha256 over its
    module, every project module it imports transitively, and the numeric libraries' versions."""
    sources = sources or Sources()
    return sources.digest(sources.claim_roots(claim))


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=repr)


class SimulationCache:
    """Simulation outputs on disk, keyed by claim, params, seed, device and the claim's code
    version (:meth:`code`).

    ``read=False`` recomputes every entry (``--no-cache``) and stores the fresh result, so the
    next run is warm again. ``events`` records, per claim run, whether the entry was used.
    ``version`` fixes one code version for every claim instead (tests; tools keying otherwise).
    The source files are snapshot when the cache is created (:class:`Sources`).
    """

    def __init__(
        self,
        root: Path | str | None = None,
        *,
        read: bool = True,
        version: str | None = None,
        sources: Sources | None = None,
    ) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.read = read
        self._version = version
        self.sources = sources if sources is not None else Sources()
        self._tasks: TaskCache | None = None
        self.events: list[CacheEvent] = []

    def __repr__(self) -> str:
        return f"SimulationCache({str(self.root)!r}, read={self.read})"

    @property
    def tasks(self) -> TaskCache:
        """The per-task cache in ``<root>/tasks`` (same read policy): single training runs of a
        sweep, so an interrupted paper-scale run resumes, and claims sharing a run train it once."""
        if self._tasks is None:
            self._tasks = TaskCache(self.root / "tasks", read=self.read, sources=self.sources)
        return self._tasks

    @property
    def version(self) -> str | None:
        """The code version fixed for every claim, or None: each claim keyed by its own."""
        return self._version

    def code(self, claim: Claim | str) -> str:
        """The code version in ``claim``'s key (a Claim, or the id of a catalogue claim)."""
        if self._version is not None:
            return self._version
        return self.sources.digest(self.sources.claim_roots(claim))

    def key(self, claim: Claim | str, params: Any, seed: int, device: str) -> dict[str, Any]:
        as_dict = params_to_dict(params) if dataclasses.is_dataclass(params) else params
        return {
            "format": FORMAT,
            "claim": claim if isinstance(claim, str) else claim.id,
            "params": as_dict,
            "seed": seed,
            "device": device,
            "code": self.code(claim),
        }

    def path(self, key: Mapping[str, Any]) -> Path:
        return self.root / f"{hashlib.sha256(_canonical(key).encode()).hexdigest()}.pkl"

    def fetch(
        self, claim: Claim | str, params: Any, seed: int, device: str, compute: Callable[[], M]
    ) -> M:
        """The cached measurements for this key, or ``compute()`` stored under it. ``claim`` is
        the Claim, or the id of a catalogue claim (keyed from ``claims/catalog/<id>.py``)."""
        key = self.key(claim, params, seed, device)
        claim_id, code = key["claim"], key["code"]
        path = self.path(key)
        outcome: Outcome = "miss" if self.read else "refresh"
        detail = None
        if self.read:
            try:
                value, header = self.load(path, key)
            except FileNotFoundError:
                pass
            except CorruptEntry as exc:
                log.warning("discarding cache entry %s for %s: %s", path.name, claim_id, exc)
                path.unlink(missing_ok=True)
                outcome, detail = "corrupt", str(exc)
            else:
                self.events.append(
                    CacheEvent(
                        claim_id, path.stem, "hit", float(header["simulate_seconds"]), code=code
                    )
                )
                return value
        start = time.perf_counter()
        value = compute()
        seconds = time.perf_counter() - start
        try:
            self.store(path, key, value, seconds)
        except (pickle.PicklingError, TypeError, AttributeError, OSError) as exc:
            log.warning("could not cache the measurements of %s: %s", claim_id, exc)
            outcome, detail = "unstored", f"{type(exc).__name__}: {exc}"
        self.events.append(CacheEvent(claim_id, path.stem, outcome, seconds, detail, code=code))
        return value

    def event(self, claim_id: str) -> CacheEvent | None:
        """The latest event of this claim, if it ran through this cache."""
        for e in reversed(self.events):
            if e.claim_id == claim_id:
                return e
        return None

    # -- the envelope -----------------------------------------------------------------------

    @staticmethod
    def store(path: Path, key: Mapping[str, Any], value: Any, seconds: float) -> None:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        header = json.dumps(
            {
                "key": key,
                "size": len(payload),
                "simulate_seconds": seconds,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            sort_keys=True,
        ).encode()
        body = len(header).to_bytes(_LEN_BYTES, "big") + header + payload
        blob = _MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @staticmethod
    def load(path: Path, key: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The value stored at ``path`` for ``key`` and its header; :class:`CorruptEntry` when the
        file fails any check (it is unpickled only after the checksum and the key match)."""
        blob = path.read_bytes()
        head = len(_MAGIC) + _DIGEST_LEN + 1
        if (
            len(blob) < head + _LEN_BYTES
            or not blob.startswith(_MAGIC)
            or blob[head - 1 : head] != b"\n"
        ):
            raise CorruptEntry(
                f"not a polyclaims cache file of format {FORMAT} ({len(blob)} bytes)"
            )
        digest, body = blob[len(_MAGIC) : head - 1], blob[head:]
        if hashlib.sha256(body).hexdigest().encode() != digest:
            raise CorruptEntry(f"checksum mismatch ({len(blob)} bytes: truncated or altered)")
        size = int.from_bytes(body[:_LEN_BYTES], "big")
        try:
            header = json.loads(body[_LEN_BYTES : _LEN_BYTES + size])
        except ValueError as exc:
            raise CorruptEntry(f"unreadable header: {exc}") from None
        if _canonical(header.get("key")) != _canonical(key):
            raise CorruptEntry("the entry was stored for another key")
        payload = body[_LEN_BYTES + size :]
        if len(payload) != header.get("size"):
            raise CorruptEntry(f"payload of {len(payload)} bytes, header says {header.get('size')}")
        try:
            return pickle.loads(payload), header
        except Exception as exc:
            raise CorruptEntry(f"unpickling failed: {type(exc).__name__}: {exc}") from None


class TaskCache:
    """Results of single tasks, ``fn(item)`` run by :meth:`claims.Context.map`: one training run
    of a sweep (a grid point, a seed). An interrupted paper-scale sweep resumes where it stopped,
    a report run with ``m`` overridden to part of the grid reuses the points already trained, and
    two claims whose runs coincide (``collision-count`` and ``collision-count-adamw`` at the paper
    scale) train them once.

    A task's key is the function's module and name, the code version of that module — the
    same digest as a claim's (:meth:`Sources.digest`): its source, the source of every project
    module it imports transitively, the numeric libraries' versions — and the sha256 of the
    pickled item, which carries its own seed and device. Editing the claim's module or anything
    it imports (the trainer, the theory, a shared helper in ``claims/``) invalidates its tasks;
    editing another claim, an unrelated module or the presentation does not. So a task function
    must depend on nothing else that changes its numbers than its module's imports and the item.
    The sources are snapshot when the cache is created (:class:`Sources`), before any run, so
    editing the code during a long sweep cannot store old results under the new code's key.
    The envelope, checksum and atomic write are :class:`SimulationCache`'s.
    """

    def __init__(
        self, root: Path | str, *, read: bool = True, sources: Sources | None = None
    ) -> None:
        self.root = Path(root)
        self.read = read
        self.hits = 0  # tasks loaded in this process
        self.stored = 0  # tasks computed and stored
        self.sources = sources if sources is not None else Sources()

    def __repr__(self) -> str:
        return f"TaskCache({str(self.root)!r}, read={self.read})"

    def key(self, fn: Callable[..., Any], item: Any) -> dict[str, Any]:
        if "<" in fn.__qualname__:  # lambdas and closures share qualnames: their keys would collide
            raise TypeError(
                f"a cached task must be a module-level function, not {fn.__qualname__!r}"
            )
        return {
            "format": FORMAT,
            "task": f"{fn.__module__}.{fn.__qualname__}",
            "code": self.sources.digest(self.sources.task_roots(fn)),
            "item": hashlib.sha256(pickle.dumps(item, protocol=4)).hexdigest(),
        }

    def _path(self, key: Mapping[str, Any]) -> Path:
        return self.root / f"{hashlib.sha256(_canonical(key).encode()).hexdigest()}.pkl"

    def get(self, fn: Callable[..., Any], item: Any) -> tuple[bool, Any]:
        """``(True, value)`` when a result of ``fn(item)`` is stored, else ``(False, None)``; a
        corrupt entry is deleted and reported as absent."""
        if not self.read:
            return False, None
        key = self.key(fn, item)
        path = self._path(key)
        try:
            value, _ = SimulationCache.load(path, key)
        except FileNotFoundError:
            return False, None
        except CorruptEntry as exc:
            log.warning("discarding task cache entry %s (%s): %s", path.name, key["task"], exc)
            path.unlink(missing_ok=True)
            return False, None
        self.hits += 1
        return True, value

    def put(self, fn: Callable[..., Any], item: Any, value: Any, seconds: float) -> None:
        """Store ``value`` as the result of ``fn(item)``; a value that cannot be pickled or a full
        disk is logged and skipped (the run goes on, only resumability is lost)."""
        key = self.key(fn, item)
        try:
            SimulationCache.store(self._path(key), key, value, seconds)
        except (pickle.PicklingError, TypeError, AttributeError, OSError) as exc:
            log.warning("could not cache a task of %s: %s", key["task"], exc)
            return
        self.stored += 1
