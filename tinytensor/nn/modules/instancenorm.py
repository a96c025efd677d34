"""``torch.nn.modules.instancenorm``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.lazy import LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d
from tinytensor.nn.normalization import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = [
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
]
