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

# PyTorch's other names here: given from tinytensor.nn once it has them, else the reason.
_PYTORCH_ALSO = ("SyncBatchNorm",)


def __getattr__(name):
    return not_planned(__name__, name, _PYTORCH_ALSO)
