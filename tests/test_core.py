"""The harness core on tiny synthetic claims: verdict rules, controls, deviations, errors."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from claims import Claim, Context, Control, Derivation, Deviation, Fit, FitSpec, Judge
from claims._core import aggregate, fit_by_key
from sim import ParamError, check_float


def _fit(
    pred: float, fitted: float, ci: tuple[float, float], tol: float | None = 0.2, rel: str = "=="
) -> Fit:
    return Fit("q", "quantity", predicted=pred, fitted=fitted, ci=ci, tolerance=tol, relation=rel)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pred", "ci", "tol", "rel", "verdict"),
    [
        (1.0, (0.95, 1.05), 0.2, "==", "pass"),  # inside the band [0.8, 1.2]
        # excludes the prediction, inside the band: an offset
        (1.0, (1.05, 1.15), 0.2, "==", "pass"),
        (1.0, (0.7, 1.3), 0.2, "==", "inconclusive"),  # wider than the band
        (1.0, (1.1, 1.3), 0.2, "==", "inconclusive"),  # straddles the upper edge
        (1.0, (1.21, 1.4), 0.2, "==", "fail"),  # wholly above the band
        (1.0, (0.2, 0.79), 0.2, "==", "fail"),  # wholly below, however wide
        (1.0, (1.2, 1.2), 0.2, "==", "pass"),  # an exact value on the edge is inside
        (0.5, (0.6, 0.9), None, ">", "pass"),
        (0.5, (0.1, 0.4), None, ">", "fail"),
        (0.5, (0.4, 0.6), None, ">", "inconclusive"),
        (0.5, (0.1, 0.4), None, "<", "pass"),
        (0.5, (0.6, 0.9), None, "<", "fail"),
        (1.0, (float("-inf"), float("inf")), 0.2, "==", "inconclusive"),
    ],
)
def test_fit_verdict_rule(
    pred: float, ci: tuple[float, float], tol: float | None, rel: str, verdict: str
) -> None:
    fitted = sum(ci) / 2 if all(abs(c) < float("inf") for c in ci) else pred
    got = _fit(pred, fitted, ci, tol, rel).verdict
    assert got == verdict, (
        f"verdict={got}, but should be {verdict} [pred={pred}, ci={ci}, tol={tol}, rel={rel}]"
    )


def test_band_and_resolved_offset() -> None:
    f = _fit(1.0, 1.1, (1.05, 1.15))
    assert f.band == (0.8, 1.2) and f.verdict == "pass" and f.resolved_offset, f
    assert f.offset == pytest.approx((0.1, 0.05, 0.15)), f.offset
    assert not _fit(1.0, 1.0, (0.95, 1.05)).resolved_offset, (
        "an interval holding the prediction: no offset"
    )
    d = f.to_dict()
    assert d["band"] == [0.8, 1.2] and d["resolved_offset"] is True, d


def test_fit_rejects_nan_and_missing_tolerance() -> None:
    with pytest.raises(ValueError, match="not finite"):
        _fit(1.0, float("nan"), (0.0, 1.0))
    with pytest.raises(ValueError, match="tolerance"):
        _fit(1.0, 1.0, (0.9, 1.1), tol=None)


@dataclass(frozen=True)
class ToyParams:
    mean: float = 1.0  # the simulated quantity's true value
    spread: float = 0.01  # the half-width of the fake interval

    def __post_init__(self) -> None:
        check_float("mean", self.mean)
        check_float("spread", self.spread, 0.0)


VALUE = FitSpec("value", "the value", 0.1, why="toy")


def _toy(**kw) -> Claim:
    def fit(meas: float, d: Derivation, p: ToyParams, judge: Judge) -> list[Fit]:
        return [
            judge.fit(
                "value",
                predicted=float(d.values["x"]),
                fitted=meas,
                ci=(meas - p.spread, meas + p.spread),
            )
        ]

    base = {
        "id": "toy",
        "title": "toy",
        "statement": "the value is 1",
        "source": "test",
        "params": {s: ToyParams() for s in ("smoke", "standard", "paper")},
        "derive": lambda p: Derivation(sympy.Integer(1), values={"x": 1.0}),
        "simulate": lambda p, ctx: p.mean,
        "fits": (VALUE,),
        "fit": fit,
        "controls": (Control("two", "the value is 2", predict={"value": 2.0}),),
    }
    base.update(kw)
    return Claim(**base)  # type: ignore[arg-type]


def test_claim_run_pass_and_control_rejected() -> None:
    r = _toy().run("standard", seed=0)
    assert r.status == "pass" and r.meets_expectation, r.explain()
    assert r.control("two").rejected, r.control("two").explain()
    assert r.to_dict()["controls"][0]["id"] == "toy/two"


def test_overrides_reach_the_params_and_are_validated() -> None:
    r = _toy().run("standard", overrides={"mean": "1.5"})
    assert r.status == "fail" and r.params["mean"] == 1.5, r.explain()
    with pytest.raises(ParamError, match="nope"):
        _toy().run("standard", overrides={"nope": "1"})
    with pytest.raises(ParamError, match="spread"):
        _toy().run("standard", overrides={"spread": "-1"})
    with pytest.raises(ParamError, match="scale"):
        _toy().run("huge")


def test_expected_deviation_is_data_and_must_match() -> None:
    dev = {"value": Deviation("fail", (1.4, 1.6), "measured: the value is 1.5")}
    r = _toy(deviations=dev).run("standard", overrides={"mean": 1.5})
    assert r.status == "fail" and r.expected == "fail" and r.meets_expectation, r.explain()
    r2 = _toy(deviations=dev).run("standard")  # deviation recorded, but the fit passes: flagged
    assert not r2.meets_expectation and "verdict pass" in r2.moved()[0], r2.moved()
    r3 = _toy(deviations=dev).run("standard", overrides={"mean": 1.9})  # fails, but elsewhere
    assert r3.status == "fail" and not r3.meets_expectation, r3.explain()
    assert "outside its recorded range" in r3.moved()[0], r3.moved()


def test_a_deviation_at_a_band_edge_accepts_each_verdict_measured() -> None:
    """A value sitting at a band's edge reads inconclusive or pass by the draw: a deviation can
    record both, still pinned by its range; the claim's expected status follows the verdict
    reached."""
    dev = {"value": Deviation("inconclusive", (0.9, 1.3), "at the edge", also=("pass",))}
    r = _toy(deviations=dev).run("standard")  # passes, inside the range
    assert r.status == "pass" and r.expected == "pass" and r.meets_expectation, r.explain()
    r2 = _toy(deviations=dev).run("standard", overrides={"mean": 1.5})  # fails, out of range
    assert not r2.meets_expectation and "recorded deviation inconclusive or pass" in r2.moved()[0]
    assert r2.expected == "inconclusive", r2.explain()
    with pytest.raises(ValueError, match="repeats"):
        Deviation("pass", (0.0, 1.0), "x", also=("pass",))


def test_deviations_apply_at_their_scales_only() -> None:
    dev = {"value": Deviation("fail", (1.4, 1.6), "measured at paper only", scales=("paper",))}
    standard = _toy(deviations=dev).run("standard", overrides={"mean": 1.5})
    assert standard.expected == "pass" and not standard.meets_expectation, standard.explain()
    paper = _toy(deviations=dev).run("paper", overrides={"mean": 1.5})
    assert paper.expected == "fail" and paper.meets_expectation, paper.explain()


@settings(max_examples=200, deadline=None)
@given(
    pred=st.floats(-10, 10),
    tol=st.floats(1e-3, 5),
    lo=st.floats(0, 1),
    hi=st.floats(0, 1),
    side=st.sampled_from([-1, 1]),
)
def test_a_passing_fit_rejects_its_near_miss_by_the_band_rule_alone(
    pred: float, tol: float, lo: float, hi: float, side: int
) -> None:
    """Why near misses are no controls (issue 25): a band moved 2.1 tolerances off, [p + 1.1t,
    p + 3.1t], is rejected by any interval inside the claim's band — so the rejection says
    nothing beyond the pass."""
    a, b = sorted((pred - tol + 2 * tol * lo, pred - tol + 2 * tol * hi))
    f = _fit(pred, (a + b) / 2, (a, b), tol)
    assert f.verdict == "pass", f
    near = f.mutant(predicted=pred + side * 2.1 * tol)
    assert near.verdict == "fail", f"near miss {near.band} not rejected by the passing {f.ci}"


def test_controls_are_the_claims_own_no_near_misses() -> None:
    r = _toy().run("standard")
    assert [c.id for c in r.controls] == ["toy/two"], [c.id for c in r.controls]


def _fail_rate(
    truth: float, pred: float, tol: float | None, rel: str, sd: float, level: float, n: int
) -> float:
    """The share of n synthetic estimates θ̂ ~ N(truth, sd²), each with the interval θ̂ ± z·sd at
    ``level``, whose fit fails."""
    rng = np.random.default_rng(7)
    fails = sum(
        _normal_fit(e, pred, tol, rel, sd, level).verdict == "fail"
        for e in rng.normal(truth, sd, n)
    )
    return fails / n


def _normal_fit(
    estimate: float, pred: float, tol: float | None, rel: str, sd: float, level: float
) -> Fit:
    """A fit whose interval is estimate ± z·sd at ``level`` (the normal reading of Fit.detects)."""
    z = NormalDist().inv_cdf((1 + level) / 2)
    return Fit(
        "q",
        "q",
        predicted=pred,
        fitted=estimate,
        ci=(estimate - z * sd, estimate + z * sd),
        tolerance=tol,
        relation=rel,  # type: ignore[arg-type]
        confidence=level,
    )


@pytest.mark.parametrize(
    ("rel", "tol", "level"),
    [("==", 0.1, 0.99), ("==", 0.3, 0.95), (">", None, 0.99), ("<", None, 0.9875)],
)
def test_detects_is_the_departure_failed_with_95_percent(
    rel: str, tol: float | None, level: float
) -> None:
    """Synthetic estimates with known truth: at θ = p ± detects the fit fails in 95 % of draws
    (binomial sd 0.3 % at 5000), and a departure half a standard error smaller fails clearly
    less often — the smallest such distance, as Fit.detects states."""
    sd, pred, n = 0.05, 1.0, 5000
    z = NormalDist().inv_cdf((1 + level) / 2)
    delta = _normal_fit(pred, pred, tol, rel, sd, level).detects
    side = -1 if rel == ">" else 1  # an ordering fails on its wrong side
    want = (tol or 0.0) + z * sd + NormalDist().inv_cdf(0.95) * sd
    assert delta == pytest.approx(want), f"detects={delta}, formula gives {want} [{rel}]"
    at = _fail_rate(pred + side * delta, pred, tol, rel, sd, level, n)
    assert abs(at - 0.95) < 0.015, f"fail rate {at:.3f} at θ = p ± detects, expected 0.95 [{rel}]"
    below = _fail_rate(pred + side * (delta - 0.5 * sd), pred, tol, rel, sd, level, n)
    assert below < 0.9, f"fail rate {below:.3f} half an sd inside detects, expected < 0.9 [{rel}]"


def test_detects_of_exact_and_unbounded_fits() -> None:
    exact = Fit(
        "q", "q", predicted=1.0, fitted=1.05, ci=(1.05, 1.05), tolerance=0.1, confidence=1.0
    )
    assert exact.detects == pytest.approx(0.1), exact.detects
    wide = _fit(1.0, 1.0, (float("-inf"), 2.0))
    assert wide.detects == float("inf") and wide.to_dict()["detects"] is None, wide.detects


def test_effect_weak_and_least_powerful_read_off_the_controls() -> None:
    """The effect a fit must show is the gap to the control's prediction (|2 − 1| = 1 here); a
    spread that makes detects exceed it flags the fit weak."""
    strong = _toy().run("standard")
    f = strong.fit("value")
    assert strong.effect_of(f) == pytest.approx(1.0) and not strong.weak(f), strong.explain()
    assert strong.least_powerful() is f and strong.to_dict()["least_powerful"] == "value"
    assert strong.to_dict()["fits"][0]["detects"] == pytest.approx(f.detects)
    weak = _toy().run("standard", overrides={"spread": 0.6})
    g = weak.fit("value")
    assert g.detects > 1.0 and weak.weak(g) and "WEAK" in weak.explain(), weak.explain()
    declared = _toy(fits=(FitSpec("value", "the value", 0.1, effect=0.05),)).run("standard")
    assert declared.effect_of(declared.fit("value")) == 0.05, declared.explain()


def test_a_fit_is_found_by_its_key_in_a_result_and_in_a_controls_fits() -> None:
    r = _toy().run("standard")
    assert fit_by_key(r.fits, "value") is r.fit("value") is r.fits[0]
    with pytest.raises(KeyError, match=r"toy: no fit 'ghost'; have \['value'\]"):
        r.fit("ghost")
    with pytest.raises(KeyError, match=r"^\"no fit 'ghost'; have \['value'\]"):
        fit_by_key(r.fits, "ghost")


def test_stale_deviation_is_refused_when_the_claim_is_built() -> None:
    with pytest.raises(ValueError, match="ghost"):
        _toy(deviations={"ghost": Deviation("fail", (0.0, 1.0), "x")})


def test_a_fit_that_was_not_declared_is_an_error() -> None:
    def fit(meas: float, d: Derivation, p: ToyParams, judge: Judge) -> list[Fit]:
        return [
            Fit("other", "undeclared", predicted=1.0, fitted=meas, ci=(meas, meas), tolerance=0.1)
        ]

    r = _toy(fit=fit).run("standard")
    assert r.status == "error" and "declares" in (r.error or ""), r.explain()


def test_judge_counts_the_family_and_owns_the_generator() -> None:
    specs = [
        FitSpec("a", "a", 0.1),
        FitSpec("b", "b", relation=">"),
        FitSpec("c", "c", 0.1, exact=True),
    ]
    judge = Judge("toy", specs, confidence=0.95)
    assert judge.k == 2 and judge.level == pytest.approx(0.975), (
        f"k={judge.k}, level={judge.level}, but should be 2, 0.975"
    )
    exact = judge.fit("c", predicted=1.0, fitted=1.0)
    assert exact.ci == (1.0, 1.0) and exact.confidence == 1.0, exact
    stoch = judge.fit("a", predicted=1.0, estimate=(1.0, 0.99, 1.01))
    assert stoch.confidence == pytest.approx(0.975) and stoch.tolerance == 0.1, stoch
    with pytest.raises(KeyError, match="declares no fit"):
        judge.fit("zzz", predicted=1.0, fitted=1.0)
    with pytest.raises(ValueError, match="confidence interval"):
        judge.fit("a", predicted=1.0, fitted=1.0)
    first = Judge("toy", specs).rng.random(3)
    assert list(first) == list(Judge("toy", specs).rng.random(3)), (
        "each judge's bootstrap stream starts the same"
    )


def test_fit_arguments_after_the_quantity_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Fit("q", "quantity", 1.0, 1.0, (0.9, 1.1), 0.2)  # type: ignore[misc]


def test_mutant_keeps_the_key_and_changes_what_it_is_told() -> None:
    f = _fit(1.0, 1.0, (0.95, 1.05))
    m = f.mutant(predicted=2.0)
    assert (m.key, m.predicted, m.fitted, m.ci) == (
        "q",
        2.0,
        1.0,
        (0.95, 1.05),
    ) and m.verdict == "fail", m
    o = f.mutant(relation=">", predicted=1.2)
    assert o.tolerance is None and o.verdict == "fail", o


def test_a_control_may_only_rejudge_the_claims_fit_keys() -> None:
    def invent(fits, meas, p, judge):
        return [Fit("new-key", "x", predicted=2.0, fitted=1.0, ci=(0.9, 1.1), tolerance=0.1)]

    r = _toy(controls=(Control("invent", "a new statistic", refit=invent),)).run("standard")
    outcome = r.control("invent")
    assert outcome.status == "error" and "new-key" in (outcome.error or ""), outcome.explain()
    with pytest.raises(ValueError, match="undeclared"):
        _toy(controls=(Control("ghost", "x", predict={"ghost": 2.0}),))


def test_a_failing_simulation_is_status_error_with_its_cause() -> None:
    def boom(p: ToyParams, ctx: Context) -> float:
        raise RuntimeError("diverged at step 7")

    r = _toy(simulate=boom).run("standard")
    assert r.status == "error" and "step 7" in (r.error or "") and not r.meets_expectation, (
        r.explain()
    )


def test_control_that_is_not_rejected_is_reported() -> None:
    r = _toy(controls=(Control("same", "the value is 1 again", predict={"value": 1.0}),)).run(
        "standard"
    )
    assert not r.control("same").rejected and not r.meets_expectation
    assert "NOT rejected" in r.explain()


def test_aggregate() -> None:
    assert aggregate(["pass", "inconclusive"]) == "inconclusive"
    assert aggregate(["pass", "fail", "inconclusive"]) == "fail"
    assert aggregate([]) == "pass"


def test_context_seeds_are_stable_and_distinct() -> None:
    a, b = Context(seed=1), Context(seed=2)
    assert a.seed_for("x", 3) == Context(seed=1).seed_for("x", 3)
    assert len({a.seed_for("x", 3), a.seed_for("x", 4), b.seed_for("x", 3)}) == 3


def test_context_rejects_unknown_device() -> None:
    with pytest.raises(ParamError, match="device"):
        Context(device="tpu")
