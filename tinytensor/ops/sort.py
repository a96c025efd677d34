"""Sorting and searching: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
quantile, nanquantile, unique(_consecutive), searchsorted, bucketize, isin.

Ops that pick elements (sort, topk, kthvalue, median(dim), mode) return ``(values, indices)``
named tuples like ``torch.return_types``; as in PyTorch their backward saves the returned
indices (changing them in place before backward is an error) and scatters the gradient back
through them. Searching ops (unique, searchsorted, bucketize, isin) return integer or bool
tensors and have no gradient."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tinytensor.autograd.node import OUT, record
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import elementwise as E
from tinytensor.ops import index as I
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, one_dim

__all__ = [
    "argsort",
    "bucketize",
    "isin",
    "kthvalue",
    "median",
    "mode",
    "msort",
    "nanmedian",
    "nanquantile",
    "quantile",
    "searchsorted",
    "sort",
    "topk",
    "unique",
    "unique_consecutive",
]


sort_result = namedtuple("sort", ["values", "indices"])


topk_result = namedtuple("topk", ["values", "indices"])


kthvalue_result = namedtuple("kthvalue", ["values", "indices"])


median_result = namedtuple("median", ["values", "indices"])


nanmedian_result = namedtuple("nanmedian", ["values", "indices"])


mode_result = namedtuple("mode", ["values", "indices"])


def _argsort(x, d, descending):
    """Stable argsort along ``d``; NaN sorts as the largest value (last, or first descending)."""
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    # Stable descending: sort the reversed array ascending, then reverse back.
    n = x.shape[d]
    rev = np.argsort(np.flip(x, d), axis=d, kind="stable")
    return np.flip(n - 1 - rev, d)


def _picked(a, d, idx, name, result, keepdim=True):
    """``(a's values at idx along d, idx)``: one node whose backward scatters ``g`` back."""
    values = np.take_along_axis(a._data, idx, d) if a.ndim else a._data.copy()
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    out, indices = wrap(values), wrap(idx.astype(np.int64))
    # As in PyTorch, backward keeps the returned indices: changing them in place is an error.
    record(out, name, (a,), _picked_backward, (indices, a.shape, d, keepdim))
    return result(out, indices)


def _picked_backward(g, indices, shape, d, keepdim):
    """da = zeros with g scattered in at the returned indices"""
    if not shape:
        return (g.reshape(()),)
    if not keepdim:
        g, indices = S.unsqueeze(g, d), S.unsqueeze(indices, d)
    return (I.scatter(wrap(np.zeros(shape, g._data.dtype)), d, indices, g),)


def sort(a, dim=-1, descending=False, stable=False):
    """f(a) = (a sorted along dim, where each came from);  da = g scattered to the indices"""
    a = as_tensor(a, "sort")
    d = one_dim(dim, a.ndim, "sort")
    idx = _argsort(a._data, d, descending) if a.ndim else np.zeros((), np.int64)
    return _picked(a, d, idx, "Sort", sort_result)


def argsort(a, dim=-1, descending=False, stable=False):
    """The indices that sort ``a`` along dim (no gradient)."""
    a = as_tensor(a, "argsort")
    d = one_dim(dim, a.ndim, "argsort")
    if not a.ndim:
        return wrap(np.zeros((), np.int64))
    return wrap(_argsort(a._data, d, descending).astype(np.int64))


def msort(a):
    """``sort(a, 0).values``."""
    return sort(a, 0).values


def _k_in_range(k, n, name, lo):
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not lo <= k <= n:
        raise RuntimeError(
            f"{name}(): selected number k={k!r} out of range for a dimension of size {n} "
            f"(expected {lo} <= k <= {n})"
        )


def topk(a, k, dim=-1, largest=True, sorted=True):
    """f(a) = the k largest (smallest) along dim and their indices;  da = g scattered back"""
    a = as_tensor(a, "topk")
    d = one_dim(dim, a.ndim, "topk")
    n = a.shape[d] if a.ndim else 1
    _k_in_range(k, n, "topk", 0)
    if not a.ndim:
        return _picked(a, d, np.zeros((), np.int64), "Topk", topk_result)
    idx = _argsort(a._data, d, largest)
    idx = np.take(idx, np.arange(k), axis=d)
    return _picked(a, d, idx, "Topk", topk_result)


def _row_pick(a, dim, keepdim, name, result, position):
    """Pick one element per row along dim: ``position(sorted_row_values) -> index in sorted``."""
    a = as_tensor(a, name)
    d = one_dim(dim, a.ndim, name)
    if not a.ndim:
        return _picked(a, d, np.zeros((), np.int64), name.capitalize(), result)
    if a.shape[d] == 0:
        raise IndexError(
            f"{name}(): cannot pick from an empty dimension {dim} of a tensor of shape "
            f"{tuple(a.shape)}; specify a dim with nonzero size"
        )
    order = _argsort(a._data, d, False)
    svals = np.take_along_axis(a._data, order, d)
    pos = np.expand_dims(position(np.moveaxis(svals, d, -1)), d)
    idx = np.take_along_axis(order, pos, d)
    return _picked(a, d, idx, name.capitalize(), result, keepdim)


def kthvalue(a, k, dim=-1, keepdim=False):
    """f(a) = the k-th smallest along dim and its index;  da = g scattered back"""
    a = as_tensor(a, "kthvalue")
    n = a.shape[one_dim(dim, a.ndim, "kthvalue")] if a.ndim else 1
    _k_in_range(k, n, "kthvalue", 1)
    return _row_pick(a, dim, keepdim, "kthvalue", kthvalue_result, lambda s: _full(s, k - 1))


def _full(s, value):
    return np.full(s.shape[:-1], value, dtype=np.int64)


def _median_pos(s):
    """Lower median's position in each sorted row; a row with NaN gives its first NaN."""
    nans = np.isnan(s).sum(-1) if s.dtype.kind == "f" else np.zeros(s.shape[:-1], np.int64)
    n = s.shape[-1]
    return np.where(nans > 0, n - nans, (n - 1) // 2)


def _nanmedian_pos(s):
    """Lower median of each sorted row's non-NaN values (its first element if all are NaN)."""
    k = s.shape[-1] - (np.isnan(s).sum(-1) if s.dtype.kind == "f" else 0)
    return np.maximum((k - 1) // 2, 0)


def _whole_median(a, name, position):
    """Median over all elements (no indices);  da = g shared among the elements equal to it"""
    a = as_tensor(a, name)
    if a._data.size == 0:
        return wrap(np.array(np.nan, a._data.dtype))
    flat = np.sort(a._data.reshape(-1), kind="stable")
    out = wrap(np.array(flat[int(position(flat[None])[0])]))
    return record(out, name.capitalize(), (a,), _evenly_backward, (a, OUT))


def _evenly_backward(g, a, out):
    hit = (a == out) | (E.isnan(a) & E.isnan(out))
    mask = hit.to(g.dtype)
    return (g * mask / mask.sum(),)


def median(a, dim=None, keepdim=False):
    """``median(a)``: lower median of all elements; ``median(a, dim)`` -> (values, indices)."""
    if dim is None:
        return _whole_median(a, "median", _median_pos)
    return _row_pick(a, dim, keepdim, "median", median_result, _median_pos)


def nanmedian(a, dim=None, keepdim=False):
    """``median`` ignoring NaNs (NaN only where a row is all NaN)."""
    if dim is None:
        return _whole_median(a, "nanmedian", _nanmedian_pos)
    return _row_pick(a, dim, keepdim, "nanmedian", nanmedian_result, _nanmedian_pos)


def mode(a, dim=-1, keepdim=False):
    """f(a) = the most frequent value along dim (smallest of ties), index of its last
    occurrence;  da = g scattered back"""
    a = as_tensor(a, "mode")
    d = one_dim(dim, a.ndim, "mode")
    if not a.ndim:
        return _picked(a, d, np.zeros((), np.int64), "Mode", mode_result)
    x = np.moveaxis(a._data, d, -1)
    rows = x.reshape(-1, x.shape[-1])
    if rows.shape[1] == 0:
        raise IndexError(f"mode(): cannot pick from an empty dimension {dim} of {tuple(a.shape)}")
    idx = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        u, c = np.unique(row, return_counts=True)
        hits = np.nonzero(row == u[np.argmax(c)])[0]
        idx[r] = hits[-1] if hits.size else np.nonzero(np.isnan(row))[0][-1]
    idx = np.expand_dims(idx.reshape(x.shape[:-1]), d)
    return _picked(a, d, idx, "Mode", mode_result, keepdim)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(a, q, dim=None, keepdim=False, *, interpolation="linear"):
    """f(a) = the q-th quantiles along dim, interpolated between the sorted values around them;
    da flows through ``sort`` and ``gather`` (so it is differentiable twice)"""
    return _quantile(a, q, dim, keepdim, interpolation, "quantile")


def nanquantile(a, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring NaNs (NaN only where a row is all NaN)."""
    return _quantile(a, q, dim, keepdim, interpolation, "nanquantile")


def _quantile(a, q, dim, keepdim, interpolation, name):
    a = as_tensor(a, name)
    if a._data.dtype.kind != "f":
        raise RuntimeError(
            f"{name}() input tensor must be either float or double dtype, got {a.dtype}; "
            "convert it with .float() or .double()"
        )
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"{name}() interpolation must be one of {', '.join(_INTERPOLATIONS)}, got "
            f"{interpolation!r}"
        )
    qs = np.asarray(q._data if isinstance(q, TensorBase) else q, dtype=np.float64)
    if qs.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor, got shape {qs.shape}")
    if qs.size and (qs.min() < 0 or qs.max() > 1) or np.isnan(qs).any():
        raise RuntimeError(f"{name}() q values must be in the range [0, 1], got {qs.tolist()}")
    if a._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty, got shape {tuple(a.shape)}")
    x = S.reshape(a, (-1,)) if dim is None or not a.ndim else a
    d = 0 if dim is None or not a.ndim else one_dim(dim, a.ndim, name)
    if dim is not None and not a.ndim:
        one_dim(dim, 0, name)
    n = x.shape[d]
    sv = S.movedim(sort(x, d).values, d, -1)  # (..., n), NaNs last
    nans = np.isnan(sv._data).sum(-1)
    k = n - nans if name == "nanquantile" else np.full(nans.shape, n)
    rank = qs.reshape(-1) * np.maximum(k - 1, 0)[..., None]  # (..., Q)
    lo, hi = np.floor(rank), np.ceil(rank)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = np.round(rank)
    w = rank - lo if interpolation == "linear" else np.where(hi > lo, 0.5, 0.0)
    v_lo = I.gather(sv, -1, wrap(lo.astype(np.int64)))
    v_hi = I.gather(sv, -1, wrap(hi.astype(np.int64)))
    out = v_lo + (v_hi - v_lo) * wrap(w.astype(a._data.dtype))
    blank = (nans > 0) if name == "quantile" else (k == 0)
    if blank.any():
        out = E.where(wrap(np.broadcast_to(blank[..., None], out.shape).copy()), np.nan, out)
    out = S.movedim(out, -1, 0)  # (Q, ...)
    if keepdim:
        at = 1 + (d if dim is not None else 0)
        if dim is None:
            out = S.reshape(out, (out.shape[0],) + (1,) * a.ndim)
        elif a.ndim:
            out = S.unsqueeze(out, at)
    return out[0] if qs.ndim == 0 else out


def unique(a, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), and if asked the inverse indices and counts (no gradient)."""
    a = as_tensor(a, "unique")
    if dim is None:
        u, inv, cnt = np.unique(a._data, return_inverse=True, return_counts=True, equal_nan=False)
        inv = inv.reshape(a.shape)
    else:
        d = one_dim(dim, a.ndim, "unique")
        u, inv, cnt = np.unique(a._data, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
    return _unique_out(u, inv, cnt, return_inverse, return_counts)


def _unique_out(u, inv, cnt, return_inverse, return_counts):
    out = (wrap(u),)
    if return_inverse:
        out += (wrap(inv.astype(np.int64)),)
    if return_counts:
        out += (wrap(cnt.astype(np.int64)),)
    return out[0] if len(out) == 1 else out


def unique_consecutive(a, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive values (or slices along dim) to one (no gradient)."""
    a = as_tensor(a, "unique_consecutive")
    if dim is None:
        x = a._data.reshape(-1, 1)
    else:
        d = one_dim(dim, a.ndim, "unique_consecutive")
        x = np.moveaxis(a._data, d, 0).reshape(a.shape[d], -1)
    new = np.ones(x.shape[0], bool)
    new[1:] = (x[1:] != x[:-1]).any(axis=1)
    starts = np.nonzero(new)[0]
    cnt = np.diff(np.append(starts, x.shape[0]))
    inv = np.cumsum(new) - 1
    if dim is None:
        u, inv = a._data.reshape(-1)[starts], inv.reshape(a.shape)
    else:
        u = np.take(a._data, starts, axis=d)
    return _unique_out(u, inv, cnt, return_inverse, return_counts)


def _search_side(right, side, name):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{name}: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError(f"{name}: side='left' and right=True contradict each other")
        return side
    return "right" if right else "left"


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each value of ``input`` would be inserted to keep the innermost rows sorted."""
    seq = as_tensor(sorted_sequence, "searchsorted")
    scalar = not isinstance(input, TensorBase)
    vals = as_tensor(input, "searchsorted")
    side = _search_side(right, side, "searchsorted")
    s = seq._data
    if sorter is not None:
        sorter = as_tensor(sorter, "searchsorted")
        if sorter.shape != seq.shape:
            raise RuntimeError(
                f"searchsorted: sorter {tuple(sorter.shape)} must have the shape of "
                f"sorted_sequence {tuple(seq.shape)}"
            )
        s = np.take_along_axis(s, sorter._data, -1)
    if seq.ndim == 0:
        raise RuntimeError("searchsorted: sorted_sequence must have at least one dimension")
    if seq.ndim == 1:
        out = np.searchsorted(s, vals._data, side=side)
    else:
        if scalar or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                f"searchsorted: boundaries {tuple(seq.shape)} and input {tuple(vals.shape)} "
                "must have the same leading dimensions (all but the last)"
            )
        rows, vrows = s.reshape(-1, s.shape[-1]), vals._data.reshape(-1, vals.shape[-1])
        out = np.stack([np.searchsorted(r, v, side=side) for r, v in zip(rows, vrows)])
        out = out.reshape(vals.shape)
    return wrap(np.asarray(out).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value: i with boundaries[i-1] < x <= boundaries[i] (< with right)."""
    boundaries = as_tensor(boundaries, "bucketize")
    if boundaries.ndim != 1:
        raise RuntimeError(
            f"bucketize: boundaries must be a 1-D tensor, got shape {tuple(boundaries.shape)}"
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element occurs in ``test_elements``."""
    if not isinstance(elements, TensorBase) and not isinstance(test_elements, TensorBase):
        raise TypeError("isin: elements or test_elements must be a Tensor")
    e = as_tensor(elements, "isin")
    t = as_tensor(test_elements, "isin")
    return wrap(np.isin(e._data, t._data, invert=invert))
