"""Joining tensors into one and splitting one into several: ``cat``/``stack`` and their
``hstack``/``vstack``/``row_stack``/``column_stack``/``dstack`` forms, ``atleast_1d/2d/3d``,
``meshgrid``, ``block_diag``, ``cartesian_prod`` and ``combinations``; ``split``/``chunk``/
``unbind`` (views made by one multi-output op, whose backward is a ``cat``: one module) and
``tensor_split`` with its ``hsplit``/``vsplit``/``dsplit`` forms (ordinary narrow views)."""

from __future__ import annotations

import itertools

import numpy as np

from tinytensor import _dtype as D
from tinytensor._dtype import get_default_dtype
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, share_version, wrap
from tinytensor.ops import index as I
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, one_dim
from tinytensor.ops.creation import zeros_of
from tinytensor.ops.index import getitem
from tinytensor.ops.inplace import mark_multi_output_view
from tinytensor.ops.shape import narrow, unsqueeze

__all__ = [
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "block_diag",
    "cartesian_prod",
    "cat",
    "chunk",
    "column_stack",
    "combinations",
    "dsplit",
    "dstack",
    "hsplit",
    "hstack",
    "meshgrid",
    "row_stack",
    "split",
    "stack",
    "tensor_split",
    "unbind",
    "vsplit",
    "vstack",
]


def cat(tensors, dim=0):
    """f(a, b, ...) = a, b, ... joined along ``dim``;  each input gets its slice of g"""
    tensors = [as_tensor(t, "cat") for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated; "
                "use stack, or unsqueeze it first"
            )
    dt = _common_dtype(tensors)  # the skipped empty tensors take part (as in PyTorch)
    # PyTorch allows 1-D empty tensors alongside anything.
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    ref = tensors[0]
    d = one_dim(dim, ref.ndim, "cat")
    for t in tensors[1:]:
        if t.ndim != ref.ndim or any(
            s != r for i, (s, r) in enumerate(zip(t.shape, ref.shape)) if i != d
        ):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {dim}; got shapes "
                + ", ".join(str(tuple(x.shape)) for x in tensors)
            )
    datas = [t._data for t in tensors]
    bounds = np.cumsum([t.shape[d] for t in tensors])[:-1].tolist()
    return CAT.apply(tuple(tensors), (datas, dt), (bounds, d), {"dim": d})


def _common_dtype(tensors):
    """The NumPy dtype PyTorch's type promotion gives the tensors together (as dimensioned)."""
    dt = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t._data.dtype != dt:
            dt = D.promote(D.from_numpy_dtype(dt), 1, D.from_numpy_dtype(t._data.dtype), 1).np
    return dt


def _cat_kernel(xs, dtype, dim):
    return _cat_into(None, xs, dtype, dim)


def _cat_backward(g, bounds, d):
    return tuple(_split_at(g, bounds, d))


def _cat_into(out, xs, dtype, dim):
    """The arrays joined along ``dim`` in ``dtype``, into ``out`` (a compiled replay's
    buffer; None: a new array)."""
    return np.concatenate([x.astype(dtype, copy=False) for x in xs], axis=dim, out=out)


CAT = Primitive("Cat", _cat_kernel, _cat_backward, into=_cat_into)


def _split_at(t, bounds, d):
    starts = [0] + bounds
    ends = bounds + [t.shape[d]]
    return [narrow(t, d, s, e - s) for s, e in zip(starts, ends)]


def stack(tensors, dim=0):
    """f(a, b, ...) = a, b, ... stacked along a new ``dim``"""
    tensors = [as_tensor(t, "stack") for t in tensors]
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) != 1:
        raise RuntimeError(
            f"stack: expects each tensor to be equal size, got shapes {sorted(shapes)}"
        )
    d = one_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t, d) for t in tensors], d)


def hstack(tensors):
    """Join tensors column-wise: ``cat`` along dim 1, or along dim 0 when they are 1-D.

    >>> tt.hstack([tt.tensor([1, 2]), tt.tensor([3])])
    tensor([1, 2, 3])"""
    tensors = list(atleast_1d(_nonempty(tensors, "hstack")))
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Join tensors row-wise: ``cat`` along dim 0, 1-D tensors first made rows. ``row_stack`` is the
    same.

    >>> tt.vstack([tt.tensor([1, 2]), tt.tensor([3, 4])])
    tensor([[1, 2],
            [3, 4]])"""
    return cat(list(atleast_2d(_nonempty(tensors, "vstack"))), 0)


def _nonempty(tensors, name):
    """The tensors of hstack/vstack/column_stack/dstack, refused when there are none."""
    ts = [as_tensor(t, name) for t in tensors]
    if not ts:
        raise RuntimeError(f"{name}: expects a non-empty list of tensors")
    return ts


def split(tensor, split_size_or_sections, dim=0):
    """Split along ``dim`` into views: pieces of ``split_size_or_sections`` each (the last one
    shorter if need be), or, given a list, pieces of those sizes.

    >>> tt.split(tt.arange(5), 2)
    (tensor([0, 1]), tensor([2, 3]), tensor([4]))
    >>> tt.split(tt.arange(5), [1, 4])
    (tensor([0]), tensor([1, 2, 3, 4]))"""
    a = tensor
    a = as_tensor(a, "split")
    d = one_dim(dim, a.ndim, "split")
    n = a.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step < 0 or (step == 0 and n):
            raise RuntimeError(
                f"split: split_size must be positive (0 only for a dimension of size 0), got "
                f"{step} for dim {dim} of size {n}"
            )
        # At least one piece, as in PyTorch: an empty dim gives one empty piece.
        sizes = [step] * (n // step) + ([n % step] if n % step else []) if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split: split_sizes {sizes} must all be non-negative")
        if sum(sizes) != n:
            raise RuntimeError(
                f"split: split_sizes {sizes} must sum to the size of dim {dim} ({n})"
            )
    bounds = np.cumsum(sizes)[:-1].tolist()
    return _multi_view(a, d, [0] + bounds, bounds + [n], "Split") if sizes else ()


def chunk(input, chunks, dim=0):
    """Split along ``dim`` into at most ``chunks`` views of equal size (``ceil(n / chunks)``), the
    last one shorter if need be.

    >>> tt.chunk(tt.arange(5), 3)
    (tensor([0, 1]), tensor([2, 3]), tensor([4]))"""
    a = input
    a = as_tensor(a, "chunk")
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    if not a.ndim:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor; unsqueeze it first")
    d = one_dim(dim, a.ndim, "chunk")
    if not a.shape[d]:  # an empty dim: ``chunks`` empty pieces, as in PyTorch
        return _multi_view(a, d, [0] * chunks, [0] * chunks, "Split")
    return split(a, -(-a.shape[d] // chunks), d)


def unbind(input, dim=0):
    """The slices along ``dim``, as a tuple of views with that dim removed.

    >>> tt.unbind(tt.tensor([[1, 2], [3, 4]]))
    (tensor([1, 2]), tensor([3, 4]))"""
    a = input
    a = as_tensor(a, "unbind")
    d = one_dim(dim, a.ndim, "unbind")
    n = a.shape[d]
    return _multi_view(a, d, list(range(n)), list(range(1, n + 1)), "Unbind", squeeze=True)


def _multi_view(a, d, starts, ends, name, squeeze=False):
    """f(a) = (a[s0:e0], a[s1:e1], ...) along ``d``, views of ``a`` made by one op;
    da = the gradients of the pieces, side by side (zeros for a piece that got none).

    As in PyTorch, the views of a function that returns several views may not be changed in
    place while they take part in the graph, and the node saves ``a``: changing ``a`` or any
    of the pieces (they share its version counter) before backward is an error.
    """
    prim = UNBIND if squeeze else SPLIT
    starts, ends = tuple(starts), tuple(ends)
    outs = []
    for arr in prim.compute((a,), (a._data, d, starts, ends, squeeze)):
        out = wrap(arr)
        share_version(out, a)
        outs.append(out)
    outs = tuple(outs)
    if outs and grad_state.enabled and a._requires_grad:
        saved = (a, d, starts, ends, squeeze)
        sizes = tuple(e - s for s, e in zip(starts, ends))
        attrs = {"dim": d, "split_sizes": sizes, "squeeze": squeeze}
        prim.record(outs, (a,), saved, attrs)
        for out in outs:
            mark_multi_output_view(out, a)
    return outs


def _multi_view_kernel(x, dim, starts, ends, squeeze):
    pre = (slice(None),) * dim
    if squeeze:  # the trailing ... keeps a 0-d piece a view, as in PyTorch
        return tuple([x[pre + (s, Ellipsis)] for s in starts])
    return tuple([x[pre + (slice(s, e),)] for s, e in zip(starts, ends)])


def _multi_view_backward(gs, a, d, starts, ends, squeeze):
    pieces = []
    for g, s, e in zip(gs, starts, ends):
        shape = a._data.shape[:d] + (e - s,) + a._data.shape[d + 1 :]
        if g is None:
            g = zeros_of(shape, a._data.dtype)
        pieces.append(g.reshape(shape) if squeeze else g)
    return (cat(pieces, d),)


SPLIT = Primitive("Split", _multi_view_kernel, _multi_view_backward, multi=True)


UNBIND = Primitive("Unbind", _multi_view_kernel, _multi_view_backward, multi=True)


row_stack = vstack


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
    _same_dtype(ts, "meshgrid")
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


def _same_dtype(ts, name):
    if len({t._data.dtype for t in ts}) > 1:
        raise RuntimeError(
            f"{name}: expects all tensors to have the same dtype, got "
            f"{[str(t.dtype) for t in ts]}; convert them with .to(dtype) first"
        )


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
    ts = _nonempty(tensors, "column_stack")
    ts = [S.reshape(t, (-1, 1)) if t.ndim <= 1 else t for t in ts]
    return cat(ts, 1)


def dstack(tensors):
    """Tensors stacked depthwise (along dim 2, after atleast_3d)."""
    return cat(list(atleast_3d(_nonempty(tensors, "dstack"))), 2)


def tensor_split(input, indices_or_sections, dim=0):
    """Views of ``a`` split along dim into n near-equal parts (the first ones one longer), or
    at the given indices."""
    a = as_tensor(input, "tensor_split")
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


def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for a 1-D tensor); sections must divide evenly."""
    a = as_tensor(input, "hsplit")
    return _split_dir(a, indices_or_sections, 1 if a.ndim > 1 else 0, 1, "hsplit")


def vsplit(input, indices_or_sections):
    """tensor_split along dim 0 of a tensor with at least 2 dims."""
    a = input
    return _split_dir(a, indices_or_sections, 0, 2, "vsplit")


def dsplit(input, indices_or_sections):
    """tensor_split along dim 2 of a tensor with at least 3 dims."""
    a = input
    return _split_dir(a, indices_or_sections, 2, 3, "dsplit")


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (itertools.product)"""
    ts = [as_tensor(t, "cartesian_prod") for t in tensors]
    if not ts or any(t.ndim != 1 for t in ts):
        raise RuntimeError(
            f"cartesian_prod: expected 1-D tensors, got shapes {[tuple(t.shape) for t in ts]}"
        )
    _same_dtype(ts, "cartesian_prod")
    if len(ts) == 1:
        return ts[0]
    grids = np.meshgrid(*[np.arange(t.shape[0]) for t in ts], indexing="ij")
    # Row positions from the shapes alone: constants of a compiled program.
    cols = [getitem(t, wrap(I.const_array(g.reshape(-1)))) for t, g in zip(ts, grids)]
    return stack(cols, 1)


def block_diag(*tensors):
    """f(A, B, ...) = the block-diagonal matrix with blocks A, B, ... (0-d and 1-d as rows)"""
    ts = [as_tensor(t, "block_diag") for t in tensors]
    if any(t.ndim > 2 for t in ts):
        raise RuntimeError(
            "block_diag: input tensors must have 2 or fewer dimensions, got shapes "
            f"{[tuple(t.shape) for t in ts]}"
        )
    if not ts:
        return zeros_of((1, 0), get_default_dtype().np)
    mats = [S.reshape(t, (1, -1)) if t.ndim < 2 else t for t in ts]
    dtype = _common_dtype(ts)
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        m = m.to(wrap(np.zeros((), dtype)).dtype) if m._data.dtype != dtype else m
        r, c = m.shape
        lo = zeros_of((r, left), dtype)
        hi = zeros_of((r, width - left - c), dtype)
        rows.append(cat([lo, m, hi], 1))
        left += c
    return cat(rows, 0)


def combinations(input, r=2, with_replacement=False):  # noqa: A002
    """f(a) = the length-r combinations of a's elements, as rows (itertools.combinations)"""
    a = as_tensor(input, "combinations")
    if a.ndim != 1:
        raise RuntimeError(f"combinations: expect a 1-D vector, got shape {tuple(a.shape)}")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)):
        raise TypeError(f"combinations: r must be an int, got {type(r).__name__} {r!r}")
    if r < 0:
        raise RuntimeError(f"combinations: r must be a non-negative int, got {r!r}")
    if r == 0:
        return zeros_of((0,), a._data.dtype)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(a.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return I.getitem(a, wrap(I.const_array(idx)))  # positions from the size alone: a constant
