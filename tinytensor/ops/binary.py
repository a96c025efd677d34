"""Binary (and ternary) arithmetic: add, sub, mul, div, floor_divide, remainder, fmod, pow,
float_power, copysign, lerp, addcmul/addcdiv, and gcd/lcm (integers, no gradient).

Each forward sits above its backward, with one line of math; backward formulas are tinytensor
ops, so they differentiate again, and gradients are left at the broadcast shape (the engine
reduces them, engine.reduce_to). Each op saves what PyTorch saves: an operand read only by the
other operand's gradient is saved only when that operand needs one, so changing it in place after
the forward pass raises exactly where PyTorch raises. NaN and inf follow IEEE silently (see
ops/_pointwise.py for how the hot kernels stay quiet).
"""

from __future__ import annotations

import math
import operator

import numpy as np

from tinytensor._dtype import float64
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops._pointwise import (
    FP_SIGNALS,
    binary_kernel,
    float_values,
    into_of,
    operands,
    quiet,
    run,
    silence_numpy_warnings,
)
from tinytensor.ops._util import (
    binary,
    binary_arith,
    broadcast_error,
    value_dtype,
)
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.cast import cast
from tinytensor.ops.compare import eq, logical_and
from tinytensor.ops.int_arith import (
    check_int_divisor,
    check_no_bool,
    check_sub_operands,
    int_pair,
    int_power,
)
from tinytensor.ops.selection import where

__all__ = [
    "add",
    "addcdiv",
    "addcmul",
    "copysign",
    "div",
    "float_power",
    "floor_divide",
    "fmod",
    "gcd",
    "lcm",
    "lerp",
    "mul",
    "pow",
    "remainder",
    "sub",
    "true_divide",
]

silence_numpy_warnings(__name__)


def add(input, other, alpha=1):
    """`f(a, b) = a + alpha*b;  da = g,  db = alpha*g`"""
    if alpha != 1:
        other = mul(other, alpha)
    a, b, ad, bd = binary_arith(input, other, "add")  # constants as cached 0-d arrays
    try:
        return ADD.apply((a, b), (ad, bd))
    except ValueError:
        raise broadcast_error("add", a, b) from None


def _add_kernel(a, b):
    try:
        return a + b
    except FP_SIGNALS:  # inf - inf, overflow: IEEE silently (see the module docstring)
        with quiet(all="ignore"):
            return a + b


def _add_backward(g):
    return g, g


ADD = Primitive("Add", _add_kernel, _add_backward, fast=operator.add, into=into_of(np.add))


def sub(input, other, alpha=1):
    """`f(a, b) = a - alpha*b;  da = g,  db = -alpha*g`"""
    a, b = input, other
    check_sub_operands(a, b, alpha)
    if alpha != 1:
        b = mul(b, alpha)
    a, b, ad, bd = binary_arith(a, b, "sub")  # constants as cached 0-d arrays
    try:
        return SUB.apply((a, b), (ad, bd))
    except ValueError:
        raise broadcast_error("sub", a, b) from None


def _sub_kernel(a, b):
    try:
        return a - b
    except FP_SIGNALS:
        with quiet(all="ignore"):
            return a - b


def _sub_backward(g):
    return g, -g


SUB = Primitive("Sub", _sub_kernel, _sub_backward, fast=operator.sub, into=into_of(np.subtract))


def mul(input, other):
    """`f(a, b) = a*b;  da = g*b,  db = g*a`"""
    a, b, ad, bd = binary_arith(input, other, "mul")  # constants as cached 0-d arrays
    # Save only what backward reads (da needs b, db needs a), so changing the other operand in
    # place afterwards is no error, as in PyTorch. (In backward formulas and under no_grad
    # nothing is saved: the tuple would cost about 0.3 us of a 1-element mul.) The flags are
    # read inline, not by ``requires_grad``: two calls less per mul.
    if grad_state.enabled:
        saved = (
            a if getattr(b, "_requires_grad", False) else None,
            b if getattr(a, "_requires_grad", False) else None,
        )
    else:
        saved = ()
    try:
        return MUL.apply((a, b), (ad, bd), saved)
    except ValueError:
        raise broadcast_error("mul", a, b) from None


def _mul_kernel(a, b):
    try:
        return a * b
    except FP_SIGNALS:  # 0 * inf, overflow
        with quiet(all="ignore"):
            return a * b


def _mul_backward(g, a, b):
    # ``a`` is saved only when b needs a gradient, ``b`` only when a does. ``mul(g, b)`` is
    # ``g * b`` without Tensor.__mul__'s call (g is a tensor): W2 makes ~60k of these a step.
    return (None if b is None else mul(g, b)), (None if a is None else mul(g, a))


MUL = Primitive("Mul", _mul_kernel, _mul_backward, fast=operator.mul, into=into_of(np.multiply))


def div(input, other, rounding_mode=None):
    """`f(a, b) = a/b;  da = g/b,  db = -g*a/b^2`"""
    a, b = input, other
    if rounding_mode is not None:
        if rounding_mode == "floor":
            return floor_divide(a, b)
        if rounding_mode == "trunc":
            a, b, ad, bd = binary(a, b, "div")
            _check_int_divisor(ad, bd, "div")
            try:
                return DIV_TRUNC.apply((a, b), (ad, bd))
            except ValueError:
                raise broadcast_error("div", a, b) from None
        raise RuntimeError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    a, b, ad, bd = binary(a, b, "div")
    if value_dtype(ad, bd).kind != "f":
        ad, bd = float_values(a, b)
    try:
        return DIV.apply((a, b), (ad, bd), (a if _rg(b) else None, b))
    except ValueError:
        raise broadcast_error("div", a, b) from None


def _div_kernel(a, b):
    try:
        return a / b
    except FP_SIGNALS:  # 0/0, x/0, overflow: IEEE silently (see the module docstring)
        with quiet(all="ignore"):
            return a / b


def _div_backward(g, a, b, *, needs):
    # ``a`` is saved only when b needs a gradient.
    return (g / b if needs[0] else None), (None if a is None else -g * a / (b * b))


DIV = Primitive("Div", _div_kernel, _div_backward, fast=operator.truediv, into=into_of(np.divide))


def _div_trunc_kernel(a, b):
    with quiet(all="ignore"):
        return np.trunc(np.true_divide(a, b)).astype(value_dtype(a, b), copy=False)


DIV_TRUNC = Primitive("DivTrunc", _div_trunc_kernel)  # no gradient


def _check_int_divisor(ad, bd, name):
    # NumPy quietly returns 0 for an integer division by zero; PyTorch raises. No bool kernel.
    check_no_bool(ad, bd, name)
    check_int_divisor(ad, bd, name)


def floor_divide(input, other):
    """f(a, b) = floor(a/b) (no gradient)"""
    a, b = input, other
    a, b, ad, bd = binary(a, b, "floor_divide")
    _check_int_divisor(ad, bd, "floor_divide")
    try:
        return FLOOR_DIVIDE.apply((a, b), (ad, bd))
    except ValueError:
        raise broadcast_error("floor_divide", a, b) from None


def _floor_divide_kernel(a, b):
    with quiet(all="ignore"):
        return np.floor_divide(a, b)


FLOOR_DIVIDE = Primitive("FloorDivide", _floor_divide_kernel)  # no gradient


def remainder(input, other):
    """`f(a, b) = a - floor(a/b)*b` (Python's sign convention);  `da = g,  db = -g*floor(a/b)`"""
    a, b = input, other
    a, b, ad, bd = binary(a, b, "remainder")
    _check_int_divisor(ad, bd, "remainder")
    rb = _rg(b)
    try:
        return REMAINDER.apply((a, b), (ad, bd), (a if rb else None, b if rb else None))
    except ValueError:
        raise broadcast_error("remainder", a, b) from None


def _remainder_kernel(a, b):
    with quiet(all="ignore"):
        return np.remainder(a, b)


def _remainder_backward(g, a, b):
    return g, (None if a is None else -g * floor_divide(a, b))


REMAINDER = Primitive("Remainder", _remainder_kernel, _remainder_backward)


def pow(input, exponent):
    """`f(a, b) = a^b;  da = g*b*a^(b-1) (0 where b == 0),  db = g*a^b*log(a) (0 where a == 0)`"""
    a, b = input, exponent
    a, b, ad, bd = binary(a, b, "pow")
    kind = value_dtype(ad, bd).kind
    if kind in "iub" and b.__class__ is int and b < 0:  # a negative tensor exponent is fine
        raise RuntimeError("pow: integers to negative integer powers are not allowed; use floats")
    if kind == "b" and (isinstance(b, TensorBase) or not isinstance(a, TensorBase)):
        check_no_bool(ad, bd, "pow")  # only a bool tensor to a bool number has a kernel
    # Only db needs the output; keeping it otherwise would make an in-place change to the
    # result of x ** 2 a (spurious) error in backward, which PyTorch does not raise.
    try:
        return POW.apply((a, b), (ad, bd), (a, b, OUT if _rg(b) else None))
    except ValueError:
        raise broadcast_error("pow", a, b) from None


def _pow_kernel(a, b):
    if value_dtype(a, b).kind in "iub":
        return int_power(a, b)
    try:
        return np.power(a, b)
    except FP_SIGNALS:
        with quiet(all="ignore"):
            return np.power(a, b)


def _pow_backward(g, a, b, out, *, needs):
    return (
        _pow_base_grad(g, a, b) if needs[0] else None,
        None if out is None else _pow_exponent_grad(g, out, a, b),
    )


POW = Primitive("Pow", _pow_kernel, _pow_backward)


def _pow_exponent_grad(g, out, a, b):
    # At a == 0, PyTorch's rule: 0 where b >= 0, else out*log(0) = inf*(-inf) = -inf (NaN for
    # a NaN exponent). That value is taken as a constant there, so the formula stays
    # differentiable (log(1) elsewhere under the mask) for double backward.
    if not isinstance(a, TensorBase):
        # A Python number as the base: log it in full precision (as a 0-d tensor it would be
        # float32, and c ** x on float64 would get a float32-accurate gradient).
        if a == 0:
            return g * _pow_zero_base_grad(b)
        return g * out * (math.log(a) if a > 0 else math.nan)
    zero = a == 0
    return g * where(zero, _pow_zero_base_grad(b), out * where(zero, 1.0, a).log())


def _pow_zero_base_grad(b):
    """d(0^b)/db: 0 for b >= 0, -inf for b < 0, NaN for a NaN b (PyTorch's values)."""
    return where(b >= 0, 0.0, where(b < 0, -math.inf, math.nan))


def _pow_base_grad(g, a, b):
    # d(a^0)/da is 0, also at a == 0 where b*a^(b-1) would be 0*inf. Only that point is
    # masked, so the formula stays differentiable in b at b == 0 elsewhere.
    if isinstance(b, TensorBase):
        with np.errstate(divide="ignore", invalid="ignore"):
            return where(logical_and(b == 0, a == 0), 0.0, g * b * a ** (b - 1))
    if b == 0:
        return g * 0.0
    return g * b * a ** (b - 1)


def lerp(input, end, weight):
    """`f(s, e, w) = s + w*(e - s);  ds = g*(1 - w),  de = g*w,  dw = g*(e - s)`"""
    # As PyTorch's: input and end are tensors (``binary`` would turn two numbers into tensors,
    # so the check reads the arguments themselves).
    if not isinstance(input, TensorBase) or not isinstance(end, TensorBase):
        raise TypeError(
            f"lerp: input and end must be tensors, got {type(input).__name__} and "
            f"{type(end).__name__}; wrap a number with tt.tensor"
        )
    start, end, sd, ed = operands(input, end, "lerp")
    if value_dtype(sd, ed).kind != "f":
        raise NotImplementedError("lerp: not implemented for integer or bool tensors, as PyTorch")
    wd = weight._data if isinstance(weight, TensorBase) else weight
    rw = _rg(weight)
    saved = (start if rw else None, end if rw else None, weight)
    return run(LERP, "lerp", (start, end, weight), (sd, ed, wd), saved)


def _lerp_kernel(sd, ed, wd):
    with np.errstate(all="ignore"):
        # PyTorch's two-sided formula: exact at w = 0 and at w = 1.
        out = np.where(np.abs(wd) < 0.5, sd + wd * (ed - sd), ed - (ed - sd) * (1 - wd))
    return out.astype(value_dtype(sd, ed), copy=False)


def _lerp_backward(g, start, end, weight, *, needs):
    return (
        g * (1.0 - weight) if needs[0] else None,
        g * weight if needs[1] else None,
        None if start is None else g * (end - start),
    )


LERP = Primitive("Lerp", _lerp_kernel, _lerp_backward)


def fmod(input, other):
    """`f(a, b) = a - trunc(a/b)*b` (sign of a);  `da = g,  db = -g*trunc(a/b)`"""
    a, b, ad, bd = operands(input, other, "fmod")
    _check_int_divisor(ad, bd, "fmod")
    rb = _rg(b)
    return run(FMOD, "fmod", (a, b), (ad, bd), (a if rb else None, b if rb else None))


def _fmod_backward(g, a, b):
    return g, (None if b is None else -g * div(a, b, rounding_mode="trunc"))


FMOD = Primitive("Fmod", binary_kernel(np.fmod, "fmod"), _fmod_backward)


def copysign(input, other):
    """`f(a, b) = |a|` with the sign of `b`;  `da = g*f/a` (0 where `a == 0`),  `db = 0`"""
    a, b, ad, bd = operands(input, other, "copysign", floating=True)
    ra = _rg(a)
    return run(COPYSIGN, "copysign", (a, b), (ad, bd), (a if ra else None, OUT if ra else None))


def _copysign_backward(g, a, out, *, needs):
    da = None
    if a is not None:
        zero = eq(a, 0)
        da = g * where(zero, 0.0, out / where(zero, 1.0, a))
    return da, (g * 0.0 if needs[1] else None)


COPYSIGN = Primitive("Copysign", binary_kernel(np.copysign, "copysign"), _copysign_backward)


def _scaled_sum_kernel(u, v, *, value):
    """``u + value*v`` (addcmul's and addcdiv's last step), at the result dtype of u and v."""
    with np.errstate(all="ignore"):
        out = u + value * v
    return np.asarray(out).astype(value_dtype(u, v), copy=False)


def _inner(prim, name, t1, t2, d1, d2):
    """addcmul's product or addcdiv's quotient, a tensor (no node: the op records one)."""
    try:
        return wrap(prim.compute((t1, t2), (d1, d2)))
    except ValueError:
        raise broadcast_error(name, t1, t2) from None


def addcmul(input, tensor1, tensor2, *, value=1):
    """`f(x, a, b) = x + value*a*b;  dx = g,  da = g*b*value,  db = g*a*value`"""
    t1, t2, d1, d2 = operands(tensor1, tensor2, "addcmul")
    check_no_bool(d1, d2, "addcmul")
    x, p, xd, pd = operands(input, _inner(PRODUCT, "addcmul", t1, t2, d1, d2), "addcmul")
    saved = (t1 if _rg(t2) else None, t2 if _rg(t1) else None, value)
    return run(ADDCMUL, "addcmul", (x, t1, t2), (xd, pd), saved, {"value": value})


def _addcmul_backward(g, t1, t2, value):
    return g, (None if t2 is None else g * t2 * value), (None if t1 is None else g * t1 * value)


PRODUCT = Primitive("AddcmulProduct", binary_kernel(np.multiply, "product"))  # inside addcmul


ADDCMUL = Primitive("Addcmul", _scaled_sum_kernel, _addcmul_backward)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """`f(x, a, b) = x + value*a/b;  dx = g,  da = g*value/b,  db = -g*value*a/b^2`"""
    t1, t2, d1, d2 = operands(tensor1, tensor2, "addcdiv")
    if value_dtype(d1, d2).kind in "iub":
        raise RuntimeError(
            "addcdiv: integer division with addcdiv is not supported; use floating tensor1 and "
            "tensor2, or (input + value * torch.trunc(tensor1 / tensor2)) for the old behaviour"
        )
    x, q, xd, qd = operands(input, _inner(QUOTIENT, "addcdiv", t1, t2, d1, d2), "addcdiv")
    saved = (t1 if _rg(t2) else None, t2, value)
    return run(ADDCDIV, "addcdiv", (x, t1, t2), (xd, qd), saved, {"value": value})


def _addcdiv_backward(g, t1, t2, value, *, needs):
    return (
        g,
        g * value / t2 if needs[1] else None,
        None if t1 is None else -g * value * t1 / (t2 * t2),
    )


QUOTIENT = Primitive("AddcdivQuotient", binary_kernel(np.divide, "quotient"))  # inside addcdiv


ADDCDIV = Primitive("Addcdiv", _scaled_sum_kernel, _addcdiv_backward)


def float_power(input, exponent):
    """f(a, b) = a^b in float64 (pow's gradients)"""
    a, b = input, exponent
    if not isinstance(a, TensorBase) and not isinstance(b, TensorBase):
        raise TypeError("float_power: input or exponent must be a tensor")
    a = cast(a, float64) if isinstance(a, TensorBase) else float(a)
    b = cast(b, float64) if isinstance(b, TensorBase) else float(b)
    return pow(a, b)


def true_divide(a, b):
    """f(a, b) = a/b (always true division)"""
    return div(a, b)


def gcd(input, other):  # noqa: A002
    """f(a, b) = the greatest common divisor, elementwise (integers; no gradient)"""
    a, b = int_pair(input, other, "gcd")
    return GCD.apply((a, b), (a._data, b._data))


def lcm(input, other):  # noqa: A002
    """f(a, b) = the least common multiple, elementwise (integers; no gradient)"""
    a, b = int_pair(input, other, "lcm")
    return LCM.apply((a, b), (a._data, b._data))


GCD = Primitive("Gcd", np.gcd)  # no gradients


LCM = Primitive("Lcm", np.lcm)
