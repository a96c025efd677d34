"""``Size``: the type of ``tensor.shape``, a tuple of ints as in PyTorch."""

from __future__ import annotations

import math


class Size(tuple):
    """A tensor's shape: a tuple of ints with ``numel()``; prints as ``tinytensor.Size([2, 3])``."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        sizes = tuple(sizes)
        for s in sizes:
            if not hasattr(s, "__index__"):
                raise TypeError(
                    f"Size: expected a sequence of ints, got an element of type {type(s).__name__}"
                )
        return super().__new__(cls, [s.__index__() for s in sizes])

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)

    def __repr__(self) -> str:
        return f"tinytensor.Size({list(self)})"

    def __getitem__(self, item):
        out = super().__getitem__(item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


_new = tuple.__new__


def shape_of(array) -> Size:
    """``array.shape`` as a Size, without re-checking NumPy's ints (the hot path)."""
    return _new(Size, array.shape)
