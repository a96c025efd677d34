"""The integer and bool rules of the arithmetic ops (ops/binary.py) where NumPy and PyTorch
part: an integer division by zero raises (NumPy returns 0), an integer power with a negative
integer exponent in a tensor is 0, 1 or -1 (NumPy refuses it), a bool tensor has no division,
remainder or power-by-tensor kernel, and no operand of a subtraction may be bool."""

from __future__ import annotations

import numpy as np

from tinytensor.core import TensorBase
from tinytensor.ops._util import as_tensor, value_dtype

__all__ = [
    "IntegerDivisionByZero",
    "check_int_divisor",
    "check_no_bool",
    "check_sub_operands",
    "int_pair",
    "int_power",
]


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """An integer division (``//``, ``%``, ``div`` with a rounding mode, ``fmod``) by zero:
    PyTorch raises a RuntimeError (whose message is "ZeroDivisionError"); this one is both."""


def check_int_divisor(ad, bd, name):
    """Raise ``IntegerDivisionByZero`` if the integer (or bool) division of ``ad`` by ``bd``
    divides by zero anywhere."""
    if value_dtype(ad, bd).kind in "iub" and np.any(np.asarray(bd) == 0):
        raise IntegerDivisionByZero(f"{name}: integer division by zero")


def check_no_bool(ad, bd, name):
    """NotImplementedError where ``name`` (no bool kernel in PyTorch) gets bool operands."""
    if value_dtype(ad, bd) == np.bool_:
        raise NotImplementedError(
            f"{name}: not implemented for bool tensors, as in PyTorch; convert them with .int() "
            "or .float() first"
        )


def _is_bool(x):
    return x.__class__ is bool or (isinstance(x, TensorBase) and x._data.dtype == np.bool_)


def check_sub_operands(a, b, alpha):
    """PyTorch refuses a subtraction with a bool operand (tensor or Python bool), and a bool
    ``alpha`` unless the result is bool (which the first rule already refuses)."""
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError(
            "sub: subtraction, the `-` operator, with a bool tensor or bool number is not "
            "supported; to invert a mask use the `~` operator or logical_not(), to compare "
            "use logical_xor()"
        )
    if alpha.__class__ is bool:
        raise RuntimeError("sub: a bool alpha is only supported for bool results; pass 1 or 0")


def int_power(a, b):
    """``a ** b`` for integer or bool values (PyTorch's integer pow): a negative exponent gives
    1 for a base of 1, +-1 for -1 (by the exponent's parity) and 0 for any other base (0
    included); a bool base to a bool exponent stays bool (``x ** True`` is x, ``x ** False``
    is True); powers wrap on overflow as in C."""
    if value_dtype(a, b) == np.bool_:
        return np.logical_or(a, np.logical_not(b))
    e = np.asarray(b)
    negative = e < 0
    if not negative.any():
        return np.power(a, b)
    out = np.power(a, np.where(negative, 0, e).astype(e.dtype, copy=False))
    base = np.asarray(a)
    sign = np.where((e % 2) != 0, -1, 1)  # (-1) ** e
    special = np.where(base == 1, 1, np.where(base == -1, sign, 0))
    return np.where(negative, special, out).astype(out.dtype, copy=False)


def int_pair(input, other, name):
    """The operands of gcd/lcm as tensors: integer dtypes only (NotImplementedError for float
    or bool, as PyTorch), and shapes that broadcast."""
    a, b = as_tensor(input, name), as_tensor(other, name)
    if a._data.dtype.kind not in "iu" or b._data.dtype.kind not in "iu":
        raise NotImplementedError(
            f"{name}: not implemented for {a._data.dtype} and {b._data.dtype} tensors, as in "
            "PyTorch; use integer tensors"
        )
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(
            f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together"
        ) from None
    return a, b
