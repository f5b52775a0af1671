"""theory.collision_scaling against Monte Carlo of the processes it describes, the helpers of claim
``collision-scaling`` on synthetic data with known answers, and its params' errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from claims import fitting
from claims.catalog.collision_scaling import ScalingParams
from sim import ParamError
from sim.balls_bins import displaced_collisions, static_collisions
from theory import collision_scaling as cs
from theory import collisions, origins


@pytest.mark.parametrize(("n", "m"), [(16, 16), (16, 32), (32, 128), (64, 64)])
def test_hard_core_expectation_is_the_displacement_process_mean(n: int, m: int) -> None:
    rng = np.random.default_rng(7)
    counts = displaced_collisions(n, m, trials=20_000, rng=rng)
    se = counts.std() / math.sqrt(counts.size)
    predicted = cs.predict_hard_core(n, m)
    assert abs(counts.mean() - predicted) < 4 * se, (
        f"displacement process at n={n}, m={m}: mean {counts.mean():.4f} ± {se:.4f}, "
        f"hard-core model {predicted:.4f}"
    )


@pytest.mark.parametrize(("n", "m"), [(16, 16), (32, 64), (32, 128)])
def test_hard_core_is_close_to_the_origins_repulsion_model(n: int, m: int) -> None:
    """theory.origins's sequential enforced-repulsion model (its own Monte Carlo) sits within
    3 % of the closed form (1–3 % below it at m ≤ 2n)."""
    mean, se, _ = origins.repulsion_count(n, m)
    hc = cs.predict_hard_core(n, m)
    assert 0.97 * hc - 3 * se < mean < hc + 3 * se, (
        f"n={n}, m={m}: {mean:.3f} ± {se:.3f} vs {hc:.3f}"
    )


def test_hard_core_closed_form_and_its_expansion() -> None:
    n, m = collisions.n, collisions.m
    expr = cs.hard_core_expectation()
    assert sp.simplify(expr - n * (n - 1) / (2 * (2 * m - 1))) == 0, expr
    # n(n−1)/4m to a relative 1/2m: the leading term of theory.collisions plus n(n−1)/8m²
    eps = sp.Symbol("eps", positive=True)
    series = sp.series(expr.subs(m, 1 / eps), eps, 0, 3).removeO()
    expected = n * (n - 1) / 4 * eps + n * (n - 1) / 8 * eps**2
    assert sp.simplify(series - expected) == 0, series


def test_displacement_raises_the_count_above_the_static_model() -> None:
    rng = np.random.default_rng(3)
    n, m = 24, 24
    static = static_collisions(n, m, trials=20_000, rng=rng).mean()
    moved = displaced_collisions(n, m, trials=20_000, rng=rng).mean()
    assert moved > 1.4 * static, f"at m = n displacement {moved:.3f} vs static {static:.3f}"
    assert abs(static - collisions.predict_exact(n, m)) < 0.05 * static


def test_uniform_placement_gives_the_static_model() -> None:
    assert cs.uniform_placement_ratio() == 1.0


def test_placement_expectation_by_monte_carlo_for_a_skewed_law() -> None:
    """A placement that favours one neuron: E_q from the formula against direct sampling."""
    n_, m_ = 12, 6
    q = np.array([0.35, 0.13, 0.13, 0.13, 0.13, 0.13])
    rng = np.random.default_rng(11)
    trials = 40_000
    bins = rng.choice(m_, size=(trials, n_), p=q)
    signs = rng.integers(0, 2, size=(trials, n_)).astype(bool)
    pos = np.zeros((trials, m_), bool)
    neg = np.zeros((trials, m_), bool)
    rows = np.arange(trials)[:, None].repeat(n_, 1)
    pos[rows[signs], bins[signs]] = True
    neg[rows[~signs], bins[~signs]] = True
    mc = (pos & neg).sum(1)
    formula = float(cs.placement_expectation([sp.Float(v) for v in q]).subs(collisions.n, n_))
    assert abs(mc.mean() - formula) < 4 * mc.std() / math.sqrt(trials), (mc.mean(), formula)


def test_heterogeneity_excess_is_positive_where_m_is_at_least_n() -> None:
    """The one-neuron term is convex for q ≲ 1.38/n: at m ≥ n a heterogeneous placement raises
    the count (to second order); well below m = n it can lower it."""
    expr = cs.heterogeneity_excess()
    v = sp.Symbol("v", nonnegative=True)
    for n_, m_ in [(16, 16), (64, 64), (64, 256), (256, 4096)]:
        assert float(expr.subs({collisions.n: n_, collisions.m: m_, v: 0.1})) > 0, (n_, m_)
    assert float(expr.subs({collisions.n: 64, collisions.m: 16, v: 0.1})) < 0


def test_fixed_ratio_coefficient_and_exponent() -> None:
    for r in (1, 2, 16):
        c = cs.predict_fixed_ratio_coefficient(r)
        assert math.isclose(c, r * (1 - 2 * math.exp(-1 / (2 * r)) + math.exp(-1 / r)))
        # the finite-n expectation per feature approaches c(r)
        assert abs(collisions.predict_exact(4096, 4096 * r) / 4096 - c) < 1e-3 * max(c, 1)
    assert cs.fixed_ratio_n_exponent() == 1.0


def test_sign_blind_expectation_by_monte_carlo() -> None:
    rng = np.random.default_rng(5)
    n_, m_ = 16, 32
    bins = rng.integers(0, m_, size=(20_000, n_))
    per = np.stack([np.bincount(b, minlength=m_) for b in bins])
    mc = (per >= 2).sum(1)
    predicted = cs.predict_sign_blind(n_, m_)
    assert abs(mc.mean() - predicted) < 4 * mc.std() / math.sqrt(mc.size), (mc.mean(), predicted)


def test_model_exponent_recovers_a_power_law() -> None:
    grid = [10.0, 20.0, 40.0, 80.0]
    assert math.isclose(collisions.model_exponent(lambda m: 3.0 * m**-0.7, grid), -0.7)
    # the hard-core exponent on m = n…16n is ≈ −1 (1/(2m − 1) falls a little faster than 1/m)
    assert -1.05 < cs.hard_core_exponent(16, [16 * r for r in (1, 2, 4, 8, 16)]) < -1.0


def test_poisson_exponent_matches_poisson_slope_statistic() -> None:
    x = np.array([1.0, 2.0, 4.0, 8.0])
    totals = np.array([400.0, 200.0, 100.0, 50.0])  # exactly ∝ x^−1
    assert math.isclose(float(fitting.poisson_exponent(x, totals, [10] * 4)), -1.0)
    batched = fitting.poisson_exponent(x, np.stack([totals, totals * x]), [10] * 4)
    assert np.allclose(batched, [-1.0, 0.0]), batched


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"n": (16, 32)}, "n"),
        ({"ratios": (4,)}, "ratios"),
        ({"instances": (8, 8)}, "instances"),
        ({"sgd_instances": (8, 8, 1)}, "sgd_instances"),
        ({"sgd_slowdown": (1, 1)}, "sgd_slowdown"),
        ({"sgd_slowdown": (1, 0, 1)}, "sgd_slowdown"),
    ],
)
def test_params_name_the_bad_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ParamError, match=field):
        ScalingParams(**changes)  # type: ignore[arg-type]


def test_sgd_slowdown_keeps_the_gradient_flow_time() -> None:
    from claims.catalog.collision_scaling import _arm

    p = ScalingParams(sgd_slowdown=(1, 1, 4))
    base = p.sgd.optimiser
    slow = _arm(p, "sgd", 64).optimiser
    assert math.isclose(slow.lr, base.lr / 4) and slow.steps == base.steps * 4, (
        f"n = 64 with slowdown 4: lr {slow.lr}, steps {slow.steps}; expected "
        f"{base.lr / 4}, {base.steps * 4} (the same lr·steps)"
    )
    assert _arm(p, "sgd", 16) == p.sgd, "slowdown 1 must leave gradient descent unchanged"
    assert _arm(p, "adamw", 64) == p.adamw, "the slowdown is gradient descent's only"


def test_hard_core_needs_distinct_slots() -> None:
    with pytest.raises(ValueError, match="n <= 2m"):
        cs.predict_hard_core(10, 4)
    with pytest.raises(ValueError, match="n must be <= 2m"):
        displaced_collisions(10, 4, trials=2, rng=np.random.default_rng(0))


def test_scaling_table_rows_on_known_cells() -> None:
    """benchmarks/scaling_table.py: one row per cell with the ratio to the exact static model,
    half / end and the learned fraction computed from the cell's arrays."""
    import importlib.util
    from pathlib import Path

    from claims.catalog._scaling_cells import Cell
    from claims.catalog.collision_scaling import ScalingMeasurements

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "scaling_table.py"
    spec = importlib.util.spec_from_file_location("scaling_table_script", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    n, m = 16, 32
    static = collisions.predict_exact(n, m)
    cell = Cell(
        opt="sgd",
        n=n,
        m=m,
        count=np.array([2.0, 2.0]),  # a constant column: its interval is the mean itself
        half=np.array([1.0, 1.0]),
        learned=np.array([16.0, 12.0]),
        argmax=np.array([8.0, 8.0]),
        rank=np.array([0.0, 0.0]),
        pairs=4,
        opposite=4,
        seconds=1.5,
    )
    text = module.table(ScalingMeasurements([cell]))
    row = text.strip().splitlines()[-1].split("|")[1:-1]
    cols = [c.strip() for c in row]
    assert cols[:4] == ["GD", "16", "2", "2"], f"row {cols}: expected GD, n = 16, m/n = 2, 2 models"
    assert cols[6] == f"{2 / static:.3f} [{2 / static:.3f}, {2 / static:.3f}]", (
        f"ratio column {cols[6]!r}: expected 2 / {static:.4f} (the exact static model) three times"
    )
    assert cols[8] == "0.500", f"half / end {cols[8]!r}: expected 1 / 2"
    assert cols[9] == "0.8750", f"learned {cols[9]!r}: expected (16 + 12) / 2 / 16"
    assert cols[10] == "0.500", f"argmax wins {cols[10]!r}: expected 8 / 16"
