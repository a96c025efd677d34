"""Comparisons and selections: eq/ne/lt/le/gt/ge, isclose/allclose/equal, the float predicates
(isnan, isinf, isfinite, isposinf, isneginf, signbit, isreal), logical_* and bitwise_*,
heaviside and nextafter (no gradient), and the ops that pick between operands: where, clamp
(clamp_min, clamp_max), maximum/minimum and fmax/fmin.

Each forward sits above its backward, with one line of math; backward formulas are tinytensor
ops, so they differentiate again (``create_graph=True``).
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase
from tinytensor.ops._pointwise import (
    binary_kernel,
    operands,
    run,
)
from tinytensor.ops._util import (
    as_tensor,
    binary,
    broadcast_error,
    value_dtype,
)

__all__ = [
    "allclose",
    "bitwise_and",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "eq",
    "equal",
    "ge",
    "greater",
    "gt",
    "heaviside",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "le",
    "less",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "ne",
    "nextafter",
    "signbit",
]


def _compare(prim, name):
    def op(input, other):
        a, b, ad, bd = binary(input, other, name)
        try:
            return prim.apply((a, b), (ad, bd))
        except ValueError:
            raise broadcast_error(name, a, b) from None

    op.__name__ = name
    op.__doc__ = f"Elementwise {name}; returns a bool tensor, no gradient."
    return op


EQ = Primitive("Eq", np.equal)  # the comparisons and logical ops: no gradient


NE = Primitive("Ne", np.not_equal)


LT = Primitive("Lt", np.less)


LE = Primitive("Le", np.less_equal)


GT = Primitive("Gt", np.greater)


GE = Primitive("Ge", np.greater_equal)


LOGICAL_AND = Primitive("LogicalAnd", np.logical_and)


LOGICAL_OR = Primitive("LogicalOr", np.logical_or)


LOGICAL_XOR = Primitive("LogicalXor", np.logical_xor)


eq = _compare(EQ, "eq")


ne = _compare(NE, "ne")


lt = less = _compare(LT, "lt")


le = _compare(LE, "le")


gt = greater = _compare(GT, "gt")


ge = _compare(GE, "ge")


logical_and = _compare(LOGICAL_AND, "logical_and")


logical_or = _compare(LOGICAL_OR, "logical_or")


logical_xor = _compare(LOGICAL_XOR, "logical_xor")


def logical_not(input):
    """``not x`` elementwise (a nonzero element counts as True); a bool tensor, no gradient.

    >>> tt.logical_not(tt.tensor([0.0, 2.0]))
    tensor([ True, False])"""
    a = as_tensor(input, "logical_not")
    return LOGICAL_NOT.apply((a,), (a._data,))


LOGICAL_NOT = Primitive("LogicalNot", np.logical_not)


def bitwise_not(input):
    """f(a) = ~a (bitwise for integers, logical for bool; no gradient)"""
    a = input
    a = as_tensor(a, "bitwise_not")
    if a._data.dtype.kind == "f":
        raise NotImplementedError(
            "bitwise_not: not defined for floating tensors; use logical_not or neg"
        )
    return BITWISE_NOT.apply((a,), (a._data,))


BITWISE_NOT = Primitive("BitwiseNot", np.invert)


def _bitwise(prim, name):
    def op(input, other):
        a, b, ad, bd = binary(input, other, name)
        if value_dtype(ad, bd).kind == "f":
            raise NotImplementedError(
                f"{name}: only integer and bool tensors have bits to combine, got "
                f"{value_dtype(ad, bd)}; convert with .long() or .bool()"
            )
        try:
            # Shifts by a negative or too-large amount: NumPy's result is undefined in C;
            # PyTorch gives 0 (or -1 for a negative number shifted right), and so do we.
            return prim.apply((a, b), (ad, bd))
        except ValueError:
            raise broadcast_error(name, a, b) from None

    op.__name__ = name
    op.__doc__ = f"Elementwise {name} of integer or bool tensors (no gradient)."
    return op


def _shift_left(ad, bd):
    bits = np.asarray(ad).dtype.itemsize * 8
    with np.errstate(over="ignore"):
        out = np.left_shift(ad, np.clip(bd, 0, bits - 1))
    return np.where((np.asarray(bd) >= bits) | (np.asarray(bd) < 0), 0, out).astype(out.dtype)


def _shift_right(ad, bd):
    bits = np.asarray(ad).dtype.itemsize * 8
    out = np.right_shift(ad, np.clip(bd, 0, bits - 1))
    return np.where(np.asarray(bd) < 0, 0, out).astype(out.dtype)


BITWISE_AND = Primitive("BitwiseAnd", np.bitwise_and)  # no gradients


BITWISE_OR = Primitive("BitwiseOr", np.bitwise_or)


BITWISE_XOR = Primitive("BitwiseXor", np.bitwise_xor)


BITWISE_LEFT_SHIFT = Primitive("BitwiseLeftShift", _shift_left)


BITWISE_RIGHT_SHIFT = Primitive("BitwiseRightShift", _shift_right)


bitwise_and = _bitwise(BITWISE_AND, "bitwise_and")


bitwise_or = _bitwise(BITWISE_OR, "bitwise_or")


bitwise_xor = _bitwise(BITWISE_XOR, "bitwise_xor")


bitwise_left_shift = _bitwise(BITWISE_LEFT_SHIFT, "bitwise_left_shift")


bitwise_right_shift = _bitwise(BITWISE_RIGHT_SHIFT, "bitwise_right_shift")


def isnan(input):
    """True where an element is NaN; a bool tensor of the same shape, no gradient.

    >>> tt.isnan(tt.tensor([1.0, float("nan")]))
    tensor([False,  True])"""
    a = as_tensor(input, "isnan")
    return ISNAN.apply((a,), (a._data,))


def isinf(input):
    """True where an element is +inf or -inf; a bool tensor of the same shape, no gradient."""
    a = as_tensor(input, "isinf")
    return ISINF.apply((a,), (a._data,))


def isfinite(input):
    """True where an element is neither inf nor NaN; a bool tensor of the same shape, no gradient.

    >>> tt.isfinite(tt.tensor([1.0, float("nan"), float("inf")]))
    tensor([ True, False, False])"""
    a = as_tensor(input, "isfinite")
    return ISFINITE.apply((a,), (a._data,))


ISNAN = Primitive("Isnan", np.isnan)


ISINF = Primitive("Isinf", np.isinf)


ISFINITE = Primitive("Isfinite", np.isfinite)


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True (a Python bool) when ``|input - other| <= atol + rtol * |other|`` everywhere, after
    broadcasting. NaNs count as equal only with ``equal_nan=True``.

    >>> tt.allclose(tt.tensor([1.0]), tt.tensor([1.0 + 1e-7]))
    True"""
    a, b = input, other
    a, b = as_tensor(a, "allclose"), as_tensor(b, "allclose")
    _check_close_args(a, b, rtol, atol, "allclose")
    attrs = {"rtol": rtol, "atol": atol, "equal_nan": equal_nan}
    try:
        out = ALLCLOSE.apply((a, b), (a._data, b._data), (), attrs)
    except ValueError:
        raise broadcast_error("allclose", a, b) from None
    return bool(out)  # the answer reaches Python (a compiler guards its value)


def _allclose_kernel(a, b, *, rtol, atol, equal_nan):
    return np.asarray(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


ALLCLOSE = Primitive("Allclose", _allclose_kernel)


def equal(input, other):
    """True (a Python bool) when both tensors have the same shape and the same elements."""
    a, b = input, other
    a, b = as_tensor(a, "equal"), as_tensor(b, "equal")
    return a.shape == b.shape and bool(EQUAL.apply((a, b), (a._data, b._data)))


def _equal_kernel(a, b):
    return np.asarray(np.array_equal(a, b))


EQUAL = Primitive("Equal", _equal_kernel)


def signbit(input):
    """True where the sign bit is set (also for -0.0); no gradient."""
    a = as_tensor(input, "signbit")
    return SIGNBIT.apply((a,), (a._data,))


def isneginf(input):
    """True where a is -inf; no gradient."""
    a = as_tensor(input, "isneginf")
    return ISNEGINF.apply((a,), (a._data,))


def isposinf(input):
    """True where a is +inf; no gradient."""
    a = as_tensor(input, "isposinf")
    return ISPOSINF.apply((a,), (a._data,))


def isreal(input):
    """All True: tinytensor has no complex dtypes."""
    a = as_tensor(input, "isreal")
    return ISREAL.apply((a,), (a._data,))


def _isreal_kernel(d):
    return np.ones(d.shape, dtype=np.bool_)


SIGNBIT = Primitive("Signbit", np.signbit)  # the predicates: no gradient


ISNEGINF = Primitive("Isneginf", np.isneginf)


ISPOSINF = Primitive("Isposinf", np.isposinf)


ISREAL = Primitive("Isreal", _isreal_kernel)


def heaviside(input, values):
    """f(a, v) = 0 where a < 0, v where a == 0, 1 where a > 0 (no gradient)"""
    a, v, ad, vd = binary(input, values, "heaviside")
    if isinstance(values, TensorBase) and values._data.dtype != a._data.dtype:
        raise RuntimeError(
            f"heaviside: input ({a.dtype}) and values ({values.dtype}) must have the same dtype"
        )
    return run(HEAVISIDE, "heaviside", (a, v), (ad, vd))


def nextafter(input, other):
    """The next float after a towards b (no gradient)."""
    a, b, ad, bd = operands(input, other, "nextafter", integers=False)
    return run(NEXTAFTER, "nextafter", (a, b), (ad, bd))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """`|a - b| <= atol + rtol*|b|` (and equal infinities); a bool tensor."""
    _check_close_args(input, other, rtol, atol, "isclose")
    a, b, ad, bd = binary(input, other, "isclose")
    attrs = {"rtol": rtol, "atol": atol, "equal_nan": equal_nan}
    return run(ISCLOSE, "isclose", (a, b), (ad, bd), (), attrs)


def _check_close_args(a, b, rtol, atol, name):
    """PyTorch's isclose/allclose: two tensors of one dtype, and tolerances >= 0."""
    if isinstance(a, TensorBase) and isinstance(b, TensorBase) and a.dtype is not b.dtype:
        raise RuntimeError(
            f"{name}: {a.dtype} did not match {b.dtype}; both tensors must have the same dtype "
            "(convert one with .to(other.dtype))"
        )
    for tol, v in (("rtol", rtol), ("atol", atol)):
        if v < 0:
            raise RuntimeError(f"{name}: {tol} must be greater than or equal to zero, got {v}")


def _isclose_kernel(a, b, *, rtol, atol, equal_nan):
    return np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _heaviside_kernel(a, v):
    # PyTorch's rule: v where a == 0, else a > 0 (so a NaN gives 0; NumPy's heaviside gives NaN)
    with np.errstate(invalid="ignore"):
        out = np.where(a == 0, v, a > 0)
    return np.asarray(out).astype(value_dtype(a, v), copy=False)


HEAVISIDE = Primitive("Heaviside", _heaviside_kernel)  # no gradients


NEXTAFTER = Primitive("Nextafter", binary_kernel(np.nextafter, "nextafter"))


ISCLOSE = Primitive("Isclose", _isclose_kernel)
