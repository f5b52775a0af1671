"""The claims' figures: one module per claim, ``claims/figures/<module>.py``, named as the claim's
catalogue module, whose ``plot(result, outdir)`` draws the report's figures of that claim.

A catalogue module says which one it uses with one line, ``plot=figures.Figure("<module>")``: the
figure module is imported when a figure is drawn, never when the claim is, so a claim module reads
as its science and importing it (or running it) loads no drawing code. A figure module may import
from its claim's module (the measurements' types, the helpers its fits use too); a claim module
never imports its figure module.

This package is presentation only (``claims._cache.PRESENTATION_ONLY``): editing a figure keeps
every stored simulation.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Figure"]


@dataclass(frozen=True)
class Figure:
    """A claim's ``plot``: ``claims.figures.<module>.plot``, imported on the first call.

    The module must exist when the claim is built (a misspelt name makes the claim broken, with
    this reason, instead of failing at the report's end); whether it defines ``plot`` is known
    only when it is imported, when drawing."""

    module: str  # the figure module's name in this package (the claim's catalogue module name)

    def __post_init__(self) -> None:
        if not self.module.isidentifier() or importlib.util.find_spec(self.name) is None:
            raise ValueError(
                f"figure module {self.name!r} not found: the claim's plot is "
                "claims/figures/<module>.py, named as its catalogue module"
            )

    @property
    def name(self) -> str:
        """The figure module's full name (``claims.figures.<module>``)."""
        return f"{__name__}.{self.module}"

    def __call__(self, result: Any, outdir: Path) -> Sequence[Path]:
        plot = importlib.import_module(self.name).plot
        return plot(result, outdir)  # type: ignore[no-any-return]
