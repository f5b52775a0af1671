"""Symbolic derivations (sympy only): each module derives its expressions from the model and
exposes numeric predictions. ``theory`` knows nothing of ``sim`` or ``claims``."""
