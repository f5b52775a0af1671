"""Tests of the relative count rule (:class:`sim.metrics.RelativeCount`) on constructed weights,
and of ``noise-count``'s regime guard: a grid point whose rows stayed dense raises instead of
being counted."""

from __future__ import annotations

import numpy as np
import pytest

from claims.catalog import noise_count as nc
from sim.metrics import RelativeCount, relative_weights


def _one_hot(n: int, m: int, neurons: list[int], signs: list[float], scale: float) -> np.ndarray:
    W = np.zeros((n, m))
    W[np.arange(n), neurons] = np.asarray(signs) * scale
    return W


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.5], ids=lambda s: f"scale{s}")
def test_relative_rule_is_scale_free(scale: float) -> None:
    W = _one_hot(4, 6, [0, 0, 1, 1], [1, -1, 1, 1], scale)
    c = RelativeCount(W)
    assert c.count.tolist() == [2], f"count {c.count} at scale {scale}, expected 2 neurons"
    assert c.pairs.tolist() == [2] and c.opposite_pairs.tolist() == [1], (
        f"pairs {c.pairs}, opposite {c.opposite_pairs}: expected 2 and 1 (scale {scale})"
    )


def test_dense_row_is_unassigned_not_polysemantic() -> None:
    """A row spread over > 4 neurons has no entry ≥ ½‖W_k‖₂: it is on no neuron."""
    n, m = 4, 16
    W = _one_hot(n, m, [0, 1, 2, 0], [1, 1, 1, 1], 1.0)
    W[3] = np.where(np.arange(m) % 2 == 0, 0.25, -0.25)  # dense, every entry ¼ of its norm
    W[:3] += 0.03  # the small residue of a noise-trained sparse row
    c = RelativeCount(W)
    assert c.unassigned.tolist() == [1], f"unassigned {c.unassigned}, expected the dense row"
    assert c.count.tolist() == [0], f"count {c.count}: the dense row must not make neurons poly"
    rel = relative_weights(W)
    assert np.allclose(np.square(rel).sum(-1), 1.0), "rows of |W_kj|/‖W_k‖₂ must have unit norm"


def test_relative_rule_rejects_bad_fraction() -> None:
    with pytest.raises(ValueError, match="frac"):
        RelativeCount(np.ones((2, 3)), frac=0.0)


def test_regime_guard_raises_on_dense_rows() -> None:
    p = nc.SMOKE
    b = 4
    dense = nc.Run(
        counts=np.zeros(b),
        unassigned=np.full(b, float(p.n)),
        ratio=np.full(b, 0.1),
        ratio_half=np.full(b, 0.1),
        pairs=0,
        opposite=0,
        crowded=0,
        hist=np.zeros(nc.BINS),
        seconds=0.0,
    )
    meas = nc.NoiseCountMeasurements(m=np.asarray(p.m, float), noise=[dense] * 2, l1=[dense] * 2)
    strict = nc.NoiseCountParams(train=p.train, m=p.m, max_unassigned=0.2)
    with pytest.raises(nc.OutsideRegime, match="did not sparsify"):
        nc.check_regime(meas, strict)


@pytest.mark.parametrize("m", [16, 24, 32])
def test_half_level_sits_between_isotropic_and_one_hot(m: int) -> None:
    iso = 3 / (m + 2)
    assert iso < nc.half_level(m) < 1, f"m = {m}: half level {nc.half_level(m)} not in ({iso}, 1)"
