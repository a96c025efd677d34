"""``--threads``: how many threads NumPy's BLAS may use while a command runs."""

from __future__ import annotations

import contextlib
import os

from tinytensor.cli.rundir import UsageError

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def blas_threads(n):
    """Limit BLAS to ``n`` threads (default 1 unless the environment already chose)."""
    if n is None and any(v in os.environ for v in _THREAD_VARS):
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if n is not None:
            raise UsageError(
                "--threads needs threadpoolctl: pip install threadpoolctl (it comes with "
                "pip install -e \".[examples]\" in a clone of tinytensor), or set OMP_NUM_THREADS "
                "before starting"
            ) from None
        yield  # without it BLAS keeps its own default
        return
    with threadpool_limits(limits=n or 1, user_api="blas"):
        yield
