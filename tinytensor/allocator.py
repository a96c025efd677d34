"""Let a training loop reuse its large buffers instead of re-faulting them in (glibc only).

Every training step allocates and frees the same large arrays: activations, im2col matrices,
gradients. By default glibc serves blocks above a dynamic threshold with fresh ``mmap``s and
hands freed memory at the top of the heap back to the OS, so each step pays page faults to
zero the same memory again: for a small MNIST CNN (batch 64, 16 and 32 channels) about 3,000
minor faults and a quarter of the step. Raising the mmap threshold to glibc's 32 MiB maximum and
the trim threshold to 256 MiB lets freed blocks be reused (0 faults per step).

When: importing tinytensor changes nothing. The first backward pass of the process (the point
where a program shows it trains) calls ``tune_allocator()`` once; a program may call it earlier
itself. A process that only runs inference is never tuned. The cost of the tuning is memory kept
for reuse: up to 256 MiB freed at the top of the heap stays with the process instead of going
back to the OS (``malloc_trim`` from ctypes returns it if needed).

It is skipped, and the allocator left exactly as it was, when ``TINYTENSOR_MALLOC_TUNING=0``
is set, when the user configured these thresholds themselves (any of ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_TOP_PAD_``, ``MALLOC_MMAP_MAX_``, or the matching
``glibc.malloc.*`` entries of ``GLIBC_TUNABLES``), or when the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024

# The user's own settings of what tune_allocator changes: any of them and it stays out.
USER_VARIABLES = (
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_TOP_PAD_",
    "MALLOC_MMAP_MAX_",
)
USER_TUNABLES = (
    "glibc.malloc.mmap_threshold",
    "glibc.malloc.trim_threshold",
    "glibc.malloc.top_pad",
    "glibc.malloc.mmap_max",
)

_done = []


def user_configured(env=None) -> bool:
    """True if the environment turns the tuning off (``TINYTENSOR_MALLOC_TUNING=0``) or sets
    glibc's thresholds itself (``MALLOC_*_`` variables or ``GLIBC_TUNABLES``)."""
    env = os.environ if env is None else env
    if env.get("TINYTENSOR_MALLOC_TUNING", "1").strip() == "0":
        return True
    if any(v in env for v in USER_VARIABLES):
        return True
    tunables = env.get("GLIBC_TUNABLES", "")
    return any(t in tunables for t in USER_TUNABLES)


def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds once for this process (a training loop's buffers
    are then reused, not re-faulted); returns True if glibc accepted them.

    The autograd engine calls it at the process's first backward pass, so a training script
    gets it without asking; calling it again does nothing and returns the first answer.
    """
    if _done:
        return _done[0]
    ok = False
    if sys.platform.startswith("linux") and not user_configured():
        try:
            libc = ctypes.CDLL("libc.so.6")
            if hasattr(libc, "gnu_get_libc_version"):  # glibc, not musl's compatible soname
                mallopt = libc.mallopt
                mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
                ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
                    mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
                )
        except (OSError, AttributeError):  # no libc.so.6 or no mallopt: leave the allocator alone
            ok = False
    _done.append(ok)
    return ok
