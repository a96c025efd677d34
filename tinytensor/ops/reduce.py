"""Reductions over one, several or all dims (``dim`` int or tuple, ``keepdim``).

Ties in max/min/amax/amin: the gradient is split evenly among the tied elements (for
``max(dim)`` too, where PyTorch gives it all to the returned index), so the result does not
depend on which tied index NumPy happens to report.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from tinytensor._dtype import to_dtype
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import record_legacy
from tinytensor.core import TensorBase, wrap
from tinytensor.ops._util import as_tensor, check_float, norm_dim, one_dim
from tinytensor.ops.elementwise import maximum, minimum, where

values_indices = namedtuple("values_indices", ["values", "indices"])


def _keep_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdim:
        g = g.reshape(_keep_shape(shape, axes))
    return g.expand(shape)


def sum(a, dim=None, keepdim=False, dtype=None):
    """f(a) = sum of a over dim;  da = g broadcast back"""
    a = as_tensor(a, "sum")
    axes = norm_dim(dim, a.ndim, "sum")
    d = a._data
    if dtype is not None:
        d = d.astype(to_dtype(dtype).np)
    elif d.dtype.kind in "bui" and d.dtype != np.int64:
        d = d.astype(np.int64)
    shape = a.shape
    return record_legacy(
        wrap(np.sum(d, axis=axes, keepdims=keepdim)),
        "Sum",
        (a,),
        lambda g, out: (_expand_back(g, shape, axes, keepdim),),
    )


def mean(a, dim=None, keepdim=False, dtype=None):
    """f(a) = sum(a)/n over dim;  da = g/n broadcast back"""
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
    shape = a.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (
            np.mean(a._data, axis=axes, keepdims=keepdim)
            if n
            else np.full(np.sum(a._data, axis=axes, keepdims=keepdim).shape, np.nan, a._data.dtype)
        )
    return record_legacy(
        wrap(np.asarray(out, dtype=a._data.dtype)),
        "Mean",
        (a,),
        lambda g, o: (_expand_back(g / n, shape, axes, keepdim),),
    )


def prod(a, dim=None, keepdim=False, dtype=None):
    """f(a) = product of a over dim;  da = g * (product of the other elements)"""
    a = as_tensor(a, "prod")
    if dtype is not None:
        a = a.to(dtype)
    axes = norm_dim(dim, a.ndim, "prod")
    d = a._data
    if d.dtype.kind in "bui" and d.dtype != np.int64:
        d = d.astype(np.int64)
    shape = a.shape

    def backward(g, out):
        g = _expand_back(g, shape, axes, keepdim)
        if not np.any(a._data == 0):
            return (g * _expand_back(out, shape, axes, keepdim) / a,)
        # With zeros, divide-by-a fails: the product of the others is computed directly,
        # in NumPy, or under create_graph in differentiable ops.
        if grad_state.enabled:
            return (g * _prod_of_others_graph(a, axes),)
        return (g * wrap(_prod_of_others(a._data, axes)),)

    return record_legacy(
        wrap(np.prod(d, axis=axes, keepdims=keepdim)),
        "Prod",
        (a,),
        backward,
        (a,),
        save_output=True,
    )


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


def _extreme(a, dim, keepdim, np_fn, name):
    a = as_tensor(a, name)
    axes = norm_dim(dim, a.ndim, name)
    # builtins.any: this module's own ``any`` (the tensor op) shadows it here.
    if a._data.size == 0 and (not axes or builtins.any(a.shape[i] == 0 for i in axes)):
        raise RuntimeError(
            f"{name}(): cannot reduce an empty tensor of shape {tuple(a.shape)} over dim {dim}; "
            "specify a dim with nonzero size"
        )
    shape = a.shape

    def backward(g, out):
        # Ties share the gradient evenly. A NaN result sends it to the NaNs for max/min, but
        # makes it NaN for amax/amin (both as in PyTorch).
        o = _expand_back(out, shape, axes, keepdim)
        hit = a == o
        if name in ("max", "min") and np.isnan(out._data).any():
            hit = hit | (a.isnan() & o.isnan())
        mask = hit.to(g.dtype)
        count = mask.sum(axes, keepdim=True)
        return (_expand_back(g, shape, axes, keepdim) * mask / count,)

    return record_legacy(
        wrap(np_fn(a._data, axis=axes, keepdims=keepdim)),
        name.capitalize(),
        (a,),
        backward,
        (a,),
        save_output=True,
    )


def amax(a, dim=(), keepdim=False):
    """f(a) = max over dim (all dims if empty);  da = g shared among the maxima"""
    a = as_tensor(a, "amax")
    return _extreme(a, None if dim == () else dim, keepdim, np.max, "amax")


def amin(a, dim=(), keepdim=False):
    """f(a) = min over dim (all dims if empty);  da = g shared among the minima"""
    a = as_tensor(a, "amin")
    return _extreme(a, None if dim == () else dim, keepdim, np.min, "amin")


def max(a, dim=None, keepdim=False):
    """``max(a)`` (all elements), ``max(a, dim)`` -> (values, indices), ``max(a, b)`` = maximum."""
    if isinstance(dim, TensorBase):
        return maximum(a, dim)
    if dim is None:
        return _extreme(a, None, False, np.max, "max")
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"max: dim must be an int, got {dim!r}")
    return values_indices(_extreme(a, dim, keepdim, np.max, "max"), argmax(a, dim, keepdim))


def min(a, dim=None, keepdim=False):
    """``min(a)``, ``min(a, dim)`` -> (values, indices), ``min(a, b)`` = minimum."""
    if isinstance(dim, TensorBase):
        return minimum(a, dim)
    if dim is None:
        return _extreme(a, None, False, np.min, "min")
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"min: dim must be an int, got {dim!r}")
    return values_indices(_extreme(a, dim, keepdim, np.min, "min"), argmin(a, dim, keepdim))


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


def argmax(a, dim=None, keepdim=False):
    """Index of the largest element (first of ties) over dim or the flattened tensor."""
    return _arg(a, dim, keepdim, np.argmax, "argmax")


def argmin(a, dim=None, keepdim=False):
    """Index of the smallest element (first of ties) over dim or the flattened tensor."""
    return _arg(a, dim, keepdim, np.argmin, "argmin")


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def var(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """f(a) = sum((a - mean)^2)/(n - correction);  da = 2*g*(a - mean)/(n - correction)"""
    a = as_tensor(a, "var")
    check_float(a, "var")
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    axes = norm_dim(dim, a.ndim, "var")
    n = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    denom = float(builtins.max(n - _correction(unbiased, correction), 0))
    d = a._data
    with np.errstate(divide="ignore", invalid="ignore"):
        if n:
            centered = d - np.mean(d, axis=axes, keepdims=True)
            out = np.sum(centered * centered, axis=axes, keepdims=keepdim) / denom
        else:
            out = np.full(np.sum(d, axis=axes, keepdims=keepdim).shape, np.nan)
    scale = 2.0 / denom if denom else float("inf")
    shape = a.shape

    def backward(g, out):
        g = _expand_back(g, shape, axes, keepdim)
        return (g * (a - a.mean(axes, keepdim=True)) * scale,)

    return record_legacy(wrap(np.asarray(out, dtype=d.dtype)), "Var", (a,), backward, (a,))


def std(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """f(a) = sqrt(var(a))"""
    return var(a, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(a, dim, unbiased, keepdim, correction=correction), mean(a, dim, keepdim)


def std_mean(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(a, dim, unbiased, keepdim, correction=correction), mean(a, dim, keepdim)


def logsumexp(a, dim, keepdim=False):
    """f(a) = log(sum(exp(a))) over dim, computed stably as m + log(sum(exp(a - m)))"""
    a = as_tensor(a, "logsumexp")
    check_float(a, "logsumexp")
    axes = norm_dim(dim, a.ndim, "logsumexp")
    m = (
        np.max(a._data, axis=axes, keepdims=True)
        if a._data.size
        else np.zeros(_keep_shape(a.shape, axes), a._data.dtype)
    )
    m = np.where(np.isfinite(m), m, 0).astype(a._data.dtype)
    shifted = (a - wrap(m)).exp().sum(axes, keepdim=True).log() + wrap(m)
    return shifted if keepdim else shifted.squeeze(axes) if axes else shifted


def norm(a, p="fro", dim=None, keepdim=False):
    """f(a) = (sum |a|^p)^(1/p) over dim; p=2/'fro' has da = g*a/f(a) (0 where f(a) = 0)"""
    a = as_tensor(a, "norm")
    check_float(a, "norm")
    axes = norm_dim(dim, a.ndim, "norm")
    if p in ("fro", 2, 2.0):
        shape = a.shape
        out = np.sqrt(np.sum(a._data * a._data, axis=axes, keepdims=keepdim))

        def backward(g, out):
            o = _expand_back(out, shape, axes, keepdim)
            safe = o.masked_fill(o == 0, 1.0)
            return (_expand_back(g, shape, axes, keepdim) * a / safe * (o != 0),)

        return record_legacy(wrap(out), "Norm", (a,), backward, (a,), save_output=True)
    if p in (float("inf"), "inf"):
        return a.abs().amax(axes, keepdim)
    if p in (float("-inf"), "-inf"):
        return a.abs().amin(axes, keepdim)
    if p == 0:
        return (a != 0).to(a.dtype).sum(axes, keepdim=keepdim)
    if p == 1:
        return a.abs().sum(axes, keepdim=keepdim)
    if isinstance(p, (int, float)) and not isinstance(p, bool):
        return _p_norm(a, float(p), axes, keepdim)
    raise ValueError(f"norm: unsupported p={p!r}; use a number, 'fro', inf or -inf")


def _p_norm(a, p, axes, keepdim):
    """f(a) = (sum |a|^p)^(1/p);  da = g*sign(a)*|a|^(p-1)/f(a)^(p-1) (0 where f(a) = 0)"""
    d = np.abs(a._data)
    with np.errstate(divide="ignore"):
        out = np.sum(d**p, axis=axes, keepdims=keepdim) ** (1.0 / p)
    shape = a.shape

    def backward(g, out):
        o = _expand_back(out, shape, axes, keepdim)
        safe = o.masked_fill(o == 0, 1.0)
        # |a|^(p-1) is infinite at a == 0 when p < 1; sign(a) is 0 there anyway.
        scale = a.sign() * a.abs().masked_fill(a == 0, 1.0) ** (p - 1.0) / safe ** (p - 1.0)
        return (_expand_back(g, shape, axes, keepdim) * scale * (o != 0),)

    return record_legacy(wrap(np.asarray(out)), "Norm", (a,), backward, (a,), save_output=True)


def all(a, dim=None, keepdim=False):
    a = as_tensor(a, "all")
    return wrap(np.all(a._data, axis=norm_dim(dim, a.ndim, "all"), keepdims=keepdim))


def any(a, dim=None, keepdim=False):
    a = as_tensor(a, "any")
    return wrap(np.any(a._data, axis=norm_dim(dim, a.ndim, "any"), keepdims=keepdim))


def cumsum(a, dim):
    """f(a) = running sum along dim;  da = reversed running sum of g"""
    a = as_tensor(a, "cumsum")
    d = one_dim(dim, a.ndim, "cumsum")
    data = a._data if a._data.dtype.kind == "f" else a._data.astype(np.int64)
    if a.ndim == 0:  # NumPy would return shape (1,); PyTorch keeps the 0-d shape
        return record_legacy(wrap(data.copy()), "Cumsum", (a,), lambda g, out: (g,))
    return record_legacy(
        wrap(np.cumsum(data, axis=d)),
        "Cumsum",
        (a,),
        lambda g, out: (g.flip(d).cumsum(d).flip(d),),
    )
