"""Op-table rows for the running ops (tinytensor/ops/scan.py): cumprod, cummax, cummin,
logcumsumexp, diff, trapezoid, cumulative_trapezoid, gradient (cumsum's row is in
reduce.py).

Differentiable rows draw values without ties (``distinct``): the gradient of a selection is
then defined and the numerical derivative stable.
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


@st.composite
def _gradient_inputs(draw):
    shape = draw(shapes(min_dims=1, max_dims=2, min_side=3, max_side=5))
    edge_order = draw(st.integers(1, 2))
    kind = draw(st.sampled_from(["default", "scalar", "list", "coords"]))
    kw = {"edge_order": edge_order}
    if kind == "scalar":
        kw["spacing"] = draw(st.sampled_from([0.5, 2.0]))
    elif kind == "list":
        kw["spacing"] = [draw(st.sampled_from([0.5, 1.5])) for _ in shape]
    elif kind == "coords":
        d = draw(st.integers(0, len(shape) - 1))
        steps = draw(tensor((shape[d],), floats(0.3, 1.5))).numpy()
        kw["spacing"] = [tt.tensor(np.cumsum(steps))]
        kw["dim"] = d
    return Sample((draw(tensor(shape)),), kw)


def _np_gradient(x, spacing=1, dim=None, edge_order=1):
    axes = tuple(range(x.ndim)) if dim is None else (dim,)
    spaces = [spacing] * len(axes) if np.isscalar(spacing) else [np.asarray(s) for s in spacing]
    out = np.gradient(x, *spaces, axis=axes, edge_order=edge_order)
    return tuple(out) if isinstance(out, (list, tuple)) else (out,)


CASES = [
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
    OpCase("gradient", tt.gradient, _np_gradient, torch_call("gradient"), _gradient_inputs()),
]
