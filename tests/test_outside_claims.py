"""Claims from outside the package (issue 24, points 4 and 5): the claim of
docs/writing-a-claim.md, taken from its code block, runs through each route the document names —
an installed package's entry point (``polyclaims.claims``), ``--claims-from`` a file or a module,
and ``claims.testing.parametrize_with_claims`` in a pytest run of its own — and an id clash or a
broken source is named as the document says.

The outside package lives in tmp_path: its entry point is made visible without pip, by a
``*.dist-info`` folder (METADATA and entry_points.txt, the latter from the document's pyproject)
on ``sys.path``, which importlib.metadata reads. The registry cache is cleared before and after."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from claims import registry
from claims.cli import main

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "writing-a-claim.md"
ID = "abs-normal"  # the document's claim


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text("utf-8"), re.S)


CLAIM_SOURCE = _blocks("python")[0]  # "The smallest claim that works", a complete file


def _entry_points_txt() -> str:
    """entry_points.txt from the document's pyproject (its polyclaims.claims table)."""
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    (pyproject,) = [b for b in _blocks("toml") if "polyclaims.claims" in b]
    table = tomllib.loads(pyproject)["project"]["entry-points"]["polyclaims.claims"]
    assert table == {ID: "abs_normal:CLAIM"}, f"the document's entry points: {table}"
    return "[polyclaims.claims]\n" + "".join(f"{k} = {v}\n" for k, v in table.items())


Install = Callable[..., Path]


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """``install(entry_points, modules)``: a folder on sys.path holding ``modules`` ({name:
    source}) and, with ``entry_points`` (entry_points.txt text), a dist-info declaring them."""
    added: list[str] = []
    sites = itertools.count()

    def install(entry_points: str | None = None, modules: dict[str, str] | None = None) -> Path:
        site = tmp_path / f"site{next(sites)}"
        site.mkdir()
        for name, source in (modules or {}).items():
            (site / f"{name}.py").write_text(source, encoding="utf-8")
            added.append(name)
        if entry_points is not None:
            info = site / "outside_claims-0.1.dist-info"
            info.mkdir()
            (info / "METADATA").write_text(
                "Metadata-Version: 2.1\nName: outside-claims\nVersion: 0.1\n", encoding="utf-8"
            )
            (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")
        monkeypatch.syspath_prepend(str(site))  # also invalidates the import and metadata caches
        _clear()
        return site

    _clear()
    yield install
    _clear()
    for name in added:
        sys.modules.pop(name, None)


def _clear() -> None:
    registry._load.cache_clear()
    registry._outside.cache_clear()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str, case: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, (
        f"stderr={err!r}, but should be one line without a traceback [{case}]"
    )
    return lines[0]


# -- the entry point ---------------------------------------------------------------------------


def test_the_documents_claim_runs_through_its_entry_point(
    outside: Install, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside(_entry_points_txt(), {"abs_normal": CLAIM_SOURCE})
    assert ID in registry.claim_ids() and "abs_normal" not in sys.modules, (
        f"claim_ids()={registry.claim_ids()}, but should name {ID} without importing it"
    )
    code, out, err = _run(["list"], capsys)
    listed = [line.split("\t")[0] for line in out.splitlines()]
    assert code == 0 and listed[-1] == ID and "collision-count" in listed and not err, (
        f"exit={code}, listed={listed}, stderr={err!r}, but should list the catalogue, then {ID}"
    )
    code, out, _ = _run(["show", ID], capsys)
    assert code == 0 and "draws = 10000" in out and "# standard normal draws" in out, out
    code, out, _ = _run(["run", ID, "--cache-dir", str(tmp_path / "c")], capsys)
    assert code == 0 and "as expected" in out and "controls 1/1 rejected" in out, (
        f"exit={code}, stdout={out!r}, but should pass with its control rejected [entry point]"
    )


def test_a_broken_entry_point_is_isolated(
    outside: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    outside(
        "[polyclaims.claims]\n"
        f"{ID} = abs_normal:CLAIM\n"
        "no-module = polyclaims_no_such_module:CLAIM\n"
        "wrong-name = abs_normal:CLAIM\n"
        "collision-count = abs_normal:CLAIM\n",
        {"abs_normal": CLAIM_SOURCE},
    )
    code, out, err = _run(["list"], capsys)
    listed = [line.split("\t")[0] for line in out.splitlines()]
    assert code == 0 and ID in listed and "collision-count" in listed, (
        f"exit={code}, listed={listed}, but list should still work with the others [broken]"
    )
    for cid, needle in (
        ("no-module", "ModuleNotFoundError"),
        ("wrong-name", "names claim 'abs-normal'"),
        ("collision-count", "claims.catalog.collision_count"),
    ):
        assert any(
            f"claim {cid} is broken" in line and needle in line for line in err.split("\n")
        ), f"stderr={err!r}, but should name {cid} with {needle!r} [broken entry point]"
    code, _, err = _run(["show", "no-module"], capsys)
    line = _one_line(err, "show no-module")
    assert code == 2 and "polyclaims_no_such_module" in line, (
        f"exit={code}, stderr={line!r}, but should be 2 with the reason [show a broken one]"
    )


# -- --claims-from ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["file", "module"])
def test_the_documents_claim_runs_through_claims_from(
    how: str, outside: Install, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"my_claims_{how}"
    site = outside(None, {name: CLAIM_SOURCE})
    source = str(site / f"{name}.py") if how == "file" else name
    cache = ["--cache-dir", str(tmp_path / "c")]
    code, out, _ = _run(["list", "--claims-from", source], capsys)
    assert code == 0 and out.splitlines()[-1].startswith(f"{ID}\t"), f"exit={code}, {out!r}"
    code, out, _ = _run(["run", ID, "--claims-from", source, *cache], capsys)
    assert code == 0 and "controls 1/1 rejected" in out, (
        f"exit={code}, stdout={out!r}, but should pass with its control rejected [{how}]"
    )
    report = tmp_path / "r"
    code, out, _ = _run(
        ["report", ID, "--claims-from", source, "--out", str(report), *cache], capsys
    )
    assert code == 0 and ID in (report / "claims.md").read_text("utf-8"), (
        f"exit={code}, stdout={out!r}, but should report {ID} [{how}]"
    )
    code, _, err = _run(["run", "no-such-claim", "--claims-from", source], capsys)
    assert code == 2 and ID in err and "collision-count" in err, (
        f"exit={code}, stderr={err!r}, but an unknown id should list the outside ids too [{how}]"
    )


def test_a_claims_from_file_may_import_the_modules_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lone = tmp_path / "lone"  # not on sys.path
    lone.mkdir()
    (lone / "helper_beside.py").write_text(CLAIM_SOURCE, encoding="utf-8")
    (lone / "claims_beside.py").write_text("from helper_beside import CLAIM\n", encoding="utf-8")
    monkeypatch.setattr(sys, "path", list(sys.path))  # the folder it appends goes at teardown
    _clear()
    try:
        code, out, err = _run(["list", "--claims-from", str(lone / "claims_beside.py")], capsys)
    finally:
        _clear()
        for name in ("claims_beside", "helper_beside"):
            sys.modules.pop(name, None)
    assert code == 0 and out.splitlines()[-1].startswith(f"{ID}\t"), (
        f"exit={code}, stderr={err!r}, but should list {ID} imported from the module beside it"
    )


def test_an_id_two_sources_define_is_a_usage_error_naming_both(
    outside: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    twin = CLAIM_SOURCE.replace(f'id="{ID}"', 'id="twin"')
    site = outside(
        _entry_points_txt(),
        {
            "abs_normal": CLAIM_SOURCE,
            "copy_of_abs_normal": CLAIM_SOURCE,  # another claim object with the same id
            "twin_a": twin,
            "twin_b": twin,
            "catalogue_clash": CLAIM_SOURCE.replace(f'id="{ID}"', 'id="collision-count"'),
        },
    )
    copy, b = str(site / "copy_of_abs_normal.py"), str(site / "twin_b.py")
    for argv, names in (
        (["list", "--claims-from", copy], [copy, f"entry point '{ID} = abs_normal:CLAIM'"]),
        (
            ["show", "collision-count", "--claims-from", str(site / "catalogue_clash.py")],
            ["catalogue_clash.py", "claims.catalog.collision_count"],
        ),
        (["run", "twin", "--claims-from", "twin_a", "--claims-from", b], ["twin_a", b]),
    ):
        code, out, err = _run(argv, capsys)
        line = _one_line(err, " ".join(argv))
        missing = [n for n in names if n not in line]
        assert code == 2 and "defined twice" in line and not missing and not out, (
            f"exit={code}, stderr={line!r}, but should be 2 naming {names} [{argv}]"
        )
    # the entry point's own module, named again, is that claim, not a second one
    code, out, _ = _run(["list", "--claims-from", str(site / "abs_normal.py")], capsys)
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()].count(ID) == 1, out


@pytest.mark.parametrize(
    ("source", "needles"),
    [
        ("import polyclaims_no_such_module\n", ["ModuleNotFoundError", "line 1"]),
        ("CLAIM = (\n", ["SyntaxError", "broken.py"]),
        ("VALUE = 1\n", ["defines no claims.Claim"]),
    ],
    ids=["import-error", "syntax-error", "no-claim"],
)
def test_a_claims_from_that_does_not_load_is_a_usage_error(
    source: str,
    needles: list[str],
    outside: Install,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = outside(None, {"broken": source})
    for argv in (["list"], ["run", "collision-count"]):
        code, out, err = _run([*argv, "--claims-from", str(site / "broken.py")], capsys)
        line = _one_line(err, argv[0])
        missing = [n for n in [*needles, "broken.py"] if n not in line]
        assert code == 2 and not missing and not out, (
            f"exit={code}, stderr={line!r}, but should be 2 naming {missing} [{argv[0]}]"
        )
    code, _, err = _run(["list", "--claims-from", str(tmp_path / "absent.py")], capsys)
    assert code == 2 and "no such file" in err, f"exit={code}, stderr={err!r} [absent file]"


# -- the pytest helper -------------------------------------------------------------------------

HELPER_TEST = textwrap.dedent(
    """
    import dataclasses

    from claims import Control
    from claims.testing import TheoryPatch, parametrize_with_claims, shifted

    from abs_normal import CLAIM


    def _strategy():
        from hypothesis import strategies as st

        return st.fixed_dictionaries({"draws": st.integers(2_000, 4_000)})


    # the same measurement with a control it cannot reject (0.8 is √(2/π) to 0.003) and a strategy
    BAD = dataclasses.replace(
        CLAIM,
        id="abs-normal-bad",
        controls=(Control("close", "E|Z| = 0.8", predict={"mean-abs": 0.8}),),
        strategy=_strategy,
    )


    @parametrize_with_claims(
        [CLAIM, BAD],
        scale="standard",
        patches={
            "abs-normal": TheoryPatch("abs_normal", "mean_abs_normal", shifted(0.1), "mean-abs")
        },
    )
    def test_outside(check):
        check()
    """
)


def test_the_pytest_helper_checks_the_documents_claim(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "abs_normal.py").write_text(CLAIM_SOURCE, encoding="utf-8")
    (tmp_path / "test_outside.py").write_text(HELPER_TEST, encoding="utf-8")
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(REPO), str(site)]),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-rs", "test_outside.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    outcomes = dict(re.findall(r"test_outside\[(\S+)\] (PASSED|FAILED|SKIPPED)", done.stdout))
    expected = {
        f"{ID}:runs": "PASSED",
        f"{ID}/one:rejected": "PASSED",
        f"{ID}:band-rule": "PASSED",
        f"{ID}:strategy": "SKIPPED",  # the document's claim declares none
        f"{ID}:theory-patch": "PASSED",
        "abs-normal-bad:runs": "PASSED",
        "abs-normal-bad/close:rejected": "FAILED",  # the helper catches a control not rejected
        "abs-normal-bad:band-rule": "PASSED",
        "abs-normal-bad:strategy": "PASSED",
        "abs-normal-bad:theory-patch": "SKIPPED",  # no patch given for it
    }
    assert done.returncode == 1 and outcomes == expected, (
        f"exit={done.returncode}, outcomes={outcomes}, but should be 1 with {expected}\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
    )
    for reason in ("declares no hypothesis strategy", "no theory patch given"):
        assert reason in done.stdout, f"the skip reason {reason!r} should be shown\n{done.stdout}"
    assert "abs-normal-bad/close: status=inconclusive, but should be fail" in done.stdout or (
        "abs-normal-bad/close: status=pass, but should be fail" in done.stdout
    ), f"the failure should say which control and why\n{done.stdout[-3000:]}"
