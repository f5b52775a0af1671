"""claims.json, schema 1 (docs/design.md): the contract between the harness and everything that
reads its results. Written atomically (temporary file, then rename). Its JSON Schema is
``claims/schema/claims.schema.json``; ``tests/test_report.py`` validates every report against it."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._core import Result
from .registry import BrokenClaim

__all__ = ["SCHEMA_VERSION", "atomic_write_text", "claims_document", "schema", "write_claims_json"]

SCHEMA_VERSION = 1


def environment(device: str, precisions: Sequence[str] = ()) -> dict[str, Any]:
    """The machine and libraries of a run; ``matmul`` gives, for each matmul precision the run's
    trainers used, what it does on this device, measured (``sim.precision.probe``)."""
    import numpy
    import scipy
    import sympy
    import torch

    from sim.precision import probe

    matmul = {p: probe(p, device) for p in sorted(set(precisions))}
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "device": device,
        "threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "matmul": matmul,
    }


def _precisions(params: Any) -> list[str]:
    """Every ``matmul_precision`` value in a params dict (nested)."""
    if not isinstance(params, Mapping):
        return []
    out = [str(v) for k, v in params.items() if k == "matmul_precision"]
    return out + [p for v in params.values() for p in _precisions(v)]


def claims_document(
    results: Sequence[Result],
    *,
    scale: str,
    seed: int,
    device: str,
    seconds: float,
    extras: Mapping[str, Mapping[str, Any]] | None = None,
    overrides: Mapping[str, str] | None = None,
    broken: Sequence[BrokenClaim] = (),
) -> dict[str, Any]:
    """The schema-1 document; ``extras`` adds optional per-claim fields the schema allows (the
    report adds ``cache``: whether the simulation came from the cache); ``broken`` names the
    catalogue modules that could not be loaded (absent when none)."""
    extras = extras or {}
    doc = {
        "schema": SCHEMA_VERSION,
        "scale": scale,
        "seed": seed,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": seconds,
        "environment": environment(device, [p for r in results for p in _precisions(r.params)]),
        "claims": [r.to_dict() | dict(extras.get(r.claim_id, {})) for r in results],
    }
    if overrides:
        doc["overrides"] = dict(overrides)
    if broken:
        doc["broken"] = [b.to_dict() for b in broken]
    return doc


def schema() -> dict[str, Any]:
    """The JSON Schema of claims.json (``claims/schema/claims.schema.json``)."""
    return json.loads(
        (Path(__file__).resolve().parent / "schema" / "claims.schema.json").read_text("utf-8")
    )


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader never sees a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is as readable as any file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_claims_json(path: Path, document: dict[str, Any]) -> None:
    # allow_nan=False: a NaN anywhere is a bug upstream, never something to publish
    atomic_write_text(path, json.dumps(document, indent=1, allow_nan=False) + "\n")
