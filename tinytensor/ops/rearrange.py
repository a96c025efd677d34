"""Rearranging a tensor's elements into a new tensor (copies, not views, except ``unfold``):
``flip``/``flipud``/``fliplr``, ``roll``, ``rot90``, ``repeat``/``tile``, ``repeat_interleave``,
the triangles ``tril``/``triu`` and their ``tril_indices``/``triu_indices``, and ``unfold``
(the sliding windows along a dim, a view).

``flip``, ``roll``, ``repeat``, ``tril``, ``triu`` and ``unfold`` record their own primitives;
the others are compositions of those, of ops/shape.py's views and of ops/gather.py's
selections, so their gradients (and second gradients) come from those ops."""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, share_version, wrap
from tinytensor.ops import gather as G
from tinytensor.ops import index as I
from tinytensor.ops import scatter as SC
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, norm_dim, one_dim
from tinytensor.ops.creation import zeros_of
from tinytensor.ops.inplace import register_view
from tinytensor.ops.shape import _sizes

__all__ = [
    "flip",
    "fliplr",
    "flipud",
    "repeat",
    "repeat_interleave",
    "roll",
    "rot90",
    "tile",
    "tril",
    "tril_indices",
    "triu",
    "triu_indices",
]


def flip(input, dims):
    """f(a) = a reversed along ``dims``;  da = g reversed along ``dims``"""
    a = input
    a = as_tensor(a, "flip")
    axes = norm_dim(dims, a.ndim, "flip")
    return FLIP.apply((a,), (a._data,), (axes,), {"dims": axes})


def _flip_kernel(x, dims):
    # A copy, as in PyTorch: np.flip's view would let y = x.flip(0); y.add_(1) change x.
    return np.flip(x, dims).copy()


def _flip_backward(g, axes):
    return (flip(g, axes),)


FLIP = Primitive("Flip", _flip_kernel, _flip_backward)


def repeat(a, *sizes):
    """f(a) = a tiled ``sizes`` times;  da = g summed over the tiles"""
    a = as_tensor(a, "repeat")
    reps = _sizes(sizes, "repeat")
    if len(reps) < a.ndim:
        raise RuntimeError(
            f"repeat: number of repeat dims ({len(reps)}) can not be smaller than the tensor's "
            f"number of dimensions ({a.ndim})"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {reps}")
    src = (1,) * (len(reps) - a.ndim) + a._data.shape
    saved = (reps, src, a._data.shape)
    return REPEAT.apply((a,), (a._data, src), saved, {"repeats": reps})


def _repeat_kernel(x, src, repeats):
    return np.tile(x.reshape(src), repeats)


def _repeat_backward(g, reps, src, shape):
    # Split each axis into (repeat, size) and sum over the repeat axes.
    split_shape = [x for r, s in zip(reps, src) for x in (r, s)]
    return (g.reshape(split_shape).sum(tuple(range(0, 2 * len(reps), 2))).reshape(shape),)


REPEAT = Primitive("Repeat", _repeat_kernel, _repeat_backward)


def tril(input, diagonal=0):
    """f(a) = lower triangle of a;  da = lower triangle of g"""
    a = input
    a = as_tensor(a, "tril")
    if a.ndim < 2:
        raise RuntimeError(f"tril: input tensor must have at least 2 dimensions, got {a.ndim}")
    return TRIL.apply((a,), (a._data, diagonal), (diagonal,))


def _tril_kernel(x, diagonal):
    return np.tril(x, diagonal)


def _tril_backward(g, diagonal):
    return (tril(g, diagonal),)


TRIL = Primitive("Tril", _tril_kernel, _tril_backward)


def triu(input, diagonal=0):
    """f(a) = upper triangle of a;  da = upper triangle of g"""
    a = input
    a = as_tensor(a, "triu")
    if a.ndim < 2:
        raise RuntimeError(f"triu: input tensor must have at least 2 dimensions, got {a.ndim}")
    return TRIU.apply((a,), (a._data, diagonal), (diagonal,))


def _triu_kernel(x, diagonal):
    return np.triu(x, diagonal)


def _triu_backward(g, diagonal):
    return (triu(g, diagonal),)


TRIU = Primitive("Triu", _triu_kernel, _triu_backward)


def flipud(input):
    """``a`` flipped along dim 0."""
    a = as_tensor(input, "flipud")
    if a.ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d, got a 0-d tensor")
    return flip(a, 0)


def fliplr(input):
    """``a`` flipped along dim 1."""
    a = as_tensor(input, "fliplr")
    if a.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {tuple(a.shape)}")
    return flip(a, 1)


def roll(input, shifts, dims=None):
    """f(a) = a shifted cyclically by shifts along dims;  da = g shifted back"""
    a = as_tensor(input, "roll")
    shifts_t = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts_t) != 1:
            raise RuntimeError(f"roll: with dims=None pass one shift, got shifts={shifts!r}")
        return ROLL.apply((a,), (a._data, shifts_t, None), (shifts_t, None))
    dims_t = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(dims_t) != len(shifts_t):
        raise RuntimeError(
            f"roll: shifts {shifts!r} and dims {dims!r} must have the same number of entries"
        )
    dims_t = tuple(one_dim(d, a.ndim, "roll") for d in dims_t)
    return ROLL.apply((a,), (a._data, shifts_t, dims_t), (shifts_t, dims_t))


def _roll_kernel(x, shifts, dims):
    if dims is None:  # the flattened tensor, shifted, in its shape again
        return np.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
    return np.roll(x, shifts, dims)


def _roll_backward(g, shifts, dims):
    return (roll(g, tuple(-s for s in shifts), dims),)


ROLL = Primitive("Roll", _roll_kernel, _roll_backward)


def rot90(input, k=1, dims=(0, 1)):
    """a rotated by 90 degrees k times in the plane of dims (from the first towards the second)"""
    a = as_tensor(input, "rot90")
    if len(dims) != 2 or a.ndim < 2:
        raise RuntimeError(
            f"rot90: expected two dims and a tensor of at least 2 dims, got dims={dims!r} and "
            f"shape {tuple(a.shape)}"
        )
    d0, d1 = (one_dim(d, a.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"rot90: the two dims must differ, got dims={dims!r}")
    k %= 4
    if k == 1:
        return S.transpose(flip(a, d1), d0, d1)
    if k == 2:
        return flip(a, (d0, d1))
    if k == 3:
        return S.transpose(flip(a, d0), d0, d1)
    return S.clone(a)


def tile(input, dims):
    """``a`` repeated ``dims[i]`` times along each dim (ones prepended to the shorter)."""
    a = as_tensor(input, "tile")
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return repeat(a, (1,) * (a.ndim - len(dims)) + dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along dim) repeated ``repeats`` times in place;
    ``repeat_interleave(counts)`` alone gives each index i counts[i] times. With tensor
    repeats the result's length depends on their values, unless ``output_size`` (their sum)
    is given: then a compiled program needs no graph break there, as in PyTorch."""
    if repeats is None:
        counts = as_tensor(input, "repeat_interleave")
        _int_repeats(counts._data)
        if counts.ndim != 1:
            raise RuntimeError(
                f"repeat_interleave: repeats given alone must be a 1-D int tensor, got shape "
                f"{tuple(counts.shape)}"
            )
        return _repeat_index(counts, None, output_size)
    a = as_tensor(input, "repeat_interleave")
    x = S.reshape(a, (-1,)) if dim is None else a
    d = 0 if dim is None else one_dim(dim, a.ndim, "repeat_interleave")
    if x.ndim == 0:
        x = S.reshape(x, (1,))
    n = x.shape[d]
    reps = repeats._data.reshape(-1) if isinstance(repeats, TensorBase) else np.array([repeats])
    _int_repeats(reps)
    if reps.size and reps.min() < 0:
        raise RuntimeError(f"repeat_interleave: repeats must be non-negative ints, got {repeats}")
    if reps.size not in (1, n):
        raise RuntimeError(
            f"repeat_interleave: repeats must have the same size as input along dim ({n}), "
            f"got {reps.size}"
        )
    if isinstance(repeats, TensorBase):  # the index's length depends on the repeats' values
        idx = _repeat_index(repeats, n, output_size)
    else:  # from the shape and a Python int alone: a constant
        if output_size is not None and output_size != n * int(repeats):
            raise RuntimeError(
                f"repeat_interleave: Invalid output_size, expected {n * int(repeats)} but got "
                f"{output_size}"
            )
        idx = wrap(I.const_array(_repeat_index_kernel(reps, n)))
    return G.index_select(x, d, idx)


def _int_repeats(reps):
    if reps.dtype.kind not in "iu":  # PyTorch's class: no kernel for that dtype
        raise NotImplementedError(
            f"repeat_interleave: repeats must be integers, got dtype {reps.dtype}; convert them "
            "with .long()"
        )


def _repeat_index(counts, n, output_size):
    if output_size is None:
        return wrap(REPEAT_INDEX.compute((counts,), (counts._data, n)))
    total = int(counts._data.sum()) * (n if n is not None and counts._data.size == 1 else 1)
    if total != output_size:
        raise RuntimeError(
            f"repeat_interleave: allocated size does not match required size (output_size "
            f"{output_size}, but the repeats add up to {total})"
        )
    return wrap(REPEAT_INDEX_SIZED.compute((counts,), (counts._data, n)))


def _repeat_index_kernel(counts, n):
    """Each position ``i`` (of ``n``, or of ``counts``) repeated ``counts[i]`` times."""
    counts = counts.reshape(-1)
    n = counts.size if n is None else n
    return np.repeat(np.arange(n, dtype=np.int64), np.broadcast_to(counts, (n,)))


REPEAT_INDEX = Primitive("RepeatIndex", _repeat_index_kernel, data_dependent=True)


# The same, its length given by the caller (``output_size``): not data-dependent.
REPEAT_INDEX_SIZED = Primitive("RepeatIndex", _repeat_index_kernel)


def _tri_indices(row, col, offset, dtype, name, upper):
    for v in (row, col):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise RuntimeError(f"{name}: row and col must be non-negative ints, got {row}, {col}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    return wrap(TRI_INDICES.compute((), (row, col, offset, dt.np, upper)))


def _tri_indices_kernel(row, col, offset, dtype, upper):
    r, c = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    return np.stack([r, c]).astype(dtype).reshape(2, -1)


TRI_INDICES = Primitive("TriIndices", _tri_indices_kernel)  # a creation op: no gradient


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, n) row/column indices of the lower triangle of a row x col matrix."""
    return _tri_indices(row, col, offset, dtype, "tril_indices", False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, n) row/column indices of the upper triangle of a row x col matrix."""
    return _tri_indices(row, col, offset, dtype, "triu_indices", True)


def _unfold_geometry(a, d, size, step):
    n = a.shape[d] if a.ndim else 1
    if size > n or size < 0 or step <= 0:
        raise RuntimeError(
            f"unfold: maximum size for tensor at dimension {d} is {n} but size is {size}, and "
            f"step ({step}) must be > 0"
        )
    nwin = (n - size) // step + 1
    flat = (np.arange(nwin)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    return nwin, flat


def unfold(a, dimension, size, step):
    """f(a) = a view with each window of ``size`` along dimension (every ``step``) as a new last
    dim;  da = the windows' gradients added back where they came from"""
    a = as_tensor(a, "unfold")
    d = one_dim(dimension, a.ndim, "unfold")
    _unfold_geometry(a, d, size, step)
    out = wrap(UNFOLD.compute((a,), (a._data, d, size, step)))
    share_version(out, a)
    if grad_state.enabled:
        writeable = out._data.flags.writeable
        put = (lambda v, b: _unfold_put(v, b, d, size, step)) if writeable else None
        register_view(out, a, lambda b: unfold(b, d, size, step), put)
    return UNFOLD.record(out, (a,), (a._data.shape, d, size, step))


def _unfold_kernel(x, dim, size, step):
    ndim = x.ndim
    x = x if ndim else x.reshape(1)
    st = x.strides
    nwin = (x.shape[dim] - size) // step + 1
    shape = x.shape[:dim] + (nwin,) + x.shape[dim + 1 :] + (size,)
    strides = st[:dim] + (st[dim] * step,) + st[dim + 1 :] + (st[dim],)
    # Overlapping windows would alias one element twice: read-only, like an expanded view.
    writeable = step >= size and x.flags.writeable
    arr = np.lib.stride_tricks.as_strided(x, shape, strides, writeable=writeable)
    return arr if ndim else arr.reshape(nwin, size)[0]


def _windows_flat(v, d, size, nwin):
    """The windows of an unfolded tensor laid out along d again: (..., `nwin * size`, ...)."""
    moved = S.movedim(v, -1, d + 1)
    return S.reshape(moved, v.shape[:d] + (nwin * size,) + v.shape[d + 1 : -1])


def _unfold_backward(g, shape, d, size, step):
    if not shape:
        return (S.reshape(g, ()),)
    nwin = g.shape[d]
    _, flat = _unfold_geometry(wrap(np.empty(shape)), d, size, step)
    zeros = zeros_of(shape, g._data.dtype)
    windows = _windows_flat(g, d, size, nwin)
    return (G.index_add(zeros, d, wrap(I.const_array(flat)), windows),)


UNFOLD = Primitive("Unfold", _unfold_kernel, _unfold_backward)


def _unfold_put(v, base, d, size, step):
    nwin, flat = _unfold_geometry(base, d, size, step)
    # index_copy saves its source; ``v`` (the view just changed in place) is about to have its
    # version bumped, so the source must be a tensor of its own, not a view of ``v``.
    windows = S.clone(_windows_flat(v, d, size, nwin))
    return SC.index_copy(base, d, wrap(I.const_array(flat)), windows)
