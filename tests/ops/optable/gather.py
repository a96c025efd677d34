"""Op-table rows for reading and writing along a dim (tinytensor/ops/gather.py): gather,
scatter (a tensor or a value), scatter_add, index_select, index_add, take, take_along_dim."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import strategies as tst

from ._base import OpCase, Sample, shapes, tensor
from ._torch import torch_call
from .index import _ints

# --- gather / scatter ----------------------------------------------------------------------------


def _gather_like(unique):
    """x, an index (int64, same ndim, at most x's size off ``dim``), dim; with ``unique`` the
    index never repeats a position along ``dim`` (scatter is then deterministic)."""

    @st.composite
    def draw_sample(draw):
        shape = draw(shapes(min_dims=1))
        x = draw(tensor(shape))
        d = draw(st.integers(0, len(shape) - 1))
        ishape = [draw(st.integers(1, n)) for n in shape]
        n = shape[d]
        if unique:
            keys = draw(tst.tensors(shape=tuple(n if i == d else s for i, s in enumerate(ishape))))
            order = np.argsort(keys.numpy(), axis=d, kind="stable")
            index = tt.tensor(np.take(order, range(ishape[d]), axis=d))
        else:
            ishape[d] = draw(st.integers(1, 4))
            index = draw(_ints(tuple(ishape), 0, n - 1))
        dim = d - len(shape) if draw(st.booleans()) else d
        return Sample((x, index), {"dim": dim}), tuple(index.shape)

    return draw_sample()


def _gather_inputs():
    return _gather_like(False).map(lambda s: s[0])


def _scatter_inputs(unique):
    @st.composite
    def draw_sample(draw):
        sample, ishape = draw(_gather_like(unique))
        # src the size of index: PyTorch's scatter backward rejects a larger src
        return Sample((*sample.args, draw(tensor(ishape))), sample.kwargs)

    return draw_sample()


def _np_gather(x, index, dim):
    dim %= x.ndim
    sl = tuple(slice(None) if i == dim else slice(0, n) for i, n in enumerate(index.shape))
    return np.take_along_axis(x[sl], index, axis=dim)


def _np_scatter(add):
    def ref(x, index, src, dim):
        dim %= x.ndim
        out = x.copy()
        for pos in np.ndindex(index.shape):
            target = list(pos)
            target[dim] = index[pos]
            if add:
                out[tuple(target)] += src[pos]
            else:
                out[tuple(target)] = src[pos]
        return out

    return ref


# --- vector indices ------------------------------------------------------------------------------


def _select_inputs(with_source=False):
    @st.composite
    def draw_sample(draw):
        shape = draw(shapes(min_dims=1))
        x = draw(tensor(shape))
        d = draw(st.integers(0, len(shape) - 1))
        idx = draw(_ints((draw(st.integers(0, 5)),), 0, shape[d] - 1))
        args = (x, idx)
        if with_source:
            sshape = shape[:d] + (idx.shape[0],) + shape[d + 1 :]
            args = (x, idx, draw(tensor(sshape)))
        return Sample(args, {"dim": d})

    return draw_sample()


def _np_index_add(x, idx, src, dim, alpha=1.0):
    out = x.copy()
    np.add.at(out, (slice(None),) * dim + (idx,), alpha * src)
    return out


def _take_inputs():
    @st.composite
    def draw_sample(draw):
        x = draw(tensor(shapes()))
        n = x.numel()
        return Sample((x, draw(_ints(shapes(max_dims=2), 0, n - 1))))

    return draw_sample()


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


CASES = [
    OpCase(
        "gather",
        lambda x, index, dim: x.gather(dim, index),
        _np_gather,
        lambda x, index, dim: x.gather(dim, index),
        _gather_inputs(),
    ),
    OpCase(
        "scatter",
        lambda x, index, src, dim: tt.scatter(x, dim, index, src),
        _np_scatter(add=False),
        lambda x, index, src, dim: x.scatter(dim, index, src),
        _scatter_inputs(unique=True),
    ),
    OpCase(
        "scatter_value",
        lambda x, index, dim: x.scatter(dim, index, value=2.5),
        lambda x, index, dim: _np_scatter(add=False)(x, index, np.full(index.shape, 2.5), dim),
        lambda x, index, dim: x.scatter(dim, index, value=2.5),
        _gather_like(True).map(lambda s: s[0]),
    ),
    OpCase(
        "scatter_add",
        lambda x, index, src, dim: x.scatter_add(dim, index, src),
        _np_scatter(add=True),
        lambda x, index, src, dim: x.scatter_add(dim, index, src),
        _scatter_inputs(unique=False),
    ),
    OpCase(
        "index_select",
        lambda x, idx, dim: tt.index_select(x, dim, idx),
        lambda x, idx, dim: np.take(x, idx, axis=dim),
        lambda x, idx, dim: x.index_select(dim, idx),
        _select_inputs(),
    ),
    OpCase(
        "index_add",
        lambda x, idx, src, dim: x.index_add(dim, idx, src, alpha=1.5),
        lambda x, idx, src, dim: _np_index_add(x, idx, src, dim, 1.5),
        lambda x, idx, src, dim: x.index_add(dim, idx, src, alpha=1.5),
        _select_inputs(with_source=True),
    ),
    OpCase(
        "take",
        tt.take,
        lambda x, idx: np.take(x, idx),
        lambda x, idx: __import__("torch").take(x, idx),
        _take_inputs(),
    ),
    OpCase(
        "take_along_dim",
        tt.take_along_dim,
        _np_take_along,
        torch_call("take_along_dim"),
        _take_along_inputs(),
    ),
]
