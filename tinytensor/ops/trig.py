"""Trigonometric and hyperbolic functions and their inverses (with NumPy's ``arc*`` spellings),
sinc, degree/radian conversion, and the two-input atan2 (arctan2) and hypot.

Each forward sits above its backward, with one line of math; backward formulas are tinytensor
ops, so they differentiate again (``create_graph=True``).
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.ops._pointwise import (
    binary_kernel,
    operands,
    quiet,
    run,
    unary_float,
    unary_kernel,
)
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops._util import (
    scalar_like,
)
from tinytensor.ops.selection import where
from tinytensor.ops.unary import rsqrt

__all__ = [
    "acos",
    "acosh",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "cos",
    "cosh",
    "deg2rad",
    "hypot",
    "rad2deg",
    "sin",
    "sinc",
    "sinh",
    "tan",
    "tanh",
]


def sin(input):
    """`f(a) = sin a`;  `da = g*cos a`"""
    a = input
    a, d = unary_float(a, "sin")
    return SIN.apply((a,), (d,), (a,))


def _sin_kernel(d):
    with quiet(all="ignore"):
        return np.sin(d)


def _sin_backward(g, a):
    return (g * cos(a),)


SIN = Primitive("Sin", _sin_kernel, _sin_backward)


def cos(input):
    """`f(a) = cos a`;  `da = -g*sin a`"""
    a = input
    a, d = unary_float(a, "cos")
    return COS.apply((a,), (d,), (a,))


def _cos_kernel(d):
    with quiet(all="ignore"):
        return np.cos(d)


def _cos_backward(g, a):
    return (-g * sin(a),)


COS = Primitive("Cos", _cos_kernel, _cos_backward)


def tanh(input):
    """`f(a) = tanh a`;  `da = g*(1 - f(a)^2)`"""
    a, d = unary_float(input, "tanh")
    return TANH.apply((a,), (d,), (OUT,))


def _tanh_grad(g, out):
    # _tanh_backward's apply, inlined: a call less per tanh in every backward pass.
    return (TANH_BACKWARD.apply((g, out), (g._data, out._data), (g, out)),)


TANH = Primitive("Tanh", np.tanh, _tanh_grad)


def _tanh_backward(g, y):
    """`f(g, y) = g*(1 - y^2);  dg = gg*(1 - y^2),  dy = -2*gg*g*y`

    One recorded op instead of three (mul, rsub, mul): a third of the dispatches, same graph
    for double backward.
    """
    return TANH_BACKWARD.apply((g, y), (g._data, y._data), (g, y))


def _tanh_backward_kernel(gd, yd):
    one = _ONE.get(yd.dtype)  # a 0-d array: NumPy converts a Python 1 on every call
    if one is None:
        one = _ONE[yd.dtype] = scalar_like(1, yd.dtype)
    return gd * (one - yd * yd)


_ONE: dict = {}  # dtype -> scalar_like(1, dtype), looked up without a call


def _tanh_backward_grad(gg, g, y):
    return _tanh_backward(gg, y), gg * g * y * -2.0


TANH_BACKWARD = Primitive("TanhBackward", _tanh_backward_kernel, _tanh_backward_grad)


def tan(input):
    """`f(a) = tan a`;  `da = g*(1 + f(a)^2)`"""
    a, d = unary_float(input, "tan")
    return TAN.apply((a,), (d,), (OUT,))


def _tan_backward(g, out):
    return (g * (out * out + 1.0),)


TAN = Primitive("Tan", unary_kernel(np.tan, "tan"), _tan_backward)


def asin(input):
    """f(a) = asin a;  da = g/sqrt(1 - a^2)"""
    a, d = unary_float(input, "asin")
    return ASIN.apply((a,), (d,), (a,))


def _asin_backward(g, a):
    return (g * rsqrt(1.0 - a * a),)


ASIN = Primitive("Asin", unary_kernel(np.arcsin, "asin"), _asin_backward)


def acos(input):
    """f(a) = acos a;  da = -g/sqrt(1 - a^2)"""
    a, d = unary_float(input, "acos")
    return ACOS.apply((a,), (d,), (a,))


def _acos_backward(g, a):
    return (-g * rsqrt(1.0 - a * a),)


ACOS = Primitive("Acos", unary_kernel(np.arccos, "acos"), _acos_backward)


def atan(input):
    """f(a) = atan a;  da = g/(1 + a^2)"""
    a, d = unary_float(input, "atan")
    return ATAN.apply((a,), (d,), (a,))


def _atan_backward(g, a):
    return (g / (a * a + 1.0),)


ATAN = Primitive("Atan", unary_kernel(np.arctan, "atan"), _atan_backward)


def sinh(input):
    """`f(a) = sinh a`;  `da = g*cosh a`"""
    a, d = unary_float(input, "sinh")
    return SINH.apply((a,), (d,), (a,))


def _sinh_backward(g, a):
    return (g * cosh(a),)


SINH = Primitive("Sinh", unary_kernel(np.sinh, "sinh"), _sinh_backward)


def cosh(input):
    """`f(a) = cosh a`;  `da = g*sinh a`"""
    a, d = unary_float(input, "cosh")
    return COSH.apply((a,), (d,), (a,))


def _cosh_backward(g, a):
    return (g * sinh(a),)


COSH = Primitive("Cosh", unary_kernel(np.cosh, "cosh"), _cosh_backward)


def asinh(input):
    """f(a) = asinh a;  da = g/sqrt(a^2 + 1)"""
    a, d = unary_float(input, "asinh")
    return ASINH.apply((a,), (d,), (a,))


def _asinh_backward(g, a):
    return (g * rsqrt(a * a + 1.0),)


ASINH = Primitive("Asinh", unary_kernel(np.arcsinh, "asinh"), _asinh_backward)


def acosh(input):
    """f(a) = acosh a;  da = g/sqrt(a^2 - 1)"""
    a, d = unary_float(input, "acosh")
    return ACOSH.apply((a,), (d,), (a,))


def _acosh_backward(g, a):
    return (g * rsqrt(a * a - 1.0),)


ACOSH = Primitive("Acosh", unary_kernel(np.arccosh, "acosh"), _acosh_backward)


def atanh(input):
    """f(a) = atanh a;  da = g/(1 - a^2)"""
    a, d = unary_float(input, "atanh")
    return ATANH.apply((a,), (d,), (a,))


def _atanh_backward(g, a):
    return (g / (1.0 - a * a),)


ATANH = Primitive("Atanh", unary_kernel(np.arctanh, "atanh"), _atanh_backward)


arcsin, arccos, arctan = asin, acos, atan


arcsinh, arccosh, arctanh = asinh, acosh, atanh


def sinc(input):
    """`f(a) = sin(pi a)/(pi a), 1` at `0;  da = g*(cos(pi a) - f(a))/a, 0` at 0"""
    a, d = unary_float(input, "sinc")
    return SINC.apply((a,), (d,), (a,))


def _sinc_backward(g, a):
    # PyTorch's form (cos(pi a) - sinc(a)) / a: no pi*a*a, which underflows to 0 (0/0) at a tiny a
    zero = a == 0
    safe = where(zero, 1.0, a)
    grad = (cos(safe * math.pi) - sinc(safe)) / safe
    return (where(zero, 0.0, g * grad),)


SINC = Primitive("Sinc", unary_kernel(np.sinc, "sinc"), _sinc_backward)


def deg2rad(input):
    """`f(a) = a*pi/180;  da = g*pi/180`"""
    a, d = unary_float(input, "deg2rad")
    return DEG2RAD.apply((a,), (d,))


def _deg2rad_kernel(d):
    return d * d.dtype.type(math.pi / 180)


def _deg2rad_backward(g):
    return (g * (math.pi / 180),)


DEG2RAD = Primitive("Deg2Rad", _deg2rad_kernel, _deg2rad_backward)


def rad2deg(input):
    """`f(a) = a*180/pi;  da = g*180/pi`"""
    a, d = unary_float(input, "rad2deg")
    return RAD2DEG.apply((a,), (d,))


def _rad2deg_kernel(d):
    return d * d.dtype.type(180 / math.pi)


def _rad2deg_backward(g):
    return (g * (180 / math.pi),)


RAD2DEG = Primitive("Rad2Deg", _rad2deg_kernel, _rad2deg_backward)


def atan2(input, other):
    """`f(a, b) = atan(a/b)` in the right quadrant;  `da = g*b/(a^2+b^2),  db = -g*a/(a^2+b^2)`"""
    a, b, ad, bd = operands(input, other, "atan2", floating=True)
    return run(ATAN2, "atan2", (a, b), (ad, bd), (a, b))


def _atan2_backward(g, a, b, *, needs):
    scale = g / (a * a + b * b)
    return (scale * b if needs[0] else None), (-scale * a if needs[1] else None)


ATAN2 = Primitive("Atan2", binary_kernel(np.arctan2, "atan2"), _atan2_backward)


arctan2 = atan2


def hypot(input, other):
    """`f(a, b) = sqrt(a^2 + b^2);  da = g*a/f,  db = g*b/f`"""
    a, b, ad, bd = operands(input, other, "hypot", integers=False)
    saved = (a if _rg(a) else None, b if _rg(b) else None, OUT)
    return run(HYPOT, "hypot", (a, b), (ad, bd), saved)


def _hypot_backward(g, a, b, out):
    return (None if a is None else g * a / out), (None if b is None else g * b / out)


HYPOT = Primitive("Hypot", binary_kernel(np.hypot, "hypot"), _hypot_backward)
