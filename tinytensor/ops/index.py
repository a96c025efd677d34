"""Indexing: ``t[...]`` and ``t[...] = v`` (basic slicing, integer and boolean arrays, ``None``,
``...``; the gradient scatter-adds back, repeated indices included), ``index_put`` (with
``accumulate``), ``gather``/``take``/``take_along_dim``/``index_select`` and their adjoints
``scatter``/``scatter_add``/``index_add``, ``unravel_index`` and ``as_strided``
(a gathered copy here, not a view). Selecting by a mask is ops/masked.py; writing a source into
slices, flat indices or views is ops/scatter.py."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import record
from tinytensor.core import TensorBase, share_version, wrap
from tinytensor.ops._util import as_tensor, one_dim
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.inplace import inplace as _inplace
from tinytensor.ops.inplace import register_view as _register_view

__all__ = [
    "as_strided",
    "gather",
    "index_add",
    "index_put",
    "index_select",
    "scatter",
    "scatter_add",
    "take",
    "take_along_dim",
    "unravel_index",
]


def _convert_index(index):
    """The index as a tuple whose advanced entries are tensors; returns (index, has_advanced).

    A list or array becomes a private copy (as in PyTorch, changing the user's array later
    changes nothing); a tensor stays itself, so backward version-checks it.
    """
    items = index if isinstance(index, tuple) else (index,)
    out, advanced = [], False
    for it in items:
        if isinstance(it, TensorBase):
            if it._data.dtype.kind == "f":
                raise IndexError(
                    f"tensors used as indices must be long, int or bool tensors, got "
                    f"{it._data.dtype}"
                )
            if it._data.ndim == 0 and it._data.dtype.kind in "iu":
                # A 0-d integer tensor indexes as the int it holds (a view), as in PyTorch.
                it = int(it._data)
            else:
                advanced = True
        elif isinstance(it, (list, tuple, range, np.ndarray)):
            # A range, or a tuple inside the index tuple, is an integer sequence like a list.
            arr = np.array(it)
            if arr.size == 0 and not isinstance(it, np.ndarray):
                arr = arr.astype(np.int64)  # ``x[[]]`` selects nothing, as in PyTorch
            if arr.dtype.kind == "f":
                raise IndexError("indices must be integers or booleans, got floats")
            it, advanced = wrap(arr), True
        elif not (it is None or it is Ellipsis or isinstance(it, (slice, int, np.integer))):
            raise IndexError(
                f"only integers, slices, None, ..., and integer or boolean tensors are valid "
                f"indices, got {type(it).__name__}"
            )
        out.append(it)
    return tuple(out), advanced


def _np_index(tidx):
    """A converted index with its tensors replaced by their arrays, for NumPy."""
    return tuple([it._data if isinstance(it, TensorBase) else it for it in tidx])


def _ints_first(idx):
    """PyTorch applies int indices before advanced ones, NumPy treats them as advanced too
    (``x[0, None, [0, 0]]`` on shape (1, 1) is (1, 2) in PyTorch, (2, 1) in NumPy). Split
    such an index into an ints-only stage and the rest; None if there is nothing to split."""
    if not any(isinstance(it, (int, np.integer)) and not isinstance(it, bool) for it in idx):
        return None
    first, rest = [], []
    for it in idx:
        if isinstance(it, (int, np.integer)) and not isinstance(it, bool):
            first.append(it)
        elif it is Ellipsis:
            first.append(it)
            rest.append(it)
        elif isinstance(it, TensorBase):
            d = it._data
            first.extend([slice(None)] * (d.ndim if d.dtype == np.bool_ else 1))
            rest.append(it)
        else:
            if it is not None:
                first.append(slice(None))
            rest.append(it)
    return tuple(first), tuple(rest)


def _index_error(e, shape, index):
    return IndexError(f"index {index!r} is invalid for a tensor of shape {tuple(shape)}: {e}")


def getitem(a, index):
    """f(a) = a[index];  da = zeros with g scatter-added at index"""
    tidx, advanced = _convert_index(index)
    staged = _ints_first(tidx) if advanced else None
    if staged is not None:
        return getitem(getitem(a, staged[0]), staged[1])
    idx = _np_index(tidx) if advanced else tidx
    try:
        arr = a._data[idx]
        if not advanced and arr.__class__ is not np.ndarray:
            # All ints: NumPy returns a scalar copy, PyTorch a 0-d view that writes through.
            arr = a._data[idx + (Ellipsis,)]
    except IndexError as e:
        raise _index_error(e, a.shape, index) from None
    out = wrap(arr)
    if not advanced:  # basic indexing always gives a view (an empty one shares no bytes)
        share_version(out, a)
        if grad_state.enabled:
            _register_view(
                out, a, lambda b: getitem(b, index), lambda v, b: _index_put(b, index, v)
            )
    attrs = {"index": tidx}  # ints, slices, None, Ellipsis and index tensors (also saved)
    return record(out, "Index", (a,), _getitem_backward, (a.shape, tidx, advanced), attrs)


def _getitem_backward(g, shape, tidx, advanced):
    return (_index_add_into(g, tidx, shape, advanced),)


def _index_add_into(g, tidx, shape, advanced):
    """f(g) = zeros(shape) with g added at index;  dg = gg[index]"""
    z = np.zeros(shape, g._data.dtype)
    if advanced:
        np.add.at(z, _np_index(tidx), g._data)
    else:
        z[tidx] = g._data
    return record(wrap(z), "IndexBackward", (g,), _index_add_into_backward, (tidx,))


def _index_add_into_backward(gg, tidx):
    return (getitem(gg, tidx),)


def _index_put(a, index, value):
    """f(a, v) = a with a[index] = v;  da = g zeroed at index,  dv = g[index]"""
    tidx, advanced = _convert_index(index)
    value = value if isinstance(value, TensorBase) else wrap(np.asarray(value, dtype=a._data.dtype))
    out = a._data.copy()
    staged = _ints_first(tidx) if advanced else None
    try:
        if staged is not None:
            out[_np_index(staged[0])][_np_index(staged[1])] = value._data
        else:
            out[_np_index(tidx)] = value._data
    except IndexError as e:
        raise _index_error(e, a.shape, index) from None
    except ValueError as e:
        raise RuntimeError(
            f"setitem: value of shape {tuple(value.shape)} cannot be broadcast to the indexed "
            f"region of a tensor of shape {tuple(a.shape)}: {e}"
        ) from None
    return record(
        wrap(out), "IndexPut", (a, value), _index_put_backward, (tidx, _rg(a), _rg(value))
    )


def _index_put_backward(g, tidx, needs_a, needs_value):
    return (
        _index_put(g, tidx, 0.0) if needs_a else None,
        getitem(g, tidx) if needs_value else None,
    )


def setitem(a, index, value):
    """``a[index] = value`` in place; differentiable in ``a``'s history and in ``value``."""
    if isinstance(value, TensorBase) and value._data.dtype != a._data.dtype:
        value = value.to(a.dtype)
    _inplace(a, lambda s: _index_put(s, index, value), "setitem")


def _along(index_arr, dim):
    """A full index tuple addressing ``index_arr``'s positions, with ``dim`` replaced by it."""
    grids = np.indices(index_arr.shape, sparse=True)
    return tuple(index_arr if i == dim else g for i, g in enumerate(grids))


def _check_index(a, dim, index, name):
    """Validate gather/scatter's index: int, same number of dims, in [0, size) along dim."""
    index = as_tensor(index, name)
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: index must be an int64 tensor, got {index.dtype}")
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


def _check_range(idx, lo, n, name, d, error):
    """Raise ``error`` naming the first index outside [lo, n) (NumPy would wrap or fail late)."""
    if idx.size and (idx.min() < lo or idx.max() >= n):
        bad = int(idx.min() if idx.min() < lo else idx.max())
        valid = f"{lo}..{n - 1}" if n > lo else "none: the dimension is empty"
        raise error(
            f"{name}: index {bad} is out of bounds for dimension {d} with size {n} (valid: {valid})"
        )


def gather(input, dim, index):
    """f(a) = a[..., index, ...] along dim;  da = zeros scatter-added with g"""
    a = input
    a = as_tensor(a, "gather")
    d, index = _check_index(a, dim, index, "gather")
    out = wrap(a._data[_along(index._data, d)])
    # PyTorch saves self (for its shape), so changing it in place before backward raises.
    attrs = {"dim": d, "index": index}  # as in index_select
    return record(out, "Gather", (a,), _gather_backward, (a, d, index), attrs)


def _gather_backward(g, a, d, index):
    return (scatter_add(wrap(np.zeros(a.shape, g._data.dtype)), d, index, g),)


def scatter_add(input, dim, index, src):
    """f(a, s) = a with s added at index along dim;  da = g,  ds = g.gather(dim, index)"""
    a = input
    a = as_tensor(a, "scatter_add")
    d, index = _check_index(a, dim, index, "scatter_add")
    src = _src_like(src, index, a, "scatter_add")
    out = a._data.copy()
    np.add.at(out, _along(index._data, d), src._data)
    saved = (d, index if _rg(src) else None)
    return record(wrap(out), "ScatterAdd", (a, src), _scatter_add_backward, saved)


def _scatter_add_backward(g, d, index):
    return g, None if index is None else gather(g, d, index)


def scatter(input, dim, index, src, *, reduce=None):
    """f(a, s) = a with s written at index along dim;  da = g zeroed there,  ds = g gathered

    ``reduce="add"`` or ``"multiply"`` combines s into a instead of writing it (no gradient,
    as in PyTorch: use ``scatter_reduce`` for one)."""
    a = input
    a = as_tensor(a, "scatter")
    d, index = _check_index(a, dim, index, "scatter")
    src = _src_like(src, index, a, "scatter")
    if reduce is not None:
        return _scatter_with_reduce(a, d, index, src, reduce)
    out = a._data.copy()
    out[_along(index._data, d)] = src._data
    return record(wrap(out), "Scatter", (a, src), _scatter_backward, (d, index))


_SCATTER_REDUCE = {"add": np.add, "multiply": np.multiply}


def _scatter_with_reduce(a, d, index, src, reduce):
    ufunc = _SCATTER_REDUCE.get(reduce)
    if ufunc is None:
        raise RuntimeError(
            f"scatter: reduce argument must be either add or multiply, got {reduce!r} (for sum, "
            "prod, mean, amax or amin use scatter_reduce)"
        )
    out = a._data.copy()
    with np.errstate(all="ignore"):  # overflow, inf * 0: IEEE results silently
        ufunc.at(out, _along(index._data, d), src._data.astype(out.dtype, copy=False))
    return record(wrap(out), "Scatter", (a, src), _scatter_reduce_not_differentiable, (reduce,))


def _scatter_reduce_not_differentiable(g, reduce):
    raise RuntimeError(
        f"the derivative of scatter with reduce={reduce!r} is not implemented (as in PyTorch); "
        "use scatter_reduce(input, dim, index, src, reduce='sum' or 'prod'), which has one"
    )


def _scatter_backward(g, d, index, *, needs):
    return (
        scatter(g, d, index, 0.0) if needs[0] else None,
        gather(g, d, index) if needs[1] else None,
    )


def _src_like(src, index, a, name):
    if not isinstance(src, TensorBase):
        return wrap(np.full(index.shape, src, dtype=a._data.dtype))
    if src.shape != index.shape:
        if src.ndim != index.ndim or any(s < i for s, i in zip(src.shape, index.shape)):
            raise RuntimeError(
                f"{name}: src {tuple(src.shape)} must be at least as large as index "
                f"{tuple(index.shape)} in every dimension"
            )
        src = getitem(src, tuple(slice(0, n) for n in index.shape))
    if src._data.dtype != a._data.dtype:
        src = src.to(a.dtype)
    return src


def _vector_index(a, d, index, name, error):
    """index_select/index_add's index as a 1-D int tensor, each value in [0, size of dim d)."""
    index = as_tensor(index, name)
    if index._data.dtype.kind not in "iu" or index.ndim > 1:
        raise RuntimeError(
            f"{name}: index must be a 1-D integer tensor, got dtype {index.dtype} and shape "
            f"{tuple(index.shape)}"
        )
    _check_range(index._data, 0, a.shape[d] if a.ndim else 1, name, d, error)
    return index


def index_select(input, dim, index):
    """f(a) = a[..., index, ...] along dim;  da = zeros index-added with g"""
    a = input
    a = as_tensor(a, "index_select")
    d = one_dim(dim, a.ndim, "index_select")
    # PyTorch raises IndexError along dim 0 and RuntimeError along the others.
    index = _vector_index(a, d, index, "index_select", RuntimeError if d else IndexError)
    out = wrap(np.take(a._data, index._data.reshape(-1), axis=d))
    attrs = {"dim": d, "index": index}  # the index: a constant for an exporter (also saved)
    return record(out, "IndexSelect", (a,), _index_select_backward, (a.shape, d, index), attrs)


def _index_select_backward(g, shape, d, index):
    return (index_add(wrap(np.zeros(shape, g._data.dtype)), d, index, g),)


def index_add(input, dim, index, source, alpha=1):
    """`f(a, s) = a` with `alpha*s` added at index along dim;
    `da = g,  ds = alpha*g.index_select`"""
    a = input
    a = as_tensor(a, "index_add")
    d = one_dim(dim, a.ndim, "index_add")
    index = _vector_index(a, d, index, "index_add", RuntimeError)
    idx = index._data.reshape(-1)
    source = as_tensor(source, "index_add")
    expect = a.shape[:d] + (len(idx),) + a.shape[d + 1 :]
    if source.shape != expect:
        raise RuntimeError(
            f"index_add: source must have shape {expect} for input {tuple(a.shape)}, dim {dim} "
            f"and {len(idx)} indices; got {tuple(source.shape)}"
        )
    out = a._data.copy()
    src = source._data if alpha == 1 else source._data * alpha
    np.add.at(out, (slice(None),) * d + (idx,), src.astype(out.dtype, copy=False))
    # PyTorch saves index and source only for source's gradient.
    saved = (d, index, source, alpha) if _rg(source) else (d, None, None, alpha)
    return record(wrap(out), "IndexAdd", (a, source), _index_add_backward, saved)


def _index_add_backward(g, d, index, source, alpha):
    if index is None:
        return g, None
    gs = index_select(g, d, index)
    return g, gs * alpha if alpha != 1 else gs


def take(input, index):
    """f(a) = a.flatten()[index];  da = zeros with g added at index, reshaped like a"""
    a = input
    a = as_tensor(a, "take")
    index = as_tensor(index, "take")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"take: index must be an int64 tensor, got {index.dtype}")
    n = a._data.size
    if n == 0 and index._data.size:
        raise IndexError("take: cannot take from an empty tensor")
    idx = index._data
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = int(idx.min() if idx.min() < -n else idx.max())
        raise IndexError(
            f"take: index {bad} is out of range for a tensor of {n} elements (valid: {-n}..{n - 1})"
        )
    out = wrap(a._data.reshape(-1)[idx])
    # PyTorch saves self (for its shape), so changing it in place before backward raises.
    return record(out, "Take", (a,), _take_backward, (a, index))


def _take_backward(g, a, index):
    return (_index_add_into(g, (index,), (a._data.size,), True).reshape(a.shape),)


def _linear(t, indices, name):
    """Leading dims indexed by the tensors ``indices``: (flat index array, leading size)."""
    if len(indices) > t.ndim:
        raise IndexError(f"{name}: too many indices ({len(indices)}) for a {t.ndim}-D tensor")
    arrs = []
    for k, ix in enumerate(indices):
        a = as_tensor(ix, name)._data
        if a.dtype == np.bool_:
            raise NotImplementedError(f"{name}: accumulate=True with a bool mask; use nonzero()")
        n = t.shape[k]
        if a.size and (a.min() < -n or a.max() >= n):
            raise IndexError(f"{name}: index out of range for dimension {k} with size {n}")
        arrs.append(np.where(a < 0, a + n, a))
    arrs = np.broadcast_arrays(*arrs)
    lead = t.shape[: len(indices)]
    return np.ravel_multi_index(tuple(arrs), lead).reshape(-1), int(np.prod(lead)), arrs[0].shape


def index_put(input, indices, values, accumulate=False):
    """out = input with out[indices] = values (or += with ``accumulate``, repeats summed)."""
    t = as_tensor(input, "index_put")
    indices = tuple(indices)
    values = as_tensor(values, "index_put").to(t.dtype)
    if not accumulate:
        return _index_put(t, indices, values)
    flat, n, ishape = _linear(t, indices, "index_put")
    rest = tuple(t.shape[len(indices) :])
    src = values.broadcast_to(ishape + rest).reshape((flat.size,) + rest)
    base = t.reshape((n,) + rest)
    return index_add(base, 0, wrap(flat), src).reshape(t.shape)


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
    return take(t, wrap(idx))


def take_along_dim(input, indices, dim=None):
    """f(a) = a's values at ``indices`` along dim (broadcast), or in the flattened tensor"""
    a = as_tensor(input, "take_along_dim")
    idx = as_tensor(indices, "take_along_dim")
    if idx._data.dtype.kind not in "iu":
        raise RuntimeError(f"take_along_dim: indices must be int64, got {idx.dtype}")
    if dim is None:
        return gather(a.reshape(-1), 0, idx.reshape(-1))
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
    # Tensor methods, not ops.shape: shape's views stand on this module's getitem.
    return gather(a.expand(sa), d, idx.expand(si))


def unravel_index(indices, shape):
    """The coordinates (one tensor per dim) of flat ``indices`` in an array of ``shape``"""
    i = as_tensor(indices, "unravel_index")
    if i._data.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: expected integer indices, got {i._data.dtype}")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    size = math.prod(shape)
    if np.any(i._data >= size) or np.any(i._data < -size):
        raise RuntimeError(
            f"unravel_index: an index is out of bounds for shape {shape} ({size} elements)"
        )
    return tuple(wrap(c.astype(np.int64)) for c in np.unravel_index(i._data % max(size, 1), shape))
