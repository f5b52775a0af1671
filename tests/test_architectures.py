"""Tests of the architectures claim's measurements on synthetic weights with known answers, of
:func:`sim.metrics.untied_code`, and of the claim's params and variants."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from claims._params import leaves
from claims.catalog.architectures import (
    CLAIM,
    VARIANTS,
    ArchitecturesParams,
    _paired_ratio,
    gelu_unit_root,
    summarise,
)
from sim import ParamError
from sim.metrics import PolysemanticCount, untied_code

# -- untied_code ----------------------------------------------------------------------------------


def test_untied_code_needs_both_weights_in_the_window_with_one_sign() -> None:
    E = np.array([[[1.0, 0.9, 1.1, 0.0, -1.0]]])
    D = np.array([[[1.0, 0.3, -1.1, 0.0, -0.95]]])
    code = untied_code(E, D)
    np.testing.assert_array_equal(
        code,
        [[[1.0, 0.0, 0.0, 0.0, -1.0]]],
        err_msg="on: both |E|, |D| in [0.8, 1.2] and E·D > 0 (the decoder 0.3 and the "
        "sign-crossed pair are off)",
    )


def test_untied_code_with_equal_encoder_and_decoder_is_the_tied_rule() -> None:
    rng = np.random.default_rng(0)
    W = rng.choice([0.0, 0.5, 0.9, -1.0, 1.15, 1.3], size=(5, 6, 12))
    tied = PolysemanticCount(W)
    untied = PolysemanticCount(untied_code(W, W))
    np.testing.assert_array_equal(untied.count, tied.count, err_msg="E = D must count as tied")
    np.testing.assert_array_equal(untied.opposite_pairs, tied.opposite_pairs)


def test_untied_code_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="same shape"):
        untied_code(np.zeros((2, 3, 4)), np.zeros((2, 3, 5)))


# -- summarise ------------------------------------------------------------------------------------


def _tied_pair() -> tuple[np.ndarray, np.ndarray]:
    """One model, n = 3, m = 4: features 0 and 1 start with their argmax on neuron 0 with opposite
    signs and end there; feature 2 starts with its argmax on neuron 3 but ends on neuron 2."""
    W0 = np.array(
        [
            [
                [0.9, 0.1, 0.0, 0.2],
                [-0.8, 0.0, 0.3, 0.1],
                [0.1, 0.2, 0.4, -0.6],
            ]
        ]
    )
    Wf = np.array(
        [
            [
                [0.98, 0.0, 0.0, 0.0],
                [-0.97, 0.0, 0.0, 0.0],
                [0.0, 0.0, 0.99, 0.0],
            ]
        ]
    )
    return W0, Wf


def test_summarise_tied_counts_hits_and_initial_collisions() -> None:
    W0, Wf = _tied_pair()
    s = summarise(W0, Wf)
    assert s.counts.tolist() == [1.0], f"counts={s.counts}, but neuron 0 holds two features"
    assert s.learned.tolist() == [3], f"learned={s.learned}, but all three are on a neuron"
    assert s.hits.tolist() == [2], f"hits={s.hits}: features 0 and 1 won their initial argmax"
    assert s.init_opposite.tolist() == [1] and s.init_opposite_kept.tolist() == [1], (
        f"initial ± collisions {s.init_opposite}, kept {s.init_opposite_kept}, both should be 1"
    )
    assert s.init_same.tolist() == [0] and s.dead_start.tolist() == [0]
    assert s.pairs.tolist() == [1] and s.opposite_pairs.tolist() == [1]
    assert s.top_weight[0] == pytest.approx((0.98 + 0.97 + 0.99) / 3)


def test_summarise_untied_equal_weights_match_tied() -> None:
    """With E = D = W (and E0 = D0 = W0) the untied measurements are the tied ones: the decider
    E0 + D0 = 2W0 has the same argmax."""
    W0, Wf = _tied_pair()
    tied, untied = summarise(W0, Wf), summarise(W0, Wf, W0, Wf)
    for name in ("counts", "learned", "hits", "hits_product", "init_opposite", "pairs"):
        np.testing.assert_array_equal(
            getattr(untied, name), getattr(tied, name), err_msg=f"{name}: untied E = D ≠ tied"
        )
    assert untied.top_weight[0] == pytest.approx(tied.top_weight[0])


def test_summarise_untied_decider_is_the_sum_not_the_product() -> None:
    """Feature 0, m = 3: |E0 + D0| = (1.4, 0.4, 0.9) peaks on neuron 0, |E0·D0| = (0.49, 0.96,
    0.1) on neuron 1, |E0| on neuron 2; it ends on neuron 0, so only the sum's argmax counts as a
    hit. Both features start with E_i·D_i < 0 (output off); only feature 0 is learned."""
    E0 = np.array([[[0.7, -0.8, 1.0], [0.2, 0.0, 0.0]]])
    D0 = np.array([[[0.7, 1.2, -0.1], [-0.2, 0.0, 0.0]]])
    Ef = np.array([[[0.98, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    Df = np.array([[[0.97, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    s = summarise(E0, Ef, D0, Df)
    assert s.learned.tolist() == [1], f"learned={s.learned}, but only feature 0 is on a neuron"
    assert (s.hits[0], s.hits_product[0], s.hits_encoder[0]) == (1, 0, 0), (
        f"hits (sum, product, encoder) = {(s.hits[0], s.hits_product[0], s.hits_encoder[0])}, "
        "but should be (1, 0, 0)"
    )
    assert s.dead_start.tolist() == [2] and s.dead_learned.tolist() == [1], (
        f"dead at start {s.dead_start}, of which learned {s.dead_learned}: should be 2 and 1"
    )


def test_paired_ratio_is_the_ratio_of_pooled_means() -> None:
    rng = np.random.default_rng(1)
    nums = [rng.poisson(2.0, 200).astype(float), rng.poisson(0.5, 200).astype(float)]
    dens = [np.full(200, 2.0), np.full(200, 0.5)]
    est = _paired_ratio(nums, dens, rng=np.random.default_rng(0), level=0.95)
    expected = (nums[0].mean() + nums[1].mean()) / 2.5
    assert est.value == pytest.approx(expected), f"value={est.value}, but should be {expected}"
    assert est.lo < est.value < est.hi and est.hi - est.lo < 0.3, f"interval {est.ci}"


# -- theory ---------------------------------------------------------------------------------------


def test_gelu_unit_root_reproduces_one() -> None:
    z = gelu_unit_root()
    value = float(torch.nn.functional.gelu(torch.tensor(z, dtype=torch.float64)))
    assert value == pytest.approx(1.0, abs=1e-12), f"GeLU({z}) = {value}, but should be 1"
    assert 0.8 <= math.sqrt(z) <= 1.2, f"√z* = {math.sqrt(z):.4f} must sit in the paper's window"


# -- params ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", ["smoke", "standard", "paper"])
def test_variants_change_only_the_architecture(scale: str) -> None:
    p = CLAIM.params[scale]
    ref = p.point("tied-relu", p.m[0], 8, seed=3, device="cpu")
    assert ref == p.train.replace(model={"m": p.m[0]}, instances=8, seed=3, device="cpu"), (
        "the tied-relu reference is the train params"
    )
    changed = {
        "untied": {"model.tied"},
        "gelu": {"model.activation"},
        "linear": {"model.activation"},
    }
    before = {leaf.path: leaf.value for leaf in leaves(ref)}
    for v in VARIANTS[1:]:
        q = p.point(v, p.m[0], 8, seed=3, device="cpu")
        diff = {leaf.path for leaf in leaves(q) if leaf.value != before[leaf.path]}
        assert diff == changed[v], f"{v} changes {sorted(diff)}, not {sorted(changed[v])}"
    assert p.point("linear", p.m[0], 8, seed=3, device="cpu").model.activation == "none"


def test_batches_add_up_to_the_models_of_each_variant() -> None:
    p = dataclasses.replace(CLAIM.params["standard"], models=(600, 256, 100, 2))
    for v, total in zip(VARIANTS, p.models, strict=True):
        chunks = p.chunks(v)
        assert sum(chunks) == total and max(chunks) <= p.train.instances, (
            f"{v}: batches {chunks} should add up to {total}, each ≤ {p.train.instances}"
        )


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"m": (128,)}, "m"),
        ({"m": (128, 128)}, "m"),
        ({"models": (256, 256)}, "models"),
        ({"models": (256, 256, 1, 8)}, "models"),
        ({"confidence": 1.0}, "confidence"),
    ],
)
def test_bad_params_name_the_field(override: dict[str, object], field: str) -> None:
    with pytest.raises(ParamError, match=field):
        dataclasses.replace(ArchitecturesParams(), **override)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["train.model.tied", "train.model.activation"])
def test_fields_the_variants_set_are_not_settable(path: str) -> None:
    with pytest.raises(ParamError, match="not settable"):
        CLAIM.resolve("standard", {path: "1"})


def test_models_override_parses() -> None:
    p = CLAIM.resolve("standard", {"models": "64,32,16,16", "m": "64,256"})
    assert p.models == (64, 32, 16, 16) and p.m == (64, 256), f"{p.models}, {p.m}"


def test_variants_start_from_the_same_initial_weights() -> None:
    """Batch j at m has one seed for every variant: the runs are paired (untied E_init = W_init)."""
    p = dataclasses.replace(CLAIM.params["smoke"], models=(16, 16, 16, 16))
    from sim.autoencoder import train

    inits = {
        v: train(p.point(v, 64, 16, seed=11, device="cpu").replace(optimiser={"steps": 1})).W_init
        for v in VARIANTS
    }
    for v in VARIANTS[1:]:
        np.testing.assert_array_equal(inits[v], inits["tied-relu"], err_msg=f"{v} init differs")


# -- mechanisms behind the recorded deviations ----------------------------------------------------


@pytest.mark.parametrize(("act", "kept"), [("relu", True), ("gelu", True), ("none", False)])
def test_opposite_sign_co_residents_at_the_end_state(act: str, kept: bool) -> None:
    """Two features placed on one neuron with opposite signs at their trained magnitude (ReLU
    0.987, GeLU 1.06: GeLU(1.06²) ≈ 0.98), plus a 1e-3 dense perturbation, under the standard
    GD (lr = λ = 0.1): with a ReLU or a GeLU output the pair is a stable end state (so GeLU's
    vanishing count comes from the transient, not from the end state), with a linear output it
    is not (the overlap −w² costs 2w⁴ and the pair resolves)."""
    from sim.autoencoder import AutoencoderParams, fused_loss_and_grad

    p = AutoencoderParams.flat(n=4, m=16, instances=1, activation=act, l1=0.1, dtype="float64")
    w = 1.06 if act == "gelu" else 0.987
    W = torch.zeros(1, 4, 16, dtype=torch.float64)
    W[0, 0, 0], W[0, 1, 0], W[0, 2, 5], W[0, 3, 9] = w, -w, w, -w
    W += 1e-3 * torch.randn(
        W.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    for _ in range(2000):
        W -= 0.1 * fused_loss_and_grad(W, None, p)[1]
    pair = (float(W[0, 0, 0]), float(W[0, 1, 0]))
    on = all(0.8 <= abs(x) <= 1.2 for x in pair)
    assert on == kept, (
        f"activation={act}: co-residents end at {pair}; they should "
        f"{'stay' if kept else 'not stay'} in the window [0.8, 1.2]"
    )


def test_diagonal_dominance_known_answers() -> None:
    import numpy as np

    from sim.metrics import diagonal_dominance

    C = np.array([[[2.0, 1.0, -1.0], [1.0, 2.0, -1.0], [-1.0, 1.0, 2.0]]])
    # diagonal mean 2, off-diagonal entries ±1 with mean 0: sd 1
    assert diagonal_dominance(C) == pytest.approx([2.0])
    rng = np.random.default_rng(0)
    W0 = rng.normal(size=(64, 8, 32))
    dom = diagonal_dominance(W0 @ W0.transpose(0, 2, 1))  # diagonal ≈ m, off-diagonal sd ≈ √m
    assert dom.mean() == pytest.approx(np.sqrt(32), rel=0.15), f"C = W0 W0ᵀ: {dom.mean()} vs √m"
    other = np.roll(W0, 1, axis=0) @ W0.transpose(0, 2, 1)
    assert abs(diagonal_dominance(other).mean()) < 0.2, "another model's init: no dominance"
    with pytest.raises(ValueError, match="n >= 2"):
        diagonal_dominance(np.ones((2, 1, 1)))


def test_init_dominance_is_c_and_c_against_the_previous_init() -> None:
    """init_dominance, which init-diagonal and architectures share: the dominance of
    C = W_init W_finalᵀ and of C with the previous instance's init, per instance."""
    import numpy as np

    from sim.metrics import diagonal_dominance, init_dominance

    rng = np.random.default_rng(1)
    W0, Wf = rng.normal(size=(2, 16, 6, 24))
    own, other = init_dominance(W0, W0 + 0.1 * Wf)
    np.testing.assert_array_equal(own, diagonal_dominance(W0 @ (W0 + 0.1 * Wf).transpose(0, 2, 1)))
    previous = np.concatenate([W0[-1:], W0[:-1]])  # instance b against the init of b − 1
    np.testing.assert_array_equal(
        other, diagonal_dominance(previous @ (W0 + 0.1 * Wf).transpose(0, 2, 1))
    )
    assert own.mean() > 3 and abs(other.mean()) < 0.5, (own.mean(), other.mean())
