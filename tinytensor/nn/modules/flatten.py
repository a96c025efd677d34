"""``torch.nn.modules.flatten``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.flatten import Flatten, Unflatten

__all__ = [
    "Flatten",
    "Unflatten",
]
