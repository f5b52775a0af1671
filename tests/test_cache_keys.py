"""Cache keys per claim (claims/_cache.py Sources): a claim's code version covers its module and
every project module it imports transitively, and nothing else. The module trees are copies in
tmp_path (the checkout is never edited); nothing here trains."""

from __future__ import annotations

import importlib
import shutil
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from claims._cache import (
    PROJECT_PACKAGES,
    SimulationCache,
    Sources,
    TaskCache,
    presentation_only,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the project's Python sources (theory/, sim/, claims/) to edit."""
    root = tmp_path / "src"
    for name in PROJECT_PACKAGES:
        shutil.copytree(
            REPO / name,
            root / name,
            ignore=lambda folder, names: [
                n
                for n in names
                if n == "__pycache__" or (Path(folder, n).is_file() and not n.endswith(".py"))
            ],
        )
    return root


def _codes(tree: Path, *claim_ids: str) -> dict[str, str]:
    """Each claim's code version over the tree as it is now (a fresh snapshot)."""
    sources = Sources({name: tree / name for name in PROJECT_PACKAGES})
    return {cid: sources.digest(sources.claim_roots(cid)) for cid in claim_ids}


CLAIMS = ("collision-count", "collision-count-adamw", "capacity-allocation", "l1-decay")


def test_the_copy_is_keyed_like_the_checkout(tree: Path) -> None:
    """The copy's keys equal the checkout's: labels are paths inside the packages, not absolute."""
    real = SimulationCache(version=None)
    assert _codes(tree, *CLAIMS) == {cid: real.code(cid) for cid in CLAIMS}


def test_unrelated_modules_invalidate_nothing(tree: Path) -> None:
    before = _codes(tree, *CLAIMS)
    (tree / "theory" / "brand_new.py").write_text("RATE = 2\n")
    (tree / "sim" / "brand_new.py").write_text("import torch\n")
    (tree / "claims" / "catalog" / "brand_new.py").write_text(
        "from sim.autoencoder import train\nfrom theory import brand_new\nCLAIM = None\n"
    )
    # an existing module no claim of CLAIMS imports, and presentation-only modules, one of them
    # (plotting) imported by collision-count's figure code
    for rel in (
        "theory/origins.py",
        "claims/report.py",
        "claims/plotting.py",
        "claims/cli.py",
        "claims/registry.py",  # every claim reaches it (claims/__init__.py names it)
    ):
        with (tree / rel).open("a") as fh:
            fh.write("\n# an edit\n")
    assert _codes(tree, *CLAIMS) == before, "a module the claims do not import changed their key"


def test_figures_are_presentation_only(tree: Path) -> None:
    """The claims' figures (claims/figures/: its __init__, which every catalogue module imports,
    and one module per claim) are presentation only: editing them or adding one keeps every key,
    even for a claim module that imports its figure module directly."""
    with (tree / "claims" / "catalog" / "collision_count.py").open("a") as fh:
        fh.write("\nfrom ..figures import collision_count as _figure  # a direct import\n")
    before = _codes(tree, *CLAIMS)
    for rel in (
        "claims/figures/__init__.py",
        "claims/figures/collision_count.py",
        "claims/figures/l1_decay.py",
        "claims/figures/capacity_allocation.py",
    ):
        with (tree / rel).open("a") as fh:
            fh.write("\n# an edit\n")
    (tree / "claims" / "figures" / "brand_new.py").write_text("from theory import brand_new\n")
    assert _codes(tree, *CLAIMS) == before, "editing a figure changed a claim's key"
    sources = Sources({name: tree / name for name in PROJECT_PACKAGES})
    hashed = {label for cid in CLAIMS for label in sources.closure(sources.claim_roots(cid))}
    assert not [label for label in hashed if label.startswith("claims/figures/")], sorted(hashed)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("claims/figures/__init__.py", True),
        ("claims/figures/origins.py", True),
        ("claims/figures/sub/new.py", True),  # below the folder, added later
        ("claims/plotting.py", True),
        ("claims/figures.py", False),  # a module beside the folder, not in it
        ("claims/catalog/origins.py", False),
        ("sim/figures/x.py", False),
    ],
)
def test_presentation_only_matches_files_and_folders(label: str, expected: bool) -> None:
    assert presentation_only(label) is expected, label


@pytest.mark.parametrize(
    ("rel", "changed", "kept"),
    [
        pytest.param(
            "claims/catalog/collision_count.py",
            {"collision-count", "collision-count-adamw"},  # adamw imports its simulation
            {"capacity-allocation", "l1-decay"},
            id="own-module",
        ),
        pytest.param(
            "sim/autoencoder.py",
            {"collision-count", "collision-count-adamw", "l1-decay"},
            {"capacity-allocation"},  # the quadratic model only
            id="trainer",
        ),
        pytest.param(
            "sim/precision.py",  # imported by sim/autoencoder.py: two steps away
            {"collision-count", "collision-count-adamw", "l1-decay"},
            {"capacity-allocation"},
            id="transitive",
        ),
        pytest.param(
            "theory/collisions.py",
            {"collision-count", "collision-count-adamw"},
            {"capacity-allocation", "l1-decay"},
            id="theory",
        ),
        pytest.param("claims/fitting.py", set(CLAIMS), set(), id="claims-helper"),
        pytest.param("claims/_core.py", set(CLAIMS), set(), id="harness"),
    ],
)
def test_editing_what_a_claim_imports_changes_its_key(
    tree: Path, rel: str, changed: set[str], kept: set[str]
) -> None:
    snapshot = Sources({name: tree / name for name in PROJECT_PACKAGES})
    before = {cid: snapshot.digest(snapshot.claim_roots(cid)) for cid in CLAIMS}
    with (tree / rel).open("a") as fh:
        fh.write("\n# an edit\n")
    after = _codes(tree, *CLAIMS)
    assert {c for c in CLAIMS if after[c] != before[c]} == changed, (
        f"editing {rel} changed the keys of {sorted(c for c in CLAIMS if after[c] != before[c])}"
    )
    assert all(after[c] == before[c] for c in kept)
    again = {cid: snapshot.digest(snapshot.claim_roots(cid)) for cid in CLAIMS}
    assert again == before, "a snapshot reads each file once: a later edit must not change it"


def test_closure_follows_every_kind_of_import(tmp_path: Path) -> None:
    """Relative, absolute, submodule-by-from, function-level and TYPE_CHECKING imports are
    followed, within the project; an unimported module and outside packages are not."""
    files = {
        "pkgx/__init__.py": "",
        "pkgx/claim.py": """
            from typing import TYPE_CHECKING
            import numpy
            from .helpers import f
            from pkgx.sub import deep
            import pkgx.sub.other as other
            if TYPE_CHECKING:
                from .typing_only import T
            def simulate():
                from . import lazy
                return lazy
        """,
        "pkgx/helpers.py": "from ..beyond import nothing\nfrom . import chained\n",
        "pkgx/chained.py": "",
        "pkgx/lazy.py": "",
        "pkgx/typing_only.py": "",
        "pkgx/sub/__init__.py": "",
        "pkgx/sub/deep.py": "",
        "pkgx/sub/other.py": "",
        "pkgx/unrelated.py": "",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text))
    closure = Sources({}).closure([("pkgx.claim", tmp_path / "pkgx" / "claim.py")])
    assert sorted(closure) == sorted(set(files) - {"pkgx/unrelated.py"}), sorted(closure)


# -- a claim outside the package -----------------------------------------------------------------

OUTSIDE_LIB = """
import sympy
from claims import Derivation

CALLS = []

def derive(p):
    return Derivation(sympy.Integer(0))

def simulate(p, ctx):
    CALLS.append(ctx.seed)
    return ctx.rng("outside").normal(size=p.size)

def fit(meas, d, p, judge):
    return [judge.fit("mean", predicted=0.0, fitted=float(meas.mean()), ci=(-10.0, 10.0))]
"""

OUTSIDE_CLAIM = """
from dataclasses import dataclass

from claims import Claim, FitSpec
from outside_lib import derive, fit, simulate


@dataclass(frozen=True)
class P:
    size: int = 4  # samples


CLAIM = Claim(
    id="outside-toy",
    title="toy",
    statement="toy",
    source="test",
    params={"smoke": P(), "standard": P(), "paper": P()},
    derive=derive,
    simulate=simulate,
    fits=(FitSpec("mean", "mean of the samples", 100.0),),
    fit=fit,
)
"""


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A claim in a file outside the package (its simulate in a second file), importable."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "outside_lib.py").write_text(OUTSIDE_LIB)
    (folder / "outside_claim.py").write_text(OUTSIDE_CLAIM)
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name in ("outside_claim", "outside_lib"):
        sys.modules.pop(name, None)


def _outside_claim():  # type: ignore[no-untyped-def]
    sys.modules.pop("outside_claim", None)
    return importlib.import_module("outside_claim").CLAIM


def test_outside_claim_source_is_part_of_its_key(outside: Path, tmp_path: Path) -> None:
    claim = _outside_claim()
    cache = SimulationCache(tmp_path / "cache")
    labels = sorted(cache.sources.closure(cache.sources.claim_roots(claim)))
    assert {"outside_claim.py", "outside_lib.py", "claims/_core.py"} <= set(labels), labels
    lib = sys.modules["outside_lib"]
    claim.run("smoke", 1, cache=cache)
    claim.run("smoke", 1, cache=SimulationCache(tmp_path / "cache"))
    assert lib.CALLS == [1], f"simulate ran for {lib.CALLS}: the second run should load"
    for name in ("outside_claim.py", "outside_lib.py"):  # where CLAIM is built; its simulate
        with (outside / name).open("a") as fh:
            fh.write("\n# an edit\n")
        fresh = SimulationCache(tmp_path / "cache")
        assert fresh.code(claim) != cache.code(claim), f"editing {name} kept the key"
        _outside_claim().run("smoke", 1, cache=fresh)
        cache = fresh
    assert lib.CALLS == [1, 1, 1], f"simulate ran for {lib.CALLS}: each edit re-simulates"


def test_task_key_follows_its_module_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "taskpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tasks.py").write_text("from .helper import K\n\ndef square(x):\n    return K * x * x\n")
    (pkg / "helper.py").write_text("K = 1\n")
    (pkg / "other.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        square = importlib.import_module("taskpkg.tasks").square

        def code() -> str:
            return TaskCache(tmp_path / "cache").key(square, 3)["code"]

        before = code()
        (pkg / "new.py").write_text("K = 2\n")
        (pkg / "other.py").write_text("# an edit\n")
        assert code() == before, "an unrelated module changed the task's key"
        (pkg / "helper.py").write_text("K = 2\n")
        assert code() != before, "editing a module the task imports kept its key"
    finally:
        for name in ("taskpkg", "taskpkg.tasks", "taskpkg.helper"):
            sys.modules.pop(name, None)


def test_a_catalogue_id_is_keyed_by_its_module(tmp_path: Path) -> None:
    """A catalogue claim's key starts from claims/catalog/<id>.py whoever passes it (the id or
    the Claim), and an id outside the catalogue needs the Claim itself."""
    cache = SimulationCache(tmp_path)
    claim = importlib.import_module("claims.catalog.init_diagonal").CLAIM  # not all of them
    assert cache.code(claim) == cache.code("init-diagonal")
    with pytest.raises(KeyError, match="not a claim of the catalogue"):
        cache.code("no-such-claim")
