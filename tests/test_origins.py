"""Known answers of theory.origins: the floor, the per-neuron capacity, the repulsion model."""

from __future__ import annotations

import math

import pytest

from theory import collisions, origins


def test_capacity_is_two() -> None:
    assert origins.neuron_capacity() == 2


@pytest.mark.parametrize(("n", "m", "want"), [(4, 32, 0), (32, 32, 0), (40, 32, 8), (64, 32, 32)])
def test_floor_values(n: int, m: int, want: int) -> None:
    assert origins.predict_floor(n, m) == want


def test_floor_rejects_beyond_2m() -> None:
    with pytest.raises(ValueError):
        origins.predict_floor(65, 32)
    assert str(origins.max_exact()) == "2*m"


def test_repulsion_reduces_to_static_for_small_n() -> None:
    mean, se, unlearned = origins.repulsion_count(8, 256, 20000)
    assert unlearned == 0.0
    assert abs(mean - collisions.predict_exact(8, 256)) < 4 * se
    assert abs(mean / collisions.predict_leading(8, 256) - 1) < 0.15


def test_repulsion_respects_floor_and_cap() -> None:
    for n in (40, 56, 60):
        mean, _, unlearned = origins.repulsion_count(n, 32, 1000)
        assert unlearned < 0.01
        assert mean >= origins.predict_floor(n, 32) - 0.5
        assert mean <= n / 2
    mean, _, unlearned = origins.repulsion_count(96, 32, 500)
    assert mean <= 32 and unlearned >= 1 / 3 - 1e-12  # at most 2m placed


def test_crossover_interpolation() -> None:
    assert origins.crossover_share([1.0, 2.0], [0.0, 1.0]) == pytest.approx(1.5)
    assert math.isnan(origins.crossover_share([1.0, 2.0], [0.0, 0.1]))
