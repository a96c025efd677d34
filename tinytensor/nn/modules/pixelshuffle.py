"""``torch.nn.modules.pixelshuffle``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.upsampling import PixelShuffle, PixelUnshuffle

__all__ = [
    "PixelShuffle",
    "PixelUnshuffle",
]
