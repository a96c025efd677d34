"""Fractional max pooling (Graham, 2014), ``adaptive_max_pool*_with_indices`` and the
``grid_sample`` mode tables.

Each (sample, channel) plane gets pseudo-random window starts from one number u in [0, 1)
per spatial axis: with `alpha = (in - k)/(out - 1), start_i = int((i + u)*alpha) - int(u*alpha)`
for `i < out - 1 and start_{out-1} = in - k`, computed in the input's dtype as PyTorch does.
The u values come from the global generator unless ``_random_samples`` (N, C, nd) is given.
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.nn.functional._util import float_input
from tinytensor.nn.functional.pooling import (
    _put_backward_of_max,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
)
from tinytensor.ops.random import rand
from tinytensor.tensor import Tensor

#: ``grid_sample``'s mode names and PyTorch's enum values for them.
GRID_SAMPLE_INTERPOLATION_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
GRID_SAMPLE_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}


def _tuple(v, nd, name, who, kind=int):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = tuple(v) * nd
        if len(v) != nd:
            raise ValueError(f"{who}: {name} must be a single number or a tuple of {nd}, got {v}")
        return tuple(kind(a) for a in v)
    return (kind(v),) * nd


def _starts(u, size, out, k, dt):
    """Window starts for each plane: u (P,) in the input dtype -> (P, out) int64."""
    seq = np.empty(u.shape + (out,), np.int64)
    if out > 1:
        alpha = dt.type(size - k) / dt.type(out - 1)
        i = np.arange(out - 1, dtype=dt)
        a = ((i + u[:, None]) * alpha).astype(np.int64)  # C++ int cast: truncation
        seq[:, :-1] = a - (u * alpha).astype(np.int64)[:, None]
    if out > 0:
        seq[:, -1] = size - k
    return seq


def _fractional(input, kernel_size, output_size, output_ratio, return_indices, samples, nd):
    who = f"fractional_max_pool{nd}d"
    x = float_input(input, who)
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{who}: expected a {nd + 1}-D or {nd + 2}-D input (unbatched or batched), got shape "
            f"{tuple(x.shape)}"
        )
    if output_size is None and output_ratio is None:
        raise ValueError(f"{who} requires specifying either an output_size or an output_ratio")
    k = _tuple(kernel_size, nd, "kernel_size", who)
    sp = x.shape[-nd:]
    if output_size is None:
        ratio = _tuple(output_ratio, nd, "output_ratio", who, float)
        output_size = [int(s * r) for s, r in zip(sp, ratio)]
    out = _tuple(output_size, nd, "output_size", who)
    batched = x.ndim == nd + 2
    n, c = (x.shape[0] if batched else 1), x.shape[-nd - 1]
    for axis, s, o, kk in zip(("time", "height", "width")[3 - nd :], sp, out, k):
        if o + kk - 1 > s:
            raise RuntimeError(
                f"{who}: output_size[{axis}] + kernel_size[{axis}] - 1 = {o + kk - 1} is larger "
                f"than the input's {axis} {s}; use a smaller output_size or kernel_size"
            )
    if samples is None:
        samples = rand(n, c, nd, dtype=x.dtype)
    elif not isinstance(samples, Tensor) or tuple(samples.shape) != (n, c, nd):
        raise RuntimeError(
            f"{who}: _random_samples must have shape ({n}, {c}, {nd}) (batch, channels, one per "
            f"spatial axis), got {getattr(samples, 'shape', type(samples).__name__)}"
        )
    attrs = {"kernel_size": k, "output_size": out}
    res, idx = _FRACTIONAL[nd].compute((x, samples), (x._data, samples._data), attrs)
    indices = wrap(idx)
    saved = (x, indices, tuple(sp))  # the returned indices: changing them breaks backward
    result = _FRACTIONAL[nd].record(wrap(res), (x, samples), saved, attrs)
    return (result, indices) if return_indices else result


def _fractional_kernel(xd, samples, *, kernel_size, output_size):
    """(maxima, flat argmax indices in each plane) over the pseudo-random windows that the
    samples u in [0, 1) place, as PyTorch's kernel (a NaN wins, the last one among NaNs)."""
    k, out = kernel_size, output_size
    nd = len(k)
    batched = xd.ndim == nd + 2
    sp = xd.shape[-nd:]
    xd = xd if batched else xd[None]
    n, c = xd.shape[:2]
    dt = xd.dtype
    u = samples.astype(dt, copy=False).reshape(n * c, nd)
    # PyTorch's sample order: (W, H) for 2-D, (T, H, W) for 3-D.
    order = (1, 0) if nd == 2 else tuple(range(nd))
    starts = [_starts(u[:, order[a]], sp[a], out[a], k[a], dt) for a in range(nd)]
    # Input positions of every window element, per axis: (P, out_a, k_a), broadcast together.
    pos = []
    for a in range(nd):
        p = starts[a][:, :, None] + np.arange(k[a])
        shape = [n * c] + [1] * (2 * nd)
        shape[1 + a], shape[1 + nd + a] = out[a], k[a]
        pos.append(p.reshape(shape))
    flat = pos[0]
    for a in range(1, nd):
        flat = flat * sp[a] + pos[a]
    # sizes spelled out, not -1: a batch of no samples (N = 0) reshapes too
    kk, m = int(np.prod(k)), int(np.prod(sp))
    planes = xd.reshape(n * c, m)
    flat = np.broadcast_to(flat, (n * c, *out, *k)).reshape(n * c, *out, kk)
    vals = np.take_along_axis(planes[:, None, :], flat.reshape(n * c, 1, int(np.prod(out)) * kk), 2)
    vals = vals.reshape(flat.shape)
    nan = np.isnan(vals)
    last_nan = vals.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    arg = np.where(nan.any(-1), last_nan, np.argmax(vals, axis=-1))
    idx = np.take_along_axis(flat, arg[..., None], -1)[..., 0]
    res = np.take_along_axis(vals, arg[..., None], -1)[..., 0]
    shape = (n, c, *out) if batched else (c, *out)
    return res.reshape(shape), idx.reshape(shape)


def _fractional_backward(g, x, indices, size):
    """dx = g put at the argmax of each window (through a batch axis of one if unbatched)"""
    if x.ndim == len(size) + 2:
        return _put_backward_of_max(g, x, indices, size)[0], None
    g, indices = g.unsqueeze(0), indices.unsqueeze(0)  # both batched: put's double backward
    return _put_backward_of_max(g, x, indices, size)[0].squeeze(0), None


_FRACTIONAL = {
    nd: Primitive(f"FractionalMaxPool{nd}D", _fractional_kernel, _fractional_backward, multi=True)
    for nd in (2, 3)
}


def fractional_max_pool2d_with_indices(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
    _random_samples=None,
):  # fmt: skip
    """(values, indices) of ``fractional_max_pool2d``: indices are flat in each `H*W` plane"""
    return _fractional(input, kernel_size, output_size, output_ratio, True, _random_samples, 2)


def fractional_max_pool2d(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
    _random_samples=None,
):  # fmt: skip
    """f(x) = max over pseudo-random (overlapping) kH x kW windows;  dx = g at each argmax"""
    return _fractional(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 2
    )


def fractional_max_pool3d_with_indices(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
    _random_samples=None,
):  # fmt: skip
    """(values, indices) of ``fractional_max_pool3d``: indices are flat in each `T*H*W` volume"""
    return _fractional(input, kernel_size, output_size, output_ratio, True, _random_samples, 3)


def fractional_max_pool3d(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
    _random_samples=None,
):  # fmt: skip
    """f(x) = max over pseudo-random kT x kH x kW windows;  dx = g at each argmax"""
    return _fractional(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 3
    )


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of ``adaptive_max_pool1d``, whatever ``return_indices`` says"""
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of ``adaptive_max_pool2d``, whatever ``return_indices`` says"""
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of ``adaptive_max_pool3d``, whatever ``return_indices`` says"""
    return adaptive_max_pool3d(input, output_size, return_indices=True)
