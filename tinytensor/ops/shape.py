"""Shape operations: views, joins, splits, padding, flips, repeats, triangles."""

from __future__ import annotations

import builtins
import math

import numpy as np

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, share_version, shares_version, wrap
from tinytensor.ops._util import as_tensor, binary, norm_dim, one_dim
from tinytensor.ops.creation import zeros_of
from tinytensor.ops.gather import index_add, index_select
from tinytensor.ops.index import const_array, getitem
from tinytensor.ops.inplace import mark_multi_output_view
from tinytensor.ops.inplace import register_view as _register_view


def _view(arr, a):
    """Wrap ``arr``; if it shares memory with ``a`` it shares ``a``'s version counter too."""
    out = wrap(arr)
    if arr.base is not None and np.may_share_memory(arr, a._data):
        share_version(out, a)
    return out


def _is_view(out, a):
    # Views are remembered only in grad mode, where an in-place change must rewrite histories.
    return grad_state.enabled and shares_version(out, a)


def _sizes(args, name):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for s in args:
        if isinstance(s, TensorBase):
            s = int(s.item())
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{name}: sizes must be ints, got {args!r}")
        out.append(int(s))
    return tuple(out)


def reshape(input, *shape):
    """f(a) = a viewed with a new shape;  da = g reshaped back"""
    a = input
    a = as_tensor(a, "reshape")
    shape = _sizes(shape, "reshape")
    if any(s < -1 for s in shape):
        # NumPy takes any negative size as "infer this one"; PyTorch only -1.
        raise RuntimeError(
            f"reshape: invalid shape dimension in {list(shape)}; sizes must be >= 0, or -1 for "
            f"the one inferred from the input of shape {tuple(a.shape)}"
        )
    try:
        arr = RESHAPE.compute((a,), (a._data, shape))
    except ValueError:
        raise RuntimeError(
            f"reshape: shape {list(shape)} is invalid for input of size {a._data.size} "
            f"(shape {tuple(a.shape)})"
        ) from None
    old = a._data.shape
    out = _view(arr, a)
    if _is_view(out, a):
        _register_view(out, a, lambda b: reshape(b, shape), lambda v, b: reshape(v, old))
    return RESHAPE.record(out, (a,), (old,))


def _reshape_kernel(x, shape):
    return x.reshape(shape)


def _reshape_backward(g, old):
    return (g.reshape(old),)


RESHAPE = Primitive("Reshape", _reshape_kernel, _reshape_backward)


def view(a, *shape):
    """Same as reshape (tinytensor has no strides of its own to keep contiguous)."""
    out = reshape(a, *shape)
    if out._grad_fn is not None:
        out._grad_fn._name = "View"
    return out


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim`` to ``end_dim`` (both included) into one; a view when it can be.
    A 0-d tensor becomes shape ``(1,)``.

    >>> tt.flatten(tt.zeros(2, 3, 4), 1).shape
    tinytensor.Size([2, 12])"""
    a = input
    a = as_tensor(a, "flatten")
    if a.ndim == 0:
        return reshape(a, 1)
    s = one_dim(start_dim, a.ndim, "flatten")
    e = one_dim(end_dim, a.ndim, "flatten")
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shp = a.shape
    return reshape(a, shp[:s] + (int(np.prod(shp[s : e + 1])),) + shp[e + 1 :])


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one of them may be -1, inferred); the inverse of
    ``flatten``.

    >>> tt.unflatten(tt.zeros(2, 12), 1, (3, -1)).shape
    tinytensor.Size([2, 3, 4])"""
    a = input
    a = as_tensor(a, "unflatten")
    d = one_dim(dim, a.ndim, "unflatten")
    sizes = list(sizes)
    if sizes.count(-1) == 1:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes[sizes.index(-1)] = a.shape[d] // known if known else 0
    if int(np.prod(sizes)) != a.shape[d]:
        raise RuntimeError(
            f"unflatten: sizes {tuple(sizes)} don't multiply up to the size of dim {dim} "
            f"({a.shape[d]}) of a tensor of shape {tuple(a.shape)}"
        )
    return reshape(a, a.shape[:d] + tuple(sizes) + a.shape[d + 1 :])


def squeeze(input, dim=None):
    """Drop dims of size 1: all of them, or those of ``dim`` (an int or a tuple) that have size 1.
    A view of ``input``.

    >>> tt.squeeze(tt.zeros(2, 1, 3)).shape
    tinytensor.Size([2, 3])"""
    a = input
    a = as_tensor(a, "squeeze")
    if dim is None:
        shape = tuple(s for s in a.shape if s != 1)
    else:
        dims = norm_dim(dim, a.ndim, "squeeze")
        shape = tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1))
    return reshape(a, shape)


def unsqueeze(input, dim):
    """Insert a dim of size 1 at position ``dim`` (``-1`` appends it). A view of ``input``.

    >>> tt.unsqueeze(tt.zeros(2, 3), 0).shape
    tinytensor.Size([1, 2, 3])"""
    a = input
    a = as_tensor(a, "unsqueeze")
    d = one_dim(dim, a.ndim + 1, "unsqueeze")
    return reshape(a, a.shape[:d] + (1,) + a.shape[d:])


def permute(input, *dims):
    """f(a) = a with axes reordered;  da = g with the inverse order"""
    a = input
    a = as_tensor(a, "permute")
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if len(dims) != a.ndim:
        raise RuntimeError(
            f"permute: number of dims {len(dims)} doesn't match the tensor's {a.ndim} "
            f"dimensions (shape {tuple(a.shape)})"
        )
    axes = tuple(one_dim(d, a.ndim, "permute") for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"permute: repeated dim in {dims}")
    inv = tuple([axes.index(i) for i in range(len(axes))])
    attrs = {"dims": axes}
    out = _view(PERMUTE.compute((a,), (a._data,), attrs), a)
    if _is_view(out, a):
        _register_view(out, a, lambda b: permute(b, axes), lambda v, b: permute(v, inv))
    return PERMUTE.record(out, (a,), (inv,), attrs)


def _permute_kernel(x, dims):
    return x.transpose(dims)


def _permute_backward(g, inv):
    return (permute(g, inv),)


PERMUTE = Primitive("Permute", _permute_kernel, _permute_backward)


def transpose(input, dim0, dim1):
    """Swap dims ``dim0`` and ``dim1``; a view. ``swapaxes`` and ``swapdims`` are the same.

    >>> tt.transpose(tt.zeros(2, 3, 4), 0, 2).shape
    tinytensor.Size([4, 3, 2])"""
    a = input
    a = as_tensor(a, "transpose")
    n = a.ndim
    if n == 0:
        return a
    d0, d1 = one_dim(dim0, n, "transpose"), one_dim(dim1, n, "transpose")
    axes = list(range(n))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return permute(a, axes)


swapaxes = transpose


def movedim(input, source, destination):
    """Move dim(s) ``source`` to position(s) ``destination``, keeping the other dims in order; a
    view. ``moveaxis`` is the same.

    >>> tt.movedim(tt.zeros(2, 3, 4), 0, -1).shape
    tinytensor.Size([3, 4, 2])"""
    a = input
    a = as_tensor(a, "movedim")
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: source {source!r} and destination {destination!r} must name as many dims"
        )
    src = [one_dim(d, a.ndim, "movedim") for d in src]
    dst = [one_dim(d, a.ndim, "movedim") for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in {source!r} or {destination!r}")
    # The dims that stay keep their order; each moved dim is slotted in at its destination.
    order = [d for d in range(a.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(a, order)


def expand(a, *sizes):
    """f(a) = a broadcast to ``sizes`` (-1 keeps a size);  da = g summed back (by the engine)"""
    a = as_tensor(a, "expand")
    return broadcast_to(a, _sizes(sizes, "expand"))


def _expanded_shape(a, sizes):
    """``sizes`` with each -1 replaced by ``a``'s size in that dim (dims align on the right), as
    PyTorch's expand and broadcast_to read it; -1 in a new leading dim is an error."""
    lead = len(sizes) - a.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes ({len(sizes)}) must be at least the tensor's number of "
            f"dimensions ({a.ndim}): can't broadcast shape {tuple(a.shape)} to {sizes}"
        )
    if -1 not in sizes:
        return sizes
    for i in range(lead):
        if sizes[i] == -1:
            raise RuntimeError(
                f"expand: the size -1 isn't allowed in a leading, non-existing dimension {i} "
                f"(sizes {sizes} for a tensor of shape {tuple(a.shape)})"
            )
    return tuple(a.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))


def broadcast_to(input, shape):
    """``input`` broadcast to ``shape`` (each size must match or be 1), a view without copying,
    as ``expand`` (read-only where elements repeat). Its gradient sums over the broadcast dims.
    A size of -1 keeps the size of that dim of ``input`` (not allowed in a new leading dim).

    >>> tt.broadcast_to(tt.tensor([1, 2, 3]), (2, 3))
    tensor([[1, 2, 3],
            [1, 2, 3]])
    >>> tt.broadcast_to(tt.zeros(3, 1), (2, -1, 4)).shape
    tinytensor.Size([2, 3, 4])"""
    a = input
    a = as_tensor(a, "broadcast_to")
    shape = _sizes((shape,) if not isinstance(shape, int) else (shape,), "broadcast_to")
    shape = _expanded_shape(a, shape)
    src = a._data.shape
    lead = len(shape) - len(src)
    if any(s < 0 for s in shape) or any(n != 1 and n != shape[lead + i] for i, n in enumerate(src)):
        raise RuntimeError(
            f"expand: the shape {tuple(a.shape)} cannot be broadcast to {shape}; each size must "
            "match or be 1"
        )
    if math.prod(shape) == a._data.size:
        # Nothing is repeated (only size-1 dims added or kept): an ordinary, writable view,
        # as in PyTorch, where only a stretched expand refuses in-place writes.
        return reshape(a, shape)
    out = _view(EXPAND.compute((a,), (a._data, shape)), a)
    if _is_view(out, a):
        # NumPy's broadcast view is read-only, so it is never written through (no put_fn).
        _register_view(out, a, lambda b: broadcast_to(b, shape), None)
    return EXPAND.record(out, (a,))


def _expand_kernel(x, shape):
    return np.broadcast_to(x, shape)


def _same_backward(g):
    # For expand, the engine sums the gradient back over the broadcast axes.
    return (g,)


EXPAND = Primitive("Expand", _expand_kernel, _same_backward)


def broadcast_tensors(*tensors):
    """The given tensors broadcast against each other to one common shape (a tuple of views).

    >>> a, b = tt.broadcast_tensors(tt.zeros(3, 1), tt.zeros(1, 4))
    >>> a.shape, b.shape
    (tinytensor.Size([3, 4]), tinytensor.Size([3, 4]))"""
    shapes = [as_tensor(t, "broadcast_tensors").shape for t in tensors]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(
            "broadcast_tensors: shapes " + ", ".join(str(tuple(s)) for s in shapes) + " do not "
            "broadcast together; each dim must match or be 1"
        ) from None
    return tuple(broadcast_to(t, shape) for t in tensors)


def clone(input):
    """f(a) = a (a copy);  da = g"""
    a = input
    a = as_tensor(a, "clone")
    return CLONE.apply((a,), (a._data,))


def _clone_kernel(x):
    return x.copy()


CLONE = Primitive("Clone", _clone_kernel, _same_backward)


def copy_like(dst, src):
    """The values of ``src`` broadcast to ``dst``'s shape and dtype (the math of ``copy_``)."""
    shape, dtype = dst._data.shape, dst._data.dtype
    if isinstance(src, TensorBase):
        src_dtype = src._data.dtype
        src_dtype_ok = src_dtype.kind == "f" and dtype.kind == "f"
        saved = (src_dtype if src_dtype_ok else None,)
        try:
            return COPY.apply((dst, src), (src._data, shape, dtype), saved)
        except ValueError:
            raise RuntimeError(
                f"copy_: source of shape {tuple(src.shape)} cannot be broadcast to the "
                f"destination's shape {tuple(dst.shape)}"
            ) from None
    return FILL.apply((), (src, shape, dtype))


def _copy_kernel(src, shape, dtype):
    return np.broadcast_to(src, shape).astype(dtype)


def _copy_backward(g, src_dtype):
    # The old values of dst are overwritten: their gradient is zero (PyTorch gives zeros too).
    zeros = zeros_of(g._data.shape, g._data.dtype)
    return (zeros, None if src_dtype is None else g.to(src_dtype))


COPY = Primitive("Copy", _copy_kernel, _copy_backward)


def _fill_kernel(value, shape, dtype):
    return np.full(shape, value, dtype=dtype)


FILL = Primitive("Fill", _fill_kernel)  # a number copied everywhere: no gradient


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
    dt = datas[0].dtype
    for t in tensors[1:]:
        if t._data.dtype != dt:
            dt = binary(wrap(np.zeros((1,), dt)), t, "cat")[2].dtype
    bounds = np.cumsum([t.shape[d] for t in tensors])[:-1].tolist()
    return CAT.apply(tuple(tensors), (datas, dt), (bounds, d), {"dim": d})


def _cat_kernel(xs, dtype, dim):
    return np.concatenate([x.astype(dtype, copy=False) for x in xs], axis=dim)


def _cat_backward(g, bounds, d):
    return tuple(_split_at(g, bounds, d))


CAT = Primitive("Cat", _cat_kernel, _cat_backward)


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
    tensors = [as_tensor(t) for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Join tensors row-wise: ``cat`` along dim 0, 1-D tensors first made rows. ``row_stack`` is the
    same.

    >>> tt.vstack([tt.tensor([1, 2]), tt.tensor([3, 4])])
    tensor([[1, 2],
            [3, 4]])"""
    return cat([t if t.ndim > 1 else unsqueeze(t, 0) for t in map(as_tensor, tensors)], 0)


def narrow(input, dim, start, length):
    """f(a) = a[..., start:start+length, ...] along ``dim``"""
    a = input
    d = one_dim(dim, a.ndim, "narrow")
    size = a.shape[d]
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        # A plain slice would silently clip; PyTorch refuses.
        raise RuntimeError(
            f"narrow: start {start} and length {length} do not fit in dim {dim} of size {size} "
            f"(shape {tuple(a.shape)}); need 0 <= start and start + length <= {size}"
        )
    idx = (slice(None),) * d + (slice(start, start + length),)
    return getitem(a, idx)


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
        if step <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [step] * (n // step) + ([n % step] if n % step else [])
    else:
        sizes = [int(s) for s in split_size_or_sections]
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
    d = one_dim(dim, a.ndim, "chunk")
    step = -(-a.shape[d] // chunks) if a.shape[d] else 1
    return split(a, builtins.max(step, 1), d)


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


def pad(a, pad, mode="constant", value=None):
    """f(a) = a padded; ``pad`` lists (left, right) pairs from the last dim backwards, as in
    PyTorch. Constant padding's gradient is the slice of g; the other modes gather indices.
    Negative pads crop; reflect and replicate may crop more than a side holds as long as the
    result keeps at least one element (as PyTorch)."""
    a = as_tensor(a, "pad")
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > a.ndim:
        raise RuntimeError(
            f"pad: padding length must be even and at most 2*ndim ({2 * a.ndim}), got {len(pad)}"
        )
    if mode != "constant" and value not in (None, 0):
        raise RuntimeError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
    value = 0.0 if value is None else value
    n = len(pad) // 2
    widths = [(0, 0)] * (a.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(mode)
    if np_mode is None and mode != "constant":
        raise NotImplementedError(  # PyTorch's class for an unknown mode
            f"pad: unrecognised padding mode {mode!r}; use 'constant', 'reflect', 'replicate' "
            "or 'circular'"
        )
    for axis, ((lo, hi), size) in enumerate(zip(widths, a.shape)):
        if mode in ("reflect", "replicate"):  # the index map crops after padding: any split
            if size + lo + hi < 1:
                raise RuntimeError(
                    f"pad: input (size {size} in dim {axis}) is too small for {mode} padding "
                    f"({lo}, {hi}): calculated output size {size + lo + hi}"
                )
        elif size + builtins.min(lo, 0) + builtins.min(hi, 0) < (0 if mode == "constant" else 1):
            raise RuntimeError(
                f"pad: padding ({lo}, {hi}) of dim {axis} crops more than its size {size}; "
                "use smaller negative pads"
            )
    if mode in ("constant", "circular") and any(lo < 0 or hi < 0 for lo, hi in widths):
        # Negative padding crops first, then the rest pads (PyTorch's order for these modes).
        idx = tuple(
            slice(-lo if lo < 0 else 0, (s + hi) if hi < 0 else None)
            for (lo, hi), s in zip(widths, a.shape)
        )
        a = getitem(a, idx)
        widths = [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in widths]
    if mode == "constant":
        crop = tuple(slice(lo, lo + s) for (lo, _), s in zip(widths, a.shape))
        attrs = {"pads": tuple(widths), "value": value}
        return CONSTANT_PAD.apply((a,), (a._data,), (crop,), attrs)
    for axis, (lo, hi) in enumerate(widths):
        if mode == "reflect" and (lo >= a.shape[axis] or hi >= a.shape[axis]):
            raise RuntimeError(
                f"pad: reflect padding ({lo}, {hi}) must be smaller than the input size "
                f"{a.shape[axis]} of dim {axis}"
            )
        if mode == "circular" and (lo > a.shape[axis] or hi > a.shape[axis]):
            raise RuntimeError(
                f"pad: circular padding ({lo}, {hi}) wraps around more than once; it must be at "
                f"most the input size {a.shape[axis]} of dim {axis}"
            )
    # Output position j of an axis reads input position j - lo, reflected, clamped or wrapped
    # into the input; negative widths just drop the first or last positions of that map.
    idx = tuple(
        wrap(const_array(_pad_map(size, lo, hi, np_mode))) if (lo, hi) != (0, 0) else None
        for size, (lo, hi) in zip(a.shape, widths)
    )
    if mode == "circular":
        # PyTorch builds circular padding from other ops and saves no input: so do we.
        out = a
        for axis, i in enumerate(idx):
            if i is not None:
                out = index_select(out, axis, i)
        return out
    # Reflection and replication padding save their input in PyTorch (changing it in place
    # afterwards is an error); the gradient adds g back at the gathered indices.
    prim = REFLECTION_PAD if mode == "reflect" else REPLICATION_PAD
    # attrs: the index map of each axis (None where unpadded), the constants an exporter gathers by
    attrs = {"pads": tuple(widths), "mode": mode, "maps": idx}
    maps = tuple([None if i is None else i._data for i in idx])
    return prim.apply((a,), (a._data, maps), (a, idx), None, attrs)


def _constant_pad_kernel(x, pads, value):
    return np.pad(x, pads, mode="constant", constant_values=value)


def _gather_pad_kernel(x, maps):
    out = x
    for axis, i in enumerate(maps):
        if i is not None:
            out = np.take(out, i, axis=axis)
    return x.copy() if out is x else out


def _pad_map(size, lo, hi, np_mode):
    """Input index read by each output position of one padded (or cropped) axis."""
    src = np.pad(np.arange(size), (builtins.max(lo, 0), builtins.max(hi, 0)), mode=np_mode)
    return src[builtins.max(-lo, 0) : len(src) - builtins.max(-hi, 0)]


def _gather_pad_backward(g, a, idx):
    for axis in reversed(range(len(idx))):
        if idx[axis] is not None:
            shape = g._data.shape[:axis] + (a._data.shape[axis],) + g._data.shape[axis + 1 :]
            g = index_add(zeros_of(shape, g._data.dtype), axis, idx[axis], g)
    return (g,)


def _constant_pad_backward(g, crop):
    return (g[crop],)


CONSTANT_PAD = Primitive("ConstantPad", _constant_pad_kernel, _constant_pad_backward)
REFLECTION_PAD = Primitive("ReflectionPad", _gather_pad_kernel, _gather_pad_backward)
REPLICATION_PAD = Primitive("ReplicationPad", _gather_pad_kernel, _gather_pad_backward)
