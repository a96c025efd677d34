"""Binary elementwise functions. ``gcd`` and ``lcm`` (integer inputs, no gradient) are here; the
rest of the family (add, mul, pow, atan2, hypot...) lives in ops/elementwise.py and
ops/math_binary.py until those are regrouped into unary/trig/binary/compare."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.ops._util import as_tensor

__all__ = [
    "gcd",
    "lcm",
]


def _int_pair(input, other, name):
    a, b = as_tensor(input, name), as_tensor(other, name)
    if a._data.dtype.kind not in "iub" or b._data.dtype.kind not in "iub":
        raise RuntimeError(
            f"{name}: expected integer tensors, got {a._data.dtype} and {b._data.dtype}"
        )
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(
            f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together"
        ) from None
    return a, b


def gcd(input, other):  # noqa: A002
    """f(a, b) = the greatest common divisor, elementwise (integers; no gradient)"""
    a, b = _int_pair(input, other, "gcd")
    return GCD.apply((a, b), (a._data, b._data))


def lcm(input, other):  # noqa: A002
    """f(a, b) = the least common multiple, elementwise (integers; no gradient)"""
    a, b = _int_pair(input, other, "lcm")
    return LCM.apply((a, b), (a._data, b._data))


GCD = Primitive("Gcd", np.gcd)  # no gradients
LCM = Primitive("Lcm", np.lcm)
