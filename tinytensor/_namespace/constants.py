"""The constant objects of the torch namespace: the numbers (``pi``, ``e``, ``inf``, ``nan``,
``newaxis``), the tensor layouts (``layout``; ``strided``, the one dense layout) and the memory
formats (``memory_format``; ``contiguous_format``, ``channels_last``, ...). All of them are
top-level names of ``tinytensor``.
"""

from __future__ import annotations

import math

from tinytensor.core.layout import (  # noqa: F401 - the memory formats, exported from here
    channels_last,
    channels_last_3d,
    contiguous_format,
    legacy_contiguous_format,
    memory_format,
    preserve_format,
)

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


strided = layout("strided")
