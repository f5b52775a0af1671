"""The Claim object, its Result, fits, verdicts, controls and expected deviations.

One producer, two consumers: :meth:`Claim.run` returns a :class:`Result`; ``pytest claims/`` and
the report both read that Result and nothing else.

Verdict rule for one fitted quantity (:attr:`Fit.verdict`), an equivalence test:

* relation ``"=="`` (a point prediction with the claim's stated precision ``tolerance``, a
  half-width): the band is ``[predicted − tolerance, predicted + tolerance]``. The whole
  confidence interval inside the band -> ``pass``; the whole interval outside it -> ``fail``;
  straddling an edge -> ``inconclusive`` (more replicates needed). A passing interval that excludes
  the prediction is a *resolved offset* (:attr:`Fit.resolved_offset`): shown as a finding, since
  more data must never turn a true claim at its stated precision into a failure.
* relation ``">"`` / ``"<"`` (an ordering prediction, e.g. "Bernoulli raises ‖W‖₄⁴"): the whole
  interval on the predicted side -> ``pass``; the whole interval on the other side -> ``fail``;
  straddling -> ``inconclusive``.

Power, stated per fit (:attr:`Fit.detects`): the smallest distance δ of the true value θ from the
prediction p at which the fit *fails* with probability ≥ 95 %. With the interval read as
θ̂ ± h, h = z_c·s (s the estimate's standard error, z_c = Φ⁻¹((1 + c)/2) at the interval's level
c), a "==" fit fails when θ̂ − h > p + t (or θ̂ + h < p − t); for θ = p + t + d that has probability
Φ((d − h)/s), which reaches 0.95 at d = h + z₀.₉₅·s. Hence

    δ = t + h·(1 + z₀.₉₅ / z_c)          ("==", t the tolerance, h half the interval's width)
    δ = h·(1 + z₀.₉₅ / z_c)              (">" / "<": beyond p on the wrong side)

An exact fit (c = 1, h = 0) detects any departure past its band, δ = t; an unbounded interval
detects nothing (δ = ∞). The normal reading of the interval is an approximation for bootstrap and
t intervals; ``tests/test_core.py`` checks δ on synthetic estimates with known truth. A fit is
*weak* when δ exceeds the effect it is meant to show (:meth:`Result.effect_of`).

A claim's status aggregates its fits: any ``fail`` -> fail, else any ``inconclusive`` ->
inconclusive, else pass; an exception (a diverging run, say) -> ``error`` with its message.
A recorded :class:`Deviation` is met only when the fit reaches its expected verdict *and* its
fitted value lies in the deviation's measured range.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import statistics
import time
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, NamedTuple, TypeVar

import numpy as np
import sympy

from sim import ParamError

from ._context import Context
from ._params import apply_overrides, params_to_dict

if TYPE_CHECKING:
    from ._cache import SimulationCache
    from .paper_figures import Agreement

__all__ = [
    "SCALES",
    "Claim",
    "Control",
    "ControlOutcome",
    "Derivation",
    "Deviation",
    "Fit",
    "FitSpec",
    "Judge",
    "Result",
    "Scale",
    "Status",
    "Verdict",
    "fit_by_key",
]

Verdict = Literal["pass", "fail", "inconclusive"]
Status = Literal["pass", "fail", "inconclusive", "error"]
Relation = Literal["==", ">", "<"]
Scale = Literal["smoke", "standard", "paper"]
SCALES: tuple[Scale, ...] = ("smoke", "standard", "paper")

P = TypeVar("P")  # a claim's frozen params dataclass
M = TypeVar("M")  # a claim's measurements (whatever its simulate returns)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _z(q: float) -> float:
    """The standard normal quantile Φ⁻¹(q)."""
    return float(statistics.NormalDist().inv_cdf(q))


def _percent(x: float, equals: bool = False) -> str:
    """``x`` as a percentage to 4 significant digits ("99.69 %"); with ``equals``, prefixed by "="
    when that is exact and "≈" when it is rounded."""
    text = f"{100 * x:.4g} %"
    if not equals:
        return text
    return ("= " if abs(float(text[:-2]) - 100 * x) < 1e-9 else "≈ ") + text


def _json_bound(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _kind(x: Any) -> str:
    """A value as an error message names it: ``float 0.5``, ``tuple of 2``, ``dict``."""
    if isinstance(x, (tuple, list)):
        return f"{type(x).__name__} of {len(x)}"
    if x is None:
        return "None"
    if isinstance(x, (bool, int, float, str)):
        return f"{type(x).__name__} {x!r}"
    return type(x).__name__


def _real(value: Any, what: str) -> float:
    """``float(value)`` for a real number (Python, numpy or sympy); a TypeError naming ``what``
    otherwise (a string, an array, a sympy expression with free symbols)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} is {_kind(value)}; expected a real number")
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} is {_kind(value)}; expected a real number ({exc})") from None


def _pair(value: Any, n: int, what: str, expected: str) -> tuple[float, ...]:
    """``n`` real numbers from a tuple-like ``value``; a TypeError naming ``what`` and the shape
    ``expected`` otherwise."""
    try:
        size = None if isinstance(value, (str, bytes)) else len(value)
    except TypeError:
        size = None
    if size != n:
        raise TypeError(f"{what} is {_kind(value)}; expected {expected}")
    return tuple(_real(v, f"{what}[{i}]") for i, v in enumerate(value))


@dataclass(frozen=True)
class FitSpec:
    """What a claim states about one fitted quantity, declared before anything is measured.

    The claim lists its specs (``Claim.fits``); :class:`Judge` builds each :class:`Fit` from its
    spec, so the tolerance, relation and reason are written once, and ``polyclaims show`` can
    print them without running anything.
    """

    key: str  # short slug, unique within a claim; controls and deviations refer to it
    quantity: str  # what is fitted, in words ("slope of log count vs log m")
    # the claim's stated precision of a "==" fit, a half-width: the band is predicted ± tolerance
    # (None for ">"/"<")
    tolerance: float | None = None
    relation: Relation = "=="  # "==": fitted equals predicted; ">"/"<": fitted lies above/below it
    why: str = ""  # why this tolerance / window / threshold (shown in the report)
    # the size of the departure this fit is meant to show, |alternative − prediction| (None: read
    # off the claim's controls that move this fit's prediction, Result.effect_of)
    effect: float | None = None
    # a deterministic computation (interval of zero width, confidence 1): not in the family
    exact: bool = False

    def __post_init__(self) -> None:
        if not self.key or " " in self.key or "/" in self.key:
            raise ValueError(f"fit key {self.key!r} must be a slug without spaces or '/'")
        if self.relation == "==" and (self.tolerance is None or not self.tolerance > 0):
            raise ValueError(f"fit {self.key!r}: a '==' fit needs a positive tolerance")
        if self.effect is not None and not (math.isfinite(self.effect) and self.effect > 0):
            raise ValueError(
                f"fit {self.key!r}: effect={self.effect!r} must be a finite number > 0"
            )


DETECT_POWER = 0.95  # Fit.detects: the departure at which a fit fails with this probability


@dataclass(frozen=True)
class Fit:
    """One fitted quantity against its prediction, with a confidence interval from replicates.

    Claims build fits through :meth:`Judge.fit` and controls through :meth:`Fit.mutant`; the
    verdict follows from the fields (module doc). Whether a fit is *expected* to pass is not
    stored here: it lives in the claim's ``deviations`` alone.

    A fit remembers which judge issued it (and whether it is a control's mutant of such a fit):
    :meth:`Claim.run` refuses any other, so a fit built here directly (or copied with
    ``dataclasses.replace``) can be inspected, but it never becomes a verdict.
    """

    key: str  # short slug, unique within a claim; controls and deviations refer to it
    quantity: str  # what was fitted, in words ("slope of log count vs log m")
    _: KW_ONLY
    predicted: float  # the theory's value (or threshold, for ">"/"<")
    fitted: float  # the point estimate from the simulation
    ci: tuple[float, float]  # confidence interval from replicates or a bootstrap (±inf: unbounded)
    tolerance: float | None = None  # half-width of the band predicted ± tolerance; None for ">"/"<"
    relation: Relation = "=="  # "==": fitted equals predicted; ">"/"<": fitted lies above/below it
    confidence: float = 0.95  # the CI's coverage level
    why: str = ""  # why this tolerance / window / threshold (shown in the report)
    effect: float | None = None  # the departure the fit is meant to show (its spec's), if declared
    # the judge that issued this fit, and whether it is a control's mutant of one; set by
    # Judge.fit and Fit.mutant only (None: built directly, refused by Claim.run)
    _issued: _Issued | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.relation == "==" and (self.tolerance is None or not self.tolerance > 0):
            raise ValueError(f"fit {self.key!r}: a '==' fit needs a positive tolerance")
        values = (self.predicted, self.fitted)
        if not all(math.isfinite(v) for v in values) or any(math.isnan(v) for v in self.ci):
            raise ValueError(
                f"fit {self.key!r} ({self.quantity}) is not finite: predicted={self.predicted}, "
                f"fitted={self.fitted}, ci={self.ci}; the measurement cannot decide anything"
            )
        if self.ci[0] > self.ci[1]:
            raise ValueError(f"fit {self.key!r}: ci={self.ci} has lower > upper")

    @property
    def verdict(self) -> Verdict:
        lo, hi = self.ci
        if self.relation == ">":
            return (
                "pass"
                if lo > self.predicted
                else "fail"
                if hi <= self.predicted
                else "inconclusive"
            )
        if self.relation == "<":
            return (
                "pass"
                if hi < self.predicted
                else "fail"
                if lo >= self.predicted
                else "inconclusive"
            )
        band_lo, band_hi = self.band
        if band_lo <= lo and hi <= band_hi:
            return "pass"
        if hi < band_lo or lo > band_hi:
            return "fail"
        return "inconclusive"

    @property
    def band(self) -> tuple[float, float]:
        """``[predicted − tolerance, predicted + tolerance]`` for "==" (±inf-free); for an ordering
        the side that passes: ``(predicted, inf)`` for ">", ``(-inf, predicted)`` for "<"."""
        if self.relation == ">":
            return (self.predicted, math.inf)
        if self.relation == "<":
            return (-math.inf, self.predicted)
        assert self.tolerance is not None
        return (self.predicted - self.tolerance, self.predicted + self.tolerance)

    @property
    def offset(self) -> tuple[float, float, float]:
        """fitted − predicted with its interval (lo − predicted, hi − predicted)."""
        return (
            self.fitted - self.predicted,
            self.ci[0] - self.predicted,
            self.ci[1] - self.predicted,
        )

    @property
    def resolved_offset(self) -> bool:
        """A "==" fit that passes although its interval excludes the prediction: a finite-size or
        dynamical offset the data resolve, inside the claim's stated precision (a finding)."""
        lo, hi = self.ci
        return (
            self.relation == "=="
            and self.verdict == "pass"
            and lo < hi
            and not lo <= self.predicted <= hi
        )

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def detects(self) -> float:
        """The smallest departure |θ − p| of the true value from the prediction at which this fit
        fails with probability ≥ 95 % (:data:`DETECT_POWER`; module doc): t + h(1 + z₀.₉₅/z_c)
        for "==", h(1 + z₀.₉₅/z_c) past the threshold for an ordering; ∞ for an unbounded
        interval."""
        lo, hi = self.ci
        half = (hi - lo) / 2
        if not math.isfinite(half):
            return math.inf
        ratio = 0.0
        if half > 0 and self.confidence < 1:
            ratio = _z(DETECT_POWER) / _z((1 + self.confidence) / 2)
        return (self.tolerance if self.relation == "==" else 0.0) + half * (1 + ratio)

    def mutant(
        self,
        *,
        predicted: float | None = None,
        fitted: float | None = None,
        ci: tuple[float, float] | None = None,
        relation: Relation | None = None,
        tolerance: float | None = None,
        quantity: str | None = None,
    ) -> Fit:
        """The same fit key judged as a control's mutant claim: another prediction, or another
        measured value where the mutant changes what is measured. The one way controls build
        fits."""
        changes: dict[str, Any] = {"why": "control (mutant claim)"}
        for name, value in (
            ("predicted", predicted),
            ("fitted", fitted),
            ("ci", ci),
            ("relation", relation),
            ("tolerance", tolerance),
            ("quantity", quantity),
        ):
            if value is not None:
                changes[name] = (
                    float(value) if name in ("predicted", "fitted", "tolerance") else value
                )
        if changes.get("relation") in (">", "<") and tolerance is None:
            changes["tolerance"] = None
        mutated = dataclasses.replace(self, **changes)
        if self._issued is not None:  # a mutant of a judged fit keeps its judge, marked a mutant
            object.__setattr__(mutated, "_issued", _Issued(self._issued.judge, mutant=True))
        return mutated

    def explain(self, expected: Verdict = "pass", reason: str | None = None) -> str:
        rel = {"==": "predicted", ">": "predicted >", "<": "predicted <"}[self.relation]
        tol = (
            f", band [{_fmt(self.band[0])}, {_fmt(self.band[1])}]" if self.relation == "==" else ""
        )
        lo, hi = self.ci
        line = (
            f"{self.quantity}: {rel} {_fmt(self.predicted)}, fitted {_fmt(self.fitted)}, "
            f"{self.confidence:.1%} CI [{_fmt(lo)}, {_fmt(hi)}]{tol} -> {self.verdict}"
        )
        if self.resolved_offset:
            d, dlo, dhi = self.offset
            line += f" (resolved offset {_fmt(d)} [{_fmt(dlo)}, {_fmt(dhi)}])"
        # power: a departure this large fails with probability >= 95 % (either side of a band;
        # past the threshold on the wrong side of an ordering)
        line += (
            f"; detects ±{_fmt(self.detects)}"
            if self.relation == "=="
            else f"; detects {_fmt(self.detects)} past {_fmt(self.predicted)}"
        )
        if expected != "pass":
            line += f" (expected {expected}: {reason})"
        return line

    def to_dict(
        self,
        expected: Verdict = "pass",
        reason: str | None = None,
        range: tuple[float, float] | None = None,
    ) -> dict[str, Any]:
        return {
            "key": self.key,
            "quantity": self.quantity,
            "relation": self.relation,
            "predicted": self.predicted,
            "fitted": self.fitted,
            "ci": [_json_bound(self.ci[0]), _json_bound(self.ci[1])],  # null: unbounded
            "confidence": self.confidence,
            "tolerance": self.tolerance,
            "band": [_json_bound(self.band[0]), _json_bound(self.band[1])]
            if self.relation == "=="
            else None,
            "offset": [_json_bound(x) for x in self.offset] if self.relation == "==" else None,
            "resolved_offset": self.resolved_offset,
            "detects": _json_bound(self.detects),  # null: unbounded (detects nothing)
            "passed": self.passed,
            "verdict": self.verdict,
            "expected": expected,
            "range": list(range) if range is not None else None,
            "reason": reason,
            "why": self.why,
        }


DEFAULT_CONFIDENCE = 0.95  # the family-wise level of a claim whose params have no `confidence`


def _check_confidence(value: Any, claim_id: str, field: str = "confidence") -> float:
    """A claim's family-wise confidence as a float: a real number with 0.5 <= confidence < 1.
    Raises :class:`sim.ParamError` naming ``field`` and the claim otherwise."""
    allowed = (
        f"a number with 0.5 <= confidence < 1 (the family-wise level of the intervals of claim "
        f"{claim_id!r}: its params' confidence, default {DEFAULT_CONFIDENCE})"
    )
    if isinstance(value, (bool, str, bytes)):
        raise ParamError(field, value, allowed)
    try:
        level = float(value)
    except (TypeError, ValueError):
        raise ParamError(field, value, allowed) from None
    if not 0.5 <= level < 1:  # NaN fails too
        raise ParamError(field, value, allowed)
    return level


class _Issued(NamedTuple):
    """Where a :class:`Fit` came from: the judge that issued it, and whether it is a mutant of
    one of that judge's fits (:meth:`Fit.mutant`)."""

    judge: Judge
    mutant: bool


class Judge:
    """What :meth:`Claim.run` hands a claim's ``fit``: the family-wise level and the bootstrap's
    generator, and :meth:`fit`, which builds each :class:`Fit` from the claim's declared spec.

    The judge is the only way to a verdict: the tolerance, relation and confidence of every fit
    come from the declared :class:`FitSpec` and the judge's level, and :meth:`Claim.run` refuses a
    fit this judge did not issue.

    ``confidence`` is the claim's family-wise level: :meth:`Claim.judge` reads it from the params'
    optional ``confidence`` field (default 0.95), and it must satisfy 0.5 <= confidence < 1. The
    level is Bonferroni over the stochastic fits the claim declares: each interval is at
    ``1 − (1 − confidence)/k``, k counted here, so a true claim fails with probability ≤
    ``1 − confidence``. Exact fits (deterministic computations) have confidence 1.
    """

    def __init__(
        self, claim_id: str, specs: Sequence[FitSpec], confidence: float = DEFAULT_CONFIDENCE
    ) -> None:
        self.claim_id = claim_id
        bad = [i for i, s in enumerate(specs) if not isinstance(s, FitSpec)]
        if bad:
            raise TypeError(
                f"claim {claim_id!r}: its fits hold {_kind(specs[bad[0]])} at position {bad[0]}; "
                "expected a FitSpec"
            )
        self.specs: dict[str, FitSpec] = {s.key: s for s in specs}
        if len(self.specs) != len(specs):
            raise ValueError(
                f"claim {claim_id!r} declares duplicate fit keys {[s.key for s in specs]}"
            )
        self.k = sum(not s.exact for s in specs)  # the family: stochastic fits
        self.confidence = _check_confidence(confidence, claim_id)
        self.level = 1 - (1 - self.confidence) / max(self.k, 1)  # each stochastic interval's level
        self.rng = np.random.default_rng(
            0
        )  # the bootstrap's resampling stream: fixed, the data vary

    def spec(self, key: str) -> FitSpec:
        try:
            return self.specs[key]
        except KeyError:
            raise KeyError(
                f"claim {self.claim_id!r} declares no fit {key!r}; declared: {list(self.specs)}"
            ) from None

    def level_of(self, spec: FitSpec) -> float:
        """The confidence of ``spec``'s interval: 1 for an exact fit, :attr:`level` otherwise."""
        return 1.0 if spec.exact else self.level

    def family_sentence(self) -> str:
        """The claim's family-wise guarantee in words, with this judge's k, level and confidence
        (generated, never typed): "16 stochastic fits, each interval at the Bonferroni level
        1 − 0.05/16 ≈ 99.69 %: a claim true at its stated precision fails with probability ≤ 5 %".
        A claim's ``false_failure`` function starts from it (:attr:`Claim.false_failure`)."""
        alpha = 1 - self.confidence
        exact = len(self.specs) - self.k
        also = (
            f" (and {exact} exact fit{'s' if exact != 1 else ''}, which cannot fail by chance)"
            if exact and self.k
            else ""
        )
        if self.k == 0:
            return "no stochastic fit (every fit is an exact computation): it cannot fail by chance"
        if self.k == 1:
            level = f"its interval at {_percent(self.level)}"
        else:
            level = (
                f"each interval at the Bonferroni level 1 − {alpha:.3g}/{self.k} "
                f"{_percent(self.level, equals=True)}"
            )
        return (
            f"{self.k} stochastic fit{'s' if self.k != 1 else ''}{also}, {level}: a claim true at "
            f"its stated precision fails with probability ≤ {_percent(alpha)}"
        )

    def fit(
        self,
        key: str,
        *,
        predicted: float,
        estimate: tuple[float, float, float] | None = None,
        fitted: float | None = None,
        ci: tuple[float, float] | None = None,
    ) -> Fit:
        """The fit ``key`` (declared in the claim's specs): ``estimate`` is a
        :class:`claims.fitting.Estimate` (value, lo, hi), or pass ``fitted`` and ``ci``; an exact
        spec with neither ``ci`` nor an estimate gets the zero-width interval
        ``[fitted, fitted]``. Every number must be real (a sympy expression must be evaluated
        first); a wrong shape or type is a TypeError naming the claim, the key and what was
        expected."""
        s = self.spec(key)
        where = f"claim {self.claim_id!r}, judge.fit({key!r})"
        if estimate is not None:
            if fitted is not None or ci is not None:
                raise TypeError(f"{where}: give estimate= or fitted= (with ci=), not both")
            value, lo, hi = _pair(
                estimate,
                3,
                f"{where}: estimate",
                "a claims.fitting.Estimate or a 3-tuple (value, lo, hi): the point estimate and "
                "its confidence interval (for a value and an interval, pass fitted= and "
                "ci=(lo, hi))",
            )
            fitted, ci = value, (lo, hi)
        if fitted is None:
            raise TypeError(f"{where}: give estimate= or fitted=")
        value = _real(fitted, f"{where}: fitted")
        if ci is None:
            if not s.exact:
                raise ValueError(
                    f"{where}: a stochastic fit needs its confidence interval (estimate= or ci=)"
                )
            bounds = (value, value)
        else:
            lo, hi = _pair(ci, 2, f"{where}: ci", "a 2-tuple (lo, hi)")
            bounds = (lo, hi)
        try:
            made = Fit(
                s.key,
                s.quantity,
                predicted=_real(predicted, f"{where}: predicted"),
                fitted=value,
                ci=bounds,
                tolerance=s.tolerance,
                relation=s.relation,
                confidence=self.level_of(s),
                why=s.why,
                effect=s.effect,
            )
        except ValueError as exc:
            raise ValueError(f"claim {self.claim_id!r}: {exc}") from None
        object.__setattr__(made, "_issued", _Issued(self, mutant=False))
        return made


@dataclass(frozen=True)
class Deviation:
    """A recorded, measured departure from the theory: a number, not only a verdict.

    Data with a reason, never a loosened tolerance: the verdict the fit is known to reach, the
    range its fitted value was measured in, the scales where that was measured. It is met only when
    the fit reaches ``expected`` (or one of ``also``) with its fitted value inside ``range``;
    otherwise the claim is not as expected and the report says which number moved.
    """

    expected: Verdict  # the verdict the fit is known to reach
    # where the fitted value was measured (seeds, grid): met only inside it
    range: tuple[float, float]
    reason: str  # the measured reason, with numbers
    scales: tuple[str, ...] = ("standard",)  # the scales it was measured at (and applies to)
    # further verdicts measured at some seeds: a value that sits at a band's edge is judged
    # inconclusive or pass by the draw (the range still pins the number)
    also: tuple[Verdict, ...] = ()

    def __post_init__(self) -> None:
        lo, hi = self.range
        if not lo <= hi:
            raise ValueError(f"deviation range {self.range} has lower > upper")
        bad = [s for s in self.scales if s not in SCALES]
        if bad or not self.scales:
            raise ValueError(f"deviation scales {self.scales} must be among {SCALES}")
        if self.expected in self.also:
            raise ValueError(f"deviation also={self.also} repeats expected={self.expected!r}")

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """Every verdict that meets this deviation: ``expected`` first."""
        return (self.expected, *self.also)

    def expected_for(self, fit: Fit) -> Verdict:
        """The verdict ``fit`` was expected to reach: its own when it is one of :attr:`verdicts`."""
        return fit.verdict if fit.verdict in self.verdicts else self.expected

    def met_by(self, fit: Fit) -> bool:
        return fit.verdict in self.verdicts and self.range[0] <= fit.fitted <= self.range[1]

    def moved(self, fit: Fit) -> str | None:
        """Why ``fit`` does not meet this deviation (None when it does)."""
        if fit.verdict not in self.verdicts:
            return (
                f"{fit.key}: verdict {fit.verdict}, recorded deviation {' or '.join(self.verdicts)}"
            )
        if not self.range[0] <= fit.fitted <= self.range[1]:
            return (
                f"{fit.key}: fitted {_fmt(fit.fitted)} outside its recorded range "
                f"[{_fmt(self.range[0])}, {_fmt(self.range[1])}]"
            )
        return None


@dataclass(frozen=True, repr=False)
class Derivation:
    """The symbolic side of a claim: the headline prediction and named intermediate results."""

    expr: sympy.Expr  # the headline prediction (goes into claims.json "prediction")
    extra: Mapping[str, sympy.Expr] = field(default_factory=dict)  # named derived expressions
    values: Mapping[str, float] = field(default_factory=dict)  # numeric predictions at the params

    def __repr__(self) -> str:
        return f"Derivation({self.expr})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "sympy": str(self.expr),
            "latex": sympy.latex(self.expr),
            "extra": {k: {"sympy": str(v), "latex": sympy.latex(v)} for k, v in self.extra.items()},
            "values": {k: float(v) for k, v in self.values.items()},
        }


_SYMBOLIC = (sympy.Basic, sympy.MatrixBase)  # what str() and sympy.latex() of a prediction take


def _check_derivation(claim_id: str, d: Any) -> Derivation:
    """``d`` as derive() must return it: a :class:`Derivation` whose ``expr`` and ``extra`` are
    sympy expressions and whose ``values`` are real numbers (the report and claims.json read all
    three); a TypeError naming the claim and the field otherwise."""
    where = f"claim {claim_id!r}: derive()"
    if not isinstance(d, Derivation):
        raise TypeError(
            f"{where} returned {_kind(d)}; expected a claims.Derivation(expr, extra, values): the "
            "sympy prediction, named sympy expressions and numeric predictions that the report "
            "and claims.json read"
        )
    if not isinstance(d.expr, _SYMBOLIC):
        raise TypeError(
            f"{where} returned a Derivation whose expr is {_kind(d.expr)}; expected "
            "a sympy expression"
        )
    for name, entries in (("extra", d.extra), ("values", d.values)):
        if not isinstance(entries, Mapping):
            raise TypeError(
                f"{where} returned a Derivation whose {name} is {_kind(entries)}; expected a "
                "mapping from names (str) to "
                + ("sympy expressions" if name == "extra" else "real numbers")
            )
        for k, v in entries.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: Derivation.{name} has key {k!r}; expected a string")
            if name == "extra" and not isinstance(v, _SYMBOLIC):
                raise TypeError(
                    f"{where}: Derivation.extra[{k!r}] is {_kind(v)}; expected a sympy expression"
                )
            if name == "values":
                _real(v, f"{where}: Derivation.values[{k!r}]")
    return d


RefitFn = Callable[[Sequence[Fit], Any, Any, "Judge"], Sequence[Fit]]


@dataclass(frozen=True, repr=False)
class Control:
    """A mutant of the claim that the harness must reject (its status must be ``fail``).

    Either ``predict`` maps fit keys to wrong predictions (the same measurement judged against
    them), or ``refit(fits, measurements, params, judge)`` returns mutated fits built with
    :meth:`Fit.mutant` (for controls that change what is measured, e.g. correlating against
    another instance's initialisation). A control may only re-judge fit keys the claim has; it is
    judged on its mutated fits alone.
    """

    id: str  # slug, unique within the claim; the full id is "<claim-id>/<id>"
    statement: str  # the wrong claim, in words
    predict: Mapping[str, float] = field(default_factory=dict)
    refit: RefitFn | None = None

    def __post_init__(self) -> None:
        if not self.id or "/" in self.id or " " in self.id:
            raise ValueError(f"control id {self.id!r} must be a slug without '/' or spaces")
        if (self.refit is None) == (not self.predict):
            raise ValueError(f"control {self.id!r}: give exactly one of predict= and refit=")

    def __repr__(self) -> str:
        return f"Control({self.id})"

    def apply(self, fits: Sequence[Fit], measurements: Any, params: Any, judge: Judge) -> list[Fit]:
        """The mutated fits; raises KeyError when they name a key the claim's fits lack."""
        by_key = {f.key: f for f in fits}
        if self.refit is not None:
            out = self.refit(fits, measurements, params, judge)
            if isinstance(out, (str, bytes, Fit)) or not isinstance(out, Sequence):
                raise TypeError(
                    f"control {self.id!r}: refit() returned {_kind(out)}; expected a list of Fit, "
                    "each the claim's fit re-judged with Fit.mutant (or built by judge.fit)"
                )
            bad = [i for i, f in enumerate(out) if not isinstance(f, Fit)]
            if bad:
                raise TypeError(
                    f"control {self.id!r}: refit() returned {_kind(out[bad[0]])} at position "
                    f"{bad[0]}; expected a Fit built with Fit.mutant (or judge.fit)"
                )
            mutated = list(out)
        else:
            missing = sorted(set(self.predict) - set(by_key))
            if missing:
                raise KeyError(
                    f"control {self.id!r} mutates unknown fit keys {missing}; have {sorted(by_key)}"
                )
            mutated = [by_key[k].mutant(predicted=v) for k, v in self.predict.items()]
        keys = [f.key for f in mutated]
        unknown = sorted(set(keys) - set(by_key))
        if unknown or len(set(keys)) != len(keys):
            raise KeyError(
                f"control {self.id!r} must re-judge distinct fit keys of the claim; "
                f"got {keys}, the claim has {sorted(by_key)}"
            )
        return mutated


@dataclass(frozen=True)
class ControlOutcome:
    id: str  # full id "<claim-id>/<control-id>"
    statement: str
    status: Status
    fits: tuple[Fit, ...]
    error: str | None = None

    @property
    def rejected(self) -> bool:
        return self.status == "fail"

    def explain(self) -> str:
        head = (
            f"control {self.id} ({self.statement}): {self.status}, "
            f"{'rejected' if self.rejected else 'NOT rejected'}"
        )
        if self.error:
            return f"{head}; error: {self.error}"
        return head + "".join(f"\n    {f.explain()}" for f in self.fits)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "status": self.status,
            "rejected": self.rejected,
            "fits": [f.to_dict() for f in self.fits],
            "error": self.error,
        }


def aggregate(verdicts: Sequence[str]) -> Status:
    """Any fail -> fail; else any inconclusive -> inconclusive; else pass (also for none)."""
    if "error" in verdicts:
        return "error"
    if "fail" in verdicts:
        return "fail"
    if "inconclusive" in verdicts:
        return "inconclusive"
    return "pass"


def fit_by_key(fits: Sequence[Fit], key: str, claim_id: str | None = None) -> Fit:
    """The fit ``key`` among ``fits`` (a result's, or the claim's fits a control's ``refit`` is
    given); a KeyError naming ``claim_id`` and the keys there otherwise."""
    for f in fits:
        if f.key == key:
            return f
    where = f"{claim_id}: " if claim_id is not None else ""
    raise KeyError(f"{where}no fit {key!r}; have {[f.key for f in fits]}")


@dataclass(frozen=True, repr=False)
class Result(Generic[M]):
    """What :meth:`Claim.run` produced: everything pytest and the report need."""

    claim_id: str
    title: str
    statement: str
    source: str
    scale: str
    seed: int
    status: Status
    fits: tuple[Fit, ...]
    controls: tuple[ControlOutcome, ...]
    params: Mapping[str, Any]
    seconds: float
    false_failure: str  # the claim's false-failure text, generated at this run's params
    deviations: Mapping[str, Deviation] = field(default_factory=dict)  # the claim's, by fit key
    derivation: Derivation | None = None
    measurements: M | None = None  # raw measurements, for figures; not serialised
    figures: tuple[str, ...] = ()
    error: str | None = None
    # the paper's own numbers at these settings beside ours (claims.paper_figures); never a verdict
    paper_figures: tuple[Agreement, ...] = ()
    paper_figures_error: str | None = None  # why the comparison with the paper's numbers failed

    def __repr__(self) -> str:
        return f"Result({self.claim_id}: {self.status}, expected {self.expected})"

    @property
    def expected(self) -> Status:
        """The status the claim is expected to reach: the worst of its deviations' verdicts (a
        deviation measured at several verdicts counts with the one this run reached, if any)."""
        by_key = {f.key: f for f in self.fits}
        return aggregate(
            [
                d.expected_for(by_key[k]) if k in by_key else d.expected
                for k, d in self.deviations.items()
            ]
        )

    @property
    def reason(self) -> str | None:
        if not self.deviations:
            return None
        return "; ".join(f"{k}: {d.reason}" for k, d in self.deviations.items())

    def expected_of(self, key: str) -> Verdict:
        """The verdict fit ``key`` is expected to reach: pass, unless a deviation is recorded."""
        dev = self.deviations.get(key)
        if dev is None:
            return "pass"
        fit = next((f for f in self.fits if f.key == key), None)
        return dev.expected if fit is None else dev.expected_for(fit)

    def as_expected(self, fit: Fit) -> bool:
        """The fit reached its expected verdict (and, for a deviation, its recorded range)."""
        dev = self.deviations.get(fit.key)
        return dev.met_by(fit) if dev is not None else fit.verdict == "pass"

    def moved(self) -> list[str]:
        """What is off expectation, fit by fit, in words (which number moved)."""
        out = []
        for f in self.fits:
            dev = self.deviations.get(f.key)
            if dev is not None:
                text = dev.moved(f)
                if text:
                    out.append(text)
            elif f.verdict != "pass":
                out.append(f"{f.key}: verdict {f.verdict}, expected pass")
        return out

    @property
    def meets_expectation(self) -> bool:
        """Every fit reached its expected verdict (pass, or its recorded deviation) and every
        control was rejected. Stricter than ``status == expected``."""
        if self.status == "error":
            return False
        return all(self.as_expected(f) for f in self.fits) and all(
            c.rejected for c in self.controls
        )

    def control(self, control_id: str) -> ControlOutcome:
        for c in self.controls:
            if c.id == control_id or c.id == f"{self.claim_id}/{control_id}":
                return c
        raise KeyError(
            f"{self.claim_id}: no control {control_id!r}; have {[c.id for c in self.controls]}"
        )

    def fit(self, key: str) -> Fit:
        return fit_by_key(self.fits, key, self.claim_id)

    def effect_of(self, f: Fit) -> float | None:
        """The size of the departure fit ``f`` is meant to show: its spec's declared ``effect``,
        else the smallest |p_control − p| over the controls that move its prediction (the
        alternative it must tell apart); None when neither says."""
        if f.effect is not None:
            return f.effect
        gaps = [
            abs(m.predicted - f.predicted)
            for c in self.controls
            for m in c.fits
            if m.key == f.key and m.predicted != f.predicted
        ]
        return min(gaps) if gaps else None

    def weak(self, f: Fit) -> bool:
        """The fit's detectable departure exceeds the effect it is meant to show."""
        effect = self.effect_of(f)
        return effect is not None and f.detects > effect

    def power_ratio(self, f: Fit) -> float | None:
        """detects / effect (detects / tolerance for a "==" fit without a known effect): > 1 is
        weak; None for an ordering without a known effect."""
        effect = self.effect_of(f)
        scale = effect if effect is not None else f.tolerance
        return f.detects / scale if scale else None

    def least_powerful(self) -> Fit | None:
        """The stochastic fit with the largest :meth:`power_ratio` (exact fits excluded)."""
        ranked = [
            (ratio, f)
            for f in self.fits
            if f.confidence < 1 and (ratio := self.power_ratio(f)) is not None
        ]
        return max(ranked, key=lambda rf: rf[0])[1] if ranked else None

    def explain_fit(self, f: Fit) -> str:
        dev = self.deviations.get(f.key)
        line = f.explain(dev.expected_for(f), dev.reason) if dev else f.explain()
        effect = self.effect_of(f)
        if effect is not None:
            line += f" (effect {_fmt(effect)}{': WEAK' if self.weak(f) else ''})"
        return line

    def explain(self) -> str:
        """One line per fit (quantity, predicted, fitted, CI, tolerance, verdict), then the
        controls that were not rejected."""
        head = (
            f"{self.claim_id} [{self.scale}, seed {self.seed}]: {self.status} "
            f"(expected {self.expected})"
        )
        if self.error:
            return f"{head}\n  error: {self.error}"
        lines = [head] + [f"  {self.explain_fit(f)}" for f in self.fits]
        lines += [f"  {c.explain()}" for c in self.controls if not c.rejected]
        return "\n".join(lines)

    def fit_dict(self, f: Fit) -> dict[str, Any]:
        dev = self.deviations.get(f.key)
        out = f.to_dict(dev.expected_for(f), dev.reason, dev.range) if dev else f.to_dict()
        out["effect"] = self.effect_of(f)
        out["weak"] = self.weak(f)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The claims.json entry (schema 1, docs/design.md)."""
        pred = (
            self.derivation.to_dict()
            if self.derivation is not None
            else {"sympy": None, "latex": None}
        )
        return {
            "id": self.claim_id,
            "title": self.title,
            "statement": self.statement,
            "source": self.source,
            "status": self.status,
            "expected": self.expected,
            "reason": self.reason,
            "meets_expectation": self.meets_expectation,
            "prediction": pred,
            "params": dict(self.params),
            "seconds": self.seconds,
            "false_failure": self.false_failure,
            "fits": [self.fit_dict(f) for f in self.fits],
            "least_powerful": None if (w := self.least_powerful()) is None else w.key,
            "controls": [c.to_dict() for c in self.controls],
            "figures": list(self.figures),
            "error": self.error,
            "paper_figures": [a.to_dict() for a in self.paper_figures],
            "paper_figures_error": self.paper_figures_error,
        }


SpecsFn = Callable[[Any], Sequence[FitSpec]]


def _declared_return(fn: Callable[..., Any]) -> type | None:
    """The class ``fn`` declares it returns (its resolvable return annotation), if a plain one."""
    try:
        hint = typing.get_type_hints(fn).get("return")
    except Exception:  # names imported for type checking only, local classes, no annotations
        return None
    plain = isinstance(hint, type) and typing.get_origin(hint) is None
    return hint if plain and hint not in (Any, object, type(None)) else None


@dataclass(frozen=True, repr=False)
class Claim(Generic[P, M]):
    """A claim of the theory as data: derive, simulate, fit, controls, expected deviations.

    ``params`` holds one instance of a frozen params dataclass per scale (``smoke``,
    ``standard``, ``paper``); ``paper`` is the paper code's exact settings. An optional
    ``confidence`` field of the params is the claim's family-wise level (default 0.95; it must
    satisfy 0.5 <= confidence < 1): :meth:`judge` reads it and Bonferroni-splits it over the
    stochastic fits. ``fits`` declares what is fitted (a tuple of :class:`FitSpec`, or a function
    of the params when the keys follow a grid).

    The functions and what each must return (checked where it returns; a wrong type is an error
    naming the claim, the function and what was expected, and the run's status is ``error``):

    * ``derive(params)`` -> a :class:`Derivation` (sympy ``expr``, sympy ``extra``, real
      ``values``);
    * ``simulate(params, ctx)`` -> the measurements (not None; an instance of its return
      annotation when that is a class). All randomness comes from ``ctx`` (explicit seeds);
    * ``fit(measurements, derivation, params, judge)`` -> a list with one :class:`Fit` per
      declared spec, each built by ``judge.fit`` (the judge sets tolerance, relation and
      confidence from the spec; any other fit is refused);
    * a control's ``refit(fits, measurements, params, judge)`` -> a list of :class:`Fit`, each a
      :meth:`Fit.mutant` of the claim's fits or built by ``judge.fit``;
    * ``plot(result, figdir)`` -> a list of the PNG paths it wrote (:meth:`draw`); a catalogue
      claim's is the ``plot`` of its module in ``claims/figures/`` (:class:`claims.figures.Figure`);
    * ``strategy()`` -> a hypothesis strategy of overrides (:meth:`overrides_strategy`);
    * ``false_failure(params, judge)``, when a function -> the false-failure text at the params
      (:meth:`false_failure_at`; :meth:`Judge.family_sentence` states k and the level);
    * ``paper_figures(measurements, params)`` -> a list of
      :class:`claims.paper_figures.Agreement`.
    """

    id: str  # stable slug: tests, JSON and figure names use it
    title: str
    statement: str  # one sentence
    source: str  # paper and section / figure, or "extension"
    params: Mapping[str, P]  # scale -> params
    derive: Callable[[P], Derivation]
    simulate: Callable[[P, Context], M]
    fits: Sequence[FitSpec] | SpecsFn
    fit: Callable[[M, Derivation, P, Judge], Sequence[Fit]]
    controls: tuple[Control, ...] = ()
    # fit key -> its recorded deviation(s), each for the scales it was measured at
    deviations: Mapping[str, Deviation | tuple[Deviation, ...]] = field(default_factory=dict)
    # the stated false-failure rate and what it rests on: a str, or a function (params, judge) ->
    # str that generates the numbers the code knows (k, the level: judge.family_sentence())
    false_failure: str | Callable[[P, Judge], str] = ""
    plot: Callable[[Result[M], Path], Sequence[Path]] | None = None  # figures for the report
    strategy: Callable[[], Any] | None = None  # hypothesis strategy of params where it holds
    # the paper's own figure numbers taken at these params, beside ours (none at other settings)
    paper_figures: Callable[[M, P], Sequence[Agreement]] | None = None

    def __post_init__(self) -> None:
        # the module that built this claim (a dataclasses.replace: the caller of replace): the
        # simulation cache keys a claim outside the catalogue by that module's sources
        object.__setattr__(self, "_origin", _caller_module())
        self._check_fields()
        missing = [s for s in SCALES if s not in self.params]
        if missing:
            raise ValueError(f"claim {self.id!r} lacks params for scales {missing}")
        ids = [c.id for c in self.controls]
        if len(set(ids)) != len(ids):
            raise ValueError(f"claim {self.id!r} has duplicate control ids {ids}")
        for scale in SCALES:
            _check_confidence(
                getattr(self.params[scale], "confidence", DEFAULT_CONFIDENCE),
                self.id,
                f"params[{scale!r}].confidence",
            )
            keys = {s.key for s in self.specs(self.params[scale])}
            stale = sorted(set(self.deviations_at(scale)) - keys)
            if stale:
                raise ValueError(
                    f"claim {self.id!r}: deviations {stale} at scale {scale!r} match no declared "
                    f"fit {sorted(keys)}"
                )
            unknown = sorted({k for c in self.controls for k in c.predict} - keys)
            if unknown:
                raise ValueError(
                    f"claim {self.id!r}: controls predict undeclared fit keys {unknown}"
                )

    def _check_fields(self) -> None:
        """Each field has the type the harness reads: an error names the claim and the field."""
        if (
            not isinstance(self.id, str)
            or not self.id
            or any(ch.isspace() or ch == "/" for ch in self.id)
        ):
            raise ValueError(f"claim id {self.id!r} must be a non-empty slug without spaces or '/'")
        where = f"claim {self.id!r}"
        for name in ("title", "statement", "source"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{where}: {name} is {_kind(getattr(self, name))}; expected a str")
        if not isinstance(self.false_failure, str) and not callable(self.false_failure):
            raise TypeError(
                f"{where}: false_failure is {_kind(self.false_failure)}; expected a str or a "
                "function (params, judge) -> str"
            )
        for name in ("derive", "simulate", "fit"):
            if not callable(getattr(self, name)):
                raise TypeError(
                    f"{where}: {name} is {_kind(getattr(self, name))}; expected a function"
                )
        for name in ("plot", "strategy", "paper_figures"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(f"{where}: {name} is {_kind(value)}; expected a function or None")
        if not callable(self.fits) and (
            isinstance(self.fits, (str, bytes)) or not isinstance(self.fits, Sequence)
        ):
            raise TypeError(
                f"{where}: fits is {_kind(self.fits)}; expected a tuple of FitSpec or a function "
                "of the params returning them"
            )
        if not isinstance(self.controls, tuple) or not all(
            isinstance(c, Control) for c in self.controls
        ):
            raise TypeError(
                f"{where}: controls is {_kind(self.controls)}; expected a tuple of Control"
            )
        if not isinstance(self.deviations, Mapping) or not all(
            isinstance(d, Deviation)
            or (isinstance(d, tuple) and d and all(isinstance(x, Deviation) for x in d))
            for d in self.deviations.values()
        ):
            raise TypeError(
                f"{where}: deviations is {_kind(self.deviations)} holding other than Deviation; "
                "expected a mapping from fit key to a Deviation or a tuple of them"
            )
        if not isinstance(self.params, Mapping):
            raise TypeError(
                f"{where}: params is {_kind(self.params)}; expected a mapping from scale "
                f"({', '.join(SCALES)}) to an instance of a frozen params dataclass"
            )
        extra = sorted(set(self.params) - set(SCALES))
        if extra:
            raise ValueError(f"{where}: params has scales {extra}; allowed: {', '.join(SCALES)}")
        for scale, p in self.params.items():
            if not dataclasses.is_dataclass(p) or isinstance(p, type):
                raise TypeError(
                    f"{where}: params[{scale!r}] is {_kind(p)}; expected an instance of a frozen "
                    "params dataclass (its fields, with their comments, are what `polyclaims "
                    "show` prints and --set overrides)"
                )
            if not type(p).__dataclass_params__.frozen:  # type: ignore[attr-defined]
                raise TypeError(
                    f"{where}: params[{scale!r}] is a {type(p).__name__}, a mutable dataclass; "
                    "expected a frozen one (@dataclass(frozen=True)): params key the simulation "
                    "cache"
                )

    def deviations_at(self, scale: str) -> dict[str, Deviation]:
        """The deviations recorded for ``scale``, by fit key."""
        out: dict[str, Deviation] = {}
        for key, devs in self.deviations.items():
            found = [d for d in (devs if isinstance(devs, tuple) else (devs,)) if scale in d.scales]
            if len(found) > 1:
                raise ValueError(
                    f"claim {self.id!r}: fit {key!r} has {len(found)} deviations at {scale!r}"
                )
            if found:
                out[key] = found[0]
        return out

    def controls_at(self, params: P, scale: str) -> tuple[Control, ...]:
        """The claim's controls at ``params`` and ``scale``: its gross mutants and theory patches.
        (Near misses, bands just outside the claim's, are no controls: a passing fit rejects them
        by the band rule alone; tests/test_core.py tests that rule.)"""
        return self.controls

    def __repr__(self) -> str:
        return f"Claim({self.id})"

    def specs(self, params: P) -> tuple[FitSpec, ...]:
        """The fits this claim declares at ``params``."""
        found = self.fits(params) if callable(self.fits) else self.fits
        what = "fits(params)" if callable(self.fits) else "fits"
        if isinstance(found, (str, bytes)) or not isinstance(found, Sequence):
            raise TypeError(
                f"claim {self.id!r}: {what} returned {_kind(found)}; expected a list of FitSpec"
            )
        bad = [i for i, s in enumerate(found) if not isinstance(s, FitSpec)]
        if bad:
            raise TypeError(
                f"claim {self.id!r}: {what} holds {_kind(found[bad[0]])} at position {bad[0]}; "
                "expected a FitSpec"
            )
        return tuple(found)

    def resolve(self, scale: str = "standard", overrides: Mapping[str, Any] | None = None) -> P:
        """The params for ``scale`` with ``overrides`` ({dotted path: value}) applied (strings are
        parsed by field type). Raises :class:`sim.ParamError` naming the path for an unknown scale,
        path or bad value (``confidence`` included)."""
        if scale not in SCALES:
            raise ParamError("scale", scale, "one of " + ", ".join(SCALES))
        if overrides is not None and not isinstance(overrides, Mapping):
            raise ParamError("overrides", overrides, "a mapping {dotted path: value}")
        params = apply_overrides(self.params[scale], overrides or {})
        _check_confidence(getattr(params, "confidence", DEFAULT_CONFIDENCE), self.id)
        return params

    def judge(self, params: P) -> Judge:
        """The judge of one run: the declared specs at the params' family-wise ``confidence``
        (the params' optional ``confidence`` field, default 0.95, 0.5 <= confidence < 1; a
        :class:`sim.ParamError` otherwise)."""
        return Judge(
            self.id,
            self.specs(params),
            _check_confidence(getattr(params, "confidence", DEFAULT_CONFIDENCE), self.id),
        )

    def false_failure_at(self, params: P) -> str:
        """The false-failure text at ``params``: ``false_failure`` itself when it is a string,
        else what it returns given the params and their :meth:`judge` (checked to be a str)."""
        if isinstance(self.false_failure, str):
            return self.false_failure
        text = self.false_failure(params, self.judge(params))
        if not isinstance(text, str):
            raise TypeError(
                f"claim {self.id!r}: false_failure() returned {_kind(text)}; expected a str"
            )
        return text

    def draw(self, result: Result[M], figdir: Path) -> list[Path]:
        """The claim's figures of ``result``, drawn into ``figdir`` by its ``plot`` (none without
        one): the paths it returns, checked to be a list of paths."""
        if self.plot is None:
            return []
        out = self.plot(result, figdir)
        if (
            isinstance(out, (str, bytes, os.PathLike))
            or not isinstance(out, Sequence)
            or not all(isinstance(p, (str, os.PathLike)) for p in out)
        ):
            raise TypeError(
                f"claim {self.id!r}: plot() returned {_kind(out)}; expected a list of the paths of "
                f"the PNG files it wrote ({self.id}*.png in the folder it was given)"
            )
        return [Path(p) for p in out]

    def overrides_strategy(self) -> Any:
        """The claim's hypothesis strategy of overrides ({dotted path: value}) where it should
        hold, checked to be a strategy. Needs hypothesis (the test extra)."""
        if self.strategy is None:
            raise ValueError(f"claim {self.id!r} declares no strategy")
        from hypothesis.strategies import SearchStrategy

        out = self.strategy()
        if not isinstance(out, SearchStrategy):
            raise TypeError(
                f"claim {self.id!r}: strategy() returned {_kind(out)}; expected a hypothesis "
                "strategy of overrides ({dotted path: value}) where the claim should hold"
            )
        return out

    def run(
        self,
        scale: str = "standard",
        seed: int = 0,
        *,
        overrides: Mapping[str, Any] | None = None,
        ctx: Context | None = None,
        cache: SimulationCache | None = None,
    ) -> Result[M]:
        """Derive, simulate, fit, judge the controls. Bad input raises ParamError; a failure
        while simulating or fitting (a diverging run, say), or a function of the claim returning
        the wrong thing, becomes status ``error``.

        With a ``cache``, the simulation output is reused when one is stored for this claim,
        params, seed, device and code version (the claim's module and what it imports; stored
        after computing it otherwise); the fits and controls are always recomputed from it."""
        params = self.resolve(scale, overrides)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ParamError("seed", seed, "an integer >= 0")
        ctx = (ctx or Context()).with_seed(seed)
        start = time.perf_counter()
        derivation: Derivation | None = None
        measurements: M | None = None
        common = {
            "claim_id": self.id,
            "title": self.title,
            "statement": self.statement,
            "source": self.source,
            "scale": scale,
            "seed": seed,
            "params": params_to_dict(params),
            "false_failure": "",  # generated at these params below
            "deviations": self.deviations_at(scale),
        }
        try:
            common["false_failure"] = self.false_failure_at(params)
            derivation = _check_derivation(self.id, self.derive(params))
            if cache is None:
                measurements = self._simulated(params, ctx)
            else:
                # single runs of the sweep go through the task cache too: an interrupted sweep
                # resumes
                run_ctx = (
                    ctx if ctx.tasks is not None else dataclasses.replace(ctx, tasks=cache.tasks)
                )
                measurements = self._checked_measurements(
                    cache.fetch(
                        self, params, seed, ctx.device, lambda: self._simulated(params, run_ctx)
                    )
                )
            judge = self.judge(params)
            fits = self._checked(self.fit(measurements, derivation, params, judge), judge)
        except ParamError:
            raise
        except Exception as exc:
            return Result(
                **common,  # type: ignore[arg-type]
                status="error",
                fits=(),
                controls=(),
                seconds=time.perf_counter() - start,
                derivation=derivation,
                measurements=measurements,
                error=f"{type(exc).__name__}: {exc}",
            )
        controls = tuple(
            self._run_control(c, fits, measurements, params, judge)
            for c in self.controls_at(params, scale)
        )
        figures: tuple[Agreement, ...] = ()
        figures_error = None
        if self.paper_figures is not None:
            # a comparison, not a verdict: its failure is reported beside the result, never as it
            try:
                figures = self._checked_agreements(self.paper_figures(measurements, params))
            except Exception as exc:
                figures_error = f"{type(exc).__name__}: {exc}"
        return Result(
            **common,  # type: ignore[arg-type]
            status=aggregate([f.verdict for f in fits]),
            fits=tuple(fits),
            controls=controls,
            seconds=time.perf_counter() - start,
            derivation=derivation,
            measurements=measurements,
            paper_figures=figures,
            paper_figures_error=figures_error,
        )

    # -- internals: each function's return value, checked where it returns ------------------------

    def _simulated(self, params: P, ctx: Context) -> M:
        return self._checked_measurements(self.simulate(params, ctx))

    def _checked_measurements(self, measurements: Any) -> M:
        declared = _declared_return(self.simulate)
        expected = (
            f"{declared.__qualname__} (its return annotation)"
            if declared is not None
            else "the measurements fit() reads"
        )
        wrong = measurements is None
        if declared is not None and not wrong:
            # the numeric tower of PEP 484: an int is a float, a float a complex
            accepted = numbers.Number if declared in (float, complex) else declared
            wrong = not isinstance(measurements, accepted)
        if wrong:
            raise TypeError(
                f"claim {self.id!r}: simulate() returned {_kind(measurements)}; expected {expected}"
            )
        return measurements  # type: ignore[no-any-return]

    def _checked(self, fits: Any, judge: Judge) -> list[Fit]:
        """The fits ``fit()`` returned, refused unless there is one per declared spec, each issued
        by this run's ``judge`` with the spec's relation, tolerance and the judge's confidence."""
        declared = list(judge.specs)
        expected = (
            f"one Fit per declared key {declared}, each judge.fit(key, predicted=…, estimate=…)"
        )
        if isinstance(fits, (str, bytes, Fit)) or not isinstance(fits, Sequence):
            raise TypeError(
                f"claim {self.id!r}: fit() returned {_kind(fits)}; expected a list of " + expected
            )
        bad = [i for i, f in enumerate(fits) if not isinstance(f, Fit)]
        if bad:
            raise TypeError(
                f"claim {self.id!r}: fit() returned {_kind(fits[bad[0]])} at position {bad[0]}; "
                f"expected {expected}"
            )
        keys = [f.key for f in fits]
        if len(set(keys)) != len(keys) or set(keys) != set(declared):
            raise ValueError(f"claim {self.id!r} produced fits {keys}; it declares {declared}")
        for f in fits:
            spec = judge.spec(f.key)
            for name, found, wanted in (
                ("relation", f.relation, spec.relation),
                ("tolerance", f.tolerance, spec.tolerance),
                ("confidence", f.confidence, judge.level_of(spec)),
            ):
                if found != wanted:
                    declared_by = (
                        f"its FitSpec declares {wanted!r}"
                        if name != "confidence"
                        else f"the judge's level is {wanted!r} (an exact fit)"
                        if spec.exact
                        else f"the judge's level is {wanted!r} (family-wise {judge.confidence} "
                        f"over {judge.k} stochastic fit{'s' if judge.k != 1 else ''})"
                    )
                    raise ValueError(
                        f"claim {self.id!r}: fit {f.key!r} has {name} {found!r}, but "
                        f"{declared_by}; build every fit with judge.fit, which takes them from "
                        "the declared spec"
                    )
            issued = f._issued
            if issued is None or issued.judge is not judge or issued.mutant:
                how = (
                    "was built directly (Fit(...) or dataclasses.replace)"
                    if issued is None
                    else "is a control's mutant (Fit.mutant) of a judged fit"
                    if issued.mutant
                    else "was issued by another judge than the one fit() was given"
                )
                raise ValueError(
                    f"claim {self.id!r}: fit {f.key!r} {how}; fit() must return what "
                    "judge.fit(key, ...) issued for each declared fit: the judge is the only way "
                    "to a verdict"
                )
        return list(fits)

    def _checked_agreements(self, found: Any) -> tuple[Agreement, ...]:
        from .paper_figures import Agreement

        if (
            isinstance(found, (str, bytes))
            or not isinstance(found, Sequence)
            or not all(isinstance(a, Agreement) for a in found)
        ):
            raise TypeError(
                f"claim {self.id!r}: paper_figures() returned {_kind(found)}; expected a list of "
                "claims.paper_figures.Agreement"
            )
        return tuple(found)

    def _run_control(
        self, control: Control, fits: Sequence[Fit], measurements: Any, params: Any, judge: Judge
    ) -> ControlOutcome:
        full_id = f"{self.id}/{control.id}"
        try:
            own = self.judge(params)
            mutated = tuple(control.apply(fits, measurements, params, own))
            for f in mutated:
                issued = f._issued
                if issued is None or (issued.judge is not judge and issued.judge is not own):
                    how = (
                        "built directly (Fit(...) or dataclasses.replace)"
                        if issued is None
                        else "issued by a judge of another run"
                    )
                    raise ValueError(
                        f"refit() returned fit {f.key!r} {how}; expected the claim's fit "
                        "re-judged with Fit.mutant, or one built by the judge refit() was given"
                    )
        except Exception as exc:
            return ControlOutcome(
                full_id,
                control.statement,
                "error",
                (),
                f"{type(exc).__name__}: claim {self.id!r}, control {control.id!r}: {exc}",
            )
        if not mutated:
            return ControlOutcome(
                full_id, control.statement, "error", (), "control produced no fits"
            )
        return ControlOutcome(
            full_id, control.statement, aggregate([f.verdict for f in mutated]), mutated
        )


def _caller_module() -> tuple[str, Path | None] | None:
    """(name, source file) of the module whose code constructs a Claim: the first frame outside
    this module (the generated ``__init__`` runs with its globals) and ``dataclasses``."""
    import sys

    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") in (__name__, "dataclasses"):
        frame = frame.f_back
    if frame is None:
        return None
    name, src = frame.f_globals.get("__name__"), frame.f_globals.get("__file__")
    if not isinstance(name, str):
        return None
    return name, Path(src).resolve() if isinstance(src, str) and src.endswith(".py") else None
