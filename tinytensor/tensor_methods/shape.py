"""Shape ops as ``Tensor`` methods beside their in-place forms (``diag``, ``roll``, ``rot90``,
``unfold``, ``tile``, ``tensor_split``, ``select``, ``narrow``, ``t_``/``transpose_``/
``squeeze_``/``unsqueeze_``, ``tril_``/``triu_``, the unsafe splits, ``sum_to_size``...). Each is
one call into ``tinytensor.ops.shape``, ``join`` or ``rearrange`` (``diag``/``diagflat``:
``ops.linalg.legacy``); the view methods themselves are ``Tensor``'s own (tensor.py)."""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.core import (
    TensorBase,
    replace_storage,
    share_version,
    wrap,
)
from tinytensor.ops import creation as C
from tinytensor.ops import join as J
from tinytensor.ops import rearrange as RA
from tinytensor.ops import reduce as R
from tinytensor.ops import shape as S
from tinytensor.ops.inplace import inplace
from tinytensor.ops.linalg import legacy as LL

# The hot ops, bound once: a method pays no module-attribute lookup.
_reshape = S.reshape
_squeeze = S.squeeze
_unsqueeze = S.unsqueeze
_transpose = S.transpose
_permute = S.permute


def _one_form(args, value, keyword, name):
    """The sizes given one by one (``args``: PyTorch's ``*size`` form) or as ``keyword=value``
    (its ``size: Sequence`` form), as the op takes them; both at once is PyTorch's TypeError."""
    if value is None:
        return args
    if args:
        raise TypeError(
            f"{name}() got {keyword} twice: positionally as {args!r} and as the keyword "
            f"{keyword}={value!r}; pass one of them"
        )
    return (value,)


def one_value(args, value, keyword, name):
    """PyTorch's ``*dims`` form folded into the one argument the op takes: ``keyword=value``
    or the single positional one as given, several positional ones as their tuple."""
    args = _one_form(args, value, keyword, name)
    if not args:
        return None
    return args[0] if len(args) == 1 else tuple(args)


def _split_points(args, sections, indices, name):
    """``hsplit``'s argument: ``sections`` (an int), ``indices`` (a list) or the indices one by
    one, exactly one of them, as PyTorch's overloads take it."""
    if (sections is not None) + (indices is not None) + bool(args) != 1:
        raise TypeError(f"{name}() takes one of: sections (an int), indices (a list of ints) or "
                        f"the indices one by one; got {args!r}, sections={sections!r}, "
                        f"indices={indices!r}")  # fmt: skip
    if sections is not None and not isinstance(sections, (int, np.integer)):
        raise TypeError(f"{name}(): sections must be an int, got {sections!r}; pass a list of "
                        "split points as indices=")  # fmt: skip
    if indices is not None:
        return list(indices)
    if args:
        return args[0] if len(args) == 1 else list(args)
    return sections


class ShapeMethods:
    __slots__ = ()

    def tril_(self, diagonal=0):
        return inplace(self, lambda s: RA.tril(s, diagonal), "tril_")

    def triu_(self, diagonal=0):
        return inplace(self, lambda s: RA.triu(s, diagonal), "triu_")

    # Shape changes in place: PyTorch changes the tensor's metadata; here the tensor's array
    # is replaced by a reshaped view of itself (same storage), outside any recorded graph.
    def _set_shape(self, arr, name):
        if self._requires_grad:
            raise RuntimeError(
                f"{name}: changing the shape in place of a tensor that requires grad is not "
                "supported; use the out-of-place form"
            )
        replace_storage(self, arr, name)
        return self

    def t_(self):
        return self._set_shape(self.t()._data, "t_")

    def transpose_(self, dim0, dim1):
        return self._set_shape(S.transpose(self, dim0, dim1)._data, "transpose_")

    def swapaxes_(self, axis0, axis1):
        return self.transpose_(axis0, axis1)

    def swapdims_(self, dim0, dim1):
        return self.transpose_(dim0, dim1)

    @numpy_aliases
    def squeeze_(self, *args, dim=None):
        dim = one_value(args, dim, "dim", "squeeze_")
        return self._set_shape(S.squeeze(self, dim)._data, "squeeze_")

    @numpy_aliases
    def unsqueeze_(self, dim):
        return self._set_shape(S.unsqueeze(self, dim)._data, "unsqueeze_")

    def swapaxes(self, axis0, axis1):
        return S.transpose(self, axis0, axis1)

    def swapdims(self, dim0, dim1):
        return S.transpose(self, dim0, dim1)

    @numpy_aliases
    def split_with_sizes(self, split_sizes, dim=0):
        return J.split(self, list(split_sizes), dim)

    @numpy_aliases
    def unsafe_split(self, split_size, dim=0):
        return J.split(self, split_size, dim)

    @numpy_aliases
    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        return J.split(self, list(split_sizes), dim)

    @numpy_aliases
    def unsafe_chunk(self, chunks, dim=0):
        return J.chunk(self, chunks, dim)

    def sum_to_size(self, *sizes, size=None):
        """Sum over the dims that ``size`` broadcasts: the reverse of ``expand``."""
        shape = C.shape_args(sizes, "sum_to_size", size)
        try:
            ok = tuple(np.broadcast_shapes(shape, self.shape)) == tuple(self.shape)
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"sum_to_size: size {list(shape)} is not expandable to size "
                               f"{list(self.shape)}")  # fmt: skip
        lead = self.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and self.shape[lead + i] != 1
        )
        out = R.sum(self, dims, True) if dims else self
        return out.reshape(shape)

    def diag(self, diagonal=0):
        return LL.diag(self, diagonal)

    def diagflat(self, offset=0):
        return LL.diagflat(self, offset)

    def roll(self, shifts, dims=()):
        """``dims`` empty (the default) rolls the flattened tensor, as ``dims=None`` does."""
        return RA.roll(self, shifts, None if isinstance(dims, (tuple, list)) and not dims else dims)

    def rot90(self, k=1, dims=(0, 1)):
        return RA.rot90(self, k, dims)

    @numpy_aliases
    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return RA.repeat_interleave(self, repeats, dim, output_size=output_size)

    def unfold(self, dimension, size, step):
        return RA.unfold(self, dimension, size, step)

    def tile(self, *args, dims=None):
        args = _one_form(args, dims, "dims", "tile")
        return RA.tile(self, args[0] if len(args) == 1 and not isinstance(args[0], int) else args)

    @numpy_aliases
    def tensor_split(self, indices_or_sections, dim=0):
        return J.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, *args, sections=None, indices=None):
        """``hsplit(n)``/``hsplit(sections=n)``: n equal parts; ``hsplit([i, j])``,
        ``hsplit(i, j)`` or ``hsplit(indices=[i, j])``: split before those indices."""
        return J.hsplit(self, _split_points(args, sections, indices, "hsplit"))

    def vsplit(self, *args, sections=None, indices=None):
        """As ``hsplit``, along dim 0."""
        return J.vsplit(self, _split_points(args, sections, indices, "vsplit"))

    def dsplit(self, *args, sections=None, indices=None):
        """As ``hsplit``, along dim 2."""
        return J.dsplit(self, _split_points(args, sections, indices, "dsplit"))

    def flipud(self):
        return RA.flipud(self)

    def fliplr(self):
        return RA.fliplr(self)

    @numpy_aliases
    def select(self, dim, index):
        return S.select(self, dim, index)

    @numpy_aliases
    def narrow(self, dim, start, length):
        return S.narrow(self, dim, start, length)

    @numpy_aliases
    def narrow_copy(self, dim, start, length):
        return S.narrow_copy(self, dim, start, length)

    def movedim(self, source, destination):
        return S.movedim(self, source, destination)

    def moveaxis(self, source, destination):
        return S.movedim(self, source, destination)

    def ravel(self):
        return S.ravel(self)

    def reshape(self, *args, shape=None):
        if shape is None:
            return _reshape(self, *args)
        return _reshape(self, *_one_form(args, shape, "shape", "reshape"))

    def view(self, *shape, size=None, dtype=None):
        """``view(*shape)`` (or ``view(size=shape)``) like reshape; ``view(dtype)`` (or
        ``view(dtype=dtype)``) reinterprets the bytes (shared memory, outside the graph), as in
        PyTorch."""
        if dtype is not None:
            if shape or size is not None:
                raise TypeError(
                    f"view() takes a shape or dtype=, not both: got {shape or size!r} and "
                    f"dtype={dtype!r}"
                )
            shape = (dtype,)
        shape = _one_form(shape, size, "size", "view")
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list, TensorBase)):
            target = D.to_dtype(shape[0])
            try:
                arr = self._data.view(target.np)
            except ValueError as e:
                raise RuntimeError(f"view({target}): {e}") from None
            out = wrap(arr)
            share_version(out, self)
            return out
        return S.view(self, *shape)

    def view_as(self, other):
        return S.view(self, other.shape)

    def reshape_as(self, other):
        return S.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return S.flatten(self, start_dim, end_dim)

    @numpy_aliases
    def unflatten(self, dim, sizes):
        return S.unflatten(self, dim, sizes)

    @numpy_aliases
    def squeeze(self, *args, dim=None):
        """All size-1 dims, or those of ``dim`` (an int, a tuple, or the dims one by one)."""
        if args or dim is not None:
            dim = one_value(args, dim, "dim", "squeeze")
        return _squeeze(self, dim)

    @numpy_aliases
    def unsqueeze(self, dim):
        return _unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        return _transpose(self, dim0, dim1)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {self.ndim}")
        return _permute(self, tuple(range(self.ndim - 1, -1, -1)))

    def permute(self, *args, dims=None):
        if dims is None:
            return _permute(self, *args)
        return _permute(self, *_one_form(args, dims, "dims", "permute"))

    def expand(self, *sizes, size=None, implicit=False):
        """``implicit`` is PyTorch's tracing mark for an expand it inserted itself; it does not
        change the result."""
        return S.expand(self, *_one_form(sizes, size, "size", "expand"))

    def expand_as(self, other):
        return S.expand(self, other.shape)

    def broadcast_to(self, *sizes, size=None):
        sizes = _one_form(sizes, size, "size", "broadcast_to")
        single = len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer))
        return S.broadcast_to(self, sizes[0] if single else sizes)

    @numpy_aliases
    def split(self, split_size, dim=0):
        """``split_size`` is an int (pieces of that size, the last smaller) or a list of
        sizes, as ``tinytensor.split``'s ``split_size_or_sections``."""
        return J.split(self, split_size, dim)

    @numpy_aliases
    def chunk(self, chunks, dim=0):
        return J.chunk(self, chunks, dim)

    @numpy_aliases
    def unbind(self, dim=0):
        return J.unbind(self, dim)

    def flip(self, *args, dims=None):
        """Reverse the order along ``dims`` (an int, a tuple, or the dims one by one)."""
        dims = one_value(args, dims, "dims", "flip")
        if dims is None:
            raise TypeError("flip() missing its dims: pass the dims to reverse, flip(0, 1)")
        return RA.flip(self, dims)

    def repeat(self, *sizes, repeats=None):
        return RA.repeat(self, *_one_form(sizes, repeats, "repeats", "repeat"))

    def tril(self, diagonal=0):
        return RA.tril(self, diagonal)

    def triu(self, diagonal=0):
        return RA.triu(self, diagonal)
