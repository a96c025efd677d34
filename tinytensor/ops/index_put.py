"""``index_put`` (``out[indices] = values``, or ``+=`` with ``accumulate``): PyTorch's argument
rules (a tuple of index tensors, a tensor of values), uint8 indices read as bool masks, and the
accumulating path, which adds through ``index_add`` at flat positions. ``t[...] = v`` is
ops/index.py; reading and writing along a dim is ops/gather.py."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops._util import as_tensor, warn_user
from tinytensor.ops.gather import _same_dtype, index_add
from tinytensor.ops.index import _index_put

__all__ = ["index_put"]


def _linear(t, indices, name):
    """Leading dims indexed by the tensors ``indices`` (a bool mask stands for the coordinates
    of its True positions): (flat index, leading size, its shape, the unindexed dims' sizes);
    the flat index is a tensor computed by a kernel from the indices' values."""
    expanded = []
    for ix in indices:
        ix = as_tensor(ix, name)
        if ix._data.dtype == np.bool_:  # a mask indexes its dims by its True positions
            _check_mask_shape(t, ix, len(expanded))
            expanded.extend(ix.nonzero(as_tuple=True))
        else:
            expanded.append(ix)
    indices = expanded
    if len(indices) > t.ndim:
        raise IndexError(f"{name}: too many indices ({len(indices)}) for a {t.ndim}-D tensor")
    ts = []
    for k, ix in enumerate(indices):
        a = ix._data
        n = t.shape[k]
        if a.size and (a.min() < -n or a.max() >= n):
            raise IndexError(f"{name}: index out of range for dimension {k} with size {n}")
        ts.append(ix)
    lead = t._data.shape[: len(indices)]
    ishape = np.broadcast_shapes(*[x.shape for x in ts])
    flat = wrap(LINEAR_INDEX.compute(tuple(ts), (tuple([x._data for x in ts]), lead)))
    return flat, int(np.prod(lead)), ishape, tuple(t.shape[len(indices) :])


def _linear_index_kernel(indices, lead):
    arrs = [np.where(a < 0, a + n, a) for a, n in zip(indices, lead)]
    return np.ravel_multi_index(tuple(np.broadcast_arrays(*arrs)), lead).reshape(-1)


LINEAR_INDEX = Primitive("LinearIndex", _linear_index_kernel)  # an index: no gradient


def index_put(input, indices, values, accumulate=False):
    """out = input with out[indices] = values (or += with ``accumulate``, repeats summed).

    As in PyTorch, ``indices`` is a tuple (or list) of index tensors (int64, int32, bool, or
    uint8 read as a bool mask with a deprecation warning) and ``values`` a tensor: a number,
    list, array or None is a TypeError."""
    t = as_tensor(input, "index_put")
    indices = _index_tensors_of(t, indices)
    if not isinstance(values, TensorBase):
        raise TypeError(
            f"index_put: values must be a Tensor, not {type(values).__name__}; wrap it with "
            "tensor(values, dtype=input.dtype) (PyTorch's index_put does not convert numbers)"
        )
    indices = _uint8_as_masks(t, indices, values, accumulate)
    if not _fills_a_mask(indices, values, accumulate):
        _same_dtype(t, values, "index_put", "values")  # a tensor is not converted (PyTorch)
    values = values.to(t.dtype)
    if not accumulate:
        return _index_put(t, indices, values)
    flat, n, ishape, rest = _linear(t, indices, "index_put")
    src = values.broadcast_to(ishape + rest).reshape((flat._data.size,) + rest)
    base = t.reshape((n,) + rest)
    return index_add(base, 0, flat, src).reshape(t.shape)


_INDEX_DTYPES = (np.int64, np.int32, np.uint8, np.bool_)


def _index_tensors_of(t, indices):
    """index_put's indices as a tuple of tensors: TypeError for anything else (a bare tensor,
    None, a list or a number among them), IndexError for a tensor of another dtype than
    PyTorch's index dtypes, RuntimeError for no index at all, as PyTorch 2.13 raises."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            f"index_put: indices must be a tuple of Tensors, not {type(indices).__name__}; "
            "pass (index,) for one index tensor"
        )
    for k, ix in enumerate(indices):
        if not isinstance(ix, TensorBase):
            raise TypeError(
                f"index_put: expected a Tensor as element {k} of indices, got "
                f"{type(ix).__name__} (None, lists and numbers are not index_put indices; "
                "index with t[...] = v for those, or pass tensor(...) / arange(size) here)"
            )
        if ix._data.dtype.type not in _INDEX_DTYPES:
            raise IndexError(
                f"index_put: tensors used as indices must be long, int, byte or bool tensors, "
                f"got {ix.dtype} as element {k}; convert it with .long()"
            )
        if ix.ndim == 0 and ix._data.dtype.kind in "bu":
            raise RuntimeError(  # PyTorch 2.13 fails here with an internal assert
                f"index_put: a 0-d {ix.dtype} mask (element {k}) is not supported; write "
                "with t[mask] = v, or index with a 1-D mask"
            )
    if not indices:
        raise RuntimeError(
            f"index_put: indices is empty for a tensor of shape {tuple(t.shape)}; pass one "
            "index tensor per indexed dim (fill_ or copy_ write everywhere)"
        )
    return tuple(indices)


def _uint8_as_masks(t, indices, values, accumulate):
    """PyTorch reads a uint8 index as a bool mask (nonzero is True), with a deprecation
    warning; with one mask and a one-element value (no accumulate) it calls masked_fill_,
    which refuses a uint8 mask (after checking the mask's shape)."""
    if not any(ix._data.dtype == np.uint8 for ix in indices):
        return indices
    if not accumulate and values.numel() == 1 and len(indices) == 1:
        mask = indices[0]
        _check_mask_shape(t, mask, 0)
        raise RuntimeError(
            f"index_put: a uint8 index {tuple(mask.shape)} with a one-element value is a "
            "masked_fill_, which only supports bool masks (as in PyTorch); convert the mask "
            "with mask.bool()"
        )
    warn_user(
        "index_put: indexing with dtype uint8 is now deprecated, please use dtype bool "
        "instead (mask.bool())"
    )
    return tuple(ix != 0 if ix._data.dtype == np.uint8 else ix for ix in indices)


def _check_mask_shape(t, mask, start):
    """A mask's dims must equal the indexed tensor's from ``start`` on (IndexError)."""
    for j, n in enumerate(mask.shape):
        if start + j >= t.ndim or n != t.shape[start + j]:
            raise IndexError(
                f"index_put: the shape of the mask {tuple(mask.shape)} at index {j} does not "
                f"match the shape of the indexed tensor {tuple(t.shape)} at index {start + j}"
            )


def _fills_a_mask(indices, values, accumulate):
    """PyTorch's index_put_ with one bool mask and a one-element value is a masked_fill, which
    converts the value to the input's dtype like a number (no dtype check)."""
    masks = [i for i in indices if i is not None]
    return (
        not accumulate
        and values.numel() == 1
        and len(masks) == 1
        and isinstance(masks[0], TensorBase)
        and masks[0]._data.dtype == np.bool_
    )
