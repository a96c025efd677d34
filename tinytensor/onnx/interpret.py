"""ONNX ops in tinytensor ops: ``OPS[op_type](inputs, attrs) -> output tensor(s)``.

Every op is written with differentiable tinytensor ops, so a loaded model trains. The table
covers what ``export`` writes (and the common forms of those ops in other exporters' files).
"""

from __future__ import annotations

import numpy as np

import tinytensor as tt
import tinytensor.nn.functional as F


def _np(t):
    return t.detach().numpy() if isinstance(t, tt.Tensor) else np.asarray(t)


def _ints(t):
    return [int(v) for v in _np(t).reshape(-1)]


def _unary(fn):
    return lambda ins, a: fn(ins[0])


def _axis(a, rank, default=None):
    ax = a.get("axis", default)
    return ax % rank if rank else ax


def _reduce(fn):
    def run(ins, a):
        x = ins[0]
        axes = a.get("axes") or (_ints(ins[1]) if len(ins) > 1 and ins[1] is not None else None)
        keep = bool(a.get("keepdims", 1))
        if not axes:
            if a.get("noop_with_empty_axes", 0):
                return x
            axes = list(range(x.dim()))
        return fn(x, tuple(ax % x.dim() for ax in axes), keep)

    return run


def _gemm(ins, a):
    x, w = ins[0], ins[1]
    x = x.t() if a.get("transA", 0) else x
    w = w.t() if a.get("transB", 0) else w
    y = (x @ w) * a.get("alpha", 1.0)
    if len(ins) > 2 and ins[2] is not None:
        y = y + ins[2] * a.get("beta", 1.0)
    return y


def _reshape(ins, a):
    x, shape = ins[0], _ints(ins[1])
    if not a.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _flatten(ins, a):
    x = ins[0]
    ax = a.get("axis", 1) % (x.dim() or 1) if x.dim() else 0
    lead = int(np.prod(x.shape[:ax]))
    return x.reshape(lead, -1)


def _split(ins, a):
    x = ins[0]
    ax = _axis(a, x.dim(), 0)
    if len(ins) > 1 and ins[1] is not None:
        sizes = _ints(ins[1])
    elif "split" in a:
        sizes = list(a["split"])
    else:
        n = a["num_outputs"]
        step = -(-x.shape[ax] // n)
        sizes = [min(step, x.shape[ax] - i * step) for i in range(n)]
    return list(tt.split(x, sizes, ax))


def _squeeze(ins, a):
    axes = a.get("axes") or (_ints(ins[1]) if len(ins) > 1 and ins[1] is not None else None)
    x = ins[0]
    if axes is None:
        return x.squeeze()
    for ax in sorted((ax % x.dim() for ax in axes), reverse=True):
        x = x.squeeze(ax)
    return x


def _unsqueeze(ins, a):
    axes = a.get("axes") or _ints(ins[1])
    x = ins[0]
    rank = x.dim() + len(axes)
    for ax in sorted(ax % rank for ax in axes):
        x = x.unsqueeze(ax)
    return x


def _slice(ins, a):
    x = ins[0]
    starts, ends = _ints(ins[1]), _ints(ins[2])
    axes = _ints(ins[3]) if len(ins) > 3 and ins[3] is not None else range(len(starts))
    steps = _ints(ins[4]) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    idx = [slice(None)] * x.dim()
    flips = []
    for s, e, ax, st in zip(starts, ends, axes, steps):
        ax %= x.dim()
        n = x.shape[ax]
        if st > 0:
            idx[ax] = slice(max(min(s, n), -n), max(min(e, n), -n - 1) if e < 0 else min(e, n), st)
        else:  # a negative step: slice forward, then flip
            lo, hi, _ = slice(s, e, st).indices(n)
            picked = list(range(lo, hi, st))
            idx[ax] = slice(picked[-1], picked[0] + 1, -st) if picked else slice(0, 0)
            flips.append(ax)
    y = x[tuple(idx)]
    return y.flip(flips) if flips else y


def _gather(ins, a):
    x, idx = ins[0], ins[1]
    ax = _axis(a, x.dim(), 0)
    i = idx.long() if isinstance(idx, tt.Tensor) else tt.tensor(np.asarray(idx, np.int64))
    i = tt.where(i < 0, i + x.shape[ax], i)
    return x[(slice(None),) * ax + (i,)]


def _expand(ins, a):
    shape = np.broadcast_shapes(tuple(ins[0].shape), tuple(_ints(ins[1])))
    return ins[0].expand(*shape)


def _clip(ins, a):
    lo = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("min")
    hi = ins[2] if len(ins) > 2 and ins[2] is not None else a.get("max")
    lo = None if lo is None else float(_np(lo))
    hi = None if hi is None else float(_np(hi))
    return tt.clamp(ins[0], lo, hi)


def _pads_to_torch(pads, nd):
    """ONNX [b1..bn, e1..en] over the last nd dims -> F.pad's (left, right) last dim first."""
    begins, ends = pads[:nd], pads[nd:]
    out = []
    for b, e in zip(reversed(begins), reversed(ends)):
        out += [b, e]
    return out


def _conv(transpose):
    def run(ins, a):
        x, w = ins[0], ins[1]
        b = ins[2] if len(ins) > 2 else None
        nd = w.dim() - 2
        pads = list(a.get("pads", [0] * 2 * nd))
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise NotImplementedError("tinytensor.onnx.load: Conv auto_pad is not supported")
        kw = dict(
            stride=a.get("strides", 1), dilation=a.get("dilations", 1), groups=a.get("group", 1)
        )
        if transpose:
            if pads[:nd] != pads[nd:]:
                raise NotImplementedError("ConvTranspose with asymmetric pads")
            fn = getattr(F, f"conv_transpose{nd}d")
            return fn(x, w, b, padding=pads[:nd], output_padding=a.get("output_padding", 0), **kw)
        if pads[:nd] != pads[nd:]:
            x = F.pad(x, _pads_to_torch(pads, nd))
            pads = [0] * 2 * nd
        return getattr(F, f"conv{nd}d")(x, w, b, padding=pads[:nd], **kw)

    return run


def _pool(kind):
    def run(ins, a):
        x = ins[0]
        nd = x.dim() - 2
        k = a["kernel_shape"]
        pads = list(a.get("pads", [0] * 2 * nd))
        if pads[:nd] != pads[nd:]:
            raise NotImplementedError(f"{kind}Pool with asymmetric pads")
        kw = dict(
            stride=a.get("strides", 1), padding=pads[:nd], ceil_mode=bool(a.get("ceil_mode", 0))
        )
        if kind == "Max":
            return getattr(F, f"max_pool{nd}d")(x, k, dilation=a.get("dilations", 1), **kw)
        return getattr(F, f"avg_pool{nd}d")(
            x, k, count_include_pad=bool(a.get("count_include_pad", 0)), **kw
        )

    return run


def _global_pool(kind):
    def run(ins, a):
        x = ins[0]
        dims = tuple(range(2, x.dim()))
        return x.mean(dims, keepdim=True) if kind == "Average" else x.amax(dims, keepdim=True)

    return run


def _batch_norm(ins, a):
    x, scale, bias, mean, var = ins[:5]
    return F.batch_norm(x, mean, var, scale, bias, training=False, eps=a.get("epsilon", 1e-5))


def _layer_norm(ins, a):
    x, scale = ins[0], ins[1]
    bias = ins[2] if len(ins) > 2 else None
    ax = a.get("axis", -1) % x.dim()
    return F.layer_norm(x, tuple(x.shape[ax:]), scale, bias, a.get("epsilon", 1e-5))


def _pad(ins, a):
    x = ins[0]
    pads = _ints(ins[1])
    value = float(_np(ins[2])) if len(ins) > 2 and ins[2] is not None else 0.0
    r = x.dim()
    mode = a.get("mode", "constant")
    mode = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}[
        mode.decode() if isinstance(mode, bytes) else mode
    ]
    first = next((i for i in range(r) if pads[i] or pads[r + i]), r)
    nd = r - first
    return F.pad(x, _pads_to_torch(pads[first:r] + pads[r + first :], nd), mode, value)


def _resize(ins, a):
    x = ins[0]
    mode = a.get("mode", "nearest")
    ctm = a.get("coordinate_transformation_mode", "half_pixel")
    if len(ins) > 3 and ins[3] is not None:
        size = _ints(ins[3])[2:]
        kw = dict(size=size)
    else:
        kw = dict(scale_factor=[float(s) for s in _np(ins[2])[2:]])
    if mode == "nearest":
        return F.interpolate(x, mode="nearest", **kw)
    names = {3: "linear", 4: "bilinear", 5: "trilinear"}
    return F.interpolate(x, mode=names[x.dim()], align_corners=ctm == "align_corners", **kw)


def _cast(ins, a):
    return ins[0].to(_DTYPES[a["to"]])


_DTYPES = {
    1: tt.float32,
    2: tt.uint8,
    3: tt.int8,
    5: tt.int16,
    6: tt.int32,
    7: tt.int64,
    9: tt.bool,
    11: tt.float64,
}


def _softmax(fn):
    return lambda ins, a: fn(ins[0], a.get("axis", -1))


def _hard_sigmoid(ins, a):
    return tt.clamp(ins[0] * a.get("alpha", 0.2) + a.get("beta", 0.5), 0.0, 1.0)


def _shrink(ins, a):
    x, lambd, bias = ins[0], a.get("lambd", 0.5), a.get("bias", 0.0)
    return tt.where(x < -lambd, x + bias, tt.where(x > lambd, x - bias, x * 0))


def _prelu(ins, a):
    x, slope = ins
    return tt.where(x < 0, x * slope, x)


def _where(ins, a):
    return tt.where(ins[0], ins[1], ins[2])


def _is_inf(ins, a):
    x = ins[0]
    pos, neg = a.get("detect_positive", 1), a.get("detect_negative", 1)
    return (x == float("inf")) & bool(pos) | (x == float("-inf")) & bool(neg)


def _cum_sum(ins, a):
    x, ax = ins[0], int(_ints(ins[1])[0])
    if a.get("exclusive", 0) or a.get("reverse", 0):
        raise NotImplementedError("tinytensor.onnx.load: CumSum exclusive/reverse")
    return tt.cumsum(x, ax % x.dim())


def _constant(ins, a):
    return tt.tensor(a["value"])


OPS = {
    "Identity": _unary(lambda x: x),
    "Add": lambda ins, a: ins[0] + ins[1],
    "Sub": lambda ins, a: ins[0] - ins[1],
    "Mul": lambda ins, a: ins[0] * ins[1],
    "Div": lambda ins, a: ins[0] / ins[1],
    "Pow": lambda ins, a: ins[0] ** ins[1],
    "Max": lambda ins, a: tt.maximum(ins[0], ins[1]),
    "Min": lambda ins, a: tt.minimum(ins[0], ins[1]),
    "Greater": lambda ins, a: ins[0] > ins[1],
    "Less": lambda ins, a: ins[0] < ins[1],
    "Equal": lambda ins, a: ins[0] == ins[1],
    "Not": _unary(lambda x: ~x),
    "And": lambda ins, a: ins[0] & ins[1],
    "Or": lambda ins, a: ins[0] | ins[1],
    "IsInf": _is_inf,
    "CumSum": _cum_sum,
    "Tile": lambda ins, a: ins[0].repeat(*_ints(ins[1])),
    "Neg": _unary(lambda x: -x),
    "Exp": _unary(tt.exp),
    "Log": _unary(tt.log),
    "Sqrt": _unary(tt.sqrt),
    "Reciprocal": _unary(tt.reciprocal),
    "Abs": _unary(tt.abs),
    "Sin": _unary(tt.sin),
    "Cos": _unary(tt.cos),
    "Tanh": _unary(tt.tanh),
    "Sigmoid": _unary(tt.sigmoid),
    "Relu": _unary(tt.relu),
    "Erf": _unary(tt.erf),
    "Sign": _unary(tt.sign),
    "Softplus": _unary(F.softplus),
    "Softsign": _unary(F.softsign),
    "HardSwish": _unary(F.hardswish),
    "HardSigmoid": _hard_sigmoid,
    "LeakyRelu": lambda ins, a: F.leaky_relu(ins[0], a.get("alpha", 0.01)),
    "Elu": lambda ins, a: F.elu(ins[0], a.get("alpha", 1.0)),
    "Celu": lambda ins, a: F.celu(ins[0], a.get("alpha", 1.0)),
    "Selu": _unary(F.selu),
    "PRelu": _prelu,
    "Shrink": _shrink,
    "Clip": _clip,
    "Where": _where,
    "Softmax": _softmax(F.softmax),
    "LogSoftmax": _softmax(F.log_softmax),
    "Gemm": _gemm,
    "MatMul": lambda ins, a: ins[0] @ ins[1],
    "Transpose": lambda ins, a: ins[0].permute(*(a.get("perm") or range(ins[0].dim())[::-1])),
    "Reshape": _reshape,
    "Flatten": _flatten,
    "Concat": lambda ins, a: tt.cat(list(ins), a["axis"]),
    "Split": _split,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Slice": _slice,
    "Gather": _gather,
    "GatherElements": lambda ins, a: tt.gather(ins[0], a.get("axis", 0), ins[1].long()),
    "Expand": _expand,
    "Shape": lambda ins, a: tt.tensor(list(ins[0].shape), dtype=tt.int64),
    "Cast": _cast,
    "Constant": _constant,
    "ReduceSum": _reduce(lambda x, d, k: x.sum(d, keepdim=k)),
    "ReduceMean": _reduce(lambda x, d, k: x.mean(d, keepdim=k)),
    "ReduceMax": _reduce(lambda x, d, k: x.amax(d, keepdim=k)),
    "ReduceMin": _reduce(lambda x, d, k: x.amin(d, keepdim=k)),
    "ReduceLogSumExp": _reduce(lambda x, d, k: tt.logsumexp(x, d, keepdim=k)),
    "Conv": _conv(False),
    "ConvTranspose": _conv(True),
    "MaxPool": _pool("Max"),
    "AveragePool": _pool("Average"),
    "GlobalAveragePool": _global_pool("Average"),
    "GlobalMaxPool": _global_pool("Max"),
    "BatchNormalization": _batch_norm,
    "InstanceNormalization": lambda ins, a: F.instance_norm(
        ins[0], weight=ins[1], bias=ins[2], eps=a.get("epsilon", 1e-5)
    ),
    "LayerNormalization": _layer_norm,
    "Pad": _pad,
    "DepthToSpace": lambda ins, a: F.pixel_shuffle(ins[0], a["blocksize"]),
    "Resize": _resize,
}
