"""Simulators: pure functions of a frozen params dataclass and an explicit seed.

``sim`` knows nothing of ``claims``. Modules:

* :mod:`sim.autoencoder` — the batched autoencoder of Lecomte et al. (tied weights by default,
  or untied encoder and decoder; ReLU, GeLU or linear output), closed-form gradients;
* :mod:`sim.metrics` — measurements on trained weights (polysemantic-neuron count, untied codes);
* :mod:`sim.balls_bins` — Monte Carlo of the static balls-and-bins collision model;
* :mod:`sim.reduced_ode` — the single-feature L1 flow: the paper's Euler and an exact fast solver;
* :mod:`sim.quadratic` — the quadratic toy model of Scherlis et al. and feature capacities.
"""

from ._validate import ParamError as ParamError
from ._validate import check_choice as check_choice
from ._validate import check_float as check_float
from ._validate import check_int as check_int

__all__ = ["ParamError", "check_choice", "check_float", "check_int"]
