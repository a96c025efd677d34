"""Binary and ternary elementwise math: atan2, xlogy, lerp, fmod, copysign, logaddexp(2), hypot,
fmax/fmin, clamp_min/clamp_max, addcmul/addcdiv, ldexp, float_power, and the ones without
gradients (heaviside, nextafter, isclose).

Each op saves what PyTorch saves: an operand read only by another operand's gradient is saved
only when that operand needs one (as PyTorch's generated code does), so changing it in place
after the forward pass raises exactly where PyTorch raises.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor._dtype import float64, get_default_dtype
from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import elementwise as E
from tinytensor.ops._util import CAST, binary, broadcast_error, value_dtype
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.math import exp2

_LN2 = math.log(2.0)


def _as(t, v, dt):
    """Operand ``t``'s value ``v`` as ``dt``: an array by the traced cast kernel."""
    return CAST.compute((t,), (v,), {"dtype": dt}) if v.__class__ is np.ndarray else dt.type(v)


def _operands(a, b, name, floating=False):
    """Both operands and their values at PyTorch's result dtype (floating if ``floating``)."""
    a, b, ad, bd = binary(a, b, name)
    if floating and value_dtype(ad, bd).kind != "f":
        dt = get_default_dtype().np
        ad, bd = _as(a, ad, dt), _as(b, bd, dt)
    return a, b, ad, bd


def _kernel_of(fn, name):
    """A primitive's kernel for the NumPy function ``fn`` of two values: quiet (NaN and inf
    follow IEEE), at their result dtype."""

    def kernel(a, b):
        with np.errstate(all="ignore"):
            out = fn(a, b)
        return np.asarray(out).astype(value_dtype(a, b), copy=False)

    kernel.__name__ = kernel.__qualname__ = f"_{name}_kernel"
    return kernel


def _run(prim, name, inputs, args, saved=(), attrs=None):
    """``prim.apply``, with NumPy's broadcasting error as ours, naming ``name``'s operands."""
    try:
        return prim.apply(inputs, args, saved, attrs)
    except ValueError:
        raise broadcast_error(name, *inputs) from None


def atan2(a, b):
    """`f(a, b) = atan(a/b)` in the right quadrant;  `da = g*b/(a^2+b^2),  db = -g*a/(a^2+b^2)`"""
    a, b, ad, bd = _operands(a, b, "atan2", floating=True)
    return _run(ATAN2, "atan2", (a, b), (ad, bd), (a, b))


def _atan2_backward(g, a, b, *, needs):
    scale = g / (a * a + b * b)
    return (scale * b if needs[0] else None), (-scale * a if needs[1] else None)


ATAN2 = Primitive("Atan2", _kernel_of(np.arctan2, "atan2"), _atan2_backward)
arctan2 = atan2


def xlogy(a, b):
    """`f(a, b) = a*log(b), 0 where a == 0` (unless b is NaN);
    `da = xlogy(g, b), 0 where a == 0 and b <= 0;  db = g*a/b` (PyTorch's rule)"""
    a, b, ad, bd = _operands(a, b, "xlogy", floating=True)
    return _run(XLOGY, "xlogy", (a, b), (ad, bd), (a, b))


def _xlogy_np(x, y):
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))


def _xlogy_backward(g, a, b, *, needs):
    return (
        E.where(E.logical_and(E.eq(a, 0), E.le(b, 0)), 0.0, xlogy(g, b)) if needs[0] else None,
        g * a / b if needs[1] else None,
    )


XLOGY = Primitive("Xlogy", _kernel_of(_xlogy_np, "xlogy"), _xlogy_backward)


def lerp(start, end, weight):
    """`f(s, e, w) = s + w*(e - s);  ds = g*(1 - w),  de = g*w,  dw = g*(e - s)`"""
    start, end, sd, ed = _operands(start, end, "lerp")
    if sd.__class__ is not np.ndarray and ed.__class__ is not np.ndarray:
        raise TypeError("lerp: start or end must be a tensor")
    wd = weight._data if isinstance(weight, TensorBase) else weight
    rw = _rg(weight)
    saved = (start if rw else None, end if rw else None, weight)
    return _run(LERP, "lerp", (start, end, weight), (sd, ed, wd), saved)


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


def fmod(a, b):
    """`f(a, b) = a - trunc(a/b)*b` (sign of a);  `da = g,  db = -g*trunc(a/b)`"""
    a, b, ad, bd = _operands(a, b, "fmod")
    if value_dtype(ad, bd).kind in "iub" and np.any(np.asarray(bd) == 0):
        raise RuntimeError("fmod: integer division by zero (ZeroDivisionError)")
    rb = _rg(b)
    return _run(FMOD, "fmod", (a, b), (ad, bd), (a if rb else None, b if rb else None))


def _fmod_backward(g, a, b):
    return g, (None if b is None else -g * E.div(a, b, rounding_mode="trunc"))


FMOD = Primitive("Fmod", _kernel_of(np.fmod, "fmod"), _fmod_backward)


def copysign(a, b):
    """`f(a, b) = |a|` with the sign of `b`;  `da = g*f/a` (0 where `a == 0`),  `db = 0`"""
    a, b, ad, bd = _operands(a, b, "copysign", floating=True)
    ra = _rg(a)
    return _run(COPYSIGN, "copysign", (a, b), (ad, bd), (a if ra else None, OUT if ra else None))


def _copysign_backward(g, a, out, *, needs):
    da = None
    if a is not None:
        zero = E.eq(a, 0)
        da = g * E.where(zero, 0.0, out / E.where(zero, 1.0, a))
    return da, (g * 0.0 if needs[1] else None)


COPYSIGN = Primitive("Copysign", _kernel_of(np.copysign, "copysign"), _copysign_backward)


def logaddexp(a, b):
    """`f(a, b) = log(e^a + e^b);  da = g*sigmoid(a - b),  db = g*sigmoid(b - a)`"""
    a, b, ad, bd = _operands(a, b, "logaddexp", floating=True)
    return _run(LOGADDEXP, "logaddexp", (a, b), (ad, bd), (a, b))


def _logaddexp_backward(g, a, b, *, needs):
    return (
        g * E.sigmoid(a - b) if needs[0] else None,
        g * E.sigmoid(b - a) if needs[1] else None,
    )


LOGADDEXP = Primitive("Logaddexp", _kernel_of(np.logaddexp, "logaddexp"), _logaddexp_backward)


def logaddexp2(a, b):
    """`f(a, b) = log2(2^a + 2^b);  da = g*sigmoid((a - b) ln 2),  db` likewise"""
    a, b, ad, bd = _operands(a, b, "logaddexp2", floating=True)
    return _run(LOGADDEXP2, "logaddexp2", (a, b), (ad, bd), (a, b))


def _logaddexp2_backward(g, a, b, *, needs):
    return (
        g * E.sigmoid((a - b) * _LN2) if needs[0] else None,
        g * E.sigmoid((b - a) * _LN2) if needs[1] else None,
    )


LOGADDEXP2 = Primitive("Logaddexp2", _kernel_of(np.logaddexp2, "logaddexp2"), _logaddexp2_backward)


def hypot(a, b):
    """`f(a, b) = sqrt(a^2 + b^2);  da = g*a/f,  db = g*b/f`"""
    a, b, ad, bd = _operands(a, b, "hypot", floating=True)
    saved = (a if _rg(a) else None, b if _rg(b) else None, OUT)
    return _run(HYPOT, "hypot", (a, b), (ad, bd), saved)


def _hypot_backward(g, a, b, out):
    return (None if a is None else g * a / out), (None if b is None else g * b / out)


HYPOT = Primitive("Hypot", _kernel_of(np.hypot, "hypot"), _hypot_backward)


def fmax(a, b):
    """f(a, b) = max(a, b), ignoring a NaN;  da = g where a >= b or b is NaN,  db = g elsewhere"""
    a, b, ad, bd = _operands(a, b, "fmax")
    return _run(FMAX, "fmax", (a, b), (ad, bd), (a, b))


def _fmax_backward(g, a, b, *, needs):
    return _fminmax_grads(g, E.logical_or(E.ge(a, b), E.isnan(b)), needs)


def fmin(a, b):
    """f(a, b) = min(a, b), ignoring a NaN;  da = g where a <= b or b is NaN,  db = g elsewhere"""
    a, b, ad, bd = _operands(a, b, "fmin")
    return _run(FMIN, "fmin", (a, b), (ad, bd), (a, b))


def _fmin_backward(g, a, b, *, needs):
    return _fminmax_grads(g, E.logical_or(E.le(a, b), E.isnan(b)), needs)


def _fminmax_grads(g, a_wins, needs):
    return (
        E.where(a_wins, g, 0.0) if needs[0] else None,
        E.where(a_wins, 0.0, g) if needs[1] else None,
    )


FMAX = Primitive("Fmax", _kernel_of(np.fmax, "fmax"), _fmax_backward)
FMIN = Primitive("Fmin", _kernel_of(np.fmin, "fmin"), _fmin_backward)


def clamp_min(a, min):
    """f(a, m) = max(a, m) (NaN propagates);  da = g where a >= m,  dm = g where a < m"""
    a, m, ad, md = _operands(a, min, "clamp_min")
    return _run(CLAMP_MIN, "clamp_min", (a, m), (ad, md), (a, m))


def _clamp_min_backward(g, a, m, *, needs):
    keep = E.ge(a, m)
    return (
        E.where(keep, g, 0.0) if needs[0] else None,
        E.where(E.lt(a, m), g, 0.0) if needs[1] else None,
    )


CLAMP_MIN = Primitive("ClampMin", _kernel_of(np.maximum, "clamp_min"), _clamp_min_backward)


def clamp_max(a, max):
    """f(a, m) = min(a, m) (NaN propagates);  da = g where a <= m,  dm = g where a > m"""
    a, m, ad, md = _operands(a, max, "clamp_max")
    return _run(CLAMP_MAX, "clamp_max", (a, m), (ad, md), (a, m))


def _clamp_max_backward(g, a, m, *, needs):
    return (
        E.where(E.le(a, m), g, 0.0) if needs[0] else None,
        E.where(E.gt(a, m), g, 0.0) if needs[1] else None,
    )


CLAMP_MAX = Primitive("ClampMax", _kernel_of(np.minimum, "clamp_max"), _clamp_max_backward)


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
    t1, t2, d1, d2 = _operands(tensor1, tensor2, "addcmul")
    x, p, xd, pd = _operands(input, _inner(PRODUCT, "addcmul", t1, t2, d1, d2), "addcmul")
    saved = (t1 if _rg(t2) else None, t2 if _rg(t1) else None, value)
    return _run(ADDCMUL, "addcmul", (x, t1, t2), (xd, pd), saved, {"value": value})


def _addcmul_backward(g, t1, t2, value):
    return g, (None if t2 is None else g * t2 * value), (None if t1 is None else g * t1 * value)


PRODUCT = Primitive("AddcmulProduct", _kernel_of(np.multiply, "product"))  # inside addcmul
ADDCMUL = Primitive("Addcmul", _scaled_sum_kernel, _addcmul_backward)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """`f(x, a, b) = x + value*a/b;  dx = g,  da = g*value/b,  db = -g*value*a/b^2`"""
    t1, t2, d1, d2 = _operands(tensor1, tensor2, "addcdiv")
    if value_dtype(d1, d2).kind in "iub":
        raise RuntimeError(
            "addcdiv: integer division with addcdiv is not supported; use floating tensor1 and "
            "tensor2, or (input + value * torch.trunc(tensor1 / tensor2)) for the old behaviour"
        )
    x, q, xd, qd = _operands(input, _inner(QUOTIENT, "addcdiv", t1, t2, d1, d2), "addcdiv")
    saved = (t1 if _rg(t2) else None, t2, value)
    return _run(ADDCDIV, "addcdiv", (x, t1, t2), (xd, qd), saved, {"value": value})


def _addcdiv_backward(g, t1, t2, value, *, needs):
    return (
        g,
        g * value / t2 if needs[1] else None,
        None if t1 is None else -g * value * t1 / (t2 * t2),
    )


QUOTIENT = Primitive("AddcdivQuotient", _kernel_of(np.divide, "quotient"))  # inside addcdiv
ADDCDIV = Primitive("Addcdiv", _scaled_sum_kernel, _addcdiv_backward)


def ldexp(a, e):
    """`f(a, e) = a*2^e;  da = g*2^e,  de = g*f*ln 2`"""
    a, e, ad, ed = _operands(a, e, "ldexp", floating=True)
    saved = (e if _rg(a) else None, OUT if _rg(e) else None)
    return _run(LDEXP, "ldexp", (a, e), (ad, ed), saved)


def _ldexp_backward(g, e, out):
    da = None if e is None else g * (exp2(e) if isinstance(e, TensorBase) else 2.0**e)
    return da, (None if out is None else g * out * _LN2)


LDEXP = Primitive("Ldexp", _kernel_of(lambda x, y: x * np.exp2(y), "ldexp"), _ldexp_backward)


def float_power(a, b):
    """f(a, b) = a^b in float64 (pow's gradients)"""
    if not isinstance(a, TensorBase) and not isinstance(b, TensorBase):
        raise TypeError("float_power: input or exponent must be a tensor")
    a = E.cast(a, float64) if isinstance(a, TensorBase) else float(a)
    b = E.cast(b, float64) if isinstance(b, TensorBase) else float(b)
    return E.pow(a, b)


def true_divide(a, b):
    """f(a, b) = a/b (always true division)"""
    return E.div(a, b)


def heaviside(a, values):
    """f(a, v) = 0 where a < 0, v where a == 0, 1 where a > 0 (no gradient)"""
    a, v, ad, vd = binary(a, values, "heaviside")
    if isinstance(values, TensorBase) and values._data.dtype != a._data.dtype:
        raise RuntimeError(
            f"heaviside: input ({a.dtype}) and values ({values.dtype}) must have the same dtype"
        )
    return _run(HEAVISIDE, "heaviside", (a, v), (ad, vd))


def nextafter(a, b):
    """The next float after a towards b (no gradient)."""
    a, b, ad, bd = _operands(a, b, "nextafter")
    if value_dtype(ad, bd).kind != "f":
        raise RuntimeError("nextafter: expected floating tensors; convert with .float()")
    return _run(NEXTAFTER, "nextafter", (a, b), (ad, bd))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """`|a - b| <= atol + rtol*|b|` (and equal infinities); a bool tensor."""
    a, b, ad, bd = binary(a, b, "isclose")
    attrs = {"rtol": rtol, "atol": atol, "equal_nan": equal_nan}
    return _run(ISCLOSE, "isclose", (a, b), (ad, bd), (), attrs)


def _isclose_kernel(a, b, *, rtol, atol, equal_nan):
    return np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


HEAVISIDE = Primitive("Heaviside", _kernel_of(np.heaviside, "heaviside"))  # no gradients
NEXTAFTER = Primitive("Nextafter", _kernel_of(np.nextafter, "nextafter"))
ISCLOSE = Primitive("Isclose", _isclose_kernel)
