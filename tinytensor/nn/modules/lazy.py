"""``torch.nn.modules.lazy``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.lazy import LazyModuleMixin

__all__ = [
    "LazyModuleMixin",
]
