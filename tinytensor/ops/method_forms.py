"""Top-level function forms of Tensor methods that PyTorch also exposes as ``torch.X(input,
...)``: each is one call of the method (or op) of the same name."""

from __future__ import annotations

from tinytensor.core import TensorBase
from tinytensor.ops import elementwise as E
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor


def _t(input, name):
    if not isinstance(input, TensorBase):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, not {type(input).__name__}")
    return input


def fill(input, value):
    """A copy of ``input`` with every element ``value``."""
    return S.clone(input).fill_(value)


def fill_(input, value):
    return _t(input, "fill_").fill_(value)


def zero_(input):
    return _t(input, "zero_").zero_()


def index_put_(input, indices, values, accumulate=False):
    return _t(input, "index_put_").index_put_(indices, values, accumulate)


def detach(input):
    return _t(input, "detach").detach()


def detach_(input):
    return _t(input, "detach_").detach_()


def t(input):
    return _t(input, "t").t()


def adjoint(input):
    return _t(input, "adjoint").adjoint()


def conj(input):
    return _t(input, "conj").conj()


def conj_physical(input):
    return _t(input, "conj_physical").conj_physical()


def conj_physical_(input):
    return _t(input, "conj_physical_").conj_physical_()


def resolve_conj(input):
    return input


def resolve_neg(input):
    return input


def real(input):
    return input


def clamp_(input, min=None, max=None):
    return _t(input, "clamp_").clamp_(min, max)


def resize_as_(input, the_template, *, memory_format=None):
    return _t(input, "resize_as_").resize_as_(the_template)


def rsub(input, other, *, alpha=1):
    """f(input, other) = other - alpha * input."""
    return E.sub(other, input, alpha=alpha)


def swapdims(input, dim0, dim1):
    return S.transpose(input, dim0, dim1)


def split_with_sizes(input, split_sizes, dim=0):
    return S.split(input, list(split_sizes), dim)


def unsafe_split(input, split_size, dim=0):
    return S.split(input, split_size, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return S.split(input, list(split_sizes), dim)


def unsafe_chunk(input, chunks, dim=0):
    return S.chunk(input, chunks, dim)


def is_same_size(input, other) -> bool:
    return tuple(input.shape) == tuple(other.shape)


def is_complex(input) -> bool:
    as_tensor(input, "is_complex")
    return False


def is_conj(input) -> bool:
    return False


def is_neg(input) -> bool:
    return False


def is_inference(input) -> bool:
    return False


def is_signed(input) -> bool:
    return as_tensor(input, "is_signed").is_signed()


def get_device(input) -> int:
    return -1


def to_dlpack(tensor):
    """A DLPack capsule sharing ``tensor``'s memory."""
    return tensor.__dlpack__()


clip_ = clamp_
greater_equal = E.ge
less_equal = E.le
not_equal = E.ne
