"""Where libstdc++'s ``std::nth_element`` leaves things when every comparison is false: what
PyTorch's CPU kernels return for rows whose elements all compare unordered (NaNs), which no
stable sort reproduces."""

from __future__ import annotations

import numpy as np


def front_of_unordered(n):
    """The index ``std::nth_element(first, first, last, comp)`` leaves at the front of the
    indices 0..n-1 when ``comp`` is always false (PyTorch 2.13's ``nanmedian(dim)`` of a row of
    ``n`` NaNs asks for position 0 so): 0, 0, 0, 2, 2, 3, 5, ... for n = 1, 2, 3, ...

    Its introselect moves the middle element to the front (the median of three, as all tie),
    then partitions the rest, every comparison false, by swapping its two ends inwards (a
    reversal) until they cross, and keeps the front part; at most 3 left, an insertion sort
    moves nothing. Each round halves the part, so libstdc++'s depth limit is never reached."""
    if n <= 3:
        return 0
    idx = np.arange(n)
    last = n
    while last > 3:
        mid = last // 2
        idx[0], idx[mid] = idx[mid], idx[0]
        idx[1:last] = idx[1:last][::-1].copy()
        last = 1 + (last - 1) // 2  # where the partition's two ends cross
    return int(idx[0])
