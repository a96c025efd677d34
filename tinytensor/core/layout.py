"""Memory formats: the ``memory_format`` objects (``contiguous_format``, ``channels_last``,
``preserve_format``...) and the dim order, outermost to innermost, that each lays a new array
out in. Arrays are C-ordered in that order and seen through the inverse permutation, so their
strides are PyTorch's for the same format.
"""

from __future__ import annotations

import numpy as np


class memory_format:  # noqa: N801 - PyTorch's name
    """A memory format, as ``memory_format=`` takes it (``tinytensor.channels_last``...)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self) -> str:
        return f"tinytensor.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
legacy_contiguous_format = memory_format("legacy_contiguous_format")

# The channels-last formats: the rank they need and the dim order that is C-contiguous in them.
CHANNELS_LAST = {"channels_last": (4, (0, 2, 3, 1)), "channels_last_3d": (5, (0, 2, 3, 4, 1))}


def format_name(fmt, name):
    """The name of a memory format (``tinytensor.channels_last`` -> ``"channels_last"``), or
    the TypeError PyTorch raises for anything else; ``name`` is the op, for the message."""
    if not isinstance(fmt, memory_format):
        raise TypeError(
            f"{name}(): memory_format must be a memory format (tinytensor.contiguous_format, "
            f"channels_last, channels_last_3d or preserve_format), got {fmt!r}"
        )
    return fmt.name


def stride_order(a) -> tuple:
    """The dims of array ``a`` from outermost to innermost in memory, as PyTorch orders them
    for a ``preserve_format`` result: by stride, a larger size first among equal strides, and
    a broadcast (zero-stride) dim left where C order puts it (its dense-stride rule)."""
    shape, strides = a.shape, [abs(s) for s in a.strides]

    def after(d0, d1):  # 1: d0 lies outside d1, -1: inside, 0: either
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return 1 if s0 > s1 else -1
        return 1 if shape[d0] > shape[d1] else 0

    inner = list(range(len(shape) - 1, -1, -1))  # innermost first; an insertion sort
    for i in range(1, len(inner)):
        at = i
        for j in range(i - 1, -1, -1):
            side = after(inner[j], inner[at])
            if side > 0:
                inner[j], inner[at] = inner[at], inner[j]
                at = j
            elif side < 0:
                break
    return tuple(reversed(inner))


def format_order(a, fmt, name) -> tuple:
    """The dim order (outermost first) of a new array shaped like ``a`` in memory format
    ``fmt`` (an object; None is ``preserve_format``): ``a``'s own order for preserve, C order
    for contiguous, the channels-last orders (which need rank 4 or 5) for those."""
    fmt = "preserve_format" if fmt is None else format_name(fmt, name)
    if fmt == "preserve_format":
        return stride_order(a)
    if fmt in CHANNELS_LAST:
        rank, order = CHANNELS_LAST[fmt]
        if a.ndim != rank:
            raise RuntimeError(
                f"{name}: required rank {rank} tensor to use {fmt} format, got a tensor of "
                f"shape {tuple(a.shape)}"
            )
        return order
    return tuple(range(a.ndim))


def laid_out(make, shape, order):
    """``make(shape)`` (an array maker, e.g. ``lambda s: np.zeros(s, dtype)``) laid out in dim
    ``order``: C order for the identity, else a C array of the permuted shape seen back."""
    if order == tuple(range(len(shape))):
        return make(tuple(shape))
    back = tuple(int(i) for i in np.argsort(order))
    return make(tuple(shape[i] for i in order)).transpose(back)
