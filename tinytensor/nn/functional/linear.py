"""Affine maps: ``linear`` (and ``bilinear``)."""

from __future__ import annotations

import functools
import math

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.nn.functional._util import column_sums, float_input, same_dtype
from tinytensor.ops._util import FP_SIGNALS, quiet_module
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.linalg.products import einsum

quiet_module(__name__)  # the kernels below run bare: see _quiet


def _quiet(kernel):
    """``kernel`` with NaN and inf following IEEE silently, as in PyTorch: it runs bare (this
    module's RuntimeWarnings are ignored; ``np.errstate`` would cost as much as a small bias
    sum), and again under ``errstate(all="ignore")`` where the caller made warnings errors or
    set NumPy to raise. Every kernel here makes fresh arrays or first overwrites the whole of
    the ``out`` it was given (an ``into``), so running again is safe."""

    @functools.wraps(kernel)
    def run(*args, **attrs):
        try:
            return kernel(*args, **attrs)
        except FP_SIGNALS:
            with np.errstate(all="ignore"):
                return kernel(*args, **attrs)

    return run


def linear(input, weight, bias=None):
    """f(x, W, b) = x @ W^T + b;  dx = g @ W,  dW = g^T @ x,  db = sum of g (over all leading
    dims)"""
    x = float_input(input, "linear")
    w = float_input(weight, "linear", "weight")
    if bias is not None:
        bias = float_input(bias, "linear", "bias")
    same_dtype("linear", input=x, weight=w, bias=bias)
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise RuntimeError(
            f"linear: input of shape {tuple(x.shape)} cannot be multiplied by weight of shape "
            f"{tuple(w.shape)} (weight is (out_features, in_features), so the input's last dim "
            f"must be {w.shape[-1] if w.ndim == 2 else '?'})"
        )
    out_f = w.shape[0]
    if bias is not None and bias.shape not in ((out_f,), ()):
        raise RuntimeError(f"linear: bias must have shape ({out_f},), got {tuple(bias.shape)}")
    # As PyTorch's addmm/matmul: x is saved only for dW and W only for dx, so changing the
    # other in place after the forward pass is allowed.
    return LINEAR.apply(
        (x, w, bias),
        (x._data, w._data, None if bias is None else bias._data),
        (x if _rg(w) else None, w if _rg(x) else None),
    )


def _linear_kernel(x, w, b):
    return _linear_into(None, x, w, b)


def _linear_into(out, x, w, b):
    """`x @ W^T + b`, the batch dims folded into one GEMM (NumPy loops a 3-D @ 2-D: ~15% of
    W8's time), written into ``out`` (a compiled replay's C-contiguous buffer), or into a new
    array where ``out`` is None (the kernel): ``np.matmul(..., out=)`` takes the same BLAS call
    either way; then the bias added in place."""
    if x.ndim > 2:
        m, n = math.prod(x.shape[:-1]), w.shape[0]
        o = _matmul_wt_into(
            None if out is None else out.reshape(m, n), x.reshape(m, x.shape[-1]), w
        )
        res = o.reshape(x.shape[:-1] + (n,)) if out is None else out
    else:
        res = _matmul_wt_into(out, x, w)
    if b is not None:
        res += b
    return res


_SWAP_MIN_WORK = 1 << 19  # multiply-adds below which the swap's extra copy is not repaid


def _matmul_wt_into(out, x, w):
    """`x @ W^T` for a 1-D or 2-D ``x``, into ``out`` (None: a new array). A float32 product
    with few rows and many more outputs (rows*4 <= out_features, as an MLP's batch of 64 into
    256 units) runs as `(W @ x^T)^T` and is copied to C order: OpenBLAS's sgemm takes the long
    operand first ~15% (64 rows) to ~45% (16 rows) faster, and sums each element in the same
    order (bitwise equal results with this machine's OpenBLAS). float64 and tall products keep
    `x @ W^T`, as fast or faster there."""
    m, n = x.shape[0], w.shape[0]
    if (
        x.ndim == 2
        and x.dtype == _F32
        and w.dtype == _F32
        and 8 <= m
        and 4 * m <= n
        and m * n * x.shape[1] >= _SWAP_MIN_WORK
    ):
        t = (w @ x.T).T
        if out is None:
            return np.ascontiguousarray(t)
        np.copyto(out, t)
        return out
    return np.matmul(x, w.T, out=out)


_F32 = np.dtype(np.float32)


def _linear_backward(g, x, w, *, needs):
    """dx = g @ W,  dW = g^T @ x (leading dims flattened),  db = g summed over the leading dims
    (a 0-d bias's gradient, the sum of those sums, is left to the engine)"""
    dx = LINEAR_INPUT_GRAD.apply((g, w), (g._data, w._data), (g, w)) if needs[0] else None
    dw = LINEAR_WEIGHT_GRAD.apply((g, x), (g._data, x._data), (g, x)) if needs[1] else None
    if not needs[2]:
        return dx, dw, None
    return dx, dw, bias_grad(g, g.ndim - 1, 0) if g.ndim > 1 else g


def _input_grad_kernel(g, w):
    return _input_grad_into(None, g, w)


def _input_grad_into(out, g, w):
    """`g @ W` over the folded batch dims (a 1-D g stays 1-D: a vector-matrix product), into
    ``out`` (None: a new array)."""
    if g.ndim <= 2:
        return np.matmul(g, w, out=out)
    lead, n = g.shape[:-1], w.shape[1]
    m = math.prod(lead)
    o = np.matmul(g.reshape(m, g.shape[-1]), w, out=None if out is None else out.reshape(m, n))
    return o.reshape(lead + (n,)) if out is None else out


def _input_grad_backward(gg, g, w, *, needs):
    """`f(g, W) = g @ W`: dg = linear(gg, W) (no bias),  dW = weight_grad(g, gg)"""
    return (
        LINEAR.apply((gg, w, None), (gg._data, w._data, None), (gg, w)) if needs[0] else None,
        LINEAR_WEIGHT_GRAD.apply((g, gg), (g._data, gg._data), (g, gg)) if needs[1] else None,
    )


def _weight_grad_kernel(g, x):
    return _weight_grad_into(None, g, x)


def _weight_grad_into(out, g, x):
    """`g^T @ x` over the folded batch dims (not -1: a zero-size dim leaves it ambiguous),
    into ``out`` (None: a new array)."""
    if g.ndim == 2:
        return np.matmul(g.T, x, out=out)
    m = math.prod(g.shape[:-1])
    return np.matmul(g.reshape(m, g.shape[-1]).T, x.reshape(m, x.shape[-1]), out=out)


def _weight_grad_backward(gw, g, x, *, needs):
    """`f(g, x) = g^T @ x`: dg = linear(x, gw) (no bias),  dx = input_grad(g, gw)"""
    return (
        LINEAR.apply((x, gw, None), (x._data, gw._data, None), (x, gw)) if needs[0] else None,
        LINEAR_INPUT_GRAD.apply((g, gw), (g._data, gw._data), (g, gw)) if needs[1] else None,
    )


LINEAR = Primitive(
    "Linear", _quiet(_linear_kernel), _linear_backward, into=_quiet(_linear_into)
)
LINEAR_INPUT_GRAD = Primitive(
    "LinearInputGrad", _quiet(_input_grad_kernel), _input_grad_backward,
    into=_quiet(_input_grad_into),
)  # fmt: skip
LINEAR_WEIGHT_GRAD = Primitive(
    "LinearWeightGrad", _quiet(_weight_grad_kernel), _weight_grad_backward,
    into=_quiet(_weight_grad_into),
)  # fmt: skip


def bias_grad(g, lead, trail):
    """The gradient of a bias that was broadcast over the first ``lead`` and the last ``trail``
    dims of an output whose gradient is ``g``: ``g`` summed over those dims (a linear layer's
    ``lead = g.ndim - 1, trail = 0``; a convolution's ``lead = 1, trail =`` its spatial dims).

    One primitive instead of the engine's general sum: the leading dims are summed by BLAS
    matrix-vector products with ones (2-3x faster than NumPy's sum over the outer axes alone,
    ~30% inside the W4 and W8 training steps)."""
    return BIAS_GRAD.apply((g,), (g._data,), (g.shape, lead, trail), {"lead": lead, "trail": trail})


def _bias_grad_kernel(gd, *, lead, trail):
    """``gd`` summed over its first ``lead`` and last ``trail`` dims: the leading ones by
    ``column_sums``, then the trailing ones (a small array by now) by NumPy's pairwise sum. Other
    dtypes, strided or empty gradients take NumPy's sum over the same axes."""
    nd, shape = gd.ndim, gd.shape
    if gd.dtype in _BLAS_DTYPES and gd.flags.c_contiguous and gd.size:
        m = shape[0] if lead == 1 else math.prod(shape[:lead])
        a = gd.reshape(m, gd.size // m)
        rows = column_sums(a)
        if not trail:
            return rows.reshape(shape[lead:])
        keep = shape[lead : nd - trail]
        rows = np.add.reduce(rows.reshape(math.prod(keep), -1), axis=1)
        return rows.reshape(keep)
    axes = (*range(lead), *range(nd - trail, nd))
    return np.add.reduce(gd, axis=axes) if axes else gd.copy()


_BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _bias_grad_backward(gg, shape, lead, trail):
    """``f(g) = sum of g over the bias's broadcast dims``: dg = gg broadcast back"""
    view = (1,) * lead + shape[lead : len(shape) - trail] + (1,) * trail
    return (gg.reshape(view).expand(shape),)


BIAS_GRAD = Primitive("BiasGrad", _quiet(_bias_grad_kernel), _bias_grad_backward)


def bilinear(input1, input2, weight, bias=None):
    """f(x1, x2) = x1^T W_k x2 + b_k for each output k"""
    if (
        weight.ndim != 3
        or input1.shape[-1:] != weight.shape[1:2]
        or input2.shape[-1:] != weight.shape[2:3]
    ):
        raise RuntimeError(
            f"bilinear: inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)} do not "
            f"fit weight of shape {tuple(weight.shape)} (out_features, in1_features, "
            "in2_features)"
        )
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
