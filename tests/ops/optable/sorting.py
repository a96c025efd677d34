"""Op-table rows for sorting/selection (tinytensor/ops/sorting.py) and cumulative/scatter ops
(tinytensor/ops/cumulative.py).

Differentiable rows draw values without ties (``distinct``): the gradient of a selection is
then defined and the numerical derivative stable. Ops that return indices return them too, so
the in-place table changes them after the forward pass (a column ``[sort-out1]``).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, distinct, floats, shapes, tensor
from ._torch import torch_call

I64 = np.int64


@st.composite
def _with_dim(draw, min_dims=1, value=distinct, **extra):
    """A tensor of at least ``min_dims`` dims and an int ``dim``; ``extra`` draws more kwargs
    as ``fn(draw, shape, dim)``."""
    shape = draw(shapes(min_dims=min_dims))
    x = draw(value(shape))
    d = draw(st.integers(-len(shape), len(shape) - 1)) if shape else 0
    kw = {"dim": d}
    kw.update({k: f(draw, shape, d) for k, f in extra.items()})
    return Sample((x,), kw)


def _desc(draw, shape, d):
    return draw(st.booleans())


def _keepdim(draw, shape, d):
    return draw(st.booleans())


def _np_sort(x, dim=-1, descending=False):
    idx = np.argsort(-x if descending else x, axis=dim, kind="stable")
    return np.take_along_axis(x, idx, dim), idx.astype(I64)


def _np_topk(x, k, dim=-1, largest=True):
    v, i = _np_sort(x, dim, largest)
    return np.take(v, np.arange(k), dim), np.take(i, np.arange(k), dim)


def _np_pick(x, pos, dim, keepdim):
    idx = np.expand_dims(np.take(np.argsort(x, axis=dim, kind="stable"), pos, dim), dim)
    v, i = np.take_along_axis(x, idx, dim), idx.astype(I64)
    return (v, i) if keepdim else (v.squeeze(dim), i.squeeze(dim))


def _k(lo):
    return lambda draw, shape, d: draw(st.integers(lo, shape[d]))


def _np_quantile(x, q, dim=None, keepdim=False, interpolation="linear", fn=np.quantile):
    q = np.asarray(q)
    return np.asarray(fn(x, q, axis=dim, keepdims=keepdim, method=interpolation))


@st.composite
def _quantile_inputs(draw, nan=False, min_side=1):
    shape = draw(shapes(min_dims=1, min_side=min_side))
    x = draw(distinct(shape))
    if nan and x.numel() > 1:
        arr = x.numpy().copy()
        arr.reshape(-1)[draw(st.integers(0, arr.size - 1))] = np.nan
        x = tt.tensor(arr)
    q = draw(st.sampled_from([0.0, 0.25, 0.3, 0.5, 0.9, 1.0]))
    if draw(st.booleans()):
        q = tt.tensor(
            np.array(draw(st.lists(st.sampled_from([0.1, 0.5, 0.75]), min_size=1, max_size=3)))
        )
    dim = draw(st.none() | st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    interp = draw(st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]))
    kw = {"q": q, "dim": dim, "keepdim": draw(st.booleans()), "interpolation": interp}
    return Sample((x,), kw)


def _np_quantile_row(fn):
    def ref(x, q, dim=None, keepdim=False, interpolation="linear"):
        return _np_quantile(x, q, dim, keepdim, interpolation, fn)

    return ref


@st.composite
def _mask_inputs(draw, source=False):
    shape = draw(shapes(min_dims=1))
    x = draw(tensor(shape))
    mask = draw(tensor(shape, dtype=tt.bool))
    args = (x, mask)
    if source:
        n = int(mask.numpy().sum()) + draw(st.integers(0, 2))
        args += (draw(tensor((n,))),)
    return Sample(args)


def _np_masked_scatter(x, mask, src):
    out = x.copy()
    out[mask] = src[: int(mask.sum())]
    return out


def _ints(shape, lo=0, hi=4):
    return tensor(shape, st.integers(lo, hi), dtype=tt.int64)


@st.composite
def _scatter_reduce_inputs(draw, reduce):
    shape = draw(shapes(min_dims=1, max_dims=2))
    d = draw(st.integers(0, len(shape) - 1))
    ishape = tuple(
        draw(st.integers(1, s)) if i != d else draw(st.integers(1, 4)) for i, s in enumerate(shape)
    )
    index = draw(_ints(ishape, 0, shape[d] - 1))
    elements = floats(0.3, 2.0) if reduce == "prod" else None
    if reduce in ("amax", "amin"):
        both = draw(distinct((int(np.prod(shape)) + int(np.prod(ishape)),)))
        x = tt.tensor(both.numpy()[: int(np.prod(shape))].reshape(shape))
        src = tt.tensor(both.numpy()[int(np.prod(shape)) :].reshape(ishape))
    else:
        x, src = draw(tensor(shape, elements)), draw(tensor(ishape, elements))
    kw = {"reduce": reduce, "include_self": draw(st.booleans())}
    return Sample((x, src), {"dim": d, "index": index, **kw})


def _np_scatter_reduce(x, src, dim, index, reduce, include_self=True):
    out = x.copy()
    groups = {}
    for pos in np.ndindex(index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        groups.setdefault(tuple(tgt), []).append(src[pos])
    fns = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for tgt, vals in groups.items():
        vals = ([x[tgt]] if include_self else []) + vals
        out[tgt] = fns[reduce](vals)
    return out


def _tt_scatter_reduce(x, src, dim, index, reduce, include_self=True):
    return tt.scatter_reduce(x, dim, index, src, reduce, include_self=include_self)


def _torch_scatter_reduce(x, src, dim, index, reduce, include_self=True):
    import torch

    return torch.scatter_reduce(x, dim, index, src, reduce, include_self=include_self)


@st.composite
def _index_inputs(draw, copy=False):
    shape = draw(shapes(min_dims=1))
    d = draw(st.integers(0, len(shape) - 1))
    idx = draw(st.lists(st.integers(0, shape[d] - 1), max_size=shape[d], unique=copy))
    x = draw(tensor(shape))
    if copy:
        src = draw(tensor(shape[:d] + (len(idx),) + shape[d + 1 :]))
        return Sample((x, src), {"dim": d, "index": tt.tensor(idx, dtype=tt.int64)})
    return Sample((x,), {"dim": d, "index": tt.tensor(idx, dtype=tt.int64), "value": 1.5})


def _np_index_fill(x, dim, index, value):
    out = x.copy()
    out[(slice(None),) * dim + (index,)] = value
    return out


def _np_index_copy(x, src, dim, index):
    out = x.copy()
    out[(slice(None),) * dim + (index,)] = src
    return out


@st.composite
def _put_inputs(draw):
    shape = draw(shapes(min_dims=0))
    n = int(np.prod(shape))
    acc = draw(st.booleans())
    idx = draw(st.lists(st.integers(-n, n - 1), max_size=4, unique_by=lambda i: i % n))
    if acc:
        idx = draw(st.lists(st.integers(-n, n - 1), max_size=4))
    x, src = draw(tensor(shape)), draw(tensor((len(idx),)))
    return Sample((x, src), {"index": tt.tensor(idx, dtype=tt.int64), "accumulate": acc})


def _np_put(x, src, index, accumulate=False):
    flat = x.copy().reshape(-1)
    if accumulate:
        np.add.at(flat, index, src)
    else:
        flat[index] = src
    return flat.reshape(x.shape)


@st.composite
def _take_along_inputs(draw):
    shape = draw(shapes(min_dims=1))
    x = draw(tensor(shape))
    if draw(st.booleans()):
        return Sample((x,), {"indices": draw(_ints((3,), 0, x.numel() - 1)), "dim": None})
    d = draw(st.integers(0, len(shape) - 1))
    ishape = tuple(draw(st.sampled_from([1, s])) if i != d else 3 for i, s in enumerate(shape))
    return Sample((x,), {"indices": draw(_ints(ishape, 0, shape[d] - 1)), "dim": d})


def _np_take_along(x, indices, dim=None):
    if dim is None:
        return x.reshape(-1)[indices.reshape(-1)]
    shape = list(
        np.broadcast_shapes(x.shape, indices.shape[:dim] + (1,) + indices.shape[dim + 1 :])
    )
    sx, si = list(shape), list(shape)
    sx[dim], si[dim] = x.shape[dim], indices.shape[dim]
    return np.take_along_axis(np.broadcast_to(x, sx), np.broadcast_to(indices, si), dim)


def _np_cum_extreme(fn):
    def ref(x, dim):
        v = fn.accumulate(x, axis=dim)
        hit = np.moveaxis(x == v, dim, -1)
        pos = np.where(hit, np.arange(x.shape[dim]), -1)
        idx = np.maximum.accumulate(pos, axis=-1)
        return v, np.moveaxis(idx, -1, dim).astype(I64)

    return ref


def _np_lcse(x, dim):
    return np.logaddexp.accumulate(x, axis=dim)


def _np_diff(x, n=1, dim=-1):
    return np.diff(x, n, axis=dim)


def _np_trapezoid(x, dim=-1):
    return np.asarray(np.trapezoid(x, axis=dim))


def _np_cumtrap(x, dim=-1):
    m = (np.take(x, range(1, x.shape[dim]), dim) + np.take(x, range(x.shape[dim] - 1), dim)) / 2
    return np.cumsum(m, axis=dim)


def _dim_only(min_dims=1, value=None, **extra):
    return _with_dim(min_dims, value or (lambda s: tensor(s)), **extra)


def _n(draw, shape, d):
    return draw(st.integers(0, 2))


def _whole(fn):
    return lambda x: np.asarray(fn(x))


def _np_lower_median(x):
    return np.asarray(np.sort(x.reshape(-1))[(x.size - 1) // 2])


def _values_of(out):
    return out[0]


CASES = [
    OpCase(
        "sort",
        lambda x, dim, descending: tt.sort(x, dim, descending),
        _np_sort,
        lambda x, dim, descending: __import__("torch").sort(x, dim, descending),
        _with_dim(descending=_desc),
    ),
    OpCase(
        "argsort",
        lambda x, dim, descending: x.argsort(dim, descending),
        lambda x, dim, descending: _np_sort(x, dim, descending)[1],
        torch_call("argsort"),
        _with_dim(descending=_desc),
        differentiable=False,
    ),
    OpCase(
        "msort",
        tt.msort,
        lambda x: np.sort(x, 0),
        torch_call("msort"),
        _with_dim().map(lambda s: Sample(s.args)),
    ),
    OpCase(
        "topk",
        lambda x, dim, k, largest: tt.topk(x, k, dim, largest),
        lambda x, dim, k, largest: _np_topk(x, k, dim, largest),
        lambda x, dim, k, largest: __import__("torch").topk(x, k, dim, largest),
        _with_dim(k=_k(0), largest=_desc),
    ),
    OpCase(
        "kthvalue",
        lambda x, dim, k, keepdim: x.kthvalue(k, dim, keepdim),
        lambda x, dim, k, keepdim: _np_pick(x, k - 1, dim, keepdim),
        lambda x, dim, k, keepdim: x.kthvalue(k, dim, keepdim),
        _with_dim(k=_k(1), keepdim=_keepdim),
    ),
    OpCase(
        "median",
        lambda x: tt.median(x),
        _np_lower_median,
        torch_call("median"),
        _with_dim(min_dims=0).map(lambda s: Sample(s.args)),
    ),
    OpCase(
        "median_dim",
        lambda x, dim, keepdim: tt.median(x, dim, keepdim),
        lambda x, dim, keepdim: _np_pick(x, (x.shape[dim] - 1) // 2, dim, keepdim),
        lambda x, dim, keepdim: __import__("torch").median(x, dim, keepdim),
        _with_dim(keepdim=_keepdim),
    ),
    OpCase(
        "nanmedian",
        lambda x: x.nanmedian(),
        _np_lower_median,
        torch_call("nanmedian"),
        _with_dim(min_dims=0).map(lambda s: Sample(s.args)),
    ),
    OpCase(
        "nanmedian_dim",
        lambda x, dim, keepdim: tt.nanmedian(x, dim, keepdim),
        lambda x, dim, keepdim: _np_pick(x, (x.shape[dim] - 1) // 2, dim, keepdim),
        lambda x, dim, keepdim: __import__("torch").nanmedian(x, dim, keepdim),
        _with_dim(keepdim=_keepdim),
    ),
    OpCase(
        # all values distinct: the mode is the smallest value, at its only position
        "mode",
        lambda x, dim, keepdim: tt.mode(x, dim, keepdim),
        lambda x, dim, keepdim: _np_pick(x, 0, dim, keepdim),
        lambda x, dim, keepdim: __import__("torch").mode(x, dim, keepdim),
        _with_dim(keepdim=_keepdim),
    ),
    OpCase(
        "quantile",
        tt.quantile,
        _np_quantile_row(np.quantile),
        torch_call("quantile"),
        _quantile_inputs(),
    ),
    OpCase(
        "nanquantile",
        tt.nanquantile,
        _np_quantile_row(np.nanquantile),
        torch_call("nanquantile"),
        _quantile_inputs(),
    ),
    OpCase(
        "nanquantile_nan",
        tt.nanquantile,
        _np_quantile_row(np.nanquantile),
        torch_call("nanquantile"),
        _quantile_inputs(nan=True),
        differentiable=False,
    ),
    OpCase(
        "masked_select",
        tt.masked_select,
        lambda x, m: x[m],
        torch_call("masked_select"),
        _mask_inputs(),
    ),
    OpCase(
        "masked_scatter",
        tt.masked_scatter,
        _np_masked_scatter,
        lambda x, m, s: x.masked_scatter(m, s),
        _mask_inputs(source=True),
    ),
    OpCase(
        "aminmax",
        lambda x, dim, keepdim: tt.aminmax(x, dim=dim, keepdim=keepdim),
        lambda x, dim, keepdim: (
            np.min(x, dim, keepdims=keepdim),
            np.max(x, dim, keepdims=keepdim),
        ),
        lambda x, dim, keepdim: __import__("torch").aminmax(x, dim=dim, keepdim=keepdim),
        _with_dim(keepdim=_keepdim),
    ),
    OpCase(
        "nansum",
        lambda x, dim, keepdim: tt.nansum(x, dim, keepdim),
        lambda x, dim, keepdim: np.asarray(np.nansum(x, dim, keepdims=keepdim)),
        lambda x, dim, keepdim: __import__("torch").nansum(x, dim, keepdim),
        _quantile_inputs(nan=True).map(
            lambda s: Sample(s.args, {"dim": s.kwargs["dim"], "keepdim": s.kwargs["keepdim"]})
        ),
    ),
    OpCase(
        "nanmean",
        lambda x, dim, keepdim: x.nanmean(dim, keepdim),
        lambda x, dim, keepdim: np.asarray(np.nanmean(x, dim, keepdims=keepdim)),
        lambda x, dim, keepdim: __import__("torch").nanmean(x, dim, keepdim),
        _quantile_inputs(nan=True, min_side=2).map(
            lambda s: Sample(s.args, {"dim": s.kwargs["dim"], "keepdim": s.kwargs["keepdim"]})
        ),
    ),
    # --- cumulative ---------------------------------------------------------------------------
    OpCase(
        "cumprod",
        tt.cumprod,
        lambda x, dim: np.cumprod(x, dim),
        torch_call("cumprod"),
        _dim_only(value=lambda s: tensor(s, floats(-2.0, 2.0, avoid=(0.0,), margin=0.05))),
    ),
    OpCase("cummax", tt.cummax, _np_cum_extreme(np.maximum), torch_call("cummax"), _with_dim()),
    OpCase(
        "cummin",
        lambda x, dim: x.cummin(dim),
        _np_cum_extreme(np.minimum),
        torch_call("cummin"),
        _with_dim(),
    ),
    OpCase("logcumsumexp", tt.logcumsumexp, _np_lcse, torch_call("logcumsumexp"), _dim_only()),
    *[
        OpCase(
            f"scatter_reduce_{r}",
            _tt_scatter_reduce,
            _np_scatter_reduce,
            _torch_scatter_reduce,
            _scatter_reduce_inputs(r),
            double_differentiable=r != "prod",
        )
        for r in ("sum", "prod", "mean", "amax", "amin")
    ],
    OpCase("index_fill", tt.index_fill, _np_index_fill, torch_call("index_fill"), _index_inputs()),
    OpCase(
        "index_copy",
        lambda x, s, dim, index: tt.index_copy(x, dim, index, s),
        _np_index_copy,
        lambda x, s, dim, index: x.index_copy(dim, index, s),
        _index_inputs(copy=True),
    ),
    OpCase(
        "put",
        lambda x, s, index, accumulate: tt.put(x, index, s, accumulate),
        _np_put,
        lambda x, s, index, accumulate: x.put(index, s, accumulate),
        _put_inputs(),
    ),
    OpCase(
        "take_along_dim",
        tt.take_along_dim,
        _np_take_along,
        torch_call("take_along_dim"),
        _take_along_inputs(),
    ),
    OpCase(
        "diff",
        lambda x, dim, n: tt.diff(x, n, dim),
        lambda x, dim, n: _np_diff(x, n, dim),
        lambda x, dim, n: __import__("torch").diff(x, n, dim),
        _dim_only(n=_n),
    ),
    OpCase(
        "trapezoid",
        lambda x, dim: tt.trapezoid(x, dim=dim),
        _np_trapezoid,
        lambda x, dim: __import__("torch").trapezoid(x, dim=dim),
        _dim_only(),
    ),
    OpCase(
        "cumulative_trapezoid",
        lambda x, dim: tt.cumulative_trapezoid(x, dim=dim),
        _np_cumtrap,
        lambda x, dim: __import__("torch").cumulative_trapezoid(x, dim=dim),
        _dim_only(),
    ),
]
