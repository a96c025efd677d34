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

from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import compare as CMP
from tinytensor.ops import gather as G
from tinytensor.ops import selection as SEL
from tinytensor.ops import shape as S
from tinytensor.ops._introselect import front_of_unordered
from tinytensor.ops._util import as_tensor, one_dim, refuse_bool
from tinytensor.ops.creation import zeros_of

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


def _picked(prim, a, d, result, **attrs):
    """``(a's values at the kernel's indices along d, the indices)``: one node whose backward
    scatters ``g`` back; ``prim``'s kernel returns both."""
    values, idx = prim.compute((a,), (a._data,), attrs)
    out, indices = wrap(values), wrap(idx)
    # As in PyTorch, backward keeps the returned indices: changing them in place is an error.
    keepdim = attrs.get("keepdim", True)
    prim.record((out, None), (a,), (indices, a.shape, d, keepdim), attrs)
    return result(out, indices)


def _take(x, idx, dim, keepdim=True):
    """The values at ``idx`` along ``dim`` and the int64 indices (a picking kernel's result)."""
    values = np.take_along_axis(x, idx, dim) if x.ndim else x.copy()
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values, idx.astype(np.int64)


def _picked_backward(gs, indices, shape, d, keepdim):
    """da = zeros with g scattered in at the returned indices"""
    g = gs[0]
    if not shape:
        return (g.reshape(()),)
    if not keepdim:
        g, indices = S.unsqueeze(g, d), S.unsqueeze(indices, d)
    return (G.scatter(zeros_of(shape, g._data.dtype), d, indices, g),)


def sort(input, dim=-1, descending=False, stable=False):
    """f(a) = (a sorted along dim, where each came from);  da = g scattered to the indices"""
    a = as_tensor(input, "sort")
    d = one_dim(dim, a.ndim, "sort")
    return _picked(SORT, a, d, sort_result, dim=d, descending=descending)


def _sort_kernel(x, dim, descending):
    return _take(x, _argsort(x, dim, descending) if x.ndim else np.zeros((), np.int64), dim)


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``a`` along dim (no gradient)."""
    a = as_tensor(input, "argsort")
    d = one_dim(dim, a.ndim, "argsort")
    return ARGSORT.apply((a,), (a._data,), (), {"dim": d, "descending": descending})


def _argsort_kernel(x, dim, descending):
    if not x.ndim:
        return np.zeros((), np.int64)
    return _argsort(x, dim, descending).astype(np.int64)


SORT = Primitive("Sort", _sort_kernel, _picked_backward, multi=True)
ARGSORT = Primitive("Argsort", _argsort_kernel)


def msort(input):
    """``sort(a, 0).values``."""
    a = input
    return sort(a, 0).values


def _k_in_range(k, n, name, lo):
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not lo <= k <= n:
        raise RuntimeError(
            f"{name}(): selected number k={k!r} out of range for a dimension of size {n} "
            f"(expected {lo} <= k <= {n})"
        )


def topk(input, k, dim=-1, largest=True, sorted=True):
    """f(a) = the k largest (smallest) along dim and their indices;  da = g scattered back"""
    a = refuse_bool(input, dim, "topk", RuntimeError)  # PyTorch: no bool topk on CPU
    d = one_dim(dim, a.ndim, "topk")
    n = a.shape[d] if a.ndim else 1
    _k_in_range(k, n, "topk", 0)
    return _picked(TOPK, a, d, topk_result, k=k, dim=d, largest=largest)


def _topk_kernel(x, k, dim, largest):
    if not x.ndim:
        return _take(x, np.zeros((), np.int64), dim)
    return _take(x, np.take(_argsort(x, dim, largest), np.arange(k), axis=dim), dim)


TOPK = Primitive("Topk", _topk_kernel, _picked_backward, multi=True)


def _row_pick(a, dim, keepdim, name, result, prim, **attrs):
    """Pick one element per row along dim (``prim``'s kernel, from the sorted rows)."""
    a = as_tensor(a, name)
    d = one_dim(dim, a.ndim, name)
    if a.ndim and a.shape[d] == 0:
        raise IndexError(
            f"{name}(): cannot pick from an empty dimension {dim} of a tensor of shape "
            f"{tuple(a.shape)}; specify a dim with nonzero size"
        )
    return _picked(prim, a, d, result, dim=d, keepdim=keepdim if a.ndim else True, **attrs)


def _row_pick_kernel(position):
    """A kernel picking ``position(sorted_rows, **attrs) -> index in sorted`` of each row."""

    def kernel(x, dim, keepdim, **attrs):
        if not x.ndim:
            return _take(x, np.zeros((), np.int64), dim)
        order = _argsort(x, dim, False)
        svals = np.take_along_axis(x, order, dim)
        pos = np.expand_dims(position(np.moveaxis(svals, dim, -1), **attrs), dim)
        return _take(x, np.take_along_axis(order, pos, dim), dim, keepdim)

    kernel.__name__ = f"{position.__name__}_kernel"
    return kernel


def kthvalue(input, k, dim=-1, keepdim=False):
    """f(a) = the k-th smallest along dim and its index;  da = g scattered back"""
    a = as_tensor(input, "kthvalue")
    n = a.shape[one_dim(dim, a.ndim, "kthvalue")] if a.ndim else 1
    if n:  # an empty dim is PyTorch's IndexError, from _row_pick, whatever k is
        _k_in_range(k, n, "kthvalue", 1)
    return _row_pick(a, dim, keepdim, "kthvalue", kthvalue_result, KTHVALUE, k=k)


def _kth_pos(s, k):
    return np.full(s.shape[:-1], k - 1, dtype=np.int64)


def _median_pos(s):
    """Lower median's position in each sorted row; a row with NaN gives its first NaN."""
    nans = np.isnan(s).sum(-1) if s.dtype.kind == "f" else np.zeros(s.shape[:-1], np.int64)
    n = s.shape[-1]
    return np.where(nans > 0, n - nans, (n - 1) // 2)


def _nanmedian_pos(s):
    """Lower median of each sorted row's non-NaN values; for an all-NaN row, the NaN PyTorch's
    CPU kernel returns (a stable sort leaves such a row in order)."""
    nans = np.isnan(s).sum(-1) if s.dtype.kind == "f" else np.zeros(s.shape[:-1], np.int64)
    k = s.shape[-1] - nans
    return np.where(k == 0, front_of_unordered(s.shape[-1]), np.maximum((k - 1) // 2, 0))


KTHVALUE = Primitive("Kthvalue", _row_pick_kernel(_kth_pos), _picked_backward, multi=True)
MEDIAN_DIM = Primitive("Median", _row_pick_kernel(_median_pos), _picked_backward, multi=True)
NANMEDIAN_DIM = Primitive(
    "Nanmedian", _row_pick_kernel(_nanmedian_pos), _picked_backward, multi=True
)


def _whole_median(a, name, prim):
    """Median over all elements (no indices);  da = g shared among the elements equal to it"""
    return prim.apply((a,), (a._data,), (a, OUT))


def _whole_median_kernel(position):
    def kernel(x):
        if x.size == 0:  # NaN, cast as PyTorch's is (an integer dtype's minimum on x86)
            with np.errstate(invalid="ignore"):
                return np.array(np.nan).astype(x.dtype)
        flat = np.sort(x.reshape(-1), kind="stable")
        return np.array(flat[int(position(flat[None])[0])])

    kernel.__name__ = f"{position.__name__}_all_kernel"
    return kernel


def _evenly_backward(g, a, out):
    hit = (a == out) | (CMP.isnan(a) & CMP.isnan(out))
    mask = hit.to(g.dtype)
    return (g * mask / mask.sum(),)


MEDIAN = Primitive("Median", _whole_median_kernel(_median_pos), _evenly_backward)
NANMEDIAN = Primitive("Nanmedian", _whole_median_kernel(_nanmedian_pos), _evenly_backward)


def median(input, dim=None, keepdim=False):
    """``median(a)``: lower median of all elements; ``median(a, dim)`` -> (values, indices)."""
    a = refuse_bool(input, dim, "median", NotImplementedError)
    if dim is None:
        return _whole_median(a, "median", MEDIAN)
    return _row_pick(a, dim, keepdim, "median", median_result, MEDIAN_DIM)


def nanmedian(input, dim=None, keepdim=False):
    """``median`` ignoring NaNs (NaN only where a row is all NaN)."""
    a = refuse_bool(input, dim, "nanmedian", NotImplementedError)
    if dim is None:
        return _whole_median(a, "nanmedian", NANMEDIAN)
    return _row_pick(a, dim, keepdim, "nanmedian", nanmedian_result, NANMEDIAN_DIM)


def mode(input, dim=-1, keepdim=False):
    """f(a) = the most frequent value along dim (smallest of ties), index of its last
    occurrence;  da = g scattered back"""
    a = as_tensor(input, "mode")
    d = one_dim(dim, a.ndim, "mode")
    if a.ndim and a.shape[d] == 0:
        raise IndexError(f"mode(): cannot pick from an empty dimension {dim} of {tuple(a.shape)}")
    return _picked(MODE, a, d, mode_result, dim=d, keepdim=keepdim if a.ndim else True)


def _mode_kernel(x, dim, keepdim):
    if not x.ndim:
        return _take(x, np.zeros((), np.int64), dim)
    m = np.moveaxis(x, dim, -1)
    rows = m.reshape(-1, m.shape[-1])
    idx = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        u, c = np.unique(row, return_counts=True)
        hits = np.nonzero(row == u[np.argmax(c)])[0]
        idx[r] = hits[-1] if hits.size else np.nonzero(np.isnan(row))[0][-1]
    return _take(x, np.expand_dims(idx.reshape(m.shape[:-1]), dim), dim, keepdim)


MODE = Primitive("Mode", _mode_kernel, _picked_backward, multi=True)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """f(a) = the q-th quantiles along dim, interpolated between the sorted values around them;
    da flows through ``sort`` and ``gather`` (so it is differentiable twice)"""
    return _quantile(input, q, dim, keepdim, interpolation, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring NaNs (NaN only where a row is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile")


def _quantile(a, q, dim, keepdim, interpolation, name):
    a = as_tensor(a, name)
    if a._data.dtype.kind != "f":
        raise RuntimeError(
            f"{name}() input tensor must be either float or double dtype, got {a.dtype}; "
            "convert it with .float() or .double()"
        )
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{name}() interpolation must be one of {', '.join(_INTERPOLATIONS)}, got "
            f"{interpolation!r}"
        )
    if isinstance(q, TensorBase) and q._data.dtype != a._data.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor ({a.dtype})")
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
    sv = S.movedim(sort(x, d).values, d, -1)  # (..., n), NaNs last
    attrs = {"interpolation": interpolation, "skip_nan": name == "nanquantile"}
    q_arg = q._data if isinstance(q, TensorBase) else q
    lo, hi, w, blank = (
        wrap(v) for v in QUANTILE_POSITIONS.compute((sv, q), (sv._data, q_arg), attrs)
    )
    v_lo, v_hi = G.gather(sv, -1, lo), G.gather(sv, -1, hi)
    out = SEL.where(blank, np.nan, v_lo + (v_hi - v_lo) * w)
    out = S.movedim(out, -1, 0)  # (Q, ...)
    if keepdim:
        at = 1 + (d if dim is not None else 0)
        if dim is None:
            out = S.reshape(out, (out.shape[0],) + (1,) * a.ndim)
        elif a.ndim:
            out = S.unsqueeze(out, at)
    return out[0] if qs.ndim == 0 else out


def _quantile_positions_kernel(sv, q, interpolation, skip_nan):
    """For sorted rows ``sv`` (..., n) and quantiles ``q``: the int64 positions below and
    above each quantile (..., Q), the weight of the upper one, and where the result is NaN."""
    n = sv.shape[-1]
    nans = np.isnan(sv).sum(-1)
    k = n - nans if skip_nan else np.full(nans.shape, n)
    rank = np.asarray(q, dtype=np.float64).reshape(-1) * np.maximum(k - 1, 0)[..., None]
    lo, hi = np.floor(rank), np.ceil(rank)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = np.round(rank)
    w = rank - lo if interpolation == "linear" else np.where(hi > lo, 0.5, 0.0)
    blank = np.broadcast_to(((k == 0) if skip_nan else (nans > 0))[..., None], rank.shape)
    return lo.astype(np.int64), hi.astype(np.int64), w.astype(sv.dtype), blank.copy()


QUANTILE_POSITIONS = Primitive("QuantilePositions", _quantile_positions_kernel, multi=True)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), and if asked the inverse indices and counts (no gradient)."""
    a = as_tensor(input, "unique")
    d = None if dim is None else one_dim(dim, a.ndim, "unique")
    u, inv, cnt = UNIQUE.compute((a,), (a._data,), {"dim": d})
    return _unique_out(u, inv, cnt, return_inverse, return_counts)


def _unique_kernel(x, dim):
    if dim is None:
        u, inv, cnt = np.unique(x, return_inverse=True, return_counts=True, equal_nan=False)
        return u, inv.reshape(x.shape).astype(np.int64), cnt.astype(np.int64)
    u, inv, cnt = np.unique(x, return_inverse=True, return_counts=True, axis=dim)
    return u, inv.reshape(-1).astype(np.int64), cnt.astype(np.int64)


def _unique_out(u, inv, cnt, return_inverse, return_counts):
    out = (wrap(u),)
    if return_inverse:
        out += (wrap(inv),)
    if return_counts:
        out += (wrap(cnt),)
    return out[0] if len(out) == 1 else out


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive values (or slices along dim) to one (no gradient)."""
    a = as_tensor(input, "unique_consecutive")
    d = None if dim is None else one_dim(dim, a.ndim, "unique_consecutive")
    u, inv, cnt = UNIQUE_CONSECUTIVE.compute((a,), (a._data,), {"dim": d})
    return _unique_out(u, inv, cnt, return_inverse, return_counts)


def _unique_consecutive_kernel(a, dim):
    if dim is None:
        x = a.reshape(-1, 1)
    else:
        x = np.moveaxis(a, dim, 0).reshape(a.shape[dim], -1)
    new = np.ones(x.shape[0], bool)
    new[1:] = (x[1:] != x[:-1]).any(axis=1)
    starts = np.nonzero(new)[0]
    cnt = np.diff(np.append(starts, x.shape[0])).astype(np.int64)
    inv = (np.cumsum(new) - 1).astype(np.int64)
    if dim is None:
        return a.reshape(-1)[starts], inv.reshape(a.shape), cnt
    return np.take(a, starts, axis=dim), inv, cnt


# Their output's shape depends on the values (a compiled program breaks the graph there).
UNIQUE = Primitive("Unique", _unique_kernel, multi=True, data_dependent=True)
UNIQUE_CONSECUTIVE = Primitive(
    "UniqueConsecutive", _unique_consecutive_kernel, multi=True, data_dependent=True
)


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
    if sorter is not None:
        sorter = as_tensor(sorter, "searchsorted")
        if sorter.shape != seq.shape:
            raise RuntimeError(
                f"searchsorted: sorter {tuple(sorter.shape)} must have the shape of "
                f"sorted_sequence {tuple(seq.shape)}"
            )
    if seq.ndim == 0:
        raise RuntimeError("searchsorted: sorted_sequence must have at least one dimension")
    if seq.ndim > 1 and (scalar or vals.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(
            f"searchsorted: boundaries {tuple(seq.shape)} and input {tuple(vals.shape)} "
            "must have the same leading dimensions (all but the last)"
        )
    args = (seq._data, vals._data, None if sorter is None else sorter._data)
    dt = np.dtype(np.int32 if out_int32 else np.int64)
    return SEARCHSORTED.apply((seq, vals), args, (), {"side": side, "dtype": dt})


def _searchsorted_kernel(s, v, sorter, side, dtype):
    if sorter is not None:
        s = np.take_along_axis(s, sorter, -1)
    if s.ndim == 1:
        return np.asarray(np.searchsorted(s, v, side=side)).astype(dtype)
    rows, vrows = s.reshape(-1, s.shape[-1]), v.reshape(-1, v.shape[-1])
    out = np.stack([np.searchsorted(r, vr, side=side) for r, vr in zip(rows, vrows)])
    return out.reshape(v.shape).astype(dtype)


SEARCHSORTED = Primitive("Searchsorted", _searchsorted_kernel)


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
    return ISIN.apply((e, t), (e._data, t._data), (), {"invert": invert})


def _isin_kernel(e, t, invert):
    return np.isin(e, t, invert=invert)


ISIN = Primitive("Isin", _isin_kernel)
