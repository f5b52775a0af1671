"""The parameter tree and the ``--set`` overrides: dotted paths, plain keys, scoping, ambiguity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pytest

from claims import Overrides
from claims._params import apply_overrides, leaves
from sim import ParamError, check_float, check_int


@dataclass(frozen=True)
class Trainer:
    lr: float = 0.1  # learning rate
    steps: int = 100  # steps
    seed: int = 0  # set by the run
    m: int = 4  # width

    def __post_init__(self) -> None:
        check_float("lr", self.lr, 0.0, lo_open=True)
        check_int("steps", self.steps, 1)


@dataclass(frozen=True)
class Other:
    lr: float = 0.5  # the step of another model (same name, other meaning)


@dataclass(frozen=True)
class OneArm:
    GRID_SET: ClassVar[tuple[str, ...]] = ("train.m",)
    train: Trainer = Trainer(
        lr=0.2,  # this claim's own reason for 0.2
    )
    grid: tuple[int, ...] = (1, 2)  # the grid


@dataclass(frozen=True)
class TwoArms:
    sgd: Trainer = field(default_factory=Trainer)  # the SGD arm
    adamw: Trainer = field(default_factory=lambda: Trainer(lr=1e-3))  # the AdamW arm


@dataclass(frozen=True)
class Quadratic:
    train: Other = field(default_factory=Other)  # a different trainer under the same field name


@dataclass(frozen=True)
class _C:
    id: str
    params: dict


def _claim(cid: str, p: object) -> _C:
    return _C(cid, dict.fromkeys(("smoke", "standard", "paper"), p))


ONE, TWO, QUAD = (
    _claim("one-arm", OneArm()),
    _claim("two-arms", TwoArms()),
    _claim("quad", Quadratic()),
)


def test_leaves_are_dotted_paths_with_comments_and_settability() -> None:
    rows = {leaf.path: leaf for leaf in leaves(OneArm())}
    assert list(rows) == ["train.lr", "train.steps", "train.seed", "train.m", "grid"], list(rows)
    assert rows["train.lr"].comment == "this claim's own reason for 0.2 — learning rate", rows[
        "train.lr"
    ]
    assert (
        not rows["train.seed"].settable
        and not rows["train.m"].settable
        and rows["train.lr"].settable
    )


def test_a_plain_key_resolves_when_it_means_one_thing() -> None:
    o = Overrides.parse(["lr=0.05", "grid=3,4"], [ONE])
    assert o.for_claim("one-arm") == {"train.lr": "0.05", "grid": "3,4"}, o
    p = apply_overrides(OneArm(), o.for_claim("one-arm"))
    assert p.train.lr == 0.05 and p.grid == (3, 4) and p.train.steps == 100, p


def test_a_plain_key_with_several_meanings_is_an_error_naming_every_path() -> None:
    with pytest.raises(ParamError) as err:
        Overrides.parse(["lr=0.05"], [ONE, TWO, QUAD])
    text = str(err.value)
    for path in ("one-arm.train.lr", "two-arms.sgd.lr", "two-arms.adamw.lr", "quad.train.lr"):
        assert path in text, f"{path!r} missing from the error: {text}"
    with pytest.raises(
        ParamError, match=r"quad\.train\.lr"
    ):  # same path, different dataclass: different meaning
        Overrides.parse(["train.lr=0.05"], [ONE, QUAD])


def test_a_dotted_path_reaches_exactly_the_arm_it_names() -> None:
    o = Overrides.parse(["adamw.lr=0.01"], [TWO])
    p = apply_overrides(TwoArms(), o.for_claim("two-arms"))
    assert p.adamw.lr == 0.01 and p.sgd.lr == 0.1, p


def test_a_scoped_path_reaches_one_claim_only_and_wins() -> None:
    other = _claim("one-b", OneArm())
    o = Overrides.parse(["train.steps=7", "one-arm.train.steps=9"], [ONE, other])
    assert o.for_claim("one-arm") == {"train.steps": "9"} and o.for_claim("one-b") == {
        "train.steps": "7"
    }, o
    assert o.resolved() == {"one-arm.train.steps": "9", "one-b.train.steps": "7"}, o.resolved()
    with pytest.raises(ParamError, match=r"two-arms\.sgd\.steps"):  # ambiguous inside one claim
        Overrides.parse(["steps=7"], [TWO])


def test_unknown_unsettable_and_bad_values_name_the_full_path() -> None:
    with pytest.raises(ParamError, match="nope"):
        Overrides.parse(["nope=1"], [ONE])
    with pytest.raises(ParamError, match="--seed"):
        Overrides.parse(["one-arm.train.seed=3"], [ONE])
    with pytest.raises(ParamError, match="grid sets it"):
        Overrides.parse(["train.m=3"], [ONE])
    with pytest.raises(ParamError, match=r"train\.lr=-1"):
        apply_overrides(OneArm(), {"train.lr": "-1"})
    with pytest.raises(ParamError, match="claims run"):
        Overrides.parse(["no-such-claim.x=1"], [ONE])
    with pytest.raises(ParamError, match="key=value"):
        Overrides.parse(["lr"], [ONE])
