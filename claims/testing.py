"""A claim's checks as pytest tests, after scikit-learn's ``parametrize_with_checks``::

    from claims.testing import parametrize_with_claims

    @parametrize_with_claims([MY_CLAIM], scale="standard")
    def test_my_claim(check):
        check()

gives, per claim, one test per check, each with a readable id:

* ``my-claim:runs`` — the claim runs (status not ``error``) and, above the smoke scale, every fit
  reaches its expected verdict (pass, or its recorded deviation inside its measured range);
* ``my-claim/CONTROL:rejected`` — per control (its gross mutants and theory patches): it
  runs and, above the smoke scale, the same measurement rejects it (status ``fail``);
* ``my-claim:band-rule`` — its claims.json entry follows the band rule (:func:`band_rule_verdict`):
  every "==" fit's band is predicted ± tolerance and its verdict is what band and interval give,
  and every fit with a recorded deviation lies in the deviation's range when the claim reads as
  expected;
* ``my-claim:strategy`` — where the claim declares a hypothesis ``strategy``: drawn overrides
  and seeds at the smoke scale, where no fit expected to pass may fail (skipped, with the reason,
  where it declares none);
* ``my-claim:theory-patch`` — where a :class:`TheoryPatch` is given for the claim (``patches``):
  the theory function it names, corrupted by more than the tolerance, must make its fit fail
  while the fitted value stays put — the prediction comes from the theory, not from the numbers
  it is compared with (skipped at the smoke scale, whose intervals are too wide, and where no
  patch is given).

The smoke scale only exercises the plumbing (its verdicts mean nothing): there ``runs`` and
``rejected`` check that nothing errors. Pass ``scale="standard"`` for the verdicts.

One producer, two consumers: :func:`claim_checks` makes the checks; this decorator and the
catalogue's own ``pytest claims/`` (``claims/conftest.py``, ``claims/test_claims.py``,
``claims/test_theory_patch.py``, ``tests/test_claim_strategies.py``) both use them. Each claim runs
once per :class:`ClaimRunner` (one per decorator, one per ``pytest claims/`` session), and every
check of it reads that one :class:`claims.Result` — the same object the report reads. A check is
a plain callable: it raises ``AssertionError`` (the message states the value, what was expected
and the case) or skips with the reason (pytest's skip; ``unittest.SkipTest`` without pytest), and
can be called outside pytest.
"""

from __future__ import annotations

import importlib
import math
import unittest
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ._core import SCALES, Claim, Result

if TYPE_CHECKING:
    from ._cache import SimulationCache
    from ._context import Context

__all__ = [
    "KINDS",
    "ClaimCheck",
    "ClaimRunner",
    "TheoryPatch",
    "band_rule_verdict",
    "check_band_rule",
    "claim_checks",
    "constant",
    "parametrize_with_claims",
    "scaled",
    "shifted",
]

Kind = Literal["runs", "control", "band-rule", "strategy", "theory-patch"]
KINDS: tuple[Kind, ...] = ("runs", "control", "band-rule", "strategy", "theory-patch")
Wrap = Callable[[Callable[..., Any]], Callable[..., Any]]


# -- the theory patch ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TheoryPatch:
    """How to corrupt a claim's theory: ``module.function`` is replaced by ``corrupt(original)``
    while the claim's fits are judged again on the same measurement, and fit ``key`` must then
    fail. The corruption must move the prediction by more than the fit's tolerance (or, for an
    ordering, past the measured interval)."""

    module: str  # the module that computes the prediction, e.g. "theory.collisions"
    function: str  # the function there the claim's derive or fit calls, e.g. "leading_exponent"
    corrupt: Wrap  # original -> corrupted function: shifted(0.6), scaled(1.2), constant(-0.1)
    key: str  # the fit that must fail under the corrupted theory


def shifted(delta: float) -> Wrap:
    """A corruption adding ``delta`` to the function's value."""
    return lambda orig: lambda *a, **k: orig(*a, **k) + delta


def scaled(factor: float) -> Wrap:
    """A corruption multiplying the function's value by ``factor``."""
    return lambda orig: lambda *a, **k: orig(*a, **k) * factor


def constant(value: float) -> Wrap:
    """A corruption returning ``value`` whatever the arguments."""
    return lambda orig: lambda *a, **k: value


# -- the band rule, read off claims.json alone -----------------------------------------------------


def band_rule_verdict(fit: Mapping[str, Any]) -> str:
    """The equivalence rule, read off a claims.json fit alone (docs/design.md): pass when the
    interval lies inside the band, fail when it lies wholly outside, inconclusive otherwise
    (a null bound: unbounded)."""
    lo = -math.inf if fit["ci"][0] is None else fit["ci"][0]
    hi = math.inf if fit["ci"][1] is None else fit["ci"][1]
    b_lo, b_hi = fit["band"]
    if b_lo <= lo and hi <= b_hi:
        return "pass"
    if hi < b_lo or lo > b_hi:
        return "fail"
    return "inconclusive"


def _close(a: float, b: float) -> bool:
    """``a == pytest.approx(b)``: relative 1e-6, absolute 1e-12."""
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


def check_band_rule(entry: Mapping[str, Any]) -> None:
    """Every "==" fit of a claims.json entry gets the verdict its band and interval give, its band
    is predicted ± tolerance, and every fit with a recorded deviation lies in the deviation's
    measured range (or the entry says it is not as expected). AssertionError otherwise."""
    cid = entry["id"]
    for f in entry["fits"]:
        if f["relation"] == "==":
            want = (f["predicted"] - f["tolerance"], f["predicted"] + f["tolerance"])
            assert all(_close(x, y) for x, y in zip(f["band"], want, strict=True)), (
                f"{cid}/{f['key']}: band {f['band']}, predicted {f['predicted']} ± {f['tolerance']}"
            )
            rule = band_rule_verdict(f)
            assert f["verdict"] == rule, (
                f"{cid}/{f['key']}: verdict {f['verdict']}, but the band rule gives {rule} for "
                f"ci {f['ci']} in band {f['band']}"
            )
        if f["range"] is not None and entry["meets_expectation"]:
            lo, hi = f["range"]
            assert lo <= f["fitted"] <= hi, (
                f"{cid}/{f['key']}: fitted {f['fitted']} outside its recorded range "
                f"[{lo}, {hi}], yet the claim reads as expected"
            )


# -- running each claim once -----------------------------------------------------------------------


class ClaimRunner:
    """``runner(claim) -> Result``: each claim run once at ``scale`` and ``seed`` (memoised per
    claim object), with an optional simulation ``cache`` and ``ctx``. Every check of a claim
    reads this one result."""

    def __init__(
        self,
        scale: str = "smoke",
        seed: int = 0,
        *,
        cache: SimulationCache | None = None,
        ctx: Context | None = None,
    ) -> None:
        if scale not in SCALES:
            raise ValueError(f"scale={scale!r} is invalid; allowed: {', '.join(SCALES)}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed={seed!r} is invalid; allowed: an integer >= 0")
        self.scale = scale
        self.seed = seed
        self.cache = cache
        self.ctx = ctx
        self._results: dict[int, tuple[Claim, Result]] = {}  # id(claim) -> (claim, its result)

    def __call__(self, claim: Claim) -> Result:
        held = self._results.get(id(claim))
        if held is None or held[0] is not claim:
            from ._context import Context

            result = claim.run(self.scale, self.seed, ctx=self.ctx or Context(), cache=self.cache)
            held = self._results[id(claim)] = (claim, result)
        return held[1]

    def __repr__(self) -> str:
        return f"ClaimRunner(scale={self.scale!r}, seed={self.seed})"


# -- the checks ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ClaimCheck:
    """One check of one claim: call it (no arguments) to run it."""

    claim: Claim
    kind: Kind
    case: str  # what is checked: the claim's id, or "<claim id>/<control id>" for a control
    run: Callable[[], None] = field(repr=False)
    control: str | None = None  # the control's own id (kind "control")

    @property
    def id(self) -> str:
        """The test id: ``my-claim:runs``, ``my-claim/CONTROL:rejected``, ``my-claim:band-rule``,
        ``my-claim:strategy``, ``my-claim:theory-patch``."""
        return f"{self.case}:{'rejected' if self.kind == 'control' else self.kind}"

    def __call__(self) -> None:
        self.run()

    def __repr__(self) -> str:
        return f"ClaimCheck({self.id})"


def _skip(reason: str) -> None:
    """Skip the check: pytest's skip under pytest, ``unittest.SkipTest`` elsewhere."""
    try:
        import pytest
    except ImportError:  # pragma: no cover - pytest is the test extra
        raise unittest.SkipTest(reason) from None
    pytest.skip(reason)


def _check_runs(claim: Claim, runner: ClaimRunner) -> None:
    result = runner(claim)
    assert result.status != "error", f"{claim.id}: status=error, but should run\n{result.explain()}"
    if runner.scale == "smoke":
        return
    wrong = [f for f in result.fits if not result.as_expected(f)]
    assert not wrong, (
        f"{claim.id}: status={result.status}, but should be {result.expected}; "
        f"fits off their expected verdict: {[f.key for f in wrong]}\n{result.explain()}"
    )


def _check_control(claim: Claim, control: str, runner: ClaimRunner) -> None:
    outcome = runner(claim).control(control)
    assert outcome.status != "error", f"{outcome.id}: status=error\n{outcome.explain()}"
    if runner.scale == "smoke":
        return
    assert outcome.rejected, (
        f"{outcome.id}: status={outcome.status}, but should be fail (rejected)\n{outcome.explain()}"
    )


def _check_json(claim: Claim, runner: ClaimRunner) -> None:
    check_band_rule(runner(claim).to_dict())


def _check_strategy(claim: Claim, max_examples: int) -> None:
    """The claim's strategy draws overrides where it should hold; at the smoke scale and a drawn
    seed, no fit expected to pass may fail (nor may the run error). A fit with a deviation
    recorded at any scale keeps its recorded verdict: it is a measured departure from the law
    (noise-count's noise/L1 ratio, origins' at-a-loss fraction…), not a statement that holds, and
    its range was measured at its own scale only, so it is not judged here. The settings not
    given here (derandomisation, the database) are those of the active hypothesis profile."""
    if claim.strategy is None:
        _skip(f"{claim.id}: declares no hypothesis strategy")
        return
    from hypothesis import HealthCheck, given, note, settings
    from hypothesis import strategies as st

    def holds(data: st.DataObject) -> None:
        overrides = data.draw(claim.overrides_strategy(), label=f"{claim.id} overrides")
        seed = data.draw(st.integers(0, 10_000), label="seed")
        result = claim.run("smoke", seed=seed, overrides=overrides)
        note(result.explain())
        failed = [
            f.key
            for f in result.fits
            if f.verdict == "fail"
            and result.expected_of(f.key) == "pass"
            and f.key not in claim.deviations  # recorded at some scale: not a statement
        ]
        assert result.status != "error" and not failed, (
            f"{claim.id}: status={result.status}, fits failed={failed}, "
            "but should not fail where it holds "
            f"[overrides={overrides}, seed={seed}]\n{result.explain()}"
        )

    # its own name per claim: hypothesis keys its example database by the test's name
    holds.__name__ = holds.__qualname__ = f"strategy_of_{claim.id.replace('-', '_')}"
    settings(
        max_examples=max_examples,
        deadline=None,  # simulations are slow by design
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )(given(data=st.data())(holds))()


def _check_theory_patch(
    claim: Claim, patch: TheoryPatch | None, patches: Iterable[str], runner: ClaimRunner
) -> None:
    if patch is None:
        given_for = ", ".join(sorted(patches)) or "none"
        _skip(
            f"{claim.id}: no theory patch given (patches={{id: TheoryPatch(...)}}; given for: "
            f"{given_for})"
        )
        return
    if runner.scale == "smoke":
        _skip("smoke intervals are too wide to fail anything")
        return
    result = runner(claim)
    assert result.status != "error", result.explain()
    module = importlib.import_module(patch.module)
    original = getattr(module, patch.function)
    setattr(module, patch.function, patch.corrupt(original))
    try:
        params = claim.resolve(runner.scale)
        fits = claim.fit(result.measurements, claim.derive(params), params, claim.judge(params))
    finally:
        setattr(module, patch.function, original)
    where = f"{claim.id}/{patch.key}"
    patched = next((f for f in fits if f.key == patch.key), None)
    assert patched is not None, f"{where}: the claim has no fit {patch.key!r}"
    honest = result.fit(patch.key)
    assert not _close(patched.predicted, honest.predicted), (
        f"{where}: patching {patch.module}.{patch.function} did not move the prediction "
        f"({honest.predicted}): it is not taken from the theory"
    )
    assert _close(patched.fitted, honest.fitted), (
        f"{where}: the fitted value moved with the theory ({honest.fitted} -> {patched.fitted})"
    )
    assert patched.verdict == "fail", (
        f"{where}: verdict {patched.verdict} with the theory patched "
        f"(predicted {patched.predicted}), but should be fail\n{patched.explain()}"
    )


def claim_checks(
    claims: Sequence[Claim],
    runner: ClaimRunner,
    *,
    patches: Mapping[str, TheoryPatch] | None = None,
    max_examples: int = 2,
    kinds: Sequence[Kind] = KINDS,
) -> list[ClaimCheck]:
    """The checks of ``kinds`` for each claim, claim by claim (module doc): the claims run
    through ``runner`` (lazily: no claim runs here); ``patches`` maps claim ids to their
    :class:`TheoryPatch`; ``max_examples`` bounds the strategy's draws per claim."""
    bad = [c for c in claims if not isinstance(c, Claim)]
    if bad:
        raise TypeError(f"claim_checks takes claims.Claim objects; got {bad[0]!r}")
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError(f"claim ids must be unique to name the tests; got {ids}")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown check kinds {unknown}; allowed: {', '.join(KINDS)}")
    patches = dict(patches or {})
    out: list[ClaimCheck] = []
    for claim in claims:
        for kind in KINDS:
            if kind not in kinds:
                continue
            if kind == "control":
                params = claim.params[runner.scale]
                out += [
                    ClaimCheck(
                        claim,
                        kind,
                        f"{claim.id}/{k.id}",
                        lambda c=claim, k=k.id: _check_control(c, k, runner),
                        control=k.id,
                    )
                    for k in claim.controls_at(params, runner.scale)
                ]
                continue
            run: Callable[[], None] = {
                "runs": lambda c=claim: _check_runs(c, runner),
                "band-rule": lambda c=claim: _check_json(c, runner),
                "strategy": lambda c=claim: _check_strategy(c, max_examples),
                "theory-patch": lambda c=claim: _check_theory_patch(
                    c, patches.get(c.id), patches, runner
                ),
            }[kind]
            out.append(ClaimCheck(claim, kind, claim.id, run))
    return out


def parametrize_with_claims(
    claims: Sequence[Claim],
    scale: str = "smoke",
    seed: int = 0,
    *,
    patches: Mapping[str, TheoryPatch] | None = None,
    cache: SimulationCache | None = None,
    max_examples: int = 2,
) -> Any:
    """A ``pytest.mark.parametrize`` decorator over the checks of ``claims`` (module doc): the
    test takes one argument, ``check``, and calls it. Each claim runs once, at ``scale`` and
    ``seed``, when its first check runs (with ``cache``, a
    :class:`claims._cache.SimulationCache`, simulations are reused); ``patches`` maps claim ids
    to their :class:`TheoryPatch`; ``max_examples`` bounds each strategy's draws."""
    import pytest

    checks = claim_checks(
        claims, ClaimRunner(scale, seed, cache=cache), patches=patches, max_examples=max_examples
    )
    return pytest.mark.parametrize("check", [pytest.param(c, id=c.id) for c in checks])
