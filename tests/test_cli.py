"""The polyclaims command: list, run, --set, --json, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claims import all_claims
from claims.cli import main


def test_list_prints_every_id_first_then_title(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    ids = [line.split("\t")[0] for line in lines]
    assert ids == [c.id for c in all_claims()], f"ids={ids}"
    assert all(len(line.split("\t")) == 2 and line.split("\t")[1] for line in lines)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "collision-count", "--set", "bogus=1"], "bogus"),
        (["run", "collision-count", "--set", "n=0"], "n=0"),
        (["run", "collision-count", "--set", "lr=-1"], "lr"),
        (["run", "collision-count", "--set", "optimizer=rmsprop"], "optimizer"),
        (["run", "collision-count", "--set", "m=64,abc"], "m="),
        (["run", "collision-count", "--set", "novalue"], "--set"),
        (["run", "no-such-claim"], "no-such-claim"),
        (["run", "collision-count", "--seed", "-1"], "seed"),
        (["run", "collision-count", "--device", "tpu"], "device"),
    ],
)
def test_usage_errors_exit_2_and_name_the_key(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, f"exit={code}, but should be 2 [{argv}]"
    assert needle in err and ("allowed" in err or "unknown" in err), f"stderr={err!r} should name {needle!r} [{argv}]"


def test_run_smoke_writes_schema_1_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    code = main(["run", "collision-count", "--scale", "smoke", "--set", "n=6", "--set", "m=24,48",
                 "--set", "instances=8", "--set", "steps=400", "--json", str(out)])
    doc = json.loads(out.read_text())
    assert code in (0, 1), f"exit={code}, but a smoke run should finish (0 or 1)"
    assert doc["schema"] == 1 and doc["scale"] == "smoke" and doc["seed"] == 0
    (entry,) = doc["claims"]
    assert entry["id"] == "collision-count" and entry["params"]["n"] == 6 and entry["params"]["m"] == [24, 48]
    assert entry["status"] in ("pass", "fail", "inconclusive"), entry.get("error")
    assert entry["prediction"]["sympy"] and {c["id"] for c in entry["controls"]} == {
        "collision-count/n2-over-2m", "collision-count/slope-half", "collision-count/same-sign"}
    assert "collision-count" in capsys.readouterr().out


def test_report_states_set_overrides(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["report", "collision-count", "--scale", "smoke", "--set", "instances=8", "--set", "steps=200",
            "--out", str(out), "--cache-dir", str(tmp_path / "cache")]
    main(args)
    doc = json.loads((out / "claims.json").read_text("utf-8"))
    assert doc["overrides"] == {"instances": "8", "steps": "200"}, doc.get("overrides")
    assert doc["claims"][0]["params"]["instances"] == 8 and doc["claims"][0]["params"]["steps"] == 200
    md = (out / "claims.md").read_text("utf-8")
    assert "**Overrides of the smoke parameters:** `instances=8`, `steps=200`" in md
    assert "--set instances=8 --set steps=200" in md, "the generating command repeats the overrides"


def test_report_bad_set_exits_2_before_training(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["report", "collision-count", "--scale", "smoke", "--set", "instances=1", "--out", str(tmp_path)])
    assert code == 2 and "instances" in capsys.readouterr().err
    assert not (tmp_path / "claims.json").exists()


def test_claim_scoped_set_applies_to_that_claim_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["report", "collision-count", "kurtosis-sparsity", "--scale", "smoke", "--set", "collision-count.m=32,64",
                 "--set", "collision-count.instances=8", "--out", str(out), "--cache-dir", str(tmp_path / "cache")])
    doc = json.loads((out / "claims.json").read_text("utf-8"))
    params = {c["id"]: c["params"] for c in doc["claims"]}
    assert params["collision-count"]["m"] == [32, 64] and params["collision-count"]["instances"] == 8
    assert params["kurtosis-sparsity"]["m"] == 16, "a scoped override must not reach another claim"
    assert doc["overrides"] == {"collision-count.m": "32,64", "collision-count.instances": "8"}
    assert code in (0, 1)


def test_scoped_set_with_unknown_claim_is_named(capsys: pytest.CaptureFixture) -> None:
    assert main(["run", "--scale", "smoke", "--set", "no-such-claim.n=3"]) == 2
    assert "no-such-claim.n" in capsys.readouterr().err


def test_scoped_set_for_a_claim_not_run_is_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["report", "kurtosis-sparsity", "--scale", "smoke", "--set", "collision-count.m=32,64",
                 "--out", str(tmp_path)])
    assert code == 2 and "collision-count.m" in capsys.readouterr().err, "it would be silently unused"
    assert not (tmp_path / "claims.json").exists()


def test_run_json_records_overrides(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    main(["run", "collision-count", "--scale", "smoke", "--set", "instances=8", "--json", str(out)])
    assert json.loads(out.read_text("utf-8"))["overrides"] == {"instances": "8"}
