"""A broken catalogue module is isolated (issue 24, point 2): the registry names it with a
one-line reason, the other claims still list, show, run and report through ``claims.cli.main``,
and asking for the broken one by its id is a usage error (exit 2) giving that reason.

Broken modules live in a temporary folder added to ``claims.catalog.__path__`` (or replacing it,
with a working toy claim beside them), never in ``claims/catalog/``."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from claims import catalog, registry
from claims._json import schema
from claims.cli import main

# a working claim, cheap enough to run and report here
TOY_OK = textwrap.dedent(
    """
    from dataclasses import dataclass

    import sympy

    from claims import Claim, Control, Derivation, FitSpec


    @dataclass(frozen=True)
    class Params:
        mean: float = 1.0  # the simulated value


    def fit(meas, d, p, judge):
        return [judge.fit("value", predicted=1.0, fitted=meas, ci=(meas - 0.01, meas + 0.01))]


    CLAIM = Claim(
        id="toy-ok",
        title="Toy: the value is 1",
        statement="The value is 1.",
        source="tests/test_registry.py",
        params={s: Params() for s in ("smoke", "standard", "paper")},
        derive=lambda p: Derivation(sympy.Integer(1)),
        simulate=lambda p, ctx: p.mean,
        fits=(FitSpec("value", "the value", 0.1, why="toy"),),
        fit=fit,
        controls=(Control("two", "the value is 2", predict={"value": 2.0}),),
    )
    """
)

# the example: a Claim without `paper` params (the line that fails is CLAIM = ...)
NO_PAPER = TOY_OK.replace('"toy-ok"', '"toy-no-paper"').replace(
    '("smoke", "standard", "paper")', '("smoke", "standard")'
)

BROKEN = {  # module name -> (source, what its one-line reason must contain)
    "toy_no_paper": (
        NO_PAPER,
        [
            "ValueError",
            "lacks params for scales ['paper']",
            f"line {NO_PAPER.splitlines().index('CLAIM = Claim(') + 1}",
        ],
    ),
    "toy_bad_import": (
        "import polyclaims_no_such_module\n",
        ["ModuleNotFoundError", "polyclaims_no_such_module", "line 1"],
    ),
    "toy_syntax": ("CLAIM = (\n", ["SyntaxError", "toy_syntax.py"]),
    "toy_no_claim": ("VALUE = 1\n", ["TypeError", "must define CLAIM", "none"]),
    "toy_wrong_id": (
        TOY_OK.replace('id="toy-ok"', 'id="toy-other"'),
        ["ValueError", "defines claim 'toy-other'", "named after its id"],
    ),
}


Install = Callable[..., None]


@pytest.fixture
def scratch_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """``install(names, alone=False)``: the named modules (toy_ok or BROKEN's) written to a
    temporary folder on the catalogue's path, beside the real catalogue or (alone) instead of it.
    The registry cache and the imported modules are cleared before and after."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    real = list(catalog.__path__)
    written: list[str] = []

    def install(names: list[str], *, alone: bool = False) -> None:
        for name in names:
            source = TOY_OK if name == "toy_ok" else BROKEN[name][0]
            (folder / f"{name}.py").write_text(source, encoding="utf-8")
            written.append(name)
        monkeypatch.setattr(catalog, "__path__", [str(folder)] if alone else [*real, str(folder)])
        registry._load.cache_clear()

    yield install
    registry._load.cache_clear()
    for name in written:
        sys.modules.pop(f"{catalog.__name__}.{name}", None)


def _one_line(text: str, case: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in text, (
        f"stderr={text!r}, but should be one line without a traceback [{case}]"
    )
    return lines[0]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_module_is_named_with_a_one_line_reason(
    name: str, scratch_catalog: Install
) -> None:
    scratch_catalog([name])
    broken = registry.broken_claims()
    ids = [b.id for b in broken]
    cid = name.replace("_", "-")
    assert ids == [cid], f"broken={ids}, but should be [{cid!r}] [{name}]"
    (b,) = broken
    missing = [n for n in BROKEN[name][1] if n not in b.reason]
    assert not missing and "\n" not in b.reason, (
        f"reason={b.reason!r}, but should be one line naming {BROKEN[name][1]} [{name}]"
    )
    working = [c.id for c in registry.all_claims()]
    assert "collision-count" in working and cid not in working, (
        f"all_claims()={working}, but should hold the real claims and not {cid!r} [{name}]"
    )
    with pytest.raises(registry.BrokenClaimError) as raised:
        registry.get(cid)
    assert b.reason in str(raised.value), f"get({cid!r}) raised {raised.value!r} [{name}]"


def test_list_names_the_working_claims_and_each_broken_one(
    scratch_catalog: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch_catalog(["toy_no_paper", "toy_bad_import"])
    code = main(["list"])
    out, err = capsys.readouterr()
    assert code == 0, f"exit={code}, but list should still work (0) [two broken modules]"
    ids = [line.split("\t")[0] for line in out.splitlines()]
    expected = [c.id for c in registry.all_claims()]
    assert ids == expected and "collision-count" in ids, (
        f"listed {ids}, but should list the working claims {expected} [two broken modules]"
    )
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in err, (
        f"stderr={err!r}, but should be one line per broken claim [two broken modules]"
    )
    for cid, needle in (("toy-bad-import", "ModuleNotFoundError"), ("toy-no-paper", "paper")):
        assert any(cid in line and needle in line for line in lines), (
            f"stderr={err!r}, but should name {cid} with {needle!r} [two broken modules]"
        )


def test_show_works_for_the_others_and_refuses_the_broken_one(
    scratch_catalog: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch_catalog(["toy_no_paper"])
    code = main(["show", "collision-count"])
    out = capsys.readouterr().out
    assert code == 0 and "collision-count" in out, (
        f"exit={code}, but show of a working claim should be 0 [beside a broken module]"
    )
    code = main(["show", "toy-no-paper"])
    line = _one_line(capsys.readouterr().err, "show toy-no-paper")
    assert code == 2 and "toy-no-paper" in line and "lacks params" in line, (
        f"exit={code}, stderr={line!r}, but should be 2 with the reason [show toy-no-paper]"
    )


@pytest.mark.parametrize(
    "argv",
    [["run", "toy-no-paper"], ["run", "toy-ok", "toy-no-paper"], ["report", "toy-no-paper"]],
    ids=" ".join,
)
def test_run_or_report_of_a_broken_claim_by_id_exits_2(
    argv: list[str], scratch_catalog: Install, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch_catalog(["toy_ok", "toy_no_paper"], alone=True)
    extra = ["--cache-dir", str(tmp_path / "c")]
    extra += ["--out", str(tmp_path / "r")] if argv[0] == "report" else []
    code = main([*argv, *extra])
    out, err = capsys.readouterr()
    line = _one_line(err, " ".join(argv))
    assert code == 2 and "toy-no-paper" in line and "lacks params" in line, (
        f"exit={code}, stderr={line!r}, but should be 2 naming the broken claim [{argv}]"
    )
    assert "toy-ok" not in out, f"stdout={out!r}, but nothing should run [{argv}]"


def test_run_of_all_runs_the_working_claims_and_names_the_broken_ones(
    scratch_catalog: Install, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch_catalog(["toy_ok", "toy_bad_import"], alone=True)
    out_json = tmp_path / "out.json"
    code = main(["run", "--cache-dir", str(tmp_path / "c"), "--json", str(out_json)])
    out = capsys.readouterr().out
    assert code == 1, f"exit={code}, but should be 1 when a claim is broken [run, all]"
    assert "toy-ok" in out and "as expected" in out, f"stdout={out!r}: toy-ok should run [run]"
    assert "toy-bad-import is broken" in out and "1 broken, not run: toy-bad-import" in out, (
        f"stdout={out!r}, but should name the broken claim and count it [run, all]"
    )
    doc = json.loads(out_json.read_text("utf-8"))
    _validate(doc)
    assert [c["id"] for c in doc["claims"]] == ["toy-ok"], doc["claims"]
    assert [b["id"] for b in doc["broken"]] == ["toy-bad-import"], (
        f"claims.json broken={doc.get('broken')}, but should name toy-bad-import [run --json]"
    )
    code = main(["run", "toy-ok", "--cache-dir", str(tmp_path / "c")])
    assert code == 0, f"exit={code}, but a working claim run by id should be 0 [run toy-ok]"


def test_report_of_all_reports_the_broken_ones_and_exits_1(
    scratch_catalog: Install, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch_catalog(["toy_ok", "toy_no_paper"], alone=True)
    out = tmp_path / "r"
    code = main(["report", "--out", str(out), "--cache-dir", str(tmp_path / "c")])
    printed = capsys.readouterr().out
    assert code == 1, f"exit={code}, but should be 1 when a claim is broken [report, all]"
    assert "1 broken, not run: toy-no-paper" in printed, printed
    doc = json.loads((out / "claims.json").read_text("utf-8"))
    _validate(doc)
    assert [c["id"] for c in doc["claims"]] == ["toy-ok"] and doc["claims"][0][
        "meets_expectation"
    ], f"claims={doc['claims']}, but toy-ok should run as expected [report, all]"
    assert [b["id"] for b in doc["broken"]] == ["toy-no-paper"], doc.get("broken")
    for name in ("claims.md", "claims.html"):
        text = (out / name).read_text("utf-8")
        assert "toy-no-paper" in text and "could not be loaded" in text, (
            f"{name} should name the broken claim toy-no-paper [report, all]"
        )


def _validate(doc: dict) -> None:
    import jsonschema

    errors = [e.message for e in jsonschema.Draft202012Validator(schema()).iter_errors(doc)]
    assert not errors, f"claims.json does not validate against schema 1: {errors}"
