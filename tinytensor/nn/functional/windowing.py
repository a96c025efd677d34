"""The size arguments of windowed ops (convolution, pooling, padding layers): an int or tuple
made one int per spatial axis, the output size of a window sweep, and ``padding='same'``."""

from __future__ import annotations

import numpy as np

from tinytensor.ops.pad import pad


def ntuple(v, n, name, who):
    """``3`` -> ``(3,) * n``; a sequence of n ints stays; anything else is a clear error."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    if isinstance(v, (tuple, list)) and len(v) == 1 and n != 1:
        return ntuple(v[0], n, name, who)
    if (
        isinstance(v, (tuple, list))
        and len(v) == n
        and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in v)
    ):
        return tuple(int(x) for x in v)
    if isinstance(v, (tuple, list)) and all(
        isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in v
    ):  # ints, but not n of them: PyTorch's RuntimeError
        raise RuntimeError(
            f"{who}: expected {name} to be a single integer value or a list of {n} values to "
            f"match the {n}-D operation, but got {name}={list(v)}"
        )
    raise TypeError(f"{who}: {name} must be an int or a tuple of {n} ints, got {v!r}")


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def same_padding(kernel, dilation):
    """(low, high) zero padding per spatial axis that keeps the size at stride 1 ('same')."""
    total = [dd * (kk - 1) for kk, dd in zip(kernel, dilation)]
    return [(t // 2, t - t // 2) for t in total]


def string_padding(x, padding, stride, dilation, k, who):
    nd = len(k)
    if padding == "valid":
        return x, 0
    if padding != "same":  # the functional form raises PyTorch's RuntimeError (modules: ValueError)
        raise RuntimeError(
            f"{who}: invalid padding string {padding!r}; padding must be an int, a tuple, "
            "'valid' or 'same'"
        )
    if set(ntuple(stride, nd, "stride", who)) != {1}:
        raise RuntimeError(f"{who}: padding='same' is not supported for strided convolutions")
    lohi = same_padding(k, ntuple(dilation, nd, "dilation", who))
    if all(lo == hi for lo, hi in lohi):
        return x, tuple(lo for lo, _ in lohi)
    # Odd total padding: the extra row/column goes at the end, as in PyTorch.
    return pad(x, [v for lo, hi in reversed(lohi) for v in (lo, hi)]), 0
