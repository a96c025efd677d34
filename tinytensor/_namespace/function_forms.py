"""Top-level function forms of Tensor methods that PyTorch also exposes as ``torch.X(input,
...)``: each is one call of the method (or op) of the same name."""

from __future__ import annotations

from tinytensor._namespace.conventions import check_tensor
from tinytensor.ops import binary as BI
from tinytensor.ops import compare as CMP
from tinytensor.ops import join as J
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor


def clone(input, *, memory_format=None):
    """A copy of ``input`` with its own storage, differentiable (``input.clone(...)``).

    Args:
        input: the tensor to copy.
        memory_format: ``preserve_format`` (None, the default) lays the copy out in
            ``input``'s own stride order, as PyTorch does; ``contiguous_format`` gives C
            order; ``channels_last``/``channels_last_3d`` those layouts.

    >>> tt.clone(tt.ones(2, 3).t()).stride()
    (1, 3)"""
    return check_tensor(input, "clone").clone(memory_format=memory_format)


def fill(input, value):
    """A copy of ``input`` with every element ``value``."""
    return S.clone(input).fill_(value)


def fill_(input, value):
    """Fill ``input`` with ``value`` in place and return it (``input.fill_(value)``).

    Args:
        input: the tensor to overwrite.
        value: a Python number or a 0-d tensor.

    >>> tt.fill_(tt.zeros(3), 2.0)
    tensor([2., 2., 2.])"""
    return check_tensor(input, "fill_").fill_(value)


def zero_(input):
    """Fill ``input`` with zeros in place and return it (``input.zero_()``).

    >>> tt.zero_(tt.ones(2))
    tensor([0., 0.])"""
    return check_tensor(input, "zero_").zero_()


def index_put_(input, indices, values, accumulate=False):
    """Write ``values`` into ``input`` at ``indices`` in place and return it, as
    ``input[indices] = values`` does (``input.index_put_(...)``).

    Args:
        input: the tensor to write into.
        indices: a tuple of index tensors, one per leading dim of ``input``.
        values: the values to write, broadcast to the indexed shape.
        accumulate: if True, add ``values`` to what is there (repeated indices add up)
            instead of overwriting.

    >>> tt.index_put_(tt.zeros(3), (tt.tensor([0, 2]),), tt.tensor([1.0, 2.0]))
    tensor([1., 0., 2.])"""
    return check_tensor(input, "index_put_").index_put_(indices, values, accumulate)


def detach(input):
    """A new tensor sharing ``input``'s data but cut from the graph: it does not require
    grad and no gradient flows through it (``input.detach()``).

    >>> x = tt.ones(2, requires_grad=True)
    >>> tt.detach(x * 2).requires_grad
    False"""
    return check_tensor(input, "detach").detach()


def detach_(input):
    """Cut ``input`` from the graph in place: it becomes a leaf that does not require
    grad (``input.detach_()``). Returns ``input``."""
    return check_tensor(input, "detach_").detach_()


def t(input):
    """Transpose a tensor of at most 2 dims: a 2-D tensor swaps dims 0 and 1, a 0-d or 1-D
    tensor is returned as is (``input.t()``).

    >>> tt.t(tt.tensor([[1, 2, 3], [4, 5, 6]])).shape
    tinytensor.Size([3, 2])"""
    return check_tensor(input, "t").t()


def adjoint(input):
    """The conjugate transpose of the last two dims (``input.adjoint()``); tinytensor
    has no complex dtypes, so this is ``transpose(input, -2, -1)``.

    >>> tt.adjoint(tt.zeros(4, 2, 3)).shape
    tinytensor.Size([4, 3, 2])"""
    return check_tensor(input, "adjoint").adjoint()


def conj(input):
    """The complex conjugate of ``input`` (``input.conj()``). tinytensor has no complex
    dtypes, so this returns ``input`` itself."""
    return check_tensor(input, "conj").conj()


def conj_physical(input):
    """The complex conjugate of ``input``, materialised (``input.conj_physical()``).
    With no complex dtypes in tinytensor this equals ``input``."""
    return check_tensor(input, "conj_physical").conj_physical()


def conj_physical_(input):
    """Conjugate ``input`` in place and return it (``input.conj_physical_()``);
    a no-op on tinytensor's real dtypes."""
    return check_tensor(input, "conj_physical_").conj_physical_()


def resolve_conj(input):
    """``input`` with any lazy conjugation applied. tinytensor never sets the
    conjugate bit, so this returns ``input`` itself."""
    return input


def resolve_neg(input):
    """``input`` with any lazy negation applied. tinytensor never sets the negative
    bit, so this returns ``input`` itself."""
    return input


def real(input):
    """The real part of ``input``. tinytensor's dtypes are all real, so this returns
    ``input`` itself.

    >>> tt.real(tt.tensor([1.5, -2.0]))
    tensor([ 1.5000, -2.0000])"""
    return input


def clamp_(input, min=None, max=None):
    """Clamp ``input`` into ``[min, max]`` in place and return it (``input.clamp_()``);
    ``tt.clip_`` is the same function.

    Args:
        input: the tensor to clamp.
        min: the lower bound (a number or tensor), or None for none.
        max: the upper bound (a number or tensor), or None for none.

    >>> tt.clamp_(tt.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
    tensor([0.0000, 0.5000, 1.0000])"""
    return check_tensor(input, "clamp_").clamp_(min, max)


def resize_as_(input, the_template, *, memory_format=None):
    """Resize ``input`` in place to the shape of ``the_template`` and return it
    (``input.resize_as_(the_template)``). ``memory_format`` is accepted and ignored.

    >>> tt.resize_as_(tt.zeros(4), tt.zeros(2, 2)).shape
    tinytensor.Size([2, 2])"""
    return check_tensor(input, "resize_as_").resize_as_(the_template)


def rsub(input, other, *, alpha=1):
    """`f(input, other) = other - alpha * input`."""
    return BI.sub(other, input, alpha=alpha)


def swapdims(input, dim0, dim1):
    """Swap dims ``dim0`` and ``dim1`` of ``input``; an alias of ``tt.transpose``.

    >>> tt.swapdims(tt.zeros(2, 3, 4), 0, 2).shape
    tinytensor.Size([4, 3, 2])"""
    return S.transpose(input, dim0, dim1)


def split_with_sizes(input, split_sizes, dim=0):
    """Split ``input`` along ``dim`` into pieces of the given sizes, which
    must add up to ``input.size(dim)``; ``tt.split`` with a list of sizes.

    >>> tt.split_with_sizes(tt.arange(5), [2, 3])
    (tensor([0, 1]), tensor([2, 3, 4]))"""
    return J.split(input, list(split_sizes), dim)


def unsafe_split(input, split_size, dim=0):
    """``tt.split(input, split_size, dim)``: PyTorch's variant skips a view check
    that tinytensor does not make, so the two are the same.

    >>> tt.unsafe_split(tt.arange(5), 2)
    (tensor([0, 1]), tensor([2, 3]), tensor([4]))"""
    return J.split(input, split_size, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    """``tt.split(input, split_sizes, dim)`` with a list of sizes; the
    same as ``split_with_sizes`` (see ``unsafe_split``).

    >>> tt.unsafe_split_with_sizes(tt.arange(4), [1, 3])
    (tensor([0]), tensor([1, 2, 3]))"""
    return J.split(input, list(split_sizes), dim)


def unsafe_chunk(input, chunks, dim=0):
    """``tt.chunk(input, chunks, dim)``: split into ``chunks`` pieces of equal
    size (the last may be smaller); the same as ``chunk`` (see ``unsafe_split``).

    >>> tt.unsafe_chunk(tt.arange(4), 2)
    (tensor([0, 1]), tensor([2, 3]))"""
    return J.chunk(input, chunks, dim)


def is_same_size(input, other) -> bool:
    """Whether ``input`` and ``other`` have the same shape.

    >>> tt.is_same_size(tt.zeros(2, 3), tt.ones(2, 3))
    True"""
    return tuple(input.shape) == tuple(other.shape)


def is_complex(input) -> bool:
    """Whether ``input`` has a complex dtype: always False, as tinytensor has none.
    Raises a TypeError if ``input`` is not a tensor.

    >>> tt.is_complex(tt.zeros(2))
    False"""
    as_tensor(input, "is_complex")
    return False


def is_conj(input) -> bool:
    """Whether ``input``'s conjugate bit is set: always False in tinytensor."""
    return False


def is_neg(input) -> bool:
    """Whether ``input``'s negative bit is set: always False in tinytensor."""
    return False


def is_inference(input) -> bool:
    """Whether ``input`` was made in inference mode: always False, as tinytensor
    has no inference tensors."""
    return False


def is_signed(input) -> bool:
    """Whether ``input``'s dtype is signed: True for floats and signed integers,
    False for ``uint8`` and ``bool``.

    >>> tt.is_signed(tt.zeros(2)), tt.is_signed(tt.zeros(2, dtype=tt.uint8))
    (True, False)"""
    return as_tensor(input, "is_signed").is_signed()


def get_device(input) -> int:
    """The index of the device ``input`` is on: -1, meaning the CPU (the only one).

    >>> tt.get_device(tt.zeros(2))
    -1"""
    return -1


def to_dlpack(tensor):
    """A DLPack capsule sharing ``tensor``'s memory."""
    return tensor.__dlpack__()


clip_ = clamp_
greater_equal = CMP.ge
less_equal = CMP.le
not_equal = CMP.ne


__all__ = [
    "adjoint",
    "clamp_",
    "clip_",
    "conj",
    "conj_physical",
    "conj_physical_",
    "clone",
    "detach",
    "detach_",
    "fill",
    "fill_",
    "get_device",
    "greater_equal",
    "index_put_",
    "is_complex",
    "is_conj",
    "is_inference",
    "is_neg",
    "is_same_size",
    "is_signed",
    "less_equal",
    "not_equal",
    "real",
    "resize_as_",
    "resolve_conj",
    "resolve_neg",
    "rsub",
    "split_with_sizes",
    "swapdims",
    "t",
    "to_dlpack",
    "unsafe_chunk",
    "unsafe_split",
    "unsafe_split_with_sizes",
    "zero_",
]
