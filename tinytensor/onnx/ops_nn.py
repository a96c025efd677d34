"""ONNX for the tape nodes of functional conv, pooling and padding (``F.conv2d`` and the like
called outside a layer).

Their attributes come from what each node saved: a convolution's ``_Geom`` (kernel, stride,
padding, dilation, groups), a max pool's ``_Windows``, the averaging matrices of an average
pool (adaptive too) or a linear interpolation (written as one MatMul per axis, which is exact
for every ceil_mode, padding and divisor), and the gather maps of reflection and replication
padding.
"""

from __future__ import annotations

import numpy as np

from tinytensor.onnx.graph import ExportError


def _convolution(g, node, ins):
    geo = node.saved[3]
    x, w, b = ins
    return g.op(
        "Conv",
        [x.name, w.name, b.name],
        kernel_shape=list(geo.k),
        strides=list(geo.s),
        pads=list(geo.p) * 2,
        dilations=list(geo.d),
        group=int(geo.g),
    )


def _conv_transpose(g, node, ins):
    """``ConvolutionInputGrad`` is the transposed convolution (``F.conv_transpose*d``)."""
    geo = node.saved[2]
    x, w = ins
    out = geo.x[2:]  # the transposed convolution's output is the convolution's input
    natural = [
        (o - 1) * s - 2 * p + d * (k - 1) + 1
        for o, s, p, d, k in zip(geo.o, geo.s, geo.p, geo.d, geo.k)
    ]
    return g.op(
        "ConvTranspose",
        [x.name, w.name],
        kernel_shape=list(geo.k),
        strides=list(geo.s),
        pads=list(geo.p) * 2,
        dilations=list(geo.d),
        output_padding=[int(o - n) for o, n in zip(out, natural)],
        group=int(geo.g),
    )


def _max_pool(g, node, ins):
    win = node.saved[3]
    floor = [
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, d, p in zip(win.size, win.k, win.s, win.d, win.p)
    ]
    ceil_mode = int(tuple(floor) != tuple(node.shape[2:]))
    return g.op(
        "MaxPool",
        [ins[0].name],
        kernel_shape=list(win.k),
        strides=list(win.s),
        pads=list(win.p) * 2,
        dilations=list(win.d),
        ceil_mode=ceil_mode,
    )


def _adaptive_max_pool(g, node, ins):
    size_in, size_out = tuple(node.saved[2]), tuple(node.shape[2:])
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
    mats = node.saved[1]
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
    crop = node.saved[0]
    begins = [int(s.start) for s in crop]
    ends = [int(o - i - b) for o, i, b in zip(node.shape, ins[0].shape, begins)]
    value = g.extra(node)
    val = g.const(np.asarray(0.0 if value is None else float(value), dtype=node.dtype))
    return g.op("Pad", [ins[0].name, g.ints(begins + ends), val], mode="constant")


def _gather_pad(g, node, ins):
    """Reflection and replication padding: one Gather per padded axis, by the saved maps."""
    x = ins[0].name
    for axis, idx in enumerate(node.saved[1]):
        if idx is not None:
            x = g.op("Gather", [x, g.const(np.asarray(idx._data, np.int64))], axis=axis)
    return x


def _repeat(g, node, ins):
    reps, src, shape = node.saved
    x = ins[0].name
    if len(src) > len(shape):
        x = g.op("Unsqueeze", [x, g.ints(range(len(src) - len(shape)))])
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
