"""softmax and log_softmax along one dimension (``tt.softmax``, ``Tensor.softmax``;
``nn.functional`` adds its implicit-dim warning on top). Both save only their output, as PyTorch
does."""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.ops import explog as EL
from tinytensor.ops._util import FP_SIGNALS, as_tensor, one_dim, quiet_module
from tinytensor.ops.cast import cast

quiet_module(__name__)  # the kernels run bare: see ops/_util.py


def _input(input, dim, dtype, name):
    x = as_tensor(input, name)
    if dtype is not None:
        x = cast(x, D.to_dtype(dtype))
    if x._data.dtype.kind != "f":
        raise TypeError(
            f"{name}: expected a floating point input, got dtype {x.dtype}; convert it with "
            ".float() or pass dtype="
        )
    return x, one_dim(dim, x.ndim, name)


def softmax(input, dim, dtype=None):
    """`f(x) = e^x / sum(e^x)` along dim;  `dx = f*(g - sum(g*f))`"""
    x, ax = _input(input, dim, dtype, "softmax")
    return SOFTMAX.apply((x,), (x._data,), (OUT, ax), {"dim": ax})


def _softmax_kernel(d, dim):
    if d.dtype == np.float16:  # in float32, rounded once, as PyTorch's half kernel
        return _softmax_kernel(d.astype(np.float32), dim).astype(np.float16)
    try:  # inf and NaN inputs give NaN silently, as in PyTorch
        return _softmax_np(d, dim)
    except FP_SIGNALS:
        with np.errstate(all="ignore"):
            return _softmax_np(d, dim)


def _softmax_np(d, ax):
    if not d.size:
        return d.copy()
    # The ufuncs' reduce, not np.max/np.sum: the same reductions, from this module's frames.
    e = np.exp(d - np.maximum.reduce(d, axis=ax, keepdims=True))
    return e / np.add.reduce(e, axis=ax, keepdims=True)


def _log_softmax_np(d, ax):
    shifted = d - np.maximum.reduce(d, axis=ax, keepdims=True)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=ax, keepdims=True))


def _softmax_backward(g, out, ax):
    return (out * (g - (g * out).sum(ax, keepdim=True)),)


SOFTMAX = Primitive("Softmax", _softmax_kernel, _softmax_backward)


def log_softmax(input, dim, dtype=None):
    """`f(x) = x - logsumexp(x)` along dim;  `dx = g - e^f * sum(g)`"""
    x, ax = _input(input, dim, dtype, "log_softmax")
    return LOG_SOFTMAX.apply((x,), (x._data,), (OUT, ax), {"dim": ax})


def _log_softmax_kernel(d, dim):
    if not d.size:
        return d.copy()
    try:  # as in softmax (cross_entropy's fast path runs this on every call)
        return _log_softmax_np(d, dim)
    except FP_SIGNALS:
        with np.errstate(all="ignore"):
            return _log_softmax_np(d, dim)


def _log_softmax_backward(g, out, ax):
    return (g - EL.exp(out) * g.sum(ax, keepdim=True),)


LOG_SOFTMAX = Primitive("LogSoftmax", _log_softmax_kernel, _log_softmax_backward)
