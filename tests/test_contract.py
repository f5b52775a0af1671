"""The claim contract: the judge is the only way to a verdict, and every function of a claim has
its return value checked where it returns, with an error naming the claim, the function and what
was expected (issue 24, point 1)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sympy

from claims import Claim, Context, Control, Derivation, Fit, FitSpec, Judge, Result
from sim import ParamError

VALUE = FitSpec("value", "the value", 0.1, why="toy")  # one stochastic "==" fit: level = 0.95
EXACT = FitSpec("exact", "an exact value", 0.1, exact=True)


@dataclass(frozen=True)
class Params:
    mean: float = 1.0  # the simulated quantity's true value
    confidence: float = 0.95  # the family-wise level (deliberately not validated here)


@dataclass(frozen=True)
class Measurements:
    x: float  # the simulated value


def _derive(p: Params) -> Derivation:
    return Derivation(sympy.Integer(1), values={"x": 1.0})


def _simulate(p: Params, ctx: Context) -> Measurements:
    return Measurements(p.mean)


def _good_fit(meas: Measurements, d: Derivation, p: Params, judge: Judge) -> list[Fit]:
    return [judge.fit("value", predicted=1.0, fitted=meas.x, ci=(meas.x - 0.01, meas.x + 0.01))]


def _claim(**kw: Any) -> Claim:
    base: dict[str, Any] = {
        "id": "toy",
        "title": "toy",
        "statement": "the value is 1",
        "source": "tests/test_contract.py",
        "params": {s: Params() for s in ("smoke", "standard", "paper")},
        "derive": _derive,
        "simulate": _simulate,
        "fits": (VALUE,),
        "fit": _good_fit,
        "controls": (Control("two", "the value is 2", predict={"value": 2.0}),),
    }
    base.update(kw)
    return Claim(**base)


def _error_of(claim: Claim, **run: Any) -> str:
    r = claim.run("standard", **run)
    assert r.status == "error", f"status={r.status}, but should be error\n{r.explain()}"
    return r.error or ""


def _assert_names(text: str, needles: list[str], case: str) -> None:
    missing = [n for n in needles if n not in text]
    assert not missing, f"error {text!r} should name {missing} [{case}]"


def test_a_valid_claim_passes_and_its_fits_carry_the_spec() -> None:
    r = _claim().run("standard")
    assert r.status == "pass" and r.meets_expectation, r.explain()
    f = r.fit("value")
    got = (f.tolerance, f.relation, f.confidence)
    assert got == (0.1, "==", 0.95), (
        f"(tolerance, relation, confidence)={got}, but should be (0.1, '==', 0.95): the spec's "
        "and the judge's [valid claim]"
    )


# -- a fit that bypasses the judge or its spec is refused ------------------------------------


def _direct(meas: Measurements, d: Derivation, p: Params, judge: Judge) -> list[Fit]:
    """The same numbers judge.fit would give, but built by hand."""
    return [Fit("value", "the value", predicted=1.0, fitted=meas.x, ci=(0.99, 1.01), tolerance=0.1)]


def _widened(meas: Measurements, d: Derivation, p: Params, judge: Judge) -> list[Fit]:
    return [_good_fit(meas, d, p, judge)[0].mutant(tolerance=1.0)]


def _ordering(meas: Measurements, d: Derivation, p: Params, judge: Judge) -> list[Fit]:
    f = _good_fit(meas, d, p, judge)[0]
    return [dataclasses.replace(f, relation=">", tolerance=None)]


def _overconfident(meas: Measurements, d: Derivation, p: Params, judge: Judge) -> list[Fit]:
    return [dataclasses.replace(_good_fit(meas, d, p, judge)[0], confidence=0.5)]


def _own_judge(meas: Measurements, d: Derivation, p: Params, judge: Judge) -> list[Fit]:
    return _good_fit(meas, d, p, Judge("toy", (VALUE,)))


def _mutant(meas: Measurements, d: Derivation, p: Params, judge: Judge) -> list[Fit]:
    return [_good_fit(meas, d, p, judge)[0].mutant(predicted=1.0)]


def _replaced(meas: Measurements, d: Derivation, p: Params, judge: Judge) -> list[Fit]:
    return [dataclasses.replace(_good_fit(meas, d, p, judge)[0], predicted=1.0)]


@pytest.mark.parametrize(
    ("fit", "needles"),
    [
        (_widened, ["'toy'", "'value'", "tolerance 1.0", "FitSpec declares 0.1"]),
        (_ordering, ["'toy'", "'value'", "relation '>'", "FitSpec declares '=='"]),
        (_overconfident, ["'toy'", "'value'", "confidence 0.5", "level is 0.95"]),
        (_direct, ["'toy'", "'value'", "built directly", "judge.fit"]),
        (_replaced, ["'toy'", "'value'", "dataclasses.replace", "judge.fit"]),
        (_own_judge, ["'toy'", "'value'", "another judge"]),
        (_mutant, ["'toy'", "'value'", "mutant", "judge.fit"]),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else "",
)
def test_a_fit_that_bypasses_the_judge_or_its_spec_is_refused(fit: Any, needles: list[str]) -> None:
    _assert_names(_error_of(_claim(fit=fit)), needles, fit.__name__)


def test_a_control_must_rejudge_the_claims_fits() -> None:
    def direct(fits: Any, meas: Any, p: Any, judge: Judge) -> list[Fit]:
        return [Fit("value", "x", predicted=2.0, fitted=1.0, ci=(0.9, 1.1), tolerance=0.1)]

    def nothing(fits: Any, meas: Any, p: Any, judge: Judge) -> Any:
        return None

    def judged(fits: Any, meas: Any, p: Any, judge: Judge) -> list[Fit]:
        return [judge.fit("value", predicted=2.0, fitted=1.0, ci=(0.99, 1.01))]

    controls = (
        Control("direct", "built by hand", refit=direct),
        Control("nothing", "returns None", refit=nothing),
        Control("judged", "built by the control's judge", refit=judged),
    )
    r = _claim(controls=controls).run("standard")
    for cid, needles in (
        ("direct", ["'toy'", "'direct'", "built directly", "Fit.mutant"]),
        ("nothing", ["'toy'", "'nothing'", "refit() returned None", "expected a list of Fit"]),
    ):
        outcome = r.control(cid)
        assert outcome.status == "error", f"status={outcome.status}, but should be error [{cid}]"
        _assert_names(outcome.error or "", needles, cid)
    judged_outcome = r.control("judged")
    assert judged_outcome.rejected, (
        f"status={judged_outcome.status}, but a control judged by its judge should be rejected "
        f"[judged]\n{judged_outcome.explain()}"
    )


# -- each function's return value, checked where it returns -------------------------------------


def _fit_returning(value: Any) -> Any:
    def fit(meas: Any, d: Any, p: Any, judge: Judge) -> Any:
        return value(judge) if callable(value) else value

    return fit


def _fit_calling(**kw: Any) -> Any:
    def fit(meas: Any, d: Any, p: Any, judge: Judge) -> Any:
        return [judge.fit("value", **kw)]

    return fit


def _simulate_dict(p: Params, ctx: Context) -> Measurements:
    return {"x": p.mean}  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("case", "kw", "needles"),
    [
        (
            "derive-float",
            {"derive": lambda p: 1.0},
            ["'toy'", "derive() returned float 1.0", "expected a claims.Derivation"],
        ),
        (
            "derive-str-expr",
            {"derive": lambda p: Derivation("n/4m")},  # type: ignore[arg-type]
            ["'toy'", "derive()", "expr is str 'n/4m'", "expected a sympy expression"],
        ),
        (
            "derive-str-value",
            {"derive": lambda p: Derivation(sympy.Integer(1), values={"x": "one"})},
            ["'toy'", "derive()", "values['x'] is str 'one'", "expected a real number"],
        ),
        (
            "simulate-none",
            {"simulate": lambda p, ctx: None},
            ["'toy'", "simulate() returned None", "expected the measurements"],
        ),
        (
            "simulate-dict",
            {"simulate": _simulate_dict},
            ["'toy'", "simulate() returned dict", "expected Measurements (its return annotation)"],
        ),
        (
            "fit-one-fit",
            {"fit": _fit_returning(lambda j: j.fit("value", predicted=1.0, estimate=(1, 0.99, 1)))},
            ["'toy'", "fit() returned Fit", "expected a list of one Fit per declared key"],
        ),
        (
            "fit-none",
            {"fit": _fit_returning(None)},
            ["'toy'", "fit() returned None", "judge.fit(key"],
        ),
        (
            "fit-floats",
            {"fit": _fit_returning([1.0])},
            ["'toy'", "fit() returned float 1.0 at position 0", "expected one Fit per"],
        ),
        (
            "estimate-2-tuple",
            {"fit": _fit_calling(predicted=1.0, estimate=(1.0, 0.05))},
            [
                "'toy'",
                "judge.fit('value')",
                "estimate is tuple of 2",
                "3-tuple (value, lo, hi)",
            ],
        ),
        (
            "ci-3-tuple",
            {"fit": _fit_calling(predicted=1.0, fitted=1.0, ci=(0.9, 1.0, 1.1))},
            ["'toy'", "judge.fit('value')", "ci is tuple of 3", "expected a 2-tuple (lo, hi)"],
        ),
        (
            "estimate-and-fitted",
            {"fit": _fit_calling(predicted=1.0, fitted=1.0, estimate=(1.0, 0.99, 1.01))},
            ["'toy'", "judge.fit('value')", "not both"],
        ),
        (
            "predicted-symbolic",
            {"fit": _fit_calling(predicted=sympy.Symbol("m"), estimate=(1.0, 0.99, 1.01))},
            ["'toy'", "judge.fit('value')", "predicted is Symbol", "expected a real number"],
        ),
        (
            "predicted-str",
            {"fit": _fit_calling(predicted="1.0", estimate=(1.0, 0.99, 1.01))},
            ["'toy'", "judge.fit('value')", "predicted is str '1.0'", "expected a real number"],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_wrong_return_value_is_a_named_error(
    case: str, kw: dict[str, Any], needles: list[str]
) -> None:
    _assert_names(_error_of(_claim(**kw)), needles, case)


def test_plot_strategy_and_paper_figures_returns_are_checked(tmp_path: Path) -> None:
    claim = _claim(
        plot=lambda result, figdir: None,
        strategy=lambda: {"mean": 1.0},
        paper_figures=lambda meas, p: [1.0],
    )
    result: Result = claim.run("standard")
    assert result.status == "pass", result.explain()
    _assert_names(
        result.paper_figures_error or "",
        ["'toy'", "paper_figures() returned list of 1", "Agreement"],
        "paper_figures",
    )
    with pytest.raises(TypeError) as plot:
        claim.draw(result, tmp_path)
    _assert_names(str(plot.value), ["'toy'", "plot() returned None", "PNG"], "plot")
    with pytest.raises(TypeError) as strategy:
        claim.overrides_strategy()
    _assert_names(
        str(strategy.value),
        ["'toy'", "strategy() returned dict", "hypothesis strategy"],
        "strategy",
    )


# -- the claim's fields, checked when it is built -------------------------------------------------


@dataclass
class MutableParams:
    mean: float = 1.0  # the value


@pytest.mark.parametrize(
    ("case", "kw", "error", "needles"),
    [
        (
            "params-dict",
            {"params": {s: {"mean": 1.0} for s in ("smoke", "standard", "paper")}},
            TypeError,
            ["'toy'", "params['smoke'] is dict", "frozen params dataclass"],
        ),
        (
            "params-class",
            {"params": dict.fromkeys(("smoke", "standard", "paper"), Params)},
            TypeError,
            ["'toy'", "params['smoke'] is", "instance of a frozen params dataclass"],
        ),
        (
            "params-mutable",
            {"params": {s: MutableParams() for s in ("smoke", "standard", "paper")}},
            TypeError,
            ["'toy'", "params['smoke']", "MutableParams", "frozen"],
        ),
        (
            "params-no-paper",
            {"params": {s: Params() for s in ("smoke", "standard")}},
            ValueError,
            ["'toy'", "lacks params for scales ['paper']"],
        ),
        (
            "derive-not-callable",
            {"derive": 1.0},
            TypeError,
            ["'toy'", "derive is float 1.0", "expected a function"],
        ),
        (
            "fits-not-specs",
            {"fits": ("value",)},
            TypeError,
            ["'toy'", "fits holds str 'value' at position 0", "expected a FitSpec"],
        ),
        (
            "confidence-one",
            {"params": {s: Params(confidence=1.0) for s in ("smoke", "standard", "paper")}},
            ParamError,
            ["params['smoke'].confidence=1.0", "0.5 <= confidence < 1", "'toy'"],
        ),
        (
            "confidence-low",
            {"params": {s: Params(confidence=0.4) for s in ("smoke", "standard", "paper")}},
            ParamError,
            ["params['smoke'].confidence=0.4", "0.5 <= confidence < 1", "'toy'"],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_malformed_claim_is_refused_when_built(
    case: str, kw: dict[str, Any], error: type[Exception], needles: list[str]
) -> None:
    with pytest.raises(error) as raised:
        _claim(**kw)
    _assert_names(str(raised.value), needles, case)


@pytest.mark.parametrize("value", ["1.0", "0.3", "nan"])
def test_confidence_set_at_run_time_is_validated(value: str) -> None:
    with pytest.raises(ParamError) as raised:
        _claim().run("standard", overrides={"confidence": value})
    _assert_names(str(raised.value), ["confidence=", "0.5 <= confidence < 1", "'toy'"], value)


def test_judge_reads_the_params_confidence_and_splits_it() -> None:
    claim = _claim(fits=(VALUE, EXACT), fit=lambda *a: [])
    judge = claim.judge(Params(confidence=0.99))
    got = (judge.confidence, judge.level, judge.level_of(EXACT))
    assert got == (0.99, 0.99, 1.0), (
        f"(confidence, level, exact level)={got}, but should be (0.99, 0.99, 1.0) "
        "[one stochastic fit, one exact]"
    )
    with pytest.raises(ParamError, match=r"0\.5 <= confidence < 1"):
        Judge("toy", (VALUE,), confidence=1.0)
