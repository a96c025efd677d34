"""Reading and writing along a dim: ``gather``/``take``/``take_along_dim``/``index_select`` and
their adjoints ``scatter``/``scatter_add``/``index_add`` (one module: each one's backward is the
other) and ``as_strided`` (a gathered copy here, not a view). ``t[...]`` and ``t[...] = v`` are
ops/index.py; ``index_put`` is ops/index_put.py."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops._util import as_tensor, one_dim
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.creation import zeros_of
from tinytensor.ops.index import (
    _index_add_into,
    _reads,
    const_array,
    getitem,
)

__all__ = [
    "as_strided",
    "gather",
    "index_add",
    "index_select",
    "scatter",
    "scatter_add",
    "take",
    "take_along_dim",
]


def _along(index_arr, dim):
    """A full index tuple addressing ``index_arr``'s positions, with ``dim`` replaced by it
    (a 0-d index addresses one position of a 0-d or 1-d array: see ``_1d``)."""
    if index_arr.ndim == 0:
        return (index_arr,)
    grids = np.indices(index_arr.shape, sparse=True)
    return tuple(index_arr if i == dim else g for i, g in enumerate(grids))


def _1d(x):
    """A 0-d array as a 1-element view (PyTorch indexes a 0-d input as if it were 1-d)."""
    return x.reshape(1) if x.ndim == 0 else x


def _check_index(a, dim, index, name):
    """Validate gather/scatter's index: int, same number of dims, in [0, size) along dim."""
    index = as_tensor(index, name)
    msg = f"{name}: index must be an int64 tensor, got {index.dtype} (int32 is taken too)"
    _index_dtype(index, msg, _INT32_64, RuntimeError)
    if index.ndim != a.ndim and not (index.ndim <= 1 and a.ndim <= 1):
        raise RuntimeError(
            f"{name}: index {tuple(index.shape)} and input {tuple(a.shape)} must have the same "
            "number of dimensions"
        )
    d = one_dim(dim, a.ndim, name)
    for i, (si, sa) in enumerate(zip(index.shape, a.shape)):
        if i != d and si > sa:
            raise RuntimeError(
                f"{name}: index {tuple(index.shape)} is larger than input {tuple(a.shape)} "
                f"in dimension {i}"
            )
    n = a.shape[d] if a.ndim else 1
    _check_range(index._data, 0, n, name, d, RuntimeError)
    return d, index


_INT32_64 = (np.dtype(np.int32), np.dtype(np.int64))
_INT64 = (np.dtype(np.int64),)


def _index_dtype(index, message, dtypes, error):
    """PyTorch's index dtypes: int32 or int64 (gather, scatter, index_select, index_add),
    int64 only (take, take_along_dim, index_fill, index_copy); else ``error(message)``."""
    if index._data.dtype not in dtypes:
        raise error(message)


def _check_range(idx, lo, n, name, d, error):
    """Raise ``error`` naming the first index outside [lo, n) (NumPy would wrap or fail late)."""
    if idx.size and (idx.min() < lo or idx.max() >= n):
        bad = int(idx.min() if idx.min() < lo else idx.max())
        valid = f"{lo}..{n - 1}" if n > lo else "none: the dimension is empty"
        raise error(
            f"{name}: index {bad} is out of bounds for dimension {d} with size {n} (valid: {valid})"
        )


def gather(input, dim, index, *, sparse_grad=False):
    """f(a) = a[..., index, ...] along dim;  da = zeros scatter-added with g (dense: PyTorch's
    ``sparse_grad=True``, a sparse COO gradient, is refused with the reason)"""
    if sparse_grad:
        raise RuntimeError(
            "gather(sparse_grad=True): tinytensor's gradients are dense tensors; call gather "
            "with sparse_grad=False (the default) for the same values and a dense gradient"
        )
    a = as_tensor(input, "gather")
    d, index = _check_index(a, dim, index, "gather")
    out = wrap(GATHER.compute(_reads((a,), index), (a._data, index._data, d)))
    # PyTorch saves self (for its shape), so changing it in place before backward raises.
    attrs = {"dim": d, "index": index}  # as in index_select
    return GATHER.record(out, (a,), (a, d, index), attrs)


def _gather_kernel(x, index, dim):
    return np.asarray(_1d(x)[_along(index, dim)])


def _gather_backward(g, a, d, index):
    return (scatter_add(zeros_of(a._data.shape, g._data.dtype), d, index, g),)


GATHER = Primitive("Gather", _gather_kernel, _gather_backward)


def scatter_add(input, dim, index, src):
    """f(a, s) = a with s added at index along dim;  da = g,  ds = g.gather(dim, index)"""
    a = input
    a = as_tensor(a, "scatter_add")
    d, index = _check_index(a, dim, index, "scatter_add")
    src, sd = _src_like(src, index, a, "scatter_add")
    out = SCATTER_ADD.compute(_with(a, src, index), (a._data, index._data, sd, d))
    saved = (d, index if _rg(src) else None)
    return SCATTER_ADD.record(wrap(out), (a, src), saved)


def _with(a, src, index):
    """The tensors a scatter reads (for a compiler's tracer): input, source and index."""
    return _reads((a, src) if isinstance(src, TensorBase) else (a,), index)


def _scatter_add_kernel(x, index, src, dim):
    out = x.copy()
    if src.__class__ is not np.ndarray:
        src = np.asarray(src, out.dtype)
    np.add.at(_1d(out), _along(index, dim), src)
    return out


def _scatter_add_backward(g, d, index):
    return g, None if index is None else gather(g, d, index)


SCATTER_ADD = Primitive("ScatterAdd", _scatter_add_kernel, _scatter_add_backward)


def scatter(input, dim, index, src, *, reduce=None):
    """f(a, s) = a with s written at index along dim;  da = g zeroed there,  ds = g gathered

    ``reduce="add"`` or ``"multiply"`` combines s into a instead of writing it (no gradient,
    as in PyTorch: use ``scatter_reduce`` for one)."""
    a = input
    a = as_tensor(a, "scatter")
    d, index = _check_index(a, dim, index, "scatter")
    src, sd = _src_like(src, index, a, "scatter")
    if reduce is not None:
        if reduce not in _SCATTER_REDUCE:
            raise RuntimeError(
                f"scatter: reduce argument must be either add or multiply, got {reduce!r} (for "
                "sum, prod, mean, amax or amin use scatter_reduce)"
            )
        out = SCATTER_COMBINE.compute(_with(a, src, index), (a._data, index._data, sd, d, reduce))
        return SCATTER_COMBINE.record(wrap(out), (a, src), (reduce,))
    out = SCATTER.compute(_with(a, src, index), (a._data, index._data, sd, d))
    return SCATTER.record(wrap(out), (a, src), (d, index))


def _scatter_kernel(x, index, src, dim):
    out = x.copy()
    _1d(out)[_along(index, dim)] = src
    return out


def _scatter_backward(g, d, index, *, needs):
    return (
        scatter(g, d, index, 0.0) if needs[0] else None,
        gather(g, d, index) if needs[1] else None,
    )


SCATTER = Primitive("Scatter", _scatter_kernel, _scatter_backward)

_SCATTER_REDUCE = {"add": np.add, "multiply": np.multiply}


def _scatter_combine_kernel(x, index, src, dim, reduce):
    out = x.copy()
    with np.errstate(all="ignore"):  # overflow, inf * 0: IEEE results silently
        src = np.asarray(src).astype(out.dtype, copy=False)
        _SCATTER_REDUCE[reduce].at(_1d(out), _along(index, dim), src)
    return out


def _scatter_reduce_not_differentiable(g, reduce):
    raise RuntimeError(
        f"the derivative of scatter with reduce={reduce!r} is not implemented (as in PyTorch); "
        "use scatter_reduce(input, dim, index, src, reduce='sum' or 'prod'), which has one"
    )


SCATTER_COMBINE = Primitive("Scatter", _scatter_combine_kernel, _scatter_reduce_not_differentiable)


def _src_like(src, index, a, name):
    """The source of a scatter: (the tensor, its array), or (the number, the number), which
    the kernel casts to ``a``'s dtype and broadcasts over ``index``."""
    if not isinstance(src, TensorBase):
        return src, src
    if src.shape != index.shape:
        if src.ndim != index.ndim or any(s < i for s, i in zip(src.shape, index.shape)):
            raise RuntimeError(
                f"{name}: src {tuple(src.shape)} must be at least as large as index "
                f"{tuple(index.shape)} in every dimension"
            )
        src = getitem(src, tuple(slice(0, n) for n in index.shape))
    _same_dtype(a, src, name, "src")
    return src, src._data


def _same_dtype(a, src, name, what):
    """PyTorch writes a source tensor into ``a`` only when their dtypes match (a number is
    converted): RuntimeError otherwise, before anything is written."""
    if src._data.dtype != a._data.dtype:
        raise RuntimeError(
            f"{name}: expected self and {what} to have the same dtype, got {a.dtype} (self) and "
            f"{src.dtype} ({what}); convert {what} first with {what}.to(self.dtype)"
        )


def _vector_index(
    a,
    d,
    index,
    name,
    error,
    scalar_error=None,
    ndim_error=RuntimeError,
    dtypes=_INT32_64,
    dtype_error=RuntimeError,
    negative=False,
):
    """index_select/index_add's index as a 1-D int tensor of ``dtypes`` (``dtype_error``), each
    value in [0, size of dim d) (from -size with ``negative``): ``error`` for a value out of
    range, ``ndim_error`` for an index of 2 or more dims, and, given ``scalar_error``, a 0-d
    input takes exactly one index value (PyTorch's classes differ from op to op)."""
    index = as_tensor(index, name)
    want = " or ".join(str(dt) for dt in dtypes)
    msg = f"{name}: index must be a 1-D integer tensor ({want}), got dtype {index.dtype} and "
    _index_dtype(index, msg + f"shape {tuple(index.shape)}", dtypes, dtype_error)
    if index.ndim > 1:
        raise ndim_error(msg + f"shape {tuple(index.shape)}")
    if scalar_error is not None and a.ndim == 0 and index._data.size != 1:
        raise scalar_error(
            f"{name}: the input is 0-d, so the index must hold exactly 1 value, got "
            f"{index._data.size} value(s)"
        )
    n = a.shape[d] if a.ndim else 1
    _check_range(index._data, -n if negative else 0, n, name, d, error)
    return index


def index_select(input, dim, index):
    """f(a) = a[..., index, ...] along dim;  da = zeros index-added with g"""
    a = input
    a = as_tensor(a, "index_select")
    d = one_dim(dim, a.ndim, "index_select")
    # PyTorch raises IndexError along dim 0 and RuntimeError along the others.
    index = _vector_index(
        a, d, index, "index_select", RuntimeError if d else IndexError, RuntimeError, IndexError
    )
    out = wrap(INDEX_SELECT.compute(_reads((a,), index), (a._data, index._data, d)))
    attrs = {"dim": d, "index": index}  # the index: a constant for an exporter (also saved)
    return INDEX_SELECT.record(out, (a,), (a._data.shape, d, index), attrs)


def _index_select_kernel(x, index, dim):
    if x.ndim == 0:  # a 0-d input gives a 0-d result (its one index checked to be 0)
        return x.copy()
    return np.take(x, index.reshape(-1), axis=dim)


def _index_select_backward(g, shape, d, index):
    return (index_add(zeros_of(shape, g._data.dtype), d, index, g),)


INDEX_SELECT = Primitive("IndexSelect", _index_select_kernel, _index_select_backward)


def index_add(input, dim, index, source, alpha=1):
    """`f(a, s) = a` with `alpha*s` added at index along dim;
    `da = g,  ds = alpha*g.index_select`"""
    a = input
    a = as_tensor(a, "index_add")
    d = one_dim(dim, a.ndim, "index_add")
    index = _vector_index(a, d, index, "index_add", RuntimeError, IndexError, IndexError)
    n = index._data.size
    source = as_tensor(source, "index_add")
    _same_dtype(a, source, "index_add", "source")
    expect = tuple(a.shape[:d]) + (n,) + tuple(a.shape[d + 1 :]) if a.ndim else ()
    if source.shape != expect:
        raise RuntimeError(
            f"index_add: source must have shape {expect} for input {tuple(a.shape)}, dim {dim} "
            f"and {n} indices; got {tuple(source.shape)}"
        )
    args = (a._data, index._data, source._data, d, alpha)
    out = INDEX_ADD.compute(_reads((a, source), index), args)
    # PyTorch saves index and source only for source's gradient.
    saved = (d, index, source, alpha) if _rg(source) else (d, None, None, alpha)
    return INDEX_ADD.record(wrap(out), (a, source), saved)


def _index_add_kernel(x, index, src, dim, alpha):
    out = x.copy()
    if out.dtype.kind in "iu":  # PyTorch casts alpha to the integer dtype first: 2.7 -> 2
        alpha = int(alpha)
    if alpha != 1:
        src = src * alpha
    src = src.astype(out.dtype, copy=False)
    if out.ndim == 0:  # a 0-d input: its one index (checked to be 0) adds src to it
        out[...] += src
        return out
    np.add.at(out, (slice(None),) * dim + (index.reshape(-1),), src)
    return out


def _index_add_backward(g, d, index, source, alpha):
    if index is None:
        return g, None
    gs = index_select(g, d, index)
    return g, gs * alpha if alpha != 1 else gs


INDEX_ADD = Primitive("IndexAdd", _index_add_kernel, _index_add_backward)


def take(input, index):
    """f(a) = a.flatten()[index];  da = zeros with g added at index, reshaped like a"""
    a = input
    a = as_tensor(a, "take")
    index = as_tensor(index, "take")
    msg = f"take: index must be an int64 tensor, got {index.dtype}"
    _index_dtype(index, msg, _INT64, RuntimeError)
    n = a._data.size
    if n == 0 and index._data.size:
        raise IndexError("take: cannot take from an empty tensor")
    idx = index._data
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = int(idx.min() if idx.min() < -n else idx.max())
        raise IndexError(
            f"take: index {bad} is out of range for a tensor of {n} elements (valid: {-n}..{n - 1})"
        )
    out = wrap(TAKE.compute(_reads((a,), index), (a._data, idx)))
    # PyTorch saves self (for its shape), so changing it in place before backward raises.
    return TAKE.record(out, (a,), (a, index))


def _take_kernel(x, index):
    return x.reshape(-1)[index]


def _take_backward(g, a, index):
    return (_index_add_into(g, (index,), (a._data.size,), True).reshape(a.shape),)


TAKE = Primitive("Take", _take_kernel, _take_backward)


def as_strided(input, size, stride, storage_offset=0):
    """`out[i0, i1, ...] = input.flatten()[offset + sum_k i_k * stride[k]]` (a gathered copy here,
    not a view: writing to it leaves ``input`` alone);  `dinput = g scatter-added` back."""
    t = as_tensor(input, "as_strided")
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(
            f"as_strided: mismatch in length of strides {len(stride)} and shape {len(size)}"
        )
    if any(s < 0 for s in stride) or storage_offset < 0:
        raise RuntimeError("as_strided: negative strides or storage offset are not supported")
    idx = np.full(size, storage_offset, dtype=np.int64)
    for k, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[k] = n
        idx = idx + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    if idx.size and idx.max() >= t.numel():
        raise RuntimeError(
            f"as_strided: setStorage: sizes {list(size)}, strides {list(stride)} "
            f"and offset {storage_offset} reach past the {t.numel()} elements"
        )
    return take(t, wrap(const_array(idx)))  # positions from the geometry alone: a constant


def take_along_dim(input, indices, dim=None):
    """f(a) = a's values at ``indices`` along dim (broadcast), or in the flattened tensor"""
    a = as_tensor(input, "take_along_dim")
    idx = as_tensor(indices, "take_along_dim")
    msg = f"take_along_dim: indices must be int64, got {idx.dtype}"
    _index_dtype(idx, msg, _INT64, RuntimeError)
    if dim is None:
        return gather(a.reshape(-1), 0, idx.reshape(-1))
    # Along a dim PyTorch's backward does not read the caller's indices: gather gets a copy,
    # with a negative index counted from the end of the dim (PyTorch's take_along_dim does).
    n = a.shape[one_dim(dim, a.ndim, "take_along_dim")] if a.ndim else 1
    idx = wrap(WRAP_INDEX.compute(_reads((), idx), (idx._data, n)))
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
    # Tensor methods, not ops.shape: this module stands beside the views, not on them.
    return gather(a.expand(sa), d, idx.expand(si))


def _wrap_index_kernel(idx, n):
    return np.where(idx < 0, idx + n, idx)


WRAP_INDEX = Primitive("WrapIndex", _wrap_index_kernel)  # take_along_dim's counted-from-end
