"""On-disk cache of simulation results, so a report can be re-rendered without re-training.

Where you are: :meth:`claims.Claim.run` takes an optional :class:`SimulationCache`; with one, the
claim's ``simulate(params, ctx)`` output is looked up before it is computed. Derivation, fits,
controls and figures are always recomputed from the measurements (they take seconds), so a change
to a tolerance, a control or a template shows at once; only training is reused.

An entry is keyed by (claim id, params, seed, device, code version). The code version hashes the
source of ``theory/``, ``sim/`` and ``claims/`` (less the presentation-only modules listed in
:data:`PRESENTATION_ONLY`) with the Python, numpy and torch versions, so an edit to a simulator, a
claim or the trainer invalidates every entry, while an edit to the report template does not.

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
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from ._params import params_to_dict

__all__ = [
    "CACHE_ENV",
    "PRESENTATION_ONLY",
    "CacheEvent",
    "CorruptEntry",
    "SimulationCache",
    "TaskCache",
    "code_version",
    "default_cache_dir",
    "library_version",
]

FORMAT = 1  # bump when the envelope changes: old entries then fail the magic check
CACHE_ENV = "POLYCLAIMS_CACHE"  # environment variable overriding the default folder
_MAGIC = b"polyclaims-cache\n"
_DIGEST_LEN = 64  # hex sha256
_LEN_BYTES = 8

# Modules that only present results: editing them must not invalidate trained results.
PRESENTATION_ONLY = frozenset(
    {
        "claims/_cache.py",  # the envelope has its own FORMAT number
        "claims/_json.py",
        "claims/cli.py",
        "claims/conftest.py",
        "claims/report.py",
        "claims/test_claims.py",
        "claims/plotting.py",
        "claims/show.py",
    }
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

    @property
    def hit(self) -> bool:
        return self.outcome == "hit"

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "key": self.digest,
            "simulate_seconds": self.simulate_seconds,
            "detail": self.detail,
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


def _hash_packages(h: Any, packages: Sequence[Path]) -> None:
    for pkg in packages:
        for path in sorted(pkg.rglob("*.py")):
            rel = f"{pkg.name}/{path.relative_to(pkg).as_posix()}"
            if rel in PRESENTATION_ONLY:
                continue
            h.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")


def _library_packages() -> list[Path]:
    import sim
    import theory

    return [Path(theory.__file__).resolve().parent, Path(sim.__file__).resolve().parent]


@cache
def code_version() -> str:
    """sha256 over the simulation-relevant source files and the numeric libraries' versions."""
    h = hashlib.sha256()
    _versions(h)
    _hash_packages(h, [*_library_packages(), Path(__file__).resolve().parent])
    return h.hexdigest()


@cache
def library_version() -> str:
    """sha256 over ``theory/`` and ``sim/`` and the numeric libraries' versions: what every task
    (one training run of a sweep) depends on besides its own module."""
    h = hashlib.sha256()
    _versions(h)
    _hash_packages(h, _library_packages())
    return h.hexdigest()


@cache
def _module_digest(module: str) -> str:
    import importlib

    mod = importlib.import_module(module)
    src = getattr(mod, "__file__", None)
    if src is None:
        raise TypeError(f"task functions must live in a module with a source file, not {module!r}")
    return hashlib.sha256(Path(src).read_bytes()).hexdigest()


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=repr)


class SimulationCache:
    """Simulation outputs on disk, keyed by claim, params, seed, device and code version.

    ``read=False`` recomputes every entry (``--no-cache``) and stores the fresh result, so the
    next run is warm again. ``events`` records, per claim run, whether the entry was used.
    """

    def __init__(
        self, root: Path | str | None = None, *, read: bool = True, version: str | None = None
    ) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.read = read
        self._version = version
        self._tasks: TaskCache | None = None
        self.events: list[CacheEvent] = []

    def __repr__(self) -> str:
        return f"SimulationCache({str(self.root)!r}, read={self.read})"

    @property
    def tasks(self) -> TaskCache:
        """The per-task cache in ``<root>/tasks`` (same read policy): single training runs of a
        sweep, so an interrupted paper-scale run resumes, and claims sharing a run train it once."""
        if self._tasks is None:
            self._tasks = TaskCache(self.root / "tasks", read=self.read)
        return self._tasks

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = code_version()
        return self._version

    def key(self, claim_id: str, params: Any, seed: int, device: str) -> dict[str, Any]:
        as_dict = params_to_dict(params) if dataclasses.is_dataclass(params) else params
        return {
            "format": FORMAT,
            "claim": claim_id,
            "params": as_dict,
            "seed": seed,
            "device": device,
            "code": self.version,
        }

    def path(self, key: Mapping[str, Any]) -> Path:
        return self.root / f"{hashlib.sha256(_canonical(key).encode()).hexdigest()}.pkl"

    def fetch(
        self, claim_id: str, params: Any, seed: int, device: str, compute: Callable[[], M]
    ) -> M:
        """The cached measurements for this key, or ``compute()`` stored under it."""
        key = self.key(claim_id, params, seed, device)
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
                    CacheEvent(claim_id, path.stem, "hit", float(header["simulate_seconds"]))
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
        self.events.append(CacheEvent(claim_id, path.stem, outcome, seconds, detail))
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

    A task's key is the function's module and name, the sha256 of that module's source,
    :func:`library_version` (``theory/``, ``sim/`` and the numeric libraries) and the sha256 of
    the pickled item, which carries its own seed and device. Editing the claim's module, the
    trainer or the theory invalidates its tasks; editing another claim or the harness does not.
    So a task function must depend on nothing else that changes its numbers: its own module,
    ``theory/``, ``sim/`` and the item (a helper it needs from another ``claims/`` module belongs
    in one of those). The source digests are taken when the cache is created, before any run, so
    editing the code during a long sweep cannot store old results under the new code's key.
    The envelope, checksum and atomic write are :class:`SimulationCache`'s.
    """

    def __init__(self, root: Path | str, *, read: bool = True) -> None:
        self.root = Path(root)
        self.read = read
        self.hits = 0  # tasks loaded in this process
        self.stored = 0  # tasks computed and stored
        import sys

        self._library = library_version()  # the digests as of now, before any run starts
        self._modules = {
            name: _module_digest(name)
            for name in list(sys.modules)
            if name.startswith("claims.") and getattr(sys.modules[name], "__file__", None)
        }

    def __repr__(self) -> str:
        return f"TaskCache({str(self.root)!r}, read={self.read})"

    def key(self, fn: Callable[..., Any], item: Any) -> dict[str, Any]:
        if "<" in fn.__qualname__:  # lambdas and closures share qualnames: their keys would collide
            raise TypeError(
                f"a cached task must be a module-level function, not {fn.__qualname__!r}"
            )
        module = self._modules.get(fn.__module__) or _module_digest(fn.__module__)
        return {
            "format": FORMAT,
            "task": f"{fn.__module__}.{fn.__qualname__}",
            "module": module,
            "library": self._library,
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
