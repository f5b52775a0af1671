"""One module per claim, named after its id (``collision-count`` -> ``collision_count.py``).

Each module defines ``CLAIM``.
"""
