"""One module per claim, named after its id (``collision-count`` -> ``collision_count.py``).

Each module defines ``CLAIM``: the claim's science (params, derivation, simulation, fits,
controls). Its figures live in ``claims/figures/`` under the same module name.
"""
