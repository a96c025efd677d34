"""Pooling over NCHW images, vectorised over every window at once.

Max pooling makes one vectorised pass per kernel offset (a strided slice covering every
window) and routes the gradient to each window's argmax (the first among ties, as PyTorch).
Average pooling is separable, so it
is two small matmuls with banded averaging matrices, which makes its gradient (and every higher
one) come from ``matmul`` for free. Adaptive average pooling uses the same matrices.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.node import record
from tinytensor.core import wrap
from tinytensor.nn.functional._util import float_input, pair
from tinytensor.ops._util import as_tensor


def _pool_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    o = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1  # the last window must start inside the input or the left padding
    return o


def _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, who):
    k = pair(kernel_size, "kernel_size", who)
    s = k if stride is None or stride == [] or stride == () else pair(stride, "stride", who)
    p = pair(padding, "padding", who)
    d = pair(dilation, "dilation", who)
    if min(k) < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise ValueError(
            f"{who}: kernel_size, stride and dilation must be positive and padding non-negative, "
            f"got kernel_size={k}, stride={s}, padding={p}, dilation={d}"
        )
    if p[0] * 2 > k[0] or p[1] * 2 > k[1]:
        raise RuntimeError(f"{who}: padding {p} should be at most half of the kernel size {k}")
    h, w = x.shape[-2:]
    o = (
        _pool_size(h, k[0], s[0], p[0], d[0], ceil_mode),
        _pool_size(w, k[1], s[1], p[1], d[1], ceil_mode),
    )
    if o[0] < 1 or o[1] < 1:
        raise RuntimeError(
            f"{who}: output size {o} is too small for input of shape {tuple(x.shape)} with "
            f"kernel_size={k}, stride={s}, padding={p}, dilation={d}"
        )
    return k, s, p, d, o


def _check_4d(x, who):
    if x.ndim not in (3, 4):
        raise RuntimeError(
            f"{who}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got {x.shape}"
        )


class _Windows:
    """Where every pooling window lies: input shape, padded size, kernel, stride, dilation and
    padding (plain numbers; the argmax offsets that go with them are saved as a tensor)."""

    __slots__ = ("shape", "padded", "k", "s", "d", "p")

    def __init__(self, shape, padded, k, s, d, p):
        self.shape, self.padded = shape, padded
        self.k, self.s, self.d, self.p = k, s, d, p

    def offsets(self, oh, ow):
        """(offset number, slice of the padded image that offset reads for every window)."""
        for i in range(self.k[0]):
            for j in range(self.k[1]):
                r, q = i * self.d[0], j * self.d[1]
                yield (
                    i * self.k[1] + j,
                    (
                        slice(None),
                        slice(None),
                        slice(r, r + self.s[0] * (oh - 1) + 1, self.s[0]),
                        slice(q, q + self.s[1] * (ow - 1) + 1, self.s[1]),
                    ),
                )


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """f(x) = max over each window;  dx = g routed to the window's (first) argmax"""
    x = as_tensor(input, "max_pool2d")
    dt = x._data.dtype
    if dt.kind not in "fiu":
        raise NotImplementedError(
            f"max_pool2d: not implemented for dtype {x.dtype}; convert the input with .float() "
            "or .int()"
        )
    _check_4d(x, "max_pool2d")
    if x.ndim == 3:
        out = max_pool2d(
            x.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode, return_indices
        )
        return (out[0].squeeze(0), out[1].squeeze(0)) if return_indices else out.squeeze(0)
    k, s, p, d, o = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    n, c, h, w = x.shape
    # Pad with the lowest value, plus any extra rows/columns that ceil_mode's last window reaches.
    need_h = (o[0] - 1) * s[0] + d[0] * (k[0] - 1) + 1
    need_w = (o[1] - 1) * s[1] + d[1] * (k[1] - 1) + 1
    xp = x._data
    if p != (0, 0) or need_h > h or need_w > w:
        hp, wp = max(h + 2 * p[0], need_h), max(w + 2 * p[1], need_w)
        low = -np.inf if dt.kind == "f" else np.iinfo(dt).min
        xp = np.full((n, c, hp, wp), low, dtype=dt)
        xp[:, :, p[0] : p[0] + h, p[1] : p[1] + w] = x._data
    # One pass per kernel offset over all windows at once; a strictly greater value (or a
    # NaN, which PyTorch propagates) takes over, so ties keep the first offset. Offsets grow,
    # so "idx = off where taken" is max(idx, taken*off): branch-free, unlike np.where.
    itype = np.int8 if k[0] * k[1] <= 127 else np.int32
    idx = np.zeros((n, c, *o), itype)
    win = _Windows(x.shape, xp.shape[2:], k, s, d, p)
    offsets = win.offsets(*o)
    out = xp[next(offsets)[1]].copy()
    nan = dt.kind == "f" and bool(np.isnan(xp).any())
    for off, sl in offsets:
        v = xp[sl]
        take = v > out
        if nan:
            take |= np.isnan(v)
        np.maximum(out, v, out=out)
        np.maximum(idx, take * itype(off), out=idx)
    indices = wrap(_flat_indices(idx, win, o, w)) if return_indices else None
    # Saved as PyTorch saves them: the input and the indices (also the returned ones), so
    # changing either in place raises; backward routes g through the argmax offsets.
    saved = (x, wrap(idx), indices, win)
    result = record(wrap(out), "MaxPool2D", (x,), _max_pool_backward, saved)
    return (result, indices) if return_indices else result


def _max_pool_backward(g, x, idx, indices, win):
    return (_scatter_max(g, idx, win),)


def _flat_indices(idx, win, o, w):
    """PyTorch's indices: the flat position h*W + w of each maximum in the unpadded input."""
    i, j = np.divmod(idx, win.k[1])
    rows = np.arange(o[0])[:, None] * win.s[0] - win.p[0] + i * win.d[0]
    cols = np.arange(o[1])[None, :] * win.s[1] - win.p[1] + j * win.d[1]
    return (rows * w + cols).astype(np.int64)


def _scatter_max(g, idx, win):
    """f(g) = g placed at each window's argmax, summed onto the input;  dg = gather at argmax"""
    gd, am = g._data, idx._data
    n, c = gd.shape[:2]
    oh, ow = am.shape[2:]
    if win.k == win.s and win.d == (1, 1) and win.padded == (win.k[0] * oh, win.k[1] * ow):
        # The windows tile the image exactly: every element is written once, no zeroing.
        full = np.empty((n, c, *win.padded), dtype=gd.dtype)
        for off, sl in win.offsets(oh, ow):
            np.multiply(gd, am == off, out=full[sl])
    else:
        full = np.zeros((n, c, *win.padded), dtype=gd.dtype)
        for off, sl in win.offsets(oh, ow):
            full[sl] += gd * (am == off)
    h, w = win.shape[2:]
    dx = full[:, :, win.p[0] : win.p[0] + h, win.p[1] : win.p[1] + w]
    return record(wrap(dx), "MaxPool2DBackward", (g,), _scatter_max_backward, (idx, win))


def _scatter_max_backward(gg, idx, win):
    return (_gather_max(gg, idx, win),)


def _gather_max(x, idx, win):
    """f(x) = x at each window's argmax (max pooling with fixed indices);  dx = scatter"""
    n, c, h, w = x.shape
    am = idx._data
    xp = np.zeros((n, c, *win.padded), dtype=x._data.dtype)
    xp[:, :, win.p[0] : win.p[0] + h, win.p[1] : win.p[1] + w] = x._data
    out = np.zeros(am.shape, dtype=xp.dtype)
    for off, sl in win.offsets(*am.shape[2:]):
        out += xp[sl] * (am == off)
    return record(wrap(out), "MaxPool2DGather", (x,), _gather_max_backward, (idx, win))


def _gather_max_backward(g, idx, win):
    return (_scatter_max(g, idx, win),)


def _avg_matrix(size, k, s, p, o, count_include_pad):
    """(o, size) matrix whose row i averages window i along one axis (padding excluded from
    the sum; included in the divisor when count_include_pad)."""
    m = np.zeros((o, size), dtype=np.float64)
    for i in range(o):  # one row per output position along this axis, not per pixel
        start = i * s - p
        end = min(start + k, size + p)
        lo, hi = max(start, 0), min(end, size)
        m[i, lo:hi] = 1.0 / ((end - start) if count_include_pad else max(hi - lo, 1))
    return m


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """f(x) = mean over each window = A_h @ x @ A_w^T;  dx = A_h^T @ g @ A_w"""
    x = float_input(input, "avg_pool2d")
    _check_4d(x, "avg_pool2d")
    k, s, p, _, o = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    h, w = x.shape[-2:]
    ah = _avg_matrix(h, k[0], s[0], p[0], o[0], count_include_pad)
    aw = _avg_matrix(w, k[1], s[1], p[1], o[1], count_include_pad)
    if divisor_override is not None:
        if divisor_override <= 0:
            raise ValueError(
                f"avg_pool2d: divisor_override must be positive, got {divisor_override}"
            )
        ah = (ah > 0) / float(divisor_override)
        aw = (aw > 0).astype(np.float64)
    return _separable(x, ah, aw)


def _separable(x, ah, aw):
    """f(x) = A_h @ x @ A_w^T over the last two axes;  dx = A_h^T @ g @ A_w"""
    dt = x._data.dtype
    ah_t, awt_t = wrap(ah.astype(dt)), wrap(np.ascontiguousarray(aw.T).astype(dt))
    lead = x.shape[:-2]
    h, w = x.shape[-2:]
    y = (x._data.reshape(-1, w) @ awt_t._data).reshape(*lead, h, aw.shape[0])
    # x is saved (unread) as PyTorch saves it, so changing it in place raises.
    return record(wrap(ah_t._data @ y), "AvgPool2D", (x,), _separable_backward, (x, ah_t, awt_t))


def _separable_backward(g, x, ah_t, awt_t):
    return (ah_t.mT.matmul(g).matmul(awt_t.mT),)


def adaptive_avg_pool2d(input, output_size):
    """f(x) = mean over adaptive windows [floor(i*H/o), ceil((i+1)*H/o));  linear, via matmul"""
    x = float_input(input, "adaptive_avg_pool2d")
    _check_4d(x, "adaptive_avg_pool2d")
    h, w = x.shape[-2:]
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    oh, ow = (
        (h if output_size[0] is None else output_size[0]),
        (w if output_size[1] is None else output_size[1]),
    )
    if oh < 1 or ow < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {output_size}")
    if (oh, ow) == (1, 1):
        return x.mean((-2, -1), keepdim=True)  # as PyTorch: a mean, which saves no tensor
    return _separable(x, _adaptive_matrix(h, oh), _adaptive_matrix(w, ow))


def _adaptive_matrix(size, o):
    m = np.zeros((o, size), dtype=np.float64)
    for i in range(o):
        lo, hi = (i * size) // o, math.ceil((i + 1) * size / o)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m
