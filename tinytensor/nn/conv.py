"""Convolution layers ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``: holders of parameters
around ``F.conv*d`` / ``F.conv_transpose*d`` (arguments, defaults, init and repr as PyTorch's)."""

from __future__ import annotations

from tinytensor.nn import functional as F
from tinytensor.nn.functional.conv import transposed_size
from tinytensor.nn.functional.windowing import ntuple, same_padding
from tinytensor.nn.linear import _reset_affine
from tinytensor.nn.module import Module
from tinytensor.nn.parameter import Parameter
from tinytensor.ops.creation import empty
from tinytensor.ops.pad import pad

_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared constructor, init and repr of the convolution layers (``nd`` spatial dims)."""

    nd = 2
    transposed = False

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        padding_mode,
        output_padding=0,
        dtype=None,
    ):
        super().__init__()
        who, nd = type(self).__name__, self.nd
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{who}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{who}: in_channels ({in_channels}) must be divisible by groups")
        if out_channels % groups:
            raise ValueError(f"{who}: out_channels ({out_channels}) must be divisible by groups")
        if padding_mode not in _MODES:
            raise ValueError(
                f"{who}: padding_mode must be one of {list(_MODES)}, got {padding_mode!r}"
            )
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f"Only 'zeros' padding mode is supported for {who}")
        self.kernel_size = ntuple(kernel_size, nd, "kernel_size", who)
        self.stride = ntuple(stride, nd, "stride", who)
        self.dilation = ntuple(dilation, nd, "dilation", who)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{who}: invalid padding string {padding!r}, should be one of "
                    "['valid', 'same'] or ints"
                )
            if padding == "same" and set(self.stride) != {1}:
                raise ValueError(f"{who}: padding='same' is not supported for strided convolutions")
            self.padding = padding
            lohi = same_padding(self.kernel_size, self.dilation) if padding == "same" else []
            self._reversed_padding_repeated_twice = [
                v for lo, hi in reversed(lohi) for v in (lo, hi)
            ]
            if padding == "valid":
                self._reversed_padding_repeated_twice = [0] * (2 * nd)
        else:
            self.padding = ntuple(padding, nd, "padding", who)
            self._reversed_padding_repeated_twice = [
                v for q in reversed(self.padding) for v in (q, q)
            ]
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.output_padding = ntuple(output_padding, nd, "output_padding", who)
        self.groups = groups
        self.padding_mode = padding_mode
        shape = (
            (in_channels, out_channels // groups)
            if self.transposed
            else (out_channels, in_channels // groups)
        )
        self.weight = Parameter(empty(*shape, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self.weight, self.bias)

    def extra_repr(self):
        nd = self.nd
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
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
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, dtype=dtype,
        )  # fmt: skip

    def forward(self, input):
        fn = (F.conv1d, F.conv2d, F.conv3d)[self.nd - 1]
        if self.padding_mode != "zeros":
            x = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return fn(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv1d(_Conv):
    """1-D cross-correlation over (N, C, L): weight (out, in/groups, k), bias (out,)."""

    nd = 1


class Conv2d(_Conv):
    """2-D cross-correlation over (N, C, H, W): weight (out, in/groups, kh, kw), bias (out,).

    Arguments and defaults are PyTorch's, including ``padding="same"``/``"valid"`` and
    ``padding_mode`` ('zeros', 'reflect', 'replicate', 'circular').
    """

    nd = 2


class Conv3d(_Conv):
    """3-D cross-correlation over (N, C, D, H, W): weight (out, in/groups, kd, kh, kw)."""

    nd = 3


class _ConvTranspose(_ConvNd):
    transposed = True

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be ints, got {padding!r}")
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, output_padding, dtype=dtype,
        )  # fmt: skip

    def _output_padding(self, input, output_size):
        """output_padding that makes the output ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        nd, who = self.nd, type(self).__name__
        output_size = list(output_size)
        if len(output_size) in (nd + 1, nd + 2):
            output_size = output_size[-nd:]
        if len(output_size) != nd:
            raise ValueError(
                f"{who}: output_size must have {nd} or {nd + 2} elements (got {len(output_size)})"
            )
        res = []
        for i in range(nd):
            lo = transposed_size(
                input.shape[-nd + i], self.kernel_size[i], self.stride[i], self.padding[i], 0,
                self.dilation[i],
            )  # fmt: skip
            hi = lo + self.stride[i] - 1
            if not lo <= output_size[i] <= hi:
                raise ValueError(
                    f"{who}: requested an output size of {output_size}, but valid sizes range "
                    f"from {lo} to {hi} in dim {i} (for an input of {tuple(input.shape)[-nd:]})"
                )
            res.append(output_size[i] - lo)
        return tuple(res)

    def forward(self, input, output_size=None):
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self.nd - 1]
        op = self._output_padding(input, output_size)
        return fn(
            input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
            self.dilation,
        )  # fmt: skip


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-D convolution (conv1d's adjoint): weight (in, out/groups, k)."""

    nd = 1


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution (conv2d's adjoint): weight (in, out/groups, kh, kw)."""

    nd = 2


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-D convolution (conv3d's adjoint): weight (in, out/groups, kd, kh, kw)."""

    nd = 3
