"""PyTorch's dtype rules as functions of the torch namespace: ``promote_types`` (the dtype two
dtypes promote to), ``can_cast`` (may ``out=`` or an in-place op write one dtype into another) and
``result_type`` (the dtype of ``a + b`` for tensors and Python numbers). ``finfo``/``iinfo``, the
limits of a dtype, are in ``tinytensor.types``.
"""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import binary as BI


def promote_types(type1, type2):
    """The dtype PyTorch's type promotion gives two dtypes."""
    return D.promote_types(D.to_dtype(type1), D.to_dtype(type2))


def can_cast(from_, to) -> bool:
    """PyTorch's casting rule for ``out=`` and in-place ops: no float to integer, no number to
    bool; anything else may cast."""
    order = "biuf"
    a, b = D.to_dtype(from_).np.kind, D.to_dtype(to).np.kind
    return order.index(a) <= order.index(b) or (a in "iu" and b in "iu")


def result_type(tensor, other):
    """The dtype of ``tensor + other`` (tensors or Python numbers), as PyTorch promotes."""
    return D.from_numpy_dtype(BI.add(_zero_like(tensor), _zero_like(other))._data.dtype)


def _zero_like(x):
    if isinstance(x, TensorBase):
        return wrap(np.zeros(x.shape[:0] if x.ndim == 0 else (1,) * x.ndim, x._data.dtype))
    return x
