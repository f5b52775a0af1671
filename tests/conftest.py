"""Hypothesis profiles for the property tests.

* ``ci`` (default): derandomized, few examples, no deadline — fast and reproducible in every CI run;
* ``thorough``: many random examples, wider hyperparameter ranges (``tests/_strategies.py``).

Select with ``POLYCLAIMS_PROFILE=thorough make test`` or ``pytest --hypothesis-profile thorough``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=12,
    derandomize=True,  # the same examples every run: a CI failure reproduces locally
    deadline=None,  # simulations are slow by design
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile(os.environ.get("POLYCLAIMS_PROFILE", "ci"))
