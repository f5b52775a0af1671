"""The harness held to its own standard: determinism, divergence reported as error, devices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from claims import get
from claims.cli import main

SMALL = {"n": "6", "m": "24,48", "instances": "8", "steps": "400"}


def _numbers(result) -> list[float]:
    return [v for f in result.fits for v in (f.fitted, *f.ci)]


def test_same_seed_gives_bit_identical_measurements() -> None:
    claim = get("collision-count")
    a = claim.run("smoke", seed=5, overrides=SMALL)
    b = claim.run("smoke", seed=5, overrides=SMALL)
    c = claim.run("smoke", seed=6, overrides=SMALL)
    assert a.status != "error" and c.status != "error", f"{a.explain()}\n{c.explain()}"
    assert _numbers(a) == _numbers(b), f"seed 5 twice: {_numbers(a)} != {_numbers(b)}"
    counts_a = [x.tolist() for x in a.measurements.counts]
    counts_c = [x.tolist() for x in c.measurements.counts]
    assert counts_a != counts_c, "seeds 5 and 6 gave identical counts"


def test_diverging_run_is_an_error_with_the_step_and_json_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    argv = ["run", "collision-count", "--scale", "smoke", "--set", "lr=1000", "--json", str(out)]
    for k, v in SMALL.items():
        argv += ["--set", f"{k}={v}"]
    code = main(argv)
    (entry,) = json.loads(out.read_text())["claims"]
    assert code == 1, (
        f"exit={code}, but should be 1 [a diverging run does not meet its expectation]"
    )
    assert entry["status"] == "error", f"status={entry['status']}, but should be error [lr=1000]"
    assert "diverged at step" in entry["error"] and "lr=1000" in entry["error"], entry["error"]
    assert "diverged at step" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on machines without CUDA")
def test_cuda_without_cuda_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "collision-count", "--scale", "smoke", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "device" in err and "CUDA is not available" in err, err
