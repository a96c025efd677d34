"""``torch.nn.modules.batchnorm``'s names, for code and pickles that import them
from there."""

from __future__ import annotations

from tinytensor.nn.lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d
from tinytensor.nn.modules._missing import not_planned
from tinytensor.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d

__all__ = [
    "BatchNorm1d",
    "LazyBatchNorm1d",
    "BatchNorm2d",
    "LazyBatchNorm2d",
    "BatchNorm3d",
    "LazyBatchNorm3d",
]


def __getattr__(name):
    return not_planned(__name__, name)
