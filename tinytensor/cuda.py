"""``torch.cuda``'s questions, answered for a CPU-only library: no CUDA device is available.

A PyTorch program that asks ``cuda.is_available()`` gets False and takes its CPU branch.
Seeding calls are accepted and do nothing (as PyTorch does without a GPU); anything that needs
a device raises an error saying tinytensor computes on the CPU.
"""

from __future__ import annotations

from tinytensor.core.device import check_device


def is_available() -> bool:
    """False: tinytensor computes on the CPU only."""
    return False


def device_count() -> int:
    """0: no CUDA device is visible to tinytensor."""
    return 0


def is_initialized() -> bool:
    """False: there is no CUDA context to initialise."""
    return False


def manual_seed(seed) -> None:
    """Accepted and ignored, as PyTorch does when no GPU is present."""


def manual_seed_all(seed) -> None:
    """Accepted and ignored, as PyTorch does when no GPU is present."""


def empty_cache() -> None:
    """Nothing to free: no CUDA memory is ever allocated."""


def current_device() -> int:
    """Raise ``RuntimeError``: there is no current CUDA device (tinytensor computes on the CPU)."""
    check_device("cuda", "cuda.current_device()")
    return 0


def synchronize(device=None) -> None:
    """Raise ``RuntimeError``: there is no CUDA stream to wait for."""
    check_device("cuda", "cuda.synchronize()")


def get_device_name(device=None) -> str:
    """Raise ``RuntimeError``: there is no CUDA device to name."""
    check_device("cuda", "cuda.get_device_name()")
    return ""


def set_device(device) -> None:
    """Select the current CUDA device: ``"cpu"`` is accepted and does nothing; a CUDA device (or
    None) raises ``RuntimeError`` saying tinytensor computes on the CPU only."""
    check_device(device if device is not None else "cuda", "cuda.set_device()")
