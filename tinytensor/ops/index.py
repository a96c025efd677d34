"""Indexing: [] and []=, gather/scatter, index_select/index_add, masked_fill.

Gradients of reads scatter-*add* back, so repeated indices accumulate correctly.
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import record_legacy
from tinytensor.core import TensorBase, wrap
from tinytensor.ops._util import as_tensor, one_dim
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.inplace import inplace as _inplace
from tinytensor.ops.inplace import register_view as _register_view


def _convert_index(index):
    """Tensors inside an index become arrays; returns (numpy index, has_advanced)."""
    items = index if isinstance(index, tuple) else (index,)
    out, advanced = [], False
    for it in items:
        if isinstance(it, TensorBase):
            it = it._data
            if it.dtype.kind == "f":
                raise IndexError(
                    f"tensors used as indices must be long, int or bool tensors, got {it.dtype}"
                )
        elif isinstance(it, (list, np.ndarray)):
            it = np.asarray(it)
            if it.dtype.kind == "f":
                raise IndexError("indices must be integers or booleans, got floats")
        if isinstance(it, np.ndarray):
            advanced = True
        elif not (it is None or it is Ellipsis or isinstance(it, (slice, int, np.integer))):
            raise IndexError(
                f"only integers, slices, None, ..., and integer or boolean tensors are valid "
                f"indices, got {type(it).__name__}"
            )
        out.append(it)
    return tuple(out), advanced


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
        elif isinstance(it, np.ndarray):
            first.extend([slice(None)] * (it.ndim if it.dtype == np.bool_ else 1))
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
    idx, advanced = _convert_index(index)
    staged = _ints_first(idx) if advanced else None
    if staged is not None:
        return getitem(getitem(a, staged[0]), staged[1])
    try:
        arr = a._data[idx]
        if not advanced and arr.__class__ is not np.ndarray:
            # All ints: NumPy returns a scalar copy, PyTorch a 0-d view that writes through.
            arr = a._data[idx + (Ellipsis,)]
    except IndexError as e:
        raise _index_error(e, a.shape, index) from None
    out = wrap(arr)
    if not advanced:  # basic indexing always gives a view (an empty one shares no bytes)
        if a._vc is None:
            a._vc = [0]
        out._vc = a._vc
        if grad_state.enabled:
            _register_view(out, a, lambda b: getitem(b, index), lambda v, b: index_put(b, index, v))
    shape = a.shape
    return record_legacy(
        out, "Index", (a,), lambda g, o: (_index_add_into(g, idx, shape, advanced),)
    )


def _index_add_into(g, idx, shape, advanced):
    """f(g) = zeros(shape) with g added at idx;  dg = grad[idx]"""
    z = np.zeros(shape, g._data.dtype)
    if advanced:
        np.add.at(z, idx, g._data)
    else:
        z[idx] = g._data
    return record_legacy(wrap(z), "IndexBackward", (g,), lambda gg, o: (getitem(gg, idx),))


def index_put(a, index, value):
    """f(a, v) = a with a[index] = v;  da = g zeroed at index,  dv = g[index]"""
    idx, _ = _convert_index(index)
    value = value if isinstance(value, TensorBase) else wrap(np.asarray(value, dtype=a._data.dtype))
    out = a._data.copy()
    staged = _ints_first(idx) if any(isinstance(it, np.ndarray) for it in idx) else None
    try:
        if staged is not None:
            out[staged[0]][staged[1]] = value._data
        else:
            out[idx] = value._data
    except IndexError as e:
        raise _index_error(e, a.shape, index) from None
    except ValueError as e:
        raise RuntimeError(
            f"setitem: value of shape {tuple(value.shape)} cannot be broadcast to the indexed "
            f"region of a tensor of shape {tuple(a.shape)}: {e}"
        ) from None

    def backward(g, o):
        ga = index_put(g, index, 0.0) if _rg(a) else None
        gv = getitem(g, index) if _rg(value) else None
        return ga, gv

    return record_legacy(wrap(out), "IndexPut", (a, value), backward)


def setitem(a, index, value):
    """``a[index] = value`` in place; differentiable in ``a``'s history and in ``value``."""
    if isinstance(value, TensorBase) and value._data.dtype != a._data.dtype:
        value = value.to(a.dtype)
    _inplace(a, lambda s: index_put(s, index, value), "setitem")


def _along(index_arr, dim):
    """A full index tuple addressing ``index_arr``'s positions, with ``dim`` replaced by it."""
    grids = np.indices(index_arr.shape, sparse=True)
    return tuple(index_arr if i == dim else g for i, g in enumerate(grids))


def _check_index(a, dim, index, name):
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
    idx = index._data
    if idx.size and (idx.min() < -a.shape[d] or idx.max() >= a.shape[d]):
        raise IndexError(
            f"{name}: index out of range: values must be in [0, {a.shape[d]}) for dim {dim} "
            f"of a tensor of shape {tuple(a.shape)}, got min {idx.min()}, max {idx.max()}"
        )
    return d, index


def gather(a, dim, index):
    """f(a) = a[..., index, ...] along dim;  da = zeros scatter-added with g"""
    a = as_tensor(a, "gather")
    d, index = _check_index(a, dim, index, "gather")
    full = _along(index._data, d)
    shape = a.shape
    return record_legacy(
        wrap(a._data[full]),
        "Gather",
        (a,),
        lambda g, out: (scatter_add(wrap(np.zeros(shape, g._data.dtype)), d, index, g),),
    )


def scatter_add(a, dim, index, src):
    """f(a, s) = a with s added at index along dim;  da = g,  ds = g.gather(dim, index)"""
    a = as_tensor(a, "scatter_add")
    d, index = _check_index(a, dim, index, "scatter_add")
    src = _src_like(src, index, a, "scatter_add")
    out = a._data.copy()
    np.add.at(out, _along(index._data, d), src._data)
    return record_legacy(wrap(out), "ScatterAdd", (a, src), lambda g, o: (g, gather(g, d, index)))


def scatter(a, dim, index, src):
    """f(a, s) = a with s written at index along dim;  da = g zeroed there,  ds = g gathered"""
    a = as_tensor(a, "scatter")
    d, index = _check_index(a, dim, index, "scatter")
    src = _src_like(src, index, a, "scatter")
    out = a._data.copy()
    out[_along(index._data, d)] = src._data
    return record_legacy(
        wrap(out),
        "Scatter",
        (a, src),
        lambda g, o: (
            scatter(g, d, index, 0.0) if _rg(a) else None,
            gather(g, d, index) if _rg(src) else None,
        ),
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


def _vector_index(a, d, index, name):
    index = as_tensor(index, name)
    if index._data.dtype.kind not in "iu" or index.ndim > 1:
        raise RuntimeError(
            f"{name}: index must be a 1-D integer tensor, got dtype {index.dtype} and shape "
            f"{tuple(index.shape)}"
        )
    idx = index._data.reshape(-1)
    n = a.shape[d] if a.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(
            f"{name}: index out of range for dim {d} of size {n} (got min {idx.min()}, "
            f"max {idx.max()})"
        )
    return idx


def index_select(a, dim, index):
    """f(a) = a[..., index, ...] along dim;  da = zeros index-added with g"""
    a = as_tensor(a, "index_select")
    d = one_dim(dim, a.ndim, "index_select")
    idx = _vector_index(a, d, index, "index_select")
    shape = a.shape
    return record_legacy(
        wrap(np.take(a._data, idx, axis=d)),
        "IndexSelect",
        (a,),
        lambda g, out: (index_add(wrap(np.zeros(shape, g._data.dtype)), d, idx, g),),
    )


def index_add(a, dim, index, source, alpha=1):
    """f(a, s) = a with alpha*s added at index along dim;  da = g,  ds = alpha*g.index_select"""
    a = as_tensor(a, "index_add")
    d = one_dim(dim, a.ndim, "index_add")
    idx = _vector_index(a, d, index, "index_add") if not isinstance(index, np.ndarray) else index
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
    idx_t = wrap(idx)
    return record_legacy(
        wrap(out),
        "IndexAdd",
        (a, source),
        lambda g, o: (
            g,
            index_select(g, d, idx_t) * alpha if alpha != 1 else index_select(g, d, idx_t),
        ),
    )


def masked_fill(a, mask, value):
    """f(a) = value where mask else a;  da = g where not mask,  dvalue = sum of g where mask"""
    a = as_tensor(a, "masked_fill")
    mask = as_tensor(mask, "masked_fill")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill: mask must be a bool tensor, got {mask.dtype}")
    try:
        shape = np.broadcast_shapes(a.shape, mask.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: mask of shape {tuple(mask.shape)} does not broadcast with the "
            f"tensor's shape {tuple(a.shape)}"
        ) from None
    if shape != a.shape:
        raise RuntimeError(
            f"masked_fill: mask of shape {tuple(mask.shape)} would change the tensor's shape "
            f"{tuple(a.shape)}"
        )
    if isinstance(value, TensorBase):
        if value.ndim != 0:
            raise RuntimeError(
                f"masked_fill only supports a 0-dimensional value tensor, got {value.ndim} dims"
            )
        v = value._data.astype(a._data.dtype)
    else:
        v = np.asarray(value).astype(a._data.dtype)
    out = np.where(mask._data, v, a._data)
    md = mask._data
    return record_legacy(
        wrap(out),
        "MaskedFill",
        (a, value),
        lambda g, o: (
            masked_fill(g, mask, 0.0) if _rg(a) else None,
            (g * wrap(md)).sum() if _rg(value) else None,
        ),
    )


def take(a, index):
    a = as_tensor(a, "take")
    return getitem(a.reshape(-1), as_tensor(index, "take"))
