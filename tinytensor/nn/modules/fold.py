"""``torch.nn.modules.fold``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.fold import Fold, Unfold

__all__ = [
    "Fold",
    "Unfold",
]
