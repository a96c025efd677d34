"""Op-table rows for the extra shape ops (tinytensor/ops/shape_ext.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, shapes, tensor
from ._torch import torch_call


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


def _dim(draw, shape):
    return draw(st.integers(-len(shape), len(shape) - 1))


def _offset(draw, shape):
    return draw(st.integers(-2, 2))


def _np_diag(x, diagonal=0):
    return np.diag(x, diagonal).copy()


def _roll_args(draw, shape):
    if draw(st.booleans()):
        return {"shifts": draw(st.integers(-5, 5)), "dims": None}
    dims = tuple(draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=2)))
    return {"shifts": tuple(draw(st.integers(-5, 5)) for _ in dims), "dims": dims}


@st.composite
def _roll_inputs(draw):
    shape = draw(shapes(min_dims=1))
    return Sample((draw(tensor(shape)),), _roll_args(draw, shape))


def _np_roll(x, shifts, dims):
    if dims is None:
        return np.roll(x.reshape(-1), shifts).reshape(x.shape)
    return np.roll(x, shifts, dims)


def _rot_dims(draw, shape):
    return tuple(draw(st.permutations(range(len(shape))))[:2])


@st.composite
def _repeat_inputs(draw):
    shape = draw(shapes(min_dims=1))
    x = draw(tensor(shape))
    if draw(st.booleans()):
        return Sample((x,), {"repeats": draw(st.integers(0, 3)), "dim": None})
    d = draw(st.integers(0, len(shape) - 1))
    reps = draw(st.lists(st.integers(0, 3), min_size=shape[d], max_size=shape[d]))
    return Sample((x,), {"repeats": tt.tensor(reps, dtype=tt.int64), "dim": d})


def _np_repeat(x, repeats, dim):
    if dim is None:
        return np.repeat(x.reshape(-1), repeats)
    return np.repeat(x, repeats, dim)


@st.composite
def _unfold_inputs(draw):
    shape = draw(shapes(min_dims=1))
    d = draw(st.integers(0, len(shape) - 1))
    size = draw(st.integers(0, shape[d]))
    return Sample(
        (draw(tensor(shape)),), {"dimension": d, "size": size, "step": draw(st.integers(1, 3))}
    )


def _np_unfold(x, dimension, size, step):
    w = np.lib.stride_tricks.sliding_window_view(x, size, axis=dimension)
    return np.take(w, range(0, w.shape[dimension], step), dimension)


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
    OpCase("diag_1d", tt.diag, _np_diag, torch_call("diag"), _one(1, 1, diagonal=_offset)),
    OpCase(
        "diag_2d",
        lambda x, diagonal: x.diag(diagonal),
        _np_diag,
        torch_call("diag"),
        _one(2, 2, diagonal=_offset),
    ),
    OpCase(
        "diagflat",
        tt.diagflat,
        lambda x, offset: np.diagflat(x, offset),
        torch_call("diagflat"),
        _one(0, 2, offset=_offset),
    ),
    OpCase("roll", tt.roll, _np_roll, torch_call("roll"), _roll_inputs()),
    OpCase(
        "rot90",
        tt.rot90,
        lambda x, k, dims: np.rot90(x, k, dims).copy(),
        torch_call("rot90"),
        _one(2, 3, k=lambda draw, s: draw(st.integers(-2, 5)), dims=_rot_dims),
    ),
    OpCase(
        "repeat_interleave",
        tt.repeat_interleave,
        _np_repeat,
        torch_call("repeat_interleave"),
        _repeat_inputs(),
    ),
    OpCase(
        "unfold",
        lambda x, **kw: x.unfold(**kw),
        _np_unfold,
        lambda x, **kw: x.unfold(**kw),
        _unfold_inputs(),
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
    OpCase(
        "tile",
        tt.tile,
        lambda x, dims: np.tile(x, dims),
        torch_call("tile"),
        _one(dims=lambda draw, s: tuple(draw(st.lists(st.integers(1, 3), max_size=4)))),
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
    OpCase("flipud", tt.flipud, lambda x: np.flipud(x).copy(), torch_call("flipud"), _one(1)),
    OpCase("fliplr", tt.fliplr, lambda x: np.fliplr(x).copy(), torch_call("fliplr"), _one(2)),
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
