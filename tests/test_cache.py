"""The simulation cache (claims/_cache.py): reuse, keying, corruption detection, atomic writes,
and its use by Claim.run. Synthetic values only: no training here."""

from __future__ import annotations

import dataclasses
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from claims import Claim, Context, Derivation, Fit, FitSpec, Judge
from claims._cache import (
    PRESENTATION_ONLY,
    CorruptEntry,
    SimulationCache,
    code_version,
    default_cache_dir,
)

REPO = Path(__file__).resolve().parents[1]
VERSION = "0" * 64  # a fixed code version: these tests do not hash the checkout


@dataclass(frozen=True)
class ToyParams:
    size: int = 8  # samples drawn per run


@dataclass(frozen=True)
class ToyMeasurements:
    x: np.ndarray  # the samples


class Counter:
    """compute() for the cache: returns a fresh array and counts its calls."""

    def __init__(self, value: np.ndarray | None = None) -> None:
        self.calls = 0
        self.value = np.arange(5.0) if value is None else value

    def __call__(self) -> ToyMeasurements:
        self.calls += 1
        return ToyMeasurements(self.value.copy())


def _fetch(
    cache: SimulationCache,
    compute: Counter,
    *,
    claim: str = "toy",
    params: ToyParams = ToyParams(),
    seed: int = 0,
    device: str = "cpu",
) -> ToyMeasurements:
    return cache.fetch(claim, params, seed, device, compute)


def _entries(root: Path) -> list[Path]:
    return sorted(root.glob("*.pkl"))


def test_second_fetch_loads_instead_of_computing(tmp_path: Path) -> None:
    compute = Counter()
    first = _fetch(SimulationCache(tmp_path, version=VERSION), compute)
    again = SimulationCache(tmp_path, version=VERSION)
    second = _fetch(again, compute)
    assert compute.calls == 1, f"compute ran {compute.calls} times, but should run once (then load)"
    np.testing.assert_array_equal(second.x, first.x)
    assert [e.outcome for e in again.events] == ["hit"], (
        f"events={again.events}, but should be one hit"
    )


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"claim": "other"}, id="claim"),
        pytest.param({"params": ToyParams(size=9)}, id="params"),
        pytest.param({"seed": 1}, id="seed"),
        pytest.param({"device": "cuda"}, id="device"),
    ],
)
def test_key_covers_claim_params_seed_device(tmp_path: Path, change: dict) -> None:
    compute = Counter()
    cache = SimulationCache(tmp_path, version=VERSION)
    _fetch(cache, compute)
    _fetch(cache, compute, **change)
    assert compute.calls == 2, (
        f"changing {change} reused the entry ({compute.calls} computes), but should recompute"
    )


def test_key_covers_code_version(tmp_path: Path) -> None:
    compute = Counter()
    _fetch(SimulationCache(tmp_path, version=VERSION), compute)
    _fetch(SimulationCache(tmp_path, version="1" * 64), compute)
    assert compute.calls == 2, "a new code version must not reuse an old entry"


def test_code_version_is_a_stable_sha256() -> None:
    v = code_version("collision-count")
    assert len(v) == 64 and int(v, 16) >= 0, (
        f"code_version('collision-count')={v!r}, but should be a sha256 hex digest"
    )
    cache = SimulationCache(version=None)
    assert cache.version is None and cache.code("collision-count") == v, (
        "a cache without a fixed version keys each claim by its own code version"
    )
    assert cache.code("l1-decay") != v, "two claims with different sources share a code version"


@pytest.mark.parametrize("rel", sorted(PRESENTATION_ONLY))
def test_presentation_only_entries_exist(rel: str) -> None:
    """A stale entry in the list would silently let an edit to a new file with that name keep old
    results; every name must be a file of the checkout, or a folder of it where it ends in "/"."""
    if rel.endswith("/"):
        assert (REPO / rel).is_dir() and any((REPO / rel).glob("*.py")), (
            f"PRESENTATION_ONLY lists the folder {rel}, which holds no module of the checkout"
        )
    else:
        assert (REPO / rel).is_file(), (
            f"PRESENTATION_ONLY lists {rel}, which is not a file of the checkout"
        )


def _corrupt_and_refetch(tmp_path: Path, damage) -> tuple[Counter, SimulationCache]:
    compute = Counter()
    _fetch(SimulationCache(tmp_path, version=VERSION), compute)
    (entry,) = _entries(tmp_path)
    damage(entry)
    cache = SimulationCache(tmp_path, version=VERSION)
    out = _fetch(cache, compute)
    np.testing.assert_array_equal(out.x, compute.value)
    return compute, cache


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), id="truncated"
        ),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-1]), id="last-byte-missing"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p: p.write_bytes(b"not a cache file at all"), id="garbage"),
        pytest.param(lambda p: p.write_bytes(_flip(p.read_bytes(), -3)), id="payload-byte-flipped"),
        pytest.param(lambda p: p.write_bytes(_flip(p.read_bytes(), 100)), id="header-byte-flipped"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes() + b"\0"), id="trailing-byte"),
    ],
)
def test_damaged_entry_is_discarded_and_recomputed(tmp_path: Path, damage) -> None:
    compute, cache = _corrupt_and_refetch(tmp_path, damage)
    assert compute.calls == 2, (
        f"compute ran {compute.calls} times, but a damaged entry must be recomputed"
    )
    (event,) = cache.events
    assert event.outcome == "corrupt" and event.detail, (
        f"event={event}, but should record the corruption"
    )
    again = SimulationCache(tmp_path, version=VERSION)
    _fetch(again, compute)
    assert compute.calls == 2 and again.events[0].hit, (
        "the recomputed entry should be stored and valid again"
    )


def _flip(blob: bytes, at: int) -> bytes:
    b = bytearray(blob)
    b[at] ^= 0xFF
    return bytes(b)


def test_damaged_entry_is_never_unpickled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compute = Counter()
    _fetch(SimulationCache(tmp_path, version=VERSION), compute)
    (entry,) = _entries(tmp_path)
    entry.write_bytes(_flip(entry.read_bytes(), -1))

    def refuse(*args, **kwargs):
        raise AssertionError("pickle.loads was called on an entry that fails its checksum")

    monkeypatch.setattr(pickle, "loads", refuse)
    with pytest.raises(CorruptEntry, match="checksum"):
        SimulationCache.load(
            entry, SimulationCache(tmp_path, version=VERSION).key("toy", ToyParams(), 0, "cpu")
        )


def test_entry_for_another_key_is_rejected(tmp_path: Path) -> None:
    compute = Counter()
    cache = SimulationCache(tmp_path, version=VERSION)
    _fetch(cache, compute, seed=1)
    (entry,) = _entries(tmp_path)
    os.replace(
        entry, cache.path(cache.key("toy", ToyParams(), 0, "cpu"))
    )  # seed 1's data under seed 0's name
    _fetch(cache, compute, seed=0)
    assert compute.calls == 2 and cache.events[-1].outcome == "corrupt", f"events={cache.events}"


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(min_value=0, max_value=10_000))
def test_any_truncation_is_detected(tmp_path_factory: pytest.TempPathFactory, cut: int) -> None:
    root = tmp_path_factory.mktemp("trunc")
    cache = SimulationCache(root, version=VERSION)
    key = cache.key("toy", ToyParams(), 0, "cpu")
    path = cache.path(key)
    cache.store(path, key, ToyMeasurements(np.linspace(0, 1, 50)), 1.0)
    blob = path.read_bytes()
    path.write_bytes(blob[: cut % len(blob)])
    with pytest.raises(CorruptEntry):
        SimulationCache.load(path, key)


def test_no_cache_recomputes_and_refreshes(tmp_path: Path) -> None:
    compute = Counter()
    _fetch(SimulationCache(tmp_path, version=VERSION), compute)
    compute.value = np.arange(3.0)
    forced = SimulationCache(tmp_path, read=False, version=VERSION)
    out = _fetch(forced, compute)
    assert compute.calls == 2 and forced.events[0].outcome == "refresh", f"events={forced.events}"
    np.testing.assert_array_equal(out.x, np.arange(3.0))
    warm = _fetch(SimulationCache(tmp_path, version=VERSION), compute)
    np.testing.assert_array_equal(
        warm.x, np.arange(3.0), err_msg="the refreshed entry should replace the old one"
    )


def test_unpicklable_result_is_returned_but_not_stored(tmp_path: Path) -> None:
    cache = SimulationCache(tmp_path, version=VERSION)
    out = cache.fetch("toy", ToyParams(), 0, "cpu", lambda: lambda: 1)
    assert callable(out)
    assert cache.events[0].outcome == "unstored" and _entries(tmp_path) == [], (
        f"events={cache.events}"
    )


def test_interrupted_write_leaves_no_entry_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _fetch(SimulationCache(tmp_path, version=VERSION), Counter())
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [], f"an interrupted write left {left}, but should leave nothing"


def test_default_folder_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("POLYCLAIMS_CACHE", str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("POLYCLAIMS_CACHE")
    assert default_cache_dir() == REPO / ".polyclaims-cache", (
        f"default_cache_dir()={default_cache_dir()}"
    )


# -- through Claim.run -------------------------------------------------------------------------

SIMULATE_CALLS: list[int] = []


def _derive(p: ToyParams) -> Derivation:
    return Derivation(sympy.Integer(0))


def _simulate(p: ToyParams, ctx: Context) -> ToyMeasurements:
    SIMULATE_CALLS.append(ctx.seed)
    return ToyMeasurements(ctx.rng("toy").normal(size=p.size))


def _fit(meas: ToyMeasurements, d: Derivation, p: ToyParams, judge: Judge) -> list[Fit]:
    return [judge.fit("mean", predicted=0.0, fitted=float(meas.x.mean()), ci=(-10.0, 10.0))]


TOY = Claim(
    id="toy-cache",
    title="toy",
    statement="toy",
    source="test",
    params={"smoke": ToyParams(4), "standard": ToyParams(), "paper": ToyParams(16)},
    derive=_derive,
    simulate=_simulate,
    fits=(FitSpec("mean", "mean of the samples", 100.0),),
    fit=_fit,
)


def test_claim_run_reuses_cached_measurements(tmp_path: Path) -> None:
    SIMULATE_CALLS.clear()
    first = TOY.run("standard", 3, cache=SimulationCache(tmp_path, version=VERSION))
    second = TOY.run("standard", 3, cache=SimulationCache(tmp_path, version=VERSION))
    assert SIMULATE_CALLS == [3], f"simulate ran for seeds {SIMULATE_CALLS}, but should run once"
    assert second.fits == first.fits
    np.testing.assert_array_equal(second.measurements.x, first.measurements.x)
    TOY.run("standard", 4, cache=SimulationCache(tmp_path, version=VERSION))
    TOY.run("smoke", 3, cache=SimulationCache(tmp_path, version=VERSION))
    assert SIMULATE_CALLS == [3, 4, 3], (
        f"another seed or scale must simulate afresh: {SIMULATE_CALLS}"
    )


def test_claim_run_without_cache_always_simulates() -> None:
    SIMULATE_CALLS.clear()
    TOY.run("smoke", 0)
    TOY.run("smoke", 0)
    assert SIMULATE_CALLS == [0, 0]


def test_simulation_error_is_not_cached(tmp_path: Path) -> None:
    def boom(p: ToyParams, ctx: Context) -> ToyMeasurements:
        raise RuntimeError("diverged")

    broken = dataclasses.replace(TOY, simulate=boom)
    r = broken.run("smoke", 0, cache=SimulationCache(tmp_path, version=VERSION))
    assert r.status == "error" and "diverged" in (r.error or ""), (
        f"status={r.status}, error={r.error}"
    )
    assert _entries(tmp_path) == [], "a failed simulation must leave no cache entry"
