"""Let a training loop reuse its large buffers instead of re-faulting them in (glibc only).

Every training step allocates and frees the same large arrays: activations, im2col matrices,
gradients. By default glibc serves blocks above a dynamic threshold with fresh ``mmap``s and
hands freed memory at the top of the heap back to the OS, so each step pays page faults to
zero the same memory again; for the small MNIST CNN that was ~40% of the step. Raising the
mmap threshold to glibc's 32 MiB maximum and the trim threshold to 256 MiB lets freed blocks
be reused.

It is opt-in: importing tinytensor never changes its host process. ``tinytensor train`` and
the benchmarks call ``tune_allocator()``; a training script may call it too. It is skipped when
``TINYTENSOR_MALLOC_TUNING=0``, when the user set ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` themselves, or when the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024

_done = []


def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds once for this process (a training loop's buffers
    are then reused, not re-faulted); returns True if glibc accepted them."""
    if _done:
        return _done[0]
    ok = False
    env = os.environ
    if (
        sys.platform.startswith("linux")
        and env.get("TINYTENSOR_MALLOC_TUNING", "1") != "0"
        and "MALLOC_MMAP_THRESHOLD_" not in env
        and "MALLOC_TRIM_THRESHOLD_" not in env
    ):
        try:
            libc = ctypes.CDLL("libc.so.6")
            mallopt = libc.mallopt
            mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
            ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
                mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
            )
        except (OSError, AttributeError):  # not glibc (musl, ...): leave the allocator alone
            ok = False
    _done.append(ok)
    return ok
