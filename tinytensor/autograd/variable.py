"""``autograd.Variable``: PyTorch's pre-1.0 wrapper, which is now just the tensor itself."""

from __future__ import annotations

from tinytensor.core import TensorBase


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, TensorBase)


class Variable(metaclass=_VariableMeta):
    """``Variable(t, requires_grad=False)`` returns ``t`` (made to require grad if asked), as
    PyTorch does since Variables and Tensors merged; older sample code runs unchanged."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, TensorBase):
            raise TypeError(
                f"Variable data has to be a tensor, but got {type(data).__name__}; "
                "wrap it with tinytensor.tensor(...)"
            )
        if requires_grad:
            data.requires_grad = True
        return data
