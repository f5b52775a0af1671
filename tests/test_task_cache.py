"""The per-task cache (claims/_cache.py TaskCache, used by Context.map): an interrupted sweep
resumes where it stopped, results are identical whichever executor computed them, two claims
sharing a run train it once, damaged entries are recomputed."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import claims.catalog.collision_count as cc
from claims import Context, get
from claims._cache import SimulationCache, TaskCache

CALLS: list[int] = []  # items computed in this process, in order


def _square(x: int) -> np.ndarray:
    CALLS.append(x)
    if x < 0:
        raise ValueError(f"item {x} fails")
    return np.arange(3) * x * x


def _squares(ctx: Context, items: list[int]) -> list[list[int]]:
    return [v.tolist() for v in ctx.map(_square, items)]


def test_interrupted_sweep_resumes_where_it_stopped(tmp_path: Path) -> None:
    tasks = TaskCache(tmp_path)
    CALLS.clear()
    with pytest.raises(ValueError, match="item -1 fails"):
        _squares(Context(tasks=tasks), [1, 2, -1, 3])
    assert CALLS == [1, 2, -1] and tasks.stored == 2, f"computed {CALLS}, stored {tasks.stored}"
    CALLS.clear()
    again = TaskCache(tmp_path)
    out = _squares(Context(tasks=again), [1, 2, 4, 3])
    assert CALLS == [4, 3], (
        f"the rerun computed {CALLS}; items 1 and 2 were stored before the failure"
    )
    assert again.hits == 2 and out == [[0, 1, 2], [0, 4, 8], [0, 16, 32], [0, 9, 18]]


def test_no_tasks_keeps_nothing(tmp_path: Path) -> None:
    CALLS.clear()
    _squares(Context(), [1, 2])
    _squares(Context(), [1, 2])
    assert CALLS == [1, 2, 1, 2] and not any(tmp_path.iterdir())


def test_pool_results_are_stored_and_identical(tmp_path: Path) -> None:
    with ProcessPoolExecutor(2) as pool:
        parallel = _squares(Context(executor=pool, tasks=TaskCache(tmp_path)), [5, 6, 7])
    CALLS.clear()
    serial = _squares(Context(tasks=TaskCache(tmp_path)), [5, 6, 7])
    assert CALLS == [], f"every pool result should have been stored, but {CALLS} were recomputed"
    assert serial == parallel == [[0, 25, 50], [0, 36, 72], [0, 49, 98]]


def test_pool_raises_the_first_failure_in_input_order(tmp_path: Path) -> None:
    with ProcessPoolExecutor(2) as pool, pytest.raises(ValueError, match="item -2 fails"):
        _squares(Context(executor=pool, tasks=TaskCache(tmp_path)), [1, -2, -3, 4])
    CALLS.clear()
    _squares(Context(tasks=TaskCache(tmp_path)), [1, 4])
    assert CALLS == [], "the successful runs of a failed sweep are kept"


def test_damaged_entry_is_recomputed(tmp_path: Path) -> None:
    _squares(Context(tasks=TaskCache(tmp_path)), [3])
    (entry,) = tmp_path.glob("*.pkl")
    entry.write_bytes(entry.read_bytes()[:-5])
    CALLS.clear()
    assert _squares(Context(tasks=TaskCache(tmp_path)), [3]) == [[0, 9, 18]]
    assert CALLS == [3], "a truncated entry must be recomputed, never unpickled"


def test_key_names_function_code_and_item(tmp_path: Path) -> None:
    tasks = TaskCache(tmp_path)
    a, b = tasks.key(_square, 1), tasks.key(_square, 2)
    assert a["task"] == "tests.test_task_cache._square"
    assert a["code"] == b["code"] and len(a["code"]) == 64, "the module's code version"
    assert a["item"] != b["item"], "different items, different keys"
    # a claim's tasks are keyed by the same code version as the claim's simulation
    task_code = tasks.key(cc._train_point, 1)["code"]
    assert task_code == SimulationCache(tmp_path).code("collision-count"), (
        "collision-count's task and simulation keys follow the same sources"
    )


def test_read_false_recomputes_and_stores(tmp_path: Path) -> None:
    _squares(Context(tasks=TaskCache(tmp_path)), [2])
    CALLS.clear()
    _squares(Context(tasks=TaskCache(tmp_path, read=False)), [2])
    assert CALLS == [2], "--no-cache recomputes every task"


def test_claims_sharing_runs_train_them_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """collision-count and collision-count-adamw with the same params train the same grid points
    (the same seeds): through one cache folder the second claim trains nothing."""
    small = {
        "n": "6",
        "m": "24,48",
        "instances": "8",
        "steps": "300",
        "train.optimiser.kind": "sgd",
        "lr": "0.1",
        "l1": "0.1",
        "weight_decay": "0",
    }
    first = get("collision-count").run("smoke", 3, overrides=small, cache=SimulationCache(tmp_path))
    trained: list[int] = []
    real_train = cc.train

    def counting(p):  # type: ignore[no-untyped-def]
        trained.append(p.m)
        return real_train(p)

    monkeypatch.setattr(cc, "train", counting)
    cache = SimulationCache(tmp_path)
    second = get("collision-count-adamw").run("smoke", 3, overrides=small, cache=cache)
    assert trained == [] and cache.tasks.hits == 2, f"trained again: m = {trained}"
    assert [f.fitted for f in first.fits] == [f.fitted for f in second.fits]
