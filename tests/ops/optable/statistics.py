"""Op-table rows for statistics (tinytensor/ops/statistics.py): aminmax, nansum, nanmean,
cov, corrcoef. The ops without a gradient (bincount, histc, histogram...) are checked in
tests/ops/test_statistics.py.

Differentiable rows draw values without ties (``distinct``): the gradient of a selection is
then defined and the numerical derivative stable.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, distinct, floats, shapes, tensor
from ._torch import torch_call


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


def _keepdim(draw, shape, d):
    return draw(st.booleans())


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


@st.composite
def _cov_inputs(draw):
    shape = draw(st.sampled_from([(5,), (2, 5), (3, 4)]))
    n = shape[-1]
    kw = {"correction": draw(st.integers(0, 2))}
    if draw(st.booleans()):
        kw["fweights"] = tt.tensor(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    if draw(st.booleans()):
        kw["aweights"] = draw(tensor((n,), floats(0.5, 2.0)))
    return Sample((draw(tensor(shape)),), kw)


def _np_cov(x, correction=1, fweights=None, aweights=None):
    return np.cov(x, ddof=correction, fweights=fweights, aweights=aweights)


@st.composite
def _corrcoef_inputs(draw):
    rows = draw(st.integers(1, 3))
    return Sample((draw(distinct((rows, 4))),))


CASES = [
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
    OpCase("cov", tt.cov, _np_cov, torch_call("cov"), _cov_inputs()),
    OpCase("corrcoef", tt.corrcoef, np.corrcoef, torch_call("corrcoef"), _corrcoef_inputs()),
]
