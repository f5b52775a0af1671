"""A wrong theory must fail its claim: each claim's prediction is patched in ``theory/`` by more
than its tolerance and the same measurement (the session's standard run, see conftest.py) is
judged again. The patched fit must fail while its fitted value stays put — so the prediction comes
from the derivation, not from the numbers it is compared with."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

from claims import all_claims, get

Wrap = Callable[[Callable[..., Any]], Callable[..., Any]]


def _shift(delta: float) -> Wrap:
    return lambda orig: lambda *a, **k: orig(*a, **k) + delta


def _scale(factor: float) -> Wrap:
    return lambda orig: lambda *a, **k: orig(*a, **k) * factor


def _constant(value: float) -> Wrap:
    return lambda orig: lambda *a, **k: value


# claim id -> (theory module, function, how to corrupt it, the fit key that must then fail); each
# corruption moves the prediction by more than the fit's tolerance (or, for an ordering, past the
# measured interval)
PATCHES: dict[str, tuple[str, str, Wrap, str]] = {
    # exponent −1 -> −0.4 (tolerance 0.25)
    "collision-count": ("theory.collisions", "leading_exponent", _shift(0.6), "slope"),
    # the exact model's exponent on m = 2n…16n, −0.895 -> −0.295 (tolerance 0.25)
    "collision-count-adamw": ("theory.collisions", "exact_exponent", _shift(0.6), "slope-exact"),
    # the rare-co-occurrence bound 1/(2(n−1)) -> a tenth of it: p½ then sits above it
    "cooccurrence": ("theory.collisions", "predict_rare_cooccurrence", _scale(0.1), "p-half"),
    # the dsolve solution's exponent −1 -> −0.8 (tolerance 0.08)
    "l1-decay": ("theory.l1_decay", "l1_exponent", _shift(0.2), "l1-slope"),
    # E‖W_i‖₄⁴ at init, 3/(m+2)·… -> +0.05 (tolerance 0.01)
    "kurtosis-sparsity": ("theory.kurtosis", "predict_init_fourth_norm", _shift(0.05), "init"),
    # the no-ReLU change 0 -> −0.1: the measured change is then above the predicted ceiling
    "kurtosis-mechanism": ("theory.kurtosis", "predict_ratio_change", _constant(-0.1), "no-relu"),
    # E max|W0| over m weights ×1.2 (tolerance 5 %)
    "init-diagonal": ("theory.extremes", "expected_max", _scale(1.2), "isolated-diagonal"),
    # the waste per shared feature 1 -> 1.2 (tolerance 0.05)
    "capacity-bound": (
        "theory.capacity",
        "waste_per_shared_feature",
        _shift(0.2),
        "waste-per-neuron",
    ),
    # r* = 2/(K−1) ×1.5 (tolerance 12.5 % of r*)
    "capacity-allocation": ("theory.capacity", "phase_boundary", _scale(1.5), "phase-K5"),
    # the init strength −(n − 1)/m ×1.2: the level in units of (n − 1)/m 1 -> 1.2 (tolerance 0.05)
    "interference": (
        "theory.interference",
        "predict_init_strength",
        _scale(1.2),
        "strength-level",
    ),
    # the λ* exponent −1 -> −0.4 (tolerance 0.25; measured −1.015…−0.983)
    "no-l1": ("theory.no_l1", "lambda_star_exponent", _shift(0.6), "lambda-exponent"),
    # the exponent of the correction in ‖w‖₄⁴, 1 -> 1.6 (tolerance 0.25; measured 1.058–1.075)
    "edgeworth": ("theory.edgeworth", "p4_exponent", _shift(0.6), "exponent"),
    # the enforced-repulsion model's crossover n/m +0.25 (tolerance 0.1)
    "origins": ("theory.origins", "model_crossover", _shift(0.25), "crossover"),
    # the isotropic 3/(m+2) +0.8: the half-way level 0.583 -> 0.983, above the measured 0.87
    "noise-count": (
        "theory.kurtosis",
        "predict_isotropic_fourth_norm",
        _shift(0.8),
        "sparse-m16",
    ),
    # the exact model's exponent on m = 8n, 32n, −0.970 -> −0.370 (tolerance 0.25)
    "architectures": ("theory.collisions", "exact_exponent", _shift(0.6), "exponent-tied-relu"),
}


def test_every_claim_has_a_theory_patch() -> None:
    missing = sorted({c.id for c in all_claims()} - set(PATCHES))
    assert not missing, f"claims without a theory-patching check: {missing}"


@pytest.mark.parametrize("claim_id", sorted(PATCHES))
def test_a_wrong_theory_fails_the_claim(
    claim_id: str, run_claim: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    scale = request.config.getoption("--scale")
    if scale == "smoke":
        pytest.skip("smoke intervals are too wide to fail anything")
    claim = get(claim_id)
    result = run_claim(claim)
    assert result.status != "error", result.explain()
    module, name, wrap, key = PATCHES[claim_id]
    mod = importlib.import_module(module)
    monkeypatch.setattr(mod, name, wrap(getattr(mod, name)))
    params = claim.resolve(scale)
    fits = claim.fit(result.measurements, claim.derive(params), params, claim.judge(params))
    patched, honest = next(f for f in fits if f.key == key), result.fit(key)
    assert patched.predicted != pytest.approx(honest.predicted), (
        f"{claim_id}/{key}: patching {module}.{name} did not move the prediction "
        f"({honest.predicted}): it is not taken from the theory"
    )
    assert patched.fitted == pytest.approx(honest.fitted), (
        f"{claim_id}/{key}: the fitted value moved with the theory "
        f"({honest.fitted} -> {patched.fitted})"
    )
    assert patched.verdict == "fail", (
        f"{claim_id}/{key}: verdict {patched.verdict} with the theory patched "
        f"(predicted {patched.predicted}), but should be fail\n{patched.explain()}"
    )
