"""One module per claim (or family of claims); each defines ``CLAIMS: tuple[Claim, ...]``."""
