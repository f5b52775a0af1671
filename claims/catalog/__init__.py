"""One module per claim, named after its id (``collision-count`` -> ``collision_count.py``).

Each module defines ``CLAIM``: the claim's science (params, derivation, simulation, fits,
controls). Its figures live in ``claims/figures/`` under the same module name. A module whose
name starts with ``_`` is no claim: it holds what several claims share (``_shared``: the
conventions every claim writes the same way; ``_init_winner``: the init → winner picture that
``init-diagonal`` and ``architectures`` judge).
"""
