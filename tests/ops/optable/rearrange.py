"""Op-table rows for the ops that rearrange elements without joining or viewing
(tinytensor/ops/rearrange.py): flip, flipud, fliplr, roll, rot90, repeat, tile,
repeat_interleave, tril, triu, unfold; and diag, diagflat (tinytensor/ops/linalg/legacy.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import strategies as tst

from ._base import OpCase, Sample, np_axis, shapes, tensor
from ._torch import torch_call
from .shape import _inputs


@st.composite
def _one(draw, min_dims=0, max_dims=3, **extra):
    """A tensor plus kwargs drawn by ``fn(draw, shape)``."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    return Sample((draw(tensor(shape)),), {k: f(draw, shape) for k, f in extra.items()})


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


# --- the rest ------------------------------------------------------------------------------------


def _flip_dims(draw, shape):
    if not shape:
        return ()
    d = draw(tst.dims(len(shape), allow_none=False))
    return d if isinstance(d, tuple) else (d,)


def _repeat_sizes(draw, shape):
    extra = draw(st.integers(0, 2))
    return tuple(draw(st.integers(1, 3)) for _ in range(len(shape) + extra))


def _np_repeat_sizes(x, sizes):
    return np.tile(x.reshape((1,) * (len(sizes) - x.ndim) + x.shape), sizes)


def _diagonal(draw, shape):
    return draw(st.integers(-3, 3))


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
        "tile",
        tt.tile,
        lambda x, dims: np.tile(x, dims),
        torch_call("tile"),
        _one(dims=lambda draw, s: tuple(draw(st.lists(st.integers(1, 3), max_size=4)))),
    ),
    OpCase("flipud", tt.flipud, lambda x: np.flipud(x).copy(), torch_call("flipud"), _one(1)),
    OpCase("fliplr", tt.fliplr, lambda x: np.fliplr(x).copy(), torch_call("fliplr"), _one(2)),
    OpCase(
        "flip",
        tt.flip,
        lambda x, dims: np.flip(x, np_axis(dims)).copy(),
        lambda x, dims: x.flip(dims),
        _inputs(dims=_flip_dims),
    ),
    OpCase(
        "repeat",
        lambda x, sizes: x.repeat(*sizes),
        _np_repeat_sizes,
        lambda x, sizes: x.repeat(sizes),
        _inputs(sizes=_repeat_sizes),
    ),
    OpCase(
        "tril",
        tt.tril,
        lambda x, diagonal: np.tril(x, diagonal),
        lambda x, diagonal: x.tril(diagonal),
        _inputs(min_dims=2, diagonal=_diagonal),
    ),
    OpCase(
        "triu",
        lambda x, diagonal: x.triu(diagonal),
        lambda x, diagonal: np.triu(x, diagonal),
        lambda x, diagonal: x.triu(diagonal),
        _inputs(min_dims=2, diagonal=_diagonal),
    ),
    OpCase(
        "unfold",
        lambda x, **kw: x.unfold(**kw),
        _np_unfold,
        lambda x, **kw: x.unfold(**kw),
        _unfold_inputs(),
    ),
]
