"""Fitting helpers: estimates with confidence intervals from replicates.

Every interval here comes from the spread of independent replicates (instances, seeds) or a
bootstrap over them, never from a single regression's standard error: a least-squares standard
error on one time series ignores the correlation between its points and is overconfident.

All helpers return an :class:`Estimate` ``(value, lo, hi)``; ``tests/test_fitting.py`` checks each
on synthetic data with a known answer, including the coverage of the 95 % intervals.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats

__all__ = [
    "Estimate",
    "bootstrap",
    "loglog_slope",
    "mean_ci",
    "ols_slope",
    "poisson_exponent",
    "poisson_slope",
    "proportion_ci",
    "ratio_ci",
]


class Estimate(NamedTuple):
    value: float  # point estimate
    lo: float  # lower end of the confidence interval
    hi: float  # upper end

    @property
    def ci(self) -> tuple[float, float]:
        return (self.lo, self.hi)


def ols_slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``y`` on ``x`` along the last axis (vectorised over leading axes)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    xc = x - x.mean()
    return (y * xc).sum(axis=-1) / (xc * xc).sum()


def mean_ci(samples: Sequence[float] | np.ndarray, *, confidence: float = 0.95) -> Estimate:
    """Mean of independent replicates with a Student-t interval."""
    a = np.asarray(samples, dtype=float).ravel()
    if a.size < 2:
        raise ValueError(f"mean_ci needs >= 2 replicates, got {a.size}")
    m = float(a.mean())
    if np.all(a == a[0]):
        return Estimate(m, m, m)
    lo, hi = stats.ttest_1samp(a, m).confidence_interval(confidence)
    return Estimate(m, float(lo), float(hi))


def proportion_ci(successes: int, trials: int, *, confidence: float = 0.95) -> Estimate:
    """A proportion with its exact (Clopper-Pearson) interval."""
    if trials < 1:
        raise ValueError(f"proportion_ci needs >= 1 trial, got {trials}")
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence, method="exact")
    return Estimate(successes / trials, float(ci.low), float(ci.high))


def bootstrap(
    samples: Sequence[np.ndarray],
    statistic: Callable[..., np.ndarray],
    *,
    rng: np.random.Generator,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> Estimate:
    """Bootstrap interval of ``statistic(*samples, axis=-1)``, resampling each sample's replicates
    independently (one sample per grid point). BCa where it is defined, else percentile; a
    statistic that never varies gets the degenerate interval ``[value, value]``. When some
    resamples leave the statistic undefined (a power law through a grid point with no events,
    say), the data cannot bound it: the interval is ``(-inf, inf)``, which no tolerance accepts.
    """
    data = tuple(np.asarray(s, dtype=float) for s in samples)
    value = float(statistic(*data, axis=-1))
    if not np.isfinite(value):
        raise ValueError(
            f"the statistic is undefined on the data itself ({value}); too few events?"
        )
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.bootstrap(
                data,
                statistic,
                n_resamples=n_resamples,
                confidence_level=confidence,
                method=method,
                vectorized=True,
                axis=-1,
                rng=rng,
            )
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if np.isfinite(lo) and np.isfinite(hi):
            return Estimate(value, min(lo, value), max(hi, value))
    dist = np.asarray(res.bootstrap_distribution)
    if np.all(dist == value):
        return Estimate(value, value, value)
    return Estimate(value, float("-inf"), float("inf"))


def loglog_slope(
    x: Sequence[float],
    samples: Sequence[np.ndarray],
    *,
    rng: np.random.Generator,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> Estimate:
    """Slope of log(mean y) against log x; ``samples[j]`` holds the positive replicates at x[j].

    The interval is a bootstrap over the replicates at each x.
    """
    logx = np.log(np.asarray(x, dtype=float))
    if len(samples) != logx.size or logx.size < 2:
        raise ValueError(
            f"loglog_slope needs one sample per x and >= 2 points, "
            f"got {len(samples)} for {logx.size}"
        )

    def stat(*ys: np.ndarray, axis: int = -1) -> np.ndarray:
        means = np.stack([y.mean(axis=axis) for y in ys], axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return ols_slope(logx, np.log(means))

    return bootstrap(samples, stat, rng=rng, confidence=confidence, n_resamples=n_resamples)


def _poisson_loglinear(
    u: np.ndarray, totals: np.ndarray, n_obs: np.ndarray, iters: int = 50
) -> np.ndarray:
    """MLE slope b of counts ~ Poisson(n_obs * exp(a + b u)), vectorised over leading axes of
    totals."""
    totals = np.asarray(totals, dtype=float)
    rate0 = (totals + 0.5) / n_obs
    b = ols_slope(u, np.log(rate0))
    a = np.log(rate0).mean(axis=-1) - b * u.mean()
    for _ in range(iters):
        mu = n_obs * np.exp(np.clip(a[..., None] + b[..., None] * u, -700, 700))
        r = totals - mu
        g_a, g_b = r.sum(-1), (r * u).sum(-1)
        h_aa, h_ab, h_bb = mu.sum(-1), (mu * u).sum(-1), (mu * u * u).sum(-1)
        det = h_aa * h_bb - h_ab**2
        with np.errstate(divide="ignore", invalid="ignore"):
            da = (h_bb * g_a - h_ab * g_b) / det
            db = (h_aa * g_b - h_ab * g_a) / det
        a, b = a + np.nan_to_num(da), b + np.nan_to_num(db)
    return np.where(totals.sum(-1) > 0, b, np.nan)


def poisson_exponent(x: Sequence[float], totals: np.ndarray, n_obs: Sequence[float]) -> np.ndarray:
    """The exponent b of E[count] = c·x^b by Poisson maximum likelihood from the replicate totals
    ``totals[..., j]`` over ``n_obs[j]`` replicates at x[j] (vectorised over leading axes; NaN
    where every total is zero): :func:`poisson_slope`'s statistic, for use inside a bootstrap."""
    u = np.log(np.asarray(x, dtype=float))
    return _poisson_loglinear(u, totals, np.asarray(n_obs, dtype=float))


def poisson_slope(
    x: Sequence[float],
    counts: Sequence[np.ndarray],
    *,
    rng: np.random.Generator,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> Estimate:
    """Exponent b of a power law E[count] = c·x^b, fitted by Poisson maximum likelihood.

    Unlike a least-squares fit of log(mean count), zero counts are fine. ``counts[j]`` holds the
    replicate counts at x[j]; the interval is a bootstrap over those replicates.
    """
    u = np.log(np.asarray(x, dtype=float))
    n_obs = np.array([len(c) for c in counts], dtype=float)
    if len(counts) != u.size or u.size < 2:
        raise ValueError(
            f"poisson_slope needs one sample per x and >= 2 points, got {len(counts)} for {u.size}"
        )

    def stat(*cs: np.ndarray, axis: int = -1) -> np.ndarray:
        totals = np.stack([c.sum(axis=axis) for c in cs], axis=-1)
        return _poisson_loglinear(u, totals, n_obs)

    return bootstrap(counts, stat, rng=rng, confidence=confidence, n_resamples=n_resamples)


def ratio_ci(
    numerators: Sequence[np.ndarray],
    denominators: Sequence[float],
    *,
    rng: np.random.Generator,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> Estimate:
    """Pooled ratio Σ_j mean(numerators[j]) / Σ_j denominators[j] with a bootstrap interval.

    Typical use: measured counts at each grid point over the predicted counts there.
    """
    den = float(np.sum(denominators))
    if not den > 0:
        raise ValueError(f"ratio_ci needs a positive total denominator, got {den}")

    def stat(*ys: np.ndarray, axis: int = -1) -> np.ndarray:
        return sum(y.mean(axis=axis) for y in ys) / den

    return bootstrap(numerators, stat, rng=rng, confidence=confidence, n_resamples=n_resamples)
