"""Views: ``reshape``/``view``/``flatten``/``unflatten``/``ravel``, ``squeeze``/``unsqueeze``,
``permute``/``transpose``/``movedim``, ``expand``/``broadcast_to``/``broadcast_tensors``,
``narrow``/``select``: each result shares its input's storage and version counter, and in grad
mode is registered as a view (``_view``, ``_register_view``), so an in-place change rewrites its
history. Also the copies ``clone`` and ``narrow_copy``, and ``copy_like`` (the math of ``copy_``).

Joining and splitting is ops/join.py; flips, rolls, repeats, triangles and ``unfold``
ops/rearrange.py; padding ops/pad.py."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, share_version, shares_version, wrap
from tinytensor.ops import index as I
from tinytensor.ops._util import as_tensor, norm_dim, one_dim
from tinytensor.ops.creation import zeros_of
from tinytensor.ops.index import getitem
from tinytensor.ops.inplace import register_view as _register_view

__all__ = [
    "broadcast_tensors",
    "broadcast_to",
    "clone",
    "expand",
    "flatten",
    "moveaxis",
    "movedim",
    "narrow",
    "narrow_copy",
    "permute",
    "ravel",
    "reshape",
    "select",
    "squeeze",
    "swapaxes",
    "transpose",
    "unflatten",
    "unsqueeze",
    "view",
]


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


def reshape(input, shape=(), *sizes):
    """f(a) = a viewed with a new shape;  da = g reshaped back. ``shape`` is a tuple, or the
    first of the sizes given one by one (``reshape(a, 2, 3)``, as the method takes them)."""
    a = as_tensor(input, "reshape")
    shape = _sizes((shape, *sizes), "reshape")
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
    return _reshape_into(None, x, shape)


def _reshape_backward(g, old):
    return (g.reshape(old),)


def _reshape_into(out, x, shape):
    """x's elements in C order in the new ``shape``: into ``out`` (a compiled replay pools
    only a reshape that copies), or where that is None (the kernel), NumPy's reshape: a view
    where the layout allows one, else that copy."""
    if out is None:
        return x.reshape(shape)
    np.copyto(out.reshape(x.shape), x)
    return out


RESHAPE = Primitive("Reshape", _reshape_kernel, _reshape_backward, into=_reshape_into)


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


def permute(input, dims=(), *more):
    """f(a) = a with axes reordered;  da = g with the inverse order. ``dims`` is a tuple, or the
    first of the dims given one by one (``permute(a, 1, 0)``, as the method takes them)."""
    a = as_tensor(input, "permute")
    dims = (dims, *more) if more or not isinstance(dims, (tuple, list)) else tuple(dims)
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
    """Swap dims ``dim0`` and ``dim1``; a view. ``swapdims`` is the same, ``swapaxes`` too
    under NumPy's argument names.

    >>> tt.transpose(tt.zeros(2, 3, 4), 0, 2).shape
    tinytensor.Size([4, 3, 2])"""
    a = input
    a = as_tensor(a, "transpose")
    n = a.ndim
    if n == 0:  # dims 0 and -1 name the 0-d tensor itself; others are out of range
        one_dim(dim0, 0, "transpose"), one_dim(dim1, 0, "transpose")
        return a
    d0, d1 = one_dim(dim0, n, "transpose"), one_dim(dim1, n, "transpose")
    axes = list(range(n))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return permute(a, axes)


def swapaxes(input, axis0, axis1):
    """``transpose(input, axis0, axis1)``, under ``torch.swapaxes``'s argument names."""
    return transpose(input, axis0, axis1)


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
    if not a.ndim:  # a 0-d tensor: dim 0 (or -1) to itself, a view of it (as PyTorch)
        return permute(a, ())
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


def broadcast_to(input, size):
    """``input`` broadcast to ``shape`` (each size must match or be 1), a view without copying,
    as ``expand`` (read-only where elements repeat). Its gradient sums over the broadcast dims.
    A size of -1 keeps the size of that dim of ``input`` (not allowed in a new leading dim).

    >>> tt.broadcast_to(tt.tensor([1, 2, 3]), (2, 3))
    tensor([[1, 2, 3],
            [1, 2, 3]])
    >>> tt.broadcast_to(tt.zeros(3, 1), (2, -1, 4)).shape
    tinytensor.Size([2, 3, 4])"""
    shape = size
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


def narrow(input, dim, start, length):
    """f(a) = a[..., start:start+length, ...] along ``dim``"""
    a = as_tensor(input, "narrow")
    if not a.ndim:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor; unsqueeze it first")
    d = one_dim(dim, a.ndim, "narrow")
    size = a.shape[d]
    if not -size <= start <= size:
        raise IndexError(
            f"narrow: start {start} is out of range for dim {dim} of size {size} (expected "
            f"{-size} <= start <= {size})"
        )
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


moveaxis = movedim


def select(input, dim, index):
    """The view ``a[..., index, ...]`` with ``dim`` removed."""
    a = as_tensor(input, "select")
    if a.ndim == 0:
        raise IndexError("select(): cannot be applied to a 0-d tensor")
    d = one_dim(dim, a.ndim, "select")
    n = a.shape[d]
    if not isinstance(index, (int, np.integer)) or not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(a.shape)} at "
            f"dimension {d}"
        )
    return I.getitem(a, (slice(None),) * d + (int(index),))


def narrow_copy(input, dim, start, length):
    """A copy of ``narrow(a, dim, start, length)``."""
    return clone(narrow(as_tensor(input, "narrow_copy"), dim, start, length))


def ravel(input):  # noqa: A002 - PyTorch's argument name
    """f(a) = a flattened to 1-D (a view when it can be)"""
    return reshape(as_tensor(input, "ravel"), -1)
