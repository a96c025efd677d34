"""Op-table rows for shape ops (tinytensor/ops/shape.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import strategies as tst

from ._base import OpCase, Sample, np_axis, shapes, tensor
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


# --- padding -------------------------------------------------------------------------------------


def _pad_inputs(mode):
    """Pads for the last k dims; reflect needs pad < size, circular pad <= size; non-constant
    modes take k+1 or k+2 dims (PyTorch's batch/channel convention)."""

    @st.composite
    def draw_sample(draw):
        k = draw(st.integers(1, 2))
        lo_dims = 1 if mode == "constant" else k + 1
        shape = draw(shapes(min_dims=lo_dims, max_dims=k + 2 if mode != "constant" else 3))
        k = min(k, len(shape))
        pads = []
        for size in reversed(shape[len(shape) - k :]):
            for _ in range(2):
                if mode == "constant":
                    pads.append(draw(st.integers(-(size // 2), 3)))
                elif mode == "reflect":
                    pads.append(draw(st.integers(0, size - 1)))
                elif mode == "circular":
                    pads.append(draw(st.integers(0, size)))
                else:
                    pads.append(draw(st.integers(0, 3)))
        kwargs = {"pad": tuple(pads), "mode": mode}
        if mode == "constant":
            kwargs["value"] = draw(st.sampled_from([0.0, 1.5]))
        return Sample((draw(tensor(shape)),), kwargs)

    return draw_sample()


def _np_pad(x, pad, mode="constant", value=0.0):
    n = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    crop = tuple(
        slice(-lo if lo < 0 else 0, s + hi if hi < 0 else None)
        for (lo, hi), s in zip(widths, x.shape)
    )
    x = x[crop]
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge"}.get(mode, "wrap"))


def _torch_pad(x, pad, mode="constant", value=0.0):
    import torch.nn.functional as F

    if mode == "constant":
        return F.pad(x, pad, mode=mode, value=value)
    return F.pad(x, pad, mode=mode)


# --- the rest ------------------------------------------------------------------------------------


def _flip_dims(draw, shape):
    if not shape:
        return ()
    d = draw(tst.dims(len(shape), allow_none=False))
    return d if isinstance(d, tuple) else (d,)


def _repeat_sizes(draw, shape):
    extra = draw(st.integers(0, 2))
    return tuple(draw(st.integers(1, 3)) for _ in range(len(shape) + extra))


def _np_repeat(x, sizes):
    return np.tile(x.reshape((1,) * (len(sizes) - x.ndim) + x.shape), sizes)


def _narrow_args(draw, shape):
    d = _a_dim(draw, shape)
    start = draw(st.integers(0, shape[d] - 1))
    return d, start, draw(st.integers(0, shape[d] - start))


def _np_narrow(x, args):
    d, start, length = args
    return x[(slice(None),) * (d % x.ndim) + (slice(start, start + length),)]


def _diagonal(draw, shape):
    return draw(st.integers(-3, 3))


@st.composite
def _one(draw, min_dims=0, max_dims=3, **extra):
    """A tensor plus kwargs drawn by ``fn(draw, shape)``."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    return Sample((draw(tensor(shape)),), {k: f(draw, shape) for k, f in extra.items()})


def _dim(draw, shape):
    return draw(st.integers(-len(shape), len(shape) - 1))


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
        tt.broadcast_to,
        lambda x, shape: np.broadcast_to(x, shape).copy(),
        lambda x, shape: __import__("torch").broadcast_to(x, shape),
        _inputs(shape=_broadcast_target),
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
    OpCase("pad_constant", tt.pad, _np_pad, _torch_pad, _pad_inputs("constant")),
    OpCase("pad_reflect", tt.pad, _np_pad, _torch_pad, _pad_inputs("reflect")),
    OpCase("pad_replicate", tt.pad, _np_pad, _torch_pad, _pad_inputs("replicate")),
    OpCase("pad_circular", tt.pad, _np_pad, _torch_pad, _pad_inputs("circular")),
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
        _np_repeat,
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
        "unfold",
        lambda x, **kw: x.unfold(**kw),
        _np_unfold,
        lambda x, **kw: x.unfold(**kw),
        _unfold_inputs(),
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
