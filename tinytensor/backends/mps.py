"""``torch.backends.mps``: Apple's Metal backend, not available in tinytensor."""


def is_available() -> bool:
    """False: Apple's Metal backend is not available in tinytensor."""
    return False


def is_built() -> bool:
    """False: tinytensor is not built with Metal support."""
    return False
