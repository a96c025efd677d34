"""Op-table rows for the sort family (tinytensor/ops/sort.py): sort, argsort, msort, topk,
kthvalue, median and nanmedian (whole and along a dim), mode, quantile, nanquantile.

Differentiable rows draw values without ties (``distinct``): the gradient of a selection is
then defined and the numerical derivative stable. Ops that return indices return them too, so
the in-place table changes them after the forward pass (a column ``[sort-out1]``).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, distinct, shapes
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


def _np_lower_median(x):
    return np.asarray(np.sort(x.reshape(-1))[(x.size - 1) // 2])


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
]
