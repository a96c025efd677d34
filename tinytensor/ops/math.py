"""Unary elementwise math: trigonometric and hyperbolic functions and their inverses, log2/log10,
exp2/expm1, sinc, logit, frac, degree conversion, nan_to_num, sgn and the float predicates.

Each forward sits above its backward, with one line of math; backward formulas are tinytensor
ops, so they differentiate again (``create_graph=True``).
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor._dtype import get_default_dtype
from tinytensor.autograd.node import OUT, record
from tinytensor.core import wrap
from tinytensor.ops import elementwise as E
from tinytensor.ops._util import as_tensor

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def float_operand(a, name):
    """``a`` as a tensor and its values as floats (integers and bools -> the default dtype)."""
    a = as_tensor(a, name)
    d = a._data
    if d.dtype.kind != "f":
        d = d.astype(get_default_dtype().np)
    return a, d


def _np(fn, d):
    """``fn(d)`` without NumPy's warnings: NaN and inf follow IEEE, as in PyTorch."""
    with np.errstate(all="ignore"):
        return fn(d).astype(d.dtype, copy=False)


# --- trigonometric -----------------------------------------------------------------------------


def tan(a):
    """`f(a) = tan a`;  `da = g*(1 + f(a)^2)`"""
    a, d = float_operand(a, "tan")
    return record(wrap(_np(np.tan, d)), "Tan", (a,), _tan_backward, (OUT,))


def _tan_backward(g, out):
    return (g * (out * out + 1.0),)


def asin(a):
    """f(a) = asin a;  da = g/sqrt(1 - a^2)"""
    a, d = float_operand(a, "asin")
    return record(wrap(_np(np.arcsin, d)), "Asin", (a,), _asin_backward, (a,))


def _asin_backward(g, a):
    return (g * E.rsqrt(1.0 - a * a),)


def acos(a):
    """f(a) = acos a;  da = -g/sqrt(1 - a^2)"""
    a, d = float_operand(a, "acos")
    return record(wrap(_np(np.arccos, d)), "Acos", (a,), _acos_backward, (a,))


def _acos_backward(g, a):
    return (-g * E.rsqrt(1.0 - a * a),)


def atan(a):
    """f(a) = atan a;  da = g/(1 + a^2)"""
    a, d = float_operand(a, "atan")
    return record(wrap(_np(np.arctan, d)), "Atan", (a,), _atan_backward, (a,))


def _atan_backward(g, a):
    return (g / (a * a + 1.0),)


# --- hyperbolic --------------------------------------------------------------------------------


def sinh(a):
    """`f(a) = sinh a`;  `da = g*cosh a`"""
    a, d = float_operand(a, "sinh")
    return record(wrap(_np(np.sinh, d)), "Sinh", (a,), _sinh_backward, (a,))


def _sinh_backward(g, a):
    return (g * cosh(a),)


def cosh(a):
    """`f(a) = cosh a`;  `da = g*sinh a`"""
    a, d = float_operand(a, "cosh")
    return record(wrap(_np(np.cosh, d)), "Cosh", (a,), _cosh_backward, (a,))


def _cosh_backward(g, a):
    return (g * sinh(a),)


def asinh(a):
    """f(a) = asinh a;  da = g/sqrt(a^2 + 1)"""
    a, d = float_operand(a, "asinh")
    return record(wrap(_np(np.arcsinh, d)), "Asinh", (a,), _asinh_backward, (a,))


def _asinh_backward(g, a):
    return (g * E.rsqrt(a * a + 1.0),)


def acosh(a):
    """f(a) = acosh a;  da = g/sqrt(a^2 - 1)"""
    a, d = float_operand(a, "acosh")
    return record(wrap(_np(np.arccosh, d)), "Acosh", (a,), _acosh_backward, (a,))


def _acosh_backward(g, a):
    return (g * E.rsqrt(a * a - 1.0),)


def atanh(a):
    """f(a) = atanh a;  da = g/(1 - a^2)"""
    a, d = float_operand(a, "atanh")
    return record(wrap(_np(np.arctanh, d)), "Atanh", (a,), _atanh_backward, (a,))


def _atanh_backward(g, a):
    return (g / (1.0 - a * a),)


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


# --- logarithms and exponentials -----------------------------------------------------------------


def log2(a):
    """f(a) = log2 a;  da = g/(a ln 2)"""
    a, d = float_operand(a, "log2")
    return record(wrap(_np(np.log2, d)), "Log2", (a,), _log2_backward, (a,))


def _log2_backward(g, a):
    return (g / (a * _LN2),)


def log10(a):
    """f(a) = log10 a;  da = g/(a ln 10)"""
    a, d = float_operand(a, "log10")
    return record(wrap(_np(np.log10, d)), "Log10", (a,), _log10_backward, (a,))


def _log10_backward(g, a):
    return (g / (a * _LN10),)


def exp2(a):
    """`f(a) = 2^a;  da = g*f(a)*ln 2`"""
    a, d = float_operand(a, "exp2")
    return record(wrap(_np(np.exp2, d)), "Exp2", (a,), _exp2_backward, (OUT,))


def _exp2_backward(g, out):
    return (g * out * _LN2,)


def expm1(a):
    """`f(a) = e^a - 1;  da = g*(f(a) + 1)`"""
    a, d = float_operand(a, "expm1")
    return record(wrap(_np(np.expm1, d)), "Expm1", (a,), _expm1_backward, (OUT,))


def _expm1_backward(g, out):
    return (g * (out + 1.0),)


# --- other unary functions -----------------------------------------------------------------------


def sinc(a):
    """`f(a) = sin(pi a)/(pi a), 1` at `0;  da = g*(cos(pi a) - f(a))/a, 0` at 0"""
    a, d = float_operand(a, "sinc")
    return record(wrap(_np(np.sinc, d)), "Sinc", (a,), _sinc_backward, (a,))


def _sinc_backward(g, a):
    zero = a == 0
    safe = E.where(zero, 1.0, a)
    pa = safe * math.pi
    grad = (pa * E.cos(pa) - E.sin(pa)) / (pa * safe)
    return (E.where(zero, 0.0, g * grad),)


def logit(a, eps=None):
    """f(a) = log(z/(1-z)), z = clamp(a, eps, 1-eps);  da = g/(a(1-a)), 0 outside [eps, 1-eps]"""
    a, d = float_operand(a, "logit")
    z = d if eps is None else np.clip(d, eps, 1.0 - eps)
    out = _np(lambda v: np.log(v / (1 - v)), z)
    return record(wrap(out), "Logit", (a,), _logit_backward, (a, eps))


def _logit_backward(g, a, eps):
    if eps is None:
        return (g / (a * (1.0 - a)),)
    outside = E.logical_or(a < eps, a > 1.0 - eps)
    safe = E.where(outside, 0.5, a)  # no 0*inf in the double backward at a = 0 or 1
    return (E.where(outside, 0.0, g / (safe * (1.0 - safe))),)


def frac(a):
    """f(a) = a - trunc(a);  da = g"""
    a = as_tensor(a, "frac")
    d = a._data
    if d.dtype.kind != "f":
        raise NotImplementedError(
            f"frac: not implemented for dtype {a.dtype} (integers have no fractional part); "
            "use a floating tensor"
        )
    return record(wrap(_np(lambda x: x - np.trunc(x), d)), "Frac", (a,), _identity_backward)


def _identity_backward(g):
    return (g,)


def deg2rad(a):
    """`f(a) = a*pi/180;  da = g*pi/180`"""
    a, d = float_operand(a, "deg2rad")
    return record(wrap(d * d.dtype.type(math.pi / 180)), "Deg2Rad", (a,), _deg2rad_backward)


def _deg2rad_backward(g):
    return (g * (math.pi / 180),)


def rad2deg(a):
    """`f(a) = a*180/pi;  da = g*180/pi`"""
    a, d = float_operand(a, "rad2deg")
    return record(wrap(d * d.dtype.type(180 / math.pi)), "Rad2Deg", (a,), _rad2deg_backward)


def _rad2deg_backward(g):
    return (g * (180 / math.pi),)


def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    """`f(a) = a` with NaN, +inf, -inf replaced (by 0, the dtype's
    `max, min);  da = g*isfinite(a`)"""
    a = as_tensor(a, "nan_to_num")
    d = a._data
    if d.dtype.kind != "f":
        return wrap(d.copy())
    out = np.nan_to_num(d, nan=nan, posinf=posinf, neginf=neginf)
    return record(wrap(out), "NanToNum", (a,), _nan_to_num_backward, (a,))


def _nan_to_num_backward(g, a):
    return (g * E.isfinite(a),)


def sgn(a):
    """f(a) = sign(a) (for real tensors);  da = 0"""
    a = as_tensor(a, "sgn")
    return record(wrap(E.sign(a)._data), "Sgn", (a,), _sgn_backward, (a, OUT))


def _sgn_backward(g, a, out):
    return (g * 0.0,)


def positive(a):
    """f(a) = a (the same tensor, as PyTorch returns it)"""
    a = as_tensor(a, "positive")
    if a._data.dtype == np.bool_:
        raise RuntimeError("positive: the + operator on a bool tensor is not supported")
    return a


def signbit(a):
    """True where the sign bit is set (also for -0.0); no gradient."""
    return wrap(np.signbit(as_tensor(a, "signbit")._data))


def isneginf(a):
    """True where a is -inf; no gradient."""
    return wrap(np.isneginf(as_tensor(a, "isneginf")._data))


def isposinf(a):
    """True where a is +inf; no gradient."""
    return wrap(np.isposinf(as_tensor(a, "isposinf")._data))


def isreal(a):
    """All True: tinytensor has no complex dtypes."""
    return wrap(np.ones(as_tensor(a, "isreal")._data.shape, dtype=np.bool_))
