"""ONNX for the tape's nodes: one converter per recorded op name (``Node._name``).

A converter gets the graph, the node and its inputs (``In``: ONNX name, shape, dtype and, for
a constant, its value) and returns the ONNX name of the output (a list for a node with several
outputs). Attributes come from ``node.attrs``, the op's named parameters (``record(...,
attrs=)``), never from ``node.saved`` (what backward reads, in an order that is backward's own
business). ``SUPPORTED`` lists the op names; any other name stops the export.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tinytensor.core import TensorBase
from tinytensor.onnx.graph import ExportError


class In(NamedTuple):
    name: str | None
    shape: tuple
    dtype: np.dtype | None
    value: object = None  # the value of a constant input (NumPy array), else None


_INT64_MAX = np.iinfo(np.int64).max


def _cast_to(g, x: In, dtype):
    if x.dtype is None or dtype is None or np.dtype(x.dtype) == np.dtype(dtype):
        return x.name
    return g.op("Cast", [x.name], to=g.onnx_type(dtype))


def attr(node, key):
    """``node.attrs[key]``; an ExportError naming the op where the node did not record it."""
    attrs = node.attrs
    if attrs is None or key not in attrs:
        raise ExportError(
            f"{node._name}: the node recorded no attribute {key!r} (attrs={attrs!r}); the op must "
            "pass it to record(..., attrs=) to be exported (or the graph was freed by backward)"
        )
    return attrs[key]


def _binary(op_type):
    def convert(g, node, ins):
        return g.op(op_type, [_cast_to(g, i, node.dtype) for i in ins[:2]])

    return convert


def _unary(op_type, **attrs):
    return lambda g, node, ins: g.op(op_type, [ins[0].name], **attrs)


def _passthrough(g, node, ins):
    return ins[0].name


def _scalar(g, node, v):
    return g.const(np.asarray(v, dtype=node.dtype))


def _rsqrt(g, node, ins):
    return g.op("Reciprocal", [g.op("Sqrt", [ins[0].name])])


def _clamp(g, node, ins):
    lo, hi = attr(node, "min"), attr(node, "max")
    lo = None if lo is None else _scalar(g, node, lo)
    hi = None if hi is None else _scalar(g, node, hi)
    return g.op("Clip", [ins[0].name, lo, hi])


def _clamp_tensors(g, node, ins):
    x, lo, hi = (_cast_to(g, i, node.dtype) for i in ins)
    return g.op("Min", [g.op("Max", [x, lo]), hi])


def _where(g, node, ins):
    c, a, b = ins
    return g.op("Where", [c.name, _cast_to(g, a, node.dtype), _cast_to(g, b, node.dtype)])


def _masked_fill(g, node, ins):
    mask = g.tensor_name(attr(node, "mask"))
    return g.op("Where", [mask, _cast_to(g, ins[1], node.dtype), ins[0].name])


def _dynamic_target(g, src, out):
    """A Reshape/Expand target that keeps the batch dim symbolic when the export is dynamic."""
    target = list(out)
    if g.dynamic and target and src:
        if target[0] == src[0]:
            target[0] = 0
        elif -1 not in target and target[0] % src[0] == 0:
            target[0] = -1
    return target


def _reshape(g, node, ins):
    return g.op("Reshape", [ins[0].name, g.ints(_dynamic_target(g, ins[0].shape, node.shape))])


def _expand(g, node, ins):
    src, out = ins[0].shape, node.shape
    pad = (1,) * (len(out) - len(src)) + tuple(src)
    target = [1 if s == o else o for s, o in zip(pad, out)]  # 1 keeps the input's dim
    return g.op("Expand", [ins[0].name, g.ints(target)])


def _permute(g, node, ins):
    return g.op("Transpose", [ins[0].name], perm=[int(d) for d in attr(node, "dims")])


def _cat(g, node, ins):
    return g.op("Concat", [_cast_to(g, i, node.dtype) for i in ins], axis=attr(node, "dim"))


def _split(g, node, ins):
    d, squeeze = attr(node, "dim"), attr(node, "squeeze")
    sizes = list(attr(node, "split_sizes"))
    outs = g.op("Split", [ins[0].name, g.ints(sizes)], n_out=len(sizes), axis=d)
    outs = outs if isinstance(outs, list) else [outs]
    return [g.op("Squeeze", [o, g.ints([d])]) for o in outs] if squeeze else outs


def _axes(axes, rank):
    return list(range(rank)) if axes is None else [a % rank if rank else a for a in axes]


def _reducer(op_type):
    def convert(g, node, ins):
        axes, keepdim = attr(node, "dim"), attr(node, "keepdim")
        axes = (axes,) if isinstance(axes, int) else axes
        return g.reduce(op_type, ins[0].name, _axes(axes, len(ins[0].shape)), keepdim)

    return convert


def _var(g, node, ins):
    axes, keepdim = attr(node, "dim"), attr(node, "keepdim")
    shape = ins[0].shape
    axes = _axes((axes,) if isinstance(axes, int) else axes, len(shape))
    n = int(np.prod([shape[a] for a in axes])) if axes else 1
    denom = max(n - attr(node, "correction"), 0)
    x = ins[0].name
    d = g.op("Sub", [x, g.reduce("ReduceMean", x, axes, True)])
    ss = g.reduce("ReduceSum", g.op("Mul", [d, d]), axes, keepdim)
    return g.op("Mul", [ss, _scalar(g, node, 1.0 / denom if denom else np.inf)])


def _softmax(op_type):
    return lambda g, node, ins: g.op(op_type, [ins[0].name], axis=attr(node, "dim"))


def _matmul(g, node, ins):
    return g.op("MatMul", [ins[0].name, ins[1].name])


def _linear(g, node, ins):
    x, w, b = ins
    if len(x.shape) == 2:
        return g.op("Gemm", [x.name, w.name, b.name], transB=1)
    y = g.op("MatMul", [x.name, g.op("Transpose", [w.name], perm=[1, 0])])
    return y if b.name is None else g.op("Add", [y, b.name])


def _gelu(g, node, ins):
    x = ins[0].name
    t = g.op("Erf", [g.op("Div", [x, _scalar(g, node, np.sqrt(2.0))])])
    return g.op(
        "Mul", [g.op("Mul", [x, _scalar(g, node, 0.5)]), g.op("Add", [t, _scalar(g, node, 1)])]
    )


def _silu(g, node, ins):
    return g.op("Mul", [ins[0].name, g.op("Sigmoid", [ins[0].name])])


def _elu(g, node, ins):
    alpha, scale = attr(node, "alpha"), attr(node, "scale")
    y = g.op("Elu", [ins[0].name], alpha=float(alpha))
    return y if scale == 1 else g.op("Mul", [y, _scalar(g, node, scale)])


def _softplus(g, node, ins):
    beta, threshold = attr(node, "beta"), attr(node, "threshold")
    x = ins[0].name
    bx = g.op("Mul", [x, _scalar(g, node, beta)])
    sp = g.op("Div", [g.op("Softplus", [bx]), _scalar(g, node, beta)])
    return g.op("Where", [g.op("Greater", [bx, _scalar(g, node, threshold)]), x, sp])


def _hardtanh(g, node, ins):
    lo, hi = attr(node, "min_val"), attr(node, "max_val")
    return g.op("Clip", [ins[0].name, _scalar(g, node, lo), _scalar(g, node, hi)])


def _prelu(g, node, ins):
    x, w = ins
    if len(x.shape) > 2 and w.shape and w.shape[0] > 1:
        return g.op(
            "PRelu", [x.name, g.op("Reshape", [w.name, g.ints([-1] + [1] * (len(x.shape) - 2))])]
        )
    return g.op("PRelu", [x.name, w.name])


def _log_sigmoid(g, node, ins):
    return g.op("Neg", [g.op("Softplus", [g.op("Neg", [ins[0].name])])])


def _embedding(g, node, ins):
    return g.op("Gather", [ins[1].name, ins[0].name], axis=0)


def _to_copy(g, node, ins):
    return _cast_to(g, In(ins[0].name, ins[0].shape, ins[0].dtype), node.dtype)


def _gather(g, node, ins):
    d, index = attr(node, "dim"), attr(node, "index")
    return g.op("GatherElements", [ins[0].name, g.tensor_name(index)], axis=d)


def _index_select(g, node, ins):
    d, index = attr(node, "dim"), attr(node, "index")
    return g.op("Gather", [ins[0].name, g.tensor_name(index)], axis=d)


def _flip(g, node, ins):
    axes = list(attr(node, "dims"))
    n = len(axes)
    return g.op(
        "Slice",
        [ins[0].name, g.ints([-1] * n), g.ints([-_INT64_MAX] * n), g.ints(axes), g.ints([-1] * n)],
    )


def _index(g, node, ins):
    """Basic indexing (ints, slices, None, ...) and one integer tensor along one dim."""
    shape, tidx = ins[0].shape, attr(node, "index")
    x, rank = ins[0].name, len(shape)
    items = list(tidx) if isinstance(tidx, tuple) else [tidx]
    used = sum(1 for it in items if it is not None and it is not Ellipsis)
    if Ellipsis in items:
        e = items.index(Ellipsis)
        items[e : e + 1] = [slice(None)] * (rank - used)
    items += [slice(None)] * (rank - sum(1 for it in items if it is not None))
    starts, ends, axes, steps, ints, nones, tensors = [], [], [], [], [], [], []
    d = out_pos = 0
    for it in items:
        if it is None:
            nones.append(out_pos)
            out_pos += 1
            continue
        if isinstance(it, slice):
            if it != slice(None):
                start, stop, step = (
                    it.indices(shape[d])
                    if not g.dynamic or d
                    else (it.start or 0, _INT64_MAX if it.stop is None else it.stop, it.step or 1)
                )
                starts.append(start), ends.append(stop), axes.append(d), steps.append(step)
            out_pos += 1
        elif isinstance(it, TensorBase):
            if it._data.dtype == np.bool_:
                raise ExportError("Index: a boolean mask gives a data-dependent shape; no export")
            tensors.append((d, it))
            out_pos += it._data.ndim
        else:
            ints.append(d)
        d += 1
    if len(tensors) > 1 or (tensors and (ints or nones)):
        raise ExportError("Index: only one integer-tensor index (with slices) exports")
    if axes:
        x = g.op("Slice", [x, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    for dim, t in tensors:
        x = g.op("Gather", [x, g.tensor_name(t)], axis=dim)
    for dim in reversed(ints):  # highest dim first, so lower dims keep their numbers
        i = _int_item(items, dim)
        x = g.op("Gather", [x, g.const(np.int64(i))], axis=dim)
    if nones:
        x = g.op("Unsqueeze", [x, g.ints(nones)])
    return x


def _int_item(items, dim):
    d = 0
    for it in items:
        if it is None:
            continue
        if d == dim:
            return int(it)
        d += 1
    raise AssertionError(dim)


CONVERTERS = {
    "Add": _binary("Add"),
    "Sub": _binary("Sub"),
    "Mul": _binary("Mul"),
    "Div": _binary("Div"),
    "Pow": _binary("Pow"),
    "Maximum": _binary("Max"),
    "Minimum": _binary("Min"),
    "ClampMin": _binary("Max"),
    "ClampMax": _binary("Min"),
    "Neg": _unary("Neg"),
    "Exp": _unary("Exp"),
    "Log": _unary("Log"),
    "Sqrt": _unary("Sqrt"),
    "Rsqrt": _rsqrt,
    "Abs": _unary("Abs"),
    "Sin": _unary("Sin"),
    "Cos": _unary("Cos"),
    "Tanh": _unary("Tanh"),
    "Sigmoid": _unary("Sigmoid"),
    "Relu": _unary("Relu"),
    "Erf": _unary("Erf"),
    "Reciprocal": _unary("Reciprocal"),
    "Sign": _unary("Sign"),
    "Clamp": _clamp,
    "ClampTensors": _clamp_tensors,
    "Where": _where,
    "MaskedFill": _masked_fill,
    "Reshape": _reshape,
    "Expand": _expand,
    "Permute": _permute,
    "Cat": _cat,
    "Split": _split,
    "Unbind": _split,
    "Index": _index,
    "Sum": _reducer("ReduceSum"),
    "Mean": _reducer("ReduceMean"),
    "Amax": _reducer("ReduceMax"),
    "Amin": _reducer("ReduceMin"),
    "Max": _reducer("ReduceMax"),
    "Min": _reducer("ReduceMin"),
    "Logsumexp": _reducer("ReduceLogSumExp"),
    "Var": _var,
    "Softmax": _softmax("Softmax"),
    "LogSoftmax": _softmax("LogSoftmax"),
    "Mm": _matmul,
    "Matmul": _matmul,
    "Linear": _linear,
    "Gelu": _gelu,
    "Silu": _silu,
    "LeakyRelu": lambda g, node, ins: g.op(
        "LeakyRelu", [ins[0].name], alpha=float(attr(node, "negative_slope"))
    ),
    "Elu": _elu,
    "Softplus": _softplus,
    "Hardtanh": _hardtanh,
    "Hardsigmoid": _unary("HardSigmoid", alpha=1.0 / 6, beta=0.5),
    "Hardswish": _unary("HardSwish"),
    "LogSigmoid": _log_sigmoid,
    "Prelu": _prelu,
    "Embedding": _embedding,
    "ToCopy": _to_copy,
    "Clone": _passthrough,
    "Dropout": _passthrough,
    "Gather": _gather,
    "IndexSelect": _index_select,
    "Flip": _flip,
}

SUPPORTED = tuple(sorted(CONVERTERS))
