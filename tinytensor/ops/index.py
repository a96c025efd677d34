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
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, share_version, wrap
from tinytensor.ops._util import as_tensor, one_dim
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.creation import zeros_of
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


def const_array(arr):
    """``arr`` marked read-only: an index the op computed from shapes alone (no tensor's
    values), which a compiled program keeps as a constant."""
    arr.flags.writeable = False
    return arr


def _reads(inputs, index):
    """``inputs`` and the index tensor an op reads, for a compiler's tracer (which must find
    the index among the traced tensors), unless the index is a read-only constant."""
    return inputs + (index,) if index._data.flags.writeable else inputs


def _convert_index(index):
    """The index as a tuple whose advanced entries are tensors; returns (index, has_advanced,
    has_live): ``live`` when a 0-d integer tensor is in it.

    A list or array becomes a private, read-only copy (as in PyTorch, changing the user's
    array later changes nothing; a compiled program keeps it as a constant); a tensor stays
    itself, so backward version-checks it. A 0-d integer tensor indexes as the int it holds
    (a view, as in PyTorch): it becomes a private copy, which the kernels read as an int, so a
    compiled program reads the value afresh on every call.
    """
    items = index if isinstance(index, tuple) else (index,)
    out, advanced, live = [], False, False
    for it in items:
        if isinstance(it, TensorBase):
            if it._data.dtype.kind == "f":
                raise IndexError(
                    f"tensors used as indices must be long, int or bool tensors, got "
                    f"{it._data.dtype}"
                )
            if it._data.ndim == 0 and it._data.dtype.kind in "iu":
                it, live = wrap(COPY_INDEX.compute(_reads((), it), (it._data,))), True
            else:
                advanced = True
        elif isinstance(it, (list, tuple, range, np.ndarray)):
            # A range, or a tuple inside the index tuple, is an integer sequence like a list.
            arr = np.array(it)
            if arr.size == 0 and not isinstance(it, np.ndarray):
                arr = arr.astype(np.int64)  # ``x[[]]`` selects nothing, as in PyTorch
            if arr.dtype.kind == "f":
                raise IndexError("indices must be integers or booleans, got floats")
            it, advanced = wrap(const_array(arr)), True
        elif not (it is None or it is Ellipsis or isinstance(it, (slice, int, np.integer))):
            raise IndexError(
                f"only integers, slices, None, ..., and integer or boolean tensors are valid "
                f"indices, got {type(it).__name__}"
            )
        out.append(it)
    return tuple(out), advanced, live


def _np_index(tidx):
    """A converted index with its tensors replaced by their arrays, for NumPy."""
    return tuple([it._data if isinstance(it, TensorBase) else it for it in tidx])


def _is_int0(it):
    """A 0-d integer tensor or array: it indexes as the int it holds."""
    d = it._data if isinstance(it, TensorBase) else it
    return d.__class__ is np.ndarray and d.ndim == 0 and d.dtype.kind in "iu"


def _ints(idx):
    """A NumPy index with its 0-d integer arrays as the ints they hold (basic indexing)."""
    return tuple([int(i) if _is_int0(i) else i for i in idx])


def _plain(tidx):
    """A converted index with the ints its 0-d tensors held (what an exporter reads)."""
    return tuple(
        [int(it._data) if isinstance(it, TensorBase) and _is_int0(it) else it for it in tidx]
    )


def _index_tensors(tidx):
    """The tensors in a converted index a compiler's tracer must know (not the read-only
    constants made from lists), and whether one is a boolean mask (the result's shape then
    depends on the mask's values)."""
    ts = [it for it in tidx if isinstance(it, TensorBase)]
    mask = any(t._data.dtype == np.bool_ for t in ts)
    return tuple([t for t in ts if t._data.flags.writeable]), mask


def _ints_first(idx):
    """PyTorch applies int indices before advanced ones, NumPy treats them as advanced too
    (``x[0, None, [0, 0]]`` on shape (1, 1) is (1, 2) in PyTorch, (2, 1) in NumPy). Split
    such an index into an ints-only stage and the rest; None if there is nothing to split."""
    if not any(
        (isinstance(it, (int, np.integer)) and not isinstance(it, bool)) or _is_int0(it)
        for it in idx
    ):
        return None
    first, rest = [], []
    for it in idx:
        if (isinstance(it, (int, np.integer)) and not isinstance(it, bool)) or _is_int0(it):
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
    tidx, advanced, live = _convert_index(index)
    staged = _ints_first(tidx) if advanced else None
    if staged is not None:
        return getitem(getitem(a, staged[0]), staged[1])
    try:
        if advanced:
            ts, mask = _index_tensors(tidx)
            prim = INDEX_MASK if mask else INDEX
            arr = prim.compute((a,) + ts, (a._data, _np_index(tidx)))
        elif live:
            prim = INDEX_LIVE
            arr = prim.compute((a,) + _index_tensors(tidx)[0], (a._data, _np_index(tidx)))
        else:
            prim = INDEX
            arr = INDEX.compute((a,), (a._data, tidx))
    except IndexError as e:
        raise _index_error(e, a.shape, index) from None
    out = wrap(arr)
    if not advanced:  # basic indexing always gives a view (an empty one shares no bytes)
        share_version(out, a)
        if grad_state.enabled:
            _register_view(
                out, a, lambda b: getitem(b, index), lambda v, b: _index_put(b, index, v)
            )
    # ints, slices, None, Ellipsis and index tensors (also saved)
    attrs = {"index": _plain(tidx) if live else tidx}
    return prim.record(out, (a,), (a._data.shape, tidx, advanced), attrs)


def _index_kernel(x, idx):
    out = x[idx]
    if out.__class__ is not np.ndarray:
        # All ints: NumPy returns a scalar copy, PyTorch a 0-d view that writes through.
        out = x[idx + (Ellipsis,)]
    return out


def _getitem_backward(g, shape, tidx, advanced):
    return (_index_add_into(g, tidx, shape, advanced),)


def _index_live_kernel(x, idx):
    return _index_kernel(x, _ints(idx))


INDEX = Primitive("Index", _index_kernel, _getitem_backward)
# Basic indexing with 0-d integer tensors among the ints: the kernel reads their values.
INDEX_LIVE = Primitive("Index", _index_live_kernel, _getitem_backward)
# Indexing by a boolean mask: the result's length is the number of True values.
INDEX_MASK = Primitive("Index", _index_kernel, _getitem_backward, data_dependent=True)


def _index_add_into(g, tidx, shape, advanced):
    """f(g) = zeros(shape) with g added at index;  dg = gg[index]"""
    z = INDEX_BACKWARD.compute(
        (g,) + _index_tensors(tidx)[0], (g._data, shape, _np_index(tidx), advanced)
    )
    return INDEX_BACKWARD.record(wrap(z), (g,), (tidx,))


def _index_add_into_kernel(g, shape, idx, advanced):
    z = np.zeros(shape, g.dtype)
    if advanced:
        np.add.at(z, idx, g)
    else:
        z[_ints(idx)] = g
    return z


def _index_add_into_backward(gg, tidx):
    return (getitem(gg, tidx),)


INDEX_BACKWARD = Primitive("IndexBackward", _index_add_into_kernel, _index_add_into_backward)


def _index_put(a, index, value):
    """f(a, v) = a with a[index] = v;  da = g zeroed at index,  dv = g[index]"""
    tidx, advanced, _ = _convert_index(index)
    if isinstance(value, TensorBase):
        v, vin = value._data, value
    elif isinstance(value, (bool, int, float, complex, np.generic)):
        v, vin = value, None  # the kernel casts it to a's dtype
    else:
        v, vin = const_array(np.array(value, dtype=a._data.dtype)), None
    staged = _ints_first(tidx) if advanced else None
    first, rest = (None, tidx) if staged is None else staged
    ts = _index_tensors(tidx)[0]
    try:
        out = INDEX_PUT.compute(
            (a, value) + ts if vin is not None else (a,) + ts,
            (a._data, v, None if first is None else _np_index(first), _np_index(rest)),
        )
    except IndexError as e:
        raise _index_error(e, a.shape, index) from None
    except ValueError as e:
        shape = tuple(value.shape) if vin is not None else np.shape(v)
        raise RuntimeError(
            f"setitem: value of shape {shape} cannot be broadcast to the indexed "
            f"region of a tensor of shape {tuple(a.shape)}: {e}"
        ) from None
    return INDEX_PUT.record(wrap(out), (a, vin), (tidx,))


def _index_put_kernel(x, v, first, rest):
    out = x.copy()
    if v.__class__ is not np.ndarray:
        v = np.asarray(v, dtype=out.dtype)
    if first is not None:
        out[_ints(first)][rest] = v
    else:
        out[_ints(rest)] = v
    return out


def _index_put_backward(g, tidx, *, needs):
    return (
        _index_put(g, tidx, 0.0) if needs[0] else None,
        getitem(g, tidx) if needs[1] else None,
    )


INDEX_PUT = Primitive("IndexPut", _index_put_kernel, _index_put_backward)


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
    out = wrap(GATHER.compute(_reads((a,), index), (a._data, index._data, d)))
    # PyTorch saves self (for its shape), so changing it in place before backward raises.
    attrs = {"dim": d, "index": index}  # as in index_select
    return GATHER.record(out, (a,), (a, d, index), attrs)


def _gather_kernel(x, index, dim):
    return x[_along(index, dim)]


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
    np.add.at(out, _along(index, dim), src)
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
    out[_along(index, dim)] = src
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
        _SCATTER_REDUCE[reduce].at(out, _along(index, dim), src)
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
    if src._data.dtype != a._data.dtype:
        src = src.to(a.dtype)
    return src, src._data


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
    out = wrap(INDEX_SELECT.compute(_reads((a,), index), (a._data, index._data, d)))
    attrs = {"dim": d, "index": index}  # the index: a constant for an exporter (also saved)
    return INDEX_SELECT.record(out, (a,), (a._data.shape, d, index), attrs)


def _index_select_kernel(x, index, dim):
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
    index = _vector_index(a, d, index, "index_add", RuntimeError)
    n = index._data.size
    source = as_tensor(source, "index_add")
    expect = a.shape[:d] + (n,) + a.shape[d + 1 :]
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
    if alpha != 1:
        src = src * alpha
    np.add.at(out, (slice(None),) * dim + (index.reshape(-1),), src.astype(out.dtype, copy=False))
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
    out = wrap(TAKE.compute(_reads((a,), index), (a._data, idx)))
    # PyTorch saves self (for its shape), so changing it in place before backward raises.
    return TAKE.record(out, (a,), (a, index))


def _take_kernel(x, index):
    return x.reshape(-1)[index]


def _take_backward(g, a, index):
    return (_index_add_into(g, (index,), (a._data.size,), True).reshape(a.shape),)


TAKE = Primitive("Take", _take_kernel, _take_backward)


def _linear(t, indices, name):
    """Leading dims indexed by the tensors ``indices``: (flat index, leading size, its shape);
    the flat index is a tensor computed by a kernel from the indices' values."""
    if len(indices) > t.ndim:
        raise IndexError(f"{name}: too many indices ({len(indices)}) for a {t.ndim}-D tensor")
    ts = []
    for k, ix in enumerate(indices):
        ix = as_tensor(ix, name)
        a = ix._data
        if a.dtype == np.bool_:
            raise NotImplementedError(f"{name}: accumulate=True with a bool mask; use nonzero()")
        n = t.shape[k]
        if a.size and (a.min() < -n or a.max() >= n):
            raise IndexError(f"{name}: index out of range for dimension {k} with size {n}")
        ts.append(ix)
    lead = t._data.shape[: len(indices)]
    ishape = np.broadcast_shapes(*[x.shape for x in ts])
    flat = wrap(LINEAR_INDEX.compute(tuple(ts), (tuple([x._data for x in ts]), lead)))
    return flat, int(np.prod(lead)), ishape


def _linear_index_kernel(indices, lead):
    arrs = [np.where(a < 0, a + n, a) for a, n in zip(indices, lead)]
    return np.ravel_multi_index(tuple(np.broadcast_arrays(*arrs)), lead).reshape(-1)


LINEAR_INDEX = Primitive("LinearIndex", _linear_index_kernel)  # an index: no gradient


def index_put(input, indices, values, accumulate=False):
    """out = input with out[indices] = values (or += with ``accumulate``, repeats summed)."""
    t = as_tensor(input, "index_put")
    indices = tuple(indices)
    values = as_tensor(values, "index_put").to(t.dtype)
    if not accumulate:
        return _index_put(t, indices, values)
    flat, n, ishape = _linear(t, indices, "index_put")
    rest = tuple(t.shape[len(indices) :])
    src = values.broadcast_to(ishape + rest).reshape((flat._data.size,) + rest)
    base = t.reshape((n,) + rest)
    return index_add(base, 0, flat, src).reshape(t.shape)


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
    if idx._data.dtype.kind not in "iu":
        raise RuntimeError(f"take_along_dim: indices must be int64, got {idx.dtype}")
    if dim is None:
        return gather(a.reshape(-1), 0, idx.reshape(-1))
    # Along a dim PyTorch's backward does not read the caller's indices: gather gets a copy.
    idx = wrap(COPY_INDEX.compute(_reads((), idx), (idx._data,)))
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


def _copy_kernel(x):
    return x.copy()


COPY_INDEX = Primitive("CopyIndex", _copy_kernel)  # a private copy of an index: no gradient


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
    return tuple(wrap(c) for c in UNRAVEL_INDEX.compute((i,), (i._data, shape)))


def _unravel_index_kernel(indices, shape):
    coords = np.unravel_index(indices % max(math.prod(shape), 1), shape)
    return tuple([c.astype(np.int64) for c in coords])


UNRAVEL_INDEX = Primitive("UnravelIndex", _unravel_index_kernel, multi=True)
