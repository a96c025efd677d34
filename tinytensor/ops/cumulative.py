"""Running and scattering ops: cumprod, cummax/cummin, logcumsumexp, scatter_reduce,
index_fill/index_copy, put, take_along_dim, diff, trapezoid.

Backward formulas are written in tinytensor ops, so each is differentiable again.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tinytensor._dtype import to_dtype
from tinytensor.autograd.node import OUT, record
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import elementwise as E
from tinytensor.ops import index as I
from tinytensor.ops import reduce as R
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, check_float, one_dim
from tinytensor.ops._util import requires_grad as _rg

cummax_result = namedtuple("cummax", ["values", "indices"])
cummin_result = namedtuple("cummin", ["values", "indices"])


def _zeros(shape, like):
    return wrap(np.zeros(shape, like._data.dtype))


# --- cumprod ------------------------------------------------------------------------------------


def cumprod(a, dim, *, dtype=None):
    """f(a)_j = prod_{i<=j} a_i along dim;  da_k = sum_{j>=k} g_j prod_{i<=j, i!=k} a_i"""
    a = as_tensor(a, "cumprod")
    if dtype is not None:
        a = a.to(to_dtype(dtype))
    d = one_dim(dim, a.ndim, "cumprod")
    data = a._data if a._data.dtype.kind == "f" else a._data.astype(np.int64)
    out = wrap(data.copy() if a.ndim == 0 else np.cumprod(data, axis=d))
    return record(out, "Cumprod", (a,), _cumprod_backward, (a, OUT, d))


def _cumprod_backward(g, a, out, d):
    if a.ndim == 0:
        return (g,)
    # Divide only when no running product is zero (or underflows) and no a_k is tiny.
    if not (out._data == 0).any() and not (np.abs(a._data) < 1e-100).any():
        return (S.flip(R.cumsum(S.flip(g * out, d), d), d) / a,)
    # With zeros, divide by nothing: row k of ``e`` is a with a_k replaced by 1, so its running
    # product at j >= k is the product of the others; sum g_j times it over j >= k.
    x, gx = S.movedim(a, d, -1), S.movedim(g, d, -1)
    n = x.shape[-1]
    eye = wrap(np.eye(n, dtype=bool))
    e = E.where(eye, 1.0, S.unsqueeze(x, -2))
    upper = wrap(np.triu(np.ones((n, n), a._data.dtype)))
    grad = R.sum(cumprod(e, -1) * upper * S.unsqueeze(gx, -2), -1)
    return (S.movedim(grad, -1, d),)


# --- cummax, cummin -----------------------------------------------------------------------------


def _cum_extreme(a, dim, name, result, better):
    a = as_tensor(a, name)
    d = one_dim(dim, a.ndim, name)
    if a.ndim == 0:
        values, idx = a._data.copy(), np.zeros((), np.int64)
    else:
        x = np.moveaxis(a._data, d, 0)
        values, idx = np.empty_like(x), np.zeros(x.shape, np.int64)
        for i in range(x.shape[0]):
            if i == 0:
                values[0] = x[0]
                continue
            take = better(x[i], values[i - 1])
            if x.dtype.kind == "f":
                prev_nan = np.isnan(values[i - 1])
                take = np.isnan(x[i]) | (~prev_nan & take)
            values[i] = np.where(take, x[i], values[i - 1])
            idx[i] = np.where(take, i, idx[i - 1])
        values, idx = np.moveaxis(values, 0, d), np.moveaxis(idx, 0, d)
    out, indices = wrap(np.ascontiguousarray(values)), wrap(np.ascontiguousarray(idx))
    # PyTorch saves self and the returned indices: changing either in place is an error.
    record(out, name.capitalize(), (a,), _cum_extreme_backward, (a, indices, d))
    return result(out, indices)


def _cum_extreme_backward(g, a, indices, d):
    """da = zeros with g added at the running extreme's index"""
    if a.ndim == 0:
        return (g,)
    return (I.scatter_add(_zeros(a.shape, g), d, indices, g),)


def cummax(a, dim):
    """f(a) = (running max along dim, its index; the last one of ties);  da = g added there"""
    return _cum_extreme(a, dim, "cummax", cummax_result, np.greater_equal)


def cummin(a, dim):
    """f(a) = (running min along dim, its index; the last one of ties);  da = g added there"""
    return _cum_extreme(a, dim, "cummin", cummin_result, np.less_equal)


# --- logcumsumexp -------------------------------------------------------------------------------


def logcumsumexp(a, dim):
    """f(a)_j = log sum_{i<=j} exp(a_i);  da_k = sum_{j>=k} g_j exp(a_k - f_j)"""
    a = as_tensor(a, "logcumsumexp")
    check_float(a, "logcumsumexp")
    d = one_dim(dim, a.ndim, "logcumsumexp")
    out = a._data.copy() if a.ndim == 0 else np.logaddexp.accumulate(a._data, axis=d)
    return record(wrap(out), "Logcumsumexp", (a,), _logcumsumexp_backward, (a, OUT, d))


def _logcumsumexp_backward(g, a, out, d):
    if a.ndim == 0:
        return (g,)
    # In log space, positive and negative parts of g apart, so nothing overflows.
    lg = E.log(E.abs(E.where(E.eq(g, 0.0), 1.0, g))) - out
    pos = E.where(g > 0, lg, -np.inf)
    neg = E.where(g < 0, lg, -np.inf)
    rpos = S.flip(logcumsumexp(S.flip(pos, d), d), d)
    rneg = S.flip(logcumsumexp(S.flip(neg, d), d), d)
    return (E.exp(rpos + a) - E.exp(rneg + a),)


# --- scatter_reduce -----------------------------------------------------------------------------

_REDUCE_UFUNC = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum}
_REDUCE_UFUNC["amin"] = np.minimum


def _identity(reduce, dtype):
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype) if dtype.kind in "iu" else None
    if reduce == "amax":
        return -np.inf if dtype.kind == "f" else info.min if info else False
    if reduce == "amin":
        return np.inf if dtype.kind == "f" else info.max if info else True
    return 1 if reduce == "prod" else 0


def scatter_reduce(a, dim, index, src, reduce, *, include_self=True):
    """f(a, s) = a with s reduced (sum/prod/mean/amax/amin) into it at index along dim;
    gradients as PyTorch's scatter_reduce_backward"""
    a = as_tensor(a, "scatter_reduce")
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(
            f"scatter_reduce: reduce argument must be one of sum, prod, mean, amax, amin, got "
            f"{reduce!r}"
        )
    d, index = I._check_index(a, dim, index, "scatter_reduce")
    src = as_tensor(src, "scatter_reduce")
    if src._data.dtype != a._data.dtype:
        raise RuntimeError(
            f"scatter_reduce: expected self and src to have the same dtype, got {a.dtype} and "
            f"{src.dtype}"
        )
    if src.ndim != index.ndim or any(s < i for s, i in zip(src.shape, index.shape)):
        raise RuntimeError(
            f"scatter_reduce: src {tuple(src.shape)} must be at least as large as index "
            f"{tuple(index.shape)} in every dimension"
        )
    if src.shape != index.shape:
        src = I.getitem(src, tuple(slice(0, n) for n in index.shape))
    at = I._along(index._data, d)
    hit = np.zeros(a.shape, bool)
    hit[at] = True
    out = a._data.copy()
    if not include_self:
        out[hit] = _identity(reduce, out.dtype)
    _REDUCE_UFUNC[reduce].at(out, at, src._data)
    count = None
    if reduce == "mean":
        n = np.zeros(a.shape, np.int64) + (1 if include_self else 0)
        np.add.at(n, at, 1)
        n = np.maximum(n, 1)
        out = out / n if out.dtype.kind == "f" else out // n
        count = wrap(n.astype(out.dtype))
    saved = (a, index, src, OUT, d, reduce, include_self, wrap(hit), count)
    result = wrap(out.astype(a._data.dtype, copy=False))
    return record(result, "ScatterReduce", (a, src), _scatter_reduce_backward, saved)


def _scatter_reduce_backward(g, a, index, src, out, d, reduce, include_self, hit, count):
    keep = E.logical_not(hit) if not include_self else None
    if reduce == "sum":
        ga, gs = g, I.gather(g, d, index)
    elif reduce == "mean":
        ga, gs = g / count, I.gather(g / count, d, index)
    elif reduce == "prod":
        ga, gs = _prod_grads(g, a, index, src, out, d, include_self)
    else:
        a_is = E.eq(a, out) if keep is None else E.logical_and(E.eq(a, out), keep)
        s_is = E.eq(src, I.gather(out, d, index))
        n = I.scatter_add(a_is.to(g.dtype), d, index, s_is.to(g.dtype))
        share = g / E.where(E.eq(n, 0.0), 1.0, n)
        ga, gs = share * a_is.to(g.dtype), I.gather(share, d, index) * s_is.to(g.dtype)
    if keep is not None:
        ga = ga * keep.to(g.dtype)
    return ga, gs


def _prod_grads(g, a, index, src, out, d, include_self):
    """d out / d x = product of the other members of x's group: out / x, or for a zero x the
    product of the group's non-zero members if x is its only zero (else 0)."""
    a_zero, s_zero = E.eq(a, 0.0), E.eq(src, 0.0)
    a1, s1 = E.where(a_zero, 1.0, a), E.where(s_zero, 1.0, src)
    zeros = I.scatter_add(
        a_zero.to(g.dtype) if include_self else _zeros(a.shape, g), d, index, s_zero.to(g.dtype)
    )
    nonzero_prod = scatter_reduce(a1, d, index, s1, "prod", include_self=include_self)
    lone = nonzero_prod * E.eq(zeros, 1.0).to(g.dtype)
    ga = g * E.where(a_zero, lone, out / a1)
    gs = I.gather(g, d, index) * E.where(
        s_zero, I.gather(lone, d, index), I.gather(out, d, index) / s1
    )
    return ga, gs


# --- index_fill, index_copy, put, take_along_dim ------------------------------------------------


def index_fill(a, dim, index, value):
    """f(a) = a with value written at index along dim;  da = g zeroed there,
    dvalue = sum of g there"""
    a = as_tensor(a, "index_fill")
    d = one_dim(dim, a.ndim, "index_fill")
    index = I._vector_index(a, d, index, "index_fill", IndexError)
    if isinstance(value, TensorBase) and value.ndim != 0:
        raise RuntimeError(
            f"index_fill only supports a 0-dimensional value tensor, got {value.ndim} dims"
        )
    v = value._data if isinstance(value, TensorBase) else value
    out = a._data.copy()
    if a.ndim:
        out[(slice(None),) * d + (index._data.reshape(-1),)] = v
    else:
        out[...] = v if index._data.size else out
    saved = (index, d, _rg(a), _rg(value))
    return record(wrap(out), "IndexFill", (a, value), _index_fill_backward, saved)


def _index_fill_backward(g, index, d, needs_a, needs_value):
    ga = index_fill(g, d, index, 0.0) if needs_a else None
    gv = None
    if needs_value:
        uniq = wrap(np.unique(index._data))
        gv = R.sum(I.index_select(g, d, uniq)) if g.ndim else g * float(uniq._data.size > 0)
    return ga, gv


def index_copy(a, dim, index, source):
    """f(a, s) = a with s's slices written at index along dim;  da = g zeroed there,
    ds = g's slices at index"""
    a = as_tensor(a, "index_copy")
    d = one_dim(dim, a.ndim, "index_copy")
    index = I._vector_index(a, d, index, "index_copy", IndexError)
    source = as_tensor(source, "index_copy")
    idx = index._data.reshape(-1)
    expect = a.shape[:d] + (len(idx),) + a.shape[d + 1 :] if a.ndim else source.shape
    if source.shape != expect or source._data.dtype != a._data.dtype:
        raise RuntimeError(
            f"index_copy: source must have shape {expect} and dtype {a.dtype} for input "
            f"{tuple(a.shape)}, dim {dim} and {len(idx)} indices; got {tuple(source.shape)} "
            f"and {source.dtype}"
        )
    out = a._data.copy()
    out[(slice(None),) * d + (idx,)] = source._data
    # PyTorch saves index and source: changing either in place before backward is an error.
    return record(wrap(out), "IndexCopy", (a, source), _index_copy_backward, (index, source, d))


def _index_copy_backward(g, index, source, d):
    return index_fill(g, d, index, 0.0), I.index_select(g, d, index)


def put(a, index, source, accumulate=False):
    """f(a, s) = a.flatten() with s written (or added) at index, reshaped;
    da = g (zeroed at index unless accumulating),  ds = g.take(index)"""
    a = as_tensor(a, "put")
    index = as_tensor(index, "put")
    source = as_tensor(source, "put")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"put: index must be an int64 tensor, got {index.dtype}")
    if index._data.size != source._data.size:
        raise RuntimeError(
            f"put: source {tuple(source.shape)} and index {tuple(index.shape)} must have the "
            "same number of elements"
        )
    n = a._data.size
    idx = index._data.reshape(-1)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = int(idx.min() if idx.min() < -n else idx.max())
        raise IndexError(f"put: index {bad} is out of range for a tensor of {n} elements")
    flat = a._data.copy().reshape(-1)
    src = source._data.reshape(-1).astype(flat.dtype)
    if accumulate:
        np.add.at(flat, idx, src)
    else:
        flat[idx] = src
    saved = (index, source, accumulate)
    return record(wrap(flat.reshape(a.shape)), "Put", (a, source), _put_backward, saved)


def _put_backward(g, index, source, accumulate):
    ga = g if accumulate else put(g, index, _zeros(source.shape, g))
    return ga, S.reshape(I.take(g, index), source.shape)


def take_along_dim(input, indices, dim=None):
    """f(a) = a's values at ``indices`` along dim (broadcast), or in the flattened tensor"""
    a = as_tensor(input, "take_along_dim")
    idx = as_tensor(indices, "take_along_dim")
    if idx._data.dtype.kind not in "iu":
        raise RuntimeError(f"take_along_dim: indices must be int64, got {idx.dtype}")
    if dim is None:
        return I.gather(S.reshape(a, (-1,)), 0, S.reshape(idx, (-1,)))
    # Along a dim PyTorch's backward does not read the caller's indices: gather gets a copy.
    idx = wrap(idx._data.copy())
    if a.ndim != idx.ndim:
        raise RuntimeError(
            f"take_along_dim: input {tuple(a.shape)} and indices {tuple(idx.shape)} should "
            "have the same number of dimensions"
        )
    d = one_dim(dim, a.ndim, "take_along_dim")
    try:
        shape = list(np.broadcast_shapes(a.shape, idx.shape))
    except ValueError:
        try:
            sa, si = list(a.shape), list(idx.shape)
            sa[d] = si[d] = 1
            shape = list(np.broadcast_shapes(tuple(sa), tuple(si)))
        except ValueError:
            raise RuntimeError(
                f"take_along_dim: input {tuple(a.shape)} and indices {tuple(idx.shape)} do not "
                "broadcast outside dim"
            ) from None
    sa, si = list(shape), list(shape)
    sa[d], si[d] = a.shape[d], idx.shape[d]
    return I.gather(S.expand(a, sa), d, S.expand(idx, si))


# --- diff, trapezoid ----------------------------------------------------------------------------


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """f(a) = a[1:] - a[:-1] along dim, n times (after prepending/appending)"""
    a = as_tensor(input, "diff")
    if a.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = one_dim(dim, a.ndim, "diff")
    parts = [as_tensor(t, "diff") for t in (prepend, a, append) if t is not None]
    parts = [S.unsqueeze(t, d) if t.ndim == 0 else t for t in parts]
    x = S.cat(parts, d) if len(parts) > 1 else a
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = S.narrow(x, d, 1, m - 1), S.narrow(x, d, 0, m - 1)
        x = E.logical_xor(hi, lo) if x._data.dtype == np.bool_ else hi - lo
    return x


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along dim: sum of (x_{i+1} - x_i) (y_i + y_{i+1}) / 2"""
    y = as_tensor(y, "trapezoid")
    d = one_dim(dim, y.ndim, "trapezoid")
    n = y.shape[d]
    if n == 0:
        return R.sum(y, d) * 1.0
    mids = (S.narrow(y, d, 1, n - 1) + S.narrow(y, d, 0, n - 1)) / 2
    return R.sum(mids * _spacing(x, dx, y, d), d)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid rule along dim (one element fewer than y)"""
    y = as_tensor(y, "cumulative_trapezoid")
    d = one_dim(dim, y.ndim, "cumulative_trapezoid")
    n = y.shape[d]
    if n == 0:
        return y * 1.0
    mids = (S.narrow(y, d, 1, n - 1) + S.narrow(y, d, 0, n - 1)) / 2
    return R.cumsum(mids * _spacing(x, dx, y, d), d)


def _spacing(x, dx, y, d):
    if x is None:
        return 1.0 if dx is None else dx
    if isinstance(x, (int, float)):
        return x
    x = as_tensor(x, "trapezoid")
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(
                f"trapezoid: x of shape {tuple(x.shape)} must have as many points as y "
                f"{tuple(y.shape)} has along dim {d}"
            )
        step = diff(x)
        return S.reshape(step, (-1,) + (1,) * (y.ndim - 1 - d))
    return diff(x, dim=d)
