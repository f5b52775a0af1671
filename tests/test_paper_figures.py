"""The paper's own numbers beside ours (claims/paper_figures.py): the agreement interval on
synthetic data with known answers (its formula, its coverage when both sides come from one
process, its power when they do not), the settings guard, each claim's hook on hand-made
measurements, and the report's rendering of agreements and disagreements."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from claims import paper_figures as pf
from claims._params import apply_overrides
from claims.catalog.collision_count import COLLISION_COUNT
from claims.catalog.kurtosis_sparsity import KURTOSIS_SPARSITY, Trajectory
from claims.catalog.l1_decay import L1_DECAY
from claims.report import build_report

from .test_report import TOY, assert_self_contained, validate


def _ref(value: float, replicates: int = 1, label: str = "x = 1", x: float = 1.0) -> pf.Reference:
    return pf.Reference("table", label, x, value, replicates, "[TEST]")


# -- the statistic -----------------------------------------------------------------------------


def test_interval_is_the_two_sample_t_interval_scaled_by_the_paper_value() -> None:
    ours = np.array([9.0, 10.0, 11.0, 10.0, 10.0])  # mean 10, sd √0.5
    (a,) = pf.compare([_ref(8.0, replicates=4)], [ours], quantity="q", confidence=0.95)
    half = stats.t.ppf(0.975, 4) * math.sqrt(0.5) * math.sqrt(1 / 5 + 1 / 4)
    assert a.ours == pytest.approx(10.0) and a.sd == pytest.approx(math.sqrt(0.5))
    assert a.ratio == pytest.approx(10 / 8), f"ratio {a.ratio}, expected ours/paper = 1.25"
    assert a.ci == pytest.approx(((10 - half) / 8, (10 + half) / 8)), f"interval {a.ci}"
    assert not a.agrees, (
        f"paper 8 lies {10 - 8:.1f} from our mean, beyond the half-width {half:.2f}"
    )
    (b,) = pf.compare([_ref(9.5, replicates=4)], [ours], quantity="q")
    assert b.agrees, f"paper 9.5 lies within {half:.2f} of our mean 10: interval {b.ci}"


def test_level_is_bonferroni_over_the_table() -> None:
    refs = [_ref(1.0, label=f"x = {i}") for i in range(5)]
    out = pf.compare(refs, [np.array([0.9, 1.1, 1.0])] * 5, quantity="q", confidence=0.95)
    assert [a.confidence for a in out] == pytest.approx([0.99] * 5), (
        "5 points at family-wise 0.95 -> 0.99 each"
    )


@pytest.mark.parametrize("k, r", [(16, 16), (8, 1), (24, 1)])
def test_same_process_agrees_at_the_stated_rate(k: int, r: int) -> None:
    """The paper's number a mean of r draws and ours k draws of one normal process: the point
    agrees in ≈ 95 % of 4000 synthetic data sets (binomial sd 0.34 %)."""
    rng = np.random.default_rng(1)
    agree = 0
    trials = 4000
    for _ in range(trials):
        paper = rng.normal(10.0, 2.0, r).mean()
        (a,) = pf.compare(
            [_ref(paper, r)], [rng.normal(10.0, 2.0, k)], quantity="q", confidence=0.95
        )
        agree += a.agrees
    assert 0.935 <= agree / trials <= 0.965, (
        f"k={k}, r={r}: agreed in {agree / trials:.3f}, expected 0.95"
    )


def test_a_different_process_is_told_apart() -> None:
    """A 30 % shift with 16 replicates a side and a 10 % coefficient of variation: flagged nearly
    always."""
    rng = np.random.default_rng(2)
    differs = sum(
        not pf.compare(
            [_ref(rng.normal(13.0, 1.0, 16).mean(), 16)], [rng.normal(10.0, 1.0, 16)], quantity="q"
        )[0].agrees
        for _ in range(500)
    )
    assert differs >= 495, f"a 30 % shift was flagged in {differs}/500 data sets, expected >= 495"


@pytest.mark.parametrize(
    "refs, ours, message",
    [
        ([_ref(1.0)], [], "1 references but 0"),
        ([_ref(1.0)], [[1.0]], ">= 2 finite replicates"),
        ([_ref(1.0)], [[1.0, math.nan]], ">= 2 finite replicates"),
        ([_ref(0.0)], [[1.0, 2.0]], "must be > 0"),
    ],
)
def test_bad_input_is_named(refs: list[pf.Reference], ours: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pf.compare(refs, ours, quantity="q")


def test_confidence_out_of_range_is_named() -> None:
    with pytest.raises(ValueError, match="confidence must be in"):
        pf.compare([_ref(1.0)], [[1.0, 2.0]], quantity="q", confidence=1.0)


# -- the settings guard and each hook ----------------------------------------------------------


def test_only_the_papers_settings_get_its_numbers() -> None:
    paper = COLLISION_COUNT.params["paper"]
    assert pf.matches(paper, pf.COLLISIONS_N256_SETTINGS), (
        "the paper scale is the paper code's settings"
    )
    for change in (
        {"train.model.n": "128"},
        {"train.optimiser.lr": "2e-3"},
        {"train.optimiser.kind": "sgd"},
        {"train.optimiser.weight_decay": "0"},
        {"hi": "1.5"},
    ):
        moved = apply_overrides(paper, change)
        assert not pf.matches(moved, pf.COLLISIONS_N256_SETTINGS), (
            f"{change} is not the paper's setting"
        )
    more = apply_overrides(paper, {"train.instances": "64"})
    assert pf.matches(more, pf.COLLISIONS_N256_SETTINGS), (
        "more instances of ours: still the paper's setting"
    )
    for scale in ("smoke", "standard"):
        assert not pf.matches(COLLISION_COUNT.params[scale], pf.COLLISIONS_N256_SETTINGS), scale


def test_collision_hook_compares_the_grid_points_the_figure_has() -> None:
    p = dataclasses.replace(COLLISION_COUNT.params["paper"], m=(256, 300, 1024))
    rng = np.random.default_rng(0)
    meas = SimpleNamespace(
        m=np.array([256.0, 300.0, 1024.0]),
        counts=[rng.poisson(72, 16), rng.poisson(20, 16), rng.poisson(30, 16)],
    )
    out = pf.collisions(meas, p)
    assert [a.reference.label for a in out] == ["m = 256", "m = 1024"], (
        "m = 300 is not on the figure"
    )
    assert [a.reference.value for a in out] == [72, 10]
    assert out[0].agrees and not out[1].agrees, [a.explain() for a in out]
    assert pf.collisions(meas, apply_overrides(p, {"train.optimiser.steps": "5000"})) == [], (
        "other steps: no comparison"
    )


def _trajectory(
    label: str, steps: np.ndarray, level: np.ndarray, seeds: int, rng: np.random.Generator
) -> Trajectory:
    fourth = level[:, None] + rng.normal(0.0, 0.01, (steps.size, seeds))
    return Trajectory(label, steps * 0.02, fourth, fourth, 1.0)


def test_fourth_norm_hook_reads_the_recorded_table_columns() -> None:
    p = KURTOSIS_SPARSITY.params["paper"]
    assert set(pf.FOURTH_NORM_STEPS) <= set(p.train.record_steps), (
        "the paper scale records the table's steps"
    )
    rng = np.random.default_rng(0)
    steps = np.array([0, 500, 1_000, 3_000, 10_000, 30_000, 100_000])
    flat = np.full(steps.size, 0.17)
    noises = {
        name: _trajectory(name, steps, flat, 8, rng)
        for name in ("none", "bernoulli", "uniform", "gaussian", "laplace")
    }
    rise = np.array(
        [0.16, 0.18, 0.21, 0.32, 0.69, 0.79, 0.77]
    )  # the paper's Bernoulli σ = 0.15 row
    noises["bernoulli"] = _trajectory("bernoulli", steps, rise, 8, rng)
    meas = SimpleNamespace(
        noises=noises, grid={0.15: noises["bernoulli"]}, gaussian={0.07: noises["gaussian"]}
    )
    out = pf.fourth_norm(meas, p)
    tables = {a.reference.table for a in out}
    assert len(out) == 6 * len(tables) and len(tables) == 4, (
        "6 columns (step 0 + 5) for the rows the paper has: none, Bernoulli and Gaussian at 0.15, "
        f"Gaussian at 0.07 (uniform and Laplace are not in its table): {sorted(tables)}"
    )
    assert not any(a.reference.label == "step 500" for a in out), "step 500 is not a table column"
    bern = [a for a in out if a.reference.table.startswith("mean ‖W_i‖₄⁴, bernoulli σ = 0.15")]
    assert [a.reference.value for a in bern] == [0.16, 0.21, 0.32, 0.69, 0.79, 0.77]
    assert all(a.agrees for a in bern), [a.explain() for a in bern]
    gauss = [a for a in out if "gaussian σ = 0.15" in a.reference.table]
    assert all(a.agrees for a in gauss[1:]), "a flat 0.17 agrees with the paper's flat 0.16-0.18"
    assert pf.fourth_norm(meas, KURTOSIS_SPARSITY.params["standard"]) == [], (
        "standard is not the paper's setting"
    )
    moved = dataclasses.replace(p, train=p.train.replace(optimiser={"lr": 0.01}))
    assert pf.fourth_norm(meas, moved) == [], (
        "another train.optimiser.lr is not the paper's setting"
    )


def test_l1_hook_compares_both_rows_of_the_trajectory_table() -> None:
    p = L1_DECAY.params["paper"]
    support = np.array(pf.L1_TRAJECTORY["support"], float)
    l1 = np.array(pf.L1_TRAJECTORY["l1"])
    rng = np.random.default_rng(0)
    meas = SimpleNamespace(
        support_table=support * rng.normal(1, 0.01, (24, 6)),
        l1_table=l1 * rng.normal(1.3, 0.01, (24, 6)),
    )
    out = pf.l1_trajectory(meas, p)
    assert len(out) == 12, f"6 times × (m′, ‖w‖₁), got {len(out)}"
    assert all(a.agrees for a in out[:6]), [a.explain() for a in out[:6]]
    assert not any(a.agrees for a in out[6:]), (
        "‖w‖₁ 30 % above the paper's must differ at every time"
    )
    assert pf.l1_trajectory(meas, L1_DECAY.params["standard"]) == []


# -- through Claim.run and the report ------------------------------------------------------------


def _with_paper(values: list[float]) -> Any:
    def hook(meas: Any, params: Any) -> list[pf.Agreement]:
        refs = [
            pf.Reference("toy table", f"x = {i + 1}", float(i + 1), v, 4, "[TEST]")
            for i, v in enumerate(values)
        ]
        return pf.compare(refs, [meas.x[:50] + 1.0] * len(values), quantity="toy mean + 1")

    return dataclasses.replace(TOY, paper_figures=hook)


def test_report_shows_agreements_and_states_disagreements(tmp_path: Path) -> None:
    report = build_report([_with_paper([1.0, 1.5])], tmp_path / "out", scale="standard", seed=0)
    (r,) = report.results
    assert [a.agrees for a in r.paper_figures] == [True, False], [
        a.explain() for a in r.paper_figures
    ]
    out = tmp_path / "out"
    doc = json.loads((out / "claims.json").read_text("utf-8"))
    validate(doc)
    entries = doc["claims"][0]["paper_figures"]
    assert [e["agrees"] for e in entries] == [True, False] and entries[1]["paper"] == 1.5
    md = (out / "claims.md").read_text("utf-8")
    assert "## The paper's figures, reproduced" in md and "**1/2**" in md
    assert "Where our simulation differs from the paper's number (findings)" in md
    assert "| [toy](#toy) | toy table | x = 2 | 1.5 |" in md, (
        "the disagreement is listed with its claim"
    )
    html = (out / "claims.html").read_text("utf-8")
    assert_self_contained(html)
    assert (
        "The paper&#39;s figures, reproduced" in html or "The paper's figures, reproduced" in html
    )
    assert (out / "figures" / "toy-paper.png").is_file(), "the overlay figure is drawn"
    assert report.ok, "agreement is a comparison, never part of the verdict"


def test_no_paper_numbers_no_section(tmp_path: Path) -> None:
    build_report([TOY], tmp_path / "out", scale="standard", seed=0)
    md = (tmp_path / "out" / "claims.md").read_text("utf-8")
    assert "The paper's figures" not in md
    assert (
        json.loads((tmp_path / "out" / "claims.json").read_text("utf-8"))["claims"][0][
            "paper_figures"
        ]
        == []
    )


@given(
    values=st.lists(st.floats(0.0, 1e3, allow_nan=False), min_size=2, max_size=40),
    paper=st.floats(1e-3, 1e3),
    r=st.integers(1, 32),
)
def test_interval_holds_the_ratio_and_widens_with_confidence(
    values: list[float], paper: float, r: int
) -> None:
    (lo95,) = pf.compare([_ref(paper, r)], [values], quantity="q", confidence=0.95)
    (lo99,) = pf.compare([_ref(paper, r)], [values], quantity="q", confidence=0.99)
    assert lo95.ci[0] <= lo95.ratio * (1 + 1e-12) and lo95.ratio <= lo95.ci[1] * (1 + 1e-12), (
        lo95.explain()
    )
    assert lo99.ci[0] <= lo95.ci[0] + 1e-12 and lo99.ci[1] >= lo95.ci[1] - 1e-12, (
        "99 % is no narrower than 95 %"
    )
    assert lo95.ci[0] >= 0.0, "the interval stops at 0: every quantity compared is non-negative"


def test_a_failing_comparison_never_changes_the_verdict(tmp_path: Path) -> None:
    def broken(meas: Any, params: Any) -> list[pf.Agreement]:
        raise ValueError("no replicates")

    claim = dataclasses.replace(TOY, paper_figures=broken)
    r = claim.run("standard", 0)
    assert r.status == "pass" and r.meets_expectation, r.explain()
    assert r.paper_figures == () and r.paper_figures_error == "ValueError: no replicates"
    report = build_report([claim], tmp_path / "out", scale="standard", seed=0)
    assert not report.ok, "a broken comparison must not pass silently: the report is not ok"
    doc = json.loads((tmp_path / "out" / "claims.json").read_text("utf-8"))
    validate(doc)
    assert doc["claims"][0]["paper_figures_error"] == "ValueError: no replicates"
    assert "comparison with the paper&#39;s numbers failed" in (
        tmp_path / "out" / "claims.html"
    ).read_text("utf-8") or "comparison with the paper's numbers failed" in (
        tmp_path / "out" / "claims.html"
    ).read_text("utf-8")
