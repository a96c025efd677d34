"""Selecting by a condition: ``where`` (both forms), ``masked_fill``, ``masked_select`` and its
adjoint ``masked_scatter``, and the positions of nonzeros (``nonzero``, ``argwhere``,
``nonzero_static``)."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.node import record
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import elementwise as E
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor

__all__ = [
    "argwhere",
    "masked_fill",
    "masked_scatter",
    "masked_select",
    "nonzero",
    "nonzero_static",
    "where",
]


def masked_fill(input, mask, value):
    """f(a) = value where mask else a;  da = g where not mask,  dvalue = sum of g where mask"""
    a = input
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
    out = wrap(np.where(mask._data, v, a._data))
    # attrs: the mask, a constant for an exporter (also saved, so version-checked)
    attrs = {"mask": mask}
    return record(out, "MaskedFill", (a, value), _masked_fill_backward, (mask,), attrs)


def _masked_fill_backward(g, mask, *, needs):
    return (
        masked_fill(g, mask, 0.0) if needs[0] else None,
        (g * mask).sum() if needs[1] else None,
    )


def nonzero(a, *, as_tuple=False):
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or one 1-D tensor per dim."""
    a = as_tensor(a, "nonzero")
    data = a._data.reshape(1) if not a.ndim and as_tuple else a._data
    idx = np.argwhere(data).astype(np.int64)
    if as_tuple:
        return tuple(wrap(np.ascontiguousarray(idx[:, i])) for i in range(data.ndim))
    return wrap(idx.reshape(idx.shape[0], a.ndim))  # (0, 0) for a 0-d zero, as PyTorch


def argwhere(a):
    """``nonzero(a)``: an (n, ndim) tensor of the indices of the nonzero elements."""
    return nonzero(a)


def where(condition, input=None, other=None):
    """``where(c, a, b)`` picks elementwise; ``where(c)`` is ``nonzero(c, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: pass both input and other, or only the condition")
    return E.where(condition, input, other)


def _bool_mask(mask, name):
    mask = as_tensor(mask, name)
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"{name}: expected a bool tensor for mask, got dtype {mask.dtype}")
    return mask


def _broadcast_shape(a, mask, name):
    try:
        return np.broadcast_shapes(a.shape, mask.shape)
    except ValueError:
        raise RuntimeError(
            f"{name}: mask of shape {tuple(mask.shape)} does not broadcast with the input's "
            f"shape {tuple(a.shape)}"
        ) from None


def masked_select(a, mask):
    """f(a) = the elements of a where mask (broadcast), as a 1-D tensor;
    da = zeros with g scattered into the masked places"""
    a = as_tensor(a, "masked_select")
    mask = _bool_mask(mask, "masked_select")
    shape = _broadcast_shape(a, mask, "masked_select")
    out = wrap(np.broadcast_to(a._data, shape)[np.broadcast_to(mask._data, shape)])
    # PyTorch saves self as well as the mask, so changing either in place raises.
    return record(out, "MaskedSelect", (a,), _masked_select_backward, (a, mask, shape))


def _masked_select_backward(g, a, mask, shape):
    zeros = wrap(np.zeros(shape, g._data.dtype))
    return (masked_scatter(zeros, S.broadcast_to(mask, shape), g),)


def masked_scatter(a, mask, source):
    """f(a, s) = a with the masked places filled, in order, from s's first elements;
    da = g zeroed there,  ds = g's masked elements (zeros for the unused rest of s)"""
    a = as_tensor(a, "masked_scatter")
    mask = _bool_mask(mask, "masked_scatter")
    source = as_tensor(source, "masked_scatter")
    shape = _broadcast_shape(a, mask, "masked_scatter")
    m = np.broadcast_to(mask._data, shape)
    count = int(m.sum())
    if source._data.size < count:
        raise RuntimeError(
            f"masked_scatter: the mask selects {count} elements but source of shape "
            f"{tuple(source.shape)} has only {source._data.size}"
        )
    if source._data.dtype != a._data.dtype:
        raise RuntimeError(
            f"masked_scatter: expected source of dtype {a.dtype}, got {source.dtype}"
        )
    out = np.array(np.broadcast_to(a._data, shape))
    out[m] = source._data.reshape(-1)[:count]
    saved = (mask, shape, source.shape, count)
    return record(wrap(out), "MaskedScatter", (a, source), _masked_scatter_backward, saved)


def _masked_scatter_backward(g, mask, shape, source_shape, count):
    m = S.broadcast_to(mask, shape)
    picked = masked_select(g, m)
    rest = int(np.prod(source_shape)) - count
    if rest:
        picked = S.cat([picked, wrap(np.zeros(rest, g._data.dtype))])
    return masked_fill(g, m, 0.0), S.reshape(picked, source_shape)


def nonzero_static(input, *, size, fill_value=-1):  # noqa: A002
    """The indices of input's nonzero elements as (size, ndim) rows: cut at size, or padded
    with fill_value"""
    x = as_tensor(input, "nonzero_static")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise RuntimeError(f"nonzero_static: size must be a non-negative int, got {size!r}")
    idx = np.argwhere(x._data)[:size]
    out = np.full((size, x.ndim), fill_value, dtype=np.int64)
    out[: idx.shape[0]] = idx
    return wrap(out)
