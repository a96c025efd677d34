"""Indexing: ``t[...]`` and ``t[...] = v`` (basic slicing, integer and boolean arrays, ``None``,
``...``; the gradient scatter-adds back, repeated indices included: IndexBackward), the private
copy of an index, and ``unravel_index``. Reading and writing along a dim (``gather``/``take``/
``index_select``, their adjoints ``scatter``/``scatter_add``/``index_add``, ``as_strided``) is
ops/gather.py; ``index_put`` is ops/index_put.py; selecting by a mask is ops/masked.py; writing
a source into slices, flat indices or views is ops/scatter.py."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, share_version, wrap
from tinytensor.ops._util import as_tensor, checked_scalar, warn_user
from tinytensor.ops.inplace import inplace as _inplace
from tinytensor.ops.inplace import register_view as _register_view

__all__ = [
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
            if it._data.dtype.type not in _INDEX_DTYPES:
                raise IndexError(
                    f"tensors used as indices must be long, int, byte or bool tensors, got "
                    f"{it._data.dtype}; convert the index with .long() (or .bool() for a mask)"
                )
            if it._data.dtype == np.uint8:
                it = _uint8_as_mask(it)
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


_INDEX_DTYPES = (np.int64, np.int32, np.uint8, np.bool_)


def _uint8_as_mask(it):
    """PyTorch reads a uint8 index tensor as a bool mask (nonzero is True): with a
    deprecation warning, except a 0-d one (a bool scalar index there)."""
    if it._data.ndim:
        warn_user(
            "indexing with dtype uint8 is now deprecated, please use dtype bool instead "
            "(index.bool())"
        )
    return wrap(UINT8_MASK.compute(_reads((), it), (it._data,)))


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
    return INDEX_PUT.record(wrap(out), (a, vin), (tidx, None if vin is None else vin.ndim))


def _index_put_kernel(x, v, first, rest):
    out = x.copy()
    if v.__class__ is not np.ndarray:
        v = np.asarray(v, dtype=out.dtype)
    elif v.ndim and v.shape[0] == 1:  # PyTorch drops a value's leading 1s (NumPy does too,
        lead = 0  # except into a single element: t[0] = tensor([5.0]))
        while lead < v.ndim and v.shape[lead] == 1:
            lead += 1
        v = v.reshape(v.shape[lead:])
    if first is not None:
        out[_ints(first)][rest] = v
    else:
        out[_ints(rest)] = v
    return out


def _index_put_backward(g, tidx, vdim, *, needs):
    gv = getitem(g, tidx) if needs[1] else None
    if gv is not None and vdim > gv.ndim:  # the value's leading 1s, dropped by the kernel
        gv = gv.reshape((1,) * (vdim - gv.ndim) + tuple(gv.shape))
    return (_index_put(g, tidx, 0.0) if needs[0] else None, gv)


INDEX_PUT = Primitive("IndexPut", _index_put_kernel, _index_put_backward)


def setitem(a, index, value):
    """``a[index] = value`` in place; differentiable in ``a``'s history and in ``value``."""
    _refuse_a_uint8_masked_fill(a, index, value)
    if isinstance(value, TensorBase) and value._data.dtype != a._data.dtype:
        _check_value_dtype(a, index, value)
        value = value.to(a.dtype)
    elif isinstance(value, (int, float, np.integer, np.floating)):  # PyTorch's overflow check
        value = checked_scalar(value, a._data.dtype, "setitem")
    _inplace(a, lambda s: _index_put(s, index, value), "setitem")


def _refuse_a_uint8_masked_fill(a, index, value):
    """PyTorch writes a one-element value through one mask (the only index tensor, beside
    ints, slices, None and ...) with masked_fill_, which refuses a uint8 mask: RuntimeError
    here too, before anything is written."""
    one = value.numel() == 1 if isinstance(value, TensorBase) else np.size(value) == 1
    if not one:
        return
    tensors = []
    for it in index if isinstance(index, tuple) else (index,):
        if isinstance(it, TensorBase) and not _is_int0(it):
            tensors.append(it)
        elif isinstance(it, (list, tuple, range, np.ndarray)):
            tensors.append(None)  # an index tensor too, never uint8
    mask = tensors[0] if len(tensors) == 1 else None
    if mask is not None and mask._data.dtype == np.uint8 and mask._data.ndim:
        raise RuntimeError(
            f"setitem: a one-element value written through a uint8 index {tuple(mask.shape)} "
            f"(of a tensor of shape {tuple(a.shape)}) is a masked_fill_, which only supports "
            "bool masks (as in PyTorch); convert the mask with mask.bool()"
        )


def _check_value_dtype(a, index, value):
    """PyTorch converts a tensor value of another dtype written through a basic index (ints,
    slices, None, ..., 0-d integer tensors: a copy_) or, when it has one element, through one
    bool mask (a masked_fill); through any other advanced index (index_put_) it raises."""
    advanced = []
    for it in index if isinstance(index, tuple) else (index,):
        if isinstance(it, TensorBase):
            if it._data.dtype.kind == "f":
                return  # not an index at all: _convert_index's IndexError says so
            if it._data.ndim or it._data.dtype.kind not in "iu":
                advanced.append(it._data)
        elif isinstance(it, (list, tuple, range, np.ndarray)):
            advanced.append(np.asarray(it))
    if not advanced:
        return
    one_mask = len(advanced) == 1 and advanced[0].dtype == np.bool_ and advanced[0].ndim
    if one_mask and value._data.size == 1:
        return
    raise RuntimeError(
        f"setitem: index put requires the source and destination dtypes match, got "
        f"{a.dtype} for the destination and {value.dtype} for the source (an advanced index "
        "does not convert a tensor value); convert it first with value.to(tensor.dtype)"
    )


def _copy_kernel(x):
    return x.copy()


COPY_INDEX = Primitive("CopyIndex", _copy_kernel)  # a private copy of an index: no gradient


def _nonzero_kernel(x):
    return x != 0


UINT8_MASK = Primitive("Uint8Mask", _nonzero_kernel)  # a uint8 index as its bool mask


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
