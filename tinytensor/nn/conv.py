"""Convolution layer ``Conv2d`` (NCHW), a thin holder of parameters around ``F.conv2d``."""

from __future__ import annotations

from tinytensor.nn import functional as F
from tinytensor.nn.functional._util import pair
from tinytensor.nn.linear import _reset_affine
from tinytensor.nn.module import Module
from tinytensor.nn.parameter import Parameter
from tinytensor.ops.creation import empty
from tinytensor.ops.shape import pad

_MODES = {"zeros", "reflect", "replicate", "circular"}


class Conv2d(Module):
    """2-D cross-correlation: weight (out, in/groups, kh, kw), bias (out,).

    Arguments and defaults are PyTorch's, including ``padding="same"``/``"valid"`` and
    ``padding_mode`` ('zeros', 'reflect', 'replicate', 'circular').
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: in_channels ({in_channels}) and out_channels ({out_channels}) must "
                f"both be divisible by groups ({groups})"
            )
        if padding_mode not in _MODES:
            raise ValueError(
                f"Conv2d: padding_mode must be one of {sorted(_MODES)}, got {padding_mode!r}"
            )
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Conv2d: padding must be 'same', 'valid' or ints, got {padding!r}"
                )
            if padding == "same" and pair(stride, "stride", "Conv2d") != (1, 1):
                raise ValueError("Conv2d: padding='same' is not supported for strided convolutions")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = pair(stride, "stride", "Conv2d")
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding", "Conv2d")
        self.dilation = pair(dilation, "dilation", "Conv2d")
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(
            empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype)
        )
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self.weight, self.bias)

    def forward(self, input):
        if self.padding_mode != "zeros" and self.padding != "valid":
            if self.padding == "same":
                k, d = self.kernel_size, self.dilation
                tot = [d[i] * (k[i] - 1) for i in range(2)]
                widths = (tot[1] // 2, tot[1] - tot[1] // 2, tot[0] // 2, tot[0] - tot[0] // 2)
            else:
                ph, pw = self.padding
                widths = (pw, pw, ph, ph)
            x = pad(input, widths, mode=self.padding_mode)
            return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self):
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
