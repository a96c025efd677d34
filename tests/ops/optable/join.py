"""Op-table rows for joining and splitting (tinytensor/ops/join.py): cat, stack, split, chunk,
unbind, meshgrid, atleast_1d/2d/3d, column_stack, dstack, row_stack, tensor_split and
hsplit/vsplit/dsplit, block_diag, combinations."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, shapes, tensor
from ._torch import torch_call
from .shape import _a_dim, _inputs

# --- small compositions -------------------------------------------------------------------------


@st.composite
def _block_diag_inputs(draw):
    k = draw(st.integers(1, 3))
    # Empty 2-D blocks, not 1-D ones: PyTorch 2.13's backward misplaces the gradient of the
    # blocks after an empty 1-D block (gradcheck agrees with ours).
    blocks = [draw(shapes(max_dims=2, min_side=1)) for _ in range(k)]
    blocks = [(0, b[1]) if len(b) == 2 and draw(st.integers(0, 3)) == 0 else b for b in blocks]
    return Sample(tuple(draw(tensor(b)) for b in blocks))


def _np_block_diag(*xs):
    ms = [np.asarray(x).reshape(1, -1) if np.ndim(x) < 2 else x for x in xs]
    out = np.zeros((sum(m.shape[0] for m in ms), sum(m.shape[1] for m in ms)))
    r = c = 0
    for m in ms:
        out[r : r + m.shape[0], c : c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


@st.composite
def _combinations_inputs(draw):
    x = draw(tensor((draw(st.integers(0, 4)),)))
    return Sample((x,), {"r": draw(st.integers(1, 3)), "with_replacement": draw(st.booleans())})


def _np_combinations(x, r, with_replacement):
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(x.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return x[idx]


def _torch(name):
    def call(*args, **kwargs):
        import torch

        return getattr(torch, name)(*args, **kwargs)

    return call


@st.composite
def _one(draw, min_dims=0, max_dims=3, **extra):
    """A tensor plus kwargs drawn by ``fn(draw, shape)``."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    return Sample((draw(tensor(shape)),), {k: f(draw, shape) for k, f in extra.items()})


@st.composite
def _vectors(draw, n_min=1, n_max=3, min_dims=1, max_dims=1):
    n = draw(st.integers(n_min, n_max))
    return Sample(tuple(draw(tensor(shapes(min_dims, max_dims))) for _ in range(n)))


def _np_meshgrid(*xs, indexing="ij"):
    return tuple(np.meshgrid(*xs, indexing=indexing))


@st.composite
def _split_inputs(draw, min_dims=1):
    shape = draw(shapes(min_dims=min_dims))
    d = draw(st.integers(0, len(shape) - 1))
    if draw(st.booleans()):
        ios = draw(st.integers(1, 4))
    else:
        ios = sorted(draw(st.lists(st.integers(-5, 5), max_size=3)))
    return Sample((draw(tensor(shape)),), {"indices_or_sections": ios, "dim": d})


def _np_tensor_split(x, indices_or_sections, dim):
    ios = indices_or_sections
    if isinstance(ios, int):
        return tuple(np.array_split(x, ios, dim))
    n = x.shape[dim]
    cuts = [min(max(i + n if i < 0 else i, 0), n) for i in ios]
    return tuple(np.take(x, range(s, max(e, s)), dim) for s, e in zip([0] + cuts, cuts + [n]))


@st.composite
def _same_shape(draw, n=2, min_dims=0, max_dims=2):
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    return Sample(tuple(draw(tensor(shape)) for _ in range(n)))


def _stack(fn):
    return lambda *xs: fn(list(xs))


def _np_atleast(fn):
    return lambda *xs: fn(*xs) if len(xs) > 1 else (fn(xs[0]),)


def _tt_atleast(fn):
    return lambda *xs: fn(*xs) if len(xs) > 1 else (fn(xs[0]),)


# --- joins and splits ----------------------------------------------------------------------------


def _cat_inputs(stack=False):
    @st.composite
    def draw_sample(draw):
        shape = draw(shapes(min_dims=0 if stack else 1))
        n = draw(st.integers(1, 3))
        d = _a_dim(draw, shape, extra=1 if stack else 0)
        xs = []
        for _ in range(n):
            s = list(shape)
            if not stack:
                s[d] = draw(st.integers(1, 3))
            xs.append(draw(tensor(tuple(s))))
        return Sample(tuple(xs), {"dim": d})

    return draw_sample()


def _split_arg(draw, shape):
    d = _a_dim(draw, shape)
    n = shape[d]
    if draw(st.booleans()):
        return draw(st.integers(1, n + 1)), d
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    bounds = [0, *cuts, n]
    return [b - a for a, b in zip(bounds, bounds[1:])], d


def _np_split(x, args):
    size, d = args
    n = x.shape[d]
    sizes = size
    if isinstance(size, int):
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
    bounds = np.cumsum(sizes)[:-1]
    return tuple(np.split(x, bounds, axis=d))


def _torch_split(x, args):
    return x.split(args[0], args[1])


def _np_chunk(x, args):
    chunks, d = args
    step = max(-(-x.shape[d] // chunks), 1)
    return _np_split(x, (step, d))


def _chunk_arg(draw, shape):
    return draw(st.integers(1, 5)), _a_dim(draw, shape)


def _np_unbind(x, dim):
    return tuple(np.moveaxis(x, dim, 0))


CASES = [
    OpCase(
        "block_diag", tt.block_diag, _np_block_diag, torch_call("block_diag"), _block_diag_inputs()
    ),
    OpCase(
        "combinations",
        tt.combinations,
        _np_combinations,
        torch_call("combinations"),
        _combinations_inputs(),
    ),
    OpCase(
        "meshgrid_ij",
        lambda *xs: tt.meshgrid(*xs, indexing="ij"),
        _np_meshgrid,
        lambda *xs: __import__("torch").meshgrid(*xs, indexing="ij"),
        _vectors(),
    ),
    OpCase(
        "meshgrid_xy",
        lambda *xs: tt.meshgrid(*xs, indexing="xy"),
        lambda *xs: _np_meshgrid(*xs, indexing="xy"),
        lambda *xs: __import__("torch").meshgrid(*xs, indexing="xy"),
        _vectors(2, 3),
    ),
    OpCase("atleast_1d", tt.atleast_1d, np.atleast_1d, torch_call("atleast_1d"), _one(0, 2)),
    OpCase("atleast_2d", tt.atleast_2d, np.atleast_2d, torch_call("atleast_2d"), _one(0, 3)),
    OpCase(
        "atleast_3d",
        _tt_atleast(tt.atleast_3d),
        _np_atleast(np.atleast_3d),
        _torch("atleast_3d"),
        _vectors(1, 2, 0, 3),
    ),
    OpCase(
        "column_stack",
        _stack(tt.column_stack),
        _stack(np.column_stack),
        _stack(_torch("column_stack")),
        _same_shape(2, 0, 2),
    ),
    OpCase(
        "dstack",
        _stack(tt.dstack),
        _stack(np.dstack),
        _stack(_torch("dstack")),
        _same_shape(3, 0, 3),
    ),
    OpCase(
        "row_stack",
        _stack(tt.row_stack),
        _stack(np.vstack),
        _stack(_torch("vstack")),
        _same_shape(2, 1, 2),
    ),
    OpCase(
        "tensor_split",
        lambda x, indices_or_sections, dim: tt.tensor_split(x, indices_or_sections, dim),
        _np_tensor_split,
        lambda x, indices_or_sections, dim: x.tensor_split(indices_or_sections, dim),
        _split_inputs(),
    ),
    OpCase(
        "hsplit",
        lambda x: tt.hsplit(x, [1]),
        lambda x: tuple(np.hsplit(x, [1])),
        lambda x: __import__("torch").hsplit(x, [1]),
        _one(1, 3),
    ),
    OpCase(
        "vsplit",
        lambda x: tt.vsplit(x, [1]),
        lambda x: tuple(np.vsplit(x, [1])),
        lambda x: __import__("torch").vsplit(x, [1]),
        _one(2, 3),
    ),
    OpCase(
        "dsplit",
        lambda x: tt.dsplit(x, [1]),
        lambda x: tuple(np.dsplit(x, [1])),
        lambda x: __import__("torch").dsplit(x, [1]),
        _one(3, 3),
    ),
    OpCase(
        "cat",
        lambda *xs, dim: tt.cat(xs, dim),
        lambda *xs, dim: np.concatenate(xs, dim),
        lambda *xs, dim: __import__("torch").cat(xs, dim),
        _cat_inputs(),
    ),
    OpCase(
        "stack",
        lambda *xs, dim: tt.stack(list(xs), dim=dim),
        lambda *xs, dim: np.stack(xs, dim),
        lambda *xs, dim: __import__("torch").stack(xs, dim),
        _cat_inputs(stack=True),
    ),
    OpCase(
        "split",
        lambda x, args: x.split(*args),
        _np_split,
        _torch_split,
        _inputs(min_dims=1, args=_split_arg),
    ),
    OpCase(
        "chunk",
        lambda x, args: tt.chunk(x, *args),
        _np_chunk,
        lambda x, args: x.chunk(*args),
        _inputs(min_dims=1, args=_chunk_arg),
    ),
    OpCase(
        "unbind",
        lambda x, dim: x.unbind(dim),
        _np_unbind,
        lambda x, dim: x.unbind(dim),
        _inputs(min_dims=1, dim=_a_dim),
    ),
]
