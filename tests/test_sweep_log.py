"""benchmarks/false_failure.py's log handling on synthetic rows: a sweep replaces only its claims'
rows in the one log, and the whole-report count needs every claim at a seed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "false_failure.py"


@pytest.fixture(scope="module")
def ff() -> ModuleType:
    spec = importlib.util.spec_from_file_location("false_failure_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _row(cid: str, seed: int, ok: bool = True, controls: dict | None = None) -> dict:
    return {
        "id": cid,
        "seed": seed,
        "scale": "standard",
        "status": "pass" if ok else "inconclusive",
        "meets_expectation": ok,
        "off": [] if ok else ["x"],
        "controls": controls if controls is not None else {f"{cid}/flat": True},
    }


def test_a_sweep_replaces_only_its_claims_rows(ff: ModuleType, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(_row(c, s)) + "\n" for c in "ab" for s in range(3)))
    kept, replaced = ff.merge(log, [_row("a", s, ok=False) for s in range(2)])
    rows = [json.loads(x) for x in log.read_text().splitlines()]
    assert (kept, replaced) == (3, 3), (kept, replaced)
    assert [(r["id"], r["seed"], r["meets_expectation"]) for r in rows] == [
        ("a", 0, False),
        ("a", 1, False),
        ("b", 0, True),
        ("b", 1, True),
        ("b", 2, True),
    ], rows
    with pytest.raises(ValueError, match="twice"):
        ff.merge(log, [_row("c", 0), _row("c", 0)])


def test_whole_report_counts_seeds_where_every_claim_ran(ff: ModuleType) -> None:
    rows = [_row("a", s) for s in range(3)] + [_row("b", 0), _row("b", 1, ok=False)]
    rows.append(_row("a", 3, controls={"a/flat": True, "a/near-x": False}))  # b never ran at 3
    rows.append(_row("b", 3))
    rows.append(_row("a", 4, controls={"a/flat": False}))
    rows.append(_row("b", 4))
    whole = ff.whole_report(rows)
    assert whole == {0: True, 1: False, 3: True, 4: False}, (
        f"{whole}: seed 2 lacks b; a near miss (seed 3) is no control; an escaped control "
        "(seed 4) is a miss"
    )
