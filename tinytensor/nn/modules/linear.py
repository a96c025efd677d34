"""``torch.nn.modules.linear``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.lazy import LazyLinear
from tinytensor.nn.linear import Bilinear, Identity, Linear

__all__ = [
    "Bilinear",
    "Identity",
    "LazyLinear",
    "Linear",
]
