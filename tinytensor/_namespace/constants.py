"""The constant objects of the torch namespace: the numbers (``pi``, ``e``, ``inf``, ``nan``,
``newaxis``), the tensor layouts (``layout``; ``strided``, the one dense layout) and the memory
formats (``memory_format``; ``contiguous_format``, ``channels_last``, ...). All of them are
top-level names of ``tinytensor``.
"""

from __future__ import annotations

import math

e = math.e
pi = math.pi
inf = math.inf
nan = math.nan
newaxis = None


class layout:
    """A tensor layout; tinytensor has one, ``strided`` (dense)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self) -> str:
        return f"tinytensor.{self.name}"


class memory_format:
    """A memory format; accepted by ``memory_format=`` and otherwise not kept (contiguous)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self) -> str:
        return f"tinytensor.{self.name}"


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
legacy_contiguous_format = memory_format("legacy_contiguous_format")
