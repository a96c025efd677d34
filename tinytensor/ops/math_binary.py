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
from tinytensor.autograd.node import OUT, record
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import elementwise as E
from tinytensor.ops._util import binary, broadcast_error, value_dtype
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.math import exp2

_LN2 = math.log(2.0)


def _as(v, dt):
    return v.astype(dt, copy=False) if isinstance(v, np.ndarray) else dt.type(v)


def _operands(a, b, name, floating=False):
    """Both operands and their values at PyTorch's result dtype (floating if ``floating``)."""
    a, b, ad, bd = binary(a, b, name)
    if floating and value_dtype(ad, bd).kind != "f":
        dt = get_default_dtype().np
        ad, bd = _as(ad, dt), _as(bd, dt)
    return a, b, ad, bd


def _apply(fn, name, a, b, ad, bd):
    try:
        with np.errstate(all="ignore"):
            out = fn(ad, bd)
    except ValueError:
        raise broadcast_error(name, a, b) from None
    return np.asarray(out).astype(value_dtype(ad, bd), copy=False)


def atan2(a, b):
    """`f(a, b) = atan(a/b)` in the right quadrant;  `da = g*b/(a^2+b^2),  db = -g*a/(a^2+b^2)`"""
    a, b, ad, bd = _operands(a, b, "atan2", floating=True)
    out = _apply(np.arctan2, "atan2", a, b, ad, bd)
    return record(wrap(out), "Atan2", (a, b), _atan2_backward, (a, b))


def _atan2_backward(g, a, b, *, needs):
    scale = g / (a * a + b * b)
    return (scale * b if needs[0] else None), (-scale * a if needs[1] else None)


arctan2 = atan2


def xlogy(a, b):
    """`f(a, b) = a*log(b), 0 where a == 0` (unless b is NaN);
    `da = xlogy(g, b), 0 where a == 0 and b <= 0;  db = g*a/b` (PyTorch's rule)"""
    a, b, ad, bd = _operands(a, b, "xlogy", floating=True)
    out = _apply(_xlogy_np, "xlogy", a, b, ad, bd)
    return record(wrap(out), "Xlogy", (a, b), _xlogy_backward, (a, b))


def _xlogy_np(x, y):
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))


def _xlogy_backward(g, a, b, *, needs):
    return (
        E.where(E.logical_and(E.eq(a, 0), E.le(b, 0)), 0.0, xlogy(g, b)) if needs[0] else None,
        g * a / b if needs[1] else None,
    )


def lerp(start, end, weight):
    """`f(s, e, w) = s + w*(e - s);  ds = g*(1 - w),  de = g*w,  dw = g*(e - s)`"""
    start, end, sd, ed = _operands(start, end, "lerp")
    if sd.__class__ is not np.ndarray and ed.__class__ is not np.ndarray:
        raise TypeError("lerp: start or end must be a tensor")
    wd = weight._data if isinstance(weight, TensorBase) else weight
    try:
        with np.errstate(all="ignore"):
            # PyTorch's two-sided formula: exact at w = 0 and at w = 1.
            out = np.where(np.abs(wd) < 0.5, sd + wd * (ed - sd), ed - (ed - sd) * (1 - wd))
    except ValueError:
        raise broadcast_error("lerp", start, end, weight) from None
    out = out.astype(value_dtype(sd, ed), copy=False)
    rw = _rg(weight)
    saved = (start if rw else None, end if rw else None, weight)
    return record(wrap(out), "Lerp", (start, end, weight), _lerp_backward, saved)


def _lerp_backward(g, start, end, weight, *, needs):
    return (
        g * (1.0 - weight) if needs[0] else None,
        g * weight if needs[1] else None,
        None if start is None else g * (end - start),
    )


def fmod(a, b):
    """`f(a, b) = a - trunc(a/b)*b` (sign of a);  `da = g,  db = -g*trunc(a/b)`"""
    a, b, ad, bd = _operands(a, b, "fmod")
    if value_dtype(ad, bd).kind in "iub" and np.any(np.asarray(bd) == 0):
        raise RuntimeError("fmod: integer division by zero (ZeroDivisionError)")
    out = _apply(np.fmod, "fmod", a, b, ad, bd)
    rb = _rg(b)
    return record(wrap(out), "Fmod", (a, b), _fmod_backward, (a if rb else None, b if rb else None))


def _fmod_backward(g, a, b):
    return g, (None if b is None else -g * E.div(a, b, rounding_mode="trunc"))


def copysign(a, b):
    """`f(a, b) = |a|` with the sign of `b`;  `da = g*f/a` (0 where `a == 0`),  `db = 0`"""
    a, b, ad, bd = _operands(a, b, "copysign", floating=True)
    out = _apply(np.copysign, "copysign", a, b, ad, bd)
    ra = _rg(a)
    saved = (a if ra else None, OUT if ra else None)
    return record(wrap(out), "Copysign", (a, b), _copysign_backward, saved)


def _copysign_backward(g, a, out, *, needs):
    da = None
    if a is not None:
        zero = E.eq(a, 0)
        da = g * E.where(zero, 0.0, out / E.where(zero, 1.0, a))
    return da, (g * 0.0 if needs[1] else None)


def logaddexp(a, b):
    """`f(a, b) = log(e^a + e^b);  da = g*sigmoid(a - b),  db = g*sigmoid(b - a)`"""
    a, b, ad, bd = _operands(a, b, "logaddexp", floating=True)
    out = _apply(np.logaddexp, "logaddexp", a, b, ad, bd)
    return record(wrap(out), "Logaddexp", (a, b), _logaddexp_backward, (a, b))


def _logaddexp_backward(g, a, b, *, needs):
    return (
        g * E.sigmoid(a - b) if needs[0] else None,
        g * E.sigmoid(b - a) if needs[1] else None,
    )


def logaddexp2(a, b):
    """`f(a, b) = log2(2^a + 2^b);  da = g*sigmoid((a - b) ln 2),  db` likewise"""
    a, b, ad, bd = _operands(a, b, "logaddexp2", floating=True)
    out = _apply(np.logaddexp2, "logaddexp2", a, b, ad, bd)
    return record(wrap(out), "Logaddexp2", (a, b), _logaddexp2_backward, (a, b))


def _logaddexp2_backward(g, a, b, *, needs):
    return (
        g * E.sigmoid((a - b) * _LN2) if needs[0] else None,
        g * E.sigmoid((b - a) * _LN2) if needs[1] else None,
    )


def hypot(a, b):
    """`f(a, b) = sqrt(a^2 + b^2);  da = g*a/f,  db = g*b/f`"""
    a, b, ad, bd = _operands(a, b, "hypot", floating=True)
    out = _apply(np.hypot, "hypot", a, b, ad, bd)
    saved = (a if _rg(a) else None, b if _rg(b) else None, OUT)
    return record(wrap(out), "Hypot", (a, b), _hypot_backward, saved)


def _hypot_backward(g, a, b, out):
    return (None if a is None else g * a / out), (None if b is None else g * b / out)


def fmax(a, b):
    """f(a, b) = max(a, b), ignoring a NaN;  da = g where a >= b or b is NaN,  db = g elsewhere"""
    a, b, ad, bd = _operands(a, b, "fmax")
    out = _apply(np.fmax, "fmax", a, b, ad, bd)
    return record(wrap(out), "Fmax", (a, b), _fmax_backward, (a, b))


def _fmax_backward(g, a, b, *, needs):
    return _fminmax_grads(g, E.logical_or(E.ge(a, b), E.isnan(b)), needs)


def fmin(a, b):
    """f(a, b) = min(a, b), ignoring a NaN;  da = g where a <= b or b is NaN,  db = g elsewhere"""
    a, b, ad, bd = _operands(a, b, "fmin")
    out = _apply(np.fmin, "fmin", a, b, ad, bd)
    return record(wrap(out), "Fmin", (a, b), _fmin_backward, (a, b))


def _fmin_backward(g, a, b, *, needs):
    return _fminmax_grads(g, E.logical_or(E.le(a, b), E.isnan(b)), needs)


def _fminmax_grads(g, a_wins, needs):
    return (
        E.where(a_wins, g, 0.0) if needs[0] else None,
        E.where(a_wins, 0.0, g) if needs[1] else None,
    )


def clamp_min(a, min):
    """f(a, m) = max(a, m) (NaN propagates);  da = g where a >= m,  dm = g where a < m"""
    a, m, ad, md = _operands(a, min, "clamp_min")
    out = _apply(np.maximum, "clamp_min", a, m, ad, md)
    return record(wrap(out), "ClampMin", (a, m), _clamp_min_backward, (a, m))


def _clamp_min_backward(g, a, m, *, needs):
    keep = E.ge(a, m)
    return (
        E.where(keep, g, 0.0) if needs[0] else None,
        E.where(E.lt(a, m), g, 0.0) if needs[1] else None,
    )


def clamp_max(a, max):
    """f(a, m) = min(a, m) (NaN propagates);  da = g where a <= m,  dm = g where a > m"""
    a, m, ad, md = _operands(a, max, "clamp_max")
    out = _apply(np.minimum, "clamp_max", a, m, ad, md)
    return record(wrap(out), "ClampMax", (a, m), _clamp_max_backward, (a, m))


def _clamp_max_backward(g, a, m, *, needs):
    return (
        E.where(E.le(a, m), g, 0.0) if needs[0] else None,
        E.where(E.gt(a, m), g, 0.0) if needs[1] else None,
    )


def addcmul(input, tensor1, tensor2, *, value=1):
    """`f(x, a, b) = x + value*a*b;  dx = g,  da = g*b*value,  db = g*a*value`"""
    t1, t2, d1, d2 = _operands(tensor1, tensor2, "addcmul")
    x, _, xd, pd = _operands(input, wrap(_apply(np.multiply, "addcmul", t1, t2, d1, d2)), "addcmul")
    out = _apply(lambda u, v: u + value * v, "addcmul", x, t2, xd, pd)
    saved = (t1 if _rg(t2) else None, t2 if _rg(t1) else None, value)
    return record(wrap(out), "Addcmul", (x, t1, t2), _addcmul_backward, saved)


def _addcmul_backward(g, t1, t2, value):
    return g, (None if t2 is None else g * t2 * value), (None if t1 is None else g * t1 * value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """`f(x, a, b) = x + value*a/b;  dx = g,  da = g*value/b,  db = -g*value*a/b^2`"""
    t1, t2, d1, d2 = _operands(tensor1, tensor2, "addcdiv")
    if value_dtype(d1, d2).kind in "iub":
        raise RuntimeError(
            "addcdiv: integer division with addcdiv is not supported; use floating tensor1 and "
            "tensor2, or (input + value * torch.trunc(tensor1 / tensor2)) for the old behaviour"
        )
    x, _, xd, qd = _operands(input, wrap(_apply(np.divide, "addcdiv", t1, t2, d1, d2)), "addcdiv")
    out = _apply(lambda u, v: u + value * v, "addcdiv", x, t2, xd, qd)
    saved = (t1 if _rg(t2) else None, t2, value)
    return record(wrap(out), "Addcdiv", (x, t1, t2), _addcdiv_backward, saved)


def _addcdiv_backward(g, t1, t2, value, *, needs):
    return (
        g,
        g * value / t2 if needs[1] else None,
        None if t1 is None else -g * value * t1 / (t2 * t2),
    )


def ldexp(a, e):
    """`f(a, e) = a*2^e;  da = g*2^e,  de = g*f*ln 2`"""
    a, e, ad, ed = _operands(a, e, "ldexp", floating=True)
    out = _apply(lambda x, y: x * np.exp2(y), "ldexp", a, e, ad, ed)
    saved = (e if _rg(a) else None, OUT if _rg(e) else None)
    return record(wrap(out), "Ldexp", (a, e), _ldexp_backward, saved)


def _ldexp_backward(g, e, out):
    da = None if e is None else g * (exp2(e) if isinstance(e, TensorBase) else 2.0**e)
    return da, (None if out is None else g * out * _LN2)


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
    return wrap(_apply(np.heaviside, "heaviside", a, v, ad, vd))


def nextafter(a, b):
    """The next float after a towards b (no gradient)."""
    a, b, ad, bd = _operands(a, b, "nextafter")
    if value_dtype(ad, bd).kind != "f":
        raise RuntimeError("nextafter: expected floating tensors; convert with .float()")
    return wrap(_apply(np.nextafter, "nextafter", a, b, ad, bd))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """`|a - b| <= atol + rtol*|b|` (and equal infinities); a bool tensor."""
    a, b, ad, bd = binary(a, b, "isclose")
    try:
        return wrap(np.asarray(np.isclose(ad, bd, rtol=rtol, atol=atol, equal_nan=equal_nan)))
    except ValueError:
        raise broadcast_error("isclose", a, b) from None
