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
