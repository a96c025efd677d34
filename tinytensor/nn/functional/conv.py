"""Convolution in 1, 2 or 3 spatial dimensions as im2col + one matmul per group, transposed
convolution as its adjoint, and ``unfold``/``fold``.

One N-d implementation serves conv1d/2d/3d: im2col copies every sliding window into the columns
of a matrix through one strided view (no loop over pixels, batch items or channels); col2im, its
adjoint, sums columns back and loops only over the kernel offsets. A convolution, its input
gradient and its weight gradient are three recorded ops whose backwards are written in terms of
each other, so every order of gradient works. The input gradient *is* the transposed
convolution, so ``conv_transpose*d`` is that op (plus a bias) and is differentiable for free;
``unfold`` and ``fold`` are likewise each other's backward.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.nn.functional._util import float_input, pair, same_dtype
from tinytensor.nn.functional.conv_kernels import (
    col2im,
    conv_into,
    conv_kernel,
    input_grad_into,
    input_grad_kernel,
    pad_nd,
    windows,
)
from tinytensor.nn.functional.linear import bias_grad
from tinytensor.nn.functional.windowing import ntuple, out_size, string_padding
from tinytensor.ops._util import requires_grad as _rg


def _geometry(spatial, kernel_size, dilation, padding, stride, who):
    nd = len(spatial)
    k = ntuple(kernel_size, nd, "kernel_size", who)
    d = ntuple(dilation, nd, "dilation", who)
    p = ntuple(padding, nd, "padding", who)
    s = ntuple(stride, nd, "stride", who)
    if min(k) < 1 or min(d) < 1 or min(s) < 1 or min(p) < 0:
        raise RuntimeError(  # PyTorch's class ("negative padding is not supported", ...)
            f"{who}: kernel_size, dilation and stride must be positive and padding non-negative, "
            f"got kernel_size={k}, dilation={d}, stride={s}, padding={p}"
        )
    o = tuple(out_size(spatial[i], k[i], s[i], p[i], d[i]) for i in range(nd))
    if min(o) < 1:
        eff = tuple(d[i] * (k[i] - 1) + 1 for i in range(nd))
        padded = tuple(spatial[i] + 2 * p[i] for i in range(nd))
        raise RuntimeError(
            f"{who}: the (dilated) kernel {eff} is larger than the padded input {padded}; "
            "use a smaller kernel or more padding"
        )
    return k, d, p, s, o


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """`f(x)` = columns of sliding windows, `(N, C*kh*kw, L);  dx = fold(g)`"""
    x = float_input(input, "unfold")
    if x.ndim not in (3, 4):
        raise RuntimeError(f"unfold: expected a 3-D or 4-D input (N, C, H, W), got {x.shape}")
    if x.ndim == 3:
        return unfold(x.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    k, d, p, s, o = _geometry(x.shape[2:], kernel_size, dilation, padding, stride, "unfold")
    attrs = {"kernel_size": k, "dilation": d, "padding": p, "stride": s}
    return IM2COL.apply((x,), (x._data,), (tuple(x.shape[2:]), k, d, p, s), attrs)


def _im2col_kernel(xd, *, kernel_size, dilation, padding, stride):
    k, d, p, s = kernel_size, dilation, padding, stride
    n, c, h, w = xd.shape
    o = (out_size(h, k[0], s[0], p[0], d[0]), out_size(w, k[1], s[1], p[1], d[1]))
    return windows(pad_nd(xd, p), k, s, d, o).reshape(n, c * k[0] * k[1], o[0] * o[1])


def _unfold_backward(g, size, k, d, p, s):
    return (fold(g, size, k, d, p, s),)


IM2COL = Primitive("Im2Col", _im2col_kernel, _unfold_backward)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """f(cols) = window columns summed back onto the image (unfold's adjoint);  dcols = unfold(g)"""
    x = float_input(input, "fold")
    if x.ndim not in (2, 3):
        raise RuntimeError(f"fold: expected a 2-D or 3-D input (N, C*kh*kw, L), got {x.shape}")
    if x.ndim == 2:
        return fold(x.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    size = pair(output_size, "output_size", "fold")
    k, d, p, s, o = _geometry(size, kernel_size, dilation, padding, stride, "fold")
    n, ckk, length = x.shape
    if ckk % (k[0] * k[1]) or length != o[0] * o[1]:
        raise RuntimeError(
            f"fold: input of shape {tuple(x.shape)} does not match kernel {k} and output size "
            f"{size}: expected (N, C*{k[0] * k[1]}, {o[0] * o[1]})"
        )
    attrs = {"output_size": size, "kernel_size": k, "dilation": d, "padding": p, "stride": s}
    return COL2IM.apply((x,), (x._data,), (k, d, p, s), attrs)


def _col2im_kernel(xd, *, output_size, kernel_size, dilation, padding, stride):
    k, d, p, s, size = kernel_size, dilation, padding, stride, output_size
    o = tuple(out_size(size[i], k[i], s[i], p[i], d[i]) for i in range(2))
    cols = xd.reshape(xd.shape[0], xd.shape[1] // (k[0] * k[1]), *k, *o)
    return col2im(cols, (size[0] + 2 * p[0], size[1] + 2 * p[1]), k, s, d, p)


def _fold_backward(g, k, d, p, s):
    return (unfold(g, k, d, p, s),)


COL2IM = Primitive("Col2Im", _col2im_kernel, _fold_backward)


def _operands(input, weight, bias, nd, who):
    """(x batched, w, bias, unbatched) with the checks every convolution shares."""
    x = float_input(input, who)
    w = float_input(weight, who, "weight")
    if w.ndim != nd + 2:
        raise RuntimeError(
            f"{who}: weight must be {nd + 2}-D (out, in/groups, *kernel), got shape {w.shape}"
        )
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{who}: expected a {nd + 1}-D (C, *spatial) or {nd + 2}-D (N, C, *spatial) input, "
            f"got shape {x.shape}"
        )
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    if bias is not None:
        bias = float_input(bias, who, "bias")
    same_dtype(who, input=x, weight=w, bias=bias)
    return x, w, bias, unbatched


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd, who):
    x, w, bias, unbatched = _operands(input, weight, bias, nd, who)
    c, (o, cg) = x.shape[1], w.shape[:2]
    if not isinstance(groups, int) or groups < 1 or c % groups or o % groups:
        raise RuntimeError(
            f"{who}: groups={groups!r} must be a positive int dividing both in_channels ({c}) "
            f"and out_channels ({o})"
        )
    if cg * groups != c:
        raise RuntimeError(
            f"{who}: weight of shape {tuple(w.shape)} with groups={groups} expects input with "
            f"{cg * groups} channels, but got input of shape {tuple(x.shape)}"
        )
    if bias is not None and bias.shape != (o,):
        raise RuntimeError(f"{who}: bias must have shape ({o},), got {tuple(bias.shape)}")
    if isinstance(padding, str):
        x, padding = string_padding(x, padding, stride, dilation, w.shape[2:], who)
    k, d, p, s, osz = _geometry(x.shape[2:], w.shape[2:], dilation, padding, stride, who)
    out = _conv(x, w, bias, _Geom(x.shape, w.shape, k, s, p, d, groups, osz))
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """f(x, w, b) = cross-correlation of x (N, C, L) with w (O, C/groups, k), plus b."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """f(x, w, b) = cross-correlation of x (N, C, H, W) with w (O, C/groups, kh, kw), plus b.

    Computed as one matmul per group between the weights and the im2col matrix of x; the
    gradients are two more matmuls (dw = g @ cols^T, dx = col2im(w^T @ g)) plus db = sum(g).
    ``padding`` may be an int, a pair, ``"valid"`` or ``"same"`` (stride 1).
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """f(x, w, b) = cross-correlation of x (N, C, D, H, W) with w (O, C/groups, kd, kh, kw)."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def transposed_size(size, k, s, p, op, d):
    return (size - 1) * s - 2 * p + d * (k - 1) + op + 1


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, nd):
    who = f"conv_transpose{nd}d"
    x, w, bias, unbatched = _operands(input, weight, bias, nd, who)
    cin = x.shape[1]
    if not isinstance(groups, int) or groups < 1 or cin % groups:
        raise RuntimeError(
            f"{who}: groups={groups!r} must be a positive int dividing in_channels ({cin})"
        )
    if w.shape[0] != cin:
        raise RuntimeError(
            f"{who}: weight of shape {tuple(w.shape)} (in, out/groups, *kernel) expects input "
            f"with {w.shape[0]} channels, but got input of shape {tuple(x.shape)}"
        )
    cout = w.shape[1] * groups
    if bias is not None and bias.shape != (cout,):
        raise RuntimeError(f"{who}: bias must have shape ({cout},), got {tuple(bias.shape)}")
    k = tuple(w.shape[2:])
    s = ntuple(stride, nd, "stride", who)
    p = ntuple(padding, nd, "padding", who)
    op = ntuple(output_padding, nd, "output_padding", who)
    d = ntuple(dilation, nd, "dilation", who)
    if min(s) < 1 or min(d) < 1 or min(p) < 0 or min(op) < 0:
        raise ValueError(
            f"{who}: stride and dilation must be positive, padding and output_padding "
            f"non-negative, got stride={s}, padding={p}, output_padding={op}, dilation={d}"
        )
    if any(op[i] >= s[i] and op[i] >= d[i] for i in range(nd)):
        raise RuntimeError(
            f"{who}: output_padding {op} must be smaller than either stride {s} or dilation {d}"
        )
    osz = tuple(transposed_size(x.shape[2 + i], k[i], s[i], p[i], op[i], d[i]) for i in range(nd))
    if min(osz) < 1:
        raise RuntimeError(
            f"{who}: output size {osz} is too small for input of shape {tuple(x.shape)} with "
            f"kernel {k}, stride={s}, padding={p}, dilation={d}; use less padding"
        )
    geo = _Geom((x.shape[0], cout, *osz), w.shape, k, s, p, d, groups, tuple(x.shape[2:]))
    out = _input_grad(x, w, geo)
    if bias is not None:
        out = out + bias.reshape(1, cout, *(1,) * nd)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """f(x, w, b) = adjoint of conv1d applied to x (N, C_in, L), w (C_in, C_out/groups, k), + b."""
    return _conv_transposend(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 1
    )


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """f(x, w, b) = adjoint of conv2d on x (N, C_in, H, W), w (C_in, C_out/groups, kh, kw)."""
    return _conv_transposend(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 2
    )


def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """`f(x, w, b)` = adjoint of conv3d on `x (N, C_in, D, H, W), w (C_in, C_out/groups, *k)`."""
    return _conv_transposend(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 3
    )


class _Geom:
    """Everything about one convolution's shapes: input, weight, kernel, stride, padding,
    dilation, groups and output size (all tuples over the spatial axes)."""

    __slots__ = ("x", "w", "k", "s", "p", "d", "g", "o")

    def __init__(self, x, w, k, s, p, d, g, o):
        self.x, self.w, self.k, self.s, self.p, self.d, self.g, self.o = x, w, k, s, p, d, g, o

    def __repr__(self) -> str:
        return (
            f"geometry(input={self.x}, weight={self.w}, stride={self.s}, padding={self.p}, "
            f"dilation={self.d}, groups={self.g}, output={self.o})"
        )

    def cols(self, xd):
        """`im2col: (N, G, C/G*prod(k), prod(o))`, batch-major: one contiguous copy of the
        strided window view in its own order, so each sample's columns are one block."""
        view = windows(pad_nd(xd, self.p), self.k, self.s, self.d, self.o)
        ckk = self.x[1] // self.g * math.prod(self.k)  # not -1: an empty batch is ambiguous
        return view.reshape(self.x[0], self.g, ckk, math.prod(self.o))

    def wmat(self, wd):
        return wd.reshape(self.g, self.w[0] // self.g, -1)

    def gmat(self, gd):
        """Output gradient `(N, O, *o)` as `(N, G, O/G, prod(o))` (a view when contiguous)."""
        return gd.reshape(self.x[0], self.g, self.w[0] // self.g, math.prod(self.o))


def _conv(x, w, bias, geo):
    """f(x, w, b) = convolution;  dx = input_grad(g, w),  dw = weight_grad(x, g),  db = sum(g)"""
    inputs = (x, w, bias)
    out, cols = CONV.compute(
        inputs, (x._data, w._data, None if bias is None else bias._data), {"geo": geo}
    )
    # PyTorch saves input and weight whatever needs a gradient, so changing either in place
    # raises; only the gradients asked for are computed (the first layer's input needs none).
    # The im2col matrix (the kernel's second result) is kept for the weight gradient.
    saved = (x, w, wrap(cols) if _rg(w) else None, geo)
    return CONV.record(wrap(out), inputs, saved, _conv_attrs(geo))


def _conv_attrs(geo):
    """The convolution's named parameters (per spatial dim), for an exporter."""
    return {"kernel_size": geo.k, "stride": geo.s, "padding": geo.p, "dilation": geo.d,
            "groups": geo.g}  # fmt: skip


def _conv_backward(g, x, w, cols, geo, *, needs):
    # The bias's gradient first, while g (just written by the op after this one) is still in
    # the cache: after the two products it comes from memory (~2.5x slower on W4's conv1).
    db = bias_grad(g, 1, len(geo.k)) if needs[2] else None
    g2 = None
    if needs[0] or needs[1]:  # the gradient as (G, O/G, N*prod(o)), shared by both products
        g2 = CONV_GRAD_MATRIX.compute((g,), (g._data,), {"geo": geo})
    return (
        _input_grad(g, w, geo, g2) if needs[0] else None,
        _weight_grad(x, g, geo, cols._data, g2) if needs[1] else None,
        db,
    )


def _input_grad(g, w, geo, g2=None):
    """f(g, w) = the convolution's input gradient, i.e. the transposed convolution;
    dg = conv(gg, w),  dw = weight_grad(gg, g)"""
    saved = (g if _rg(w) else None, w if _rg(g) else None, geo)
    return CONV_INPUT_GRAD.apply(
        (g, w), (g._data, w._data, g2), saved, {"geo": geo}, _conv_attrs(geo)
    )


def _input_grad_backward(gg, g, w, geo):
    return (
        None if w is None else _conv(gg, w, None, geo),
        None if g is None else _weight_grad(gg, g, geo),
    )


def _weight_grad(x, g, geo, cols=None, g2=None):
    """f(x, g) = the convolution's weight gradient;  dx = input_grad(g, gw),  dg = conv(x, gw)"""
    saved = (g if _rg(x) else None, x if _rg(g) else None, geo)
    return CONV_WEIGHT_GRAD.apply(
        (x, g), (x._data, g._data, cols, g2), saved, {"geo": geo}, _conv_attrs(geo)
    )


def _weight_grad_kernel(xd, gd, cols, g2, *, geo):
    cols = geo.cols(xd) if cols is None else cols
    g2 = geo.gmat(gd) if g2 is None else g2
    # Per sample (C/G*prod(k), prod(o)) @ (prod(o), O/G), summed over the batch, then
    # transposed: faster here than g2 @ cols^T, whose transposed operand is the large one.
    dw = np.matmul(cols, g2.swapaxes(-1, -2)).sum(0)
    return np.ascontiguousarray(dw.swapaxes(1, 2)).reshape(geo.w)


def _weight_grad_backward(gw, g, x, geo):
    return (
        None if g is None else _input_grad(g, gw, geo),
        None if x is None else _conv(x, gw, None, geo),
    )


def _gmat_kernel(gd, *, geo):
    return geo.gmat(gd)


# The kernels take the geometry (``_Geom``) as their one attribute; the nodes carry the named
# parameters (kernel_size, stride, padding, dilation, groups) the ONNX exporter reads.
CONV = Primitive("Convolution", conv_kernel, _conv_backward, multi=True, into=conv_into)
CONV_INPUT_GRAD = Primitive(
    "ConvolutionInputGrad", input_grad_kernel, _input_grad_backward, into=input_grad_into
)
CONV_WEIGHT_GRAD = Primitive("ConvolutionWeightGrad", _weight_grad_kernel, _weight_grad_backward)
CONV_GRAD_MATRIX = Primitive("ConvolutionGradMatrix", _gmat_kernel)  # no gradient of its own
