"""``torch.nn.modules.channelshuffle``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.activation import ChannelShuffle

__all__ = [
    "ChannelShuffle",
]
