"""The answered table (claims/paper_claims.py): its declarations against the catalogue (every named
fit exists at every scale, every fit belongs to one row, every regime's numbers come from the
params), and its answers on synthetic results with known verdicts — a failure of a recorded
deviation outside the main statement reads "holds" with the finding listed, a main fit failing
reads "departs", gradient-descent and AdamW rows separate, and a paper-scale report adds its own
rows."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from claims import SCALES, Deviation, Fit, Result
from claims._params import params_to_dict
from claims.paper_claims import (
    QUESTIONS,
    Answer,
    Question,
    Row,
    Run,
    answers,
    main,
    regime_text,
    runs_from_json,
)
from claims.registry import catalog_ids, get
from claims.report import answers_markdown, build_report

# -- the declarations against the catalogue -----------------------------------------------------


def _split(ref: str) -> tuple[str, str]:
    claim, _, key = ref.partition(":")
    return claim, key


ANSWERED = tuple(dict.fromkeys(c for q in QUESTIONS for c in q.claims))


def test_every_catalogue_claim_answers_a_question() -> None:
    missing = sorted(set(catalog_ids()) - set(ANSWERED))
    assert not missing, f"catalogue claims no row of claims/paper_claims.py reads: {missing}"


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("claim_id", ANSWERED)
def test_declared_fits_exist_and_regimes_fill(claim_id: str, scale: str) -> None:
    """Each main fit, key number and scope pattern names fits the claim declares at this scale,
    and each regime's "{path}" fields are params of the claim at this scale."""
    claim = get(claim_id)
    params = claim.resolve(scale)
    keys = [s.key for s in claim.specs(params)]
    for q in QUESTIONS:
        for row in q.rows:
            refs = [_split(r) for r in (*row.main, *row.key) if _split(r)[0] == claim_id]
            unknown = [p for _, p in refs if not fnmatch.filter(keys, p)]
            assert not unknown, (
                f"{q.label} ({row.label or row.regime}): {claim_id} has no fit {unknown} at "
                f"{scale}; its fits: {keys}"
            )
            for c, pattern in row.patterns:
                if c == claim_id:
                    assert any(row.owns(c, k) for k in keys), (
                        f"{q.label}: scope {c}:{pattern} matches no fit of {claim_id} at {scale}"
                    )
            if row.claims[0] == claim_id:
                text = regime_text(row.regime, params_to_dict(params))
                assert "?}" not in text, f"{q.label}: regime {text!r} names a missing param"


@pytest.mark.parametrize("claim_id", ANSWERED)
def test_every_fit_is_in_exactly_one_rows_scope(claim_id: str) -> None:
    """Findings are listed once: each fit of a claim belongs to one row of one question."""
    claim = get(claim_id)
    for scale in SCALES:
        for key in (s.key for s in claim.specs(claim.resolve(scale))):
            owners = [
                f"{q.label} ({row.label})"
                for q in QUESTIONS
                for row in q.rows
                if row.owns(claim_id, key)
            ]
            assert len(owners) == 1, f"{claim_id}:{key} at {scale} is in the scope of {owners}"


def test_claim_3_and_claim_4_split_by_optimizer() -> None:
    by_label = {q.label: q for q in QUESTIONS}
    rows3 = by_label["Claim 3"].rows
    claim3 = [row.claims for row in rows3]
    assert claim3 == [
        ("collision-count",),
        ("collision-count-adamw",),
        ("collision-scaling",),
        ("collision-scaling",),
    ], claim3
    # across n (issue 26): one row per optimizer, each reading only its own arm's fits
    assert all("-sgd" in k for k in rows3[2].main + rows3[2].key + rows3[2].scope), rows3[2]
    assert all("-adamw" in k for k in rows3[3].main + rows3[3].key + rows3[3].scope), rows3[3]
    claim4 = by_label["Claim 4"].rows
    assert [r.label for r in claim4] == ["gradient descent", "the paper's AdamW"]
    assert all(k.endswith("-sgd") for k in claim4[0].main + claim4[0].key)
    assert all(k.endswith("-adamw") for k in claim4[1].main + claim4[1].key)


# -- synthetic results with known verdicts ------------------------------------------------------


def fit(key: str, fitted: float, ci: tuple[float, float], predicted: float = 1.0) -> Fit:
    """A "==" fit with band predicted ± 0.2: pass inside, fail outside, inconclusive astride."""
    return Fit(key, f"the {key} ratio", predicted=predicted, fitted=fitted, ci=ci, tolerance=0.2)


PASS = (1.0, (0.95, 1.05))
OFFSET = (1.1, (1.05, 1.15))  # inside the band, the interval excludes 1
FAIL = (2.0, (1.9, 2.1))
STRADDLE = (1.2, (1.1, 1.3))


def result(
    claim_id: str,
    fits: dict[str, tuple[float, tuple[float, float]]],
    *,
    deviations: dict[str, Deviation] | None = None,
    scale: str = "standard",
    seed: int = 0,
    params: dict[str, Any] | None = None,
    error: str | None = None,
) -> Result:
    built = tuple(fit(k, v, ci) for k, (v, ci) in fits.items())
    verdicts = [f.verdict for f in built]
    status = (
        "error" if error else next((v for v in ("fail", "inconclusive") if v in verdicts), "pass")
    )
    return Result(
        claim_id=claim_id,
        title=claim_id,
        statement=f"{claim_id} holds",
        source="tests/test_paper_claims.py",
        scale=scale,
        seed=seed,
        status=status,  # type: ignore[arg-type]
        fits=built,
        controls=(),
        params=params or {"model": {"n": 16}, "m": [32, 64, 128]},
        seconds=0.0,
        false_failure="none",
        deviations=deviations or {},
        error=error,
    )


ONE = Question(
    "Claim 9",
    "toy: the ratio is 1",
    (Row("n = {model.n}, m = {m}", main=("toy:level", "toy:slope"), key=("toy:level",)),),
)
SPLIT = Question(
    "Claim 8",
    "toy: init decides who wins",
    (
        Row(
            "gradient descent",
            main=("split:win-sgd",),
            key=("split:argmax-sgd",),
            scope=("split:*-sgd",),
            label="gradient descent",
        ),
        Row(
            "AdamW",
            main=("split:win-adamw",),
            key=("split:argmax-adamw",),
            scope=("split:*-adamw",),
            label="AdamW",
        ),
    ),
)


def only(rows: Sequence[Answer]) -> Answer:
    assert len(rows) == 1, rows
    return rows[0]


def test_a_recorded_deviation_outside_the_main_statement_reads_holds_with_the_finding() -> None:
    dev = Deviation("fail", (1.8, 2.2), "measured: the side quantity is 2")
    r = result("toy", {"level": PASS, "slope": PASS, "side": FAIL}, deviations={"side": dev})
    a = only(answers([r], questions=[ONE]))
    assert r.status == "fail" and r.meets_expectation, "the claim's own status is fail"
    assert a.verdict == "holds", a
    assert a.main == (("toy:level", "pass"), ("toy:slope", "pass"))
    assert a.findings == ("side 2 [1.9, 2.1] vs 1: fail (recorded deviation)",), a.findings
    assert a.key == ("the level ratio: 1 [0.95, 1.05] vs 1",)
    assert a.regime == "n = 16, m = 32…128" and a.label == "Claim 9" and a.first


def test_a_main_fit_failing_reads_departs() -> None:
    r = result("toy", {"level": PASS, "slope": FAIL})
    a = only(answers([r], questions=[ONE]))
    assert a.verdict == "departs"
    assert a.findings == ("slope 2 [1.9, 2.1] vs 1: fail (NOT as expected)",), a.findings


def test_a_main_fit_with_a_recorded_deviation_still_departs_and_is_listed() -> None:
    dev = Deviation("fail", (1.8, 2.2), "measured")
    r = result("toy", {"level": PASS, "slope": FAIL}, deviations={"slope": dev})
    a = only(answers([r], questions=[ONE]))
    assert a.verdict == "departs"
    assert a.findings == ("slope 2 [1.9, 2.1] vs 1: fail (recorded deviation)",)


@pytest.mark.parametrize(
    ("slope", "verdict"),
    [
        (STRADDLE, "inconclusive"),
        (OFFSET, "holds with a resolved offset"),
        (PASS, "holds"),
    ],
)
def test_the_main_verdict_follows_the_main_fits(
    slope: tuple[float, tuple[float, float]], verdict: str
) -> None:
    a = only(answers([result("toy", {"level": PASS, "slope": slope})], questions=[ONE]))
    assert a.verdict == verdict


def test_an_offset_outside_the_main_statement_is_a_finding_not_the_verdict() -> None:
    r = result("toy", {"level": PASS, "slope": PASS, "side": OFFSET})
    a = only(answers([r], questions=[ONE]))
    assert a.verdict == "holds"
    assert a.findings == ("side 1.1 [1.05, 1.15] vs 1: resolved offset 0.1 [0.05, 0.15]",)


def test_gradient_descent_and_adamw_rows_separate() -> None:
    """One claim, two optimizers: the AdamW main fit fails, the gradient-descent row still holds
    and lists none of AdamW's findings."""
    r = result(
        "split",
        {
            "win-sgd": PASS,
            "argmax-sgd": (0.98, (0.9, 1.05)),
            "win-adamw": FAIL,
            "argmax-adamw": (0.95, (0.9, 1.02)),
            "extra-adamw": OFFSET,
        },
    )
    gd, adamw = answers([r], questions=[SPLIT])
    assert (gd.label, gd.verdict) == ("Claim 8 (gradient descent)", "holds")
    assert (adamw.label, adamw.verdict) == ("Claim 8 (AdamW)", "departs")
    assert gd.key == ("the argmax-sgd ratio: 0.98 [0.9, 1.05] vs 1",)
    assert adamw.key == ("the argmax-adamw ratio: 0.95 [0.9, 1.02] vs 1",)
    assert gd.findings == ()
    assert [f.split(" ")[0] for f in adamw.findings] == ["win-adamw", "extra-adamw"]
    assert gd.first and not adamw.first


def test_a_claim_that_did_not_run_has_no_row_and_an_error_reads_error() -> None:
    assert answers([result("other", {"level": PASS})], questions=[ONE]) == []
    a = only(answers([result("toy", {}, error="RuntimeError: diverged")], questions=[ONE]))
    assert a.verdict == "error"
    assert a.findings == ("toy: error: RuntimeError: diverged",)


def test_a_main_fit_the_result_lacks_reads_error() -> None:
    a = only(answers([result("toy", {"level": PASS})], questions=[ONE]))
    assert a.verdict == "error" and ("toy:slope", "error: no such fit") in a.main


def test_rows_repeat_per_scale_the_leading_scale_first() -> None:
    """Data-driven: given paper-scale results beside the standard ones, each row whose claims
    ran at the paper scale gets a paper-scale row, with that run's params and seed."""
    standard = result("toy", {"level": PASS, "slope": PASS})
    paper = result(
        "toy",
        {"level": PASS, "slope": FAIL},
        scale="paper",
        seed=3,
        params={"model": {"n": 256}, "m": [256, 4096]},
    )
    rows = answers([paper, standard], scale="standard", questions=[ONE])
    assert [(a.scale, a.verdict) for a in rows] == [("standard", "holds"), ("paper", "departs")]
    assert rows[0].regime == "n = 16, m = 32…128"
    assert rows[1].regime == "n = 256, m = 256 and 4096 (paper scale, seed 3)"
    assert rows[0].first and not rows[1].first
    assert [a.scale for a in answers([standard], questions=[ONE])] == ["standard"]


def _document(results: Sequence[Result]) -> dict[str, Any]:
    return {
        "scale": results[0].scale,
        "seed": results[0].seed,
        "claims": [r.to_dict() for r in results],
    }


def test_answers_from_a_claims_json_equal_those_from_the_results(tmp_path: Path) -> None:
    dev = Deviation("pass", (1.05, 1.15), "measured: offset 0.1")
    results = [
        result("toy", {"level": OFFSET, "slope": PASS, "side": FAIL}, deviations={"level": dev}),
        result("split", {"win-sgd": PASS, "argmax-sgd": PASS, "win-adamw": STRADDLE}),
    ]
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(_document(results)))
    runs = runs_from_json(path)
    assert all(isinstance(r, Run) for r in runs)
    qs = [ONE, SPLIT]
    assert answers(runs, questions=qs) == answers(results, questions=qs)
    a = answers(runs, questions=qs)[0]
    assert a.findings == (
        "level 1.1 [1.05, 1.15] vs 1: pass, resolved offset 0.1 [0.05, 0.15] (recorded deviation)",
        "side 2 [1.9, 2.1] vs 1: fail (NOT as expected)",
    )


def test_regime_text_fills_numbers_from_the_params() -> None:
    params = {"a": {"b": 1000000}, "l": [1, 2], "r": [0.5, 0.1, 0.2], "x": 1e-3, "s": [7]}
    text = regime_text("{a.b}; {l}; {r}; {x}; {s}; {missing}", params)
    assert text == "10⁶; 1 and 2; 0.5, 0.1, 0.2; 0.001; 7; {missing?}"


def test_row_refuses_a_reference_without_a_claim() -> None:
    with pytest.raises(ValueError, match="claim-id:fit-key"):
        Row("x", main=("level",), key=("toy:level",))


# -- rendering ------------------------------------------------------------------------------------


def test_answers_markdown_renders_each_row(monkeypatch: pytest.MonkeyPatch) -> None:
    dev = Deviation("fail", (1.8, 2.2), "measured")
    fits = {"win-sgd": PASS, "argmax-sgd": PASS, "win-adamw": PASS, "argmax-adamw": FAIL}
    r = result("split", fits, deviations={"argmax-adamw": dev})
    md = answers_markdown([r])  # the catalogue's questions: none reads "split"
    assert md.count("\n| ") == 1, "the header alone"
    monkeypatch.setattr("claims.paper_claims.QUESTIONS", (SPLIT,))
    md = answers_markdown([r])
    lines = [x for x in md.splitlines() if x.startswith("| Claim 8")]
    assert len(lines) == 2, md
    assert "**holds**" in lines[0] and "**holds**" in lines[1]
    assert "argmax-adamw 2 [1.9, 2.1] vs 1: fail (recorded deviation)" in lines[1]
    assert lines[0].endswith("| — |"), "no findings reads —"


def test_report_shows_rows_of_another_scale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build_report(answered_also=...) adds a paper-scale claims.json's rows to the answered table
    of the Markdown and HTML reports, and nothing else."""
    from tests.test_report import TOY

    toy_q = Question(
        "Claim 7",
        "toy: the samples have mean 0",
        (Row("shift {shift}", main=("toy:mean",), key=("toy:mean",)),),
    )
    monkeypatch.setattr("claims.paper_claims.QUESTIONS", (toy_q,))
    paper = Run("toy", "paper", 5, "fail", None, {"shift": 3.0}, ())
    report = build_report([TOY], tmp_path / "out", answered_also=[paper])
    md = (tmp_path / "out" / "claims.md").read_text("utf-8")
    html = (tmp_path / "out" / "claims.html").read_text("utf-8")
    doc = json.loads((tmp_path / "out" / "claims.json").read_text("utf-8"))
    assert report.ok and [c["id"] for c in doc["claims"]] == ["toy"]
    rows = [x for x in md.splitlines() if x.startswith("| Claim 7")]
    assert len(rows) == 2, md
    assert "[toy](#toy): shift 0" in rows[0] and "**holds**" in rows[0]
    assert "shift 3 (paper scale, seed 5)" in rows[1] and "**error**" in rows[1]
    assert "mean: error: no such fit" in rows[1]
    assert "shift 3 (paper scale, seed 5)" in html and '<a href="#toy">toy</a>' in html


def test_main_prints_the_table_of_saved_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("claims.paper_claims.QUESTIONS", (ONE,))
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(_document([result("toy", {"level": PASS, "slope": FAIL})])))
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "| Claim 9 |" in out and "**departs**" in out
    assert main([]) == 2
