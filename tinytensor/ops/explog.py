"""Exponentials and logarithms: exp, exp2, expm1, log, log1p, log2, log10, logit, xlogy,
logaddexp/logaddexp2 and ldexp.

Each forward sits above its backward, with one line of math; backward formulas are tinytensor
ops, so they differentiate again (``create_graph=True``). NaN and inf follow IEEE silently (see
ops/_pointwise.py; exp and log are hot kernels).
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase
from tinytensor.ops._pointwise import (
    FP_SIGNALS,
    LN2,
    LN10,
    binary_kernel,
    operands,
    quiet,
    quiet_apply,
    run,
    silence_numpy_warnings,
    unary_float,
    unary_kernel,
)
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.compare import eq, le, logical_and, logical_or
from tinytensor.ops.selection import where
from tinytensor.ops.unary import sigmoid

__all__ = [
    "exp",
    "exp2",
    "expm1",
    "ldexp",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logaddexp2",
    "logit",
    "xlogy",
]

silence_numpy_warnings(__name__)


def exp(input):
    """`f(a) = e^a;  da = g*f(a)`"""
    a = input
    a, d = unary_float(a, "exp")
    return EXP.apply((a,), (d,), (OUT,))


def _exp_kernel(d):
    try:
        return np.exp(d)
    except FP_SIGNALS:
        with quiet(all="ignore"):
            return np.exp(d)


def _exp_backward(g, out):
    return (g * out,)


EXP = Primitive("Exp", _exp_kernel, _exp_backward)


def log(input):
    """f(a) = ln a;  da = g/a"""
    a = input
    a, d = unary_float(a, "log")
    return LOG.apply((a,), (d,), (a,))


def _log_kernel(d):
    try:
        return np.log(d)
    except FP_SIGNALS:
        with quiet(all="ignore"):
            return np.log(d)


def _log_backward(g, a):
    return (g / a,)


LOG = Primitive("Log", _log_kernel, _log_backward)


def log1p(input):
    """f(a) = ln(1+a);  da = g/(1+a)"""
    a = input
    a, d = unary_float(a, "log1p")
    return LOG1P.apply((a,), (d,), (a,))


def _log1p_kernel(d):
    with quiet(all="ignore"):
        return np.log1p(d)


def _log1p_backward(g, a):
    return (g / (a + 1.0),)


LOG1P = Primitive("Log1p", _log1p_kernel, _log1p_backward)


def log2(input):
    """f(a) = log2 a;  da = g/(a ln 2)"""
    a, d = unary_float(input, "log2")
    return LOG2.apply((a,), (d,), (a,))


def _log2_backward(g, a):
    return (g / (a * LN2),)


LOG2 = Primitive("Log2", unary_kernel(np.log2, "log2"), _log2_backward)


def log10(input):
    """f(a) = log10 a;  da = g/(a ln 10)"""
    a, d = unary_float(input, "log10")
    return LOG10.apply((a,), (d,), (a,))


def _log10_backward(g, a):
    return (g / (a * LN10),)


LOG10 = Primitive("Log10", unary_kernel(np.log10, "log10"), _log10_backward)


def exp2(input):
    """`f(a) = 2^a;  da = g*f(a)*ln 2`"""
    a, d = unary_float(input, "exp2")
    return EXP2.apply((a,), (d,), (OUT,))


def _exp2_backward(g, out):
    return (g * out * LN2,)


EXP2 = Primitive("Exp2", unary_kernel(np.exp2, "exp2"), _exp2_backward)


def expm1(input):
    """`f(a) = e^a - 1;  da = g*(f(a) + 1)`"""
    a, d = unary_float(input, "expm1")
    return EXPM1.apply((a,), (d,), (OUT,))


def _expm1_backward(g, out):
    return (g * (out + 1.0),)


EXPM1 = Primitive("Expm1", unary_kernel(np.expm1, "expm1"), _expm1_backward)


def logit(input, eps=None):
    """f(a) = log(z/(1-z)), z = clamp(a, eps, 1-eps);  da = g/(a(1-a)), 0 outside [eps, 1-eps]"""
    a, d = unary_float(input, "logit")
    return LOGIT.apply((a,), (d,), (a, eps), {"eps": eps})


def _logit_kernel(d, *, eps):
    z = d if eps is None else np.clip(d, eps, 1.0 - eps)
    return quiet_apply(lambda v: np.log(v / (1 - v)), z)


def _logit_backward(g, a, eps):
    if eps is None:  # PyTorch's: NaN outside [0, 1], g*inf at 0 and 1
        bad, edge = logical_or(a < 0.0, a > 1.0), logical_or(a == 0.0, a == 1.0)
        safe = where(logical_or(bad, edge), 0.5, a)  # the factor, not g, is selected: no 0*inf
        factor = where(bad, math.nan, where(edge, math.inf, 1.0 / (safe * (1.0 - safe))))
        return (g * factor,)
    outside = logical_or(a < eps, a > 1.0 - eps)
    safe = where(outside, 0.5, a)  # no 0*inf in the double backward at a = 0 or 1
    return (where(outside, 0.0, g / (safe * (1.0 - safe))),)


LOGIT = Primitive("Logit", _logit_kernel, _logit_backward)


def xlogy(input, other):
    """`f(a, b) = a*log(b), 0 where a == 0` (unless b is NaN);
    `da = xlogy(g, b), 0 where a == 0 and b <= 0;  db = g*a/b` (PyTorch's rule)"""
    a, b, ad, bd = operands(input, other, "xlogy", floating=True)
    return run(XLOGY, "xlogy", (a, b), (ad, bd), (a, b))


def _xlogy_np(x, y):
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))


def _xlogy_backward(g, a, b, *, needs):
    return (
        where(logical_and(eq(a, 0), le(b, 0)), 0.0, xlogy(g, b)) if needs[0] else None,
        g * a / b if needs[1] else None,
    )


XLOGY = Primitive("Xlogy", binary_kernel(_xlogy_np, "xlogy"), _xlogy_backward)


def logaddexp(input, other):
    """`f(a, b) = log(e^a + e^b);  da = g*sigmoid(a - b),  db = g*sigmoid(b - a)`"""
    a, b, ad, bd = operands(input, other, "logaddexp", integers=False)
    return run(LOGADDEXP, "logaddexp", (a, b), (ad, bd), (a, b))


def _logaddexp_backward(g, a, b, *, needs):
    return (
        g * sigmoid(a - b) if needs[0] else None,
        g * sigmoid(b - a) if needs[1] else None,
    )


LOGADDEXP = Primitive("Logaddexp", binary_kernel(np.logaddexp, "logaddexp"), _logaddexp_backward)


def logaddexp2(input, other):
    """`f(a, b) = log2(2^a + 2^b);  da = g*sigmoid((a - b) ln 2),  db` likewise"""
    a, b, ad, bd = operands(input, other, "logaddexp2", integers=False)
    return run(LOGADDEXP2, "logaddexp2", (a, b), (ad, bd), (a, b))


def _logaddexp2_backward(g, a, b, *, needs):
    return (
        g * sigmoid((a - b) * LN2) if needs[0] else None,
        g * sigmoid((b - a) * LN2) if needs[1] else None,
    )


LOGADDEXP2 = Primitive(
    "Logaddexp2", binary_kernel(np.logaddexp2, "logaddexp2"), _logaddexp2_backward
)


def ldexp(input, other):
    """`f(a, e) = a*2^e;  da = g*2^e,  de = g*f*ln 2`"""
    a, e, ad, ed = operands(input, other, "ldexp", floating=True)
    saved = (e if _rg(a) else None, OUT if _rg(e) else None)
    return run(LDEXP, "ldexp", (a, e), (ad, ed), saved)


def _ldexp_backward(g, e, out):
    da = None if e is None else g * (e.exp2() if isinstance(e, TensorBase) else 2.0**e)
    return da, (None if out is None else g * out * LN2)


LDEXP = Primitive("Ldexp", binary_kernel(lambda x, y: x * np.exp2(y), "ldexp"), _ldexp_backward)
