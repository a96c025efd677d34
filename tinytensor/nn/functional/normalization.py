"""Normalisation layers' math: batch/layer/group/instance/rms norm, local_response_norm, normalize.

Composed from tinytensor ops, so every order of gradient comes for free.
"""

from __future__ import annotations

import numpy as np

from tinytensor._namespace.conventions import write_out
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.primitive import Primitive, tracing
from tinytensor.core import bump_version, wrap
from tinytensor.nn.functional._util import float_input, saves
from tinytensor.nn.functional.layer_norm_kernels import (
    layer_norm_grad_into,
    layer_norm_grad_kernel,
    layer_norm_into,
    layer_norm_kernel,
)
from tinytensor.ops.pad import pad


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """`f(x) = (x - mean)/sqrt(var + eps)*weight + bias` per channel (dim 1).

    Training uses the batch's statistics (biased variance) and, if running buffers are
    given, updates them in place: `r = (1 - momentum)*r + momentum*stat` (unbiased variance).
    Evaluation uses the running statistics.
    """
    x = float_input(input, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input (N, C, ...), got {x.shape}")
    c = x.shape[1]
    shape = (1, c) + (1,) * (x.ndim - 2)
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):  # fmt: skip
        if t is not None and t.shape != (c,):
            raise RuntimeError(
                f"batch_norm: {name} must have shape ({c},) for input {tuple(x.shape)}, got "
                f"{tuple(t.shape)}"
            )
    axes = (0,) + tuple(range(2, x.ndim))
    if training:
        count = x.numel() // c
        if count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {tuple(x.shape)}"
            )
        mean = x.mean(axes, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(axes, keepdim=True)
        if running_mean is not None or running_var is not None:
            _update_running_stats(running_mean, running_var, mean, var, momentum, count)
        # As PyTorch's kernel: the running buffers change in place without a version bump (they
        # are saved for backward, so a network that runs this layer twice before one backward,
        # a siamese one, must not be told its statistics were modified in place).
        out = centered * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "batch_norm: running_mean and running_var are needed when training=False"
            )
        rm, rv = RUNNING_STATS.compute(
            (running_mean, running_var),
            (running_mean._data, running_var._data),
            {"shape": shape, "dtype": x._data.dtype},
        )
        out = (x - wrap(rm)) * (wrap(rv) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    # PyTorch's native_batch_norm saves input, weight and both running buffers.
    return saves(out, "NativeBatchNorm", x, weight, running_mean, running_var)


def _update_running_stats(running_mean, running_var, mean, var, momentum, count):
    """`r = (1 - momentum)*r + momentum*stat` (unbiased variance) in the buffers' own storage,
    by a kernel: a replay repeats the update (the kernel's results are the buffers' arrays)."""
    bufs = (running_mean, running_var)
    UPDATE_RUNNING_STATS.compute(
        bufs,
        (None if running_mean is None else running_mean._data,
         None if running_var is None else running_var._data, mean._data, var._data),
        {"momentum": momentum, "count": count},
    )  # fmt: skip


def _update_running_stats_kernel(rm, rv, mean, var, *, momentum, count):
    """Writes into ``rm`` and ``rv`` (either may be None) and returns the ones it wrote."""
    out = []
    if rm is not None:
        m = rm.dtype.type(momentum)
        rm *= 1 - m
        rm += m * mean.reshape(rm.shape[0]).astype(rm.dtype)
        out.append(rm)
    if rv is not None:
        m = rv.dtype.type(momentum)
        unbiased = var.reshape(rv.shape[0]) * (count / (count - 1))
        rv *= 1 - m
        rv += m * unbiased.astype(rv.dtype)
        out.append(rv)
    return tuple(out)


def _instance_update_kernel(rm, rv, mean, var, *, momentum, count, shape):
    """Instance norm's update: the batch average of the per-instance statistics (unbiased
    variance), written into ``rm`` and ``rv`` (either may be None); returns those written."""
    out = []
    for buf, stat in ((rm, mean), (rv, var * count / (count - 1))):
        if buf is not None:
            m = buf.dtype.type(momentum)
            buf *= 1 - m
            buf += m * stat.reshape(shape).mean(0).astype(buf.dtype)
            out.append(buf)
    return tuple(out)


def _running_stats_kernel(rm, rv, *, shape, dtype):
    return rm.reshape(shape).astype(dtype), rv.reshape(shape).astype(dtype)


def count_batch(counter):
    """Add 1 to an integer counter buffer in place (batch norm's ``num_batches_tracked``), by a
    kernel writing into its storage, so a compiled replay counts too; returns the counter.
    As PyTorch's ``add_`` on the buffer under no_grad, without a version bump."""
    COUNT_BATCH.compute((counter,), (counter._data,))
    return counter


def _count_kernel(c):
    c += 1
    return c


COUNT_BATCH = Primitive("CountBatch", _count_kernel, mutates=True)  # writes into its argument


# Batch norm's running statistics: the in-place update in training (no gradient; its results
# are the buffers' own arrays, so a compiler must keep the step although nothing reads them),
# and the buffers read as the input's dtype and broadcast shape in evaluation.
UPDATE_RUNNING_STATS = Primitive(
    "BatchNormUpdateStats", _update_running_stats_kernel, multi=True, mutates=True
)
RUNNING_STATS = Primitive("BatchNormRunningStats", _running_stats_kernel, multi=True)
INSTANCE_UPDATE_STATS = Primitive(
    "InstanceNormUpdateStats", _instance_update_kernel, multi=True, mutates=True
)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """`f(x) = (x - mean)/sqrt(var + eps)*weight + bias` over the last len(normalized_shape) dims"""
    x = float_input(input, "layer_norm")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or x.shape[x.ndim - k :] != normalized_shape or k > x.ndim:
        raise RuntimeError(
            f"layer_norm: normalized_shape {normalized_shape} must match the last dims of the "
            f"input, got input of shape {tuple(x.shape)}"
        )
    axes = tuple(range(x.ndim - k, x.ndim))
    # One node, as PyTorch's native_layer_norm, instead of nine ops and a ``saves`` node: about
    # half of a transformer layer norm's forward and backward.
    inputs = (x, weight, bias)
    attrs = {"axes": axes, "eps": eps}
    out, mu, rstd = LAYER_NORM.compute(
        inputs,
        (x._data, None if weight is None else weight._data, None if bias is None else bias._data),
        attrs,
    )
    saved = (x, weight, bias, wrap(mu), wrap(rstd), axes, eps)
    return LAYER_NORM.record(wrap(out), inputs, saved, attrs)


def _layer_norm_backward(g, x, w, b, mu, rstd, axes, eps):
    """`dxhat = g*w;  dx = rstd*(dxhat - mean(dxhat) - xhat*mean(dxhat*xhat))`,
    `dw = g*xhat,  db = g` summed over the leading dims (`xhat = (x - mean)*rstd`; by the
    first-order kernel for parameters of the normalised shape, else by the engine)"""
    if not grad_state.enabled or tracing():  # first order: one kernel from the statistics
        wd = None if w is None else w._data
        # Parameters of the normalised shape (always, in PyTorch) get their gradients summed
        # by the kernel; others (a broadcasting shape) are summed by the engine.
        trail = x.shape[x.ndim - len(axes) :]
        sums = all(p is None or p.shape == trail for p in (w, b))
        res = LAYER_NORM_GRAD.compute(
            (g, x, w, mu, rstd),
            (g._data, x._data, wd, mu._data, rstd._data),
            {"axes": axes, "sums": sums},
        )
        dw = None if w is None else wrap(res[1])
        db = None if b is None else (wrap(res[2]) if sums else g)
        return wrap(res[0]), dw, db
    # create_graph: the statistics as ops on x, for higher orders
    centered = x - x.mean(axes, keepdim=True)
    rstd = ((centered * centered).mean(axes, keepdim=True) + eps).rsqrt()
    xhat = centered * rstd
    dxhat = g if w is None else g * w
    mean_d = dxhat.mean(axes, keepdim=True)
    dx = rstd * (dxhat - mean_d - xhat * (dxhat * xhat).mean(axes, keepdim=True))
    return dx, (None if w is None else g * xhat), (None if b is None else g)


LAYER_NORM = Primitive(
    "NativeLayerNorm", layer_norm_kernel, _layer_norm_backward, multi=True, into=layer_norm_into
)
# No rule of its own: a backward that builds a graph takes the composite path above.
LAYER_NORM_GRAD = Primitive(
    "NativeLayerNormBackward", layer_norm_grad_kernel, multi=True, into=layer_norm_grad_into
)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """f(x) = x normalised over each group of C/num_groups channels (and all spatial dims)"""
    x = float_input(input, "group_norm")
    n, c = x.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"group_norm: {c} channels are not divisible into {num_groups} groups")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(
                f"group_norm: input of shape {tuple(x.shape)} has {c} channels but {name} has "
                f"shape {tuple(t.shape)}; expected {c} entries"
            )
    g = x.reshape(n, num_groups, -1)
    mean = g.mean(-1, keepdim=True)
    centered = g - mean
    var = (centered * centered).mean(-1, keepdim=True)
    out = (centered * (var + eps).rsqrt()).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return saves(out, "NativeGroupNorm", x, weight)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """f(x) = x / max(||x||_p, eps) along dim; ``out=`` receives the result (not recorded for
    autograd, so an input that requires grad is an error in grad mode, as with every out=)"""
    x = float_input(input, "normalize")
    if out is not None and grad_state.enabled and x.requires_grad:
        raise RuntimeError(
            "normalize(): functions with out=... arguments don't support automatic "
            "differentiation, but the input requires grad. Call it without out= "
            "(or under tinytensor.no_grad())."
        )
    result = x / x.norm(p, dim, keepdim=True).clamp(min=eps)
    return result if out is None else write_out(result, out, "normalize")


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """`f(x) = (x - mean)/sqrt(var + eps)*weight + bias`, statistics per sample and channel.

    With ``use_input_stats`` the running buffers (if given) are updated in place with the
    batch average of the per-instance statistics (unbiased variance); without, they are used.
    """
    x = float_input(input, "instance_norm")
    if x.ndim < 3:
        raise ValueError(
            f"instance_norm: expected input (N, C, *) with spatial dims, got {x.shape}"
        )
    n, c = x.shape[:2]
    axes = tuple(range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if use_input_stats:
        count = x.numel() // (n * c)
        if count <= 1:
            raise ValueError(
                f"instance_norm: expected more than 1 spatial element when training, got input "
                f"of shape {tuple(x.shape)}"
            )
        mean = x.mean(axes, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(axes, keepdim=True)
        if running_mean is not None or running_var is not None:
            bufs = (running_mean, running_var)
            INSTANCE_UPDATE_STATS.compute(
                bufs,
                (*(None if b is None else b._data for b in bufs), mean._data, var._data),
                {"momentum": momentum, "count": count, "shape": (n, c)},
            )
            for buf in bufs:  # as PyTorch (a copy_ into the buffers): a version bump
                if buf is not None:
                    bump_version(buf)
        out = centered * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm: use_input_stats=False needs running_mean and var")
        rm, rv = RUNNING_STATS.compute(
            (running_mean, running_var),
            (running_mean._data, running_var._data),
            {"shape": shape, "dtype": x._data.dtype},
        )
        out = (x - wrap(rm)) * (wrap(rv) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    # PyTorch runs batch_norm on a view of the input (weight and stats are repeated copies).
    return saves(out, "NativeBatchNorm", x)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """`f(x) = x/sqrt(mean(x^2) + eps)*weight` over the last len(normalized_shape) dims;
    eps defaults to the dtype's machine epsilon"""
    x = float_input(input, "rms_norm")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or k > x.ndim or tuple(x.shape[x.ndim - k :]) != normalized_shape:
        raise RuntimeError(
            f"rms_norm: normalized_shape {normalized_shape} must match the last dims of the "
            f"input, got input of shape {tuple(x.shape)}"
        )
    if eps is None:
        eps = float(np.finfo(x._data.dtype).eps)
    axes = tuple(range(x.ndim - k, x.ndim))
    out = x * ((x * x).mean(axes, keepdim=True) + eps).rsqrt()
    if weight is not None:
        out = out * weight
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """`f(x) = x / (k + alpha*mean(x^2 over size neighbouring channels, zero padded))^beta`"""
    x = float_input(input, "local_response_norm")
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {x.ndim} dimensions)")
    if x.numel() == 0:
        return x
    c = x.shape[1]
    sq = x * x
    pads = [0, 0] * (x.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, pads)
    total = padded[:, 0:c]
    for i in range(1, size):
        total = total + padded[:, i : i + c]
    div = (total * (alpha / size) + k) ** beta
    return x / div
