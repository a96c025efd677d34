"""Elementwise operations. Each forward sits above its backward closure, with one line of math.

Backward closures are written in tinytensor ops, so ``create_graph=True`` differentiates them
again; gradients are left at the broadcast shape, the engine reduces them (engine.reduce_to).

NaN and inf follow IEEE silently, as in PyTorch: no NumPy warning leaks from an op. Kernels run
under ``np.errstate(all="ignore")``, except the hot ones (add, sub, mul, div, pow, exp, log,
sqrt), where an errstate would cost as much as the op: they run bare, a warnings filter scoped
to this module drops NumPy's warning, and where the caller made warnings errors
(``simplefilter("error")``, ``np.seterr(all="raise")``) they catch that and compute again
under errstate.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np

from tinytensor._dtype import get_default_dtype
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops._util import (
    CAST,
    as_tensor,
    binary,
    binary_arith,
    broadcast_error,
    scalar_like,
    value_dtype,
    zeros_like_shape,
)
from tinytensor.ops._util import requires_grad as _rg

# --- arithmetic -----------------------------------------------------------------------------

_FP_SIGNALS = (RuntimeWarning, FloatingPointError)  # NumPy's warning made an error, or "raise"
warnings.filterwarnings("ignore", category=RuntimeWarning, module=re.escape(__name__) + "$")
_quiet = np.errstate  # ``with _quiet(all="ignore"):`` around a kernel


def add(input, other, alpha=1):
    """`f(a, b) = a + alpha*b;  da = g,  db = alpha*g`"""
    a, b = input, other
    if alpha != 1:
        b = mul(b, alpha)
    a, b, ad, bd = binary_arith(a, b, "add")  # constants as cached 0-d arrays
    try:
        return ADD.apply((a, b), (ad, bd))
    except ValueError:
        raise broadcast_error("add", a, b) from None


def _add_kernel(a, b):
    try:
        return a + b
    except _FP_SIGNALS:  # inf - inf, overflow: IEEE silently (see the module docstring)
        with _quiet(all="ignore"):
            return a + b


def _add_backward(g):
    return g, g


ADD = Primitive("Add", _add_kernel, _add_backward)


def sub(input, other, alpha=1):
    """`f(a, b) = a - alpha*b;  da = g,  db = -alpha*g`"""
    a, b = input, other
    if alpha != 1:
        b = mul(b, alpha)
    a, b, ad, bd = binary_arith(a, b, "sub")  # constants as cached 0-d arrays
    if value_dtype(ad, bd) == np.bool_:
        raise RuntimeError(
            "sub: subtracting bool tensors is not supported; use logical_xor instead"
        )
    try:
        return SUB.apply((a, b), (ad, bd))
    except ValueError:
        raise broadcast_error("sub", a, b) from None


def _sub_kernel(a, b):
    try:
        return a - b
    except _FP_SIGNALS:
        with _quiet(all="ignore"):
            return a - b


def _sub_backward(g):
    return g, -g


SUB = Primitive("Sub", _sub_kernel, _sub_backward)


def rsub(a, b):
    return sub(b, a)


def mul(input, other):
    """`f(a, b) = a*b;  da = g*b,  db = g*a`"""
    a, b = input, other
    a, b, ad, bd = binary_arith(a, b, "mul")  # constants as cached 0-d arrays
    # Save only what backward reads (da needs b, db needs a), so changing the other operand in
    # place afterwards is no error, as in PyTorch. (In backward formulas and under no_grad
    # nothing is saved: the tuple would cost about 0.3 us of a 1-element mul.)
    saved = (a if _rg(b) else None, b if _rg(a) else None) if grad_state.enabled else ()
    try:
        return MUL.apply((a, b), (ad, bd), saved)
    except ValueError:
        raise broadcast_error("mul", a, b) from None


def _mul_kernel(a, b):
    try:
        return a * b
    except _FP_SIGNALS:  # 0 * inf, overflow
        with _quiet(all="ignore"):
            return a * b


def _mul_backward(g, a, b):
    # ``a`` is saved only when b needs a gradient, ``b`` only when a does.
    return (None if b is None else g * b), (None if a is None else g * a)


MUL = Primitive("Mul", _mul_kernel, _mul_backward)


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
        dt = get_default_dtype().np
        ad, bd = _to_float(a, ad, dt), _to_float(b, bd, dt)
    try:
        return DIV.apply((a, b), (ad, bd), (a if _rg(b) else None, b))
    except ValueError:
        raise broadcast_error("div", a, b) from None


def _to_float(t, v, dt):
    """An integer operand's value ``v`` (of tensor or number ``t``) as ``dt``: arrays by the
    traced ``CAST`` kernel, NumPy scalars (constants) directly."""
    return CAST.compute((t,), (v,), {"dtype": dt}) if v.__class__ is np.ndarray else dt.type(v)


def _div_kernel(a, b):
    try:
        return a / b
    except _FP_SIGNALS:  # 0/0, x/0, overflow: IEEE silently (see the module docstring)
        with _quiet(all="ignore"):
            return a / b


def _div_backward(g, a, b, *, needs):
    # ``a`` is saved only when b needs a gradient.
    return (g / b if needs[0] else None), (None if a is None else -g * a / (b * b))


DIV = Primitive("Div", _div_kernel, _div_backward)


def _div_trunc_kernel(a, b):
    with _quiet(all="ignore"):
        return np.trunc(np.true_divide(a, b)).astype(value_dtype(a, b), copy=False)


DIV_TRUNC = Primitive("DivTrunc", _div_trunc_kernel)  # no gradient


def rdiv(a, b):
    return div(b, a)


def _check_int_divisor(ad, bd, name):
    # NumPy quietly returns 0 for an integer division by zero; PyTorch raises.
    if value_dtype(ad, bd).kind in "iub" and np.any(np.asarray(bd) == 0):
        raise ZeroDivisionError(f"{name}: integer division by zero")


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
    with _quiet(all="ignore"):
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
    with _quiet(all="ignore"):
        return np.remainder(a, b)


def _remainder_backward(g, a, b):
    return g, (None if a is None else -g * floor_divide(a, b))


REMAINDER = Primitive("Remainder", _remainder_kernel, _remainder_backward)


def neg(input):
    """f(a) = -a;  da = -g"""
    a = input
    a = as_tensor(a, "neg")
    if a._data.dtype == np.bool_:
        raise RuntimeError("neg: negation of a bool tensor is not supported; use logical_not")
    return NEG.apply((a,), (a._data,))


def _neg_backward(g):
    return (-g,)


NEG = Primitive("Neg", np.negative, _neg_backward)


def pow(input, exponent):
    """`f(a, b) = a^b;  da = g*b*a^(b-1) (0 where b == 0),  db = g*a^b*log(a) (0 where a == 0)`"""
    a, b = input, exponent
    a, b, ad, bd = binary(a, b, "pow")
    if (
        value_dtype(ad, bd).kind in "iu"
        and isinstance(bd, (np.ndarray, np.integer))
        and np.any(np.asarray(bd) < 0)
    ):
        raise RuntimeError("pow: integers to negative integer powers are not allowed; use floats")
    # Only db needs the output; keeping it otherwise would make an in-place change to the
    # result of x ** 2 a (spurious) error in backward, which PyTorch does not raise.
    try:
        return POW.apply((a, b), (ad, bd), (a, b, OUT if _rg(b) else None))
    except ValueError:
        raise broadcast_error("pow", a, b) from None


def _pow_kernel(a, b):
    try:
        return np.power(a, b)
    except _FP_SIGNALS:
        with _quiet(all="ignore"):
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
    return g * where(zero, _pow_zero_base_grad(b), out * log(where(zero, 1.0, a)))


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


def rpow(a, b):
    return pow(b, a)


def square(input):
    """`f(a) = a^2;  da = 2*g*a`"""
    a = input
    return mul(a, a)


def reciprocal(input):
    """`f(a) = 1/a;  da = -g*f(a)^2`"""
    a = input
    a, d = _unary_float(a, "reciprocal")
    return RECIPROCAL.apply((a,), (d,), (OUT,))


def _reciprocal_kernel(d):
    with _quiet(all="ignore"):
        return np.reciprocal(d)


def _reciprocal_backward(g, out):
    return (-g * out * out,)


RECIPROCAL = Primitive("Reciprocal", _reciprocal_kernel, _reciprocal_backward)


# --- unary math -----------------------------------------------------------------------------


def _unary_float(a, name):
    """``a`` as a tensor and its storage as a float array (integers and bools go to the default
    float dtype, by the traced ``CAST`` kernel)."""
    a = as_tensor(a, name)
    d = a._data
    if d.dtype.kind != "f":
        d = CAST.compute((a,), (d,), {"dtype": get_default_dtype().np})
    return a, d


def exp(input):
    """`f(a) = e^a;  da = g*f(a)`"""
    a = input
    a, d = _unary_float(a, "exp")
    return EXP.apply((a,), (d,), (OUT,))


def _exp_kernel(d):
    try:
        return np.exp(d)
    except _FP_SIGNALS:
        with _quiet(all="ignore"):
            return np.exp(d)


def _exp_backward(g, out):
    return (g * out,)


EXP = Primitive("Exp", _exp_kernel, _exp_backward)


def log(input):
    """f(a) = ln a;  da = g/a"""
    a = input
    a, d = _unary_float(a, "log")
    return LOG.apply((a,), (d,), (a,))


def _log_kernel(d):
    try:
        return np.log(d)
    except _FP_SIGNALS:
        with _quiet(all="ignore"):
            return np.log(d)


def _log_backward(g, a):
    return (g / a,)


LOG = Primitive("Log", _log_kernel, _log_backward)


def log1p(input):
    """f(a) = ln(1+a);  da = g/(1+a)"""
    a = input
    a, d = _unary_float(a, "log1p")
    return LOG1P.apply((a,), (d,), (a,))


def _log1p_kernel(d):
    with _quiet(all="ignore"):
        return np.log1p(d)


def _log1p_backward(g, a):
    return (g / (a + 1.0),)


LOG1P = Primitive("Log1p", _log1p_kernel, _log1p_backward)


def sqrt(input):
    """`f(a) = sqrt(a);  da = g/(2*f(a))`"""
    a = input
    a, d = _unary_float(a, "sqrt")
    return SQRT.apply((a,), (d,), (OUT,))


def _sqrt_kernel(d):
    try:
        return np.sqrt(d)
    except _FP_SIGNALS:
        with _quiet(all="ignore"):
            return np.sqrt(d)


def _sqrt_backward(g, out):
    return (g / (out * 2.0),)


SQRT = Primitive("Sqrt", _sqrt_kernel, _sqrt_backward)


def rsqrt(input):
    """`f(a) = a^(-1/2);  da = -g*f(a)^3/2`"""
    a = input
    a, d = _unary_float(a, "rsqrt")
    return RSQRT.apply((a,), (d,), (OUT,))


def _rsqrt_kernel(d):
    with _quiet(all="ignore"):
        return 1.0 / np.sqrt(d)


def _rsqrt_backward(g, out):
    return (g * out * out * out * -0.5,)


RSQRT = Primitive("Rsqrt", _rsqrt_kernel, _rsqrt_backward)


def abs(input):
    """`f(a) = |a|;  da = g*sign(a)`"""
    a = input
    a = as_tensor(a, "abs")
    return ABS.apply((a,), (a._data,), (a,))


def _abs_backward(g, a):
    return (g * sign(a),)


ABS = Primitive("Abs", np.abs, _abs_backward)


def sign(input):
    """f(a) = sign(a) (0 at NaN, as in PyTorch);  da = 0"""
    a = input
    a = as_tensor(a, "sign")
    return SIGN.apply((a,), (a._data,))


def _sign_kernel(d):
    out = np.sign(d)
    if out.dtype.kind == "f":
        out = np.where(out != out, 0, out).astype(out.dtype, copy=False)  # NaN != NaN
    return out


def _zero_backward(g):
    """The gradient of a piecewise-constant function: zeros."""
    return (g * 0.0,)


SIGN = Primitive("Sign", _sign_kernel, _zero_backward)


def sin(input):
    """`f(a) = sin a`;  `da = g*cos a`"""
    a = input
    a, d = _unary_float(a, "sin")
    return SIN.apply((a,), (d,), (a,))


def _sin_kernel(d):
    with _quiet(all="ignore"):
        return np.sin(d)


def _sin_backward(g, a):
    return (g * cos(a),)


SIN = Primitive("Sin", _sin_kernel, _sin_backward)


def cos(input):
    """`f(a) = cos a`;  `da = -g*sin a`"""
    a = input
    a, d = _unary_float(a, "cos")
    return COS.apply((a,), (d,), (a,))


def _cos_kernel(d):
    with _quiet(all="ignore"):
        return np.cos(d)


def _cos_backward(g, a):
    return (-g * sin(a),)


COS = Primitive("Cos", _cos_kernel, _cos_backward)


def tanh(input):
    """`f(a) = tanh a`;  `da = g*(1 - f(a)^2)`"""
    a = input
    a, d = _unary_float(a, "tanh")
    return TANH.apply((a,), (d,), (OUT,))


def _tanh_grad(g, out):
    return (_tanh_backward(g, out),)


TANH = Primitive("Tanh", np.tanh, _tanh_grad)


def _tanh_backward(g, y):
    """`f(g, y) = g*(1 - y^2);  dg = gg*(1 - y^2),  dy = -2*gg*g*y`

    One recorded op instead of three (mul, rsub, mul): a third of the dispatches, same graph
    for double backward.
    """
    return TANH_BACKWARD.apply((g, y), (g._data, y._data), (g, y))


def _tanh_backward_kernel(gd, yd):
    one = scalar_like(1, yd.dtype)  # a 0-d array: NumPy converts a Python 1 on every call
    return gd * (one - yd * yd)


def _tanh_backward_grad(gg, g, y):
    return _tanh_backward(gg, y), gg * g * y * -2.0


TANH_BACKWARD = Primitive("TanhBackward", _tanh_backward_kernel, _tanh_backward_grad)


def _sigmoid_np(d):
    # exp of a non-positive number only, so large |x| never overflows; it may underflow to 0,
    # which NumPy reports only where the caller asked (np.seterr(under=...)): then quietly
    # again. No errstate on the common path: it would cost more than the op on small arrays.
    try:
        return _sigmoid_values(d)
    except _FP_SIGNALS:
        with _quiet(all="ignore"):
            return _sigmoid_values(d)


def _sigmoid_values(d):
    e = np.exp(-np.abs(d))
    return np.where(d >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(d.dtype, copy=False)


def sigmoid(input):
    """`f(a) = 1/(1+e^-a);  da = g*f(a)*(1 - f(a))`"""
    a = input
    a, d = _unary_float(a, "sigmoid")
    return SIGMOID.apply((a,), (d,), (OUT,))


def _sigmoid_grad(g, out):
    return (_sigmoid_backward(g, out),)


SIGMOID = Primitive("Sigmoid", _sigmoid_np, _sigmoid_grad)


def _sigmoid_backward(g, y):
    """`f(g, y) = g*y*(1 - y);  dg = gg*y*(1 - y),  dy = gg*g*(1 - 2y)`

    One recorded op instead of three, like ``_tanh_backward``.
    """
    return SIGMOID_BACKWARD.apply((g, y), (g._data, y._data), (g, y))


def _sigmoid_backward_kernel(gd, yd):
    return gd * (yd * (scalar_like(1, yd.dtype) - yd))


def _sigmoid_backward_grad(gg, g, y):
    return _sigmoid_backward(gg, y), gg * g * (1.0 - y * 2.0)


SIGMOID_BACKWARD = Primitive("SigmoidBackward", _sigmoid_backward_kernel, _sigmoid_backward_grad)


def relu(input):
    """f(a) = max(a, 0);  da = g where not a <= 0 (so a NaN passes g on, as in PyTorch)"""
    a = input
    a = as_tensor(a, "relu")
    return RELU.apply((a,), (a._data,), (OUT,))


def _relu_kernel(d):
    if d.dtype.kind == "f":
        # Against cached zeros of d's shape (SIMD, ~5x faster), or a cached 0-d zero if d is
        # too large to cache (half the cost of a Python 0 and ``dtype=``): the same values.
        z = zeros_like_shape(d)
        return np.maximum(d, scalar_like(0, d.dtype) if z is None else z)
    return np.maximum(d, 0, dtype=d.dtype)


def _relu_grad(g, out):
    return (_relu_backward(g, RELU_MASK.apply((out,), (out._data,))),)


def _relu_mask_kernel(out):
    return ~(out <= 0)


RELU = Primitive("Relu", _relu_kernel, _relu_grad)
RELU_MASK = Primitive("ReluMask", _relu_mask_kernel)  # bool: where relu passes its gradient


def _relu_backward(g, keep):
    """`f(g) = g*keep;  dg = gg*keep` (linear in g, so its own backward)

    ``keep`` is a bool tensor (``not out <= 0``) that only this op holds. ``np.multiply``
    casts it inside the loop: no float copy of the mask (as the ``where``/``mul`` ops would
    make) and about 10x faster than ``np.where`` on a random mask. Only a gradient holding inf
    or NaN takes ``np.where``, so that a zeroed unit still gets 0 (`inf*0` would be NaN), as in
    PyTorch.
    """
    return RELU_BACKWARD.apply((g, keep), (g._data, keep._data), (keep,))


def _relu_backward_kernel(gd, kd):
    if np.isfinite(gd).all():
        return np.multiply(gd, kd)
    return np.where(kd, gd, gd.dtype.type(0))


def _relu_backward_grad(gg, keep):
    return _relu_backward(gg, keep), None


RELU_BACKWARD = Primitive("ReluBackward", _relu_backward_kernel, _relu_backward_grad)


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


def _rounding_primitive(fn, name):
    def kernel(d, decimals=0):
        return fn(d) if not decimals else np.round(d, decimals)

    kernel.__name__ = kernel.__qualname__ = f"_{name.lower()}_kernel"
    return Primitive(name, kernel, _zero_backward)


def _rounding(prim, name):
    def op(input, decimals=0):
        a = as_tensor(input, name)
        return prim.apply((a,), (a._data,), (), {"decimals": decimals} if decimals else None)

    op.__name__ = name
    op.__doc__ = f"f(a) = {name}(a);  da = 0"
    return op


FLOOR = _rounding_primitive(np.floor, "Floor")
CEIL = _rounding_primitive(np.ceil, "Ceil")
ROUND = _rounding_primitive(np.round, "Round")
TRUNC = _rounding_primitive(np.trunc, "Trunc")
floor = _rounding(FLOOR, "floor")
ceil = _rounding(CEIL, "ceil")
round = _rounding(ROUND, "round")
trunc = _rounding(TRUNC, "trunc")


# --- comparisons and logic: no gradients -----------------------------------------------------


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


def cast(a, dtype):
    """f(a) = a as dtype;  da = g cast back (gradients flow only between floating dtypes)"""
    target = dtype.np
    d = a._data
    if d.dtype == target:
        return a
    if target.kind != "f":
        return wrap(CAST.compute((a,), (d,), {"dtype": target}))
    return TO_COPY.apply((a,), (d,), (d.dtype,), {"dtype": target})


def _cast_backward(g, src_dtype):
    return (g.to(src_dtype),)


TO_COPY = Primitive("ToCopy", CAST.kernel, _cast_backward)
