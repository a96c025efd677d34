"""``torch.backends.mps``: Apple's Metal backend, not available in tinytensor."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
