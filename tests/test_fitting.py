"""The fitting helpers on synthetic data with known answers, including interval coverage."""

from __future__ import annotations

import numpy as np
import pytest

from claims import fitting


def test_ols_slope_exact_on_a_line() -> None:
    x = np.array([1.0, 2.0, 4.0, 7.0])
    got = fitting.ols_slope(x, 3.0 - 2.5 * x)
    assert got == pytest.approx(-2.5), f"ols_slope={got}, but should be -2.5 [y = 3 - 2.5x]"


def test_loglog_slope_recovers_a_noiseless_power_law() -> None:
    x = np.array([10.0, 20.0, 40.0, 80.0])
    samples = [np.full(5, 7.0 * xi**-1.3) for xi in x]
    est = fitting.loglog_slope(x, samples, rng=np.random.default_rng(0))
    assert est.value == pytest.approx(-1.3), f"slope={est.value}, but should be -1.3 [noiseless]"
    assert est.lo == pytest.approx(-1.3) and est.hi == pytest.approx(-1.3), (
        f"ci={est.ci}, but should be degenerate"
    )


def _coverage(make_estimate, truth: float, trials: int) -> float:
    hits = 0
    for t in range(trials):
        est = make_estimate(np.random.default_rng(1000 + t))
        hits += est.lo <= truth <= est.hi
    return hits / trials


def test_loglog_slope_95_interval_covers_the_true_exponent() -> None:
    """Lognormal replicates around c·x^b: the 95 % interval holds b in ≈ 95 % of data sets.
    200 trials: binomial sd 1.5 %, so [0.90, 0.99] is a ±3 sd band."""
    x = np.array([64.0, 128.0, 256.0, 512.0, 1024.0])
    b = -1.0

    def estimate(rng: np.random.Generator) -> fitting.Estimate:
        samples = [3.0 * xi**b * np.exp(rng.normal(0, 0.4, 16)) for xi in x]
        return fitting.loglog_slope(x, samples, rng=rng, n_resamples=999)

    cov = _coverage(estimate, b, 200)
    assert 0.90 <= cov <= 0.99, (
        f"coverage={cov}, but should be ≈ 0.95 [loglog_slope, 16 replicates, sd 0.4]"
    )


def test_poisson_slope_95_interval_covers_the_true_exponent() -> None:
    """Poisson counts with mean 400·x^-1 (as in collision-count): coverage ≈ 95 %."""
    x = np.array([128.0, 256.0, 512.0, 1024.0])
    b = -1.0

    def estimate(rng: np.random.Generator) -> fitting.Estimate:
        counts = [rng.poisson(60.0 * (xi / 128.0) ** b, 48).astype(float) for xi in x]
        return fitting.poisson_slope(x, counts, rng=rng, n_resamples=999)

    cov = _coverage(estimate, b, 150)
    assert 0.89 <= cov <= 0.995, (
        f"coverage={cov}, but should be ≈ 0.95 [poisson_slope, 48 replicates]"
    )


def test_poisson_slope_handles_zero_counts() -> None:
    x = np.array([1.0, 2.0, 4.0])
    counts = [
        np.array([4.0, 3.0, 5.0, 4.0]),
        np.array([2.0, 1.0, 3.0, 2.0]),
        np.array([0.0, 1.0, 0.0, 1.0]),
    ]
    est = fitting.poisson_slope(x, counts, rng=np.random.default_rng(0), n_resamples=499)
    assert np.isfinite(est.value) and -2.0 < est.value < -0.5, (
        f"slope={est.value}, but should be ≈ -1.1 [zeros present]"
    )


def test_bootstrap_undefined_resamples_give_an_unbounded_interval() -> None:
    x = np.array([1.0, 2.0])
    counts = [np.array([3.0, 0.0, 0.0, 0.0]), np.array([1.0, 0.0, 0.0, 0.0])]
    est = fitting.loglog_slope(x, counts, rng=np.random.default_rng(0), n_resamples=499)
    assert est.lo == -np.inf and est.hi == np.inf, (
        f"ci={est.ci}, but should be (-inf, inf) [some resamples have mean 0]"
    )


def test_ratio_ci_known_ratio() -> None:
    rng = np.random.default_rng(3)
    nums = [rng.normal(2.0 * d, 0.05, 30) for d in (1.0, 2.0, 4.0)]
    est = fitting.ratio_ci(nums, [1.0, 2.0, 4.0], rng=rng)
    assert est.lo <= 2.0 <= est.hi and est.hi - est.lo < 0.05, (
        f"ratio={est}, but should be ≈ 2 with a narrow CI"
    )


def test_mean_ci_is_a_t_interval() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    est = fitting.mean_ci(a)
    half = 3.182446305284263 * a.std(ddof=1) / 2  # t(0.975, 3) · s / √4
    assert (
        est.value == 2.5
        and est.lo == pytest.approx(2.5 - half)
        and est.hi == pytest.approx(2.5 + half)
    ), f"{est}"


def test_mean_ci_constant_replicates_are_degenerate() -> None:
    assert fitting.mean_ci([0.3, 0.3, 0.3]) == (0.3, 0.3, 0.3)


def test_proportion_ci_all_successes_is_clopper_pearson() -> None:
    est = fitting.proportion_ci(50, 50)
    assert est.value == 1.0 and est.hi == 1.0, f"{est}"
    assert est.lo == pytest.approx(0.025 ** (1 / 50)), (
        f"lo={est.lo}, but should be 0.025^(1/50) [k = n = 50]"
    )


def test_mean_ci_needs_replicates() -> None:
    with pytest.raises(ValueError, match="replicates"):
        fitting.mean_ci([1.0])
