"""The autoencoder without L1, derived with sympy (catalogue P1-ZL; the LessWrong exchange).

Without L1 and noise the loss of the tied autoencoder (``sim/autoencoder.py``) is

    L = Σ_i (ReLU(‖W_i‖²) − 1)² + Σ_{i≠j} ReLU(W_i·W_j)²,

a sum of squares, so L = 0 iff every term is 0 (:func:`zero_loss_conditions`, solved by sympy
term by term): ‖W_i‖ = 1 for every feature and W_i·W_j ≤ 0 for every pair i ≠ j — the features'
codes pairwise at angles of at least 90°. That set is invariant under W → WQ for any orthogonal
Q (both conditions are inner products), so without L1 no neuron basis is privileged and
neuron-level polysemanticity is not defined; the commenter's "every neuron highly polysemantic" is
the generic point of a rotation-invariant set.

* :func:`max_nonacute` — at most 2m non-zero vectors of Rᵐ are pairwise non-acute (a classical
  fact, stated, not derived here: the cross-polytope is extremal), so zero loss needs n ≤ 2m.
  :func:`cross_polytope` builds the members [e₁; −e₁; e₂; −e₂; …] reaching 2m, and
  :func:`cross_polytope_check` verifies with sympy that its Gram matrix meets the conditions and
  that each neuron carries at most two features there.
* :func:`isotropic_ratio` — gradient descent on a rotation-invariant loss from the rotation-
  invariant N(0, 1/m) init has a rotation-invariant law at every step, so each trained row's
  direction is uniform on the sphere and E[‖W_i‖₄⁴/‖W_i‖₂⁴] = 3/(m + 2) (reused from
  :func:`theory.kurtosis.isotropic_fourth_norm`): a one-hot row has 1.
* :func:`lambda_star_exponent` — with L1 the basis becomes privileged when the winner-takes-all
  dynamic ends; its end time is Θ(1/λ) in code time (:func:`theory.l1_decay.end_time`, λτ_end a
  constant), and τ = 4ηt, λ_code = λ/4 (:func:`theory.l1_decay.time_units`). After a fixed number
  of steps S the transition therefore sits at λ*(S) = λτ_end/(η S): exponent −1 in S.
* :func:`count_rule` — what the paper's count rule would give if the basis were privileged:
  n(n − 1)/(4m) (:func:`theory.collisions.leading_term`); without L1 it does not apply.

This module knows nothing of ``sim`` or ``claims``; ``tests/test_no_l1.py`` checks the zero-loss
set against the project's loss on constructed members and near misses.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

from . import collisions, kurtosis, l1_decay

__all__ = [
    "count_rule",
    "cross_polytope",
    "cross_polytope_check",
    "features_per_neuron",
    "fourth_norm_ratio",
    "isotropic_ratio",
    "lambda_star_exponent",
    "lambda_star_expr",
    "max_nonacute",
    "predict_count_rule",
    "predict_isotropic_ratio",
    "zero_loss_conditions",
]

m = sp.Symbol("m", positive=True, integer=True)  # hidden neurons
q = sp.Symbol("q", real=True)  # ‖W_i‖², the self overlap
zz = sp.Symbol("z", real=True)  # W_i·W_j, a pair's overlap
steps = sp.Symbol("S", positive=True)  # optimiser steps
eta = sp.Symbol("eta", positive=True)  # learning rate


def _relu(x: sp.Expr) -> sp.Expr:
    return sp.Max(x, 0)


@cache
def zero_loss_conditions() -> dict[str, object]:
    """Each term of the no-L1 loss is a square, hence ≥ 0; L = 0 iff each term is 0. Solved by
    sympy: ``"self"`` — the set of ‖W_i‖² ≥ 0 with (ReLU(‖W_i‖²) − 1)² = 0, {1}; ``"pair"`` — the
    set of W_i·W_j with ReLU(W_i·W_j)² = 0, (−∞, 0]. Also the terms themselves."""
    self_term = (_relu(q) - 1) ** 2
    pair_term = _relu(zz) ** 2
    self_set = sp.solveset(sp.Eq(self_term, 0), q, sp.Interval(0, sp.oo))
    pair_set = sp.solveset(sp.Eq(pair_term, 0), zz, sp.S.Reals)
    return {"self_term": self_term, "pair_term": pair_term, "self": self_set, "pair": pair_set}


@cache
def max_nonacute() -> sp.Expr:
    """The largest number of non-zero vectors of Rᵐ with pairwise non-positive inner products:
    2m (stated; reached by :func:`cross_polytope`)."""
    return 2 * m


def cross_polytope(n: int, m_: int) -> np.ndarray:
    """The zero-loss member [e₁; −e₁; e₂; −e₂; …] with n ≤ 2m rows in Rᵐ (float64)."""
    if not 1 <= n <= 2 * m_:
        raise ValueError(f"n = {n} must be in [1, 2m = {2 * m_}]")
    W = np.zeros((n, m_))
    for i in range(n):
        W[i, i // 2] = 1.0 if i % 2 == 0 else -1.0
    return W


@cache
def cross_polytope_check(m_: int = 3) -> dict[str, object]:
    """The full cross-polytope in R^m_ symbolically: its Gram matrix, whether every diagonal entry
    is in the self set and every off-diagonal one in the pair set of :func:`zero_loss_conditions`,
    its row count against :func:`max_nonacute`, and the features per neuron (non-zero entries per
    column, 2 each)."""
    W = sp.Matrix(cross_polytope(2 * m_, m_).astype(int))
    G = W * W.T
    cond = zero_loss_conditions()
    ok = all(
        G[i, j] in (cond["self"] if i == j else cond["pair"])  # type: ignore[operator]
        for i in range(W.rows)
        for j in range(W.rows)
    )
    per_neuron = [sum(1 for i in range(W.rows) if W[i, k] != 0) for k in range(W.cols)]
    return {
        "gram": G,
        "zero_loss": ok,
        "rows": W.rows,
        "bound": max_nonacute().subs(m, m_),
        "per_neuron": per_neuron,
    }


@cache
def isotropic_ratio() -> sp.Expr:
    """E[‖u‖₄⁴/‖u‖₂⁴] for a row of uniformly random direction (the ratio is scale-free):
    :func:`theory.kurtosis.isotropic_fourth_norm`, 3/(m + 2)."""
    return kurtosis.isotropic_fourth_norm().subs(kurtosis.m, m)


def predict_isotropic_ratio(m_: int) -> float:
    """Numeric :func:`isotropic_ratio` at m, from
    :func:`theory.kurtosis.predict_isotropic_fourth_norm`."""
    return kurtosis.predict_isotropic_fourth_norm(m_)


@cache
def lambda_star_expr() -> sp.Expr:
    """λ*(S) in the training loss's units: the λ whose L1 dynamic ends after S steps,
    λ_code·τ_end = (λτ)_end with τ = (τ per t)·S and λ_code = λ·(λ_code per λ)."""
    units = l1_decay.time_units()
    lt_end = l1_decay.end_time()["limit"]
    tau = units["tau_per_t"].subs(l1_decay.eta, eta) * steps
    lam_code_per_lam = units["lambda_code"] / l1_decay.lam_real
    return sp.simplify(lt_end / (tau * lam_code_per_lam))


def predict_lambda_end(lr: float, steps_: int) -> float:
    """The λ whose L1 dynamic ends after ``steps_`` steps at learning rate ``lr``:
    :func:`lambda_star_expr` with ρ at its initial value π/2 − 1 (half-normal rows,
    ``l1_decay.initial_rho``). The rows are half-way to one-hot before the dynamic ends, so the
    measured transition λ* lies below it."""
    expr = lambda_star_expr().subs({eta: lr, steps: steps_, l1_decay.rho: l1_decay.initial_rho()})
    return float(expr)


@cache
def lambda_star_exponent() -> float:
    """lim_{S→∞} S ∂_S log λ*(S) (sympy): −1."""
    expr = lambda_star_expr()
    return float(sp.limit(sp.simplify(steps * sp.diff(sp.log(expr), steps)), steps, sp.oo))


@cache
def count_rule() -> sp.Expr:
    """The paper's count of polysemantic neurons when the basis is privileged, n(n − 1)/(4m)."""
    return collisions.leading_term()


def predict_count_rule(n_: int, m_: int) -> float:
    """Numeric :func:`count_rule` at (n, m)."""
    return collisions.predict_leading(n_, m_)


def fourth_norm_ratio(W: np.ndarray) -> np.ndarray:
    """‖W_i‖₄⁴/‖W_i‖₂⁴ of every row of ``W`` (..., n, m): 1 for a one-hot row, 1/m for a flat
    one."""
    W = np.asarray(W, dtype=float)
    sq = W * W
    return (sq * sq).sum(-1) / sq.sum(-1) ** 2


def features_per_neuron(W: np.ndarray) -> np.ndarray:
    """Participation ratio of each neuron k over the features, (Σ_i W_ik²)²/Σ_i W_ik⁴, of ``W``
    (..., n, m): the effective number of features a neuron carries, basis-free in the features
    (1 for one feature, n for equal weights); 0 for an unused neuron."""
    W = np.asarray(W, dtype=float)
    sq = W * W
    den = (sq * sq).sum(-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, sq.sum(-2) ** 2 / np.where(den > 0, den, 1.0), 0.0)
