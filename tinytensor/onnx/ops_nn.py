"""ONNX for the tape nodes of functional conv, pooling and padding (``F.conv2d`` and the like
called outside a layer).

Their attributes come from each node's ``attrs``: a convolution's kernel size, stride,
padding, dilation and groups, a max pool's window, the averaging matrices of an average pool
(adaptive too) or a linear interpolation (written as one MatMul per axis, which is exact for
every ceil_mode, padding and divisor), the pads of constant padding and the gather maps of
reflection and replication padding.
"""

from __future__ import annotations

import numpy as np

from tinytensor.onnx.graph import ExportError
from tinytensor.onnx.ops import attr


def _convolution(g, node, ins):
    x, w, b = ins
    return g.op(
        "Conv",
        [x.name, w.name, b.name],
        kernel_shape=list(attr(node, "kernel_size")),
        strides=list(attr(node, "stride")),
        pads=list(attr(node, "padding")) * 2,
        dilations=list(attr(node, "dilation")),
        group=int(attr(node, "groups")),
    )


def _conv_transpose(g, node, ins):
    """``ConvolutionInputGrad`` is the transposed convolution (``F.conv_transpose*d``)."""
    x, w = ins
    k, s = attr(node, "kernel_size"), attr(node, "stride")
    p, d = attr(node, "padding"), attr(node, "dilation")
    out = node.shape[2:]  # the transposed convolution's output is the convolution's input
    natural = [
        (o - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + 1
        for o, s_, p_, d_, k_ in zip(x.shape[2:], s, p, d, k)
    ]
    return g.op(
        "ConvTranspose",
        [x.name, w.name],
        kernel_shape=list(k),
        strides=list(s),
        pads=list(p) * 2,
        dilations=list(d),
        output_padding=[int(o - n) for o, n in zip(out, natural)],
        group=int(attr(node, "groups")),
    )


def _max_pool(g, node, ins):
    k, s = attr(node, "kernel_size"), attr(node, "stride")
    p, d = attr(node, "padding"), attr(node, "dilation")
    floor = [
        (n + 2 * p_ - d_ * (k_ - 1) - 1) // s_ + 1
        for n, k_, s_, d_, p_ in zip(ins[0].shape[2:], k, s, d, p)
    ]
    ceil_mode = int(tuple(floor) != tuple(node.shape[2:]))
    return g.op(
        "MaxPool",
        [ins[0].name],
        kernel_shape=list(k),
        strides=list(s),
        pads=list(p) * 2,
        dilations=list(d),
        ceil_mode=ceil_mode,
    )


def _adaptive_max_pool(g, node, ins):
    size_in, size_out = tuple(ins[0].shape[2:]), tuple(attr(node, "output_size"))
    if all(o == 1 for o in size_out):
        return g.op("GlobalMaxPool", [ins[0].name])
    if any(i % o for i, o in zip(size_in, size_out)):
        raise ExportError(
            f"adaptive_max_pool: output size {size_out} does not divide the input size {size_in}; "
            "ONNX has no adaptive pool, so only sizes that divide (or an output of 1) export"
        )
    k = [i // o for i, o in zip(size_in, size_out)]
    return g.op("MaxPool", [ins[0].name], kernel_shape=k, strides=k)


def _separable(g, node, ins):
    """x multiplied along each of its last len(mats) axes by mats[i] (out_i, in_i)."""
    mats = attr(node, "matrices")
    x, rank = ins[0].name, len(ins[0].shape)
    nd = len(mats)
    for i, t in enumerate(mats):
        m = np.asarray(t._data, dtype=node.dtype)
        axis = rank - nd + i
        if axis == rank - 1:
            x = g.op("MatMul", [x, g.const(np.ascontiguousarray(m.T))])
        elif axis == rank - 2:
            x = g.op("MatMul", [g.const(m), x])
        else:
            perm = list(range(rank))
            perm[axis], perm[-1] = perm[-1], perm[axis]
            x = g.op("Transpose", [x], perm=perm)
            x = g.op("MatMul", [x, g.const(np.ascontiguousarray(m.T))])
            x = g.op("Transpose", [x], perm=perm)
    return x


def _constant_pad(g, node, ins):
    pads = attr(node, "pads")
    begins = [int(lo) for lo, _ in pads]
    ends = [int(hi) for _, hi in pads]
    value = attr(node, "value")
    val = g.const(np.asarray(0.0 if value is None else float(value), dtype=node.dtype))
    return g.op("Pad", [ins[0].name, g.ints(begins + ends), val], mode="constant")


def _gather_pad(g, node, ins):
    """Reflection and replication padding: one Gather per padded axis, by the index maps (attrs)."""
    x = ins[0].name
    for axis, idx in enumerate(attr(node, "maps")):
        if idx is not None:
            x = g.op("Gather", [x, g.const(np.asarray(idx._data, np.int64))], axis=axis)
    return x


def _repeat(g, node, ins):
    reps, rank = attr(node, "repeats"), len(ins[0].shape)
    x = ins[0].name
    if len(reps) > rank:
        x = g.op("Unsqueeze", [x, g.ints(range(len(reps) - rank))])
    return g.op("Tile", [x, g.ints(reps)])


CONVERTERS = {
    "Repeat": _repeat,
    "Convolution": _convolution,
    "ConvolutionInputGrad": _conv_transpose,
    **{f"MaxPool{n}D": _max_pool for n in (1, 2, 3)},
    **{f"AdaptiveMaxPool{n}D": _adaptive_max_pool for n in (1, 2, 3)},
    **{f"AvgPool{n}D": _separable for n in (1, 2, 3)},
    **{f"AdaptiveAvgPool{n}D": _separable for n in (1, 2, 3)},
    "Upsample": _separable,
    "ConstantPad": _constant_pad,
    "ReflectionPad": _gather_pad,
    "ReplicationPad": _gather_pad,
}
