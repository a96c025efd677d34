"""Reductions over one, several or all dims (``dim`` int or tuple, ``keepdim``).

Ties, as in PyTorch: ``max(dim)``/``min(dim)`` return an index (the first of ties) and send
the whole gradient to it; the full reductions ``max()``/``min()`` and ``amax``/``amin``, which
return no index, split it evenly among the tied elements.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from tinytensor._dtype import get_default_dtype, int64, to_dtype
from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import _util
from tinytensor.ops._util import (
    CAST,
    FP_SIGNALS,
    all_dims_if_empty,
    as_tensor,
    check_float,
    check_nonempty_dims,
    norm_dim,
    one_dim,
    refuse_bool,
)
from tinytensor.ops.creation import eye, zeros_of
from tinytensor.ops.gather import scatter
from tinytensor.ops.reduce_logical import ALL, ANY, all, any  # noqa: F401 (R.all, R.any)
from tinytensor.ops.selection import maximum, minimum, where

values_indices = namedtuple("values_indices", ["values", "indices"])
_util.quiet_module(__name__)  # sum's kernel runs bare: see ops/_util.py


def _keep_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdim:
        g = g.reshape(_keep_shape(shape, axes))
    return g.expand(shape)


def _accumulated(a, dtype):
    """``a``'s storage in the dtype sum and prod accumulate in (int64 for bools and ints)."""
    d = a._data
    if dtype is None and (d.dtype.kind not in "bui" or d.dtype == np.int64):
        return d
    dt = np.dtype(np.int64) if dtype is None else to_dtype(dtype).np
    return CAST.compute((a,), (d,), {"dtype": dt})


def sum(input, dim=None, keepdim=False, dtype=None):
    """f(a) = sum of a over dim;  da = g broadcast back"""
    a = as_tensor(input, "sum")
    axes = norm_dim(all_dims_if_empty(dim), a.ndim, "sum")
    d = a._data if dtype is None and a._data.dtype.kind == "f" else _accumulated(a, dtype)
    attrs = {"dim": axes, "keepdim": keepdim}
    return SUM.apply((a,), (d,), (a.shape, axes, keepdim), attrs)


def _sum_kernel(d, dim, keepdim):
    # The ufunc's reduce (np.sum's own kernel) from this module's frame, bare: errstate would
    # cost as much as a small sum; overflow and inf + -inf are IEEE's silently (ops/_util.py).
    try:
        return np.add.reduce(d, axis=dim, keepdims=keepdim)
    except FP_SIGNALS:
        with np.errstate(all="ignore"):
            return np.add.reduce(d, axis=dim, keepdims=keepdim)


def _sum_backward(g, shape, axes, keepdim):
    return (_expand_back(g, shape, axes, keepdim),)


SUM = Primitive("Sum", _sum_kernel, _sum_backward)


def mean(input, dim=None, keepdim=False, dtype=None):
    """f(a) = sum(a)/n over dim;  da = g/n broadcast back"""
    a = as_tensor(input, "mean")
    if dtype is not None:
        a = a.to(dtype)
    if a._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be a floating point dtype, "
            f"got {a.dtype}; convert it with .float()"
        )
    axes = norm_dim(all_dims_if_empty(dim), a.ndim, "mean")
    n = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    attrs = {"dim": axes, "keepdim": keepdim}
    return MEAN.apply((a,), (a._data,), (n, a.shape, axes, keepdim), attrs)


def _mean_kernel(d, dim, keepdim):
    with np.errstate(all="ignore"):
        if d.size == 0 and 0 in [d.shape[i] for i in dim]:  # nothing to average: NaN
            return np.full(np.add.reduce(d, axis=dim, keepdims=keepdim).shape, np.nan, d.dtype)
        return np.asarray(np.mean(d, axis=dim, keepdims=keepdim), dtype=d.dtype)


def _mean_backward(g, n, shape, axes, keepdim):
    return (_expand_back(g / n, shape, axes, keepdim),)


MEAN = Primitive("Mean", _mean_kernel, _mean_backward)


def prod(input, dim=None, keepdim=False, dtype=None):
    """`f(a) = product of a over dim`;  `da = g * (product of the other elements)`"""
    a = as_tensor(input, "prod")
    axes = norm_dim(dim, a.ndim, "prod")
    d = _accumulated(a, dtype)
    # As in PyTorch, ``a`` itself is saved even with a dtype (converted again in backward).
    attrs = {"dim": axes, "keepdim": keepdim}
    return PROD.apply((a,), (d,), (a, OUT, a.shape, axes, keepdim), attrs)


def _prod_kernel(d, dim, keepdim):
    with np.errstate(all="ignore"):
        return np.prod(d, axis=dim, keepdims=keepdim)


def _prod_backward(g, a, out, shape, axes, keepdim):
    x = a if a.dtype == out.dtype else a.to(out.dtype)
    ga = _expand_back(g, shape, axes, keepdim) * _prod_of_others(x, axes)
    return (ga if x is a else ga.to(a.dtype),)


PROD = Primitive("Prod", _prod_kernel, _prod_backward)


def _prod_of_others(x, axes):
    """Each element's product of the others in its group over ``axes`` (no division)."""
    return PROD_OTHERS.apply((x,), (x._data,), (x, axes), {"dim": axes})


def _prod_others_kernel(x, dim):
    """As PyTorch: prod / x where no element is 0 (NaN and inf spread), zeros for a full product
    with several; else running products from the left and the right, each element's excluded."""
    with np.errstate(all="ignore"):
        zeros = np.count_nonzero(x == 0)
        if not zeros:
            return np.prod(x, axis=dim, keepdims=True) / x
        if x.size == 0 or (zeros > 1 and len(dim) == x.ndim):
            return np.zeros(x.shape, x.dtype)
        k = x.ndim - len(dim)
        moved = np.moveaxis(x, dim, tuple(range(k, x.ndim)))
        flat = moved.reshape(moved.shape[:k] + (-1,))
        ones = np.ones(flat.shape[:-1] + (1,), x.dtype)
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
        right = np.cumprod(np.concatenate([flat[..., 1:], ones], -1)[..., ::-1], -1)[..., ::-1]
        others = (left * right).reshape(moved.shape)
    return np.moveaxis(others, tuple(range(k, x.ndim)), dim).copy()  # C order, 0-d kept


def _prod_others_backward(gg, x, axes):
    """`d/dx_k sum_i gg_i prod_{j != i} x_j = sum_{i != k} gg_i prod_{j != i, k} x_j`: row k of
    an (n, n) block is the group with x_k set to 1; its products of the others off the diagonal."""
    order = tuple(i for i in range(x.ndim) if i not in axes) + axes
    moved_shape = tuple(x.shape[i] for i in order)
    lead, n = moved_shape[: x.ndim - len(axes)], int(np.prod([x.shape[i] for i in axes]))
    flat = x.permute(order).reshape(lead + (1, n)).expand(lead + (n, n))
    rows = where(diag := eye(n, dtype=bool), 1.0, flat)
    pairs = _prod_of_others(rows, (rows.ndim - 1,)) * (~diag).to(x.dtype)
    grad = (pairs * gg.permute(order).reshape(lead + (1, n))).sum(-1)
    return (grad.reshape(moved_shape).permute(tuple(np.argsort(order))),)


PROD_OTHERS = Primitive("ProdOthers", _prod_others_kernel, _prod_others_backward)


def _reduced_axes(a, dim, name):
    """The axes a max/min reduces; refuses an empty reduction (it has no identity): an
    IndexError naming a given dim of size 0, a RuntimeError for all dims (PyTorch's classes)."""
    axes = norm_dim(dim, a.ndim, name)
    if a._data.size == 0:
        check_nonempty_dims(a, dim, axes, name)
    return axes


def _extreme(a, dim, keepdim, prim, name):
    a = as_tensor(a, name)
    axes = _reduced_axes(a, dim, name)
    saved = (a, OUT, name, a.shape, axes, keepdim)
    return prim.apply((a,), (a._data,), saved, {"dim": axes, "keepdim": keepdim})


def _max_kernel(d, dim, keepdim):
    return np.maximum.reduce(d, axis=dim, keepdims=keepdim)


def _min_kernel(d, dim, keepdim):
    return np.minimum.reduce(d, axis=dim, keepdims=keepdim)


def _extreme_backward(g, a, out, name, shape, axes, keepdim):
    # Ties share the gradient evenly. A NaN result sends it to the NaNs for max/min, but
    # makes it NaN for amax/amin (both as in PyTorch: no element equals a NaN, 0/0).
    o = _expand_back(out, shape, axes, keepdim)
    hit = a == o
    if name in ("max", "min"):
        hit = hit | (a.isnan() & o.isnan())
    mask = hit.to(g.dtype)
    count = mask.sum(axes, keepdim=True)
    return (_expand_back(g, shape, axes, keepdim) * mask / count,)


MAX = Primitive("Max", _max_kernel, _extreme_backward)
MIN = Primitive("Min", _min_kernel, _extreme_backward)
AMAX = Primitive("Amax", _max_kernel, _extreme_backward)
AMIN = Primitive("Amin", _min_kernel, _extreme_backward)


def _extreme_dim(a, dim, keepdim, prim, name):
    """``max(a, dim)``/``min(a, dim)`` -> (values, indices). As in PyTorch, backward sends ``g``
    to the returned index (the first of ties, or NaN) and saves the indices, not ``a``."""
    a = as_tensor(a, name)
    axes = _reduced_axes(a, dim, name)
    d = axes[0] if axes else 0
    attrs = {"dim": d, "keepdim": keepdim}
    values, idx = prim.compute((a,), (a._data,), attrs)
    out, indices = wrap(values), wrap(idx)
    prim.record((out, None), (a,), (indices, a.shape, d, keepdim), attrs)
    return values_indices(out, indices)


def _max_dim_kernel(d, dim, keepdim, np_fn=np.max, arg_fn=np.argmax):
    """(values, int64 indices) along dim (0-d: itself); module-level, so mutmut reaches it."""
    if d.ndim == 0:
        return d.copy(), np.zeros((), np.int64)
    idx = arg_fn(d, axis=dim, keepdims=keepdim).astype(np.int64)
    return np_fn(d, axis=dim, keepdims=keepdim), idx


def _min_dim_kernel(d, dim, keepdim):
    return _max_dim_kernel(d, dim, keepdim, np.min, np.argmin)


def _extreme_dim_backward(gs, indices, shape, d, keepdim):
    """da = zeros with g written at the returned indices along d"""
    g = gs[0]
    if not shape:
        return (g.reshape(()),)
    if not keepdim:
        g, indices = g.unsqueeze(d), indices.unsqueeze(d)
    return (scatter(zeros_of(shape, g._data.dtype), d, indices, g),)


MAX_DIM = Primitive("Max", _max_dim_kernel, _extreme_dim_backward, multi=True)
MIN_DIM = Primitive("Min", _min_dim_kernel, _extreme_dim_backward, multi=True)


def amax(input, dim=(), keepdim=False):
    """f(a) = max over dim (all dims if empty);  da = g shared among the maxima"""
    return _extreme(input, None if dim == () else dim, keepdim, AMAX, "amax")


def amin(input, dim=(), keepdim=False):
    """f(a) = min over dim (all dims if empty);  da = g shared among the minima"""
    return _extreme(input, None if dim == () else dim, keepdim, AMIN, "amin")


def max(input, dim=None, keepdim=False):
    """``max(a)`` (all elements), ``max(a, dim)`` -> (values, indices), ``max(a, b)`` = maximum."""
    if isinstance(dim, TensorBase):
        return maximum(input, dim)
    return _max_min(input, dim, keepdim, MAX, MAX_DIM, "max")


def min(input, dim=None, keepdim=False):
    """``min(a)``, ``min(a, dim)`` -> (values, indices), ``min(a, b)`` = minimum."""
    if isinstance(dim, TensorBase):
        return minimum(input, dim)
    return _max_min(input, dim, keepdim, MIN, MIN_DIM, "min")


def _max_min(a, dim, keepdim, full, by_dim, name):
    if dim is None:
        return _extreme(a, None, False, full, name)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    return _extreme_dim(a, dim, keepdim, by_dim, name)


def _arg(a, dim, keepdim, prim, name):
    a = refuse_bool(a, dim, name, RuntimeError, range_first=False)
    # Empty is fine along the other dims ((0, 2).argmax(1) is an empty result), not along dim
    # (IndexError, as PyTorch, also for a whole empty tensor without a dim).
    if a._data.size == 0 and (dim is None or a.shape[one_dim(dim, a.ndim, name)] == 0):
        raise IndexError(
            f"{name}(): cannot be computed on an empty tensor of shape {tuple(a.shape)} "
            f"over dim {dim}; specify a dim with nonzero size"
        )
    d = None if dim is None else one_dim(dim, a.ndim, name)
    return prim.apply((a,), (a._data,), (), {"dim": d, "keepdim": keepdim})


def _argmax_kernel(d, dim, keepdim, np_fn=np.argmax):
    """The int64 index ``np_fn`` picks along dim, or in the flattened array (dim None)."""
    if dim is None:
        out = np.asarray(np_fn(d.reshape(-1)))
        return (out.reshape((1,) * d.ndim) if keepdim else out).astype(np.int64)
    return np_fn(d, axis=dim, keepdims=keepdim).astype(np.int64)


def _argmin_kernel(d, dim, keepdim):
    return _argmax_kernel(d, dim, keepdim, np.argmin)


ARGMAX = Primitive("Argmax", _argmax_kernel)
ARGMIN = Primitive("Argmin", _argmin_kernel)


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (first of ties) over dim or the flattened tensor."""
    return _arg(input, dim, keepdim, ARGMAX, "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (first of ties) over dim or the flattened tensor."""
    return _arg(input, dim, keepdim, ARGMIN, "argmin")


def _correction(unbiased, correction):
    return correction if correction is not None else 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """`f(a) = sum((a - mean)^2)/(n - correction);  da = 2*g*(a - mean)/(n - correction)`"""
    a = as_tensor(input, "var")
    check_float(a, "var", RuntimeError)  # PyTorch's class for std and var
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    axes = norm_dim(all_dims_if_empty(dim), a.ndim, "var")
    n = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    corr = _correction(unbiased, correction)
    denom = float(builtins.max(n - corr, 0))
    scale = 2.0 / denom if denom else float("inf")
    attrs = {"dim": axes, "keepdim": keepdim, "correction": corr}
    return VAR.apply((a,), (a._data,), (a, scale, a.shape, axes, keepdim), attrs)


def _var_kernel(d, dim, keepdim, correction):
    n = int(np.prod([d.shape[i] for i in dim])) if dim else 1
    denom = float(builtins.max(n - correction, 0))
    if not n:
        return np.full(np.sum(d, axis=dim, keepdims=keepdim).shape, np.nan, d.dtype)
    with np.errstate(all="ignore"):
        centered = d - np.mean(d, axis=dim, keepdims=True)
        out = np.sum(centered * centered, axis=dim, keepdims=keepdim) / denom
    return np.asarray(out, dtype=d.dtype)


def _var_backward(g, a, scale, shape, axes, keepdim):
    g = _expand_back(g, shape, axes, keepdim)
    return (g * (a - a.mean(axes, keepdim=True)) * scale,)


VAR = Primitive("Var", _var_kernel, _var_backward)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """f(a) = sqrt(var(a))"""
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var(input, dim, ...), mean(input, dim, keepdim))`` in one call; the arguments are
    ``var``'s (``correction`` defaults to 1, Bessel's correction).

    >>> tt.var_mean(tt.tensor([[1.0, 2.0], [3.0, 4.0]]), 0)
    (tensor([2., 2.]), tensor([2., 3.]))"""
    v = var(input, dim, unbiased, keepdim, correction=correction)
    return v, mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std(input, dim, ...), mean(input, dim, keepdim))`` in one call; the arguments are
    ``std``'s (``correction`` defaults to 1, Bessel's correction)."""
    sd = std(input, dim, unbiased, keepdim, correction=correction)
    return sd, mean(input, dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    """`f(a) = log(sum(exp(a)))` over dim, computed stably as m + log(sum(exp(a - m)));
    `da = g*exp(a - f(a))`"""
    a = as_tensor(input, "logsumexp")
    a = a if a._data.dtype.kind == "f" else a.to(get_default_dtype())  # ints: PyTorch's
    if isinstance(dim, (tuple, list)) and not dim and a._data.size > 1 and not keepdim:
        # PyTorch 2.13 reduces all dims for dim=() but then fails to write the 0-d result.
        raise RuntimeError(
            f"logsumexp: dim=() with keepdim=False is refused for a {a.ndim}-d tensor, as in "
            "PyTorch (its all-dims result does not fit the output); pass "
            "dim=tuple(range(x.ndim)), or keepdim=True"
        )
    axes = norm_dim(all_dims_if_empty(dim), a.ndim, "logsumexp")
    saved = (a, OUT, a.shape, axes, keepdim)
    return LOGSUMEXP.apply((a,), (a._data,), saved, {"dim": axes, "keepdim": keepdim})


def _logsumexp_kernel(d, dim, keepdim):
    m = np.max(d, axis=dim, keepdims=True) if d.size else np.zeros(_keep_shape(d.shape, dim))
    m = np.where(np.isfinite(m), m, 0).astype(d.dtype)
    with np.errstate(all="ignore"):
        out = np.log(np.sum(np.exp(d - m), axis=dim, keepdims=True)) + m
    return np.asarray(out if keepdim else np.squeeze(out, axis=dim), dtype=d.dtype)


def _logsumexp_backward(g, a, out, shape, axes, keepdim):
    return (
        _expand_back(g, shape, axes, keepdim) * (a - _expand_back(out, shape, axes, keepdim)).exp(),
    )


LOGSUMEXP = Primitive("Logsumexp", _logsumexp_kernel, _logsumexp_backward)


def norm(input, p="fro", dim=None, keepdim=False, *, dtype=None):
    """`f(a) = (sum |a|^p)^(1/p)` over dim (in ``dtype`` when given); `p=2/'fro'` has
    `da = g*a/f(a) (0 where f(a) = 0)`"""
    a = as_tensor(input, "norm")
    a = a if dtype is None else a.to(to_dtype(dtype))
    check_float(a, "norm", RuntimeError)
    axes = norm_dim(all_dims_if_empty(dim), a.ndim, "norm")
    if p in ("fro", 2, 2.0):
        p = 2.0
    elif p in (float("inf"), "inf", float("-inf"), "-inf"):
        if a._data.size == 0 and (not axes or builtins.any(a.shape[i] == 0 for i in axes)):
            raise RuntimeError(f"norm: the {p} norm over an empty dim has no identity (dim={dim})")
        big = p in (float("inf"), "inf")
        return a.abs().amax(axes, keepdim) if big else a.abs().amin(axes, keepdim)
    elif p == 0:
        return (a != 0).to(a.dtype).sum(axes, keepdim=keepdim)
    elif isinstance(p, (int, float)) and not isinstance(p, bool):
        p = float(p)
    else:
        raise ValueError(f"norm: unsupported p={p!r}; use a number, 'fro', inf or -inf")
    attrs = {"p": p, "dim": axes, "keepdim": keepdim}
    return NORM.apply((a,), (a._data,), (a, OUT, p, a.shape, axes, keepdim), attrs)


def _norm_kernel(d, p, dim, keepdim):
    with np.errstate(all="ignore"):  # overflow to inf silently, as PyTorch
        if p == 2.0:
            return np.sqrt(np.sum(d * d, axis=dim, keepdims=keepdim))
        return np.asarray(np.sum(np.abs(d) ** p, axis=dim, keepdims=keepdim) ** (1.0 / p))


def _norm_backward(g, a, out, p, shape, axes, keepdim):
    """p = 2: `da = g*a/f(a)`; else `da = g*sign(a)*|a|^(p-1)/f(a)^(p-1)` (0 where f(a) = 0)"""
    o = _expand_back(out, shape, axes, keepdim)
    safe = o.masked_fill(o == 0, 1.0)
    if p == 2.0:  # the closed form needs no power
        return (_expand_back(g, shape, axes, keepdim) * a / safe * (o != 0),)
    # |a|^(p-1) is infinite at a == 0 when p < 1; sign(a) is 0 there anyway.
    scale = a.sign() * a.abs().masked_fill(a == 0, 1.0) ** (p - 1.0) / safe ** (p - 1.0)
    return (_expand_back(g, shape, axes, keepdim) * scale * (o != 0),)


NORM = Primitive("Norm", _norm_kernel, _norm_backward)


def cumsum(input, dim, *, dtype=None):
    """f(a) = running sum along dim (in ``dtype`` when given);  da = reversed running sum of g"""
    a = as_tensor(input, "cumsum")
    if dtype is not None or a._data.dtype.kind in "biu":  # integers accumulate in int64
        a = a.to(int64 if dtype is None else to_dtype(dtype))
    d = one_dim(dim, a.ndim, "cumsum")
    return CUMSUM.apply((a,), (a._data,), (d,), {"dim": d})


def _cumsum_kernel(x, dim):
    # NumPy would give a 0-d tensor shape (1,); PyTorch keeps the 0-d shape.
    return x.copy() if x.ndim == 0 else np.cumsum(x, axis=dim, dtype=x.dtype)


def _cumsum_backward(g, d):
    return (g.flip(d).cumsum(d).flip(d) if g.ndim else g,)


CUMSUM = Primitive("Cumsum", _cumsum_kernel, _cumsum_backward)
