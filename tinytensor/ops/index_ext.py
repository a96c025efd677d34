"""More of PyTorch's indexing ops, each built from the differentiable ``index_put``,
``index_add`` and ``take`` of ``ops.index`` (so their gradients come for free): ``index_copy``,
``index_fill``, ``index_put`` (with ``accumulate``), ``masked_scatter``, ``put``,
``as_strided`` (a gathered copy here, not a view), and the NaN-skipping ``nansum``/``nanmean``.
"""

from __future__ import annotations

import numpy as np

from tinytensor.core import wrap
from tinytensor.ops import index as I
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, one_dim


def _along(input, dim, index, name):
    t = as_tensor(input, name)
    d = one_dim(dim, max(t.ndim, 1), name)
    idx = as_tensor(index, name)
    if idx._data.dtype.kind not in "iu" or idx.ndim > 1:
        raise IndexError(
            f"{name}: index must be a 0-D or 1-D integer tensor, got {idx.dtype} "
            f"of shape {tuple(idx.shape)}"
        )
    size = t.shape[d] if t.ndim else 1
    if idx._data.size and (idx._data.min() < -size or idx._data.max() >= size):
        raise IndexError(f"{name}: index out of range for dimension {d} with size {size}")
    return t, (slice(None),) * d + (idx.reshape(-1),)


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
        return I.index_put(t, indices, values)
    flat, n, ishape = _linear(t, indices, "index_put")
    rest = tuple(t.shape[len(indices) :])
    src = S.broadcast_to(values, ishape + rest).reshape((flat.size,) + rest)
    base = t.reshape((n,) + rest)
    return I.index_add(base, 0, wrap(flat), src).reshape(t.shape)


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
    return I.take(t, wrap(idx))
