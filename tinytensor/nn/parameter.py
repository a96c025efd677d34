"""``nn.Parameter``: a leaf tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

import numpy as np

from tinytensor.core import init_tensor, share_version, wrap
from tinytensor.ops.creation import tensor
from tinytensor.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that, assigned as a Module attribute, is registered in ``module.parameters()``.

    ``Parameter(t)`` shares storage with ``t`` (like PyTorch) and requires grad by default.
    Operations on a Parameter return plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            arr = np.empty((0,), np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = tensor(data)._data
        init_tensor(self, arr)
        if isinstance(data, Tensor):
            share_version(self, data)  # one storage, one counter: a change through either shows
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        out = Parameter(wrap(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            out._grad = wrap(self._grad._data.copy())
        memo[id(self)] = out
        return out
