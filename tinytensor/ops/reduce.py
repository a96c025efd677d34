"""Reductions over one, several or all dims (``dim`` int or tuple, ``keepdim``).

Ties, as in PyTorch: ``max(dim)``/``min(dim)`` return an index (the first of ties) and send
the whole gradient to it; the full reductions ``max()``/``min()`` and ``amax``/``amin``, which
return no index, split it evenly among the tied elements.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from tinytensor._dtype import to_dtype
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import OUT, record
from tinytensor.core import TensorBase, wrap
from tinytensor.ops._util import FP_SIGNALS, as_tensor, check_float, norm_dim, one_dim, quiet_module
from tinytensor.ops.elementwise import maximum, minimum, where
from tinytensor.ops.index import scatter

values_indices = namedtuple("values_indices", ["values", "indices"])
quiet_module(__name__)  # sum's kernel runs bare: see ops/_util.py


def _keep_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdim:
        g = g.reshape(_keep_shape(shape, axes))
    return g.expand(shape)


def sum(input, dim=None, keepdim=False, dtype=None):
    """f(a) = sum of a over dim;  da = g broadcast back"""
    a = input
    a = as_tensor(a, "sum")
    axes = norm_dim(dim, a.ndim, "sum")
    d = a._data
    if dtype is not None:
        d = d.astype(to_dtype(dtype).np)
    elif d.dtype.kind in "bui" and d.dtype != np.int64:
        d = d.astype(np.int64)
    # The ufunc's reduce (np.sum's own kernel) from this module's frame, bare: errstate would
    # cost as much as a small sum; overflow and inf + -inf are IEEE's silently (ops/_util.py).
    try:
        out = wrap(np.add.reduce(d, axis=axes, keepdims=keepdim))
    except FP_SIGNALS:
        with np.errstate(all="ignore"):
            out = wrap(np.add.reduce(d, axis=axes, keepdims=keepdim))
    attrs = {"dim": axes, "keepdim": keepdim}
    return record(out, "Sum", (a,), _sum_backward, (a.shape, axes, keepdim), attrs)


def _sum_backward(g, shape, axes, keepdim):
    return (_expand_back(g, shape, axes, keepdim),)


def mean(input, dim=None, keepdim=False, dtype=None):
    """f(a) = sum(a)/n over dim;  da = g/n broadcast back"""
    a = input
    a = as_tensor(a, "mean")
    if dtype is not None:
        a = a.to(dtype)
    if a._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be a floating point dtype, "
            f"got {a.dtype}; convert it with .float()"
        )
    axes = norm_dim(dim, a.ndim, "mean")
    n = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    with np.errstate(all="ignore"):
        out = (
            np.mean(a._data, axis=axes, keepdims=keepdim)
            if n
            else np.full(np.sum(a._data, axis=axes, keepdims=keepdim).shape, np.nan, a._data.dtype)
        )
    out = wrap(np.asarray(out, dtype=a._data.dtype))
    attrs = {"dim": axes, "keepdim": keepdim}
    return record(out, "Mean", (a,), _mean_backward, (n, a.shape, axes, keepdim), attrs)


def _mean_backward(g, n, shape, axes, keepdim):
    return (_expand_back(g / n, shape, axes, keepdim),)


def prod(input, dim=None, keepdim=False, dtype=None):
    """`f(a) = product of a over dim`;  `da = g * (product of the other elements)`"""
    a = input
    a = as_tensor(a, "prod")
    axes = norm_dim(dim, a.ndim, "prod")
    d = a._data
    if dtype is not None:
        d = d.astype(to_dtype(dtype).np)
    elif d.dtype.kind in "bui" and d.dtype != np.int64:
        d = d.astype(np.int64)
    with np.errstate(all="ignore"):
        out = wrap(np.prod(d, axis=axes, keepdims=keepdim))
    # As in PyTorch, ``a`` itself is saved even with a dtype (converted again in backward).
    return record(out, "Prod", (a,), _prod_backward, (a, OUT, a.shape, axes, keepdim))


def _prod_backward(g, a, out, shape, axes, keepdim):
    x = a if a.dtype == out.dtype else a.to(out.dtype)
    g = _expand_back(g, shape, axes, keepdim)
    if not np.any(x._data == 0):
        ga = g * _expand_back(out, shape, axes, keepdim) / x
    # With zeros, divide-by-a fails: the product of the others is computed directly,
    # in NumPy, or under create_graph in differentiable ops.
    elif grad_state.enabled:
        ga = g * _prod_of_others_graph(x, axes)
    else:
        ga = g * wrap(_prod_of_others(x._data, axes))
    return (ga if x is a else ga.to(a.dtype),)


def _prod_of_others(x, axes):
    """For each element, the product of the other elements in its reduction group."""
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    lead = moved.shape[: x.ndim - len(axes)]
    flat = moved.reshape(lead + (-1,))
    ones = np.ones(lead + (1,), x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    right = np.flip(np.cumprod(np.flip(np.concatenate([flat[..., 1:], ones], -1), -1), -1), -1)
    others = (left * right).reshape(moved.shape)
    return np.moveaxis(others, tuple(range(x.ndim - len(axes), x.ndim)), axes)


def _prod_of_others_graph(a, axes):
    """``_prod_of_others`` in differentiable ops: row i of an (n, n) matrix holds the group
    with element i replaced by 1, and its product is the product of the others."""
    rest = tuple(i for i in range(a.ndim) if i not in axes)
    order = rest + axes
    moved_shape = tuple(a.shape[i] for i in order)
    lead = moved_shape[: len(rest)]
    n = int(np.prod(moved_shape[len(rest) :]))
    flat = a.permute(order).reshape(lead + (1, n)).expand(lead + (n, n))
    others = where(wrap(np.eye(n, dtype=bool)), 1.0, flat).prod(-1)
    return others.reshape(moved_shape).permute(tuple(np.argsort(order)))


def _reduced_axes(a, dim, name):
    """The axes a max/min reduces; refuses an empty reduction (it has no identity)."""
    axes = norm_dim(dim, a.ndim, name)
    # builtins.any: this module's own ``any`` (the tensor op) shadows it here.
    if a._data.size == 0 and (not axes or builtins.any(a.shape[i] == 0 for i in axes)):
        raise RuntimeError(
            f"{name}(): cannot reduce an empty tensor of shape {tuple(a.shape)} over dim {dim}; "
            "specify a dim with nonzero size"
        )
    return axes


def _extreme(a, dim, keepdim, np_fn, name):
    a = as_tensor(a, name)
    axes = _reduced_axes(a, dim, name)
    out = wrap(np_fn(a._data, axis=axes, keepdims=keepdim))
    saved = (a, OUT, name, a.shape, axes, keepdim)
    attrs = {"dim": axes, "keepdim": keepdim}
    return record(out, name.capitalize(), (a,), _extreme_backward, saved, attrs)


def _extreme_backward(g, a, out, name, shape, axes, keepdim):
    # Ties share the gradient evenly. A NaN result sends it to the NaNs for max/min, but
    # makes it NaN for amax/amin (both as in PyTorch).
    o = _expand_back(out, shape, axes, keepdim)
    hit = a == o
    if name in ("max", "min") and np.isnan(out._data).any():
        hit = hit | (a.isnan() & o.isnan())
    mask = hit.to(g.dtype)
    count = mask.sum(axes, keepdim=True)
    return (_expand_back(g, shape, axes, keepdim) * mask / count,)


def _extreme_dim(a, dim, keepdim, np_fn, arg_fn, name):
    """``max(a, dim)``/``min(a, dim)`` -> (values, indices). As in PyTorch, backward sends
    ``g`` to the returned index (the first of ties, or the first NaN) and keeps the returned
    indices (changing them in place is an error), not ``a``."""
    a = as_tensor(a, name)
    axes = _reduced_axes(a, dim, name)
    values = np_fn(a._data, axis=axes, keepdims=keepdim)
    indices = argmax(a, dim, keepdim) if arg_fn is np.argmax else argmin(a, dim, keepdim)
    out = wrap(values)
    d = axes[0] if axes else 0
    saved = (indices, a.shape, d, keepdim)
    attrs = {"dim": d, "keepdim": keepdim}
    record(out, name.capitalize(), (a,), _extreme_dim_backward, saved, attrs)
    return values_indices(out, indices)


def _extreme_dim_backward(g, indices, shape, d, keepdim):
    """da = zeros with g written at the returned indices along d"""
    if not shape:
        return (g.reshape(()),)
    if not keepdim:
        g, indices = g.unsqueeze(d), indices.unsqueeze(d)
    return (scatter(wrap(np.zeros(shape, g._data.dtype)), d, indices, g),)


def amax(input, dim=(), keepdim=False):
    """f(a) = max over dim (all dims if empty);  da = g shared among the maxima"""
    a = input
    a = as_tensor(a, "amax")
    return _extreme(a, None if dim == () else dim, keepdim, np.max, "amax")


def amin(input, dim=(), keepdim=False):
    """f(a) = min over dim (all dims if empty);  da = g shared among the minima"""
    a = input
    a = as_tensor(a, "amin")
    return _extreme(a, None if dim == () else dim, keepdim, np.min, "amin")


def max(input, dim=None, keepdim=False):
    """``max(a)`` (all elements), ``max(a, dim)`` -> (values, indices), ``max(a, b)`` = maximum."""
    a = input
    if isinstance(dim, TensorBase):
        return maximum(a, dim)
    if dim is None:
        return _extreme(a, None, False, np.max, "max")
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"max: dim must be an int, got {dim!r}")
    return _extreme_dim(a, dim, keepdim, np.max, np.argmax, "max")


def min(input, dim=None, keepdim=False):
    """``min(a)``, ``min(a, dim)`` -> (values, indices), ``min(a, b)`` = minimum."""
    a = input
    if isinstance(dim, TensorBase):
        return minimum(a, dim)
    if dim is None:
        return _extreme(a, None, False, np.min, "min")
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"min: dim must be an int, got {dim!r}")
    return _extreme_dim(a, dim, keepdim, np.min, np.argmin, "min")


def _arg(a, dim, keepdim, np_fn, name):
    a = as_tensor(a, name)
    # Empty is fine along the other dims ((0, 2).argmax(1) is an empty result), not along dim.
    if a._data.size == 0 and (dim is None or a.shape[one_dim(dim, a.ndim, name)] == 0):
        raise RuntimeError(
            f"{name}(): cannot be computed on an empty tensor of shape {tuple(a.shape)} "
            f"over dim {dim}; specify a dim with nonzero size"
        )
    if dim is None:
        out = np.asarray(np_fn(a._data.reshape(-1)))
        if keepdim:
            out = out.reshape((1,) * a.ndim)
        return wrap(out.astype(np.int64))
    d = one_dim(dim, a.ndim, name)
    return wrap(np_fn(a._data, axis=d, keepdims=keepdim).astype(np.int64))


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (first of ties) over dim or the flattened tensor."""
    a = input
    return _arg(a, dim, keepdim, np.argmax, "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (first of ties) over dim or the flattened tensor."""
    a = input
    return _arg(a, dim, keepdim, np.argmin, "argmin")


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """`f(a) = sum((a - mean)^2)/(n - correction);  da = 2*g*(a - mean)/(n - correction)`"""
    a = input
    a = as_tensor(a, "var")
    check_float(a, "var")
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    axes = norm_dim(dim, a.ndim, "var")
    n = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    corr = _correction(unbiased, correction)
    denom = float(builtins.max(n - corr, 0))
    d = a._data
    with np.errstate(all="ignore"):
        if n:
            centered = d - np.mean(d, axis=axes, keepdims=True)
            out = np.sum(centered * centered, axis=axes, keepdims=keepdim) / denom
        else:
            out = np.full(np.sum(d, axis=axes, keepdims=keepdim).shape, np.nan)
    scale = 2.0 / denom if denom else float("inf")
    out = wrap(np.asarray(out, dtype=d.dtype))
    attrs = {"dim": axes, "keepdim": keepdim, "correction": corr}
    return record(out, "Var", (a,), _var_backward, (a, scale, a.shape, axes, keepdim), attrs)


def _var_backward(g, a, scale, shape, axes, keepdim):
    g = _expand_back(g, shape, axes, keepdim)
    return (g * (a - a.mean(axes, keepdim=True)) * scale,)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """f(a) = sqrt(var(a))"""
    a = input
    return var(a, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var(input, dim, ...), mean(input, dim, keepdim))`` in one call; the arguments are
    ``var``'s (``correction`` defaults to 1, Bessel's correction).

    >>> tt.var_mean(tt.tensor([[1.0, 2.0], [3.0, 4.0]]), 0)
    (tensor([2., 2.]), tensor([2., 3.]))"""
    a = input
    return var(a, dim, unbiased, keepdim, correction=correction), mean(a, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std(input, dim, ...), mean(input, dim, keepdim))`` in one call; the arguments are
    ``std``'s (``correction`` defaults to 1, Bessel's correction)."""
    a = input
    return std(a, dim, unbiased, keepdim, correction=correction), mean(a, dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    """`f(a) = log(sum(exp(a)))` over dim, computed stably as m + log(sum(exp(a - m)));
    `da = g*exp(a - f(a))`"""
    a = input
    a = as_tensor(a, "logsumexp")
    check_float(a, "logsumexp")
    axes = norm_dim(dim, a.ndim, "logsumexp")
    d = a._data
    m = (
        np.max(d, axis=axes, keepdims=True)
        if d.size
        else np.zeros(_keep_shape(a.shape, axes), d.dtype)
    )
    m = np.where(np.isfinite(m), m, 0).astype(d.dtype)
    with np.errstate(all="ignore"):
        out = np.log(np.sum(np.exp(d - m), axis=axes, keepdims=True)) + m
    if not keepdim:
        out = np.squeeze(out, axis=axes)
    out = wrap(np.asarray(out, dtype=d.dtype))
    saved = (a, OUT, a.shape, axes, keepdim)
    attrs = {"dim": axes, "keepdim": keepdim}
    return record(out, "Logsumexp", (a,), _logsumexp_backward, saved, attrs)


def _logsumexp_backward(g, a, out, shape, axes, keepdim):
    return (
        _expand_back(g, shape, axes, keepdim) * (a - _expand_back(out, shape, axes, keepdim)).exp(),
    )


def norm(input, p="fro", dim=None, keepdim=False):
    """`f(a) = (sum |a|^p)^(1/p)` over dim; `p=2/'fro'` has `da = g*a/f(a) (0 where f(a) = 0)`"""
    a = input
    a = as_tensor(a, "norm")
    check_float(a, "norm")
    axes = norm_dim(dim, a.ndim, "norm")
    if p in ("fro", 2, 2.0):
        with np.errstate(all="ignore"):  # overflow to inf silently, as PyTorch
            out = wrap(np.sqrt(np.sum(a._data * a._data, axis=axes, keepdims=keepdim)))
        saved = (a, OUT, 2.0, a.shape, axes, keepdim)
        attrs = {"p": 2.0, "dim": axes, "keepdim": keepdim}
        return record(out, "Norm", (a,), _norm2_backward, saved, attrs)
    if p in (float("inf"), "inf"):
        return a.abs().amax(axes, keepdim)
    if p in (float("-inf"), "-inf"):
        return a.abs().amin(axes, keepdim)
    if p == 0:
        return (a != 0).to(a.dtype).sum(axes, keepdim=keepdim)
    if isinstance(p, (int, float)) and not isinstance(p, bool):
        return _p_norm(a, float(p), axes, keepdim)
    raise ValueError(f"norm: unsupported p={p!r}; use a number, 'fro', inf or -inf")


def _norm2_backward(g, a, out, p, shape, axes, keepdim):
    # p is 2 here (saved so both Norm nodes have one layout); the closed form needs no power.
    o = _expand_back(out, shape, axes, keepdim)
    safe = o.masked_fill(o == 0, 1.0)
    return (_expand_back(g, shape, axes, keepdim) * a / safe * (o != 0),)


def _p_norm(a, p, axes, keepdim):
    """`f(a) = (sum |a|^p)^(1/p);  da = g*sign(a)*|a|^(p-1)/f(a)^(p-1) (0 where f(a) = 0)`"""
    d = np.abs(a._data)
    with np.errstate(all="ignore"):
        out = wrap(np.asarray(np.sum(d**p, axis=axes, keepdims=keepdim) ** (1.0 / p)))
    attrs = {"p": p, "dim": axes, "keepdim": keepdim}
    return record(out, "Norm", (a,), _p_norm_backward, (a, OUT, p, a.shape, axes, keepdim), attrs)


def _p_norm_backward(g, a, out, p, shape, axes, keepdim):
    o = _expand_back(out, shape, axes, keepdim)
    safe = o.masked_fill(o == 0, 1.0)
    # |a|^(p-1) is infinite at a == 0 when p < 1; sign(a) is 0 there anyway.
    scale = a.sign() * a.abs().masked_fill(a == 0, 1.0) ** (p - 1.0) / safe ** (p - 1.0)
    return (_expand_back(g, shape, axes, keepdim) * scale * (o != 0),)


def all(input, dim=None, keepdim=False):
    """True where every element (over ``dim``, or the whole tensor) is nonzero; a bool tensor.
    No gradient.

    >>> tt.all(tt.tensor([[True, False], [True, True]]), dim=1)
    tensor([False,  True])"""
    a = input
    a = as_tensor(a, "all")
    return wrap(np.all(a._data, axis=norm_dim(dim, a.ndim, "all"), keepdims=keepdim))


def any(input, dim=None, keepdim=False):
    """True where some element (over ``dim``, or the whole tensor) is nonzero; a bool tensor.
    No gradient.

    >>> tt.any(tt.tensor([[True, False], [False, False]]), dim=1)
    tensor([ True, False])"""
    a = input
    a = as_tensor(a, "any")
    return wrap(np.any(a._data, axis=norm_dim(dim, a.ndim, "any"), keepdims=keepdim))


def cumsum(input, dim):
    """f(a) = running sum along dim;  da = reversed running sum of g"""
    a = input
    a = as_tensor(a, "cumsum")
    d = one_dim(dim, a.ndim, "cumsum")
    data = a._data if a._data.dtype.kind == "f" else a._data.astype(np.int64)
    # NumPy would give a 0-d tensor shape (1,); PyTorch keeps the 0-d shape.
    out = wrap(data.copy() if a.ndim == 0 else np.cumsum(data, axis=d))
    return record(out, "Cumsum", (a,), _cumsum_backward, (d,))


def _cumsum_backward(g, d):
    return (g.flip(d).cumsum(d).flip(d) if g.ndim else g,)
