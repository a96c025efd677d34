"""Elementwise selection between operands: where, clamp (clamp_min, clamp_max), maximum/minimum
(NaN wins) and fmax/fmin (NaN loses).

Each forward sits above its backward, with one line of math; backward formulas are tinytensor
ops, so they differentiate again (``create_graph=True``).
"""

from __future__ import annotations

import numpy as np

from tinytensor._dtype import get_default_dtype
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
)
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.cast import cast
from tinytensor.ops.compare import eq, ge, greater, gt, isnan, le, less, logical_or, lt

__all__ = [
    "clamp",
    "clamp_max",
    "clamp_min",
    "fmax",
    "fmin",
    "maximum",
    "minimum",
    "where",
]


def clamp(input, min=None, max=None):
    """f(a) = min(max(a, lo), hi);  da = g where lo <= a <= hi, else 0 (and to lo/hi the rest)"""
    a = input
    a = as_tensor(a, "clamp")
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of min and max must be given")
    if a._data.dtype.kind != "f" and any(isinstance(v, float) for v in (min, max)):
        # An integer tensor clamped to a float bound becomes floating (PyTorch's promotion).
        a = cast(a, get_default_dtype())
    out = a
    if min is not None:
        out = maximum(out, min) if isinstance(min, TensorBase) else _clamp_scalar(out, min, None)
    if max is not None:
        out = minimum(out, max) if isinstance(max, TensorBase) else _clamp_scalar(out, None, max)
    return out


def _clamp_scalar(a, lo, hi):
    d = a._data
    # The bounds as NumPy scalars (constants of the program; arrays may not be saved): of the
    # tensor's dtype for a floating tensor; an integer tensor's kernel gets the Python number,
    # as NumPy decides its result dtype by it.
    if d.dtype.kind == "f":
        lo_s = None if lo is None else np.asarray(lo).astype(d.dtype)[()]
        hi_s = None if hi is None else np.asarray(hi).astype(d.dtype)[()]
        attrs = {"min": lo_s, "max": hi_s}
        return CLAMP.apply((a,), (d,), (a, lo_s, hi_s), attrs)
    lo_s = None if lo is None else np.asarray(lo)[()]
    hi_s = None if hi is None else np.asarray(hi)[()]
    attrs = {"min": lo_s, "max": hi_s}
    return CLAMP.apply((a,), (d,), (a, lo_s, hi_s), {"min": lo, "max": hi}, attrs)


def _clamp_kernel(d, *, min, max):
    return np.clip(d, min, max)


def _clamp_backward(g, a, lo, hi):
    # The input is saved (as PyTorch does), so the mask is made from the values it had.
    return (g * CLAMP_MASK.apply((a,), (a._data,), (), {"lo": lo, "hi": hi}),)


def _clamp_mask_kernel(d, *, lo, hi):
    keep = np.ones(d.shape, bool)
    if lo is not None:
        keep &= d >= lo
    if hi is not None:
        keep &= d <= hi
    return keep


CLAMP = Primitive("Clamp", _clamp_kernel, _clamp_backward)


CLAMP_MASK = Primitive("ClampMask", _clamp_mask_kernel)  # bool: where clamp passes its gradient


def maximum(input, other):
    """`f(a, b) = max(a, b);  da = g*[a>b] + g/2*[a==b],  db` likewise"""
    a, b = input, other
    a, b, ad, bd = binary(a, b, "maximum")
    try:
        return MAXIMUM.apply((a, b), (ad, bd), (a, b))
    except ValueError:
        raise broadcast_error("maximum", a, b) from None


def _maximum_backward(g, a, b):
    return _minmax_grads(g, a, b, less)


def minimum(input, other):
    """`f(a, b) = min(a, b);  da = g*[a<b] + g/2*[a==b],  db` likewise"""
    a, b = input, other
    a, b, ad, bd = binary(a, b, "minimum")
    try:
        return MINIMUM.apply((a, b), (ad, bd), (a, b))
    except ValueError:
        raise broadcast_error("minimum", a, b) from None


def _minimum_backward(g, a, b):
    return _minmax_grads(g, a, b, greater)


def _minmax_grads(g, a, b, loses):
    # PyTorch's rule: ties send half the gradient to each side, a side gets nothing where it
    # loses, and a NaN (which neither wins nor loses) passes the whole gradient on.
    half = where(eq(a, b), 0.5 * g, g)
    return (
        where(loses(a, b), 0.0, half) if _rg(a) else None,
        where(loses(b, a), 0.0, half) if _rg(b) else None,
    )


MAXIMUM = Primitive("Maximum", np.maximum, _maximum_backward)


MINIMUM = Primitive("Minimum", np.minimum, _minimum_backward)


def where(condition, input, other):
    """f(c, a, b) = a where c else b;  da = g where c else 0,  db = g where not c else 0"""
    a, b = input, other
    c = as_tensor(condition, "where")
    if c._data.dtype != np.bool_:
        raise RuntimeError(f"where: condition must be a bool tensor, got dtype {c.dtype}")
    a, b, ad, bd = binary(a, b, "where")
    zero = np.zeros((), dtype=np.result_type(ad, bd)).item()
    # The condition is saved (and so version-checked): changing it in place after the
    # forward pass would route the gradient to the wrong side.
    try:
        return WHERE.apply((c, a, b), (c._data, ad, bd), (c, zero))
    except ValueError:
        raise broadcast_error("where", c, a, b) from None


def _where_backward(g, c, zero, *, needs):
    return (
        None,
        where(c, g, zero) if needs[1] else None,
        where(c, zero, g) if needs[2] else None,
    )


WHERE = Primitive("Where", np.where, _where_backward)


def fmax(input, other):
    """f(a, b) = max(a, b), ignoring a NaN;  da = g where a >= b or b is NaN,  db = g elsewhere"""
    a, b, ad, bd = operands(input, other, "fmax")
    return run(FMAX, "fmax", (a, b), (ad, bd), (a, b))


def _fmax_backward(g, a, b, *, needs):
    return _fminmax_grads(g, logical_or(ge(a, b), isnan(b)), needs)


def fmin(input, other):
    """f(a, b) = min(a, b), ignoring a NaN;  da = g where a <= b or b is NaN,  db = g elsewhere"""
    a, b, ad, bd = operands(input, other, "fmin")
    return run(FMIN, "fmin", (a, b), (ad, bd), (a, b))


def _fmin_backward(g, a, b, *, needs):
    return _fminmax_grads(g, logical_or(le(a, b), isnan(b)), needs)


def _fminmax_grads(g, a_wins, needs):
    return (
        where(a_wins, g, 0.0) if needs[0] else None,
        where(a_wins, 0.0, g) if needs[1] else None,
    )


FMAX = Primitive("Fmax", binary_kernel(np.fmax, "fmax"), _fmax_backward)


FMIN = Primitive("Fmin", binary_kernel(np.fmin, "fmin"), _fmin_backward)


def clamp_min(input, min):
    """f(a, m) = max(a, m) (NaN propagates);  da = g where a >= m,  dm = g where a < m"""
    a, m, ad, md = operands(input, min, "clamp_min")
    return run(CLAMP_MIN, "clamp_min", (a, m), (ad, md), (a, m))


def _clamp_min_backward(g, a, m, *, needs):
    keep = ge(a, m)
    return (
        where(keep, g, 0.0) if needs[0] else None,
        where(lt(a, m), g, 0.0) if needs[1] else None,
    )


CLAMP_MIN = Primitive("ClampMin", binary_kernel(np.maximum, "clamp_min"), _clamp_min_backward)


def clamp_max(input, max):
    """f(a, m) = min(a, m) (NaN propagates);  da = g where a <= m,  dm = g where a > m"""
    a, m, ad, md = operands(input, max, "clamp_max")
    return run(CLAMP_MAX, "clamp_max", (a, m), (ad, md), (a, m))


def _clamp_max_backward(g, a, m, *, needs):
    return (
        where(le(a, m), g, 0.0) if needs[0] else None,
        where(gt(a, m), g, 0.0) if needs[1] else None,
    )


CLAMP_MAX = Primitive("ClampMax", binary_kernel(np.minimum, "clamp_max"), _clamp_max_backward)
