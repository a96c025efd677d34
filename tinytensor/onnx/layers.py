"""ONNX for whole layers, written from the module's configuration and parameters.

During export, a call of one of these layers is not traced op by op: a forward hook records it
and the converter below writes its ONNX node(s). A converter gets the graph, the module, the
ONNX names of the call's tensor arguments and the call (shapes, parameter names), and returns
the names of the outputs, flattened in the order of the layer's output tensors.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.onnx.graph import ExportError
from tinytensor.onnx.rnn import recurrent


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _nd(m) -> int:
    return int(type(m).__name__[-2])  # Conv2d -> 2, MaxPool3d -> 3


def _pads(padding, nd):
    p = list(_tuple(padding, nd))
    return p + p


# --- linear and convolution ---------------------------------------------------------------


def linear(g, m, xs, call):
    w = call.param("weight")
    b = call.param("bias") if m.bias is not None else None
    if len(call.in_shapes[0]) == 2:
        return g.op("Gemm", [xs[0], w, b], transB=1)
    y = g.op("MatMul", [xs[0], g.op("Transpose", [w], perm=[1, 0])])
    return y if b is None else g.op("Add", [y, b])


def _conv_pads(g, m, x, nd):
    """The conv's padding as ONNX pads; a padding_mode other than zeros becomes a Pad node."""
    k, d = _tuple(m.kernel_size, nd), _tuple(m.dilation, nd)
    if m.padding == "valid":
        pads = [0] * (2 * nd)
    elif m.padding == "same":
        total = [di * (ki - 1) for ki, di in zip(k, d)]
        pads = [t // 2 for t in total] + [t - t // 2 for t in total]
    else:
        pads = _pads(m.padding, nd)
    if getattr(m, "padding_mode", "zeros") == "zeros" or not any(pads):
        return x, pads
    mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[m.padding_mode]
    full = [0, 0] + pads[:nd] + [0, 0] + pads[nd:]
    return _pad_node(g, x, full, mode), [0] * (2 * nd)


def conv(g, m, xs, call):
    nd = _nd(m)
    x, pads = _conv_pads(g, m, xs[0], nd)
    b = call.param("bias") if m.bias is not None else None
    return g.op(
        "Conv",
        [x, call.param("weight"), b],
        kernel_shape=list(_tuple(m.kernel_size, nd)),
        strides=list(_tuple(m.stride, nd)),
        pads=pads,
        dilations=list(_tuple(m.dilation, nd)),
        group=int(m.groups),
    )


def conv_transpose(g, m, xs, call):
    nd = _nd(m)
    if len(xs) > 1:
        raise ExportError(f"{type(m).__name__}: export of a call with output_size is not supported")
    b = call.param("bias") if m.bias is not None else None
    return g.op(
        "ConvTranspose",
        [xs[0], call.param("weight"), b],
        kernel_shape=list(_tuple(m.kernel_size, nd)),
        strides=list(_tuple(m.stride, nd)),
        pads=_pads(m.padding, nd),
        dilations=list(_tuple(m.dilation, nd)),
        output_padding=list(_tuple(m.output_padding, nd)),
        group=int(m.groups),
    )


# --- pooling ------------------------------------------------------------------------------


def max_pool(g, m, xs, call):
    nd = _nd(m)
    if m.return_indices:
        raise ExportError(f"{type(m).__name__}(return_indices=True) has no ONNX export")
    k = _tuple(m.kernel_size, nd)
    return g.op(
        "MaxPool",
        [xs[0]],
        kernel_shape=list(k),
        strides=list(_tuple(m.stride or m.kernel_size, nd)),
        pads=_pads(m.padding, nd),
        dilations=list(_tuple(m.dilation, nd)),
        ceil_mode=int(m.ceil_mode),
    )


def avg_pool(g, m, xs, call):
    nd = _nd(m)
    if getattr(m, "divisor_override", None) is not None:
        raise ExportError(f"{type(m).__name__}(divisor_override=...) has no ONNX export")
    return g.op(
        "AveragePool",
        [xs[0]],
        kernel_shape=list(_tuple(m.kernel_size, nd)),
        strides=list(_tuple(m.stride or m.kernel_size, nd)),
        pads=_pads(m.padding, nd),
        ceil_mode=int(m.ceil_mode),
        count_include_pad=int(m.count_include_pad),
    )


def adaptive_pool(g, m, xs, call):
    nd = _nd(m)
    kind = "Average" if "Avg" in type(m).__name__ else "Max"
    if getattr(m, "return_indices", False):
        raise ExportError(f"{type(m).__name__}(return_indices=True) has no ONNX export")
    size_in = call.in_shapes[0][-nd:]
    size_out = [i if o is None else o for i, o in zip(size_in, _tuple(m.output_size, nd))]
    if all(o == 1 for o in size_out):
        return g.op(f"Global{kind}Pool", [xs[0]])
    if any(i % o for i, o in zip(size_in, size_out)):
        raise ExportError(
            f"{type(m).__name__}: output size {tuple(size_out)} does not divide the input size "
            f"{tuple(size_in)}; ONNX has no adaptive pool, so only sizes that divide (or an "
            "output of 1) export"
        )
    k = [i // o for i, o in zip(size_in, size_out)]
    return g.op(f"{kind}Pool", [xs[0]], kernel_shape=k, strides=k)


# --- normalization ------------------------------------------------------------------------


def _affine(g, m, call, n, name="weight", fill=1.0):
    p = getattr(m, name, None)
    return call.param(name) if p is not None else g.const(np.full(n, fill, np.float32))


def batch_norm(g, m, xs, call):
    if m.running_mean is None:
        raise ExportError(
            f"{type(m).__name__}(track_running_stats=False) normalizes by batch statistics even "
            "in eval mode; export needs running statistics"
        )
    c = m.num_features
    return g.op(
        "BatchNormalization",
        [
            xs[0],
            _affine(g, m, call, c),
            _affine(g, m, call, c, "bias", 0.0),
            call.param("running_mean"),
            call.param("running_var"),
        ],
        epsilon=float(m.eps),
    )


def instance_norm(g, m, xs, call):
    if getattr(m, "running_mean", None) is not None:
        return batch_norm(g, m, xs, call)
    c = call.in_shapes[0][1]
    scale, bias = _affine(g, m, call, c), _affine(g, m, call, c, "bias", 0.0)
    return g.op("InstanceNormalization", [xs[0], scale, bias], epsilon=float(m.eps))


def layer_norm(g, m, xs, call):
    shape = tuple(m.normalized_shape)
    n = int(np.prod(shape))
    scale = call.param("weight") if m.weight is not None else g.const(np.ones(shape, np.float32))
    bias = call.param("bias") if getattr(m, "bias", None) is not None else None
    return (
        g.op("LayerNormalization", [xs[0], scale, bias], axis=-len(shape), epsilon=float(m.eps))
        if n
        else xs[0]
    )


def _channel_shape(g, v, rank):
    """A per-channel vector (C,) reshaped to broadcast over `(N, C, *spatial)`."""
    return g.op("Reshape", [v, g.ints([-1] + [1] * (rank - 2))])


def group_norm(g, m, xs, call):
    rank = len(call.in_shapes[0])
    x = xs[0]
    xr = g.op("Reshape", [x, g.ints([0, m.num_groups, -1])])
    mean = g.reduce("ReduceMean", xr, [2], True)
    d = g.op("Sub", [xr, mean])
    var = g.reduce("ReduceMean", g.op("Mul", [d, d]), [2], True)
    y = g.op("Div", [d, g.op("Sqrt", [g.op("Add", [var, g.const(np.float32(m.eps))])])])
    y = g.op("Reshape", [y, g.op("Shape", [x])])
    if m.weight is not None:
        y = g.op("Mul", [y, _channel_shape(g, call.param("weight"), rank)])
    if getattr(m, "bias", None) is not None:
        y = g.op("Add", [y, _channel_shape(g, call.param("bias"), rank)])
    return y


def rms_norm(g, m, xs, call):
    k = len(tuple(m.normalized_shape))
    eps = float(np.finfo(np.float32).eps) if m.eps is None else float(m.eps)
    x = xs[0]
    ms = g.reduce("ReduceMean", g.op("Mul", [x, x]), range(-k, 0), True)
    y = g.op("Div", [x, g.op("Sqrt", [g.op("Add", [ms, g.const(np.float32(eps))])])])
    return g.op("Mul", [y, call.param("weight")]) if m.weight is not None else y


# --- activations and simple layers ---------------------------------------------------------


def _unary(op_type, **attrs):
    return lambda g, m, xs, call: g.op(op_type, [xs[0]], **attrs)


def _scalar(g, v):
    return g.const(np.float32(v))


def gelu(g, m, xs, call):
    x = xs[0]
    if m.approximate == "tanh":
        inner = g.op(
            "Mul",
            [
                x,
                g.op(
                    "Add",
                    [_scalar(g, 1.0), g.op("Mul", [_scalar(g, 0.044715), g.op("Mul", [x, x])])],
                ),
            ],
        )
        t = g.op("Tanh", [g.op("Mul", [inner, _scalar(g, math.sqrt(2 / math.pi))])])
    else:
        t = g.op("Erf", [g.op("Div", [x, _scalar(g, math.sqrt(2.0))])])
    return g.op("Mul", [g.op("Mul", [x, _scalar(g, 0.5)]), g.op("Add", [t, _scalar(g, 1.0)])])


def silu(g, m, xs, call):
    return g.op("Mul", [xs[0], g.op("Sigmoid", [xs[0]])])


def mish(g, m, xs, call):
    return g.op("Mul", [xs[0], g.op("Tanh", [g.op("Softplus", [xs[0]])])])


def softplus(g, m, xs, call):
    x, beta = xs[0], float(m.beta)
    if beta == 1.0:
        sp = g.op("Softplus", [x])
    else:
        sp = g.op("Div", [g.op("Softplus", [g.op("Mul", [x, _scalar(g, beta)])]), _scalar(g, beta)])
    # Above the threshold PyTorch returns x itself.
    over = g.op("Greater", [g.op("Mul", [x, _scalar(g, beta)]), _scalar(g, m.threshold)])
    return g.op("Where", [over, x, sp])


def clip(lo, hi):
    return lambda g, m, xs, call: g.op("Clip", [xs[0], _scalar(g, lo(m)), _scalar(g, hi(m))])


def log_sigmoid(g, m, xs, call):
    return g.op("Neg", [g.op("Softplus", [g.op("Neg", [xs[0]])])])


def prelu(g, m, xs, call):
    rank = len(call.in_shapes[0])
    w = call.param("weight")
    if m.num_parameters > 1 and rank > 2:
        w = _channel_shape(g, w, rank)
    return g.op("PRelu", [xs[0], w])


def _softmax_dim(m, rank):
    d = m.dim
    return (0 if rank in (0, 1, 3) else 1) if d is None else d


def softmax(op_type, negate=False):
    def convert(g, m, xs, call):
        x = g.op("Neg", [xs[0]]) if negate else xs[0]
        return g.op(op_type, [x], axis=_softmax_dim(m, len(call.in_shapes[0])))

    return convert


def softmax2d(g, m, xs, call):
    return g.op("Softmax", [xs[0]], axis=-3)


def tanhshrink(g, m, xs, call):
    return g.op("Sub", [xs[0], g.op("Tanh", [xs[0]])])


def shrink(g, m, xs, call):
    soft = type(m).__name__ == "Softshrink"
    return g.op("Shrink", [xs[0]], lambd=float(m.lambd), bias=float(m.lambd) if soft else 0.0)


def threshold(g, m, xs, call):
    over = g.op("Greater", [xs[0], _scalar(g, m.threshold)])
    return g.op("Where", [over, xs[0], _scalar(g, m.value)])


def glu(g, m, xs, call):
    d = m.dim % len(call.in_shapes[0])
    h = call.in_shapes[0][d] // 2
    a, b = g.op("Split", [xs[0], g.ints([h, h])], n_out=2, axis=d)
    return g.op("Mul", [a, g.op("Sigmoid", [b])])


def passthrough(g, m, xs, call):
    return xs[0]


def flatten(g, m, xs, call):
    rank = len(call.in_shapes[0])
    start, end = m.start_dim % rank, m.end_dim % rank
    if end == rank - 1:
        if start == 0:
            return g.op("Reshape", [xs[0], g.ints([-1])])
        return g.op("Reshape", [xs[0], g.ints([0] * start + [-1])])
    return g.op("Reshape", [xs[0], g.ints([0] * start + [-1] + list(call.in_shapes[0][end + 1 :]))])


def unflatten(g, m, xs, call):
    shape = call.in_shapes[0]
    d = m.dim % len(shape)
    target = [0] * d + list(m.unflattened_size) + list(shape[d + 1 :])
    return g.op("Reshape", [xs[0], g.ints(target)])


def embedding(g, m, xs, call):
    if m.max_norm is not None:
        raise ExportError(
            "Embedding(max_norm=...) renormalizes its weight in place: no ONNX export"
        )
    return g.op("Gather", [call.param("weight"), xs[0]], axis=0)


def _wrap_pad(g, x, full_pads):
    """Circular padding before opset 19 (no Pad mode 'wrap'): concatenate the wrapped ends."""
    rank = len(full_pads) // 2
    for d in range(rank):
        lo, hi = full_pads[d], full_pads[rank + d]
        if not (lo or hi):
            continue
        parts = [g.op("Slice", [x, g.ints([-lo]), g.ints([2**62]), g.ints([d])])] if lo else []
        parts.append(x)
        if hi:
            parts.append(g.op("Slice", [x, g.ints([0]), g.ints([hi]), g.ints([d])]))
        x = g.op("Concat", parts, axis=d)
    return x


def _pad_node(g, x, full_pads, mode, value=0.0):
    if mode == "wrap" and g.opset < 19:
        return _wrap_pad(g, x, full_pads)
    ins = [x, g.ints(full_pads)] + ([_scalar(g, value)] if mode == "constant" else [])
    return g.op("Pad", ins, mode=mode)


def pad_layer(g, m, xs, call):
    rank = len(call.in_shapes[0])
    p = list(m.padding)
    k = len(p) // 2
    begins, ends = [0] * rank, [0] * rank
    for i in range(k):  # PyTorch lists (left, right) of the last dim first
        begins[rank - 1 - i], ends[rank - 1 - i] = p[2 * i], p[2 * i + 1]
    mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
    return _pad_node(g, xs[0], begins + ends, mode[m.mode], getattr(m, "value", 0.0))


def pixel_shuffle(g, m, xs, call):
    if len(call.in_shapes[0]) != 4:
        raise ExportError("PixelShuffle: ONNX DepthToSpace exports 4-D input only")
    return g.op("DepthToSpace", [xs[0]], blocksize=int(m.upscale_factor), mode="CRD")


def upsample(g, m, xs, call):
    rank = len(call.in_shapes[0])
    if m.scale_factor is not None:
        scales = [1.0, 1.0] + [float(s) for s in _tuple(m.scale_factor, rank - 2)]
        sizes = None
    else:
        scales = None
        sizes = [int(s) for s in _tuple(m.size, rank - 2)]
    if m.mode == "nearest":
        attrs = dict(
            mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"
        )
    elif m.mode in ("linear", "bilinear", "trilinear"):
        ctm = "align_corners" if m.align_corners else "half_pixel"
        attrs = dict(mode="linear", coordinate_transformation_mode=ctm)
    else:
        raise ExportError(f"{type(m).__name__}(mode={m.mode!r}) has no ONNX export")
    if sizes is not None:
        full = g.op(
            "Concat",
            [g.op("Slice", [g.op("Shape", [xs[0]]), g.ints([0]), g.ints([2])]), g.ints(sizes)],
            axis=0,
        )
        return g.op("Resize", [xs[0], None, None, full], **attrs)
    return g.op("Resize", [xs[0], None, g.const(np.asarray(scales, np.float32))], **attrs)


def _names(converter, *names):
    return {n: converter for n in names}


# Class name of a tinytensor.nn layer -> its converter.
LAYERS = {
    "Linear": linear,
    **_names(conv, "Conv1d", "Conv2d", "Conv3d"),
    **_names(conv_transpose, "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"),
    **_names(max_pool, "MaxPool1d", "MaxPool2d", "MaxPool3d"),
    **_names(avg_pool, "AvgPool1d", "AvgPool2d", "AvgPool3d"),
    **_names(adaptive_pool, *(f"Adaptive{k}Pool{n}d" for k in ("Avg", "Max") for n in (1, 2, 3))),
    **_names(batch_norm, "BatchNorm1d", "BatchNorm2d", "BatchNorm3d"),
    **_names(instance_norm, "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"),
    "LayerNorm": layer_norm,
    "GroupNorm": group_norm,
    "RMSNorm": rms_norm,
    **_names(
        passthrough,
        "Identity",
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "AlphaDropout",
        "FeatureAlphaDropout",
    ),
    "Flatten": flatten,
    "Unflatten": unflatten,
    "Embedding": embedding,
    "ReLU": _unary("Relu"),
    "Sigmoid": _unary("Sigmoid"),
    "Tanh": _unary("Tanh"),
    "Softsign": _unary("Softsign"),
    "Hardswish": _unary("HardSwish"),
    "Hardsigmoid": _unary("HardSigmoid", alpha=1.0 / 6, beta=0.5),
    "SELU": _unary("Selu"),
    "LeakyReLU": lambda g, m, xs, call: g.op("LeakyRelu", [xs[0]], alpha=float(m.negative_slope)),
    "ELU": lambda g, m, xs, call: g.op("Elu", [xs[0]], alpha=float(m.alpha)),
    "CELU": lambda g, m, xs, call: g.op("Celu", [xs[0]], alpha=float(m.alpha)),
    "GELU": gelu,
    "SiLU": silu,
    "Mish": mish,
    "Softplus": softplus,
    "Hardtanh": clip(lambda m: m.min_val, lambda m: m.max_val),
    "ReLU6": clip(lambda m: 0.0, lambda m: 6.0),
    "LogSigmoid": log_sigmoid,
    "PReLU": prelu,
    "Softmax": softmax("Softmax"),
    "LogSoftmax": softmax("LogSoftmax"),
    "Softmin": softmax("Softmax", negate=True),
    "Softmax2d": softmax2d,
    "Tanhshrink": tanhshrink,
    "Hardshrink": shrink,
    "Softshrink": shrink,
    "Threshold": threshold,
    "GLU": glu,
    **_names(
        pad_layer,
        *(
            f"{k}Pad{n}d"
            for k in ("Zero", "Constant", "Reflection", "Replication", "Circular")
            for n in (1, 2, 3)
        ),
    ),
    "PixelShuffle": pixel_shuffle,
    **_names(upsample, "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"),
    **_names(recurrent, "RNN", "LSTM", "GRU"),
}
