"""More shape ops: ravel, diag, roll, rot90, repeat_interleave, unfold (a view), meshgrid, tile,
atleast_nd, stacks, tensor_split and its h/v/d forms, select, narrow_copy, tril/triu_indices.

Most are compositions of ``ops/shape.py``'s views and ``ops/index.py``'s selections, so their
gradients (and second gradients) come from those ops; ``roll`` and ``unfold`` record their own.
"""

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
from tinytensor.ops._util import as_tensor, one_dim
from tinytensor.ops.creation import zeros_of
from tinytensor.ops.inplace import register_view
from tinytensor.ops.linalg import factorizations as LX

moveaxis = S.movedim
row_stack = S.vstack


def diag(a, diagonal=0):
    """1-D: a matrix with ``a`` on its diagonal; 2-D: the diagonal, as a new 1-D tensor."""
    a = as_tensor(a, "diag")
    if a.ndim == 1:
        return LX.diag_embed(a, diagonal, 0, 1)
    if a.ndim == 2:
        return LX.diagonal(a, diagonal, 0, 1)
    raise RuntimeError(f"diag(): supports 1D or 2D tensors, got a tensor of shape {tuple(a.shape)}")


def diagflat(a, offset=0):
    """A matrix with the flattened ``a`` on its diagonal (offset above or below)."""
    return LX.diag_embed(S.reshape(as_tensor(a, "diagflat"), (-1,)), offset, 0, 1)


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


def roll(a, shifts, dims=None):
    """f(a) = a shifted cyclically by shifts along dims;  da = g shifted back"""
    a = as_tensor(a, "roll")
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


def rot90(a, k=1, dims=(0, 1)):
    """a rotated by 90 degrees k times in the plane of dims (from the first towards the second)"""
    a = as_tensor(a, "rot90")
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
        return S.transpose(S.flip(a, d1), d0, d1)
    if k == 2:
        return S.flip(a, (d0, d1))
    if k == 3:
        return S.transpose(S.flip(a, d0), d0, d1)
    return S.clone(a)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along dim) repeated ``repeats`` times in place;
    ``repeat_interleave(counts)`` alone gives each index i counts[i] times. With tensor
    repeats the result's length depends on their values, unless ``output_size`` (their sum)
    is given: then a compiled program needs no graph break there, as in PyTorch."""
    if repeats is None:
        counts = as_tensor(input, "repeat_interleave")
        if counts.ndim > 1 or counts._data.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave: repeats must be a 0-D or 1-D int tensor")
        return _repeat_index(counts, None, output_size)
    a = as_tensor(input, "repeat_interleave")
    x = S.reshape(a, (-1,)) if dim is None else a
    d = 0 if dim is None else one_dim(dim, a.ndim, "repeat_interleave")
    if x.ndim == 0:
        x = S.reshape(x, (1,))
    n = x.shape[d]
    reps = repeats._data.reshape(-1) if isinstance(repeats, TensorBase) else np.array([repeats])
    if reps.dtype.kind not in "iu" or (reps.size and reps.min() < 0):
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
    return SC.index_copy(base, d, wrap(I.const_array(flat)), _windows_flat(v, d, size, nwin))


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids: output i holds tensors[i] along its own axis, expanded to all."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [as_tensor(t, "meshgrid") for t in tensors]
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(
                f"meshgrid: expects 0D or 1D tensors, got a tensor of shape {tuple(t.shape)}"
            )
    sizes = [t._data.size for t in ts]
    axes = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(ts)
    for i, ax in enumerate(axes):
        shape[ax] = sizes[i]
    outs = []
    for t, ax in zip(ts, axes):
        view = [1] * len(ts)
        view[ax] = -1
        outs.append(S.expand(S.reshape(t, view), shape))
    return tuple(outs)


def tile(a, dims):
    """``a`` repeated ``dims[i]`` times along each dim (ones prepended to the shorter)."""
    a = as_tensor(a, "tile")
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return S.repeat(a, (1,) * (a.ndim - len(dims)) + dims)


def _atleast(n, tensors, name):
    single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    ts = tensors[0] if len(tensors) == 1 and not single else tensors
    outs = []
    for t in ts:
        t = as_tensor(t, name)
        if t.ndim < n:
            if t.ndim == 0:
                t = S.reshape(t, (1,) * n)
            elif t.ndim == 1:
                t = S.reshape(t, (1, -1) if n == 2 else (1, -1, 1))
            else:
                t = S.unsqueeze(t, -1)
        outs.append(t)
    return outs[0] if single else tuple(outs)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-d become shape (1,))."""
    return _atleast(1, tensors, "atleast_1d")


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (1-d (n,) becomes (1, n))."""
    return _atleast(2, tensors, "atleast_2d")


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _atleast(3, tensors, "atleast_3d")


def column_stack(tensors):
    """Tensors side by side as columns (1-d ones become (n, 1) columns)."""
    ts = [as_tensor(t, "column_stack") for t in tensors]
    ts = [S.reshape(t, (-1, 1)) if t.ndim <= 1 else t for t in ts]
    return S.cat(ts, 1)


def dstack(tensors):
    """Tensors stacked depthwise (along dim 2, after atleast_3d)."""
    return S.cat(list(atleast_3d(list(tensors))), 2)


def tensor_split(a, indices_or_sections, dim=0):
    """Views of ``a`` split along dim into n near-equal parts (the first ones one longer), or
    at the given indices."""
    a = as_tensor(a, "tensor_split")
    d = one_dim(dim, a.ndim, "tensor_split")
    n = a.shape[d]
    ios = indices_or_sections
    if isinstance(ios, TensorBase):
        if ios._data.dtype.kind not in "iu" or ios.ndim > 1:
            raise RuntimeError(
                f"tensor_split: indices_or_sections must be a 0-D or 1-D int64 tensor, got "
                f"dtype {ios.dtype} and shape {tuple(ios.shape)}"
            )
        ios = ios.item() if ios.ndim == 0 else ios.tolist()  # values that set the shapes
    if isinstance(ios, (int, np.integer)):
        if ios <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be > 0, got {ios}")
        q, r = divmod(n, int(ios))
        sizes = [q + 1] * r + [q] * (int(ios) - r)
        bounds = np.cumsum([0] + sizes)
        starts, ends = bounds[:-1].tolist(), bounds[1:].tolist()
    else:
        cuts = [int(min(max(i + n if i < 0 else i, 0), n)) for i in ios]
        starts = [0] + cuts
        ends = cuts + [n]
        ends = [max(e, s) for s, e in zip(starts, ends)]
    # Ordinary views, one slice each (as PyTorch composes it): nothing saved, each writable.
    return tuple(S.narrow(a, d, s, e - s) for s, e in zip(starts, ends))


def _split_dir(a, ios, dim, need, name):
    a = as_tensor(a, name)
    if a.ndim < need:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {need} dimension(s), but got a tensor "
            f"with {a.ndim} dimensions"
        )
    if isinstance(ios, (int, np.integer)) and (ios <= 0 or a.shape[dim] % ios):
        raise RuntimeError(
            f"torch.{name} attempted to split along dimension {dim}, but the size of the "
            f"dimension {a.shape[dim]} is not divisible by the split_size {ios}!"
        )
    return tensor_split(a, ios, dim)


def hsplit(a, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for a 1-D tensor); sections must divide evenly."""
    a = as_tensor(a, "hsplit")
    return _split_dir(a, indices_or_sections, 1 if a.ndim > 1 else 0, 1, "hsplit")


def vsplit(a, indices_or_sections):
    """tensor_split along dim 0 of a tensor with at least 2 dims."""
    return _split_dir(a, indices_or_sections, 0, 2, "vsplit")


def dsplit(a, indices_or_sections):
    """tensor_split along dim 2 of a tensor with at least 3 dims."""
    return _split_dir(a, indices_or_sections, 2, 3, "dsplit")


def flipud(a):
    """``a`` flipped along dim 0."""
    a = as_tensor(a, "flipud")
    if a.ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d, got a 0-d tensor")
    return S.flip(a, 0)


def fliplr(a):
    """``a`` flipped along dim 1."""
    a = as_tensor(a, "fliplr")
    if a.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {tuple(a.shape)}")
    return S.flip(a, 1)


def select(a, dim, index):
    """The view ``a[..., index, ...]`` with ``dim`` removed."""
    a = as_tensor(a, "select")
    d = one_dim(dim, a.ndim, "select")
    n = a.shape[d] if a.ndim else 1
    if not isinstance(index, (int, np.integer)) or not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(a.shape)} at "
            f"dimension {d}"
        )
    return I.getitem(a, (slice(None),) * d + (int(index),))


def narrow_copy(a, dim, start, length):
    """A copy of ``narrow(a, dim, start, length)``."""
    return S.clone(S.narrow(as_tensor(a, "narrow_copy"), dim, start, length))


def ravel(input):  # noqa: A002 - PyTorch's argument name
    """f(a) = a flattened to 1-D (a view when it can be)"""
    return S.reshape(as_tensor(input, "ravel"), -1)


__all__ = [
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "column_stack",
    "diag",
    "diagflat",
    "dsplit",
    "dstack",
    "fliplr",
    "flipud",
    "hsplit",
    "meshgrid",
    "moveaxis",
    "narrow_copy",
    "ravel",
    "repeat_interleave",
    "roll",
    "rot90",
    "row_stack",
    "select",
    "tensor_split",
    "tile",
    "tril_indices",
    "triu_indices",
    "vsplit",
]
