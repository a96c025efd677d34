"""Padding layers ``{Zero,Constant,Reflection,Replication,Circular}Pad{1,2,3}d``: each stores
its (left, right[, top, bottom[, front, back]]) widths as PyTorch does and calls ``F.pad``.
Negative widths crop."""

from __future__ import annotations

from tinytensor.nn.functional.windowing import ntuple
from tinytensor.nn.module import Module
from tinytensor.ops.pad import pad


class _PadNd(Module):
    mode = "constant"
    nd = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = ntuple(padding, 2 * self.nd, "padding", type(self).__name__)

    def forward(self, input):
        return pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``."""

    nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``."""

    nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``."""

    nd = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros."""

    nd = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dims with zeros."""

    nd = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dims with zeros."""

    nd = 3


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its reflection (edge not repeated)."""

    mode, nd = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Pad the last two dims with their reflection (edge not repeated)."""

    mode, nd = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Pad the last three dims with their reflection (edge not repeated)."""

    mode, nd = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values."""

    mode, nd = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Pad the last two dims by repeating their edge values."""

    mode, nd = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Pad the last three dims by repeating their edge values."""

    mode, nd = "replicate", 3


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around (periodic)."""

    mode, nd = "circular", 1


class CircularPad2d(_PadNd):
    """Pad the last two dims by wrapping around (periodic)."""

    mode, nd = "circular", 2


class CircularPad3d(_PadNd):
    """Pad the last three dims by wrapping around (periodic)."""

    mode, nd = "circular", 3
