"""The polyclaims command: list, show, run, report, --set, --json, the cache, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
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
        (["run", "collision-count", "--set", "n=0"], "train.model.n=0"),
        (["run", "collision-count", "--set", "lr=-1"], "train.optimiser.lr"),
        (
            ["run", "collision-count", "--set", "train.optimiser.kind=rmsprop"],
            "train.optimiser.kind",
        ),
        (["run", "collision-count", "--set", "train.seed=3"], "--seed"),
        (["run", "collision-count", "--set", "m=64,abc"], "m="),
        (["run", "collision-count", "--set", "novalue"], "--set"),
        (["run", "no-such-claim"], "no-such-claim"),
        (["run", "collision-count", "--seed", "-1"], "seed"),
        (["run", "collision-count", "--workers", "0"], "workers"),
        (["run", "collision-count", "--device", "tpu"], "device"),
    ],
)
def test_usage_errors_exit_2_and_name_the_key(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, f"exit={code}, but should be 2 [{argv}]"
    assert needle in err and ("allowed" in err or "unknown" in err), (
        f"stderr={err!r} should name {needle!r} [{argv}]"
    )
    assert "Traceback" not in err, err


def test_run_smoke_writes_schema_1_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    code = main(
        [
            "run",
            "collision-count",
            "--scale",
            "smoke",
            "--set",
            "n=6",
            "--set",
            "m=24,48",
            "--set",
            "instances=8",
            "--set",
            "steps=400",
            "--json",
            str(out),
            "--cache-dir",
            str(tmp_path / "c"),
        ]
    )
    doc = json.loads(out.read_text())
    assert code in (0, 1), f"exit={code}, but a smoke run should finish (0 or 1)"
    assert doc["schema"] == 1 and doc["scale"] == "smoke" and doc["seed"] == 0
    (entry,) = doc["claims"]
    assert (
        entry["id"] == "collision-count"
        and entry["params"]["train"]["model"]["n"] == 6
        and entry["params"]["m"] == [24, 48]
    )
    assert entry["status"] in ("pass", "fail", "inconclusive"), entry.get("error")
    base = {"collision-count/n2-over-2m", "collision-count/flat", "collision-count/same-sign"}
    ids = {c["id"] for c in entry["controls"]}
    assert entry["prediction"]["sympy"] and ids == base, sorted(ids)
    printed = capsys.readouterr().out
    assert "collision-count" in printed and "smoke scale only exercises the plumbing" in printed, (
        printed
    )
    assert "claims as expected" in printed.strip().splitlines()[-1], "a closing summary line"


def test_report_states_set_overrides(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        "report",
        "collision-count",
        "--scale",
        "smoke",
        "--set",
        "instances=8",
        "--set",
        "steps=200",
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    main(args)
    doc = json.loads((out / "claims.json").read_text("utf-8"))
    assert doc["overrides"] == {
        "collision-count.train.instances": "8",
        "collision-count.train.optimiser.steps": "200",
    }, doc
    train = doc["claims"][0]["params"]["train"]
    assert train["instances"] == 8 and train["optimiser"]["steps"] == 200, train
    md = (out / "claims.md").read_text("utf-8")
    assert "`collision-count.train.instances=8`, `collision-count.train.optimiser.steps=200`" in md
    assert (
        "--set collision-count.train.instances=8 --set collision-count.train.optimiser.steps=200"
        in md
    ), "the generating command repeats the overrides"
    assert "Smoke scale" in md, "a smoke report says its verdicts mean nothing"


def test_report_bad_set_exits_2_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code = main(
        [
            "report",
            "collision-count",
            "--scale",
            "smoke",
            "--set",
            "instances=1",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2 and "instances" in capsys.readouterr().err
    assert not (tmp_path / "claims.json").exists()


def test_report_answered_also_bad_file_exits_2_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    missing = tmp_path / "no-such" / "claims.json"
    out = tmp_path / "out"
    args = ["collision-count", "--scale", "smoke", "--answered-also", str(missing)]
    code = main(["report", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "--answered-also" in err and str(missing) in err, (code, err)
    assert not (out / "claims.json").exists(), "nothing may be trained or written"


def test_report_answered_also_adds_the_rows_of_another_report(tmp_path: Path) -> None:
    common = ["collision-count", "--scale", "smoke", "--cache-dir", str(tmp_path / "cache")]
    assert main(["report", *common, "--seed", "3", "--out", str(tmp_path / "a")]) in (0, 1)
    # rows of the run's own scale merge with its own; relabel the first report as another scale
    doc = json.loads((tmp_path / "a" / "claims.json").read_text("utf-8"))
    also = tmp_path / "also.json"
    also.write_text(json.dumps(doc | {"scale": "paper"}), "utf-8")
    main(["report", *common, "--out", str(tmp_path / "b"), "--answered-also", str(also)])
    md = (tmp_path / "b" / "claims.md").read_text("utf-8")
    rows = [x for x in md.splitlines() if x.startswith("| Claim 3")]
    assert len(rows) == 2 and "(paper scale, seed 3)" in rows[1], (
        f"answered rows {rows}: expected this run's and one from the --answered-also report"
    )


def test_claim_scoped_set_applies_to_that_claim_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "report",
            "collision-count",
            "collision-count-adamw",
            "--scale",
            "smoke",
            "--set",
            "collision-count.m=32,64",
            "--set",
            "collision-count.train.instances=8",
            "--set",
            "collision-count-adamw.train.optimiser.steps=50",
            "--out",
            str(out),
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    doc = json.loads((out / "claims.json").read_text("utf-8"))
    params = {c["id"]: c["params"] for c in doc["claims"]}
    assert (
        params["collision-count"]["m"] == [32, 64]
        and params["collision-count"]["train"]["instances"] == 8
    )
    assert params["collision-count-adamw"]["m"] == [64, 128], (
        "a scoped override must not reach another claim"
    )
    assert (
        params["collision-count-adamw"]["train"]["optimiser"]["steps"] == 50
        and params["collision-count"]["train"]["optimiser"]["steps"] == 300
    )
    assert doc["overrides"] == {
        "collision-count.m": "32,64",
        "collision-count.train.instances": "8",
        "collision-count-adamw.train.optimiser.steps": "50",
    }, doc["overrides"]
    assert code in (0, 1)


def test_scoped_set_with_unknown_claim_is_named(capsys: pytest.CaptureFixture) -> None:
    assert main(["run", "--scale", "smoke", "--set", "no-such-claim.n=3"]) == 2
    assert "no-such-claim.n" in capsys.readouterr().err


def test_scoped_set_for_a_claim_not_run_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code = main(
        [
            "report",
            "collision-count-adamw",
            "--scale",
            "smoke",
            "--set",
            "collision-count.m=32,64",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2 and "collision-count.m" in capsys.readouterr().err, (
        "it would be silently unused"
    )
    assert not (tmp_path / "claims.json").exists()


def test_run_json_records_overrides(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    main(
        [
            "run",
            "collision-count",
            "--scale",
            "smoke",
            "--set",
            "instances=8",
            "--json",
            str(out),
            "--cache-dir",
            str(tmp_path / "c"),
        ]
    )
    assert json.loads(out.read_text("utf-8"))["overrides"] == {
        "collision-count.train.instances": "8"
    }


def test_a_plain_key_with_several_meanings_exits_2_naming_claims_and_paths(
    capsys: pytest.CaptureFixture,
) -> None:
    assert main(["run", "--scale", "smoke", "--set", "lr=0.05"]) == 2
    err = capsys.readouterr().err
    for path in (
        "collision-count.train.optimiser.lr",
        "init-diagonal.sgd.optimiser.lr",
        "init-diagonal.adamw.optimiser.lr",
    ):
        assert path in err, f"{path!r} missing from: {err}"


def test_dotted_override_reaches_the_trainer_of_exactly_that_claim(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import claims.catalog.collision_count as cc

    seen: list = []

    def record(params):
        seen.append(params)
        raise RuntimeError("recorded")

    monkeypatch.setattr(cc, "train", record)
    main(
        [
            "run",
            "collision-count",
            "collision-count-adamw",
            "--scale",
            "smoke",
            "--no-cache",
            "--cache-dir",
            str(tmp_path),
            "--set",
            "collision-count.train.optimiser.steps=123",
        ]
    )
    assert [p.optimiser.steps for p in seen] == [123, 7500], (
        f"steps per trainer call: {[p.optimiser.steps for p in seen]}"
    )


def test_show_lists_the_trainer_lr_with_its_default_and_comment(
    capsys: pytest.CaptureFixture,
) -> None:
    assert main(["show", "collision-count"]) == 0
    out = capsys.readouterr().out
    line = next(
        line for line in out.splitlines() if line.strip().startswith("train.optimiser.lr = ")
    )
    assert "train.optimiser.lr = 0.1" in line and "stable" in line, line
    for needle in ("slope", "band ± 0.25", "n2-over-2m", "confidence = 0.95"):
        assert needle in out, f"{needle!r} missing from `show`"


def test_unwritable_json_path_exits_2_at_once(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    start = time.perf_counter()
    assert main(["run", "collision-count", "--json", "/proc/x.json"]) == 2
    assert "/proc/x.json" in capsys.readouterr().err
    assert main(["run", "collision-count", "--json", str(tmp_path)]) == 2  # a folder
    assert "is a folder" in capsys.readouterr().err
    assert time.perf_counter() - start < 10, "answered before any simulation"


def test_second_run_is_served_from_the_cache(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    argv = [
        "run",
        "collision-count",
        "--scale",
        "smoke",
        "--set",
        "instances=8",
        "--cache-dir",
        str(tmp_path),
    ]
    main(argv)
    first = capsys.readouterr().out
    main(argv)
    second = capsys.readouterr().out
    assert "[cache miss]" in first and "[cache hit]" in second, f"{first}\n---\n{second}"


def test_ctrl_c_exits_130_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import claims.report

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(claims.report, "run_claims", interrupted)
    assert main(["run", "collision-count", "--scale", "smoke"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, (
        err
    )


def test_version_and_usage_errors_need_no_torch_or_sympy() -> None:
    code = (
        "import sys; from claims.cli import main; rc = main(['run', 'no-such-claim']); "
        "print(rc, 'torch' in sys.modules, 'sympy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["2", "False", "False"], f"exit, torch imported, sympy imported = {out}"
    version = subprocess.run(
        [sys.executable, "-m", "claims.cli", "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.startswith("polyclaims "), version
