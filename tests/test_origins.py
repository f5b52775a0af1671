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


def test_model_crossover_and_beyond_2m() -> None:
    grid = (4, 8, 16, 24, 32, 36, 40, 44, 48, 52, 56, 60, 64)
    cross = origins.model_crossover(grid, 32, 2000)
    assert 1.05 < cross < 1.3, f"model crossover n/m = {cross}, expected between 1.05 and 1.3"
    for n in (72, 80, 96):
        assert origins.saturation(n, 32, 1000) == pytest.approx(1.0, abs=1e-3)
        lost = origins.loss_fraction(n, 32, 1000)
        assert lost >= (n - 64) / n - 1e-12, f"n = {n}: {lost} below the bound (n − 2m)/n"
        assert lost == pytest.approx((n - 64) / n, abs=0.01)


def test_feature_losses_are_the_training_loss_rows() -> None:
    import numpy as np
    import torch

    from claims.catalog.origins import feature_losses
    from sim.autoencoder import AutoencoderParams, reference_loss

    rng = np.random.default_rng(3)
    W = rng.normal(0, 0.4, (3, 10, 6))
    p = AutoencoderParams.flat(n=10, m=6, instances=3, l1=0.0)
    want = reference_loss(torch.from_numpy(W), None, p).numpy()
    got = feature_losses(W).sum(axis=1)
    assert np.allclose(got, want), f"row sums {got} != reference loss {want}"
    # the zero-loss optimum with two opposite features per neuron: nothing at a loss
    m = 4
    V = np.concatenate([np.eye(m), -np.eye(m)])[None]
    assert np.abs(feature_losses(V)).max() < 1e-12


def test_origins_params_name_the_bad_grid() -> None:
    from claims.catalog.origins import OriginsParams
    from sim import ParamError

    with pytest.raises(ParamError, match="n > 2m"):
        OriginsParams(n=(4, 8, 16, 48, 56, 64))
    with pytest.raises(ParamError, match="increasing"):
        OriginsParams(n=(8, 4, 16, 48, 72))


def test_incidental_end_reads_the_first_point_whose_excess_reaches_zero() -> None:
    import numpy as np

    from claims.catalog.origins import OriginsMeasurements, incidental_end, incidental_excess

    rng = np.random.default_rng(0)
    m = 8
    ns = np.array([4.0, 8.0, 10.0, 12.0, 14.0, 16.0])
    # excess 3, 2, 0.01, 0 neurons above the floor at n = 10, 12, 14, 16 (n/m 1.25…2)
    excess = {10: 3.0, 12: 2.0, 14: 0.01, 16: 0.0}
    counts = [max(0.0, v - m) + excess.get(int(v), 1.0) + rng.normal(0, 0.3, 200) for v in ns]
    meas = OriginsMeasurements(
        n=ns,
        m=m,
        counts=counts,
        learned=np.ones(6),
        crowded=np.zeros(6),
        held=[np.ones(200)] * 6,
        at_loss=[np.zeros(200)] * 6,
        seconds=np.zeros(6),
    )
    rows = incidental_excess(meas)
    assert [r[0] for r in rows] == [1.25, 1.5, 1.75, 2.0]
    assert rows[0][1] == pytest.approx(3.0, abs=0.1)
    assert incidental_end(meas) == 1.75, "excess 0.01 ± 0.04 is the first within its interval"
