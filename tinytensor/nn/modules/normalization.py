"""``torch.nn.modules.normalization``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.modules._missing import not_planned
from tinytensor.nn.normalization import GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm

__all__ = [
    "LocalResponseNorm",
    "LayerNorm",
    "GroupNorm",
    "RMSNorm",
]

# PyTorch's other names here: given from tinytensor.nn once it has them, else the reason.
_PYTORCH_ALSO = ("CrossMapLRN2d",)


def __getattr__(name):
    return not_planned(__name__, name, _PYTORCH_ALSO)
