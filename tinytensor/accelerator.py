"""``torch.accelerator``: the current accelerator, which for tinytensor is none (CPU only)."""

from __future__ import annotations


def is_available() -> bool:
    """False: tinytensor computes on the CPU only."""
    return False


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator (PyTorch returns None too when none is present)."""
    return None


def device_count() -> int:
    """0: there is no accelerator."""
    return 0
