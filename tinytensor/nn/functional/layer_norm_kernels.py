"""Layer norm's NumPy kernels: the forward (output, mean, 1/std) and the first-order backward,
a fast path for rows of float32/float64 and a general one in the composite's order. Each fast
kernel is its ``into`` (the body writing into a compiled replay's buffers) given no buffers
(the primitives are declared in normalization.py)."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.nn.functional._util import column_sums, copied_into

__all__ = [
    "BLAS_FLOATS",
    "ROW_SUM_MAX",
    "layer_norm_general",
    "layer_norm_grad_general",
    "layer_norm_grad_into",
    "layer_norm_grad_kernel",
    "layer_norm_into",
    "layer_norm_kernel",
    "mean_weights",
    "rows",
]

# The fast layer-norm kernels sum rows by a matrix-vector product (BLAS: blocked and
# vectorised, as accurate as NumPy's pairwise sum for rows of this length, and ~5x faster than
# ``mean`` over a short last axis, which loops per row) and the squares by ``einsum`` (one read,
# no array of squares); rows longer than ROW_SUM_MAX, other float types and odd layouts take the
# general kernels below (NumPy's mean, in the composite's order).
ROW_SUM_MAX = 4096
BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_MEAN_WEIGHTS = {}  # (n, dtype) -> a read-only vector of 1/n: x @ it is the rows' mean


def mean_weights(n, dtype):
    w = _MEAN_WEIGHTS.get((n, dtype))
    if w is None:
        w = np.full(n, 1.0 / n, dtype)
        w.flags.writeable = False
        _MEAN_WEIGHTS[(n, dtype)] = w
    return w


def rows(d, axes, *params):
    """(rows, n) when ``d`` normalises over its trailing ``axes`` into rows of ``n`` (at most
    ``ROW_SUM_MAX``) of float32/float64, with ``params`` None or of that dtype and exactly the
    normalised shape: the fast kernels' case. None otherwise."""
    nd, k = d.ndim, len(axes)
    if d.dtype not in BLAS_FLOATS or not k or axes != tuple(range(nd - k, nd)):
        return None
    trail = d.shape[nd - k :]
    n = math.prod(trail)
    if not 0 < n <= ROW_SUM_MAX or d.size == 0:
        return None
    for p in params:
        if p is not None and (p.dtype != d.dtype or p.shape != trail):
            return None
    return d.size // n, n


def layer_norm_kernel(d, w, b, *, axes, eps):
    """``layer_norm_into`` making every result (no buffers)."""
    return layer_norm_into(_NONE3, d, w, b, axes=axes, eps=eps)


_NONE2, _NONE3 = (None, None), (None, None, None)  # a kernel's outs: every result made


def layer_norm_into(outs, d, w, b, *, axes, eps):
    """(output, mean, 1/std) over ``axes`` (kept as size-1 dims): one pass per step, each
    written into its array of ``outs`` (a compiled replay's buffers) or, where that is None
    (the kernel: all three), made by the step as the step makes it."""
    shape = rows(d, axes, w, b)
    if shape is None:
        return copied_into(layer_norm_general(d, w, b, axes=axes, eps=eps), outs)
    m, n = shape
    o, om, orstd = outs
    x = d.reshape(m, n)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mu = np.matmul(x, mean_weights(n, d.dtype), out=None if om is None else om.reshape(m))
        mu = mu.reshape(m, 1)
        xc = np.subtract(x, mu, out=None if o is None else o.reshape(m, n))
        # the sums of squares
        rstd = np.einsum("ij,ij->i", xc, xc, out=None if orstd is None else orstd.reshape(m))
        rstd = rstd.reshape(m, 1)
        rstd /= n
        rstd += d.dtype.type(eps)
        np.sqrt(rstd, out=rstd)
        np.divide(1.0, rstd, out=rstd)
        xc *= rstd  # the output
        if w is not None:
            xc *= w.reshape(n)
        if b is not None:
            xc += b.reshape(n)
    stat = d.shape[: d.ndim - len(axes)] + (1,) * len(axes)
    return xc.reshape(d.shape), mu.reshape(stat), rstd.reshape(stat)


def layer_norm_general(d, w, b, *, axes, eps):
    """(output, mean, 1/std): the composite's own NumPy steps (same order, same roundings)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.mean(d, axis=axes, keepdims=True)
        xc = d - mu
        rstd = 1.0 / np.sqrt(np.mean(xc * xc, axis=axes, keepdims=True) + d.dtype.type(eps))
        out = xc * rstd
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    return out, mu, rstd


def layer_norm_grad_kernel(g, x, w, mu, rstd, *, axes, sums=False):
    """``layer_norm_grad_into`` making every result (no buffers)."""
    return layer_norm_grad_into(_NONE3 if sums else _NONE2, g, x, w, mu, rstd, axes=axes, sums=sums)


def layer_norm_grad_into(outs, g, x, w, mu, rstd, *, axes, sums=False):
    """`(dx, g*xhat)` or, with ``sums``, `(dx, dw, db)`: the first-order backward;
    `dw = g*xhat` and `db = g` summed over the leading (not normalised) dims (dw is unused
    without a weight, db without a bias). The row sums by BLAS: `sum(g*w) = g @ w`,
    `sum(g*w*xhat) = (g*xhat) @ w`, so neither product is made as an array. dx and `g*xhat`
    are written into their arrays of ``outs`` (a compiled replay's buffers) or, where that is
    None (the kernel: all), made by their step; the summed dw and db are copied in."""
    shape = rows(x, axes, w)
    if shape is None or g.shape != x.shape or g.dtype != x.dtype:
        return copied_into(layer_norm_grad_general(g, x, w, mu, rstd, axes=axes, sums=sums), outs)
    m, n = shape
    x2, g2 = x.reshape(m, n), g.reshape(m, n)
    mu, rstd = mu.reshape(m, 1), rstd.reshape(m, 1)
    given = outs is not _NONE2 and outs is not _NONE3  # (not the kernel's)
    odx = outs[0].reshape(m, n) if given and outs[0] is not None else None
    ogx = outs[1].reshape(m, n) if given and not sums and outs[1] is not None else None
    wv = np.ones(n, x.dtype) if w is None else w.reshape(n)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        xhat = x2 - mu
        xhat *= rstd
        gx = np.multiply(g2, xhat, out=ogx)  # the weight's gradient, before the sum over rows
        mean_d = np.matmul(g2, wv).reshape(m, 1)  # sum(dxhat), dxhat = g*w
        mean_d /= n
        mean_dx = np.matmul(gx, wv).reshape(m, 1)  # sum(dxhat*xhat)
        mean_dx /= n
        if w is not None:  # (dxhat - mean_d) in dx's own array
            dx = np.multiply(g2, wv, out=odx)
            dx -= mean_d
        else:
            dx = np.subtract(g2, mean_d, out=odx)
        xhat *= mean_dx
        dx -= xhat
        dx *= rstd
        if sums:
            trail = x.shape[x.ndim - len(axes) :]
            dw, db = column_sums(gx).reshape(trail), column_sums(g2).reshape(trail)
            if given:
                dw, db = copied_into((dw, db), outs[1:])
            return dx.reshape(x.shape), dw, db
    return dx.reshape(x.shape), gx.reshape(x.shape)


def layer_norm_grad_general(g, x, w, mu, rstd, *, axes, sums=False):
    """(dx, g*xhat) or, with ``sums``, (dx, dw, db): the first-order backward's NumPy steps,
    in the composite's order, and NumPy's sums over the leading dims."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        xhat = (x - mu) * rstd
        dxhat = g if w is None else g * w
        mean_d = np.mean(dxhat, axis=axes, keepdims=True)
        mean_dx = np.mean(dxhat * xhat, axis=axes, keepdims=True)
        dx = rstd * (dxhat - mean_d - xhat * mean_dx)
        gx = g * xhat
    if sums:
        lead = tuple(i for i in range(x.ndim) if i not in axes)
        return dx, gx.sum(lead), g.sum(lead)
    return dx, gx
