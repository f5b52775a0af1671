"""theory.geometry (the static model's block sizes) and the geometry claim's measurement helpers,
on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from claims.catalog.geometry import block_labels, summarise
from theory import collisions, geometry


@pytest.mark.parametrize(("n", "m"), [(2, 2), (3, 2), (4, 3), (5, 2)])
def test_enumeration_matches_the_sympy_expectation(n: int, m: int) -> None:
    exact = geometry.block_counts_enumerated(n, m)
    pairs = float(exact[2])
    assert pairs == pytest.approx(collisions.predict_exact(n, m), rel=1e-12)
    assert float(exact[1]) + 2 * pairs == pytest.approx(n)
    assert 2 * pairs / n == pytest.approx(geometry.pair_fraction(n, m), rel=1e-12)


def _static_model(n: int, m: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Monte Carlo of the static model: each feature's (neuron, sign); the fraction of features
    in blocks of 2 per draw (one pair per neuron with both signs)."""
    neuron = rng.integers(0, m, (draws, n))
    pos = rng.random((draws, n)) < 0.5
    has_pos = np.zeros((draws, m), bool)
    has_neg = np.zeros((draws, m), bool)
    rows = np.repeat(np.arange(draws), n)
    has_pos[rows[pos.ravel()], neuron.ravel()[pos.ravel()]] = True
    has_neg[rows[~pos.ravel()], neuron.ravel()[~pos.ravel()]] = True
    return 2 * (has_pos & has_neg).sum(axis=1) / n


@pytest.mark.parametrize(("n", "m"), [(16, 16), (16, 32), (16, 64)])
def test_monte_carlo_of_the_static_model(n: int, m: int) -> None:
    f = _static_model(n, m, 40_000, np.random.default_rng(3))
    se = f.std() / np.sqrt(f.size)
    assert abs(f.mean() - geometry.pair_fraction(n, m)) < 4 * se


def test_no_sign_rule_mutant_by_monte_carlo() -> None:
    n, m, draws = 16, 32, 40_000
    neuron = np.random.default_rng(5).integers(0, m, (draws, n))
    occ = np.stack([(neuron == k).sum(axis=1) for k in range(m)], axis=1)
    shared = np.take_along_axis(occ, neuron, axis=1) >= 2
    assert shared.mean() == pytest.approx(geometry.no_sign_fraction(n, m), abs=0.005)
    crowded = (occ >= 3).any(axis=1).mean()
    assert crowded == pytest.approx(geometry.p_crowded_no_sign(n, m), abs=0.01)
    # small exact cases: 3 features in 2 neurons crowd one in 2 of 8 placements
    assert geometry.p_crowded_no_sign(3, 2) == pytest.approx(0.25)
    assert geometry.p_crowded_no_sign(2, 5) == 0.0


def test_neuron_capacity_by_activation() -> None:
    assert geometry.neuron_capacity("relu") == 2
    assert geometry.neuron_capacity("gelu") == 1
    assert geometry.neuron_capacity("none") == 1
    assert geometry.pair_fraction(16, 32, "gelu") == 0.0
    assert geometry.max_block_size() == 2


def test_norm_root_and_bounds() -> None:
    lam = 0.1
    w = geometry.norm_root(lam)
    assert 4 * w * (w * w - 1) + lam == pytest.approx(0.0, abs=1e-12)
    assert w == pytest.approx(1 - lam / 8, abs=2e-3)
    eps = geometry.cross_block_bound(32, 0.1, lam)
    assert eps == pytest.approx(2 * 0.01 * w + 30 * 1e-4)
    assert geometry.capacity_deficit(16, 32, 0.1, lam) == pytest.approx(15 * eps**2 / w**4)
    with pytest.raises(ValueError):
        geometry.norm_root(1.5)


def test_block_labels_are_transitive_and_unlearned_features_alone() -> None:
    on = np.zeros((5, 4), bool)
    on[0, 0] = on[1, 0] = True  # 0 and 1 share neuron 0
    on[1, 1] = on[2, 1] = True  # 1 and 2 share neuron 1: 0, 1, 2 one block
    on[3, 2] = True  # 3 alone; 4 on no neuron
    lab = block_labels(on)
    assert lab[0] == lab[1] == lab[2]
    assert len({lab[0], lab[3], lab[4]}) == 3


def test_summarise_on_a_known_block_semi_orthogonal_matrix() -> None:
    w = 0.98
    W = np.zeros((1, 4, 3))
    W[0, 0, 0], W[0, 1, 0] = w, -w  # a pair on neuron 0, opposite signs
    W[0, 2, 1] = w  # a single
    W[0, 3, 2] = 0.3  # unlearned (below the window)
    W0 = np.random.default_rng(0).standard_normal((1, 4, 3))
    s = summarise(W0, W, rng=np.random.default_rng(1))
    assert s.in_pairs[0] == 2 and s.in_large[0] == 0 and s.unlearned[0] == 1
    assert s.pairs[0] == 1 and s.opposite[0] == 1
    assert s.cross[0] == pytest.approx(0.0)
    assert s.norm[0] == pytest.approx(w)
    assert s.cap_single[0] == pytest.approx(1.0) and s.singles[0] == 1
    assert s.cap_pair[0] == pytest.approx(1.0)
    assert s.cross_init[0] > 0
    assert list(s.sizes[0]) == [2, 2, 1, 1]


def test_p_large_block_is_zero_where_a_neuron_holds_at_most_two() -> None:
    """The static model's blocks are one neuron's features: none of ≥ 3 for any output."""
    for activation in ("relu", "gelu", "none"):
        assert geometry.p_large_block(16, 32, activation) == 0.0, activation
