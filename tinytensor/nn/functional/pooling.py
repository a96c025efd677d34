"""Pooling over 1, 2 or 3 spatial dims, vectorised over every window at once.

Max pooling (fixed or adaptive windows) makes one vectorised pass per kernel offset over all
windows and keeps each window's argmax as a flat index into the input's spatial plane (the
first among ties, as PyTorch). Its gradient adds g back at those indices (overlapping windows
can share one); the put and a take are each other's backward, so every order of gradient
works. Max-unpooling writes at the indices instead (where one repeats, the last write wins, as
in PyTorch), and its gradient is the same take. Average pooling is in ``avg_pooling.py``; the
window passes themselves (general, and the fast one for windows that tile the image) are in
``max_windows.py``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.nn.functional._util import copied_into, float_input
from tinytensor.nn.functional.max_windows import (
    flat_indices,
    max_over,
    max_tiles,
    scatter_tiles,
    tiles,
)
from tinytensor.nn.functional.windowing import ntuple
from tinytensor.ops._util import as_tensor


def _pool_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    o = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1  # the last window must start inside the input or the left padding
    return o


def _check_nd(x, nd, who):
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{who}: expected a {nd + 1}-D (C, *spatial) or {nd + 2}-D (N, C, *spatial) input, "
            f"got shape {tuple(x.shape)}"
        )


def _pool_args(x, nd, kernel_size, stride, padding, dilation, ceil_mode, who):
    k = ntuple(kernel_size, nd, "kernel_size", who)
    empty = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    s = k if empty else ntuple(stride, nd, "stride", who)
    p = ntuple(padding, nd, "padding", who)
    d = ntuple(dilation, nd, "dilation", who)
    if min(k) < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise RuntimeError(  # PyTorch's class ("stride should not be zero", ...)
            f"{who}: kernel_size, stride and dilation must be positive and padding non-negative, "
            f"got kernel_size={k}, stride={s}, padding={p}, dilation={d}"
        )
    if any(2 * p[i] > k[i] for i in range(nd)):
        raise RuntimeError(f"{who}: padding {p} should be at most half of the kernel size {k}")
    sp = x.shape[-nd:]
    o = tuple(_pool_size(sp[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd))
    if min(o) < 1:
        raise RuntimeError(
            f"{who}: output size {o} is too small for input of shape {tuple(x.shape)} with "
            f"kernel_size={k}, stride={s}, padding={p}, dilation={d}"
        )
    return k, s, p, d, o


def _batched(x, nd, fn):
    """Run ``fn`` on x with a batch axis, removing it again from the result(s) if added."""
    if x.ndim == nd + 2:
        return fn(x)
    out = fn(x.unsqueeze(0))
    return tuple(t.squeeze(0) for t in out) if isinstance(out, tuple) else out.squeeze(0)


def _check_dtype(x, who):
    if x._data.dtype.kind not in "fiu":
        raise NotImplementedError(
            f"{who}: not implemented for dtype {x.dtype}; convert the input with .float() or .int()"
        )


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd):
    who = f"max_pool{nd}d"
    x = as_tensor(input, who)
    _check_nd(x, nd, who)
    _check_dtype(x, who)
    prim = _MAX_POOL[nd]

    def run(x):
        k, s, p, d, o = _pool_args(x, nd, kernel_size, stride, padding, dilation, ceil_mode, who)
        attrs = {"kernel_size": k, "stride": s, "padding": p, "dilation": d}
        res = prim.compute(
            (x,), (x._data,), {**attrs, "output_size": o, "with_indices": return_indices}
        )
        indices = wrap(res[2]) if return_indices else None
        # Saved as PyTorch saves them: the input and the indices (also the returned ones), so
        # changing either in place raises; backward routes g through the argmax offsets.
        saved = (x, wrap(res[1]), indices, _Windows(tuple(x.shape[2:]), k, s, d, p))
        result = prim.record(wrap(res[0]), (x,), saved, attrs)
        return (result, indices) if return_indices else result

    return _batched(x, nd, run)


def _max_pool_kernel(xd, *, kernel_size, stride, padding, dilation, output_size, with_indices):
    return _max_pool_into(
        _NONE3 if with_indices else _NONE2, xd, kernel_size=kernel_size, stride=stride,
        padding=padding, dilation=dilation, output_size=output_size, with_indices=with_indices,
    )  # fmt: skip


_NONE2, _NONE3 = (None, None), (None, None, None)  # the kernel's outs: every result made


def _max_pool_into(outs, xd, *, kernel_size, stride, padding, dilation, output_size, with_indices):
    """(max of each window, its argmax kernel offset[, flat index of it in the plane]), each
    written into its array of ``outs`` (a compiled replay's buffers) or, where that is None
    (the kernel: all), made by its pass: windows that tile the image straight into both first
    buffers (``max_tiles``), any other case (or a window holding NaN) by the general pass,
    copied in."""
    positions = [
        np.arange(o)[:, None] * s - p + np.arange(k)[None, :] * d
        for k, s, p, d, o in zip(kernel_size, stride, padding, dilation, output_size)
    ]
    fast = tiles(kernel_size, stride, padding, dilation, output_size, xd.shape[2:])
    given = outs is not _NONE2 and outs is not _NONE3  # (not the kernel's)
    res = None  # None: the general pass (max_tiles gives None for NaN in a window)
    if fast:
        both = given and outs[0] is not None and outs[1] is not None
        res = max_tiles(xd, kernel_size, output_size, out=outs[:2] if both else None)
    if res is None:
        res = max_over(xd, positions, stride)
    if given:
        res = _copied(res, outs)
    if with_indices:
        flat = flat_indices(res[1], positions, xd.shape[2:])
        return (*res, *_copied((flat,), outs[2:])) if given else (*res, flat)
    return res


def _copied(results, outs):
    """``copied_into``, but for a result already written into its buffer (that buffer or a
    view of it: ``max_tiles`` writes its offsets through a bool view)."""
    return copied_into(
        results,
        [None if o is None or np.may_share_memory(r, o) else o for r, o in zip(results, outs)],
    )


def _max_pool_backward(g, x, idx, indices, win):
    return (_scatter_max(g, idx, win),)


_MAX_POOL = {
    nd: Primitive(
        f"MaxPool{nd}D", _max_pool_kernel, _max_pool_backward, multi=True, into=_max_pool_into
    )
    for nd in (1, 2, 3)
}


class _Windows:
    """Where every fixed pooling window lies: input spatial size, kernel, stride, dilation and
    padding (plain numbers; the argmax offsets that go with them are saved as a tensor)."""

    __slots__ = ("size", "k", "s", "d", "p")

    def __init__(self, size, k, s, d, p):
        self.size, self.k, self.s, self.d, self.p = size, k, s, d, p

    def padded(self, o):
        """Padded spatial size: the padding, plus any extra that ceil_mode's last window reads."""
        return tuple(
            max(n + 2 * p, (oo - 1) * s + d * (k - 1) + 1)
            for n, oo, k, s, d, p in zip(self.size, o, self.k, self.s, self.d, self.p)
        )

    def offsets(self, o):
        """(offset number, slice of the padded image that offset reads for every window)."""
        for off, js in enumerate(itertools.product(*(range(k) for k in self.k))):
            yield off, (slice(None), slice(None), *(
                slice(j * d, j * d + s * (oo - 1) + 1, s)
                for j, d, s, oo in zip(js, self.d, self.s, o)
            ))  # fmt: skip

    def inner(self):
        return (slice(None), slice(None), *(slice(p, p + n) for p, n in zip(self.p, self.size)))


def _scatter_max(g, idx, win):
    """f(g) = g placed at each window's argmax, summed onto the input;  dg = gather at argmax"""
    return MAX_POOL_BACKWARD.apply((g,), (g._data, idx._data), (idx, win), {"win": win})


def _scatter_max_kernel(gd, am, *, win):
    return _scatter_max_into(None, gd, am, win=win)


def _scatter_max_backward(gg, idx, win):
    return (_gather_max(gg, idx, win),)


def _gather_max(x, idx, win):
    """f(x) = x at each window's argmax (max pooling with fixed indices);  dx = scatter"""
    return MAX_POOL_GATHER.apply((x,), (x._data, idx._data), (idx, win), {"win": win})


def _gather_max_kernel(xd, am, *, win):
    o = am.shape[2:]
    xp = np.zeros((*xd.shape[:2], *win.padded(o)), dtype=xd.dtype)
    xp[win.inner()] = xd
    out = np.zeros(am.shape, dtype=xp.dtype)
    # Select each window's argmax element (not x * mask: an infinite x elsewhere times 0 is NaN)
    for off, sl in win.offsets(o):
        np.copyto(out, xp[sl], where=am == off)
    return out


def _gather_max_backward(g, idx, win):
    return (_scatter_max(g, idx, win),)


def _scatter_max_into(out, gd, am, *, win):
    """g placed at each window's argmax offset ``am``, summed onto the input, written into
    ``out`` (a C-contiguous compiled replay's buffer) or, where that is None (the kernel), a
    new array. Windows that pad or reach past the input fill a padded array whose inner part
    is the result (the kernel's is that view; a buffer gets it copied in)."""
    o = am.shape[2:]
    padded = win.padded(o)
    whole = padded == tuple(win.size)  # no padding, no window past the input
    exact = (
        win.k == win.s and set(win.d) == {1} and padded == tuple(k * n for k, n in zip(win.k, o))
    )
    if exact and whole:  # None: not 2-D of width 2, or 8-byte elements
        full = scatter_tiles(gd, am, win.k, out=out)
        if full is not None:
            return full if out is None else out
    if out is None or not whole:
        full = np.zeros((*gd.shape[:2], *padded), dtype=gd.dtype)
    else:
        full = out
        full.fill(0)
    # g where the offset matches and 0 elsewhere (not g * mask: an infinite g times 0 is NaN)
    for off, sl in win.offsets(o):
        if exact:  # the windows tile the image: each element belongs to one window
            np.copyto(full[sl], gd, where=am == off)
        else:
            full[sl] += np.where(am == off, gd, 0)
    if out is None:
        return full[win.inner()]
    if full is not out:
        np.copyto(out, full[win.inner()])
    return out


MAX_POOL_BACKWARD = Primitive(
    "MaxPoolBackward", _scatter_max_kernel, _scatter_max_backward, into=_scatter_max_into
)
MAX_POOL_GATHER = Primitive("MaxPoolGather", _gather_max_kernel, _gather_max_backward)


def _put_backward_of_max(g, x, indices, size):
    return (_put(g, indices, size),)


def _put(g, indices, size):
    """f(g) = zeros of spatial ``size`` with g added at the flat indices;  dg = take(gg)"""
    return PUT_AT_INDICES.apply((g,), (g._data, indices._data), (indices,), {"size": size})


def _put_kernel(gd, ii, *, size):
    n, c = gd.shape[:2]
    m = math.prod(size)
    # sizes spelled out, not -1: a batch of no samples (N = 0) reshapes too
    flat = (ii.reshape(n * c, math.prod(gd.shape[2:])) + (np.arange(n * c) * m)[:, None]).ravel()
    out = np.bincount(flat, gd.reshape(-1), minlength=n * c * m).astype(gd.dtype, copy=False)
    return out.reshape(n, c, *size)


def _put_backward(gg, indices):
    return (_take(gg, indices),)


def _take(x, indices):
    """f(x) = x's spatial plane read at the flat indices;  dx = put(g)"""
    return TAKE_AT_INDICES.apply(
        (x,), (x._data, indices._data), (indices, tuple(x.shape[2:])), None
    )


def _take_kernel(xd, ii):
    n, c = xd.shape[:2]
    planes = xd.reshape(n, c, math.prod(xd.shape[2:]))
    at = ii.reshape(n, c, ii.size // max(n * c, 1))
    return np.take_along_axis(planes, at, 2).reshape(ii.shape)


def _take_backward(g, indices, size):
    return (_put(g, indices, size),)


PUT_AT_INDICES = Primitive("PutAtIndices", _put_kernel, _put_backward)


def _unpool(x, indices, size):
    """f(x) = zeros of spatial ``size`` with x written at the flat indices;  dx = take(g).

    Where an index repeats, the last write wins (PyTorch's CPU kernel writes each plane's values
    in order), and, as in PyTorch, every position still gets the gradient at its index."""
    return MAX_UNPOOL.apply((x,), (x._data, indices._data), (indices,), {"size": size})


def _unpool_kernel(xd, ii, *, size):
    n, c = xd.shape[:2]
    m = math.prod(size)
    flat = (ii.reshape(n * c, math.prod(xd.shape[2:])) + (np.arange(n * c) * m)[:, None]).ravel()
    # The last position writing each target is the first one in the reversed order.
    _, first = np.unique(flat[::-1], return_index=True)
    last = flat.size - 1 - first
    out = np.zeros(n * c * m, dtype=xd.dtype)
    out[flat[last]] = xd.reshape(-1)[last]
    return out.reshape(n, c, *size)


MAX_UNPOOL = Primitive("MaxUnpool", _unpool_kernel, _put_backward)
TAKE_AT_INDICES = Primitive("MaxPoolGather", _take_kernel, _take_backward)


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """f(x) = max over each window of (N, C, L);  dx = g routed to the window's first argmax"""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """f(x) = max over each window of (N, C, H, W);  dx = g routed to the window's first argmax"""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool3d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """f(x) = max over each window of (N, C, D, H, W);  dx = g routed to the first argmax"""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):  # fmt: skip
    """(max_pool1d(x), flat indices of each window's maximum)"""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):  # fmt: skip
    """(max_pool2d(x), flat indices of each window's maximum)"""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):  # fmt: skip
    """(max_pool3d(x), flat indices of each window's maximum)"""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _adaptive_bounds(size, o):
    lo = (np.arange(o) * size) // o
    hi = -((-(np.arange(1, o + 1)) * size) // o)
    return lo, hi


def _output_size(output_size, sp, nd, who):
    out = (output_size,) * nd if isinstance(output_size, int) else tuple(output_size)
    if len(out) != nd:
        raise RuntimeError(f"{who}: output_size must be an int or {nd} values, got {output_size!r}")
    out = tuple(sp[i] if v is None else int(v) for i, v in enumerate(out))
    if min(out) < 1:
        raise ValueError(f"{who}: output_size must be positive, got {output_size!r}")
    return out


def _adaptive_max_pool(input, output_size, return_indices, nd):
    who = f"adaptive_max_pool{nd}d"
    x = as_tensor(input, who)
    _check_nd(x, nd, who)
    _check_dtype(x, who)
    prim = _ADAPTIVE_MAX_POOL[nd]

    def run(x):
        sp = x.shape[2:]
        o = _output_size(output_size, sp, nd, who)
        attrs = {"output_size": tuple(o)}
        out, flat = prim.compute((x,), (x._data,), attrs)
        indices = wrap(flat)
        result = prim.record(wrap(out), (x,), (x, indices, tuple(sp)), attrs)
        return (result, indices) if return_indices else result

    return _batched(x, nd, run)


def _adaptive_max_kernel(xd, *, output_size):
    """(max of each adaptive window, flat index of its first maximum in the plane)"""
    sp = xd.shape[2:]
    positions = []
    for a, o in enumerate(output_size):
        lo, hi = _adaptive_bounds(sp[a], o)
        # Pad short windows by repeating their last element: a repeat never wins a tie.
        pos = lo[:, None] + np.arange(int((hi - lo).max()))[None, :]
        positions.append(np.minimum(pos, hi[:, None] - 1))
    out, idx = max_over(xd, positions, None)
    return out, flat_indices(idx, positions, sp)


_ADAPTIVE_MAX_POOL = {
    nd: Primitive(f"AdaptiveMaxPool{nd}D", _adaptive_max_kernel, _put_backward_of_max, multi=True)
    for nd in (1, 2, 3)
}


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """`f(x) = max` over adaptive windows `[floor(i*L/o), ceil((i+1)*L/o))`;  `dx = g` at argmax"""
    return _adaptive_max_pool(input, output_size, return_indices, 1)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """f(x) = max over adaptive windows per axis;  dx = g at each window's first argmax"""
    return _adaptive_max_pool(input, output_size, return_indices, 2)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """f(x) = max over adaptive windows per axis;  dx = g at each window's first argmax"""
    return _adaptive_max_pool(input, output_size, return_indices, 3)


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nd):
    who = f"max_unpool{nd}d"
    x = float_input(input, who)
    ind = as_tensor(indices, who)
    _check_nd(x, nd, who)
    if ind.shape != x.shape or ind._data.dtype != np.int64:
        raise RuntimeError(
            f"{who}: indices must be an int64 tensor of the input's shape {tuple(x.shape)}, got "
            f"{ind.dtype} of shape {tuple(ind.shape)} (use the indices max_pool returns)"
        )
    k = ntuple(kernel_size, nd, "kernel_size", who)
    s = k if stride is None else ntuple(stride, nd, "stride", who)
    p = ntuple(padding, nd, "padding", who)
    sp = x.shape[-nd:]
    default = tuple((sp[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(nd))
    if output_size is None:
        size = default
    else:
        size = tuple(int(v) for v in output_size)[-nd:]
        if len(size) != nd or any(
            not default[i] - s[i] < size[i] < default[i] + s[i] for i in range(nd)
        ):
            raise ValueError(
                f"{who}: output_size {tuple(output_size)} must be {nd} sizes each within a "
                f"stride of the default size {default}"
            )
    m = math.prod(size)
    if ind.numel() and (int(ind._data.min()) < 0 or int(ind._data.max()) >= m):
        raise RuntimeError(
            f"{who}: found an index out of range for the output of spatial size {size} "
            f"({m} elements); pass the output_size max_pool's input had"
        )
    if x.ndim == nd + 1:
        return _unpool(x.unsqueeze(0), ind.unsqueeze(0), size).squeeze(0)
    return _unpool(x, ind, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """f(x) = zeros with x placed at the max-pool indices (max_pool1d's partial inverse)"""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """f(x) = zeros with x placed at the max-pool indices (max_pool2d's partial inverse)"""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """f(x) = zeros with x placed at the max-pool indices (max_pool3d's partial inverse)"""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)
