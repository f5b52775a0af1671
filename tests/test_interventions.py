"""theory.interventions on synthetic data with known answers, and the trainer's ``init``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from claims.catalog.interventions import (
    OutsideRegime,
    _learned_redrawn,
    _win_uncontested,
    check_regime,
)
from sim import ParamError
from sim.autoencoder import AutoencoderParams, train
from theory import collisions
from theory import interventions as iv

N, M, STD = 8, 32, 1 / np.sqrt(32)


def test_collision_free_argmax_distinct() -> None:
    W = iv.collision_free_init(np.random.default_rng(0), 200, N, M, STD)
    a = iv.argmax_neurons(W)
    assert all(len(set(row)) == N for row in a), "every feature's argmax neuron must be distinct"
    assert (iv.static_count(W) == 0).all()


def test_collision_free_entry_marginal_ks() -> None:
    """Each entry keeps its N(0, std²) marginal: KS of one entry position over instances, and of
    all entries pooled (independent draws from a different stream than the construction)."""
    W = iv.collision_free_init(np.random.default_rng(1), 4000, N, M, STD)
    for i, k in ((0, 0), (3, 17), (N - 1, M - 1)):
        assert stats.kstest(W[:, i, k] / STD, "norm").pvalue > 1e-3, (i, k)
    pooled = W[:500].ravel() / STD
    assert stats.kstest(pooled, "norm").pvalue > 1e-3


def test_collision_free_argmax_uniform() -> None:
    """Each row's argmax position is uniform on the m neurons (chi-square over instances)."""
    W = iv.collision_free_init(np.random.default_rng(2), 6400, N, M, STD)
    a = iv.argmax_neurons(W)
    for i in (0, N // 2, N - 1):
        counts = np.bincount(a[:, i], minlength=M)
        assert stats.chisquare(counts).pvalue > 1e-3, i


def test_collision_free_row_law() -> None:
    """A row's sorted |values| have the law of an untouched i.i.d. row's (two-sample KS on the
    max, the median and the min of |row|), and its signs stay fair."""
    rng = np.random.default_rng(3)
    W = iv.collision_free_init(rng, 3000, N, M, STD)[:, 2]
    X = rng.standard_normal((3000, M)) * STD
    for q in (M - 1, M // 2, 0):
        a, b = np.sort(np.abs(W), axis=1)[:, q], np.sort(np.abs(X), axis=1)[:, q]
        assert stats.ks_2samp(a, b).pvalue > 1e-3, q
    top = np.take_along_axis(W, iv.argmax_neurons(W)[:, None], axis=1)[:, 0]
    assert stats.binomtest(int((top > 0).sum()), top.size).pvalue > 1e-3


def test_collision_free_needs_m_ge_n() -> None:
    with pytest.raises(ValueError, match="m >= 8"):
        iv.collision_free_init(np.random.default_rng(0), 2, 8, 4, 1.0)


@pytest.mark.parametrize("opposite", [True, False])
def test_planted_pairs(opposite: bool) -> None:
    k = 3
    W, pairs = iv.planted_init(np.random.default_rng(4), 500, N, M, STD, k, opposite=opposite)
    a = iv.argmax_neurons(W)
    bi = np.arange(500)[:, None]
    assert (a[bi, pairs[..., 0]] == a[bi, pairs[..., 1]]).all()
    assert all(len(set(row)) == N - k for row in a)
    top = np.take_along_axis(W, a[..., None], axis=2)[..., 0]
    same = np.sign(top[bi, pairs[..., 0]]) == np.sign(top[bi, pairs[..., 1]])
    assert (same != opposite).all()
    assert (iv.static_count(W) == (k if opposite else 0)).all()
    assert iv.predict_planted(N, M, k, opposite=opposite) == (k if opposite else 0)
    # the flipped rows keep the N(0, std²) marginal
    assert stats.kstest(W[:, pairs[0, 0, 1], 5] / STD, "norm").pvalue > 1e-3


def test_static_count_plain_init_matches_exact_expectation() -> None:
    """On i.i.d. inits the static count's mean is the exact static expectation (sympy)."""
    W = np.random.default_rng(5).standard_normal((20000, N, M))
    c = iv.static_count(W)
    se = c.std() / np.sqrt(c.size)
    assert abs(c.mean() - collisions.predict_exact(N, M)) < 4 * se


def test_static_count_known() -> None:
    W = np.zeros((1, 3, 4))
    W[0, 0, 1], W[0, 1, 1], W[0, 2, 2] = 1.0, -1.0, 1.0  # neuron 1 holds + and −
    assert iv.static_count(W).tolist() == [1]
    W[0, 1, 1] = 0.5  # now both positive: repel, no polysemantic neuron
    assert iv.static_count(W).tolist() == [0]


def test_win_probability_model() -> None:
    assert iv.predict_free_ratio(1.0) == 0.0 and iv.predict_free_ratio(0.0) == 1.0
    assert iv.predict_opposite_survival(0.5) == pytest.approx(0.25)
    assert iv.predict_resampled(16, 128) == pytest.approx(
        collisions.predict_exact(16, 128) * 15 / 256
    )


def test_win_probability_model_by_simulation() -> None:
    """The model's own law, simulated: features stay on a planted distinct neuron w.p. q, else go
    to a uniform neuron with a fair sign; the count over the static expectation is ≈ 1 − q²."""
    rng = np.random.default_rng(6)
    n, m, q, b = 16, 64, 0.7, 40000
    home = np.argsort(rng.random((b, m)), axis=1)[:, :n]
    stay = rng.random((b, n)) < q
    where = np.where(stay, home, rng.integers(0, m, (b, n)))
    sign = rng.random((b, n)) < 0.5
    W = np.zeros((b, n, m))
    np.put_along_axis(W, where[..., None], np.where(sign, 1.0, -1.0)[..., None], axis=2)
    ratio = iv.static_count(W).mean() / collisions.predict_exact(n, m)
    assert ratio == pytest.approx(iv.predict_free_ratio(q), abs=0.05)


def test_resample_polysemantic() -> None:
    W = np.zeros((1, 3, 4))
    W[0, 0, 1], W[0, 1, 1], W[0, 2, 2] = 1.1, -0.9, 1.0
    on = np.abs(W) >= 0.8
    W2, red = iv.resample_polysemantic(W, on, np.random.default_rng(0), 0.1)
    assert red.tolist() == [[False, True, False]]  # the smaller co-resident is redrawn
    assert np.array_equal(W2[0, [0, 2]], W[0, [0, 2]])
    assert not np.array_equal(W2[0, 1], W[0, 1])


def test_win_uncontested_counts_only_lone_argmax_features() -> None:
    # features 0 and 1 share their initial argmax (neuron 0); feature 2 is alone on neuron 2
    W0 = np.zeros((1, 3, 4))
    W0[0, 0, 0], W0[0, 1, 0], W0[0, 2, 2] = 0.9, -0.8, 0.7
    W1 = np.zeros((1, 3, 4))
    W1[0, 0, 3], W1[0, 1, 1] = 1.0, 1.0  # the contested features move: they must not count
    W1[0, 2, 2] = 1.0
    q = _win_uncontested(W0, W1)
    assert q == 1.0, f"q = {q}, expected 1 (the one lone feature kept its neuron)"
    W1[0, 2] = np.roll(W1[0, 2], 1)
    q = _win_uncontested(W0, W1)
    assert q == 0.0, f"q = {q}, expected 0 (the lone feature left its neuron)"


def test_learned_redrawn() -> None:
    W = np.zeros((2, 2, 3))
    W[0, 0, 1] = 1.0  # learned
    W[1, 1, 2] = 0.5  # below the window: not learned
    redraw = np.array([[True, False], [False, True]])
    got = _learned_redrawn(W, redraw, 0.8, 1.2)
    assert got == 0.5, f"learned fraction of redrawn rows {got}, expected 0.5 (1 of 2)"
    got = _learned_redrawn(W, np.zeros((2, 2), bool), 0.8, 1.2)
    assert got == 1.0, f"{got}: with nothing redrawn the guard must not fire"


@pytest.mark.parametrize(
    ("learned", "counts", "fires"),
    [
        ({"plain": 1.0}, {"redrawn": (9, 10)}, False),  # one of ten: within binomial noise
        ({"plain": 1.0}, {"redrawn": (106, 108)}, False),  # the standard scale's 0.98
        ({"plain": 1.0}, {"redrawn": (11, 108)}, True),  # 2000 AdamW steps: ≈ 10 % relearned
        ({"plain": 1.0}, {"redrawn": (54, 108)}, True),  # 3750 steps: about half
        ({"plain": 0.9}, {"redrawn": (10, 10)}, True),  # a whole arm below 95 %
        ({"plain": 1.0}, {"redrawn": (0, 0)}, False),  # nothing redrawn
    ],
)
def test_check_regime(
    learned: dict[str, float], counts: dict[str, tuple[int, int]], fires: bool
) -> None:
    from types import SimpleNamespace

    meas = SimpleNamespace(learned=learned | dict.fromkeys(counts, 1.0), redrawn_counts=counts)
    try:
        check_regime(meas)  # type: ignore[arg-type]
        fired = False
    except OutsideRegime:
        fired = True
    assert fired == fires, f"learned {learned}, redrawn {counts}: fired {fired}, expected {fires}"


def test_train_init_default_unchanged() -> None:
    """``init=None`` is the default run; ``init=W_init`` reproduces it bit for bit."""
    p = AutoencoderParams.flat(n=6, m=12, instances=3, steps=30, optimizer="sgd", lr=0.1, l1=0.1)
    a, b = train(p), train(p, init=None)
    assert np.array_equal(a.W_final, b.W_final) and np.array_equal(a.W_init, b.W_init)
    c = train(p, init=a.W_init)
    assert np.array_equal(a.W_final, c.W_final)
    W0 = np.random.default_rng(0).standard_normal((3, 6, 12)) / np.sqrt(12)
    d = train(p, init=W0)
    assert np.allclose(d.W_init, W0.astype(np.float32))


@pytest.mark.parametrize(
    "bad",
    [np.zeros((2, 6, 12)), np.zeros((3, 6)), np.full((3, 6, 12), np.nan), np.array("x")],
)
def test_train_init_validated(bad: np.ndarray) -> None:
    p = AutoencoderParams.flat(n=6, m=12, instances=3, steps=2, optimizer="sgd")
    with pytest.raises(ParamError, match=r"^init="):
        train(p, init=bad)


def test_train_init_tied_only() -> None:
    p = AutoencoderParams.flat(n=6, m=12, instances=3, steps=2, optimizer="sgd", tied=False)
    with pytest.raises(ParamError, match="tied"):
        train(p, init=np.zeros((3, 6, 12)))
