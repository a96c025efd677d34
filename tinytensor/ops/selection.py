"""Elementwise selection between operands: where, clamp (clamp_min, clamp_max), maximum/minimum
(NaN wins) and fmax/fmin (NaN loses).

Each forward sits above its backward, with one line of math; backward formulas are tinytensor
ops, so they differentiate again (``create_graph=True``).
"""

from __future__ import annotations

import functools

import numpy as np

from tinytensor import _dtype as D
from tinytensor._dtype import get_default_dtype
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase
from tinytensor.ops._pointwise import (
    binary_kernel,
    operands,
    run,
)
from tinytensor.ops._util import (
    CAST,
    as_tensor,
    binary,
    broadcast_error,
    checked_scalar,
    warn_user,
)
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.cast import cast
from tinytensor.ops.compare import (
    eq,
    ge,
    greater,
    gt,
    isnan,
    le,
    less,
    logical_and,
    logical_or,
    lt,
    ne,
)

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
    """f(a) = min(max(a, lo), hi), ``a`` itself at a tie (so a zero keeps its sign), NaN where
    ``a`` or a bound is NaN;  da = g where lo <= a <= hi, else 0 (bounds: see ``_clamp_tensors``)

    ``min`` and ``max`` are both numbers or both tensors, as PyTorch's two overloads."""
    a = as_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of min and max must be given")
    given = [v for v in (min, max) if v is not None]
    tensors = [isinstance(v, TensorBase) for v in given]
    if any(tensors) and not all(tensors):
        # Beside a number, a 0-d tensor that needs no gradient is read as a number (PyTorch's
        # argument parser takes it for a Scalar); any other tensor cannot be mixed with one.
        if not all(_as_number_ok(v) for v in given if isinstance(v, TensorBase)):
            kinds = ", ".join(type(v).__name__ for v in (min, max))
            raise TypeError(
                f"clamp: min and max must be both Tensors or both numbers, got ({kinds}); "
                "wrap the number in a tensor (tt.tensor(value)) or pass two numbers"
            )
        min, max = (v.item() if isinstance(v, TensorBase) else v for v in (min, max))
    elif any(tensors):
        if max is None:
            return clamp_min(a, min)
        if min is None:
            return clamp_max(a, max)
        return _clamp_tensors(a, min, max)
    return _clamp_scalar(a, min, max, "clamp")


def _as_number_ok(t):
    return t._data.ndim == 0 and not t.requires_grad


def _clamp_scalar(a, lo, hi, name):
    # The bounds become NumPy scalars of the result dtype (constants of the program; arrays may
    # not be saved), converted with PyTorch's overflow check.
    dt = _clamp_dtype(a._data.dtype, (lo, hi), name)
    if dt.kind == "b":
        raise NotImplementedError(
            f"{name}: not implemented for a bool tensor with bool bounds (PyTorch has no bool "
            "clamp kernel); cast the tensor to an integer dtype first"
        )
    if dt != a._data.dtype:
        a = cast(a, D.from_numpy_dtype(dt))
    lo_s = None if lo is None else checked_scalar(lo, dt, name)
    hi_s = None if hi is None else checked_scalar(hi, dt, name)
    attrs = {"min": lo_s, "max": hi_s}
    return CLAMP.apply((a,), (a._data,), (a, lo_s, hi_s), attrs)


def _clamp_dtype(dt, bounds, name):
    """The dtype of a tensor of ``dt`` clamped to the number ``bounds``: a float bound makes an
    integer or bool tensor floating, an int bound makes a bool tensor int64."""
    for v in bounds:
        if v is None:
            continue
        if isinstance(v, (complex, np.complexfloating)):
            if dt.kind == "f":
                raise RuntimeError(
                    f"{name}: the complex bound {v} cannot be converted to a real value; "
                    "pass a real number"
                )
            raise NotImplementedError(f"{name} is not supported for complex types")
        if not isinstance(v, (int, float, np.integer, np.floating, np.bool_)):
            raise TypeError(
                f"{name}: a bound must be a number or a Tensor, got {type(v).__name__}"
            )
    if dt.kind == "f":
        return dt
    if any(isinstance(v, (float, np.floating)) for v in bounds):
        return get_default_dtype().np
    ints = (v for v in bounds if v is not None and not isinstance(v, (bool, np.bool_)))
    if dt.kind == "b" and any(True for _ in ints):
        return np.dtype(np.int64)
    return dt


def _clamp_values(x, lo, hi):
    """min(max(x, lo), hi) as PyTorch's reference loop: a bound replaces x only where x is beyond
    it or the bound is NaN, so at a tie (-0.0 against +0.0) x stays; a NaN x stays NaN.
    (np.clip, np.maximum and np.minimum pick either operand at a tie, by dtype.)"""
    out = x
    with np.errstate(invalid="ignore"):
        for bound, beyond in ((lo, np.less), (hi, np.greater)):
            if bound is None:
                continue
            take = beyond(out, bound)
            if out.dtype.kind == "f":
                take |= np.isnan(bound)
            out = np.where(take, bound, out)
    return out


def _clamp_kernel(d, *, min, max):
    return _clamp_values(d, min, max)


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


def _clamp_tensors(a, lo, hi):
    """clamp to two tensor bounds: f = min(max(a, lo), hi), a at a tie;  da = g where
    lo <= a <= hi,  dlo = g where a < lo < hi,  dhi = g where a > hi or hi < lo (PyTorch's rule:
    at lo == hi > a no operand gets g; a NaN operand passes none to a, dhi takes g at hi < lo)"""
    dt = _result_dtype((a, lo, hi))
    if dt.kind == "b":
        raise NotImplementedError(
            "clamp: not implemented for bool tensors (PyTorch has no bool clamp kernel); cast "
            "the tensors to an integer dtype first"
        )
    args = tuple(
        t._data if t._data.dtype == dt else CAST.compute((t,), (t._data,), {"dtype": dt})
        for t in (a, lo, hi)
    )
    return run(CLAMP_TENSORS, "clamp", (a, lo, hi), args, (a, lo, hi))


def _result_dtype(tensors):
    # PyTorch's result_type: dimensioned tensors decide unless a 0-d one is of a higher category.
    dims = [D.from_numpy_dtype(t._data.dtype) for t in tensors if t._data.ndim]
    zeros = [D.from_numpy_dtype(t._data.dtype) for t in tensors if not t._data.ndim]
    dim = functools.reduce(D.promote_types, dims) if dims else None
    zero = functools.reduce(D.promote_types, zeros) if zeros else None
    if dim is None or zero is None:
        return (dim or zero).np
    return D.promote(dim, 1, zero, 0).np


def _clamp_tensors_backward(g, a, lo, hi, *, needs):
    return (
        where(logical_and(ge(a, lo), le(a, hi)), g, 0.0) if needs[0] else None,
        where(logical_and(lt(a, lo), lt(lo, hi)), g, 0.0) if needs[1] else None,
        where(logical_or(gt(a, hi), lt(hi, lo)), g, 0.0) if needs[2] else None,
    )


CLAMP_TENSORS = Primitive("ClampTensors", _clamp_values, _clamp_tensors_backward)


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
    if c._data.dtype == np.uint8:  # read as nonzero, deprecated (as in PyTorch)
        warn_user("where received a uint8 condition tensor; this is deprecated, use a bool one")
        c = ne(c, 0)
    if c._data.dtype != np.bool_:
        raise RuntimeError(f"where: condition must be a bool tensor, got dtype {c.dtype}")
    a, b, ad, bd = binary(a, b, "where")
    dt = np.result_type(ad, bd)
    for v in (a, b):  # a Python int beside an integer tensor must fit its dtype
        if v.__class__ is int and dt.kind in "iu":
            checked_scalar(v, dt, "where")
    zero = np.zeros((), dtype=dt).item()
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
    """f(a, m) = max(a, m), ``a`` at a tie, NaN propagates;  da = g where a >= m,  dm = g where
    a < m (a number ``m`` is clamp's bound: ``clamp(a, min=m)``)"""
    if not isinstance(min, TensorBase):
        return _clamp_scalar(as_tensor(input, "clamp_min"), min, None, "clamp_min")
    a, m, ad, md = operands(input, min, "clamp_min")
    return run(CLAMP_MIN, "clamp_min", (a, m), (ad, md), (a, m))


def _clamp_min_kernel(a, m):
    return _clamp_values(np.asarray(a), m, None)


def _clamp_min_backward(g, a, m, *, needs):
    keep = ge(a, m)
    return (
        where(keep, g, 0.0) if needs[0] else None,
        where(lt(a, m), g, 0.0) if needs[1] else None,
    )


CLAMP_MIN = Primitive("ClampMin", _clamp_min_kernel, _clamp_min_backward)


def clamp_max(input, max):
    """f(a, m) = min(a, m), ``a`` at a tie, NaN propagates;  da = g where a <= m,  dm = g where
    a > m (a number ``m`` is clamp's bound: ``clamp(a, max=m)``)"""
    if not isinstance(max, TensorBase):
        return _clamp_scalar(as_tensor(input, "clamp_max"), None, max, "clamp_max")
    a, m, ad, md = operands(input, max, "clamp_max")
    return run(CLAMP_MAX, "clamp_max", (a, m), (ad, md), (a, m))


def _clamp_max_kernel(a, m):
    return _clamp_values(np.asarray(a), None, m)


def _clamp_max_backward(g, a, m, *, needs):
    return (
        where(le(a, m), g, 0.0) if needs[0] else None,
        where(gt(a, m), g, 0.0) if needs[1] else None,
    )


CLAMP_MAX = Primitive("ClampMax", _clamp_max_kernel, _clamp_max_backward)
