"""theory.collisions (sympy) against its own Monte Carlo, and the polysemantic count."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from claims import fitting
from sim.balls_bins import static_collisions
from sim.metrics import PolysemanticCount, polysemantic
from theory import collisions


def test_leading_term_is_n_n_minus_1_over_4m() -> None:
    n, m = sp.symbols("n m", positive=True)
    diff = sp.simplify(collisions.leading_term() - n * (n - 1) / (4 * m))
    assert diff == 0, f"leading term={collisions.leading_term()}, but should be n(n-1)/(4m)"


def test_series_second_order_term() -> None:
    n, m = sp.symbols("n m", positive=True)
    second = sp.simplify(collisions.series(3) - n * (n - 1) / (4 * m))
    assert sp.simplify(second + n * (n - 1) * (n - 2) / (8 * m**2)) == 0, (
        f"second-order term={second}"
    )


@pytest.mark.parametrize(("n", "m"), [(8, 8), (16, 128), (64, 64), (30, 1000)])
def test_exact_expectation_matches_monte_carlo(n: int, m: int) -> None:
    counts = static_collisions(n, m, trials=20_000, rng=np.random.default_rng(n * 1000 + m))
    est = fitting.mean_ci(counts, confidence=0.999)
    exact = collisions.predict_exact(n, m)
    assert est.lo <= exact <= est.hi, (
        f"exact={exact}, but Monte Carlo 99.9% CI is {est.ci} [n={n}, m={m}]"
    )


def test_polysemantic_count_on_a_hand_built_matrix() -> None:
    W = np.zeros((4, 3))
    W[0, 0], W[1, 0] = 1.0, -0.9  # opposite signs on neuron 0: polysemantic
    W[2, 1], W[3, 1] = (
        1.1,
        0.85,
    )  # same sign on neuron 1: polysemantic (rule counts it), not opposite
    W[3, 2] = 0.5  # below the 0.8 threshold: ignored
    c = PolysemanticCount(W)
    assert list(c.count) == [2] and list(c.pairs) == [2] and list(c.opposite_pairs) == [1], vars(c)
    assert list(c.learned) == [4] and list(polysemantic(W, lo=0.88)) == [1]
