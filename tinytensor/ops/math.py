"""Unary elementwise math: trigonometric and hyperbolic functions and their inverses, log2/log10,
exp2/expm1, sinc, logit, frac, degree conversion, nan_to_num, sgn and the float predicates.

Each forward sits above its backward, with one line of math; backward formulas are tinytensor
ops, so they differentiate again (``create_graph=True``).
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.ops import elementwise as E
from tinytensor.ops._util import as_tensor

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def float_operand(a, name):
    """``a`` as a tensor and its values as floats (integers and bools -> the default dtype, by
    the traced cast kernel)."""
    return E._unary_float(a, name)


def _np(fn, d):
    """``fn(d)`` without NumPy's warnings: NaN and inf follow IEEE, as in PyTorch."""
    with np.errstate(all="ignore"):
        return fn(d).astype(d.dtype, copy=False)


def _kernel_of(fn, name):
    """A primitive's kernel for the float function ``fn``: ``fn(d)`` at ``d``'s dtype, quiet."""

    def kernel(d):
        return _np(fn, d)

    kernel.__name__ = kernel.__qualname__ = f"_{name}_kernel"
    return kernel


# --- trigonometric -----------------------------------------------------------------------------


def tan(a):
    """`f(a) = tan a`;  `da = g*(1 + f(a)^2)`"""
    a, d = float_operand(a, "tan")
    return TAN.apply((a,), (d,), (OUT,))


def _tan_backward(g, out):
    return (g * (out * out + 1.0),)


TAN = Primitive("Tan", _kernel_of(np.tan, "tan"), _tan_backward)


def asin(a):
    """f(a) = asin a;  da = g/sqrt(1 - a^2)"""
    a, d = float_operand(a, "asin")
    return ASIN.apply((a,), (d,), (a,))


def _asin_backward(g, a):
    return (g * E.rsqrt(1.0 - a * a),)


ASIN = Primitive("Asin", _kernel_of(np.arcsin, "asin"), _asin_backward)


def acos(a):
    """f(a) = acos a;  da = -g/sqrt(1 - a^2)"""
    a, d = float_operand(a, "acos")
    return ACOS.apply((a,), (d,), (a,))


def _acos_backward(g, a):
    return (-g * E.rsqrt(1.0 - a * a),)


ACOS = Primitive("Acos", _kernel_of(np.arccos, "acos"), _acos_backward)


def atan(a):
    """f(a) = atan a;  da = g/(1 + a^2)"""
    a, d = float_operand(a, "atan")
    return ATAN.apply((a,), (d,), (a,))


def _atan_backward(g, a):
    return (g / (a * a + 1.0),)


ATAN = Primitive("Atan", _kernel_of(np.arctan, "atan"), _atan_backward)


# --- hyperbolic --------------------------------------------------------------------------------


def sinh(a):
    """`f(a) = sinh a`;  `da = g*cosh a`"""
    a, d = float_operand(a, "sinh")
    return SINH.apply((a,), (d,), (a,))


def _sinh_backward(g, a):
    return (g * cosh(a),)


SINH = Primitive("Sinh", _kernel_of(np.sinh, "sinh"), _sinh_backward)


def cosh(a):
    """`f(a) = cosh a`;  `da = g*sinh a`"""
    a, d = float_operand(a, "cosh")
    return COSH.apply((a,), (d,), (a,))


def _cosh_backward(g, a):
    return (g * sinh(a),)


COSH = Primitive("Cosh", _kernel_of(np.cosh, "cosh"), _cosh_backward)


def asinh(a):
    """f(a) = asinh a;  da = g/sqrt(a^2 + 1)"""
    a, d = float_operand(a, "asinh")
    return ASINH.apply((a,), (d,), (a,))


def _asinh_backward(g, a):
    return (g * E.rsqrt(a * a + 1.0),)


ASINH = Primitive("Asinh", _kernel_of(np.arcsinh, "asinh"), _asinh_backward)


def acosh(a):
    """f(a) = acosh a;  da = g/sqrt(a^2 - 1)"""
    a, d = float_operand(a, "acosh")
    return ACOSH.apply((a,), (d,), (a,))


def _acosh_backward(g, a):
    return (g * E.rsqrt(a * a - 1.0),)


ACOSH = Primitive("Acosh", _kernel_of(np.arccosh, "acosh"), _acosh_backward)


def atanh(a):
    """f(a) = atanh a;  da = g/(1 - a^2)"""
    a, d = float_operand(a, "atanh")
    return ATANH.apply((a,), (d,), (a,))


def _atanh_backward(g, a):
    return (g / (1.0 - a * a),)


ATANH = Primitive("Atanh", _kernel_of(np.arctanh, "atanh"), _atanh_backward)


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


# --- logarithms and exponentials -----------------------------------------------------------------


def log2(a):
    """f(a) = log2 a;  da = g/(a ln 2)"""
    a, d = float_operand(a, "log2")
    return LOG2.apply((a,), (d,), (a,))


def _log2_backward(g, a):
    return (g / (a * _LN2),)


LOG2 = Primitive("Log2", _kernel_of(np.log2, "log2"), _log2_backward)


def log10(a):
    """f(a) = log10 a;  da = g/(a ln 10)"""
    a, d = float_operand(a, "log10")
    return LOG10.apply((a,), (d,), (a,))


def _log10_backward(g, a):
    return (g / (a * _LN10),)


LOG10 = Primitive("Log10", _kernel_of(np.log10, "log10"), _log10_backward)


def exp2(a):
    """`f(a) = 2^a;  da = g*f(a)*ln 2`"""
    a, d = float_operand(a, "exp2")
    return EXP2.apply((a,), (d,), (OUT,))


def _exp2_backward(g, out):
    return (g * out * _LN2,)


EXP2 = Primitive("Exp2", _kernel_of(np.exp2, "exp2"), _exp2_backward)


def expm1(a):
    """`f(a) = e^a - 1;  da = g*(f(a) + 1)`"""
    a, d = float_operand(a, "expm1")
    return EXPM1.apply((a,), (d,), (OUT,))


def _expm1_backward(g, out):
    return (g * (out + 1.0),)


EXPM1 = Primitive("Expm1", _kernel_of(np.expm1, "expm1"), _expm1_backward)


# --- other unary functions -----------------------------------------------------------------------


def sinc(a):
    """`f(a) = sin(pi a)/(pi a), 1` at `0;  da = g*(cos(pi a) - f(a))/a, 0` at 0"""
    a, d = float_operand(a, "sinc")
    return SINC.apply((a,), (d,), (a,))


def _sinc_backward(g, a):
    zero = a == 0
    safe = E.where(zero, 1.0, a)
    pa = safe * math.pi
    grad = (pa * E.cos(pa) - E.sin(pa)) / (pa * safe)
    return (E.where(zero, 0.0, g * grad),)


SINC = Primitive("Sinc", _kernel_of(np.sinc, "sinc"), _sinc_backward)


def logit(a, eps=None):
    """f(a) = log(z/(1-z)), z = clamp(a, eps, 1-eps);  da = g/(a(1-a)), 0 outside [eps, 1-eps]"""
    a, d = float_operand(a, "logit")
    return LOGIT.apply((a,), (d,), (a, eps), {"eps": eps})


def _logit_kernel(d, *, eps):
    z = d if eps is None else np.clip(d, eps, 1.0 - eps)
    return _np(lambda v: np.log(v / (1 - v)), z)


def _logit_backward(g, a, eps):
    if eps is None:
        return (g / (a * (1.0 - a)),)
    outside = E.logical_or(a < eps, a > 1.0 - eps)
    safe = E.where(outside, 0.5, a)  # no 0*inf in the double backward at a = 0 or 1
    return (E.where(outside, 0.0, g / (safe * (1.0 - safe))),)


LOGIT = Primitive("Logit", _logit_kernel, _logit_backward)


def frac(a):
    """f(a) = a - trunc(a);  da = g"""
    a = as_tensor(a, "frac")
    d = a._data
    if d.dtype.kind != "f":
        raise NotImplementedError(
            f"frac: not implemented for dtype {a.dtype} (integers have no fractional part); "
            "use a floating tensor"
        )
    return FRAC.apply((a,), (d,))


def _identity_backward(g):
    return (g,)


FRAC = Primitive("Frac", _kernel_of(lambda x: x - np.trunc(x), "frac"), _identity_backward)


def deg2rad(a):
    """`f(a) = a*pi/180;  da = g*pi/180`"""
    a, d = float_operand(a, "deg2rad")
    return DEG2RAD.apply((a,), (d,))


def _deg2rad_kernel(d):
    return d * d.dtype.type(math.pi / 180)


def _deg2rad_backward(g):
    return (g * (math.pi / 180),)


DEG2RAD = Primitive("Deg2Rad", _deg2rad_kernel, _deg2rad_backward)


def rad2deg(a):
    """`f(a) = a*180/pi;  da = g*180/pi`"""
    a, d = float_operand(a, "rad2deg")
    return RAD2DEG.apply((a,), (d,))


def _rad2deg_kernel(d):
    return d * d.dtype.type(180 / math.pi)


def _rad2deg_backward(g):
    return (g * (180 / math.pi),)


RAD2DEG = Primitive("Rad2Deg", _rad2deg_kernel, _rad2deg_backward)


def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    """`f(a) = a` with NaN, +inf, -inf replaced (by 0, the dtype's
    `max, min);  da = g*isfinite(a`)"""
    a = as_tensor(a, "nan_to_num")
    attrs = {"nan": nan, "posinf": posinf, "neginf": neginf}
    return NAN_TO_NUM.apply((a,), (a._data,), (a,), attrs)


def _nan_to_num_kernel(d, *, nan, posinf, neginf):
    if d.dtype.kind != "f":  # nothing to replace (and no gradient): a copy
        return d.copy()
    return np.nan_to_num(d, nan=nan, posinf=posinf, neginf=neginf)


def _nan_to_num_backward(g, a):
    return (g * E.isfinite(a),)


NAN_TO_NUM = Primitive("NanToNum", _nan_to_num_kernel, _nan_to_num_backward)


def sgn(a):
    """f(a) = sign(a) (for real tensors);  da = 0"""
    a = as_tensor(a, "sgn")
    return SGN.apply((a,), (a._data,), (a, OUT))


def _sgn_backward(g, a, out):
    return (g * 0.0,)


SGN = Primitive("Sgn", E.SIGN.kernel, _sgn_backward)


def positive(a):
    """f(a) = a (the same tensor, as PyTorch returns it)"""
    a = as_tensor(a, "positive")
    if a._data.dtype == np.bool_:
        raise RuntimeError("positive: the + operator on a bool tensor is not supported")
    return a


def signbit(a):
    """True where the sign bit is set (also for -0.0); no gradient."""
    a = as_tensor(a, "signbit")
    return SIGNBIT.apply((a,), (a._data,))


def isneginf(a):
    """True where a is -inf; no gradient."""
    a = as_tensor(a, "isneginf")
    return ISNEGINF.apply((a,), (a._data,))


def isposinf(a):
    """True where a is +inf; no gradient."""
    a = as_tensor(a, "isposinf")
    return ISPOSINF.apply((a,), (a._data,))


def isreal(a):
    """All True: tinytensor has no complex dtypes."""
    a = as_tensor(a, "isreal")
    return ISREAL.apply((a,), (a._data,))


def _isreal_kernel(d):
    return np.ones(d.shape, dtype=np.bool_)


SIGNBIT = Primitive("Signbit", np.signbit)  # the predicates: no gradient
ISNEGINF = Primitive("Isneginf", np.isneginf)
ISPOSINF = Primitive("Isposinf", np.isposinf)
ISREAL = Primitive("Isreal", _isreal_kernel)
