"""Selecting by a condition: ``where`` (both forms), ``masked_fill``, ``masked_select`` and its
adjoint ``masked_scatter``, and the positions of nonzeros (``nonzero``, ``argwhere``,
``nonzero_static``)."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import selection as SEL
from tinytensor.ops._util import as_tensor, checked_scalar
from tinytensor.ops.creation import zeros

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
        np.broadcast_shapes(a.shape, mask.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: mask of shape {tuple(mask.shape)} does not broadcast with the "
            f"tensor's shape {tuple(a.shape)}"
        ) from None
    # A mask of more dims or larger sizes broadcasts the result (masked_fill_ refuses it: an
    # in-place op cannot change the shape), as PyTorch's out-of-place masked_fill.
    if isinstance(value, TensorBase):
        if value.ndim != 0:
            raise RuntimeError(
                f"masked_fill only supports a 0-dimensional value tensor, got {value.ndim} dims"
            )
        v = value._data
    else:
        v = checked_scalar(value, a._data.dtype, "masked_fill")  # PyTorch's overflow check
    # The mask is an argument of the kernel but no input of the node (it has no gradient); it
    # is an attribute, a constant for an exporter (also saved, so version-checked).
    out = wrap(MASKED_FILL.compute((a, value, mask), (a._data, mask._data, v)))
    return MASKED_FILL.record(out, (a, value), (mask,), {"mask": mask})


def _masked_fill_kernel(d, m, v):
    return np.where(m, np.asarray(v).astype(d.dtype), d)


def _masked_fill_backward(g, mask, *, needs):
    return (
        masked_fill(g, mask, 0.0) if needs[0] else None,
        (g * mask).sum() if needs[1] else None,
    )


MASKED_FILL = Primitive("MaskedFill", _masked_fill_kernel, _masked_fill_backward)


def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or one 1-D tensor per dim."""
    a = as_tensor(input, "nonzero")
    if as_tuple:
        return NONZERO_TUPLE.apply((a,), (a._data,))
    return NONZERO.apply((a,), (a._data,))


def _nonzero_kernel(d):
    idx = np.argwhere(d).astype(np.int64)
    return idx.reshape(idx.shape[0], d.ndim)  # (0, 0) for a 0-d zero, as PyTorch


def _nonzero_tuple_kernel(d):
    idx = np.argwhere(d.reshape(1) if not d.ndim else d).astype(np.int64)
    return tuple(np.ascontiguousarray(idx[:, i]) for i in range(idx.shape[1]))


# Their output's shape depends on the values (a compiler's graph break).
NONZERO = Primitive("Nonzero", _nonzero_kernel, data_dependent=True)
NONZERO_TUPLE = Primitive("NonzeroTuple", _nonzero_tuple_kernel, multi=True, data_dependent=True)


def argwhere(input):
    """``nonzero(a)``: an (n, ndim) tensor of the indices of the nonzero elements."""
    a = input
    return nonzero(a)


def where(condition, input=None, other=None):
    """``where(c, a, b)`` picks elementwise; ``where(c)`` is ``nonzero(c, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: pass both input and other, or only the condition")
    return SEL.where(condition, input, other)


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


def masked_select(input, mask):
    """f(a) = the elements of a where mask (broadcast), as a 1-D tensor;
    da = zeros with g scattered into the masked places"""
    a = as_tensor(input, "masked_select")
    mask = _bool_mask(mask, "masked_select")
    shape = _broadcast_shape(a, mask, "masked_select")
    out = wrap(MASKED_SELECT.compute((a, mask), (a._data, mask._data, shape)))
    # PyTorch saves self as well as the mask, so changing either in place raises.
    return MASKED_SELECT.record(out, (a,), (a, mask, shape))


def _masked_select_kernel(d, m, shape):
    return np.broadcast_to(d, shape)[np.broadcast_to(m, shape)]


def _masked_select_backward(g, a, mask, shape):
    return (masked_scatter(zeros(shape, dtype=g.dtype), mask, g),)


MASKED_SELECT = Primitive(
    "MaskedSelect", _masked_select_kernel, _masked_select_backward, data_dependent=True
)


def masked_scatter(input, mask, source):
    """f(a, s) = a with the masked places filled, in order, from s's first elements;
    da = g zeroed there,  ds = g's masked elements (zeros for the unused rest of s)"""
    a = as_tensor(input, "masked_scatter")
    mask = _bool_mask(mask, "masked_scatter")
    source = as_tensor(source, "masked_scatter")
    shape = _broadcast_shape(a, mask, "masked_scatter")
    count = int(np.broadcast_to(mask._data, shape).sum())  # a check of the values only
    if source._data.size < count:
        raise RuntimeError(
            f"masked_scatter: the mask selects {count} elements but source of shape "
            f"{tuple(source.shape)} has only {source._data.size}"
        )
    if source._data.dtype != a._data.dtype:
        raise RuntimeError(
            f"masked_scatter: expected source of dtype {a.dtype} (the input's), got "
            f"{source.dtype}; convert it first with source.to(input.dtype)"
        )
    out = wrap(
        MASKED_SCATTER.compute((a, mask, source), (a._data, mask._data, source._data, shape))
    )
    return MASKED_SCATTER.record(out, (a, source), (mask, shape, tuple(source.shape)))


def _masked_scatter_kernel(d, m, src, shape):
    m = np.broadcast_to(m, shape)
    out = np.array(np.broadcast_to(d, shape))
    out[m] = src.reshape(-1)[: np.count_nonzero(m)]
    return out


def _masked_scatter_backward(g, mask, shape, source_shape):
    return masked_fill(g, mask, 0.0), _masked_source_grad(g, mask, shape, source_shape)


MASKED_SCATTER = Primitive("MaskedScatter", _masked_scatter_kernel, _masked_scatter_backward)


def _masked_source_grad(g, mask, shape, source_shape):
    """masked_scatter's gradient for its source: g's masked elements (mask broadcast to
    ``shape``) in order, then zeros, in the source's shape (a shape known without the values,
    unlike masked_select's)."""
    args = (g._data, mask._data, shape, source_shape)
    return MASKED_SOURCE_GRAD.apply((g, mask), args, (mask, shape))


def _masked_source_grad_kernel(gd, m, shape, source_shape):
    picked = gd[np.broadcast_to(m, shape)]
    out = np.zeros(int(np.prod(source_shape)), gd.dtype)
    out[: picked.size] = picked
    return out.reshape(source_shape)


def _masked_source_grad_backward(gg, mask, shape):
    # Linear in g: its adjoint puts gg's first elements back into the masked places.
    return masked_scatter(zeros(shape, dtype=gg.dtype), mask, gg), None


MASKED_SOURCE_GRAD = Primitive(
    "MaskedScatterSourceGrad", _masked_source_grad_kernel, _masked_source_grad_backward
)


def nonzero_static(input, *, size, fill_value=-1):  # noqa: A002
    """The indices of input's nonzero elements as (size, ndim) rows: cut at size, or padded
    with fill_value"""
    x = as_tensor(input, "nonzero_static")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise RuntimeError(f"nonzero_static: size must be a non-negative int, got {size!r}")
    return NONZERO_STATIC.apply((x,), (x._data,), (), {"size": size, "fill_value": fill_value})


def _nonzero_static_kernel(d, *, size, fill_value):
    idx = np.argwhere(d)[:size]
    out = np.full((size, d.ndim), fill_value, dtype=np.int64)
    out[: idx.shape[0]] = idx
    return out


NONZERO_STATIC = Primitive("NonzeroStatic", _nonzero_static_kernel)  # a fixed shape: (size, ndim)
