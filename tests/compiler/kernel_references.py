"""Plain NumPy references for the kernels that have an ``into``: each primitive's kernel is its
``into`` given no buffers (one body), so ``test_into_kernels`` checks that body against these,
written the straightforward way and independently of it: bit for bit where the result is one
element's value (relu, its mask and gradient, max pooling's values and argmax, a reshape, a
cat), to float rounding where sums are made in another order (in float64 here: linear, layer
norm, attention, and the overlapping windows' summed gradient)."""

from __future__ import annotations

import itertools
import math

import numpy as np


def relu(d):
    return np.where(d < 0, d.dtype.type(0), d)  # -0.0 and NaN kept: not below 0


def relu_mask(out):
    return ~(out <= 0)


def relu_backward(g, keep):
    return np.where(keep, g, g.dtype.type(0))  # +0.0 where dropped, whatever g holds


def _f64(*arrays):
    return [None if a is None else np.asarray(a, np.float64) for a in arrays]


def linear(x, w, b):
    x, w, b = _f64(x, w, b)
    y = np.einsum("...k,nk->...n", x, w)
    return y if b is None else y + b


def linear_input_grad(g, w):
    g, w = _f64(g, w)
    return np.einsum("...n,nk->...k", g, w)


def linear_weight_grad(g, x):
    g, x = _f64(g, x)
    m = math.prod(g.shape[:-1])
    return np.einsum("mn,mk->nk", g.reshape(m, g.shape[-1]), x.reshape(m, x.shape[-1]))


def layer_norm(d, w, b, *, axes, eps):
    d, w, b = _f64(d, w, b)
    mu = d.mean(axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(((d - mu) ** 2).mean(axis=axes, keepdims=True) + eps)
    out = (d - mu) * rstd
    out = out if w is None else out * w
    return (out if b is None else out + b), mu, rstd


def layer_norm_grad(g, x, w, mu, rstd, *, axes, sums=False):
    g, x, w, mu, rstd = _f64(g, x, w, mu, rstd)
    xhat = (x - mu) * rstd
    dxhat = g if w is None else g * w
    n = math.prod(x.shape[a] for a in axes)
    dx = rstd * (
        dxhat
        - dxhat.sum(axis=axes, keepdims=True) / n
        - xhat * (dxhat * xhat).sum(axis=axes, keepdims=True) / n
    )
    if not sums:
        return dx, g * xhat
    lead = tuple(i for i in range(x.ndim) if i not in axes)
    return dx, (g * xhat).sum(lead), g.sum(lead)


def _probs(s):
    m = s.max(-1, keepdims=True)
    m = np.where(np.isneginf(m), 0.0, m)  # a row of -inf only: probabilities 0
    e = np.exp(s - m)
    den = e.sum(-1, keepdims=True)
    return e / np.where(den == 0, 1.0, den)


def sdpa(q, k, v, bias, *, scale, is_causal):
    q, k, v, bias = _f64(q, k, v, bias)
    s = q @ np.swapaxes(k, -1, -2) * scale
    if bias is not None:
        s = s + bias
    if is_causal:
        s = np.where(np.tri(*s.shape[-2:], dtype=bool), s, -np.inf)
    p = _probs(s)
    return p @ v, p


def sdpa_grad(g, q, k, v, out, p, *, scale):
    g, q, k, v, out, p = _f64(g, q, k, v, out, p)
    dv = np.swapaxes(p, -1, -2) @ g
    dp = g @ np.swapaxes(v, -1, -2)
    ds = p * (dp - (g * out).sum(-1, keepdims=True)) * scale
    return ds @ k, np.swapaxes(ds, -1, -2) @ q, dv


def max_pool(x, *, kernel_size, stride, padding, dilation, output_size, with_indices):
    """Each window gathered whole; the first maximum (a NaN above all) by ``argmax``,
    positions outside the input never winning."""
    pos = [
        np.arange(o)[:, None] * s - p + np.arange(k)[None, :] * d
        for k, s, p, d, o in zip(kernel_size, stride, padding, dilation, output_size)
    ]
    nd, size = len(pos), x.shape[2:]
    # (N, C, *windows, *offsets) by one index per spatial axis: axis a's positions (o, k)
    # spread over window dim a and offset dim nd + a
    shapes = [[q.shape[0] if b == a else q.shape[1] if b == nd + a else 1 for b in range(2 * nd)]
              for a, q in enumerate(pos)]  # fmt: skip
    idx = [np.clip(q, 0, n - 1).reshape(sh) for q, n, sh in zip(pos, size, shapes)]
    valid = np.ones([1] * (2 * nd), bool)
    for q, n, sh in zip(pos, size, shapes):
        valid = valid & ((q >= 0) & (q < n)).reshape(sh)
    win = x[(slice(None), slice(None), *idx)]
    flat = win.reshape(win.shape[: 2 + nd] + (-1,))
    ok = np.broadcast_to(valid, win.shape).reshape(flat.shape)
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    am = np.argmax(np.where(ok, flat, low), axis=-1)
    am = np.where(np.take_along_axis(ok, am[..., None], -1)[..., 0], am, np.argmax(ok, -1))
    values = np.take_along_axis(flat, am[..., None], -1)[..., 0]
    if not with_indices:
        return values, am
    offs = np.unravel_index(am, kernel_size)
    where = np.zeros(am.shape, np.int64)
    for a, (q, j) in enumerate(zip(pos, offs)):
        rows = np.arange(q.shape[0]).reshape([-1 if b == a else 1 for b in range(nd)])
        where += q[rows, j] * math.prod(size[a + 1 :])
    return values, am, where


def max_pool_backward(g, am, *, win):
    """g added at each window's argmax, window by window (float64: overlapping windows sum)."""
    o = am.shape[2:]
    full = np.zeros(g.shape[:2] + tuple(win.size), np.float64)
    offs = list(itertools.product(*(range(k) for k in win.k)))
    for w in itertools.product(*(range(n) for n in o)):
        for n, c in itertools.product(range(g.shape[0]), range(g.shape[1])):
            j = offs[am[(n, c, *w)]]
            at = tuple(i * s - p + jj * d for i, s, p, jj, d in zip(w, win.s, win.p, j, win.d))
            full[(n, c, *at)] += g[(n, c, *w)]
    return full


def reshape(x, shape):
    return np.array(x.ravel(order="C")).reshape(shape)


def cat(xs, dtype, dim):
    dim = dim % xs[0].ndim
    shape = list(xs[0].shape)
    shape[dim] = sum(x.shape[dim] for x in xs)
    out = np.empty(shape, dtype)
    at = 0
    for x in xs:
        sl = [slice(None)] * len(shape)
        sl[dim] = slice(at, at + x.shape[dim])
        out[tuple(sl)] = x
        at += x.shape[dim]
    return out
