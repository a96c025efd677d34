"""Op-table rows for the views (tinytensor/ops/shape.py): reshape, view, flatten, unflatten,
squeeze, unsqueeze, transpose, permute, T, mT, expand, broadcast_to, narrow, movedim, moveaxis,
select; and the copies clone and narrow_copy. The helpers ``_inputs`` and ``_a_dim`` are shared
with join.py and rearrange.py."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import strategies as tst

from ._base import OpCase, Sample, shapes, tensor
from ._torch import torch_call


def _inputs(min_dims=0, max_dims=3, min_side=1, **draw_kwargs):
    """A tensor plus kwargs, each kwarg drawn by ``fn(draw, shape)``."""

    @st.composite
    def draw_sample(draw):
        shape = draw(shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side))
        x = draw(tensor(shape))
        return Sample((x,), {k: f(draw, shape) for k, f in draw_kwargs.items()})

    return draw_sample()


def _a_dim(draw, shape, extra=0):
    n = max(len(shape) + extra, 1)
    return draw(st.integers(-n, n - 1))


# --- reshape family ------------------------------------------------------------------------------


def _new_shape(draw, shape):
    """The same sizes in another order, perhaps with one -1 and some extra 1s."""
    sizes = list(draw(st.permutations(list(shape))))
    sizes += [1] * draw(st.integers(0, 1))
    if sizes and draw(st.booleans()):
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    return tuple(sizes)


def _flatten_dims(draw, shape):
    n = max(len(shape), 1)
    s = draw(st.integers(0, n - 1))
    e = draw(st.integers(s, n - 1))
    return (s - n if draw(st.booleans()) else s), (e - n if draw(st.booleans()) else e)


def _np_flatten(x, dims):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = (d % x.ndim for d in dims)
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1 :])


def _unflatten_args(draw, shape):
    d = _a_dim(draw, shape)
    n = shape[d]
    sizes = draw(st.sampled_from([(n,), (1, n), (n, 1), (-1,), (-1, 1), (1, -1, 1)]))
    return d, sizes


def _np_unflatten(x, args):
    d, sizes = args
    d %= x.ndim
    return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1 :])


def _squeeze_dim(draw, shape):
    return draw(tst.dims(len(shape)))


def _np_squeeze(x, dim):
    axes = range(x.ndim) if dim is None else (dim if isinstance(dim, tuple) else (dim,))
    axes = {a % max(x.ndim, 1) for a in axes}
    return x.reshape(tuple(s for i, s in enumerate(x.shape) if not (i in axes and s == 1)))


# --- axes ----------------------------------------------------------------------------------------


def _two_dims(draw, shape):
    return _a_dim(draw, shape), _a_dim(draw, shape)


def _perm(draw, shape):
    return tuple(draw(st.permutations(range(len(shape)))))


def _expand_to(draw, shape):
    """Sizes ``shape`` broadcasts to, with some -1 entries for dims that keep their size."""
    other = draw(tst.broadcastable_shapes(shape, max_dims=len(shape) + 2))
    full = np.broadcast_shapes(shape, other)
    lead = len(full) - len(shape)
    return tuple(
        -1 if i >= lead and full[i] == shape[i - lead] and draw(st.booleans()) else full[i]
        for i in range(len(full))
    )


def _broadcast_target(draw, shape):
    other = draw(tst.broadcastable_shapes(shape, max_dims=len(shape) + 2))
    return tuple(np.broadcast_shapes(shape, other))


def _np_expand(x, sizes):
    lead = len(sizes) - x.ndim
    full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return np.broadcast_to(x, full).copy()


def _narrow_args(draw, shape):
    d = _a_dim(draw, shape)
    start = draw(st.integers(0, shape[d] - 1))
    return d, start, draw(st.integers(0, shape[d] - start))


def _np_narrow(x, args):
    d, start, length = args
    return x[(slice(None),) * (d % x.ndim) + (slice(start, start + length),)]


@st.composite
def _one(draw, min_dims=0, max_dims=3, **extra):
    """A tensor plus kwargs drawn by ``fn(draw, shape)``."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    return Sample((draw(tensor(shape)),), {k: f(draw, shape) for k, f in extra.items()})


def _dim(draw, shape):
    return draw(st.integers(-len(shape), len(shape) - 1))


@st.composite
def _select_inputs(draw):
    shape = draw(shapes(min_dims=1))
    d = draw(st.integers(0, len(shape) - 1))
    i = draw(st.integers(-shape[d], shape[d] - 1))
    return Sample((draw(tensor(shape)),), {"dim": d, "index": i})


@st.composite
def _narrow_inputs(draw):
    shape = draw(shapes(min_dims=1))
    d = draw(st.integers(0, len(shape) - 1))
    start = draw(st.integers(0, shape[d]))
    length = draw(st.integers(0, shape[d] - start))
    return Sample((draw(tensor(shape)),), {"dim": d, "start": start, "length": length})


CASES = [
    OpCase(
        "reshape",
        lambda x, shape: x.reshape(shape),
        lambda x, shape: x.reshape(shape),
        lambda x, shape: x.reshape(shape),
        _inputs(shape=_new_shape),
    ),
    OpCase(
        "view",
        lambda x, shape: x.view(*shape) if shape else x.view(shape),
        lambda x, shape: x.reshape(shape),
        lambda x, shape: x.view(shape),
        _inputs(shape=_new_shape),
    ),
    OpCase(
        "flatten",
        lambda x, dims: x.flatten(*dims),
        _np_flatten,
        lambda x, dims: x.flatten(*dims),
        _inputs(dims=_flatten_dims),
    ),
    OpCase(
        "unflatten",
        lambda x, args: tt.unflatten(x, *args),
        _np_unflatten,
        lambda x, args: x.unflatten(*args),
        _inputs(min_dims=1, args=_unflatten_args),
    ),
    OpCase(
        "squeeze",
        lambda x, dim: x.squeeze(dim) if dim is not None else x.squeeze(),
        _np_squeeze,
        lambda x, dim: x.squeeze(dim) if dim is not None else x.squeeze(),
        _inputs(dim=_squeeze_dim),
    ),
    OpCase(
        "unsqueeze",
        tt.unsqueeze,
        lambda x, dim: np.expand_dims(x, dim),
        lambda x, dim: x.unsqueeze(dim),
        _inputs(dim=lambda draw, shape: _a_dim(draw, shape, extra=1)),
    ),
    OpCase(
        "transpose",
        lambda x, dims: x.transpose(*dims),
        lambda x, dims: np.swapaxes(x, *dims),
        lambda x, dims: x.transpose(*dims),
        _inputs(min_dims=1, dims=_two_dims),
    ),
    OpCase(
        "permute",
        lambda x, dims: x.permute(*dims),
        lambda x, dims: np.transpose(x, dims),
        lambda x, dims: x.permute(dims),
        _inputs(dims=_perm),
    ),
    # 2-D only: PyTorch deprecates .T on other ranks
    OpCase("T", lambda x: x.T, lambda x: x.T, lambda x: x.T, _inputs(min_dims=2, max_dims=2)),
    OpCase(
        "mT",
        lambda x: x.mT,
        lambda x: np.swapaxes(x, -1, -2),
        lambda x: x.mT,
        _inputs(min_dims=2),
    ),
    OpCase(
        "expand",
        lambda x, sizes: x.expand(*sizes),
        _np_expand,
        lambda x, sizes: x.expand(sizes),
        _inputs(sizes=_expand_to),
    ),
    OpCase(
        "broadcast_to",
        tt.broadcast_to,  # called broadcast_to(x, size=...): PyTorch's parser's name
        lambda x, size: np.broadcast_to(x, size).copy(),
        lambda x, size: __import__("torch").broadcast_to(x, size=size),
        _inputs(size=_broadcast_target),
    ),
    OpCase("clone", tt.clone, lambda x: x.copy(), lambda x: x.clone(), _inputs()),
    OpCase(
        "narrow",
        lambda x, args: tt.narrow(x, *args),
        _np_narrow,
        lambda x, args: x.narrow(*args),
        _inputs(min_dims=1, args=_narrow_args),
    ),
    OpCase(
        "movedim",
        lambda x, dims: tt.movedim(x, *dims),
        lambda x, dims: np.moveaxis(x, *dims),
        lambda x, dims: x.movedim(*dims),
        _inputs(min_dims=1, dims=_two_dims),
    ),
    OpCase(
        "moveaxis",
        tt.moveaxis,
        lambda x, source, destination: np.moveaxis(x, source, destination),
        torch_call("moveaxis"),
        _one(1, source=_dim, destination=_dim),
    ),
    OpCase(
        "select",
        tt.select,
        lambda x, dim, index: np.take(x, index, dim),
        torch_call("select"),
        _select_inputs(),
    ),
    OpCase(
        "narrow_method",
        lambda x, **kw: x.narrow(**kw),
        lambda x, dim, start, length: np.take(x, range(start, start + length), dim),
        lambda x, **kw: x.narrow(**kw),
        _narrow_inputs(),
    ),
    OpCase(
        "narrow_copy",
        tt.narrow_copy,
        lambda x, dim, start, length: np.take(x, range(start, start + length), dim),
        torch_call("narrow_copy"),
        _narrow_inputs(),
    ),
]
