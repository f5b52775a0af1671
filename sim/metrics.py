"""Measurements on weights W of shape (..., n, m): row W_i is feature i's code.

One implementation of each count, with its thresholds named (the paper's code copy-pasted its
counting function and its magic numbers 0.8 / 1.2 / 1.1 into several scripts).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "FRAC",
    "PolysemanticCount",
    "RelativeCount",
    "diagonal_dominance",
    "init_dominance",
    "polysemantic",
    "relative_weights",
    "untied_code",
]

# The paper's rule: feature k "is on" neuron j when LO <= |W_kj| <= HI; a neuron holding two or
# more such features is polysemantic. With λ = 1e-3 the learned weights sit near ±1 or 0.
LO = 0.8
HI = 1.2


class PolysemanticCount:
    """Per-instance counts from one weight tensor (numpy arrays with a leading instance axis)."""

    def __init__(self, W: np.ndarray, *, lo: float = LO, hi: float = HI) -> None:
        if not 0 <= lo <= hi:
            raise ValueError(f"need 0 <= lo <= hi, got lo={lo}, hi={hi}")
        W = _batched(W)
        self._count(W, (np.abs(W) >= lo) & (np.abs(W) <= hi))

    def _count(self, W: np.ndarray, on: np.ndarray) -> None:
        """Every count from W (B, n, m) and the rule's mask ``on`` (feature k on neuron j)."""
        per_neuron = on.sum(axis=1)  # features on each neuron (B, m)
        self.count = (per_neuron >= 2).sum(axis=1)  # polysemantic neurons per instance (B,)
        self.learned = on.any(axis=2).sum(axis=1)  # features on at least one neuron (B,)
        # sign structure of neurons holding exactly two features: opposite signs or not
        two = per_neuron == 2
        pos = ((W > 0) & on).sum(axis=1)
        neg = ((W < 0) & on).sum(axis=1)
        self.pairs = two.sum(axis=1)  # neurons with exactly two features (B,)
        self.opposite_pairs = (two & (pos == 1) & (neg == 1)).sum(axis=1)  # of which opposite
        self.crowded = (per_neuron >= 3).sum(axis=1)  # neurons with three or more features (B,)


def _batched(W: np.ndarray) -> np.ndarray:
    """W as an array with a leading instance axis (a single (n, m) matrix becomes (1, n, m))."""
    W = np.asarray(W)
    return W[None] if W.ndim == 2 else W


def polysemantic(W: np.ndarray, *, lo: float = LO, hi: float = HI) -> np.ndarray:
    """Number of polysemantic neurons per instance: neurons with >= 2 features in [lo, hi]."""
    return PolysemanticCount(W, lo=lo, hi=hi).count


# A rule for weights trained without L1 (noise-induced sparsity): their magnitudes are not ≈ 1, a
# sparse row keeps a small dense residue, and a few rows stay dense with every entry ≈ ‖W_k‖/√m′.
# Feature k is on neuron j when |W_kj| >= FRAC·‖W_k‖₂: scale-free, and a row spread evenly over
# more than 1/FRAC² = 4 neurons holds none (it is counted as unassigned, not as polysemantic).
FRAC = 0.5


class RelativeCount(PolysemanticCount):
    """Per-instance counts with the relative rule |W_kj| >= frac·‖W_k‖₂ (numpy, leading instance
    axis); the same fields as :class:`PolysemanticCount`, plus ``unassigned``."""

    def __init__(self, W: np.ndarray, *, frac: float = FRAC) -> None:
        if not 0 < frac <= 1:
            raise ValueError(f"need 0 < frac <= 1, got frac={frac}")
        W = _batched(W)
        norm = np.sqrt(np.square(W).sum(axis=2, keepdims=True))  # ‖W_k‖₂ (B, n, 1)
        on = (np.abs(W) >= frac * norm) & (norm > 0)  # (B, n, m)
        self._count(W, on)
        self.unassigned = (~on.any(axis=2)).sum(axis=1)  # features on no neuron: dense rows (B,)


def relative_weights(W: np.ndarray) -> np.ndarray:
    """|W_kj| / ‖W_k‖₂ for every entry (the quantity :class:`RelativeCount` thresholds)."""
    W = np.asarray(W)
    norm = np.sqrt(np.square(W).sum(axis=-1, keepdims=True))
    return np.abs(W) / np.where(norm > 0, norm, 1.0)


def untied_code(E: np.ndarray, D: np.ndarray, *, lo: float = LO, hi: float = HI) -> np.ndarray:
    """The code of an untied model (encoder E, decoder D, both (..., n, m)) in the form
    :class:`PolysemanticCount` reads: E_ik where feature i is "on" neuron k, 0 elsewhere.

    With untied weights feature i reaches the output through neuron k only when both its encoder
    weight E_ik and its decoder weight D_ik are non-zero with the same sign (y_i gets E_ik·D_ik);
    it is on the neuron when both |E_ik| and |D_ik| lie in [lo, hi] and E_ik·D_ik > 0. The L1
    optimum at fixed product E_ik·D_ik = p is the balanced E_ik = D_ik = √p, so a learned feature
    has both weights near 1, as W_ik is when tied.
    """
    if not 0 <= lo <= hi:
        raise ValueError(f"need 0 <= lo <= hi, got lo={lo}, hi={hi}")
    E = np.asarray(E)
    D = np.asarray(D)
    if E.shape != D.shape:
        raise ValueError(f"E {E.shape} and D {D.shape} must have the same shape")
    aE, aD = np.abs(E), np.abs(D)
    on = (aE >= lo) & (aE <= hi) & (aD >= lo) & (aD <= hi) & (E * D > 0)
    return np.where(on, E, 0.0)


def diagonal_dominance(C: np.ndarray) -> np.ndarray:
    """Per instance, the mean diagonal of C (B, n, n) over the standard deviation of its
    off-diagonal entries: how far C = W_init W_finalᵀ's diagonal stands out of its spread (0 when
    the final weights keep no memory of their own init). Needs n >= 2; an instance whose
    off-diagonal entries are all equal gets ±inf (or nan for an all-zero C)."""
    C = np.asarray(C)
    n = C.shape[-1]
    if n < 2 or C.shape[-2] != n:
        raise ValueError(f"diagonal_dominance needs square C with n >= 2, got shape {C.shape}")
    off = C[..., ~np.eye(n, dtype=bool)]
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant off-diagonal: ±inf or nan
        return np.diagonal(C, axis1=-2, axis2=-1).mean(axis=-1) / off.std(axis=-1)


def init_dominance(W_init: np.ndarray, W_final: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per instance of a batch (arrays (B, n, m), n >= 2): the diagonal dominance of
    C = W_init W_finalᵀ, and of the same C against the previous instance's init (W_init rolled by
    one instance), where final weights that keep no memory of their own init are as dominant."""
    final_t = W_final.transpose(0, 2, 1)
    return (
        diagonal_dominance(W_init @ final_t),
        diagonal_dominance(np.roll(W_init, 1, axis=0) @ final_t),
    )
